"""The fused unroll: ``rnnref.np.cells``' equations over all time steps, computed faster.

``dynamic_rnn`` (and ``static_rnn``, ``bidirectional_dynamic_rnn`` and their forward and
backward passes) runs a cell through here when ``supports(cell, inputs)``: the cell is
exactly a ``BasicRNNCell``, ``GRUCell``, ``BasicLSTMCell`` or ``LSTMCell`` (with any of
their options: peepholes, clips, projection, either state layout) with the default tanh
activation, and the inputs are one float array with at least one time step. Everything
else (wrappers, stacks, subclasses, other activations, a user's cell, zero steps) runs the
plain loop: one ``cell(x, state)`` per step, one ``cell.backward`` per step back.

Four things make it faster; none changes the equations:

- the input term ``x @ W_x + b`` of many steps is one matrix product, [S*B, D] @ [D, k],
  so a step multiplies only ``h_prev @ W_h`` (TF1 stores W = [W_x; W_h], so
  ``[x, h] @ W = x @ W_x + h @ W_h``);
- each step writes into buffers allocated once for the loop, with ``out=`` and in-place
  operators, instead of making a dozen fresh [B, H] temporaries. When backward will read
  them (a tape is kept), they hold every step: S = T, the input terms are computed before
  the loop. Without a tape (``dynamic_rnn``) they hold only what later steps read, reused
  through the loop: the input terms of S = ``_CHUNK`` steps at a time, the previous cell
  state. Writing every step into fresh memory instead made the LSTM and GRU forward 6 to
  13% slower (batch 64, 256 units, benchmarks/bench_np.py);
- the forward keeps each gate as its own contiguous [B, H] array (the weights split by
  gate, [gates, D, H], once per unroll), since elementwise operations on a column slice of
  [B, k] run several times slower; and the sigmoid gates' halving,
  ``sigmoid(a) = 0.5 * (1 + tanh(a / 2))`` as the cells compute it, is folded into their
  weights (and the LSTM's ``forget_bias`` into its bias), so one ``tanh`` activates several
  gates and a step makes fewer passes over them;
- backward sums the kernels' gradients over all steps in one matrix product, [D + H, T*B]
  @ [T*B, k], instead of one per step.

BLAS computes on as many threads as the caller lets it (``OPENBLAS_NUM_THREADS``,
``threadpoolctl``), as NumPy's products elsewhere do. On two free cores, two threads took
0.68 of one thread's time for the LSTM's forward and backward (210 against 310 ms, batch
64, 256 units; benchmarks/bench_np.py). With another program busy on one of the two cores,
one thread is faster: two took 1.7 times as long as Keras, one 0.84 times, as each step's
product waited until both threads had a core. The tests, the grading kernels and the
char-RNN trainer set one thread for that reason.

The buffers are the tape: backward reads the activated gates, the states and the clip
masks from them. The results equal the plain loop's within round-off: the two products
``x @ W_x + h @ W_h`` add the same D + H terms as ``[x, h] @ W`` in another order (halving
the weights halves every term exactly, a power of two), the forget bias joins the sum
earlier, GRU's ``u * h_prev + (1 - u) * c`` is computed as ``c + u * (h_prev - c)``, and
the gradients' sums over steps are grouped differently.
"""

from typing import Any

import numpy as np

from rnnref.np.base import RNNCell
from rnnref.np.cells import BasicLSTMCell, BasicRNNCell, GRUCell, LSTMCell


def supports(cell: RNNCell, inputs: Any) -> bool:
    """Whether ``dynamic_rnn`` runs ``cell`` over ``inputs`` [T, B, D] through this module."""
    return (
        type(cell) in _UNROLLS
        and cell._activation is np.tanh
        and isinstance(inputs, np.ndarray)
        and np.issubdtype(inputs.dtype, np.floating)
        and inputs.shape[0] > 0
    )


