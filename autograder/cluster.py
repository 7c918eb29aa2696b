"""Grading on the workers of an existing ``dask.distributed`` cluster (``grade --scheduler``).

The coordinator (the ``grade`` process) does what it does for a local run (discovery, the
cache, the gradebook, ``grades.csv``, feedback) and hands each notebook to the cluster as
one task. What travels is plain data:

- to the worker, the run's context (``RunContext.plain``: key, versions, limits), the
  notebook's layout (from the coordinator's gradebook, hidden tests included), and the
  submission itself (``Submission``: the notebook's bytes and its files' bytes, under the
  same policy and size limit as a local run's copy). Submissions need no shared file system.
- back, the ``NotebookResult`` with its autograded notebook.

The course is not sent: every worker needs the same checkout at the path given with
``--course`` (the worker's autograder, the assignment's source and its exercises must hash
as the coordinator's, checked on every task, else the task fails and the run stops). Each
worker grades in its own jail, exactly as local grading does (``pipeline.grade_notebook`` in
a job of the worker's own, at the sandbox level the worker probes), with cases seeded by the
key and the notebook's identity, so its grades are those of a local run.

A task writes nothing outside its job and its scratch folder, so running it twice is
harmless: when a worker dies mid-notebook, the scheduler gives its tasks to another worker
(up to ``distributed.scheduler.allowed-failures`` deaths per task, 3 by default), and the
coordinator records each result as it arrives, so an interrupted run resumes from the
cache like a local one.
"""

import asyncio
import atexit
import functools
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from distributed import Client, as_completed

from autograder import registry, sandbox
from autograder.context import Jobs, RunContext
from autograder.course import Layout
from autograder.exercises import Exercise
from autograder.grading import Layouts, Record, Stopped
from autograder.pipeline import MAX_COPIED_BYTES, grade_or_report, submission_files
from autograder.scoring import NotebookResult
from autograder.submissions import Task

# Weakest first: a run is as confined as its least confined worker.
LEVELS = ("none", "user", "root")


@dataclass(frozen=True)
class Submission:
    """One notebook and its submission's files, as bytes, to grade where they are not.
    ``overflow`` is the file at which the files passed ``MAX_COPIED_BYTES``: only its name
    and size travel, so that the worker's copy stops there and says so as a local one does."""

    student: str
    assignment: str
    notebook: str
    content: bytes | None  # None: the notebook is missing from the submission
    files: tuple[tuple[str, bytes], ...]
    overflow: tuple[str, int] | None

    @classmethod
    def pack(cls, task: Task) -> "Submission":
        files, total, overflow = [], 0, None
        for relative, path in submission_files(task.path.parent):
            size = path.stat().st_size
            total += size
            if total > MAX_COPIED_BYTES:
                overflow = (str(relative), size)
                break
            files.append((str(relative), path.read_bytes()))
        content = task.path.read_bytes() if task.path.is_file() else None
        return cls(task.student, task.assignment, task.notebook, content, tuple(files), overflow)

    def unpack(self, folder: Path) -> Task:
        """The submission written into ``folder``; the task that grades it from there."""
        path = folder / f"{self.notebook}.ipynb"
        if self.content is not None:
            path.write_bytes(self.content)
        for relative, data in self.files:
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_bytes(data)
        if self.overflow is not None:
            relative, size = self.overflow
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            with open(folder / relative, "wb") as file:
                file.truncate(size)  # sparse: its size counts, its bytes never travelled
        return Task(self.student, self.assignment, self.notebook, path)


@functools.cache
def _worker() -> tuple[str, Jobs]:
    """This worker process's sandbox level and jobs folder, made on its first task and
    removed when it exits (one killed outright leaves it in its temporary folder)."""
    jobs = Jobs.make()
    atexit.register(jobs.remove)
    return sandbox.probe(), jobs


@functools.cache
def _exercises(
    assignment_folder: Path, version: str, checks: tuple[tuple[str, str], ...]
) -> dict[str, Exercise]:
    """An assignment's exercises, loaded once per worker, source ``version`` and exercise
    versions (``checks``: each exercise's name and version)."""
    return registry.exercises(assignment_folder)


def grade_remotely(plain: dict, submission: Submission, layout: Layout) -> NotebookResult:
    """Run on a worker: grade ``submission`` under the coordinator's context (``plain``)."""
    level, jobs = _worker()
    context = RunContext.on_worker(plain, level, jobs)
    exercises = _exercises(
        context.source_root / submission.assignment,
        context.sources[submission.assignment],
        tuple(sorted(context.versions[submission.assignment].exercise.items())),
    )
    with tempfile.TemporaryDirectory(prefix="autograder-submission-") as scratch:
        task = submission.unpack(Path(scratch))
        return asyncio.run(grade_or_report(context, task, layout, exercises))


class Cluster:
    """A ``grading.Backend`` on the workers of the Dask scheduler at ``address``."""

    def __init__(self, address: str) -> None:
        try:
            self.client = Client(address, timeout="30s")
        except OSError as error:
            raise ValueError(
                f"Cannot reach the Dask scheduler at {address}: {error}. Start "
                "it (dask scheduler) and its workers first."
            ) from None

    def probe(self) -> str:
        """The weakest sandbox level among the workers (each probes its own machine)."""
        levels = self.client.run(sandbox.probe)
        if not levels:
            raise ValueError(
                f"The Dask scheduler at {self.client.scheduler.address} has no "
                "workers: start some (dask worker ADDRESS --nthreads 1)."
            )
        return min(levels.values(), key=LEVELS.index)

    def jobs(self) -> None:
        """Kernels run on the workers, in jobs of their own."""

    def grade(
        self, context: RunContext, todo: list[Task], layouts: Layouts, record: Record
    ) -> None:
        """One task per notebook, the results recorded as they complete. Only a window of
        tasks is out at a time (twice the cluster's threads, as it grows or shrinks), so the
        coordinator never holds a whole class's submissions in memory. A task that fails (a
        worker whose course differs, one that died too often under it) stops the run: what
        was recorded stays in the cache for the next run."""
        # Sent to every worker once, not with each task (a list: scatter reads a dict's keys
        # as names).
        plain = self.client.scatter([context.plain()], broadcast=True)[0]
        shared = {
            (a, n): self.client.scatter([layout], broadcast=True)[0]
            for a, notebooks in layouts.items()
            for n, layout in notebooks.items()
        }
        waiting = iter(todo)
        out: dict = {}
        running = as_completed()

        def top_up() -> None:
            window = max(2 * sum(self.client.nthreads().values()), 2)
            while len(out) < window:
                task = next(waiting, None)
                if task is None:
                    return
                future = self.client.submit(
                    grade_remotely,
                    plain,
                    Submission.pack(task),
                    shared[task.assignment, task.notebook],
                    key=f"grade-notebook-{uuid.uuid4().hex}",
                )
                out[future] = task
                running.add(future)

        top_up()
        for future in running:
            task = out.pop(future)
            try:
                result = future.result()
            except Exception as error:
                self.client.cancel(list(out))
                raise Stopped(
                    f"a Dask worker could not grade {task.student}/"
                    f"{task.assignment}/{task.notebook}.ipynb, so the run stopped "
                    f"(what was graded is kept; run grade again to resume): "
                    f"{error!r}"
                ) from error
            record(task, result)
            top_up()

    def close(self) -> None:
        self.client.close()
