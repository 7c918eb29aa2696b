"""Grade a class: every submitted notebook, each in its own sandboxed kernel, here (N at a
time) or on the workers of a Dask cluster (``cluster``).

The grader in parts: a ``RunContext`` built once per run (``context``), one
``grade_notebook`` per notebook (``pipeline``), the results cache (``cache``) and what the
run leaves for people (``outputs``). This module runs the class through them: discover the
submissions, skip what the cache says is done, hand the rest to a ``Backend`` (``Local`` or
``cluster.Cluster``), and, as each result arrives, in this process alone, record it in
nbgrader's gradebook (``gradebook``), write its autograded notebook and save it in the
cache. A saved result marks the notebook done: an interrupted run resumes from them, and a
notebook whose inputs and checks have not changed is never graded twice; ``--student``,
``--assignment`` and ``--exercise`` regrade a part and keep every other cached result
(``versions``). Late penalties are nbgrader's, from the gradebook's due dates (``late``).
Cases come from a seed derived from a per-output-folder key and the notebook's identity, so
regrading, wherever it runs, gives the same cases and the same grades.

Before any of that, a preflight grades the instructor's solution in the same jail: when it
does not score full marks no learner's grade could be trusted, so the run stops before the
gradebook exists (``Stopped``). A run whose every notebook failed for one reason of ours
says so in ``Outcome.failure``.
"""

import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from autograder import cache, course, late, outputs, registry, report, sandbox, versions
from autograder.context import Jobs, RunContext, read_key
from autograder.course import Layout
from autograder.execute import KERNEL_FAILED
from autograder.gradebook import Book, sqlite_url, submitted_at
from autograder.i18n import Text, using
from autograder.pipeline import grade_or_report
from autograder.scoring import GRADER_ERROR, REFERENCE_FAILED, NotebookResult
from autograder.submissions import Problem, Task, discover, unpack

# The preflight's student: a name no student folder can have (``discover`` refuses names
# starting with "."), and one nbgrader's globs over ``autograded/`` skip.
PREFLIGHT = ".preflight"
# A score's reason when the grader, not the learner, failed (in the learner's language).
_INFRASTRUCTURE = (GRADER_ERROR, REFERENCE_FAILED, KERNEL_FAILED)

# Layouts by assignment, then notebook name.
Layouts = dict[str, dict[str, Layout]]
# Called in the coordinator, one result at a time, as each notebook is graded.
Record = Callable[[Task, NotebookResult], None]


class Stopped(Exception):
    """Grading stopped for a cause no learner controls; the message says which and the fix."""


@dataclass
class Options:
    jobs: int = 2
    db_url: str | None = None
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    student: str | None = None  # regrade this student only
    level: str | None = None  # sandbox level; probed when None
    due: dict[str, datetime] = field(default_factory=dict)  # --due, over the gradebook's
    assignment: str | None = None  # regrade this assignment only
    exercise: str | None = None  # regrade this exercise (name or grade_id) only; ``versions``
    lang: str | None = None  # the feedback's language; None: each notebook's edition
    scheduler: str | None = None  # a Dask scheduler's address: grade on its workers


@dataclass
class Outcome:
    """What ``grade`` did: the results and problems behind ``grades.csv``, and where it wrote."""

    results: list[NotebookResult]
    problems: list[Problem]
    out: Path
    level: str
    graded: int
    reused: int
    seconds: float
    failure: str | None = None  # every notebook graded failed for this reason of ours

    @property
    def csv(self) -> Path:
        return self.out / "grades.csv"

    @property
    def feedback(self) -> Path:
        return self.out / "feedback"


class Backend(Protocol):
    """Where notebooks are graded: ``grade`` runs ``grade_notebook`` on each task and calls
    ``record`` in this process with each result as it arrives, in any order."""

    def probe(self) -> str:
        """The sandbox level the kernels run at (the weakest, across machines)."""

    def jobs(self) -> Jobs | None:
        """A jobs folder for this process's kernels; None when they run elsewhere."""

    def grade(
        self, context: RunContext, todo: list[Task], layouts: Layouts, record: Record
    ) -> None: ...

    def close(self) -> None: ...


