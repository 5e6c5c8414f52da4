import os
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import tensorflow as tf
from sklearn.cluster import MiniBatchKMeans as SklearnMiniBatchKMeans
from sklearn.cluster import kmeans_plusplus
from sklearn.datasets import make_blobs
from sklearn.exceptions import NotFittedError

from clustering_lib import KMeans, config_context, core
from clustering_lib._minibatch import MiniBatchKMeans, MiniBatchStep
from clustering_lib.core import _sparse as sparse
from clustering_lib.datasets import load_mnist

MNIST_DIR = os.environ.get("MNIST_DIR", "")

@pytest.fixture(scope="module")
def blobs():
    X, _ = make_blobs(n_samples=3000, centers=6, center_box=(-20, 20), random_state=0)
    return X


def _inertia(X, centers):
    distances = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    return float(distances.min(axis=1).sum())


# --------------------------------------------------------------------------- #
# scikit-learn compatibility
# --------------------------------------------------------------------------- #
def test_partial_fit_sequence_matches_scikit_learn_exactly(blobs):
    # Without reassignment the algorithm has no randomness once the centres are fixed.
    init = blobs[:6]
    ours = MiniBatchKMeans(6, init=init, reassignment_ratio=0.0)
    ref = SklearnMiniBatchKMeans(6, init=init, n_init=1, reassignment_ratio=0.0)
    for batch in np.array_split(blobs, 12):
        ours.partial_fit(batch)
        ref.partial_fit(batch)
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-10)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    np.testing.assert_allclose(ours.inertia_, ref.inertia_, rtol=1e-10)
    assert ours.n_steps_ == ref.n_steps_ == 12


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_same_init_gives_inertia_comparable_to_scikit_learn(blobs, seed):
    init, _ = kmeans_plusplus(blobs, 6, random_state=seed)
    ours = MiniBatchKMeans(6, init=init, batch_size=256, random_state=seed).fit(blobs)
    ref = SklearnMiniBatchKMeans(6, init=init, n_init=1, batch_size=256,
                                 random_state=seed).fit(blobs)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=0.03)
    assert ours.inertia_ == pytest.approx(_inertia(blobs, ours.cluster_centers_), rel=1e-9)


def test_fit_is_close_to_full_kmeans(blobs):
    full = KMeans(6, random_state=0).fit(blobs).inertia_
    for seed in range(3):
        mbk = MiniBatchKMeans(6, batch_size=256, random_state=seed).fit(blobs)
        assert mbk.inertia_ <= 1.05 * full


@pytest.mark.skipif(not MNIST_DIR or not os.path.isdir(MNIST_DIR),
                    reason="set MNIST_DIR to a folder holding MNIST")
def test_partial_fit_on_mnist_is_within_ten_percent_of_kmeans():
    images, _ = load_mnist("test", data_dir=MNIST_DIR)
    X = (images.reshape(-1, 784) / 255.0).astype(np.float32)
    mbk = MiniBatchKMeans(10, random_state=0)
    chunks = np.array_split(np.arange(len(X)), 20)
    order_rng = np.random.default_rng(0)
    for _ in range(3):
        for chunk in order_rng.permutation(len(chunks)):
            mbk.partial_fit(X[chunks[chunk]])
    assert mbk.n_steps_ == 60
    full = KMeans(10, random_state=0).fit(X)
    ratio = -mbk.score(X) / full.inertia_
    assert ratio < 1.10, ratio


