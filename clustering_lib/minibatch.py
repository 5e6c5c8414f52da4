"""Mini-batch k-means: scikit-learn's ``MiniBatchKMeans`` on a compiled TensorFlow step.

The estimator follows :class:`sklearn.cluster.MiniBatchKMeans` (same parameters, same
update rule, same stopping rules, same low-count reassignment). All the arithmetic of
one mini-batch update (assignment, per-centre sums, the count-weighted move of the
centres and the reassignment of low-count centres) is a single compiled TensorFlow
function; the loop over mini-batches is plain Python, since it is shaped by reading
data (random rows of an array, or the batches of a ``tf.data.Dataset``). A fit runs
its first steps in a plain TensorFlow graph and the rest with XLA (see
``_XLA_AFTER_STEPS`` for the measurements behind this).

The update rule
---------------
Every centre ``c`` keeps a count ``n_c``: the total weight of the points it has
absorbed so far. On a mini-batch, each point joins its nearest centre; if the points
that joined ``c`` have total weight ``w`` and weighted mean ``m``, then

    n_c <- n_c + w,        c <- c + (w / n_c) (m - c),

so the learning rate of a centre is ``w / n_c`` and, as long as it is not reassigned,
a centre is exactly the weighted mean of every point it has ever received.
"""

from __future__ import annotations

import functools
import math
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
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, validate_data

from . import core
from .core import kernels
from .kmeans import _CentreModelMixin, _check_init_shape, _resolve_init

__all__ = ["MiniBatchKMeans"]

_DTYPES = [np.float32, np.float64]


