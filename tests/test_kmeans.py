"""clustering_lib.KMeans against scikit-learn's KMeans and its estimator checks."""

import pickle
import warnings

import numpy as np
import pytest
import tensorflow as tf
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning

from clustering_lib import KMeans, core
from clustering_lib._base import InvalidParameterError
from clustering_lib.core import _progress


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=400, centers=4, cluster_std=0.8, random_state=0)
    return X, y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_init_gives_identical_labels_on_digits(digits, dtype):
    # The digits are integers: many points are exactly equidistant from two centres,
    # and which one wins then depends on the rounding of each library's matrix
    # product. A jitter far below the data's resolution removes the exact ties.
    jitter = np.random.default_rng(5).uniform(-0.01, 0.01, digits.shape)
    X = (digits + jitter).astype(dtype)
    init = X[np.random.default_rng(0).choice(len(X), 10, replace=False)]
    ours = KMeans(10, init=init, n_init=1).fit(X)
    ref = SklearnKMeans(10, init=init, n_init=1).fit(X)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert ours.n_iter_ == ref.n_iter_
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(ours.inertia_, ref.inertia_, rtol=rtol)
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=rtol,
                               atol=1e-4 if dtype == np.float32 else 1e-10)
    assert ours.cluster_centers_.dtype == dtype


@pytest.mark.parametrize("random_state", [0, 1, 2])
def test_same_random_state_matches_scikit_learn_fit(digits, random_state):
    # k-means++ draws its random numbers in scikit-learn's order, so whole fits agree.
    ours = KMeans(10, random_state=random_state).fit(digits)
    ref = SklearnKMeans(10, random_state=random_state).fit(digits)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    np.testing.assert_allclose(ours.inertia_, ref.inertia_, rtol=1e-5)


@pytest.mark.slow
def test_kmeans_plusplus_inertia_no_worse_than_scikit_learn_on_average(digits):
    X = digits.astype(np.float32)
    ours = [KMeans(10, n_init=1, random_state=s).fit(X).inertia_ for s in range(8)]
    ref = [SklearnKMeans(10, n_init=1, random_state=s).fit(X).inertia_ for s in range(8)]
    # Exact ties in the integer digits send single runs to different local optima
    # either way; on average the two seedings are equally good.
    assert np.mean(ours) <= np.mean(ref) * 1.005


def test_random_init_with_restarts_matches_scikit_learn(blobs):
    X, _ = blobs
    ours = KMeans(4, init="random", n_init=5, random_state=7).fit(X)
    ref = SklearnKMeans(4, init="random", n_init=5, random_state=7).fit(X)
    np.testing.assert_allclose(ours.inertia_, ref.inertia_, rtol=1e-10)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)


def test_n_init_auto_follows_scikit_learn(blobs, monkeypatch):
    X, _ = blobs
    calls = []
    original = core.run_lloyd

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(core, "run_lloyd", counting)
    assert KMeans(3, random_state=0).fit(X)._n_init == 1
    assert len(calls) == 1  # k-means++ -> 1 run
    assert KMeans(3, init="random", random_state=0).fit(X)._n_init == 10
    assert len(calls) == 1 + 10  # random -> 10 runs


def test_explicit_init_with_n_init_warns_and_runs_once(blobs):
    X, _ = blobs
    with pytest.warns(RuntimeWarning, match="performing only one init"):
        KMeans(4, init=X[:4], n_init=3).fit(X)


def test_callable_init(blobs):
    X, _ = blobs

    def first_rows(data, n_clusters, random_state):
        return data[:n_clusters]

    ours = KMeans(4, init=first_rows, n_init=1).fit(X)
    ref = SklearnKMeans(4, init=X[:4], n_init=1).fit(X)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)


def test_sample_weight_matches_scikit_learn(blobs):
    X, _ = blobs
    weights = np.random.default_rng(0).uniform(0.2, 5.0, size=len(X))
    ours = KMeans(4, init=X[:4], n_init=1).fit(X, sample_weight=weights)
    ref = SklearnKMeans(4, init=X[:4], n_init=1).fit(X, sample_weight=weights)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    np.testing.assert_allclose(ours.inertia_, ref.inertia_, rtol=1e-10)
    np.testing.assert_allclose(
        ours.score(X, sample_weight=weights), ref.score(X, sample_weight=weights)
    )


def test_integer_weights_equal_repeated_points():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [10.0, 0.0], [11.0, 1.0]])
    weighted = KMeans(2, init=X[[0, 2]], n_init=1).fit(X, sample_weight=[3, 1, 1, 2])
    repeated = np.repeat(X, [3, 1, 1, 2], axis=0)
    plain = KMeans(2, init=X[[0, 2]], n_init=1).fit(repeated)
    np.testing.assert_allclose(weighted.cluster_centers_, plain.cluster_centers_)
    np.testing.assert_allclose(weighted.inertia_, plain.inertia_)


