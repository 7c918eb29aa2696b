"""A user's cell with nested inputs, states and outputs through every TF1 unroll.

TF1's ``nest`` lets a user's ``RNNCell`` take nested inputs (tuples, namedtuples, dicts)
and keep nested, scalar and unbalanced states and outputs. One such cell is written here
three times from one step function: for ``rnnref.np`` (with its backward pass), for
``rnnref.tf``, and as a ``tf.compat.v1.nn.rnn_cell.RNNCell`` subclass, all holding the same
weights. Each unroll's results on both backends are compared with TF1's, NumPy's
gradients with TensorFlow's, and ``raw_rnn`` with TF1's own on its legacy cells.
"""

import os
from collections import namedtuple
from types import SimpleNamespace

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnref.np as rn  # noqa: E402
import rnnref.tf as rt  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
tf.get_logger().setLevel("ERROR")

V1, NN1 = tf.compat.v1.nn.rnn_cell, tf.compat.v1.nn
BACKENDS = {"np": rn, "tf": rt}
both = pytest.mark.parametrize("m", BACKENDS.values(), ids=BACKENDS.keys())
B, T, D, E, H = 3, 5, 2, 3, 4
ATOL = 2e-5

# A step's inputs: x [B, D] and, nested in a dict, z [B, E]. TF1's static unrolls find the
# batch through the first step's first part, so the outer level is a (named) tuple.
Inputs = namedtuple("Inputs", ("x", "extra"))
# State: h [B, H] and a memory of c [B, H] and a scalar s (no batch axis); output: h and
# a dict, nested otherwise than the state (unbalanced).
STATE_SIZE = {"h": H, "memory": (H, tf.TensorShape([]))}
OUTPUT_SIZE = (H, {"sum": H})
NP_OPS = SimpleNamespace(tanh=np.tanh, sigmoid=lambda a: 1 / (1 + np.exp(-a)))
TF_OPS = SimpleNamespace(tanh=tf.tanh, sigmoid=tf.sigmoid)


def step(ops, w_x, w_h, w_z, inputs, state):
    """The cell:  h' = tanh(x W_x + h W_h + s c),  c' = c * sigmoid(z W_z) + h',
    s' = s / 2 + 1;  output (h', {"sum": c' + h'}), state {"h": h', "memory": (c', s')}."""
    x, z = inputs.x, inputs.extra["z"]
    h, (c, s) = state["h"], state["memory"]
    new_h = ops.tanh(x @ w_x + h @ w_h + s * c)
    new_c = c * ops.sigmoid(z @ w_z) + new_h
    new_s = s / 2 + 1
    return (new_h, {"sum": new_c + new_h}), {"h": new_h, "memory": (new_c, new_s)}


def zero_state(zeros, batch_size, dtype):
    return {"h": zeros([batch_size, H], dtype),
            "memory": (zeros([batch_size, H], dtype), zeros([], dtype))}  # fmt: skip


WEIGHTS = ("w_x", (D, H)), ("w_h", (H, H)), ("w_z", (E, H))


def weights(seed: int) -> list:
    rng = np.random.default_rng(seed)
    return [rng.normal(scale=0.5, size=shape).astype(np.float32) for _, shape in WEIGHTS]


def ours(m, values: list, nested_output: bool = True):
    """The cell for rnnref backend ``m``, with weights ``values``; rnnref.np's has its
    backward pass (the step's equations differentiated by hand). ``nested_output=False``:
    the output is h' alone."""

    class Cell(m.RNNCell):
        state_size = property(lambda self: STATE_SIZE)
        output_size = property(lambda self: OUTPUT_SIZE if nested_output else H)

        def _variables(self, input_depth):
            return [(name, shape, lambda rng, shape, dtype, v=v: v.astype(dtype))
                    for (name, shape), v in zip(WEIGHTS, values, strict=True)]  # fmt: skip

        def zero_state(self, batch_size, dtype=np.float32):
            return zero_state(np.zeros if m is rn else tf.zeros, batch_size, dtype)

        def call(self, inputs, state, tape=None):
            w = [self._params[name] for name, _ in WEIGHTS]
            output, new_state = step(NP_OPS if m is rn else TF_OPS, *w, inputs, state)
            if tape is not None:
                tape.update(inputs=inputs, state=state, new_state=new_state)
            return (output if nested_output else output[0]), new_state

        def _backward(self, tape, d_output, d_state):
            w_x, w_h, w_z = (self._params[name] for name, _ in WEIGHTS)
            x, z = tape["inputs"].x, tape["inputs"].extra["z"]
            h, (c, s) = tape["state"]["h"], tape["state"]["memory"]
            new_h = tape["new_state"]["h"]
            g = NP_OPS.sigmoid(z @ w_z)
            d_h_out, d_sum = d_output if nested_output else (d_output, 0)
            d_new_c = d_state["memory"][0] + d_sum
            d_new_h = d_state["h"] + d_h_out + d_sum + d_new_c
            d_a = d_new_h * (1 - new_h**2)  # a = x W_x + h W_h + s c
            d_zw = d_new_c * c * g * (1 - g)  # z W_z
            d_inputs = Inputs(d_a @ w_x.T, {"z": d_zw @ w_z.T})
            d_s = np.sum(d_a * c) + d_state["memory"][1] / 2
            d_prev = {"h": d_a @ w_h.T, "memory": (d_a * s + d_new_c * g, d_s)}
            return d_inputs, d_prev, [x.T @ d_a, h.T @ d_a, z.T @ d_zw]

    return Cell()


