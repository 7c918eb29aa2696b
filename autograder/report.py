"""What a grading run shows a person: progress while it runs, ``grades.csv``, a summary table."""

import csv
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from autograder.scoring import NotebookResult
from autograder.submissions import Problem

COLUMNS = [
    "student", "assignment", "notebook", "exercise", "points", "max points", "reason", "mistake"
]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def write_csv(path: Path, results: Iterable[NotebookResult], problems: Iterable[Problem]) -> None:
    """One row per graded cell, then one per thing that was not graded; sorted, so that the
    same grades always give the same file. ``mistake`` is the id of the mistake a failure
    was recognised as (empty when none), for counting them over a class."""
    rows = []
    for result in results:
        for score in result.scores:
            rows.append([result.student, result.assignment, result.notebook, score.grade_id,
                         _number(score.points), _number(score.max_points), score.reason,
                         score.mistake or ""])
    for problem in problems:
        rows.append([problem.student, problem.assignment, problem.notebook, "", "", "",
                     problem.reason, ""])
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
        row = [student]
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
            f"[{self.done}/{self.total}] {result.student}/{result.assignment}/{result.notebook}: "
            f"{result.points:g}/{result.max_points:g} in {result.seconds:.1f} s | "
            f"{rate:.1f} notebooks/min, about {left:.0f} s left",
            file=self.stream,
            flush=True,
        )
