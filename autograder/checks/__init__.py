"""The checks the course's notebooks call: ``check.basic_rnn_cell(BasicRNNCell)``.

One module per notebook (``rnn_cell``, ``lstm``, ``gru``, ``stacking``, ``dynamic_rnn``,
``batching``, ``tf2``, ``backprop``, ``charrnn``) defines its ``Exercise`` objects (see
``spec``) and one public function per graded cell. Every public function goes through ``run_check``:

- inside a grading kernel (``channel.grading()``), the answer is run on the grader's cases
  and the plain outputs handed to the grader, which judges them in its own process (an
  answer ``spec.screen`` rejects is replaced by one that fails every case with the reason);
- otherwise (a learner checking their work, or plain ``nbgrader autograde``), cases are
  drawn from a fresh seed, judged here against ``rnnref``, one line printed per case, and
  the first failure raised as an ``AssertionError`` whose message teaches.

Importing this package needs NumPy only: no ``rnnref``, no TensorFlow.
"""

import importlib
import secrets
from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.checks import channel, spec

# One module per notebook, in course order (07's is tf2: a module named tensorflow would shadow).
TOPICS = (
    "rnn_cell", "lstm", "gru", "stacking", "dynamic_rnn", "batching", "tf2", "backprop", "charrnn"
)


class CheckFailed(AssertionError):
    """A check's verdict: the learner's code gave a wrong result (the message says how)."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback: the frames are the checker's own, and
        # the message already says which case failed and why.
        return [f"CheckFailed: {self}"]


def run_check(exercise: spec.Exercise, answer: Any, hidden: bool = False, *, seed=None) -> None:
    """Grade ``answer`` on ``exercise``'s cases (hidden ones with ``hidden=True``)."""
    __tracebackhide__ = True
    if channel.grading():
        channel.submit(exercise, spec.guarded(exercise, answer), hidden)
        return
    self_check(exercise, answer, hidden, seed=seed)


def self_check(exercise: spec.Exercise, answer: Any, hidden: bool = False, *, seed=None) -> None:
    """Judge locally with ``rnnref``; print one line per case; raise ``CheckFailed`` on the
    first failing case. ``seed`` (default: fresh) picks the cases."""
    __tracebackhide__ = True
    seed = secrets.randbits(32) if seed is None else seed
    cases = exercise.cases(np.random.default_rng(seed), hidden)
    received = spec.outputs(exercise, answer, cases)
    kind = "hidden case" if hidden else "case"
    for number, (case, got) in enumerate(zip(cases, received, strict=True), start=1):
        verdict = spec.judge(exercise, case, got)
        label = exercise.label(case)
        if not verdict.passed:
            raise CheckFailed(
                f"{exercise.name}, {kind} {number} of {len(cases)} ({label}):\n"
                f"{verdict.message}\n(cases drawn with seed={seed})"
            ) from None
        print(f"  ok  {kind} {number}: {label}")
    print(f"{exercise.name}: all {len(cases)} {kind}s passed.")


def check_function(exercise: spec.Exercise, doc: str) -> Callable[..., None]:
    """The public check for ``exercise``: ``check.<name>(answer, hidden=False)``."""

    def check(answer: Any, hidden: bool = False, *, seed: int | None = None) -> None:
        __tracebackhide__ = True
        run_check(exercise, answer, hidden, seed=seed)

    check.__name__ = check.__qualname__ = exercise.name
    check.__doc__ = doc
    check.exercise = exercise
    return check


def exercises() -> dict[str, spec.Exercise]:
    """Every exercise of the course by name (what a grader looks a submission's checks up in)."""
    found: dict[str, spec.Exercise] = {}
    for topic in TOPICS:
        try:
            module = importlib.import_module(f"autograder.checks.{topic}")
        except ModuleNotFoundError as error:
            if error.name != f"autograder.checks.{topic}":
                raise
            continue
        for exercise in module.EXERCISES:
            found[exercise.name] = exercise
    return found
