"""The grading kernel's jail, seen from inside a real grading kernel.

One kernel, started by the autograder's ``Runner`` as grading starts them, runs a probe that
reports what it can see and do: the readable file system, its processes, its user,
capabilities and limits, a connection to a listener of this test, imports of the reference
and of the grader's side. Each test checks one part of that report against the allowlist
(``autograder.sandbox``): what is not bound must not exist. A last test grades the pilot
course from a virtual environment whose editable install names a checkout that is gone.

Needs bubblewrap and root or unprivileged user namespaces (CI runs as root).
"""

import asyncio
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from autograder import sandbox
from autograder.execute import Runner
from tests.autograder_support import (
    ROOT,
    grades,
    learner,
    pilot_course,
    release,
    run_in_jail,
    submit,
)

LEVEL = sandbox.probe()
pytestmark = [
    pytest.mark.kernel,
    pytest.mark.skipif(LEVEL == "none", reason="bubblewrap cannot confine kernels here"),
]
# As root, the user-namespace level (an instructor's account) is checked too.
LEVELS = {"root": ["root", "user"], "user": ["user"]}.get(LEVEL, [])

SITE = Path(sysconfig.get_paths()["purelib"])
IN_VENV = sys.prefix != sys.base_prefix
PYTHON_VERSION = f"python{sys.version_info.major}.{sys.version_info.minor}"
INSIDE_SITE = (
    (Path("/opt/venv/lib") if IN_VENV else Path("/opt/python/lib"))
    / PYTHON_VERSION
    / "site-packages"
)
LIMITS = sandbox.Limits(timeout=60)

# Run in the kernel: everything it reports, as one JSON line.
PROBE = r"""
import importlib, json, os, resource, socket, sys
args = json.loads(ARGS)
report = {}
report["listing"] = {d: sorted(os.listdir(d)) for d in args["folders"] if os.path.isdir(d)}
report["links"] = {n: os.readlink("/" + n) for n in os.listdir("/") if os.path.islink("/" + n)}
report["exists"] = {p: os.path.lexists(p) for p in args["absent"]}
report["covered"] = {}
for path in args["covered"]:
    try:
        report["covered"][path] = os.listdir(path) if os.path.isdir(path) else open(path).read()
    except OSError:
        report["covered"][path] = "unreadable"
report["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
report["pid"] = os.getpid()
report["uid"] = [os.getuid(), os.geteuid(), os.getgid(), os.getegid(), os.getgroups()]
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
report["status"] = {k: v.strip() for k, v in status.items() if k.startswith(("Cap", "NoNew"))}
report["rlimits"] = {n: resource.getrlimit(getattr(resource, n))[1] for n in args["rlimits"]}
report["tmp_bytes"] = os.statvfs("/tmp").f_blocks * os.statvfs("/tmp").f_frsize
report["interfaces"] = sorted(line.split(":")[0].strip()
                              for line in open("/proc/net/dev").read().splitlines()[2:])
try:
    socket.create_connection(("127.0.0.1", args["port"]), timeout=3).close()
    report["connected"] = True
except OSError as error:
    report["connected"] = repr(error)
report["imports"] = {}
for name in args["imports"]:
    try:
        module = importlib.import_module(name)
        report["imports"][name] = getattr(module, "__file__", None) or "namespace"
    except ImportError as error:
        report["imports"][name] = None
report["writable"] = {}
for path in args["writes"]:
    try:
        with open(path, "w") as file:
            file.write("x")
        report["writable"][path] = True
    except OSError:
        report["writable"][path] = False
print(json.dumps(report))
"""


