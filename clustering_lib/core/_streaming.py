"""k-means on data read block by block: NumPy memory maps and ``tf.data`` datasets.

Lloyd's algorithm never needs the data as one array: an iteration is one pass that adds
up, block by block, the float64 per-cluster sums, counts and inertia. This module
provides that pass for data that does not fit in memory, as a
:class:`~._passes.DataSource` for Lloyd's driver (:func:`~._lloyd.lloyd_on`):

* :class:`ArrayRows` reads a NumPy array or memory map in slices (a slice of a memory
  map is a view: the operating system pages the file in and out as needed);
* :class:`DatasetRows` reads a ``tf.data.Dataset`` of row batches, checks every batch
  (numbers, one width, finite) and re-cuts the batches into blocks of the size the
  kernels are compiled for, so nothing depends on the dataset's batch size;
* a source's ``rows()`` (:func:`~._sources.as_source`) chooses between the two;
* :func:`summarize` makes the first pass: number of rows, float64 mean and variance of
  every column (the centring offset and the scale of ``tol``), and the checks;
* :class:`StreamedPasses` runs the passes of Lloyd's algorithm: the same compiled
  block kernels as in memory (:func:`~._passes.block_kernel`), on one device or on
  every replica of a ``tf.distribute`` strategy (:mod:`._distributed`). Labels are kept
  per block in order (4 bytes a row, for the strict convergence rule and
  ``labels_``); the points farthest from their centre, which empty clusters take, are
  found by merging each block's farthest candidates, so nothing needs random access.

Memory is O(block x k) for the kernels plus O(n) int32 labels: never an n x d copy.
From the same initial centres a streamed fit takes the same steps as the in-memory
one; the float64 sums are added in another order, so results agree to rounding.

Building a dataset from files
-----------------------------
From ``.npy`` shards (each of shape (rows, d))::

    files = sorted(glob.glob("shards/*.npy"))
    dataset = tf.data.Dataset.from_tensor_slices(files).map(
        lambda path: tf.numpy_function(np.load, [path], tf.float32)
    ).map(lambda rows: tf.ensure_shape(rows, [None, d]))

or one large ``.npy`` file as a memory map: ``np.load(path, mmap_mode="r")``. From
TFRecord files of ``d`` float features per record::

    spec = {"x": tf.io.FixedLenFeature([d], tf.float32)}
    dataset = (tf.data.TFRecordDataset(files)
               .batch(65536)
               .map(lambda records: tf.io.parse_example(records, spec)["x"]))

The dataset must yield the same rows in the same order on every pass (no
``shuffle`` with ``reshuffle_each_iteration``): every iteration reads it once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse
import tensorflow as tf

from . import _execution as execution
from ._distributed import Group, ReplicaRunner
from ._passes import AssignmentPass, KernelOptions, host_inertia, padded_centers
from ._progress import PassProgress
from ._validation import unit_length_rows

__all__ = [
    "ArrayRows",
    "DataSummary",
    "DatasetRows",
    "StreamedPasses",
    "summarize",
]

def label_dtype(n_clusters: int) -> np.dtype:
    """The narrowest integer type for labels below ``n_clusters``: labels of every row
    are kept between passes, so 1 byte a row instead of 4 matters at 10^8 rows."""
    if n_clusters <= np.iinfo(np.int8).max:
        return np.dtype(np.int8)
    if n_clusters <= np.iinfo(np.int16).max:
        return np.dtype(np.int16)
    return np.dtype(np.int32)


def _float_dtype(dtype: np.dtype) -> np.dtype:
    """float32 and float64 are kept; integers and booleans become float64 (scikit-learn's
    rule, as the estimators apply it)."""
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)


class ArrayRows:
    """The rows of a NumPy array or memory map (or a tensor), read in slices.

    Parameters
    ----------
    points : ndarray, np.memmap, tf.Tensor or sparse matrix of shape (n_samples, n_features)
        A sparse matrix is read as dense blocks.
    weights : ndarray of shape (n_samples,), optional
    name : str
        The argument's name in error messages.
    unit_rows : bool
        Scale every row to unit length as it is read (spherical k-means).
    """

    def __init__(self, points: Any, weights: Any = None, name: str = "X",
                 unit_rows: bool = False) -> None:
        if isinstance(points, tf.Tensor | tf.Variable):
            points = points.numpy()
        if scipy.sparse.issparse(points):
            points = points.tocsr()  # read in dense blocks
        elif not isinstance(points, np.ndarray):
            points = np.asarray(points)
        if points.dtype.kind not in "biuf":
            raise TypeError(
                f"{name} must hold real numbers, got an array of dtype {points.dtype}."
            )
        if points.ndim != 2:
            raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape "
                             f"{points.shape}.")
        if points.shape[0] == 0 or points.shape[1] == 0:
            raise ValueError(f"{name} is empty (shape {points.shape}).")
        self.points = points
        self.name = name
        self.unit_rows = unit_rows
        self.n_samples, self.n_features = (int(s) for s in points.shape)
        self.dtype = _float_dtype(points.dtype)
        self.weights = None
        if weights is not None:
            weights = np.asarray(weights)
            if weights.shape != (self.n_samples,):
                raise ValueError(
                    f"sample_weight has shape {weights.shape}, but {name} has "
                    f"{self.n_samples} rows."
                )
            if weights.dtype.kind not in "biuf":
                raise TypeError(f"sample_weight must hold real numbers, got {weights.dtype}.")
            self.weights = weights
        self.n_passes = 0

    def blocks(self, rows: int) -> Iterator[tuple[int, np.ndarray, np.ndarray | None]]:
        """One pass: ``(start, rows, weights or None)`` of consecutive blocks."""
        self.n_passes += 1
        for start in range(0, self.n_samples, rows):
            block = self.points[start:start + rows]
            block = np.asarray(block.toarray() if scipy.sparse.issparse(block) else block,
                               dtype=self.dtype)
            if self.unit_rows:
                block = unit_length_rows(block, start)
            weights = None if self.weights is None else self.weights[start:start + rows]
            yield start, block, weights


class DatasetRows:
    """The rows of a ``tf.data.Dataset`` that yields batches of shape (batch, n_features).

    Every batch is checked as it is read: a batch that is not 2-D, has another
    width than the first, holds no numbers or holds NaN or infinity raises an error
    naming the batch. Batches are re-cut into blocks of the requested size, so the
    results do not depend on the dataset's batch size. A pass that yields another
    number of rows than the first raises too.
    """

    def __init__(self, dataset: tf.data.Dataset, name: str = "X",
                 unit_rows: bool = False) -> None:
        spec = dataset.element_spec
        if not isinstance(spec, tf.TensorSpec):
            raise TypeError(
                f"a tf.data.Dataset given as {name} must yield plain tensors of shape "
                f"(batch, n_features), not {spec!r}."
            )
        if not (spec.dtype.is_floating or spec.dtype.is_integer or spec.dtype == tf.bool):
            raise TypeError(
                f"the batches of {name} must hold real numbers, got tensors of dtype "
                f"{spec.dtype.name}."
            )
        if spec.shape.rank is not None and spec.shape.rank != 2:
            raise ValueError(
                f"the batches of {name} must be 2-D (batch, n_features), got shape "
                f"{spec.shape}; batch the dataset with .batch(batch_size)."
            )
        if int(dataset.cardinality()) == tf.data.INFINITE_CARDINALITY:
            raise ValueError(f"{name} is an infinite tf.data.Dataset; limit it with .take(n).")
        self.dataset = dataset
        self.name = name
        self.unit_rows = unit_rows
        self.dtype = _float_dtype(np.dtype(spec.dtype.as_numpy_dtype))
        self.n_features = (
            None if spec.shape.rank is None or spec.shape[1] is None else int(spec.shape[1])
        )
        self.n_samples: int | None = None
        self.weights = None
        self.n_passes = 0

    def _batches(self) -> Iterator[tuple[int, np.ndarray]]:
        start = 0
        for index, batch in enumerate(self.dataset):
            array = np.asarray(batch)
            if array.ndim != 2:
                raise ValueError(
                    f"batch {index} of {self.name} has shape {array.shape}; every batch "
                    "must be 2-D (batch, n_features)."
                )
            if self.n_features is None:
                self.n_features = int(array.shape[1])
            if array.shape[1] != self.n_features:
                raise ValueError(
                    f"batch {index} of {self.name} has {array.shape[1]} columns, but the "
                    f"batches before it have {self.n_features}; every batch must have the "
                    "same number of features."
                )
            array = array.astype(self.dtype, copy=False)
            if not np.isfinite(array).all():
                raise ValueError(
                    f"batch {index} of {self.name} (rows {start} to {start + len(array) - 1})"
                    " contains NaN or infinity."
                )
            if self.unit_rows:
                array = unit_length_rows(array, start)
            yield start, array
            start += len(array)
        if start == 0:
            raise ValueError(f"{self.name} is an empty tf.data.Dataset (it yields no rows).")
        if self.n_samples is not None and start != self.n_samples:
            raise ValueError(
                f"{self.name} yielded {start} rows in this pass but {self.n_samples} in "
                "the first; a dataset given to fit must yield the same rows in the same "
                "order on every pass."
            )
        self.n_samples = start

    def blocks(self, rows: int) -> Iterator[tuple[int, np.ndarray, None]]:
        """One pass: ``(start, rows, None)`` of consecutive blocks of ``rows`` rows."""
        self.n_passes += 1
        pending: list[np.ndarray] = []
        n_pending = 0
        start = 0
        for _, array in self._batches():
            while len(array):
                take = min(rows - n_pending, len(array))
                pending.append(array[:take])
                n_pending += take
                array = array[take:]
                if n_pending == rows:
                    block = pending[0] if len(pending) == 1 else np.concatenate(pending)
                    yield start, block, None
                    start += rows
                    pending, n_pending = [], 0
        if n_pending:
            yield start, pending[0] if len(pending) == 1 else np.concatenate(pending), None


class DataSummary(NamedTuple):
    """What the first pass learns: size, float64 column means and variances, weights."""

    n_samples: int
    n_features: int
    dtype: np.dtype
    mean: np.ndarray  # (d,) float64
    variance: np.ndarray  # (d,) float64, unweighted, as np.var
    weight_total: float


def summarize(source, progress: PassProgress | None = None) -> DataSummary:
    """One pass over ``source``: its size, column means and variances, and the checks.

    Means and variances are combined block by block in float64 (Chan, Golub and
    LeVeque's pairwise update), so they are accurate for any number of rows. Raises a
    ValueError on NaN or infinity (naming the rows), and on negative or all-zero
    weights.
    """
    progress = progress or PassProgress(False)
    count = 0
    mean = variance_sum = None
    weight_total = 0.0
    progress.start("reading the data", source.n_samples)
    for start, block, weights in source.blocks(execution.host_block_rows(source.n_features)):
        block64 = block.astype(np.float64)
        if isinstance(source, ArrayRows) and not np.isfinite(block64).all():
            bad = start + int(np.flatnonzero(~np.isfinite(block64).all(axis=1))[0])
            raise ValueError(f"{source.name} contains NaN or infinity (row {bad}).")
        block_mean = block64.mean(axis=0)
        block_m2 = np.square(block64 - block_mean).sum(axis=0)
        n_block = len(block64)
        if mean is None:
            mean, variance_sum = block_mean, block_m2
        else:
            delta = block_mean - mean
            total = count + n_block
            mean = mean + delta * (n_block / total)
            variance_sum = variance_sum + block_m2 + np.square(delta) * (count * n_block / total)
        count += n_block
        if weights is None:
            weight_total += n_block
        else:
            weights = np.asarray(weights, np.float64)
            if not np.isfinite(weights).all():
                raise ValueError("sample_weight contains NaN or infinity.")
            if (weights < 0).any():
                raise ValueError("sample_weight must be non-negative.")
            weight_total += float(weights.sum())
        progress.advance(n_block)
    progress.finish()
    if weight_total <= 0:
        raise ValueError("sample_weight must have at least one positive entry.")
    return DataSummary(count, int(source.n_features), source.dtype, mean,
                       variance_sum / count, weight_total)


class StreamedPasses:
    """Lloyd's passes over streamed rows, on one device or every replica of a strategy.

    Implements :class:`~._passes.DataSource` for :func:`~._lloyd.lloyd_on`. Centres go in
    and results come out in the working frame (``offset`` subtracted), as NumPy arrays.

    Parameters
    ----------
    source : ArrayRows or DatasetRows
    summary : DataSummary
        From :func:`summarize` (the source's first pass).
    n_clusters : int
        Number of centres (sets the block shape, see :func:`~._execution.plan`).
    offset : array of shape (n_features,)
        Subtracted from every block as it is read (the data's mean).
    runner : ReplicaRunner, optional
        The replicas to run on; default the current device.
    progress : PassProgress, optional
    """

    def __init__(self, source, summary: DataSummary, n_clusters: int, offset: Any,
                 runner: ReplicaRunner | None = None,
                 progress: PassProgress | None = None) -> None:
        self.source = source
        self.runner = runner or ReplicaRunner()
        self.progress = progress or PassProgress(False)
        self.n_samples = summary.n_samples
        self.n_features = summary.n_features
        self.dtype = np.dtype(summary.dtype)
        self.tf_dtype = tf.as_dtype(self.dtype)
        self.offset_array = np.asarray(offset, self.dtype)
        self.offset = tf.constant(self.offset_array)
        self.plan = self.plan_for(n_clusters)
        self.n_passes = 0

    def plan_for(self, n_centers: int) -> execution.BlockPlan:
        """The compile plan for a pass against ``n_centers`` centres (blocks of at most
        the setting ``stream_block_rows`` rows)."""
        plan = execution.plan(self.n_samples, self.n_features, n_centers)
        if plan.mode == "eager":
            return plan
        rows = min(plan.block_rows, execution.get_config().stream_block_rows)
        return dataclasses.replace(plan, block_rows=rows, chunk_rows=min(plan.chunk_rows, rows))

    # ------------------------------------------------------------------ #
    # Reading
    # ------------------------------------------------------------------ #
    def groups(self, plan: execution.BlockPlan, label: str) -> Iterator[Group]:
        """One pass: groups of ``n_replicas x chunk_rows`` rows, split between replicas."""
        runner = self.runner
        chunk = runner.chunk_rows(plan, self.n_samples, runner.n_replicas)
        self.n_passes += 1
        self.progress.start(label, self.n_samples)
        for start, rows, weights in self.source.blocks(chunk * runner.n_replicas):
            yield runner.split(start, rows, weights, chunk)
            self.progress.advance(len(rows))
        self.progress.finish()

    def host_blocks(self, label: str) -> Iterator[tuple[int, np.ndarray, np.ndarray | None]]:
        """One pass that runs no kernel: ``(start, rows, weights or None)`` blocks.

        Every worker reads every row (the work is small, and needs no exchange)."""
        self.n_passes += 1
        self.progress.start(label, self.n_samples)
        for block in self.source.blocks(execution.host_block_rows(self.n_features)):
            yield block
            self.progress.advance(len(block[1]))
        self.progress.finish()

    def centers_tensors(self, centers: np.ndarray, plan: execution.BlockPlan):
        return padded_centers(np.asarray(centers, self.dtype), plan)

    # ------------------------------------------------------------------ #
    # DataSource
    # ------------------------------------------------------------------ #
    def options(self, inertia: bool) -> KernelOptions:
        """The kernel variant: centring only when the offset is not zero, weights only
        when some are given (otherwise the padding is told apart by position)."""
        return KernelOptions(centered=bool(np.any(self.offset_array != 0)),
                             weighted=self.source.weights is not None, inertia=inertia)

    def _run(self, name: str, centers: np.ndarray, visit: Callable, label: str,
             plan: execution.BlockPlan | None = None, inertia: bool = True):
        plan = plan or self.plan
        padded, norms = self.centers_tensors(centers, plan)
        return self.runner.run_pass(
            name, plan, self.tf_dtype, self.n_features, self.options(inertia),
            self.groups(plan, label), (self.offset, padded, norms), visit,
        )

    def assign(self, centers: np.ndarray, with_inertia: bool = False) -> AssignmentPass:
        """Labels, float64 per-cluster sums and totals, and the inertia: one pass."""
        n_clusters = len(centers)
        labels = _RowResults(self.runner, self.n_samples, label_dtype(n_clusters))
        sums, inertia = self._run("assign", centers, labels.add, "assigning",
                                  inertia=with_inertia)
        sums = sums[:n_clusters]
        return AssignmentPass(labels.collect(), sums[:, :-1], sums[:, -1],
                              float(inertia) if with_inertia else None)

    def final(self, centers: np.ndarray) -> tuple[np.ndarray, float]:
        """Labels under ``centers`` and the inertia from the differences: one pass."""
        labels = _RowResults(self.runner, self.n_samples, label_dtype(len(centers)))
        (inertia,) = self._run("final", centers, labels.add, "final labels")
        return labels.collect(), float(inertia)

    def inertia_of(self, centers: np.ndarray, labels: np.ndarray) -> float:
        """The inertia of ``labels`` under ``centers``, from the differences in float64:
        one host pass (see :class:`~._passes.DataSource`)."""
        return host_inertia(self.host_blocks("inertia"), self.offset_array, centers, labels)

    def label_pass(self, centers: np.ndarray, visit: Callable, label: str = "labelling",
                   plan: execution.BlockPlan | None = None) -> None:
        """One pass of nearest centres: ``visit(group, labels, squared_distances)`` per
        group, with one array per local replica's chunk, cut to its valid rows
        (distances from the differences, in the data's dtype)."""
        self._run("label", centers, visit, label, plan or self.plan_for(len(centers)),
                  inertia=False)

    def farthest_points(
        self, centers: np.ndarray, assignment: AssignmentPass, count: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The ``count`` points farthest from their nearest centre, farthest first.

        The rows are needed, so this is a pass of its own (``assignment`` is not used).
        Each chunk's ``count`` farthest rows are merged into a running selection
        (ties go to the lower row index), so the pass needs no random access. The
        in-memory engine orders the same points as scikit-learn's ``argpartition``
        does; here they are sorted by distance, so when several clusters are empty
        at once they may take the same points in another order.
        """
        best = {r: _Farthest(count, self.n_features) for r in self.runner.local_replicas}

        def visit(group, group_labels, group_distances):
            for chunk, chunk_labels, chunk_distances in zip(
                group.chunks, group_labels, group_distances, strict=True
            ):
                best[chunk.replica].add(chunk, chunk_labels, chunk_distances)

        self.label_pass(centers, visit, "farthest points")
        packed = self.runner.gather([best[r].packed() for r in self.runner.local_replicas])
        merged = _Farthest(count, self.n_features)
        for array in packed:
            merged.merge_packed(array)
        if merged.n == 0 or merged.distances[0] <= 0.0:
            return None
        rows = merged.rows[: merged.n] - self.offset_array.astype(np.float64)
        return rows, merged.weights[: merged.n], merged.labels[: merged.n].astype(np.int32)


class _RowResults:
    """Per-row results (labels, distances) collected chunk by chunk into one array of
    ``n_samples`` values of ``dtype``.

    With one worker every chunk is on this host and is written in place. With
    several, each replica's chunks are concatenated (padding included, so all have
    the same length), exchanged once with ``strategy.gather`` at the end of the
    pass, and put back in row order.
    """

    def __init__(self, runner: ReplicaRunner, n_samples: int, dtype: np.dtype) -> None:
        self.runner = runner
        self.dtype = dtype
        self.values = None if runner.multi_worker else np.empty(n_samples, dtype)
        self.per_replica: list[list[np.ndarray]] = [[] for _ in runner.local_replicas]
        self.valid: list[int] = []

    def add(self, group: Group, values: list[np.ndarray]) -> None:
        """One group's values, one array per local replica's chunk (valid rows only)."""
        if self.values is not None:
            for chunk, value in zip(group.chunks, values, strict=True):
                self.values[chunk.start:chunk.start + chunk.n_valid] = value
            return
        for slot, (chunk, value) in enumerate(zip(group.chunks, values, strict=True)):
            padded = np.zeros(len(chunk.rows), self.dtype)
            padded[: chunk.n_valid] = value
            self.per_replica[slot].append(padded)
        self.valid.append(group.n_rows)

    def collect(self) -> np.ndarray:
        if self.values is not None:
            return self.values
        # Collectives take 32- and 64-bit values only.
        wide = np.int32 if self.dtype.kind == "i" else self.dtype
        local = [np.concatenate(parts).astype(wide) for parts in self.per_replica]
        gathered = np.stack(self.runner.gather(local)).astype(self.dtype)  # (replicas, ...)
        n_replicas, n_groups = gathered.shape[0], len(self.valid)
        by_group = gathered.reshape(n_replicas, n_groups, -1).transpose(1, 0, 2)
        chunk = by_group.shape[2]
        position = np.arange(n_replicas * chunk).reshape(n_replicas, chunk)
        mask = position[None, :, :] < np.asarray(self.valid)[:, None, None]
        return by_group[mask]


class _Farthest:
    """The ``count`` rows farthest from their centre seen so far (ties: lower index)."""

    def __init__(self, count: int, n_features: int) -> None:
        self.count = count
        self.n = 0
        self.distances = np.empty(0)
        self.indices = np.empty(0, np.int64)
        self.rows = np.empty((0, n_features))
        self.weights = np.empty(0)
        self.labels = np.empty(0, np.int64)

    def _keep(self, distances, indices, rows, weights, labels) -> None:
        distances = np.concatenate([self.distances[: self.n], distances])
        indices = np.concatenate([self.indices[: self.n], indices])
        order = np.lexsort((indices, -distances))[: self.count]
        self.rows = np.concatenate([self.rows[: self.n], rows])[order]
        self.weights = np.concatenate([self.weights[: self.n], weights])[order]
        self.labels = np.concatenate([self.labels[: self.n], labels])[order]
        self.distances, self.indices, self.n = distances[order], indices[order], len(order)

    def add(self, chunk, labels, distances) -> None:
        distances = distances.astype(np.float64)
        indices = chunk.start + np.arange(len(distances))
        if len(distances) > self.count:
            top = np.lexsort((indices, -distances))[: self.count]
        else:
            top = np.arange(len(distances))
        self._keep(distances[top], indices[top], chunk.rows[top].astype(np.float64),
                   chunk.weights[top].astype(np.float64), labels[top].astype(np.int64))

    def packed(self) -> np.ndarray:
        """``count`` rows of [distance, index, weight, label, row...]; -1 distance pads."""
        packed = np.full((self.count, 4 + self.rows.shape[1]), -1.0)
        packed[: self.n, 0] = self.distances
        packed[: self.n, 1] = self.indices
        packed[: self.n, 2] = self.weights
        packed[: self.n, 3] = self.labels
        packed[: self.n, 4:] = self.rows
        return packed

    def merge_packed(self, packed: np.ndarray) -> None:
        packed = packed[packed[:, 0] >= 0]
        self._keep(packed[:, 0], packed[:, 1].astype(np.int64), packed[:, 4:], packed[:, 2],
                   packed[:, 3].astype(np.int64))

