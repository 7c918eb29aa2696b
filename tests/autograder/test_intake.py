"""Intake, bounds and output hygiene: what reaches the grader must never stop the class.

One grading run (``--jobs 2``, 10-second cells, a 40-second notebook limit) grades a class
in which each learner tries one thing: links into other work, folders that are not
students, channel floods, slow notebooks, HTML and scripts in outputs, formula-like and
ANSI names. Each learner's problem becomes 0 points or a row with a reason, the well-behaved
learner is untouched, and the run ends with rc 0. LMS zips that lie, preflight failures and
unusable inputs get runs of their own; they exit non-zero only when the input cannot be used
or grading itself is broken, and then before the gradebook exists.
"""

import asyncio
import base64
import hashlib
import io
import json
import struct
import sys
import zipfile
from html.parser import HTMLParser

import nbformat
import numpy as np
import pytest
import zmq
import zmq.asyncio
from nbconvert import HTMLExporter
from zmq.utils.monitor import parse_monitor_message

from autograder import registry, sandbox
from autograder.execute import MAX_CHANNEL_BYTES, client_context
from autograder.learner import wire
from autograder.learner.channel import MIME
from autograder.learner.plain import to_plain
from autograder.report import spreadsheet_cell
from tests.autograder_support import (
    RNN,
    autograder,
    grade_class,
    grades,
    learner,
    peak_rss_mb,
    pilot_course,
    release,
    rows,
    submit,
)

pytestmark = pytest.mark.kernel

NOTEBOOK_TIMEOUT = 40
FULL = (("2", "passed"), ("1", "passed"))


def _channel_flood(count: int, size: int) -> str:
    """Code that sends ``count`` channel messages of ``size`` bytes from the kernel."""
    return (
        "from IPython.display import display\n"
        f"for _ in range({count}):\n"
        f"    display({{{MIME!r}: {{'kind': 'result', 'id': 'a' * 32, "
        f"'outputs': 'x' * {size}}}}}, raw=True)\n"
    )


_PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(32)).decode()
HTML_OUTPUTS = (
    "from IPython.display import HTML, SVG, Image, Javascript, Markdown, display\n"
    "display(HTML(\"<script>alert('pwned-html')</script>"
    '<b onmouseover=\\"alert(\'pwned-attr\')\\">bold</b>"))\n'
    "display(Javascript(\"alert('pwned-js')\"))\n"
    'display(SVG(\'<svg xmlns="http://www.w3.org/2000/svg" '
    'onload="alert(1)"></svg>\'))\n'
    'display(Markdown("<img src=x onerror=\\"alert(\'pwned-md\')\\">"))\n'
    "display({'application/vnd.jupyter.widget-view+json': {'model_id': 'pwned-widget', "
    "'version_major': 2, 'version_minor': 0}, 'text/plain': 'a widget'}, raw=True)\n"
    "import base64\n"
    f"display(Image(data=base64.b64decode({_PNG!r}), format='png'))\n"
    "print('plain words stay')\n"
)
FORMULA = '=HYPERLINK("evil.example","click")'
ANSI = "\x1b[31mred\x1b[0m"


