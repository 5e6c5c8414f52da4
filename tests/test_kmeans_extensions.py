"""KMeans extensions: partially given init (NaN), fixed_features and inverse_transform."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import tensorflow as tf
from sklearn.datasets import load_digits, make_blobs
from sklearn.exceptions import NotFittedError

from clustering_lib import KMeans, core
from clustering_lib._kmeans import DegenerateCentersWarning, InconsistentDistancesWarning
from clustering_lib.core import _execution as execution


@pytest.fixture(scope="module")
def blobs7():
    X, _, centers = make_blobs(
        n_samples=1500, n_features=7, centers=10, cluster_std=0.6, random_state=0,
        return_centers=True,
    )
    return X, centers


def _masked_labels(X, init):
    """Nearest centre over each centre's known coordinates, the obvious way."""
    differences = X[:, None, :] - init[None, :, :]
    return np.nansum(differences**2, axis=2).argmin(axis=1)


# --------------------------------------------------------------------------- #
# Partially given initial centres
# --------------------------------------------------------------------------- #
def test_nan_coordinate_starts_at_mean_of_points_split_by_known_one():
    X = np.array([[0.0, 0.0], [1.0, 2.0], [0.5, 4.0], [10.0, 1.0], [11.0, 3.0], [10.5, 8.0]])
    init = np.array([[0.0, np.nan], [10.0, np.nan]])
    one_step = KMeans(2, init=init, max_iter=1).fit(X)
    # x splits the points; y starts at the mean y of each side.
    np.testing.assert_array_equal(one_step.init_centers_, [[0.0, 2.0], [10.0, 4.0]])
    np.testing.assert_array_equal(one_step.labels_, [0, 0, 0, 1, 1, 1])
    np.testing.assert_allclose(one_step.cluster_centers_, [[0.5, 2.0], [10.5, 4.0]])
    full = KMeans(2, init=init).fit(X)
    np.testing.assert_allclose(full.cluster_centers_, [[0.5, 2.0], [10.5, 4.0]])
    assert np.isnan(init).sum() == 2  # the user's array is not modified


def test_nan_completion_uses_sample_weight():
    X = np.array([[0.0, 0.0], [0.0, 6.0], [10.0, 1.0], [10.0, 3.0]])
    init = np.array([[0.0, np.nan], [10.0, 2.0]])
    model = KMeans(2, init=init, max_iter=1).fit(X, sample_weight=[1.0, 2.0, 1.0, 1.0])
    np.testing.assert_allclose(model.init_centers_, [[0.0, 4.0], [10.0, 2.0]])


def test_centers_knowing_different_coordinates_match_masked_distances():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 3)) * [4.0, 1.0, 2.0] + [50.0, -3.0, 7.0]
    init = np.array(
        [[46.0, np.nan, np.nan], [np.nan, -3.0, 9.0], [54.0, np.nan, 5.0], [50.0, -2.0, 7.0]]
    )
    model = KMeans(4, init=init, max_iter=1).fit(X)
    labels = _masked_labels(X, init)
    assert len(np.unique(labels)) == 4
    expected = np.array([X[labels == c].mean(axis=0) for c in range(4)])
    known = ~np.isnan(init)
    np.testing.assert_array_equal(model.init_centers_[known], init[known])
    np.testing.assert_allclose(model.init_centers_[~known], expected[~known], rtol=1e-12)


def test_seed_shape_seven_features_ten_clusters_six_known(blobs7):
    X, centers = blobs7
    init = centers.copy()
    init[:, 6] = np.nan
    model = KMeans(10, init=init).fit(X)
    assert np.all(np.isfinite(model.cluster_centers_))
    np.testing.assert_array_equal(model.init_centers_[:, :6], centers[:, :6])
    # The blobs are separated in the 6 known coordinates, so the filled-in one is close.
    np.testing.assert_allclose(model.init_centers_[:, 6], centers[:, 6], atol=0.3)
    assert len(np.unique(model.labels_)) == 10


def test_partial_init_keeps_float32_and_works_with_a_callable(blobs7):
    X, centers = blobs7
    init = centers.copy()
    init[::2, 0] = np.nan
    model = KMeans(10, init=lambda data, k, random_state: init).fit(X.astype(np.float32))
    assert model.init_centers_.dtype == np.float32
    assert model.cluster_centers_.dtype == np.float32
    assert np.all(np.isfinite(model.cluster_centers_))


