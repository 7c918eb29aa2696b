"""Put the autograder's feedback pages where nbgrader's ``release_feedback`` looks for them.

``python -m autograder grade`` writes one page per student and assignment,
``GRADED/feedback/<student>/<assignment>.html``. nbgrader releases feedback from
``feedback/<student>/<assignment>/<notebook>.html`` in the course folder, beside the
``timestamp.txt`` and ``submission_secret.txt`` that ``nbgrader collect`` brought with the
submission: the secret is how each student's ``fetch_feedback`` finds their own page, and
only theirs, in the exchange. This script copies each collected submission's page there
(the same page for every notebook of a multi-notebook assignment) with those two files.

Run it in the course folder after grading, then press Release Feedback in formgrader or run
``nbgrader release_feedback ASSIGNMENT``::

    python deploy/jupyterhub/place_feedback.py 01_rnn_cell --graded graded
"""

import argparse
import shutil
import sys
from pathlib import Path

CARRIED = ("timestamp.txt", "submission_secret.txt")


def place(course: Path, graded: Path, assignment: str) -> tuple[list[Path], list[str]]:
    """Copy the pages of every collected submission of ``assignment``; returns the pages
    written and, for each submission without a page, why."""
    written: list[Path] = []
    missing: list[str] = []
    for submission in sorted((course / "submitted").glob(f"*/{assignment}")):
        student = submission.parent.name
        page = graded / "feedback" / student / f"{assignment}.html"
        if not page.is_file():
            missing.append(f"{student}: no {page} (grade the submissions first)")
            continue
        absent = [name for name in CARRIED if not (submission / name).is_file()]
        if absent:
            missing.append(
                f"{student}: {', '.join(absent)} missing from {submission} "
                "(collect with nbgrader collect)"
            )
            continue
        target = course / "feedback" / student / assignment
        target.mkdir(parents=True, exist_ok=True)
        for name in CARRIED:
            shutil.copyfile(submission / name, target / name)
        for notebook in sorted(submission.glob("*.ipynb")):
            shutil.copyfile(page, target / f"{notebook.stem}.html")
            written.append(target / f"{notebook.stem}.html")
    return written, missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument(
        "--graded", type=Path, required=True, help="the --out folder of python -m autograder grade"
    )
    parser.add_argument(
        "--course",
        type=Path,
        default=Path.cwd(),
        help="the course folder (default: the current one)",
    )
    args = parser.parse_args(argv)
    written, missing = place(args.course.resolve(), args.graded.resolve(), args.assignment)
    for path in written:
        print(f"placed {path}")
    for reason in missing:
        print(f"NOT placed: {reason}", file=sys.stderr)
    if not written and not missing:
        print(
            f"No collected submissions of {args.assignment} in {args.course / 'submitted'}.",
            file=sys.stderr,
        )
        return 1
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