# --------------------------------------------------------------------------- #
# The compiled mini-batch step
# --------------------------------------------------------------------------- #
def _reassign_low_counts(points, centers, counts, candidates, ratio):
    """Move the centres of low count to random points of the batch.

    scikit-learn's rule (``_mini_batch_step``): the centres whose count is below
    ``ratio * max(counts)`` are reassigned, at most ``n_batch // 2`` of them (those of
    lowest count); each takes a distinct point of the batch drawn uniformly at random,
    and their counts are set to the smallest count of the centres that were kept, so
    that they are not reassigned again at once. ``candidates`` holds
    ``min(n_clusters, n_batch)`` distinct batch rows in random order (drawn by the
    caller); the j-th reassigned centre, in index order, takes the j-th.
    """
    n_batch = tf.shape(points)[0]
    low = counts < ratio * tf.reduce_max(counts)
    # Rank of each count in a stable ascending sort, by comparisons (k is small).
    index = tf.range(tf.shape(counts)[0])
    before = tf.logical_or(
        counts[None, :] < counts[:, None],
        tf.logical_and(tf.equal(counts[None, :], counts[:, None]), index[None, :] < index[:, None]),
    )
    rank = tf.reduce_sum(tf.cast(before, tf.int32), axis=1)
    low = tf.logical_and(low, rank < n_batch // 2)
    slot = tf.maximum(tf.cumsum(tf.cast(low, tf.int32)) - 1, 0)
    new_points = tf.gather(points, tf.gather(candidates, slot))
    new_centers = tf.where(low[:, None], new_points, centers)
    kept_min = tf.reduce_min(tf.where(low, tf.reduce_max(counts), counts))
    return new_centers, tf.where(low, kept_min, counts)


def _minibatch_step(points, weights, centers, counts, reassign, candidates, ratio):
    """One mini-batch update; returns the new centres and counts and three statistics.

    The statistics, stacked in one vector so that the caller reads them back in one
    transfer, are: the batch inertia against the *old* centres (as scikit-learn
    reports it), the squared shift of the centres summed over clusters, and 1.0 when
    some centre has count zero after the update (else 0.0).
    """
    n_clusters = tf.shape(centers)[0]
    point_norms = tf.reduce_sum(tf.square(points), axis=1)
    labels, distances = kernels.nearest_center(
        points, point_norms, centers, tf.reduce_sum(tf.square(centers), axis=1)
    )
    inertia = tf.reduce_sum(weights * distances)
    totals = tf.cast(kernels.cluster_sums(points, weights, labels, n_clusters), points.dtype)
    sums, batch_weights = totals[:, :-1], totals[:, -1]
    new_counts = counts + batch_weights
    # c + (w / n) (m - c) = c + (sum - w c) / n; a centre that got nothing stays.
    step = tf.math.divide_no_nan(sums - batch_weights[:, None] * centers, new_counts[:, None])
    new_centers = centers + step
    new_centers, new_counts = tf.cond(
        reassign,
        lambda: _reassign_low_counts(points, new_centers, new_counts, candidates, ratio),
        lambda: (new_centers, new_counts),
    )
    shift = tf.reduce_sum(tf.square(new_centers - centers))
    has_empty = tf.cast(tf.reduce_any(tf.equal(new_counts, 0.0)), points.dtype)
    return new_centers, new_counts, tf.stack([inertia, shift, has_empty])


# Plain graph or XLA? A fit runs its first _XLA_AFTER_STEPS steps in a plain graph and
# the rest with XLA: XLA makes a step faster, but compiling takes 0.3-0.4 s (once per
# shape), which a short fit does not earn back. Measured on a 2-core CPU, float32,
# batches of 1024, random_state=0; "cold" is the first fit in the process, "warm" the
# second; graph / XLA from the first step / this hybrid:
#   10,000 x 784 MNIST, k=10: per step 3.2-3.5 ms / 1.5-2.0 ms. Default fit (early
#     stop after 53 steps): cold 0.92 / 1.27 / 0.92 s, warm 0.21 / 0.15 / 0.24 s.
#     100 passes, no early stop (976 steps): cold 4.2 / 2.7 / 2.9 s, warm 2.2 / 1.6 /
#     1.7 s.
#   273,280 x 3 china.jpg pixels, k=64: per step 0.88-0.90 ms / 0.83-0.91 ms (the call
#     overhead dominates). Default fit (356 steps): cold 1.0 / 1.2 / 1.2 s, warm 0.39 /
#     0.31 / 0.32 s. 5 passes, no early stop (1334 steps): cold 1.8 / 2.0 / 2.1 s, warm
#     1.16 / 1.19 / 1.07 s.
# partial_fit always uses the plain graph: it makes one step per call, often on batches
# of new sizes, and XLA would compile each new size again.
_XLA_AFTER_STEPS = 100


def _sampled_step(data, rows, weights, centers, counts, reassign, candidates, ratio):
    """``_minibatch_step`` on the rows ``rows`` of ``data``, gathered in the same graph."""
    points = tf.gather(data, rows)
    return _minibatch_step(points, weights, centers, counts, reassign, candidates, ratio)


def _use_xla(n_steps_done: int) -> bool:
    """Whether a fit's next step runs with XLA, after ``n_steps_done`` steps."""
    return n_steps_done >= _XLA_AFTER_STEPS


@functools.cache
def _step_fn(jit_compile: bool, sampled: bool):
    """The compiled step: on a given batch, or (``sampled``) on given rows of the data."""
    function = _sampled_step if sampled else _minibatch_step
    return tf.function(function, jit_compile=jit_compile, reduce_retracing=True)


class _EarlyStopping:
    """scikit-learn's ``_mini_batch_convergence``, as a small state machine.

    The batch inertia (per sample) is smoothed by an exponentially weighted average
    with ``alpha = 2 * batch_size / (n_samples + 1)``; the run stops when the squared
    shift of the centres is at most ``tol`` (when ``tol > 0``) or when that average has
    not improved for ``max_no_improvement`` consecutive steps. The first step is
    ignored: its inertia is that of the initial centres.
    """

    def __init__(self, tol: float, max_no_improvement: int | None) -> None:
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.n_steps = 0
        self.ewa_inertia: float | None = None
        self.ewa_inertia_min: float | None = None
        self.no_improvement = 0

    def __call__(self, batch_inertia: float, batch_size: int, n_samples: int,
                 shift: float) -> bool:
        self.n_steps += 1
        batch_inertia /= batch_size
        if self.n_steps == 1:
            return False
        if self.ewa_inertia is None:
            self.ewa_inertia = batch_inertia
        else:
            alpha = min(batch_size * 2.0 / (n_samples + 1), 1.0)
            self.ewa_inertia = self.ewa_inertia * (1.0 - alpha) + batch_inertia * alpha
        if self.tol > 0.0 and shift <= self.tol:
            return True
        if self.ewa_inertia_min is None or self.ewa_inertia < self.ewa_inertia_min:
            self.no_improvement = 0
            self.ewa_inertia_min = self.ewa_inertia
        else:
            self.no_improvement += 1
        return (
            self.max_no_improvement is not None
            and self.no_improvement >= self.max_no_improvement
        )


# --------------------------------------------------------------------------- #
# Parameter checks
# --------------------------------------------------------------------------- #
def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_params(estimator: MiniBatchKMeans) -> tuple[int, bool]:
    """Validate the hyper-parameters; return the number of inits and whether init is an array."""
    n_clusters = estimator.n_clusters
    if not _is_int(n_clusters):
        raise TypeError(f"n_clusters must be an integer, got {n_clusters!r}.")
    if n_clusters < 1:
        raise ValueError(f"n_clusters must be >= 1, got {n_clusters}.")
    for name in ("max_iter", "batch_size"):
        value = getattr(estimator, name)
        if not _is_int(value) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")
    for name in ("tol", "reassignment_ratio"):
        value = getattr(estimator, name)
        if not _is_real(value) or not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}.")
    max_no_improvement = estimator.max_no_improvement
    if max_no_improvement is not None and (
        not _is_int(max_no_improvement) or max_no_improvement < 0
    ):
        raise ValueError(
            f"max_no_improvement must be None or an integer >= 0, got {max_no_improvement!r}."
        )
    init_size = estimator.init_size
    if init_size is not None and (not _is_int(init_size) or init_size < 1):
        raise ValueError(f"init_size must be None or an integer >= 1, got {init_size!r}.")

    return _resolve_init(estimator, auto_runs_without_plusplus=3)


