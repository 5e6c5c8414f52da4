"""Execute the repository's notebooks headless and export them to HTML.

Usage::

    python scripts/run_notebooks.py                  # every notebooks/*.ipynb, sorted
    python scripts/run_notebooks.py 01_intro.ipynb   # a subset (names in notebooks/ or paths)

Each notebook is run with nbclient in a fresh ``python3`` kernel, with its own folder as the
working directory. The source notebooks are never modified: the executed copies are written to
``build/executed/<name>.ipynb`` and rendered to ``build/html/<name>.html``; what the kernel
process itself writes to stdout/stderr (C++ start-up logs of TensorFlow, for instance) goes to
``build/logs/<name>.kernel.log``, not into the notebook: as under ``pytest --nbval``, the kernel
does not capture output written directly to its file descriptors. A summary table is printed at
the end, followed by the error of each notebook that failed; the exit status is 1 if any
notebook failed.
"""

from __future__ import annotations

import os

# The kernels inherit this environment. TF_CPP_MIN_LOG_LEVEL keeps TensorFlow's C++ logging
# down; PYDEVD_DISABLE_FILE_VALIDATION silences a debugpy warning. MPLBACKEND is *removed*, not
# set to Agg: ipykernel only selects the (headless) inline backend when MPLBACKEND is unset, and
# with Agg every plt.show() would produce no output at all in the executed notebooks.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
os.environ.pop("MPLBACKEND", None)

import argparse
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import zmq
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter
from traitlets.config import Config

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
BUILD_DIR = REPO_ROOT / "build"
HTML_DIR = BUILD_DIR / "html"
EXECUTED_DIR = BUILD_DIR / "executed"
LOG_DIR = BUILD_DIR / "logs"

KERNEL_NAME = "python3"
CELL_TIMEOUT_S = 600
TRACEBACK_LINES = 20

_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


@dataclass
class Result:
    """Outcome of executing one notebook."""

    name: str
    seconds: float
    ok: bool
    cell_index: int | None = None
    error_name: str = ""
    error_message: str = ""
    traceback: str = ""


def strip_ansi(text: str) -> str:
    """Remove ANSI colour/escape sequences from ``text``."""
    return _ANSI_RE.sub("", text)


def resolve_notebooks(args: list[str]) -> list[Path]:
    """Return the notebooks to run: all of ``notebooks/*.ipynb`` or those named in ``args``.

    An argument may be a path (absolute or relative to the current directory) or a file name
    inside ``notebooks/``. Raises ``FileNotFoundError`` for an argument that matches neither.
    """
    if not args:
        return sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    paths: list[Path] = []
    for arg in args:
        candidate = Path(arg)
        if not candidate.is_file():
            candidate = NOTEBOOK_DIR / arg
        if not candidate.is_file():
            raise FileNotFoundError(f"no such notebook: {arg}")
        paths.append(candidate.resolve())
    return paths


def find_error_cell(nb: nbformat.NotebookNode) -> int | None:
    """Return the index of the first cell with an ``error`` output, or ``None``."""
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        if any(out.get("output_type") == "error" for out in cell.get("outputs", [])):
            return index
    return None


def export(nb: nbformat.NotebookNode, stem: str) -> None:
    """Write the (possibly partially) executed notebook to build/executed and build/html."""
    EXECUTED_DIR.mkdir(parents=True, exist_ok=True)
    HTML_DIR.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, EXECUTED_DIR / f"{stem}.ipynb")
    body, _ = HTMLExporter().from_notebook_node(nb)
    (HTML_DIR / f"{stem}.html").write_text(body, encoding="utf-8")


def run_notebook(path: Path) -> Result:
    """Execute the notebook at ``path`` in its own folder and export the result."""
    nb = nbformat.read(path, as_version=4)
    started: list[int] = []

    def on_cell_execute(cell: Any, cell_index: int) -> None:
        started.append(cell_index)

    # Curve-encrypt the kernel's sockets (the kernelspec declares support): besides being the
    # safer choice, this avoids ipykernel's "running over TCP without encryption" warning.
    config = Config()
    if zmq.has("curve"):
        config.KernelManager.transport_encryption = "auto"
    client = NotebookClient(
        nb,
        config=config,
        timeout=CELL_TIMEOUT_S,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(path.parent)}},
        # Same behaviour as under pytest --nbval: fd-level output stays out of the notebook.
        extra_arguments=["--IPKernelApp.capture_fd_output=False"],
        on_cell_execute=on_cell_execute,
    )
    result = Result(name=path.name, seconds=0.0, ok=True)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with open(LOG_DIR / f"{path.stem}.kernel.log", "w", encoding="utf-8") as log:
        try:
            client.execute(stdout=log, stderr=log)
        except CellExecutionError as exc:
            result.ok = False
            result.error_name = exc.ename
            result.error_message = exc.evalue
            result.traceback = exc.traceback
        except Exception as exc:  # timeout, dead kernel, kernel that failed to start, ...
            result.ok = False
            text = str(exc).strip()
            result.error_name = type(exc).__name__
            result.error_message = next((ln for ln in text.splitlines() if ln.strip("- ")), "")
            result.traceback = text
    result.seconds = time.perf_counter() - start
    if not result.ok:
        result.cell_index = find_error_cell(nb)
        if result.cell_index is None and started:
            result.cell_index = started[-1]
    export(nb, path.stem)
    return result


def print_report(results: list[Result]) -> None:
    """Print the summary table, then the details of every failure."""
    width = max([len("notebook"), *(len(r.name) for r in results)])
    print()
    print(f"{'notebook':<{width}}  {'seconds':>8}  status")
    print(f"{'-' * width}  {'-' * 8}  ------")
    for r in results:
        print(f"{r.name:<{width}}  {r.seconds:>8.1f}  {'ok' if r.ok else 'FAILED'}")
    for r in results:
        if r.ok:
            continue
        cell = "?" if r.cell_index is None else str(r.cell_index)
        print()
        print(f"=== {r.name}: cell {cell}: {r.error_name}: {r.error_message}")
        lines = strip_ansi(r.traceback).rstrip().splitlines()
        print("\n".join(lines[-TRACEBACK_LINES:]))
        print(f"(kernel log: {(LOG_DIR / Path(r.name).stem).relative_to(REPO_ROOT)}.kernel.log)")
    print()
    print(
        f"HTML in {HTML_DIR.relative_to(REPO_ROOT)}/, executed notebooks in "
        f"{EXECUTED_DIR.relative_to(REPO_ROOT)}/"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the notebooks named in ``argv`` (default: all); return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks", nargs="*", help="notebooks to run (default: every notebooks/*.ipynb)"
    )
    args = parser.parse_args(argv)
    try:
        paths = resolve_notebooks(args.notebooks)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not paths:
        print(f"no notebooks found in {NOTEBOOK_DIR.relative_to(REPO_ROOT)}/; nothing to run")
        return 0
    results: list[Result] = []
    for path in paths:
        print(f"running {path.name} ...", flush=True)
        results.append(run_notebook(path))
    print_report(results)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
