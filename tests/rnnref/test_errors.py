"""Bad input to either backend raises ValueError or TypeError with a message naming the
problem, and rnnref.tf raises what rnnref.np raises, the same type with the same message.

Never an AssertionError, never a silent broadcast. The first cases run against each backend
(``m``) and match a distinctive part of the message: the offending value or shape, or the
argument at fault. The later ones are each one mistake, run against both backends (``m`` the
backend under test, ``other`` the other one) and compared. Where shapes are known the
TensorFlow error comes at once, eagerly or while a ``tf.function`` traces; values known only
when a graph runs (sequence lengths, embedding ids) are checked by ``tf.debugging.Assert``
with the same message.
"""

import os
import re
from collections.abc import Callable
from typing import Any

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnref.np as rn  # noqa: E402
import rnnref.tf as rt  # noqa: E402
from rnnref.structure import LSTMStateTuple  # noqa: E402

BACKENDS = {"np": rn, "tf": rt}
B, T, D = 2, 5, 4
F32 = np.float32


def built(cell: Any, depth: int = D, dtype=F32) -> Any:
    cell.build(depth, dtype)
    return cell


def x_(batch: int = B, depth: int = D, dtype=F32) -> np.ndarray:
    return np.ones((batch, depth), dtype)


def seq(batch: int = B, steps: int = T, depth: int = D, dtype=F32) -> np.ndarray:
    return np.ones((batch, steps, depth), dtype)


def gru(m: Any) -> Any:
    return built(m.GRUCell(3))


def lstm(m: Any) -> Any:
    return built(m.BasicLSTMCell(3))


def shape(*dims: int) -> str:
    """A regex for a shape as Python prints it: shape(2, 4) -> r'\\(2,\\ 4\\)'."""
    return re.escape(str(tuple(dims)))


def call_with_state(cell: Any, state) -> Any:
    return cell(x_(), state)


def named(name: str, value) -> str:
    """A regex for argument ``name`` followed later by ``value`` as a token of its own."""
    return rf"{name}\b.*(?<![\w.-]){re.escape(str(value))}(?!\w|\.\d)"


def case(fn: Callable, exc, match: str, case_id: str):
    return pytest.param(fn, exc, match, id=case_id)


V, TE = ValueError, TypeError
ANY = (ValueError, TypeError)
DATA = np.arange(20)

