"""Parity of ``rnnref.np`` with TensorFlow's own TF1 cells (``tf.compat.v1.nn.rnn_cell``).

Every case builds the same cell twice, once in TensorFlow (run eagerly) and once in
``rnnref.np``, moves the TF cell's biases and peephole weights away from their
initial values, copies all TF weights into ours with ``build`` + ``set_weights`` and then
compares single steps, ``dynamic_rnn``, ``static_rnn`` and ``bidirectional_dynamic_rnn``
(outputs and final states, structure and dtype included).

A cell is described once, as a small tree of ``Spec`` records, and built from that
description by both libraries, so each case below is one line.
"""

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # tf.compat.v1.nn.rnn_cell from tf_keras, TF1 cells
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import itertools  # noqa: E402
from typing import Any, NamedTuple  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import rnnref.np as rn  # noqa: E402

tf.get_logger().setLevel("ERROR")
v1 = tf.compat.v1.nn.rnn_cell

pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

B, T, D = 3, 5, 4  # batch, time steps, input depth
ATOL = {np.float32: 2e-5, np.float64: 1e-10}
LENGTHS = np.array([0, T, 2], dtype=np.int32)  # empty, full and partial rows


def np_relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0)


def np_identity(x: np.ndarray) -> np.ndarray:
    return x


ACTIVATIONS = {  # name -> (TensorFlow function, NumPy function)
    "tanh": (tf.tanh, np.tanh),
    "relu": (tf.nn.relu, np_relu),
    "identity": (tf.identity, np_identity),
}


# --------------------------------------------------------------------------- cell descriptions


class Spec(NamedTuple):
    kind: str  # class name, the same in tf.compat.v1.nn.rnn_cell and rnnref.np
    kwargs: dict
    children: tuple  # inner specs: one for a wrapper, the layers for a MultiRNNCell
    label: str

    def __str__(self) -> str:
        return self.label


def basic_rnn(units: int, activation: str = "tanh") -> Spec:
    return Spec(
        "BasicRNNCell",
        {"num_units": units, "activation": activation},
        (),
        f"BasicRNN{units}-{activation}",
    )


def gru(units: int, activation: str = "tanh") -> Spec:
    return Spec(
        "GRUCell", {"num_units": units, "activation": activation}, (), f"GRU{units}-{activation}"
    )


def basic_lstm(
    units: int, forget_bias: float = 1.0, state_is_tuple: bool = True, activation: str = "tanh"
) -> Spec:
    kwargs = {
        "num_units": units,
        "forget_bias": forget_bias,
        "state_is_tuple": state_is_tuple,
        "activation": activation,
    }
    label = f"BasicLSTM{units}-fb{forget_bias:g}-{'tuple' if state_is_tuple else 'concat'}"
    return Spec(
        "BasicLSTMCell", kwargs, (), label + ("" if activation == "tanh" else f"-{activation}")
    )


def lstm(
    units: int,
    use_peepholes: bool = False,
    cell_clip: float | None = None,
    num_proj: int | None = None,
    proj_clip: float | None = None,
    forget_bias: float = 1.0,
    state_is_tuple: bool = True,
    activation: str = "tanh",
) -> Spec:
    kwargs = {
        "num_units": units,
        "use_peepholes": use_peepholes,
        "cell_clip": cell_clip,
        "num_proj": num_proj,
        "proj_clip": proj_clip,
        "forget_bias": forget_bias,
        "state_is_tuple": state_is_tuple,
        "activation": activation,
    }
    parts = [f"LSTM{units}"]
    parts += ["peep"] if use_peepholes else []
    parts += [f"cclip{cell_clip:g}"] if cell_clip is not None else []
    parts += [f"proj{num_proj}"] if num_proj is not None else []
    parts += [f"pclip{proj_clip:g}"] if proj_clip is not None else []
    parts += [f"fb{forget_bias:g}"] if forget_bias != 1.0 else []
    parts += [] if activation == "tanh" else [activation]
    parts += ["tuple" if state_is_tuple else "concat"]
    return Spec("LSTMCell", kwargs, (), "-".join(parts))


def multi(layers: list, state_is_tuple: bool = True) -> Spec:
    inner = ",".join(str(layer) for layer in layers)
    return Spec(
        "MultiRNNCell",
        {"state_is_tuple": state_is_tuple},
        tuple(layers),
        f"Multi[{inner}]-{'tuple' if state_is_tuple else 'concat'}",
    )


