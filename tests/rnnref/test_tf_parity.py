"""rnnref.tf against rnnref.np and TensorFlow's own TF1 cells, forward and backward.

Every cell and option is built three times (rnnref.tf, rnnref.np, and
``tf.compat.v1.nn.rnn_cell`` where TF2 still ships it), given the same perturbed weights
with ``set_weights``, and run by every unroll; the outputs and final states must agree
(float32, atol 2e-5). Gradients of a scalar loss of the outputs and the final state with
respect to the inputs, the initial state and every weight must agree with TF1's under
``tf.GradientTape`` (atol 1e-4).
"""

import functools
import os
import types
import zlib

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # tf.compat.v1.nn.rnn_cell from tf_keras
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnref.np as rn  # noqa: E402
import rnnref.tf as rt  # noqa: E402
from rnnref import structure  # noqa: E402

tf.config.experimental.enable_tensor_float_32_execution(False)  # exact float32 on a GPU too

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")

V1 = tf.compat.v1.nn.rnn_cell
BACKENDS = {
    "tf": types.SimpleNamespace(**{n: getattr(rt, n) for n in rt.__all__}, relu=tf.nn.relu),
    "np": types.SimpleNamespace(
        **{n: getattr(rn, n) for n in rn.__all__}, relu=lambda x: np.maximum(x, 0)
    ),
    "tf1": types.SimpleNamespace(
        **{n: getattr(V1, n) for n in dir(V1) if not n.startswith("_")}, relu=tf.nn.relu
    ),
}
B, T, D = 3, 4, 3
LENGTHS = [T, 2, 0]  # full, part, empty


# name -> (make(ns) -> cell, whether TF1 has it). D = 3 inputs; sizes picked so that the
# clips bite and a residual connection fits.
CELLS = {
    "basic_rnn": (lambda m: m.BasicRNNCell(5), True),
    "basic_rnn_relu": (lambda m: m.BasicRNNCell(5, activation=m.relu), True),
    "gru": (lambda m: m.GRUCell(5), True),
    "gru_relu": (lambda m: m.GRUCell(4, activation=m.relu), True),
    "basic_lstm": (lambda m: m.BasicLSTMCell(5), True),
    "basic_lstm_forget_bias": (lambda m: m.BasicLSTMCell(5, forget_bias=0.25), True),
    "basic_lstm_concat_state": (lambda m: m.BasicLSTMCell(5, state_is_tuple=False), True),
    "lstm": (lambda m: m.LSTMCell(5), True),
    "lstm_peepholes": (lambda m: m.LSTMCell(5, use_peepholes=True), True),
    "lstm_cell_clip": (lambda m: m.LSTMCell(5, cell_clip=0.3), True),
    "lstm_proj": (lambda m: m.LSTMCell(5, num_proj=2), True),
    "lstm_proj_clip": (lambda m: m.LSTMCell(5, num_proj=4, proj_clip=0.2), True),
    "lstm_everything": (
        lambda m: m.LSTMCell(
            6, use_peepholes=True, cell_clip=0.5, num_proj=3, proj_clip=0.3, forget_bias=0.5
        ),
        True,
    ),
    "lstm_concat_state_proj": (
        lambda m: m.LSTMCell(5, num_proj=2, use_peepholes=True, state_is_tuple=False),
        True,
    ),
    "multi_lstm_gru": (lambda m: m.MultiRNNCell([m.BasicLSTMCell(4), m.GRUCell(5)]), True),
    "multi_concat": (
        lambda m: m.MultiRNNCell(
            [m.BasicRNNCell(4), m.LSTMCell(3, num_proj=2, state_is_tuple=False)],
            state_is_tuple=False,
        ),
        True,
    ),
    "dropout_keep_all": (lambda m: m.DropoutWrapper(m.LSTMCell(5, num_proj=3)), True),
    "residual": (lambda m: m.ResidualWrapper(m.GRUCell(D)), True),
    "residual_fn": (
        lambda m: m.ResidualWrapper(m.BasicRNNCell(5), residual_fn=lambda x, y: y - x[:, :1]),
        True,
    ),
    "multi_residual": (
        lambda m: m.MultiRNNCell([m.BasicLSTMCell(D), m.ResidualWrapper(m.BasicLSTMCell(D))]),
        True,
    ),
    "device": (lambda m: m.DeviceWrapper(m.GRUCell(5), "/cpu:0"), True),
    # Wrappers TF2 no longer ships: rnnref.np is the reference.
    "input_projection": (lambda m: m.InputProjectionWrapper(m.GRUCell(5), num_proj=4), False),
    "output_projection": (
        lambda m: m.OutputProjectionWrapper(m.LSTMCell(5, use_peepholes=True), 2),
        False,
    ),
    "embedding": (lambda m: m.EmbeddingWrapper(m.BasicLSTMCell(5), 7, 4), False),
}
UNROLLS = ["call", "dynamic", "lengths", "time_major", "static", "bidirectional"]


