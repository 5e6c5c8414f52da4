"""Passes over the data, block by block: the E-step everywhere, in bounded memory.

A pass feeds the points to a compiled kernel in blocks of ``plan.block_rows`` rows
and adds up what each block returns (per-cluster sums in float64, inertia in float64)
or concatenates it (labels, distances). Memory is O(block x k) for the kernels plus
O(n) for labels: never an n x k matrix, and never a copy of the whole data. The
points may be a NumPy array (a memory map too), whose blocks are views, or a tensor.

The kernels are built by :func:`assign_step`, :func:`final_step`, :func:`label_step`
and :func:`distance_step`, once per plan (see :mod:`.compile`): plain Python run
eagerly, a graph traced once with ``None`` dimensions, or XLA compiled for one fixed
block shape. A block that would be shorter than ``block_rows`` under XLA is taken to
end at the last row instead, overlapping the block before; its first rows are given
weight zero and their results are dropped, so every row counts once.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple, Protocol

import numpy as np
import tensorflow as tf

from . import kernels
from .compile import BlockPlan, count_trace

__all__ = [
    "AssignmentPass",
    "DataPasses",
    "DataSource",
    "block_kernel",
    "padded_centers",
    "distance_pass",
    "label_pass",
]


class AssignmentPass(NamedTuple):
    """What one E-step pass returns (NumPy arrays)."""

    labels: np.ndarray  # (n,) int32
    sums: np.ndarray  # (k, d) float64, sum of w * x per cluster (in the centred frame)
    totals: np.ndarray  # (k,) float64, sum of w per cluster
    inertia: float | None  # sum of w * squared distance, when asked for


# --------------------------------------------------------------------------- #
# Block kernels
# --------------------------------------------------------------------------- #
def _masked(weights: tf.Tensor, valid_from: tf.Tensor) -> tf.Tensor:
    """Weights with the first ``valid_from`` rows (already counted) set to zero."""
    rows = tf.range(tf.shape(weights)[0])
    return tf.where(rows >= valid_from, weights, tf.zeros_like(weights))


def _nearest(points, centers, center_norms, few_features):
    point_norms = tf.reduce_sum(tf.square(points), axis=1)
    nearest = kernels.nearest_center_few_features if few_features else kernels.nearest_center
    return nearest(points, point_norms, centers, center_norms)


def _assign_block(points, weights, offset, centers, center_norms, valid_from, few_features):
    count_trace("assign_block")
    points = points - offset
    weights = _masked(weights, valid_from)
    labels, distances = _nearest(points, centers, center_norms, few_features)
    sums = kernels.cluster_sums(points, weights, labels, tf.shape(centers)[0])
    inertia = tf.reduce_sum(tf.cast(weights, tf.float64) * tf.cast(distances, tf.float64))
    return labels, sums, inertia


def _final_block(points, weights, offset, centers, center_norms, valid_from, few_features):
    count_trace("final_block")
    points = points - offset
    weights = _masked(weights, valid_from)
    labels, _ = _nearest(points, centers, center_norms, few_features)
    return labels, kernels.residual_inertia(points, weights, centers, labels)


def _label_block(points, offset, centers, center_norms, few_features):
    """Labels and squared distances from the differences (accurate) for one block."""
    count_trace("label_block")
    points = points - offset
    labels, _ = _nearest(points, centers, center_norms, few_features)
    residuals = points - tf.gather(centers, labels)
    return labels, tf.reduce_sum(tf.square(residuals), axis=1)


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
        "offset": tf.TensorSpec([features], dtype),
        "centers": tf.TensorSpec([clusters, features], dtype),
        "center_norms": tf.TensorSpec([clusters], dtype),
        "valid_from": tf.TensorSpec([], tf.int32),
    }
    return [specs[part] for part in parts]


def _build(function, plan: BlockPlan, dtype: tf.DType, n_features: int, parts):
    function = functools.partial(function, few_features=plan.few_features)
    if plan.mode == "eager":
        return function
    compiled = tf.function(
        function,
        input_signature=_signature(plan, dtype, n_features, *parts),
        jit_compile=plan.mode == "xla",
    )
    # One instance per plan and dtype, each traced exactly once; TensorFlow's retracing
    # detector counts traces per code object, which the instances share.
    compiled._omit_frequent_tracing_warning = True
    return compiled


_PARTS = {
    "assign": ("points", "weights", "offset", "centers", "center_norms", "valid_from"),
    "final": ("points", "weights", "offset", "centers", "center_norms", "valid_from"),
    "label": ("points", "offset", "centers", "center_norms"),
}
_FUNCTIONS = {"assign": _assign_block, "final": _final_block, "label": _label_block}


def block_kernel(name: str, plan: BlockPlan, dtype: tf.DType, n_features: int):
    """The compiled kernel for one block: one graph for every shape, one XLA kernel per
    block shape (eager: the plain function).

    ``name`` is ``"assign"`` (``(points, weights, offset, centers, center_norms,
    valid_from) -> (labels, float64 sums (k, d + 1), float64 inertia)``), ``"final"``
    (same inputs, ``-> (labels, inertia from the differences)``) or ``"label"``
    (``(points, offset, centers, center_norms) -> (labels, squared distances)``).
    Centres and norms come padded by :func:`padded_centers`; the first ``valid_from``
    rows of the block count with weight zero.
    """
    if plan.mode == "eager":
        return functools.partial(_FUNCTIONS[name], few_features=False)
    if plan.mode == "graph":
        return _compiled_step(name, _GRAPH_PLAN, dtype, 0)
    return _compiled_step(name, plan, dtype, n_features)


_GRAPH_PLAN = BlockPlan("graph", 0, 0)


@functools.cache
def _compiled_step(name: str, plan: BlockPlan, dtype: tf.DType, n_features: int):
    return _build(_FUNCTIONS[name], plan, dtype, n_features, _PARTS[name])


# --------------------------------------------------------------------------- #
# Drivers
# --------------------------------------------------------------------------- #
def _blocks(n_samples: int, plan: BlockPlan):
    """``(start, stop, valid_from)`` of each block; XLA blocks all have ``block_rows`` rows."""
    rows = plan.block_rows
    for begin in range(0, n_samples, rows):
        end = min(begin + rows, n_samples)
        if plan.mode == "xla" and end - begin < rows:
            yield n_samples - rows, n_samples, begin - (n_samples - rows)
        else:
            yield begin, end, 0


def padded_centers(centers: np.ndarray, plan: BlockPlan) -> tuple[tf.Tensor, tf.Tensor]:
    """Centres padded to ``plan.padded_clusters`` rows, and their norms (+inf when padded)."""
    norms = np.einsum("ij,ij->i", centers, centers)
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
    """What Lloyd's driver (:func:`~.lloyd.lloyd_on`) needs from the data.

    Implemented by :class:`DataPasses` for arrays and tensors, and by the streamed
    sources for datasets, memory maps and several devices. Centres go in and results
    come out as NumPy arrays in the source's working frame (``offset`` subtracted).
    """

    n_samples: int
    offset_array: np.ndarray

    def assign(self, centers: np.ndarray, with_inertia: bool = False) -> AssignmentPass:
        """Labels of every point, float64 per-cluster sums and totals, and the inertia."""

    def final(self, centers: np.ndarray) -> tuple[np.ndarray, float]:
        """Labels under ``centers`` and the inertia computed from the differences."""

    def farthest_points(
        self, centers: np.ndarray, count: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The ``count`` points farthest from their nearest centre, farthest first.

        Returns their coordinates (float64, working frame), weights and labels; or
        None when every point sits on its centre.
        """


