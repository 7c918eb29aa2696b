"""The grader's side of notebook 03: ``GRUCell``, and counting the parameters of the three cells."""

import numpy as np

from autograder.exercises import Exercise, Mistake, Mutation, support
from autograder.i18n import N_, _
from autograder.learner.cells import sigmoid
from autograder.learner.checks import common
from autograder.learner.checks.gru import KINDS

# ---- GRUCell ----------------------------------------------------------------------------


def _gru_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    # (batch, input_depth, units, dtype, activation); the first has D == H.
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
            (2, 6, 2, "float64", "default"),
        ]

    def weight_shapes(depth: int, H: int) -> list[tuple]:
        return [(depth + H, 2 * H), (2 * H,), (depth + H, H), (H,)]

    return support.output_is_state_cases(rng, shapes, weight_shapes, state_scale=0.8)


def _expect_gru(case: dict) -> dict:
    import rnnref.np as rn

    return support.expect_output_is_state(rn.GRUCell, case)


def _gru(
    case: dict,
    gate_order: str = "ru",
    reset: str = "before",
    mix: str = "u_keeps",
    concat: str = "xh",
    act: str = "given",
    no_bias: str = "",
) -> dict:
    """One GRU step in NumPy, with each named mistake switchable (``no_bias``: "gates" or
    "candidate", the bias left out)."""
    x, h_prev, H = case["x"], case["state"], case["num_units"]
    W_g, b_g, W_c, b_c = case["weights"]
    b_g = 0 * b_g if no_bias == "gates" else b_g
    b_c = 0 * b_c if no_bias == "candidate" else b_c
    D = x.shape[1]
    activation = {
        "given": common.ACTIVATIONS[case["activation"]] or np.tanh,
        "tanh": np.tanh,
        "sigmoid": sigmoid,
    }[act]
    parts = [x, h_prev] if concat == "xh" else [h_prev, x]
    gates = sigmoid(np.concatenate(parts, axis=1) @ W_g + b_g)  # [B, 2H]
    first, second = np.split(gates, 2, axis=1)
    r, u = (first, second) if gate_order == "ru" else (second, first)
    if reset == "before":
        parts = [x, r * h_prev] if concat == "xh" else [r * h_prev, x]
        c = activation(np.concatenate(parts, axis=1) @ W_c + b_c)
    elif reset == "after":  # r scales the recurrent product instead of h_prev
        c = activation(x @ W_c[:D] + r * (h_prev @ W_c[D:]) + b_c)
    else:  # no reset at all
        c = activation(np.concatenate([x, h_prev], axis=1) @ W_c + b_c)
    new_h = {
        "u_keeps": u * h_prev + (1 - u) * c,
        "u_moves": (1 - u) * h_prev + u * c,
        "u_both": u * h_prev + u * c,
        "one_minus_u_both": (1 - u) * h_prev + (1 - u) * c,
    }[mix]
    return {"state_size": H, "output_size": H, "output": new_h, "new_state": new_h}


def locate(case: dict, received: dict) -> tuple[str, str] | None:
    """Which part of a GRU step the learner's new h says is wrong, by undoing the mix
    new_h = u * h_prev + (1 - u) * c: with u right it gives the candidate c, with c right
    the update gate u; a pre-activation off by a constant per unit is named."""
    h_new = np.asarray(received["new_state"], dtype=np.float64)
    x, h_prev, act = case["x"], case["state"], common.ACTIVATIONS[case["activation"]]
    W_g, b_g, W_c, b_c = case["weights"]
    pre_r, pre_u = np.split(np.concatenate([x, h_prev], axis=1) @ W_g + b_g, 2, axis=1)
    r, u = sigmoid(pre_r), sigmoid(pre_u)
    pre_c = np.concatenate([x, r * h_prev], axis=1) @ W_c + b_c
    c = np.tanh(pre_c) if act is None else act(pre_c)
    with np.errstate(divide="ignore", invalid="ignore"):
        c_implied = (h_new - u * h_prev) / (1 - u)  # if u is right
        u_implied = (h_new - c) / (h_prev - c)  # if c is right
    if act is None:  # tanh can be undone; relu cannot below 0
        valid = (1 - u > 0.05) & (np.abs(c_implied) < 0.98)
        found = support.constant_shift(
            "candidate", _("candidate c"), pre_c, np.arctanh(np.where(valid, c_implied, 0)), valid
        )
        if found:
            return found
    valid = (np.abs(h_prev - c) > 0.05) & (u_implied > 0.02) & (u_implied < 0.98)
    implied = support.logit(np.where(valid, u_implied, 0.5))
    return support.constant_shift("u_gate", _("update gate u"), pre_u, implied, valid)


