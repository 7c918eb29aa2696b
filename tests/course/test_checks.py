"""The checks library itself: every named mistake is one a check can tell apart, an answer's
outputs cross to the judge as plain data only, a learner's exception becomes a failure that
says where, and the exercises are listed without rnnref or TensorFlow."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from autograder import registry
from autograder.judge import difference, judge
from autograder.learner import cells, channel, wire
from autograder.learner.checks import CheckFailed, rnn_cell
from autograder.learner.plain import to_plain

EXERCISES = registry.exercises()


def _all_cases(exercise, seed=0):
    rng = np.random.default_rng(seed)
    return exercise.cases(rng, False) + exercise.cases(rng, True)


def test_every_topic_is_loaded():
    names = {e.name for e in EXERCISES.values()}
    assert {"basic_rnn_cell", "unroll"} <= names


def test_every_exercise_is_bound_to_its_driver():
    assert all(exercise.run is not None for exercise in EXERCISES.values())
    assert EXERCISES["unroll"].run is rnn_cell.unroll.run


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_every_mistake_shows_on_some_case(name):
    """A mistake whose outputs equal the right ones on every case could never be named, and
    a learner making it would pass: each must differ somewhere."""
    exercise = EXERCISES[name]
    assert len(exercise.mistakes) >= 3, name
    cases = _all_cases(exercise)
    expected = [to_plain(exercise.expect(case)) for case in cases]
    for key, mistake in exercise.mistakes.items():
        shows = False
        for case, right in zip(cases, expected, strict=True):
            try:
                would = to_plain(mistake.outputs(case))
            except Exception:
                continue
            where = "" if isinstance(right, dict) else exercise.what
            if difference(would, right, where, exercise.atol, exercise.rtol) is not None:
                shows = True
                break
        assert shows, f"{name}: mistake {key!r} never differs from the right answer"


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_cases_are_plain_data(name):
    for case in _all_cases(EXERCISES[name], seed=3):
        plain = to_plain(case)
        assert "Unsupported" not in repr(plain), plain


# ---- what a self-check reports (judged in the self-judge process) -----------------------


def _message(check, answer) -> str:
    with pytest.raises(CheckFailed) as failure:
        check(answer, seed=0)
    return str(failure.value)


def test_an_always_equal_object_fails(capsys):
    class Equal:
        def __eq__(self, other):
            return True

    class Liar(cells.RNNCell):
        def __init__(self, num_units, activation=None):
            self.num_units = num_units

        state_size = output_size = property(lambda self: self.num_units)

        def weight_shapes(self, d):
            return {"kernel": (d + self.num_units, self.num_units), "bias": (self.num_units,)}

        def call(self, inputs, state):
            return Equal(), Equal()

    assert "Received: an object of type" in _message(rnn_cell.basic_rnn_cell, Liar)


def test_a_wrong_dtype_fails_with_what_was_expected(capsys):
    class Float64(cells.RNNCell):
        def __init__(self, num_units, activation=None):
            self.num_units = num_units

        state_size = output_size = property(lambda self: self.num_units)

        def weight_shapes(self, d):
            return {"kernel": (d + self.num_units, self.num_units), "bias": (self.num_units,)}

        def call(self, inputs, state):
            x_h = np.concatenate([inputs, state], axis=1).astype(np.float64)
            h = np.tanh(x_h @ self.kernel + self.bias)
            return h, h

    message = _message(rnn_cell.basic_rnn_cell, Float64)
    assert "should have dtype float32. Received: dtype float64" in message


def test_a_learners_exception_is_a_failure_that_says_where(capsys):
    class Broken(cells.RNNCell):
        def __init__(self, num_units, activation=None):
            self.num_units = num_units

        def weight_shapes(self, d):
            return {"kernel": (d + self.num_units, self.num_units), "bias": (self.num_units,)}

        def call(self, inputs, state):
            return np.tanh(inputs @ self.kernel), state

    message = _message(rnn_cell.basic_rnn_cell, Broken)
    assert "your BasicRNNCell raised ValueError" in message
    assert "in call, at `return np.tanh(inputs @ self.kernel), state`" in message


def test_exit_in_an_answer_is_a_failure_not_a_crash(capsys):
    def leaves(cell, inputs, state):
        raise SystemExit(3)

    assert "your unroll raised SystemExit" in _message(rnn_cell.unroll, leaves)


def test_a_passing_self_check_prints_each_case(capsys):
    import rnnref.np as rn

    rnn_cell.basic_rnn_cell(rn.BasicRNNCell, seed=0)
    printed = capsys.readouterr().out
    assert "  ok  case 1: batch 3, input depth 4, num_units=4, float32" in printed
    assert "basic_rnn_cell: all 3 cases passed." in printed


def test_grading_hands_the_channel_the_driver_and_judges_nothing(monkeypatch):
    submitted = []
    monkeypatch.setattr(channel, "grading", lambda: True)
    monkeypatch.setattr(channel, "submit", lambda *args: submitted.append(args))
    rnn_cell.basic_rnn_cell(cells.RNNCell, hidden=True)
    assert submitted == [("basic_rnn_cell", rnn_cell.basic_rnn_cell.run, cells.RNNCell, True)]


def test_the_judge_reads_the_channels_exception_records():
    traceback = (
        'Traceback (most recent call last):\n  File "/x/site-packages/numpy/a.py", line 3, '
        'in f\n    numpy code\n  File "/tmp/ipykernel_1/2.py", line 9, in call\n'
        "    return inputs @ self.kernel\n"
    )
    received = wire.loads(wire.dumps(wire.RemoteError("ValueError", "bad shapes", traceback)))
    verdict = judge(EXERCISES["basic_rnn_cell"], {}, received)
    assert "your BasicRNNCell raised ValueError: bad shapes" in verdict.message
    assert "in call, at `return inputs @ self.kernel`" in verdict.message


def test_exercises_are_listed_without_rnnref_or_tensorflow():
    code = textwrap.dedent(
        """
        import sys
        sys.modules["rnnref"] = None  # importing it now fails
        from autograder import registry
        found = registry.exercises()
        assert "tensorflow" not in sys.modules, "listing the exercises imported TensorFlow"
        print(len(found))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == len(EXERCISES)
