"""The NumPy reference: TF1's RNN cells, stacking, wrappers and unrolls, exact and readable.

import rnnref.np as rn
cell = rn.BasicLSTMCell(8)
outputs, state = rn.dynamic_rnn(cell, x, sequence_length=lengths)   # x: [B, T, D]

Backpropagation through time (gradients in the order of ``cell.weights``):

outputs, state, tape = rn.dynamic_rnn_forward(cell, x, sequence_length=lengths)
d_x, d_initial_state, d_weights = rn.dynamic_rnn_backward(tape, d_outputs, d_state)

The cells in ``rnnref.np.cells`` are the equations as written; ``dynamic_rnn`` and its
forward and backward passes run them through ``rnnref.np.fused`` (a faster unroll, equal
within round-off) when it supports the cell, and through the plain per-step loop otherwise.
"""

from rnnref.checkpoint import load_tf1_checkpoint
from rnnref.np.base import RNNCell
from rnnref.np.batching import input_target_batches, split_batches
from rnnref.np.cells import BasicLSTMCell, BasicRNNCell, GRUCell, LSTMCell
from rnnref.np.rnn import (
    bidirectional_dynamic_rnn,
    bidirectional_dynamic_rnn_backward,
    bidirectional_dynamic_rnn_forward,
    dynamic_rnn,
    dynamic_rnn_backward,
    dynamic_rnn_forward,
    raw_rnn,
    static_bidirectional_rnn,
    static_bidirectional_rnn_backward,
    static_bidirectional_rnn_forward,
    static_rnn,
    static_rnn_backward,
    static_rnn_forward,
    static_state_saving_rnn,
)
from rnnref.np.stacking import MultiRNNCell
from rnnref.np.train import (
    SGD,
    Adam,
    clip_by_global_norm,
    sequence_loss_backward,
    sequence_loss_forward,
)
from rnnref.np.wrappers import (
    DeviceWrapper,
    DropoutWrapper,
    EmbeddingWrapper,
    InputProjectionWrapper,
    OutputProjectionWrapper,
    ResidualWrapper,
)
from rnnref.state_saver import StateSaver
from rnnref.structure import LSTMStateTuple

__all__ = [
    "SGD",
    "Adam",
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
    "bidirectional_dynamic_rnn_backward",
    "bidirectional_dynamic_rnn_forward",
    "clip_by_global_norm",
    "dynamic_rnn",
    "dynamic_rnn_backward",
    "dynamic_rnn_forward",
    "input_target_batches",
    "load_tf1_checkpoint",
    "sequence_loss_backward",
    "sequence_loss_forward",
    "raw_rnn",
    "split_batches",
    "static_bidirectional_rnn",
    "static_bidirectional_rnn_backward",
    "static_bidirectional_rnn_forward",
    "static_rnn",
    "static_rnn_backward",
    "static_rnn_forward",
    "static_state_saving_rnn",
]
