"""Public E-step and M-step functions: nearest centres, distances, cluster means.

Two layers, as in the rest of :mod:`clustering_lib.core`:

* :func:`assign`, :func:`pairwise_squared_distances` and :func:`update_centroids`
  take any array-like, check it and say clearly what is wrong;
* :func:`nearest_centers`, :func:`labels_and_inertia`, :func:`center_distances` and
  :func:`cluster_sums` take
  checked input (a float ndarray, memory map or tensor; or a SciPy sparse matrix,
  handled by :mod:`._sparse`) and are what the estimators call. They run block by
  block under the execution settings, so memory stays O(block x k) besides the output.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from . import _execution as execution
from . import _kernels as kernels
from . import _passes as passes
from . import _sparse as sparse
from ._sources import is_sparse_points, lloyd_passes
from ._validation import (
    as_float_tensor,
    check_n_clusters,
    check_same_features,
    sample_weight_tensor,
)

__all__ = [
    "assign",
    "center_distances",
    "labels_and_inertia",
    "cluster_sums",
    "nearest_centers",
    "pairwise_squared_distances",
    "update_centroids",
]

def nearest_centers(points: Any, centers: Any, offset: Any = None) -> tuple[tf.Tensor, tf.Tensor]:
    """Nearest centre of each point and the squared distance to it (checked input).

    The distance is computed from the difference ``x - c``, not from the expanded
    formula, so it is accurate even far from the origin. ``offset`` (optional, e.g.
    the training data's mean) is subtracted from points and centres alike first; sparse
    points are never centred (it is not used).

    Returns
    -------
    labels : tf.Tensor of int32, shape (n_samples,)
    squared_distances : tf.Tensor of shape (n_samples,), the dtype of ``points``
    """
    if is_sparse_points(points):
        return sparse.nearest_centers(points, centers)
    dtype = tf.as_dtype(points.dtype)
    centers = tf.convert_to_tensor(centers, dtype)
    if offset is not None:
        offset = tf.convert_to_tensor(offset, dtype)
        centers = centers - offset
    plan = execution.plan(points.shape[0], points.shape[1], int(centers.shape[0]))
    return passes.label_pass(points, offset, centers, plan)


def labels_and_inertia(
    points: Any, centers: np.ndarray, offset: np.ndarray | None = None, *, weights: Any
) -> tuple[np.ndarray, float]:
    """Nearest centre of each point and the inertia ``sum w ||x - c||^2`` (checked
    input): the final pass of a fit, with its kernels and its rounding (float64
    residuals in compiled passes; on small data, run eagerly, each row's squares added
    in the data's dtype, the rows in float64).

    Under XLA the points go in blocks of a size a fit has compiled for the same kind of
    data, whatever their number, so ``predict`` and ``score`` on a new size compile
    nothing. ``offset`` (dense points only) is subtracted from points and centres
    first; ``weights`` (n,) in the points' dtype.
    """
    if is_sparse_points(points):
        offset = None
    centers = np.asarray(centers, points.dtype)
    data = lloyd_passes(points, weights, offset, len(centers), reuse_kernels=True)
    return data.final(centers - data.offset_array)


def center_distances(points: Any, centers: Any, squared: bool = False) -> tf.Tensor:
    """Euclidean distances (n_samples, n_clusters) from every point to every centre.

    Computed in float64 by blocks (as scikit-learn upcasts float32), with the pairs
    that the expanded formula cannot resolve recomputed from the differences: a
    point equal to a centre is at distance exactly 0. Returned in the dtype of
    ``points``.
    """
    if is_sparse_points(points):
        return sparse.center_distances(points, centers, squared=squared)
    dtype = tf.as_dtype(points.dtype)
    result = passes.distance_pass(
        points, tf.convert_to_tensor(centers, dtype), execution.get_config().distance_block_rows
    )
    if not squared:
        result = tf.sqrt(result)
    return tf.cast(result, dtype)


def cluster_sums(
    points: Any, weights: Any, labels: Any, n_clusters: int
) -> tuple[tf.Tensor, tf.Tensor]:
    """Per-cluster sums of ``w * x`` (k, d) and of ``w`` (k,), both float64 (checked input)."""
    if is_sparse_points(points):
        return sparse.cluster_sums(points, weights, labels, n_clusters)
    totals = kernels.cluster_sums(
        tf.convert_to_tensor(points), tf.convert_to_tensor(weights, points.dtype),
        tf.convert_to_tensor(labels, tf.int32), n_clusters,
    )
    return totals[:, :-1], totals[:, -1]


def _points_and_centroids(points: Any, centroids: Any) -> tuple[tf.Tensor, tf.Tensor]:
    """Both as float tensors of the points' dtype, with the same number of features."""
    points = as_float_tensor(points, "points")
    centroids = as_float_tensor(centroids, "centroids", dtype=points.dtype)
    check_same_features(points, centroids)
    return points, centroids


def pairwise_squared_distances(points: Any, centroids: Any) -> tf.Tensor:
    """Squared Euclidean distances between every point and every centroid.

    Computed as ``||x||^2 - 2 x.c + ||c||^2`` in one matrix product and clipped at
    zero, so rounding never produces a negative distance. The result is n x k: for
    many points use :func:`assign`, which never forms it.

    Parameters
    ----------
    points : array-like of shape (n_samples, n_features)
    centroids : array-like of shape (n_clusters, n_features)

    Returns
    -------
    tf.Tensor of shape (n_samples, n_clusters)
    """
    return kernels.squared_distances(*_points_and_centroids(points, centroids))


def assign(points: Any, centroids: Any) -> tuple[tf.Tensor, tf.Tensor]:
    """Assign every point to its nearest centroid (the k-means E-step).

    Parameters
    ----------
    points : array-like of shape (n_samples, n_features)
    centroids : array-like of shape (n_clusters, n_features)

    Returns
    -------
    labels : tf.Tensor of int32, shape (n_samples,)
        Index of the nearest centroid (the lowest index on ties).
    squared_distances : tf.Tensor of shape (n_samples,)
        Squared Euclidean distance from each point to that centroid.
    """
    return nearest_centers(*_points_and_centroids(points, centroids))


def update_centroids(
    points: Any,
    labels: Any,
    n_clusters: int,
    sample_weight: Any = None,
    previous_centroids: Any = None,
) -> tuple[tf.Tensor, tf.Tensor]:
    """Weighted mean of the points in each cluster (the k-means M-step).

    Parameters
    ----------
    points : array-like of shape (n_samples, n_features)
    labels : array-like of int, shape (n_samples,)
        Cluster index of each point, in ``[0, n_clusters)``.
    n_clusters : int
        Number of clusters (clusters may be empty).
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights; all ones by default.
    previous_centroids : array-like of shape (n_clusters, n_features), optional
        Where an empty cluster stays. Without it an empty cluster's centroid is
        the zero vector. Either way it is never NaN.

    Returns
    -------
    centroids : tf.Tensor of shape (n_clusters, n_features)
    cluster_weights : tf.Tensor of shape (n_clusters,)
        Total weight (the count, when unweighted) of each cluster, in the dtype of
        the points (summed in float64).
    """
    points = as_float_tensor(points, "points")
    n_samples, n_features = points.shape
    n_clusters = check_n_clusters(n_clusters)
    label_array = np.asarray(labels)
    if label_array.ndim != 1 or label_array.shape[0] != n_samples:
        raise ValueError(
            f"labels must be 1-D with one entry per point ({n_samples}), got shape "
            f"{label_array.shape}."
        )
    if label_array.dtype.kind not in "iu":
        raise TypeError(f"labels must be integers, got dtype {label_array.dtype}.")
    if label_array.min() < 0 or label_array.max() >= n_clusters:
        raise ValueError(
            f"labels must lie in [0, n_clusters={n_clusters}), got values from "
            f"{label_array.min()} to {label_array.max()}."
        )
    weights = sample_weight_tensor(sample_weight, n_samples, points.dtype)
    if previous_centroids is None:
        fallback = tf.zeros([n_clusters, n_features], dtype=points.dtype)
    else:
        fallback = as_float_tensor(previous_centroids, "previous_centroids", dtype=points.dtype)
        if tuple(fallback.shape) != (n_clusters, n_features):
            raise ValueError(
                f"previous_centroids must have shape ({n_clusters}, {n_features}), got "
                f"{tuple(fallback.shape)}."
            )
    sums, totals = cluster_sums(points, weights, label_array.astype(np.int32), n_clusters)
    return kernels.cluster_means(sums, totals, fallback), tf.cast(totals, points.dtype)
