"""rnnref.tf as TensorFlow code: graphs, compilation, dtypes, weights, training, dropout, batches.

- The unroll is one ``tf.while_loop``: it traces once per input signature (unknown batch
  and time included), compiles with ``jit_compile=True``, has no Python or NumPy ops and
  pins nothing to a device.
- float64 matches rnnref.np to 1e-10; float16 and bfloat16 run.
- Weights: the same seed gives rnnref.np's weights, names are TF1's, ``set_weights``
  moves them both ways, and a Keras optimizer trains them.
- Dropout and the batch splitter, tested from their definitions.
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnref.np as rn  # noqa: E402
import rnnref.tf as rt  # noqa: E402
from rnnref import structure  # noqa: E402

tf.config.experimental.enable_tensor_float_32_execution(False)  # exact float32 on a GPU too

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")

D = 3
# name -> make(backend module): a few cells that between them take every code path.
CELLS = {
    "lstm_everything": lambda m: m.LSTMCell(
        5, use_peepholes=True, cell_clip=0.5, num_proj=3, proj_clip=0.4, seed=1
    ),
    "gru": lambda m: m.GRUCell(4, seed=2),
    "basic_lstm_concat": lambda m: m.BasicLSTMCell(4, state_is_tuple=False, seed=3),
    "multi_wrapped": lambda m: m.MultiRNNCell(
        [
            m.InputProjectionWrapper(m.BasicRNNCell(4, seed=4), 5, seed=5),
            m.ResidualWrapper(m.GRUCell(4, seed=6)),
            m.OutputProjectionWrapper(m.BasicLSTMCell(3, seed=7), 2, seed=8),
        ]
    ),
}


def sequence(batch: int, time: int, dtype=np.float32, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(batch, time, D)).astype(dtype)


def leaves(value) -> list:
    """The arrays in ``value``, through tuples and lists alike."""
    if isinstance(value, (tuple, list)):
        return [leaf for part in value for leaf in leaves(part)]
    return [value]


def assert_close(actual, expected, atol: float) -> None:
    for a, e in zip(leaves(actual), leaves(expected), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=0, atol=atol)


def built(make, m=rt, dtype=np.float32):
    cell = make(m)
    cell.build(D, dtype)
    return cell


# The loop as a graph.


@pytest.mark.parametrize("name", CELLS)
def test_traces_once_for_every_batch_and_length(name: str) -> None:
    cell = built(CELLS[name])
    traces = []

    def unroll(x, lengths):
        traces.append(1)  # runs only while tracing
        return rt.dynamic_rnn(cell, x, sequence_length=lengths)

    spec = [tf.TensorSpec([None, None, D]), tf.TensorSpec([None], tf.int32)]
    fn = tf.function(unroll, input_signature=spec)
    for batch, time in [(2, 5), (3, 7), (1, 1), (4, 0)]:
        x, lengths = sequence(batch, time, seed=time), np.arange(batch) % (time + 1)
        outputs, state = fn(x, lengths)
        eager = rt.dynamic_rnn(cell, x, sequence_length=lengths)
        assert outputs.shape == (batch, time, cell.output_size)
        assert_close((outputs, state), eager, 1e-6)
    assert len(traces) == 1 and fn.experimental_get_tracing_count() == 1


def test_same_shaped_batches_reuse_the_trace_without_a_signature() -> None:
    cell = built(CELLS["lstm_everything"])
    fn = tf.function(lambda x: rt.dynamic_rnn(cell, x))
    for seed in range(4):
        fn(sequence(2, 6, seed=seed))
    assert fn.experimental_get_tracing_count() == 1


def test_a_cell_built_inside_a_tf_function() -> None:
    """The first call builds the weights; they are variables outside the graph."""
    cell = rt.LSTMCell(4, num_proj=2, seed=0)
    outputs, _ = tf.function(lambda x: rt.dynamic_rnn(cell, x))(sequence(2, 3))
    np_cell = rn.LSTMCell(4, num_proj=2, seed=0)
    assert_close(outputs, rn.dynamic_rnn(np_cell, sequence(2, 3))[0], 2e-5)


@pytest.mark.parametrize("name", CELLS)
def test_graph_is_one_while_loop_with_no_python_and_no_device_pins(name: str) -> None:
    cell = built(CELLS[name])
    fn = tf.function(lambda x, n: rt.dynamic_rnn(cell, x, sequence_length=n))
    graph = fn.get_concrete_function(
        tf.TensorSpec([None, None, D]), tf.TensorSpec([None], tf.int32)
    ).graph
    ops = graph.get_operations()
    assert sum(op.type in ("While", "StatelessWhile") for op in ops) == 1
    assert not [op.type for op in ops if "PyFunc" in op.type]
    assert not [op.device for op in ops if op.device]


@pytest.mark.parametrize("name", CELLS)
def test_jit_compiled_forward_and_gradients_match_eager(name: str) -> None:
    cell = built(CELLS[name])
    x, lengths = tf.constant(sequence(3, 5)), tf.constant([5, 2, 0])

    def loss_and_grads(x, lengths):
        with tf.GradientTape() as tape:
            tape.watch(x)
            outputs, state = rt.dynamic_rnn(cell, x, sequence_length=lengths)
            loss = tf.reduce_sum(outputs**2) + sum(
                tf.reduce_sum(s) for s in structure.flatten(state)
            )
        return outputs, state, tape.gradient(loss, [x, *cell.trainable_variables])

    eager = loss_and_grads(x, lengths)
    compiled = tf.function(loss_and_grads, jit_compile=True)(x, lengths)
    assert_close(compiled, eager, 1e-5)


def test_a_cell_shared_by_two_layers_unrolls_as_rnnref_np() -> None:
    """MultiRNNCell([cell, cell]) puts one cell in the tree twice: both layers use its weights."""
    x = sequence(2, 4)
    shared = {m: m.BasicRNNCell(D, seed=6) for m in (rn, rt)}
    expected = rn.dynamic_rnn(rn.MultiRNNCell([shared[rn]] * 2), x, dtype=np.float32)
    assert_close(
        rt.dynamic_rnn(rt.MultiRNNCell([shared[rt]] * 2), x, dtype=tf.float32), expected, 1e-6
    )


def test_zero_time_steps_give_empty_outputs_and_the_initial_state() -> None:
    cell = built(CELLS["lstm_everything"])
    state = cell.zero_state(2)
    state = structure.map_structure(lambda s: s + 1.0, state)
    for run in (rt.dynamic_rnn, tf.function(rt.dynamic_rnn)):
        outputs, final = run(cell, sequence(2, 0), initial_state=state)
        assert outputs.shape == (2, 0, 3)
        assert_close(final, state, 0)


def test_bidirectional_and_static_rnn_in_a_tf_function() -> None:
    fw, bw = built(CELLS["gru"]), built(CELLS["lstm_everything"])
    np_fw, np_bw = built(CELLS["gru"], rn), built(CELLS["lstm_everything"], rn)
    x, lengths = sequence(3, 5), np.array([5, 3, 0])
    spec = [tf.TensorSpec([None, None, D]), tf.TensorSpec([None], tf.int64)]
    bidi = tf.function(
        lambda x, n: rt.bidirectional_dynamic_rnn(fw, bw, x, sequence_length=n),
        input_signature=spec,
    )
    expected = rn.bidirectional_dynamic_rnn(np_fw, np_bw, x, sequence_length=lengths)
    assert_close(bidi(x, lengths), expected, 2e-5)
    steps = [x[:, t] for t in range(5)]
    outputs, state = tf.function(lambda s: rt.static_rnn(fw, s, sequence_length=lengths))(steps)
    assert isinstance(outputs, list) and len(outputs) == 5
    assert_close((outputs, state), rn.static_rnn(np_fw, steps, sequence_length=lengths), 2e-5)


# dtypes


@pytest.mark.parametrize("name", CELLS)
def test_float64_matches_rnnref_np(name: str) -> None:
    ours, reference = built(CELLS[name], rt, np.float64), built(CELLS[name], rn, np.float64)
    x = sequence(3, 4, np.float64)
    expected = rn.dynamic_rnn(reference, x, sequence_length=[4, 2, 0])
    outputs, state = rt.dynamic_rnn(ours, x, sequence_length=[4, 2, 0])
    assert outputs.dtype == tf.float64
    assert_close((outputs, state), expected, 1e-10)


@pytest.mark.parametrize("dtype,atol", [(tf.float16, 2e-2), (tf.bfloat16, 1e-1)])
def test_half_precision_runs_close_to_float32(dtype: tf.DType, atol: float) -> None:
    make = CELLS["lstm_everything"]
    half, full = built(make, rt, dtype), built(make, rt, np.float32)
    x = sequence(2, 4)
    outputs, state = tf.function(rt.dynamic_rnn)(half, tf.cast(x, dtype), sequence_length=[4, 1])
    assert outputs.dtype == dtype and all(s.dtype == dtype for s in structure.flatten(state))
    expected = rt.dynamic_rnn(full, x, sequence_length=[4, 1])
    assert_close(structure.map_structure(lambda t: tf.cast(t, tf.float32), (outputs, state)),
                 expected, atol)  # fmt: skip


# Weights


@pytest.mark.parametrize("name", CELLS)
def test_same_seed_same_weights_as_rnnref_np(name: str) -> None:
    ours, reference = built(CELLS[name]), built(CELLS[name], rn)
    assert ours.weight_names == reference.weight_names
    assert_close(ours.weights, reference.weights, 0)


def test_variables_are_named_and_ordered_as_tf1() -> None:
    ours = rt.LSTMCell(4, use_peepholes=True, num_proj=2)
    tf1 = tf.compat.v1.nn.rnn_cell.LSTMCell(4, use_peepholes=True, num_proj=2)
    x = tf.zeros((1, D))
    ours(x, ours.zero_state(1)), tf1(x, tf1.zero_state(1, tf.float32))
    strip = lambda name: name.split("/", 1)[1]  # noqa: E731  the cell's scope differs
    assert [strip(v.name) for v in ours.weights] == [strip(v.name) for v in tf1.weights]
    assert ours.trainable_variables == ours.weights == ours.variables
    gru = built(CELLS["gru"])
    assert [v.name for v in gru.weights] == [
        "gru_cell/gates/kernel:0",
        "gru_cell/gates/bias:0",
        "gru_cell/candidate/kernel:0",
        "gru_cell/candidate/bias:0",
    ]


@pytest.mark.parametrize("name", CELLS)
def test_set_weights_both_ways(name: str) -> None:
    ours, reference = built(CELLS[name]), built(CELLS[name], rn)
    rng = np.random.default_rng(0)
    new = [rng.normal(size=w.shape) for w in reference.weights]  # float64, cast on the way
    ours.set_weights(new)
    assert_close(ours.weights, [w.astype(np.float32) for w in new], 0)
    reference.set_weights([w.numpy() for w in ours.weights])
    assert_close(reference.weights, ours.weights, 0)
    again = built(CELLS[name])
    again.set_weights(ours.weights)  # variables straight from another cell
    assert_close(again.weights, ours.weights, 0)


def test_set_weights_from_a_tf1_cell() -> None:
    tf1 = tf.compat.v1.nn.rnn_cell.GRUCell(4)
    tf1(tf.zeros((1, D)), tf1.zero_state(1, tf.float32))
    ours = built(CELLS["gru"])
    ours.set_weights(tf1.weights)
    assert_close(ours.weights, tf1.weights, 0)


def test_a_keras_optimizer_trains_the_cell() -> None:
    cell = rt.OutputProjectionWrapper(rt.LSTMCell(8, use_peepholes=True, seed=0), 1, seed=1)
    x = sequence(8, 6)
    target = tf.constant(np.cumsum(x.sum(axis=2, keepdims=True), axis=1) / 4)  # [B, T, 1]
    optimizer = tf.keras.optimizers.Adam(0.05)
    assert not cell.built  # the first step builds it, inside the tf.function

    @tf.function
    def train_step():
        with tf.GradientTape() as tape:
            outputs, _ = rt.dynamic_rnn(cell, x)
            loss = tf.reduce_mean((outputs - target) ** 2)
        grads = tape.gradient(loss, cell.trainable_variables)
        optimizer.apply_gradients(zip(grads, cell.trainable_variables, strict=True))
        return loss

    losses = [float(train_step()) for _ in range(30)]
    assert losses[-1] < 0.5 * losses[0]


# Dropout, from its definition


def zero_weights(cell):
    cell.set_weights([np.zeros(w.shape) for w in cell.weights])
    return cell


def test_dropout_keeps_or_zeroes_and_scales_by_one_over_keep_prob() -> None:
    inner = rt.ResidualWrapper(rt.BasicRNNCell(D))  # zero weights: output = its inputs
    cell = rt.DropoutWrapper(inner, input_keep_prob=0.25, seed=0)
    cell.build(D)
    zero_weights(cell)
    x = np.ones((400, D), np.float32)
    output, _ = cell(x, cell.zero_state(400))
    values = set(np.unique(output.numpy()))
    assert values <= {0.0, 4.0}
    assert abs(np.mean(output.numpy() == 4.0) - 0.25) < 0.05


def test_dropout_leaves_the_lstm_memory_alone() -> None:
    plain = rt.BasicLSTMCell(4, seed=0)
    cell = rt.DropoutWrapper(plain, state_keep_prob=0.5, seed=0)
    x = sequence(50, 1)[:, 0]
    _, dropped = cell(x, cell.zero_state(50))
    _, full = plain(x, plain.zero_state(50))
    assert_close(dropped.c, full.c, 0)  # c untouched
    h, h_full = dropped.h.numpy(), full.h.numpy()
    assert np.all((h == 0) | np.isclose(h, 2 * h_full))
    assert 0 < np.mean(h == 0) < 1


def test_variational_masks_are_rnnref_np_masks_and_constant_over_time() -> None:
    def make(m):
        inner = m.GRUCell(6, seed=0)
        return m.DropoutWrapper(
            inner, 0.7, 0.5, 0.6, variational_recurrent=True, input_size=D, seed=3
        )

    ours, reference = make(rt), make(rn)
    x = sequence(4, 5)
    outputs, state = rt.dynamic_rnn(ours, x)
    assert_close((outputs, state), rn.dynamic_rnn(reference, x), 2e-5)
    dropped = outputs.numpy() == 0  # [B, T, H]
    assert dropped.any() and (dropped == dropped[:1, :1]).all()  # one mask, every row and step


def test_dropout_is_reproducible_from_its_seed_and_new_at_every_call() -> None:
    def outputs(seed):
        cell = rt.DropoutWrapper(built(CELLS["gru"]), output_keep_prob=0.5, seed=seed)
        fn = tf.function(lambda x: rt.dynamic_rnn(cell, x)[0])
        return fn(sequence(3, 4)).numpy(), fn(sequence(3, 4)).numpy()

    first, second = outputs(7)
    again, _ = outputs(7)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first == 0, second == 0)
    assert not np.array_equal(first == 0, outputs(8)[0] == 0)


def test_dropout_compiles() -> None:
    cell = rt.DropoutWrapper(built(CELLS["gru"]), input_keep_prob=0.5, output_keep_prob=0.5)
    outputs, _ = tf.function(lambda x: rt.dynamic_rnn(cell, x), jit_compile=True)(sequence(3, 4))
    assert outputs.shape == (3, 4, 4)


# Batches


@pytest.mark.parametrize("length,batch_size,num_steps", [(12, 2, 3), (103, 4, 5), (30, 1, 29)])
def test_batches_match_rnnref_np(length: int, batch_size: int, num_steps: int) -> None:
    data = np.arange(1, length + 1)
    batches = rt.split_batches(data, batch_size, num_steps)
    assert isinstance(batches, tf.Tensor)
    np.testing.assert_array_equal(batches, rn.split_batches(data, batch_size, num_steps))
    pairs = rt.input_target_batches(tf.constant(data), batch_size, num_steps)
    assert isinstance(pairs, tf.data.Dataset)
    expected = rn.input_target_batches(data, batch_size, num_steps)
    got = [(x.numpy(), y.numpy()) for x, y in pairs]
    assert len(got) == len(expected) == (length // batch_size - 1) // num_steps
    for (x, y), (ex, ey) in zip(got, expected, strict=True):
        np.testing.assert_array_equal(x, ex)
        np.testing.assert_array_equal(y, ey)


def test_the_notes_batch_split() -> None:
    batches = rt.split_batches(tf.range(1, 13), batch_size=2, num_steps=3)
    assert batches.numpy().tolist() == [[[1, 2, 3], [7, 8, 9]], [[4, 5, 6], [10, 11, 12]]]


def test_runs_on_the_first_gpu_when_one_is_visible() -> None:
    """Nothing pins the unroll to the CPU: with a GPU visible, weights and outputs live there."""
    expected = "GPU:0" if tf.config.list_logical_devices("GPU") else "CPU:0"
    cell = built(CELLS["lstm_everything"])
    fn = tf.function(lambda x: rt.dynamic_rnn(cell, x, sequence_length=[3, 1]))
    outputs, state = fn(sequence(2, 3))
    assert outputs.device.endswith(expected), outputs.device
    assert all(w.device.endswith(expected) for w in cell.weights)
