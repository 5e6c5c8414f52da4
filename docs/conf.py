"""Sphinx configuration of the book (``make book``; ``docs/build_book.py`` passes ``-c docs``).

The sources are staged by ``docs/build_book.py`` in ``build/book-src/``: ``index.md`` and
``api.md`` generated, the notebooks copied as they are. Notebooks are never executed here
(``nb_execution_mode = "off"``): the book shows their stored outputs. What a reader must not
see is handled in two places: myst-nb drops cells tagged ``remove-cell`` (the check cells) and
stderr; ``bookprep.reader_notebook`` (connected to ``source-read`` below) folds the exercises'
solutions and merges stream outputs as a terminal shows them.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # clustering_lib for autodoc

import bookprep  # noqa: E402

project = "k-means, in depth"
author = "the authors of this repository"
copyright = "the authors of this repository"

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.mathjax", "numpydoc"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
suppress_warnings = ["myst.header"]  # notebooks may skip heading levels in places

# --- notebooks: stored outputs only, nothing a reader should not see
nb_execution_mode = "off"
nb_output_stderr = "remove"
nb_merge_streams = False  # merged by bookprep as a terminal would (myst-nb adds newlines)
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3  # links such as 04_kmeans_loss_mnist.ipynb#some-heading

# --- API page
autodoc_default_options = {"member-order": "bysource"}
toc_object_entries = False  # the page's contents list the modules, not every function
autodoc_typehints = "none"  # numpydoc sections carry the types
autodoc_inherit_docstrings = False  # a method without its own docstring (Keras overrides) stays out
numpydoc_show_class_members = False
numpydoc_validation_checks: set[str] = set()
numpydoc_xref_param_type = False

# --- HTML
html_theme = "sphinx_book_theme"
html_title = "k-means, in depth"
html_sourcelink_suffix = ""  # _sources/NAME.ipynb is the notebook, not NAME.ipynb.txt
html_copy_source = True
html_static_path = ["_static"]
html_css_files = ["book.css"]
html_last_updated_fmt = None
html_theme_options = {
    "use_download_button": True,  # the notebook itself (.ipynb), every cell included
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "show_toc_level": 2,  # "Contents" of each chapter, right-hand side
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
}
html_show_sphinx = False
html_favicon = "_static/favicon.svg"  # else the browser asks for /favicon.ico (a 404)
html_context = {"default_mode": "light"}

# MathJax 3 from the django-static-mathjax wheel (requirements-book.txt), served by the site
# itself: the book must render equations offline.
mathjax_path = "mathjax/tex-chtml.js"
_MATHJAX_PARTS = ["tex-chtml.js", "input/tex/extensions", "output/chtml/fonts/woff-v2",
                  "a11y", "ui", "adaptors"]


def _copy_mathjax(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    import mathjax  # django-static-mathjax

    source = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    target = Path(app.outdir) / "_static" / "mathjax"
    for part in _MATHJAX_PARTS:
        src, dst = source / part, target / part
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def _reader_version(app, docname, source):
    """The notebook as a reader sees it (bookprep.reader_notebook); other sources as they are."""
    if app.env.doc2path(docname).suffix == ".ipynb":
        source[0] = bookprep.reader_notebook_json(source[0], f"{docname}.ipynb")


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Leave out members a class inherits or gets generated from scikit-learn (set_fit_request
    and the other metadata-routing methods): the page documents this library."""
    module = getattr(obj, "__module__", None) or ""
    if what == "class" and module and not module.startswith(("clustering_lib", "builtins")):
        return True
    if (getattr(obj, "__doc__", None) or "").startswith("Alias for field number"):
        return True  # a named tuple's fields: the class docstring describes them
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)
    app.connect("source-read", _reader_version)
    app.connect("build-finished", _copy_mathjax)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
