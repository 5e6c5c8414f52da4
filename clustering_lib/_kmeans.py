"""A scikit-learn-compatible k-means estimator on top of the TensorFlow core.

The estimator is a thin layer: it validates parameters and input the way scikit-learn's
``KMeans`` does (same names, meanings, dtype rules and messages), converts the data to a
tensor once (or, for a sparse CSR matrix, to the engine's sparse rows), and runs the
compiled Lloyd loop of the core.

Beyond scikit-learn it offers partially given initial centres (NaN in an ``init``
array), coordinates held fixed during the fit (``fixed_features``), spherical k-means
(``metric='cosine'``) and :meth:`KMeans.inverse_transform`, which recovers points from
their distances to the centres.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple

import numpy as np
import scipy.sparse as sp
import tensorflow as tf
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_array, check_is_fitted

from . import core
from ._base import (
    BaseKMeans,
    Options,
    check_sample_weight,
    is_array_init,
    replaces_best_run,
    tolerance,
)
from .core import _execution as execution
from .core import _streaming as streaming
from .core._distributed import ReplicaRunner
from .core._inits import INITS
from .core._kernels import cluster_means
from .core._lloyd import lloyd_on
from .core._metrics import METRICS
from .core._progress import PassProgress, chain, is_interactive, progress_callback
from .core._sources import Source, as_source
from .core._validation import check_random_state

__all__ = ["DegenerateCentersWarning", "InconsistentDistancesWarning", "KMeans"]

_DTYPES = [np.float64, np.float32]

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
    METRICS[metric].check_supports("fixed_features")
    mask = np.zeros(n_features, dtype=bool)
    mask[indices] = True
    return mask


def _check_partial_init(centers: np.ndarray, metric: str) -> None:
    """NaN marks an unknown coordinate: every row needs a known one (not every metric
    supports it)."""
    if np.isinf(centers).any():
        raise ValueError("init contains infinity; NaN marks an unknown coordinate.")
    unknown = np.isnan(centers)
    if not unknown.any():
        return
    METRICS[metric].check_supports("partial_init", "init with NaN (a partially given centre)")
    empty_rows = np.flatnonzero(unknown.all(axis=1)).tolist()
    if empty_rows:
        rows = ", ".join(map(str, empty_rows))
        raise ValueError(
            f"init row{'s' if len(empty_rows) > 1 else ''} {rows} "
            f"ha{'ve' if len(empty_rows) > 1 else 's'} no known coordinate (all NaN); "
            "give at least one coordinate of every centre."
        )


def _masked_labels(X: Any, known: np.ndarray, offsets: np.ndarray, x_mean: np.ndarray | None):
    """Nearest centre of every row of X in that centre's known coordinates.

    With the mask ``M`` of known entries and ``m`` the centres with zeros for NaN (both
    relative to ``x_mean`` for dense X), the squared distances are
    ``x^2 @ M.T - 2 x @ m.T + sum(m^2)``, block by block of rows.
    """
    mask = known.astype(X.dtype)
    offset_norms = np.sum(np.square(offsets), axis=1)
    labels = []
    block_rows = execution.get_config().completion_block_rows
    for start in range(0, X.shape[0], block_rows):
        block = X[start:start + block_rows]
        if sp.issparse(block):
            squares, cross = block.multiply(block) @ mask.T, block @ offsets.T
        else:
            block = tf.constant(block - x_mean)
            squares = tf.matmul(tf.square(block), tf.constant(mask), transpose_b=True)
            cross = tf.matmul(block, tf.constant(offsets), transpose_b=True)
        distances = np.asarray(squares) - 2.0 * np.asarray(cross) + offset_norms
        labels.append(np.argmin(distances, axis=1))
    return np.concatenate(labels).astype(np.int32)


def _complete_partial_centers(
    centers: np.ndarray, X: Any, x_mean: np.ndarray | None, sample_weight: np.ndarray
) -> np.ndarray:
    """Fill the NaN coordinates of ``centers`` (in the data's frame) from the data.

    Each point goes to the centre nearest in that centre's known coordinates (centres
    may know different coordinates); an unknown coordinate then becomes the weighted
    mean of that coordinate over the centre's points. The known entries are returned
    unchanged. ``x_mean``: the mean of dense X, subtracted block by block for accurate
    distances (None for sparse X).
    """
    n_clusters = centers.shape[0]
    known = ~np.isnan(centers)
    origin = 0.0 if x_mean is None else x_mean
    offsets = np.where(known, centers - origin, 0.0).astype(centers.dtype)
    labels = _masked_labels(X, known, offsets, x_mean)
    sums, totals = core.cluster_sums(X, sample_weight, labels, n_clusters)
    means = cluster_means(sums, totals, tf.zeros(centers.shape, tf.float64)).numpy()
    totals = totals.numpy()
    starved = np.flatnonzero((totals <= 0) & ~known.all(axis=1)).tolist()
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


class _Run(NamedTuple):
    """One of a fit's ``n_init`` runs: final centres (the data's dtype), labels, inertia,
    iterations and the centres it started from."""

    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int
    init_centers: np.ndarray


class KMeans(BaseKMeans):
    """K-means clustering in TensorFlow, with scikit-learn's interface.

    Lloyd's algorithm runs as compiled TensorFlow passes; the parameters, attributes,
    stopping rule, empty-cluster handling, k-means++ seeding, dtype rules and messages
    follow :class:`sklearn.cluster.KMeans`, so the same initial centres give the same
    labels. Dense arrays, tensors and sparse CSR matrices are accepted.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters and of centroids.
    init : {'k-means++', 'k-means||', 'random'}, callable or array-like of shape \
            (n_clusters, n_features), default='k-means++'
        How to choose the initial centres: greedy k-means++; k-means|| (Bahmani et
        al. 2012: a few passes, for data that is not in memory); ``n_clusters``
        distinct observations at random; ``init(X, n_clusters, random_state)``
        returning an array (called on X as given; scikit-learn passes dense X
        mean-centred); or the centres themselves.

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
        inertia is kept. 'auto' means 1 for 'k-means++', 'k-means||' or an array
        and 10 for 'random' or a callable.
    max_iter : int, default=300
        Maximum number of Lloyd iterations in one run.
    tol : float, default=1e-4
        Relative tolerance: a run stops when the squared shift of the centres,
        summed over clusters, is at most ``tol`` times the mean variance of the
        features (or when no label changes).
    verbose : int, default=0
        1: print scikit-learn's lines ("Initialization complete", "Iteration i,
        inertia x." and why the run stopped). 2 or more: a progress bar per run
        (``keras.utils.Progbar``, one step per iteration, with the inertia) when the
        output is interactive (a notebook or a terminal), else the same lines as 1.
    random_state : int, RandomState instance or None, default=None
        Seed for the initialisation. An int gives identical results on every run.
    copy_x : bool, default=True
        Accepted for scikit-learn compatibility; X is never modified or copied in
        either case (dense X is centred block by block as the engine reads it, where
        scikit-learn centres a copy of X, or X itself with ``copy_x=False``).
    algorithm : {'lloyd', 'elkan'}, default='lloyd'
        Both run the same exact Lloyd iterations. Elkan's algorithm skips distance
        computations with triangle-inequality bounds but gives the same result as
        Lloyd's; on a matrix-product engine the skipped work does not pay for the
        bookkeeping, so 'elkan' is accepted and runs Lloyd's loop.
    metric : {'euclidean', 'cosine'}, default='euclidean'
        'cosine' runs spherical k-means: the rows of X are scaled to unit length
        (a row of zeros is an error), points join the centre of largest cosine
        similarity, and centres are scaled back to unit length after every update.
        ``transform`` then returns cosine distances ``1 - cos`` and ``inertia_`` is
        their (weighted) sum. Works on sparse X too (TF-IDF text).
    fixed_features : list of int or None, default=None
        Indices of features whose centre coordinates stay at their initial values
        for the whole fit, whatever ``init`` chose them to be (given, completed
        from NaN, or picked from the data by k-means++ or 'random'); the other
        coordinates are updated as usual. The stopping rule and empty-cluster
        relocation still apply: a relocated centre takes a far point's
        coordinates, except on the fixed features. Checked in :meth:`fit`
        (integers in ``[0, n_features)``, no repeats). Not supported with
        ``metric='cosine'``, whose unit-length rescaling would move them.
    strategy : tf.distribute.Strategy or None, default=None
        Run every pass over the data on the replicas of this strategy
        (``MirroredStrategy``, ``MultiWorkerMirroredStrategy``, ...): each replica
        adds up the float64 sums of its share of every block of rows, the sums are
        reduced once per pass, and the centres are replicated (see Notes).
    callback : callable or None, default=None
        Called with a :class:`clustering_lib.callbacks.IterationInfo` after every Lloyd
        iteration; e.g. :class:`clustering_lib.callbacks.CenterCheckpoint`, which saves
        the centres so that an interrupted fit can resume from them.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of the cluster centres, of X's dtype (float64 for integer X).
    labels_ : ndarray of shape (n_samples,)
        Label of each training point.
    inertia_ : float
        Sum of (weighted) squared distances of the points to their centre (with
        ``metric='cosine'``, of cosine distances), accumulated in float64.
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

    Notes
    -----
    Besides arrays, :meth:`fit` accepts a NumPy memory map and a ``tf.data.Dataset``
    of row batches (shape (batch, n_features)), read block by block: each Lloyd
    iteration is one pass over the data, memory stays O(block x k) plus a few bytes
    a row for the labels, and from the same initial centres the result equals the
    in-memory fit up to the order of float64 sums (``n_passes_`` counts the passes).
    There, ``init='k-means||'`` takes 4 passes, 'random' one, k-means++ two per
    centre on a memory map and is refused for a Dataset; ``fixed_features`` and NaN
    in ``init`` are not supported. :meth:`predict`, :meth:`transform` and
    :meth:`score` accept a Dataset too and return arrays. See notebook 08.

    Examples
    --------
    >>> import numpy as np
    >>> from clustering_lib import KMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> sorted(km.cluster_centers_.tolist())
    [[1.0, 2.0], [10.0, 2.0]]
    """

    parameter_constraints: ClassVar[dict[str, list]] = {
        **BaseKMeans.parameter_constraints,
        "copy_x": ["boolean"],
        "strategy": [tf.distribute.Strategy, None],
        "callback": [callable, None],
        "algorithm": [Options(frozenset({"lloyd", "elkan"}))],
        "metric": [Options(METRICS)],
        "fixed_features": ["array-like", None],
    }
    default_n_init: ClassVar[int] = 10
    allows_nan_init: ClassVar[bool] = True
    reads_datasets: ClassVar[bool] = True

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Any = "k-means++",
        n_init: str | int = "auto",
        max_iter: int = 300,
        tol: float = 1e-4,
        verbose: int = 0,
        random_state: Any = None,
        copy_x: bool = True,
        algorithm: str = "lloyd",
        metric: str = "euclidean",
        fixed_features: list[int] | None = None,
        strategy: Any = None,
        callback: Any = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm
        self.metric = metric
        self.fixed_features = fixed_features
        self.strategy = strategy
        self.callback = callback

    # ------------------------------------------------------------------ #
    def _check_params_vs_input(self, X: Any) -> None:
        super()._check_params_vs_input(X)
        self._algorithm = self.algorithm
        if self._algorithm == "elkan" and self.n_clusters == 1:
            warnings.warn(
                "algorithm='elkan' doesn't make sense for a single cluster. Using 'lloyd' "
                "instead.",
                RuntimeWarning,
                stacklevel=3,
            )
            self._algorithm = "lloyd"

    def _initial_centers(self, X, x_mean, sample_weight, rng, init, cache=None) -> np.ndarray:
        """Initial centres for one run, in the frame of ``X`` (NaN coordinates filled).

        k-means++ and 'random' return rows of ``X`` itself, so the coordinates they
        choose are exact data values. ``x_mean``: dense X's mean (None for sparse X).
        ``cache``: one dict for all the runs of a fit (k-means++ prepares the data once).
        """
        if isinstance(init, str):
            return INITS[init].in_memory(X, self.n_clusters, rng, sample_weight,
                                         offset=x_mean, cache=cache)
        if callable(init):
            init = self._init_centroids(X, None, init, rng, sample_weight)
            init = np.array(init, dtype=X.dtype, order="C")
        _check_partial_init(init, self.metric)
        if np.isnan(init).any():
            init = _complete_partial_centers(init, X, x_mean, sample_weight)
        return init

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> KMeans:
        """Compute k-means clustering.

        Parameters
        ----------
        X : {array-like, sparse matrix} or tf.Tensor of shape (n_samples, n_features)
            Training data. float32 and float64 are kept, other types become float64;
            a sparse matrix is used as CSR (not centred, not densified).
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
        self._validate_params()
        source = as_source(X, sample_weight, strategy=self.strategy)
        if source.streamed:
            return _fit_passes(self, source)
        X = self._validate_X(X, reset=True)
        self._check_params_vs_input(X)
        fixed_mask = _check_fixed_features(self.fixed_features, X.shape[1], self.metric)
        sample_weight = check_sample_weight(sample_weight, X)
        rng = check_random_state(self.random_state)
        init = self.init
        if is_array_init(init):
            init = self._check_init_array(init, X.shape[1], X.dtype, allow_nan=True)

        metric = METRICS[self.metric]
        # The engine subtracts the mean of dense data block by block (scikit-learn centres
        # its data too): distances do not change, and the expanded distance formula loses
        # less precision. Spherical k-means works on the unit sphere itself, and sparse
        # data is never centred.
        x_mean = X.mean(axis=0) if source.centered and metric.centered else None

        seeding_cache: dict = {}  # lives for this fit only, with X unchanged

        def run() -> _Run:
            init_centers = self._initial_centers(X, x_mean, sample_weight, rng, init,
                                                 seeding_cache)
            if self.verbose:
                print("Initialization complete")
            init_centers = metric.prepare_centers(init_centers)
            progress = progress_callback(self.verbose, self.max_iter)
            result = core.run_lloyd(
                X, sample_weight, init_centers, max_iter=self.max_iter, tol=self._tol,
                offset=x_mean, spherical=metric.unit_rows, fixed_mask=fixed_mask,
                verbose=int(bool(self.verbose) and progress is None),
                callback=chain(progress, self.callback),
            )
            if progress is not None:
                progress.finish()
            return _Run(result.centers.numpy().astype(X.dtype, copy=False),
                        result.labels.numpy(),
                        metric.from_squared(float(result.inertia)),
                        int(result.n_iter), init_centers)

        best = self._best_run(self._n_init, run, stacklevel=3)
        if fixed_mask is not None:
            # The engine kept them at init - x_mean; adding x_mean back may round.
            best.centers[:, fixed_mask] = best.init_centers[:, fixed_mask]
        return self._set_fitted(best)

    def _best_run(self, n_init: int, run: Callable[[], _Run], stacklevel: int) -> _Run:
        """The ``n_init`` runs of a fit (``run`` makes one: the in-memory fit's or the
        fit's in passes), the best kept by scikit-learn's rule
        (:func:`~clustering_lib._base.replaces_best_run`), with scikit-learn's warning when
        it has fewer distinct clusters than ``n_clusters``."""
        best = None
        for _ in range(n_init):
            result = run()
            if replaces_best_run(result.inertia, result.labels, best, self.n_clusters):
                best = result
        n_distinct = _count_distinct(best.labels, self.n_clusters)
        if n_distinct < self.n_clusters:
            warnings.warn(
                f"Number of distinct clusters ({n_distinct}) found smaller than "
                f"n_clusters ({self.n_clusters}). Possibly due to duplicate points in X.",
                ConvergenceWarning,
                stacklevel=stacklevel,
            )
        return best

    def _set_fitted(self, best: _Run) -> KMeans:
        """The fitted attributes, from the best run, whatever the input."""
        self.cluster_centers_ = best.centers
        self.init_centers_ = best.init_centers
        self._n_features_out = self.n_clusters
        self.labels_ = best.labels
        self.inertia_ = best.inertia
        self.n_iter_ = best.n_iter
        return self

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
        METRICS[self.metric].check_supports("inverse_transform")
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


