"""What grading must withstand: broken notebooks, runaway code and hostile code.

One grading run (``--jobs 2``, 10-second cells) grades a class of learners, each breaking
the pilot assignment in one way, beside a well-behaved learner. Each test then checks one
learner: the exercise it breaks gets 0 with a clear reason, its correct exercise keeps its
points, nobody else is touched, the gradebook agrees with ``grades.csv``, and the run ends.

The hostile learners can only pass by failing to attack: their answer is right only when
the attack found nothing (no secret file readable, no write landed, no connection made), so
full points prove the sandbox held.
"""

import hashlib
import json
import socket
import threading

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import course
from tests.autograder_support import (
    RNN,
    ROOT,
    ZERO,
    grade_class,
    grades,
    learner,
    pilot_course,
    release,
    rows,
    submit,
)

pytestmark = pytest.mark.kernel

WRONG_RNN = "def rnn_step(x, h, W, U, b):\n    return x @ W + h @ U + b\n"  # forgot the tanh
WRONG_ZERO = (  # the shape transposed
    "def zero_state(batch_size, units):\n    return np.zeros((units, batch_size), np.float32)\n"
)


def _only_if(condition: str, right: str, wrong_body: str) -> str:
    """An answer that is right only when ``condition`` (an expression) holds."""
    header = right.splitlines()[0]
    wrong = f"{header}\n    {wrong_body}\n"
    indent = lambda text: "".join("    " + line + "\n" for line in text.splitlines())  # noqa: E731
    return f"if {condition}:\n{indent(right)}else:\n{indent(wrong)}"


