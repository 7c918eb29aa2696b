"""The kernel boundary's data format: plain data round-trips exactly, nothing else gets through."""

import collections
import json

import numpy as np
import pytest

from autograder.learner import wire
from autograder.learner.plain import Named, Unsupported

State = collections.namedtuple("LSTMStateTuple", ("c", "h"))


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        -(2**70),
        0.1,
        float("inf"),
        "text",
        np.arange(6, dtype=np.float32).reshape(2, 3),
        np.array([1, 2], dtype=np.int64),
        np.float32(1.5),
        (1, [2.0, "x"]),
        {"x": np.ones(2), "n": 3},
    ],
)
def test_plain_data_round_trips_exactly(value):
    back = wire.loads(wire.dumps(value))
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and np.array_equal(back, value)
    elif isinstance(value, dict):
        assert back.keys() == value.keys()
    elif isinstance(value, np.generic):
        assert back == value and back.dtype == value.dtype
    else:
        assert back == value


def test_nan_survives():
    assert np.isnan(wire.loads(wire.dumps(float("nan"))))


def test_namedtuples_are_named_for_the_judge_and_real_for_the_kernel():
    state = State(np.zeros(2), np.ones(2))
    judged = wire.loads(wire.dumps(state))
    assert isinstance(judged, Named) and judged.type_name == "LSTMStateTuple"
    assert judged.fields == ("c", "h")
    kernel = wire.loads(wire.dumps(state), namedtuples=True)
    assert kernel._fields == ("c", "h") and np.array_equal(kernel.h, state.h)


def test_unsupported_values_and_remote_errors_keep_their_names():
    assert wire.loads(wire.dumps(Unsupported("mod.Thing"))).type_name == "mod.Thing"
    error = wire.loads(wire.dumps(wire.RemoteError("ValueError", "bad", "Traceback ...")))
    assert error == wire.RemoteError("ValueError", "bad") and error.traceback == "Traceback ..."


@pytest.mark.parametrize("value", [object(), lambda: 1, {1: 2}, {"a": object()}])
def test_anything_else_is_refused_with_a_reason(value):
    with pytest.raises(wire.WireError, match="cannot cross|keys must be strings"):
        wire.dumps(value)


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        "[1, 2]",
        '{"eval": "1"}',
        '{"ndarray": "!!!"}',
        '{"int": 5}',
        '{"float": "1e999999 and more"}',
        '{"named": "X", "fields": ["a"], "values": []}',
        json.dumps({"list": [{"tuple": [{"pickle": "gASV"}]}]}),
    ],
)
def test_malformed_payloads_never_become_values(payload):
    with pytest.raises(wire.WireError):
        wire.loads(payload)


def test_pickled_arrays_are_refused():
    import base64
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.array([object()], dtype=object), allow_pickle=True)
    payload = json.dumps({"ndarray": base64.b64encode(buffer.getvalue()).decode()})
    with pytest.raises(wire.WireError, match="could not be read"):
        wire.loads(payload)


def test_deep_nesting_is_refused():
    value: list = []
    for _ in range(wire.MAX_DEPTH + 5):
        value = [value]
    with pytest.raises(wire.WireError, match="deeper"):
        wire.dumps(value)
