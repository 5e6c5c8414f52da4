"""The course helpers of notebooks 08-10: data, edit distances and the exercise checks.

Every check must accept a correct answer and reject the typical mistakes with the hint that
names them.
"""

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from clustering_course import text_lessons as tl
from clustering_course.exercises import ExerciseFailed


def _fails_with(check, function, words):
    with pytest.raises(ExerciseFailed) as info:
        check(function)
    assert words in str(info.value), str(info.value)


# --- data ---------------------------------------------------------------------------------

def test_word_families_shape_and_repeatability():
    words, families = tl.make_word_families(n_families=3, per_family=5, random_state=1)
    assert len(words) == 15 and families.tolist() == [0] * 5 + [1] * 5 + [2] * 5
    assert tl.make_word_families(n_families=3, per_family=5, random_state=1)[0] == words
    assert set("".join(words)) <= set("ACGT")


@pytest.mark.slow
def test_word_families_are_closer_within():
    words, families = tl.make_word_families(random_state=0)
    D = tl.edit_distance_matrix(words)
    same = families[:, None] == families[None]
    off = ~np.eye(len(words), dtype=bool)
    assert D[same & off].mean() < D[~same].mean()


def test_edit_distance_known_values():
    assert tl.edit_distance("kitten", "sitting") == 3
    assert tl.edit_distance("", "abc") == 3
    assert tl.edit_distance("flaw", "lawn") == 2
    D = tl.edit_distance_matrix(["a", "ab", "b"])
    assert np.array_equal(D, D.T) and D[0, 1] == 1 and D[0, 2] == 1


def test_word_families_validates():
    with pytest.raises(ValueError):
        tl.make_word_families(alphabet="A")


# --- 08 -------------------------------------------------------------------------------------

def _spherical(X, centers, *, argmin=False, raw=False, unit_centers=True):
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    sims = unit @ centers.T
    labels = sims.argmin(1) if argmin else sims.argmax(1)
    new = centers.copy()
    for j in range(len(centers)):
        if np.any(labels == j):
            total = (X if raw else unit)[labels == j].mean(0)
            new[j] = total / np.linalg.norm(total) if unit_centers else total
    return labels, new


def test_spherical_step_accepts_reference():
    tl.check_spherical_step(_spherical)


@pytest.mark.parametrize("kwargs, words", [
    ({"argmin": True}, "np.argmax, not np.argmin"),
    ({"raw": True}, "averages the raw rows"),
    ({"unit_centers": False}, "scales every"),
])
def test_spherical_step_diagnoses(kwargs, words):
    _fails_with(tl.check_spherical_step, lambda X, c: _spherical(X, c, **kwargs), words)


def test_spherical_step_empty_cluster_nan():
    def nan_for_empty(X, centers):
        labels, new = _spherical(X, centers)
        for j in range(len(centers)):
            if not np.any(labels == j):
                new[j] = np.nan
        return labels, new
    _fails_with(tl.check_spherical_step, nan_for_empty, "keeps its previous position")


def test_spherical_step_stub_passes_through():
    def stub(X, centers):
        raise NotImplementedError("Your turn")
    with pytest.raises(NotImplementedError):
        tl.check_spherical_step(stub)


def _names(labels_true, labels_pred, maximize=True, majority=False):
    classes = np.unique(labels_true)
    clusters = np.unique(labels_pred)
    table = np.array([[np.sum((labels_pred == c) & (labels_true == t)) for t in classes]
                      for c in clusters])
    if majority:
        return {c.item(): classes[row.argmax()].item()
                for c, row in zip(clusters, table, strict=True)}
    rows, cols = linear_sum_assignment(table, maximize=maximize)
    names = {c.item(): None for c in clusters}
    names.update({clusters[r].item(): classes[c].item() for r, c in zip(rows, cols, strict=False)})
    return names


def test_name_clusters_accepts_reference():
    tl.check_name_clusters(_names)