GRU_CELL = Exercise(
    name="gru_cell",
    answer="GRUCell",
    cases=_gru_cases,
    expect=_expect_gru,
    label=support.output_is_state_label,
    mistakes={
        "reset_after_matmul": Mistake(
            lambda case: _gru(case, reset="after"),
            N_(
                "the reset gate is applied after the matrix product, r * (h_prev @ W_h). TF1's "
                "GRUCell resets the state before it: [x, r * h_prev] @ candidate_kernel."
            ),
        ),
        "no_reset": Mistake(
            lambda case: _gru(case, reset="none"),
            N_("the reset gate is not used: the candidate is act([x, r * h_prev] @ W_c + b_c)."),
        ),
        "gates_swapped": Mistake(
            lambda case: _gru(case, gate_order="ur"),
            N_(
                "r and u are swapped: the gates kernel holds the reset gate first, "
                "r, u = np.split(sigmoid(...), 2, axis=1)."
            ),
        ),
        "mix_swapped": Mistake(
            lambda case: _gru(case, mix="u_moves"),
            N_(
                "the update gate mixes the other way round: TF1 keeps the old state with u, "
                "new_h = u * h_prev + (1 - u) * c."
            ),
        ),
        "h_x_order": Mistake(
            lambda case: _gru(case, concat="hx"),
            N_("the kernels multiply [h, x] instead of [x, h]: the input rows come first."),
        ),
        "candidate_sigmoid": Mistake(
            lambda case: _gru(case, act="sigmoid"),
            N_(
                "the candidate uses a sigmoid: it uses the activation (tanh by default); only "
                "the gates use sigmoids."
            ),
        ),
        "activation_ignored": Mistake(
            lambda case: _gru(case, act="tanh"),
            N_("the cell always uses np.tanh: apply self.activation to the candidate."),
        ),
    },
    variants={
        "gates.bias": Mistake(
            lambda case: _gru(case, no_bias="gates"),
            N_("the gates r and u have no bias: sigmoid([x, h_prev] @ gates_kernel + gates_bias)."),
        ),
        "candidate.bias": Mistake(
            lambda case: _gru(case, no_bias="candidate"),
            N_("the candidate c has no bias: add candidate_bias before the activation."),
        ),
        "mix.h_prev_weight": Mistake(
            lambda case: _gru(case, mix="one_minus_u_both"),
            N_(
                "the old state h_prev is weighted by 1 - u: u keeps the old state and 1 - u lets "
                "the candidate in, and the two weights add up to 1."
            ),
        ),
        "mix.candidate_weight": Mistake(
            lambda case: _gru(case, mix="u_both"),
            N_(
                "the candidate c is weighted by u: u keeps the old state and 1 - u lets the "
                "candidate in, and the two weights add up to 1."
            ),
        ),
    },
    locate=locate,
)


# ---- counting parameters ----------------------------------------------------------------


def _count_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    sizes = [(3, 4), (10, 32)]
    if hidden:
        sizes = [(1, 1), (128, 256), (int(rng.integers(2, 50)), int(rng.integers(2, 50)))]
    return [{"input_depth": d, "num_units": h} for d, h in sizes]


def _count_label(case: dict) -> str:
    return _("input depth {depth}, num_units={units}").format(
        depth=case["input_depth"], units=case["num_units"]
    )


def _expect_count(case: dict) -> dict:
    import rnnref.np as rn

    found = {}
    for kind in KINDS:
        cell = getattr(rn, kind)(case["num_units"])
        cell.build(case["input_depth"])
        found[f"parameters of {kind}"] = int(sum(w.size for w in cell.weights))
    return found


def _count(case: dict, biases: bool = True, recurrent: bool = True, blocks=None) -> dict:
    """Parameter counts with the named mistakes: k blocks of [D (+ H), H] kernels and biases."""
    D, H = case["input_depth"], case["num_units"]
    blocks = blocks or {"BasicRNNCell": 1, "GRUCell": 3, "BasicLSTMCell": 4}
    rows = D + H if recurrent else D
    return {
        f"parameters of {kind}": k * (rows * H + (H if biases else 0)) for kind, k in blocks.items()
    }


