"""``RNNCell``: the contract every cell, stack and wrapper keeps.

A cell maps ``(inputs, state)`` to ``(output, next_state)``: one call is one time step.
``state_size`` and ``output_size`` say the shapes, ``weights`` holds the parameters in
TF1's order, and the first call builds them for the depth of its inputs.

Here a cell is a ``tf.Module`` whose weights are ``tf.Variable``s named as TF1 names
them (``kernel``, ``gates/bias``, ``projection/kernel``, ...). Their initial values come
from ``rnnref.np.initializers``, so the same seed gives the same weights in both backends.
"""

import numbers
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import tensorflow as tf

from rnnref import naming, structure, validation

Initializer = Callable[[np.random.Generator, tuple, np.dtype], np.ndarray]


def shape_of(x: Any, owner: str = "rnnref.tf", name: str = "inputs") -> tuple:
    """The static shape of a tensor as a tuple, ``None`` for a dimension unknown until run."""
    shape = x.shape if isinstance(x, (tf.Tensor, tf.Variable)) else tf.convert_to_tensor(x).shape
    validation.known_rank(owner, name, shape.rank)
    return tuple(shape.as_list())


def as_tensor(x: Any, owner: str = "rnnref.tf", name: str = "inputs") -> tf.Tensor:
    """A tensor, keeping a tensor's device and dtype (variables are read). Python numbers
    and lists convert as TF1 converts them (floats to float32, ints to int32)."""
    if isinstance(x, tf.Tensor):
        return x
    validation.not_none(owner, name, x)
    try:
        return tf.convert_to_tensor(x)
    except ValueError:
        validation.ragged(owner, name)


def as_tensors(value: Any, owner: str, name: str) -> Any:
    """A state (nested like a ``state_size``) with every leaf ``as_tensor``."""
    validation.not_none(owner, name, value)
    return structure.map_structure(lambda leaf: as_tensor(leaf, owner, name), value)


