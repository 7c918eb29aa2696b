"""``RNNCell``: the contract every cell, stack and wrapper keeps.

A cell maps ``(inputs, state)`` to ``(output, next_state)``: one call is one time step.
``state_size`` and ``output_size`` say the shapes, ``weights`` holds the parameters in
TF1's order, and the first call builds them for the depth of its inputs.

Backpropagation: ``forward`` is the same step, also returning a tape (a dict of the
values the step computed); ``backward`` takes that tape and the loss's gradients with
respect to the step's output and new state, and returns its gradients with respect to
the inputs, the previous state and every weight.
"""

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from rnnref import naming, structure, validation

Initializer = Callable[[np.random.Generator, tuple, np.dtype], np.ndarray]


def as_dtype(value: Any) -> np.dtype:
    """A NumPy dtype from anything NumPy names one with, or a TensorFlow DType (as TF1 code
    passes ``tf.float32``)."""
    return np.dtype(getattr(value, "as_numpy_dtype", value))


def as_array(value: Any, owner: str, name: str) -> np.ndarray:
    """``value`` as an array. Python numbers and lists convert as TF1 converts them (floats
    to float32, ints to int32), so ``rnnref.np`` and ``rnnref.tf`` agree on them."""
    validation.not_none(owner, name, value)
    try:
        array = np.asarray(value)
    except ValueError:
        validation.ragged(owner, name)
    if isinstance(value, (list, tuple, float, int)) and not isinstance(value, np.generic):
        # (a NumPy scalar such as np.float64(0.5), a float too, keeps its dtype, as in TF)
        array = array.astype(
            {"float64": np.float32, "int64": np.int32}.get(array.dtype.name, array.dtype)
        )
    return array


def as_arrays(value: Any, owner: str, name: str) -> Any:
    """A state (nested like a ``state_size``) with every leaf ``as_array``."""
    validation.not_none(owner, name, value)
    return structure.map_structure(lambda leaf: as_array(leaf, owner, name), value)


