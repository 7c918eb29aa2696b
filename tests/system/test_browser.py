"""The course as a learner and an instructor meet it: JupyterLab with nbgrader's extensions,
driven in Debian's Chromium by Playwright.

The test starts ``scripts/lab.py`` (what ``make lab`` runs) on 127.0.0.1 with a token, on a
temporary copy of the course, and then, as a person would with mouse and keyboard:

1. opens ``course/01_rnn_cell``'s notebook and runs all cells: the blank release stops at
   the first "try it" cell with ``NotImplementedError``;
2. types a typical mistake into the first exercise (``[h, x]`` concatenated instead of
   ``[x, h]``) and runs all again: the first check fails and its message names the mistake;
3. types the solution into both exercises and runs all: both checks pass;
4. presses nbgrader's Validate button: "Success! Your notebook passes all the tests.";
5. opens Nbgrader > Formgrader: the course's assignments are listed; releases the first;
6. opens Nbgrader > Assignment List as a learner: the release is offered; Fetch downloads it,
   listed with its notebook and a Validate button;
7. opens the LSTM and capstone solutions and runs them (the capstone trains briefly, as under
   grading): the LSTM diagram, the learner's gate heat map and the char-RNN's hidden-unit
   colouring are drawn, and each is saved on its own (``lstm-diagram.png``,
   ``gate-heatmap.png``, ``hidden-units.png``);
8. grades a learner's written answer in formgrader's Manual Grading: a submission the
   autograder graded (its written answers left waiting) gets a score by hand, and the
   gradebook keeps it.

A screenshot of each step goes to ``out/browser/`` (kept on failure, with the step's name and
the server's log). Answers come from ``solutions/``, never typed out here, so the test follows
the course when it changes. Chromium is never downloaded: ``.ci/run`` installs Debian's.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from playwright.sync_api import Page, expect

from autograder import course, release
from autograder.gradebook import sqlite_url
from tests.autograder_support import autograder
from tests.system.browser_support import CHROMIUM, chromium_page

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "out" / "browser"
ASSIGNMENT, NOTEBOOK = "01_rnn_cell", "rnn_cell"
LEARNER, QUESTION = "ada", "contract_question"  # the submission step 8 grades by hand
# A learner's written answer to QUESTION, as they would type it.
WRITTEN = (
    "The state is what the next step needs; the output is what the layer above or the "
    "loss sees. SumCell outputs 10 * state, so an unroll that passed the output on would "
    "multiply the sum by 10 at every step, and an LSTM would lose its c."
)
TOKEN = "browser-test-token"
# Generous: two shared cores, and a kernel that imports NumPy and the checks.
WAIT_MS = 90_000

# JupyterLab's own settings for the test's profile: every cell in the page (no windowing, so
# outputs far down the notebook can be found), and no news pop-up over the notebook.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def _solution(source: str) -> str:
    """An answer cell of solutions/ as a learner who solved it would leave it."""
    return re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n", "", source, flags=re.M)


def _cells() -> tuple[nbformat.NotebookNode, dict[str, int], dict[str, str]]:
    """The release, the index of each nbgrader cell by grade_id, and each answer's solution."""
    release = nbformat.read(ROOT / "course" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    source = nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    index = {
        c.metadata["nbgrader"]["grade_id"]: i
        for i, c in enumerate(release.cells)
        if "nbgrader" in c.metadata
    }
    answers = {
        c.metadata["nbgrader"]["grade_id"]: _solution(c.source)
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    return release, index, answers


def _cell_index(assignment: str, notebook: str, cell_id: str) -> int:
    """Where the cell ``cell_id`` of a solution notebook is on the page."""
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{notebook}.ipynb", as_version=4)
    return next(i for i, c in enumerate(nb.cells) if c.get("id") == cell_id)


def _grade_a_submission(root: Path) -> None:
    """A learner's solved notebook 01, submitted and autograded into the class's own gradebook
    (``root/gradebook.db``, where formgrader looks) and ``root/autograded/``. Done after
    formgrader's release: an assignment with submissions is no longer offered for release."""
    submitted = root / "submitted" / LEARNER / ASSIGNMENT
    submitted.mkdir(parents=True)
    nb = nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == QUESTION:
            cell.source = WRITTEN
    nbformat.write(nb, submitted / f"{NOTEBOOK}.ipynb")
    result = autograder("grade", str(root / "submitted"), "--out", str(root), "--jobs", "1")
    assert result.returncode == 0, result.stdout + result.stderr


def _start_lab(tmp: Path) -> tuple[subprocess.Popen, str, Path]:
    root = tmp / "class"
    root.mkdir()
    for name in ("course", "course-zh", "solutions"):
        shutil.copytree(ROOT / name, root / name)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    settings = tmp / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    # A profile of its own: nothing from ~/.jupyter, and nothing left behind.
    # NBGRADER_EXECUTION: kernels run as under grading, so the capstone trains for seconds.
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"),
        NBGRADER_EXECUTION="autograde",
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
    )
    log = tmp / "lab.log"
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "scripts" / "lab.py"),
                "--root",
                str(root),
                "--port",
                "0",
                "--token",
                TOKEN,
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready = re.search(r"JupyterLab is ready: (http://127\.0\.0\.1:\d+)/", log.read_text())
        if ready:
            return process, ready.group(1), log
        if process.poll() is not None:
            break
        time.sleep(0.25)
    _stop(process)
    pytest.fail(f"JupyterLab did not start:\n{log.read_text()[-5000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Steps:
    """Names each step, screenshots its end, and on failure screenshots where it stopped."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.number = 0
        self.current = "start"

    def start(self, name: str) -> None:
        self.number += 1
        self.current = f"{self.number:02d}-{name}"

    def shot(self) -> Path:
        path = OUT / f"{self.current}.png"
        self.page.screenshot(path=path)
        return path

    def shot_of(self, element, name: str) -> Path:
        """One element of the page alone, e.g. a figure, as ``out/browser/<name>.png``."""
        path = OUT / f"{name}.png"
        element.scroll_into_view_if_needed()
        element.screenshot(path=path)
        return path


def _menu(page: Page, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()


def _type_into(page: Page, cell_index: int, text: str) -> None:
    """Replace a cell's text as a person would: click into it (a rendered markdown cell opens
    its editor on a double click), select all, type."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(cell_index)
    if "jp-mod-rendered" in (cell.get_attribute("class") or "").split():
        cell.locator(".jp-RenderedMarkdown").dblclick()
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    # insert_text types the whole string as one input event, like a paste: no auto-indent
    # or bracket completion rewrites what a learner would have written.
    page.keyboard.insert_text(text)
    expect(editor).to_contain_text(text.strip().splitlines()[-1].strip())


