"""The TensorFlow 2 twin of ``rnnref.np``: the same cells and unrolls, compiled and differentiable.

import rnnref.tf as rt
cell = rt.BasicLSTMCell(8)
outputs, state = rt.dynamic_rnn(cell, x, sequence_length=lengths)   # x: [B, T, D]

Cells are ``tf.Module``s holding ``tf.Variable``s named and ordered as TF1's, so
``set_weights`` moves weights to and from ``rnnref.np`` and ``tf.compat.v1.nn.rnn_cell``.
``dynamic_rnn`` runs the four cells of ``rnnref.tf.cells`` through ``rnnref.tf.fused``
(their input products hoisted out of the loop, equal within round-off).
"""

from rnnref.checkpoint import load_tf1_checkpoint
from rnnref.state_saver import StateSaver
from rnnref.structure import LSTMStateTuple
from rnnref.tf.base import RNNCell
from rnnref.tf.batching import input_target_batches, split_batches
from rnnref.tf.cells import BasicLSTMCell, BasicRNNCell, GRUCell, LSTMCell
from rnnref.tf.rnn import (
    bidirectional_dynamic_rnn,
    dynamic_rnn,
    raw_rnn,
    static_bidirectional_rnn,
    static_rnn,
    static_state_saving_rnn,
)
from rnnref.tf.stacking import MultiRNNCell
from rnnref.tf.wrappers import (
    DeviceWrapper,
    DropoutWrapper,
    EmbeddingWrapper,
    InputProjectionWrapper,
    OutputProjectionWrapper,
    ResidualWrapper,
)

__all__ = [
    "BasicLSTMCell",
    "BasicRNNCell",
    "DeviceWrapper",
    "DropoutWrapper",
    "EmbeddingWrapper",
    "GRUCell",
    "InputProjectionWrapper",
    "LSTMCell",
    "LSTMStateTuple",
    "MultiRNNCell",
    "OutputProjectionWrapper",
    "RNNCell",
    "StateSaver",
    "ResidualWrapper",
    "bidirectional_dynamic_rnn",
    "dynamic_rnn",
    "input_target_batches",
    "load_tf1_checkpoint",
    "raw_rnn",
    "split_batches",
    "static_bidirectional_rnn",
    "static_rnn",
    "static_state_saving_rnn",
]
