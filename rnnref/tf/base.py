"""``RNNCell``: the contract every cell, stack and wrapper keeps.

A cell maps ``(inputs, state)`` to ``(output, next_state)``: one call is one time step.
``state_size`` and ``output_size`` say the shapes, ``weights`` holds the parameters in
TF1's order, and the first call builds them for the depth of its inputs.

Here a cell is a ``tf.Module`` whose weights are ``tf.Variable``s named as TF1 names
them (``kernel``, ``gates/bias``, ``projection/kernel``, ...). Their initial values come
from ``rnnref.np.initializers``, so the same seed gives the same weights in both backends.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import tensorflow as tf

from rnnref import structure, validation

Initializer = Callable[[np.random.Generator, tuple], np.ndarray]


def shape_of(x: Any, owner: str = "rnnref.tf", name: str = "inputs") -> tuple:
    """The static shape of a tensor as a tuple, ``None`` for a dimension unknown until run."""
    shape = x.shape if isinstance(x, (tf.Tensor, tf.Variable)) else tf.convert_to_tensor(x).shape
    validation.known_rank(owner, name, shape.rank)
    return tuple(shape.as_list())


def as_tensor(x: Any) -> tf.Tensor:
    """A tensor, keeping a tensor's device and dtype (variables are read)."""
    if isinstance(x, tf.Tensor):
        return x
    return tf.convert_to_tensor(x)


class RNNCell(tf.Module):
    """An RNN cell: ``(output, next_state) = cell(inputs, state)``.

    inputs: [B, D]; state: tensors of shape [B, n] nested like ``state_size``;
    output: [B, output_size]. Subclasses give ``state_size``, ``output_size``,
    ``_variables`` (their own weights) and ``call`` (the math of one step); cells that
    contain cells (stacks, wrappers) also set ``_cells`` and ``_cell_depths``.
    """

    def __init__(self, *, seed: int | None = None) -> None:
        super().__init__(name=type(self).__name__)
        self._seed = seed
        self._cells: list[RNNCell] = []
        self._params: dict[str, tf.Variable] = {}
        self._input_depth: int | None = None
        self.dtype: tf.DType | None = None

    @property
    def state_size(self) -> Any:
        """An int, or a tuple of them (``LSTMStateTuple`` for an LSTM), one per state tensor."""
        raise NotImplementedError

    @property
    def output_size(self) -> int:
        raise NotImplementedError

    def _variables(self, input_depth: int) -> list[tuple[str, tuple, Initializer]]:
        """This cell's own weights, as ``(TF1 name, shape, initialiser)`` in TF1's order."""
        return []

    def _cell_depths(self, input_depth: int) -> list[int]:
        """The input depth each inner cell in ``_cells`` sees."""
        return []

    def call(self, inputs: tf.Tensor, state: Any) -> tuple[tf.Tensor, Any]:
        raise NotImplementedError

    @property
    def built(self) -> bool:
        return self._input_depth is not None

    def build(self, input_depth: int, dtype: Any = tf.float32) -> None:
        """Create the weights for inputs of depth ``input_depth`` (D), in ``dtype``."""
        input_depth = validation.positive_int(input_depth, "input_depth", self._owner)
        dtype = tf.as_dtype(dtype)
        validation.float_dtype(self._owner, dtype.is_floating, dtype.name)
        with tf.init_scope(), tf.name_scope(self._owner):  # variables live outside any tf.function
            for cell, depth in zip(self._cells, self._cell_depths(input_depth), strict=True):
                if not cell.built:
                    cell.build(depth, dtype)
                validation.inner_cell_built(
                    self._owner, cell._owner, depth, dtype.name, cell._input_depth, cell.dtype.name
                )
            rng = np.random.default_rng(self._seed)
            self._params = {
                name: tf.Variable(tf.cast(init(rng, shape), dtype), name=name)
                for name, shape, init in self._variables(input_depth)
            }
        self._input_depth, self.dtype = input_depth, dtype

    @property
    def weights(self) -> list[tf.Variable]:
        """Inner cells' weights, then this cell's own, in TF1's order and shapes."""
        inner = [w for cell in self._cells for w in cell.weights]
        return inner + list(self._params.values())

    @property
    def trainable_variables(self) -> list[tf.Variable]:
        """The weights, in TF1's order (what an optimizer's ``apply_gradients`` pairs up)."""
        return self.weights

    @property
    def variables(self) -> list[tf.Variable]:
        return self.weights

    @property
    def weight_names(self) -> list[str]:
        inner = [f"{cell._owner}/{n}" for cell in self._cells for n in cell.weight_names]
        return inner + list(self._params)

    def set_weights(self, weights: list) -> None:
        """Assign every weight from ``weights`` (arrays, tensors or variables shaped like ours)."""
        if not self.built:
            validation.not_built(self._owner)
        values = [as_tensor(w) for w in weights]
        validation.set_weights(
            self._owner,
            self.weight_names,
            [shape_of(w) for w in self.weights],
            [shape_of(v) for v in values],
        )
        self._assign(iter(values))

    def _assign(self, values: Any) -> None:
        for cell in self._cells:
            cell._assign(values)
        for variable in self._params.values():
            variable.assign(tf.cast(next(values), self.dtype))

    def zero_state(self, batch_size: Any, dtype: Any = tf.float32) -> Any:
        """Zeros shaped like ``state_size``: tensors of shape [B, n].

        ``batch_size`` is an int, or a scalar tensor such as ``tf.shape(x)[0]``.
        """
        if not isinstance(batch_size, tf.Tensor):
            owner = f"{self._owner}.zero_state"
            batch_size = validation.positive_int(batch_size, "batch_size", owner)
        return structure.map_structure(
            lambda size: tf.zeros(tf.stack([batch_size, size]), dtype=dtype), self.state_size
        )

    def __call__(self, inputs: Any, state: Any) -> tuple[tf.Tensor, Any]:
        """One time step. inputs: [B, D]; state nested like ``state_size``."""
        inputs, state = self._prepare(inputs, state)
        return self.call(inputs, state)

    def _prepare(self, inputs: Any, state: Any) -> tuple[tf.Tensor, Any]:
        """Check one step's inputs and state (building the cell if needed); return tensors."""
        inputs = self._check_inputs(as_tensor(inputs))
        state = structure.map_structure(as_tensor, state)
        state_shape = partial(shape_of, owner=self._owner, name="the state")
        validation.state(self._owner, state, self.state_size, shape_of(inputs)[0], state_shape)
        leaves = structure.flatten(state)
        dtype = inputs.dtype if inputs.dtype.is_floating else leaves[0].dtype
        if not self.built:
            self.build(shape_of(inputs)[1], dtype)
        if inputs.dtype.is_floating:
            validation.dtypes_match(self._owner, "inputs", inputs.dtype.name, self.dtype.name)
        for leaf in leaves:
            validation.dtypes_match(self._owner, "the state", leaf.dtype.name, self.dtype.name)
        return inputs, state

    def _check_inputs(self, inputs: tf.Tensor) -> tf.Tensor:
        validation.float_inputs(self._owner, inputs.dtype.is_floating, inputs.dtype.name)
        validation.cell_inputs(self._owner, shape_of(inputs, self._owner), self._input_depth)
        return inputs

    def __repr__(self) -> str:
        return f"{self._owner}(state_size={self.state_size}, output_size={self.output_size})"


