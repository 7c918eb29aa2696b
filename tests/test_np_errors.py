"""Bad input to ``rnnref.np`` raises ValueError or TypeError with a message naming the problem.

Never an AssertionError, never a silent broadcast. Each case matches a distinctive part
of the message: the offending value or shape, or the argument at fault.
"""

import re
from collections.abc import Callable

import numpy as np
import pytest

import rnnref.np as rn

B, T, D = 2, 5, 4
F32 = np.float32


def built(cell: rn.RNNCell, depth: int = D, dtype=F32) -> rn.RNNCell:
    cell.build(depth, dtype)
    return cell


def x_(batch: int = B, depth: int = D, dtype=F32) -> np.ndarray:
    return np.ones((batch, depth), dtype)


def seq(batch: int = B, steps: int = T, depth: int = D, dtype=F32) -> np.ndarray:
    return np.ones((batch, steps, depth), dtype)


def gru() -> rn.GRUCell:
    return built(rn.GRUCell(3))


def lstm() -> rn.BasicLSTMCell:
    return built(rn.BasicLSTMCell(3))


def shape(*dims: int) -> str:
    """A regex for a shape as Python prints it: shape(2, 4) -> r'\\(2,\\ 4\\)'."""
    return re.escape(str(tuple(dims)))


def call_with_state(cell: rn.RNNCell, state) -> Callable:
    return lambda: cell(x_(), state)


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
    case(lambda: rn.BasicRNNCell(-3), V, named("num_units", -3), "BasicRNNCell-num_units=-3"),
    case(lambda: rn.GRUCell(0), V, named("num_units", 0), "GRUCell-num_units=0"),
    case(lambda: rn.BasicLSTMCell(0), V, named("num_units", 0), "BasicLSTMCell-num_units=0"),
    case(lambda: rn.LSTMCell(-1), V, named("num_units", -1), "LSTMCell-num_units=-1"),
    case(lambda: rn.LSTMCell(4, num_proj=0), V, named("num_proj", 0), "LSTMCell-num_proj=0"),
    case(lambda: rn.BasicRNNCell(2.5), TE, named("num_units", 2.5),
         "BasicRNNCell-num_units=2.5"),
    case(lambda: rn.InputProjectionWrapper(rn.GRUCell(3), 0), V, named("num_proj", 0),
         "InputProjectionWrapper-num_proj=0"),
    case(lambda: rn.OutputProjectionWrapper(rn.GRUCell(3), -2), V, named("output_size", -2),
         "OutputProjectionWrapper-output_size=-2"),
    case(lambda: rn.EmbeddingWrapper(rn.GRUCell(3), 0, 3), V, named("embedding_classes", 0),
         "EmbeddingWrapper-classes=0"),
    case(lambda: rn.EmbeddingWrapper(rn.GRUCell(3), 5, -1), V, named("embedding_size", -1),
         "EmbeddingWrapper-size=-1"),
    # TF1 accepts an empty batch, zero_state(0); a negative one is refused.
    case(lambda: rn.GRUCell(3).zero_state(-1), V, named("batch_size", -1),
         "zero_state-batch_size=-1"),
    case(lambda: rn.BasicLSTMCell(3, forget_bias="1.0"), TE, named("forget_bias", "'1.0'"),
         "BasicLSTMCell-forget_bias='1.0'"),
    case(lambda: rn.LSTMCell(3, forget_bias=float("nan")), V, named("forget_bias", "nan"),
         "LSTMCell-forget_bias=nan"),
    case(lambda: rn.GRUCell(3).build(0), V, named("input_depth", 0), "build-input_depth=0"),
    case(lambda: rn.split_batches(DATA, 0, 3), V, named("batch_size", 0),
         "split_batches-batch_size=0"),
    case(lambda: rn.split_batches(DATA, 2, -1), V, named("num_steps", -1),
         "split_batches-num_steps=-1"),
    case(lambda: rn.input_target_batches(DATA, -2, 3), V, named("batch_size", -2),
         "input_target_batches-batch_size=-2"),
    case(lambda: rn.input_target_batches(DATA, 2, 0), V, named("num_steps", 0),
         "input_target_batches-num_steps=0"),
    # ---- keep probabilities outside (0, 1]
    *[case(lambda name=name, value=value: rn.DropoutWrapper(rn.GRUCell(3), **{name: value}),
           V, named(name, value), f"DropoutWrapper-{name}={value}")
      for name in ("input_keep_prob", "output_keep_prob", "state_keep_prob")
      for value in (0.0, -0.5, 1.5)],
    # ---- inputs: rank, depth after build, dtype
    case(lambda: gru()(np.ones(D, F32), np.zeros((1, 3), F32)), V, shape(D),
         "cell-inputs-rank-1"),
    case(lambda: gru()(seq(), np.zeros((B, 3), F32)), V, shape(B, T, D), "cell-inputs-rank-3"),
    case(lambda: gru()(x_(depth=5), np.zeros((B, 3), F32)), V, shape(B, 5),
         "cell-inputs-depth-after-build"),
    case(lambda: rn.dynamic_rnn(rn.GRUCell(3), x_(), dtype=F32), V, shape(B, D),
         "dynamic_rnn-inputs-rank-2"),
    case(lambda: rn.dynamic_rnn(gru(), seq(depth=5), dtype=F32), V, shape(B, 5),
         "dynamic_rnn-inputs-depth-after-build"),
    case(lambda: rn.static_rnn(gru(), [x_(), x_(depth=3)], dtype=F32), V, shape(B, 3),
         "static_rnn-steps-of-different-depth"),
    case(lambda: rn.static_rnn(rn.GRUCell(3), [], dtype=F32), ANY, r"(?i)empty|list",
         "static_rnn-no-steps"),
    case(lambda: gru()(x_(dtype=np.float64), np.zeros((B, 3), F32)), TE, "float64",
         "cell-float64-inputs-float32-weights"),
    case(lambda: gru()(x_(), np.zeros((B, 3), np.float64)), TE, "float64",
         "cell-float64-state-float32-weights"),
    case(lambda: rn.dynamic_rnn(gru(), seq(dtype=np.float64), dtype=np.float64), TE, "float64",
         "dynamic_rnn-float64-inputs-float32-weights"),
    # ValueError, as TF1's "RNN cell only supports floating point inputs"
    case(lambda: rn.GRUCell(3)(np.ones((B, D), np.int64), np.zeros((B, 3), F32)), V, "int64",
         "cell-integer-inputs"),
    # ---- state structure and shapes
    case(call_with_state(lstm(), np.zeros((B, 6), F32)), V, "LSTMStateTuple",
         "BasicLSTM-array-state"),
    case(call_with_state(gru(), rn.LSTMStateTuple(np.zeros((B, 3), F32),
                                                  np.zeros((B, 3), F32))), V, "state",
         "GRU-tuple-state"),
    case(call_with_state(built(rn.BasicLSTMCell(3, state_is_tuple=False)),
                         rn.LSTMStateTuple(np.zeros((B, 3), F32), np.zeros((B, 3), F32))),
         V, "state", "concat-LSTM-tuple-state"),
    case(call_with_state(built(rn.MultiRNNCell([rn.GRUCell(3), rn.GRUCell(2)])),
                         (np.zeros((B, 3), F32),)), V, "state", "Multi-too-few-states"),
    case(call_with_state(gru(), np.zeros((B, 4), F32)), V, shape(B, 4), "GRU-state-depth"),
    case(call_with_state(gru(), np.zeros((1, 3), F32)), V, shape(1, 3),
         "state-batch-1-inputs-batch-2-no-broadcast"),
    case(lambda: gru()(x_(batch=1), np.zeros((B, 3), F32)), V, shape(B, 3),
         "inputs-batch-1-state-batch-2-no-broadcast"),
    case(call_with_state(lstm(), rn.LSTMStateTuple(np.zeros((B, 3), F32),
                                                   np.zeros((B, 2), F32))), V, shape(B, 2),
         "LSTM-h-depth"),
    case(call_with_state(gru(), np.zeros(3, F32)), V, shape(3), "GRU-state-rank-1"),
    case(lambda: rn.dynamic_rnn(gru(), seq(), initial_state=np.zeros((B + 1, 3), F32)), V,
         shape(B + 1, 3), "dynamic_rnn-initial_state-batch"),
    case(lambda: rn.dynamic_rnn(lstm(), seq(), initial_state=np.zeros((B, 6), F32)), V,
         "LSTMStateTuple", "dynamic_rnn-initial_state-structure"),
    # ---- sequence_length
    case(lambda: rn.dynamic_rnn(gru(), seq(), sequence_length=np.full((B, 1), T), dtype=F32),
         V, shape(B, 1), "sequence_length-2-D"),
    case(lambda: rn.dynamic_rnn(gru(), seq(), sequence_length=T, dtype=F32), V,
         r"sequence_length", "sequence_length-scalar"),
    case(lambda: rn.dynamic_rnn(gru(), seq(), sequence_length=[T] * (B + 1), dtype=F32), V,
         shape(B + 1), "sequence_length-batch+1"),
    case(lambda: rn.dynamic_rnn(gru(), seq(), sequence_length=[T, T + 1], dtype=F32), V,
         rf"\b{T + 1}\b", "sequence_length-above-max_time"),
    case(lambda: rn.dynamic_rnn(gru(), seq(), sequence_length=[-1, 2], dtype=F32), V, "-1",
         "sequence_length-negative"),
    case(lambda: rn.dynamic_rnn(gru(), seq(), sequence_length=[1.0, 2.0], dtype=F32), ANY,
         "float", "sequence_length-float"),
    case(lambda: rn.dynamic_rnn(gru(), seq().transpose(1, 0, 2), sequence_length=[T, T + 1],
                                time_major=True, dtype=F32), V, rf"\b{T + 1}\b",
         "sequence_length-above-max_time-time_major"),
    case(lambda: rn.static_rnn(gru(), [x_()] * T, sequence_length=[T, T + 2], dtype=F32), V,
         rf"\b{T + 2}\b", "static_rnn-sequence_length-above-max_time"),
    case(lambda: rn.bidirectional_dynamic_rnn(gru(), gru(), seq(), sequence_length=[T, -3],
                                              dtype=F32), V, "-3",
         "bidirectional-sequence_length-negative"),
    case(lambda: rn.bidirectional_dynamic_rnn(gru(), gru(), seq(), sequence_length=[T],
                                              dtype=F32), V, shape(1),
         "bidirectional-sequence_length-short"),
    # ---- MultiRNNCell
    case(lambda: built(rn.MultiRNNCell([rn.GRUCell(3), rn.BasicLSTMCell(3)],
                                       state_is_tuple=False)), V, "state_is_tuple",
         "Multi-concat-over-tuple-states"),
    case(lambda: rn.MultiRNNCell([]), V, r"(?i)empty|at least one", "Multi-no-cells"),
    case(lambda: rn.MultiRNNCell([rn.GRUCell(3), "cell"]), TE, r"str", "Multi-not-a-cell"),
    case(lambda: rn.DropoutWrapper("cell"), TE, r"str", "Dropout-not-a-cell"),
    case(lambda: rn.DropoutWrapper(rn.GRUCell(3), input_keep_prob=0.5,
                                   variational_recurrent=True), V, "input_size",
         "Dropout-variational-input-without-input_size"),
    # ---- set_weights
    case(lambda: rn.BasicRNNCell(3).set_weights([np.zeros((7, 3)), np.zeros(3)]), V, "build",
         "set_weights-before-build"),
    case(lambda: built(rn.BasicRNNCell(3)).set_weights([np.zeros((7, 3))] * 3), V,
         r"\b2\b.*\b3\b", "set_weights-too-many"),
    case(lambda: built(rn.LSTMCell(3, use_peepholes=True)).set_weights(
        [np.zeros((7, 12)), np.zeros(12)]), V, r"\b5\b.*\b2\b", "set_weights-too-few"),
    case(lambda: built(rn.BasicRNNCell(3)).set_weights([np.zeros((6, 3)), np.zeros(3)]), V,
         shape(6, 3), "set_weights-kernel-shape"),
    case(lambda: built(rn.GRUCell(3)).set_weights(
        [np.zeros((7, 6)), np.zeros(6), np.zeros((7, 3)), np.zeros(4)]), V, shape(4),
         "set_weights-last-bias-shape"),
    case(lambda: built(rn.BasicRNNCell(3)).set_weights([np.zeros(3), np.zeros((7, 3))]), V,
         shape(3), "set_weights-swapped-order"),
    # ---- wrappers
    case(lambda: rn.ResidualWrapper(rn.BasicRNNCell(3))(x_(), np.zeros((B, 3), F32)), V,
         shape(B, D), "Residual-depth-mismatch"),
    case(lambda: rn.dynamic_rnn(rn.ResidualWrapper(rn.GRUCell(3)), seq(), dtype=F32), V,
         shape(B, D), "Residual-depth-mismatch-dynamic_rnn"),
    case(lambda: built(rn.EmbeddingWrapper(rn.GRUCell(3), 7, 2), 1)(
        np.array([0, 7]), np.zeros((B, 3), F32)), V, r"\b7\b", "Embedding-id=classes"),
    case(lambda: built(rn.EmbeddingWrapper(rn.GRUCell(3), 7, 2), 1)(
        np.array([[-1], [2]]), np.zeros((B, 3), F32)), V, "-1", "Embedding-id=-1"),
    case(lambda: built(rn.EmbeddingWrapper(rn.GRUCell(3), 7, 2), 1)(
        np.array([0.0, 1.0]), np.zeros((B, 3), F32)), TE, "float", "Embedding-float-ids"),
    case(lambda: rn.MultiRNNCell([gru(), rn.GRUCell(2)]).build(D + 1), V, r"\b5\b",
         "inner-cell-built-for-another-depth"),
    # ---- the batch splitter
    case(lambda: rn.split_batches(np.arange(12).reshape(3, 4), 2, 3), V, shape(3, 4),
         "split_batches-2-D-data"),
    case(lambda: rn.split_batches(np.array(5), 1, 1), V, r"\(\)", "split_batches-0-D-data"),
    case(lambda: rn.split_batches(np.arange(5), 2, 3), V, r"\b5\b", "split_batches-too-short"),
    case(lambda: rn.input_target_batches(np.arange(6), 2, 3), V, r"\b6\b",
         "input_target_batches-too-short-for-targets"),
    case(lambda: rn.input_target_batches(np.arange(12).reshape(2, 6), 1, 3), V, shape(2, 6),
         "input_target_batches-2-D-data"),
]


