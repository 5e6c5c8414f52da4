"""The k-means engine: execution settings, blocked passes and exact sums, against scikit-learn.

The engine may run a computation eagerly, as one traced graph or with XLA kernels of
fixed block shape (``clustering_lib.core.execution``). These tests force each mode, and
blocks small enough that every pass has several (the last one overlapping the one
before under XLA), and check that the results are scikit-learn's; they count traces
and compilations; and they check the float64 accumulation at 20 million points.
"""

import dataclasses
import types

import numpy as np
import pytest
import scipy.sparse
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.cluster import kmeans_plusplus as sklearn_kmeans_plusplus
from sklearn.datasets import load_digits, make_blobs

import clustering_lib as cl
from clustering_lib import core
from clustering_lib.core import _execution as execution
from clustering_lib.core._passes import (
    DataPasses,
    KernelOptions,
    block_kernel,
    built_plan,
    padded_centers,
)
from clustering_lib.core._sparse import SparsePasses

MODES = [("eager", None), ("eager", 64), ("graph", None), ("graph", 64), ("xla", 64)]


def _traces() -> dict[str, int]:
    return dict(execution.compile_counts())


def _new_traces(before: dict[str, int]) -> int:
    after = execution.compile_counts()
    return sum(after.get(name, 0) - before.get(name, 0) for name in after)


# --------------------------------------------------------------------------- #
# The same results in every mode and block size
# --------------------------------------------------------------------------- #
@pytest.mark.slow
@pytest.mark.parametrize(("mode", "block_rows"), MODES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [True, False])
def test_every_mode_gives_scikit_learns_fit(mode, block_rows, dtype, weighted):
    X, _ = make_blobs(n_samples=1000, centers=5, n_features=3, cluster_std=2.0, random_state=0)
    X = X.astype(dtype) + 100.0  # far from the origin: the centring matters
    weights = np.random.default_rng(0).uniform(0.0, 2.0, len(X)).astype(dtype)
    weights[::11] = 0.0
    if not weighted:
        weights = None
    init = X[[3, 50, 400, 700, 999, 123, 8]]
    reference = SklearnKMeans(7, init=init, n_init=1, tol=0.0).fit(X, sample_weight=weights)
    with execution.config_context(mode=mode, block_rows=block_rows):
        model = cl.KMeans(7, init=init, n_init=1, tol=0.0).fit(X, sample_weight=weights)
    agreement = np.mean(model.labels_ == reference.labels_)
    assert agreement >= (1.0 if dtype == np.float64 else 0.999)
    rtol = 1e-9 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(model.inertia_, reference.inertia_, rtol=rtol)
    np.testing.assert_allclose(model.cluster_centers_, reference.cluster_centers_,
                               rtol=rtol, atol=rtol)
    assert model.n_iter_ == reference.n_iter_


@pytest.mark.slow
@pytest.mark.parametrize("n_clusters", [7, 8, 9, 12, 13, 16, 17])
def test_xla_at_the_edges_of_the_cluster_buckets(n_clusters):
    """Padded centres never win a point and never count as empty clusters."""
    X, _ = make_blobs(n_samples=2000, centers=10, n_features=5, random_state=1)
    init = X[:n_clusters]
    reference = SklearnKMeans(n_clusters, init=init, n_init=1, tol=0.0).fit(X)
    with execution.config_context(mode="xla", block_rows=512):
        result = cl.lloyd(X, init)
    np.testing.assert_array_equal(result.labels.numpy(), reference.labels_)
    np.testing.assert_allclose(float(result.inertia), reference.inertia_, rtol=1e-9)
    assert result.n_iter == reference.n_iter_


