"""What an exercise check is, and the one judge every check uses.

An ``Exercise`` splits a check into the part that runs the learner's code and the part
that knows the answer:

- ``cases(rng, hidden)`` picks inputs (plain data: arrays, numbers, strings, tuples, dicts);
- ``run(answer, case)`` calls the learner's answer on one case and returns its outputs.
  It runs in the learner's kernel, so it must not import ``rnnref``;
- ``expect(case)`` computes the right outputs with ``rnnref``;
- ``mistakes`` maps a named, typical mistake to a function that computes what that
  mistake would output on the case, and a message that teaches the fix.

The kernel side is ``screen`` (is the answer the learner's own code?) and ``attempt``
(``run`` on one case, the learner's exceptions caught): both return plain data only.
The learner's outputs cross into the judge only as plain data (``to_plain``), so an object
whose ``==`` is always true, or a subclass pretending to be an array, never reaches a
comparison; an exception crosses as ``Raised``, a refused answer as ``Rejected``.
``judge`` compares structure, type, shape, dtype and values, and when the values are
wrong, says which known mistake they match.
"""

import re
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Case = dict[str, Any]

# Where an answer may not come from, and what its code may not name (issue 4: "calling
# rnnref or Keras/TF1 RNN cells inside an answer get a clear failure").
FORBIDDEN_MODULES = ("rnnref", "tensorflow", "keras", "tf_keras", "autograder")
ALLOWED_MODULES = ("autograder.checks.cells",)
FORBIDDEN_NAMES = (
    "rnnref", "keras", "rnn_cell", "compat", "__import__", "importlib", "import_module"
)


@dataclass(frozen=True)
class Mistake:
    """A typical mistake: what it would output on a case, and what to tell the learner."""

    outputs: Callable[[Case], Any]
    message: str


def _summary(case: Case) -> str:
    parts = []
    for key, value in case.items():
        if isinstance(value, np.ndarray):
            parts.append(f"{key} {value.shape}")
        elif isinstance(value, (bool, int, float, str)) or value is None:
            parts.append(f"{key}={value!r}")
    return ", ".join(parts)


@dataclass(frozen=True)
class Exercise:
    """One graded behaviour. ``answer`` names the learner's code in messages
    ("your BasicRNNCell raised ..."); ``label`` describes a case in a few words."""

    name: str
    cases: Callable[[np.random.Generator, bool], list[Case]]
    run: Callable[[Any, Case], Any]
    expect: Callable[[Case], Any]
    mistakes: dict[str, Mistake] = field(default_factory=dict)
    what: str = "the output"
    answer: str = "answer"
    label: Callable[[Case], str] = _summary
    forbidden: tuple[str, ...] = FORBIDDEN_MODULES
    atol: float = 1e-5
    rtol: float = 1e-5


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str


class Unsupported:
    """Stands for a value of a type the judge will not compare (never equal to anything)."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = None


@dataclass(frozen=True)
class Named:
    """A namedtuple as plain data, e.g. ``LSTMStateTuple(c, h)``."""

    type_name: str
    fields: tuple
    values: tuple


@dataclass(frozen=True)
class Raised:
    """The learner's code raised instead of returning: the exception, and where, in words."""

    type_name: str
    message: str
    where: str = ""


class AnswerRejected(Exception):
    """Raised by a refused answer (see ``refused``) the moment a check uses it."""


class Refused:
    """Stands in for an answer ``screen`` rejected: any use raises ``AnswerRejected``, so a
    check reports the rejection through the same path as any exception, grading included."""

    def __init__(self, message: str) -> None:
        object.__setattr__(self, "_message", message)

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise AnswerRejected(object.__getattribute__(self, "_message"))

    __call__ = __iter__ = __getitem__ = _refuse

    def __getattr__(self, name: str) -> Any:
        self._refuse()


@dataclass(frozen=True)
class Rejected:
    """The answer is not the learner's own computation (it calls the reference, say)."""

    message: str


