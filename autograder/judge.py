"""The one judge every exercise uses, in the grader's process only.

A learner's outputs reach the judge as plain data (``autograder.learner.plain``, carried by
``autograder.learner.wire``), and an exception the answer raised as a ``RemoteError``.
``judge`` compares structure, type, shape, dtype and values with the exercise's reference,
and when the values are wrong, says which known mistake they match, in the notebook's words,
or else which part of the equations ``autograder.diagnose`` finds wrong. It also compares
the inputs as they were after the call (the driver reports them beside the outputs) with the
case it sent: an answer must leave the caller's arrays alone.
"""

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.diagnose import diagnose
from autograder.exercises import Exercise
from autograder.i18n import _
from autograder.learner.plain import Case, Named, Unsupported, to_plain
from autograder.learner.wire import RemoteError, WireError


@dataclass(frozen=True)
class Verdict:
    """A case's outcome. ``mistake`` is the stable id of the mistake the outputs were
    recognised as (``basic_lstm_cell.forget_bias_missing``, ``diagnosis:...``), or None."""

    passed: bool
    message: str
    mistake: str | None = None


def describe(value: Any) -> str:
    """A learner-readable description of a plain value: its type and shape, not its numbers."""
    if isinstance(value, np.ndarray):
        return _("an array of shape {shape} and dtype {dtype}").format(
            shape=value.shape, dtype=value.dtype
        )
    if isinstance(value, Named):
        inner = ", ".join(
            f"{f}={describe(v)}" for f, v in zip(value.fields, value.values, strict=True)
        )
        return f"{value.type_name}({inner})"
    if isinstance(value, (tuple, list)):
        return _("a {type} of {count}: ({items})").format(
            type=type(value).__name__, count=len(value), items=", ".join(map(describe, value))
        )
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {describe(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Unsupported):
        return _("an object of type {type}").format(type=value.type_name)
    return f"{type(value).__name__} {value!r}"


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def difference(received: Any, expected: Any, where: str, atol: float, rtol: float) -> str | None:
    """None if ``received`` matches ``expected``; else what differs first, in words."""
    if isinstance(expected, dict):
        if not isinstance(received, dict) or set(received) != set(expected):
            return _should_be(where or _("the result"), expected, received)
        for key, e in expected.items():
            found = difference(received[key], e, _join(where, key), atol, rtol)
            if found:
                return found
        return None
    if isinstance(expected, Named):
        if not isinstance(received, Named) or received.fields != expected.fields:
            return _should_be(where, expected, received)
        pairs = zip(received.values, expected.values, strict=True)
        for name, (r, e) in zip(expected.fields, pairs, strict=True):
            found = difference(r, e, f"{where}.{name}", atol, rtol)
            if found:
                return found
        return None
    if isinstance(expected, (tuple, list)):
        if type(received) is not type(expected) or len(received) != len(expected):
            return _should_be(where, expected, received)
        for index, (r, e) in enumerate(zip(received, expected, strict=True)):
            found = difference(r, e, f"{where}[{index}]", atol, rtol)
            if found:
                return found
        return None
    if isinstance(expected, np.ndarray):
        if not isinstance(received, np.ndarray):
            return _("{where} should be a NumPy array. Received: {received}.").format(
                where=where, received=describe(received)
            )
        if received.shape != expected.shape:
            return _("{where} should have shape {expected}. Received: shape {received}.").format(
                where=where, expected=expected.shape, received=received.shape
            )
        if received.dtype != expected.dtype:
            return _("{where} should have dtype {expected}. Received: dtype {received}.").format(
                where=where, expected=expected.dtype, received=received.dtype
            )
        if np.issubdtype(expected.dtype, np.number):
            with np.errstate(invalid="ignore"):
                error = np.abs(received.astype(np.float64) - expected.astype(np.float64))
            bad = ~(error <= atol + rtol * np.abs(expected.astype(np.float64)))
            if bad.any():
                index = np.unravel_index(
                    np.argmax(np.where(bad, np.nan_to_num(error, nan=np.inf), -1)), error.shape
                )
                return _(
                    "{where} has wrong values at {wrong} of {size} positions. The largest error "
                    "is at index {index}: expected {expected:.6g}, received {received:.6g}."
                ).format(
                    where=where,
                    wrong=int(bad.sum()),
                    size=bad.size,
                    index=tuple(int(i) for i in index),
                    expected=expected[index],
                    received=received[index],
                )
            return None
        if np.array_equal(received, expected):
            return None
        return _("{where} has the wrong values.").format(where=where)
    if type(expected) is int and isinstance(received, np.integer) and received == expected:
        return None  # a size computed with NumPy (``np.sum(...)``) is as good as a Python int
    if type(received) is not type(expected) or received != expected:
        return _("{where} should be {expected}. Received: {received}.").format(
            where=where, expected=repr(expected), received=describe(received)
        )
    return None


def _should_be(where: str, expected: Any, received: Any) -> str:
    return _("{where} should be {expected}. Received: {received}.").format(
        where=where, expected=describe(expected), received=describe(received)
    )


def written_into(sent: Any, after: Any, where: str = "") -> list[str]:
    """Where the inputs ``after`` a call differ from the case ``sent``: the paths of the
    arrays (and other values) the call changed, e.g. ``["state.c", "x"]``."""
    if isinstance(sent, dict) and isinstance(after, dict) and set(sent) == set(after):
        return [p for key in sent for p in written_into(sent[key], after[key], _join(where, key))]
    if isinstance(sent, Named) and isinstance(after, Named) and sent.fields == after.fields:
        pairs = zip(sent.fields, sent.values, after.values, strict=True)
        return [p for name, s, a in pairs for p in written_into(s, a, f"{where}.{name}")]
    if isinstance(sent, (tuple, list)) and type(after) is type(sent) and len(after) == len(sent):
        pairs = enumerate(zip(sent, after, strict=True))
        return [p for i, (s, a) in pairs for p in written_into(s, a, f"{where}[{i}]")]
    if isinstance(sent, np.ndarray) and isinstance(after, np.ndarray):
        same = sent.shape == after.shape and sent.dtype == after.dtype
        return [] if same and np.array_equal(sent, after, equal_nan=True) else [where]
    return [] if type(sent) is type(after) and sent == after else [where]


def _wrote_message(paths: list[str]) -> str:
    named = _(" and ").join(f"`{p}`" for p in paths[:3])
    if len(paths) > 3:
        named = _("{names} (and more)").format(names=named)
    return _(
        "your call wrote into the {names} it was given: write new arrays instead of changing "
        "the ones you receive (e.g. `state += ...` changes the caller's array; "
        "`state = state + ...` makes a new one)."
    ).format(names=named)


def _also_broken(exercise: Exercise) -> str:
    """For an earlier piece: which later exercises it would have broken, had they not been
    graded with a correct copy of it."""
    if not exercise.used_by:
        return ""
    later = _(" and ").join(exercise.used_by)
    if len(exercise.used_by) > 1:
        message = _(
            "This would also have broken {later}, which call your {answer}; they were graded "
            "with a correct {answer} in its place."
        )
    else:
        message = _(
            "This would also have broken {later}, which calls your {answer}; it was graded "
            "with a correct {answer} in its place."
        )
    return "\n" + message.format(later=later, answer=exercise.answer)


def unpack(report: Any) -> tuple[Any, Any]:
    """A case's report from ``drive.outputs`` as ``(outputs, inputs after the call)``;
    ``WireError`` if it is not one (the checks module was changed)."""
    if type(report) is not dict or set(report) != {"outputs", "inputs"}:
        raise WireError("a case's report must hold its outputs and its inputs after the call")
    return report["outputs"], report["inputs"]


def judge(exercise: Exercise, case: Case, received: Any, inputs_after: Any = None) -> Verdict:
    """Compare the learner's plain ``received`` outputs with the reference on ``case``, and
    ``inputs_after`` (the case as the driver saw it after the call; None: not reported)
    with the case as it was sent."""
    verdict = _judge_outputs(exercise, case, received)
    written = [] if inputs_after is None else written_into(to_plain(case), inputs_after)
    if written:
        id_ = f"{exercise.name}.wrote_into_arguments"
        extra = "" if verdict.passed else f"\n{verdict.message}"
        verdict = Verdict(False, _wrote_message(written) + extra, id_)
    if not verdict.passed:
        verdict = Verdict(False, verdict.message + _also_broken(exercise), verdict.mistake)
    return verdict


def _judge_outputs(exercise: Exercise, case: Case, received: Any) -> Verdict:
    if isinstance(received, RemoteError):
        return Verdict(False, _raised_message(exercise, received))
    expected = to_plain(exercise.expect(case))
    where = "" if isinstance(expected, dict) else str(exercise.what)
    found = difference(received, expected, where, exercise.atol, exercise.rtol)
    if found is None:
        return Verdict(True, _("passed"))
    matched = []
    for mistake in exercise.mistakes.values():
        try:
            would = to_plain(mistake.outputs(case))
        except Exception:  # a mistake that cannot apply to this case says nothing
            continue
        if difference(received, would, where, exercise.atol, exercise.rtol) is None:
            matched.append(mistake)
    if matched:  # on some cases two mistakes give the same numbers: name them all
        also = _("It is also what happens when {mistake}")
        others = "".join("\n" + also.format(mistake=m.message) for m in matched[1:])
        named = _("This is what happens when {mistake}").format(mistake=matched[0].message)
        message = f"{found}\n{named}{others}"
        return Verdict(False, message, matched[0].id)
    # No known mistake: name the wrong part of the equations, if the outputs tell it.
    try:
        diagnosis = diagnose(exercise, case, received, expected)
    except Exception:  # a diagnosis is a courtesy on top of the verdict, never a cost
        diagnosis = None
    if diagnosis is not None:
        return Verdict(False, f"{found}\n{diagnosis.message}", diagnosis.id)
    return Verdict(False, found)


# Frames in these paths are not the learner's: NumPy's, the standard library's, the drivers'.
_LIBRARY_PATHS = ("site-packages", "/autograder/learner/", "/lib/python")


def _where_in(traceback_text: str) -> str:
    """The learner's innermost line in a formatted traceback: ``in call, at `line```."""
    frames = re.findall(r'File "([^"]*)", line \d+, in (\S+)\n +([^\n]*)', traceback_text)
    for filename, function, line in reversed(frames):
        if not any(part in filename for part in _LIBRARY_PATHS):
            return _("in {function}, at `{line}`").format(function=function, line=line.strip())
    return ""


def _raised_message(exercise: Exercise, raised: RemoteError) -> str:
    """What to tell a learner whose answer raised, and where in their code it did."""
    if raised.type_name == "NotImplementedError":
        return _(
            "your {answer} is not written yet: it raised NotImplementedError. "
            "Replace `raise NotImplementedError()` with your code."
        ).format(answer=exercise.answer)
    where = _where_in(raised.traceback or "")
    where = f"\n  {where}" if where else ""
    message = str(raised.message)[:500]
    said = _("your {answer} raised {error}: {message}").format(
        answer=exercise.answer, error=raised.type_name, message=message
    )
    return said + where
