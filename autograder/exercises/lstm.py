"""The grader's side of notebook 02: ``BasicLSTMCell``, and ``LSTMCell`` with peepholes,
clipping and a projection."""

from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.exercises import Exercise, Mistake, Mutation, support
from autograder.i18n import N_, Text, _
from autograder.learner.cells import LSTMStateTuple, sigmoid
from autograder.learner.checks import common
from autograder.learner.checks.lstm import lstm_options


def _lstm_cases(rng: np.random.Generator, configs: list[dict]) -> list[dict]:
    """One case per config: random inputs, state [c, h] and every weight (biases included)."""
    cases = []
    for config in configs:
        options = {
            "forget_bias": 1.0,
            "activation": "default",
            "use_peepholes": False,
            "cell_clip": None,
            "num_proj": None,
            "proj_clip": None,
            **{k: v for k, v in config.items() if k not in ("batch", "depth", "units", "dtype")},
        }
        batch, depth, H, dtype = config["batch"], config["depth"], config["units"], config["dtype"]
        h_size = options["num_proj"] or H
        shapes = [(depth + h_size, 4 * H), (4 * H,)]
        if options["use_peepholes"]:
            shapes += [(H,), (H,), (H,)]  # w_f_diag, w_i_diag, w_o_diag (TF1's order)
        if options["num_proj"]:
            shapes.append((H, options["num_proj"]))
        cases.append(
            {
                "num_units": H,
                "input_depth": depth,
                "dtype": dtype,
                "options": options,
                "x": support.normal(rng, (batch, depth), dtype),
                "state": LSTMStateTuple(
                    support.normal(rng, (batch, H), dtype),
                    support.normal(rng, (batch, h_size), dtype, 0.5),
                ),
                "weights": support.weights_for(shapes, rng, dtype),
            }
        )
    return cases


def _label(case: dict) -> str:
    o = case["options"]
    parts = [
        _("batch {batch}, input depth {depth}").format(
            batch=case["x"].shape[0], depth=case["input_depth"]
        ),
        f"num_units={case['num_units']}",
    ]
    for key, default in [
        ("use_peepholes", False),
        ("cell_clip", None),
        ("num_proj", None),
        ("proj_clip", None),
        ("forget_bias", 1.0),
        ("activation", "default"),
    ]:
        if o[key] != default:
            parts.append(f"{key}={o[key]}")
    return ", ".join(parts + [case["dtype"]])


def _activation(case: dict) -> Callable[[np.ndarray], np.ndarray]:
    """The cell's activation on this case: the one it is given, else tanh."""
    return common.ACTIVATIONS[case["options"]["activation"]] or np.tanh


def _peepholes(case: dict) -> dict[str, np.ndarray] | None:
    """The peephole weights by name, or None without peepholes (TF1 orders them f, i, o)."""
    if not case["options"]["use_peepholes"]:
        return None
    return dict(zip(("w_f", "w_i", "w_o"), case["weights"][2:5], strict=True))


def _pre_activations(
    case: dict, order: str = "ijfo", concat: str = "xh", dropped: str = "", no_bias: str = ""
) -> dict[str, np.ndarray]:
    """z = [x, h_prev] @ kernel + bias split into the gates' blocks by name, before any
    peephole or forget_bias (the flags as in ``_lstm``)."""
    kernel, bias = case["weights"][:2]
    (_, h_prev), x = case["state"], case["x"]
    x = np.zeros_like(x) if dropped == "x" else x
    h_in = np.zeros_like(h_prev) if dropped == "h" else h_prev
    parts = [x, h_in] if concat == "xh" else [h_in, x]
    z = np.concatenate(parts, axis=1) @ kernel + bias  # [B, D + h] @ [D + h, 4H] -> [B, 4H]
    named = dict(zip(order, np.split(z, 4, axis=1), strict=True))
    if no_bias:
        named[no_bias] = named[no_bias] - np.split(bias, 4)["ijfo".index(no_bias)]
    return named


