"""The one judge every exercise uses, in the grader's process only.

A learner's outputs reach the judge as plain data (``autograder.learner.plain``, carried by
``autograder.learner.wire``), and an exception the answer raised as a ``RemoteError``.
``judge`` compares structure, type, shape, dtype and values with the exercise's reference,
and when the values are wrong, says which known mistake they match, in the notebook's words,
or else which part of the equations ``autograder.diagnose`` finds wrong.
"""

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.diagnose import diagnose
from autograder.exercises import Exercise
from autograder.learner.plain import Case, Named, Unsupported, to_plain
from autograder.learner.wire import RemoteError


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str


def describe(value: Any) -> str:
    """A learner-readable description of a plain value: its type and shape, not its numbers."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, Named):
        inner = ", ".join(
            f"{f}={describe(v)}" for f, v in zip(value.fields, value.values, strict=True)
        )
        return f"{value.type_name}({inner})"
    if isinstance(value, (tuple, list)):
        return (
            f"a {type(value).__name__} of {len(value)}: (" + ", ".join(map(describe, value)) + ")"
        )
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {describe(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Unsupported):
        return f"an object of type {value.type_name}"
    return f"{type(value).__name__} {value!r}"


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def difference(received: Any, expected: Any, where: str, atol: float, rtol: float) -> str | None:
    """None if ``received`` matches ``expected``; else what differs first, in words."""
    if isinstance(expected, dict):
        if not isinstance(received, dict) or set(received) != set(expected):
            return f"{where or 'the result'} should be {describe(expected)}. Received: " + (
                describe(received) + "."
            )
        for key, e in expected.items():
            found = difference(received[key], e, _join(where, key), atol, rtol)
            if found:
                return found
        return None
    if isinstance(expected, Named):
        if not isinstance(received, Named) or received.fields != expected.fields:
            return f"{where} should be {describe(expected)}. Received: {describe(received)}."
        pairs = zip(received.values, expected.values, strict=True)
        for name, (r, e) in zip(expected.fields, pairs, strict=True):
            found = difference(r, e, f"{where}.{name}", atol, rtol)
            if found:
                return found
        return None
    if isinstance(expected, (tuple, list)):
        if type(received) is not type(expected) or len(received) != len(expected):
            return f"{where} should be {describe(expected)}. Received: {describe(received)}."
        for index, (r, e) in enumerate(zip(received, expected, strict=True)):
            found = difference(r, e, f"{where}[{index}]", atol, rtol)
            if found:
                return found
        return None
    if isinstance(expected, np.ndarray):
        if not isinstance(received, np.ndarray):
            return f"{where} should be a NumPy array. Received: {describe(received)}."
        if received.shape != expected.shape:
            return f"{where} should have shape {expected.shape}. Received: shape {received.shape}."
        if received.dtype != expected.dtype:
            return f"{where} should have dtype {expected.dtype}. Received: dtype {received.dtype}."
        if np.issubdtype(expected.dtype, np.number):
            with np.errstate(invalid="ignore"):
                error = np.abs(received.astype(np.float64) - expected.astype(np.float64))
            bad = ~(error <= atol + rtol * np.abs(expected.astype(np.float64)))
            if bad.any():
                index = np.unravel_index(
                    np.argmax(np.where(bad, np.nan_to_num(error, nan=np.inf), -1)), error.shape
                )
                return (
                    f"{where} has wrong values at {int(bad.sum())} of {bad.size} positions. "
                    f"The largest error is at index {tuple(int(i) for i in index)}: expected "
                    f"{expected[index]:.6g}, received {received[index]:.6g}."
                )
            return None
        return None if np.array_equal(received, expected) else f"{where} has the wrong values."
    if type(received) is not type(expected) or received != expected:
        return f"{where} should be {expected!r}. Received: {describe(received)}."
    return None


def judge(exercise: Exercise, case: Case, received: Any) -> Verdict:
    """Compare the learner's plain ``received`` outputs with the reference on ``case``."""
    if isinstance(received, RemoteError):
        return Verdict(False, _raised_message(exercise, received))
    expected = to_plain(exercise.expect(case))
    where = "" if isinstance(expected, dict) else exercise.what
    found = difference(received, expected, where, exercise.atol, exercise.rtol)
    if found is None:
        return Verdict(True, "passed")
    matched = []
    for mistake in exercise.mistakes.values():
        try:
            would = to_plain(mistake.outputs(case))
        except Exception:  # a mistake that cannot apply to this case says nothing
            continue
        if difference(received, would, where, exercise.atol, exercise.rtol) is None:
            matched.append(mistake.message)
    if matched:  # on some cases two mistakes give the same numbers: name them all
        others = "".join(f"\nIt is also what happens when {m}" for m in matched[1:])
        return Verdict(False, f"{found}\nThis is what happens when {matched[0]}{others}")
    # No known mistake: name the wrong part of the equations, if the outputs tell it.
    diagnosis = diagnose(exercise, case, received, expected)
    if diagnosis is not None:
        return Verdict(False, f"{found}\n{diagnosis.message}")
    return Verdict(False, found)


# Frames in these paths are not the learner's: NumPy's, the standard library's, the drivers'.
_LIBRARY_PATHS = ("site-packages", "/autograder/learner/", "/lib/python")


def _where_in(traceback_text: str) -> str:
    """The learner's innermost line in a formatted traceback: ``in call, at `line```."""
    frames = re.findall(r'File "([^"]*)", line \d+, in (\S+)\n +([^\n]*)', traceback_text)
    for filename, function, line in reversed(frames):
        if not any(part in filename for part in _LIBRARY_PATHS):
            return f"in {function}, at `{line.strip()}`"
    return ""


def _raised_message(exercise: Exercise, raised: RemoteError) -> str:
    """What to tell a learner whose answer raised, and where in their code it did."""
    if raised.type_name == "NotImplementedError":
        return (
            f"your {exercise.answer} is not written yet: it raised NotImplementedError. "
            "Replace `raise NotImplementedError()` with your code."
        )
    where = _where_in(raised.traceback or "")
    where = f"\n  {where}" if where else ""
    message = str(raised.message)[:500]
    return f"your {exercise.answer} raised {raised.type_name}: {message}{where}"
