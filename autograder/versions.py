"""Which version of its checks produced a cached result, and regrading one exercise.

A result is reused while its notebook and everything grading it are unchanged (the cache's
``fingerprint``). The files that define exercises are left out of that fingerprint and
versioned per exercise instead: an exercise's version hashes its two defining modules (the
grader's half with its cases, reference and mistakes, and the learner's half with its
driver; ``registry.definitions``), and a test cell's version hashes the versions of the
exercises it checks. A result keeps its cells' versions, so fixing one check makes stale
only the cells that check it, and only their notebooks are graded again. A definition
module may import shared helpers (which stay in the fingerprint, so changing one regrades
everything) and its own other half, but not another exercise's modules.

``grade --exercise ID`` (an exercise name, or a test cell's grade_id) regrades only the
notebooks with a cell that checks it and takes only those cells' new scores; every other
cell and notebook keeps its cached result.
"""

import hashlib
from dataclasses import replace
from pathlib import Path

from autograder import registry
from autograder.course import Cell, Layout
from autograder.scoring import NotebookResult


class Versions:
    """The exercise versions of one assignment (source folder ``assignment_folder``)."""

    def __init__(self, assignment_folder: Path) -> None:
        definitions = registry.definitions(assignment_folder)
        self.files = {path for pair in definitions.values() for path in pair}
        self.exercise = {
            name: _digest(path.read_bytes() for path in pair) for name, pair in definitions.items()
        }

    def cells(self, layout: Layout) -> dict[str, str]:
        """Each test cell's grade_id -> the version of the checks it makes."""
        return {
            cell.grade_id: _digest(
                f"{name}={self.exercise.get(name, '<unknown>')}".encode() for name in cell.checked
            )
            for cell in layout.cells
            if cell.kind == "test"
        }


def _digest(parts) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part + b"\0")
    return digest.hexdigest()


def asks(cell: Cell, exercise: str) -> bool:
    """Whether ``--exercise exercise`` asks for ``cell``: it is that cell, or checks it."""
    return cell.grade_id == exercise or exercise in cell.checked


def merge(
    previous: NotebookResult | None, new: NotebookResult, layout: Layout, exercise: str
) -> NotebookResult:
    """``new``'s scores and versions for the cells ``exercise`` asks for, ``previous``'s for
    the rest; ``new`` itself when there is no previous result of the same fingerprint (the
    notebook or the grader changed, so nothing else may be kept)."""
    if previous is None or previous.fingerprint != new.fingerprint:
        return new
    asked = {cell.grade_id for cell in layout.cells if asks(cell, exercise)}
    kept = {score.grade_id: score for score in previous.scores}
    scores = [
        score if score.grade_id in asked or score.grade_id not in kept else kept[score.grade_id]
        for score in new.scores
    ]
    versions = {
        grade_id: new.versions[grade_id]
        if grade_id in asked
        else previous.versions.get(grade_id, "")
        for grade_id in new.versions
    }
    return replace(new, scores=scores, versions=versions)
