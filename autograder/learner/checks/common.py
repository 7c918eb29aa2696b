"""What the drivers share: building a learner's cell from a case, and reading its results.

The grader's references use the same helpers (``autograder.exercises.support``), so a
reference and a driver build and report a cell the same way.
"""

from typing import Any

import numpy as np

from autograder.learner.cells import LSTMStateTuple
from autograder.learner.i18n import _

# The activations a case may name: None is the cell's default (tanh).
ACTIVATIONS = {"default": None, "relu": lambda x: np.maximum(x, 0)}


def pair(result: Any, what: str) -> tuple:
    """``result`` as ``(first, second)``, or a TypeError that says what was expected."""
    if not isinstance(result, tuple) or len(result) != 2:
        if isinstance(result, tuple):
            kind = _("a tuple of {count}").format(count=len(result))
        else:
            kind = type(result).__name__
        raise TypeError(
            _("{what} must return a pair (a tuple of two). Received: {kind}.").format(
                what=what, kind=kind
            )
        )
    return result


def step_outputs(cell: Any, output: Any, new_state: Any) -> dict:
    """What a one-step check compares: the cell's sizes, and its output and new state."""
    return {
        "state_size": cell.state_size,
        "output_size": cell.output_size,
        "output": output,
        "new_state": new_state,
    }


def with_state_tuple(state: Any, state_tuple: type) -> Any:
    """``state`` with every namedtuple in it rebuilt as ``state_tuple``, recursively."""
    if isinstance(state, tuple):
        parts = [with_state_tuple(s, state_tuple) for s in state]
        return state_tuple(*parts) if hasattr(state, "_fields") else tuple(parts)
    return state


def as_course_state(state: Any) -> Any:
    """Any ``LSTMStateTuple``s (the wire's, the reference's) -> the course's, recursively."""
    return with_state_tuple(state, LSTMStateTuple)


def run_output_is_state(cell_class: type, case: dict) -> dict:
    """One step of the learner's cell whose output is its state (BasicRNNCell, GRUCell),
    made as the case says: ``num_units``, ``activation`` (a name; "default": none given),
    ``input_depth``, ``dtype``, ``weights``, inputs ``x`` [B, D] and ``state`` [B, H]."""
    activation = ACTIVATIONS[case["activation"]]
    options = {} if activation is None else {"activation": activation}
    cell = cell_class(case["num_units"], **options)
    cell.build(case["input_depth"], case["dtype"])
    cell.set_weights(case["weights"])
    what = f"{getattr(cell_class, '__name__', 'the cell')}.call"
    output, new_state = pair(cell(case["x"], case["state"]), what)
    return step_outputs(cell, output, new_state)
