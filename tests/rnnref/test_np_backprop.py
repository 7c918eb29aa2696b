"""Backpropagation in ``rnnref.np``: gradients against TensorFlow's and against finite differences.

Parity: each case builds a cell in TensorFlow (TF1's ``tf.compat.v1.nn.rnn_cell``, run
eagerly) and in ``rnnref.np``, moves the biases away from their initial values, copies
the weights across, and compares ``tf.GradientTape``'s gradients of
``L = sum(outputs * R) + sum(final_state * S)`` (R, S random) with ours, with respect to
the inputs, the initial state and every weight. The wrappers TF2 no longer ships
(projections, embedding) and dropout with our recorded masks are written for TensorFlow
from their definitions below, and TensorFlow differentiates them.

Finite differences: in float64, every step backward and a few unrolls agree with central
differences of the same loss to a relative error below 1e-6.
"""

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # tf.compat.v1.nn.rnn_cell from tf_keras, TF1 cells
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnref.np as rn  # noqa: E402
from rnnref import structure  # noqa: E402

tf.get_logger().setLevel("ERROR")
v1 = tf.compat.v1.nn.rnn_cell

pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

B, T, D, H, P = 3, 5, 4, 5, 3  # batch, time, input depth, units, projection
CLASSES = 7  # EmbeddingWrapper's vocabulary
ATOL = 1e-4  # float32 parity
FD_EPS, FD_RTOL = 1e-6, 1e-6  # float64 finite differences


# --------------------------------------------------------------------------- TensorFlow's side
# Wrappers that TF2 no longer ships, written from their definitions as TF1-style cells (any
# object with state_size, output_size, zero_state and __call__ is one to dynamic_rnn).


class _TFAround:
    def __init__(self, cell: Any) -> None:
        self.cell = cell

    @property
    def state_size(self) -> Any:
        return self.cell.state_size

    @property
    def output_size(self) -> int:
        return self.cell.output_size

    def zero_state(self, batch_size: int, dtype: Any) -> Any:
        return self.cell.zero_state(batch_size, dtype)


class TFProjection(_TFAround):
    """InputProjectionWrapper (``where="input"``) or OutputProjectionWrapper: x @ W + b."""

    def __init__(self, cell: Any, size: int, where: str) -> None:
        super().__init__(cell)
        self.size, self.where, self.variables = size, where, []

    @property
    def output_size(self) -> int:
        return self.size if self.where == "output" else self.cell.output_size

    def _project(self, x: Any) -> Any:
        if not self.variables:
            rng = np.random.default_rng(7)
            kernel = rng.normal(size=(x.shape[-1], self.size)).astype(np.float32)
            self.variables = [
                tf.Variable(kernel, name="projection/kernel"),
                tf.Variable(np.zeros(self.size, np.float32), name="projection/bias"),
            ]
        kernel, bias = self.variables
        return tf.matmul(x, kernel) + bias

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple:
        if self.where == "input":
            return self.cell(self._project(inputs), state)
        output, new_state = self.cell(inputs, state)
        return self._project(output), new_state


class TFEmbedding(_TFAround):
    """EmbeddingWrapper: the cell reads embedding[ids]."""

    def __init__(self, cell: Any, classes: int, size: int) -> None:
        super().__init__(cell)
        values = np.random.default_rng(8).uniform(-1, 1, size=(classes, size))
        self.variables = [tf.Variable(values.astype(np.float32), name="embedding")]

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple:
        return self.cell(tf.nn.embedding_lookup(self.variables[0], inputs[:, 0]), state)


