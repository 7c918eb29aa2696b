"""What a grading run shows a person: progress while it runs, ``grades.csv``, a summary table.

Student names, notebook names and reasons come from submissions, so everything written here
goes through ``clean``: no terminal escape sequences or other control characters reach a
terminal or a spreadsheet, and no ``grades.csv`` cell can be read as a formula.
"""

import csv
import re
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from autograder import late
from autograder.scoring import NotebookResult
from autograder.submissions import Problem

COLUMNS = [
    "student",
    "assignment",
    "notebook",
    "exercise",
    "points",
    "max points",
    "reason",
    "review",
    "mistake",
]
# The exercise of the row that flags a late notebook (nbgrader's name for its penalty); its
# points are minus the penalty, so a notebook's rows add up to what nbgrader counts.
LATE = "late_submission_penalty"
# ANSI/VT100 escape sequences (CSI, OSC and the two-character ones), then the C0 and C1
# control characters left; what would colour, move or retitle a terminal.
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
# What makes Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP, "CSV
# Injection"): such a cell gets a leading single quote, which they show as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean(text: str, newlines: bool = False) -> str:
    """``text`` without escape sequences and control characters; newlines are kept only
    when ``newlines`` (a reason's lines), else they become spaces."""
    text = _ESCAPES.sub("", text.replace("\r\n", "\n"))
    if not newlines:
        text = text.replace("\n", " ")
    return _CONTROLS.sub("", text)


def spreadsheet_cell(text: str, newlines: bool = False) -> str:
    """``clean(text)``, quoted with a leading ``'`` if a spreadsheet would take it for a
    formula."""
    text = clean(text, newlines)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def write_csv(path: Path, results: Iterable[NotebookResult], problems: Iterable[Problem]) -> None:
    """One row per graded cell, then one per thing that was not graded; sorted, so that the
    same grades always give the same file."""
    rows = []

    def row(
        student: str,
        assignment: str,
        notebook: str,
        exercise: str,
        points: str,
        max_points: str,
        reason: str,
        review: str,
        mistake: str,
    ) -> list[str]:
        names = [spreadsheet_cell(t) for t in (student, assignment, notebook, exercise)]
        texts = [spreadsheet_cell(t, newlines=True) for t in (reason, review)]
        return [*names, points, max_points, *texts, spreadsheet_cell(mistake)]

    for result in results:
        for score in result.scores:
            # A flag on the notebook as a whole shows on each of its rows, so that filtering
            # the review column finds every notebook an instructor should read.
            review = "\n".join(filter(None, [score.review, *result.review]))
            rows.append(
                row(
                    result.student,
                    result.assignment,
                    result.notebook,
                    score.grade_id,
                    _number(score.points),
                    _number(score.max_points),
                    score.reason,
                    review,
                    score.mistake or "",
                )
            )
        if result.late_seconds > 0:
            rows.append(
                row(
                    result.student,
                    result.assignment,
                    result.notebook,
                    LATE,
                    _number(0.0 - (result.late_penalty or 0.0)),
                    "",
                    late.describe(result.late_seconds, result.late_penalty),
                    "",
                    "",
                )
            )
    for problem in problems:
        rows.append(
            row(
                problem.student,
                problem.assignment,
                problem.notebook,
                "",
                "",
                "",
                problem.reason,
                "",
                "",
            )
        )
    rows.sort(key=lambda row: row[:4])
    temporary = path.with_suffix(".tmp")
    with open(temporary, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    temporary.replace(path)


def summary(results: Iterable[NotebookResult]) -> str:
    """Students down, assignments across, ``points/max`` in each cell."""
    table: dict[str, dict[str, list[float]]] = {}
    assignments: set[str] = set()
    for result in results:
        cell = table.setdefault(result.student, {}).setdefault(result.assignment, [0.0, 0.0])
        cell[0] += result.points
        cell[1] += result.max_points
        assignments.add(result.assignment)
    columns = sorted(assignments)
    header = ["student", *columns, "total"]
    lines = []
    for student in sorted(table):
        row = [clean(student)]
        total = [0.0, 0.0]
        for assignment in columns:
            got = table[student].get(assignment)
            row.append(f"{got[0]:g}/{got[1]:g}" if got else "-")
            if got:
                total[0] += got[0]
                total[1] += got[1]
        row.append(f"{total[0]:g}/{total[1]:g}")
        lines.append(row)
    widths = [max(len(r[i]) for r in [header, *lines]) for i in range(len(header))]
    render = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *lines]
    ]
    render.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(render)


class Progress:
    """Prints one line per finished notebook: count, rate and time left."""

    def __init__(self, total: int, stream: TextIO = sys.stderr) -> None:
        self.total = total
        self.done = 0
        self.graded = 0
        self.started = time.monotonic()
        self.stream = stream

    def skip(self, count: int) -> None:
        """``count`` notebooks already graded by an earlier run."""
        self.done += count
        if count:
            print(f"resuming: {count} of {self.total} notebooks already graded", file=self.stream)

    def finished(self, result: NotebookResult) -> None:
        self.done += 1
        self.graded += 1
        elapsed = time.monotonic() - self.started
        rate = self.graded / elapsed * 60 if elapsed > 0 else 0.0
        left = (self.total - self.done) / (self.graded / elapsed) if self.graded else 0.0
        print(
            f"[{self.done}/{self.total}] "
            f"{clean(f'{result.student}/{result.assignment}/{result.notebook}')}: "
            f"{result.points:g}/{result.max_points:g} in {result.seconds:.1f} s | "
            f"{rate:.1f} notebooks/min, about {left:.0f} s left",
            file=self.stream,
            flush=True,
        )
