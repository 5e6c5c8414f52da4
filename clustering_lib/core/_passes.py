"""Passes over the data, block by block: the E-step everywhere, in bounded memory.

A pass feeds the points to a compiled kernel in blocks of ``plan.block_rows`` rows
and adds up what each block returns (per-cluster sums in float64, inertia in float64)
or concatenates it (labels, distances). Memory is O(block x k) for the kernels plus
O(n) for labels: never an n x k matrix, and never a copy of the whole data (one
block at a time is copied into TensorFlow). The points may be a NumPy array (a memory
map too), whose blocks are views, or a tensor.

:func:`block_kernel` builds the kernels, once per plan and variant (see
:mod:`._execution`): plain Python run eagerly, a graph traced once with ``None``
dimensions, or XLA compiled for one fixed block shape. Under XLA the last, shorter
block is padded with zero-weight rows and only its chunks that hold data are visited.
:class:`DataPasses` is the in-memory :class:`DataSource` that Lloyd's driver uses;
small data (eager plans) is kept centred and augmented there, so that an iteration
is three operations.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
from typing import Any, NamedTuple, Protocol

import numpy as np
import tensorflow as tf

from . import _execution as execution
from . import _kernels as kernels
from ._execution import BlockPlan, count_trace

__all__ = [
    "AssignmentPass",
    "DataPasses",
    "DataSource",
    "KernelOptions",
    "block_function",
    "block_kernel",
    "built_plan",
    "distance_pass",
    "farthest_positions",
    "host_inertia",
    "label_pass",
    "padded_centers",
]


class AssignmentPass(NamedTuple):
    """What one E-step pass returns (NumPy arrays)."""

    labels: np.ndarray  # (n,) int32
    sums: np.ndarray  # (k, d) float64, sum of w * x per cluster (in the centred frame)
    totals: np.ndarray  # (k,) float64, sum of w per cluster
    inertia: float | None  # sum of w * squared distance, when asked for
    distances: np.ndarray | None = None  # (n,) squared distance to the label, if the pass has it


# --------------------------------------------------------------------------- #
# Block kernels
# --------------------------------------------------------------------------- #
def _nearest(points, point_norms, centers, center_norms, plan):
    """Labels and squared distances (expanded formula) for one chunk of centred points."""
    if plan.few_features:
        return kernels.nearest_center_few_features(points, point_norms, centers, center_norms)
    if plan.mode != "xla":
        return kernels.nearest_center(points, point_norms, centers, center_norms)
    return kernels.nearest_center_transposed(points, point_norms, centers, center_norms)


@dataclasses.dataclass(frozen=True)
class KernelOptions:
    """What a block kernel computes, beyond the labels (each variant compiles once).

    ``centered``: subtract the offset from every chunk (data given uncentred);
    ``weighted``: sample weights other than one (else rows count once, and padding
    rows are excluded by position); ``inertia``: also the float64 inertia;
    ``optional_sums``: the ``"assign"`` kernel takes a last, boolean argument
    ``with_sums``, and skips the per-cluster sums (returning zeros) when it is False, so
    that one compiled kernel serves passes with and without them.
    """

    centered: bool = True
    weighted: bool = True
    inertia: bool = True
    optional_sums: bool = False


#: The final pass (labels and inertia) always centres and weighs, so that ``predict`` and
#: ``score`` (offset: the centres' mean; weights: given or ones) find the kernel a fit
#: built: subtracting a zero offset and multiplying by weights of one change nothing.
_FINAL_OPTIONS = KernelOptions(centered=True, weighted=True, inertia=False)


def _chunks(plan: BlockPlan, n_valid, state, body):
    """Run ``body(points_slice_start, state) -> state`` over the chunks of a block.

    Under XLA a block is cut into chunks of ``plan.chunk_rows`` rows that stay in the
    processor's cache between the distances and the sums, and only the chunks that
    hold valid rows are visited (the trip count is a runtime value; the shapes stay
    fixed). Otherwise the block is one chunk.
    """
    if plan.mode != "xla":
        return body(0, state)
    n_chunks = (n_valid + plan.chunk_rows - 1) // plan.chunk_rows
    return tf.while_loop(
        lambda i, *_: i < n_chunks,
        lambda i, *state: (i + 1, *body(i * plan.chunk_rows, state)),
        (tf.constant(0), *state),
    )[1:]


def _slice(values, start, rows):
    """Rows ``start:start + rows`` (all when ``rows`` is None), with static sizes for XLA."""
    if rows is None:
        return values
    if values.shape.rank == 1:
        return tf.slice(values, [start], [rows])
    # A size of -1 would hide the (static) number of columns from XLA.
    return tf.slice(values, [start, 0], [rows, values.shape[1]])


def _chunk_weights(weights, n_valid, start, rows, size, options):
    """The weights of a chunk: given ones, or one for valid rows and zero for padding."""
    if options.weighted:
        return _slice(weights, start, rows)
    positions = start + tf.range(size if rows is None else rows)
    return tf.cast(positions < n_valid, weights.dtype)


def _assign_block(points, weights, n_valid, offset, centers, center_norms, with_sums=None, *,
                  plan, options):
    """Labels, float64 per-cluster ``[sum w x, sum w]`` and inertia of one block."""
    count_trace("assign_block")
    rows = plan.chunk_rows if plan.mode == "xla" else None
    n_clusters = tf.shape(centers)[0]
    size = tf.shape(points)[0]

    def body(start, state):
        labels_all, sums, inertia = state
        chunk = _centered_chunk(points, start, rows, offset, options)
        chunk_weights = _chunk_weights(weights, n_valid, start, rows, size, options)
        norms = tf.reduce_sum(tf.square(chunk), axis=1) if options.inertia else 0.0
        labels, distances = _nearest(chunk, norms, centers, center_norms, plan)

        def added(sums):
            if options.weighted:
                return sums + kernels.cluster_sums(chunk, chunk_weights, labels, n_clusters)
            return sums + kernels.cluster_counts_and_sums(
                chunk, chunk_weights > 0, labels, n_clusters
            )

        if options.optional_sums:
            sums = tf.cond(with_sums, lambda: added(sums), lambda: sums)
        else:
            sums = added(sums)
        if options.inertia:
            inertia = inertia + tf.reduce_sum(
                tf.cast(chunk_weights, tf.float64) * tf.cast(distances, tf.float64)
            )
        if rows is None:
            return labels, sums, inertia
        return tf.tensor_scatter_nd_update(
            labels_all, (start + tf.range(rows))[:, None], labels
        ), sums, inertia

    state = (
        tf.zeros([size], tf.int32),
        tf.zeros(tf.stack([n_clusters, tf.shape(points)[1] + 1]), tf.float64),
        tf.constant(0.0, tf.float64),
    )
    return tuple(_chunks(plan, n_valid, state, body))


def _centered_chunk(points, start, rows, offset, options):
    """One chunk of a block, centred where the options say."""
    chunk = _slice(points, start, rows)
    return chunk - offset if options.centered else chunk


def _chunk_labels(points, start, rows, offset, centers, center_norms, plan, options):
    """One chunk of a block (centred where the options say) and its nearest centres."""
    chunk = _centered_chunk(points, start, rows, offset, options)
    return chunk, _nearest(chunk, 0.0, centers, center_norms, plan)[0]


def _final_block(points, weights, n_valid, offset, centers, center_norms, plan, options):
    """Labels and inertia from the differences (float64) of one block."""
    count_trace("final_block")
    rows = plan.chunk_rows if plan.mode == "xla" else None
    size = tf.shape(points)[0]

    def body(start, state):
        labels_all, inertia = state
        chunk, labels = _chunk_labels(points, start, rows, offset, centers, center_norms, plan,
                                      options)
        chunk_weights = _chunk_weights(weights, n_valid, start, rows, size, options)
        inertia = inertia + kernels.residual_inertia(chunk, chunk_weights, centers, labels)
        if rows is None:
            return labels, inertia
        return tf.tensor_scatter_nd_update(
            labels_all, (start + tf.range(rows))[:, None], labels
        ), inertia

    state = (tf.zeros([tf.shape(points)[0]], tf.int32), tf.constant(0.0, tf.float64))
    return tuple(_chunks(plan, n_valid, state, body))


def _label_block(points, n_valid, offset, centers, center_norms, plan, options):
    """Labels and squared distances from the differences (accurate) of one block."""
    count_trace("label_block")
    rows = plan.chunk_rows if plan.mode == "xla" else None

    def body(start, state):
        labels_all, distances_all = state
        chunk, labels = _chunk_labels(points, start, rows, offset, centers, center_norms, plan,
                                      options)
        distances = tf.reduce_sum(tf.square(chunk - tf.gather(centers, labels)), axis=1)
        if rows is None:
            return labels, distances
        where = (start + tf.range(rows))[:, None]
        return (
            tf.tensor_scatter_nd_update(labels_all, where, labels),
            tf.tensor_scatter_nd_update(distances_all, where, distances),
        )

    size = tf.shape(points)[0]
    state = (tf.zeros([size], tf.int32), tf.zeros([size], points.dtype))
    return tuple(_chunks(plan, n_valid, state, body))


def _distance_block(points, centers):
    """Distances in float64 for one block; pairs that the expanded formula cannot
    resolve (a point at, or very near, a centre) are recomputed from the differences,
    so a point equal to a centre is at distance exactly zero."""
    count_trace("distance_block")
    points = tf.cast(points, tf.float64)
    centers = tf.cast(centers, tf.float64)
    point_norms = tf.reduce_sum(tf.square(points), axis=1, keepdims=True)
    center_norms = tf.reduce_sum(tf.square(centers), axis=1)
    squared = point_norms - 2.0 * tf.matmul(points, centers, transpose_b=True) + center_norms
    # Rounding error of the expansion is about eps * (||x||^2 + ||c||^2).
    doubtful = squared <= 1e-10 * (point_norms + center_norms)
    pairs = tf.where(doubtful)
    differences = tf.gather(points, pairs[:, 0]) - tf.gather(centers, pairs[:, 1])
    exact = tf.reduce_sum(tf.square(differences), axis=1)
    return tf.maximum(tf.tensor_scatter_nd_update(squared, pairs, exact), 0.0)


def _signature(plan: BlockPlan, dtype: tf.DType, n_features: int, *parts: str):
    """Input signatures: exact block shapes for XLA, ``None`` dimensions otherwise."""
    rows = plan.block_rows if plan.mode == "xla" else None
    clusters = plan.padded_clusters if plan.mode == "xla" else None
    features = n_features if plan.mode == "xla" else None
    specs = {
        "points": tf.TensorSpec([rows, features], dtype),
        "weights": tf.TensorSpec([rows], dtype),
        "n_valid": tf.TensorSpec([], tf.int32),
        "offset": tf.TensorSpec([features], dtype),
        "centers": tf.TensorSpec([clusters, features], dtype),
        "center_norms": tf.TensorSpec([clusters], dtype),
        "with_sums": tf.TensorSpec([], tf.bool),
    }
    return [specs[part] for part in parts]


_PARTS = {
    "assign": ("points", "weights", "n_valid", "offset", "centers", "center_norms"),
    "final": ("points", "weights", "n_valid", "offset", "centers", "center_norms"),
    "label": ("points", "n_valid", "offset", "centers", "center_norms"),
}
_FUNCTIONS = {"assign": _assign_block, "final": _final_block, "label": _label_block}


def _parts(name: str, options: KernelOptions) -> tuple[str, ...]:
    if name == "assign" and options.optional_sums:
        return (*_PARTS[name], "with_sums")
    return _PARTS[name]


def block_kernel(
    name: str,
    plan: BlockPlan,
    dtype: tf.DType,
    n_features: int,
    options: KernelOptions = KernelOptions(),
):
    """The compiled kernel for one block: one graph for every shape, one XLA kernel per
    block shape (eager: the plain function).

    ``name`` is ``"assign"`` (``(points, weights, n_valid, offset, centers,
    center_norms[, with_sums]) -> (labels, float64 sums (k, d + 1) = [sum w x, sum w],
    float64 inertia)``; ``with_sums`` with ``options.optional_sums``), ``"final"``
    (same inputs, ``-> (labels, inertia from the differences)``) or ``"label"``
    (``(points, n_valid, offset, centers, center_norms) -> (labels, squared
    distances)``). Centres and norms come padded by
    :func:`padded_centers`. Under XLA every block has ``plan.block_rows`` rows, of
    which the first ``n_valid`` are data; the rest must have weight zero.
    """
    if plan.mode == "eager":
        return block_function(name, plan, options)
    if plan.mode == "graph":
        return _compiled_kernel(name, _GRAPH_PLAN, dtype, 0, options)
    return _compiled_kernel(name, plan, dtype, n_features, options)


_GRAPH_PLAN = BlockPlan("graph", 0, 0)


def block_function(name: str, plan: BlockPlan, options: KernelOptions | None = None):
    """The plain function of a block kernel (see :func:`block_kernel`), to be called
    eagerly or inside another traced function. ``options`` default to those of the
    final pass for ``"final"``, to ``KernelOptions()`` otherwise."""
    if options is None:
        options = _FINAL_OPTIONS if name == "final" else KernelOptions()
    return functools.partial(_FUNCTIONS[name], plan=plan, options=options)


#: Block and chunk sizes of the XLA kernels built so far, by everything else that keys them.
_BUILT_BLOCKS: dict[tuple, set[tuple[int, int]]] = collections.defaultdict(set)


def _shape_key(name: str, plan: BlockPlan, dtype: tf.DType, n_features: int,
               options: KernelOptions) -> tuple:
    return (name, dataclasses.replace(plan, block_rows=0, chunk_rows=0), dtype, n_features,
            options)


def built_plan(plan: BlockPlan, dtype: tf.DType, n_features: int) -> BlockPlan:
    """``plan`` with the block (and chunk) size of a final-pass kernel already built for
    the same kind of data, so that a pass on a new number of points (``predict``,
    ``score``) compiles nothing: the built size nearest ``plan``'s own, within a factor
    of ``_REUSE_FACTOR`` (smaller blocks would cost a kernel call per few rows, larger
    ones a copy of padding and one thread for all). ``plan`` itself when none fits, when
    it is not XLA's, or when the settings force a block size."""
    if plan.mode != "xla" or execution.get_config().block_rows is not None:
        return plan
    built = [
        sizes for sizes in _BUILT_BLOCKS.get(
            _shape_key("final", plan, dtype, n_features, _FINAL_OPTIONS), ())
        if plan.block_rows <= _REUSE_FACTOR * sizes[0]
        and sizes[0] <= _REUSE_FACTOR * plan.block_rows
    ]
    if not built:
        return plan
    block_rows, chunk_rows = min(
        built, key=lambda sizes: (abs(np.log2(sizes[0] / plan.block_rows)), -sizes[0])
    )
    return dataclasses.replace(plan, block_rows=block_rows, chunk_rows=chunk_rows)


