"""Grade a class: every submitted notebook, N at a time, each in its own sandboxed kernel.

For each notebook: read and repair it (``notebook``), run it (``execute``), judge the
checks' outputs here in the grader (``scoring``), then, one notebook at a time in the main
thread, record the scores in nbgrader's gradebook (``gradebook``), write the autograded
notebook and a result file. A result file marks the notebook done: an interrupted run
resumes from them, and a notebook whose inputs have not changed is never graded twice.
Cases come from a seed derived from a per-output-folder key and the notebook's identity,
so regrading gives the same cases and the same grades.

Before any of that, a preflight grades the instructor's solution in the same jail: when it
does not score full marks no learner's grade could be trusted, so the run stops before the
gradebook exists (``Stopped``). A run whose every notebook failed for one reason of ours
says so in ``Outcome.failure``.
"""

import asyncio
import copy
import hashlib
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat
import numpy as np
from nbconvert.preprocessors.sanitize import SanitizeHTML

import autograder
from autograder import course, feedback, late, registry, report, sandbox, versions
from autograder.course import Layout
from autograder.execute import KERNEL_FAILED, Runner
from autograder.exercises import Exercise
from autograder.gradebook import Book, sqlite_url, submitted_at
from autograder.i18n import Text, _, using
from autograder.learner.i18n import edition as file_edition
from autograder.notebook import Prepared, Unreadable, prepare, read
from autograder.scoring import (
    GRADER_ERROR,
    NOT_GRADED,
    REFERENCE_FAILED,
    NotebookResult,
    score_notebook,
    zero,
)
from autograder.submissions import Problem, Task, discover, unpack
from autograder.translation import edition

MAX_COPIED_BYTES = 200 * 2**20
# The preflight's student: a name no student folder can have (``discover`` refuses names
# starting with "."), and one nbgrader's globs over ``autograded/`` skip.
PREFLIGHT = ".preflight"
# A score's reason when the grader, not the learner, failed (in the learner's language).
_INFRASTRUCTURE = (GRADER_ERROR, REFERENCE_FAILED, KERNEL_FAILED)


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


def _hash_files(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.name).encode() + b"\0")
        digest.update(path.read_bytes() if path.exists() else b"<missing>")
    return digest.hexdigest()


def grader_version(versioned: set[Path] = frozenset()) -> str:
    """A hash of the grader's own code: a change to it regrades everything, except to the
    ``versioned`` files (exercise definitions, versioned per exercise by ``versions``)."""
    files = [p for folder in autograder.__path__ for p in Path(folder).rglob("*.py")
             if p.resolve() not in versioned]
    return _hash_files(files)


def read_key(out: Path) -> bytes:
    """The secret that seeds every case, made on first use. Learners cannot predict their
    hidden cases; copying this file with the results lets anyone regrade identically."""
    path = out / "grading.key"
    try:
        # Created private rather than chmod-ed after: no moment where others can read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip().encode()


def derive_seed(key: bytes, *parts: object) -> int:
    digest = hashlib.sha256(key)
    for part in parts:
        digest.update(b"\0" + str(part).encode())
    return int.from_bytes(digest.digest()[:8], "big")


def _neutralise(nb: nbformat.NotebookNode, release: nbformat.NotebookNode
                ) -> nbformat.NotebookNode:
    """``nb`` as safe to open in the instructor's browser (formgrader renders it as HTML
    without sanitising): nbconvert's ``SanitizeHTML`` keeps plain text and PNG/JPEG images,
    passes the learner's ``text/html`` and ``text/markdown`` outputs, markdown and raw cells
    through bleach (no scripts, no event handlers), and drops every other kind of output
    (JavaScript, SVG, widget views). Markdown cells as the instructor released them are
    left alone."""
    released = {c.source for c in release.cells if c.cell_type == "markdown"}
    sanitizer = SanitizeHTML(safe_output_keys={"metadata", "text/plain", "image/png",
                                               "image/jpeg"})
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown" or cell.source not in released:
            sanitizer.preprocess_cell(cell, {}, index)
    return nb