class Local:
    """Grading on this machine: ``jobs`` kernels at a time, each in its own job."""

    def __init__(self, jobs: int) -> None:
        self.kernels = jobs

    def probe(self) -> str:
        return sandbox.probe()

    def jobs(self) -> Jobs:
        return Jobs.make()

    def grade(
        self, context: RunContext, todo: list[Task], layouts: Layouts, record: Record
    ) -> None:
        exercises = {
            a: registry.exercises(context.source_root / a)
            for a in sorted({t.assignment for t in todo})
        }

        async def grade_all() -> None:
            kernels = asyncio.Semaphore(self.kernels)

            async def one(task: Task) -> None:
                async with kernels:
                    result = await grade_or_report(
                        context,
                        task,
                        layouts[task.assignment][task.notebook],
                        exercises[task.assignment],
                    )
                # One coroutine at a time reaches here: ``record`` needs no lock.
                record(task, result)

            await asyncio.gather(*(one(task) for task in todo))

        asyncio.run(grade_all())

    def close(self) -> None:
        """Nothing held between runs."""


class Grader:
    """One class's grading into ``out``: see the module docstring. The backend (this machine,
    or a Dask cluster when ``options.scheduler`` names one) is chosen here, and its sandbox
    level known before ``run``."""

    def __init__(self, course_root: Path, out: Path, options: Options) -> None:
        self.course_root = course_root.resolve()
        self.source_root = self.course_root / "solutions"
        self.out = out.resolve()
        self.options = options
        self.known = {
            a: course.notebooks(self.source_root, a) for a in course.assignments(self.source_root)
        }
        if not self.known:
            raise ValueError(
                f"No assignments found in {self.source_root}: nothing to grade "
                "against. Pass --course, the folder holding solutions/."
            )
        self.backend: Backend
        if options.scheduler is not None:
            from autograder.cluster import Cluster  # only a cluster's run needs Dask

            self.backend = Cluster(options.scheduler)
        else:
            self.backend = Local(options.jobs)
        self.level = options.level or self.backend.probe()

    def run(self, submissions: Path) -> Outcome:
        started = time.monotonic()
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            problems: list[Problem] = []
            root = submissions
            if submissions.is_file():
                unpacked = self.out / "unpacked"
                shutil.rmtree(unpacked, ignore_errors=True)
                problems += unpack(submissions, unpacked, self.known)
                root = unpacked / "submitted"
            if not root.is_dir():
                raise ValueError(f"{submissions} is neither a folder of submissions nor a zip file")
            tasks, found = discover(root, self.known)
            problems += found
            if self.options.student is not None:
                if not any(t.student == self.options.student for t in tasks):
                    raise ValueError(
                        f"No submissions from student {self.options.student!r} in {submissions}"
                    )
            if self.options.assignment not in (None, *self.known):
                raise ValueError(
                    f"--assignment {self.options.assignment!r} is not an "
                    f"assignment of {self.source_root}; it has "
                    f"{', '.join(sorted(self.known))}"
                )
            involved = sorted({t.assignment for t in tasks})
            db_url = self.options.db_url or sqlite_url(self.out / "gradebook.db")
            context = RunContext.for_class(
                read_key(self.out),
                self.source_root,
                involved,
                self.options.limits,
                self.level,
                self.backend.jobs(),
                self.options.lang,
            )
            try:
                if involved:
                    self._preflight(context, involved[0])
                results, todo = self._grade_tasks(context, tasks, involved, db_url, problems)
            finally:
                if context.jobs is not None:
                    context.jobs.remove()
        finally:
            self.backend.close()
        ordered = [results[k] for k in sorted(results)]
        outputs.write_class(self.out, ordered, problems, db_url, self.source_root)
        graded = [results[t.key] for t in todo if t.key in results]
        return Outcome(
            ordered,
            problems,
            self.out,
            self.level,
            len(todo),
            len(results) - len(todo),
            time.monotonic() - started,
            _infrastructure_failure(graded),
        )

    def _grade_tasks(
        self,
        context: RunContext,
        tasks: list[Task],
        involved: list[str],
        db_url: str,
        problems: list[Problem],
    ) -> tuple[dict[tuple, NotebookResult], list[Task]]:
        """Grade what changed since the last run into the gradebook; every result by task
        key, and the tasks graded this time."""
        book = Book(db_url, late.plugin(late.course_config(self.course_root)), self.options.due)
        try:
            layouts = {a: book.layouts(self.source_root, a) for a in involved}
            self._check_exercise_option(layouts)
            results: dict[tuple, NotebookResult] = {}
            todo = []
            for task in tasks:
                layout = layouts[task.assignment][task.notebook]
                left_out = self._left_out(task, layout)
                if left_out:
                    previous = cache.load(self.out, task)
                    if previous is not None:
                        results[task.key] = previous
                    else:
                        problems.append(
                            Problem(
                                task.student,
                                task.assignment,
                                task.notebook,
                                f"not graded yet: run grade without {left_out}",
                            )
                        )
                    continue
                previous = cache.current(self.out, context, task, layout)
                if previous is not None:
                    results[task.key] = previous
                    book.record(previous, layout, submitted_at(task.path.parent))
                else:
                    todo.append(task)
            progress = report.Progress(len(todo) + len(results))
            progress.skip(len(results))

            def record(task: Task, result: NotebookResult) -> None:
                layout = layouts[task.assignment][task.notebook]
                result.fingerprint = cache.fingerprint(context, task)
                result.versions = context.versions[task.assignment].cells(layout)
                if self.options.exercise is not None:
                    result = versions.merge(
                        cache.load(self.out, task), result, layout, self.options.exercise
                    )
                book.record(result, layout, submitted_at(task.path.parent))
                outputs.write_autograded(self.out, result)
                cache.save(self.out, task, result)
                progress.finished(result)

            self.backend.grade(context, todo, layouts, record)
            for task in todo:
                loaded = cache.load(self.out, task)
                if loaded is not None:
                    results[task.key] = loaded
        finally:
            book.close()
        return results, todo

    def _check_exercise_option(self, layouts: Layouts) -> None:
        """Refuse an ``--exercise`` that no test cell of the graded notebooks asks for."""
        wanted = self.options.exercise
        cells = [
            c
            for by_name in layouts.values()
            for layout in by_name.values()
            for c in layout.cells
            if c.kind == "test"
        ]
        if wanted is not None and not any(versions.asks(c, wanted) for c in cells):
            known = sorted({c.grade_id for c in cells} | {n for c in cells for n in c.checked})
            raise ValueError(
                f"--exercise {wanted!r} is neither an exercise nor a test cell "
                f"of the notebooks graded; they have {', '.join(known)}"
            )

    def _left_out(self, task: Task, layout: Layout) -> str | None:
        """The option (``--student``, ``--assignment``, ``--exercise``) that leaves ``task``
        out of this run, so that its cached result stands; None when it is to be graded."""
        options = self.options
        if options.student is not None and task.student != options.student:
            return "--student"
        if options.assignment is not None and task.assignment != options.assignment:
            return "--assignment"
        if options.exercise is not None and not any(
            versions.asks(c, options.exercise) for c in layout.cells
        ):
            return "--exercise"
        return None

    def _preflight(self, context: RunContext, assignment: str) -> None:
        """Grade the instructor's solution of ``assignment``'s first notebook in the learners'
        jail (on the backend that grades them), before the gradebook is touched; raise
        ``Stopped`` unless it scores full marks. Otherwise every learner would be graded by a
        grader that cannot grade: kernels that cannot import the learner-side package,
        limits too tight for the course, a broken solution. A pass is remembered under its
        fingerprint (the grader's code, the assignment's source, the key, the limits, the
        exercises' versions), so an unchanged setup costs nothing."""
        name = self.known[assignment][0]
        task = Task(PREFLIGHT, assignment, name, self.source_root / assignment / f"{name}.ipynb")
        # The exercises' versions too: a changed check must grade the solution again.
        stamp = cache.fingerprint(context, task) + "".join(
            sorted(context.versions[assignment].exercise.values())
        )
        if cache.preflight_passed(self.out, PREFLIGHT, stamp):
            return
        with tempfile.TemporaryDirectory(prefix="autograder-preflight-") as scratch:
            book = Book(sqlite_url(Path(scratch) / "gradebook.db"))
            try:
                layout = book.layouts(self.source_root, assignment)[name]
            finally:
                book.close()
        print(f"preflight: grading the solution of {assignment}/{name}.ipynb", file=sys.stderr)
        graded: list[NotebookResult] = []
        self.backend.grade(
            context, [task], {assignment: {name: layout}}, lambda _, result: graded.append(result)
        )
        result = graded[0]
        failed = [s for s in result.scores if s.points is not None and not s.passed]
        if failed:
            raise Stopped(_preflight_failure(task, result, failed))
        cache.remember_preflight(self.out, PREFLIGHT, stamp)


