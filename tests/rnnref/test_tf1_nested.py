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
            d_h_out, d_sum = (d_output[0], d_output[1]["sum"]) if nested_output else (d_output, 0)
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


def tf1_session() -> tf.compat.v1.Session:
    """A TF1 session without Grappler's rewrites: they only make a graph faster (the values
    agree within round-off), and for a new small graph in every case they take longer than
    running it does."""
    config = tf.compat.v1.ConfigProto()
    config.graph_options.rewrite_options.disable_meta_optimizer = True
    return tf.compat.v1.Session(config=config)


def tf1_run(build, *values, weights: list | None = None):
    """TF1 as it ran: ``build(*values)`` makes the graph (each of ``values`` a structure of
    arrays, as constants) and returns the tensors to fetch. ``weights``: values for the
    graph's trainable variables, in the order they were made (a TF1 cell's weights)."""
    with tf.Graph().as_default(), tf1_session() as session:
        fetches = build(*tf.nest.map_structure(tf.constant, values))
        session.run(tf.compat.v1.global_variables_initializer())
        if weights is not None:
            variables = tf.compat.v1.trainable_variables()
            session.run([v.assign(w) for v, w in zip(variables, weights, strict=True)])
        return session.run(fetches)


_TF1_RESULTS: dict = {}


@pytest.fixture
def tf1_once(request):
    """``tf1_run`` for a test that runs on both backends: one graph and session for the
    case, shared by its ``np`` and ``tf`` runs, which compare against the same result (the
    key is the case's other parameters, its inputs and its weights)."""
    params = sorted((k, repr(v)) for k, v in request.node.callspec.params.items() if k != "m")

    def run(build, *values, weights: list | None = None):
        arrays = [np.asarray(a) for a in tf.nest.flatten((values, weights or []))]
        key = (request.function.__name__, tuple(params),
               tuple((a.shape, a.dtype.str, a.tobytes()) for a in arrays))  # fmt: skip
        if key not in _TF1_RESULTS:
            _TF1_RESULTS[key] = tf1_run(build, *values, weights=weights)
        return _TF1_RESULTS[key]

    return run


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


