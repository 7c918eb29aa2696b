"""``rnnref.np`` against the definitions: each equation on a case small enough to do by hand.

The expected values are derived in code from the equations (the comments show the hand
computation), never pasted. Also: default initialisers, the wrappers TF2 no longer ships
(projections, embedding), dropout masks, the PTB-style batch splitter and the masking
rules of ``dynamic_rnn``.
"""

import numpy as np
import pytest

import rnnref.np as rn
from rnnref import structure

F64 = np.float64


def sigmoid(x: float | np.ndarray) -> float | np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def built(cell: rn.RNNCell, depth: int, weights: list, dtype=F64) -> rn.RNNCell:
    cell.build(depth, dtype)
    cell.set_weights([np.asarray(w, dtype=dtype) for w in weights])
    return cell


def identity_rnn(depth: int, dtype=F64) -> rn.BasicRNNCell:
    """A BasicRNNCell whose output is its input: kernel [I; 0], bias 0, identity activation."""
    kernel = np.vstack([np.eye(depth), np.zeros((depth, depth))])
    return built(
        rn.BasicRNNCell(depth, activation=lambda x: x), depth, [kernel, np.zeros(depth)], dtype
    )


def leaves_of(state) -> list:
    """The arrays of a (nested) state, depth first."""
    if isinstance(state, tuple):
        return [leaf for part in state for leaf in leaves_of(part)]
    return [state]


def randomised(state, rng: np.random.Generator):
    """A state nested like ``state`` with standard normal values."""
    if isinstance(state, rn.LSTMStateTuple):
        return rn.LSTMStateTuple(*(randomised(part, rng) for part in state))
    if isinstance(state, tuple):
        return tuple(randomised(part, rng) for part in state)
    return rng.normal(size=state.shape)


def copy_of(cell_factory, source: rn.RNNCell, depth: int) -> rn.RNNCell:
    """A new cell from ``cell_factory`` with the weights of ``source``."""
    return built(cell_factory(), depth, source.weights, source.weights[0].dtype)


# --------------------------------------------------------------------------- the cells


def test_basic_rnn_cell_equation() -> None:
    # h' = tanh([x, h] @ W + b). With W all 0.1, b = 0, x = ones(2), h = ones(3):
    # every unit is tanh(0.1 * (2 + 3)) = tanh(0.5) ~= 0.4621.
    cell = built(rn.BasicRNNCell(3), 2, [np.full((5, 3), 0.1), np.zeros(3)])
    out, state = cell(np.ones((1, 2)), np.ones((1, 3)))
    np.testing.assert_allclose(out, np.full((1, 3), np.tanh(0.1 * (2 + 3))))
    np.testing.assert_array_equal(out, state)


def test_basic_rnn_cell_stacks_input_rows_over_state_rows() -> None:
    # W = [W_x; W_h] with W_x = 0.1 (2 rows), W_h = -0.2 (3 rows), b = 0.05, x = 1, h = 2:
    # 0.1 * 2 * 1 - 0.2 * 3 * 2 + 0.05 = -0.95, through tanh; relu gives 0.
    kernel = np.vstack([np.full((2, 3), 0.1), np.full((3, 3), -0.2)])
    pre = 0.1 * 2 * 1 - 0.2 * 3 * 2 + 0.05
    x, h = np.ones((1, 2)), np.full((1, 3), 2.0)
    tanh_cell = built(rn.BasicRNNCell(3), 2, [kernel, np.full(3, 0.05)])
    np.testing.assert_allclose(tanh_cell(x, h)[0], np.full((1, 3), np.tanh(pre)))
    relu_cell = built(
        rn.BasicRNNCell(3, activation=lambda v: np.maximum(v, 0)), 2, [kernel, np.full(3, 0.05)]
    )
    np.testing.assert_array_equal(relu_cell(x, h)[0], np.zeros((1, 3)))


def test_gru_cell_equation() -> None:
    # D = H = 1, x = 1, h = 2. Gate kernel 0, gate bias [r: 0, u: ln 3]
    #   -> r = sigmoid(0) = 0.5, u = sigmoid(ln 3) = 0.75.
    # Candidate kernel [0.3 (x row), 0.2 (h row)], bias 0.1:
    #   c = tanh(0.3 * 1 + 0.2 * (r * h) + 0.1) = tanh(0.3 + 0.2 + 0.1) = tanh(0.6)
    # h' = u * h + (1 - u) * c = 0.75 * 2 + 0.25 * tanh(0.6).
    # (Swapping r and u would give 0.5 * 2 + 0.5 * tanh(0.7): the order is pinned.)
    r, u, x, h = 0.5, 0.75, 1.0, 2.0
    cell = built(rn.GRUCell(1), 1, [np.zeros((2, 2)), [0.0, np.log(3.0)], [[0.3], [0.2]], [0.1]])
    out, state = cell(np.full((1, 1), x), np.full((1, 1), h))
    c = np.tanh(0.3 * x + 0.2 * r * h + 0.1)
    np.testing.assert_allclose(out, [[u * h + (1 - u) * c]])
    np.testing.assert_array_equal(out, state)


