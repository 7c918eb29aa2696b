"""The screen, read from source alone: no kernel runs here.

Each test takes a solution notebook of the course, changes or adds learner cells, and asks
``screen.screen`` what it makes of every exercise: refused (the reference or a library's RNN
code), flagged for review (dynamic access that hides what it calls), or clean.
"""

import copy

import nbformat
import pytest

from autograder import course, i18n, notebook, screen
from tests.autograder_support import ROOT

SOLUTIONS = sorted((ROOT / "solutions").glob("*/*.ipynb"))

UNROLL = "def unroll(cell, inputs, state):\n    {body}\n"


def _index(nb: nbformat.NotebookNode, grade_id: str) -> int:
    return next(
        i
        for i, c in enumerate(nb.cells)
        if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id
    )


def _screened(
    assignment: str,
    answers: dict[str, str] | None = None,
    added: tuple[tuple[str, str], ...] = (),
) -> screen.Screening:
    """The screen of ``assignment``'s solution with ``answers`` (grade id -> source) put in
    and ``added`` code cells (before grade id, source) inserted, as a learner would."""
    path = next((ROOT / "solutions" / assignment).glob("*.ipynb"))
    source = nbformat.read(path, as_version=4)
    layout = course.layout_from_release(source, assignment, path.stem)
    nb = copy.deepcopy(source)
    for grade_id, text in (answers or {}).items():
        nb.cells[_index(nb, grade_id)].source = text
    for number, (before, text) in enumerate(added):
        cell = nbformat.v4.new_code_cell(text)
        cell.id = f"added-{number}"
        nb.cells.insert(_index(nb, before), cell)
    return screen.screen(notebook.prepare(nb, layout), layout)


def _unroll(body: str, added: tuple[tuple[str, str], ...] = ()) -> screen.Verdict:
    """The verdict on notebook 01's ``unroll`` with ``body`` as the function's body."""
    found = _screened("01_rnn_cell", {"unroll_answer": UNROLL.format(body=body)}, added)
    assert found.verdict("basic_rnn_cell_test") == screen.Verdict(), "only unroll is touched"
    return found.verdict("unroll_test")


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.parent.name)
def test_every_solution_is_clean(path):
    found = _screened(path.parent.name)
    assert found.exercises, "every test cell gets a verdict"
    assert all(v == screen.Verdict() for v in found.exercises.values()), found.exercises
    assert found.notebook == []


# --- refused: the reference, the grader, Keras, TensorFlow's RNN code ----------------------


@pytest.mark.parametrize(
    "body, named",
    [
        ("import rnnref.np as ref\n    return ref.dynamic_rnn(cell, inputs, state)", "rnnref.np"),
        (
            "from rnnref.np import static_rnn\n    return static_rnn(cell, inputs, state)",
            "rnnref.np",
        ),
        ("import keras\n    return keras.layers.RNN(cell)(inputs)", "keras"),
        ("from autograder.exercises import rnn_cell as mine\n    return mine.unroll", "autograder"),
        ("return check.unroll(unroll)", "autograder.learner.checks.rnn_cell"),
        (
            "import tensorflow as t\n    return t.compat.v1.nn.static_rnn(cell, inputs, state)",
            "tensorflow.compat.v1.nn.static_rnn",
        ),
        (
            "from tensorflow import keras as K\n    return K.layers.SimpleRNN(3)(inputs)",
            "tensorflow.keras.layers.SimpleRNN",
        ),
        (
            "import tensorflow as tf\n    return tf.nn.rnn_cell.BasicRNNCell(3)",
            "tensorflow.nn.rnn_cell",
        ),
        (
            "import tensorflow as tf\n    return getattr(tf.nn, 'dynamic_rnn')(cell, inputs)",
            "tensorflow.nn.dynamic_rnn",
        ),
        (
            "import tensorflow as tf\n    layers = tf.keras.layers\n    return layers.GRUCell(3)",
            "tensorflow.keras.layers.GRUCell",
        ),
    ],
)
def test_the_reference_and_library_rnn_code_are_refused(body, named):
    verdict = _unroll(body)
    assert verdict.refused is not None
    assert named in verdict.refused
    assert "write the computation yourself with NumPy" in verdict.refused
    assert "cell " in verdict.refused and "line " in verdict.refused  # where, quoted
    assert verdict.flags == []


