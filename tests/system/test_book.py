"""The reading edition (`make book`): it builds cleanly, shows the course, links to itself,
loads nothing from the network, and reads well in Chromium.

The module builds the book once, as ``make book`` does (``docs/build.py``; the notebooks'
execution cache under build/book/ makes a rebuild take seconds), then checks the HTML it wrote:

- the build reports no warning (Sphinx runs with -W, and writes its warnings to a file);
- every course notebook has a page, with as many figures as the notebook draws, no error
  output, every answer folded behind a toggle and every graded check replaced by a note;
- every public class and function of ``rnnref.np`` and ``rnnref.tf`` has an API entry;
- every local link and image resolves, anchors included, and no page loads a script, style
  sheet, font or image from the internet;
- in Debian's Chromium, opened from the file system with every network request refused, the
  LSTM chapter shows typeset equations and its figure, and the search page finds
  ``forget_bias``. Screenshots go to ``out/book/``.
"""

import importlib.util
import os
import re
import subprocess
import sys
import types
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

import rnnref.np
import rnnref.tf
from tests.system.browser_support import CHROMIUM, chromium_page

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "build" / "book"
HTML = BOOK / "html"
OUT = ROOT / "out" / "book"
SOLUTIONS = sorted((ROOT / "solutions").glob("*/*.ipynb"))
WAIT_MS = 60_000


VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class Page(HTMLParser):
    """What the tests need from one HTML page: its ids, links, resources, images, text."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.text = path.read_text(encoding="utf-8")
        self.ids: set[str] = set()
        self.links: list[str] = []  # <a href>
        self.resources: list[tuple[str, str]] = []  # (tag, url) the browser loads
        self.output_images: list[str] = []  # <img src> inside a notebook cell's output
        self.classes: list[str] = []
        self._depth = 0  # open elements
        self._output_depth = 0  # the depth of the cell output we are in, 0 outside one
        self.feed(self.text)

    def handle_starttag(self, tag, attrs):
        self._element(tag, dict(attrs), opens=tag not in VOID)

    def handle_startendtag(self, tag, attrs):
        self._element(tag, dict(attrs), opens=False)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self._output_depth == self._depth:
            self._output_depth = 0
        self._depth -= 1

    def _element(self, tag, attrs, opens):
        classes = attrs.get("class") or ""
        self.classes.append(classes)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag in ("script", "img", "iframe", "source") and attrs.get("src"):
            self.resources.append((tag, attrs["src"]))
        elif tag == "link" and attrs.get("href"):
            self.resources.append((tag, attrs["href"]))
        if tag == "img" and self._output_depth:
            self.output_images.append(attrs.get("src", ""))
        if opens:
            self._depth += 1
            if "cell_output" in classes.split() and not self._output_depth:
                self._output_depth = self._depth


@pytest.fixture(scope="module")
def build():
    """Builds the book as `make book` does, and returns what the build printed."""
    if not (ROOT / "docs" / "node_modules" / "mathjax").exists():
        pytest.fail(
            "MathJax is not installed in docs/node_modules: run `make book` or "
            "`make test`, which install it from the npm registry"
        )
    # The kernels run as under `make book`: conftest.py's legacy-Keras switch is for tests.
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "build.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    printed = done.stdout + done.stderr
    assert done.returncode == 0, f"`make book` failed:\n{printed[-8000:]}"
    return printed


@pytest.fixture(scope="module")
def pages(build):
    """Every page of the built site (MathJax's own files aside), parsed."""
    return {
        path: Page(path)
        for path in HTML.rglob("*.html")
        if "_static" not in path.relative_to(HTML).parts
    }


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _page_of(notebook: Path) -> Path:
    return HTML / "course" / notebook.parent.name / f"{notebook.stem}.html"


def test_the_execution_cache_is_emptied_when_what_the_notebooks_import_changes(
    monkeypatch, tmp_path
):
    monkeypatch.syspath_prepend(str(ROOT / "docs"))
    build = _load("book_build", ROOT / "docs" / "build.py")
    imported, source, cache = tmp_path / "learner", tmp_path / "src", tmp_path / "cache"
    (imported / "checks").mkdir(parents=True)
    source.mkdir()
    monkeypatch.setattr(build, "IMPORTED", imported)
    monkeypatch.setattr(build, "SOURCE", source)
    monkeypatch.setattr(build.conf, "nb_execution_cache_path", str(cache))
    check = imported / "checks" / "rnn_cell.py"
    kept = cache / "executed" / "a-run"

    def run_with_a_cached_result() -> bool:
        """Whether a result cached before ``execute_notebooks`` is still there after it."""
        kept.mkdir(parents=True, exist_ok=True)
        build.execute_notebooks()
        return kept.exists()

    check.write_text("MESSAGE = 'expected shape'\n")
    assert not run_with_a_cached_result()  # no record of what made the cache: emptied
    assert run_with_a_cached_result()  # the same code: kept
    (imported / "__pycache__").mkdir()
    (imported / "__pycache__" / "cells.cpython-311.pyc").write_bytes(b"compiled")
    assert run_with_a_cached_result()  # Python's own byte code is not the code
    check.write_text("MESSAGE = 'expected the shape'\n")
    assert not run_with_a_cached_result()  # a check's message changed: emptied
    check.rename(imported / "checks" / "lstm.py")
    assert not run_with_a_cached_result()  # a file renamed: emptied


@pytest.mark.parametrize(
    "setup",
    ["from example_checks import rnn_cell as check", "import example_checks.rnn_cell as check"],
)
def test_the_transformation_folds_answers_and_explains_checks(monkeypatch, setup):
    notebooks = _load("notebooks", ROOT / "docs" / "notebooks.py")
    checks = types.ModuleType("example_checks.rnn_cell")

    def unroll(answer, hidden=False):
        """Check your ``unroll``: the outputs of every step.

        Not shown: the details."""

    checks.unroll = unroll
    monkeypatch.setitem(sys.modules, checks.__name__, checks)
    solution = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(setup),
            nbformat.v4.new_markdown_cell(
                "$$\\begin{aligned}\n[i, j] &= x \\\\\n[k] &= y\n\\end{aligned}$$"
            ),
            nbformat.v4.new_code_cell(
                "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION",
                metadata={"nbgrader": {"solution": True, "grade_id": "a"}},
            ),
            nbformat.v4.new_code_cell(
                "check.unroll(f)\n### BEGIN HIDDEN TESTS\n"
                "check.unroll(f, hidden=True)\n### END HIDDEN TESTS",
                metadata={"nbgrader": {"grade": True, "grade_id": "t", "points": 2}},
            ),
        ]
    )
    setup, math, answer, note = notebooks.for_the_book(solution, Path("example.ipynb")).cells
    assert setup.source == solution.cells[0].source, "the setup cell is kept as it is"
    assert "{}[i, j]" in math.source and "\\\\\n{}[k]" in math.source
    assert answer.source == "def f():\n    return 1\n"
    assert answer.metadata.tags == ["hide-input"] and "nbgrader" not in answer.metadata
    assert note.cell_type == "markdown"
    assert "Graded check `t` (2 points)" in note.source and "`check.unroll(f)`" in note.source
    assert "hidden=True" not in note.source
    assert "Check your `unroll`: the outputs of every step." in note.source
    assert "details" not in note.source, "only the docstring's first paragraph"


