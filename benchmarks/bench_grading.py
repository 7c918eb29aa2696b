"""Grading throughput: plain serial ``nbgrader autograde`` against ``python -m autograder grade``.

A synthetic class (``--students``, default 30) submits every assignment in ``solutions/``:
a third the solutions, a third with the course's typical mistakes, a third the blank
release, so kernels both pass and fail. In one run, on the same machine and files:

1. nbgrader's own ``autograde``, one assignment after another (how nbgrader grades);
2. ``python -m autograder grade --jobs N`` (N kernels at a time, sandboxed);
3. per-notebook cost: one perfect notebook per assignment run bare with nbclient (kernel
   start to finish, the checks judged by their self-judge process) against the time our
   grader spends on the same notebook (read, sandbox, kernel, judging, gradebook) with
   ``--jobs 1``;
4. Dask: ``grade --scheduler`` on a scheduler and 1, then 2, workers started here
   (``dask worker --nthreads 1``), against the local ``--jobs`` row, and the scheduler's
   overhead per notebook: the round trip of a task carrying each packed submission and
   sending its notebook back, the part of a notebook's time that is
   the cluster's rather than its kernel's;
5. the coordinator's own serial work per notebook, whatever the number of workers: each
   result recorded in a fresh gradebook, its autograded notebook and cache file written,
   then ``grades.csv`` and the feedback pages for the class. One process does it for the
   whole cluster, so it bounds a cluster's rate.

``--dask-only`` runs rows 2, 4 and 5 alone.

Usage: python benchmarks/bench_grading.py [--students 30] [--jobs 2] [--out build/bench]
       [--dask-only]
"""

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import course, demo, registry  # noqa: E402


def make_class(out: Path, students: int) -> tuple[Path, int]:
    """``out/submitted`` in nbgrader's layout; the number of notebooks in it."""
    source_root = ROOT / "solutions"
    release_root = out / "release"
    names = course.assignments(source_root)
    for name in names:
        course.generate(source_root, release_root, name)
    mistakes = registry.mutations()
    submitted = out / "submitted"
    count = 0
    for assignment in names:
        for notebook in course.notebooks(source_root, assignment):
            solution = nbformat.read(source_root / assignment / f"{notebook}.ipynb", 4)
            release = nbformat.read(release_root / assignment / f"{notebook}.ipynb", 4)
            typical = demo._typical(solution, release, mistakes.get(assignment, {}))
            for number in range(students):
                nb = (solution, typical, release)[number % 3]
                folder = submitted / f"student{number:03d}" / assignment
                folder.mkdir(parents=True, exist_ok=True)
                nbformat.write(nb, folder / f"{notebook}.ipynb")
                count += 1
    return submitted, count


