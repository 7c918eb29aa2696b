"""What diagnosis by parts costs the judge: per exercise, the median time ``judge.judge``
takes on a passing answer against a failing one that no hand-written mistake matches (the
judge then tries every mistake, every generated variant and the error's shape: the worst
case), on the exercise's visible and hidden cases; and of that, the part ``diagnose`` takes.

The learner's outputs are stand-ins computed here: the reference's (passing) and the same
structure with every number changed (failing, matching nothing). The printout ends with
the sum over the course, to compare with the seconds a notebook takes to grade
(``benchmarks/bench_grading.py``): diagnosis must not double it.

Usage: python benchmarks/bench_diagnosis.py [--repeat 5]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograder import registry  # noqa: E402
from autograder.diagnose import diagnose  # noqa: E402
from autograder.judge import judge  # noqa: E402
from autograder.learner.plain import Named, to_plain  # noqa: E402


def garbled(value: Any) -> Any:
    """``value`` with every floating number changed, its structure kept."""
    if isinstance(value, dict):
        return {k: garbled(v) for k, v in value.items()}
    if isinstance(value, Named):
        return Named(value.type_name, value.fields, tuple(garbled(v) for v in value.values))
    if isinstance(value, (tuple, list)):
        return type(value)(garbled(v) for v in value)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return (value * 1.7 + 0.3).astype(value.dtype)
    return value


def seconds(repeat: int, function: Any, *args: Any) -> tuple[float, Any]:
    """The median seconds of ``repeat`` calls of ``function(*args)``, and what it returned."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'exercise':28} {'variants':>8} {'pass ms':>9} {'fail ms':>9} {'diagnose ms':>12}")
    totals = [0.0, 0.0, 0.0]
    for name, exercise in sorted(registry.exercises().items()):
        rng = np.random.default_rng(0)
        cases = exercise.cases(rng, False) + exercise.cases(rng, True)
        passing, failing, diagnosing = [], [], []
        for case in cases:
            right = to_plain(exercise.expect(case))
            wrong = garbled(right)
            ok, good = seconds(args.repeat, judge, exercise, case, right)
            bad, verdict = seconds(args.repeat, judge, exercise, case, wrong)
            if good.passed and not verdict.passed:
                passing.append(ok)
                failing.append(bad)
                diagnosing.append(seconds(args.repeat, diagnose, exercise, case, wrong, right)[0])
        if not passing:
            continue  # no floating output to garble (ids, counts)
        for index, found in enumerate((passing, failing, diagnosing)):
            totals[index] += sum(found)
        ok, bad, part = map(statistics.median, (passing, failing, diagnosing))
        print(
            f"{name:28} {len(exercise.variants):8d} {ok * 1e3:9.2f} {bad * 1e3:9.2f} "
            f"{part * 1e3:12.2f}"
        )
    print(
        f"every case of the course judged once: {totals[0]:.3f} s passing, {totals[1]:.3f} s "
        f"failing, of which {totals[2]:.3f} s diagnosis"
    )


if __name__ == "__main__":
    main()