# --------------------------------------------------------------------------- #
# The algorithm
# --------------------------------------------------------------------------- #
def test_each_center_is_the_mean_of_all_points_it_received():
    rng = np.random.default_rng(0)
    init = np.array([[0.0, 0.0], [10.0, 10.0]])
    batches = [init[rng.integers(0, 2, size=n)] + rng.normal(0, 0.5, (n, 2)) for n in (7, 13)]
    weights = [rng.uniform(0.5, 2.0, len(batch)) for batch in batches]
    mbk = MiniBatchKMeans(2, init=init)
    for batch, weight in zip(batches, weights, strict=True):
        mbk.partial_fit(batch, sample_weight=weight)
    points, weight = np.concatenate(batches), np.concatenate(weights)
    near_second = points[:, 0] > 5  # the two groups are far apart: no ambiguity
    assert 0 < near_second.sum() < len(points)
    for center, members in ((0, ~near_second), (1, near_second)):
        expected = np.average(points[members], axis=0, weights=weight[members])
        np.testing.assert_allclose(mbk.cluster_centers_[center], expected, rtol=1e-12)
    np.testing.assert_array_equal(mbk.labels_, batches[1][:, 0] > 5)
    assert mbk.n_steps_ == 2


def _three_groups():
    rng = np.random.default_rng(1)
    means = np.array([[0.0, 0.0], [5.0, 5.0], [10.0, 0.0]])
    X = np.concatenate([mean + rng.normal(0, 0.5, (200, 2)) for mean in means])
    init = np.array([[0.0, 0.0], [5.0, 5.0], [100.0, 100.0]])
    return X, init


def test_center_far_from_the_data_is_reassigned():
    X, init = _three_groups()
    mbk = MiniBatchKMeans(3, init=init, batch_size=60, random_state=0).fit(X)
    far = mbk.cluster_centers_[2]
    assert np.min(np.linalg.norm(X - far, axis=1)) < 2.0
    assert len(np.unique(mbk.labels_)) == 3
    # Without reassignment it never receives a point and stays where it was.
    still = MiniBatchKMeans(3, init=init, batch_size=60, random_state=0,
                            reassignment_ratio=0.0).fit(X)
    np.testing.assert_array_equal(still.cluster_centers_[2], [100.0, 100.0])
    assert mbk.inertia_ < still.inertia_


def test_partial_fit_reassigns_to_points_of_positive_weight():
    X, init = _three_groups()
    weights = np.zeros(len(X))
    weights[400:] = 1.0  # only the third group counts
    mbk = MiniBatchKMeans(3, init=init, random_state=0).partial_fit(X, sample_weight=weights)
    assert np.min(np.linalg.norm(X[400:] - mbk.cluster_centers_[2], axis=1)) == 0.0


def test_same_random_state_is_deterministic(blobs):
    fits = [MiniBatchKMeans(6, batch_size=100, random_state=3).fit(blobs) for _ in range(2)]
    np.testing.assert_array_equal(fits[0].cluster_centers_, fits[1].cluster_centers_)
    np.testing.assert_array_equal(fits[0].labels_, fits[1].labels_)
    assert fits[0].n_steps_ == fits[1].n_steps_
    other = MiniBatchKMeans(6, batch_size=100, random_state=4).fit(blobs)
    assert not np.array_equal(other.cluster_centers_, fits[0].cluster_centers_)


@pytest.mark.slow
def test_xla_and_plain_graph_steps_agree(blobs):
    X = blobs.astype(np.float32)
    params = dict(batch_size=100, max_iter=2, max_no_improvement=None, random_state=0)
    with config_context(minibatch_xla_after_steps=10**9):
        graph = MiniBatchKMeans(6, **params).fit(X)
    with config_context(minibatch_xla_after_steps=0):
        xla = MiniBatchKMeans(6, **params).fit(X)
    np.testing.assert_allclose(xla.cluster_centers_, graph.cluster_centers_, rtol=1e-4,
                               atol=1e-4)


def test_number_of_steps_and_early_stopping(blobs):
    full = MiniBatchKMeans(6, batch_size=100, max_iter=3, max_no_improvement=None,
                           random_state=0).fit(blobs)
    assert full.n_steps_ == 3 * 3000 // 100
    assert full.n_iter_ == 3
    # The first step is ignored; the second one meets any positive tolerance this large.
    assert MiniBatchKMeans(6, tol=1e6, random_state=0).fit(blobs).n_steps_ == 2
    assert MiniBatchKMeans(6, max_no_improvement=0, random_state=0).fit(blobs).n_steps_ == 2
    stopped = MiniBatchKMeans(6, batch_size=100, random_state=0).fit(blobs)
    assert stopped.n_steps_ < 30 * 100
    assert stopped.n_iter_ == int(np.ceil(stopped.n_steps_ * 100 / 3000))


