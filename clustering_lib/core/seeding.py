"""Initial centres: greedy k-means++ and uniform random rows.

Both draw their random numbers from a NumPy ``RandomState`` in scikit-learn's order, so
the same ``random_state`` picks the same rows. k-means++ runs as one loop over the
centres (eager for small data, otherwise one graph traced once per dtype); the
distances of the candidates are computed block by block, so memory stays O(n) for
any number of points, and the sampling distribution is a float64 cumulative sum, so
that every row can be drawn however many there are.
"""

from __future__ import annotations

import functools
import numbers
from typing import Any

import numpy as np
import tensorflow as tf

from . import execution, kernels, sparse
from .sources import is_sparse_points
from .validation import (
    as_float_tensor,
    check_n_clusters,
    check_random_state,
    sample_weight_tensor,
)

__all__ = [
    "kmeans_plusplus",
    "kmeans_plusplus_indices",
    "random_init",
    "random_init_indices",
]

def _distances64(centers, points, offset):
    """Squared distances in float64 (scikit-learn upcasts float32 here too), computed
    after subtracting ``offset`` from both (scikit-learn seeds on centred data)."""
    return kernels.squared_distances(
        tf.cast(centers, tf.float64) - offset, tf.cast(points, tf.float64) - offset
    )


def _candidate_potentials(points, weights, closest, candidates, offset, block_rows):
    """``sum_i w_i min(closest_i, ||x_i - c_t||^2)`` for each candidate ``c_t`` (float64)."""
    n_samples = tf.shape(points, out_type=tf.int64)[0]
    block_rows = tf.constant(block_rows, tf.int64)
    n_blocks = (n_samples + block_rows - 1) // block_rows

    def body(block, total):
        start = block * block_rows
        size = tf.minimum(block_rows, n_samples - start)
        rows = tf.slice(points, tf.stack([start, 0]), tf.stack([size, -1]))
        distances = tf.minimum(
            _distances64(candidates, rows, offset), tf.slice(closest, [start], [size])[None, :]
        )
        weighted = distances * tf.cast(tf.slice(weights, [start], [size]), tf.float64)[None, :]
        return block + 1, total + tf.reduce_sum(weighted, axis=1)

    start_total = tf.zeros([tf.shape(candidates)[0]], tf.float64)
    return tf.while_loop(
        lambda block, _: block < n_blocks, body, (tf.constant(0, tf.int64), start_total)
    )[1]


def _kmeans_plusplus_loop(points, weights, first_index, uniforms, offset, block_rows):
    """Greedy k-means++ given pre-drawn random numbers (one row per further centre)."""
    execution.count_trace("kmeans_plusplus")
    n_samples = tf.shape(points, out_type=tf.int64)[0]
    n_clusters = tf.shape(uniforms)[0] + 1
    weights64 = tf.cast(weights, tf.float64)
    closest = _distances64(tf.gather(points, first_index[None]), points, offset)[0]
    potential = tf.reduce_sum(closest * weights64)
    indices = tf.TensorArray(tf.int64, size=n_clusters).write(0, first_index)

    def body(center, closest, potential, indices):
        cumulative = tf.cumsum(closest * weights64)
        targets = uniforms[center - 1] * potential
        candidates = tf.searchsorted(cumulative, targets, side="left", out_type=tf.int64)
        candidates = tf.minimum(candidates, n_samples - 1)
        candidate_points = tf.gather(points, candidates)
        potentials = _candidate_potentials(
            points, weights, closest, candidate_points, offset, block_rows
        )
        best = tf.argmin(potentials, output_type=tf.int32)
        best_distances = _distances64(candidate_points[best][None, :], points, offset)[0]
        return (
            center + 1,
            tf.minimum(closest, best_distances),
            potentials[best],
            indices.write(center, candidates[best]),
        )

    _, _, _, indices = tf.while_loop(
        lambda center, *_: center < n_clusters,
        body,
        (tf.constant(1), closest, potential, indices),
    )
    return indices.stack()


