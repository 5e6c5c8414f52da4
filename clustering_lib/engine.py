"""TEMPORARY bridge to the public engine API of the coming ``clustering_lib.core`` package.

The estimators call these functions, with the names and semantics that ``core`` will
export (``run_lloyd``, ``nearest_centers``, ``center_distances``,
``kmeans_plusplus_indices``, ``random_init_indices``, ``cluster_sums``). Until the package
lands they run on today's ``core.py``; sparse CSR input goes to ``core/sparse.py``. This
module is deleted, and its callers switch to ``core``, when the package is merged.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
import tensorflow as tf

from . import core as _core


def _load(name: str):
    """Load ``clustering_lib/core/<name>.py`` (shadowed by core.py until the package lands)."""
    full_name = f"clustering_lib.core_{name}_preview"
    if full_name in sys.modules:
        return sys.modules[full_name]
    path = pathlib.Path(__file__).parent / "core" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(full_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[full_name] = module
    spec.loader.exec_module(module)
    return module


sparse = _load("sparse")
minibatch = _load("minibatch")
LloydResult = sparse.LloydResult
DISTANCE_BLOCK_ROWS = 4096


def run_lloyd(
    points: Any,
    weights: Any,
    centers: Any,
    *,
    max_iter: int,
    tol: float,
    offset: Any = None,
    spherical: bool = False,
    fixed_mask: Any = None,
    verbose: int = 0,
    callback: Callable[[Any], None] | None = None,
):
    """One Lloyd run from ``centers`` (scikit-learn's rules); float64 inertia.

    ``points`` is an array, a tensor or a sparse matrix; ``offset`` (dense only) is
    subtracted from the points and the centres first, and the centres are returned in
    the frame of ``points``.
    """
    options = dict(max_iter=max_iter, tol=tol, spherical=spherical, fixed_mask=fixed_mask,
                   verbose=verbose, callback=callback)
    if sparse.is_sparse(points):
        return sparse.run_lloyd(points, weights, centers, **options)
    points = tf.convert_to_tensor(points)
    offset = tf.zeros([points.shape[1]], points.dtype) if offset is None else tf.constant(offset)
    points, centers = points - offset, tf.convert_to_tensor(centers, points.dtype) - offset
    weights = tf.convert_to_tensor(weights, points.dtype)
    if verbose or callback is not None:
        # today's compiled loop cannot report each iteration: the same rules on CSR rows
        result = sparse.run_lloyd(sp.csr_matrix(points.numpy()), weights, centers, **options)
    else:
        result = _core._lloyd_checked(points, weights, centers, max_iter, tol,
                                      spherical=spherical, fixed_mask=fixed_mask)
    residuals = tf.cast(points - tf.gather(result.centers, result.labels), tf.float64)
    inertia = tf.reduce_sum(tf.cast(weights, tf.float64) * tf.reduce_sum(tf.square(residuals), 1))
    return LloydResult(result.centers + offset, result.labels, inertia, int(result.n_iter))


def nearest_centers(points: Any, centers: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Nearest centre (int32) and the squared distance to it, for every point."""
    if sparse.is_sparse(points):
        return sparse.nearest_centers(points, centers)
    points = tf.convert_to_tensor(points)
    return _core._assign_fn(points, tf.convert_to_tensor(centers, points.dtype))


def center_distances(points: Any, centers: tf.Tensor, squared: bool = False) -> tf.Tensor:
    """(n, k) distances in float64, exactly 0 for a point equal to a centre."""
    if sparse.is_sparse(points):
        return sparse.center_distances(points, centers, squared=squared)
    points = tf.convert_to_tensor(points)
    centers = tf.cast(centers, tf.float64)
    center_norms = tf.reduce_sum(tf.square(centers), axis=1)
    parts = []
    for start in range(0, int(points.shape[0]), DISTANCE_BLOCK_ROWS):
        block = tf.cast(points[start:start + DISTANCE_BLOCK_ROWS], tf.float64)
        point_norms = tf.reduce_sum(tf.square(block), axis=1, keepdims=True)
        values = point_norms - 2.0 * tf.matmul(block, centers, transpose_b=True) + center_norms
        doubtful = tf.where(values <= 1e-8 * (point_norms + center_norms))
        exact = tf.reduce_sum(
            tf.square(tf.gather(block, doubtful[:, 0]) - tf.gather(centers, doubtful[:, 1])), 1
        )
        parts.append(tf.maximum(tf.tensor_scatter_nd_update(values, doubtful, exact), 0.0))
    values = tf.concat(parts, axis=0)
    return values if squared else tf.sqrt(values)


def kmeans_plusplus_indices(points, n_clusters, rng, weights, n_local_trials=None) -> np.ndarray:
    if sparse.is_sparse(points):
        return sparse.kmeans_plusplus_indices(points, n_clusters, rng, weights, n_local_trials)
    points = tf.convert_to_tensor(points)
    weights = tf.cast(weights, points.dtype)
    _, indices = _core._kmeans_plusplus_checked(points, n_clusters, rng, weights, n_local_trials)
    return indices.numpy().astype(np.int64)


def random_init_indices(points, n_clusters, rng, weights) -> np.ndarray:
    probabilities = np.asarray(weights, dtype=np.float64)
    if np.count_nonzero(probabilities) < n_clusters:
        raise ValueError(
            f"init='random' needs at least n_clusters={n_clusters} points of positive weight."
        )
    return rng.choice(points.shape[0], size=n_clusters, replace=False,
                      p=probabilities / probabilities.sum()).astype(np.int64)


def cluster_sums(points, weights, labels, n_clusters):
    """Per-cluster sums of ``w x`` and of ``w``, float64."""
    if sparse.is_sparse(points):
        return sparse.cluster_sums(points, weights, labels, n_clusters)
    weights = tf.cast(weights, tf.float64)
    weighted = tf.cast(tf.convert_to_tensor(points), tf.float64) * weights[:, None]
    labels = tf.cast(labels, tf.int32)
    return (tf.math.unsorted_segment_sum(weighted, labels, n_clusters),
            tf.math.unsorted_segment_sum(weights, labels, n_clusters))


def cluster_means(sums, totals, fallback):
    means = tf.cast(tf.math.divide_no_nan(sums, totals[:, None]), fallback.dtype)
    return tf.where((totals > 0)[:, None], means, fallback)


def unit_rows(rows, fallback):
    return _core._unit_rows(rows, fallback)