@pytest.mark.parametrize("state_is_tuple", [True, False], ids=["tuple", "concat"])
@pytest.mark.parametrize("forget_bias", [1.0, 0.0, 2.5])
def test_basic_lstm_cell_equation(forget_bias: float, state_is_tuple: bool) -> None:
    # D = H = 1, kernel 0, so the gates are their biases [i, j, f, o]:
    #   i = 0 -> sigmoid 0.5; j = atanh(0.6) -> tanh 0.6; f = -forget_bias -> sigmoid(0) = 0.5
    #   once forget_bias is added back; o = ln 3 -> sigmoid 0.75.
    # c' = c * 0.5 + 0.5 * 0.6 = 2 * 0.5 + 0.3 = 1.3;  h' = tanh(1.3) * 0.75.
    bias = [0.0, np.arctanh(0.6), -forget_bias, np.log(3.0)]
    cell = built(
        rn.BasicLSTMCell(1, forget_bias=forget_bias, state_is_tuple=state_is_tuple),
        1,
        [np.zeros((2, 4)), bias],
    )
    c, h = np.full((1, 1), 2.0), np.full((1, 1), -5.0)  # h only meets the zero kernel
    state = rn.LSTMStateTuple(c, h) if state_is_tuple else np.concatenate([c, h], axis=1)
    out, new_state = cell(np.ones((1, 1)), state)
    new_c = 2.0 * 0.5 + 0.5 * 0.6
    new_h = np.tanh(new_c) * 0.75
    np.testing.assert_allclose(out, [[new_h]])
    if state_is_tuple:
        assert isinstance(new_state, rn.LSTMStateTuple)
        np.testing.assert_allclose(new_state.c, [[new_c]])
        np.testing.assert_allclose(new_state.h, [[new_h]])
    else:
        np.testing.assert_allclose(new_state, [[new_c, new_h]])


def lstm_peephole_case(cell_clip: float | None) -> tuple:
    # D = H = 1, kernel 0, forget_bias 0, bias [i: 0, j: atanh(0.6), f: 0, o: 0], c_prev = 1.
    # Peepholes: w_f = ln 3 -> f = sigmoid(ln 3 * 1) = 0.75; w_i = 0 -> i = 0.5;
    # c = 0.75 * 1 + 0.5 * 0.6 = 1.05 (clipped to cell_clip if given);
    # w_o = ln 3 / 1.05 -> o = sigmoid(w_o * c): 0.75 when c = 1.05, i.e. the o peephole
    # sees the new c (the old one, 1, would give another value).
    w_o = np.log(3.0) / 1.05
    cell = built(
        rn.LSTMCell(1, use_peepholes=True, cell_clip=cell_clip, forget_bias=0.0),
        1,
        [np.zeros((2, 4)), [0.0, np.arctanh(0.6), 0.0, 0.0], [np.log(3.0)], [0.0], [w_o]],
    )
    out, state = cell(np.ones((1, 1)), rn.LSTMStateTuple(np.ones((1, 1)), np.zeros((1, 1))))
    c = 0.75 * 1.0 + 0.5 * 0.6
    if cell_clip is not None:
        c = min(c, cell_clip)
    m = sigmoid(w_o * c) * np.tanh(c)
    return out, state, c, m


def test_lstm_cell_peepholes() -> None:
    out, state, c, m = lstm_peephole_case(cell_clip=None)
    assert c == pytest.approx(1.05)
    np.testing.assert_allclose(state.c, [[c]])
    np.testing.assert_allclose(out, [[0.75 * np.tanh(1.05)]])
    np.testing.assert_array_equal(out, state.h)


def test_lstm_cell_clip_applies_before_the_output_peephole() -> None:
    # Same case with cell_clip = 1: c = 1 (not 1.05), m = sigmoid(w_o * 1) * tanh(1).
    out, state, c, m = lstm_peephole_case(cell_clip=1.0)
    assert c == 1.0
    np.testing.assert_allclose(state.c, [[1.0]])
    np.testing.assert_allclose(out, [[m]])


@pytest.mark.parametrize("state_is_tuple", [True, False], ids=["tuple", "concat"])
@pytest.mark.parametrize("proj_clip", [None, 1.0])
def test_lstm_cell_projection(proj_clip: float | None, state_is_tuple: bool) -> None:
    # H = 1, num_proj P = 2, D = 1: kernel [D + P, 4H] = [3, 4] zeros, gates from the bias
    # as in the BasicLSTM case: c = 2 * 0.5 + 0.5 * 0.6 = 1.3, m = 0.75 * tanh(1.3) ~= 0.645;
    # projected m = m @ [[2, -0.5]] = [1.29, -0.32], clipped to [1, -0.32] with proj_clip 1.
    proj = np.array([[2.0, -0.5]])
    cell = built(
        rn.LSTMCell(1, num_proj=2, proj_clip=proj_clip, state_is_tuple=state_is_tuple),
        1,
        [np.zeros((3, 4)), [0.0, np.arctanh(0.6), -1.0, np.log(3.0)], proj],
    )
    assert cell.output_size == 2
    c_prev, m_prev = np.full((1, 1), 2.0), np.full((1, 2), 7.0)
    state = (
        rn.LSTMStateTuple(c_prev, m_prev)
        if state_is_tuple
        else np.concatenate([c_prev, m_prev], axis=1)
    )
    out, new_state = cell(np.ones((1, 1)), state)
    c = 2.0 * 0.5 + 0.5 * 0.6
    m = 0.75 * np.tanh(c) * proj
    if proj_clip is not None:
        m = np.clip(m, -proj_clip, proj_clip)
        assert m[0, 0] == proj_clip  # the clip is hit
    np.testing.assert_allclose(out, m)
    if state_is_tuple:
        np.testing.assert_allclose(new_state.c, [[c]])
        np.testing.assert_allclose(new_state.h, m)
    else:
        np.testing.assert_allclose(new_state, np.concatenate([[[c]], m], axis=1))


