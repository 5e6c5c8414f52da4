"""Course helpers for notebooks 08-10: cosine k-means on text, choosing k, distance matrices.

Data
----
- :func:`make_word_families`: strings that descend from a few ancestors by random edits, the
  non-Euclidean example of notebook 10 (their natural dissimilarity is the edit distance).
- :func:`edit_distance` and :func:`edit_distance_matrix`: Levenshtein distances.

Exercise checks (each calls the student's function on hand-made and random cases, prints one
line when all pass, and raises :class:`clustering_course.exercises.ExerciseFailed` with a
diagnosis otherwise; a stub's ``NotImplementedError`` comes through unchanged):

==========================  =================================================================
notebook                    check
==========================  =================================================================
08 cosine k-means on text   :func:`check_spherical_step`: one iteration of spherical k-means
                            :func:`check_name_clusters`: one-to-one cluster names (optional)
09 choosing k               :func:`check_silhouette_values`: silhouettes from a distance matrix
                            :func:`check_prediction_strength`: stability of k (optional)
10 distance matrices        :func:`check_medoid_update`: the medoid of every cluster
                            :func:`check_edit_distance`: Levenshtein distance (optional)
==========================  =================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from clustering_course.exercises import ExerciseCheck, show_value

__all__ = [
    "check_edit_distance",
    "check_medoid_update",
    "check_name_clusters",
    "check_prediction_strength",
    "check_silhouette_values",
    "check_spherical_step",
    "edit_distance",
    "edit_distance_matrix",
    "make_word_families",
]


# --------------------------------------------------------------------------------------------
# Data: word families and edit distances
# --------------------------------------------------------------------------------------------

def make_word_families(
    n_families: int = 4,
    per_family: int = 40,
    length: int = 12,
    n_edits: int = 4,
    alphabet: str = "ACGT",
    random_state: int | None = 0,
    return_ancestors: bool = False,
) -> tuple[list[str], np.ndarray] | tuple[list[str], np.ndarray, list[str]]:
    """Strings descended from ``n_families`` random ancestors by random single-letter edits.

    Each string copies its family's ancestor and then applies ``n_edits`` random edits, each a
    substitution, an insertion or a deletion (equally likely), so strings of one family are
    about ``2 * n_edits`` edits apart and families (independent random ancestors) farther.

    Returns
    -------
    words : list of str
    families : ndarray of int, shape (n_families * per_family,)
    ancestors : list of str, only with ``return_ancestors=True``
        The family's common ancestor, ``ancestors[f]`` for family ``f`` (the same draws:
        ``words`` and ``families`` do not depend on this flag).
    """
    if n_families < 1 or per_family < 1 or length < 1 or n_edits < 0 or len(alphabet) < 2:
        raise ValueError("n_families, per_family and length must be >= 1, n_edits >= 0 and "
                         "the alphabet must have at least 2 letters.")
    rng = np.random.default_rng(random_state)
    letters = list(alphabet)
    ancestors = ["".join(rng.choice(letters, size=length)) for _ in range(n_families)]
    words, families = [], []
    for family, ancestor in enumerate(ancestors):
        for _ in range(per_family):
            word = list(ancestor)
            for _ in range(n_edits):
                kind = rng.integers(3) if len(word) > 1 else 1
                if kind == 0:  # substitution
                    position = rng.integers(len(word))
                    word[position] = rng.choice([a for a in letters if a != word[position]])
                elif kind == 1:  # insertion
                    word.insert(int(rng.integers(len(word) + 1)), str(rng.choice(letters)))
                else:  # deletion
                    del word[int(rng.integers(len(word)))]
            words.append("".join(word))
            families.append(family)
    if return_ancestors:
        return words, np.asarray(families), ancestors
    return words, np.asarray(families)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions from a to b."""
    previous = list(range(len(b) + 1))
    for i, letter_a in enumerate(a, start=1):
        current = [i]
        for j, letter_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (letter_a != letter_b)))
        previous = current
    return previous[-1]


