"""clustering_lib._kmedoids.KMedoids: exact optima on tiny sets, hand-made cases, metrics,
bad input and scikit-learn's estimator checks."""

import itertools
import pickle

import numpy as np
import pytest
import tensorflow as tf
from scipy.spatial.distance import cdist
from sklearn.datasets import make_blobs
from sklearn.exceptions import NotFittedError

from clustering_lib import InvalidParameterError
from clustering_lib import _kmedoids as kmedoids
from clustering_lib._kmedoids import KMedoids

# Seeds of the tiny problems below; n and k are drawn from each seed.
TINY_SEEDS = range(12)
# On these seeds PAM (BUILD + best swaps) ends in a local optimum that is not the
# global one, at 1.055 and 1.011 times the optimum (measured).
BUILD_LOCAL_OPTIMA = {0, 5}


def tiny_problem(seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(8, 11)), int(rng.integers(2, 4))
    X = rng.normal(size=(n, 2))
    return X, cdist(X, X), k


def cost(D, medoids):
    return D[:, list(medoids)].min(axis=1).sum()


def brute_force_optimum(D, k):
    return min(cost(D, c) for c in itertools.combinations(range(len(D)), k))


def reference_alternating(D, medoids, max_iter=300):
    """Plain NumPy alternating k-medoids, one cluster at a time (the test's reference)."""
    medoids = np.array(medoids)
    for _ in range(max_iter):
        labels = D[:, medoids].argmin(axis=1)
        labels[medoids] = np.arange(len(medoids))
        new = medoids.copy()
        for c in range(len(medoids)):
            members = np.flatnonzero(labels == c)
            within = D[np.ix_(members, members)].sum(axis=0)
            if within.min() < D[members, medoids[c]].sum():
                new[c] = members[within.argmin()]
        if np.array_equal(new, medoids):
            break
        medoids = new
    return medoids


def improving_swaps(D, medoids):
    """All (medoid in, point out) swaps that lower the cost by more than rounding."""
    base = cost(D, medoids)
    found = []
    for slot, point in itertools.product(range(len(medoids)), range(len(D))):
        if point not in medoids:
            swapped = list(medoids)
            swapped[slot] = point
            if cost(D, swapped) < base * (1 - 1e-12):
                found.append((slot, point))
    return found


# --------------------------------------------------------------------------- #
# Optimality
# --------------------------------------------------------------------------- #
@pytest.mark.slow
@pytest.mark.parametrize("seed", TINY_SEEDS)
def test_reaches_brute_force_optimum_on_tiny_sets(seed):
    X, D, k = tiny_problem(seed)
    optimum = brute_force_optimum(D, k)
    rng = np.random.default_rng(100 + seed)
    alternating = [
        cost(D, reference_alternating(D, rng.choice(len(D), k, replace=False)))
        for _ in range(5)
    ]

    restarts = KMedoids(k, n_init=5, random_state=seed).fit(X)
    assert restarts.inertia_ <= min(alternating) + 1e-9
    assert restarts.inertia_ == pytest.approx(optimum, rel=1e-9)

    build = KMedoids(k, init="build").fit(X)
    assert build.inertia_ <= 1.1 * optimum
    if seed not in BUILD_LOCAL_OPTIMA:
        assert build.inertia_ == pytest.approx(optimum, rel=1e-9)
    # Either way the swap phase ends where no single swap helps.
    assert improving_swaps(D, build.medoid_indices_) == []


@pytest.mark.parametrize("seed", range(4))
def test_alternating_kernel_matches_reference(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 2))
    D = cdist(X, X)
    start = rng.choice(60, 5, replace=False)
    medoids, n_iter = kmedoids._alternate(
        tf.constant(D), tf.constant(start, tf.int32), tf.constant(300)
    )
    np.testing.assert_array_equal(medoids.numpy(), reference_alternating(D, start))
    assert int(n_iter) >= 1


