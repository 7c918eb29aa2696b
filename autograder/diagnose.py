"""Diagnosis by parts: which part of the equations a wrong answer got wrong (grader side only).

The judge calls ``diagnose`` when an answer's outputs are wrong and match none of the
exercise's hand-written mistakes. A tutor would ask "which part is wrong?"; so does this,
from the case and the outputs the learner's code reported (plain data), never by running
the learner's code here:

1. the exercise's generated variants (``Exercise.variants``): the reference equations with
   one part done wrong (one gate's activation, one term dropped or doubled, one step off);
   the first whose outputs match the learner's names that part;
2. the exercise's solver (``Exercise.locate``), where it has one: the equations undone on
   the learner's outputs, to find the one gate whose pre-activation is off (an LSTM whose
   forget gate adds 1.0 where forget_bias is 2.5);
3. the shape of the error, for any exercise: the right numbers in the wrong place (two
   outputs swapped, an array reshaped where it should be transposed, two axes swapped),
   every value off by the same factor, or some outputs right and others wrong.

A diagnosis has a stable id, ``diagnosis:<part>`` (``diagnosis:o_gate.activation``,
``diagnosis:outputs.reshaped``), the same on every case, so a class report can count them.
"""

from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from autograder.exercises import Exercise
from autograder.i18n import _
from autograder.learner.plain import Case, Named, to_plain


@dataclass(frozen=True)
class Diagnosis:
    """A wrong part, named: ``id`` for reports, ``message`` for the learner."""

    id: str
    message: str


def diagnose(exercise: Exercise, case: Case, received: Any, expected: Any) -> Diagnosis | None:
    """The part of ``exercise`` that the learner's ``received`` outputs got wrong on ``case``,
    or None when no variant, solver or shape of the error tells. ``expected`` is the
    reference's plain outputs on the same case."""
    return (
        _by_variant(exercise, case, received)
        or _by_solving(exercise, case, received, expected)
        or _by_layout(exercise, received, expected)
    )


def _matches(exercise: Exercise, received: Any, expected: Any) -> bool:
    """What the judge accepts: the same structure, shapes and dtypes, values within the
    exercise's tolerances."""
    # judge.py calls this module; importing it at call time keeps the two free of a cycle.
    from autograder.judge import difference

    return difference(received, expected, "", exercise.atol, exercise.rtol) is None


def _by_variant(exercise: Exercise, case: Case, received: Any) -> Diagnosis | None:
    """The first generated variant whose outputs are the learner's."""
    for part, variant in exercise.variants.items():
        try:
            would = to_plain(variant.outputs(case))
        except Exception:  # a variant that cannot apply to this case says nothing
            continue
        if _matches(exercise, received, would):
            return Diagnosis(f"diagnosis:{part}", _looks_wrong(variant.message))
    return None


def _by_solving(exercise: Exercise, case: Case, received: Any, expected: Any) -> Diagnosis | None:
    """The exercise's own solver, on outputs with the reference's structure and shapes."""
    got, want = _leaves(received), _leaves(expected)
    alike = got.keys() == want.keys() and all(
        not isinstance(w, np.ndarray)
        or (isinstance(got[k], np.ndarray) and got[k].shape == w.shape and got[k].dtype.kind == "f")
        for k, w in want.items()
    )
    if exercise.locate is None or not alike:
        return None
    found = exercise.locate(case, received)
    if found is None:
        return None
    part, message = found
    return Diagnosis(f"diagnosis:{part}", _looks_wrong(message))


def _looks_wrong(message: object) -> str:
    return _("The part that looks wrong: {message}").format(message=message)


def _leaves(value: Any, where: str = "") -> dict[str, Any]:
    """The arrays and numbers of a plain value by the path the judge's messages use."""
    if isinstance(value, dict):
        items = [(f"{where}.{k}" if where else str(k), v) for k, v in value.items()]
    elif isinstance(value, Named):
        items = [(f"{where}.{f}", v) for f, v in zip(value.fields, value.values, strict=True)]
    elif isinstance(value, (tuple, list)):
        items = [(f"{where}[{i}]", v) for i, v in enumerate(value)]
    else:
        return {where: value}
    found: dict[str, Any] = {}
    for key, inner in items:
        found.update(_leaves(inner, key))
    return found


