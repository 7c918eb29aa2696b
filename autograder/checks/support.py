"""What the exercise modules share: random cases as plain data, and rnnref twins of toy cells.

Everything here that touches ``rnnref`` imports it inside the function, so a grading
kernel (which cannot import it) can still import the checks.
"""

from typing import Any

import numpy as np

from autograder.checks.cells import LSTMStateTuple, ToyCell, toy_cell

# The activations a case may name: None is the cell's default (tanh).
ACTIVATIONS = {"default": None, "relu": lambda x: np.maximum(x, 0)}


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


def step_outputs(cell: Any, output: Any, new_state: Any) -> dict:
    """What a one-step check compares: the cell's sizes, and its output and new state."""
    return {
        "state_size": cell.state_size,
        "output_size": cell.output_size,
        "output": output,
        "new_state": new_state,
    }


def toy_state(spec: dict, rng: np.random.Generator, batch: int, dtype: Any) -> Any:
    """A random (non-zero) state for the toy cell ``spec``."""
    h = normal(rng, (batch, spec["units"]), dtype, 0.5)
    if spec["tuple_state"]:
        return LSTMStateTuple(normal(rng, (batch, spec["units"]), dtype, 0.5), h)
    return h


def _with_state_tuple(state: Any, state_tuple: type) -> Any:
    """``state`` with every namedtuple in it rebuilt as ``state_tuple``, recursively."""
    if isinstance(state, tuple):
        parts = [_with_state_tuple(s, state_tuple) for s in state]
        return state_tuple(*parts) if hasattr(state, "_fields") else tuple(parts)
    return state


def as_reference_state(state: Any) -> Any:
    """Course ``LSTMStateTuple``s -> rnnref's (same fields), recursively."""
    from rnnref.structure import LSTMStateTuple as RefTuple

    return _with_state_tuple(state, RefTuple)


def as_course_state(state: Any) -> Any:
    """rnnref's ``LSTMStateTuple``s -> the course's, recursively."""
    return _with_state_tuple(state, LSTMStateTuple)


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

    cell = ReferenceToy(toy_cell(spec))
    cell.build(spec["input_depth"], spec["weights"][0].dtype)
    return cell


def pair(result: Any, what: str) -> tuple:
    """``result`` as ``(first, second)``, or a TypeError that says what was expected."""
    if not isinstance(result, tuple) or len(result) != 2:
        kind = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise TypeError(f"{what} must return a pair (a tuple of two). Received: {kind}.")
    return result


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
    return (
        f"batch {case['x'].shape[0]}, input depth {case['input_depth']}, "
        f"num_units={case['num_units']}, {case['dtype']}{act}"
    )


def run_output_is_state(cell_class: type, case: dict) -> dict:
    """One step of the learner's cell, made as the case says (no activation: the default)."""
    activation = ACTIVATIONS[case["activation"]]
    options = {} if activation is None else {"activation": activation}
    cell = cell_class(case["num_units"], **options)
    cell.build(case["input_depth"], case["dtype"])
    cell.set_weights(case["weights"])
    what = f"{getattr(cell_class, '__name__', 'the cell')}.call"
    output, new_state = pair(cell(case["x"], case["state"]), what)
    return step_outputs(cell, output, new_state)


def expect_output_is_state(reference_class: type, case: dict) -> dict:
    """The same step with the rnnref cell."""
    activation = ACTIVATIONS[case["activation"]]
    cell = reference_cell(reference_class(case["num_units"], activation=activation), case)
    output, new_state = cell(case["x"], case["state"])
    return step_outputs(cell, output, new_state)
