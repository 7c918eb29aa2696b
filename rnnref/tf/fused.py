"""The fused unroll: ``rnnref.tf.cells``' equations over all time steps, computed faster.

``dynamic_rnn`` (and ``static_rnn`` and ``bidirectional_dynamic_rnn``) runs a cell through
here when ``supports(cell, inputs)``: the cell is exactly a ``BasicRNNCell``, ``GRUCell``,
``BasicLSTMCell`` or ``LSTMCell`` (any options and activation) and the inputs are one
tensor. Everything else (wrappers, stacks, subclasses, a user's cell) runs the plain loop,
one ``cell(x, state)`` per step.

TF1 stores each kernel as W = [W_x; W_h], so ``[x, h] @ W = x @ W_x + h @ W_h``. Before
the loop, ``split_kernel`` cuts every kernel once and the input term ``x @ W_x + b`` of
every step is one matrix product, [T*B, D] @ [D, k]; a step then multiplies only
``h_prev @ W_h`` and applies the cell's equations, restated below in that form. Nothing
is written onto the cell. The results equal the plain loop's within round-off (the same
D + H products, added in another order); TensorFlow differentiates both.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

import tensorflow as tf

from rnnref import structure
from rnnref.tf.base import RNNCell
from rnnref.tf.cells import BasicLSTMCell, BasicRNNCell, GRUCell, LSTMCell, sigmoid

Step = Callable[[tf.Tensor, Any], tuple[tf.Tensor, Any]]


def supports(cell: RNNCell, inputs: Any) -> bool:
    """Whether ``dynamic_rnn`` runs ``cell`` over ``inputs`` [T, B, D] through this module."""
    return type(cell) in _STEPS and not structure.is_nested(inputs)


def split_kernel(kernel: tf.Tensor, input_depth: int) -> tuple[tf.Tensor, tf.Tensor]:
    """W = [W_x; W_h], [D + H, k] -> (W_x [D, k], W_h [H, k])."""
    return kernel[:input_depth], kernel[input_depth:]


def step_function(cell: RNNCell, inputs: tf.Tensor) -> Step:
    """The loop's ``step(t, state) -> (output, new_state)`` for ``cell`` over ``inputs``
    [T, B, D]: every step's input term computed here, in one product per kernel."""
    max_time, batch, depth = tf.shape(inputs)[0], tf.shape(inputs)[1], cell._input_depth
    x = tf.reshape(inputs, [max_time * batch, depth])  # (T, B, D) -> (T*B, D)
    p = cell._params
    linears = [("kernel", "bias")]
    if type(cell) is GRUCell:
        linears = [("gates/kernel", "gates/bias"), ("candidate/kernel", "candidate/bias")]
    recurrent, terms = {}, []
    for kernel, bias in linears:
        W_x, recurrent[kernel] = split_kernel(p[kernel], depth)
        term = x @ W_x + p[bias]  # (T*B, D) @ (D, k) -> (T*B, k)
        term = tf.reshape(term, [max_time, batch, term.shape[1]])  # (T*B, k) -> (T, B, k)
        terms.append(tf.TensorArray(term.dtype, size=max_time, infer_shape=False).unstack(term))
    cell_step = partial(_STEPS[type(cell)], cell, recurrent)

    def step(t: tf.Tensor, state: Any) -> tuple[tf.Tensor, Any]:
        return cell_step([term.read(t) for term in terms], state)

    return step


def _rnn_step(cell: BasicRNNCell, W_h: dict, terms: list, state: tf.Tensor) -> tuple:
    (x_term,) = terms  # x @ W_x + b
    h_prev = state
    new_h = cell._activation(x_term + h_prev @ W_h["kernel"])  # act([x, h_prev] @ W + b)
    return new_h, new_h


def _gru_step(cell: GRUCell, W_h: dict, terms: list, state: tf.Tensor) -> tuple:
    x_gates, x_candidate = terms  # x @ W_gx + b_g, x @ W_cx + b_c
    h_prev = state
    z_g = x_gates + h_prev @ W_h["gates/kernel"]  # [x, h_prev] @ W_g + b_g
    r, u = tf.split(sigmoid(z_g), 2, axis=1)  # (B, 2H) -> 2 x (B, H)
    z_c = x_candidate + (r * h_prev) @ W_h["candidate/kernel"]  # [x, r * h_prev] @ W_c + b_c
    c = cell._activation(z_c)
    new_h = u * h_prev + (1 - u) * c
    return new_h, new_h


def _lstm_step(cell: LSTMCell, W_h: dict, terms: list, state: Any) -> tuple:
    """Both LSTMs: a BasicLSTMCell is an LSTMCell without peepholes, clips or projection."""
    p, act = cell._params, cell._activation
    peepholes = getattr(cell, "_use_peepholes", False)
    cell_clip, proj_clip = getattr(cell, "_cell_clip", None), getattr(cell, "_proj_clip", None)
    (x_term,) = terms  # x @ W_x + b
    c_prev, m_prev = cell._unpack(state)
    z = x_term + m_prev @ W_h["kernel"]  # [x, m_prev] @ W + b
    i, j, f, o = tf.split(z, 4, axis=1)  # (B, 4H) -> 4 x (B, H)
    if peepholes:
        i = i + p["w_i_diag"] * c_prev
        f = f + p["w_f_diag"] * c_prev
    c = sigmoid(f + cell._forget_bias) * c_prev + sigmoid(i) * act(j)
    if cell_clip is not None:
        c = tf.clip_by_value(c, -cell_clip, cell_clip)
    if peepholes:
        o = o + p["w_o_diag"] * c
    m = sigmoid(o) * act(c)
    if "projection/kernel" in p:
        m = m @ p["projection/kernel"]  # (B, H) @ (H, P) -> (B, P)
        if proj_clip is not None:
            m = tf.clip_by_value(m, -proj_clip, proj_clip)
    return m, cell._pack(c, m)


_STEPS = {
    BasicRNNCell: _rnn_step,
    GRUCell: _gru_step,
    BasicLSTMCell: _lstm_step,
    LSTMCell: _lstm_step,
}
