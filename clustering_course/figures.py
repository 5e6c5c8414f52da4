"""Figure regression: compare PNG figures within a tolerance and write what differs.

The measure is Matplotlib's image-comparison RMS (:func:`matplotlib.testing.compare.calculate_rms`):
the root mean square of the per-channel differences, on the 0-255 scale, over every pixel.
Two figures match when they have the same size in pixels and an RMS of at most the tolerance.
A failed comparison writes the expected and actual images and a difference image (differences
amplified ten times, as Matplotlib's own test suite does) so that a person can look.

The notebooks' figures are compared by the pytest plugin :mod:`clustering_course.pytest_figures`
during the nbval run; :func:`compare_notebooks` compares two executed copies of a notebook
(``scripts/compare_figures.py``); the library's plotting functions are compared with baseline
PNGs in ``tests/baseline_images/`` by ``tests/test_plotting_images.py``.
"""

from __future__ import annotations

import base64
import io
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.testing.compare import calculate_rms
from PIL import Image

from .reproducibility import PNG_METADATA

__all__ = [
    "DEFAULT_TOLERANCE",
    "FigureComparison",
    "NotebookFigure",
    "cell_pngs",
    "compare_notebooks",
    "compare_png",
    "figure_to_png",
    "notebook_figures",
    "png_chunk_types",
    "png_text_metadata",
    "png_to_array",
    "write_comparison_images",
]

# RMS on the 0-255 scale. Reruns of every notebook, on 2 cores and on 1 core, give 0 (the PNGs
# are pixel-identical); moving one centre marker by a single pixel gives about 2, a swapped
# colour map or a dropped curve 5 to 60 (see the README's figure-regression section).
DEFAULT_TOLERANCE = 0.5

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class FigureComparison:
    """The outcome of comparing one expected figure with one actual figure.

    Attributes
    ----------
    rms : float or None
        Matplotlib's RMS of the pixel differences (0-255 scale); None when the sizes differ.
    expected_size, actual_size : (int, int)
        Width and height in pixels.
    tolerance : float
        The largest RMS that passes.
    """

    rms: float | None
    expected_size: tuple[int, int]
    actual_size: tuple[int, int]
    tolerance: float

    @property
    def passed(self) -> bool:
        """True when the sizes agree and the RMS is within the tolerance."""
        return self.rms is not None and self.rms <= self.tolerance

    def describe(self) -> str:
        """One line saying how the figures differ (or that they match)."""
        if self.rms is None:
            (ew, eh), (aw, ah) = self.expected_size, self.actual_size
            return (f"the size differs: stored {ew}x{eh} px, fresh {aw}x{ah} px (a changed "
                    "figure size, dpi, font, label or legend changes the tight bounding box)")
        verdict = "within" if self.passed else "above"
        return (f"RMS difference {self.rms:.3f} (0-255 scale), {verdict} the tolerance "
                f"{self.tolerance}")


def _as_png_bytes(png: bytes | str) -> bytes:
    """Accept raw PNG bytes or a notebook's base64 text."""
    if isinstance(png, str):
        png = base64.b64decode(png)
    if not png.startswith(_PNG_SIGNATURE):
        raise ValueError("png is not a PNG image (wrong signature).")
    return png


def png_to_array(png: bytes | str) -> np.ndarray:
    """Decode a PNG to a uint8 array, RGB when opaque and RGBA otherwise.

    Parameters
    ----------
    png : bytes or str
        The PNG file's bytes, or the base64 text a notebook stores.
    """
    image = Image.open(io.BytesIO(_as_png_bytes(png)))
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA")
    if image.mode == "RGBA" and image.getextrema()[3][0] == 255:
        image = image.convert("RGB")  # opaque: compare colours only
    return np.asarray(image)


def png_text_metadata(png: bytes | str) -> dict[str, str]:
    """The PNG's text chunks (``tEXt``, ``iTXt``, ``zTXt``) as a dict, e.g. ``Software``."""
    image = Image.open(io.BytesIO(_as_png_bytes(png)))
    return {key: str(value) for key, value in image.text.items()}


def png_chunk_types(png: bytes | str) -> list[str]:
    """The chunk types of a PNG in file order, e.g. ``['IHDR', 'pHYs', 'IDAT', 'IEND']``.

    A reproducible PNG has no ``tIME`` (timestamp) and no text chunks.
    """
    png = _as_png_bytes(png)
    types, position = [], len(_PNG_SIGNATURE)
    while position + 8 <= len(png):
        (length,) = struct.unpack(">I", png[position:position + 4])
        types.append(png[position + 4:position + 8].decode("latin-1"))
        position += 12 + length
    return types


