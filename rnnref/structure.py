"""Nested states: ``LSTMStateTuple`` and the few structure helpers both backends need.

A state is either one array (a leaf) or a tuple of states: an LSTM's
``LSTMStateTuple(c, h)``, or a ``MultiRNNCell``'s tuple with one state per layer.
``state_size`` has the same structure with ints in place of arrays.
"""

from collections import namedtuple
from collections.abc import Callable
from typing import Any

LSTMStateTuple = namedtuple("LSTMStateTuple", ("c", "h"))
LSTMStateTuple.__doc__ = """An LSTM's state: memory ``c`` [B, H] and output ``h`` [B, H or P]."""


def is_nested(structure: Any) -> bool:
    """True for a tuple (namedtuples included), False for a leaf."""
    return isinstance(structure, tuple)


def flatten(structure: Any) -> list:
    """The leaves of ``structure``, depth first, left to right."""
    if not is_nested(structure):
        return [structure]
    return [leaf for part in structure for leaf in flatten(part)]


def pack_like(structure: Any, leaves: list) -> Any:
    """Rebuild ``structure``'s shape from a flat list of ``leaves``."""
    remaining = iter(leaves)

    def rebuild(part: Any) -> Any:
        if not is_nested(part):
            return next(remaining)
        children = [rebuild(child) for child in part]
        return type(part)(*children) if hasattr(part, "_fields") else tuple(children)

    return rebuild(structure)


def map_structure(fn: Callable[..., Any], structure: Any, *others: Any) -> Any:
    """Apply ``fn`` leaf by leaf to structures of the same shape."""
    flats = [flatten(structure)] + [flatten(other) for other in others]
    return pack_like(structure, [fn(*leaves) for leaves in zip(*flats, strict=True)])


def same_structure(a: Any, b: Any) -> bool:
    """True when ``a`` and ``b`` nest the same way (leaf types and namedtuple types aside)."""
    if is_nested(a) != is_nested(b):
        return False
    if not is_nested(a):
        return True
    return len(a) == len(b) and all(same_structure(x, y) for x, y in zip(a, b, strict=True))


def describe(size: Any, batch: str = "B") -> str:
    """A ``state_size`` as the shapes it asks for: ``LSTMStateTuple(c=[B, 4], h=[B, 4])``."""
    if not is_nested(size):
        return f"[{batch}, {size}]"
    parts = [describe(child, batch) for child in size]
    if hasattr(size, "_fields"):
        inner = ", ".join(f"{name}={part}" for name, part in zip(size._fields, parts, strict=True))
        return f"{type(size).__name__}({inner})"
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def default_state_filter(part: Any) -> Any:
    """TF1's default ``dropout_state_filter_visitor``: every part of a state is dropped
    except the memory ``c`` of an ``LSTMStateTuple``."""
    if isinstance(part, LSTMStateTuple):
        return LSTMStateTuple(c=False, h=True)
    return True


def map_filtered(fn: Callable[[Any, Any], Any], values: Any, other: Any, visitor: Any) -> Any:
    """``fn(leaf, other_leaf)`` on the leaves of ``values`` that ``visitor`` selects, as TF1's
    ``DropoutWrapper`` walks a state; the other leaves are returned unchanged.

    ``visitor(part)`` says True (select the part; for a tuple, ask again for each child),
    False (keep the part), or gives one bool per child (True: every leaf under it).
    ``other`` nests like ``values`` (the masks or noise that go with each leaf).
    """
    verdict = visitor(values)
    if not is_nested(verdict):
        if not verdict:
            return values
        if not is_nested(values):
            return fn(values, other)
        children = [map_filtered(fn, v, o, visitor) for v, o in zip(values, other, strict=True)]
    else:
        parts = zip(values, other, verdict, strict=True)
        children = [map_structure(fn, v, o) if keep else v for v, o, keep in parts]
    return type(values)(*children) if hasattr(values, "_fields") else tuple(children)
