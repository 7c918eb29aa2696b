"""Checks of user input shared by both backends, so both raise the same errors.

Every message says what was expected, what came, and the likely fix. Shapes are
passed in as tuples (``None`` for an unknown dimension), so the same check serves
NumPy arrays and TensorFlow tensors.
"""

import math
import numbers
from typing import Any

import numpy as np

from rnnref import structure


def positive_int(value: Any, name: str, owner: str) -> int:
    """``value`` as an int, if it is a positive whole number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{owner} expects {name} to be a positive integer. "
            f"Received: {name}={value!r} of type {type(value).__name__}."
        )
    if value <= 0:
        raise ValueError(
            f"{owner} expects {name} to be a positive integer. Received: {name}={value}."
        )
    return int(value)


def positive_int_or_none(value: Any, name: str, owner: str) -> int | None:
    return None if value is None else positive_int(value, name, owner)


def batch_size(value: Any, owner: str) -> int:
    """``value`` as an int, if it is a whole number >= 0 (an empty batch is TF1's too)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{owner} expects batch_size to be an integer >= 0. "
            f"Received: batch_size={value!r} of type {type(value).__name__}."
        )
    if value < 0:
        raise ValueError(
            f"{owner} expects batch_size to be an integer >= 0. Received: batch_size={value}."
        )
    return int(value)


def finite_float(value: Any, name: str, owner: str) -> float:
    """``value`` as a float, if it is a finite real number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{owner} expects {name} to be a number. "
            f"Received: {name}={value!r} of type {type(value).__name__}."
        )
    if not math.isfinite(value):
        raise ValueError(f"{owner} expects {name} to be a finite number. Received: {name}={value}.")
    return float(value)


def positive_float_or_none(value: Any, name: str, owner: str) -> float | None:
    """``value`` as a float, if it is None or a positive number (a clipping bound)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{owner} expects {name} to be None or a positive number. "
            f"Received: {name}={value!r} of type {type(value).__name__}."
        )
    if not value > 0:
        raise ValueError(
            f"{owner} expects {name} to be None or a positive number, since values are clipped "
            f"to [-{name}, {name}]. Received: {name}={value}."
        )
    return float(value)


