"""Compare the outputs of a fresh run of a notebook with the stored ones, as nbval does.

Used by the check of the student notebooks (``scripts/check_workshop.py --compare-outputs``),
which runs every notebook a second time under other processor settings: the cells of the story
(not the exercises) must print what the stored notebook shows, and draw the same figures
within the figure tolerance.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .figures import DEFAULT_TOLERANCE, cell_pngs, compare_png

__all__ = ["load_sanitizers", "output_differences"]

IGNORE_OUTPUT_TAGS = {"nbval-ignore-output", "nbval-skip", "raises-exception"}
IGNORE_OUTPUT_COMMENTS = ("# NBVAL_IGNORE_OUTPUT", "# NBVAL_SKIP", "# NBVAL_RAISES_EXCEPTION")
IGNORE_FIGURES_TAG = "nbval-ignore-figures"
TOLERANCE_TAG = "nbval-figure-tolerance="


def load_sanitizers(path: str | Path) -> list[tuple[re.Pattern[str], str]]:
    """The ``regex``/``replace`` pairs of an nbval sanitiser file, in order."""
    parser = configparser.ConfigParser(interpolation=None)
    if not parser.read(path, encoding="utf-8"):
        raise FileNotFoundError(f"no sanitiser file at {path}")
    return [(re.compile(parser[section]["regex"]), parser[section]["replace"])
            for section in parser.sections()]


def _text(outputs: Iterable[Mapping[str, Any]]) -> str:
    """What nbval compares of a cell: stdout, results' and displays' plain text, errors."""
    parts = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream" and output.get("name") == "stdout":
            parts.append(("stream", "".join(output.get("text", ""))))
        elif kind in ("execute_result", "display_data"):
            text = output.get("data", {}).get("text/plain")
            if text is not None:
                parts.append((kind, "".join(text)))
        elif kind == "error":
            parts.append(("error", f"{output.get('ename')}: {output.get('evalue')}"))
    # nbval joins consecutive stream outputs; so do we.
    merged: list[tuple[str, str]] = []
    for kind, text in parts:
        if merged and kind == merged[-1][0] == "stream":
            merged[-1] = ("stream", merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return "\n".join(f"[{kind}] {text}" for kind, text in merged)


def _sanitize(text: str, sanitizers: list[tuple[re.Pattern[str], str]]) -> str:
    for pattern, replacement in sanitizers:
        text = pattern.sub(replacement, text)
    return text


def _tags(cell: Mapping[str, Any]) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def output_differences(
    stored: Mapping[str, Any],
    fresh: Mapping[str, Any],
    skip_cells: Iterable[int] = (),
    sanitizers: list[tuple[re.Pattern[str], str]] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> list[str]:
    """Where a fresh run's outputs differ from the stored ones; [] when none does.

    ``stored`` and ``fresh`` are the same notebook (cell for cell), stored and executed again.
    Cells in ``skip_cells`` (indices among all cells), cells nbval would not check (tags
    ``nbval-ignore-output``, ``nbval-skip``, ``raises-exception`` or the matching comments)
    and markdown cells are left out. Text is compared after the ``sanitizers``; figures with
    :func:`~clustering_course.figures.compare_png`, except in cells tagged
    ``nbval-ignore-figures``, with the tolerance of a ``nbval-figure-tolerance=<RMS>`` tag.
    """
    sanitizers = sanitizers or []
    skip = set(skip_cells)
    stored_cells, fresh_cells = stored["cells"], fresh["cells"]
    if len(stored_cells) != len(fresh_cells):
        return [f"the fresh run has {len(fresh_cells)} cells, the stored notebook "
                f"{len(stored_cells)}"]
    problems = []
    for index, (old, new) in enumerate(zip(stored_cells, fresh_cells, strict=True)):
        if old["cell_type"] != "code" or index in skip:
            continue
        tags = _tags(old)
        source = "".join(old.get("source", ""))
        if IGNORE_OUTPUT_TAGS & set(tags) or any(c in source for c in IGNORE_OUTPUT_COMMENTS):
            continue
        expected = _sanitize(_text(old.get("outputs", [])), sanitizers)
        actual = _sanitize(_text(new.get("outputs", [])), sanitizers)
        if expected != actual:
            problems.append(f"cell {index}: text differs\n--- stored\n{expected}\n"
                            f"--- fresh\n{actual}")
        if IGNORE_FIGURES_TAG in tags:
            continue
        cell_tolerance = tolerance
        for tag in tags:
            if tag.startswith(TOLERANCE_TAG):
                cell_tolerance = float(tag[len(TOLERANCE_TAG):])
        old_pngs, new_pngs = cell_pngs(old.get("outputs")), cell_pngs(new.get("outputs"))
        if len(old_pngs) != len(new_pngs):
            problems.append(f"cell {index}: {len(new_pngs)} figure(s), stored "
                            f"{len(old_pngs)}")
            continue
        for number, (a, b) in enumerate(zip(old_pngs, new_pngs, strict=True)):
            comparison = compare_png(a, b, cell_tolerance)
            if not comparison.passed:
                problems.append(f"cell {index}, figure {number}: {comparison.describe()}")
    return problems
