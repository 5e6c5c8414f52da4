"""Sparse CSR input: the sparse engine against scikit-learn, and the estimators on it."""

import numpy as np
import pytest
import scipy.sparse as sp
import tensorflow as tf
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.cluster import MiniBatchKMeans as SklearnMiniBatchKMeans
from sklearn.cluster import kmeans_plusplus
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.metrics import adjusted_rand_score

from clustering_lib import KMeans, MiniBatchKMeans, config_context, core
from clustering_lib.core import _execution as execution
from clustering_lib.core import _sparse as sparse_engine
from clustering_lib.datasets import make_topic_documents


def _sparse_data(dtype=np.float64, n_samples=600, n_features=40, seed=0):
    """Non-negative sparse rows around 5 prototypes, some rows empty."""
    rng = np.random.default_rng(seed)
    prototypes = rng.uniform(0, 5, size=(5, n_features)) * (rng.random((5, n_features)) < 0.3)
    X = prototypes[rng.integers(0, 5, n_samples)] + rng.normal(0, 0.4, (n_samples, n_features))
    X[X < 0.6] = 0.0
    X[::97] = 0.0
    return sp.csr_matrix(X.astype(dtype))


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("tol", [0.0, 1e-4])
def test_lloyd_matches_scikit_learn_from_the_same_init(dtype, tol):
    X = _sparse_data(dtype)
    weights = np.random.default_rng(1).uniform(0.5, 2.0, X.shape[0]).astype(dtype)
    init = X[[3, 50, 120, 400, 599, 8]].toarray()
    ref = SklearnKMeans(6, init=init, n_init=1, tol=tol).fit(X, sample_weight=weights)
    ours = KMeans(6, init=init, n_init=1, tol=tol).fit(X, sample_weight=weights)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert ours.n_iter_ == ref.n_iter_
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(ours.inertia_, ref.inertia_, rtol=rtol)
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=rtol,
                               atol=1e-5 if dtype == np.float32 else 1e-12)
    assert ours.cluster_centers_.dtype == dtype


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kmeans_plusplus_picks_scikit_learns_rows(dtype):
    X = _sparse_data(dtype, seed=2)
    weights = np.random.default_rng(3).uniform(0.1, 1.0, X.shape[0])
    for seed in range(3):
        _, expected = kmeans_plusplus(X, 8, random_state=seed, sample_weight=weights)
        ours = core.kmeans_plusplus_indices(X, 8, np.random.RandomState(seed), weights)
        np.testing.assert_array_equal(ours, expected)


def test_same_random_state_gives_scikit_learns_fit():
    X = _sparse_data()
    for seed in range(3):
        ours = KMeans(5, random_state=seed, n_init=3).fit(X)
        ref = SklearnKMeans(5, random_state=seed, n_init=3).fit(X)
        np.testing.assert_array_equal(ours.labels_, ref.labels_)
        np.testing.assert_allclose(ours.inertia_, ref.inertia_, rtol=1e-10)


@pytest.mark.slow
def test_small_blocks_give_the_same_results():
    X = _sparse_data(seed=4)
    init = X[:7].toarray()
    whole = core.run_lloyd(X, np.ones(X.shape[0]), init, max_iter=50, tol=0.0)
    distances = sparse_engine.center_distances(X, init).numpy()
    # 16 rows per block
    with config_context(sparse_min_block_rows=1, sparse_block_bytes=8 * 7 * 16):
        assert execution.sparse_block_rows(7) == 16
        blocked = core.run_lloyd(X, np.ones(X.shape[0]), init, max_iter=50, tol=0.0)
        blocked_distances = sparse_engine.center_distances(X, init).numpy()
    assert execution.sparse_block_rows(7) > 16  # the settings come back
    np.testing.assert_array_equal(blocked.labels.numpy(), whole.labels.numpy())
    np.testing.assert_allclose(blocked.centers.numpy(), whole.centers.numpy(), rtol=1e-12)
    assert blocked.n_iter == whole.n_iter
    np.testing.assert_allclose(blocked_distances, distances, rtol=1e-12)


