"""Due dates and late penalties as nbgrader keeps them, since ``grade`` replaces
``nbgrader autograde`` and so also its ``AssignLatePenalties`` step.

The due date is the assignment's ``duedate`` in the gradebook (``nbgrader db assignment add
--duedate``, formgrader) unless ``--due ASSIGNMENT=ISO8601`` sets it there; how late a
submission is comes from nbgrader's own ``SubmittedAssignment.total_seconds_late`` (its
``timestamp.txt`` against the due date plus any extension). The penalty comes from the plugin
nbgrader would use, configured as nbgrader is configured, in the course's
``nbgrader_config.py``::

    c.LateSubmissionPlugin.penalty_method = "zero"       # or "none" (the default), "subtract"
    c.LatePolicy.points_per_hour = 0.5                   # for "subtract"
    c.AssignLatePenalties.plugin_class = "late.SubMarks" # or a plugin of one's own

and is kept between 0 and the notebook's score, as nbgrader's ``AssignLatePenalties`` keeps it.
"""

from datetime import datetime
from pathlib import Path

from nbgrader.plugins import BasePlugin, LateSubmissionPlugin
from nbgrader.preprocessors import AssignLatePenalties
from nbgrader.utils import parse_utc
from traitlets import Enum, Float
from traitlets.config import Config, PyFileConfigLoader

from autograder.i18n import _


class LatePolicy(LateSubmissionPlugin):
    """nbgrader's ``LateSubmissionPlugin`` ("none", "zero") and "subtract": ``points_per_hour``
    for every hour late, counted in whole hours rounded as nbgrader's documented ``SubMarks``
    plugin rounds them (nbgrader 0.9 ships only "none" and "zero"; "subtract" with 1 point
    per hour is that example). Reads ``c.LateSubmissionPlugin.*`` like nbgrader's own."""

    penalty_method = Enum(
        ("none", "zero", "subtract"),
        default_value="none",
        help="'none': no penalty; 'zero': the notebook scores 0; 'subtract': points_per_hour "
        "for each hour late, rounded to whole hours.",
    ).tag(config=True)
    points_per_hour = Float(1.0, min=0.0, help="Points taken per hour late by 'subtract'.").tag(
        config=True
    )

    def late_submission_penalty(
        self, student_id: str, score: float, total_seconds_late: float
    ) -> float | None:
        if self.penalty_method == "subtract":
            return self.points_per_hour * round(total_seconds_late / 3600, 0)
        return super().late_submission_penalty(student_id, score, total_seconds_late)


def course_config(course_root: Path) -> Config:
    """The course's ``nbgrader_config.py`` as nbgrader reads it; empty when there is none."""
    if not (course_root / "nbgrader_config.py").is_file():
        return Config()
    return PyFileConfigLoader("nbgrader_config.py", path=str(course_root)).load_config()


def plugin(config: Config) -> BasePlugin:
    """The late-submission plugin ``config`` asks for, made as nbgrader makes it
    (``AssignLatePenalties.plugin_class``, configured by the same config); ``LatePolicy``
    stands in for nbgrader's default so that "subtract" is available too."""
    assign = AssignLatePenalties(config=config)
    if assign.plugin_class is LateSubmissionPlugin:
        return LatePolicy(parent=assign)
    assign.init_plugin()
    return assign.plugin_inst


def penalty(policy: BasePlugin, student: str, score: float, seconds_late: float) -> float | None:
    """What nbgrader's ``AssignLatePenalties`` stores as ``late_submission_penalty``: None
    when on time or when the plugin gives none, else the plugin's penalty kept within
    [0, score]."""
    if seconds_late <= 0:
        return None
    value = policy.late_submission_penalty(student, score, seconds_late)
    if value is None:
        return None
    return min(max(value, 0), score)


def parse_due(text: str) -> tuple[str, datetime]:
    """``ASSIGNMENT=ISO8601`` (``--due``) as (assignment, UTC time), read by nbgrader's
    ``parse_utc`` as it reads due dates and ``timestamp.txt``."""
    name, sep, when = text.partition("=")
    if not sep or not name or not when:
        raise ValueError(
            f"--due expects ASSIGNMENT=DATE, such as 01_rnn_cell=2026-03-01T23:59"
            f"+00:00. Received: {text!r}"
        )
    try:
        return name, parse_utc(when)
    except (ValueError, OverflowError) as error:
        raise ValueError(
            f"--due {text!r}: {when!r} is not a date nbgrader can read "
            f"({error}); write it as ISO 8601, such as 2026-03-01T23:59+00:00"
        ) from error


def describe(seconds_late: float, penalty_points: float | None) -> str:
    """``submitted 2.5 hours after the due date; penalty 3 points``, for grades.csv and
    feedback, in the current language (``autograder.i18n``)."""
    hours = seconds_late / 3600
    if hours >= 1:
        when = _("{hours:.1f} hours").format(hours=hours)
    else:
        when = _("{minutes:.0f} minutes").format(minutes=seconds_late / 60)
    if penalty_points:
        taken = _("penalty {points:g} points").format(points=penalty_points)
    else:
        taken = _("no penalty")
    return _("submitted {when} after the due date; {taken}").format(when=when, taken=taken)
