"""Checks for the exercises of notebook 01 (k-means in depth).

Each ``check_*`` function calls the function a student wrote on a few cases, compares the
answers with a reference and either prints one line ("all n cases pass") or raises
:class:`clustering_course.exercises.ExerciseFailed` with a message that names the case, what
was expected, what came back and the likely slip. A stub's ``NotImplementedError`` comes
through unchanged.

==================================  ==========================================================
check                               the student writes
==================================  ==========================================================
:func:`check_kmeans_plusplus_init`  k-means++ seeding: D² sampling of the starting centres
:func:`check_silhouette_values`     the silhouette of every point (Rousseeuw 1987)
==================================  ==========================================================

:func:`print_table` prints the notebook's small tables (a row label, then one value per
column), so that the cells show the experiment rather than column widths.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.metrics import silhouette_samples

from clustering_course.exercises import ExerciseCheck

__all__ = [
    "check_kmeans_plusplus_init",
    "check_silhouette_values",
    "print_table",
    "seeding_probabilities",
]


# --- tables ---------------------------------------------------------------------------------

def _cell(value: Any, digits: int) -> str:
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        return f"{value:.{digits}f}"
    return str(value)


def print_table(rows: Mapping[str, Sequence[Any]], columns: Sequence[str], *,
                title: str | None = None, digits: int = 2) -> None:
    """Print a small table: a row label, then one value per column, right-aligned.

    ``rows`` maps each row's label to its values, one per column; floats are printed with
    ``digits`` decimals, anything else with ``str`` (``None`` leaves the cell empty). A column
    name may hold ``"\\n"`` for a heading on several lines. ``title``, if given, comes first.
    """
    columns = [str(name) for name in columns]
    cells = {label: [_cell(value, digits) for value in values] for label, values in rows.items()}
    for label, values in cells.items():
        if len(values) != len(columns):
            raise ValueError(f"row {label!r} has {len(values)} values for {len(columns)} columns")
    headings = [name.split("\n") for name in columns]
    n_lines = max((len(lines) for lines in headings), default=1)
    headings = [[""] * (n_lines - len(lines)) + lines for lines in headings]  # bottom-aligned
    label_width = max((len(label) for label in cells), default=0)
    widths = [max([len(line) for line in lines] + [len(values[j]) for values in cells.values()])
              for j, lines in enumerate(headings)]
    if title is not None:
        print(title)
    for line in range(n_lines):
        print((" " * label_width + "".join(f"  {lines[line]:>{width}s}" for lines, width
                                           in zip(headings, widths, strict=True))).rstrip())
    for label, values in cells.items():
        print((f"{label:<{label_width}s}" + "".join(f"  {value:>{width}s}" for value, width
                                                    in zip(values, widths, strict=True))).rstrip())


# --- k-means++ seeding ----------------------------------------------------------------------

#: The ways a seeding can choose the next centre, by the weight each point gets.
_SEEDING_RULES = ("D²", "D", "D² to the last centre", "D² to the first centre", "uniform",
                  "farthest point")

_RULE_HINTS = {
    "D": "the chances look proportional to the distance D itself; k-means++ weighs each "
         "point by D², the squared distance.",
    "D² to the last centre": "the weight of a point should use its distance to the nearest "
                             "centre chosen so far, not to the centre chosen last.",
    "D² to the first centre": "the weight of a point should use its distance to the nearest "
                              "centre chosen so far, not to the first centre only.",
    "uniform": "the later centres look drawn uniformly; each should be drawn with probability "
               "proportional to D².",
    "farthest point": "the next centre is always the farthest point; k-means++ draws it at "
                      "random, with probability proportional to D² (rng.choice with p=...).",
}


def seeding_probabilities(X: Any, n_clusters: int, rule: str = "D²") -> dict[tuple, float]:
    """Exact probability of every ordered choice of centres (as indices) under a rule.

    The first centre is uniform; each next one gets a weight per point given by ``rule``
    (one of ``"D²"``, ``"D"``, ``"D² to the last centre"``, ``"D² to the first centre"``,
    ``"uniform"``, ``"farthest point"``), chosen points weighing 0. For small data only:
    there are n!/(n-k)! orders.
    """
    X = np.asarray(X, dtype=np.float64)
    if rule not in _SEEDING_RULES:
        raise ValueError(f"rule must be one of {_SEEDING_RULES}, got {rule!r}.")
    squared = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)
    n = len(X)
    probabilities = {}
    for order in itertools.permutations(range(n), n_clusters):
        probability, chosen = 1.0 / n, [order[0]]
        for index in order[1:]:
            nearest = squared[:, chosen].min(axis=1)
            weight = {
                "D²": nearest,
                "D": np.sqrt(nearest),
                "D² to the last centre": squared[:, chosen[-1]].copy(),
                "D² to the first centre": squared[:, chosen[0]].copy(),
                "uniform": np.ones(n),
                "farthest point": (nearest == nearest.max()).astype(float),
            }[rule]
            weight[chosen] = 0.0
            probability *= weight[index] / weight.sum()
            chosen.append(index)
        probabilities[order] = probability
    return probabilities


def _rows_to_indices(X: np.ndarray, centers: np.ndarray) -> np.ndarray | None:
    """Index in X of every centre, or None if some centre is not a row of X."""
    matches = np.all(np.isclose(centers[:, None, :], X[None, :, :], rtol=0, atol=1e-12), axis=2)
    if not matches.any(axis=1).all():
        return None
    return matches.argmax(axis=1)


def _centers(cases: ExerciseCheck, result: Any, X: np.ndarray, n_clusters: int) -> np.ndarray:
    """The returned centres as rows of X (their indices), or a failure saying what is wrong."""
    try:
        array = np.asarray(result, dtype=np.float64)
    except (TypeError, ValueError):
        cases.fail(f"return an array of shape ({n_clusters}, {X.shape[1]}), "
                   f"got {type(result).__name__}.")
    if array.shape == (n_clusters,) and np.allclose(array, np.round(array)):
        cases.fail("you returned indices of points; return the points themselves.",
                   expected=f"shape ({n_clusters}, {X.shape[1]})", got=array,
                   hint="X[indices] turns a list of indices into the rows of X.")
    if array.shape != (n_clusters, X.shape[1]):
        cases.fail("the result has the wrong shape.",
                   expected=f"shape ({n_clusters}, {X.shape[1]})", got=f"shape {array.shape}",
                   hint="one row per centre, one column per feature.")
    indices = _rows_to_indices(X, array)
    if indices is None:
        cases.fail("some returned centre is not a point of X.", got=array,
                   hint="k-means++ picks its centres among the data points; it computes no "
                        "means.")
    if len(set(indices.tolist())) < n_clusters:
        cases.fail("a point was chosen twice.", got=array,
                   hint="a chosen point is at distance 0 from the centres, so its weight D² "
                        "is 0: draw with those weights (or exclude the chosen points).")
    return indices


def check_kmeans_plusplus_init(kmeans_plusplus_init: Callable[..., Any],
                               n_draws: int = 4000) -> None:
    """Check ``kmeans_plusplus_init(X, n_clusters, rng) -> centers`` (k-means++ seeding).

    The centres are rows of X: the first drawn uniformly, each next one with probability
    proportional to D², its squared distance to the nearest centre chosen so far, all draws
    from the generator ``rng``. The last case draws ``n_draws`` seedings of 3 centres among
    5 points and compares how often each order comes up with the exact probabilities of
    D² sampling and of the usual slips (D, distance to the last centre only, uniform, ...).
    """
    cases = ExerciseCheck(kmeans_plusplus_init, "kmeans_plusplus_init", 5)
    rng = np.random.default_rng(3)
    cloud = rng.normal(size=(40, 3))

    cases.start("40 points in 3-D, 4 centres")
    given = cloud.copy()
    first = cases.call(given, 4, np.random.default_rng(7))
    _centers(cases, first, cloud, 4)
    if not np.array_equal(given, cloud):
        cases.fail("your function changed X in place.",
                   hint="compute distances into new arrays; leave X as it is.")

    cases.start("the same seed twice")
    again = cases.call(cloud.copy(), 4, np.random.default_rng(7))
    if not np.array_equal(np.asarray(again, dtype=np.float64),
                          np.asarray(first, dtype=np.float64)):
        cases.fail("two calls with generators of the same seed gave different centres.",
                   hint="draw every random number from the rng argument (rng.integers, "
                        "rng.choice), not from np.random or a new generator.")

    cases.start("one centre")
    _centers(cases, cases.call(cloud.copy(), 1, np.random.default_rng(0)), cloud, 1)

    cases.start("as many centres as points")
    few = cloud[:6]
    _centers(cases, cases.call(few.copy(), 6, np.random.default_rng(1)), few, 6)

    cases.start(f"{n_draws} draws of 3 centres among 5 points on a line")
    line = np.array([[0.0, 0.0], [2.0, 0.0], [3.0, 0.0], [9.0, 0.0], [10.0, 0.0]])
    draws = np.random.default_rng(11)
    counts: dict[tuple, int] = {}
    for _ in range(n_draws):
        order = tuple(_centers(cases, cases.call(line.copy(), 3, draws), line, 3).tolist())
        counts[order] = counts.get(order, 0) + 1
    first_share = np.bincount([order[0] for order, c in counts.items() for _ in range(c)],
                              minlength=len(line)) / n_draws
    if np.abs(first_share - 1 / len(line)).max() > 0.05:
        cases.fail("the first centre should be any of the 5 points with equal chance.",
                   expected=np.full(len(line), 1 / len(line)), got=first_share,
                   hint="draw the first centre uniformly (rng.integers(n)).")
    distances = {}
    for rule in _SEEDING_RULES:
        exact = seeding_probabilities(line, 3, rule)
        distances[rule] = 0.5 * sum(abs(exact[order] - counts.get(order, 0) / n_draws)
                                    for order in exact)
    closest = min(distances, key=distances.get)
    if closest != "D²" or distances["D²"] > 0.1:
        cases.fail(f"the centres come up with the wrong frequencies: the closest rule is "
                   f"{closest!r} (total variation {distances[closest]:.2f}; from D² sampling "
                   f"{distances['D²']:.2f}).",
                   hint=_RULE_HINTS.get(closest, "weigh each point by its squared distance "
                                                 "to the nearest centre chosen so far."))
    cases.done()


# --- silhouette -----------------------------------------------------------------------------

def _silhouette_variants(X: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """The silhouette of every point (scikit-learn's), and the values of the usual slips."""
    distances = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2))
    clusters = np.unique(labels)
    same = labels[:, None] == labels[None, :]
    sizes = same.sum(axis=1)
    means = np.stack([distances[:, labels == c].mean(axis=1) for c in clusters], axis=1)
    own = np.searchsorted(clusters, labels)
    other = means.copy()
    other[np.arange(len(X)), own] = np.inf
    b = other.min(axis=1)

    def silhouette(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            values = (b - a) / np.maximum(a, b)
        return np.where(sizes > 1, values, 0.0)

    a = (distances * same).sum(axis=1) / np.maximum(sizes - 1, 1)
    squared = distances ** 2
    a_squared = (squared * same).sum(axis=1) / np.maximum(sizes - 1, 1)
    squared_means = np.stack([squared[:, labels == c].mean(axis=1) for c in clusters], axis=1)
    squared_means[np.arange(len(X)), own] = np.inf
    all_others = (distances * ~same).sum(axis=1) / np.maximum((~same).sum(axis=1), 1)
    return {
        "right": silhouette_samples(X, labels),
        "a counts the point itself": silhouette((distances * same).sum(axis=1) / sizes, b),
        "b over all other clusters": silhouette(a, all_others),
        "squared distances": silhouette(a_squared, squared_means.min(axis=1)),
        "singletons not 0": np.where(sizes > 1, silhouette(a, b), 1.0),
    }


_SILHOUETTE_HINTS = {
    "a counts the point itself": "a(i) is the mean distance to the *other* points of its "
                                 "cluster: divide by the cluster's size minus 1.",
    "b over all other clusters": "b(i) is the mean distance to the points of the *nearest* "
                                 "other cluster (the smallest of the per-cluster means), not "
                                 "to all points outside its cluster.",
    "squared distances": "use Euclidean distances, not squared ones.",
    "singletons not 0": "a point alone in its cluster has no a(i); Rousseeuw sets its "
                        "silhouette to 0.",
}


def check_silhouette_values(silhouette_values: Callable[..., Any]) -> None:
    """Check ``silhouette_values(X, labels) -> s`` (one silhouette per point).

    ``s[i] = (b - a) / max(a, b)``, with ``a`` the mean distance from point i to the other
    points of its cluster and ``b`` the smallest mean distance to the points of another
    cluster; 0 for a point alone in its cluster. Compared with
    ``sklearn.metrics.silhouette_samples`` and with the usual slips, on labels that need not
    be 0..k-1.
    """
    rng = np.random.default_rng(5)
    hand = np.array([[0.0, 0.0], [0.0, 1.0], [4.0, 0.0], [4.0, 1.0], [9.0, 0.0]])
    cases_list = [
        ("five points, clusters {0, 1} {2, 3} {4}", hand, np.array([0, 0, 1, 1, 2])),
        ("labels 3, 7 and 9 instead of 0, 1, 2", hand, np.array([3, 3, 7, 7, 9])),
        ("60 random points in 4-D, 3 clusters", rng.normal(size=(60, 4)),
         rng.integers(0, 3, size=60)),
        ("blobs with a point far from its cluster",
         np.vstack([rng.normal(size=(20, 2)), rng.normal(size=(20, 2)) + [6, 0], [[12.0, 0]]]),
         np.r_[np.zeros(20, int), np.ones(20, int), [0]]),
    ]
    cases = ExerciseCheck(silhouette_values, "silhouette_values", len(cases_list))
    for label, X, labels in cases_list:
        cases.start(label)
        result = cases.call(X.copy(), labels.copy())
        try:
            values = np.asarray(result, dtype=np.float64)
        except (TypeError, ValueError):
            cases.fail(f"return an array of {len(X)} numbers, got {type(result).__name__}.")
        if values.shape != (len(X),):
            hint = ("return one value per point; the mean of them is scikit-learn's "
                    "silhouette_score." if values.size == 1 else
                    "one silhouette per point, in the order of X.")
            cases.fail("the result has the wrong shape.", expected=f"shape ({len(X)},)",
                       got=f"shape {values.shape}", hint=hint)
        variants = _silhouette_variants(X, labels)
        expected = variants["right"]
        if np.allclose(values, expected, rtol=1e-7, atol=1e-9):
            continue
        slip = next((name for name, wrong in variants.items() if name != "right"
                     and np.allclose(values, wrong, rtol=1e-7, atol=1e-9, equal_nan=True)),
                    None)
        point = int(np.argmax(~np.isclose(values, expected, rtol=1e-7, atol=1e-9)))
        if slip is None and np.sum(labels == labels[point]) == 1:
            slip = "singletons not 0"
        cases.fail(f"point {point} (label {labels[point]}) has the wrong silhouette.",
                   expected=expected[point], got=values[point],
                   hint=_SILHOUETTE_HINTS.get(slip, "s = (b - a) / max(a, b): check a and b "
                                                    "for this point by hand."))
    cases.done()
