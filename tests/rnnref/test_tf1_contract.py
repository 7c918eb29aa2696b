"""TF1's contract, argument by argument, on both rnnref backends and against TF1 itself.

TF1 here is ``tf.compat.v1.nn`` with tf_keras's legacy cells (``TF_USE_LEGACY_KERAS=1``):
signatures, weight names (graph mode, as a checkpoint stores them), initializers,
activation names, ``get_initial_state``, ``static_bidirectional_rnn``, empty batches,
tracing with unknown dimensions, and loading a checkpoint that TF1's ``Saver`` wrote.
"""

import inspect
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnref.np as rn  # noqa: E402
import rnnref.tf as rt  # noqa: E402
from rnnref.structure import LSTMStateTuple  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
tf.get_logger().setLevel("ERROR")

V1 = tf.compat.v1.nn.rnn_cell
NN1 = tf.compat.v1.nn
BACKENDS = {"np": rn, "tf": rt}
both = pytest.mark.parametrize("m", BACKENDS.values(), ids=BACKENDS.keys())
x2 = np.ones((2, 3), np.float32)


def arr(value):
    return tf.nest.map_structure(np.asarray, value)


# --------------------------------------------------------------------------- signatures

SIGNATURES = [  # (our name, TF1's callable)
    ("BasicRNNCell", V1.BasicRNNCell),
    ("GRUCell", V1.GRUCell),
    ("BasicLSTMCell", V1.BasicLSTMCell),
    ("LSTMCell", V1.LSTMCell),
    ("MultiRNNCell", V1.MultiRNNCell),
    ("DropoutWrapper", V1.DropoutWrapper),
    ("ResidualWrapper", V1.ResidualWrapper),
    ("DeviceWrapper", V1.DeviceWrapper),
    ("dynamic_rnn", NN1.dynamic_rnn),
    ("static_rnn", NN1.static_rnn),
    ("bidirectional_dynamic_rnn", NN1.bidirectional_dynamic_rnn),
    ("static_bidirectional_rnn", NN1.static_bidirectional_rnn),
]


def _positional(fn) -> list:
    params = inspect.signature(fn).parameters.values()
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.POSITIONAL_ONLY)
    return [(p.name, p.default) for p in params if p.kind in kinds and p.name != "self"]


@both
@pytest.mark.parametrize("name, tf1", SIGNATURES, ids=[n for n, _ in SIGNATURES])
def test_positional_names_order_and_defaults_are_tf1s(m, name: str, tf1) -> None:
    assert _positional(getattr(m, name)) == _positional(tf1)


@both
def test_get_initial_state_signature_is_tf1s(m) -> None:
    assert _positional(m.GRUCell.get_initial_state) == _positional(V1.RNNCell.get_initial_state)


# --------------------------------------------------------------------------- priority 1


def _tf1_output(cell, x, state):
    return arr(cell(tf.constant(x), state))


@both
def test_cell_clip_zero_makes_every_output_zero_as_tf1(m) -> None:
    ours = m.LSTMCell(3, cell_clip=0.0, use_peepholes=True)
    tf1 = V1.LSTMCell(3, cell_clip=0.0, use_peepholes=True)
    state = LSTMStateTuple(np.ones((2, 3), np.float32), np.ones((2, 3), np.float32))
    out_tf1, state_tf1 = _tf1_output(tf1, x2, state)
    ours.build(3)
    ours.set_weights([w.numpy() for w in tf1.weights])
    out, new_state = arr(ours(x2, state))
    np.testing.assert_array_equal(out, 0)
    np.testing.assert_allclose(out, out_tf1, atol=1e-7)
    np.testing.assert_allclose(new_state.c, state_tf1.c, atol=1e-7)


@both
@pytest.mark.parametrize("keep", [np.array(0.5), tf.constant(0.5), np.float32(0.5)], ids=str)
def test_keep_probabilities_as_0d_arrays_and_scalar_tensors(m, keep) -> None:
    a = m.DropoutWrapper(m.GRUCell(3, seed=0), output_keep_prob=keep, seed=3)
    b = m.DropoutWrapper(m.GRUCell(3, seed=0), output_keep_prob=0.5, seed=3)
    np.testing.assert_array_equal(arr(a(x2, np.zeros((2, 3), np.float32)))[0],
                                  arr(b(x2, np.zeros((2, 3), np.float32)))[0])  # fmt: skip


