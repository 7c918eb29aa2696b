"""The grader's side of notebook 05: ``dynamic_rnn`` (time_major, initial states, sequence_length
masking), ``static_rnn`` and ``bidirectional_dynamic_rnn``, run on toy cells."""

from functools import partial

import numpy as np

from autograder.exercises import Exercise, Mistake, Mutation, support
from autograder.i18n import N_, _
from autograder.learner.cells import map_state, toy_cell
from autograder.learner.checks.common import as_course_state


def _case(
    rng: np.random.Generator,
    batch: int,
    steps: int,
    depth: int,
    units: int,
    out: int,
    tuple_state: bool,
    time_major: bool,
    lengths: list | None,
    given_state: bool,
    dtype: str,
    classes: int | None = None,
) -> dict:
    """A case; with ``classes``, the inputs are integer ids [B, T, 1] that the toy cell
    embeds in ``depth`` floats, so ``dtype`` is the only way to the state's dtype."""
    spec = support.toy_spec(rng, depth, units, out, tuple_state, dtype)
    shape = (steps, batch, depth) if time_major else (batch, steps, depth)
    if classes is None:
        inputs = support.normal(rng, shape, dtype)
    else:
        spec["embedding"] = support.normal(rng, (classes, depth), dtype)
        inputs = rng.integers(0, classes, size=shape[:2] + (1,))
    return {
        "cell": spec,
        "inputs": inputs,
        "time_major": time_major,
        "sequence_length": None if lengths is None else np.array(lengths, dtype=np.int64),
        "initial_state": support.toy_state(spec, rng, batch, dtype) if given_state else None,
        "dtype": dtype,
    }


def _label(case: dict, listed: bool = False) -> str:
    """The case in words; ``listed``: the inputs are handed over as a list of T steps."""
    x = case["inputs"]
    if listed:
        parts = [_("inputs {shape} as a list of T").format(shape=x.shape)]
    else:
        layout = "[T, B, D], time_major=True" if case["time_major"] else "[B, T, D]"
        parts = [_("inputs {shape} as {layout}").format(shape=x.shape, layout=layout)]
    if case["sequence_length"] is not None:
        parts.append(f"sequence_length={case['sequence_length'].tolist()}")
    parts.append(support.state_kind(case["cell"]))
    parts.append(_("initial_state given") if case["initial_state"] is not None else _("zero state"))
    if np.issubdtype(x.dtype, np.integer):
        ids = _("integer ids read by an embedding, dtype={dtype}")
        parts.append(ids.format(dtype=case["dtype"]))
        return ", ".join(parts)
    return ", ".join(parts + [case["dtype"]])


def _expect_dynamic(case: dict) -> dict:
    import rnnref.np as rn

    outputs, final_state = rn.dynamic_rnn(
        support.reference_toy(case["cell"]),
        case["inputs"],
        sequence_length=case["sequence_length"],
        initial_state=support.as_reference_state(case["initial_state"]),
        dtype=np.dtype(case["dtype"]),
        time_major=case["time_major"],
    )
    return {"outputs": outputs, "final_state": final_state}


def zeros_like(state):
    return map_state(np.zeros_like, state)