def test_n_init_auto_follows_scikit_learn(blobs, monkeypatch):
    calls = {"random": 0, "k-means++": 0}
    real_random, real_plusplus = core.random_init_indices, core.kmeans_plusplus_indices

    def counting_random(*args, **kwargs):
        calls["random"] += 1
        return real_random(*args, **kwargs)

    def counting_plusplus(*args, **kwargs):
        calls["k-means++"] += 1
        return real_plusplus(*args, **kwargs)

    from clustering_lib.core import _inits  # the initialisations the estimators look up

    monkeypatch.setattr(_inits, "random_init_indices", counting_random)
    monkeypatch.setattr(_inits, "kmeans_plusplus_indices", counting_plusplus)
    assert MiniBatchKMeans(6, init="random", max_iter=1, random_state=0).fit(blobs)._n_init == 3
    assert MiniBatchKMeans(6, max_iter=1, random_state=0).fit(blobs)._n_init == 1
    assert MiniBatchKMeans(6, n_init=4, max_iter=1, random_state=0).fit(blobs)._n_init == 4
    assert calls == {"random": 3, "k-means++": 5}


def test_explicit_init_with_n_init_warns_and_callable_init_is_used(blobs):
    with pytest.warns(RuntimeWarning, match="performing only one init"):
        MiniBatchKMeans(6, init=blobs[:6], n_init=3, max_iter=1).fit(blobs)
    seen = []

    def first_rows(data, n_clusters, random_state):
        seen.append(len(data))
        return data[:n_clusters]

    MiniBatchKMeans(6, init=first_rows, n_init=2, batch_size=100, max_iter=1).fit(blobs)
    assert seen == [300, 300]  # two candidates, each on init_size = 3 * batch_size points


# --------------------------------------------------------------------------- #
# tf.data.Dataset input
# --------------------------------------------------------------------------- #
def test_fit_on_dataset_is_comparable_to_fit_on_array(blobs):
    X = blobs.astype(np.float32)
    dataset = tf.data.Dataset.from_tensor_slices(X).shuffle(len(X), seed=0).batch(256)
    from_dataset = MiniBatchKMeans(6, random_state=0).fit(dataset)
    from_array = MiniBatchKMeans(6, batch_size=256, random_state=0).fit(X)
    assert from_dataset.labels_ is None
    assert from_dataset.n_features_in_ == 2
    assert from_dataset.cluster_centers_.dtype == np.float32
    assert from_dataset.inertia_ == pytest.approx(-from_dataset.score(X), rel=1e-4)
    assert from_dataset.inertia_ == pytest.approx(from_array.inertia_, rel=0.03)
    assert 1 <= from_dataset.n_iter_ <= 100
    assert from_dataset.n_steps_ >= 2


def test_fit_on_dataset_of_unknown_length():
    X, _ = make_blobs(n_samples=600, centers=3, random_state=2)
    dataset = tf.data.Dataset.from_generator(
        lambda: iter(np.array_split(X, 12)), output_signature=tf.TensorSpec([None, 2], tf.float64)
    )
    mbk = MiniBatchKMeans(3, max_iter=3, max_no_improvement=None, random_state=0).fit(dataset)
    assert mbk.n_iter_ == 3 and mbk.n_steps_ == 36
    assert mbk.cluster_centers_.dtype == np.float64
    full = KMeans(3, random_state=0).fit(X).inertia_
    assert mbk.inertia_ == pytest.approx(full, rel=0.05)


