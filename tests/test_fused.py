"""Lloyd's fused loop (the whole loop in one XLA call, for data of one block).

Checked against the eager driver it replaces and against scikit-learn: the same labels,
iterations and centres; an empty cluster handed back to the driver for relocation; one
compilation per kind of problem; off by default and when the settings force a mode.
"""

import io
from contextlib import redirect_stdout

import numpy as np
import pytest
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.datasets import load_digits, make_blobs

import clustering_lib as cl
from clustering_lib.core import _execution as execution


def _fused_traces() -> int:
    return execution.compile_counts().get("fused_lloyd", 0)


def _fit(X, k, init, *, fused, **kwargs):
    settings = {"fused_loop": True} if fused else {}
    with execution.config_context(**settings):
        return cl.KMeans(k, init=init, n_init=1, **kwargs).fit(X)


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


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
def test_fused_loop_gives_the_eager_drivers_and_scikit_learns_fit(case, dtype, weighted):
    X, k = CASES[case](dtype)
    init = X[np.random.default_rng(1).choice(len(X), k, replace=False)]
    weights = None
    if weighted:
        weights = np.random.default_rng(0).uniform(0.0, 2.0, len(X)).astype(dtype)
        weights[::13] = 0.0
    kwargs = {"max_iter": 50, "tol": 1e-4}
    before = _fused_traces()
    fused = _fit(X, k, init, fused=True, **kwargs)
    assert _fused_traces() - before <= 1
    eager = _fit(X, k, init, fused=False, **kwargs)
    reference = SklearnKMeans(k, init=init, n_init=1, **kwargs).fit(X, sample_weight=weights)
    if weighted:  # the fits above were unweighted: refit with the weights
        with execution.config_context(fused_loop=True):
            fused = cl.KMeans(k, init=init, n_init=1, **kwargs).fit(X, sample_weight=weights)
        eager = cl.KMeans(k, init=init, n_init=1, **kwargs).fit(X, sample_weight=weights)
    np.testing.assert_array_equal(fused.labels_, eager.labels_)
    np.testing.assert_array_equal(fused.labels_, reference.labels_)
    assert fused.n_iter_ == eager.n_iter_ == reference.n_iter_
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(fused.cluster_centers_, eager.cluster_centers_,
                               rtol=tolerance, atol=tolerance * 50)
    np.testing.assert_allclose(fused.inertia_, reference.inertia_, rtol=tolerance)


def test_an_empty_cluster_is_handed_back_and_relocated_as_scikit_learn_does():
    # Three groups of equal points and a repeated initial centre: the repeat gets no point
    # in the first iteration, and the driver relocates the farthest point (at 4) to it.
    X = np.r_[np.zeros((40, 3)), np.ones((30, 3)), np.full((5, 3), 4.0)]
    init = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    before = _fused_traces()
    fused = _fit(X, 3, init, fused=True)
    reference = SklearnKMeans(3, init=init, n_init=1).fit(X)
    np.testing.assert_array_equal(fused.labels_, reference.labels_)
    np.testing.assert_allclose(fused.cluster_centers_, reference.cluster_centers_)
    assert fused.n_iter_ == reference.n_iter_
    assert _fused_traces() - before <= 1
    # A cluster that empties later on: the same fit as the eager driver's.
    X, _ = make_blobs(n_samples=400, centers=3, n_features=2, random_state=3)
    init = np.r_[X[:3], [[100.0, 100.0]]]
    fused = _fit(X, 4, init, fused=True)
    eager = _fit(X, 4, init, fused=False)
    reference = SklearnKMeans(4, init=init, n_init=1).fit(X)
    np.testing.assert_array_equal(fused.labels_, eager.labels_)
    np.testing.assert_array_equal(fused.labels_, reference.labels_)
    assert fused.n_iter_ == eager.n_iter_ == reference.n_iter_


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


def test_the_fused_loop_is_off_by_default_and_when_a_mode_or_block_is_forced():
    X, _ = make_blobs(n_samples=300, centers=3, random_state=0)
    before = _fused_traces()
    for settings in ({}, {"fused_loop": True, "mode": "eager"},
                     {"fused_loop": True, "block_rows": 64}):
        with execution.config_context(**settings):
            cl.KMeans(3, random_state=0).fit(X)
    assert _fused_traces() == before
    with pytest.raises(ValueError, match="fused_loop must be True or False"):
        with execution.config_context(fused_loop=1):
            pass


def test_printing_progress_keeps_the_driver_and_its_lines():
    X, _ = make_blobs(n_samples=300, centers=3, random_state=0)
    with execution.config_context(fused_loop=True):
        before = _fused_traces()
        output = io.StringIO()
        with redirect_stdout(output):
            model = cl.KMeans(3, init=X[:3], n_init=1, verbose=1).fit(X)
    assert output.getvalue().count("Iteration") == model.n_iter_
    assert _fused_traces() == before
    reference = SklearnKMeans(3, init=X[:3], n_init=1).fit(X)
    np.testing.assert_array_equal(model.labels_, reference.labels_)


def test_a_fused_fit_predicts_scores_and_pickles_as_any_other():
    import pickle

    X, _ = make_blobs(n_samples=500, centers=4, random_state=2)
    fused = _fit(X, 4, X[:4], fused=True)
    eager = _fit(X, 4, X[:4], fused=False)
    new = np.random.default_rng(0).normal(size=(77, 2)) * 5
    np.testing.assert_array_equal(fused.predict(new), eager.predict(new))
    np.testing.assert_allclose(fused.score(new), eager.score(new), rtol=1e-12)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(fused)).predict(new),
                                  eager.predict(new))
