"""Unrolling a cell over time: ``dynamic_rnn``, ``static_rnn`` and ``bidirectional_dynamic_rnn``.

With ``sequence_length``, row b is live for t < sequence_length[b]; past that its output
is zero and its state is carried unchanged, so the final state is each row's state at
its last valid step (the initial state for a length of 0), exactly as TF1.
"""

from functools import partial
from typing import Any

import numpy as np

from rnnref import structure, validation
from rnnref.np.base import RNNCell
from rnnref.np.cells import _LinearInputCell


def dynamic_rnn(
    cell: RNNCell,
    inputs: Any,
    sequence_length: Any = None,
    initial_state: Any = None,
    dtype: Any = None,
    time_major: bool = False,
) -> tuple[np.ndarray, Any]:
    """Run ``cell`` over every time step of ``inputs``.

    inputs: [B, T, D] ([T, B, D] if ``time_major``); sequence_length: [B] ints in [0, T];
    initial_state: nested like ``cell.state_size`` (zeros of ``dtype`` if omitted).
    Returns outputs [B, T, output_size] ([T, B, output_size] if ``time_major``) and the
    final state.
    """
    validation.is_cell(cell, RNNCell, "dynamic_rnn")
    inputs = np.asarray(inputs)
    validation.sequence_inputs("dynamic_rnn", inputs.shape, time_major)
    if not time_major:
        inputs = inputs.transpose(1, 0, 2)  # (B, T, D) -> (T, B, D)
    outputs, state = _unroll(cell, inputs, sequence_length, initial_state, dtype)
    if not time_major:
        outputs = outputs.transpose(1, 0, 2)  # (T, B, H) -> (B, T, H)
    return outputs, state


def static_rnn(
    cell: RNNCell,
    inputs: list,
    initial_state: Any = None,
    dtype: Any = None,
    sequence_length: Any = None,
) -> tuple[list, Any]:
    """``dynamic_rnn`` over a Python list of T arrays [B, D]; returns a list of T outputs."""
    validation.is_cell(cell, RNNCell, "static_rnn")
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise TypeError(
            "static_rnn expects a non-empty list of arrays [batch_size, depth], one per time "
            f"step. Received: {type(inputs).__name__}. For one array [batch, time, depth], use "
            "dynamic_rnn or list(x.transpose(1, 0, 2))."
        )
    steps = [np.asarray(x) for x in inputs]
    for x in steps:
        validation.cell_inputs("static_rnn", x.shape, steps[0].shape[-1])
    outputs, state = _unroll(cell, np.stack(steps), sequence_length, initial_state, dtype)
    return list(outputs), state


def bidirectional_dynamic_rnn(
    cell_fw: RNNCell,
    cell_bw: RNNCell,
    inputs: Any,
    sequence_length: Any = None,
    initial_state_fw: Any = None,
    initial_state_bw: Any = None,
    dtype: Any = None,
    time_major: bool = False,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[Any, Any]]:
    """A forward and a backward ``dynamic_rnn``; the backward one reads each row reversed.

    Each row is reversed within its own length, so its first valid step is read last; the
    backward outputs are reversed back, aligned with the inputs. Returns
    ((outputs_fw, outputs_bw), (state_fw, state_bw)).
    """
    validation.is_cell(cell_bw, RNNCell, "bidirectional_dynamic_rnn", "cell_bw")
    inputs = np.asarray(inputs)
    validation.sequence_inputs("bidirectional_dynamic_rnn", inputs.shape, time_major)
    out_fw, state_fw = dynamic_rnn(
        cell_fw, inputs, sequence_length, initial_state_fw, dtype, time_major
    )
    time_axis = 0 if time_major else 1
    reversed_inputs = _reverse_sequence(inputs, sequence_length, time_axis)
    out_bw, state_bw = dynamic_rnn(
        cell_bw, reversed_inputs, sequence_length, initial_state_bw, dtype, time_major
    )
    return (out_fw, _reverse_sequence(out_bw, sequence_length, time_axis)), (state_fw, state_bw)


