"""KMeans inside scikit-learn's model selection: ParameterGrid and GridSearchCV."""

import numpy as np
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.metrics import silhouette_score
from sklearn.model_selection import GridSearchCV, ParameterGrid

from clustering_lib import KMeans


def silhouette_scorer(estimator, X, y=None):
    return silhouette_score(X, estimator.predict(X))


def test_parameter_grid_picks_the_true_number_of_blobs():
    X, _ = make_blobs(n_samples=300, centers=4, cluster_std=0.6, random_state=0)
    scores = {}
    for params in ParameterGrid({"n_clusters": [2, 3, 4, 5, 6], "init": ["k-means++", "random"]}):
        model = KMeans(random_state=0, **params).fit(X)
        scores[(params["n_clusters"], params["init"])] = silhouette_score(X, model.labels_)
    best = max(scores, key=scores.get)
    assert best[0] == 4


def test_grid_search_without_cross_validation():
    # One "split" whose train and test sets are both the whole data set.
    X, _ = make_blobs(n_samples=300, centers=3, cluster_std=0.5, random_state=1)
    everything = np.arange(len(X))
    search = GridSearchCV(
        KMeans(random_state=0),
        {"n_clusters": [2, 3, 4, 5], "init": ["k-means++", "random"]},
        scoring=silhouette_scorer,
        cv=[(everything, everything)],
    ).fit(X)
    assert search.best_params_["n_clusters"] == 3
    assert len(search.cv_results_["params"]) == 8
    best = clone(search.best_estimator_).fit(X)
    assert silhouette_scorer(best, X) == search.best_score_