def _unroll(case: dict, mistake: str = "") -> dict:
    """dynamic_rnn in NumPy with each named mistake switchable."""
    cell = toy_cell(case["cell"])
    x = case["inputs"]
    time_major = case["time_major"] and mistake != "time_major_ignored"
    if not time_major and mistake == "inputs_reshaped":
        x = x.reshape(x.shape[1], x.shape[0], -1)  # the numbers of [B, T, D], read as [T, B, D]
    elif not time_major:
        x = x.transpose(1, 0, 2)  # -> [T, B, D]
    steps, batch = x.shape[:2]
    given = case["initial_state"]
    if given is None or mistake == "initial_ignored":
        state = cell.zero_state(batch, np.dtype(case["dtype"]))
    else:
        state = given
    lengths = case["sequence_length"]
    if lengths is None and mistake == "short_by_one":  # an unroll that always masks
        lengths = np.full(batch, steps)
    outputs = []
    for t in range(steps):
        start = case["initial_state"] if mistake == "from_initial" else state
        output, new_state = cell(x[t], start)
        if lengths is not None and mistake != "ignore_lengths":
            last = {"off_by_one": lengths + 1, "short_by_one": lengths - 1}.get(mistake, lengths)
            live = (t < last)[:, None]
            if mistake != "outputs_unmasked":
                output = np.where(live, output, 0)
            if mistake == "state_zeroed":
                new_state = map_state(partial(np.where, live), new_state, zeros_like(state))
            elif mistake != "state_unmasked":
                new_state = map_state(partial(np.where, live), new_state, state)
        outputs.append(output)
        state = new_state
    outputs = np.stack(outputs)  # [T, B, O]
    if not time_major and mistake != "not_transposed_back":
        outputs = outputs.transpose(1, 0, 2)
    return {"outputs": outputs, "final_state": state}


def _mistake(key: str, message: str) -> Mistake:
    return Mistake(lambda case: _unroll(case, key), message)


UNROLL_MISTAKES = {
    "time_major_ignored": _mistake(
        "time_major_ignored",
        N_(
            "time_major is ignored: with time_major=True the inputs are already [T, B, D], so "
            "do not transpose them (nor the outputs)."
        ),
    ),
    "not_transposed_back": _mistake(
        "not_transposed_back",
        N_(
            "the outputs are returned time-major: transpose them back to [B, T, output_size] "
            "when time_major is False (a reshape would keep the time-major order)."
        ),
    ),
    "initial_ignored": _mistake(
        "initial_ignored",
        N_(
            "initial_state is ignored: start from it when it is given (zero_state only when "
            "it is None)."
        ),
    ),
    "from_initial": _mistake(
        "from_initial",
        N_("every step starts from the initial state: carry the state from step to step."),
    ),
}

MASK_MISTAKES = {
    "outputs_unmasked": _mistake(
        "outputs_unmasked",
        N_(
            "the outputs past a row's sequence_length are not zeroed: where t >= "
            "sequence_length[b] the output is 0."
        ),
    ),
    "state_unmasked": _mistake(
        "state_unmasked",
        N_(
            "the state keeps changing past a row's sequence_length: there it must be carried "
            "unchanged, so the final state is the one at the row's last valid step."
        ),
    ),
    "state_zeroed": _mistake(
        "state_zeroed",
        N_(
            "the state is zeroed past a row's sequence_length instead of carried: keep the "
            "previous state there, np.where(live, new_state, state)."
        ),
    ),
    "off_by_one": _mistake(
        "off_by_one",
        N_(
            "the mask is off by one: step t is live for t < sequence_length[b] (a row of "
            "length 2 has steps 0 and 1)."
        ),
    ),
    "ignore_lengths": _mistake(
        "ignore_lengths",
        N_("sequence_length is ignored: mask outputs and carry states past each row's length."),
    ),
}


# Parts of the unroll done wrong that no hand-written mistake above names (autograder.diagnose).
UNROLL_VARIANTS = {
    "inputs.reshaped": _mistake(
        "inputs_reshaped",
        N_(
            "the inputs are reshaped to [T, B, D] instead of transposed: reshape keeps the "
            "memory order, so each step gets numbers from several rows and steps. Use "
            "transpose to exchange the batch and time axes."
        ),
    ),
}
MASK_VARIANTS = {
    "mask.short_by_one": _mistake(
        "short_by_one",
        N_(
            "the mask ends one step early: step t is live for t < sequence_length[b] (a row of "
            "length 2 has steps 0 and 1)."
        ),
    ),
}


