"""Feedback that names the mistake (issue 11): stable mistake ids from the judge to grades.csv,
a hook for diagnoses, answers that write into their arguments named, one bug costing one
exercise, a self-check that fails what grading fails, and correct alternatives at full marks.

Answers are the solutions with one piece of source replaced, run in-process and self-checked
(judged by the self-judge process), as in ``tests/course/test_mutations.py``.
"""

import csv
import shutil
import subprocess
import sys
from dataclasses import dataclass

import nbformat
import numpy as np
import pytest

from autograder import feedback, judge, registry, report
from autograder.gradebook import comment_text
from autograder.learner import drive, wire
from autograder.learner.plain import to_plain
from autograder.scoring import NotebookResult, Score
from tests.course_support import SOLUTIONS, first_failure, namespace_from, nbgrader_meta

EXERCISES = registry.exercises()


@dataclass(frozen=True)
class Edit:
    """An answer cell's source with ``old`` replaced by ``new`` (``count`` times, -1: all)."""

    notebook: str  # assignment folder / notebook name
    answer: str  # the answer cell's grade_id
    old: str
    new: str
    count: int = 1


def _namespace(edit: Edit | None, notebook: str) -> dict:
    nb = nbformat.read(str(SOLUTIONS / f"{notebook}.ipynb"), as_version=4)
    if edit is not None:
        [cell] = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") == edit.answer]
        assert edit.old in cell.source, f"the solution no longer contains {edit.old!r}"
        cell.source = cell.source.replace(edit.old, edit.new, edit.count)
    return namespace_from(nb)


def _failures(namespace: dict, check: str, answer: str) -> tuple[str | None, str | None]:
    """The self-check's first failure on the visible and on the hidden cases (None: passed)."""
    value = eval(answer, namespace)
    found = getattr(namespace["check"], check)
    visible, hidden = (first_failure(found, value, hidden=h) for h in (False, True))
    return (None if visible is None else str(visible)), (None if hidden is None else str(hidden))


# ---- mistake ids and the diagnosis hook ------------------------------------------------


def test_every_mistake_has_a_stable_unique_id():
    ids = []
    for name, exercise in EXERCISES.items():
        for key, mistake in exercise.mistakes.items():
            assert mistake.id == f"{name}.{key}"
            ids.append(mistake.id)
    assert len(ids) == len(set(ids))


def _case_and_expected(name: str) -> tuple:
    exercise = EXERCISES[name]
    case = exercise.cases(np.random.default_rng(0), False)[0]
    return exercise, case, to_plain(exercise.expect(case))


def test_the_verdict_carries_the_matched_mistakes_id():
    exercise, case, _ = _case_and_expected("basic_lstm_cell")
    received = to_plain(exercise.mistakes["forget_bias_missing"].outputs(case))
    verdict = judge.judge(exercise, case, received, to_plain(case))
    assert not verdict.passed
    assert verdict.mistake == "basic_lstm_cell.forget_bias_missing"
    assert "forget_bias is missing" in verdict.message


def test_the_diagnosis_names_what_no_known_mistake_matches(monkeypatch):
    exercise, case, expected = _case_and_expected("basic_rnn_cell")
    received = {**expected, "output": expected["output"] * 3}
    verdict = judge.judge(exercise, case, received)
    assert not verdict.passed
    assert verdict.mistake is not None and verdict.mistake.startswith("diagnosis:")

    def broken(exercise, case, received, expected):
        raise RuntimeError("a diagnosis with a bug costs nothing")

    monkeypatch.setattr(judge, "diagnose", broken)
    verdict = judge.judge(exercise, case, received)
    assert not verdict.passed and verdict.mistake is None
    assert "wrong values" in verdict.message


