"""The shared base of the k-means estimators: one table of parameter constraints, input
validation, initial centres, and the methods that only need ``cluster_centers_``.

:class:`BaseKMeans` is what :class:`~clustering_lib.KMeans` and
:class:`~clustering_lib.MiniBatchKMeans` have in common, as scikit-learn's ``_BaseKMeans``
is for its two estimators. Each estimator (these two, :class:`~clustering_lib.KMedoids`
and :class:`~clustering_lib.NMF`) declares its parameters once, in ``parameter_constraints``
(a dict from name to a list of accepted kinds: an :class:`Interval`, :class:`Options`,
``"array-like"``, ``"boolean"``, ``"verbose"``, ``"random_state"``, ``callable`` or
``None``), and :meth:`ValidatedParameters._validate_params` checks them all at the start of
``fit``, before the data are looked at. A value that fits none of its constraints raises
:class:`InvalidParameterError` (both a ValueError and a TypeError) with scikit-learn's
message shape: "The 'n_clusters' parameter of KMeans must be an int in the range [1, inf).
Got 0 instead."

Why not scikit-learn's own machinery? ``Interval``, ``StrOptions``, ``validate_params`` and
``_fit_context`` live in the private module ``sklearn.utils._param_validation`` (and
``BaseEstimator._validate_params`` is private too): they can change in any release
without notice. The hundred lines below give the same behaviour on public ground.
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings
from collections.abc import Callable, Collection, Iterator
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
import tensorflow as tf
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from . import core
from .core._inits import INITS
from .core._metrics import METRICS
from .core._sources import as_source
from .core._validation import feature_variances, unit_length_rows

__all__ = [
    "BaseKMeans",
    "Interval",
    "InvalidParameterError",
    "Options",
    "ValidatedParameters",
    "check_sample_weight",
    "validate_parameters",
]


# --------------------------------------------------------------------------- #
# Parameter constraints
# --------------------------------------------------------------------------- #
class InvalidParameterError(ValueError, TypeError):
    """A hyper-parameter has a value its constraints do not allow.

    Both a ValueError and a TypeError, as scikit-learn's error of the same name, so that
    code catching either keeps working.
    """


@dataclasses.dataclass(frozen=True)
class Interval:
    """Numbers of ``kind`` (``numbers.Integral`` or ``numbers.Real``) between two bounds.

    ``None`` is an open end; ``closed`` is "left", "right", "both" or "neither". Booleans
    are not numbers here, and NaN is in no interval.
    """

    kind: type
    left: float | None
    right: float | None
    closed: str = "left"

    def is_satisfied_by(self, value: Any) -> bool:
        if isinstance(value, bool | np.bool_) or not isinstance(value, self.kind):
            return False
        if self.kind is numbers.Real and np.isnan(value):
            return False
        if self.left is not None:
            if value < self.left or (value == self.left and self.closed in ("right", "neither")):
                return False
        if self.right is not None:
            if value > self.right or (value == self.right and self.closed in ("left", "neither")):
                return False
        return True

    def __str__(self) -> str:
        kind = "an int" if self.kind is numbers.Integral else "a float"
        left = "-inf" if self.left is None else self.left
        right = "inf" if self.right is None else self.right
        opening = "[" if self.closed in ("left", "both") and self.left is not None else "("
        closing = "]" if self.closed in ("right", "both") and self.right is not None else ")"
        return f"{kind} in the range {opening}{left}, {right}{closing}"


@dataclasses.dataclass(frozen=True)
class Options:
    """One of a set of strings (any collection: a dict's keys are read when checked)."""

    options: Collection[str]

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.options

    def __str__(self) -> str:
        return "a str among {" + ", ".join(repr(o) for o in sorted(self.options)) + "}"


_NAMED_CONSTRAINTS: dict[Any, tuple[Callable[[Any], bool], str]] = {
    "array-like": (
        lambda v: not isinstance(v, str) and (hasattr(v, "__array__") or hasattr(v, "__len__")
                                               or hasattr(v, "shape")),
        "an array-like",
    ),
    "boolean": (lambda v: isinstance(v, bool | np.bool_), "a bool"),
    "verbose": (
        lambda v: isinstance(v, bool | np.bool_)
        or (isinstance(v, numbers.Integral) and v >= 0),
        "an int in the range [0, inf) or a bool",
    ),
    "random_state": (
        lambda v: v is None
        or isinstance(v, np.random.RandomState)
        or (isinstance(v, numbers.Integral) and not isinstance(v, bool | np.bool_)
            and 0 <= v <= 2**32 - 1),
        "an int in the range [0, 4294967295], a numpy.random.RandomState or None",
    ),
    callable: (callable, "a callable"),
    tf.distribute.Strategy: (lambda v: isinstance(v, tf.distribute.Strategy),
                             "a tf.distribute.Strategy"),
    None: (lambda v: v is None, "None"),
}


def _satisfies(constraint: Any, value: Any) -> bool:
    if isinstance(constraint, Interval | Options):
        return constraint.is_satisfied_by(value)
    return _NAMED_CONSTRAINTS[constraint][0](value)


def _describe(constraint: Any) -> str:
    if isinstance(constraint, Interval | Options):
        return str(constraint)
    return _NAMED_CONSTRAINTS[constraint][1]


def validate_parameters(
    params: dict[str, Any], constraints: dict[str, list], caller: str
) -> None:
    """Check every parameter named in ``constraints`` against its list of constraints.

    Raises
    ------
    InvalidParameterError
        For the first parameter that satisfies none of its constraints, saying what
        would be accepted.
    """
    for name, accepted in constraints.items():
        value = params[name]
        if any(_satisfies(constraint, value) for constraint in accepted):
            continue
        descriptions = [_describe(constraint) for constraint in accepted]
        if len(descriptions) > 1:
            expected = f"{', '.join(descriptions[:-1])} or {descriptions[-1]}"
        else:
            expected = descriptions[0]
        raise InvalidParameterError(
            f"The {name!r} parameter of {caller} must be {expected}. Got {value!r} instead."
        )


class ValidatedParameters:
    """Mixin for an estimator that declares its parameters in ``parameter_constraints``.

    :meth:`_validate_params` (scikit-learn's name) is the one check of that table; every
    estimator of the library calls it first in ``fit``.
    """

    parameter_constraints: ClassVar[dict[str, list]] = {}

    def _validate_params(self) -> None:
        validate_parameters(
            self.get_params(deep=False), self.parameter_constraints, type(self).__name__
        )


# --------------------------------------------------------------------------- #
# Small shared checks
# --------------------------------------------------------------------------- #
def check_sample_weight(sample_weight: Any, X: Any) -> np.ndarray:
    """Sample weights as a new float array of X's dtype: ones by default, else checked
    (one finite, non-negative weight per row, not all zero)."""
    n_samples = X.shape[0]
    if sample_weight is None:
        return np.ones(n_samples, dtype=X.dtype)
    if isinstance(sample_weight, numbers.Number):
        return np.full(n_samples, sample_weight, dtype=X.dtype)
    weights = check_array(sample_weight, ensure_2d=False, dtype=X.dtype, copy=True,
                          input_name="sample_weight")
    if weights.ndim != 1:
        raise ValueError(f"sample_weight must be 1-D, got shape {weights.shape}.")
    if weights.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight.shape == ({weights.shape[0]},), expected ({n_samples},)!"
        )
    if np.any(weights < 0):
        raise ValueError("Negative values in data passed to sample_weight")
    if not np.any(weights > 0):
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return weights


