"""The character model, in two backends with one set of weights.

    ids [B, S] -> embedding [B, S, E] -> ``layers`` cells of H units [B, S, H]
               -> logits = h @ W + b [B, S, V] -> softmax cross-entropy with the next ids

Both backends hold the same weights, as NumPy arrays in one order: the embedding
[V, E], each layer's cell weights in TF1's order, then W [H, V] and b [V]. They differ
only in how the gradients are computed: ``np`` runs rnnref.np's backward passes,
``tf`` runs rnnref.tf under ``tf.GradientTape``. The optimiser (rnnref.np's Adam) and
the checkpoints are shared, so a run can be resumed on the other backend.
"""

from typing import Any

import numpy as np

import rnnref.np as rn
from rnnref import structure
from rnnref.np.initializers import glorot_uniform

CELLS = {"lstm": "LSTMCell", "gru": "GRUCell", "rnn": "BasicRNNCell"}


class NumpyCharRNN:
    """The model in rnnref.np; ``loss_and_gradients`` is one step of truncated BPTT."""

    def __init__(self, config: dict, seed: int = 0) -> None:
        V, E, H = len(config["vocab"]), config["embedding_size"], config["units"]
        cell_class = getattr(rn, CELLS[config["cell"]])
        self.cells = [cell_class(H, seed=seed + 1 + layer) for layer in range(config["layers"])]
        for layer, cell in enumerate(self.cells):
            cell.build(E if layer == 0 else H, np.float32)
        rng = np.random.default_rng(seed)
        self.embedding = rng.uniform(-1.0, 1.0, size=(V, E)).astype(np.float32)
        self.softmax_w = glorot_uniform(rng, (H, V), np.float32)
        self.softmax_b = np.zeros(V, np.float32)

    @property
    def weights(self) -> list[np.ndarray]:
        """The model's own arrays (an optimiser updates them in place)."""
        cell_weights = [w for cell in self.cells for w in cell.weights]
        return [self.embedding] + cell_weights + [self.softmax_w, self.softmax_b]

    def set_weights(self, weights: list) -> None:
        for target, value in zip(self.weights, weights, strict=True):
            target[...] = value

    def zero_state(self, batch_size: int) -> tuple:
        """One state per layer, as a MultiRNNCell's."""
        return tuple(cell.zero_state(batch_size) for cell in self.cells)

    def loss_and_gradients(self, x: np.ndarray, y: np.ndarray, state: tuple) -> tuple:
        """x, y: ids [B, S] (y is x shifted by one); state: the previous batch's final state.

        Returns (mean loss, gradients in the order of ``weights``, final state). The
        gradient stops at the carried state: truncated backpropagation through time.
        """
        # A stack unrolled one layer at a time computes what MultiRNNCell does step by
        # step (layer l at time t needs only layer l at t-1 and layer l-1 at t), and
        # lets each layer's unroll use one matrix product for all its inputs.
        h, tapes, final_state = self.embedding[x], [], []  # [B, S] -> [B, S, E]
        for cell, layer_state in zip(self.cells, state, strict=True):
            h, layer_final, tape = rn.dynamic_rnn_forward(cell, h, initial_state=layer_state)
            tapes.append(tape)
            final_state.append(layer_final)
        logits = h @ self.softmax_w + self.softmax_b  # [B, S, H] -> [B, S, V]
        loss, loss_tape = rn.sequence_loss_forward(logits, y)

        d_logits = rn.sequence_loss_backward(loss_tape)  # [B, S, V]
        d_softmax_w = np.tensordot(h, d_logits, axes=([0, 1], [0, 1]))  # [H, V]
        d_softmax_b = d_logits.sum(axis=(0, 1))
        d_h, d_cells = d_logits @ self.softmax_w.T, []  # [B, S, V] -> [B, S, H]
        for tape in reversed(tapes):
            d_h, _, d_weights = rn.dynamic_rnn_backward(tape, d_h)
            d_cells = d_weights + d_cells
        d_embedding = np.zeros_like(self.embedding)
        np.add.at(d_embedding, x, d_h)  # a character seen k times adds k rows
        grads = [d_embedding] + d_cells + [d_softmax_w, d_softmax_b]
        return loss, grads, tuple(final_state)

    def next_logits(self, ids: np.ndarray, state: tuple) -> tuple[np.ndarray, tuple]:
        """One step for sampling: ids [B] -> (logits [B, V], new state)."""
        h, new_state = self.embedding[ids], []
        for cell, layer_state in zip(self.cells, state, strict=True):
            h, layer_state = cell(h, layer_state)
            new_state.append(layer_state)
        return h @ self.softmax_w + self.softmax_b, tuple(new_state)


