"""A seeded randomized differential test of both backends against TF1.

Each configuration draws a cell (any of the four, stacks of one or two, dropout that keeps
all and residual wrappers), a dtype, a layout, batch, depth and time sizes (0 steps too)
and sequence lengths. TF1 (``tf.compat.v1.nn.dynamic_rnn`` over tf_keras's legacy cells,
weights copied) is the reference for rnnref.np's outputs and final states in every
configuration, for the gradients of rnnref.np's backward pass and of rnnref.tf's graph in
a share of them, and for rnnref.tf traced with unknown batch and time in a few.
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnref.np as rn  # noqa: E402
import rnnref.tf as rt  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
V1, NN1 = tf.compat.v1.nn.rnn_cell, tf.compat.v1.nn
CONFIGS = 240  # how many configurations; every GRADIENT_EVERY-th also checks gradients
GRADIENT_EVERY, TRACED_EVERY = 8, 40
ATOL = {np.float32: 5e-5, np.float64: 1e-9}


def random_cell(rng: np.random.Generator, depth: int, level: int = 0) -> tuple:
    """A cell spec (class name, kwargs, children) whose inputs have ``depth`` features."""
    kind = rng.choice(["BasicRNNCell", "GRUCell", "BasicLSTMCell", "LSTMCell", "MultiRNNCell",
                       "DropoutWrapper", "ResidualWrapper"][: 4 if level else 7])  # fmt: skip
    units = int(rng.integers(1, 4))
    if kind == "BasicLSTMCell":
        return kind, {"num_units": units, "forget_bias": float(rng.choice([0.0, 1.0])),
                      "state_is_tuple": bool(rng.integers(2))}, ()  # fmt: skip
    if kind == "LSTMCell":
        kwargs = {"num_units": units, "use_peepholes": bool(rng.integers(2)),
                  "state_is_tuple": bool(rng.integers(2))}  # fmt: skip
        if rng.integers(2):
            kwargs["cell_clip"] = float(rng.choice([0.0, 0.3, 1.0]))
        if rng.integers(2):
            kwargs["num_proj"] = int(rng.integers(1, 4))
            if rng.integers(2):
                kwargs["proj_clip"] = 0.2
        return kind, kwargs, ()
    if kind == "MultiRNNCell":
        first = random_cell(rng, depth, level + 1)
        return kind, {}, (first, random_cell(rng, 0, level + 1))[: int(rng.integers(1, 3))]
    if kind == "DropoutWrapper":
        return kind, {}, (random_cell(rng, depth, level + 1),)
    if kind == "ResidualWrapper":
        return kind, {}, (("GRUCell", {"num_units": depth}, ()),)
    return kind, {"num_units": units}, ()


def build(ns, spec: tuple, dtype):
    """The cell ``spec`` describes, from ``ns`` (TF1's or an rnnref backend), its leaf cells
    made with ``dtype=`` as TF1 needs for float64."""
    kind, kwargs, children = spec
    inner = [build(ns, child, dtype) for child in children]
    if kind == "MultiRNNCell":
        return ns.MultiRNNCell(inner)
    if inner:
        return getattr(ns, kind)(*inner, **kwargs)
    return getattr(ns, kind)(**kwargs, dtype=dtype)


def tf1_weights(cell) -> list:
    if isinstance(cell, V1.MultiRNNCell):
        return [w for inner in cell._cells for w in tf1_weights(inner)]
    if isinstance(cell, (V1.ResidualWrapper, V1.DropoutWrapper)):
        return tf1_weights(cell.cell)
    return cell.weights


def config(index: int) -> dict:
    rng = np.random.default_rng(index)
    dtype = [np.float32, np.float64][int(rng.integers(2))]
    B, T, D = int(rng.integers(1, 4)), int(rng.integers(0, 5)), int(rng.integers(1, 4))
    lengths = rng.integers(0, T + 1, size=B).astype(np.int32) if rng.integers(2) else None
    time_major = bool(rng.integers(2))
    shape = (T, B, D) if time_major else (B, T, D)
    return {"spec": random_cell(rng, D), "dtype": dtype, "x": rng.normal(size=shape).astype(dtype),
            "lengths": lengths, "time_major": time_major, "D": D, "B": B, "rng": rng}  # fmt: skip


def make_cells(c: dict) -> tuple:
    tf1, ours, twin = (build(ns, c["spec"], c["dtype"]) for ns in (V1, rn, rt))
    x0 = tf.zeros([c["B"], c["D"]], c["dtype"])
    tf1(x0, tf1.zero_state(c["B"], c["dtype"]))
    weights = [w + c["rng"].normal(scale=0.3, size=w.shape) for w in tf1_weights(tf1)]
    for variable, value in zip(tf1_weights(tf1), weights, strict=True):
        variable.assign(value)
    for cell in (ours, twin):
        cell.build(c["D"], c["dtype"])
        cell.set_weights([np.asarray(w) for w in weights])
    return tf1, ours, twin


def run(m, cell, c: dict, x, state, lengths="config"):
    lengths = c["lengths"] if lengths == "config" else lengths
    return m.dynamic_rnn(cell, x, lengths, state, c["dtype"], time_major=c["time_major"])


def weighted_sum(values, weights):
    """The loss sum(weights * values), whose gradient is ``weights``."""
    pairs = zip(tf.nest.flatten(values), tf.nest.flatten(weights), strict=True)
    return sum(tf.reduce_sum(tf.cast(v * w, tf.float64)) for v, w in pairs if np.size(w))


def assert_close(ours, theirs, dtype, what: str) -> None:
    for a, b in zip(tf.nest.flatten(ours), tf.nest.flatten(theirs), strict=True):
        if np.size(a) == 0 == np.size(b):
            continue  # TF1's outputs for 0 time-major steps are shaped (0,), ours [0, B, H]
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=ATOL[dtype], err_msg=what)


def check(index: int) -> None:
    """Configuration ``index``: the forward pass always, gradients and tracing in a share."""
    c = config(index)
    tf1, ours, twin = make_cells(c)
    dtype, label = c["dtype"], f"config {index}: {c['spec']}"
    zero = tf1.zero_state(c["B"], dtype)
    state = tf.nest.map_structure(lambda v: c["rng"].normal(size=v.shape).astype(dtype), zero)
    x_var, s_vars = tf.Variable(c["x"]), tf.nest.map_structure(tf.Variable, state)
    with tf.GradientTape() as g:
        expected = run(NN1, tf1, c, x_var, s_vars)
        # (TF1 gives float32 outputs for 0 steps of a float64 cell: d_out follows each value.)
        d_out = tf.nest.map_structure(
            lambda v: c["rng"].normal(size=v.shape).astype(v.dtype.as_numpy_dtype), expected
        )
        loss = weighted_sum(expected, d_out)
    assert_close(run(rn, ours, c, c["x"], state), expected, dtype, label)
    if index % GRADIENT_EVERY:
        return
    sources = [x_var, tf.nest.flatten(s_vars), tf1_weights(tf1)]
    expected_grads = g.gradient(loss, sources, unconnected_gradients="zero")
    *_, tape = rn.dynamic_rnn_forward(ours, c["x"], c["lengths"], state,
                                      time_major=c["time_major"])  # fmt: skip
    d_outputs = d_out[0] if np.size(d_out[0]) else None  # TF1's (0,)-shaped empty outputs
    d_x, d_state, d_w = rn.dynamic_rnn_backward(tape, d_outputs, d_out[1])
    assert_close([d_x, tf.nest.flatten(d_state), d_w], expected_grads, dtype, label)
    with tf.GradientTape() as g2:
        twin_loss = weighted_sum(run(rt, twin, c, x_var, s_vars), d_out)
    twin_sources = [x_var, tf.nest.flatten(s_vars), twin.weights]
    twin_grads = g2.gradient(twin_loss, twin_sources, unconnected_gradients="zero")
    assert_close(twin_grads, expected_grads, dtype, f"rnnref.tf {label}")
    if index % TRACED_EVERY:
        return
    traced = tf.function(lambda x: run(rt, twin, c, x, None, None)[0],
                         input_signature=[tf.TensorSpec([None, None, c["D"]], dtype)])  # fmt: skip
    untraced = run(NN1, tf1, c, tf.constant(c["x"]), None, None)[0]
    assert_close(traced(c["x"]), untraced, dtype, f"traced {label}")


@pytest.mark.parametrize("chunk", range(4))
def test_random_configurations_match_tf1(chunk: int) -> None:
    for index in range(chunk, CONFIGS, 4):
        check(index)
