"""The checks of notebook 02: ``BasicLSTMCell``, and ``LSTMCell`` with peepholes,
clipping and a projection.

Only the drivers and the public checks: the cases, the reference and the mistake models
are the grader's (``autograder.exercises.lstm``)."""

from autograder.learner.checks import Check, common


def _run_basic(BasicLSTMCell: type, case: dict) -> dict:
    o = case["options"]
    activation = common.ACTIVATIONS[o["activation"]]
    kwargs = {"forget_bias": o["forget_bias"]}
    if activation is not None:
        kwargs["activation"] = activation
    cell = BasicLSTMCell(case["num_units"], **kwargs)
    cell.build(case["input_depth"], case["dtype"])
    cell.set_weights(case["weights"])
    state = common.as_course_state(case["state"])
    output, new_state = common.pair(cell(case["x"], state), "BasicLSTMCell.call")
    return common.step_outputs(cell, output, new_state)


def lstm_options(case: dict) -> dict:
    """The LSTMCell arguments a case asks for: the same for the learner's cell and rnnref's
    (``activation`` only when the case names one other than the default)."""
    o = case["options"]
    names = ("use_peepholes", "cell_clip", "num_proj", "proj_clip", "forget_bias")
    options = {name: o[name] for name in names}
    activation = common.ACTIVATIONS[o["activation"]]
    if activation is not None:
        options["activation"] = activation
    return options


def _run_lstm(LSTMCell: type, case: dict) -> dict:
    cell = LSTMCell(case["num_units"], **lstm_options(case))
    cell.build(case["input_depth"], case["dtype"])
    cell.set_weights(case["weights"])
    state = common.as_course_state(case["state"])
    output, new_state = common.pair(cell(case["x"], state), "LSTMCell.call")
    return common.step_outputs(cell, output, new_state)


basic_lstm_cell = Check(
    "basic_lstm_cell",
    _run_basic,
    """Check your ``BasicLSTMCell``: sizes, output and LSTMStateTuple(c, h) of one step,
    against rnnref's BasicLSTMCell with the same weights (other forget_bias values and
    activations in the hidden cases).""",
)

lstm_cell_peepholes = Check(
    "lstm_cell_peepholes",
    _run_lstm,
    """Check your ``LSTMCell`` with ``use_peepholes`` and ``cell_clip`` (no projection).""",
)

lstm_cell_projection = Check(
    "lstm_cell_projection",
    _run_lstm,
    """Check your ``LSTMCell`` with ``num_proj`` and ``proj_clip`` (sizes included: the
    state is LSTMStateTuple(c=[B, H], h=[B, P]) and the output [B, P]).""",
)
