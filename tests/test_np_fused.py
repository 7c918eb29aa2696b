"""``rnnref.np.fused`` against the plain loop: the same numbers, forward and backward.

The plain loop is the reference (one ``cell.forward`` per step, one ``cell.backward`` per
step back); the fused unroll must give the same outputs, final state and gradients for
every cell and option it takes. Not bit for bit: it computes ``x @ W_x + h @ W_h`` where
the cell computes ``[x, h] @ W`` (the same D + H products, added in another order) and
sums the weights' gradients over all steps in one product, so the two agree to
round-off (measured: at most 3e-15 relative in float64, 7e-7 in float32). Every
elementwise operation is the cell's own, in its order, so nothing else differs.
"""

from typing import Any

import numpy as np
import pytest

import rnnref.np as rn
from rnnref import structure
from rnnref.np import fused

B, T, D, H, P = 3, 6, 4, 5, 3  # batch, time, input depth, units, projection

# name -> make(backend module): every cell and option the fused unrolls take (tests/test_tf_fused.py
# runs the same cases through rnnref.tf).
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


def make_cell(name: str, dtype: type) -> rn.RNNCell:
    """The cell with every weight moved off its initial value, so biases and peepholes count."""
    cell = CELLS[name](rn)
    cell.build(D, dtype)
    rng = np.random.default_rng(11)
    cell.set_weights([w + rng.normal(scale=0.5, size=w.shape) for w in cell.weights])
    return cell


def run(cell: rn.RNNCell, scenario: str, dtype: type) -> tuple:
    """dynamic_rnn_forward and dynamic_rnn_backward with fixed random inputs and gradients."""
    time_major, lengths, given_state = SCENARIOS[scenario]
    rng = np.random.default_rng(12)
    x = rng.normal(size=(T, B, D) if time_major else (B, T, D)).astype(dtype)
    state = structure.map_structure(
        lambda s: rng.normal(size=s.shape).astype(dtype), cell.zero_state(B, dtype)
    )
    outputs, final, tape = rn.dynamic_rnn_forward(
        cell, x, lengths, state if given_state else None, dtype, time_major=time_major
    )
    d_outputs = rng.normal(size=outputs.shape).astype(dtype)
    d_final = structure.map_structure(lambda s: rng.normal(size=s.shape).astype(dtype), final)
    gradients = rn.dynamic_rnn_backward(tape, d_outputs, d_final)
    return tape, [outputs, *structure.flatten(final)], flatten(*gradients)


def flatten(d_inputs: Any, d_state: Any, d_weights: list) -> list:
    return [d_inputs, *structure.flatten(d_state), *d_weights]


def plain_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, dynamic_rnn takes the plain loop for every cell."""
    monkeypatch.setattr(fused, "supports", lambda cell, inputs: False)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("name", list(CELLS))
def test_fused_unroll_equals_the_plain_loop(
    name: str, scenario: str, dtype: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    cell = make_cell(name, dtype)
    fused_tape, fused_values, fused_grads = run(cell, scenario, dtype)
    plain_loop(monkeypatch)
    plain_tape, plain_values, plain_grads = run(cell, scenario, dtype)
    assert fused_tape["fused"] is not None and plain_tape["fused"] is None
    tolerance = TOLERANCE[dtype]
    for ours, reference in zip(fused_values + fused_grads, plain_values + plain_grads, strict=True):
        assert ours.dtype == reference.dtype and ours.shape == reference.shape
        np.testing.assert_allclose(ours, reference, rtol=tolerance, atol=tolerance)


def test_the_clips_are_active_in_the_cases_that_test_them() -> None:
    """A clip only tests something if some values are clipped and some are not."""
    tape, _, _ = run(make_cell("LSTM-all-concat", np.float64), "zero-state", np.float64)
    for key in ("c_passes", "m_passes"):
        passes = tape["fused"][key]
        assert passes.any() and not passes.all(), key


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
    cell = make_cell("LSTM", np.float64)
    outputs, state, tape = rn.dynamic_rnn_forward(cell, np.ones((B, T, D)))
    expected = rn.dynamic_rnn_backward(tape, np.ones_like(outputs))
    outputs *= 0
    state.h[:] = 0
    again = flatten(*rn.dynamic_rnn_backward(tape, np.ones_like(outputs)))
    for a, b in zip(again, flatten(*expected), strict=True):
        np.testing.assert_array_equal(a, b)
