"""Cells around a cell: dropout, residual connections, projections and embeddings.

Each wrapper is itself an ``RNNCell``. Its ``weights`` are the inner cell's, then its own.
Each ``call`` records in its tape what the ``_backward`` below it needs, and the inner
cell's step under ``tape["cell"]``.
"""

from collections.abc import Callable
from typing import Any

import numpy as np

from rnnref import structure, validation
from rnnref.np.base import RNNCell, _subtape
from rnnref.np.initializers import glorot_uniform, uniform_sqrt3, zeros
from rnnref.structure import LSTMStateTuple


class _Wrapper(RNNCell):
    """Wraps ``cell``; by default keeps its sizes and passes inputs straight through."""

    def __init__(self, cell: RNNCell, *, seed: int | None = None) -> None:
        super().__init__(seed=seed)
        validation.is_cell(cell, RNNCell, self.name)
        self._cells = [cell]

    @property
    def cell(self) -> RNNCell:
        return self._cells[0]

    @property
    def state_size(self) -> Any:
        return self.cell.state_size

    @property
    def output_size(self) -> int:
        return self.cell.output_size

    def _cell_depths(self, input_depth: int) -> list[int]:
        return [input_depth]


class DropoutWrapper(_Wrapper):
    """Dropout on a cell's inputs, outputs and new state (TF1's ``DropoutWrapper``).

    Each kept unit is scaled by 1 / keep_prob, so expected values are unchanged. The state
    filter is TF1's: of an ``LSTMStateTuple`` only ``h`` is dropped, never the memory ``c``.

    With ``variational_recurrent=True`` (Gal & Ghahramani 2016) one mask per quantity is
    drawn when the wrapper is made, shape [1, n], and reused at every time step and for
    every row, as TF1 does when run eagerly (its graph mode redraws them at every
    ``session.run``): make a new wrapper for new masks, e.g. one per training batch. Like
    TF1 this needs ``input_size`` when inputs are dropped. Otherwise a new
    mask is drawn at every call. ``seed`` makes the masks reproducible. ``forward`` records
    the masks it drew, and ``backward`` multiplies the gradients by the same masks.
    """

    def __init__(
        self,
        cell: RNNCell,
        input_keep_prob: float = 1.0,
        output_keep_prob: float = 1.0,
        state_keep_prob: float = 1.0,
        variational_recurrent: bool = False,
        input_size: int | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(cell, seed=seed)
        self._keep = {
            "input": validation.keep_prob(input_keep_prob, "input_keep_prob", self.name),
            "output": validation.keep_prob(output_keep_prob, "output_keep_prob", self.name),
            "state": validation.keep_prob(state_keep_prob, "state_keep_prob", self.name),
        }
        self._rng = np.random.default_rng(seed)
        self._variational = bool(variational_recurrent)
        self._noise: dict[str, Any] = {}
        if self._variational:
            validation.variational_input_size(self.name, self._keep["input"], input_size)
            sizes = {"input": input_size, "state": cell.state_size, "output": cell.output_size}
            for kind, size in sizes.items():
                if self._keep[kind] < 1.0:
                    self._noise[kind] = structure.map_structure(
                        lambda n: self._rng.uniform(size=(1, n)), size
                    )

    def _mask(self, values: np.ndarray, kind: str, noise: np.ndarray | None) -> np.ndarray:
        """mask[k] = 1 with probability keep_prob, else 0; shaped like values (or [1, n])."""
        if noise is None:
            noise = self._rng.uniform(size=values.shape)
        else:
            validation.variational_mask(self.name, kind, noise.shape[1], values.shape)
        return (noise < self._keep[kind]).astype(values.dtype)

    def _apply_masks(self, values: Any, masks: Any, kind: str) -> Any:
        """values * mask / keep_prob, leaf by leaf. The map is linear, so backward applies
        it unchanged to the gradients."""
        keep_prob = self._keep[kind]
        return _map_state_filtered(lambda v, m: v * m / v.dtype.type(keep_prob), values, masks)

    def _drop_structure(self, values: Any, kind: str, tape: dict | None = None) -> Any:
        if self._keep[kind] == 1.0:
            return values
        noise = self._noise.get(kind, structure.map_structure(lambda _: None, values))
        masks = _map_state_filtered(lambda v, n: self._mask(v, kind, n), values, noise)
        if tape is not None:
            tape[kind] = masks
        return self._apply_masks(values, masks, kind)

    def call(self, inputs: np.ndarray, state: Any, tape: dict | None = None) -> tuple:
        inputs = self._drop_structure(inputs, "input", tape)
        output, new_state = self.cell._run(inputs, state, _subtape(tape, "cell"))
        new_state = self._drop_structure(new_state, "state", tape)
        output = self._drop_structure(output, "output", tape)
        return output, new_state

    def _backward(self, tape: dict, d_output: np.ndarray, d_state: Any) -> tuple:
        if "output" in tape:
            d_output = self._apply_masks(d_output, tape["output"], "output")
        if "state" in tape:
            d_state = self._apply_masks(d_state, tape["state"], "state")
        d_inputs, d_state_prev, d_weights = self.cell._backward(tape["cell"], d_output, d_state)
        if "input" in tape and d_inputs is not None:
            d_inputs = self._apply_masks(d_inputs, tape["input"], "input")
        return d_inputs, d_state_prev, d_weights


def _map_state_filtered(fn: Callable, values: Any, noise: Any) -> Any:
    """``fn`` on every leaf except the memory ``c`` of an LSTMStateTuple (TF1's state filter).

    ``c`` is passed through as it is, from ``values``; ``noise``'s ``c`` is never read.
    """
    if isinstance(values, LSTMStateTuple):
        return LSTMStateTuple(values.c, _map_state_filtered(fn, values.h, noise.h))
    if structure.is_nested(values):
        parts = zip(values, noise, strict=True)
        return type(values)(_map_state_filtered(fn, v, n) for v, n in parts)
    return fn(values, noise)


class ResidualWrapper(_Wrapper):
    """output = inputs + cell(inputs) (He et al. 2016), or ``residual_fn(inputs, output)``."""

    def __init__(
        self,
        cell: RNNCell,
        residual_fn: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    ) -> None:
        super().__init__(cell)
        self._residual_fn = residual_fn

    def call(self, inputs: np.ndarray, state: Any, tape: dict | None = None) -> tuple:
        output, new_state = self.cell._run(inputs, state, _subtape(tape, "cell"))
        if self._residual_fn is not None:
            return self._residual_fn(inputs, output), new_state
        validation.residual_shapes(self.name, inputs.shape, output.shape)
        return inputs + output, new_state

    def _backward(self, tape: dict, d_output: np.ndarray, d_state: Any) -> tuple:
        if self._residual_fn is not None:
            raise TypeError(
                "ResidualWrapper's backward pass knows the default residual, inputs + output. "
                f"Received: residual_fn={self._residual_fn!r}. Leave residual_fn unset to "
                "compute gradients."
            )
        d_inputs, d_state_prev, d_weights = self.cell._backward(tape["cell"], d_output, d_state)
        return d_inputs + d_output, d_state_prev, d_weights  # the inputs reach the output twice


class InputProjectionWrapper(_Wrapper):
    """Feeds the cell ``inputs @ W + b``, W: [D, num_proj] (TF1 contrib)."""

    def __init__(self, cell: RNNCell, num_proj: int, *, seed: int | None = None) -> None:
        super().__init__(cell, seed=seed)
        self._num_proj = validation.positive_int(num_proj, "num_proj", self.name)

    def _cell_depths(self, input_depth: int) -> list[int]:
        return [self._num_proj]

    def _variables(self, input_depth: int) -> list:
        return [
            ("projection/kernel", (input_depth, self._num_proj), glorot_uniform),
            ("projection/bias", (self._num_proj,), zeros),
        ]

    def call(self, inputs: np.ndarray, state: Any, tape: dict | None = None) -> tuple:
        projected = inputs @ self._params["projection/kernel"] + self._params["projection/bias"]
        if tape is not None:
            tape["inputs"] = inputs
        return self.cell._run(projected, state, _subtape(tape, "cell"))

    def _backward(self, tape: dict, d_output: np.ndarray, d_state: Any) -> tuple:
        d_projected, d_state_prev, d_weights = self.cell._backward(tape["cell"], d_output, d_state)
        d_kernel = tape["inputs"].T @ d_projected  # [D, B] @ [B, num_proj]
        d_inputs = d_projected @ self._params["projection/kernel"].T  # [B, num_proj] -> [B, D]
        return d_inputs, d_state_prev, d_weights + [d_kernel, d_projected.sum(axis=0)]


class OutputProjectionWrapper(_Wrapper):
    """Returns ``cell_output @ W + b``, W: [cell.output_size, output_size] (TF1 contrib)."""

    def __init__(self, cell: RNNCell, output_size: int, *, seed: int | None = None) -> None:
        super().__init__(cell, seed=seed)
        self._output_size = validation.positive_int(output_size, "output_size", self.name)

    @property
    def output_size(self) -> int:
        return self._output_size

    def _variables(self, input_depth: int) -> list:
        return [
            ("projection/kernel", (self.cell.output_size, self._output_size), glorot_uniform),
            ("projection/bias", (self._output_size,), zeros),
        ]

    def call(self, inputs: np.ndarray, state: Any, tape: dict | None = None) -> tuple:
        output, new_state = self.cell._run(inputs, state, _subtape(tape, "cell"))
        projected = output @ self._params["projection/kernel"] + self._params["projection/bias"]
        if tape is not None:
            tape["cell_output"] = output
        return projected, new_state

    def _backward(self, tape: dict, d_output: np.ndarray, d_state: Any) -> tuple:
        d_kernel = tape["cell_output"].T @ d_output  # [H, B] @ [B, output_size]
        d_cell_output = d_output @ self._params["projection/kernel"].T  # -> [B, H]
        d_inputs, d_state_prev, d_weights = self.cell._backward(
            tape["cell"], d_cell_output, d_state
        )
        return d_inputs, d_state_prev, d_weights + [d_kernel, d_output.sum(axis=0)]


class EmbeddingWrapper(_Wrapper):
    """Feeds the cell the embedding of integer ids: ``embedding[ids]`` (TF1 contrib).

    inputs: ids of shape [B] or [B, 1], in [0, embedding_classes); the embedding matrix is
    [embedding_classes, embedding_size]. The cell computes in the dtype of the state.
    """

    def __init__(
        self,
        cell: RNNCell,
        embedding_classes: int,
        embedding_size: int,
        *,
        seed: int | None = None,
    ) -> None:
        super().__init__(cell, seed=seed)
        self._classes = validation.positive_int(embedding_classes, "embedding_classes", self.name)
        self._size = validation.positive_int(embedding_size, "embedding_size", self.name)

    def _cell_depths(self, input_depth: int) -> list[int]:
        return [self._size]

    def _variables(self, input_depth: int) -> list:
        return [("embedding", (self._classes, self._size), uniform_sqrt3)]

    def _check_inputs(self, inputs: np.ndarray) -> np.ndarray:
        validation.int_ids(self.name, np.issubdtype(inputs.dtype, np.integer), inputs.dtype)
        if inputs.ndim == 1:
            inputs = inputs[:, None]  # [B] -> [B, 1]
        validation.cell_inputs(self.name, inputs.shape, 1)
        if inputs.size:
            validation.ids_range(self.name, int(inputs.min()), int(inputs.max()), self._classes)
        return inputs

    def call(self, inputs: np.ndarray, state: Any, tape: dict | None = None) -> tuple:
        embedded = self._params["embedding"][inputs[:, 0]]  # [B, 1] ids -> [B, embedding_size]
        if tape is not None:
            tape["ids"] = inputs[:, 0]
        return self.cell._run(embedded, state, _subtape(tape, "cell"))

    def _backward(self, tape: dict, d_output: np.ndarray, d_state: Any) -> tuple:
        d_embedded, d_state_prev, d_weights = self.cell._backward(tape["cell"], d_output, d_state)
        d_embedding = np.zeros_like(self._params["embedding"])
        np.add.at(d_embedding, tape["ids"], d_embedded)  # an id used by several rows adds up
        return None, d_state_prev, d_weights + [d_embedding]  # ids have no gradient
