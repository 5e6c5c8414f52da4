"""KMeans on data beyond one machine's memory or one device: the estimators' side.

:class:`~clustering_lib.KMeans` hands its fit to :func:`fit_kmeans` when ``X`` is a
``tf.data.Dataset`` of row batches or a NumPy memory map, or when a ``strategy`` is
set; ``predict``/``transform``/``score`` hand a Dataset to :func:`predict`,
:func:`transform` and :func:`score`. The engine is in :mod:`clustering_lib.core`:
:mod:`~clustering_lib.core.streaming` (row sources, passes),
:mod:`~clustering_lib.core.distributed` (replicas) and
:mod:`~clustering_lib.core.kmeans_parallel` (k-means||).

What a streamed fit does, pass by pass:

1. one pass for the size, the float64 column means (the centring offset) and
   variances (the scale of ``tol``), and the checks (NaN, widths, weights);
2. the initial centres: ``init='k-means||'`` (``n_rounds + 2`` passes, 4 by default),
   ``'random'`` (one pass), an array (none) or a callable (called with ``X`` itself);
   ``'k-means++'`` needs random access to the rows it picks: on a memory map it makes
   two passes per centre (and holds 16 bytes a row), a Dataset is refused with a
   clear error;
3. Lloyd's iterations, one pass each, with scikit-learn's stopping rule and
   empty-cluster relocation, and one last pass for the labels and the inertia.

An ndarray or tensor with a ``strategy`` is in memory: its mean, variance and
k-means++ seeding are computed exactly as the in-memory fit computes them, so that
only the passes run on the replicas.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse
import tensorflow as tf
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from . import core
from .base import replaces_best_run
from .core import execution, streaming
from .core.distributed import ReplicaRunner
from .core.execution import BlockPlan
from .core.kmeans_parallel import kmeans_parallel, kmeans_plusplus_rows, random_rows
from .core.lloyd import lloyd_on
from .core.minibatch import MiniBatchStep, StepResult
from .core.passes import KernelOptions

__all__ = [
    "fit_kmeans",
    "kmeans_parallel_in_memory",
    "ReplicatedStep",
    "both",
    "minibatch_step",
    "predict",
    "score",
    "transform",
    "uses_streamed_fit",
]

KMEANS_PLUSPLUS_NEEDS_MEMORY = (
    "init='k-means++' needs the data in memory (or random access to it, as a memory map "
    "gives): it makes two passes over all points for every centre. For a "
    "tf.data.Dataset use init='k-means||' (about 2 * n_clusters candidates per pass, 4 "
    "passes; Bahmani et al. 2012), init='random', or k-means++ on a uniform sample: "
    "init=lambda X, k, random_state: clustering_lib.core.kmeans_plusplus("
    "clustering_lib.core.sample_rows(X, 100_000, random_state), k, random_state)[0]."
)


def uses_streamed_fit(X: Any, strategy: Any) -> bool:
    """Whether a fit on ``X`` goes through :func:`fit_kmeans`."""
    return strategy is not None or streaming.is_streamed(X)


def both(*callbacks: Callable | None) -> Callable | None:
    """One callback that calls each of ``callbacks`` (None where none is given)."""
    given = [callback for callback in callbacks if callback is not None]
    if not given:
        return None
    if len(given) == 1:
        return given[0]

    def call_all(info: Any) -> None:
        for callback in given:
            callback(info)

    return call_all


def _n_init(estimator: Any) -> int:
    """The number of runs, as the in-memory fit resolves ``n_init`` (parameters are
    checked by then)."""
    init = estimator.init
    is_array = not isinstance(init, str) and not callable(init)
    if estimator.n_init != "auto":
        n_init = int(estimator.n_init)
    elif is_array or init in ("k-means++", "k-means||"):
        return 1
    else:
        n_init = estimator.default_n_init
    if is_array and n_init != 1:
        warnings.warn(
            "Explicit initial center position passed: performing only one init in "
            f"{type(estimator).__name__} instead of n_init={n_init}.",
            RuntimeWarning,
            stacklevel=4,
        )
        return 1
    return n_init


def _check_estimator(estimator: Any, X: Any) -> None:
    """What the parameter table leaves to the streamed fit (see ``KMeans.fit``)."""
    if estimator.fixed_features is not None:
        raise ValueError(
            "fixed_features is not supported with a memory map, a tf.data.Dataset or a "
            "strategy; fit an in-memory array without a strategy instead."
        )
    if scipy.sparse.issparse(X) or isinstance(X, tf.SparseTensor):
        raise ValueError(
            "strategy is not supported for sparse X; fit it without a strategy (the "
            "sparse engine reads it row block by row block)."
        )


def _in_memory(X: Any) -> bool:
    """An ndarray (not a memory map) or a tensor: data the fit may read as a whole."""
    return isinstance(X, tf.Tensor | tf.Variable) or (
        isinstance(X, np.ndarray) and not isinstance(X, np.memmap)
    )


def _summary(X: Any, source, progress) -> streaming.DataSummary:
    """The first pass; for in-memory data the in-memory fit's own NumPy statistics
    (its mean and ``np.var``, so that both stop at the same iteration)."""
    if not _in_memory(X):
        return streaming.summarize(source, progress)
    points = _points(source)
    if not np.isfinite(points).all():
        raise ValueError("Input X contains NaN or infinity.")
    weights = _weights(source)
    if (weights < 0).any():
        raise ValueError("Negative values in data passed to sample_weight")
    if not (weights > 0).any():
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return streaming.DataSummary(len(points), points.shape[1], source.dtype,
                                 points.mean(axis=0), np.var(points, axis=0),
                                 float(weights.sum()))


def _points(source) -> np.ndarray:
    """An in-memory source's points, in its dtype (unit rows for cosine)."""
    points = np.asarray(source.points, source.dtype)
    if source.unit_rows:
        points = points / np.linalg.norm(points, axis=1, keepdims=True)
    return points


