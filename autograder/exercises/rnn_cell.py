"""The grader's side of notebook 01, the RNNCell contract: ``BasicRNNCell`` and unrolling by
hand."""

import numpy as np

from autograder.exercises import Exercise, Mistake, Mutation, support
from autograder.i18n import N_, _
from autograder.learner.cells import sigmoid, toy_cell
from autograder.learner.checks import common

# ---- BasicRNNCell -----------------------------------------------------------------------


def _cell_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    # (batch, input_depth, num_units, dtype, activation); the first has D == H, so an
    # [h, x] concatenation gives wrong numbers instead of a shape error.
    # The visible cases cover what the hidden ones do (another activation, float64).
    shapes = [
        (3, 4, 4, "float32", "default"),
        (2, 3, 5, "float32", "default"),
        (2, 3, 3, "float64", "relu"),
    ]
    if hidden:
        shapes = [
            (4, 2, 3, "float64", "default"),
            (3, 5, 5, "float32", "relu"),
            (1, 1, 1, "float32", "default"),
            (5, 6, 2, "float64", "relu"),
        ]

    def weight_shapes(depth: int, units: int) -> list[tuple]:
        return [(depth + units, units), (units,)]

    return support.output_is_state_cases(rng, shapes, weight_shapes, state_scale=0.5)


def _expect_cell(case: dict) -> dict:
    import rnnref.np as rn

    return support.expect_output_is_state(rn.BasicRNNCell, case)


def _basic_rnn(
    case: dict,
    order: str = "xh",
    bias: int = 1,
    activation: str = "given",
    state: str = "new",
    dropped: str = "",
) -> dict:
    """One BasicRNNCell step written with the named mistakes switchable: ``bias`` is how
    many times the bias is added, ``dropped`` ("x" or "h") a part of [x, h] left out."""
    x, h_prev = case["x"], case["state"]
    kernel, b = case["weights"]
    x_in = np.zeros_like(x) if dropped == "x" else x
    h_in = np.zeros_like(h_prev) if dropped == "h" else h_prev
    parts = [x_in, h_in] if order == "xh" else [h_in, x_in]
    z = np.concatenate(parts, axis=1) @ kernel + bias * b  # [B, D + H] @ [D + H, H] -> [B, H]
    act = {
        "given": common.ACTIVATIONS[case["activation"]] or np.tanh,
        "tanh": np.tanh,
        "none": lambda v: v,
        "sigmoid": sigmoid,
    }[activation]
    new_h = act(z)
    return {
        "state_size": case["num_units"],
        "output_size": case["num_units"],
        "output": new_h,
        "new_state": new_h if state == "new" else h_prev,
    }


BASIC_RNN_CELL = Exercise(
    name="basic_rnn_cell",
    answer="BasicRNNCell",
    cases=_cell_cases,
    expect=_expect_cell,
    label=support.output_is_state_label,
    mistakes={
        "h_x_order": Mistake(
            lambda case: _basic_rnn(case, order="hx"),
            N_(
                "the kernel multiplies [h, x] instead of [x, h]. TF1's kernel stacks the input "
                "rows on top of the recurrent rows, W = [W_x; W_h], so concatenate "
                "[inputs, state] (inputs first) along axis 1."
            ),
        ),
        "no_bias": Mistake(
            lambda case: _basic_rnn(case, bias=0),
            N_("the bias is left out: add self.bias to the matrix product, before the activation."),
        ),
        "no_activation": Mistake(
            lambda case: _basic_rnn(case, activation="none"),
            N_("the activation is left out: h_t = act([x_t, h_{t-1}] @ W + b)."),
        ),
        "activation_ignored": Mistake(
            lambda case: _basic_rnn(case, activation="tanh"),
            N_(
                "the cell always uses np.tanh: apply self.activation, which is tanh only by "
                "default (BasicRNNCell(num_units, activation=...))."
            ),
        ),
        "sigmoid": Mistake(
            lambda case: _basic_rnn(case, activation="sigmoid"),
            N_("the activation is a sigmoid: BasicRNNCell uses tanh by default."),
        ),
        "old_state": Mistake(
            lambda case: _basic_rnn(case, state="old"),
            N_(
                "the state is not updated: a BasicRNNCell's new state is its output, new_h, "
                "and it must be returned as both."
            ),
        ),
    },
    variants={
        "bias.twice": Mistake(
            lambda case: _basic_rnn(case, bias=2),
            N_("the bias is added twice: once, to [x, h] @ kernel, before the activation."),
        ),
        "z.input_rows": Mistake(
            lambda case: _basic_rnn(case, dropped="x"),
            N_("the inputs x do not reach the new state: the kernel multiplies [x, h_prev]."),
        ),
        "z.recurrent_rows": Mistake(
            lambda case: _basic_rnn(case, dropped="h"),
            N_(
                "the previous state h_prev does not reach the new state: the kernel multiplies "
                "[x, h_prev]."
            ),
        ),
    },
)


