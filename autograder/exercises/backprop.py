"""The grader's side of notebook 08: backpropagation through time in NumPy for ``BasicRNNCell`` and
``BasicLSTMCell``, and a numerical gradient. The reference gradients are rnnref's
``dynamic_rnn_forward`` / ``dynamic_rnn_backward`` on the same weights."""

from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.exercises import Exercise, Mistake, Mutation, support
from autograder.i18n import N_, _
from autograder.learner.cells import sigmoid
from autograder.learner.checks.backprop import lstm_step_args, scalar_function

GRAD_TOL = 1e-6  # float64 throughout: gradients agree to rounding


def _rnn_case(rng: np.random.Generator, batch: int, steps: int, depth: int, units: int) -> dict:
    dtype = "float64"
    kernel, bias = support.weights_for([(depth + units, units), (units,)], rng, dtype)
    return {
        "x": support.normal(rng, (batch, steps, depth), dtype),
        "h0": support.normal(rng, (batch, units), dtype, 0.5),
        "kernel": kernel,
        "bias": bias,
        "d_outputs": support.normal(rng, (batch, steps, units), dtype),
    }


def _shape_label(case: dict) -> str:
    batch, steps, depth = case["x"].shape
    units = case["h0"].shape[1]
    if steps == 1:
        return _("batch {batch}, input depth {depth}, {units} units").format(
            batch=batch, depth=depth, units=units
        )
    return _("batch {batch}, input depth {depth}, {units} units, {steps} steps").format(
        batch=batch, depth=depth, units=units, steps=steps
    )


def _reference_rnn(case: dict) -> tuple:
    import rnnref.np as rn

    depth, units = case["x"].shape[2], case["h0"].shape[1]
    cell = rn.BasicRNNCell(units)
    cell.build(depth, np.float64)
    cell.set_weights([case["kernel"], case["bias"]])
    _, _, tape = rn.dynamic_rnn_forward(cell, case["x"], initial_state=case["h0"])
    return rn.dynamic_rnn_backward(tape, case["d_outputs"])


def _wrong_blocks(received: np.ndarray, right: np.ndarray, blocks: dict[str, slice]) -> list:
    """The names of ``blocks`` (slices of the first axis) where ``received`` is wrong."""
    return [
        name
        for name, rows in blocks.items()
        if not np.allclose(received[rows], right[rows], atol=GRAD_TOL, rtol=GRAD_TOL)
    ]


def _kernel_rows(received: dict, right: dict, depth: int) -> tuple[str, str] | None:
    """Which rows of a wrong d_kernel are wrong, when only one part is: the input rows
    (x.T @ d_z) or the recurrent ones (h_prev.T @ d_z)."""
    blocks = {"input_rows": slice(0, depth), "recurrent_rows": slice(depth, None)}
    wrong = _wrong_blocks(received["d_kernel"], right["d_kernel"], blocks)
    if len(wrong) != 1:
        return None
    rows = _("x, its first D rows") if wrong == ["input_rows"] else _("h_prev, its last H rows")
    return (
        f"d_kernel.{wrong[0]}",
        _(
            "only the rows of d_kernel that multiply {rows}, are wrong: d_kernel = "
            "[x, h_prev].T @ d_z, so check which part of [x, h_prev] those rows take."
        ).format(rows=rows),
    )


def _locate_rnn(expect: Callable[[dict], dict]) -> Callable[[dict, dict], Any]:
    """The term of an RNN gradient that is wrong, against ``expect``'s gradients: the rows
    of d_kernel, when d_kernel is."""

    def locate(case: dict, received: dict) -> tuple[str, str] | None:
        return _kernel_rows(received, expect(case), case["x"].shape[2])  # x: [B, T, D]

    return locate


# ---- one BasicRNNCell step ------------------------------------------------------------


def _step_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    shapes = [(3, 4, 4), (2, 3, 5)]  # (batch, depth, units); D == H first
    if hidden:
        shapes = [(1, 1, 1), (4, 6, 2), (5, 2, 7)]
    return [_rnn_case(rng, b, 1, d, h) for b, d, h in shapes]


def _expect_step(case: dict) -> dict:
    d_x, d_h0, (d_kernel, d_bias) = _reference_rnn(case)
    return {"d_x": d_x[:, 0], "d_h_prev": d_h0, "d_kernel": d_kernel, "d_bias": d_bias}


