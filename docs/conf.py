"""Sphinx's configuration for the book (docs/build.py runs Sphinx with it; `make book`)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "build" / "book"
sys.path.insert(0, str(ROOT))  # autodoc imports rnnref from this checkout

project = "Recurrent networks as TensorFlow built them"
author = "the rnn-course authors"
copyright = "the rnn-course authors, MIT licence"
language = "en"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinx.ext.mathjax",
    "sphinx.ext.githubpages",  # .nojekyll: GitHub Pages would drop _static/ and _images/
]

# Markdown pages and notebooks: $...$ and $$...$$ math, ::: fences for notes.
myst_enable_extensions = ["colon_fence", "dollarmath"]

# Each notebook runs once, and again when its code or autograder/learner changes (build.py);
# the cache lives in build/
nb_execution_mode = "cache"
nb_execution_cache_path = str(BOOK / "jupyter_cache")
nb_execution_timeout = 600
nb_execution_raise_on_error = True  # an error in a notebook fails the build, never shows up
nb_code_prompt_show = "Show the answer"
nb_code_prompt_hide = "Hide the answer"
nb_merge_streams = True
# The book is offline: no require.js or widget manager from a CDN.
nb_ipywidgets_js = {}
# TensorFlow's C++ start-up chatter is not part of the lesson.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

autodoc_default_options = {"members": True, "member-order": "bysource"}
# Types in the text only where a parameter is described; signatures stay short.
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented"
# The page contents name rnnref.np.X and rnnref.tf.X apart.
toc_object_entries_show_parents = "all"
napoleon_google_docstring = True
napoleon_numpy_docstring = False

# MathJax 3 from the npm registry (docs/package.json), copied into _static/ by docs/build.py:
# the site loads nothing from the network.
mathjax_path = "mathjax/tex-chtml.js"
html_static_path = ["_static", str(BOOK / "static")]
html_css_files = ["book.css"]
# textmacros: `\text{forget\_bias}` shows forget_bias, as the notebooks write it.
mathjax3_config = {
    "loader": {"load": ["[tex]/textmacros"]},
    "tex": {"packages": {"[+]": ["textmacros"]}},
}

html_theme = "sphinx_book_theme"
html_title = "RNNs as TensorFlow built them"
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "navigation_with_keys": False,
}
html_show_sourcelink = False
html_copy_source = False


def literal_equation_blocks(app, what, name, obj, options, lines):
    """Shows a docstring's indented equation block as written, in a fixed-width block.

    rnnref's docstrings set their equations off as an indented block after a paragraph, as
    plain text; reStructuredText would read that as a block quote, and a continuation line
    indented further as an error. Each such block becomes a ``code-block`` of plain text.
    Napoleon has already turned Google-style sections into fields and directives, whose
    indented bodies follow a line starting with ``:`` or ``..`` and are left alone.
    """
    result, previous = [], ""
    for index, line in enumerate(lines):
        starts_block = (
            line.startswith((" ", "\t"))
            and line.strip()
            and index > 0
            and not lines[index - 1].strip()
            and previous
            and not previous.lstrip().startswith((":", ".."))
            and not previous.rstrip().endswith("::")
            and not previous.startswith((" ", "\t"))
        )
        if starts_block:
            result[-1:] = ["", ".. code-block:: none", ""]
        result.append(line)
        if line.strip():
            previous = line
    lines[:] = result


def setup(app):
    app.connect("autodoc-process-docstring", literal_equation_blocks, priority=900)
