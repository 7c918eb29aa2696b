"""The wall between the two sides: what a kernel imports holds no reference, no cases, no
mistake models and no judge, and a self-check's verdicts come from a separate process."""

import ast
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import pytest

import autograder.learner.checks
from autograder.learner.checks import Check

ROOT = pathlib.Path(__file__).resolve().parents[2]
LEARNER = ROOT / "autograder" / "learner"
# babel: the learner side compiles its message catalog (a .po file) with it, for Chinese only.
ALLOWED = {"numpy", "IPython", "matplotlib", "tensorflow", "babel"}
MODULES = sorted(LEARNER.rglob("*.py"))


def _imports(path: pathlib.Path) -> list[str]:
    """Every module ``path`` imports, anywhere in it (functions included), as written."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append("." * node.level + (node.module or ""))
    return found


def _allowed(name: str) -> bool:
    top = name.split(".")[0]
    learner = name == "autograder.learner" or name.startswith("autograder.learner.")
    return learner or top in ALLOWED or top in sys.stdlib_module_names


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(LEARNER)) for p in MODULES])
def test_a_learner_module_imports_only_the_allowlist(path):
    refused = [name for name in _imports(path) if not _allowed(name)]
    assert not refused, f"{path.name} imports {refused}: a kernel may not see them"


def test_the_package_above_the_learner_side_imports_nothing():
    assert _imports(ROOT / "autograder" / "__init__.py") == []


def test_importing_the_learner_side_loads_no_grader_module_and_no_reference():
    code = textwrap.dedent(
        """
        import importlib, pkgutil, sys
        import autograder.learner
        for info in pkgutil.walk_packages(autograder.learner.__path__, "autograder.learner."):
            importlib.import_module(info.name)
        print("\\n".join(sorted(sys.modules)))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    loaded = result.stdout.split()
    assert "autograder.learner.checks.tf2" in loaded
    assert not [m for m in loaded if m == "rnnref" or m.startswith("rnnref.")]
    grader = [
        m for m in loaded if m.startswith("autograder.") and not m.startswith("autograder.learner")
    ]
    assert not grader, f"the learner side loaded {grader}"
    assert "tensorflow" not in loaded


def test_the_checks_in_a_kernel_hold_only_a_name_a_driver_and_words():
    """Nothing a learner can reach from a check computes an answer or picks a case."""
    for name in autograder.learner.checks.__all__:
        assert not hasattr(getattr(autograder.learner.checks, name), "expect")
    import importlib
    import pkgutil

    for info in pkgutil.walk_packages(autograder.learner.__path__, "autograder.learner."):
        module = importlib.import_module(info.name)
        for attribute in ("expect", "cases", "mistakes", "EXERCISES", "judge", "screen"):
            assert not hasattr(module, attribute), f"{info.name}.{attribute}"
        for value in vars(module).values():
            if isinstance(value, Check):
                assert set(vars(value)) == {
                    "name",
                    "__name__",
                    "__qualname__",
                    "run",
                    "__doc__",
                    "local",
                }


SELF_CHECK = textwrap.dedent(
    """
    import sys
    import numpy as np
    from autograder.learner.checks import CheckFailed, rnn_cell

    def unroll(cell, inputs, state):
        outputs = []
        for x in inputs:
            output, state = cell(x, state)
            outputs.append(output)
        return outputs, state

    def from_initial(cell, inputs, state):
        return [cell(x, state)[0] for x in inputs], state

    rnn_cell.unroll(unroll, seed=0)
    try:
        rnn_cell.unroll(from_initial, seed=0)
    except CheckFailed as failure:
        print("FAILED:", failure)
    print("LOADED:", " ".join(sorted(sys.modules)))
    """
)


def test_a_self_check_is_judged_in_another_process():
    result = subprocess.run([sys.executable, "-c", SELF_CHECK], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "  ok  case 1: 3 steps, batch 2" in result.stdout
    assert "unroll: all 3 cases passed." in result.stdout
    assert "FAILED: unroll, case 1 of 3" in result.stdout
    assert "every step starts from the initial state" in result.stdout
    loaded = result.stdout.split("LOADED:")[1].split()
    assert not [m for m in loaded if m.startswith(("rnnref", "autograder.exercises"))]
    assert "autograder.judge" not in loaded and "autograder.selfjudge" not in loaded


def test_without_the_course_a_self_check_says_it_is_needed(tmp_path):
    """In a kernel that has only the learner side (as in the grading jail), there is no
    judge to start: the check says so instead of judging in the kernel."""
    copy = tmp_path / "autograder"
    copy.mkdir()
    shutil.copy(ROOT / "autograder" / "__init__.py", copy)
    shutil.copytree(LEARNER, copy / "learner", ignore=shutil.ignore_patterns("__pycache__"))
    # This venv's editable install would find the real checkout: hide it, as the jail does.
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "sys.meta_path[:] = [f for f in sys.meta_path if '__editable__' not in f.__module__]\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", SELF_CHECK], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert result.returncode != 0
    assert "SelfCheckError" in result.stderr
    assert "needs the course installed" in result.stderr
    assert "No module named autograder.selfjudge" in result.stderr


def test_an_assignments_own_checks_are_judged_from_its_grader_half():
    """The pilot's learner half (released) finds its grader half (``exercises/pilot.py``,
    never released) through the self-judge, as a learner running the notebook would."""
    folder = ROOT / "tests" / "fixtures" / "pilot" / "solutions" / "pilot"
    code = textwrap.dedent(
        """
        import numpy as np
        import pilot_checks as check

        check.rnn_step(lambda x, h, W, U, b: np.tanh(x @ W + h @ U + b))
        try:
            check.rnn_step(lambda x, h, W, U, b: x @ W + h @ U + b)
        except AssertionError as failure:
            print("FAILED:", failure)
        """
    )
    result = subprocess.run(
        [sys.executable, "-B", "-c", code], capture_output=True, text=True, cwd=folder
    )
    assert result.returncode == 0, result.stderr
    assert "rnn_step: all 1 cases passed." in result.stdout
    assert "FAILED: rnn_step, case 1 of 1" in result.stdout
    assert "the tanh is left out" in result.stdout
    assert not list(folder.glob("__pycache__"))