@pytest.mark.parametrize(
    "dataset, kwargs, error, message",
    [
        (tf.data.Dataset.from_tensor_slices((np.ones((8, 2)), np.ones(8))).batch(4), {},
         TypeError, "plain tensors"),
        (tf.data.Dataset.from_tensor_slices(np.ones((8, 2))), {}, ValueError, "must be 2-D"),
        (tf.data.Dataset.from_tensor_slices(np.ones((8, 2))).batch(4).repeat(), {},
         ValueError, "infinite"),
        (tf.data.Dataset.from_tensor_slices(np.ones((8, 2))).batch(4),
         {"sample_weight": np.ones(8)}, ValueError, "sample_weight is not supported"),
        (tf.data.Dataset.from_tensor_slices(np.ones((2, 2))).batch(4), {}, ValueError,
         "n_samples=2 should be >= n_clusters=3"),
        (tf.data.Dataset.from_tensor_slices([["a", "b"]]).batch(4), {}, TypeError,
         "must hold numbers"),
    ],
)
def test_bad_datasets_raise(dataset, kwargs, error, message):
    with pytest.raises(error, match=message):
        MiniBatchKMeans(3).fit(dataset, **kwargs)


def test_array_only_methods_reject_datasets(blobs):
    dataset = tf.data.Dataset.from_tensor_slices(blobs).batch(100)
    with pytest.raises(TypeError, match="fit_predict needs an array"):
        MiniBatchKMeans(6).fit_predict(dataset)
    with pytest.raises(TypeError, match="fit_transform needs an array"):
        MiniBatchKMeans(6).fit_transform(dataset)
    fitted = MiniBatchKMeans(6, max_iter=1).fit(blobs)
    with pytest.raises(TypeError, match="only fit accepts a tf.data.Dataset"):
        fitted.predict(dataset)
    with pytest.raises(TypeError, match="only fit accepts a tf.data.Dataset"):
        fitted.partial_fit(dataset)


# --------------------------------------------------------------------------- #
# Using the fitted centres
# --------------------------------------------------------------------------- #
def test_predict_transform_score_agree_with_the_centers(blobs):
    mbk = MiniBatchKMeans(6, batch_size=200, random_state=0)
    labels = mbk.fit_predict(blobs)
    centers = mbk.cluster_centers_
    expected = np.linalg.norm(blobs[:, None, :] - centers[None, :, :], axis=2)
    np.testing.assert_array_equal(labels, mbk.labels_)
    np.testing.assert_array_equal(mbk.predict(blobs), expected.argmin(axis=1))
    np.testing.assert_allclose(mbk.transform(blobs), expected, rtol=1e-7, atol=1e-6)
    np.testing.assert_allclose(mbk.fit_transform(blobs), expected, rtol=1e-7, atol=1e-6)
    assert mbk.score(blobs) == pytest.approx(-mbk.inertia_, rel=1e-9)
    assert mbk.score(blobs) == pytest.approx(-_inertia(blobs, centers), rel=1e-9)
    weights = np.linspace(0.5, 2, len(blobs))
    expected_weighted = -float(np.dot((expected**2).min(axis=1), weights))
    assert mbk.score(blobs, sample_weight=weights) == pytest.approx(expected_weighted, rel=1e-9)


def test_accepts_tensors_and_keeps_float32(blobs):
    X = tf.constant(blobs.astype(np.float32))
    mbk = MiniBatchKMeans(6, batch_size=200, random_state=0).fit(X)
    assert mbk.cluster_centers_.dtype == np.float32
    assert mbk.transform(X).dtype == np.float32
    assert mbk.predict(X).shape == (3000,)
    later = MiniBatchKMeans(6, random_state=0).partial_fit(X[:500]).partial_fit(blobs[500:1000])
    assert later.cluster_centers_.dtype == np.float32


def test_predict_before_fit_raises(blobs):
    for method in ("predict", "transform", "score"):
        with pytest.raises(NotFittedError):
            getattr(MiniBatchKMeans(3), method)(blobs)