def _learners(base, paths: dict) -> dict:
    """Each learner's notebook (or raw file content) and, per exercise, (points, reason part)."""
    secrets = [
        paths["gradebook"],
        paths["key"],
        paths["good"],
        paths["solution"],
        paths["rnnref"],
        paths["solutions_dir"],
    ]
    targets = [
        paths["gradebook"],
        paths["good"],
        paths["released"],
        paths["checks_copy"],
        paths["channel"],
    ]
    read_attempt = (
        "import os\n_seen = []\n"
        f"for _p in {[str(p) for p in secrets]!r}:\n"
        "    try:\n"
        "        if os.path.isdir(_p):\n"
        "            if os.listdir(_p):\n"
        "                _seen.append(_p)\n"
        "        else:\n"
        "            open(_p, 'rb').read(1)\n"
        "            _seen.append(_p)\n"
        "    except OSError:\n"
        "        pass\n"
        "print('readable:', _seen)\n"
    )
    write_attempt = (
        "_wrote = []\n"
        f"for _p in {[str(p) for p in targets]!r}:\n"
        "    try:\n"
        "        with open(_p, 'a') as _f:\n"
        "            _f.write('# hacked')\n"
        "        _wrote.append(_p)\n"
        "    except OSError:\n"
        "        pass\n"
        "print('written:', _wrote)\n"
    )
    network_attempt = (
        "import socket\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {paths['port']}), timeout=3).close()\n"
        "    _net = True\n"
        "except OSError:\n"
        "    _net = False\n"
        "print('connected:', _net)\n"
    )
    # Other kernels' jobs, wherever the grader keeps them, must not be in the kernel's view.
    peek_attempt = (
        "import glob, os\n"
        "_inbox = os.listdir(os.environ['AUTOGRADER_CHANNEL'])\n"
        "_job = os.path.dirname(os.environ['AUTOGRADER_CHANNEL'])\n"
        "_jobs = [p for p in glob.glob(os.path.join(os.path.dirname(_job), 'job-*'))\n"
        "         + glob.glob('/tmp/autograder-jobs-*') if p != _job]\n"
        "print(_inbox, _jobs)\n"
    )

    def flood(count: int, size: int) -> str:
        return (
            "from IPython.display import display\n"
            f"for _ in range({count}):\n"
            "    display({'application/vnd.rnn-autograder.v1+json': {'kind': 'result', "
            f"'id': 'f' * 32, 'exercise': 'rnn_step', 'outputs': 'x' * {size}}}}}, "
            "raw=True)\n"
        )

    forged = (
        "from IPython.display import display\n"
        "display({'application/vnd.rnn-autograder.v1+json': {'kind': 'result', "
        "'id': 'f' * 32, 'exercise': 'zero_state', 'outputs': '{\"list\": []}'}}, raw=True)\n"
    )
    v3 = nbformat.writes(learner(base), version=3)
    empty = nbformat.v4.new_notebook(metadata=base.metadata)
    deleted = learner(base)
    deleted.cells = [
        c
        for c in deleted.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") != "rnn_step_test"
    ]
    edited = learner(base, rnn=WRONG_RNN)
    for cell in edited.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "rnn_step_test":
            cell.source = "pass  # the test, edited away"
    retyped = learner(base)
    for cell in retyped.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "rnn_step_test":
            cell.cell_type = "markdown"
            del cell["outputs"], cell["execution_count"]
        if grade_id == "zero_state_answer":
            cell.cell_type = "raw"
            del cell["outputs"], cell["execution_count"]
    duplicated = learner(base)
    test_cell = next(
        c
        for c in duplicated.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") == "rnn_step_test"
    )
    copy = nbformat.from_dict(test_cell)
    duplicated.cells.insert(1, copy)  # same cell id and grade id, above the answer
    duplicated.cells[4].id = duplicated.cells[3].id

    full = ("2", "passed")
    return {
        # learner: (content, (rnn_step points, reason part), (zero_state points, reason part))
        "good": (learner(base), full, ("1", "passed")),
        "mistakes": (
            learner(base, rnn=WRONG_RNN, zero=WRONG_ZERO),
            ("0", "tanh is left out"),
            ("0", "(units, batch_size)"),
        ),
        "blank": (base, ("0", "NotImplementedError"), ("0", "NotImplementedError")),
        # broken notebooks
        "invalid_json": ('{"cells": [', ("0", "not valid JSON"), ("0", "not valid JSON")),
        "empty_file": (b"", ("0", "empty"), ("0", "empty")),
        "no_cells": (
            empty,
            ("0", "answer cell had been deleted"),
            ("0", "answer cell had been deleted"),
        ),
        "missing": (None, ("0", "missing"), ("0", "missing")),
        "nbformat3": (v3, full, ("1", "passed")),
        "deleted_test": (deleted, ("2", "deleted and was put back"), ("1", "passed")),
        "edited_test": (edited, ("0", "edited and was restored"), ("1", "passed")),
        "changed_types": (retyped, ("2", "restored"), ("1", "turned back into code")),
        # Raw JSON: nbformat.write would repair the duplicate cell ids before they reach us.
        "duplicate_ids": (json.dumps(duplicated), ("2", "second cell claiming"), ("1", "passed")),
        # runaway code
        "infinite_loop": (
            learner(base, rnn="while True:\n    pass\n" + RNN),
            ("0", "more than 10 seconds"),
            ("1", "passed"),
        ),
        "sleep_forever": (
            learner(base, zero="import time\ndef zero_state(b, u):\n    time.sleep(10**6)\n"),
            full,
            ("0", "more than 10 seconds"),
        ),
        "memory_bomb": (
            learner(
                base,
                rnn=RNN.replace("return", "_ = np.ones(2**40)\n    return"),
                before_zero="_hog = []\nwhile True:\n    _hog.append(bytearray(2**28))\n",
            ),
            ("0", "MemoryError"),
            ("1", "passed"),
        ),
        "fork_bomb": (
            learner(base, before_zero="import os\nwhile True:\n    os.fork()\n"),
            full,
            ("1", "passed"),
        ),
        "prints_100mb": (
            learner(base, rnn="print('x' * 100_000_000)\n" + RNN),
            ("0", "printed more than"),
            ("1", "passed"),
        ),
        "sys_exit": (
            learner(base, zero="import sys\nsys.exit('bye')\n" + ZERO),
            full,
            ("0", "SystemExit"),
        ),
        "os_exit": (
            learner(base, rnn="import os\nos._exit(3)\n" + RNN),
            ("0", "exited with status 3"),
            ("1", "passed"),
        ),
        "segfault": (
            learner(base, zero="import ctypes\nctypes.string_at(0)\n" + ZERO),
            full,
            ("0", "segmentation fault"),
        ),
        "kills_kernel": (
            learner(base, rnn="import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n" + RNN),
            ("0", "kernel died"),
            ("1", "passed"),
        ),
        # hostile code
        "rebinds_numpy": (
            learner(
                base,
                rnn="def rnn_step(x, h, W, U, b):\n    return x\n",
                before_rnn="import builtins\nnp.allclose = lambda *a, **k: "
                "True\nnp.testing.assert_allclose = lambda *a, **k: None\n"
                "np.array_equal = lambda *a, **k: True\n"
                "builtins.abs = lambda x: 0\n",
            ),
            ("0", "rnn_step"),
            ("1", "passed"),
        ),
        "rebinds_checks": (
            learner(
                base,
                rnn=WRONG_RNN,
                zero=WRONG_ZERO,
                before_rnn="check.rnn_step = lambda *a, **k: None\n",
                before_zero=forged,
            ),
            ("0", "never reported"),
            ("0", "(units, batch_size)"),
        ),
        "always_equal": (
            learner(
                base,
                rnn="class _Eq:\n    shape = (2, 4)\n"
                "    def __eq__(self, other):\n        return True\n"
                "def rnn_step(x, h, W, U, b):\n    return _Eq()\n",
                zero="class _Arr(np.ndarray):\n"
                "    def __eq__(self, other):\n        return True\n"
                "def zero_state(b, u):\n"
                "    return np.ones((b, u), np.float32).view(_Arr)\n",
            ),
            ("0", "_Eq"),
            ("0", "_Arr"),
        ),
        "imports_rnnref": (
            learner(base, rnn="def rnn_step(x, h, W, U, b):\n    import rnnref.np\n    return x\n"),
            ("0", "rnnref"),
            ("1", "passed"),
        ),
        "reads_secrets": (
            learner(base, before_rnn=read_attempt, rnn=_only_if("not _seen", RNN, "return x")),
            full,
            ("1", "passed"),
        ),
        "writes_files": (
            learner(
                base, before_zero=write_attempt, zero=_only_if("not _wrote", ZERO, "return None")
            ),
            full,
            ("1", "passed"),
        ),
        "opens_network": (
            learner(base, before_rnn=network_attempt, rnn=_only_if("not _net", RNN, "return x")),
            full,
            ("1", "passed"),
        ),
        # floods of the grading channel: a blank notebook that floods scores as blank does,
        # a perfect one loses only the exercise whose cell sent a message past the cap
        "floods_channel": (
            learner(base, rnn=None, zero=None, before_rnn=flood(30, 2**20)),
            ("0", "NotImplementedError"),
            ("0", "NotImplementedError"),
        ),
        "huge_message": (
            learner(base, rnn=flood(1, 400 * 2**20) + RNN),
            ("0", "dropped unread"),
            ("1", "passed"),
        ),
        "peeks_at_cases": (
            learner(
                base,
                before_rnn=peek_attempt,
                rnn=_only_if("not _inbox and not _jobs", RNN, "return x"),
            ),
            full,
            ("1", "passed"),
        ),
    }


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("trust")
    course_root = pilot_course(tmp)
    base = release(course_root)
    submissions, out = tmp / "submitted", tmp / "graded"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.5)
    accepted: list = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(listener.accept())
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    paths = {
        "gradebook": out / "gradebook.db",
        "key": out / "grading.key",
        "good": submissions / "good" / "pilot" / "pilot.ipynb",
        "solution": course_root / "solutions" / "pilot" / "pilot.ipynb",
        "solutions_dir": ROOT / "solutions",
        "rnnref": ROOT / "rnnref" / "__init__.py",
        "released": course_root / "course" / "pilot" / "pilot.ipynb",
        "checks_copy": course_root / "solutions" / "pilot" / "pilot_checks.py",
        "channel": ROOT / "autograder" / "learner" / "channel.py",
        "port": listener.getsockname()[1],
    }
    learners = _learners(base, paths)
    for name, (content, _, _) in learners.items():
        if content is None:
            (submissions / name / "pilot").mkdir(parents=True)
            (submissions / name / "pilot" / "notes.txt").write_text("my notebook is elsewhere")
        else:
            submit(submissions, name, content)
    submit(submissions, "good", learner(base), assignment="no_such_assignment")
    watched = [
        paths["good"],
        paths["released"],
        paths["checks_copy"],
        paths["channel"],
        paths["solution"],
    ]
    before = {p: _digest(p) for p in watched}
    result = grade_class(
        course_root,
        submissions,
        out,
        "--jobs",
        "2",
        "--timeout",
        "10",
    )
    stop.set()
    listener.close()
    return {
        "result": result,
        "out": out,
        "learners": learners,
        "accepted": accepted,
        "changed": [p for p in watched if _digest(p) != before[p]],
        "course": course_root,
    }


