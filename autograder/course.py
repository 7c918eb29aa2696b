"""The course on disk: nbgrader's source notebooks, the release made from them, and what grading
needs to know about each notebook's cells.

``solutions/<assignment>/<notebook>.ipynb`` is nbgrader's source folder and ``course/`` its
release folder. ``generate`` runs nbgrader's own ``GenerateAssignment`` converter between
them; when given a gradebook it also records the assignment there, exactly as
``nbgrader generate_assignment`` does, and ``layout`` then reads back the cells nbgrader
stored (test cells with their hidden tests, points, checksums) in release order.
"""

import ast
import functools
import logging
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader import api as nbgrader_api
from nbgrader import utils as nbutils
from nbgrader.api import Gradebook
from nbgrader.converters import GenerateAssignment
from nbgrader.converters.base import NbGraderException
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from autograder.i18n import _

COURSE_ID = "rnn-course"


def tools_on_path() -> None:
    """nbgrader runs ``alembic`` from PATH when it creates a gradebook; make it findable when
    Python was started as ``.venv/bin/python`` without activating the environment, and ask
    it once per process rather than once per gradebook (half a second each)."""
    tools = str(Path(sys.executable).parent)
    if tools not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = tools + os.pathsep + os.environ.get("PATH", "")
    if not hasattr(nbgrader_api.get_alembic_version, "cache_info"):
        nbgrader_api.get_alembic_version = functools.cache(nbgrader_api.get_alembic_version)


@dataclass
class Cell:
    """A cell nbgrader tracks. ``kind``: ``test`` (autograded, locked), ``answer`` (solution
    cell), ``manual`` (graded by hand), ``task`` or ``locked`` (read-only, not graded)."""

    grade_id: str
    kind: str
    cell_type: str
    source: str
    checksum: str | None
    points: float = 0.0
    # For a test cell: (exercise name, hidden?) -> how many times its source calls that check.
    expected_checks: dict[tuple[str, bool], int] = field(default_factory=dict)

    @property
    def checked(self) -> list[str]:
        """The exercises this test cell checks, in a stable order."""
        return sorted({name for name, _ in self.expected_checks})

    def refuses(self, exercise: str) -> str | None:
        """None when this test cell checks ``exercise``; else why it may not ask for it."""
        if exercise in self.checked:
            return None
        checked = ", ".join(self.checked) or _("no exercise")
        return _(
            "this test cell checks {checked}, but the check asked for {exercise}; a test cell "
            "earns only its own exercise, so leave the check functions as they were imported"
        ).format(checked=checked, exercise=exercise)


@dataclass
class Layout:
    """One notebook as grading sees it: its nbgrader cells in release order."""

    assignment: str
    name: str
    cells: list[Cell]
    release: nbformat.NotebookNode

    def cell(self, grade_id: str) -> Cell | None:
        return next((c for c in self.cells if c.grade_id == grade_id), None)

    @property
    def graded(self) -> list[Cell]:
        return [c for c in self.cells if c.kind in ("test", "manual", "task")]

    def owners(self) -> dict[str, str]:
        """Each cell's grade id -> the graded cell it belongs to: the first graded cell at or
        after it, so an answer cell belongs to the test that follows it."""
        owner: dict[str, str] = {}
        pending: list[str] = []
        for cell in self.cells:
            pending.append(cell.grade_id)
            if cell.kind in ("test", "manual", "task"):
                owner.update(dict.fromkeys(pending, cell.grade_id))
                pending = []
        return owner


