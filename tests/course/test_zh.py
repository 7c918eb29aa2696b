"""The Chinese edition (issue 13): every cell a learner reads has a current translation,
``course-zh/`` is what ``release --lang zh`` makes from ``solutions/`` and ``i18n/zh/``, byte
for byte, with the same graded cells as ``course/``; the translated solutions run clean and
earn every point, the Chinese release earns none, and one gradebook grades a class that
mixes the two editions.

The translation mechanism is also proven on a small made-up notebook, so its tests stand
whatever state the course's translations are in.
"""

import json
import re
import shutil
import subprocess

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import course, notebook, release, sandbox, translation
from autograder.gradebook import sqlite_url
from autograder.learner import fonts
from tests.autograder_support import ROOT, autograded, autograder, rows, run_in_jail
from tests.course_support import (
    ASSIGNMENTS,
    COURSE,
    COURSE_ZH,
    SOLUTIONS,
    assert_passes_every_check,
    assert_same_tree,
    execute,
    nbgrader_meta,
    notebooks,
)

REGENERATE = "run `python -m autograder release --lang zh` in the repository root"
SEED_NOTES = ROOT / "i18n" / "zh" / "notes-seed.txt"  # the notes as the course received them


# ---- the mechanism, on a made-up notebook ---------------------------------------------------

ANSWER = (
    "def double(x):\n"
    "    # x: an array [B, D]\n"
    "    ### BEGIN SOLUTION\n"
    "    return 2 * x  # twice\n"
    "    ### END SOLUTION\n"
)
ANSWER_ZH = ANSWER.replace("# x: an array [B, D]", "# x：形状为 [B, D] 的数组").replace(
    "# twice", "# 两倍"
)


def _cell(cell_type: str, source: str, cell_id: str, **nbgrader) -> nbformat.NotebookNode:
    make = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
    cell = make(source)
    cell.id = cell_id
    if nbgrader:
        cell.metadata.nbgrader = {
            "schema_version": 3,
            "grade": False,
            "solution": False,
            "locked": False,
            "task": False,
            "grade_id": cell_id,
            **nbgrader,
        }
    return cell


def _tiny_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        _cell("markdown", "# Doubling\n\nWrite `double`.", "intro"),
        _cell("code", "import numpy as np", "setup", locked=True),
        _cell("code", ANSWER, "double_answer", solution=True),
        _cell("code", 'print("twice one is", 2 * 1)', "demo"),
        _cell("code", "assert double(1) == 2", "double_test", grade=True, locked=True, points=1),
        _cell("markdown", "Why double?", "why-md"),
        _cell(
            "markdown",
            "### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
            "why",
            grade=True,
            solution=True,
            points=1,
        ),
    ]
    return nb


ZH = {
    "intro": "# 加倍\n\n写出 `double`。",
    "double_answer": ANSWER_ZH,
    "demo": 'print("一的两倍是", 2 * 1)',
    "why-md": "为什么要加倍？",
}


@pytest.fixture
def tiny_course(tmp_path):
    """A course of one assignment, ``doubling/doubling.ipynb``, its zh file scaffolded."""
    notebook = tmp_path / "solutions" / "doubling" / "doubling.ipynb"
    notebook.parent.mkdir(parents=True)
    nbformat.write(_tiny_notebook(), notebook)
    path = translation.translation_path(notebook, "zh", tmp_path / "solutions", tmp_path / "i18n")
    path.parent.mkdir(parents=True)
    path.write_text(
        translation.scaffold(notebook, "zh", tmp_path / "solutions", tmp_path / "i18n"),
        encoding="utf-8",
    )
    return tmp_path, notebook, path


def _translate(path, texts: dict[str, str]) -> None:
    """Write ``texts`` over a scaffold's English, keeping each entry's hash."""
    entries = translation.load(path, "zh")
    lines = ["# translated"]
    for cell_id, entry in entries.items():
        lines += translation.entry_lines(cell_id, translation.Entry(entry.en, texts[cell_id]), "zh")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _kinds(notebook, path) -> dict[str, str]:
    nb = nbformat.read(notebook, as_version=4)
    found = translation.problems(nb, translation.load(path, "zh"), "zh", "doubling/doubling")
    return {p.cell_id: p.kind for p in found}