def test_swaps_end_in_a_swap_local_optimum():
    X = np.random.default_rng(7).uniform(size=(40, 2))
    D = cdist(X, X)
    start = np.arange(4)
    plain = reference_alternating(D, start)
    model = KMedoids(4, init=start).fit(X)
    assert model.n_swaps_ > 0  # here the alternating algorithm alone stops too early
    assert model.inertia_ < cost(D, plain)
    assert improving_swaps(D, model.medoid_indices_) == []
    assert model.inertia_ == pytest.approx(cost(D, model.medoid_indices_), rel=1e-12)


# --------------------------------------------------------------------------- #
# Hand-made and metric cases
# --------------------------------------------------------------------------- #
LINE = np.array([0.0, 1.0, 3.0, 4.0, 7.0, 50.0, 52.0, 53.0, 55.0, 60.0])


@pytest.mark.parametrize("init", ["k-medoids++", "random", "build", [0, 9]])
def test_two_groups_on_a_line_take_their_middle_points(init):
    D = np.abs(LINE[:, None] - LINE[None, :])
    model = KMedoids(2, metric="precomputed", init=init, random_state=0).fit(D)
    assert sorted(model.medoid_indices_.tolist()) == [2, 7]
    first = model.labels_[0]
    expected = np.where(np.arange(10) < 5, first, 1 - first)
    np.testing.assert_array_equal(model.labels_, expected)
    # |0-3| + |1-3| + 0 + |4-3| + |7-3| and |50-53| + |52-53| + 0 + |55-53| + |60-53|.
    assert model.inertia_ == 10.0 + 13.0
    assert model.cluster_centers_ is None
    np.testing.assert_array_equal(model.predict(D), model.labels_)


def test_precomputed_matches_euclidean():
    X, _ = make_blobs(n_samples=60, centers=3, random_state=1)
    direct = KMedoids(3, random_state=0).fit(X)
    pre = KMedoids(3, metric="precomputed", random_state=0).fit(cdist(X, X))
    np.testing.assert_array_equal(direct.medoid_indices_, pre.medoid_indices_)
    np.testing.assert_array_equal(direct.labels_, pre.labels_)
    assert direct.inertia_ == pytest.approx(pre.inertia_, rel=1e-10)
    np.testing.assert_array_equal(direct.cluster_centers_, X[direct.medoid_indices_])


def test_cosine_matches_precomputed_cosine_distances():
    X = np.random.default_rng(3).uniform(-1.0, 1.0, size=(50, 4))
    cosine = KMedoids(4, metric="cosine", random_state=0).fit(X)
    pre = KMedoids(4, metric="precomputed", random_state=0).fit(cdist(X, X, "cosine"))
    np.testing.assert_array_equal(cosine.medoid_indices_, pre.medoid_indices_)
    np.testing.assert_array_equal(cosine.labels_, pre.labels_)
    assert cosine.inertia_ == pytest.approx(pre.inertia_, rel=1e-10)
    X_new = X[:7] * 3.0 + 0.1
    np.testing.assert_allclose(
        cosine.transform(X_new), cdist(X_new, cosine.cluster_centers_, "cosine"), atol=1e-12
    )


def test_predict_and_transform_new_points():
    X, _ = make_blobs(n_samples=80, centers=4, random_state=2)
    X_new = X[::5] + 0.25
    model = KMedoids(4, random_state=0).fit(X)
    expected = cdist(X_new, model.cluster_centers_)
    np.testing.assert_allclose(model.transform(X_new), expected, rtol=1e-10)
    np.testing.assert_array_equal(model.predict(X_new), expected.argmin(axis=1))
    np.testing.assert_array_equal(model.fit_predict(X), model.labels_)
    np.testing.assert_allclose(model.fit_transform(X), model.transform(X))
    np.testing.assert_array_equal(model.transform(X).argmin(axis=1), model.labels_)

    # The same with distances to the training points.
    pre = KMedoids(4, metric="precomputed", random_state=0).fit(cdist(X, X))
    to_train = cdist(X_new, X)
    np.testing.assert_array_equal(pre.predict(to_train), model.predict(X_new))
    np.testing.assert_array_equal(pre.transform(to_train), to_train[:, pre.medoid_indices_])


