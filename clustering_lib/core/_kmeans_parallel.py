"""Initial centres without the data in memory: k-means||, uniform samples, random rows.

k-means++ picks one centre per pass over the data (each new centre is drawn with
probability proportional to the squared distance to the centres so far), so it needs
``n_clusters`` passes, or the data in memory. k-means|| (Bahmani, Moseley, Vattani,
Kumar and Vassilvitskii, "Scalable K-Means++", VLDB 2012,
https://arxiv.org/abs/1203.6402) draws many candidates per pass instead:

1. one first candidate, drawn with probability proportional to its weight;
2. ``n_rounds`` rounds (2 by default, as Spark MLlib's ``initSteps``): with ``psi`` the
   (weighted) cost of the current candidates, every point joins the candidates
   independently with probability ``min(1, l * w * d^2 / psi)``, ``l`` about
   ``2 * n_clusters`` (the oversampling factor);
3. every candidate is weighted by the total weight of the points nearest to it, and
   the weighted candidates (a few times ``n_clusters`` of them, in memory) are
   clustered into ``n_clusters`` centres by weighted k-means++ and Lloyd's algorithm.

Passes: one for the first candidate, one per round (the cost ``psi`` of round r and
the draws of round r come from the same pass, see below), one for the weights:
``n_rounds + 2`` in all, whatever ``n_clusters``.

Reproducible draws. Every random number is a function of ``(seed, round, global row
index)`` (a stateless counter-based generator, :func:`stateless_uniform`), never of
the order in which blocks, batches or replicas see the rows, so the candidates are the
same for any batch size and any number of devices. Point i is drawn in a round iff
``u_i < l w_i d_i^2 / psi``, that is iff its key ``w_i d_i^2 / u_i`` exceeds
``psi / l``; a pass keeps the largest keys (at most :func:`round_capacity` of them, far
more than the expected ``l``) and, once ``psi`` is known at the end of the pass,
selects those above the threshold. The first candidate is the row of smallest key
``-log(u_i) / w_i`` (a weighted draw; the smallest ``m`` keys are a weighted sample of
``m`` distinct rows without replacement, Efraimidis and Spirakis 2006), which
:func:`sample_rows` and the streamed ``init='random'`` use too.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from . import _execution as execution
from . import _seeding as seeding
from ._lloyd import run_lloyd
from ._sources import as_source
from ._streaming import ArrayRows, DataSummary, StreamedPasses
from ._validation import check_random_state, unit_length_rows

__all__ = [
    "ParallelInit",
    "kmeans_parallel",
    "kmeans_parallel_in_memory",
    "kmeans_plusplus_rows",
    "random_rows",
    "round_capacity",
    "sample_rows",
    "stateless_uniform",
]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser (Steele, Lea and Flood 2014) on uint64 arrays."""
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def stateless_uniform(seed: int, stream: int, index: np.ndarray) -> np.ndarray:
    """Uniform numbers in (0, 1], one per global row ``index``, keyed on ``(seed, stream)``.

    The value for a row depends on the seed, the stream (the round) and the row's
    index only: splitmix64's sequence for a key derived from ``(seed, stream)``,
    evaluated at position ``index``.
    """
    index = np.asarray(index, np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        key = _mix(np.array([seed], np.uint64) * _GOLDEN + _mix(np.array([stream + 1], np.uint64)))
        bits = _mix(key + (index + np.uint64(1)) * _GOLDEN)
    return ((bits >> np.uint64(11)).astype(np.float64) + 1.0) * 2.0**-53


def round_capacity(oversampling: float) -> int:
    """Most candidates one round keeps: ``l + 8 sqrt(l) + 16``.

    The number drawn in a round has mean at most ``l`` and standard deviation below
    ``sqrt(l)``; more than this many is an 8-sigma event. Should it happen, the
    round keeps the candidates of largest key.
    """
    return int(math.ceil(oversampling + 8.0 * math.sqrt(oversampling) + 16))


class _Keys:
    """The rows of largest (or smallest) key seen so far, ties to the lower index."""

    def __init__(self, capacity: int, n_features: int, largest: bool) -> None:
        self.capacity = capacity
        self.largest = largest
        self.keys = np.empty(0)
        self.indices = np.empty(0, np.int64)
        self.rows = np.empty((0, n_features))

    def add(self, keys: np.ndarray, indices: np.ndarray, rows: np.ndarray) -> None:
        if len(keys) > self.capacity:
            top = np.lexsort((indices, -keys if self.largest else keys))[: self.capacity]
            keys, indices, rows = keys[top], indices[top], rows[top]
        keys = np.concatenate([self.keys, keys])
        indices = np.concatenate([self.indices, indices])
        rows = np.concatenate([self.rows, np.asarray(rows, np.float64)])
        order = np.lexsort((indices, -keys if self.largest else keys))[: self.capacity]
        self.keys, self.indices, self.rows = keys[order], indices[order], rows[order]

    def packed(self) -> np.ndarray:
        """``capacity`` rows of [key, index, row...]; NaN keys pad."""
        packed = np.full((self.capacity, 2 + self.rows.shape[1]), np.nan)
        packed[: len(self.keys), 0] = self.keys
        packed[: len(self.keys), 1] = self.indices
        packed[: len(self.keys), 2:] = self.rows
        return packed

    def add_packed(self, packed: np.ndarray) -> None:
        packed = packed[~np.isnan(packed[:, 0])]
        self.add(packed[:, 0], packed[:, 1].astype(np.int64), packed[:, 2:])


def _exponential_keys(seed: int, stream: int, start: int, weights: np.ndarray | None,
                      n_rows: int) -> np.ndarray:
    """``-log(u) / w`` of rows ``start .. start + n_rows`` (infinite for zero weight)."""
    u = stateless_uniform(seed, stream, np.arange(start, start + n_rows))
    keys = -np.log(u)
    if weights is not None:
        weights = np.asarray(weights, np.float64)
        with np.errstate(divide="ignore"):
            keys = np.where(weights > 0, keys / np.where(weights > 0, weights, 1.0), np.inf)
    return keys


def _smallest_keys(blocks, size: int, seed: int, stream: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``size`` rows of smallest exponential key among ``blocks`` (one pass): a
    weighted sample of distinct rows without replacement. Returns their indices and
    rows (float64), in increasing order of key."""
    best = None
    for start, rows, weights in blocks:
        if best is None:
            best = _Keys(size, rows.shape[1], largest=False)
        keys = _exponential_keys(seed, stream, start, weights, len(rows))
        finite = np.isfinite(keys)
        best.add(keys[finite], np.arange(start, start + len(rows))[finite], rows[finite])
    return best.indices, best.rows


def _seed_of(rng: np.random.RandomState) -> int:
    """A 62-bit seed for the stateless draws, from ``rng`` (which it advances)."""
    return int(rng.randint(0, 2**62, dtype=np.int64))


def sample_rows(X: Any, size: int, random_state: Any = None,
                sample_weight: Any = None) -> np.ndarray:
    """``size`` distinct rows of ``X`` drawn in one pass, with probability proportional
    to their weight (uniformly without weights), in a random order.

    ``X`` is an array, a memory map, a ``tf.data.Dataset`` of row batches or a
    :class:`~._streaming.StreamedPasses`; the draw depends on ``random_state`` and the
    rows' positions only, not on the batch size. Returns ``min(size, n_samples)``
    rows, in the data's dtype (not centred).
    """
    if isinstance(X, StreamedPasses):
        blocks, dtype = X.host_blocks("sampling rows"), X.dtype
    else:
        rows = as_source(X, sample_weight).rows()
        blocks, dtype = rows.blocks(execution.host_block_rows(rows.n_features)), rows.dtype
    seed = _seed_of(check_random_state(random_state))
    _, rows = _smallest_keys(blocks, int(size), seed, stream=0)
    return rows.astype(dtype)


def random_rows(X: Any, n_clusters: int, random_state: Any = None,
                sample_weight: Any = None) -> np.ndarray:
    """``init='random'`` for data read only in passes (a ``tf.data.Dataset``):
    ``n_clusters`` distinct rows, one pass (see :func:`sample_rows`)."""
    rows = sample_rows(X, n_clusters, random_state, sample_weight)
    if len(rows) < n_clusters:
        raise ValueError(
            f"init='random' needs at least n_clusters={n_clusters} points of positive weight."
        )
    return rows


class ParallelInit(NamedTuple):
    """What :func:`kmeans_parallel` returns (centres and candidates in the working frame)."""

    centers: np.ndarray  # (n_clusters, d), the data's dtype
    candidates: np.ndarray  # (m, d) float64
    candidate_indices: np.ndarray  # (m,) global row index of each candidate
    candidate_weights: np.ndarray  # (m,) float64
    costs: list[float]  # psi of the candidates before each round
    n_passes: int


def kmeans_parallel(
    data: StreamedPasses,
    n_clusters: int,
    random_state: Any = None,
    oversampling: float | None = None,
    n_rounds: int = 2,
    max_iter: int = 30,
) -> ParallelInit:
    """k-means|| initial centres over any :class:`~._streaming.StreamedPasses`.

    Parameters
    ----------
    data : StreamedPasses
        The data (any source, one device or every replica of a strategy).
    n_clusters : int
    random_state : int, RandomState or None
        Draws the seed of the stateless draws, then the random numbers of the
        final weighted k-means++.
    oversampling : float, optional
        Expected candidates per round, ``l``; default ``2 * n_clusters``.
    n_rounds : int, default=2
        Rounds of oversampling (Spark MLlib's ``initSteps``).
    max_iter : int, default=30
        Lloyd iterations on the weighted candidates (Spark's local k-means uses 30).

    Returns
    -------
    ParallelInit
    """
    rng = check_random_state(random_state)
    seed = _seed_of(rng)
    ell = float(oversampling) if oversampling is not None else 2.0 * n_clusters
    capacity = round_capacity(ell)
    n_features = data.n_features
    offset = data.offset_array.astype(np.float64)
    passes_before = data.n_passes

    # Pass 1: the first candidate, and a weighted sample of n_clusters rows to fall
    # back on when the rounds find fewer candidates than n_clusters (few distinct points).
    pool_indices, pool_rows = _smallest_keys(
        data.host_blocks("k-means|| first candidate"), n_clusters, seed, stream=0
    )
    candidates = pool_rows[:1] - offset
    indices = pool_indices[:1]
    costs = []
    # All rounds use one compiled kernel: the block shape for the most candidates.
    plan = data.plan_for(1 + n_rounds * capacity)

    for round_ in range(1, n_rounds + 1):
        top = {r: _Keys(capacity, n_features, largest=True) for r in data.runner.local_replicas}
        cost = {r: 0.0 for r in data.runner.local_replicas}

        def visit(group, group_labels, group_distances, round_=round_, top=top, cost=cost):
            for chunk, distances in zip(group.chunks, group_distances, strict=True):
                n = chunk.n_valid
                weighted = distances.astype(np.float64) * chunk.weights[:n]
                cost[chunk.replica] += float(weighted.sum())
                u = stateless_uniform(seed, round_, np.arange(chunk.start, chunk.start + n))
                keys = weighted / u
                positive = keys > 0
                top[chunk.replica].add(
                    keys[positive], np.arange(chunk.start, chunk.start + n)[positive],
                    chunk.rows[:n][positive],
                )

        data.label_pass(candidates.astype(data.dtype), visit, f"k-means|| round {round_}",
                        plan)
        local = data.runner.local_replicas
        psi = float(data.runner.sum_host([np.float64(cost[r]) for r in local]))
        costs.append(psi)
        merged = _Keys(capacity, n_features, largest=True)
        for packed in data.runner.gather([top[r].packed() for r in local]):
            merged.add_packed(packed)
        if psi <= 0.0:
            break
        chosen = merged.keys > psi / ell
        candidates = np.concatenate([candidates, merged.rows[chosen] - offset])
        indices = np.concatenate([indices, merged.indices[chosen]])

    # Last pass: the weight of the points nearest to each candidate.
    totals = {r: np.zeros(len(candidates)) for r in data.runner.local_replicas}

    def weigh(group, group_labels, group_distances):
        for chunk, labels in zip(group.chunks, group_labels, strict=True):
            totals[chunk.replica] += np.bincount(
                labels, weights=chunk.weights[: chunk.n_valid].astype(np.float64),
                minlength=len(candidates),
            )

    data.label_pass(candidates.astype(data.dtype), weigh, "k-means|| weights", plan)
    weights = data.runner.sum_host([totals[r] for r in data.runner.local_replicas])
    centers = _recluster(candidates, weights, indices, pool_indices, pool_rows - offset,
                         n_clusters, rng, max_iter)
    return ParallelInit(centers.astype(data.dtype), candidates, indices, weights, costs,
                        data.n_passes - passes_before)


def kmeans_parallel_in_memory(X: Any, n_clusters: int, rng: np.random.RandomState,
                              weights: Any, offset: np.ndarray | None) -> np.ndarray:
    """``init='k-means||'`` for an in-memory fit: the same draws over the array's rows.

    ``offset`` is the fit's centring (the data's mean; None for sparse or spherical
    data); returns the centres in the frame of ``X``. A sparse matrix is read in dense
    blocks.
    """
    weights = np.asarray(weights)
    source = ArrayRows(X, weights)
    offset = np.zeros(X.shape[1]) if offset is None else offset
    summary = DataSummary(X.shape[0], X.shape[1], source.dtype,
                          np.asarray(offset, np.float64), np.zeros(X.shape[1]),
                          float(weights.sum()))
    data = StreamedPasses(source, summary, n_clusters, offset)
    return kmeans_parallel(data, n_clusters, rng).centers + data.offset_array


def _recluster(candidates, weights, indices, pool_indices, pool_rows, n_clusters, rng,
               max_iter) -> np.ndarray:
    """``n_clusters`` centres from the weighted candidates (float64, working frame)."""
    if len(candidates) <= n_clusters:
        # Few distinct points: every candidate, then rows of the sample not yet taken.
        extra = ~np.isin(pool_indices, indices)
        centers = np.concatenate([candidates, pool_rows[extra]])[:n_clusters]
        if len(centers) < n_clusters:
            raise ValueError(
                f"n_clusters={n_clusters} is larger than the number of points of positive "
                f"weight ({len(centers)})."
            )
        return centers
    chosen = seeding.kmeans_plusplus_indices(candidates, n_clusters, rng, weights)
    result = run_lloyd(candidates, weights, candidates[chosen], max_iter=max_iter, tol=0.0)
    return result.centers.numpy()


class _PassScorer:
    """Rows read block by block as k-means++'s scorer (:class:`~._seeding.PlusPlusScorer`):
    one pass scores the candidates, one updates every point's distance to its nearest
    centre. Holds two float64 values a row (the distances and their running sum), as
    scikit-learn's k-means++ does; the data itself is only read, the candidates by index."""

    def __init__(self, data: StreamedPasses) -> None:
        self.data, self.points = data, data.source.points
        n_samples = data.n_samples
        self.weights64 = (np.ones(n_samples) if data.source.weights is None
                          else np.asarray(data.source.weights, np.float64))
        self.offset = data.offset_array.astype(np.float64)
        self.n_chosen = 0

    def _centered(self, rows: np.ndarray) -> np.ndarray:
        """In float64 first, then centred, as the in-memory seeding measures."""
        return np.asarray(rows, np.float64) - self.offset

    def _rows(self, indices) -> np.ndarray:
        """Chosen rows as the passes read them (unit length for metric='cosine'), centred."""
        rows = self.points[indices]
        if self.data.source.unit_rows:
            rows = unit_length_rows(rows)
        return self._centered(rows)

    def _distances_to(self, centers: np.ndarray, label: str):
        """One pass: ``(start, squared distances of the block's rows to centers)``."""
        center_norms = np.einsum("ij,ij->i", centers, centers)
        for start, rows, _ in self.data.host_blocks(label):
            rows = self._centered(rows)
            norms = np.einsum("ij,ij->i", rows, rows)[:, None]
            # einsum, not a BLAS product: a few centres are too few for BLAS's threads,
            # which cost more waiting for each other than they save on a busy machine.
            cross = np.einsum("ij,kj->ik", rows, centers)
            yield start, np.maximum(norms - 2.0 * cross + center_norms, 0.0)

    def start(self, first: int) -> tuple[np.ndarray, float]:
        closest = np.empty(len(self.weights64))
        for start, distances in self._distances_to(self._rows([first]),
                                                   "k-means++ centre 0"):
            closest[start:start + len(distances)] = distances[:, 0]
        self.n_chosen = 1
        return closest, float(closest @ self.weights64)

    def score(self, candidates: np.ndarray, closest: np.ndarray):
        candidate_rows = self._rows(candidates)
        potentials = np.zeros(len(candidates))
        label = f"k-means++ centre {self.n_chosen}"
        for start, distances in self._distances_to(candidate_rows, f"{label}, candidates"):
            block = slice(start, start + len(distances))
            potentials += self.weights64[block] @ np.minimum(distances, closest[block, None])

        def closest_of(best: int) -> np.ndarray:
            for start, distances in self._distances_to(candidate_rows[[best]],
                                                       f"{label}, distances"):
                block = closest[start:start + len(distances)]
                np.minimum(block, distances[:, 0], out=block)
            self.n_chosen += 1
            return closest

        return potentials, closest_of


def kmeans_plusplus_rows(data: StreamedPasses, n_clusters: int,
                         random_state: Any = None) -> np.ndarray:
    """Greedy k-means++ over rows read block by block, with random access to the chosen
    rows (an array or a memory map): the in-memory engine's algorithm and random
    numbers (:func:`~._seeding.greedy_plusplus`), two passes per centre. Returns the
    chosen row indices (int64).
    """
    scorer = _PassScorer(data)
    first, uniforms = seeding.plusplus_draws(check_random_state(random_state), data.n_samples,
                                             n_clusters, scorer.weights64)
    return seeding.greedy_plusplus(scorer, first, uniforms)
