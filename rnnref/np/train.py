"""Training utilities: a sequence's softmax cross-entropy, SGD with momentum, Adam, and
clipping by global norm, each computed step for step as TensorFlow computes it.

A training step with them (V is the vocabulary size, W the softmax layer's weights):

    outputs, state, tape = rn.dynamic_rnn_forward(cell, x, initial_state=state)
    logits = outputs @ W + b                                   # [B, T, H] -> [B, T, V]
    loss, loss_tape = rn.sequence_loss_forward(logits, y)
    d_logits = rn.sequence_loss_backward(loss_tape)            # [B, T, V]
    _, _, d_weights = rn.dynamic_rnn_backward(tape, d_logits @ W.T)
    grads, norm = rn.clip_by_global_norm(d_weights + [...], clip_norm=5.0)
    optimizer.apply_gradients(zip(grads, cell.weights + [W, b]))
"""

from collections.abc import Iterable
from typing import Any

import numpy as np

from rnnref import validation


def sequence_loss_forward(logits: Any, labels: Any, mask: Any = None) -> tuple[float, dict]:
    """Mean softmax cross-entropy over the valid steps of a batch of sequences.

    logits: [B, T, V]; labels: [B, T] integers in [0, V); mask: [B, T], 1 for a step that
    counts and 0 for padding (None: every step counts). With p = softmax(logits):

        loss = sum_{b,t} mask[b,t] * -log p[b, t, labels[b,t]] / sum_{b,t} mask[b,t]

    and 0.0 when no step counts. Returns (loss, tape for ``sequence_loss_backward``).
    """
    logits, labels, mask = _check_loss_inputs(logits, labels, mask)
    shifted = logits - logits.max(axis=-1, keepdims=True)  # same softmax, exp cannot overflow
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))  # [B, T, V]
    nll = -np.take_along_axis(log_probs, labels[..., None], axis=-1)[..., 0]  # [B, T]
    count = max(float(mask.sum()), 1.0)  # no valid step: loss 0, not 0 / 0
    loss = float((nll * mask).sum() / count)
    tape = {"made_by": "sequence_loss_forward", "probs": np.exp(log_probs), "labels": labels}
    tape.update(mask=mask, count=count)
    return loss, tape


def sequence_loss_backward(tape: dict, d_loss: float = 1.0) -> np.ndarray:
    """dL/d logits [B, T, V] for L = d_loss * loss: (softmax - one_hot(labels)) * mask / count."""
    validation.tape_from("sequence_loss_backward", tape, "sequence_loss_forward")
    probs, labels, mask = tape["probs"], tape["labels"], tape["mask"]
    d_logits = probs.copy()
    np.put_along_axis(  # softmax - one_hot: subtract 1 at each step's label
        d_logits, labels[..., None], np.take_along_axis(probs, labels[..., None], -1) - 1, -1
    )
    scale = (mask * (d_loss / tape["count"]))[..., None]  # [B, T, 1]
    return (d_logits * scale).astype(probs.dtype, copy=False)


def _check_loss_inputs(logits: Any, labels: Any, mask: Any) -> tuple:
    owner = "sequence_loss_forward"
    logits, labels = np.asarray(logits), np.asarray(labels)
    if logits.ndim != 3 or not np.issubdtype(logits.dtype, np.floating):
        raise ValueError(
            f"{owner} expects float logits of shape [batch_size, max_time, num_classes]. "
            f"Received: logits of shape {logits.shape} and dtype {logits.dtype}."
        )
    if labels.shape != logits.shape[:2] or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"{owner} expects integer labels of shape [batch_size, max_time] = "
            f"{list(logits.shape[:2])}, one class id per step. Received: labels of shape "
            f"{labels.shape} and dtype {labels.dtype}."
        )
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[2]):
        raise ValueError(
            f"{owner} expects labels in [0, num_classes) = [0, {logits.shape[2]}). "
            f"Received: labels from {labels.min()} to {labels.max()}."
        )
    mask = np.ones(labels.shape) if mask is None else np.asarray(mask)
    if mask.shape != labels.shape:
        raise ValueError(
            f"{owner} expects mask of shape [batch_size, max_time] = {list(labels.shape)}, "
            f"1 for a step that counts and 0 for padding. Received: mask of shape {mask.shape}."
        )
    return logits, labels, mask.astype(logits.dtype)


def clip_by_global_norm(
    t_list: list, clip_norm: float
) -> tuple[list[np.ndarray | None], np.floating]:
    """Scale a list of arrays so that their joint L2 norm is at most ``clip_norm``.

    As ``tf.clip_by_global_norm``: global_norm = sqrt(sum of every array's squared
    entries); each array is multiplied by clip_norm / max(global_norm, clip_norm), so
    nothing changes when global_norm <= clip_norm. ``None`` entries stay None, and a
    non-finite global norm makes every entry NaN. Returns (clipped list, global_norm).
    """
    leaves = [np.asarray(t) for t in t_list if t is not None]
    if not leaves:
        raise ValueError("clip_by_global_norm expects at least one array. Received: none.")
    clip_norm = _positive(clip_norm, "clip_norm", "clip_by_global_norm")
    dtype = leaves[0].dtype
    global_norm = np.sqrt(sum(np.sum(np.square(t, dtype=np.float64)) for t in leaves))
    with np.errstate(divide="ignore", invalid="ignore"):
        # TF's form: 1 / 0 = inf loses to 1 / clip_norm, and inf - inf turns an infinite
        # norm into NaN rather than a silent zero scale.
        scale = clip_norm * min(1.0 / global_norm, 1.0 / clip_norm) + (global_norm - global_norm)
    clipped = [None if t is None else np.asarray(t) * np.asarray(scale, t.dtype) for t in t_list]
    return clipped, dtype.type(global_norm)