def clip_or_none(value: Any, name: str, owner: str) -> float | None:
    """``value`` as a float, if it is None or a bound >= 0 (values are clipped to [-v, v]).

    A bound of 0 is TF1's too: every clipped value becomes 0.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{owner} expects {name} to be None or a number >= 0. "
            f"Received: {name}={value!r} of type {type(value).__name__}."
        )
    if not value >= 0:
        raise ValueError(
            f"{owner} expects {name} to be None or a number >= 0, since values are clipped "
            f"to [-{name}, {name}]. Received: {name}={value}."
        )
    return float(value)


def scalar(value: Any) -> Any:
    """A 0-d array or an eager scalar tensor as its Python number; anything else unchanged."""
    if hasattr(value, "shape") and hasattr(value, "dtype") and tuple(value.shape) == ():
        try:
            return value.item() if hasattr(value, "item") else value.numpy().item()
        except (AttributeError, TypeError, ValueError):  # a symbolic tensor has no value yet
            return value
    return value


def keep_prob(value: Any, name: str, owner: str) -> float:
    """``value`` as a float, if it is a probability of keeping a unit, in (0, 1].

    A Python number, a 0-d array or a scalar tensor whose value is known now.
    """
    value = scalar(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{owner} expects {name} to be a number in (0, 1]. "
            f"Received: {name}={value!r} of type {type(value).__name__}."
        )
    if not 0.0 < value <= 1.0:
        raise ValueError(
            f"{owner} expects {name} in (0, 1]: the probability of keeping a unit, "
            f"1.0 for no dropout. Received: {name}={value}. "
            "A dropout rate r corresponds to keep_prob = 1 - r."
        )
    return float(value)


def is_cell(value: Any, cell_type: type, owner: str, name: str = "cell") -> None:
    if not isinstance(value, cell_type):
        raise TypeError(
            f"{owner} expects {name} to be an RNNCell of the same backend. "
            f"Received: {name} of type {type(value).__name__}."
        )


def cell_inputs(owner: str, shape: tuple, input_depth: int | None) -> None:
    """One time step of inputs must be [B, D], with D fixed once the cell is built."""
    if len(shape) != 2:
        raise ValueError(
            f"{owner} expects inputs of shape [batch_size, input_depth] (one time step). "
            f"Received: inputs.shape={shape}. "
            + (
                "For a whole sequence [batch, time, depth], use dynamic_rnn."
                if len(shape) == 3
                else "Add a batch axis, e.g. x[None, :] for a single example."
            )
        )
    if input_depth is not None and shape[1] is not None and shape[1] != input_depth:
        raise ValueError(
            f"{owner} was built for inputs of depth {input_depth}, so inputs must have shape "
            f"[batch_size, {input_depth}]. Received: inputs.shape={shape}. "
            "A cell keeps the input depth of its first call; make a new cell for other inputs."
        )


def dtypes_match(owner: str, what: str, received: Any, expected: Any) -> None:
    if received != expected:
        raise TypeError(
            f"{owner} computes in {expected}, so {what} must be {expected}. "
            f"Received: {what} of dtype {received}. "
            f"Cast it, or build the cell with dtype={received}."
        )


def state(owner: str, value: Any, state_size: Any, batch: int | None, shape_of: Any) -> None:
    """``value`` must nest like ``state_size`` with leaves of shape [B, size]."""
    expected = structure.describe(state_size)
    if not structure.same_structure(value, state_size):
        received = _describe_value(value, shape_of)
        hint = (
            "Pass cell.zero_state(batch_size, dtype) or a state returned by the cell. "
            "An LSTM's state is LSTMStateTuple(c, h) unless state_is_tuple=False, and a "
            "MultiRNNCell's is a tuple with one state per layer."
        )
        raise ValueError(
            f"{owner} expects a state structured like its state_size, {expected}. "
            f"Received: {received}. {hint}"
        )
    for leaf, size in zip(structure.flatten(value), structure.flatten(state_size), strict=True):
        if not isinstance(size, numbers.Integral):
            continue  # a user's cell's own kind of size (e.g. a scalar state's): its business
        shape = shape_of(leaf)
        wanted_batch = batch if batch is not None else "B"
        if (
            len(shape) != 2
            or (shape[1] is not None and shape[1] != size)
            or (batch is not None and shape[0] is not None and shape[0] != batch)
        ):
            raise ValueError(
                f"{owner} expects a state of shapes "
                f"{structure.describe(state_size, wanted_batch)}. "
                f"Received: {_describe_value(value, shape_of)}. The batch size must match the "
                "inputs' and each part's depth its state_size."
            )


def _describe_value(value: Any, shape_of: Any) -> str:
    def leaf(part: Any) -> str:
        try:
            return f"an array of shape {tuple(shape_of(part))}"
        except (AttributeError, TypeError, ValueError):
            return f"a {type(part).__name__}"

    return structure.describe_with(leaf, value)


def sequence_inputs(owner: str, shape: tuple, time_major: bool) -> None:
    layout = "[max_time, batch_size, depth]" if time_major else "[batch_size, max_time, depth]"
    if len(shape) != 3:
        raise ValueError(
            f"{owner} expects inputs of shape {layout}"
            f"{' (time_major=True)' if time_major else ''}. Received: inputs.shape={shape}. "
            "For one time step, call the cell directly; for a 2-D sequence of ids, add a "
            "depth axis with x[..., None]."
        )


def sequence_length_shape(owner: str, shape: tuple, batch: int | None) -> None:
    if len(shape) != 1 or (batch is not None and shape[0] is not None and shape[0] != batch):
        raise ValueError(
            f"{owner} expects sequence_length of shape [batch_size] = [{batch}], one length "
            f"per row of the batch. Received: sequence_length.shape={shape}."
        )


def sequence_length_dtype(owner: str, is_integer: bool, dtype: Any) -> None:
    if not is_integer:
        raise TypeError(
            f"{owner} expects integer sequence lengths. Received: sequence_length of dtype "
            f"{dtype}. Cast them to an integer dtype if the values are whole numbers."
        )


def sequence_length_range(owner: str, low: int, high: int, max_time: int) -> None:
    if low < 0 or high > max_time:
        raise ValueError(
            f"{owner} expects every sequence_length in [0, max_time] = [0, {max_time}]. "
            f"Received: values from {low} to {high}. Lengths count valid time steps per row; "
            "check that the time axis is where time_major says it is."
        )


def split_layout(owner: str, shape: tuple, batch_size: int, num_steps: int, shift: int) -> tuple:
    """(batch_len, num_batches) of the PTB-style split of a 1-D sequence into B contiguous rows.

    ``shift`` is 1 when targets (inputs shifted by one step) are needed, else 0.
    """
    if len(shape) != 1:
        raise ValueError(
            f"{owner} expects one long 1-D sequence (e.g. token ids). Received: data of shape "
            f"{shape}. Flatten it first, e.g. data.reshape(-1)."
        )
    length = shape[0]
    batch_len = length // batch_size
    num_batches = (batch_len - shift) // num_steps
    if num_batches < 1:
        needed = batch_size * (num_steps + shift)
        raise ValueError(
            f"{owner} needs at least batch_size * (num_steps{' + 1' if shift else ''}) = {needed} "
            f"elements to make one batch of batch_size={batch_size} rows and num_steps={num_steps} "
            f"steps. Received: {length} elements. Use a longer sequence or smaller batch_size or "
            "num_steps."
        )
    return batch_len, num_batches


def int_ids(owner: str, is_integer: bool, dtype: Any) -> None:
    if not is_integer:
        raise TypeError(
            f"{owner} expects integer ids as inputs. Received: inputs of dtype {dtype}. "
            "Map tokens to ids 0..embedding_classes-1 first."
        )


def ids_range(owner: str, low: int, high: int, classes: int) -> None:
    if low < 0 or high >= classes:
        raise ValueError(
            f"{owner} expects ids in [0, embedding_classes) = [0, {classes}). "
            f"Received: ids from {low} to {high}."
        )


def float_inputs(owner: str, is_float: bool, dtype: Any) -> None:
    """A ValueError, as TF1's "RNN cell only supports floating point inputs"."""
    if not is_float:
        raise ValueError(
            f"{owner} expects floating-point inputs (float16, float32 or float64). "
            f"Received: inputs of dtype {dtype}. Cast them, or wrap the cell in an "
            "EmbeddingWrapper to feed integer ids."
        )


