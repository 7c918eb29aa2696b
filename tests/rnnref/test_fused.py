"""The fused unrolls against the plain loop: the same numbers, forward and backward, in
``rnnref.np.fused`` and ``rnnref.tf.fused`` alike.

The plain loop is the reference (one cell call per step; in NumPy one ``cell.backward`` per
step back, in TensorFlow its tape through the same loop); the fused unroll must give the
same outputs, final state and gradients for every cell and option it takes. Not bit for
bit: it computes ``x @ W_x + h @ W_h`` where the cell computes ``[x, h] @ W`` (the same
D + H products, added in another order), and NumPy's adds the LSTM's forget bias into the
sum, writes GRU's ``u * h_prev + (1 - u) * c`` as ``c + u * (h_prev - c)`` and sums the
weights' gradients over all steps in one product, so the two agree to round-off, well
inside the tolerances below.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnref.np as rn  # noqa: E402
import rnnref.tf as rt  # noqa: E402
from rnnref import structure  # noqa: E402
from rnnref.np import fused as np_fused  # noqa: E402
from rnnref.tf import fused as tf_fused  # noqa: E402

tf.config.experimental.enable_tensor_float_32_execution(False)  # exact float32 on a GPU too

B, T, D, H, P = 3, 6, 4, 5, 3  # batch, time, input depth, units, projection

# name -> make(backend module): every cell and option the fused unrolls take.
CELLS = {
    "BasicRNN": lambda m: m.BasicRNNCell(H, seed=1),
    "GRU": lambda m: m.GRUCell(H, seed=2),
    "BasicLSTM": lambda m: m.BasicLSTMCell(H, seed=3),
    "BasicLSTM-concat-forget-0.3": lambda m: m.BasicLSTMCell(
        H, forget_bias=0.3, state_is_tuple=False, seed=4
    ),
    "LSTM": lambda m: m.LSTMCell(H, seed=5),
    "LSTM-peepholes": lambda m: m.LSTMCell(H, use_peepholes=True, seed=6),
    "LSTM-cell-clip": lambda m: m.LSTMCell(H, cell_clip=0.4, seed=7),
    "LSTM-projection": lambda m: m.LSTMCell(H, num_proj=P, seed=8),
    "LSTM-projection-clip": lambda m: m.LSTMCell(H, num_proj=P, proj_clip=0.2, seed=9),
    "LSTM-all-concat": lambda m: m.LSTMCell(
        H,
        use_peepholes=True,
        cell_clip=0.4,
        num_proj=P,
        proj_clip=0.2,
        forget_bias=0.0,
        state_is_tuple=False,
        seed=10,
    ),  # fmt: skip
}

SCENARIOS = {
    # name: (time_major, sequence_length, random initial state)
    "zero-state": (False, None, False),
    "lengths-with-0-and-T": (False, [T, 0, 2], True),
    "time-major-short": (True, [3, 1, 0], True),
}

TOLERANCE = {np.float64: 1e-12, np.float32: 1e-5}  # round-off only: see the module docstring


def make_cell(m: Any, name: str, dtype: type) -> Any:
    """Backend ``m``'s cell with every weight moved off its initial value, so biases and
    peepholes count."""
    cell = CELLS[name](m)
    cell.build(D, dtype)
    rng = np.random.default_rng(11)
    cell.set_weights([np.asarray(w) + rng.normal(scale=0.5, size=w.shape) for w in cell.weights])
    return cell


def inputs_and_state(cell: Any, scenario: str, dtype: type, rng: np.random.Generator) -> tuple:
    """Random inputs, [B, T, D] or [T, B, D] as the scenario says, and a random state."""
    time_major = SCENARIOS[scenario][0]
    x = rng.normal(size=(T, B, D) if time_major else (B, T, D)).astype(dtype)
    state = structure.map_structure(
        lambda s: rng.normal(size=np.shape(s)).astype(dtype), cell.zero_state(B, dtype)
    )
    return x, state


def run_np(cell: rn.RNNCell, scenario: str, dtype: type) -> tuple[bool, list[np.ndarray]]:
    """Whether ``dynamic_rnn_forward`` took the fused unroll, then the outputs, final state
    and ``dynamic_rnn_backward``'s gradients for fixed random output and state gradients."""
    time_major, lengths, given_state = SCENARIOS[scenario]
    rng = np.random.default_rng(12)
    x, state = inputs_and_state(cell, scenario, dtype, rng)
    outputs, final, tape = rn.dynamic_rnn_forward(
        cell, x, lengths, state if given_state else None, dtype, time_major=time_major
    )
    d_outputs = rng.normal(size=outputs.shape).astype(dtype)
    d_final = structure.map_structure(lambda s: rng.normal(size=s.shape).astype(dtype), final)
    d_inputs, d_state, d_weights = rn.dynamic_rnn_backward(tape, d_outputs, d_final)
    values = [outputs, *structure.flatten(final), d_inputs, *structure.flatten(d_state)]
    return tape["fused"] is not None, values + list(d_weights)