def test_name_clusters_diagnoses_majority_and_minimising():
    _fails_with(tl.check_name_clusters, lambda t, p: _names(t, p, majority=True),
                "names more than one cluster")
    _fails_with(tl.check_name_clusters, lambda t, p: _names(t, p, maximize=False),
                "maximize=True")


# --- 09 -------------------------------------------------------------------------------------

def _silhouettes(D, labels, *, with_self=False, nearest_point=False, ids_up_to_max=False):
    s = np.zeros(len(D))
    clusters = range(labels.max() + 1) if ids_up_to_max else np.unique(labels)
    for i in range(len(D)):
        own = labels == labels[i]
        if own.sum() == 1:
            continue
        a = D[i, own].mean() if with_self else D[i, own].sum() / (own.sum() - 1)
        if nearest_point:
            b = D[i, ~own].min()
        else:
            with np.errstate(invalid="ignore"):
                b = np.min([np.mean(D[i, labels == c]) if np.any(labels == c) else np.nan
                            for c in clusters if c != labels[i]])
        s[i] = (b - a) / max(a, b)
    return s


def test_silhouette_accepts_reference():
    tl.check_silhouette_values(_silhouettes)


@pytest.mark.parametrize("kwargs, words", [
    ({"with_self": True}, "distance to itself"),
    ({"nearest_point": True}, "single nearest outside point"),
    ({"ids_up_to_max": True}, "loop over np.unique(labels)"),
])
def test_silhouette_diagnoses(kwargs, words):
    _fails_with(tl.check_silhouette_values, lambda D, y: _silhouettes(D, y, **kwargs), words)


def _strength(points, labels, centers, *, mean=False, with_self=False, largest=False,
              swapped=False, unordered_pairs=False):
    nearest = np.argmin(((points[:, None] - centers[None]) ** 2).sum(-1), axis=1)
    if swapped:
        labels, nearest = nearest, labels
    shares = []
    for c in np.unique(labels):
        m = nearest[labels == c]
        if len(m) < 2:
            continue
        same = (m[:, None] == m[None]).sum()
        pairs = len(m) ** 2 if with_self else len(m) * (len(m) - 1)
        if unordered_pairs:
            pairs //= 2
        shares.append((same if with_self else same - len(m)) / pairs)
    if largest:
        return float(max(shares))
    return float(np.mean(shares) if mean else min(shares))


def test_prediction_strength_accepts_reference():
    tl.check_prediction_strength(_strength)


@pytest.mark.parametrize("kwargs, words", [
    ({"mean": True}, "MINIMUM"),
    ({"largest": True}, "largest share"),
    ({"with_self": True}, "DISTINCT"),
    ({"swapped": True}, "group them by the test clustering"),
    ({"unordered_pairs": True}, "count pairs differently"),
])
def test_prediction_strength_diagnoses(kwargs, words):
    _fails_with(tl.check_prediction_strength, lambda p, y, c: _strength(p, y, c, **kwargs),
                words)


# --- 10 -------------------------------------------------------------------------------------

def _medoids(D, labels, k, *, squared=False, all_points=False, local=False):
    out = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        rows = D[members] if all_points else D[np.ix_(members, members)]
        cost = (rows ** 2 if squared else rows).sum(1)
        out.append(int(np.argmin(cost)) if local else int(members[np.argmin(cost)]))
    return np.array(out)


def test_medoid_update_accepts_reference():
    tl.check_medoid_update(_medoids)


@pytest.mark.parametrize("kwargs, words", [
    ({"squared": True}, "squared distances"),
    ({"all_points": True}, "ALL points"),
    ({"local": True}, "counts within the cluster"),
])
def test_medoid_update_diagnoses(kwargs, words):
    _fails_with(tl.check_medoid_update, lambda D, y, k: _medoids(D, y, k, **kwargs), words)


