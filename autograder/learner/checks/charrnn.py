"""The checks of notebook 09, the character-level language model: encoding text as ids,
the sequence loss (in TensorFlow) and the temperature softmax used for sampling.

Only the drivers and the public checks: the cases, the reference and the mistake models
are the grader's (``autograder.exercises.charrnn``)."""

from typing import Any

import numpy as np

from autograder.learner.checks import Check, common, tf2


def _run_encode(encode: Any, case: dict) -> dict:
    chars, ids = common.pair(encode(case["text"]), "encode")
    if type(chars) is list and all(type(c) is str for c in chars):
        chars = "".join(chars)
    ids = np.asarray(ids) if type(ids) is list else ids
    if isinstance(ids, np.ndarray) and (np.issubdtype(ids.dtype, np.integer) or ids.size == 0):
        ids = ids.astype(np.int64)  # any integer type will do
    return {"chars": chars, "ids": ids}


def _run_loss(sequence_loss: Any, case: dict) -> dict:
    with tf2.quiet_tensorflow() as tf:
        loss = sequence_loss(tf.constant(case["logits"]), tf.constant(case["targets"]))
        loss = tf2.as_numpy(loss)
    if isinstance(loss, (np.ndarray, np.generic, float)):
        loss = np.asarray(loss, dtype=np.float64)
    return {"loss": loss}


def _run_softmax(temperature_softmax: Any, case: dict) -> dict:
    probs = temperature_softmax(case["logits"], case["temperature"])
    return {"probabilities": probs}


encode = Check(
    "encode",
    _run_encode,
    """Check ``encode(text)``: (sorted characters, ids).""",
)

sequence_loss = Check(
    "sequence_loss",
    _run_loss,
    """Check ``sequence_loss(logits, targets)``: mean cross-entropy, in TensorFlow.""",
)

temperature_softmax = Check(
    "temperature_softmax",
    _run_softmax,
    """Check ``temperature_softmax(logits, temperature)`` (NumPy, over the last axis).""",
)
