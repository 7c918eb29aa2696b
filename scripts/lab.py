"""``make lab``: JupyterLab on the course, with nbgrader's extensions, on 127.0.0.1.

Learners open ``course/`` and press Validate in a notebook's toolbar; the instructor opens
Nbgrader > Formgrader, whose course is this folder (``nbgrader_config.py``: ``solutions/`` is
the source, ``course/`` the release). Releasing from formgrader puts an assignment in a local
exchange under ``build/lab/`` where the Assignments tab lists it, so the whole nbgrader round
trip works on one machine; a class uses JupyterHub instead (``deploy/jupyterhub/``).

The URL, with its token, is printed once the server answers. ``--root`` serves another copy
of the course (the browser test uses a temporary one).
"""

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE_ID = "rnn-course"


def prepare(root: Path) -> dict[str, str]:
    """Write the exchange's configuration under ``root/build/lab`` and return the environment
    that makes nbgrader's extensions read it (beside ``root/nbgrader_config.py``)."""
    state = root / "build" / "lab"
    config = state / "config"
    config.mkdir(parents=True, exist_ok=True)
    # Fetched assignments go here rather than into the repository's top folder.
    (state / "fetched").mkdir(exist_ok=True)
    # Formgrader offers Release only where the exchange exists; nbgrader sets its modes.
    (state / "exchange").mkdir(exist_ok=True)
    (config / "nbgrader_config.py").write_text(
        "# Written by scripts/lab.py: a one-machine exchange for `make lab`.\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.Exchange.root = {str(state / 'exchange')!r}\n"
        f"c.Exchange.assignment_dir = {str(state / 'fetched')!r}\n"
    )
    env = dict(os.environ)
    paths = [str(config)] + [p for p in env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p]
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(paths)
    # The kernel and nbgrader's tools must come from this environment even when it is not
    # activated (`make lab` runs .venv/bin/python directly).
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise OSError("no free port on 127.0.0.1")


def command(root: Path, port: int, token: str) -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.default_url=/lab/tree/course",
    ]
    if os.geteuid() == 0:
        argv.append("--allow-root")  # CI and containers run as root
    return argv


def wait_ready(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.25)
    raise TimeoutError(f"JupyterLab did not answer {url} within {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--root",
        type=Path,
        default=ROOT,
        help="the course folder to serve (default: this checkout)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8888,
        help="port on 127.0.0.1 (default 8888, or a free one if taken)",
    )
    parser.add_argument("--token", default=None, help="login token (default: a random one)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if not (root / "course").is_dir():
        parser.error(f"{root} has no course/ folder")
    token = args.token or secrets.token_hex(24)
    port = free_port(args.port)
    process = subprocess.Popen(command(root, port, token), cwd=root, env=prepare(root))
    # A SIGTERM to this launcher (a test's clean-up, a service manager) stops the server too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{base}/api/status?token={token}", process, timeout=120)
        print(
            f"\nJupyterLab is ready: {base}/lab/tree/course?token={token}\n"
            "Formgrader: Nbgrader > Formgrader. Stop with Ctrl+C.\n",
            flush=True,
        )
        return process.wait()
    except (KeyboardInterrupt, SystemExit):
        return 0
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # a clean stop that asks nothing
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    sys.exit(main())
