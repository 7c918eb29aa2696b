"""Is each exercise the learner's own code? Judged from the submitted source, in the grader.

Nothing here runs the learner's code: it reads the prepared notebook's cells as Python
source (IPython's magics turned into the calls IPython makes of them) and decides, per
graded test cell:

**What belongs to an exercise.** The answer cells the test cell owns (``Layout.owners``:
the answer cells between the previous graded cell and it), the learner's definitions of the
names the test cell passes to its check, and then, transitively, every top-level statement
of any learner-written code cell before the test cell (answer cells, the release's "try it"
cells, cells the learner added) that binds or changes a global name that code uses. Names
are followed with Python's scoping: a function's parameters and local variables are not
globals, so a local named ``layer`` does not pull in a scratch cell's ``layer = ...``.
Imports are statements like any other, and aliases (``import tensorflow as t``, ``from
tensorflow import keras as K``, ``L = K.layers``, ``getattr(tf.nn, "dynamic_rnn")``,
``sys.modules["rnnref.np"]``) are resolved to the dotted name they stand for, across every
cell, the instructor's included, wherever it is (a name a later cell makes an alias of
``rnnref`` is read as one everywhere: rebinding a module's name is not worth the doubt).

**Refused** (the exercise earns 0, whatever its outputs): code that uses the reference or a
library's RNN code: naming or importing ``rnnref``, ``keras``, ``tf_keras`` or the grader
(``autograder``, except the learner's base cells, ``autograder.learner.cells``),
anything of TensorFlow's whose dotted name has an RNN part (``REFUSED_TF_PARTS``: Keras's RNN
layers and cells, TF1's ``rnn_cell``, ``dynamic_rnn``, ``static_rnn``, ...), and, in a NumPy
notebook, TensorFlow's automatic gradients. TensorFlow's math (``tf.sigmoid``, ``tf.math``,
``tf.keras.activations``) and the learner's own names that merely contain "keras" are fine.
A notebook is a TensorFlow notebook when the instructor's own cells import TensorFlow; the
fix is worded for it.

**Flagged for review** (points unchanged; the instructor reads the quoted line): dynamic
access that hides what it calls (``FLAGGED_CALLS``, ``FLAGGED_MODULES``, ``FLAGGED_ATTRIBUTES``,
``getattr``/``setattr``/``delattr`` with a name that is not a literal, ``open`` of an absolute
or ``..`` path, ``from X import *`` but from ``STAR_IMPORTS``, shell escapes, and IPython
magics other than ``SAFE_MAGICS`` and ``TIMING_MAGICS`` (whose code is read as any other)).
Code no exercise uses that does this, or that imports a refused module, flags the notebook as
a whole.

**Source that does not parse** in an exercise's answer cell is reported with its line: that
cell did not run, so it explains why the exercise failed.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from IPython.core.inputtransformer2 import TransformerManager

from autograder.course import Layout, check_aliases
from autograder.i18n import N_, Text, _
from autograder.notebook import Prepared

# Modules an answer may not import or name, with what they are, for the learner (translated
# when shown, as every text here: the screen runs in the learner's language).
REFUSED_MODULES = {
    "rnnref": N_("the course's reference implementation"),
    "autograder": N_("the grader's own code"),
    "keras": N_("Keras, whose RNN layers would do the exercise"),
    "tf_keras": N_("Keras, whose RNN layers would do the exercise"),
}
# What an answer may use of the learner side: the base cells. The checks are the grader's
# door into the kernel, not a building block of an answer.
ALLOWED_MODULES = ("autograder.learner.cells",)
# A part of a dotted ``tensorflow....`` name that makes it RNN code.
REFUSED_TF_PARTS = frozenset(
    {
        "rnn",
        "rnn_cell",
        "rnn_cell_impl",
        "contrib",
        "dynamic_rnn",
        "static_rnn",
        "bidirectional_dynamic_rnn",
        "static_bidirectional_rnn",
        "static_state_saving_rnn",
        "raw_rnn",
        "RNN",
        "SimpleRNN",
        "SimpleRNNCell",
        "LSTM",
        "LSTMCell",
        "GRU",
        "GRUCell",
        "StackedRNNCells",
        "AbstractRNNCell",
        "Bidirectional",
        "PeepholeLSTMCell",
        "ConvLSTM1D",
        "ConvLSTM2D",
        "ConvLSTM3D",
        "CuDNNLSTM",
        "CuDNNGRU",
        "BlockLSTM",
        "BlockLSTMV2",
        "LSTMBlockCell",
        "GRUBlockCell",
        "CudnnRNN",
        "CudnnRNNV2",
        "CudnnRNNV3",
    }
)
# In a NumPy notebook the gradients are the exercise (notebook 08): TensorFlow may not take them.
REFUSED_TF_AUTODIFF = frozenset({"GradientTape", "gradients", "autodiff"})

# Calls whose target is a string or a namespace, so the source does not show what runs.
FLAGGED_CALLS = {
    "exec": N_("exec runs code from a string"),
    "eval": N_("eval runs code from a string"),
    "compile": N_("compile makes code from a string"),
    "__import__": N_("__import__ imports a module by a name"),
    "globals": N_("globals() reaches names by strings"),
    "locals": N_("locals() reaches names by strings"),
    "vars": N_("vars() reaches names by strings"),
    "breakpoint": N_("breakpoint() stops in a debugger"),
}
FLAGGED_MODULES = {
    "importlib": N_("importlib imports modules by names built at run time"),
    "builtins": N_("builtins changes Python's own functions"),
    "ctypes": N_("ctypes reaches memory and C code directly"),
    "subprocess": N_("subprocess runs other programs"),
    "pty": N_("pty runs other programs"),
    "runpy": N_("runpy runs other modules"),
    "code": N_("the code module runs code from strings"),
    "marshal": N_("marshal loads compiled code"),
    "pickle": N_("pickle can load and run code"),
    "inspect": N_("inspect reaches other code's frames and variables"),
    "gc": N_("gc reaches every object in the kernel"),
    "sys.modules": N_("sys.modules reaches modules by names built at run time"),
    "sys._getframe": N_("sys._getframe reaches other code's variables"),
    "os.system": N_("os.system runs shell commands"),
    "os.popen": N_("os.popen runs shell commands"),
    "os.fork": N_("os.fork starts processes"),
}
FLAGGED_MODULE_PREFIXES = {
    "os.exec": N_("os.exec* runs other programs"),
    "os.spawn": N_("os.spawn* runs other programs"),
}
FLAGGED_ATTRIBUTES = frozenset(
    {
        "__dict__",
        "__globals__",
        "__builtins__",
        "__subclasses__",
        "__code__",
        "__closure__",
        "__getattribute__",
        "__import__",
        "__loader__",
        "__spec__",
        "__bases__",
        "__mro__",
        "f_globals",
        "f_locals",
        "f_builtins",
        "f_back",
        "tb_frame",
        "gi_frame",
        "cr_frame",
    }
)
# Modules whose every name an answer may use, so ``from numpy import *`` hides nothing.
STAR_IMPORTS = ("numpy", "math", *ALLOWED_MODULES)
# IPython magics that run no code of their own (``%matplotlib inline``), and those whose
# argument (``%timeit f(x)``) or cell body is Python code, read like any other.
SAFE_MAGICS = frozenset({"matplotlib", "config"})
TIMING_MAGICS = frozenset({"time", "timeit"})
_MAGIC_CALLS = frozenset({"run_line_magic", "run_cell_magic"})
_SHELL_CALLS = frozenset({"system", "getoutput", "run_cell", "ex", "ev"})

_NUMPY_FIX = N_("Remove it and write the computation yourself with NumPy.")
_TENSORFLOW_FIX = N_(
    "Remove it and write the computation yourself with TensorFlow ops such as tf.matmul "
    "and tf.sigmoid."
)
_QUOTE_CHARS = 120
# How many times ``x = y.z`` chains are followed; ``x = x.y`` would otherwise grow forever.
_ALIAS_ROUNDS = 8


@dataclass
class Verdict:
    """What the screen says of one exercise: a refusal, flags for review, or nothing."""

    refused: str | None = None
    flags: list[str] = field(default_factory=list)
    unparsed: str | None = None

    @property
    def review(self) -> str:
        return "\n".join(self.flags)


@dataclass
class Screening:
    """A notebook's screen: a ``Verdict`` per test cell's grade id, and the flags of code that
    no exercise uses (``notebook``), for the notebook as a whole."""

    exercises: dict[str, Verdict]
    notebook: list[str] = field(default_factory=list)

    def verdict(self, grade_id: str) -> Verdict:
        return self.exercises.get(grade_id, Verdict())


@dataclass(frozen=True)
class _Finding:
    line: int  # in the cell
    refuse: bool
    text: str  # what the line does, without where or the fix
    imports_refused_module: bool = False  # worth a note even where no exercise uses it


@dataclass
class _Statement:
    """One top-level statement of a learner's code cell, read once."""

    cell: int
    node: ast.stmt
    binds: set[str]
    uses: set[str]
    findings: list[_Finding]