class RNNCell:
    """An RNN cell: ``(output, next_state) = cell(inputs, state)``.

    inputs: [B, D]; state: arrays of shape [B, n] nested like ``state_size``;
    output: [B, output_size]. Subclasses give ``state_size``, ``output_size``,
    ``_variables`` (their own weights) and ``call`` (the math of one step); cells that
    contain cells (stacks, wrappers) also set ``_cells`` and ``_cell_depths``.

    For backpropagation, ``call`` takes an optional ``tape`` dict to record what its
    gradients need, and ``_backward`` (written beside ``call``) computes them.
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
        self._owner = type(self).__name__
        self._name = naming.cell_name(name, self._owner)
        self._seed = validation.seed(seed, self._owner)
        self._cells: list[RNNCell] = []
        self._params: dict[str, np.ndarray] = {}
        self._input_depth: int | None = None
        self._scope = ""
        self.dtype: np.dtype | None = validation.dtype_or_none(
            dtype, self._owner, as_dtype, _is_float
        )

    @property
    def name(self) -> str:
        """The scope TF1 names this cell's weights in, e.g. ``basic_lstm_cell``."""
        return self._name

    @property
    def state_size(self) -> Any:
        """An int, or a tuple of them (``LSTMStateTuple`` for an LSTM), one per state array."""
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

    def call(self, inputs: np.ndarray, state: Any, tape: dict | None = None) -> tuple:
        """One step's math. With a ``tape`` dict, also records in it what ``_backward`` needs."""
        raise NotImplementedError

    def _backward(self, tape: dict, d_output: np.ndarray, d_state: Any) -> tuple:
        """The gradients of one step, from the tape ``call`` filled: see ``backward``."""
        raise NotImplementedError(
            f"{self._owner} has no backward pass; only rnnref's own cells and wrappers have one."
        )

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
            dtype = np.float32 if self.dtype is None else self.dtype
        dtype = as_dtype(dtype)
        validation.float_dtype(self._owner, _is_float(dtype), dtype)
        for index, (cell, depth) in enumerate(
            zip(self._cells, self._cell_depths(input_depth), strict=True)
        ):
            if not cell.built:
                cell._build(depth, dtype, self._inner_scope(scope, index))
            validation.inner_cell_built(
                self._owner, cell._owner, depth, dtype, cell._input_depth, cell.dtype
            )
        rng = np.random.default_rng(self._seed)
        self._params = {
            name: init(rng, shape, dtype) for name, shape, init in self._variables(input_depth)
        }
        self._input_depth, self.dtype, self._scope = input_depth, dtype, scope

    def _inner_scope(self, scope: str, index: int) -> str:
        """The scope inner cell ``index`` names its weights in: by default this cell's."""
        return f"{scope}{self.name}/"

    @property
    def weights(self) -> list[np.ndarray]:
        """Inner cells' weights, then this cell's own, in TF1's order and shapes."""
        inner = [w for cell in self._cells for w in cell.weights]
        return inner + list(self._params.values())

    @property
    def weight_names(self) -> list[str]:
        """The weights' names as TF1 scopes them, in the order of ``weights``: a TF1 variable's
        name without ``:0``, e.g. ``multi_rnn_cell/cell_0/gru_cell/gates/kernel``."""
        inner = [n for cell in self._cells for n in cell.weight_names]
        return inner + [f"{self._scope}{self.name}/{n}" for n in self._params]

    def set_weights(self, weights: list) -> None:
        """Replace every weight by a copy of ``weights`` (a list shaped like ``self.weights``)."""
        if not self.built:
            validation.not_built(self._owner)
        validation.weight_list(self._owner, weights)
        validation.not_none(self._owner, "weights", tuple(weights))
        arrays = [np.asarray(w) for w in weights]
        names = self.weight_names
        shapes = [w.shape for w in self.weights]
        validation.set_weights(self._owner, names, shapes, [a.shape for a in arrays])
        for index, (name, array) in enumerate(zip(names, arrays, strict=True)):
            is_real = _is_float(array.dtype) or np.issubdtype(array.dtype, np.integer)
            validation.real_weight(self._owner, index, name, is_real, array.dtype)
        self._assign(iter(arrays))

    def _assign(self, arrays: Any) -> None:
        for cell in self._cells:
            cell._assign(arrays)
        for name in self._params:
            self._params[name] = np.array(next(arrays), dtype=self.dtype)

    def zero_state(self, batch_size: int, dtype: Any = np.float32) -> Any:
        """Zeros shaped like ``state_size``: arrays of shape [B, n] (B = 0 too, as TF1)."""
        batch_size = validation.batch_size(batch_size, f"{self._owner}.zero_state")
        dtype = as_dtype(dtype)
        return structure.map_structure(
            lambda size: np.zeros((batch_size, *validation.dims(size)), dtype), self.state_size
        )

    def get_initial_state(
        self, inputs: Any = None, batch_size: int | None = None, dtype: Any = None
    ) -> Any:
        """TF1's: ``zero_state`` for the batch and dtype of ``inputs`` [B, ...], or for
        ``batch_size`` and ``dtype`` when no inputs are given."""
        owner = f"{self._owner}.get_initial_state"
        if inputs is None:
            batch_size, dtype = validation.initial_state_args(owner, None, None, batch_size, dtype)
        else:
            inputs = as_array(inputs, owner, "inputs")
            given = None if dtype is None else as_dtype(dtype)
            batch_size, dtype = validation.initial_state_args(
                owner, inputs.shape[0], inputs.dtype, batch_size, given
            )
        return self.zero_state(batch_size, dtype)

    def __call__(self, inputs: Any, state: Any) -> tuple[np.ndarray, Any]:
        """One time step. inputs: [B, D]; state nested like ``state_size``."""
        return self._run(inputs, state, None)

    def forward(self, inputs: Any, state: Any) -> tuple[np.ndarray, Any, dict]:
        """One time step, as ``__call__``, that also returns the tape ``backward`` needs.

        inputs: [B, D]; state nested like ``state_size``. Returns (output [B, output_size],
        new_state nested like ``state_size``, tape): the tape is a dict holding the step's
        inputs and intermediate values (gates, dropout masks, inner cells' tapes).
        """
        step: dict = {}
        output, new_state = self._run(inputs, state, step)
        made_by = f"{self._owner}.forward"
        return output, new_state, {"made_by": made_by, "cell": self, "output": output,
                                   "state": new_state, "step": step}  # fmt: skip

    def backward(
        self, tape: dict, d_output: Any = None, d_new_state: Any = None
    ) -> tuple[np.ndarray | None, Any, list[np.ndarray]]:
        """Backpropagate one step: the gradients of a loss L through ``forward``.

        tape: the third value of ``forward``. d_output: dL/d output, [B, output_size];
        d_new_state: dL/d new_state, nested like ``state_size`` (None for either: zeros, the
        loss does not use it). Returns (d_inputs [B, D], d_state nested like ``state_size``,
        d_weights: one array per weight, in the order and shapes of ``weights``). An
        EmbeddingWrapper's integer ids have no gradient: d_inputs is None.
        """
        owner = f"{self._owner}.backward"
        validation.tape_from(owner, tape, f"{self._owner}.forward", self)
        d_output = _gradient_like(owner, "d_output", d_output, tape["output"])
        d_new_state = _gradient_like(owner, "d_new_state", d_new_state, tape["state"])
        return self._backward(tape["step"], d_output, d_new_state)

    def _run(self, inputs: Any, state: Any, tape: dict | None) -> tuple[np.ndarray, Any]:
        """``__call__``'s checks, then ``call``; a ``tape`` dict records the step in it."""
        inputs, state = self._prepare(inputs, state)
        if tape is None:
            return self.call(inputs, state)
        return self.call(inputs, state, tape)

    def _prepare(self, inputs: Any, state: Any) -> tuple[np.ndarray, Any]:
        """Check one step's inputs and state (building the cell if needed); return arrays.

        A user's cell may take nested inputs (checked by its own ``call``) and have state
        parts whose size is not an int (e.g. a scalar): those parts are not checked here.
        """
        if structure.is_nested(inputs):
            inputs = as_arrays(inputs, self._owner, "inputs")
            first = structure.flatten(inputs)[0]
        else:
            inputs = first = self._check_inputs(as_array(inputs, self._owner, "inputs"))
        state = as_arrays(state, self._owner, "state")
        validation.state(self._owner, state, self.state_size, first.shape[0], np.shape)
        sizes = structure.flatten(self.state_size)
        leaves = [
            leaf
            for leaf, size in zip(structure.flatten(state), sizes, strict=True)
            if isinstance(size, numbers.Integral)
        ]
        float_inputs = _is_float(first.dtype)
        if not self.built:
            dtype = first.dtype if float_inputs or not leaves else leaves[0].dtype
            self.build(first.shape[-1], dtype if self.dtype is None else self.dtype)
        if float_inputs:
            validation.dtypes_match(self._owner, "inputs", first.dtype, self.dtype)
        for leaf in leaves:
            validation.dtypes_match(self._owner, "the state", leaf.dtype, self.dtype)
        return inputs, state

    def _check_inputs(self, inputs: np.ndarray) -> np.ndarray:
        validation.float_inputs(self._owner, np.issubdtype(inputs.dtype, np.floating), inputs.dtype)
        validation.cell_inputs(self._owner, inputs.shape, self._input_depth)
        return inputs

    def __repr__(self) -> str:
        return f"{self._owner}(state_size={self.state_size}, output_size={self.output_size})"


def _subtape(tape: dict | None, key: Any) -> dict | None:
    """The part of ``tape`` where an inner cell records its step (None when not recording)."""
    return None if tape is None else tape.setdefault(key, {})


def _gradient_like(owner: str, name: str, gradient: Any, value: Any) -> Any:
    """``gradient`` checked against ``value``'s structure and shapes; zeros if None."""
    if gradient is None:
        return structure.map_structure(np.zeros_like, value)
    gradient = structure.map_structure(np.asarray, gradient)
    validation.gradient_like(owner, name, gradient, value, np.shape)
    return structure.map_structure(lambda g, v: g.astype(v.dtype, copy=False), gradient, value)


def _is_float(dtype: np.dtype) -> bool:
    return np.issubdtype(dtype, np.floating)