class TFDropout(_TFAround):
    """DropoutWrapper's equations with the masks rnnref's forward pass drew, one per step."""

    def __init__(self, cell: Any, keep: dict) -> None:
        super().__init__(cell)
        self.keep, self.masks, self.variables = keep, None, []

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple:
        masks = self.masks.pop(0) if self.masks else {}
        drop = lambda v, m, kind: v * m / self.keep[kind]  # noqa: E731
        if "input" in masks:
            inputs = drop(inputs, masks["input"], "input")
        output, new_state = self.cell(inputs, state)
        if "state" in masks:
            mask = masks["state"]
            if isinstance(new_state, tuple):  # an LSTMStateTuple: only h is dropped
                new_state = type(new_state)(new_state.c, drop(new_state.h, mask.h, "state"))
            else:
                new_state = drop(new_state, mask, "state")
        if "output" in masks:
            output = drop(output, masks["output"], "output")
        return output, new_state


# --------------------------------------------------------------------------- the cases
# A case is a tree: (class name, kwargs, children). Both libraries build it from there.


def lstm(**kwargs: Any) -> tuple:
    return ("LSTMCell", {"num_units": H, **kwargs}, ())


CASES = {
    "BasicRNN": ("BasicRNNCell", {"num_units": H}, ()),
    "GRU": ("GRUCell", {"num_units": H}, ()),
    "BasicLSTM": ("BasicLSTMCell", {"num_units": H, "forget_bias": 0.5}, ()),
    "BasicLSTM-concat": ("BasicLSTMCell", {"num_units": H, "state_is_tuple": False}, ()),
    "LSTM": lstm(),
    "LSTM-peepholes": lstm(use_peepholes=True),
    "LSTM-cell_clip": lstm(cell_clip=0.3),
    "LSTM-num_proj": lstm(num_proj=P),
    "LSTM-proj_clip": lstm(num_proj=P, proj_clip=0.1),
    "LSTM-all": lstm(use_peepholes=True, cell_clip=0.3, num_proj=P, proj_clip=0.1, forget_bias=0.5),
    "LSTM-all-concat": lstm(
        use_peepholes=True, cell_clip=0.3, num_proj=P, proj_clip=0.1, state_is_tuple=False
    ),
    "Multi": ("MultiRNNCell", {}, (lstm(use_peepholes=True), ("GRUCell", {"num_units": P}, ()))),
    "Multi-concat": (
        "MultiRNNCell",
        {"state_is_tuple": False},
        (("BasicRNNCell", {"num_units": H}, ()), lstm(num_proj=P, state_is_tuple=False)),
    ),
    "Residual": ("ResidualWrapper", {}, (("GRUCell", {"num_units": D}, ()),)),
    "Dropout": (
        "DropoutWrapper",
        {"input_keep_prob": 0.7, "output_keep_prob": 0.8, "state_keep_prob": 0.6, "seed": 1},
        (lstm(use_peepholes=True),),
    ),
    "Dropout-variational": (
        "DropoutWrapper",
        {
            "input_keep_prob": 0.7,
            "output_keep_prob": 0.8,
            "state_keep_prob": 0.6,
            "variational_recurrent": True,
            "input_size": D,
            "seed": 2,
        },
        (("GRUCell", {"num_units": H}, ()),),
    ),
    "Dropout-concat-state": (
        "DropoutWrapper",
        {"state_keep_prob": 0.5, "seed": 3},
        (("BasicLSTMCell", {"num_units": H, "state_is_tuple": False}, ()),),
    ),
    "InputProjection": ("InputProjectionWrapper", {"num_proj": P}, (lstm(),)),
    "OutputProjection": ("OutputProjectionWrapper", {"output_size": 2}, (lstm(num_proj=P),)),
    "Embedding": (
        "EmbeddingWrapper",
        {"embedding_classes": CLASSES, "embedding_size": D},
        (("GRUCell", {"num_units": H}, ()),),
    ),
    "Stack-of-wrappers": (
        "MultiRNNCell",
        {},
        (
            (
                "InputProjectionWrapper",
                {"num_proj": P},
                (("ResidualWrapper", {}, (("BasicLSTMCell", {"num_units": P}, ()),)),),
            ),
            ("OutputProjectionWrapper", {"output_size": 2}, (("GRUCell", {"num_units": H}, ()),)),
        ),
    ),  # fmt: skip
}


