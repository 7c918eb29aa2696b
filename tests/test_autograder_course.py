"""The real course, graded as a class: the solutions earn every point, the untouched release
none, and answers that lean on the reference or on TensorFlow's own RNN cells earn nothing."""

import shutil

import nbformat
import pytest

from autograder import course
from tests.autograder_support import ROOT, autograder, rows

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
        nbformat.write(_with_answer(first, "basic_rnn_cell_answer", source),
                       folder / "rnn_cell.ipynb")
    # A dynamic_rnn that ignores initial_state, under a right static_rnn and bidirectional.
    unrolls = SOLUTIONS / "05_dynamic_rnn" / "dynamic_rnn.ipynb"
    nb = nbformat.read(unrolls, as_version=4)
    [cell] = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == DYNAMIC]
    cell.source = cell.source.replace("if initial_state is not None:", "if False:")
    (submitted / "wrong_dynamic" / "05_dynamic_rnn").mkdir(parents=True)
    nbformat.write(nb, submitted / "wrong_dynamic" / "05_dynamic_rnn" / "dynamic_rnn.ipynb")
    result = autograder("grade", str(submitted), "--out", str(out), "--jobs", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    return rows(out)


def test_the_solutions_earn_every_point(graded):
    mine = [r for r in graded if r["student"] == "perfect"]
    assert {r["assignment"] for r in mine} == set(ASSIGNMENTS)
    for row in mine:
        assert row["points"] == row["max points"], row


def test_the_untouched_release_earns_nothing(graded):
    mine = [r for r in graded if r["student"] == "blank"]
    assert mine and all(r["points"] == "0" for r in mine), mine


@pytest.mark.parametrize("student, words", [("tf_cells", "rnn code"), ("reference", "rnnref")])
def test_borrowed_cells_earn_nothing(graded, student, words):
    row = next(r for r in graded
               if r["student"] == student and r["exercise"] == "basic_rnn_cell_test")
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