def set_weights(owner: str, names: list, expected: list, received: list) -> None:
    """``received`` shapes must equal ``expected``, one per weight named in ``names``."""
    if len(received) != len(expected):
        listing = ", ".join(f"{n} {tuple(s)}" for n, s in zip(names, expected, strict=True))
        raise ValueError(
            f"{owner} has {len(expected)} weights ({listing}). Received: {len(received)} arrays. "
            "Pass the list from another cell's .weights, in the same order."
        )
    for index, (name, want, got) in enumerate(zip(names, expected, received, strict=True)):
        if tuple(want) != tuple(got):
            raise ValueError(
                f"{owner} expects weight {index} ({name}) of shape {tuple(want)}. "
                f"Received: shape {tuple(got)}. "
                "Build both cells with the same sizes and input depth."
            )


def not_built(owner: str) -> None:
    raise ValueError(
        f"{owner} has no weights yet. Call build(input_depth) (or call the cell once) "
        "before set_weights."
    )


# Checks that rnnref.np first wrote inline, shared here so that rnnref.tf raises the very
# same messages (rnnref.np can call them too); and the one check only TensorFlow needs.


def float_dtype(owner: str, is_float: bool, dtype: Any) -> None:
    if not is_float:
        raise TypeError(f"{owner} computes in floating point. Received: dtype={dtype}.")


def inner_cell_built(
    owner: str, inner: str, depth: int, dtype: Any, built_depth: Any, built_dtype: Any
) -> None:
    """An inner cell that is already built must fit where the outer cell puts it."""
    if built_depth != depth or built_dtype != dtype:
        raise ValueError(
            f"{owner} needs its inner {inner} built for inputs of depth {depth} "
            f"in {dtype}. Received: a cell already built for depth {built_depth} in "
            f"{built_dtype}. Use a new cell object for each place in the network."
        )


def cell_list(owner: str, cells: Any) -> None:
    if not isinstance(cells, (list, tuple)) or not cells:
        raise ValueError(f"{owner} expects a non-empty list of cells. Received: {cells!r}.")