def edit_distance_matrix(words: list[str]) -> np.ndarray:
    """The symmetric (n, n) matrix of Levenshtein distances between ``words``, as floats.

    The same recurrence as :func:`edit_distance`, run for all pairs at once: one NumPy
    operation per cell of the table (at most ``(L + 1) ** 2`` for strings of length ``L``)
    instead of a Python loop per pair.
    """
    n = len(words)
    distances = np.zeros((n, n))
    if n < 2:
        return distances
    lengths = np.array([len(word) for word in words])
    longest = int(lengths.max())
    codes = np.full((n, max(longest, 1)), -1, dtype=np.int64)  # -1 pads; never read
    for row, word in enumerate(words):
        codes[row, :len(word)] = [ord(letter) for letter in word]
    first, second = np.triu_indices(n, 1)
    length_a, length_b = lengths[first], lengths[second]
    result = length_b.astype(float)  # the distance from an empty string
    previous = np.tile(np.arange(longest + 1), (len(first), 1))  # row i = 0 of every table
    for i in range(1, longest + 1):
        differ = codes[first, i - 1][:, None] != codes[second]  # substitution costs
        current = np.empty_like(previous)
        current[:, 0] = i
        for j in range(1, longest + 1):
            current[:, j] = np.minimum(np.minimum(previous[:, j], current[:, j - 1]) + 1,
                                       previous[:, j - 1] + differ[:, j - 1])
        ends_here = length_a == i  # the entry (len(a), len(b)) is this pair's distance
        result[ends_here] = current[ends_here, length_b[ends_here]]
        previous = current
    distances[first, second] = distances[second, first] = result
    return distances


# --------------------------------------------------------------------------------------------
# 08: one spherical k-means iteration
# --------------------------------------------------------------------------------------------

def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _reference_spherical_step(X: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, ...]:
    unit_rows = _unit(X)
    labels = np.argmax(unit_rows @ centers.T, axis=1)
    new_centers = centers.copy()
    for j in range(len(centers)):
        if np.any(labels == j):
            total = unit_rows[labels == j].sum(axis=0)
            new_centers[j] = total / np.linalg.norm(total)
    return labels, new_centers