CASES = [
    # ---- non-positive (or non-integer) sizes
    case(lambda m: m.BasicRNNCell(-3), V, named("num_units", -3), "BasicRNNCell-num_units=-3"),
    case(lambda m: m.GRUCell(0), V, named("num_units", 0), "GRUCell-num_units=0"),
    case(lambda m: m.BasicLSTMCell(0), V, named("num_units", 0), "BasicLSTMCell-num_units=0"),
    case(lambda m: m.LSTMCell(-1), V, named("num_units", -1), "LSTMCell-num_units=-1"),
    case(lambda m: m.LSTMCell(4, num_proj=0), V, named("num_proj", 0), "LSTMCell-num_proj=0"),
    case(lambda m: m.BasicRNNCell(2.5), TE, named("num_units", 2.5), "BasicRNNCell-num_units=2.5"),
    case(
        lambda m: m.InputProjectionWrapper(m.GRUCell(3), 0),
        V,
        named("num_proj", 0),
        "InputProjectionWrapper-num_proj=0",
    ),
    case(
        lambda m: m.OutputProjectionWrapper(m.GRUCell(3), -2),
        V,
        named("output_size", -2),
        "OutputProjectionWrapper-output_size=-2",
    ),
    case(
        lambda m: m.EmbeddingWrapper(m.GRUCell(3), 0, 3),
        V,
        named("embedding_classes", 0),
        "EmbeddingWrapper-classes=0",
    ),
    case(
        lambda m: m.EmbeddingWrapper(m.GRUCell(3), 5, -1),
        V,
        named("embedding_size", -1),
        "EmbeddingWrapper-size=-1",
    ),
    # TF1 accepts an empty batch, zero_state(0); a negative one is refused.
    case(
        lambda m: m.GRUCell(3).zero_state(-1),
        V,
        named("batch_size", -1),
        "zero_state-batch_size=-1",
    ),
    case(
        lambda m: m.BasicLSTMCell(3, forget_bias="1.0"),
        TE,
        named("forget_bias", "'1.0'"),
        "BasicLSTMCell-forget_bias='1.0'",
    ),
    case(
        lambda m: m.LSTMCell(3, forget_bias=float("nan")),
        V,
        named("forget_bias", "nan"),
        "LSTMCell-forget_bias=nan",
    ),
    case(lambda m: m.GRUCell(3).build(0), V, named("input_depth", 0), "build-input_depth=0"),
    case(
        lambda m: m.split_batches(DATA, 0, 3),
        V,
        named("batch_size", 0),
        "split_batches-batch_size=0",
    ),
    case(
        lambda m: m.split_batches(DATA, 2, -1),
        V,
        named("num_steps", -1),
        "split_batches-num_steps=-1",
    ),
    case(
        lambda m: m.input_target_batches(DATA, -2, 3),
        V,
        named("batch_size", -2),
        "input_target_batches-batch_size=-2",
    ),
    case(
        lambda m: m.input_target_batches(DATA, 2, 0),
        V,
        named("num_steps", 0),
        "input_target_batches-num_steps=0",
    ),
    # ---- keep probabilities outside (0, 1]
    *[
        case(
            lambda m, name=name, value=value: m.DropoutWrapper(m.GRUCell(3), **{name: value}),
            V,
            named(name, value),
            f"DropoutWrapper-{name}={value}",
        )
        for name in ("input_keep_prob", "output_keep_prob", "state_keep_prob")
        for value in (0.0, -0.5, 1.5)
    ],
    # ---- inputs: rank, depth after build, dtype
    case(
        lambda m: gru(m)(np.ones(D, F32), np.zeros((1, 3), F32)), V, shape(D), "cell-inputs-rank-1"
    ),
    case(lambda m: gru(m)(seq(), np.zeros((B, 3), F32)), V, shape(B, T, D), "cell-inputs-rank-3"),
    case(
        lambda m: gru(m)(x_(depth=5), np.zeros((B, 3), F32)),
        V,
        shape(B, 5),
        "cell-inputs-depth-after-build",
    ),
    case(
        lambda m: m.dynamic_rnn(m.GRUCell(3), x_(), dtype=F32),
        V,
        shape(B, D),
        "dynamic_rnn-inputs-rank-2",
    ),
    case(
        lambda m: m.dynamic_rnn(gru(m), seq(depth=5), dtype=F32),
        V,
        shape(B, 5),
        "dynamic_rnn-inputs-depth-after-build",
    ),
    case(
        lambda m: m.static_rnn(gru(m), [x_(), x_(depth=3)], dtype=F32),
        V,
        shape(B, 3),
        "static_rnn-steps-of-different-depth",
    ),
    case(
        lambda m: m.static_rnn(m.GRUCell(3), [], dtype=F32),
        ANY,
        r"(?i)empty|list",
        "static_rnn-no-steps",
    ),
    case(
        lambda m: gru(m)(x_(dtype=np.float64), np.zeros((B, 3), F32)),
        TE,
        "float64",
        "cell-float64-inputs-float32-weights",
    ),
    case(
        lambda m: gru(m)(x_(), np.zeros((B, 3), np.float64)),
        TE,
        "float64",
        "cell-float64-state-float32-weights",
    ),
    case(
        lambda m: m.dynamic_rnn(gru(m), seq(dtype=np.float64), dtype=np.float64),
        TE,
        "float64",
        "dynamic_rnn-float64-inputs-float32-weights",
    ),
    # ValueError, as TF1's "RNN cell only supports floating point inputs"
    case(
        lambda m: m.GRUCell(3)(np.ones((B, D), np.int64), np.zeros((B, 3), F32)),
        V,
        "int64",
        "cell-integer-inputs",
    ),
    # ---- state structure and shapes
    case(
        lambda m: call_with_state(lstm(m), np.zeros((B, 6), F32)),
        V,
        "LSTMStateTuple",
        "BasicLSTM-array-state",
    ),
    case(
        lambda m: call_with_state(
            gru(m), m.LSTMStateTuple(np.zeros((B, 3), F32), np.zeros((B, 3), F32))
        ),
        V,
        "state",
        "GRU-tuple-state",
    ),
    case(
        lambda m: call_with_state(
            built(m.BasicLSTMCell(3, state_is_tuple=False)),
            m.LSTMStateTuple(np.zeros((B, 3), F32), np.zeros((B, 3), F32)),
        ),
        V,
        "state",
        "concat-LSTM-tuple-state",
    ),
    case(
        lambda m: call_with_state(
            built(m.MultiRNNCell([m.GRUCell(3), m.GRUCell(2)])), (np.zeros((B, 3), F32),)
        ),
        V,
        "state",
        "Multi-too-few-states",
    ),
    case(
        lambda m: call_with_state(gru(m), np.zeros((B, 4), F32)), V, shape(B, 4), "GRU-state-depth"
    ),
    case(
        lambda m: call_with_state(gru(m), np.zeros((1, 3), F32)),
        V,
        shape(1, 3),
        "state-batch-1-inputs-batch-2-no-broadcast",
    ),
    case(
        lambda m: gru(m)(x_(batch=1), np.zeros((B, 3), F32)),
        V,
        shape(B, 3),
        "inputs-batch-1-state-batch-2-no-broadcast",
    ),
    case(
        lambda m: call_with_state(
            lstm(m), m.LSTMStateTuple(np.zeros((B, 3), F32), np.zeros((B, 2), F32))
        ),
        V,
        shape(B, 2),
        "LSTM-h-depth",
    ),
    case(lambda m: call_with_state(gru(m), np.zeros(3, F32)), V, shape(3), "GRU-state-rank-1"),
    case(
        lambda m: m.dynamic_rnn(gru(m), seq(), initial_state=np.zeros((B + 1, 3), F32)),
        V,
        shape(B + 1, 3),
        "dynamic_rnn-initial_state-batch",
    ),
    case(
        lambda m: m.dynamic_rnn(lstm(m), seq(), initial_state=np.zeros((B, 6), F32)),
        V,
        "LSTMStateTuple",
        "dynamic_rnn-initial_state-structure",
    ),
    # ---- sequence_length
    case(
        lambda m: m.dynamic_rnn(gru(m), seq(), sequence_length=np.full((B, 1), T), dtype=F32),
        V,
        shape(B, 1),
        "sequence_length-2-D",
    ),
    case(
        lambda m: m.dynamic_rnn(gru(m), seq(), sequence_length=T, dtype=F32),
        V,
        r"sequence_length",
        "sequence_length-scalar",
    ),
    case(
        lambda m: m.dynamic_rnn(gru(m), seq(), sequence_length=[T] * (B + 1), dtype=F32),
        V,
        shape(B + 1),
        "sequence_length-batch+1",
    ),
    case(
        lambda m: m.dynamic_rnn(gru(m), seq(), sequence_length=[T, T + 1], dtype=F32),
        V,
        rf"\b{T + 1}\b",
        "sequence_length-above-max_time",
    ),
    case(
        lambda m: m.dynamic_rnn(gru(m), seq(), sequence_length=[-1, 2], dtype=F32),
        V,
        "-1",
        "sequence_length-negative",
    ),
    case(
        lambda m: m.dynamic_rnn(gru(m), seq(), sequence_length=[1.0, 2.0], dtype=F32),
        ANY,
        "float",
        "sequence_length-float",
    ),
    case(
        lambda m: m.dynamic_rnn(
            gru(m), seq().transpose(1, 0, 2), sequence_length=[T, T + 1], time_major=True, dtype=F32
        ),
        V,
        rf"\b{T + 1}\b",
        "sequence_length-above-max_time-time_major",
    ),
    case(
        lambda m: m.static_rnn(gru(m), [x_()] * T, sequence_length=[T, T + 2], dtype=F32),
        V,
        rf"\b{T + 2}\b",
        "static_rnn-sequence_length-above-max_time",
    ),
    case(
        lambda m: m.bidirectional_dynamic_rnn(
            gru(m), gru(m), seq(), sequence_length=[T, -3], dtype=F32
        ),
        V,
        "-3",
        "bidirectional-sequence_length-negative",
    ),
    case(
        lambda m: m.bidirectional_dynamic_rnn(
            gru(m), gru(m), seq(), sequence_length=[T], dtype=F32
        ),
        V,
        shape(1),
        "bidirectional-sequence_length-short",
    ),
    # ---- MultiRNNCell
    case(
        lambda m: built(m.MultiRNNCell([m.GRUCell(3), m.BasicLSTMCell(3)], state_is_tuple=False)),
        V,
        "state_is_tuple",
        "Multi-concat-over-tuple-states",
    ),
    case(lambda m: m.MultiRNNCell([]), V, r"(?i)empty|at least one", "Multi-no-cells"),
    case(lambda m: m.MultiRNNCell([m.GRUCell(3), "cell"]), TE, r"str", "Multi-not-a-cell"),
    case(lambda m: m.DropoutWrapper("cell"), TE, r"str", "Dropout-not-a-cell"),
    case(
        lambda m: m.DropoutWrapper(m.GRUCell(3), input_keep_prob=0.5, variational_recurrent=True),
        V,
        "input_size",
        "Dropout-variational-input-without-input_size",
    ),
    # ---- set_weights
    case(
        lambda m: m.BasicRNNCell(3).set_weights([np.zeros((7, 3)), np.zeros(3)]),
        V,
        "build",
        "set_weights-before-build",
    ),
    case(
        lambda m: built(m.BasicRNNCell(3)).set_weights([np.zeros((7, 3))] * 3),
        V,
        r"\b2\b.*\b3\b",
        "set_weights-too-many",
    ),
    case(
        lambda m: built(m.LSTMCell(3, use_peepholes=True)).set_weights(
            [np.zeros((7, 12)), np.zeros(12)]
        ),
        V,
        r"\b5\b.*\b2\b",
        "set_weights-too-few",
    ),
    case(
        lambda m: built(m.BasicRNNCell(3)).set_weights([np.zeros((6, 3)), np.zeros(3)]),
        V,
        shape(6, 3),
        "set_weights-kernel-shape",
    ),
    case(
        lambda m: built(m.GRUCell(3)).set_weights(
            [np.zeros((7, 6)), np.zeros(6), np.zeros((7, 3)), np.zeros(4)]
        ),
        V,
        shape(4),
        "set_weights-last-bias-shape",
    ),
    case(
        lambda m: built(m.BasicRNNCell(3)).set_weights([np.zeros(3), np.zeros((7, 3))]),
        V,
        shape(3),
        "set_weights-swapped-order",
    ),
    # ---- wrappers
    case(
        lambda m: m.ResidualWrapper(m.BasicRNNCell(3))(x_(), np.zeros((B, 3), F32)),
        V,
        shape(B, D),
        "Residual-depth-mismatch",
    ),
    case(
        lambda m: m.dynamic_rnn(m.ResidualWrapper(m.GRUCell(3)), seq(), dtype=F32),
        V,
        shape(B, D),
        "Residual-depth-mismatch-dynamic_rnn",
    ),
    case(
        lambda m: built(m.EmbeddingWrapper(m.GRUCell(3), 7, 2), 1)(
            np.array([0, 7]), np.zeros((B, 3), F32)
        ),
        V,
        r"\b7\b",
        "Embedding-id=classes",
    ),
    case(
        lambda m: built(m.EmbeddingWrapper(m.GRUCell(3), 7, 2), 1)(
            np.array([[-1], [2]]), np.zeros((B, 3), F32)
        ),
        V,
        "-1",
        "Embedding-id=-1",
    ),
    case(
        lambda m: built(m.EmbeddingWrapper(m.GRUCell(3), 7, 2), 1)(
            np.array([0.0, 1.0]), np.zeros((B, 3), F32)
        ),
        TE,
        "float",
        "Embedding-float-ids",
    ),
    case(
        lambda m: m.MultiRNNCell([gru(m), m.GRUCell(2)]).build(D + 1),
        V,
        r"\b5\b",
        "inner-cell-built-for-another-depth",
    ),
    # ---- the batch splitter
    case(
        lambda m: m.split_batches(np.arange(12).reshape(3, 4), 2, 3),
        V,
        shape(3, 4),
        "split_batches-2-D-data",
    ),
    case(lambda m: m.split_batches(np.array(5), 1, 1), V, r"\(\)", "split_batches-0-D-data"),
    case(lambda m: m.split_batches(np.arange(5), 2, 3), V, r"\b5\b", "split_batches-too-short"),
    case(
        lambda m: m.input_target_batches(np.arange(6), 2, 3),
        V,
        r"\b6\b",
        "input_target_batches-too-short-for-targets",
    ),
    case(
        lambda m: m.input_target_batches(np.arange(12).reshape(2, 6), 1, 3),
        V,
        shape(2, 6),
        "input_target_batches-2-D-data",
    ),
]


