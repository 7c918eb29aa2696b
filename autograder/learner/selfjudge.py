"""A learner checking their own work: verdicts from a judge process, never from this kernel.

Outside a grading kernel (a learner running the notebook, nbgrader's Validate), a check
still prints one line per case and raises ``CheckFailed`` on the first failure, but the
cases, the expected values and the verdicts come from ``python -m autograder.selfjudge``, a
separate process started once per kernel and reused. This module only names that module;
it never imports it, so the kernel holds no reference math. The two talk one JSON object
per line over the judge's stdin and stdout:

    -> {"op": "cases", "exercise": name, "hidden": bool, "seed": int, "local": folder|null}
    <- {"cases": wire text of the list of cases}
    -> {"op": "judge", ...the same four keys..., "outputs": wire text of the reports,
        "lang": the kernel's language (``i18n.language``), for the verdicts' messages}
    <- {"verdicts": [{"passed": bool, "label": str, "message": str, "mistake": id|null}, ...]}

Any request may instead be answered ``{"error": message}``. ``local`` is the folder of an
assignment's own checks module, for exercises that are not part of the installed course.
"""

import json
import secrets
import subprocess
import sys
import tempfile
from typing import IO, Any

from autograder.learner import wire
from autograder.learner.drive import Driver, outputs, payload
from autograder.learner.i18n import _, language

MODULE = "autograder.selfjudge"


class CheckFailed(AssertionError):
    """A check's verdict: the learner's code gave a wrong result (the message says how).
    ``mistake`` is the stable id of the mistake the judge recognised, or None."""

    mistake: str | None = None

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback: the frames are the checker's own, and
        # the message already says which case failed and why.
        return [f"CheckFailed: {self}"]


class SelfCheckError(RuntimeError):
    """The judge process could not be started, or could not judge this check."""

    def _render_traceback_(self) -> list[str]:
        # The message says what to do; the client's frames would only hide it.
        return [f"SelfCheckError: {self}"]


class _Judge:
    """The judge process: started on first use, kept for the kernel's life."""

    def __init__(self) -> None:
        self.log: IO[bytes] = tempfile.TemporaryFile()
        # -P: the notebook's folder (the judge's working directory) is not on its path.
        self.process = subprocess.Popen(
            [sys.executable, "-P", "-m", MODULE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            encoding="utf-8",
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def ask(self, message: dict) -> dict:
        """Send one request, wait for its one-line answer."""
        try:
            self.process.stdin.write(json.dumps(message) + "\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line:
            raise SelfCheckError(self._why_gone())
        answer = json.loads(line)
        if "error" in answer:
            raise SelfCheckError(answer["error"])
        return answer

    def _why_gone(self) -> str:
        self.process.wait()
        self.log.seek(0)
        lines = self.log.read().decode("utf-8", "replace").strip().splitlines()
        last = lines[-1] if lines else f"it exited with status {self.process.returncode}"
        return _(
            "Checking your work outside grading needs the course installed in this kernel's "
            "Python ({python}): the check's judge (`python -m {module}`) stopped. It said: "
            "{last}\nInstall the course (`pip install -e .` in its folder) in this environment, "
            "or use the kernel your instructor set up."
        ).format(python=sys.executable, module=MODULE, last=last)


_judge: _Judge | None = None


def _ask(message: dict) -> dict:
    global _judge
    if _judge is None or not _judge.alive():
        _judge = _Judge()
    return _judge.ask(message)


def self_check(
    name: str, run: Driver, answer: Any, hidden: bool, *, seed: int | None, local: str | None
) -> None:
    """Run ``answer`` on the judge's cases for exercise ``name``; print one line per case;
    raise ``CheckFailed`` on the first failing case. ``seed`` (default: fresh) picks them."""
    __tracebackhide__ = True
    seed = secrets.randbits(32) if seed is None else int(seed)
    request = {
        "exercise": name,
        "hidden": bool(hidden),
        "seed": seed,
        "local": local,
        "lang": language(),
    }
    cases = wire.loads(_ask({"op": "cases", **request})["cases"], namedtuples=True)
    found = payload(outputs(run, answer, cases))
    verdicts = _ask({"op": "judge", **request, "outputs": found})
    verdicts = verdicts["verdicts"]
    count = len(verdicts)
    for number, verdict in enumerate(verdicts, start=1):
        where = {"name": name, "number": number, "count": count, "label": verdict["label"]}
        if not verdict["passed"]:
            if hidden:
                head = _("{name}, hidden case {number} of {count} ({label}):")
            else:
                head = _("{name}, case {number} of {count} ({label}):")
            seeded = _("(cases drawn with seed={seed})").format(seed=seed)
            failed = CheckFailed(f"{head.format(**where)}\n{verdict['message']}\n{seeded}")
            failed.mistake = verdict.get("mistake")
            raise failed from None
        if hidden:
            print(_("  ok  hidden case {number}: {label}").format(**where))
        else:
            print(_("  ok  case {number}: {label}").format(**where))
    if hidden:
        print(_("{name}: all {count} hidden cases passed.").format(name=name, count=count))
    else:
        print(_("{name}: all {count} cases passed.").format(name=name, count=count))
