"""The four cells of TF1's ``rnn_cell_impl``: one time step each, written as the equations.

Each cell's kernel stacks the input rows over the recurrent rows, W = [W_x; W_h], as
TF1 stores it, so ``[x, h] @ W = x @ W_x + h @ W_h``. The cells compute the input term
``x @ W_x + b`` and the step that adds the recurrent term separately: a single call
does both, and ``dynamic_rnn`` computes the input term for all time steps in one
matrix product before the loop (the step then costs only ``h @ W_h``).

Backpropagation mirrors that split. ``_step`` records its intermediate values in a tape
when given one, and ``_step_backward``, written right under it, turns the gradients of
the step's output and new state into the gradients of the input term, of the previous
state and of the step's other weights (peepholes, projection). ``_input_term_backward``
then gives the inputs', kernels' and biases' gradients, for one step or, in
``dynamic_rnn_backward``, for all time steps in one matrix product. Write a gradient as
``d_x`` = dL/dx for the loss L.
"""

from collections.abc import Callable
from typing import Any

import numpy as np

from rnnref import structure, validation
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


class _LinearInputCell(RNNCell):
    """A cell whose inputs enter only through ``x @ W_x + b``: ``call = _step(_input_term(x))``.

    ``_linears`` names, for each part of the input term, its kernel, its bias and the tape
    entry its recurrent product multiplies: the part's pre-activation is
    ``x @ W_x + b + tape[entry] @ W_h``, with kernel W = [W_x; W_h]. Backward uses that
    pairing to turn each part's gradient into the gradients of x, W and b.
    """

    _linears: tuple = (("kernel", "bias", "h_prev"),)

    def _input_term(self, inputs: np.ndarray) -> Any:
        """inputs: [N, D] -> the inputs' share of the pre-activations, [N, k] (or a tuple)."""
        raise NotImplementedError

    def _step(self, input_term: Any, state: Any, tape: dict | None = None) -> tuple:
        """Add the recurrent term to ``input_term`` and apply the cell's equations.

        With a ``tape`` dict, also records the values ``_step_backward`` needs.
        """
        raise NotImplementedError

    def _step_backward(self, tape: dict, d_output: np.ndarray, d_state: Any) -> tuple:
        """d_output [B, output_size], d_state (like the new state) -> (d_input_term like
        ``_input_term``'s result, d_state of the previous state, {weight name: gradient} for
        the weights the step uses other than the kernels and biases)."""
        raise NotImplementedError

    def call(self, inputs: np.ndarray, state: Any, tape: dict | None = None) -> tuple:
        if tape is not None:
            tape["inputs"] = inputs
        return self._step(self._input_term(inputs), state, tape)

    def _backward(self, tape: dict, d_output: np.ndarray, d_state: Any) -> tuple:
        d_input_term, d_state_prev, grads = self._step_backward(tape, d_output, d_state)
        recurrent_inputs = [tape[entry] for _, _, entry in self._linears]
        d_inputs = self._input_term_backward(tape["inputs"], recurrent_inputs, d_input_term, grads)
        return d_inputs, d_state_prev, [grads[name] for name in self._params]

    def _input_term_backward(
        self, inputs: np.ndarray, recurrent_inputs: list, d_input_term: Any, grads: dict
    ) -> np.ndarray:
        """Gradients through the linear maps, for N rows at once: one step (N = B) or all
        steps of an unroll (N = T*B), where the sums over rows become one matrix product.

        inputs: [N, D]; recurrent_inputs: one [N, H] per part of the input term, the values
        each W_h multiplied; d_input_term: like ``_input_term``'s result, [N, k] per part.
        Stores each kernel's and bias's gradient in ``grads``; returns d_inputs [N, D].
        """
        d_inputs = 0
        parts = zip(self._linears, recurrent_inputs, structure.flatten(d_input_term), strict=True)
        for (kernel, bias, _), recurrent, d_z in parts:
            W_x, _ = self._split_kernel(kernel)
            d_inputs = d_inputs + d_z @ W_x.T  # [N, k] @ [k, D]
            # z = x @ W_x + h @ W_h + b, so dW = [x^T d_z; h^T d_z] in W's stacked layout.
            grads[kernel] = np.concatenate([inputs.T @ d_z, recurrent.T @ d_z])  # [D + H, k]
            grads[bias] = d_z.sum(axis=0)
        return d_inputs

    def _split_kernel(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """W = [W_x; W_h] -> (W_x [D, k], W_h [H, k])."""
        kernel = self._params[name]
        return kernel[: self._input_depth], kernel[self._input_depth :]


class _OutputIsStateCell(_LinearInputCell):
    """A cell whose output is its new state, [B, H]: ``BasicRNNCell`` and ``GRUCell``."""

    _num_units: int

    @property
    def state_size(self) -> int:
        return self._num_units

    @property
    def output_size(self) -> int:
        return self._num_units


class BasicRNNCell(_OutputIsStateCell):
    """The basic (Elman) RNN cell:  h_t = act([x_t, h_{t-1}] @ W + b).

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

    def _input_term(self, inputs: np.ndarray) -> np.ndarray:
        W_x, _ = self._split_kernel("kernel")
        return inputs @ W_x + self._params["bias"]

    def _step(
        self, input_term: np.ndarray, state: np.ndarray, tape: dict | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        _, W_h = self._split_kernel("kernel")
        h_prev = state
        new_h = self._activation(input_term + h_prev @ W_h)
        if tape is not None:
            tape.update(h_prev=h_prev, new_h=new_h)
        return new_h, new_h

    def _step_backward(self, tape: dict, d_output: np.ndarray, d_state: np.ndarray) -> tuple:
        _, W_h = self._split_kernel("kernel")
        d_new_h = d_output + d_state  # the output is the new state: both paths add up
        d_z = d_new_h * _derivative(self._activation, self._owner)(tape["new_h"])  # [B, H]
        return d_z, d_z @ W_h.T, {}  # z = input_term + h_prev @ W_h


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

    def _input_term(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        W_gx, _ = self._split_kernel("gates/kernel")
        W_cx, _ = self._split_kernel("candidate/kernel")
        gates_x = inputs @ W_gx + self._params["gates/bias"]  # [N, 2H]
        candidate_x = inputs @ W_cx + self._params["candidate/bias"]  # [N, H]
        return gates_x, candidate_x

    _linears = (
        ("gates/kernel", "gates/bias", "h_prev"),
        ("candidate/kernel", "candidate/bias", "r_h_prev"),
    )

    def _step(
        self, input_term: tuple, state: np.ndarray, tape: dict | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        _, W_gh = self._split_kernel("gates/kernel")
        _, W_ch = self._split_kernel("candidate/kernel")
        gates_x, candidate_x = input_term
        h_prev = state
        r, u = np.split(sigmoid(gates_x + h_prev @ W_gh), 2, axis=1)  # [B, 2H] -> 2 x [B, H]
        r_h_prev = r * h_prev  # the reset gate scales h_prev before the candidate's product
        c = self._activation(candidate_x + r_h_prev @ W_ch)
        new_h = u * h_prev + (1 - u) * c
        if tape is not None:
            tape.update(h_prev=h_prev, r=r, u=u, r_h_prev=r_h_prev, c=c)
        return new_h, new_h

    def _step_backward(self, tape: dict, d_output: np.ndarray, d_state: np.ndarray) -> tuple:
        _, W_gh = self._split_kernel("gates/kernel")
        _, W_ch = self._split_kernel("candidate/kernel")
        h_prev, r, u, c = tape["h_prev"], tape["r"], tape["u"], tape["c"]
        d_new_h = d_output + d_state  # the output is the new state: both paths add up
        # new_h = u * h_prev + (1 - u) * c
        d_u = d_new_h * (h_prev - c)
        d_c = d_new_h * (1 - u)
        d_h_prev = d_new_h * u
        # c = act(candidate_x + r_h_prev @ W_ch)
        d_candidate = d_c * _derivative(self._activation, self._owner)(c)  # [B, H]
        d_r_h_prev = d_candidate @ W_ch.T
        d_r = d_r_h_prev * h_prev
        d_h_prev = d_h_prev + d_r_h_prev * r
        # r, u = sigmoid(gates_x + h_prev @ W_gh)
        d_gates = np.concatenate([d_r * r * (1 - r), d_u * u * (1 - u)], axis=1)  # [B, 2H]
        d_h_prev = d_h_prev + d_gates @ W_gh.T
        return (d_gates, d_candidate), d_h_prev, {}


class _LSTMState(_LinearInputCell):
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

    def _input_term(self, inputs: np.ndarray) -> np.ndarray:
        W_x, _ = self._split_kernel("kernel")
        return inputs @ W_x + self._params["bias"]

    def _step(self, input_term: np.ndarray, state: Any, tape: dict | None = None) -> tuple:
        _, W_h = self._split_kernel("kernel")
        c_prev, h_prev = self._unpack(state)
        i, j, f, o = np.split(input_term + h_prev @ W_h, 4, axis=1)  # [B, 4H] -> 4 x [B, H]
        sig_i, act_j, sig_f = sigmoid(i), self._activation(j), sigmoid(f + self._forget_bias)
        new_c = c_prev * sig_f + sig_i * act_j
        act_c, sig_o = self._activation(new_c), sigmoid(o)
        new_h = act_c * sig_o
        if tape is not None:
            tape.update(
                c_prev=c_prev, h_prev=h_prev, sig_i=sig_i, act_j=act_j, sig_f=sig_f,
                act_c=act_c, sig_o=sig_o,
            )  # fmt: skip
        return new_h, self._pack(new_c, new_h)

    def _step_backward(self, tape: dict, d_output: np.ndarray, d_state: Any) -> tuple:
        _, W_h = self._split_kernel("kernel")
        act_grad = _derivative(self._activation, self._owner)
        c_prev, sig_i, act_j, sig_f = tape["c_prev"], tape["sig_i"], tape["act_j"], tape["sig_f"]
        act_c, sig_o = tape["act_c"], tape["sig_o"]
        d_new_c, d_new_h = self._unpack(d_state)
        d_new_h = d_new_h + d_output  # the output is the new h: both paths add up
        # new_h = act(new_c) * sig_o
        d_o = d_new_h * act_c * sig_o * (1 - sig_o)
        d_new_c = d_new_c + d_new_h * sig_o * act_grad(act_c)
        # new_c = c_prev * sig_f + sig_i * act_j
        d_i = d_new_c * act_j * sig_i * (1 - sig_i)
        d_j = d_new_c * sig_i * act_grad(act_j)
        d_f = d_new_c * c_prev * sig_f * (1 - sig_f)
        d_c_prev = d_new_c * sig_f
        d_z = np.concatenate([d_i, d_j, d_f, d_o], axis=1)  # 4 x [B, H] -> [B, 4H]
        return d_z, self._pack(d_c_prev, d_z @ W_h.T), {}  # z = input_term + h_prev @ W_h


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

    def _input_term(self, inputs: np.ndarray) -> np.ndarray:
        W_x, _ = self._split_kernel("kernel")
        return inputs @ W_x + self._params["bias"]

    _linears = (("kernel", "bias", "m_prev"),)

    def _step(self, input_term: np.ndarray, state: Any, tape: dict | None = None) -> tuple:
        _, W_h = self._split_kernel("kernel")
        p = self._params
        c_prev, m_prev = self._unpack(state)
        i, j, f, o = np.split(input_term + m_prev @ W_h, 4, axis=1)  # [B, 4H] -> 4 x [B, H]
        if self._use_peepholes:
            i = i + p["w_i_diag"] * c_prev
            f = f + p["w_f_diag"] * c_prev
        sig_i, act_j, sig_f = sigmoid(i), self._activation(j), sigmoid(f + self._forget_bias)
        c = sig_f * c_prev + sig_i * act_j
        if self._cell_clip is not None:
            c = _clip(c, self._cell_clip, tape, "c_passes")
        if self._use_peepholes:
            o = o + p["w_o_diag"] * c
        sig_o, act_c = sigmoid(o), self._activation(c)
        m = sig_o * act_c
        if tape is not None:
            tape.update(
                c_prev=c_prev, m_prev=m_prev, sig_i=sig_i, act_j=act_j, sig_f=sig_f, c=c,
                sig_o=sig_o, act_c=act_c, m=m,
            )  # fmt: skip
        if self._num_proj is not None:
            m = m @ p["projection/kernel"]  # [B, H] -> [B, P]
            if self._proj_clip is not None:
                m = _clip(m, self._proj_clip, tape, "m_passes")
        return m, self._pack(c, m)

    def _step_backward(self, tape: dict, d_output: np.ndarray, d_state: Any) -> tuple:
        _, W_h = self._split_kernel("kernel")
        p, grads = self._params, {}
        act_grad = _derivative(self._activation, self._owner)
        c_prev, sig_i, act_j, sig_f = tape["c_prev"], tape["sig_i"], tape["act_j"], tape["sig_f"]
        c, sig_o, act_c = tape["c"], tape["sig_o"], tape["act_c"]
        d_c, d_m = self._unpack(d_state)
        d_m = d_m + d_output  # the output is the new m: both paths add up
        if self._num_proj is not None:
            if self._proj_clip is not None:
                d_m = d_m * tape["m_passes"]
            grads["projection/kernel"] = tape["m"].T @ d_m  # [H, B] @ [B, P]
            d_m = d_m @ p["projection/kernel"].T  # [B, P] -> [B, H]
        # m = sig_o * act(c), with the o peephole reading c
        d_o = d_m * act_c * sig_o * (1 - sig_o)
        d_c = d_c + d_m * sig_o * act_grad(act_c)
        if self._use_peepholes:
            d_c = d_c + d_o * p["w_o_diag"]
            grads["w_o_diag"] = (d_o * c).sum(axis=0)
        if self._cell_clip is not None:
            d_c = d_c * tape["c_passes"]
        # c = sig_f * c_prev + sig_i * act_j, with the i and f peepholes reading c_prev
        d_i = d_c * act_j * sig_i * (1 - sig_i)
        d_j = d_c * sig_i * act_grad(act_j)
        d_f = d_c * c_prev * sig_f * (1 - sig_f)
        d_c_prev = d_c * sig_f
        if self._use_peepholes:
            d_c_prev = d_c_prev + d_i * p["w_i_diag"] + d_f * p["w_f_diag"]
            grads["w_i_diag"] = (d_i * c_prev).sum(axis=0)
            grads["w_f_diag"] = (d_f * c_prev).sum(axis=0)
        d_z = np.concatenate([d_i, d_j, d_f, d_o], axis=1)  # 4 x [B, H] -> [B, 4H]
        return d_z, self._pack(d_c_prev, d_z @ W_h.T), grads  # z = input_term + m_prev @ W_h