#: How much larger or smaller than its own plan's a built block may be and still serve a
#: final pass (blocks are powers of two: up to two sizes either way).
_REUSE_FACTOR = 4


@execution.kernel_cache
def _compiled_kernel(
    name: str, plan: BlockPlan, dtype: tf.DType, n_features: int, options: KernelOptions
):
    _BUILT_BLOCKS[_shape_key(name, plan, dtype, n_features, options)].add(
        (plan.block_rows, plan.chunk_rows))
    return execution.traced_once(
        block_function(name, plan, options),
        _signature(plan, dtype, n_features, *_parts(name, options)),
        jit_compile=plan.mode == "xla",
    )


# --------------------------------------------------------------------------- #
# Drivers
# --------------------------------------------------------------------------- #
def _blocks(n_samples: int, plan: BlockPlan):
    """``(start, stop)`` of each block of ``plan.block_rows`` rows (the last may be short)."""
    for start in range(0, n_samples, plan.block_rows):
        yield start, min(start + plan.block_rows, n_samples)


def _block(values: Any, start: int, stop: int, plan: BlockPlan) -> Any:
    """Rows ``start:stop``; under XLA padded with zeros to ``plan.block_rows`` rows."""
    block = values[start:stop]
    missing = plan.block_rows - (stop - start)
    if plan.mode != "xla" or missing == 0:
        return block
    if isinstance(block, np.ndarray):
        padding = np.zeros((missing, *block.shape[1:]), block.dtype)
        return np.concatenate([block, padding])
    return tf.pad(block, [[0, missing]] + [[0, 0]] * (block.shape.rank - 1))