def test_partial_init_with_n_init_warns_and_runs_once(blobs7):
    X, centers = blobs7
    init = centers.copy()
    init[:, 6] = np.nan
    with pytest.warns(RuntimeWarning, match="performing only one init"):
        KMeans(10, init=init, n_init=3).fit(X)


@pytest.mark.parametrize(
    ("init", "params", "message"),
    [
        ([[0.0, 1.0], [np.nan, np.nan], [5.0, 5.0]], {}, "init row 1 has no known coordinate"),
        ([[np.nan, np.nan], [np.nan, np.nan], [5.0, 5.0]], {}, "init rows 0, 1 have no known"),
        # Centre 1 knows x = 100: every point is nearer centre 0 or 2 in their coordinates.
        ([[0.0, 0.0], [100.0, np.nan], [1.0, 1.0]], {}, "centre 1 .*Give more coordinates"),
        ([[0.0, np.nan], [1.0, 1.0], [2.0, 2.0]], {"metric": "cosine"}, "metric='cosine'"),
        ([[0.0, np.inf], [1.0, 1.0], [2.0, 2.0]], {}, "init contains infinity"),
    ],
)
def test_bad_partial_init_raises(init, params, message):
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match=message):
        KMeans(3, init=np.array(init), **params).fit(X)


def test_center_whose_points_have_zero_weight_cannot_be_completed():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
    init = np.array([[0.0, np.nan], [10.0, np.nan]])
    with pytest.raises(ValueError, match="centre 1 .*positive weight"):
        KMeans(2, init=init).fit(X, sample_weight=[1.0, 1.0, 0.0, 0.0])


# --------------------------------------------------------------------------- #
# fixed_features
# --------------------------------------------------------------------------- #
def _assert_free_columns_are_cluster_means(model, X, fixed):
    free = np.setdiff1d(np.arange(X.shape[1]), fixed)
    for cluster in range(model.n_clusters):
        members = X[model.labels_ == cluster]
        np.testing.assert_allclose(
            model.cluster_centers_[cluster, free], members[:, free].mean(axis=0), rtol=1e-10
        )


def test_fixed_features_keep_given_init_columns_exactly(blobs7):
    X, centers = blobs7
    X = X + 1000.3  # a large mean, so centring the data would round the fixed columns
    init = centers + 1000.3 + np.random.default_rng(1).normal(0, 0.5, size=centers.shape)
    fixed = [1, 4]
    model = KMeans(10, init=init, fixed_features=fixed, tol=0.0).fit(X)
    assert model.n_iter_ < model.max_iter
    np.testing.assert_array_equal(model.cluster_centers_[:, fixed], init[:, fixed])
    np.testing.assert_array_equal(model.init_centers_, init)
    _assert_free_columns_are_cluster_means(model, X, fixed)
    assert model.fixed_features == fixed  # stored as given


def test_fixed_features_with_kmeans_plusplus_keep_the_chosen_rows(blobs7):
    X, _ = blobs7
    fixed = [0, 6]
    model = KMeans(10, fixed_features=fixed, random_state=4, tol=0.0).fit(X)
    plain = KMeans(10, random_state=4, tol=0.0).fit(X)
    # The same seeding, and its coordinates are rows of X.
    np.testing.assert_array_equal(model.init_centers_, plain.init_centers_)
    assert all((X == row).all(axis=1).any() for row in model.init_centers_)
    np.testing.assert_array_equal(model.cluster_centers_[:, fixed], model.init_centers_[:, fixed])
    _assert_free_columns_are_cluster_means(model, X, fixed)


