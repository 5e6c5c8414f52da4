"""The named initialisations of k-means (``init='k-means++'``, ``'random'``, ``'k-means||'``).

Each is one object with two ways to run: on data in memory (an array, a tensor or a
sparse matrix) and over a source read in passes (a memory map, a ``tf.data.Dataset``,
replicas of a strategy). The estimators look the name up in :data:`INITS` and nothing
else: their parameter tables list ``INITS``'s names, their fits call ``in_memory`` or
``in_passes``. A new initialisation is one more class here (and its tests).

Both ways start from the same rows when the rows can be indexed: a fit in passes over an
array or a memory map draws with the in-memory code, so the fits agree from the same
seed. Only a ``tf.data.Dataset`` is sampled otherwise (in one pass).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._kmeans_parallel import (
    kmeans_parallel,
    kmeans_parallel_in_memory,
    kmeans_plusplus_rows,
    random_rows,
)
from ._seeding import kmeans_plusplus_indices, random_init_indices
from ._sources import Source, in_memory_points, in_memory_weights, rows_as_array
from ._streaming import StreamedPasses

__all__ = ["INITS", "Init", "KMEANS_PLUSPLUS_NEEDS_MEMORY"]

KMEANS_PLUSPLUS_NEEDS_MEMORY = (
    "init='k-means++' needs the data in memory (or random access to it, as a memory map "
    "gives): it makes two passes over all points for every centre. For a "
    "tf.data.Dataset use init='k-means||' (about 2 * n_clusters candidates per pass, 4 "
    "passes; Bahmani et al. 2012), init='random', or k-means++ on a uniform sample: "
    "init=lambda X, k, random_state: clustering_lib.core.kmeans_plusplus("
    "clustering_lib.core.sample_rows(X, 100_000, random_state), k, random_state)[0]."
)


class Init:
    """A named initialisation: initial centres from data in memory or read in passes.

    ``single_start``: whether ``n_init='auto'`` means one run (as scikit-learn for
    k-means++) rather than the estimator's ``default_n_init``.
    """

    name: str
    single_start: bool = False

    def in_memory(self, points: Any, n_clusters: int, rng: np.random.RandomState,
                  weights: np.ndarray, offset: np.ndarray | None = None,
                  cache: dict | None = None) -> np.ndarray:
        """Centres (n_clusters, d) in the frame of checked ``points`` (dense or CSR).

        ``offset``: the data's mean, subtracted where distances are measured (None for
        sparse or unit-length rows). ``cache``: one dict for all the runs of a fit.
        """
        raise NotImplementedError

    def in_passes(self, data: StreamedPasses, source: Source, n_clusters: int,
                  rng: np.random.RandomState) -> np.ndarray:
        """Centres (n_clusters, d) in the data's frame, reading ``data`` in passes."""
        raise NotImplementedError

    def _from_memory(self, data: StreamedPasses, n_clusters: int,
                     rng: np.random.RandomState) -> np.ndarray:
        """``in_memory`` on the rows of in-memory ``data`` (an array fitted in passes, e.g.
        with a strategy), so that both fits start from the same rows."""
        offset = None if data.source.unit_rows else data.offset_array
        return self.in_memory(in_memory_points(data.source), n_clusters, rng,
                              in_memory_weights(data.source), offset)


class _PlusPlus(Init):
    """Greedy k-means++ (Arthur and Vassilvitskii 2007; scikit-learn's draws)."""

    name = "k-means++"
    single_start = True

    def in_memory(self, points, n_clusters, rng, weights, offset=None, cache=None):
        rows = kmeans_plusplus_indices(points, n_clusters, rng, weights, offset=offset,
                                       cache=cache)
        return rows_as_array(points, rows)

    def in_passes(self, data, source, n_clusters, rng):
        if source.in_memory:
            return self._from_memory(data, n_clusters, rng)
        if not source.random_access:
            raise ValueError(KMEANS_PLUSPLUS_NEEDS_MEMORY)
        # A memory map: the same algorithm, reading it block by block.
        return np.asarray(source.data[kmeans_plusplus_rows(data, n_clusters, rng)], data.dtype)


class _Random(Init):
    """``n_clusters`` distinct rows, drawn with probability proportional to the weights."""

    name = "random"

    def in_memory(self, points, n_clusters, rng, weights, offset=None, cache=None):
        return rows_as_array(points, random_init_indices(points, n_clusters, rng, weights))

    def in_passes(self, data, source, n_clusters, rng):
        if source.in_memory:
            return self._from_memory(data, n_clusters, rng)  # 'random' ignores the offset
        if source.random_access:  # a memory map: the same draw as in memory
            rows = random_init_indices(None, n_clusters, rng, in_memory_weights(data.source))
            return np.asarray(source.data[rows], data.dtype)
        return random_rows(data, n_clusters, rng).astype(data.dtype)


class _Parallel(Init):
    """k-means|| (Bahmani et al. 2012): about 2k candidates per pass, 2 rounds."""

    name = "k-means||"
    single_start = True

    def in_memory(self, points, n_clusters, rng, weights, offset=None, cache=None):
        return kmeans_parallel_in_memory(points, n_clusters, rng, weights, offset)

    def in_passes(self, data, source, n_clusters, rng):
        return kmeans_parallel(data, n_clusters, rng).centers + data.offset_array


#: Every named initialisation, by the name ``init=`` takes.
INITS: dict[str, Init] = {init.name: init for init in (_PlusPlus(), _Random(), _Parallel())}