def single_array_states(owner: str, state_sizes: list) -> None:
    """``MultiRNNCell(state_is_tuple=False)`` can only concatenate single-array states."""
    if any(structure.is_nested(size) for size in state_sizes):
        raise ValueError(
            f"{owner}(state_is_tuple=False) concatenates the layers' states, so every "
            "layer needs a single-array state. Received: cells with tuple states "
            f"({list(state_sizes)}). Use state_is_tuple=True, or build the LSTM "
            "layers with state_is_tuple=False."
        )


def step_list(owner: str, inputs: Any) -> None:
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise TypeError(
            f"{owner} expects a non-empty list of arrays [batch_size, depth], one per time "
            f"step. Received: {type(inputs).__name__}. For one array [batch, time, depth], use "
            "dynamic_rnn or list(x.transpose(1, 0, 2))."
        )


def state_dtype_given(owner: str, is_float: bool, input_dtype: Any, dtype: Any) -> None:
    """Without ``dtype`` or an initial state, integer inputs leave the state's dtype unknown."""
    if dtype is None and not is_float:
        raise ValueError(
            f"{owner} needs dtype (or initial_state) for integer inputs, to know what "
            f"the state is computed in. Received: inputs of dtype {input_dtype} and "
            "dtype=None. Pass dtype=float32 (or float64)."
        )


def residual_shapes(owner: str, input_shape: tuple, output_shape: tuple) -> None:
    """The shapes must agree wherever both are known (None: unknown until run)."""
    if len(input_shape) != len(output_shape) or any(
        a is not None and b is not None and a != b
        for a, b in zip(input_shape, output_shape, strict=True)
    ):
        raise ValueError(
            f"{owner} adds the cell's inputs to its output, so they need the same "
            f"shape. Received: inputs {tuple(input_shape)}, output {tuple(output_shape)}. "
            "Make the cell's num_units equal the input depth, or pass a residual_fn."
        )


def variational_input_size(owner: str, input_keep_prob: float, input_size: Any) -> None:
    """With ``variational_recurrent``, ``input_size`` is None or a positive int (needed when
    inputs are dropped)."""
    if input_size is not None:
        positive_int(input_size, "input_size", owner)
    if input_keep_prob < 1.0 and input_size is None:
        raise ValueError(
            f"{owner}(variational_recurrent=True) draws its input mask when it is "
            "made, so it needs input_size when input_keep_prob < 1. Received: "
            "input_size=None. Pass input_size=<input depth>."
        )


def variational_mask(owner: str, kind: str, units: int, shape: tuple) -> None:
    """A mask drawn for ``units`` units must fit the values it drops."""
    if shape[1] is not None and units != shape[1]:
        raise ValueError(
            f"{owner}'s variational {kind} mask has {units} units. "
            f"Received: {kind} of shape {tuple(shape)}. Check input_size."
        )


def known_rank(owner: str, name: str, rank: int | None) -> None:
    """TensorFlow only: a tensor whose number of dimensions is unknown when traced."""
    if rank is None:
        raise ValueError(
            f"{owner} needs {name} of a known number of dimensions. Received: {name} of "
            "unknown rank. Give the tf.function an input_signature, e.g. "
            "tf.TensorSpec([None, None, depth]), or call tf.ensure_shape first."
        )


def gradient_like(owner: str, name: str, received: Any, expected: Any, shape_of: Any) -> None:
    """A gradient must nest and be shaped like the value it is the gradient of."""
    flat_received, flat_expected = structure.flatten(received), structure.flatten(expected)
    if not structure.same_structure(received, expected) or any(
        tuple(shape_of(r)) != tuple(shape_of(e))
        for r, e in zip(flat_received, flat_expected, strict=True)
    ):
        raise ValueError(
            f"{owner} expects {name} shaped like the forward pass's value: "
            f"{_describe_value(expected, shape_of)}. Received: "
            f"{_describe_value(received, shape_of)}. Pass None for a value the loss does not use."
        )


def tape_from(owner: str, tape: Any, made_by: str, cell: Any = None) -> None:
    """A backward pass needs the tape that ``made_by`` recorded (on ``cell``, if given)."""
    if isinstance(tape, dict) and tape.get("made_by") == made_by:
        if cell is None or tape.get("cell") is cell:
            return
    received = (
        f"a tape from {tape.get('made_by')} on {type(tape.get('cell')).__name__}"
        if isinstance(tape, dict)
        else f"a {type(tape).__name__}"
    )
    raise ValueError(
        f"{owner} expects the tape returned by {made_by}"
        f"{' on the same cell' if cell is not None else ''}. Received: {received}. "
        f"Keep the last value {made_by} returns and pass it unchanged."
    )


