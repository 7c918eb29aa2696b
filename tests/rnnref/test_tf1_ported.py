"""TensorFlow's own tests of its TF1 RNN cells, ported to run on both rnnref backends.

Each test names its source in TF r1.15 (file :: class.test) and checks the same
expectation. TF's tests build their cells under ``variable_scope("root",
initializer=constant_initializer(0.5))``; ``tf1_root_weights`` gives our cells the same
weights (0.5 everywhere, except biases with an initializer of their own in TF1: GRU gate
biases 1.0, other biases 0). Where TF hard-codes a number, the test computes it from the
equations (a comment gives the arithmetic) and also checks TF's printed digits.
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnref.np as rn  # noqa: E402
import rnnref.tf as rt  # noqa: E402
from rnnref.structure import LSTMStateTuple  # noqa: E402

BACKENDS = {"np": rn, "tf": rt}
pytestmark = pytest.mark.parametrize("m", BACKENDS.values(), ids=BACKENDS.keys())


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + np.exp(-x))


def tf1_root_weights(cell, depth: int):
    """Build ``cell`` for inputs of ``depth`` with TF's test weights (see the docstring)."""
    cell.build(depth)

    def value(name: str) -> float:
        if name.endswith("gates/bias"):
            return 1.0
        return 0.0 if name.endswith("bias") else 0.5

    cell.set_weights(
        [
            np.full(np.shape(w), value(n), np.float32)
            for n, w in zip(cell.weight_names, cell.weights, strict=True)
        ]
    )
    return cell


def ones(*shape):
    return np.ones(shape, np.float32)


def arr(value):
    return tf.nest.map_structure(np.asarray, value)


def gru_step(x_sum: float, h: float, n_x: int, n_h: int) -> float:
    """One GRU unit with TF's test weights: every input and state entry equal.

    r = u = sigmoid(0.5 (sum x + n_h h) + 1); c = tanh(0.5 sum x + 0.5 n_h r h);
    new_h = u h + (1 - u) c.
    """
    r = u = sigmoid(0.5 * (x_sum + n_h * h) + 1.0)
    c = np.tanh(0.5 * x_sum + 0.5 * n_h * r * h)
    return u * h + (1 - u) * c


# tensorflow/python/kernel_tests/rnn_cell_test.py :: RNNCellTest.testBasicRNNCell
def test_basic_rnn_cell(m) -> None:
    cell = tf1_root_weights(m.BasicRNNCell(2), 2)
    out, state = arr(cell(ones(1, 2), 0.1 * ones(1, 2)))
    assert out.shape == (1, 2)  # TF's check (a smoke test); the value: tanh(0.5 (1 + 1 + 0.2))
    np.testing.assert_allclose(out, np.tanh(0.5 * 2.2), rtol=1e-6)
    np.testing.assert_array_equal(out, state)


# tensorflow/python/kernel_tests/rnn_cell_test.py :: RNNCellTest.testGRUCell
@pytest.mark.parametrize("depth, tf_value", [(2, 0.175991), (3, 0.156736)])
def test_gru_cell(m, depth: int, tf_value: float) -> None:
    cell = tf1_root_weights(m.GRUCell(2), depth)
    out, _ = arr(cell(ones(1, depth), 0.1 * ones(1, 2)))
    expected = gru_step(depth, 0.1, depth, 2)
    np.testing.assert_allclose(out, [[expected, expected]], rtol=1e-6)
    np.testing.assert_allclose(out, [[tf_value, tf_value]], atol=1e-6)