def to_numpy(value):
    """Tensors, nested in tuples and lists, as NumPy arrays nested in tuples."""
    if isinstance(value, list):
        value = tuple(value)
    if structure.is_nested(value):
        children = [to_numpy(v) for v in value]
        return type(value)(*children) if hasattr(value, "_fields") else tuple(children)
    return np.asarray(value)


def inputs_for(name: str, rng: np.random.Generator) -> np.ndarray:
    """[B, T, D] floats, or [B, T, 1] integer ids for the embedding."""
    if name == "embedding":
        return rng.integers(0, 7, size=(B, T, 1)).astype(np.int32)
    return rng.normal(size=(B, T, D)).astype(np.float32)


def tf1_weights(cell) -> list:
    """A TF1 cell's weights in rnnref's order.

    TF2's ResidualWrapper and DropoutWrapper list none (not even their inner cell's), so
    this collects them from the cells inside.
    """
    if isinstance(cell, V1.MultiRNNCell):
        return [w for inner in cell._cells for w in tf1_weights(inner)]
    if isinstance(cell, (V1.ResidualWrapper, V1.DropoutWrapper, V1.DeviceWrapper)):
        return tf1_weights(cell.cell)
    return cell.weights


def make_cells(name: str, rng: np.random.Generator) -> dict:
    """One built cell per backend, all holding the same perturbed float32 weights."""
    make, in_tf1 = CELLS[name]
    cells = {key: make(BACKENDS[key]) for key in (("tf", "np", "tf1") if in_tf1 else ("tf", "np"))}
    x = inputs_for(name, rng)
    cells["np"](x[:, 0], cells["np"].zero_state(B))  # build by calling, as TF1 must be
    weights = [w + rng.normal(scale=0.3, size=w.shape).astype(w.dtype) for w in cells["np"].weights]
    cells["np"].set_weights(weights)
    for key in cells.keys() - {"np"}:
        cells[key](tf.constant(x[:, 0]), cells[key].zero_state(B, tf.float32))
        if key == "tf1":
            for variable, value in zip(tf1_weights(cells[key]), weights, strict=True):
                variable.assign(value)
        else:
            cells[key].set_weights(weights)
    return cells


# Made once per process: building TF's and TF1's cells eagerly costs more than the runs
# that use them, and no test changes a cell.
@functools.cache
def cells_for(name: str, direction: str = "fw") -> dict:
    """``make_cells(name)`` with weights from a seed of its own (``direction`` "bw": the
    second set a bidirectional run needs), the same objects for every test."""
    return make_cells(name, np.random.default_rng(zlib.crc32(f"{name}-{direction}".encode())))


def random_state(cell, rng: np.random.Generator):
    return structure.map_structure(
        lambda n: rng.normal(size=(B, n)).astype(np.float32), cell.state_size
    )


def run(key: str, unroll: str, cells: dict, x: np.ndarray, state) -> tuple:
    """outputs [B, T, H] (or one step's [B, H]) and the final state, as NumPy."""
    m = {"tf": rt, "np": rn, "tf1": tf.compat.v1.nn}[key]
    cell = cells[key]
    if key == "tf1":  # TF1 takes tensors, not arrays
        x, state = tf.constant(x), structure.map_structure(tf.constant, state)
    if unroll == "call":
        return to_numpy(cell(x[:, 0], state))
    if unroll == "dynamic":
        return to_numpy(m.dynamic_rnn(cell, x, dtype=np.float32))
    if unroll == "lengths":
        return to_numpy(m.dynamic_rnn(cell, x, sequence_length=LENGTHS, initial_state=state))
    if unroll == "time_major":
        x_tm = tf.transpose(x, [1, 0, 2]) if key == "tf1" else x.transpose(1, 0, 2)
        outputs, final = m.dynamic_rnn(
            cell, x_tm, sequence_length=LENGTHS, initial_state=state, time_major=True
        )
        return to_numpy(outputs).transpose(1, 0, 2), to_numpy(final)
    if unroll == "static":
        steps = [x[:, t] for t in range(T)]
        outputs, final = m.static_rnn(cell, steps, initial_state=state, sequence_length=LENGTHS)
        return np.stack(to_numpy(list(outputs)), axis=1), to_numpy(final)
    if unroll == "bidirectional":
        outputs, finals = m.bidirectional_dynamic_rnn(
            cell, cells[key + "_bw"], x, sequence_length=LENGTHS, initial_state_fw=state,
            dtype=np.float32,
        )  # fmt: skip
        return np.concatenate(to_numpy(outputs), axis=2), to_numpy(finals)
    raise AssertionError(unroll)