class _Optimizer:
    """Updates variables in place from their gradients, one ``apply_gradients`` per step.

    The variables are the arrays themselves (``cell.weights`` returns the cell's own
    arrays), so an update changes the model. Slot variables (momenta) are kept per
    position in the list: pass the same variables in the same order at every step.
    """

    _slot_names: tuple = ()

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = _positive(learning_rate, "learning_rate", type(self).__name__)
        self.iterations = 0
        self._slots: dict[str, list[np.ndarray]] = {}

    def apply_gradients(self, grads_and_vars: Iterable) -> None:
        """One step: every ``(gradient, variable)`` pair updates the variable in place."""
        pairs = [(np.asarray(g), v) for g, v in grads_and_vars]
        owner = f"{type(self).__name__}.apply_gradients"
        for index, (grad, var) in enumerate(pairs):
            if not isinstance(var, np.ndarray) or grad.shape != var.shape:
                raise ValueError(
                    f"{owner} expects (gradient, variable) pairs of NumPy arrays of equal "
                    f"shape. Received: pair {index} with gradient {grad.shape} and variable "
                    f"{getattr(var, 'shape', type(var).__name__)}."
                )
        if not self._slots:
            self._slots = {name: [np.zeros_like(v) for _, v in pairs] for name in self._slot_names}
        elif any(len(slots) != len(pairs) for slots in self._slots.values()):
            raise ValueError(
                f"{owner} keeps one slot per variable, made at the first step for "
                f"{len(next(iter(self._slots.values())))} variables. Received: {len(pairs)}. "
                "Pass the same variables in the same order at every step."
            )
        for index, (grad, var) in enumerate(pairs):
            slots = [self._slots[name][index] for name in self._slot_names]
            self._update(grad.astype(var.dtype, copy=False), var, *slots)
        self.iterations += 1

    def _update(self, grad: np.ndarray, var: np.ndarray, *slots: np.ndarray) -> None:
        raise NotImplementedError

    def get_state(self) -> dict[str, np.ndarray]:
        """The step count and slots as named arrays (for ``np.savez``)."""
        state = {"iterations": np.array(self.iterations)}
        for name, slots in self._slots.items():
            state.update({f"{name}/{i}": slot for i, slot in enumerate(slots)})
        return state

    def set_state(self, state: dict) -> None:
        """Restore what ``get_state`` returned."""
        self.iterations = int(state["iterations"])
        self._slots = {}
        for name in self._slot_names:
            count = sum(1 for key in state if key.startswith(f"{name}/"))
            if count:
                self._slots[name] = [np.array(state[f"{name}/{i}"]) for i in range(count)]


class SGD(_Optimizer):
    """Stochastic gradient descent with momentum, as ``tf.keras.optimizers.SGD``:

        m = -learning_rate * g + momentum * m
        w = w + m                                       (nesterov: w + momentum * m - lr * g)

    With momentum 0 this is plain w = w - learning_rate * g.
    """

    _slot_names = ("momentum",)

    def __init__(
        self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False
    ) -> None:
        super().__init__(learning_rate)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"SGD expects momentum in [0, 1]. Received: momentum={momentum}.")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def _update(self, grad: np.ndarray, var: np.ndarray, *slots: np.ndarray) -> None:
        (m,) = slots
        lr, momentum = var.dtype.type(self.learning_rate), var.dtype.type(self.momentum)
        m[...] = -grad * lr + m * momentum
        var += (-grad * lr + m * momentum) if self.nesterov else m


class Adam(_Optimizer):
    """Adam (Kingma & Ba 2015), as ``tf.keras.optimizers.Adam``, with epsilon outside the root:

    t     = iterations + 1
    alpha = learning_rate * sqrt(1 - beta_2^t) / (1 - beta_1^t)
    m     = m + (g - m) * (1 - beta_1)
    v     = v + (g^2 - v) * (1 - beta_2)
    w     = w - m * alpha / (sqrt(v) + epsilon)
    """

    _slot_names = ("m", "v")

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
    ) -> None:
        super().__init__(learning_rate)
        for name, value in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0.0 <= value < 1.0:
                raise ValueError(f"Adam expects {name} in [0, 1). Received: {name}={value}.")
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon = _positive(epsilon, "epsilon", "Adam")

    def _update(self, grad: np.ndarray, var: np.ndarray, *slots: np.ndarray) -> None:
        m, v = slots
        one = var.dtype.type  # computed in the variable's dtype, as Keras does
        t = one(self.iterations + 1)
        alpha = (
            one(self.learning_rate)
            * np.sqrt(1 - one(self.beta_2) ** t)
            / (1 - one(self.beta_1) ** t)
        )
        m += (grad - m) * (1 - self.beta_1)
        v += (np.square(grad) - v) * (1 - self.beta_2)
        var -= (m * alpha) / (np.sqrt(v) + self.epsilon)


def _positive(value: Any, name: str, owner: str) -> float:
    if value is None:
        raise TypeError(f"{owner} expects {name} to be a positive number. Received: None.")
    return float(validation.positive_float_or_none(value, name, owner))
