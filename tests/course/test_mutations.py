"""Typical mistakes injected into the solutions: every one must fail its check, and the
check's message must name the mistake for most of them (issue 4's mutation tests).

Each mutation replaces a piece of an answer cell's source (the solution), re-runs that
cell in a namespace holding the notebook's setup and answers, and calls the graded cell's
check in-process, on visible and hidden cases from fixed seeds (judged, as a learner's
self-check is, by the self-judge process). The mutations live beside their exercises, in
``autograder.exercises``. The release notebooks' stubs must fail every check too.
"""

import re

import nbformat
import pytest

from autograder import i18n, registry
from tests.course_support import (
    ASSIGNMENTS,
    COURSE,
    SEEDS,
    SOLUTIONS,
    first_failure,
    graded_cells,
    namespace_from,
    nbgrader_meta,
    notebooks,
)

MUTATIONS = registry.mutations()


def _check_call(cell_source: str) -> tuple[str, str]:
    """``check.<name>(<answer>)`` -> (name, answer expression), from a graded cell."""
    first = cell_source.strip().splitlines()[0]
    match = re.fullmatch(r"check\.(\w+)\((.+)\)", first.strip())
    assert match, f"a graded cell should be one line `check.<name>(<answer>)`: {first!r}"
    return match.group(1), match.group(2)


def _graded(assignment: str, base=SOLUTIONS) -> list[tuple]:
    """(notebook, graded cell's grade_id, check name, answer expression) for an assignment."""
    found = []
    for path in notebooks(base, assignment):
        nb = nbformat.read(str(path), as_version=4)
        for cell in graded_cells(nb):
            name, answer = _check_call(cell.source)
            found.append((nb, nbgrader_meta(cell)["grade_id"], name, answer))
    return found


def _run(namespace: dict, name: str, answer: str) -> None:
    check = getattr(namespace["check"], name)
    value = eval(answer, namespace)
    for seed in SEEDS:
        check(value, seed=seed)
        check(value, hidden=True, seed=seed)


def _cases() -> list:
    params = []
    for assignment, by_cell in MUTATIONS.items():
        for grade_id, mutations in by_cell.items():
            for index, mutation in enumerate(mutations):
                label = f"{grade_id}-{index}"
                params.append(pytest.param(assignment, grade_id, mutation, id=label))
    return params


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_cell_has_enough_mutations(assignment):
    by_cell = MUTATIONS.get(assignment, {})
    for _, grade_id, _, _ in _graded(assignment):
        mutations = by_cell.get(grade_id, [])
        assert len(mutations) >= 3, f"{grade_id}: {len(mutations)} mutations"
        assert sum(m.names is not None for m in mutations) >= 2, grade_id


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_assignment_has_ten_mutations_most_of_them_named(assignment):
    """Issue 11: at least 10 mistakes per assignment, and at least 80% with a ``names``
    phrase, which ``test_mutation_fails_its_check`` finds in the failure message."""
    mutations = [m for by_cell in MUTATIONS.get(assignment, {}).values() for m in by_cell]
    named = sum(m.names is not None for m in mutations)
    assert len(mutations) >= 10, f"{assignment}: {len(mutations)} mutations"
    assert named >= 0.8 * len(mutations), f"{assignment}: {named} of {len(mutations)} named"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # a mutant may overflow on purpose
@pytest.mark.parametrize(("assignment", "grade_id", "mutation"), _cases())
def test_mutation_fails_its_check_and_the_self_check_says_so(
    assignment, grade_id, mutation, capsys
):
    """Every mutation loses points, and a learner's self-check (the visible cases) fails
    whenever grading (the hidden cases) does: the visible cases cover every option."""
    [(nb, _, name, answer)] = [g for g in _graded(assignment) if g[1] == grade_id]
    [cell] = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") == mutation.answer]
    assert mutation.old in cell.source, f"the solution no longer contains {mutation.old!r}"
    cell.source = cell.source.replace(mutation.old, mutation.new, mutation.count)
    namespace = namespace_from(nb)
    check, value = getattr(namespace["check"], name), eval(answer, namespace)
    visible = first_failure(check, value, hidden=False)
    hidden = first_failure(check, value, hidden=True)
    assert visible or hidden, "the mutation passes every case"
    assert visible, f"the self-check passes what grading fails:\n{hidden}"
    if mutation.names:
        assert mutation.names in str(visible), visible
        # Named by its stable id too (grades.csv's mistake column), not by the words alone.
        assert getattr(visible, "mistake", None), f"no mistake id for:\n{visible}"


# One mutation from each of three notebooks, by the words that name it in English.
IN_CHINESE = [
    ("02_lstm", "basic_lstm_cell_test", "forget_bias is missing"),
    ("03_gru", "gru_cell_test", "r and u are swapped"),
    ("09_char_rnn", "temperature_softmax_test", "the logits are multiplied by the temperature"),
]


@pytest.mark.parametrize(("assignment", "grade_id", "names"), IN_CHINESE)
def test_a_mutation_is_named_in_chinese_with_the_same_mistake_id(
    assignment, grade_id, names, monkeypatch, capsys
):
    """The self-check of a learner who reads Chinese (``RNN_COURSE_LANG=zh``) names the same
    mistake, by the same id, in Chinese."""
    [mutation] = [m for m in MUTATIONS[assignment][grade_id] if m.names == names]
    [(nb, _, name, answer)] = [g for g in _graded(assignment) if g[1] == grade_id]
    [cell] = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") == mutation.answer]
    cell.source = cell.source.replace(mutation.old, mutation.new, mutation.count)
    namespace = namespace_from(nb)
    check, value = getattr(namespace["check"], name), eval(answer, namespace)
    said = {}
    for lang in ("en", "zh"):
        monkeypatch.setenv("RNN_COURSE_LANG", lang)
        said[lang] = first_failure(check, value, hidden=False)
    assert names in str(said["en"]) and names not in str(said["zh"])
    assert said["zh"].mistake and said["zh"].mistake == said["en"].mistake
    exercise = registry.exercises()[name]
    [mistake] = [m for m in exercise.mistakes.values() if m.id == said["zh"].mistake]
    with i18n.using("zh"):
        assert str(mistake.message) in str(said["zh"]), said["zh"]
    assert "这正是以下错误会得到的结果" in str(said["zh"])


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solutions_pass_in_process(assignment, capsys):
    for nb, _, name, answer in _graded(assignment):
        _run(namespace_from(nb), name, answer)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_stubs_fail_every_check(assignment, capsys):
    for nb, _, name, answer in _graded(assignment, base=COURSE):
        with pytest.raises(AssertionError, match="not written yet"):
            _run(namespace_from(nb), name, answer)