def assert_close(actual, expected, atol: float, what: str) -> None:
    leaves_a, leaves_e = structure.flatten(actual), structure.flatten(expected)
    assert len(leaves_a) == len(leaves_e), what
    for index, (a, e) in enumerate(zip(leaves_a, leaves_e, strict=True)):
        np.testing.assert_allclose(a, e, rtol=0, atol=atol, err_msg=f"{what}, leaf {index}")


@pytest.mark.parametrize("unroll", UNROLLS)
@pytest.mark.parametrize("name", CELLS)
def test_forward_matches_rnnref_np_and_tf1(name: str, unroll: str) -> None:
    rng = np.random.default_rng(zlib.crc32(f"{name}-{unroll}".encode()))
    cells = dict(cells_for(name))
    if unroll == "bidirectional":
        cells.update({f"{k}_bw": c for k, c in cells_for(name, "bw").items()})
    x = inputs_for(name, rng)
    state = random_state(cells["np"], rng)
    ours = run("tf", unroll, cells, x, state)
    assert_close(ours, run("np", unroll, cells, x, state), 2e-5, f"rnnref.np, {name} {unroll}")
    if "tf1" in cells:
        assert_close(ours, run("tf1", unroll, cells, x, state), 2e-5, f"TF1, {name} {unroll}")


GRADIENT_CASES = [name for name, (_, in_tf1) in CELLS.items() if in_tf1]


@pytest.mark.parametrize("time_major", [False, True], ids=["batch_major", "time_major"])
@pytest.mark.parametrize("name", GRADIENT_CASES)
def test_gradients_match_tf1(name: str, time_major: bool) -> None:
    """d loss / d (inputs, initial state, every weight), loss = <outputs, R> + <state, S>."""
    rng = np.random.default_rng(zlib.crc32(f"{name}-{time_major}".encode()))
    cells = cells_for(name)
    x = tf.constant(inputs_for(name, rng))
    if time_major:
        x = tf.transpose(x, [1, 0, 2])  # (B, T, D) -> (T, B, D)
    state = structure.map_structure(tf.constant, random_state(cells["np"], rng))
    out_shape = (T, B) if time_major else (B, T)
    r_outputs = rng.normal(size=(*out_shape, cells["np"].output_size)).astype(np.float32)
    r_state = structure.map_structure(lambda s: rng.normal(size=s.shape).astype(np.float32), state)
    sources = {"inputs": x, "initial state": state}
    grads = {}
    for key, m in (("tf", rt), ("tf1", tf.compat.v1.nn)):
        weights = tf1_weights(cells[key]) if key == "tf1" else cells[key].trainable_variables
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(structure.flatten(sources))
            outputs, final = m.dynamic_rnn(
                cells[key], x, sequence_length=LENGTHS, initial_state=state, time_major=time_major
            )
            loss = tf.reduce_sum(outputs * r_outputs) + tf.add_n(
                [
                    tf.reduce_sum(s * r)
                    for s, r in zip(*map(structure.flatten, (final, r_state)), strict=True)
                ]
            )
        grads[key] = {
            "inputs": tape.gradient(loss, x),
            "initial state": tape.gradient(loss, structure.flatten(state)),
            "weights": tape.gradient(loss, weights),
        }
    assert len(grads["tf"]["weights"]) == len(cells["np"].weights)
    for what in grads["tf"]:
        assert_close(to_numpy(grads["tf"][what]), to_numpy(grads["tf1"][what]), 1e-4, what)


def test_every_public_name_is_tested() -> None:
    """The parity table covers every cell and wrapper class that rnnref.tf exports."""
    made = {type(c).__name__ for make, _ in CELLS.values() for c in _walk(make(BACKENDS["tf"]))}
    classes = {
        n
        for n in rt.__all__
        if n[0].isupper() and n not in ("LSTMStateTuple", "RNNCell", "StateSaver")
    }
    assert classes <= made


def _walk(cell) -> list:
    return [cell] + [inner for child in cell._cells for inner in _walk(child)]
