"""The grader's side of notebook 06: the batch splitter of the notes' section 5, input/target
pairs, and running batches with the state carried from one batch to the next."""

import numpy as np

from autograder.exercises import Exercise, Mistake, Mutation, support
from autograder.i18n import N_, _
from autograder.learner.cells import toy_cell


def _data(rng: np.random.Generator, length: int, kind: str) -> np.ndarray:
    if kind == "count":
        return np.arange(1, length + 1)
    if kind == "ids":
        return rng.integers(0, 50, size=length)
    return rng.normal(size=length).astype(np.float32)


def _split_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    # (length, batch_size, num_steps, kind): the notes' 1..12, then leftovers at the end.
    configs = [(12, 2, 3, "count"), (14, 2, 3, "count"), (40, 3, 4, "ids")]
    if hidden:
        configs = [
            (7, 1, 2, "count"),
            (50, 4, 1, "ids"),
            (int(rng.integers(30, 80)), 3, 3, "floats"),
            (9, 3, 3, "count"),
            (23, 2, 5, "ids"),
        ]
    return [
        {"data": _data(rng, n, kind), "batch_size": b, "num_steps": s} for n, b, s, kind in configs
    ]


def _split_label(case: dict) -> str:
    data = case["data"]
    shown = (
        f"1..{len(data)}"
        if np.array_equal(data, np.arange(1, len(data) + 1))
        else _("{count} values ({dtype})").format(count=len(data), dtype=data.dtype)
    )
    return _("data {shown}, batch_size={batch_size}, num_steps={num_steps}").format(
        shown=shown, batch_size=case["batch_size"], num_steps=case["num_steps"]
    )


def _expect_split(case: dict):
    import rnnref.np as rn

    return rn.split_batches(case["data"], case["batch_size"], case["num_steps"])


def _split(case: dict, mistake: str = "", shift: int = 0) -> np.ndarray:
    """The split, with each named mistake switchable; ``shift`` leaves room for targets."""
    data, B, S = case["data"], case["batch_size"], case["num_steps"]
    batch_len = len(data) // B
    n = (batch_len - shift) // S
    if mistake == "consecutive":
        return data[: n * B * S].reshape(n, B, S)  # batch k = the next B*S elements
    if mistake == "interleaved":
        rows = data[: B * batch_len].reshape(batch_len, B).T  # row r = data[r::B]
    elif mistake == "cut_short":
        rows = data[: n * B * S].reshape(B, n * S)  # leftovers dropped before the rows
    else:
        rows = data[: B * batch_len].reshape(B, batch_len)
    kept = rows[:, : n * S].reshape(B, n, S)
    if mistake == "batch_axis":
        return kept  # [B, n, S]
    return kept.transpose(1, 0, 2)  # (B, n, S) -> (n, B, S)


SPLIT_BATCHES = Exercise(
    name="split_batches",
    answer="split_batches",
    what=N_("the batches"),
    cases=_split_cases,
    expect=_expect_split,
    label=_split_label,
    mistakes={
        "consecutive": Mistake(
            lambda case: _split(case, "consecutive"),
            N_(
                "each batch is the next batch_size * num_steps consecutive elements. Then row r "
                "of batch k+1 does not continue row r of batch k; lay the data out as batch_size "
                "contiguous rows first, and let batch k take columns [k*S, (k+1)*S) of every row."
            ),
        ),
        "interleaved": Mistake(
            lambda case: _split(case, "interleaved"),
            N_(
                "the rows are interleaved (row r = data[r::batch_size]): each row must be one "
                "contiguous stretch, data.reshape(batch_size, -1) after trimming to a multiple."
            ),
        ),
        "cut_short": Mistake(
            lambda case: _split(case, "cut_short"),
            N_(
                "the leftover elements are dropped before the rows are made: make the rows from "
                "all batch_size * (len(data) // batch_size) elements, then drop each row's tail."
            ),
        ),
        "batch_axis": Mistake(
            lambda case: _split(case, "batch_axis"),
            N_(
                "the axes are [batch_size, num_batches, num_steps]: the first axis counts "
                "batches, so transpose to [num_batches, batch_size, num_steps]."
            ),
        ),
    },
)


# ---- input/target pairs -----------------------------------------------------------------


def _pair_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    configs = [(13, 2, 3, "count"), (40, 3, 4, "ids")]
    if hidden:
        configs = [
            (12, 2, 3, "count"),
            (20, 1, 19, "ids"),
            (int(rng.integers(40, 90)), 4, 2, "ids"),
            (61, 3, 5, "floats"),
        ]
    return [
        {"data": _data(rng, n, kind), "batch_size": b, "num_steps": s} for n, b, s, kind in configs
    ]