class Grader:
    def __init__(self, course_root: Path, out: Path, options: Options) -> None:
        self.course_root = course_root.resolve()
        self.source_root = self.course_root / "solutions"
        self.out = out.resolve()
        self.options = options
        self.level = options.level or sandbox.probe()
        self.known = {
            a: course.notebooks(self.source_root, a) for a in course.assignments(self.source_root)
        }
        if not self.known:
            raise ValueError(f"No assignments found in {self.source_root}: nothing to grade "
                             "against. Pass --course, the folder holding solutions/.")

    # --- one notebook --------------------------------------------------------------

    def _copy_files(self, task: Task, work: Path) -> bool:
        """The submission's own files, then the assignment's source files over them (as
        nbgrader does); regular files only. ``discover`` refuses a submission holding a link;
        skipping links here is the second line, so a link made since reaches nothing. False when
        the submission's files passed ``MAX_COPIED_BYTES`` and the rest were left out."""
        copied = 0
        complete = True
        folder = task.path.parent
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                relative = path.relative_to(folder)
                if path.is_symlink() or not path.is_file() or path.suffix == ".ipynb":
                    continue
                if any(part.startswith(".") for part in relative.parts):
                    continue
                copied += path.stat().st_size
                if copied > MAX_COPIED_BYTES:
                    complete = False
                    break
                (work / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, work / relative)
        source = self.source_root / task.assignment
        for path in course.assignment_files(self.source_root, task.assignment):
            target = work / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists() or target.is_symlink():
                target.unlink()
            shutil.copyfile(path, target)
        return complete

    def _autograded(self, prepared: Prepared, result: NotebookResult, layout: Layout) -> None:
        """The executed notebook with each test cell's output replaced by its verdict, so that
        nbgrader's own ``determine_grade`` and formgrader read the same scores, and with the
        learner's HTML made harmless (``_neutralise``)."""
        nb = _neutralise(copy.deepcopy(prepared.nb), layout.release)
        scores = {s.grade_id: s for s in result.scores}
        for index, grade_id in prepared.test_cells.items():
            cell = nb.cells[index]
            score = scores.get(grade_id)
            kept = [o for o in cell.get("outputs", [])
                    if o.get("output_type") == "stream" and o.get("name") == "stdout"]
            if score is not None and score.passed:
                kept.append(nbformat.v4.new_output("stream", name="stdout",
                                                   text=f"autograder: {score.reason}\n"))
            elif score is not None:
                kept.append(nbformat.v4.new_output(
                    "error", ename="GradingFailed", evalue=score.reason,
                    traceback=[f"GradingFailed: {score.reason}"]))
            cell.outputs = kept
        path = self.out / "autograded" / result.student / result.assignment
        path.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path / f"{result.notebook}.ipynb")

    async def grade_one(
        self, task: Task, layout: Layout, exercises: dict[str, Exercise]
    ) -> NotebookResult:
        started = time.monotonic()
        try:
            with using(self.options.lang or "en"):  # a notebook unread has no edition
                nb = read(task.path)
        except Unreadable as error:
            result = zero(layout, task.student, NOT_GRADED.format(error=error),
                          self.options.lang or "en")
            result.seconds = time.monotonic() - started
            return result
        lang = self.options.lang or edition(nb)
        with using(lang):  # its notes on restored cells in the learner's language
            prepared = prepare(nb, layout)
        self.counter += 1
        # A user id per notebook: nothing one submission leaves behind (processes still
        # dying after a fork bomb, files) can count against or touch the next one.
        job = sandbox.Job(self.jobs_root / f"job-{self.counter}", self.id_base + self.counter,
                          self.level, self.library, lang)
        job.create()
        try:
            if not self._copy_files(task, job.work):
                with using(lang):
                    prepared.note("", _("the submission's files passed {limit} MB; the rest "
                                        "were not copied").format(limit=MAX_COPIED_BYTES // 2**20))
            job.give(job.work)

            def make_cases(name: str, hidden: bool, grade_id: str, ordinal: int) -> list:
                # Only the exercises the instructor's test cell checks are served to it.
                refused = layout.cell(grade_id).refuses(name)
                if refused:
                    raise LookupError(refused)
                exercise = exercises.get(name)
                if exercise is None:
                    raise LookupError(f"the grader knows no exercise named {name!r}")
                seed = derive_seed(self.key, task.student, task.assignment, task.notebook,
                                   grade_id, name, hidden, ordinal)
                return exercise.cases(np.random.default_rng(seed), hidden)

            runner = Runner(prepared.nb, job, self.options.limits, prepared.test_cells,
                            make_cases)
            with using(lang):  # the cells' errors, which reasons quote, in that language
                runs = await runner.run()

            def score() -> NotebookResult:
                with using(lang):  # the reasons in the learner's language
                    return score_notebook(layout, prepared, runs, exercises, task.student)

            result = await asyncio.to_thread(score)
            result.lang = lang
            self._autograded(prepared, result, layout)
        finally:
            job.remove()
        result.seconds = time.monotonic() - started
        return result

    # --- the class -----------------------------------------------------------------

    def _result_path(self, task: Task) -> Path:
        return self.out / "results" / task.student / task.assignment / f"{task.notebook}.json"

    def _fingerprint(self, task: Task) -> str:
        digest = hashlib.sha256()
        for part in (self.version, self.sources[task.assignment], self.key.decode(),
                     repr(self.options.limits), str(self.options.lang)):
            digest.update(part.encode() + b"\0")
        digest.update(task.path.read_bytes() if task.path.is_file() else b"<missing>")
        return digest.hexdigest()

    def _load(self, task: Task) -> NotebookResult | None:
        try:
            return NotebookResult.from_json(json.loads(self._result_path(task).read_text()))
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def _save(self, task: Task, result: NotebookResult) -> None:
        path = self._result_path(task)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(result.to_json(), indent=1, sort_keys=True))
        temporary.replace(path)

    async def _grade_all(self, todo: list[Task], layouts: dict, exercises: dict,
                         progress: report.Progress) -> None:
        kernels = asyncio.Semaphore(self.options.jobs)

        async def one(task: Task) -> None:
            layout = layouts[task.assignment][task.notebook]
            async with kernels:
                try:
                    result = await self.grade_one(task, layout, exercises[task.assignment])
                except Exception as error:  # a bug of ours must not lose the notebook
                    detail = "".join(traceback.format_exception_only(type(error), error))
                    result = zero(layout, task.student, GRADER_ERROR.format(error=detail.strip()),
                                  self.options.lang or file_edition(task.path))
                    traceback.print_exc()
            result.fingerprint = self._fingerprint(task)
            result.versions = self.versions[task.assignment].cells(layout)
            if self.options.exercise is not None:
                result = versions.merge(self._load(task), result, layout, self.options.exercise)
            # Serialised: only this coroutine's thread writes, one notebook at a time.
            self.book.record(result, layout, submitted_at(task.path.parent))
            self._save(task, result)
            progress.finished(result)

        await asyncio.gather(*(one(task) for task in todo))

    def run(self, submissions: Path) -> Outcome:
        started = time.monotonic()
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
                raise ValueError(f"No submissions from student {self.options.student!r} "
                                 f"in {submissions}")
        if self.options.assignment not in (None, *self.known):
            raise ValueError(f"--assignment {self.options.assignment!r} is not an assignment "
                             f"of {self.source_root}; it has {', '.join(sorted(self.known))}")
        self.key = read_key(self.out)
        involved = sorted({t.assignment for t in tasks})
        self.versions = {a: versions.Versions(self.source_root / a) for a in involved}
        versioned = {p for v in self.versions.values() for p in v.files}
        self.version = grader_version(versioned)
        self.sources = {
            a: _hash_files([p for p in course.assignment_files(self.source_root, a)
                            if p.resolve() not in versioned]
                           + list((self.source_root / a).glob("*.ipynb")))
            for a in involved
        }
        db_url = self.options.db_url or sqlite_url(self.out / "gradebook.db")
        self._prepare_jobs()
        try:
            if involved:
                self._preflight(involved[0])
            results, todo = self._grade_tasks(tasks, involved, db_url, problems)
        finally:
            shutil.rmtree(self.jobs_root, ignore_errors=True)
        ordered = [results[k] for k in sorted(results)]
        report.write_csv(self.out / "grades.csv", ordered, problems)
        feedback.write(self.out / "feedback", ordered)
        self._write_nbgrader_config(db_url)
        graded = [results[t.key] for t in todo if t.key in results]
        return Outcome(ordered, problems, self.out, self.level, len(todo),
                       len(results) - len(todo), time.monotonic() - started,
                       _infrastructure_failure(graded))

    def _grade_tasks(self, tasks: list[Task], involved: list[str], db_url: str,
                     problems: list[Problem]) -> tuple[dict[tuple, NotebookResult], list[Task]]:
        """Grade what changed since the last run into the gradebook; every result by task
        key, and the tasks graded this time."""
        self.book = Book(db_url, late.plugin(late.course_config(self.course_root)),
                         self.options.due)
        try:
            layouts = {a: self.book.layouts(self.source_root, a) for a in involved}
            exercises = {a: registry.exercises(self.source_root / a) for a in involved}
            self._check_exercise_option(layouts)
            results: dict[tuple, NotebookResult] = {}
            todo = []
            for task in tasks:
                layout = layouts[task.assignment][task.notebook]
                left_out = self._left_out(task, layout)
                if left_out:
                    previous = self._load(task)
                    if previous is not None:
                        results[task.key] = previous
                    else:
                        problems.append(Problem(task.student, task.assignment, task.notebook,
                                                f"not graded yet: run grade without {left_out}"))
                    continue
                previous = self._load(task)
                if (previous is not None and previous.fingerprint == self._fingerprint(task)
                        and previous.versions == self.versions[task.assignment].cells(layout)):
                    results[task.key] = previous
                    self.book.record(previous, layouts[task.assignment][task.notebook],
                                     submitted_at(task.path.parent))
                else:
                    todo.append(task)
            progress = report.Progress(len(todo) + len(results))
            progress.skip(len(results))
            asyncio.run(self._grade_all(todo, layouts, exercises, progress))
            for task in todo:
                loaded = self._load(task)
                if loaded is not None:
                    results[task.key] = loaded
        finally:
            self.book.close()
        return results, todo

    def _check_exercise_option(self, layouts: dict[str, dict[str, Layout]]) -> None:
        """Refuse an ``--exercise`` that no test cell of the graded notebooks asks for."""
        wanted = self.options.exercise
        cells = [c for by_name in layouts.values() for layout in by_name.values()
                 for c in layout.cells if c.kind == "test"]
        if wanted is not None and not any(versions.asks(c, wanted) for c in cells):
            known = sorted({c.grade_id for c in cells} | {n for c in cells for n in c.checked})
            raise ValueError(f"--exercise {wanted!r} is neither an exercise nor a test cell "
                             f"of the notebooks graded; they have {', '.join(known)}")

    def _left_out(self, task: Task, layout: Layout) -> str | None:
        """The option (``--student``, ``--assignment``, ``--exercise``) that leaves ``task``
        out of this run, so that its cached result stands; None when it is to be graded."""
        options = self.options
        if options.student is not None and task.student != options.student:
            return "--student"
        if options.assignment is not None and task.assignment != options.assignment:
            return "--assignment"
        if options.exercise is not None and not any(versions.asks(c, options.exercise)
                                                    for c in layout.cells):
            return "--exercise"
        return None

    def _preflight(self, assignment: str) -> None:
        """Grade the instructor's solution of ``assignment``'s first notebook in the learners'
        jail, before the gradebook is touched; raise ``Stopped`` unless it scores full marks.
        Otherwise every learner would be graded by a grader that cannot grade: kernels that
        cannot import the learner-side package, limits too tight for the course, a broken
        solution. A pass is remembered under its fingerprint (the grader's code, the
        assignment's source, the key, the limits, the exercises' versions), so an unchanged
        setup costs nothing."""
        name = self.known[assignment][0]
        task = Task(PREFLIGHT, assignment, name, self.source_root / assignment / f"{name}.ipynb")
        passed = self.out / "results" / PREFLIGHT / "passed"
        # The exercises' versions too: a changed check must grade the solution again.
        fingerprint = self._fingerprint(task) + "".join(
            sorted(self.versions[assignment].exercise.values()))
        if passed.is_file() and passed.read_text() == fingerprint:
            return
        with tempfile.TemporaryDirectory(prefix="autograder-preflight-") as scratch:
            book = Book(sqlite_url(Path(scratch) / "gradebook.db"))
            try:
                layout = book.layouts(self.source_root, assignment)[name]
            finally:
                book.close()
        print(f"preflight: grading the solution of {assignment}/{name}.ipynb", file=sys.stderr)
        try:
            result = asyncio.run(self.grade_one(
                task, layout, registry.exercises(self.source_root / assignment)))
        except Exception as error:  # a bug of ours: the traceback is for whoever fixes it
            traceback.print_exc()
            raise Stopped(f"preflight failed, so no notebook was graded and the gradebook was "
                          f"not touched: grading the solution raised {error!r}") from error
        failed = [s for s in result.scores if s.points is not None and not s.passed]
        if failed:
            raise Stopped(_preflight_failure(task, result, failed))
        passed.parent.mkdir(parents=True, exist_ok=True)
        passed.write_text(fingerprint)

    def _prepare_jobs(self) -> None:
        """This run's jobs folder, with the one copy of the learner side its kernels import."""
        self.jobs_root = Path(tempfile.mkdtemp(prefix="autograder-jobs-"))
        self.jobs_root.chmod(0o755)
        self.library = sandbox.copy_learner_side(self.jobs_root / "lib")
        self.counter = 0
        # User ids of their own for this run's kernels, apart from a concurrent run's.
        self.id_base = (os.getpid() % 4096) * 65536

    def _write_nbgrader_config(self, db_url: str) -> None:
        """So that ``nbgrader formgrader`` run in the output folder shows these grades."""
        text = (
            "# Written by python -m autograder grade: open these grades with nbgrader formgrader.\n"
            "c = get_config()  # noqa\n"
            f"c.CourseDirectory.root = {str(self.out)!r}\n"
            f"c.CourseDirectory.source_directory = {str(self.source_root)!r}\n"
            f"c.CourseDirectory.course_id = {course.COURSE_ID!r}\n"
            f"c.CourseDirectory.db_url = {db_url!r}\n"
        )
        (self.out / "nbgrader_config.py").write_text(text)


def _preflight_failure(task: Task, result: NotebookResult, failed: list) -> str:
    """Why the solution lost points, worded for the instructor with the likely fix."""
    reasons = "\n".join(f"  {s.grade_id}: {s.reason}" for s in failed)
    text = " ".join(s.reason for s in failed)
    where = f"{task.assignment}/{task.notebook}.ipynb"
    if "ModuleNotFoundError" in text and "autograder" in text:
        cause = (f"kernels cannot import the learner-side package: the kernel's Python "
                 f"({sys.executable}) does not have autograder installed from this course. "
                 "Install it there (pip install -e . in the course's checkout) or run the "
                 "grader with the Python that has it")
    elif _opening(KERNEL_FAILED, result.lang) in text:
        cause = ("grading kernels cannot start; the kernel's log, below, says why. Check the "
                 "sandbox (run as root, or where user namespaces are allowed) and --memory")
    else:
        cause = (f"the instructor's solution {where} scores {result.points:g} of "
                 f"{result.max_points:g} in the grading jail. Fix the solution, or raise "
                 "--timeout, --notebook-timeout or --memory if it needs more")
    return (f"preflight failed, so no notebook was graded and the gradebook was not touched: "
            f"{cause}.\nWhat grading the solution of {where} said:\n{reasons}")


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
        kind = next((k for k in _INFRASTRUCTURE if reasons
                     and all(r.startswith(_opening(k, result.lang)) for r in reasons)), None)
        if kind is None:
            return None
        kinds.add(kind)
    if len(kinds) != 1:
        return None
    return (f"every notebook graded failed for the same reason, which no learner causes: "
            f"{results[0].scores[0].reason}")


def grade(submissions: Path, out: Path, course_root: Path, options: Options | None = None
          ) -> Outcome:
    """Grade every notebook under ``submissions`` into ``out``; see the module docstring.
    Raises ``Stopped`` when the preflight fails, before the gradebook is touched."""
    return Grader(course_root, out, options or Options()).run(submissions)