def test_lstm_cell_projection_feeds_back_through_the_kernel() -> None:
    # The recurrent rows of the kernel take m_prev (size P), not an H-sized h.
    # kernel rows: [x, m_prev_0, m_prev_1]; only m_prev_1 feeds the j gate, with weight 0.5.
    kernel = np.zeros((3, 4))
    kernel[2, 1] = 0.5
    cell = built(
        rn.LSTMCell(1, num_proj=2, forget_bias=0.0),
        1,
        [kernel, np.zeros(4), np.array([[1.0, 1.0]])],
    )
    state = rn.LSTMStateTuple(np.zeros((1, 1)), np.array([[0.0, 2.0]]))
    out, new_state = cell(np.zeros((1, 1)), state)
    # j = 0.5 * 2 = 1; c = 0.5 * 0 + 0.5 * tanh(1); m = 0.5 * tanh(c) -> projected to [m, m].
    c = 0.5 * np.tanh(1.0)
    np.testing.assert_allclose(new_state.c, [[c]])
    np.testing.assert_allclose(out, [[0.5 * np.tanh(c)] * 2])


@pytest.mark.parametrize("state_is_tuple", [True, False], ids=["tuple", "concat"])
def test_multi_rnn_cell_chains_layers(state_is_tuple: bool) -> None:
    # Layer k's output is layer k + 1's input; the state holds one state per layer.
    def layers():
        return [
            rn.GRUCell(3, seed=1),
            rn.BasicRNNCell(2, seed=2),
            rn.BasicLSTMCell(2, state_is_tuple=False, seed=3),
        ]

    stack = rn.MultiRNNCell(layers(), state_is_tuple=state_is_tuple)
    stack.build(4, F64)
    refs = layers()
    for ref, depth in zip(refs, (4, 3, 2), strict=True):
        ref.build(depth, F64)
    n_weights = [len(ref.weights) for ref in refs]
    assert n_weights == [4, 2, 2] and len(stack.weights) == sum(n_weights)
    offsets = np.cumsum([0, *n_weights])
    for k, ref in enumerate(refs):  # the stack's weights are its layers', in order
        ref.set_weights(stack.weights[offsets[k] : offsets[k + 1]])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 4))
    states = [rng.normal(size=(2, n)) for n in (3, 2, 4)]
    expected_states, y = [], x
    for ref, s in zip(refs, states, strict=True):
        y, new_s = ref(y, s)
        expected_states.append(new_s)
    state = tuple(states) if state_is_tuple else np.concatenate(states, axis=1)
    out, new_state = stack(x, state)
    np.testing.assert_allclose(out, y)
    if state_is_tuple:
        assert isinstance(new_state, tuple) and len(new_state) == 3
        for mine, ref in zip(new_state, expected_states, strict=True):
            np.testing.assert_allclose(mine, ref)
    else:
        np.testing.assert_allclose(new_state, np.concatenate(expected_states, axis=1))
    assert stack.state_size == ((3, 2, 4) if state_is_tuple else 9)
    assert stack.output_size == 2  # the last layer's


# --------------------------------------------------------------------------- dtypes and seeds


CELL_FACTORIES = {
    "BasicRNN": lambda seed=None: rn.BasicRNNCell(4, seed=seed),
    "GRU": lambda seed=None: rn.GRUCell(4, seed=seed),
    "BasicLSTM": lambda seed=None: rn.BasicLSTMCell(4, seed=seed),
    "LSTM-peep-proj": lambda seed=None: rn.LSTMCell(4, use_peepholes=True, num_proj=2, seed=seed),
    "Multi": lambda seed=None: rn.MultiRNNCell(
        [rn.GRUCell(3, seed=seed), rn.LSTMCell(2, seed=seed)]
    ),
    "InputProjection": lambda seed=None: rn.InputProjectionWrapper(
        rn.GRUCell(4, seed=seed), 3, seed=seed
    ),
    "OutputProjection": lambda seed=None: rn.OutputProjectionWrapper(
        rn.BasicLSTMCell(4, seed=seed), 2, seed=seed
    ),
}


@pytest.mark.parametrize("name", list(CELL_FACTORIES))
def test_float64_end_to_end(name: str) -> None:
    cell = CELL_FACTORIES[name](seed=0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 5))
    outputs, state = rn.dynamic_rnn(cell, x, dtype=F64)
    assert all(w.dtype == F64 for w in cell.weights)
    assert outputs.dtype == F64 and outputs.shape == (2, 3, cell.output_size)
    assert all(leaf.dtype == F64 for leaf in leaves_of(state))
    assert all(leaf.dtype == F64 for leaf in leaves_of(cell.zero_state(2, F64)))
    # float64 is computed in float64: it differs from a float32 run by float32 round-off.
    cell32 = CELL_FACTORIES[name](seed=0)
    out32, _ = rn.dynamic_rnn(cell32, x.astype(np.float32), dtype=np.float32)
    assert out32.dtype == np.float32
    assert not np.array_equal(out32.astype(F64), outputs)
    np.testing.assert_allclose(out32, outputs, atol=1e-5)