# ---- unrolling by hand ------------------------------------------------------------------


def _unroll_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    # (steps, batch, input_depth, units, output_size, tuple_state, dtype); the first has
    # output_size == units, so carrying the output instead of the state shows in values.
    shapes = [
        (3, 2, 3, 4, 4, False, "float32"),
        (3, 3, 2, 3, 2, True, "float32"),
        (2, 2, 2, 3, 3, False, "float64"),
    ]
    if hidden:
        shapes = [
            (1, 2, 2, 3, 3, False, "float32"),
            (6, 4, 3, 2, 2, False, "float64"),
            (5, 1, 4, 3, 5, True, "float64"),
            (0, 2, 3, 2, 2, False, "float32"),
        ]
    cases = []
    for steps, batch, depth, units, out, tuple_state, dtype in shapes:
        cell = support.toy_spec(rng, depth, units, out, tuple_state, dtype)
        cases.append(
            {
                "cell": cell,
                "inputs": [support.normal(rng, (batch, depth), dtype) for _ in range(steps)],
                "state": support.toy_state(cell, rng, batch, dtype),
                "batch": batch,
            }
        )
    return cases


def _unroll_label(case: dict) -> str:
    cell = case["cell"]
    return _(
        "{steps} steps, batch {batch}, a cell with {units} units, output size {size} and "
        "{kind}, {dtype}"
    ).format(
        steps=len(case["inputs"]),
        batch=case["batch"],
        units=cell["units"],
        size=cell["output_size"],
        kind=support.state_kind(cell),
        dtype=cell["weights"][0].dtype,
    )


def _expect_unroll(case: dict) -> dict:
    import rnnref.np as rn

    if not case["inputs"]:  # rnnref's static_rnn needs at least one step
        return {"outputs": [], "final_state": case["state"]}
    cell = support.reference_toy(case["cell"])
    state = support.as_reference_state(case["state"])
    outputs, final_state = rn.static_rnn(cell, case["inputs"], initial_state=state)
    return {"outputs": outputs, "final_state": final_state}


def _unroll_wrong(case: dict, mistake: str) -> dict:
    cell = toy_cell(case["cell"])
    state, outputs, states = case["state"], [], []
    for x in case["inputs"]:
        from_initial = mistake in ("from_initial", "never_updated")
        output, new_state = cell(x, case["state"] if from_initial else state)
        outputs.append(new_state if mistake == "collect_state" else output)
        state = output if mistake == "carry_output" else new_state
        states.append(new_state)
    if mistake == "first_state" and states:
        state = states[0]
    if mistake in ("initial_state", "never_updated"):
        state = case["state"]
    return {"outputs": outputs, "final_state": state}


