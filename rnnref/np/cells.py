"""The four cells of TF1's ``rnn_cell_impl``: one time step each, written as the equations.

Each ``call`` is TF1's equations, one statement per line: the inputs and the previous
state are concatenated, ``z = [x, h_prev] @ W + b`` (the kernel W stacks the input rows
over the recurrent rows, as TF1 stores it), ``z`` is split into the gates, and the gates
make the new state. With a ``tape`` dict, ``call`` records the values its backward needs.

``_backward``, written right under each ``call``, runs the same equations in reverse
order: from the gradients of the step's output and new state to those of the inputs,
the previous state and every weight. Write a gradient as ``d_x`` = dL/dx for a loss L.
The backward recomputes the gates' activations from the recorded pre-activations
(cheap next to the matrix products), so the forward stays one line per equation.

``dynamic_rnn`` runs these cells through a faster unroll, ``rnnref.np.fused``, that
computes the same equations; tests prove the two equal.
"""

from collections.abc import Callable
from typing import Any

import numpy as np

from rnnref import validation
from rnnref.np.base import RNNCell
from rnnref.np.initializers import from_argument, glorot_uniform, ones, zeros
from rnnref.structure import LSTMStateTuple

Activation = Callable[[np.ndarray], np.ndarray]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), computed as 0.5 * (1 + tanh(x / 2)): equal, and never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _derivative(activation: Activation, owner: str) -> Callable[[np.ndarray], np.ndarray]:
    """act'(x) as a function of y = act(x), so backward needs only the recorded outputs.

    tanh' = 1 - y^2 and sigmoid' = y (1 - y); other activations have no backward here.
    """
    if activation is np.tanh:
        return lambda y: 1 - y * y
    if activation is sigmoid:
        return lambda y: y * (1 - y)
    raise TypeError(
        f"{owner}'s backward pass knows the derivatives of np.tanh and rnnref's sigmoid. "
        f"Received: activation={activation!r}. Use the default activation (np.tanh) to "
        "compute gradients."
    )


def _clip(x: np.ndarray, bound: float, tape: dict | None, name: str) -> np.ndarray:
    """clip(x, -bound, bound); with a tape, records in ``tape[name]`` where gradients pass.

    As ``tf.clip_by_value``: the gradient is 1 where -bound <= x <= bound and 0 where the
    clip is active.
    """
    if tape is not None:
        tape[name] = np.abs(x) <= bound
    return np.clip(x, -bound, bound)


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0)


def linear(x: np.ndarray) -> np.ndarray:
    return x


ACTIVATIONS = {"tanh": np.tanh, "sigmoid": sigmoid, "relu": relu, "linear": linear}


def _activation(value: Any, owner: str) -> Activation:
    """``activation=`` as a function: TF1's tanh for None, a Keras name looked up."""
    return validation.activation(value, owner, ACTIVATIONS) or np.tanh


