"""The instructor's view of a graded class: ``python -m autograder report OUT``.

Everything comes from what ``grade`` wrote: ``grades.csv`` (one row per graded cell, a
``late_submission_penalty`` row per late notebook, and, where the checks name them, stable
mistake ids in a ``mistake`` column) and the autograded notebooks (for similar answers). The
page, ``OUT/report/index.html``, shows per assignment the score distribution, per exercise
the pass rate, the commonest mistakes, late work, work flagged for review and similar pairs.
It works from the file system: its histograms are PNGs beside it, linked relatively, and
like the feedback pages it runs no script and loads nothing from elsewhere.
"""

import csv
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on a grading server
import matplotlib.pyplot as plt  # noqa: E402

from autograder import report, similarity  # noqa: E402

# "rnn_step, hidden case 2 of 3 (B=4, D=3, H=5):" starts a reason whose next line says what
# was wrong; the case is not part of the mistake.
_CASE = re.compile(r"\bcase \d+ of \d+\b.*:$")
_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' file:"
_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 64rem; margin: 2rem auto; padding: 0 1rem;
       color: #1d1d1f; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; }
th, td { border-bottom: 1px solid #ddd; padding: .4rem; text-align: left; vertical-align: top; }
td.text { white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: .85rem; }
td.num { text-align: right; }
.low { color: #a40e26; font-weight: bold; }
"""


@dataclass
class Exercise:
    """One graded cell across the class."""

    assignment: str
    notebook: str
    grade_id: str
    passed: int = 0
    graded: int = 0  # rows with points (cells graded by hand have none yet)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


@dataclass
class Class:
    """What the report shows, read from ``grades.csv``."""

    totals: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # a -> s -> [got, max]
    exercises: dict[tuple[str, str, str], Exercise] = field(default_factory=dict)
    mistakes: Counter = field(default_factory=Counter)  # (assignment, exercise, mistake) -> n
    late: list[dict[str, str]] = field(default_factory=list)
    review: list[dict[str, str]] = field(default_factory=list)
    pairs: list[similarity.Pair] = field(default_factory=list)


def mistake(row: dict[str, str]) -> str:
    """The failed row's mistake: its id when the checks named one (``mistake``), else its
    reason's line saying what was wrong (without which case showed it)."""
    if row.get("mistake"):
        return row["mistake"]
    lines = row["reason"].splitlines() or [""]
    if _CASE.search(lines[0]) and len(lines) > 1:
        return lines[1].strip()
    return lines[0].strip()


def read(out: Path) -> Class:
    """``out/grades.csv`` gathered per assignment, exercise and mistake."""
    path = out / "grades.csv"
    if not path.is_file():
        raise FileNotFoundError(
            f"No grades.csv in {out}: run python -m autograder grade "
            f"SUBMISSIONS --out {out} first, then report on the same folder."
        )
    view = Class()
    with open(path, newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            student, assignment = row["student"], row["assignment"]
            if not row["exercise"]:
                continue  # a submission that could not be graded; grades.csv says why
            total = view.totals.setdefault(assignment, {}).setdefault(student, [0.0, 0.0])
            total[0] += float(row["points"] or 0)
            total[1] += float(row["max points"] or 0)
            if row["exercise"] == report.LATE:
                view.late.append(row)
                continue
            if row["review"]:
                view.review.append(row)
            key = (assignment, row["notebook"], row["exercise"])
            exercise = view.exercises.setdefault(key, Exercise(*key))
            if row["points"] == "":
                continue
            exercise.graded += 1
            if float(row["points"]) == float(row["max points"]):
                exercise.passed += 1
            else:
                view.mistakes[(assignment, row["exercise"], mistake(row))] += 1
    return view


def _histogram(path: Path, assignment: str, totals: dict[str, list[float]]) -> None:
    """The distribution of the class's points on ``assignment``, as a PNG."""
    points = [got for got, _ in totals.values()]
    most = max(out_of for _, out_of in totals.values())
    figure, axes = plt.subplots(figsize=(6, 2.6), dpi=100)
    axes.hist(
        points,
        bins=min(20, max(int(most), 1)),
        range=(0, max(most, 1)),
        color="#3465a4",
        edgecolor="white",
    )
    axes.set_xlabel(f"points (of {most:g})")
    axes.set_ylabel("students")
    axes.set_title(assignment)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _table(header: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    """An HTML table of already-escaped cells; ``classes`` styles each column."""
    classes = classes or [""] * len(header)
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{c}">{cell}</td>' for c, cell in zip(classes, row, strict=True))
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _percent(value: float) -> str:
    return f"{100 * value:.0f}%"


def page(view: Class, images: dict[str, str], top: int = 10) -> str:
    """The report as HTML; every learner-controlled text escaped."""
    e = escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">',
        "<title>Class report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Class report</h1>",
    ]
    for assignment, totals in sorted(view.totals.items()):
        points = [got for got, _ in totals.values()]
        parts.append(f"<h2>{e(assignment)}</h2>")
        parts.append(
            f"<p>{len(points)} students; mean {statistics.mean(points):.1f}, median "
            f"{statistics.median(points):g} points.</p>"
        )
        parts.append(
            f'<img src="{e(images[assignment])}" alt="score distribution of {e(assignment)}">'
        )
        exercises = [x for x in view.exercises.values() if x.assignment == assignment]
        parts.append("<h3>Pass rate per exercise</h3>")
        parts.append(
            _table(
                ["notebook", "exercise", "passed", "pass rate"],
                [
                    [
                        e(x.notebook),
                        e(x.grade_id),
                        f"{x.passed}/{x.graded}",
                        f'<span class="{"low" if x.pass_rate < 0.5 else ""}">'
                        f"{_percent(x.pass_rate)}</span>",
                    ]
                    for x in exercises
                ],
                ["", "", "num", "num"],
            )
        )
        common = [(k, n) for k, n in view.mistakes.most_common() if k[0] == assignment][:top]
        parts.append("<h3>Most common mistakes</h3>")
        parts.append(
            _table(
                ["exercise", "mistake", "students"],
                [[e(k[1]), e(k[2]), str(n)] for k, n in common],
                ["", "text", "num"],
            )
            if common
            else "<p>None.</p>"
        )
    parts.append("<h2>Late submissions</h2>")
    parts.append(
        _table(
            ["student", "assignment", "notebook", "points", "what"],
            [
                [
                    e(r["student"]),
                    e(r["assignment"]),
                    e(r["notebook"]),
                    e(r["points"]),
                    e(r["reason"]),
                ]
                for r in view.late
            ],
            ["", "", "", "num", ""],
        )
        if view.late
        else "<p>None.</p>"
    )
    parts.append("<h2>Flagged for review</h2>")
    parts.append(
        _table(
            ["student", "assignment", "exercise", "why"],
            [
                [e(r["student"]), e(r["assignment"]), e(r["exercise"]), e(r["review"])]
                for r in view.review
            ],
            ["", "", "", "text"],
        )
        if view.review
        else "<p>None.</p>"
    )
    parts.append("<h2>Similar answers</h2>")
    parts.append(
        f"<p>Pairs whose answers overlap by {_percent(similarity.THRESHOLD)} or "
        "more beyond the solution and the release, for you to read: similarity is "
        "not proof, and no points were taken.</p>"
    )
    parts.append(
        _table(
            ["assignment", "notebook", "students", "overlap"],
            [
                [
                    e(p.assignment),
                    e(p.notebook),
                    f"{e(p.first)} and {e(p.second)}",
                    f"{_percent(p.first_share)} / {_percent(p.second_share)}",
                ]
                for p in view.pairs
            ],
            ["", "", "", "num"],
        )
        if view.pairs
        else "<p>None.</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def summary(view: Class, top: int = 5) -> str:
    """The report's gist for a terminal."""
    lines = []
    for assignment, totals in sorted(view.totals.items()):
        points = [got for got, _ in totals.values()]
        lines.append(
            f"{assignment}: {len(points)} students, mean "
            f"{statistics.mean(points):.1f}, median {statistics.median(points):g}"
        )
        for x in (x for x in view.exercises.values() if x.assignment == assignment):
            lines.append(
                f"  {x.notebook}/{x.grade_id}: {_percent(x.pass_rate)} passed "
                f"({x.passed}/{x.graded})"
            )
        common = [(k, n) for k, n in view.mistakes.most_common() if k[0] == assignment][:top]
        for (_, exercise, text), count in common:
            lines.append(f"  {count} x {exercise}: {text}")
    lines.append(
        f"late: {len(view.late)}; flagged for review: {len(view.review)}; "
        f"similar pairs: {len(view.pairs)}"
    )
    return report.clean("\n".join(lines), newlines=True)


def write(out: Path, course_root: Path) -> tuple[Path, Class]:
    """``out/report/index.html`` and its histograms; the page's path and what it shows."""
    view = read(out)
    view.pairs = similarity.class_pairs(out / "autograded", course_root)
    folder = out / "report"
    folder.mkdir(parents=True, exist_ok=True)
    images = {}
    for index, (assignment, totals) in enumerate(sorted(view.totals.items())):
        # Numbered, not named after the assignment: the name need not be a safe file name.
        images[assignment] = f"scores-{index + 1}.png"
        _histogram(folder / images[assignment], assignment, totals)
    index_page = folder / "index.html"
    index_page.write_text(page(view, images), encoding="utf-8")
    return index_page, view