def assert_close(got, expected, atol: float = ATOL, rtol: float = 1e-5) -> None:
    tf.nest.assert_same_structure(got, expected, check_types=False)
    for a, b in zip(tf.nest.flatten(got), tf.nest.flatten(expected), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


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
def test_dynamic_rnn_matches_tf1(m, lengths, time_major, tf1_once) -> None:
    w, x, state0 = weights(0), sequence(1, time_major), initial_state(2)

    def tf1(x, state0):
        return NN1.dynamic_rnn(TF1Cell(w), x, lengths, state0, time_major=time_major)

    expected = tf1_once(tf1, x, state0)
    got = m.dynamic_rnn(ours(m, w), x, lengths, state0, time_major=time_major)
    assert_close(got, expected)
    assert isinstance(got[1]["memory"], tuple) and np.ndim(got[1]["memory"][1]) == 0


@both
@pytest.mark.parametrize("lengths", LENGTHS.values(), ids=LENGTHS.keys())
def test_static_rnn_matches_tf1(m, lengths, tf1_once) -> None:
    w, steps = weights(0), steps_of(sequence(3))
    expected = tf1_once(lambda steps: NN1.static_rnn(TF1Cell(w), steps, dtype=tf.float32,
                                                     sequence_length=lengths), steps)  # fmt: skip
    assert_close(m.static_rnn(ours(m, w), steps, dtype=np.float32, sequence_length=lengths),
                 expected)  # fmt: skip


@both
@pytest.mark.parametrize("lengths", LENGTHS.values(), ids=LENGTHS.keys())
@pytest.mark.parametrize("time_major", [False, True], ids=["batch_major", "time_major"])
def test_bidirectional_dynamic_rnn_matches_tf1(m, lengths, time_major, tf1_once) -> None:
    """TF1 reverses the backward outputs as one tensor, so its backward cell's output is h'
    alone; the forward cell's output nests."""
    w_fw, w_bw, x = weights(0), weights(1), sequence(4, time_major)
    states = initial_state(5), initial_state(6)
    expected = tf1_once(lambda x, states: NN1.bidirectional_dynamic_rnn(
        TF1Cell(w_fw), TF1Cell(w_bw, nested_output=False), x, lengths, *states,
        time_major=time_major), x, states)  # fmt: skip
    got = m.bidirectional_dynamic_rnn(ours(m, w_fw), ours(m, w_bw, nested_output=False), x,
                                      lengths, *states, time_major=time_major)  # fmt: skip
    assert_close(got, expected)


@both
def test_bidirectional_dynamic_rnn_reverses_every_part_of_nested_backward_outputs(
    m, tf1_once
) -> None:
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
    assert_close((out_bw, state_bw), tf1_once(tf1, x))


@both
@pytest.mark.parametrize("lengths", LENGTHS.values(), ids=LENGTHS.keys())
def test_static_bidirectional_rnn_matches_tf1(m, lengths, tf1_once) -> None:
    w_fw, w_bw, steps = weights(0), weights(1), steps_of(sequence(8))
    expected = tf1_once(lambda steps: NN1.static_bidirectional_rnn(
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
def test_static_state_saving_rnn_matches_tf1(m, tf1_once) -> None:
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

    expected, expected_saved = tf1_once(tf1, steps)
    saver = m.StateSaver(start)
    got = m.static_state_saving_rnn(ours(m, w), steps, saver, names, lengths)
    assert_close(got, expected)
    assert_close({n: saver.state(n) for n in expected_saved}, expected_saved)


# --------------------------------------------------------------------------- raw_rnn, vs TF1

NP_LOOP = SimpleNamespace(read=lambda x, t: x[min(t, len(x) - 1)], zeros=np.zeros,
                          fill=lambda n, t: np.full(n, t, np.int32))  # fmt: skip
TF_LOOP = SimpleNamespace(read=lambda x, t: tf.gather(x, tf.minimum(t, tf.shape(x)[0] - 1)),
                          zeros=tf.zeros, fill=lambda n, t: tf.fill([n], t))  # fmt: skip


def counting_loop_fn(ops, cell, x, lengths, output_size: int):
    """dynamic_rnn over x [T, B, D] as a loop_fn, which also emits each row's step number
    (an int32 part of the emit structure) and keeps the running sum of the outputs as its
    loop state."""

    def loop_fn(time, cell_output, cell_state, loop_state):
        finished, next_input = time >= lengths, ops.read(x, time)
        if cell_output is None:  # time 0: initial state, emit structure, loop state
            emit = (ops.zeros([output_size], np.float32), {"step": ops.zeros([], np.int32)})
            state = cell.zero_state(B, np.float32)
            return finished, next_input, state, emit, ops.zeros([B, output_size], np.float32)
        emit = (cell_output, {"step": ops.fill(B, time)})
        return finished, next_input, cell_state, emit, loop_state + cell_output

    return loop_fn


def stacked(emitted):
    """rnnref.tf's and TF1's TensorArrays stacked, [T, B, ...]; rnnref.np's as they are."""
    return tf.nest.map_structure(lambda e: e.stack() if hasattr(e, "stack") else e, emitted)


RAW_LENGTHS = {"longest-T": np.array([T, 2, 0], np.int32), "shorter": np.array([3, 1, 2], np.int32)}


@both
@pytest.mark.parametrize("lengths", RAW_LENGTHS.values(), ids=RAW_LENGTHS.keys())
def test_raw_rnn_matches_tf1s_raw_rnn_on_its_legacy_cells(m, lengths, tf1_once) -> None:
    x = np.random.default_rng(11).normal(size=(T, B, D)).astype(np.float32)
    cell = m.LSTMCell(H, use_peepholes=True, num_proj=3, seed=0)
    cell.build(D)

    def tf1(x):
        cell1 = V1.LSTMCell(H, use_peepholes=True, num_proj=3)
        emitted, state, loop_state = NN1.raw_rnn(cell1, counting_loop_fn(TF_LOOP, cell1, x,
                                                                         lengths, 3))  # fmt: skip
        return stacked(emitted), state, loop_state

    expected = tf1_once(tf1, x, weights=[np.asarray(w) for w in cell.weights])
    ops = NP_LOOP if m is rn else TF_LOOP
    emitted, state, loop_state = m.raw_rnn(cell, counting_loop_fn(ops, cell, x, lengths, 3))
    assert_close((stacked(emitted), state, loop_state), expected)
    steps = np.asarray(stacked(emitted)[1]["step"])  # [T', B]: t + 1 while live, then 0
    assert steps.dtype == np.int32 and steps.shape == (max(lengths), B)


def nested_loop_fn(ops, x: Inputs, lengths, state0):
    """The nested cell over nested x [T, B, ...]: emits its outputs, keeps no loop state."""

    def loop_fn(time, cell_output, cell_state, loop_state):
        next_input = tf.nest.map_structure(lambda a: ops.read(a, time), x)
        state = state0 if cell_output is None else cell_state
        return time >= lengths, next_input, state, cell_output, None

    return loop_fn


@both
@pytest.mark.parametrize("lengths", RAW_LENGTHS.values(), ids=RAW_LENGTHS.keys())
def test_raw_rnn_with_nested_inputs_states_and_outputs_matches_tf1(m, lengths, tf1_once) -> None:
    w, x, state0 = weights(0), sequence(12, time_major=True), initial_state(13)

    def tf1(x, state0):
        loop_fn = nested_loop_fn(TF_LOOP, x, lengths, state0)
        emitted, state, loop_state = NN1.raw_rnn(TF1Cell(w), loop_fn)
        assert loop_state is None
        return stacked(emitted), state

    expected = tf1_once(tf1, x, state0)
    loop_fn = nested_loop_fn(NP_LOOP if m is rn else TF_LOOP, x, lengths, state0)
    emitted, state, loop_state = m.raw_rnn(ours(m, w), loop_fn)
    assert loop_state is None
    assert_close((stacked(emitted), state), expected)


# --------------------------------------------------------------------------- NumPy backprop
# In float64, so that round-off (the scalar state's gradient sums B * H * T products) stays
# far below the tolerance and only a wrong derivative could fail.

F64 = {"atol": 1e-9, "rtol": 1e-9}


def f64(value):
    return tf.nest.map_structure(lambda a: np.asarray(a, np.float64), value)


def tf1_gradients(run, values: tuple, d_results):
    """TF1's results of ``run(*values)`` in graph mode, and the gradients of the loss
    sum(d_results * results) with respect to every part of ``values`` and every weight, in
    that order (flat)."""
    with tf.Graph().as_default(), tf1_session() as session:
        constants = tf.nest.map_structure(tf.constant, values)
        results = run(*constants)
        pairs = zip(tf.nest.flatten(results), tf.nest.flatten(d_results), strict=True)
        loss = tf.add_n([tf.reduce_sum(r * d) for r, d in pairs])
        wrt = tf.nest.flatten(constants) + tf.compat.v1.trainable_variables()
        grads = [tf.zeros_like(v) if g is None else g
                 for v, g in zip(wrt, tf.gradients(loss, wrt), strict=True)]  # fmt: skip
        session.run(tf.compat.v1.global_variables_initializer())
        return session.run((results, grads))


def random_like(rng, value):
    return tf.nest.map_structure(lambda v: rng.normal(size=np.shape(v)), value)


@pytest.mark.parametrize("lengths", LENGTHS.values(), ids=LENGTHS.keys())
def test_dynamic_rnn_backprop_matches_tensorflow(lengths) -> None:
    rng = np.random.default_rng(20)
    w, x, state0 = f64(weights(0)), f64(sequence(21)), f64(initial_state(22))
    outputs, state, tape = rn.dynamic_rnn_forward(ours(rn, w), x, lengths, state0)
    d_results = random_like(rng, (outputs, state))
    d_x, d_state0, d_w = rn.dynamic_rnn_backward(tape, *d_results)
    expected, grads = tf1_gradients(
        lambda x, state0: NN1.dynamic_rnn(TF1Cell(w), x, lengths, state0), (x, state0), d_results
    )
    assert_close((outputs, state), expected, **F64)
    assert_close(tf.nest.flatten((d_x, d_state0)) + d_w, grads, **F64)


@pytest.mark.parametrize("lengths", LENGTHS.values(), ids=LENGTHS.keys())
def test_static_rnn_backprop_matches_tensorflow(lengths) -> None:
    rng = np.random.default_rng(23)
    w, steps, state0 = f64(weights(0)), f64(steps_of(sequence(24))), f64(initial_state(25))
    outputs, state, tape = rn.static_rnn_forward(ours(rn, w), steps, state0,
                                                 sequence_length=lengths)  # fmt: skip
    d_results = random_like(rng, (outputs, state))
    d_steps, d_state0, d_w = rn.static_rnn_backward(tape, *d_results)
    expected, grads = tf1_gradients(
        lambda steps, state0: NN1.static_rnn(TF1Cell(w), steps, state0, sequence_length=lengths),
        (steps, state0), d_results,
    )  # fmt: skip
    assert_close((outputs, state), expected, **F64)
    assert_close(tf.nest.flatten((d_steps, d_state0)) + d_w, grads, **F64)


@pytest.mark.parametrize("lengths", LENGTHS.values(), ids=LENGTHS.keys())
@pytest.mark.parametrize("time_major", [False, True], ids=["batch_major", "time_major"])
def test_bidirectional_dynamic_rnn_backprop_matches_tensorflow(lengths, time_major) -> None:
    rng = np.random.default_rng(26)
    w_fw, w_bw, x = f64(weights(0)), f64(weights(1)), f64(sequence(27, time_major))
    states = f64((initial_state(28), initial_state(29)))
    fw, bw = ours(rn, w_fw), ours(rn, w_bw, nested_output=False)
    outputs, finals, tape = rn.bidirectional_dynamic_rnn_forward(
        fw, bw, x, lengths, *states, time_major=time_major
    )
    d_results = random_like(rng, (outputs, finals))
    d_x, d_states, (d_w_fw, d_w_bw) = rn.bidirectional_dynamic_rnn_backward(tape, *d_results)

    def tf1(x, states):
        cells = TF1Cell(w_fw), TF1Cell(w_bw, nested_output=False)
        return NN1.bidirectional_dynamic_rnn(*cells, x, lengths, *states, time_major=time_major)

    expected, grads = tf1_gradients(tf1, (x, states), d_results)
    assert_close((outputs, finals), expected, **F64)
    assert_close(tf.nest.flatten((d_x, d_states)) + d_w_fw + d_w_bw, grads, **F64)


@pytest.mark.parametrize("lengths", LENGTHS.values(), ids=LENGTHS.keys())
def test_static_bidirectional_rnn_backprop_matches_tensorflow(lengths) -> None:
    rng = np.random.default_rng(30)
    w_fw, w_bw, steps = f64(weights(0)), f64(weights(1)), f64(steps_of(sequence(31)))
    states = f64((initial_state(32), initial_state(33)))
    outputs, s_fw, s_bw, tape = rn.static_bidirectional_rnn_forward(
        ours(rn, w_fw), ours(rn, w_bw), steps, *states, sequence_length=lengths
    )
    d_results = random_like(rng, (outputs, s_fw, s_bw))
    d_steps, d_states, (d_w_fw, d_w_bw) = rn.static_bidirectional_rnn_backward(tape, *d_results)

    def tf1(steps, states):
        return NN1.static_bidirectional_rnn(TF1Cell(w_fw), TF1Cell(w_bw), steps, *states,
                                            sequence_length=lengths)  # fmt: skip

    expected, grads = tf1_gradients(tf1, (steps, states), d_results)
    assert_close((outputs, s_fw, s_bw), expected, **F64)
    assert_close(tf.nest.flatten((d_steps, d_states)) + d_w_fw + d_w_bw, grads, **F64)


# --------------------------------------------------------------------------- bad inputs


@both
def test_nested_inputs_must_share_time_and_batch(m) -> None:
    cell, x = ours(m, weights(0)), sequence(40)
    short = Inputs(x.x, {"z": x.extra["z"][:, :2]})
    with pytest.raises(ValueError, match=r"inputs to have the same max_time \(axis 1\)"):
        m.bidirectional_dynamic_rnn(cell, ours(m, weights(1)), short, dtype=np.float32)
    with pytest.raises(ValueError, match="inputs to have the same batch_size"):
        m.dynamic_rnn(cell, Inputs(x.x[:2], x.extra), dtype=np.float32)


@both
def test_an_initial_state_with_other_keys_is_refused(m) -> None:
    state0 = initial_state(41)
    wrong = {"h": state0["h"], "mem": state0["memory"]}
    with pytest.raises(ValueError, match=r"state_size, \{'h': \[B, 4\], 'memory'"):
        m.dynamic_rnn(ours(m, weights(0)), sequence(42), initial_state=wrong)


@both
def test_static_steps_must_nest_and_shape_alike(m) -> None:
    steps = steps_of(sequence(43))
    steps[2] = Inputs(steps[2].x, {"y": steps[2].extra["z"]})
    with pytest.raises(ValueError, match="every time step of inputs nested and shaped like"):
        m.static_rnn(ours(m, weights(0)), steps, dtype=np.float32)
    steps = steps_of(sequence(43))
    steps[1] = Inputs(steps[1].x[:, :1], steps[1].extra)
    with pytest.raises(ValueError, match="Received at step 1"):
        m.static_bidirectional_rnn(ours(m, weights(0)), ours(m, weights(1)), steps,
                                   dtype=np.float32)  # fmt: skip


@both
def test_static_bidirectional_rnn_needs_outputs_of_as_many_parts(m) -> None:
    cells = ours(m, weights(0)), ours(m, weights(1), nested_output=False)
    with pytest.raises(ValueError, match="both cells need outputs of as many parts"):
        m.static_bidirectional_rnn(*cells, steps_of(sequence(44)), dtype=np.float32)


@both
def test_static_state_saving_rnn_checks_its_saver_and_names(m) -> None:
    cell, steps = ours(m, weights(0)), steps_of(sequence(45))
    with pytest.raises(TypeError, match="state_saver to have state"):
        m.static_state_saving_rnn(cell, steps, {"h": 0}, ("h", "c", "s"))
    saver = m.StateSaver(dict(zip("hcs", tf.nest.flatten(initial_state(46)), strict=True)))
    with pytest.raises(ValueError, match="state_name nested like"):
        m.static_state_saving_rnn(cell, steps, saver, ("h", "c"))
    with pytest.raises(ValueError, match="state_name nested like"):
        m.static_state_saving_rnn(cell, steps, saver, "h")


def _loop_fn(m, later: dict | None = None, start: dict | None = None):
    """A loop_fn for the nested cell over 3 steps; ``start`` and ``later`` replace what it
    returns at time 0 and after (by name)."""
    x = sequence(47, time_major=True)
    ops = NP_LOOP if m is rn else TF_LOOP

    def loop_fn(time, cell_output, cell_state, loop_state):
        results = {"finished": time >= np.array([3, 1, 2]),
                   "next_input": tf.nest.map_structure(lambda a: ops.read(a, time), x),
                   "state": initial_state(48) if cell_output is None else cell_state,
                   "emit": cell_output, "loop_state": None}  # fmt: skip
        results.update((start if cell_output is None else later) or {})
        return tuple(results.values())

    return loop_fn


RAW_RNN_ERRORS = {  # name -> (start, later, error, message)
    "finished-ints": ({"finished": np.zeros(B, np.int32)}, None, TypeError,
                      "finished as booleans"),
    "finished-shape": ({"finished": np.zeros((B, 1), bool)}, None, ValueError,
                       r"finished of shape \[batch_size\] = \[3\]"),
    "initial-state": ({"state": initial_state(49)["h"]}, None, ValueError,
                      "structured like its state_size"),
    "state-later": (None, {"state": {"h": np.zeros((B, H), np.float32)}}, ValueError,
                    "next_cell_state at every step to nest like"),
    "emit-later": ({"emit": (np.zeros(H, np.float32), np.zeros(H, np.float32))}, None,
                   ValueError, "emit_output at every step to nest like"),
    "loop-state-later": (None, {"loop_state": np.zeros(B, np.float32)}, ValueError,
                         "keeps no loop state"),
}  # fmt: skip


@both
@pytest.mark.parametrize("case", RAW_RNN_ERRORS.values(), ids=RAW_RNN_ERRORS.keys())
def test_raw_rnn_bad_loop_fn_results(m, case) -> None:
    start, later, error, message = case
    with pytest.raises(error, match=message):
        m.raw_rnn(ours(m, weights(0)), _loop_fn(m, later, start))


@both
def test_raw_rnn_needs_a_function(m) -> None:
    with pytest.raises(TypeError, match="loop_fn to be a function"):
        m.raw_rnn(ours(m, weights(0)), 5)


def test_static_backprop_checks_the_gradients_it_is_given() -> None:
    steps = steps_of(sequence(50))
    outputs, _, tape = rn.static_rnn_forward(ours(rn, weights(0)), steps, dtype=np.float32)
    with pytest.raises(ValueError, match=f"d_outputs as a list of {T} gradients"):
        rn.static_rnn_backward(tape, outputs[:2])
    outputs, *_, tape = rn.static_bidirectional_rnn_forward(
        ours(rn, weights(0)), ours(rn, weights(1)), steps, dtype=np.float32
    )
    flat = [output[0] for output in outputs]  # each step's first part only
    with pytest.raises(ValueError, match="d_outputs shaped like the forward pass's value"):
        rn.static_bidirectional_rnn_backward(tape, flat)


# --------------------------------------------------------------------------- traced


@pytest.mark.parametrize("unroll", ["dynamic", "bidirectional", "raw"])
def test_traced_with_unknown_batch_and_time_as_eager(unroll: str) -> None:
    """rnnref.tf in a tf.function whose batch and time are unknown until run gives what it
    gives eagerly, for nested inputs, states and outputs."""
    cells = ours(rt, weights(0)), ours(rt, weights(1))
    for cell in cells:
        cell.build(D)
    spec = Inputs(tf.TensorSpec([None, None, D]), {"z": tf.TensorSpec([None, None, E])})

    def run(x, lengths):  # x batch-major, or time-major for raw_rnn
        if unroll == "dynamic":
            return rt.dynamic_rnn(cells[0], x, lengths, dtype=tf.float32)
        if unroll == "bidirectional":
            return rt.bidirectional_dynamic_rnn(*cells, x, lengths, dtype=tf.float32)
        state0 = cells[0].zero_state(tf.shape(lengths)[0], tf.float32)
        emitted, state, _ = rt.raw_rnn(cells[0], nested_loop_fn(TF_LOOP, x, lengths, state0))
        return stacked(emitted), state

    traced = tf.function(run, input_signature=[spec, tf.TensorSpec([None], tf.int32)])
    for lengths in RAW_LENGTHS.values():
        x = sequence(60, time_major=unroll == "raw")
        assert_close(traced(x, lengths), run(x, lengths))