def to_plain(value: Any) -> Any:
    """``value`` rebuilt from exact NumPy arrays, numbers, strings, dicts and (named) tuples.

    Anything else, subclasses of those types included, becomes ``Unsupported``. Dicts are
    how ``run`` names its outputs (``{"output": ..., "new_state": ...}``).
    """
    kind = type(value)
    if kind is np.ndarray:
        if value.dtype.hasobject:
            return Unsupported("a NumPy array of Python objects")
        return np.array(value, copy=True)
    if isinstance(value, np.generic) and kind.__module__ == "numpy":
        return np.asarray(value)[()]
    if kind in (bool, int, float, str) or value is None:
        return value
    if kind in (Raised, Rejected):
        return value
    if kind in (tuple, list):
        return kind(to_plain(v) for v in value)
    if kind is dict and all(type(k) is str for k in value):
        return {k: to_plain(v) for k, v in value.items()}
    if kind.__bases__ == (tuple,) and hasattr(kind, "_fields"):
        return Named(kind.__name__, tuple(kind._fields), tuple(to_plain(v) for v in value))
    return Unsupported(f"{kind.__module__}.{kind.__qualname__}")


def describe(value: Any) -> str:
    """A learner-readable description of a plain value: its type and shape, not its numbers."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, Named):
        inner = ", ".join(
            f"{f}={describe(v)}" for f, v in zip(value.fields, value.values, strict=True)
        )
        return f"{value.type_name}({inner})"
    if isinstance(value, (tuple, list)):
        return (
            f"a {type(value).__name__} of {len(value)}: (" + ", ".join(map(describe, value)) + ")"
        )
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {describe(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Unsupported):
        return f"an object of type {value.type_name}"
    return f"{type(value).__name__} {value!r}"


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def difference(received: Any, expected: Any, where: str, atol: float, rtol: float) -> str | None:
    """None if ``received`` matches ``expected``; else what differs first, in words."""
    if isinstance(expected, dict):
        if not isinstance(received, dict) or set(received) != set(expected):
            return f"{where or 'the result'} should be {describe(expected)}. Received: " + (
                describe(received) + "."
            )
        for key, e in expected.items():
            found = difference(received[key], e, _join(where, key), atol, rtol)
            if found:
                return found
        return None
    if isinstance(expected, Named):
        if not isinstance(received, Named) or received.fields != expected.fields:
            return f"{where} should be {describe(expected)}. Received: {describe(received)}."
        pairs = zip(received.values, expected.values, strict=True)
        for name, (r, e) in zip(expected.fields, pairs, strict=True):
            found = difference(r, e, f"{where}.{name}", atol, rtol)
            if found:
                return found
        return None
    if isinstance(expected, (tuple, list)):
        if type(received) is not type(expected) or len(received) != len(expected):
            return f"{where} should be {describe(expected)}. Received: {describe(received)}."
        for index, (r, e) in enumerate(zip(received, expected, strict=True)):
            found = difference(r, e, f"{where}[{index}]", atol, rtol)
            if found:
                return found
        return None
    if isinstance(expected, np.ndarray):
        if not isinstance(received, np.ndarray):
            return f"{where} should be a NumPy array. Received: {describe(received)}."
        if received.shape != expected.shape:
            return f"{where} should have shape {expected.shape}. Received: shape {received.shape}."
        if received.dtype != expected.dtype:
            return f"{where} should have dtype {expected.dtype}. Received: dtype {received.dtype}."
        if np.issubdtype(expected.dtype, np.number):
            with np.errstate(invalid="ignore"):
                error = np.abs(received.astype(np.float64) - expected.astype(np.float64))
            bad = ~(error <= atol + rtol * np.abs(expected.astype(np.float64)))
            if bad.any():
                index = np.unravel_index(
                    np.argmax(np.where(bad, np.nan_to_num(error, nan=np.inf), -1)), error.shape
                )
                return (
                    f"{where} has wrong values at {int(bad.sum())} of {bad.size} positions. "
                    f"The largest error is at index {tuple(int(i) for i in index)}: expected "
                    f"{expected[index]:.6g}, received {received[index]:.6g}."
                )
            return None
        return None if np.array_equal(received, expected) else f"{where} has the wrong values."
    if type(received) is not type(expected) or received != expected:
        return f"{where} should be {expected!r}. Received: {describe(received)}."
    return None


def judge(exercise: Exercise, case: Case, received: Any) -> Verdict:
    """Compare the learner's plain ``received`` outputs with the reference on ``case``."""
    if isinstance(received, Rejected):
        return Verdict(False, received.message)
    raised = _as_raised(received)
    if raised is not None:
        if raised.type_name == AnswerRejected.__name__:
            return Verdict(False, raised.message)
        return Verdict(False, _raised_message(exercise, raised))
    expected = to_plain(exercise.expect(case))
    where = "" if isinstance(expected, dict) else exercise.what
    found = difference(received, expected, where, exercise.atol, exercise.rtol)
    if found is None:
        return Verdict(True, "passed")
    matched = []
    for mistake in exercise.mistakes.values():
        try:
            would = to_plain(mistake.outputs(case))
        except Exception:  # a mistake that cannot apply to this case says nothing
            continue
        if difference(received, would, where, exercise.atol, exercise.rtol) is None:
            matched.append(mistake.message)
    if matched:  # on some cases two mistakes give the same numbers: name them all
        others = "".join(f"\nIt is also what happens when {m}" for m in matched[1:])
        return Verdict(False, f"{found}\nThis is what happens when {matched[0]}{others}")
    return Verdict(False, found)