def _preflight_failure(task: Task, result: NotebookResult, failed: list) -> str:
    """Why the solution lost points, worded for the instructor with the likely fix."""
    reasons = "\n".join(f"  {s.grade_id}: {s.reason}" for s in failed)
    text = " ".join(s.reason for s in failed)
    where = f"{task.assignment}/{task.notebook}.ipynb"
    if "ModuleNotFoundError" in text and "autograder" in text:
        cause = (
            f"kernels cannot import the learner-side package: the kernel's Python "
            f"({sys.executable}) does not have autograder installed from this course. "
            "Install it there (pip install -e . in the course's checkout) or run the "
            "grader with the Python that has it"
        )
    elif _opening(GRADER_ERROR, result.lang) in text:
        cause = (
            "grading the solution raised an error in the grader itself (its traceback "
            "is on stderr, above); no learner could have been graded"
        )
    elif _opening(KERNEL_FAILED, result.lang) in text:
        cause = (
            "grading kernels cannot start; the kernel's log, below, says why. Check the "
            "sandbox (run as root, or where user namespaces are allowed) and --memory"
        )
    else:
        cause = (
            f"the instructor's solution {where} scores {result.points:g} of "
            f"{result.max_points:g} in the grading jail. Fix the solution, or raise "
            "--timeout, --notebook-timeout or --memory if it needs more"
        )
    return (
        f"preflight failed, so no notebook was graded and the gradebook was not touched: "
        f"{cause}.\nWhat grading the solution of {where} said:\n{reasons}"
    )


def _opening(message: Text, lang: str) -> str:
    """What ``message`` says in ``lang`` before its first placeholder."""
    with using(lang):
        return str(message).split("{")[0]


def _infrastructure_failure(results: list[NotebookResult]) -> str | None:
    """The reason every notebook in ``results`` failed, when it is one of ours (a grader
    error, a kernel that could not start) and all share it; else None."""
    kinds = set()
    for result in results:
        reasons = [s.reason for s in result.scores if s.kind == "test"]  # not written answers
        kind = next(
            (
                k
                for k in _INFRASTRUCTURE
                if reasons and all(r.startswith(_opening(k, result.lang)) for r in reasons)
            ),
            None,
        )
        if kind is None:
            return None
        kinds.add(kind)
    if len(kinds) != 1:
        return None
    return (
        f"every notebook graded failed for the same reason, which no learner causes: "
        f"{results[0].scores[0].reason}"
    )


def grade(
    submissions: Path, out: Path, course_root: Path, options: Options | None = None
) -> Outcome:
    """Grade every notebook under ``submissions`` into ``out``; see the module docstring.
    Raises ``Stopped`` when the preflight fails, before the gradebook is touched."""
    return Grader(course_root, out, options or Options()).run(submissions)
