"""Similar answers across a class, for the instructor to judge; never a penalty.

Each student's answer cells of a notebook (nbgrader's solution cells) are joined and
compared with every other student's by ``copydetect``, which implements MOSS's winnowing
(Schleimer, Wilkerson & Aiken 2003) after normalising the code with Pygments: names become
``V``/``F``/``O``, strings ``S``, comments and whitespace go. Used on notebook cells as they
are, it would flag every pair of correct answers: an exercise's answer is a few lines, and
right answers converge on the reference. So every k-gram of the instructor's solution and of
the released stub is boilerplate (copydetect's own mechanism) and only what students wrote
beyond those is compared. ``copydetect.CopyDetector`` works on files and writes its own
report; its ``CodeFingerprint`` and ``compare_files`` are used directly on the cells' text.
"""

import io
import itertools
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
from copydetect import CodeFingerprint, compare_files
from copydetect.utils import filter_code, hashed_kgrams
from nbgrader.utils import is_solution

# copydetect's defaults: matches shorter than NOISE normalised characters are ignored, those
# of GUARANTEE or more always found (the winnowing window is their difference plus one).
NOISE, GUARANTEE = 25, 30
# The share of one student's own (non-boilerplate) code found in the other's from which a
# pair is listed; copydetect lists from 0.33 in a report of files, but cells are short.
THRESHOLD = 0.6


@dataclass(frozen=True)
class Pair:
    """Two students whose answers to one notebook overlap: ``first_share`` of the first's
    compared code is found in the second's, and ``second_share`` the other way."""

    assignment: str
    notebook: str
    first: str
    second: str
    first_share: float
    second_share: float

    @property
    def share(self) -> float:
        return max(self.first_share, self.second_share)


def answers(nb: nbformat.NotebookNode) -> str:
    """The text of ``nb``'s answer (solution) cells, one after another."""
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "code" and is_solution(c))


def _fingerprint(code: str, boilerplate: np.ndarray) -> CodeFingerprint:
    return CodeFingerprint(
        "answers.py",
        NOISE,
        GUARANTEE - NOISE + 1,
        boilerplate,
        language="python",
        fp=io.StringIO(code),
    )


def boilerplate(texts: list[str]) -> np.ndarray:
    """Every k-gram hash of ``texts`` once normalised: code no student is to be asked about."""
    hashes: set[int] = set()
    for text in texts:
        filtered, _ = filter_code(text, "answers.py", "python")
        hashes.update(int(h) for h in hashed_kgrams(filtered, NOISE))
    return np.array(sorted(hashes), dtype=np.int64)


def similar(
    code: dict[str, str], common: np.ndarray, threshold: float = THRESHOLD
) -> list[tuple[str, str, float, float]]:
    """``(first, second, first_share, second_share)`` for each pair of students in ``code``
    (student -> answers) whose answers overlap by ``threshold`` or more, beyond ``common``."""
    prints = {student: _fingerprint(text, common) for student, text in sorted(code.items())}
    found = []
    for first, second in itertools.combinations(prints, 2):
        _, (first_share, second_share), _ = compare_files(prints[first], prints[second])
        if max(first_share, second_share) >= threshold:
            found.append((first, second, float(first_share), float(second_share)))
    return found


def class_pairs(autograded: Path, course_root: Path, threshold: float = THRESHOLD) -> list[Pair]:
    """Similar pairs in every notebook under ``autograded/<student>/<assignment>/``, with
    the solution (``course_root/solutions``) and release (``course_root/course``) answer
    cells as boilerplate; most similar first."""
    groups: dict[tuple[str, str], dict[str, str]] = {}
    for path in sorted(autograded.glob("*/*/*.ipynb")):
        student, assignment = path.parent.parent.name, path.parent.name
        groups.setdefault((assignment, path.stem), {})[student] = answers(
            nbformat.read(path, as_version=4)
        )
    pairs = []
    for (assignment, notebook), code in sorted(groups.items()):
        given = [
            course_root / folder / assignment / f"{notebook}.ipynb"
            for folder in ("solutions", "course")
        ]
        common = boilerplate(
            [answers(nbformat.read(p, as_version=4)) for p in given if p.is_file()]
        )
        pairs += [Pair(assignment, notebook, *found) for found in similar(code, common, threshold)]
    return sorted(pairs, key=lambda p: (-p.share, p.assignment, p.notebook, p.first))