@both
@pytest.mark.parametrize("seed", [-1, -(2**70), 2**64 - 1])
def test_any_int_seed_is_a_reproducible_seed(m, seed: int) -> None:
    def run():
        cell = m.DropoutWrapper(m.GRUCell(3, seed=seed), output_keep_prob=0.5, seed=seed)
        return arr(cell(x2, np.zeros((2, 3), np.float32)))[0]

    np.testing.assert_array_equal(run(), run())


@both
@pytest.mark.parametrize("wrapper", ["DropoutWrapper", "ResidualWrapper", "DeviceWrapper",
                                     "InputProjectionWrapper", "OutputProjectionWrapper",
                                     "EmbeddingWrapper"])  # fmt: skip
def test_wrappers_have_wrapped_cell(m, wrapper: str) -> None:
    inner = m.GRUCell(3)
    extra = {"DeviceWrapper": ("/cpu:0",), "InputProjectionWrapper": (2,),
             "OutputProjectionWrapper": (2,), "EmbeddingWrapper": (4, 2)}  # fmt: skip
    cell = getattr(m, wrapper)(inner, *extra.get(wrapper, ()))
    assert cell.wrapped_cell is inner is cell.cell


@both
def test_a_wrappers_zero_state_is_the_wrapped_cells(m) -> None:
    class HalfState(m.GRUCell):
        def zero_state(self, batch_size, dtype=np.float32):
            return np.full((batch_size, 3), 0.5, np.float32)

    for wrapper in (m.DropoutWrapper(HalfState(3)), m.ResidualWrapper(HalfState(3))):
        np.testing.assert_array_equal(arr(wrapper.zero_state(2, np.float32)), 0.5)


# Weight names: TF1 run in graph mode, where a fresh graph restarts its name counters.
NAMED = {
    "multi": lambda m: m.MultiRNNCell([m.BasicLSTMCell(2), m.BasicLSTMCell(2)]),
    "multi_wrapped": lambda m: m.MultiRNNCell(
        [m.DropoutWrapper(m.GRUCell(3)), m.ResidualWrapper(m.GRUCell(3))]
    ),
    "nested_multi": lambda m: m.MultiRNNCell([m.MultiRNNCell([m.GRUCell(3)]), m.GRUCell(3)]),
    "lstm": lambda m: m.LSTMCell(2, use_peepholes=True, num_proj=3),
    "named": lambda m: m.BasicRNNCell(2, name="foo"),
    "device": lambda m: m.DeviceWrapper(m.GRUCell(3), "/cpu:0"),
}


def _tf1_names(make, run) -> list:
    with tf.Graph().as_default():
        cell = make(V1)
        run(NN1, cell)
        return [v.name for v in tf.compat.v1.global_variables()]


def _call(nn, cell):
    return cell(tf.zeros([2, 3]) if nn is NN1 else x2, cell.zero_state(2, tf.float32))


def _dynamic(nn, cell):
    return nn.dynamic_rnn(cell, np.zeros((2, 4, 3), np.float32), dtype=tf.float32)


@both
@pytest.mark.parametrize("how", [_call, _dynamic], ids=["called", "dynamic_rnn"])
@pytest.mark.parametrize("name", NAMED)
def test_weight_names_are_tf1s(m, name: str, how) -> None:
    expected = _tf1_names(NAMED[name], how)
    cell = NAMED[name](m)
    how(m, cell)
    assert [f"{n}:0" for n in cell.weight_names] == expected
    if m is rt:
        assert [v.name for v in cell.weights] == expected


@both
def test_bidirectional_weight_names_are_tf1s(m) -> None:
    with tf.Graph().as_default():
        fw, bw = V1.GRUCell(3), V1.GRUCell(3)
        NN1.bidirectional_dynamic_rnn(fw, bw, tf.zeros([2, 4, 3]), dtype=tf.float32)
        expected = [v.name for v in tf.compat.v1.global_variables()]
    fw, bw = m.GRUCell(3), m.GRUCell(3)
    m.bidirectional_dynamic_rnn(fw, bw, np.zeros((2, 4, 3), np.float32), dtype=np.float32)
    assert [f"{n}:0" for n in fw.weight_names + bw.weight_names] == expected


# --------------------------------------------------------------------------- priority 2

INITIALIZED = {  # name -> make(ns, init), where init is a TF1 initializer object
    "gru": lambda ns, init: ns.GRUCell(3, kernel_initializer=init, bias_initializer=init),
    "gru_kernel_only": lambda ns, init: ns.GRUCell(3, kernel_initializer=init),
    "lstm": lambda ns, init: ns.LSTMCell(3, use_peepholes=True, num_proj=2, initializer=init),
    "lstm_positional": lambda ns, init: ns.LSTMCell(3, True, None, init, 2),
}


