"""What a grading run leaves for people: autograded notebooks, ``grades.csv``, feedback pages
and the ``nbgrader_config.py`` that opens the gradebook in formgrader.

Only the coordinator of a run writes here; where a notebook was graded (this machine or a
Dask worker) the autograded notebook travels back inside its result (``autograded``).
"""

import copy
from pathlib import Path

import nbformat
from nbconvert.preprocessors.sanitize import SanitizeHTML

from autograder import course, feedback, report
from autograder.course import Layout
from autograder.notebook import Prepared
from autograder.scoring import NotebookResult
from autograder.submissions import Problem


def _neutralise(nb: nbformat.NotebookNode, release: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` as safe to open in the instructor's browser (formgrader renders it as HTML
    without sanitising): nbconvert's ``SanitizeHTML`` keeps plain text and PNG/JPEG images,
    passes the learner's ``text/html`` and ``text/markdown`` outputs, markdown and raw cells
    through bleach (no scripts, no event handlers), and drops every other kind of output
    (JavaScript, SVG, widget views). Markdown cells as the instructor released them are
    left alone."""
    released = {c.source for c in release.cells if c.cell_type == "markdown"}
    sanitizer = SanitizeHTML(safe_output_keys={"metadata", "text/plain", "image/png", "image/jpeg"})
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown" or cell.source not in released:
            sanitizer.preprocess_cell(cell, {}, index)
    return nb


def autograded(prepared: Prepared, result: NotebookResult, layout: Layout) -> nbformat.NotebookNode:
    """The executed notebook with each test cell's output replaced by its verdict, so that
    nbgrader's own ``determine_grade`` and formgrader read the same scores, and with the
    learner's HTML made harmless (``_neutralise``)."""
    nb = _neutralise(copy.deepcopy(prepared.nb), layout.release)
    scores = {s.grade_id: s for s in result.scores}
    for index, grade_id in prepared.test_cells.items():
        cell = nb.cells[index]
        score = scores.get(grade_id)
        kept = [
            o
            for o in cell.get("outputs", [])
            if o.get("output_type") == "stream" and o.get("name") == "stdout"
        ]
        if score is not None and score.passed:
            kept.append(
                nbformat.v4.new_output(
                    "stream", name="stdout", text=f"autograder: {score.reason}\n"
                )
            )
        elif score is not None:
            kept.append(
                nbformat.v4.new_output(
                    "error",
                    ename="GradingFailed",
                    evalue=score.reason,
                    traceback=[f"GradingFailed: {score.reason}"],
                )
            )
        cell.outputs = kept
    return nb


def write_autograded(out: Path, result: NotebookResult) -> None:
    """``OUT/autograded/<student>/<assignment>/<notebook>.ipynb`` from the notebook ``result``
    carries, which is then let go (a class's notebooks are not kept in memory)."""
    if result.autograded is None:
        return
    path = out / "autograded" / result.student / result.assignment
    path.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.from_dict(result.autograded), path / f"{result.notebook}.ipynb")
    result.autograded = None


def write_class(
    out: Path,
    results: list[NotebookResult],
    problems: list[Problem],
    db_url: str,
    source_root: Path,
) -> None:
    """``grades.csv``, the feedback pages and ``nbgrader_config.py`` for a graded class."""
    report.write_csv(out / "grades.csv", results, problems)
    feedback.write(out / "feedback", results)
    _write_nbgrader_config(out, db_url, source_root)


def _write_nbgrader_config(out: Path, db_url: str, source_root: Path) -> None:
    """So that ``nbgrader formgrader`` run in the output folder shows these grades."""
    text = (
        "# Written by python -m autograder grade: open these grades with nbgrader formgrader.\n"
        "c = get_config()  # noqa\n"
        f"c.CourseDirectory.root = {str(out)!r}\n"
        f"c.CourseDirectory.source_directory = {str(source_root)!r}\n"
        f"c.CourseDirectory.course_id = {course.COURSE_ID!r}\n"
        f"c.CourseDirectory.db_url = {db_url!r}\n"
    )
    (out / "nbgrader_config.py").write_text(text)
