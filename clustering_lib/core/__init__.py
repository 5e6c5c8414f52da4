"""The k-means engine: pure TensorFlow, tensors in and tensors out, no scikit-learn estimators.

Its modules are private; a reader finds them by name:

* ``_validation``: arrays and tensors in, clear ``ValueError``/``TypeError`` out.
* ``_kernels``: the arithmetic on one block of points (nearest centre, float64
  per-cluster sums, means).
* ``_execution``: the execution settings, in one place: block sizes, threads, the choice
  between eager execution, one traced graph and XLA kernels of fixed block shape (by the
  size of the problem; nothing recompiles per number of points, and XLA once per bucket of
  k), changed for a block of code by :func:`config_context`.
* ``_sources``: every kind of input (array, sparse matrix, memory map,
  ``tf.data.Dataset``, with or without a ``tf.distribute`` strategy) becomes a source in
  one factory, ``as_source``; the only place that tells the kinds apart.
* ``_passes``: passes over the data block by block (memory O(block x k)); ``_sparse``,
  ``_streaming`` and ``_distributed`` the same for CSR input, rows read in passes and the
  replicas of a strategy.
* ``_lloyd``: Lloyd's algorithm over any source, one pass per iteration, scikit-learn's
  stopping rule and empty-cluster relocation.
* ``_seeding`` (k-means++ and random rows) and ``_kmeans_parallel`` (k-means||, rows
  drawn in one pass); ``_inits`` names them for the estimators, ``_metrics`` names the
  distances.
* ``_minibatch``: the mini-batch update; ``_progress``: progress bars, checkpoints,
  scikit-learn's verbose lines.
* ``_assignment``: the public E- and M-step functions.

The functions exported here come in two kinds: those taking any array-like
(:func:`assign`, :func:`update_centroids`, :func:`lloyd`, :func:`kmeans_plusplus`, ...)
check their input and say what is wrong; those the estimators call (:func:`run_lloyd`,
:func:`nearest_centers`, :func:`center_distances`, :func:`kmeans_plusplus_indices`, ...)
take checked input and only compute. :func:`compile_counts` counts the engine's traces
(to see that a sweep over n does not recompile).
"""

from ._assignment import (
    assign,
    center_distances,
    cluster_sums,
    labels_and_inertia,
    nearest_centers,
    pairwise_squared_distances,
    update_centroids,
)
from ._execution import compile_counts, config_context, get_config
from ._kmeans_parallel import sample_rows
from ._lloyd import IterationInfo, LloydResult, lloyd, run_lloyd
from ._seeding import kmeans_plusplus, kmeans_plusplus_indices, random_init, random_init_indices

__all__ = [
    "IterationInfo",
    "LloydResult",
    "assign",
    "center_distances",
    "cluster_sums",
    "compile_counts",
    "config_context",
    "get_config",
    "kmeans_plusplus",
    "kmeans_plusplus_indices",
    "labels_and_inertia",
    "lloyd",
    "nearest_centers",
    "pairwise_squared_distances",
    "random_init",
    "random_init_indices",
    "run_lloyd",
    "sample_rows",
    "update_centroids",
]