@pytest.mark.parametrize("fn, exc, match", CASES)
@pytest.mark.parametrize("backend", list(BACKENDS))
def test_bad_input_raises(backend: str, fn: Callable, exc, match: str) -> None:
    with pytest.raises(exc, match=match):
        fn(BACKENDS[backend])


@pytest.mark.parametrize("fn, exc, match", CASES)
@pytest.mark.parametrize("backend", list(BACKENDS))
def test_error_message_is_not_empty(backend: str, fn: Callable, exc, match: str) -> None:
    with pytest.raises(exc) as info:
        fn(BACKENDS[backend])
    assert str(info.value).strip(), f"{type(info.value).__name__} with an empty message"


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_valid_edge_cases_do_not_raise(backend: str) -> None:
    m = BACKENDS[backend]
    # The boundaries of the checks above are accepted.
    m.DropoutWrapper(m.GRUCell(1), input_keep_prob=1.0, output_keep_prob=1e-6, state_keep_prob=1.0)
    outputs, _ = m.dynamic_rnn(gru(m), seq(), sequence_length=np.array([0, T]), dtype=F32)
    assert outputs.shape == (B, T, 3)
    assert m.split_batches(np.arange(6), 2, 3).shape == (1, 2, 3)
    assert len(m.input_target_batches(np.arange(8), 2, 3)) == 1
    embed = built(m.EmbeddingWrapper(m.GRUCell(3), 7, 2), 1)
    assert embed(np.array([0, 6]), np.zeros((B, 3), F32))[0].shape == (B, 3)


