"""Program messages in Chinese and English (issue 13): the gettext catalogs are complete and
current, the language is chosen as documented (``--lang``, ``RNN_COURSE_LANG``, the
notebook's edition), and a learner sees Chinese where they asked for it: the ``check``
command, the grader's reasons and feedback pages, the self-check in a real kernel. Mistake
ids never change with the language.
"""

import json
import re
import string
import subprocess
import sys

import nbformat
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from autograder import (
    course,
    feedback,
    grading,
    i18n,
    notebook,
    sandbox,
    scoring,
    selfcheck,
    selfjudge,
    translation,
)
from autograder.learner import i18n as learner_i18n
from autograder.scoring import NotebookResult, Score
from tests.autograder_support import (
    ROOT,
    autograder,
    grade_class,
    learner,
    pilot_course,
    release,
    rows,
    submit,
)
from tests.course_support import kernel_env

CJK = re.compile(r"[\u4e00-\u9fff]")

# (extraction config, the folder it reads, the Chinese catalog): what `make messages` runs.
CATALOGS = {
    "autograder": (
        ROOT / "babel.cfg",
        ROOT / "autograder",
        ROOT / "autograder/locale/zh/LC_MESSAGES/autograder.po",
    ),
    "learner": (
        ROOT / "autograder/learner/babel.cfg",
        ROOT / "autograder/learner",
        ROOT / "autograder/learner/locale/zh/LC_MESSAGES/learner.po",
    ),
}

WRONG_RNN = "def rnn_step(x, h, W, U, b):\n    return x @ W + h @ U + b\n"
# An answer that never returns: its test cell runs out of time.
SLOW_RNN = "import time\ndef rnn_step(x, h, W, U, b):\n    time.sleep(60)\n"


def _extracted(config, folder) -> set[str]:
    """The messages the source marks today, extracted as ``pybabel extract`` does."""
    with open(config, encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file)
    found = extract_from_dir(str(folder), method_map, options_map)
    return {message for _, _, message, _, _ in found}


def _catalog(path):
    with open(path, "rb") as file:
        return read_po(file, locale="zh")


def _fields(text: str) -> set[str]:
    """A message's placeholders, as written (``{points:g}``); a translation may use one twice."""
    return {
        f"{name}:{spec}" for _, name, spec, _ in string.Formatter().parse(text) if name is not None
    }


@pytest.mark.parametrize("domain", sorted(CATALOGS))
def test_the_catalog_holds_exactly_the_messages_the_source_marks(domain):
    config, folder, po = CATALOGS[domain]
    marked = _extracted(config, folder)
    catalog = {m.id for m in _catalog(po) if m.id}
    assert marked, f"no message marked for translation under {folder}"
    assert not marked - catalog, f"not in {po.name}; run `make messages`: {marked - catalog}"
    assert not catalog - marked, f"stale in {po.name}; run `make messages`: {catalog - marked}"


@pytest.mark.parametrize("domain", sorted(CATALOGS))
def test_every_message_has_a_chinese_translation_with_the_same_placeholders(domain):
    catalog = _catalog(CATALOGS[domain][2])
    for message in catalog:
        if not message.id:
            continue
        assert message.string, f"no translation for {message.id!r}"
        assert not message.fuzzy, f"the translation of {message.id!r} is marked fuzzy"
        assert _fields(message.string) == _fields(message.id), message.id
        # Chinese, unless the English is only code (the name of a function, say).
        assert CJK.search(message.string) or not re.search(r"[a-z]{3} [a-z]{3}", message.id), (
            f"the translation of {message.id!r} is not Chinese: {message.string!r}"
        )


def test_a_message_defined_at_import_is_shown_in_the_language_current_then():
    from autograder.exercises import lstm

    message = lstm.BASIC_LSTM_CELL.mistakes["forget_bias_missing"].message
    assert str(message).startswith("forget_bias is missing")
    with i18n.using("zh"):
        assert "遗忘门" in str(message)
        assert "遗忘门" in f"{message}"
    assert i18n.current() == "en"
    with pytest.raises(ValueError, match="Expected a language among en, zh"):
        with i18n.using("fr"):
            pass


