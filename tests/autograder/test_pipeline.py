"""The grading workflow around the trust cases: identical regrades, resuming, one student,
LMS zips, the learner's self-check, and the release made by nbgrader itself."""

import filecmp
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import nbformat
import pytest

from tests.autograder_support import (
    ROOT,
    autograder,
    grade_class,
    grades,
    learner,
    pilot_course,
    release,
    submit,
)

pytestmark = pytest.mark.kernel

WRONG_RNN = "def rnn_step(x, h, W, U, b):\n    return x @ W + h @ U + b\n"


@pytest.fixture(scope="module")
def pilot(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pipeline")
    course_root = pilot_course(tmp)
    base = release(course_root)
    submissions = tmp / "submitted"
    submit(submissions, "ada", learner(base))
    submit(submissions, "bob", learner(base, rnn=WRONG_RNN))
    submit(submissions, "cy", base)
    return {"tmp": tmp, "course": course_root, "base": base, "submissions": submissions}


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        children = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(todo.pop())], capture_output=True, text=True
        ).stdout.split()
        found |= {int(c) for c in children}
        todo += [int(c) for c in children]
    return found


def _alive(pids: set[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.append(pid)
    return alive


def _grade(pilot, out, *extra):
    result = grade_class(
        pilot["course"],
        pilot["submissions"],
        out,
        "--timeout",
        "20",
        *extra,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_regrading_gives_identical_results(pilot):
    out = pilot["tmp"] / "twice"
    first = _grade(pilot, out)
    assert "3 notebooks" in first.stdout
    csv_bytes = (out / "grades.csv").read_bytes()
    page = (out / "feedback" / "bob" / "pilot.html").read_bytes()
    again = _grade(pilot, out)
    assert "graded 0 notebooks (3 unchanged" in again.stdout
    shutil.rmtree(out / "results")  # forget everything: every notebook runs again
    third = _grade(pilot, out)
    assert "graded 3 notebooks" in third.stdout
    assert (out / "grades.csv").read_bytes() == csv_bytes
    assert (out / "feedback" / "bob" / "pilot.html").read_bytes() == page


def test_an_interrupted_run_resumes_where_it_stopped(pilot):
    out = pilot["tmp"] / "interrupted"
    env = dict(os.environ, PATH=f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "autograder",
            "--course",
            str(pilot["course"]),
            "grade",
            str(pilot["submissions"]),
            "--out",
            str(out),
            "--jobs",
            "1",
            "--timeout",
            "20",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    kernels: set[int] = set()
    for line in process.stderr:
        if line.startswith("[1/3]"):
            time.sleep(0.5)  # the next notebook's kernel is starting
            kernels = _descendants(process.pid)
            process.send_signal(signal.SIGKILL)  # as hard as an interruption gets
            break
    process.wait(timeout=120)
    results = list((out / "results").rglob("*.json"))
    assert len(results) == 1
    assert kernels
    # The killed grader's kernels die with it (a zombie waiting to be reaped is dead too).
    deadline = time.monotonic() + 10
    while _alive(kernels) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(kernels)
    resumed = _grade(pilot, out, "--jobs", "1")
    assert "resuming: 1 of 3 notebooks already graded" in resumed.stderr
    after_resume = grades(out)
    shutil.rmtree(out / "results")  # the same grading, uninterrupted
    _grade(pilot, out)
    assert grades(out) == after_resume


def test_one_student_is_regraded_alone(pilot):
    out = pilot["tmp"] / "twice"  # graded by the first test
    ada_result = out / "results" / "ada" / "pilot" / "pilot.json"
    before = ada_result.read_bytes()
    fixed = pilot["tmp"] / "fixed"
    shutil.copytree(pilot["submissions"], fixed)
    submit(fixed, "bob", learner(pilot["base"]))
    result = grade_class(
        pilot["course"],
        fixed,
        out,
        "--student",
        "bob",
        "--timeout",
        "20",
    )
    assert result.returncode == 0, result.stderr
    assert "graded 1 notebooks" in result.stdout
    assert grades(out)[("bob", "rnn_step_test")][0] == "2"
    assert ada_result.read_bytes() == before
    missing = grade_class(
        pilot["course"],
        fixed,
        out,
        "--student",
        "nobody",
    )
    assert missing.returncode == 1 and "No submissions from student 'nobody'" in missing.stderr


def test_an_lms_zip_is_graded_like_a_folder(pilot):
    archive = pilot["tmp"] / "canvas.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("ada_12345_67890_pilot.ipynb", nbformat.writes(learner(pilot["base"])))
        zipped.writestr(
            "bob_late_22_33_pilot-1.ipynb", nbformat.writes(learner(pilot["base"], rnn=WRONG_RNN))
        )
        zipped.writestr("../evil.ipynb", "{}")
        zipped.writestr("readme.txt", "not a notebook")
    out = pilot["tmp"] / "zip"
    result = grade_class(
        pilot["course"],
        archive,
        out,
        "--timeout",
        "20",
    )
    assert result.returncode == 0, result.stderr
    got = grades(out)
    assert got[("ada", "rnn_step_test")][0] == "2"
    assert got[("bob", "rnn_step_test")][0] == "0"
    assert "unsafe path" in (out / "grades.csv").read_text()
    nested = pilot["tmp"] / "nested.zip"
    with zipfile.ZipFile(nested, "w") as zipped:
        for path in pilot["submissions"].rglob("*.ipynb"):
            zipped.write(path, "export/" + str(path.relative_to(pilot["submissions"])))
    out2 = pilot["tmp"] / "zip2"
    result = grade_class(
        pilot["course"],
        nested,
        out2,
        "--timeout",
        "20",
    )
    assert result.returncode == 0, result.stderr
    assert {s for s, _ in grades(out2)} == {"ada", "bob", "cy"}


def test_the_self_check_teaches_without_hidden_tests(pilot):
    folder = pilot["tmp"] / "learner" / "pilot"
    folder.mkdir(parents=True)
    shutil.copy(pilot["course"] / "course" / "pilot" / "pilot_checks.py", folder)
    nbformat.write(learner(pilot["base"], rnn=WRONG_RNN), folder / "pilot.ipynb")
    result = autograder(
        "--course", str(pilot["course"]), "check", str(folder / "pilot.ipynb"), "--timeout", "20"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL      0/2  rnn_step_test" in result.stdout
    assert "PASS      1/1  zero_state_test" in result.stdout
    assert "tanh is left out" in result.stdout
    assert "hidden case" not in result.stdout
    nbformat.write(learner(pilot["base"]), folder / "pilot.ipynb")
    assert (
        autograder(
            "--course", str(pilot["course"]), "check", str(folder / "pilot.ipynb")
        ).returncode
        == 0
    )


def test_release_is_what_nbgrader_generate_assignment_makes(pilot):
    ours = pilot["tmp"] / "ours"
    shutil.copytree(pilot["course"] / "solutions", ours / "solutions")
    result = autograder("--course", str(ours), "release")
    assert result.returncode == 0, result.stderr
    theirs = pilot["tmp"] / "theirs"
    shutil.copytree(pilot["course"] / "solutions", theirs / "source")
    nbgrader = os.path.join(os.path.dirname(sys.executable), "nbgrader")
    done = subprocess.run(
        [nbgrader, "generate_assignment", "pilot", "--no-db"],
        cwd=theirs,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    compared = filecmp.dircmp(ours / "course" / "pilot", theirs / "release" / "pilot")
    # nbgrader's release, and beside each notebook the course's glossary (release.py).
    assert compared.right_list == ["pilot.ipynb", "pilot_checks.py"]
    assert compared.left_list == ["GLOSSARY.md", *compared.right_list]
    assert not filecmp.cmpfiles(
        ours / "course" / "pilot", theirs / "release" / "pilot", compared.left_list, shallow=False
    )[1]


def test_errors_are_written_for_a_person(tmp_path):
    result = autograder(
        "--course", str(tmp_path), "grade", str(tmp_path), "--out", str(tmp_path / "out")
    )
    assert result.returncode == 1
    assert "No assignments found" in result.stderr and "Traceback" not in result.stderr
    assert ROOT.exists()
