"""Cutting one long sequence into ``batch_size x num_steps`` batches (the notes' section 5).

The sequence is first laid out as ``batch_size`` contiguous rows; batch k takes columns
[k*num_steps, (k+1)*num_steps) of every row. So row r of batch k+1 continues row r of
batch k, and a state carried from one batch to the next stays on the same stretch of text.
For 1..12 with batch_size=2, num_steps=3 the rows are 1..6 and 7..12, and the batches
[[1,2,3],[7,8,9]] then [[4,5,6],[10,11,12]].
"""

from typing import Any

import numpy as np

from rnnref import validation


def _rows(data: Any, batch_size: int, num_steps: int, shift: int, owner: str) -> tuple:
    data = np.asarray(data)
    batch_size = validation.positive_int(batch_size, "batch_size", owner)
    num_steps = validation.positive_int(num_steps, "num_steps", owner)
    batch_len, num_batches = validation.split_layout(
        owner, data.shape, batch_size, num_steps, shift
    )
    rows = data[: batch_size * batch_len].reshape(batch_size, batch_len)  # (N,) -> (B, N // B)
    return rows, num_batches, num_steps


def split_batches(data: Any, batch_size: int, num_steps: int) -> np.ndarray:
    """data: [N] -> batches [num_batches, batch_size, num_steps] (leftover elements dropped)."""
    rows, num_batches, S = _rows(data, batch_size, num_steps, 0, "split_batches")
    kept = rows[:, : num_batches * S].reshape(rows.shape[0], num_batches, S)  # (B, n, S)
    return kept.transpose(1, 0, 2)  # (B, n, S) -> (n, B, S)


def input_target_batches(data: Any, batch_size: int, num_steps: int) -> list:
    """(x, y) pairs [batch_size, num_steps], y = x shifted one step ahead (the next token).

    Gives (N // batch_size - 1) // num_steps pairs, as TF's PTB reader does.
    """
    rows, num_batches, S = _rows(data, batch_size, num_steps, 1, "input_target_batches")
    return [
        (rows[:, k * S : (k + 1) * S], rows[:, k * S + 1 : (k + 1) * S + 1])
        for k in range(num_batches)
    ]
