"""clustering_lib: the small TensorFlow library shared by this repository's notebooks.

Layers
------
- ``core``: pure TensorFlow functions (assignment, centroid update, k-means++,
  the compiled Lloyd loop), tensors in and tensors out.
- ``kmeans``: :class:`KMeans`, a scikit-learn-compatible estimator on top of core.
- ``minibatch``: :class:`MiniBatchKMeans`, streaming k-means (``partial_fit``, tf.data).
- ``kmedoids``: :class:`KMedoids`, k-medoids on features or on a distance matrix.
- ``losses``: differentiable clustering losses for neural embeddings (k-means, DEC).
- ``deep``: seed 001's CNN trained with the k-means loss, autoencoders, DEC and IDEC.
- ``metrics``: purity, Hungarian cluster accuracy, cluster-to-label mapping.
- ``datasets``: MNIST (offline-friendly), digits and scikit-learn's sample images.
- ``nmf``: :class:`NMF`, non-negative matrix factorisation by coordinate descent.
- ``quantize``: colour quantisation of images with k-means.
- ``plotting``: the figures the notebooks share.
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
    make_topic_documents,
)
from .deep import (  # noqa: E402
    DECResult,
    KMeansEmbeddingResult,
    dense_autoencoder,
    embed,
    seed_cnn,
    train_dec,
    train_kmeans_embedding,
)
from .kmeans import DegenerateCentersWarning, InconsistentDistancesWarning, KMeans  # noqa: E402
from .kmedoids import KMedoids, medoid_cost  # noqa: E402
from .losses import (  # noqa: E402
    SoftAssignment,
    batch_kmeans,
    kmeans_loss,
    kmeans_loss_terms,
    student_t_assignments,
    target_distribution,
)
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
    compressed_bits_per_pixel,
    image_mse,
    image_psnr,
    quantization_sweep,
    quantize_colors,
    sklearn_quantize_colors,
)
from .reproducibility import seed_everything, set_figure_style  # noqa: E402

__version__ = "0.1.0"

__all__ = [
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
    "SoftAssignment",
    "assign",
    "batch_kmeans",
    "cluster_accuracy",
    "compressed_bits_per_pixel",
    "contingency_matrix",
    "dense_autoencoder",
    "embed",
    "evaluate_clustering",
    "image_mse",
    "image_psnr",
    "kmeans_loss",
    "kmeans_loss_terms",
    "kmeans_plusplus",
    "lloyd",
    "load_digits",
    "load_mnist",
    "load_sample_image",
    "make_topic_documents",
    "match_labels",
    "medoid_cost",
    "pairwise_squared_distances",
    "plotting",
    "purity",
    "quantization_sweep",
    "quantize_colors",
    "random_init",
    "relabel",
    "seed_cnn",
    "seed_everything",
    "set_figure_style",
    "sklearn_quantize_colors",
    "student_t_assignments",
    "target_distribution",
    "train_dec",
    "train_kmeans_embedding",
    "update_centroids",
]
