"""The course's small ``RNNCell`` base, and the toy cells the checks hand to learners' code.

Learners import ``RNNCell`` and ``LSTMStateTuple`` from here and write only the math of
a cell (``call``). The base does the bookkeeping TF1's ``RNNCell`` does: it creates the
weights named by ``weight_shapes`` on the first call (as attributes, ``self.kernel``,
``self.bias``, ...), lists them in TF1's order as ``weights``, copies others in with
``set_weights``, and makes ``zero_state``. Weights have TF1's layout, so a check can give
a learner's cell the weights the grader's reference used and compare the two.

This module runs in the learner's kernel (and the grading kernel): NumPy only.
Shape legend: B batch, D input depth, H units.
"""

import os
import sys
from collections import namedtuple
from typing import Any

import numpy as np

from autograder.learner.i18n import _

LSTMStateTuple = namedtuple("LSTMStateTuple", ("c", "h"))
LSTMStateTuple.__doc__ = "An LSTM's state: memory ``c`` [B, H] and output ``h`` [B, H]."


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), written with tanh so it never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def import_tensorflow() -> Any:
    """``import tensorflow``, without its start-up lines on stderr.

    TensorFlow 2.21 writes a few log lines straight to the process's stderr while it loads,
    before ``TF_CPP_MIN_LOG_LEVEL`` can take effect, and a notebook cell that writes to
    stderr looks failed. This sends file descriptor 2 to /dev/null for the import only.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow as tf

        tf.constant(0.0) + 1.0  # the first op loads the rest of the runtime (more log lines)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return tf


def map_state(fn: Any, state: Any, *others: Any) -> Any:
    """``fn`` applied array by array to states of the same nesting (an array, an
    ``LSTMStateTuple``, a tuple of states), keeping the nesting: ``map_state(np.zeros_like, state)``
    is a zero state, ``map_state(lambda a, b: a + b, s1, s2)`` adds two states part by part."""
    if isinstance(state, tuple):
        parts = [map_state(fn, *group) for group in zip(state, *others, strict=True)]
        return type(state)(*parts) if hasattr(state, "_fields") else tuple(parts)
    return fn(state, *others)


def _zeros_like_size(size: Any, batch_size: int, dtype: Any) -> Any:
    if isinstance(size, tuple):
        parts = [_zeros_like_size(s, batch_size, dtype) for s in size]
        return type(size)(*parts) if hasattr(size, "_fields") else tuple(parts)
    return np.zeros((batch_size, size), dtype=dtype)


class RNNCell:
    """An RNN cell: ``(output, next_state) = cell(inputs, state)``; one call is one time step.

    A subclass gives:
      - ``state_size``: an int, or a tuple of them (``LSTMStateTuple(c=H, h=H)`` for an LSTM);
      - ``output_size``: an int;
      - ``weight_shapes(input_depth)``: ``{name: shape}`` of its own weights, in TF1's order;
      - ``call(inputs, state)``: the math of one step, inputs [B, D] -> (output, new_state).
    A cell that holds other cells (a stack, a wrapper) puts them in ``self.cells`` and says
    in ``cell_depths(input_depth)`` the input depth each of them sees.
    """

    cells: tuple | list = ()

    @property
    def state_size(self) -> Any:
        raise NotImplementedError

    @property
    def output_size(self) -> int:
        raise NotImplementedError

    def weight_shapes(self, input_depth: int) -> dict[str, tuple]:
        return {}

    def cell_depths(self, input_depth: int) -> list[int]:
        return [input_depth for _ in self.cells]

    def call(self, inputs: np.ndarray, state: Any) -> tuple[np.ndarray, Any]:
        raise NotImplementedError

    # ---- the bookkeeping, done once here ------------------------------------------------

    @property
    def built(self) -> bool:
        return getattr(self, "input_depth", None) is not None

    def build(self, input_depth: int, dtype: Any = np.float32, seed: int | None = None) -> None:
        """Create the weights for inputs of depth D: Glorot-uniform kernels, zero biases
        (TF1's GRU starts its gate bias at 1.0), as attributes named by ``weight_shapes``."""
        for cell, depth in zip(self.cells, self.cell_depths(input_depth), strict=True):
            if not cell.built:
                cell.build(depth, dtype, seed)
        rng = np.random.default_rng(seed)
        self.weight_names = list(self.weight_shapes(input_depth))
        for name, shape in self.weight_shapes(input_depth).items():
            if name.endswith("bias"):
                value = np.full(shape, 1.0 if name == "gates_bias" else 0.0)
            else:
                fan_in, fan_out = (shape[0], shape[0]) if len(shape) == 1 else shape[:2]
                limit = np.sqrt(6.0 / (fan_in + fan_out))
                value = rng.uniform(-limit, limit, size=shape)
            setattr(self, name, value.astype(dtype))
        self.input_depth, self.dtype = input_depth, np.dtype(dtype)

    @property
    def weights(self) -> list[np.ndarray]:
        """The inner cells' weights, then this cell's own, in TF1's order and shapes."""
        inner = [w for cell in self.cells for w in cell.weights]
        return inner + [getattr(self, name) for name in getattr(self, "weight_names", [])]

    def set_weights(self, weights: list) -> None:
        """Replace every weight by a copy of ``weights`` (shaped like ``self.weights``)."""
        if not self.built:
            raise ValueError(
                _("{cell} has no weights yet: call build first.").format(cell=type(self).__name__)
            )
        weights = list(weights)
        shapes = [w.shape for w in self.weights]
        if len(weights) != len(shapes):
            raise ValueError(
                _("{cell} has {count} weights {shapes}. Received: {received} arrays.").format(
                    cell=type(self).__name__,
                    count=len(shapes),
                    shapes=shapes,
                    received=len(weights),
                )
            )
        for index, (w, shape) in enumerate(zip(weights, shapes, strict=True)):
            if np.shape(w) != shape:
                raise ValueError(
                    _(
                        "{cell} expects weight {index} of shape {shape}. Received: shape "
                        "{received}."
                    ).format(
                        cell=type(self).__name__, index=index, shape=shape, received=np.shape(w)
                    )
                )
        remaining = iter(weights)
        self._assign(remaining)

    def _assign(self, remaining: Any) -> None:
        for cell in self.cells:
            cell._assign(remaining)
        for name in getattr(self, "weight_names", []):
            setattr(self, name, np.array(next(remaining), dtype=self.dtype))

    def zero_state(self, batch_size: int, dtype: Any = np.float32) -> Any:
        """Zeros shaped like ``state_size``: arrays [B, n], nested like it."""
        return _zeros_like_size(self.state_size, batch_size, dtype)

    def __call__(self, inputs: np.ndarray, state: Any) -> tuple[np.ndarray, Any]:
        """One time step; builds the weights on the first call, from the inputs' depth."""
        inputs = np.asarray(inputs)
        if not self.built:
            dtype = inputs.dtype if np.issubdtype(inputs.dtype, np.floating) else np.float32
            self.build(inputs.shape[-1], dtype)
        return self.call(inputs, state)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(state_size={self.state_size}, output_size={self.output_size})"
        )