@pytest.mark.slow
def test_xla_fused_kernel_for_pixels_matches_scikit_learn():
    rng = np.random.default_rng(2)
    pixels = rng.random((6000, 3))
    init = pixels[:20]
    reference = SklearnKMeans(20, init=init, n_init=1, tol=0.0, max_iter=30).fit(pixels)
    with execution.config_context(mode="xla", block_rows=1024):
        assert execution.plan(len(pixels), 3, 20).few_features
        model = cl.KMeans(20, init=init, n_init=1, tol=0.0, max_iter=30).fit(pixels)
    np.testing.assert_array_equal(model.labels_, reference.labels_)
    np.testing.assert_allclose(model.inertia_, reference.inertia_, rtol=1e-9)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_samples=st.integers(20, 400),
    n_features=st.integers(1, 6),
    n_clusters=st.integers(1, 9),
    block_rows=st.sampled_from([None, 7, 16, 64]),
    mode=st.sampled_from(["eager", "graph"]),
    zero_weights=st.booleans(),
    duplicates=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_property_same_fit_as_scikit_learn_in_float64(
    n_samples, n_features, n_clusters, block_rows, mode, zero_weights, duplicates, seed
):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features)) * rng.uniform(0.5, 5.0, n_features)
    if duplicates:
        X[n_samples // 2:] = X[: n_samples - n_samples // 2]
    weights = rng.uniform(0.5, 2.0, n_samples)
    if zero_weights:
        weights[rng.random(n_samples) < 0.3] = 0.0
        weights[0] = 1.0
    init = X[rng.choice(n_samples, n_clusters, replace=False)]
    reference = SklearnKMeans(n_clusters, init=init, n_init=1, tol=0.0).fit(
        X, sample_weight=weights
    )
    with execution.config_context(mode=mode, block_rows=block_rows):
        model = cl.KMeans(n_clusters, init=init, n_init=1, tol=0.0).fit(X, sample_weight=weights)
    if duplicates:
        # Equal points can make equal centres (in the initial ones, or when two empty
        # clusters take two copies of one point). Which of equal centres a point goes
        # to is then decided by the rounding of a matrix product: scikit-learn's BLAS
        # may pick either, this library always picks the first. The partition is the
        # same; the names of its clusters may differ.
        assert_same_partition(model.labels_, reference.labels_)
    else:
        np.testing.assert_array_equal(model.labels_, reference.labels_)
    np.testing.assert_allclose(model.inertia_, reference.inertia_, rtol=1e-7, atol=1e-9)
    if duplicates and zero_weights:
        # With tol=0 a run also stops when the centres do not move at all, which
        # happens when only points of weight zero changed clusters; whether they move
        # by 1e-16 instead depends on the order of the float64 sums, which differs
        # from scikit-learn's. Both then stop within one iteration of each other.
        assert abs(model.n_iter_ - reference.n_iter_) <= 1
    else:
        assert model.n_iter_ == reference.n_iter_


def assert_same_partition(labels, reference):
    """The two labellings group the points the same way (up to renaming clusters)."""
    pairs = np.unique(np.stack([labels, reference]), axis=1)
    assert len(np.unique(pairs[0])) == len(np.unique(pairs[1])) == pairs.shape[1], (
        f"different partitions: {pairs.shape[1]} (label, reference) pairs for "
        f"{len(np.unique(labels))} and {len(np.unique(reference))} clusters"
    )


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_samples=st.integers(50, 600),
    n_clusters=st.integers(2, 8),
    block_rows=st.sampled_from([None, 32, 100]),
    seed=st.integers(0, 2**16),
)
def test_property_float32_labels_agree_with_scikit_learn(n_samples, n_clusters, block_rows, seed):
    X, _ = make_blobs(n_samples=n_samples, centers=n_clusters, n_features=4, random_state=seed)
    X = X.astype(np.float32)
    init = X[:n_clusters]
    reference = SklearnKMeans(n_clusters, init=init, n_init=1, tol=0.0).fit(X)
    with execution.config_context(mode="graph", block_rows=block_rows):
        model = cl.KMeans(n_clusters, init=init, n_init=1, tol=0.0).fit(X)
    assert np.mean(model.labels_ == reference.labels_) >= 0.999
    np.testing.assert_allclose(model.inertia_, reference.inertia_, rtol=1e-4)


# --------------------------------------------------------------------------- #
# The execution settings
# --------------------------------------------------------------------------- #
def test_small_fits_run_eagerly_and_trace_nothing():
    digits = load_digits().data
    before = _traces()
    for k in range(2, 13):
        cl.KMeans(k, random_state=0).fit(digits)
    for n in np.linspace(200, 2000, 10).astype(int):
        X, _ = make_blobs(n_samples=n, centers=3, random_state=int(n))
        cl.KMeans(3, random_state=0).fit(X)
    assert _new_traces(before) == 0


