"""Lloyd's fused loop (the whole loop in one XLA call, for data of one block).

Checked against the eager driver it replaces and against scikit-learn: the same labels,
iterations and centres; an empty cluster handed back to the driver for relocation, at
the first iteration and later; one compilation per kind of problem; off by default, when
the settings force a mode or a block, for many centres and for observed runs.
"""

import io
from contextlib import redirect_stdout

import numpy as np
import pytest
import tensorflow as tf
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.datasets import load_digits, make_blobs

import clustering_lib as cl
from clustering_lib.core import _execution as execution
from clustering_lib.core import _fused


@pytest.fixture
def fused_runs(monkeypatch):
    """What every call of the fused loop returned (None: the driver ran the loop)."""
    runs = []
    original = _fused.fused_lloyd

    def recorded(*args, **kwargs):
        result = original(*args, **kwargs)
        runs.append(result)
        return result

    monkeypatch.setattr(_fused, "fused_lloyd", recorded)
    return runs


def _fused_traces() -> int:
    return execution.compile_counts().get("fused_lloyd", 0)


def _fit(X, k, init, *, fused, sample_weight=None, **kwargs):
    with execution.config_context(fused_loop=fused):
        return cl.KMeans(k, init=init, n_init=1, **kwargs).fit(X, sample_weight=sample_weight)


def _blobs(n, d, centers, dtype, seed=0):
    X, _ = make_blobs(n_samples=n, n_features=d, centers=centers, cluster_std=2.0,
                      random_state=seed)
    return X.astype(dtype) + 50.0  # away from the origin: the centring matters


