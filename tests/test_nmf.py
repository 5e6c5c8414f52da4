"""clustering_lib.NMF against scikit-learn's NMF and scipy.optimize.nnls."""

import warnings

import numpy as np
import pytest
import tensorflow as tf
from scipy.optimize import nnls
from sklearn.decomposition import NMF as SklearnNMF
from sklearn.exceptions import ConvergenceWarning

from clustering_lib import NMF, InvalidParameterError

# The seed question's data (seed 002).
SEED_DATA = np.array([[0, 0, 1, 1, 1], [0, 1, 1, 0, 0], [0, 1, 0, 0, 0], [1, 0, 0, 1, 0]], float)
SEED_NEW = np.array([[0, 0, 1, 0, 0], [1, 0, 0, 0, 0]], float)


@pytest.fixture(scope="module")
def unit_digits(digits):
    return digits / 16.0


def _fit_quietly(model, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X)


@pytest.mark.slow
def test_same_random_init_matches_scikit_learn_on_digits(unit_digits):
    # Same start (init='random' draws in scikit-learn's order), same sweeps.
    ours = _fit_quietly(NMF(16, init="random", random_state=0, max_iter=200), unit_digits)
    ref = _fit_quietly(SklearnNMF(16, init="random", random_state=0, max_iter=200), unit_digits)
    assert ours.reconstruction_err_ <= 1.03 * ref.reconstruction_err_
    np.testing.assert_allclose(ours.reconstruction_err_, ref.reconstruction_err_, rtol=1e-6)
    np.testing.assert_allclose(ours.components_, ref.components_, rtol=1e-4, atol=1e-8)


@pytest.mark.slow
@pytest.mark.parametrize("init", ["nndsvd", "nndsvda"])
def test_svd_inits_reach_scikit_learns_error_within_3_percent(unit_digits, init):
    ours = _fit_quietly(NMF(16, init=init, max_iter=200), unit_digits)
    ref = _fit_quietly(SklearnNMF(16, init=init, max_iter=200, random_state=0), unit_digits)
    assert ours.reconstruction_err_ <= 1.03 * ref.reconstruction_err_


@pytest.mark.slow
def test_transform_is_as_good_as_scipy_nnls(unit_digits):
    model = _fit_quietly(NMF(16, init="random", random_state=0, max_iter=100), unit_digits[:1000])
    new = unit_digits[1000:1100]
    codes = model.transform(new)
    for row, code in zip(new, codes, strict=True):
        _, best = nnls(model.components_.T, row)
        ours = np.linalg.norm(row - code @ model.components_)
        assert ours <= 1.01 * best + 1e-12


@pytest.mark.slow
def test_seed_example_codes_are_non_negative_and_beat_clipped_projection():
    model = NMF(2, init="random", random_state=0, max_iter=200).fit(SEED_DATA)
    H = model.components_
    codes = model.transform(SEED_NEW)
    projection_codes = SEED_NEW @ H.T @ np.linalg.pinv(H @ H.T)
    assert (codes >= 0).all()
    assert (projection_codes < 0).any()  # the pseudo-inverse gives a negative code
    clipped = np.maximum(projection_codes, 0)
    ours = np.linalg.norm(SEED_NEW - codes @ H, axis=1)
    worse = np.linalg.norm(SEED_NEW - clipped @ H, axis=1)
    assert (ours <= worse + 1e-12).all()
    # Where the projection is already non-negative, NNLS finds the same codes.
    np.testing.assert_allclose(codes[0], projection_codes[0], rtol=1e-6)


@pytest.mark.slow
def test_inverse_transform_is_the_linear_decoder(unit_digits):
    model = _fit_quietly(NMF(8, init="nndsvda", max_iter=50), unit_digits)
    codes = model.transform(unit_digits[:20])
    np.testing.assert_allclose(model.inverse_transform(codes), codes @ model.components_)


@pytest.mark.slow
def test_factors_non_negative_and_dtype_kept(unit_digits):
    X = unit_digits.astype(np.float32)
    model = _fit_quietly(NMF(6, init="random", random_state=1, max_iter=50), X)
    W = model.transform(X)
    assert W.dtype == np.float32 and model.components_.dtype == np.float32
    assert (W >= 0).all() and (model.components_ >= 0).all()