def unroll(
    cell: RNNCell, inputs: np.ndarray, state: Any, lengths: np.ndarray | None, tape: dict | None
) -> tuple[np.ndarray, Any]:
    """The cell over every step. inputs: [T, B, D]; state nested like ``cell.state_size``;
    lengths: [B] or None. Returns outputs [T, B, output_size] and the final state, as the
    plain loop does. With a ``tape`` dict, keeps in it the buffers ``unroll_backward`` reads.
    """
    cell._prepare(inputs[0], state)  # checks shapes and dtypes (and builds) once for all steps
    max_time, batch = inputs.shape[:2]
    dead = _dead_rows(lengths, max_time)
    x = inputs.reshape(max_time * batch, inputs.shape[2])  # (T, B, D) -> (T*B, D)
    forward, _ = _UNROLLS[type(cell)]
    hs, final_state, buffers = forward(cell, x, state, dead, max_time, batch, tape is not None)
    if dead is not None:
        outputs = np.where(dead, 0, hs[1:])  # rows past their length output 0
    else:
        outputs = hs[1:] if tape is None else hs[1:].copy()  # a copy: the tape keeps hs
    if tape is not None:
        tape["fused"] = dict(buffers, x=x, hs=hs, dead=dead)
    return outputs, final_state


def unroll_backward(tape: dict, d_outputs: np.ndarray, d_state: Any) -> tuple:
    """``unroll`` backwards. d_outputs: [T, B, output_size]; d_state: dL/d final state.
    Returns (d_inputs [T, B, D], dL/d initial state, d_weights like ``cell.weights``)."""
    cell, buffers = tape["cell"], tape["fused"]
    dead = buffers["dead"]
    if dead is not None:
        d_outputs = np.where(dead, 0, d_outputs)  # rows past their length output a constant 0
    _, backward = _UNROLLS[type(cell)]
    d_x, d_state, grads = backward(cell, buffers, d_outputs, d_state)
    d_inputs = d_x.reshape(tape["inputs"].shape)  # (T*B, D) -> (T, B, D)
    return d_inputs, d_state, [grads[name] for name in cell._params]


def _dead_rows(lengths: np.ndarray | None, max_time: int) -> np.ndarray | None:
    """[T, B, 1]: True where step t is past row b's length (the row keeps its state)."""
    if lengths is None:
        return None
    return (np.arange(max_time)[:, None] >= lengths)[..., None]


class _Carry:
    """Backward past a row's length: the state's gradient passes that step unchanged.

    ``set_aside`` keeps the gradients of the rows that are dead at step t and zeroes them,
    so the step adds nothing to the weights' gradients; ``restore`` puts them back as the
    gradients of the previous state.
    """

    def __init__(self, grads: tuple, dead: np.ndarray | None) -> None:
        self.grads, self.dead = grads, dead
        self.kept = tuple(np.empty_like(g) for g in grads) if dead is not None else ()

    def set_aside(self, t: int) -> None:
        for grad, kept in zip(self.grads, self.kept, strict=True):
            np.copyto(kept, grad)
            np.copyto(grad, 0, where=self.dead[t])

    def restore(self, t: int) -> None:
        for grad, kept in zip(self.grads, self.kept, strict=True):
            np.copyto(grad, kept, where=self.dead[t])


# Steps whose input terms are computed together when no tape keeps them all (8 to 16 ran
# alike: the product [8*B, D] @ [D, k] is as fast per row as one over all steps).
_CHUNK = 8


def _input_terms(z: np.ndarray, x: np.ndarray, W_x: np.ndarray, b: Any, t: int) -> None:
    """Fill z [..., S, B, k] with x @ W_x + b of the S steps from t (fewer after the last).

    x: [T*B, D]; W_x: [..., D, k]; b broadcasts to the product. All of a buffer's steps in
    one matrix product, [S*B, D] @ [D, k], rather than one per step. The bias is added in
    place: a fresh array for the sum costs a third as much as the product itself.
    """
    steps, batch = z.shape[-3:-1]
    rows = x[t * batch : (t + steps) * batch]
    flat = z.reshape(*z.shape[:-3], steps * batch, z.shape[-1])[..., : len(rows), :]
    np.matmul(rows, W_x, out=flat)
    flat += b