# What the kernel-side screen refused, refused from the source.
CHEAT = """import rnnref.np as rn

class BasicRNNCell(RNNCell):
    def __init__(self, num_units, activation=None):
        self.ref = rn.BasicRNNCell(num_units, activation=activation)

    def call(self, inputs, state):
        return self.ref(inputs, state)
"""
SUBCLASS = "import rnnref.np\n\nclass BasicRNNCell(rnnref.np.BasicRNNCell):\n    pass\n"
KERAS_IN_A_HELPER = """def helper():
    import tf_keras
    return tf_keras

class BasicRNNCell(RNNCell):
    def call(self, inputs, state):
        return helper()(inputs, state)
"""
SYS_MODULES = """import sys

class BasicRNNCell(RNNCell):
    def call(self, inputs, state):
        return sys.modules["rnnref.np"].BasicRNNCell(3)(inputs, state)
"""


@pytest.mark.parametrize(
    "answer, quoted",
    [
        (CHEAT, "import rnnref.np as rn"),
        (SUBCLASS, "import rnnref.np"),
        (KERAS_IN_A_HELPER, "import tf_keras"),
        (SYS_MODULES, 'return sys.modules["rnnref.np"].BasicRNNCell(3)(inputs, state)'),
    ],
)
def test_an_answer_borrowing_the_reference_or_keras_is_refused(answer, quoted):
    found = _screened("01_rnn_cell", {"basic_rnn_cell_answer": answer})
    refused = found.verdict("basic_rnn_cell_test").refused
    assert refused.startswith("refused: answers must not use the reference or a library's RNN")
    assert f"`{quoted}`" in refused
    assert found.verdict("unroll_test") == screen.Verdict()


def test_an_alias_made_in_another_cell_is_followed():
    added = (("unroll_answer", "import tensorflow as t\nK = t.keras\nL = K.layers\n"),)
    verdict = _unroll("return L.LSTM(3)(inputs)", added)
    assert "tensorflow.keras.layers.LSTM" in verdict.refused
    assert "`return L.LSTM(3)(inputs)`" in verdict.refused


def test_a_helper_of_the_learners_is_screened_with_the_answer_that_uses_it():
    helper = (
        "import tensorflow as tf\n\ndef _step(cell):\n"
        "    return tf.compat.v1.nn.rnn_cell.BasicRNNCell(3)\n"
    )
    verdict = _unroll("return _step(cell)(inputs, state)", (("unroll_answer", helper),))
    assert "tensorflow.compat.v1.nn.rnn_cell" in verdict.refused
    assert "return tf.compat.v1.nn.rnn_cell.BasicRNNCell(3)" in verdict.refused


def test_a_module_changed_in_another_cell_is_screened_with_every_answer_using_it():
    added = (
        ("basic_rnn_cell_answer", "import rnnref.np\nnp.concatenate = rnnref.np.dynamic_rnn\n"),
    )
    found = _screened("01_rnn_cell", added=added)
    refused = found.verdict("basic_rnn_cell_test").refused  # BasicRNNCell uses np
    assert "`rnnref.np` is the course's reference" in refused
    assert found.verdict("unroll_test") == screen.Verdict()  # unroll does not


def test_code_after_a_test_cell_is_screened_only_with_the_tests_it_precedes():
    rebinding = "import rnnref.np\nnp.concatenate = rnnref.np.dynamic_rnn\n"
    found = _screened("01_rnn_cell", added=(("basic_rnn_cell_answer", rebinding),))
    assert "rnnref" in found.verdict("basic_rnn_cell_test").refused
    found = _screened("01_rnn_cell", added=(("unroll_answer", rebinding),))
    assert found.verdict("basic_rnn_cell_test") == screen.Verdict()  # it ran before
    assert any("rnnref" in note for note in found.notebook)


def test_the_tensorflow_notebook_is_told_to_use_tensorflow_ops():
    found = _screened(
        "07_tensorflow",
        {
            "tf_dynamic_rnn_answer": "def dynamic_rnn(cell, inputs, sequence_length=None, "
            "initial_state=None):\n"
            "    return tf.keras.layers.RNN(cell)(inputs)\n",
        },
    )
    refused = found.verdict("tf_dynamic_rnn_test").refused
    assert "tensorflow.keras.layers.RNN" in refused
    assert "TensorFlow ops such as tf.matmul and tf.sigmoid" in refused
    assert "NumPy" not in refused


def test_automatic_gradients_are_refused_where_the_gradient_is_the_exercise():
    found = _screened(
        "08_backprop",
        {
            "numerical_gradient_answer": "import tensorflow as tf\n\n"
            "def numerical_gradient(f, x, eps=1e-5):\n"
            "    with tf.GradientTape() as tape:\n"
            "        pass\n",
        },
    )
    assert "tensorflow.GradientTape" in found.verdict("numerical_gradient_test").refused


# --- not refused: names that merely say "keras", TensorFlow's math, local names ------------


