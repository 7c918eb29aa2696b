"""Unrolling a cell over time: ``dynamic_rnn``, ``static_rnn`` and ``bidirectional_dynamic_rnn``.

With ``sequence_length``, row b is live for t < sequence_length[b]; past that its output
is zero and its state is carried unchanged, so the final state is each row's state at
its last valid step (the initial state for a length of 0), exactly as TF1.

Backpropagation through time: ``dynamic_rnn_forward`` is ``dynamic_rnn`` that also
returns a tape of every step, and ``dynamic_rnn_backward`` runs the same loop backwards
through the cells' ``backward``:

    outputs, final_state, tape = dynamic_rnn_forward(cell, x, sequence_length=lengths)
    d_x, d_initial_state, d_weights = dynamic_rnn_backward(tape, d_outputs, d_final_state)
"""

from functools import partial
from operator import itemgetter
from typing import Any

import numpy as np

from rnnref import structure, validation
from rnnref.np import fused
from rnnref.np.base import RNNCell, _gradient_like, as_array, as_arrays


def dynamic_rnn(
    cell: RNNCell,
    inputs: Any,
    sequence_length: Any = None,
    initial_state: Any = None,
    dtype: Any = None,
    parallel_iterations: int | None = None,
    swap_memory: bool = False,
    time_major: bool = False,
    scope: str | None = None,
) -> tuple[np.ndarray, Any]:
    """Run ``cell`` over every time step of ``inputs``.

    inputs: [B, T, D] ([T, B, D] if ``time_major``); sequence_length: [B] ints in [0, T];
    initial_state: nested like ``cell.state_size`` (zeros of ``dtype`` if omitted).
    Returns outputs [B, T, output_size] ([T, B, output_size] if ``time_major``) and the
    final state. ``parallel_iterations`` and ``swap_memory`` tune TF1's graph loop and
    change nothing here (they are checked, then unused); ``scope`` (default "rnn", as
    TF1) prefixes the weights' names when this call builds the cell.
    """
    args = (sequence_length, initial_state, dtype, time_major)
    validation.graph_options("dynamic_rnn", parallel_iterations, swap_memory)
    return _dynamic_rnn(
        "dynamic_rnn", cell, inputs, *args, validation.scope(scope, "rnn"), tape=None
    )


def dynamic_rnn_forward(
    cell: RNNCell,
    inputs: Any,
    sequence_length: Any = None,
    initial_state: Any = None,
    dtype: Any = None,
    parallel_iterations: int | None = None,
    swap_memory: bool = False,
    time_major: bool = False,
    scope: str | None = None,
) -> tuple[np.ndarray, Any, dict]:
    """``dynamic_rnn`` that also returns the tape ``dynamic_rnn_backward`` needs.

    Arguments and the first two results as ``dynamic_rnn``: outputs [B, T, output_size]
    ([T, B, output_size] if ``time_major``) and the final state. The tape is a dict: the
    cell, the time-major inputs [T, B, D], the lengths, and one tape per time step.
    """
    owner = "dynamic_rnn_forward"
    validation.graph_options(owner, parallel_iterations, swap_memory)
    time_major = validation.boolean(time_major, "time_major", owner)
    tape = {"made_by": owner, "time_major": time_major}
    args = (sequence_length, initial_state, dtype, time_major, validation.scope(scope, "rnn"))
    outputs, state = _dynamic_rnn(owner, cell, inputs, *args, tape=tape)
    tape.update(outputs=outputs, final_state=state)
    return outputs, state, tape


def dynamic_rnn_backward(
    tape: dict, d_outputs: Any = None, d_final_state: Any = None
) -> tuple[np.ndarray | None, Any, list[np.ndarray]]:
    """Backpropagation through time: the gradients of a loss L through ``dynamic_rnn_forward``.

    tape: the third value of ``dynamic_rnn_forward``. d_outputs: dL/d outputs, shaped like
    the outputs ([B, T, output_size], or [T, B, output_size] if ``time_major``);
    d_final_state: dL/d final_state, nested like ``cell.state_size`` (None for either:
    zeros, the loss does not use it). Returns (d_inputs shaped like the inputs (None for an
    EmbeddingWrapper's integer ids), d_initial_state nested like ``cell.state_size``,
    d_weights: one array per weight, in the order and shapes of ``cell.weights``).
    """
    owner = "dynamic_rnn_backward"
    validation.tape_from(owner, tape, "dynamic_rnn_forward")
    time_major = tape["time_major"]
    d_outputs = _gradient_like(owner, "d_outputs", d_outputs, tape["outputs"])
    d_final_state = _gradient_like(owner, "d_final_state", d_final_state, tape["final_state"])
    if not time_major:
        # (B, T, H) -> (T, B, H), in every part of nested outputs
        d_outputs = structure.map_structure(_swap_batch_and_time, d_outputs)
    d_inputs, d_initial_state, d_weights = _unroll_backward(tape, d_outputs, d_final_state)
    if not time_major and d_inputs is not None:
        d_inputs = structure.map_structure(_swap_batch_and_time, d_inputs)  # (T, B, D) -> (B, T, D)
    return d_inputs, d_initial_state, d_weights