def _as_raised(received: Any) -> Raised | None:
    """``Raised``, or the grading channel's record of an exception (``wire.RemoteError``)."""
    if isinstance(received, Raised):
        return received
    if type(received).__name__ == "RemoteError" and isinstance(
        getattr(received, "type_name", None), str
    ):
        text = getattr(received, "traceback", "") or ""
        return Raised(received.type_name, str(received.message)[:500], _where_in(text))
    return None


def _where_in(traceback_text: str) -> str:
    """The learner's innermost line in a formatted traceback (see ``_learner_line``)."""
    frames = re.findall(r'File "([^"]*)", line \d+, in (\S+)\n +([^\n]*)', traceback_text)
    for filename, function, line in reversed(frames):
        if not any(part in filename for part in _LIBRARY_PATHS):
            return f"in {function}, at `{line.strip()}`"
    return ""


def _raised_message(exercise: Exercise, raised: Raised) -> str:
    if raised.type_name == "NotImplementedError":
        return (
            f"your {exercise.answer} is not written yet: it raised NotImplementedError. "
            "Replace `raise NotImplementedError()` with your code."
        )
    where = f"\n  {raised.where}" if raised.where else ""
    return f"your {exercise.answer} raised {raised.type_name}: {raised.message}{where}"


# ---- the kernel side: plain data only, and never a crash of the check -------------------


def attempt(exercise: Exercise, answer: Any, case: Case) -> Any:
    """``exercise.run(answer, case)`` as plain data, or ``Raised`` if the learner's code raised."""
    try:
        return to_plain(exercise.run(answer, case))
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # the learner's bug (SystemExit too), reported as data
        return Raised(type(error).__name__, str(error)[:500], _learner_line(error))


_LIBRARY_PATHS = ("site-packages", "/autograder/checks/", "/lib/python")