def _parse(source: str) -> ast.Module:
    """``source`` as IPython runs it (magics and ``!`` as calls); SyntaxError if it cannot."""
    return ast.parse(TransformerManager().transform_cell(source))


def _qualified(path: str, prefixes: tuple[str, ...] | list[str]) -> bool:
    return any(path == p or path.startswith(p + ".") for p in prefixes)


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


class _Aliases:
    """Names bound, anywhere in the notebook, to a module or a dotted name inside one."""

    def __init__(self) -> None:
        self.paths: dict[str, set[str]] = {}

    def add(self, name: str, paths: set[str]) -> bool:
        known = self.paths.setdefault(name, set())
        new = paths - known
        known |= new
        return bool(new)

    def learn(self, trees: list[ast.Module]) -> None:
        """Imports anywhere, and module-level ``name = <a resolvable expression>``, until
        nothing new is learnt (``L = K.layers`` needs ``K`` first)."""
        for _round in range(_ALIAS_ROUNDS):
            changed = False
            for tree in trees:
                for node in ast.walk(tree):
                    if isinstance(node, ast.Import):
                        for alias in node.names:
                            bound = alias.asname or alias.name.split(".")[0]
                            path = alias.name if alias.asname else bound
                            changed |= self.add(bound, {path})
                    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                        for alias in node.names:
                            changed |= self.add(
                                alias.asname or alias.name, {f"{node.module}.{alias.name}"}
                            )
                for node in tree.body:
                    if isinstance(node, ast.Assign):
                        paths = self.resolve(node.value, {})
                        for target in node.targets:
                            if isinstance(target, ast.Name) and paths:
                                changed |= self.add(target.id, paths)
            if not changed:
                return

    def resolve(self, node: ast.AST, local: dict[str, set[str]]) -> set[str]:
        """The dotted names ``node`` may stand for (empty when it is not a module's name);
        ``local`` holds a function's own names, with what those stand for."""
        if isinstance(node, ast.Name):
            return local[node.id] if node.id in local else self.paths.get(node.id, set())
        if isinstance(node, ast.Attribute):
            return {f"{p}.{node.attr}" for p in self.resolve(node.value, local)}
        if isinstance(node, ast.Subscript):  # sys.modules["rnnref.np"]
            key = _literal(node.slice)
            return {key} if key and "sys.modules" in self.resolve(node.value, local) else set()
        if isinstance(node, ast.Call):
            function = self.resolve(node.func, local) | (
                {"builtins." + node.func.id}
                if isinstance(node.func, ast.Name) and node.func.id not in local
                else set()
            )
            first = _literal(node.args[0]) if node.args else None
            second = _literal(node.args[1]) if len(node.args) > 1 else None
            if "builtins.getattr" in function and second is not None:
                return {f"{p}.{second}" for p in self.resolve(node.args[0], local)}
            if function & {"builtins.__import__", "importlib.import_module"} and first:
                return {first}
            if any(
                p.endswith(".import_tensorflow") and _qualified(p, ALLOWED_MODULES)
                for p in function
            ):
                return {"tensorflow"}
        return set()


