"""The checks of notebook 04: ``MultiRNNCell`` and the wrappers (dropout, projections,
embedding, residual), each run with toy cells (``cells.ToyCell``) inside.

Only the drivers and the public checks: the cases, the reference and the mistake models
are the grader's (``autograder.exercises.stacking``)."""

from autograder.learner.cells import toy_cell
from autograder.learner.checks import Check, common


def _run_multi(MultiRNNCell: type, case: dict) -> dict:
    layers = [toy_cell(spec) for spec in case["layers"]]
    cell = MultiRNNCell(layers, state_is_tuple=case["state_is_tuple"])
    state = common.as_course_state(case["state"])
    output, new_state = common.pair(cell(case["x"], state), "MultiRNNCell.call")
    return common.step_outputs(cell, output, new_state)


def _run_dropout(DropoutWrapper: type, case: dict) -> dict:
    wrapper = DropoutWrapper(toy_cell(case["cell"]), seed=case["seed"], **case["keep"])
    state, outputs = common.as_course_state(case["state"]), []
    for x in case["xs"]:
        output, state = common.pair(wrapper(x, state), "DropoutWrapper.call")
        outputs.append(output)
    return {"outputs": outputs, "final_state": state}


def _run_input(answer: tuple, case: dict) -> dict:
    InputProjectionWrapper, EmbeddingWrapper = answer
    state = common.as_course_state(case["state"])
    dtype = case["x"].dtype
    inner = toy_cell(case["proj_cell"])
    projected = InputProjectionWrapper(inner, case["num_proj"])
    projected.build(case["x"].shape[1], dtype)
    projected.set_weights(inner.weights + list(case["projection"]))
    p_out, p_state = common.pair(projected(case["x"], state), "InputProjectionWrapper.call")
    inner = toy_cell(case["embed_cell"])
    classes, size = case["embedding"][0].shape
    embedded = EmbeddingWrapper(inner, classes, size)
    embedded.build(1, dtype)
    embedded.set_weights(inner.weights + list(case["embedding"]))
    e_out, e_state = common.pair(embedded(case["ids"], state), "EmbeddingWrapper.call")
    return {
        "InputProjectionWrapper": common.step_outputs(projected, p_out, p_state),
        "EmbeddingWrapper": common.step_outputs(embedded, e_out, e_state),
    }


def _run_output(answer: tuple, case: dict) -> dict:
    OutputProjectionWrapper, ResidualWrapper = answer
    state = common.as_course_state(case["state"])
    inner = toy_cell(case["cell"])
    projected = OutputProjectionWrapper(inner, case["output_size"])
    projected.build(case["x"].shape[1], case["x"].dtype)
    projected.set_weights(inner.weights + list(case["projection"]))
    p_out, p_state = common.pair(projected(case["x"], state), "OutputProjectionWrapper.call")
    found = {"OutputProjectionWrapper": common.step_outputs(projected, p_out, p_state)}
    if case["cell"]["output_size"] == case["x"].shape[1]:  # a residual needs equal sizes
        residual = ResidualWrapper(toy_cell(case["cell"]))
        r_out, r_state = common.pair(residual(case["x"], state), "ResidualWrapper.call")
        found["ResidualWrapper"] = common.step_outputs(residual, r_out, r_state)
    return found


multi_rnn_cell = Check(
    "multi_rnn_cell",
    _run_multi,
    """Check your ``MultiRNNCell``: sizes, output and new state, with tuple and concatenated
    states, on stacks of made-up layers (some with LSTMStateTuple states).""",
)

dropout_wrapper = Check(
    "dropout_wrapper",
    _run_dropout,
    """Check your ``DropoutWrapper`` over two steps against rnnref's with the same seed.""",
)

input_wrappers = Check(
    "input_wrappers",
    _run_input,
    """Check ``(InputProjectionWrapper, EmbeddingWrapper)``: what the wrapped cell is fed.""",
)

output_wrappers = Check(
    "output_wrappers",
    _run_output,
    """Check ``(OutputProjectionWrapper, ResidualWrapper)``: what they make of the output.""",
)