def test_the_kernel_language_comes_from_the_environment_then_the_notebook(tmp_path, monkeypatch):
    monkeypatch.delenv("RNN_COURSE_LANG", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.chdir(tmp_path)
    assert learner_i18n.language() == "en"  # no notebook here
    nb = nbformat.v4.new_notebook()
    nb.metadata["rnn_course"] = {"lang": "zh"}
    nbformat.write(nb, tmp_path / "lesson.ipynb")
    assert learner_i18n.language() == "zh"  # the only notebook in the kernel's folder
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "other.ipynb")
    assert learner_i18n.language() == "en"  # two notebooks: which one is unknown
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "lesson.ipynb"))
    assert learner_i18n.language() == "zh"  # Jupyter Server names the kernel's notebook
    monkeypatch.setenv("RNN_COURSE_LANG", "en")
    assert learner_i18n.language() == "en"  # the environment first
    monkeypatch.setenv("RNN_COURSE_LANG", "xx")
    with pytest.raises(ValueError, match="RNN_COURSE_LANG"):
        learner_i18n.language()


def test_the_edition_of_a_notebook_is_its_metadata_and_nothing_else():
    nb = nbformat.v4.new_notebook()
    assert translation.edition(nb) == "en"
    nb.metadata["rnn_course"] = {"lang": "zh"}
    assert translation.edition(nb) == "zh"
    nb.metadata["rnn_course"] = {"lang": "../../etc"}  # a learner can edit metadata
    assert translation.edition(nb) == "en"


def test_a_chinese_learners_feedback_page_is_chinese():
    failed = Score("lstm_test", 0.0, 3.0, "原因", mistake="basic_lstm_cell.forget_bias_missing")
    result = NotebookResult("ann", "02_lstm", "lstm", [failed], lang="zh")
    page = feedback.page("ann", "02_lstm", [result])
    assert '<html lang="zh">' in page
    assert "<th>练习</th><th>得分</th><th>原因</th>" in page
    assert "(basic_lstm_cell.forget_bias_missing)" in page  # the id, in every language
    english = feedback.page("ann", "02_lstm", [NotebookResult("ann", "02_lstm", "lstm", [failed])])
    assert '<html lang="en">' in english and "<th>exercise</th>" in english


def _layout() -> course.Layout:
    """Notebook 01's layout: test cells and a written answer."""
    path = ROOT / "solutions" / "01_rnn_cell" / "rnn_cell.ipynb"
    return course.layout_from_release(nbformat.read(path, as_version=4), "01_rnn_cell", "rnn_cell")


def test_a_notebook_that_earns_nothing_says_why_in_the_learners_language():
    unreadable = scoring.NOT_GRADED.format(error="the notebook file is empty (0 bytes)")
    zh = scoring.zero(_layout(), "ann", unreadable, "zh")
    reasons = {s.kind: s.reason for s in zh.scores}
    assert reasons == {
        "test": "未评分：the notebook file is empty (0 bytes)",
        "manual": "等待教师评分（人工评分）",
    }
    assert zh.lang == "zh" and zh.notes == [reasons["test"]]
    en = scoring.zero(_layout(), "bob", unreadable)
    assert {s.kind: s.reason for s in en.scores} == {
        "test": "not graded: the notebook file is empty (0 bytes)",
        "manual": "awaiting the instructor (graded by hand)",
    }
    assert en.lang == "en"


@pytest.mark.parametrize(
    "lang, opening",
    [("zh", "评分程序错误（不是你的错误）："), ("en", "GRADER ERROR, not the learner's: ")],
)
def test_a_grader_error_is_told_apart_from_the_learners_in_either_language(lang, opening):
    failed = scoring.zero(
        _layout(), "ann", scoring.GRADER_ERROR.format(error="KeyError: 'x'"), lang
    )
    assert failed.scores[0].reason == f"{opening}KeyError: 'x'"
    assert opening in grading._infrastructure_failure([failed])
    learners = scoring.zero(_layout(), "bob", "the kernel died", lang)
    assert grading._infrastructure_failure([failed, learners]) is None
    broken = scoring.REFERENCE_FAILED.format(exercise="unroll", error="ValueError: x")
    assert grading._infrastructure_failure([scoring.zero(_layout(), "cy", broken, lang)])


