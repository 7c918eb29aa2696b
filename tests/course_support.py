"""Shared by the course tests: where the notebooks are, and their cells by nbgrader role."""

import filecmp
import os
import pathlib
import re
import sys
import time

import nbformat

from autograder.learner import i18n as learner_i18n

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
COURSE = ROOT / "course"
COURSE_ZH = ROOT / "course-zh"
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


def output_text(cell) -> str:
    """What an executed cell printed, and its error if it raised."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
    return "".join(parts)


def _passed(template: str, lang: str) -> str:
    """A pattern for the learner side's summary line ``template`` in ``lang``."""
    line = learner_i18n.translations(learner_i18n.LOCALE, "learner", lang).gettext(template)
    return re.escape(line).replace(r"\{name\}", ".+?").replace(r"\{count\}", r"\d+")


def assert_passes_every_check(nb, name: str, lang: str = "en") -> None:
    """An executed solution notebook passed every check, visible and hidden (the summary
    lines in ``lang``, the notebook's edition), raised nothing and wrote nothing on stderr."""
    graded = graded_cells(nb)
    assert graded, f"{name} has no graded cells"
    visible = _passed("{name}: all {count} cases passed.", lang)
    hidden = _passed("{name}: all {count} hidden cases passed.", lang)
    for cell in graded:
        text = output_text(cell)
        grade_id = nbgrader_meta(cell)["grade_id"]
        assert re.search(visible, text), f"{name} {grade_id}: {text}"
        assert re.search(hidden, text), f"{name} {grade_id}: {text}"
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", f"{name} {cell.id}: {output_text(cell)}"
            assert not (out.output_type == "stream" and out.name == "stderr"), (
                f"{name} {cell.id} wrote on stderr: {out.text}"
            )


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


def assert_same_tree(made: pathlib.Path, committed: pathlib.Path, regenerate: str) -> None:
    """``made`` and ``committed`` hold the same files, byte for byte; else say how to
    regenerate the committed tree."""
    compared = filecmp.dircmp(made, committed, ignore=[".ipynb_checkpoints"])
    _assert_same(compared, committed.name, regenerate)


def _assert_same(compared: filecmp.dircmp, name: str, regenerate: str) -> None:
    assert not compared.left_only, f"{name}/ lacks {compared.left_only}: {regenerate}"
    assert not compared.right_only, f"{name}/ has stray {compared.right_only}"
    _, mismatch, errors = filecmp.cmpfiles(
        compared.left, compared.right, compared.common_files, shallow=False
    )
    assert not mismatch and not errors, f"{name}/ differs in {mismatch}: {regenerate}"
    for sub in compared.subdirs.values():
        _assert_same(sub, name, regenerate)
