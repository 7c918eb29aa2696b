"""How a grading kernel is confined: no network, hidden files, its own user, resource limits.

Three levels, chosen once per run by ``probe``:

- ``root`` (the grader runs as root, as CI and a grading server do): ``unshare`` gives the
  kernel new network, mount and PID namespaces; ``autograder.jail`` hides the course's
  solutions, the reference, the gradebook and the other submissions, then runs the kernel
  as a user id of its own (one per notebook, so one submission's fork bomb or files
  cannot touch another's) with limits on memory, processes, CPU time and file size.
- ``user`` (an instructor's own account, where unprivileged user namespaces are allowed):
  the same namespaces and hiding inside a user namespace, without the separate user id.
- ``none``: only the resource limits. The run says so loudly: a submission can then read
  files the grader can read, though it still never sees expected values or verdicts.

The kernel talks to the grader over Unix sockets in the job folder (ZeroMQ ``ipc``), which
work across network namespaces where TCP on 127.0.0.1 would not.
"""

import functools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager

# Job n runs its kernel as this user id plus n: ids no account uses.
UID_BASE = 3_000_000


@dataclass(frozen=True)
class Limits:
    """What one grading kernel may use."""

    timeout: float = 120.0  # seconds of wall clock per cell
    notebook_timeout: float = 300.0  # seconds of wall clock per notebook, restarts included
    memory_mb: int = 4096  # address space of each kernel process
    processes: int = 256  # processes and threads of the kernel's user
    output_mb: float = 5.0  # text and images a notebook may print before it is stopped
    file_mb: int = 256  # largest file the kernel may write
    scratch_mb: int = 64  # size of its private /tmp


@dataclass
class Job:
    """The folders of one kernel run: ``work`` (its cwd), ``inbox`` (cases), ``ipc`` (sockets).
    ``number`` picks the kernel's user id under ``root`` confinement."""

    root: Path
    number: int
    level: str
    hide: list[str] = field(default_factory=list)

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def ipc(self) -> Path:
        return self.root / "ipc"

    @property
    def uid(self) -> int | None:
        return UID_BASE + self.number if self.level == "root" else None

    def create(self) -> None:
        self.root.mkdir(parents=True, exist_ok=False)
        self.root.chmod(0o755)
        for folder in (self.work, self.inbox, self.ipc):
            folder.mkdir()
        self.inbox.chmod(0o755)
        for folder in (self.work, self.ipc):
            folder.chmod(0o700)
            self.give(folder)

    def give(self, path: Path) -> None:
        """Hand ``path`` (and what it holds) to the kernel's user."""
        if self.uid is None:
            return
        os.chown(path, self.uid, self.uid, follow_symlinks=False)
        if path.is_dir() and not path.is_symlink():
            for inner in path.rglob("*"):
                os.chown(inner, self.uid, self.uid, follow_symlinks=False)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


@functools.cache
def probe() -> str:
    """The strongest confinement this machine allows: ``root``, ``user`` or ``none``."""
    if not shutil.which("unshare"):
        return "none"
    base = ["unshare", "--net", "--mount", "--pid", "--fork", "--mount-proc", "--kill-child"]
    if os.geteuid() == 0 and _works(base + ["true"]):
        return "root"
    if _works(base[:1] + ["--user", "--map-root-user"] + base[1:] + ["true"]):
        return "user"
    return "none"


