"""Unrolling a cell over time: ``dynamic_rnn``, ``static_rnn`` and ``bidirectional_dynamic_rnn``.

With ``sequence_length``, row b is live for t < sequence_length[b]; past that its output
is zero and its state is carried unchanged, so the final state is each row's state at
its last valid step (the initial state for a length of 0), exactly as TF1.

The time loop is a ``tf.while_loop`` over ``tf.TensorArray``s, so the number of steps
may be unknown until the graph runs: one trace serves every length, eagerly, in a
``tf.function`` and under ``jit_compile=True``.
"""

from functools import partial
from operator import itemgetter
from typing import Any

import tensorflow as tf

from rnnref import structure, validation
from rnnref.tf import fused
from rnnref.tf.base import RNNCell, as_tensor, as_tensors, check_range, shape_of


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
) -> tuple[tf.Tensor, Any]:
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
    return _dynamic_rnn("dynamic_rnn", cell, inputs, *args, validation.scope(scope, "rnn"))


def _dynamic_rnn(
    owner: str,
    cell: RNNCell,
    inputs: Any,
    sequence_length: Any,
    initial_state: Any,
    dtype: Any,
    time_major: bool,
    scope: str,
) -> tuple[tf.Tensor, Any]:
    validation.is_cell(cell, RNNCell, owner)
    time_major = validation.boolean(time_major, "time_major", owner)
    inputs = as_tensors(inputs, owner, "inputs")  # a tensor, or a tuple of them for a user's cell
    shapes = [shape_of(leaf, owner) for leaf in structure.flatten(inputs)]
    for shape in shapes:
        validation.sequence_inputs(owner, shape, time_major)
    validation.inputs_agree(owner, shapes, time_major)
    if not time_major:
        inputs = structure.map_structure(_swap_batch_and_time, inputs)  # (B, T, D) -> (T, B, D)
    outputs, state = _unroll(owner, cell, inputs, sequence_length, initial_state, dtype, scope)
    if not time_major:
        outputs = structure.map_structure(_swap_batch_and_time, outputs)  # (T, B, H) -> (B, T, H)
    return outputs, state


def _swap_batch_and_time(x: tf.Tensor) -> tf.Tensor:
    axes = [1, 0] + list(range(2, x.shape.rank))
    return tf.transpose(x, axes)  # (B, T, ...) <-> (T, B, ...)


