"""The kernel's side of grading: run the answer on the grader's cases, report, never judge.

A check in a notebook calls ``submit(name, run, answer, hidden)`` when ``grading()`` is
true, that is, inside a kernel started by ``python -m autograder grade``. The grader, not
this kernel, owns the cases and the verdicts:

1. ``submit`` asks for cases with a ``display_data`` output of type ``MIME``, tagged
   ``request``, naming the exercise and whether the hidden cases are wanted;
2. the grader sees that output on the cell that is running, and only if that cell is one of
   the assignment's test cells writes the cases (inputs only) into the read-only folder
   named by ``$AUTOGRADER_CHANNEL``;
3. ``submit`` runs the exercise's driver ``run(answer, case)`` on each case and reports the
   outputs, with the inputs as they are after the call, as plain data (``drive.outputs``,
   then ``wire``) in a ``result`` output.

Expected values never enter the kernel: the grader computes them with ``rnnref`` in its own
process and judges there, so nothing the learner's code rebinds here can change a verdict.
"""

import os
import time
import uuid
from typing import Any

from autograder.learner import wire
from autograder.learner.drive import Driver, outputs, payload
from autograder.learner.i18n import _

ENV = "AUTOGRADER_CHANNEL"
MIME = "application/vnd.rnn-autograder.v1+json"
# How long to wait for the grader to write the cases; it answers in milliseconds.
WAIT_SECONDS = 60.0


class ChannelError(RuntimeError):
    """Grading could not exchange data with this kernel."""


def grading() -> bool:
    """True only inside a grading kernel."""
    return bool(os.environ.get(ENV))


def _publish(message: dict) -> None:
    from IPython.display import display

    display({MIME: message}, raw=True)


def _await_cases(request: str) -> list:
    path = os.path.join(os.environ[ENV], f"{request}.json")
    deadline = time.monotonic() + WAIT_SECONDS
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise ChannelError(
                _(
                    "The grader sent no cases for this check. Checks are graded only from the "
                    "notebook's own test cells."
                )
            )
        time.sleep(0.002)
    with open(path, encoding="utf-8") as file:
        cases = wire.loads(file.read(), namedtuples=True)
    if isinstance(cases, wire.RemoteError):  # the grader refused, and says why
        raise ChannelError(cases.message)
    if type(cases) is not list:
        raise ChannelError(_("The grader's cases could not be read."))
    return cases


def submit(name: str, run: Driver, answer: Any, hidden: bool) -> None:
    """Run ``answer`` on the grader's cases for exercise ``name`` and report the outputs."""
    request = uuid.uuid4().hex
    hidden = bool(hidden)
    _publish({"kind": "request", "id": request, "exercise": name, "hidden": hidden})
    found = outputs(run, answer, _await_cases(request))
    _publish({"kind": "result", "id": request, "exercise": name, "outputs": payload(found)})