def residual(inner: Spec) -> Spec:
    return Spec("ResidualWrapper", {}, (inner,), f"Residual({inner})")


def dropout_keep_all(inner: Spec) -> Spec:
    kwargs = {"input_keep_prob": 1.0, "output_keep_prob": 1.0, "state_keep_prob": 1.0}
    return Spec("DropoutWrapper", kwargs, (inner,), f"Dropout1.0({inner})")


LSTM_OPTIONS = list(
    itertools.product(
        (False, True),  # use_peepholes
        (None, 0.4),  # cell_clip: small enough to be hit
        (None, 2),  # num_proj
        (None, 0.3),  # proj_clip (TF ignores it without num_proj)
        (True, False),  # state_is_tuple
    )
)

MULTI_TUPLE = multi([gru(3), basic_lstm(4), lstm(5, use_peepholes=True, num_proj=3)])
MULTI_CONCAT = multi(
    [
        gru(3),
        basic_lstm(4, state_is_tuple=False),
        lstm(5, num_proj=3, state_is_tuple=False),
        basic_rnn(2),
    ],
    state_is_tuple=False,
)
MULTI_WRAPPED = multi(
    [dropout_keep_all(gru(4)), residual(basic_lstm(4)), residual(lstm(6, num_proj=4))]
)
MULTI_NESTED = multi([multi([basic_rnn(3), gru(3)]), basic_lstm(3)])
RESIDUAL_LSTM = residual(lstm(6, use_peepholes=True, num_proj=4))
DROPOUT_LSTM = dropout_keep_all(lstm(5, use_peepholes=True, num_proj=3))

SPECS = [
    basic_rnn(3, "tanh"),
    basic_rnn(5, "relu"),
    gru(4),
    gru(3, "relu"),
    *[basic_lstm(4, fb, tup) for fb in (0.0, 1.0, 2.5) for tup in (True, False)],
    basic_lstm(3, activation="relu"),
    *[
        lstm(5, peep, cclip, proj, pclip, state_is_tuple=tup)
        for peep, cclip, proj, pclip, tup in LSTM_OPTIONS
    ],
    lstm(3, use_peepholes=True, forget_bias=0.0),
    lstm(4, use_peepholes=True, num_proj=3, activation="relu"),
    MULTI_TUPLE,
    MULTI_CONCAT,
    MULTI_WRAPPED,
    MULTI_NESTED,
    multi([lstm(3)]),
    residual(basic_rnn(4)),
    residual(gru(4)),
    RESIDUAL_LSTM,
    residual(basic_lstm(4, state_is_tuple=False)),
    DROPOUT_LSTM,
    dropout_keep_all(gru(3)),
    dropout_keep_all(basic_lstm(3, state_is_tuple=False)),
    dropout_keep_all(residual(basic_rnn(4, "identity"))),
    residual(dropout_keep_all(gru(4))),
]
SPEC_IDS = [str(spec) for spec in SPECS]
assert len(set(SPEC_IDS)) == len(SPEC_IDS), "every case needs its own id"

# A smaller, varied set for the costlier bidirectional and float64 runs.
SPECS_SUBSET = [
    basic_rnn(3),
    gru(4),
    basic_lstm(4),
    basic_lstm(4, forget_bias=2.5, state_is_tuple=False),
    lstm(5, use_peepholes=True, cell_clip=0.4, num_proj=2, proj_clip=0.3),
    lstm(5, use_peepholes=True, num_proj=2, state_is_tuple=False),
    MULTI_TUPLE,
    MULTI_CONCAT,
    MULTI_NESTED,
    RESIDUAL_LSTM,
    DROPOUT_LSTM,
]
assert all(spec in SPECS for spec in SPECS_SUBSET)


def build_cell(spec: Spec, lib: str, leaves: list | None = None) -> Any:
    """The cell ``spec`` describes, from TF (``lib="tf"``) or rnnref.np (``lib="np"``).

    ``leaves`` collects the innermost (weight-holding) cells in TF1's weight order.
    """
    namespace = v1 if lib == "tf" else rn
    kwargs = dict(spec.kwargs)
    if "activation" in kwargs:
        kwargs["activation"] = ACTIVATIONS[kwargs["activation"]][lib == "np"]
    inner = [build_cell(child, lib, leaves) for child in spec.children]
    if spec.kind == "MultiRNNCell":
        return namespace.MultiRNNCell(inner, **kwargs)
    if inner:
        return getattr(namespace, spec.kind)(inner[0], **kwargs)
    cell = getattr(namespace, spec.kind)(**kwargs)
    if leaves is not None:
        leaves.append(cell)
    return cell