def test_empty_clusters_are_relocated_as_scikit_learn_does():
    # Centre 2 gets no point at first and takes the farthest one.
    X = sp.csr_matrix(np.array([[0, 0], [0.5, 0], [0.5, 1.2], [1.1, 1], [9, 0.5]]))
    init = np.array([[0.5, 0.5], [9.0, 0.5], [30.0, 30.0]])
    ours = KMeans(3, init=init, n_init=1).fit(X)
    ref = SklearnKMeans(3, init=init, n_init=1).fit(X)
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert ours.n_iter_ == ref.n_iter_
    # More clusters than distinct points: nothing to relocate, one iteration.
    X = sp.csr_matrix(np.array([[0, 0], [1, 1], [1, 1], [1, 0], [0, 1]], dtype=float))
    with pytest.warns(Warning, match=r"Number of distinct clusters \(4\)"):
        ours = KMeans(5, init=X.toarray(), n_init=1).fit(X)
    ref = SklearnKMeans(5, init=X.toarray(), n_init=1).fit(X)
    assert ours.n_iter_ == ref.n_iter_ == 1
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_predict_transform_score_match_dense_data(dtype):
    X = _sparse_data(dtype, seed=5)
    model = KMeans(5, random_state=0).fit(X)
    dense = X.toarray()
    np.testing.assert_array_equal(model.predict(X), model.predict(dense))
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    exact = np.sqrt(((dense.astype(np.float64)[:, None, :]
                      - model.cluster_centers_.astype(np.float64)[None]) ** 2).sum(axis=2))
    transformed = model.transform(X)
    assert transformed.dtype == dtype
    np.testing.assert_allclose(transformed, exact, rtol=1e-6, atol=1e-6)
    assert model.score(X) == pytest.approx(-model.inertia_, rel=1e-6)
    # A row equal to a centre is at distance exactly zero.
    at_centers = model.transform(sp.csr_matrix(model.cluster_centers_))
    np.testing.assert_array_equal(np.diag(at_centers), 0.0)


def test_spherical_kmeans_on_tfidf_text():
    counts, topics = make_topic_documents(n_documents=300, length_range=(20, 400),
                                          random_state=0)
    tfidf = TfidfTransformer().fit_transform(counts)
    assert sp.issparse(tfidf)
    on_sparse = KMeans(4, metric="cosine", n_init=5, random_state=0).fit(tfidf)
    on_dense = KMeans(4, metric="cosine", n_init=5, random_state=0).fit(tfidf.toarray())
    np.testing.assert_array_equal(on_sparse.labels_, on_dense.labels_)
    np.testing.assert_allclose(on_sparse.cluster_centers_, on_dense.cluster_centers_,
                               atol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(on_sparse.cluster_centers_, axis=1), 1.0)
    assert adjusted_rand_score(topics, on_sparse.labels_) > 0.9
    np.testing.assert_allclose(on_sparse.transform(tfidf), on_dense.transform(tfidf.toarray()),
                               atol=1e-10)


def test_partial_init_and_fixed_features_on_sparse_data():
    X = _sparse_data(seed=6)
    init = X[[0, 100, 200, 300, 400]].toarray()
    init[1:3, :10] = np.nan
    on_sparse = KMeans(5, init=init, fixed_features=[12, 13]).fit(X)
    on_dense = KMeans(5, init=init, fixed_features=[12, 13]).fit(X.toarray())
    np.testing.assert_allclose(on_sparse.init_centers_, on_dense.init_centers_, atol=1e-12)
    np.testing.assert_array_equal(on_sparse.labels_, on_dense.labels_)
    np.testing.assert_array_equal(on_sparse.cluster_centers_[:, 12:14],
                                  on_sparse.init_centers_[:, 12:14])


def test_sparse_formats_and_integer_data_are_accepted():
    X = _sparse_data(seed=7)
    counts = sp.csr_matrix(np.round(X.toarray() * 3).astype(np.int64))
    for data in (counts, counts.tocoo(), counts.tocsc(), sp.csr_array(counts)):
        model = KMeans(5, random_state=0).fit(data)
        assert model.cluster_centers_.dtype == np.float64
        np.testing.assert_array_equal(model.labels_, KMeans(5, random_state=0).fit(
            counts.toarray()).labels_)