def env() -> dict:
    variables = dict(os.environ)
    variables["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{variables['PATH']}"
    variables.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return variables


def nbgrader_serial(out: Path, submitted: Path) -> float:
    """Seconds for ``nbgrader autograde`` of every assignment, one after another."""
    home = out / "nbgrader"
    shutil.copytree(ROOT / "solutions", home / "source")
    shutil.copytree(submitted, home / "submitted")
    (home / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa\nc.CourseDirectory.course_id = 'bench'\nc.Execute.timeout = 300\n"
    )
    nbgrader = str(Path(sys.executable).parent / "nbgrader")
    names = course.assignments(ROOT / "solutions")
    for name in names:  # recording the assignments is set-up, not grading
        subprocess.run(
            [nbgrader, "generate_assignment", name, "--force"],
            cwd=home,
            check=True,
            capture_output=True,
            env=env(),
        )
    started = time.perf_counter()
    for name in names:
        done = subprocess.run(
            [nbgrader, "autograde", name, "--force"],
            cwd=home,
            capture_output=True,
            text=True,
            env=env(),
        )
        if done.returncode != 0:
            print(f"nbgrader autograde {name} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
    return time.perf_counter() - started


def ours(submitted: Path, out: Path, jobs: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(submitted),
            "--out",
            str(out),
            "--jobs",
            str(jobs),
        ],
        check=True,
        capture_output=True,
        env=env(),
        cwd=ROOT,
    )
    return time.perf_counter() - started


def _echo(submission):  # a cluster.Submission; Dask is imported only for its rows
    """A task that only sends the notebook back, about an autograded notebook's size: what it
    costs is the scheduler's and the wire's."""
    return submission.content


class DaskProcesses:
    """A ``dask scheduler`` and ``workers`` ``dask worker --nthreads 1`` on 127.0.0.1, as
    processes (as a real cluster's are), each in a session of its own."""

    def __init__(self, workers: int, logs: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.address = f"tcp://127.0.0.1:{port}"
        dask = str(Path(sys.executable).parent / "dask")
        variables = dict(env(), PYTHONPATH=str(ROOT))
        logs.mkdir(parents=True, exist_ok=True)
        commands = [["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]]
        commands += [
            [
                "worker",
                self.address,
                "--nthreads",
                "1",
                "--no-nanny",
                "--host",
                "127.0.0.1",
                "--no-dashboard",
            ]
        ] * workers
        self.processes = [
            subprocess.Popen(
                [dask, *command],
                cwd=ROOT,
                env=variables,
                stdout=open(logs / f"{n}-{command[0]}.log", "w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            for n, command in enumerate(commands)
        ]
        from distributed import Client

        with Client(self.address, timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)

    def overhead(self, submitted: Path) -> float:
        """Seconds per notebook of the cluster's own work: each notebook's packed submission
        sent to a worker by a task that does nothing, and its answer back."""
        from distributed import Client, wait

        from autograder.cluster import Submission
        from autograder.submissions import discover

        tasks, _ = discover(
            submitted,
            {
                a: course.notebooks(ROOT / "solutions", a)
                for a in course.assignments(ROOT / "solutions")
            },
        )
        with Client(self.address, timeout="60s") as client:
            started = time.perf_counter()
            wait([client.submit(_echo, Submission.pack(t), pure=False) for t in tasks])
            return (time.perf_counter() - started) / len(tasks)

    def close(self) -> None:
        for process in self.processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            process.wait()


def on_dask(submitted: Path, out: Path, address: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(submitted),
            "--out",
            str(out),
            "--scheduler",
            address,
        ],
        check=True,
        capture_output=True,
        env=env(),
        cwd=ROOT,
    )
    return time.perf_counter() - started


def dask_rows(submitted: Path, out: Path, count: int, local: float) -> None:
    """Row 4: 1 and 2 workers against the local run of ``local`` seconds."""
    for workers in (1, 2):
        cluster = DaskProcesses(workers, out / f"dask-{workers}-logs")
        try:
            seconds = on_dask(submitted, out / f"dask-{workers}", cluster.address)
            overhead = cluster.overhead(submitted)
        finally:
            cluster.close()
        print(
            f"grade --scheduler, {workers} worker{'s' if workers > 1 else ' '}:"
            f"{seconds:7.1f} s  {count / seconds * 60:6.1f} notebooks/min  "
            f"({local / seconds:.2f}x local); scheduler overhead "
            f"{overhead * 1000:.0f} ms/notebook"
        )


def coordinator_cost(graded: Path, scratch: Path) -> tuple[float, float]:
    """Seconds per notebook the coordinator spends on the results in ``graded`` (a finished
    run's output) when they arrive again: (recording each one, writing the class's
    ``grades.csv`` and feedback pages at the end)."""
    from autograder import cache, outputs
    from autograder.gradebook import Book, sqlite_url
    from autograder.scoring import NotebookResult
    from autograder.submissions import Task

    results = [
        NotebookResult.from_json(json.loads(path.read_text()))
        for path in sorted((graded / "results").glob("[!.]*/*/*.json"))
    ]
    for result in results:  # as it arrives from a worker, with its autograded notebook
        result.autograded = nbformat.read(
            graded / "autograded" / result.student / result.assignment / f"{result.notebook}.ipynb",
            4,
        )
    scratch.mkdir(parents=True)
    book = Book(sqlite_url(scratch / "gradebook.db"))
    try:
        layouts = {a: book.layouts(ROOT / "solutions", a) for a in {r.assignment for r in results}}
        started = time.perf_counter()
        for result in results:
            book.record(result, layouts[result.assignment][result.notebook])
            outputs.write_autograded(scratch, result)
            cache.save(
                scratch, Task(result.student, result.assignment, result.notebook, scratch), result
            )
        recorded = time.perf_counter() - started
    finally:
        book.close()
    started = time.perf_counter()
    outputs.write_class(
        scratch, results, [], sqlite_url(scratch / "gradebook.db"), ROOT / "solutions"
    )
    return recorded / len(results), (time.perf_counter() - started) / len(results)


def coordinator_row(out: Path) -> None:
    """Row 5, from the local run's results."""
    record, end = coordinator_cost(out / "ours", out / "coordinator")
    print(
        f"coordinator, serial, per notebook: {record * 1000:.0f} ms to record a result "
        f"(gradebook, autograded notebook, cache), {end * 1000:.1f} ms for grades.csv and "
        "feedback at the end"
    )


def bare_nbclient(path: Path) -> float:
    """Seconds to execute ``path`` with nbclient in a fresh kernel, as nbgrader would."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    saved = dict(os.environ)
    os.environ.update(env())
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    stderr = os.dup(2)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # the kernel's start-up warnings
    try:
        started = time.perf_counter()
        NotebookClient(
            nb,
            kernel_name="python3",
            timeout=300,
            allow_errors=True,
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
        return time.perf_counter() - started
    finally:
        os.dup2(stderr, 2)
        os.environ.clear()
        os.environ.update(saved)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench_grading")
    parser.add_argument(
        "--dask-only", action="store_true", help="only the local --jobs row and the Dask rows"
    )
    args = parser.parse_args()
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    submitted, count = make_class(args.out, args.students)
    names = course.assignments(ROOT / "solutions")
    print(
        f"class: {args.students} students x {len(names)} assignments = {count} notebooks "
        f"({os.cpu_count()} CPUs)"
    )

    if args.dask_only:
        parallel = ours(submitted, args.out / "ours", args.jobs)
        print(
            f"autograder grade --jobs {args.jobs}:   {parallel:7.1f} s  "
            f"{count / parallel * 60:6.1f} notebooks/min"
        )
        dask_rows(submitted, args.out, count, parallel)
        coordinator_row(args.out)
        return
    serial = nbgrader_serial(args.out, submitted)
    print(
        f"nbgrader autograde, serial:    {serial:7.1f} s  {count / serial * 60:6.1f} notebooks/min"
    )
    parallel = ours(submitted, args.out / "ours", args.jobs)
    print(
        f"autograder grade --jobs {args.jobs}:   {parallel:7.1f} s  "
        f"{count / parallel * 60:6.1f} notebooks/min  ({serial / parallel:.2f}x nbgrader)"
    )
    dask_rows(submitted, args.out, count, parallel)
    coordinator_row(args.out)

    sample = args.out / "sample"
    for name in names:
        for notebook in course.notebooks(ROOT / "solutions", name):
            target = sample / "perfect" / name / f"{notebook}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(submitted / "student000" / name / f"{notebook}.ipynb", target)
    ours(sample, args.out / "sample_graded", 1)
    ratios = []
    print("per notebook (one kernel at a time):   bare nbclient   autograder   ratio")
    for result_file in sorted((args.out / "sample_graded" / "results").rglob("*.json")):
        result = json.loads(result_file.read_text())
        source = ROOT / "solutions" / result["assignment"] / f"{result['notebook']}.ipynb"
        bare = bare_nbclient(source)
        ratios.append(result["seconds"] / bare)
        print(
            f"  {result['assignment']:<36} {bare:8.2f} s   {result['seconds']:8.2f} s  "
            f"{ratios[-1]:5.2f}"
        )
    print(f"median per-notebook overhead: {statistics.median(ratios):.2f}x bare nbclient")


if __name__ == "__main__":
    main()
