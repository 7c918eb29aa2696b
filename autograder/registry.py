"""Finding an exercise by name in the grader's own process.

A grading kernel asks for cases by exercise name; the grader answers with its own copy of
that exercise, never the kernel's, so a learner who rebinds ``exercise.cases`` or
``exercise.expect`` in the kernel changes nothing. The exercises are the module-level
``Exercise`` objects (or those in module-level dicts, lists and tuples) of every module in
``autograder.checks`` and of every ``.py`` file in the assignment's source folder.
"""

import importlib
import importlib.util
import pkgutil
import sys
from pathlib import Path
from types import ModuleType

from autograder.checks.spec import Exercise

_SKIP = {"autograder.checks.channel", "autograder.checks.spec"}


def _exercises_in(module: ModuleType) -> list[Exercise]:
    found = []
    for value in list(vars(module).values()):
        if isinstance(value, Exercise):
            found.append(value)
        elif isinstance(value, dict):
            found += [v for v in value.values() if isinstance(v, Exercise)]
        elif isinstance(value, (list, tuple)):
            found += [v for v in value if isinstance(v, Exercise)]
    return found


def _course_modules() -> list[ModuleType]:
    import autograder.checks as checks

    modules = [checks]
    for info in pkgutil.walk_packages(checks.__path__, "autograder.checks."):
        if info.name not in _SKIP:
            modules.append(importlib.import_module(info.name))
    return modules


def _local_module(path: Path) -> ModuleType:
    """Import ``path`` under a private name, with its folder importable for its siblings."""
    name = f"_autograder_local_{abs(hash(str(path.resolve())))}_{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(path.parent))
    # No __pycache__ in the instructor's source folder: it would change what nbgrader copies.
    writes, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
        sys.dont_write_bytecode = writes
    return module


def exercises(assignment_folder: Path | None = None) -> dict[str, Exercise]:
    """Every exercise the grader knows for an assignment, by name.

    Raises ``ValueError`` when two different exercises share a name: the grader could not
    tell which one a kernel asked for.
    """
    modules = _course_modules()
    if assignment_folder is not None:
        modules += [_local_module(p) for p in sorted(assignment_folder.glob("*.py"))]
    found: dict[str, Exercise] = {}
    for module in modules:
        for exercise in _exercises_in(module):
            other = found.setdefault(exercise.name, exercise)
            if other is not exercise:
                raise ValueError(
                    f"Two exercises are named {exercise.name!r} (one in {module.__name__}); "
                    "the grader finds exercises by name, so names must be unique."
                )
    return found
