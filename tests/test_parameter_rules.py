"""One set of rules for every estimator's parameters and input dtypes (issue 20, item 6).

KMeans, KMedoids and NMF declare their parameters in ``parameter_constraints`` and check
them with the same ``_validate_params``, first in ``fit``: a bad value raises
``InvalidParameterError`` (a ValueError and a TypeError) with scikit-learn's message,
whatever the data. Input follows scikit-learn's dtype rule: float32 and float64 are kept,
anything else (integers here) becomes float64.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from clustering_lib import NMF, InvalidParameterError, KMeans, KMedoids

# Non-negative integers, so that NMF takes them too.
INTEGERS = np.array([[0, 0], [1, 0], [0, 1], [5, 5], [6, 5], [5, 6]])
DISTANCES = np.abs(INTEGERS[:, None, :] - INTEGERS[None, :, :]).sum(axis=2)  # integer, too

ESTIMATORS = {
    "KMeans": lambda **params: KMeans(**{"n_clusters": 2, "n_init": 1, "random_state": 0,
                                         **params}),
    "KMedoids": lambda **params: KMedoids(**{"n_clusters": 2, "random_state": 0, **params}),
    "NMF": lambda **params: NMF(**{"n_components": 2, "random_state": 0, **params}),
}

BAD_PARAMETERS = [
    ("KMeans", "n_clusters", 0, "an int in the range [1, inf)"),
    ("KMeans", "max_iter", 0, "an int in the range [1, inf)"),
    ("KMeans", "tol", -1.0, "a float in the range [0, inf)"),
    ("KMedoids", "n_clusters", 0, "an int in the range [1, inf)"),
    ("KMedoids", "n_clusters", 2.5, "an int in the range [1, inf)"),
    ("KMedoids", "metric", "manhattan",
     "a str among {'cosine', 'euclidean', 'precomputed'}"),
    ("KMedoids", "n_init", 0, "an int in the range [1, inf)"),
    ("NMF", "n_components", 0, "an int in the range [1, inf) or None"),
    ("NMF", "l1_ratio", 2.0, "a float in the range [0, 1]"),
    ("NMF", "init", "pca", "a str among {'nndsvd', 'nndsvda', 'random'} or None"),
]


@pytest.mark.parametrize(("name", "parameter", "value", "expected"), BAD_PARAMETERS)
def test_a_bad_parameter_raises_invalid_parameter_error_naming_it(name, parameter, value,
                                                                  expected):
    estimator = ESTIMATORS[name](**{parameter: value})
    with pytest.raises(InvalidParameterError) as caught:
        estimator.fit(INTEGERS)
    assert str(caught.value) == (
        f"The {parameter!r} parameter of {name} must be {expected}. Got {value!r} instead."
    )
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, TypeError)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_parameters_are_checked_before_the_data(name):
    parameter = "n_components" if name == "NMF" else "n_clusters"
    not_data = np.array([[np.nan, -1.0]])  # NaN, negative and too few rows: all refused
    with pytest.raises(InvalidParameterError, match=f"'{parameter}' parameter of {name}"):
        ESTIMATORS[name](**{parameter: 0}).fit(not_data)


def _fitted_and_transformed(name, X, **params):
    """The fitted centres or components, and the transform of X."""
    estimator = ESTIMATORS[name](**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # NMF's transform on tiny data
        estimator.fit(X)
        transformed = estimator.transform(X)
    fitted = estimator.components_ if name == "NMF" else estimator.cluster_centers_
    return fitted, transformed


CASES = [("KMeans", INTEGERS, {}), ("KMedoids", INTEGERS, {}),
         ("KMedoids", DISTANCES, {"metric": "precomputed"}), ("NMF", INTEGERS, {})]
IDS = ["KMeans", "KMedoids", "KMedoids-precomputed", "NMF"]


@pytest.mark.parametrize(("name", "X", "params"), CASES, ids=IDS)
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float64])
def test_integers_become_float64_and_floats_keep_their_dtype(name, X, params, dtype):
    expected = dtype if dtype in (np.float32, np.float64) else np.float64
    fitted, transformed = _fitted_and_transformed(name, X.astype(dtype), **params)
    assert transformed.dtype == expected
    if fitted is not None:  # KMedoids on a precomputed matrix has no centres
        assert fitted.dtype == expected