def replaces_best_run(inertia: float, labels: np.ndarray | None, best: tuple | None,
                      n_clusters: int) -> bool:
    """scikit-learn's rule for choosing among ``n_init`` runs (every estimator's).

    ``best`` is the best run so far (a tuple whose items 1 and 2 are its labels and
    inertia), or None. A run replaces it only if its inertia is lower *and* its
    partition differs (not the same clusters under other ids): two runs that found the
    same partition keep the first, whatever their last bits. Without labels (mini-batch
    candidates scored on a sample) the lower inertia wins, as in scikit-learn.
    """
    if best is None:
        return True
    best_labels, best_inertia = best[1], best[2]
    if not inertia < best_inertia:
        return False
    if labels is None:
        return True
    mapping = np.full(n_clusters, -1)
    mapping[labels] = best_labels
    return not bool(np.array_equal(mapping[labels], best_labels))


def is_array_init(init: Any) -> bool:
    """Whether ``init`` gives the centres themselves (not a name or a callable)."""
    return not isinstance(init, str) and not callable(init)


# --------------------------------------------------------------------------- #
# The base estimator
# --------------------------------------------------------------------------- #
class BaseKMeans(ValidatedParameters, ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                 ClusterMixin, BaseEstimator):
    """What :class:`KMeans` and :class:`MiniBatchKMeans` share.

    Subclasses set ``parameter_constraints`` (extending this class's table) and
    ``default_n_init`` (the number of runs ``n_init='auto'`` means for 'random' or a
    callable init), and call, in ``fit``: :meth:`_validate_params`, :meth:`_validate_X`
    and :meth:`_check_params_vs_input`. They then have ``_n_init`` and ``_tol`` (the
    absolute tolerance) as scikit-learn's estimators do.
    """

    parameter_constraints: ClassVar[dict[str, list]] = {
        "n_clusters": [Interval(numbers.Integral, 1, None, closed="left")],
        "init": [Options(INITS), callable, "array-like"],
        "n_init": [
            Options(frozenset({"auto"})),
            Interval(numbers.Integral, 1, None, closed="left"),
        ],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }
    default_n_init: ClassVar[int] = 10
    #: Whether predict, transform and score read a ``tf.data.Dataset`` (batch by batch).
    reads_datasets: ClassVar[bool] = False
    #: Whether an explicit or callable init may leave coordinates to the data (NaN).
    allows_nan_init: ClassVar[bool] = False

    @property
    def _metric(self):
        """The distance of ``metric`` (Euclidean for estimators without the parameter)."""
        return METRICS[getattr(self, "metric", "euclidean")]

    # ------------------------------------------------------------------ #
    # Validation
    # ------------------------------------------------------------------ #
    def _validate_X(self, X: Any, reset: bool, copy: bool = False) -> Any:
        """X as a C-ordered float64/float32 array or a CSR matrix (scikit-learn's dtype rules:
        float32 and float64 are kept, anything else becomes float64); a tensor becomes an
        array, a ``tf.SparseTensor`` a CSR matrix. With ``metric='cosine'``, rows are
        scaled to unit length."""
        X = as_source(X).host_data()  # a Dataset is refused (TypeError)
        X = validate_data(self, X, reset=reset, accept_sparse="csr",
                          dtype=[np.float64, np.float32], order="C", copy=copy)
        return unit_length_rows(X) if self._metric.unit_rows else X

    def _check_params_vs_input(self, X: Any) -> None:
        """Checks that need the data; sets ``_n_init`` and ``_tol``."""
        n_samples = X.shape[0]
        if n_samples < self.n_clusters:
            raise ValueError(
                f"n_samples={n_samples} should be >= n_clusters={self.n_clusters}."
            )
        self._tol = tolerance(feature_variances(X), self.tol) if self.tol > 0 else 0.0
        self._n_init = self._resolve_n_init(stacklevel=4)

    def _resolve_n_init(self, stacklevel: int) -> int:
        """The number of runs ``n_init`` means for this ``init`` (parameters checked):
        'auto' is 1 for k-means++, k-means|| or an array, ``default_n_init`` otherwise;
        an array gets one run, with scikit-learn's warning if more were asked for."""
        init = self.init
        if self.n_init == "auto":
            single = isinstance(init, str) and INITS[init].single_start
            n_init = 1 if single or is_array_init(init) else self.default_n_init
        else:
            n_init = int(self.n_init)
        if is_array_init(init) and n_init != 1:
            warnings.warn(
                "Explicit initial center position passed: performing only one init in "
                f"{type(self).__name__} instead of n_init={n_init}.",
                RuntimeWarning,
                stacklevel=stacklevel,
            )
            n_init = 1
        return n_init

    def _validate_center_shape(self, n_features: int, centers: Any,
                               n_centroids: int | None = None):
        """The centres must be (n_centroids, n_features); scikit-learn's messages."""
        n_centroids = self.n_clusters if n_centroids is None else n_centroids
        if centers.shape[0] != n_centroids:
            raise ValueError(
                f"The shape of the initial centers {centers.shape} does not match the number "
                f"of clusters {n_centroids}."
            )
        if centers.ndim != 2 or centers.shape[1] != n_features:
            raise ValueError(
                f"The shape of the initial centers {centers.shape} does not match the number "
                f"of features of the data {n_features}."
            )

    def _check_init_array(self, centers: Any, n_features: int, dtype: Any,
                          allow_nan: bool = False, n_centroids: int | None = None) -> np.ndarray:
        """An explicit or callable init as a new C-ordered array of ``dtype``, checked
        (real and finite, NaN only where ``allow_nan``; n_centroids, by default
        n_clusters, x n_features). Every fit's explicit and callable inits pass here."""
        if isinstance(centers, tf.Tensor | tf.Variable):
            centers = centers.numpy()
        if sp.issparse(centers):
            centers = centers.toarray()
        centers = check_array(
            centers, dtype=dtype, copy=True, order="C", input_name="init",
            ensure_all_finite="allow-nan" if allow_nan else True,
        )
        self._validate_center_shape(n_features, centers, n_centroids)
        return centers

    # ------------------------------------------------------------------ #
    # Initial centres
    # ------------------------------------------------------------------ #
    def _init_centroids(
        self,
        X: Any,
        x_squared_norms: Any,
        init: Any,
        random_state: np.random.RandomState,
        sample_weight: np.ndarray,
        init_size: int | None = None,
        n_centroids: int | None = None,
    ) -> np.ndarray:
        """Initial centres, with scikit-learn's signature and semantics.

        ``init_size`` rows are drawn at random first (with replacement) when it is smaller
        than the number of rows; k-means++ and 'random' pick rows of that sample (with
        probability proportional to ``sample_weight``), a callable is called on it, and
        an array is returned as given. ``x_squared_norms`` is accepted and not needed.
        """
        n_clusters = self.n_clusters if n_centroids is None else n_centroids
        n_samples = X.shape[0]
        if init_size is not None and init_size < n_samples:
            rows = random_state.randint(0, n_samples, init_size)
            X, sample_weight = X[rows], sample_weight[rows]
        if isinstance(init, str):
            return INITS[init].in_memory(X, n_clusters, random_state, sample_weight)
        if callable(init):
            centers = init(X, n_clusters, random_state=random_state)
            return self._check_init_array(centers, X.shape[1], X.dtype,
                                          allow_nan=self.allows_nan_init,
                                          n_centroids=n_clusters)
        return init

    # ------------------------------------------------------------------ #
    # Using the centres: one path for every input
    # ------------------------------------------------------------------ #
    def _centers_tensor(self, dtype) -> tf.Tensor:
        return tf.constant(np.asarray(self.cluster_centers_, dtype=dtype))

    def _test_blocks(self, X: Any, sample_weight: Any = None) -> Iterator[tuple[Any, Any]]:
        """The data to use the centres on, checked, as ``(points, weights)`` blocks.

        Data that may be read by index (an array, a tensor, a sparse matrix, a memory
        map) is one block, validated as ``fit`` validates it, with its checked
        ``sample_weight``. Where the estimator reads datasets (``reads_datasets``), a
        ``tf.data.Dataset`` is read batch after batch in the centres' dtype, without
        weights; elsewhere it is refused by :meth:`_validate_X`.
        """
        check_is_fitted(self)
        source = as_source(X, sample_weight if self.reads_datasets else None)
        if source.random_access or not self.reads_datasets:
            X = self._validate_X(X, reset=False)
            yield X, check_sample_weight(sample_weight, X)
            return
        for points in source.batches(self.n_features_in_, self.cluster_centers_.dtype,
                                     unit_rows=self._metric.unit_rows,
                                     expected_by=type(self).__name__):
            yield points, None

    def _each_block(self, X: Any, function: Callable[[Any], np.ndarray]) -> np.ndarray:
        """``function(points)`` on every block of the test data, joined."""
        parts = [function(points) for points, _ in self._test_blocks(X)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def predict(self, X: Any) -> np.ndarray:
        """Index of the nearest cluster centre for each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} or tf.Tensor of shape (n_samples, n_features)
            (or a ``tf.data.Dataset`` of row batches where ``fit`` takes one)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return self._each_block(X, lambda points: self._final_pass(points)[0])

    def _final_pass(self, X: Any, weights: Any = None) -> tuple[np.ndarray, float]:
        """Labels and squared-Euclidean inertia, by the fit's final pass (its
        compiled kernels serve any number of points). Dense data is measured in a frame
        centred on the centres' mean (the fit centres on the data's mean), so data far
        from the origin keeps in float32 the precision it had during the fit; sparse
        data is never centred."""
        centers = np.asarray(self.cluster_centers_, dtype=X.dtype)
        if weights is None:
            weights = np.ones(X.shape[0], X.dtype)
        return core.labels_and_inertia(X, centers, centers.mean(axis=0), weights=weights)

    def transform(self, X: Any) -> np.ndarray:
        """Distance from each sample to each cluster centre.

        Euclidean distances (computed in float64, exactly 0 for a point at a centre), or
        cosine distances ``1 - cos`` with ``metric='cosine'``.

        Parameters
        ----------
        X : {array-like, sparse matrix} or tf.Tensor of shape (n_samples, n_features)
            (or a ``tf.data.Dataset`` of row batches where ``fit`` takes one)

        Returns
        -------
        distances : ndarray of shape (n_samples, n_clusters), X's dtype
        """
        return self._each_block(X, self._transform)

    def _transform(self, X: Any) -> np.ndarray:
        distances = self._metric.transform(X, self._centers_tensor(X.dtype))
        return distances.numpy().astype(X.dtype, copy=False)

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the (weighted) inertia of ``X`` on the fitted centres.

        Parameters
        ----------
        X : {array-like, sparse matrix} or tf.Tensor of shape (n_samples, n_features)
            (or a ``tf.data.Dataset`` of row batches, without weights, where ``fit``
            takes one)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
            ``-sum(w * squared distance to the nearest center)`` (cosine distance with
            ``metric='cosine'``); higher is better.
        """
        total = 0.0
        for points, weights in self._test_blocks(X, sample_weight):
            total += self._metric.from_squared(self._final_pass(points, weights)[1])
        return -total

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit, then return the training labels (``labels_``)."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit, then return the distances of the training data to the centres."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def tolerance(variances: Any, tol: float) -> float:
    """scikit-learn's absolute tolerance: ``tol`` times the mean of the feature variances."""
    return float(np.mean(variances) * tol)
