"""Process 1 of a grading kernel's namespaces: hide files, drop privileges, start the kernel.

``sandbox.py`` starts ``unshare --net --mount --pid --fork --mount-proc --kill-child`` with
this module as the new PID namespace's process 1, so that when it exits, every process the
learner's code started dies with it (fork bombs included). It runs as root in a private
mount namespace and:

1. covers each ``hide`` path (the course's solutions, the reference, the gradebook, the
   other submissions, the grader's home) with an empty read-only tmpfs, and gives ``/tmp``,
   ``/var/tmp`` and ``/dev/shm`` fresh, small, private tmpfs mounts;
2. binds back each ``keep`` path that a hidden folder contains (Python, the virtual
   environment, the ``autograder`` package, this job's own folder), read-only unless marked
   writable;
3. forks the kernel as an unprivileged user with resource limits (address space, processes,
   CPU seconds, file size, open files, no core dumps) and ``no_new_privs``;
4. reaps orphans and exits with the kernel's status.

Usage: ``python -m autograder.jail CONFIG.json -- KERNEL ARGV...``
"""

import ctypes
import json
import os
import resource
import signal
import sys
from typing import Any

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_NO_NEW_PRIVS = 38

LIMITS = {
    "address_space": resource.RLIMIT_AS,
    "processes": resource.RLIMIT_NPROC,
    "cpu_seconds": resource.RLIMIT_CPU,
    "file_size": resource.RLIMIT_FSIZE,
    "open_files": resource.RLIMIT_NOFILE,
    "core": resource.RLIMIT_CORE,
}

_libc = ctypes.CDLL(None, use_errno=True)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    encode = (lambda s: s.encode() if s is not None else None)  # noqa: E731
    if _libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {source} on {target}: {os.strerror(errno)}")


def _depth(path: str) -> int:
    return len([p for p in path.split("/") if p])


def isolate_files(hide: list[str], keep: list[dict[str, Any]], scratch_mb: int) -> None:
    """Hide and bind back as the module docstring says; paths are absolute."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    # Open what we keep before anything is covered; bind from the descriptor afterwards.
    kept = []
    for entry in keep:
        if os.path.exists(entry["path"]):
            fd = os.open(entry["path"], os.O_PATH | os.O_CLOEXEC)
            kept.append((entry["path"], fd, bool(entry.get("writable"))))
    steps: list[tuple[str, str, Any]] = []
    steps += [(path, "hide", None) for path in hide if os.path.isdir(path)]
    steps += [
        (path, "scratch", None) for path in ("/tmp", "/var/tmp", "/dev/shm") if os.path.isdir(path)
    ]
    steps += [(path, "keep", (fd, writable)) for path, fd, writable in kept]
    # Shallow first, so a kept folder is bound inside the tmpfs that hides its parent.
    steps.sort(key=lambda step: (_depth(step[0]), step[1] != "hide"))
    for path, kind, extra in steps:
        if kind == "hide":
            os.makedirs(path, exist_ok=True)
            _mount("autograder-hidden", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
        elif kind == "scratch":
            options = f"size={scratch_mb}m,mode=1777"
            _mount("autograder-scratch", path, "tmpfs", MS_NOSUID | MS_NODEV, options)
        else:
            fd, _writable = extra
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                os.makedirs(path, exist_ok=True)
            elif not os.path.exists(path):
                os.makedirs(os.path.dirname(path), exist_ok=True)
                open(path, "a").close()
            _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
    for path, kind, extra in steps:
        if kind == "keep" and not extra[1]:
            _mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)
        elif kind == "hide":
            _mount(None, path, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    for _path, fd, _writable in kept:
        os.close(fd)


def become(uid: int | None, gid: int | None, limits: dict[str, int]) -> None:
    """Drop to ``uid``/``gid`` (when given), set the limits and forbid regaining privileges."""
    if gid is not None:
        os.setgroups([])
        os.setgid(gid)
    if uid is not None:
        os.setuid(uid)
    for name, value in limits.items():
        resource.setrlimit(LIMITS[name], (value, value))
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl(PR_SET_NO_NEW_PRIVS): {os.strerror(errno)}")


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -m autograder.jail CONFIG.json -- KERNEL ARGV...", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as file:
        config = json.load(file)
    kernel = argv[2:]
    if config.get("isolate_files", True):
        isolate_files(config["hide"], config["keep"], config.get("scratch_mb", 64))
    child = os.fork()
    if child == 0:
        try:
            become(config.get("uid"), config.get("gid"), config.get("limits", {}))
            os.chdir(config["workdir"])
            os.execv(kernel[0], kernel)
        except BaseException as error:  # report why the kernel could not start, then die
            print(f"autograder.jail: cannot start the kernel: {error}", file=sys.stderr)
        os._exit(127)

    def forward(signum: int, _frame: Any) -> None:
        try:
            os.kill(child, signum)
        except ProcessLookupError:
            pass

    # As PID 1 we get only signals we handle: pass interrupts on, die with the rest.
    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(143))
    signal.signal(signal.SIGHUP, lambda *_: os._exit(129))
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            return 0
        except InterruptedError:
            continue
        if pid == child:
            code = os.waitstatus_to_exitcode(status)
            return 128 - code if code < 0 else code  # killed by signal n: 128 + n


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