def build_np(case: tuple) -> rn.RNNCell:
    kind, kwargs, children = case
    inner = [build_np(child) for child in children]
    if kind == "MultiRNNCell":
        return rn.MultiRNNCell(inner, **kwargs)
    return getattr(rn, kind)(*inner, **kwargs)


def build_tf(case: tuple) -> tuple[Any, Any]:
    """(TensorFlow cell, a function listing its variables in TF1's order)."""
    kind, kwargs, children = case
    inner = [build_tf(child) for child in children]
    if kind == "MultiRNNCell":
        cell = v1.MultiRNNCell([c for c, _ in inner], **kwargs)
        return cell, lambda: [w for _, weights in inner for w in weights()]
    if not inner:
        cell = getattr(v1, kind)(**kwargs)
        return cell, lambda: list(cell.weights)
    (child, child_weights), own = inner[0], None
    if kind == "ResidualWrapper":
        return v1.ResidualWrapper(child), child_weights
    if kind == "InputProjectionWrapper":
        own = TFProjection(child, kwargs["num_proj"], "input")
    elif kind == "OutputProjectionWrapper":
        own = TFProjection(child, kwargs["output_size"], "output")
    elif kind == "EmbeddingWrapper":
        own = TFEmbedding(child, kwargs["embedding_classes"], kwargs["embedding_size"])
    elif kind == "DropoutWrapper":
        names = ("input_keep_prob", "output_keep_prob", "state_keep_prob")
        keep = {name.split("_")[0]: kwargs.get(name, 1.0) for name in names}
        own = TFDropout(child, keep)
    return own, lambda: child_weights() + own.variables


def make_pair(name: str) -> tuple[rn.RNNCell, Any, Any, int | None]:
    """Both cells with equal weights, biases moved off their initial values.

    Returns (rnnref cell, TF cell, its variables, input depth or None for ids).
    """
    case = CASES[name]
    np_cell = build_np(case)
    tf_cell, tf_weights = build_tf(case)
    ids = name == "Embedding"
    x0 = np.zeros((B, 1), np.int32) if ids else np.zeros((B, D), np.float32)
    tf_cell(tf.constant(x0), tf_cell.zero_state(B, tf.float32))  # builds the variables
    rng = np.random.default_rng(0)
    for w in tf_weights():
        if "bias" in w.name:
            w.assign_add(rng.normal(scale=0.5, size=w.shape).astype(np.float32))
    np_cell.build(1 if ids else D, np.float32)
    np_cell.set_weights([w.numpy() for w in tf_weights()])
    return np_cell, tf_cell, tf_weights, None if ids else D


def random_like(rng: np.random.Generator, value: Any, dtype: Any = np.float32) -> Any:
    return structure.map_structure(lambda v: rng.normal(size=np.shape(v)).astype(dtype), value)


def dropout_masks(tape: dict) -> dict:
    """The masks a DropoutWrapper step recorded."""
    return {kind: tape[kind] for kind in ("input", "state", "output") if kind in tape}


def flat_gradients(d_inputs: Any, d_state: Any, d_weights: list) -> list:
    """backward's results as one list: d_inputs (unless None), the state's leaves, weights."""
    return ([] if d_inputs is None else [d_inputs]) + structure.flatten(d_state) + d_weights


def zip_(*lists: list) -> zip:
    return zip(*lists, strict=True)


def tf_loss(outputs: Any, state: Any, d_outputs: np.ndarray, d_state: Any) -> Any:
    """sum(outputs * d_outputs) + sum(state * d_state): its gradients are d_outputs, d_state."""
    pairs = zip_(tf.nest.flatten(state), structure.flatten(d_state))
    return tf.reduce_sum(outputs * d_outputs) + sum(tf.reduce_sum(s * d) for s, d in pairs)


