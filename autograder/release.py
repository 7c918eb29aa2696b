"""The course's releases, one per language: what learners open.

``course/`` is nbgrader's release of ``solutions/``. ``course-zh/`` is the same release made
from the same source with ``i18n/zh/`` applied: the translated notebooks are written to a
temporary source tree, and the same nbgrader generation runs on it, so the two editions share
their assignments, notebooks and graded cells (ids, points, test code) and one gradebook
grades a mixed class. Each assignment folder also gets the glossary in its language, rendered
from the book's ``docs/glossary.md`` (so the two can never disagree) or its translation
``i18n/<lang>/glossary.md`` (same terms, same order); a translated edition gets its README
(``i18n/<lang>/README.md``).
"""

import re
import shutil
import tempfile
from pathlib import Path

import nbformat

from autograder import course, translation

ROOT = Path(__file__).resolve().parent.parent
# Each edition's folder; its glossary's source, title and file name; nbgrader's stubs in
# its language. The glossaries are the project's own, whichever course is released.
FOLDERS = {"en": "course", "zh": "course-zh"}
GLOSSARY_SOURCES = {
    "en": ROOT / "docs" / "glossary.md",
    "zh": ROOT / "i18n" / "zh" / "glossary.md",
}
GLOSSARY_TITLES = {"en": "# 术语表 · Glossary", "zh": "# 术语表"}
GLOSSARY_FILES = {"en": "GLOSSARY.md", "zh": "术语表.md"}
STUBS = {
    "en": course.Stubs(),
    "zh": course.Stubs(
        code="# 在这里写你的代码\nraise NotImplementedError()", text="在这里写下你的回答"
    ),
}

_ROLE = re.compile(r"\{py:\w+\}`(~?)([\w.]+)`")


def _plain_role(match: re.Match) -> str:
    """Sphinx's ``{py:class}`~rnnref.np.X``` as plain code: ``X`` (the ``~`` form) or the
    full dotted name."""
    short, name = match.groups()
    return f"`{name.rsplit('.', 1)[-1] if short else name}`"


def glossary_markdown(lang: str = translation.SOURCE_LANGUAGE) -> str:
    """``lang``'s glossary (MyST: a title line, an intro, a ``{glossary}`` block of terms and
    indented definitions) as plain markdown any notebook server renders, under the edition's
    title: each term in bold, its definition below."""
    lines = GLOSSARY_SOURCES[lang].read_text(encoding="utf-8").split("\n")
    out = [GLOSSARY_TITLES[lang]]
    inside = False
    for line in lines[1:]:  # the first line is the source's own title
        if line.startswith(":::{glossary}"):
            inside = True
            continue
        if inside and line.startswith(":::"):
            inside = False
            continue
        if inside and line and not line.startswith(" "):
            out += ["", f"**{line.strip()}**", ""]
        elif inside:
            out.append(line.strip())
        else:
            out.append(line)
    body = _ROLE.sub(_plain_role, "\n".join(out))
    return re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"


def source_tree(solutions: Path, lang: str, scratch: Path, i18n: Path) -> Path:
    """``solutions/`` with every notebook in ``lang``, under ``scratch``; raises ValueError
    (naming notebooks and cells) when a translation is missing, stale or changes code."""
    if lang == translation.SOURCE_LANGUAGE:
        return solutions
    tree = scratch / "source"
    for assignment in course.assignments(solutions):
        shutil.copytree(
            solutions / assignment,
            tree / assignment,
            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"),
        )
        for name in course.notebooks(solutions, assignment):
            notebook = solutions / assignment / f"{name}.ipynb"
            entries = translation.load(
                translation.translation_path(notebook, lang, solutions, i18n), lang
            )
            nb = nbformat.read(notebook, as_version=4)
            translation.apply(nb, entries, lang, f"{assignment}/{name}")
            nbformat.write(nb, tree / assignment / f"{name}.ipynb")
    return tree


def editions(root: Path) -> list[str]:
    """The editions ``root`` has: English, and each language with translations in
    ``root/i18n/<lang>/`` (a course of one's own, with none, releases English only)."""
    return [
        lang
        for lang in FOLDERS
        if lang == translation.SOURCE_LANGUAGE or (root / "i18n" / lang).is_dir()
    ]


def release(root: Path, lang: str) -> list[str]:
    """Generate every assignment of ``root/solutions`` into ``lang``'s edition folder
    (``root/course`` or ``root/course-zh``), translated with ``root/i18n``; the assignments
    released, in order.

    Byte for byte the same output for the same input: nbgrader's generation is, and the
    translated source tree is written the same way every time.
    """
    if lang not in FOLDERS:
        raise ValueError(f"expected a language among {sorted(FOLDERS)}, got {lang!r}")
    solutions, out, i18n = root / "solutions", root / FOLDERS[lang], root / "i18n"
    names = course.assignments(solutions)
    if not names:
        raise ValueError(f"no assignments in {solutions}: expected <assignment>/<name>.ipynb")
    glossary = glossary_markdown(lang)
    with tempfile.TemporaryDirectory(prefix="autograder-edition-") as scratch:
        source = source_tree(solutions, lang, Path(scratch), i18n)
        for name in names:
            course.generate(source, out, name, stubs=STUBS[lang])
            (out / name / GLOSSARY_FILES[lang]).write_text(glossary, encoding="utf-8")
    readme = i18n / lang / "README.md"  # an edition's own README, written in its language
    if lang != translation.SOURCE_LANGUAGE and readme.exists():
        shutil.copyfile(readme, out / "README.md")
    return names
