"""A test cell earns only its own exercise, and only on the screen's say-so.

Most tests score the pilot notebook from hand-made ``CellRun``s and ``Request``s (no kernel):
the requests a test cell's run reported are exactly what scoring sees. The last one grades a
blank notebook whose extra cell swaps exercises, through ``python -m autograder grade``.
"""

import importlib
import pkgutil

import nbformat
import numpy as np
import pytest

from autograder import course, feedback, notebook, registry, report, scoring
from autograder.execute import CellRun, Request
from autograder.gradebook import Book, sqlite_url
from autograder.learner import checks as learner_checks
from autograder.learner import wire
from autograder.learner.checks import Check
from autograder.learner.plain import to_plain
from tests.autograder_support import (
    PILOT,
    ROOT,
    grade_class,
    grades,
    learner,
    pilot_course,
    release,
    rows,
    submit,
)

SOURCE = PILOT / "solutions" / "pilot" / "pilot.ipynb"
EXERCISES = registry.exercises(PILOT / "solutions" / "pilot")


def _request(name: str, hidden: bool, problem: str | None = None) -> Request:
    """A check of ``name`` that reported the right outputs (or ran into ``problem``)."""
    exercise = EXERCISES[name]
    cases = exercise.cases(np.random.default_rng(0), hidden)
    outputs = wire.dumps(
        [{"outputs": to_plain(exercise.expect(case)), "inputs": to_plain(case)} for case in cases]
    )  # each case's report, as the driver makes it
    return Request(name, hidden, cases, outputs, problem)


def _both(name: str) -> list[Request]:
    return [_request(name, False), _request(name, True)]


def _score(requests: dict[str, list[Request]], **answers: str) -> scoring.NotebookResult:
    """The pilot solution, with ``answers`` passed to ``learner``, scored as if each test cell
    had made ``requests[grade_id]``."""
    source = nbformat.read(SOURCE, as_version=4)
    layout = course.layout_from_release(source, "pilot", "pilot")
    prepared = notebook.prepare(learner(source, **answers), layout)
    runs = [CellRun("ok") for _ in prepared.nb.cells]
    for index, grade_id in prepared.test_cells.items():
        runs[index].requests = requests.get(grade_id, [])
    return scoring.score_notebook(layout, prepared, runs, EXERCISES, "student")


def _by_id(result: scoring.NotebookResult) -> dict[str, scoring.Score]:
    return {score.grade_id: score for score in result.scores}


RIGHT = {"rnn_step_test": _both("rnn_step"), "zero_state_test": _both("zero_state")}


# --- what each test cell checks --------------------------------------------------------------


def test_a_test_cell_expects_its_own_checks_by_name_and_hidden_flag():
    layout = course.layout_from_release(nbformat.read(SOURCE, as_version=4), "pilot", "pilot")
    cell = layout.cell("rnn_step_test")
    assert cell.expected_checks == {("rnn_step", False): 1, ("rnn_step", True): 1}
    assert cell.refuses("rnn_step") is None
    assert cell.refuses("zero_state") == (
        "this test cell checks rnn_step, but the check asked for zero_state; a test cell earns "
        "only its own exercise, so leave the check functions as they were imported"
    )


@pytest.mark.parametrize(
    "path", sorted((ROOT / "solutions").glob("*/*.ipynb")), ids=lambda p: p.parent.name
)
def test_every_checked_name_is_an_exercise_of_the_course(path):
    layout = course.layout_from_release(
        nbformat.read(path, as_version=4), path.parent.name, path.stem
    )
    known = registry.exercises()
    for cell in layout.cells:
        if cell.kind == "test":
            assert cell.checked, f"{cell.grade_id} checks nothing"
            assert set(cell.checked) <= set(known), cell.checked


TOPICS = [m.name for m in pkgutil.iter_modules(learner_checks.__path__) if m.name != "common"]


@pytest.mark.parametrize("topic", TOPICS)
def test_each_public_check_is_named_after_its_exercise(topic):
    module = importlib.import_module(f"autograder.learner.checks.{topic}")
    checks = {name: value for name, value in vars(module).items() if isinstance(value, Check)}
    assert checks, f"{topic} has no checks"
    for name, check in checks.items():
        assert check.name == name


# --- scoring counts only the expected requests ---------------------------------------------


def test_the_expected_requests_earn_every_point():
    scores = _by_id(_score(RIGHT))
    assert [(s.points, s.reason) for s in scores.values()] == [(2, "passed"), (1, "passed")]


def test_a_swapped_exercise_earns_nothing():
    scores = _by_id(_score({**RIGHT, "rnn_step_test": _both("zero_state")}))
    assert scores["rnn_step_test"].points == 0
    assert scores["rnn_step_test"].reason.startswith(
        "this test cell checks rnn_step, but the check asked for zero_state"
    )
    assert scores["zero_state_test"].points == 1


def test_an_extra_request_earns_nothing():
    extra = _both("rnn_step") + [_request("rnn_step", False)]
    score = _by_id(_score({**RIGHT, "rnn_step_test": extra}))["rnn_step_test"]
    assert score.points == 0
    assert score.reason.startswith("this test cell makes 1 check of rnn_step, but 2 were asked")


