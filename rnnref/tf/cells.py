"""The four cells of TF1's ``rnn_cell_impl``: one time step each, written as the equations.

Each ``call`` is TF1's equations, one statement per line: the inputs and the previous
state are concatenated, ``z = [x, h_prev] @ W + b`` (the kernel W stacks the input rows
over the recurrent rows, as TF1 stores it), ``z`` is split into the gates, and the gates
make the new state. TensorFlow differentiates them.

``dynamic_rnn`` runs these cells through a faster unroll, ``rnnref.tf.fused``, that
computes the same equations; tests prove the two equal.
"""

from collections.abc import Callable
from typing import Any

import tensorflow as tf

from rnnref import validation
from rnnref.np.initializers import from_argument, glorot_uniform, ones, zeros
from rnnref.structure import LSTMStateTuple
from rnnref.tf.base import RNNCell

Activation = Callable[[tf.Tensor], tf.Tensor]

sigmoid = tf.sigmoid

ACTIVATIONS = {"tanh": tf.tanh, "sigmoid": tf.sigmoid, "relu": tf.nn.relu, "linear": tf.identity}


def _activation(value: Any, owner: str) -> Activation:
    """``activation=`` as a function: TF1's tanh for None, a Keras name looked up."""
    return validation.activation(value, owner, ACTIVATIONS) or tf.tanh


class _OutputIsStateCell(RNNCell):
    """A cell whose output is its new state, [B, H]: ``BasicRNNCell`` and ``GRUCell``."""

    _num_units: int

    @property
    def state_size(self) -> int:
        return self._num_units

    @property
    def output_size(self) -> int:
        return self._num_units