def test_a_scaffold_holds_the_cells_a_learner_reads(tiny_course):
    _, notebook, path = tiny_course
    entries = translation.load(path, "zh")
    assert list(entries) == ["intro", "double_answer", "demo", "why-md"]
    nb = nbformat.read(notebook, as_version=4)
    sources = {c.id: c.source for c in nb.cells}
    for cell_id, entry in entries.items():
        assert entry.text == sources[cell_id]
        assert entry.en == translation.source_hash(sources[cell_id])
    # Fresh from the scaffold, the English text in the markdown slots is untranslated.
    assert _kinds(notebook, path) == {"intro": "untranslated", "why-md": "untranslated"}


def test_a_translated_notebook_has_no_problems_and_keeps_a_refreshed_scaffold(tiny_course):
    root, notebook, path = tiny_course
    _translate(path, ZH)
    assert _kinds(notebook, path) == {}
    refreshed = translation.scaffold(notebook, "zh", root / "solutions", root / "i18n")
    path.write_text(refreshed, encoding="utf-8")
    assert {k: e.text for k, e in translation.load(path, "zh").items()} == ZH


@pytest.mark.parametrize(
    "change, expected",
    [
        ("english", {"intro": "stale"}),
        ("missing", {"demo": "missing"}),
        ("code", {"double_answer": "code changed"}),
        ("marker", {"double_answer": "code changed"}),
        ("gone", {"gone-cell": "unused"}),
    ],
)
def test_each_problem_is_found_and_named(tiny_course, change, expected):
    _, notebook, path = tiny_course
    texts = dict(ZH)
    if change == "code":
        texts["double_answer"] = ANSWER_ZH.replace("2 * x", "x + x")
    if change == "marker":
        texts["double_answer"] = ANSWER_ZH.replace("### BEGIN SOLUTION", "### 开始")
    _translate(path, texts)
    if change == "english":
        nb = nbformat.read(notebook, as_version=4)
        nb.cells[0].source += "\n\nNow with more words."
        nbformat.write(nb, notebook)
    if change == "missing":
        kept = {k: v for k, v in translation.load(path, "zh").items() if k != "demo"}
        path.write_text(
            "".join("\n".join(translation.entry_lines(k, e, "zh")) + "\n" for k, e in kept.items())
        )
    if change == "gone":
        with path.open("a", encoding="utf-8") as file:
            file.write("gone-cell:\n  en: '000000000000'\n  zh: |-\n    没有这个单元\n")
    assert _kinds(notebook, path) == expected


def test_apply_puts_the_translation_in_and_marks_the_edition(tiny_course):
    _, notebook, path = tiny_course
    _translate(path, ZH)
    nb = nbformat.read(notebook, as_version=4)
    assert translation.edition(nb) == "en"
    translation.apply(nb, translation.load(path, "zh"), "zh", "doubling/doubling")
    assert translation.edition(nb) == "zh"
    assert nb.metadata["rnn_course"] == {"lang": "zh"}
    sources = {c.id: c.source for c in nb.cells}
    assert {k: sources[k] for k in ZH} == ZH
    assert sources["double_test"] == "assert double(1) == 2"


def test_apply_refuses_a_stale_or_missing_entry_naming_the_cells(tiny_course):
    _, notebook, path = tiny_course
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[0].source = "# Doubling, revised"
    entries = translation.load(path, "zh")
    del entries["demo"]
    with pytest.raises(ValueError, match=r"doubling/doubling.*intro is stale.*demo is missing"):
        translation.apply(nb, entries, "zh", "doubling/doubling")


def test_a_stale_entry_is_shown_with_what_changed_in_the_english(tiny_course):
    """The scaffold's report diffs the English the entry was translated from (git history)
    against the English now, so the translator sees what to change."""
    root, notebook, path = tiny_course
    _translate(path, ZH)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run([*git, "-C", str(root), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(root), "commit", "-qm", "first"], check=True)
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[0].source = nb.cells[0].source.replace("Write `double`.", "Write `double` now.")
    nbformat.write(nb, notebook)
    [report] = translation.stale_report(notebook, "zh", root / "solutions", root / "i18n")
    assert "cell intro: stale" in report
    assert "-Write `double`." in report and "+Write `double` now." in report


