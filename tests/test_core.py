"""The TensorFlow k-means core against NumPy, SciPy, scikit-learn and hand-made cases."""

import numpy as np
import pytest
import tensorflow as tf
from scipy.spatial.distance import cdist
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.cluster import kmeans_plusplus as sklearn_kmeans_plusplus
from sklearn.datasets import make_blobs

import clustering_lib as cl
from clustering_lib.core import _execution as execution


@pytest.fixture(scope="module")
def blobs():
    X, _ = make_blobs(n_samples=600, centers=5, n_features=4, random_state=0)
    return X


def test_assign_hand_made_case():
    points = np.array([[0.0, 0.0], [1.0, 0.0], [4.0, 0.0], [5.0, 1.0], [2.0, 0.0]])
    centroids = np.array([[0.0, 0.0], [5.0, 0.0]])
    labels, distances = cl.assign(points, centroids)
    np.testing.assert_array_equal(labels.numpy(), [0, 0, 1, 1, 0])
    np.testing.assert_allclose(distances.numpy(), [0.0, 1.0, 1.0, 1.0, 4.0])
    assert labels.dtype == tf.int32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_assign_matches_scipy_cdist(dtype):
    rng = np.random.default_rng(0)
    points = rng.normal(size=(300, 7)).astype(dtype)
    centroids = rng.normal(size=(9, 7)).astype(dtype)
    labels, distances = cl.assign(points, centroids)
    reference = cdist(points.astype(np.float64), centroids.astype(np.float64), "sqeuclidean")
    np.testing.assert_array_equal(labels.numpy(), reference.argmin(axis=1))
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(distances.numpy(), reference.min(axis=1), rtol=rtol, atol=1e-5)
    assert distances.dtype == tf.as_dtype(dtype)


def test_distances_are_clipped_at_zero():
    # Large, nearly equal coordinates: the expanded formula can round below zero.
    point = np.full((1, 50), 1e4, dtype=np.float32)
    distances = cl.core.pairwise_squared_distances(point, point + 1e-3)
    assert float(distances[0, 0]) >= 0.0


def test_assign_ties_go_to_lowest_index():
    labels, _ = cl.assign([[1.0, 0.0]], [[0.0, 0.0], [2.0, 0.0]])
    assert int(labels[0]) == 0


def test_integer_input_becomes_float32_and_float64_is_kept():
    _, distances = cl.assign(np.array([[1, 2], [3, 4]]), np.array([[0, 0]]))
    assert distances.dtype == tf.float32
    _, distances = cl.assign(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]]))
    assert distances.dtype == tf.float64


def test_assign_accepts_tensors():
    labels, _ = cl.assign(tf.constant([[0.0], [10.0]]), tf.constant([[9.0], [1.0]]))
    np.testing.assert_array_equal(labels.numpy(), [1, 0])


def test_update_centroids_means_and_empty_cluster():
    points = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 10.0]])
    labels = np.array([0, 0, 2])
    centroids, weights = cl.update_centroids(points, labels, n_clusters=3)
    np.testing.assert_allclose(centroids.numpy(), [[1.0, 0.0], [0.0, 0.0], [10.0, 10.0]])
    np.testing.assert_allclose(weights.numpy(), [2.0, 0.0, 1.0])
    assert np.all(np.isfinite(centroids.numpy()))


def test_update_centroids_empty_cluster_keeps_previous_center():
    points = np.array([[0.0, 0.0], [2.0, 0.0]])
    previous = np.array([[5.0, 5.0], [7.0, 7.0]])
    centroids, _ = cl.update_centroids(points, [1, 1], 2, previous_centroids=previous)
    np.testing.assert_allclose(centroids.numpy(), [[5.0, 5.0], [1.0, 0.0]])


def test_update_centroids_weighted_matches_numpy(blobs):
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 6, size=len(blobs))
    weights = rng.uniform(0.1, 3.0, size=len(blobs))
    centroids, cluster_weights = cl.update_centroids(blobs, labels, 6, sample_weight=weights)
    for j in range(6):
        mask = labels == j
        expected = np.average(blobs[mask], axis=0, weights=weights[mask])
        np.testing.assert_allclose(centroids.numpy()[j], expected, rtol=1e-10)
        np.testing.assert_allclose(cluster_weights.numpy()[j], weights[mask].sum())


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_kmeans_plusplus_chooses_scikit_learns_centers(blobs, seed):
    expected_centers, expected_indices = sklearn_kmeans_plusplus(blobs, 7, random_state=seed)
    centers, indices = cl.kmeans_plusplus(blobs, 7, random_state=seed)
    np.testing.assert_array_equal(indices.numpy(), expected_indices)
    np.testing.assert_allclose(centers.numpy(), expected_centers)


def test_kmeans_plusplus_with_weights_matches_scikit_learn(blobs):
    weights = np.random.default_rng(0).uniform(0.5, 2.0, size=len(blobs))
    _, expected = sklearn_kmeans_plusplus(blobs, 5, sample_weight=weights, random_state=4)
    _, indices = cl.kmeans_plusplus(blobs, 5, sample_weight=weights, random_state=4)
    np.testing.assert_array_equal(indices.numpy(), expected)