def assignments(source_root: Path) -> list[str]:
    """The assignments in ``source_root`` (folders holding at least one notebook), sorted."""
    if not source_root.is_dir():
        return []
    return sorted(p.name for p in source_root.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def notebooks(source_root: Path, assignment: str) -> list[str]:
    return sorted(p.stem for p in (source_root / assignment).glob("*.ipynb"))


@dataclass(frozen=True)
class Stubs:
    """What nbgrader leaves where it removed a solution: in a code cell, and in a written
    answer. The defaults are nbgrader's own; an edition in another language words them in it."""

    code: str = "# YOUR CODE HERE\nraise NotImplementedError()"
    text: str = "YOUR ANSWER HERE"


def generate(
    source_root: Path,
    release_root: Path,
    assignment: str,
    db_url: str | None = None,
    stubs: Stubs = Stubs(),
) -> None:
    """nbgrader's ``generate_assignment`` of ``assignment`` from ``source_root`` into
    ``release_root``, recording it in the gradebook at ``db_url`` when one is given."""
    tools_on_path()
    config = Config()
    config.ClearSolutions.code_stub = {"python": stubs.code}
    config.ClearSolutions.text_stub = stubs.text
    config.CourseDirectory.root = str(source_root.resolve().parent)
    config.CourseDirectory.source_directory = str(source_root.resolve())
    config.CourseDirectory.release_directory = str(release_root.resolve())
    config.CourseDirectory.assignment_id = assignment
    config.CourseDirectory.course_id = COURSE_ID
    config.CourseDirectory.db_url = db_url or "sqlite://"
    config.GenerateAssignment.no_database = db_url is None
    config.SaveCells.enabled = db_url is not None
    config.GenerateAssignment.force = True
    coursedir = CourseDirectory(config=config)
    converter = GenerateAssignment(coursedir=coursedir, config=config)
    converter.log.setLevel(logging.ERROR)
    try:
        converter.start()
    except NbGraderException as error:
        raise ValueError(
            f"nbgrader could not generate {assignment!r} from {source_root / assignment}: "
            f"{error} (its log above says which cell)"
        ) from None


def _kind(cell: nbformat.NotebookNode) -> str | None:
    if not nbutils.is_grade(cell) and not nbutils.is_solution(cell):
        if nbutils.is_task(cell):
            return "task"
        return "locked" if nbutils.is_locked(cell) else None
    if nbutils.is_grade(cell) and not nbutils.is_solution(cell):
        return "test" if cell.cell_type == "code" else "manual"
    return "manual" if nbutils.is_grade(cell) else "answer"


def check_aliases(cells: list[Cell]) -> set[str]:
    """Names the notebook's locked cells bind to a checks module (``import x_checks as check``)."""
    names: set[str] = set()
    for cell in cells:
        if cell.cell_type != "code" or cell.kind not in ("locked", "test"):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {a.asname or a.name for a in node.names if "check" in a.name}
            elif isinstance(node, ast.ImportFrom):
                names |= {
                    a.asname or a.name
                    for a in node.names
                    if "check" in a.name or "check" in (node.module or "")
                }
    return names


def count_checks(source: str, aliases: set[str]) -> dict[tuple[str, bool], int]:
    """How many check calls ``source`` makes, by (exercise name, ``hidden=True``?).

    A check is a call of an attribute of a checks alias, ``check.basic_rnn_cell(...)``; its
    attribute name is the exercise's name (each public check is named after its exercise).
    """
    counts: dict[tuple[str, bool], int] = {}
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return counts
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in aliases
        ):
            hidden = any(
                k.arg == "hidden" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in node.keywords
            )
            key = (node.func.attr, hidden)
            counts[key] = counts.get(key, 0) + 1
    return counts


def _finish(layout: Layout) -> Layout:
    aliases = check_aliases(layout.cells)
    for cell in layout.cells:
        if cell.kind == "test":
            cell.expected_checks = count_checks(cell.source, aliases)
    return layout


def layout_from_release(release: nbformat.NotebookNode, assignment: str, name: str) -> Layout:
    """A notebook's layout from its release alone (the learner's self-check: no hidden tests)."""
    cells = []
    for cell in release.cells:
        kind = _kind(cell)
        if kind is None:
            continue
        meta = cell.metadata.nbgrader
        points = float(meta.get("points", 0) or 0) if kind in ("test", "manual", "task") else 0.0
        cells.append(
            Cell(meta["grade_id"], kind, cell.cell_type, cell.source, meta.get("checksum"), points)
        )
    return _finish(Layout(assignment, name, cells, release))


def layouts_from_gradebook(
    gradebook: Gradebook, source_root: Path, assignment: str
) -> dict[str, Layout]:
    """Generate ``assignment`` into ``gradebook`` with nbgrader and read back every notebook."""
    with tempfile.TemporaryDirectory(prefix="autograder-release-") as scratch:
        release_root = Path(scratch) / "release"
        generate(
            source_root,
            release_root,
            assignment,
            str(gradebook.engine.url.render_as_string(hide_password=False)),
        )
        result = {}
        for name in notebooks(source_root, assignment):
            release = nbformat.read(release_root / assignment / f"{name}.ipynb", as_version=4)
            stored = gradebook.find_notebook(name, assignment)
            sources = {c.name: c for c in stored.source_cells}
            graded = {c.name: c for c in stored.grade_cells}
            graded.update({c.name: c for c in stored.task_cells})
            layout = layout_from_release(release, assignment, name)
            for cell in layout.cells:
                source = sources.get(cell.grade_id)
                if source is not None and cell.kind in ("test", "locked"):
                    cell.source = source.source  # with its hidden tests
                    cell.checksum = source.checksum
                if cell.grade_id in graded:
                    cell.points = float(graded[cell.grade_id].max_score)
            result[name] = _finish(layout)
        return result


def assignment_files(source_root: Path, assignment: str) -> list[Path]:
    """Files other than notebooks in an assignment's source folder (data, helper modules),
    which nbgrader copies over a submission's own before grading."""
    folder = source_root / assignment
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix != ".ipynb"
        and "__pycache__" not in p.parts
        and ".ipynb_checkpoints" not in p.parts
    )