def test_the_run_finishes_and_reports_every_learner(graded):
    result = graded["result"]
    assert result.returncode == 0, result.stdout + result.stderr
    students = {r["student"] for r in rows(graded["out"])}
    assert set(graded["learners"]) <= students
    assert f"[{len(graded['learners'])}/{len(graded['learners'])}]" in result.stderr
    assert "no such assignment" in (graded["out"] / "grades.csv").read_text()


CASES = [
    "good",
    "mistakes",
    "blank",
    "invalid_json",
    "empty_file",
    "no_cells",
    "missing",
    "nbformat3",
    "deleted_test",
    "edited_test",
    "changed_types",
    "duplicate_ids",
    "infinite_loop",
    "sleep_forever",
    "memory_bomb",
    "fork_bomb",
    "prints_100mb",
    "sys_exit",
    "os_exit",
    "segfault",
    "kills_kernel",
    "rebinds_numpy",
    "rebinds_checks",
    "always_equal",
    "imports_rnnref",
    "reads_secrets",
    "writes_files",
    "opens_network",
    "peeks_at_cases",
    "floods_channel",
    "huge_message",
]


@pytest.mark.parametrize("name", CASES)
def test_each_exercise_gets_what_it_earned_with_a_reason(graded, name):
    got = grades(graded["out"])
    _, rnn, zero = graded["learners"][name]
    for exercise, (points, part) in (("rnn_step_test", rnn), ("zero_state_test", zero)):
        actual_points, reason = got[(name, exercise)]
        assert actual_points == points, f"{name}/{exercise}: {actual_points} ({reason})"
        assert part in reason, f"{name}/{exercise}: {reason!r} lacks {part!r}"
        assert reason.strip(), f"{name}/{exercise} has no reason"