CASES = {
    "digits": lambda dtype: (load_digits().data.astype(dtype), 10),
    "few features": lambda dtype: (_blobs(5000, 2, 8, dtype), 8),
    "few points": lambda dtype: (_blobs(300, 10, 5, dtype), 5),
    "k in a padded bucket": lambda dtype: (_blobs(1000, 6, 11, dtype), 11),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
def test_fused_loop_gives_the_eager_drivers_and_scikit_learns_fit(case, dtype, weighted,
                                                                  fused_runs):
    X, k = CASES[case](dtype)
    init = X[np.random.default_rng(1).choice(len(X), k, replace=False)]
    weights = None
    if weighted:
        weights = np.random.default_rng(0).uniform(0.0, 2.0, len(X)).astype(dtype)
        weights[::13] = 0.0
    kwargs = {"max_iter": 50, "tol": 1e-4, "sample_weight": weights}
    fused = _fit(X, k, init, fused=True, **kwargs)
    assert len(fused_runs) == 1 and not fused_runs[0].handed_over
    eager = _fit(X, k, init, fused=False, **kwargs)
    assert fused_runs[1] is None
    reference = SklearnKMeans(k, init=init, n_init=1, max_iter=50, tol=1e-4).fit(
        X, sample_weight=weights)
    np.testing.assert_array_equal(fused.labels_, eager.labels_)
    np.testing.assert_array_equal(fused.labels_, reference.labels_)
    assert fused.n_iter_ == eager.n_iter_ == reference.n_iter_
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(fused.cluster_centers_, eager.cluster_centers_,
                               rtol=tolerance, atol=tolerance * 50)
    np.testing.assert_allclose(fused.inertia_, reference.inertia_, rtol=tolerance)


def test_an_empty_cluster_at_the_start_is_handed_back_and_relocated(fused_runs):
    # Three groups of equal points and a repeated initial centre: the repeat gets no
    # point in the first iteration, and the driver relocates the farthest point (at 4).
    X = np.r_[np.zeros((40, 3)), np.ones((30, 3)), np.full((5, 3), 4.0)]
    init = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    fused = _fit(X, 3, init, fused=True)
    assert fused_runs[0].handed_over and fused_runs[0].n_iter == 0
    reference = SklearnKMeans(3, init=init, n_init=1).fit(X)
    np.testing.assert_array_equal(fused.labels_, reference.labels_)
    np.testing.assert_allclose(fused.cluster_centers_, reference.cluster_centers_)
    assert fused.n_iter_ == reference.n_iter_


@pytest.mark.filterwarnings("ignore:Number of distinct clusters")  # max_iter=1 stops with 2
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("max_iter", [1, 2, 3, 300])
def test_a_cluster_emptied_later_is_handed_back_at_that_iteration(dtype, max_iter, fused_runs):
    # The middle centre holds the two inner points after the first iteration; the outer
    # centres then move in and take them, so it is empty in the second.
    X = np.array([[-1.8, 0]] * 3 + [[-1, 0], [1, 0]] + [[1.8, 0]] * 3
                 + [[-1.8, 0.3], [1.8, -0.2]], dtype)
    init = np.array([[-3.0, 0], [0, 0], [3.0, 0]], dtype)
    fused = _fit(X, 3, init, fused=True, max_iter=max_iter)
    eager = _fit(X, 3, init, fused=False, max_iter=max_iter)
    reference = SklearnKMeans(3, init=init, n_init=1, max_iter=max_iter).fit(X)
    if max_iter > 1:
        assert fused_runs[0].handed_over and fused_runs[0].n_iter == 1
        np.testing.assert_array_equal(fused_runs[0].labels, [0, 0, 0, 1, 1, 2, 2, 2, 0, 2])
    np.testing.assert_array_equal(fused.labels_, eager.labels_)
    np.testing.assert_array_equal(fused.labels_, reference.labels_)
    assert fused.n_iter_ == eager.n_iter_ == reference.n_iter_
    np.testing.assert_allclose(fused.cluster_centers_, reference.cluster_centers_, rtol=1e-6)


def test_more_iterations_than_an_int32_holds_run_as_many_as_needed(fused_runs):
    X, _ = make_blobs(n_samples=200, centers=3, random_state=4)
    fused = _fit(X, 3, X[:3], fused=True, max_iter=2**32 + 2)
    eager = _fit(X, 3, X[:3], fused=False, max_iter=2**32 + 2)
    assert not fused_runs[0].handed_over
    assert fused.n_iter_ == eager.n_iter_ > 2
    np.testing.assert_array_equal(fused.labels_, eager.labels_)


@pytest.mark.slow
def test_the_fused_loop_compiles_once_per_kind_of_problem():
    rng = np.random.default_rng(5)
    before = _fused_traces()
    with execution.config_context(fused_loop=True):
        # 9 features (a kind no other test uses); 300..500 rows: one power of two (512);
        # k = 5..8: one bucket (8).
        for n in (300, 420, 500):
            for k in (5, 8):
                cl.KMeans(k, n_init=2, random_state=0).fit(rng.normal(size=(n, 9)))
        assert _fused_traces() - before == 1
        cl.KMeans(5, n_init=1, random_state=0).fit(rng.normal(size=(600, 9)))  # 1,024 rows
        assert _fused_traces() - before == 2
        cl.KMeans(5, n_init=1, random_state=0).fit(rng.normal(size=(600, 9)).astype(np.float32))
        assert _fused_traces() - before == 3


def test_the_driver_runs_by_default_when_forced_for_many_centres_or_rows_or_observed(
        fused_runs, monkeypatch):
    def refused(*args):
        raise AssertionError("the fused loop was compiled")

    monkeypatch.setattr(_fused, "_program", refused)
    X, _ = make_blobs(n_samples=300, centers=3, random_state=0)
    for settings in ({}, {"fused_loop": True, "mode": "eager"},
                     {"fused_loop": True, "block_rows": 64}):
        with execution.config_context(**settings):
            cl.KMeans(3, random_state=0, n_init=1).fit(X)
    with execution.config_context(fused_loop=True):
        cl.KMeans(100, random_state=0, n_init=1).fit(X)  # 128 padded centres
        cl.KMeans(3, random_state=0, n_init=1, metric="cosine").fit(X)
        cl.KMeans(3, random_state=0, n_init=1, callback=lambda info: None).fit(X)
        cl.KMeans(3, random_state=0, n_init=1).fit(np.tile(X, (220, 1)))  # 66,000 rows
    assert fused_runs == [None] * 7


def test_printing_progress_keeps_the_driver_and_its_lines(fused_runs):
    X, _ = make_blobs(n_samples=300, centers=3, random_state=0)
    output = io.StringIO()
    with execution.config_context(fused_loop=True), redirect_stdout(output):
        model = cl.KMeans(3, init=X[:3], n_init=1, verbose=1).fit(X)
    assert fused_runs == [None]
    assert output.getvalue().count("Iteration") == model.n_iter_
    reference = SklearnKMeans(3, init=X[:3], n_init=1).fit(X)
    np.testing.assert_array_equal(model.labels_, reference.labels_)


def test_the_setting_takes_booleans_only():
    with execution.config_context(fused_loop=np.True_) as settings:
        assert settings.fused_loop is True
    with pytest.raises(ValueError, match="fused_loop must be True or False"):
        with execution.config_context(fused_loop=1):
            pass


def test_the_fused_loop_runs_under_eager_debugging(fused_runs):
    X, _ = make_blobs(n_samples=200, centers=3, random_state=1)
    eager = _fit(X, 3, X[:3], fused=False)
    tf.config.run_functions_eagerly(True)
    try:
        fused = _fit(X, 3, X[:3], fused=True)
    finally:
        tf.config.run_functions_eagerly(False)
    assert fused_runs[1] is not None and not fused_runs[1].handed_over
    np.testing.assert_array_equal(fused.labels_, eager.labels_)


def test_a_fused_fit_predicts_scores_and_pickles_as_any_other(fused_runs):
    import pickle

    X, _ = make_blobs(n_samples=500, centers=4, random_state=2)
    fused = _fit(X, 4, X[:4], fused=True)
    eager = _fit(X, 4, X[:4], fused=False)
    assert fused_runs[0] is not None and fused_runs[1] is None
    new = np.random.default_rng(0).normal(size=(77, 2)) * 5
    np.testing.assert_array_equal(fused.predict(new), eager.predict(new))
    np.testing.assert_allclose(fused.score(new), eager.score(new), rtol=1e-12)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(fused)).predict(new),
                                  eager.predict(new))