class TF1Cell(V1.RNNCell):
    """The same cell as TF1 code writes one: an ``RNNCell`` subclass holding its variables."""

    def __init__(self, values: list, nested_output: bool = True):
        super().__init__()
        self.w = [tf.Variable(v) for v in values]
        self.nested_output = nested_output

    state_size = property(lambda self: STATE_SIZE)
    output_size = property(lambda self: OUTPUT_SIZE if self.nested_output else H)

    def zero_state(self, batch_size, dtype):
        return zero_state(tf.zeros, batch_size, dtype)

    def call(self, inputs, state):
        output, new_state = step(TF_OPS, *self.w, inputs, state)
        return (output if self.nested_output else output[0]), new_state


def tf1_run(build, *values):
    """TF1 as it ran: ``build(*values)`` makes the graph (each of ``values`` a structure of
    arrays, as constants) and returns the tensors to fetch."""
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        fetches = build(*tf.nest.map_structure(tf.constant, values))
        session.run(tf.compat.v1.global_variables_initializer())
        return session.run(fetches)


def sequence(seed: int, time_major: bool = False) -> Inputs:
    rng = np.random.default_rng(seed)
    shape = (T, B) if time_major else (B, T)
    return Inputs(rng.normal(size=(*shape, D)).astype(np.float32),
                  {"z": rng.normal(size=(*shape, E)).astype(np.float32)})  # fmt: skip


def steps_of(x: Inputs) -> list:
    """Batch-major nested inputs -> T nested steps."""
    return [tf.nest.map_structure(lambda a, t=t: a[:, t], x) for t in range(x.x.shape[1])]


def initial_state(seed: int):
    rng = np.random.default_rng(seed)
    return {"h": rng.normal(size=(B, H)).astype(np.float32),
            "memory": (rng.normal(size=(B, H)).astype(np.float32), np.float32(0.5))}  # fmt: skip


def assert_close(got, expected) -> None:
    tf.nest.assert_same_structure(got, expected, check_types=False)
    for a, b in zip(tf.nest.flatten(got), tf.nest.flatten(expected), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=ATOL)


LENGTHS = {"no-lengths": None, "lengths": np.array([T, 2, 0], np.int32),
           "short": np.array([3, 2, 0], np.int32)}  # fmt: skip


# --------------------------------------------------------------------------- structures


def test_structures_flatten_and_pack_as_tfs_nest() -> None:
    from rnnref import structure

    value = {"b": (1, Inputs(2, {"z": 3, "a": 4})), "a": 5}
    assert structure.flatten(value) == tf.nest.flatten(value)
    rebuilt = structure.pack_like(value, list(range(5)))
    assert rebuilt == tf.nest.pack_sequence_as(value, list(range(5)))
    assert list(rebuilt) == ["b", "a"] and isinstance(rebuilt["b"][1], Inputs)
    assert not structure.same_structure({"a": 1}, {"b": 1})


# --------------------------------------------------------------------------- forward, vs TF1


@both
@pytest.mark.parametrize("lengths", LENGTHS.values(), ids=LENGTHS.keys())
@pytest.mark.parametrize("time_major", [False, True], ids=["batch_major", "time_major"])
def test_dynamic_rnn_matches_tf1(m, lengths, time_major) -> None:
    w, x, state0 = weights(0), sequence(1, time_major), initial_state(2)
    def tf1(x, state0):
        return NN1.dynamic_rnn(TF1Cell(w), x, lengths, state0, time_major=time_major)

    expected = tf1_run(tf1, x, state0)
    got = m.dynamic_rnn(ours(m, w), x, lengths, state0, time_major=time_major)
    assert_close(got, expected)
    assert isinstance(got[1]["memory"], tuple) and np.ndim(got[1]["memory"][1]) == 0


