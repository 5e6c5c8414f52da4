"""The book (``make book``) in a real browser: ``docs/check_book.py`` on small synthetic sites,
working and deliberately broken, and on the real site when ``BOOK_SITE`` names it.

Skipped unless the book's requirements (requirements-book.txt) and Debian's chromium and
chromium-driver are installed; ``make book-test`` installs them and sets ``BOOK_SITE``, and then
nothing is skipped: a missing piece fails.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REQUIRED = bool(os.environ.get("BOOK_SITE"))
if not REQUIRED:
    for _module in ("sphinx", "myst_nb", "sphinx_book_theme", "selenium", "mathjax"):
        pytest.importorskip(_module)

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "docs"))

import check_book  # noqa: E402

_missing = check_book.browser_available()
pytestmark = pytest.mark.skipif(_missing is not None and not REQUIRED,
                                reason=f"no browser: {_missing}")

# An 8x6 PNG (one colour), written by hand so that the test needs no imaging library.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAGCAIAAABxZ0isAAAAEUlEQVR4nGOQL9+CFTEMpAQABlQ94bntZnIAAAAAS"
    "UVORK5CYII=")
CHECK_MARKER = "total_is_three_check"
UNIQUE_WORD = "zymurgically"


def _markdown(source: str, tags: list[str] | None = None) -> dict:
    return {"cell_type": "markdown", "id": f"md{abs(hash(source)) % 10**8}",
            "metadata": {"tags": tags or []}, "source": source}


def _code(source: str, outputs: list[dict] | None = None, tags: list[str] | None = None,
          hidden: bool = False) -> dict:
    metadata: dict = {"tags": tags or []}
    if hidden:
        metadata["jupyter"] = {"source_hidden": True}
    return {"cell_type": "code", "id": f"c{abs(hash(source)) % 10**8}", "metadata": metadata,
            "execution_count": 1, "source": source, "outputs": outputs or []}


def _stream(name: str, text: str) -> dict:
    return {"output_type": "stream", "name": name, "text": text}


def _notebook(cells: list[dict]) -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"},
                         "language_info": {"name": "python"}}}


def write_tiny_repo(root: Path, tag_check_cell: bool = True,
                    link: str = "01_alpha.ipynb#a-section") -> tuple[Path, Path]:
    """Two notebooks and a README with their table; returns (notebooks dir, README)."""
    notebooks = root / "notebooks"
    notebooks.mkdir(parents=True)
    figure = {"output_type": "display_data", "metadata": {},
              "data": {"image/png": base64.b64encode(PNG).decode(), "text/plain": "<Figure>"}}
    first = _notebook([
        _markdown("# 01 · Alpha\n\nThe inertia $J = \\sum_i \\|x_i - \\mu_{c(i)}\\|^2$ is "
                  "small.\n\n$$\nJ = \\sum_{i=1}^n x_i\n$$"),
        _code("total = 1 + 2\nprint(total)", [_stream("stdout", "3\n"),
                                              _stream("stderr", "a warning on stderr\n")]),
        _markdown("## A section\n\nA figure."),
        _code("show()", [figure]),
        _code("for step in range(3):\n    bar(step)",
              [_stream("stdout", "\rpass 1: [#.] 1/2"), _stream("stdout", "\rpass 1: [##] 2/2\n")]),
        _code(f"# {CHECK_MARKER}\nassert total == 3", tags=["remove-cell"] if tag_check_cell
              else [], hidden=True),
        _markdown("### Exercise: double it\n\nWrite `double(x)`.", tags=["exercise"]),
        _code("def double(x):\n    ### BEGIN SOLUTION\n    ### HINT: multiply by two\n"
              "    return 2 * x\n    ### END SOLUTION", tags=["exercise"]),
        _code("check_double(double)", [_stream("stdout", "double: all cases pass\n")],
              tags=["exercise"]),
    ])
    second = _notebook([
        _markdown(f"# 02 · Beta\n\nBack to [the section of chapter 1]({link})"
                  f" and [chapter 1](01_alpha.ipynb). The word {UNIQUE_WORD} is only here."),
        _code("print('beta')", [_stream("stdout", "beta\n")]),
    ])
    (notebooks / "01_alpha.ipynb").write_text(json.dumps(first, indent=1), encoding="utf-8")
    (notebooks / "02_beta.ipynb").write_text(json.dumps(second, indent=1), encoding="utf-8")
    readme = root / "README.md"
    readme.write_text(
        "# Tiny book\n\nTwo notebooks, see [the data](data/README.md).\n\n## Quick start\n\n"
        "make.\n\n## Notebooks\n\n| notebook | question |\n| --- | --- |\n"
        "| [01_alpha](notebooks/01_alpha.ipynb) | What is alpha? |\n"
        "| [02_beta](notebooks/02_beta.ipynb) | Why beta? |\n\nAfter the table.\n",
        encoding="utf-8")
    return notebooks, readme


def run_build(root: Path, **kwargs) -> tuple[subprocess.CompletedProcess, Path]:
    notebooks, readme = write_tiny_repo(root, **kwargs)
    site = root / "site"
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "docs" / "build_book.py"), "--notebooks",
         str(notebooks), "--readme", str(readme), "--out", str(site), "--no-api"],
        capture_output=True, text=True, timeout=300)
    return result, site


def build_tiny(root: Path, **kwargs) -> Path:
    result, site = run_build(root, **kwargs)
    assert result.returncode == 0, result.stdout + result.stderr
    return site


def _all_problems(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{page}: {problem}" for page, found in problems.items()
                     for problem in found)


@pytest.fixture(scope="module")
def tiny_site(tmp_path_factory) -> Path:
    return build_tiny(tmp_path_factory.mktemp("tiny"))


def test_tiny_book_passes_and_hides_what_it_should(tiny_site):
    problems = check_book.check_site(tiny_site)
    assert problems == {}, _all_problems(problems)
    assert check_book.site_pages(tiny_site) == ["01_alpha.html", "02_beta.html", "genindex.html",
                                                "index.html", "search.html"]
    page = (tiny_site / "01_alpha.html").read_text(encoding="utf-8")
    assert CHECK_MARKER not in page
    assert "a warning on stderr" not in page
    assert "[#.] 1/2" not in page and "pass 1: [##] 2/2" in page
    assert "Your turn: multiply by two" in page  # the student's stub, shown
    assert "Show a solution" in page  # the solution, folded
    assert "double: all cases pass" not in page  # exercise outputs cleared, as for students
    # The download link gives the notebook itself, the check cell included.
    source = (tiny_site / "_sources" / "01_alpha.ipynb").read_text(encoding="utf-8")
    assert CHECK_MARKER in source
    beta = (tiny_site / "02_beta.html").read_text(encoding="utf-8")
    assert 'href="01_alpha.html#a-section"' in beta and 'href="01_alpha.html"' in beta
    index = (tiny_site / "index.html").read_text(encoding="utf-8")
    assert 'href="02_beta.html"' in index and "Why beta?" in index
    assert "02 · Beta" in index  # the table's links show the chapters' titles


def test_truncated_figure_fails(tiny_site, tmp_path):
    broken = tmp_path / "site"
    shutil.copytree(tiny_site, broken)
    (png,) = (broken / "_images").glob("*.png")
    png.write_bytes(png.read_bytes()[:40])
    problems = check_book.check_site(broken, search=False)
    assert list(problems) == ["01_alpha.html"], _all_problems(problems)
    assert any("image not loaded" in problem for problem in problems["01_alpha.html"])


def test_broken_image_and_link_fail(tiny_site, tmp_path):
    broken = tmp_path / "site"
    shutil.copytree(tiny_site, broken)
    page = broken / "02_beta.html"
    html = page.read_text(encoding="utf-8")
    html = html.replace("<h1>", '<img src="_images/missing.png" alt="gone">'
                        '<a href="03_gamma.html">gone</a><a href="01_alpha.html#nowhere">x</a>'
                        "<h1>", 1)
    page.write_text(html, encoding="utf-8")
    problems = _all_problems(check_book.check_site(broken, search=False))
    assert "02_beta.html: image not loaded: _images/missing.png" in problems
    assert "02_beta.html: broken link: 03_gamma.html" in problems
    assert "02_beta.html: link to a missing anchor: 01_alpha.html#nowhere" in problems
    assert "console error" in problems  # the 404s of the missing image and page


def test_untagged_check_cell_fails(tmp_path):
    site = build_tiny(tmp_path, tag_check_cell=False)
    problems = check_book.check_site(site, search=False)
    assert list(problems) == ["01_alpha.html"], _all_problems(problems)
    assert any("a check cell is shown" in problem for problem in problems["01_alpha.html"])


def test_link_to_a_missing_notebook_fails_the_build(tmp_path):
    result, _ = run_build(tmp_path, link="09_missing.ipynb")
    assert result.returncode != 0
    assert "09_missing" in result.stderr, result.stderr


@pytest.mark.skipif(not REQUIRED,
                    reason="BOOK_SITE unset (make book-test builds the book and sets it)")
def test_the_book():
    site = Path(os.environ["BOOK_SITE"])
    assert (site / "index.html").exists(), f"{site}: no book; run make book"
    shots = Path(os.environ.get("BOOK_SCREENSHOTS", REPO_ROOT / "build" / "book-screenshots"))
    problems = check_book.check_site(site, screenshot_dir=shots)
    assert problems == {}, _all_problems(problems)
    assert (shots / "index.png").exists()