def locate_steps(case: dict, received: dict) -> tuple[str, str] | None:
    """Which time steps of the learner's outputs are wrong: only the padding past each row's
    sequence_length (the mask), or every step after a right first one (the carry)."""
    right = _unroll(case)["outputs"]
    time_axis = 0 if case["time_major"] else 1
    wrong = ~np.isclose(received["outputs"], right, atol=1e-5, rtol=1e-5).all(axis=-1)
    wrong = wrong if time_axis == 1 else wrong.T  # [B, T]: which rows go wrong at which steps
    if not wrong.any():
        return None
    lengths = case["sequence_length"]
    if lengths is not None:
        padding = np.arange(wrong.shape[1])[None, :] >= np.asarray(lengths)[:, None]
        if not (wrong & ~padding).any():
            return (
                "mask.padding",
                _(
                    "the outputs are right up to each row's sequence_length and wrong past it: "
                    "look at how the steps past a row's length are masked (their output is 0)."
                ),
            )
    if not wrong[:, 0].any():
        first = int(np.argmax(wrong.any(axis=0)))
        return (
            "steps.carry",
            _(
                "the outputs are right at step 0 and go wrong from step {first}: look at what "
                "one step hands to the next (the state carried from step to step)."
            ).format(first=first),
        )
    return None


# ---- dynamic_rnn, without and with sequence_length ----------------------------------------


def _dynamic_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    # (batch, steps, depth, units, out, tuple, time_major, lengths, given_state, dtype);
    # B == T in the first two, so layout mistakes give wrong numbers, not shape errors.
    configs = [
        (3, 3, 3, 4, 4, False, False, None, True, "float32"),
        (3, 3, 2, 3, 2, True, True, None, False, "float32"),
        (2, 5, 3, 3, 3, False, False, None, False, "float32"),
        (2, 3, 2, 3, 3, True, False, None, False, "float32", 5),  # the zero state's dtype
        (2, 2, 2, 3, 3, False, True, None, True, "float64"),
    ]
    if hidden:
        configs = [
            (2, 1, 2, 3, 3, False, False, None, True, "float32"),
            (1, 7, 3, 2, 4, True, False, None, True, "float64"),
            (4, 2, 3, 3, 2, False, True, None, True, "float64"),
            (2, 4, 1, 2, 2, True, True, None, False, "float32"),
            (3, 2, 3, 2, 2, False, True, None, False, "float64", 4),
        ]
    return [_case(rng, *c) for c in configs]


DYNAMIC_RNN = Exercise(
    name="dynamic_rnn",
    answer="dynamic_rnn",
    cases=_dynamic_cases,
    expect=_expect_dynamic,
    label=_label,
    mistakes=UNROLL_MISTAKES,
    variants=UNROLL_VARIANTS,
    locate=locate_steps,
)


def _masking_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    configs = [
        (4, 5, 3, 3, 3, False, False, [5, 3, 1, 4], True, "float32"),
        (3, 4, 2, 3, 2, True, True, [2, 4, 3], True, "float32"),
        # The visible cases cover what the hidden ones do:
        (3, 3, 2, 2, 2, True, False, [3, 0, 2], False, "float64"),
    ]
    if hidden:
        configs = [
            (3, 4, 2, 3, 3, False, False, [0, 3, 0], True, "float64"),
            (2, 3, 3, 2, 2, True, False, [3, 3], False, "float32"),
            (3, 1, 2, 2, 3, False, True, [0, 1, 1], True, "float32"),
            (5, 6, 2, 4, 2, True, False, [6, 0, 2, 5, 1], True, "float64"),
        ]
    return [_case(rng, *c) for c in configs]


DYNAMIC_RNN_MASKING = Exercise(
    name="dynamic_rnn_masking",
    answer="dynamic_rnn",
    cases=_masking_cases,
    expect=_expect_dynamic,
    label=_label,
    mistakes={
        **MASK_MISTAKES,
        "initial_ignored": UNROLL_MISTAKES["initial_ignored"],
        "from_initial": UNROLL_MISTAKES["from_initial"],
    },
    variants={**UNROLL_VARIANTS, **MASK_VARIANTS},
    locate=locate_steps,
)


