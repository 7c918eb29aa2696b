"""NumPy backprop through ``static_rnn`` and both bidirectional unrolls, against TensorFlow.

As ``test_np_backprop.py`` does for ``dynamic_rnn``: TF1's own cells and unrolls
(``tf.compat.v1.nn``, tf_keras legacy cells) hold the same weights as ours, a
``GradientTape`` differentiates the loss sum(d_outputs * outputs) + sum(d_state * state),
and our backward passes must give the same gradients for the inputs, the initial states
and every weight.
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnref.np as rn  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
V1, NN1 = tf.compat.v1.nn.rnn_cell, tf.compat.v1.nn
B, T, D = 3, 4, 2
ATOL = 2e-5
CELLS = {  # name -> make(namespace)
    "GRU": lambda ns: ns.GRUCell(3),
    "LSTM-all": lambda ns: ns.LSTMCell(3, use_peepholes=True, cell_clip=0.5, num_proj=2),
    "Multi": lambda ns: ns.MultiRNNCell([ns.BasicLSTMCell(3), ns.GRUCell(2)]),
}
LENGTHS = {"no-lengths": None, "lengths": np.array([T, 2, 0], np.int32)}


def pair(name: str, rng: np.random.Generator):
    """The same cell in TF1 and rnnref.np, with TF1's perturbed weights copied into ours."""
    tf1, ours = CELLS[name](V1), CELLS[name](rn)
    tf1(tf.zeros([B, D]), tf1.zero_state(B, tf.float32))
    for w in tf1.weights:
        w.assign(w + rng.normal(scale=0.3, size=w.shape).astype(np.float32))
    ours.build(D)
    ours.set_weights([w.numpy() for w in tf1.weights])
    return tf1, ours


def random_like(rng, value):
    return tf.nest.map_structure(lambda v: rng.normal(size=np.shape(v)).astype(np.float32), value)


def loss(values, weights):
    pairs = zip(tf.nest.flatten(values), tf.nest.flatten(weights), strict=True)
    return sum(tf.reduce_sum(v * w) for v, w in pairs)


def assert_close(ours, theirs):
    for a, b in zip(tf.nest.flatten(ours), tf.nest.flatten(theirs), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=ATOL)


@pytest.mark.parametrize("lengths", LENGTHS.values(), ids=LENGTHS.keys())
@pytest.mark.parametrize("name", CELLS)
def test_static_rnn_gradients_match_tensorflow(name: str, lengths) -> None:
    rng = np.random.default_rng(0)
    tf1, ours = pair(name, rng)
    steps = [rng.normal(size=(B, D)).astype(np.float32) for _ in range(T)]
    state0 = random_like(rng, tf1.zero_state(B, tf.float32))
    outputs, state, tape = rn.static_rnn_forward(ours, steps, state0, sequence_length=lengths)
    d_outputs, d_state = random_like(rng, outputs), random_like(rng, state)
    d_steps, d_state0, d_weights = rn.static_rnn_backward(tape, d_outputs, d_state)

    x_vars = [tf.Variable(s) for s in steps]
    s_vars = tf.nest.map_structure(tf.Variable, state0)
    with tf.GradientTape() as g:
        out1, state1 = NN1.static_rnn(tf1, x_vars, s_vars, sequence_length=lengths)
        total = loss(out1, d_outputs) + loss(state1, d_state)
    expected = g.gradient(total, [x_vars, tf.nest.flatten(s_vars), tf1.weights])
    assert_close(outputs, out1)
    assert_close(d_steps, expected[0])
    assert_close(tf.nest.flatten(d_state0), expected[1])
    assert_close(d_weights, expected[2])


def _bidirectional_tf1(fw, bw, x, s_fw, s_bw, lengths, time_major):
    return NN1.bidirectional_dynamic_rnn(fw, bw, x, lengths, s_fw, s_bw, time_major=time_major)


@pytest.mark.parametrize("time_major", [False, True], ids=["batch_major", "time_major"])
@pytest.mark.parametrize("lengths", LENGTHS.values(), ids=LENGTHS.keys())
@pytest.mark.parametrize("name", CELLS)
def test_bidirectional_dynamic_rnn_gradients_match_tensorflow(name, lengths, time_major) -> None:
    rng = np.random.default_rng(1)
    (fw1, fw), (bw1, bw) = pair(name, rng), pair("GRU", rng)
    x = rng.normal(size=(T, B, D) if time_major else (B, T, D)).astype(np.float32)
    s_fw = random_like(rng, fw1.zero_state(B, tf.float32))
    s_bw = random_like(rng, bw1.zero_state(B, tf.float32))
    outputs, states, tape = rn.bidirectional_dynamic_rnn_forward(
        fw, bw, x, lengths, s_fw, s_bw, time_major=time_major
    )
    d_outputs, d_states = random_like(rng, outputs), random_like(rng, states)
    d_x, (d_s_fw, d_s_bw), (d_w_fw, d_w_bw) = rn.bidirectional_dynamic_rnn_backward(
        tape, d_outputs, d_states
    )
    x_var = tf.Variable(x)
    fw_vars, bw_vars = tf.nest.map_structure(tf.Variable, (s_fw, s_bw))
    with tf.GradientTape() as g:
        out1, states1 = _bidirectional_tf1(fw1, bw1, x_var, fw_vars, bw_vars, lengths, time_major)
        total = loss(out1, d_outputs) + loss(states1, d_states)
    expected = g.gradient(total, [x_var, tf.nest.flatten((fw_vars, bw_vars)), fw1.weights,
                                  bw1.weights])  # fmt: skip
    assert_close(outputs, out1)
    assert_close(d_x, expected[0])
    assert_close(tf.nest.flatten((d_s_fw, d_s_bw)), expected[1])
    assert_close(d_w_fw, expected[2])
    assert_close(d_w_bw, expected[3])


@pytest.mark.parametrize("lengths", LENGTHS.values(), ids=LENGTHS.keys())
@pytest.mark.parametrize("name", CELLS)
def test_static_bidirectional_rnn_gradients_match_tensorflow(name: str, lengths) -> None:
    rng = np.random.default_rng(2)
    (fw1, fw), (bw1, bw) = pair(name, rng), pair("GRU", rng)
    steps = [rng.normal(size=(B, D)).astype(np.float32) for _ in range(T)]
    outputs, s_fw, s_bw, tape = rn.static_bidirectional_rnn_forward(
        fw, bw, steps, dtype=np.float32, sequence_length=lengths
    )
    d_outputs, d_fw, d_bw = random_like(rng, (outputs, s_fw, s_bw))
    d_steps, _, (d_w_fw, d_w_bw) = rn.static_bidirectional_rnn_backward(tape, d_outputs, d_fw, d_bw)
    x_vars = [tf.Variable(s) for s in steps]
    with tf.GradientTape() as g:
        out1, s_fw1, s_bw1 = NN1.static_bidirectional_rnn(fw1, bw1, x_vars, dtype=tf.float32,
                                                          sequence_length=lengths)  # fmt: skip
        total = loss(out1, d_outputs) + loss((s_fw1, s_bw1), (d_fw, d_bw))
    expected = g.gradient(total, [x_vars, fw1.weights, bw1.weights])
    assert_close(outputs, out1)
    assert_close(d_steps, expected[0])
    assert_close(d_w_fw, expected[1])
    assert_close(d_w_bw, expected[2])