def test_fixed_features_on_few_features_and_partial_init():
    # Two features use core's specialised compiled loop; init mixes given and NaN.
    X, _ = make_blobs(n_samples=400, centers=[[-1, -9], [1, -1], [-2, -3]], random_state=2)
    init = np.array([[np.nan, -9.5], [1.5, np.nan], [-1.5, -3.5]])
    model = KMeans(3, init=init, fixed_features=[1], tol=0.0).fit(X)
    np.testing.assert_array_equal(model.cluster_centers_[:, 1], model.init_centers_[:, 1])
    assert model.cluster_centers_[0, 1] == -9.5
    _assert_free_columns_are_cluster_means(model, X, [1])
    model = KMeans(3, init="random", n_init=3, fixed_features=[0], random_state=0).fit(X)
    np.testing.assert_array_equal(model.cluster_centers_[:, 0], model.init_centers_[:, 0])


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["eager", "graph", "xla", "sparse"])
def test_relocated_empty_cluster_keeps_its_fixed_coordinate(mode):
    X = np.array([[0.0, 0.0], [0.1, 0.0], [0.2, 0.0], [5.0, 0.0], [5.1, 0.0], [9.0, 5.0]])
    init = np.array([[0.0, 0.0], [5.0, 0.0], [100.0, 7.0]])
    points = sp.csr_matrix(X) if mode == "sparse" else tf.constant(X)
    with execution.config_context(mode=None if mode == "sparse" else mode):
        result = core.run_lloyd(points, tf.ones([6], tf.float64), tf.constant(init),
                                max_iter=300, tol=0.0, fixed_mask=[False, True])
    # Centre 2 starts empty and takes the farthest point, (9, 5), except its y = 7.
    np.testing.assert_allclose(result.centers.numpy(), [[0.1, 0.0], [5.05, 0.0], [9.0, 7.0]])
    np.testing.assert_array_equal(result.labels.numpy(), [0, 0, 0, 1, 1, 2])


def test_no_fixed_feature_is_the_default_path(blobs7):
    X, _ = blobs7
    points, weights = tf.constant(X[:300]), tf.ones([300], tf.float64)
    init = tf.constant(X[:10])
    default = core.run_lloyd(points, weights, init, max_iter=300, tol=0.0)
    empty = core.run_lloyd(points, weights, init, max_iter=300, tol=0.0,
                             fixed_mask=np.zeros(7, bool))
    np.testing.assert_array_equal(default.centers.numpy(), empty.centers.numpy())
    a = KMeans(10, random_state=0).fit(X)
    b = KMeans(10, random_state=0, fixed_features=[]).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)


@pytest.mark.parametrize(
    ("fixed_features", "error", "message"),
    [
        ([0, 0], ValueError, "fixed_features must not repeat"),
        ([2], ValueError, r"fixed_features must lie in \[0, n_features=2\)"),
        ([-1], ValueError, "fixed_features must lie in"),
        ([0.5], TypeError, "fixed_features must hold integer"),
        ([True], TypeError, "fixed_features must hold integer"),
        (1, TypeError, "The 'fixed_features' parameter of KMeans must be an array-like or None"),
        ("0", TypeError, "The 'fixed_features' parameter of KMeans must be an array-like or None"),
    ],
)
def test_bad_fixed_features_raise(fixed_features, error, message):
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(error, match=message):
        KMeans(2, fixed_features=fixed_features).fit(X)


def test_fixed_features_rejected_with_cosine():
    X = np.abs(np.random.default_rng(0).normal(size=(10, 3))) + 0.1
    with pytest.raises(ValueError, match="fixed_features is not supported with metric='cosine'"):
        KMeans(2, metric="cosine", fixed_features=[0]).fit(X)


# --------------------------------------------------------------------------- #
# inverse_transform
# --------------------------------------------------------------------------- #
def _affine_projection(X, centers):
    """Orthogonal projection onto the centres' affine hull, by an orthonormal basis."""
    directions = (centers[1:] - centers[0]).T
    basis = np.linalg.svd(directions, full_matrices=False)[0] if len(centers) > 1 else None
    if basis is None:
        return np.broadcast_to(centers[0], X.shape)
    return centers[0] + (X - centers[0]) @ basis @ basis.T


