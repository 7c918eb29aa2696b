"""The checks of notebook 01, the RNNCell contract: ``BasicRNNCell`` and unrolling by hand.

Only the drivers and the public checks: the cases, the reference and the mistake models
are the grader's (``autograder.exercises.rnn_cell``)."""

from autograder.learner.cells import toy_cell
from autograder.learner.checks import Check, common


def _run_unroll(unroll, case: dict) -> dict:
    cell = toy_cell(case["cell"])
    outputs, final_state = common.pair(unroll(cell, list(case["inputs"]), case["state"]), "unroll")
    if type(outputs) is tuple:
        outputs = list(outputs)
    return {"outputs": outputs, "final_state": final_state}


basic_rnn_cell = Check(
    "basic_rnn_cell",
    common.run_output_is_state,
    """Check your ``BasicRNNCell`` class: sizes, output and new state of one step.

    The check builds your cell, copies in the weights of rnnref's BasicRNNCell, calls both
    on random inputs and states, and compares.""",
)

unroll = Check(
    "unroll",
    _run_unroll,
    """Check your ``unroll(cell, inputs, state)``: the outputs of every step and the final state.

    The check hands your function a made-up cell whose output differs from its state,
    sometimes with an LSTMStateTuple state, and compares with rnnref's static_rnn.""",
)
