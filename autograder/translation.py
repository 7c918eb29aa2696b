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

A translated notebook says which edition it is in its metadata, ``"rnn_course": {"lang":
"zh"}``; an English one carries nothing, and ``edition`` reads it back (the grader and the
learner's kernel choose their messages' language from it).
"""

import difflib
import hashlib
import io
import json
import re
import subprocess
import tokenize
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from autograder.learner.i18n import LANGUAGES, notebook_language

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "i18n"
SOURCE_LANGUAGE = "en"
METADATA_KEY = "rnn_course"

# Characters that mark a text as written in Chinese (CJK ideographs and full-width punctuation).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
# nbgrader's region markers: comments a translation must keep exactly, or the release breaks.
_NBGRADER_MARKER = re.compile(r"#+\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)\b")


def source_hash(source: str) -> str:
    """The hash a translation entry records for the English ``source`` it translates."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]


def translation_path(
    notebook: Path, lang: str, solutions: Path | None = None, i18n: Path = I18N
) -> Path:
    """Where ``lang``'s translation of ``solutions/<assignment>/<notebook>.ipynb`` lives."""
    solutions = solutions or ROOT / "solutions"
    relative = notebook.resolve().relative_to(solutions.resolve())
    return i18n / lang / relative.with_suffix(".yml")


def edition(nb: nbformat.NotebookNode) -> str:
    """The language a notebook was released in: ``"zh"`` for the Chinese edition, ``"en"``
    for the English one (which carries no marker) and for anything unrecognised. The rule is
    the learner side's, which reads it from the file a kernel runs."""
    return notebook_language(nb)


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


def code_skeleton(source: str, keep_strings: bool) -> list[tuple[int, str]]:
    """What a translation of a code cell may not change: its tokens without comments and
    blank lines (nbgrader's region markers kept), and without the text of its strings unless
    ``keep_strings`` (an answer cell's strings are code; a demo cell's printed lines are not)."""
    text_tokens = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    skeleton = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            if _NBGRADER_MARKER.match(token.string):
                skeleton.append((token.type, token.string.strip()))
        elif token.type == tokenize.NL:
            continue
        elif token.type in text_tokens and not keep_strings:
            skeleton.append((token.type, "<text>"))
        else:
            skeleton.append((token.type, token.string))
    return skeleton


@dataclass(frozen=True)
class Problem:
    """Why one cell of one notebook has no usable translation, and what the translator does."""

    notebook: str  # "<assignment>/<notebook>"
    cell_id: str
    kind: str  # missing, stale, untranslated, code changed, unused
    detail: str

    def __str__(self) -> str:
        return f"{self.notebook}, cell {self.cell_id}: {self.kind}: {self.detail}"


def _is_answer(cell: nbformat.NotebookNode) -> bool:
    return bool(cell.metadata.get("nbgrader", {}).get("solution"))


def _code_problem(cell: nbformat.NotebookNode, text: str) -> str | None:
    keep_strings = _is_answer(cell)
    try:
        changed = code_skeleton(text, keep_strings) != code_skeleton(cell.source, keep_strings)
    except (tokenize.TokenError, SyntaxError, IndentationError) as error:
        return f"the translated code does not tokenize ({error}); translate only comments"
    if not changed:
        return None
    what = "comments" if keep_strings else "comments and printed strings"
    return (
        f"the translation changes the code itself; only {what} may be translated, and "
        "nbgrader's ### BEGIN/END lines stay as they are"
    )


def problems(
    nb: nbformat.NotebookNode, entries: dict[str, Entry], lang: str, name: str
) -> list[Problem]:
    """Every cell of ``nb`` (the English source, called ``name``) whose ``lang`` translation
    is missing, stale (made from other English), untranslated (a markdown cell with no
    Chinese in it), or changes code; and entries for cells the notebook no longer has."""
    found = []
    cells = {cell.id: cell for cell in nb.cells}
    for cell in nb.cells:
        if not translatable(cell):
            continue
        entry = entries.get(cell.id)
        current = source_hash(cell.source)
        if entry is None:
            found.append(
                Problem(
                    name,
                    cell.id,
                    "missing",
                    (
                        f"no entry; run `python -m autograder translate --scaffold {lang}` "
                        f"to add one (with en: '{current}') and translate its text"
                    ),
                )
            )
            continue
        if entry.en != current:
            found.append(
                Problem(
                    name,
                    cell.id,
                    "stale",
                    (
                        f"the English changed since it was translated (en: '{entry.en}', now "
                        f"'{current}'); `python -m autograder translate --scaffold {lang}` "
                        f"shows what changed: update the text, then set en: '{current}'"
                    ),
                )
            )
            continue
        if cell.cell_type == "markdown" and (
            entry.text == cell.source or (lang == "zh" and not CJK.search(entry.text))
        ):
            found.append(
                Problem(
                    name,
                    cell.id,
                    "untranslated",
                    (
                        "the text is still the English (or has no Chinese in it); write the "
                        "translation over it"
                    ),
                )
            )
        elif cell.cell_type == "code":
            detail = _code_problem(cell, entry.text)
            if detail:
                found.append(Problem(name, cell.id, "code changed", detail))
    for cell_id in entries:
        if cell_id not in cells or not translatable(cells[cell_id]):
            found.append(
                Problem(
                    name,
                    cell_id,
                    "unused",
                    (
                        "the notebook has no translatable cell with this id; delete the entry "
                        f"(`python -m autograder translate --scaffold {lang}` does)"
                    ),
                )
            )
    return found