def compare_png(
    expected: bytes | str, actual: bytes | str, tolerance: float = DEFAULT_TOLERANCE
) -> FigureComparison:
    """Compare two PNG images with Matplotlib's RMS measure.

    Parameters
    ----------
    expected, actual : bytes or str
        PNG bytes, or the base64 text stored in a notebook.
    tolerance : float, default=DEFAULT_TOLERANCE
        Largest RMS (0-255 scale) that passes; must be non-negative.

    Returns
    -------
    FigureComparison
    """
    if not np.isfinite(tolerance) or tolerance < 0:
        raise ValueError(f"tolerance must be a non-negative number, got {tolerance!r}.")
    expected_image, actual_image = png_to_array(expected), png_to_array(actual)
    if expected_image.shape[2] != actual_image.shape[2]:  # one opaque, one not: compare RGBA
        expected_image = _with_alpha(expected_image)
        actual_image = _with_alpha(actual_image)
    expected_size = (expected_image.shape[1], expected_image.shape[0])
    actual_size = (actual_image.shape[1], actual_image.shape[0])
    rms = None
    if expected_image.shape == actual_image.shape:
        # Signed integers, as in Matplotlib's compare_images: uint8 differences would wrap.
        rms = float(calculate_rms(expected_image.astype(np.int16),
                                  actual_image.astype(np.int16)))
    return FigureComparison(rms, expected_size, actual_size, float(tolerance))


def _with_alpha(image: np.ndarray) -> np.ndarray:
    if image.shape[2] == 4:
        return image
    return np.concatenate([image, np.full(image.shape[:2] + (1,), 255, np.uint8)], axis=2)


def write_comparison_images(
    expected: bytes | str, actual: bytes | str, directory: str | Path, stem: str
) -> dict[str, Path]:
    """Write ``STEM-expected.png``, ``STEM-actual.png`` and, for equal sizes, ``STEM-diff.png``.

    The difference image shows ``10 * |expected - actual|`` per channel (opaque), so that a
    one-step change of shade is visible. Returns the paths written, by kind.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"expected": directory / f"{stem}-expected.png",
             "actual": directory / f"{stem}-actual.png"}
    paths["expected"].write_bytes(_as_png_bytes(expected))
    paths["actual"].write_bytes(_as_png_bytes(actual))
    expected_image, actual_image = png_to_array(expected), png_to_array(actual)
    if expected_image.shape[2] != actual_image.shape[2]:
        expected_image, actual_image = _with_alpha(expected_image), _with_alpha(actual_image)
    if expected_image.shape == actual_image.shape:
        difference = np.abs(expected_image.astype(np.int16) - actual_image.astype(np.int16))
        difference = np.clip(difference * 10, 0, 255).astype(np.uint8)
        if difference.shape[2] == 4:
            difference[..., 3] = 255
        paths["diff"] = directory / f"{stem}-diff.png"
        Image.fromarray(difference).save(paths["diff"], format="png")
    return paths


def figure_to_png(fig: Figure, dpi: float = 100) -> bytes:
    """Render a Matplotlib figure to PNG bytes without version metadata.

    The counterpart of what the notebooks' inline backend stores, for scripts and tests:
    a fixed ``dpi`` and :data:`~clustering_course.reproducibility.PNG_METADATA`.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata=dict(PNG_METADATA))
    return buffer.getvalue()


@dataclass(frozen=True)
class NotebookFigure:
    """One PNG output of a notebook.

    Attributes
    ----------
    code_cell : int
        Index among the code cells, as nbval numbers them ("Cell 3").
    cell : int
        Index among all cells (markdown included).
    figure : int
        Index of the figure among the cell's PNG outputs (from 0).
    png : str
        The base64 text stored in the notebook.
    """

    code_cell: int
    cell: int
    figure: int
    png: str


def cell_pngs(outputs: Any) -> list[str]:
    """The base64 PNGs of one cell's outputs (display data and results), in order."""
    pngs = []
    for output in outputs or []:
        data = output.get("data", {}) if isinstance(output, Mapping) else {}
        if "image/png" in data:
            png = data["image/png"]
            pngs.append("".join(png) if isinstance(png, list) else png)
    return pngs


def notebook_figures(notebook: Any) -> list[NotebookFigure]:
    """Every PNG output of a notebook (an ``nbformat`` node or its JSON dict), in order."""
    figures, code_cell = [], 0
    for cell_index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        for figure_index, png in enumerate(cell_pngs(cell.get("outputs"))):
            figures.append(NotebookFigure(code_cell, cell_index, figure_index, png))
        code_cell += 1
    return figures


def compare_notebooks(
    expected: Any, actual: Any, tolerance: float = DEFAULT_TOLERANCE
) -> list[tuple[NotebookFigure, NotebookFigure | None, FigureComparison | None]]:
    """Pair the figures of two executions of one notebook, cell by cell, and compare them.

    Returns one ``(expected_figure, actual_figure, comparison)`` per expected figure, followed
    by ``(actual_figure, None, None)`` for actual figures with no stored counterpart;
    ``actual_figure`` and ``comparison`` are None for a stored figure the fresh run lacks.
    """
    def by_position(notebook: Any) -> dict[tuple[int, int], NotebookFigure]:
        return {(f.code_cell, f.figure): f for f in notebook_figures(notebook)}

    stored, fresh = by_position(expected), by_position(actual)
    results: list[tuple[NotebookFigure, NotebookFigure | None, FigureComparison | None]] = []
    for key, figure in stored.items():
        other = fresh.get(key)
        comparison = compare_png(figure.png, other.png, tolerance) if other else None
        results.append((figure, other, comparison))
    results.extend((figure, None, None) for key, figure in fresh.items() if key not in stored)
    return results