@pytest.mark.parametrize("fn, exc, match", CASES)
def test_bad_input_raises(fn: Callable, exc, match: str) -> None:
    with pytest.raises(exc, match=match):
        fn()


@pytest.mark.parametrize("fn, exc, match", CASES)
def test_error_message_is_not_empty(fn: Callable, exc, match: str) -> None:
    with pytest.raises(exc) as info:
        fn()
    assert str(info.value).strip(), f"{type(info.value).__name__} with an empty message"


def test_valid_edge_cases_do_not_raise() -> None:
    # The boundaries of the checks above are accepted.
    rn.DropoutWrapper(rn.GRUCell(1), input_keep_prob=1.0, output_keep_prob=1e-6,
                      state_keep_prob=1.0)
    outputs, _ = rn.dynamic_rnn(gru(), seq(), sequence_length=np.array([0, T]), dtype=F32)
    assert outputs.shape == (B, T, 3)
    assert rn.split_batches(np.arange(6), 2, 3).shape == (1, 2, 3)
    assert len(rn.input_target_batches(np.arange(8), 2, 3)) == 1
    embed = built(rn.EmbeddingWrapper(rn.GRUCell(3), 7, 2), 1)
    assert embed(np.array([0, 6]), np.zeros((B, 3), F32))[0].shape == (B, 3)
