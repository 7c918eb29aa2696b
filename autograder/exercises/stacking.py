"""The grader's side of notebook 04: ``MultiRNNCell`` and the wrappers (dropout, projections,
embedding, residual). The learners' stacks and wrappers get toy cells (``cells.ToyCell``)
inside; the reference wraps the same toys in rnnref's own ``MultiRNNCell`` and wrappers."""

import numpy as np

from autograder.exercises import Exercise, Mistake, Mutation, support
from autograder.i18n import N_, _
from autograder.learner.cells import LSTMStateTuple, toy_cell
from autograder.learner.checks import common

# ---- MultiRNNCell -----------------------------------------------------------------------


def _multi_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    # Each config: batch, input depth, layers as (units, output_size, tuple_state), flag.
    # The first keeps every depth equal, so wiring mistakes give numbers, not shape errors.
    configs = [
        (2, 3, [(3, 3, False), (3, 3, False), (3, 3, False)], True),
        (3, 2, [(4, 3, True), (2, 5, False)], True),
        (2, 3, [(2, 3, False), (4, 2, False)], False),
    ]
    if hidden:
        configs = [
            (1, 4, [(3, 2, True)], True),
            (4, 2, [(3, 3, False), (2, 4, True), (5, 3, True)], True),
            (3, 3, [(3, 3, False), (3, 3, False), (3, 3, False)], False),
            (2, 1, [(1, 1, False), (2, 1, False)], False),
        ]
    cases = []
    for batch, depth, layers, state_is_tuple in configs:
        dtype = "float64" if batch % 2 == 0 else "float32"  # both, visible and hidden
        specs, d = [], depth
        for units, out, tuple_state in layers:
            specs.append(support.toy_spec(rng, d, units, out, tuple_state, dtype))
            d = out
        states = tuple(support.toy_state(s, rng, batch, dtype) for s in specs)
        state = states if state_is_tuple else np.concatenate(states, axis=1)
        cases.append(
            {
                "layers": specs,
                "state_is_tuple": state_is_tuple,
                "x": support.normal(rng, (batch, depth), dtype),
                "state": state,
            }
        )
    return cases


def _multi_label(case: dict) -> str:
    layers = ", ".join(
        _("{units} units").format(units=s["units"])
        + (" (LSTMStateTuple)" if s["tuple_state"] else "")
        for s in case["layers"]
    )
    return _(
        "batch {batch}, input depth {depth}, layers [{layers}], state_is_tuple={is_tuple}, {dtype}"
    ).format(
        batch=case["x"].shape[0],
        depth=case["x"].shape[1],
        layers=layers,
        is_tuple=case["state_is_tuple"],
        dtype=case["x"].dtype,
    )


def _expect_multi(case: dict) -> dict:
    import rnnref.np as rn

    layers = [support.reference_toy(spec) for spec in case["layers"]]
    cell = rn.MultiRNNCell(layers, state_is_tuple=case["state_is_tuple"])
    output, new_state = cell(case["x"], support.as_reference_state(case["state"]))
    return common.step_outputs(cell, output, new_state)


def _multi(case: dict, mistake: str = "") -> dict:
    layers = [toy_cell(spec) for spec in case["layers"]]
    sizes = [layer.state_size for layer in layers]
    if case["state_is_tuple"]:
        states = list(case["state"])
    else:
        states = np.split(case["state"], np.cumsum(sizes)[:-1], axis=1)
    if mistake == "states_reversed":
        states = states[::-1]
    x, outputs, new_states = case["x"], [], []
    for layer, state in zip(layers, states, strict=True):
        output, new_state = layer(case["x"] if mistake == "not_chained" else x, state)
        outputs.append(output)
        new_states.append(new_state)
        x = output
    if mistake == "state_not_updated":
        new_states = states
    output = outputs[0] if mistake == "first_output" else outputs[-1]
    if case["state_is_tuple"]:
        new_state = tuple(new_states)
        state_size = tuple(sizes)
    else:
        new_state = np.concatenate(new_states, axis=1)
        state_size = int(sum(sizes))
    return {
        "state_size": state_size,
        "output_size": layers[-1].output_size,
        "output": output,
        "new_state": new_state,
    }