def _weights(source) -> np.ndarray:
    weights = source.weights
    return (np.ones(source.n_samples, source.dtype) if weights is None
            else np.asarray(weights, source.dtype))


def _check_centers(centers: Any, n_clusters: int, n_features: int, dtype) -> np.ndarray:
    centers = centers.numpy() if isinstance(centers, tf.Tensor | tf.Variable) else centers
    centers = np.asarray(centers)
    if centers.shape != (n_clusters, n_features):
        raise ValueError(
            f"The shape of the initial centers {centers.shape} does not match "
            f"(n_clusters, n_features) = ({n_clusters}, {n_features})."
        )
    if centers.dtype.kind not in "biuf":
        raise TypeError(f"init must hold real numbers, got an array of dtype {centers.dtype}.")
    if not np.isfinite(centers).all():
        raise ValueError(
            "init contains NaN or infinity; partially given centres (NaN) need the data "
            "in memory: fit an in-memory array without a strategy."
        )
    return centers.astype(dtype)


def _initial_centers(estimator, X, data: streaming.StreamedPasses, rng, sample_weight):
    """One run's initial centres, in the data's frame (not centred)."""
    init, n_clusters = estimator.init, estimator.n_clusters
    offset = data.offset_array
    if isinstance(init, str):
        if init == "k-means||":
            return kmeans_parallel(data, n_clusters, rng).centers + offset
        if _in_memory(X) and init in ("k-means++", "random"):
            # The in-memory fit's own seeding, so that both start from the same rows.
            points, weights = _points(data.source), _weights(data.source)
            if init == "random":
                return points[core.random_init_indices(points, n_clusters, rng, weights)]
            offset = None if data.source.unit_rows else offset
            return points[core.kmeans_plusplus_indices(points, n_clusters, rng, weights,
                                                        offset=offset)]
        if init == "random":
            rows = random_rows(data, n_clusters, rng)
            return rows.astype(data.dtype)
        if init == "k-means++":
            if isinstance(X, tf.data.Dataset):
                raise ValueError(KMEANS_PLUSPLUS_NEEDS_MEMORY)
            # A memory map: the same algorithm, reading it block by block.
            return np.asarray(X[kmeans_plusplus_rows(data, n_clusters, rng)], data.dtype)
        raise ValueError(
            f"init must be 'k-means++', 'k-means||', 'random', a callable or an array, "
            f"got {init!r}."
        )
    if callable(init):
        init = init(X, n_clusters, random_state=rng)
    return _check_centers(init, n_clusters, data.n_features, data.dtype)