# tensorflow/python/kernel_tests/rnn_cell_test.py :: RNNCellTest.testBasicLSTMCell
def test_basic_lstm_cell_stack(m) -> None:
    layers = [m.BasicLSTMCell(2, state_is_tuple=False) for _ in range(2)]
    cell = tf1_root_weights(m.MultiRNNCell(layers, state_is_tuple=False), 2)
    out, mem = arr(cell(ones(1, 2), 0.1 * ones(1, 8)))
    # layer 1: every gate's pre-activation z = 0.5 (1 + 1 + 0.1 + 0.1) = 1.1
    c1 = 0.1 * sigmoid(1.1 + 1.0) + sigmoid(1.1) * np.tanh(1.1)
    h1 = np.tanh(c1) * sigmoid(1.1)
    z2 = 0.5 * (2 * h1 + 0.2)  # layer 2 reads h1
    c2 = 0.1 * sigmoid(z2 + 1.0) + sigmoid(z2) * np.tanh(z2)
    h2 = np.tanh(c2) * sigmoid(z2)
    np.testing.assert_allclose(mem, [[c1, c1, h1, h1, c2, c2, h2, h2]], rtol=1e-6)
    np.testing.assert_allclose(mem[0, :2], 0.68967271, atol=1e-6)  # TF's expected_mem
    np.testing.assert_allclose(out, [[h2, h2]], rtol=1e-6)
    # TF checks the variable names: root/multi_rnn_cell/cell_0/basic_lstm_cell/kernel:0, ...
    assert cell.weight_names == [
        f"multi_rnn_cell/cell_{k}/basic_lstm_cell/{v}" for k in (0, 1) for v in ("kernel", "bias")
    ]


# tensorflow/python/kernel_tests/rnn_cell_test.py :: RNNCellTest.testBasicLSTMCellDimension0Error
def test_basic_lstm_cell_dimension_0_error(m) -> None:
    cell = m.BasicLSTMCell(2, state_is_tuple=False)
    with pytest.raises(ValueError):  # a state of batch 2 for inputs of batch 1... TF: of 1 vs 2
        cell(ones(3, 2), 0.1 * ones(2, 4))


# tensorflow/python/kernel_tests/rnn_cell_test.py :: RNNCellTest.testBasicLSTMCellStateSizeError
def test_basic_lstm_cell_state_size_error(m) -> None:
    cell = m.BasicLSTMCell(2, state_is_tuple=False)
    with pytest.raises(ValueError):  # state [1, 2 * num_units - 1]
        cell(ones(1, 2), 0.1 * ones(1, 3))


# tensorflow/python/kernel_tests/rnn_cell_test.py :: RNNCellTest.testBasicLSTMCellStateTupleType
def test_basic_lstm_cell_state_tuple_type(m) -> None:
    cell = m.MultiRNNCell([m.BasicLSTMCell(2) for _ in range(2)])
    state = (LSTMStateTuple(0.1 * ones(1, 2), 0.1 * ones(1, 2)),) * 2
    _, (s0, s1) = cell(ones(1, 2), state)
    assert isinstance(s0, LSTMStateTuple) and isinstance(s1, LSTMStateTuple)


# tensorflow/python/kernel_tests/rnn_cell_test.py :: RNNCellTest.testBasicLSTMCellWithStateTuple
def test_basic_lstm_cell_with_state_tuple(m) -> None:
    tuple_cell = tf1_root_weights(m.MultiRNNCell([m.BasicLSTMCell(2) for _ in range(2)]), 2)
    flat = [m.BasicLSTMCell(2, state_is_tuple=False) for _ in range(2)]
    flat_cell = tf1_root_weights(m.MultiRNNCell(flat, state_is_tuple=False), 2)
    rng = np.random.default_rng(0)
    c0, h0, c1, h1 = (rng.uniform(size=(1, 2)).astype(np.float32) for _ in range(4))
    out_t, (s0, s1) = arr(tuple_cell(ones(1, 2), (LSTMStateTuple(c0, h0), LSTMStateTuple(c1, h1))))
    out_f, mem = arr(flat_cell(ones(1, 2), np.concatenate([c0, h0, c1, h1], axis=1)))
    np.testing.assert_allclose(out_t, out_f, rtol=1e-6)
    np.testing.assert_allclose(np.concatenate([s0.c, s0.h, s1.c, s1.h], axis=1), mem, rtol=1e-6)


