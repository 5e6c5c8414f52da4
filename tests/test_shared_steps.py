"""The steps every estimator shares (one implementation each), tested directly."""

import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import make_blobs

from clustering_lib import KMeans, KMedoids
from clustering_lib._base import replaces_best_run, tolerance
from clustering_lib.core._minibatch import move_centers, reassign_low_counts
from clustering_lib.core._seeding import random_indices
from clustering_lib.core._validation import feature_variances, scale_to_unit_length


def test_best_run_rule_with_and_without_labels():
    labels = np.array([0, 0, 1, 1])
    best = (None, labels, 10.0)
    # Lower inertia, same partition under other ids: scikit-learn keeps the first run.
    assert not replaces_best_run(9.0, np.array([1, 1, 0, 0]), best, 2)
    assert replaces_best_run(9.0, np.array([0, 1, 1, 1]), best, 2)
    assert not replaces_best_run(10.0, np.array([0, 1, 1, 1]), best, 2)
    # Without labels the lower inertia wins.
    assert replaces_best_run(9.0, None, best, 2)
    assert not replaces_best_run(11.0, None, best, 2)
    assert replaces_best_run(11.0, None, None, 2)


def test_kmedoids_keeps_its_cheapest_run_even_when_a_partition_repeats():
    """Medoids can differ for the same labels (a run stopped at max_iter): the cheapest
    run is kept, whatever its partition."""
    X = np.random.default_rng(1).normal(size=(60, 2))
    model = KMedoids(3, init="random", max_iter=1, n_init=4, random_state=80).fit(X)
    singles = []
    rng = np.random.RandomState(80)
    for _ in range(4):
        singles.append(KMedoids(3, init="random", max_iter=1, random_state=rng).fit(X).inertia_)
    assert model.inertia_ == pytest.approx(min(singles), rel=1e-12)


def test_move_centers_is_the_running_mean():
    rng = np.random.default_rng(0)
    centers, counts = rng.normal(size=(3, 2)), np.array([2.0, 0.0, 5.0])
    batch, labels = rng.normal(size=(7, 2)), np.array([0, 0, 2, 2, 2, 0, 0])
    sums = np.stack([batch[labels == j].sum(axis=0) for j in range(3)])
    totals = np.bincount(labels, minlength=3).astype(float)
    moved, new_counts = move_centers(tf.constant(centers), tf.constant(counts),
                                     tf.constant(sums), tf.constant(totals))
    expected = centers.copy()
    for j in (0, 2):  # the old mean of counts[j] points, joined by the new ones
        expected[j] = (centers[j] * counts[j] + sums[j]) / (counts[j] + totals[j])
    np.testing.assert_allclose(moved.numpy(), expected, rtol=1e-12)
    np.testing.assert_array_equal(new_counts.numpy(), counts + totals)


def test_reassign_low_counts_moves_the_starved_centers_to_the_candidates():
    centers = tf.constant(np.zeros((4, 2)))
    counts = tf.constant([100.0, 0.5, 80.0, 0.0], tf.float64)
    rows = tf.constant(np.arange(20.0).reshape(10, 2))
    moved, new_counts, n_moved = reassign_low_counts(
        centers, counts, tf.constant(0.01, tf.float64), 10, tf.constant([7, 3, 5, 1]),
        lambda chosen: tf.gather(rows, chosen))
    assert int(n_moved) == 2
    np.testing.assert_array_equal(moved.numpy()[[1, 3]], rows.numpy()[[7, 3]])
    np.testing.assert_array_equal(new_counts.numpy(), [100.0, 80.0, 80.0, 80.0])


def test_random_indices_are_numpys_choice():
    weights = np.array([0.0, 1.0, 2.0, 3.0, 0.0, 4.0])
    for seed in range(5):
        expected = np.random.RandomState(seed).choice(6, 3, replace=False,
                                                       p=weights / weights.sum())
        np.testing.assert_array_equal(
            random_indices(6, 3, np.random.RandomState(seed), weights), expected)
        np.testing.assert_array_equal(
            random_indices(6, 3, np.random.RandomState(seed)),
            np.random.RandomState(seed).choice(6, 3, replace=False))


def test_scale_to_unit_length_and_its_fallback():
    rows = np.array([[3.0, 4.0], [0.0, 0.0], [0.0, -2.0]])
    fallback = np.full((3, 2), 7.0)
    np.testing.assert_array_equal(scale_to_unit_length(rows, fallback),
                                  [[0.6, 0.8], [7.0, 7.0], [0.0, -1.0]])
    np.testing.assert_array_equal(scale_to_unit_length(rows[[0, 2]]), [[0.6, 0.8], [0.0, -1.0]])


def test_tolerance_is_scikit_learns():
    import scipy.sparse as sp

    X = np.random.default_rng(0).normal(size=(50, 3)) * [1.0, 2.0, 3.0]
    assert tolerance(feature_variances(X), 1e-4) == pytest.approx(np.var(X, axis=0).mean() * 1e-4)
    np.testing.assert_allclose(feature_variances(sp.csr_matrix(X)), np.var(X, axis=0))
    assert tolerance(feature_variances(X), 0.0) == 0.0


@pytest.mark.parametrize("name", ["k-means++", "random"])
def test_a_cosine_memory_map_starts_where_the_array_does(name, tmp_path):
    X, _ = make_blobs(400, centers=4, n_features=3, random_state=0)
    X = X + 20.0  # directions that differ
    mapped = np.lib.format.open_memmap(tmp_path / "X.npy", "w+", X.dtype, X.shape)
    mapped[:] = X
    expected = KMeans(4, init=name, metric="cosine", n_init=1, max_iter=1,
                      random_state=3).fit(X)
    found = KMeans(4, init=name, metric="cosine", n_init=1, max_iter=1,
                   random_state=3).fit(mapped)
    np.testing.assert_allclose(found.init_centers_, expected.init_centers_, rtol=1e-12)


def test_init_errors_in_passes_are_the_in_memory_ones(tmp_path):
    X, _ = make_blobs(100, centers=3, n_features=2, random_state=0)
    mapped = np.lib.format.open_memmap(tmp_path / "X.npy", "w+", X.dtype, X.shape)
    mapped[:] = X
    for data in (X, mapped):
        with pytest.raises(ValueError, match="number of features of the data 2"):
            KMeans(3, init=np.zeros((3, 5)), n_init=1).fit(data)
        with pytest.raises(ValueError, match="does not match the number of clusters 3"):
            KMeans(3, init=np.zeros((2, 2)), n_init=1).fit(data)
    with pytest.raises(ValueError, match="partially given centres"):
        KMeans(3, init=np.array([[0.0, np.nan], [1.0, 1.0], [2.0, 2.0]]), n_init=1).fit(mapped)
