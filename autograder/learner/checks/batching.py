"""The checks of notebook 06: the batch splitter, input/target pairs, and running batches
with the state carried from one batch to the next.

Only the drivers and the public checks: the cases, the reference and the mistake models
are the grader's (``autograder.exercises.batching``)."""

from autograder.learner.cells import toy_cell
from autograder.learner.checks import Check, common


def _run_split(split_batches, case: dict):
    return split_batches(case["data"], case["batch_size"], case["num_steps"])


def _run_pairs(input_target_batches, case: dict) -> dict:
    result = input_target_batches(case["data"], case["batch_size"], case["num_steps"])
    pairs = [common.pair(tuple(p) if type(p) is list else p, "each item") for p in result]
    return {"pairs": pairs}


def _run_carry(run_batches, case: dict) -> dict:
    outputs, state = common.pair(
        run_batches(toy_cell(case["cell"]), case["batches"]), "run_batches"
    )
    return {"outputs": outputs, "final_state": state}


split_batches = Check(
    "split_batches",
    _run_split,
    """Check your ``split_batches(data, batch_size, num_steps)``, the notes' 1..12 first.""",
)

input_target_batches = Check(
    "input_target_batches",
    _run_pairs,
    """Check your ``input_target_batches``: (x, y) pairs with y one step ahead of x.""",
)

run_batches = Check(
    "run_batches",
    _run_carry,
    """Check your ``run_batches(cell, batches)``: outputs [n, B, S, H] and the final state,
    with the state carried from batch to batch.""",
)