# ---- static_rnn and bidirectional_dynamic_rnn, graded on a correct dynamic_rnn -----------


def _dynamic_calls(spec_name: str, spec: dict, case: dict, variants: list[tuple]) -> list[dict]:
    """Prepared calls of ``dynamic_rnn`` for the driver's stand-in, with their correct
    time-major results: the cell named ``spec_name`` on each ``(steps [T, B, D],
    sequence_length, initial_state)`` of ``variants``. The variants are the calls a correct
    answer makes and those its typical mistakes make (a missing ``sequence_length``, say),
    so that a mistake in the later exercise is still named; each is answered correctly.
    Variants the reference refuses (lengths that do not fit) are left out."""
    import rnnref.np as rn

    calls = []
    for steps, lengths, state in variants:
        try:
            outputs, final_state = rn.dynamic_rnn(
                support.reference_toy(spec),
                steps,
                sequence_length=lengths,
                initial_state=support.as_reference_state(state),
                dtype=np.dtype(case["dtype"]),
                time_major=True,
            )
        except ValueError:
            continue
        arguments = {
            "cell": spec_name,
            "inputs": steps,
            "sequence_length": lengths,
            "initial_state": state,
        }
        calls.append({"arguments": arguments, "result": (outputs, as_course_state(final_state))})
    return calls


def _static_earlier(case: dict) -> dict:
    """The case with the calls a static_rnn makes: all steps stacked time-major (or, by
    mistake, read batch-major), with or without the case's lengths and initial state."""
    steps, lengths, state = case["inputs"], case["sequence_length"], case["initial_state"]
    variants = [
        (x, n, s)
        for x in (steps, steps.swapaxes(0, 1))
        for n in {id(v): v for v in (lengths, None)}.values()
        for s in {id(v): v for v in (state, None)}.values()
    ]
    return {**case, "earlier": _dynamic_calls("cell", case["cell"], case, variants)}


def _bidi_earlier(case: dict) -> dict:
    """The case with the calls a bidirectional_dynamic_rnn makes: the forward cell on the
    inputs, the backward cell on each row reversed within its length (or, by mistake, on
    the whole sequence reversed, or not reversed at all)."""
    steps = case["inputs"] if case["time_major"] else case["inputs"].swapaxes(0, 1)
    lengths = case["sequence_length"]
    backward = [_reverse(steps, lengths, 0), _reverse(steps, lengths, 0, whole=True), steps]
    fw = [(steps, lengths, case["initial_state_fw"])]
    bw = [(x, lengths, case["initial_state_bw"]) for x in backward]
    return {
        **case,
        "earlier": _dynamic_calls("cell_fw", case["cell_fw"], case, fw)
        + _dynamic_calls("cell_bw", case["cell_bw"], case, bw),
    }


def _static_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    configs = [
        (3, 3, 2, 3, 3, False, True, None, True, "float32"),
        (2, 4, 3, 2, 2, True, True, [4, 2], True, "float32"),
        # The visible cases cover what the hidden ones do:
        (2, 3, 2, 2, 2, False, True, [3, 1], False, "float64"),
    ]
    if hidden:
        configs = [
            (1, 1, 2, 2, 2, False, True, None, False, "float64"),
            (3, 5, 2, 3, 4, True, True, [0, 5, 2], True, "float64"),
            (4, 4, 3, 2, 2, False, True, [1, 4, 0, 3], False, "float32"),
        ]
    return [_static_earlier(_case(rng, *c)) for c in configs]


def _expect_static(case: dict) -> dict:
    import rnnref.np as rn

    outputs, final_state = rn.static_rnn(
        support.reference_toy(case["cell"]),
        list(case["inputs"]),
        initial_state=support.as_reference_state(case["initial_state"]),
        dtype=np.dtype(case["dtype"]),
        sequence_length=case["sequence_length"],
    )
    return {"outputs": outputs, "final_state": final_state}