@both
@pytest.mark.parametrize("lengths", LENGTHS.values(), ids=LENGTHS.keys())
def test_static_rnn_matches_tf1(m, lengths) -> None:
    w, steps = weights(0), steps_of(sequence(3))
    expected = tf1_run(lambda steps: NN1.static_rnn(TF1Cell(w), steps, dtype=tf.float32,
                                                    sequence_length=lengths), steps)  # fmt: skip
    assert_close(m.static_rnn(ours(m, w), steps, dtype=np.float32, sequence_length=lengths),
                 expected)  # fmt: skip


@both
@pytest.mark.parametrize("lengths", LENGTHS.values(), ids=LENGTHS.keys())
@pytest.mark.parametrize("time_major", [False, True], ids=["batch_major", "time_major"])
def test_bidirectional_dynamic_rnn_matches_tf1(m, lengths, time_major) -> None:
    """TF1 reverses the backward outputs as one tensor, so its backward cell's output is h'
    alone; the forward cell's output nests."""
    w_fw, w_bw, x = weights(0), weights(1), sequence(4, time_major)
    states = initial_state(5), initial_state(6)
    expected = tf1_run(lambda x, states: NN1.bidirectional_dynamic_rnn(
        TF1Cell(w_fw), TF1Cell(w_bw, nested_output=False), x, lengths, *states,
        time_major=time_major), x, states)  # fmt: skip
    got = m.bidirectional_dynamic_rnn(ours(m, w_fw), ours(m, w_bw, nested_output=False), x,
                                      lengths, *states, time_major=time_major)  # fmt: skip
    assert_close(got, expected)


@both
def test_bidirectional_dynamic_rnn_reverses_every_part_of_nested_backward_outputs(m) -> None:
    """Beyond TF1 (which fails on them): each part is reversed as TF1 reverses one tensor."""
    w_fw, w_bw, x, lengths = weights(0), weights(1), sequence(7), LENGTHS["short"]

    def tf1(x):
        reverse = lambda a: tf.reverse_sequence(a, lengths, seq_axis=1, batch_axis=0)  # noqa: E731
        outputs, state = NN1.dynamic_rnn(TF1Cell(w_bw), tf.nest.map_structure(reverse, x),
                                         lengths, dtype=tf.float32)  # fmt: skip
        return tf.nest.map_structure(reverse, outputs), state

    (_, out_bw), (_, state_bw) = m.bidirectional_dynamic_rnn(
        ours(m, w_fw), ours(m, w_bw), x, lengths, dtype=np.float32
    )
    assert_close((out_bw, state_bw), tf1_run(tf1, x))


@both
@pytest.mark.parametrize("lengths", LENGTHS.values(), ids=LENGTHS.keys())
def test_static_bidirectional_rnn_matches_tf1(m, lengths) -> None:
    w_fw, w_bw, steps = weights(0), weights(1), steps_of(sequence(8))
    expected = tf1_run(lambda steps: NN1.static_bidirectional_rnn(
        TF1Cell(w_fw), TF1Cell(w_bw), steps, dtype=tf.float32, sequence_length=lengths),
        steps)  # fmt: skip
    got = m.static_bidirectional_rnn(ours(m, w_fw), ours(m, w_bw), steps, dtype=np.float32,
                                     sequence_length=lengths)  # fmt: skip
    assert_close(got, expected)
    assert np.shape(got[0][0][1]["sum"]) == (B, 2 * H)


class TF1Saver:
    """A state saver for TF1's ``static_state_saving_rnn`` in graph mode: states by name,
    what it saves kept as tensors to fetch."""

    def __init__(self, states: dict):
        self.states, self.saved = states, {}

    def state(self, name):
        return tf.constant(self.states[name])

    def save_state(self, name, value):
        self.saved[name] = value
        return tf.identity(value)


@both
def test_static_state_saving_rnn_matches_tf1(m) -> None:
    """Names nested otherwise than the state (TF1 asks only one name per part); the state
    takes the cell's nesting, and each part is saved under its name."""
    w, steps, state0 = weights(0), steps_of(sequence(9)), initial_state(10)
    names = ("h", ("c", "s"))
    start = dict(zip(("h", "c", "s"), tf.nest.flatten(state0), strict=True))
    lengths = LENGTHS["short"]

    def tf1(steps):
        saver = TF1Saver(start)
        result = NN1.static_state_saving_rnn(TF1Cell(w), steps, saver, names, lengths)
        return result, saver.saved

    expected, expected_saved = tf1_run(tf1, steps)
    saver = m.StateSaver(start)
    got = m.static_state_saving_rnn(ours(m, w), steps, saver, names, lengths)
    assert_close(got, expected)
    assert_close({n: saver.state(n) for n in expected_saved}, expected_saved)