def _linear_backward(
    x_h: np.ndarray, kernel: np.ndarray, d_z: np.ndarray, input_depth: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gradients through ``z = [x, h] @ W + b``, the product every cell starts from.

    x_h: [B, D + H] (the concatenated inputs); kernel W: [D + H, k]; d_z: [B, k].
    Returns (d_x [B, D], d_h [B, H], d_W [D + H, k], d_b [k]).
    """
    d_x_h = d_z @ kernel.T  # (B, k) @ (k, D + H) -> (B, D + H)
    d_x, d_h = np.split(d_x_h, [input_depth], axis=1)  # (B, D + H) -> (B, D), (B, H)
    d_kernel = x_h.T @ d_z  # (D + H, B) @ (B, k) -> (D + H, k)
    d_bias = d_z.sum(axis=0)  # every row added the same b
    return d_x, d_h, d_kernel, d_bias


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

    def call(self, inputs: np.ndarray, state: np.ndarray, tape: dict | None = None) -> tuple:
        W, b = self._params["kernel"], self._params["bias"]
        h_prev = state
        x_h = np.concatenate([inputs, h_prev], axis=1)  # (B, D) + (B, H) -> (B, D + H)
        new_h = self._activation(x_h @ W + b)  # (B, D + H) @ (D + H, H) -> (B, H)
        if tape is not None:
            tape.update(x_h=x_h, new_h=new_h)
        return new_h, new_h

    def _backward(self, tape: dict, d_output: np.ndarray, d_state: np.ndarray) -> tuple:
        act_grad = _derivative(self._activation, self._owner)
        x_h, new_h = tape["x_h"], tape["new_h"]
        d_new_h = d_output + d_state  # the output is the new state: both paths add up
        # new_h = act(z)
        d_z = d_new_h * act_grad(new_h)
        # z = [x, h_prev] @ W + b
        d_inputs, d_h_prev, d_W, d_b = _linear_backward(
            x_h, self._params["kernel"], d_z, self._input_depth
        )
        return d_inputs, d_h_prev, [d_W, d_b]


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

    def call(self, inputs: np.ndarray, state: np.ndarray, tape: dict | None = None) -> tuple:
        p = self._params
        h_prev = state
        x_h = np.concatenate([inputs, h_prev], axis=1)  # (B, D) + (B, H) -> (B, D + H)
        z_g = x_h @ p["gates/kernel"] + p["gates/bias"]  # (B, D + H) @ (D + H, 2H) -> (B, 2H)
        r, u = np.split(sigmoid(z_g), 2, axis=1)  # (B, 2H) -> 2 x (B, H)
        x_rh = np.concatenate([inputs, r * h_prev], axis=1)  # (B, D) + (B, H) -> (B, D + H)
        z_c = x_rh @ p["candidate/kernel"] + p["candidate/bias"]  # (B, D + H) @ (D + H, H)
        c = self._activation(z_c)
        new_h = u * h_prev + (1 - u) * c
        if tape is not None:
            tape.update(x_h=x_h, r=r, u=u, x_rh=x_rh, c=c)
        return new_h, new_h

    def _backward(self, tape: dict, d_output: np.ndarray, d_state: np.ndarray) -> tuple:
        act_grad = _derivative(self._activation, self._owner)
        D, p = self._input_depth, self._params
        x_h, r, u, x_rh, c = tape["x_h"], tape["r"], tape["u"], tape["x_rh"], tape["c"]
        h_prev = x_h[:, D:]  # (B, D + H) -> (B, H)
        d_new_h = d_output + d_state  # the output is the new state: both paths add up
        # new_h = u * h_prev + (1 - u) * c
        d_u = d_new_h * (h_prev - c)
        d_c = d_new_h * (1 - u)
        d_h_prev = d_new_h * u
        # c = act(z_c);  z_c = [x, r * h_prev] @ W_c + b_c
        d_z_c = d_c * act_grad(c)
        d_inputs, d_r_h_prev, d_W_c, d_b_c = _linear_backward(x_rh, p["candidate/kernel"], d_z_c, D)
        d_r = d_r_h_prev * h_prev
        d_h_prev = d_h_prev + d_r_h_prev * r
        # r, u = sigmoid(z_g);  z_g = [x, h_prev] @ W_g + b_g
        d_z_g = np.concatenate([d_r * r * (1 - r), d_u * u * (1 - u)], axis=1)  # -> (B, 2H)
        d_inputs_g, d_h_prev_g, d_W_g, d_b_g = _linear_backward(x_h, p["gates/kernel"], d_z_g, D)
        d_inputs = d_inputs + d_inputs_g
        d_h_prev = d_h_prev + d_h_prev_g
        return d_inputs, d_h_prev, [d_W_g, d_b_g, d_W_c, d_b_c]


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

    def _unpack(self, state: Any) -> tuple[np.ndarray, np.ndarray]:
        if self._state_is_tuple:
            return state
        return state[:, : self._num_units], state[:, self._num_units :]  # [B, H + h] -> c, h

    def _pack(self, c: np.ndarray, h: np.ndarray) -> Any:
        return LSTMStateTuple(c, h) if self._state_is_tuple else np.concatenate([c, h], axis=1)


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

    def call(self, inputs: np.ndarray, state: Any, tape: dict | None = None) -> tuple:
        W, b = self._params["kernel"], self._params["bias"]
        act = self._activation
        c_prev, h_prev = self._unpack(state)
        x_h = np.concatenate([inputs, h_prev], axis=1)  # (B, D) + (B, H) -> (B, D + H)
        z = x_h @ W + b  # (B, D + H) @ (D + H, 4H) -> (B, 4H)
        i, j, f, o = np.split(z, 4, axis=1)  # (B, 4H) -> 4 x (B, H)
        new_c = c_prev * sigmoid(f + self._forget_bias) + sigmoid(i) * act(j)
        new_h = act(new_c) * sigmoid(o)
        if tape is not None:
            tape.update(x_h=x_h, c_prev=c_prev, i=i, j=j, f=f, o=o, new_c=new_c)
        return new_h, self._pack(new_c, new_h)

    def _backward(self, tape: dict, d_output: np.ndarray, d_state: Any) -> tuple:
        act, act_grad = self._activation, _derivative(self._activation, self._owner)
        x_h, c_prev, new_c = tape["x_h"], tape["c_prev"], tape["new_c"]
        # The forward's activations again, from the pre-activations i, j, f, o.
        sig_i, act_j, sig_o = sigmoid(tape["i"]), act(tape["j"]), sigmoid(tape["o"])
        sig_f, act_c = sigmoid(tape["f"] + self._forget_bias), act(new_c)
        d_new_c, d_new_h = self._unpack(d_state)
        d_new_h = d_new_h + d_output  # the output is the new h: both paths add up
        # new_h = act(new_c) * sigmoid(o)
        d_o = d_new_h * act_c * sig_o * (1 - sig_o)
        d_new_c = d_new_c + d_new_h * sig_o * act_grad(act_c)
        # new_c = c_prev * sigmoid(f + forget_bias) + sigmoid(i) * act(j)
        d_i = d_new_c * act_j * sig_i * (1 - sig_i)
        d_j = d_new_c * sig_i * act_grad(act_j)
        d_f = d_new_c * c_prev * sig_f * (1 - sig_f)
        d_c_prev = d_new_c * sig_f
        # i, j, f, o = split(z, 4);  z = [x, h_prev] @ W + b
        d_z = np.concatenate([d_i, d_j, d_f, d_o], axis=1)  # 4 x (B, H) -> (B, 4H)
        d_inputs, d_h_prev, d_W, d_b = _linear_backward(
            x_h, self._params["kernel"], d_z, self._input_depth
        )
        return d_inputs, self._pack(d_c_prev, d_h_prev), [d_W, d_b]


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

    def call(self, inputs: np.ndarray, state: Any, tape: dict | None = None) -> tuple:
        p, act = self._params, self._activation
        c_prev, m_prev = self._unpack(state)
        x_m = np.concatenate([inputs, m_prev], axis=1)  # (B, D) + (B, P) -> (B, D + P)
        z = x_m @ p["kernel"] + p["bias"]  # (B, D + P) @ (D + P, 4H) -> (B, 4H)
        i, j, f, o = np.split(z, 4, axis=1)  # (B, 4H) -> 4 x (B, H)
        if self._use_peepholes:
            i = i + p["w_i_diag"] * c_prev
            f = f + p["w_f_diag"] * c_prev
        c = sigmoid(f + self._forget_bias) * c_prev + sigmoid(i) * act(j)
        if self._cell_clip is not None:
            c = _clip(c, self._cell_clip, tape, "c_passes")
        if self._use_peepholes:
            o = o + p["w_o_diag"] * c
        m = sigmoid(o) * act(c)
        if tape is not None:
            tape.update(x_m=x_m, c_prev=c_prev, i=i, j=j, f=f, o=o, c=c, m=m)
        if self._num_proj is not None:
            m = m @ p["projection/kernel"]  # (B, H) @ (H, P) -> (B, P)
            if self._proj_clip is not None:
                m = _clip(m, self._proj_clip, tape, "m_passes")
        return m, self._pack(c, m)

    def _backward(self, tape: dict, d_output: np.ndarray, d_state: Any) -> tuple:
        p, grads = self._params, {}
        act, act_grad = self._activation, _derivative(self._activation, self._owner)
        x_m, c_prev, c = tape["x_m"], tape["c_prev"], tape["c"]
        # The forward's activations again, from the pre-activations i, j, f, o.
        sig_i, act_j, sig_o = sigmoid(tape["i"]), act(tape["j"]), sigmoid(tape["o"])
        sig_f, act_c = sigmoid(tape["f"] + self._forget_bias), act(c)
        d_c, d_m = self._unpack(d_state)
        d_m = d_m + d_output  # the output is the new m: both paths add up
        if self._num_proj is not None:
            # m = clip(m @ W_proj, -proj_clip, proj_clip)
            if self._proj_clip is not None:
                d_m = d_m * tape["m_passes"]
            grads["projection/kernel"] = tape["m"].T @ d_m  # (H, B) @ (B, P) -> (H, P)
            d_m = d_m @ p["projection/kernel"].T  # (B, P) @ (P, H) -> (B, H)
        # m = sigmoid(o) * act(c), with o = o + w_o_diag * c
        d_o = d_m * act_c * sig_o * (1 - sig_o)
        d_c = d_c + d_m * sig_o * act_grad(act_c)
        if self._use_peepholes:
            d_c = d_c + d_o * p["w_o_diag"]
            grads["w_o_diag"] = (d_o * c).sum(axis=0)
        if self._cell_clip is not None:
            # c = clip(c, -cell_clip, cell_clip)
            d_c = d_c * tape["c_passes"]
        # c = sigmoid(f + forget_bias) * c_prev + sigmoid(i) * act(j), with the i and f
        # peepholes i = i + w_i_diag * c_prev and f = f + w_f_diag * c_prev
        d_i = d_c * act_j * sig_i * (1 - sig_i)
        d_j = d_c * sig_i * act_grad(act_j)
        d_f = d_c * c_prev * sig_f * (1 - sig_f)
        d_c_prev = d_c * sig_f
        if self._use_peepholes:
            d_c_prev = d_c_prev + d_i * p["w_i_diag"] + d_f * p["w_f_diag"]
            grads["w_i_diag"] = (d_i * c_prev).sum(axis=0)
            grads["w_f_diag"] = (d_f * c_prev).sum(axis=0)
        # i, j, f, o = split(z, 4);  z = [x, m_prev] @ W + b
        d_z = np.concatenate([d_i, d_j, d_f, d_o], axis=1)  # 4 x (B, H) -> (B, 4H)
        d_inputs, d_m_prev, grads["kernel"], grads["bias"] = _linear_backward(
            x_m, p["kernel"], d_z, self._input_depth
        )
        return d_inputs, self._pack(d_c_prev, d_m_prev), [grads[name] for name in p]
