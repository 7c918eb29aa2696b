"""Cutting one long sequence into ``batch_size x num_steps`` batches (the notes' section 5).

The sequence is first laid out as ``batch_size`` contiguous rows; batch k takes columns
[k*num_steps, (k+1)*num_steps) of every row. So row r of batch k+1 continues row r of
batch k, and a state carried from one batch to the next stays on the same stretch of text.
For 1..12 with batch_size=2, num_steps=3 the rows are 1..6 and 7..12, and the batches
[[1,2,3],[7,8,9]] then [[4,5,6],[10,11,12]].

The length of the sequence must be known when the batches are cut (it fixes how many
there are); the data itself may be any tensor, on any device.
"""

from typing import Any

import tensorflow as tf

from rnnref import validation
from rnnref.tf.base import as_tensor, shape_of


def _rows(data: Any, batch_size: int, num_steps: int, shift: int, owner: str) -> tuple:
    data = as_tensor(data)
    batch_size = validation.positive_int(batch_size, "batch_size", owner)
    num_steps = validation.positive_int(num_steps, "num_steps", owner)
    batch_len, num_batches = validation.split_layout(
        owner, shape_of(data, owner, "data"), batch_size, num_steps, shift
    )
    rows = tf.reshape(data[: batch_size * batch_len], [batch_size, batch_len])  # (N,) -> (B, N//B)
    return rows, num_batches, num_steps


def split_batches(data: Any, batch_size: int, num_steps: int) -> tf.Tensor:
    """data: [N] -> batches [num_batches, batch_size, num_steps] (leftover elements dropped)."""
    rows, num_batches, S = _rows(data, batch_size, num_steps, 0, "split_batches")
    kept = tf.reshape(rows[:, : num_batches * S], [rows.shape[0], num_batches, S])  # (B, n, S)
    return tf.transpose(kept, [1, 0, 2])  # (B, n, S) -> (n, B, S)


def input_target_batches(data: Any, batch_size: int, num_steps: int) -> tf.data.Dataset:
    """A dataset of (x, y) pairs [batch_size, num_steps], y = x shifted one step ahead.

    Gives (N // batch_size - 1) // num_steps pairs, as TF's PTB reader does.
    """
    rows, num_batches, S = _rows(data, batch_size, num_steps, 1, "input_target_batches")
    B = rows.shape[0]
    x = tf.reshape(rows[:, : num_batches * S], [B, num_batches, S])  # (B, n, S)
    y = tf.reshape(rows[:, 1 : num_batches * S + 1], [B, num_batches, S])  # shifted by one
    # (B, n, S) -> (n, B, S): the dataset's k-th element is batch k
    return tf.data.Dataset.from_tensor_slices(
        (tf.transpose(x, [1, 0, 2]), tf.transpose(y, [1, 0, 2]))
    )
