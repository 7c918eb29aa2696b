"""Running a learner's answer on cases, in the kernel: outputs as plain data, never a crash.

Both ways a check's outputs leave the kernel (``channel`` while grading, ``selfjudge`` when
a learner checks their own work) run the answer through ``outputs`` and send ``payload``.
"""

import traceback
from collections.abc import Callable
from typing import Any

from autograder.learner import wire
from autograder.learner.plain import Case, to_plain

# A driver: calls the learner's answer on one case and returns what the judge compares,
# e.g. ``{"output": [B, H] array, "new_state": ...}``; one per exercise.
Driver = Callable[[Any, Case], Any]


def recorded(error: BaseException) -> wire.RemoteError:
    """An exception as data: its type, message and the traceback the judge reads "where" from."""
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return wire.RemoteError(type(error).__name__, str(error)[:5000], text[-20000:])


def outputs(run: Driver, answer: Any, cases: list[Case]) -> list:
    """``run(answer, case)`` on each case, as plain data, or the ``RemoteError`` it raised."""
    found = []
    for case in cases:
        try:
            found.append(to_plain(run(answer, case)))
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # SystemExit from an answer is its failure, not ours
            found.append(recorded(error))
    return found


def payload(found: list) -> str:
    """``found`` as wire text; if it cannot be written, one error per case that says why."""
    try:
        return wire.dumps(found)
    except wire.WireError as error:
        return wire.dumps([recorded(error)] * len(found))