MULTI_RNN_CELL = Exercise(
    name="multi_rnn_cell",
    answer="MultiRNNCell",
    cases=_multi_cases,
    expect=_expect_multi,
    label=_multi_label,
    mistakes={
        "not_chained": Mistake(
            lambda case: _multi(case, "not_chained"),
            N_(
                "every layer reads the stack's inputs: layer k reads layer k-1's output, so pass "
                "each layer the output of the one below."
            ),
        ),
        "first_output": Mistake(
            lambda case: _multi(case, "first_output"),
            N_("the stack returns the first layer's output: its output is the last layer's."),
        ),
        "states_reversed": Mistake(
            lambda case: _multi(case, "states_reversed"),
            N_(
                "the layers get each other's states: state[k] belongs to layer k (the first "
                "layer's state comes first), in the stack's state and in its new state."
            ),
        ),
        "state_not_updated": Mistake(
            lambda case: _multi(case, "state_not_updated"),
            N_("the old states are returned: collect each layer's new state."),
        ),
    },
)


# ---- DropoutWrapper ---------------------------------------------------------------------

KEEPS = ("input_keep_prob", "output_keep_prob", "state_keep_prob")


def _dropout_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    # (batch, depth, units, output_size, tuple_state, keep probabilities, dtype)
    configs = [
        (4, 3, 5, 4, False, (0.7, 0.6, 0.8), "float32"),
        (3, 4, 3, 3, True, (1.0, 0.5, 0.6), "float32"),
    ]
    if hidden:
        configs = [
            (2, 3, 3, 2, False, (1.0, 1.0, 1.0), "float32"),
            (5, 2, 4, 3, True, (0.8, 1.0, 0.5), "float64"),
            (3, 3, 2, 2, False, (0.5, 0.5, 1.0), "float64"),
            (1, 2, 3, 3, True, (0.3, 0.9, 0.4), "float32"),
        ]
    cases = []
    for batch, depth, units, out, tuple_state, keeps, dtype in configs:
        spec = support.toy_spec(rng, depth, units, out, tuple_state, dtype)
        cases.append(
            {
                "cell": spec,
                "keep": dict(zip(KEEPS, keeps, strict=True)),
                "seed": int(rng.integers(2**31)),
                "xs": [support.normal(rng, (batch, depth), dtype) for _ in range(2)],
                "state": support.toy_state(spec, rng, batch, dtype),
            }
        )
    return cases


def _dropout_label(case: dict) -> str:
    keeps = ", ".join(f"{k}={v}" for k, v in case["keep"].items())
    return _("batch {batch}, a cell with {kind}, {keeps}, two steps").format(
        batch=case["xs"][0].shape[0], kind=support.state_kind(case["cell"]), keeps=keeps
    )


def _expect_dropout(case: dict) -> dict:
    import rnnref.np as rn

    wrapper = rn.DropoutWrapper(
        support.reference_toy(case["cell"]), seed=case["seed"], **case["keep"]
    )
    state, outputs = support.as_reference_state(case["state"]), []
    for x in case["xs"]:
        output, state = wrapper(x, state)
        outputs.append(output)
    return {"outputs": outputs, "final_state": state}


def _dropout(case: dict, mistake: str = "") -> dict:
    """Two steps of the DropoutWrapper in NumPy, with each named mistake switchable."""
    cell, keep = toy_cell(case["cell"]), case["keep"]
    rng = np.random.default_rng(case["seed"])

    def drop(values: np.ndarray, p: float) -> np.ndarray:
        noise = rng.uniform(size=values.shape)
        mask = (noise >= p if mistake == "inverted" else noise < p).astype(values.dtype)
        if mistake == "no_scale":
            return values * mask
        if mistake == "scaled_by_keep_prob":
            return values * mask * values.dtype.type(p)
        return values * mask / values.dtype.type(p)

    def maybe(values, name: str):
        if keep[name] == 1.0 and mistake != "always_draw":
            return values
        if isinstance(values, LSTMStateTuple):
            c = drop(values.c, keep[name]) if mistake == "drops_c" else values.c
            return LSTMStateTuple(c, drop(values.h, keep[name]))
        return drop(values, keep[name])

    state, outputs = case["state"], []
    for x in case["xs"]:
        if mistake == "same_mask":
            rng = np.random.default_rng(case["seed"])
        output, state = cell(maybe(x, "input_keep_prob"), state)
        if mistake == "order":
            output = maybe(output, "output_keep_prob")
            state = maybe(state, "state_keep_prob")
        else:
            state = maybe(state, "state_keep_prob")
            output = maybe(output, "output_keep_prob")
        outputs.append(output)
    return {"outputs": outputs, "final_state": state}