def _reverse_sequence(x: np.ndarray, sequence_length: Any, time_axis: int) -> np.ndarray:
    """Reverse the first sequence_length[b] steps of each row b (all steps if None)."""
    if sequence_length is None:
        return np.flip(x, axis=time_axis)
    batch_axis = 1 - time_axis
    lengths = np.asarray(sequence_length)
    out = x.copy()
    for b, n in enumerate(lengths):
        row = [slice(None)] * x.ndim
        row[batch_axis], row[time_axis] = b, slice(0, int(n))
        out[tuple(row)] = np.flip(x[tuple(row)], axis=0)
    return out


def _unroll(
    cell: RNNCell,
    inputs: np.ndarray,
    sequence_length: Any,
    initial_state: Any,
    dtype: Any,
    fast: bool = True,
) -> tuple[np.ndarray, Any]:
    """The time loop. inputs: [T, B, D]. Returns outputs [T, B, output_size] and the state.

    ``fast`` computes the input term of a ``_LinearInputCell`` for all steps in one matrix
    product; the plain loop (``fast=False``) calls the cell once per step. Both are equal.
    """
    max_time, batch = inputs.shape[0], inputs.shape[1]
    lengths = _check_lengths(sequence_length, batch, max_time)
    state = _initial_state(cell, initial_state, dtype, inputs.dtype, batch)
    state_dtype = structure.flatten(state)[0].dtype
    if not cell.built:
        cell.build(inputs.shape[2], state_dtype)

    if fast and isinstance(cell, _LinearInputCell):
        for x in (inputs[0],) if max_time else ():
            cell(x, state)  # validates shapes and dtypes once, on the first step
        flat = inputs.reshape(max_time * batch, -1)  # (T, B, D) -> (T*B, D)
        terms = structure.map_structure(
            lambda a: a.reshape(max_time, batch, -1), cell._input_term(flat)
        )

        def step(t: int, state: Any) -> tuple[np.ndarray, Any]:
            return cell._step(structure.map_structure(lambda a: a[t], terms), state)
    else:

        def step(t: int, state: Any) -> tuple[np.ndarray, Any]:
            return cell(inputs[t], state)

    outputs = np.zeros((max_time, batch, cell.output_size), dtype=state_dtype)
    for t in range(max_time):
        output, new_state = step(t, state)
        if lengths is not None:
            live = (t < lengths)[:, None]  # [B, 1]: rows still inside their sequence
            output = np.where(live, output, 0)
            new_state = structure.map_structure(partial(np.where, live), new_state, state)
        outputs[t] = output
        state = new_state
    return outputs, state


def _check_lengths(sequence_length: Any, batch: int, max_time: int) -> np.ndarray | None:
    if sequence_length is None:
        return None
    lengths = np.asarray(sequence_length)
    validation.sequence_length_shape("dynamic_rnn", lengths.shape, batch)
    validation.sequence_length_dtype(
        "dynamic_rnn", np.issubdtype(lengths.dtype, np.integer), lengths.dtype
    )
    if lengths.size:
        validation.sequence_length_range(
            "dynamic_rnn", int(lengths.min()), int(lengths.max()), max_time
        )
    return lengths


def _initial_state(
    cell: RNNCell, initial_state: Any, dtype: Any, input_dtype: Any, batch: int
) -> Any:
    if initial_state is None:
        if dtype is None:
            if not np.issubdtype(input_dtype, np.floating):
                raise ValueError(
                    "dynamic_rnn needs dtype (or initial_state) for integer inputs, to know what "
                    f"the state is computed in. Received: inputs of dtype {input_dtype} and "
                    "dtype=None. Pass dtype=np.float32."
                )
            dtype = input_dtype
        return cell.zero_state(batch, dtype)
    state = structure.map_structure(np.asarray, initial_state)
    validation.state("dynamic_rnn", state, cell.state_size, batch, np.shape)
    return state