def static_rnn(
    cell: RNNCell,
    inputs: list,
    initial_state: Any = None,
    dtype: Any = None,
    sequence_length: Any = None,
    scope: str | None = None,
) -> tuple[list, Any]:
    """``dynamic_rnn`` over a Python list of T tensors [B, D]; returns a list of T outputs.

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
    unstacked = structure.map_structure(partial(tf.unstack, num=max_time), outputs)
    return [structure.map_structure(itemgetter(t), unstacked) for t in range(max_time)]


def _stack_steps(owner: str, inputs: Any) -> Any:
    """T steps [B, D] (an EmbeddingWrapper's ids may be [B]) -> one tensor [T, B, D]; steps
    nested for a user's cell -> tensors [T, B, ...] nested as they are."""
    validation.step_list(owner, inputs)
    if structure.is_nested(inputs[0]):
        steps = [as_tensors(x, owner, "inputs") for x in inputs]
        validation.steps_alike(owner, steps, partial(shape_of, owner=owner))
        return structure.map_structure(lambda *xs: tf.stack(xs), *steps)
    steps = [as_tensor(x, owner, "inputs") for x in inputs]
    # An EmbeddingWrapper's ids may come as [B] per step, as in TF1's seq2seq code: [B] -> [B, 1].
    steps = [x[:, None] if x.shape.rank == 1 and x.dtype.is_integer else x for x in steps]
    for x in steps:
        validation.cell_inputs(owner, shape_of(x, owner), shape_of(steps[0])[-1])
    validation.same_batch(owner, [shape_of(x)[0] for x in steps])
    return tf.stack(steps)  # T x [B, D] -> [T, B, D]


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
) -> tuple[tuple[tf.Tensor, tf.Tensor], tuple[Any, Any]]:
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
    inputs = as_tensors(inputs, owner, "inputs")  # nested for a user's cell, as TF1's nest
    scope = validation.scope(scope, "bidirectional_rnn")
    fw = (sequence_length, initial_state_fw, dtype, time_major, f"{scope}fw/")
    out_fw, state_fw = _dynamic_rnn(owner, cell_fw, inputs, *fw)
    time_axis = 0 if time_major else 1
    reversed_inputs = _reverse_sequence(inputs, sequence_length, time_axis)
    bw = (sequence_length, initial_state_bw, dtype, time_major, f"{scope}bw/")
    out_bw, state_bw = _dynamic_rnn(owner, cell_bw, reversed_inputs, *bw)
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
    """``bidirectional_dynamic_rnn`` over a Python list of T tensors [B, D].

    Returns (outputs, state_fw, state_bw), as TF1: a list of T tensors
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
    return structure.pack_like(out_fw, [tf.concat(pair, axis=2) for pair in parts])


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
    what one row of each emitted part looks like: tensors shaped [...] without the batch
    axis, whose dtypes and nesting the emitted values keep (None: the cell's output, in
    the state's dtype). Later, a ``next_loop_state`` of None keeps the loop state, and an
    ``emit_output`` of None emits the cell's output. The loop runs until every row is
    finished; a finished row emits zeros and keeps its state (a scalar state part, with
    no rows, takes the new value).
    Returns (emit_ta, final_state, final_loop_state) as TF1: ``emit_ta`` holds
    ``tf.TensorArray``s nested like the emitted values (``.stack()`` gives [T, B, ...]).
    """
    owner = "raw_rnn"
    validation.is_cell(cell, RNNCell, owner)
    validation.loop_fn(owner, loop_fn)
    validation.graph_options(owner, parallel_iterations, swap_memory)
    finished, next_input, state, emit_structure, loop_state = loop_fn(
        tf.constant(0), None, None, None
    )
    validation.raw_rnn_start(owner, next_input, state)
    next_input = as_tensors(next_input, owner, "next_input")
    first = structure.flatten(next_input)[0]
    B = shape_of(first, owner, "next_input")[0]  # None until run when unknown now
    batch = B if B is not None else tf.shape(first)[0]
    state = as_tensors(state, owner, "initial_state")
    state_shape = partial(shape_of, owner=owner, name="initial_state")
    validation.state(owner, state, cell.state_size, B, state_shape)
    finished = _finished(owner, finished, B)
    dtype = structure.flatten(state)[0].dtype
    if not cell.built:  # in the state's dtype, or the inputs' if a user's state is not float
        build_dtype = dtype if dtype.is_floating else first.dtype
        cell._build(shape_of(first)[-1], build_dtype, validation.scope(scope, "rnn"))
    # What a finished row emits: zeros [B, ...] shaped like one row of emit_structure (as
    # TF1, its values are ignored), or like the cell's output in the state's dtype.
    zero_emit = (
        structure.map_structure(
            lambda size: tf.zeros([batch, *validation.dims(size)], dtype), cell.output_size
        )
        if emit_structure is None
        else structure.map_structure(
            lambda e: tf.zeros(tf.concat([[batch], tf.shape(e)], 0), e.dtype),
            as_tensors(emit_structure, owner, "emit_structure"),
        )
    )
    emit_tas = structure.map_structure(
        lambda z: tf.TensorArray(z.dtype, size=0, dynamic_size=True, element_shape=z.shape),
        zero_emit,
    )
    keeps_loop_state = loop_state is not None  # None cannot be a loop variable

    def body(time, finished, inputs, state, emit_tas, loop_state):  # the loop variables
        output, cell_state = cell(inputs, state)
        given_loop_state = loop_state if keeps_loop_state else None
        next_finished, next_input, next_state, emit, next_loop_state = loop_fn(
            time + 1, output, cell_state, given_loop_state
        )
        emit = output if emit is None else emit  # the docstring's example emits cell_output
        validation.loop_fn_results(owner, "t > 0", keeps_loop_state, {
            "next_cell_state": (next_state, state), "next_input": (next_input, inputs),
            "emit_output": (emit, zero_emit), "next_loop_state": (next_loop_state, loop_state),
        })  # fmt: skip
        live = tf.logical_not(finished)  # [B]: rows not finished before this step
        emit = structure.map_structure(
            partial(_carry, live), as_tensors(emit, owner, "emit_output"), zero_emit
        )
        next_state = structure.map_structure(
            partial(_carry, live), as_tensors(next_state, owner, "next_cell_state"), state
        )
        emit_tas = structure.map_structure(lambda ta, e: ta.write(time, e), emit_tas, emit)
        finished = tf.logical_or(finished, _finished(owner, next_finished, B))
        if keeps_loop_state and next_loop_state is not None:
            loop_state = next_loop_state
        next_input = as_tensors(next_input, owner, "next_input")
        return time + 1, finished, next_input, next_state, emit_tas, loop_state

    start = (tf.constant(0), finished, next_input, state, emit_tas,
             loop_state if keeps_loop_state else tf.constant(0))  # fmt: skip
    *_, state, emit_tas, loop_state = tf.while_loop(
        lambda time, finished, *_: tf.logical_not(tf.reduce_all(finished)), body, start
    )
    return emit_tas, state, loop_state if keeps_loop_state else None