# Arguments given at construction, checked there (TF1's names).


def seed(value: Any, owner: str) -> int | None:
    """Any int (negative too, as TF1) as a valid generator seed in [0, 2**64); None stays None.

    Seeds in [0, 2**64) are kept as they are, so existing seeds give the same numbers.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{owner} expects seed to be an integer or None. "
            f"Received: seed={value!r} of type {type(value).__name__}."
        )
    return int(value) % 2**64


def boolean(value: Any, name: str, owner: str) -> bool:
    """A Python or NumPy bool (TF1 tests them with ``if``, so a string would pass silently)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"{owner} expects {name} to be True or False. "
            f"Received: {name}={value!r} of type {type(value).__name__}."
        )
    return bool(value)


def activation(value: Any, owner: str, by_name: dict) -> Any:
    """A callable, or the name of one (TF1 accepts Keras names such as "tanh"); None stays None."""
    if value is None or callable(value):
        return value
    if isinstance(value, str):
        if value not in by_name:
            raise ValueError(
                f"{owner} expects activation to be a function or one of the names "
                f"{sorted(by_name)}. Received: activation={value!r}."
            )
        return by_name[value]
    raise TypeError(
        f"{owner} expects activation to be a function (e.g. tanh) or its name. "
        f"Received: activation={value!r} of type {type(value).__name__}."
    )


def dtype_or_none(value: Any, owner: str, as_dtype: Any, is_float: Any) -> Any:
    """``as_dtype(value)`` if it names a floating dtype; None stays None."""
    if value is None:
        return None
    try:
        dtype = as_dtype(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"{owner} expects dtype to be a floating dtype such as float32, or None. "
            f"Received: dtype={value!r}."
        ) from None
    float_dtype(owner, is_float(dtype), value)
    return dtype


def weight_list(owner: str, weights: Any) -> None:
    """``set_weights`` takes a list (or tuple) of arrays."""
    if not isinstance(weights, (list, tuple)):
        raise TypeError(
            f"{owner}.set_weights expects a list of arrays, one per weight. "
            f"Received: weights of type {type(weights).__name__}."
        )


def real_weight(owner: str, index: int, name: str, is_real: bool, dtype: Any) -> None:
    if not is_real:
        raise TypeError(
            f"{owner} expects weight {index} ({name}) to hold real numbers. "
            f"Received: an array of dtype {dtype}."
        )


def not_none(owner: str, name: str, value: Any) -> None:
    if any(leaf is None for leaf in structure.flatten(value)):
        raise TypeError(f"{owner} expects {name} to be arrays or tensors. Received: None.")


def same_batch(owner: str, batches: list) -> None:
    """Every step of a static unroll has the same (known) batch size."""
    known = {b for b in batches if b is not None}
    if len(known) > 1:
        raise ValueError(
            f"{owner} expects every time step to have the same batch size. "
            f"Received: batch sizes {batches}."
        )


def callable_or_none(value: Any, name: str, owner: str) -> Any:
    if value is not None and not callable(value):
        raise TypeError(
            f"{owner} expects {name} to be a function or None. "
            f"Received: {name}={value!r} of type {type(value).__name__}."
        )
    return value


def device(value: Any, owner: str) -> str:
    if not isinstance(value, str):
        raise TypeError(
            f"{owner} expects device to be a device name such as '/cpu:0'. "
            f"Received: device={value!r} of type {type(value).__name__}."
        )
    return value


def ragged(owner: str, name: str) -> None:
    """Nested lists whose rows differ in length make no array."""
    raise ValueError(
        f"{owner} expects {name} as arrays (or nested lists of equal-length rows). "
        f"Received: {name} as ragged nested lists. Make every row the same length."
    )


def scope(value: Any, default: str) -> str:
    """An unroll's ``scope`` as a prefix for weights' names: ``"rnn"`` -> ``"rnn/"``."""
    if value is None:
        return f"{default}/"
    if not isinstance(value, str) or not value.strip("/"):
        raise TypeError(
            f"An unroll expects scope to be a non-empty name such as {default!r} (its default), "
            f"or None. Received: scope={value!r}."
        )
    return f"{value.strip('/')}/"