def _by_gate(weight: np.ndarray, gates: int, halve: tuple[int, ...]) -> np.ndarray:
    """[..., gates * H] -> [gates, ..., H], each gate contiguous, the gates in ``halve`` halved.

    A product with it gives every gate as its own contiguous array, which elementwise
    operations run through fastest. A sigmoid gate's weights are halved because
    sigmoid(a) = 0.5 * (1 + tanh(a / 2)) and a @ (W / 2) = (a @ W) / 2 exactly (a power of
    two), so the step's product gives a / 2 and one tanh activates several gates at once.
    """
    split = weight.reshape(*weight.shape[:-1], gates, weight.shape[-1] // gates)
    apart = np.moveaxis(split, -2, 0).copy()  # a C-contiguous copy
    apart[list(halve)] *= 0.5
    return apart


def _sigmoid_from_tanh_(t: np.ndarray) -> np.ndarray:
    """t = tanh(a / 2) -> sigmoid(a) = 0.5 * (1 + t), in place, as ``rnnref.np.cells.sigmoid``."""
    t += 1
    t *= 0.5
    return t


def _one_minus(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = 1 - a: sigmoid's derivative is y * (1 - y)."""
    return np.subtract(1, a, out=out)


def _tanh_grad(y: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = 1 - y^2, tanh's derivative at y = tanh(x)."""
    np.multiply(y, y, out=out)
    return np.subtract(1, out, out=out)


def _transposed(W: np.ndarray) -> np.ndarray:
    """W^T as a C-contiguous copy: a step's product with the transposed view W.T is about a
    quarter slower (measured with OpenBLAS, [64, 1024] @ [1024, 256])."""
    return np.ascontiguousarray(W.T)


def _kernel_grad(x: np.ndarray, h: np.ndarray, d_z: np.ndarray) -> np.ndarray:
    """dL/dW for z = [x, h] @ W summed over all steps: [x^T d_z; h^T d_z], [D + H, k].

    x: [T*B, D]; h: [T, B, H] (each step's recurrent input); d_z: [T, B, k].
    """
    rows = d_z.shape[0] * d_z.shape[1]
    d_z = d_z.reshape(rows, d_z.shape[2])  # (T, B, k) -> (T*B, k)
    h = h.reshape(rows, h.shape[2])  # (T, B, H) -> (T*B, H)
    return np.concatenate([x.T @ d_z, h.T @ d_z])  # (D + H, T*B) @ (T*B, k)


# --------------------------------------------------------------------------- BasicRNNCell


def _rnn_forward(
    cell: BasicRNNCell, x: np.ndarray, state: np.ndarray, dead: Any, T: int, B: int, keep: bool
):
    p, D = cell._params, cell._input_depth
    W_x, W_h = p["kernel"][:D], p["kernel"][D:]
    S = _CHUNK  # the steps whose input terms are held: backward does not read them
    zs = np.empty((S, B, W_x.shape[1]), state.dtype)
    hs = np.empty((T + 1, *state.shape), state.dtype)  # h_0 ... h_T
    hs[0] = state
    z_h = np.empty_like(state)
    for t in range(T):
        if t % S == 0:
            _input_terms(zs, x, W_x, p["bias"], t)  # (S*B, D) @ (D, H)
        z = zs[t % S]
        z += np.matmul(hs[t], W_h, out=z_h)  # z = [x, h_prev] @ W + b
        np.tanh(z, out=hs[t + 1])  # new_h = act(z)
        if dead is not None:
            np.copyto(hs[t + 1], hs[t], where=dead[t])
    return hs, hs[T].copy(), {}


def _rnn_backward(cell: BasicRNNCell, buffers: dict, d_outputs: np.ndarray, d_state: Any):
    p, D = cell._params, cell._input_depth
    W_x, W_h = p["kernel"][:D], p["kernel"][D:]
    hs, T = buffers["hs"], d_outputs.shape[0]
    W_hT = _transposed(W_h)
    d_h = np.array(d_state)  # dL/d h_t, updated in place from t = T to 0
    d_zs = np.empty_like(d_outputs)  # [T, B, H]
    carry = _Carry((d_h,), buffers["dead"])
    for t in reversed(range(T)):
        d_h += d_outputs[t]  # the output is the new state: both paths add up
        if carry.dead is not None:
            carry.set_aside(t)
        d_z = _tanh_grad(hs[t + 1], out=d_zs[t])  # new_h = act(z)
        d_z *= d_h
        np.matmul(d_z, W_hT, out=d_h)  # z = x @ W_x + h_prev @ W_h + b
        if carry.dead is not None:
            carry.restore(t)
    grads = {"kernel": _kernel_grad(buffers["x"], hs[:-1], d_zs), "bias": d_zs.sum(axis=(0, 1))}
    return d_zs.reshape(-1, d_zs.shape[2]) @ W_x.T, d_h, grads


# --------------------------------------------------------------------------- GRUCell


def _gru_forward(
    cell: GRUCell, x: np.ndarray, state: np.ndarray, dead: Any, T: int, B: int, keep: bool
):
    p, D, H = cell._params, cell._input_depth, cell._num_units
    W_gx, W_gh = (_by_gate(W, 2, halve=(0, 1)) for W in np.split(p["gates/kernel"], [D]))
    b_g = _by_gate(p["gates/bias"], 2, halve=(0, 1))[:, None]  # r, u: (2, 1, H)
    W_cx, W_ch = p["candidate/kernel"][:D], p["candidate/kernel"][D:]
    dtype, S = state.dtype, T if keep else _CHUNK  # S: the steps whose input terms are held
    gates, candidates = np.empty((2, S, B, H), dtype), np.empty((S, B, H), dtype)  # r, u apart
    hs = np.empty((T + 1, B, H), dtype)  # h_0 ... h_T
    hs[0] = state
    r_h_prevs = np.empty((T if keep else 1, B, H), dtype)  # each step's r * h_prev
    z_h, tmp = np.empty((2, B, H), dtype), np.empty((B, H), dtype)
    for t in range(T):
        if t % S == 0:
            _input_terms(gates, x, W_gx, b_g, t)  # (S*B, D) @ (2, D, H)
            _input_terms(candidates, x, W_cx, p["candidate/bias"], t)  # @ (D, H)
        h_prev, new_h, r_h_prev = hs[t], hs[t + 1], r_h_prevs[t % len(r_h_prevs)]
        g = gates[:, t % S]
        g += np.matmul(h_prev, W_gh, out=z_h)  # z_g / 2, z_g = [x, h_prev] @ W_g + b_g
        r, u = _sigmoid_from_tanh_(np.tanh(g, out=g))  # r, u = sigmoid(z_g)
        np.multiply(r, h_prev, out=r_h_prev)
        c = candidates[t % S]
        c += np.matmul(r_h_prev, W_ch, out=tmp)  # z_c = [x, r * h_prev] @ W_c + b_c
        np.tanh(c, out=c)  # c = act(z_c)
        np.subtract(h_prev, c, out=new_h)  # new_h = u * h_prev + (1 - u) * c
        new_h *= u  #       = c + u * (h_prev - c)
        new_h += c
        if dead is not None:
            np.copyto(new_h, h_prev, where=dead[t])
    buffers = {"gates": gates, "candidates": candidates, "r_h_prevs": r_h_prevs}
    return hs, hs[T].copy(), buffers


def _gru_backward(cell: GRUCell, buffers: dict, d_outputs: np.ndarray, d_state: Any):
    p, D, H = cell._params, cell._input_depth, cell._num_units
    W_gx, W_gh = p["gates/kernel"][:D], p["gates/kernel"][D:]
    W_cx, W_ch = p["candidate/kernel"][:D], p["candidate/kernel"][D:]
    hs, gates, candidates = buffers["hs"], buffers["gates"], buffers["candidates"]
    T, B = d_outputs.shape[:2]
    d_h = np.array(d_state)  # dL/d h_t, updated in place from t = T to 0
    d_gates = np.empty((T, B, 2 * H), d_h.dtype)  # dL/d z_g
    d_candidates = np.empty_like(candidates)  # [T, B, H]: dL/d z_c
    d_r_h_prev, tmp = np.empty_like(d_h), np.empty_like(d_h)
    W_chT, W_ghT = _transposed(W_ch), _transposed(W_gh)
    carry = _Carry((d_h,), buffers["dead"])
    for t in reversed(range(T)):
        d_h += d_outputs[t]  # the output is the new state: both paths add up
        if carry.dead is not None:
            carry.set_aside(t)
        h_prev, (r, u), c = hs[t], gates[:, t], candidates[t]
        d_r, d_u, d_z_c = d_gates[t, :, :H], d_gates[t, :, H:], d_candidates[t]
        # new_h = u * h_prev + (1 - u) * c
        np.subtract(h_prev, c, out=d_u)
        d_u *= d_h
        np.multiply(d_h, _one_minus(u, out=d_z_c), out=d_z_c)  # d_c
        d_h *= u  # d_h_prev, so far
        # c = act(z_c);  z_c = [x, r * h_prev] @ W_c + b_c
        d_z_c *= _tanh_grad(c, out=tmp)
        np.matmul(d_z_c, W_chT, out=d_r_h_prev)
        np.multiply(d_r_h_prev, h_prev, out=d_r)
        d_h += np.multiply(d_r_h_prev, r, out=tmp)
        # r, u = sigmoid(z_g);  z_g = [x, h_prev] @ W_g + b_g
        d_r *= r
        d_r *= _one_minus(r, out=tmp)
        d_u *= u
        d_u *= _one_minus(u, out=tmp)
        d_h += np.matmul(d_gates[t], W_ghT, out=tmp)
        if carry.dead is not None:
            carry.restore(t)
    x, rows = buffers["x"], T * B
    d_g, d_c = d_gates.reshape(rows, 2 * H), d_candidates.reshape(rows, H)  # (T, B, k) -> (T*B, k)
    grads = {
        "gates/kernel": _kernel_grad(x, hs[:-1], d_gates),
        "gates/bias": d_g.sum(axis=0),
        "candidate/kernel": _kernel_grad(x, buffers["r_h_prevs"], d_candidates),
        "candidate/bias": d_c.sum(axis=0),
    }
    return d_g @ W_gx.T + d_c @ W_cx.T, d_h, grads


# --------------------------------------------------------------------------- the two LSTMs


def _lstm_options(cell: BasicLSTMCell | LSTMCell) -> tuple:
    """(peepholes, cell_clip, W_proj, proj_clip): a BasicLSTMCell has none of them."""
    peepholes = getattr(cell, "_use_peepholes", False)
    cell_clip, proj_clip = getattr(cell, "_cell_clip", None), getattr(cell, "_proj_clip", None)
    return peepholes, cell_clip, cell._params.get("projection/kernel"), proj_clip


def _lstm_forward(cell: LSTMCell, x: np.ndarray, state: Any, dead: Any, T: int, B: int, keep: bool):
    p, D, H = cell._params, cell._input_depth, cell._num_units
    peepholes, cell_clip, W_proj, proj_clip = _lstm_options(cell)
    sigmoids = (0, 2, 3)  # of i, j, f, o
    W_x, W_h = (_by_gate(W, 4, halve=sigmoids) for W in np.split(p["kernel"], [D]))
    b = _by_gate(p["bias"], 4, halve=sigmoids)
    b[2] += 0.5 * cell._forget_bias  # sigmoid(f + forget_bias): added once, halved as f is
    if peepholes:
        w_i, w_f, w_o = (0.5 * p[name] for name in ("w_i_diag", "w_f_diag", "w_o_diag"))
    c_0, h_0 = cell._unpack(state)
    dtype, S = h_0.dtype, T if keep else _CHUNK  # S: the steps whose input terms are held
    kept = T if keep else 1  # the steps whose values only backward reads
    gates = np.empty((4, S, B, H), dtype)  # i, j, f, o apart
    cs = np.empty((T + 1 if keep else 2, B, H), dtype)  # c_0 ... c_T
    hs = np.empty((T + 1, *h_0.shape), dtype)  # h_0 ... h_T (m in LSTMCell's names)
    cs[0], hs[0] = c_0, h_0
    act_cs = np.empty((kept, B, H), dtype)  # act(c)
    ms = np.empty((kept, B, H), dtype) if W_proj is not None else hs[1:]  # m before projecting
    c_passes = np.empty((kept, B, H), bool) if cell_clip is not None else None
    m_passes = np.empty((kept, *h_0.shape), bool) if proj_clip is not None else None
    z_h, tmp = np.empty((4, B, H), dtype), np.empty((B, H), dtype)
    for t in range(T):
        if t % S == 0:
            _input_terms(gates, x, W_x, b[:, None], t)  # (S*B, D) @ (4, D, H)
        c_prev, c, h_prev = cs[t % len(cs)], cs[(t + 1) % len(cs)], hs[t]
        z, k = gates[:, t % S], t % kept
        z += np.matmul(h_prev, W_h, out=z_h)  # z = [x, h_prev] @ W + b, i, f and o halved
        i, j, f, o = z
        if peepholes:
            i += np.multiply(w_i, c_prev, out=tmp)
            f += np.multiply(w_f, c_prev, out=tmp)
        np.tanh(z[:3], out=z[:3])  # act(j), and tanh(i / 2), tanh(f / 2)
        _sigmoid_from_tanh_(i)
        _sigmoid_from_tanh_(f)
        np.multiply(c_prev, f, out=c)  # c = c_prev * sigmoid(f + forget_bias) ...
        c += np.multiply(i, j, out=tmp)  # ... + sigmoid(i) * act(j)
        if cell_clip is not None:
            np.less_equal(np.abs(c, out=tmp), cell_clip, out=c_passes[k])
            np.clip(c, -cell_clip, cell_clip, out=c)
        if peepholes:
            o += np.multiply(w_o, c, out=tmp)
        _sigmoid_from_tanh_(np.tanh(o, out=o))
        m = np.multiply(o, np.tanh(c, out=act_cs[k]), out=ms[t % len(ms)])  # sigmoid(o) * act(c)
        if W_proj is not None:
            np.matmul(m, W_proj, out=hs[t + 1])  # (B, H) @ (H, P) -> (B, P)
            if proj_clip is not None:
                np.less_equal(np.abs(hs[t + 1]), proj_clip, out=m_passes[k])
                np.clip(hs[t + 1], -proj_clip, proj_clip, out=hs[t + 1])
        if dead is not None:
            np.copyto(c, c_prev, where=dead[t])
            np.copyto(hs[t + 1], h_prev, where=dead[t])
    buffers = {"gates": gates, "cs": cs, "act_cs": act_cs, "ms": ms, "c_passes": c_passes,
               "m_passes": m_passes}  # fmt: skip
    return hs, cell._pack(cs[T % len(cs)].copy(), hs[T].copy()), buffers


def _lstm_backward(cell: LSTMCell, buffers: dict, d_outputs: np.ndarray, d_state: Any):
    p, D, H = cell._params, cell._input_depth, cell._num_units
    peepholes, cell_clip, W_proj, proj_clip = _lstm_options(cell)
    W_x, W_h = p["kernel"][:D], p["kernel"][D:]
    gates, cs, hs, act_cs = buffers["gates"], buffers["cs"], buffers["hs"], buffers["act_cs"]
    T, B = d_outputs.shape[:2]
    d_c, d_h = (np.array(d) for d in cell._unpack(d_state))  # dL/d c_t, dL/d h_t, in place
    d_gates = np.empty((T, B, 4 * H), d_c.dtype)  # dL/d z
    d_projected = np.empty_like(d_outputs) if W_proj is not None else None  # [T, B, P]
    d_m = np.empty_like(d_c) if W_proj is not None else d_h
    tmp, tmp2 = np.empty_like(d_c), np.empty_like(d_c)
    W_hT = _transposed(W_h)
    W_projT = _transposed(W_proj) if W_proj is not None else None
    carry = _Carry((d_c, d_h), buffers["dead"])
    for t in reversed(range(T)):
        d_h += d_outputs[t]  # the output is the new h: both paths add up
        if carry.dead is not None:
            carry.set_aside(t)
        sig_i, act_j, sig_f, sig_o = gates[:, t]
        d_i, d_j = d_gates[t, :, :H], d_gates[t, :, H : 2 * H]
        d_f, d_o = d_gates[t, :, 2 * H : 3 * H], d_gates[t, :, 3 * H :]
        c_prev, act_c = cs[t], act_cs[t]
        if W_proj is not None:
            # m = clip(m @ W_proj, -proj_clip, proj_clip)
            if proj_clip is not None:
                d_h *= buffers["m_passes"][t]
            d_projected[t] = d_h
            np.matmul(d_h, W_projT, out=d_m)  # (B, P) @ (P, H) -> (B, H)
        # m = sigmoid(o) * act(c)
        np.multiply(d_m, act_c, out=d_o)
        d_o *= sig_o
        d_o *= _one_minus(sig_o, out=tmp)
        np.multiply(d_m, sig_o, out=tmp)
        d_c += np.multiply(tmp, _tanh_grad(act_c, out=tmp2), out=tmp)
        if peepholes:  # o = o + w_o_diag * c
            d_c += np.multiply(d_o, p["w_o_diag"], out=tmp)
        if cell_clip is not None:  # c = clip(c, -cell_clip, cell_clip)
            d_c *= buffers["c_passes"][t]
        # c = c_prev * sigmoid(f + forget_bias) + sigmoid(i) * act(j)
        np.multiply(d_c, act_j, out=d_i)
        d_i *= sig_i
        d_i *= _one_minus(sig_i, out=tmp)
        np.multiply(d_c, sig_i, out=d_j)
        d_j *= _tanh_grad(act_j, out=tmp)
        np.multiply(d_c, c_prev, out=d_f)
        d_f *= sig_f
        d_f *= _one_minus(sig_f, out=tmp)
        d_c *= sig_f  # d_c_prev
        if peepholes:  # i = i + w_i_diag * c_prev;  f = f + w_f_diag * c_prev
            d_c += np.multiply(d_i, p["w_i_diag"], out=tmp)
            d_c += np.multiply(d_f, p["w_f_diag"], out=tmp)
        np.matmul(d_gates[t], W_hT, out=d_h)  # z = x @ W_x + h_prev @ W_h + b
        if carry.dead is not None:
            carry.restore(t)
    d_z = d_gates.reshape(T * B, 4 * H)  # (T, B, 4H) -> (T*B, 4H)
    grads = {"kernel": _kernel_grad(buffers["x"], hs[:-1], d_gates), "bias": d_z.sum(axis=0)}
    if peepholes:
        grads["w_i_diag"] = (d_gates[..., :H] * cs[:-1]).sum(axis=(0, 1))
        grads["w_f_diag"] = (d_gates[..., 2 * H : 3 * H] * cs[:-1]).sum(axis=(0, 1))
        grads["w_o_diag"] = (d_gates[..., 3 * H :] * cs[1:]).sum(axis=(0, 1))
    if W_proj is not None:
        ms = buffers["ms"].reshape(T * B, H)  # (T, B, H) -> (T*B, H)
        d_projected = d_projected.reshape(T * B, W_proj.shape[1])  # (T, B, P) -> (T*B, P)
        grads["projection/kernel"] = ms.T @ d_projected  # (H, T*B) @ (T*B, P) -> (H, P)
    return d_z @ W_x.T, cell._pack(d_c, d_h), grads


_UNROLLS = {
    BasicRNNCell: (_rnn_forward, _rnn_backward),
    GRUCell: (_gru_forward, _gru_backward),
    BasicLSTMCell: (_lstm_forward, _lstm_backward),
    LSTMCell: (_lstm_forward, _lstm_backward),
}