def _dynamic_rnn(
    owner: str,
    cell: RNNCell,
    inputs: Any,
    sequence_length: Any,
    initial_state: Any,
    dtype: Any,
    time_major: bool,
    scope: str,
    tape: dict | None,
) -> tuple[np.ndarray, Any]:
    validation.is_cell(cell, RNNCell, owner)
    time_major = validation.boolean(time_major, "time_major", owner)
    inputs = as_arrays(inputs, owner, "inputs")  # an array, or a tuple of them for a user's cell
    shapes = [leaf.shape for leaf in structure.flatten(inputs)]
    for shape in shapes:
        validation.sequence_inputs(owner, shape, time_major)
    validation.inputs_agree(owner, shapes, time_major)
    if not time_major:
        inputs = structure.map_structure(_swap_batch_and_time, inputs)  # (B, T, D) -> (T, B, D)
    args = (sequence_length, initial_state, dtype, scope)
    outputs, state = _unroll(owner, cell, inputs, *args, tape=tape)
    if not time_major:
        outputs = structure.map_structure(_swap_batch_and_time, outputs)  # (T, B, H) -> (B, T, H)
    return outputs, state


def _swap_batch_and_time(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, 0, 1)  # (B, T, ...) <-> (T, B, ...)


def static_rnn(
    cell: RNNCell,
    inputs: list,
    initial_state: Any = None,
    dtype: Any = None,
    sequence_length: Any = None,
    scope: str | None = None,
) -> tuple[list, Any]:
    """``dynamic_rnn`` over a Python list of T arrays [B, D]; returns a list of T outputs.

    ``scope`` (default "rnn") prefixes the weights' names when this call builds the cell.
    """
    owner = "static_rnn"
    validation.is_cell(cell, RNNCell, owner)
    stacked = _stack_steps(owner, inputs)
    args = (sequence_length, initial_state, dtype, validation.scope(scope, "rnn"))
    outputs, state = _unroll(owner, cell, stacked, *args)
    return _per_step(outputs, len(inputs)), state


def _per_step(outputs: Any, max_time: int) -> list:
    """Outputs [T, B, ...] (nested like output_size) -> a list of T steps' outputs."""
    unstacked = structure.map_structure(list, outputs)  # [T, B, ...] -> T x [B, ...]
    return [structure.map_structure(itemgetter(t), unstacked) for t in range(max_time)]


def _stack_steps(owner: str, inputs: Any) -> Any:
    """T steps [B, D] (an EmbeddingWrapper's ids may be [B]) -> one array [T, B, D]; steps
    nested for a user's cell -> arrays [T, B, ...] nested as they are."""
    validation.step_list(owner, inputs)
    if structure.is_nested(inputs[0]):
        steps = [as_arrays(x, owner, "inputs") for x in inputs]
        validation.steps_alike(owner, steps, np.shape)
        return structure.map_structure(lambda *xs: np.stack(xs), *steps)
    steps = [as_array(x, owner, "inputs") for x in inputs]
    # An EmbeddingWrapper's ids may come as [B] per step, as in TF1's seq2seq code: [B] -> [B, 1].
    steps = [x[:, None] if x.ndim == 1 and np.issubdtype(x.dtype, np.integer) else x for x in steps]
    for x in steps:
        validation.cell_inputs(owner, x.shape, steps[0].shape[-1])
    validation.same_batch(owner, [x.shape[0] for x in steps])
    return np.stack(steps)  # T x [B, D] -> [T, B, D]