@pytest.mark.slow
def test_graph_mode_traces_once_for_every_size_and_k():
    cl.KMeans(3, random_state=0, n_init=1).fit(np.random.default_rng(0).normal(size=(300, 5)))
    with execution.config_context(mode="graph"):
        cl.KMeans(2, random_state=0).fit(np.random.default_rng(1).normal(size=(50, 5)))
        before = _traces()
        for k in range(2, 13):
            cl.KMeans(k, random_state=0).fit(load_digits().data)
        for n in np.linspace(200, 2000, 10).astype(int):
            X, _ = make_blobs(n_samples=n, centers=3, n_features=5, random_state=int(n))
            cl.KMeans(3, random_state=0).fit(X)
    assert _new_traces(before) == 0


@pytest.mark.slow
def test_xla_compiles_once_per_bucket_of_k_and_never_per_n():
    digits = load_digits().data
    with execution.config_context(mode="xla", block_rows=256):
        before = _traces()
        for k in range(2, 13):
            core.lloyd(digits, digits[:k], max_iter=10)
        # k = 2..8 share the bucket 8, 9..12 the bucket 12: two shapes, and for each one
        # kernel for the iterations (with the sums, or the labels only when the sums are
        # updated from the points that changed cluster) and one for the final labels.
        assert _new_traces(before) == 4
        before = _traces()
        for n in np.linspace(300, 1797, 10).astype(int):
            core.lloyd(digits[:n], digits[:10], max_iter=3)
        assert _new_traces(before) == 0


@pytest.mark.slow
def test_predict_transform_and_score_on_new_sizes_compile_nothing_after_a_fit():
    X, _ = make_blobs(n_samples=3000, n_features=6, centers=5, random_state=0)
    X = X.astype(np.float32)
    with execution.config_context(mode="xla"):
        model = cl.KMeans(5, random_state=0, n_init=1).fit(X)
        model.transform(X[:10])  # the distance graph: one trace for every shape
        before = _traces()
        weights = np.random.default_rng(0).random(len(X)).astype(np.float32)
        for n in (3000, 777, 2049, 1200):
            labels = model.predict(X[:n])
            distances = ((X[:n, None, :].astype(np.float64)
                          - model.cluster_centers_[None].astype(np.float64)) ** 2).sum(-1)
            np.testing.assert_array_equal(labels, distances.argmin(axis=1))
            np.testing.assert_allclose(model.transform(X[:n]) ** 2, distances, rtol=1e-4,
                                       atol=1e-4)
            expected = distances.min(axis=1) @ weights[:n].astype(np.float64)
            np.testing.assert_allclose(-model.score(X[:n], sample_weight=weights[:n]),
                                       expected, rtol=1e-6)
        assert _new_traces(before) == 0
        # Far more points than the fit's: blocks of their own size (one compilation),
        # not a kernel call for every 2,048 rows.
        large = execution.plan(400_000, 6, 5)
        assert large.block_rows > 4 * 2048
        assert built_plan(large, tf.float32, 6) == large
    np.testing.assert_array_equal(model.predict(X), model.labels_)


