"""A learner's outputs as plain data: what may cross from a kernel to the judge.

``to_plain`` rebuilds a value from exact NumPy arrays, numbers, strings, dicts and
(named) tuples, so an object whose ``==`` is always true, or a subclass pretending to be an
array, never reaches a comparison: anything else becomes ``Unsupported``. ``wire`` writes
these values as JSON; the judge compares them.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np

# A case: the inputs of one check of one exercise, as plain data (arrays, numbers, strings,
# tuples, dicts), e.g. {"x": [B, D] array, "state": [B, H] array, "weights": [...]}.
Case = dict[str, Any]


class Unsupported:
    """Stands for a value of a type the judge will not compare (never equal to anything)."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = None


@dataclass(frozen=True)
class Named:
    """A namedtuple as plain data, e.g. ``LSTMStateTuple(c, h)``."""

    type_name: str
    fields: tuple
    values: tuple


def to_plain(value: Any) -> Any:
    """``value`` rebuilt from exact NumPy arrays, numbers, strings, dicts and (named) tuples.

    Anything else, subclasses of those types included, becomes ``Unsupported``. Dicts are
    how a driver names its outputs (``{"output": ..., "new_state": ...}``).
    """
    kind = type(value)
    if kind is np.ndarray:
        if value.dtype.hasobject:
            return Unsupported("a NumPy array of Python objects")
        return np.array(value, copy=True)
    if isinstance(value, np.generic) and kind.__module__ == "numpy":
        return np.asarray(value)[()]
    if kind in (bool, int, float, str) or value is None:
        return value
    if kind in (tuple, list):
        return kind(to_plain(v) for v in value)
    if kind is dict and all(type(k) is str for k in value):
        return {k: to_plain(v) for k, v in value.items()}
    if kind.__bases__ == (tuple,) and hasattr(kind, "_fields"):
        return Named(kind.__name__, tuple(kind._fields), tuple(to_plain(v) for v in value))
    return Unsupported(f"{kind.__module__}.{kind.__qualname__}")