def bidirectional_dynamic_rnn(
    cell_fw: RNNCell,
    cell_bw: RNNCell,
    inputs: Any,
    sequence_length: Any = None,
    initial_state_fw: Any = None,
    initial_state_bw: Any = None,
    dtype: Any = None,
    parallel_iterations: int | None = None,
    swap_memory: bool = False,
    time_major: bool = False,
    scope: str | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[Any, Any]]:
    """A forward and a backward ``dynamic_rnn``; the backward one reads each row reversed.

    Each row is reversed within its own length, so its first valid step is read last; the
    backward outputs are reversed back, aligned with the inputs. Inputs, states and
    outputs may nest for a user's cell (every part reversed alike). Returns
    ((outputs_fw, outputs_bw), (state_fw, state_bw)). Weights built here are named under
    ``scope/fw`` and ``scope/bw`` (default scope "bidirectional_rnn", as TF1).
    """
    owner = "bidirectional_dynamic_rnn"
    validation.graph_options(owner, parallel_iterations, swap_memory)
    validation.is_cell(cell_bw, RNNCell, owner, "cell_bw")
    time_major = validation.boolean(time_major, "time_major", owner)
    inputs = as_arrays(inputs, owner, "inputs")  # nested for a user's cell, as TF1's nest
    scope = validation.scope(scope, "bidirectional_rnn")
    fw = (sequence_length, initial_state_fw, dtype, time_major, f"{scope}fw/")
    out_fw, state_fw = _dynamic_rnn(owner, cell_fw, inputs, *fw, tape=None)
    time_axis = 0 if time_major else 1
    reversed_inputs = _reverse_sequence(inputs, sequence_length, time_axis)
    bw = (sequence_length, initial_state_bw, dtype, time_major, f"{scope}bw/")
    out_bw, state_bw = _dynamic_rnn(owner, cell_bw, reversed_inputs, *bw, tape=None)
    return (out_fw, _reverse_sequence(out_bw, sequence_length, time_axis)), (state_fw, state_bw)


def static_bidirectional_rnn(
    cell_fw: RNNCell,
    cell_bw: RNNCell,
    inputs: list,
    initial_state_fw: Any = None,
    initial_state_bw: Any = None,
    dtype: Any = None,
    sequence_length: Any = None,
    scope: str | None = None,
) -> tuple[list, Any, Any]:
    """``bidirectional_dynamic_rnn`` over a Python list of T arrays [B, D].

    Returns (outputs, state_fw, state_bw), as TF1: a list of T arrays
    [B, fw output_size + bw output_size], each step's forward and backward outputs
    concatenated. For a user's cell, steps may nest; nested outputs are concatenated part
    by part and nest like the forward cell's.
    """
    owner = "static_bidirectional_rnn"
    validation.is_cell(cell_fw, RNNCell, owner, "cell_fw")
    validation.is_cell(cell_bw, RNNCell, owner, "cell_bw")
    validation.output_parts(owner, cell_fw.output_size, cell_bw.output_size)
    stacked = _stack_steps(owner, inputs)  # [T, B, D]
    (out_fw, out_bw), (state_fw, state_bw) = bidirectional_dynamic_rnn(
        cell_fw, cell_bw, stacked, sequence_length, initial_state_fw, initial_state_bw, dtype,
        time_major=True, scope=scope,
    )  # fmt: skip
    return _per_step(_concat_parts(out_fw, out_bw), len(inputs)), state_fw, state_bw


def _concat_parts(out_fw: Any, out_bw: Any) -> Any:
    """Each forward output part beside the backward part at the same place, nested like the
    forward outputs (as TF1): 2 x [T, B, H] -> [T, B, H_fw + H_bw]."""
    parts = zip(structure.flatten(out_fw), structure.flatten(out_bw), strict=True)
    return structure.pack_like(out_fw, [np.concatenate(pair, axis=2) for pair in parts])


def static_state_saving_rnn(
    cell: RNNCell,
    inputs: list,
    state_saver: Any,
    state_name: Any,
    sequence_length: Any = None,
    scope: str | None = None,
) -> tuple[list, Any]:
    """``static_rnn`` that reads its initial state from ``state_saver`` and saves its final one.

    ``state_name``: a name for a single-array state, else names nested in any way with one
    per state array (in the order of ``cell.state_size``'s leaves);
    ``state_saver`` has ``state(name)`` and ``save_state(name, value)``, e.g.
    ``rnnref.StateSaver``. Returns (outputs, final state) as ``static_rnn``.
    """
    owner = "static_state_saving_rnn"
    validation.is_cell(cell, RNNCell, owner)
    validation.state_saver(owner, state_saver)
    names = validation.state_names(owner, state_name, cell.state_size)
    # As TF1: the saved parts take the state_size's nesting (state_name only has to flatten
    # to one name per part).
    initial_state = structure.pack_like(cell.state_size, [state_saver.state(n) for n in names])
    outputs, state = static_rnn(cell, inputs, initial_state, None, sequence_length, scope)
    for name, value in zip(names, structure.flatten(state), strict=True):
        state_saver.save_state(name, value)
    return outputs, state