# tensorflow/python/kernel_tests/rnn_cell_test.py :: RNNCellTest.testLSTMCell
def test_lstm_cell_peepholes_clips_projection(m) -> None:
    num_units, num_proj, batch = 8, 6, 3
    cell = m.LSTMCell(num_units, use_peepholes=True, cell_clip=1.0, num_proj=num_proj,
                      proj_clip=1.0, forget_bias=1.0, state_is_tuple=False)  # fmt: skip
    x = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]], np.float32)
    x[1] = x[0]  # TF: rows 0 and 1 identical, row 2 different
    out, state = arr(cell(x, 0.1 * ones(batch, num_units + num_proj)))
    assert out.shape == (batch, num_proj) and state.shape == (batch, num_units + num_proj)
    np.testing.assert_allclose(out[0], out[1], rtol=1e-6)  # same inputs, same outputs
    np.testing.assert_allclose(state[0], state[1], rtol=1e-6)
    assert np.abs(out[1] - out[2]).sum() > 1e-6  # different inputs, different outputs
    assert np.abs(out).max() <= 1.0  # proj_clip


# tensorflow/python/kernel_tests/rnn_cell_test.py :: RNNCellTest.testLSTMCellVariables
def test_lstm_cell_variables(m) -> None:
    cell = m.LSTMCell(8, use_peepholes=True, cell_clip=1.0, num_proj=6, proj_clip=1.0,
                      state_is_tuple=False)  # fmt: skip
    cell(np.zeros((3, 2), np.float32), np.zeros((3, 14), np.float32))
    names = cell.weight_names
    for name in ("lstm_cell/kernel", "lstm_cell/bias", "lstm_cell/projection/kernel"):
        assert name in names


# tensorflow/contrib/rnn/python/kernel_tests/core_rnn_cell_test.py
#   :: RNNCellTest.testOutputProjectionWrapper
def test_output_projection_wrapper(m) -> None:
    cell = tf1_root_weights(m.OutputProjectionWrapper(m.GRUCell(3), 2), 3)
    out, state = arr(cell(ones(1, 3), 0.1 * ones(1, 3)))
    h = gru_step(3, 0.1, 3, 3)  # the GRU's new state; the projection: 0.5 * (h + h + h) + 0
    np.testing.assert_allclose(out, [[1.5 * h, 1.5 * h]], rtol=1e-6)
    np.testing.assert_allclose(out, [[0.231907, 0.231907]], atol=1e-6)  # TF's value
    np.testing.assert_allclose(state, [[h, h, h]], rtol=1e-6)


# tensorflow/contrib/rnn/python/kernel_tests/core_rnn_cell_test.py
#   :: RNNCellTest.testInputProjectionWrapper
def test_input_projection_wrapper(m) -> None:
    cell = tf1_root_weights(m.InputProjectionWrapper(m.GRUCell(3), num_proj=2), 2)
    out, _ = arr(cell(ones(1, 2), 0.1 * ones(1, 3)))
    projected = 0.5 * 2  # each of the 2 projected inputs: 0.5 * (1 + 1) + 0
    h = gru_step(2 * projected, 0.1, 2, 3)
    np.testing.assert_allclose(out, [[h, h, h]], rtol=1e-6)


# tensorflow/python/kernel_tests/rnn_cell_test.py :: RNNCellTest.testResidualWrapper
def test_residual_wrapper(m) -> None:
    base = tf1_root_weights(m.GRUCell(3), 3)
    wrapped = m.ResidualWrapper(base)
    x, h = np.array([[1.0, 1.0, 1.0]], np.float32), 0.1 * ones(1, 3)
    out, state = arr(wrapped(x, h))
    base_out, base_state = arr(base(x, h))
    np.testing.assert_allclose(out, base_out + x, rtol=1e-6)  # TF: res[1] == res[0] + x
    np.testing.assert_allclose(state, base_state, rtol=1e-6)


# tensorflow/python/kernel_tests/rnn_cell_test.py :: RNNCellTest.testResidualWrapperWithSlice
def test_residual_wrapper_with_slice(m) -> None:
    base = tf1_root_weights(m.GRUCell(3), 5)
    wrapped = m.ResidualWrapper(base, residual_fn=lambda i, o: i[:, :3] + o)
    x = np.array([[1.0, 1.0, 1.0, 1.0, 1.0]], np.float32)
    out, _ = arr(wrapped(x, 0.1 * ones(1, 3)))
    base_out, _ = arr(base(x, 0.1 * ones(1, 3)))
    np.testing.assert_allclose(out, base_out + x[:, :3], rtol=1e-6)