def test_what_was_restored_in_a_notebook_is_told_in_the_learners_language():
    layout = _layout()
    nb = nbformat.from_dict(layout.release)
    nb.cells = [
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "unroll_answer"
    ]
    with i18n.using("zh"):
        zh = notebook.prepare(nbformat.from_dict(nb), layout).notes
    assert zh["unroll_answer"] == ["答案单元格被删除了"]
    en = notebook.prepare(nbformat.from_dict(nb), layout).notes
    assert en["unroll_answer"] == ["the answer cell had been deleted"]


def test_a_late_submission_is_told_in_the_learners_language():
    result = NotebookResult(
        "ann", "02_lstm", "lstm", [], late_seconds=9000.0, late_penalty=3.0, lang="zh"
    )
    page = feedback.page("ann", "02_lstm", [result])
    assert "迟交：截止时间过后 2.5 小时才提交；扣 3 分。" in page
    result.lang = "en"
    assert "Late: submitted 2.5 hours after the due date; penalty 3 points." in feedback.page(
        "ann", "02_lstm", [result]
    )


def test_the_self_check_refuses_in_the_learners_language(tmp_path):
    empty = tmp_path / "01_rnn_cell" / "empty.ipynb"
    empty.parent.mkdir()
    empty.write_text("")
    with pytest.raises(SystemExit, match=r"^无法检查 .*empty.ipynb：notebook 文件是空的（0 字节）"):
        selfcheck.check(empty, lang="zh")
    with pytest.raises(SystemExit, match=r"^Cannot check .*empty.ipynb: the notebook file is"):
        selfcheck.check(empty, lang="en")
    nbformat.write(nbformat.v4.new_notebook(), empty)
    with pytest.raises(SystemExit, match="没有计分单元格"):
        selfcheck.check(empty, lang="zh")
    with pytest.raises(SystemExit, match="has no graded cells"):
        selfcheck.check(empty, lang="en")


def test_the_kernels_judge_answers_in_the_kernels_language():
    request = {"op": "cases", "exercise": "no_such_exercise", "hidden": False, "seed": 0}
    zh = selfjudge.answer({**request, "lang": "zh"})["error"]
    assert "没有名为 'no_such_exercise' 的练习" in zh
    en = selfjudge.answer(request)["error"]
    assert "there is no exercise named 'no_such_exercise'" in en


def test_a_figures_complaint_is_in_the_kernels_language(monkeypatch):
    from autograder.learner import figures

    monkeypatch.setenv("RNN_COURSE_LANG", "zh")
    with pytest.raises(ValueError, match=r"至少需要一个门。收到的是：gates=\{\}"):
        figures.gate_heatmap({})
    monkeypatch.setenv("RNN_COURSE_LANG", "en")
    with pytest.raises(ValueError, match=r"Expected at least one gate. Received: gates=\{\}"):
        figures.gate_heatmap({})


# ---- in real kernels ------------------------------------------------------------------