def raw_rnn(
    cell: RNNCell,
    loop_fn: Any,
    parallel_iterations: int | None = None,
    swap_memory: bool = False,
    scope: str | None = None,
) -> tuple[Any, Any, Any]:
    """TF1's ``raw_rnn``: ``loop_fn`` chooses every step's inputs and when each row stops.

    ``loop_fn(time, cell_output, cell_state, loop_state)`` returns ``(finished [B] bools,
    next_input [B, D] (nested for a user's cell), next_cell_state, emit_output,
    next_loop_state)``. At time 0 it is called with ``None`` for the last three and returns
    the initial state, the first loop state (None: none is kept) and, as ``emit_output``,
    what one row of each emitted part looks like: arrays shaped [...] without the batch
    axis, whose dtypes and nesting the emitted values keep (None: the cell's output, in
    the state's dtype). Later, a ``next_loop_state`` of None keeps the loop state, and an
    ``emit_output`` of None emits the cell's output. The loop runs until every row is
    finished; a finished row emits zeros and keeps its state (a scalar state part, with
    no rows, takes the new value).
    Returns (emitted, final_state, final_loop_state); ``emitted`` is what TF1's
    ``emit_ta.stack()`` gives, arrays [T, B, ...] nested like the emitted values.
    """
    owner = "raw_rnn"
    validation.is_cell(cell, RNNCell, owner)
    validation.loop_fn(owner, loop_fn)
    validation.graph_options(owner, parallel_iterations, swap_memory)
    finished, next_input, state, emit_structure, loop_state = loop_fn(0, None, None, None)
    validation.raw_rnn_start(owner, next_input, state)
    next_input = as_arrays(next_input, owner, "next_input")
    batch = np.shape(structure.flatten(next_input)[0])[0]
    state = as_arrays(state, owner, "initial_state")
    validation.state(owner, state, cell.state_size, batch, np.shape)
    finished = _finished(owner, finished, batch)
    dtype = structure.flatten(state)[0].dtype
    # What a finished row emits: zeros [B, ...] shaped like one row of emit_structure (as
    # TF1, its values are ignored), or like the cell's output in the state's dtype.
    zero_emit = (
        structure.map_structure(lambda size: np.zeros((batch, *validation.dims(size)), dtype),
                                cell.output_size)
        if emit_structure is None
        else structure.map_structure(
            lambda e: np.zeros((batch, *np.shape(e)), np.asarray(e).dtype), emit_structure
        )
    )  # fmt: skip
    time, emitted = 0, []
    while not finished.all():
        if not cell.built:
            first = structure.flatten(next_input)[0]
            build_dtype = dtype if np.issubdtype(dtype, np.floating) else first.dtype
            cell._build(first.shape[-1], build_dtype, validation.scope(scope, "rnn"))
        output, cell_state = cell(next_input, state)
        time += 1
        next_finished, new_input, next_state, emit, next_loop_state = loop_fn(
            time, output, cell_state, loop_state
        )
        emit = output if emit is None else emit  # the docstring's example emits cell_output
        validation.loop_fn_results(owner, time, loop_state is not None, {
            "next_cell_state": (next_state, state), "next_input": (new_input, next_input),
            "emit_output": (emit, zero_emit), "next_loop_state": (next_loop_state, loop_state),
        })  # fmt: skip
        emit = as_arrays(emit, owner, "emit_output")
        next_state = as_arrays(next_state, owner, "next_cell_state")
        # Rows finished before this step emit zeros and keep their state.
        emitted.append(structure.map_structure(partial(_carry, ~finished), emit, zero_emit))
        state = structure.map_structure(partial(_carry, ~finished), next_state, state)
        next_input = as_arrays(new_input, owner, "next_input")
        finished = finished | _finished(owner, next_finished, batch)
        loop_state = loop_state if next_loop_state is None else next_loop_state
    if not emitted:  # no step ran: [0, B, ...] per emitted part
        return structure.map_structure(lambda z: z[None][:0], zero_emit), state, loop_state
    return structure.map_structure(lambda *steps: np.stack(steps), *emitted), state, loop_state