def test_the_build_has_no_warnings(build):
    warnings = (BOOK / "warnings.txt").read_text(encoding="utf-8")
    assert not warnings.strip(), f"Sphinx warned:\n{warnings}"
    assert f"open {HTML / 'index.html'}" in build, "`make book` should say where the site is"


@pytest.mark.parametrize("notebook", SOLUTIONS, ids=lambda p: p.parent.name)
def test_each_chapter_shows_its_figures_and_no_errors(pages, notebook):
    page = pages.get(_page_of(notebook))
    assert page is not None, f"no page for {notebook.relative_to(ROOT)} at {_page_of(notebook)}"
    cells = nbformat.read(notebook, as_version=4).cells
    roles = [c.metadata.get("nbgrader", {}) for c in cells]
    figures = sum(c.source.count("plt.show()") for c in cells if c.cell_type == "code")
    kinds = [(c.cell_type, r) for c, r in zip(cells, roles, strict=True)]
    answers = sum(1 for kind, r in kinds if kind == "code" and r.get("solution"))
    written = sum(1 for kind, r in kinds if kind == "markdown" and r.get("solution"))
    checks = sum(1 for kind, r in kinds if kind == "code" and r.get("grade"))

    assert len(page.output_images) >= figures, (
        f"{notebook.name} draws {figures} figure(s); its page shows {len(page.output_images)}"
    )
    for src in page.output_images:
        assert (_page_of(notebook).parent / unquote(src)).is_file(), f"missing image {src}"
    assert not any("traceback" in c.split() or "stderr" in c.split() for c in page.classes), (
        f"{notebook.name}'s page shows an error or stderr output"
    )
    assert "Traceback (most recent call last)" not in page.text
    assert page.text.count("Show the answer") == answers, "each answer is folded away"
    assert page.text.count("A model answer") == written, "each written answer is folded away"
    assert page.text.count("Graded check <code") == checks, "each check is explained"
    text = re.sub(r"<[^>]+>", "", page.text)
    for marker in ("### BEGIN SOLUTION", "### END SOLUTION", "BEGIN HIDDEN TESTS"):
        assert marker not in text, f"{marker!r} shows on {notebook.name}'s page"


