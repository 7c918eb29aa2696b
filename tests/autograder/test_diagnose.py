"""Diagnosis by parts (``autograder.diagnose``), on the grader's side alone: no kernel, no
notebook. Each generated variant, fed to the judge as a learner's outputs, is named; the
shape of an error (misplaced, reshaped, scaled, overflowing, partly right) is named on any
exercise."""

import numpy as np
import pytest

from autograder.diagnose import diagnose
from autograder.exercises import (
    Exercise,
    backprop,
    batching,
    charrnn,
    dynamic_rnn,
    gru,
    lstm,
    rnn_cell,
    stacking,
)
from autograder.judge import judge
from autograder.learner.plain import to_plain

# Every exercise with variants but the TensorFlow ones (same variants, slower references).
WITH_VARIANTS = [
    e
    for module in (rnn_cell, lstm, gru, stacking, dynamic_rnn, batching, backprop, charrnn)
    for e in module.EXERCISES
    if e.variants
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("exercise", WITH_VARIANTS, ids=lambda e: e.name)
def test_every_variant_is_named_where_it_differs(exercise):
    rng = np.random.default_rng(0)
    cases = exercise.cases(rng, False) + exercise.cases(rng, True)
    differs = set()
    for case in cases:
        for part, variant in exercise.variants.items():
            verdict = judge(exercise, case, to_plain(variant.outputs(case)))
            if verdict.passed:  # e.g. forget_bias twice when forget_bias is 0
                continue
            differs.add(part)
            named = "This is what happens when" in verdict.message
            assert named or "The part that looks wrong:" in verdict.message, verdict.message
    assert differs == set(exercise.variants), "variants no case tells apart from the answer"


def _toy(expected: dict) -> Exercise:
    return Exercise(name="toy", cases=lambda rng, hidden: [{}], expect=lambda case: expected)


B, T, H = 2, 3, 4
OUTPUTS = np.random.default_rng(1).normal(size=(B, T, H)).astype(np.float32)
STATE = np.random.default_rng(2).normal(size=(B, H)).astype(np.float32)
RIGHT = {"outputs": OUTPUTS, "state": STATE}


@pytest.mark.parametrize(
    ("received", "id_"),
    [
        (  # time-major outputs reshaped to [B, T, H] instead of transposed
            {"outputs": OUTPUTS.transpose(1, 0, 2).reshape(B, T, H), "state": STATE},
            "diagnosis:outputs.reshaped",
        ),
        ({"outputs": OUTPUTS * 0.5, "state": STATE}, "diagnosis:outputs.scale"),
        ({"outputs": OUTPUTS, "state": STATE + 1}, "diagnosis:only.state"),
        (
            {"outputs": np.where(OUTPUTS > 1, np.inf, OUTPUTS), "state": STATE},
            "diagnosis:outputs.overflow",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_the_shape_of_an_error_is_named(received, id_):
    expected = to_plain(RIGHT)
    found = diagnose(_toy(RIGHT), {}, to_plain(received), expected)
    assert found is not None and found.id == id_, found


def test_swapped_axes_are_named_when_the_shape_allows():
    square = np.arange(2 * 2 * 3, dtype=np.float64).reshape(2, 2, 3) + 1
    found = diagnose(_toy({"o": square}), {}, {"o": square.transpose(1, 0, 2)}, {"o": square})
    assert found is not None and found.id == "diagnosis:o.axes_swapped"


def test_unrelated_numbers_get_no_diagnosis():
    noise = {"outputs": OUTPUTS[::-1] * 3 + 1, "state": STATE - 2}
    assert diagnose(_toy(RIGHT), {}, to_plain(noise), to_plain(RIGHT)) is None


def test_swapped_parts_are_named():
    c, h = STATE, STATE[::-1] + 1
    right = {"c": c, "h": h}
    found = diagnose(_toy(right), {}, {"c": h, "h": c}, right)
    assert found is not None and found.id == "diagnosis:c.holds.h"
    assert "and the other way round" in found.message


def _lstm_case(forget_bias: float) -> dict:
    rng = np.random.default_rng(3)
    config = {"batch": 4, "depth": 3, "units": 3, "dtype": "float64", "forget_bias": forget_bias}
    return lstm._lstm_cases(rng, [config])[0]


def _with(case: dict, **options) -> dict:
    return {**case, "options": {**case["options"], **options}}


def _bias_moved(case: dict, block: int, by: np.ndarray) -> dict:
    kernel, bias = case["weights"]
    H = case["num_units"]
    moved = bias.copy()
    moved[block * H : (block + 1) * H] += by
    return {**case, "weights": [kernel, moved]}


@pytest.mark.parametrize(
    ("learner", "id_"),
    [  # what the learner's cell computes, as the reference on a changed case
        (lambda case: _with(case, forget_bias=1.0), "diagnosis:f_gate.constant"),
        (lambda case: _bias_moved(case, 0, np.array([0.3, -0.2, 0.5])), "diagnosis:i_gate.bias"),
        (lambda case: _bias_moved(case, 3, np.full(3, 0.4)), "diagnosis:o_gate.constant"),
    ],
)
def test_the_lstm_solver_finds_the_gate_whose_constant_is_off(learner, id_):
    case = _lstm_case(forget_bias=2.5)
    received = to_plain(lstm._lstm(learner(case)))
    expected = to_plain(lstm.BASIC_LSTM_CELL.expect(case))
    found = diagnose(lstm.BASIC_LSTM_CELL, case, received, expected)
    assert found is not None and found.id == id_, found


def test_the_lstm_solver_claims_no_gate_for_a_changed_kernel():
    case = _lstm_case(forget_bias=1.0)
    kernel, bias = case["weights"]
    changed = kernel.copy()
    changed[0] += 0.7  # the first input row, every gate
    received = to_plain(lstm._lstm({**case, "weights": [changed, bias]}))
    assert lstm.locate(case, received) is None
    assert lstm.locate(case, to_plain(lstm.BASIC_LSTM_CELL.expect(case))) is None


def test_the_wrong_time_steps_are_named():
    exercise = dynamic_rnn.DYNAMIC_RNN_MASKING
    case = exercise.cases(np.random.default_rng(0), False)[0]  # [B, T, D], lengths [5, 3, 1, 4]
    expected = to_plain(exercise.expect(case))
    later = {**expected, "outputs": expected["outputs"].copy()}
    later["outputs"][:, 2:] += 0.5
    found = diagnose(exercise, case, later, expected)
    assert found is not None and found.id == "diagnosis:steps.carry", found
    padded = {**expected, "outputs": expected["outputs"].copy()}
    padded["outputs"][2, 1:] = 0.25  # row 2 has length 1
    found = diagnose(exercise, case, padded, expected)
    assert found is not None and found.id == "diagnosis:mask.padding", found


def test_the_wrong_gradient_term_is_named():
    lstm_case = backprop.LSTM_STEP_BACKWARD.cases(np.random.default_rng(0), False)[0]
    received = backprop._lstm(lstm_case)
    H = lstm_case["h_prev"].shape[1]
    received["d_bias"] = received["d_bias"].copy()
    received["d_bias"][2 * H : 3 * H] *= 2  # the f block only
    received["d_kernel"] = received["d_kernel"].copy()
    received["d_kernel"][:, 2 * H : 3 * H] += 1
    assert backprop.locate_lstm(lstm_case, received)[0] == "d_f"

    exercise = backprop.RNN_STEP_BACKWARD
    case = exercise.cases(np.random.default_rng(0), False)[0]
    expected = to_plain(exercise.expect(case))
    wrong = {**expected, "d_kernel": expected["d_kernel"].copy()}
    wrong["d_kernel"][-1] += 1  # a recurrent row
    found = diagnose(exercise, case, wrong, expected)
    assert found is not None and found.id == "diagnosis:d_kernel.recurrent_rows", found


def test_the_gru_solver_finds_a_bias_off_in_the_update_gate_or_the_candidate():
    case = gru.GRU_CELL.cases(np.random.default_rng(0), False)[0]
    H = case["num_units"]
    W_g, b_g, W_c, b_c = case["weights"]
    moved_u = b_g.copy()
    moved_u[H:] += 0.4
    received = to_plain(gru._gru({**case, "weights": [W_g, moved_u, W_c, b_c]}))
    assert gru.locate(case, received)[0] == "u_gate.constant"
    received = to_plain(gru._gru({**case, "weights": [W_g, b_g, W_c, b_c + np.arange(H) / 10]}))
    assert gru.locate(case, received)[0] == "candidate.bias"
    assert gru.locate(case, to_plain(gru.GRU_CELL.expect(case))) is None