COUNT_PARAMS = Exercise(
    name="count_params",
    answer="count_params",
    cases=_count_cases,
    expect=_expect_count,
    label=_count_label,
    mistakes={
        "no_biases": Mistake(
            lambda case: _count(case, biases=False),
            N_("the biases are not counted: each block of H units has a bias of H."),
        ),
        "no_recurrent": Mistake(
            lambda case: _count(case, recurrent=False),
            N_(
                "the recurrent rows are not counted: every kernel is [D + H, k * H], since it "
                "multiplies [x, h_prev]."
            ),
        ),
        "gru_two_blocks": Mistake(
            lambda case: _count(case, blocks={"BasicRNNCell": 1, "GRUCell": 2, "BasicLSTMCell": 4}),
            N_(
                "the GRU's candidate is not counted: besides the gates kernel [D + H, 2H] it has "
                "a candidate kernel [D + H, H] and bias [H]."
            ),
        ),
        "gru_four_blocks": Mistake(
            lambda case: _count(case, blocks={"BasicRNNCell": 1, "GRUCell": 4, "BasicLSTMCell": 4}),
            N_(
                "the GRU is counted like an LSTM: it has three blocks (r, u and the candidate), "
                "not four."
            ),
        ),
        "lstm_three_blocks": Mistake(
            lambda case: _count(case, blocks={"BasicRNNCell": 1, "GRUCell": 3, "BasicLSTMCell": 3}),
            N_("the LSTM is counted with three blocks: it has four, i, j, f and o."),
        ),
    },
)


EXERCISES = [GRU_CELL, COUNT_PARAMS]


# ---- typical mistakes injected into the solution (the mutation tests and the demo) ----

ASSIGNMENT = "03_gru"

# A graded cell's grade_id -> the mistakes to inject into its answer (see ``Mutation``).
MUTATIONS: dict[str, list[Mutation]] = {
    "gru_cell_test": [
        Mutation(
            "gru_cell_answer",
            "x_rh = np.concatenate([inputs, r * h_prev], axis=1)  # reset before the product\n"
            "        c = self.activation(x_rh @ self.candidate_kernel + self.candidate_bias)",
            "D = inputs.shape[1]\n"
            "        W_cx, W_ch = self.candidate_kernel[:D], self.candidate_kernel[D:]\n"
            "        b_c = self.candidate_bias\n"
            "        c = self.activation(inputs @ W_cx + r * (h_prev @ W_ch) + b_c)",
            "the reset gate is applied after the matrix product",
        ),
        Mutation(
            "gru_cell_answer",
            "r, u = np.split(",
            "u, r = np.split(",
            "r and u are swapped",
        ),
        Mutation(
            "gru_cell_answer",
            "new_h = u * h_prev + (1 - u) * c",
            "new_h = (1 - u) * h_prev + u * c",
            "the update gate mixes the other way round",
        ),
        Mutation(
            "gru_cell_answer",
            "[inputs, r * h_prev]",
            "[inputs, h_prev]",
            "the reset gate is not used",
        ),
        Mutation(
            "gru_cell_answer",
            "c = self.activation(x_rh",
            "c = sigmoid(x_rh",
            "the candidate uses a sigmoid",
        ),
        Mutation(
            "gru_cell_answer",
            "x_rh @ self.candidate_kernel + self.candidate_bias",
            "x_rh @ self.candidate_kernel",
            "the candidate c has no bias",
        ),
        Mutation(
            "gru_cell_answer",
            "x_h @ self.gates_kernel + self.gates_bias",
            "x_h @ self.gates_kernel",
            "the gates r and u have no bias",
        ),
        Mutation(
            "gru_cell_answer",
            "new_h = u * h_prev + (1 - u) * c",
            "new_h = u * h_prev + u * c",
            "the candidate c is weighted by u",
        ),
    ],
    "count_params_test": [
        Mutation(
            "count_params_answer",
            "* num_units + num_units)",
            "* num_units)",
            "the biases are not counted",
        ),
        Mutation(
            "count_params_answer",
            "(input_depth + num_units) * num_units",
            "input_depth * num_units",
            "the recurrent rows are not counted",
        ),
        Mutation(
            "count_params_answer",
            '"GRUCell": 3',
            '"GRUCell": 2',
            "the GRU's candidate is not counted",
        ),
        Mutation(
            "count_params_answer",
            '"BasicLSTMCell": 4',
            '"BasicLSTMCell": 3',
            "the LSTM is counted with three blocks",
        ),
    ],
}