@pytest.mark.parametrize("name", list(CELL_FACTORIES))
def test_same_seed_same_weights(name: str) -> None:
    a, b, c = (CELL_FACTORIES[name](seed=s) for s in (7, 7, 8))
    for cell in (a, b, c):
        cell.build(5, np.float32)
    for wa, wb in zip(a.weights, b.weights, strict=True):
        np.testing.assert_array_equal(wa, wb)
    kernels = [(wa, wc) for wa, wc in zip(a.weights, c.weights, strict=True) if wa.ndim == 2]
    assert any(not np.array_equal(wa, wc) for wa, wc in kernels)


def glorot_limit(shape: tuple) -> float:
    fan_in, fan_out = shape
    return np.sqrt(6.0 / (fan_in + fan_out))


def assert_glorot_uniform(w: np.ndarray) -> None:
    limit = glorot_limit(w.shape)
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() >= 0.95 * limit  # thousands of draws reach the edge
    assert np.std(w) == pytest.approx(limit / np.sqrt(3.0), rel=0.1)  # std of U(-a, a)
    assert abs(np.mean(w)) < 0.15 * limit


D_INIT, H_INIT = 20, 16  # big enough for the statistics above


@pytest.mark.parametrize(
    "factory, kernel_at, zeros_at, ones_at",
    [
        pytest.param(lambda: rn.BasicRNNCell(H_INIT, seed=1), [0], [1], [], id="BasicRNN"),
        pytest.param(lambda: rn.GRUCell(H_INIT, seed=1), [0, 2], [3], [1], id="GRU"),
        pytest.param(lambda: rn.BasicLSTMCell(H_INIT, seed=1), [0], [1], [], id="BasicLSTM"),
        pytest.param(
            lambda: rn.LSTMCell(H_INIT, use_peepholes=True, num_proj=12, seed=1),
            [0, 5],
            [1],
            [],
            id="LSTM-peep-proj",
        ),
        pytest.param(
            lambda: rn.InputProjectionWrapper(rn.BasicRNNCell(H_INIT, seed=1), 24, seed=2),
            [0, 2],
            [1, 3],
            [],
            id="InputProjection",
        ),
        pytest.param(
            lambda: rn.OutputProjectionWrapper(rn.BasicRNNCell(H_INIT, seed=1), 24, seed=2),
            [0, 2],
            [1, 3],
            [],
            id="OutputProjection",
        ),
    ],
)
def test_default_initialisers(factory, kernel_at: list, zeros_at: list, ones_at: list) -> None:
    # Kernels: Glorot uniform, U(-a, a) with a = sqrt(6 / (fan_in + fan_out));
    # biases: zeros, except GRU's gate bias: ones.
    cell = factory()
    cell.build(D_INIT, np.float32)
    weights = cell.weights
    for index in kernel_at:
        assert_glorot_uniform(weights[index])
    for index in zeros_at:
        np.testing.assert_array_equal(weights[index], np.zeros_like(weights[index]))
    for index in ones_at:
        np.testing.assert_array_equal(weights[index], np.ones_like(weights[index]))


# --------------------------------------------------------------------------- wrappers


def test_residual_wrapper_adds_inputs() -> None:
    inner = rn.LSTMCell(3, use_peepholes=True, seed=0)
    wrapper = rn.ResidualWrapper(inner)
    wrapper.build(3, F64)
    ref = copy_of(lambda: rn.LSTMCell(3, use_peepholes=True), inner, 3)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3))
    state = rn.LSTMStateTuple(rng.normal(size=(2, 3)), rng.normal(size=(2, 3)))
    out, new_state = wrapper(x, state)
    ref_out, ref_state = ref(x, state)
    np.testing.assert_allclose(out, ref_out + x)
    np.testing.assert_allclose(new_state.c, ref_state.c)
    np.testing.assert_allclose(new_state.h, ref_state.h)  # the state is the cell's, no residual
    assert wrapper.state_size == inner.state_size and wrapper.output_size == 3


def test_residual_wrapper_custom_residual_fn() -> None:
    inner = rn.GRUCell(3, seed=0)
    wrapper = rn.ResidualWrapper(inner, residual_fn=lambda inputs, outputs: outputs - 2 * inputs)
    wrapper.build(3, F64)
    ref = copy_of(lambda: rn.GRUCell(3), inner, 3)
    x, h = np.ones((2, 3)), np.full((2, 3), 0.5)
    out, _ = wrapper(x, h)
    np.testing.assert_allclose(out, ref(x, h)[0] - 2 * x)