def test_tf_sparse_tensors_are_accepted():
    X = _sparse_data(np.float32, seed=12)
    coo = X.tocoo()
    tensor = tf.sparse.reorder(tf.SparseTensor(np.c_[coo.row, coo.col].astype(np.int64),
                                               coo.data, coo.shape))
    model = KMeans(5, random_state=0).fit(tensor)
    reference = KMeans(5, random_state=0).fit(X)
    np.testing.assert_array_equal(model.labels_, reference.labels_)
    assert model.cluster_centers_.dtype == np.float32
    np.testing.assert_array_equal(model.predict(tensor), model.labels_)


def test_engine_functions_on_sparse_rows():
    X = _sparse_data(seed=8)
    dense = X.toarray()
    labels = np.random.default_rng(0).integers(0, 4, X.shape[0])
    weights = np.random.default_rng(1).uniform(0, 2, X.shape[0])
    sums, totals = sparse_engine.cluster_sums(X, weights, labels, 4)
    np.testing.assert_allclose(sums.numpy(), np.stack(
        [(dense[labels == c] * weights[labels == c, None]).sum(0) for c in range(4)]))
    np.testing.assert_allclose(totals.numpy(), np.bincount(labels, weights, 4))
    centers = dense[[1, 2, 3, 4]] + 0.5
    nearest, distances = sparse_engine.nearest_centers(X, tf.constant(centers))
    squared = ((dense[:, None, :] - centers[None]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(nearest.numpy(), squared.argmin(axis=1))
    np.testing.assert_allclose(distances.numpy(), squared.min(axis=1), rtol=1e-12)
    rows = sparse_engine.as_sparse_rows(X)
    np.testing.assert_array_equal(
        sparse_engine.rows_as_dense(rows, tf.constant([5, 0, 5], tf.int64)).numpy(),
        dense[[5, 0, 5]])


# --------------------------------------------------------------------------- #
# MiniBatchKMeans on sparse data
# --------------------------------------------------------------------------- #
@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_minibatch_fit_on_sparse_equals_fit_on_dense(dtype):
    X = _sparse_data(dtype, seed=9)
    weights = np.random.default_rng(2).uniform(0.2, 1.0, X.shape[0])
    params = dict(batch_size=64, random_state=0, max_no_improvement=None, max_iter=3)
    on_sparse = MiniBatchKMeans(5, **params).fit(X, sample_weight=weights)
    on_dense = MiniBatchKMeans(5, **params).fit(X.toarray(), sample_weight=weights)
    assert on_sparse.n_steps_ == on_dense.n_steps_ == 3 * X.shape[0] // 64
    np.testing.assert_array_equal(on_sparse.labels_, on_dense.labels_)
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(on_sparse.cluster_centers_, on_dense.cluster_centers_,
                               rtol=rtol, atol=rtol)
    assert on_sparse.cluster_centers_.dtype == dtype


@pytest.mark.slow
def test_minibatch_partial_fit_on_sparse_matches_scikit_learn():
    X = _sparse_data(seed=10)
    init = X[[0, 100, 200, 300, 400]].toarray()
    ours = MiniBatchKMeans(5, init=init, reassignment_ratio=0.0)
    ref = SklearnMiniBatchKMeans(5, init=init, n_init=1, reassignment_ratio=0.0)
    for rows in np.array_split(np.arange(X.shape[0]), 6):
        ours.partial_fit(X[rows])
        ref.partial_fit(X[rows])
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-10)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    np.testing.assert_allclose(ours.inertia_, ref.inertia_, rtol=1e-10)


def test_sparse_passes_are_traced_once_per_dtype():
    # Fits of every size and number of clusters reuse the same graphs: a second sweep over
    # new sizes traces nothing.
    def sweep(sizes):
        for n_samples, n_clusters in sizes:
            X = _sparse_data(seed=n_samples, n_samples=n_samples, n_features=20 + n_clusters)
            for tol in (0.0, 1e-2):  # strict and tolerance stops end differently
                model = KMeans(n_clusters, random_state=0, n_init=2, tol=tol).fit(X)
            model.transform(X), model.predict(X)

    sweep([(80, 2), (300, 5)])
    before = core.compile_counts()
    sweep([(120, 3), (700, 9), (1000, 4)])
    after = core.compile_counts()
    traced = {name: after[name] - before.get(name, 0) for name in after}
    assert {"sparse_assign", "sparse_kmeans_plusplus", "sparse_distances"} <= set(after)
    assert all(count == 0 for name, count in traced.items() if name.startswith("sparse_"))