def _run_all(page: Page) -> None:
    _menu(page, "Run", "Run All Cells")


def _output(page: Page, cell_index: int):
    return page.locator(".jp-Notebook .jp-Cell").nth(cell_index).locator(".jp-OutputArea")


def test_learner_and_instructor_in_jupyterlab(tmp_path):
    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing: `apt-get install chromium` (.ci/run does)")
    release, index, answers = _cells()
    cell_answer, cell_check = index["basic_rnn_cell_answer"], index["basic_rnn_cell_test"]
    unroll_answer, unroll_check = index["unroll_answer"], index["unroll_test"]
    mistake = answers["basic_rnn_cell_answer"].replace("[inputs, h_prev]", "[h_prev, inputs]")
    assert mistake != answers["basic_rnn_cell_answer"], "the solution changed: no [inputs, h_prev]"

    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    lab, base, log = _start_lab(tmp_path)
    root = tmp_path / "class"
    timings = {}
    try:
        with chromium_page(1400, 1000, WAIT_MS) as page:
            steps = Steps(page)
            try:
                _learner_and_instructor(
                    page,
                    steps,
                    base,
                    timings,
                    cell_answer,
                    cell_check,
                    unroll_answer,
                    unroll_check,
                    mistake,
                    answers,
                    index[QUESTION],
                )
                _figures(page, steps, base, timings)
                _grade_by_hand(page, steps, base, timings, root)
            except Exception:
                steps.current += "-FAILED"
                shot = steps.shot()
                print(
                    f"browser test failed at {steps.current}; screenshot {shot}; "
                    f"dialogs open: {page.locator('.jp-Dialog').all_inner_texts()}; "
                    f"server log:\n{log.read_text()[-5000:]}"
                )
                raise
    finally:
        _stop(lab)
        shutil.copy(log, OUT / "lab.log")
    print("browser steps (s):", ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))


