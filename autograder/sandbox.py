"""How a grading kernel is confined: an allowlist file system, no network, its own user, limits.

Three levels, chosen once per run by ``probe``:

- ``root`` (the grader runs as root, as CI and a grading server do): bubblewrap (``bwrap``)
  builds the kernel's file system from nothing but the binds ``allowlist`` names (the OS
  runtime, the Python runtime, site-packages without this project, the learner-side package,
  the job's own folders), in new mount, PID, network, IPC, UTS and cgroup namespaces; inside,
  ``setpriv`` drops to a user id of the job's own (one per notebook, so one submission's
  fork bomb or files cannot touch another's) with every capability gone and no_new_privs,
  under ``prlimit``'s limits on memory, processes, CPU time, file size and open files.
- ``user`` (an instructor's own account, where unprivileged user namespaces are allowed):
  the same allowlist and namespaces inside a user namespace, without the separate user id.
- ``none``: only the resource limits. The run says so loudly: a submission can then read
  files the grader can read, though it still never sees expected values or verdicts.

What is not bound does not exist for the kernel: there is nothing to hide, so the jail
needs to know nothing about where the course, its solutions or the submissions live.

The kernel talks to the grader over Unix sockets in the job's ``ipc`` folder (ZeroMQ
``ipc``), which work across network namespaces where TCP on 127.0.0.1 would not.
"""

import asyncio
import functools
import json
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager

import autograder

# Job n runs its kernel as this user id plus n: ids no account uses.
UID_BASE = 3_000_000

# What kernels import of this package, relative to it: the learner side of the wall.
# ``autograder/__init__.py`` (import-free) comes with it so that the copy is a package.
LEARNER_SIDE = ("learner",)

# Where the kernel sees things: neutral paths, none of them the host's.
JOB = Path("/job")  # work/ (cwd), inbox/, ipc/, kernel.json
LIBRARY = Path("/opt/rnn-course/lib")  # the learner-side package, on PYTHONPATH
PYTHON = Path("/opt/python")  # the base interpreter's prefix
VENV = Path("/opt/venv")  # the grader's virtual environment, when it runs in one
DISTRIBUTION = "rnn-course"  # this project's files never enter a kernel's site-packages


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
    ``number`` picks the kernel's user id under ``root`` confinement; ``library`` is the copy
    of the learner side (``copy_learner_side``) that the kernel imports; ``lang`` the
    language of the messages the learner side writes in it (``RNN_COURSE_LANG``)."""

    root: Path
    number: int
    level: str
    library: Path | None = None
    lang: str = "en"

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
    def generated(self) -> Path:
        """Files written for the jail (its passwd, group, pyvenv.cfg, the kernel's
        connection file), each bound read-only at its place; the kernel sees the folder not."""
        return self.root / "jail"

    @property
    def confined(self) -> bool:
        return self.level in ("root", "user")

    @property
    def uid(self) -> int | None:
        return UID_BASE + self.number if self.level == "root" else None

    def seen(self, path: Path) -> Path:
        """``path``, in this job's folder, as the kernel sees it."""
        return JOB / path.relative_to(self.root) if self.confined else path

    def create(self) -> None:
        self.root.mkdir(parents=True, exist_ok=False)
        self.root.chmod(0o755)
        for folder in (self.work, self.inbox, self.ipc, self.generated):
            folder.mkdir()
        self.inbox.chmod(0o755)
        self.generated.chmod(0o755)
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