class RNNCell(tf.Module):
    """An RNN cell: ``(output, next_state) = cell(inputs, state)``.

    inputs: [B, D]; state: tensors of shape [B, n] nested like ``state_size``;
    output: [B, output_size]. Subclasses give ``state_size``, ``output_size``,
    ``_variables`` (their own weights) and ``call`` (the math of one step); cells that
    contain cells (stacks, wrappers) also set ``_cells`` and ``_cell_depths``.
    """

    def __init__(
        self,
        *,
        name: str | None = None,
        dtype: Any = None,
        reuse: Any = None,
        seed: int | None = None,
    ) -> None:
        """``name``: the scope of the weights' names (see ``rnnref.naming``); ``dtype``: the
        weights' dtype (default: that of the first inputs or state); ``reuse``: accepted
        for TF1's signature and unused, since a cell object always reuses its own weights;
        ``seed``: any int, for reproducible initial weights (and dropout masks)."""
        owner = type(self).__name__
        super().__init__(name=naming.cell_name(name, owner))
        self._owner = owner
        self._seed = validation.seed(seed, owner)
        self._cells: list[RNNCell] = []
        self._params: dict[str, tf.Variable] = {}
        self._input_depth: int | None = None
        self._scope = ""
        self.dtype: tf.DType | None = validation.dtype_or_none(
            dtype, owner, tf.as_dtype, lambda d: d.is_floating
        )

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

    def build(self, input_depth: int, dtype: Any = None) -> None:
        """Create the weights for inputs of depth ``input_depth`` (D), in ``dtype``
        (default: the ``dtype`` given at construction, else float32)."""
        self._build(input_depth, dtype, "")

    def _build(self, input_depth: int, dtype: Any, scope: str) -> None:
        """``build``, with every weight named under ``scope`` (e.g. ``multi_rnn_cell/cell_0/``)."""
        input_depth = validation.positive_int(input_depth, "input_depth", self._owner)
        if dtype is None:
            dtype = tf.float32 if self.dtype is None else self.dtype
        dtype = tf.as_dtype(dtype)
        validation.float_dtype(self._owner, dtype.is_floating, dtype.name)
        for index, (cell, depth) in enumerate(
            zip(self._cells, self._cell_depths(input_depth), strict=True)
        ):
            if not cell.built:
                cell._build(depth, dtype, self._inner_scope(scope, index))
            validation.inner_cell_built(
                self._owner, cell._owner, depth, dtype.name, cell._input_depth, cell.dtype.name
            )
        rng = np.random.default_rng(self._seed)
        # Variables live outside any tf.function, named absolutely (a scope ending in "/").
        with tf.init_scope(), tf.name_scope(f"{scope}{self.name}/"):
            self._params = {
                name: tf.Variable(init(rng, shape, dtype.as_numpy_dtype), name=name)
                for name, shape, init in self._variables(input_depth)
            }
        self._input_depth, self.dtype, self._scope = input_depth, dtype, scope

    def _inner_scope(self, scope: str, index: int) -> str:
        """The scope inner cell ``index`` names its weights in: by default this cell's."""
        return f"{scope}{self.name}/"

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
        """The weights' names as TF1 scopes them, in the order of ``weights``: a TF1 variable's
        name without ``:0``, e.g. ``multi_rnn_cell/cell_0/gru_cell/gates/kernel``."""
        inner = [n for cell in self._cells for n in cell.weight_names]
        return inner + [f"{self._scope}{self.name}/{n}" for n in self._params]

    def set_weights(self, weights: list) -> None:
        """Assign every weight from ``weights`` (arrays, tensors or variables shaped like ours)."""
        if not self.built:
            validation.not_built(self._owner)
        validation.weight_list(self._owner, weights)
        values = [as_tensor(w, self._owner, "weights") for w in weights]
        names = self.weight_names
        shapes = [shape_of(w) for w in self.weights]
        validation.set_weights(self._owner, names, shapes, [shape_of(v) for v in values])
        for index, (name, value) in enumerate(zip(names, values, strict=True)):
            is_real = value.dtype.is_floating or value.dtype.is_integer
            validation.real_weight(self._owner, index, name, is_real, value.dtype.name)
        self._assign(iter(values))

    def _assign(self, values: Any) -> None:
        for cell in self._cells:
            cell._assign(values)
        for variable in self._params.values():
            variable.assign(tf.cast(next(values), self.dtype))

    def zero_state(self, batch_size: Any, dtype: Any = tf.float32) -> Any:
        """Zeros shaped like ``state_size``: tensors of shape [B, n] (B = 0 too, as TF1).

        ``batch_size`` is an int, or a scalar tensor such as ``tf.shape(x)[0]``.
        """
        if not isinstance(batch_size, tf.Tensor):
            batch_size = validation.batch_size(batch_size, f"{self._owner}.zero_state")
        return structure.map_structure(
            lambda size: tf.zeros(tf.stack([batch_size, *validation.dims(size)]), dtype=dtype),
            self.state_size,
        )

    def get_initial_state(
        self, inputs: Any = None, batch_size: Any = None, dtype: Any = None
    ) -> Any:
        """TF1's: ``zero_state`` for the batch and dtype of ``inputs`` [B, ...], or for
        ``batch_size`` and ``dtype`` when no inputs are given."""
        owner = f"{self._owner}.get_initial_state"
        if inputs is None:
            batch_size, dtype = validation.initial_state_args(owner, None, None, batch_size, dtype)
        else:
            inputs = as_tensor(inputs, owner, "inputs")
            static_batch = shape_of(inputs, owner)[0]
            given = None if dtype is None else tf.as_dtype(dtype)
            batch_size, dtype = validation.initial_state_args(
                owner, static_batch, inputs.dtype, batch_size, given
            )
            if batch_size is None:  # known only when the graph runs
                batch_size = tf.shape(inputs)[0]
        return self.zero_state(batch_size, dtype)

    def __call__(self, inputs: Any, state: Any) -> tuple[tf.Tensor, Any]:
        """One time step. inputs: [B, D]; state nested like ``state_size``."""
        inputs, state = self._prepare(inputs, state)
        return self.call(inputs, state)

    def _prepare(self, inputs: Any, state: Any) -> tuple[tf.Tensor, Any]:
        """Check one step's inputs and state (building the cell if needed); return tensors.

        A user's cell may take nested inputs (checked by its own ``call``) and have state
        parts whose size is not an int (e.g. a scalar): those parts are not checked here.
        """
        if structure.is_nested(inputs):
            inputs = as_tensors(inputs, self._owner, "inputs")
            first = structure.flatten(inputs)[0]
        else:
            inputs = first = self._check_inputs(as_tensor(inputs, self._owner, "inputs"))
        state = as_tensors(state, self._owner, "state")
        state_shape = partial(shape_of, owner=self._owner, name="the state")
        validation.state(self._owner, state, self.state_size, shape_of(first)[0], state_shape)
        sizes = structure.flatten(self.state_size)
        leaves = [
            leaf
            for leaf, size in zip(structure.flatten(state), sizes, strict=True)
            if isinstance(size, numbers.Integral)
        ]
        float_inputs = first.dtype.is_floating
        if not self.built:
            dtype = first.dtype if float_inputs or not leaves else leaves[0].dtype
            self.build(shape_of(first)[-1], dtype if self.dtype is None else self.dtype)
        if float_inputs:
            validation.dtypes_match(self._owner, "inputs", first.dtype.name, self.dtype.name)
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