def _static(case: dict, mistake: str) -> dict:
    found = _unroll(case, mistake)
    return {"outputs": list(found["outputs"]), "final_state": found["final_state"]}


STATIC_RNN = Exercise(
    name="static_rnn",
    answer="static_rnn",
    isolated_from=("dynamic_rnn", "dynamic_rnn_masking"),
    cases=_static_cases,
    expect=_expect_static,
    label=lambda case: _label(case, listed=True),
    mistakes={
        "time_major_ignored": Mistake(
            lambda case: _static(case, "time_major_ignored"),
            N_(
                "the stacked steps are read batch-major: np.stack(inputs) is [T, B, D], so run "
                "dynamic_rnn with time_major=True."
            ),
        ),
        "ignore_lengths": Mistake(
            lambda case: _static(case, "ignore_lengths"),
            N_("sequence_length is not passed on: static_rnn masks exactly as dynamic_rnn does."),
        ),
        "initial_ignored": Mistake(
            lambda case: _static(case, "initial_ignored"),
            N_("initial_state is not passed on to the unroll."),
        ),
    },
)


# ---- bidirectional_dynamic_rnn ---------------------------------------------------------


def _bidi_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    # (batch, steps, depth, fw (units, out, tuple), bw (units, out, tuple), time_major,
    #  lengths, given states, dtype)
    configs = [
        (3, 4, 2, (3, 3, False), (2, 2, False), False, [4, 2, 3], True, "float32"),
        (2, 3, 3, (2, 3, True), (3, 2, False), True, None, False, "float32"),
        # The visible cases cover what the hidden ones do:
        (2, 3, 2, (2, 2, True), (3, 2, True), False, [3, 1], True, "float64"),
    ]
    if hidden:
        configs = [
            (3, 5, 2, (3, 2, True), (2, 3, True), False, [0, 5, 1], True, "float64"),
            (2, 1, 2, (2, 2, False), (2, 2, False), True, [1, 0], False, "float32"),
            (4, 3, 1, (2, 2, False), (3, 3, True), True, [3, 2, 3, 1], True, "float64"),
        ]
    cases = []
    for batch, steps, depth, fw, bw, time_major, lengths, given, dtype in configs:
        specs = {}
        for name, (units, out, tuple_state) in (("fw", fw), ("bw", bw)):
            specs[name] = support.toy_spec(rng, depth, units, out, tuple_state, dtype)
        shape = (steps, batch, depth) if time_major else (batch, steps, depth)
        states = {
            name: support.toy_state(spec, rng, batch, dtype) if given else None
            for name, spec in specs.items()
        }
        cases.append(
            {
                "cell_fw": specs["fw"],
                "cell_bw": specs["bw"],
                "inputs": support.normal(rng, shape, dtype),
                "time_major": time_major,
                "sequence_length": None if lengths is None else np.array(lengths),
                "initial_state_fw": states["fw"],
                "initial_state_bw": states["bw"],
                "dtype": dtype,
            }
        )
    return [_bidi_earlier(case) for case in cases]


def _bidi_label(case: dict) -> str:
    x = case["inputs"]
    layout = "[T, B, D], time_major=True" if case["time_major"] else "[B, T, D]"
    lengths = case["sequence_length"]
    extra = "" if lengths is None else f", sequence_length={lengths.tolist()}"
    given = case["initial_state_fw"] is not None
    states = _("initial states given") if given else _("zero states")
    inputs = _("inputs {shape} as {layout}").format(shape=x.shape, layout=layout)
    return f"{inputs}{extra}, {states}, {case['dtype']}"