def test_same_random_state_is_deterministic(digits):
    first = KMeans(10, init="random", n_init=3, random_state=5).fit(digits)
    second = KMeans(10, init="random", n_init=3, random_state=5).fit(digits)
    np.testing.assert_array_equal(first.labels_, second.labels_)
    np.testing.assert_array_equal(first.cluster_centers_, second.cluster_centers_)
    assert first.inertia_ == second.inertia_


def test_predict_transform_score_agree_with_scikit_learn(blobs):
    X, _ = blobs
    ours = KMeans(4, init=X[:4], n_init=1).fit(X)
    ref = SklearnKMeans(4, init=X[:4], n_init=1).fit(X)
    X_new = X[::7] + 0.3
    np.testing.assert_array_equal(ours.predict(X_new), ref.predict(X_new))
    np.testing.assert_allclose(ours.transform(X_new), ref.transform(X_new), rtol=1e-8)
    np.testing.assert_allclose(ours.score(X_new), ref.score(X_new), rtol=1e-8)
    np.testing.assert_array_equal(ours.fit_predict(X), ours.labels_)
    np.testing.assert_allclose(ours.fit_transform(X), ours.transform(X))
    assert ours.score(X) == pytest.approx(-ours.inertia_)


def test_accepts_tensors_and_keeps_float32(blobs):
    X, _ = blobs
    tensor = tf.constant(X, dtype=tf.float32)
    model = KMeans(4, random_state=0).fit(tensor)
    assert model.cluster_centers_.dtype == np.float32
    assert model.transform(tensor).dtype == np.float32
    assert model.n_features_in_ == 2
    np.testing.assert_array_equal(model.predict(tensor), model.labels_)


def test_duplicate_points_warn_and_stay_finite():
    X = np.repeat([[0.0, 0.0], [1.0, 1.0]], 5, axis=0)
    with pytest.warns(ConvergenceWarning, match="distinct clusters"):
        model = KMeans(3, random_state=0).fit(X)
    assert np.all(np.isfinite(model.cluster_centers_))


def test_pickle_round_trip(blobs):
    X, _ = blobs
    model = KMeans(4, random_state=0).fit(X)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.predict(X), model.predict(X))


@pytest.mark.parametrize(
    ("X", "error", "message"),
    [
        (np.array([[np.nan, 1.0], [1.0, 2.0], [3.0, 4.0]]), ValueError, "NaN"),
        (np.array([[np.inf, 1.0], [1.0, 2.0], [3.0, 4.0]]), ValueError, "infinity"),
        (np.empty((0, 2)), ValueError, "0 sample"),
        (np.arange(6.0), ValueError, "Expected 2D array, got 1D array"),
        (np.ones((3, 2, 2)), ValueError, "Found array with dim 3"),
        (np.array([["a", "b"], ["c", "d"]]), ValueError, "could not convert"),
    ],
)
def test_bad_data_raises(X, error, message):
    with pytest.raises(error, match=message):
        KMeans(2).fit(X)


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"n_clusters": 0}, ValueError,
         r"The 'n_clusters' parameter of KMeans must be an int in the range \[1, inf\)\. "
         "Got 0 instead."),
        ({"n_clusters": 11}, ValueError, "n_samples=10 should be >= n_clusters=11"),
        ({"n_clusters": 2.5}, TypeError, "'n_clusters' parameter of KMeans must be an int"),
        ({"n_clusters": True}, TypeError, "'n_clusters' parameter of KMeans must be an int"),
        ({"init": "kmeans"}, ValueError,
         r"'init' parameter of KMeans must be a str among \{'k-means\+\+', 'k-means\|\|', "
         r"'random'\}, a "
         "callable or an array-like. Got 'kmeans' instead."),
        ({"init": np.ones((3, 2))}, ValueError,
         r"initial centers \(3, 2\) does not match the number of clusters 2"),
        ({"init": np.ones((2, 5))}, ValueError,
         r"initial centers \(2, 5\) does not match the number of features of the data 2"),
        ({"n_init": 0}, ValueError, r"'n_init' parameter of KMeans must be a str among "
         r"\{'auto'\} or an int in the range \[1, inf\)"),
        ({"n_init": "many"}, ValueError, "'n_init' parameter"),
        ({"max_iter": 0}, ValueError, "'max_iter' parameter"),
        ({"tol": -1}, ValueError, r"'tol' parameter of KMeans must be a float in the range "
         r"\[0, inf\)"),
        ({"tol": float("nan")}, ValueError, "'tol' parameter"),
        ({"algorithm": "auto"}, ValueError, r"'algorithm' parameter of KMeans must be a str "
         r"among \{'elkan', 'lloyd'\}"),
        ({"copy_x": 1}, TypeError, "'copy_x' parameter of KMeans must be a bool"),
        ({"verbose": -1}, ValueError, "'verbose' parameter"),
        ({"random_state": "seed"}, ValueError, "'random_state' parameter"),
    ],
)
def test_bad_parameters_raise(params, error, message):
    X = np.random.default_rng(0).normal(size=(10, 2))
    params = {"n_clusters": 2, **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(error, match=message):
            KMeans(**params).fit(X)


def test_init_with_nan_needs_a_known_coordinate():
    # NaN marks a coordinate left to the data (tests/test_kmeans_extensions.py); a row
    # with no known coordinate at all cannot be placed.
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="init row 0 has no known coordinate"):
        KMeans(2, init=np.array([[np.nan, np.nan], [1.0, 1.0]])).fit(X)


