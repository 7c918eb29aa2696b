"""Cells around a cell: dropout, residual connections, projections and embeddings.

Each wrapper is itself an ``RNNCell``. Its ``weights`` are the inner cell's, then its own.
Each ``call`` records in its tape what the ``_backward`` below it needs, and the inner
cell's step under ``tape["cell"]``.
"""

from collections.abc import Callable
from typing import Any

import numpy as np

from rnnref import structure, validation
from rnnref.np.base import RNNCell, _is_float, _subtape
from rnnref.np.cells import ACTIVATIONS, Activation, _derivative
from rnnref.np.initializers import from_argument, glorot_uniform, uniform_sqrt3, zeros


class _Wrapper(RNNCell):
    """Wraps ``cell``; by default keeps its sizes and passes inputs straight through.

    As TF1's wrappers, its ``zero_state`` is the wrapped cell's (which a user's cell may
    override).
    """

    def __init__(self, cell: RNNCell, *, name: str | None = None, seed: int | None = None) -> None:
        super().__init__(name=name, seed=seed)
        validation.is_cell(cell, RNNCell, self._owner)
        self._cells = [cell]

    @property
    def cell(self) -> RNNCell:
        return self._cells[0]

    @property
    def wrapped_cell(self) -> RNNCell:
        """The cell inside (TF1's name for ``cell``)."""
        return self._cells[0]

    @property
    def state_size(self) -> Any:
        return self.cell.state_size

    @property
    def output_size(self) -> int:
        return self.cell.output_size

    def _cell_depths(self, input_depth: int) -> list[int]:
        return [input_depth]

    def zero_state(self, batch_size: int, dtype: Any = np.float32) -> Any:
        return self.cell.zero_state(batch_size, dtype)


class _CoreWrapper(_Wrapper):
    """A wrapper of TF1's ``rnn_cell_impl`` (dropout, residual, device): it has no weights
    and adds no scope, so the wrapped cell's weights keep the names they have unwrapped.
    (The contrib wrappers below scope their own weights and the cell's under their name.)
    """

    def _inner_scope(self, scope: str, index: int) -> str:
        return scope


class DropoutWrapper(_CoreWrapper):
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
        input_keep_prob: Any = 1.0,
        output_keep_prob: Any = 1.0,
        state_keep_prob: Any = 1.0,
        variational_recurrent: bool = False,
        input_size: int | None = None,
        dtype: Any = None,
        seed: int | None = None,
        dropout_state_filter_visitor: Callable[[Any], Any] | None = None,
        *,
        name: str | None = None,
    ) -> None:
        super().__init__(cell, name=name, seed=seed)
        owner = self._owner
        self._keep = {
            "input": validation.keep_prob(input_keep_prob, "input_keep_prob", owner),
            "output": validation.keep_prob(output_keep_prob, "output_keep_prob", owner),
            "state": validation.keep_prob(state_keep_prob, "state_keep_prob", owner),
        }
        self._rng = np.random.default_rng(self._seed)
        self._variational = validation.boolean(
            variational_recurrent, "variational_recurrent", owner
        )
        self._visitor = (
            validation.callable_or_none(
                dropout_state_filter_visitor, "dropout_state_filter_visitor", owner
            )
            or structure.default_state_filter
        )
        self._noise: dict[str, Any] = {}
        if self._variational:
            validation.variational_input_size(owner, self._keep["input"], input_size)
            # TF1 takes dtype for the masks' dtype; masks here take the values' dtype.
            validation.dtype_or_none(dtype, owner, np.dtype, _is_float)
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
            validation.variational_mask(self._owner, kind, noise.shape[1], values.shape)
        return (noise < self._keep[kind]).astype(values.dtype)

    def _apply_masks(self, values: Any, masks: Any, kind: str) -> Any:
        """values * mask / keep_prob, leaf by leaf. The map is linear, so backward applies
        it unchanged to the gradients."""
        keep_prob = self._keep[kind]
        return self._filtered(lambda v, m: v * m / v.dtype.type(keep_prob), values, masks, kind)

    def _filtered(self, fn: Callable, values: Any, other: Any, kind: str) -> Any:
        """``fn`` leaf by leaf; of a state, only on the leaves the state filter selects."""
        visitor = self._visitor if kind == "state" else _every_part
        return structure.map_filtered(fn, values, other, visitor)

    def _drop_structure(self, values: Any, kind: str, tape: dict | None = None) -> Any:
        if self._keep[kind] == 1.0:
            return values
        noise = self._noise.get(kind, structure.map_structure(lambda _: None, values))
        masks = self._filtered(lambda v, n: self._mask(v, kind, n), values, noise, kind)
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


def _every_part(part: Any) -> bool:
    """Inputs and outputs are dropped whole, as TF1 (its state filter is for states)."""
    return True