def _run_probe(tmp: Path, level: str, args: dict) -> dict:
    """Run ``PROBE`` with ``args`` in a grading kernel of a ``level`` job in ``tmp``."""
    source = f"ARGS = {json.dumps(json.dumps(args))}\n{PROBE}"
    cell, job = run_in_jail(tmp, source, level, LIMITS)
    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    return {**json.loads(text.strip().splitlines()[-1]), "job": job}


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    """Copies of ``solutions/`` and ``rnnref`` outside the checkout, as another checkout or a
    careless download leaves them, and another student's folder."""
    folder = Path(tempfile.mkdtemp(prefix="jail-outside-", dir="/var/tmp"))
    folder.chmod(0o755)
    shutil.copytree(ROOT / "solutions", folder / "solutions")
    shutil.copytree(ROOT / "rnnref", folder / "rnnref")
    (folder / "submitted" / "eve" / "pilot").mkdir(parents=True)
    (folder / "submitted" / "eve" / "pilot" / "pilot.ipynb").write_text("{}")
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module", params=LEVELS)
def seen(request, tmp_path_factory, outside):
    tmp = tmp_path_factory.mktemp("jail")
    tmp.chmod(0o755)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    folders = [
        "/",
        "/etc",
        "/opt",
        "/opt/rnn-course",
        "/opt/rnn-course/lib",
        "/opt/rnn-course/lib/autograder",
        "/job",
        "/tmp",
        "/dev",
        "/opt/python",
        "/usr",
        str(INSIDE_SITE),
        str(INSIDE_SITE / "__pycache__"),
    ]
    if IN_VENV:
        folders += [
            "/opt/venv",
            "/opt/venv/bin",
            "/opt/venv/lib",
            f"/opt/venv/lib/{PYTHON_VERSION}",
        ]
    absent = [
        str(ROOT),
        str(ROOT / "solutions"),
        str(ROOT / "rnnref"),
        str(Path.home()),
        str(outside),
        str(outside / "solutions"),
        str(outside / "rnnref"),
        str(outside / "submitted" / "eve"),
        str(tmp),
        str(SITE),
        sys.prefix,
        sys.base_prefix,
        "/var",
        "/home",
        "/root",
        "/srv",
        "/mnt",
        "/sys",
        "/run",
        "/etc/shadow",
        "/etc/hostname",
    ]
    imports = [
        "autograder",
        "autograder.learner",
        "autograder.learner.checks.rnn_cell",
        "autograder.learner.wire",
        "autograder.exercises",
        "autograder.exercises.rnn_cell",
        "autograder.judge",
        "autograder.selfjudge",
        "autograder.grading",
        "autograder.sandbox",
        "autograder.registry",
        "rnnref",
        "rnnref.np",
    ]
    writes = [
        "/job/work/mine.txt",
        "/job/inbox/case.json",
        "/job/kernel.json",
        "/tmp/scratch",
        str(INSIDE_SITE / "planted.py"),
        "/opt/rnn-course/lib/autograder/planted.py",
        "/etc/passwd",
        "/usr/planted",
        "/opt/planted",
        "/job/planted",
    ]
    covered = [
        str(INSIDE_SITE / path.relative_to(SITE))
        for path in [*SITE.iterdir(), *(SITE / "__pycache__").iterdir()]
        if _own(path.name)
    ]
    args = {
        "folders": folders,
        "absent": absent,
        "covered": covered,
        "port": listener.getsockname()[1],
        "imports": imports,
        "writes": writes,
        "rlimits": [
            "RLIMIT_AS",
            "RLIMIT_NPROC",
            "RLIMIT_CPU",
            "RLIMIT_FSIZE",
            "RLIMIT_NOFILE",
            "RLIMIT_CORE",
        ],
    }
    listener.settimeout(0.1)
    try:
        report = _run_probe(tmp, request.param, args)
        try:
            listener.accept()
            report["accepted"] = True
        except OSError:
            report["accepted"] = False
    finally:
        listener.close()
    return report


def _own(name: str) -> bool:
    """A name in site-packages that belongs to this project's installation."""
    return "rnn_course" in name or name in ("rnnref", "autograder")


