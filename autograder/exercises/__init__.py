"""The grader's side of every exercise: its cases, its reference and its typical mistakes.

One module per assignment topic (``rnn_cell``, ``lstm``, ``gru``, ``stacking``,
``dynamic_rnn``, ``batching``, ``tf2``, ``backprop``, ``charrnn``) defines its ``Exercise``
objects in ``EXERCISES``. An exercise's driver (which calls the learner's answer) lives on
the learner's side, in ``autograder.learner.checks`` under the same name;
``autograder.registry`` binds the two. Nothing here is ever imported by a kernel:

- ``cases(rng, hidden)`` picks inputs (plain data: arrays, numbers, strings, tuples, dicts);
- ``expect(case)`` computes the right outputs with ``rnnref``;
- ``mistakes`` maps a named, typical mistake to a function that computes what that
  mistake would output on the case, and a message that teaches the fix; the key is part
  of the mistake's stable id, ``<exercise>.<key>`` (grades.csv's ``mistake`` column);
- ``variants`` maps a part of the equations (``"o_gate.activation"``) to what the answer
  would output with that one part done wrong, and a message naming the part: the
  generated models ``autograder.diagnose`` tries when no hand-written mistake matches;
  ``locate(case, received)``, where given, finds the wrong part by undoing the equations on
  the learner's outputs (shaped like the reference's): ``(part, message)`` or None;
- ``what``, ``answer`` and ``label`` word the judge's messages.

Each module also names its notebook's folder (``ASSIGNMENT``) and lists, per graded cell,
typical mistakes to inject into the solution (``MUTATIONS``): the mutation tests check
that each one fails its check, and the demo's "typical" learner makes them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from autograder.i18n import N_, Text
from autograder.learner.drive import Driver
from autograder.learner.plain import Case


@dataclass(frozen=True)
class Mistake:
    """A typical mistake: what it would output on a case, and what to tell the learner.

    ``id`` is stable across gradings, so a class report can count who made it; an
    ``Exercise`` fills it in as ``<exercise name>.<key in its mistakes>``. The ``message``
    is translated when it is shown, into the learner's language (``autograder.i18n``); the
    ``id`` is the same in every language.
    """

    outputs: Callable[[Case], Any]
    message: Text
    id: str = ""


@dataclass(frozen=True)
class Mutation:
    """A typical mistake written into a solution: replace ``old`` by ``new`` (``count``
    times, -1: all) in the answer cell ``answer`` (its grade_id). ``names`` is a phrase the
    check's failure message must contain (the mistake named), or None."""

    answer: str
    old: str
    new: str
    names: str | None = None
    count: int = 1


def _summary(case: Case) -> str:
    parts = []
    for key, value in case.items():
        if isinstance(value, np.ndarray):
            parts.append(f"{key} {value.shape}")
        elif isinstance(value, (bool, int, float, str)) or value is None:
            parts.append(f"{key}={value!r}")
    return ", ".join(parts)


@dataclass(frozen=True)
class Exercise:
    """One graded behaviour. ``answer`` names the learner's code in messages
    ("your BasicRNNCell raised ..."); ``label`` describes a case in a few words.

    ``run`` is the learner-side driver of the same name, bound by ``autograder.registry``
    (None on an exercise taken straight from its module).

    ``isolated_from`` names the exercises of an earlier piece this exercise's answer calls
    (``("dynamic_rnn", "dynamic_rnn_masking")`` for ``static_rnn``): its cases carry the
    correct results of exactly the calls a correct answer makes (``case["earlier"]``), and
    the driver puts a stand-in answering from them in place of the learner's earlier piece,
    so one bug costs one exercise. ``used_by`` is the reverse, filled in by the registry:
    the later exercises graded that way, which the earlier exercise's failures mention.
    """

    name: str
    cases: Callable[[np.random.Generator, bool], list[Case]]
    expect: Callable[[Case], Any]
    mistakes: dict[str, Mistake] = field(default_factory=dict)
    variants: dict[str, Mistake] = field(default_factory=dict)
    locate: Callable[[Case, Any], tuple[str, str] | None] | None = None
    what: str | Text = N_("the output")
    answer: str | Text = "answer"
    label: Callable[[Case], str] = _summary
    atol: float = 1e-5
    rtol: float = 1e-5
    run: Driver | None = None
    isolated_from: tuple[str, ...] = ()
    used_by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Ids from the dict keys: the module that writes a mistake never has to repeat them.
        named = {
            key: mistake if mistake.id else replace(mistake, id=f"{self.name}.{key}")
            for key, mistake in self.mistakes.items()
        }
        object.__setattr__(self, "mistakes", named)