def _learners(base: nbformat.NotebookNode) -> dict:
    """Each graded learner's notebook and, per exercise, (points, part of the reason)."""
    slow = learner(base)
    for number in range(8):
        cell = nbformat.v4.new_code_cell("import time\ntime.sleep(8)\n")
        cell.id = f"slow-{number}"
        slow.cells.insert(1, cell)
    html = learner(base, before_zero=HTML_OUTPUTS)
    markdown = nbformat.v4.new_markdown_cell("<script>alert('pwned-cell')</script>")
    markdown.id = "learner-markdown"
    html.cells.insert(1, markdown)
    stopped = f"not run: the notebook ran for more than {NOTEBOOK_TIMEOUT} seconds"
    big_report = (
        "_big = ['x' * 3_000_000]\n"
        "def rnn_step(x, h, W, U, b):\n"
        "    return _big.pop() if _big else np.tanh(x @ W + h @ U + b)\n"
    )
    return {
        "good": (learner(base), *FULL),
        # thirty 1 MB messages: each passes libzmq, together they pass the 5 MB cap
        "flood_many": (
            learner(base, rnn=_channel_flood(30, 2**20) + RNN),
            ("0", "printed more than 5 MB"),
            FULL[1],
        ),
        # thirty 20 MB messages, then one of 400 MB: libzmq drops each unread
        "flood_large": (
            learner(base, rnn=_channel_flood(30, 20 * 2**20) + RNN),
            ("0", "in one message, which was dropped unread"),
            FULL[1],
        ),
        "flood_huge": (
            learner(base, rnn=_channel_flood(1, 400 * 2**20) + RNN),
            ("0", "in one message, which was dropped unread"),
            FULL[1],
        ),
        "big_report": (
            learner(base, rnn=big_report),
            ("0", f"reads at most {MAX_CHANNEL_BYTES // 2**20} MB"),
            FULL[1],
        ),
        "slow": (slow, ("0", stopped), ("0", stopped)),
        "html": (html, *FULL),
        "html_error": (
            learner(
                base,
                rnn="def rnn_step(x, h, W, U, b):\n    raise ValueError("
                "\"<script>alert('pwned-feedback')</script>\")\n",
            ),
            ("0", "ValueError"),
            FULL[1],
        ),
        FORMULA: (learner(base), *FULL),
        ANSI: (learner(base), *FULL),
    }


