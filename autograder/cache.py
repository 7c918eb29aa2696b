"""The results cache: one file per graded notebook under ``OUT/results``.

A result file marks its notebook done, under a fingerprint of everything its grade depends
on (``fingerprint``) but the exercise definitions, and with the version of the checks each
test cell made (``versions``): an interrupted run resumes from these files, and a notebook
whose inputs and checks have not changed is never graded twice. Files are replaced
atomically, so a run killed mid-write leaves the previous result or none, never half of one.
"""

import hashlib
import json
from pathlib import Path

from autograder.context import RunContext
from autograder.course import Layout
from autograder.scoring import NotebookResult
from autograder.submissions import Task


def fingerprint(context: RunContext, task: Task) -> str:
    """The grader's code, the assignment's source, the key, the limits, the language of the
    reasons and the notebook."""
    digest = hashlib.sha256()
    for part in (
        context.version,
        context.sources[task.assignment],
        context.key.decode(),
        repr(context.limits),
        str(context.lang),
    ):
        digest.update(part.encode() + b"\0")
    digest.update(task.path.read_bytes() if task.path.is_file() else b"<missing>")
    return digest.hexdigest()


def _path(out: Path, task: Task) -> Path:
    return out / "results" / task.student / task.assignment / f"{task.notebook}.json"


def load(out: Path, task: Task) -> NotebookResult | None:
    """The last result saved for ``task``, whatever its fingerprint; None when there is none
    or it cannot be read."""
    try:
        return NotebookResult.from_json(json.loads(_path(out, task).read_text()))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def current(out: Path, context: RunContext, task: Task, layout: Layout) -> NotebookResult | None:
    """The saved result for ``task`` when it is still valid: its fingerprint matches, and
    each of its test cells was judged by the checks as they are now."""
    previous = load(out, task)
    if (
        previous is not None
        and previous.fingerprint == fingerprint(context, task)
        and previous.versions == context.versions[task.assignment].cells(layout)
    ):
        return previous
    return None


def save(out: Path, task: Task, result: NotebookResult) -> None:
    path = _path(out, task)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(result.to_json(), indent=1, sort_keys=True))
    temporary.replace(path)


def _passed(out: Path, student: str) -> Path:
    return out / "results" / student / "passed"


def preflight_passed(out: Path, student: str, stamp: str) -> bool:
    """Whether a preflight passed under the fingerprint ``stamp`` (``remember_preflight``)."""
    path = _passed(out, student)
    return path.is_file() and path.read_text() == stamp


def remember_preflight(out: Path, student: str, stamp: str) -> None:
    path = _passed(out, student)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(stamp)