def _finished(owner: str, finished: Any, batch: int) -> np.ndarray:
    """``loop_fn``'s ``finished`` checked: bools [B]."""
    finished = as_array(finished, owner, "finished")
    validation.finished(owner, finished.shape, finished.dtype == bool, finished.dtype, batch)
    return finished


def static_rnn_forward(
    cell: RNNCell,
    inputs: list,
    initial_state: Any = None,
    dtype: Any = None,
    sequence_length: Any = None,
    scope: str | None = None,
) -> tuple[list, Any, dict]:
    """``static_rnn`` that also returns the tape ``static_rnn_backward`` needs."""
    owner = "static_rnn_forward"
    validation.is_cell(cell, RNNCell, owner)
    stacked = _stack_steps(owner, inputs)  # [T, B, D]
    tape: dict = {"made_by": owner}
    args = (sequence_length, initial_state, dtype, validation.scope(scope, "rnn"))
    outputs, state = _unroll(owner, cell, stacked, *args, tape=tape)
    tape.update(outputs=outputs, final_state=state)
    return _per_step(outputs, len(inputs)), state, tape


def static_rnn_backward(
    tape: dict, d_outputs: Any = None, d_final_state: Any = None
) -> tuple[list | None, Any, list[np.ndarray]]:
    """Backpropagation through ``static_rnn_forward``: d_outputs is a list of T arrays
    [B, output_size] (nested like the outputs, for a user's cell), or None; returns
    (d_inputs, a list of T arrays [B, D] nested like the steps (None for integer ids),
    d_initial_state, d_weights in the order of ``cell.weights``)."""
    owner = "static_rnn_backward"
    validation.tape_from(owner, tape, "static_rnn_forward")
    stacked = _stack_gradients(owner, d_outputs, tape["outputs"])
    d_outputs = _gradient_like(owner, "d_outputs", stacked, tape["outputs"])  # [T, B, H]
    d_final_state = _gradient_like(owner, "d_final_state", d_final_state, tape["final_state"])
    d_inputs, d_initial_state, d_weights = _unroll_backward(tape, d_outputs, d_final_state)
    steps = len(structure.flatten(tape["outputs"])[0])
    return (None if d_inputs is None else _per_step(d_inputs, steps)), d_initial_state, d_weights


def _stack_gradients(owner: str, d_steps: Any, outputs: Any) -> Any:
    """A static unroll's T gradients (each nested like one step's output) -> arrays
    [T, B, ...] nested like the outputs; None stays None (zeros)."""
    if d_steps is None:
        return None
    validation.step_gradients(owner, d_steps, len(structure.flatten(outputs)[0]))
    return structure.map_structure(lambda *ds: np.stack([np.asarray(d) for d in ds]), *d_steps)


def bidirectional_dynamic_rnn_forward(
    cell_fw: RNNCell,
    cell_bw: RNNCell,
    inputs: Any,
    sequence_length: Any = None,
    initial_state_fw: Any = None,
    initial_state_bw: Any = None,
    dtype: Any = None,
    parallel_iterations: int | None = None,
    swap_memory: bool = False,
    time_major: bool = False,
    scope: str | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[Any, Any], dict]:
    """``bidirectional_dynamic_rnn`` that also returns the tape its backward pass needs."""
    owner = "bidirectional_dynamic_rnn_forward"
    validation.graph_options(owner, parallel_iterations, swap_memory)
    time_major = validation.boolean(time_major, "time_major", owner)
    inputs = as_arrays(inputs, owner, "inputs")  # nested for a user's cell
    scope = validation.scope(scope, "bidirectional_rnn")
    time_axis = 0 if time_major else 1
    out_fw, state_fw, tape_fw = dynamic_rnn_forward(
        cell_fw, inputs, sequence_length, initial_state_fw, dtype,
        time_major=time_major, scope=f"{scope}fw",
    )  # fmt: skip
    reversed_inputs = _reverse_sequence(inputs, sequence_length, time_axis)
    out_bw, state_bw, tape_bw = dynamic_rnn_forward(
        cell_bw, reversed_inputs, sequence_length, initial_state_bw, dtype,
        time_major=time_major, scope=f"{scope}bw",
    )  # fmt: skip
    out_bw = _reverse_sequence(out_bw, sequence_length, time_axis)
    tape = {"made_by": owner, "fw": tape_fw, "bw": tape_bw, "time_axis": time_axis,
            "sequence_length": sequence_length, "outputs": (out_fw, out_bw)}  # fmt: skip
    return (out_fw, out_bw), (state_fw, state_bw), tape


