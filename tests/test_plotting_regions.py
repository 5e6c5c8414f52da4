"""plot_cluster_regions and plot_images draw what they claim, and reject malformed input."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from clustering_course.plotting import plot_cluster_regions, plot_images


def nearest_of_two(points):
    """Label 0 left of x = 2, label 1 right of it: the Voronoi cells of (0, 0) and (4, 0)."""
    return (np.asarray(points)[:, 0] > 2.0).astype(int)


def test_regions_are_the_predicted_labels_on_a_grid_covering_the_points():
    points = np.array([[0.0, -1.0], [4.0, 1.0], [1.0, 0.0]])
    ax = plot_cluster_regions(nearest_of_two, points, [0, 1, 0], [[0, 0], [4, 0]],
                              grid_size=50, padding=0.1, xlabel="$x_1$")
    regions = ax.images[0].get_array()
    assert regions.shape == (50, 50)
    left, right, bottom, top = ax.images[0].get_extent()
    np.testing.assert_allclose([left, right, bottom, top], [-0.4, 4.4, -1.2, 1.2])
    xs = np.linspace(left, right, 50)
    np.testing.assert_array_equal(regions, np.tile(xs > 2.0, (50, 1)).astype(int))
    assert ax.get_xlabel() == "$x_1$"
    # points and centres drawn on top, colours on the same scale as the regions
    point_layer, center_layer = ax.collections[-2:]
    np.testing.assert_array_equal(point_layer.get_offsets(), points)
    assert point_layer.get_clim() == ax.images[0].get_clim()


def test_regions_with_one_label_draw_no_boundary():
    ax = plot_cluster_regions(lambda grid: np.zeros(len(grid), int), np.eye(2), grid_size=10)
    assert len(ax.images) == 1 and not ax.images[0].get_array().any()


@pytest.mark.parametrize(("predict", "points", "error", "message"), [
    (nearest_of_two, np.ones((3, 3)), ValueError, r"points must have shape \(n_samples, 2\)"),
    ("not callable", np.ones((3, 2)), TypeError, "predict must be callable"),
    (lambda grid: np.zeros(3, int), np.ones((3, 2)), ValueError, "integer labels"),
    (lambda grid: np.zeros(len(grid)), np.ones((3, 2)), ValueError, "integer labels"),
    (lambda grid: -np.ones(len(grid), int), np.ones((3, 2)), ValueError, "integer labels"),
])
def test_regions_bad_input(predict, points, error, message):
    with pytest.raises(error, match=message):
        plot_cluster_regions(predict, points, grid_size=10)


def test_plot_images_rgb_and_maps_on_one_shared_scale():
    photo = np.zeros((4, 6, 3), dtype=np.uint8)
    small_error, large_error = np.full((4, 6), 1.0), np.linspace(0.0, 8.0, 24).reshape(4, 6)
    fig = plot_images([photo, small_error, large_error], ["a", "b", "c"],
                      colorbar_label="error")
    panels = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in panels[:3]] == ["a", "b", "c"]
    np.testing.assert_array_equal(panels[0].images[0].get_array(), photo)
    assert panels[1].images[0].get_clim() == panels[2].images[0].get_clim() == (0.0, 8.0)
    colorbars = [ax for ax in fig.axes if ax.get_ylabel() == "error"]
    assert len(colorbars) == 1
    assert all(not ax.get_xticks().size for ax in panels[:3])


def test_plot_images_grid_and_explicit_scale():
    maps = [np.zeros((2, 2)), np.ones((2, 2)), np.ones((2, 2))]
    fig = plot_images(maps, n_columns=2, vmin=-1.0, vmax=3.0, interpolation="nearest")
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 3 and len(fig.axes) == 4  # the fourth panel is blank
    assert {ax.images[0].get_clim() for ax in shown} == {(-1.0, 3.0)}
    assert shown[0].images[0].get_interpolation() == "nearest"


@pytest.mark.parametrize(("images", "kwargs", "message"), [
    ([], {}, "at least one image"),
    ([np.zeros((2, 2, 4))], {}, r"images\[0\] must have shape"),
    ([np.zeros((2, 2))], {"titles": ["a", "b"]}, "titles has 2 entries for 1 images"),
    ([np.zeros((2, 2))], {"n_columns": 0}, "n_columns must be a positive integer"),
])
def test_plot_images_bad_input(images, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_images(images, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize("suptitle", [None, "a suptitle"])
def test_plot_centroid_images_titles_do_not_collide(suptitle):
    from clustering_course.plotting import plot_centroid_images

    fig = plot_centroid_images(np.random.default_rng(0).random((10, 64)), (8, 8),
                               titles=[f"cluster {c} → {c}" for c in range(10)],
                               suptitle=suptitle)
    fig.canvas.draw()  # applies the images' equal aspect to the axes boxes
    renderer = fig.canvas.get_renderer()
    panels = [ax for ax in fig.axes if ax.images]
    first_row, second_row = panels[:5], panels[5:]
    for upper, lower in zip(first_row, second_row, strict=True):
        title_box = lower.title.get_window_extent(renderer)
        assert title_box.y1 <= upper.get_window_extent(renderer).y0
    for left, right in zip(panels[:4], panels[1:5], strict=True):
        assert left.title.get_window_extent(renderer).x1 < right.title.get_window_extent(
            renderer).x0
    if suptitle:
        assert fig._suptitle.get_window_extent(renderer).y0 >= max(
            ax.title.get_window_extent(renderer).y1 for ax in first_row)


def test_plot_color_planes_draws_red_against_green_and_blue():
    from clustering_course.plotting import plot_color_planes

    image = np.zeros((5, 4, 3), dtype=np.uint8)
    image[..., 0] = np.arange(20).reshape(5, 4) * 10
    image[..., 1] = 51
    image[..., 2] = 255
    axes = plot_color_planes(image, n_points=8, random_state=1)
    green, blue = (ax.collections[0].get_offsets() for ax in axes)
    assert len(green) == 8
    np.testing.assert_allclose(green[:, 1], 0.2)
    np.testing.assert_allclose(blue[:, 1], 1.0)
    np.testing.assert_array_equal(green[:, 0], blue[:, 0])  # the same pixels in both panels
    assert set(np.round(green[:, 0] * 255).astype(int)) <= set(range(0, 200, 10))
    colors = axes[0].collections[0].get_facecolors()[:, :3]
    np.testing.assert_allclose(colors[:, 0], green[:, 0])
    assert [ax.get_ylabel() for ax in axes] == ["green", "blue"]


def test_plot_color_planes_bad_input():
    from clustering_course.plotting import plot_color_planes

    with pytest.raises(ValueError, match=r"image must have shape \(height, width, 3\)"):
        plot_color_planes(np.zeros((4, 4)))
    _, axes = plt.subplots(1, 3)
    with pytest.raises(ValueError, match="axes must be two Axes"):
        plot_color_planes(np.zeros((4, 4, 3)), axes=axes)
