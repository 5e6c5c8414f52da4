"""Figure regression: the PNG comparison, the figure style, and the nbval plugin end to end."""

import base64
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest
import zmq
from nbclient import NotebookClient
from PIL import Image
from traitlets.config import Config

from clustering_course import reproducibility
from clustering_course.figures import (
    DEFAULT_TOLERANCE,
    compare_notebooks,
    compare_png,
    figure_to_png,
    notebook_figures,
    png_chunk_types,
    png_text_metadata,
    png_to_array,
    write_comparison_images,
)
from clustering_course.reproducibility import FIGURE_STYLE, seed_everything, set_figure_style

FIXTURES = Path(__file__).parent / "fixtures"


def scatter_png(center_x=0.0, cmap="viridis", with_curve=True):
    """A small figure with a marker, an image and a curve, each of which a test can change."""
    set_figure_style()
    fig, (left, right) = plt.subplots(1, 2, figsize=(5, 2.5))
    left.scatter([center_x, 1.0], [0.0, 1.0], marker="X", s=160, c="black")
    left.set(xlim=(-2, 3), ylim=(-2, 3), title="centres")
    right.imshow(np.arange(20.0).reshape(4, 5), cmap=cmap)
    if with_curve:
        left.plot([-2, 3], [-2, 3], color="C1")
    return figure_to_png(fig)


def test_identical_figures_match_exactly():
    first, second = scatter_png(), scatter_png()
    result = compare_png(first, second)
    assert result.passed and result.rms == 0.0
    assert "within the tolerance" in result.describe()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("change", "least_rms"),
    [
        ({"center_x": 0.02}, 1.0),  # the marker moves by less than a pixel
        ({"center_x": 0.05}, 1.0),  # about 2 pixels
        ({"cmap": "magma"}, 10.0),
        ({"with_curve": False}, 2.0),
    ],
)
def test_deliberate_changes_fail(change, least_rms):
    result = compare_png(scatter_png(), scatter_png(**change))
    assert not result.passed
    assert result.rms > least_rms > DEFAULT_TOLERANCE
    assert "above the tolerance" in result.describe()


def test_a_blank_figure_fails():
    set_figure_style()
    fig, ax = plt.subplots(1, 2, figsize=(5, 2.5))
    assert compare_png(scatter_png(), figure_to_png(fig)).rms > 10


def test_a_different_size_fails_and_says_so():
    small = figure_to_png(plt.figure(figsize=(2, 2)))
    result = compare_png(scatter_png(), small)
    assert result.rms is None and not result.passed
    assert "the size differs: stored 500x250 px, fresh 200x200 px" in result.describe()


def test_the_tolerance_must_be_a_non_negative_number():
    png = scatter_png()
    for bad in (-1.0, float("nan")):
        with pytest.raises(ValueError, match="tolerance"):
            compare_png(png, png, bad)
    with pytest.raises(ValueError, match="not a PNG"):
        compare_png(b"GIF89a", png)


def test_rms_is_matplotlibs_measure_on_the_0_255_scale():
    a = np.zeros((10, 10, 3), np.uint8)
    b = a.copy()
    b[0, 0, 0] = 100  # one channel of one pixel: sqrt(100**2 / 300)
    pngs = []
    for array in (a, b):
        buffer = io.BytesIO()
        Image.fromarray(array).save(buffer, format="png")
        pngs.append(buffer.getvalue())
    assert compare_png(*pngs).rms == pytest.approx(100 / np.sqrt(300))
    assert compare_png(base64.b64encode(pngs[0]).decode(), pngs[1]).rms > 0  # notebook text


def test_opaque_rgba_compares_as_rgb():
    array = png_to_array(scatter_png())
    assert array.dtype == np.uint8 and array.shape[2] == 3


def test_comparison_images_show_the_difference(tmp_path):
    expected, actual = scatter_png(), scatter_png(center_x=0.5)
    paths = write_comparison_images(expected, actual, tmp_path / "out", "cell03-figure1")
    assert sorted(paths) == ["actual", "diff", "expected"]
    assert paths["expected"].read_bytes() == expected
    diff = np.asarray(Image.open(paths["diff"]))
    assert diff[..., :3].max() == 255 and (diff[..., :3] == 0).mean() > 0.9
    other_size = figure_to_png(plt.figure(figsize=(2, 2)))
    assert "diff" not in write_comparison_images(expected, other_size, tmp_path, "x")


def test_saved_figures_have_no_metadata_or_timestamp():
    png = scatter_png()
    assert png_chunk_types(png) == ["IHDR", "pHYs", "IDAT", "IEND"]
    assert png_text_metadata(png) == {}


def test_the_figure_style_resets_what_a_user_changed():
    mpl.rcParams["font.size"] = 20
    mpl.rcParams["lines.linewidth"] = 5
    set_figure_style()
    assert mpl.rcParams["font.size"] == FIGURE_STYLE["font.size"] == 10
    assert mpl.rcParams["lines.linewidth"] == 1.5  # Matplotlib's default
    assert mpl.rcParams["figure.dpi"] == 100
    assert mpl.rcParams["font.sans-serif"][0] == "DejaVu Sans"


