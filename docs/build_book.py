"""Build the book: a static site of the notebooks with their stored outputs (``make book``).

Usage::

    python docs/build_book.py                      # notebooks/*.ipynb -> build/book/
    python docs/build_book.py --notebooks DIR --readme FILE --out DIR --no-api   # (tests)

Stages the sources in ``<out>-src/`` (``index.md`` from the README's table, ``api.md`` from
``clustering_lib.__all__``, a copy of every ``notebooks/*.ipynb`` in name order) and runs Sphinx
with ``docs/conf.py``. Nothing is executed. Prints the page count and the time taken; exit
status 1 when Sphinx fails or warns (a broken cross-link, a malformed exercise), 0 otherwise.
Open ``build/book/index.html`` in a browser.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bookprep  # noqa: E402


def stage(notebooks: list[Path], readme: Path, src: Path, api: bool) -> list[str]:
    """Write the Sphinx sources into ``src`` (emptied first); return the front page's warnings."""
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    stems = [path.stem for path in notebooks]
    titles = {path.stem: title for path in notebooks
              if (title := bookprep.notebook_title(path)) is not None}
    index, warnings = bookprep.front_page(readme.read_text(encoding="utf-8"), stems, api=api,
                                          titles=titles)
    (src / "index.md").write_text(index, encoding="utf-8")
    if api:
        (src / "api.md").write_text(bookprep.api_page(), encoding="utf-8")
    for path in notebooks:
        shutil.copy2(path, src / path.name)
    return warnings


def build(notebooks_dir: Path, readme: Path, out: Path, api: bool = True,
          strict: bool = True) -> int:
    """Stage and build; return Sphinx's exit status (1 on warnings when ``strict``)."""
    from sphinx.cmd.build import build_main

    notebooks = sorted(notebooks_dir.glob("*.ipynb"))
    if not notebooks:
        print(f"{notebooks_dir}: no notebooks", file=sys.stderr)
        return 2
    src = out.parent / f"{out.name}-src"
    for warning in stage(notebooks, readme, src, api):
        print(f"WARNING: {warning}", file=sys.stderr)
    doctrees = out.parent / f"{out.name}-doctrees"
    shutil.rmtree(out, ignore_errors=True)
    args = ["-b", "html", "-c", str(HERE), "-d", str(doctrees), "-E", "-q",
            str(src), str(out)]
    if strict:
        args[0:0] = ["-W", "--keep-going"]
    return build_main(args)


def count_pages(out: Path) -> dict[str, int]:
    pages = [p for p in out.rglob("*.html") if not p.relative_to(out).parts[0].startswith("_")]
    chapters = [p for p in pages if (out / "_sources" / f"{p.stem}.ipynb").exists()]
    return {"pages": len(pages), "chapters": len(chapters)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=Path, default=REPO_ROOT / "notebooks")
    parser.add_argument("--readme", type=Path, default=REPO_ROOT / "README.md")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build" / "book")
    parser.add_argument("--no-api", dest="api", action="store_false",
                        help="leave out the API page (no import of clustering_lib)")
    parser.add_argument("--no-strict", dest="strict", action="store_false",
                        help="do not fail on Sphinx warnings")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    start = time.perf_counter()
    status = build(args.notebooks, args.readme, args.out, api=args.api, strict=args.strict)
    seconds = time.perf_counter() - start
    if status == 0:
        counts = count_pages(args.out)
        print(f"book: {counts['pages']} pages ({counts['chapters']} chapters) in "
              f"{args.out}/ in {seconds:.1f} s; open {args.out / 'index.html'}")
    else:
        print(f"book: Sphinx failed (status {status}) after {seconds:.1f} s", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