@pytest.mark.parametrize("module", [rnnref.np, rnnref.tf], ids=lambda m: m.__name__)
def test_every_public_name_has_an_api_entry(pages, module):
    documented = set().union(*(p.ids for path, p in pages.items() if path.parent.name == "api"))
    missing = [name for name in module.__all__ if f"{module.__name__}.{name}" not in documented]
    assert not missing, f"no API entry (docs/api/*.md) for {module.__name__}: {missing}"


def test_the_reference_links_to_its_source(pages):
    page = pages[HTML / "api" / "cells.html"]
    assert any("_modules/rnnref/np/cells.html#BasicLSTMCell" in link for link in page.links)


def test_local_links_and_anchors_resolve(pages):
    broken = []
    for path, page in pages.items():
        for url in page.links + [url for _, url in page.resources]:
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//"):
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.exists():
                broken.append(f"{path.relative_to(HTML)}: {url} (no such file)")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else Page(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{path.relative_to(HTML)}: {url} (no such anchor)")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_nothing_is_loaded_from_the_internet(pages):
    remote = [
        f"{path.relative_to(HTML)}: <{tag}> {url}"
        for path, page in pages.items()
        for tag, url in page.resources
        if re.match(r"(https?:)?//", url)
    ]
    styles = [
        f"{css.relative_to(HTML)}: {url}"
        for css in HTML.rglob("*.css")
        for url in re.findall(
            r"(?:url\(|@import\s)\s*['\"]?((?:https?:)?//[^'\")\s]+)",
            css.read_text(encoding="utf-8", errors="replace"),
        )
    ]
    assert not remote + styles, "the book must work offline:\n" + "\n".join(remote + styles)


def test_chromium_shows_equations_figures_and_search(build):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/ci-setup.sh installs Debian's chromium")
    OUT.mkdir(parents=True, exist_ok=True)
    refused = []
    with chromium_page(1280, 900, WAIT_MS) as page:

        def offline(route):
            if not route.request.url.startswith("file://"):
                refused.append(route.request.url)
                return route.abort()
            return route.continue_()

        page.route("**/*", offline)

        # The LSTM chapter: typeset equations (MathJax's output, not TeX) and its figure.
        page.goto((HTML / "course" / "02_lstm" / "lstm.html").as_uri())
        page.wait_for_selector("div.math mjx-container")
        page.wait_for_function(
            "document.querySelectorAll('div.math mjx-container').length"
            " === document.querySelectorAll('div.math').length"
        )
        # MathJax's hidden MathML says what each equation reads as: no TeX left in it.
        leftovers = page.evaluate(
            "[...document.querySelectorAll('mjx-container')].map(m => m.textContent)"
            ".filter(t => t.includes('\\\\'))"
        )
        assert not leftovers, f"equations show TeX source: {leftovers}"
        assert page.locator("mjx-merror").count() == 0, "MathJax could not typeset"
        figure = page.locator("div.cell_output img").first
        figure.scroll_into_view_if_needed()
        assert figure.evaluate("img => img.complete && img.naturalWidth > 0"), (
            "the LSTM chapter's figure did not load"
        )
        # The whole chapter, equations to figure, seen from the top with nothing focused.
        page.evaluate("window.scrollTo(0, 0); document.activeElement.blur()")
        page.screenshot(path=OUT / "lstm.png", full_page=True)

        # A chapter with a figure drawn by training: chapter 9's loss curve.
        page.goto((HTML / "course" / "09_char_rnn" / "char_rnn.html").as_uri())
        curve = page.locator("div.cell_output img").first
        curve.scroll_into_view_if_needed()
        assert curve.evaluate("img => img.complete && img.naturalWidth > 0")
        page.screenshot(path=OUT / "char_rnn_figure.png")

        # Sphinx's own search, offline: forget_bias is found in the reference.
        page.goto((HTML / "search.html").as_uri() + "?q=forget_bias")
        found = page.locator("#search-results ul.search li a")
        found.first.wait_for()
        hits = found.evaluate_all("links => links.map(a => a.getAttribute('href'))")
        page.screenshot(path=OUT / "search.png")
        assert any("api/cells.html" in hit for hit in hits), f"search found only {hits}"
    assert not refused, f"the book asked the network for {refused}"
