"""``RNNCell``: the contract every cell, stack and wrapper keeps.

A cell maps ``(inputs, state)`` to ``(output, next_state)``: one call is one time step.
``state_size`` and ``output_size`` say the shapes, ``weights`` holds the parameters in
TF1's order, and the first call builds them for the depth of its inputs.
"""

from collections.abc import Callable
from typing import Any

import numpy as np

from rnnref import structure, validation

Initializer = Callable[[np.random.Generator, tuple], np.ndarray]


class RNNCell:
    """An RNN cell: ``(output, next_state) = cell(inputs, state)``.

    inputs: [B, D]; state: arrays of shape [B, n] nested like ``state_size``;
    output: [B, output_size]. Subclasses give ``state_size``, ``output_size``,
    ``_variables`` (their own weights) and ``call`` (the math of one step); cells that
    contain cells (stacks, wrappers) also set ``_cells`` and ``_cell_depths``.
    """

    def __init__(self, *, seed: int | None = None) -> None:
        self._seed = seed
        self._cells: list[RNNCell] = []
        self._params: dict[str, np.ndarray] = {}
        self._input_depth: int | None = None
        self.dtype: np.dtype | None = None

    @property
    def name(self) -> str:
        return type(self).__name__

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

    def call(self, inputs: np.ndarray, state: Any) -> tuple[np.ndarray, Any]:
        raise NotImplementedError

    @property
    def built(self) -> bool:
        return self._input_depth is not None

    def build(self, input_depth: int, dtype: Any = np.float32) -> None:
        """Create the weights for inputs of depth ``input_depth`` (D), in ``dtype``."""
        input_depth = validation.positive_int(input_depth, "input_depth", self.name)
        dtype = np.dtype(dtype)
        if not np.issubdtype(dtype, np.floating):
            raise TypeError(f"{self.name} computes in floating point. Received: dtype={dtype}.")
        for cell, depth in zip(self._cells, self._cell_depths(input_depth), strict=True):
            if not cell.built:
                cell.build(depth, dtype)
            elif cell._input_depth != depth or cell.dtype != dtype:
                raise ValueError(
                    f"{self.name} needs its inner {cell.name} built for inputs of depth {depth} "
                    f"in {dtype}. Received: a cell already built for depth {cell._input_depth} in "
                    f"{cell.dtype}. Use a new cell object for each place in the network."
                )
        rng = np.random.default_rng(self._seed)
        self._params = {
            name: init(rng, shape).astype(dtype)
            for name, shape, init in self._variables(input_depth)
        }
        self._input_depth, self.dtype = input_depth, dtype

    @property
    def weights(self) -> list[np.ndarray]:
        """Inner cells' weights, then this cell's own, in TF1's order and shapes."""
        inner = [w for cell in self._cells for w in cell.weights]
        return inner + list(self._params.values())

    @property
    def weight_names(self) -> list[str]:
        inner = [f"{cell.name}/{n}" for cell in self._cells for n in cell.weight_names]
        return inner + list(self._params)

    def set_weights(self, weights: list) -> None:
        """Replace every weight by a copy of ``weights`` (a list shaped like ``self.weights``)."""
        if not self.built:
            validation.not_built(self.name)
        arrays = [np.asarray(w) for w in weights]
        validation.set_weights(
            self.name, self.weight_names, [w.shape for w in self.weights], [a.shape for a in arrays]
        )
        self._assign(iter(arrays))

    def _assign(self, arrays: Any) -> None:
        for cell in self._cells:
            cell._assign(arrays)
        for name in self._params:
            self._params[name] = np.array(next(arrays), dtype=self.dtype)

    def zero_state(self, batch_size: int, dtype: Any = np.float32) -> Any:
        """Zeros shaped like ``state_size``: arrays of shape [B, n]."""
        batch_size = validation.positive_int(batch_size, "batch_size", f"{self.name}.zero_state")
        return structure.map_structure(
            lambda size: np.zeros((batch_size, size), dtype=dtype), self.state_size
        )

    def __call__(self, inputs: Any, state: Any) -> tuple[np.ndarray, Any]:
        """One time step. inputs: [B, D]; state nested like ``state_size``."""
        inputs = self._check_inputs(np.asarray(inputs))
        state = structure.map_structure(np.asarray, state)
        validation.state(self.name, state, self.state_size, inputs.shape[0], np.shape)
        leaves = structure.flatten(state)
        dtype = inputs.dtype if np.issubdtype(inputs.dtype, np.floating) else leaves[0].dtype
        if not self.built:
            self.build(inputs.shape[1], dtype)
        if np.issubdtype(inputs.dtype, np.floating):
            validation.dtypes_match(self.name, "inputs", inputs.dtype, self.dtype)
        for leaf in leaves:
            validation.dtypes_match(self.name, "the state", leaf.dtype, self.dtype)
        return self.call(inputs, state)

    def _check_inputs(self, inputs: np.ndarray) -> np.ndarray:
        validation.float_inputs(self.name, np.issubdtype(inputs.dtype, np.floating), inputs.dtype)
        validation.cell_inputs(self.name, inputs.shape, self._input_depth)
        return inputs

    def __repr__(self) -> str:
        return f"{self.name}(state_size={self.state_size}, output_size={self.output_size})"
