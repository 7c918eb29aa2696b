"""Read a submitted notebook in any state, and restore what a learner may not change.

nbgrader's sanitising steps (``DeduplicateIds``, ``OverwriteCells``, ``ClearOutput``), made
robust to what real submissions contain: invalid JSON, older nbformat versions, cells with
missing fields, duplicate cell ids and grade ids, test cells edited, deleted or turned into
markdown. The learner's answers are kept; every test cell and read-only cell is the
instructor's, with its hidden tests, points and metadata taken from the gradebook. Each
repair is noted so the grade's reason can say what happened.
"""

import copy
import json
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell
from nbgrader import utils as nbutils

from autograder.course import Layout
from autograder.i18n import _
from autograder.release import STUBS
from autograder.translation import code_skeleton

MAX_NOTEBOOK_BYTES = 50 * 2**20
_CELL_ID = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")


class Unreadable(Exception):
    """The file cannot be graded at all; the message says why, for the learner."""


@dataclass
class Prepared:
    """A notebook ready to run: ``test_cells`` maps cell index to grade id; ``notes`` holds what
    was repaired, by grade id (``""`` for the notebook as a whole)."""

    nb: nbformat.NotebookNode
    test_cells: dict[int, str]
    notes: dict[str, list[str]] = field(default_factory=dict)
    unanswered: set[str] = field(default_factory=set)

    def note(self, grade_id: str, text: str) -> None:
        self.notes.setdefault(grade_id, []).append(text)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return ""


