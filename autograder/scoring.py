"""From what a notebook's cells did to points and a reason for every graded cell.

This runs in the grader's process: the expected values come from each exercise's
``expect`` (``rnnref``), computed here on the cases the grader chose, and compared with
``autograder.judge``. A test cell earns its points only when its exercise's code passes the
screen (``screen``: the learner's own code, not the reference or a library's RNN), it made
exactly the checks its source makes (``Cell.expected_checks``: each exercise, visible and
hidden, as often as written, and nothing else), every one of them reported outputs that the
judge accepts, and the cell itself raised nothing. Otherwise it earns 0 and the reason says
why in a learner's words. Code the screen flags keeps its points and carries a ``review``.
"""

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from autograder.course import Cell, Layout
from autograder.execute import CellRun, Request
from autograder.exercises import Exercise
from autograder.i18n import N_, Text, _, using
from autograder.judge import judge, unpack
from autograder.learner import wire
from autograder.notebook import Prepared
from autograder.screen import screen

# What a cell graded by hand (a written answer) says until a person grades it in formgrader.
AWAITING_INSTRUCTOR = N_("awaiting the instructor (graded by hand)")
# Why a whole notebook earns 0 (``zero``): it could not be read, or the grader itself failed.
NOT_GRADED = N_("not graded: {error}")
GRADER_ERROR = N_("GRADER ERROR, not the learner's: {error}")
# A test's reason when an exercise's reference itself fails: the grader's fault too.
REFERENCE_FAILED = N_(
    "GRADER ERROR in {exercise}: the reference failed with {error}. Tell your instructor; this "
    "is not your mistake."
)


@dataclass
class Score:
    """One graded cell's outcome. ``points`` is None when a person must grade it; ``review``
    says why the instructor should read the code behind it (the screen's flags); ``mistake``
    is the stable id of the mistake its failure was recognised as (see ``judge.Verdict``),
    for the class report, None when it passed or none was named."""

    grade_id: str
    points: float | None
    max_points: float
    reason: str
    kind: str = "test"
    review: str = ""
    mistake: str | None = None

    @property
    def passed(self) -> bool:
        return self.points is not None and self.points == self.max_points


@dataclass(frozen=True)
class Failure:
    """Why a test cell earns nothing, in the learner's words, and the mistake's id if known."""

    reason: str
    mistake: str | None = None


@dataclass
class NotebookResult:
    student: str
    assignment: str
    notebook: str
    scores: list[Score]
    fingerprint: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    unanswered: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)  # flags for the notebook as a whole
    # Set from the gradebook on every run (``gradebook.Book.record``), as nbgrader computes them.
    late_seconds: float = 0.0
    late_penalty: float | None = None  # nbgrader's ``late_submission_penalty``
    versions: dict[str, str] = field(default_factory=dict)  # test cell -> its checks' version
    lang: str = "en"  # the language of the reasons (and of the feedback page)
    # The autograded notebook (``outputs.autograded``), carried from where it was graded (a
    # Dask worker, say) to the coordinator that writes it; never saved with the result.
    autograded: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def points(self) -> float:
        return sum(s.points or 0.0 for s in self.scores)

    @property
    def max_points(self) -> float:
        return sum(s.max_points for s in self.scores)

    @property
    def awaiting(self) -> float:
        """The points a person has yet to give: the cells graded by hand."""
        return sum(s.max_points for s in self.scores if s.points is None)

    def to_json(self) -> dict[str, Any]:
        data = asdict(replace(self, autograded=None))
        del data["autograded"]
        data["scores"] = [asdict(s) for s in self.scores]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "NotebookResult":
        data = dict(data)
        data["scores"] = [Score(**s) for s in data["scores"]]
        return cls(**data)


