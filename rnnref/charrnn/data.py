"""The text a character model learns from, and its vocabulary.

Text is read as UTF-8 and split into Unicode characters, so Chinese (or any script) is
modelled one character at a time. Two texts need no file and no download:

- ``python-docs``, the default: the Python documentation's topic pages, which every CPython
  installation ships in the standard library (``pydoc_data.topics``, what ``help("if")``
  prints), about 0.7 million characters of English prose and code;
- ``lunyu``: 《论语》, the Analects, about 22,000 characters of classical Chinese shipped with
  this package (``texts/README.md`` says where the transcription comes from).
"""

import hashlib
import pathlib

import numpy as np


class CharRNNError(ValueError):
    """Bad input to the trainer (a file, a text, an option, a checkpoint), with the fix."""


def default_text() -> tuple[str, str]:
    """(text, where it comes from): the Python documentation's topic pages."""
    try:
        from pydoc_data import topics
    except ImportError as error:  # some Linux distributions split the stdlib's docs out
        raise CharRNNError(
            "The default text is the Python documentation shipped in the standard library "
            "(pydoc_data.topics), which this Python does not have. Pass --text FILE with a "
            "UTF-8 text file."
        ) from error
    pages = [topics.topics[name] for name in sorted(topics.topics)]
    return "\n\n".join(pages), "Python's documentation topics (pydoc_data.topics)"


TEXTS = pathlib.Path(__file__).parent / "texts"


def lunyu() -> tuple[str, str]:
    """(text, where it comes from): 《论语》, the Analects, one passage a line."""
    text = (TEXTS / "lunyu.txt").read_text(encoding="utf-8")
    return text, "《论语》, the Analects (rnnref/charrnn/texts/lunyu.txt)"


BUILT_IN = {"python-docs": default_text, "lunyu": lunyu}


def load_text(text: str | None) -> tuple[str, str]:
    """(text, where it comes from) for ``--text``: a built-in text's name (``python-docs``, the
    default, or ``lunyu``) or the path of a UTF-8 file (``./lunyu`` for a file of that name)."""
    if text is None or text in BUILT_IN:
        return BUILT_IN[text or "python-docs"]()
    return read_text(text), text


def read_text(path: str | pathlib.Path) -> str:
    """The whole of a UTF-8 text file."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise CharRNNError(
            f"--text {path}: no such file. Give the path of a UTF-8 text file, or one of the "
            f"built-in texts: {', '.join(BUILT_IN)} (the default)."
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise CharRNNError(
            f"--text {path} is not UTF-8 text ({error.reason} at byte {error.start}). "
            "Convert it, e.g. iconv -f latin1 -t utf-8."
        ) from error
    if not text:
        raise CharRNNError(f"--text {path} is empty. A model needs text to learn from.")
    return text


def fingerprint(text: str) -> str:
    """A short hash that tells one training text from another (checked when resuming)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class Vocabulary:
    """The characters of a text, sorted, and their ids 0..size-1."""

    def __init__(self, chars: str) -> None:
        self.chars = "".join(sorted(set(chars)))
        self._ids = {c: i for i, c in enumerate(self.chars)}

    @property
    def size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """text -> ids [N] (int32)."""
        unknown = sorted(set(text) - set(self._ids))
        if unknown:
            raise CharRNNError(
                f"These characters are not in the model's vocabulary: {''.join(unknown)!r}. "
                f"It knows: {self.chars!r}."
            )
        return np.array([self._ids[c] for c in text], dtype=np.int32)

    def decode(self, ids: np.ndarray) -> str:
        return "".join(self.chars[i] for i in ids)


def unigram_entropy(ids: np.ndarray, size: int) -> float:
    """The entropy in nats of the text's character frequencies: the loss of the best model
    that ignores context. A model that learns anything beats it."""
    counts = np.bincount(ids, minlength=size)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())