def bidirectional_dynamic_rnn_backward(
    tape: dict, d_outputs: Any = None, d_final_states: Any = None
) -> tuple[np.ndarray | None, tuple[Any, Any], tuple[list, list]]:
    """Backpropagation through ``bidirectional_dynamic_rnn_forward``.

    d_outputs: (d_outputs_fw, d_outputs_bw) shaped like the outputs (None for either or
    both: zeros); d_final_states: (d_state_fw, d_state_bw). Returns (d_inputs shaped like
    the inputs, (d_initial_state_fw, d_initial_state_bw), (d_weights_fw, d_weights_bw)).
    Reversing a sequence is linear and its own inverse, so the backward cell's gradients
    are reversed exactly as its inputs and outputs were.
    """
    owner = "bidirectional_dynamic_rnn_backward"
    validation.tape_from(owner, tape, "bidirectional_dynamic_rnn_forward")
    d_fw, d_bw = (None, None) if d_outputs is None else d_outputs
    d_state_fw, d_state_bw = (None, None) if d_final_states is None else d_final_states
    lengths, time_axis = tape["sequence_length"], tape["time_axis"]
    if d_bw is not None:
        d_bw = _reverse_sequence(structure.map_structure(np.asarray, d_bw), lengths, time_axis)
    d_x_fw, d_init_fw, d_w_fw = dynamic_rnn_backward(tape["fw"], d_fw, d_state_fw)
    d_x_bw, d_init_bw, d_w_bw = dynamic_rnn_backward(tape["bw"], d_bw, d_state_bw)
    d_inputs = (
        None
        if d_x_fw is None
        else structure.map_structure(np.add, d_x_fw, _reverse_sequence(d_x_bw, lengths, time_axis))
    )
    return d_inputs, (d_init_fw, d_init_bw), (d_w_fw, d_w_bw)


def static_bidirectional_rnn_forward(
    cell_fw: RNNCell,
    cell_bw: RNNCell,
    inputs: list,
    initial_state_fw: Any = None,
    initial_state_bw: Any = None,
    dtype: Any = None,
    sequence_length: Any = None,
    scope: str | None = None,
) -> tuple[list, Any, Any, dict]:
    """``static_bidirectional_rnn`` that also returns the tape its backward pass needs."""
    owner = "static_bidirectional_rnn_forward"
    validation.is_cell(cell_fw, RNNCell, owner, "cell_fw")
    validation.is_cell(cell_bw, RNNCell, owner, "cell_bw")
    validation.output_parts(owner, cell_fw.output_size, cell_bw.output_size)
    stacked = _stack_steps(owner, inputs)  # [T, B, D]
    (out_fw, out_bw), (state_fw, state_bw), tape = bidirectional_dynamic_rnn_forward(
        cell_fw, cell_bw, stacked, sequence_length, initial_state_fw, initial_state_bw, dtype,
        time_major=True, scope=scope,
    )  # fmt: skip
    outputs = _concat_parts(out_fw, out_bw)
    widths = [structure.map_structure(lambda out: out.shape[2], out) for out in (out_fw, out_bw)]
    tape = {"made_by": owner, "bidirectional": tape, "outputs": outputs,
            "widths": widths}  # fmt: skip
    return _per_step(outputs, len(inputs)), state_fw, state_bw, tape