@pytest.mark.parametrize("n_features", [2, 5])
@pytest.mark.parametrize("centers_per_feature", ["d+1", "2d"])
def test_inverse_transform_recovers_points_exactly(n_features, centers_per_feature):
    n_clusters = n_features + 1 if centers_per_feature == "d+1" else 2 * n_features
    rng = np.random.default_rng(n_features)
    X = rng.normal(size=(200, n_features)) * 3.0 + 1.0
    model = KMeans(n_clusters, random_state=0).fit(X)
    X_new = rng.normal(size=(50, n_features)) * 5.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        recovered = model.inverse_transform(model.transform(X_new))
    np.testing.assert_allclose(recovered, X_new, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("n_clusters", [1, 2, 4])
def test_inverse_transform_with_few_centers_projects_onto_their_hull(n_clusters):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(120, 6))
    model = KMeans(n_clusters, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        recovered = model.inverse_transform(model.transform(X))
    np.testing.assert_allclose(recovered, _affine_projection(X, model.cluster_centers_),
                               atol=1e-9)
    error = np.linalg.norm(recovered - X, axis=1)
    nearest = np.linalg.norm(model.cluster_centers_[model.predict(X)] - X, axis=1)
    assert np.all(error <= nearest + 1e-9)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_inverse_transform_on_digits_beats_nearest_centroid(dtype):
    X = load_digits().data.astype(dtype)
    model = KMeans(10, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        recovered = model.inverse_transform(model.transform(X))
    assert recovered.dtype == dtype
    error = np.linalg.norm(recovered - X, axis=1)
    nearest = np.linalg.norm(model.cluster_centers_[model.labels_] - X, axis=1)
    assert np.all(error <= nearest * (1 + 1e-4) + 1e-4)
    assert error.mean() < 0.9 * nearest.mean()


def test_inverse_transform_accepts_tensors():
    X = np.random.default_rng(0).normal(size=(40, 2))
    model = KMeans(4, random_state=0).fit(X)
    recovered = model.inverse_transform(tf.constant(model.transform(X)))
    np.testing.assert_allclose(recovered, X, rtol=1e-6, atol=1e-9)


def test_inverse_transform_duplicate_centers_warn_and_project():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    model = KMeans(4, random_state=0).fit(X)
    model.cluster_centers_[3] = model.cluster_centers_[2]  # a duplicate: a plane, not space
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentDistancesWarning)
        with pytest.warns(DegenerateCentersWarning, match="only 2 of the 3 dimensions"):
            recovered = model.inverse_transform(model.transform(X))
    np.testing.assert_allclose(recovered, _affine_projection(X, model.cluster_centers_[:3]),
                               atol=1e-9)


def test_inverse_transform_inconsistent_distances_warn():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 2))
    model = KMeans(4, random_state=0).fit(X)
    distances = model.transform(X)
    distances[5] *= [1.0, 1.6, 0.7, 1.0]
    with pytest.warns(InconsistentDistancesWarning, match="1 of 30 rows"):
        model.inverse_transform(distances)
    # Fewer centres than dimensions: all-zero distances to distinct centres fit no point.
    model = KMeans(2, random_state=0).fit(rng.normal(size=(30, 5)))
    with pytest.warns(InconsistentDistancesWarning, match="2 of 2 rows"):
        model.inverse_transform(np.zeros((2, 2)))


@pytest.mark.parametrize(
    ("distances", "message"),
    [
        (-np.ones((2, 3)), "distances must be non-negative, got 6 negative"),
        (np.ones((2, 4)), "distances has 4 columns but the model has n_clusters=3"),
        (np.ones(3), "distances must be a 2-D array"),
        (np.array([[1.0, np.nan, 1.0]]), "distances contains NaN"),
        (np.array([[1.0, np.inf, 1.0]]), "distances contains infinity"),
    ],
)
def test_inverse_transform_bad_distances_raise(distances, message):
    model = KMeans(3, random_state=0).fit(np.random.default_rng(0).normal(size=(20, 2)))
    with pytest.raises(ValueError, match=message):
        model.inverse_transform(distances)


def test_inverse_transform_needs_a_fitted_euclidean_model():
    with pytest.raises(NotFittedError):
        KMeans(2).inverse_transform(np.ones((1, 2)))
    X = np.abs(np.random.default_rng(0).normal(size=(10, 3))) + 0.1
    model = KMeans(2, metric="cosine", random_state=0).fit(X)
    with pytest.raises(ValueError, match="inverse_transform is not supported with metric='cosine'"):
        model.inverse_transform(model.transform(X))
