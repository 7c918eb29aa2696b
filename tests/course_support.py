"""Shared by the course tests: where the notebooks are, and their cells by nbgrader role."""

import os
import pathlib
import sys
import time

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
COURSE = ROOT / "course"
ASSIGNMENTS = sorted(p.name for p in SOLUTIONS.glob("*") if p.is_dir())


def notebooks(base: pathlib.Path, assignment: str) -> list[pathlib.Path]:
    return sorted((base / assignment).glob("*.ipynb"))


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def graded_cells(nb) -> list:
    """The autograded cells: code cells with points, each one line calling a check."""
    return [c for c in nb.cells if nbgrader_meta(c).get("grade") and c.cell_type == "code"]


def written_answers(nb) -> list:
    """The cells graded by hand: markdown answers with points."""
    return [c for c in nb.cells if nbgrader_meta(c).get("grade") and c.cell_type == "markdown"]


def answer_cells(nb) -> list:
    return [c for c in nb.cells if nbgrader_meta(c).get("solution")]


def kernel_env() -> dict:
    """The environment a notebook kernel runs in: this venv's python and CLIs first."""
    env = dict(os.environ)
    env["PATH"] = f"{pathlib.Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    # As under grading: the capstone trains for a few steps only (its full default run,
    # about 90 s on 2 cores, is what a learner sees).
    env.setdefault("NBGRADER_EXECUTION", "autograde")
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    return env


def execute(path: pathlib.Path, timeout: int = 120) -> tuple:
    """Run a notebook top to bottom in a fresh python3 kernel; (notebook, seconds)."""
    from nbclient import NotebookClient

    nb = nbformat.read(str(path), as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=timeout,
        resources={"metadata": {"path": str(path.parent)}},
    )
    saved = dict(os.environ)
    os.environ.update(kernel_env())
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return nb, time.perf_counter() - start


def namespace_from(nb, upto_grade_id: str | None = None) -> dict:
    """Execute a notebook's setup and answer cells in-process, in a fresh ``__main__``-like
    namespace (no plots, no checks): what a mutation test injects mistakes into."""
    ns: dict = {"__name__": "__main__"}
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type != "code" or meta.get("grade"):
            continue
        if meta.get("solution") or meta.get("locked"):
            exec(compile(cell.source, f"<{meta['grade_id']}>", "exec"), ns)
        if upto_grade_id and meta.get("grade_id") == upto_grade_id:
            break
    return ns


SEEDS = (0, 1)  # the fixed seeds a test draws a check's cases from


def first_failure(check, value, hidden: bool) -> AssertionError | None:
    """The check's first failure over ``SEEDS`` on the visible (or hidden) cases, or None;
    its ``mistake`` is the judge's id of the mistake it recognised."""
    for seed in SEEDS:
        try:
            check(value, hidden=hidden, seed=seed)
        except AssertionError as failure:
            return failure
    return None