UNROLL = Exercise(
    name="unroll",
    answer="unroll",
    cases=_unroll_cases,
    expect=_expect_unroll,
    label=_unroll_label,
    mistakes={
        "from_initial": Mistake(
            lambda case: _unroll_wrong(case, "from_initial"),
            N_(
                "every step starts from the initial state: pass each step the state the "
                "previous step returned (h0 -> h1 -> h2 ...)."
            ),
        ),
        "never_updated": Mistake(
            lambda case: _unroll_wrong(case, "never_updated"),
            N_(
                "every step starts from the initial state, and it is returned as the final "
                "state: keep the state each step returns, `output, state = cell(x, state)`."
            ),
        ),
        "carry_output": Mistake(
            lambda case: _unroll_wrong(case, "carry_output"),
            N_(
                "the output is carried to the next step instead of the state: "
                "(output, state) = cell(x, state) keeps the two apart."
            ),
        ),
        "collect_state": Mistake(
            lambda case: _unroll_wrong(case, "collect_state"),
            N_(
                "the states are collected as outputs: the outputs list holds what the cell "
                "returns first, its output."
            ),
        ),
        "first_state": Mistake(
            lambda case: _unroll_wrong(case, "first_state"),
            N_("the final state is the first step's: return the state after the last step."),
        ),
        "initial_state": Mistake(
            lambda case: _unroll_wrong(case, "initial_state"),
            N_(
                "the initial state is returned as the final state: return the state after "
                "the last step."
            ),
        ),
    },
)


EXERCISES = [BASIC_RNN_CELL, UNROLL]


# ---- typical mistakes injected into the solution (the mutation tests and the demo) ----

ASSIGNMENT = "01_rnn_cell"

# A graded cell's grade_id -> the mistakes to inject into its answer (see ``Mutation``).
MUTATIONS: dict[str, list[Mutation]] = {
    "basic_rnn_cell_test": [
        Mutation(
            "basic_rnn_cell_answer",
            "np.concatenate([inputs, h_prev], axis=1)",
            "np.concatenate([h_prev, inputs], axis=1)",
            "[h, x] instead of [x, h]",
        ),
        Mutation(
            "basic_rnn_cell_answer",
            "x_h @ self.kernel + self.bias",
            "x_h @ self.kernel",
            "the bias is left out",
        ),
        Mutation(
            "basic_rnn_cell_answer",
            "self.activation(x_h @ self.kernel + self.bias)",
            "np.tanh(x_h @ self.kernel + self.bias)",
            "always uses np.tanh",
        ),
        Mutation(
            "basic_rnn_cell_answer",
            "return new_h, new_h",
            "return new_h, h_prev",
            "the state is not updated",
        ),
        Mutation(
            "basic_rnn_cell_answer",
            "x_h @ self.kernel + self.bias",
            "x_h @ self.kernel + self.bias + self.bias",
            "the bias is added twice",
        ),
        Mutation(
            "basic_rnn_cell_answer",
            "np.concatenate([inputs, h_prev], axis=1)",
            "np.concatenate([inputs, 0 * h_prev], axis=1)",
            "the previous state h_prev does not reach the new state",
        ),
        Mutation(
            "basic_rnn_cell_answer",
            "def state_size(self):\n        ### BEGIN SOLUTION\n        return self.num_units",
            "def state_size(self):\n        ### BEGIN SOLUTION\n        return 1",
        ),
    ],
    "unroll_test": [
        Mutation(
            "unroll_answer",
            "output, state = cell(x, state)",
            "output, new_state = cell(x, state)",
            "every step starts from the initial state",
        ),
        Mutation(
            "unroll_answer",
            "outputs.append(output)",
            "outputs.append(state)",
            "the states are collected as outputs",
        ),
        Mutation(
            "unroll_answer",
            "output, state = cell(x, state)",
            "output, new_state = cell(x, state)\n        state = output",
            "the output is carried to the next step",
        ),
        Mutation(
            "unroll_answer",
            "    for x in inputs:\n        output, state = cell(x, state)",
            "    h = state\n    for x in inputs:\n        output, h = cell(x, h)",
            "the initial state is returned as the final state",
        ),
        Mutation(
            "unroll_answer",
            "outputs.append(output)",
            "outputs.insert(0, output)",
            "holds the values that belong in",
        ),
    ],
}