def static_bidirectional_rnn_backward(
    tape: dict, d_outputs: Any = None, d_state_fw: Any = None, d_state_bw: Any = None
) -> tuple[list | None, tuple[Any, Any], tuple[list, list]]:
    """Backpropagation through ``static_bidirectional_rnn_forward``: d_outputs is a list of
    T arrays [B, H_fw + H_bw] (nested like the outputs, for a user's cell), or None.
    Returns (d_inputs, a list of T arrays [B, D] nested like the steps,
    (d_initial_state_fw, d_initial_state_bw), (d_weights_fw, d_weights_bw))."""
    owner = "static_bidirectional_rnn_backward"
    validation.tape_from(owner, tape, "static_bidirectional_rnn_forward")
    halves = None
    stacked = _stack_gradients(owner, d_outputs, tape["outputs"])  # [T, B, H_fw + H_bw]
    if stacked is not None:
        stacked = _gradient_like(owner, "d_outputs", stacked, tape["outputs"])
        # Each part [T, B, H_fw + H_bw] -> its forward [T, B, H_fw] and backward halves,
        # nested like each cell's outputs.
        fw_widths, bw_widths = tape["widths"]
        pairs = zip(structure.flatten(stacked), structure.flatten(fw_widths), strict=True)
        fw_parts, bw_parts = zip(*[(d[:, :, :h], d[:, :, h:]) for d, h in pairs], strict=True)
        halves = (structure.pack_like(fw_widths, list(fw_parts)),
                  structure.pack_like(bw_widths, list(bw_parts)))  # fmt: skip
    d_inputs, d_initial, d_weights = bidirectional_dynamic_rnn_backward(
        tape["bidirectional"], halves, (d_state_fw, d_state_bw)
    )
    steps = len(structure.flatten(tape["outputs"])[0])
    return (None if d_inputs is None else _per_step(d_inputs, steps)), d_initial, d_weights


def _reverse_sequence(x: Any, sequence_length: Any, time_axis: int) -> Any:
    """Reverse the first sequence_length[b] steps of each row b (all steps if None), in
    every part of ``x`` (an array, or arrays nested for a user's cell)."""
    return structure.map_structure(partial(_reverse_rows, sequence_length, time_axis), x)


def _reverse_rows(sequence_length: Any, time_axis: int, x: np.ndarray) -> np.ndarray:
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
    owner: str,
    cell: RNNCell,
    inputs: np.ndarray,
    sequence_length: Any,
    initial_state: Any,
    dtype: Any,
    scope: str = "rnn/",
    tape: dict | None = None,
) -> tuple[np.ndarray, Any]:
    """The time loop. inputs: [T, B, D]. Returns outputs [T, B, output_size] and the state.

    A cell not yet built is built here, its weights named under ``scope``. The plain loop
    calls the cell once per step; ``rnnref.np.fused`` runs the cells it ``supports`` (the
    four of ``rnnref.np.cells`` with tanh) faster, to the same results within round-off.
    With a ``tape`` dict, records what ``_unroll_backward`` needs: each step's tape from
    ``cell.forward``, or the fused unroll's buffers.
    """
    first = structure.flatten(inputs)[0]  # inputs may nest, for a user's cell
    max_time, batch = first.shape[0], first.shape[1]
    lengths = _check_lengths(owner, sequence_length, batch, max_time)
    state = _initial_state(owner, cell, initial_state, dtype, first.dtype, batch)
    state_dtype = structure.flatten(state)[0].dtype
    if not cell.built:  # in the state's dtype, or the inputs' if a user's state is not float
        build_dtype = state_dtype if np.issubdtype(state_dtype, np.floating) else first.dtype
        cell._build(first.shape[2], build_dtype, scope)  # weights named scope/cell/...
    if tape is not None:
        tape.update(cell=cell, inputs=inputs, lengths=lengths, fused=None, steps=[])
    if fused.supports(cell, inputs):
        return fused.unroll(cell, inputs, state, lengths, tape)

    outputs = []  # one output (nested like output_size) per step
    for t in range(max_time):
        step_inputs = structure.map_structure(lambda a, t=t: a[t], inputs)
        if tape is None:
            output, new_state = cell(step_inputs, state)
        else:
            output, new_state, step_tape = cell.forward(step_inputs, state)
            tape["steps"].append(step_tape)
        if lengths is not None:
            live = t < lengths  # [B]: rows still inside their sequence
            output = structure.map_structure(partial(_zero_past, live), output)
            new_state = structure.map_structure(partial(_carry, live), new_state, state)
        outputs.append(output)
        state = new_state
    if not outputs:  # 0 steps: [0, B, ...] per output
        empty = partial(_empty_output, batch, state_dtype)
        return structure.map_structure(empty, cell.output_size), state
    return structure.map_structure(lambda *steps: np.stack(steps), *outputs), state


def _rows(live: np.ndarray, value: np.ndarray) -> np.ndarray:
    """``live`` [B] shaped to select the rows of ``value`` [B, ...]: [B, 1, ..., 1]."""
    return live.reshape((-1,) + (1,) * (np.ndim(value) - 1))


