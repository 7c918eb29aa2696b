"""The real course, graded as a class: the solutions earn every point, the untouched release
none, and answers that lean on the reference or on TensorFlow's own RNN cells earn nothing."""

import shutil

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import course, scoring
from autograder.gradebook import sqlite_url
from tests.autograder_support import ROOT, autograded, autograder, rows

pytestmark = pytest.mark.kernel

SOLUTIONS = ROOT / "solutions"
ASSIGNMENTS = course.assignments(SOLUTIONS)

TF_CELL = (
    "import tensorflow as tf\n"
    "class BasicRNNCell(tf.compat.v1.nn.rnn_cell.BasicRNNCell):\n"
    "    pass\n"
)
REFERENCE_CELL = "from rnnref.np import BasicRNNCell\n"
DYNAMIC = "dynamic_rnn_answer"


def _with_answer(path, grade_id: str, source: str) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = source
    return nb


class Graded(list):
    """``grades.csv``'s rows, and the folder the grading run wrote (``out``)."""

    def __init__(self, rows_: list[dict[str, str]], out) -> None:
        super().__init__(rows_)
        self.out = out


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if not ASSIGNMENTS:
        pytest.fail(f"No assignments in {SOLUTIONS}")
    tmp = tmp_path_factory.mktemp("course")
    submitted, out = tmp / "submitted", tmp / "graded"
    for assignment in ASSIGNMENTS:
        shutil.copytree(SOLUTIONS / assignment, submitted / "perfect" / assignment)
        shutil.copytree(ROOT / "course" / assignment, submitted / "blank" / assignment)
    first = SOLUTIONS / "01_rnn_cell" / "rnn_cell.ipynb"
    for student, source in (("tf_cells", TF_CELL), ("reference", REFERENCE_CELL)):
        folder = submitted / student / "01_rnn_cell"
        folder.mkdir(parents=True)
        nbformat.write(
            _with_answer(first, "basic_rnn_cell_answer", source), folder / "rnn_cell.ipynb"
        )
    # A dynamic_rnn that ignores initial_state, under a right static_rnn and bidirectional.
    unrolls = SOLUTIONS / "05_dynamic_rnn" / "dynamic_rnn.ipynb"
    nb = nbformat.read(unrolls, as_version=4)
    [cell] = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == DYNAMIC]
    cell.source = cell.source.replace("if initial_state is not None:", "if False:")
    (submitted / "wrong_dynamic" / "05_dynamic_rnn").mkdir(parents=True)
    nbformat.write(nb, submitted / "wrong_dynamic" / "05_dynamic_rnn" / "dynamic_rnn.ipynb")
    result = autograder("grade", str(submitted), "--out", str(out), "--jobs", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    return Graded(rows(out), out)


COURSE_POINTS = 100  # 82 autograded, 18 for the nine written answers graded by hand


def test_the_solutions_earn_every_point(graded):
    mine = [r for r in graded if r["student"] == "perfect"]
    assert {r["assignment"] for r in mine} == set(ASSIGNMENTS)
    assert sum(float(r["max points"]) for r in mine) == COURSE_POINTS
    for row in autograded(mine):
        assert row["points"] == row["max points"], row


def test_the_untouched_release_earns_nothing(graded):
    mine = autograded([r for r in graded if r["student"] == "blank"])
    assert mine and all(r["points"] == "0" for r in mine), mine


@pytest.mark.parametrize("student", ["perfect", "blank"])
def test_written_answers_wait_for_the_instructor(graded, student):
    """Every notebook's written answers are left to a person: no points, never zeroed, and
    the gradebook lists them for formgrader's manual grading."""
    mine = [r for r in graded if r["student"] == student]
    written = [r for r in mine if r["reason"] == str(scoring.AWAITING_INSTRUCTOR)]
    assert {r["assignment"] for r in written} == set(ASSIGNMENTS)
    assert all(r["points"] == "" and float(r["max points"]) > 0 for r in written), written
    book = Gradebook(sqlite_url(graded.out / "gradebook.db"), course.COURSE_ID)
    try:
        for row in written:
            grade = book.find_grade(row["exercise"], row["notebook"], row["assignment"], student)
            assert grade.auto_score is None and grade.needs_manual_grade, row
    finally:
        book.close()


@pytest.mark.parametrize("student, words", [("tf_cells", "rnn code"), ("reference", "rnnref")])
def test_borrowed_cells_earn_nothing(graded, student, words):
    row = next(
        r for r in graded if r["student"] == student and r["exercise"] == "basic_rnn_cell_test"
    )
    assert row["points"] == "0"
    assert words in row["reason"].lower(), row["reason"]


def test_a_wrong_earlier_piece_costs_only_its_own_exercises(graded):
    """Issue 11: static_rnn and bidirectional are graded on a correct dynamic_rnn; the wrong
    one is named, by id too, and told what it would also have broken."""
    mine = {r["exercise"]: r for r in graded if r["student"] == "wrong_dynamic"}
    assert mine["dynamic_rnn_test"]["points"] == "0"
    assert mine["dynamic_rnn_test"]["mistake"] == "dynamic_rnn.initial_ignored"
    assert "would also have broken" in mine["dynamic_rnn_test"]["reason"]
    for passing in ("static_rnn_test", "bidirectional_test"):
        assert mine[passing]["points"] == mine[passing]["max points"], mine[passing]
        assert mine[passing]["mistake"] == ""