# ---- The same mistake in both backends: the same error

x2 = np.zeros((2, 3), np.float32)  # one step [B, D]
x3 = np.zeros((2, 4, 3), np.float32)  # a sequence [B, T, D]
ids = np.zeros((2, 4, 1), np.int64)  # ids [B, T, 1]


def zeros(*shape, dtype=np.float32):
    return np.zeros(shape, dtype)


def called_twice(m, other):
    cell = m.GRUCell(2)
    cell(x2, zeros(2, 2))
    return cell(zeros(2, 4), zeros(2, 2))


def reused_inner(m, other):
    inner = built(m.GRUCell(2), 3)
    return m.ResidualWrapper(inner).build(4)


def variational_mismatch(m, other):
    wrapper = m.DropoutWrapper(
        m.GRUCell(2), input_keep_prob=0.5, variational_recurrent=True, input_size=4, seed=0
    )
    return wrapper(x2, zeros(2, 2))


def gru_weights(m, value):
    return built(m.GRUCell(2), 3).set_weights(
        [value(np.shape(w)) for w in built(m.GRUCell(2), 3).weights]
    )


# name -> (the mistake, given (m, other), exception type, a phrase of the message)
ERRORS = {
    # arguments TF1 takes, checked at construction (issue 17)
    "activation_number": (lambda m, o: m.GRUCell(2, activation=5), TypeError, "activation"),
    "activation_unknown_name": (
        lambda m, o: m.BasicRNNCell(2, activation="swishy"),
        ValueError,
        "one of the names",
    ),
    "dtype_bogus": (lambda m, o: m.GRUCell(2, dtype="bogus"), TypeError, "dtype='bogus'"),
    "dtype_integer": (lambda m, o: m.LSTMCell(2, dtype="int32"), TypeError, "floating point"),
    "name_with_space": (lambda m, o: m.GRUCell(2, name="my cell"), ValueError, "scope name"),
    "seed_string": (lambda m, o: m.DropoutWrapper(m.GRUCell(2), seed="1"), TypeError, "seed='1'"),
    "variational_input_size_zero": (
        lambda m, o: m.DropoutWrapper(
            m.GRUCell(2), input_keep_prob=0.5, variational_recurrent=True, input_size=0
        ),
        ValueError,
        "input_size",
    ),
    "variational_input_size_float": (
        lambda m, o: m.DropoutWrapper(
            m.GRUCell(2), input_keep_prob=0.5, variational_recurrent=True, input_size=2.5
        ),
        TypeError,
        "input_size",
    ),
    "keep_prob_array_above_one": (
        lambda m, o: m.DropoutWrapper(m.GRUCell(2), input_keep_prob=np.array(1.5)),
        ValueError,
        "input_keep_prob=1.5",
    ),
    "state_is_tuple_string": (
        lambda m, o: m.BasicLSTMCell(2, state_is_tuple="no"),
        TypeError,
        "True or False",
    ),
    "initializer_string": (
        lambda m, o: m.LSTMCell(2, initializer="ones"),
        TypeError,
        "initializer",
    ),
    "time_major_string": (
        lambda m, o: m.dynamic_rnn(m.GRUCell(2), x3, time_major="yes"),
        TypeError,
        "time_major='yes'",
    ),
    "parallel_iterations_zero": (
        lambda m, o: m.dynamic_rnn(m.GRUCell(2), x3, parallel_iterations=0),
        ValueError,
        "parallel_iterations",
    ),
    "static_rnn_batch_sizes": (
        lambda m, o: m.static_rnn(m.GRUCell(2), [zeros(2, 3), zeros(3, 3)]),
        ValueError,
        "same batch size",
    ),
    "ragged_initial_state": (
        lambda m, o: m.dynamic_rnn(m.GRUCell(2), x3, initial_state=[[0.0, 0.0], [0.0]]),
        ValueError,
        "ragged",
    ),
    "none_inputs": (
        lambda m, o: m.dynamic_rnn(m.GRUCell(2), None, dtype=np.float32),
        TypeError,
        "Received: None",
    ),
    "none_state": (lambda m, o: m.GRUCell(2)(x2, None), TypeError, "state"),
    "none_initial_state_leaf": (
        lambda m, o: m.dynamic_rnn(
            m.BasicLSTMCell(2), x3, initial_state=LSTMStateTuple(zeros(2, 2), None)
        ),
        TypeError,
        "initial_state",
    ),
    "set_weights_none": (
        lambda m, o: built(m.GRUCell(2), 3).set_weights(None),
        TypeError,
        "list of arrays",
    ),
    "set_weights_none_items": (
        lambda m, o: built(m.GRUCell(2), 3).set_weights([None] * 4),
        TypeError,
        "weights",
    ),
    "set_weights_complex": (
        lambda m, o: gru_weights(m, lambda shape: np.zeros(shape, np.complex64)),
        TypeError,
        "real numbers",
    ),
    "get_initial_state_nothing": (
        lambda m, o: m.GRUCell(2).get_initial_state(),
        ValueError,
        "batch_size=None",
    ),
    "device_not_a_string": (lambda m, o: m.DeviceWrapper(m.GRUCell(2), 0), TypeError, "device"),
    # sizes and options
    "num_units_zero": (lambda m, o: m.BasicRNNCell(0), ValueError, "positive integer"),
    "num_units_float": (lambda m, o: m.GRUCell(2.5), TypeError, "positive integer"),
    "num_units_bool": (lambda m, o: m.BasicLSTMCell(True), TypeError, "positive integer"),
    "num_proj_negative": (lambda m, o: m.LSTMCell(4, num_proj=-1), ValueError, "num_proj"),
    "cell_clip_negative": (lambda m, o: m.LSTMCell(4, cell_clip=-1.0), ValueError, "clipped"),
    "proj_clip_text": (lambda m, o: m.LSTMCell(4, proj_clip="1"), TypeError, "proj_clip"),
    "forget_bias_text": (
        lambda m, o: m.BasicLSTMCell(4, forget_bias="1"),
        TypeError,
        "forget_bias",
    ),
    "forget_bias_nan": (
        lambda m, o: m.LSTMCell(4, forget_bias=float("nan")),
        ValueError,
        "finite number",
    ),
    "output_size_zero": (
        lambda m, o: m.OutputProjectionWrapper(m.GRUCell(2), 0),
        ValueError,
        "output_size",
    ),
    "embedding_classes_zero": (
        lambda m, o: m.EmbeddingWrapper(m.GRUCell(2), 0, 3),
        ValueError,
        "embedding_classes",
    ),
    "keep_prob_zero": (
        lambda m, o: m.DropoutWrapper(m.GRUCell(2), input_keep_prob=0.0),
        ValueError,
        "(0, 1]",
    ),
    "keep_prob_above_one": (
        lambda m, o: m.DropoutWrapper(m.GRUCell(2), output_keep_prob=1.5),
        ValueError,
        "keep_prob = 1 - r",
    ),
    "keep_prob_bool": (
        lambda m, o: m.DropoutWrapper(m.GRUCell(2), state_keep_prob=True),
        TypeError,
        "number in (0, 1]",
    ),
    "variational_without_input_size": (
        lambda m, o: m.DropoutWrapper(
            m.GRUCell(2), input_keep_prob=0.5, variational_recurrent=True
        ),
        ValueError,
        "needs input_size",
    ),
    "variational_mask_wrong_size": (variational_mismatch, ValueError, "Check input_size"),
    # stacking and wrapping
    "multi_empty": (lambda m, o: m.MultiRNNCell([]), ValueError, "non-empty list"),
    "multi_not_a_cell": (
        lambda m, o: m.MultiRNNCell([m.GRUCell(2), "cell"]),
        TypeError,
        "cells[1]",
    ),
    "multi_concat_tuple_states": (
        lambda m, o: m.MultiRNNCell([m.GRUCell(2), m.BasicLSTMCell(2)], state_is_tuple=False),
        ValueError,
        "single-array state",
    ),
    "wrapper_of_other_backend": (
        lambda m, o: m.ResidualWrapper(o.GRUCell(2)),
        TypeError,
        "same backend",
    ),
    "inner_cell_reused": (reused_inner, ValueError, "new cell object"),
    "residual_sizes_differ": (
        lambda m, o: m.dynamic_rnn(m.ResidualWrapper(m.GRUCell(2)), x3),
        ValueError,
        "same shape",
    ),
    # one step of a cell
    "cell_inputs_rank_3": (
        lambda m, o: m.GRUCell(2)(x3, zeros(2, 2)),
        ValueError,
        "use dynamic_rnn",
    ),
    "cell_inputs_rank_1": (
        lambda m, o: m.GRUCell(2)(zeros(3), zeros(1, 2)),
        ValueError,
        "Add a batch axis",
    ),
    "cell_inputs_depth_changes": (called_twice, ValueError, "keeps the input depth"),
    "cell_integer_inputs": (
        lambda m, o: m.GRUCell(2)(zeros(2, 3, dtype=np.int32), zeros(2, 2)),
        ValueError,  # as TF1's "RNN cell only supports floating point inputs"
        "floating-point inputs",
    ),
    "state_not_a_tuple": (
        lambda m, o: m.BasicLSTMCell(2)(x2, zeros(2, 2)),
        ValueError,
        "structured like its state_size",
    ),
    "state_tuple_for_single": (
        lambda m, o: m.GRUCell(2)(x2, LSTMStateTuple(zeros(2, 2), zeros(2, 2))),
        ValueError,
        "structured like its state_size",
    ),
    "state_depth": (
        lambda m, o: m.BasicLSTMCell(2)(x2, LSTMStateTuple(zeros(2, 2), zeros(2, 3))),
        ValueError,
        "state of shapes",
    ),
    "state_batch": (lambda m, o: m.GRUCell(2)(x2, zeros(3, 2)), ValueError, "batch size"),
    "state_dtype": (
        lambda m, o: m.GRUCell(2)(x2, zeros(2, 2, dtype=np.float64)),
        TypeError,
        "computes in float32",
    ),
    "inputs_dtype_after_build": (
        lambda m, o: built(m.GRUCell(2), 3)(x2.astype(np.float64), zeros(2, 2)),
        TypeError,
        "so inputs must be float32",
    ),
    "embedding_float_ids": (
        lambda m, o: m.EmbeddingWrapper(m.GRUCell(2), 5, 3)(x2, zeros(2, 2)),
        TypeError,
        "integer ids",
    ),
    "embedding_id_too_large": (
        lambda m, o: m.EmbeddingWrapper(m.GRUCell(2), 5, 3)(np.array([[1], [5]]), zeros(2, 2)),
        ValueError,
        "ids in [0, embedding_classes)",
    ),
    # weights
    "build_integer_dtype": (
        lambda m, o: m.GRUCell(2).build(3, "int32"),
        TypeError,
        "floating point",
    ),
    "build_depth_zero": (lambda m, o: m.GRUCell(2).build(0), ValueError, "input_depth"),
    "set_weights_not_built": (
        lambda m, o: m.GRUCell(2).set_weights([]),
        ValueError,
        "no weights yet",
    ),
    "set_weights_count": (
        lambda m, o: built(m.BasicLSTMCell(2), 3).set_weights([zeros(5, 8)]),
        ValueError,
        "has 2 weights",
    ),
    "set_weights_shape": (
        lambda m, o: built(m.BasicLSTMCell(2), 3).set_weights([zeros(5, 8), zeros(7)]),
        ValueError,
        "weight 1 (basic_lstm_cell/bias) of shape (8,)",
    ),
    "zero_state_batch_negative": (
        lambda m, o: m.GRUCell(2).zero_state(-1),
        ValueError,
        "batch_size",
    ),
    # unrolls
    "dynamic_rnn_not_a_cell": (lambda m, o: m.dynamic_rnn("cell", x3), TypeError, "RNNCell"),
    "dynamic_rnn_other_backend": (
        lambda m, o: m.dynamic_rnn(o.GRUCell(2), x3),
        TypeError,
        "same backend",
    ),
    "dynamic_rnn_rank_2": (lambda m, o: m.dynamic_rnn(m.GRUCell(2), x2), ValueError, "max_time"),
    "dynamic_rnn_time_major_rank_2": (
        lambda m, o: m.dynamic_rnn(m.GRUCell(2), x2, time_major=True),
        ValueError,
        "time_major=True",
    ),
    "dynamic_rnn_integer_inputs_no_dtype": (
        lambda m, o: m.dynamic_rnn(m.EmbeddingWrapper(m.GRUCell(2), 5, 3), ids),
        ValueError,
        "needs dtype (or initial_state)",
    ),
    "embedding_negative_id_in_unroll": (
        lambda m, o: m.dynamic_rnn(
            m.EmbeddingWrapper(m.GRUCell(2), 5, 3), ids - 1, dtype="float32"
        ),
        ValueError,
        "ids in [0, embedding_classes)",
    ),
    "sequence_length_2d": (
        lambda m, o: m.dynamic_rnn(m.GRUCell(2), x3, sequence_length=[[4], [4]]),
        ValueError,
        "one length per row",
    ),
    "sequence_length_batch": (
        lambda m, o: m.dynamic_rnn(m.GRUCell(2), x3, sequence_length=[4, 4, 4]),
        ValueError,
        "[batch_size] = [2]",
    ),
    "sequence_length_float": (
        lambda m, o: m.dynamic_rnn(m.GRUCell(2), x3, sequence_length=np.array([4.0, 2.0])),
        TypeError,
        "integer sequence lengths",
    ),
    "sequence_length_negative": (
        lambda m, o: m.dynamic_rnn(m.GRUCell(2), x3, sequence_length=[-1, 2]),
        ValueError,
        "in [0, max_time] = [0, 4]",
    ),
    "sequence_length_too_long": (
        lambda m, o: m.dynamic_rnn(m.GRUCell(2), x3, sequence_length=[5, 2]),
        ValueError,
        "values from 2 to 5",
    ),
    "sequence_length_time_axis": (
        lambda m, o: m.dynamic_rnn(
            m.GRUCell(2), x3.transpose(1, 0, 2), sequence_length=[4, 4, 4, 4], time_major=False
        ),
        ValueError,
        "where time_major says",
    ),
    "initial_state_structure": (
        lambda m, o: m.dynamic_rnn(m.BasicLSTMCell(2), x3, initial_state=zeros(2, 2)),
        ValueError,
        "LSTMStateTuple(c=[B, 2], h=[B, 2])",
    ),
    "initial_state_batch": (
        lambda m, o: m.dynamic_rnn(m.GRUCell(2), x3, initial_state=zeros(3, 2)),
        ValueError,
        "[2, 2]",
    ),
    "multi_initial_state_layers": (
        lambda m, o: m.dynamic_rnn(
            m.MultiRNNCell([m.GRUCell(2), m.GRUCell(2)]), x3, initial_state=(zeros(2, 2),)
        ),
        ValueError,
        "one state per layer",
    ),
    "static_rnn_array": (lambda m, o: m.static_rnn(m.GRUCell(2), x3), TypeError, "list"),
    "static_rnn_empty": (lambda m, o: m.static_rnn(m.GRUCell(2), []), TypeError, "non-empty"),
    "static_rnn_depths_differ": (
        lambda m, o: m.static_rnn(m.GRUCell(2), [x2, zeros(2, 4)]),
        ValueError,
        "depth 3",
    ),
    "bidirectional_bw_not_a_cell": (
        lambda m, o: m.bidirectional_dynamic_rnn(m.GRUCell(2), None, x3),
        TypeError,
        "cell_bw",
    ),
    "bidirectional_rank_2": (
        lambda m, o: m.bidirectional_dynamic_rnn(m.GRUCell(2), m.GRUCell(2), x2),
        ValueError,
        "bidirectional_dynamic_rnn expects inputs",
    ),
    # batch splitting
    "split_2d_data": (
        lambda m, o: m.split_batches(np.zeros((3, 4)), 2, 2),
        ValueError,
        "1-D sequence",
    ),
    "split_too_short": (
        lambda m, o: m.split_batches(np.arange(5), 2, 3),
        ValueError,
        "at least batch_size * (num_steps) = 6",
    ),
    "split_batch_zero": (
        lambda m, o: m.split_batches(np.arange(12), 0, 3),
        ValueError,
        "batch_size",
    ),
    "targets_too_short": (
        lambda m, o: m.input_target_batches(np.arange(6), 2, 3),
        ValueError,
        "(num_steps + 1) = 8",
    ),
}