class _Later(int):
    """Stands in for a value known only when a graph runs: it prints as its name."""

    def __new__(cls, name: str, value: int) -> "_Later":
        later = super().__new__(cls, value)
        later.label = name
        return later

    def __format__(self, spec: str) -> str:
        return self.label


def check_range(
    check: Callable,
    owner: str,
    values: tf.Tensor,
    bound: Any,
    in_range: Callable,
    names: tuple[str, str, str],
) -> tf.Tensor:
    """Run a shared range check, ``check(owner, low, high, bound)``, on integer ``values``.

    When the values and the bound are known now (eagerly, or constants in a graph), the
    check runs in Python and raises its ValueError at once. Otherwise a
    ``tf.debugging.Assert`` raises the same message when the graph runs, with the
    unknown numbers written as ``names`` (of low, high and bound) and their values after
    it. ``in_range(low, high, bound)`` says in TensorFlow what ``check`` tests.
    Returns ``values``, which in a graph wait for the assert before any use.
    (XLA drops asserts: under ``jit_compile=True`` values known only at run time go
    unchecked.)
    """
    static_values, static_bound = tf.get_static_value(values), tf.get_static_value(bound)
    if static_values is not None and static_bound is not None:
        if static_values.size:
            check(owner, int(static_values.min()), int(static_values.max()), int(static_bound))
        return values
    low_name, high_name, bound_name = names
    bound_now = int(static_bound) if static_bound is not None else _Later(bound_name, 0)
    try:  # low = -1 fails every range check, so this gives the message
        check(owner, _Later(low_name, -1), _Later(high_name, 0), bound_now)
    except ValueError as error:
        message = str(error)
    low, high = tf.reduce_min(values), tf.reduce_max(values)
    bound = tf.cast(bound, low.dtype)
    data = [message, f"{low_name} =", low, f"{high_name} =", high]
    if static_bound is None:
        data += [f"{bound_name} =", bound]
    ok = tf.logical_or(tf.equal(tf.size(values), 0), in_range(low, high, bound))
    with tf.control_dependencies([tf.debugging.Assert(ok, data)]):
        return tf.identity(values)
