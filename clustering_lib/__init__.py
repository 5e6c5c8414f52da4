"""clustering_lib: the small TensorFlow library shared by this repository's notebooks.

Layers
------
- ``core``: pure TensorFlow functions (assignment, centroid update, k-means++,
  the compiled Lloyd loop), tensors in and tensors out; its ``execution`` module holds
  every execution setting (blocks, threads, eager/graph/XLA), changed for a block of
  code by :func:`config_context`.
- ``base``: what the k-means estimators share (one table of parameter constraints).
- ``kmeans``: :class:`KMeans`, a scikit-learn-compatible estimator on top of core; it
  also fits memory maps and ``tf.data`` datasets, and on the replicas of a
  ``tf.distribute`` strategy (``core.sources`` decides which input is read how).
- ``minibatch``: :class:`MiniBatchKMeans`, streaming k-means (``partial_fit``, tf.data).
- ``kmedoids``: :class:`KMedoids`, k-medoids on features or on a distance matrix.
- ``losses``: differentiable clustering losses for neural embeddings (k-means, DEC).
- ``deep``: the blog post's CNN trained with the k-means loss, autoencoders, DCN, DEC
  and IDEC, as ``keras.Model`` subclasses trained by ``fit``.
- ``metrics``: purity, Hungarian cluster accuracy, cluster-to-label mapping.
- ``datasets``: MNIST (offline-friendly), digits and scikit-learn's sample images.
- ``nmf``: :class:`NMF`, non-negative matrix factorisation by coordinate descent.
- ``quantize``: colour quantisation of images with k-means.


What exists only for the notebooks (plotting, exercises, streams of data, timing, memory,
the set-up call) is in the separate package ``clustering_course``.
"""

import tensorflow  # noqa: F401  (the engine; imported first so its start-up runs once)

from .base import InvalidParameterError
from .core import (
    LloydResult,
    assign,
    config_context,
    get_config,
    kmeans_plusplus,
    lloyd,
    pairwise_squared_distances,
    random_init,
    update_centroids,
)
from .datasets import (
    load_digits,
    load_mnist,
    load_sample_image,
    make_blobs_memmap,
    make_topic_documents,
)
from .deep import (
    DCNResult,
    DECResult,
    KMeansEmbeddingResult,
    cnn_autoencoder,
    dense_autoencoder,
    embed,
    small_cnn,
    train_dcn,
    train_dec,
    train_kmeans_embedding,
)
from .kmeans import DegenerateCentersWarning, InconsistentDistancesWarning, KMeans
from .kmedoids import KMedoids, medoid_cost
from .losses import (
    SoftAssignment,
    batch_kmeans,
    cluster_means,
    combine_kmeans_terms,
    kl_divergence,
    kmeans_loss,
    kmeans_loss_terms,
    student_t_assignments,
    target_distribution,
)
from .metrics import (
    cluster_accuracy,
    contingency_matrix,
    evaluate_clustering,
    match_labels,
    purity,
    relabel,
)
from .minibatch import MiniBatchKMeans
from .nmf import NMF
from .quantize import (
    apply_palette,
    compressed_bits_per_pixel,
    image_mse,
    image_psnr,
    quantize_colors,
    random_palette,
    uniform_palette,
)

__version__ = "0.1.0"

__all__ = [
    "DCNResult",
    "DECResult",
    "DegenerateCentersWarning",
    "InconsistentDistancesWarning",
    "InvalidParameterError",
    "KMeans",
    "KMeansEmbeddingResult",
    "KMedoids",
    "LloydResult",
    "MiniBatchKMeans",
    "NMF",
    "SoftAssignment",
    "apply_palette",
    "assign",
    "batch_kmeans",
    "cluster_means",
    "cnn_autoencoder",
    "combine_kmeans_terms",
    "cluster_accuracy",
    "compressed_bits_per_pixel",
    "config_context",
    "contingency_matrix",
    "dense_autoencoder",
    "embed",
    "evaluate_clustering",
    "get_config",
    "image_mse",
    "image_psnr",
    "kl_divergence",
    "kmeans_loss",
    "kmeans_loss_terms",
    "kmeans_plusplus",
    "lloyd",
    "load_digits",
    "load_mnist",
    "load_sample_image",
    "make_blobs_memmap",
    "make_topic_documents",
    "match_labels",
    "medoid_cost",
    "pairwise_squared_distances",
    "purity",
    "quantize_colors",
    "random_init",
    "random_palette",
    "relabel",
    "small_cnn",
    "student_t_assignments",
    "target_distribution",
    "train_dcn",
    "train_dec",
    "train_kmeans_embedding",
    "uniform_palette",
    "update_centroids",
]