def _refused(submissions, course_root, base) -> dict[str, str]:
    """Make each submission that must not be graded; its name and part of its reason row."""
    good = submissions / "good"
    solution = course_root / "solutions" / "pilot" / "pilot.ipynb"
    linked_notebook = submissions / "link_notebook" / "pilot" / "pilot.ipynb"
    linked_notebook.parent.mkdir(parents=True)
    linked_notebook.symlink_to(solution)
    (submissions / "link_assignment").mkdir()
    (submissions / "link_assignment" / "pilot").symlink_to(good / "pilot")
    (submissions / "link_student").symlink_to(good)
    beside = submit(submissions, "link_beside", learner(base))
    (beside.parent / "data.txt").symlink_to(course_root / "solutions" / "pilot" / "pilot_checks.py")
    for name in (".dotted", "__dunder"):
        submit(submissions, name, learner(base))
    (submissions / "stray.txt").write_text("not a student")
    link = "is a symbolic link"
    return {
        "link_notebook": link,
        "link_assignment": link,
        "link_student": link,
        "link_beside": "data.txt",
        ".dotted": "starts with '.' or '__'",
        "__dunder": "starts with '.' or '__'",
        "stray.txt": "a file where a student's",
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("intake")
    course_root = pilot_course(tmp)
    base = release(course_root)
    submissions, out = tmp / "submitted", tmp / "graded"
    learners = _learners(base)
    for name, (content, _, _) in learners.items():
        submit(submissions, name, content)
    refused = _refused(submissions, course_root, base)
    good = submissions / "good" / "pilot" / "pilot.ipynb"
    before = hashlib.sha256(good.read_bytes()).hexdigest()
    result = grade_class(
        course_root,
        submissions,
        out,
        "--jobs",
        "2",
        "--timeout",
        "10",
        "--notebook-timeout",
        str(NOTEBOOK_TIMEOUT),
        measure=True,
    )
    return {
        "result": result,
        "out": out,
        "learners": learners,
        "refused": refused,
        "good_unchanged": hashlib.sha256(good.read_bytes()).hexdigest() == before,
    }


def test_the_run_finishes_with_a_row_for_everyone(graded):
    result = graded["result"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    graded_students = {r["student"] for r in rows(graded["out"]) if r["exercise"]}
    expected = {spreadsheet_cell(name) for name in graded["learners"]}
    assert graded_students == expected
    assert graded["good_unchanged"]


@pytest.mark.parametrize(
    "name",
    [
        "flood_many",
        "flood_large",
        "flood_huge",
        "big_report",
        "slow",
        "html",
        "html_error",
        "good",
        FORMULA,
        ANSI,
    ],
)
def test_each_learner_gets_what_it_earned_with_a_reason(graded, name):
    got = grades(graded["out"])
    _, rnn, zero = graded["learners"][name]
    student = spreadsheet_cell(name)
    for exercise, (points, part) in (("rnn_step_test", rnn), ("zero_state_test", zero)):
        actual, reason = got[(student, exercise)]
        assert (actual, part in reason) == (points, True), f"{name}/{exercise}: {reason!r}"


@pytest.mark.parametrize(
    "name",
    [
        "link_notebook",
        "link_assignment",
        "link_student",
        "link_beside",
        ".dotted",
        "__dunder",
        "stray.txt",
    ],
)
def test_what_is_not_a_submission_is_a_reason_row_and_never_graded(graded, name):
    mine = [r for r in rows(graded["out"]) if r["student"] == name]
    assert mine and all(not r["exercise"] and not r["points"] for r in mine), mine
    assert any(graded["refused"][name] in r["reason"] for r in mine), mine
    assert not (graded["out"] / "results" / name).exists()


def test_floods_leave_the_grader_small(graded):
    """Before the cap, one 400 MB channel message grew the grader to 1.3 GB. With it the peak
    was 145-184 MB on a quiet machine, but up to 750 MB while other test runs loaded both
    cores (a slow grader lets libzmq queue what a flooding kernel sends): the bound is set
    above that, still well under what one unbounded message costs."""
    assert peak_rss_mb(graded["result"]) < 1000, graded["result"].stderr[-2000:]


def test_slow_cells_hold_a_slot_no_longer_than_the_notebook_limit(graded):
    result = json.loads((graded["out"] / "results" / "slow" / "pilot" / "pilot.json").read_text())
    # The limit, plus starting and stopping a kernel.
    assert result["seconds"] < NOTEBOOK_TIMEOUT + 15


def test_names_cannot_be_formulas_or_escape_sequences(graded):
    text = (graded["out"] / "grades.csv").read_text(encoding="utf-8")
    assert "\x1b" not in text
    students = {r["student"] for r in rows(graded["out"])}
    assert "'" + FORMULA in students and FORMULA not in students
    assert "red" in students


def _learner_visible(nb: nbformat.NotebookNode) -> str:
    """What formgrader shows of ``nb`` that the learner wrote, except code (shown as text)."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        for output in cell.get("outputs", []):
            parts.append(json.dumps(output))
    return "\n".join(parts)


def test_learner_html_is_neutralised_in_the_autograded_notebook(graded):
    nb = nbformat.read(graded["out"] / "autograded" / "html" / "pilot" / "pilot.ipynb", 4)
    shown = _learner_visible(nb)
    # Tags are escaped into text ("&lt;img ... onerror=..."); allowed tags lose their handlers.
    for unsafe in (
        "<script",
        "<img",
        "<svg",
        "onmouseover",
        "application/javascript",
        "image/svg+xml",
        "widget-view",
    ):
        assert unsafe not in shown, unsafe
    assert "plain words stay" in shown and "image/png" in shown
    page, _ = HTMLExporter().from_notebook_node(nb)  # what formgrader renders
    active = _Active()
    active.feed(page)
    assert active.found == []


class _Active(HTMLParser):
    """Collects what a browser would run of the learner's: event-handler attributes on any
    element, and scripts mentioning the attacks' marker."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.script = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.found += [f"<{tag} {name}=...>" for name, _ in attrs if name.startswith("on")]
        self.script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self.script = False

    def handle_data(self, data: str) -> None:
        if self.script and "pwned" in data:
            self.found.append(data)


def test_feedback_escapes_what_the_learner_wrote(graded):
    page = (graded["out"] / "feedback" / "html_error" / "pilot.html").read_text()
    assert "pwned-feedback" in page and "<script>" not in page
    assert "default-src 'none'" in page


# --- LMS zips --------------------------------------------------------------------------


def _patch_declared_size(raw: bytearray, name: str, size: int) -> None:
    """Make the zip in ``raw`` declare ``size`` bytes for ``name``, in its local header and
    in the central directory, as a lying (or bomb) zip does."""
    member = zipfile.ZipFile(io.BytesIO(bytes(raw))).getinfo(name)
    raw[member.header_offset + 22 : member.header_offset + 26] = struct.pack("<I", size)
    start = 0
    while (start := raw.find(b"PK\x01\x02", start + 1)) != -1:
        length = struct.unpack("<H", raw[start + 28 : start + 30])[0]
        if raw[start + 46 : start + 46 + length] == name.encode():
            raw[start + 24 : start + 28] = struct.pack("<I", size)


@pytest.fixture(scope="module")
def zipped(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("zips")
    course_root = pilot_course(tmp)
    base = release(course_root)
    good = nbformat.writes(learner(base)).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for student in ("ada", "bad_crc", "says_less", "says_more", "eve"):
            method = zipfile.ZIP_STORED if student == "bad_crc" else zipfile.ZIP_DEFLATED
            archive.writestr(f"{student}/pilot/pilot.ipynb", good, compress_type=method)
    raw = bytearray(buffer.getvalue())
    member = zipfile.ZipFile(io.BytesIO(bytes(raw))).getinfo("bad_crc/pilot/pilot.ipynb")
    data = member.header_offset + 30 + len(member.filename) + 100
    raw[data] ^= 0xFF  # one byte of the stored notebook flipped
    _patch_declared_size(raw, "says_less/pilot/pilot.ipynb", 1000)
    _patch_declared_size(raw, "says_more/pilot/pilot.ipynb", len(good) * 50)
    path = tmp / "class.zip"
    path.write_bytes(raw)
    out = tmp / "graded"
    result = grade_class(course_root, path, out, "--timeout", "20")
    return {"result": result, "out": out, "course": course_root, "tmp": tmp, "zip": raw}


def test_a_zip_with_unreadable_members_grades_everyone_else(zipped):
    result = zipped["result"]
    assert result.returncode == 0, result.stdout + result.stderr
    got = grades(zipped["out"])
    for student in ("ada", "eve"):
        assert got[(student, "rnn_step_test")][0] == "2"
    reasons = {
        student: " ".join(
            r["reason"]
            for r in rows(zipped["out"])
            if r["student"] == student and not r["exercise"]
        )
        for student in ("bad_crc", "says_less", "says_more")
    }
    assert "Bad CRC-32" in reasons["bad_crc"]
    assert "Bad CRC-32" in reasons["says_less"]  # inflates past what it declares
    assert "not the" in reasons["says_more"] and "it declares" in reasons["says_more"]


@pytest.mark.parametrize("kind", ["text", "truncated"])
def test_a_file_that_is_not_a_zip_is_a_clear_error(zipped, kind):
    path = zipped["tmp"] / f"{kind}.zip"
    if kind == "text":
        path.write_text("student,grade\nada,10\n")
    else:
        path.write_bytes(bytes(zipped["zip"][: len(zipped["zip"]) // 2]))
    out = zipped["tmp"] / f"out-{kind}"
    result = grade_class(zipped["course"], path, out)
    assert result.returncode == 1, result.stdout + result.stderr
    assert str(path) in result.stderr and "cannot be opened as a zip" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (out / "gradebook.db").exists()


# --- preflight ---------------------------------------------------------------------------


def _broken_environment(tmp) -> str:
    """A Python that has the course's dependencies but not the course: a venv whose
    site-packages are found through a ``.pth`` file, as when a venv was made for another
    checkout. The grader, run from this checkout, imports ``autograder`` from its working
    folder; its kernels, jailed away from this checkout, cannot."""
    import subprocess
    import sysconfig

    venv = tmp / "venv"
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    (site / "course.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return str(venv / "bin" / "python")


def test_preflight_stops_a_run_whose_solution_does_not_score(tmp_path):
    course_root = pilot_course(tmp_path)
    base = release(course_root)
    solution = course_root / "solutions" / "pilot" / "pilot.ipynb"
    nb = nbformat.read(solution, 4)
    for cell in nb.cells:
        if "np.tanh" in cell.source:
            cell.source = cell.source.replace("np.tanh(", "(")
    nbformat.write(nb, solution)
    submissions, out = tmp_path / "submitted", tmp_path / "graded"
    submit(submissions, "ada", learner(base))
    result = grade_class(
        course_root,
        submissions,
        out,
        "--timeout",
        "20",
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert "preflight failed" in result.stderr and "scores 1 of 3" in result.stderr
    assert "rnn_step_test" in result.stderr and "Traceback" not in result.stderr
    assert not (out / "gradebook.db").exists() and not (out / "grades.csv").exists()


def test_kernels_that_cannot_run_stop_the_run_before_and_after_preflight(tmp_path):
    """Broken before the first run: the preflight stops it. Broken after a preflight passed
    (its pass is cached): every notebook fails the same way, and the run says so."""
    course_root = pilot_course(tmp_path)
    base = release(course_root)
    submissions, out = tmp_path / "submitted", tmp_path / "graded"
    submit(submissions, "ada", learner(base))
    broken = _broken_environment(tmp_path)
    first = grade_class(
        course_root,
        submissions,
        tmp_path / "never",
        "--timeout",
        "20",
        python=broken,
    )
    assert first.returncode == 3, first.stdout + first.stderr
    assert "preflight failed" in first.stderr and "kernel" in first.stderr
    assert not (tmp_path / "never" / "gradebook.db").exists()

    fine = grade_class(
        course_root,
        submissions,
        out,
        "--timeout",
        "20",
    )
    assert fine.returncode == 0, fine.stdout + fine.stderr
    submit(submissions, "bob", learner(base))
    again = grade_class(
        course_root,
        submissions,
        out,
        "--timeout",
        "20",
        python=broken,
    )
    assert again.returncode == 3, again.stdout + again.stderr
    assert "every notebook graded failed for the same reason" in again.stderr
    assert grades(out)[("ada", "rnn_step_test")][0] == "2"  # kept from the first run


# --- without kernels ---------------------------------------------------------------------


def test_the_largest_legitimate_report_fits_the_channel_limit():
    """A correct answer's report for every exercise of the course, measured as the kernel
    sends it: far under the per-message limit, and all of them together under the cap."""
    sizes = []
    for name, exercise in sorted(registry.exercises().items()):
        for hidden in (False, True):
            cases = exercise.cases(np.random.default_rng(0), hidden)
            payload = wire.dumps([to_plain(exercise.expect(case)) for case in cases])
            message = {"kind": "result", "id": "0" * 32, "exercise": name, "outputs": payload}
            sizes.append(
                len(json.dumps({"data": {MIME: message}, "metadata": {}, "transient": {}}))
            )
    assert max(sizes) * 100 < MAX_CHANNEL_BYTES, max(sizes)
    assert sum(sizes) < sandbox.Limits().output_mb * 2**20, sum(sizes)


def test_libzmq_drops_a_frame_past_the_cap_and_disconnects(tmp_path):
    """Sockets made like a kernel client's: a frame under the cap arrives, one over it never
    reaches Python, and the connection drops (which ``Runner._watch`` notices)."""
    limits = sandbox.Limits()
    cap = int(limits.output_mb * 2**20)

    async def exchange() -> tuple[int, dict]:
        sender = zmq.asyncio.Context().socket(zmq.PUB)
        url = f"ipc://{tmp_path / 'socket'}"
        sender.bind(url)
        receiver = client_context(limits).socket(zmq.SUB)
        monitor = receiver.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        receiver.subscribe(b"")
        receiver.connect(url)
        await asyncio.sleep(0.3)
        await sender.send(b"x" * (cap // 2))
        small = len(await receiver.recv())
        await sender.send(b"x" * (cap * 2))
        event = parse_monitor_message(await asyncio.wait_for(monitor.recv_multipart(), 5))
        assert not await receiver.poll(200)
        return small, event

    small, event = asyncio.run(exchange())
    assert small == cap // 2
    assert event["event"] == zmq.EVENT_DISCONNECTED


def test_spreadsheet_cells_are_text():
    assert spreadsheet_cell("=1+2") == "'=1+2"
    assert [spreadsheet_cell(s) for s in ("+1", "-1", "@SUM(A1)", "\tx", "\rx")] == [
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "x",
        "x",
    ]
    assert spreadsheet_cell("\x1b]0;title\x07a\x1b[1mb\x00c\nd") == "abc d"
    assert spreadsheet_cell("line one\r\nline two", newlines=True) == "line one\nline two"
    assert spreadsheet_cell("ada") == "ada"


def test_a_notebook_limit_shorter_than_a_cell_limit_is_refused(tmp_path):
    result = autograder(
        "grade",
        str(tmp_path),
        "--out",
        str(tmp_path / "out"),
        "--timeout",
        "60",
        "--notebook-timeout",
        "30",
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--notebook-timeout (30 s) is shorter than --timeout (60 s)" in result.stderr