def _learner_and_instructor(
    page,
    steps,
    base,
    timings,
    cell_answer,
    cell_check,
    unroll_answer,
    unroll_check,
    mistake,
    answers,
    question,
):
    def done(started):
        timings[steps.current] = time.monotonic() - started
        steps.shot()

    # 1. The blank release, run top to bottom: it stops at the first unwritten answer.
    started = time.monotonic()
    steps.start("open-and-run-all-blank")
    page.goto(f"{base}/lab/tree/course/{ASSIGNMENT}/{NOTEBOOK}.ipynb?token={TOKEN}")
    expect(page.locator(".jp-Notebook .jp-Cell").nth(cell_check)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"\| Idle$"))).to_be_visible()
    _run_all(page)
    expect(
        page.locator(".jp-Notebook .jp-OutputArea-output", has_text="NotImplementedError").first
    ).to_be_visible()
    page.locator(
        ".jp-OutputArea-output", has_text="NotImplementedError"
    ).first.scroll_into_view_if_needed()
    done(started)

    # 2. A typical mistake in the first exercise: its check fails and says which mistake.
    started = time.monotonic()
    steps.start("mistake-check-fails")
    _type_into(page, cell_answer, mistake)
    _run_all(page)
    failure = _output(page, cell_check)
    expect(failure).to_contain_text("CheckFailed")
    expect(failure).to_contain_text("[h, x] instead of [x, h]")
    failure.scroll_into_view_if_needed()
    done(started)

    # 3. The solutions typed in: both checks pass.
    started = time.monotonic()
    steps.start("solution-checks-pass")
    _type_into(page, cell_answer, answers["basic_rnn_cell_answer"])
    _type_into(page, unroll_answer, answers["unroll_answer"])
    _type_into(page, question, WRITTEN)  # Validate asks for the written answer too
    _run_all(page)
    passed = _output(page, cell_check)
    expect(passed).to_contain_text(re.compile(r"basic_rnn_cell: all \d+ cases passed"))
    expect(_output(page, unroll_check)).to_contain_text(re.compile(r"unroll: all \d+ cases passed"))
    expect(
        page.locator(
            ".jp-Notebook .jp-OutputArea-output.jp-RenderedText[data-mime-type="
            "'application/vnd.jupyter.stderr']",
            has_text="Error",
        )
    ).to_have_count(0)
    passed.scroll_into_view_if_needed()
    done(started)

    # 4. nbgrader's Validate button (saves, then runs the notebook on the server).
    started = time.monotonic()
    steps.start("validate")
    page.locator(".validate-button").click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("Validation Results", timeout=WAIT_MS * 2)
    expect(dialog).to_contain_text("Success! Your notebook passes all the tests.")
    done(started)
    dialog.get_by_role("button", name="Ok").click()

    # 5. The instructor's formgrader lists the course's assignments and releases the first.
    started = time.monotonic()
    steps.start("formgrader-release")
    _menu(page, "Nbgrader", "Formgrader")
    frame = page.frame_locator("iframe[src*='formgrader']")
    expect(frame.locator("body")).to_contain_text("Manage Assignments")
    for assignment in sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir()):
        expect(frame.locator("td.name", has_text=assignment)).to_be_visible()
    expect(frame.locator("body")).not_to_contain_text("exchange directory")
    row = frame.locator("tr", has=frame.locator("td.name", has_text=ASSIGNMENT))
    row.locator("td.release a").click()
    expect(frame.locator(".modal-dialog")).to_contain_text(f"Successfully released '{ASSIGNMENT}'")
    frame.locator(".modal-dialog").get_by_role("button", name="Close").first.click()
    expect(row.locator("td.status")).to_contain_text("released")
    expect(frame.locator(".modal-dialog")).to_have_count(0)
    done(started)

    # 6. The learner's Assignment List offers it; Fetch downloads it, with its Validate button.
    started = time.monotonic()
    steps.start("assignment-list-fetch")
    _menu(page, "Nbgrader", "Assignment List")
    released = page.locator("#released_assignments_list")
    expect(released).to_contain_text(ASSIGNMENT)
    released.get_by_role("button", name="Fetch").click()
    fetched = page.locator("#fetched_assignments_list")
    expect(fetched.get_by_role("button", name="Submit")).to_be_visible()
    fetched.locator("a.assignment-notebooks-link", has_text=ASSIGNMENT).click()  # unfolds
    expect(fetched).to_contain_text(NOTEBOOK)
    expect(fetched.get_by_role("button", name="Validate")).to_be_visible()
    done(started)