DROPOUT_WRAPPER = Exercise(
    name="dropout_wrapper",
    answer="DropoutWrapper",
    cases=_dropout_cases,
    expect=_expect_dropout,
    label=_dropout_label,
    mistakes={
        "no_scale": Mistake(
            lambda case: _dropout(case, "no_scale"),
            N_(
                "the kept units are not scaled: divide by keep_prob, so the expected value of "
                "each unit stays what it was without dropout."
            ),
        ),
        "inverted": Mistake(
            lambda case: _dropout(case, "inverted"),
            N_(
                "a unit is kept when noise >= keep_prob: keep it when noise < keep_prob, which "
                "happens with probability keep_prob."
            ),
        ),
        "drops_c": Mistake(
            lambda case: _dropout(case, "drops_c"),
            N_("the memory c of an LSTMStateTuple is dropped too: TF1 drops only its h."),
        ),
        "always_draw": Mistake(
            lambda case: _dropout(case, "always_draw"),
            N_(
                "noise is drawn even for a keep probability of 1.0: skip a quantity entirely "
                "(draw nothing) when its keep probability is 1.0."
            ),
        ),
        "order": Mistake(
            lambda case: _dropout(case, "order"),
            N_(
                "the output is dropped before the state: draw the masks in the order inputs, "
                "new state, output."
            ),
        ),
        "same_mask": Mistake(
            lambda case: _dropout(case, "same_mask"),
            N_(
                "every step reuses the same masks (the generator is made anew at each call): "
                "make it once, in __init__, so each call draws fresh noise."
            ),
        ),
    },
    variants={
        "drop.scale": Mistake(
            lambda case: _dropout(case, "scaled_by_keep_prob"),
            N_(
                "the kept units are multiplied by keep_prob: divide by it "
                "(scale by 1 / keep_prob), so the expected value of each unit stays what it was "
                "without dropout."
            ),
        ),
    },
)


# ---- InputProjectionWrapper and EmbeddingWrapper ------------------------------------------


def _input_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    # (batch, depth, num_proj, units, tuple_state, classes, embedding_size, dtype); the first
    # has depth == num_proj and classes == embedding_size, so mix-ups give numbers.
    # Last: ids as [B, 1] (True) or [B]; the notebook promises both, so both are visible.
    configs = [
        (3, 4, 4, 3, False, 5, 5, "float32", False),
        (2, 3, 2, 4, True, 7, 3, "float32", True),
        (2, 2, 3, 2, False, 4, 2, "float64", False),
    ]
    if hidden:
        configs = [
            (4, 2, 5, 2, False, 3, 4, "float64", True),
            (1, 1, 1, 1, False, 1, 1, "float32", False),
            (3, 6, 3, 3, True, 10, 2, "float64", False),
        ]
    cases = []
    for batch, depth, proj, units, tuple_state, classes, size, dtype, column in configs:
        proj_cell = support.toy_spec(rng, proj, units, units, tuple_state, dtype)
        embed_cell = support.toy_spec(rng, size, units, units, tuple_state, dtype)
        cases.append(
            {
                "x": support.normal(rng, (batch, depth), dtype),
                "num_proj": proj,
                "projection": support.weights_for([(depth, proj), (proj,)], rng, dtype),
                "proj_cell": proj_cell,
                "ids": rng.integers(0, classes, size=(batch, 1) if column else batch),
                "classes": classes,
                "embedding": [support.normal(rng, (classes, size), dtype)],
                "embed_cell": embed_cell,
                "state": support.toy_state(proj_cell, rng, batch, dtype),
            }
        )
    return cases


