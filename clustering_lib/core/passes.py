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
from typing import Any, NamedTuple

import numpy as np
import tensorflow as tf

from . import kernels
from .compile import BlockPlan, count_trace

__all__ = [
    "AssignmentPass",
    "assignment_pass",
    "distance_pass",
    "final_pass",
    "label_pass",
]


class AssignmentPass(NamedTuple):
    """What one E-step pass returns."""

    labels: tf.Tensor  # (n,) int32
    min_distances: tf.Tensor  # (n,) squared distance to the nearest centre
    sums: tf.Tensor  # (k, d) float64, sum of w * x per cluster (in the centred frame)
    totals: tf.Tensor  # (k,) float64, sum of w per cluster
    inertia: tf.Tensor  # () float64, sum of w * min_distances


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
    labels, min_distances = _nearest(points, centers, center_norms, few_features)
    sums = kernels.cluster_sums(points, weights, labels, tf.shape(centers)[0])
    inertia = tf.reduce_sum(tf.cast(weights, tf.float64) * tf.cast(min_distances, tf.float64))
    return labels, min_distances, sums, inertia


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


def _step(name: str, plan: BlockPlan, dtype: tf.DType, n_features: int):
    """The block kernel ``name`` for this plan: one graph for every shape, one XLA
    kernel per block shape."""
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


def _padded(centers: tf.Tensor, plan: BlockPlan) -> tuple[tf.Tensor, tf.Tensor]:
    """Centres padded to ``plan.padded_clusters`` rows, and their norms (+inf when padded)."""
    norms = tf.reduce_sum(tf.square(centers), axis=1)
    extra = plan.padded_clusters - int(centers.shape[0])
    if extra <= 0:
        return centers, norms
    centers = tf.pad(centers, [[0, extra], [0, 0]])
    norms = tf.concat([norms, tf.fill([extra], tf.constant(np.inf, norms.dtype))], axis=0)
    return centers, norms


def _offset(offset: Any, centers: tf.Tensor) -> tf.Tensor:
    if offset is None:
        return tf.zeros([centers.shape[1]], centers.dtype)
    return tf.convert_to_tensor(offset, centers.dtype)


def assignment_pass(
    points: Any, weights: Any, offset: Any, centers: tf.Tensor, plan: BlockPlan
) -> AssignmentPass:
    """Labels, squared distances and per-cluster float64 sums of ``points - offset``."""
    n_samples, n_features = points.shape
    n_clusters = int(centers.shape[0])
    step = _step("assign", plan, centers.dtype, n_features)
    padded, norms = _padded(centers, plan)
    offset = _offset(offset, centers)
    labels, distances = [], []
    sums, inertia = 0.0, 0.0
    for start, stop, valid_from in _blocks(n_samples, plan):
        block_labels, block_distances, block_sums, block_inertia = step(
            points[start:stop], weights[start:stop], offset, padded, norms,
            tf.constant(valid_from, tf.int32),
        )
        labels.append(block_labels[valid_from:])
        distances.append(block_distances[valid_from:])
        sums = sums + block_sums
        inertia = inertia + block_inertia
    sums = sums[:n_clusters]
    return AssignmentPass(
        _concat(labels), _concat(distances), sums[:, :-1], sums[:, -1], inertia
    )


def final_pass(
    points: Any, weights: Any, offset: Any, centers: tf.Tensor, plan: BlockPlan
) -> tuple[tf.Tensor, tf.Tensor]:
    """Labels under ``centers`` and the inertia from the differences (float64)."""
    step = _step("final", plan, centers.dtype, points.shape[1])
    padded, norms = _padded(centers, plan)
    offset = _offset(offset, centers)
    labels, inertia = [], 0.0
    for start, stop, valid_from in _blocks(points.shape[0], plan):
        block_labels, block_inertia = step(
            points[start:stop], weights[start:stop], offset, padded, norms,
            tf.constant(valid_from, tf.int32),
        )
        labels.append(block_labels[valid_from:])
        inertia = inertia + block_inertia
    return _concat(labels), inertia


def label_pass(
    points: Any, offset: Any, centers: tf.Tensor, plan: BlockPlan
) -> tuple[tf.Tensor, tf.Tensor]:
    """Nearest centre of every point and the squared distance to it (from differences)."""
    step = _step("label", plan, centers.dtype, points.shape[1])
    padded, norms = _padded(centers, plan)
    offset = _offset(offset, centers)
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