def _map_blocks(function, n_samples: int, plan: BlockPlan) -> list:
    """``function(start, stop)`` for every block, in order.

    XLA kernels run on one thread each, so blocks are processed as many at a time as
    TensorFlow may use threads (its intra-op setting, or the cores), as scikit-learn
    runs its chunks on OpenMP threads; the results come back in block order, so sums
    added in that order are the same on any number of cores for a given plan (the
    plan's block size depends on the thread count, see :func:`~._execution.plan`).
    """
    blocks = list(_blocks(n_samples, plan))
    if plan.mode != "xla" or len(blocks) == 1 or execution.thread_count() == 1:
        return [function(start, stop) for start, stop in blocks]
    return list(execution.thread_pool().map(lambda block: function(*block), blocks))


def repeated_rows(centers: np.ndarray) -> np.ndarray | None:
    """A mask of the centres equal to an earlier centre, or None when all differ.

    Identical centres have identical scores only in exact arithmetic: a matrix
    product may round two equal columns differently, so ties between them would be
    broken at random. Masking the repeats gives every point the first of them, as
    scikit-learn's ``argmin`` does.
    """
    if len(centers) < 2:
        return None
    rows = np.ascontiguousarray(centers)
    keys = rows.view(f"V{rows.itemsize * rows.shape[1]}").ravel()
    _, first = np.unique(keys, return_index=True)
    if len(first) == len(centers):
        return None
    repeated = np.ones(len(centers), bool)
    repeated[first] = False
    return repeated