def run_tf(cell: rt.RNNCell, scenario: str, dtype: type) -> tuple[bool, list[np.ndarray]]:
    """Whether ``dynamic_rnn`` takes the fused unroll, then the outputs, final state and the
    gradients of sum(outputs * R) + sum(state * S) for fixed random R and S."""
    time_major, lengths, given_state = SCENARIOS[scenario]
    rng = np.random.default_rng(12)
    x, state = inputs_and_state(cell, scenario, dtype, rng)
    x = tf.constant(x)
    state = state if given_state else cell.zero_state(B, dtype)  # passed, for its gradient
    state = structure.map_structure(tf.constant, state)
    with tf.GradientTape() as tape:
        tape.watch([x, *structure.flatten(state)])
        outputs, final = rt.dynamic_rnn(cell, x, lengths, state, time_major=time_major)
        values = [outputs, *structure.flatten(final)]
        loss = sum(tf.reduce_sum(v * rng.normal(size=v.shape).astype(dtype)) for v in values)
    sources = [x, *structure.flatten(state), *cell.weights]
    took_fused = tf_fused.supports(cell, tf.zeros((T, B, D), dtype))
    return took_fused, [v.numpy() for v in values + tape.gradient(loss, sources)]


# backend -> (its module, its fused module, run)
BACKENDS: dict[str, tuple[Any, Any, Callable]] = {
    "np": (rn, np_fused, run_np),
    "tf": (rt, tf_fused, run_tf),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("name", list(CELLS))
@pytest.mark.parametrize("backend", list(BACKENDS))
def test_fused_unroll_equals_the_plain_loop(
    backend: str, name: str, scenario: str, dtype: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    m, fused, run = BACKENDS[backend]
    cell = make_cell(m, name, dtype)
    took_fused, ours = run(cell, scenario, dtype)
    monkeypatch.setattr(fused, "supports", lambda cell, inputs: False)  # the plain loop
    took_fused_again, reference = run(cell, scenario, dtype)
    assert took_fused and not took_fused_again
    tolerance = TOLERANCE[dtype]
    for a, b in zip(ours, reference, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)


# ---- NumPy only: its tape and its choice of unroll


def test_the_clips_are_active_in_the_cases_that_test_them() -> None:
    """A clip only tests something if some values are clipped and some are not."""
    cell = make_cell(rn, "LSTM-all-concat", np.float64)
    x, _ = inputs_and_state(cell, "zero-state", np.float64, np.random.default_rng(12))
    _, _, tape = rn.dynamic_rnn_forward(cell, x)
    for key in ("c_passes", "m_passes"):
        passes = tape["fused"][key]
        assert passes.any() and not passes.all(), key


@pytest.mark.parametrize("with_lengths", [False, True])
@pytest.mark.parametrize("name", list(CELLS))
def test_without_a_tape_the_forward_equals_the_plain_loop(
    name: str, with_lengths: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``dynamic_rnn`` keeps no tape, so the fused forward reuses its buffers through the
    loop (input terms a chunk of steps at a time): over more steps than one chunk and a
    part of one, it must still give the plain loop's outputs and final state."""
    steps = 2 * np_fused._CHUNK + 3
    lengths = [steps, 0, np_fused._CHUNK + 1] if with_lengths else None
    cell = make_cell(rn, name, np.float64)
    rng = np.random.default_rng(13)
    x = rng.normal(size=(B, steps, D))
    state = structure.map_structure(lambda s: rng.normal(size=s.shape), cell.zero_state(B))
    ours = rn.dynamic_rnn(cell, x, lengths, state)
    monkeypatch.setattr(np_fused, "supports", lambda cell, inputs: False)  # the plain loop
    reference = rn.dynamic_rnn(cell, x, lengths, state)
    for a, b in zip(structure.flatten(ours), structure.flatten(reference), strict=True):
        np.testing.assert_allclose(a, b, rtol=TOLERANCE[np.float64], atol=TOLERANCE[np.float64])


@pytest.mark.parametrize(
    "make",
    [
        lambda: rn.BasicRNNCell(H, activation="relu"),  # the fused path computes tanh in place
        lambda: rn.LSTMCell(H, activation=rn.cells.sigmoid),
        lambda: rn.MultiRNNCell([rn.GRUCell(H)]),
        lambda: rn.DropoutWrapper(rn.BasicLSTMCell(H), input_keep_prob=0.5, seed=0),
        lambda: type("MyGRU", (rn.GRUCell,), {})(H),  # a subclass may change call
    ],
)
def test_other_cells_take_the_plain_loop(make: Any) -> None:
    _, _, tape = rn.dynamic_rnn_forward(make(), np.ones((B, T, D), np.float32))
    assert tape["fused"] is None and len(tape["steps"]) == T


def test_zero_steps_take_the_plain_loop() -> None:
    outputs, state, tape = rn.dynamic_rnn_forward(rn.GRUCell(H), np.ones((B, 0, D), np.float32))
    assert tape["fused"] is None and outputs.shape == (B, 0, H)


def test_the_outputs_do_not_share_memory_with_the_tape() -> None:
    cell = make_cell(rn, "LSTM", np.float64)
    outputs, state, tape = rn.dynamic_rnn_forward(cell, np.ones((B, T, D)))
    expected = rn.dynamic_rnn_backward(tape, np.ones_like(outputs))
    outputs *= 0
    state.h[:] = 0
    again = flatten(*rn.dynamic_rnn_backward(tape, np.ones_like(outputs)))
    for a, b in zip(again, flatten(*expected), strict=True):
        np.testing.assert_array_equal(a, b)


def flatten(d_inputs: Any, d_state: Any, d_weights: list) -> list:
    return [d_inputs, *structure.flatten(d_state), *d_weights]


# ---- TensorFlow only


def test_the_fused_unroll_writes_nothing_onto_the_cell() -> None:
    cell = make_cell(rt, "LSTM-all-concat", np.float32)
    before = dict(vars(cell))
    run_tf(cell, "lengths-with-0-and-T", np.float32)
    tf.function(rt.dynamic_rnn)(cell, tf.ones((B, T, D)))
    assert vars(cell).keys() == before.keys()
    assert all(vars(cell)[key] is value for key, value in before.items())
