"""Weight names as TF1 scopes them, so a TF1 checkpoint's variables match rnnref's by name.

A cell's weights live in a scope named after the cell: TF1's snake_case of its class
(``BasicLSTMCell`` -> ``basic_lstm_cell``) unless ``name=`` is given. A ``MultiRNNCell``
puts layer k in ``multi_rnn_cell/cell_k/``; ``DropoutWrapper``, ``ResidualWrapper`` and
``DeviceWrapper`` add no scope of their own (TF1's wrappers call the cell in the caller's
scope); the contrib wrappers (projections, embedding) scope both their own weights and
the wrapped cell under their name. So a stack of two LSTMs names its first kernel
``multi_rnn_cell/cell_0/basic_lstm_cell/kernel``. TF1 adds ``_1``, ``_2`` ... to the
name of a second cell made in the same graph; rnnref does not count cells, so pass
``name=`` to tell two top-level cells apart.
"""

import re
from typing import Any


def snake_case(class_name: str) -> str:
    """``BasicLSTMCell`` -> ``basic_lstm_cell``, as Keras names a layer after its class."""
    words = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", words).lower()


def cell_name(name: Any, owner: str) -> str:
    """The scope a cell names its weights in: ``name``, or the snake_case of ``owner``."""
    if name is None:
        return snake_case(owner)
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(
            f"{owner} expects name to be a scope name such as {snake_case(owner)!r} "
            f"(a Python identifier). Received: name={name!r}."
        )
    return name