def _lstm(
    case: dict,
    order: str = "ijfo",
    forget: str = "inside",
    concat: str = "xh",
    h_from: str = "new",
    state_order: str = "ch",
    h_activation: bool = True,
    act: str = "given",
    peep_if: str = "prev",
    peep_o: str = "new",
    cell_clip: str = "before_m",
    proj_clip: str = "after",
    gate_act: str = "",
    no_bias: str = "",
    no_peephole: str = "",
    dropped: str = "",
) -> dict:
    """One step of TF1's LSTM in NumPy, with each named mistake switchable by a flag.

    The last four flags name one gate ("i", "j", "f", "o") or term each: ``gate_act`` gives
    that gate the other activation (sigmoid for j, the cell's activation for i, f, o),
    ``no_bias`` leaves its block of the bias out, ``no_peephole`` its peephole, and
    ``dropped`` ("x" or "h") leaves the input or the recurrent rows out of z.
    """
    o_ = case["options"]
    H, fb = case["num_units"], o_["forget_bias"]
    weights = list(case["weights"])
    peep = _peepholes(case)
    W_proj = weights[-1] if o_["num_proj"] else None
    activation = _activation(case) if act == "given" else np.tanh
    gate = {"i": sigmoid, "j": activation, "f": sigmoid, "o": sigmoid}
    if gate_act:
        gate[gate_act] = sigmoid if gate_act == "j" else activation
    c_prev, _ = case["state"]
    named = _pre_activations(case, order, concat, dropped, no_bias)
    i, j, f, o = named["i"], named["j"], named["f"], named["o"]
    if peep is not None and no_peephole:
        peep["w_" + no_peephole] = np.zeros_like(peep["w_" + no_peephole])

    def new_cell(i: np.ndarray, f: np.ndarray) -> np.ndarray:
        if forget == "inside":
            keep = gate["f"](f + fb)
        elif forget == "missing":
            keep = gate["f"](f)
        elif forget == "twice":
            keep = gate["f"](f + 2 * fb)
        else:  # added after the sigmoid
            keep = gate["f"](f) + fb
        return keep * c_prev + gate["i"](i) * gate["j"](j)

    if peep is not None:
        if peep_if == "prev":
            i, f = i + peep["w_i"] * c_prev, f + peep["w_f"] * c_prev
        elif peep_if == "swapped":
            i, f = i + peep["w_f"] * c_prev, f + peep["w_i"] * c_prev
        elif peep_if == "new":  # i and f peek at the cell they are about to make
            c_tmp = new_cell(i, f)
            i, f = i + peep["w_i"] * c_tmp, f + peep["w_f"] * c_tmp
    c = new_cell(i, f)
    c_unclipped = c
    if o_["cell_clip"] is not None and cell_clip != "ignored":
        c = np.clip(c, -o_["cell_clip"], o_["cell_clip"])
    c_for_m = c_unclipped if cell_clip == "after_m" else c
    if peep is not None:
        seen = {"new": c_for_m, "prev": c_prev, "unclipped": c_unclipped}[peep_o]
        o = o + peep["w_o"] * seen
    c_out = c_for_m if h_from == "new" else c_prev
    m = gate["o"](o) * (activation(c_out) if h_activation else c_out)
    if W_proj is not None:
        clip = o_["proj_clip"]
        if clip is not None and proj_clip == "before":
            m = np.clip(m, -clip, clip)
        m = m @ W_proj  # [B, H] -> [B, P]
        if clip is not None and proj_clip == "after":
            m = np.clip(m, -clip, clip)
    h_size = o_["num_proj"] or H
    state = LSTMStateTuple(c, m) if state_order == "ch" else LSTMStateTuple(m, c)
    return {
        "state_size": LSTMStateTuple(H, h_size),
        "output_size": h_size,
        "output": m,
        "new_state": state,
    }


_GATES = {
    "i": N_("input gate i"),
    "j": N_("candidate j"),
    "f": N_("forget gate f"),
    "o": N_("output gate o"),
}