@both
@pytest.mark.parametrize("name", INITIALIZED)
def test_initializers_give_tf1s_weights(m, name: str) -> None:
    init = tf.compat.v1.constant_initializer(0.3)
    tf1 = INITIALIZED[name](V1, init)
    tf1(tf.constant(x2), tf1.zero_state(2, tf.float32))
    ours = INITIALIZED[name](m, init)
    ours.build(3)
    for mine, theirs in zip(ours.weights, tf1.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(mine), theirs.numpy())


@both
def test_numbers_and_callables_as_initializers(m) -> None:
    cell = m.GRUCell(
        2, kernel_initializer=0.5, bias_initializer=lambda shape, dtype: np.ones(shape)
    )
    cell.build(1)
    kernel, bias = np.asarray(cell.weights[0]), np.asarray(cell.weights[1])
    assert (kernel == 0.5).all() and (bias == 1.0).all()
    embedded = m.EmbeddingWrapper(m.GRUCell(2), 3, 2, initializer=0.25)
    embedded.build(1)
    assert (np.asarray(embedded.weights[-1]) == 0.25).all()


@both
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
def test_activation_names_as_tf1(m, activation: str) -> None:
    tf1 = V1.GRUCell(3, activation=activation)
    out_tf1, _ = _tf1_output(tf1, x2, np.full((2, 3), 0.3, np.float32))
    ours = m.GRUCell(3, activation=activation)
    ours.build(3)
    ours.set_weights([w.numpy() for w in tf1.weights])
    out, _ = arr(ours(x2, np.full((2, 3), 0.3, np.float32)))
    np.testing.assert_allclose(out, out_tf1, atol=1e-6)


@both
def test_dtype_at_construction(m) -> None:
    cell = m.GRUCell(2, dtype="float64")
    out, _ = arr(cell(x2.astype(np.float64), np.zeros((2, 2))))
    assert out.dtype == np.float64 and np.asarray(cell.weights[0]).dtype == np.float64


