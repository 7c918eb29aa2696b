"""TF1's default initialisers, drawn from a NumPy generator so a seed reproduces them.

Each takes ``(rng, shape, dtype)`` and returns values of that shape and dtype.
``from_argument`` turns what a user passes as ``initializer=`` (TF1's names) into one.
"""

import numbers
from typing import Any

import numpy as np

from rnnref.np.base import Initializer


def glorot_uniform(rng: np.random.Generator, shape: tuple, dtype: np.dtype) -> np.ndarray:
    """U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010).

    TF1's ``get_variable`` uses this for every kernel it is given no initialiser for.
    """
    fan_in, fan_out = (shape[0], shape[0]) if len(shape) == 1 else (shape[0], shape[1])
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def zeros(rng: np.random.Generator, shape: tuple, dtype: np.dtype) -> np.ndarray:
    return np.zeros(shape, dtype)


def ones(rng: np.random.Generator, shape: tuple, dtype: np.dtype) -> np.ndarray:
    """TF1's GRU starts its gate biases at 1.0, so both gates start open (not reset, keep state)."""
    return np.ones(shape, dtype)


def uniform_sqrt3(rng: np.random.Generator, shape: tuple, dtype: np.dtype) -> np.ndarray:
    """U(-sqrt(3), sqrt(3)), unit variance: TF1's EmbeddingWrapper default."""
    return rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), size=shape).astype(dtype)


def from_argument(value: Any, name: str, owner: str, default: Initializer) -> Initializer:
    """An ``initializer=`` argument as an initialiser: ``default`` for None; a number fills
    the weight with it; a callable is called as TF1 calls one, ``value(shape, dtype=dtype)``
    (TF's own initialisers, e.g. ``tf.compat.v1.constant_initializer(0.5)``, work)."""
    if value is None:
        return default
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return lambda rng, shape, dtype: np.full(shape, value, dtype)
    if callable(value):
        return lambda rng, shape, dtype: np.asarray(value(shape, dtype=dtype), dtype)
    raise TypeError(
        f"{owner} expects {name} to be None, a number or an initializer called as "
        f"init(shape, dtype=dtype). Received: {name}={value!r} of type {type(value).__name__}."
    )
