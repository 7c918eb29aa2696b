"""The learner's language in a kernel, and the gettext catalogs both sides read.

A catalog is a ``.po`` file under ``<package>/locale/<lang>/LC_MESSAGES/<domain>.po``, read
and compiled in memory with Babel the first time a message in that language is asked for:
no compiled ``.mo`` file is kept anywhere, so there is nothing to rebuild after editing a
translation. English is the source language: its "catalog" returns every message as written.

A kernel's language, the first that applies:

1. the environment variable ``RNN_COURSE_LANG`` (``en`` or ``zh``);
2. the edition of the notebook the kernel runs (its metadata ``rnn_course.lang``): the
   notebook is ``JPY_SESSION_NAME`` (Jupyter Server sets it to the notebook's path), else the
   only ``.ipynb`` file in the kernel's working directory;
3. English.

The grader (``autograder.i18n``) uses ``translations`` for its own catalog; this module
imports nothing of the grader, so a kernel may import it.
"""

import functools
import gettext
import io
import json
import os
from pathlib import Path

LANGUAGES = ("en", "zh")
DEFAULT = "en"
ENVIRONMENT = "RNN_COURSE_LANG"
LOCALE = Path(__file__).resolve().parent / "locale"


def supported(lang: str) -> str:
    """``lang`` if the course speaks it; a ``ValueError`` naming the choices otherwise."""
    if lang not in LANGUAGES:
        raise ValueError(
            f"Expected a language among {', '.join(LANGUAGES)}; got {lang!r}. "
            f"Set {ENVIRONMENT} or --lang to one of them."
        )
    return lang


@functools.cache
def translations(locale: Path, domain: str, lang: str) -> gettext.NullTranslations:
    """The catalog ``locale/<lang>/LC_MESSAGES/<domain>.po`` compiled in memory with Babel;
    the identity for English. Entries still marked fuzzy are left out, as msgfmt does."""
    if lang == DEFAULT:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    path = locale / supported(lang) / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def notebook_language(nb: dict) -> str:
    """The language a notebook (its JSON) was released in: its metadata ``rnn_course.lang``;
    English when it names none, or one the course does not speak (a learner may edit it)."""
    metadata = nb.get("metadata", {})
    marker = metadata.get("rnn_course", {}) if isinstance(metadata, dict) else {}
    lang = marker.get("lang") if isinstance(marker, dict) else None
    return lang if lang in LANGUAGES else DEFAULT


def edition(path: Path) -> str:
    """The language of the notebook at ``path`` (``notebook_language``), English when it
    cannot be read."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return DEFAULT
    return notebook_language(nb) if isinstance(nb, dict) else DEFAULT


def _notebook() -> Path | None:
    """The notebook this kernel runs, if it can tell."""
    session = os.environ.get("JPY_SESSION_NAME")
    if session and session.endswith(".ipynb"):
        return Path(session)
    found = list(Path.cwd().glob("*.ipynb"))
    return found[0] if len(found) == 1 else None


@functools.cache
def _edition_of(path: Path, modified: float) -> str:
    # Keyed by the file's modification time too: a notebook saved in the other edition
    # (rare) is read again; an unchanged one is parsed once per kernel.
    return edition(path)


def language() -> str:
    """This kernel's language (see the module's docstring)."""
    chosen = os.environ.get(ENVIRONMENT)
    if chosen:
        return supported(chosen)
    notebook = _notebook()
    if notebook is None:
        return DEFAULT
    try:
        return _edition_of(notebook, notebook.stat().st_mtime)
    except OSError:
        return DEFAULT


def _(message: str) -> str:
    """``message`` in this kernel's language (the learner side's catalog, ``learner.po``)."""
    return translations(LOCALE, "learner", language()).gettext(message)