def _check_n_samples(n_samples: int, n_clusters: int) -> None:
    if n_samples < n_clusters:
        raise ValueError(f"n_samples={n_samples} should be >= n_clusters={n_clusters}.")


# --------------------------------------------------------------------------- #
# The estimator
# --------------------------------------------------------------------------- #
class MiniBatchKMeans(_CentreModelMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                      ClusterMixin,
                      BaseEstimator):
    """Mini-batch k-means in TensorFlow, with scikit-learn's interface.

    Each mini-batch moves every centre towards the mean of the batch points nearest
    to it, with a per-centre learning rate ``batch weight / total weight absorbed``,
    so that a centre is the running mean of all the points it has received. Centres
    that receive too little are reassigned to random batch points. The parameters,
    attributes and stopping rules follow :class:`sklearn.cluster.MiniBatchKMeans`.

    ``fit`` accepts an array (random mini-batches are drawn from it) or a
    ``tf.data.Dataset`` of batches (its batches are the mini-batches); ``partial_fit``
    makes one update with the data it is given.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters and of centroids.
    init : {'k-means++', 'random'}, callable or array-like of shape \
            (n_clusters, n_features), default='k-means++'
        How to choose the initial centres, from a random subset of ``init_size``
        points: greedy k-means++; ``n_clusters`` distinct points at random;
        ``init(X, n_clusters, random_state)`` returning an array; or the centres
        themselves.
    max_iter : int, default=100
        Maximum number of passes over the data: for an array,
        ``max_iter * n_samples // batch_size`` mini-batches are drawn at most; for a
        Dataset, it is iterated ``max_iter`` times at most.
    batch_size : int, default=1024
        Size of the mini-batches drawn from an array (capped at ``n_samples``).
        Ignored by the updates when ``X`` is a Dataset, whose batches are used as
        they come.
    tol : float, default=0.0
        Stop when the squared shift of the centres over one mini-batch, summed over
        clusters, is at most ``tol`` times the mean variance of the features. 0
        disables this rule.
    max_no_improvement : int or None, default=10
        Stop when the smoothed batch inertia has not improved for this many
        consecutive mini-batches. None disables this rule.
    init_size : int or None, default=None
        Number of points (drawn at random, with replacement) that each candidate
        initialisation is computed on, and that the candidates are compared on.
        Default: ``3 * batch_size``, or ``3 * n_clusters`` if that is smaller than
        ``n_clusters``; at most ``n_samples``.
    n_init : 'auto' or int, default='auto'
        Number of candidate initialisations; the one of lowest inertia on the
        ``init_size`` comparison points is kept (only one run of mini-batches is
        made). 'auto' means 1 for 'k-means++' or an array and 3 for 'random' or a
        callable.
    reassignment_ratio : float, default=0.01
        A centre whose count is below ``reassignment_ratio`` times the largest count
        is moved to a random point of the current batch. Checked after every
        ``10 * n_clusters`` points and whenever some centre has count zero. 0
        disables reassignment.
    random_state : int, RandomState instance or None, default=None
        Seed for the initialisation, the mini-batch sampling and the reassignments.
        An int gives identical results on every run.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of the cluster centres.
    labels_ : ndarray of shape (n_samples,) or None
        Label of each training point: after :meth:`fit` on an array, of every point;
        after :meth:`partial_fit`, of the points of the last call; None after
        :meth:`fit` on a Dataset.
    inertia_ : float
        Sum of (weighted) squared distances of the points to their nearest centre,
        on the final centres: of the whole training data after :meth:`fit` (for a
        Dataset, computed in one extra pass over it), of the last batch after
        :meth:`partial_fit`.
    n_iter_ : int
        Number of passes over the data that were started by :meth:`fit` (for an
        array, ``ceil(n_steps_ * batch_size / n_samples)``). Not set by
        :meth:`partial_fit`.
    n_steps_ : int
        Number of mini-batches processed since the centres were initialised: by
        :meth:`fit`, plus one for every later :meth:`partial_fit` call (or one per
        call since the first :meth:`partial_fit` that initialised them).
    n_features_in_ : int
        Number of features seen during fit.

    See Also
    --------
    sklearn.cluster.MiniBatchKMeans : The reference implementation this mirrors.
    clustering_lib.KMeans : Full-batch k-means.

    Notes
    -----
    A ``tf.data.Dataset`` given to :meth:`fit` must yield plain float or integer
    tensors of shape ``(batch, n_features)`` (not tuples or dicts) and be finite;
    ``sample_weight`` is not supported with it. The initial centres come from its
    first batches, read until at least ``init_size`` points are gathered (default
    ``3 *`` the first batch's size); ``tol`` is relative to the feature variance of
    those points. The smoothing of the batch inertia needs the number of samples:
    it is estimated as ``cardinality * first batch size`` when the Dataset knows its
    cardinality, as the number of points read so far during the first pass otherwise,
    and is exact from the second pass on. An infinite Dataset is rejected.

    Differences from scikit-learn: there are no ``verbose`` and ``compute_labels``
    parameters (labels are always computed for arrays); mini-batches of data with
    equal weights are drawn with ``randint`` rather than ``choice(p=...)`` and the
    reassignment draws its points differently, so the same ``random_state`` gives
    a different (statistically equivalent) run; a reassigned centre takes a batch
    point of positive weight when there is one; and ``partial_fit`` counts the
    actual size of each batch towards the ``10 * n_clusters`` points between
    reassignments (scikit-learn counts ``min(batch_size, len(first batch))``). With
    a fixed init and ``reassignment_ratio=0`` the algorithm has no randomness left,
    and a sequence of ``partial_fit`` calls gives scikit-learn's centres.

    Examples
    --------
    >>> import numpy as np
    >>> from clustering_lib.minibatch import MiniBatchKMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> km = MiniBatchKMeans(n_clusters=2, batch_size=6, random_state=0).fit(X)
    >>> sorted(km.cluster_centers_.round().tolist())
    [[1.0, 2.0], [10.0, 2.0]]
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Any = "k-means++",
        max_iter: int = 100,
        batch_size: int = 1024,
        tol: float = 0.0,
        max_no_improvement: int | None = 10,
        init_size: int | None = None,
        n_init: str | int = "auto",
        reassignment_ratio: float = 0.01,
        random_state: Any = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.init_size = init_size
        self.n_init = n_init
        self.reassignment_ratio = reassignment_ratio
        self.random_state = random_state

    # ------------------------------------------------------------------ #
    # Helpers
    # ------------------------------------------------------------------ #
    def _validate_X(self, X: Any, reset: bool) -> np.ndarray:
        if isinstance(X, tf.data.Dataset):
            raise TypeError(
                "X must be an array or a tensor here; only fit accepts a tf.data.Dataset "
                "(call this method on each of its batches instead)."
            )
        if isinstance(X, tf.Tensor | tf.Variable):
            X = X.numpy()
        return validate_data(self, X, reset=reset, dtype=_DTYPES, order="C")

    def _init_size(self, n_samples: int, batch_size: int) -> int:
        """scikit-learn's default and clipping of ``init_size``."""
        init_size = self.init_size
        if init_size is None:
            init_size = 3 * batch_size
            if init_size < self.n_clusters:
                init_size = 3 * self.n_clusters
        elif init_size < self.n_clusters:
            warnings.warn(
                f"init_size={init_size} should be larger than n_clusters={self.n_clusters}. "
                "Setting it to min(3*n_clusters, n_samples)",
                RuntimeWarning,
                stacklevel=3,
            )
            init_size = 3 * self.n_clusters
        return min(init_size, n_samples)

    def _check_init_array(self, n_features: int, dtype) -> np.ndarray:
        centers = np.asarray(self.init)
        _check_init_shape(centers, self.n_clusters, n_features)
        return core.as_float_tensor(centers, "init", dtype=tf.as_dtype(dtype)).numpy()

    def _init_centroids(self, X, weights, rng, init_size, init_array):
        """One candidate set of initial centres, from ``init_size`` random rows of X."""
        n_samples = X.shape[0]
        if init_size < n_samples:
            rows = rng.randint(0, n_samples, init_size)
            X, weights = X[rows], weights[rows]
        if init_array is not None:
            return init_array
        init = self.init
        if callable(init):
            centers = np.asarray(init(X, self.n_clusters, random_state=rng))
            _check_init_shape(centers, self.n_clusters, X.shape[1])
            dtype = tf.as_dtype(X.dtype)
            return core.as_float_tensor(centers, "init", dtype=dtype).numpy()
        points, weights = tf.constant(X), tf.constant(weights)
        if init == "k-means++":
            return X[core.kmeans_plusplus_indices(points, self.n_clusters, rng, weights)]
        return X[core.random_init_indices(points, self.n_clusters, rng, weights)]

    def _best_init(self, X, weights, rng, n_init, init_size, init_is_array):
        """Keep the candidate of lowest inertia on ``init_size`` random rows of X."""
        init_array = self._check_init_array(X.shape[1], X.dtype) if init_is_array else None
        rows = rng.randint(0, X.shape[0], init_size)
        valid = tf.constant(X[rows])
        valid_weights = weights[rows]
        best, best_inertia = None, None
        for _ in range(n_init):
            centers = self._init_centroids(X, weights, rng, init_size, init_array)
            _, distances = core.nearest_centers(valid, tf.constant(centers))
            inertia = float(np.dot(distances.numpy(), valid_weights))
            if best_inertia is None or inertia < best_inertia:
                best, best_inertia = centers, inertia
        return best

    def _step(self, points, weights, centers, counts, rng, sample_weight=None, rows=None,
              jit_compile=False):
        """Run the compiled step on one batch; returns centres, counts and statistics.

        The batch is ``points``, or with ``rows`` (int32 indices), those rows of
        ``points``.

        Decides, as scikit-learn's ``_random_reassign`` does, whether low-count
        centres may be reassigned: when some centre has count zero, or once
        ``10 * n_clusters`` points have been processed since the last time. If so, it
        draws the batch rows that reassigned centres may take: ``min(n_clusters,
        n_batch)`` distinct rows uniformly at random, where rows of positive
        ``sample_weight`` (a NumPy array, None for unit weights) come first.
        """
        n_batch = int(points.shape[0]) if rows is None else len(rows)
        self._n_since_last_reassign += n_batch
        due = self._has_empty or self._n_since_last_reassign >= 10 * self.n_clusters
        if due:
            self._n_since_last_reassign = 0
        reassign = due and self.reassignment_ratio > 0
        n_candidates = min(self.n_clusters, n_batch)
        if not reassign:
            candidates = np.zeros(n_candidates, np.int32)
        elif sample_weight is None:
            candidates = rng.choice(n_batch, n_candidates, replace=False)
        else:
            keys = rng.random_sample(n_batch) + (sample_weight > 0)
            candidates = np.argsort(-keys, kind="stable")[:n_candidates]
        batch = (points,) if rows is None else (points, tf.constant(rows, tf.int32))
        centers, counts, stats = _step_fn(jit_compile, rows is not None)(
            *batch,
            weights,
            centers,
            counts,
            tf.constant(reassign),
            tf.constant(candidates, tf.int32),
            tf.constant(self.reassignment_ratio, centers.dtype),
        )
        inertia, shift, has_empty = stats.numpy().tolist()
        self._has_empty = bool(has_empty)
        return centers, counts, inertia, shift

    def _start_run(self, centers: np.ndarray) -> tuple[tf.Tensor, tf.Tensor]:
        self._n_since_last_reassign = 0
        self._has_empty = True  # every count is zero before the first batch
        return tf.constant(centers), tf.zeros([self.n_clusters], centers.dtype)

    def _finish(self, centers: tf.Tensor, counts: tf.Tensor, rng) -> None:
        self.cluster_centers_ = centers.numpy()
        self._counts = counts.numpy()
        self._random_state = rng
        self._n_features_out = self.n_clusters

    # ------------------------------------------------------------------ #
    # Fitting
    # ------------------------------------------------------------------ #
    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> MiniBatchKMeans:
        """Compute the centroids on X by mini-batches.

        Parameters
        ----------
        X : array-like, tf.Tensor of shape (n_samples, n_features), or tf.data.Dataset
            Training data. float32 and float64 are kept; other types become float32.
            A Dataset must yield tensors of shape (batch, n_features); see Notes in
            the class docstring.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each observation: mini-batches are drawn with probability
            proportional to it. Not used by an explicit or callable init; not
            supported when X is a Dataset.

        Returns
        -------
        self : MiniBatchKMeans
            Fitted estimator.
        """
        if isinstance(X, tf.data.Dataset):
            return self._fit_dataset(X, sample_weight)
        X = self._validate_X(X, reset=True)
        n_init, init_is_array = _check_params(self)
        n_samples = X.shape[0]
        _check_n_samples(n_samples, self.n_clusters)
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        rng = check_random_state(self.random_state)
        batch_size = min(self.batch_size, n_samples)
        init_size = self._init_size(n_samples, batch_size)
        tol = float(np.mean(np.var(X, axis=0)) * self.tol) if self.tol > 0 else 0.0

        centers = self._best_init(X, sample_weight, rng, n_init, init_size, init_is_array)
        centers, counts = self._start_run(centers)
        points = tf.constant(X)
        # Mini-batches are drawn with replacement, with probability proportional to the
        # weights (as scikit-learn does), so the batch points count with unit weight.
        # Equal weights (None or ones alike) take a faster uniform draw.
        cdf = None
        if not np.all(sample_weight == sample_weight[0]):
            cdf = np.cumsum(sample_weight, dtype=np.float64)
            cdf /= cdf[-1]
        unit_weights = tf.ones([batch_size], X.dtype)
        stopping = _EarlyStopping(tol, self.max_no_improvement)
        n_done = 0
        for _ in range((self.max_iter * n_samples) // batch_size):
            if cdf is None:
                rows = rng.randint(0, n_samples, batch_size)
            else:
                rows = cdf.searchsorted(rng.random_sample(batch_size), side="right")
            centers, counts, inertia, shift = self._step(
                points, unit_weights, centers, counts, rng, rows=rows, jit_compile=_use_xla(n_done)
            )
            n_done += 1
            if stopping(inertia, batch_size, n_samples, shift):
                break

        self._finish(centers, counts, rng)
        self.n_steps_ = n_done
        self.n_iter_ = int(np.ceil(self.n_steps_ * batch_size / n_samples))
        labels, distances = core.nearest_centers(points, centers)
        self.labels_ = labels.numpy()
        self.inertia_ = float(np.dot(distances.numpy(), sample_weight))
        return self

    def _dataset_batch(self, batch: Any, reset: bool, dtype=None) -> np.ndarray:
        """Check one batch of a Dataset; returns it as an array of ``dtype``."""
        if not isinstance(batch, tf.Tensor):
            raise TypeError(
                "a tf.data.Dataset given to fit must yield plain tensors of shape "
                f"(batch, n_features), got an element of type {type(batch).__name__}."
            )
        if not (batch.dtype.is_floating or batch.dtype.is_integer or batch.dtype == tf.bool):
            raise TypeError(
                f"the batches of X must hold numbers, got a tensor of dtype {batch.dtype.name}."
            )
        if batch.shape.rank != 2:
            raise ValueError(
                f"the batches of X must be 2-D (batch, n_features), got shape "
                f"{tuple(batch.shape)}; batch the Dataset with .batch(batch_size)."
            )
        array = validate_data(self, batch.numpy(), reset=reset, dtype=_DTYPES, order="C")
        return array if dtype is None else array.astype(dtype, copy=False)

    def _fit_dataset(self, dataset: tf.data.Dataset, sample_weight: Any) -> MiniBatchKMeans:
        if sample_weight is not None:
            raise ValueError("sample_weight is not supported when X is a tf.data.Dataset.")
        if not isinstance(dataset.element_spec, tf.TensorSpec):
            raise TypeError(
                "a tf.data.Dataset given to fit must yield plain tensors of shape "
                f"(batch, n_features), not {dataset.element_spec!r}."
            )
        cardinality = int(dataset.cardinality())
        if cardinality == tf.data.INFINITE_CARDINALITY:
            raise ValueError(
                "X is an infinite tf.data.Dataset; limit it with .take(n) or feed it "
                "to partial_fit."
            )
        n_init, init_is_array = _check_params(self)
        rng = check_random_state(self.random_state)

        # The first batches, up to init_size points, seed the centres.
        pool: list[np.ndarray] = []
        n_pool, init_size = 0, None
        for batch in dataset:
            pool.append(self._dataset_batch(batch, reset=not pool,
                                            dtype=pool[0].dtype if pool else None))
            n_pool += len(pool[-1])
            if init_size is None:
                first_size = len(pool[0])
                init_size = self._init_size(np.iinfo(np.int64).max, first_size)
            if n_pool >= init_size:
                break
        if not pool:
            raise ValueError("X is an empty tf.data.Dataset.")
        pool_array = np.concatenate(pool)
        dtype = pool_array.dtype
        if n_pool < self.n_clusters:
            _check_n_samples(n_pool, self.n_clusters)
        init_size = min(init_size, n_pool)
        tol = float(np.mean(np.var(pool_array, axis=0)) * self.tol) if self.tol > 0 else 0.0
        pool_weights = np.ones(n_pool, dtype)
        centers = self._best_init(pool_array, pool_weights, rng, n_init, init_size,
                                  init_is_array)
        del pool, pool_array
        centers, counts = self._start_run(centers)

        stopping = _EarlyStopping(tol, self.max_no_improvement)
        n_known = cardinality * first_size if cardinality > 0 else None
        n_seen = n_steps = epoch = 0
        stopped = False
        while epoch < self.max_iter and not stopped:
            epoch += 1
            for batch in dataset:
                array = self._dataset_batch(batch, reset=False, dtype=dtype)
                batch_len = len(array)
                if epoch == 1:
                    n_seen += batch_len
                weights = tf.ones([batch_len], dtype)
                centers, counts, inertia, shift = self._step(
                    tf.constant(array), weights, centers, counts, rng, jit_compile=_use_xla(n_steps)
                )
                n_steps += 1
                n_samples = n_known if n_known is not None else n_seen
                if stopping(inertia, batch_len, n_samples, shift):
                    stopped = True
                    break
            if epoch == 1 and not stopped:
                n_known = n_seen

        self._finish(centers, counts, rng)
        self.n_steps_ = n_steps
        self.n_iter_ = epoch
        # labels_ would only be meaningful for a Dataset that yields its points in the
        # same order every time; the inertia is computed in one more pass.
        self.labels_ = None
        inertia = 0.0
        for batch in dataset:
            array = self._dataset_batch(batch, reset=False, dtype=dtype)
            _, distances = core.nearest_centers(tf.constant(array), centers)
            inertia += float(tf.reduce_sum(distances))
        self.inertia_ = inertia
        return self

    def partial_fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> MiniBatchKMeans:
        """Update the centres with one mini-batch: all of X.

        The first call (on an estimator that is not fitted) initialises the centres
        from X (one initialisation, on at most ``init_size`` random rows of X, as
        scikit-learn does) and needs ``len(X) >= n_clusters``. Later calls need the
        same number of features; X is converted to the dtype of the centres.

        Parameters
        ----------
        X : array-like or tf.Tensor of shape (n_samples, n_features)
            The mini-batch.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each observation. Not used by an explicit or callable init.

        Returns
        -------
        self : MiniBatchKMeans
            Updated estimator.
        """
        has_centers = hasattr(self, "cluster_centers_")
        X = self._validate_X(X, reset=not has_centers)
        if has_centers:
            X = X.astype(self.cluster_centers_.dtype, copy=False)
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        rng = getattr(self, "_random_state", None)
        if rng is None:
            rng = check_random_state(self.random_state)
        if has_centers:
            centers = tf.constant(self.cluster_centers_)
            counts = tf.constant(self._counts)
        else:
            _, init_is_array = _check_params(self)
            n_samples = X.shape[0]
            _check_n_samples(n_samples, self.n_clusters)
            init_size = self._init_size(n_samples, min(self.batch_size, n_samples))
            init_array = self._check_init_array(X.shape[1], X.dtype) if init_is_array else None
            centers = self._init_centroids(X, sample_weight, rng, init_size, init_array)
            centers, counts = self._start_run(centers)
            self.n_steps_ = 0

        points = tf.constant(X)
        centers, counts, _, _ = self._step(
            points, tf.constant(sample_weight), centers, counts, rng, sample_weight
        )
        self._finish(centers, counts, rng)
        self.n_steps_ += 1
        labels, distances = core.nearest_centers(points, centers)
        self.labels_ = labels.numpy()
        self.inertia_ = float(np.dot(distances.numpy(), sample_weight))
        return self

    # ------------------------------------------------------------------ #
    # Using the centres
    # ------------------------------------------------------------------ #
    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit on an array, then return the training labels (``labels_``)."""
        if isinstance(X, tf.data.Dataset):
            raise TypeError("fit_predict needs an array; fit a Dataset with fit instead.")
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit on an array, then return the distances of the training data to the centres."""
        if isinstance(X, tf.data.Dataset):
            raise TypeError("fit_transform needs an array; fit a Dataset with fit instead.")
        self.fit(X, sample_weight=sample_weight)
        return self._transform(self._check_test_data(X))