class ResidualWrapper(_CoreWrapper):
    """output = inputs + cell(inputs) (He et al. 2016), or ``residual_fn(inputs, output)``."""

    def __init__(
        self,
        cell: RNNCell,
        residual_fn: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
        *,
        name: str | None = None,
    ) -> None:
        super().__init__(cell, name=name)
        self._residual_fn = validation.callable_or_none(residual_fn, "residual_fn", self._owner)

    def call(self, inputs: np.ndarray, state: Any, tape: dict | None = None) -> tuple:
        output, new_state = self.cell._run(inputs, state, _subtape(tape, "cell"))
        if self._residual_fn is not None:
            return self._residual_fn(inputs, output), new_state
        validation.residual_shapes(self._owner, inputs.shape, output.shape)
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
    """Feeds the cell ``act(inputs @ W + b)``, W: [D, num_proj] (TF1 contrib; no ``act`` by
    default). ``input_size`` is accepted for TF1's signature (TF1 ignores it too)."""

    def __init__(
        self,
        cell: RNNCell,
        num_proj: int,
        activation: Activation | str | None = None,
        input_size: int | None = None,
        reuse: Any = None,
        *,
        name: str | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(cell, name=name, seed=seed)
        self._num_proj = validation.positive_int(num_proj, "num_proj", self._owner)
        self._activation = validation.activation(activation, self._owner, ACTIVATIONS)
        validation.positive_int_or_none(input_size, "input_size", self._owner)

    def _cell_depths(self, input_depth: int) -> list[int]:
        return [self._num_proj]

    def _variables(self, input_depth: int) -> list:
        return [
            ("kernel", (input_depth, self._num_proj), glorot_uniform),
            ("bias", (self._num_proj,), zeros),
        ]

    def call(self, inputs: np.ndarray, state: Any, tape: dict | None = None) -> tuple:
        projected = inputs @ self._params["kernel"] + self._params["bias"]
        if self._activation is not None:
            projected = self._activation(projected)
        if tape is not None:
            tape.update(inputs=inputs, projected=projected)
        return self.cell._run(projected, state, _subtape(tape, "cell"))

    def _backward(self, tape: dict, d_output: np.ndarray, d_state: Any) -> tuple:
        d_projected, d_state_prev, d_weights = self.cell._backward(tape["cell"], d_output, d_state)
        if self._activation is not None:
            d_projected = d_projected * _derivative(self._activation, self._owner)(
                tape["projected"]
            )
        d_kernel = tape["inputs"].T @ d_projected  # [D, B] @ [B, num_proj]
        d_inputs = d_projected @ self._params["kernel"].T  # [B, num_proj] -> [B, D]
        return d_inputs, d_state_prev, d_weights + [d_kernel, d_projected.sum(axis=0)]


class OutputProjectionWrapper(_Wrapper):
    """Returns ``act(cell_output @ W + b)``, W: [cell.output_size, output_size] (TF1 contrib;
    no ``act`` by default)."""

    def __init__(
        self,
        cell: RNNCell,
        output_size: int,
        activation: Activation | str | None = None,
        reuse: Any = None,
        *,
        name: str | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(cell, name=name, seed=seed)
        self._output_size = validation.positive_int(output_size, "output_size", self._owner)
        self._activation = validation.activation(activation, self._owner, ACTIVATIONS)

    @property
    def output_size(self) -> int:
        return self._output_size

    def _variables(self, input_depth: int) -> list:
        return [
            ("kernel", (self.cell.output_size, self._output_size), glorot_uniform),
            ("bias", (self._output_size,), zeros),
        ]

    def call(self, inputs: np.ndarray, state: Any, tape: dict | None = None) -> tuple:
        output, new_state = self.cell._run(inputs, state, _subtape(tape, "cell"))
        projected = output @ self._params["kernel"] + self._params["bias"]
        if self._activation is not None:
            projected = self._activation(projected)
        if tape is not None:
            tape.update(cell_output=output, projected=projected)
        return projected, new_state

    def _backward(self, tape: dict, d_output: np.ndarray, d_state: Any) -> tuple:
        if self._activation is not None:
            d_output = d_output * _derivative(self._activation, self._owner)(tape["projected"])
        d_kernel = tape["cell_output"].T @ d_output  # [H, B] @ [B, output_size]
        d_cell_output = d_output @ self._params["kernel"].T  # -> [B, H]
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
        initializer: Any = None,
        reuse: Any = None,
        *,
        name: str | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(cell, name=name, seed=seed)
        owner = self._owner
        self._classes = validation.positive_int(embedding_classes, "embedding_classes", owner)
        self._size = validation.positive_int(embedding_size, "embedding_size", owner)
        self._initializer = from_argument(initializer, "initializer", owner, uniform_sqrt3)

    def _cell_depths(self, input_depth: int) -> list[int]:
        return [self._size]

    def _variables(self, input_depth: int) -> list:
        return [("embedding", (self._classes, self._size), self._initializer)]

    def _check_inputs(self, inputs: np.ndarray) -> np.ndarray:
        validation.int_ids(self._owner, np.issubdtype(inputs.dtype, np.integer), inputs.dtype)
        if inputs.ndim == 1:
            inputs = inputs[:, None]  # [B] -> [B, 1]
        validation.cell_inputs(self._owner, inputs.shape, 1)
        if inputs.size:
            validation.ids_range(self._owner, int(inputs.min()), int(inputs.max()), self._classes)
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


class DeviceWrapper(_CoreWrapper):
    """TF1's ``DeviceWrapper``: runs the cell on ``device``. NumPy has one device, so here
    it only records ``device`` (rnnref.tf runs the cell under ``tf.device(device)``)."""

    def __init__(self, cell: RNNCell, device: str, *, name: str | None = None) -> None:
        super().__init__(cell, name=name)
        self.device = validation.device(device, self._owner)

    def call(self, inputs: np.ndarray, state: Any, tape: dict | None = None) -> tuple:
        return self.cell._run(inputs, state, _subtape(tape, "cell"))

    def _backward(self, tape: dict, d_output: np.ndarray, d_state: Any) -> tuple:
        return self.cell._backward(tape["cell"], d_output, d_state)