def _by_layout(exercise: Exercise, received: Any, expected: Any) -> Diagnosis | None:
    """What the error's shape says: right numbers misplaced, a constant factor, or which
    outputs are wrong while the others are right."""
    root = "" if isinstance(expected, dict) else str(exercise.what)  # as the judge words it
    got, want = _leaves(received, root), _leaves(expected, root)
    if got.keys() != want.keys():
        return None  # a different structure: the judge's own message already says how
    wrong = [k for k in want if not _matches(exercise, got[k], want[k])]
    for key in wrong:
        found = (
            _overflowed(key, got[key], want[key])
            or _misplaced(exercise, key, got, want)
            or _scaled(exercise, key, got[key], want[key])
        )
        if found:
            return found
    right = [k for k in want if k not in wrong and isinstance(want[k], np.ndarray)]
    if wrong and right:
        if len(wrong) == 1:
            message = _(
                "Only {wrong} is wrong; {right} {verb} right. Look at the lines that compute "
                "it and nothing else."
            )
        else:
            message = _(
                "Only {wrong} are wrong; {right} {verb} right. Look at the lines that compute "
                "them and nothing else."
            )
        verb = _("is") if len(right) == 1 else _("are")
        return Diagnosis(
            f"diagnosis:only.{'+'.join(wrong)}",
            message.format(wrong=_and(wrong), right=_and(right), verb=verb),
        )
    return None


def _misplaced(exercise: Exercise, key: str, got: dict, want: dict) -> Diagnosis | None:
    """The right numbers in the wrong place: another output's values, or this output's
    values with two axes swapped, or reshaped where they should be transposed."""
    value, right = got[key], want[key]
    for other, theirs in want.items():
        if other != key and _matches(exercise, value, theirs):
            swapped = _matches(exercise, got[other], right)
            if swapped:
                message = _(
                    "{key} holds the values that belong in {other} and the other way round: "
                    "check which result goes where when you return them."
                )
            else:
                message = _(
                    "{key} holds the values that belong in {other}: check which result goes "
                    "where when you return them."
                )
            return Diagnosis(f"diagnosis:{key}.holds.{other}", message.format(key=key, other=other))
    if not (isinstance(right, np.ndarray) and isinstance(value, np.ndarray)) or right.ndim < 2:
        return None
    for a, b in combinations(range(right.ndim), 2):
        moved = np.swapaxes(right, a, b)  # the right values, axes a and b exchanged
        if moved.shape == value.shape and _matches(exercise, value, moved):
            return Diagnosis(
                f"diagnosis:{key}.axes_swapped",
                _(
                    "{key} has the right values with axes {a} and {b} swapped (batch-major "
                    "[B, T, ...] against time-major [T, B, ...]?): transpose it."
                ).format(key=key, a=a, b=b),
            )
        if moved.size == value.size and _matches(exercise, value, moved.reshape(value.shape)):
            return Diagnosis(
                f"diagnosis:{key}.reshaped",
                _(
                    "{key} has the right values in the wrong places: it looks reshaped where "
                    "it should be transposed. reshape keeps the memory order; to exchange axes "
                    "{a} and {b}, use transpose (np.transpose or tf.transpose)."
                ).format(key=key, a=a, b=b),
            )
    return None


def _overflowed(key: str, value: Any, right: Any) -> Diagnosis | None:
    """nan or inf where the right values are finite: an exp or a division blew up."""
    if not (isinstance(value, np.ndarray) and isinstance(right, np.ndarray)):
        return None
    if value.shape != right.shape or value.dtype.kind != "f" or right.dtype.kind != "f":
        return None
    if not (np.isfinite(right).all() and not np.isfinite(value).all()):
        return None
    return Diagnosis(
        f"diagnosis:{key}.overflow",
        _(
            "{key} holds nan or inf where the right values are finite: something overflows "
            "(np.exp of a large number?). Compute it in the stable form the notebook shows."
        ).format(key=key),
    )


def _scaled(exercise: Exercise, key: str, value: Any, right: Any) -> Diagnosis | None:
    """Every value off by one constant factor (a scale, a mean for a sum, a sign)."""
    if not (isinstance(value, np.ndarray) and isinstance(right, np.ndarray)):
        return None
    if value.shape != right.shape or not np.issubdtype(right.dtype, np.floating):
        return None
    nonzero = np.abs(right) > 1e-6
    if nonzero.sum() < 2:
        return None
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        factor = float(np.median(value[nonzero] / right[nonzero]))
    if (
        not np.isfinite(factor)
        or np.isclose(factor, 1.0)
        or not _matches(exercise, value, (factor * right).astype(right.dtype))
    ):
        return None
    return Diagnosis(
        f"diagnosis:{key}.scale",
        _(
            "every value of {key} is {factor:.4g} times the right one: one constant factor is "
            "wrong (a scale or its inverse, a mean where a sum is meant, a sign)."
        ).format(key=key, factor=factor),
    )


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + _(" and ") + names[-1]