def apply(
    nb: nbformat.NotebookNode, entries: dict[str, Entry], lang: str, name: str = "notebook"
) -> nbformat.NotebookNode:
    """Put ``lang``'s text into the English source notebook ``nb`` (in place, and returned)
    and mark its edition. Untranslated text is released as it is (the tests report it);
    a missing or stale entry, or one that changes code, cannot be released.

    Raises ValueError naming the notebook and its cells when any entry is unusable.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"expected a language among {LANGUAGES}, got {lang!r}")
    if lang == SOURCE_LANGUAGE:
        return nb
    blocking = [
        p
        for p in problems(nb, entries, lang, name)
        if p.kind in ("missing", "stale", "code changed")
    ]
    if blocking:
        raise ValueError(
            f"the {lang} edition of {name} cannot be made: "
            + "; ".join(f"cell {p.cell_id} is {p.kind}" for p in blocking)
            + f". Run `python -m autograder translate --scaffold {lang}` and see its report "
            "(or release the English alone with `release --lang en`)."
        )
    for cell in nb.cells:
        if translatable(cell):
            cell.source = entries[cell.id].text
    nb.metadata[METADATA_KEY] = {"lang": lang}
    return nb


def entry_lines(cell_id: str, entry: Entry, lang: str) -> list[str]:
    """One entry as YAML lines: a literal block a translator can edit, or (for the rare text a
    block cannot hold exactly, such as leading spaces or a final newline) a quoted string."""
    lines = [f"{cell_id}:", f"  en: '{entry.en}'", f"  {lang}: |-"]
    lines.extend(f"    {line}" if line else "" for line in entry.text.split("\n"))
    loaded = yaml.safe_load("\n".join(lines) + "\n")
    if loaded != {cell_id: {"en": entry.en, lang: entry.text}}:
        lines[2:] = [f"  {lang}: {json.dumps(entry.text, ensure_ascii=False)}"]
    return lines


def scaffold(notebook: Path, lang: str, solutions: Path | None = None, i18n: Path = I18N) -> str:
    """A translation file for ``notebook`` with every translatable cell's English text in place
    of the translation, for a translator to overwrite. Existing entries are kept (stale ones
    too, for the translator to update); entries of cells that are gone are dropped."""
    nb = nbformat.read(notebook, as_version=4)
    existing = load(translation_path(notebook, lang, solutions, i18n), lang)
    lines = [f"# {notebook.parent.name}/{notebook.name} ({lang})"]
    for cell in nb.cells:
        if translatable(cell):
            entry = existing.get(cell.id) or Entry(source_hash(cell.source), cell.source)
            lines.extend(entry_lines(cell.id, entry, lang))
    return "\n".join(lines) + "\n"


def old_english(notebook: Path, cell_id: str, digest: str) -> str | None:
    """The English source of ``cell_id`` whose hash is ``digest``, from the notebook's git
    history (what a stale entry was translated from), or None when history has none."""
    try:
        log = subprocess.run(
            ["git", "log", "--format=%H", "--", notebook.name],
            cwd=notebook.parent,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.split()
        prefix = subprocess.run(
            ["git", "rev-parse", "--show-prefix"],
            cwd=notebook.parent,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    for commit in log:
        shown = subprocess.run(
            ["git", "show", f"{commit}:{prefix}{notebook.name}"],
            cwd=notebook.parent,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if shown.returncode != 0:
            continue
        old = nbformat.reads(shown.stdout, as_version=4)
        for cell in old.cells:
            if cell.get("id") == cell_id and source_hash(cell.source) == digest:
                return cell.source
    return None


def stale_report(
    notebook: Path, lang: str, solutions: Path | None = None, i18n: Path = I18N
) -> list[str]:
    """For each stale entry of ``notebook``: what changed in the English since it was
    translated, as a unified diff (old English -> new English) the translator follows."""
    nb = nbformat.read(notebook, as_version=4)
    entries = load(translation_path(notebook, lang, solutions, i18n), lang)
    name = f"{notebook.parent.name}/{notebook.stem}"
    report = []
    for problem in problems(nb, entries, lang, name):
        if problem.kind != "stale":
            continue
        cell = next(c for c in nb.cells if c.id == problem.cell_id)
        old = old_english(notebook, cell.id, entries[cell.id].en)
        if old is None:
            diff = "(the English it was translated from is not in git history; compare by eye)"
        else:
            diff = "\n".join(
                difflib.unified_diff(
                    old.split("\n"),
                    cell.source.split("\n"),
                    f"{name} {cell.id} (translated, en: '{entries[cell.id].en}')",
                    f"{name} {cell.id} (now, en: '{source_hash(cell.source)}')",
                    lineterm="",
                )
            )
        report.append(f"{problem}\n{diff}")
    return report
