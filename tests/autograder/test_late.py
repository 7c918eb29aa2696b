"""Late penalties give nbgrader's numbers: each case is run through nbgrader's own
``AssignLatePenalties`` preprocessor on a real gradebook and through ``autograder.late``.

The class: assignment ``ps1`` due 2026-03-01 12:00 UTC, one notebook with one 10-point cell
auto-scored 7, submitted 1 hour early, 2 h 20 min late (8,400 s) or 30 hours late. nbgrader
0.9 ships the methods "none" (no penalty) and "zero" (the score); its documentation's plugin
example ``SubMarks`` takes 1 point per hour late, ``round(hours, 0)``, which is what
``LatePolicy``'s "subtract" does at ``points_per_hour`` 1. Expected, derived by hand:
none -> None; zero -> 7 when late; subtract -> round(2.33) = 2 at 2 h 20 min, and
round(30) = 30 kept to the score, 7, at 30 hours; at 0.5 points an hour, 1 and 7.
"""

from datetime import datetime, timedelta

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.plugins import BasePlugin
from nbgrader.preprocessors import AssignLatePenalties
from traitlets.config import Config

from autograder import course, i18n, late

# nbgrader 0.9's own submission code trips SQLAlchemy 2's autoflush warnings.
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
DUE = datetime(2026, 3, 1, 12, 0)  # nbgrader keeps naive UTC times
EARLY, LATE, VERY_LATE = timedelta(hours=-1), timedelta(hours=2, minutes=20), timedelta(hours=30)


class HourlyMarks(BasePlugin):
    """nbgrader's documented example plugin: 1 point for each hour late, rounded."""

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        return round(total_seconds_late / 3600, 0)


def _gradebook(tmp_path, offset: timedelta) -> str:
    course.tools_on_path()
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url) as gb:
        gb.add_assignment("ps1", duedate=DUE)
        gb.add_notebook("nb", "ps1")
        gb.add_grade_cell("q", "nb", "ps1", max_score=10, cell_type="code")
        gb.add_student("ada")
        gb.add_submission("ps1", "ada", timestamp=DUE + offset)
        gb.find_grade("q", "nb", "ps1", "ada").auto_score = 7
        gb.db.commit()
    return url


def _nbgrader(url: str, config: Config) -> float | None:
    """What ``nbgrader autograde`` stores for the notebook under ``config``."""
    resources = {
        "nbgrader": {"notebook": "nb", "assignment": "ps1", "student": "ada", "db_url": url}
    }
    AssignLatePenalties(config=config).preprocess(nbformat.v4.new_notebook(), resources)
    with Gradebook(url) as gb:
        return gb.find_submission_notebook("nb", "ps1", "ada").late_submission_penalty


def _ours(url: str, config: Config) -> float | None:
    with Gradebook(url) as gb:
        submission = gb.find_submission("ps1", "ada")
        score = gb.find_submission_notebook("nb", "ps1", "ada").score
        return late.penalty(late.plugin(config), "ada", score, submission.total_seconds_late)


def _config(
    method: str | None = None, per_hour: float | None = None, plugin: type | None = None
) -> Config:
    config = Config()
    if method:
        config.LateSubmissionPlugin.penalty_method = method
    if per_hour is not None:
        config.LatePolicy.points_per_hour = per_hour
    if plugin:
        config.AssignLatePenalties.plugin_class = plugin
    return config


@pytest.mark.parametrize(
    "offset, method, expected",
    [
        (EARLY, "none", None),
        (LATE, "none", None),
        (VERY_LATE, None, None),
        (EARLY, "zero", None),
        (LATE, "zero", 7),
        (VERY_LATE, "zero", 7),
    ],
)
def test_nbgraders_own_methods_give_nbgraders_numbers(tmp_path, offset, method, expected):
    url = _gradebook(tmp_path, offset)
    config = _config(method)
    assert _ours(url, config) == expected
    assert _nbgrader(url, config) == expected


@pytest.mark.parametrize("offset, expected", [(EARLY, None), (LATE, 2), (VERY_LATE, 7)])
def test_subtract_is_nbgraders_hourly_example(tmp_path, offset, expected):
    url = _gradebook(tmp_path, offset)
    assert _ours(url, _config("subtract")) == expected
    assert _nbgrader(url, _config(plugin=HourlyMarks)) == expected
    # A plugin of one's own, named in the config as nbgrader names it, is used as it is.
    assert _ours(url, _config(plugin=HourlyMarks)) == expected


@pytest.mark.parametrize("offset, expected", [(EARLY, None), (LATE, 1), (VERY_LATE, 7)])
def test_subtract_takes_points_per_hour(tmp_path, offset, expected):
    url = _gradebook(tmp_path, offset)
    assert _ours(url, _config("subtract", per_hour=0.5)) == expected


def test_course_config_is_read_from_nbgrader_config(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.LateSubmissionPlugin.penalty_method = 'subtract'\n"
        "c.LatePolicy.points_per_hour = 2\n"
    )
    policy = late.plugin(late.course_config(tmp_path))
    assert (policy.penalty_method, policy.points_per_hour) == ("subtract", 2)


def test_a_due_date_that_cannot_be_read_says_how_to_write_it():
    # nbgrader keeps times as naive UTC.
    assert late.parse_due("ps1=2026-03-01T12:00+01:00") == ("ps1", datetime(2026, 3, 1, 11, 0))
    with pytest.raises(ValueError, match="ASSIGNMENT=DATE"):
        late.parse_due("2026-03-01")
    with pytest.raises(ValueError, match="ISO 8601"):
        late.parse_due("ps1=next tuesday")


def test_how_late_is_said_in_the_learners_language():
    assert late.describe(9000, 3.0) == "submitted 2.5 hours after the due date; penalty 3 points"
    assert late.describe(600, None) == "submitted 10 minutes after the due date; no penalty"
    with i18n.using("zh"):
        assert late.describe(9000, 3.0) == "截止时间过后 2.5 小时才提交；扣 3 分"
        assert late.describe(600, None) == "截止时间过后 10 分钟才提交；不扣分"
