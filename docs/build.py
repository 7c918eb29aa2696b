"""Builds the book into build/book/html (`make book`) and prints where it is.

1. Stages Sphinx's source tree in build/book/src: the pages of docs/, the instructors' guide
   from deploy/jupyterhub/README.md, and the course's notebooks transformed for reading
   (docs/notebooks.py). Files are rewritten only when they change, so Sphinx and myst-nb's
   execution cache redo only what changed.
2. Copies the part of MathJax that typesetting TeX needs from docs/node_modules (npm) into
   build/book/static/mathjax, which Sphinx publishes as _static/mathjax.
3. Runs the notebooks that myst-nb's execution cache lacks, two at a time, into the cache
   (myst-nb would run them one after another while Sphinx reads them). The cache knows a
   notebook by its code alone, so it is emptied when what the notebooks import changes.
4. Runs Sphinx with warnings as errors (-W --keep-going), reading every page afresh (-E)
   when docs/conf.py changed since the last build: Sphinx's viewcode otherwise keeps entries
   from the old configuration, and the "[source]" pages link to anchors that no longer exist.
"""

import hashlib
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import conf  # Sphinx's configuration: the execution cache's path and the cell timeout
import nbformat
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution
from notebooks import write_course
from sphinx.cmd.build import build_main

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
BOOK = ROOT / "build" / "book"
SOURCE, HTML = BOOK / "src", BOOK / "html"
PAGES = (".md", ".rst")
MATHJAX = DOCS / "node_modules" / "mathjax" / "es5"
# tex-chtml.js and what it loads on demand: TeX extensions, the HTML output and its fonts,
# the menu, and the accessibility tools (speech included), nothing else of the 24 MB package.
MATHJAX_PARTS = ["tex-chtml.js", "input", "output/chtml", "ui", "a11y", "sre", "adaptors"]
GUIDE = ROOT / "deploy" / "jupyterhub" / "README.md"
# What the course's notebooks import besides NumPy and matplotlib: the learner's side of
# the autograder (its cells, checks and figures).
IMPORTED = ROOT / "autograder" / "learner"


def _write_if_changed(path: Path, data: bytes) -> None:
    if not path.exists() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def stage_sources() -> None:
    staged = set()
    for page in DOCS.rglob("*"):
        relative = page.relative_to(DOCS)
        if page.suffix in PAGES and "node_modules" not in relative.parts:
            _write_if_changed(SOURCE / relative, page.read_bytes())
            staged.add(SOURCE / relative)
    title, rest = GUIDE.read_text(encoding="utf-8").split("\n", 1)
    where = (
        '\n*This page is the repository\'s `deploy/jupyterhub/README.md`: "this folder" '
        "below is `deploy/jupyterhub/`.*\n"
    )
    _write_if_changed(SOURCE / "instructors" / "jupyterhub.md", f"{title}\n{where}{rest}".encode())
    staged.add(SOURCE / "instructors" / "jupyterhub.md")
    staged.update(
        SOURCE / "course" / p for p in write_course(ROOT / "solutions", SOURCE / "course")
    )
    for stale in [p for p in SOURCE.rglob("*") if p.is_file() and p not in staged]:
        stale.unlink()  # a page removed from docs/ or solutions/ leaves the book too


def _execute(path: Path) -> tuple[nbformat.NotebookNode, float, bool]:
    """One notebook run as myst-nb runs it (in its folder): (notebook, seconds, failed)."""
    notebook = nbformat.read(path, as_version=4)
    result = single_nb_execution(
        notebook,
        cwd=str(path.parent),
        allow_errors=False,
        timeout=conf.nb_execution_timeout,
        meta_override=True,
    )
    return notebook, result.time, result.err is not None


def _fingerprint(folder: Path) -> str:
    """A digest of every file under ``folder``: their paths and contents."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def execute_notebooks(workers: int = 2) -> None:
    """Put the staged notebooks that the execution cache lacks into it, ``workers`` at a time.

    myst-nb looks each notebook up in the same cache, by its code, and finds them there. One
    that fails is left out: myst-nb runs it again and fails the build with its traceback.
    Outputs made with other code of ``IMPORTED`` would otherwise be found as well (a changed
    check's message, a changed figure), so the cache is emptied when that code changes.
    """
    stamp = Path(conf.nb_execution_cache_path).with_suffix(".imports")
    fingerprint = _fingerprint(IMPORTED)
    cache = get_cache(conf.nb_execution_cache_path)
    if not stamp.exists() or stamp.read_text() != fingerprint:
        cache.clear_cache()
        stamp.write_text(fingerprint)
    missing = []
    for path in sorted(SOURCE.rglob("*.ipynb")):
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            missing.append(path)
    with ProcessPoolExecutor(min(workers, len(missing)) or 1) as pool:
        results = pool.map(_execute, missing)
        for path, (notebook, seconds, failed) in zip(missing, results, strict=True):
            if not failed:
                record = cache.add_nb_to_project(str(path))
                bundle = CacheBundleIn(notebook, record.uri, data={"execution_seconds": seconds})
                cache.cache_notebook_bundle(bundle, check_validity=False, overwrite=True)


def stage_mathjax() -> None:
    if not (MATHJAX / "tex-chtml.js").exists():
        sys.exit(
            f"book: MathJax is missing from {MATHJAX}; `make book` installs it "
            "(npm install --prefix docs)"
        )
    target = BOOK / "static" / "mathjax"
    for part in MATHJAX_PARTS:
        source = MATHJAX / part
        if source.is_dir():
            shutil.copytree(source, target / part, dirs_exist_ok=True)
        else:
            _write_if_changed(target / part, source.read_bytes())


def main() -> int:
    start = time.perf_counter()
    stage_sources()
    stage_mathjax()
    execute_notebooks()
    environment = BOOK / "doctrees" / "environment.pickle"
    fresh = (
        ["-E"]
        if (
            environment.exists()
            and environment.stat().st_mtime < (DOCS / "conf.py").stat().st_mtime
        )
        else []
    )
    status = build_main(
        [
            *fresh,
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-c",
            str(DOCS),
            "-w",
            str(BOOK / "warnings.txt"),
            "-d",
            str(BOOK / "doctrees"),
            str(SOURCE),
            str(HTML),
        ]
    )
    seconds = time.perf_counter() - start
    if status:
        print(f"book: the build FAILED after {seconds:.0f} s (warnings count as errors, above)")
    else:
        print(f"book: built in {seconds:.0f} s; open {HTML / 'index.html'}")
    return status


if __name__ == "__main__":
    sys.exit(main())