def test_kmeans_plusplus_never_picks_zero_weight_points(blobs):
    weights = np.zeros(len(blobs))
    weights[:50] = 1.0
    _, indices = cl.kmeans_plusplus(blobs, 5, sample_weight=weights, random_state=0)
    assert np.all(indices.numpy() < 50)


def test_random_init_picks_distinct_rows(blobs):
    centers, indices = cl.random_init(blobs, 10, random_state=0)
    assert len(set(indices.numpy().tolist())) == 10
    np.testing.assert_array_equal(centers.numpy(), blobs[indices.numpy()])


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "block_rows"), [("eager", None), ("eager", 96),
                                                  ("graph", 128), ("xla", None)])
@pytest.mark.parametrize("n_features", [2, 6])
def test_lloyd_matches_scikit_learn_from_same_centers(mode, block_rows, n_features):
    X, _ = make_blobs(n_samples=500, centers=4, n_features=n_features, random_state=3)
    init = X[:6]
    reference = SklearnKMeans(6, init=init, n_init=1, tol=0.0).fit(X)
    with execution.config_context(mode=mode, block_rows=block_rows):
        result = cl.lloyd(X, init, tol=0.0)
    np.testing.assert_array_equal(result.labels.numpy(), reference.labels_)
    np.testing.assert_allclose(result.centers.numpy(), reference.cluster_centers_, rtol=1e-9)
    np.testing.assert_allclose(float(result.inertia), reference.inertia_, rtol=1e-9)
    assert int(result.n_iter) == reference.n_iter_


def test_lloyd_stops_at_max_iter(blobs):
    result = cl.lloyd(blobs, blobs[:8], max_iter=2)
    assert int(result.n_iter) == 2
    # After stopping early the labels are recomputed for the returned centres.
    labels, _ = cl.assign(blobs, result.centers)
    np.testing.assert_array_equal(result.labels.numpy(), labels.numpy())


def test_lloyd_relocates_empty_cluster_like_scikit_learn():
    X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [9.0]])
    # The third centre is far from every point, so its cluster starts empty.
    init = np.array([[0.0], [5.0], [100.0]])
    reference = SklearnKMeans(3, init=init, n_init=1).fit(X)
    result = cl.lloyd(X, init)
    np.testing.assert_array_equal(result.labels.numpy(), reference.labels_)
    np.testing.assert_allclose(result.centers.numpy(), reference.cluster_centers_)
    assert np.all(np.isfinite(result.centers.numpy()))


def test_lloyd_with_duplicate_points_never_gives_nan():
    X = np.zeros((10, 3))
    result = cl.lloyd(X, np.zeros((3, 3)))
    assert np.all(np.isfinite(result.centers.numpy()))
    assert float(result.inertia) == 0.0


def test_cluster_of_zero_weight_points_counts_as_empty_like_scikit_learn():
    X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [9.0]])
    weights = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.0])
    init = np.array([[0.0], [5.0], [9.0]])
    reference = SklearnKMeans(3, init=init, n_init=1).fit(X, sample_weight=weights)
    result = cl.lloyd(X, init, sample_weight=weights)
    np.testing.assert_array_equal(result.labels.numpy(), reference.labels_)
    np.testing.assert_allclose(result.centers.numpy(), reference.cluster_centers_)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: cl.assign(np.ones(3), np.ones((2, 3))), "points must be a 2-D"),
        (lambda: cl.assign(np.ones((2, 2, 2)), np.ones((2, 2))), "points must be a 2-D"),
        (lambda: cl.assign(np.ones((0, 3)), np.ones((2, 3))), "points is empty"),
        (lambda: cl.assign(np.ones((4, 3)), np.ones((2, 2))), "features"),
        (lambda: cl.assign([[np.nan, 1.0]], [[0.0, 0.0]]), "points contains NaN"),
        (lambda: cl.assign([[1.0, 1.0]], [[np.inf, 0.0]]), "centroids contains NaN or inf"),
        (lambda: cl.update_centroids(np.ones((3, 2)), [0, 1], 2), "labels must be 1-D"),
        (lambda: cl.update_centroids(np.ones((2, 2)), [0, 2], 2), r"labels must lie in"),
        (lambda: cl.update_centroids(np.ones((2, 2)), [0, 1], 0), "n_clusters must be at least"),
        (lambda: cl.kmeans_plusplus(np.ones((3, 2)), 4), "n_samples=3 should be >= n_clusters=4"),
        (
            lambda: cl.kmeans_plusplus(np.ones((3, 2)), 2, sample_weight=[1, -1, 1]),
            "sample_weight must be non-negative",
        ),
        (lambda: cl.lloyd(np.ones((5, 2)), np.ones((2, 2)), max_iter=0), "max_iter"),
        (lambda: cl.lloyd(np.ones((5, 2)), np.ones((2, 2)), tol=-1.0), "tol"),
    ],
)
def test_bad_input_raises_value_error_naming_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_non_numeric_input_raises_type_error():
    with pytest.raises(TypeError, match="points must hold real numbers"):
        cl.assign(np.array([["a", "b"]]), np.ones((1, 2)))
    with pytest.raises(TypeError, match="n_clusters must be an integer"):
        cl.kmeans_plusplus(np.ones((5, 2)), 2.5)
    with pytest.raises(TypeError, match="labels must be integers"):
        cl.update_centroids(np.ones((2, 2)), [0.0, 1.0], 2)
