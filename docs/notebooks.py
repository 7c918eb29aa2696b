"""The course's notebooks as the book shows them: answers folded away, graded checks explained.

The book reads ``solutions/`` (the nbgrader source, where every answer is written out) and
writes a copy of each notebook for Sphinx to execute:

- an answer cell (nbgrader ``solution``) loses its ``### BEGIN/END SOLUTION`` markers and is
  tagged ``hide-input``: its code sits behind a "Show the answer" toggle, its output stays;
  a written answer (a markdown solution cell) goes into a folded "A model answer" block;
- a graded test cell (nbgrader ``grade``) becomes a note naming the check and saying what it
  checks (the first paragraph of the check's docstring); its hidden tests are left out;
- every other cell, the setup cell with its imports included, is kept as it is, except for
  one TeX pitfall in markdown: a ``[`` opening a line right after ``\\begin{aligned}`` or
  ``\\\\`` is read by MathJax (as by LaTeX) as an optional argument, and the bracketed
  left-hand side (``[i, j, f, o] &= ...``) vanishes; an empty group ``{}`` before it keeps it.

The check's module is found from the setup cell's ``import ... as check`` line, so the book
follows the notebooks wherever the checks live.
"""

import copy
import importlib
import inspect
import re
from pathlib import Path

import nbformat

SOLUTION_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)
HIDDEN_TESTS = re.compile(
    r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", re.M | re.S
)
# `from package import module as check`, or `import package.module as check`
CHECK_IMPORT = re.compile(
    r"^[ \t]*(?:from\s+([\w.]+)\s+import\s+(\w+)|import\s+([\w.]+))\s+as\s+check\b", re.M
)
CHECK_CALL = re.compile(r"\bcheck\.(\w+)\(")
BRACKET_AFTER_BREAK = re.compile(r"(\\begin\{(?:aligned|gathered)\}|\\\\)(\s*)\[")


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _check_module(notebook, path: Path):
    """The module the notebook imports ``as check``, read from its code cells."""
    for cell in notebook.cells:
        found = cell.cell_type == "code" and CHECK_IMPORT.search(cell.source)
        if found:
            package, name, dotted = found.groups()
            return importlib.import_module(dotted or f"{package}.{name}")
    raise ValueError(
        f"{path}: no cell imports the checks as `check` (expected a line like "
        "`from autograder.learner.checks import rnn_cell as check`)"
    )


def _what_it_checks(check_module, source: str, path: Path) -> tuple[str, str]:
    """The check's call as the course shows it, and its docstring's first paragraph."""
    visible = HIDDEN_TESTS.sub("", source).strip()
    called = CHECK_CALL.search(visible)
    if called is None:
        raise ValueError(f"{path}: graded cell does not call `check.<name>(...)`:\n{source}")
    function = getattr(check_module, called.group(1), None)
    if function is None:
        raise ValueError(
            f"{path}: {check_module.__name__} has no check "
            f"`{called.group(1)}`, called as `{visible}`"
        )
    summary = (inspect.getdoc(function) or "").split("\n\n")[0].replace("\n", " ")
    return visible, summary.replace("``", "`")


def _check_note(grade_id: str, points, call: str, summary: str) -> str:
    what = f"{summary}\n\n" if summary else ""
    return (
        f":::{{admonition}} Graded check `{grade_id}` ({points} points)\n"
        f":class: note\n\n"
        f"{what}"
        f"In the course this cell runs `{call}` on your answer, and more cases, hidden, when "
        f"the notebook is graded. The book shows the reference answer, so the check is left "
        f"out here.\n:::"
    )


def for_the_book(notebook, path: Path):
    """A copy of one solution notebook, transformed as the module docstring says."""
    book = copy.deepcopy(notebook)
    check_module = None
    cells = []
    for cell in book.cells:
        role = _nbgrader(cell)
        if cell.cell_type == "code" and role.get("grade"):
            check_module = check_module or _check_module(notebook, path)
            call, summary = _what_it_checks(check_module, cell.source, path)
            cells.append(
                nbformat.v4.new_markdown_cell(
                    _check_note(role.get("grade_id", "?"), role.get("points", 0), call, summary)
                )
            )
            continue
        if cell.cell_type == "markdown":
            cell.source = BRACKET_AFTER_BREAK.sub(r"\1\2{}[", cell.source)
            # The release puts the glossary beside each notebook; the book has it as a page.
            cell.source = cell.source.replace("](GLOSSARY.md)", "](../../glossary.md)")
            if role.get("solution"):
                answer = SOLUTION_MARKER.sub("", cell.source).strip()
                # Folded as the notebooks fold their hints: the book is the answers' book.
                cell.source = (
                    f"<details>\n<summary>A model answer</summary>\n\n{answer}\n\n</details>"
                )
        if cell.cell_type == "code" and role.get("solution"):
            cell.source = SOLUTION_MARKER.sub("", cell.source)
            cell.metadata.setdefault("tags", []).append("hide-input")
        cell.metadata.pop("nbgrader", None)
        cells.append(cell)
    book.cells = cells
    return book


def write_course(solutions: Path, target: Path) -> list[Path]:
    """Writes each ``solutions/<NN_name>/<name>.ipynb`` under ``target`` in the same layout.

    A file is rewritten only when its content changes, so Sphinx rebuilds only what changed.
    Returns the written notebooks' paths relative to ``target``, in course order.
    """
    written = []
    for source in sorted(solutions.glob("*/*.ipynb")):
        relative = source.relative_to(solutions)
        notebook = nbformat.read(source, as_version=4)
        text = nbformat.writes(for_the_book(notebook, source))
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if not destination.exists() or destination.read_text(encoding="utf-8") != text:
            destination.write_text(text, encoding="utf-8")
        written.append(relative)
    return written