def test_input_projection_wrapper() -> None:
    # cell(x @ W + b): the inner cell is built for depth num_proj; weights: inner's, W, b.
    wrapper = rn.InputProjectionWrapper(rn.BasicLSTMCell(4, seed=0), 3, seed=1)
    wrapper.build(5, F64)
    assert [w.shape for w in wrapper.weights] == [(3 + 4, 16), (16,), (5, 3), (3,)]
    rng = np.random.default_rng(2)
    weights = [rng.normal(size=w.shape) for w in wrapper.weights]
    wrapper.set_weights(weights)
    ref = built(rn.BasicLSTMCell(4), 3, weights[:2])
    x = rng.normal(size=(2, 5))
    state = rn.LSTMStateTuple(rng.normal(size=(2, 4)), rng.normal(size=(2, 4)))
    out, new_state = wrapper(x, state)
    ref_out, ref_state = ref(x @ weights[2] + weights[3], state)
    np.testing.assert_allclose(out, ref_out)
    np.testing.assert_allclose(new_state.c, ref_state.c)
    np.testing.assert_allclose(new_state.h, ref_state.h)
    assert wrapper.output_size == 4 and wrapper.state_size == (4, 4)


def test_output_projection_wrapper() -> None:
    # out @ W + b, W: [cell.output_size, output_size]; the state is the cell's.
    wrapper = rn.OutputProjectionWrapper(rn.GRUCell(4, seed=0), 2, seed=1)
    wrapper.build(3, F64)
    assert [w.shape for w in wrapper.weights] == [(7, 8), (8,), (7, 4), (4,), (4, 2), (2,)]
    rng = np.random.default_rng(3)
    weights = [rng.normal(size=w.shape) for w in wrapper.weights]
    wrapper.set_weights(weights)
    ref = built(rn.GRUCell(4), 3, weights[:4])
    x, h = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
    out, new_state = wrapper(x, h)
    ref_out, ref_state = ref(x, h)
    np.testing.assert_allclose(out, ref_out @ weights[4] + weights[5])
    np.testing.assert_allclose(new_state, ref_state)
    assert wrapper.output_size == 2 and wrapper.state_size == 4


@pytest.mark.parametrize("ids_shape", ["B", "B-by-1"])
def test_embedding_wrapper(ids_shape: str) -> None:
    # cell(E[ids]); E: [classes, size], the inner cell built for depth embedding_size.
    wrapper = rn.EmbeddingWrapper(rn.BasicRNNCell(3, seed=0), 7, 4, seed=1)
    wrapper.build(1, F64)
    assert [w.shape for w in wrapper.weights] == [(4 + 3, 3), (3,), (7, 4)]
    rng = np.random.default_rng(4)
    weights = [rng.normal(size=w.shape) for w in wrapper.weights]
    wrapper.set_weights(weights)
    ref = built(rn.BasicRNNCell(3), 4, weights[:2])
    ids = np.array([6, 0, 3, 3])
    h = rng.normal(size=(4, 3))
    out, new_state = wrapper(ids if ids_shape == "B" else ids[:, None], h)
    ref_out, ref_state = ref(weights[2][ids], h)
    np.testing.assert_allclose(out, ref_out)
    np.testing.assert_allclose(new_state, ref_state)


def test_embedding_wrapper_seed_determinism() -> None:
    def make(seed: int) -> rn.EmbeddingWrapper:
        wrapper = rn.EmbeddingWrapper(rn.GRUCell(2, seed=seed), 10, 3, seed=seed)
        wrapper.build(1, np.float32)
        return wrapper

    a, b, c = make(5), make(5), make(6)
    np.testing.assert_array_equal(a.weights[-1], b.weights[-1])
    assert a.weights[-1].shape == (10, 3) and a.weights[-1].dtype == np.float32
    assert not np.array_equal(a.weights[-1], c.weights[-1])


@pytest.mark.parametrize("step_ids", ["B", "B-by-1"])
def test_embedding_wrapper_in_static_rnn(step_ids: str) -> None:
    # TF1's seq2seq pattern: static_rnn over a list of [B] id vectors (TF1's static_rnn
    # accepts rank-1 step inputs for exactly this), or [B, 1].
    wrapper = rn.EmbeddingWrapper(rn.GRUCell(3, seed=0), 7, 4, seed=1)
    ids = np.array([[1, 6, 0], [4, 4, 2]])  # [B, T]
    steps = [ids[:, t] if step_ids == "B" else ids[:, t : t + 1] for t in range(3)]
    outs, state = rn.static_rnn(wrapper, steps, dtype=F64)
    h, expected = wrapper.zero_state(2, F64), []
    for t in range(3):
        out, h = wrapper(ids[:, t], h)
        expected.append(out)
    np.testing.assert_allclose(np.stack(outs), np.stack(expected))
    np.testing.assert_allclose(state, h)


def test_embedding_wrapper_in_dynamic_rnn() -> None:
    # dynamic_rnn takes ids as [B, T, 1] (a depth axis of one id).
    wrapper = rn.EmbeddingWrapper(rn.BasicLSTMCell(3, seed=0), 7, 4, seed=1)
    ids = np.array([[1, 6, 0], [4, 4, 2]])
    outputs, state = rn.dynamic_rnn(wrapper, ids[:, :, None], sequence_length=[3, 1], dtype=F64)
    assert outputs.shape == (2, 3, 3) and outputs.dtype == F64
    embedding = wrapper.weights[-1]
    ref, ref_state = rn.dynamic_rnn(
        copy_of(lambda: rn.BasicLSTMCell(3), wrapper.cell, 4),
        embedding[ids],
        sequence_length=[3, 1],
        dtype=F64,
    )
    np.testing.assert_allclose(outputs, ref)
    np.testing.assert_allclose(state.c, ref_state.c)
    np.testing.assert_allclose(state.h, ref_state.h)


