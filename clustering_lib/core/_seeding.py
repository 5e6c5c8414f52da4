"""Initial centres: greedy k-means++ and uniform random rows.

Both draw their random numbers from a NumPy ``RandomState`` in scikit-learn's order, so
the same ``random_state`` picks the same rows. k-means++ is written once
(:func:`greedy_plusplus`): one loop over the centres, with the data's part, the
distances of the chosen rows to every point, behind a scorer (dense data eagerly when
small, otherwise in compiled graphs that score the candidates block by block, so memory
stays O(n) for any number of points; CSR rows in :mod:`._sparse`; rows read in passes in
:mod:`._kmeans_parallel`; the columns of KMedoids' distance matrix, which also keeps its
medoids distinct). The sampling distribution is a float64 cumulative sum, so that every
row can be drawn however many there are. Random rows of data that can be indexed are drawn
by one function, :func:`random_indices`.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import tensorflow as tf

from . import _execution as execution
from . import _kernels as kernels
from . import _sparse as sparse
from ._sources import is_sparse_points
from ._validation import (
    as_float_tensor,
    check_n_clusters,
    check_random_state,
    sample_weight_tensor,
)

__all__ = [
    "PlusPlusScorer",
    "greedy_plusplus",
    "kmeans_plusplus",
    "kmeans_plusplus_indices",
    "plusplus_draws",
    "random_indices",
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


def plusplus_draws(
    rng: np.random.RandomState,
    n_samples: int,
    n_clusters: int,
    weights: Any = None,
    n_local_trials: int | None = None,
) -> tuple[int, np.ndarray]:
    """The random numbers of greedy k-means++, drawn in scikit-learn's order.

    The first row (with probability proportional to ``weights``; uniformly, as
    ``rng.choice(n_samples)``, without), then ``n_local_trials`` uniforms for each
    further centre (``2 + int(log(n_clusters))`` by default), one centre at a time, so
    the streams agree with scikit-learn's. Returns ``(first, uniforms)``, uniforms of
    shape ``(n_clusters - 1, n_local_trials)``.
    """
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    if weights is None:
        first = rng.choice(n_samples)
    else:
        probabilities = np.asarray(weights, np.float64)
        first = rng.choice(n_samples, p=probabilities / probabilities.sum())
    uniforms = np.empty((n_clusters - 1, n_local_trials))
    for row in uniforms:
        row[:] = rng.uniform(size=n_local_trials)
    return int(first), uniforms


class PlusPlusScorer(Protocol):
    """The data's part of greedy k-means++ (:func:`greedy_plusplus`): squared distances
    of chosen rows to every point, in float64, by whatever blocks the data is read in.

    ``weights64`` (n,) float64. ``start(first)`` returns every point's squared distance
    to row ``first`` and their weighted sum (the potential). ``score(candidates,
    closest)`` returns the potential each candidate row would leave (``sum_i w_i
    min(closest_i, d(x_i, candidate)^2)``) and a function giving, for the position of
    the chosen candidate, the new distances to the nearest centre.
    """

    weights64: np.ndarray

    def start(self, first: int) -> tuple[np.ndarray, float]: ...

    def score(
        self, candidates: np.ndarray, closest: np.ndarray
    ) -> tuple[np.ndarray, Callable[[int], np.ndarray]]: ...


def greedy_plusplus(scorer: PlusPlusScorer, first: int, uniforms: np.ndarray,
                    distinct: bool = False) -> np.ndarray:
    """Greedy k-means++ from pre-drawn random numbers (:func:`plusplus_draws`), on any data.

    Each further centre is the best of the candidates drawn with probability
    proportional to ``w d^2`` (a float64 cumulative sum, so that every row can be
    drawn), the one that leaves the smallest potential. The distances come from
    ``scorer`` (dense in memory, CSR, rows read block by block, or a k-medoids
    distance matrix, whose "squared distances" are the distances themselves); the loop
    over the centres is this one. ``distinct`` (k-medoids, whose medoids are distinct
    points): a candidate already chosen, possible only when every point sits on a
    chosen one or through rounding, is replaced by the farthest point not chosen.
    Returns the chosen rows (int64).
    """
    weights64 = scorer.weights64
    closest, potential = scorer.start(first)
    last = len(weights64) - 1
    indices = [first]
    chosen = np.zeros(len(weights64) if distinct else 0, bool)
    if distinct:
        chosen[first] = True
    for draws in uniforms:
        cumulative = np.cumsum(closest * weights64)
        candidates = np.minimum(np.searchsorted(cumulative, draws * potential, side="left"),
                                last)
        del cumulative
        if distinct and chosen[candidates].any():
            farthest = int(np.argmax(np.where(chosen, -1.0, closest)))
            candidates = np.where(chosen[candidates], farthest, candidates)
        potentials, closest_of = scorer.score(candidates, closest)
        best = int(np.argmin(potentials))
        closest, potential = closest_of(best), potentials[best]
        indices.append(int(candidates[best]))
        if distinct:
            chosen[indices[-1]] = True
    return np.asarray(indices, np.int64)


class _EagerScorer:
    """Small dense data, no tracing: the distances of the candidates to every point are
    one TensorFlow matrix product per centre (float64, the centred points augmented once
    with their squared norms), the rest NumPy work on vectors of length n."""

    def __init__(self, points, weights, offset) -> None:
        self.points64 = np.asarray(points, np.float64) - offset
        self.norms = np.einsum("ij,ij->i", self.points64, self.points64)
        # [x, ||x||^2, 1] . [-2 c, 1, ||c||^2] = ||x - c||^2
        self.augmented = tf.constant(
            np.column_stack([self.points64, self.norms, np.ones(len(self.norms))])
        )
        self.weights64 = np.asarray(weights, np.float64)

    def _distances_to(self, rows):
        chosen = self.points64[rows]
        factors = np.column_stack([-2.0 * chosen, np.ones(len(rows)), self.norms[rows]])
        distances = tf.matmul(tf.constant(factors), self.augmented, transpose_b=True).numpy()
        return np.maximum(distances, 0.0)

    def start(self, first):
        closest = self._distances_to([first])[0]
        return closest, closest @ self.weights64

    def score(self, candidates, closest):
        distances = np.minimum(self._distances_to(candidates), closest)
        return distances @ self.weights64, distances.__getitem__


def _start_graph(points, weights, first_index, offset):
    execution.count_trace("kmeans_plusplus")
    closest = _distances64(tf.gather(points, first_index[None]), points, offset)[0]
    return closest, tf.reduce_sum(closest * tf.cast(weights, tf.float64))


def _closest_graph(points, closest, row, offset):
    execution.count_trace("kmeans_plusplus")
    return tf.minimum(closest, _distances64(tf.gather(points, row[None]), points, offset)[0])


@execution.kernel_cache
def _plusplus_graphs(dtype: tf.DType, block_rows: int):
    """The compiled pieces of the dense scorer, for any number of points and centres
    (candidates scored against blocks of ``block_rows`` points)."""
    points, weights = tf.TensorSpec([None, None], dtype), tf.TensorSpec([None], dtype)
    closest, offset = tf.TensorSpec([None], tf.float64), tf.TensorSpec([None], tf.float64)
    row = tf.TensorSpec([], tf.int64)

    def potentials(points, weights, closest, candidates, offset):
        execution.count_trace("kmeans_plusplus")
        return _candidate_potentials(points, weights, closest, tf.gather(points, candidates),
                                     offset, block_rows)

    return tuple(execution.flat_call(graph) for graph in (
        tf.function(_start_graph, input_signature=[points, weights, row, offset],
                    autograph=False),
        tf.function(potentials, input_signature=[
            points, weights, closest, tf.TensorSpec([None], tf.int64), offset],
                    autograph=False),
        tf.function(_closest_graph, input_signature=[points, closest, row, offset],
                    autograph=False),
    ))


class _GraphScorer:
    """Dense data of any size: the candidates are scored block by block in compiled
    graphs, so memory stays O(n) however many points."""

    def __init__(self, points, weights, offset) -> None:
        self.points, self.weights = points, weights
        self.weights64 = weights.numpy().astype(np.float64)
        self.offset = tf.constant(offset)
        self._start, self._potentials, self._closest = _plusplus_graphs(
            points.dtype, execution.get_config().seeding_block_rows
        )

    def start(self, first):
        closest, potential = self._start(self.points, self.weights,
                                         tf.constant(first, tf.int64), self.offset)
        return closest.numpy(), potential.numpy()

    def score(self, candidates, closest):
        closest = tf.constant(closest)
        potentials = self._potentials(self.points, self.weights, closest,
                                      tf.constant(candidates, tf.int64), self.offset).numpy()

        def closest_of(best):
            row = tf.constant(candidates[best], tf.int64)
            return self._closest(self.points, closest, row, self.offset).numpy()

        return potentials, closest_of


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

    ``points`` is a float tensor or array (n, d) or a sparse matrix, ``weights``
    non-negative with a positive entry; ``rng`` a ``RandomState``; ``offset`` (d,),
    optional, is subtracted before the distances are computed (the data's mean:
    scikit-learn seeds on centred data, and near-ties then resolve the same way).
    Returns int64 row indices. On dense data larger than one block the points are
    converted to one tensor for the duration of the seeding (one temporary copy).
    ``cache``: a dict that lives as long as one fit and its data (``KMeans.fit`` passes
    one for its ``n_init`` initialisations), where the prepared operands of small data
    are kept between calls.
    """
    if is_sparse_points(points):
        scorer = sparse.PlusPlusRows(points, weights)
    else:
        points = tf.convert_to_tensor(points)
        weights = tf.convert_to_tensor(weights, points.dtype)
        offset = np.zeros(points.shape[1]) if offset is None else np.asarray(offset, np.float64)
        if execution.seeding_mode(points.shape[0], n_clusters) == "eager":
            scorer = None if cache is None else cache.get("kmeans_plusplus")
            if scorer is None:
                scorer = _EagerScorer(points, weights, offset)
                if cache is not None:
                    cache["kmeans_plusplus"] = scorer
        else:
            scorer = _GraphScorer(points, weights, offset)
    first, uniforms = plusplus_draws(rng, len(scorer.weights64), n_clusters,
                                     scorer.weights64, n_local_trials)
    return greedy_plusplus(scorer, first, uniforms)


def random_indices(n_rows: int, size: int, rng: np.random.RandomState,
                   weights: Any = None) -> np.ndarray:
    """``size`` distinct indices of ``n_rows`` rows, drawn with probability proportional
    to ``weights`` (uniformly without): NumPy's ``rng.choice``, as scikit-learn draws.

    Every draw of random rows from data that can be indexed goes through here (data
    read only in passes is sampled in one pass instead, :func:`~._kmeans_parallel.sample_rows`).
    Without weights NumPy draws differently from equal weights, as scikit-learn's callers
    expect: ``weights=None`` and ``weights=ones`` pick other rows for the same seed.
    """
    p = None
    if weights is not None:
        p = np.asarray(weights, dtype=np.float64)
        p = p / p.sum()
    return rng.choice(n_rows, size=size, replace=False, p=p).astype(np.int64)


def random_init_indices(
    points: Any, n_clusters: int, rng: np.random.RandomState, weights: Any
) -> np.ndarray:
    """``n_clusters`` distinct rows drawn with probability proportional to the weights."""
    if np.count_nonzero(weights) < n_clusters:
        raise ValueError(
            f"init='random' needs at least n_clusters={n_clusters} points of positive weight."
        )
    return random_indices(len(weights), n_clusters, rng, weights)


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