def _input_label(case: dict) -> str:
    return _(
        "batch {batch}, input depth {depth}, num_proj={num_proj}; "
        "embedding_classes={classes}, embedding_size={size}, ids {ids}, {dtype}"
    ).format(
        batch=case["x"].shape[0],
        depth=case["x"].shape[1],
        num_proj=case["num_proj"],
        classes=case["classes"],
        size=case["embedding"][0].shape[1],
        ids=case["ids"].shape,
        dtype=case["x"].dtype,
    )


def _expect_input(case: dict) -> dict:
    import rnnref.np as rn

    state = support.as_reference_state(case["state"])
    dtype = case["x"].dtype
    inner = support.reference_toy(case["proj_cell"])
    projected = rn.InputProjectionWrapper(inner, case["num_proj"])
    projected.build(case["x"].shape[1], dtype)
    projected.set_weights(case["projection"])
    p_out, p_state = projected(case["x"], state)
    classes, size = case["embedding"][0].shape
    embedded = rn.EmbeddingWrapper(support.reference_toy(case["embed_cell"]), classes, size)
    embedded.build(1, dtype)
    embedded.set_weights(case["embedding"])
    e_out, e_state = embedded(case["ids"], state)
    return {
        "InputProjectionWrapper": common.step_outputs(projected, p_out, p_state),
        "EmbeddingWrapper": common.step_outputs(embedded, e_out, e_state),
    }


def _input(case: dict, mistake: str = "") -> dict:
    state = case["state"]
    W, b = case["projection"]
    x = case["x"]
    if mistake == "raw_inputs":
        projected = x
    elif mistake == "transposed":
        projected = x @ W.T + b
    else:
        projected = x @ W + (0 if mistake == "no_bias" else b)
    inner = toy_cell(case["proj_cell"])
    p_out, p_state = inner(projected, state)
    table = case["embedding"][0]
    ids = case["ids"].reshape(-1)  # [B] or [B, 1] -> [B]
    if mistake == "columns":
        embedded = table.T[ids]
    elif mistake == "off_by_one":
        embedded = table[ids - 1]
    else:
        embedded = table[ids]
    inner_e = toy_cell(case["embed_cell"])
    e_out, e_state = inner_e(embedded, state)
    return {
        "InputProjectionWrapper": {
            "state_size": inner.state_size,
            "output_size": inner.output_size,
            "output": p_out,
            "new_state": p_state,
        },
        "EmbeddingWrapper": {
            "state_size": inner_e.state_size,
            "output_size": inner_e.output_size,
            "output": e_out,
            "new_state": e_state,
        },
    }


INPUT_WRAPPERS = Exercise(
    name="input_wrappers",
    answer=N_("input wrapper"),
    cases=_input_cases,
    expect=_expect_input,
    label=_input_label,
    mistakes={
        "no_bias": Mistake(
            lambda case: _input(case, "no_bias"),
            N_(
                "the projection's bias is left out: the cell reads inputs @ projection_kernel "
                "+ projection_bias."
            ),
        ),
        "raw_inputs": Mistake(
            lambda case: _input(case, "raw_inputs"),
            N_("the cell gets the raw inputs: feed it the projected inputs."),
        ),
        "transposed": Mistake(
            lambda case: _input(case, "transposed"),
            N_(
                "the projection kernel is used transposed: it is [D, num_proj], so "
                "inputs @ projection_kernel."
            ),
        ),
        "columns": Mistake(
            lambda case: _input(case, "columns"),
            N_(
                "the embedding is looked up by column: row k of the [embedding_classes, "
                "embedding_size] matrix is the vector of id k, embedding[ids]."
            ),
        ),
        "off_by_one": Mistake(
            lambda case: _input(case, "off_by_one"),
            N_("the ids are shifted by one: ids start at 0, so id k is row k, embedding[ids]."),
        ),
    },
)


# ---- OutputProjectionWrapper and ResidualWrapper ----------------------------------------


