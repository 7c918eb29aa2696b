"""The grader's messages in the learner's language: gettext with a catalog per language.

The grader's catalog is ``autograder/locale/<lang>/LC_MESSAGES/autograder.po``, compiled in
memory with Babel at first use (``autograder.learner.i18n.translations``, which the learner
side uses for its own catalog). The language is a context variable, set around the work
done for one learner (``using``), so notebooks in different languages can be judged side by
side in one grading run (each in its own task or thread).

Two ways to mark a message, both extracted by ``pybabel extract`` (``babel.cfg``):

- ``_("...")``: translated at once, for a message made where the language is known;
- ``N_("...")``: a ``Text`` translated each time it is shown, for a message defined when a
  module loads (an exercise's mistakes) and shown later, in whichever language is current.

Numbers and names go in named placeholders, filled by ``.format`` after translation, so a
translator can move them: ``_("expected shape {expected}, got {got}").format(...)``.
"""

import contextlib
import contextvars
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from autograder.learner.i18n import DEFAULT, LANGUAGES, supported, translations

__all__ = ["LANGUAGES", "N_", "Text", "_", "current", "using"]

LOCALE = Path(__file__).resolve().parent / "locale"
DOMAIN = "autograder"

_language: contextvars.ContextVar[str] = contextvars.ContextVar("language", default=DEFAULT)


def current() -> str:
    """The language messages are shown in now."""
    return _language.get()


@contextlib.contextmanager
def using(lang: str) -> Iterator[None]:
    """Show messages in ``lang`` inside the ``with`` block."""
    token = _language.set(supported(lang))
    try:
        yield
    finally:
        _language.reset(token)


def _(message: str) -> str:
    """``message`` in the current language."""
    return translations(LOCALE, DOMAIN, current()).gettext(message)


class Text:
    """A message translated when it is shown (``str``, an f-string, ``format``), in the
    language current then. Its placeholders are filled from ``values``; a value that is a
    ``Text`` itself is translated too, so a message can name a translated part."""

    __slots__ = ("message", "values")

    def __init__(self, message: str, values: dict[str, Any] | None = None) -> None:
        self.message = message
        self.values = values or {}

    def format(self, **values: Any) -> "Text":
        """The same message with (more) placeholders filled."""
        return Text(self.message, {**self.values, **values})

    def __str__(self) -> str:
        translated = _(self.message)
        if not self.values:
            return translated
        return translated.format(**{k: _shown(v) for k, v in self.values.items()})

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"N_({self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and (self.message, self.values) == (
            other.message,
            other.values,
        )

    def __hash__(self) -> int:
        return hash(self.message)


def _shown(value: Any) -> Any:
    return str(value) if isinstance(value, Text) else value


def N_(message: str) -> Text:
    """``message``, marked for translation and translated each time it is shown."""
    return Text(message)
