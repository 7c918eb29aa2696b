"""The learner's self-check: run my notebook as the grader would, on the visible tests only.

It uses the grading pipeline itself (the same kernel channel, the same judge, the same
restoring of test cells from the release), so a learner sees what grading will see, minus
the hidden tests: a request for hidden cases is refused. It needs no root and hides no
files; the learner's code runs with resource limits, in a kernel of its own.
"""

import asyncio
import os
import unicodedata
from pathlib import Path

import nbformat

from autograder import course, registry, sandbox
from autograder.context import Jobs, RunContext
from autograder.i18n import N_, _, using
from autograder.learner.i18n import ENVIRONMENT, supported
from autograder.notebook import Unreadable, read
from autograder.pipeline import grade_notebook
from autograder.scoring import NotebookResult, zero
from autograder.submissions import Task
from autograder.translation import edition

# What names the learner in the result, and seeds the visible cases with no secret in it.
LEARNER = "you"
KEY = b"self-check"


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
    assignment, name = path.resolve().parent.name, path.stem
    asked = lang or os.environ.get(ENVIRONMENT)  # else the notebook's edition, once read
    with using(supported(asked or "en")):
        try:
            nb = read(path)
        except Unreadable as error:
            raise SystemExit(
                _("Cannot check {path}: {error}.").format(path=path, error=error)
            ) from None
    lang = supported(asked or edition(nb))
    release = _release_for(path) or nb
    layout = course.layout_from_release(release, assignment, name)
    with using(lang):
        if not layout.graded:
            raise SystemExit(
                _("{path} has no graded cells (no nbgrader test cells): nothing to check.").format(
                    path=path
                )
            )
        try:
            exercises = registry.exercises(path.resolve().parent, course_root)
        except ValueError as error:
            raise SystemExit(
                _("Cannot check {path}: {error}.").format(path=path, error=error)
            ) from None
    # What makes this a self-check rather than grading: visible cases only, resource limits
    # without a jail or a user of its own (no root needed), the installed package imported,
    # no assignment files copied over the learner's.
    context = RunContext(
        key=KEY,
        version="",
        sources={},
        limits=limits or sandbox.Limits(),
        level="none",
        source_root=None,
        jobs=Jobs.make(library=False),
        hidden=False,
        lang=lang,
    )
    task = Task(LEARNER, assignment, name, path.resolve())
    try:
        return asyncio.run(grade_notebook(context, task, layout, exercises))
    except Exception as error:  # report, as grading would, rather than crash
        return zero(
            layout, LEARNER, N_("the notebook could not be run: {error}").format(error=error), lang
        )
    finally:
        context.jobs.remove()


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
    lines = [
        _("{notebook} (visible tests only)").format(
            notebook=f"{result.assignment}/{result.notebook}.ipynb"
        )
    ]
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
    lines.append(
        "  "
        + _(
            "total {points:g}/{max_points:g} on the visible tests; grading adds hidden tests."
        ).format(points=result.points, max_points=result.max_points)
    )
    return "\n".join(lines)