# --------------------------------------------------------------------------- dropout


def dropout_identity(depth: int, **kwargs) -> rn.DropoutWrapper:
    """Dropout around a cell whose output is its input (see identity_rnn)."""
    wrapper = rn.DropoutWrapper(rn.BasicRNNCell(depth, activation=lambda x: x), **kwargs)
    kernel = np.vstack([np.eye(depth), np.zeros((depth, depth))])
    return built(wrapper, depth, [kernel, np.zeros(depth)])


@pytest.mark.parametrize("where", ["input_keep_prob", "output_keep_prob"])
def test_dropout_values_are_zero_or_scaled(where: str) -> None:
    keep = 0.4
    wrapper = dropout_identity(8, **{where: keep}, seed=0)
    x = np.random.default_rng(0).normal(size=(200, 8))
    out, _ = wrapper(x, np.zeros((200, 8)))
    dropped = out == 0
    np.testing.assert_allclose(out[~dropped], x[~dropped] / keep)
    assert 0 < dropped.mean() < 1


@pytest.mark.parametrize("where", ["input_keep_prob", "output_keep_prob"])
def test_dropout_keeps_about_keep_prob(where: str) -> None:
    keep, n = 0.7, 2000 * 10
    wrapper = dropout_identity(10, **{where: keep}, seed=1)
    out, _ = wrapper(np.ones((2000, 10)), np.zeros((2000, 10)))
    kept = out != 0
    # Binomial(n, 0.7): sd of the fraction = sqrt(0.21 / n) ~= 0.0032; allow 6 sd.
    assert kept.mean() == pytest.approx(keep, abs=6 * np.sqrt(keep * (1 - keep) / n))
    np.testing.assert_allclose(out[kept], 1 / keep)


def test_dropout_keep_prob_one_is_the_identity() -> None:
    wrapper = dropout_identity(
        4, input_keep_prob=1.0, output_keep_prob=1.0, state_keep_prob=1.0, seed=0
    )
    x = np.random.default_rng(0).normal(size=(5, 4))
    np.testing.assert_array_equal(wrapper(x, np.zeros((5, 4)))[0], x)


def masks_over_time(variational: bool, seed: int) -> np.ndarray:
    """The kept/dropped pattern at each step of a dynamic_rnn over ones: [T, B, D]."""
    depth, batch, steps = 8, 50, 6
    wrapper = dropout_identity(
        depth,
        input_keep_prob=0.6,
        output_keep_prob=0.7,
        variational_recurrent=variational,
        input_size=depth,
        seed=seed,
    )
    outputs, _ = rn.dynamic_rnn(wrapper, np.ones((batch, steps, depth)), dtype=F64)
    kept = outputs != 0
    np.testing.assert_allclose(outputs[kept], 1 / (0.6 * 0.7))
    return kept.transpose(1, 0, 2)


def test_variational_dropout_masks_are_constant_over_time() -> None:
    kept = masks_over_time(variational=True, seed=3)
    assert 0 < kept.mean() < 1
    for t in range(1, kept.shape[0]):
        np.testing.assert_array_equal(kept[t], kept[0], err_msg=f"step {t}")


def test_plain_dropout_masks_change_over_time() -> None:
    kept = masks_over_time(variational=False, seed=3)
    assert all(not np.array_equal(kept[t], kept[0]) for t in range(1, kept.shape[0]))


@pytest.mark.parametrize("variational", [False, True], ids=["plain", "variational"])
def test_dropout_same_seed_same_masks(variational: bool) -> None:
    a, b, c = (masks_over_time(variational, seed) for seed in (11, 11, 12))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_state_dropout_drops_lstm_h_but_not_c() -> None:
    # TF1's default state filter: of an LSTMStateTuple only h is dropped; the output is
    # untouched by state dropout.
    keep = 0.5
    inner = rn.BasicLSTMCell(4, seed=0)
    wrapper = rn.DropoutWrapper(inner, state_keep_prob=keep, seed=1)
    wrapper.build(3, F64)
    ref = copy_of(lambda: rn.BasicLSTMCell(4), inner, 3)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(100, 3))
    state = rn.LSTMStateTuple(rng.normal(size=(100, 4)), rng.normal(size=(100, 4)))
    out, new_state = wrapper(x, state)
    ref_out, ref_state = ref(x, state)
    assert isinstance(new_state, rn.LSTMStateTuple)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(new_state.c, ref_state.c)
    dropped = new_state.h == 0
    assert 0 < dropped.mean() < 1
    np.testing.assert_allclose(new_state.h[~dropped], ref_state.h[~dropped] / keep)


