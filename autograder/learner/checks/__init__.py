"""The checks the course's notebooks call: ``check.basic_rnn_cell(BasicRNNCell)``.

One module per notebook (``rnn_cell``, ``lstm``, ``gru``, ``stacking``, ``dynamic_rnn``,
``batching``, ``tf2``, ``backprop``, ``charrnn``) holds, per exercise, only its driver
``run(answer, case)`` (call the learner's answer on one case, return what is compared) and
its public ``Check``. A check never judges here:

- inside a grading kernel (``channel.grading()``), the driver runs on the grader's cases
  and the plain outputs go to the grader, which judges them in its own process;
- otherwise (a learner checking their work, nbgrader's Validate), ``selfjudge`` gets the
  cases and the verdicts from a separate judge process, and prints them.

The grader binds each exercise's cases, reference and mistakes to its driver by the
exercise's name (``autograder.registry``). Importing this package needs NumPy only.
"""

import os
from typing import Any

from autograder.learner import channel, selfjudge
from autograder.learner.drive import Driver
from autograder.learner.selfjudge import CheckFailed

__all__ = ["Check", "CheckFailed"]


class Check:
    """The public check of one exercise: ``check.<name>(answer, hidden=False, *, seed=None)``.

    ``name`` is the exercise's name on both sides of the wall; ``run`` its driver.
    ``local_to`` is the ``__file__`` of an assignment's own checks module (see
    ``autograder.registry``), so the self-judge knows where that assignment lives.
    """

    def __init__(self, name: str, run: Driver, doc: str, *, local_to: str | None = None) -> None:
        self.name = self.__name__ = self.__qualname__ = name
        self.run = run
        self.__doc__ = doc
        self.local = None if local_to is None else os.path.dirname(os.path.abspath(local_to))

    def __call__(self, answer: Any, hidden: bool = False, *, seed: int | None = None) -> None:
        """Check ``answer`` on the exercise's cases (the hidden ones with ``hidden=True``);
        ``seed`` fixes the cases of a self-check (grading picks its own)."""
        __tracebackhide__ = True
        if channel.grading():
            channel.submit(self.name, self.run, answer, hidden)
            return
        selfjudge.self_check(self.name, self.run, answer, hidden, seed=seed, local=self.local)

    def __repr__(self) -> str:
        return f"<check {self.name}>"