def copy_learner_side(folder: Path) -> Path:
    """Copy what kernels import of this package (``LEARNER_SIDE``) into ``folder/autograder``
    and return ``folder``, the entry for their ``sys.path``. Kernels import this copy, never
    the grader's installation: grading then works whatever checkout or virtual environment
    the grader was installed from, and no grader-side module is there to import."""
    package = Path(autograder.__file__).resolve().parent
    target = folder / "autograder"
    target.mkdir(parents=True)
    shutil.copyfile(package / "__init__.py", target / "__init__.py")
    for name in LEARNER_SIDE:
        if (package / name).is_dir():
            shutil.copytree(
                package / name, target / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copyfile(package / name, target / name)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


# --- the allowlist ------------------------------------------------------------------


@dataclass(frozen=True)
class Bind:
    """One thing the kernel sees: host ``source`` at ``target``, read-only unless writable;
    with no ``source``, an empty folder that covers what a bind before it put there."""

    source: Path | None
    target: Path
    writable: bool = False


@dataclass(frozen=True)
class Runtime:
    """The Python the kernel runs: its binds, its executable and libpython's folder, as seen
    inside, and the ``pyvenv.cfg`` to place at ``VENV`` when the grader runs in a venv."""

    binds: tuple[Bind, ...]
    python: Path
    library_path: Path | None
    pyvenv_cfg: str | None


def _inside(path: Path) -> Path:
    """Where the host's ``path``, inside the grader's Python, appears in the jail."""
    venv, base = Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()
    if venv != base and path.is_relative_to(venv):
        return VENV / path.relative_to(venv)
    if path.is_relative_to(base):
        return PYTHON / path.relative_to(base)
    raise RuntimeError(
        f"{path} lies outside this Python ({base}) and its virtual "
        "environment; grading kernels could not import it"
    )


def _own_entries(site: Path) -> list[Path]:
    """What this project's installation put in ``site``: its packages (a regular install),
    the editable finder, its ``.pth`` and bytecode (an editable one), and its metadata."""
    # Looked up in ``site`` itself: a checkout's own ``rnn_course.egg-info`` (left by an
    # editable install) is on ``sys.path`` when the grader runs from the checkout, and its
    # file list is the source tree's, not what was installed.
    found = [
        d for d in metadata.distributions(path=[str(site)]) if d.metadata["Name"] == DISTRIBUTION
    ]
    if not found:
        return []
    files = found[0].files or []
    own = set()
    for file in files:
        path = Path(os.path.normpath(site / file))
        if path.is_relative_to(site) and path != site:
            top = site / path.relative_to(site).parts[0]
            # __pycache__ holds every top-level module's bytecode: only ours is masked.
            own.add(path if top.name == "__pycache__" else top)
    return sorted(path for path in own if path.exists())


def _masks(site: Path) -> list[Bind]:
    """Binds that empty this project's entries in ``site``, bound whole before them: the
    kernel finds no ``rnnref`` or grader code there, nor the path of an editable checkout.
    One bind and a few masks, because bubblewrap's set-up time grows with every mount
    (one bind per entry of a full site-packages took about 0.7 s per kernel)."""
    return [
        Bind(None if path.is_dir() else Path(os.devnull), _inside(path))
        for path in _own_entries(site)
    ]


@functools.cache
def runtime() -> Runtime:
    """This Python, relocated to ``PYTHON`` (and its virtual environment to ``VENV``), with
    this project's own site-packages entries emptied: ``rnnref`` and the grader are not
    importable in a kernel, whether the project was installed editable or not."""
    base = Path(sys.base_prefix).resolve()
    executable = Path(os.path.realpath(sys.executable))
    if not executable.is_relative_to(base):
        raise RuntimeError(
            f"{sys.executable} is not a link into {base}: grading kernels "
            "need a virtual environment made with symlinks (python -m venv)"
        )
    venv = Path(sys.prefix).resolve()
    binds = [Bind(base, PYTHON)]
    sites = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}
    for site in sorted(path for path in sites if path.is_dir()):
        if not site.is_relative_to(base):  # a venv's; the base prefix's are bound with it
            binds.append(Bind(site, _inside(site)))
        binds += _masks(site)
    pyvenv_cfg = None
    if venv != base:
        version = platform.python_version()
        pyvenv_cfg = (
            f"home = {PYTHON / 'bin'}\ninclude-system-site-packages = false\nversion = {version}\n"
        )
    # A shared libpython is found through an absolute RUNPATH into the host prefix.
    shared = sysconfig.get_config_var("Py_ENABLE_SHARED")
    libdir = Path(sysconfig.get_config_var("LIBDIR") or base / "lib")
    library_path = _inside(libdir) if shared and libdir.is_relative_to(base) else None
    return Runtime(tuple(binds), _inside(executable), library_path, pyvenv_cfg)


# The host's /etc stays out but for these, which glibc, time zones and fontconfig read.
ETC = ("ld.so.cache", "localtime", "nsswitch.conf", "fonts")


def _system() -> list[str]:
    """bwrap arguments for the OS runtime: /usr, the top-level links or folders into it that
    the host has (/bin, /lib... are links on merged-/usr systems), a few files of /etc."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/", name)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ETC:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return args


def _write_generated(job: Job) -> list[Bind]:
    """The files the kernel reads that the host's would give away or get wrong: passwd and
    group naming only root and the kernel's user, and ``pyvenv.cfg`` pointing at ``PYTHON``."""
    uid = job.uid if job.uid is not None else os.getuid()
    files = {
        "passwd": f"root:x:0:0::/:/usr/sbin/nologin\nlearner:x:{uid}:{uid}::{JOB / 'work'}"
        ":/usr/sbin/nologin\n",
        "group": f"root:x:0:\nlearner:x:{uid}:\n",
    }
    targets = {"passwd": Path("/etc/passwd"), "group": Path("/etc/group")}
    if runtime().pyvenv_cfg is not None:
        files["pyvenv.cfg"] = runtime().pyvenv_cfg
        targets["pyvenv.cfg"] = VENV / "pyvenv.cfg"
    for name, text in files.items():
        (job.generated / name).write_text(text)
    return [Bind(job.generated / name, target) for name, target in targets.items()]