def _expect_pairs(case: dict) -> dict:
    import rnnref.np as rn

    pairs = rn.input_target_batches(case["data"], case["batch_size"], case["num_steps"])
    return {"pairs": [(x, y) for x, y in pairs]}


def _pairs(case: dict, mistake: str) -> dict:
    data, B, S = case["data"], case["batch_size"], case["num_steps"]
    batch_len = len(data) // B
    rows = data[: B * batch_len].reshape(B, batch_len)
    if mistake == "consecutive":
        n = (len(data) - 1) // (B * S)
        pairs = [
            (
                data[k * B * S : (k + 1) * B * S].reshape(B, S),
                data[k * B * S + 1 : (k + 1) * B * S + 1].reshape(B, S),
            )
            for k in range(n)
        ]
        return {"pairs": pairs}
    n = (batch_len - 1) // S
    pairs = []
    for k in range(n):
        x = rows[:, k * S : (k + 1) * S]
        y = rows[:, k * S + 1 : (k + 1) * S + 1]
        if mistake == "no_shift":
            y = x
        elif mistake == "swapped":
            x, y = y, x
        pairs.append((x, y))
    return {"pairs": pairs}


INPUT_TARGET_BATCHES = Exercise(
    name="input_target_batches",
    answer="input_target_batches",
    cases=_pair_cases,
    expect=_expect_pairs,
    label=_split_label,
    mistakes={
        "no_shift": Mistake(
            lambda case: _pairs(case, "no_shift"),
            N_(
                "the targets are the inputs themselves: y is x shifted one step ahead, the "
                "element that comes next in the same row."
            ),
        ),
        "swapped": Mistake(
            lambda case: _pairs(case, "swapped"),
            N_(
                "x and y are swapped: the input is x = row[k*S : (k+1)*S] and its target is "
                "y = row[k*S + 1 : (k+1)*S + 1]."
            ),
        ),
        "consecutive": Mistake(
            lambda case: _pairs(case, "consecutive"),
            N_(
                "the pairs are cut from consecutive chunks of the data: lay it out as batch_size "
                "contiguous rows first, as split_batches does."
            ),
        ),
    },
)


# ---- running batches with the state carried ---------------------------------------------


def _carry_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    # (num_batches, batch, steps, depth, units, out, tuple_state, dtype); the first has
    # out == units, so carrying the output instead of the state shows in values.
    configs = [
        (3, 2, 3, 2, 3, 3, False, "float32"),
        (2, 3, 4, 3, 2, 4, True, "float32"),
        # The visible cases cover what the hidden ones do:
        (2, 2, 2, 2, 2, 3, True, "float64"),
    ]
    if hidden:
        configs = [
            (1, 2, 2, 2, 2, 2, False, "float64"),
            (4, 1, 1, 3, 3, 3, False, "float32"),
            (3, 4, 2, 1, 3, 2, True, "float64"),
        ]
    cases = []
    for n, batch, steps, depth, units, out, tuple_state, dtype in configs:
        cases.append(
            {
                "cell": support.toy_spec(rng, depth, units, out, tuple_state, dtype),
                "batches": support.normal(rng, (n, batch, steps, depth), dtype),
            }
        )
    return cases


def _carry_label(case: dict) -> str:
    n, batch, steps, depth = case["batches"].shape
    return _("{count} batches of [{batch}, {steps}, {depth}], a cell with {kind}").format(
        count=n, batch=batch, steps=steps, depth=depth, kind=support.state_kind(case["cell"])
    )


def _expect_carry(case: dict) -> dict:
    import rnnref.np as rn

    cell = support.reference_toy(case["cell"])
    batches = case["batches"]
    state = cell.zero_state(batches.shape[1], batches.dtype)
    outputs = []
    for x in batches:  # [B, S, D]: each batch starts from the last one's final state
        out, state = rn.dynamic_rnn(cell, x, initial_state=state)
        outputs.append(out)
    return {"outputs": np.stack(outputs), "final_state": state}


def _carry(case: dict, mistake: str) -> dict:
    cell = toy_cell(case["cell"])
    batches = case["batches"]
    zero = cell.zero_state(batches.shape[1], batches.dtype)
    state, outputs = zero, []
    for x in batches:
        if mistake == "reset":
            state = zero
        start, outs = state, []
        for t in range(x.shape[1]):
            out, new_state = cell(x[:, t], start if mistake == "batch_start" else state)
            state = {"carry_output": out, "never_carried": zero}.get(mistake, new_state)
            outs.append(out)
        outputs.append(np.stack(outs, axis=1))
    return {"outputs": np.stack(outputs), "final_state": state}


