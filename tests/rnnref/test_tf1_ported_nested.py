"""TensorFlow's own tests of nested structures and of ``raw_rnn``, ported to both backends.

Each test names its source in TF r1.15 (file :: class.test) and checks the same
expectation, written anew for rnnref: TF feeds placeholders in a session, these tests pass
arrays. Where TF compares two of its unrolls with each other, the test also checks the
values the cell's definition gives.
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
BACKENDS = {"np": rn, "tf": rt}
both = pytest.mark.parametrize("m", BACKENDS.values(), ids=BACKENDS.keys())


def nested_plus_one_cell(m):
    """TF's ``NestedRNNCell``: inputs (x, y) [B, 5], output (x + 1, y + 1), state (h, c)
    [B, 6] each, new state (h + 1, c + 1). No weights."""

    class NestedRNNCell(m.RNNCell):
        state_size = property(lambda self: (6, 6))
        output_size = property(lambda self: (5, 5))

        def call(self, inputs, state):
            (x, y), (h, c) = inputs, state
            return (x + 1, y + 1), (h + 1, c + 1)

    return NestedRNNCell()


def arr(value):
    return tf.nest.map_structure(np.asarray, value)


# tensorflow/python/kernel_tests/rnn_test.py :: NestedLSTMTest.testNestedIOLSTMAllRNNContainers
@both
def test_nested_io_through_all_rnn_containers(m) -> None:
    batch, depth, max_length, lengths = 2, 5, 8, np.array([4, 6])
    rng = np.random.default_rng(23489)
    step = tuple(rng.normal(size=(batch, depth)).astype(np.float32) for _ in range(2))
    steps = max_length * [step]
    stacked = tuple(np.stack([s[i] for s in steps]) for i in range(2))  # 2 x [T, B, 5]
    cell = nested_plus_one_cell(m)
    out_dynamic, state_dynamic = m.dynamic_rnn(cell, stacked, lengths, dtype=np.float32,
                                               time_major=True)  # fmt: skip
    out_static, state_static = m.static_rnn(cell, steps, dtype=np.float32, sequence_length=lengths)
    out_bid, state_fw, state_bw = m.static_bidirectional_rnn(
        cell, cell, steps, dtype=np.float32, sequence_length=lengths
    )
    zeros = np.zeros((batch, 6), np.float32)
    saver = m.StateSaver({"h": zeros, "c": zeros})
    out_saving, state_saving = m.static_state_saving_rnn(cell, steps, saver, ("h", "c"), lengths)

    static = np.asarray(arr(out_static))  # [T, 2, B, 5]
    np.testing.assert_array_equal(static, np.transpose(np.asarray(arr(out_dynamic)), (1, 0, 2, 3)))
    np.testing.assert_array_equal(static, np.asarray(arr(out_saving)))
    doubled = np.concatenate([static, static], axis=3)  # every step's input is the same
    np.testing.assert_array_equal(np.asarray(arr(out_bid)), doubled)
    for state in (state_dynamic, state_saving, state_fw, state_bw):
        np.testing.assert_array_equal(np.hstack(arr(state)), np.hstack(arr(state_static)))
    # And what the cell's definition gives: input + 1 while live, else 0; state = length.
    live = (np.arange(max_length)[:, None] < lengths)[:, None, :, None]  # [T, 1, B, 1]
    np.testing.assert_allclose(static, np.where(live, np.asarray(step)[None] + 1, 0), rtol=1e-6)
    per_row = np.repeat(lengths, 12).reshape(batch, 12)  # h and c count the live steps
    np.testing.assert_array_equal(np.hstack(arr(state_static)), per_row)


def _loop_fn(m, cell, inputs, lengths):
    """TF's loop_fn: dynamic_rnn over inputs [T, B, D] with lengths; a dummy zero input once
    every row is finished."""
    batch, depth = inputs.shape[1:]

    def loop_fn(time, cell_output, cell_state, loop_state):
        state = cell.zero_state(batch, np.float32) if cell_output is None else cell_state
        finished = time >= lengths
        if m is rn:
            next_input = np.zeros((batch, depth), np.float32) if finished.all() else inputs[time]
        else:
            next_input = tf.cond(tf.reduce_all(finished), lambda: tf.zeros([batch, depth]),
                                 lambda: tf.gather(inputs, time))  # fmt: skip
        return finished, next_input, state, cell_output, None

    return loop_fn


def _raw_and_dynamic(m, max_time: int, inputs=None):
    """TF's _testRawRNN: the same LSTMCell through raw_rnn and dynamic_rnn."""
    rng = np.random.default_rng(23489)
    batch, depth = 16, 4
    x = rng.normal(size=(max_time, batch, depth)).astype(np.float32) if inputs is None else inputs
    lengths = np.zeros(batch, np.int32) if max_time == 0 else rng.integers(max_time, size=batch)
    lengths[0] = max_time  # so that raw_rnn runs as many steps as dynamic_rnn has
    cell = m.LSTMCell(3, seed=0)
    cell.build(depth)
    emitted, state, _ = m.raw_rnn(cell, _loop_fn(m, cell, x, lengths))
    raw = (emitted if m is rn else emitted.stack()), state
    return cell, raw, m.dynamic_rnn(cell, x, lengths, time_major=True, dtype=np.float32)


# tensorflow/python/kernel_tests/rnn_test.py :: RawRNNTest.testRawRNN, testRawRNNZeroLength
@both
@pytest.mark.parametrize("max_time", [10, 0])
def test_raw_rnn_equals_dynamic_rnn(m, max_time: int) -> None:
    _, raw, dynamic = _raw_and_dynamic(m, max_time)
    assert np.shape(raw[0]) == np.shape(dynamic[0]) == (max_time, 16, 3)
    for a, b in zip(tf.nest.flatten(raw), tf.nest.flatten(dynamic), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-6)


