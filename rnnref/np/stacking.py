"""``MultiRNNCell``: layers of cells run as one cell, each layer's output the next one's input."""

from typing import Any

import numpy as np

from rnnref import structure, validation
from rnnref.np.base import RNNCell


class MultiRNNCell(RNNCell):
    """A stack of cells that behaves as one cell.

    inputs: [B, D]; state: a tuple with one state per layer (``state_is_tuple=True``) or
    all layers' states concatenated, [B, sum of state sizes]; output: the last layer's.
    """

    def __init__(self, cells: list, state_is_tuple: bool = True) -> None:
        super().__init__()
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(
                f"MultiRNNCell expects a non-empty list of cells. Received: {cells!r}."
            )
        for index, cell in enumerate(cells):
            validation.is_cell(cell, RNNCell, self.name, f"cells[{index}]")
        if not state_is_tuple and any(structure.is_nested(c.state_size) for c in cells):
            raise ValueError(
                "MultiRNNCell(state_is_tuple=False) concatenates the layers' states, so every "
                "layer needs a single-array state. Received: cells with tuple states "
                f"({[c.state_size for c in cells]}). Use state_is_tuple=True, or build the LSTM "
                "layers with state_is_tuple=False."
            )
        self._cells = list(cells)
        self._state_is_tuple = bool(state_is_tuple)

    @property
    def state_size(self) -> Any:
        sizes = tuple(cell.state_size for cell in self._cells)
        return sizes if self._state_is_tuple else sum(sizes)

    @property
    def output_size(self) -> int:
        return self._cells[-1].output_size

    def _cell_depths(self, input_depth: int) -> list[int]:
        return [input_depth] + [cell.output_size for cell in self._cells[:-1]]

    def call(self, inputs: np.ndarray, state: Any) -> tuple[np.ndarray, Any]:
        if self._state_is_tuple:
            layer_states = state
        else:
            bounds = np.cumsum([cell.state_size for cell in self._cells])[:-1]
            layer_states = np.split(state, bounds, axis=1)  # [B, sum] -> one [B, n] per layer
        x, new_states = inputs, []
        for cell, layer_state in zip(self._cells, layer_states, strict=True):
            x, new_state = cell(x, layer_state)
            new_states.append(new_state)
        if self._state_is_tuple:
            return x, tuple(new_states)
        return x, np.concatenate(new_states, axis=1)