def _rnn_step(x, h_prev, kernel, bias, d_new_h, mistake: str = "") -> tuple:
    """One BasicRNNCell step backward, with the named mistakes switchable."""
    D = x.shape[1]
    xh = np.concatenate([x, h_prev], axis=1)  # [B, D + H]
    z = xh @ kernel + bias
    new_h = np.tanh(z)
    if mistake == "no_tanh_prime":
        d_z = d_new_h
    elif mistake == "tanh_prime_of_z":
        d_z = d_new_h * (1 - z**2)
    else:
        d_z = d_new_h * (1 - new_h**2)  # tanh' = 1 - tanh^2, from the output
    d_xh = (d_new_h if mistake == "d_xh_skips_tanh" else d_z) @ kernel.T  # [B, D + H]
    d_kernel = xh.T @ (d_new_h if mistake == "d_kernel_skips_tanh" else d_z)
    d_bias = d_z.mean(axis=0) if mistake == "bias_mean" else d_z.sum(axis=0)
    if mistake == "split_swapped":
        H = h_prev.shape[1]
        return d_xh[:, H:], d_xh[:, :H], d_kernel, d_bias
    return d_xh[:, :D], d_xh[:, D:], d_kernel, d_bias


def _step_mistake(key: str, message: str) -> Mistake:
    def outputs(case: dict) -> dict:
        d_x, d_h, d_k, d_b = _rnn_step(
            case["x"][:, 0], case["h0"], case["kernel"], case["bias"], case["d_outputs"][:, 0], key
        )
        return {"d_x": d_x, "d_h_prev": d_h, "d_kernel": d_k, "d_bias": d_b}

    return Mistake(outputs, message)


RNN_STEP_BACKWARD = Exercise(
    name="rnn_step_backward",
    answer="rnn_step_backward",
    cases=_step_cases,
    expect=_expect_step,
    label=_shape_label,
    atol=GRAD_TOL,
    rtol=GRAD_TOL,
    mistakes={
        "tanh_prime_of_z": _step_mistake(
            "tanh_prime_of_z",
            N_(
                "tanh' is computed from the pre-activation z: tanh'(z) = 1 - tanh(z)^2 "
                "= 1 - new_h^2."
            ),
        ),
        "no_tanh_prime": _step_mistake(
            "no_tanh_prime",
            N_("the gradient skips the activation: d_z = d_new_h * (1 - new_h^2)."),
        ),
        "bias_mean": _step_mistake(
            "bias_mean",
            N_(
                "d_bias is averaged over the batch: the bias is added to every row, so its "
                "gradient is the sum of d_z over the batch."
            ),
        ),
        "split_swapped": _step_mistake(
            "split_swapped",
            N_(
                "d_x and d_h_prev are swapped: d([x, h]) = d_z @ kernel.T splits with the first "
                "D columns for x."
            ),
        ),
    },
    variants={
        "d_kernel.tanh_derivative": _step_mistake(
            "d_kernel_skips_tanh",
            N_(
                "d_kernel skips tanh': it is [x, h_prev].T @ d_z, with d_z the gradient after "
                "the activation's derivative, not d_new_h."
            ),
        ),
        "d_xh.tanh_derivative": _step_mistake(
            "d_xh_skips_tanh",
            N_(
                "d_x and d_h_prev skip tanh': they come from d_z @ kernel.T, with d_z the "
                "gradient after the activation's derivative, not d_new_h."
            ),
        ),
    },
    locate=_locate_rnn(_expect_step),
)


# ---- BPTT over a sequence ---------------------------------------------------------------


def _bptt_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    shapes = [(2, 4, 3, 3), (3, 3, 2, 4)]  # (batch, steps, depth, units)
    if hidden:
        shapes = [(1, 1, 2, 2), (2, 8, 3, 2), (4, 5, 1, 5)]
    return [_bptt_earlier(_rnn_case(rng, *s)) for s in shapes]