# --------------------------------------------------------------------------- structures


def is_lstm_tuple(value: Any) -> bool:
    return isinstance(value, tuple) and getattr(value, "_fields", None) == ("c", "h")


def to_np(value: Any) -> Any:
    """A TF structure of tensors (or ints) as rnnref's: rn.LSTMStateTuple, tuples, arrays."""
    if is_lstm_tuple(value):
        return rn.LSTMStateTuple(to_np(value.c), to_np(value.h))
    if isinstance(value, (tuple, list)):
        return tuple(to_np(part) for part in value)
    if isinstance(value, int):
        return value
    return value.numpy() if hasattr(value, "numpy") else np.asarray(value)


def to_tf(value: Any) -> Any:
    if is_lstm_tuple(value):
        return v1.LSTMStateTuple(to_tf(value.c), to_tf(value.h))
    if isinstance(value, tuple):
        return tuple(to_tf(part) for part in value)
    return tf.constant(value)


def map_leaves(fn: Any, value: Any) -> Any:
    if is_lstm_tuple(value):
        return rn.LSTMStateTuple(map_leaves(fn, value.c), map_leaves(fn, value.h))
    if isinstance(value, tuple):
        return tuple(map_leaves(fn, part) for part in value)
    return fn(value)


def assert_same(ours: Any, ref: Any, dtype: Any, where: str = "value") -> None:
    """``ours`` nests like ``ref`` (a NumPy structure) and matches it within ATOL[dtype]."""
    if is_lstm_tuple(ref):
        kind = type(ours).__name__
        assert isinstance(ours, rn.LSTMStateTuple), f"{where}: {kind} is no LSTMStateTuple"
    if isinstance(ref, tuple):
        assert isinstance(ours, tuple), f"{where}: expected a tuple, got {type(ours).__name__}"
        assert len(ours) == len(ref), f"{where}: {len(ours)} parts != {len(ref)}"
        for index, (a, b) in enumerate(zip(ours, ref, strict=True)):
            assert_same(a, b, dtype, f"{where}[{index}]")
        return
    assert isinstance(ours, np.ndarray), f"{where}: expected ndarray, got {type(ours).__name__}"
    assert ours.dtype == dtype, f"{where}: dtype {ours.dtype} != {np.dtype(dtype)}"
    assert ours.shape == ref.shape, f"{where}: shape {ours.shape} != {ref.shape}"
    np.testing.assert_allclose(ours, ref, rtol=0, atol=ATOL[dtype], err_msg=where)


