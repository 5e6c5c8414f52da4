"""scikit-learn's own k-means test suite, run against clustering_lib's estimators.

The test file ``sklearn/cluster/tests/test_k_means.py`` of the installed scikit-learn is
loaded at test time (it is not copied into this repository) while
``sklearn.cluster.KMeans`` and ``sklearn.cluster.MiniBatchKMeans`` are replaced by
:class:`clustering_lib.KMeans` and :class:`clustering_lib.MiniBatchKMeans`, so every
``from sklearn.cluster import KMeans`` in it, parametrisations included, gets ours. Its test
functions are then collected from this module. The two fixtures that scikit-learn's
``conftest.py`` provides are defined here the same way: ``global_random_seed`` (42, or the
seeds named by ``SKLEARN_TESTS_GLOBAL_RANDOM_SEED``) and ``global_dtype`` (float64, and
float32 too: scikit-learn runs float32 only with ``SKLEARN_RUN_FLOAT32_TESTS=1``, this
suite always does). Every collected test passes: there are no expected failures.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib

import numpy as np
import pytest
import sklearn
import sklearn.cluster

from clustering_lib import KMeans, MiniBatchKMeans

# The whole peer suite is slow (about 300 items): `make test` runs it, a plain `pytest` not.
pytestmark = pytest.mark.slow

SUITE_PATH = pathlib.Path(sklearn.__file__).parent / "cluster" / "tests" / "test_k_means.py"

# Tests of the suite that never reach our estimators: they call scikit-learn's private
# helpers or its ``k_means``/``kmeans_plusplus`` functions, which use scikit-learn's own
# classes whatever ``sklearn.cluster`` holds. Passing them says nothing about this library,
# so they are not collected (scikit-learn's own test run covers them).
SCIKIT_LEARN_ONLY = {
    "test_euclidean_distance", "test_inertia", "test_is_same_clustering",
    "test_k_means_function", "test_kmeans_plusplus_dataorder", "test_kmeans_plusplus_norms",
    "test_kmeans_plusplus_output", "test_kmeans_plusplus_wrong_params",
    "test_minibatch_reassign", "test_minibatch_update_consistency",
    "test_relocate_empty_clusters",
}


def _load_suite():
    """scikit-learn's test module, executed with our estimators in ``sklearn.cluster``."""
    spec = importlib.util.spec_from_file_location("sklearn_test_k_means_substituted", SUITE_PATH)
    module = importlib.util.module_from_spec(spec)
    originals = sklearn.cluster.KMeans, sklearn.cluster.MiniBatchKMeans
    sklearn.cluster.KMeans, sklearn.cluster.MiniBatchKMeans = KMeans, MiniBatchKMeans
    try:
        spec.loader.exec_module(module)
    finally:
        sklearn.cluster.KMeans, sklearn.cluster.MiniBatchKMeans = originals
    return module


_suite = _load_suite()
assert _suite.KMeans is KMeans and _suite.MiniBatchKMeans is MiniBatchKMeans
SUITE_TESTS = sorted(name for name in vars(_suite)
                     if name.startswith("test_") and name not in SCIKIT_LEARN_ONLY)
globals().update({name: getattr(_suite, name) for name in SUITE_TESTS})


def _random_seeds() -> list[int]:
    """The seeds scikit-learn's conftest uses (SKLEARN_TESTS_GLOBAL_RANDOM_SEED, default 42)."""
    value = os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED")
    if value is None:
        return [42]
    if value == "all":
        return list(range(100))
    if "-" in value:
        start, stop = value.split("-")
        return list(range(int(start), int(stop) + 1))
    return [int(value)]


@pytest.fixture(params=_random_seeds())
def global_random_seed(request):
    return request.param


@pytest.fixture(params=[np.float32, np.float64])
def global_dtype(request):
    return request.param


def test_the_suite_is_scikit_learns_and_complete():
    # The installed file itself, with its two estimators replaced and nothing else.
    assert SUITE_PATH.is_file()
    assert _suite.k_means is sklearn.cluster.k_means
    every_test = {name for name in vars(_suite) if name.startswith("test_")}
    assert SCIKIT_LEARN_ONLY <= every_test, SCIKIT_LEARN_ONLY - every_test
    assert len(SUITE_TESTS) >= 45