def test_names_that_merely_contain_keras_are_the_learners_own():
    answer = (
        "def to_keras_order(w):\n"
        "    i, j, f, o = np.split(w, 4, axis=-1)\n"
        "    return np.concatenate([i, f, j, o], axis=-1)\n\n"
        "def keras_lstm_weights(kernel, bias, forget_bias):\n"
        "    H = kernel.shape[1] // 4\n"
        "    keras_weights = [to_keras_order(kernel[:-H]), to_keras_order(kernel[-H:])]\n"
        "    keras_bias = to_keras_order(bias).copy()\n"
        "    keras_bias[H : 2 * H] += forget_bias\n"
        "    return keras_weights + [keras_bias]\n"
    )
    found = _screened("07_tensorflow", {"keras_lstm_weights_answer": answer})
    assert found.verdict("keras_lstm_weights_test") == screen.Verdict()


def test_tensorflows_math_is_fine_in_the_tensorflow_notebook():
    path = ROOT / "solutions" / "07_tensorflow" / "tensorflow.ipynb"
    nb = nbformat.read(path, as_version=4)
    answer = nb.cells[_index(nb, "tf_lstm_cell_answer")].source
    assert "tf.sigmoid(" in answer
    changed = answer.replace("tf.sigmoid(", "tf.keras.activations.sigmoid(")
    found = _screened("07_tensorflow", {"tf_lstm_cell_answer": changed})
    assert found.verdict("tf_lstm_cell_test") == screen.Verdict()


def test_tensorflows_math_is_not_a_library_rnn_in_a_numpy_notebook():
    body = "import tensorflow as tf\n    return [tf.math.tanh(x).numpy() for x in inputs], state"
    assert _unroll(body) == screen.Verdict()


def test_a_local_name_is_not_the_alias_a_cell_gave_it():
    added = (("unroll_answer", "from rnnref import np as ref\n"),)
    assert (
        _unroll("ref = cell\n    check = 1\n    return ref(inputs, state)", added)
        == screen.Verdict()
    )


def test_trying_a_library_rnn_beside_the_answer_is_fine():
    scratch = "import tensorflow as tf\nlayer = tf.keras.layers.LSTM(4)\n"
    found = _screened("01_rnn_cell", added=(("unroll_test", scratch),))
    assert all(v == screen.Verdict() for v in found.exercises.values())
    assert found.notebook == []


# --- flagged for review: dynamic access that hides what it calls --------------------------


@pytest.mark.parametrize(
    "body, what",
    [
        ("import sys\n    return sys.modules['auto' + 'grader']", "sys.modules"),
        ("return getattr(np, 'dyn' + 'amic_rnn')", "getattr"),
        ("import importlib\n    return importlib.import_module(cell)", "importlib"),
        ("return __import__('auto' + 'grader')", "__import__"),
        ("return exec('x = 1'), state", "exec runs code"),
        ("return eval('inputs'), state", "eval runs code"),
        ("return compile('1', 'f', 'eval'), state", "compile"),
        ("return globals()['unroll'], state", "globals()"),
        ("return __builtins__, state", "__builtins__"),
        ("return cell.__dict__, state", "__dict__"),
        ("import ctypes\n    return ctypes.c_int(1), state", "ctypes"),
        ("import subprocess\n    return subprocess.run(['ls']), state", "subprocess"),
        ("import os\n    return os.system('ls'), state", "os.system"),
        ("return open('/etc/passwd').read(), state", "outside the notebook's folder"),
        ("return setattr(cell, cell.name, 1), state", "setattr"),
    ],
)
def test_dynamic_access_is_flagged_with_the_line_quoted(body, what):
    verdict = _unroll(body)  # the body's last line is flagged (an import above it may be)
    assert verdict.refused is None
    assert verdict.review.startswith("flagged for review: ")
    assert what in verdict.review
    line = len(body.splitlines()) + 1
    assert f"line {line}: `{body.splitlines()[-1].strip()}`" in verdict.review
    assert "Points are unchanged" in verdict.review


def test_a_star_import_is_flagged_with_every_answer_its_names_may_reach():
    found = _screened(
        "01_rnn_cell", added=(("basic_rnn_cell_answer", "from tensorflow.keras.layers import *\n"),)
    )
    for verdict in found.exercises.values():
        assert "`from tensorflow.keras.layers import *` brings in names" in verdict.review
    assert (
        _unroll("return inputs, state", (("unroll_answer", "from numpy import *\n"),))
        == screen.Verdict()
    )


def test_a_shell_escape_is_flagged():
    verdict = _unroll("return inputs, state\n!ls /")
    assert "shell command" in verdict.review


def test_a_flag_in_a_helper_flags_the_exercise_that_uses_it():
    helper = "def _lookup(name):\n    return globals()[name]\n"
    found = _screened(
        "01_rnn_cell",
        {"unroll_answer": UNROLL.format(body="return _lookup('x'), state")},
        (("basic_rnn_cell_test", helper),),
    )
    assert "globals()" in found.verdict("unroll_test").review
    assert found.verdict("basic_rnn_cell_test") == screen.Verdict()
    assert found.notebook == []


