"""One notebook through the grading pipeline: ``grade_notebook``, used by ``grade`` (here or on
a Dask worker) and by the learner's ``check`` alike.

Read and repair the notebook (``notebook``), copy its submission's files into a fresh job,
run it in the job's sandboxed kernel (``execute``), serve each check the cases its context
allows, and judge the outputs here in the grader (``scoring``), the reasons in the
learner's language. What differs between grading and a self-check is only what the
``RunContext`` says: the key, the sandbox level, whether hidden cases are served, whether the
assignment's own files are copied over the learner's.
Nothing here writes outside the job, so grading the same notebook twice (a Dask task run
again after its worker died) gives the same result and leaves nothing behind.
"""

import asyncio
import shutil
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from autograder import course, outputs
from autograder.context import RunContext
from autograder.course import Layout
from autograder.execute import Runner
from autograder.exercises import Exercise
from autograder.i18n import _, using
from autograder.learner.i18n import edition as file_edition
from autograder.notebook import Unreadable, prepare, read
from autograder.scoring import GRADER_ERROR, NOT_GRADED, NotebookResult, score_notebook, zero
from autograder.submissions import Task
from autograder.translation import edition

MAX_COPIED_BYTES = 200 * 2**20


def submission_files(folder: Path) -> Iterator[tuple[Path, Path]]:
    """``(relative path, path)`` of each file of a submission that goes into its job, in a
    fixed order: regular files only, no notebooks, nothing hidden. ``discover`` refuses a
    submission holding a link; skipping links here is the second line, so a link made since
    reaches nothing."""
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_symlink() or not path.is_file() or path.suffix == ".ipynb":
            continue
        if any(part.startswith(".") for part in relative.parts):
            continue
        yield relative, path


def copy_files(task: Task, work: Path, source_root: Path | None) -> bool:
    """The submission's own files (``submission_files``), then the assignment's source files
    over them, as nbgrader does (none when ``source_root`` is None: a self-check). False when
    the submission's files passed ``MAX_COPIED_BYTES`` and the rest were left out."""
    copied = 0
    complete = True
    for relative, path in submission_files(task.path.parent):
        copied += path.stat().st_size
        if copied > MAX_COPIED_BYTES:
            complete = False
            break
        (work / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, work / relative)
    if source_root is not None:
        source = source_root / task.assignment
        for path in course.assignment_files(source_root, task.assignment):
            target = work / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists() or target.is_symlink():
                target.unlink()
            shutil.copyfile(path, target)
    return complete


async def grade_notebook(
    context: RunContext, task: Task, layout: Layout, exercises: dict[str, Exercise]
) -> NotebookResult:
    """Grade ``task``'s notebook under ``context``; the result carries the autograded notebook
    (``NotebookResult.autograded``). An unreadable notebook scores 0 with the reason; a
    failure of the grader's own raises."""
    if context.jobs is None:
        raise ValueError(
            "this run context has no jobs folder, so it cannot run kernels "
            "(a Dask coordinator's context grades on its workers)"
        )
    started = time.monotonic()
    try:
        with using(context.lang or "en"):  # a notebook unread has no edition
            nb = read(task.path)
    except Unreadable as error:
        result = zero(layout, task.student, NOT_GRADED.format(error=error), context.lang or "en")
        result.seconds = time.monotonic() - started
        return result
    lang = context.lang or edition(nb)
    with using(lang):  # its notes on restored cells in the learner's language
        prepared = prepare(nb, layout)
    job = context.jobs.new(context.level, lang)
    job.create()
    try:
        if not copy_files(task, job.work, context.source_root):
            with using(lang):
                prepared.note(
                    "",
                    _("the submission's files passed {limit} MB; the rest were not copied").format(
                        limit=MAX_COPIED_BYTES // 2**20
                    ),
                )
        job.give(job.work)

        def make_cases(name: str, hidden: bool, grade_id: str, ordinal: int) -> list:
            if hidden and not context.hidden:
                raise PermissionError(_("hidden tests run only when your instructor grades"))
            # Only the exercises the instructor's test cell checks are served to it.
            refused = layout.cell(grade_id).refuses(name)
            if refused:
                raise LookupError(refused)
            exercise = exercises.get(name)
            if exercise is None:
                raise LookupError(_("no exercise named {exercise}").format(exercise=repr(name)))
            seed = context.seed(task, grade_id, name, hidden, ordinal)
            return exercise.cases(np.random.default_rng(seed), hidden)

        runner = Runner(prepared.nb, job, context.limits, prepared.test_cells, make_cases)
        with using(lang):  # the cells' errors, which reasons quote, in that language
            runs = await runner.run()

        def score() -> NotebookResult:
            with using(lang):  # the reasons in the learner's language
                return score_notebook(layout, prepared, runs, exercises, task.student)

        result = await asyncio.to_thread(score)
        result.lang = lang
        result.autograded = outputs.autograded(prepared, result, layout)
    finally:
        job.remove()
    result.seconds = time.monotonic() - started
    return result


async def grade_or_report(
    context: RunContext, task: Task, layout: Layout, exercises: dict[str, Exercise]
) -> NotebookResult:
    """``grade_notebook``, with a failure of ours turned into a zero that says so: a bug of
    the grader's must not lose the notebook (its traceback goes to stderr, for whoever fixes
    it)."""
    try:
        return await grade_notebook(context, task, layout, exercises)
    except Exception as error:
        detail = "".join(traceback.format_exception_only(type(error), error))
        traceback.print_exc()
        return zero(
            layout,
            task.student,
            GRADER_ERROR.format(error=detail.strip()),
            context.lang or file_edition(task.path),
        )
