"""A scikit-learn-compatible k-means estimator on top of :mod:`clustering_lib.core`.

The estimator is a thin layer: it validates parameters and input the way
scikit-learn's ``KMeans`` does (same names, meanings and messages), converts the
data to a tensor once, and runs the compiled TensorFlow kernels of ``core``.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
import tensorflow as tf
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import core

__all__ = ["KMeans"]

_DTYPES = [np.float32, np.float64]


def _check_params(estimator: KMeans, n_samples: int) -> tuple[int, bool]:
    """Validate hyper-parameters; return the number of runs and whether init is an array."""
    n_clusters = estimator.n_clusters
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, numbers.Integral):
        raise TypeError(f"n_clusters must be an integer, got {n_clusters!r}.")
    if n_clusters < 1:
        raise ValueError(f"n_clusters must be >= 1, got {n_clusters}.")
    if n_samples < n_clusters:
        raise ValueError(f"n_samples={n_samples} should be >= n_clusters={n_clusters}.")
    max_iter = estimator.max_iter
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}.")
    tol = estimator.tol
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol >= 0:
        raise ValueError(f"tol must be a number >= 0, got {tol!r}.")

    if estimator.metric not in ("euclidean", "cosine"):
        raise ValueError(f"metric must be 'euclidean' or 'cosine', got {estimator.metric!r}.")
    init = estimator.init
    init_is_array = not isinstance(init, str) and not callable(init)
    if isinstance(init, str) and init not in ("k-means++", "random"):
        raise ValueError(
            f"init must be 'k-means++', 'random', a callable or an array, got {init!r}."
        )

    n_init = estimator.n_init
    if isinstance(n_init, str):
        if n_init != "auto":
            raise ValueError(f"n_init must be 'auto' or an integer >= 1, got {n_init!r}.")
        n_init = 1 if init_is_array or init == "k-means++" else 10
    elif isinstance(n_init, bool) or not isinstance(n_init, numbers.Integral) or n_init < 1:
        raise ValueError(f"n_init must be 'auto' or an integer >= 1, got {n_init!r}.")
    if init_is_array and n_init != 1:
        warnings.warn(
            "Explicit initial center position passed: performing only one init in "
            f"KMeans instead of n_init={n_init}.",
            RuntimeWarning,
            stacklevel=3,
        )
        n_init = 1
    return int(n_init), init_is_array


def _same_clustering(labels_a: np.ndarray, labels_b: np.ndarray, n_clusters: int) -> bool:
    """Whether two labelings differ only by a permutation of cluster ids."""
    mapping = np.full(n_clusters, -1)
    mapping[labels_a] = labels_b
    return bool(np.array_equal(mapping[labels_a], labels_b))


class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """K-means clustering in TensorFlow, with scikit-learn's interface.

    Lloyd's algorithm runs as one compiled TensorFlow loop; the parameters,
    attributes, stopping rule, empty-cluster handling and k-means++ seeding follow
    :class:`sklearn.cluster.KMeans`, so the same initial centres give the same
    labels.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters and of centroids.
    init : {'k-means++', 'random'}, callable or array-like of shape \
            (n_clusters, n_features), default='k-means++'
        How to choose the initial centres: greedy k-means++; ``n_clusters``
        distinct observations at random; ``init(X, n_clusters, random_state)``
        returning an array; or the centres themselves.
    n_init : 'auto' or int, default='auto'
        Number of runs from different initial centres; the run with the lowest
        inertia is kept. 'auto' means 1 for 'k-means++' or an array and 10 for
        'random' or a callable.
    max_iter : int, default=300
        Maximum number of Lloyd iterations in one run.
    tol : float, default=1e-4
        Relative tolerance: a run stops when the squared shift of the centres,
        summed over clusters, is at most ``tol`` times the mean variance of the
        features (or when no label changes).
    random_state : int, RandomState instance or None, default=None
        Seed for the initialisation. An int gives identical results on every run.
    metric : {'euclidean', 'cosine'}, default='euclidean'
        'cosine' runs spherical k-means: the rows of X are scaled to unit length
        (a row of zeros is an error), points join the centre of largest cosine
        similarity, and centres are scaled back to unit length after every update.
        ``transform`` then returns cosine distances ``1 - cos`` and ``inertia_`` is
        their (weighted) sum.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of the cluster centres.
    labels_ : ndarray of shape (n_samples,)
        Label of each training point.
    inertia_ : float
        Sum of (weighted) squared distances of the points to their centre (with
        ``metric='cosine'``, of cosine distances).
    n_iter_ : int
        Number of Lloyd iterations of the kept run.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.

    See Also
    --------
    sklearn.cluster.KMeans : The reference implementation this estimator mirrors.

    Examples
    --------
    >>> import numpy as np
    >>> from clustering_lib import KMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> sorted(km.cluster_centers_.tolist())
    [[1.0, 2.0], [10.0, 2.0]]
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Any = "k-means++",
        n_init: str | int = "auto",
        max_iter: int = 300,
        tol: float = 1e-4,
        random_state: Any = None,
        metric: str = "euclidean",
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.metric = metric

    # ------------------------------------------------------------------ #
    def _validate_X(self, X: Any, reset: bool) -> np.ndarray:
        if isinstance(X, tf.Tensor | tf.Variable):
            X = X.numpy()
        X = validate_data(self, X, reset=reset, dtype=_DTYPES, order="C")
        if self.metric == "cosine":
            norms = np.linalg.norm(X, axis=1, keepdims=True)
            n_zero = int(np.count_nonzero(norms == 0))
            if n_zero:
                raise ValueError(
                    f"X has {n_zero} row(s) of zero length; metric='cosine' needs every "
                    "row to have a direction."
                )
            X = X / norms
        return X

    def _initial_centers(self, X, points, x_mean, weights, rng, init_is_array):
        """Initial centres for one run, in the mean-centred frame of ``points``.

        ``X`` is the validated data as given; an array or a callable ``init`` works
        in its frame, k-means++ and random seeding pick rows of ``points``.
        """
        init = self.init
        if init_is_array or callable(init):
            centers = init if init_is_array else init(X, self.n_clusters, random_state=rng)
            centers = np.asarray(centers)
            if centers.shape != (self.n_clusters, X.shape[1]):
                raise ValueError(
                    f"The shape of the initial centers {centers.shape} does not match "
                    f"(n_clusters, n_features) = ({self.n_clusters}, {X.shape[1]})."
                )
            return core.as_float_tensor(centers, "init", dtype=points.dtype) - x_mean
        if init == "k-means++":
            return core._kmeans_plusplus_checked(points, self.n_clusters, rng, weights)[0]
        return core._random_init_checked(points, self.n_clusters, rng, weights)[0]

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> KMeans:
        """Compute k-means clustering.

        Parameters
        ----------
        X : array-like or tf.Tensor of shape (n_samples, n_features)
            Training data. float32 and float64 are kept; other types become float32.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each observation. Not used by an explicit or callable init.

        Returns
        -------
        self : KMeans
            Fitted estimator.
        """
        X = self._validate_X(X, reset=True)
        n_init, init_is_array = _check_params(self, X.shape[0])
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        rng = check_random_state(self.random_state)

        # The tolerance is relative to the mean feature variance. Centring the data
        # leaves distances unchanged and lets the expanded distance formula lose less
        # precision. Both are computed in NumPy exactly as scikit-learn does, so that
        # the two implementations stop at the same iteration.
        tol = float(np.mean(np.var(X, axis=0)) * self.tol) if self.tol > 0 else 0.0
        spherical = self.metric == "cosine"
        # Spherical k-means works on the unit sphere itself: no centring there.
        x_mean = np.zeros(X.shape[1], X.dtype) if spherical else X.mean(axis=0)
        points = tf.constant(X - x_mean)
        weights = tf.constant(sample_weight)

        best = None
        for _ in range(n_init):
            centers = self._initial_centers(X, points, x_mean, weights, rng, init_is_array)
            if spherical:
                centers = core._unit_rows(centers, centers)
            result = core._lloyd_checked(points, weights, centers, self.max_iter, tol,
                                         spherical=spherical)
            labels = result.labels.numpy()
            # On unit vectors ||x - c||^2 = 2 (1 - cos): half is the cosine distance.
            inertia = float(result.inertia) / (2.0 if spherical else 1.0)
            if best is None or (
                inertia < best[2] and not _same_clustering(labels, best[1], self.n_clusters)
            ):
                best = (result.centers.numpy(), labels, inertia, int(result.n_iter))

        centers, labels, inertia, n_iter = best
        n_distinct = len(np.unique(labels))
        if n_distinct < self.n_clusters:
            warnings.warn(
                f"Number of distinct clusters ({n_distinct}) found smaller than "
                f"n_clusters ({self.n_clusters}). Possibly due to duplicate points in X.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.cluster_centers_ = (centers + x_mean).astype(X.dtype, copy=False)
        self._n_features_out = self.n_clusters
        self.labels_ = labels
        self.inertia_ = inertia
        self.n_iter_ = n_iter
        return self

    def _check_test_data(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        return self._validate_X(X, reset=False)

    def _centers_tensor(self, dtype) -> tf.Tensor:
        return tf.constant(self.cluster_centers_.astype(dtype, copy=False))

    def predict(self, X: Any) -> np.ndarray:
        """Index of the nearest cluster centre for each sample.

        Parameters
        ----------
        X : array-like or tf.Tensor of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        X = self._check_test_data(X)
        labels, _ = core._assign_fn(tf.constant(X), self._centers_tensor(X.dtype))
        return labels.numpy()

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit, then return the training labels (``labels_``)."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def transform(self, X: Any) -> np.ndarray:
        """Distance from each sample to each cluster centre.

        Euclidean distances, or cosine distances ``1 - cos`` with ``metric='cosine'``.

        Parameters
        ----------
        X : array-like or tf.Tensor of shape (n_samples, n_features)

        Returns
        -------
        distances : ndarray of shape (n_samples, n_clusters)
        """
        X = self._check_test_data(X)
        return self._transform(X)

    def _transform(self, X: np.ndarray) -> np.ndarray:
        squared = core._squared_distances(tf.constant(X), self._centers_tensor(X.dtype))
        if self.metric == "cosine":  # unit vectors: ||x - c||^2 = 2 (1 - cos)
            return (squared / 2.0).numpy()
        return tf.sqrt(squared).numpy()

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit, then return the distances of the training data to the centres."""
        self.fit(X, sample_weight=sample_weight)
        return self._transform(self._validate_X(X, reset=False))

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the (weighted) inertia of ``X`` on the fitted centres.

        Parameters
        ----------
        X : array-like or tf.Tensor of shape (n_samples, n_features)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
            ``-sum(w * squared distance to nearest centre)`` (cosine distance with
            ``metric='cosine'``); higher is better.
        """
        X = self._check_test_data(X)
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        _, distances = core._assign_fn(tf.constant(X), self._centers_tensor(X.dtype))
        if self.metric == "cosine":
            distances = distances / 2.0
        return -float(tf.reduce_sum(distances * sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
