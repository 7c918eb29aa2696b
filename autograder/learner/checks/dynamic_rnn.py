"""The checks of notebook 05: ``dynamic_rnn`` (time_major, initial states, sequence_length
masking), ``static_rnn`` and ``bidirectional_dynamic_rnn``, run on toy cells.

Only the drivers and the public checks: the cases, the reference and the mistake models
are the grader's (``autograder.exercises.dynamic_rnn``). ``static_rnn`` and
``bidirectional_dynamic_rnn`` run with a correct ``dynamic_rnn`` in place of the learner's
(``drive.standing_in``), answering from the case's ``"earlier"`` table."""

from collections.abc import Callable

import numpy as np

from autograder.learner import drive
from autograder.learner.cells import toy_cell
from autograder.learner.checks import Check, common


def _unroll_options(case: dict) -> dict:
    """The keyword arguments a case passes to the learner's unroll (as rnnref's takes them)."""
    kwargs = {}
    if case["sequence_length"] is not None:
        kwargs["sequence_length"] = case["sequence_length"]
    if case["initial_state"] is not None:
        kwargs["initial_state"] = common.as_course_state(case["initial_state"])
    else:
        kwargs["dtype"] = np.dtype(case["dtype"])
    if case["time_major"]:
        kwargs["time_major"] = True
    return kwargs


def _run_dynamic(dynamic_rnn, case: dict) -> dict:
    result = dynamic_rnn(toy_cell(case["cell"]), case["inputs"], **_unroll_options(case))
    outputs, final_state = common.pair(result, "dynamic_rnn")
    return {"outputs": outputs, "final_state": final_state}


def correct_dynamic_rnn(case: dict, cells: dict, caller: str) -> Callable:
    """A stand-in for the learner's ``dynamic_rnn`` that answers the calls prepared in
    ``case["earlier"]``. ``cells`` names the cells the driver built (``{"cell_fw": ...}``):
    the table tells calls apart by those names, inputs time-major, lengths and state."""
    names = {id(cell): name for name, cell in cells.items()}

    def dynamic_rnn(
        cell, inputs, sequence_length=None, initial_state=None, dtype=None, time_major=False
    ):
        steps = np.asarray(inputs)
        if not time_major:
            steps = np.swapaxes(steps, 0, 1)  # (B, T, D) -> (T, B, D)
        arguments = {
            "cell": names.get(id(cell), "a cell the check did not give"),
            "inputs": steps,
            "sequence_length": sequence_length,
            "initial_state": initial_state,
        }
        outputs, state = drive.answer_from(case["earlier"], arguments, "dynamic_rnn", caller)
        if not time_major:
            outputs = np.swapaxes(outputs, 0, 1)  # (T, B, O) -> (B, T, O)
        return outputs, common.as_course_state(state)

    return dynamic_rnn


def _run_static(static_rnn, case: dict) -> dict:
    kwargs = _unroll_options(case)
    kwargs.pop("time_major", None)
    steps = list(case["inputs"])  # [T, B, D] -> T arrays [B, D]
    cell = toy_cell(case["cell"])
    stand_in = correct_dynamic_rnn(case, {"cell": cell}, "static_rnn")
    with drive.standing_in(static_rnn, "dynamic_rnn", stand_in):
        result = static_rnn(cell, steps, **kwargs)
    outputs, final_state = common.pair(result, "static_rnn")
    if type(outputs) is tuple:
        outputs = list(outputs)
    return {"outputs": outputs, "final_state": final_state}


def _run_bidi(bidirectional_dynamic_rnn, case: dict) -> dict:
    kwargs = {"sequence_length": case["sequence_length"], "time_major": case["time_major"]}
    if case["initial_state_fw"] is not None:
        kwargs["initial_state_fw"] = common.as_course_state(case["initial_state_fw"])
        kwargs["initial_state_bw"] = common.as_course_state(case["initial_state_bw"])
    else:
        kwargs["dtype"] = np.dtype(case["dtype"])
    cells = {"cell_fw": toy_cell(case["cell_fw"]), "cell_bw": toy_cell(case["cell_bw"])}
    stand_in = correct_dynamic_rnn(case, cells, "bidirectional_dynamic_rnn")
    with drive.standing_in(bidirectional_dynamic_rnn, "dynamic_rnn", stand_in):
        result = bidirectional_dynamic_rnn(
            cells["cell_fw"], cells["cell_bw"], case["inputs"], **kwargs
        )
    outputs, states = common.pair(result, "bidirectional_dynamic_rnn")
    out_fw, out_bw = common.pair(outputs, "bidirectional_dynamic_rnn's outputs")
    state_fw, state_bw = common.pair(states, "bidirectional_dynamic_rnn's states")
    return {"outputs_fw": out_fw, "outputs_bw": out_bw, "state_fw": state_fw, "state_bw": state_bw}


dynamic_rnn = Check(
    "dynamic_rnn",
    _run_dynamic,
    """Check your ``dynamic_rnn`` without sequence_length: layouts and initial states.""",
)

dynamic_rnn_masking = Check(
    "dynamic_rnn_masking",
    _run_dynamic,
    """Check your ``dynamic_rnn`` with sequence_length (lengths of 0 and full among them).""",
)

static_rnn = Check(
    "static_rnn",
    _run_static,
    """Check your ``static_rnn``: a list of T inputs in, a list of T outputs out.""",
)

bidirectional_dynamic_rnn = Check(
    "bidirectional_dynamic_rnn",
    _run_bidi,
    """Check your ``bidirectional_dynamic_rnn`` (and ``reverse_sequence`` inside it).""",
)