def zero(layout: Layout, student: str, reason: str | Text, lang: str = "en") -> NotebookResult:
    """Every autograded cell of ``layout`` at 0 for ``reason`` (a notebook that could not
    run), worded in ``lang``; the cells graded by hand still wait for a person, whatever
    happened to the code."""
    with using(lang):
        said, awaiting = str(reason), str(AWAITING_INSTRUCTOR)
    scores = [
        Score(c.grade_id, 0.0, c.points, said, c.kind)
        if c.kind == "test"
        else Score(c.grade_id, None, c.points, awaiting, c.kind)
        for c in layout.graded
    ]
    return NotebookResult(student, layout.assignment, layout.name, scores, notes=[said], lang=lang)


def _case_words(request: Request, exercise: Exercise, case: Any, index: int) -> str:
    """``basic_rnn_cell, hidden case 2 of 3 (B=4, D=3, H=5)``, as the self-check words it."""
    if request.hidden:
        words = _("{exercise}, hidden case {number} of {count}")
    else:
        words = _("{exercise}, case {number} of {count}")
    words = words.format(exercise=exercise.name, number=index + 1, count=len(request.cases or []))
    try:
        label = exercise.label(case)
    except Exception:  # a label is a courtesy; never let it cost a grade
        label = ""
    return f"{words} ({label})" if label else words


def judge_request(request: Request, exercises: dict[str, Exercise]) -> Failure | None:
    """None when every case of ``request`` passed; else the first failure, for the learner."""
    if request.problem:
        return Failure(request.problem)
    exercise = exercises.get(request.exercise)
    if exercise is None or request.cases is None:
        return Failure(
            _("the check asked for an unknown exercise {exercise}").format(
                exercise=repr(request.exercise)
            )
        )
    if request.outputs is None:
        return Failure(
            _("the check asked for cases but never reported outputs (the cell stopped early)")
        )
    unreadable = _("the check's report could not be read ({error}); was the checks module changed?")
    try:
        outputs = wire.loads(request.outputs)
    except wire.WireError as error:
        return Failure(unreadable.format(error=error))
    if type(outputs) is not list or len(outputs) != len(request.cases):
        return Failure(
            _("the check reported the wrong number of outputs; was the checks module changed?")
        )
    for index, (case, report) in enumerate(zip(request.cases, outputs, strict=True)):
        where = _case_words(request, exercise, case, index)
        try:
            received, inputs_after = unpack(report)
        except wire.WireError as error:
            return Failure(unreadable.format(error=error))
        try:
            verdict = judge(exercise, case, received, inputs_after)
        except Exception as error:  # a bug in the exercise's reference, not in the answer
            return Failure(
                str(
                    REFERENCE_FAILED.format(
                        exercise=exercise.name, error=f"{type(error).__name__}: {error}"
                    )
                )
            )
        if not verdict.passed:
            return Failure(f"{where}:\n{verdict.message}", verdict.mistake)
    return None


def _binding_problem(cell: Cell, requests: list[Request]) -> str | None:
    """None when ``requests`` are exactly the checks ``cell``'s source makes; else why not."""
    made: dict[tuple[str, bool], int] = {}
    for request in requests:
        refused = cell.refuses(request.exercise)
        if refused:
            return refused
        key = (request.exercise, request.hidden)
        made[key] = made.get(key, 0) + 1
    for (exercise, hidden), count in sorted(made.items()):
        wanted = cell.expected_checks.get((exercise, hidden), 0)
        if count > wanted:
            if hidden:
                told = _(
                    "this test cell makes {wanted} hidden check of {exercise}, but {count} "
                    "were asked for; the answer interfered with grading, so the test cannot pass"
                )
            else:
                told = _(
                    "this test cell makes {wanted} check of {exercise}, but {count} were asked "
                    "for; the answer interfered with grading, so the test cannot pass"
                )
            return told.format(wanted=wanted, exercise=exercise, count=count)
    return None