def _bptt_earlier(case: dict) -> dict:
    """The case with the calls of ``rnn_step_backward`` a correct rnn_bptt makes, and those
    its typical mistakes and generated variants make (so they are still named), each with
    the correct gradients of that one step (rnnref's)."""
    calls: dict[bytes, dict] = {}

    def record(x, h_prev, kernel, bias, d_new_h) -> tuple:
        arguments = {"x": x, "h_prev": h_prev, "kernel": kernel, "bias": bias, "d_new_h": d_new_h}
        one_step = {**case, "x": x[:, None], "h0": h_prev, "d_outputs": d_new_h[:, None]}
        d_x, d_h_prev, (d_kernel, d_bias) = _reference_rnn(one_step)
        result = (d_x[:, 0], d_h_prev, d_kernel, d_bias)
        key = b"".join(np.ascontiguousarray(v).tobytes() for v in arguments.values())
        calls[key] = {"arguments": arguments, "result": result}
        return result

    for mistake in ("", *RNN_BPTT.mistakes, "state_after"):
        _bptt(case, mistake, step=record)
    return {**case, "earlier": list(calls.values())}


def _expect_bptt(case: dict) -> dict:
    d_x, d_h0, (d_kernel, d_bias) = _reference_rnn(case)
    return {"d_x": d_x, "d_h0": d_h0, "d_kernel": d_kernel, "d_bias": d_bias}


def _bptt(case: dict, mistake: str, step: Callable = _rnn_step) -> dict:
    """rnn_bptt with the named mistakes switchable, calling ``step`` for each step back."""
    x, kernel, bias, d_outputs = case["x"], case["kernel"], case["bias"], case["d_outputs"]
    steps = x.shape[1]
    hs = [case["h0"]]
    for t in range(steps):
        hs.append(np.tanh(np.concatenate([x[:, t], hs[-1]], axis=1) @ kernel + bias))
    d_x = np.zeros_like(x)
    d_kernel, d_bias = np.zeros_like(kernel), np.zeros_like(bias)
    d_next = np.zeros_like(case["h0"])
    order = range(steps) if mistake == "forward_order" else reversed(range(steps))
    d_h_first = None
    for t in order:
        d_h = d_outputs[:, t] + (0 if mistake == "no_carry" else d_next)
        if t == 0:
            d_h_first = d_h
        h_before = hs[t + 1] if mistake == "state_after" else hs[t]
        d_x[:, t], d_next, dk, db = step(x[:, t], h_before, kernel, bias, d_h)
        if mistake == "not_accumulated":
            d_kernel, d_bias = dk, db
        else:
            d_kernel, d_bias = d_kernel + dk, d_bias + db
    d_h0 = d_h_first if mistake == "d_h1_returned" else d_next
    return {"d_x": d_x, "d_h0": d_h0, "d_kernel": d_kernel, "d_bias": d_bias}


RNN_BPTT = Exercise(
    name="rnn_bptt",
    answer="rnn_bptt",
    cases=_bptt_cases,
    expect=_expect_bptt,
    label=_shape_label,
    atol=GRAD_TOL,
    rtol=GRAD_TOL,
    mistakes={
        "no_carry": Mistake(
            lambda case: _bptt(case, "no_carry"),
            N_(
                "the gradient from later steps is not carried back: at step t, d_h is "
                "d_outputs[:, t] plus the d_h_prev that step t+1 returned."
            ),
        ),
        "not_accumulated": Mistake(
            lambda case: _bptt(case, "not_accumulated"),
            N_(
                "the weight gradients are not summed over time: every step uses the same kernel "
                "and bias, so add up their gradients from all steps."
            ),
        ),
        "forward_order": Mistake(
            lambda case: _bptt(case, "forward_order"),
            N_(
                "the backward loop runs forwards in time: go from t = T-1 down to 0, since step "
                "t's gradient needs step t+1's first."
            ),
        ),
        "d_h1_returned": Mistake(
            lambda case: _bptt(case, "d_h1_returned"),
            N_(
                "the gradient returned for h0 is the one for h1: pass it through step 0's "
                "backward first (d_h0 is what step 0 returns as d_h_prev)."
            ),
        ),
    },
    variants={
        "states.off_by_one": Mistake(
            lambda case: _bptt(case, "state_after"),
            N_(
                "step t's backward gets the state after step t: it needs the one step t started "
                "from, h_{t-1} (hs[t] when hs[0] is h0)."
            ),
        ),
    },
    locate=_locate_rnn(_expect_bptt),
    isolated_from=("rnn_step_backward",),
)


# ---- one BasicLSTMCell step -------------------------------------------------------------