class DataPasses:
    """The E-step passes over one data set, prepared once per fit.

    ``points`` (n, d) float array or tensor, read block by block (never copied as a
    whole, except in eager mode, where the data is small by definition and is kept
    centred and augmented so that an iteration is three TensorFlow ops); ``weights``
    (n,); ``offset`` (d,) or None, subtracted from every block. Centres go in and
    results come out as NumPy arrays: the M-step on k x d numbers is the driver's.
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
        if plan.mode == "eager":
            centred = tf.convert_to_tensor(points, self.dtype) - self.offset
            weights = tf.convert_to_tensor(weights, self.dtype)
            ones = tf.ones([self.n_samples, 1], self.dtype)
            # [x, 1] . [-2 c, ||c||^2] = ||c||^2 - 2 x.c: the scores in one product.
            self._augmented = tf.concat([centred, ones], axis=1)
            self._weighted = tf.cast(
                tf.concat([centred * weights[:, None], weights[:, None]], axis=1), tf.float64
            )
            self._weights64 = tf.cast(weights, tf.float64)
            self._norms = tf.reduce_sum(tf.square(centred), axis=1)
            self._centred = centred

    def assign(self, centers: np.ndarray, with_inertia: bool = False) -> AssignmentPass:
        """Labels, per-cluster float64 sums and (optionally) inertia under ``centers``."""
        n_clusters = len(centers)
        if self.plan.mode == "eager":
            return self._assign_eager(centers, with_inertia)
        step = block_kernel("assign", self.plan, self.dtype, self.n_features)
        padded, norms = padded_centers(centers, self.plan)
        labels, sums, inertia = [], 0.0, 0.0
        for start, stop, valid_from in _blocks(self.n_samples, self.plan):
            block_labels, block_sums, block_inertia = step(
                self.points[start:stop], self.weights[start:stop], self.offset, padded, norms,
                tf.constant(valid_from, tf.int32),
            )
            labels.append(block_labels.numpy()[valid_from:])
            sums = sums + block_sums.numpy()
            inertia = inertia + float(block_inertia)
        sums = sums[:n_clusters]
        return AssignmentPass(np.concatenate(labels), sums[:, :-1], sums[:, -1], inertia)

    def _assign_eager(self, centers: np.ndarray, with_inertia: bool) -> AssignmentPass:
        norms = np.einsum("ij,ij->i", centers, centers)
        augmented_centers = tf.constant(np.concatenate([-2.0 * centers, norms[:, None]], axis=1))
        scores = tf.matmul(self._augmented, augmented_centers, transpose_b=True)
        labels = tf.argmin(scores, axis=1, output_type=tf.int32)
        sums = tf.math.unsorted_segment_sum(self._weighted, labels, len(centers)).numpy()
        inertia = None
        if with_inertia:
            distances = tf.maximum(self._norms + tf.reduce_min(scores, axis=1), 0.0)
            inertia = float(tf.tensordot(self._weights64, tf.cast(distances, tf.float64), 1))
        return AssignmentPass(labels.numpy(), sums[:, :-1], sums[:, -1], inertia)

    def final(self, centers: np.ndarray) -> tuple[np.ndarray, float]:
        """Labels under ``centers`` and the inertia from the differences (float64)."""
        if self.plan.mode == "eager":
            labels = self._assign_eager(centers, False).labels
            residuals = self._centred - tf.gather(tf.constant(centers), labels)
            distances = tf.cast(tf.reduce_sum(tf.square(residuals), axis=1), tf.float64)
            return labels, float(tf.tensordot(self._weights64, distances, 1))
        step = block_kernel("final", self.plan, self.dtype, self.n_features)
        padded, norms = padded_centers(centers, self.plan)
        labels, inertia = [], 0.0
        for start, stop, valid_from in _blocks(self.n_samples, self.plan):
            block_labels, block_inertia = step(
                self.points[start:stop], self.weights[start:stop], self.offset, padded, norms,
                tf.constant(valid_from, tf.int32),
            )
            labels.append(block_labels.numpy()[valid_from:])
            inertia += float(block_inertia)
        return np.concatenate(labels), inertia

    def farthest_points(
        self, centers: np.ndarray, count: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The ``count`` points farthest from their centre (see :class:`DataSource`)."""
        labels, distances = label_pass(self.points, self.offset, centers, self.plan)
        labels, distances = labels.numpy(), distances.numpy()
        if distances.max() == 0.0:
            return None
        # The same selection as scikit-learn's, ties included.
        farthest = np.argpartition(distances, -count)[: -count - 1 : -1]
        rows = np.asarray(_rows(self.points, farthest), np.float64) - self.offset_array
        weights = np.asarray(_rows(self.weights, farthest), np.float64)
        return rows, weights, labels[farthest]


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
    step = block_kernel("label", plan, tf.as_dtype(centers.dtype), points.shape[1])
    padded, norms = padded_centers(centers, plan)
    offset = _offset(offset, padded)
    labels, distances = [], []
    for start, stop, valid_from in _blocks(points.shape[0], plan):
        block = step(points[start:stop], offset, padded, norms)
        labels.append(block[0][valid_from:])
        distances.append(block[1][valid_from:])
    return _concat(labels), _concat(distances)


def distance_pass(points: Any, centers: tf.Tensor, block_rows: int) -> tf.Tensor:
    """Squared Euclidean distances (n, k) to every centre, computed in float64 by blocks."""
    step = _distance_step()
    parts = [
        step(tf.convert_to_tensor(points[start:start + block_rows]), centers)
        for start in range(0, points.shape[0], block_rows)
    ]
    return _concat(parts)


@functools.cache
def _distance_step():
    return tf.function(_distance_block, reduce_retracing=True)


def _concat(parts: list) -> tf.Tensor:
    return parts[0] if len(parts) == 1 else tf.concat(parts, axis=0)
