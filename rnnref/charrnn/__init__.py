"""A character-level language model anyone can train from the command line.

    python -m rnnref.charrnn train --steps 2000       # Python's own docs -> charrnn.npz, .png
    python -m rnnref.charrnn sample --checkpoint charrnn.npz --temperature 0.8

Built on the reference: rnnref.np's cells, its backpropagation through time and its
training utilities (``--backend np``), or rnnref.tf under ``tf.GradientTape``
(``--backend tf``). ``python -m rnnref.charrnn train --help`` lists the options.
"""

from typing import Any

__all__ = ["CharRNNError", "sample", "train"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that ``python -m rnnref.charrnn`` can choose NumPy's BLAS
    # threads (see __main__) before anything loads NumPy.
    if name in __all__:
        from rnnref.charrnn import data, trainer

        return getattr(data if name == "CharRNNError" else trainer, name)
    raise AttributeError(f"module 'rnnref.charrnn' has no attribute {name!r}")