def test_feedback_names_each_failure(graded):
    page = (graded["out"] / "feedback" / "mistakes" / "pilot.html").read_text()
    assert "tanh is left out" in page and "0 of 3" in page


def test_nothing_outside_the_sandbox_was_touched(graded):
    assert graded["changed"] == []
    assert graded["accepted"] == []


def test_the_gradebook_agrees_with_grades_csv(graded):
    totals: dict[str, float] = {}
    for row in rows(graded["out"]):
        if row["points"] and row["assignment"] == "pilot":
            totals[row["student"]] = totals.get(row["student"], 0.0) + float(row["points"])
    gradebook = Gradebook(f"sqlite:///{graded['out'] / 'gradebook.db'}", course.COURSE_ID)
    try:
        for student, total in totals.items():
            submission = gradebook.find_submission("pilot", student)
            assert submission.score == pytest.approx(total), student
            assert submission.max_score == 3
        assert {s.id for s in gradebook.students} == set(totals)
    finally:
        gradebook.close()


def test_autograded_notebooks_score_the_same_under_nbgrader(graded):
    """formgrader and nbgrader's feedback read the autograded notebooks: they must agree."""
    from nbgrader.utils import determine_grade

    got = grades(graded["out"])
    for name in ("good", "mistakes", "rebinds_checks"):
        nb = nbformat.read(graded["out"] / "autograded" / name / "pilot" / "pilot.ipynb", 4)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in ("rnn_step_test", "zero_state_test"):
                points, _ = determine_grade(cell)
                assert f"{points:g}" == got[(name, grade_id)][0], (name, grade_id)
