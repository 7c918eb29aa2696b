"""Cells around a cell: dropout, residual connections, projections and embeddings.

Each wrapper is itself an ``RNNCell``. Its ``weights`` are the inner cell's, then its own.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf

from rnnref import structure, validation
from rnnref.np.initializers import from_argument, glorot_uniform, uniform_sqrt3, zeros
from rnnref.tf.base import RNNCell, check_range, shape_of
from rnnref.tf.cells import ACTIVATIONS, Activation


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

    def zero_state(self, batch_size: Any, dtype: Any = tf.float32) -> Any:
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
    every row; like TF1 this needs ``input_size`` when inputs are dropped. These masks come
    from NumPy's generator, as in ``rnnref.np``, so a seed gives both backends the same
    ones. Otherwise a new mask is drawn at every call, by a ``tf.random.Generator`` (seeded
    with ``seed``): a different stream from NumPy's, reproducible from the seed.
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
        if self._seed is None:
            self._generator = tf.random.Generator.from_non_deterministic_state()
        else:
            self._generator = tf.random.Generator.from_seed(self._seed)
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
            validation.dtype_or_none(dtype, owner, tf.as_dtype, lambda d: d.is_floating)
            rng = np.random.default_rng(self._seed)
            sizes = {"input": input_size, "state": cell.state_size, "output": cell.output_size}
            for kind, size in sizes.items():
                if self._keep[kind] < 1.0:
                    self._noise[kind] = structure.map_structure(
                        lambda n: tf.constant(rng.uniform(size=(1, n))), size
                    )

    def _drop(self, values: tf.Tensor, kind: str, noise: tf.Tensor | None) -> tf.Tensor:
        """values * mask / keep_prob, with mask[k] = 1 with probability keep_prob."""
        keep_prob = self._keep[kind]
        if noise is None:
            noise = self._generator.uniform(tf.shape(values), dtype=values.dtype)
        else:
            validation.variational_mask(self._owner, kind, noise.shape[1], shape_of(values))
        mask = tf.cast(noise < keep_prob, values.dtype)
        return values * mask / tf.constant(keep_prob, values.dtype)

    def _drop_structure(self, values: Any, kind: str) -> Any:
        if self._keep[kind] == 1.0:
            return values
        noise = self._noise.get(kind, structure.map_structure(lambda _: None, values))
        visitor = self._visitor if kind == "state" else _every_part
        return structure.map_filtered(lambda v, n: self._drop(v, kind, n), values, noise, visitor)

    def call(self, inputs: tf.Tensor, state: Any) -> tuple[tf.Tensor, Any]:
        inputs = self._drop_structure(inputs, "input")
        output, new_state = self.cell(inputs, state)
        new_state = self._drop_structure(new_state, "state")
        output = self._drop_structure(output, "output")
        return output, new_state


def _every_part(part: Any) -> bool:
    """Inputs and outputs are dropped whole, as TF1 (its state filter is for states)."""
    return True


class ResidualWrapper(_CoreWrapper):
    """output = inputs + cell(inputs) (He et al. 2016), or ``residual_fn(inputs, output)``."""

    def __init__(
        self,
        cell: RNNCell,
        residual_fn: Callable[[tf.Tensor, tf.Tensor], tf.Tensor] | None = None,
        *,
        name: str | None = None,
    ) -> None:
        super().__init__(cell, name=name)
        self._residual_fn = validation.callable_or_none(residual_fn, "residual_fn", self._owner)

    def call(self, inputs: tf.Tensor, state: Any) -> tuple[tf.Tensor, Any]:
        output, new_state = self.cell(inputs, state)
        if self._residual_fn is not None:
            return self._residual_fn(inputs, output), new_state
        validation.residual_shapes(self._owner, shape_of(inputs), shape_of(output))
        return inputs + output, new_state


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

    def call(self, inputs: tf.Tensor, state: Any) -> tuple[tf.Tensor, Any]:
        projected = inputs @ self._params["kernel"] + self._params["bias"]
        if self._activation is not None:
            projected = self._activation(projected)
        return self.cell(projected, state)


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

    def call(self, inputs: tf.Tensor, state: Any) -> tuple[tf.Tensor, Any]:
        output, new_state = self.cell(inputs, state)
        projected = output @ self._params["kernel"] + self._params["bias"]
        if self._activation is not None:
            projected = self._activation(projected)
        return projected, new_state


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

    def _check_inputs(self, inputs: tf.Tensor) -> tf.Tensor:
        validation.int_ids(self._owner, inputs.dtype.is_integer, inputs.dtype.name)
        if len(shape_of(inputs, self._owner)) == 1:
            inputs = inputs[:, None]  # [B] -> [B, 1]
        validation.cell_inputs(self._owner, shape_of(inputs), 1)
        names = ("min(ids)", "max(ids)", "embedding_classes")
        return check_range(
            validation.ids_range, self._owner, inputs, self._classes, _ids_in_range, names
        )

    def call(self, inputs: tf.Tensor, state: Any) -> tuple[tf.Tensor, Any]:
        embedded = tf.gather(self._params["embedding"], inputs[:, 0])  # [B, 1] -> [B, size]
        return self.cell(embedded, state)


def _ids_in_range(low: tf.Tensor, high: tf.Tensor, classes: tf.Tensor) -> tf.Tensor:
    return tf.logical_and(low >= 0, high < classes)


class DeviceWrapper(_CoreWrapper):
    """TF1's ``DeviceWrapper``: runs the cell (and makes its zero state) on ``device``."""

    def __init__(self, cell: RNNCell, device: str, *, name: str | None = None) -> None:
        super().__init__(cell, name=name)
        self.device = validation.device(device, self._owner)

    def zero_state(self, batch_size: Any, dtype: Any = tf.float32) -> Any:
        with tf.device(self.device):
            return self.cell.zero_state(batch_size, dtype)

    def call(self, inputs: tf.Tensor, state: Any) -> tuple[tf.Tensor, Any]:
        with tf.device(self.device):
            return self.cell(inputs, state)