def test_float32_is_kept_and_tensors_are_accepted():
    X, _ = make_blobs(n_samples=50, centers=3, random_state=0)
    model = KMedoids(3, random_state=0).fit(tf.constant(X, tf.float32))
    assert model.cluster_centers_.dtype == np.float32
    assert model.transform(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_array_equal(model.predict(tf.constant(X, tf.float32)), model.labels_)
    assert model.n_features_in_ == 2


def test_edge_cases_one_cluster_every_point_and_duplicates():
    X = np.random.default_rng(5).normal(size=(7, 3))
    one = KMedoids(1, random_state=0).fit(X)
    assert one.medoid_indices_.tolist() == [int(cdist(X, X).sum(axis=0).argmin())]
    every = KMedoids(7, random_state=0).fit(X)
    assert sorted(every.medoid_indices_.tolist()) == list(range(7))
    assert every.inertia_ == 0.0

    duplicates = np.repeat([[0.0, 0.0], [1.0, 1.0]], 5, axis=0)
    for init in ["k-medoids++", "random", "build"]:
        model = KMedoids(3, init=init, random_state=0).fit(duplicates)
        assert len(set(model.medoid_indices_.tolist())) == 3
        assert sorted(set(model.labels_.tolist())) == [0, 1, 2]
        assert model.inertia_ == 0.0


# --------------------------------------------------------------------------- #
# Randomness and restarts
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def uniform_points():
    return np.random.default_rng(11).uniform(size=(150, 2))


@pytest.mark.parametrize("init", ["k-medoids++", "random"])
def test_same_random_state_is_deterministic(uniform_points, init):
    first = KMedoids(8, init=init, n_init=3, random_state=4).fit(uniform_points)
    second = KMedoids(8, init=init, n_init=3, random_state=4).fit(uniform_points)
    np.testing.assert_array_equal(first.medoid_indices_, second.medoid_indices_)
    np.testing.assert_array_equal(first.labels_, second.labels_)
    assert first.inertia_ == second.inertia_


@pytest.mark.parametrize("init", ["k-medoids++", "random"])
def test_n_init_keeps_the_lowest_cost(uniform_points, init):
    # Single runs sharing one RandomState draw the same initial medoids, in order.
    shared = np.random.RandomState(0)
    single = [
        KMedoids(8, init=init, random_state=shared).fit(uniform_points).inertia_
        for _ in range(6)
    ]
    assert len(set(single)) > 1  # the restarts do differ
    best = KMedoids(8, init=init, n_init=6, random_state=0).fit(uniform_points)
    assert best.inertia_ == min(single)


def test_explicit_init_with_n_init_warns_and_runs_once(uniform_points):
    with pytest.warns(RuntimeWarning, match="performing only one init"):
        KMedoids(3, init=[0, 1, 2], n_init=3).fit(uniform_points)


def test_pickle_round_trip(uniform_points):
    model = KMedoids(5, random_state=0).fit(uniform_points)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.predict(uniform_points), model.labels_)


# --------------------------------------------------------------------------- #
# Bad input
# --------------------------------------------------------------------------- #
GOOD_D = np.abs(LINE[:4, None] - LINE[None, :4])


def with_entry(matrix, index, value):
    changed = matrix.copy()
    changed[index] = value
    return changed


@pytest.mark.parametrize(
    ("D", "message"),
    [
        (np.ones((3, 4)) - np.eye(3, 4), "square"),
        (with_entry(with_entry(GOOD_D, (0, 1), -1.0), (1, 0), -1.0), "negative"),
        (with_entry(GOOD_D, (0, 1), np.nan), "NaN"),
        (with_entry(GOOD_D, (2, 3), np.inf), "infinity"),
        (with_entry(GOOD_D, (1, 1), 0.5), "zero diagonal"),
        (with_entry(GOOD_D, (0, 1), 1.5), "symmetric"),
    ],
)
def test_bad_precomputed_matrix_raises(D, message):
    with pytest.raises(ValueError, match=message):
        KMedoids(2, metric="precomputed").fit(D)