def _eager_operands(points, weights, offset) -> tuple:
    """What the eager k-means++ needs of the data: the centred float64 points, their
    squared norms, the points augmented as ``[x, ||x||^2, 1]`` (a tensor) and the
    float64 weights. Prepared once per fit when a fit makes several initialisations."""
    points64 = np.asarray(points, np.float64) - offset
    norms = np.einsum("ij,ij->i", points64, points64)
    # [x, ||x||^2, 1] . [-2 c, 1, ||c||^2] = ||x - c||^2
    augmented = tf.constant(np.column_stack([points64, norms, np.ones(len(norms))]))
    return points64, norms, augmented, np.asarray(weights, np.float64)


def _kmeans_plusplus_eager(operands, first_index, uniforms):
    """The same greedy k-means++, one centre at a time from Python, for small data.

    The distances of the candidates to every point, the only part that grows with n
    times d, are one TensorFlow matrix product per centre (float64, the points
    augmented once with their squared norms, see :func:`_eager_operands`); the draws,
    the potentials and the choice of the best candidate are NumPy work on vectors of
    length n. No tracing.
    """
    points64, norms, augmented, weights64 = operands
    n_samples = len(points64)

    def distances_to(rows):
        chosen = points64[rows]
        factors = np.column_stack([-2.0 * chosen, np.ones(len(rows)), norms[rows]])
        distances = tf.matmul(tf.constant(factors), augmented, transpose_b=True).numpy()
        return np.maximum(distances, 0.0)

    closest = distances_to([first_index])[0]
    potential = closest @ weights64
    indices = [first_index]
    for draws in uniforms:
        cumulative = np.cumsum(closest * weights64)
        candidates = np.minimum(
            np.searchsorted(cumulative, draws * potential, side="left"), n_samples - 1
        )
        distances = np.minimum(distances_to(candidates), closest)
        potentials = distances @ weights64
        best = int(np.argmin(potentials))
        closest, potential = distances[best], potentials[best]
        indices.append(int(candidates[best]))
    return np.asarray(indices, np.int64)


@execution.kernel_cache
def _kmeans_plusplus_graph(dtype: tf.DType, block_rows: int):
    """The k-means++ loop as one graph for any number of points and centres, scoring the
    candidates against blocks of ``block_rows`` points."""
    signature = [
        tf.TensorSpec([None, None], dtype),
        tf.TensorSpec([None], dtype),
        tf.TensorSpec([], tf.int64),
        tf.TensorSpec([None, None], tf.float64),
        tf.TensorSpec([None], tf.float64),
    ]
    return tf.function(
        functools.partial(_kmeans_plusplus_loop, block_rows=block_rows),
        input_signature=signature,
    )


def kmeans_plusplus_indices(
    points: Any,
    n_clusters: int,
    rng: np.random.RandomState,
    weights: Any,
    n_local_trials: int | None = None,
    offset: Any = None,
    cache: dict | None = None,
) -> np.ndarray:
    """Rows chosen by greedy k-means++ on checked input (see :func:`kmeans_plusplus`).

    ``points`` is a float tensor or array (n, d), ``weights`` non-negative with a
    positive entry; ``rng`` a ``RandomState``; ``offset`` (d,), optional, is subtracted
    before the distances are computed (the data's mean: scikit-learn seeds on centred
    data, and near-ties then resolve the same way). Returns int64 row indices. On data
    larger than one block the points are converted to one tensor for the duration of
    the seeding (one temporary copy). ``cache``: a dict that lives as long as one fit
    and its data (``KMeans.fit`` passes one for its ``n_init`` initialisations), where
    the prepared operands of small data are kept between calls.
    """
    if is_sparse_points(points):
        return sparse.kmeans_plusplus_indices(points, n_clusters, rng, weights, n_local_trials)
    points = tf.convert_to_tensor(points)
    weights = tf.convert_to_tensor(weights, points.dtype)
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    probabilities = weights.numpy().astype(np.float64)
    first = rng.choice(points.shape[0], p=probabilities / probabilities.sum())
    # Drawn one centre at a time, in scikit-learn's order, so the streams agree.
    uniforms = np.empty((n_clusters - 1, n_local_trials))
    for row in uniforms:
        row[:] = rng.uniform(size=n_local_trials)
    offset = np.zeros(points.shape[1]) if offset is None else np.asarray(offset, np.float64)
    mode = execution.seeding_mode(points.shape[0], n_clusters)
    if mode == "eager":
        operands = None if cache is None else cache.get("kmeans_plusplus")
        if operands is None:
            operands = _eager_operands(points, weights, offset)
            if cache is not None:
                cache["kmeans_plusplus"] = operands
        return _kmeans_plusplus_eager(operands, int(first), uniforms)
    loop = _kmeans_plusplus_graph(points.dtype, execution.get_config().seeding_block_rows)
    indices = loop(
        points, weights, tf.constant(first, tf.int64), tf.constant(uniforms),
        tf.constant(offset),
    )
    return indices.numpy()


