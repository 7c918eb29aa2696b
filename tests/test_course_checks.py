"""The checks library itself: every named mistake is one a check can tell apart, answers that
are not the learner's own are refused, a learner's exception becomes a failure that says
where, and the package imports without rnnref or TensorFlow."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import autograder.checks as checks
from autograder.checks import cells, spec
from autograder.checks.spec import difference, to_plain

EXERCISES = checks.exercises()


def _all_cases(exercise, seed=0):
    rng = np.random.default_rng(seed)
    return exercise.cases(rng, False) + exercise.cases(rng, True)


def test_every_topic_is_loaded():
    names = {e.name for e in EXERCISES.values()}
    assert {"basic_rnn_cell", "unroll"} <= names


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


# ---- refusing answers that are not the learner's own ------------------------------------

RNN = EXERCISES["basic_rnn_cell"]


def _message(exercise, answer) -> str:
    with pytest.raises(AssertionError) as failure:
        checks.self_check(exercise, answer, seed=0)
    return str(failure.value)


def test_an_answer_calling_the_reference_is_refused(capsys):
    import rnnref.np as rn

    class Cheat(cells.RNNCell):
        def __init__(self, num_units, activation=None):
            self.ref = rn.BasicRNNCell(num_units, activation=activation)

        def call(self, inputs, state):
            return self.ref(inputs, state)

    assert "must not call the reference" in _message(RNN, Cheat)


def test_a_subclass_of_the_reference_is_refused(capsys):
    import rnnref.np as rn

    class Sub(rn.BasicRNNCell):
        pass

    assert "a subclass of rnnref" in _message(RNN, Sub)
    assert "defined in rnnref" in _message(RNN, rn.BasicRNNCell)


def test_an_answer_importing_keras_inside_a_method_is_refused(capsys):
    namespace = {"__name__": "__main__", "cells": cells}
    exec(
        textwrap.dedent(
            """
            def helper():
                import tf_keras
                return tf_keras

            class Sneaky(cells.RNNCell):
                def call(self, inputs, state):
                    return helper()(inputs, state)
            """
        ),
        namespace,
    )
    assert "must not call the reference" in _message(RNN, namespace["Sneaky"])


def test_an_answer_naming_the_reference_in_a_string_is_refused(capsys):
    def sneaky(cell, inputs, state):
        module = sys.modules["rnn" + "ref.np"]  # the constant holds 'rnn' and 'ref.np' apart
        return module.static_rnn(cell, inputs, state)

    rejected = spec.screen(sneaky)
    assert rejected is None or "must not call" in rejected.message
    namespace = {"__name__": "__main__"}
    exec("import sys\ndef sneaky(c, i, s):\n    return sys.modules['rnnref.np']\n", namespace)
    assert spec.screen(namespace["sneaky"]) is not None


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

    assert "Received: an object of type" in _message(RNN, Liar)


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

    assert "should have dtype float32. Received: dtype float64" in _message(RNN, Float64)


def test_a_learners_exception_is_a_failure_that_says_where(capsys):
    class Broken(cells.RNNCell):
        def __init__(self, num_units, activation=None):
            self.num_units = num_units

        def weight_shapes(self, d):
            return {"kernel": (d + self.num_units, self.num_units), "bias": (self.num_units,)}

        def call(self, inputs, state):
            return np.tanh(inputs @ self.kernel), state

    message = _message(RNN, Broken)
    assert "your BasicRNNCell raised ValueError" in message
    assert "in call, at `return np.tanh(inputs @ self.kernel), state`" in message


def test_exit_in_an_answer_is_a_failure_not_a_crash(capsys):
    def leaves(cell, inputs, state):
        raise SystemExit(3)

    assert "your unroll raised SystemExit" in _message(EXERCISES["unroll"], leaves)


def test_grading_hands_the_channel_a_refusal_for_a_cheat(monkeypatch):
    import rnnref.np as rn

    submitted = []

    class Channel:
        @staticmethod
        def grading():
            return True

        @staticmethod
        def submit(exercise, answer, hidden):
            submitted.append((exercise, answer, hidden))

    monkeypatch.setattr(checks, "channel", Channel)
    checks.rnn_cell.basic_rnn_cell(rn.BasicRNNCell, hidden=True)
    [(exercise, answer, hidden)] = submitted
    assert exercise is RNN and hidden is True
    received = spec.attempt(exercise, answer, exercise.cases(np.random.default_rng(0), False)[0])
    verdict = spec.judge(exercise, {}, received)
    assert not verdict.passed and "must not call the reference" in verdict.message


def test_the_judge_reads_the_channels_exception_records():
    class RemoteError:  # what autograder.wire sends back for an exception in the kernel
        type_name = "ValueError"
        message = "bad shapes"
        traceback = (
            'Traceback (most recent call last):\n  File "/x/site-packages/numpy/a.py", line 3, '
            'in f\n    numpy code\n  File "/tmp/ipykernel_1/2.py", line 9, in call\n'
            "    return inputs @ self.kernel\n"
        )

    verdict = spec.judge(RNN, {}, RemoteError())
    assert "your BasicRNNCell raised ValueError: bad shapes" in verdict.message
    assert "in call, at `return inputs @ self.kernel`" in verdict.message


def test_checks_import_without_rnnref_or_tensorflow():
    code = textwrap.dedent(
        """
        import sys
        sys.modules["rnnref"] = None  # importing it now fails, as in a grading kernel
        import autograder.checks as checks
        found = checks.exercises()
        assert "tensorflow" not in sys.modules, "the checks imported TensorFlow"
        print(len(found))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == len(EXERCISES)