def test_state_dropout_drops_a_plain_state() -> None:
    keep = 0.5
    inner = rn.GRUCell(4, seed=0)
    wrapper = rn.DropoutWrapper(inner, state_keep_prob=keep, seed=1)
    wrapper.build(3, F64)
    ref = copy_of(lambda: rn.GRUCell(4), inner, 3)
    rng = np.random.default_rng(2)
    x, h = rng.normal(size=(100, 3)), rng.normal(size=(100, 4))
    out, new_state = wrapper(x, h)
    ref_out, ref_state = ref(x, h)
    np.testing.assert_array_equal(out, ref_out)  # output = new h before dropout
    dropped = new_state == 0
    assert 0 < dropped.mean() < 1
    np.testing.assert_allclose(new_state[~dropped], ref_state[~dropped] / keep)


def test_state_dropout_filter_reaches_into_a_stack() -> None:
    # Around a MultiRNNCell: each layer's LSTMStateTuple keeps c and drops h; a GRU's
    # plain state is dropped.
    keep = 0.5

    def stack():
        return rn.MultiRNNCell([rn.BasicLSTMCell(3, seed=0), rn.GRUCell(3, seed=1)])

    inner = stack()
    wrapper = rn.DropoutWrapper(inner, state_keep_prob=keep, seed=2)
    wrapper.build(2, F64)
    ref = copy_of(stack, inner, 2)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(100, 2))
    state = randomised(ref.zero_state(100, F64), rng)
    out, (lstm_state, gru_state) = wrapper(x, state)
    ref_out, (ref_lstm, ref_gru) = ref(x, state)
    np.testing.assert_array_equal(out, ref_out)
    assert isinstance(lstm_state, rn.LSTMStateTuple)
    np.testing.assert_array_equal(lstm_state.c, ref_lstm.c)
    for mine, theirs in ((lstm_state.h, ref_lstm.h), (gru_state, ref_gru)):
        dropped = mine == 0
        assert 0 < dropped.mean() < 1
        np.testing.assert_allclose(mine[~dropped], theirs[~dropped] / keep)


# --------------------------------------------------------------------------- batching


def test_split_batches_seed_example() -> None:
    # 1..12 as 2 rows, 1..6 and 7..12; batch k takes columns [3k, 3k + 3) of both rows.
    batches = rn.split_batches(np.arange(1, 13), batch_size=2, num_steps=3)
    np.testing.assert_array_equal(batches, [[[1, 2, 3], [7, 8, 9]], [[4, 5, 6], [10, 11, 12]]])


SPLITS = [(12, 2, 3), (13, 2, 3), (20, 3, 2), (100, 4, 5), (101, 3, 7), (35, 5, 6)]


@pytest.mark.parametrize("n, batch_size, num_steps", SPLITS)
def test_split_batches_layout(n: int, batch_size: int, num_steps: int) -> None:
    data = np.arange(n) * 10 + 3
    batch_len = n // batch_size
    rows = data[: batch_size * batch_len].reshape(batch_size, batch_len)
    count = batch_len // num_steps
    batches = rn.split_batches(data, batch_size, num_steps)
    assert batches.shape == (count, batch_size, num_steps)
    for k in range(count):
        np.testing.assert_array_equal(batches[k], rows[:, k * num_steps : (k + 1) * num_steps])


@pytest.mark.parametrize("n, batch_size, num_steps", SPLITS)
def test_input_target_batches(n: int, batch_size: int, num_steps: int) -> None:
    data = np.arange(n) * 10 + 3
    batch_len = n // batch_size
    rows = data[: batch_size * batch_len].reshape(batch_size, batch_len)
    pairs = rn.input_target_batches(data, batch_size, num_steps)
    assert len(pairs) == (batch_len - 1) // num_steps  # as TF's PTB reader
    for k, (x, y) in enumerate(pairs):
        assert x.shape == y.shape == (batch_size, num_steps)
        np.testing.assert_array_equal(x, rows[:, k * num_steps : (k + 1) * num_steps])
        np.testing.assert_array_equal(y, rows[:, k * num_steps + 1 : (k + 1) * num_steps + 1])
        np.testing.assert_array_equal(y[:, :-1], x[:, 1:])  # y is x one step ahead
        if k:
            np.testing.assert_array_equal(x[:, 0], pairs[k - 1][1][:, -1])  # rows continue


def test_input_target_batches_seed_example() -> None:
    # 1..12, B = 2, S = 3: rows 1..6 and 7..12 give (6 - 1) // 3 = 1 pair.
    pairs = rn.input_target_batches(np.arange(1, 13), 2, 3)
    assert len(pairs) == 1
    x, y = pairs[0]
    np.testing.assert_array_equal(x, [[1, 2, 3], [7, 8, 9]])
    np.testing.assert_array_equal(y, x + 1)


# --------------------------------------------------------------------------- dynamic_rnn


RUN_CELLS = {
    "GRU": lambda: rn.GRUCell(3, seed=0),
    "BasicLSTM": lambda: rn.BasicLSTMCell(3, seed=0),
    "LSTM-concat": lambda: rn.LSTMCell(3, num_proj=2, state_is_tuple=False, seed=0),
    "Multi": lambda: rn.MultiRNNCell([rn.GRUCell(3, seed=0), rn.BasicLSTMCell(2, seed=1)]),
}


def stepwise(cell, x: np.ndarray, state) -> tuple[list, list]:
    """Outputs and states after each step of calling the cell by hand; x: [B, T, D]."""
    outputs, states = [], []
    for t in range(x.shape[1]):
        out, state = cell(x[:, t], state)
        outputs.append(out)
        states.append(state)
    return outputs, states