def _open_and_run(page: Page, base: str, path: str) -> None:
    """Open a notebook in JupyterLab and run all its cells."""
    page.goto(f"{base}/lab/tree/{path}?token={TOKEN}")
    # The workspace reopens earlier tabs first: wait until this notebook's tab is the current one.
    current = page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current")
    expect(current).to_contain_text(Path(path).name)
    shown = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    expect(shown.locator(".jp-Cell").first).to_be_visible()
    # This notebook's own kernel, from its toolbar: the status bar speaks for the current tab,
    # which can still be one the workspace reopened (idle) while this kernel starts, and a
    # Run All sent before it exists opens a Select Kernel dialog.
    expect(shown.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_be_attached()
    first_run = shown.locator(".jp-CodeCell .jp-InputPrompt").first
    for _ in range(3):  # a Run All sent while the new kernel still starts can be lost
        _run_all(page)
        try:
            expect(first_run).not_to_have_text(re.compile(r"^\[ \]:$"), timeout=15_000)
            return
        except AssertionError:
            continue
    pytest.fail(f"Run All did not start {path}")


def _figure(page: Page, assignment: str, notebook: str, cell_id: str):
    """The image a figure cell drew, once it is on the page."""
    shown = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")
    cell = shown.nth(_cell_index(assignment, notebook, cell_id))  # in the notebook on show
    image = cell.locator(".jp-OutputArea-output img")
    cell.scroll_into_view_if_needed()
    try:
        expect(image).to_be_visible(timeout=WAIT_MS * 2)
    except AssertionError:
        errors = page.locator(
            ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output"
            "[data-mime-type='application/vnd.jupyter.stderr']"
        )
        print("notebook errors:", errors.all_inner_texts())
        raise
    return cell.locator(".jp-OutputArea")


def _figures(page, steps, base, timings):
    # 7. The course's pictures as a learner sees them: the LSTM diagram and the heat map of
    #    the learner's own gates (notebook 02), the capstone's hidden units (notebook 09).
    started = time.monotonic()
    steps.start("figures")
    _open_and_run(page, base, "solutions/02_lstm/lstm.ipynb")
    steps.shot_of(_figure(page, "02_lstm", "lstm", "fig-lstm"), "lstm-diagram")
    steps.shot_of(_figure(page, "02_lstm", "lstm", "fig-lstm-heatmap"), "gate-heatmap")
    _open_and_run(page, base, "solutions/09_char_rnn/char_rnn.ipynb")
    steps.shot_of(_figure(page, "09_char_rnn", "char_rnn", "fig-hidden-units"), "hidden-units")
    timings[steps.current] = time.monotonic() - started
    steps.shot()


def _grade_by_hand(page, steps, base, timings, root: Path):
    # 8. Formgrader's Manual Grading: the autograded submission's written answer awaits a
    #    score; the instructor gives it, and the gradebook keeps it beside the autograded ones.
    started = time.monotonic()
    steps.start("formgrader-manual-grade")
    _grade_a_submission(root)
    page.goto(f"{base}/formgrader/gradebook/{ASSIGNMENT}/{NOTEBOOK}?token={TOKEN}")
    page.get_by_role("link", name=re.compile(r"Submission #1")).click()
    score = page.locator(f"input.score#{QUESTION}")
    expect(score).to_have_class(re.compile(r"needs_manual_grade"))  # formgrader asks for it
    score.scroll_into_view_if_needed()
    score.fill("2")
    score.press("Tab")
    deadline = time.monotonic() + WAIT_MS / 1000
    while (grade := _grade(root, QUESTION))["manual_score"] is None:
        assert time.monotonic() < deadline, "formgrader did not save the score"
        time.sleep(0.5)
    assert (grade["auto_score"], grade["manual_score"], grade["score"]) == (None, 2, 2), grade
    autograded = _grade(root, "basic_rnn_cell_test")
    assert autograded["score"] == autograded["max_score"] > 0, autograded
    timings[steps.current] = time.monotonic() - started
    steps.shot()


def _grade(root: Path, grade_id: str) -> dict:
    """The learner's grade for ``grade_id``, as the class's gradebook holds it now."""
    book = Gradebook(sqlite_url(root / "gradebook.db"), course.COURSE_ID)
    try:
        grade = book.find_grade(grade_id, NOTEBOOK, ASSIGNMENT, LEARNER)
        return {
            name: getattr(grade, name)
            for name in ("auto_score", "manual_score", "score", "max_score")
        }
    finally:
        book.close()


def _zh_learner(tmp: Path) -> Path:
    """A learner of the Chinese edition whose notebook 01 has the typical mistake in
    ``BasicRNNCell`` and the rest solved (each answer the zh solution's, comments in Chinese),
    graded; the folder grading wrote."""
    source = release.source_tree(ROOT / "solutions", "zh", tmp / "zh-source", ROOT / "i18n")
    nb = nbformat.read(source / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    for cell in nb.cells:
        role = cell.metadata.get("nbgrader", {})
        if role.get("solution"):
            cell.source = _solution(cell.source)
        if role.get("grade_id") == "basic_rnn_cell_answer":
            cell.source = cell.source.replace("[inputs, h_prev]", "[h_prev, inputs]")
            assert "[h_prev, inputs]" in cell.source, "the solution changed: no [inputs, h_prev]"
    submitted = tmp / "submitted" / "mei" / ASSIGNMENT
    submitted.mkdir(parents=True)
    nbformat.write(nb, submitted / f"{NOTEBOOK}.ipynb")
    result = autograder(
        "grade", str(tmp / "submitted"), "--out", str(tmp / "graded"), "--jobs", "1"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return tmp / "graded"


def test_a_chinese_edition_learner_in_jupyterlab(tmp_path):
    """The Chinese edition, as its learner meets it: course-zh's notebook 01 opens with the
    notes in Chinese (``zh-notes.png``); with the typical mistake typed in, its check fails
    (``zh-check.png``); and the learner's feedback page after grading (``zh-feedback.png``).
    Both pass whatever language the check's message is in: the messages' language follows the
    notebook's edition where the catalogs exist."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing: `apt-get install chromium` (.ci/run does)")
    _, index, answers = _cells()  # course-zh has course's cells, in the same order
    mistake = answers["basic_rnn_cell_answer"].replace("[inputs, h_prev]", "[h_prev, inputs]")
    OUT.mkdir(parents=True, exist_ok=True)
    graded = _zh_learner(tmp_path)
    lab, base, log = _start_lab(tmp_path)
    try:
        with chromium_page(1400, 1000, WAIT_MS) as page:
            steps = Steps(page)
            try:
                steps.current = "zh-check"
                page.goto(f"{base}/lab/tree/course-zh/{ASSIGNMENT}/{NOTEBOOK}.ipynb?token={TOKEN}")
                expect(page.locator(".jp-Notebook")).to_contain_text("本课程的源头")
                expect(page.get_by_role("button", name=re.compile(r"\| Idle$"))).to_be_visible()
                page.screenshot(path=OUT / "zh-notes.png")  # the notes open notebook 01
                _type_into(page, index["basic_rnn_cell_answer"], mistake)
                _run_all(page)
                failure = _output(page, index["basic_rnn_cell_test"])
                expect(failure).to_contain_text("CheckFailed")
                steps.shot_of(
                    page.locator(".jp-Notebook .jp-Cell").nth(index["basic_rnn_cell_test"]),
                    "zh-check",
                )

                steps.current = "zh-feedback"
                page.goto((graded / "feedback" / "mei" / f"{ASSIGNMENT}.html").as_uri())
                expect(page.locator("body")).to_contain_text("basic_rnn_cell_test")
                page.screenshot(path=OUT / "zh-feedback.png", full_page=True)
            except Exception:
                steps.current += "-FAILED"
                print(
                    f"zh browser test failed; screenshot {steps.shot()}; server log:\n"
                    f"{log.read_text()[-5000:]}"
                )
                raise
    finally:
        _stop(lab)