def _finished(owner: str, finished: Any, batch: int | None) -> tf.Tensor:
    """``loop_fn``'s ``finished`` checked: bools [B]."""
    finished = as_tensor(finished, owner, "finished")
    shape = shape_of(finished, owner, "finished")
    validation.finished(owner, shape, finished.dtype == tf.bool, finished.dtype.name, batch)
    return finished


def _reverse_sequence(x: Any, sequence_length: Any, time_axis: int) -> Any:
    """Reverse the first sequence_length[b] steps of each row b (all steps if None), in
    every part of ``x`` (a tensor, or tensors nested for a user's cell)."""
    return structure.map_structure(partial(_reverse_rows, sequence_length, time_axis), x)


def _reverse_rows(sequence_length: Any, time_axis: int, x: tf.Tensor) -> tf.Tensor:
    if sequence_length is None:
        return tf.reverse(x, axis=[time_axis])
    lengths = tf.cast(as_tensor(sequence_length, "bidirectional_rnn", "sequence_length"), tf.int32)
    return tf.reverse_sequence(x, lengths, seq_axis=time_axis, batch_axis=1 - time_axis)


def _unroll(
    owner: str,
    cell: RNNCell,
    inputs: tf.Tensor,
    sequence_length: Any,
    initial_state: Any,
    dtype: Any,
    scope: str = "rnn/",
) -> tuple[tf.Tensor, Any]:
    """The time loop. inputs: [T, B, D]. Returns outputs [T, B, output_size] and the state.

    A cell not yet built is built here, its weights named under ``scope``. The plain loop
    calls the cell once per step; ``rnnref.tf.fused`` runs the cells it ``supports`` (the
    four of ``rnnref.tf.cells``) faster, to the same results within round-off.
    Shapes known now (``T``, ``B`` below, maybe None) are checked now; ``max_time`` and
    ``batch`` are the run-time sizes.
    """
    first = structure.flatten(inputs)[0]  # inputs may nest, for a user's cell
    T, B, depth = shape_of(first)[:3]
    max_time, batch = tf.shape(first)[0], tf.shape(first)[1]
    lengths = _check_lengths(owner, sequence_length, B, T if T is not None else max_time)
    batch_now = B if B is not None else batch
    state = _initial_state(owner, cell, initial_state, dtype, first.dtype, batch_now)
    state_dtype = structure.flatten(state)[0].dtype
    if not cell.built:  # in the state's dtype, or the inputs' if a user's state is not float
        build_dtype = state_dtype if state_dtype.is_floating else first.dtype
        cell._build(depth, build_dtype, scope)  # weights named scope/cell/...

    output_dtype = state_dtype if state_dtype.is_floating else first.dtype
    outputs = structure.map_structure(
        lambda size: tf.TensorArray(
            output_dtype, size=max_time, element_shape=tf.TensorShape([B, *validation.dims(size)])
        ),
        cell.output_size,
    )
    if fused.supports(cell, inputs):
        if T != 0:
            cell._prepare(inputs[0], state)  # checks shapes and dtypes once, for every step
        step = fused.step_function(cell, inputs)  # every step's input term, before the loop
    else:
        steps = structure.map_structure(
            lambda a: tf.TensorArray(a.dtype, size=max_time, infer_shape=False).unstack(a), inputs
        )

        def step(t: tf.Tensor, state: Any) -> tuple[tf.Tensor, Any]:
            return cell(structure.map_structure(lambda a: a.read(t), steps), state)

    _, outputs, state = tf.while_loop(
        lambda t, *_: t < max_time,
        partial(_masked_step, step, lengths),
        (tf.constant(0), outputs, state),
        maximum_iterations=max_time,
    )
    if B is None and not T:  # an empty list of outputs stacks only with a known shape
        return structure.map_structure(
            partial(_stack_or_empty, max_time, batch, output_dtype), outputs, cell.output_size
        ), state
    return structure.map_structure(lambda ta: ta.stack(), outputs), state