def test_medoid_update_diagnoses_a_tie_sent_to_the_highest_index():
    def last_of_ties(D, labels, k):  # a loop with `<=` keeps the last of equal sums
        out = []
        for c in range(k):
            best = np.inf
            for member in np.flatnonzero(labels == c):
                total = D[member, labels == c].sum()
                if total <= best:
                    best, medoid = total, member
            out.append(medoid)
        return np.array(out)

    # the first case's tie (members 1 and 2) is also where the squared sums point: the hint
    # must name the tie, not squared distances
    with pytest.raises(ExerciseFailed) as info:
        tl.check_medoid_update(last_of_ties)
    assert "a tie" in str(info.value) and "squared" not in str(info.value), str(info.value)


def test_edit_distance_check_accepts_reference():
    tl.check_edit_distance(tl.edit_distance)


def test_edit_distance_check_diagnoses():
    def positional(a, b):
        return sum(x != y for x, y in zip(a, b, strict=False)) + abs(len(a) - len(b))

    def substitution_two(a, b):
        prev = list(range(len(b) + 1))
        for i, x in enumerate(a, 1):
            cur = [i]
            for j, y in enumerate(b, 1):
                cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + 2 * (x != y)))
            prev = cur
        return prev[-1]

    def diagonal_never_free(a, b):
        prev = list(range(len(b) + 1))
        for i, _ in enumerate(a, 1):
            cur = [i]
            for j, _ in enumerate(b, 1):
                cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + 1))
            prev = cur
        return prev[-1]

    _fails_with(tl.check_edit_distance, positional, "same positions")
    _fails_with(tl.check_edit_distance, substitution_two, "substitution costs 1")
    # the generic hint points at the three moves without giving the recurrence away
    with pytest.raises(ExerciseFailed) as info:
        tl.check_edit_distance(diagonal_never_free)
    assert "diagonal move free" in str(info.value) and "min(" not in str(info.value)


# --- 07: the optional exercise (mirror candidates) ------------------------------------------

def _invert(centers, D):
    """Notebook 07's `invert` of section 2, as printed there."""
    middle = centers.mean(axis=0)
    a = centers - middle
    rhs = 0.5 * ((a**2).sum(axis=1) - (a**2).sum(axis=1).mean() - D**2
                 + (D**2).mean(axis=1, keepdims=True))
    return middle + np.linalg.lstsq(a, rhs.T, rcond=None)[0].T


def _mirror(centers, distances, *, project=True):
    p = _invert(centers, distances[None])[0]
    normal = np.linalg.svd(centers[1:] - centers[0])[2][-1]
    if project:
        p = p - ((p - centers.mean(axis=0)) @ normal) * normal
    rho = np.sqrt(max(distances[0] ** 2 - ((p - centers[0]) ** 2).sum(), 0.0))
    return np.array([p + rho * normal, p - rho * normal])


@pytest.mark.parametrize("d, shift", [(2, 0.0), (4, 100.0), (3, 2e6), (5, 1e4)])
def test_mirror_reference_contains_the_true_point(d, shift):
    from clustering_course.inversion_lessons import _candidates

    rng = np.random.default_rng(d)
    centers = rng.normal(size=(d, d)) * 2 + shift
    point = rng.normal(size=d) * 2 + shift
    pair = _candidates(centers, np.linalg.norm(centers - point, axis=1))
    assert np.abs(pair - point).max(axis=1).min() < 1e-6 * (1 + 2 * abs(shift) ** 0.5)
    # both candidates are at the given distances
    for candidate in pair:
        assert np.allclose(np.linalg.norm(centers - candidate, axis=1),
                           np.linalg.norm(centers - point, axis=1), atol=1e-6)


def test_mirror_notebook_solution_passes_and_unprojected_invert_is_diagnosed():
    from clustering_course.inversion_lessons import check_mirror_candidates

    check_mirror_candidates(_mirror)
    _fails_with(check_mirror_candidates, lambda c, d: _mirror(c, d, project=False),
                "off the centres' hull")