def check_spherical_step(spherical_step: Callable[[np.ndarray, np.ndarray], Any]) -> None:
    """Check ``spherical_step(X, centers) -> (labels, new_centers)``.

    ``X`` holds non-zero rows of any length, ``centers`` unit rows. Every row of ``X`` joins
    the centre of largest cosine similarity; every new centre is the mean of its cluster's
    *unit* rows, scaled to length 1; a centre without points keeps its position.
    """
    rng = np.random.default_rng(3)
    plane = np.array([[1.0, 0.1], [2.0, 0.3], [0.1, 1.0], [0.2, 3.0], [5.0, 4.0]])
    # Two short rows and one long row join the centre near e1, the long row pointing elsewhere:
    # the mean of the raw rows follows the long row, the mean of the unit rows does not. No
    # row is equally similar to both centres, so no tie decides a label.
    lengths = np.array([[1.0, 0.0, 0.1], [1.0, 0.2, 0.0], [30.0, 40.0, 0.0], [0.1, 0.3, 1.0]])
    documents = rng.poisson(rng.dirichlet(np.full(30, 0.3), size=4)[rng.integers(4, size=150)]
                            * rng.integers(5, 300, size=(150, 1))).astype(float)
    documents[documents.sum(axis=1) == 0, 0] = 1.0
    cases = [
        ("five points in the plane, two centres", plane, np.eye(2)),
        ("rows of very different lengths", lengths, np.array([[1.0, 0.0, 0.0],
                                                              [0.0, 0.0, 1.0]])),
        ("three centres, one of them without points", plane,
         _unit(np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]))),
        ("150 word-count rows over 30 words, 4 centres", documents,
         _unit(rng.uniform(size=(4, 30)))),
    ]
    check = ExerciseCheck(spherical_step, "spherical_step", len(cases))
    for label, X, centers in cases:
        check.start(label)
        expected_labels, expected_centers = _reference_spherical_step(X, centers)
        given_X, given_centers = X.copy(), centers.copy()
        result = check.call(given_X, given_centers)
        check.pair(result, "labels, new_centers")
        labels = check.array(result[0], "labels", expected_labels.shape)
        if not np.array_equal(labels, expected_labels):
            i = int(np.argmax(labels != expected_labels))
            similarities = _unit(X[i:i + 1]) @ centers.T
            hint = ("each row joins the centre of LARGEST cosine similarity (np.argmax of the "
                    "products of the unit rows with the centres).")
            if np.array_equal(labels, np.argmin(_unit(X) @ centers.T, axis=1)):
                hint = ("your labels pick the centre of smallest similarity: a similarity is "
                        "large when the angle is small, so use np.argmax, not np.argmin.")
            check.fail(f"row {i} got label {labels[i]:g}; its cosine similarities to the "
                       f"centres are {show_value(similarities.ravel())}.",
                       expected=expected_labels[i], got=labels[i], hint=hint)
        new_centers = check.array(
            result[1], "new_centers", expected_centers.shape,
            nan_hint="a centre that no row joined has no mean (0/0 = NaN); it keeps its "
                     "previous position.")
        if not (np.array_equal(given_X, X) and np.array_equal(given_centers, centers)):
            check.fail("your function changed its inputs X or centers in place.",
                       hint="build new arrays for the results instead of writing into the "
                            "inputs.")
        if np.allclose(new_centers, expected_centers, atol=1e-6):
            continue
        row = int(np.argmax(~np.isclose(new_centers, expected_centers, atol=1e-6).all(axis=1)))
        members = expected_labels == row
        hint = ("the new centre is the sum (or mean) of the unit rows of its cluster, scaled "
                "to length 1.")
        got_length = float(np.linalg.norm(new_centers[row]))
        if not members.any():
            hint = "no row joined this centre: it keeps its previous position."
        elif abs(got_length - 1.0) > 1e-6:
            hint = (f"your centre has length {got_length:.3f}; spherical k-means scales every "
                    "new centre to length 1 (the mean of unit rows is shorter than 1).")
        else:
            raw = X[members].sum(axis=0)
            if np.allclose(new_centers[row], raw / np.linalg.norm(raw), atol=1e-6):
                hint = ("your centre averages the raw rows, so long rows outweigh short ones; "
                        "scale every row to unit length before taking the mean.")
        check.fail(f"new centre {row} differs (its cluster has {int(members.sum())} row(s)).",
                   expected=expected_centers[row], got=new_centers[row], hint=hint)
    check.done()


# --------------------------------------------------------------------------------------------
# 08 (optional): one-to-one names for clusters
# --------------------------------------------------------------------------------------------

def _reference_names(labels_true: np.ndarray, labels_pred: np.ndarray) -> dict[Hashable, Any]:
    from scipy.optimize import linear_sum_assignment

    classes, true_index = np.unique(labels_true, return_inverse=True)
    clusters, pred_index = np.unique(labels_pred, return_inverse=True)
    table = np.zeros((len(clusters), len(classes)), dtype=np.int64)
    np.add.at(table, (pred_index, true_index), 1)
    rows, columns = linear_sum_assignment(table, maximize=True)
    names: dict[Hashable, Any] = {cluster.item(): None for cluster in clusters}
    for row, column in zip(rows, columns, strict=True):
        names[clusters[row].item()] = classes[column].item()
    return names


def _matched(labels_true: np.ndarray, labels_pred: np.ndarray, names: dict) -> int:
    return int(sum(np.sum((labels_pred == cluster) & (labels_true == name))
                   for cluster, name in names.items() if name is not None))


