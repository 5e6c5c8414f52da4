"""The named initialisations and metrics: one registry each (``core._inits.INITS``,
``core._metrics.METRICS``) that every estimator reads."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from clustering_lib import InvalidParameterError, KMeans, MiniBatchKMeans
from clustering_lib.core._inits import INITS, Init
from clustering_lib.core._metrics import METRICS, Metric


@pytest.fixture(scope="module")
def points():
    X, _ = make_blobs(600, centers=5, n_features=3, random_state=0)
    return X


def test_the_estimators_accept_exactly_the_registered_names(points):
    for name in INITS:
        for estimator in (KMeans(5, init=name, n_init=1, max_iter=2, random_state=0),
                          MiniBatchKMeans(5, init=name, n_init=1, max_iter=2, random_state=0)):
            assert estimator.fit(points).cluster_centers_.shape == (5, 3)
    with pytest.raises(InvalidParameterError, match="'k-means\\+\\+', 'k-means\\|\\|', 'random'"):
        KMeans(5, init="first-rows").fit(points)


class _FirstRows(Init):
    """The first ``n_clusters`` rows: the smallest possible initialisation."""

    name = "first-rows"
    single_start = True

    def in_memory(self, points, n_clusters, rng, weights, offset=None, cache=None):
        return np.array(points[:n_clusters])

    def in_passes(self, data, source, n_clusters, rng):
        return np.asarray(source.data[:n_clusters], data.dtype)


def test_a_new_init_is_one_class_in_the_registry(points, monkeypatch, tmp_path):
    monkeypatch.setitem(INITS, "first-rows", _FirstRows())
    expected = KMeans(5, init=points[:5], n_init=1, random_state=0).fit(points)
    model = KMeans(5, init="first-rows", random_state=0).fit(points)  # 'auto': one start
    np.testing.assert_array_equal(model.init_centers_, points[:5])
    np.testing.assert_allclose(model.cluster_centers_, expected.cluster_centers_)
    mapped = np.lib.format.open_memmap(tmp_path / "X.npy", "w+", points.dtype, points.shape)
    mapped[:] = points
    streamed = KMeans(5, init="first-rows", random_state=0).fit(mapped)
    np.testing.assert_allclose(streamed.cluster_centers_, expected.cluster_centers_, rtol=1e-10)
    minibatch = MiniBatchKMeans(5, init="first-rows", init_size=600, random_state=0).fit(points)
    assert minibatch._n_init == 1


@pytest.mark.parametrize("name", sorted(INITS))
def test_in_passes_over_an_array_starts_where_the_in_memory_fit_does(points, name):
    """An array fitted in passes (here: with a strategy) draws the in-memory rows."""
    import tensorflow as tf

    rng = np.random.RandomState
    in_memory = KMeans(5, init=name, n_init=1, max_iter=1, random_state=rng(3)).fit(points)
    in_passes = KMeans(5, init=name, n_init=1, max_iter=1, random_state=rng(3),
                       strategy=tf.distribute.get_strategy()).fit(points)
    np.testing.assert_allclose(in_passes.init_centers_, in_memory.init_centers_, rtol=1e-12)


@pytest.mark.parametrize("name", ["k-means++", "random"])
def test_a_memory_map_starts_where_the_array_does(points, name, tmp_path):
    """Rows that can be indexed are drawn by the in-memory code, weighted or not
    (k-means|| is drawn in passes and is checked against its own rules elsewhere)."""
    mapped = np.lib.format.open_memmap(tmp_path / "X.npy", "w+", points.dtype, points.shape)
    mapped[:] = points
    weights = np.arange(len(points)) % 3 + 0.5
    for sample_weight in (None, weights):
        expected = KMeans(5, init=name, n_init=1, max_iter=1, random_state=7).fit(
            points, sample_weight=sample_weight)
        found = KMeans(5, init=name, n_init=1, max_iter=1, random_state=7).fit(
            mapped, sample_weight=sample_weight)
        np.testing.assert_array_equal(found.init_centers_, expected.init_centers_)


def test_k_means_parallel_in_minibatch_is_one_start_and_finds_the_blobs(points):
    plusplus = MiniBatchKMeans(5, random_state=0, n_init=1).fit(points)
    parallel = MiniBatchKMeans(5, init="k-means||", random_state=0).fit(points)
    assert parallel._n_init == 1
    assert parallel.inertia_ <= 1.05 * plusplus.inertia_


class _Scaled(Metric):
    """Euclidean distance in a space stretched by 2: shows where a metric plugs in."""

    name = "squared-scaled"

    def from_squared(self, squared):
        return 4.0 * squared

    def transform(self, points, centers):
        return 2.0 * super().transform(points, centers)


def test_a_new_metric_is_one_class_in_the_registry(points, monkeypatch):
    """A metric that scales the space by 2: same partition, distances x2, inertia x4."""
    monkeypatch.setitem(METRICS, "squared-scaled", _Scaled())
    plain = KMeans(5, random_state=0).fit(points)
    scaled = KMeans(5, metric="squared-scaled", random_state=0).fit(points)
    np.testing.assert_array_equal(scaled.labels_, plain.labels_)
    np.testing.assert_allclose(scaled.inertia_, 4.0 * plain.inertia_, rtol=1e-12)
    np.testing.assert_allclose(scaled.transform(points), 2.0 * plain.transform(points),
                               rtol=1e-12)
    np.testing.assert_allclose(scaled.score(points), 4.0 * plain.score(points), rtol=1e-12)


def test_every_metric_names_what_it_does_not_support(points):
    for metric in METRICS.values():
        for feature in metric.unsupported:
            with pytest.raises(ValueError, match=f"metric='{metric.name}': "):
                metric.check_supports(feature)
    with pytest.raises(InvalidParameterError, match="'cosine', 'euclidean'"):
        KMeans(5, metric="manhattan").fit(points)
