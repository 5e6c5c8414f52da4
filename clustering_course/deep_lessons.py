"""Course-only helpers of notebooks 04 and 05 (deep clustering on MNIST): plots and checks.

- :func:`deskew`: moment-based deskewing of digit images (notebook 05's preprocessing);
- :func:`plot_off_diagonal`: a confusion matrix whose colour shows the mistakes only;
- :func:`uniform_distortion`: the k-means distortion share ``W/T`` of uniform data, the
  yardstick of notebook 04's rescaling argument;
- :func:`check_loss_from_share` (notebook 04) and :func:`check_matched_agreement`
  (notebook 05): the exercises' checks, in the style of :mod:`clustering_course.exercises`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from clustering_course.exercises import ExerciseCheck
from clustering_lib import KMeans

__all__ = [
    "check_loss_from_share",
    "check_matched_agreement",
    "deskew",
    "plot_off_diagonal",
    "uniform_distortion",
]


def deskew(images: Any, *, pad: int = 0) -> np.ndarray:
    """Straighten slanted digits by their second moments (the classic MNIST deskewing).

    Each image's ink is treated as a mass distribution: its centre of mass ``(ci, cj)`` and the
    slant ``alpha = cov(i, j) / var(i)`` (how far the column of the ink moves per row) give a
    shear ``j -> j + alpha * (i - ci)`` that is undone, with the centre of mass moved to the
    middle of the image (bilinear interpolation, zeros outside). An image without ink is
    returned unchanged. No parameter is tuned; LeCun et al. (1998) list "deskewing" as the
    preprocessing of several classifiers in their MNIST table.

    The shear and the shift move ink, and ink moved out of the frame is lost. MNIST's digits
    were scaled into a 20 x 20 box and placed in their 28 x 28 frame by their centre of mass,
    so little ink lies at the edge; digits that fill their frame (such as scikit-learn's 8 x 8
    digits) need ``pad``.

    Parameters
    ----------
    images : array of shape (n, h, w) or (h, w)
        Grey-level images, ink positive.
    pad : int, default=0
        Empty pixels added on every side before straightening; the result is that much larger.

    Returns
    -------
    ndarray of float64, of shape ``(n, h + 2 * pad, w + 2 * pad)`` (or without ``n``).
    """
    from scipy import ndimage

    stack = np.asarray(images, dtype=np.float64)
    single = stack.ndim == 2
    if single:
        stack = stack[None]
    if stack.ndim != 3:
        raise ValueError(f"expected images of shape (n, h, w) or (h, w), got {stack.shape}")
    if isinstance(pad, bool) or not isinstance(pad, (int, np.integer)) or pad < 0:
        raise ValueError(f"pad must be a non-negative integer, got {pad!r}")
    stack = np.pad(stack, ((0, 0), (pad, pad), (pad, pad)))
    height, width = stack.shape[1:]
    rows, cols = np.mgrid[:height, :width].astype(np.float64)
    middle = np.array([(height - 1) / 2, (width - 1) / 2])
    out = np.empty_like(stack)
    for k, image in enumerate(stack):
        mass = image.sum()
        if mass <= 0:
            out[k] = image
            continue
        ci, cj = (rows * image).sum() / mass, (cols * image).sum() / mass
        var_i = ((rows - ci) ** 2 * image).sum()
        alpha = ((rows - ci) * (cols - cj) * image).sum() / var_i if var_i > 0 else 0.0
        shear = np.array([[1.0, 0.0], [alpha, 1.0]])
        offset = np.array([ci, cj]) - shear @ middle
        out[k] = ndimage.affine_transform(image, shear, offset=offset, order=1)
    return out[0] if single else out


def plot_off_diagonal(table: Any, *, ax=None, title: str | None = None,
                      xlabel: str = "cluster (matched to a digit)",
                      ylabel: str = "true digit"):
    """Draw a square count table with the diagonal greyed out, so the colour shows the errors.

    Every cell holds its count; the diagonal (the correctly clustered digits) is written in
    grey on white, and the colour scale runs over the off-diagonal counts alone.
    """
    table = np.asarray(table)
    if table.ndim != 2 or table.shape[0] != table.shape[1]:
        raise ValueError(f"table must be square, got shape {table.shape}.")
    if ax is None:
        ax = plt.subplots(figsize=(6.2, 5.2))[1]
    off = np.where(np.eye(len(table), dtype=bool), np.nan, table.astype(float))
    image = ax.imshow(off, cmap="Reds", vmin=0, vmax=max(np.nanmax(off), 1.0))
    top = np.nanmax(off)
    for (i, j), count in np.ndenumerate(table):
        colour = "0.5" if i == j else ("white" if count > 0.6 * top else "black")
        ax.text(j, i, str(count), ha="center", va="center", fontsize=7, color=colour)
    ax.set(xticks=range(table.shape[1]), yticks=range(table.shape[0]), xlabel=xlabel,
           ylabel=ylabel, title=title)
    ax.figure.colorbar(image, ax=ax, label="digits in the wrong cluster")
    return ax


def uniform_distortion(dims: Any, ks: Any, n_points: int = 4000, seed: int = 0) -> np.ndarray:
    """``W/T`` of k-means on ``n_points`` uniform points in the unit cube, per ``(d, k)``.

    ``W`` is the mean squared distance to the nearest centre, ``T`` the mean squared
    distance to the overall mean (the variance); k-means with 4 restarts.
    """
    rng = np.random.default_rng(seed)
    out = np.empty((len(dims), len(ks)))
    for a, d in enumerate(dims):
        points = rng.random((n_points, d)).astype(np.float32)
        total = points.var(axis=0).sum()
        for b, k in enumerate(ks):
            model = KMeans(k, n_init=4, random_state=seed).fit(points)
            out[a, b] = model.inertia_ / n_points / total
    return out


def _equal_clusters(k: int, per_cluster: int, seed: int) -> tuple[float, float]:
    """``W/T`` and ``2 sqrt(W/B)`` of ``k`` equal clusters of Gaussian 3-D points, from the
    post's definitions (centroids the cluster means)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=2.0, size=(k, 3))
    points = np.repeat(centres, per_cluster, axis=0) + rng.normal(size=(k * per_cluster, 3))
    labels = np.repeat(np.arange(k), per_cluster)
    means = np.stack([points[labels == j].mean(axis=0) for j in range(k)])
    squared = ((points[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)
    own = np.eye(k, dtype=bool)[labels]
    within = squared[own].mean()
    between = squared[~own].reshape(len(points), -1).sum(axis=1).mean()
    return within / points.var(axis=0).sum(), 2 * np.sqrt(within / between)


def check_loss_from_share(loss_from_share: Callable[[Any, int], Any]) -> None:
    """Check ``loss_from_share(share, k)``: notebook 04's loss at its best scale, ``2 sqrt(W/B)``,
    for ``k`` clusters of equal size that leave the share ``share = W/T`` of the variance
    within them.

    With ``B = 2kT - (k+1)W`` the answer is ``2 sqrt(r / (2k - (k+1) r))`` for ``r = W/T``.
    The last case measures ``W``, ``B`` and ``T`` on ten equal clusters of points, from the
    loss's definitions, where the identity is exact.
    """
    measured_share, measured_loss = _equal_clusters(10, 60, seed=4)
    cases = [("a line cut into ten segments: share 0.01, k = 10", 0.01, 10),
             ("a uniform cube: share 0.226, k = 10", 0.226, 10),
             ("share 0.1, k = 3", 0.1, 3),
             ("the shares [0.05, 0.3, 0.6] in one array, k = 4", np.array([0.05, 0.3, 0.6]), 4),
             (f"ten equal clusters of 60 points, W, B and T measured (share "
              f"{measured_share:.4f}), k = 10", measured_share, 10)]
    check = ExerciseCheck(loss_from_share, "loss_from_share", len(cases))
    for label, share, k in cases:
        check.start(label)
        r = np.asarray(share, dtype=np.float64)
        got = check.array(check.call(share, k), "the loss", r.shape)
        expected = 2 * np.sqrt(r / (2 * k - (k + 1) * r))
        if label.startswith("ten equal"):
            expected = np.asarray(measured_loss)
        if np.allclose(got, expected, rtol=1e-6):
            continue
        slips = [
            (np.sqrt(r / (2 * k - (k + 1) * r)),
             "at the best scale the two terms of the loss are equal: the loss is twice one of "
             "them, 2 sqrt(W/B)."),
            (2 * r / (2 * k - (k + 1) * r),
             "this is 2 W/B: the loss at the best scale is 2 sqrt(W/B)."),
            (2 * np.sqrt((2 * k - (k + 1) * r) / r),
             "this is 2 sqrt(B/W): within over between, not the other way round."),
            (2 * np.sqrt(r / (2 * k)),
             "this drops the W term of B = 2kT - (k+1)W; for a large share it is not small."),
            (2 * np.sqrt(r / (2 * k - (k - 1) * r)),
             "B = 2kT - (k+1)W: leaving each point's own cluster out of B takes one W, and "
             "the spread of the centroids, k(T - W) for equal sizes, takes k more."),
            (2 * np.sqrt(r / (k - r)),
             "expanding around the overall mean m leaves the spread of the centroids, the sum "
             "over j of |c_j - m|^2, which is k(T - W) for equal sizes."),
            (2 * np.sqrt(r / (20 - 11 * r)),
             "the number of clusters is the argument k, not always 10."),
        ]
        hint = ("write W = share * T and B = 2kT - (k+1)W: T cancels in W/B; the loss at the "
                "best scale is 2 sqrt(W/B).")
        for wrong, diagnosis in slips:
            if (np.allclose(got, wrong, rtol=1e-6)
                    and not np.allclose(wrong, expected, rtol=1e-6)):
                hint = diagnosis
                break
        check.fail("the loss differs.", expected=expected, got=got, hint=hint)
    check.done()


def _greedy_matching(table: np.ndarray) -> int:
    """Total of a greedy one-to-one matching: the largest count first, then the largest left."""
    table = np.array(table, dtype=np.int64)
    total = 0
    for _ in range(min(table.shape)):
        row, col = np.unravel_index(np.argmax(table), table.shape)
        total += table[row, col]
        table[row, :] = -1
        table[:, col] = -1
    return int(total)


def check_matched_agreement(matched_agreement: Callable[[np.ndarray, np.ndarray], Any]) -> None:
    """Check ``matched_agreement(a, b) -> float``: the share of points on which two partitions
    agree after the best one-to-one matching of the clusters of ``b`` to those of ``a``."""
    from scipy.optimize import linear_sum_assignment

    rng = np.random.default_rng(6)
    noisy = rng.integers(0, 10, 500)
    flipped = np.where(rng.random(500) < 0.2, rng.integers(0, 10, 500), noisy)
    cases = [
        ("the same partition, renumbered", np.array([0, 0, 1, 1, 2, 2]),
         np.array([1, 1, 0, 0, 2, 2])),
        ("two clusters of b drawn to the same cluster of a", np.array([0, 0, 0, 0, 1, 1]),
         np.array([0, 0, 1, 1, 2, 2])),
        ("two clusters of a drawn to the same cluster of b", np.array([0, 0, 1, 1, 2, 2]),
         np.array([0, 0, 0, 0, 1, 1])),
        ("the largest count first is not the best matching",
         np.repeat([0, 1, 2], [9, 4, 2]), np.repeat([1, 0, 1, 2], [5, 4, 4, 2])),
        ("500 points, 20% of the labels redrawn", noisy, (flipped + 3) % 10),
    ]
    check = ExerciseCheck(matched_agreement, "matched_agreement", len(cases))
    for label, a, b in cases:
        check.start(label)
        got = float(np.asarray(check.call(a.copy(), b.copy())))
        table = np.zeros((max(a.max(), b.max()) + 1,) * 2, dtype=np.int64)
        np.add.at(table, (a, b), 1)
        rows, cols = linear_sum_assignment(-table)
        expected = table[rows, cols].sum() / len(a)
        if np.isclose(got, expected, atol=1e-9):
            continue
        hint = ("count the pairs (cluster of a, cluster of b) in a table, find the one-to-one "
                "matching with the largest total (scipy.optimize.linear_sum_assignment), "
                "divide by the number of points.")
        rows, cols = linear_sum_assignment(table)
        if np.isclose(got, table[rows, cols].sum() / len(a)):
            hint = ("this is the matching with the smallest total: linear_sum_assignment "
                    "minimises, so hand it the negated table (or maximize=True).")
        elif np.isclose(got, table.max(axis=0).sum() / len(a)) or np.isclose(
                got, table.max(axis=1).sum() / len(a)):
            hint = ("each cluster took its best partner, so two can take the same one: the "
                    "matching must be one-to-one.")
        elif np.isclose(got, _greedy_matching(table) / len(a)):
            hint = ("taking the largest count first and then the largest left is greedy: it "
                    "can block a better matching. linear_sum_assignment finds the best one.")
        elif np.isclose(got, np.mean(a == b)):
            hint = "this compares the cluster numbers as they are: match the clusters first."
        check.fail("the agreement differs.", expected=expected, got=got, hint=hint)
    check.done()