RUN_BATCHES = Exercise(
    name="run_batches",
    answer="run_batches",
    cases=_carry_cases,
    expect=_expect_carry,
    label=_carry_label,
    mistakes={
        "reset": Mistake(
            lambda case: _carry(case, "reset"),
            N_(
                "the state is reset to zeros at every batch: carry the final state of batch k "
                "into batch k+1 (only the very first batch starts from zero_state)."
            ),
        ),
        "batch_start": Mistake(
            lambda case: _carry(case, "batch_start"),
            N_(
                "every step of a batch starts from the batch's initial state: carry the state "
                "from step to step inside a batch too."
            ),
        ),
        "carry_output": Mistake(
            lambda case: _carry(case, "carry_output"),
            N_("the output is carried instead of the state: (output, state) = cell(x, state)."),
        ),
    },
    variants={
        "state.never_carried": Mistake(
            lambda case: _carry(case, "never_carried"),
            N_(
                "the state is never updated: every step starts from zero_state. Keep the new "
                "state each step returns and pass it to the next step."
            ),
        ),
    },
)


EXERCISES = [SPLIT_BATCHES, INPUT_TARGET_BATCHES, RUN_BATCHES]


# ---- typical mistakes injected into the solution (the mutation tests and the demo) ----

ASSIGNMENT = "06_batching"

# A graded cell's grade_id -> the mistakes to inject into its answer (see ``Mutation``).
MUTATIONS: dict[str, list[Mutation]] = {
    "split_batches_test": [
        Mutation(
            "split_batches_answer",
            "    return kept.transpose(1, 0, 2)  # (B, n, S) -> (n, B, S)",
            "    n, B, S = num_batches, batch_size, num_steps\n"
            "    return data[: n * B * S].reshape(n, B, S)",
            "each batch is the next batch_size * num_steps consecutive elements",
        ),
        Mutation(
            "split_batches_answer",
            ".reshape(batch_size, batch_len)  # B contiguous rows",
            ".reshape(batch_len, batch_size).T",
            "the rows are interleaved",
        ),
        Mutation(
            "split_batches_answer",
            "return kept.transpose(1, 0, 2)",
            "return kept",
            "the axes are [batch_size, num_batches, num_steps]",
        ),
        Mutation(
            "split_batches_answer",
            "    rows = data[: batch_size * batch_len].reshape(batch_size, batch_len)  # B "
            "contiguous rows\n    num_batches = batch_len // num_steps\n",
            "    num_batches = batch_len // num_steps\n"
            "    rows = data[: batch_size * num_batches * num_steps].reshape(batch_size, -1)\n",
            "the leftover elements are dropped before the rows are made",
        ),
        Mutation(
            "split_batches_answer",
            "return kept.transpose(1, 0, 2)",
            "return kept.reshape(num_batches, batch_size, num_steps)",
            "transpose to [num_batches, batch_size, num_steps]",
        ),
    ],
    "input_target_batches_test": [
        Mutation(
            "input_target_batches_answer",
            "y = rows[:, k * num_steps + 1 : (k + 1) * num_steps + 1]",
            "y = x",
            "the targets are the inputs themselves",
        ),
        Mutation(
            "input_target_batches_answer",
            "pairs.append((x, y))",
            "pairs.append((y, x))",
            "x and y are swapped",
        ),
        Mutation(
            "input_target_batches_answer",
            "num_batches = (batch_len - 1) // num_steps",
            "num_batches = batch_len // num_steps",
        ),
    ],
    "run_batches_test": [
        Mutation(
            "run_batches_answer",
            "    for x in batches:  # x: [B, S, D]\n",
            "    for x in batches:  # x: [B, S, D]\n"
            "        state = cell.zero_state(batches.shape[1], batches.dtype)\n",
            "the state is reset to zeros at every batch",
        ),
        Mutation(
            "run_batches_answer",
            "output, state = cell(x[:, t], state)",
            "output, state = cell(x[:, t], state)\n            state = output",
            "the output is carried instead of the state",
        ),
        Mutation(
            "run_batches_answer",
            "output, state = cell(x[:, t], state)",
            "output, new_state = cell(x[:, t], state)",
            "the state is never updated",
        ),
        Mutation(
            "run_batches_answer",
            "all_outputs.append(np.stack(outputs, axis=1))",
            "all_outputs.append(np.stack(outputs).reshape(x.shape[0], x.shape[1], -1))",
            "it looks reshaped where it should be transposed",
        ),
    ],
}