# --------------------------------------------------------------------------- #
# Exact accumulation at any size
# --------------------------------------------------------------------------- #
@pytest.mark.slow
def test_cluster_sums_of_20_million_points_are_exact():
    rng = np.random.default_rng(0)
    n = 20_000_000
    X = np.empty((n, 1), np.float32)
    X[: n // 2, 0] = 1000.0 + rng.random(n // 2, dtype=np.float32)
    X[n // 2:, 0] = -1000.0 - rng.random(n - n // 2, dtype=np.float32)
    result = core.lloyd(X, np.array([[500.0], [-500.0]], np.float32), max_iter=5)
    expected = [X[: n // 2, 0].astype(np.float64).mean(), X[n // 2:, 0].astype(np.float64).mean()]
    # float64 sums: the only error left is rounding the centre to float32.
    np.testing.assert_allclose(result.centers.numpy()[:, 0], expected, rtol=1.5e-7)
    counts = np.bincount(result.labels.numpy(), minlength=2)
    assert counts.tolist() == [n // 2, n - n // 2]


def _spy_on_moved_sums(monkeypatch) -> list:
    calls = []
    original = DataPasses._moved_sums
    monkeypatch.setattr(DataPasses, "_moved_sums",
                        lambda self, *args: calls.append(1) or original(self, *args))
    return calls


@pytest.mark.parametrize("mode", ["eager", "graph", "xla"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_sums_moved_with_the_changed_rows_equal_a_full_pass(mode, dtype, as_tensor,
                                                             monkeypatch):
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(700, 5)) + 50.0).astype(dtype)
    offset = X.mean(axis=0)
    ones = np.ones(len(X), dtype)
    points = tf.constant(X) if as_tensor else X
    moves = _spy_on_moved_sums(monkeypatch)
    with execution.config_context(mode=mode, block_rows=128, incremental_divisor=1):
        plan = execution.plan(len(X), 5, 4)
        data = DataPasses(points, ones, offset, plan)
        centers = X[:4] - offset
        for step in range(6):
            if step == 3:  # cluster 2 loses every point
                centers[2] = 1e3
            elif step == 4:  # and gets some back
                centers[2] = X[10] - offset
            else:
                centers = centers + rng.normal(scale=0.3, size=centers.shape).astype(dtype)
            moved = data.assign(centers)
            full = DataPasses(points, ones, offset, plan).assign(centers)
            np.testing.assert_array_equal(moved.labels, full.labels)
            np.testing.assert_allclose(moved.sums, full.sums, rtol=1e-12, atol=1e-9)
            np.testing.assert_array_equal(moved.totals, full.totals)  # exact counts
            if step == 3:  # cluster 2 is empty (its rows left as they came: no residue
                # here; the hand-made case below needs the exact zero)
                assert moved.totals[2] == 0.0 and not moved.sums[2].any()
    assert len(moves) == 5  # every pass after the first


def test_a_cluster_whose_rows_all_left_is_exactly_empty():
    # Added in another order than they leave, these rows leave a float64 residue:
    # (1e16 + -1e16) + 3 = 3 went in; (-1e16 - 3) + 1e16 = -4 comes out.
    X = np.array([[1e16], [3.0], [-1e16], [7.0]])
    with execution.config_context(mode="eager"):
        data = DataPasses(X, np.ones(4), None, execution.plan(4, 1, 2))
    previous = types.SimpleNamespace(  # the last pass's labels, [sum x, count] and churn
        labels=np.array([1, 1, 1, 0]), sums=np.array([[7.0, 1.0], [3.0, 3.0]]),
        churn=np.zeros(2),
    )
    sums, _ = data._moved_sums(previous, np.zeros(4, np.int64), np.array([0, 1, 2]))
    assert sums[1].tolist() == [0.0, 0.0]
    assert sums[0, 1] == 4.0


@pytest.mark.parametrize("mode", ["eager", "xla"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_moved_rows_are_added_then_taken_away_in_row_order(mode, dtype):
    # Entries from 1e-8 to 1e8, so that the order of the additions shows in the sums: the
    # rows that join each cluster, then those that leave it, each group in row order, added
    # up by np.add.reduceat (its own order of additions within a group, the same every time).
    rng = np.random.default_rng(3)
    n, d, k = 400, 5, 4
    X = (rng.standard_normal((n, d)) * 10.0 ** rng.integers(-8, 9, (n, 1))).astype(dtype)
    offset = X.mean(axis=0)
    with execution.config_context(mode=mode, block_bytes=2**12):  # several steps of rows
        data = DataPasses(X, np.ones(n, dtype), offset, execution.plan(n, d, k))
        before = rng.integers(0, k, n)
        after = np.where(rng.random(n) < 0.6, rng.integers(0, k, n), before)
        previous = types.SimpleNamespace(labels=before, sums=rng.standard_normal((k, d + 1)),
                                         churn=np.zeros(k))
        changed = np.flatnonzero(after != before)
        sums, _ = data._moved_sums(previous, after, changed)
    rows = np.concatenate([(X - offset).astype(np.float64), np.ones((n, 1))], axis=1)
    expected = previous.sums.copy()
    step = max(1, 2**12 // (6 * 8 * (d + 1)))
    for start in range(0, len(changed), step):
        chunk = changed[start:start + step]
        for cluster in range(k):
            for members, sign in ((chunk[after[chunk] == cluster], 1.0),
                                  (chunk[before[chunk] == cluster], -1.0)):
                if len(members):
                    expected[cluster] += sign * np.add.reduceat(rows[members], [0], axis=0)[0]
    np.testing.assert_array_equal(sums, expected)


@pytest.mark.parametrize("mode", ["eager", "xla"])
def test_rows_far_larger_than_a_cluster_holds_do_not_leave_their_rounding_behind(mode):
    # The two rows of size 1e16 pass through cluster 1 and leave; the 1.0 they absorbed
    # must be back in its sum (a review found y = 0 where scikit-learn has 1e16 / 1.7e-3).
    X = np.zeros((603, 2))
    X[0] = [19.5, 1.0]
    X[1] = [6.0, 1e16]
    X[2] = [6.0, -1e16]
    X[3:203, 0] = np.linspace(0, 20, 200)
    X[203:, 0] = 1000.0
    init = np.array([[0.0, 0.0], [1.0, 0.0], [1000.0, 0.0]])
    reference = SklearnKMeans(3, init=init, n_init=1, tol=0.0).fit(X)
    with execution.config_context(mode=mode):
        model = cl.KMeans(3, init=init, n_init=1, tol=0.0).fit(X)
    np.testing.assert_array_equal(model.labels_, reference.labels_)
    assert model.n_iter_ == reference.n_iter_
    np.testing.assert_allclose(model.cluster_centers_, reference.cluster_centers_, rtol=1e-9)
    with execution.config_context(mode=mode, incremental_divisor=1):
        small = core.lloyd(np.array([[3.0], [4.5], [1e16], [-1e16]]),
                           np.array([[0.0], [2.1e16], [-2.1e16]]))
    assert small.centers.numpy()[0, 0] == 3.75


@pytest.mark.parametrize(
    ("weighted", "n_clusters", "changes"),
    [(True, 4, {}), (False, 65, {}), (False, 4, {"incremental_max_clusters": 0})],
)
def test_weighted_data_and_many_clusters_keep_full_passes(weighted, n_clusters, changes,
                                                           monkeypatch):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(2000, 3)).astype(np.float32)
    weights = rng.uniform(0.5, 2.0, len(X)).astype(np.float32) if weighted else None
    moves = _spy_on_moved_sums(monkeypatch)
    with execution.config_context(mode="xla", **changes):
        core.lloyd(X, X[:n_clusters], max_iter=10, sample_weight=weights)
    assert not moves
    with execution.config_context(mode="xla"):
        core.lloyd(X, X[:4], max_iter=10)
    assert moves  # the same fit, unweighted and with 4 clusters, moves sums


@pytest.mark.parametrize("mode", ["graph", "xla"])
def test_the_kernel_skips_the_sums_only_when_told(mode):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 4)).astype(np.float32)
    with execution.config_context(mode=mode, block_rows=128):
        plan = execution.plan(len(X), 4, 3)
    block = np.zeros((plan.block_rows, 4), np.float32)
    block[:128] = X[:128]
    centers, norms = padded_centers(X[:3], plan)
    options = KernelOptions(centered=False, weighted=False, inertia=False)
    reference = block_kernel("assign", plan, tf.float32, 4, options)
    optional = block_kernel("assign", plan, tf.float32, 4,
                            dataclasses.replace(options, optional_sums=True))
    arguments = (tf.constant(block), tf.ones([plan.block_rows]), tf.constant(128),
                 tf.zeros([4]), centers, norms)
    labels, sums, _ = reference(*arguments)
    with_sums = optional(*arguments, tf.constant(True))
    without = optional(*arguments, tf.constant(False))
    assert sums.numpy()[:3, -1].sum() == 128
    np.testing.assert_array_equal(with_sums[1].numpy(), sums.numpy())
    assert not without[1].numpy().any()
    np.testing.assert_array_equal(without[0].numpy(), labels.numpy())


@pytest.mark.slow
def test_kmeans_plusplus_draws_from_all_of_20_million_rows():
    """The float64 cumulative sum keeps every row reachable: scikit-learn's choices."""
    X = np.random.default_rng(1).random((20_000_000, 1))
    for seed in (0, 1):
        _, expected = sklearn_kmeans_plusplus(X, 3, random_state=seed)
        _, indices = core.kmeans_plusplus(X, 3, random_state=seed)
        np.testing.assert_array_equal(indices.numpy(), expected)


# --------------------------------------------------------------------------- #
# predict, transform and score agree with fit, far from the origin too
# --------------------------------------------------------------------------- #
@pytest.mark.slow
@pytest.mark.parametrize("mode", ["eager", "xla"])
def test_float32_far_from_the_origin_predict_and_score_agree_with_fit(mode):
    X, _ = make_blobs(n_samples=3000, centers=6, n_features=4, cluster_std=0.5, random_state=2)
    X = (X + 1e4).astype(np.float32)  # ||x||^2 ~ 4e8: the expanded formula needs centring
    init = X[[0, 500, 1000, 1500, 2000, 2500]]
    with execution.config_context(mode=mode):
        model = cl.KMeans(6, init=init, n_init=1).fit(X)
        labels = model.predict(X)
        score = model.score(X)
    reference = SklearnKMeans(6, init=init, n_init=1).fit(X.astype(np.float64))
    assert np.mean(labels == model.labels_) >= 0.999
    assert np.mean(model.labels_ == reference.labels_) >= 0.999
    np.testing.assert_allclose(-score, model.inertia_, rtol=1e-4)
    np.testing.assert_allclose(model.inertia_, reference.inertia_, rtol=1e-3)
    distances = model.transform(X)
    np.testing.assert_array_equal(distances.argmin(axis=1)[labels == model.labels_],
                                  model.labels_[labels == model.labels_])


def _stops_after_a_late_relocation():
    """20 points (10 duplicated), 7 centres: the fit stops on unchanged labels in the
    iteration that relocates an empty cluster (found by the property test above)."""
    rng = np.random.default_rng(15252)
    X = rng.normal(size=(20, 2)) * rng.uniform(0.5, 5.0, 2)
    X[10:] = X[:10]
    weights = rng.uniform(0.5, 2.0, 20)
    return X, weights, X[rng.choice(20, 7, replace=False)]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["eager", "graph", "xla"])
def test_inertia_is_that_of_the_reported_labels_after_a_late_relocation(mode):
    X, weights, init = _stops_after_a_late_relocation()
    reference = SklearnKMeans(7, init=init, n_init=1, tol=0.0).fit(X, sample_weight=weights)
    with execution.config_context(mode=mode, block_rows=16):
        model = cl.KMeans(7, init=init, n_init=1, tol=0.0).fit(X, sample_weight=weights)
    nearest = ((X[:, None] - model.cluster_centers_[None]) ** 2).sum(-1).argmin(1)
    assert not np.array_equal(nearest, model.labels_)  # the case the test is about
    np.testing.assert_array_equal(model.labels_, reference.labels_)
    residuals = X - model.cluster_centers_[model.labels_]
    np.testing.assert_allclose(model.inertia_, weights @ (residuals**2).sum(1), rtol=1e-12)
    np.testing.assert_allclose(model.inertia_, reference.inertia_, rtol=1e-12)


def test_sparse_inertia_of_given_labels_matches_numpy():
    rng = np.random.default_rng(3)
    dense = rng.random((50, 6)) * (rng.random((50, 6)) < 0.4)
    weights = rng.uniform(0.5, 2.0, 50)
    centers = rng.random((4, 6))
    labels = rng.integers(0, 4, 50)
    source = SparsePasses(scipy.sparse.csr_matrix(dense), weights, 4)
    expected = weights @ ((dense - centers[labels]) ** 2).sum(1)
    np.testing.assert_allclose(source.inertia_of(centers, labels), expected, rtol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["eager", "graph", "xla", "sparse"])
def test_equal_centers_give_every_point_to_the_first_of_them(mode):
    # A matrix product may round two equal columns differently; the passes must not
    # split a cluster between equal centres (scikit-learn gives it to the first).
    rng = np.random.default_rng(0)
    X = np.abs(rng.normal(size=(3000, 7)))
    centers = np.repeat(X[:4], [1, 3, 1, 2], axis=0)  # 7 centres, 4 distinct
    expected = ((X[:, None] - centers[None]) ** 2).sum(-1).argmin(1)  # NumPy: first index
    weights = np.ones(len(X))
    if mode == "sparse":
        source = SparsePasses(scipy.sparse.csr_matrix(X), weights, 7)
    else:
        with execution.config_context(mode=mode, block_rows=512):
            source = DataPasses(X, weights, None, execution.plan(len(X), 7, 7))
    assignment = source.assign(centers)
    np.testing.assert_array_equal(assignment.labels, expected)
    np.testing.assert_array_equal(source.final(centers)[0], expected)
    assert np.all(assignment.totals[[2, 3, 6]] == 0)
    np.testing.assert_allclose(assignment.totals, np.bincount(expected, minlength=7))