def test_edition_reads_only_known_languages():
    nb = nbformat.v4.new_notebook()
    nb.metadata["rnn_course"] = {"lang": "xx"}
    assert translation.edition(nb) == "en"
    nb.metadata["rnn_course"] = {"lang": "zh"}
    assert translation.edition(nb) == "zh"


def test_a_made_up_course_releases_in_chinese_deterministically(tiny_course):
    root, _, path = tiny_course
    _translate(path, ZH)
    release.release(root, "en")
    release.release(root, "zh")
    first = (root / "course-zh" / "doubling" / "doubling.ipynb").read_bytes()
    release.release(root, "zh")
    assert (root / "course-zh" / "doubling" / "doubling.ipynb").read_bytes() == first
    zh = nbformat.read(root / "course-zh" / "doubling" / "doubling.ipynb", as_version=4)
    en = nbformat.read(root / "course" / "doubling" / "doubling.ipynb", as_version=4)
    _assert_same_graded_cells(en, zh, "doubling")
    cells = {c.id: c.source for c in zh.cells}
    assert cells["intro"] == ZH["intro"] and cells["why"] == release.STUBS["zh"].text
    assert release.STUBS["zh"].code.split("\n")[0] in cells["double_answer"]
    assert translation.edition(zh) == "zh" and translation.edition(en) == "en"
    assert (root / "course-zh" / "doubling" / release.GLOSSARY_FILES["zh"]).exists()


def test_the_release_command_writes_both_editions_and_stops_on_a_stale_entry(tiny_course):
    root, notebook, path = tiny_course
    _translate(path, ZH)
    result = autograder("--course", str(root), "release")
    assert result.returncode == 0, result.stderr
    assert "released doubling (en)" in result.stdout and "released doubling (zh)" in result.stdout
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[0].source = "# Doubling, revised"
    nbformat.write(nb, notebook)
    result = autograder("--course", str(root), "release", "--lang", "zh")
    assert result.returncode == 1
    assert "doubling/doubling" in result.stderr and "intro is stale" in result.stderr
    assert "translate --scaffold zh" in result.stderr


# ---- the course's own translations ----------------------------------------------------------


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_translatable_cell_has_a_current_zh_entry(assignment):
    """Fails until each notebook is translated: the message says what to do, cell by cell."""
    found = []
    for path in notebooks(SOLUTIONS, assignment):
        nb = nbformat.read(path, as_version=4)
        entries = translation.load(translation.translation_path(path, "zh"), "zh")
        found += translation.problems(nb, entries, "zh", f"{assignment}/{path.stem}")
    assert not found, (
        f"{len(found)} cells of {assignment} have no current Chinese translation (edit "
        f"i18n/zh/{assignment}/*.yml):\n" + "\n".join(map(str, found))
    )


def _graded(nb: nbformat.NotebookNode) -> list[tuple[str, str, str, object]]:
    return [
        (c.id, nbgrader_meta(c)["grade_id"], c.cell_type, nbgrader_meta(c).get("points"))
        for c in nb.cells
        if nbgrader_meta(c)
    ]