def test_predict_before_fit_and_with_wrong_features(blobs):
    X, _ = blobs
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="not fitted"):
        KMeans(2).predict(X)
    model = KMeans(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="X has 3 features, but KMeans is expecting 2"):
        model.predict(np.ones((4, 3)))
    with pytest.raises(ValueError, match="X has 3 features"):
        model.transform(np.ones((4, 3)))


# --------------------------------------------------------------------------- #
# metric="cosine": spherical k-means
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def directions():
    rng = np.random.default_rng(0)
    axes = np.eye(5)[:3]
    X = np.vstack([a * rng.uniform(0.5, 20, size=(60, 1)) + rng.normal(0, 0.15, (60, 5))
                   for a in axes])
    return np.abs(X)  # non-negative, like word counts


def _unit(X):
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def test_cosine_centers_are_unit_and_labels_maximise_similarity(directions):
    model = KMeans(3, metric="cosine", random_state=0).fit(directions)
    np.testing.assert_allclose(np.linalg.norm(model.cluster_centers_, axis=1), 1.0, rtol=1e-6)
    similarity = _unit(directions) @ model.cluster_centers_.T
    np.testing.assert_array_equal(model.labels_, similarity.argmax(axis=1))
    np.testing.assert_allclose(model.transform(directions), 1.0 - similarity, atol=1e-6)
    np.testing.assert_allclose(model.inertia_, np.sum(1.0 - similarity.max(axis=1)), rtol=1e-6)
    assert model.score(directions) == pytest.approx(-model.inertia_, rel=1e-6)


def test_cosine_ignores_lengths_but_plain_kmeans_does_not(directions):
    # Same directions, wildly different lengths: spherical k-means finds the 3 directions.
    truth = np.repeat([0, 1, 2], 60)
    cosine = KMeans(3, metric="cosine", n_init=5, random_state=0).fit(directions)
    plain = KMeans(3, n_init=5, random_state=0).fit(directions)
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(truth, cosine.labels_) > 0.95
    assert adjusted_rand_score(truth, plain.labels_) < adjusted_rand_score(truth, cosine.labels_)


def test_cosine_fixed_point_is_a_spherical_kmeans_fixed_point(directions):
    model = KMeans(3, metric="cosine", random_state=1, tol=0).fit(directions)
    unit = _unit(directions)
    for cluster in range(3):
        mean = unit[model.labels_ == cluster].mean(axis=0)
        np.testing.assert_allclose(model.cluster_centers_[cluster], mean / np.linalg.norm(mean),
                                   atol=1e-6)


def test_cosine_rejects_zero_rows():
    X = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="1 row.*zero length"):
        KMeans(2, metric="cosine").fit(X)
    model = KMeans(2, metric="cosine", random_state=0).fit(X[[0, 2]])
    with pytest.raises(ValueError, match="zero length"):
        model.predict(X)


def test_unknown_metric():
    with pytest.raises(ValueError, match=r"'metric' parameter of KMeans must be a str among "
                                         r"\{'cosine', 'euclidean'\}"):
        KMeans(2, metric="manhattan").fit(np.eye(3))


# --------------------------------------------------------------------------- #
# scikit-learn parity: parameters, dtypes, algorithm, verbose, copy_x, precision
# --------------------------------------------------------------------------- #
def test_invalid_parameter_error_is_both_value_and_type_error():
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(InvalidParameterError) as caught:
        KMeans(n_clusters="two").fit(X)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, TypeError)
    assert str(caught.value) == (
        "The 'n_clusters' parameter of KMeans must be an int in the range [1, inf). "
        "Got 'two' instead."
    )


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, bool])
def test_integer_and_boolean_input_is_clustered_in_float64(dtype, blobs):
    X = np.round(blobs[0]).astype(dtype) if dtype is not bool else blobs[0] > 0
    ours = KMeans(4, random_state=0).fit(X)
    ref = SklearnKMeans(4, random_state=0).fit(X)
    assert ours.cluster_centers_.dtype == ref.cluster_centers_.dtype == np.float64
    assert ours.transform(X).dtype == np.float64
    np.testing.assert_allclose(ours.inertia_, ref.inertia_, rtol=1e-8, atol=1e-9)


