"""``rnnref.tf.fused`` against the plain loop: the same numbers and the same gradients.

The cases are ``tests/test_np_fused.py``'s, built with ``rnnref.tf``. TensorFlow
differentiates both unrolls; the two agree to round-off, since the fused one computes
``x @ W_x + h @ W_h`` where the cell computes ``[x, h] @ W``.
"""

import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from test_np_fused import CELLS, SCENARIOS, TOLERANCE, B, D, T  # noqa: E402

import rnnref.tf as rt  # noqa: E402
from rnnref import structure  # noqa: E402
from rnnref.tf import fused  # noqa: E402

tf.config.experimental.enable_tensor_float_32_execution(False)  # exact float32 on a GPU too


def make_cell(name: str, dtype: type) -> rt.RNNCell:
    """The cell with every weight moved off its initial value, so biases and peepholes count."""
    cell = CELLS[name](rt)
    cell.build(D, dtype)
    rng = np.random.default_rng(11)
    cell.set_weights([w.numpy() + rng.normal(scale=0.5, size=w.shape) for w in cell.weights])
    return cell


def run(cell: rt.RNNCell, scenario: str, dtype: type) -> list[np.ndarray]:
    """Outputs, final state and the gradients of sum(outputs * R) + sum(state * S)."""
    time_major, lengths, given_state = SCENARIOS[scenario]
    rng = np.random.default_rng(12)
    x = tf.constant(rng.normal(size=(T, B, D) if time_major else (B, T, D)).astype(dtype))
    state = cell.zero_state(B, dtype)  # passed even when zero, for its gradient
    if given_state:
        state = structure.map_structure(
            lambda s: tf.constant(rng.normal(size=s.shape).astype(dtype)), state
        )
    with tf.GradientTape() as tape:
        tape.watch([x, *structure.flatten(state)])
        outputs, final = rt.dynamic_rnn(cell, x, lengths, state, time_major=time_major)
        values = [outputs, *structure.flatten(final)]
        loss = sum(tf.reduce_sum(v * rng.normal(size=v.shape).astype(dtype)) for v in values)
    sources = [x, *structure.flatten(state), *cell.weights]
    return [v.numpy() for v in values + tape.gradient(loss, sources)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("name", list(CELLS))
def test_fused_unroll_equals_the_plain_loop(
    name: str, scenario: str, dtype: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    cell = make_cell(name, dtype)
    assert fused.supports(cell, tf.zeros((T, B, D), dtype))
    ours = run(cell, scenario, dtype)
    monkeypatch.setattr(fused, "supports", lambda cell, inputs: False)  # the plain loop
    reference = run(cell, scenario, dtype)
    for a, b in zip(ours, reference, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


def test_the_fused_unroll_writes_nothing_onto_the_cell() -> None:
    cell = make_cell("LSTM-all-concat", np.float32)
    before = dict(vars(cell))
    run(cell, "lengths-with-0-and-T", np.float32)
    tf.function(rt.dynamic_rnn)(cell, tf.ones((B, T, D)))
    assert vars(cell).keys() == before.keys()
    assert all(vars(cell)[key] is value for key, value in before.items())
