"""Nested states: ``LSTMStateTuple`` and the few structure helpers both backends need.

A state is either one array (a leaf) or a structure of states: an LSTM's
``LSTMStateTuple(c, h)``, a ``MultiRNNCell``'s tuple with one state per layer, or a user's
cell's tuples, namedtuples and dicts nested in any way. ``state_size`` has the same
structure with ints in place of arrays. As TF's ``nest``, a dict's values come in the order
of its sorted keys. A list is a leaf, not a structure: nested lists are data (an array).
"""

import numbers
from collections import namedtuple
from collections.abc import Callable, Mapping
from typing import Any

LSTMStateTuple = namedtuple("LSTMStateTuple", ("c", "h"))
LSTMStateTuple.__doc__ = """An LSTM's state: memory ``c`` [B, H] and output ``h`` [B, H or P]."""


def is_nested(structure: Any) -> bool:
    """True for a tuple (namedtuples included) or a dict, False for a leaf."""
    return isinstance(structure, (tuple, Mapping))


def children(structure: Any) -> list:
    """A structure's direct parts, in TF's ``nest`` order (a dict's by sorted key)."""
    if isinstance(structure, Mapping):
        return [structure[key] for key in sorted(structure)]
    return list(structure)


def _rebuild(like: Any, parts: list) -> Any:
    """A structure of ``like``'s type whose direct parts are ``parts`` (in ``children`` order)."""
    if isinstance(like, Mapping):
        by_key = dict(zip(sorted(like), parts, strict=True))
        return type(like)((key, by_key[key]) for key in like)
    return type(like)(*parts) if hasattr(like, "_fields") else tuple(parts)


def flatten(structure: Any) -> list:
    """The leaves of ``structure``, depth first, in ``children`` order."""
    if not is_nested(structure):
        return [structure]
    return [leaf for part in children(structure) for leaf in flatten(part)]


def pack_like(structure: Any, leaves: list) -> Any:
    """Rebuild ``structure``'s shape from a flat list of ``leaves``."""
    remaining = iter(leaves)

    def rebuild(part: Any) -> Any:
        if not is_nested(part):
            return next(remaining)
        return _rebuild(part, [rebuild(child) for child in children(part)])

    return rebuild(structure)


def map_structure(fn: Callable[..., Any], structure: Any, *others: Any) -> Any:
    """Apply ``fn`` leaf by leaf to structures of the same shape."""
    flats = [flatten(structure)] + [flatten(other) for other in others]
    return pack_like(structure, [fn(*leaves) for leaves in zip(*flats, strict=True)])


def same_structure(a: Any, b: Any) -> bool:
    """True when ``a`` and ``b`` nest the same way: tuples of the same lengths, dicts with the
    same keys (leaf types, and tuple against namedtuple, aside)."""
    if is_nested(a) != is_nested(b):
        return False
    if not is_nested(a):
        return True
    if isinstance(a, Mapping) != isinstance(b, Mapping):
        return False
    if isinstance(a, Mapping) and sorted(a) != sorted(b):
        return False
    parts_a, parts_b = children(a), children(b)
    return len(parts_a) == len(parts_b) and all(
        same_structure(x, y) for x, y in zip(parts_a, parts_b, strict=True)
    )


def describe_with(describe_leaf: Callable[[Any], str], value: Any) -> str:
    """A structure written out, each leaf by ``describe_leaf``: ``LSTMStateTuple(c=.., h=..)``,
    ``(.., ..)`` or ``{'a': ..}``."""
    if not is_nested(value):
        return describe_leaf(value)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{key!r}: {describe_with(describe_leaf, value[key])}" for key in value)
        return "{" + inner + "}"
    parts = [describe_with(describe_leaf, child) for child in value]
    if hasattr(value, "_fields"):
        inner = ", ".join(f"{name}={part}" for name, part in zip(value._fields, parts, strict=True))
        return f"{type(value).__name__}({inner})"
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def describe(size: Any, batch: str = "B") -> str:
    """A ``state_size`` as the shapes it asks for: ``LSTMStateTuple(c=[B, 4], h=[B, 4])``."""

    def shape(leaf: Any) -> str:
        dims = [leaf] if isinstance(leaf, numbers.Integral) else list(leaf)  # int, or a shape
        return "[" + ", ".join(str(d) for d in [batch, *dims]) + "]"

    return describe_with(shape, size)


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
        parts = zip(children(values), children(other), strict=True)
        rebuilt = [map_filtered(fn, v, o, visitor) for v, o in parts]
    else:
        parts = zip(children(values), children(other), children(verdict), strict=True)
        rebuilt = [map_structure(fn, v, o) if keep else v for v, o, keep in parts]
    return _rebuild(values, rebuilt)