def _test_failure(cell: Cell, run: CellRun, exercises: dict[str, Exercise]) -> Failure | None:
    if run.status in ("timeout", "died", "output", "memory"):
        return Failure(_("this test stopped: {error}").format(error=run.error))
    if run.status == "not run":
        return Failure(run.error or _("this test cell did not run"))
    binding = _binding_problem(cell, run.requests)
    if binding:
        return Failure(binding)
    for request in run.requests:
        failure = judge_request(request, exercises)
        if failure:
            return failure
    missing = [
        key
        for key, wanted in cell.expected_checks.items()
        if sum((r.exercise, r.hidden) == key for r in run.requests) < wanted
    ]
    if run.status == "error":
        return Failure(_("the test cell raised {error}").format(error=run.error))
    if missing:
        return Failure(
            _(
                "a check of {exercise} in this test cell never reported; the check function "
                "was replaced or not called, so the test cannot pass"
            ).format(exercise=missing[0][0])
        )
    return None


def _earlier_failure(prepared: Prepared, runs: list[CellRun], test_index: int) -> str | None:
    """The first failure among the code cells between the previous test cell and this one."""
    start = max([i for i in prepared.test_cells if i < test_index], default=-1) + 1
    for index in range(start, test_index):
        run = runs[index]
        if prepared.nb.cells[index].cell_type == "code" and run.status not in ("ok", "not run"):
            return run.error
    return None


def _with_cause(
    reason: str,
    unparsed: str | None,
    prepared: Prepared,
    runs: list[CellRun],
    run: CellRun,
    test_index: int,
) -> str:
    """``reason`` with its cause first, when the test could not even reach the answer: the
    answer cell that is not Python, or else an earlier cell that failed (a NameError, say)."""
    if unparsed:
        return f"{unparsed}; {reason}"
    earlier = _earlier_failure(prepared, runs, test_index)
    unjudged = not any(r.outputs for r in run.requests)
    if earlier and unjudged and earlier not in reason:
        return _("an earlier cell failed ({earlier}), so {reason}").format(
            earlier=earlier, reason=reason
        )
    return reason


def _notes(notes: list[str]) -> str:
    return "".join("\n" + _("note: {note}").format(note=note) for note in notes)


def score_notebook(
    layout: Layout,
    prepared: Prepared,
    runs: list[CellRun],
    exercises: dict[str, Exercise],
    student: str,
) -> NotebookResult:
    """Points and reasons for every graded cell of one executed notebook."""
    index_of = {grade_id: index for index, grade_id in prepared.test_cells.items()}
    # Notes about an answer cell belong to the test that follows it.
    owner = layout.owners()
    screening = screen(prepared, layout)
    notes: dict[str, list[str]] = {}
    general = list(prepared.notes.get("", []))
    for grade_id, texts in prepared.notes.items():
        if grade_id:
            notes.setdefault(owner.get(grade_id, ""), []).extend(texts)
    general += notes.pop("", [])
    unanswered_tests = {owner.get(g) for g in prepared.unanswered}
    scores = []
    for cell in layout.graded:
        extra = notes.get(cell.grade_id, [])
        if cell.kind != "test":
            scores.append(
                Score(cell.grade_id, None, cell.points, str(AWAITING_INSTRUCTOR), cell.kind)
            )
            continue
        run = runs[index_of[cell.grade_id]]
        verdict = screening.verdict(cell.grade_id)
        # A refused answer earns nothing, however right its outputs were.
        failure = (
            Failure(verdict.refused) if verdict.refused else _test_failure(cell, run, exercises)
        )
        if failure is None:
            text = _("passed") + _notes(extra)
            scores.append(
                Score(cell.grade_id, cell.points, cell.points, text, review=verdict.review)
            )
            continue
        if cell.grade_id in unanswered_tests:
            extra = extra + [_("the answer cell was left as it was released")]
        reason = failure.reason
        if not verdict.refused:
            reason = _with_cause(
                reason, verdict.unparsed, prepared, runs, run, index_of[cell.grade_id]
            )
        text = reason + _notes(extra)
        scores.append(
            Score(
                cell.grade_id,
                0.0,
                cell.points,
                text,
                review=verdict.review,
                mistake=failure.mistake,
            )
        )
    return NotebookResult(
        student,
        layout.assignment,
        layout.name,
        scores,
        notes=general + screening.notebook,
        unanswered=sorted(prepared.unanswered),
        review=screening.notebook,
    )