@pytest.mark.slow
def test_accepts_tensor(unit_digits):
    model = _fit_quietly(NMF(4, init="random", random_state=0, max_iter=20),
                         tf.constant(unit_digits))
    assert model.components_.shape == (4, 64)


@pytest.mark.slow
def test_deterministic(unit_digits):
    first = _fit_quietly(NMF(5, init="random", random_state=3, max_iter=30), unit_digits)
    second = _fit_quietly(NMF(5, init="random", random_state=3, max_iter=30), unit_digits)
    np.testing.assert_array_equal(first.components_, second.components_)


@pytest.mark.slow
@pytest.mark.parametrize(("alpha_W", "l1_ratio"), [(0.01, 1.0), (0.01, 0.0), (0.005, 0.5)])
def test_penalties_follow_scikit_learn(unit_digits, alpha_W, l1_ratio):
    # A fixed random_state: scikit-learn's 'nndsvd' start uses a randomized SVD, which with None
    # draws from NumPy's global generator, whose state depends on the tests run before in the
    # same process (with two test workers that order changes; the match then missed 1e-4 once).
    params = dict(n_components=10, init="nndsvd", max_iter=100, alpha_W=alpha_W,
                  l1_ratio=l1_ratio, random_state=0)
    ours = _fit_quietly(NMF(**params), unit_digits)
    ref = _fit_quietly(SklearnNMF(**params), unit_digits)
    np.testing.assert_allclose(ours.reconstruction_err_, ref.reconstruction_err_, rtol=1e-4)
    if l1_ratio == 1.0:  # an L1 penalty makes the parts sparser than without it
        plain = _fit_quietly(NMF(10, init="nndsvd", max_iter=100), unit_digits)
        assert np.mean(ours.components_ == 0) > np.mean(plain.components_ == 0)


def test_warns_when_max_iter_is_reached(unit_digits):
    with pytest.warns(ConvergenceWarning, match="Maximum number of iterations 2"):
        NMF(5, init="random", random_state=0, max_iter=2, tol=1e-12).fit(unit_digits)


@pytest.mark.parametrize(
    ("X", "params", "error", "message"),
    [
        (-SEED_DATA - 1, {}, ValueError, "Negative values"),
        (np.array([[np.nan, 1.0], [1.0, 1.0]]), {}, ValueError, "NaN"),
        (np.array([[np.inf, 1.0], [1.0, 1.0]]), {}, ValueError, "infinity"),
        (SEED_DATA, {"n_components": 0}, InvalidParameterError,
         r"'n_components' parameter of NMF must be an int in the range \[1, inf\) or None"),
        (SEED_DATA, {"n_components": 1.5}, TypeError, "'n_components' parameter of NMF"),
        (SEED_DATA, {"init": "pca"}, InvalidParameterError, "'init' parameter of NMF"),
        (SEED_DATA, {"beta_loss": "kullback-leibler"}, ValueError, "frobenius"),
        (SEED_DATA, {"n_components": 6, "init": "nndsvd"}, ValueError, "init='random'"),
        (SEED_DATA, {"l1_ratio": 2.0}, InvalidParameterError, "'l1_ratio' parameter of NMF"),
        (SEED_DATA, {"max_iter": 0}, InvalidParameterError, "'max_iter' parameter of NMF"),
        (SEED_DATA, {"alpha_H": "other"}, InvalidParameterError, "'alpha_H' parameter of NMF"),
    ],
)
def test_bad_input(X, params, error, message):
    with pytest.raises(error, match=message):
        NMF(**{"n_components": 2, **params}).fit(X)


def test_transform_checks_features_and_sign():
    model = NMF(2, init="random", random_state=0).fit(SEED_DATA)
    with pytest.raises(ValueError, match="X has 3 features, but NMF is expecting 5"):
        model.transform(np.ones((2, 3)))
    with pytest.raises(ValueError, match="Negative values"):
        model.transform(-SEED_NEW)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 2\)"):
        model.inverse_transform(np.ones((2, 3)))