def initial_state_args(
    owner: str, inputs_batch: Any, inputs_dtype: Any, batch_size: Any, dtype: Any
) -> tuple:
    """``get_initial_state``'s (batch_size, dtype): from the inputs when given (None when no
    inputs), which must agree with ``batch_size`` and ``dtype`` if those are given too."""
    if inputs_dtype is not None:
        if batch_size is not None and inputs_batch is not None and batch_size != inputs_batch:
            raise ValueError(
                f"{owner} expects batch_size to match the inputs' batch. Received: "
                f"batch_size={batch_size} and inputs of batch {inputs_batch}."
            )
        if dtype is not None and dtype != inputs_dtype:
            raise ValueError(
                f"{owner} expects dtype to match the inputs' dtype. Received: dtype={dtype} "
                f"and inputs of dtype {inputs_dtype}."
            )
        return inputs_batch if batch_size is None else batch_size, inputs_dtype
    if batch_size is None or dtype is None:
        raise ValueError(
            f"{owner} needs inputs, or both batch_size and dtype. Received: "
            f"batch_size={batch_size}, dtype={dtype}."
        )
    return batch_size, dtype


def checkpoint_names(owner: str, path: str, wanted: list, saved: list) -> None:
    """Every weight's name must be a variable of the checkpoint."""
    missing = [name for name in wanted if name not in saved]
    if missing:
        raise ValueError(
            f"{owner} expects the checkpoint {path!r} to hold the variables {missing}. "
            f"Received: a checkpoint with {saved}. Pass the scope the cell ran under "
            "(e.g. scope='rnn' for dynamic_rnn), or name the cell as TF1 did (name=...)."
        )


def state_names(owner: str, state_name: Any, state_size: Any) -> list:
    """``state_name`` nests like ``state_size`` (one name per state array): its names, flat."""
    names = structure.flatten(state_name)
    if structure.is_nested(state_name) != structure.is_nested(state_size) or len(names) != len(
        structure.flatten(state_size)
    ):
        raise ValueError(
            f"{owner} expects state_name nested like the cell's state_size, one name per "
            f"state array: {structure.describe(state_size)}. Received: state_name={state_name!r}."
        )
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"{owner} expects state names as strings. Received: {name!r}.")
    return names


def raw_rnn_start(owner: str, next_input: Any, state: Any) -> None:
    """``loop_fn(0, None, None, None)`` must give the first inputs and the initial state."""
    if next_input is None or state is None:
        raise ValueError(
            f"{owner} expects loop_fn(0, None, None, None) to return (finished, next_input, "
            "initial_state, emit_structure, loop_state) with next_input and initial_state "
            f"set. Received: next_input={next_input!r}, initial_state={state!r}."
        )


def graph_options(owner: str, parallel_iterations: Any, swap_memory: Any) -> None:
    """TF1's options for its graph loop: checked, then unused (they change no value)."""
    positive_int_or_none(parallel_iterations, "parallel_iterations", owner)
    boolean(swap_memory, "swap_memory", owner)


def dims(size: Any) -> tuple:
    """A size of ``state_size`` or ``output_size`` as the dimensions after the batch: an int
    n -> (n,); a shape (a user's cell's, e.g. ``tf.TensorShape([])``) -> its dimensions."""
    return (int(size),) if isinstance(size, numbers.Integral) else tuple(size)


def inputs_agree(owner: str, shapes: list, time_major: bool) -> None:
    """The parts of nested sequence inputs share their time and batch sizes (where known)."""
    axes = ("max_time", "batch_size") if time_major else ("batch_size", "max_time")
    for axis, name in enumerate(axes):
        known = {shape[axis] for shape in shapes if shape[axis] is not None}
        if len(known) > 1:
            raise ValueError(
                f"{owner} expects every part of nested inputs to have the same {name} "
                f"(axis {axis}). Received: parts of shapes {[tuple(s) for s in shapes]}."
            )