# --------------------------------------------------------------------------- #
# Input and parameter validation
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "X, error, message",
    [
        (np.array([[0.0, 1.0], [np.nan, 2.0], [3.0, 4.0]]), ValueError, "NaN"),
        (np.array([[0.0, 1.0], [np.inf, 2.0], [3.0, 4.0]]), ValueError, "infinity"),
        (np.empty((0, 2)), ValueError, "0 sample"),
        (np.arange(5.0), ValueError, "Expected 2D array, got 1D array"),
        (np.ones((3, 2, 2)), ValueError, "Found array with dim 3"),
        (np.array([["a", "b"], ["c", "d"], ["e", "f"]]), ValueError, "could not convert"),
    ],
)
def test_bad_data_raises(X, error, message):
    with pytest.raises(error, match=message):
        MiniBatchKMeans(2).fit(X)


@pytest.mark.parametrize(
    "params, error, message",
    [
        ({"n_clusters": 0}, ValueError,
         r"The 'n_clusters' parameter of MiniBatchKMeans must be an int in the range "
         r"\[1, inf\)\. Got 0 instead\."),
        ({"n_clusters": 2.5}, TypeError, "'n_clusters' parameter of MiniBatchKMeans must be"),
        ({"n_clusters": 11}, ValueError, "n_samples=10 should be >= n_clusters=11"),
        ({"batch_size": 0}, ValueError, r"'batch_size' parameter of MiniBatchKMeans must be "
         r"an int in the range \[1, inf\)"),
        ({"max_iter": 0}, ValueError, "'max_iter' parameter"),
        ({"tol": -1.0}, ValueError, r"'tol' parameter of MiniBatchKMeans must be a float in "
         r"the range \[0, inf\)"),
        ({"reassignment_ratio": -0.1}, ValueError, "'reassignment_ratio' parameter"),
        ({"max_no_improvement": -1}, ValueError, r"'max_no_improvement' parameter of "
         r"MiniBatchKMeans must be an int in the range \[0, inf\) or None"),
        ({"init_size": 0}, ValueError, r"'init_size' parameter .* or None"),
        ({"n_init": 0}, ValueError, r"'n_init' parameter of MiniBatchKMeans must be a str "
         r"among \{'auto'\} or an int"),
        ({"n_init": "many"}, ValueError, "'n_init' parameter"),
        ({"compute_labels": "yes"}, TypeError, "'compute_labels' parameter"),
        ({"init": "kmeans"}, ValueError, r"'init' parameter of MiniBatchKMeans must be a str "
         r"among \{'k-means\+\+', 'k-means\|\|', 'random'\}"),
        ({"init": np.zeros((3, 2))}, ValueError, "shape of the initial centers"),
        ({"init": np.full((2, 2), np.nan)}, ValueError, "init contains NaN"),
        ({"init": np.ones((2, 3))}, ValueError,
         r"initial centers \(2, 3\) does not match the number of features of the data 2"),
    ],
)
def test_bad_parameters_raise(params, error, message):
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(error, match=message):
        MiniBatchKMeans(**{"n_clusters": 2, **params}).fit(X)


def test_small_init_size_warns(blobs):
    with pytest.warns(RuntimeWarning, match="init_size=3 should be larger than n_clusters=6"):
        MiniBatchKMeans(6, init_size=3, max_iter=1).fit(blobs)


def test_partial_fit_needs_enough_samples_first_and_same_features_later(blobs):
    with pytest.raises(ValueError, match="n_samples=3 should be >= n_clusters=5"):
        MiniBatchKMeans(5).partial_fit(blobs[:3])
    mbk = MiniBatchKMeans(5, random_state=0).partial_fit(blobs[:100])
    # Once initialised, a batch smaller than n_clusters is fine.
    mbk.partial_fit(blobs[100:103])
    assert mbk.n_steps_ == 2
    with pytest.raises(ValueError, match="X has 3 features, but MiniBatchKMeans is expecting 2"):
        mbk.partial_fit(np.ones((10, 3)))
    with pytest.raises(ValueError, match="X has 3 features"):
        mbk.predict(np.ones((10, 3)))