@pytest.mark.parametrize("name", list(RUN_CELLS))
def test_dynamic_rnn_masking(name: str) -> None:
    cell = RUN_CELLS[name]()
    rng = np.random.default_rng(0)
    lengths = np.array([0, 2, 5, 1])
    x = rng.normal(size=(4, 5, 3))
    init = randomised(cell.zero_state(4, F64), rng)
    outputs, final = rn.dynamic_rnn(cell, x, sequence_length=lengths, initial_state=init)
    step_outs, step_states = stepwise(cell, x, init)
    for b, n in enumerate(lengths):
        for t in range(5):
            expected = step_outs[t][b] if t < n else np.zeros(cell.output_size)
            np.testing.assert_allclose(outputs[b, t], expected, err_msg=f"row {b}, t {t}")
        last = step_states[n - 1] if n else init  # the state at the last valid step
        for mine, ref in zip(leaves_of(final), leaves_of(last), strict=True):
            np.testing.assert_allclose(mine[b], ref[b], err_msg=f"final state, row {b}")
    # Without lengths every row runs to the end; time_major is the same run transposed.
    full, full_state = rn.dynamic_rnn(cell, x, initial_state=init)
    np.testing.assert_allclose(full, np.stack(step_outs, axis=1))
    tm, tm_state = rn.dynamic_rnn(cell, x.transpose(1, 0, 2), initial_state=init, time_major=True)
    np.testing.assert_allclose(tm, full.transpose(1, 0, 2))
    for mine, ref in zip(leaves_of(tm_state), leaves_of(full_state), strict=True):
        np.testing.assert_allclose(mine, ref)


def test_static_rnn_is_dynamic_rnn_on_a_list() -> None:
    cell = rn.LSTMCell(3, use_peepholes=True, seed=0)
    x = np.random.default_rng(1).normal(size=(4, 5, 2))
    lengths = np.array([5, 0, 3, 1])
    outs, state = rn.static_rnn(
        cell, list(x.transpose(1, 0, 2)), dtype=F64, sequence_length=lengths
    )
    ref, ref_state = rn.dynamic_rnn(cell, x, dtype=F64, sequence_length=lengths)
    assert len(outs) == 5
    np.testing.assert_allclose(np.stack(outs, axis=1), ref)
    np.testing.assert_allclose(state.c, ref_state.c)
    np.testing.assert_allclose(state.h, ref_state.h)


def reverse_within_lengths(x: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    out = x.copy()
    for b, n in enumerate(lengths):
        out[b, :n] = x[b, :n][::-1]
    return out


def test_bidirectional_reads_each_row_backwards_within_its_length() -> None:
    fw, bw = rn.GRUCell(3, seed=0), rn.BasicLSTMCell(2, seed=1)
    x = np.random.default_rng(2).normal(size=(3, 4, 2))
    lengths = np.array([4, 2, 0])
    (out_fw, out_bw), (s_fw, s_bw) = rn.bidirectional_dynamic_rnn(
        fw, bw, x, sequence_length=lengths, dtype=F64
    )
    ref_fw, ref_sfw = rn.dynamic_rnn(fw, x, sequence_length=lengths, dtype=F64)
    rev_out, ref_sbw = rn.dynamic_rnn(
        bw, reverse_within_lengths(x, lengths), sequence_length=lengths, dtype=F64
    )
    np.testing.assert_allclose(out_fw, ref_fw)
    np.testing.assert_allclose(s_fw, ref_sfw)
    np.testing.assert_allclose(out_bw, reverse_within_lengths(rev_out, lengths))
    np.testing.assert_allclose(s_bw.c, ref_sbw.c)
    np.testing.assert_allclose(s_bw.h, ref_sbw.h)
    # Row 1 (length 2): the backward output at t = 0 comes from reading x[1, 1] then x[1, 0].
    _, s = bw(x[1:2, 1], bw.zero_state(1, F64))
    o, _ = bw(x[1:2, 0], s)
    np.testing.assert_allclose(out_bw[1, 0], o[0])


@pytest.mark.parametrize(
    "make_cell",
    [
        lambda: rn.LSTMCell(3, num_proj=2),
        lambda: rn.MultiRNNCell([rn.GRUCell(2), rn.BasicRNNCell(2)]),
    ],
    ids=["lstm", "multi"],
)
def test_zero_time_steps_return_the_initial_state_and_zero_gradients(make_cell) -> None:
    # No step runs: no outputs, the final state is the initial one, and nothing has a gradient.
    cell = make_cell()
    inputs = np.zeros((2, 0, 4), np.float32)
    initial = structure.map_structure(lambda z: z + 0.5, cell.zero_state(2))
    outputs, state = rn.dynamic_rnn(cell, inputs, initial_state=initial)
    assert outputs.shape == (2, 0, cell.output_size)
    for got, want in zip(structure.flatten(state), structure.flatten(initial), strict=True):
        np.testing.assert_array_equal(got, want)
    _, _, tape = rn.dynamic_rnn_forward(cell, inputs, initial_state=initial)
    d_inputs, d_initial, d_weights = rn.dynamic_rnn_backward(tape)
    assert d_inputs.shape == inputs.shape
    assert all(not d.any() for d in structure.flatten(d_initial) + d_weights)
