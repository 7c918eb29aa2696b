"""What one grading run knows before it grades anything, built once and never changed.

A ``RunContext`` holds everything a notebook's grade depends on besides the notebook itself:
the key that seeds its cases, the grader's, the assignments' and the exercises' versions
(``versions``), the limits, the sandbox level, whether hidden cases are served, the language
of the messages, and where this process makes its jobs (``Jobs``). ``grade`` builds one for a class
(``RunContext.for_class``), ``check`` one for a learner's self-check, and a Dask worker
rebuilds one from the plain data a coordinator sends (``RunContext.plain``), so every
notebook is graded by the same ``grade_notebook`` under whatever its context says.
"""

import functools
import hashlib
import itertools
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import autograder
from autograder import course, sandbox
from autograder.submissions import Task
from autograder.versions import Versions


def hash_files(paths: list[Path]) -> str:
    """One hash of the names and contents of ``paths`` (a missing one counts as such)."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.name).encode() + b"\0")
        digest.update(path.read_bytes() if path.exists() else b"<missing>")
    return digest.hexdigest()


@functools.cache
def grader_version(versioned: frozenset[Path] = frozenset()) -> str:
    """A hash of the grader's own code: a change to it regrades everything, except to the
    ``versioned`` files (exercise definitions, versioned per exercise by ``versions``).
    Hashed once per process and set of files: a long-running Dask worker keeps running the
    code it loaded, whatever is later written over its files."""
    files = [
        p
        for folder in autograder.__path__
        for p in Path(folder).rglob("*.py")
        if p.resolve() not in versioned
    ]
    return hash_files(files)


def source_version(
    source_root: Path, assignment: str, versioned: frozenset[Path] = frozenset()
) -> str:
    """A hash of an assignment's source (its notebooks, hidden tests included, and files
    but the ``versioned`` ones): a change to it regrades the assignment."""
    return hash_files(
        [
            p
            for p in course.assignment_files(source_root, assignment)
            if p.resolve() not in versioned
        ]
        + list((source_root / assignment).glob("*.ipynb"))
    )


def read_key(out: Path) -> bytes:
    """The secret that seeds every case, made on first use. Learners cannot predict their
    hidden cases; copying this file with the results lets anyone regrade identically."""
    path = out / "grading.key"
    try:
        # Created private rather than chmod-ed after: no moment where others can read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip().encode()


def derive_seed(key: bytes, *parts: object) -> int:
    digest = hashlib.sha256(key)
    for part in parts:
        digest.update(b"\0" + str(part).encode())
    return int.from_bytes(digest.digest()[:8], "big")


@dataclass
class Jobs:
    """Where this process makes its jobs: one folder (``root``) holding the one copy of the
    learner side that its kernels import (``library``), and the user ids of its kernels,
    ``uid_base`` plus a number counted up per job, so that nothing one submission leaves
    behind (processes still dying after a fork bomb, files) can touch the next one."""

    root: Path
    library: Path | None
    uid_base: int
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1), repr=False)

    @classmethod
    def make(cls, library: bool = True) -> "Jobs":
        """A fresh jobs folder; ``library`` copies the learner side into it (a self-check's
        unconfined kernel imports the installed package instead). The user ids are this
        process's own, apart from a concurrent run's (or another worker's on the machine)."""
        root = Path(tempfile.mkdtemp(prefix="autograder-jobs-"))
        root.chmod(0o755)
        copy = sandbox.copy_learner_side(root / "lib") if library else None
        return cls(root, copy, (os.getpid() % 4096) * 65536)

    def new(self, level: str, lang: str) -> sandbox.Job:
        """The next job's folders, not yet created; its kernel's messages in ``lang``."""
        number = next(self._numbers)
        return sandbox.Job(
            self.root / f"job-{number}", self.uid_base + number, level, self.library, lang
        )

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass(frozen=True)
class RunContext:
    """Everything a notebook's grade depends on besides the notebook; see the module
    docstring. ``source_root`` is the course's ``solutions/`` (None for a self-check, which
    copies no assignment files over the learner's); ``hidden`` says whether hidden cases are
    served (a self-check refuses them); ``versions`` holds each assignment's exercise
    versions, which the results cache keeps per test cell; ``lang`` is the language of the
    reasons (None: each notebook's edition, ``translation.edition``)."""

    key: bytes
    version: str
    sources: dict[str, str]
    limits: sandbox.Limits
    level: str
    source_root: Path | None
    jobs: Jobs | None = field(default=None, compare=False)  # None: kernels run elsewhere
    hidden: bool = True
    versions: dict[str, Versions] = field(default_factory=dict, compare=False)
    lang: str | None = None

    @classmethod
    def for_class(
        cls,
        key: bytes,
        source_root: Path,
        assignments: list[str],
        limits: sandbox.Limits,
        level: str,
        jobs: Jobs | None,
        lang: str | None = None,
    ) -> "RunContext":
        """The context that grades ``assignments`` of the course at ``source_root``: the
        exercise definitions versioned per exercise, everything else in the grader's and
        the assignments' versions."""
        exercise_versions = {a: Versions(source_root / a) for a in assignments}
        versioned = frozenset(p for v in exercise_versions.values() for p in v.files)
        return cls(
            key,
            grader_version(versioned),
            {a: source_version(source_root, a, versioned) for a in assignments},
            limits,
            level,
            source_root,
            jobs,
            versions=exercise_versions,
            lang=lang,
        )

    def seed(self, task: Task, grade_id: str, exercise: str, hidden: bool, ordinal: int) -> int:
        """The seed of one request's cases: from the key and the notebook's identity only, so
        regrading, on this machine or any worker, gives the same cases."""
        return derive_seed(
            self.key,
            task.student,
            task.assignment,
            task.notebook,
            grade_id,
            exercise,
            hidden,
            ordinal,
        )

    def plain(self) -> dict:
        """What a worker needs to rebuild this context (``on_worker``): plain data only."""
        return {
            "key": self.key,
            "version": self.version,
            "sources": dict(self.sources),
            "exercises": {a: dict(v.exercise) for a, v in self.versions.items()},
            "limits": self.limits,
            "source_root": str(self.source_root),
            "lang": self.lang,
        }

    @classmethod
    def on_worker(cls, plain: dict, level: str, jobs: Jobs) -> "RunContext":
        """The context a coordinator sent (``plain``), built again from this machine's files,
        with its sandbox level and jobs. Raises ``RuntimeError`` when this machine's grader
        or course differs from the coordinator's: its grades would not be the run's."""
        source_root = Path(plain["source_root"])
        mine = cls.for_class(
            plain["key"],
            source_root,
            list(plain["sources"]),
            plain["limits"],
            level,
            jobs,
            plain["lang"],
        )
        if mine.version != plain["version"]:
            raise RuntimeError(
                "this worker's autograder differs from the coordinator's; "
                "install the same course checkout on every worker"
            )
        for assignment, version in plain["sources"].items():
            if (
                mine.sources[assignment] != version
                or mine.versions[assignment].exercise != plain["exercises"][assignment]
            ):
                raise RuntimeError(
                    f"this worker's {source_root / assignment} or its "
                    "exercises differ from the coordinator's (or are missing); "
                    "every worker needs the course at the path given with "
                    "--course"
                )
        return mine
