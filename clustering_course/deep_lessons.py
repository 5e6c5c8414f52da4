"""Course-only helpers of notebooks 04 and 05 (deep clustering on MNIST): plots and checks.

- :func:`deskew`: moment-based deskewing of digit images (notebook 05's preprocessing);
- :func:`plot_off_diagonal`: a confusion matrix whose colour shows the mistakes only;
- :func:`uniform_distortion`: the k-means distortion share ``W/T`` of uniform data, the
  yardstick of notebook 04's rescaling argument;
- :func:`check_lloyd_from_partition` (notebook 04), :func:`check_matched_agreement`,
  :func:`check_shared_partitions` and :func:`check_gain_against_purity` (notebook 05): the
  exercises' checks, in the style of :mod:`clustering_course.exercises`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from clustering_course.exercises import ExerciseCheck
from clustering_lib import KMeans

__all__ = [
    "check_gain_against_purity",
    "check_lloyd_from_partition",
    "check_matched_agreement",
    "check_shared_partitions",
    "deskew",
    "plot_off_diagonal",
    "uniform_distortion",
]


def deskew(images: Any, *, pad: int = 0, shear: bool = True) -> np.ndarray:
    """Straighten slanted digits by their second moments (the classic MNIST deskewing).

    Each image's ink is treated as a mass distribution: its centre of mass ``(ci, cj)`` and the
    slant ``alpha = cov(i, j) / var(i)`` (how far the column of the ink moves per row) give a
    shear ``j -> j + alpha * (i - ci)`` that is undone, with the centre of mass moved to the
    middle of the image (bilinear interpolation, zeros outside). An image without ink is
    returned unchanged. Its one setting, ``pad``, stays 0 for MNIST, whose digits sit inside
    their frame; notebook 05 tries a margin on scikit-learn's 8 x 8 digits, which fill
    theirs. LeCun et al. (1998) list "deskewing" as the preprocessing of several classifiers
    in their MNIST table; their deslanting counted each foreground pixel as 1 (not its grey
    level) and shifted the rows without recentring, so this is a variant of it.

    ``shear=False`` is the control without the shear: the same recentring and the same bilinear
    resampling, with the slant left as it is (``alpha`` taken as 0).

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
    shear : bool, default=True
        False: recentre and resample only, without undoing the slant.

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
    if not isinstance(shear, (bool, np.bool_)):
        raise ValueError(f"shear must be True or False, got {shear!r}")
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
        matrix = np.array([[1.0, 0.0], [alpha if shear else 0.0, 1.0]])
        offset = np.array([ci, cj]) - matrix @ middle
        out[k] = ndimage.affine_transform(image, matrix, offset=offset, order=1)
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
        color = "0.5" if i == j else ("white" if count > 0.6 * top else "black")
        ax.text(j, i, str(count), ha="center", va="center", fontsize=7, color=color)
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


def _partition_share(points: np.ndarray, labels: np.ndarray, k: int,
                     total: float) -> tuple[float, np.ndarray]:
    """``W/T`` of a partition measured to its own means, and those means (no empty cluster)."""
    counts = np.bincount(labels, minlength=k)
    if np.any(counts == 0):
        raise RuntimeError("a check case emptied a cluster; choose another case.")
    means = np.stack([points[labels == j].mean(axis=0) for j in range(k)])
    return float(((points - means[labels]) ** 2).sum(axis=1).mean() / total), means