def allowlist(job: Job) -> list[Bind]:
    """Every bind of ``job``'s jail besides the OS runtime (``_system``): the Python runtime,
    the learner side, the job's folders and the generated files. ``job.library`` must be set."""
    if job.library is None:
        raise ValueError("a confined job needs job.library, a copy_learner_side() folder")
    return [
        *runtime().binds,
        Bind(job.library, LIBRARY),
        Bind(job.work, job.seen(job.work), writable=True),
        Bind(job.inbox, job.seen(job.inbox)),
        Bind(job.ipc, job.seen(job.ipc), writable=True),
        Bind(job.generated / "kernel.json", JOB / "kernel.json"),
        *_write_generated(job),
    ]


def _bwrap(job: Job, limits: Limits, binds: list[Bind]) -> list[str]:
    """The bwrap command line (up to the command) for ``job``'s namespaces and ``binds``."""
    links = []
    if runtime().pyvenv_cfg is not None:
        links.append((str(runtime().python), VENV / "bin" / "python"))
    args = [
        shutil.which("bwrap") or "bwrap",
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",  # its own cgroup root, where the kernel supports it
        "--hostname",
        "grading",
        # Dies with the grader; its own PID 1 reaps, and takes every process with it.
        "--die-with-parent",
        # A new session: no terminal to push keystrokes into (TIOCSTI).
        "--new-session",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(limits.scratch_mb * 2**20),
        "--perms",
        "1777",
        "--tmpfs",
        "/tmp",
    ]
    # Left to itself bwrap makes the folders that hold mount points 0700, closed to the
    # kernel's user: make them first (those a bind brings along are the host's).
    targets = [bind.target for bind in binds] + [link for _, link in links]
    bound = [bind.target for bind in binds if bind.source is not None]
    folders = {folder for target in targets for folder in target.parents} - {Path("/")}
    for folder in sorted(f for f in folders if not any(f.is_relative_to(b) for b in bound)):
        args += ["--perms", "0755", "--dir", str(folder)]
    args += _system()
    for bind in binds:
        if bind.source is None:
            args += ["--perms", "0555", "--tmpfs", str(bind.target)]
        else:
            option = "--bind" if bind.writable else "--ro-bind"
            args += [option, str(bind.source), str(bind.target)]
    for target, link in links:
        args += ["--symlink", target, str(link)]
    # The folders bwrap made (/, /opt, /job...) and emptied ones: read-only to the kernel,
    # which under a user namespace owns them.
    for target in [Path("/")] + [bind.target for bind in binds if bind.source is None]:
        args += ["--remount-ro", str(target)]
    if job.level == "user":
        args += ["--unshare-user", "--cap-drop", "ALL"]
    else:
        # As root bwrap drops every capability by default; setpriv needs these three to
        # change user and to empty the bounding set, and then drops them too.
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
    return [*args, "--chdir", str(job.seen(job.work)), "--"]


def _confine(job: Job, limits: Limits) -> list[str]:
    """``prlimit`` and ``setpriv`` (both in /usr/bin, so inside the jail): the limits, the
    job's user id without capabilities, and no_new_privs, which setpriv fails to start
    without. Limits are set first, while root may still set any of them."""
    rlimits = [
        f"--as={limits.memory_mb * 2**20}",
        f"--nproc={limits.processes}",
        # A backstop for what the wall clock cannot see: CPU burnt by orphaned children.
        f"--cpu={int(limits.timeout * 4 + 60)}",
        f"--fsize={limits.file_mb * 2**20}",
        "--nofile=1024",
        "--core=0",
    ]
    drop = ["--no-new-privs"]
    if job.uid is not None:
        drop = [
            f"--reuid={job.uid}",
            f"--regid={job.uid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            *drop,
        ]
    elif not job.confined:
        drop = ["--pdeathsig", "SIGKILL", *drop]  # if the grader dies, so does its kernel
    return ["prlimit", *rlimits, "--", "setpriv", *drop, "--"]


def kernel_python(job: Job) -> str:
    """The interpreter that runs ``job``'s kernel, as the kernel sees it."""
    if not job.confined:
        return sys.executable
    return str(VENV / "bin" / "python" if runtime().pyvenv_cfg is not None else runtime().python)


def launch_command(job: Job, limits: Limits, kernel: list[str]) -> list[str]:
    """``kernel`` (its paths as the kernel sees them) wrapped in ``job``'s jail."""
    if not job.confined:
        return [*_confine(job, limits), *kernel]
    return [*_bwrap(job, limits, allowlist(job)), *_confine(job, limits), *kernel]


