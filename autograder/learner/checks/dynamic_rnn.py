"""The checks of notebook 05: ``dynamic_rnn`` (time_major, initial states, sequence_length
masking), ``static_rnn`` and ``bidirectional_dynamic_rnn``, run on toy cells.

Only the drivers and the public checks: the cases, the reference and the mistake models
are the grader's (``autograder.exercises.dynamic_rnn``)."""

import numpy as np

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


def _run_static(static_rnn, case: dict) -> dict:
    kwargs = _unroll_options(case)
    kwargs.pop("time_major", None)
    steps = list(case["inputs"])  # [T, B, D] -> T arrays [B, D]
    outputs, final_state = common.pair(static_rnn(toy_cell(case["cell"]), steps, **kwargs),
                                        "static_rnn")
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
    result = bidirectional_dynamic_rnn(
        toy_cell(case["cell_fw"]), toy_cell(case["cell_bw"]), case["inputs"], **kwargs
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