def check_name_clusters(name_clusters: Callable[[np.ndarray, np.ndarray], Any]) -> None:
    """Check ``name_clusters(labels_true, labels_pred) -> dict``, a one-to-one naming.

    Every cluster id of ``labels_pred`` is a key; its value is a class of ``labels_true`` or
    None. No class names two clusters, and the number of points whose cluster's name is their
    class is as large as possible (with more clusters than classes, the extra clusters get
    None).
    """
    rng = np.random.default_rng(11)
    animals = np.array(["CAT", "DOG", "DOG", "BIRD", "CAT", "BIRD", "DOG", "CAT"])
    case_2 = np.array([3, 0, 0, 2, 3, 2, 0, 3])
    # Cluster 0 is mostly DOG, cluster 1 too: majority naming gives DOG twice.
    skew_true = np.array(["DOG"] * 6 + ["CAT"] * 2 + ["DOG"] * 5 + ["CAT"] * 3 + ["BIRD"] * 4)
    skew_pred = np.array([0] * 8 + [1] * 8 + [2] * 4)
    many_true = rng.choice(["a", "b", "c"], size=300)
    split = np.searchsorted(["a", "b", "c"], many_true) * 2 + rng.integers(2, size=300)
    many_pred = np.where(rng.uniform(size=300) < 0.7, split, rng.integers(6, size=300))
    cases = [
        ("four clusters, three animals, clear winners", animals, case_2),
        ("two clusters with the same majority animal", skew_true, skew_pred),
        ("six clusters, three classes: three clusters stay unnamed", many_true, many_pred),
    ]
    check = ExerciseCheck(name_clusters, "name_clusters", len(cases))
    for label, labels_true, labels_pred in cases:
        check.start(label)
        expected = _reference_names(labels_true, labels_pred)
        result = check.call(labels_true.copy(), labels_pred.copy())
        if not isinstance(result, dict):
            check.fail(f"name_clusters should return a dict, got {type(result).__name__}.",
                       hint="end with: return {cluster: name, ...}")
        got = {(key.item() if isinstance(key, np.generic) else key):
               (value.item() if isinstance(value, np.generic) else value)
               for key, value in result.items()}
        if set(got) != set(expected):
            check.fail("the keys should be the cluster ids of labels_pred, each once.",
                       expected=sorted(expected), got=sorted(got, key=repr),
                       hint="loop over np.unique(labels_pred); a transposed contingency table "
                            "swaps clusters and classes.")
        names = [name for name in got.values() if name is not None]
        if len(names) != len(set(names)):
            doubled = sorted({n for n in names if names.count(n) > 1})
            check.fail(f"class {doubled[0]!r} names more than one cluster.",
                       expected=expected, got=got,
                       hint="that is the majority naming; a one-to-one naming pairs clusters "
                            "and classes with scipy.optimize.linear_sum_assignment on the "
                            "contingency table.")
        best, yours = _matched(labels_true, labels_pred, expected), _matched(
            labels_true, labels_pred, got)
        if yours != best:
            hint = "the pairing should keep as many points as possible under their true name."
            if yours < best / 2:
                hint = ("linear_sum_assignment minimises by default: pass maximize=True (or "
                        "negate the counts), since we want the most matched points.")
            check.fail(f"your naming matches {yours} points, the best one-to-one naming "
                       f"{best}.", expected=expected, got=got, hint=hint)
    check.done()


# --------------------------------------------------------------------------------------------
# 09: silhouettes from a distance matrix
# --------------------------------------------------------------------------------------------

def _reference_silhouettes(D: np.ndarray, labels: np.ndarray) -> np.ndarray:
    from sklearn.metrics import silhouette_samples

    return silhouette_samples(D, labels, metric="precomputed")


