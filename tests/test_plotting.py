"""The shared figures draw what they claim to draw, and reject malformed input."""

import numpy as np
import pytest

from clustering_course.plotting import (
    plot_centroid_images,
    plot_clusters,
    plot_confusion_matrix,
    plot_kmeans_steps,
)
from clustering_lib import assign, update_centroids


def test_plot_clusters_draws_points_and_centers():
    points = np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]])
    ax = plot_clusters(points, [0, 0, 1], [[0.5, 0.5], [5.0, 5.0]], title="t", xlabel="a")
    point_layer, center_layer = ax.collections
    np.testing.assert_array_equal(point_layer.get_offsets(), points)
    np.testing.assert_array_equal(center_layer.get_offsets(), [[0.5, 0.5], [5.0, 5.0]])
    assert ax.get_title() == "t" and ax.get_xlabel() == "a"
    assert ax.get_legend() is None


def test_plot_clusters_in_3d_with_a_legend_per_label():
    points = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [5.0, 5.0, 5.0], [6.0, 5.0, 5.0]])
    ax = plot_clusters(points, [0, 0, 2, 2], [[0.5, 0.5, 0.5], [5.5, 5.0, 5.0]],
                       zlabel="z", legend=True)
    assert ax.name == "3d" and ax.get_zlabel() == "z"
    point_layer, center_layer = ax.collections
    np.testing.assert_array_equal(point_layer._offsets3d[2], points[:, 2])
    np.testing.assert_array_equal(center_layer._offsets3d[0], [0.5, 5.5])
    entries = [text.get_text() for text in ax.get_legend().get_texts()]
    assert entries == ["$\\mathdefault{0}$", "$\\mathdefault{2}$", "centres"]


def test_plot_kmeans_steps_shows_the_lloyd_centers():
    rng = np.random.default_rng(0)
    points = np.vstack([rng.normal(0, 0.3, (20, 2)), rng.normal(5, 0.3, (20, 2))])
    start = np.array([[0.0, 0.0], [0.5, 0.5]])
    fig = plot_kmeans_steps(points, start, n_iterations=2)
    assert len(fig.axes) == 4
    labels, _ = assign(points, start)
    expected, _ = update_centroids(points, labels, 2, previous_centroids=start)
    shown = fig.axes[1].collections[1].get_offsets()  # M-step panel of iteration 1
    np.testing.assert_allclose(shown, expected.numpy())


def test_plot_centroid_images_one_panel_per_center():
    fig = plot_centroid_images(np.arange(7 * 64).reshape(7, 64), (8, 8), n_columns=4,
                               titles=[str(i) for i in range(7)])
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 7
    np.testing.assert_array_equal(shown[2].images[0].get_array(), np.arange(128, 192).reshape(8, 8))
    assert shown[6].get_title() == "6"


def test_plot_centroid_images_share_one_grey_scale():
    images = np.stack([np.full(64, 1.0), np.linspace(0.0, 4.0, 64)])
    fig = plot_centroid_images(images, (8, 8), n_columns=2)
    limits = {ax.images[0].get_clim() for ax in fig.axes if ax.images}
    assert limits == {(0.0, 4.0)}
    fig = plot_centroid_images(images, (8, 8), n_columns=2, vmin=-1.0, vmax=2.0)
    assert {ax.images[0].get_clim() for ax in fig.axes if ax.images} == {(-1.0, 2.0)}


def test_plot_confusion_matrix_writes_counts():
    ax = plot_confusion_matrix([[3, 0], [1, 2]], ["a", "b"], ["x", "y"], title="m")
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == ["1", "2", "3"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: plot_clusters(np.ones((4, 4))), r"points must have shape \(n_samples, 2\)"),
        (lambda: plot_kmeans_steps(np.ones((4, 2)), np.ones((2, 2)), 0), "n_iterations"),
        (lambda: plot_centroid_images(np.ones((3, 10)), (8, 8)), "centers must have shape"),
        (lambda: plot_confusion_matrix(np.ones((2, 2)), ["a"], ["x", "y"]), "row labels"),
    ],
)
def test_bad_input_raises(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_plot_color_cloud_uses_pixel_colors():
    from clustering_course.plotting import plot_color_cloud

    image = np.zeros((10, 10, 3), dtype=np.uint8)
    image[..., 0] = 255  # all red
    ax = plot_color_cloud(image, n_points=20)
    xs, ys, zs = ax.collections[0]._offsets3d  # the plotted coordinates
    assert len(xs) == 20
    np.testing.assert_allclose(np.c_[xs, ys, zs], np.tile([1.0, 0.0, 0.0], (20, 1)))
    colors = ax.collections[0].get_facecolors()
    np.testing.assert_allclose(colors[:, :3], np.tile([1.0, 0.0, 0.0], (len(colors), 1)))
    with pytest.raises(ValueError, match="height, width, 3"):
        plot_color_cloud(np.zeros((4, 4)))


def test_plot_palette_orders_dark_to_light():
    from clustering_course.plotting import plot_palette

    palette = np.array([[255, 255, 255], [0, 0, 0], [128, 128, 128]], dtype=np.uint8)
    ax = plot_palette(palette, n_columns=3)
    shown = ax.images[0].get_array()
    np.testing.assert_allclose(shown[0, :, 0], [0.0, 128 / 255, 1.0])
    with pytest.raises(ValueError, match=r"shape \(n, 3\)"):
        plot_palette(np.zeros((3, 4)))


def test_plot_silhouette_diagram_draws_one_band_per_cluster_and_the_mean():
    from sklearn.metrics import silhouette_score

    from clustering_course.plotting import plot_silhouette_diagram

    X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [9.0], [9.2]])
    labels = np.array([0, 0, 0, 1, 1, 2, 2])
    ax = plot_silhouette_diagram(X, labels)
    assert len(ax.collections) == 3
    assert [tick.get_text() for tick in ax.get_yticklabels()] == ["0", "1", "2"]
    assert ax.get_legend().get_texts()[0].get_text() == f"mean {silhouette_score(X, labels):.3f}"
    with pytest.raises(ValueError, match="at least 2 clusters"):
        plot_silhouette_diagram(X, np.zeros(7))
