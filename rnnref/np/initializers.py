"""TF1's default initialisers, drawn from a NumPy generator so a seed reproduces them.

Each takes ``(rng, shape)`` and returns float64 values; the cell casts them to its dtype.
"""

import numpy as np


def glorot_uniform(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010).

    TF1's ``get_variable`` uses this for every kernel it is given no initialiser for.
    """
    fan_in, fan_out = (shape[0], shape[0]) if len(shape) == 1 else (shape[0], shape[1])
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape)


def zeros(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return np.zeros(shape)


def ones(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """TF1's GRU starts its gate biases at 1.0, so both gates start open (not reset, keep state)."""
    return np.ones(shape)


def uniform_sqrt3(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """U(-sqrt(3), sqrt(3)), unit variance: TF1's EmbeddingWrapper default."""
    return rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), size=shape)