def _lstm_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    # (batch, depth, units, forget_bias); the visible cases cover what the hidden ones do
    configs = [(3, 4, 4, 1.0), (2, 3, 5, 1.0), (2, 2, 3, 0.5)]
    if hidden:
        configs = [(1, 1, 1, 1.0), (4, 2, 3, 0.0), (2, 5, 2, 2.5)]
    cases = []
    for batch, depth, units, forget_bias in configs:
        dtype = "float64"
        kernel, bias = support.weights_for([(depth + units, 4 * units), (4 * units,)], rng, dtype)
        cases.append(
            {
                "x": support.normal(rng, (batch, depth), dtype),
                "c_prev": support.normal(rng, (batch, units), dtype),
                "h_prev": support.normal(rng, (batch, units), dtype, 0.5),
                "kernel": kernel,
                "bias": bias,
                "forget_bias": forget_bias,
                "d_new_c": support.normal(rng, (batch, units), dtype),
                "d_new_h": support.normal(rng, (batch, units), dtype),
            }
        )
    return cases


def _lstm_label(case: dict) -> str:
    batch, depth = case["x"].shape
    return _("batch {batch}, input depth {depth}, {units} units, forget_bias={forget_bias}").format(
        batch=batch, depth=depth, units=case["h_prev"].shape[1], forget_bias=case["forget_bias"]
    )


def _expect_lstm(case: dict) -> dict:
    import rnnref.np as rn

    depth, units = case["x"].shape[1], case["h_prev"].shape[1]
    cell = rn.BasicLSTMCell(units, forget_bias=case["forget_bias"])
    cell.build(depth, np.float64)
    cell.set_weights([case["kernel"], case["bias"]])
    state = rn.LSTMStateTuple(case["c_prev"], case["h_prev"])
    _, _, tape = rn.dynamic_rnn_forward(cell, case["x"][:, None], initial_state=state)
    d_final = rn.LSTMStateTuple(case["d_new_c"], np.zeros_like(case["d_new_h"]))
    d_x, d_state, (d_kernel, d_bias) = rn.dynamic_rnn_backward(
        tape, case["d_new_h"][:, None], d_final
    )
    return {
        "d_x": d_x[:, 0],
        "d_c_prev": d_state.c,
        "d_h_prev": d_state.h,
        "d_kernel": d_kernel,
        "d_bias": d_bias,
    }


def _lstm(case: dict, mistake: str = "", gate: str = "", left_out: str = "") -> dict:
    """One BasicLSTMCell step backward in NumPy, with the named mistakes switchable.

    ``gate`` ("i", "j", "f", "o") and ``left_out`` name one factor of that gate's gradient
    to leave out: "derivative" (its activation's), or "factor" (what the gate multiplies
    in the forward step: tanh(j) for i, sigmoid(i) for j, c_prev for f, tanh(new_c) for o).
    """
    x, c_prev, h_prev, kernel, bias, fb, d_new_c, d_new_h = lstm_step_args(case)
    D = x.shape[1]
    xh = np.concatenate([x, h_prev], axis=1)
    i, j, f, o = np.split(xh @ kernel + bias, 4, axis=1)
    si, tj, sf, so = sigmoid(i), np.tanh(j), sigmoid(f + fb), sigmoid(o)
    new_c = c_prev * sf + si * tj
    tc = np.tanh(new_c)

    def kept(g: str, factor: np.ndarray, derivative: np.ndarray) -> np.ndarray:
        if gate != g:
            return factor * derivative
        return derivative if left_out == "factor" else factor

    through_h = d_new_h * so * ((1 - new_c**2) if mistake == "tanh_prime_of_c" else (1 - tc**2))
    d_c = d_new_c + (0 if mistake == "no_h_to_c" else through_h)
    sf_grad = sigmoid(f) if mistake == "forget_bias_in_grad" else sf
    d_i = d_c * kept("i", tj, si * (1 - si))
    d_j = d_c * kept("j", si, 1 - tj**2)
    d_f = d_c * kept("f", c_prev, sf_grad * (1 - sf_grad))
    d_o = d_new_h * kept("o", tc, so * (1 - so))
    d_c_prev = d_c if mistake == "no_forget_factor" else d_c * sf
    parts = [d_i, d_f, d_j, d_o] if mistake == "gate_order" else [d_i, d_j, d_f, d_o]
    d_z = np.concatenate(parts, axis=1)  # [B, 4H], in the kernel's order i, j, f, o
    d_xh = d_z @ kernel.T
    return {
        "d_x": d_xh[:, :D],
        "d_c_prev": d_c_prev,
        "d_h_prev": d_xh[:, D:],
        "d_kernel": xh.T @ d_z,
        "d_bias": d_z.sum(axis=0),
    }