def _refusal(path: str, tensorflow: bool) -> str | Text | None:
    """Why naming ``path`` is refused in an answer, or None."""
    root = path.split(".")[0]
    if root in REFUSED_MODULES and not _qualified(path, ALLOWED_MODULES):
        return REFUSED_MODULES[root]
    if root == "tensorflow":
        parts = set(path.split(".")[1:])
        if parts & REFUSED_TF_PARTS:
            return _("one of TensorFlow's RNN layers, cells or loops")
        if not tensorflow and parts & REFUSED_TF_AUTODIFF:
            return _(
                "TensorFlow's automatic differentiation, and this notebook asks you to "
                "derive the gradients yourself"
            )
    return None


def _flag(path: str) -> Text | None:
    for prefix, what in FLAGGED_MODULES.items():
        if _qualified(path, [prefix]):
            return what
    for prefix, what in FLAGGED_MODULE_PREFIXES.items():
        if path.startswith(prefix):
            return what
    return None


class _Reader(ast.NodeVisitor):
    """Walks one statement: the global names it uses and what the screen finds in it."""

    def __init__(self, aliases: _Aliases, tensorflow: bool, checks: set[str]) -> None:
        self.aliases = aliases
        self.tensorflow = tensorflow
        self.checks = checks
        self.local: list[dict[str, set[str]]] = [{}]
        self.uses: set[str] = set()
        self.changes: set[str] = set()  # globals whose attributes or items it sets
        self.findings: list[_Finding] = []

    def _found(self, node: ast.AST, refuse: bool, text: str | Text, imports: bool = False) -> None:
        self.findings.append(_Finding(getattr(node, "lineno", 1), refuse, str(text), imports))

    def _paths(self, node: ast.AST, paths: set[str], imported: bool = False) -> None:
        for path in sorted(paths):
            why = _refusal(path, self.tensorflow)
            if why:
                module = imported and path.split(".")[0] in REFUSED_MODULES
                self._found(node, True, _("`{path}` is {why}").format(path=path, why=why), module)
            flag = _flag(path)
            if flag:
                self._found(node, False, flag)

    # --- scopes: a function's own names are not globals, nor aliases unless it makes them --

    def _scoped(self, node: ast.AST, names: set[str], body: list[ast.AST]) -> None:
        self.local.append(self.local[-1] | {name: set() for name in names})
        for child in body:
            self.visit(child)
        self.local.pop()

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d]:
            self.visit(default)
        if not isinstance(node, ast.Lambda):
            for decorator in node.decorator_list:
                self.visit(decorator)
        arguments = node.args
        names = {a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs}
        names |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None}
        body = [node.body] if isinstance(node, ast.Lambda) else node.body
        declared = {
            n for b in body for s in ast.walk(b) if isinstance(s, ast.Global) for n in s.names
        }
        names |= _stored(body) - declared
        self._scoped(node, names, body)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        """A class body's own names are local to its body, not to its methods."""
        for part in node.bases + node.keywords + node.decorator_list:
            self.visit(part)
        methods = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        for child in node.body:
            if isinstance(child, methods):
                self.visit(child)
        self._scoped(
            node,
            _stored([c for c in node.body if not isinstance(c, methods)]),
            [c for c in node.body if not isinstance(c, methods)],
        )

    def _comprehension(self, node: ast.AST) -> None:
        generators = node.generators
        self.visit(generators[0].iter)
        names = _stored([g.target for g in generators])
        parts = [g.target for g in generators] + [g.iter for g in generators[1:]]
        parts += [c for g in generators for c in g.ifs]
        parts += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        self._scoped(node, names, parts)

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension

    # --- what is used and found -------------------------------------------------------

    def visit_Assign(self, node: ast.Assign) -> None:
        """``layers = tf.keras.layers`` in a function makes ``layers`` an alias there."""
        self.generic_visit(node)
        if len(self.local) > 1:
            paths = self.aliases.resolve(node.value, self.local[-1])
            for target in node.targets:
                if isinstance(target, ast.Name) and paths:
                    self.local[-1][target.id] = self.local[-1].get(target.id, set()) | paths

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            return
        if node.id not in self.local[-1]:
            self.uses.add(node.id)
        if node.id == "__builtins__":
            self._found(node, False, _("__builtins__ changes Python's own functions"))
        self._paths(node, self.aliases.resolve(node, self.local[-1]))

    def _changed(self, node: ast.AST) -> None:
        """``np.tanh = ...``, ``cells[0] = ...``, ``setattr(np, "tanh", ...)`` change a global
        for every later use of it."""
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        if isinstance(node, ast.Name) and node.id not in self.local[-1]:
            self.changes.add(node.id)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if not isinstance(node.ctx, ast.Load):
            self._changed(node)
        self._paths(node, self.aliases.resolve(node, self.local[-1]))
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if not isinstance(node.ctx, ast.Load):
            self._changed(node)
        if node.attr in FLAGGED_ATTRIBUTES:
            self._found(
                node,
                False,
                _("`.{attribute}` reaches names by strings or other code's variables").format(
                    attribute=node.attr
                ),
            )
        self._paths(node, self.aliases.resolve(node, self.local[-1]))
        self.visit(node.value)

    def visit_Import(self, node: ast.Import) -> None:
        self._paths(node, {alias.name for alias in node.names}, imported=True)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if not node.module or node.level:
            return
        names = {f"{node.module}.{a.name}" for a in node.names if a.name != "*"}
        self._paths(node, {node.module} | names, imported=True)
        starred = any(a.name == "*" for a in node.names)
        if starred and not _qualified(node.module, STAR_IMPORTS):
            self._found(
                node,
                False,
                _("`from {module} import *` brings in names the screen cannot see").format(
                    module=node.module
                ),
            )

    def visit_Expr(self, node: ast.Expr) -> None:
        call = node.value
        if (
            len(self.local) == 1
            and isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id in self.checks
        ):
            # ``check.unroll(unroll)`` on a line of its own, at a cell's top level, is a
            # learner trying the check (only test cells may, while grading): its result
            # feeds no answer.
            for part in call.args + call.keywords:
                self.visit(part)
            return
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        local = self.local[-1]
        function = node.func
        name = function.id if isinstance(function, ast.Name) and function.id not in local else ""
        if name in ("setattr", "delattr") and node.args:
            self._changed(node.args[0])
        if name in FLAGGED_CALLS:
            self._found(node, False, FLAGGED_CALLS[name])
        if name in ("getattr", "setattr", "delattr") and (
            len(node.args) < 2 or _literal(node.args[1]) is None
        ):
            self._found(node, False, _("{call} with a name built at run time").format(call=name))
        if name == "open" and node.args:
            path = _literal(node.args[0]) or ""
            if path.startswith(("/", "~")) or ".." in path.split("/"):
                self._found(node, False, _("open() of a file outside the notebook's folder"))
        self._ipython(node, function)
        self._paths(node, self.aliases.resolve(node, local))
        self.generic_visit(node)

    def _ipython(self, node: ast.Call, function: ast.AST) -> None:
        """``!cmd`` and magics: IPython turns them into ``get_ipython().<call>(...)``."""
        if not (
            isinstance(function, ast.Attribute)
            and isinstance(function.value, ast.Call)
            and isinstance(function.value.func, ast.Name)
            and function.value.func.id == "get_ipython"
        ):
            return
        if function.attr in _SHELL_CALLS:
            self._found(node, False, _("a shell command (`!`) runs other programs"))
        elif function.attr in _MAGIC_CALLS:
            magic = ((_literal(node.args[0]) or "") if node.args else "").lstrip("%")
            code = _literal(node.args[-1]) if len(node.args) > 1 else None
            if magic in TIMING_MAGICS and code is not None and self._timed(node, code):
                return
            if magic not in SAFE_MAGICS:
                self._found(
                    node,
                    False,
                    _("the IPython magic %{magic} runs code the screen cannot read").format(
                        magic=magic
                    ),
                )

    def _timed(self, node: ast.Call, code: str) -> bool:
        """``%time f(x)``, ``%%timeit`` and their code, read as the code of this line; False
        when the code (with options, say) cannot be read."""
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError, RecursionError):
            return False
        ast.increment_lineno(tree, node.lineno - 1)
        for statement in tree.body:
            self.visit(statement)
        return True


