"""CI check of the student notebooks: each runs top to bottom, failing only in its stubs.

Usage::

    python scripts/check_workshop.py                    # every notebooks/*.ipynb
    python scripts/check_workshop.py 01_intro.ipynb     # a subset (names in notebooks/ or paths)
    python scripts/check_workshop.py --require-exercises
    python scripts/check_workshop.py --jobs 2           # two notebooks at a time

For each notebook the student version is made in memory (``clustering_course.workshop``) and
executed with nbclient in a fresh kernel, errors allowed, in ``build/workshop/`` (where the
student copies live). It passes when the only errors are the stubs' ``NotImplementedError``s,
raised in exercise cells, and every stub raised (a check cell calls it). A notebook without
exercises is skipped (it would only repeat nbval's run), or fails with --require-exercises.
The executed copies go to ``build/workshop-check/``. Exit status 1 if any notebook fails.
With ``--jobs N`` up to N notebooks run at once, each in its own process and kernel, taken in
the order given (put the longest first); the results are printed as they finish.
"""

from __future__ import annotations

import os

# As in run_notebooks.py: quiet TensorFlow, and the inline backend (MPLBACKEND unset).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
os.environ.pop("MPLBACKEND", None)

import argparse
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import nbformat
import zmq
from nbclient import NotebookClient
from run_notebooks import CELL_TIMEOUT_S, KERNEL_NAME, LOG_DIR, REPO_ROOT, resolve_notebooks
from traitlets.config import Config

from clustering_course.outputs import load_sanitizers, output_differences
from clustering_course.workshop import ExerciseFormatError, student_notebook, student_run_problems

WORKSHOP_DIR = REPO_ROOT / "build" / "workshop"
CHECK_DIR = REPO_ROOT / "build" / "workshop-check"


def execute_allowing_errors(notebook: nbformat.NotebookNode, cwd: Path, log_name: str) -> None:
    """Run every cell of ``notebook`` in place, recording errors as outputs and going on."""
    config = Config()
    if zmq.has("curve"):
        config.KernelManager.transport_encryption = "auto"
    client = NotebookClient(notebook, config=config, timeout=CELL_TIMEOUT_S,
                            kernel_name=KERNEL_NAME, allow_errors=True,
                            resources={"metadata": {"path": str(cwd)}},
                            extra_arguments=["--IPKernelApp.capture_fd_output=False"])
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOG_DIR / f"{log_name}.kernel.log", "w", encoding="utf-8") as log:
        client.execute(stdout=log, stderr=log)


def check_notebook(path: Path, require_exercises: bool, workdir: Path = WORKSHOP_DIR,
                   out_dir: Path = CHECK_DIR, sanitizers: list | None = None
                   ) -> tuple[str, float, list[str]]:
    """Make, run and check one student notebook; return (status, seconds, problems).

    With ``sanitizers`` (a list, possibly empty) the outputs of the story's cells are also
    compared with the stored notebook's, as nbval compares them.
    """
    try:
        full = nbformat.read(path, as_version=4)
        student = student_notebook(full, path.name)
    except ExerciseFormatError as error:
        return "FAILED", 0.0, [str(error)]
    if not student.n_exercises:
        if require_exercises:
            return "FAILED", 0.0, ["no exercise (cells tagged 'exercise' with solution markers)"]
        return "skipped (no exercise)", 0.0, []
    workdir.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = student.notebook
    start = time.perf_counter()
    try:
        execute_allowing_errors(executed, workdir, f"{path.stem}.student")
        problems = student_run_problems(executed, student)
        if sanitizers is not None:
            problems += output_differences(full, executed, student.exercise_cells, sanitizers)
    except Exception as error:  # a timeout or a dead kernel
        problems = [f"the run stopped: {type(error).__name__}: {str(error).strip()[:500]}"]
    seconds = time.perf_counter() - start
    nbformat.write(executed, out_dir / path.name)
    status = "FAILED" if problems else f"ok ({student.n_exercises} stub(s) raised)"
    return status, seconds, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="default: every notebooks/*.ipynb")
    parser.add_argument("--require-exercises", action="store_true",
                        help="fail for a notebook without exercises")
    parser.add_argument("--workdir", type=Path, default=WORKSHOP_DIR,
                        help="working directory of the kernels (default build/workshop)")
    parser.add_argument("--out", type=Path, default=CHECK_DIR,
                        help="where to write the executed student notebooks "
                             "(default build/workshop-check)")
    parser.add_argument("--compare-outputs", action="store_true",
                        help="also compare the outputs of every cell outside the exercises "
                             "with the stored notebook's (text after notebooks/sanitize.cfg, "
                             "figures within the figure tolerance)")
    parser.add_argument("--no-compare", action="append", default=[], metavar="NOTEBOOK",
                        help="with --compare-outputs: do not compare this notebook's outputs "
                             "(its student version still runs); may be repeated")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="run up to N notebooks at once (default 1)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    sanitizers = None
    if args.compare_outputs:
        sanitize_file = REPO_ROOT / "notebooks" / "sanitize.cfg"
        sanitizers = load_sanitizers(sanitize_file) if sanitize_file.exists() else []
    try:
        paths = resolve_notebooks(args.notebooks)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
    failed = False
    width = max([len("student notebook"), *(len(p.name) for p in paths)])
    print(f"{'student notebook':<{width}}  {'seconds':>8}  status", flush=True)

    def report(path: Path, status: str, seconds: float, problems: list[str]) -> None:
        nonlocal failed
        if sanitizers is not None and path.name in args.no_compare and not problems:
            status += ", outputs not compared"
        print(f"{path.name:<{width}}  {seconds:>8.1f}  {status}", flush=True)
        for problem in problems:
            print(f"    {problem}", flush=True)
        failed |= bool(problems)

    def arguments(path: Path) -> tuple:
        compare = None if path.name in args.no_compare else sanitizers
        return path, args.require_exercises, args.workdir, args.out, compare

    if args.jobs == 1:
        for path in paths:
            report(path, *check_notebook(*arguments(path)))
    else:
        # Fresh interpreters ("spawn"): nothing of this process's state is shared.
        with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")
                                 ) as pool:
            futures = {pool.submit(check_notebook, *arguments(path)): path for path in paths}
            for future in as_completed(futures):
                report(futures[future], *future.result())
    if failed:
        print(f"executed student notebooks in {args.out}/")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