def test_seed_everything_applies_the_figure_style_once_unless_told(monkeypatch):
    monkeypatch.setattr(reproducibility, "_figure_style_applied", False)  # a fresh process
    mpl.rcParams["font.size"] = 20
    seed_everything(0, figure_style=False)
    assert mpl.rcParams["font.size"] == 20
    seed_everything(0)  # the first cell of a notebook
    assert mpl.rcParams["font.size"] == 10
    mpl.rcParams["figure.dpi"] = 72  # the notebook's own choice, after its first cell
    seed_everything(0)  # seeding again before a later experiment keeps it
    assert mpl.rcParams["figure.dpi"] == 72
    seed_everything(0, figure_style=True)
    assert mpl.rcParams["figure.dpi"] == 100


def test_notebook_figures_are_numbered_like_nbval_and_paired():
    png_a, png_b = base64.b64encode(scatter_png()).decode(), base64.b64encode(
        scatter_png(center_x=1.0)).decode()
    v4 = nbformat.v4
    stored = v4.new_notebook(cells=[
        v4.new_markdown_cell("text"),
        v4.new_code_cell("a", outputs=[v4.new_output("display_data", {"image/png": png_a})]),
        v4.new_code_cell("b", outputs=[v4.new_output("stream", text="x"),
                                       v4.new_output("display_data", {"image/png": png_a}),
                                       v4.new_output("display_data", {"image/png": png_a})]),
    ])
    figures = notebook_figures(stored)
    assert [(f.code_cell, f.cell, f.figure) for f in figures] == [(0, 1, 0), (1, 2, 0), (1, 2, 1)]
    fresh = nbformat.from_dict(stored)
    fresh.cells[2].outputs = [v4.new_output("display_data", {"image/png": png_b})]
    fresh.cells[1].outputs.append(v4.new_output("display_data", {"image/png": png_a}))
    results = compare_notebooks(stored, fresh)
    passed = [comparison.passed if comparison else None for _, _, comparison in results]
    assert passed == [True, False, None, None]  # same, changed, missing, extra
    assert results[2][1] is None and results[3][0].code_cell == 0 and results[3][0].figure == 1


# --- the nbval plugin, end to end on a fixture notebook ----------------------------------------

def _execute(notebook, cwd):
    config = Config()
    if zmq.has("curve"):  # as scripts/run_notebooks.py: no "TCP without encryption" warning
        config.KernelManager.transport_encryption = "auto"
    NotebookClient(notebook, config=config, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd)}},
                   extra_arguments=["--IPKernelApp.capture_fd_output=False"]).execute()
    return notebook


def _replace(cell, old, new):
    assert old in cell.source, old
    cell.source = cell.source.replace(old, new)


@pytest.mark.notebook
def test_nbval_compares_figures_rerun_on_one_core_passes_and_mutations_fail(tmp_path):
    stored = _execute(nbformat.read(FIXTURES / "figures_fixture.ipynb", as_version=4), tmp_path)
    assert "nbval-ignore-figures" in stored.cells[6].metadata.tags  # a timing: differs per run
    for figure in notebook_figures(stored):  # the inline backend writes no metadata either
        assert png_chunk_types(base64.b64decode(figure.png)) == ["IHDR", "pHYs", "IDAT", "IEND"]
    nbformat.write(stored, tmp_path / "rerun.ipynb")
    mutated = nbformat.from_dict(stored)
    _replace(mutated.cells[2], "centers, title", "centers + [0.05, 0.0], title")
    _replace(mutated.cells[3], 'cmap="viridis"', 'cmap="magma"')
    _replace(mutated.cells[4], 'ax.plot(range(1, 7), [model.inertia_] * 6, linestyle="--", '
                               'label="k-means++ fit")\n', "")
    _replace(mutated.cells[5], 'ax.bar(range(3), np.bincount(model.labels_), color="C2")\n', "")
    loosened = nbformat.from_dict(mutated.cells[3])  # the swapped colour map, allowed by a tag
    loosened.metadata["tags"] = ["nbval-figure-tolerance=1000"]
    loosened.id = "loosened-colour-map"
    mutated.cells.append(loosened)
    nbformat.write(mutated, tmp_path / "mutated.ipynb")

    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
               "--nbval", "--nbval-current-env",
               "--nbval-figures-dir", str(tmp_path / "figures"), "--rootdir", str(tmp_path),
               "-q", "rerun.ipynb", "mutated.ipynb"]
    if hasattr(os, "sched_setaffinity"):  # pytest and its kernels on one core: taskset -c 0
        command = ["taskset", "-c", "0", *command] if shutil.which("taskset") else command
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    report = run.stdout + run.stderr
    assert run.returncode == 1, report
    failed = sorted(line.split(" ")[1] for line in report.splitlines()
                    if line.startswith("FAILED "))
    assert failed == ["mutated.ipynb::Cell"] * 4, report
    for cell in (1, 2, 3, 4):  # a centre moved 2 px, a colour map, a dropped curve, a blank plot
        assert f"mutated.ipynb, Cell {cell} (notebook cell {cell + 1}), figure 1 of 1 differs" \
            in report, report
        for kind in ("expected", "actual", "diff") if cell < 4 else ("expected", "actual"):
            assert (tmp_path / "figures" / "mutated" / f"cell0{cell}-figure1-{kind}.png").is_file()
    assert "Cell 4 (notebook cell 5), figure 1 of 1 differs from the stored one: the size " \
        "differs" in report  # the empty axes have other tick labels
    assert "rerun.ipynb, Cell" not in report and "figure regression" in report
    assert "Cell 6" not in report  # the tolerance tag (and cell 5's ignore tag) let them pass
    assert not (tmp_path / "figures" / "rerun").exists()