def check_silhouette_values(silhouette_values: Callable[[np.ndarray, np.ndarray], Any]) -> None:
    """Check ``silhouette_values(D, labels) -> s``, every point's silhouette.

    ``a`` is the mean distance to the *other* members of the point's cluster, ``b`` the
    smallest mean distance to the members of another cluster, ``s = (b - a) / max(a, b)``,
    and ``s = 0`` for a point alone in its cluster.
    """
    from sklearn.metrics import pairwise_distances

    rng = np.random.default_rng(5)
    line = np.array([[0.0], [1.0], [2.0], [10.0], [11.0], [30.0]])
    blobs = np.r_[rng.normal(0, 1, (30, 2)), rng.normal(4, 1, (25, 2)), rng.normal(8, 2, (20, 2))]
    blob_labels = np.repeat([0, 1, 2], [30, 25, 20])
    wrong = rng.permutation(blob_labels)
    cases = [
        ("six points on a line, clusters of 3, 2 and 1 points", pairwise_distances(line),
         np.array([0, 0, 0, 1, 1, 2])),
        ("three blobs, labelled by blob", pairwise_distances(blobs), blob_labels),
        ("the same blobs, labels shuffled (many negative silhouettes)",
         pairwise_distances(blobs), wrong),
        ("labels that are not 0..k-1: 7, 17 and 27", pairwise_distances(blobs),
         blob_labels * 10 + 7),
    ]
    check = ExerciseCheck(silhouette_values, "silhouette_values", len(cases))
    for label, D, labels in cases:
        check.start(label)
        expected = _reference_silhouettes(D, labels)
        result = check.call(D.copy(), labels.copy())
        clusters = np.unique(labels)
        if np.any(np.bincount(labels)[clusters] == 1):
            nan_hint = ("a point alone in its cluster has no 'other members' (0/0); its "
                        "silhouette is 0 by convention.")
        elif not np.array_equal(clusters, np.arange(len(clusters))):
            nan_hint = (f"the cluster ids here are {show_value(clusters)}, so the ids in "
                        f"range(labels.max() + 1) that no point carries give a mean over an "
                        f"empty cluster (0/0): loop over np.unique(labels).")
        else:
            nan_hint = "a mean over nothing is 0/0 = NaN; is some set of points empty?"
        values = check.array(result, "s", expected.shape, nan_hint=nan_hint)
        if np.allclose(values, expected, atol=1e-9):
            continue
        i = int(np.argmax(~np.isclose(values, expected, atol=1e-9)))
        own = labels == labels[i]
        hint = ("a = mean distance to the other members of the cluster, b = the smallest, over "
                "the other clusters, of the mean distance to their members.")
        if own.sum() == 1:
            hint = "a point alone in its cluster gets silhouette 0 (Rousseeuw's convention)."
        else:
            a_with_self = D[i, own].mean()
            others = [D[i, labels == c].mean() for c in np.unique(labels) if c != labels[i]]
            b = min(others)
            if np.isclose(values[i], (b - a_with_self) / max(a_with_self, b)):
                hint = ("your a includes the point's zero distance to itself: divide the sum by "
                        "the cluster size minus one.")
            else:
                nearest = np.min(D[i, ~own])
                a = D[i, own].sum() / (own.sum() - 1)
                if np.isclose(values[i], (nearest - a) / max(a, nearest)):
                    hint = ("your b is the distance to the single nearest outside point; it is "
                            "the MEAN distance to the members of the nearest other cluster.")
                elif np.isclose(values[i], (np.mean(D[i, ~own]) - a)
                                / max(a, np.mean(D[i, ~own]))):
                    hint = ("your b averages over all points outside the cluster; take the mean "
                            "per other cluster and keep the smallest.")
        check.fail(f"point {i} (cluster {labels[i]}, {int(own.sum())} member(s)) differs.",
                   expected=expected[i], got=values[i], hint=hint)
    check.done()


# --------------------------------------------------------------------------------------------
# 09 (optional): prediction strength
# --------------------------------------------------------------------------------------------