def _output_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    # (batch, depth, units, cell output_size, projected size, tuple_state, dtype); the first
    # has the cell's state, output and the inputs all of one size, so mix-ups give numbers.
    configs = [
        (3, 4, 4, 4, 4, False, "float32"),
        (2, 3, 4, 3, 5, True, "float32"),
        # The visible cases cover what the hidden ones do:
        (2, 3, 3, 2, 2, True, "float64"),
    ]
    if hidden:
        configs = [
            (4, 2, 3, 2, 1, False, "float64"),
            (1, 3, 2, 3, 3, True, "float64"),
            (3, 5, 5, 5, 2, False, "float32"),
        ]
    cases = []
    for batch, depth, units, out, proj, tuple_state, dtype in configs:
        spec = support.toy_spec(rng, depth, units, out, tuple_state, dtype)
        cases.append(
            {
                "x": support.normal(rng, (batch, depth), dtype),
                "cell": spec,
                "output_size": proj,
                "projection": support.weights_for([(out, proj), (proj,)], rng, dtype),
                "state": support.toy_state(spec, rng, batch, dtype),
            }
        )
    return cases


def _output_label(case: dict) -> str:
    return _(
        "batch {batch}, input depth {depth}, cell output size {size}, projected to "
        "{projected}, {dtype}"
    ).format(
        batch=case["x"].shape[0],
        depth=case["x"].shape[1],
        size=case["cell"]["output_size"],
        projected=case["output_size"],
        dtype=case["x"].dtype,
    )


def _expect_output(case: dict) -> dict:
    import rnnref.np as rn

    state = support.as_reference_state(case["state"])
    projected = rn.OutputProjectionWrapper(support.reference_toy(case["cell"]), case["output_size"])
    projected.build(case["x"].shape[1], case["x"].dtype)
    projected.set_weights(case["projection"])
    p_out, p_state = projected(case["x"], state)
    found = {"OutputProjectionWrapper": common.step_outputs(projected, p_out, p_state)}
    if case["cell"]["output_size"] == case["x"].shape[1]:
        residual = rn.ResidualWrapper(support.reference_toy(case["cell"]))
        r_out, r_state = residual(case["x"], state)
        found["ResidualWrapper"] = common.step_outputs(residual, r_out, r_state)
    return found


def _output(case: dict, mistake: str = "") -> dict:
    cell = toy_cell(case["cell"])
    output, new_state = cell(case["x"], case["state"])
    W, b = case["projection"]
    source = new_state if mistake == "projects_state" else output
    projected = source @ W + (0 if mistake == "no_bias" else b)
    found = {
        "OutputProjectionWrapper": {
            "state_size": cell.state_size,
            "output_size": case["output_size"],
            "output": projected,
            "new_state": new_state,
        }
    }
    if cell.output_size == case["x"].shape[1]:
        r_out, r_state = case["x"] + output, new_state
        if mistake == "no_residual":
            r_out = output
        elif mistake == "residual_state":
            r_out, r_state = output, case["x"] + new_state
        found["ResidualWrapper"] = {
            "state_size": cell.state_size,
            "output_size": cell.output_size,
            "output": r_out,
            "new_state": r_state,
        }
    return found


OUTPUT_WRAPPERS = Exercise(
    name="output_wrappers",
    answer=N_("output wrapper"),
    cases=_output_cases,
    expect=_expect_output,
    label=_output_label,
    mistakes={
        "no_bias": Mistake(
            lambda case: _output(case, "no_bias"),
            N_("the projection's bias is left out: output @ projection_kernel + projection_bias."),
        ),
        "projects_state": Mistake(
            lambda case: _output(case, "projects_state"),
            N_(
                "the state is projected instead of the output: project what the cell returns "
                "first, and pass its state through unchanged."
            ),
        ),
        "no_residual": Mistake(
            lambda case: _output(case, "no_residual"),
            N_("the residual is missing: ResidualWrapper returns inputs + the cell's output."),
        ),
        "residual_state": Mistake(
            lambda case: _output(case, "residual_state"),
            N_(
                "the inputs are added to the cell's state: add them to its output, and pass the "
                "state through unchanged."
            ),
        ),
    },
)


EXERCISES = [MULTI_RNN_CELL, DROPOUT_WRAPPER, INPUT_WRAPPERS, OUTPUT_WRAPPERS]


# ---- typical mistakes injected into the solution (the mutation tests and the demo) ----

ASSIGNMENT = "04_stacking"