def random_init_indices(
    points: Any, n_clusters: int, rng: np.random.RandomState, weights: Any
) -> np.ndarray:
    """``n_clusters`` distinct rows drawn with probability proportional to the weights."""
    probabilities = np.asarray(weights, dtype=np.float64)
    if np.count_nonzero(probabilities) < n_clusters:
        raise ValueError(
            f"init='random' needs at least n_clusters={n_clusters} points of positive weight."
        )
    return rng.choice(
        len(probabilities), size=n_clusters, replace=False,
        p=probabilities / probabilities.sum(),
    ).astype(np.int64)


def kmeans_plusplus(
    points: Any,
    n_clusters: int,
    random_state: Any = None,
    sample_weight: Any = None,
    n_local_trials: int | None = None,
) -> tuple[tf.Tensor, tf.Tensor]:
    """Choose initial centres by greedy k-means++, as scikit-learn does.

    The first centre is a point drawn with probability proportional to its weight.
    Each further centre is the best of ``n_local_trials`` candidates, each drawn with
    probability proportional to its weight times its squared distance to the
    nearest centre chosen so far; the best candidate is the one that lowers the
    potential (the inertia of the centres so far) the most.

    The random numbers come from a NumPy ``RandomState`` drawn in scikit-learn's
    order, so with the same ``random_state`` and float64 data both choose the same
    centres (barring exact ties).

    Parameters
    ----------
    points : array-like of shape (n_samples, n_features)
    n_clusters : int
    random_state : int, RandomState instance or None
    sample_weight : array-like of shape (n_samples,), optional
    n_local_trials : int, optional
        Candidates per centre; ``2 + int(log(n_clusters))`` by default.

    Returns
    -------
    centers : tf.Tensor of shape (n_clusters, n_features)
    indices : tf.Tensor of int64, shape (n_clusters,)
        Row of ``points`` each centre was taken from.
    """
    points = as_float_tensor(points, "points")
    n_samples = points.shape[0]
    n_clusters = check_n_clusters(n_clusters, n_samples)
    weights = sample_weight_tensor(sample_weight, n_samples, points.dtype)
    if n_local_trials is not None and (
        isinstance(n_local_trials, bool)
        or not isinstance(n_local_trials, numbers.Integral)
        or n_local_trials < 1
    ):
        raise ValueError(f"n_local_trials must be a positive integer, got {n_local_trials!r}.")
    indices = kmeans_plusplus_indices(
        points, n_clusters, check_random_state(random_state), weights, n_local_trials
    )
    return tf.gather(points, indices), tf.constant(indices)


def random_init(
    points: Any, n_clusters: int, random_state: Any = None, sample_weight: Any = None
) -> tuple[tf.Tensor, tf.Tensor]:
    """Choose ``n_clusters`` distinct points at random (weighted) as initial centres.

    Returns
    -------
    centers : tf.Tensor of shape (n_clusters, n_features)
    indices : tf.Tensor of int64, shape (n_clusters,)
    """
    points = as_float_tensor(points, "points")
    n_clusters = check_n_clusters(n_clusters, points.shape[0])
    weights = sample_weight_tensor(sample_weight, points.shape[0], points.dtype)
    indices = random_init_indices(points, n_clusters, check_random_state(random_state), weights)
    return tf.gather(points, indices), tf.constant(indices)