@both
def test_get_initial_state_as_tf1(m) -> None:
    tf1 = V1.LSTMCell(3, num_proj=2)
    expected = arr(tf1.get_initial_state(inputs=tf.constant(x2)))
    got = arr(m.LSTMCell(3, num_proj=2).get_initial_state(inputs=x2))
    assert type(got) is LSTMStateTuple
    for a, b in zip(got, expected, strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype and not a.any()
    assert arr(m.GRUCell(2).get_initial_state(batch_size=4, dtype=np.float32)).shape == (4, 2)


@both
def test_graph_only_arguments_are_accepted(m) -> None:
    cell = m.GRUCell(2, reuse=True, name="g")
    out, _ = m.dynamic_rnn(cell, np.ones((2, 3, 1), np.float32), None, None, np.float32, 8, True,
                           False, "enc")  # fmt: skip
    assert np.shape(out) == (2, 3, 2) and cell.weight_names[0] == "enc/g/gates/kernel"


@both
def test_static_bidirectional_rnn_matches_tf1(m) -> None:
    rng = np.random.default_rng(0)
    steps = [rng.normal(size=(2, 3)).astype(np.float32) for _ in range(4)]
    lengths = np.array([4, 2], np.int32)
    fw1, bw1 = V1.LSTMCell(3, num_proj=2), V1.GRUCell(2)
    tf_steps = [tf.constant(s) for s in steps]
    expected = arr(NN1.static_bidirectional_rnn(fw1, bw1, tf_steps, dtype=tf.float32,
                                                sequence_length=lengths))  # fmt: skip
    fw, bw = m.LSTMCell(3, num_proj=2), m.GRUCell(2)
    fw.build(3), bw.build(3)
    fw.set_weights([w.numpy() for w in fw1.weights])
    bw.set_weights([w.numpy() for w in bw1.weights])
    got = arr(m.static_bidirectional_rnn(fw, bw, steps, dtype=np.float32, sequence_length=lengths))
    for a, b in zip(tf.nest.flatten(got), tf.nest.flatten(expected), strict=True):
        np.testing.assert_allclose(a, b, atol=2e-6)


# --------------------------------------------------------------------------- priority 3


@both
def test_empty_batch_with_dtype_as_tf1(m) -> None:
    empty = np.zeros((0, 4, 3), np.float32)
    expected, _ = NN1.dynamic_rnn(V1.GRUCell(2), tf.constant(empty), dtype=tf.float32)
    outputs, state = m.dynamic_rnn(m.GRUCell(2), empty, dtype=np.float32)
    assert np.shape(outputs) == tuple(expected.shape) == (0, 4, 2) and np.shape(state) == (0, 2)


def test_python_lists_give_the_same_result_in_both_backends() -> None:
    x = [[[0.5, -1.0], [1.5, 0.25]]]  # [B=1, T=2, D=2] as nested lists
    results = []
    for m in (rn, rt):
        cell = m.GRUCell(2, seed=0)
        outputs, _ = m.dynamic_rnn(cell, x)
        results.append(np.asarray(outputs))
    assert results[0].dtype == results[1].dtype == np.float32
    np.testing.assert_allclose(results[0], results[1], atol=1e-6)


@both
def test_string_weights_are_refused(m) -> None:
    cell = m.GRUCell(1)
    cell.build(1)
    with pytest.raises(TypeError, match="real numbers"):
        cell.set_weights([np.full(np.shape(w), "a") for w in cell.weights])


def test_int64_sequence_length_is_checked_before_any_cast() -> None:
    x = np.zeros((1, 4, 2), np.float32)
    for m in (rn, rt):
        with pytest.raises(ValueError, match="sequence_length"):
            m.dynamic_rnn(m.GRUCell(2), x, sequence_length=np.array([2**32 + 3], np.int64))


# --------------------------------------------------------------------------- priority 4

TRACED = {
    "basic_rnn": lambda: rt.BasicRNNCell(3),
    "gru": lambda: rt.GRUCell(3),
    "basic_lstm": lambda: rt.BasicLSTMCell(3),
    "lstm": lambda: rt.LSTMCell(3, use_peepholes=True, num_proj=2, cell_clip=1.0),
    "lstm_concat": lambda: rt.LSTMCell(3, state_is_tuple=False),
    "multi": lambda: rt.MultiRNNCell([rt.GRUCell(3), rt.BasicLSTMCell(2)]),
    "multi_concat": lambda: rt.MultiRNNCell([rt.GRUCell(3), rt.GRUCell(2)], state_is_tuple=False),
    "dropout": lambda: rt.DropoutWrapper(rt.GRUCell(3), output_keep_prob=0.5, seed=1),
    "variational": lambda: rt.DropoutWrapper(rt.BasicLSTMCell(3), 0.5, 0.5, 0.5, True, 2, seed=1),
    "residual": lambda: rt.ResidualWrapper(rt.GRUCell(2)),
    "device": lambda: rt.DeviceWrapper(rt.GRUCell(3), "/cpu:0"),
    "input_projection": lambda: rt.InputProjectionWrapper(rt.GRUCell(3), 4),
    "output_projection": lambda: rt.OutputProjectionWrapper(rt.GRUCell(3), 4),
}


@pytest.mark.parametrize("unroll", ["dynamic", "lengths", "bidirectional", "step"])
@pytest.mark.parametrize("name", TRACED)
def test_traced_with_unknown_batch_and_time(name: str, unroll: str) -> None:
    cell, other = TRACED[name](), TRACED[name]()
    signature = [tf.TensorSpec([None, None, 2], tf.float32), tf.TensorSpec([None], tf.int32)]

    @tf.function(input_signature=signature)
    def run(x, lengths):
        if unroll == "dynamic":
            return rt.dynamic_rnn(cell, x, dtype=tf.float32)[0]
        if unroll == "lengths":
            return rt.dynamic_rnn(cell, x, sequence_length=lengths, dtype=tf.float32)[0]
        if unroll == "bidirectional":
            outputs, _ = rt.bidirectional_dynamic_rnn(cell, other, x, lengths, dtype=tf.float32)
            return tf.concat(outputs, 2)
        return cell(x[:, 0], cell.get_initial_state(inputs=x[:, 0]))[0]

    for batch, steps in [(3, 4), (1, 2)]:
        out = run(tf.ones([batch, steps, 2]), tf.fill([batch], steps))
        assert out.shape[0] == batch and np.isfinite(out.numpy()).all()


def test_initial_state_of_batch_1_with_unknown_batch() -> None:
    """The issue's example, which TF1 runs in graph mode: the loop must not keep the state's
    static batch of 1; a state whose batch differs from the inputs' fails when run, as TF1.
    (The cell is made outside: TF2 lets a tf.function create variables only once.)"""
    cell = rt.GRUCell(3)
    f = tf.function(
        lambda x: rt.dynamic_rnn(cell, x, initial_state=tf.zeros([1, 3])),
        input_signature=[tf.TensorSpec([None, None, 2], tf.float32)],
    )
    outputs, state = f(tf.zeros([1, 4, 2]))
    assert outputs.shape == (1, 4, 3) and state.shape == (1, 3)
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="expects an initial_state with the inputs"
    ):
        f(tf.ones([5, 4, 2]))


