"""clustering_lib: the small TensorFlow library shared by this repository's notebooks.

Layers
------
- ``core``: pure TensorFlow functions (assignment, centroid update, k-means++,
  the compiled Lloyd loop), tensors in and tensors out.
- ``base``: what the k-means estimators share (one table of parameter constraints).
- ``kmeans``: :class:`KMeans`, a scikit-learn-compatible estimator on top of core.
- ``minibatch``: :class:`MiniBatchKMeans`, streaming k-means (``partial_fit``, tf.data).
- ``streamed``: fits on memory maps and ``tf.data`` datasets, and on the replicas of a
  ``tf.distribute`` strategy (engine in ``core.streaming``, ``core.distributed``,
  ``core.kmeans_parallel``); ``memory``: peak-memory measurement.
- ``kmedoids``: :class:`KMedoids`, k-medoids on features or on a distance matrix.
- ``losses``: differentiable clustering losses for neural embeddings (k-means, DEC).
- ``deep``: the blog post's CNN trained with the k-means loss, autoencoders, DCN, DEC
  and IDEC.
- ``metrics``: purity, Hungarian cluster accuracy, cluster-to-label mapping.
- ``datasets``: MNIST (offline-friendly), digits and scikit-learn's sample images.
- ``nmf``: :class:`NMF`, non-negative matrix factorisation by coordinate descent.
- ``quantize``: colour quantisation of images with k-means.
- ``streams``: data arriving in chunks: drifting blobs and a harness to replay a stream.
- ``plotting``: the figures the notebooks share.
- ``timing``: wall-clock timing of a few calls, for the notebooks' speed comparisons.
"""

from ._quiet import import_tensorflow_quietly

import_tensorflow_quietly()

from . import plotting  # noqa: E402
from .core import (  # noqa: E402
    LloydResult,
    assign,
    kmeans_plusplus,
    lloyd,
    pairwise_squared_distances,
    random_init,
    update_centroids,
)
from .datasets import (  # noqa: E402
    load_digits,
    load_mnist,
    load_sample_image,
    make_blobs_memmap,
    make_topic_documents,
)
from .deep import (  # noqa: E402
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
from .kmeans import DegenerateCentersWarning, InconsistentDistancesWarning, KMeans  # noqa: E402
from .kmedoids import KMedoids, medoid_cost  # noqa: E402
from .losses import (  # noqa: E402
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
from .memory import PeakMemory  # noqa: E402
from .metrics import (  # noqa: E402
    cluster_accuracy,
    contingency_matrix,
    evaluate_clustering,
    match_labels,
    purity,
    relabel,
)
from .minibatch import MiniBatchKMeans  # noqa: E402
from .nmf import NMF  # noqa: E402
from .quantize import (  # noqa: E402
    DEFAULT_SAMPLE_SIZE,
    apply_palette,
    compressed_bits_per_pixel,
    image_mse,
    image_psnr,
    palette_baselines,
    quantization_sweep,
    quantize_colors,
    random_palette,
    sklearn_quantize_colors,
    uniform_palette,
)
from .reproducibility import seed_everything, set_figure_style  # noqa: E402
from .streams import (  # noqa: E402
    StreamReplay,
    StreamView,
    centre_error,
    make_drifting_blobs,
    replay_stream,
)
from .timing import Timing, time_calls  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "DCNResult",
    "DECResult",
    "DEFAULT_SAMPLE_SIZE",
    "DegenerateCentersWarning",
    "InconsistentDistancesWarning",
    "KMeans",
    "KMeansEmbeddingResult",
    "KMedoids",
    "LloydResult",
    "MiniBatchKMeans",
    "NMF",
    "PeakMemory",
    "SoftAssignment",
    "StreamReplay",
    "StreamView",
    "Timing",
    "apply_palette",
    "assign",
    "batch_kmeans",
    "centre_error",
    "cluster_means",
    "cnn_autoencoder",
    "combine_kmeans_terms",
    "cluster_accuracy",
    "compressed_bits_per_pixel",
    "contingency_matrix",
    "dense_autoencoder",
    "embed",
    "evaluate_clustering",
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
    "make_drifting_blobs",
    "make_blobs_memmap",
    "make_topic_documents",
    "match_labels",
    "medoid_cost",
    "pairwise_squared_distances",
    "palette_baselines",
    "plotting",
    "purity",
    "quantization_sweep",
    "quantize_colors",
    "random_init",
    "random_palette",
    "relabel",
    "replay_stream",
    "seed_everything",
    "set_figure_style",
    "sklearn_quantize_colors",
    "small_cnn",
    "student_t_assignments",
    "target_distribution",
    "time_calls",
    "train_dcn",
    "train_dec",
    "train_kmeans_embedding",
    "uniform_palette",
    "update_centroids",
]