def lstm_variants(peepholes: bool) -> dict[str, Mistake]:
    """One part of the LSTM step done wrong at a time, for ``autograder.diagnose``: each
    gate's activation and bias block, forget_bias twice, the input or recurrent rows of z,
    and (``peepholes``) each peephole and which cell the o peephole sees."""

    def variant(message: Text, **flags: str) -> Mistake:
        return Mistake(lambda case: _lstm(case, **flags), message)

    variants = {}
    for g, name in _GATES.items():
        right = N_("the activation (tanh by default)") if g == "j" else N_("a sigmoid")
        variants[f"{g}_gate.activation"] = variant(
            N_("the {name} goes through the wrong function: it takes {right}.").format(
                name=name, right=right
            ),
            gate_act=g,
        )
        variants[f"{g}_gate.bias"] = variant(
            N_(
                "the {name} has no bias: its block of the bias is added to z like the others "
                "(z = [x, h_prev] @ kernel + bias, then split)."
            ).format(name=name),
            no_bias=g,
        )
    variants["forget_gate.forget_bias_twice"] = variant(
        N_(
            "forget_bias is added twice to the forget gate: once, inside the sigmoid, "
            "sigmoid(f + forget_bias)."
        ),
        forget="twice",
    )
    variants["z.input_rows"] = variant(
        N_("the inputs x do not reach z: z = [x, h_prev] @ kernel + bias uses both."), dropped="x"
    )
    variants["z.recurrent_rows"] = variant(
        N_("the previous h does not reach z: z = [x, h_prev] @ kernel + bias uses both."),
        dropped="h",
    )
    if peepholes:
        for g in "ifo":
            variants[f"{g}_peephole.missing"] = variant(
                N_("the {name} has no peephole: add w_{g}_diag times the cell to it.").format(
                    name=_GATES[g], g=g
                ),
                no_peephole=g,
            )
        variants["o_peephole.unclipped_c"] = variant(
            N_(
                "the o peephole sees the new cell before clipping: clip c first, then "
                "o += w_o_diag * c with the clipped c."
            ),
            peep_o="unclipped",
        )
    return variants


def _common_mistakes() -> dict:
    return {
        "gate_order": Mistake(
            lambda case: _lstm(case, order="ifjo"),
            N_(
                "the gates are split in the order i, f, j, o (Keras's and PyTorch's order). TF1's "
                "kernel holds them as i, j, f, o: i, j, f, o = np.split(z, 4, axis=1)."
            ),
        ),
        "forget_bias_missing": Mistake(
            lambda case: _lstm(case, forget="missing"),
            N_("forget_bias is missing: the forget gate is sigmoid(f + forget_bias)."),
        ),
        "forget_bias_after": Mistake(
            lambda case: _lstm(case, forget="after"),
            N_(
                "forget_bias is added after the sigmoid: add it inside, sigmoid(f + forget_bias), "
                "so the gate stays between 0 and 1."
            ),
        ),
        "h_x_order": Mistake(
            lambda case: _lstm(case, concat="hx"),
            N_(
                "the kernel multiplies [h, x] instead of [x, h]: TF1 stacks the input rows first, "
                "so concatenate [inputs, h_prev]."
            ),
        ),
        "h_from_old_c": Mistake(
            lambda case: _lstm(case, h_from="old"),
            N_("the new h is computed from the old cell c_prev: new_h = act(new_c) * sigmoid(o)."),
        ),
        "state_order": Mistake(
            lambda case: _lstm(case, state_order="hc"),
            N_("the state's parts are swapped: LSTMStateTuple(c, h) holds the memory c first."),
        ),
        "no_h_activation": Mistake(
            lambda case: _lstm(case, h_activation=False),
            N_("the activation of the new cell is missing: new_h = act(new_c) * sigmoid(o)."),
        ),
        "activation_ignored": Mistake(
            lambda case: _lstm(case, act="tanh"),
            N_(
                "the cell always uses np.tanh: apply self.activation (tanh only by default) to j "
                "and to the new cell."
            ),
        ),
    }


def _shift(gate: str, right: np.ndarray, implied: np.ndarray, valid: np.ndarray) -> Any:
    hint = _(" (forget_bias? use self.forget_bias, not a number)") if gate == "f" else ""
    return support.constant_shift(f"{gate}_gate", _GATES[gate], right, implied, valid, hint)


_RIGHT_C = N_(
    "the new cell c is right, so the gates i, j, f and forget_bias are; the mistake comes "
    "after it: {after}."
)
_AFTER_O = N_("the output gate o (and its peephole), new_h = act(new_c) * sigmoid(o)")


