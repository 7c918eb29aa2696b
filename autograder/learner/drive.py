"""Running a learner's answer on cases, in the kernel: outputs as plain data, never a crash.

Both ways a check's outputs leave the kernel (``channel`` while grading, ``selfjudge`` when
a learner checks their own work) run the answer through ``outputs`` and send ``payload``.
Each case's report also carries the case as it is after the call, so the grader (never this
kernel) can tell whether the answer wrote into the arrays it was given.

An exercise whose answer calls an earlier piece the learner wrote (``static_rnn`` calls
``dynamic_rnn``) is graded with a correct earlier piece: the grader puts in the case, under
``"earlier"``, the correct results of exactly the calls a correct answer makes, and the
driver rebinds the piece's name in the answer's globals to a stand-in answering from that
table (``standing_in``, ``answer_from``). The table answers only those inputs, so it can
not stand in for the earlier exercise's own, differently drawn cases.
"""

import copy
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from autograder.learner import wire
from autograder.learner.i18n import _
from autograder.learner.plain import Case, Named, to_plain

# A driver: calls the learner's answer on one case and returns what the judge compares,
# e.g. ``{"output": [B, H] array, "new_state": ...}``; one per exercise.
Driver = Callable[[Any, Case], Any]


def recorded(error: BaseException) -> wire.RemoteError:
    """An exception as data: its type, message and the traceback the judge reads "where" from."""
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return wire.RemoteError(type(error).__name__, str(error)[:5000], text[-20000:])


def outputs(run: Driver, answer: Any, cases: list[Case]) -> list[dict]:
    """Per case, ``{"outputs": run(answer, case) as plain data or the RemoteError it raised,
    "inputs": the case as plain data after the call}``: the grader compares the latter with
    the case it sent, to see whether the answer wrote into its arguments."""
    found = []
    for case in cases:
        try:
            result = to_plain(run(answer, case))
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # SystemExit from an answer is its failure, not ours
            result = recorded(error)
        found.append({"outputs": result, "inputs": to_plain(case)})
    return found


@contextmanager
def standing_in(answer: Any, name: str, stand_in: Callable) -> Iterator[None]:
    """While the block runs, the global ``name`` that ``answer`` (a function) reads is
    ``stand_in``; afterwards it is the learner's own again. An answer that is not a plain
    function (a class, a partial) has no globals to rebind and runs as it is."""
    namespace = getattr(answer, "__globals__", None)
    if not isinstance(namespace, dict):
        yield
        return
    missing = object()
    own = namespace.get(name, missing)
    namespace[name] = stand_in
    try:
        yield
    finally:
        if own is missing:
            namespace.pop(name, None)
        else:
            namespace[name] = own


def _close(given: Any, prepared: Any) -> bool:
    """Whether an argument equals a prepared one: same structure, arrays equal up to the
    rounding of a different but correct computation of them."""
    given, prepared = to_plain(given), to_plain(prepared)
    if isinstance(prepared, Named):
        return (
            isinstance(given, Named)
            and given.fields == prepared.fields
            and _close(given.values, prepared.values)
        )
    if isinstance(prepared, (tuple, list)):
        return (
            isinstance(given, (tuple, list))
            and len(given) == len(prepared)
            and all(_close(g, p) for g, p in zip(given, prepared, strict=True))
        )
    if isinstance(prepared, np.ndarray):
        given = np.asarray(given) if isinstance(given, (list, np.ndarray)) else given
        return (
            isinstance(given, np.ndarray)
            and given.shape == prepared.shape
            and np.issubdtype(given.dtype, np.number)
            and np.allclose(given, prepared, rtol=1e-5, atol=1e-6)
        )
    return type(given) is type(prepared) and given == prepared


def answer_from(calls: list[dict], arguments: dict, piece: str, caller: str) -> Any:
    """The prepared result of the call in ``calls`` (``{"arguments": {...}, "result": ...}``)
    whose arguments are ``arguments``, as a fresh copy (so writing into it changes no
    table); else a LookupError naming the arguments that differ from the nearest call."""
    nearest: list[str] = list(arguments)
    for call in calls:
        differ = [k for k, v in call["arguments"].items() if not _close(arguments.get(k), v)]
        if not differ:
            return copy.deepcopy(call["result"])
        nearest = min(nearest, differ, key=len)
    raise LookupError(
        _(
            "{caller} is graded with a correct {piece} in place of yours, which answers the "
            "calls a correct {caller} makes; this call's {arguments} differ from theirs. Check "
            "what you pass to {piece}."
        ).format(caller=caller, piece=piece, arguments=", ".join(nearest))
    )


def payload(found: list[dict]) -> str:
    """``found`` as wire text; if it cannot be written, one error per case that says why
    (and no inputs: what could not be written may be among them)."""
    try:
        return wire.dumps(found)
    except wire.WireError as error:
        return wire.dumps([{"outputs": recorded(error), "inputs": None}] * len(found))
