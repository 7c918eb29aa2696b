"""Bad input: rnnref.tf raises what rnnref.np raises, the same type with the same message.

Each case below is one mistake, written once and run against both backends (``m`` is the
backend under test, ``other`` the other one). Where shapes are known the TensorFlow error
comes at once, eagerly or while a ``tf.function`` traces; values known only when a graph
runs (sequence lengths, embedding ids) are checked by ``tf.debugging.Assert`` with the
same message.
"""

import os
import re

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnref.np as rn  # noqa: E402
import rnnref.tf as rt  # noqa: E402
from rnnref.structure import LSTMStateTuple  # noqa: E402

x2 = np.zeros((2, 3), np.float32)  # one step [B, D]
x3 = np.zeros((2, 4, 3), np.float32)  # a sequence [B, T, D]
ids = np.zeros((2, 4, 1), np.int64)  # ids [B, T, 1]


def zeros(*shape, dtype=np.float32):
    return np.zeros(shape, dtype)


def built(m, cell, depth=3):
    cell.build(depth)
    return cell


def called_twice(m, other):
    cell = m.GRUCell(2)
    cell(x2, zeros(2, 2))
    return cell(zeros(2, 4), zeros(2, 2))


def reused_inner(m, other):
    inner = built(m, m.GRUCell(2), 3)
    return m.ResidualWrapper(inner).build(4)


def variational_mismatch(m, other):
    wrapper = m.DropoutWrapper(
        m.GRUCell(2), input_keep_prob=0.5, variational_recurrent=True, input_size=4, seed=0
    )
    return wrapper(x2, zeros(2, 2))


def gru_weights(m, value):
    return built(m, m.GRUCell(2)).set_weights(
        [value(np.shape(w)) for w in built(m, m.GRUCell(2)).weights]
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
        lambda m, o: built(m, m.GRUCell(2)).set_weights(None),
        TypeError,
        "list of arrays",
    ),
    "set_weights_none_items": (
        lambda m, o: built(m, m.GRUCell(2)).set_weights([None] * 4),
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
        lambda m, o: built(m, m.GRUCell(2))(x2.astype(np.float64), zeros(2, 2)),
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
        lambda m, o: built(m, m.BasicLSTMCell(2)).set_weights([zeros(5, 8)]),
        ValueError,
        "has 2 weights",
    ),
    "set_weights_shape": (
        lambda m, o: built(m, m.BasicLSTMCell(2)).set_weights([zeros(5, 8), zeros(7)]),
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