def test_a_missing_request_earns_nothing():
    for requests in ([_request("rnn_step", False)], []):
        score = _by_id(_score({**RIGHT, "rnn_step_test": requests}))["rnn_step_test"]
        assert score.points == 0
        assert "a check of rnn_step in this test cell never reported" in score.reason


def test_a_check_that_reported_twice_earns_nothing():
    twice = "The check reported twice; the answer interfered with grading."
    requests = [_request("rnn_step", False), _request("rnn_step", True, problem=twice)]
    score = _by_id(_score({**RIGHT, "rnn_step_test": requests}))["rnn_step_test"]
    assert (score.points, score.reason) == (0, twice)


# --- the screen's verdicts in the score ----------------------------------------------------


def test_a_refused_answer_earns_nothing_even_with_right_outputs():
    answer = "def rnn_step(x, h, W, U, b):\n    import rnnref.np\n    return np.tanh(x @ W)\n"
    scores = _by_id(_score(RIGHT, rnn=answer))
    assert scores["rnn_step_test"].points == 0
    assert scores["rnn_step_test"].reason.startswith("refused: ")
    assert "`import rnnref.np`" in scores["rnn_step_test"].reason
    assert scores["zero_state_test"].points == 1


def test_a_flagged_answer_keeps_its_points_and_says_why_in_every_report(tmp_path):
    answer = (
        "def rnn_step(x, h, W, U, b):\n    f = getattr(np, 'ta' + 'nh')\n"
        "    return f(x @ W + h @ U + b)\n"
    )
    result = _score(RIGHT, rnn=answer)
    score = _by_id(result)["rnn_step_test"]
    assert (score.points, score.reason) == (2, "passed")
    assert score.review.startswith("flagged for review: getattr with a name built at run time")
    assert "`f = getattr(np, 'ta' + 'nh')`" in score.review
    assert scoring.NotebookResult.from_json(result.to_json()) == result

    report.write_csv(tmp_path / "grades.csv", [result], [])
    written = {row["exercise"]: row for row in rows(tmp_path)}
    assert written["rnn_step_test"]["review"] == score.review
    assert written["zero_state_test"]["review"] == ""
    page = feedback.page("student", "pilot", [result])
    assert "flagged for review: getattr" in page


def test_a_flag_is_kept_in_the_gradebook_for_a_person_to_read(tmp_path):
    answer = "def rnn_step(x, h, W, U, b):\n    return eval('np.tanh(x @ W + h @ U + b)')\n"
    result = _score(RIGHT, rnn=answer)
    book = Book(sqlite_url(tmp_path / "gradebook.db"))
    try:
        layout = book.layouts(pilot_course(tmp_path) / "solutions", "pilot")["pilot"]
        book.record(result, layout)
        grade = book.gb.find_grade("rnn_step_test", "pilot", "pilot", "student")
        comment = book.gb.find_comment("rnn_step_answer", "pilot", "pilot", "student")
        assert (grade.auto_score, grade.needs_manual_grade) == (2, True)
        assert comment.auto_comment.startswith("flagged for review: eval runs code")
        other = book.gb.find_grade("zero_state_test", "pilot", "pilot", "student")
        assert (other.auto_score, other.needs_manual_grade) == (1, False)
    finally:
        book.close()


def test_code_no_exercise_uses_flags_the_notebook_on_every_row(tmp_path):
    result = _score(RIGHT, before_zero="import ctypes\n")
    assert [s.points for s in result.scores] == [2, 1]
    assert len(result.review) == 1 and "ctypes" in result.review[0]
    assert result.review[0] in result.notes
    report.write_csv(tmp_path / "grades.csv", [result], [])
    assert all("ctypes" in row["review"] for row in rows(tmp_path))


# --- a whole grading run ---------------------------------------------------------------------

SWAP = (
    "def _mine(batch_size, units):\n"
    "    return np.zeros((batch_size, units), np.float32)\n\n"
    "check.rnn_step = lambda answer, hidden=False: check.zero_state(_mine, hidden)\n"
)


@pytest.mark.kernel
def test_a_blank_notebook_that_swaps_exercises_scores_no_more_than_blank(tmp_path):
    course_root = pilot_course(tmp_path)
    base = release(course_root)
    submissions = tmp_path / "submitted"
    submit(submissions, "blank", base)
    submit(submissions, "swapper", learner(base, rnn=None, zero=None, before_rnn=SWAP))
    out = tmp_path / "out"
    result = grade_class(
        course_root,
        submissions,
        out,
        "--jobs",
        "2",
        "--timeout",
        "20",
    )
    assert result.returncode == 0, result.stderr
    found = grades(out)
    for exercise in ("rnn_step_test", "zero_state_test"):
        assert found[("swapper", exercise)][0] == found[("blank", exercise)][0] == "0"
    assert (
        "checks rnn_step, but the check asked for zero_state"
        in found[("swapper", "rnn_step_test")][1]
    )