def assert_same_sizes(ours: Any, ref: Any, where: str) -> None:
    """state_size / output_size: same ints, LSTMStateTuple where TF has one."""
    if is_lstm_tuple(ref):
        assert isinstance(ours, rn.LSTMStateTuple), f"{where}: {ours!r} is no LSTMStateTuple"
    if isinstance(ref, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(ref), f"{where}: {ours!r} != {ref!r}"
        for index, (a, b) in enumerate(zip(ours, ref, strict=True)):
            assert_same_sizes(a, b, f"{where}[{index}]")
        return
    assert ours == int(ref), f"{where}: {ours!r} != {ref!r}"


# --------------------------------------------------------------------------- building pairs


# (label, dtype, seed) -> (TF cell, its variables), made once: making a TF1 cell's variables
# eagerly costs more than the runs that use it, and no test changes a TF cell or its weights.
_TF_CELLS: dict[tuple[str, str, int], tuple[Any, list]] = {}


def make_tf(spec: Spec, dtype: Any, seed: int) -> tuple[Any, list]:
    """``new_tf(spec, dtype, seed)``, made once: the same objects every time after."""
    key = (spec.label, np.dtype(dtype).name, seed)
    if key not in _TF_CELLS:
        _TF_CELLS[key] = new_tf(spec, dtype, seed)
    return _TF_CELLS[key]


def new_tf(spec: Spec, dtype: Any, seed: int) -> tuple[Any, list]:
    """A built TF cell with its biases and peephole weights perturbed, and its weights."""
    tf.random.set_seed(seed)
    rng = np.random.default_rng(seed)
    leaves: list = []
    cell = build_cell(spec, "tf", leaves)
    tf_dtype = tf.as_dtype(dtype)
    cell(tf.zeros([1, D], tf_dtype), cell.zero_state(1, tf_dtype))  # creates the variables
    variables = [w for leaf in leaves for w in leaf.weights]
    for w in variables:
        if w.shape.rank == 1:  # biases and peephole diagonals: away from zeros/ones
            w.assign(w + rng.normal(0.0, 0.5, w.shape).astype(dtype))
    return cell, variables


def make_pair(spec: Spec, dtype: Any = np.float32, seed: int = 0) -> tuple[Any, Any]:
    tf_cell, variables = make_tf(spec, dtype, seed)
    ours = build_cell(spec, "np")
    ours.build(D, dtype)
    ours.set_weights([w.numpy() for w in variables])
    return tf_cell, ours


def random_state(tf_cell: Any, dtype: Any, rng: np.random.Generator) -> Any:
    zeros = to_np(tf_cell.zero_state(B, tf.as_dtype(dtype)))
    return map_leaves(lambda z: rng.normal(size=z.shape).astype(dtype), zeros)


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("build_via", ["build", "call"])
@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_weights_match_tf_count_shapes_and_order(spec: Spec, build_via: str) -> None:
    _, variables = make_tf(spec, np.float32, seed=1)
    ours = build_cell(spec, "np")
    assert not ours.built
    if build_via == "build":
        ours.build(D, np.float32)
    else:
        ours(np.zeros((B, D), np.float32), ours.zero_state(B, np.float32))
    assert ours.built
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in variables]
    assert all(w.dtype == np.float32 for w in ours.weights)
    values = [w.numpy() for w in variables]
    ours.set_weights(values)
    for index, (mine, theirs) in enumerate(zip(ours.weights, values, strict=True)):
        np.testing.assert_array_equal(mine, theirs, err_msg=f"weight {index}")


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_sizes_and_zero_state_match_tf(spec: Spec) -> None:
    tf_cell = build_cell(spec, "tf")
    ours = build_cell(spec, "np")
    assert_same_sizes(ours.state_size, tf_cell.state_size, "state_size")
    assert_same_sizes(ours.output_size, tf_cell.output_size, "output_size")
    for dtype in (np.float32, np.float64):
        assert_same(
            ours.zero_state(B, dtype),
            to_np(tf_cell.zero_state(B, tf.as_dtype(dtype))),
            dtype,
            "zero_state",
        )


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_single_step_matches_tf(spec: Spec) -> None:
    tf_cell, ours = make_pair(spec)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(B, D)).astype(np.float32)
    state = random_state(tf_cell, np.float32, rng)
    ref_out, ref_state = tf_cell(tf.constant(x), to_tf(state))
    out, new_state = ours(x, state)
    assert_same(out, to_np(ref_out), np.float32, "output")
    assert_same(new_state, to_np(ref_state), np.float32, "state")
    # A second step from the new state: the state is threaded through correctly.
    ref_out2, ref_state2 = tf_cell(tf.constant(x[::-1].copy()), ref_state)
    out2, new_state2 = ours(x[::-1].copy(), new_state)
    assert_same(out2, to_np(ref_out2), np.float32, "output, step 2")
    assert_same(new_state2, to_np(ref_state2), np.float32, "state, step 2")


DYNAMIC_SCENARIOS = {  # id -> (time_major, sequence_length, initial state given)
    "batch-major-no-lengths-zero-init": (False, None, False),
    "batch-major-lengths-zero-init": (False, LENGTHS, False),
    "time-major-lengths-given-init": (True, LENGTHS[::-1].copy(), True),
}


