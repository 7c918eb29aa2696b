"""The checks of notebook 03: ``GRUCell``, and counting the parameters of the three cells.

Only the drivers and the public checks: the cases, the reference and the mistake models
are the grader's (``autograder.exercises.gru``)."""

from autograder.learner.checks import Check, common

KINDS = ("BasicRNNCell", "GRUCell", "BasicLSTMCell")


def _run_count(count_params, case: dict) -> dict:
    found = {}
    for kind in KINDS:
        found[f"parameters of {kind}"] = count_params(kind, case["input_depth"], case["num_units"])
    return found


gru_cell = Check(
    "gru_cell",
    common.run_output_is_state,
    """Check your ``GRUCell``: sizes, output and new state of one step, against rnnref's
    GRUCell with the same weights.""",
)

count_params = Check(
    "count_params",
    _run_count,
    """Check your ``count_params(kind, input_depth, num_units)`` for the three cells.""",
)