def test_cosine_rejects_zero_length_rows():
    X = np.array([[1.0, 0.0], [0.0, 0.0], [0.5, 0.5], [0.0, 0.0]])
    with pytest.raises(ValueError, match=r"X has 2 row\(s\) of zero length"):
        KMedoids(2, metric="cosine").fit(X)
    model = KMedoids(2, metric="cosine").fit(X[[0, 2]])
    for method in (model.predict, model.transform):
        with pytest.raises(ValueError, match=r"X has 2 row\(s\) of zero length"):
            method(X)
    # Entries so small that their squares underflow: no length to scale by either.
    tiny = np.array([[1.0, 0.0], [1e-200, 1e-200], [0.5, 0.5]])
    with pytest.raises(ValueError, match=r"X has 1 row\(s\) of zero length"):
        KMedoids(2, metric="cosine").fit(tiny)
    with pytest.raises(ValueError, match=r"X has 1 row\(s\) of zero length"):
        KMedoids(2, metric="cosine").fit(np.array([[1, 0], [1e-30, 0], [1, 1]], np.float32))


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"n_clusters": 0}, InvalidParameterError,
         r"'n_clusters' parameter of KMedoids must be an int in the range \[1, inf\)"),
        ({"n_clusters": 5}, ValueError, "n_samples=4 should be >= n_clusters=5"),
        ({"n_clusters": 2.5}, TypeError, "'n_clusters' parameter of KMedoids must be an int"),
        ({"metric": "manhattan"}, InvalidParameterError, "'metric' parameter of KMedoids"),
        ({"init": "k-means++"}, InvalidParameterError, "'init' parameter of KMedoids"),
        ({"init": [0, 1, 2]}, ValueError, "n_clusters=2 medoid indices"),
        ({"init": [1, 1]}, ValueError, "distinct"),
        ({"init": [0, 4]}, ValueError, "lie in"),
        ({"init": [0.0, 1.0]}, ValueError, "integer indices"),
        ({"max_iter": 0}, InvalidParameterError, "'max_iter' parameter of KMedoids"),
        ({"n_init": 0}, InvalidParameterError, "'n_init' parameter of KMedoids"),
    ],
)
def test_bad_parameters_raise(params, error, message):
    X = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0], [6.0, 5.0]])
    with pytest.raises(error, match=message):
        KMedoids(**{"n_clusters": 2, **params}).fit(X)


def test_predict_before_fit_and_with_the_wrong_width():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0], [6.0, 5.0]])
    with pytest.raises(NotFittedError):
        KMedoids(2).predict(X)
    model = KMedoids(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="X has 3 features, but KMedoids is expecting 2"):
        model.predict(np.ones((2, 3)))
    pre = KMedoids(2, metric="precomputed", random_state=0).fit(cdist(X, X))
    with pytest.raises(ValueError, match="distances to the 4 training points"):
        pre.predict(np.ones((2, 3)))
    with pytest.raises(ValueError, match="negative"):
        pre.transform(-np.ones((2, 4)))


def test_medoid_cost_matches_brute_force_and_fit():
    from clustering_lib import KMedoids, medoid_cost

    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 2))
    D = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
    labels = rng.integers(0, 3, size=30)
    expected = sum(min(D[m, labels == c].sum() for m in np.flatnonzero(labels == c))
                   for c in range(3))
    assert medoid_cost(D, labels) == pytest.approx(expected)
    model = KMedoids(3, metric="precomputed", random_state=0).fit(D)
    assert medoid_cost(D, model.labels_) == pytest.approx(model.inertia_)
    with pytest.raises(ValueError, match="one entry per row"):
        medoid_cost(D, labels[:5])


def test_k_medoids_plus_plus_draws_distinct_medoids_when_every_distance_is_zero():
    """Every draw lands on a point already chosen (the potential is 0): the greedy loop
    shared with k-means++ must take the farthest point not yet chosen instead."""
    for n_clusters in (2, 4, 6):
        model = KMedoids(n_clusters, metric="precomputed", random_state=0).fit(np.zeros((6, 6)))
        assert len(set(model.medoid_indices_.tolist())) == n_clusters
        assert model.inertia_ == 0.0