@pytest.fixture(scope="module")
def pilot(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("i18n")
    course_root = pilot_course(tmp)
    return {"tmp": tmp, "course": course_root, "base": release(course_root)}


def _zh(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(nb)
    nb.metadata["rnn_course"] = {"lang": "zh"}
    return nb


@pytest.mark.kernel
def test_check_with_lang_zh_prints_chinese(pilot):
    folder = pilot["tmp"] / "learner" / "pilot"
    folder.mkdir(parents=True)
    (folder / "pilot_checks.py").write_bytes(
        (pilot["course"] / "course" / "pilot" / "pilot_checks.py").read_bytes()
    )
    nbformat.write(learner(pilot["base"], rnn=WRONG_RNN), folder / "pilot.ipynb")
    result = autograder(
        "--course",
        str(pilot["course"]),
        "check",
        str(folder / "pilot.ipynb"),
        "--timeout",
        "20",
        "--lang",
        "zh",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    # The columns line up: a Chinese character takes two.
    assert "  未通过      0/2  rnn_step_test\n" in result.stdout, result.stdout
    assert "  通过        1/1  zero_state_test\n" in result.stdout
    assert "rnn_step，第 1 个用例（共 1 个）" in result.stdout
    assert "这正是以下错误会得到的结果" in result.stdout  # the pilot's own mistake, named
    assert "可见测试共得 1/3 分" in result.stdout
    assert "FAIL" not in result.stdout


@pytest.mark.kernel
def test_grading_writes_each_learners_reasons_in_their_edition(pilot):
    submissions = pilot["tmp"] / "submitted"
    submit(submissions, "ann", _zh(learner(pilot["base"], rnn=WRONG_RNN)))
    submit(submissions, "bob", learner(pilot["base"], rnn=WRONG_RNN))
    out = pilot["tmp"] / "out"
    result = grade_class(
        pilot["course"],
        submissions,
        out,
        "--timeout",
        "20",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    found = {(r["student"], r["exercise"]): r for r in rows(out)}
    ann, bob = found["ann", "rnn_step_test"], found["bob", "rnn_step_test"]
    assert CJK.search(ann["reason"]) and not CJK.search(bob["reason"])
    assert ann["mistake"] and ann["mistake"] == bob["mistake"]
    assert '<html lang="zh">' in (out / "feedback" / "ann" / "pilot.html").read_text("utf-8")
    assert '<html lang="en">' in (out / "feedback" / "bob" / "pilot.html").read_text("utf-8")


@pytest.mark.kernel
def test_rnn_course_lang_switches_the_self_check_in_a_real_kernel(tmp_path, monkeypatch):
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from autograder.learner.checks import rnn_cell as check"),
        nbformat.v4.new_code_cell("check.basic_rnn_cell(None, seed=0)"),
    ]
    for name, value in {**kernel_env(), "RNN_COURSE_LANG": "zh"}.items():
        monkeypatch.setenv(name, value)  # the kernel (and its self-judge) inherit them
    NotebookClient(
        nb,
        kernel_name="python3",
        timeout=300,
        allow_errors=True,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    [error] = [o for o in nb.cells[1].outputs if o.output_type == "error"]
    assert error.ename == "CheckFailed", json.dumps(error)
    assert "basic_rnn_cell，第 1 个用例" in error.evalue, error.evalue
    assert "你的 BasicRNNCell 抛出了 TypeError" in error.evalue, error.evalue
    assert "seed=0" in error.evalue


def test_the_learner_side_reads_its_catalog_without_the_grader():
    code = (
        "import os, sys; os.environ['RNN_COURSE_LANG'] = 'zh'\n"
        "from autograder.learner.i18n import _\n"
        "print(_('time step'))\n"
        "print(sorted(m for m in sys.modules if m.startswith('autograder.')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    said, modules = result.stdout.splitlines()
    assert said == "时间步"
    assert modules == "['autograder.learner', 'autograder.learner.i18n']"


@pytest.mark.kernel
@pytest.mark.parametrize(
    "lang, stopped",
    [
        ("zh", "这个测试中途停止了：单元格运行超过了 3 秒"),
        ("en", "this test stopped: the cell ran for more than 3 seconds"),
    ],
)
def test_a_cell_stopped_by_the_grader_is_told_in_the_learners_language(pilot, lang, stopped):
    # Beside the course's release, as a learner's copy is: the self-check finds it there.
    folder = pilot["course"] / f"slow-{lang}" / "pilot"
    folder.mkdir(parents=True)
    (folder / "pilot_checks.py").write_bytes(
        (pilot["course"] / "course" / "pilot" / "pilot_checks.py").read_bytes()
    )
    nbformat.write(learner(pilot["base"], rnn=SLOW_RNN), folder / "pilot.ipynb")
    result = selfcheck.check(
        folder / "pilot.ipynb", sandbox.Limits(timeout=3), pilot["course"], lang
    )
    reasons = {s.grade_id: s.reason for s in result.scores}
    assert reasons["rnn_step_test"] == stopped, reasons
    assert reasons["zero_state_test"] == ("通过" if lang == "zh" else "passed"), reasons