def test_the_file_system_is_exactly_the_allowlist(seen):
    listing = seen["listing"]
    host_links = {
        p.name: os.readlink(p)
        for p in Path("/").iterdir()
        if p.is_symlink() and p.name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
    }
    host_dirs = {
        n
        for n in ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
        if Path("/", n).is_dir() and not Path("/", n).is_symlink()
    }
    assert listing["/"] == sorted(
        {"dev", "etc", "job", "opt", "proc", "tmp", "usr"} | set(host_links) | host_dirs
    )
    assert seen["links"] == host_links
    etc = {"passwd", "group"} | {
        n
        for n in ("ld.so.cache", "localtime", "nsswitch.conf", "fonts")
        if Path("/etc", n).exists()
    }
    assert listing["/etc"] == sorted(etc)
    assert listing["/opt"] == sorted(["python", "rnn-course"] + (["venv"] if IN_VENV else []))
    assert listing["/opt/rnn-course"] == ["lib"]
    assert listing["/opt/rnn-course/lib"] == ["autograder"]
    assert listing["/opt/rnn-course/lib/autograder"] == ["__init__.py", "learner"]
    assert listing["/job"] == ["inbox", "ipc", "kernel.json", "work"]
    assert listing["/tmp"] == []
    assert listing["/usr"] == sorted(os.listdir("/usr"))
    assert listing["/opt/python"] == sorted(os.listdir(sys.base_prefix))
    if IN_VENV:
        assert listing["/opt/venv"] == ["bin", "lib", "pyvenv.cfg"]
        assert listing["/opt/venv/bin"] == ["python"]
        assert listing["/opt/venv/lib"] == [PYTHON_VERSION]
        assert listing[f"/opt/venv/lib/{PYTHON_VERSION}"] == ["site-packages"]
    # This project's entries are there, emptied: nothing to import, no checkout path to read.
    assert listing[str(INSIDE_SITE)] == sorted(os.listdir(SITE))
    assert listing[str(INSIDE_SITE / "__pycache__")] == sorted(os.listdir(SITE / "__pycache__"))
    assert seen["covered"], "this project is not installed in this environment"
    covered = seen["covered"]
    assert all(found in ("unreadable", "", []) for found in covered.values()), covered
    devices = {
        "console",
        "core",
        "fd",
        "full",
        "null",
        "ptmx",
        "pts",
        "random",
        "shm",
        "stderr",
        "stdin",
        "stdout",
        "tty",
        "urandom",
        "zero",
    }
    assert set(listing["/dev"]) <= devices


def test_nothing_outside_the_allowlist_exists(seen):
    assert [path for path, exists in seen["exists"].items() if exists] == []


def test_kernels_import_the_learner_side_only(seen):
    imports = seen["imports"]
    assert imports["autograder"] == "/opt/rnn-course/lib/autograder/__init__.py"
    assert imports["autograder.learner.checks.rnn_cell"].startswith("/opt/rnn-course/lib/")
    assert imports["autograder.learner.wire"] == "/opt/rnn-course/lib/autograder/learner/wire.py"
    for grader_side in (
        "autograder.exercises",
        "autograder.exercises.rnn_cell",
        "autograder.judge",
        "autograder.selfjudge",
        "autograder.grading",
        "autograder.sandbox",
        "autograder.registry",
        "rnnref",
        "rnnref.np",
    ):
        assert imports[grader_side] is None, f"{grader_side} imported from {imports[grader_side]}"


def test_only_the_job_folder_and_tmp_are_writable(seen):
    assert seen["writable"] == {
        "/job/work/mine.txt": True,
        "/job/inbox/case.json": False,
        "/job/kernel.json": False,
        "/tmp/scratch": True,
        str(INSIDE_SITE / "planted.py"): False,
        "/opt/rnn-course/lib/autograder/planted.py": False,
        "/etc/passwd": False,
        "/usr/planted": False,
        "/opt/planted": False,
        "/job/planted": False,
    }
    assert seen["tmp_bytes"] == LIMITS.scratch_mb * 2**20


def test_proc_shows_only_the_kernels_own_processes(seen):
    # PID 1 is bwrap's init; prlimit and setpriv exec, so the kernel itself is the other one.
    assert seen["pids"] == sorted({1, seen["pid"]})


def test_there_is_no_network(seen):
    assert seen["connected"] is not True
    assert seen["accepted"] is False
    assert seen["interfaces"] == ["lo"]


def test_the_kernel_runs_as_its_own_user_without_privileges(seen):
    if seen["job"].level == "root":
        uid = seen["job"].uid
        assert seen["uid"][:4] == [uid, uid, uid, uid] and seen["uid"][4] in ([], [uid])
    for name in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
        assert int(seen["status"][name], 16) == 0, name
    if seen["job"].level == "root":  # bubblewrap run by an unprivileged user keeps it
        assert int(seen["status"]["CapBnd"], 16) == 0
    assert seen["status"]["NoNewPrivs"] == "1"