def test_the_mistake_reaches_grades_csv_the_gradebook_comment_and_the_page(tmp_path):
    failed = Score("lstm_test", 0.0, 3.0, "case 1: wrong", mistake="lstm_cell_peepholes.x")
    passed = Score("rnn_test", 2.0, 2.0, "passed")
    result = NotebookResult("ann", "02_lstm", "lstm", [failed, passed])
    report.write_csv(tmp_path / "grades.csv", [result], [])
    with open(tmp_path / "grades.csv", newline="", encoding="utf-8") as file:
        rows = {row["exercise"]: row for row in csv.DictReader(file)}
    assert rows["lstm_test"]["mistake"] == "lstm_cell_peepholes.x"
    assert rows["rnn_test"]["mistake"] == ""
    assert comment_text(failed).splitlines()[-1] == "mistake: lstm_cell_peepholes.x"
    assert comment_text(passed) is None  # a passed cell has nothing to say
    assert "(lstm_cell_peepholes.x)" in feedback.page("ann", "02_lstm", [result])
    assert NotebookResult.from_json(result.to_json()) == result


# ---- arguments are left alone --------------------------------------------------------------


def test_the_judge_names_an_argument_written_into():
    exercise, case, expected = _case_and_expected("basic_rnn_cell")
    after = to_plain(case)
    after["state"] = after["state"] + 1.0
    verdict = judge.judge(exercise, case, expected, after)
    assert not verdict.passed
    assert "your call wrote into the `state` it was given" in verdict.message
    assert verdict.mistake == "basic_rnn_cell.wrote_into_arguments"
    assert judge.judge(exercise, case, expected, to_plain(case)).passed


WRITERS = [
    pytest.param(
        Edit(
            "01_rnn_cell/rnn_cell",
            "basic_rnn_cell_answer",
            "return new_h, new_h",
            "h_prev[...] = new_h  # the caller's state, overwritten\n        return new_h, new_h",
        ),
        "basic_rnn_cell",
        "BasicRNNCell",
        "`state`",
        id="state",
    ),
    pytest.param(
        Edit(
            "08_backprop/backprop",
            "rnn_step_backward_answer",
            "d_z = d_new_h * (1 - new_h**2)  # tanh'(z) = 1 - tanh(z)^2",
            "d_new_h *= 1 - new_h**2\n    d_z = d_new_h",
        ),
        "rnn_step_backward",
        "rnn_step_backward",
        "`d_outputs`",
        id="gradient",
    ),
]


@pytest.mark.parametrize(("edit", "check", "answer", "named"), WRITERS)
def test_an_answer_that_writes_into_its_arguments_fails_and_is_told(
    edit, check, answer, named, capsys
):
    visible, _ = _failures(_namespace(edit, edit.notebook), check, answer)
    assert visible is not None and "wrote into the" in visible and named in visible, visible


def test_a_report_that_cannot_be_written_still_says_why():
    text = drive.payload([{"outputs": np.zeros(2), "inputs": object()}])
    [report_] = wire.loads(text)
    received, after = judge.unpack(report_)
    assert after is None and received.type_name == "WireError"
    exercise, case, _ = _case_and_expected("basic_rnn_cell")
    assert "your BasicRNNCell raised WireError" in judge.judge(exercise, case, received).message


def test_the_kernel_cannot_hide_a_write(monkeypatch, capsys):
    """The comparison is the judge's, in its own process: a kernel whose NumPy says every
    pair of arrays is equal still fails."""
    edit = WRITERS[0].values[0]
    namespace = _namespace(edit, edit.notebook)
    monkeypatch.setattr(np, "array_equal", lambda *args, **kwargs: True)
    visible, _ = _failures(namespace, "basic_rnn_cell", "BasicRNNCell")
    assert visible is not None and "wrote into" in visible


# ---- one bug costs one exercise ------------------------------------------------------------

ISOLATED = [
    pytest.param(
        Edit(
            "05_dynamic_rnn/dynamic_rnn",
            "dynamic_rnn_answer",
            "if initial_state is not None:",
            "if False:",
        ),
        ("dynamic_rnn", "dynamic_rnn"),
        [("static_rnn", "static_rnn"), ("bidirectional_dynamic_rnn", "bidirectional_dynamic_rnn")],
        "This would also have broken bidirectional_dynamic_rnn and static_rnn",
        id="dynamic_rnn",
    ),
    pytest.param(
        Edit(
            "08_backprop/backprop",
            "rnn_step_backward_answer",
            "d_bias = d_z.sum(axis=0)",
            "d_bias = d_z.mean(axis=0)",
        ),
        ("rnn_step_backward", "rnn_step_backward"),
        [("rnn_bptt", "rnn_bptt")],
        "This would also have broken rnn_bptt, which calls your rnn_step_backward; it was",
        id="rnn_step_backward",
    ),
]


