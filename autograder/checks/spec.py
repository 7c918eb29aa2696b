"""What an exercise check is, and the one judge every check uses.

An ``Exercise`` splits a check into the part that runs the learner's code and the part
that knows the answer:

- ``cases(rng, hidden)`` picks inputs (plain data: arrays, numbers, strings, tuples);
- ``run(answer, case)`` calls the learner's answer on one case and returns its outputs.
  It runs in the learner's kernel, so it must not import ``rnnref``;
- ``expect(case)`` computes the right outputs with ``rnnref``;
- ``mistakes`` maps a named, typical mistake to a function that computes what that
  mistake would output on the case, and a message that teaches the fix.

The learner's outputs cross into the judge only as plain data (``to_plain``), so an object
whose ``==`` is always true, or a subclass pretending to be an array, never reaches a
comparison. ``judge`` compares structure, type, shape, dtype and values, and when the
values are wrong, says which known mistake they match.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Case = dict[str, Any]


@dataclass(frozen=True)
class Mistake:
    """A typical mistake: what it would output on a case, and what to tell the learner."""

    outputs: Callable[[Case], Any]
    message: str


@dataclass(frozen=True)
class Exercise:
    name: str
    cases: Callable[[np.random.Generator, bool], list[Case]]
    run: Callable[[Any, Case], Any]
    expect: Callable[[Case], Any]
    mistakes: dict[str, Mistake] = field(default_factory=dict)
    what: str = "the output"
    atol: float = 1e-5
    rtol: float = 1e-5


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str


class Unsupported:
    """Stands for a value of a type the judge will not compare (never equal to anything)."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = None


@dataclass(frozen=True)
class Named:
    """A namedtuple as plain data, e.g. ``LSTMStateTuple(c, h)``."""

    type_name: str
    fields: tuple
    values: tuple


def to_plain(value: Any) -> Any:
    """``value`` rebuilt from exact NumPy arrays, numbers, strings and (named) tuples.

    Anything else, subclasses of those types included, becomes ``Unsupported``.
    """
    kind = type(value)
    if kind is np.ndarray:
        if value.dtype.hasobject:
            return Unsupported("a NumPy array of Python objects")
        return np.array(value, copy=True)
    if isinstance(value, np.generic) and kind.__module__ == "numpy":
        return np.asarray(value)[()]
    if kind in (bool, int, float, str) or value is None:
        return value
    if kind in (tuple, list):
        return kind(to_plain(v) for v in value)
    if kind.__bases__ == (tuple,) and hasattr(kind, "_fields"):
        return Named(kind.__name__, tuple(kind._fields), tuple(to_plain(v) for v in value))
    return Unsupported(f"{kind.__module__}.{kind.__qualname__}")


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
    if isinstance(value, Unsupported):
        return f"an object of type {value.type_name}"
    return f"{type(value).__name__} {value!r}"


def difference(received: Any, expected: Any, where: str, atol: float, rtol: float) -> str | None:
    """None if ``received`` matches ``expected``; else what differs first, in words."""
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
                    f"{expected[index]!r}, received {received[index]!r}."
                )
            return None
        return None if np.array_equal(received, expected) else f"{where} has the wrong values."
    if type(received) is not type(expected) or received != expected:
        return f"{where} should be {expected!r}. Received: {describe(received)}."
    return None


def judge(exercise: Exercise, case: Case, received: Any) -> Verdict:
    """Compare the learner's plain ``received`` outputs with the reference on ``case``."""
    expected = to_plain(exercise.expect(case))
    found = difference(received, expected, exercise.what, exercise.atol, exercise.rtol)
    if found is None:
        return Verdict(True, "passed")
    for mistake in exercise.mistakes.values():
        try:
            would = to_plain(mistake.outputs(case))
        except Exception:  # a mistake that cannot apply to this case says nothing
            continue
        if difference(received, would, exercise.what, exercise.atol, exercise.rtol) is None:
            return Verdict(False, f"{found}\nThis is what happens when {mistake.message}")
    return Verdict(False, found)