def locate(case: dict, received: Any) -> Any:
    """Which gate of an LSTM step the learner's outputs say is wrong, by undoing the step.

    With the other gates taken from the reference, the learner's new c gives the one gate
    left (f, then i, then j), and with a right new c, their new h gives the output gate o;
    the pre-activation that gate needs is compared with the reference's. A constant per
    unit is named (a bias-like term): a variant cannot list every wrong constant, such as a
    forget_bias written as a number. A right new c with a wrong h puts the mistake after
    the cell. Returns (part, message) or None.
    """
    o_ = case["options"]
    c_new, h_new = (np.asarray(v, dtype=np.float64) for v in received["new_state"].values)
    c_prev, _ = case["state"]
    act, peep, fb = _activation(case), _peepholes(case), o_["forget_bias"]
    z = _pre_activations(case)
    i, j, f, o = z["i"], z["j"], z["f"] + fb, z["o"]
    if peep is not None:
        i, f = i + peep["w_i"] * c_prev, f + peep["w_f"] * c_prev
    s_i, t_j, s_f = sigmoid(i), act(j), sigmoid(f)
    c, h = _lstm(case)["new_state"]
    clip = o_["cell_clip"]
    unclipped = np.abs(c_new) < clip - 1e-6 if clip is not None else np.isfinite(c_new)
    if np.allclose(c_new, c, atol=1e-5, rtol=1e-5):
        if np.allclose(h_new, h, atol=1e-5, rtol=1e-5):
            return None  # the state is right: what is wrong is elsewhere (output, sizes)
        if o_["num_proj"]:  # the projection hides the output gate
            after = N_("{gate}, or the projection and its clip").format(gate=_AFTER_O)
            return ("after_new_c", str(_RIGHT_C.format(after=after)))
        o = o + peep["w_o"] * c if peep is not None else o
        t_c = act(c)
        s_o = np.divide(h_new, t_c, out=np.full_like(c, np.nan), where=np.abs(t_c) > 0.05)
        valid = (s_o > 0.02) & (s_o < 0.98)
        found = _shift("o", o, support.logit(np.where(valid, s_o, 0.5)), valid)
        return found or ("after_new_c", str(_RIGHT_C.format(after=_AFTER_O)))
    with np.errstate(divide="ignore", invalid="ignore"):
        solved = {  # each gate's value if the other two are right
            "f": ((c_new - s_i * t_j) / c_prev, f, support.logit),
            "i": ((c_new - s_f * c_prev) / t_j, i, support.logit),
            "j": ((c_new - s_f * c_prev) / s_i, j, np.arctanh if act is np.tanh else None),
        }
    for gate, (value, right, inverse) in solved.items():
        if inverse is None:
            continue  # relu has no inverse below 0
        low = 0.02 if gate != "j" else -0.98
        valid = unclipped & np.isfinite(value) & (value > low) & (value < 0.98)
        found = _shift(gate, right, inverse(np.where(valid, value, 0.5)), valid)
        if found:
            return found
    return None


# ---- BasicLSTMCell ----------------------------------------------------------------------


def _basic_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    # The visible cases cover what the hidden ones do: forget_bias, an activation, float64.
    # (Not forget_bias 0.5: adding it twice would equal a hard-coded 1.0, naming the wrong one.)
    configs = [
        {"batch": 3, "depth": 4, "units": 4, "dtype": "float32"},
        {"batch": 2, "depth": 3, "units": 5, "dtype": "float32", "forget_bias": 0.25},
        {"batch": 2, "depth": 2, "units": 3, "dtype": "float64", "activation": "relu"},
    ]
    if hidden:
        configs = [
            {"batch": 4, "depth": 2, "units": 3, "dtype": "float64", "forget_bias": 2.5},
            {"batch": 3, "depth": 5, "units": 5, "dtype": "float32", "forget_bias": 0.0},
            {"batch": 2, "depth": 3, "units": 3, "dtype": "float32", "activation": "relu"},
            {"batch": 1, "depth": 1, "units": 1, "dtype": "float64"},
        ]
    return _lstm_cases(rng, configs)