def test_the_kernel_has_the_limits(seen):
    assert seen["rlimits"] == {
        "RLIMIT_AS": LIMITS.memory_mb * 2**20,
        "RLIMIT_NPROC": LIMITS.processes,
        "RLIMIT_CPU": int(LIMITS.timeout * 4 + 60),
        "RLIMIT_FSIZE": LIMITS.file_mb * 2**20,
        "RLIMIT_NOFILE": 1024,
        "RLIMIT_CORE": 0,
    }


def test_stopping_the_kernel_stops_every_process_it_started(tmp_path):
    tmp_path.chmod(0o755)
    marker = str(900_000 + os.getpid())  # a sleep no one else runs
    source = (
        "import os, subprocess\n"
        f"subprocess.Popen(['sleep', '{marker}'], start_new_session=True)\n"
        "if os.fork() == 0:\n"  # a daemon: its parent exits at once
        "    os.setsid()\n"
        f"    os.execvp('sleep', ['sleep', '{marker}'])\n"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    job = sandbox.Job(tmp_path / "job-1", 42, LEVEL, sandbox.copy_learner_side(tmp_path / "lib"))
    job.create()
    runs = asyncio.run(Runner(nb, job, LIMITS, {}, lambda *_: []).run())
    assert runs[0].status == "ok", runs[0].error

    def left() -> list[str]:
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if marker in Path(f"/proc/{pid}/cmdline").read_bytes().decode():
                    found.append(pid)
            except OSError:
                continue
        return found

    deadline = time.monotonic() + 10
    while left() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left() == []


def test_the_probe_tries_bubblewrap_for_real(tmp_path, monkeypatch):
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\nexit 1\n")  # installed, but not allowed to do anything
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    sandbox.probe.cache_clear()
    try:
        assert sandbox.probe() == "none"
        assert "cannot isolate" in sandbox.warning("none")
    finally:
        monkeypatch.undo()
        sandbox.probe.cache_clear()
    assert sandbox.probe() == LEVEL


def _venv_from_a_gone_checkout(tmp: Path) -> Path:
    """A virtual environment with the class's packages (hard links to this one's, made in
    about two seconds) and this environment's editable install of rnn-course, moved to
    name a checkout that is gone."""
    finders = sorted(SITE.glob("__editable__*rnn_course*finder.py"))
    if not finders:
        pytest.skip("rnn-course is not installed in editable mode in this environment")
    if os.stat(SITE).st_dev != os.stat(tmp).st_dev:
        pytest.skip("the temporary folder is on another file system than site-packages")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = venv / "lib" / PYTHON_VERSION / "site-packages"
    site.rmdir()
    subprocess.run(["cp", "-al", str(SITE), str(site)], check=True)
    spec = importlib.util.spec_from_file_location("finder", finders[0])
    finder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(finder)
    checkout = str(Path(finder.MAPPING["autograder"]).parent)
    moved = site / finders[0].name
    text = moved.read_text().replace(checkout, str(tmp / "gone-checkout"))
    moved.unlink()  # a hard link to this environment's finder: write a file of its own
    moved.write_text(text)
    for stale in (site / "__pycache__").glob(f"{finders[0].stem}.*.pyc"):
        stale.unlink()
    return venv


def test_grading_works_from_a_venv_installed_from_another_checkout(tmp_path):
    tmp_path.chmod(0o755)
    venv = _venv_from_a_gone_checkout(tmp_path)
    gone = subprocess.run(
        [venv / "bin" / "python", "-c", "import autograder"], cwd=tmp_path, capture_output=True
    )
    assert gone.returncode != 0, "the venv's own install still works: the test proves nothing"
    course_root = pilot_course(tmp_path)
    submissions, out = tmp_path / "submitted", tmp_path / "graded"
    submit(submissions, "ada", learner(release(course_root)))
    env = dict(os.environ, PATH=f"{venv / 'bin'}:{os.environ['PATH']}")
    # This checkout's grader (python -m puts the working folder first) with the other venv.
    result = subprocess.run(
        [
            venv / "bin" / "python",
            "-m",
            "autograder",
            "--course",
            str(course_root),
            "grade",
            str(submissions),
            "--out",
            str(out),
            "--timeout",
            "60",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    got = grades(out)
    assert got[("ada", "rnn_step_test")][0] == "2", got
    assert got[("ada", "zero_state_test")][0] == "1", got
