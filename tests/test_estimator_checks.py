"""scikit-learn's ``check_estimator`` on every estimator of the library, in one place.

Each estimator is built with the parameters scikit-learn's own test suite uses for its
counterpart (``sklearn/utils/_test_common/instance_generator.py``) and may fail only the
checks scikit-learn expects its counterpart to fail (``PER_ESTIMATOR_XFAIL_CHECKS``).
"""

import pytest
from sklearn.utils.estimator_checks import check_estimator

from clustering_lib import NMF, KMeans, KMedoids, MiniBatchKMeans

_WEIGHTS_ARE_NOT_REPEATS = "sample_weight is not equivalent to removing/repeating samples."
_KMEANS_FAMILY_XFAIL = {
    "check_sample_weight_equivalence_on_dense_data": _WEIGHTS_ARE_NOT_REPEATS,
    "check_sample_weight_equivalence_on_sparse_data": _WEIGHTS_ARE_NOT_REPEATS,
}

# (estimator, checks it may fail, least number of checks that must pass)
CASES = {
    "KMeans": (KMeans(n_clusters=2, n_init=2, max_iter=5), _KMEANS_FAMILY_XFAIL, 50),
    "MiniBatchKMeans": (MiniBatchKMeans(n_init=2, n_clusters=2, max_iter=5, batch_size=10),
                        _KMEANS_FAMILY_XFAIL, 50),
    "KMedoids": (KMedoids(n_clusters=2), {}, 45),
    "NMF": (NMF(max_iter=500), {}, 40),
}


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
@pytest.mark.parametrize("name", list(CASES))
def test_passes_scikit_learns_check_estimator(name):
    estimator, expected_failures, least_passed = CASES[name]
    results = check_estimator(estimator, expected_failed_checks=expected_failures or None,
                              on_fail=None)
    failed = [(r["check_name"], repr(r["exception"])[:200]) for r in results
              if r["status"] == "failed"]
    assert failed == []
    xfailed = {r["check_name"] for r in results if r["status"] == "xfail"}
    assert xfailed <= set(expected_failures)
    assert sum(r["status"] == "passed" for r in results) >= least_passed
