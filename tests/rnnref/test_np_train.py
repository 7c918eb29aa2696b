"""rnnref.np's training utilities step for step against TensorFlow's.

The sequence loss and its gradient against ``tf.nn.sparse_softmax_cross_entropy_with_logits``
under ``tf.GradientTape``; SGD (with and without momentum, Nesterov) and Adam against
``tf.keras.optimizers`` (tf_keras) on the same gradients, step by step; clipping against
``tf.clip_by_global_norm``.
"""

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # tf.keras is tf_keras, the optimisers TF1 code used
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnref.np as rn  # noqa: E402

B, T, V = 3, 4, 6


def test_sequence_loss_and_its_gradient_match_tensorflow() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=3.0, size=(B, T, V)).astype(np.float32)
    labels = rng.integers(0, V, size=(B, T))
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 0, 0]], np.float32)  # lengths 4, 2, 0
    loss, tape = rn.sequence_loss_forward(logits, labels, mask)
    d_logits = rn.sequence_loss_backward(tape, d_loss=2.0)

    tf_logits = tf.constant(logits)
    with tf.GradientTape() as g:
        g.watch(tf_logits)
        per_step = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, tf_logits)
        tf_loss = 2.0 * tf.reduce_sum(per_step * mask) / tf.reduce_sum(mask)
    np.testing.assert_allclose(2.0 * loss, tf_loss.numpy(), rtol=1e-6)
    np.testing.assert_allclose(d_logits, g.gradient(tf_loss, tf_logits).numpy(), atol=1e-7)
    assert d_logits.dtype == np.float32
    assert not d_logits[2].any()  # masked steps get no gradient


def test_sequence_loss_by_hand() -> None:
    """Equal logits over V classes: every step costs log V, whatever the label."""
    loss, _ = rn.sequence_loss_forward(np.zeros((1, 2, 4)), np.array([[0, 3]]))
    assert loss == pytest.approx(np.log(4))
    loss, _ = rn.sequence_loss_forward(np.zeros((1, 2, 4)), np.array([[0, 3]]), np.zeros((1, 2)))
    assert loss == 0.0  # no valid step


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"logits": np.zeros((B, V))}, "logits of shape"),
        ({"labels": np.zeros((B, T))}, "integer labels"),
        ({"labels": np.full((B, T), V)}, r"labels in \[0, num_classes\)"),
        ({"mask": np.ones((B,))}, "mask of shape"),
    ],
)
def test_sequence_loss_errors(bad: dict, match: str) -> None:
    args = {"logits": np.zeros((B, T, V)), "labels": np.zeros((B, T), int), "mask": None}
    with pytest.raises(ValueError, match=match):
        rn.sequence_loss_forward(**{**args, **bad})


OPTIMIZERS = {
    "sgd": ({"learning_rate": 0.1}, "SGD"),
    "sgd-momentum": ({"learning_rate": 0.1, "momentum": 0.9}, "SGD"),
    "sgd-nesterov": ({"learning_rate": 0.05, "momentum": 0.8, "nesterov": True}, "SGD"),
    "adam": ({"learning_rate": 0.01}, "Adam"),
    "adam-options": (
        {"learning_rate": 0.003, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3},
        "Adam",
    ),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizers_match_keras_step_for_step(name: str) -> None:
    kwargs, kind = OPTIMIZERS[name]
    rng = np.random.default_rng(1)
    shapes = [(4, 3), (3,), (2, 2, 2)]
    ours = [rng.normal(size=s).astype(np.float32) for s in shapes]
    theirs = [tf.Variable(w) for w in ours]
    optimizer = getattr(rn, kind)(**kwargs)
    keras_optimizer = getattr(tf.keras.optimizers, kind)(**kwargs)
    for _ in range(6):
        grads = [rng.normal(scale=0.5, size=s).astype(np.float32) for s in shapes]
        grads[1][0] = 0.0  # a zero gradient still moves a variable with momentum
        optimizer.apply_gradients(zip(grads, ours, strict=True))
        keras_optimizer.apply_gradients(zip([tf.constant(g) for g in grads], theirs, strict=True))
        for w, v in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(w, v.numpy(), rtol=1e-6, atol=1e-7)
            assert w.dtype == np.float32
    assert optimizer.iterations == int(keras_optimizer.iterations.numpy()) == 6


def test_optimizer_state_round_trip_continues_the_same_steps() -> None:
    rng = np.random.default_rng(2)
    grads = [[rng.normal(size=(3, 2)), rng.normal(size=2)] for _ in range(4)]
    a = [np.ones((3, 2)), np.zeros(2)]
    b = [w.copy() for w in a]
    first, second = rn.Adam(0.1), rn.Adam(0.1)
    for step, g in enumerate(grads):
        first.apply_gradients(zip(g, a, strict=True))
        if step == 1:
            second.set_state(dict(first.get_state()))  # as after np.savez / np.load
            b = [w.copy() for w in a]
        elif step > 1:
            second.apply_gradients(zip(g, b, strict=True))
    for w, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(w, v)


def test_optimizer_errors() -> None:
    with pytest.raises(ValueError, match="learning_rate"):
        rn.SGD(learning_rate=-1.0)
    with pytest.raises(ValueError, match="beta_1"):
        rn.Adam(beta_1=1.0)
    optimizer = rn.SGD(0.1, momentum=0.9)
    with pytest.raises(ValueError, match="equal shape"):
        optimizer.apply_gradients([(np.ones(2), np.ones(3))])
    optimizer.apply_gradients([(np.ones(2), np.ones(2))])
    with pytest.raises(ValueError, match="same variables in the same order"):
        optimizer.apply_gradients([(np.ones(2), np.ones(2)), (np.ones(1), np.ones(1))])


@pytest.mark.parametrize("scale", [0.0, 0.1, 1.0, 10.0, np.inf])
def test_clip_by_global_norm_matches_tensorflow(scale: float) -> None:
    rng = np.random.default_rng(3)
    t_list = [rng.normal(size=(3, 4)).astype(np.float32) * scale, None, np.ones(2, np.float32)]
    if scale == 0.0:
        t_list[2] = np.zeros(2, np.float32)  # a zero norm: nothing changes, no NaN
    with np.errstate(invalid="ignore"):
        clipped, norm = rn.clip_by_global_norm(t_list, clip_norm=2.5)
    tf_clipped, tf_norm = tf.clip_by_global_norm(
        [None if t is None else tf.constant(t) for t in t_list], 2.5
    )
    np.testing.assert_allclose(norm, tf_norm.numpy(), rtol=1e-6)
    assert clipped[1] is None and tf_clipped[1] is None
    for ours, theirs in zip(clipped, tf_clipped, strict=True):
        if ours is not None:
            np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-6)  # NaN equals NaN
            assert ours.dtype == np.float32


def test_clip_by_global_norm_by_hand() -> None:
    """[3, 4] has norm 5: clipped to norm 1 it is [0.6, 0.8]; to norm 10 it is unchanged."""
    (clipped,), norm = rn.clip_by_global_norm([np.array([3.0, 4.0])], 1.0)
    assert norm == 5.0
    np.testing.assert_allclose(clipped, [0.6, 0.8])
    (same,), _ = rn.clip_by_global_norm([np.array([3.0, 4.0])], 10.0)
    np.testing.assert_array_equal(same, [3.0, 4.0])
