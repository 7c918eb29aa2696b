"""Writing grades into nbgrader's gradebook, so formgrader and nbgrader's exports see them.

Only nbgrader's own API is used: nbgrader creates the assignment, its notebooks and cells
(``generate_assignment``); this module adds students and submissions and sets each grade
cell's ``auto_score`` from our verdicts, as nbgrader's ``SaveAutoGrades`` would from its
own. A manual score a person already gave is kept, and flagged for review as nbgrader does.
All writes go through one ``Book`` in the grader's main thread, one notebook at a time.
Late penalties are nbgrader's too (``late``): each notebook's ``late_submission_penalty`` is
what ``nbgrader autograde``'s ``AssignLatePenalties`` would store.
"""

import warnings
from datetime import datetime
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.plugins import BasePlugin
from nbgrader.utils import parse_utc
from sqlalchemy.exc import SAWarning

from autograder import course, late
from autograder.course import Layout
from autograder.scoring import NotebookResult, Score


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def submitted_at(folder: Path) -> datetime | None:
    """The time in ``folder/timestamp.txt`` (written by nbgrader's submit and collect), read
    as nbgrader reads it; None when there is none or it cannot be read."""
    try:
        return parse_utc((folder / "timestamp.txt").read_text().strip())
    except (OSError, ValueError):
        return None


def comment_text(score: Score) -> str | None:
    """A graded cell's gradebook comment: why it failed, then what the screen flagged, then
    ``mistake: <id>`` on a last line when the mistake was recognised (so a class report can
    count mistakes from the gradebook alone); None when there is nothing to say."""
    mistake = f"mistake: {score.mistake}" if score.mistake else None
    reason = None if score.passed else score.reason
    return "\n".join(filter(None, [reason, score.review, mistake])) or None


class Book:
    """The gradebook at ``db_url`` for this course. ``policy`` is the late-submission plugin
    (``late.plugin``; no penalty when None) and ``due`` due dates to store over the
    gradebook's own (``--due``)."""

    def __init__(
        self, db_url: str, policy: BasePlugin | None = None, due: dict[str, datetime] | None = None
    ) -> None:
        course.tools_on_path()
        # nbgrader 0.9's submission code trips SQLAlchemy 2's autoflush warnings; they are
        # about nbgrader's session handling, not our data, and would bury the progress lines.
        warnings.filterwarnings("ignore", category=SAWarning)
        self.gb = Gradebook(db_url, course.COURSE_ID)
        self.policy = policy or late.LatePolicy()
        self.due = due or {}

    def close(self) -> None:
        self.gb.close()

    def layouts(self, source_root: Path, assignment: str) -> dict[str, Layout]:
        """Record ``assignment`` with nbgrader (and its ``--due`` date, if given) and return
        each notebook's layout."""
        layouts = course.layouts_from_gradebook(self.gb, source_root, assignment)
        if assignment in self.due:
            self.gb.update_or_create_assignment(assignment, duedate=self.due[assignment])
        return layouts

    def record(
        self, result: NotebookResult, layout: Layout, submitted_at: datetime | None = None
    ) -> None:
        """Store ``result``'s scores; every write of one notebook is one transaction.
        ``submitted_at`` is the submission's ``timestamp.txt``: formgrader counts a
        submission as autograded only when the gradebook holds the same time."""
        gb = self.gb
        try:
            gb.update_or_create_student(result.student)
            extra = {"timestamp": submitted_at} if submitted_at is not None else {}
            gb.update_or_create_submission(result.assignment, result.student, **extra)
            for score in result.scores:
                grade = gb.find_grade(
                    score.grade_id, result.notebook, result.assignment, result.student
                )
                grade.auto_score = score.points
                # What the screen flagged is for a person to read, as nbgrader flags a grade.
                grade.needs_manual_grade = (
                    score.points is None or grade.manual_score is not None or bool(score.review)
                )
            comments = {s.grade_id: comment_text(s) for s in result.scores}
            pending: list[str] = []
            for cell in layout.cells:
                if cell.kind == "answer":
                    pending.append(cell.grade_id)
                    continue
                if cell.kind not in ("test", "manual", "task"):
                    continue
                for answer in pending:
                    comment = gb.find_comment(
                        answer, result.notebook, result.assignment, result.student
                    )
                    if answer in result.unanswered:
                        comment.auto_comment = "No response."
                    else:
                        comment.auto_comment = comments.get(cell.grade_id)
                pending = []
            self._assess_late(result)
            gb.db.commit()
        except Exception:
            gb.db.rollback()
            raise

    def _assess_late(self, result: NotebookResult) -> None:
        """Store nbgrader's late penalty for ``result``'s notebook, and copy how late it was
        and the penalty onto ``result`` for grades.csv and feedback."""
        gb = self.gb
        submission = gb.find_submission(result.assignment, result.student)
        notebook = gb.find_submission_notebook(result.notebook, result.assignment, result.student)
        gb.db.flush()
        gb.db.refresh(notebook)  # its score is computed by the database from the new grades
        result.late_seconds = submission.total_seconds_late
        result.late_penalty = late.penalty(
            self.policy, result.student, notebook.score, result.late_seconds
        )
        notebook.late_submission_penalty = result.late_penalty
