"""The checks of notebook 07: the cells and the unroll in TensorFlow 2 (``tf.Module``,
``tf.while_loop``, ``tf.function``).

TensorFlow is imported inside the drivers (``cells.import_tensorflow``), never when the
checks are imported. The learners' answers run inside ``tf.function``, so they must trace.

Only the drivers and the public checks: the cases, the reference and the mistake models
are the grader's (``autograder.exercises.tf2``)."""

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from autograder.learner.cells import LSTMStateTuple, import_tensorflow
from autograder.learner.checks import Check, common


@contextlib.contextmanager
def quiet_tensorflow() -> Iterator[Any]:
    """TensorFlow, with its Python logger at ERROR while a check runs: each case traces a new
    ``tf.function``, and TensorFlow's retracing warning would otherwise reach stderr."""
    tf = import_tensorflow()
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        yield tf
    finally:
        logger.setLevel(level)


def as_numpy(value: Any) -> Any:
    """Tensors (nested in tuples, namedtuples or lists) as NumPy arrays; the rest unchanged."""
    if isinstance(value, tuple):
        parts = [as_numpy(v) for v in value]
        return type(value)(*parts) if hasattr(value, "_fields") else tuple(parts)
    if isinstance(value, list):
        return [as_numpy(v) for v in value]
    tf = import_tensorflow()
    if isinstance(value, (tf.Tensor, tf.Variable)):
        return np.asarray(value.numpy())
    return value


def _run_cell(BasicLSTMCell: type, case: dict) -> dict:
    with quiet_tensorflow() as tf:
        return _run_cell_quietly(tf, BasicLSTMCell, case)


def _run_cell_quietly(tf: Any, BasicLSTMCell: type, case: dict) -> dict:
    dtype = tf.as_dtype(case["dtype"])
    cell = BasicLSTMCell(case["num_units"], forget_bias=case["options"]["forget_bias"])
    cell.build(case["input_depth"], dtype)
    kernel, bias = case["weights"]
    cell.kernel.assign(kernel)
    cell.bias.assign(bias)

    @tf.function
    def step(x: Any, c: Any, h: Any) -> Any:
        return cell(x, LSTMStateTuple(c, h))

    c, h = case["state"]
    result = step(tf.constant(case["x"]), tf.constant(c), tf.constant(h))
    output, new_state = common.pair(result, "BasicLSTMCell.__call__")
    return {
        "state_size": as_numpy(cell.state_size),
        "output_size": cell.output_size,
        "output": as_numpy(output),
        "new_state": as_numpy(new_state),
    }


def tf_toy_cell(spec: dict) -> Any:
    """The checks' ``ToyCell`` (``cells.ToyCell``) in TensorFlow, for the learner's unroll."""
    tf = import_tensorflow()

    class TFToyCell(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.num_units, self.output_size = spec["units"], spec["output_size"]
            self.tuple_state = spec["tuple_state"]
            self.kernel, self.bias, self.out_kernel = (tf.constant(w) for w in spec["weights"])

        @property
        def state_size(self) -> Any:
            H = self.num_units
            return LSTMStateTuple(H, H) if self.tuple_state else H

        def zero_state(self, batch_size: Any, dtype: Any = tf.float32) -> Any:
            zeros = tf.zeros(tf.stack([batch_size, self.num_units]), dtype)
            return LSTMStateTuple(zeros, zeros) if self.tuple_state else zeros

        def __call__(self, inputs: Any, state: Any) -> tuple:
            h_prev = state.h if self.tuple_state else state
            s = tf.tanh(tf.matmul(tf.concat([inputs, h_prev], axis=1), self.kernel) + self.bias)
            new_state = LSTMStateTuple(0.5 * state.c + s, s) if self.tuple_state else s
            return tf.matmul(s, self.out_kernel), new_state

    return TFToyCell()


def _run_unroll(answer: Any, case: dict) -> dict:
    with quiet_tensorflow() as tf:
        return _run_unroll_quietly(tf, answer, case)


def _run_unroll_quietly(tf: Any, answer: Any, case: dict) -> dict:
    cell = tf_toy_cell(case["cell"])
    lengths = case["sequence_length"]
    given = case["initial_state"]

    @tf.function
    def unroll(inputs: Any, lengths: Any, state: Any) -> Any:
        return answer(cell, inputs, sequence_length=lengths, initial_state=state)

    result = unroll(
        tf.constant(case["inputs"]),
        None if lengths is None else tf.constant(lengths, tf.int32),
        None if given is None else common.as_course_state(given),
    )
    outputs, final_state = common.pair(result, "dynamic_rnn")
    return {"outputs": as_numpy(outputs), "final_state": as_numpy(final_state)}


def _run_keras(keras_lstm_weights: Any, case: dict) -> dict:
    with quiet_tensorflow() as tf:
        return _run_keras_quietly(tf, keras_lstm_weights, case)


def _run_keras_quietly(tf: Any, keras_lstm_weights: Any, case: dict) -> dict:
    weights = keras_lstm_weights(case["kernel"], case["bias"], case["forget_bias"])
    units = case["h0"].shape[1]
    layer = tf.keras.layers.LSTM(units, return_sequences=True, return_state=True)
    layer.build((None,) + case["x"].shape[1:])
    layer.set_weights([np.asarray(as_numpy(w), dtype=np.float32) for w in weights])
    initial = [tf.constant(case["h0"]), tf.constant(case["c0"])]
    outputs, h, c = layer(tf.constant(case["x"]), initial_state=initial)
    return {"outputs": outputs.numpy(), "final_state": LSTMStateTuple(c.numpy(), h.numpy())}


tf_lstm_cell = Check(
    "tf_lstm_cell",
    _run_cell,
    """Check your TensorFlow ``BasicLSTMCell`` (traced by tf.function) against rnnref.tf's.""",
)

tf_dynamic_rnn = Check(
    "tf_dynamic_rnn",
    _run_unroll,
    """Check your TensorFlow ``dynamic_rnn`` (traced by tf.function) on toy cells.""",
)

keras_lstm_weights = Check(
    "keras_lstm_weights",
    _run_keras,
    """Check ``keras_lstm_weights``: a Keras LSTM with your weights must match TF1's cell.""",
)
