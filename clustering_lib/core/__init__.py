"""The k-means core: pure TensorFlow, tensors in and tensors out, no scikit-learn estimators.

Where things are:

* :mod:`.validation`: arrays and tensors in, clear ``ValueError``/``TypeError`` out.
* :mod:`.kernels`: the arithmetic on one block of points (nearest centre, float64
  per-cluster sums, means, relocation of empty clusters).
* :mod:`.execution`: the execution settings, in one place: block sizes, threads, the
  choice between eager execution, one traced graph and XLA kernels of fixed block shape
  (by the size of the problem; nothing recompiles per number of points, and XLA once
  per bucket of k), changed for a block of code by :func:`config_context`.
* :mod:`.sources`: every kind of input (array, sparse matrix, memory map,
  ``tf.data.Dataset``, with or without a ``tf.distribute`` strategy) becomes a source in
  one factory, :func:`~.sources.as_source`; the only place that tells the kinds apart.
* :mod:`.passes`: passes over the data block by block (memory O(block x k)).
* :mod:`.lloyd`: Lloyd's algorithm, one pass per iteration, scikit-learn's stopping
  rule and empty-cluster relocation.
* :mod:`.seeding`: k-means++ and random initial centres.
* :mod:`.assignment`: the public E- and M-step functions.

The functions exported here come in two kinds: those taking any array-like
(:func:`assign`, :func:`lloyd`, :func:`kmeans_plusplus`, ...) check their input and
say what is wrong; those the estimators call (:func:`run_lloyd`,
:func:`nearest_centers`, :func:`center_distances`, :func:`kmeans_plusplus_indices`,
...) take checked input and only compute.
"""

from ._assignment import (
    assign,
    center_distances,
    cluster_sums,
    nearest_centers,
    pairwise_squared_distances,
    update_centroids,
)
from ._execution import compile_counts, config_context, get_config
from ._kernels import cluster_means, unit_rows
from ._kmeans_parallel import sample_rows
from ._lloyd import IterationInfo, LloydResult, lloyd, run_lloyd
from ._seeding import kmeans_plusplus, kmeans_plusplus_indices, random_init, random_init_indices
from ._validation import (
    as_float_tensor,
    check_n_clusters,
    check_random_state,
    check_same_features,
    sample_weight_tensor,
    unit_length_rows,
)

__all__ = [
    "IterationInfo",
    "LloydResult",
    "as_float_tensor",
    "assign",
    "center_distances",
    "check_n_clusters",
    "check_random_state",
    "check_same_features",
    "cluster_means",
    "cluster_sums",
    "compile_counts",
    "config_context",
    "get_config",
    "kmeans_plusplus",
    "kmeans_plusplus_indices",
    "lloyd",
    "nearest_centers",
    "pairwise_squared_distances",
    "random_init",
    "random_init_indices",
    "run_lloyd",
    "sample_rows",
    "sample_weight_tensor",
    "unit_length_rows",
    "unit_rows",
    "update_centroids",
]