def _count_distinct(labels: np.ndarray, n_clusters: int, block: int = 2**20) -> int:
    """Number of distinct labels, counted in slices (``bincount`` widens to int64)."""
    seen = np.zeros(n_clusters, bool)
    for start in range(0, len(labels), block):
        seen |= np.bincount(labels[start:start + block], minlength=n_clusters) > 0
    return int(seen.sum())


def fit_kmeans(estimator: Any, X: Any, sample_weight: Any = None) -> Any:
    """``KMeans.fit`` for a memory map, a ``tf.data.Dataset``, or with a ``strategy``.

    The parameters are checked (``KMeans.fit`` validates them first). Sets the
    estimator's fitted attributes as an in-memory fit does (``cluster_centers_``,
    ``labels_``, ``inertia_``, ``n_iter_``, ``init_centers_``, ``n_features_in_``)
    and ``n_passes_``, the number of passes over the data the fit made. Each of the
    ``n_init`` runs makes its own passes.
    """
    _check_estimator(estimator, X)
    n_init = _n_init(estimator)
    spherical = estimator.metric == "cosine"
    verbose = int(getattr(estimator, "verbose", 0) or 0)
    callback = getattr(estimator, "callback", None)
    source = streaming.row_source(X, sample_weight, unit_rows=spherical)
    runner = ReplicaRunner(estimator.strategy)
    # As the in-memory fit: verbose >= 2 where someone watches shows progress bars (one
    # per pass over the data) instead of scikit-learn's per-iteration lines.
    progress = streaming.PassProgress(
        verbose >= 2 and runner.is_chief and streaming.PassProgress.interactive()
    )
    summary = _summary(X, source, progress)
    n_clusters = estimator.n_clusters
    if summary.n_samples < n_clusters:
        raise ValueError(f"n_samples={summary.n_samples} should be >= n_clusters={n_clusters}.")
    dtype = np.dtype(summary.dtype)
    tol = float(np.mean(summary.variance) * estimator.tol) if estimator.tol > 0 else 0.0
    offset = np.zeros(summary.n_features, dtype) if spherical else summary.mean.astype(dtype)
    data = streaming.StreamedPasses(source, summary, n_clusters, offset, runner, progress)
    data.n_passes = 0 if _in_memory(X) else 1
    rng = check_random_state(estimator.random_state)

    best = None
    for _ in range(n_init):
        init_centers = _initial_centers(estimator, X, data, rng, sample_weight)
        if spherical:
            norms = np.linalg.norm(init_centers, axis=1, keepdims=True)
            init_centers = np.where(norms > 0, init_centers / np.where(norms > 0, norms, 1),
                                    init_centers).astype(dtype)
        if verbose and not progress.enabled:
            print("Initialization complete")
        result = lloyd_on(data, init_centers - offset, max_iter=estimator.max_iter, tol=tol,
                          spherical=spherical, verbose=int(bool(verbose) and not progress.enabled),
                          callback=callback)
        inertia = float(result.inertia) / (2.0 if spherical else 1.0)
        labels = result.labels.numpy()
        if replaces_best_run(inertia, labels, best, estimator.n_clusters):
            best = (result.centers.numpy().astype(dtype), labels, inertia,
                    int(result.n_iter), init_centers)

    centers, labels, inertia, n_iter, init_centers = best
    n_distinct = _count_distinct(labels, n_clusters)
    if n_distinct < n_clusters:
        warnings.warn(
            f"Number of distinct clusters ({n_distinct}) found smaller than "
            f"n_clusters ({n_clusters}). Possibly due to duplicate points in X.",
            ConvergenceWarning,
            stacklevel=3,
        )
    estimator.cluster_centers_ = centers
    estimator.init_centers_ = init_centers
    estimator.labels_ = labels.astype(np.int32)
    estimator.inertia_ = inertia
    estimator.n_iter_ = n_iter
    estimator.n_features_in_ = summary.n_features
    estimator.n_passes_ = data.n_passes
    estimator._n_features_out = n_clusters
    return estimator


