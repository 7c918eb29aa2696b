"""``MultiRNNCell``: layers of cells run as one cell, each layer's output the next one's input."""

from typing import Any

import tensorflow as tf

from rnnref import validation
from rnnref.tf.base import RNNCell


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
            validation.single_array_states(self._owner, [cell.state_size for cell in cells])
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

    def call(self, inputs: tf.Tensor, state: Any) -> tuple[tf.Tensor, Any]:
        if self._state_is_tuple:
            layer_states = state
        else:
            sizes = [cell.state_size for cell in self._cells]
            layer_states = tf.split(state, sizes, axis=1)  # [B, sum] -> one [B, n] per layer
        x, new_states = inputs, []
        for cell, layer_state in zip(self._cells, layer_states, strict=True):
            x, new_state = cell(x, layer_state)
            new_states.append(new_state)
        if self._state_is_tuple:
            return x, tuple(new_states)
        return x, tf.concat(new_states, axis=1)
