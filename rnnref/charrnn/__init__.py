"""A character-level language model anyone can train from the command line.

    python -m rnnref.charrnn train --steps 2000       # Python's own docs -> charrnn.npz, .png
    python -m rnnref.charrnn sample --checkpoint charrnn.npz --temperature 0.8

Built on the reference: rnnref.np's cells, its backpropagation through time and its
training utilities (``--backend np``), or rnnref.tf under ``tf.GradientTape``
(``--backend tf``). ``python -m rnnref.charrnn train --help`` lists the options.
"""

from rnnref.charrnn.data import CharRNNError
from rnnref.charrnn.trainer import sample, train

__all__ = ["CharRNNError", "sample", "train"]