def _zero_past(live: np.ndarray, output: np.ndarray) -> np.ndarray:
    """A row past its length outputs zeros."""
    return np.where(_rows(live, output), output, 0)


def _carry(live: np.ndarray, new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """A row past its length keeps its old state. A scalar state part (a user's cell's, with
    no rows) takes the new value while any row is live, as TF1's graph loop, which stops at
    the longest row (TF1's static_rnn too; its eager dynamic_rnn runs every step)."""
    if np.ndim(new) == 0:
        return new if live.any() else old
    return np.where(_rows(live, new), new, old)


def _empty_output(batch: int, dtype: Any, size: Any) -> np.ndarray:
    return np.zeros((0, batch, *validation.dims(size)), dtype)


def _unroll_backward(tape: dict, d_outputs: Any, d_state: Any) -> tuple:
    """``_unroll``'s loop run backwards, t = T-1 ... 0, through ``cell.backward``.

    d_outputs: [T, B, output_size] (nested like the outputs, for a user's cell); d_state:
    dL/d final state. Returns d_inputs [T, B, D] nested like the inputs (None for integer
    ids), dL/d initial state and d_weights (like ``cell.weights``).
    """
    if tape["fused"] is not None:
        return fused.unroll_backward(tape, d_outputs, d_state)
    cell, inputs, lengths, steps = tape["cell"], tape["inputs"], tape["lengths"], tape["steps"]
    d_weights = [np.zeros_like(w) for w in cell.weights]
    d_steps = []  # dL/d inputs at t = T-1 ... 0
    for t in reversed(range(len(steps))):
        d_output, d_carried = structure.map_structure(itemgetter(t), d_outputs), None
        if lengths is not None:
            # Past a row's length the output is a constant 0 and the state is carried: the
            # step gets no gradient there, and the state's gradient passes through unchanged
            # (a scalar state part, with no rows, by the rule of ``_carry``).
            live = t < lengths  # [B]
            d_output = structure.map_structure(partial(_zero_past, live), d_output)
            d_carried = structure.map_structure(partial(_carried_part, live), d_state)
            d_state = structure.map_structure(partial(_live_part, live), d_state)
        d_x, d_state, grads = cell.backward(steps[t], d_output, d_state)
        d_steps.append(d_x)
        for total, grad in zip(d_weights, grads, strict=True):
            total += grad
        if d_carried is not None:
            d_state = structure.map_structure(np.add, d_state, d_carried)
    ids = not np.issubdtype(structure.flatten(inputs)[0].dtype, np.floating)
    if ids or any(d is None for d in d_steps):  # an EmbeddingWrapper's ids: no gradient
        return None, d_state, d_weights
    if not d_steps:  # 0 steps
        return structure.map_structure(np.zeros_like, inputs), d_state, d_weights
    d_inputs = structure.map_structure(lambda *ds: np.stack(ds[::-1]), *d_steps)  # [T, B, D]
    return d_inputs, d_state, d_weights


def _live_part(live: np.ndarray, d: np.ndarray) -> np.ndarray:
    """The rows of a state's gradient that reach the step (all of a scalar part's, if any
    row was live: see ``_carry``)."""
    return _carry(live, d, np.zeros_like(d))


def _carried_part(live: np.ndarray, d: np.ndarray) -> np.ndarray:
    """The rows of a state's gradient that go around the step, past their length."""
    return _carry(live, np.zeros_like(d), d)


def _check_lengths(
    owner: str, sequence_length: Any, batch: int, max_time: int
) -> np.ndarray | None:
    if sequence_length is None:
        return None
    lengths = np.asarray(sequence_length)
    validation.sequence_length_shape(owner, lengths.shape, batch)
    validation.sequence_length_dtype(owner, np.issubdtype(lengths.dtype, np.integer), lengths.dtype)
    if lengths.size:
        validation.sequence_length_range(owner, int(lengths.min()), int(lengths.max()), max_time)
    return lengths


def _initial_state(
    owner: str, cell: RNNCell, initial_state: Any, dtype: Any, input_dtype: Any, batch: int
) -> Any:
    if initial_state is None:
        is_float = np.issubdtype(input_dtype, np.floating)
        validation.state_dtype_given(owner, is_float, input_dtype, dtype)
        dtype = input_dtype if dtype is None else dtype
        return cell.zero_state(batch, dtype)
    state = as_arrays(initial_state, owner, "initial_state")
    validation.state(owner, state, cell.state_size, batch, np.shape)
    return state
