"""A scikit-learn-compatible k-means estimator on top of :mod:`clustering_lib.core`.

The estimator is a thin layer: it validates parameters and input the way
scikit-learn's ``KMeans`` does (same names, meanings and messages), converts the
data to a tensor once, and runs the compiled TensorFlow kernels of ``core``.

Beyond scikit-learn it offers partially given initial centres (NaN in an ``init``
array), coordinates held fixed during the fit (``fixed_features``) and
:meth:`KMeans.inverse_transform`, which recovers points from their distances to the
centres.
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
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    validate_data,
)

from . import core

__all__ = ["DegenerateCentersWarning", "InconsistentDistancesWarning", "KMeans"]

_DTYPES = [np.float32, np.float64]

# Relative error (on distances, against the largest distance of the row) above which
# KMeans.inverse_transform warns that the given distances fit no point.
_INVERSE_RTOL = {np.dtype(np.float64): 1e-3, np.dtype(np.float32): 1e-2}


class DegenerateCentersWarning(RuntimeWarning):
    """The fitted centres span fewer dimensions than their number allows.

    Raised by :meth:`KMeans.inverse_transform` when duplicate or collinear centres
    leave fewer coordinates recoverable than ``min(n_clusters - 1, n_features)``.
    """


class InconsistentDistancesWarning(RuntimeWarning):
    """Distances given to :meth:`KMeans.inverse_transform` fit no point.

    The returned points then only approximate the distances (least squares).
    """


def _resolve_init(estimator: Any, auto_runs_without_plusplus: int) -> tuple[int, bool]:
    """Check ``init`` and ``n_init`` of a k-means estimator, as scikit-learn does.

    Returns the number of runs and whether ``init`` is an explicit array. ``n_init='auto'``
    means one run for k-means++ or an array and ``auto_runs_without_plusplus`` otherwise;
    an explicit array with more runs warns and runs once.
    """
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
        n_init = 1 if init_is_array or init == "k-means++" else auto_runs_without_plusplus
    elif isinstance(n_init, bool) or not isinstance(n_init, numbers.Integral) or n_init < 1:
        raise ValueError(f"n_init must be 'auto' or an integer >= 1, got {n_init!r}.")
    if init_is_array and n_init != 1:
        warnings.warn(
            "Explicit initial center position passed: performing only one init in "
            f"{type(estimator).__name__} instead of n_init={n_init}.",
            RuntimeWarning,
            stacklevel=4,
        )
        n_init = 1
    return int(n_init), init_is_array


def _check_init_shape(centers: np.ndarray, n_clusters: int, n_features: int) -> None:
    """An explicit or callable init must have shape (n_clusters, n_features)."""
    if centers.shape != (n_clusters, n_features):
        raise ValueError(
            f"The shape of the initial centers {centers.shape} does not match "
            f"(n_clusters, n_features) = ({n_clusters}, {n_features})."
        )


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
    return _resolve_init(estimator, auto_runs_without_plusplus=10)


def _check_fixed_features(
    fixed_features: Any, n_features: int, metric: str
) -> np.ndarray | None:
    """Validate ``fixed_features``; return a boolean column mask, or None if none is fixed."""
    if fixed_features is None:
        return None
    if isinstance(fixed_features, str | bytes | numbers.Number):
        raise TypeError(
            "fixed_features must be None or a list of feature indices (int), got "
            f"{fixed_features!r}."
        )
    try:
        indices = list(fixed_features)
    except TypeError:
        raise TypeError(
            "fixed_features must be None or a list of feature indices (int), got "
            f"{fixed_features!r}."
        ) from None
    for index in indices:
        if isinstance(index, bool | np.bool_) or not isinstance(index, numbers.Integral):
            raise TypeError(
                f"fixed_features must hold integer feature indices, got {index!r} "
                f"({type(index).__name__})."
            )
    indices = [int(index) for index in indices]
    outside = [index for index in indices if not 0 <= index < n_features]
    if outside:
        raise ValueError(
            f"fixed_features must lie in [0, n_features={n_features}), got {outside}."
        )
    repeated = sorted({index for index in indices if indices.count(index) > 1})
    if repeated:
        raise ValueError(
            f"fixed_features must not repeat an index, got {repeated} more than once."
        )
    if not indices:
        return None
    if metric == "cosine":
        raise ValueError(
            "fixed_features is not supported with metric='cosine': the centres are "
            "rescaled to unit length after every update, which would move the fixed "
            "coordinates."
        )
    mask = np.zeros(n_features, dtype=bool)
    mask[indices] = True
    return mask


def _check_init_array(
    centers: Any, n_clusters: int, n_features: int, dtype: np.dtype, metric: str
) -> np.ndarray:
    """Validate an explicit init (NaN allowed); return it as a new ``dtype`` array."""
    if isinstance(centers, tf.Tensor | tf.Variable):
        centers = centers.numpy()
    centers = np.asarray(centers)
    _check_init_shape(centers, n_clusters, n_features)
    if centers.dtype.kind not in "biuf":
        raise TypeError(
            f"init must hold real numbers (NaN for an unknown coordinate), got an array "
            f"of dtype {centers.dtype}."
        )
    centers = centers.astype(dtype)
    if np.isinf(centers).any():
        raise ValueError("init contains infinity; NaN marks an unknown coordinate.")
    unknown = np.isnan(centers)
    if not unknown.any():
        return centers
    if metric == "cosine":
        raise ValueError(
            "init contains NaN (a partially given centre), which metric='cosine' does "
            "not support; give every coordinate of every centre."
        )
    empty_rows = np.flatnonzero(unknown.all(axis=1)).tolist()
    if empty_rows:
        rows = ", ".join(map(str, empty_rows))
        raise ValueError(
            f"init row{'s' if len(empty_rows) > 1 else ''} {rows} "
            f"ha{'ve' if len(empty_rows) > 1 else 's'} no known coordinate (all NaN); "
            "give at least one coordinate of every centre."
        )
    return centers


def _complete_partial_centers(
    centers: np.ndarray, points: tf.Tensor, x_mean: np.ndarray, weights: tf.Tensor
) -> np.ndarray:
    """Fill the NaN coordinates of ``centers`` from the data.

    Each point goes to the centre nearest in that centre's known coordinates: with the
    mask ``M`` of known entries and ``m`` the centres with zeros for NaN, the squared
    distances are ``x^2 @ M.T - 2 x @ m.T + sum(m^2)`` for all points and centres at
    once. An unknown coordinate then becomes the weighted mean of that coordinate over
    the centre's points. ``centers`` is in the data's frame, ``points`` and ``x_mean``
    are the mean-centred data and its mean; the known entries are returned unchanged.
    """
    n_clusters = centers.shape[0]
    known = ~np.isnan(centers)
    offsets = np.where(known, centers - x_mean, 0.0).astype(centers.dtype)
    mask = tf.constant(known.astype(centers.dtype))
    offsets = tf.constant(offsets)
    distances = (
        tf.matmul(tf.square(points), mask, transpose_b=True)
        - 2.0 * tf.matmul(points, offsets, transpose_b=True)
        + tf.reduce_sum(tf.square(offsets), axis=1)
    )
    labels = tf.argmin(distances, axis=1, output_type=tf.int32)
    sums, totals = core.cluster_sums(points, weights, labels, n_clusters)
    means = tf.math.divide_no_nan(sums, totals[:, None]).numpy() + x_mean
    starved = np.flatnonzero((totals.numpy() <= 0) & ~known.all(axis=1)).tolist()
    if starved:
        several = len(starved) > 1
        rows = ", ".join(map(str, starved))
        raise ValueError(
            f"Cannot complete the partially given init: centre{'s' if several else ''} "
            f"{rows} (init row{'s' if several else ''} {rows}) ha{'ve' if several else 's'} "
            "unknown (NaN) coordinates but no point of positive weight is nearest to "
            f"{'them' if several else 'it'} in the known coordinates, so there is no mean "
            "to fill them with. Give more coordinates of "
            f"{'these centres' if several else 'that centre'}, or move the known ones "
            "closer to the data."
        )
    return np.where(known, centers, means).astype(centers.dtype)


def _same_clustering(labels_a: np.ndarray, labels_b: np.ndarray, n_clusters: int) -> bool:
    """Whether two labelings differ only by a permutation of cluster ids."""
    mapping = np.full(n_clusters, -1)
    mapping[labels_a] = labels_b
    return bool(np.array_equal(mapping[labels_a], labels_b))


class _CentreModelMixin:
    """``predict``, ``transform`` and ``score`` from ``cluster_centers_``.

    Shared by the k-means estimators (:class:`KMeans`, ``MiniBatchKMeans``); an
    estimator with ``metric='cosine'`` gets cosine distances. Subclasses provide
    ``_validate_X(X, reset)``.
    """

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
        labels, _ = core.nearest_centers(X, self._centers_tensor(X.dtype))
        return labels.numpy()

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
        squared = core.center_distances(X, self._centers_tensor(X.dtype), squared=True)
        if getattr(self, "metric", "euclidean") == "cosine":
            return (squared / 2.0).numpy()  # unit vectors: ||x - c||^2 = 2 (1 - cos)
        return tf.sqrt(squared).numpy()

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
        _, distances = core.nearest_centers(X, self._centers_tensor(X.dtype))
        if getattr(self, "metric", "euclidean") == "cosine":
            distances = distances / 2.0
        return -float(tf.reduce_sum(distances * sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class KMeans(
    _CentreModelMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin,
    BaseEstimator
):
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

        An array (or the callable's result) may be partially given: NaN marks an
        unknown coordinate. Each point is then assigned to the centre nearest in
        that centre's known coordinates only (centres may know different
        coordinates), each unknown coordinate starts at the (weighted) mean of that
        coordinate over the centre's points, and Lloyd's algorithm runs from these
        completed centres (see ``init_centers_``). Every row needs at least one
        known coordinate, and a centre with unknown coordinates must be nearest to
        at least one point of positive weight; otherwise fit raises ValueError.
        Note that a centre knowing fewer coordinates sums fewer squared
        differences, so it tends to attract more points. Not supported with
        ``metric='cosine'``.
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
    fixed_features : list of int or None, default=None
        Indices of features whose centre coordinates stay at their initial values
        for the whole fit, whatever ``init`` chose them to be (given, completed
        from NaN, or picked from the data by k-means++ or 'random'); the other
        coordinates are updated as usual. The stopping rule and empty-cluster
        relocation still apply: a relocated centre takes a far point's
        coordinates, except on the fixed features. Checked in :meth:`fit`
        (integers in ``[0, n_features)``, no repeats). Not supported with
        ``metric='cosine'``, whose unit-length rescaling would move them.

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
    init_centers_ : ndarray of shape (n_clusters, n_features)
        The centres the kept run started from: the ``init`` array with its NaN
        coordinates filled in, or the centres a callable, k-means++ or 'random'
        chose (scaled to unit length with ``metric='cosine'``). The columns named
        in ``fixed_features`` of ``cluster_centers_`` equal these exactly.
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
        fixed_features: list[int] | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.metric = metric
        self.fixed_features = fixed_features

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

    def _initial_centers(self, X, points, x_mean, weights, rng, init_is_array) -> np.ndarray:
        """Initial centres for one run, in the frame of ``X`` (NaN coordinates filled).

        ``X`` is the validated data as given, ``points`` the same data centred by
        ``x_mean``; k-means++ and random seeding return rows of ``X`` itself, so the
        coordinates they choose are exact data values.
        """
        init = self.init
        if init_is_array or callable(init):
            centers = init if init_is_array else init(X, self.n_clusters, random_state=rng)
            centers = _check_init_array(
                centers, self.n_clusters, X.shape[1], X.dtype, self.metric
            )
            if np.isnan(centers).any():
                centers = _complete_partial_centers(centers, points, x_mean, weights)
            return centers
        if init == "k-means++":
            indices = core.kmeans_plusplus_indices(points, self.n_clusters, rng, weights)
        else:
            indices = core.random_init_indices(points, self.n_clusters, rng, weights)
        return X[indices]

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> KMeans:
        """Compute k-means clustering.

        Parameters
        ----------
        X : array-like or tf.Tensor of shape (n_samples, n_features)
            Training data. float32 and float64 are kept; other types become float32.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each observation. An explicit or callable init uses it only to
            fill in NaN coordinates (weighted means).

        Returns
        -------
        self : KMeans
            Fitted estimator.
        """
        X = self._validate_X(X, reset=True)
        n_init, init_is_array = _check_params(self, X.shape[0])
        fixed_mask = _check_fixed_features(self.fixed_features, X.shape[1], self.metric)
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
            init_centers = self._initial_centers(X, points, x_mean, weights, rng, init_is_array)
            centers = tf.constant(init_centers - x_mean)
            if spherical:
                centers = core.unit_rows(centers, centers)
                init_centers = centers.numpy()  # x_mean is zero here
            result = core.run_lloyd(points, weights, centers, max_iter=self.max_iter, tol=tol,
                                    spherical=spherical, fixed_mask=fixed_mask)
            labels = result.labels.numpy()
            # On unit vectors ||x - c||^2 = 2 (1 - cos): half is the cosine distance.
            inertia = float(result.inertia) / (2.0 if spherical else 1.0)
            if best is None or (
                inertia < best[2] and not _same_clustering(labels, best[1], self.n_clusters)
            ):
                best = (result.centers.numpy(), labels, inertia, int(result.n_iter),
                        init_centers)

        centers, labels, inertia, n_iter, init_centers = best
        n_distinct = len(np.unique(labels))
        if n_distinct < self.n_clusters:
            warnings.warn(
                f"Number of distinct clusters ({n_distinct}) found smaller than "
                f"n_clusters ({self.n_clusters}). Possibly due to duplicate points in X.",
                ConvergenceWarning,
                stacklevel=2,
            )
        centers = (centers + x_mean).astype(X.dtype, copy=False)
        if fixed_mask is not None:
            # The loop kept them at init - x_mean; adding x_mean back may round.
            centers[:, fixed_mask] = init_centers[:, fixed_mask]
        self.cluster_centers_ = centers
        self.init_centers_ = init_centers
        self._n_features_out = self.n_clusters
        self.labels_ = labels
        self.inertia_ = inertia
        self.n_iter_ = n_iter
        return self

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit, then return the training labels (``labels_``)."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit, then return the distances of the training data to the centres."""
        self.fit(X, sample_weight=sample_weight)
        return self._transform(self._validate_X(X, reset=False))

    def inverse_transform(self, distances: Any) -> np.ndarray:
        """Points whose Euclidean distances to the centres are ``distances``.

        The inverse of :meth:`transform` (trilateration). For a point ``x`` and
        centres ``c_j``, ``||x - c_j||^2 = D_j^2`` for every j. Subtracting the mean
        of these k equations removes ``||x||^2`` and leaves a linear system: with
        ``a_j = c_j - mean(c)``,

            ``a_j . (x - mean(c)) = (||a_j||^2 - mean ||a||^2 - D_j^2 + mean D^2) / 2``.

        It only sees the component of ``x`` along the directions ``a_j``, which
        span the centres' affine hull (of dimension ``r <= min(k - 1, d)``). The
        minimum-norm least-squares solution, for all rows at once, gives:

        - with ``r = d`` (at least d + 1 centres in general position): ``x`` itself,
          up to rounding;
        - with ``r < d``: the orthogonal projection of ``x`` onto the affine hull.
          The hull contains every centre, so this point is never farther from
          ``x`` than the nearest centre ``cluster_centers_[predict(x)]``.

        Parameters
        ----------
        distances : array-like or tf.Tensor of shape (n_samples, n_clusters)
            Non-negative Euclidean distances to the k centres, as returned by
            :meth:`transform`.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            float64, or float32 when ``distances`` is float32.

        Raises
        ------
        ValueError
            If ``distances`` is not 2-D, has a number of columns other than
            ``n_clusters``, or holds NaN, infinite or negative values; or if the
            model uses ``metric='cosine'`` (not supported).
        NotFittedError
            If the model is not fitted.

        Warns
        -----
        DegenerateCentersWarning
            If the centres span fewer than ``min(n_clusters - 1, n_features)``
            dimensions (duplicate or collinear centres): only ``r`` dimensions are
            recovered.
        InconsistentDistancesWarning
            If rows of ``distances`` fit no point: the distances recomputed from the
            result (plus, when ``r < d``, the common distance to the hull) differ
            from the given ones by more than 1e-3 (1e-2 for float32) of the row's
            largest distance. Those rows are least-squares compromises.
        """
        check_is_fitted(self)
        if self.metric != "euclidean":
            raise ValueError(
                "inverse_transform supports metric='euclidean' only; cosine distances "
                "to unit centres do not determine a point's length."
            )
        if isinstance(distances, tf.Tensor | tf.Variable):
            distances = distances.numpy()
        n_clusters, n_features = self.cluster_centers_.shape
        shape = np.shape(distances)
        if len(shape) != 2:
            raise ValueError(
                f"distances must be a 2-D array of shape (n_samples, n_clusters={n_clusters}),"
                f" got shape {shape}."
            )
        if shape[1] != n_clusters:
            raise ValueError(
                f"distances has {shape[1]} columns but the model has n_clusters={n_clusters} "
                "centres; give one distance per centre."
            )
        distances = check_array(distances, dtype=_DTYPES, input_name="distances")
        n_negative = int(np.count_nonzero(distances < 0))
        if n_negative:
            raise ValueError(
                f"distances must be non-negative, got {n_negative} negative value(s)."
            )

        centers = self.cluster_centers_.astype(np.float64)
        squared = np.square(distances.astype(np.float64))
        origin = centers.mean(axis=0)
        offsets = centers - origin  # a_j: rows span the directions of the affine hull
        offset_norms = np.sum(np.square(offsets), axis=1)
        rhs = 0.5 * (
            (offset_norms - offset_norms.mean())
            - (squared - squared.mean(axis=1, keepdims=True))
        )
        # One least-squares solve for all rows: offsets @ y_i = rhs_i, minimum norm.
        solution, _, rank, _ = np.linalg.lstsq(offsets, rhs.T, rcond=None)
        y = solution.T
        expected_rank = min(n_clusters - 1, n_features)
        if rank < expected_rank:
            warnings.warn(
                f"The {n_clusters} cluster centres span an affine subspace of dimension "
                f"{rank}, less than min(n_clusters - 1, n_features) = {expected_rank} "
                f"(duplicate or collinear centres): only {rank} of the {n_features} "
                "dimensions can be recovered; the result is the projection onto that "
                "subspace.",
                DegenerateCentersWarning,
                stacklevel=2,
            )

        # Residual check: distances recomputed from the result. Off the hull (r < d)
        # every squared distance exceeds the in-hull one by the same h^2 >= 0.
        fitted = np.maximum(
            np.sum(np.square(y), axis=1, keepdims=True) - 2.0 * y @ offsets.T + offset_norms,
            0.0,
        )
        if rank < n_features:
            height = np.maximum(np.mean(squared - fitted, axis=1, keepdims=True), 0.0)
            fitted = fitted + height
        scale = np.maximum(distances.max(axis=1), np.sqrt(offset_norms.mean()))
        error = np.max(np.abs(np.sqrt(fitted) - distances), axis=1) / np.maximum(
            scale, np.finfo(np.float64).tiny
        )
        rtol = _INVERSE_RTOL[distances.dtype]
        n_bad = int(np.count_nonzero(error > rtol))
        if n_bad:
            warnings.warn(
                f"{n_bad} of {len(distances)} rows of distances are not the distances of "
                f"any point to the {n_clusters} centres (largest relative error "
                f"{error.max():.3g} > {rtol:g}); their points are least-squares "
                "compromises.",
                InconsistentDistancesWarning,
                stacklevel=2,
            )
        return (origin + y).astype(distances.dtype, copy=False)