def _works(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def warning(level: str) -> str | None:
    """What a person must know about ``level``, or None when confinement is complete."""
    if level == "none":
        return (
            "WARNING: this machine cannot isolate grading kernels (unshare is missing or "
            "not allowed), so submissions run with resource limits only and can read what "
            "this account can read. Grade as root, or where user namespaces are enabled."
        )
    return None


def kept_paths() -> list[str]:
    """What a kernel needs to see inside hidden folders: Python and the autograder package."""
    import autograder

    paths = {sys.prefix, sys.base_prefix, *(str(Path(p).resolve()) for p in autograder.__path__)}
    paths |= {str(Path(p).resolve()) for p in (sys.executable, os.path.realpath(sys.executable))}
    return sorted(p for p in paths if os.path.exists(p))


def hidden_paths(extra: list[str | Path]) -> list[str]:
    """What a kernel must not see: ``extra`` plus the source checkout and the grader's home."""
    import autograder

    hide = {str(Path(p).resolve()) for p in extra}
    for package in autograder.__path__:  # a namespace package when installed in editable mode
        checkout = Path(package).resolve().parent
        if (checkout / "rnnref").exists() or (checkout / "solutions").exists():
            hide.add(str(checkout))
    home = Path.home()
    if home != Path("/") and home.exists():
        hide.add(str(home.resolve()))
    # A folder the kernel's user cannot pass through (like /root, 0700) is replaced by an
    # empty one, so that the Python inside it can still be bound back and reached.
    for kept in kept_paths():
        for folder in Path(kept).parents:
            if folder != Path("/") and folder.exists() and not folder.stat().st_mode & 0o001:
                hide.add(str(folder))
    return sorted(hide)


def kernel_env(job: Job) -> dict[str, str]:
    """The kernel's whole environment: nothing of the grader's beyond what numerics need."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(job.work),
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "IPYTHONDIR": str(job.work / ".ipython"),
        "MPLCONFIGDIR": str(job.work / ".matplotlib"),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "JUPYTER_PLATFORM_DIRS": "1",
        "NBGRADER_EXECUTION": "autograde",
        "AUTOGRADER_CHANNEL": str(job.inbox),
        # One thread per pool: parallel kernels share the cores, and threads count as processes.
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "TF_NUM_INTRAOP_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "TZ", "TF_USE_LEGACY_KERAS"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def jail_config(job: Job, limits: Limits) -> dict[str, Any]:
    keep = [{"path": p} for p in kept_paths()] + [{"path": str(job.root), "writable": True}]
    jobs_root = str(job.root.parent)
    return {
        "isolate_files": job.level in ("root", "user"),
        "hide": sorted(set(job.hide) | {jobs_root}),
        "keep": keep,
        "scratch_mb": limits.scratch_mb,
        "uid": job.uid,
        "gid": job.uid,
        "workdir": str(job.work),
        "limits": {
            "address_space": limits.memory_mb * 2**20,
            "processes": limits.processes,
            # A backstop for what the wall clock cannot see: CPU burnt by orphaned children.
            "cpu_seconds": int(limits.timeout * 4 + 60),
            "file_size": limits.file_mb * 2**20,
            "open_files": 1024,
            "core": 0,
        },
    }


def launch_command(job: Job, limits: Limits, kernel: list[str]) -> list[str]:
    """``kernel`` wrapped in namespaces and ``autograder.jail`` as ``job.level`` allows."""
    config = job.root / "jail.json"
    config.write_text(json.dumps(jail_config(job, limits)))
    jail = [sys.executable, "-m", "autograder.jail", str(config), "--", *kernel]
    namespaces = ["--net", "--mount", "--pid", "--fork", "--mount-proc", "--kill-child=SIGKILL"]
    # If the grader itself is killed, its kernels must not live on.
    orphan = ["setpriv", "--pdeathsig", "SIGKILL", "--"] if shutil.which("setpriv") else []
    if job.level == "root":
        return [*orphan, "unshare", *namespaces, "--", *jail]
    if job.level == "user":
        return [*orphan, "unshare", "--user", "--map-root-user", *namespaces, "--", *jail]
    return [*orphan, *jail]


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that starts the IPython kernel inside ``job``'s sandbox."""

    def __init__(self, job: Job, limits: Limits, **kwargs: Any) -> None:
        self.job = job
        self.limits = limits
        super().__init__(
            transport="ipc", connection_file=str(job.ipc / "kernel.json"), **kwargs
        )

    def write_connection_file(self, **kwargs: Any) -> None:
        super().write_connection_file(**kwargs)
        # The kernel runs as the job's user and must read its own connection file.
        self.job.give(Path(self.connection_file))

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        kernel = [
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            self.connection_file,
            "--HistoryManager.enabled=False",
            "--IPKernelApp.log_level=CRITICAL",
            # Inside its PID namespace the kernel's parent is process 1, which ipykernel's
            # parent poller takes for "the parent died"; the namespace handles that instead.
            "--IPKernelApp.parent_handle=1",
        ]
        return launch_command(self.job, self.limits, kernel)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        kw["env"] = kernel_env(self.job)
        kw["cwd"] = str(self.job.work)
        await super()._async_launch_kernel(kernel_cmd, **kw)
