"""Timing that survives a noisy 2-core machine: candidates measured in one process, their
repeats interleaved, reported as medians with the min-max range."""

import statistics
import time
from collections.abc import Callable


def interleaved(candidates: dict[str, Callable[[], object]], repeats: int, warmup: int = 2) -> dict:
    """{name: [seconds, ...]}: each round runs every candidate once, in turn."""
    for _ in range(warmup):
        for run in candidates.values():
            run()
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, run in candidates.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times


def report(
    times: dict[str, list[float]],
    baseline: str,
    flops: float | None = None,
    ceiling: str | None = None,
) -> None:
    """Print median ms, the min-max range, GFLOP/s, the ratio of each to ``baseline`` and,
    given the name of a ``ceiling`` candidate, the ceiling's median over each one's."""
    base = statistics.median(times[baseline])
    top = statistics.median(times[ceiling]) if ceiling else None
    print(
        f"  {'candidate':44s} {'median ms':>10s} {'min-max ms':>17s} {'GFLOP/s':>8s} {'ratio':>6s}"
        + (f" {'of ceiling':>10s}" if top else "")
    )
    for name, samples in times.items():
        median = statistics.median(samples)
        spread = f"{min(samples) * 1e3:7.1f}-{max(samples) * 1e3:<7.1f}"
        gflops = f"{flops / median / 1e9:8.1f}" if flops else ""
        share = f" {top / median:10.0%}" if top else ""
        print(
            f"  {name:44s} {median * 1e3:10.1f} {spread:>17s} {gflops:>8s} {median / base:6.2f}"
            + share
        )
    print(f"  (ratio = median / median of '{baseline}')")