def _expect_bidi(case: dict) -> dict:
    import rnnref.np as rn

    (out_fw, out_bw), (state_fw, state_bw) = rn.bidirectional_dynamic_rnn(
        support.reference_toy(case["cell_fw"]),
        support.reference_toy(case["cell_bw"]),
        case["inputs"],
        sequence_length=case["sequence_length"],
        initial_state_fw=support.as_reference_state(case["initial_state_fw"]),
        initial_state_bw=support.as_reference_state(case["initial_state_bw"]),
        dtype=np.dtype(case["dtype"]),
        time_major=case["time_major"],
    )
    return {"outputs_fw": out_fw, "outputs_bw": out_bw, "state_fw": state_fw, "state_bw": state_bw}


def _reverse(x: np.ndarray, lengths, time_axis: int, whole: bool = False) -> np.ndarray:
    if lengths is None or whole:
        return np.flip(x, axis=time_axis)
    out = x.copy()
    for b, n in enumerate(lengths):
        if time_axis == 1:
            out[b, :n] = x[b, :n][::-1]
        else:
            out[:n, b] = x[:n, b][::-1]
    return out


def _bidi(case: dict, mistake: str) -> dict:
    def direction(spec_key: str, state_key: str, inputs: np.ndarray) -> dict:
        sub = {
            "cell": case[spec_key],
            "inputs": inputs,
            "time_major": case["time_major"],
            "sequence_length": case["sequence_length"],
            "initial_state": case[state_key],
            "dtype": case["dtype"],
        }
        return _unroll(sub)

    axis = 0 if case["time_major"] else 1
    lengths = case["sequence_length"]
    fw = direction("cell_fw", "initial_state_fw", case["inputs"])
    whole = mistake == "flip_whole"
    if mistake == "no_reversal":
        reversed_inputs = case["inputs"]
    else:
        reversed_inputs = _reverse(case["inputs"], lengths, axis, whole)
    bw = direction("cell_bw", "initial_state_bw", reversed_inputs)
    out_bw = bw["outputs"]
    if mistake not in ("not_reversed_back", "no_reversal"):
        out_bw = _reverse(out_bw, lengths, axis, whole)
    found = {
        "outputs_fw": fw["outputs"],
        "outputs_bw": out_bw,
        "state_fw": fw["final_state"],
        "state_bw": bw["final_state"],
    }
    if mistake == "states_swapped":
        found["state_fw"], found["state_bw"] = found["state_bw"], found["state_fw"]
    return found


BIDIRECTIONAL = Exercise(
    name="bidirectional_dynamic_rnn",
    answer="bidirectional_dynamic_rnn",
    isolated_from=("dynamic_rnn", "dynamic_rnn_masking"),
    cases=_bidi_cases,
    expect=_expect_bidi,
    label=_bidi_label,
    mistakes={
        "flip_whole": Mistake(
            lambda case: _bidi(case, "flip_whole"),
            N_(
                "the whole padded sequence is reversed: reverse each row only within its "
                "sequence_length, so the backward cell starts at the row's last valid step, not "
                "on padding."
            ),
        ),
        "not_reversed_back": Mistake(
            lambda case: _bidi(case, "not_reversed_back"),
            N_(
                "the backward outputs are left reversed: reverse them back (within each row's "
                "length) so output t of both directions belongs to input t."
            ),
        ),
        "no_reversal": Mistake(
            lambda case: _bidi(case, "no_reversal"),
            N_("the backward cell reads the sequence forwards: feed it each row reversed."),
        ),
        "states_swapped": Mistake(
            lambda case: _bidi(case, "states_swapped"),
            N_("the final states are swapped: return (state_fw, state_bw)."),
        ),
    },
)


EXERCISES = [DYNAMIC_RNN, DYNAMIC_RNN_MASKING, STATIC_RNN, BIDIRECTIONAL]


# ---- typical mistakes injected into the solution (the mutation tests and the demo) ----

ASSIGNMENT = "05_dynamic_rnn"