def read(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path`` as nbformat 4 with clean cells; ``Unreadable`` if it is not one."""
    if not path.exists():
        raise Unreadable(_("the notebook is missing from the submission"))
    size = path.stat().st_size
    if size == 0:
        raise Unreadable(_("the notebook file is empty (0 bytes)"))
    if size > MAX_NOTEBOOK_BYTES:
        raise Unreadable(
            _("the notebook file is larger than {limit} MB").format(
                limit=MAX_NOTEBOOK_BYTES // 2**20
            )
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except UnicodeDecodeError:
        raise Unreadable(_("the notebook file is not UTF-8 text")) from None
    except json.JSONDecodeError as error:
        raise Unreadable(
            _(
                "the notebook file is not valid JSON (line {line}, column {column}: {what}); it "
                "may have been saved while broken or edited by hand"
            ).format(line=error.lineno, column=error.colno, what=error.msg)
        ) from None
    if not isinstance(data, dict):
        raise Unreadable(_("the notebook file holds JSON, but not a notebook"))
    version = data.get("nbformat", 4)
    if version in (1, 2, 3):
        try:
            data = nbformat.reads(text, as_version=4)
        except Exception as error:  # nbformat's converters raise many kinds
            raise Unreadable(
                _("the nbformat {version} notebook could not be upgraded: {error}").format(
                    version=version, error=error
                )
            ) from None
    elif version != 4:
        raise Unreadable(
            _("nbformat version {version} is not one this grader can read").format(
                version=repr(version)
            )
        )
    return _rebuild(data)


def _rebuild(data: Any) -> nbformat.NotebookNode:
    """A valid nbformat 4.5 notebook from the cells of ``data`` that can be understood."""
    cells = data.get("cells") if isinstance(data.get("cells"), list) else []
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    nb = new_notebook(metadata=copy.deepcopy(metadata))
    seen: set[str] = set()
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict):
            continue
        source = _text(cell.get("source"))
        meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        meta = copy.deepcopy(meta)
        kind = cell.get("cell_type")
        if kind == "code":
            new = new_code_cell(source, metadata=meta)
        elif kind == "markdown":
            new = new_markdown_cell(source, metadata=meta)
        else:
            new = new_raw_cell(source, metadata=meta)
        # Ids must be unique and, for identical regrades, not random.
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not _CELL_ID.match(cell_id) or cell_id in seen:
            cell_id = f"autograder-{index}"
        seen.add(cell_id)
        new.id = cell_id
        grader = meta.get("nbgrader")
        if grader is not None and not (
            isinstance(grader, dict) and isinstance(grader.get("grade_id"), str)
        ):
            del new.metadata["nbgrader"]
        nb.cells.append(new)
    return nb


def _canonical(layout_cell: Any, release: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The instructor's version of a cell: release metadata, gradebook source (hidden tests)."""
    original = next(
        c
        for c in release.cells
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == layout_cell.grade_id
    )
    cell = nbformat.from_dict(copy.deepcopy(original))
    if layout_cell.kind in ("test", "locked"):
        cell.source = layout_cell.source
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    return cell


def _as_released(cell: nbformat.NotebookNode, released: str | None) -> bool:
    """Whether an answer cell is as the release left it in any edition: a code cell whose code
    is the released code (comments, the only thing an edition translates, aside), a written
    answer still holding an edition's stub."""
    if cell.cell_type == "markdown":
        return cell.source.strip() in {stubs.text for stubs in STUBS.values()}
    if released is None:
        return False
    try:
        return code_skeleton(cell.source, keep_strings=True) == code_skeleton(
            released, keep_strings=True
        )
    except (tokenize.TokenError, SyntaxError):
        return False  # the learner's text is no Python: an answer, if a wrong one


def prepare(nb: nbformat.NotebookNode, layout: Layout) -> Prepared:
    """``nb`` with the instructor's cells restored, per ``layout``; see the module docstring."""
    release = layout.release
    release_sources = {
        c.metadata.nbgrader["grade_id"]: c.source
        for c in release.cells
        if "nbgrader" in c.get("metadata", {}) and "grade_id" in c.metadata.nbgrader
    }
    prepared = Prepared(nbformat.v4.new_notebook(metadata=nb.metadata), {})
    cells: list[nbformat.NotebookNode] = []
    where: dict[str, int] = {}
    # Like nbgrader's DeduplicateIds, the last cell claiming a grade id is the real one.
    last_claim = {
        cell.metadata["nbgrader"]["grade_id"]: index
        for index, cell in enumerate(nb.cells)
        if "nbgrader" in cell.metadata
    }
    for index, cell in enumerate(nb.cells):
        cell = copy.deepcopy(cell)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        known = layout.cell(grade_id) if grade_id is not None else None
        if grade_id is not None and (known is None or last_claim[grade_id] != index):
            # A copied cell or one the learner tagged: keep it, but it grades nothing.
            del cell.metadata["nbgrader"]
            label = known.grade_id if known is not None else ""
            prepared.note(
                label,
                _("a second cell claiming to be '{grade_id}' was ignored").format(
                    grade_id=grade_id
                ),
            )
            cells.append(cell)
            continue
        if known is None:
            cells.append(cell)
            continue
        if known.kind in ("test", "locked"):
            if cell.cell_type != known.cell_type:
                prepared.note(
                    known.grade_id,
                    _("its test cell had been changed to {kind} and was restored").format(
                        kind=cell.cell_type
                    ),
                )
            elif cell.source not in (release_sources.get(known.grade_id), known.source):
                prepared.note(
                    known.grade_id,
                    _("its test cell had been edited and was restored")
                    if known.kind == "test"
                    else _("its read-only cell had been edited and was restored"),
                )
            cell = _canonical(known, release)
        else:
            canonical = _canonical(known, release)
            if cell.cell_type != known.cell_type:
                prepared.note(
                    known.grade_id,
                    _(
                        "the answer cell had been changed to {kind} and was turned back into "
                        "{released}"
                    ).format(kind=cell.cell_type, released=known.cell_type),
                )
            canonical.source = cell.source
            canonical.id = cell.id
            cell = canonical
            if nbutils.compute_checksum(cell) == known.checksum or _as_released(
                cell, release_sources.get(known.grade_id)
            ):
                prepared.unanswered.add(known.grade_id)
        where[known.grade_id] = len(cells)
        cells.append(cell)
    # Put back what was deleted, after the instructor's cell that preceded it.
    last = -1
    for known in layout.cells:
        if known.grade_id in where:
            last = where[known.grade_id]
            continue
        cell = _canonical(known, release)
        if cell.id in {c.id for c in cells}:
            cell.id = f"autograder-restored-{known.grade_id}"[:64]
        cells.insert(last + 1, cell)
        where = {k: (i + 1 if i > last else i) for k, i in where.items()}
        last += 1
        where[known.grade_id] = last
        if known.kind == "answer":
            prepared.unanswered.add(known.grade_id)
            prepared.note(known.grade_id, _("the answer cell had been deleted"))
        elif known.kind == "test":
            prepared.note(known.grade_id, _("its test cell had been deleted and was put back"))
    prepared.nb.cells = cells
    prepared.test_cells = {
        i: c.metadata.nbgrader["grade_id"]
        for i, c in enumerate(cells)
        if c.metadata.get("nbgrader", {}).get("grade_id") in where
        and layout.cell(c.metadata.nbgrader["grade_id"]).kind == "test"
    }
    return prepared
