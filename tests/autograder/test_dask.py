"""Grading on a real Dask cluster: a scheduler and two workers started as processes on
127.0.0.1 (``dask scheduler``, ``dask worker --nthreads 1``), the class graded through them
equal to a local grading of it (a late penalty included), equal again when a worker is
SIGKILLed mid-notebook, and when the grading process itself is killed and run again."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.autograder_support import (
    ROOT,
    autograder,
    grade_class,
    learner,
    pilot_course,
    release,
    rows,
    submit,
)

# Kernels on every worker, and a scheduler and workers running beside the tests.
pytestmark = [pytest.mark.kernel, pytest.mark.system]

WRONG_RNN = "def rnn_step(x, h, W, U, b):\n    return x @ W + h @ U + b\n"
# ada submits 2 hours late and loses 0.5 points an hour, as the coordinator's gradebook says.
DUE = "pilot=2026-03-01T12:00:00+00:00"
ADA_SUBMITTED = "2026-03-01 14:00:00 UTC"
DASK = str(Path(sys.executable).parent / "dask")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(*args: str, log: Path) -> subprocess.Popen:
    """``dask ARGS`` in a session of its own, importing this checkout's autograder."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with open(log, "w") as out:
        return subprocess.Popen(
            ["nice", DASK, *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(process: subprocess.Popen) -> None:
    """The process we started, and what it started (its process group), killed."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The pilot class (one right, one wrong, one blank, one partly answered), its local
    grading, and a running scheduler with two workers."""
    from distributed import Client

    tmp = tmp_path_factory.mktemp("dask")
    course_root = pilot_course(tmp)
    (course_root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.LateSubmissionPlugin.penalty_method = 'subtract'\n"
        "c.LatePolicy.points_per_hour = 0.5\n"
    )
    base = release(course_root)
    submissions = tmp / "submitted"
    submit(submissions, "ada", learner(base))
    (submissions / "ada" / "pilot" / "timestamp.txt").write_text(ADA_SUBMITTED)
    submit(submissions, "bob", learner(base, rnn=WRONG_RNN))
    submit(submissions, "cy", base)
    submit(submissions, "dee", learner(base, zero=None))
    local = tmp / "local"
    done = grade_class(
        course_root,
        submissions,
        local,
        "--jobs",
        "2",
        "--due",
        DUE,
    )
    assert done.returncode == 0, done.stderr
    address = f"tcp://127.0.0.1:{_free_port()}"
    processes = [
        _start(
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            address.rsplit(":", 1)[1],
            "--no-dashboard",
            log=tmp / "scheduler.log",
        )
    ]
    try:
        workers = {}
        for name in ("one", "two"):
            workers[name] = _start(
                "worker",
                address,
                "--nthreads",
                "1",
                "--no-nanny",
                "--name",
                name,
                "--host",
                "127.0.0.1",
                "--no-dashboard",
                log=tmp / f"worker-{name}.log",
            )
            processes.append(workers[name])
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=60)
        yield {
            "tmp": tmp,
            "course": course_root,
            "submissions": submissions,
            "local": local,
            "address": address,
            "workers": workers,
        }
    finally:
        for process in processes:
            _stop(process)


def _out_like_local(cluster, name: str) -> Path:
    """An output folder holding the local run's key: the same key, the same cases."""
    out = cluster["tmp"] / name
    out.mkdir()
    shutil.copy(cluster["local"] / "grading.key", out / "grading.key")
    return out


def _grade_command(cluster, out: Path) -> list[str]:
    return [
        "--course",
        str(cluster["course"]),
        "grade",
        str(cluster["submissions"]),
        "--out",
        str(out),
        "--scheduler",
        cluster["address"],
        "--due",
        DUE,
    ]


def _start_grading(cluster, out: Path) -> subprocess.Popen:
    """``grade --scheduler`` as a process of its own, to be interrupted."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.Popen(
        [sys.executable, "-m", "autograder", *_grade_command(cluster, out)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_class_graded_on_two_workers_equals_local_grading(cluster):
    out = _out_like_local(cluster, "on-dask")
    done = autograder(*_grade_command(cluster, out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "on the workers of" in done.stdout
    assert rows(out) == rows(cluster["local"])
    late = [r for r in rows(out) if r["exercise"] == "late_submission_penalty"]
    assert [(r["student"], r["points"]) for r in late] == [("ada", "-1")]
    assert sorted(p.name for p in (out / "autograded").iterdir()) == ["ada", "bob", "cy", "dee"]


def test_a_worker_killed_mid_notebook_loses_nothing(cluster):
    from distributed import Client

    out = _out_like_local(cluster, "killed")
    grading = _start_grading(cluster, out)
    passed = out / "results" / ".preflight" / "passed"
    with Client(cluster["address"], timeout="60s") as client:
        deadline = time.monotonic() + 90
        # Past the preflight, both workers in the middle of a learner's notebook.
        while not (passed.exists() and all(client.processing().values())):
            if time.monotonic() > deadline:
                pytest.fail("the two workers were never busy with learners' notebooks at once")
            time.sleep(0.2)
    cluster["workers"]["one"].send_signal(signal.SIGKILL)
    stdout, stderr = grading.communicate(timeout=300)
    assert grading.returncode == 0, stdout + stderr
    assert cluster["workers"]["one"].wait() == -signal.SIGKILL
    assert rows(out) == rows(cluster["local"])


def test_an_interrupted_run_resumes_from_what_it_recorded(cluster):
    out = _out_like_local(cluster, "interrupted")
    grading = _start_grading(cluster, out)
    learners = out / "results"
    deadline = time.monotonic() + 300
    # Killed as soon as a learner's result is recorded, while the others are being graded.
    while not any(learners.glob("[!.]*/pilot/pilot.json")):
        if grading.poll() is not None or time.monotonic() > deadline:
            pytest.fail("no learner's result was recorded before the run ended or timed out")
        time.sleep(0.1)
    grading.send_signal(signal.SIGKILL)
    grading.wait()
    recorded = len(list(learners.glob("[!.]*/pilot/pilot.json")))
    assert 1 <= recorded < 4, f"{recorded} results recorded: the run was not interrupted"
    again = autograder(*_grade_command(cluster, out))
    assert again.returncode == 0, again.stdout + again.stderr
    assert (
        f"graded {4 - recorded} notebooks ({recorded} unchanged since the last run)" in again.stdout
    ), again.stdout
    assert rows(out) == rows(cluster["local"])


def test_a_submission_travels_with_its_files_and_its_overflow(tmp_path):
    """What a worker unpacks copies into a job as the submission itself would: the same
    files, and past ``MAX_COPIED_BYTES`` the same stop (a sparse file: nothing is read)."""
    from autograder.cluster import Submission
    from autograder.pipeline import MAX_COPIED_BYTES, copy_files
    from autograder.submissions import Task

    folder = tmp_path / "sent" / "ada" / "pilot"
    (folder / "data").mkdir(parents=True)
    (folder / "pilot.ipynb").write_text("{}")
    (folder / "data" / "a.txt").write_text("a")
    (folder / ".hidden").write_text("never sent")
    with open(folder / "z.bin", "wb") as big:
        big.truncate(MAX_COPIED_BYTES + 1)
    task = Task("ada", "pilot", "pilot", folder / "pilot.ipynb")
    submission = Submission.pack(task)
    assert [name for name, _ in submission.files] == ["data/a.txt"]
    assert submission.overflow == ("z.bin", MAX_COPIED_BYTES + 1)
    received = tmp_path / "received"
    received.mkdir()
    unpacked = submission.unpack(received)
    assert unpacked.path.read_text() == "{}"
    works = {}
    for name, source in (("local", task), ("worker", unpacked)):
        works[name] = tmp_path / f"work-{name}"
        works[name].mkdir()
        assert copy_files(source, works[name], None) is False
    assert sorted(p.relative_to(works["local"]) for p in works["local"].rglob("*")) == sorted(
        p.relative_to(works["worker"]) for p in works["worker"].rglob("*")
    )


def test_a_worker_whose_checks_differ_refuses_to_grade(tmp_path):
    """A worker builds the run's context again from its own files: where an exercise's check
    differs from the coordinator's (the grader and the assignment hash the same), its tasks
    fail rather than grade under another check."""
    from autograder import sandbox
    from autograder.context import RunContext

    course_root = pilot_course(tmp_path)
    coordinator = RunContext.for_class(
        b"key", course_root / "solutions", ["pilot"], sandbox.Limits(), "none", None
    )
    same = RunContext.on_worker(coordinator.plain(), "none", None)
    assert same.versions["pilot"].exercise == coordinator.versions["pilot"].exercise
    checks = course_root / "exercises" / "pilot.py"
    checks.write_text(checks.read_text() + "\n# changed on this worker only\n")
    with pytest.raises(RuntimeError, match="exercises differ from the coordinator's"):
        RunContext.on_worker(coordinator.plain(), "none", None)