# tensorflow/python/kernel_tests/rnn_cell_test.py :: RNNCellTest.testDeviceWrapper
def test_device_wrapper(m) -> None:
    cell = m.DeviceWrapper(m.GRUCell(3), "/cpu:0")
    out, _ = arr(cell(ones(1, 3), 0.1 * ones(1, 3)))
    assert out.shape == (1, 3) and cell.device == "/cpu:0"


# tensorflow/contrib/rnn/python/kernel_tests/core_rnn_cell_test.py
#   :: RNNCellTest.testEmbeddingWrapper
def test_embedding_wrapper(m) -> None:
    cell = tf1_root_weights(m.EmbeddingWrapper(m.GRUCell(2), 3, 2), 1)
    out, state = arr(cell(np.array([[1]], np.int32), 0.1 * ones(1, 2)))
    h = gru_step(2 * 0.5, 0.1, 2, 2)  # the embedded id: [0.5, 0.5]
    np.testing.assert_allclose(out, [[h, h]], rtol=1e-6)
    np.testing.assert_allclose(out, [[0.17139, 0.17139]], atol=1e-5)  # TF's value
    np.testing.assert_array_equal(out, state)


# tensorflow/contrib/rnn/python/kernel_tests/core_rnn_cell_test.py
#   :: RNNCellTest.testEmbeddingWrapperWithDynamicRnn
def test_embedding_wrapper_with_dynamic_rnn(m) -> None:
    cell = m.EmbeddingWrapper(m.BasicLSTMCell(1), embedding_classes=1, embedding_size=2)
    ids = np.array([[[0], [0]]], np.int64)  # [B=1, T=2, 1]
    outputs, _ = m.dynamic_rnn(cell, ids, sequence_length=np.array([2]), dtype=np.float32)
    assert np.asarray(outputs).shape == (1, 2, 1)


# tensorflow/python/kernel_tests/rnn_cell_test.py :: RNNCellTest.testMultiRNNCell
def test_multi_rnn_cell(m) -> None:
    cell = tf1_root_weights(m.MultiRNNCell([m.GRUCell(2) for _ in range(2)],
                                           state_is_tuple=False), 2)  # fmt: skip
    _, state = arr(cell(ones(1, 2), 0.1 * ones(1, 4)))
    h1 = gru_step(2, 0.1, 2, 2)
    h2 = gru_step(2 * h1, 0.1, 2, 2)
    np.testing.assert_allclose(state, [[h1, h1, h2, h2]], rtol=1e-6)
    np.testing.assert_allclose(state, [[0.175991, 0.175991, 0.13248, 0.13248]], atol=1e-5)


def _dropout_case(m, **keep):
    """TF's DropoutWrapperTest._testDropoutWrapper: a wrapped LSTM of 3 units, batch 1."""
    base = tf1_root_weights(m.BasicLSTMCell(3), 3)
    wrapped = m.DropoutWrapper(base, seed=0, **keep)
    x = ones(1, 3)
    state = LSTMStateTuple(0.1 * ones(1, 3), 0.1 * ones(1, 3))
    return arr(wrapped(x, state)), arr(base(x, state)), base, x, state


# tensorflow/python/kernel_tests/rnn_cell_test.py :: DropoutWrapperTest.testDropoutWrapperKeepAll
def test_dropout_wrapper_keep_all(m) -> None:
    (out, state), (base_out, base_state), *_ = _dropout_case(m)
    np.testing.assert_allclose(out, base_out, rtol=1e-6)
    np.testing.assert_allclose(state, base_state, rtol=1e-6)


# tensorflow/python/kernel_tests/rnn_cell_test.py
#   :: DropoutWrapperTest.testDropoutWrapperKeepNoOutput
def test_dropout_wrapper_keep_no_output(m) -> None:
    (out, state), (_, base_state), *_ = _dropout_case(m, output_keep_prob=1e-10)
    np.testing.assert_array_equal(out, np.zeros_like(out))
    np.testing.assert_allclose(state, base_state, rtol=1e-6)