def run_dynamic(spec: Spec, scenario: str, dtype: Any) -> None:
    time_major, lengths, given_init = DYNAMIC_SCENARIOS[scenario]
    tf_cell, ours = make_pair(spec, dtype)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(T, B, D) if time_major else (B, T, D)).astype(dtype)
    init = random_state(tf_cell, dtype, rng) if given_init else None
    ref_out, ref_state = tf.compat.v1.nn.dynamic_rnn(
        tf_cell,
        tf.constant(x),
        sequence_length=lengths,
        initial_state=None if init is None else to_tf(init),
        dtype=None if given_init else tf.as_dtype(dtype),
        time_major=time_major,
    )
    out, state = rn.dynamic_rnn(
        ours,
        x,
        sequence_length=lengths,
        initial_state=init,
        dtype=None if given_init else dtype,
        time_major=time_major,
    )
    assert_same(out, to_np(ref_out), dtype, "outputs")
    assert_same(state, to_np(ref_state), dtype, "final state")


@pytest.mark.parametrize("scenario", list(DYNAMIC_SCENARIOS))
@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_dynamic_rnn_matches_tf(spec: Spec, scenario: str) -> None:
    run_dynamic(spec, scenario, np.float32)


@pytest.mark.parametrize(
    "scenario", ["batch-major-lengths-zero-init", "time-major-lengths-given-init"]
)
@pytest.mark.parametrize("spec", SPECS_SUBSET, ids=str)
def test_dynamic_rnn_matches_tf_in_float64(spec: Spec, scenario: str) -> None:
    run_dynamic(spec, scenario, np.float64)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_static_rnn_matches_tf(spec: Spec) -> None:
    tf_cell, ours = make_pair(spec)
    rng = np.random.default_rng(4)
    steps = [rng.normal(size=(B, D)).astype(np.float32) for _ in range(T)]
    init = random_state(tf_cell, np.float32, rng)
    ref_outs, ref_state = tf.compat.v1.nn.static_rnn(
        tf_cell, [tf.constant(x) for x in steps], initial_state=to_tf(init), sequence_length=LENGTHS
    )
    outs, state = rn.static_rnn(ours, steps, initial_state=init, sequence_length=LENGTHS)
    assert isinstance(outs, list) and len(outs) == T
    for t, (mine, theirs) in enumerate(zip(outs, ref_outs, strict=True)):
        assert_same(mine, to_np(theirs), np.float32, f"output {t}")
    assert_same(state, to_np(ref_state), np.float32, "final state")


BIDI_SCENARIOS = {  # id -> (time_major, sequence_length, initial states given)
    "batch-major-lengths-zero-init": (False, np.array([2, 0, T], dtype=np.int64), False),
    "batch-major-no-lengths-zero-init": (False, None, False),
    "time-major-lengths-given-init": (True, np.array([T, 3, 0], dtype=np.int32), True),
}


@pytest.mark.parametrize("scenario", list(BIDI_SCENARIOS))
@pytest.mark.parametrize("spec", SPECS_SUBSET, ids=str)
def test_bidirectional_dynamic_rnn_matches_tf(spec: Spec, scenario: str) -> None:
    time_major, lengths, given_init = BIDI_SCENARIOS[scenario]
    tf_fw, ours_fw = make_pair(spec, seed=5)
    tf_bw, ours_bw = make_pair(spec, seed=6)
    rng = np.random.default_rng(7)
    x = rng.normal(size=(T, B, D) if time_major else (B, T, D)).astype(np.float32)
    init_fw = random_state(tf_fw, np.float32, rng) if given_init else None
    init_bw = random_state(tf_bw, np.float32, rng) if given_init else None
    (ref_fw, ref_bw), (ref_sfw, ref_sbw) = tf.compat.v1.nn.bidirectional_dynamic_rnn(
        tf_fw,
        tf_bw,
        tf.constant(x),
        sequence_length=lengths,
        initial_state_fw=None if init_fw is None else to_tf(init_fw),
        initial_state_bw=None if init_bw is None else to_tf(init_bw),
        dtype=None if given_init else tf.float32,
        time_major=time_major,
    )
    (out_fw, out_bw), (state_fw, state_bw) = rn.bidirectional_dynamic_rnn(
        ours_fw,
        ours_bw,
        x,
        sequence_length=lengths,
        initial_state_fw=init_fw,
        initial_state_bw=init_bw,
        dtype=None if given_init else np.float32,
        time_major=time_major,
    )
    assert_same(out_fw, to_np(ref_fw), np.float32, "forward outputs")
    assert_same(out_bw, to_np(ref_bw), np.float32, "backward outputs")
    assert_same(state_fw, to_np(ref_sfw), np.float32, "forward state")
    assert_same(state_bw, to_np(ref_sbw), np.float32, "backward state")
