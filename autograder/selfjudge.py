"""``python -m autograder.selfjudge``: the judge a learner's self-check talks to.

A check run outside grading (``autograder.learner.selfjudge``) starts this module once per
kernel and keeps it. It reads one JSON request per line on stdin and writes one JSON answer
per line on stdout (the protocol is in ``autograder.learner.selfjudge``): the cases of an
exercise for a seed, then the verdicts on the outputs the kernel computed. The cases, the
reference and the mistake models stay in this process; the kernel sees inputs and verdicts.

It is stateless: both requests name the exercise, the hidden flag and the seed, and the cases
are drawn again from them to be judged.
"""

import json
import os
import sys
from pathlib import Path
from typing import IO, Any

import numpy as np

from autograder import judge, registry
from autograder.exercises import Exercise
from autograder.i18n import _, using
from autograder.learner import wire
from autograder.learner.i18n import supported

_known: dict[str | None, dict[str, Exercise]] = {}


def _exercise(request: dict) -> Exercise:
    """The exercise a request names: the course's, or an assignment's own (``local``)."""
    local = request.get("local")
    if local not in _known:
        _known[local] = registry.exercises(None if local is None else Path(local))
    name = request.get("exercise")
    if name not in _known[local]:
        raise LookupError(
            _(
                "there is no exercise named {name}: the checks module and the installed course "
                "do not match. Update the course, or ask your instructor."
            ).format(name=repr(name))
        )
    return _known[local][name]


def _cases(exercise: Exercise, request: dict) -> list:
    rng = np.random.default_rng(int(request["seed"]))
    return exercise.cases(rng, bool(request["hidden"]))


def _verdicts(exercise: Exercise, cases: list, outputs: Any) -> list[dict]:
    if type(outputs) is not list or len(outputs) != len(cases):
        raise ValueError(_("the check reported the wrong number of outputs"))
    verdicts = []
    for case, report in zip(cases, outputs, strict=True):
        verdict = judge.judge(exercise, case, *judge.unpack(report))
        verdicts.append(
            {
                "passed": verdict.passed,
                "label": exercise.label(case),
                "message": verdict.message,
                "mistake": verdict.mistake,
            }
        )
    return verdicts


def answer(request: dict) -> dict:
    """One request's answer: ``{"cases": ...}``, ``{"verdicts": ...}`` or ``{"error": ...}``,
    in the kernel's language (the request's ``lang``)."""
    try:
        lang = supported(request.get("lang", "en"))
    except ValueError as error:
        return {"error": str(error)}
    with using(lang):
        return _answer(request)


def _answer(request: dict) -> dict:
    try:
        exercise = _exercise(request)
        cases = _cases(exercise, request)
        if request.get("op") == "cases":
            return {"cases": wire.dumps(cases)}
        if request.get("op") == "judge":
            outputs = wire.loads(request["outputs"])
            return {"verdicts": _verdicts(exercise, cases, outputs)}
        return {"error": _("unknown request {op}").format(op=repr(request.get("op")))}
    except Exception as error:  # the kernel shows it; this process keeps serving
        return {
            "error": _("the self-check could not judge this: {error}").format(
                error=f"{type(error).__name__}: {error}"
            )
        }


def serve(requests: IO[str], answers: IO[str]) -> None:
    """Answer each request line of ``requests`` with one line on ``answers``, until EOF."""
    for line in requests:
        try:
            request = json.loads(line)
        except ValueError:
            request = {}
        reply = answer(request) if isinstance(request, dict) else {"error": "not a request"}
        answers.write(json.dumps(reply) + "\n")
        answers.flush()


def main() -> None:
    # The answers keep stdout's file; anything the reference prints (TensorFlow's start-up
    # lines, say) goes to stderr, so it never corrupts a line of the protocol.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin, answers)


if __name__ == "__main__":
    main()