def kmeans_parallel_in_memory(X: np.ndarray, n_clusters: int, rng: np.random.RandomState,
                              weights: Any, offset: np.ndarray) -> np.ndarray:
    """``init='k-means||'`` for an in-memory fit: the same draws over the array's rows.

    ``offset`` is the fit's centring (the data's mean; None for sparse or spherical
    data); returns the centres in the frame of ``X``. A sparse matrix is read in dense
    blocks.
    """
    weights = np.asarray(weights)
    source = streaming.ArrayRows(X, weights)
    offset = np.zeros(X.shape[1]) if offset is None else offset
    summary = streaming.DataSummary(X.shape[0], X.shape[1], source.dtype,
                                    np.asarray(offset, np.float64), np.zeros(X.shape[1]),
                                    float(weights.sum()))
    data = streaming.StreamedPasses(source, summary, n_clusters, offset)
    return kmeans_parallel(data, n_clusters, rng).centers + data.offset_array


# --------------------------------------------------------------------------- #
# MiniBatchKMeans on the replicas of a strategy
# --------------------------------------------------------------------------- #
def minibatch_step(strategy: tf.distribute.Strategy | None) -> Callable[..., MiniBatchStep]:
    """The step class of a mini-batch run: :class:`MiniBatchStep`, or with a strategy
    :class:`ReplicatedStep` on it (same arguments)."""
    if strategy is None:
        return MiniBatchStep
    return functools.partial(ReplicatedStep, strategy=strategy)


