"""pytest plugin: nbval compares every notebook figure with the stored one, within a tolerance.

nbval ignores ``image/png`` outputs, so a figure can change, break or go blank while the text
outputs still match. This plugin wraps each nbval cell test: once nbval has executed the cell
and found its text outputs equal, the cell's fresh PNG outputs are compared one by one with the
stored ones (:func:`clustering_course.figures.compare_png`, Matplotlib's RMS). Nothing is executed a
second time. A cell whose figures differ, or whose number of figures changed, fails with the
notebook, the cell and the figure named; the expected, actual and difference images are written
to ``build/figures/<notebook>/cellNN-figureM-{expected,actual,diff}.png``.

Cells that nbval does not check (``# NBVAL_IGNORE_OUTPUT``, ``# NBVAL_SKIP``, ``--nbval-lax``
without ``# NBVAL_CHECK_OUTPUT``) are not compared either. Two cell tags adjust one cell:
``nbval-ignore-figures`` skips its figures while nbval still compares its text (for a figure of
measured run times, which differs on every run), and ``nbval-figure-tolerance=<RMS>`` sets
another tolerance for its figures.

It registers itself with pytest through the ``pytest11`` entry point of this distribution, so
every ``pytest --nbval`` run where ``clustering_course`` is installed compares figures; it
imports nbval only when nbval runs.
Options: ``--nbval-figures-tolerance`` (default
:data:`~clustering_course.figures.DEFAULT_TOLERANCE`),
``--nbval-figures-dir`` (default ``build/figures`` under the rootdir), ``--nbval-figures-off``.
"""

from __future__ import annotations

import base64
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .figures import (
    DEFAULT_TOLERANCE,
    FigureComparison,
    cell_pngs,
    compare_png,
    png_text_metadata,
    write_comparison_images,
)

if TYPE_CHECKING:
    from nbval.plugin import IPyNbCell

IGNORE_TAG = "nbval-ignore-figures"
TOLERANCE_TAG = "nbval-figure-tolerance="

_FAILURES = pytest.StashKey[list[str]]()
_CLEANED = pytest.StashKey[set[Path]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nbval-figures", "figure regression for nbval")
    group.addoption("--nbval-figures-tolerance", type=float, default=DEFAULT_TOLERANCE,
                    help="largest RMS difference (0-255 scale) between a stored and a fresh "
                         f"figure that passes (default {DEFAULT_TOLERANCE})")
    group.addoption("--nbval-figures-dir", default=None,
                    help="where to write the images of figures that differ "
                         "(default: build/figures under the rootdir)")
    group.addoption("--nbval-figures-off", action="store_true",
                    help="do not compare figures (nbval alone)")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_FAILURES] = []
    config.stash[_CLEANED] = set()
    tolerance = config.getoption("nbval_figures_tolerance")
    if not tolerance >= 0:
        raise pytest.UsageError(
            f"--nbval-figures-tolerance must be a non-negative number, got {tolerance}.")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    result = yield  # nbval executes the cell and compares its text; a failure propagates
    if (_is_nbval_cell(item) and not item.config.getoption("nbval_figures_off")
            and item.options.get("check") and item.cell.get("execution_count") is not None
            and IGNORE_TAG not in item.cell.get("metadata", {}).get("tags", [])):
        _compare_cell_figures(item)
    return result


def _is_nbval_cell(item: pytest.Item) -> bool:
    # nbval is imported only where it runs: a unit-test run without it never loads it.
    plugin = sys.modules.get("nbval.plugin")
    return plugin is not None and isinstance(item, plugin.IPyNbCell)


def _cell_tolerance(item: IPyNbCell) -> float:
    tolerance = item.config.getoption("nbval_figures_tolerance")
    for tag in item.cell.get("metadata", {}).get("tags", []):
        if tag.startswith(TOLERANCE_TAG):
            value = tag[len(TOLERANCE_TAG):]
            try:
                tolerance = float(value)
            except ValueError:
                item.raise_cell_error(f"Cell tag {tag!r}: {value!r} is not a number.")
            if not tolerance >= 0:
                item.raise_cell_error(f"Cell tag {tag!r}: the tolerance must be non-negative.")
    return tolerance


def _output_dir(item: IPyNbCell) -> Path:
    root = item.config.getoption("nbval_figures_dir")
    root = Path(root) if root else item.config.rootpath / "build" / "figures"
    directory = root / item.parent.path.stem
    cleaned = item.config.stash[_CLEANED]
    if directory not in cleaned:  # images of an earlier session would mislead
        cleaned.add(directory)
        shutil.rmtree(directory, ignore_errors=True)
    return directory


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _stale_style_note(stored_png: str, fresh_png: str) -> str:
    stored_software = png_text_metadata(stored_png).get("Software")
    if stored_software and "Software" not in png_text_metadata(fresh_png):
        return (f"\n    note: the stored figure carries 'Software: {stored_software}', so it was "
                "made before cl.seed_everything() fixed the figure style and PNG metadata. If the "
                "notebook changed only in that, re-execute it (scripts/run_notebooks.py) and "
                "store the fresh outputs.")
    return ""


def _compare_cell_figures(item: IPyNbCell) -> None:
    stored, fresh = cell_pngs(item.cell.outputs), cell_pngs(item.test_outputs)
    if not stored and not fresh:
        return
    notebook_cells = item.parent.nb.cells
    cell_index = next(i for i, cell in enumerate(notebook_cells) if cell is item.cell)
    where = (f"{_shown(item.parent.path, item.config.rootpath)}, Cell {item.cell_num} "
             f"(notebook cell {cell_index})")
    problems = []
    if len(stored) != len(fresh):
        directory = _output_dir(item)
        directory.mkdir(parents=True, exist_ok=True)
        unpaired = [(f"cell{item.cell_num:02d}-figure{i + 1}-expected.png", png)
                    for i, png in enumerate(stored[len(fresh):], start=len(fresh))]
        unpaired += [(f"cell{item.cell_num:02d}-figure{i + 1}-actual.png", png)
                     for i, png in enumerate(fresh[len(stored):], start=len(stored))]
        for name, png in unpaired:
            (directory / name).write_bytes(base64.b64decode(png))
        listing = "".join(f"\n    {_shown(directory / name, item.config.rootpath)}"
                          for name, _ in unpaired)
        problems.append(f"{where}: the cell now shows {len(fresh)} figure(s), the stored "
                        f"outputs have {len(stored)}; the unpaired ones:{listing}")
    tolerance = _cell_tolerance(item)
    for index, (stored_png, fresh_png) in enumerate(zip(stored, fresh, strict=False)):
        comparison: FigureComparison = compare_png(stored_png, fresh_png, tolerance)
        if comparison.passed:
            continue
        paths = write_comparison_images(stored_png, fresh_png, _output_dir(item),
                                        f"cell{item.cell_num:02d}-figure{index + 1}")
        listing = "".join(f"\n    {kind + ':':9s} {_shown(path, item.config.rootpath)}"
                          for kind, path in paths.items())
        problems.append(f"{where}, figure {index + 1} of {len(stored)} differs from the stored "
                        f"one: {comparison.describe()}.{listing}"
                        f"{_stale_style_note(stored_png, fresh_png)}")
    if problems:
        item.config.stash[_FAILURES].extend(problems)
        item.raise_cell_error("Cell figures differ", "\n" + "\n".join(problems))


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    failures = config.stash.get(_FAILURES, [])
    if failures:
        terminalreporter.section("figure regression")
        for problem in failures:
            terminalreporter.write_line(problem)
