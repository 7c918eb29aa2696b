"""``MultiRNNCell``: layers of cells run as one cell, each layer's output the next one's input."""

from typing import Any

import numpy as np

from rnnref import validation
from rnnref.np.base import RNNCell, _subtape


class MultiRNNCell(RNNCell):
    """A stack of cells that behaves as one cell.

    inputs: [B, D]; state: a tuple with one state per layer (``state_is_tuple=True``) or
    all layers' states concatenated, [B, sum of state sizes]; output: the last layer's.
    """

    def __init__(self, cells: list, state_is_tuple: bool = True) -> None:
        super().__init__()
        validation.cell_list(self._owner, cells)
        for index, cell in enumerate(cells):
            validation.is_cell(cell, RNNCell, self._owner, f"cells[{index}]")
        state_is_tuple = validation.boolean(state_is_tuple, "state_is_tuple", self._owner)
        if not state_is_tuple:
            validation.single_array_states(self._owner, [c.state_size for c in cells])
        self._cells = list(cells)
        self._state_is_tuple = state_is_tuple

    def _inner_scope(self, scope: str, index: int) -> str:
        return f"{scope}{self.name}/cell_{index}/"  # TF1: multi_rnn_cell/cell_0/...

    @property
    def state_size(self) -> Any:
        sizes = tuple(cell.state_size for cell in self._cells)
        return sizes if self._state_is_tuple else sum(sizes)

    @property
    def output_size(self) -> int:
        return self._cells[-1].output_size

    def _cell_depths(self, input_depth: int) -> list[int]:
        return [input_depth] + [cell.output_size for cell in self._cells[:-1]]

    def call(self, inputs: np.ndarray, state: Any, tape: dict | None = None) -> tuple:
        x, new_states = inputs, []
        layers = zip(self._cells, self._split(state), strict=True)
        for index, (cell, layer_state) in enumerate(layers):
            x, new_state = cell._run(x, layer_state, _subtape(tape, index))
            new_states.append(new_state)
        return x, self._join(new_states)

    def _backward(self, tape: dict, d_output: np.ndarray, d_state: Any) -> tuple:
        """From the top layer down: a layer's d_inputs is the d_output of the layer below."""
        d_layer_states = self._split(d_state)
        d_x, d_states_prev, d_weights = d_output, [], []
        for index in reversed(range(len(self._cells))):
            cell, d_layer_state = self._cells[index], d_layer_states[index]
            d_x, d_prev, d_w = cell._backward(tape[index], d_x, d_layer_state)
            d_states_prev.insert(0, d_prev)
            d_weights = d_w + d_weights
        return d_x, self._join(d_states_prev), d_weights

    def _split(self, state: Any) -> Any:
        """The stack's state (or its gradient) -> one part per layer."""
        if self._state_is_tuple:
            return state
        bounds = np.cumsum([cell.state_size for cell in self._cells])[:-1]
        return np.split(state, bounds, axis=1)  # [B, sum] -> one [B, n] per layer

    def _join(self, states: list) -> Any:
        """One state (or gradient) per layer -> the stack's."""
        if self._state_is_tuple:
            return tuple(states)
        return np.concatenate(states, axis=1)
