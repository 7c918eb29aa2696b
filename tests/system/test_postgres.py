"""The gradebook on a real PostgreSQL server, as nbgrader recommends for several graders.

The test starts a throwaway server on 127.0.0.1 in a temporary folder and stops it after.
It fails, never skips, when PostgreSQL or a Python driver for it is missing: install them
with ``scripts/ci-setup.sh`` (Debian's ``postgresql``) and the project's test extras.
"""

import glob
import importlib.util
import os
import pathlib
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
from nbgrader.api import Gradebook

from autograder import course
from tests.autograder_support import (
    RNN,
    autograder,
    grades,
    learner,
    pilot_course,
    release,
    submit,
)

pytestmark = pytest.mark.system

WRONG_RNN = "def rnn_step(x, h, W, U, b):\n    return x @ W + h @ U + b\n"


def _binaries() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found and shutil.which("initdb"):
        found = [shutil.which("initdb")]
    if not found:
        pytest.fail(
            "PostgreSQL is not installed; run scripts/ci-setup.sh "
            "(apt-get install postgresql) to test the gradebook on it."
        )
    return os.path.dirname(found[-1])


def _driver() -> str:
    if importlib.util.find_spec("psycopg2"):
        return "postgresql+psycopg2"
    if importlib.util.find_spec("psycopg"):
        return "postgresql+psycopg"
    pytest.fail("No PostgreSQL driver for SQLAlchemy: install psycopg2-binary or psycopg.")


@pytest.fixture(scope="module")
def postgres():
    bin_dir, driver = _binaries(), _driver()
    # Not under pytest's folder, which only root may enter.
    folder = pathlib.Path(tempfile.mkdtemp(prefix="autograder-postgres-"))
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir()
    # PostgreSQL refuses to run as root: use its own account, or nobody's.
    account = "postgres"
    try:
        pwd.getpwnam(account)
    except KeyError:
        account = "nobody"
    user = pwd.getpwnam(account)
    for path in (folder, sockets):
        os.chown(path, user.pw_uid, user.pw_gid)
    as_user = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]
    subprocess.run(
        [
            *as_user,
            f"{bin_dir}/initdb",
            "-D",
            str(data),
            "-U",
            "grader",
            "--auth=trust",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
        cwd=folder,
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            *as_user,
            f"{bin_dir}/postgres",
            "-D",
            str(data),
            "-p",
            str(port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-k",
            str(sockets),
            "-c",
            "fsync=off",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=folder,
    )
    try:
        deadline = time.monotonic() + 60
        while (
            subprocess.run(
                [f"{bin_dir}/pg_isready", "-h", "127.0.0.1", "-p", str(port)], capture_output=True
            ).returncode
            != 0
        ):
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail("The throwaway PostgreSQL server did not start.")
            time.sleep(0.3)
        subprocess.run(
            [
                f"{bin_dir}/createdb",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "grader",
                "gradebook",
            ],
            check=True,
            capture_output=True,
        )
        yield f"{driver}://grader@127.0.0.1:{port}/gradebook"
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def test_grading_into_postgresql(postgres, tmp_path):
    course_root = pilot_course(tmp_path)
    base = release(course_root)
    submissions, out = tmp_path / "submitted", tmp_path / "graded"
    for number in range(4):
        submit(submissions, f"s{number}", learner(base, rnn=WRONG_RNN if number % 2 else RNN))
    args = [
        "--course",
        str(course_root),
        "grade",
        str(submissions),
        "--out",
        str(out),
        "--db",
        postgres,
        "--jobs",
        "2",
        "--timeout",
        "20",
    ]
    result = autograder(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (out / "gradebook.db").exists()
    got = grades(out)
    gradebook = Gradebook(postgres, course.COURSE_ID)
    try:
        for number in range(4):
            student = f"s{number}"
            expected = 1.0 if number % 2 else 3.0
            assert gradebook.find_submission("pilot", student).score == expected
            assert got[(student, "zero_state_test")][0] == "1"
        assert len(gradebook.students) == 4
    finally:
        gradebook.close()
    again = autograder(*args)  # the same grades again: nothing graded twice, nothing lost
    assert again.returncode == 0 and "graded 0 notebooks (4 unchanged" in again.stdout