def locate_lstm(case: dict, received: dict) -> tuple[str, str] | None:
    """The gates whose gradient is wrong, read from the blocks of d_bias (the sum of d_z,
    block by block in the order i, j, f, o) and of d_kernel's columns; else the rows of
    d_kernel."""
    right = _lstm(case)
    H = case["h_prev"].shape[1]
    blocks = {g: slice(k * H, (k + 1) * H) for k, g in enumerate("ijfo")}
    wrong = _wrong_blocks(received["d_bias"], right["d_bias"], blocks)
    wrong_columns = _wrong_blocks(received["d_kernel"].T, right["d_kernel"].T, blocks)
    if wrong and wrong == wrong_columns and len(wrong) < 4:
        names = _(" and ").join(f"d_{g}" for g in wrong)
        if len(wrong) == 1:
            message = _(
                "{names} is wrong (its block of d_bias and of d_kernel's columns) while the "
                "other gates' gradients are right: look at the line computing {names} and "
                "each factor there."
            )
        else:
            message = _(
                "{names} are wrong (their blocks of d_bias and of d_kernel's columns) while the "
                "other gates' gradients are right: look at the lines computing {names} and "
                "each factor there."
            )
        return "+".join(f"d_{g}" for g in wrong), message.format(names=names)
    return _kernel_rows(received, right, case["x"].shape[1]) if not wrong else None


def _lstm_variants() -> dict[str, Mistake]:
    """Each gate's gradient with one factor left out, for ``autograder.diagnose``."""
    gates = {
        "i": N_("input gate i"),
        "j": N_("candidate j"),
        "f": N_("forget gate f"),
        "o": N_("output gate o"),
    }
    factors = {"i": "tanh(j)", "j": "sigmoid(i)", "f": "c_prev", "o": "tanh(new_c)"}
    variants = {}
    for g, name in gates.items():
        kind = "tanh" if g == "j" else "sigmoid"
        variants[f"d_{g}.derivative"] = Mistake(
            lambda case, g=g: _lstm(case, gate=g, left_out="derivative"),
            N_(
                "d_{g}, the gradient of the {name}, skips the {kind}'s derivative: multiply by "
                "it, taken at the gate's value ({derivative})."
            ).format(
                g=g, name=name, kind=kind, derivative="1 - t^2" if g == "j" else "s * (1 - s)"
            ),
        )
        variants[f"d_{g}.factor"] = Mistake(
            lambda case, g=g: _lstm(case, gate=g, left_out="factor"),
            N_(
                "d_{g}, the gradient of the {name}, misses {factor}: in the forward step "
                "the gate is multiplied by {factor}, so its gradient is too."
            ).format(g=g, name=name, factor=factors[g]),
        )
    return variants


LSTM_STEP_BACKWARD = Exercise(
    name="lstm_step_backward",
    answer="lstm_step_backward",
    cases=_lstm_cases,
    expect=_expect_lstm,
    label=_lstm_label,
    atol=GRAD_TOL,
    rtol=GRAD_TOL,
    mistakes={
        "no_h_to_c": Mistake(
            lambda case: _lstm(case, "no_h_to_c"),
            N_(
                "the path from new_h back to new_c is missing: new_h = tanh(new_c) * sigmoid(o), "
                "so d_c = d_new_c + d_new_h * sigmoid(o) * (1 - tanh(new_c)^2)."
            ),
        ),
        "tanh_prime_of_c": Mistake(
            lambda case: _lstm(case, "tanh_prime_of_c"),
            N_("tanh' is taken as 1 - new_c^2: it is 1 - tanh(new_c)^2."),
        ),
        "no_forget_factor": Mistake(
            lambda case: _lstm(case, "no_forget_factor"),
            N_(
                "d_c_prev misses the forget gate: new_c = c_prev * sigmoid(f + forget_bias) + ..., "
                "so d_c_prev = d_c * sigmoid(f + forget_bias)."
            ),
        ),
        "forget_bias_in_grad": Mistake(
            lambda case: _lstm(case, "forget_bias_in_grad"),
            N_(
                "the forget gate's derivative leaves out forget_bias: it is s * (1 - s) with "
                "s = sigmoid(f + forget_bias)."
            ),
        ),
        "gate_order": Mistake(
            lambda case: _lstm(case, "gate_order"),
            N_(
                "the gate gradients are joined in the order i, f, j, o: d_z must follow the "
                "kernel's columns, i, j, f, o."
            ),
        ),
    },
    variants=_lstm_variants(),
    locate=locate_lstm,
)