@pytest.mark.parametrize(("edit", "earlier", "later", "note"), ISOLATED)
def test_a_wrong_earlier_piece_costs_only_its_own_exercise(edit, earlier, later, note, capsys):
    namespace = _namespace(edit, edit.notebook)
    own = namespace[earlier[1]]
    visible, _ = _failures(namespace, *earlier)
    assert visible is not None and note in visible, visible
    for check, answer in later:
        assert _failures(namespace, check, answer) == (None, None), check
    assert namespace[earlier[1]] is own, "the learner's own piece is put back"


def test_an_unprepared_call_of_the_earlier_piece_is_refused_clearly(capsys):
    edit = Edit(
        "05_dynamic_rnn/dynamic_rnn",
        "static_rnn_answer",
        "np.stack(inputs)",
        "np.stack(inputs[::-1])",
    )
    visible, _ = _failures(_namespace(edit, edit.notebook), "static_rnn", "static_rnn")
    assert "static_rnn is graded with a correct dynamic_rnn in place of yours" in visible
    assert "this call's inputs differ" in visible


def test_standing_in_rebinds_only_for_the_call():
    namespace = {"piece": "own"}
    exec("def answer():\n    return piece()", namespace)
    with drive.standing_in(namespace["answer"], "piece", lambda: "stand-in"):
        assert namespace["answer"]() == "stand-in"
    assert namespace["piece"] == "own"
    with drive.standing_in(namespace["answer"], "missing", len):
        assert namespace["missing"] is len
    assert "missing" not in namespace
    with drive.standing_in(int, "piece", len):  # a class: nothing to rebind
        assert namespace["piece"] == "own"


# ---- the self-check tells the truth: wrong answers that used to pass --------------------

