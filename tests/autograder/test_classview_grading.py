"""The class view through one real grading run of the pilot course: nbgrader's late policy
(from the course's nbgrader_config.py, due date from ``--due``) in grades.csv, the gradebook
and feedback, and ``--exercise`` regrading only the cells whose check changed.

The policy is "subtract" at 0.5 points an hour, rounded to whole hours as nbgrader's
documented example does. Due 2026-03-01 12:00 UTC:

    ada  all right (3 of 3), an hour early          -> not late, no penalty
    bob  rnn_step without tanh (1 of 3), 2 h 20 late -> round(2.33) * 0.5 = 1, total 0
    cy   zero_state transposed (2 of 3), 1 h 10 late -> round(1.17) * 0.5 = 0.5, total 1.5
"""

import pytest
from nbgrader.api import Gradebook

from tests.autograder_support import (
    autograder,
    grade_class,
    learner,
    pilot_course,
    release,
    rows,
    submit,
)

pytestmark = pytest.mark.kernel

NO_TANH = "def rnn_step(x, h, W, U, b):\n    return x @ W + h @ U + b\n"
TRANSPOSED = (
    "def zero_state(batch_size, units):\n    return np.zeros((units, batch_size), np.float32)\n"
)
DUE = "pilot=2026-03-01T12:00:00+00:00"
SUBMITTED = {
    "ada": "2026-03-01 11:00:00 UTC",
    "bob": "2026-03-01 14:20:00 UTC",
    "cy": "2026-03-01 13:10:00 UTC",
}
ZERO_MESSAGE = "the shape is (units, batch_size); a state is (batch_size, units)."
TANH_MESSAGE = "the tanh is left out: h = tanh(x W + h U + b)."


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("classview")
    course_root = pilot_course(tmp)
    (course_root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.LateSubmissionPlugin.penalty_method = 'subtract'\n"
        "c.LatePolicy.points_per_hour = 0.5\n"
    )
    base = release(course_root)
    submissions = tmp / "submitted"
    for student, nb in (
        ("ada", learner(base)),
        ("bob", learner(base, rnn=NO_TANH)),
        ("cy", learner(base, zero=TRANSPOSED)),
    ):
        submit(submissions, student, nb)
        (submissions / student / "pilot" / "timestamp.txt").write_text(SUBMITTED[student])
    out = tmp / "out"
    result = _grade(course_root, submissions, out)
    return {"course": course_root, "submissions": submissions, "out": out, "first": result}


def _grade(course_root, submissions, out, *extra):
    result = grade_class(
        course_root,
        submissions,
        out,
        "--timeout",
        "20",
        "--due",
        DUE,
        *extra,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _reasons(out) -> dict[tuple[str, str], tuple[str, str]]:
    return {(r["student"], r["exercise"]): (r["points"], r["reason"]) for r in rows(out)}


def test_late_penalties_follow_nbgraders_policy_everywhere(graded):
    out = graded["out"]
    reasons = _reasons(out)
    assert ("ada", "late_submission_penalty") not in reasons
    assert reasons[("bob", "late_submission_penalty")] == (
        "-1",
        "submitted 2.3 hours after the due date; penalty 1 points",
    )
    assert reasons[("cy", "late_submission_penalty")][0] == "-0.5"
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        penalties = {
            s: gb.find_submission_notebook("pilot", "pilot", s).late_submission_penalty
            for s in SUBMITTED
        }
        # nbgrader's own total for the assignment: its score less its late penalty.
        nets = {
            s: gb.find_submission("pilot", s).score
            - gb.find_submission("pilot", s).late_submission_penalty
            for s in SUBMITTED
        }
    assert penalties == {"ada": None, "bob": 1.0, "cy": 0.5}
    assert nets == {"ada": 3.0, "bob": 0.0, "cy": 1.5}
    page = (out / "feedback" / "cy" / "pilot.html").read_text()
    assert "1.5 of 3" in page and "penalty 0.5 points" in page


def test_regrading_one_exercise_keeps_every_other_cached_cell(graded):
    course_root, submissions, out = graded["course"], graded["submissions"], graded["out"]
    checks = course_root / "exercises" / "pilot.py"
    text = checks.read_text()
    assert ZERO_MESSAGE in text and TANH_MESSAGE in text, "the pilot's messages changed"
    # Both checks are fixed, but only zero_state is asked for.
    checks.write_text(
        text.replace(ZERO_MESSAGE, "zero_state: (units, batch_size) is swapped.").replace(
            TANH_MESSAGE, "rnn_step: no tanh."
        )
    )
    try:
        result = _grade(course_root, submissions, out, "--exercise", "zero_state")
        reasons = _reasons(out)
        assert "(units, batch_size) is swapped" in reasons[("cy", "zero_state_test")][1]
        assert TANH_MESSAGE in reasons[("bob", "rnn_step_test")][1]  # kept from the cache
        assert "graded 3 notebooks" in result.stdout

        # Without --exercise, what the fixed rnn_step check versioned as stale is regraded.
        result = _grade(course_root, submissions, out)
        assert "rnn_step: no tanh." in _reasons(out)[("bob", "rnn_step_test")][1]
        result = _grade(course_root, submissions, out)
        assert "graded 0 notebooks (3 unchanged" in result.stdout
    finally:
        checks.write_text(text)


def test_an_exercise_no_cell_checks_is_refused(graded):
    result = grade_class(
        graded["course"],
        graded["submissions"],
        graded["out"],
        "--exercise",
        "lstm_cell",
    )
    assert result.returncode == 1
    assert "--exercise 'lstm_cell' is neither an exercise nor a test cell" in result.stderr
    assert "rnn_step, rnn_step_test" in result.stderr


def test_report_and_exports_of_the_graded_class(graded):
    """On what a real run wrote: the late work in the report, the net grades exported, and
    no similar pair among answers that are the solution's own code."""
    out = graded["out"]
    result = autograder("--course", str(graded["course"]), "report", str(out))
    assert result.returncode == 0, result.stderr
    assert "late: 2; flagged for review: 0; similar pairs: 0" in result.stdout
    assert "penalty 1 points" in (out / "report" / "index.html").read_text()
    assert autograder("export", str(out), "--format", "canvas").returncode == 0
    lines = (out / "export" / "canvas.csv").read_text().splitlines()
    assert lines == [
        "Student,ID,SIS User ID,SIS Login ID,Section,pilot",
        "    Points Possible,,,,,3",
        "ada,,,ada,,3",
        "bob,,,bob,,0",
        "cy,,,cy,,1.5",
    ]
