"""The real course, graded as a class: the solutions earn every point, the untouched release
none, and answers that lean on the reference or on TensorFlow's own RNN cells earn nothing."""

import shutil

import nbformat
import pytest

from autograder import course
from tests.autograder_support import ROOT, autograder, rows

SOLUTIONS = ROOT / "solutions"
ASSIGNMENTS = course.assignments(SOLUTIONS)

TF_CELL = (
    "import tensorflow as tf\n"
    "class BasicRNNCell(tf.compat.v1.nn.rnn_cell.BasicRNNCell):\n"
    "    pass\n"
)
REFERENCE_CELL = "from rnnref.np import BasicRNNCell\n"


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
