"""Finding what to grade: nbgrader's submitted layout, or a zip downloaded from an LMS.

nbgrader's layout is ``<student>/<assignment>/<notebook>.ipynb``. A zip may hold that layout
(at its top or under one folder), or the flat files an LMS writes: Canvas's
``<student>_<ids>_<file>.ipynb`` (``-1``, ``-2`` appended to re-uploads) or Moodle's
``<student>_<id>_assignsubmission_file_/<file>.ipynb``; flat files are matched to an
assignment by their notebook's name. Nothing is skipped silently: anything that cannot be
graded becomes a ``Problem`` that ends up in ``grades.csv``. In particular:

- every entry of the submissions folder is a student or a ``Problem``; a name starting with
  ``.`` or ``__`` is taken for a system folder (``.ipynb_checkpoints``, ``__MACOSX``), never
  for a student, since grading it would put a student by that name in the gradebook;
- a symbolic link anywhere in a submission refuses the submission: a link is never followed,
  so a notebook that links to a solution, or an assignment folder that links to another
  student's, is not graded as this student's work;
- a zip member that cannot be read (a bad CRC, a size that differs from the one declared,
  an unsupported method) is a ``Problem`` for its student, and the rest of the zip is graded.
"""

import os
import re
import shutil
import zipfile
import zlib
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


def _link_in(folder: Path) -> str | None:
    """``name -> target`` for the first symbolic link at or under ``folder``, or None.
    ``os.walk`` lists a linked folder without entering it."""
    if folder.is_symlink():
        return f"{folder.name} -> {os.readlink(folder)}"
    for where, folders, files in os.walk(folder):
        for name in sorted(folders + files):
            path = Path(where, name)
            if path.is_symlink():
                return f"{path.relative_to(folder.parent)} -> {os.readlink(path)}"
    return None


def _refused_link(link: str) -> str:
    return (
        f"not graded: {link} is a symbolic link, and links in a submission are never "
        "followed; submit the file itself"
    )


def _not_a_student(entry: Path) -> Problem:
    if not _visible(entry):
        why = (
            "its name starts with '.' or '__', which marks a system folder "
            "(.ipynb_checkpoints, __MACOSX), not a student; rename it if it is a student's"
        )
    elif entry.is_symlink():
        return Problem(entry.name, "", "", _refused_link(_link_in(entry) or entry.name))
    else:
        why = "a file where a student's folder was expected"
    return Problem(entry.name, "", "", f"not graded: {why}")


def discover(root: Path, notebooks: dict[str, list[str]]) -> tuple[list[Task], list[Problem]]:
    """Tasks for every submitted assignment under ``root`` (nbgrader's layout), and a
    ``Problem`` for each entry that is not a student's folder or holds a link; ``notebooks``
    maps each known assignment to its notebook names."""
    tasks: list[Task] = []
    problems: list[Problem] = []
    for student_dir in sorted(root.iterdir()):
        if not _visible(student_dir) or student_dir.is_symlink() or not student_dir.is_dir():
            problems.append(_not_a_student(student_dir))
            continue
        student = student_dir.name
        for folder in sorted(p for p in student_dir.iterdir() if _visible(p)):
            link = _link_in(folder)
            if link is not None:
                problems.append(Problem(student, folder.name, "", _refused_link(link)))
                continue
            if not folder.is_dir():
                problems.append(
                    Problem(
                        student, "", folder.name, "a file outside any assignment folder; not graded"
                    )
                )
                continue
            assignment = folder.name
            if assignment not in notebooks:
                problems.append(
                    Problem(
                        student,
                        assignment,
                        "",
                        "no such assignment in the course's solutions; not graded",
                    )
                )
                continue
            for name in notebooks[assignment]:
                tasks.append(Task(student, assignment, name, folder / f"{name}.ipynb"))
            for extra in sorted(folder.glob("*.ipynb")):
                if extra.stem not in notebooks[assignment]:
                    problems.append(
                        Problem(
                            student,
                            assignment,
                            extra.stem,
                            "this notebook is not part of the assignment; not graded",
                        )
                    )
    return tasks, problems


def _open(archive: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as error:
        raise ValueError(
            f"{archive} cannot be opened as a zip file ({error}). Expected a folder of "
            "submissions or the zip an LMS exports; download the zip again, or unzip it and "
            "pass the folder."
        ) from None


def _extract(zipped: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path) -> str | None:
    """Copy ``member`` to ``target``: None, or why it could not be read (and no file is left).
    zipfile reads no more than the size a member declares and then checks its CRC, so one
    that inflates past it (a zip bomb) fails; one that holds less is caught here."""
    try:
        with zipped.open(member) as source, open(target, "wb") as out:
            shutil.copyfileobj(source, out)
        held = target.stat().st_size
        if held == member.file_size:
            return None
        why = f"it holds {held} bytes, not the {member.file_size} it declares"
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError) as error:
        why = str(error) or type(error).__name__
    target.unlink(missing_ok=True)
    return why


def _owner(path: Path, nested: Path, layout: bool) -> str:
    """The student a file of the zip belongs to, "" when its place does not say."""
    if not path.is_relative_to(nested):
        return ""
    if layout:
        parts = path.relative_to(nested).parts
        return parts[0] if len(parts) > 1 else ""
    return _flat_name(path, nested)[0] or ""


def unpack(archive: Path, dest: Path, notebooks: dict[str, list[str]]) -> list[Problem]:
    """Extract an LMS zip into nbgrader's layout under ``dest``; what could not be placed.
    Raises ``ValueError`` naming ``archive`` when it is not a zip that can be opened."""
    problems: list[Problem] = []
    unreadable: dict[Path, str] = {}  # where a member would have gone -> why it did not
    raw = dest / "raw"
    raw.mkdir(parents=True)
    with _open(archive) as zipped:
        members = [m for m in zipped.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
            raise ValueError(f"{archive} unpacks to more than {MAX_ZIP_BYTES // 2**30} GB")
        for member in members:
            parts = Path(member.filename).parts
            if member.filename.startswith("/") or ".." in parts or not parts:
                problems.append(
                    Problem("", "", member.filename, "unsafe path in the zip; not extracted")
                )
                continue
            target = raw.joinpath(*parts)
            if member.file_size > MAX_MEMBER_BYTES:
                why = f"it declares more than {MAX_MEMBER_BYTES // 2**20} MB"
            elif (member.external_attr >> 16) & 0o170000 == 0o120000:
                why = "it is a symbolic link, and links are never followed"
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                why = _extract(zipped, member, target)
            if why is not None:
                unreadable[target] = (
                    f"{member.filename} was not extracted from the zip "
                    f"({why}); not graded: ask for the file again"
                )
    layout = dest / "submitted"
    layout.mkdir()
    tops = [p for p in raw.iterdir() if _visible(p)]
    nested = raw
    if len(tops) == 1 and tops[0].is_dir() and not _looks_like_student(tops[0], notebooks):
        nested = tops[0]
    nbgrader_layout = any(_looks_like_student(p, notebooks) for p in nested.iterdir() if p.is_dir())
    for path, why in unreadable.items():
        problems.append(Problem(_owner(path, nested, nbgrader_layout), "", "", why))
    if nbgrader_layout:
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
            problems.append(
                Problem(
                    student or "",
                    "",
                    path.name,
                    "cannot tell which student and notebook this file is; not graded",
                )
            )
            continue
        target = layout / student / assignment / f"{stem}.ipynb"
        if target.exists():
            problems.append(
                Problem(
                    student,
                    assignment,
                    stem,
                    f"{path.name} is a second copy; the first one found was graded",
                )
            )
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