def _assert_same_graded_cells(
    en: nbformat.NotebookNode, zh: nbformat.NotebookNode, name: str
) -> None:
    """The same nbgrader cells in the same order (ids, points); test and locked cells byte
    for byte; answer cells' code the same once comments are dropped."""
    assert _graded(zh) == _graded(en), name
    zh_cells = {c.id: c for c in zh.cells}
    for cell in en.cells:
        meta = nbgrader_meta(cell)
        if not meta:
            continue
        other = zh_cells[cell.id]
        if meta.get("locked"):
            assert other.source == cell.source, (name, cell.id)
            assert nbgrader_meta(other).get("checksum") == meta.get("checksum"), (name, cell.id)
        elif meta.get("solution") and cell.cell_type == "code":
            assert translation.code_skeleton(
                other.source, keep_strings=True
            ) == translation.code_skeleton(cell.source, keep_strings=True), (name, cell.id)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_graded_cells_are_the_same_in_both_editions(assignment):
    en_paths, zh_paths = notebooks(COURSE, assignment), notebooks(COURSE_ZH, assignment)
    assert [p.name for p in zh_paths] == [p.name for p in en_paths]
    for en_path, zh_path in zip(en_paths, zh_paths, strict=True):
        en = nbformat.read(en_path, as_version=4)
        zh = nbformat.read(zh_path, as_version=4)
        assert translation.edition(zh) == "zh" and translation.edition(en) == "en"
        _assert_same_graded_cells(en, zh, f"{assignment}/{en_path.stem}")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_an_untouched_zh_answer_counts_as_left_as_released(assignment, zh_source):
    """Grading knows a zh learner's answer cells are as released, though their comments
    differ from the English release the gradebook holds; a solved one is an answer."""
    for en_path in notebooks(COURSE, assignment):
        en = nbformat.read(en_path, as_version=4)
        layout = course.layout_from_release(en, assignment, en_path.stem)
        answers = {c.grade_id for c in layout.cells if c.kind in ("answer", "manual")}
        blank = nbformat.read(COURSE_ZH / assignment / en_path.name, as_version=4)
        assert notebook.prepare(blank, layout).unanswered == answers
        solved = nbformat.read(zh_source / assignment / en_path.name, as_version=4)
        assert notebook.prepare(solved, layout).unanswered == set()


