"""The learner's self-check: run my notebook as the grader would, on the visible tests only.

It uses the grading pipeline itself (the same kernel channel, the same judge, the same
restoring of test cells from the release), so a learner sees what grading will see, minus
the hidden tests: a request for hidden cases is refused. It needs no root and hides no
files; the learner's code runs with resource limits, in a kernel of its own.
"""

import asyncio
import hashlib
import os
import shutil
import tempfile
import unicodedata
from pathlib import Path

import nbformat
import numpy as np

from autograder import course, registry, sandbox
from autograder.execute import Runner
from autograder.i18n import N_, _, using
from autograder.learner.i18n import ENVIRONMENT, supported
from autograder.notebook import Unreadable, prepare, read
from autograder.scoring import NotebookResult, score_notebook, zero
from autograder.translation import edition


def _release_for(path: Path) -> nbformat.NotebookNode | None:
    """The released version of ``path`` (``course/<assignment>/<name>.ipynb``), if found."""
    for root in [path.resolve().parent.parent.parent, Path.cwd()]:
        candidate = root / "course" / path.parent.name / path.name
        if candidate.exists() and candidate.resolve() != path.resolve():
            return nbformat.read(candidate, as_version=4)
    return None


def check(
    path: Path,
    limits: sandbox.Limits | None = None,
    course_root: Path | None = None,
    lang: str | None = None,
) -> NotebookResult:
    """Run the notebook at ``path`` and judge its visible tests.

    ``course_root`` is where to look first for the grader half of an assignment's own
    exercises (``registry.grader_side_file``). The messages are in ``lang``; else in
    ``RNN_COURSE_LANG``; else in the notebook's edition (``translation.edition``).
    """
    limits = limits or sandbox.Limits()
    assignment, name = path.resolve().parent.name, path.stem
    asked = lang or os.environ.get(ENVIRONMENT)  # else the notebook's edition, once read
    with using(supported(asked or "en")):
        try:
            nb = read(path)
        except Unreadable as error:
            raise SystemExit(_("Cannot check {path}: {error}.").format(path=path, error=error)
                             ) from None
    lang = supported(asked or edition(nb))
    release = _release_for(path) or nb
    layout = course.layout_from_release(release, assignment, name)
    with using(lang):
        if not layout.graded:
            raise SystemExit(_(
                "{path} has no graded cells (no nbgrader test cells): nothing to check."
            ).format(path=path))
        try:
            exercises = registry.exercises(path.resolve().parent, course_root)
        except ValueError as error:
            raise SystemExit(_("Cannot check {path}: {error}.").format(path=path, error=error)
                             ) from None
        prepared = prepare(nb, layout)

    def make_cases(exercise: str, hidden: bool, grade_id: str, ordinal: int) -> list:
        if hidden:
            raise PermissionError(_("hidden tests run only when your instructor grades"))
        refused = layout.cell(grade_id).refuses(exercise)
        if refused:
            raise LookupError(refused)
        if exercise not in exercises:
            raise LookupError(_("no exercise named {exercise}").format(exercise=repr(exercise)))
        digest = hashlib.sha256(f"{assignment}/{name}/{grade_id}/{ordinal}".encode()).digest()
        seed = int.from_bytes(digest[:8], "big")
        return exercises[exercise].cases(np.random.default_rng(seed), False)

    scratch = Path(tempfile.mkdtemp(prefix="autograder-check-"))
    job = sandbox.Job(scratch / "job", 0, "none", lang=lang)
    job.create()
    try:
        for extra in path.resolve().parent.iterdir():
            if extra.is_file() and extra.suffix != ".ipynb":
                shutil.copyfile(extra, job.work / extra.name)
        with using(lang):  # the cells' errors and refusals, which reasons quote
            runs = asyncio.run(
                Runner(prepared.nb, job, limits, prepared.test_cells, make_cases).run())
    except Exception as error:  # report, as grading would, rather than crash
        result = zero(layout, "you",
                      N_("the notebook could not be run: {error}").format(error=error), lang)
    else:
        with using(lang):
            result = score_notebook(layout, prepared, runs, exercises, "you")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result.lang = lang
    return result


def render(result: NotebookResult) -> str:
    """Per exercise: pass or fail, points, and the checks' message, in the result's language."""
    with using(result.lang):
        return _render(result)


def _columns(text: str) -> int:
    """How many columns ``text`` takes in a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _padded(text: str, width: int) -> str:
    return text + " " * (width - _columns(text))


def _render(result: NotebookResult) -> str:
    width = max(_columns(mark) for mark in ("?", _("PASS"), _("FAIL")))
    lines = [_("{notebook} (visible tests only)").format(
        notebook=f"{result.assignment}/{result.notebook}.ipynb")]
    lines += ["  " + _("note: {note}").format(note=note) for note in result.notes]
    for score in result.scores:
        if score.points is None:
            mark, points = "?", f"?/{score.max_points:g}"
        else:
            mark = _("PASS") if score.passed else _("FAIL")
            points = f"{score.points:g}/{score.max_points:g}"
        lines.append(f"  {_padded(mark, width)}  {points:>7}  {score.grade_id}")
        if not score.passed:
            lines += [f"                 {line}" for line in score.reason.splitlines()]
    lines.append("  " + _(
        "total {points:g}/{max_points:g} on the visible tests; grading adds hidden tests."
    ).format(points=result.points, max_points=result.max_points))
    return "\n".join(lines)
