"""The instructor's view of a class, on a synthetic class whose grades are written here:
the report (pass rates, common mistakes, late work, review flags, similar pairs; opened in
Debian's Chromium), the LMS exports and the similarity of answers. No kernel runs: these
read what ``grade`` writes, ``grades.csv`` and the autograded notebooks.

The class, on the pilot assignment (``rnn_step_test`` 2 points, ``zero_state_test`` 1):

    ana  rnn_step 2, zero_state 1       her own answer, which ben handed in renamed
    ben  rnn_step 0 (rnn.swapped_xh), zero_state 1; 1 hour late with a 1-point penalty
    cai  rnn_step 0 (rnn.swapped_xh), zero_state 1, flagged for review
    dan  rnn_step 2, zero_state 0 (a shape mistake, shown on case 1)
    eve  rnn_step 2, zero_state 0 (the same shape mistake, shown on case 2)

so both exercises pass 3/5 (60%); the commonest mistakes are rnn.swapped_xh (2) and the
shape message (2, grouped across cases); totals are ana 3, ben 1 + 0 - 1 = 0, cai 1, dan 2,
eve 2 of 3; ana and ben are the one similar pair: cai, dan and eve wrote the solution's code,
which is boilerplate. Without the ``mistake`` column ben's and cai's reasons differ, so the
swapped inputs count as two mistakes of 1.
"""

import csv
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder import classreport, export, similarity
from autograder.cli import main
from autograder.report import COLUMNS, LATE
from tests.autograder_support import PILOT
from tests.system.browser_support import CHROMIUM, chromium_page

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "out" / "report"

SHAPE = "zero_state, case {} of 2 (B=4, H=5):\nexpected shape (4, 5), received (5, 4)"
SHAPE_MISTAKE = "expected shape (4, 5), received (5, 4)"
ROWS = [
    # student, exercise, points, max points, reason, review, mistake
    ("ana", "rnn_step_test", "2", "2", "passed", "", ""),
    ("ana", "zero_state_test", "1", "1", "passed", "", ""),
    ("ben", "rnn_step_test", "0", "2", "rnn_step: x and h swapped", "", "rnn.swapped_xh"),
    ("ben", "zero_state_test", "1", "1", "passed", "", ""),
    ("ben", LATE, "-1", "", "submitted 1.0 hours after the due date; penalty 1 points", "", ""),
    ("cai", "rnn_step_test", "0", "2", "rnn_step: h and x swapped", "", "rnn.swapped_xh"),
    ("cai", "zero_state_test", "1", "1", "passed", "calls a library RNN", ""),
    ("dan", "rnn_step_test", "2", "2", "passed", "", ""),
    ("dan", "zero_state_test", "0", "1", SHAPE.format(1), "", ""),
    ("eve", "rnn_step_test", "2", "2", "passed", "", ""),
    ("eve", "zero_state_test", "0", "1", SHAPE.format(2), "", ""),
]
OWN = (
    "def rnn_step(x, h, W, U, b):\n    pre = np.dot(x, W)\n    pre = pre + np.dot(h, U)\n"
    "    pre = pre + b\n    out = np.tanh(pre)\n    assert out.shape == pre.shape\n"
    "    return out\n"
)
RENAMED = OWN.replace("pre", "z").replace("out", "res") + "# my own work\n"
SOLUTION = "def rnn_step(x, h, W, U, b):\n    return np.tanh(x @ W + h @ U + b)\n"
ANSWERS = {"ana": OWN, "ben": RENAMED, "cai": SOLUTION, "dan": SOLUTION, "eve": SOLUTION}


