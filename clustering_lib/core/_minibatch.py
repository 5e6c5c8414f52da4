"""The mini-batch k-means update: one compiled kernel, and the step object that drives it.

The update rule (scikit-learn's ``_mini_batch_step``). Every centre ``c`` keeps a count
``n_c``, the total weight it has absorbed. On a batch, each point joins its nearest
centre; if the points that joined ``c`` weigh ``w`` in all, with weighted mean ``m``, then

    n_c <- n_c + w,        c <- c + (w / n_c) (m - c),

so that, until it is reassigned, a centre is the weighted mean of every point it ever
received. Centres whose count falls below ``ratio * max(counts)`` are then moved to
random points of the batch (at most half a batch of them, those of lowest count) and
their counts set to the smallest count that was kept.

:func:`minibatch_update` is that arithmetic on one batch, dense or sparse (rows of a CSR
matrix, see :mod:`._sparse`), with counts and sums in float64; it is compiled once per
dtype and batch kind. :class:`MiniBatchStep` holds a run's state (centres, counts, the
reassignment schedule and its random numbers) and is what every input path of the
estimator drives: random rows of an array, the batches of a ``tf.data.Dataset``, or the
arrays given to ``partial_fit``. :class:`ReplicatedStep` is the same step with the
assignment on the replicas of a ``tf.distribute`` strategy (:func:`minibatch_step`
chooses).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import tensorflow as tf

from . import _kernels as kernels
from . import _sparse as sparse
from ._distributed import ReplicaRunner
from ._execution import BlockPlan, count_trace, kernel_cache
from ._passes import KernelOptions
from ._seeding import random_indices

__all__ = [
    "MiniBatchStep",
    "ReplicatedStep",
    "StepResult",
    "apply_batch_sums",
    "minibatch_step",
    "minibatch_update",
    "move_centers",
    "reassign_low_counts",
]

class StepResult(NamedTuple):
    """What one update reports (Python floats)."""

    inertia: float  # batch inertia against the centres before the update
    squared_shift: float  # squared move of the centres, summed over clusters
    n_reassigned: int  # centres moved to batch points


# --------------------------------------------------------------------------- #
# The compiled update
# --------------------------------------------------------------------------- #
def _dense_assign(points, weights, centers):
    """Labels, squared distances, per-cluster float64 sums of w x and of w (the dense
    engine's block kernels: a batch is one block)."""
    labels, distances = kernels.nearest_center(
        points, tf.reduce_sum(tf.square(points), axis=1), centers,
        tf.reduce_sum(tf.square(centers), axis=1),
    )
    totals = kernels.cluster_sums(points, weights, labels, tf.shape(centers)[0])
    return labels, tf.cast(distances, tf.float64), totals[:, :-1], totals[:, -1]


def _sparse_assign(rows, weights, centers):
    n_clusters = tf.shape(centers)[0]
    n_rows = tf.shape(rows.row_splits, out_type=tf.int64)[0] - 1
    row_ids, columns, values = sparse.row_block(rows, 0, n_rows)
    center_norms = tf.reduce_sum(tf.square(centers), axis=1)
    labels, distances = sparse.block_nearest(
        row_ids, columns, values, n_rows, rows.n_features, centers, center_norms
    )
    sums, totals = sparse.block_sums(
        row_ids, columns, values, weights, labels, n_clusters, rows.n_features
    )
    return labels, distances, tf.reshape(sums, [n_clusters, -1]), totals


def _low_count_moves(counts, ratio, n_batch):
    """Which centres are reassigned: count below ``ratio * max``, at most ``n_batch // 2``
    of them (the lowest counts; ties by index)."""
    low = counts < ratio * tf.reduce_max(counts)
    index = tf.range(tf.shape(counts)[0])
    before = tf.logical_or(
        counts[None, :] < counts[:, None],
        tf.logical_and(tf.equal(counts[None, :], counts[:, None]), index[None, :] < index[:, None]),
    )
    rank = tf.reduce_sum(tf.cast(before, tf.int32), axis=1)
    return tf.logical_and(low, rank < n_batch // 2)


def minibatch_update(batch, weights, centers, counts, reassign, candidates, ratio):
    """One mini-batch update.

    Parameters
    ----------
    batch : tf.Tensor (b, d), or sparse.SparseRows of b rows
    weights : tf.Tensor (b,), the data's dtype
    centers : tf.Tensor (k, d), the data's dtype
    counts : tf.Tensor (k,) float64
    reassign : bool tensor
        Whether low-count centres may be reassigned in this step.
    candidates : int32 tensor
        ``min(k, b)`` distinct batch rows in random order; the j-th reassigned centre (in
        index order) takes the j-th.
    ratio : float64 tensor
        The reassignment ratio.

    Returns
    -------
    centers, counts, statistics
        The statistics are one float64 vector, read back in one transfer: the batch
        inertia against the old centres, the squared shift of the centres summed over
        clusters, 1.0 if some count is zero after the step (else 0.0), and the number of
        centres reassigned.
    """
    count_trace("minibatch_update")
    if isinstance(batch, sparse.SparseRows):
        labels, distances, sums, totals = _sparse_assign(batch, weights, centers)
        n_batch = tf.shape(batch.row_splits)[0] - 1
    else:
        labels, distances, sums, totals = _dense_assign(batch, weights, centers)
        n_batch = tf.shape(batch)[0]
    inertia = tf.reduce_sum(tf.cast(weights, tf.float64) * distances)

    def batch_rows(chosen):
        if isinstance(batch, sparse.SparseRows):
            return sparse.rows_as_dense(batch, tf.cast(chosen, tf.int64), tf.float64)
        return tf.cast(tf.gather(batch, chosen), tf.float64)

    new_centers, new_counts, statistics = apply_batch_sums(
        centers, counts, sums, totals, reassign, candidates, ratio, n_batch, batch_rows)
    return new_centers, new_counts, tf.concat([inertia[None], statistics], axis=0)


def apply_batch_sums(centers, counts, sums, totals, reassign, candidates, ratio, n_batch,
                     batch_rows):
    """The update by one batch's float64 per-cluster ``sums`` (of ``w x``) and ``totals``
    (of ``w``), in a graph or eagerly: the count-weighted move (:func:`move_centers`),
    then, where ``reassign``, scikit-learn's reassignment of low-count centres
    (:func:`reassign_low_counts`, from the batch's rows ``batch_rows(indices)``).

    Returns the centres (``centers``' dtype), the counts and a float64 vector: the
    squared shift of the centres summed over clusters, 1.0 if some count is zero after
    the step (else 0.0), and the number of centres reassigned.
    """
    old = tf.cast(centers, tf.float64)
    moved, new_counts = move_centers(old, counts, sums, totals)
    moved, new_counts, n_reassigned = tf.cond(
        reassign,
        lambda: reassign_low_counts(moved, new_counts, ratio, n_batch, candidates, batch_rows),
        lambda: (moved, new_counts, tf.constant(0.0, tf.float64)),
    )
    new_centers = tf.cast(moved, centers.dtype)
    shift = tf.reduce_sum(tf.square(tf.cast(new_centers, tf.float64) - old))
    has_empty = tf.cast(tf.reduce_any(tf.equal(new_counts, 0.0)), tf.float64)
    return new_centers, new_counts, tf.stack([shift, has_empty, n_reassigned])


def move_centers(centers: tf.Tensor, counts: tf.Tensor, sums: tf.Tensor,
                 totals: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """The count-weighted move of the centres by one batch's per-cluster ``sums`` (of
    ``w x``) and ``totals`` (of ``w``): ``n <- n + w``, ``c <- c + (sum - w c) / n``.

    All four in one dtype (float64 in the engine); a centre that never had weight stays.
    Returns the moved centres and the new counts.
    """
    new_counts = counts + totals
    moved = centers + tf.math.divide_no_nan(sums - totals[:, None] * centers,
                                            new_counts[:, None])
    return moved, new_counts


def reassign_low_counts(centers, counts, ratio, n_batch, candidates, batch_rows):
    """scikit-learn's reassignment of low-count centres after a move (float64).

    The centres chosen by :func:`_low_count_moves` take, in index order, the batch rows
    ``candidates`` (``batch_rows(indices)`` returns those rows as float64); their counts
    become the smallest count that was kept. Returns the centres, the counts and how
    many centres moved (float64).
    """
    low = _low_count_moves(counts, ratio, n_batch)
    slot = tf.maximum(tf.cumsum(tf.cast(low, tf.int32)) - 1, 0)
    points = batch_rows(tf.gather(candidates, slot))
    kept_min = tf.reduce_min(tf.where(low, tf.reduce_max(counts), counts))
    return (tf.where(low[:, None], points, centers), tf.where(low, kept_min, counts),
            tf.reduce_sum(tf.cast(low, tf.float64)))


def _sampled_update(data, rows, weights, centers, counts, reassign, candidates, ratio):
    """:func:`minibatch_update` on the rows ``rows`` of ``data``, gathered in the same graph."""
    count_trace("minibatch_sampled_update")
    if isinstance(data, sparse.SparseRows):
        ragged_values = tf.RaggedTensor.from_row_splits(data.values, data.row_splits,
                                                        validate=False)
        ragged_columns = tf.RaggedTensor.from_row_splits(data.columns, data.row_splits,
                                                         validate=False)
        values, columns = tf.gather(ragged_values, rows), tf.gather(ragged_columns, rows)
        batch = sparse.SparseRows(values.row_splits, columns.flat_values, values.flat_values,
                                  data.n_features)
    else:
        batch = tf.gather(data, rows)
    return minibatch_update(batch, weights, centers, counts, reassign, candidates, ratio)


@kernel_cache
def _compiled(sampled: bool, is_sparse: bool, jit_compile: bool):
    """The update as a tf.function; traced once per dtype (and batch shape under XLA)."""
    function = _sampled_update if sampled else minibatch_update
    return tf.function(function, jit_compile=jit_compile, reduce_retracing=True)


# --------------------------------------------------------------------------- #
# The step object
# --------------------------------------------------------------------------- #
class MiniBatchStep:
    """The state of one mini-batch k-means run, updated one batch at a time.

    Parameters
    ----------
    centers : ndarray of shape (k, d)
        Current centres (their dtype is the data's).
    random_state : numpy.random.RandomState
        Draws the batch points that reassigned centres take.
    reassignment_ratio : float
        0 disables reassignment.
    counts : ndarray of shape (k,), optional
        Weight absorbed by each centre so far (zeros for a new run).
    n_since_last_reassign : int, default=0
        Points processed since reassignment was last considered.
    verbose : int, default=0
        Print scikit-learn's "[MiniBatchKMeans] Reassigning n cluster centers." lines.

    Reassignment is considered, as scikit-learn does, when some count is zero or once
    ``10 * k`` points have been processed since it was last considered.
    """

    def __init__(
        self,
        centers: np.ndarray,
        *,
        random_state: np.random.RandomState,
        reassignment_ratio: float,
        counts: np.ndarray | None = None,
        n_since_last_reassign: int = 0,
        verbose: int = 0,
    ) -> None:
        self.centers = tf.constant(centers)
        n_clusters = int(self.centers.shape[0])
        counts = np.zeros(n_clusters) if counts is None else np.asarray(counts, np.float64)
        self.counts = tf.constant(counts, tf.float64)
        self.random_state = random_state
        self.reassignment_ratio = float(reassignment_ratio)
        self.n_since_last_reassign = int(n_since_last_reassign)
        self.has_empty = bool(np.any(counts == 0))
        self.verbose = verbose
        self.n_clusters = n_clusters

    def _candidates(self, n_batch: int, sample_weight: np.ndarray | None) -> tuple[bool, Any]:
        """Whether reassignment is considered now, and the batch rows it may use."""
        self.n_since_last_reassign += n_batch
        due = self.has_empty or self.n_since_last_reassign >= 10 * self.n_clusters
        if due:
            self.n_since_last_reassign = 0
        reassign = due and self.reassignment_ratio > 0
        n_candidates = min(self.n_clusters, n_batch)
        if not reassign:
            candidates = np.zeros(n_candidates, np.int32)
        elif sample_weight is None:
            candidates = random_indices(n_batch, n_candidates, self.random_state)
        else:  # rows of positive weight first, each group in random order
            keys = self.random_state.random_sample(n_batch) + (sample_weight > 0)
            candidates = np.argsort(-keys, kind="stable")[:n_candidates]
        return reassign, tf.constant(candidates, tf.int32)

    def update(
        self,
        batch: Any,
        weights: tf.Tensor,
        *,
        rows: np.ndarray | None = None,
        sample_weight: np.ndarray | None = None,
        jit_compile: bool = False,
    ) -> StepResult:
        """Apply one batch.

        Parameters
        ----------
        batch : tf.Tensor (n, d) or sparse.SparseRows
            The batch, or with ``rows`` the data the batch is drawn from.
        weights : tf.Tensor of shape (b,)
            Weights of the batch points.
        rows : ndarray of int, optional
            Rows of ``batch`` that form the batch (gathered inside the compiled step).
        sample_weight : ndarray of shape (b,), optional
            The weights as an array when they are not all equal: reassigned centres then
            take points of positive weight when there are some.
        jit_compile : bool, default=False
            Compile with XLA (dense batches of a fixed size).
        """
        if rows is not None:
            n_batch = len(rows)
        elif isinstance(batch, sparse.SparseRows):
            n_batch = batch.n_samples
        else:
            n_batch = int(batch.shape[0])
        reassign, candidates = self._candidates(n_batch, sample_weight)
        is_sparse = isinstance(batch, sparse.SparseRows)
        arguments = (batch,) if rows is None else (batch, tf.constant(rows, tf.int64))
        update = _compiled(rows is not None, is_sparse, jit_compile and not is_sparse)
        self.centers, self.counts, stats = update(
            *arguments,
            weights,
            self.centers,
            self.counts,
            tf.constant(reassign),
            candidates,
            tf.constant(self.reassignment_ratio, tf.float64),
        )
        inertia, shift, has_empty, n_reassigned = stats.numpy().tolist()
        self.has_empty = bool(has_empty)
        if self.verbose and n_reassigned:
            print(f"[MiniBatchKMeans] Reassigning {int(n_reassigned)} cluster centers.")
        return StepResult(inertia, shift, int(n_reassigned))


# --------------------------------------------------------------------------- #
# The step on the replicas of a strategy
# --------------------------------------------------------------------------- #
def minibatch_step(strategy: tf.distribute.Strategy | None) -> Callable[..., MiniBatchStep]:
    """The step class of a mini-batch run: :class:`MiniBatchStep`, or with a strategy
    :class:`ReplicatedStep` on it (same arguments)."""
    if strategy is None:
        return MiniBatchStep
    return functools.partial(ReplicatedStep, strategy=strategy)


class ReplicatedStep(MiniBatchStep):
    """A :class:`MiniBatchStep` whose assignment runs on
    the replicas of ``strategy``: one global batch per step.

    The batch is split between the replicas; each adds up the float64 per-cluster sums
    of its share with the engine's block kernel, the sums are reduced
    (``strategy.reduce``), and the update (the count-weighted move of the centres and
    scikit-learn's reassignment of low-count centres: :func:`move_centers` and
    :func:`reassign_low_counts`, as in the compiled step) is applied once to the k x d
    numbers, eagerly, so every replica continues from the same centres.
    """

    def __init__(self, centers: np.ndarray, *, strategy: tf.distribute.Strategy,
                 **kwargs: Any) -> None:
        super().__init__(centers, **kwargs)
        self.runner = ReplicaRunner(strategy)

    def update(self, batch: Any, weights: tf.Tensor, *, rows: np.ndarray | None = None,
               sample_weight: np.ndarray | None = None, jit_compile: bool = False) -> StepResult:
        """Apply one batch (see :meth:`MiniBatchStep.update`; ``jit_compile`` is unused:
        the kernel's compilation follows the engine's plan)."""
        if not isinstance(batch, tf.Tensor | np.ndarray):
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
            n_features, KernelOptions(centered=False, weighted=True, inertia=True),
            [runner.split(0, points, weights, chunk)],
            (tf.zeros([n_features], centers.dtype), tf.constant(centers), tf.constant(norms)),
            lambda *_: None,
        )
        self.centers, self.counts, statistics = apply_batch_sums(
            self.centers, self.counts, tf.constant(sums[:, :-1]), tf.constant(sums[:, -1]),
            tf.constant(reassign), candidates,
            tf.constant(self.reassignment_ratio, tf.float64), len(points),
            lambda chosen: tf.constant(points[chosen.numpy()], tf.float64),
        )
        shift, has_empty, n_reassigned = statistics.numpy()
        n_reassigned = int(n_reassigned)
        self.has_empty = bool(has_empty)
        if self.verbose and n_reassigned:
            print(f"[MiniBatchKMeans] Reassigning {n_reassigned} cluster centers.")
        return StepResult(float(inertia), float(shift), n_reassigned)