# tensorflow/python/kernel_tests/rnn_test.py :: RawRNNTest.testRawRNN, its gradients (TF
# differentiates; rnnref.np's raw_rnn has no backward pass)
def test_raw_rnn_gradients_equal_dynamic_rnns() -> None:
    x = tf.Variable(np.random.default_rng(1).normal(size=(10, 16, 4)).astype(np.float32))
    with tf.GradientTape(persistent=True) as tape:
        cell, raw, dynamic = _raw_and_dynamic(rt, 10, inputs=x)
        totals = [sum(tf.reduce_sum(v) for v in tf.nest.flatten(r)) for r in (raw, dynamic)]
    raw_grads, dynamic_grads = (tape.gradient(t, [x, *cell.weights]) for t in totals)
    for a, b in zip(raw_grads, dynamic_grads, strict=True):
        np.testing.assert_allclose(tf.convert_to_tensor(a), tf.convert_to_tensor(b), atol=1e-5)


def _counting_loop_fn(m, cell, max_time: int, next_loop_state, first_loop_state):
    """TF's loop_fns for the loop-state tests: every row finishes at max_time."""
    batch, depth = 16, 4
    x = np.random.default_rng(2).normal(size=(max_time, batch, depth)).astype(np.float32)

    def loop_fn(time, cell_output, cell_state, loop_state):
        if cell_output is None:
            loop_state, state = first_loop_state(), cell.zero_state(batch, np.float32)
        else:
            loop_state, state = next_loop_state(time, loop_state), cell_state
        finished = (np.full(batch, time >= max_time) if m is rn
                    else tf.tile([time >= max_time], [batch]))  # fmt: skip
        step = np.minimum(time, max_time - 1)
        next_input = x[step] if m is rn else tf.gather(x, step)
        return finished, next_input, state, cell_output, loop_state

    return loop_fn


# tensorflow/python/kernel_tests/rnn_test.py :: RawRNNTest.testLoopState
@both
def test_raw_rnn_loop_state(m) -> None:
    cell = m.LSTMCell(3, seed=0)
    loop_fn = _counting_loop_fn(m, cell, 10, lambda time, count: count + 1,
                                lambda: np.array([0], np.int32))  # fmt: skip
    *_, loop_state = m.raw_rnn(cell, loop_fn)
    np.testing.assert_array_equal(np.asarray(loop_state), [10])


# tensorflow/python/kernel_tests/rnn_test.py :: RawRNNTest.testLoopStateWithTensorArray
def test_raw_rnn_loop_state_with_tensor_array() -> None:
    def first():
        ta = tf.TensorArray(tf.int32, size=0, dynamic_size=True, clear_after_read=False)
        return ta.write(0, 1)

    def later(time, ta):
        return ta.write(time, ta.read(time - 1) + time)

    cell = rt.LSTMCell(3, seed=0)
    *_, loop_state = rt.raw_rnn(cell, _counting_loop_fn(rt, cell, 4, later, first))
    np.testing.assert_array_equal(loop_state.stack().numpy(), [1, 2, 2 + 2, 4 + 3, 7 + 4])


# tensorflow/python/kernel_tests/rnn_test.py :: RawRNNTest.testEmitDifferentStructureThanCellOutput
@both
def test_raw_rnn_emits_a_structure_other_than_the_cells_output(m) -> None:
    max_time, batch, depth, unknown_dim = 10, 16, 4, 1
    x = np.random.default_rng(3).normal(size=(max_time, batch, depth)).astype(np.float32)
    cell = m.LSTMCell(3, seed=0)

    def loop_fn(time, cell_output, cell_state, _):
        if cell_output is None:  # one row of each emitted part: [2, 3] int32, [1] int64
            emit = (np.zeros([2, 3], np.int32), np.zeros([unknown_dim], np.int64))
            state = cell.zero_state(batch, np.float32)
        else:
            emit = (np.ones([batch, 2, 3], np.int32), np.ones([batch, unknown_dim], np.int64))
            state = cell_state
        finished = (np.full if m is rn else tf.fill)([batch], time >= max_time)
        step = np.minimum(time, max_time - 1)
        return finished, (x[step] if m is rn else tf.gather(x, step)), state, emit, None

    emitted, _, _ = m.raw_rnn(cell, loop_fn)
    assert len(emitted) == 2
    values = [np.asarray(e if m is rn else e.stack()) for e in emitted]
    assert [v.dtype for v in values] == [np.int32, np.int64]
    np.testing.assert_array_equal(values[0], np.ones((max_time, batch, 2, 3), np.int32))
    np.testing.assert_array_equal(values[1], np.ones((max_time, batch, unknown_dim), np.int64))


# tensorflow/python/kernel_tests/rnn_test.py :: RawRNNTest.testRawRNNScope (the scope given
# as a name; rnnref has no variable_scope objects)
@both
@pytest.mark.parametrize("scope, prefix", [("prefix", "prefix/"), (None, "rnn/")])
def test_raw_rnn_scope(m, scope, prefix: str) -> None:
    x = np.zeros((10, 16, 4), np.float32)
    cell = m.LSTMCell(3)
    m.raw_rnn(cell, _loop_fn(m, cell, x, np.full(16, 10)), scope=scope)
    assert cell.weight_names and all(n.startswith(prefix) for n in cell.weight_names)