def _class(out: Path, mistakes: bool = True) -> Path:
    """``out`` as ``grade`` leaves it for the class above."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        # Without ``mistakes``, grades.csv as written before it had a mistake column.
        writer.writerow(COLUMNS if mistakes else [c for c in COLUMNS if c != "mistake"])
        for student, exercise, points, most, reason, review, mistake in ROWS:
            writer.writerow(
                [student, "pilot", "pilot", exercise, points, most, reason, review]
                + [mistake] * mistakes
            )
    solution = nbformat.read(PILOT / "solutions" / "pilot" / "pilot.ipynb", as_version=4)
    for student, answer in ANSWERS.items():
        nb = nbformat.from_dict(solution)
        next(
            c
            for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade_id") == "rnn_step_answer"
        ).source = answer
        path = out / "autograded" / student / "pilot" / "pilot.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
    return out


def test_report_shows_pass_rates_mistakes_late_review_and_the_similar_pair(tmp_path):
    out = _class(tmp_path / "out")
    assert main(["--course", str(PILOT), "report", str(out)]) == 0
    view = classreport.read(out)
    rates = {x.grade_id: (x.passed, x.graded) for x in view.exercises.values()}
    assert rates == {"rnn_step_test": (3, 5), "zero_state_test": (3, 5)}
    assert view.mistakes == {
        ("pilot", "rnn_step_test", "rnn.swapped_xh"): 2,
        ("pilot", "zero_state_test", SHAPE_MISTAKE): 2,
    }
    assert {s: t[0] for s, t in view.totals["pilot"].items()} == {
        "ana": 3,
        "ben": 0,
        "cai": 1,
        "dan": 2,
        "eve": 2,
    }
    assert [r["student"] for r in view.late] == ["ben"]
    assert [(r["student"], r["review"]) for r in view.review] == [("cai", "calls a library RNN")]

    html = (out / "report" / "index.html").read_text()
    for text in (
        "60%",
        "rnn.swapped_xh",
        SHAPE_MISTAKE,
        "penalty 1 points",
        "calls a library RNN",
        "ana and ben",
        'src="scores-1.png"',
    ):
        assert text in html
    assert (out / "report" / "scores-1.png").read_bytes().startswith(b"\x89PNG")
    assert not re.search(r'(src|href)="(\w+:)?//', html)  # nothing fetched from elsewhere


def test_without_mistake_ids_mistakes_are_grouped_by_reason(tmp_path):
    view = classreport.read(_class(tmp_path / "out", mistakes=False))
    assert view.mistakes == {
        ("pilot", "rnn_step_test", "rnn_step: x and h swapped"): 1,
        ("pilot", "rnn_step_test", "rnn_step: h and x swapped"): 1,
        ("pilot", "zero_state_test", SHAPE_MISTAKE): 2,
    }


@pytest.mark.system
def test_report_opens_in_chromium(tmp_path):
    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing: `apt-get install chromium` (.ci/run does)")
    out = _class(tmp_path / "out")
    page_path, _ = classreport.write(out, PILOT)
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    with chromium_page(1100, 900, 30_000) as page:
        page.goto(page_path.as_uri())
        width = page.locator("img").first.evaluate("img => img.naturalWidth")
        page.screenshot(path=SHOTS / "report.png", full_page=True)
    assert width > 0, "the histogram did not load from the file system"


def test_similarity_flags_a_renamed_copy_but_not_the_reference_or_the_stub():
    stub = "def rnn_step(x, h, W, U, b):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    common = similarity.boilerplate([SOLUTION, stub])
    code = {
        **ANSWERS,
        "fay": stub,
        "gus": stub,
        "hal": "def rnn_step(x,h,W,U,b):\n  return np.tanh(x@W+h@U+b)  # done\n",
    }
    assert similarity.similar(code, common) == [("ana", "ben", 1.0, 1.0)]


CANVAS = """Student,ID,SIS User ID,SIS Login ID,Section,pilot
    Points Possible,,,,,3
ana,,,ana,,3
ben,,,ben,,0
"""


def test_canvas_export_is_canvas_gradebook_csv(tmp_path):
    """Canvas's gradebook import (Canvas Instructor Guide, "How do I import grades in the
    Gradebook?"): a header ``Student, ID, SIS User ID, SIS Login ID, Section`` then one
    column per assignment; a second row whose first cell is ``Points Possible`` (Canvas
    writes it indented) with each assignment's maximum; then one row per student, matched on
    ``ID``, ``SIS User ID`` or ``SIS Login ID``. An assignment column named ``name (id)``
    updates the Canvas assignment with that id; one without an id creates an assignment."""
    out = _class(tmp_path / "out")
    assert main(["export", str(out), "--format", "canvas"]) == 0
    text = (out / "export" / "canvas.csv").read_text().replace("\r\n", "\n")
    assert text.startswith(CANVAS)
    assert len(text.splitlines()) == 2 + 5
    # With its Canvas id, the column updates that Canvas assignment.
    assert main(["export", str(out), "--format", "canvas", "--canvas-id", "pilot=4321"]) == 0
    first = (out / "export" / "canvas.csv").read_text().splitlines()[0]
    assert first == "Student,ID,SIS User ID,SIS Login ID,Section,pilot (4321)"
    with pytest.raises(ValueError, match="ASSIGNMENT=ID .* Received: 'pilot'"):
        export.parse_canvas_id("pilot")


def test_moodle_export_is_keyed_by_an_identifier_column(tmp_path):
    """Moodle's "Import grades from CSV": a header row; one column identifies the user (here
    ``Username``, mapped to "username" on import) and each other column is a grade item,
    one row per user."""
    out = _class(tmp_path / "out")
    with open(export.write(out, "moodle"), newline="") as file:
        table = list(csv.reader(file))
    assert table == [
        ["Username", "pilot"],
        ["ana", "3"],
        ["ben", "0"],
        ["cai", "1"],
        ["dan", "2"],
        ["eve", "2"],
    ]


def test_plain_export_and_a_wrong_format(tmp_path):
    out = _class(tmp_path / "out")
    assert export.rows(out, "csv")[:2] == [
        ["student", "assignment", "points", "max points"],
        ["ana", "pilot", "3", "3"],
    ]
    with pytest.raises(ValueError, match="canvas, moodle, csv. Received: 'blackboard'"):
        export.rows(out, "blackboard")