def test_code_no_exercise_uses_flags_the_notebook():
    scratch = "import importlib\nmod = importlib.import_module('auto' + 'grader')\n"
    found = _screened("01_rnn_cell", added=(("unroll_test", scratch),))
    assert all(v == screen.Verdict() for v in found.exercises.values())
    assert any("importlib" in note and "no exercise uses" in note for note in found.notebook)


def test_importing_the_reference_where_no_answer_uses_it_flags_the_notebook():
    found = _screened("01_rnn_cell", added=(("unroll_test", "import rnnref.np as ref\n"),))
    assert all(v == screen.Verdict() for v in found.exercises.values())
    assert any("rnnref" in note for note in found.notebook)


# --- source that does not parse ------------------------------------------------------------


def test_an_answer_that_does_not_parse_says_where():
    verdict = _unroll("return (inputs, state")
    assert verdict.refused is None
    assert "not valid Python" in verdict.unparsed
    assert "line 2" in verdict.unparsed


def test_magics_are_read_as_ipython_runs_them():
    answer = "%matplotlib inline\n" + UNROLL.format(body="return inputs, state")
    found = _screened("01_rnn_cell", {"unroll_answer": answer})
    assert found.verdict("unroll_test") == screen.Verdict()
    timed = UNROLL.format(body="return inputs, state") + "%timeit unroll(None, [], None)\n"
    assert (
        _screened("01_rnn_cell", {"unroll_answer": timed}).verdict("unroll_test")
        == screen.Verdict()
    )
    hidden = UNROLL.format(body="return inputs, state") + "%time import rnnref\n"
    refused = _screened("01_rnn_cell", {"unroll_answer": hidden}).verdict("unroll_test").refused
    assert "line 3: `%time import rnnref`" in refused
    other = UNROLL.format(body="return inputs, state") + "%run other.py\n"
    assert (
        "magic %run"
        in _screened("01_rnn_cell", {"unroll_answer": other}).verdict("unroll_test").review
    )


# --- what the screen must not trip on ----------------------------------------------------


def test_trying_the_check_in_an_answer_cell_is_not_part_of_the_answer():
    answer = UNROLL.format(body="return inputs, state") + "\ncheck.unroll(unroll)\n"
    found = _screened("01_rnn_cell", {"unroll_answer": answer})
    assert found.verdict("unroll_test") == screen.Verdict()
    answer = "unroll = check.unroll\n"  # but an answer made from the checks is refused
    refused = _screened("01_rnn_cell", {"unroll_answer": answer}).verdict("unroll_test").refused
    assert "`autograder.learner.checks.rnn_cell.unroll` is the grader's own code" in refused


def test_a_class_bodys_names_are_its_own():
    scratch = "import tensorflow as tf\nlayer = tf.keras.layers.LSTM(4)\n"
    answer = (
        "class Helper:\n    layer = 3\n    size = layer + 1\n\n"
        "def unroll(cell, inputs, state):\n    return Helper.size, state\n"
    )
    found = _screened("01_rnn_cell", {"unroll_answer": answer}, (("unroll_answer", scratch),))
    assert found.verdict("unroll_test") == screen.Verdict()


def test_code_nested_past_a_walk_is_flagged_not_a_crash():
    deep = "x = " + " + ".join(["1"] * 2000) + "\n"
    verdict = _unroll("return x, state", (("unroll_answer", deep),))
    assert "nested too deeply" in verdict.review


def test_an_alias_of_itself_ends():
    added = (("unroll_answer", "import tensorflow as tf\nm = tf\nm = m.keras\n"),)
    refused = _unroll("return m.layers.GRU(3)", added).refused
    assert "layers.GRU` is one of TensorFlow's RNN" in refused


# --- in the learner's language -------------------------------------------------------------


def test_refusals_and_flags_are_worded_in_the_learners_language():
    refused_body = "import rnnref.np as ref\n    return ref.dynamic_rnn(cell, inputs, state)"
    with i18n.using("zh"):
        refused = _unroll(refused_body).refused
        flagged = _unroll("return exec('x = 1'), state").review
    assert refused.startswith("不予计分：") and "`rnnref.np` 是本课程的参考实现" in refused
    assert "请删掉它，用 NumPy 自己写出这段计算。" in refused
    assert flagged.startswith("标记待复查：exec 运行字符串中的代码")
    assert "第 2 行：`return exec('x = 1'), state`" in flagged and "得分不变" in flagged
    # The same screen in English, as before.
    assert _unroll(refused_body).refused.startswith("refused: answers must not use")
    assert "exec runs code from a string" in _unroll("return exec('x = 1'), state").review
