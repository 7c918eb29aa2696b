"""Written answers are graded by a person: the autograder leaves them waiting, in every report,
and never zeroes them, not even when the notebook's code could not run."""

import nbformat

from autograder import feedback, report, scoring
from autograder.course import Cell, Layout
from tests.autograder_support import rows

LAYOUT = Layout(
    "pilot",
    "pilot",
    [
        Cell("step_answer", "answer", "code", "", None),
        Cell("step_test", "test", "code", "check.step(step)", None, 3.0),
        Cell("why_question", "manual", "markdown", "YOUR ANSWER HERE", None, 2.0),
    ],
    nbformat.v4.new_notebook(),
)


def _result() -> scoring.NotebookResult:
    return scoring.NotebookResult(
        "ada",
        "pilot",
        "pilot",
        [
            scoring.Score("step_test", 3.0, 3.0, "passed"),
            scoring.Score("why_question", None, 2.0, str(scoring.AWAITING_INSTRUCTOR), "manual"),
        ],
    )


def test_a_notebook_that_could_not_run_keeps_its_written_answers_waiting():
    result = scoring.zero(LAYOUT, "ada", "the kernel died")
    by_id = {s.grade_id: s for s in result.scores}
    assert (by_id["step_test"].points, by_id["step_test"].reason) == (0.0, "the kernel died")
    assert by_id["why_question"].points is None
    assert by_id["why_question"].reason == str(scoring.AWAITING_INSTRUCTOR)
    assert (result.points, result.max_points, result.awaiting) == (0.0, 5.0, 2.0)


def test_grades_csv_leaves_the_points_empty_and_says_who_grades_them(tmp_path):
    report.write_csv(tmp_path / "grades.csv", [_result()], [])
    written = {row["exercise"]: row for row in rows(tmp_path)}
    assert written["why_question"]["points"] == ""
    assert written["why_question"]["max points"] == "2"
    assert written["why_question"]["reason"] == "awaiting the instructor (graded by hand)"
    assert written["step_test"]["points"] == "3"


def test_feedback_says_the_written_answer_awaits_the_instructor():
    page = feedback.page("ada", "pilot", [_result()])
    assert "3 of 3</strong> points from automatic grading." in page  # the written 2 apart
    assert "2 more are for written answers, awaiting the instructor." in page
    assert '<tr class="hand"><td>why_question</td><td>awaiting / 2</td>' in page
