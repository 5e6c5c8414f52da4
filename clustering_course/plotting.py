"""Figures the notebooks share: clusters, k-means steps, centroid images, tables.

Every function draws on Matplotlib axes (its own or the ``ax`` given) and returns
the figure or axes, so a notebook can add to it. Nothing here computes a clustering
except :func:`plot_kmeans_steps`, which runs the E- and M-steps of ``core`` one at a
time to show them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from clustering_lib import assign, update_centroids

__all__ = [
    "plot_clusters",
    "plot_kmeans_steps",
    "plot_centroid_images",
    "plot_confusion_matrix",
    "plot_color_cloud",
    "plot_palette",
    "plot_silhouette_diagram",
    "plot_cluster_regions",
    "plot_color_planes",
    "plot_images",
]

CLUSTER_CMAP = "tab10"


def _axes(ax: Axes | None, figsize: tuple[float, float] = (5, 4)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_clusters(
    points: Any,
    labels: Any = None,
    centers: Any = None,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    xlabel: str = "feature 0",
    ylabel: str = "feature 1",
    zlabel: str = "feature 2",
    cmap: str = CLUSTER_CMAP,
    point_size: float = 18,
    legend: bool = False,
) -> Axes:
    """Scatter 2-D or 3-D points coloured by label, with cluster centres as black crosses.

    Parameters
    ----------
    points : array-like of shape (n_samples, 2) or (n_samples, 3)
    labels : array-like of shape (n_samples,), optional
        Colour of each point; all grey when omitted.
    centers : array-like of shape (n_clusters, 2 or 3), optional
    ax : matplotlib Axes, optional
        For 3-D points a 3-D Axes (``projection="3d"``); a new one is made when omitted.
    title, xlabel, ylabel, zlabel : str, optional
        ``zlabel`` is used for 3-D points only.
    legend : bool, default=False
        Add a legend (one entry per label, and the centres) outside the axes, right.

    Returns
    -------
    matplotlib Axes
    """
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] not in (2, 3):
        raise ValueError(
            f"points must have shape (n_samples, 2) or (n_samples, 3), got {points.shape}."
        )
    three_d = points.shape[1] == 3
    if ax is None:
        ax = plt.figure(figsize=(6, 5)).add_subplot(projection="3d") if three_d else _axes(None)
    if three_d:
        ax.computed_zorder = False  # draw in call order: the centres stay on top of the points
    coordinates = points.T
    if labels is None:
        layer = ax.scatter(*coordinates, s=point_size, color="0.6")
    else:
        labels = np.asarray(labels)
        n_colors = max(int(labels.max()) + 1, 10) if labels.size else 10
        layer = ax.scatter(*coordinates, c=labels, s=point_size, cmap=cmap,
                           vmin=0, vmax=n_colors - 1, alpha=0.8)
    handles, names = layer.legend_elements() if labels is not None else ([], [])
    if centers is not None:
        centers = np.asarray(centers)
        handles.append(ax.scatter(*centers.T, marker="X", s=160, c="black",
                                  edgecolors="white", linewidths=1.5, label="centres"))
        names.append("centres")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if three_d:
        ax.set_zlabel(zlabel)
    if title:
        ax.set_title(title)
    if legend and handles:
        # Right of the axes; a 3-D plot's z label sits there too, so one step further out.
        ax.legend(handles, names, loc="upper left", bbox_to_anchor=(1.15 if three_d else 1.02, 1),
                  fontsize=8)
    return ax


def plot_kmeans_steps(
    points: Any,
    initial_centers: Any,
    n_iterations: int = 3,
    *,
    panel_size: float = 3.0,
    xlabel: str = "feature 0",
    ylabel: str = "feature 1",
) -> Figure:
    """Draw Lloyd's algorithm as a grid: one row per iteration, E-step then M-step.

    The E-step panel colours each point by its nearest current centre; the M-step
    panel shows every centre moving (arrow) to the mean of its points.

    Parameters
    ----------
    points : array-like of shape (n_samples, 2)
    initial_centers : array-like of shape (n_clusters, 2)
    n_iterations : int, default=3
    xlabel, ylabel : str, optional
        Axis labels of every panel.

    Returns
    -------
    matplotlib Figure
    """
    points = np.asarray(points, dtype=np.float64)
    centers = np.asarray(initial_centers, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (n_samples, 2), got {points.shape}.")
    if n_iterations < 1:
        raise ValueError(f"n_iterations must be at least 1, got {n_iterations}.")
    fig, axes = plt.subplots(n_iterations, 2, figsize=(2 * panel_size, n_iterations * panel_size),
                             sharex=True, sharey=True, squeeze=False)
    for row in range(n_iterations):
        labels, _ = assign(points, centers)
        new_centers, _ = update_centroids(points, labels, len(centers),
                                               previous_centroids=centers)
        labels, new_centers = labels.numpy(), new_centers.numpy()
        plot_clusters(points, labels, centers, ax=axes[row, 0], point_size=8,
                      title=f"iteration {row + 1}: E-step (assign)", xlabel=xlabel,
                      ylabel=ylabel)
        plot_clusters(points, labels, new_centers, ax=axes[row, 1], point_size=8,
                      title=f"iteration {row + 1}: M-step (move)", xlabel=xlabel,
                      ylabel=ylabel)
        for old, new in zip(centers, new_centers, strict=True):
            axes[row, 1].annotate("", xy=new, xytext=old,
                                  arrowprops={"arrowstyle": "->", "lw": 1.5})
        centers = new_centers
    fig.tight_layout()
    return fig


def plot_centroid_images(
    centers: Any,
    image_shape: tuple[int, int] = (8, 8),
    *,
    titles: Sequence[str] | None = None,
    n_columns: int = 5,
    cmap: str = "binary",
    suptitle: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
) -> Figure:
    """Show each centroid as a small image (for image data such as digits).

    All images share one grey scale, so equal values look equal across the grid (a
    reconstruction and its original can be compared by eye).

    Parameters
    ----------
    centers : array-like of shape (n_clusters, height * width)
    image_shape : (int, int), default=(8, 8)
    titles : sequence of str, optional
        One title per image, e.g. the digit a cluster was mapped to.
    n_columns : int, default=5
    cmap : str, default="binary"
    suptitle : str, optional
    vmin, vmax : float, optional
        The values drawn at the two ends of the colour map; by default the smallest and
        largest value over all the images.

    Returns
    -------
    matplotlib Figure
    """
    centers = np.asarray(centers)
    if centers.ndim != 2 or centers.shape[1] != image_shape[0] * image_shape[1]:
        raise ValueError(
            f"centers must have shape (n_clusters, {image_shape[0] * image_shape[1]}) for "
            f"image_shape={image_shape}, got {centers.shape}."
        )
    vmin = float(np.min(centers)) if vmin is None else vmin
    vmax = float(np.max(centers)) if vmax is None else vmax
    n_rows = int(np.ceil(len(centers) / n_columns))
    # A suptitle gets its own strip, so that it does not squeeze the rows' titles together.
    fig, axes = plt.subplots(n_rows, n_columns, squeeze=False,
                             figsize=(1.6 * n_columns, 1.8 * n_rows + (0.4 if suptitle else 0.0)))
    for index, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if index >= len(centers):
            ax.axis("off")
            continue
        ax.imshow(centers[index].reshape(image_shape), cmap=cmap, vmin=vmin, vmax=vmax)
        ax.set_title(titles[index] if titles is not None else f"cluster {index}", fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(
    table: Any,
    row_labels: Sequence[Any],
    column_labels: Sequence[Any],
    *,
    ax: Axes | None = None,
    title: str | None = None,
    xlabel: str = "predicted",
    ylabel: str = "true",
    cmap: str = "Blues",
) -> Axes:
    """Draw a count table as a heat map with the counts written in the cells.

    Parameters
    ----------
    table : array-like of shape (n_rows, n_columns)
    row_labels, column_labels : sequences
        Tick labels for rows and columns.

    Returns
    -------
    matplotlib Axes
    """
    table = np.asarray(table)
    if table.shape != (len(row_labels), len(column_labels)):
        raise ValueError(
            f"table has shape {table.shape} but there are {len(row_labels)} row labels "
            f"and {len(column_labels)} column labels."
        )
    ax = _axes(ax, figsize=(5.5, 4.5))
    image = ax.imshow(table, cmap=cmap)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="count")
    ax.set_xticks(range(len(column_labels)), [str(c) for c in column_labels])
    ax.set_yticks(range(len(row_labels)), [str(r) for r in row_labels])
    threshold = table.max() / 2 if table.size else 0
    for (i, j), count in np.ndenumerate(table):
        if count:
            ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                    color="white" if count > threshold else "black")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax


def _as_unit_rgb(colors: Any) -> np.ndarray:
    colors = np.asarray(colors)
    if colors.ndim != 2 or colors.shape[1] != 3:
        raise ValueError(f"colours must have shape (n, 3), got {colors.shape}.")
    return colors / 255.0 if colors.dtype == np.uint8 else colors.astype(np.float64)


def _sample_pixels(image: Any, n_points: int, random_state: int) -> np.ndarray:
    """Up to ``n_points`` pixels of an RGB image, drawn without replacement, in [0, 1]."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must have shape (height, width, 3), got {image.shape}.")
    pixels = _as_unit_rgb(image.reshape(-1, 3))
    rng = np.random.default_rng(random_state)
    return pixels[rng.choice(len(pixels), size=min(n_points, len(pixels)), replace=False)]