def np_loss(outputs: Any, state: Any, d_outputs: np.ndarray, d_state: Any) -> float:
    pairs = zip_(structure.flatten(state), structure.flatten(d_state))
    return float(np.sum(outputs * d_outputs) + sum(np.sum(s * d) for s, d in pairs))


def tuple_of(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def assert_close(ours: Any, theirs: Any, atol: float = ATOL) -> None:
    ours, theirs = structure.flatten(tuple_of(ours)), structure.flatten(tuple_of(theirs))
    assert len(ours) == len(theirs)
    for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        b = np.asarray(tf.convert_to_tensor(b))  # an embedding's gradient is IndexedSlices
        assert a.shape == b.shape, (index, a.shape, b.shape)
        assert a.dtype == b.dtype, (index, a.dtype, b.dtype)
        np.testing.assert_allclose(a, b, rtol=0, atol=atol, err_msg=f"array {index}")


def inputs_for(rng: np.random.Generator, depth: int | None, shape: tuple) -> np.ndarray:
    if depth is None:
        return rng.integers(0, CLASSES, size=shape + (1,)).astype(np.int32)
    return rng.normal(size=shape + (depth,)).astype(np.float32)


# --------------------------------------------------------------------------- parity: one step


@pytest.mark.parametrize("name", list(CASES))
def test_step_gradients_match_tensorflow(name: str) -> None:
    np_cell, tf_cell, tf_weights, depth = make_pair(name)
    rng = np.random.default_rng(1)
    x = inputs_for(rng, depth, (B,))[:, 0] if depth is None else inputs_for(rng, depth, (B,))
    state = random_like(rng, np_cell.zero_state(B))
    output, new_state, tape = np_cell.forward(x, state)
    if isinstance(tf_cell, TFDropout):
        tf_cell.masks = [dropout_masks(tape["step"])]
    d_output, d_new_state = random_like(rng, output), random_like(rng, new_state)

    tf_x = tf.constant(x[:, None] if depth is None else x)
    tf_state = [tf.constant(s) for s in structure.flatten(state)]
    with tf.GradientTape() as g:
        g.watch([tf_x] + tf_state)
        tf_output, tf_new_state = tf_cell(
            tf_x, tf.nest.pack_sequence_as(tf_cell.state_size, tf_state)
        )
        loss = tf_loss(tf_output, tf_new_state, d_output, d_new_state)
    sources = ([] if depth is None else [tf_x]) + tf_state + tf_weights()
    expected = g.gradient(loss, sources)

    assert_close(output, tf_output.numpy(), atol=2e-5)
    d_x, d_state, d_weights = np_cell.backward(tape, d_output, d_new_state)
    assert (d_x is None) == (depth is None)
    assert_close(flat_gradients(d_x, d_state, d_weights), expected)


# --------------------------------------------------------------------------- parity: dynamic_rnn

SCENARIOS = {
    # name: (time_major, sequence_length, random initial state)
    "zero-state": (False, None, False),
    "lengths-with-0": (False, [T, 0, 2], True),
    "time-major-short": (True, [3, 1, 0], True),  # every row ends before T
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("name", list(CASES))
def test_dynamic_rnn_gradients_match_tensorflow(name: str, scenario: str) -> None:
    time_major, lengths, given_state = SCENARIOS[scenario]
    np_cell, tf_cell, tf_weights, depth = make_pair(name)
    rng = np.random.default_rng(2)
    x = inputs_for(rng, depth, (T, B) if time_major else (B, T))
    zeros = np_cell.zero_state(B)
    state = random_like(rng, zeros) if given_state else zeros
    outputs, final_state, tape = rn.dynamic_rnn_forward(
        np_cell, x, sequence_length=lengths, initial_state=state if given_state else None,
        dtype=np.float32, time_major=time_major,
    )  # fmt: skip
    if isinstance(tf_cell, TFDropout):
        tf_cell.masks = [dropout_masks(step["step"]) for step in tape["steps"]]
    d_outputs, d_final = random_like(rng, outputs), random_like(rng, final_state)

    tf_x, tf_state = tf.constant(x), [tf.constant(s) for s in structure.flatten(state)]
    with tf.GradientTape() as g:
        g.watch([tf_x] + tf_state)
        tf_outputs, tf_final = tf.compat.v1.nn.dynamic_rnn(
            tf_cell, tf_x, sequence_length=lengths, time_major=time_major,
            initial_state=tf.nest.pack_sequence_as(tf_cell.state_size, tf_state),
        )  # fmt: skip
        loss = tf_loss(tf_outputs, tf_final, d_outputs, d_final)
    sources = ([] if depth is None else [tf_x]) + tf_state + tf_weights()
    expected = g.gradient(loss, sources)

    assert_close(outputs, tf_outputs.numpy(), atol=2e-5)
    d_x, d_state, d_weights = rn.dynamic_rnn_backward(tape, d_outputs, d_final)
    assert (d_x is None) == (depth is None)
    assert_close(flat_gradients(d_x, d_state, d_weights), expected)


# --------------------------------------------------------------------------- finite differences


def numeric_gradient(loss: Any, array: np.ndarray) -> np.ndarray:
    """Central differences of ``loss()`` with respect to each entry of ``array`` (in place)."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        kept = array[index]
        array[index] = kept + FD_EPS
        above = loss()
        array[index] = kept - FD_EPS
        below = loss()
        array[index] = kept
        grad[index] = (above - below) / (2 * FD_EPS)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return 0.0 if scale == 0 else float(np.linalg.norm(analytic - numeric) / scale)


def float64_cell(name: str) -> tuple[rn.RNNCell, int | None]:
    """The case in float64, every weight moved off its initial value."""
    cell = build_np(CASES[name])
    depth = None if name == "Embedding" else D
    cell.build(depth or 1, np.float64)
    rng = np.random.default_rng(3)
    cell.set_weights([w + rng.normal(scale=0.5, size=w.shape) for w in cell.weights])
    return cell, depth


# Dropout masks are drawn afresh at every call, so finite differences need the variational
# (fixed) masks; the per-call masks' backward is the same code, checked against TF above.
FD_CASES = [name for name in CASES if name not in ("Dropout", "Dropout-concat-state")]


@pytest.mark.parametrize("name", FD_CASES)
def test_step_backward_matches_finite_differences(name: str) -> None:
    cell, depth = float64_cell(name)
    rng = np.random.default_rng(4)
    if depth is None:
        x = rng.integers(0, CLASSES, size=B)
    else:
        x = rng.normal(size=(B, depth))
    state = random_like(rng, cell.zero_state(B, np.float64), np.float64)
    output, new_state, tape = cell.forward(x, state)
    d_output = rng.normal(size=output.shape)
    d_new_state = random_like(rng, new_state, np.float64)

    def loss() -> float:
        return np_loss(*cell(x, state), d_output, d_new_state)

    d_x, d_state, d_weights = cell.backward(tape, d_output, d_new_state)
    arrays = ([] if depth is None else [x]) + structure.flatten(state) + cell.weights
    analytic = flat_gradients(d_x, d_state, d_weights)
    errors = [relative_error(a, numeric_gradient(loss, w)) for a, w in zip_(analytic, arrays)]
    assert max(errors) < FD_RTOL, errors


@pytest.mark.parametrize(
    "name, lengths",
    [("LSTM-all", [T, 0, 2]), ("Multi-concat", [1, T, 3]), ("Embedding", None), ("GRU", [2, 4, T])],
)
def test_dynamic_rnn_backward_matches_finite_differences(name: str, lengths: Any) -> None:
    cell, depth = float64_cell(name)
    rng = np.random.default_rng(5)
    if depth is None:
        x = rng.integers(0, CLASSES, size=(B, T, 1))
    else:
        x = rng.normal(size=(B, T, depth))
    state = random_like(rng, cell.zero_state(B, np.float64), np.float64)
    outputs, final, tape = rn.dynamic_rnn_forward(cell, x, lengths, state)
    d_outputs, d_final = rng.normal(size=outputs.shape), random_like(rng, final, np.float64)

    def loss() -> float:
        return np_loss(*rn.dynamic_rnn(cell, x, lengths, state), d_outputs, d_final)

    d_x, d_state, d_weights = rn.dynamic_rnn_backward(tape, d_outputs, d_final)
    arrays = ([] if depth is None else [x]) + structure.flatten(state) + cell.weights
    analytic = flat_gradients(d_x, d_state, d_weights)
    errors = [relative_error(a, numeric_gradient(loss, w)) for a, w in zip_(analytic, arrays)]
    assert max(errors) < FD_RTOL, errors


def test_clips_are_active_in_the_cases_that_test_them() -> None:
    """Clipping only tests something if some values are clipped and some are not."""
    cell, _ = float64_cell("LSTM-all")
    x = np.random.default_rng(4).normal(size=(B, T, D))
    _, _, tape = rn.dynamic_rnn_forward(cell, x)
    for key in ("c_passes", "m_passes"):
        passes = tape["fused"][key]  # [T, B, n]: where the clip let the gradient through
        assert passes.any() and not passes.all(), key


def test_gradients_keep_float32() -> None:
    cell = rn.LSTMCell(H, use_peepholes=True, num_proj=P, seed=0)
    x = np.ones((B, T, D), np.float32)
    outputs, _, tape = rn.dynamic_rnn_forward(cell, x, sequence_length=[1, 2, 3])
    d_x, d_state, d_weights = rn.dynamic_rnn_backward(tape, np.ones_like(outputs))
    assert {a.dtype for a in [d_x, *d_state, *d_weights]} == {np.dtype(np.float32)}


# --------------------------------------------------------------------------- errors


def test_backward_needs_the_tape_of_its_own_forward() -> None:
    cell, other = rn.GRUCell(H, seed=0), rn.GRUCell(H, seed=0)
    x = np.ones((B, D), np.float32)
    _, _, tape = other.forward(x, other.zero_state(B))
    with pytest.raises(ValueError, match="tape returned by GRUCell.forward on the same cell"):
        cell.backward(tape)
    outputs, _, tape = rn.dynamic_rnn_forward(cell, np.ones((B, T, D), np.float32))
    with pytest.raises(ValueError, match="tape returned by dynamic_rnn_forward"):
        rn.dynamic_rnn_backward({"cell": cell})
    with pytest.raises(ValueError, match=r"d_outputs shaped like .*\(3, 5, 5\)"):
        rn.dynamic_rnn_backward(tape, np.ones((T, B, H), np.float32))
    with pytest.raises(ValueError, match="d_final_state shaped like"):
        rn.dynamic_rnn_backward(tape, outputs, (np.ones((B, H), np.float32),))


def test_backward_names_what_it_cannot_differentiate() -> None:
    x = np.ones((B, D), np.float32)
    cell = rn.BasicRNNCell(H, activation=lambda v: np.maximum(v, 0))
    _, _, tape = cell.forward(x, cell.zero_state(B))
    with pytest.raises(TypeError, match="derivatives of np.tanh"):
        cell.backward(tape, np.ones((B, H), np.float32))
    residual = rn.ResidualWrapper(rn.GRUCell(D), residual_fn=lambda i, o: i - o)
    _, _, tape = residual.forward(x, residual.zero_state(B))
    with pytest.raises(TypeError, match="Leave residual_fn unset"):
        residual.backward(tape, np.ones((B, D), np.float32))