def _nearest(points: np.ndarray, means: np.ndarray) -> np.ndarray:
    return ((points[:, None, :] - means[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)


def _lloyd_paths(points: np.ndarray, labels: np.ndarray, n_steps: int) -> dict[str, Any]:
    """The right answer of ``lloyd_from_partition`` and the typical wrong ones, for diagnosis."""
    points = np.asarray(points, dtype=np.float64)
    k = int(labels.max()) + 1
    total = float(points.var(axis=0).sum())
    path = [np.asarray(labels)]
    shares, e_step, unsquared, means = [], [], [], None
    for step in range(n_steps + 1):
        share, new_means = _partition_share(points, path[-1], k, total)
        shares.append(share)
        unsquared.append(np.sqrt(((points - new_means[path[-1]]) ** 2).sum(axis=1)).mean()
                         / total)
        if step > 0:  # the distances to the means the points were just assigned to
            e_step.append(((points - means[path[-1]]) ** 2).sum(axis=1).mean() / total)
        means = new_means
        if step < n_steps:
            path.append(_nearest(points, means))
    shares = np.array(shares)
    first_means = _partition_share(points, path[0], k, total)[1]
    fixed = _nearest(points, first_means)
    fixed_share = ((points - first_means[fixed]) ** 2).sum(axis=1).mean() / total
    n = len(points)
    return {
        "shares": shares, "labels": path[-1], "before_last": path[-2] if n_steps else None,
        "e_step": np.concatenate([shares[:1], e_step]),
        "fixed_means": np.concatenate([shares[:1], np.full(n_steps, fixed_share)]),
        "uncentred": shares * total / (points ** 2).sum(axis=1).mean(),
        "flattened": shares * total / points.var(),
        "mean_variance": shares * points.shape[1],
        "summed": shares * n, "unsquared": np.array(unsquared),
    }


def check_lloyd_from_partition(
        lloyd_from_partition: Callable[[np.ndarray, np.ndarray, int], Any]) -> None:
    """Check ``lloyd_from_partition(embedding, labels, n_steps) -> (shares, labels)``: Lloyd's
    algorithm started from a partition (the means of its clusters), with the share ``W/T`` of
    the partition given and after each of ``n_steps`` steps, and the labels after the last step.

    ``W`` is the mean squared distance of the points to the mean of their own cluster, ``T``
    the variance of the points (the sum of the coordinates' variances). No cluster empties in
    these cases. Typical slips are named: the first share left out, ``W`` measured to the means
    the points were just assigned to (before the means move), means never recomputed, ``T``
    not centred or not summed over the coordinates, ``W`` summed instead of averaged or of
    distances not squared, the labels of the step before the last.
    """
    rng = np.random.default_rng(3)
    line = np.array([[0.0, 0.0], [1, 0], [2, 0], [9, 0], [10, 0], [11, 0], [4, 0]]) + [5.0, 3.0]
    blobs = rng.normal(scale=0.8, size=(300, 3)) + np.repeat(
        [[0.0, 0, 0], [3, 0, 0], [0, 3, 0]], 100, axis=0) + 4.0
    blob_labels = np.repeat([0, 1, 2], 100)
    redrawn = np.where(rng.random(300) < 0.3, rng.integers(0, 3, 300), blob_labels)
    stretched = rng.normal(size=(400, 3)) * [3.0, 0.6, 0.3] + [1.0, -2.0, 0.5]
    cases = [
        ("seven points on a line, one on the wrong side of two clusters, 2 steps",
         line, np.array([0, 0, 0, 1, 1, 1, 1]), 2),
        ("the same, no step at all: the share of the partition given", line,
         np.array([0, 0, 0, 1, 1, 1, 1]), 0),
        ("three blobs in 3-D, 30% of the labels redrawn, 5 steps", blobs, redrawn, 5),
        ("a stretched cloud, ten clusters at random, 8 steps", stretched,
         np.random.default_rng(0).integers(0, 10, 400), 8),
    ]
    check = ExerciseCheck(lloyd_from_partition, "lloyd_from_partition", len(cases))
    for label, points, labels, n_steps in cases:
        check.start(label)
        expected = _lloyd_paths(points, labels, n_steps)
        result = check.call(points.copy(), labels.copy(), n_steps)
        check.pair(result, "shares, labels")
        got = check.array(result[0], "shares", (n_steps + 1,), shape_hint=(
            "n_steps + 1 shares: first the W/T of the partition you were given, then one "
            "after each step."))
        if not np.allclose(got, expected["shares"], rtol=1e-4, atol=1e-7):
            slips = [
                ("e_step", "after the points move to their nearest mean, the means move too: "
                           "measure W/T of the new partition with its own means."),
                ("fixed_means", "compute the means again after every step: here the points "
                                "are always assigned to the means of the partition given."),
                ("uncentred", "T is the variance, around the points' mean: this cloud is not "
                              "centred on the origin."),
                ("flattened", "T sums the variances of the coordinates "
                              "(embedding.var(axis=0).sum()), not the variance of all entries."),
                ("mean_variance", "T sums the variances of the coordinates; their mean is d "
                                  "times smaller."),
                ("summed", "W is a mean over the points, like T, not a sum."),
                ("unsquared", "W is a mean of squared distances, as in T."),
            ]
            hint = ("the share after step t is W/T of the partition after t steps, each point "
                    "measured to the mean of its own cluster.")
            for key, diagnosis in slips:
                wrong = expected[key]
                if (np.allclose(got, wrong, rtol=1e-4, atol=1e-7)
                        and not np.allclose(wrong, expected["shares"], rtol=1e-4, atol=1e-7)):
                    hint = diagnosis
                    break
            check.fail("the shares differ.", expected=expected["shares"], got=got, hint=hint)
        moved = np.asarray(result[1])
        if moved.shape != labels.shape or not np.array_equal(moved, expected["labels"]):
            hint = "the labels are the partition after the last step, one per point."
            before = expected["before_last"]
            if (before is not None and moved.shape == labels.shape
                    and np.array_equal(moved, before)):
                hint = "these are the labels of the step before the last: assign once more."
            check.fail("the labels differ.", expected=expected["labels"], got=moved, hint=hint)
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


_MATCHING_FUNCTIONS = ("cluster_accuracy", "evaluate_clustering", "match_labels")


def _call_watching_library_matching(check: ExerciseCheck, function: Callable[..., Any],
                                    *args: Any) -> tuple[Any, list[str]]:
    """Call ``function`` through ``check``; also return which of the library's matching
    functions (``cluster_accuracy``, ``evaluate_clustering``, ``match_labels``) it called.

    While the function runs, those names are swapped for recording wrappers in
    ``clustering_lib`` and its ``metrics`` module, and in the function's own globals where they
    name the same objects (``from clustering_lib import cluster_accuracy``).
    """
    import clustering_lib
    from clustering_lib import metrics

    called: list[str] = []
    swapped: list[tuple[dict[str, Any], str, Any]] = []
    namespaces = [vars(clustering_lib), vars(metrics), getattr(function, "__globals__", {})]
    for name in _MATCHING_FUNCTIONS:
        original = getattr(metrics, name)

        def recording(*inner_args: Any, _name: str = name, _original: Any = original,
                      **inner_kwargs: Any) -> Any:
            called.append(_name)
            return _original(*inner_args, **inner_kwargs)

        for namespace in namespaces:
            if namespace.get(name) is original:
                swapped.append((namespace, name, original))
                namespace[name] = recording
    try:
        result = check.call(*args)
    finally:
        for namespace, name, original in reversed(swapped):
            namespace[name] = original
    return result, called


def check_matched_agreement(matched_agreement: Callable[[np.ndarray, np.ndarray], Any]) -> None:
    """Check ``matched_agreement(a, b) -> float``: the share of points on which two partitions
    agree after the best one-to-one matching of the clusters of ``b`` to those of ``a``.

    The exercise is to write the matching: a function that hands it to the library
    (``cluster_accuracy``, ``evaluate_clustering`` or ``match_labels``) fails, even with the
    right number."""
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
        result, called = _call_watching_library_matching(check, matched_agreement, a.copy(),
                                                         b.copy())
        got = float(np.asarray(result))
        table = np.zeros((max(a.max(), b.max()) + 1,) * 2, dtype=np.int64)
        np.add.at(table, (a, b), 1)
        rows, cols = linear_sum_assignment(-table)
        expected = table[rows, cols].sum() / len(a)
        if called:
            check.fail(f"your function calls the library's {called[0]}, which does the "
                       "matching for you.",
                       hint="build the table of points each pair of clusters shares and solve "
                            "the matching yourself; the library's function is what you are "
                            "rebuilding.")
        if np.isclose(got, expected, atol=1e-9):
            continue
        hint = ("the best one-to-one matching is an assignment problem: the matching of "
                "clusters with the most points in common. SciPy's optimisation module solves "
                "it; divide its total by the number of points.")
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
                    "can block a better matching. Solve the assignment problem instead.")
        elif np.isclose(got, np.mean(a == b)):
            hint = "this compares the cluster numbers as they are: match the clusters first."
        check.fail("the agreement differs.", expected=expected, got=got, hint=hint)
    check.done()


def _shared_cases() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Two subsets of digit ids with a partition of each, made so that each slip shows."""
    rng = np.random.default_rng(8)
    order = rng.permutation(60)
    big_a, big_b = order[:40], order[25:]
    return [
        ("two sorted subsets of 8 digits sharing 3",
         np.array([0, 2, 3, 5, 7, 8, 10, 11]), np.array([0, 0, 1, 1, 2, 2, 0, 1]),
         np.array([1, 2, 5, 6, 7, 9, 12, 13]), np.array([2, 1, 1, 0, 0, 2, 2, 1])),
        ("the same digits, the subsets in another order",
         np.array([10, 3, 0, 8, 5, 2, 11, 7]), np.array([0, 1, 0, 2, 1, 0, 1, 2]),
         np.array([12, 6, 2, 9, 5, 1, 13, 7]), np.array([1, 0, 1, 2, 1, 2, 2, 0])),
        ("subsets of different sizes, ids beyond their length",
         np.array([4, 9, 15, 22, 30]), np.array([1, 0, 1, 0, 2]),
         np.array([2, 9, 11, 22, 27, 30, 41]), np.array([0, 1, 2, 0, 1, 2, 0])),
        ("two random subsets of 40 and 35 of 60 digits, in drawn order",
         big_a, rng.integers(0, 5, len(big_a)), big_b, rng.integers(0, 5, len(big_b))),
    ]


def check_shared_partitions(shared_partitions: Callable[..., Any]) -> None:
    """Check ``shared_partitions(subset_a, labels_a, subset_b, labels_b) -> (shared, on_a,
    on_b)``: the digit ids in both subsets, and each partition's cluster of those digits.

    ``subset_a`` holds digit ids (not sorted in general) and ``labels_a[r]`` is the cluster of
    the digit ``subset_a[r]``; the same for ``b``. ``shared`` may come in any order, as long as
    ``on_a[i]`` and ``on_b[i]`` are the clusters of the digit ``shared[i]``. The check names the
    typical slips: the first rows of each subset compared (positions, not digits), the digit
    ids used as rows, ``np.searchsorted`` on an unsorted subset, the union for the intersection,
    and the two partitions swapped.
    """
    cases = _shared_cases()
    check = ExerciseCheck(shared_partitions, "shared_partitions", len(cases))
    for label, subset_a, labels_a, subset_b, labels_b in cases:
        check.start(label)
        shared, rows_a, rows_b = np.intersect1d(subset_a, subset_b, assume_unique=True,
                                                return_indices=True)
        expected_a, expected_b = labels_a[rows_a], labels_b[rows_b]
        result = check.call(subset_a.copy(), labels_a.copy(), subset_b.copy(), labels_b.copy())
        if not isinstance(result, tuple | list) or len(result) != 3:
            check.fail("shared_partitions should return three things, (shared, on_a, on_b).",
                       got=f"a {type(result).__name__}",
                       hint="end the function with: return shared, on_a, on_b")
        got_shared = np.asarray(result[0]).ravel()
        if got_shared.shape != shared.shape or not np.array_equal(np.sort(got_shared), shared):
            hint = "the shared digits are the ids that occur in both subsets."
            if len(got_shared) == len(np.union1d(subset_a, subset_b)):
                hint = ("these are the digits in either subset: the comparison needs the "
                        "digits in both.")
            check.fail("the shared digit ids differ.", expected=shared, got=got_shared,
                       hint=hint)
        order = np.argsort(got_shared, kind="stable")
        got_a = check.array(result[1], "on_a", shared.shape)[order]
        got_b = check.array(result[2], "on_b", shared.shape)[order]
        if np.array_equal(got_a, expected_a) and np.array_equal(got_b, expected_b):
            continue
        n = len(shared)
        for got, expected, subset, labels, name in [(got_a, expected_a, subset_a, labels_a, "a"),
                                                    (got_b, expected_b, subset_b, labels_b, "b")]:
            if np.array_equal(got, expected):
                continue
            hint = (f"on_{name}[i] is the cluster of the digit shared[i]: the label at the row "
                    f"where that id sits in subset_{name}.")
            in_order = np.sort(subset)
            taken = np.searchsorted(subset, shared).clip(0, len(subset) - 1)
            if np.array_equal(got_a, expected_b) and np.array_equal(got_b, expected_a):
                hint = "on_a and on_b are swapped: on_a comes from labels_a."
            elif np.array_equal(got, labels[:n]) or np.array_equal(
                    np.asarray(result[1 if name == "a" else 2]).ravel(), labels[:n]):
                hint = ("these are the first rows of the subset, not the shared digits: a "
                        "digit's row in one subset is not its row in the other. Find the row "
                        "of each shared id in each subset.")
            elif np.all(shared < len(labels)) and np.array_equal(got, labels[shared]):
                hint = ("this uses the digit ids as rows of labels: labels are in the order of "
                        "the subset, so find the row where each shared id sits in it.")
            elif (not np.array_equal(in_order, subset)
                  and np.array_equal(got, labels[taken])):
                hint = ("np.searchsorted assumes a sorted array, and the subset here is not "
                        "sorted: sort it first (and carry its labels along), or find the rows "
                        "another way.")
            check.fail(f"on_{name} differs.", expected=expected, got=got, hint=hint)
    check.done()


def _gain_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Per-class shares before and after, made so that each slip gives another answer."""
    rng = np.random.default_rng(11)
    before = rng.uniform(0.6, 0.99, 10)
    after = np.minimum(before + rng.uniform(-0.02, 0.15, 10), 1.0)
    curved = np.array([0.50, 0.55, 0.60, 0.90, 0.95, 0.97])
    return [
        ("four classes, the least pure gains most", np.array([0.6, 0.7, 0.8, 0.9]),
         np.array([0.9, 0.92, 0.88, 0.95])),
        ("six classes, gains far from a straight line in the shares", curved,
         curved + np.array([0.30, 0.01, 0.20, 0.005, 0.03, 0.0])),
        ("five classes, two with the same gain (a tie)", np.array([0.70, 0.80, 0.85, 0.90, 0.95]),
         np.array([0.80, 0.85, 0.95, 0.95, 0.97])),
        ("ten classes drawn at random", before, after),
    ]


def _rank_correlation(x: np.ndarray, y: np.ndarray, ties: str = "average") -> float:
    """Spearman's correlation; ``ties="ordinal"`` breaks ties by position, a common slip."""
    from scipy import stats

    return float(np.corrcoef(stats.rankdata(x, method=ties), stats.rankdata(y, method=ties))[0, 1])


def check_gain_against_purity(
        gain_against_purity: Callable[..., Any]) -> None:
    """Check ``gain_against_purity(before, after, relative=False) -> (gain, rho)``: the gain of
    each class and Spearman's rank correlation between ``before`` and the gain.

    With ``relative=False`` the gain is on the scale of the shares, ``after - before``; with
    ``relative=True`` it is the share of the wrong neighbours removed,
    ``(after - before) / (1 - before)``. Both scales are right answers to their own question;
    the check names a scale mixed up with the other, the gain the wrong way round, a ratio of
    the shares themselves, the correlation of ``before`` with ``after`` (or of ``after`` with
    the gain) instead of with the gain, Pearson's correlation instead of Spearman's, and ties
    ranked by position.
    """
    from scipy import stats

    cases = [(f"{label}, relative={relative}", before, after, relative)
             for relative in (False, True) for label, before, after in _gain_cases()]
    check = ExerciseCheck(gain_against_purity, "gain_against_purity", len(cases))
    for label, before, after, relative in cases:
        check.start(label)
        difference = after - before
        removed = difference / (1 - before)
        gain = removed if relative else difference
        rho = _rank_correlation(before, gain)
        result = check.call(before.copy(), after.copy(), relative=relative)
        check.pair(result, "gain, rho")
        got_gain = check.array(result[0], "gain", before.shape)
        if not np.allclose(got_gain, gain, atol=1e-9):
            hint = ("the share of the wrong neighbours removed: the gain measured against what "
                    "was left to gain." if relative else
                    "the gain of a class is its share after deskewing minus its share before.")
            if np.allclose(got_gain, -gain, atol=1e-9):
                hint = "the sign is reversed: a gain is what after adds to before."
            elif not relative and np.allclose(got_gain, removed, atol=1e-9):
                hint = ("this is the relative scale (the share of the wrong neighbours "
                        "removed); with relative=False the gain is on the scale of the shares.")
            elif relative and np.allclose(got_gain, difference, atol=1e-9):
                hint = ("this is the gain on the scale of the shares; with relative=True it is "
                        "measured against the wrong neighbours there were before.")
            elif np.allclose(got_gain, after / before, atol=1e-9) or np.allclose(
                    got_gain, after / before - 1, atol=1e-9):
                hint = ("this divides by the share before, the neighbours that were already "
                        "right; " + ("the relative scale here divides by what was wrong."
                                     if relative else "relative=False asks for no division."))
            check.fail("the gains differ.", expected=gain, got=got_gain, hint=hint)
        got_rho = float(check.array(result[1], "rho", (), shape_hint=(
            "rho is one number: the correlation alone, without its p-value.")))
        if np.isclose(got_rho, rho, atol=1e-9):
            continue
        hint = ("rank the shares before and the gains, and correlate the ranks (SciPy's "
                "statistics module does both in one call).")
        slips = [
            (-rho, "the sign is reversed: correlate the shares before with the gains."),
            (_rank_correlation(before, after), "this correlates the shares before with the "
                                               "shares after; the question is about the gain."),
            (_rank_correlation(after, gain), "this correlates the shares after with the gain; "
                                             "the question is about the shares before."),
            (float(stats.pearsonr(before, gain)[0]), "this is Pearson's correlation of the "
                                                    "values; the question asks about ranks."),
            (_rank_correlation(before, gain, "ordinal"), "tied values need the same (average) "
                                                         "rank."),
        ]
        for value, slip in slips:
            if np.isclose(got_rho, value, atol=1e-9) and not np.isclose(value, rho, atol=1e-9):
                hint = slip
                break
        check.fail("the rank correlation differs.", expected=rho, got=got_rho, hint=hint)
    check.done()