SURVIVORS = [
    pytest.param(
        Edit(
            "02_lstm/lstm",
            "basic_lstm_cell_answer",
            "sigmoid(f + self.forget_bias)",
            "sigmoid(f + 1.0)",
        ),
        "basic_lstm_cell",
        "BasicLSTMCell",
        id="forget-bias-hard-coded",
    ),
    pytest.param(
        Edit(
            "07_tensorflow/tensorflow",
            "tf_lstm_cell_answer",
            "tf.sigmoid(f + self.forget_bias)",
            "tf.sigmoid(f + 1.0)",
        ),
        "tf_lstm_cell",
        "BasicLSTMCell",
        id="tf-forget-bias-hard-coded",
    ),
    pytest.param(
        Edit(
            "07_tensorflow/tensorflow",
            "keras_lstm_weights_answer",
            "keras_bias[H : 2 * H] += forget_bias",
            "keras_bias[H : 2 * H] += 1.0",
        ),
        "keras_lstm_weights",
        "keras_lstm_weights",
        id="keras-forget-bias-hard-coded",
    ),
    pytest.param(
        Edit(
            "08_backprop/backprop",
            "lstm_step_backward_answer",
            "sigmoid(f + forget_bias)",
            "sigmoid(f + 1.0)",
        ),
        "lstm_step_backward",
        "lstm_step_backward",
        id="backprop-forget-bias-hard-coded",
    ),
    pytest.param(
        Edit("02_lstm/lstm", "lstm_cell_answer", "self.activation(", "np.tanh(", -1),
        "lstm_cell_peepholes",
        "LSTMCell",
        id="lstm-peepholes-tanh-hard-coded",
    ),
    pytest.param(
        Edit("02_lstm/lstm", "lstm_cell_answer", "self.activation(", "np.tanh(", -1),
        "lstm_cell_projection",
        "LSTMCell",
        id="lstm-projection-tanh-hard-coded",
    ),
    pytest.param(
        Edit(
            "05_dynamic_rnn/dynamic_rnn",
            "dynamic_rnn_answer",
            "cell.zero_state(batch, dtype or inputs.dtype)",
            "cell.zero_state(batch, inputs.dtype)",
        ),
        "dynamic_rnn",
        "dynamic_rnn",
        id="zero-state-ignores-dtype",
    ),
    pytest.param(
        Edit(
            "04_stacking/stacking",
            "input_wrappers_answer",
            "ids = np.asarray(inputs).reshape(-1)",
            "ids = np.asarray(inputs)",
        ),
        "input_wrappers",
        "(InputProjectionWrapper, EmbeddingWrapper)",
        id="ids-b-1",
    ),
    pytest.param(
        Edit(
            "09_char_rnn/char_rnn",
            "sequence_loss_answer",
            "tf.nn.log_softmax(logits, axis=-1)",
            "tf.math.log(tf.nn.softmax(logits, axis=-1))",
        ),
        "sequence_loss",
        "sequence_loss",
        id="log-of-softmax",
    ),
    pytest.param(
        Edit(
            "09_char_rnn/char_rnn",
            "temperature_softmax_answer",
            "scaled.max(axis=-1, keepdims=True)",
            "scaled.max()",
        ),
        "temperature_softmax",
        "temperature_softmax",
        id="global-max",
    ),
    pytest.param(
        Edit(
            "09_char_rnn/char_rnn",
            "temperature_softmax_answer",
            "np.exp(scaled - scaled.max(axis=-1, keepdims=True))",
            "np.exp(scaled)",
        ),
        "temperature_softmax",
        "temperature_softmax",
        id="unshifted-softmax",
    ),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # overflowing on purpose
@pytest.mark.parametrize(("edit", "check", "answer"), SURVIVORS)
def test_a_wrong_answer_fails_the_self_check_not_only_grading(edit, check, answer, capsys):
    visible, hidden = _failures(_namespace(edit, edit.notebook), check, answer)
    assert visible is not None, f"the self-check passes what grading fails: {hidden}"


# ---- correct alternatives get full marks ---------------------------------------------------

ALTERNATIVES = [
    pytest.param(
        Edit(
            "01_rnn_cell/rnn_cell",
            "basic_rnn_cell_answer",
            "x_h = np.concatenate([inputs, h_prev], axis=1)  # [B, D] + [B, H] -> [B, D + H]\n"
            "        new_h = self.activation(x_h @ self.kernel + self.bias)",
            "D = inputs.shape[1]\n"
            "        W_x, W_h = self.kernel[:D], self.kernel[D:]\n"
            "        new_h = self.activation(inputs @ W_x + h_prev @ W_h + self.bias)",
        ),
        "basic_rnn_cell",
        "BasicRNNCell",
        id="separate-matmuls",
    ),
    pytest.param(
        Edit(
            "01_rnn_cell/rnn_cell",
            "basic_rnn_cell_answer",
            "return self.num_units",
            "return np.sum([self.num_units])",
            -1,
        ),
        "basic_rnn_cell",
        "BasicRNNCell",
        id="numpy-int-sizes",
    ),
    pytest.param(
        Edit(
            "01_rnn_cell/rnn_cell",
            "unroll_answer",
            "    outputs = []\n    for x in inputs:\n        output, state = cell(x, state)\n"
            "        outputs.append(output)\n    return outputs, state",
            "    if len(inputs) == 0:\n        return [], state\n"
            "    output, state = cell(inputs[0], state)\n"
            "    rest, state = unroll(cell, inputs[1:], state)\n"
            "    return [output, *rest], state",
        ),
        "unroll",
        "unroll",
        id="recursive-unroll",
    ),
    pytest.param(
        Edit(
            "02_lstm/lstm",
            "basic_lstm_cell_answer",
            "z = np.concatenate([inputs, h_prev], axis=1) @ self.kernel + self.bias  # [B, 4H]",
            "x_h = np.concatenate([inputs, h_prev], axis=1).astype(np.float64)\n"
            "        z = np.einsum('bk,kn->bn', x_h, self.kernel) + self.bias\n"
            "        z = z.astype(inputs.dtype)  # computed in float64, cast back",
        ),
        "basic_lstm_cell",
        "BasicLSTMCell",
        id="einsum-float64-cast-back",
    ),
    pytest.param(
        Edit(
            "02_lstm/lstm",
            "basic_lstm_cell_answer",
            "s_i, t_j, s_f = sigmoid(i), self.activation(j), sigmoid(f + self.forget_bias)\n"
            "        new_c = c_prev * s_f + s_i * t_j\n"
            "        new_h = self.activation(new_c) * sigmoid(o)",
            "def to_keras_order(v):  # a stable logistic, whatever its name\n"
            "            e = np.exp(-np.abs(v))\n"
            "            return np.where(v >= 0, 1 / (1 + e), e / (1 + e))\n\n"
            "        s_i, t_j = to_keras_order(i), self.activation(j)\n"
            "        s_f = to_keras_order(f + self.forget_bias)\n"
            "        new_c = c_prev * s_f + s_i * t_j\n"
            "        new_h = self.activation(new_c) * to_keras_order(o)",
        ),
        "basic_lstm_cell",
        "BasicLSTMCell",
        id="stable-sigmoid-any-name",
    ),
    pytest.param(
        Edit(
            "03_gru/gru",
            "gru_cell_answer",
            "new_h = u * h_prev + (1 - u) * c",
            "new_h = np.stack([u[b] * h_prev[b] + (1 - u[b]) * c[b] for b in range(len(c))])",
        ),
        "gru_cell",
        "GRUCell",
        id="loop-over-rows",
    ),
    pytest.param(
        Edit(
            "03_gru/gru",
            "count_params_answer",
            "return blocks * ((input_depth + num_units) * num_units + num_units)",
            "return np.sum([blocks * ((input_depth + num_units) * num_units + num_units)])",
        ),
        "count_params",
        "count_params",
        id="numpy-int-count",
    ),
    pytest.param(
        Edit(
            "04_stacking/stacking", "multi_rnn_cell_answer", "else sum(sizes)", "else np.sum(sizes)"
        ),
        "multi_rnn_cell",
        "MultiRNNCell",
        id="numpy-int-state-size",
    ),
    pytest.param(
        Edit(
            "04_stacking/stacking",
            "dropout_wrapper_answer",
            "mask = (noise < keep_prob).astype(values.dtype)\n"
            "        return values * mask / keep_prob",
            "scale = np.where(noise < keep_prob, 1 / keep_prob, 0).astype(values.dtype)\n"
            "        return values * scale",
        ),
        "dropout_wrapper",
        "DropoutWrapper",
        id="dropout-scale",
    ),
    pytest.param(
        Edit(
            "04_stacking/stacking",
            "input_wrappers_answer",
            "ids = np.asarray(inputs).reshape(-1)  # [B] or [B, 1] -> [B]\n"
            "        return self.cells[0](self.embedding[ids], state)",
            "return self.cells[0](np.take(self.embedding, np.ravel(inputs), axis=0), state)",
        ),
        "input_wrappers",
        "(InputProjectionWrapper, EmbeddingWrapper)",
        id="np-take",
    ),
    pytest.param(
        Edit(
            "05_dynamic_rnn/dynamic_rnn",
            "static_rnn_answer",
            "outputs, state = dynamic_rnn(\n"
            "        cell,\n"
            "        np.stack(inputs),\n"
            "        sequence_length=sequence_length,\n"
            "        initial_state=initial_state,\n"
            "        dtype=dtype,\n"
            "        time_major=True,\n"
            "    )\n"
            "    return list(outputs), state",
            "outputs, state = dynamic_rnn(cell, np.stack(inputs, axis=1), sequence_length,\n"
            "                                 initial_state, dtype)  # [B, T, D]\n"
            "    return list(np.swapaxes(outputs, 0, 1)), state",
        ),
        "static_rnn",
        "static_rnn",
        id="batch-major-call",
    ),
    pytest.param(
        Edit(
            "06_batching/batching",
            "split_batches_answer",
            "    data = np.asarray(data)\n    batch_len = len(data) // batch_size\n",
            "    from numpy.lib.stride_tricks import as_strided\n\n"
            "    data = np.ascontiguousarray(data)\n"
            "    batch_len = len(data) // batch_size\n"
            "    num_batches = batch_len // num_steps\n"
            "    step = data.strides[0]\n"
            "    return as_strided(data, shape=(num_batches, batch_size, num_steps),\n"
            "                      strides=(num_steps * step, batch_len * step, step),\n"
            "                      writeable=False)\n",
        ),
        "split_batches",
        "split_batches",
        id="as-strided",
    ),
    pytest.param(
        Edit(
            "07_tensorflow/tensorflow",
            "tf_lstm_cell_answer",
            "z = tf.matmul(tf.concat([inputs, h_prev], axis=1), self.kernel) + self.bias",
            "D = inputs.shape[-1]\n"
            "        z = tf.matmul(inputs, self.kernel[:D]) + tf.matmul(h_prev, self.kernel[D:])\n"
            "        z = z + self.bias",
        ),
        "tf_lstm_cell",
        "BasicLSTMCell",
        id="tf-separate-matmuls",
    ),
    pytest.param(
        Edit(
            "07_tensorflow/tensorflow", "keras_lstm_weights_answer", "reorder", "to_keras_order", -1
        ),
        "keras_lstm_weights",
        "keras_lstm_weights",
        id="helper-named-keras",
    ),
    pytest.param(
        Edit(
            "08_backprop/backprop",
            "rnn_step_backward_answer",
            "d_z = d_new_h * (1 - new_h**2)  # tanh'(z) = 1 - tanh(z)^2",
            "d_z = d_new_h / np.cosh(xh @ kernel + bias) ** 2",
        ),
        "rnn_step_backward",
        "rnn_step_backward",
        id="tanh-prime-by-cosh",
    ),
    pytest.param(
        Edit(
            "08_backprop/backprop",
            "rnn_bptt_answer",
            "hs.append(np.tanh(np.concatenate([x[:, t], hs[-1]], axis=1) @ kernel + bias))",
            "D = x.shape[2]\n"
            "        hs.append(np.tanh(x[:, t] @ kernel[:D] + hs[-1] @ kernel[D:] + bias))",
        ),
        "rnn_bptt",
        "rnn_bptt",
        id="bptt-forward-separate-matmuls",
    ),
    pytest.param(
        Edit(
            "09_char_rnn/char_rnn",
            "encode_answer",
            'chars = "".join(sorted(set(text)))\n    index = {c: i for i, c in enumerate(chars)}',
            'chars = "".join(sorted({c for c in text}))\n'
            "    index = {c: chars.index(c) for c in chars}",
        ),
        "encode",
        "encode",
        id="encode-index",
    ),
    pytest.param(
        Edit(
            "09_char_rnn/char_rnn",
            "temperature_softmax_answer",
            "scaled = logits / temperature\n"
            "    e = np.exp(scaled - scaled.max(axis=-1, keepdims=True))\n"
            "    return e / e.sum(axis=-1, keepdims=True)",
            "scaled = np.asarray(logits) / temperature\n"
            "    rows = []\n"
            "    for row in scaled.reshape(-1, scaled.shape[-1]):\n"
            "        e = np.exp(row - row.max())\n"
            "        rows.append(e / e.sum())\n"
            "    return np.array(rows).reshape(scaled.shape)",
        ),
        "temperature_softmax",
        "temperature_softmax",
        id="softmax-row-loop",
    ),
    pytest.param(
        Edit(
            "09_char_rnn/char_rnn",
            "sequence_loss_answer",
            "log_p = tf.nn.log_softmax(logits, axis=-1)  # [B, T, V]\n"
            "    nll = -tf.gather(log_p, targets, batch_dims=2)  # [B, T]: -log p of each target\n"
            "    return tf.reduce_mean(nll)",
            "return tf.reduce_mean(\n"
            "        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=logits)"
            "\n    )",
        ),
        "sequence_loss",
        "sequence_loss",
        id="sparse-cross-entropy",
    ),
]


@pytest.mark.parametrize(("edit", "check", "answer"), ALTERNATIVES)
def test_a_correct_alternative_gets_full_marks(edit, check, answer, capsys):
    assert _failures(_namespace(edit, edit.notebook), check, answer) == (None, None)


def test_every_assignment_has_a_correct_alternative():
    covered = {p.values[0].notebook.split("/")[0] for p in ALTERNATIVES}
    assert covered == {p.name for p in SOLUTIONS.iterdir() if p.is_dir()}


# ---- one home per exercise: adding one by docs/adding-an-exercise.md ----------------------

PILOT = SOLUTIONS.parent / "tests" / "fixtures" / "pilot"

NEW_GRADER_HALF = """

def _clip_cases(rng: np.random.Generator, hidden: bool) -> list[dict]:
    # Visible and hidden cover the same: a limit that clips on both sides.
    sizes = [(3, 5, 0.5), (1, 2, 2.0)] if hidden else [(2, 4, 0.7)]
    return [{"h": rng.normal(size=(b, u)).astype(np.float32), "limit": limit}
            for b, u, limit in sizes]


CLIP_STATE = Exercise(
    name="clip_state",
    answer="clip_state",
    cases=_clip_cases,
    expect=lambda case: np.clip(case["h"], -case["limit"], case["limit"]),
    mistakes={
        "upper_only": Mistake(
            lambda case: np.minimum(case["h"], case["limit"]),
            "only the upper side is clipped: clip to [-limit, limit].",
        )
    },
    what="clip_state(h, limit)",
)
"""

NEW_LEARNER_HALF = """

clip_state = Check(
    "clip_state",
    lambda answer, case: answer(case["h"], case["limit"]),
    "Check ``clip_state(h, limit)``.",
    local_to=__file__,
)
"""

NEW_CELLS = [
    ("markdown", "clip_state_statement", "Clip a state to `[-limit, limit]`: `h` [B, H]."),
    (
        "code",
        "clip_state_answer",
        "def clip_state(h, limit):\n    ### BEGIN SOLUTION\n"
        "    return np.clip(h, -limit, limit)\n    ### END SOLUTION",
    ),
    (
        "code",
        "clip_state_test",
        "check.clip_state(clip_state)\n### BEGIN HIDDEN TESTS\n"
        "check.clip_state(clip_state, hidden=True)\n### END HIDDEN TESTS",
    ),
]

LEARNERS = """
import numpy as np
import pilot_checks as check

for name, answer in [
    ("right", lambda h, limit: np.clip(h, -limit, limit)),
    ("upper", lambda h, limit: np.minimum(h, limit)),
    ("in place", lambda h, limit: np.clip(h, -limit, limit, out=h)),
]:
    try:
        check.clip_state(answer, seed=0)
        check.clip_state(answer, hidden=True, seed=0)
        print(name, "PASSED")
    except AssertionError as failure:
        print(name, "FAILED:", failure)
"""


def test_a_new_exercise_follows_the_documented_steps(tmp_path):
    """docs/adding-an-exercise.md on a copy of the pilot: the statement cells, the grader's
    half, the learner's half; the registry joins them, and a learner's self-check passes a
    right answer and names a wrong one and one that writes into its argument."""
    root = tmp_path / "pilot"
    shutil.copytree(PILOT, root)
    folder = root / "solutions" / "pilot"
    with open(root / "exercises" / "pilot.py", "a", encoding="utf-8") as file:
        file.write(NEW_GRADER_HALF)
    with open(folder / "pilot_checks.py", "a", encoding="utf-8") as file:
        file.write(NEW_LEARNER_HALF)
    nb = nbformat.read(str(folder / "pilot.ipynb"), as_version=4)
    for kind, grade_id, source in NEW_CELLS:
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        cell = make(source)
        test = grade_id.endswith("_test")
        cell.metadata["nbgrader"] = {
            "grade": test,
            "grade_id": grade_id,
            "locked": kind == "markdown" or test,
            "schema_version": 3,
            "solution": grade_id.endswith("_answer"),
            **({"points": 1} if test else {}),
        }
        nb.cells.append(cell)
    nbformat.write(nb, str(folder / "pilot.ipynb"))

    found = registry.exercises(folder)
    assert found["clip_state"].mistakes["upper_only"].id == "clip_state.upper_only"
    result = subprocess.run(
        [sys.executable, "-B", "-c", LEARNERS], capture_output=True, text=True, cwd=folder
    )
    assert result.returncode == 0, result.stderr
    assert "right PASSED" in result.stdout
    assert "upper FAILED" in result.stdout and "only the upper side" in result.stdout
    assert "in place FAILED" in result.stdout and "wrote into the `h`" in result.stdout