def _stack_or_empty(
    max_time: tf.Tensor, batch: tf.Tensor, dtype: tf.DType, outputs: tf.TensorArray, size: Any
) -> tf.Tensor:
    """The outputs stacked, [T, B, ...], or zeros [0, B, ...] when no step ran."""
    empty = tf.zeros(tf.stack([0, batch, *validation.dims(size)]), dtype)
    return tf.cond(max_time > 0, outputs.stack, lambda: empty)


def _masked_step(
    step: Any, lengths: tf.Tensor | None, t: tf.Tensor, outputs: Any, state: Any
) -> tuple[tf.Tensor, Any, Any]:
    """The loop's body: step t, with rows past their length giving zeros and keeping state."""
    output, new_state = step(t, state)
    if lengths is not None:
        live = t < lengths  # [B]: rows still inside their sequence
        output = structure.map_structure(partial(_zero_past, live), output)
        new_state = structure.map_structure(partial(_carry, live), new_state, state)
    outputs = structure.map_structure(lambda ta, o: ta.write(t, o), outputs, output)
    return t + 1, outputs, new_state


def _rows(live: tf.Tensor, value: tf.Tensor) -> tf.Tensor:
    """``live`` [B] shaped to select the rows of ``value`` [B, ...]: [B, 1, ..., 1]."""
    return tf.reshape(live, [-1] + [1] * (value.shape.rank - 1))


def _zero_past(live: tf.Tensor, output: tf.Tensor) -> tf.Tensor:
    """A row past its length outputs zeros."""
    return tf.where(_rows(live, output), output, tf.zeros_like(output))


def _carry(live: tf.Tensor, new: tf.Tensor, old: tf.Tensor) -> tf.Tensor:
    """A row past its length keeps its old state. A scalar state part (a user's cell's, with
    no rows) takes the new value while any row is live, as TF1's graph loop, which stops at
    the longest row (TF1's static_rnn too; its eager dynamic_rnn runs every step)."""
    if new.shape.rank == 0:
        return tf.where(tf.reduce_any(live), new, old)
    return tf.where(_rows(live, new), new, old)


def _check_lengths(
    owner: str, sequence_length: Any, batch: int | None, max_time: Any
) -> tf.Tensor | None:
    if sequence_length is None:
        return None
    lengths = as_tensor(sequence_length, owner, "sequence_length")
    shape = shape_of(lengths, owner, "sequence_length")
    validation.sequence_length_shape(owner, shape, batch)
    validation.sequence_length_dtype(owner, lengths.dtype.is_integer, lengths.dtype.name)
    names = ("min(sequence_length)", "max(sequence_length)", "max_time")
    # Checked in the given dtype, then cast: an int64 2**32 + 3 must not pass as 3.
    lengths = check_range(
        validation.sequence_length_range, owner, lengths, max_time, _in_range, names
    )
    return tf.cast(lengths, tf.int32)


def _in_range(low: tf.Tensor, high: tf.Tensor, max_time: tf.Tensor) -> tf.Tensor:
    return tf.logical_and(low >= 0, high <= max_time)


def _initial_state(
    owner: str, cell: RNNCell, initial_state: Any, dtype: Any, input_dtype: tf.DType, batch: Any
) -> Any:
    """The zero state of ``dtype`` (the inputs' if None), or ``initial_state`` checked.

    ``batch`` is the batch size: an int when known now, else a scalar tensor.
    """
    if initial_state is None:
        validation.state_dtype_given(owner, input_dtype.is_floating, input_dtype.name, dtype)
        zero = cell.zero_state(batch, input_dtype if dtype is None else dtype)
        return as_tensors(zero, owner, "zero_state")  # a user's cell may return arrays
    state = as_tensors(initial_state, owner, "initial_state")
    static_batch = batch if isinstance(batch, int) else None
    state_shape = partial(shape_of, owner=owner, name="initial_state")
    validation.state(owner, state, cell.state_size, static_batch, state_shape)
    if static_batch is None:  # B known only when the graph runs
        state = structure.map_structure(partial(_batch_known_at_run_time, owner, batch), state)
    return state


def _batch_known_at_run_time(owner: str, batch: tf.Tensor, leaf: tf.Tensor) -> tf.Tensor:
    """A state leaf whose static batch (say 1) the loop must not keep: its shape becomes
    [None, n], as the steps' states have, and the graph checks its batch is the inputs'."""
    message = (
        f"{owner} expects an initial_state with the inputs' batch size. Received: a state "
        "whose batch differs from the inputs' when the graph ran."
    )
    check = tf.debugging.assert_equal(tf.shape(leaf)[0], batch, message=message)
    with tf.control_dependencies([check]):
        return tf.compat.v1.placeholder_with_default(leaf, [None, leaf.shape[1]])