def center_norms(centers: np.ndarray) -> np.ndarray:
    """``||c||^2`` of every centre, +inf for a repeated centre (see :func:`repeated_rows`)."""
    norms = np.einsum("ij,ij->i", centers, centers)
    repeated = repeated_rows(centers)
    if repeated is not None:
        norms[repeated] = np.inf
    return norms


def padded_centers(centers: np.ndarray, plan: BlockPlan) -> tuple[tf.Tensor, tf.Tensor]:
    """Centres padded to ``plan.padded_clusters`` rows, and their norms (+inf when padded
    or repeated, so that neither is ever chosen)."""
    norms = center_norms(centers)
    extra = plan.padded_clusters - len(centers)
    if extra > 0:
        centers = np.concatenate([centers, np.zeros((extra, centers.shape[1]), centers.dtype)])
        norms = np.concatenate([norms, np.full(extra, np.inf, norms.dtype)])
    return tf.constant(centers), tf.constant(norms)


def _offset(offset: Any, centers: tf.Tensor) -> tf.Tensor:
    if offset is None:
        return tf.zeros([centers.shape[1]], centers.dtype)
    return tf.convert_to_tensor(offset, centers.dtype)


class DataSource(Protocol):
    """What Lloyd's driver (:func:`~._lloyd.lloyd_on`) needs from the data.

    Implemented by :class:`DataPasses` for arrays and tensors,
    :class:`~._sparse.SparsePasses` for CSR rows (both chosen by
    :func:`~._sources.lloyd_passes`), and :class:`~._streaming.StreamedPasses` for
    datasets, memory maps and several devices. Centres go in and results
    come out as NumPy arrays in the source's working frame (``offset`` subtracted).
    """

    n_samples: int
    offset_array: np.ndarray

    def assign(self, centers: np.ndarray, with_inertia: bool = False) -> AssignmentPass:
        """Labels of every point, float64 per-cluster sums and totals, and the inertia."""

    def final(self, centers: np.ndarray) -> tuple[np.ndarray, float]:
        """Labels under ``centers`` and the inertia computed from the differences."""

    def inertia_of(self, centers: np.ndarray, labels: np.ndarray) -> float:
        """``sum w ||x - centers[labels]||^2`` in float64, for labels given (no assignment).

        Lloyd's driver needs it once, when it stops on unchanged labels right after
        relocating an empty cluster: the labels it reports (scikit-learn's) are then
        not the nearest centres, and the inertia must be theirs.
        """

    def farthest_points(
        self, centers: np.ndarray, assignment: AssignmentPass, count: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The ``count`` points farthest from their nearest centre, farthest first.

        ``assignment`` is the pass :meth:`assign` just made on ``centers``.

        Returns their coordinates (float64, working frame), weights and labels; or
        None when every point sits on its centre.
        """


class _PreviousPass(NamedTuple):
    """What :meth:`DataPasses.assign` keeps of its last pass for the next one."""

    labels: np.ndarray
    sums: np.ndarray  # (k, d + 1) float64 [sum x, count] under ``labels`` (read-only)
    churn: np.ndarray  # (k,) float64, sum of max_j |x_j| of the rows moved through each cluster
    n_changed: int  # labels that differed from the pass before (all, for the first)


# Moved sums are recomputed from the rows once the rows moved through a cluster since the
# last full pass (each counted by its largest |x_j|) exceed this many times its count times
# its centre's largest |c_j|: their rounding is then at most about this factor times a
# float64 rounding of the centre's scale.
_CHURN_LIMIT = 2**10


class DataPasses:
    """The E-step passes over one data set, prepared once per fit.

    ``points`` (n, d) float array or tensor, read block by block (never copied as a
    whole, except in eager mode, where the data is small by definition and is kept
    centred and augmented so that an iteration is three TensorFlow ops); ``weights``
    (n,); ``offset`` (d,) or None, subtracted from every block. Centres go in and
    results come out as NumPy arrays: the M-step on k x d numbers is the driver's.

    Unweighted data with few clusters (``incremental_max_clusters``): a pass that
    follows one which changed few labels (``incremental_divisor``) computes the labels
    only, and the last pass's float64 sums are moved with the rows that changed
    cluster, without converting every block to float64. Counts stay exact integers;
    the sums differ from a full pass by float64 rounding of the rows moved since the
    last full pass, and a pass is made full again when that could exceed about
    ``_CHURN_LIMIT`` times a full pass's rounding (rows far larger than what the
    clusters hold moved through them); weights, which could be of any scale, keep every
    pass full. The state is that of one run of Lloyd's iterations (a ``DataPasses`` is
    built per run): :meth:`assign` depends on the previous call, and the sums it
    returns are read-only.
    """

    def __init__(self, points: Any, weights: Any, offset: Any, plan: BlockPlan) -> None:
        self.points = points
        self.weights = weights
        self.plan = plan
        self.dtype = tf.as_dtype(points.dtype)
        self.n_samples, self.n_features = points.shape
        self.offset_array = (
            np.zeros(self.n_features, self.dtype.as_numpy_dtype) if offset is None
            else np.asarray(offset, self.dtype.as_numpy_dtype)
        )
        self.offset = tf.constant(self.offset_array)
        weight_values = weights.numpy() if isinstance(weights, tf.Tensor) else weights
        self.options = KernelOptions(
            centered=bool(np.any(self.offset_array != 0)),
            weighted=not bool(np.all(np.asarray(weight_values) == 1)),
            inertia=False,
        )
        self._cache: dict[int, tuple] = {}
        self._previous: _PreviousPass | None = None
        self._keep_blocks = (
            plan.mode != "eager"
            and type(points) is np.ndarray  # not a memory map, not a tensor
            and points.nbytes <= execution.get_config().cached_blocks_max_bytes
        )

    # Eager data only, built when a pass first needs them (a fit that runs Lloyd's fused
    # loop needs none of them; a final pass alone, as in predict, the first three).
    @functools.cached_property
    def _centered(self) -> tf.Tensor:
        return tf.convert_to_tensor(self.points, self.dtype) - self.offset

    @functools.cached_property
    def _augmented(self) -> tf.Tensor:
        """``[x, 1]``: with ``[-2 c, ||c||^2]``, the scores ``||c||^2 - 2 x.c`` in one product."""
        ones = tf.ones([self.n_samples, 1], self.dtype)
        return tf.concat([self._centered, ones], axis=1)

    @functools.cached_property
    def _weights64(self) -> tf.Tensor:
        return tf.cast(tf.convert_to_tensor(self.weights, self.dtype), tf.float64)

    @functools.cached_property
    def _weighted(self) -> tf.Tensor:
        """``[w x, w]`` of every (centred) row in float64: the sums of a full pass."""
        weights = tf.convert_to_tensor(self.weights, self.dtype)[:, None]
        return tf.cast(tf.concat([self._centered * weights, weights], axis=1), tf.float64)

    @functools.cached_property
    def _weighted_rows(self) -> np.ndarray:
        """:attr:`_weighted` on the host, where the moved sums gather from it (NumPy
        indexing costs microseconds; an eager gather about 0.1 ms a pass)."""
        return self._weighted.numpy()

    @functools.cached_property
    def _norms(self) -> tf.Tensor:
        """``||x||^2`` of every centred row (the inertia of a pass)."""
        return tf.reduce_sum(tf.square(self._centered), axis=1)

    def assign(self, centers: np.ndarray, with_inertia: bool = False) -> AssignmentPass:
        """Labels, per-cluster float64 sums and (optionally) inertia under ``centers``."""
        previous = self._previous
        settings = execution.get_config()
        # Whether this fit moves sums (its kernel then takes the with_sums argument).
        moves_sums = (
            not self.options.weighted
            and self.plan.padded_clusters <= settings.incremental_max_clusters
        )
        same_clusters = previous is not None and len(previous.sums) == len(centers)
        incremental = (
            moves_sums
            and same_clusters
            and previous.n_changed <= self.n_samples // settings.incremental_divisor
        )
        labels, sums, inertia = self._pass(centers, with_inertia, not incremental, moves_sums)
        churn = None
        if incremental:
            changed = np.flatnonzero(labels != previous.labels)
            sums, churn = self._moved_sums(previous, labels, changed)
            n_changed = len(changed)
            # The moved sums carry the rounding of every row moved since the last full
            # pass, about eps * churn; a full pass's, eps * (the cluster's own rows). When
            # rows far larger than the clusters now hold have passed through (values of
            # very different sizes), the sums are computed again from the rows.
            scale = np.max(np.abs(centers), axis=1)
            if np.any(churn > _CHURN_LIMIT * sums[:, -1] * scale):
                labels, sums, inertia = self._pass(centers, with_inertia, True, True)
                churn = None
        elif moves_sums:
            n_changed = (
                int(np.count_nonzero(labels != previous.labels)) if same_clusters
                else self.n_samples
            )
        if moves_sums:
            sums.setflags(write=False)  # kept for the next pass; the driver copies
            if churn is None:
                churn = np.zeros(len(sums))
            self._previous = _PreviousPass(labels, sums, churn, n_changed)
        return AssignmentPass(labels, sums[:, :-1], sums[:, -1], inertia)

    def _assign_blocks(
        self, centers: np.ndarray, with_inertia: bool, with_sums: bool, optional_sums: bool
    ):
        """Labels, float64 sums (k, d + 1; None without ``with_sums``) and inertia, by the
        compiled block kernel (with ``optional_sums``, the kernel that can skip them)."""
        options = dataclasses.replace(
            self.options, inertia=with_inertia, optional_sums=optional_sums
        )
        kernel = block_kernel("assign", self.plan, self.dtype, self.n_features, options)
        padded, norms = padded_centers(centers, self.plan)
        extra = (tf.constant(with_sums),) if optional_sums else ()

        def run(start, stop):
            points, weights, n_valid = self._block_tensors(start, stop)
            labels, sums, inertia = kernel(
                points, weights, n_valid, self.offset, padded, norms, *extra
            )
            return labels.numpy()[: stop - start], sums.numpy(), float(inertia)

        results = _map_blocks(run, self.n_samples, self.plan)
        sums = sum(result[1] for result in results)[: len(centers)] if with_sums else None
        return (np.concatenate([result[0] for result in results]), sums,
                sum(result[2] for result in results))

    def _pass(
        self, centers: np.ndarray, with_inertia: bool, with_sums: bool, optional_sums: bool
    ):
        """Labels, float64 sums (None without ``with_sums``) and inertia: eagerly, or by
        the compiled block kernel (with ``optional_sums``, the one that can skip them)."""
        if self.plan.mode == "eager":
            return self._assign_eager(centers, with_inertia, with_sums)
        return self._assign_blocks(centers, with_inertia, with_sums, optional_sums)

    def _moved_sums(
        self, previous: _PreviousPass, labels: np.ndarray, changed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The previous pass's float64 ``[sum x, count]`` with the ``changed`` rows moved
        from their old cluster to their new one, and the churn: the sum over the rows
        moved through each cluster since the last full pass of their largest ``|x_j|``.

        The rows are rounded as a full pass rounds them (centred in the data's dtype,
        then float64); the rows added to each cluster, then those taken away, each group in
        row order, are added up by ``np.add.reduceat`` (sorted by cluster): the same result
        on every processor. At most ``block_bytes`` of float64 rows at a time (the bytes of
        one block of points fed to a kernel), all copies counted. A cluster left with no
        row gets exactly zero.
        """
        sums = previous.sums.copy()
        churn = previous.churn.copy()
        # The rows, read sorted by new cluster (then row), and a copy sorted by old cluster
        # (then row).
        step = max(1, execution.get_config().block_bytes // (6 * 8 * (self.n_features + 1)))
        for start in range(0, len(changed), step):
            rows = changed[start:start + step]  # ascending
            rows = rows[np.argsort(labels[rows], kind="stable")]
            moved = self._centered_rows(rows)
            columns = moved[:, :-1]
            largest = np.maximum(columns.max(axis=1), -columns.min(axis=1))
            by_old = np.lexsort((rows, previous.labels[rows]))
            _add_by_cluster(sums, churn, labels[rows], moved, largest, 1.0)
            _add_by_cluster(sums, churn, previous.labels[rows[by_old]], moved[by_old],
                            largest[by_old], -1.0)
        sums[sums[:, -1] == 0.0] = 0.0  # counts are exact integers
        return sums, churn

    def _centered_rows(self, rows: np.ndarray) -> np.ndarray:
        """``[x, 1]`` of some rows (unweighted data) in float64, as a full pass adds them."""
        if self.plan.mode == "eager":
            return self._weighted_rows[rows]
        values = np.asarray(_rows(self.points, rows)) - self.offset_array
        moved = np.empty((len(rows), self.n_features + 1))
        moved[:, :-1] = values  # centred in the data's dtype, then float64
        moved[:, -1] = 1.0
        return moved

    def _assign_eager(self, centers: np.ndarray, with_inertia: bool, with_sums: bool):
        norms = center_norms(centers)
        augmented_centers = tf.constant(np.concatenate([-2.0 * centers, norms[:, None]], axis=1))
        scores = tf.matmul(self._augmented, augmented_centers, transpose_b=True)
        labels = tf.argmin(scores, axis=1, output_type=tf.int32)
        sums = (
            tf.math.unsorted_segment_sum(self._weighted, labels, len(centers)).numpy()
            if with_sums else None
        )
        inertia = None
        if with_inertia:
            distances = tf.maximum(self._norms + tf.reduce_min(scores, axis=1), 0.0)
            inertia = float(tf.tensordot(self._weights64, tf.cast(distances, tf.float64), 1))
        return labels.numpy(), sums, inertia

    def final(self, centers: np.ndarray) -> tuple[np.ndarray, float]:
        """Labels under ``centers`` and the inertia from the differences (float64)."""
        if self.plan.mode == "eager":
            labels = self._assign_eager(centers, False, False)[0]
            residuals = self._centered - tf.gather(tf.constant(centers), labels)
            distances = tf.cast(tf.reduce_sum(tf.square(residuals), axis=1), tf.float64)
            return labels, float(tf.tensordot(self._weights64, distances, 1))
        kernel = block_kernel("final", self.plan, self.dtype, self.n_features, _FINAL_OPTIONS)
        padded, norms = padded_centers(centers, self.plan)

        def run(start, stop):
            points, weights, n_valid = self._block_tensors(start, stop)
            labels, inertia = kernel(points, weights, n_valid, self.offset, padded, norms)
            return labels.numpy()[: stop - start], float(inertia)

        results = _map_blocks(run, self.n_samples, self.plan)
        return (
            np.concatenate([result[0] for result in results]),
            sum(result[1] for result in results),
        )

    def inertia_of(self, centers: np.ndarray, labels: np.ndarray) -> float:
        """The inertia of ``labels`` under ``centers`` (see :class:`DataSource`)."""
        return host_inertia(
            ((start, self.points[start:stop], self.weights[start:stop])
             for start, stop in _blocks(self.n_samples, self.plan)),
            self.offset_array, centers, labels,
        )

    def _block_tensors(self, start: int, stop: int) -> tuple[Any, Any, tf.Tensor]:
        """A block's points and weights as the kernels take them (padded under XLA).

        In-memory NumPy data of moderate size is converted once per fit and kept;
        otherwise each pass converts its blocks anew.
        """
        cached = self._cache.get(start)
        if cached is not None:
            return cached
        block = (
            tf.convert_to_tensor(_block(self.points, start, stop, self.plan)),
            tf.convert_to_tensor(_block(self.weights, start, stop, self.plan)),
            tf.constant(stop - start, tf.int32),
        )
        if self._keep_blocks:
            self._cache[start] = block
        return block

    def farthest_points(
        self, centers: np.ndarray, assignment: AssignmentPass, count: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The ``count`` points farthest from their centre (see :class:`DataSource`).

        The distances to the centres ``assignment`` labelled are computed in NumPy
        exactly as scikit-learn computes them (``((x - mean) - c)^2`` summed, in the
        data's dtype), so that ties between equal points, which ``argpartition`` orders
        by every other value, resolve as scikit-learn's do.
        """
        labels = assignment.labels
        distances = np.concatenate([
            np.sum((np.asarray(self.points[start:stop]) - self.offset_array
                    - centers[labels[start:stop]]) ** 2, axis=1)
            for start, stop in _blocks(self.n_samples, self.plan)
        ])
        if distances.max() == 0.0:
            return None
        farthest = farthest_positions(distances, count)
        rows = np.asarray(_rows(self.points, farthest), np.float64) - self.offset_array
        weights = np.asarray(_rows(self.weights, farthest), np.float64)
        return rows, weights, labels[farthest]


def host_inertia(blocks: Any, offset: np.ndarray, centers: np.ndarray,
                 labels: np.ndarray) -> float:
    """``sum w ||x - c_label||^2`` of labels given, from the differences in float64, on the
    host: ``blocks`` yields ``(start, rows, weights or None)`` (see
    :meth:`DataSource.inertia_of`)."""
    centers = np.asarray(centers, np.float64)
    total = 0.0
    for start, rows, weights in blocks:
        residuals = (np.asarray(rows, np.float64) - offset
                     - centers[labels[start:start + len(rows)]])
        squared = np.einsum("ij,ij->i", residuals, residuals)
        total += float(squared.sum() if weights is None
                       else np.asarray(weights, np.float64) @ squared)
    return total


def farthest_positions(distances: np.ndarray, count: int) -> np.ndarray:
    """The positions of the ``count`` largest ``distances``, chosen as scikit-learn's
    relocation of empty clusters chooses them (``argpartition``, ties included)."""
    return np.argpartition(distances, -count)[: -count - 1 : -1]


def _add_by_cluster(sums: np.ndarray, churn: np.ndarray, clusters: np.ndarray,
                    rows: np.ndarray, largest: np.ndarray, sign: float) -> None:
    """Add ``sign`` times ``rows`` (sorted by ``clusters``) to their clusters' ``sums``, in
    row order (``np.add.reduceat``), and their ``largest`` entries to the ``churn``."""
    first = np.flatnonzero(np.r_[True, clusters[1:] != clusters[:-1]])
    sums[clusters[first]] += sign * np.add.reduceat(rows, first, axis=0)
    churn += np.bincount(clusters, weights=largest, minlength=len(churn))


def _rows(values: Any, indices: np.ndarray) -> np.ndarray:
    """The rows ``indices`` of an array or tensor, as a NumPy array."""
    if isinstance(values, np.ndarray):
        return values[indices]
    return tf.gather(values, indices).numpy()


def label_pass(
    points: Any, offset: Any, centers: Any, plan: BlockPlan
) -> tuple[tf.Tensor, tf.Tensor]:
    """Nearest centre of every point and the squared distance to it (from differences)."""
    centers = np.asarray(centers)
    options = KernelOptions(centered=offset is not None, weighted=False, inertia=False)
    kernel = block_kernel("label", plan, tf.as_dtype(centers.dtype), points.shape[1], options)
    padded, norms = padded_centers(centers, plan)
    offset = _offset(offset, padded)

    def run(start, stop):
        labels, distances = kernel(
            _block(points, start, stop, plan), tf.constant(stop - start, tf.int32),
            offset, padded, norms,
        )
        return labels[: stop - start], distances[: stop - start]

    results = _map_blocks(run, points.shape[0], plan)
    return _concat([result[0] for result in results]), _concat([result[1] for result in results])


def distance_pass(points: Any, centers: tf.Tensor, block_rows: int) -> tf.Tensor:
    """Squared Euclidean distances (n, k) to every centre, computed in float64 by blocks."""
    step = _distance_step(tf.as_dtype(points.dtype), centers.dtype)
    parts = [
        step(points[start:start + block_rows], centers)
        for start in range(0, points.shape[0], block_rows)
    ]
    return _concat(parts)


@functools.cache
def _distance_step(dtype: tf.DType, centers_dtype: tf.DType):
    """The distance graph for any number of points, features and centres: one trace."""
    return execution.flat_call(tf.function(_distance_block, input_signature=[
        tf.TensorSpec([None, None], dtype), tf.TensorSpec([None, None], centers_dtype)],
        autograph=False))


def _concat(parts: list) -> tf.Tensor:
    return parts[0] if len(parts) == 1 else tf.concat(parts, axis=0)