class ReplicatedStep(MiniBatchStep):
    """A :class:`~clustering_lib.core.minibatch.MiniBatchStep` whose assignment runs on
    the replicas of ``strategy``: one global batch per step.

    The batch is split between the replicas; each adds up the float64 per-cluster sums
    of its share with the engine's block kernel, the sums are reduced
    (``strategy.reduce``), and the update (the count-weighted move of the centres and
    scikit-learn's reassignment of low-count centres) is applied once, on the host, to
    the k x d numbers, in float64 as the compiled step does, so every replica
    continues from the same centres.
    """

    def __init__(self, centers: np.ndarray, *, strategy: tf.distribute.Strategy,
                 **kwargs: Any) -> None:
        super().__init__(centers, **kwargs)
        self.runner = ReplicaRunner(strategy)

    def update(self, batch: Any, weights: tf.Tensor, *, rows: np.ndarray | None = None,
               sample_weight: np.ndarray | None = None, jit_compile: bool = False) -> StepResult:
        """Apply one batch (see :meth:`MiniBatchStep.update`; ``jit_compile`` is unused:
        the kernel's compilation follows the engine's plan)."""
        if scipy.sparse.issparse(batch) or not isinstance(batch, tf.Tensor | np.ndarray):
            raise TypeError("MiniBatchKMeans with a strategy takes dense data only.")
        points = np.asarray(batch if rows is None else tf.gather(batch, rows))
        weights = np.asarray(weights)
        reassign, candidates = self._candidates(len(points), sample_weight)
        centers = self.centers.numpy()
        n_clusters, n_features = centers.shape
        runner = self.runner
        chunk = -(-len(points) // runner.n_replicas)
        norms = np.einsum("ij,ij->i", centers, centers)
        sums, inertia = runner.run_pass(
            "assign", BlockPlan("graph", chunk, n_clusters), tf.as_dtype(centers.dtype),
            n_features, KernelOptions(centred=False, weighted=True, inertia=True),
            [runner.split(0, points, weights, chunk)],
            (tf.zeros([n_features], centers.dtype), tf.constant(centers), tf.constant(norms)),
            lambda *_: None,
        )
        old = centers.astype(np.float64)
        counts = self.counts.numpy() + sums[:, -1]
        # c + (w / n) (m - c) = c + (sum - w c) / n; a centre that got nothing stays.
        moved = old + np.divide(sums[:, :-1] - sums[:, -1:] * old, counts[:, None],
                                out=np.zeros_like(old), where=counts[:, None] != 0)
        n_reassigned = 0
        if reassign:
            moved, counts, n_reassigned = _reassign_low_counts(
                points, moved, counts, candidates.numpy(), self.reassignment_ratio
            )
        new_centers = moved.astype(centers.dtype)
        shift = float(np.sum(np.square(new_centers.astype(np.float64) - old)))
        self.centers, self.counts = tf.constant(new_centers), tf.constant(counts)
        self.has_empty = bool(np.any(counts == 0))
        if self.verbose and n_reassigned:
            print(f"[MiniBatchKMeans] Reassigning {n_reassigned} cluster centers.")
        return StepResult(float(inertia), shift, n_reassigned)


def _reassign_low_counts(points, centers, counts, candidates, ratio):
    """scikit-learn's reassignment of low-count centres (as ``core.minibatch`` does it).

    The centres whose count is below ``ratio * max(counts)``, at most ``len(points) //
    2`` of them (the lowest counts, ties by index), take the batch rows
    ``candidates`` in index order; their counts become the smallest kept count.
    """
    rank = np.empty(len(counts), np.int64)
    rank[np.argsort(counts, kind="stable")] = np.arange(len(counts))
    low = (counts < ratio * counts.max()) & (rank < len(points) // 2)
    slot = np.maximum(np.cumsum(low) - 1, 0)
    centers = np.where(low[:, None], points[candidates[slot]].astype(np.float64), centers)
    kept_min = np.where(low, counts.max(), counts).min()
    return centers, np.where(low, kept_min, counts), int(low.sum())


# --------------------------------------------------------------------------- #
# Using the centres on a Dataset
# --------------------------------------------------------------------------- #
def _batches(estimator: Any, X: tf.data.Dataset):
    """The checked batches of ``X`` as arrays in the centres' dtype."""
    cosine = getattr(estimator, "metric", "euclidean") == "cosine"
    source = streaming.DatasetRows(X, unit_rows=cosine)
    for _, rows, _ in source.blocks(execution.host_block_rows(estimator.n_features_in_)):
        if rows.shape[1] != estimator.n_features_in_:
            raise ValueError(
                f"X has {rows.shape[1]} features, but {type(estimator).__name__} is expecting "
                f"{estimator.n_features_in_} features as input."
            )
        yield rows.astype(estimator.cluster_centers_.dtype, copy=False)


def _each_batch(estimator: Any, X: tf.data.Dataset, function: Callable) -> np.ndarray:
    centers = tf.constant(estimator.cluster_centers_)
    return np.concatenate([function(rows, centers) for rows in _batches(estimator, X)])


def predict(estimator: Any, X: tf.data.Dataset) -> np.ndarray:
    """Nearest centre of every row of a Dataset, as one int32 array (n,)."""
    return _each_batch(estimator, X,
                       lambda rows, centers: core.nearest_centers(rows, centers)[0].numpy())


def transform(estimator: Any, X: tf.data.Dataset) -> np.ndarray:
    """Distances (n, n_clusters) of every row of a Dataset to the centres, as one array."""

    def distances(rows, centers):
        squared = core.center_distances(rows, centers, squared=True)
        if getattr(estimator, "metric", "euclidean") == "cosine":
            return (squared / 2.0).numpy()
        return tf.sqrt(squared).numpy()

    return _each_batch(estimator, X, distances)


def score(estimator: Any, X: tf.data.Dataset) -> float:
    """Opposite of the inertia of a Dataset on the fitted centres."""
    distances = _each_batch(estimator, X,
                            lambda rows, centers: core.nearest_centers(rows, centers)[1]
                            .numpy().astype(np.float64))
    scale = 2.0 if getattr(estimator, "metric", "euclidean") == "cosine" else 1.0
    return -float(distances.sum()) / scale