def _stored(nodes: list[ast.AST]) -> set[str]:
    """Names assigned in ``nodes``, not looking into nested functions, classes or lambdas
    (their names are theirs) but counting the names those definitions bind."""
    names: set[str] = set()
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        if isinstance(
            node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
        ):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            continue  # an import's name stays an alias: its uses are resolved, not hidden
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        stack.extend(ast.iter_child_nodes(node))
    return names


def _binds(node: ast.stmt) -> set[str]:
    """The global names a top-level statement binds: its assignments, imports, definitions
    and ``global`` declarations."""
    names = _stored([node])
    for child in ast.walk(node):
        if isinstance(child, ast.Import):
            names |= {a.asname or a.name.split(".")[0] for a in child.names}
        elif isinstance(child, ast.ImportFrom):
            names |= {a.asname or a.name for a in child.names}
        elif isinstance(child, ast.Global):
            names |= set(child.names)
    return names


def _cell_kinds(prepared: Prepared, layout: Layout) -> Iterator[tuple[int, str | None, str]]:
    """(index, grade id, kind) of each code cell; kind ``learner`` for cells nbgrader does
    not restore (answers, "try it" cells, added cells), else the layout's kind."""
    for index, cell in enumerate(prepared.nb.cells):
        if cell.cell_type != "code":
            continue
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        known = layout.cell(grade_id) if grade_id else None
        kind = known.kind if known is not None and known.kind in ("test", "locked") else "learner"
        yield index, grade_id, kind


