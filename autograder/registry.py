"""Finding an exercise by name in the grader's own process (the one registry).

A grading kernel asks for cases by exercise name; the grader answers with its own copy of
that exercise, never the kernel's, so a learner who rebinds anything in the kernel changes
nothing here. An exercise has two halves with the same name:

- the grader's half, an ``Exercise`` (cases, reference, mistakes, wording): the module-level
  ``Exercise`` objects (or those in module-level dicts, lists and tuples) of every module in
  ``autograder.exercises``;
- the learner's half, a ``Check`` (its driver ``run`` and the function notebooks call): the
  module-level ``Check`` objects of every module in ``autograder.learner.checks``.

``exercises`` joins them by name, and refuses an exercise with only one half.

An assignment may bring exercises of its own, split the same way:

- its learner half is any ``.py`` file in the assignment's source folder
  (``<course>/solutions/<assignment>/pilot_checks.py``), which nbgrader releases and the
  grader copies into each kernel beside the notebook. It may import only
  ``autograder.learner``, and makes its checks with ``Check(name, run, doc,
  local_to=__file__)``;
- its grader half is ``<course>/exercises/<assignment>.py``, beside ``solutions/`` and
  outside the assignment's folder, so nbgrader never releases it and no kernel ever gets a
  copy. It defines ``Exercise`` objects like ``autograder.exercises``' modules.
"""

import dataclasses
import importlib
import importlib.util
import pkgutil
import sys
from pathlib import Path
from types import ModuleType

import autograder.exercises
import autograder.learner.checks
from autograder.exercises import Exercise
from autograder.learner.checks import Check

# Helpers beside the exercise modules, holding no exercises of their own.
_SKIP = {"autograder.exercises.support", "autograder.learner.checks.common"}


def _found_in(module: ModuleType, kind: type) -> list:
    """The module-level ``kind`` objects of ``module``, also those in dicts, lists, tuples."""
    found = []
    for value in list(vars(module).values()):
        if isinstance(value, kind):
            found.append(value)
        elif isinstance(value, dict):
            found += [v for v in value.values() if isinstance(v, kind)]
        elif isinstance(value, (list, tuple)):
            found += [v for v in value if isinstance(v, kind)]
    return found


def _package_modules(package: ModuleType) -> list[ModuleType]:
    prefix = package.__name__ + "."
    return [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(package.__path__, prefix)
        if info.name not in _SKIP
    ]


def _local_module(path: Path, importable: Path) -> ModuleType:
    """Import ``path`` under a private name, with the folder ``importable`` on the path."""
    name = f"_autograder_local_{abs(hash(str(path.resolve())))}_{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(importable))
    # No __pycache__ in the instructor's source folder: it would change what nbgrader copies.
    writes, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(importable))
        sys.dont_write_bytecode = writes
    return module


def grader_side_file(assignment_folder: Path, course_root: Path | None = None) -> Path | None:
    """The grader half of an assignment's own exercises, ``<course>/exercises/<assignment>.py``,
    if there is one: ``course_root``'s first, then that of the course holding the folder (the
    folder above its ``solutions/`` or ``course/``)."""
    folder = assignment_folder.resolve()
    roots = [course_root] if course_root is not None else []
    for root in [*roots, folder.parent.parent]:
        candidate = root / "exercises" / f"{folder.name}.py"
        if candidate.is_file():
            return candidate
    return None


def _by_name(modules: list[ModuleType], kind: type) -> dict:
    found: dict = {}
    for module in modules:
        for item in _found_in(module, kind):
            other = found.setdefault(item.name, item)
            if other is not item:
                raise ValueError(
                    f"Two exercises are named {item.name!r} (one in {module.__name__}); "
                    "the grader finds exercises by name, so names must be unique."
                )
    return found


def _modules(
    assignment_folder: Path | None, course_root: Path | None
) -> tuple[list[ModuleType], list[ModuleType]]:
    """The modules holding the grader's halves and those holding the learner's halves."""
    grader = _package_modules(autograder.exercises)
    learner = _package_modules(autograder.learner.checks)
    if assignment_folder is not None:
        learner += [
            _local_module(p, assignment_folder) for p in sorted(assignment_folder.glob("*.py"))
        ]
        local = grader_side_file(assignment_folder, course_root)
        if local is not None:
            grader.append(_local_module(local, local.parent))
    return grader, learner


def definitions(
    assignment_folder: Path | None = None, course_root: Path | None = None
) -> dict[str, tuple[Path, Path]]:
    """Each exercise's defining files by name, (grader half, learner half), found as
    ``exercises`` finds the exercises: what the results cache hashes into an exercise's
    version (``autograder.versions``), so that fixing one check regrades only its cells."""
    grader, learner = _modules(assignment_folder, course_root)

    def files(modules: list[ModuleType], kind: type) -> dict[str, Path]:
        return {
            item.name: Path(module.__file__).resolve()
            for module in modules
            for item in _found_in(module, kind)
        }

    halves, checks = files(grader, Exercise), files(learner, Check)
    return {name: (halves[name], checks[name]) for name in halves.keys() & checks.keys()}


def exercises(
    assignment_folder: Path | None = None, course_root: Path | None = None
) -> dict[str, Exercise]:
    """Every exercise the grader knows for an assignment, by name, bound to its driver.

    ``assignment_folder`` (an assignment's source or release folder) adds the assignment's
    own exercises (see the module's docstring). Raises ``ValueError`` when two different
    exercises share a name, or when an exercise has a grader half and no learner half (or
    the reverse): the grader could not tell what a kernel asked for.
    """
    grader, learner = _modules(assignment_folder, course_root)
    halves: dict[str, Exercise] = _by_name(grader, Exercise)
    checks: dict[str, Check] = _by_name(learner, Check)
    unmatched = sorted(set(halves) ^ set(checks))
    if unmatched:
        raise ValueError(
            f"Exercises {unmatched} have only one half: every exercise needs an Exercise on "
            "the grader's side and a Check of the same name on the learner's side."
        )
    used_by: dict[str, list[str]] = {}
    for name, exercise in sorted(halves.items()):
        for earlier in exercise.isolated_from:
            used_by.setdefault(earlier, []).append(name)
    return {
        name: dataclasses.replace(e, run=checks[name].run, used_by=tuple(used_by.get(name, ())))
        for name, e in halves.items()
    }


def mutations() -> dict[str, dict[str, list]]:
    """The course's typical mistakes: assignment -> graded cell's grade_id -> ``Mutation``s,
    from each exercise module's ``ASSIGNMENT`` and ``MUTATIONS``."""
    return {
        module.ASSIGNMENT: module.MUTATIONS
        for module in _package_modules(autograder.exercises)
        if hasattr(module, "MUTATIONS")
    }