def _learner_line(error: BaseException) -> str:
    """Where in the learner's code it raised: the innermost frame outside libraries and checks."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if not any(part in frame.filename for part in _LIBRARY_PATHS):
            line = (frame.line or "").strip()
            return f"in {frame.name}, at `{line}`" if line else f"in {frame.name}"
    return ""


def screen(
    answer: Any, forbidden: tuple[str, ...] = FORBIDDEN_MODULES, called: str = "answer"
) -> Rejected | None:
    """``Rejected`` if ``answer`` (a class, a function, or a tuple of them) is not the learner's
    own code: defined in, subclassing, or naming ``rnnref``, TensorFlow/Keras or the checks.

    It follows methods, nested functions and the learner's own helpers (through the
    answer's globals and closures), and reads names and string constants in the bytecode.
    """
    seen: set[int] = set()

    def within(module: str | None, prefixes: tuple[str, ...]) -> bool:
        module = module or ""
        return any(module == p or module.startswith(p + ".") for p in prefixes)

    def banned(module: str | None) -> bool:
        return within(module, forbidden) and not within(module, ALLOWED_MODULES)

    def refuse(name: str, what: str) -> Rejected:
        return Rejected(
            f"answers must not call the reference or a library's RNN code: your {called} uses "
            f"`{name}` ({what}). Write the computation yourself with NumPy."
        )

    def value(name: str, obj: Any, home: str | None) -> Rejected | None:
        """A global or closure value the learner's code names."""
        if isinstance(obj, types.ModuleType):
            return refuse(name, f"the module {obj.__name__}") if banned(obj.__name__) else None
        if isinstance(obj, (types.FunctionType, type)):
            module = getattr(obj, "__module__", None)
            if banned(module):
                return refuse(name, f"{module}.{getattr(obj, '__qualname__', name)}")
            return visit(obj, name) if module == home else None
        module = getattr(type(obj), "__module__", None)
        return refuse(name, f"an object from {module}") if banned(module) else None

    def code(co: types.CodeType, globals_: dict, home: str | None) -> Rejected | None:
        for name in co.co_names:
            if any(token in name for token in FORBIDDEN_NAMES):
                return refuse(name, "a name answers may not use")
            if name in globals_:
                found = value(name, globals_[name], home)
                if found:
                    return found
        for const in co.co_consts:
            if isinstance(const, types.CodeType):
                found = code(const, globals_, home)
                if found:
                    return found
            elif isinstance(const, str) and any(t in const for t in FORBIDDEN_NAMES[:3]):
                return refuse(repr(const), "a string naming the reference")
        return None

    def visit(obj: Any, name: str) -> Rejected | None:
        """The learner's own function or class (its methods, bases and helpers)."""
        if id(obj) in seen:
            return None
        seen.add(id(obj))
        home = getattr(obj, "__module__", None)
        if isinstance(obj, types.FunctionType):
            found = code(obj.__code__, obj.__globals__, home)
            for cell in obj.__closure__ or ():
                if found:
                    return found
                try:
                    found = value(name, cell.cell_contents, home)
                except ValueError:  # an empty closure cell
                    continue
            return found
        for base in obj.__mro__[1:]:
            if banned(base.__module__):
                return refuse(base.__name__, f"a subclass of {base.__module__}.{base.__name__}")
            if base.__module__ == home:
                found = visit(base, base.__name__)
                if found:
                    return found
        for attr, member in vars(obj).items():
            for part in _functions_of(member):
                found = visit(part, f"{obj.__name__}.{attr}")
                if found:
                    return found
        return None

    for part in answer if isinstance(answer, tuple) else (answer,):
        name = getattr(part, "__name__", type(part).__name__)
        if isinstance(part, (types.FunctionType, type)):
            module = getattr(part, "__module__", None)
            if banned(module):
                return refuse(name, f"defined in {module}")
            found = visit(part, name)
        else:
            found = value(name, part, None)
        if found:
            return found
    return None


def _functions_of(member: Any) -> list:
    if isinstance(member, (staticmethod, classmethod)):
        return [member.__func__]
    if isinstance(member, property):
        return [f for f in (member.fget, member.fset, member.fdel) if f is not None]
    if isinstance(member, (types.FunctionType, type)):
        return [member]
    return []


def guarded(exercise: Exercise, answer: Any) -> Any:
    """``answer``, or a ``Refused`` stand-in that fails every case if ``screen`` rejects it."""
    rejected = screen(answer, exercise.forbidden, exercise.answer)
    return Refused(rejected.message) if rejected else answer


def outputs(exercise: Exercise, answer: Any, cases: list[Case]) -> list:
    """The learner's plain outputs on each case: ``guarded`` once, then ``attempt`` each."""
    answer = guarded(exercise, answer)
    return [attempt(exercise, answer, case) for case in cases]