@functools.cache
def probe() -> str:
    """The strongest confinement this machine allows: ``root``, ``user`` or ``none``. Each
    level is tried for real: a throwaway job's jail must start this Python."""
    if not shutil.which("bwrap"):
        return "none"
    levels = (["root"] if os.geteuid() == 0 else []) + ["user"]
    with tempfile.TemporaryDirectory(prefix="autograder-probe-") as scratch:
        Path(scratch).chmod(0o755)
        library = copy_learner_side(Path(scratch) / "lib")
        for number, level in enumerate(levels):
            job = Job(Path(scratch) / f"job-{level}", number, level, library)
            job.create()
            (job.generated / "kernel.json").write_text("{}")
            command = launch_command(job, Limits(), [kernel_python(job), "-c", "import autograder"])
            if _works(command, kernel_env(job)):
                return level
    return "none"


def _works(command: list[str], env: dict[str, str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=60, env=env).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def warning(level: str) -> str | None:
    """What a person must know about ``level``, or None when confinement is complete."""
    if level == "none":
        return (
            "WARNING: this machine cannot isolate grading kernels (bubblewrap is missing, or "
            "neither root nor unprivileged user namespaces are available), so submissions "
            "run with resource limits only and can read what this account can read. Install "
            "bubblewrap and grade as root, or where user namespaces are enabled."
        )
    return None


def kernel_env(job: Job) -> dict[str, str]:
    """The kernel's whole environment: nothing of the grader's beyond what numerics need."""
    work = job.seen(job.work)
    env = {
        "PATH": f"{Path(kernel_python(job)).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(work),
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "IPYTHONDIR": str(work / ".ipython"),
        "MPLCONFIGDIR": str(work / ".matplotlib"),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "JUPYTER_PLATFORM_DIRS": "1",
        "NBGRADER_EXECUTION": "autograde",
        "RNN_COURSE_LANG": job.lang,
        "AUTOGRADER_CHANNEL": str(job.seen(job.inbox)),
        # One thread per pool: parallel kernels share the cores, and threads count as processes.
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "TF_NUM_INTRAOP_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    if job.library is not None:
        env["PYTHONPATH"] = str(LIBRARY if job.confined else job.library)
    if job.confined and runtime().library_path is not None:
        env["LD_LIBRARY_PATH"] = str(runtime().library_path)
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "TZ", "TF_USE_LEGACY_KERAS"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _processes_of(uid: int) -> list[int]:
    """The processes (zombies included) running as ``uid``."""
    found = []
    for entry in os.scandir("/proc"):
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                found.append(int(entry.name))
        except OSError:  # it ended while we looked
            continue
    return found


async def _until_gone(job: Job, seconds: float = 30.0) -> None:
    """Wait until nothing runs as ``job``'s user. A killed sandbox's processes die after the
    kill returns (the kernel reaps a PID namespace in the background), and a kernel started
    again for the same job meanwhile would find its process limit used up by them."""
    if job.uid is None:
        return
    deadline = asyncio.get_running_loop().time() + seconds
    while _processes_of(job.uid) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that starts the IPython kernel inside ``job``'s sandbox."""

    def __init__(self, job: Job, limits: Limits, **kwargs: Any) -> None:
        self.job = job
        self.limits = limits
        super().__init__(transport="ipc", connection_file=str(job.ipc / "kernel.json"), **kwargs)

    def write_connection_file(self, **kwargs: Any) -> None:
        """The grader's connection file, and the kernel's: the same sockets and key, with
        the socket path as the kernel sees its ``ipc`` folder."""
        super().write_connection_file(**kwargs)
        info = json.loads(Path(self.connection_file).read_text())
        info["ip"] = str(self.job.seen(Path(info["ip"])))
        theirs = self.job.generated / "kernel.json"
        theirs.write_text(json.dumps(info))
        theirs.chmod(0o600)
        # The kernel runs as the job's user and must read its own connection file.
        self.job.give(theirs)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        connection = self.job.generated / "kernel.json"
        if self.job.confined:
            connection = JOB / connection.name  # where allowlist() binds it
        kernel = [
            kernel_python(self.job),
            "-m",
            "ipykernel_launcher",
            "-f",
            str(connection),
            "--HistoryManager.enabled=False",
            "--IPKernelApp.log_level=CRITICAL",
            # Confined, the kernel's parent is PID 1 (bwrap's init), which ipykernel's parent
            # poller would take for "the parent died": no poller. bwrap's --die-with-parent
            # (setpriv's --pdeathsig unconfined) ends the kernel with the grader instead.
            "--IPKernelApp.parent_handle=1",
        ]
        return launch_command(self.job, self.limits, kernel)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        await _until_gone(self.job)
        kw["env"] = kernel_env(self.job)
        kw["cwd"] = str(self.job.work)
        await super()._async_launch_kernel(kernel_cmd, **kw)
