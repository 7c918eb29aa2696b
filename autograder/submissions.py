"""Finding what to grade: nbgrader's submitted layout, or a zip downloaded from an LMS.

nbgrader's layout is ``<student>/<assignment>/<notebook>.ipynb``. A zip may hold that layout
(at its top or under one folder), or the flat files an LMS writes: Canvas's
``<student>_<ids>_<file>.ipynb`` (``-1``, ``-2`` appended to re-uploads) or Moodle's
``<student>_<id>_assignsubmission_file_/<file>.ipynb``; flat files are matched to an
assignment by their notebook's name. Nothing is skipped silently: anything that cannot be
graded becomes a ``Problem`` that ends up in ``grades.csv``.
"""

import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

MAX_ZIP_BYTES = 4 * 2**30
MAX_MEMBER_BYTES = 200 * 2**20
_CANVAS = re.compile(
    r"^(?P<student>[^_/]+)_(?:late_)?(?:\d+_)+(?P<file>.+?)(?:-\d+)?\.ipynb$", re.I
)
_MOODLE = re.compile(r"^(?P<student>.+?)_\d+_assignsubmission_file_?$")


@dataclass(frozen=True)
class Task:
    """One notebook to grade; ``path`` may not exist (a notebook missing from a submission)."""

    student: str
    assignment: str
    notebook: str
    path: Path

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.student, self.assignment, self.notebook)


@dataclass(frozen=True)
class Problem:
    """Something in the submissions that is not graded, and why."""

    student: str
    assignment: str
    notebook: str
    reason: str


def _visible(path: Path) -> bool:
    return not path.name.startswith((".", "__"))


def discover(
    root: Path, notebooks: dict[str, list[str]]
) -> tuple[list[Task], list[Problem]]:
    """Tasks for every submitted assignment under ``root`` (nbgrader's layout);
    ``notebooks`` maps each known assignment to its notebook names."""
    tasks: list[Task] = []
    problems: list[Problem] = []
    for student_dir in sorted(p for p in root.iterdir() if p.is_dir() and _visible(p)):
        student = student_dir.name
        for folder in sorted(p for p in student_dir.iterdir() if _visible(p)):
            if not folder.is_dir():
                problems.append(Problem(student, "", folder.name, "a file outside any assignment "
                                        "folder; not graded"))
                continue
            assignment = folder.name
            if assignment not in notebooks:
                problems.append(Problem(student, assignment, "", "no such assignment in the "
                                        "course's solutions; not graded"))
                continue
            for name in notebooks[assignment]:
                tasks.append(Task(student, assignment, name, folder / f"{name}.ipynb"))
            for extra in sorted(folder.glob("*.ipynb")):
                if extra.stem not in notebooks[assignment]:
                    problems.append(Problem(student, assignment, extra.stem, "this notebook is "
                                            "not part of the assignment; not graded"))
    return tasks, problems


def unpack(archive: Path, dest: Path, notebooks: dict[str, list[str]]) -> list[Problem]:
    """Extract an LMS zip into nbgrader's layout under ``dest``; what could not be placed."""
    problems: list[Problem] = []
    raw = dest / "raw"
    raw.mkdir(parents=True)
    with zipfile.ZipFile(archive) as zipped:
        members = [m for m in zipped.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
            raise ValueError(f"{archive} unpacks to more than {MAX_ZIP_BYTES // 2**30} GB")
        for member in members:
            parts = Path(member.filename).parts
            if member.filename.startswith("/") or ".." in parts or not parts:
                problems.append(Problem("", "", member.filename, "unsafe path in the zip; "
                                        "not extracted"))
                continue
            if member.file_size > MAX_MEMBER_BYTES or (member.external_attr >> 16) & 0o170000 \
                    == 0o120000:
                problems.append(Problem("", "", member.filename, "too large or a link; "
                                        "not extracted"))
                continue
            target = raw.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zipped.open(member) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)
    layout = dest / "submitted"
    layout.mkdir()
    tops = [p for p in raw.iterdir() if _visible(p)]
    nested = raw
    if len(tops) == 1 and tops[0].is_dir() and not _looks_like_student(tops[0], notebooks):
        nested = tops[0]
    if any(_looks_like_student(p, notebooks) for p in nested.iterdir() if p.is_dir()):
        for student_dir in nested.iterdir():
            shutil.move(str(student_dir), layout / student_dir.name)
        return problems
    owner = {name: a for a, names in notebooks.items() for name in names}
    for path in sorted(nested.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        student, stem = _flat_name(path, nested)
        assignment = owner.get(stem or "")
        if student is None or assignment is None:
            problems.append(Problem(student or "", "", path.name, "cannot tell which student "
                                    "and notebook this file is; not graded"))
            continue
        target = layout / student / assignment / f"{stem}.ipynb"
        if target.exists():
            problems.append(Problem(student, assignment, stem, f"{path.name} is a second copy; "
                                    "the first one found was graded"))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), target)
    return problems


def _looks_like_student(folder: Path, notebooks: dict[str, list[str]]) -> bool:
    return any((folder / a).is_dir() for a in notebooks)


def _flat_name(path: Path, root: Path) -> tuple[str | None, str | None]:
    """(student, notebook name) for an LMS-named file, or Nones."""
    relative = path.relative_to(root)
    if len(relative.parts) >= 2:
        moodle = _MOODLE.match(relative.parts[0])
        if moodle:
            return _student_id(moodle["student"]), re.sub(r"-\d+$", "", path.stem)
    canvas = _CANVAS.match(path.name)
    if canvas:
        return _student_id(canvas["student"]), canvas["file"]
    return None, None


def _student_id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@+-]+", "_", name).strip("_") or "unknown"
