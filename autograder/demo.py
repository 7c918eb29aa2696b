"""``python -m autograder demo`` (``make demo``): release the course, make a small class, grade it.

The class: ``perfect`` submits the solutions, ``blank`` the untouched release, ``typical``
the solutions with the typical mistakes listed beside the exercises (``registry.mutations``;
where none applies, an answer left blank), and ``hostile`` the solutions plus code that
attacks the grader: it reads the solutions, opens a connection, rebinds ``np.allclose`` and
a check, reaches for the grader's exercises, and loops forever in one answer of the first
assignment. All of it is graded two notebooks at a time.
"""

import shutil
import sys
import time
from pathlib import Path

import nbformat

from autograder import course, grading, registry, report, sandbox

ATTACK = """\
# The hostile learner: everything here must fail or change nothing.
import os, socket
import numpy as np
try:
    print(open({solution!r}).read()[:80])
except OSError as error:
    print("cannot read the solutions:", error)
try:
    socket.create_connection(("1.1.1.1", 80), timeout=2)
except OSError as error:
    print("no network:", error)
np.allclose = lambda *args, **kwargs: True
try:
    from autograder.exercises import rnn_cell as answers
    print("the grader's cases and references are importable:", answers.__file__)
except ImportError as error:
    print("no grader side in this kernel:", error)
"""


def _answers(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [
        c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
        and not c.metadata.get("nbgrader", {}).get("grade")
    ]


def _tests(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [
        c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
        and not c.metadata.get("nbgrader", {}).get("solution")
    ]


def _typical(
    solution: nbformat.NotebookNode, release: nbformat.NotebookNode, mistakes: dict[str, list]
) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(solution)
    blanks = {c.metadata.nbgrader["grade_id"]: c.source for c in _answers(release)}
    by_id = {c.metadata.nbgrader["grade_id"]: c for c in _answers(nb)}
    # Every other exercise goes wrong: a typical mistake if the course names one, else blank.
    for number, test in enumerate(_tests(nb)):
        if number % 2 == 1:
            continue
        options = [m for m in mistakes.get(test.metadata.nbgrader["grade_id"], []) if m.names]
        applied = False
        for mutation in options:
            cell = by_id.get(mutation.answer)
            if cell is not None and mutation.old in cell.source:
                cell.source = cell.source.replace(mutation.old, mutation.new, mutation.count)
                applied = True
                break
        if not applied:
            for grade_id, cell in by_id.items():
                if grade_id in blanks and test.source and cell.source != blanks[grade_id]:
                    cell.source = blanks[grade_id]
                    break
    return nb


def _hostile(
    solution: nbformat.NotebookNode, source_file: Path, loop: bool
) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(solution)
    answers = _answers(nb)
    if not answers:
        return nb
    first = nb.cells.index(answers[0])
    attack = nbformat.v4.new_code_cell(ATTACK.format(solution=str(source_file)))
    attack.id = "hostile-attack"
    nb.cells.insert(first, attack)
    tests = _tests(nb)
    if tests:
        alias = tests[0].source.split(".")[0].strip()
        if alias.isidentifier():
            name = tests[0].source.split(".")[1].split("(")[0]
            attack.source += f"{alias}.{name} = lambda *args, **kwargs: None  # skip a check\n"
    if loop and len(answers) > 1:  # in one notebook only: each loop costs a whole timeout
        answers[-1].source = "while True:  # an answer that never returns\n    pass\n"
    return nb


def make_class(root: Path, release_root: Path, submitted: Path) -> None:
    """The four learners' submissions in nbgrader's layout under ``submitted``."""
    source_root = root / "solutions"
    mistakes = registry.mutations()
    names = course.assignments(source_root)
    for assignment in names:
        for name in course.notebooks(source_root, assignment):
            source_file = source_root / assignment / f"{name}.ipynb"
            solution = nbformat.read(source_file, as_version=4)
            release = nbformat.read(release_root / assignment / f"{name}.ipynb", as_version=4)
            learners = {
                "perfect": solution,
                "blank": release,
                "typical": _typical(solution, release, mistakes.get(assignment, {})),
                "hostile": _hostile(solution, source_file, loop=assignment == names[0]),
            }
            for student, nb in learners.items():
                folder = submitted / student / assignment
                folder.mkdir(parents=True, exist_ok=True)
                nbformat.write(nb, folder / f"{name}.ipynb")


def main(root: Path, out: Path, jobs: int = 2) -> int:
    started = time.monotonic()
    root = root.resolve()
    source_root = root / "solutions"
    names = course.assignments(source_root)
    if not names:
        print(f"No assignments in {source_root}: nothing to demonstrate.", file=sys.stderr)
        return 1
    if out.exists():
        shutil.rmtree(out)
    release_root = out / "course"
    print(f"1. Releasing {len(names)} assignments with nbgrader into {release_root} ...")
    for name in names:
        course.generate(source_root, release_root, name)
    submitted = out / "submitted"
    make_class(root, release_root, submitted)
    print(
        f"2. A class of four in {submitted}: perfect (the solutions), blank (the release), "
        "typical (typical mistakes), hostile (attacks the grader)."
    )
    level = sandbox.probe()
    warning = sandbox.warning(level)
    if warning:
        print(warning, file=sys.stderr)
    print(f"3. Grading {jobs} notebooks at a time, each kernel confined (sandbox: {level}) ...")
    options = grading.Options(jobs=jobs, limits=sandbox.Limits(timeout=60))
    outcome = grading.grade(submitted, out / "graded", root, options)
    print()
    print(report.summary(outcome.results))
    print()
    for student in ("typical", "hostile"):
        failed = [
            (r, s)
            for r in outcome.results
            if r.student == student
            for s in r.scores
            if not s.passed
        ][:3]
        if failed:
            print(f"Why {student} lost points (first {len(failed)}):")
            for result, score in failed:
                lines = [
                    line for line in score.reason.splitlines() if not line.startswith("note:")
                ] or [""]
                print(f"  {result.assignment}/{score.grade_id}: {lines[-1][:150]}")
    print()
    print(f"Graded {len(outcome.results)} notebooks in {time.monotonic() - started:.0f} s.")
    print(f"grades.csv: {outcome.csv}")
    print(f"feedback:   {outcome.feedback}/<student>/<assignment>.html")
    print(
        f"gradebook:  {outcome.out / 'gradebook.db'} (nbgrader's; `nbgrader formgrader` "
        f"in {outcome.out} shows it)"
    )
    return 0
