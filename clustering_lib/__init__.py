"""clustering_lib: the small TensorFlow library shared by this repository's notebooks.

The top level holds what most users need: the estimators, the k-means steps as functions,
the metrics and loaders, the k-means loss and DEC's layer, the warnings and the execution
settings. The rest is in public modules, each a namespace for one topic:

- ``core``: the engine, pure TensorFlow, tensors in and tensors out (assignment, centroid
  update, k-means++, the Lloyd loop over any source of data, the execution settings).
- ``callbacks``: progress bars, checkpoints and scikit-learn's lines for a fit.
- ``datasets``: MNIST (offline-friendly), digits, scikit-learn's sample images, a memory
  map of blobs, synthetic documents.
- ``deep``: the blog post's CNN trained with the k-means loss, autoencoders, DCN, DEC and
  IDEC, as ``keras.Model`` subclasses trained by ``fit``.
- ``losses``: differentiable clustering losses for neural embeddings (k-means, DEC).
- ``metrics``: purity, Hungarian cluster accuracy, cluster-to-label mapping.
- ``quantize``: colour quantisation of images with k-means, and palettes without it.

Modules whose names start with an underscore are the implementation; their names may
change. What exists only for the notebooks (plotting, exercises, streams of data, timing,
memory, the set-up call) is in the separate package ``clustering_course``.
"""

import tensorflow  # noqa: F401  (the engine; imported first so its start-up runs once)

from . import callbacks, core, datasets, deep, losses, metrics, quantize  # noqa: F401 (namespaces)
from ._base import InvalidParameterError
from ._kmeans import DegenerateCentersWarning, InconsistentDistancesWarning, KMeans
from ._kmedoids import KMedoids, medoid_cost
from ._minibatch import MiniBatchKMeans
from ._nmf import NMF
from .core import (
    assign,
    config_context,
    get_config,
    kmeans_plusplus,
    lloyd,
    random_init,
    update_centroids,
)
from .datasets import load_digits, load_mnist, load_sample_image
from .losses import SoftAssignment, kmeans_loss
from .metrics import (
    cluster_accuracy,
    contingency_matrix,
    evaluate_clustering,
    match_labels,
    purity,
    relabel,
)

__version__ = "0.1.0"

__all__ = [
    # estimators
    "KMeans",
    "KMedoids",
    "MiniBatchKMeans",
    "NMF",
    # the algorithms as functions
    "assign",
    "kmeans_plusplus",
    "lloyd",
    "medoid_cost",
    "random_init",
    "update_centroids",
    # metrics
    "cluster_accuracy",
    "contingency_matrix",
    "evaluate_clustering",
    "match_labels",
    "purity",
    "relabel",
    # data
    "load_digits",
    "load_mnist",
    "load_sample_image",
    # deep clustering
    "SoftAssignment",
    "kmeans_loss",
    # warnings and errors
    "DegenerateCentersWarning",
    "InconsistentDistancesWarning",
    "InvalidParameterError",
    # execution settings
    "config_context",
    "get_config",
]
