"""What the exercise modules share: random cases as plain data, and rnnref twins of toy cells.

Everything here that touches ``rnnref`` imports it inside the function, so listing the
exercises does not load the reference.
"""

from typing import Any

import numpy as np

from autograder.i18n import _
from autograder.learner.cells import LSTMStateTuple, ToyCell, toy_cell
from autograder.learner.checks.common import (
    ACTIVATIONS,
    as_course_state,
    step_outputs,
    with_state_tuple,
)


def normal(rng: np.random.Generator, shape: tuple, dtype: Any, scale: float = 1.0) -> np.ndarray:
    return (scale * rng.normal(size=shape)).astype(dtype)


def weights_for(shapes: list[tuple], rng: np.random.Generator, dtype: Any) -> list[np.ndarray]:
    """Random weights, biases included (a zero bias would hide a missing bias term).

    Kernels are scaled by 1/sqrt(fan-in) so activations stay away from saturation.
    """
    return [normal(rng, s, dtype, 1.0 / np.sqrt(s[0]) if len(s) > 1 else 0.5) for s in shapes]


def toy_spec(
    rng: np.random.Generator,
    input_depth: int,
    units: int,
    output_size: int,
    tuple_state: bool,
    dtype: Any,
) -> dict:
    """A ``ToyCell`` as plain data (``cells.toy_cell`` rebuilds it)."""
    shapes = list(ToyCell(units, output_size, tuple_state).weight_shapes(input_depth).values())
    return {
        "units": units,
        "output_size": output_size,
        "tuple_state": tuple_state,
        "input_depth": input_depth,
        "weights": weights_for(shapes, rng, dtype),
    }


def toy_state(spec: dict, rng: np.random.Generator, batch: int, dtype: Any) -> Any:
    """A random (non-zero) state for the toy cell ``spec``."""
    h = normal(rng, (batch, spec["units"]), dtype, 0.5)
    if spec["tuple_state"]:
        return LSTMStateTuple(normal(rng, (batch, spec["units"]), dtype, 0.5), h)
    return h


def as_reference_state(state: Any) -> Any:
    """Course ``LSTMStateTuple``s -> rnnref's (same fields), recursively."""
    from rnnref.structure import LSTMStateTuple as RefTuple

    return with_state_tuple(state, RefTuple)


def reference_toy(spec: dict) -> Any:
    """The toy cell ``spec`` as an ``rnnref.np.RNNCell``, for rnnref's stacks and unrolls."""
    import rnnref.np as rn

    class ReferenceToy(rn.RNNCell):
        def __init__(self, toy: ToyCell) -> None:
            super().__init__()
            self.toy = toy

        @property
        def state_size(self) -> Any:
            H = self.toy.num_units
            return rn.LSTMStateTuple(H, H) if self.toy.tuple_state else H

        @property
        def output_size(self) -> int:
            return self.toy.output_size

        def call(self, inputs: np.ndarray, state: Any) -> tuple[np.ndarray, Any]:
            output, new_state = self.toy(inputs, as_course_state(state))
            return output, as_reference_state(new_state)

        def _check_inputs(self, inputs: np.ndarray) -> np.ndarray:
            # A toy with an embedding reads integer ids, as rnnref's EmbeddingWrapper does.
            return inputs if self.toy.embedding is not None else super()._check_inputs(inputs)

    cell = ReferenceToy(toy_cell(spec))
    cell.build(spec["input_depth"], spec["weights"][0].dtype)
    return cell


def reference_cell(cell: Any, case: dict) -> Any:
    """Build the rnnref ``cell`` for the case's inputs and give it the case's weights."""
    cell.build(case["input_depth"], case["dtype"])
    cell.set_weights(case["weights"])
    return cell


# ---- cells whose output is their state (BasicRNNCell, GRUCell) ----------------------------


def output_is_state_cases(
    rng: np.random.Generator, shapes: list[tuple], weight_shapes: Any, state_scale: float
) -> list[dict]:
    """One case per (batch, input_depth, num_units, dtype, activation) in ``shapes``.

    ``weight_shapes(depth, units)`` lists the cell's weight shapes in TF1's order.
    """
    cases = []
    for batch, depth, units, dtype, activation in shapes:
        cases.append(
            {
                "num_units": units,
                "input_depth": depth,
                "dtype": dtype,
                "activation": activation,
                "x": normal(rng, (batch, depth), dtype),
                "state": normal(rng, (batch, units), dtype, state_scale),
                "weights": weights_for(weight_shapes(depth, units), rng, dtype),
            }
        )
    return cases


def output_is_state_label(case: dict) -> str:
    act = "" if case["activation"] == "default" else f", activation={case['activation']}"
    where = _("batch {batch}, input depth {depth}").format(
        batch=case["x"].shape[0], depth=case["input_depth"]
    )
    return f"{where}, num_units={case['num_units']}, {case['dtype']}{act}"


def state_kind(spec: dict) -> str:
    """How a toy cell ``spec`` holds its state, in words for a case's label."""
    return _("an LSTMStateTuple state") if spec["tuple_state"] else _("one state array")


def expect_output_is_state(reference_class: type, case: dict) -> dict:
    """The step ``common.run_output_is_state`` makes, with the rnnref cell."""
    activation = ACTIVATIONS[case["activation"]]
    cell = reference_cell(reference_class(case["num_units"], activation=activation), case)
    output, new_state = cell(case["x"], case["state"])
    return step_outputs(cell, output, new_state)


# ---- undoing a gate: what the learner's outputs imply about one pre-activation ------------


def logit(p: np.ndarray) -> np.ndarray:
    """The inverse of the sigmoid."""
    return np.log(p) - np.log1p(-p)


def constant_shift(
    part: str,
    name: object,
    right: np.ndarray,
    implied: np.ndarray,
    valid: np.ndarray,
    hint: str = "",
) -> tuple[str, str] | None:
    """(id, message) when the pre-activation ``implied`` by a learner's outputs differs from
    the ``right`` one [B, H] by a constant per unit (a bias-like term), else None.

    Only the ``valid`` positions count (where the inversion is well conditioned), and a unit
    needs two of them to show a constant. One constant for every unit is a number written
    where a parameter belongs; one per unit, the gate's block of the bias.
    """
    seen = valid.sum(axis=0) >= 2  # [H]: the units that can show a constant
    if not seen.any():
        return None
    delta = np.where(valid, implied - right, np.nan)[:, seen]  # [B, units seen]
    mean = np.nanmean(delta, axis=0)
    if np.nanmax(np.abs(delta - mean)) > 1e-3 or np.abs(mean).max() < 1e-3:
        return None
    if np.ptp(mean) < 1e-3:
        return (
            f"{part}.constant",
            _(
                "the {name} is off by the same constant ({constant:.3g}) in every unit, "
                "before its activation: a constant term is wrong there{hint}."
            ).format(name=name, constant=float(mean[0]), hint=hint),
        )
    return (
        f"{part}.bias",
        _(
            "the {name} is off by a different constant in each unit, before its activation: "
            "its block of the bias is wrong."
        ).format(name=name),
    )
