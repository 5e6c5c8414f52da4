"""Write the workshop kit: student notebooks and the teacher's HTML copies of the solutions.

Usage::

    python scripts/make_workshop.py                  # every notebooks/*.ipynb
    python scripts/make_workshop.py 01_intro.ipynb   # a subset (names in notebooks/ or paths)

For each notebook, ``build/workshop/<name>.ipynb`` is the student version (the solution blocks
replaced by stubs that raise ``NotImplementedError`` with a hint, the outputs of the exercise
cells cleared, everything else as in the full notebook; see ``clustering_course.workshop``) and
``build/workshop/solutions/<name>.html`` the full notebook with its stored outputs, for the
teacher. Nothing is executed. Exit status 1 if a notebook's exercise cells are malformed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from run_notebooks import REPO_ROOT, resolve_notebooks

from clustering_course.workshop import ExerciseFormatError, student_notebook

WORKSHOP_DIR = REPO_ROOT / "build" / "workshop"


def write_kit(path: Path, out_dir: Path) -> int:
    """Write the student version and the solution HTML of one notebook; return its exercises."""
    full = nbformat.read(path, as_version=4)
    student = student_notebook(full, path.name)
    (out_dir / "solutions").mkdir(parents=True, exist_ok=True)
    nbformat.write(student.notebook, out_dir / path.name)
    body, _ = HTMLExporter().from_notebook_node(full)
    (out_dir / "solutions" / f"{path.stem}.html").write_text(body, encoding="utf-8")
    return student.n_exercises


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="default: every notebooks/*.ipynb")
    parser.add_argument("--out", type=Path, default=WORKSHOP_DIR,
                        help=f"output folder (default {WORKSHOP_DIR.relative_to(REPO_ROOT)})")
    args = parser.parse_args(argv)
    try:
        paths = resolve_notebooks(args.notebooks)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
    status = 0
    for path in paths:
        try:
            n_exercises = write_kit(path, args.out)
        except ExerciseFormatError as error:
            print(f"{path.name}: {error}", file=sys.stderr)
            status = 1
            continue
        if n_exercises:
            print(f"{path.name}: {n_exercises} exercise(s)")
        else:
            print(f"{path.name}: no exercise (the student copy equals the full notebook)")
    print(f"student notebooks in {args.out}/, the teacher's solutions in {args.out}/solutions/")
    return status


if __name__ == "__main__":
    sys.exit(main())
