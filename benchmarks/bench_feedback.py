"""What naming a mistake costs: the grader's judging of a failing notebook against a passing one.

A kernel runs the same answers either way; what differs is the judge. For a passing case it
compares once with the reference. For a failing one it also computes every known mistake's
outputs and, when none matches, asks the diagnoses (``judge.DIAGNOSES``). This times, per
assignment, judging all of its exercises' cases (visible and hidden) on:

- passing outputs: the reference's own;
- failing outputs: the reference's, every float off by 1% and every integer array by one (no
  known mistake matches them, so every mistake model and every diagnosis runs: the worst
  case). Cases whose outputs this leaves right (no arrays in them) are left out of both.

Issue 11 asks that grading a failing notebook take less than twice a passing one. Judging
alone costs a few times more on failing outputs, in milliseconds; the ``extra ms`` column is
what a failing notebook adds to its grading, to set against the seconds a kernel takes to run
the same notebook either way (``bench_grading.py``'s per-notebook cost).

Usage: python benchmarks/bench_feedback.py [--repeats 5]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograder import judge, registry  # noqa: E402
from autograder.learner.plain import Named, to_plain  # noqa: E402


def off(value: Any) -> Any:
    """``value`` with every float 1% larger and every integer array one larger (structure
    kept)."""
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating):
        return (value * 1.01 + 0.01).astype(value.dtype)
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.integer):
        return value + 1
    if isinstance(value, dict):
        return {k: off(v) for k, v in value.items()}
    if isinstance(value, Named):
        return Named(value.type_name, value.fields, tuple(off(v) for v in value.values))
    if isinstance(value, (tuple, list)):
        return type(value)(off(v) for v in value)
    return value


def judged(work: list[tuple]) -> float:
    """Seconds to judge every ``(exercise, case, outputs, inputs after)`` of ``work``."""
    start = time.perf_counter()
    for exercise, case, outputs, after in work:
        judge.judge(exercise, case, outputs, after)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    exercises = registry.exercises()
    by_assignment: dict[str, list] = {}
    for exercise in exercises.values():
        topic = exercise.cases.__module__.rsplit(".", 1)[-1]
        rng = np.random.default_rng(0)
        for case in exercise.cases(rng, False) + exercise.cases(rng, True):
            expected = to_plain(exercise.expect(case))
            by_assignment.setdefault(topic, []).append((exercise, case, expected, to_plain(case)))
    print(
        f"{'assignment':12s} {'cases':>5s} {'passing ms':>11s} {'failing ms':>11s} "
        f"{'ratio':>6s} {'extra ms':>9s}"
    )
    for topic, everything in sorted(by_assignment.items()):
        work = [w for w in everything if not judge.judge(w[0], w[1], off(w[2]), w[3]).passed]
        failing = [(e, c, off(o), a) for e, c, o, a in work]
        passes = [judged(work) for _ in range(args.repeats)]
        fails = [judged(failing) for _ in range(args.repeats)]
        p, f = statistics.median(passes), statistics.median(fails)
        print(
            f"{topic:12s} {len(work):5d} {p * 1e3:11.1f} {f * 1e3:11.1f} {f / p:6.2f} "
            f"{(f - p) * 1e3:9.1f}"
        )


if __name__ == "__main__":
    main()