# ---- the numerical gradient -------------------------------------------------------------


def _numeric_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    shapes = [("sin_sum", (3,), 1e-3), ("quartic", (2, 3), 1e-2), ("softplus", (2,), 1e-4)]
    if hidden:
        shapes = [("softplus", (4,), 1e-3), ("sin_sum", (1,), 1e-4), ("quartic", (3, 2), 1e-3)]
    return [
        {
            "function": name,
            "a": rng.uniform(0.5, 2.0, size=shape),
            "x": rng.normal(size=shape),
            "eps": eps,
        }
        for name, shape, eps in shapes
    ]


def _numeric_label(case: dict) -> str:
    return _("f = {function}, x of shape {shape}, eps={eps}").format(
        function=case["function"], shape=case["x"].shape, eps=case["eps"]
    )


def _numeric(case: dict, mistake: str = "") -> dict:
    f, x, eps = scalar_function(case["function"], case["a"]), case["x"].copy(), case["eps"]
    gradient = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        up = f(x)
        if mistake == "not_restored":
            x[index] = x[index] - eps - eps
        else:
            x[index] = old - eps
        down = f(x)
        if mistake != "not_restored":
            x[index] = old
        if mistake == "forward":
            x[index] = old
            gradient[index] = (up - f(x)) / eps
        elif mistake == "one_eps":
            gradient[index] = (up - down) / eps
        else:
            gradient[index] = (up - down) / (2 * eps)
    return {"gradient": gradient, "x afterwards": x}


NUMERICAL_GRADIENT = Exercise(
    name="numerical_gradient",
    answer="numerical_gradient",
    cases=_numeric_cases,
    expect=_numeric,
    label=_numeric_label,
    atol=1e-8,
    rtol=1e-6,
    mistakes={
        "forward": Mistake(
            lambda case: _numeric(case, "forward"),
            N_(
                "the difference is one-sided, (f(x + eps) - f(x)) / eps: use the central "
                "difference (f(x + eps) - f(x - eps)) / (2 eps), accurate to eps^2 instead of eps."
            ),
        ),
        "one_eps": Mistake(
            lambda case: _numeric(case, "one_eps"),
            N_("the central difference is divided by eps: the two points are 2 eps apart."),
        ),
        "not_restored": Mistake(
            lambda case: _numeric(case, "not_restored"),
            N_(
                "x is not restored after each coordinate: put x[index] back before moving on, "
                "or every later coordinate is measured at a shifted point."
            ),
        ),
    },
)


EXERCISES = [RNN_STEP_BACKWARD, RNN_BPTT, LSTM_STEP_BACKWARD, NUMERICAL_GRADIENT]


# ---- typical mistakes injected into the solution (the mutation tests and the demo) ----

ASSIGNMENT = "08_backprop"

