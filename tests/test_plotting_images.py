"""Image tests of the library's plotting functions against baseline PNGs.

Each test draws one figure on fixed data with the library's figure style
(``cl.set_figure_style()``), renders it at 100 dpi without metadata and compares it with
``tests/baseline_images/plotting/<name>.png`` (Matplotlib's RMS, within
``clustering_course.figures.DEFAULT_TOLERANCE``). A failure writes the expected, actual and
difference images to ``build/figures/tests/``.

After an intended change of a figure, look at those images, then regenerate the baselines and
commit them::

    make figure-baselines        # = CL_UPDATE_BASELINES=1 pytest tests/test_plotting_images.py
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from clustering_course.figures import compare_png, figure_to_png, write_comparison_images
from clustering_course.plotting import (
    plot_centroid_images,
    plot_clusters,
    plot_color_cloud,
    plot_confusion_matrix,
    plot_kmeans_steps,
    plot_palette,
    plot_silhouette_diagram,
)
from clustering_course.reproducibility import set_figure_style

BASELINES = Path(__file__).parent / "baseline_images" / "plotting"
FAILURES = Path(__file__).resolve().parent.parent / "build" / "figures" / "tests"
UPDATE = os.environ.get("CL_UPDATE_BASELINES") == "1"


@pytest.fixture(autouse=True)
def figure_style():
    set_figure_style()
    yield
    plt.close("all")


def blobs():
    rng = np.random.default_rng(0)
    centers = np.array([[0.0, 0.0], [4.0, 1.0], [1.0, 4.0]])
    points = np.repeat(centers, 20, axis=0) + rng.normal(0, 0.6, (60, 2))
    return points, np.repeat([0, 1, 2], 20), centers


def assert_matches_baseline(fig, name, failures_dir=FAILURES):
    actual = figure_to_png(fig)
    baseline = BASELINES / f"{name}.png"
    if UPDATE:
        BASELINES.mkdir(parents=True, exist_ok=True)
        baseline.write_bytes(actual)
        return
    if not baseline.is_file():
        pytest.fail(f"no baseline {baseline.relative_to(BASELINES.parents[2])}: run "
                    "`make figure-baselines`, look at the image and commit it.")
    expected = baseline.read_bytes()
    comparison = compare_png(expected, actual)
    if not comparison.passed:
        paths = write_comparison_images(expected, actual, failures_dir, name)
        listing = "\n".join(f"  {kind}: {path}" for kind, path in paths.items())
        pytest.fail(f"{name}: {comparison.describe()}\n{listing}\nIf the change is intended, "
                    "run `make figure-baselines` and commit the new baseline.")


def test_plot_clusters_2d_with_legend():
    points, labels, centers = blobs()
    ax = plot_clusters(points, labels, centers, title="three blobs", legend=True)
    assert_matches_baseline(ax.figure, "plot_clusters_2d")


def test_plot_clusters_3d_and_unlabelled():
    points, labels, centers = blobs()
    points3 = np.c_[points, points[:, 0] - points[:, 1]]
    fig = plt.figure(figsize=(9, 4))
    plot_clusters(points, ax=fig.add_subplot(1, 2, 1), title="no labels")
    plot_clusters(points3, labels, np.c_[centers, centers[:, 0] - centers[:, 1]],
                  ax=fig.add_subplot(1, 2, 2, projection="3d"), title="3-D")
    assert_matches_baseline(fig, "plot_clusters_3d")


def test_plot_kmeans_steps():
    points, _, _ = blobs()
    fig = plot_kmeans_steps(points, points[[0, 1, 2]], n_iterations=2)
    assert_matches_baseline(fig, "plot_kmeans_steps")


def test_plot_centroid_images():
    images = np.stack([np.outer(np.hanning(8), np.roll(np.hanning(8), shift)).ravel()
                       for shift in range(7)])
    fig = plot_centroid_images(images, (8, 8), n_columns=4, suptitle="seven images",
                               titles=[f"image {i}" for i in range(7)])
    assert_matches_baseline(fig, "plot_centroid_images")


def test_plot_confusion_matrix():
    table = np.array([[30, 2, 0], [5, 25, 1], [0, 3, 40]])
    ax = plot_confusion_matrix(table, ["a", "b", "c"], [0, 1, 2], title="counts")
    assert_matches_baseline(ax.figure, "plot_confusion_matrix")


def test_plot_color_cloud():
    y, x = np.mgrid[0:30, 0:40]
    image = np.stack([x * 6, y * 8, 255 - x * 6], axis=-1).astype(np.uint8)
    ax = plot_color_cloud(image, n_points=300, title="a gradient")
    assert_matches_baseline(ax.figure, "plot_color_cloud")


def test_plot_palette():
    palette = np.random.default_rng(1).integers(0, 256, size=(20, 3), dtype=np.uint8)
    ax = plot_palette(palette, n_columns=8)
    assert_matches_baseline(ax.figure, "plot_palette")


def test_plot_silhouette_diagram():
    points, labels, _ = blobs()
    ax = plot_silhouette_diagram(points, labels, title="three blobs")
    assert_matches_baseline(ax.figure, "plot_silhouette_diagram")


def test_a_changed_figure_fails_with_the_images_written(tmp_path):
    if UPDATE:
        pytest.skip("regenerating baselines")
    points, labels, centers = blobs()
    ax = plot_clusters(points, labels, centers + [0.1, 0.0], title="three blobs", legend=True)
    with pytest.raises(pytest.fail.Exception, match="plot_clusters_2d: RMS difference"):
        assert_matches_baseline(ax.figure, "plot_clusters_2d", failures_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "plot_clusters_2d-actual.png", "plot_clusters_2d-diff.png", "plot_clusters_2d-expected.png"]