def output_parts(owner: str, fw_size: Any, bw_size: Any) -> None:
    """``static_bidirectional_rnn`` concatenates the two cells' outputs part by part."""
    if len(structure.flatten(fw_size)) != len(structure.flatten(bw_size)):
        raise ValueError(
            f"{owner} concatenates each part of the forward output with the backward "
            "output's part at the same place, so both cells need outputs of as many parts. "
            f"Received: cell_fw.output_size={fw_size!r}, cell_bw.output_size={bw_size!r}."
        )


def state_saver(owner: str, value: Any) -> None:
    """A state saver reads with ``state(name)`` and writes with ``save_state(name, value)``."""
    methods = (getattr(value, name, None) for name in ("state", "save_state"))
    if not all(callable(method) for method in methods):
        raise TypeError(
            f"{owner} expects state_saver to have state(name) and save_state(name, value), "
            f"e.g. rnnref's StateSaver. Received: state_saver of type {type(value).__name__}."
        )


def loop_fn(owner: str, value: Any) -> None:
    if not callable(value):
        raise TypeError(
            f"{owner} expects loop_fn to be a function (time, cell_output, cell_state, "
            f"loop_state) -> (finished, next_input, next_cell_state, emit_output, "
            f"next_loop_state). Received: loop_fn={value!r} of type {type(value).__name__}."
        )


def finished(owner: str, shape: tuple, is_bool: bool, dtype: Any, batch: Any) -> None:
    """``loop_fn``'s ``finished``: one bool per row, [B]."""
    if not is_bool:
        raise TypeError(
            f"{owner} expects loop_fn to return finished as booleans, one per row. "
            f"Received: finished of dtype {dtype}. Compare, e.g. time >= sequence_length."
        )
    if len(shape) != 1 or (None not in (shape[0], batch) and shape[0] != batch):
        raise ValueError(
            f"{owner} expects loop_fn to return finished of shape [batch_size] = [{batch}]. "
            f"Received: finished.shape={tuple(shape)}."
        )


def loop_fn_results(owner: str, time: Any, keeps_loop_state: bool, results: dict) -> None:
    """What ``loop_fn`` returns after time 0 nests as it did at time 0 (TF1's checks).

    results: {name: (value returned now, the value it must nest like)}, with
    ``next_loop_state`` last; a ``next_loop_state`` of None keeps the loop state.
    """
    *parts, last = results.items()
    loop_state = last[1][0]
    if loop_state is not None and not keeps_loop_state:
        raise ValueError(
            f"{owner} keeps no loop state, since loop_fn returned next_loop_state=None at "
            f"time 0. Received at time {time}: a next_loop_state. Return the first loop "
            "state at time 0, or None at every time."
        )
    if loop_state is not None:
        parts.append(last)
    for name, (value, like) in parts:
        if not structure.same_structure(value, like):
            raise ValueError(
                f"{owner} expects loop_fn's {name} at every step to nest like "
                f"{structure.describe_with(lambda _: '*', like)} (as at time 0). "
                f"Received at time {time}: {structure.describe_with(lambda _: '*', value)}."
            )


def steps_alike(owner: str, steps: list, shape_of: Any) -> None:
    """The nested steps of a static unroll nest alike, each part with one shape at every step."""
    first = steps[0]
    for t, step in enumerate(steps):
        same = structure.same_structure(step, first) and all(
            _compatible(shape_of(a), shape_of(b))
            for a, b in zip(structure.flatten(step), structure.flatten(first), strict=True)
        )
        if not same:
            raise ValueError(
                f"{owner} expects every time step of inputs nested and shaped like the first, "
                f"{_describe_value(first, shape_of)}. Received at step {t}: "
                f"{_describe_value(step, shape_of)}."
            )


def _compatible(a: tuple, b: tuple) -> bool:
    """Shapes that may be equal: the same rank, and equal wherever both are known."""
    if len(a) != len(b):
        return False
    return all(x is None or y is None or x == y for x, y in zip(a, b, strict=True))


def step_gradients(owner: str, d_steps: Any, steps: int) -> None:
    """A static unroll's output gradients: a list of one per time step."""
    if not isinstance(d_steps, (list, tuple)) or len(d_steps) != steps:
        received = len(d_steps) if isinstance(d_steps, (list, tuple)) else type(d_steps).__name__
        raise ValueError(
            f"{owner} expects d_outputs as a list of {steps} gradients, one per time step "
            f"shaped like that step's output. Received: {received}. Pass None for outputs "
            "the loss does not use."
        )