def _quote(source: str, line: int) -> str:
    lines = source.splitlines() or [""]
    text = lines[min(max(line, 1), len(lines)) - 1].strip()
    return text if len(text) <= _QUOTE_CHARS else text[: _QUOTE_CHARS - 3] + "..."


class _Notebook:
    """The notebook's code read once: every learner statement, who binds what, and how to
    say where a finding is."""

    def __init__(self, prepared: Prepared, layout: Layout) -> None:
        self.cells = prepared.nb.cells
        self.kinds = list(_cell_kinds(prepared, layout))
        self.trees: dict[int, ast.Module] = {}
        self.unparsed: dict[int, str] = {}
        for index, _grade_id, _kind in self.kinds:
            source = self.cells[index].source
            try:
                self.trees[index] = _parse(source)
            except (SyntaxError, ValueError, RecursionError) as error:  # Python cannot either
                line = getattr(error, "lineno", None) or 1
                what = getattr(error, "msg", None) or type(error).__name__
                self.unparsed[index] = _(
                    "cell {cell} is not valid Python, so it did not run (line {line}: {what}: "
                    "`{quoted}`); fix it and run it again"
                ).format(cell=index + 1, line=line, what=what, quoted=_quote(source, line))
        self.aliases = _Aliases()
        self.aliases.learn(
            [self.trees[i] for i, _, kind in self.kinds if kind != "learner" and i in self.trees]
        )
        # What the instructor's own cells import decides the notebook's kind.
        self.tensorflow = any(
            _qualified(p, ["tensorflow"]) for paths in self.aliases.paths.values() for p in paths
        )
        self.aliases.learn(list(self.trees.values()))
        self.checks = check_aliases(layout.cells)
        self.statements = [
            self._read(index, node)
            for index, _, kind in self.kinds
            if kind == "learner" and index in self.trees
            for node in self.trees[index].body
        ]
        self.binders: dict[str, list[_Statement]] = {}
        for statement in self.statements:
            for name in statement.binds:
                self.binders.setdefault(name, []).append(statement)

    def reader(self) -> _Reader:
        return _Reader(self.aliases, self.tensorflow, self.checks)

    def _read(self, index: int, node: ast.stmt) -> _Statement:
        reader = self.reader()
        try:
            reader.visit(node)
        except RecursionError:  # legal Python nested past what a walk can follow
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            return _Statement(
                index,
                node,
                _binds(node) | names,
                names,
                [_Finding(node.lineno, False, _("code nested too deeply for the screen to read"))],
            )
        return _Statement(index, node, _binds(node) | reader.changes, reader.uses, reader.findings)

    def where(self, statement: _Statement, finding: _Finding) -> str:
        quoted = _quote(self.cells[statement.cell].source, finding.line)
        return _("cell {cell}, line {line}: `{quoted}`").format(
            cell=statement.cell + 1, line=finding.line, quoted=quoted
        )

    def closure(self, roots: list[_Statement], names: set[str], before: int) -> list[_Statement]:
        """``roots``, and every statement binding a global they (or ``names``) use, and so on,
        in notebook order; only cells before index ``before`` have run when it is tested."""
        included = {id(s): s for s in roots}
        # A star import binds "*": names no one can list, so every exercise may use them.
        wanted = {"*", *names}.union(*(s.uses for s in roots))
        while wanted:
            for statement in self.binders.get(wanted.pop(), []):
                if id(statement) not in included and statement.cell < before:
                    included[id(statement)] = statement
                    wanted |= statement.uses
        return sorted(included.values(), key=lambda s: (s.cell, s.node.lineno))

    def verdict(self, statements: list[_Statement], owned: list[int]) -> Verdict:
        """The first refusal and every flag in ``statements``, in the learner's words."""
        fix = _TENSORFLOW_FIX if self.tensorflow else _NUMPY_FIX
        verdict = Verdict(
            unparsed=next((self.unparsed[i] for i in owned if i in self.unparsed), None)
        )
        for statement in statements:
            for finding in statement.findings:
                if finding.refuse and verdict.refused is None:
                    verdict.refused = _(
                        "refused: answers must not use the reference or a library's RNN code, "
                        "and this exercise's code does ({where}): {what}. {fix}"
                    ).format(where=self.where(statement, finding), what=finding.text, fix=fix)
                elif not finding.refuse:
                    flag = _(
                        "flagged for review: {what}, which hides what the code runs ({where}); "
                        "your instructor will read it. Points are unchanged."
                    ).format(what=finding.text, where=self.where(statement, finding))
                    if flag not in verdict.flags:
                        verdict.flags.append(flag)
        return verdict

    def unused(self, used: set[int]) -> list[str]:
        """Flags for statements no exercise uses. Trying a library's RNN beside one's own
        answer is fine; importing the reference or the grader is worth a look."""
        notes: list[str] = []
        for statement in self.statements:
            if id(statement) in used:
                continue
            for finding in statement.findings:
                if finding.refuse and not finding.imports_refused_module:
                    continue
                if finding.refuse:
                    note = _(
                        "flagged for review: code that no exercise uses imports a module "
                        "no answer may use ({where}): {what}"
                    )
                else:
                    note = _(
                        "flagged for review: code that no exercise uses does something "
                        "the grader cannot check ({where}): {what}"
                    )
                note = note.format(where=self.where(statement, finding), what=finding.text)
                if note not in notes:
                    notes.append(note)
        return notes


def screen(prepared: Prepared, layout: Layout) -> Screening:
    """Screen every graded test cell's exercise in ``prepared``; see the module docstring."""
    notebook = _Notebook(prepared, layout)
    owners = layout.owners()
    index_of = {grade_id: index for index, grade_id in prepared.test_cells.items()}
    used: set[int] = set()
    exercises: dict[str, Verdict] = {}
    for cell in layout.graded:
        if cell.kind != "test" or cell.grade_id not in index_of:
            continue
        owned = [
            i
            for i, grade_id, kind in notebook.kinds
            if kind == "learner" and grade_id and owners.get(grade_id) == cell.grade_id
        ]
        test = notebook.reader()  # what the test cell passes to its check: the answers' names
        if index_of[cell.grade_id] in notebook.trees:
            test.visit(notebook.trees[index_of[cell.grade_id]])
        roots = [s for s in notebook.statements if s.cell in owned]
        statements = notebook.closure(roots, test.uses, index_of[cell.grade_id])
        used |= {id(s) for s in statements}
        exercises[cell.grade_id] = notebook.verdict(statements, owned)
    return Screening(exercises, notebook.unused(used))