def test_list_input_is_float64_and_float32_is_kept():
    X = [[0, 0], [0, 1], [10, 10], [10, 11]]
    assert KMeans(2, random_state=0).fit(X).cluster_centers_.dtype == np.float64
    X32 = np.asarray(X, dtype=np.float32)
    assert KMeans(2, random_state=0).fit(X32).cluster_centers_.dtype == np.float32


def test_algorithm_elkan_runs_lloyds_iterations(digits):
    lloyd = KMeans(10, random_state=0, algorithm="lloyd").fit(digits)
    elkan = KMeans(10, random_state=0, algorithm="elkan").fit(digits)
    np.testing.assert_array_equal(elkan.labels_, lloyd.labels_)
    np.testing.assert_array_equal(elkan.cluster_centers_, lloyd.cluster_centers_)
    assert elkan.n_iter_ == lloyd.n_iter_
    with pytest.warns(RuntimeWarning, match="algorithm='elkan' doesn't make sense"):
        KMeans(1, algorithm="elkan").fit(digits[:50])


def test_verbose_prints_scikit_learns_lines(blobs, capsys):
    X, _ = blobs
    init = X[:4]
    SklearnKMeans(4, init=init, n_init=1, verbose=1).fit(X)
    expected = capsys.readouterr().out.splitlines()
    KMeans(4, init=init, n_init=1, verbose=1).fit(X)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(expected) > 3
    assert lines[0] == expected[0] == "Initialization complete"
    for ours, ref in zip(lines[1:-1], expected[1:-1], strict=True):
        head, value = ours.rstrip(".").rsplit(" ", 1)
        ref_head, ref_value = ref.rstrip(".").rsplit(" ", 1)
        assert head == ref_head  # "Iteration i, inertia"
        np.testing.assert_allclose(float(value), float(ref_value), rtol=1e-9)
    assert lines[-1] == expected[-1]  # "Converged at iteration i: strict convergence."


def test_verbose_2_shows_a_progress_bar_where_output_is_interactive(blobs, capsys, monkeypatch):
    X, _ = blobs
    KMeans(4, random_state=0, verbose=2).fit(X)  # captured output is not interactive
    assert "Iteration 0, inertia" in capsys.readouterr().out
    monkeypatch.setattr(_progress, "is_interactive", lambda: True)
    model = KMeans(4, random_state=0, verbose=2).fit(X)
    out = capsys.readouterr().out
    assert "Iteration 0" not in out
    assert f"{model.n_iter_}/300" in out and "inertia:" in out


@pytest.mark.parametrize("copy_x", [True, False])
def test_copy_x_never_modifies_the_data(blobs, copy_x):
    X = blobs[0] + 1000.0
    before = X.copy()
    model = KMeans(4, random_state=0, copy_x=copy_x).fit(X)
    np.testing.assert_array_equal(X, before)
    np.testing.assert_allclose(model.inertia_, SklearnKMeans(4, random_state=0).fit(X).inertia_,
                               rtol=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transform_is_exact_at_a_center_and_accurate_in_float32(digits, dtype):
    X = (digits * 1000.0 + 5000.0).astype(dtype)  # large norms: the expansion cancels
    model = KMeans(10, random_state=0).fit(X)
    at_centers = model.transform(model.cluster_centers_)
    np.testing.assert_array_equal(np.diag(at_centers), 0.0)
    assert at_centers.dtype == dtype
    exact = np.sqrt(((X.astype(np.float64)[:, None, :]
                      - model.cluster_centers_.astype(np.float64)[None]) ** 2).sum(axis=2))
    np.testing.assert_allclose(model.transform(X), exact, rtol=1e-6 if dtype == np.float32
                               else 1e-12, atol=1e-3 if dtype == np.float32 else 1e-9)


@pytest.mark.slow
def test_float32_inertia_is_accumulated_in_float64(digits):
    X = np.tile(digits, (20, 1)).astype(np.float32)  # 36,000 rows
    model = KMeans(10, random_state=0, max_iter=5).fit(X)
    exact = ((X.astype(np.float64) - model.cluster_centers_[model.labels_]) ** 2).sum()
    np.testing.assert_allclose(model.inertia_, exact, rtol=1e-6)