# A graded cell's grade_id -> the mistakes to inject into its answer (see ``Mutation``).
MUTATIONS: dict[str, list[Mutation]] = {
    "multi_rnn_cell_test": [
        Mutation(
            "multi_rnn_cell_answer",
            "x, new_state = cell(x, layer_state)",
            "x, new_state = cell(inputs, layer_state)",
            "every layer reads the stack's inputs",
        ),
        Mutation(
            "multi_rnn_cell_answer",
            "return x, tuple(new_states)",
            "return x, tuple(layer_states)",
            "the old states are returned",
        ),
        Mutation(
            "multi_rnn_cell_answer",
            "zip(self.cells, layer_states, strict=True)",
            "zip(self.cells, layer_states[::-1], strict=True)",
            "the layers get each other's states",
        ),
        Mutation(
            "multi_rnn_cell_answer",
            "return sizes if self.state_is_tuple else sum(sizes)",
            "return sizes",
        ),
    ],
    "dropout_wrapper_test": [
        Mutation(
            "dropout_wrapper_answer",
            "return values * mask / keep_prob",
            "return values * mask",
            "the kept units are not scaled",
        ),
        Mutation(
            "dropout_wrapper_answer",
            "(noise < keep_prob)",
            "(noise >= keep_prob)",
            "a unit is kept when noise >= keep_prob",
        ),
        Mutation(
            "dropout_wrapper_answer",
            "LSTMStateTuple(state.c, self.drop(state.h, keep_prob))",
            "LSTMStateTuple(self.drop(state.c, keep_prob), self.drop(state.h, keep_prob))",
            "the memory c of an LSTMStateTuple is dropped too",
        ),
        Mutation(
            "dropout_wrapper_answer",
            "_keep_prob < 1.0:",
            "_keep_prob <= 1.0:",
            "noise is drawn even for a keep probability of 1.0",
            count=-1,
        ),
        Mutation(
            "dropout_wrapper_answer",
            "        if self.state_keep_prob < 1.0:\n"
            "            new_state = self.drop_state(new_state, self.state_keep_prob)\n"
            "        if self.output_keep_prob < 1.0:\n"
            "            output = self.drop(output, self.output_keep_prob)\n",
            "        if self.output_keep_prob < 1.0:\n"
            "            output = self.drop(output, self.output_keep_prob)\n"
            "        if self.state_keep_prob < 1.0:\n"
            "            new_state = self.drop_state(new_state, self.state_keep_prob)\n",
            "the output is dropped before the state",
        ),
        Mutation(
            "dropout_wrapper_answer",
            "return values * mask / keep_prob",
            "return values * mask * keep_prob",
            "the kept units are multiplied by keep_prob",
        ),
    ],
    "input_wrappers_test": [
        Mutation(
            "input_wrappers_answer",
            "inputs @ self.projection_kernel + self.projection_bias",
            "inputs @ self.projection_kernel",
            "the projection's bias is left out",
        ),
        Mutation(
            "input_wrappers_answer",
            "self.embedding[ids]",
            "self.embedding[ids - 1]",
            "the ids are shifted by one",
        ),
        Mutation(
            "input_wrappers_answer",
            "self.embedding[ids]",
            "self.embedding.T[ids]",
            "the embedding is looked up by column",
        ),
        Mutation(
            "input_wrappers_answer",
            "return self.cells[0](projected, state)",
            "return self.cells[0](inputs, state)",
            "the cell gets the raw inputs",
        ),
    ],
    "output_wrappers_test": [
        Mutation(
            "output_wrappers_answer",
            "output @ self.projection_kernel + self.projection_bias, new_state",
            "output @ self.projection_kernel, new_state",
            "the projection's bias is left out",
        ),
        Mutation(
            "output_wrappers_answer",
            "return inputs + output, new_state",
            "return output, new_state",
            "the residual is missing",
        ),
        Mutation(
            "output_wrappers_answer",
            "return inputs + output, new_state",
            "return output, new_state + inputs",
            "the inputs are added to the cell's state",
        ),
        Mutation(
            "output_wrappers_answer",
            "return output @ self.projection_kernel",
            "return new_state @ self.projection_kernel",
            "the state is projected instead of the output",
        ),
    ],
}