class ToyCell(RNNCell):
    """A made-up cell the checks feed to learners' stacks, wrappers and unrolls.

    Its output differs from its state (so mixing them up shows), and with ``tuple_state``
    its state is an ``LSTMStateTuple`` (so nested states are exercised). With an
    ``embedding`` table [classes, D] it reads integer ids [B] or [B, 1] (x = embedding[ids]),
    so an unroll's inputs need not share the state's dtype:

        s     = tanh([x, h_prev] @ kernel + bias)                      [B, H]
        state = s, or LSTMStateTuple(c = 0.5 * c_prev + s, h = s)
        output = s @ out_kernel                                        [B, O]
    """

    def __init__(
        self,
        num_units: int,
        output_size: int,
        tuple_state: bool = False,
        embedding: np.ndarray | None = None,
    ) -> None:
        self.num_units, self._output_size, self.tuple_state = num_units, output_size, tuple_state
        self.embedding = embedding

    @property
    def state_size(self) -> Any:
        H = self.num_units
        return LSTMStateTuple(H, H) if self.tuple_state else H

    @property
    def output_size(self) -> int:
        return self._output_size

    def weight_shapes(self, input_depth: int) -> dict[str, tuple]:
        H = self.num_units
        return {
            "kernel": (input_depth + H, H),
            "bias": (H,),
            "out_kernel": (H, self._output_size),
        }

    def call(self, inputs: np.ndarray, state: Any) -> tuple[np.ndarray, Any]:
        if self.embedding is not None:
            inputs = self.embedding[np.reshape(inputs, -1)]  # ids [B] or [B, 1] -> [B, D]
        h_prev = state.h if self.tuple_state else state
        s = np.tanh(np.concatenate([inputs, h_prev], axis=1) @ self.kernel + self.bias)
        new_state = LSTMStateTuple(0.5 * state.c + s, s) if self.tuple_state else s
        return s @ self.out_kernel, new_state


def toy_cell(spec: dict) -> ToyCell:
    """A built ``ToyCell`` from plain data: ``{"units", "output_size", "tuple_state",
    "input_depth", "weights"}`` and maybe ``"embedding"`` (what a check's case carries)."""
    cell = ToyCell(spec["units"], spec["output_size"], spec["tuple_state"], spec.get("embedding"))
    cell.build(spec["input_depth"], spec["weights"][0].dtype)
    cell.set_weights(spec["weights"])
    return cell