class BasicRNNCell(_OutputIsStateCell):
    """The basic (Elman) RNN cell (Elman 1990):

        new_h = act([x, h_prev] @ W + b)

    The output is the new state. inputs: [B, D]; state: [B, H]; output: [B, H].
    """

    def __init__(
        self,
        num_units: int,
        activation: Activation | str | None = None,
        reuse: Any = None,
        name: str | None = None,
        dtype: Any = None,
        *,
        seed: int | None = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype, reuse=reuse, seed=seed)
        self._num_units = validation.positive_int(num_units, "num_units", self._owner)
        self._activation = _activation(activation, self._owner)

    def _variables(self, input_depth: int) -> list:
        H = self._num_units
        return [("kernel", (input_depth + H, H), glorot_uniform), ("bias", (H,), zeros)]

    def call(self, inputs: tf.Tensor, state: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        W, b = self._params["kernel"], self._params["bias"]
        h_prev = state
        x_h = tf.concat([inputs, h_prev], axis=1)  # (B, D) + (B, H) -> (B, D + H)
        new_h = self._activation(x_h @ W + b)  # (B, D + H) @ (D + H, H) -> (B, H)
        return new_h, new_h


class GRUCell(_OutputIsStateCell):
    """Gated Recurrent Unit (Cho et al. 2014), with TF1's weight layout.

        r, u  = sigmoid([x, h_prev] @ W_g + b_g)     reset and update gates, [B, H] each
        c     = act([x, r * h_prev] @ W_c + b_c)     candidate state
        new_h = u * h_prev + (1 - u) * c

    The reset gate scales ``h_prev`` before the candidate's matrix product.
    inputs: [B, D]; state: [B, H]; output: [B, H] (the new state).
    ``kernel_initializer`` and ``bias_initializer`` (a number, or a TF1-style callable
    ``init(shape, dtype=dtype)``) replace TF1's defaults: Glorot uniform kernels, gate
    biases 1.0 and candidate biases 0.
    """

    def __init__(
        self,
        num_units: int,
        activation: Activation | str | None = None,
        reuse: Any = None,
        kernel_initializer: Any = None,
        bias_initializer: Any = None,
        name: str | None = None,
        dtype: Any = None,
        *,
        seed: int | None = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype, reuse=reuse, seed=seed)
        self._num_units = validation.positive_int(num_units, "num_units", self._owner)
        self._activation = _activation(activation, self._owner)
        owner = self._owner
        self._kernel_init = from_argument(kernel_initializer, "kernel_initializer", owner, None)
        self._bias_init = from_argument(bias_initializer, "bias_initializer", owner, None)

    def _variables(self, input_depth: int) -> list:
        H = self._num_units
        kernel = self._kernel_init or glorot_uniform
        return [
            ("gates/kernel", (input_depth + H, 2 * H), kernel),
            ("gates/bias", (2 * H,), self._bias_init or ones),
            ("candidate/kernel", (input_depth + H, H), kernel),
            ("candidate/bias", (H,), self._bias_init or zeros),
        ]

    def call(self, inputs: tf.Tensor, state: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        p = self._params
        h_prev = state
        x_h = tf.concat([inputs, h_prev], axis=1)  # (B, D) + (B, H) -> (B, D + H)
        z_g = x_h @ p["gates/kernel"] + p["gates/bias"]  # (B, D + H) @ (D + H, 2H) -> (B, 2H)
        r, u = tf.split(sigmoid(z_g), 2, axis=1)  # (B, 2H) -> 2 x (B, H)
        x_rh = tf.concat([inputs, r * h_prev], axis=1)  # (B, D) + (B, H) -> (B, D + H)
        z_c = x_rh @ p["candidate/kernel"] + p["candidate/bias"]  # (B, D + H) @ (D + H, H)
        c = self._activation(z_c)
        new_h = u * h_prev + (1 - u) * c
        return new_h, new_h


class _LSTMState(RNNCell):
    """The two LSTMs' state: ``LSTMStateTuple(c, h)``, or ``[c, h]`` concatenated."""

    _num_units: int
    _state_is_tuple: bool

    def _h_size(self) -> int:
        return self._num_units

    @property
    def state_size(self) -> Any:
        H, h_size = self._num_units, self._h_size()
        return LSTMStateTuple(H, h_size) if self._state_is_tuple else H + h_size

    @property
    def output_size(self) -> int:
        return self._h_size()

    def _unpack(self, state: Any) -> tuple[tf.Tensor, tf.Tensor]:
        if self._state_is_tuple:
            return state
        return state[:, : self._num_units], state[:, self._num_units :]  # [B, H + h] -> c, h

    def _pack(self, c: tf.Tensor, h: tf.Tensor) -> Any:
        return LSTMStateTuple(c, h) if self._state_is_tuple else tf.concat([c, h], axis=1)


class BasicLSTMCell(_LSTMState):
    """Long short-term memory (Hochreiter & Schmidhuber 1997), TF1's basic form.

        i, j, f, o = split([x, h_prev] @ W + b, 4)       TF's gate order fixes W's layout
        new_c = c_prev * sigmoid(f + forget_bias) + sigmoid(i) * act(j)
        new_h = act(new_c) * sigmoid(o)

    ``forget_bias`` is added inside the sigmoid so a new cell starts by remembering.
    inputs: [B, D]; state: LSTMStateTuple(c [B, H], h [B, H]) (or [B, 2H]); output: h.
    """

    def __init__(
        self,
        num_units: int,
        forget_bias: float = 1.0,
        state_is_tuple: bool = True,
        activation: Activation | str | None = None,
        reuse: Any = None,
        name: str | None = None,
        dtype: Any = None,
        *,
        seed: int | None = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype, reuse=reuse, seed=seed)
        self._num_units = validation.positive_int(num_units, "num_units", self._owner)
        self._forget_bias = validation.finite_float(forget_bias, "forget_bias", self._owner)
        self._state_is_tuple = validation.boolean(state_is_tuple, "state_is_tuple", self._owner)
        self._activation = _activation(activation, self._owner)

    def _variables(self, input_depth: int) -> list:
        H = self._num_units
        return [("kernel", (input_depth + H, 4 * H), glorot_uniform), ("bias", (4 * H,), zeros)]

    def call(self, inputs: tf.Tensor, state: Any) -> tuple[tf.Tensor, Any]:
        W, b = self._params["kernel"], self._params["bias"]
        act = self._activation
        c_prev, h_prev = self._unpack(state)
        x_h = tf.concat([inputs, h_prev], axis=1)  # (B, D) + (B, H) -> (B, D + H)
        z = x_h @ W + b  # (B, D + H) @ (D + H, 4H) -> (B, 4H)
        i, j, f, o = tf.split(z, 4, axis=1)  # (B, 4H) -> 4 x (B, H)
        new_c = c_prev * sigmoid(f + self._forget_bias) + sigmoid(i) * act(j)
        new_h = act(new_c) * sigmoid(o)
        return new_h, self._pack(new_c, new_h)


class LSTMCell(_LSTMState):
    """TF1's full LSTM: optional peepholes, cell clipping and a projection of the output.

        i, j, f, o = split([x, m_prev] @ W + b, 4)
        c = sigmoid(f + forget_bias + w_f_diag * c_prev) * c_prev
            + sigmoid(i + w_i_diag * c_prev) * act(j)     peepholes (Gers et al. 2000)
        c = clip(c, -cell_clip, cell_clip)
        m = sigmoid(o + w_o_diag * c) * act(c)            the o peephole sees the new c
        m = clip(m @ W_proj, -proj_clip, proj_clip)       projection (Sak et al. 2014)

    Peephole terms are present only with ``use_peepholes``, clips only when given, and the
    projection only with ``num_proj`` (P); ``proj_clip`` applies after the projection.
    inputs: [B, D]; state: LSTMStateTuple(c [B, H], m [B, P or H]); output: m.
    """

    def __init__(
        self,
        num_units: int,
        use_peepholes: bool = False,
        cell_clip: float | None = None,
        initializer: Any = None,
        num_proj: int | None = None,
        proj_clip: float | None = None,
        num_unit_shards: int | None = None,
        num_proj_shards: int | None = None,
        forget_bias: float = 1.0,
        state_is_tuple: bool = True,
        activation: Activation | str | None = None,
        reuse: Any = None,
        name: str | None = None,
        dtype: Any = None,
        *,
        seed: int | None = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype, reuse=reuse, seed=seed)
        owner = self._owner
        self._num_units = validation.positive_int(num_units, "num_units", owner)
        self._use_peepholes = validation.boolean(use_peepholes, "use_peepholes", owner)
        self._cell_clip = validation.clip_or_none(cell_clip, "cell_clip", owner)
        self._initializer = from_argument(initializer, "initializer", owner, glorot_uniform)
        self._num_proj = validation.positive_int_or_none(num_proj, "num_proj", owner)
        self._proj_clip = validation.clip_or_none(proj_clip, "proj_clip", owner)
        validation.positive_int_or_none(num_unit_shards, "num_unit_shards", owner)
        validation.positive_int_or_none(num_proj_shards, "num_proj_shards", owner)
        self._forget_bias = validation.finite_float(forget_bias, "forget_bias", owner)
        self._state_is_tuple = validation.boolean(state_is_tuple, "state_is_tuple", owner)
        self._activation = _activation(activation, owner)

    def _h_size(self) -> int:
        return self._num_proj or self._num_units

    def _variables(self, input_depth: int) -> list:
        H, h_size = self._num_units, self._h_size()
        init = self._initializer  # TF1's for the kernel, the peepholes and the projection
        variables = [("kernel", (input_depth + h_size, 4 * H), init), ("bias", (4 * H,), zeros)]
        if self._use_peepholes:
            peepholes = ("w_f_diag", "w_i_diag", "w_o_diag")
            variables += [(name, (H,), init) for name in peepholes]
        if self._num_proj is not None:
            variables.append(("projection/kernel", (H, self._num_proj), init))
        return variables

    def call(self, inputs: tf.Tensor, state: Any) -> tuple[tf.Tensor, Any]:
        p, act = self._params, self._activation
        c_prev, m_prev = self._unpack(state)
        x_m = tf.concat([inputs, m_prev], axis=1)  # (B, D) + (B, P) -> (B, D + P)
        z = x_m @ p["kernel"] + p["bias"]  # (B, D + P) @ (D + P, 4H) -> (B, 4H)
        i, j, f, o = tf.split(z, 4, axis=1)  # (B, 4H) -> 4 x (B, H)
        if self._use_peepholes:
            i = i + p["w_i_diag"] * c_prev
            f = f + p["w_f_diag"] * c_prev
        c = sigmoid(f + self._forget_bias) * c_prev + sigmoid(i) * act(j)
        if self._cell_clip is not None:
            c = tf.clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            o = o + p["w_o_diag"] * c
        m = sigmoid(o) * act(c)
        if self._num_proj is not None:
            m = m @ p["projection/kernel"]  # (B, H) @ (H, P) -> (B, P)
            if self._proj_clip is not None:
                m = tf.clip_by_value(m, -self._proj_clip, self._proj_clip)
        return m, self._pack(c, m)