def plot_color_cloud(
    image: Any,
    *,
    n_points: int = 3000,
    random_state: int = 0,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Scatter a random sample of an image's pixels in the RGB cube, in their own colours.

    Parameters
    ----------
    image : array-like of shape (height, width, 3), uint8 or float in [0, 1]
    n_points : int, default=3000
        Pixels drawn at random (without replacement) to keep the plot light.
    random_state : int, default=0
    ax : a 3-D matplotlib Axes (``projection="3d"``), optional

    Returns
    -------
    matplotlib Axes (3-D)
    """
    sample = _sample_pixels(image, n_points, random_state)
    if ax is None:
        ax = plt.figure(figsize=(5, 4.5)).add_subplot(projection="3d")
    ax.scatter(sample[:, 0], sample[:, 1], sample[:, 2], c=sample, s=4, depthshade=False)
    ax.set_xlabel("red")
    ax.set_ylabel("green")
    ax.set_zlabel("blue")
    for axis_limits in (ax.set_xlim, ax.set_ylim, ax.set_zlim):
        axis_limits(0, 1)
    if title:
        ax.set_title(title)
    return ax


def plot_palette(
    palette: Any,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    n_columns: int = 16,
) -> Axes:
    """Draw palette colours as a grid of swatches, ordered from dark to light.

    Parameters
    ----------
    palette : array-like of shape (n_colors, 3), uint8 or float in [0, 1]
    n_columns : int, default=16

    Returns
    -------
    matplotlib Axes
    """
    colors = _as_unit_rgb(palette)
    colors = colors[np.argsort(colors @ np.array([0.299, 0.587, 0.114]), kind="stable")]
    n_rows = int(np.ceil(len(colors) / n_columns))
    grid = np.ones((n_rows * n_columns, 3))
    grid[: len(colors)] = colors
    ax = _axes(ax, figsize=(0.4 * n_columns, 0.4 * n_rows + 0.6))
    ax.imshow(grid.reshape(n_rows, n_columns, 3), interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title or f"palette: {len(colors)} colours, dark to light")
    return ax


def plot_silhouette_diagram(
    X: Any,
    labels: Any,
    *,
    metric: str = "euclidean",
    ax: Axes | None = None,
    title: str | None = None,
    cmap: str = CLUSTER_CMAP,
) -> Axes:
    """Silhouette diagram: each point's silhouette, sorted within its cluster.

    A point's silhouette ``(b - a) / max(a, b)`` compares its mean distance ``a`` to
    its own cluster with ``b``, the mean distance to the nearest other cluster: near 1
    is well placed, below 0 would be better off elsewhere. Each cluster is a band;
    the dashed line is the mean (scikit-learn's ``silhouette_score``).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or a distance matrix with
        ``metric='precomputed'``
    labels : array-like of shape (n_samples,), at least 2 distinct values
    metric : str, default='euclidean'
        Passed to :func:`sklearn.metrics.silhouette_samples`.

    Returns
    -------
    matplotlib Axes
    """
    from sklearn.metrics import silhouette_samples

    labels = np.asarray(labels)
    clusters = np.unique(labels)
    if len(clusters) < 2:
        raise ValueError("labels must contain at least 2 clusters for a silhouette diagram.")
    values = silhouette_samples(X, labels, metric=metric)
    ax = _axes(ax, figsize=(5, 4.5))
    colors = plt.get_cmap(cmap)
    bottom, middles = 0, []
    for index, cluster in enumerate(clusters):
        band = np.sort(values[labels == cluster])
        ax.fill_betweenx(np.arange(bottom, bottom + len(band)), 0, band,
                         color=colors(index % colors.N), alpha=0.8)
        middles.append(bottom + len(band) / 2)
        bottom += len(band) + 10
    mean = float(values.mean())
    ax.axvline(mean, color="black", linestyle="--", label=f"mean {mean:.3f}")
    # The cluster numbers are the y ticks, so they never collide with the axis label.
    ax.set_yticks(middles, [str(cluster) for cluster in clusters], fontsize=8)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel("silhouette")
    ax.set_ylabel("cluster (points sorted within each band)")
    ax.legend(loc="lower right")
    ax.set_title(title or f"{len(clusters)} clusters")
    return ax


def plot_cluster_regions(
    predict: Any,
    points: Any,
    labels: Any = None,
    centers: Any = None,
    *,
    ax: Axes | None = None,
    grid_size: int = 300,
    padding: float = 0.05,
    title: str | None = None,
    xlabel: str = "feature 0",
    ylabel: str = "feature 1",
    cmap: str = CLUSTER_CMAP,
    point_size: float = 10,
) -> Axes:
    """Shade the region of the plane each cluster claims, with the points on top.

    ``predict`` is evaluated on a ``grid_size`` x ``grid_size`` grid covering the
    points (and centres); for k-means the regions are the Voronoi cells of the
    centres. Region colours match :func:`plot_clusters`'s colours for the same label.

    Parameters
    ----------
    predict : callable
        Maps an array of shape (m, 2) to m integer labels >= 0, e.g. ``model.predict``.
    points : array-like of shape (n_samples, 2)
    labels, centers : optional
        Passed to :func:`plot_clusters`.
    ax : matplotlib Axes, optional
    grid_size : int, default=300
        Grid points per axis.
    padding : float, default=0.05
        Margin around the data, as a fraction of its range on each axis.
    title, xlabel, ylabel, cmap, point_size : optional
        As in :func:`plot_clusters`.

    Returns
    -------
    matplotlib Axes
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
        raise ValueError(f"points must have shape (n_samples, 2), got {points.shape}.")
    if not callable(predict):
        raise TypeError(f"predict must be callable (e.g. model.predict), got {predict!r}.")
    if isinstance(grid_size, bool) or not isinstance(grid_size, int) or grid_size < 2:
        raise ValueError(f"grid_size must be an integer >= 2, got {grid_size!r}.")
    extent_points = points if centers is None else np.vstack([points, np.asarray(centers)])
    low, high = extent_points.min(axis=0), extent_points.max(axis=0)
    margin = padding * np.where(high > low, high - low, 1.0)
    low, high = low - margin, high + margin
    xs = np.linspace(low[0], high[0], grid_size)
    ys = np.linspace(low[1], high[1], grid_size)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    regions = np.asarray(predict(grid))
    if regions.shape != (len(grid),) or regions.dtype.kind not in "iu" or regions.min() < 0:
        raise ValueError(
            f"predict must return {len(grid)} integer labels >= 0 for {len(grid)} points, got "
            f"an array of shape {regions.shape} and dtype {regions.dtype}."
        )
    regions = regions.reshape(grid_size, grid_size)
    top_label = int(regions.max()) if labels is None else max(int(regions.max()),
                                                               int(np.max(labels)))
    n_colors = max(top_label + 1, 10)
    ax = _axes(ax)
    ax.imshow(regions, origin="lower", extent=(low[0], high[0], low[1], high[1]), cmap=cmap,
              vmin=0, vmax=n_colors - 1, alpha=0.25, interpolation="nearest", aspect="auto")
    if regions.min() != regions.max():
        ax.contour(xs, ys, regions, levels=np.arange(regions.max()) + 0.5, colors="0.3",
                   linewidths=0.8)
    plot_clusters(points, labels, centers, ax=ax, title=title, xlabel=xlabel, ylabel=ylabel,
                  cmap=cmap, point_size=point_size)
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    return ax


def plot_images(
    images: Sequence[Any],
    titles: Sequence[str] | None = None,
    *,
    n_columns: int | None = None,
    panel_size: float = 3.0,
    cmap: str = "gray",
    vmin: float | None = None,
    vmax: float | None = None,
    interpolation: str = "antialiased",
    colorbar_label: str | None = None,
    suptitle: str | None = None,
) -> Figure:
    """Show photographs (and single-channel maps) side by side, without axes ticks.

    RGB images are drawn as they are; single-channel images (2-D arrays, e.g. an
    error map) are drawn with ``cmap`` on one scale shared by all of them.

    Parameters
    ----------
    images : sequence of arrays
        Each of shape (height, width, 3), uint8 or float in [0, 1], or (height, width).
    titles : sequence of str, optional
        One per image.
    n_columns : int, optional
        Panels per row; all in one row by default.
    panel_size : float, default=3.0
        Width of each panel in inches; the height follows the tallest image's aspect.
    cmap : str, default="gray"
        Colour map of the single-channel images.
    vmin, vmax : float, optional
        Ends of their shared scale; by default their smallest and largest values.
    interpolation : str, default="antialiased"
        Passed to ``imshow``; "nearest" shows the pixels of a zoomed crop as blocks.
    colorbar_label : str, optional
        Add one colour bar, with this label, for the single-channel images.
    suptitle : str, optional

    Returns
    -------
    matplotlib Figure
    """
    images = [np.asarray(image) for image in images]
    if not images:
        raise ValueError("images must hold at least one image.")
    for index, image in enumerate(images):
        if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)) or image.size == 0:
            raise ValueError(
                f"images[{index}] must have shape (height, width, 3) or (height, width), got "
                f"{image.shape}."
            )
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"titles has {len(titles)} entries for {len(images)} images.")
    n_columns = len(images) if n_columns is None else n_columns
    if isinstance(n_columns, bool) or not isinstance(n_columns, int) or n_columns < 1:
        raise ValueError(f"n_columns must be a positive integer, got {n_columns!r}.")
    maps = [image for image in images if image.ndim == 2]
    if maps:
        vmin = float(min(np.min(m) for m in maps)) if vmin is None else vmin
        vmax = float(max(np.max(m) for m in maps)) if vmax is None else vmax
    n_rows = int(np.ceil(len(images) / n_columns))
    aspect = max(image.shape[0] / image.shape[1] for image in images)
    title_room = 0.3 if titles is not None else 0.0
    fig, axes = plt.subplots(
        n_rows, n_columns, squeeze=False, layout="constrained",
        figsize=(panel_size * n_columns, n_rows * (panel_size * aspect + title_room)
                 + (0.4 if suptitle else 0.0)),
    )
    map_axes, mappable = [], None
    for index, ax in enumerate(axes.flat):
        if index >= len(images):
            ax.axis("off")
            continue
        image = images[index]
        if image.ndim == 2:
            mappable = ax.imshow(image, cmap=cmap, vmin=vmin, vmax=vmax,
                                 interpolation=interpolation)
            map_axes.append(ax)
        else:
            ax.imshow(image, interpolation=interpolation)
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(titles[index], fontsize=10)
    if colorbar_label is not None and mappable is not None:
        fig.colorbar(mappable, ax=map_axes, label=colorbar_label, shrink=0.9)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def plot_color_planes(
    image: Any,
    *,
    axes: Sequence[Axes] | None = None,
    n_points: int = 1500,
    random_state: int = 0,
    point_size: float = 3,
) -> Sequence[Axes]:
    """Scatter a random sample of pixels, in their own colours, on two faces of the RGB cube.

    The first panel plots green against red, the second blue against red, both from 0 to 1:
    two flat views of the 3-D cloud that :func:`plot_color_cloud` draws.

    Parameters
    ----------
    image : array-like of shape (height, width, 3), uint8 or float in [0, 1]
    axes : two matplotlib Axes, optional
        A new figure with two panels is made when omitted.
    n_points : int, default=1500
        Pixels drawn at random (without replacement).
    random_state : int, default=0
    point_size : float, default=3

    Returns
    -------
    the two Axes
    """
    sample = _sample_pixels(image, n_points, random_state)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(6, 3), layout="constrained")
    if len(axes) != 2:
        raise ValueError(f"axes must be two Axes, got {len(axes)}.")
    for ax, channel, name in zip(axes, (1, 2), ("green", "blue"), strict=True):
        ax.scatter(sample[:, 0], sample[:, channel], c=sample, s=point_size)
        ax.set(xlabel="red", ylabel=name, xlim=(0, 1), ylim=(0, 1), aspect="equal",
               title=f"pixels: red and {name}")
    return axes