# --------------------------------------------------------------------------- #
# The fit in passes: a memory map, a tf.data.Dataset, or any data with a strategy
# --------------------------------------------------------------------------- #
def _initial_centers_in_passes(estimator: KMeans, source: Source,
                               data: streaming.StreamedPasses, rng) -> np.ndarray:
    """One run's initial centres, in the data's frame (not centred)."""
    init, n_clusters = estimator.init, estimator.n_clusters
    if isinstance(init, str):
        return INITS[init].in_passes(data, source, n_clusters, rng)
    if callable(init):
        init = init(source.data, n_clusters, random_state=rng)
    centers = estimator._check_init_array(init, data.n_features, data.dtype, allow_nan=True)
    if np.isnan(centers).any():
        raise ValueError(
            "init contains NaN; partially given centres (NaN) need the data in memory: "
            "fit an in-memory array without a strategy."
        )
    return centers


def _count_distinct(labels: np.ndarray, n_clusters: int, block: int = 2**20) -> int:
    """Number of distinct labels, counted in slices (``bincount`` widens to int64)."""
    seen = np.zeros(n_clusters, bool)
    for start in range(0, len(labels), block):
        seen |= np.bincount(labels[start:start + block], minlength=n_clusters) > 0
    return int(seen.sum())


def _fit_passes(estimator: KMeans, source: Source) -> KMeans:
    """``KMeans.fit`` on a source read in passes (``source.streamed``): a memory map, a
    ``tf.data.Dataset``, or any data with a ``strategy``.

    What it does, pass by pass:

    1. one pass for the size, the float64 column means (the centring offset) and
       variances (the scale of ``tol``), and the checks (NaN, widths, weights); data
       in memory uses the in-memory fit's own NumPy statistics instead;
    2. the initial centres: ``init='k-means||'`` (``n_rounds + 2`` passes, 4 by
       default), ``'random'`` (one pass), an array (none) or a callable (called with
       ``X`` itself); ``'k-means++'`` needs random access to the rows it picks: on a
       memory map it makes two passes per centre (and holds 16 bytes a row), a Dataset
       is refused with a clear error. Data in memory is seeded as in memory;
    3. Lloyd's iterations (:func:`~clustering_lib.core._lloyd.lloyd_on` on
       :class:`~clustering_lib.core._streaming.StreamedPasses`), one pass each, with
       scikit-learn's stopping rule and empty-cluster relocation, and one last pass
       for the labels and the inertia.

    The parameters are checked (``KMeans.fit`` validates them first). Sets the fitted
    attributes as an in-memory fit does, and ``n_passes_``, the number of passes over
    the data the fit made. Each of the ``n_init`` runs makes its own passes.
    """
    if estimator.fixed_features is not None:
        raise ValueError(
            "fixed_features is not supported with a memory map, a tf.data.Dataset or a "
            "strategy; fit an in-memory array without a strategy instead."
        )
    n_init = estimator._resolve_n_init(stacklevel=4)
    metric = METRICS[estimator.metric]
    verbose = int(estimator.verbose or 0)
    rows = source.rows(unit_rows=metric.unit_rows)
    runner = ReplicaRunner(estimator.strategy)
    # As the in-memory fit: verbose >= 2 where someone watches shows progress bars (one
    # per pass over the data) instead of scikit-learn's per-iteration lines.
    progress = PassProgress(verbose >= 2 and runner.is_chief and is_interactive())
    summary = source.summarize(rows, progress)
    n_clusters = estimator.n_clusters
    if summary.n_samples < n_clusters:
        raise ValueError(f"n_samples={summary.n_samples} should be >= n_clusters={n_clusters}.")
    dtype = np.dtype(summary.dtype)
    tol = tolerance(summary.variance, estimator.tol)
    offset = (summary.mean if metric.centered else np.zeros(summary.n_features)).astype(dtype)
    data = streaming.StreamedPasses(rows, summary, n_clusters, offset, runner, progress)
    data.n_passes = 0 if source.in_memory else 1
    rng = check_random_state(estimator.random_state)

    def run() -> _Run:
        init_centers = _initial_centers_in_passes(estimator, source, data, rng)
        init_centers = metric.prepare_centers(init_centers).astype(dtype)
        if verbose and not progress.enabled:
            print("Initialization complete")
        result = lloyd_on(data, init_centers - offset, max_iter=estimator.max_iter, tol=tol,
                          spherical=metric.unit_rows,
                          verbose=int(bool(verbose) and not progress.enabled),
                          callback=estimator.callback)
        return _Run(result.centers.numpy().astype(dtype), result.labels.numpy().astype(np.int32),
                    metric.from_squared(float(result.inertia)), int(result.n_iter),
                    init_centers)

    estimator._set_fitted(estimator._best_run(n_init, run, stacklevel=4))
    estimator.n_features_in_ = summary.n_features
    estimator.n_passes_ = data.n_passes
    return estimator