# tensorflow/python/kernel_tests/rnn_cell_test.py
#   :: DropoutWrapperTest.testDropoutWrapperKeepNoStateExceptLSTMCellMemory
def test_dropout_wrapper_keep_no_state_except_lstm_memory(m) -> None:
    (out, state), (base_out, base_state), *_ = _dropout_case(m, state_keep_prob=1e-10)
    np.testing.assert_allclose(out, base_out, rtol=1e-6)
    np.testing.assert_allclose(state.c, base_state.c, rtol=1e-6)  # the memory is never dropped
    np.testing.assert_array_equal(state.h, np.zeros_like(state.h))


# tensorflow/python/kernel_tests/rnn_cell_test.py
#   :: DropoutWrapperTest.testDropoutWrapperKeepNoInput
def test_dropout_wrapper_keep_no_input(m) -> None:
    (out, state), _, base, x, state0 = _dropout_case(m, input_keep_prob=1e-10)
    zero_out, zero_state = arr(base(np.zeros_like(x), state0))  # as if the inputs were 0
    np.testing.assert_allclose(out, zero_out, rtol=1e-6)
    np.testing.assert_allclose(state, zero_state, rtol=1e-6)


# tensorflow/python/kernel_tests/rnn_cell_test.py
#   :: DropoutWrapperTest.testDropoutWrapperRecurrentOutput
def test_dropout_wrapper_recurrent_output(m) -> None:
    cell = m.DropoutWrapper(m.BasicLSTMCell(8), output_keep_prob=0.7, variational_recurrent=True,
                            seed=0)  # fmt: skip
    x = np.random.default_rng(0).uniform(0.5, 1.0, (4, 5, 3)).astype(np.float32)
    outputs, _ = m.dynamic_rnn(cell, x, dtype=np.float32)
    dropped = np.asarray(outputs) == 0  # [B, T, H]
    assert dropped.any() and (dropped == dropped[:1, :1]).all()  # one mask, every row and step


# tensorflow/python/kernel_tests/rnn_test.py :: RNNTest.testInvalidSequenceLengthShape
def test_invalid_sequence_length_shape(m) -> None:
    with pytest.raises(ValueError, match="sequence_length"):
        m.dynamic_rnn(m.GRUCell(3), ones(1, 3, 2), sequence_length=np.array([[4]]))


# tensorflow/python/kernel_tests/rnn_test.py :: RNNTest.testBatchSizeFromInput
def test_batch_size_from_input(m) -> None:
    cell = m.BasicRNNCell(5)
    outputs, state = m.dynamic_rnn(cell, ones(2, 4, 3), dtype=np.float32)
    assert np.shape(outputs) == (2, 4, 5) and np.shape(state) == (2, 5)
    outputs, state = m.dynamic_rnn(cell, ones(4, 2, 3), dtype=np.float32, time_major=True)
    assert np.shape(outputs) == (4, 2, 5) and np.shape(state) == (2, 5)


# tensorflow/python/kernel_tests/rnn_cell_test.py
#   :: DropoutWrapperTest.testDropoutWrapperWithSeed
def test_dropout_wrapper_with_seed(m) -> None:
    runs = [_dropout_case(m, input_keep_prob=0.5, output_keep_prob=0.5, state_keep_prob=0.5)[0]
            for _ in range(2)]  # fmt: skip
    for a, b in zip(tf.nest.flatten(runs[0]), tf.nest.flatten(runs[1]), strict=True):
        np.testing.assert_array_equal(a, b)  # the same seed: the same masks


