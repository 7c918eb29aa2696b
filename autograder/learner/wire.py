"""Plain data to JSON and back: how cases reach a grading kernel and outputs come back.

Both sides of the kernel boundary use this module (the grader imports it from here), so it
imports only NumPy. The grading channel and the self-judge process both speak it. A value is
encoded as JSON with arrays as base64 ``.npy`` (never pickled), tagged so that tuples,
lists, namedtuples, NumPy scalars, ``Unsupported`` values and exceptions survive the
round trip exactly. ``decode`` accepts nothing else: a malformed or oversized payload
raises ``WireError`` instead of producing a value that could fool the judge.
"""

import base64
import collections
import io
import json
import math
from typing import Any

import numpy as np

from autograder.learner.plain import Named, Unsupported

# A grading kernel can put at most this much into one message; more is a runaway answer.
MAX_PAYLOAD_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 32


class WireError(ValueError):
    """A payload that is not plain data as this module writes it."""


class RemoteError:
    """An exception raised in the kernel, as data: its type's name, message and traceback."""

    def __init__(self, type_name: str, message: str, traceback: str = "") -> None:
        self.type_name = type_name
        self.message = message
        self.traceback = traceback

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RemoteError) and (self.type_name, self.message) == (
            other.type_name,
            other.message,
        )

    __hash__ = None

    def __repr__(self) -> str:
        return f"RemoteError({self.type_name!r}, {self.message!r})"


def _npy(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _from_npy(text: Any) -> np.ndarray:
    if not isinstance(text, str):
        raise WireError("an array must be base64 text")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
        return np.load(io.BytesIO(raw), allow_pickle=False)
    except Exception as error:  # any decoding failure means the payload is not ours
        raise WireError(f"an array could not be read: {error}") from None


def to_json(value: Any, depth: int = 0) -> Any:
    """``value`` (plain data, a ``Named``, ``Unsupported`` or ``RemoteError``) as JSON data."""
    if depth > MAX_DEPTH:
        raise WireError(f"the value nests deeper than {MAX_DEPTH} levels")
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        return {"int": str(value)}
    if kind is float:
        return {"float": repr(value)}
    if kind is np.ndarray:
        if value.dtype.hasobject:
            return {"unsupported": "a NumPy array of Python objects"}
        return {"ndarray": _npy(value)}
    if isinstance(value, np.generic) and kind.__module__ == "numpy":
        if np.asarray(value).dtype.hasobject:
            return {"unsupported": "a NumPy object scalar"}
        return {"scalar": _npy(np.asarray(value))}
    if kind is tuple or kind is list:
        return {kind.__name__: [to_json(v, depth + 1) for v in value]}
    if kind is dict:
        if not all(type(k) is str for k in value):
            raise WireError("dictionary keys must be strings")
        return {"dict": [[k, to_json(v, depth + 1)] for k, v in value.items()]}
    if kind is Named:
        return {
            "named": value.type_name,
            "fields": list(value.fields),
            "values": [to_json(v, depth + 1) for v in value.values],
        }
    if kind.__bases__ == (tuple,) and hasattr(kind, "_fields"):
        return {
            "named": kind.__name__,
            "fields": list(kind._fields),
            "values": [to_json(v, depth + 1) for v in value],
        }
    if kind is Unsupported:
        return {"unsupported": value.type_name}
    if kind is RemoteError:
        return {"error": value.type_name, "message": value.message, "traceback": value.traceback}
    raise WireError(
        f"a {kind.__module__}.{kind.__qualname__} cannot cross to or from a grading kernel; "
        "cases and outputs must be plain data (arrays, numbers, strings, tuples, dicts)"
    )


def from_json(data: Any, *, namedtuples: bool = False, depth: int = 0) -> Any:
    """Inverse of ``to_json``. Namedtuples come back as ``Named`` for the judge, or, with
    ``namedtuples=True``, as real namedtuples, which is what an answer in the kernel expects."""
    if depth > MAX_DEPTH:
        raise WireError(f"the value nests deeper than {MAX_DEPTH} levels")
    if data is None or type(data) in (bool, str):
        return data
    if type(data) is not dict or not data:
        raise WireError(f"unexpected {type(data).__name__} in a payload")
    tag = next(iter(data))

    def inner(items: Any) -> list:
        if type(items) is not list:
            raise WireError(f"'{tag}' must hold a list")
        return [from_json(v, namedtuples=namedtuples, depth=depth + 1) for v in items]

    if tag in ("int", "float") and type(data[tag]) is str and len(data[tag]) < 5000:
        try:
            number = int(data[tag]) if tag == "int" else float(data[tag])
        except ValueError:
            raise WireError(f"a malformed '{tag}' entry") from None
        if tag == "int" or math.isnan(number) or math.isinf(number) or repr(number) == data[tag]:
            return number
    elif tag == "ndarray":
        return _from_npy(data["ndarray"])
    elif tag == "scalar":
        array = _from_npy(data["scalar"])
        if array.shape == ():
            return array[()]
    elif tag == "tuple":
        return tuple(inner(data["tuple"]))
    elif tag == "list":
        return inner(data["list"])
    elif tag == "dict" and type(data["dict"]) is list:
        pairs = data["dict"]
        if all(type(p) is list and len(p) == 2 and type(p[0]) is str for p in pairs):
            return {k: from_json(v, namedtuples=namedtuples, depth=depth + 1) for k, v in pairs}
    elif tag == "named" and type(data.get("named")) is str and type(data.get("fields")) is list:
        fields = tuple(data["fields"])
        values = tuple(inner(data.get("values")))
        if all(type(f) is str for f in fields) and len(fields) == len(values):
            if not namedtuples:
                return Named(data["named"], fields, values)
            try:
                return collections.namedtuple(data["named"], fields)(*values)
            except ValueError as error:
                raise WireError(f"bad namedtuple: {error}") from None
    elif tag == "unsupported" and type(data["unsupported"]) is str:
        return Unsupported(data["unsupported"][:200])
    elif tag == "error" and type(data["error"]) is str:
        message, traceback = data.get("message", ""), data.get("traceback", "")
        if type(message) is str and type(traceback) is str:
            return RemoteError(data["error"][:200], message[:5000], traceback[:20000])
    raise WireError(f"a malformed '{tag}' entry")


def dumps(value: Any) -> str:
    """``value`` as JSON text."""
    return json.dumps(to_json(value), separators=(",", ":"))


def loads(text: str | bytes, *, namedtuples: bool = False) -> Any:
    """The value in JSON ``text``; ``WireError`` if it is not a payload ``dumps`` writes."""
    if len(text) > MAX_PAYLOAD_BYTES:
        raise WireError(f"the payload is larger than {MAX_PAYLOAD_BYTES // 2**20} MB")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise WireError(f"the payload is not JSON: {error}") from None
    return from_json(data, namedtuples=namedtuples)