def test_course_zh_is_regenerated_byte_for_byte(tmp_path):
    """``release --lang zh`` on this checkout reproduces the committed ``course-zh/``."""
    for folder in ("solutions", "i18n"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    release.release(tmp_path, "zh")
    assert_same_tree(tmp_path / "course-zh", COURSE_ZH, REGENERATE)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_notebook_links_to_the_glossary_beside_it(lang):
    folder = ROOT / release.FOLDERS[lang]
    glossary = release.glossary_markdown(lang)
    for assignment in ASSIGNMENTS:
        beside = folder / assignment / release.GLOSSARY_FILES[lang]
        assert beside.read_text(encoding="utf-8") == glossary, f"{beside}: {REGENERATE}"
        for path in notebooks(folder, assignment):
            nb = nbformat.read(path, as_version=4)
            link = next(c for c in nb.cells if c.id == "glossary-link")
            assert f"]({release.GLOSSARY_FILES[lang]})" in link.source, (path, link.source)
            assert nb.cells.index(link) <= 2, f"{path}: the glossary link is not near the top"


def _glossary_entries(lang: str) -> list[tuple[str, str]]:
    """``lang``'s rendered glossary as (term line, definition) pairs, in order."""
    parts = re.split(r"^\*\*(.+)\*\*$", release.glossary_markdown(lang), flags=re.M)
    pairs = zip(parts[1::2], parts[2::2], strict=True)
    return [(term, definition.strip()) for term, definition in pairs]


def test_the_zh_glossary_has_the_english_terms_in_order():
    """A term added to (or renamed in) ``docs/glossary.md`` fails here, named, until
    ``i18n/zh/glossary.md`` has it too, at the same place."""
    en = [term for term, _ in _glossary_entries("en")]
    zh = [term for term, _ in _glossary_entries("zh")]
    source = release.GLOSSARY_SOURCES["zh"].relative_to(ROOT)
    assert not set(en) - set(zh), f"{source} lacks {sorted(set(en) - set(zh))}"
    assert not set(zh) - set(en), f"{source} has terms the English lacks: {set(zh) - set(en)}"
    assert zh == en, f"{source}: the terms are not in the English order {en}"


def test_every_zh_glossary_definition_is_written_in_chinese():
    """Outside code font, each definition is mostly Chinese: an English definition left in
    place (which names a Chinese word or two) fails, naming its term."""
    for term, definition in _glossary_entries("zh"):
        prose = re.sub(r"`[^`]*`", "", definition)
        hanzi = len(re.findall(r"[\u4e00-\u9fff]", prose))
        latin = len(re.findall(r"[A-Za-z]", prose))
        assert hanzi > latin, f"{term}: not translated ({hanzi} hanzi, {latin} latin letters)"


def test_the_zh_release_carries_the_chinese_glossary():
    zh, en = release.glossary_markdown("zh"), release.glossary_markdown("en")
    assert zh.startswith(release.GLOSSARY_TITLES["zh"] + "\n") and zh != en
    for assignment in ASSIGNMENTS:
        beside = COURSE_ZH / assignment / release.GLOSSARY_FILES["zh"]
        assert beside.read_text(encoding="utf-8") == zh, f"{beside}: {REGENERATE}"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_glossary_maps_the_notes_words_to_the_api(lang):
    glossary = release.glossary_markdown(lang)
    entries = glossary.split("\n**")[1:]  # each: "term · term**\n\ndefinition"
    for term, name in [
        ("隐层", "`state`"),
        ("隐层大小", "`state_size`"),
        ("输出维度", "`output_size`"),
        ("时间步", "`num_steps`"),
    ]:
        entry = next(e for e in entries if term in e.split("**")[0].split(" · "))
        assert name in entry, (term, entry)
    assert "{py:" not in glossary and ":::" not in glossary


def _plain(text: str) -> str:
    """Only the letters, digits and CJK characters, the way the notes' sentences compare
    after light editing (spacing, code font, punctuation)."""
    return re.sub(r"[^\w\u4e00-\u9fff]|_", "", text.replace("×", "x")).lower()


def test_notebook_01_opens_with_the_notes_in_chinese():
    """Every Chinese sentence of the seed's notes is in the zh edition of notebook 01, in the
    cells right after the title, before the set-up cell."""
    zh = nbformat.read(COURSE_ZH / "01_rnn_cell" / "rnn_cell.ipynb", as_version=4)
    first = [c for c in zh.cells[1:] if c.id != "glossary-link"]
    opening = []
    for cell in first:
        if cell.cell_type != "markdown":
            break
        opening.append(cell.source)
    text = _plain("\n".join(opening))
    seed = SEED_NOTES.read_text(encoding="utf-8").splitlines()
    sentences = [
        line.strip("*> ").strip()
        for line in seed
        if translation.CJK.search(line) and line.lstrip().startswith(("*", ">"))
    ]
    assert len(sentences) >= 8
    missing = [s for s in sentences if _plain(s) not in text]
    assert not missing, f"the notes' sentences missing from 01 (zh): {missing}"
    code = "".join(opening)  # each piece of code in TF1 form beside the NumPy form
    for tf1, numpy in [
        ("tf.nn.rnn_cell.BasicRNNCell(", "BasicRNNCell(num_units=4)"),
        ("tf.reshape(", "split_batches("),
    ]:
        assert tf1 in code and numpy in code, (tf1, numpy)


def test_chinese_labels_draw_in_a_cjk_font_without_warnings(recwarn):
    """With a CJK font installed (scripts/ci-setup.sh), Chinese text draws without missing
    glyphs; without the fallback the same text would warn."""
    import io

    import matplotlib
    import matplotlib.pyplot as plt

    def draw() -> list[str]:
        recwarn.clear()
        fig, ax = plt.subplots()
        ax.set_title("隐层状态 hidden state")
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
        return [str(w.message) for w in recwarn if "missing from" in str(w.message)]

    with matplotlib.rc_context({"font.family": ["sans-serif"]}):
        assert draw(), "expected DejaVu Sans alone to lack Chinese glyphs"
        assert fonts.use_cjk_fallback() is not None, "no CJK font: run scripts/ci-setup.sh"
        assert draw() == []


DRAW_CHINESE = """
import io, json, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    from autograder.learner import figures
    import matplotlib, matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    ax.set_title("隐层状态 hidden state")
    fig.savefig(io.BytesIO(), format="png")
print(json.dumps({"family": list(matplotlib.rcParams["font.family"]),
                  "warnings": [str(w.message) for w in caught]}))
"""


@pytest.mark.kernel
def test_figures_in_the_grading_jail_find_the_cjk_font(tmp_path):
    """The jail binds /usr and /etc/fonts: a learner's kernel draws Chinese in the CJK font,
    with no warning and nothing on stderr."""
    level = sandbox.probe()
    if level == "none":
        pytest.fail("bubblewrap cannot confine kernels here: see scripts/ci-setup.sh")
    tmp_path.chmod(0o755)
    cell, _ = run_in_jail(tmp_path, DRAW_CHINESE, level, sandbox.Limits(timeout=120))
    assert not [o for o in cell.outputs if o.get("name") == "stderr"], cell.outputs
    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    report = json.loads(text.strip().splitlines()[-1])
    assert report["family"][1:] == [fonts.cjk_family()], report
    assert report["warnings"] == [], report


# ---- running and grading the Chinese edition ------------------------------------------------


@pytest.fixture(scope="module")
def zh_source(tmp_path_factory):
    """``solutions/`` with ``i18n/zh`` applied: the zh editions of the solutions."""
    scratch = tmp_path_factory.mktemp("zh-source")
    return release.source_tree(SOLUTIONS, "zh", scratch, ROOT / "i18n")


@pytest.mark.kernel
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_zh_solutions_run_clean_and_pass_every_check(assignment, zh_source):
    for path in notebooks(zh_source, assignment):
        nb, _ = execute(path)
        assert_passes_every_check(nb, f"{assignment}/{path.name} (zh)", lang="zh")


@pytest.fixture(scope="module")
def mixed_class(tmp_path_factory, zh_source):
    """One grading run, one gradebook: a learner submitting the zh solutions, one submitting
    the untouched zh release, and one submitting the English solution of the first notebook
    (tests/course/test_grading.py grades all nine English solutions)."""
    tmp = tmp_path_factory.mktemp("mixed")
    submitted, out = tmp / "submitted", tmp / "graded"
    for assignment in ASSIGNMENTS:
        shutil.copytree(zh_source / assignment, submitted / "perfect_zh" / assignment)
        shutil.copytree(COURSE_ZH / assignment, submitted / "blank_zh" / assignment)
    shutil.copytree(SOLUTIONS / ASSIGNMENTS[0], submitted / "perfect_en" / ASSIGNMENTS[0])
    result = autograder("grade", str(submitted), "--out", str(out), "--jobs", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    return rows(out), out


@pytest.mark.kernel
def test_the_zh_solutions_earn_every_point(mixed_class):
    graded, _ = mixed_class
    mine = autograded([r for r in graded if r["student"] == "perfect_zh"])
    assert {r["assignment"] for r in mine} == set(ASSIGNMENTS)
    for row in mine:
        assert row["points"] == row["max points"], row


@pytest.mark.kernel
def test_the_untouched_zh_release_earns_nothing(mixed_class):
    graded, _ = mixed_class
    mine = autograded([r for r in graded if r["student"] == "blank_zh"])
    assert {r["assignment"] for r in mine} == set(ASSIGNMENTS)
    assert all(r["points"] == "0" for r in mine), mine


@pytest.mark.kernel
def test_one_gradebook_holds_a_mixed_class(mixed_class):
    """Both editions graded against the same assignments and cells: each zh learner has every
    graded cell of the course, and the two perfect learners the same scores where both
    submitted."""
    graded, out = mixed_class
    scores = {(r["student"], r["assignment"], r["exercise"]): r["points"] for r in graded}
    cells = {key[1:] for key in scores}
    for student in ("perfect_zh", "blank_zh"):
        assert {key[1:] for key in scores if key[0] == student} == cells, student
    english = {key[1:] for key in scores if key[0] == "perfect_en"}
    assert english == {cell for cell in cells if cell[0] == ASSIGNMENTS[0]}
    for assignment, exercise in english:
        assert (
            scores[("perfect_zh", assignment, exercise)]
            == scores[("perfect_en", assignment, exercise)]
        ), exercise
    book = Gradebook(sqlite_url(out / "gradebook.db"), course.COURSE_ID)
    try:
        assert {s.id for s in book.students} == {"perfect_zh", "blank_zh", "perfect_en"}
        assert {a.name for a in book.assignments} == set(ASSIGNMENTS)
    finally:
        book.close()
