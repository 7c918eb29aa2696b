"""What a grading kernel's jail costs to start: the bubblewrap allowlist against the jail it
replaced (``unshare`` and ``autograder/jail.py``, hiding a list of paths), at the same level.

Both sandboxes start in one process, their repeats interleaved: the old one is loaded from
git (``--old``, default the last commit that had ``autograder/jail.py``) beside this
checkout's. Each
sample is the time from ``start_kernel`` to the kernel answering ``kernel_info`` (what a
notebook waits for), the jail's set-up included; the once-per-run work (the learner-side
copy, the hide list) is not.

Usage: python benchmarks/bench_jail_start.py [--repeats 10] [--old REV]
"""

import argparse
import asyncio
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from timing import report  # noqa: E402

from autograder import sandbox  # noqa: E402


def _last_with_jail() -> str:
    """The parent of the commit that deleted ``autograder/jail.py``."""
    deleted = subprocess.run(
        ["git", "log", "-1", "--format=%H", "--diff-filter=D", "--", "autograder/jail.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not deleted:
        raise SystemExit("no commit deleted autograder/jail.py here: pass --old REV")
    return f"{deleted}~1"


def _old_sandbox(rev: str, folder: Path):
    """The sandbox module at ``rev``, and its ``autograder.jail`` where its kernels find it."""

    def show(path: str) -> str:
        return subprocess.run(
            ["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout

    (folder / "autograder").mkdir(parents=True)
    (folder / "autograder" / "__init__.py").write_text("")
    (folder / "autograder" / "jail.py").write_text(show("autograder/jail.py"))
    (folder / "old_sandbox.py").write_text(show("autograder/sandbox.py"))
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    spec = importlib.util.spec_from_file_location("old_sandbox", folder / "old_sandbox.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    original = module.kernel_env
    module.kernel_env = lambda job: {**original(job), "PYTHONPATH": str(folder)}
    return module


async def _start(module, job) -> float:
    """Seconds from starting ``job``'s kernel to its first answer; then stops it."""
    km = module.SandboxedKernelManager(job, module.Limits())
    started = time.perf_counter()
    await km.start_kernel()
    client = km.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=120)
        return time.perf_counter() - started
    finally:
        client.stop_channels()
        await km.shutdown_kernel(now=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--old", help="git revision of the old jail (default: the last one)")
    args = parser.parse_args()
    args.old = args.old or _last_with_jail()
    level = sandbox.probe()
    scratch = Path(tempfile.mkdtemp(prefix="bench-jail-"))
    scratch.chmod(0o755)
    try:
        old = _old_sandbox(args.old, scratch / "old")
        library = sandbox.copy_learner_side(scratch / "lib")
        hide = old.hidden_paths([])
        makers = {
            f"old: unshare + jail.py ({level})": lambda n: (
                old,
                old.Job(scratch / f"job-{n}", n, level, hide=hide),
            ),
            f"new: bwrap allowlist ({level})": lambda n: (
                sandbox,
                sandbox.Job(scratch / f"job-{n}", n, level, library),
            ),
        }
        times: dict[str, list[float]] = {name: [] for name in makers}
        number = 0
        for round_ in range(args.repeats + 1):  # the first round warms the caches
            for name, make in makers.items():
                number += 1
                module, job = make(number)
                job.create()
                try:
                    seconds = asyncio.run(_start(module, job))
                finally:
                    job.remove()
                if round_:
                    times[name].append(seconds)
        print(f"kernel start to ready, {args.repeats} interleaved repeats:")
        report(times, baseline=next(iter(makers)))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