class TensorFlowCharRNN:
    """The same model in rnnref.tf, differentiated by ``tf.GradientTape`` in a tf.function.

    Its ``weights`` are NumPy arrays, the same as the NumPy model's for the same seed;
    each step copies them into the TensorFlow variables first.
    """

    def __init__(self, config: dict, seed: int = 0) -> None:
        import os

        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf

        import rnnref.tf as rt

        self._tf = tf
        self._reference = NumpyCharRNN(config, seed)  # the initial weights and zero state
        cell_class = getattr(rt, CELLS[config["cell"]])
        self._stack = rt.MultiRNNCell([cell_class(config["units"]) for _ in self.cells])
        self._stack.build(config["embedding_size"], tf.float32)
        ref = self._reference
        self._embedding = tf.Variable(ref.embedding, name="embedding")
        self._softmax = [tf.Variable(ref.softmax_w), tf.Variable(ref.softmax_b)]
        self._variables = [self._embedding] + self._stack.weights + self._softmax
        self._step = tf.function(self._tf_loss_and_gradients)

    @property
    def cells(self) -> list:
        return self._reference.cells

    @property
    def weights(self) -> list[np.ndarray]:
        return self._reference.weights

    def set_weights(self, weights: list) -> None:
        self._reference.set_weights(weights)

    def zero_state(self, batch_size: int) -> tuple:
        return self._reference.zero_state(batch_size)

    def loss_and_gradients(self, x: np.ndarray, y: np.ndarray, state: tuple) -> tuple:
        """As ``NumpyCharRNN.loss_and_gradients``, computed by TensorFlow."""
        tf = self._tf
        for variable, value in zip(self._variables, self.weights, strict=True):
            variable.assign(value)
        state = structure.map_structure(tf.constant, state)
        loss, grads, final_state = self._step(tf.constant(x), tf.constant(y), state)
        grads = [np.asarray(g) for g in grads]
        return float(loss), grads, structure.map_structure(np.asarray, final_state)

    def _tf_loss_and_gradients(self, x: Any, y: Any, state: Any) -> tuple:
        import rnnref.tf as rt

        tf = self._tf
        with tf.GradientTape() as tape:
            h = tf.nn.embedding_lookup(self._embedding, x)  # [B, S] -> [B, S, E]
            h, final_state = rt.dynamic_rnn(self._stack, h, initial_state=state)
            logits = tf.tensordot(h, self._softmax[0], 1) + self._softmax[1]  # [B, S, V]
            losses = tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits)  # [B, S]
            loss = tf.reduce_mean(losses)
        grads = tape.gradient(loss, self._variables)
        # The embedding's gradient comes as rows (IndexedSlices): make it a full matrix.
        return loss, [tf.convert_to_tensor(g) for g in grads], final_state


def make_model(backend: str, config: dict, seed: int = 0) -> Any:
    if backend == "np":
        return NumpyCharRNN(config, seed)
    if backend == "tf":
        return TensorFlowCharRNN(config, seed)
    raise ValueError(f"backend must be 'np' or 'tf'. Received: {backend!r}.")