def _expect_basic(case: dict) -> dict:
    import rnnref.np as rn

    o = case["options"]
    activation = common.ACTIVATIONS[o["activation"]]
    cell = rn.BasicLSTMCell(case["num_units"], forget_bias=o["forget_bias"], activation=activation)
    cell = support.reference_cell(cell, case)
    output, new_state = cell(case["x"], support.as_reference_state(case["state"]))
    return common.step_outputs(cell, output, new_state)


BASIC_LSTM_CELL = Exercise(
    name="basic_lstm_cell",
    answer="BasicLSTMCell",
    cases=_basic_cases,
    expect=_expect_basic,
    label=_label,
    mistakes=_common_mistakes(),
    variants=lstm_variants(peepholes=False),
    locate=locate,
)


# ---- LSTMCell: peepholes and cell clipping ---------------------------------------------


def _peephole_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    configs = [
        {"batch": 3, "depth": 4, "units": 4, "dtype": "float32", "use_peepholes": True},
        {
            "batch": 2,
            "depth": 3,
            "units": 5,
            "dtype": "float32",
            "use_peepholes": True,
            "cell_clip": 0.5,
        },
        # Every other LSTMCell option the statement names, so a self-check tells the truth.
        {
            "batch": 3,
            "depth": 2,
            "units": 3,
            "dtype": "float64",
            "cell_clip": 0.4,
            "forget_bias": 0.0,
            "activation": "relu",
        },
    ]
    if hidden:
        configs = [
            {
                "batch": 3,
                "depth": 2,
                "units": 3,
                "dtype": "float32",
                "cell_clip": 0.4,
                "activation": "relu",
            },
            {
                "batch": 4,
                "depth": 3,
                "units": 2,
                "dtype": "float64",
                "use_peepholes": True,
                "cell_clip": 0.3,
            },
            {
                "batch": 1,
                "depth": 2,
                "units": 4,
                "dtype": "float32",
                "use_peepholes": True,
                "forget_bias": 0.0,
            },
            {"batch": 2, "depth": 3, "units": 3, "dtype": "float64"},
        ]
    return _lstm_cases(rng, configs)


def _expect_lstm(case: dict) -> dict:
    import rnnref.np as rn

    cell = support.reference_cell(rn.LSTMCell(case["num_units"], **lstm_options(case)), case)
    output, new_state = cell(case["x"], support.as_reference_state(case["state"]))
    return common.step_outputs(cell, output, new_state)


def _peephole_mistakes() -> dict:
    mistakes = _common_mistakes()
    return {
        "peephole_new_c": Mistake(
            lambda case: _lstm(case, peep_if="new"),
            N_(
                "the i and f peepholes look at the new cell: they see the previous one, "
                "i += w_i_diag * c_prev and f += w_f_diag * c_prev, before the new c exists."
            ),
        ),
        "o_peephole_old_c": Mistake(
            lambda case: _lstm(case, peep_o="prev"),
            N_(
                "the o peephole looks at the previous cell: the output gate sees the new "
                "(clipped) one, o += w_o_diag * c."
            ),
        ),
        "peepholes_swapped": Mistake(
            lambda case: _lstm(case, peep_if="swapped"),
            N_(
                "w_i_diag and w_f_diag are swapped: w_i_diag goes with the input gate i and "
                "w_f_diag with the forget gate f."
            ),
        ),
        "cell_clip_ignored": Mistake(
            lambda case: _lstm(case, cell_clip="ignored"),
            N_(
                "cell_clip is ignored: clip the new cell to [-cell_clip, cell_clip] when it is "
                "given."
            ),
        ),
        "cell_clip_after_m": Mistake(
            lambda case: _lstm(case, cell_clip="after_m"),
            N_(
                "the cell is clipped only after the output is computed: clip c first, then use "
                "the clipped c for the o peephole and for m."
            ),
        ),
        **mistakes,
    }


LSTM_CELL_PEEPHOLES = Exercise(
    name="lstm_cell_peepholes",
    answer="LSTMCell",
    cases=_peephole_cases,
    expect=_expect_lstm,
    label=_label,
    mistakes=_peephole_mistakes(),
    variants=lstm_variants(peepholes=True),
    locate=locate,
)