# tensorflow/python/kernel_tests/rnn_cell_test.py
#   :: DropoutWrapperTest.testDropoutWrapperRecurrentStateInputAndOutput
def test_dropout_wrapper_recurrent_state_input_and_output(m) -> None:
    cell = m.DropoutWrapper(m.GRUCell(8), input_keep_prob=0.7, state_keep_prob=0.7,
                            output_keep_prob=0.7, variational_recurrent=True, input_size=3,
                            seed=1)  # fmt: skip
    x = np.random.default_rng(0).uniform(0.5, 1.0, (4, 5, 3)).astype(np.float32)
    outputs, state = m.dynamic_rnn(cell, x, dtype=np.float32)
    dropped = np.asarray(outputs) == 0  # [B, T, H]: the same units at every row and step
    assert dropped.any() and (dropped == dropped[:1, :1]).all()
    state_dropped = np.asarray(state) == 0  # its own mask, the same for every row
    assert state_dropped.any() and (state_dropped == state_dropped[:1]).all()


def user_cell(m, output_size, call):
    """A user's cell as TF's rnn_test.py writes them: a scalar int32 state counting steps."""

    class Cell(m.RNNCell):
        @property
        def state_size(self):
            return tf.TensorShape([])

        @property
        def output_size(self):
            return output_size

        def zero_state(self, batch_size, dtype):
            return np.zeros([], np.int32)

        def call(self, inputs, state):
            return call(inputs), state + 1

    return Cell()


def _concat(m):
    return np.concatenate if m is rn else tf.concat


# tensorflow/python/kernel_tests/rnn_test.py :: RNNTest.testScalarStateIsAccepted
def test_scalar_state_is_accepted(m) -> None:
    cell = user_cell(m, 1, lambda x: x)
    x = np.array([[[1.0], [2.0], [3.0], [4.0]]], np.float32)  # [B=1, T=4, 1]
    outputs, state = m.dynamic_rnn(cell, x, dtype=np.float32, sequence_length=np.array([4]))
    np.testing.assert_array_equal(np.asarray(outputs), x)
    assert int(np.asarray(state)) == 4


# tensorflow/python/kernel_tests/rnn_test.py :: RNNTest.testUnbalancedOutputIsAccepted
def test_unbalanced_output_is_accepted(m) -> None:
    cell = user_cell(m, (1, 2), lambda x: (x, _concat(m)((x, x), axis=-1)))
    x = np.array([[[1.0], [2.0], [3.0], [4.0]]], np.float32)
    (out_1, out_2), state = m.dynamic_rnn(cell, x, dtype=np.float32, sequence_length=np.array([4]))
    np.testing.assert_array_equal(np.asarray(out_1), x)
    np.testing.assert_array_equal(np.asarray(out_2), np.concatenate([x, x], axis=-1))
    assert int(np.asarray(state)) == 4


# Not one of TF's tests: nested inputs, which TF1's nest passes to a user's cell step by step.
def test_nested_inputs_reach_a_users_cell(m) -> None:
    cell = user_cell(m, 2, lambda ab: ab[0] + ab[1])
    rng = np.random.default_rng(0)
    a, b = (rng.normal(size=(3, 4, 2)).astype(np.float32) for _ in range(2))
    lengths = np.array([4, 2, 0])
    outputs, state = m.dynamic_rnn(cell, (a, b), lengths, dtype=np.float32)
    live = (np.arange(4)[None, :] < lengths[:, None])[..., None]  # [B, T, 1]
    np.testing.assert_allclose(np.asarray(outputs), np.where(live, a + b, 0), rtol=1e-6)


# tensorflow/python/kernel_tests/rnn_test.py :: RNNTest.testUnbalancedOutputIsAccepted, run
# through static_rnn as well (TF1's static_rnn packs each step's outputs with nest too)
def test_static_rnn_with_unbalanced_outputs_and_nested_steps(m) -> None:
    cell = user_cell(m, (2, 4), lambda ab: (ab[0], _concat(m)((ab[0], ab[1]), axis=-1)))
    rng = np.random.default_rng(1)
    steps = [tuple(rng.normal(size=(3, 2)).astype(np.float32) for _ in range(2)) for _ in range(3)]
    outputs, state = m.static_rnn(cell, steps, dtype=np.float32)
    assert len(outputs) == 3 and int(np.asarray(state)) == 3
    for (a, b), (out_1, out_2) in zip(steps, outputs, strict=True):
        np.testing.assert_array_equal(np.asarray(out_1), a)
        np.testing.assert_array_equal(np.asarray(out_2), np.concatenate([a, b], axis=-1))
