"""The course's notebooks in other languages: one translation file per notebook and language.

``solutions/`` stays the single source. ``i18n/<lang>/<assignment>/<notebook>.yml`` maps a
cell's id to the Chinese (or other) source of that cell and a short hash of the English source
it translates::

    cell-01:
      en: '3f2a9c01b2d4'
      zh: |
        # 01 · RNN 单元：一次一步
        ...

When the English cell changes, its hash no longer matches and the entry is *stale*; a cell that
needs a translation and has none is *missing*. Both fail the tests, so an edition never drifts
silently from the source. Graded cells (test cells, and the code of answer cells) are never
translated text: only their comments may differ.
"""

import hashlib
import io
import tokenize
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "i18n"
LANGUAGES = ("en", "zh")


def source_hash(source: str) -> str:
    """The hash a translation entry records for the English ``source`` it translates."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]


def translation_path(notebook: Path, lang: str, solutions: Path | None = None) -> Path:
    """Where ``lang``'s translation of ``solutions/<assignment>/<notebook>.ipynb`` lives."""
    solutions = solutions or ROOT / "solutions"
    relative = notebook.resolve().relative_to(solutions.resolve())
    return I18N / lang / relative.with_suffix(".yml")


@dataclass(frozen=True)
class Entry:
    """One cell's translation: the hash of the English it was made from, and the text."""

    en: str
    text: str


def load(path: Path, lang: str) -> dict[str, Entry]:
    """The entries of one translation file, by cell id (empty when the file does not exist)."""
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of cell ids to entries, got {type(data)}")
    entries = {}
    for cell_id, entry in data.items():
        if not isinstance(entry, dict) or set(entry) != {"en", lang}:
            raise ValueError(
                f"{path}: cell {cell_id!r} needs exactly the keys 'en' (the English hash) and "
                f"{lang!r} (the text); got {entry!r}"
            )
        entries[str(cell_id)] = Entry(en=str(entry["en"]), text=str(entry[lang]))
    return entries


def scaffold(notebook: Path, lang: str) -> str:
    """A translation file for ``notebook`` with every translatable cell's English text in place
    of the translation, for a translator to overwrite. Existing entries are kept."""
    nb = nbformat.read(notebook, as_version=4)
    existing = load(translation_path(notebook, lang), lang)
    lines = [f"# {notebook.parent.name}/{notebook.name} ({lang})"]
    for cell in nb.cells:
        if not translatable(cell):
            continue
        entry = existing.get(cell.id) or Entry(source_hash(cell.source), cell.source)
        lines.append(f"{cell.id}:")
        lines.append(f"  en: '{entry.en}'")
        lines.append(f"  {lang}: |-")
        lines.extend(f"    {line}" if line else "" for line in entry.text.split("\n"))
    return "\n".join(lines) + "\n"


def translatable(cell: nbformat.NotebookNode) -> bool:
    """Whether a learner reads words in this cell: every markdown cell but the ones graded by
    hand (the learner writes those), and every code cell but the locked ones (tests, set-up)
    that has a comment or a string of words (a printed line)."""
    nbgrader = cell.metadata.get("nbgrader", {})
    if cell.cell_type == "markdown":
        return not nbgrader.get("grade")
    if cell.cell_type != "code" or nbgrader.get("locked"):
        return False
    return any(
        token.type == tokenize.COMMENT or (token.type == tokenize.STRING and " " in token.string)
        for token in tokenize.generate_tokens(io.StringIO(cell.source).readline)
    )
