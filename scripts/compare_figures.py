"""Compare the figures of executed notebooks with those of other executions, one by one.

Usage::

    python scripts/compare_figures.py notebooks/ build/executed/          # every common notebook
    python scripts/compare_figures.py stored.ipynb fresh.ipynb --tolerance 0.5
    python scripts/compare_figures.py notebooks/ build/executed/ --images build/figures/compare

Prints one line per figure (code cell as nbval counts it, figure, RMS difference on the 0-255
scale, or the sizes when they differ) and a summary; with ``--images`` writes the expected,
actual and difference images of the figures above the tolerance. Nothing is executed: refresh
``build/executed/`` with ``scripts/run_notebooks.py``. Exit status 1 if a figure differs by
more than the tolerance, is missing or is new.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from clustering_course.figures import DEFAULT_TOLERANCE, compare_notebooks, write_comparison_images


def pairs(expected: Path, actual: Path) -> list[tuple[Path, Path]]:
    """The notebooks to compare: two files, or the notebooks two folders have in common."""
    if expected.is_file() and actual.is_file():
        return [(expected, actual)]
    if expected.is_dir() and actual.is_dir():
        names = sorted({p.name for p in expected.glob("*.ipynb")}
                       & {p.name for p in actual.glob("*.ipynb")})
        return [(expected / name, actual / name) for name in names]
    raise FileNotFoundError("give two notebooks or two folders of notebooks")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("expected", type=Path, help="stored notebook(s): a file or a folder")
    parser.add_argument("actual", type=Path, help="fresh notebook(s): a file or a folder")
    parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE)
    parser.add_argument("--images", type=Path, help="folder for the images of differing figures")
    args = parser.parse_args(argv)
    try:
        notebook_pairs = pairs(args.expected, args.actual)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
    n_figures, worst, failures = 0, 0.0, 0
    for expected_path, actual_path in notebook_pairs:
        results = compare_notebooks(nbformat.read(expected_path, as_version=4),
                                    nbformat.read(actual_path, as_version=4), args.tolerance)
        for stored, fresh, comparison in results:
            n_figures += 1
            where = f"{expected_path.name} cell {stored.code_cell:2d} figure {stored.figure + 1}"
            if comparison is None:
                failures += 1
                print(f"{where}: {'missing in the fresh run' if fresh is None else 'new'}")
                continue
            worst = max(worst, comparison.rms if comparison.rms is not None else float("inf"))
            status = "ok" if comparison.passed else "DIFFERS"
            print(f"{where}: {comparison.describe()}  {status}")
            if not comparison.passed:
                failures += 1
                if args.images:
                    stem = (f"{expected_path.stem}-cell{stored.code_cell:02d}"
                            f"-figure{stored.figure + 1}")
                    write_comparison_images(stored.png, fresh.png, args.images, stem)
    print(f"{n_figures} figure(s) in {len(notebook_pairs)} notebook(s); largest RMS {worst:.4g}; "
          f"{failures} above the tolerance {args.tolerance}, missing or new")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