# A graded cell's grade_id -> the mistakes to inject into its answer (see ``Mutation``).
MUTATIONS: dict[str, list[Mutation]] = {
    "rnn_step_backward_test": [
        Mutation(
            "rnn_step_backward_answer",
            "d_z = d_new_h * (1 - new_h**2)",
            "d_z = d_new_h",
            "the gradient skips the activation",
        ),
        Mutation(
            "rnn_step_backward_answer",
            "d_bias = d_z.sum(axis=0)",
            "d_bias = d_z.mean(axis=0)",
            "d_bias is averaged over the batch",
        ),
        Mutation(
            "rnn_step_backward_answer",
            "return d_xh[:, :D], d_xh[:, D:]",
            "return d_xh[:, D:], d_xh[:, :D]",
            "d_x and d_h_prev are swapped",
        ),
        Mutation(
            "rnn_step_backward_answer",
            "new_h = np.tanh(xh @ kernel + bias)  # the forward step, again\n"
            "    d_z = d_new_h * (1 - new_h**2)",
            "z = xh @ kernel + bias\n    d_z = d_new_h * (1 - z**2)",
            "tanh' is computed from the pre-activation z",
        ),
        Mutation(
            "rnn_step_backward_answer",
            "d_kernel = xh.T @ d_z",
            "d_kernel = xh.T @ d_new_h",
            "d_kernel skips tanh'",
        ),
        Mutation(
            "rnn_step_backward_answer",
            "d_kernel = xh.T @ d_z",
            "d_kernel = np.concatenate([x.T @ d_z, h_prev.T @ d_new_h])",
            "only the rows of d_kernel that multiply h_prev",
        ),
    ],
    "numerical_gradient_test": [
        Mutation(
            "numerical_gradient_answer",
            "        x[index] = old - eps\n        down = f(x)\n        x[index] = old\n"
            "        gradient[index] = (up - down) / (2 * eps)",
            "        x[index] = old\n        down = f(x)\n"
            "        gradient[index] = (up - down) / eps",
            "the difference is one-sided",
        ),
        Mutation(
            "numerical_gradient_answer",
            "/ (2 * eps)",
            "/ eps",
            "the central difference is divided by eps",
        ),
        Mutation(
            "numerical_gradient_answer",
            "        x[index] = old\n        gradient",
            "        gradient",
            "x is not restored after each coordinate",
        ),
    ],
    "rnn_bptt_test": [
        Mutation(
            "rnn_bptt_answer",
            "d_h = d_outputs[:, t] + d_h_next",
            "d_h = d_outputs[:, t]",
            "the gradient from later steps is not carried back",
        ),
        Mutation(
            "rnn_bptt_answer",
            "        d_kernel += d_k\n        d_bias += d_b",
            "        d_kernel, d_bias = d_k, d_b",
            "the weight gradients are not summed over time",
        ),
        Mutation(
            "rnn_bptt_answer",
            "for t in reversed(range(steps)):",
            "for t in range(steps):",
            "the backward loop runs forwards in time",
        ),
        Mutation(
            "rnn_bptt_answer",
            "return d_x, d_h_next, d_kernel, d_bias",
            "return d_x, d_h, d_kernel, d_bias",
            "the gradient returned for h0 is the one for h1",
        ),
        Mutation(
            "rnn_bptt_answer",
            "rnn_step_backward(x[:, t], hs[t], kernel",
            "rnn_step_backward(x[:, t], hs[t + 1], kernel",
            "step t's backward gets the state after step t",
        ),
    ],
    "lstm_step_backward_test": [
        Mutation(
            "lstm_step_backward_answer",
            "d_c = d_new_c + d_new_h * s_o * (1 - t_c**2)",
            "d_c = d_new_c",
            "the path from new_h back to new_c is missing",
        ),
        Mutation(
            "lstm_step_backward_answer",
            "(1 - t_c**2)",
            "(1 - new_c**2)",
            "tanh' is taken as 1 - new_c^2",
        ),
        Mutation(
            "lstm_step_backward_answer",
            "d_c_prev = d_c * s_f",
            "d_c_prev = d_c",
            "d_c_prev misses the forget gate",
        ),
        Mutation(
            "lstm_step_backward_answer",
            "[d_i, d_j, d_f, d_o]",
            "[d_i, d_f, d_j, d_o]",
            "the gate gradients are joined in the order i, f, j, o",
        ),
        Mutation(
            "lstm_step_backward_answer",
            "d_o = d_new_h * t_c * s_o * (1 - s_o)",
            "d_o = d_new_h * t_c",
            "d_o, the gradient of the output gate o, skips the sigmoid's derivative",
        ),
        Mutation(
            "lstm_step_backward_answer",
            "d_f = d_c * c_prev * s_f * (1 - s_f)",
            "d_f = d_c * s_f * (1 - s_f)",
            "d_f, the gradient of the forget gate f, misses c_prev",
        ),
        Mutation(
            "lstm_step_backward_answer",
            "xh.T @ d_z, d_z.sum(axis=0)",
            "xh.T @ d_z, d_z.mean(axis=0)",
            "a mean where a sum is meant",
        ),
        Mutation(
            "lstm_step_backward_answer",
            "d_i = d_c * t_j * s_i * (1 - s_i)",
            "d_i = d_new_c * t_j * s_i * (1 - s_i)",
            "d_i is wrong (its block of d_bias",
        ),
    ],
}