# ---- LSTMCell: projection ---------------------------------------------------------------


def _projection_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    configs = [
        {"batch": 3, "depth": 4, "units": 5, "dtype": "float32", "num_proj": 4},
        {
            "batch": 2,
            "depth": 3,
            "units": 4,
            "dtype": "float32",
            "num_proj": 3,
            "proj_clip": 0.3,
        },
        {
            "batch": 2,
            "depth": 2,
            "units": 3,
            "dtype": "float64",
            "num_proj": 2,
            "proj_clip": 0.25,
            "use_peepholes": True,
            "cell_clip": 0.6,
            "forget_bias": 0.5,
            "activation": "relu",
        },
    ]
    if hidden:
        configs = [
            {
                "batch": 3,
                "depth": 2,
                "units": 4,
                "dtype": "float64",
                "num_proj": 2,
                "proj_clip": 0.2,
                "use_peepholes": True,
                "cell_clip": 0.5,
            },
            {
                "batch": 2,
                "depth": 3,
                "units": 3,
                "dtype": "float32",
                "num_proj": 6,
                "activation": "relu",
            },
            {
                "batch": 1,
                "depth": 2,
                "units": 2,
                "dtype": "float32",
                "num_proj": 1,
                "proj_clip": 0.1,
            },
        ]
    return _lstm_cases(rng, configs)


def _projection_mistakes() -> dict:
    mistakes = _common_mistakes()
    return {
        "proj_clip_before": Mistake(
            lambda case: _lstm(case, proj_clip="before"),
            N_(
                "proj_clip is applied before the projection: project first, m @ projection_kernel, "
                "then clip the projected m to [-proj_clip, proj_clip]."
            ),
        ),
        "proj_clip_ignored": Mistake(
            lambda case: _lstm(case, proj_clip="ignored"),
            N_("proj_clip is ignored: clip the projected output when it is given."),
        ),
        **mistakes,
    }


LSTM_CELL_PROJECTION = Exercise(
    name="lstm_cell_projection",
    answer="LSTMCell",
    cases=_projection_cases,
    expect=_expect_lstm,
    label=_label,
    mistakes=_projection_mistakes(),
    variants=lstm_variants(peepholes=True),
    locate=locate,
)


EXERCISES = [BASIC_LSTM_CELL, LSTM_CELL_PEEPHOLES, LSTM_CELL_PROJECTION]


# ---- typical mistakes injected into the solution (the mutation tests and the demo) ----

ASSIGNMENT = "02_lstm"

