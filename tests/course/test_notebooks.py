"""The course's notebooks: every solution runs and passes its checks; course/ is what nbgrader
generates from solutions/; the release holds no solutions, no hidden tests and no outputs."""

import pathlib
import subprocess
import sys

import nbformat
import pytest

from autograder import release
from tests.course_support import (
    ASSIGNMENTS,
    COURSE,
    ROOT,
    SOLUTIONS,
    assert_passes_every_check,
    assert_same_tree,
    execute,
    graded_cells,
    kernel_env,
    nbgrader_meta,
    notebooks,
    output_text,
    written_answers,
)

pytestmark = pytest.mark.kernel

REGENERATE = "run `python -m autograder release` in the repository root"
TIME_LIMIT_S = 60  # issue 4: every solution notebook runs in under 60 s on 2 cores


@pytest.fixture(scope="session")
def executed_solutions():
    """Each solution notebook executed once per session, shared by the tests that need it."""
    cache: dict = {}

    def get(path: pathlib.Path):
        if path not in cache:
            cache[path] = execute(path)
        return cache[path]

    return get


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_runs_and_passes_every_check(assignment, executed_solutions):
    for path in notebooks(SOLUTIONS, assignment):
        nb, seconds = executed_solutions(path)
        assert_passes_every_check(nb, path.name)
        assert seconds < TIME_LIMIT_S, f"{path.name} took {seconds:.1f} s"
        print(f"{assignment}/{path.name}: {seconds:.1f} s")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebooks_are_stored_without_outputs(assignment):
    for base in (SOLUTIONS, COURSE):
        for path in notebooks(base, assignment):
            nb = nbformat.read(str(path), as_version=4)
            nbformat.validate(nb)
            for cell in nb.cells:
                if cell.cell_type == "code":
                    assert not cell.outputs and cell.execution_count is None, (path, cell.id)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_hides_solutions_and_hidden_tests(assignment):
    released = notebooks(COURSE, assignment)
    assert [p.name for p in released] == [p.name for p in notebooks(SOLUTIONS, assignment)]
    for path in released:
        source = path.read_text()
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "hidden=True"):
            assert marker not in source, (path, marker)
        nb = nbformat.read(str(path), as_version=4)
        for cell in graded_cells(nb):
            lines = [line for line in cell.source.splitlines() if line.strip()]
            assert len(lines) == 1 and lines[0].startswith("check."), cell.source


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_figure_cell_draws(assignment, executed_solutions):
    """A cell that calls the figures module shows an image (and the notebook has one)."""
    for path in notebooks(SOLUTIONS, assignment):
        nb, _ = executed_solutions(path)
        drawing = [c for c in nb.cells if c.cell_type == "code" and "figures." in c.source]
        assert drawing, f"{path.name} draws no figure"
        for cell in drawing:
            images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
            assert images, f"{path.name}, cell {cell.id}: no image ({output_text(cell)[-500:]})"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_written_questions_are_released_for_hand_grading(assignment):
    """Each notebook asks at least one written question: a markdown cell nbgrader grades by
    hand, released with its answer (model answer and rubric) replaced by the stub."""
    for solution, released in zip(
        notebooks(SOLUTIONS, assignment), notebooks(COURSE, assignment), strict=True
    ):
        questions = {c.id: c for c in written_answers(nbformat.read(str(solution), as_version=4))}
        assert questions, f"{solution.name} has no written question"
        for cell in questions.values():
            meta = nbgrader_meta(cell)
            assert meta["solution"] and meta["points"] > 0, cell.id
            assert "Rubric" in cell.source and "BEGIN SOLUTION" in cell.source, cell.id
        out = {c.id: c for c in nbformat.read(str(released), as_version=4).cells}
        for cid in questions:
            assert nbgrader_meta(out[cid])["grade"], cid
            assert out[cid].source == "YOUR ANSWER HERE", (cid, out[cid].source)


GENERATE = """
import sys
from traitlets.config import Config
from nbgrader.converters import GenerateAssignment
from nbgrader.coursedir import CourseDirectory

root, out, *assignments = sys.argv[1:]
for assignment in assignments:  # what `nbgrader generate_assignment <id> --no-db --force` does
    c = Config()
    c.CourseDirectory.root = root
    c.CourseDirectory.source_directory = "solutions"
    c.CourseDirectory.release_directory = out
    c.CourseDirectory.assignment_id = assignment
    c.GenerateAssignment.no_database = True
    c.SaveCells.enabled = False
    c.BaseConverter.force = True
    GenerateAssignment(coursedir=CourseDirectory(config=c), config=c).start()
"""


def test_course_is_what_nbgrader_generates(tmp_path):
    """Regenerating every assignment from solutions/ reproduces course/ byte for byte: what
    nbgrader generates, and the glossary beside each notebook."""
    out = tmp_path / "course"
    result = subprocess.run(
        [sys.executable, "-c", GENERATE, str(ROOT), str(out), *ASSIGNMENTS],
        cwd=ROOT,
        env=kernel_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    glossary = release.glossary_markdown("en")
    for assignment in ASSIGNMENTS:  # the one file our release adds to nbgrader's
        (out / assignment / release.GLOSSARY_FILES["en"]).write_text(glossary, encoding="utf-8")
    assert_same_tree(out, COURSE, REGENERATE)