def _pair_agreement(groups: np.ndarray, agree: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group of ``groups``: its size and its ordered pairs of distinct members that
    ``agree`` also puts together."""
    sizes, together = [], []
    for group in np.unique(groups):
        members = agree[groups == group]
        sizes.append(len(members))
        together.append((members[:, None] == members[None, :]).sum() - len(members))
    return np.array(sizes, dtype=float), np.array(together, dtype=float)


def _nearest_center(points: np.ndarray, centers: np.ndarray) -> np.ndarray:
    return np.argmin(((points[:, None, :] - centers[None]) ** 2).sum(-1), axis=1)


def _reference_prediction_strength(test_points: np.ndarray, test_labels: np.ndarray,
                                   train_centers: np.ndarray) -> float:
    sizes, together = _pair_agreement(test_labels, _nearest_center(test_points, train_centers))
    pairs = sizes > 1
    return float(np.min(together[pairs] / (sizes[pairs] * (sizes[pairs] - 1))))


def _prediction_strength_hint(value: float, points: np.ndarray, labels: np.ndarray,
                              centers: np.ndarray) -> str:
    """Name the slip behind a wrong prediction strength, when a typical one explains it."""
    nearest = _nearest_center(points, centers)
    sizes, together = _pair_agreement(labels, nearest)
    pairs = sizes > 1
    shares = together[pairs] / (sizes[pairs] * (sizes[pairs] - 1))
    swapped_sizes, swapped_together = _pair_agreement(nearest, labels)
    swapped_pairs = swapped_sizes > 1
    swapped = np.min(swapped_together[swapped_pairs]
                     / (swapped_sizes[swapped_pairs] * (swapped_sizes[swapped_pairs] - 1)))
    with_self = np.min((together + sizes) / sizes**2)
    slips = [
        (swapped, "you grouped the points by their nearest training centre; group them by "
                  "the test clustering (test_labels) and ask whether the training centres "
                  "keep each group's pairs together."),
        (np.mean(shares), "you averaged over the clusters; the prediction strength is the "
                          "MINIMUM."),
        (np.max(shares), "you kept the largest share; the prediction strength is the MINIMUM."),
        (2 * np.min(shares), "the numerator and the denominator count pairs differently: "
                             "count ordered pairs (i, j) and (j, i) in both, or each unordered "
                             "pair once in both."),
        (np.min(shares) / 2, "the numerator and the denominator count pairs differently: "
                             "count ordered pairs (i, j) and (j, i) in both, or each unordered "
                             "pair once in both."),
        (with_self, "count pairs of DISTINCT points: a point paired with itself always "
                    "agrees, which flatters small clusters."),
    ]
    for wrong, hint in slips:
        if np.isclose(value, wrong):
            return hint
    if np.isnan(value) or sizes.min() == 1 and np.isclose(value, 0.0):
        return "a test cluster of a single point has no pairs: leave it out."
    return ("for each test cluster, count the pairs of distinct members that share their "
            "nearest training centre, divide by the number of such pairs, keep the minimum.")


def check_prediction_strength(prediction_strength: Callable[..., Any]) -> None:
    """Check ``prediction_strength(test_points, test_labels, train_centers) -> float``.

    For every test cluster with at least two members: the share of its pairs of distinct
    points that the training centres also put together (both nearest to one centre). The
    prediction strength is the smallest share.
    """
    rng = np.random.default_rng(9)
    # Both test clusters of the first case are cut by the centres, and a centre's group mixes
    # the two: the right answer (0.4), the mean (0.45) and largest (0.5) shares, the roles
    # swapped (1/3), pairs counted differently above and below (0.8, 0.2) and self-pairs
    # (0.52) all differ, so the first case names each slip.
    cut_line = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [6.0], [10.0], [11.0], [12.0]])
    line = np.array([[0.0], [1.0], [2.0], [3.0], [10.0], [11.0]])
    blobs = np.r_[rng.normal(0, 1, (40, 2)), rng.normal(5, 1, (40, 2))]
    blob_labels = np.repeat([0, 1], 40)
    cases = [
        ("nine points on a line, both test clusters cut by the centres", cut_line,
         np.repeat([0, 1], [5, 4]), np.array([[0.4], [4.5], [10.5]])),
        ("six points on a line, one test cluster cut by the centres",
         line, np.array([0, 0, 0, 0, 1, 1]), np.array([[0.5], [2.5], [10.5]])),
        ("two blobs, training centres on the blobs", blobs, blob_labels,
         np.array([[0.0, 0.0], [5.0, 5.0]])),
        ("two blobs, three training centres", blobs, blob_labels,
         np.array([[0.0, 0.0], [5.0, 4.0], [5.0, 6.0]])),
        ("a test cluster of one point (it is left out)", line, np.array([0, 0, 0, 0, 1, 2]),
         np.array([[1.5], [10.0], [11.0]])),
    ]
    check = ExerciseCheck(prediction_strength, "prediction_strength", len(cases))
    for label, points, labels, centers in cases:
        check.start(label)
        expected = _reference_prediction_strength(points, labels, centers)
        result = check.call(points.copy(), labels.copy(), centers.copy())
        try:
            value = float(result)
        except (TypeError, ValueError):
            check.fail(f"return one number, got {type(result).__name__}.",
                       hint="the smallest of the per-cluster shares.")
        if np.isclose(value, expected, atol=1e-9):
            continue
        check.fail("the prediction strength differs.", expected=expected, got=value,
                   hint=_prediction_strength_hint(value, points, labels, centers))
    check.done()


# --------------------------------------------------------------------------------------------
# 10: the medoid of every cluster
# --------------------------------------------------------------------------------------------

def _reference_medoids(D: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    medoids = np.zeros(k, dtype=np.int64)
    for cluster in range(k):
        members = np.flatnonzero(labels == cluster)
        medoids[cluster] = members[np.argmin(D[np.ix_(members, members)].sum(axis=1))]
    return medoids


def check_medoid_update(medoid_update: Callable[[np.ndarray, np.ndarray, int], Any]) -> None:
    """Check ``medoid_update(D, labels, n_clusters) -> medoids``.

    ``medoids[c]`` is the index (into the rows of ``D``) of the member of cluster ``c`` with
    the smallest sum of distances (not squared) to the members of ``c``; ties go to the lowest
    index.
    """
    rng = np.random.default_rng(13)
    # On a line, the sum of distances is least at the median, the sum of squares at the mean:
    # 0, 1, 2, 3, 4 and 30 have median 2 or 3 (a tie: 2, index 2) and mean 6.67 (nearest
    # member: 4), so a tie sent to the wrong index (3) and squared sums (4) give different
    # answers; summed over all eight points (with -20 and -21) the least is at 1 (tied with 2).
    tied = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 30.0, -20.0, -21.0])
    line = np.array([0.0, 1.0, 2.0, 12.0, -20.0, -21.0])
    points = rng.normal(size=(60, 3))
    points[:5] += 8.0
    cases = [
        ("points on a line with an outlying member and a tie",
         np.abs(tied[:, None] - tied[None]), np.array([0, 0, 0, 0, 0, 0, 1, 1]), 2),
        ("interleaved labels", np.abs(line[:, None] - line[None]), np.array([1, 0, 1, 0, 1, 0]),
         2),
        ("60 points in 3-D, 4 clusters with outliers",
         np.sqrt(((points[:, None] - points[None]) ** 2).sum(-1)), rng.integers(4, size=60), 4),
    ]
    check = ExerciseCheck(medoid_update, "medoid_update", len(cases))
    for label, D, labels, k in cases:
        check.start(label)
        expected = _reference_medoids(D, labels, k)
        result = check.call(D.copy(), labels.copy(), k)
        medoids = check.array(result, "medoids", expected.shape).astype(np.int64)
        if np.array_equal(medoids, expected):
            continue
        c = int(np.argmax(medoids != expected))
        members = np.flatnonzero(labels == c)
        hint = ("among the members of the cluster, the one whose row of D, restricted to the "
                "members, has the smallest sum.")
        within = D[np.ix_(members, members)]
        if medoids[c] not in members and medoids[c] == int(np.flatnonzero(members ==
                                                                          expected[c])[0]):
            hint = ("your index counts within the cluster; return the index into the rows of D "
                    "(members[position]).")
        elif medoids[c] not in members:
            hint = ("your medoid is not a member of the cluster: restrict the sums to the "
                    "members (rows AND columns of D).")
        elif within.sum(axis=1)[members == medoids[c]][0] == within.sum(axis=1).min():
            # before the squared sums, whose argmin could be the tie's other member
            hint = ("a tie: your medoid has the smallest sum too, but so does a member with a "
                    "lower index; send ties to the lowest index (np.argmin does).")
        elif members[np.argmin((within ** 2).sum(axis=1))] == medoids[c]:
            hint = ("you summed squared distances (that is the k-means centre's cost); the "
                    "medoid minimises the plain sum, which an outlier pulls less.")
        elif members[np.argmin(D[members].sum(axis=1))] == medoids[c]:
            hint = ("you summed distances to ALL points; sum only over the cluster's members "
                    "(D[np.ix_(members, members)]).")
        check.fail(f"cluster {c} (members {show_value(members)}): wrong medoid.",
                   expected=expected[c], got=medoids[c], hint=hint)
    check.done()


# --------------------------------------------------------------------------------------------
# 10 (optional): the edit distance
# --------------------------------------------------------------------------------------------

def check_edit_distance(distance: Callable[[str, str], Any]) -> None:
    """Check ``distance(a, b) -> int``, the Levenshtein distance between two strings."""
    words, _ = make_word_families(n_families=3, per_family=4, random_state=2)
    cases = [
        ("identical and empty strings", [("ACGT", "ACGT"), ("", ""), ("", "ACG"), ("GT", "")]),
        ("one substitution, one insertion, one deletion",
         [("ACGT", "AGGT"), ("ACGT", "ACCGT"), ("ACGT", "AGT")]),
        ("a shift: deleting at the front and inserting at the end",
         [("ACGTAC", "CGTACG"), ("kitten", "sitting"), ("flaw", "lawn")]),
        ("12 related DNA-like strings, all pairs",
         [(a, b) for a in words for b in words]),
    ]
    check = ExerciseCheck(distance, "edit_distance", len(cases))
    for label, pairs in cases:
        check.start(label)
        for a, b in pairs:
            expected = edit_distance(a, b)
            got = check.call(a, b)
            try:
                value = float(got)
            except (TypeError, ValueError):
                check.fail(f"return a number, got {type(got).__name__}.")
            if value == expected:
                continue
            hint = ("each entry of the table (one more row and column than the strings) comes "
                    "from three neighbours, above, left and diagonal: what does each move cost, "
                    "and when is the diagonal move free?")
            if min(len(a), len(b)) == 0:
                hint = ("from or to the empty string the distance is the other string's "
                        "length: the first row is 0, 1, 2, ... and so is the first column.")
            elif value == sum(x != y for x, y in zip(a, b, strict=False)) + abs(len(a) - len(b)):
                hint = ("comparing letter by letter at the same positions misses insertions "
                        "and deletions, which shift the rest of the string.")
            elif value > expected and value <= 2 * expected:
                hint = ("a substitution costs 1, the same as an insertion or a deletion (not 2 "
                        "as a deletion plus an insertion).")
            check.fail(f"distance({a!r}, {b!r}) differs.", expected=expected, got=value,
                       hint=hint)
    check.done()