@both
def test_initial_state_of_another_batch_is_refused_as_tf1(m) -> None:
    x = np.zeros((3, 4, 2), np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError):  # TF1: concat of [3, 2] and [1, 3]
        NN1.dynamic_rnn(V1.GRUCell(3), tf.constant(x), initial_state=tf.zeros([1, 3]))
    with pytest.raises(ValueError, match="batch size must match"):
        m.dynamic_rnn(m.GRUCell(3), x, initial_state=np.zeros((1, 3), np.float32))


# --------------------------------------------------------------------------- priority 6


@both
def test_load_a_checkpoint_tf1_saved(m, tmp_path) -> None:
    """TF1 code in graph mode trains nothing, saves with Saver; rnnref loads it by name."""
    x = np.random.default_rng(1).normal(size=(2, 5, 3)).astype(np.float32)
    path = str(tmp_path / "model.ckpt")
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        cell = V1.MultiRNNCell([V1.LSTMCell(4, use_peepholes=True, num_proj=2), V1.GRUCell(3)])
        outputs, _ = NN1.dynamic_rnn(cell, tf.constant(x), dtype=tf.float32)
        session.run(tf.compat.v1.global_variables_initializer())
        expected = session.run(outputs)
        tf.compat.v1.train.Saver().save(session, path)
    ours = m.MultiRNNCell([m.LSTMCell(4, use_peepholes=True, num_proj=2), m.GRUCell(3)])
    ours.build(3)
    m.load_tf1_checkpoint(ours, path, scope="rnn")
    np.testing.assert_allclose(np.asarray(m.dynamic_rnn(ours, x)[0]), expected, atol=1e-5)
    with pytest.raises(ValueError, match="Pass the scope"):
        m.load_tf1_checkpoint(ours, path)


# --------------------------------------------------------------------------- priority 5


@both
def test_static_state_saving_rnn_carries_state_between_batches(m) -> None:
    rng = np.random.default_rng(2)
    steps = [rng.normal(size=(2, 3)).astype(np.float32) for _ in range(6)]
    cell = m.BasicLSTMCell(4, seed=0)
    zeros = np.zeros((2, 4), np.float32)
    saver = m.StateSaver({"c": zeros, "h": zeros})
    names = LSTMStateTuple("c", "h")
    first, _ = m.static_state_saving_rnn(cell, steps[:3], saver, names)
    second, state = m.static_state_saving_rnn(cell, steps[3:], saver, names)
    whole, whole_state = m.static_rnn(cell, steps, dtype=np.float32)
    np.testing.assert_allclose(np.asarray(first + second), np.asarray(whole), atol=1e-6)
    np.testing.assert_allclose(arr(saver.state("h")), arr(whole_state.h), atol=1e-6)
    with pytest.raises(ValueError, match="state_name nested like"):
        m.static_state_saving_rnn(cell, steps, saver, "c")


def _raw_loop_fn(m, x, lengths, cell):
    """TF's raw_rnn docstring example: dynamic_rnn over x [T, B, D] with lengths, as loop_fn."""
    T = x.shape[0]

    def loop_fn(time, cell_output, cell_state, loop_state):
        state = cell.zero_state(x.shape[1], np.float32) if cell_output is None else cell_state
        finished = time >= lengths
        step = np.minimum(time, T - 1) if m is rn else tf.minimum(time, T - 1)
        next_input = x[step] if m is rn else tf.gather(x, step)
        return finished, next_input, state, None, loop_state

    return loop_fn


@both
def test_raw_rnn_runs_dynamic_rnn_as_its_docstring_example(m) -> None:
    x = np.random.default_rng(3).normal(size=(5, 3, 2)).astype(np.float32)  # [T, B, D]
    lengths = np.array([5, 2, 3], np.int32)
    cell = m.GRUCell(4, seed=0)
    emitted, state, _ = m.raw_rnn(cell, _raw_loop_fn(m, x, lengths, cell))
    outputs = np.asarray(emitted.stack() if m is rt else emitted)
    expected, expected_state = m.dynamic_rnn(cell, x, lengths, time_major=True)
    np.testing.assert_allclose(outputs, np.asarray(expected), atol=1e-6)
    np.testing.assert_allclose(np.asarray(state), np.asarray(expected_state), atol=1e-6)
