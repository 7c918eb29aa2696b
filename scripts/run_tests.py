"""The whole test suite in two processes at once, as `make test` runs it.

    python scripts/run_tests.py [pytest options]

One process runs the kernel and system tests in turn, the other everything else (the
reference against TF1, the checks, the judge, the screen). The first kind already keeps
both cores busy some of the time (grading runs two kernels at once; servers, browsers and
the book build beside them) and waits on them the rest; two of them at once made cells
overrun their time limits, so they never run beside each other. The second kind needs
nothing but the Python it runs in, and fills the first's waits.

The second process's output is kept in a file and printed when both are done; the exit
status is the first failure's, else 0. Extra arguments go to both pytest runs.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIERS = {
    "kernels and servers": ["-m", "kernel or system", "--durations=15"],
    "everything else": ["-m", "not kernel and not system"],
}


def main(extra: list[str]) -> int:
    pytest = [sys.executable, "-m", "pytest", *extra]
    (first, first_args), (second, second_args) = TIERS.items()
    with tempfile.TemporaryFile("w+") as log:
        background = subprocess.Popen(
            pytest + second_args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True
        )
        print(f"== {first} (the {second} run beside it; its output follows) ==", flush=True)
        try:
            first_status = subprocess.run(pytest + first_args, cwd=ROOT).returncode
        finally:
            second_status = background.wait()
        log.seek(0)
        print(f"\n== {second} ==\n{log.read()}", flush=True)
    for name, status in ((first, first_status), (second, second_status)):
        print(f"{name}: {'passed' if status == 0 else f'FAILED (pytest exit {status})'}")
    return first_status or second_status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