def raised(mistake, m, other) -> BaseException:
    with pytest.raises(Exception) as info:
        mistake(m, other)
    return info.value


@pytest.mark.parametrize("name", ERRORS)
def test_same_error_as_rnnref_np(name: str) -> None:
    mistake, kind, phrase = ERRORS[name]
    expected = raised(mistake, rn, rt)
    assert type(expected) is kind and phrase in str(expected), f"rnnref.np: {expected!r}"
    ours = raised(mistake, rt, rn)
    assert type(ours) is kind
    assert str(ours) == str(expected)


# In a graph, ids read inside the time loop are known only when it runs (see below).
AT_TRACE = [n for n in ERRORS if not n.startswith(("split", "targets", "embedding_negative"))]


@pytest.mark.parametrize("name", AT_TRACE)
def test_same_error_while_a_tf_function_traces(name: str) -> None:
    """Shapes are known when tracing, so the error comes then, not when the graph runs."""
    mistake, kind, phrase = ERRORS[name]
    with pytest.raises(kind, match=re.escape(phrase)):
        tf.function(lambda: mistake(rt, rn))()


# Values known only when the graph runs: the same message, from tf.debugging.Assert.
# name -> (the cell, the bad values of sequence_length or of the ids, a phrase)
RUNTIME = {
    "sequence_length_too_long": (
        lambda: rt.GRUCell(2),
        [5, 2],
        "dynamic_rnn expects every sequence_length in [0, max_time]",
    ),
    "sequence_length_negative": (
        lambda: rt.GRUCell(2),
        [-1, 2],
        "Lengths count valid time steps per row",
    ),
    "embedding_id_too_large": (
        lambda: rt.EmbeddingWrapper(rt.GRUCell(2), 5, 3),
        [1, 5],
        "EmbeddingWrapper expects ids in [0, embedding_classes) = [0, 5)",
    ),
}


@pytest.mark.parametrize("name", RUNTIME)
def test_values_known_only_at_run_time_are_checked_when_the_graph_runs(name: str) -> None:
    make, values, phrase = RUNTIME[name]
    cell = make()
    if isinstance(cell, rt.EmbeddingWrapper):

        def unroll(ids):  # ids: [B] -> a sequence [B, 4, 1] of them
            return rt.dynamic_rnn(cell, tf.tile(ids[:, None, None], [1, 4, 1]), dtype=tf.float32)
    else:

        def unroll(lengths):
            return rt.dynamic_rnn(cell, x3, sequence_length=lengths)

    fn = tf.function(unroll, input_signature=[tf.TensorSpec([None], tf.int32)])
    fn(tf.constant([4, 2]))  # in range: runs
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        fn(tf.constant(values))
    message = info.value.message
    assert phrase in message
    assert "min(" in message and "max(" in message  # the values follow, named