def test_partial_fit_after_fit_continues_from_the_fitted_centers(blobs):
    mbk = MiniBatchKMeans(6, batch_size=200, random_state=0).fit(blobs)
    before, n_steps = mbk.cluster_centers_.copy(), mbk.n_steps_
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mbk.partial_fit(blobs[:50])
    assert mbk.n_steps_ == n_steps + 1
    moved = np.linalg.norm(mbk.cluster_centers_ - before, axis=1).max()
    assert 0 < moved < 0.5  # a small step: the counts from fit are kept


# --------------------------------------------------------------------------- #
# The step object and scikit-learn parity
# --------------------------------------------------------------------------- #
def _reference_update(batch, weights, centers, counts, ratio=0.0, candidates=None):
    """scikit-learn's _mini_batch_step written out in NumPy (float64)."""
    distances = ((batch[:, None, :] - centers[None]) ** 2).sum(axis=2)
    labels = distances.argmin(axis=1)
    inertia = float(np.dot(distances.min(axis=1), weights))
    centers, counts = centers.copy(), counts.copy()
    for c in range(len(centers)):
        members = labels == c
        total = weights[members].sum()
        if total > 0:
            centers[c] = (centers[c] * counts[c] + weights[members] @ batch[members]) / (
                counts[c] + total)
            counts[c] += total
    if candidates is not None:
        low = counts < ratio * counts.max()
        low &= np.argsort(np.argsort(counts, kind="stable"), kind="stable") < len(batch) // 2
        if low.any():
            centers[low] = batch[candidates[: low.sum()]]
            counts[low] = counts[~low].min()
    return centers, counts, inertia


@pytest.mark.parametrize("sparse_batch", [False, True])
def test_step_update_matches_the_reference_rule(sparse_batch):
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(5, 3)) * 3
    counts = np.array([4.0, 0.0, 10.0, 1.0, 7.0])
    batch = rng.normal(size=(40, 3)) * 3
    weights = rng.uniform(0.5, 2.0, 40)
    step = MiniBatchStep(centers, random_state=np.random.RandomState(0), reassignment_ratio=0.0,
                         counts=counts)
    data = sparse.as_sparse_rows(sp.csr_matrix(batch)) if sparse_batch else tf.constant(
        batch)
    result = step.update(data, tf.constant(weights))
    expected_centers, expected_counts, expected_inertia = _reference_update(
        batch, weights, centers, counts)
    np.testing.assert_allclose(step.centers.numpy(), expected_centers, rtol=1e-12)
    np.testing.assert_allclose(step.counts.numpy(), expected_counts, rtol=1e-12)
    assert result.inertia == pytest.approx(expected_inertia, rel=1e-10)
    assert result.squared_shift == pytest.approx(((expected_centers - centers) ** 2).sum(),
                                                 rel=1e-10)


@pytest.mark.parametrize("sparse_batch", [False, True])
def test_step_reassigns_low_counts_to_batch_points(sparse_batch):
    rng = np.random.default_rng(1)
    centers = np.array([[0.0, 0.0], [100.0, 100.0], [5.0, 5.0], [-100.0, 50.0]])
    batch = np.concatenate([rng.normal(0, 0.3, (6, 2)), rng.normal(5, 0.3, (4, 2))])
    counts = np.array([50.0, 1.0, 40.0, 0.0])
    step = MiniBatchStep(centers, random_state=np.random.RandomState(3), reassignment_ratio=0.1,
                         counts=counts)
    data = sparse.as_sparse_rows(sp.csr_matrix(batch)) if sparse_batch else tf.constant(
        batch)
    result = step.update(data, tf.ones([10], tf.float64))
    assert result.n_reassigned == 2  # centres 1 and 3: counts 1 and 0 < 0.1 * 56
    moved = step.centers.numpy()
    for center in (1, 3):
        assert np.min(np.abs(batch - moved[center]).sum(axis=1)) == 0.0  # a batch point
    assert not np.array_equal(moved[1], moved[3])  # distinct points
    np.testing.assert_array_equal(step.counts.numpy()[[1, 3]], [44.0, 44.0])  # min kept count