# A graded cell's grade_id -> the mistakes to inject into its answer (see ``Mutation``).
MUTATIONS: dict[str, list[Mutation]] = {
    "basic_lstm_cell_test": [
        Mutation(
            "basic_lstm_cell_answer",
            "i, j, f, o = np.split(z, 4, axis=1)",
            "i, f, j, o = np.split(z, 4, axis=1)",
            "in the order i, f, j, o",
        ),
        Mutation(
            "basic_lstm_cell_answer",
            "sigmoid(f + self.forget_bias)",
            "sigmoid(f)",
            "forget_bias is missing",
        ),
        Mutation(
            "basic_lstm_cell_answer",
            "sigmoid(f + self.forget_bias)",
            "(sigmoid(f) + self.forget_bias)",
            "forget_bias is added after the sigmoid",
        ),
        Mutation(
            "basic_lstm_cell_answer",
            "np.concatenate([inputs, h_prev], axis=1)",
            "np.concatenate([h_prev, inputs], axis=1)",
            "[h, x] instead of [x, h]",
        ),
        Mutation(
            "basic_lstm_cell_answer",
            "LSTMStateTuple(new_c, new_h)",
            "LSTMStateTuple(new_h, new_c)",
            "the state's parts are swapped",
        ),
        Mutation(
            "basic_lstm_cell_answer",
            "new_h = self.activation(new_c) * sigmoid(o)",
            "new_h = self.activation(c_prev) * sigmoid(o)",
            "from the old cell c_prev",
        ),
        Mutation(
            "basic_lstm_cell_answer",
            "return LSTMStateTuple(self.num_units, self.num_units)",
            "return (self.num_units, self.num_units)",
        ),
        Mutation(
            "basic_lstm_cell_answer",
            "sigmoid(f + self.forget_bias)",
            "sigmoid(f + self.forget_bias + self.forget_bias)",
            "forget_bias is added twice",
        ),
        Mutation(
            "basic_lstm_cell_answer",
            "sigmoid(f + self.forget_bias)",
            "sigmoid(f + 1.0)",
            "a constant term is wrong there (forget_bias?",
        ),
        Mutation(
            "basic_lstm_cell_answer",
            "new_h = self.activation(new_c) * sigmoid(o)",
            "new_h = self.activation(new_c) * np.tanh(o)",
            "the output gate o goes through the wrong function",
        ),
    ],
    "lstm_cell_peepholes_test": [
        Mutation(
            "lstm_cell_answer",
            "o = o + self.w_o_diag * c",
            "o = o + self.w_o_diag * c_prev",
            "the o peephole looks at the previous cell",
        ),
        Mutation(
            "lstm_cell_answer",
            "i = i + self.w_i_diag * c_prev\n            f = f + self.w_f_diag * c_prev",
            "i = i + self.w_f_diag * c_prev\n            f = f + self.w_i_diag * c_prev",
            "w_i_diag and w_f_diag are swapped",
        ),
        Mutation(
            "lstm_cell_answer",
            "i = i + self.w_i_diag * c_prev\n            f = f + self.w_f_diag * c_prev",
            "c_new = sigmoid(f + self.forget_bias) * c_prev + sigmoid(i) * self.activation(j)"
            "\n            i = i + self.w_i_diag * c_new"
            "\n            f = f + self.w_f_diag * c_new",
            "the i and f peepholes look at the new cell",
        ),
        Mutation(
            "lstm_cell_answer",
            "if self.cell_clip is not None:",
            "if False:",
            "cell_clip is ignored",
        ),
        Mutation(
            "lstm_cell_answer",
            "c = sigmoid(f + self.forget_bias) * c_prev",
            "c = sigmoid(f) * c_prev",
            "forget_bias is missing",
        ),
        Mutation(
            "lstm_cell_answer",
            "if self.cell_clip is not None:\n"
            "            c = np.clip(c, -self.cell_clip, self.cell_clip)\n"
            "        if self.use_peepholes:\n"
            "            o = o + self.w_o_diag * c",
            "if self.use_peepholes:\n"
            "            o = o + self.w_o_diag * c\n"
            "        if self.cell_clip is not None:\n"
            "            c = np.clip(c, -self.cell_clip, self.cell_clip)",
            "the o peephole sees the new cell before clipping",
        ),
        Mutation(
            "lstm_cell_answer",
            "sigmoid(i) * self.activation(j)",
            "sigmoid(i) * sigmoid(j)",
            "the candidate j goes through the wrong function",
        ),
    ],
    "lstm_cell_projection_test": [
        Mutation(
            "lstm_cell_answer",
            "m = m @ self.projection_kernel  # [B, H] -> [B, P]\n"
            "            if self.proj_clip is not None:\n"
            "                m = np.clip(m, -self.proj_clip, self.proj_clip)",
            "if self.proj_clip is not None:\n"
            "                m = np.clip(m, -self.proj_clip, self.proj_clip)\n"
            "            m = m @ self.projection_kernel",
            "proj_clip is applied before the projection",
        ),
        Mutation(
            "lstm_cell_answer",
            "if self.proj_clip is not None:",
            "if False:",
            "proj_clip is ignored",
        ),
        Mutation(
            "lstm_cell_answer",
            "return LSTMStateTuple(self.num_units, self.num_proj or self.num_units)",
            "return LSTMStateTuple(self.num_units, self.num_units)",
        ),
        Mutation(
            "lstm_cell_answer",
            "i, j, f, o = np.split(z, 4, axis=1)",
            "i, f, j, o = np.split(z, 4, axis=1)",
            "in the order i, f, j, o",
        ),
        Mutation(
            "lstm_cell_answer",
            "return self.num_proj or self.num_units",
            "return self.num_units",
        ),
    ],
}