# A graded cell's grade_id -> the mistakes to inject into its answer (see ``Mutation``).
MUTATIONS: dict[str, list[Mutation]] = {
    "dynamic_rnn_test": [
        Mutation(
            "dynamic_rnn_answer",
            "    inputs = np.asarray(inputs)\n",
            "    inputs = np.asarray(inputs)\n    time_major = False\n",
            "time_major is ignored",
        ),
        Mutation(
            "dynamic_rnn_answer",
            "outputs = outputs.transpose(1, 0, 2)  # (T, B, H) -> (B, T, H)",
            "pass",
            "the outputs are returned time-major",
        ),
        Mutation(
            "dynamic_rnn_answer",
            "if initial_state is not None:",
            "if False:",
            "initial_state is ignored",
        ),
        Mutation(
            "dynamic_rnn_answer",
            "output, new_state = cell(inputs[t], state)",
            "output, new_state = cell(inputs[t], initial_state)",
            "every step starts from the initial state",
        ),
        Mutation(
            "dynamic_rnn_answer",
            "outputs = outputs.transpose(1, 0, 2)  # (T, B, H) -> (B, T, H)",
            "outputs = outputs.reshape(outputs.shape[1], outputs.shape[0], -1)",
            "a reshape would keep the time-major order",
        ),
        Mutation(
            "dynamic_rnn_answer",
            "inputs = inputs.transpose(1, 0, 2)  # (B, T, D) -> (T, B, D)",
            "inputs = inputs.reshape(inputs.shape[1], inputs.shape[0], -1)",
            "the inputs are reshaped to [T, B, D] instead of transposed",
        ),
    ],
    "dynamic_rnn_masking_test": [
        Mutation(
            "dynamic_rnn_answer",
            "output = np.where(live, output, 0)",
            "output = output",
            "the outputs past a row's sequence_length are not zeroed",
        ),
        Mutation(
            "dynamic_rnn_answer",
            "np.where(live, new, old)",
            "np.where(live, new, 0)",
            "the state is zeroed past a row's sequence_length",
        ),
        Mutation(
            "dynamic_rnn_answer",
            "live = (t < lengths)",
            "live = (t <= lengths)",
            "the mask is off by one",
        ),
        Mutation(
            "dynamic_rnn_answer",
            "new_state = map_state(",
            "_ = map_state(",
            "the state keeps changing past a row's sequence_length",
        ),
        Mutation(
            "dynamic_rnn_answer",
            "live = (t < lengths)",
            "live = (t < lengths - 1)",
            "the mask ends one step early",
        ),
    ],
    "static_rnn_test": [
        Mutation(
            "static_rnn_answer",
            "time_major=True,",
            "time_major=False,",
            "the stacked steps are read batch-major",
        ),
        Mutation(
            "static_rnn_answer",
            "sequence_length=sequence_length,",
            "sequence_length=None,",
            "sequence_length is not passed on",
        ),
        Mutation(
            "static_rnn_answer",
            "initial_state=initial_state,",
            "initial_state=None,",
            "initial_state is not passed on",
        ),
        Mutation("static_rnn_answer", "return list(outputs), state", "return outputs, state"),
    ],
    "bidirectional_test": [
        Mutation(
            "bidirectional_answer",
            "    if sequence_length is None:\n        return np.flip",
            "    if True:\n        return np.flip",
            "the whole padded sequence is reversed",
        ),
        Mutation(
            "bidirectional_answer",
            "out_bw = reverse_sequence(out_bw, sequence_length, time_axis)",
            "out_bw = out_bw",
            "the backward outputs are left reversed",
        ),
        Mutation(
            "bidirectional_answer",
            "return (out_fw, out_bw), (state_fw, state_bw)",
            "return (out_fw, out_bw), (state_bw, state_fw)",
            "the final states are swapped",
        ),
        Mutation(
            "bidirectional_answer",
            "out[b, :n] = x[b, :n][::-1]",
            "out[b, :n] = x[b, :n]",
            "the backward cell reads the sequence forwards",
        ),
    ],
}
