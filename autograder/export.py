"""Grades in the files an LMS imports: ``python -m autograder export OUT --format F``.

One number per student and assignment: the points of every graded cell less nbgrader's late
penalty, as ``grades.csv`` (read through ``classreport.read``) adds them up. Students are
keyed by the ids nbgrader uses (the submission folders' names, the gradebook's students):
those are the LMS's login names when submissions came from JupyterHub or an LMS zip.

- ``canvas``: Canvas's gradebook CSV. The columns ``Student, ID, SIS User ID, SIS Login ID,
  Section``, then one per assignment; a second row ``Points Possible`` (indented, as Canvas
  writes it) gives each assignment's maximum. The id goes in ``SIS Login ID``, which Canvas
  matches when ``ID`` is empty. An assignment column is ``<name> (<Canvas id>)`` when its
  Canvas id is given (``--canvas-id NAME=ID``, the number in the assignment's Canvas URL),
  which updates that Canvas assignment; a column without it makes Canvas create one.
- ``moodle``: Moodle's "Import grades from CSV": an identifier column (``Username``, mapped
  to the user field "username" on import) and one column per grade item.
- ``csv``: ``student, assignment, points, max points``, one row per student and assignment.
"""

import csv
from pathlib import Path

from autograder import classreport
from autograder.report import spreadsheet_cell

FORMATS = ("canvas", "moodle", "csv")


def parse_canvas_id(text: str) -> tuple[str, str]:
    """``ASSIGNMENT=ID`` (``--canvas-id``) as (assignment, Canvas's numeric id)."""
    name, _, number = text.partition("=")
    if not name or not number.isdigit():
        raise ValueError(
            "--canvas-id expects ASSIGNMENT=ID with the number from the "
            "assignment's Canvas URL (.../assignments/12345), such as "
            f"01_rnn_cell=12345. Received: {text!r}"
        )
    return name, number


CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def _number(value: float) -> str:
    return f"{value:g}"


def rows(out: Path, format: str, canvas_ids: dict[str, str] | None = None) -> list[list[str]]:
    """The export of the class graded into ``out`` in ``format``, header first;
    ``canvas_ids`` maps an assignment to its Canvas id."""
    if format not in FORMATS:
        raise ValueError(f"--format must be one of {', '.join(FORMATS)}. Received: {format!r}")
    totals = classreport.read(out).totals
    assignments = sorted(totals)
    students = sorted({s for by_student in totals.values() for s in by_student})
    if format == "csv":
        return [["student", "assignment", "points", "max points"]] + [
            [
                spreadsheet_cell(s),
                spreadsheet_cell(a),
                _number(totals[a][s][0]),
                _number(totals[a][s][1]),
            ]
            for s in students
            for a in assignments
            if s in totals[a]
        ]
    possible = [max(m for _, m in totals[a].values()) for a in assignments]
    # A student without a submission gets an empty cell: "not graded", not a zero.
    grades = {
        s: [_number(totals[a][s][0]) if s in totals[a] else "" for a in assignments]
        for s in students
    }
    names = [spreadsheet_cell(a) for a in assignments]
    if format == "moodle":
        return [["Username", *names]] + [[spreadsheet_cell(s), *grades[s]] for s in students]
    ids = canvas_ids or {}
    names = [f"{n} ({ids[a]})" if a in ids else n for a, n in zip(assignments, names, strict=True)]
    return [
        CANVAS_COLUMNS + names,
        ["    Points Possible", "", "", "", "", *map(_number, possible)],
    ] + [[spreadsheet_cell(s), "", "", spreadsheet_cell(s), "", *grades[s]] for s in students]


def write(out: Path, format: str, canvas_ids: dict[str, str] | None = None) -> Path:
    """``out/export/<format>.csv``; its path."""
    path = out / "export" / f"{format}.csv"
    table = rows(out, format, canvas_ids)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(table)
    return path