def test_the_three_input_paths_drive_one_step_object(blobs, monkeypatch):
    calls = []
    update = MiniBatchStep.update

    def counting(self, *args, **kwargs):
        calls.append(type(self).__name__)
        return update(self, *args, **kwargs)

    monkeypatch.setattr(MiniBatchStep, "update", counting)
    fitted = MiniBatchKMeans(6, batch_size=300, max_iter=2, random_state=0).fit(blobs)
    assert len(calls) == fitted.n_steps_
    calls.clear()
    dataset = tf.data.Dataset.from_tensor_slices(blobs).batch(500)
    fitted = MiniBatchKMeans(6, max_iter=2, max_no_improvement=None, random_state=0).fit(dataset)
    assert len(calls) == fitted.n_steps_ == 12
    calls.clear()
    model = MiniBatchKMeans(6, random_state=0)
    for batch in np.array_split(blobs, 3):
        model.partial_fit(batch)
    assert calls == ["MiniBatchStep"] * 3


@pytest.mark.slow
def test_fit_from_a_given_init_without_reassignment_matches_scikit_learn(blobs):
    # Batches are drawn as scikit-learn draws them, so with nothing else random the runs agree.
    init = blobs[:6]
    weights = np.random.default_rng(0).uniform(0.5, 2.0, len(blobs))
    params = dict(init=init, batch_size=100, reassignment_ratio=0.0, random_state=5)
    ours = MiniBatchKMeans(6, **params).fit(blobs, sample_weight=weights)
    ref = SklearnMiniBatchKMeans(6, n_init=1, **params).fit(blobs, sample_weight=weights)
    assert ours.n_steps_ == ref.n_steps_
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-9)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    np.testing.assert_allclose(ours.inertia_, ref.inertia_, rtol=1e-9)


@pytest.mark.slow
def test_verbose_prints_scikit_learns_lines(blobs, capsys):
    params = dict(init=blobs[:6], batch_size=100, reassignment_ratio=0.0, random_state=5,
                  verbose=1)
    SklearnMiniBatchKMeans(6, n_init=1, **params).fit(blobs)
    expected = capsys.readouterr().out.splitlines()
    MiniBatchKMeans(6, **params).fit(blobs)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(expected) > 3
    for ours, ref in zip(lines, expected, strict=True):
        assert ours.split(":")[0] == ref.split(":")[0]
    assert lines[-1] == expected[-1]  # "Converged (lack of improvement in inertia) at step ..."


def test_compute_labels_false_skips_the_labels(blobs):
    model = MiniBatchKMeans(6, batch_size=200, random_state=0, compute_labels=False).fit(blobs)
    assert not hasattr(model, "labels_")
    assert model.inertia_ > 0
    assert model.inertia_ == pytest.approx(-model.score(blobs), rel=0.3)


def test_verbose_2_draws_a_progress_bar_where_output_is_interactive(blobs, monkeypatch, capsys):
    from clustering_lib.core import _progress

    monkeypatch.setattr(_progress, "is_interactive", lambda: True)
    model = MiniBatchKMeans(6, batch_size=100, random_state=0, verbose=2).fit(blobs)
    out = capsys.readouterr().out
    assert "inertia" in out and "step" in out
    assert model.n_steps_ >= 1


def test_partial_fit_refuses_centers_that_overflow_instead_of_storing_infinity():
    rng = np.random.default_rng(0)
    model = MiniBatchKMeans(2, random_state=0)
    model.partial_fit(rng.normal(size=(20, 2)).astype(np.float32))
    good = model.cluster_centers_.copy()
    huge = np.full(20, 3e38, dtype=np.float32)
    with pytest.raises(ValueError, match="overflowed in float32"):
        for _ in range(4):
            model.partial_fit(rng.normal(size=(20, 2)).astype(np.float32) + 5, sample_weight=huge)
            good = model.cluster_centers_.copy()
    np.testing.assert_array_equal(model.cluster_centers_, good)
    assert np.isfinite(model.cluster_centers_).all()
