"""Differentiable clustering pieces for training neural embeddings.

- :func:`batch_kmeans`: Lloyd's algorithm on one batch of embeddings, in plain
  TensorFlow ops (it runs eagerly and inside a compiled training step), with no
  gradient flowing through it; :func:`cluster_means`, the differentiable M-step;
- :func:`kmeans_loss`: the loss of the blog post "How not to reduce dimensionality for
  clustering" (https://gravila.dev/how-not-to-reduce-dimensionality-for-clustering/):
  the mean squared distance of each embedding to its centroid plus the reciprocal of
  its summed squared distance to the other centroids (:func:`kmeans_loss_terms` gives
  the two terms apart, :func:`combine_kmeans_terms` joins them);
- :func:`student_t_assignments`, :func:`target_distribution` and
  :func:`kl_divergence`: the soft assignments, sharpened targets and objective of DEC
  ("Unsupervised Deep Embedding for Clustering Analysis", Xie, Girshick & Farhadi,
  2016, https://arxiv.org/abs/1511.06335);
- :class:`SoftAssignment`: a Keras layer holding trainable centroids that outputs the
  soft assignments.

Everything takes and returns tensors and works inside ``tf.GradientTape`` and Keras
training loops.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from .core._kernels import cluster_counts_and_sums
from .core._kernels import cluster_means as means_of_sums

__all__ = [
    "SoftAssignment",
    "batch_kmeans",
    "cluster_means",
    "combine_kmeans_terms",
    "kl_divergence",
    "kmeans_loss",
    "kmeans_loss_terms",
    "nearest_centroids",
    "student_t_assignments",
    "target_distribution",
]

_EPSILON = 1e-12


def _float_matrix(values: Any, name: str, dtype: tf.DType | None = None) -> tf.Tensor:
    """A float tensor of rank 2 with at least one row; finite values checked when eager."""
    tensor = tf.convert_to_tensor(values)
    if not (tensor.dtype.is_floating or tensor.dtype.is_integer):
        raise TypeError(f"{name} must hold numbers, got dtype {tensor.dtype.name}.")
    if dtype is None:
        dtype = tensor.dtype if tensor.dtype.is_floating else tf.float32
    tensor = tf.cast(tensor, dtype)
    if tensor.shape.rank != 2:
        raise ValueError(f"{name} must be 2-D, got shape {tuple(tensor.shape)}.")
    if tensor.shape[0] == 0:
        raise ValueError(f"{name} has no rows.")
    if tf.executing_eagerly() and not bool(tf.reduce_all(tf.math.is_finite(tensor))):
        raise ValueError(f"{name} contains NaN or infinity.")
    return tensor


def cluster_means(
    embeddings: Any, labels: Any, n_clusters: int, fallback: Any = None
) -> tf.Tensor:
    """Mean embedding of each cluster (the k-means M-step), differentiable.

    The engine's float64 per-cluster sums, rounded to the embeddings' dtype for the
    division (``core._kernels``, as the estimators average): plain TensorFlow ops, so
    gradients flow from the means back to the embeddings (the centroids of the blog
    post's loss are such batch means).

    Parameters
    ----------
    embeddings : tensor of shape (n, dim)
    labels : int tensor of shape (n,), values in ``[0, n_clusters)``
    n_clusters : int
    fallback : tensor of shape (n_clusters, dim), optional
        What an empty cluster gets (zeros by default), so no mean is ever NaN.

    Returns
    -------
    tensor of shape (n_clusters, dim)
    """
    embeddings = tf.convert_to_tensor(embeddings)
    labels = tf.cast(labels, tf.int32)
    sums = cluster_counts_and_sums(embeddings, tf.ones_like(labels, tf.bool), labels,
                                   n_clusters)
    if fallback is None:
        fallback = tf.zeros([n_clusters, tf.shape(embeddings)[1]], embeddings.dtype)
    return means_of_sums(sums[:, :-1], sums[:, -1], tf.cast(fallback, embeddings.dtype))


def _relocate_empty(points, distances, labels, n_clusters):
    """Labels after each empty cluster took a far point, as scikit-learn does.

    The j-th empty cluster (in index order) takes the j-th point farthest from its
    nearest centroid.
    """
    counts = tf.math.unsorted_segment_sum(tf.ones_like(labels), labels, n_clusters)
    empty = tf.equal(counts, 0)
    rank = tf.cumsum(tf.cast(empty, tf.int32)) - 1
    _, farthest = tf.math.top_k(tf.reduce_min(distances, axis=1), k=n_clusters)
    donors = tf.boolean_mask(tf.gather(farthest, tf.maximum(rank, 0)), empty)
    clusters = tf.boolean_mask(tf.range(n_clusters, dtype=tf.int32), empty)
    return tf.tensor_scatter_nd_update(labels, donors[:, None], clusters)


def batch_kmeans(
    embeddings: Any, initial_centroids: Any, n_steps: int = 50
) -> tuple[tf.Tensor, tf.Tensor]:
    """Run up to ``n_steps`` Lloyd iterations on a batch, from given centroids.

    The embeddings are treated as constants (``tf.stop_gradient``): the clustering is
    a target for the loss, not something to differentiate through. Stops as soon as
    no label changes. An empty cluster takes a far point, as in scikit-learn's and
    this library's :class:`~clustering_lib.KMeans`, so no centroid becomes NaN. Plain
    TensorFlow ops (a ``tf.while_loop``, segment sums): it runs eagerly and inside a
    ``tf.function`` training step.

    Parameters
    ----------
    embeddings : tensor of shape (batch, dim)
    initial_centroids : tensor of shape (n_clusters, dim)
        For example the previous batch's centroids; at most ``batch`` of them.
    n_steps : int, default=50

    Returns
    -------
    centroids : tensor of shape (n_clusters, dim)
    labels : int32 tensor of shape (batch,)
        The nearest of the returned centroids for each embedding.
    """
    points = tf.stop_gradient(_float_matrix(embeddings, "embeddings"))
    centroids = tf.stop_gradient(_float_matrix(initial_centroids, "initial_centroids",
                                               points.dtype))
    if points.shape[1] != centroids.shape[1]:
        raise ValueError(f"embeddings have {points.shape[1]} features but initial_centroids "
                         f"have {centroids.shape[1]}.")
    n_clusters = centroids.shape[0]
    if n_clusters is None:
        raise ValueError("initial_centroids must have a known number of rows.")
    if points.shape[0] is not None and n_clusters > points.shape[0]:
        raise ValueError(f"{n_clusters} initial centroids for a batch of only "
                         f"{points.shape[0]} embeddings.")
    if isinstance(n_steps, bool) or not isinstance(n_steps, int) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer, got {n_steps!r}.")

    def nearest(centers):
        distances = _squared_distances(points, centers)
        return tf.argmin(distances, axis=1, output_type=tf.int32), distances

    def step(i, centers, previous, _):
        labels, distances = nearest(centers)
        changed = tf.reduce_any(tf.not_equal(labels, previous))
        moved = _relocate_empty(points, distances, labels, n_clusters)
        return i + 1, cluster_means(points, moved, n_clusters, centers), labels, changed

    start = (tf.constant(0), centroids, tf.fill(tf.shape(points)[:1], -1), tf.constant(True))
    _, centroids, _, _ = tf.while_loop(
        lambda i, centers, labels, changed: tf.logical_and(i < n_steps, changed), step, start,
    )
    return centroids, nearest(centroids)[0]


def _squared_distances(embeddings: tf.Tensor, centroids: tf.Tensor) -> tf.Tensor:
    """Differentiable (n, k) squared distances by broadcasting (exact gradients at 0)."""
    return tf.reduce_sum(tf.square(embeddings[:, None, :] - centroids[None, :, :]), axis=2)


def nearest_centroids(embeddings: Any, centroids: Any) -> tf.Tensor:
    """Index of the nearest centroid of each embedding (int32), in plain TensorFlow ops.

    The squared distances are those of :func:`kmeans_loss_terms`, so the labels are the
    ones it uses when none are given.
    """
    embeddings = tf.convert_to_tensor(embeddings)
    centroids = tf.cast(centroids, embeddings.dtype)
    return tf.argmin(_squared_distances(embeddings, centroids), axis=1, output_type=tf.int32)


def kmeans_loss_terms(
    embeddings: Any, centroids: Any, labels: Any = None, stop_centroid_gradient: bool = True
) -> tuple[tf.Tensor, tf.Tensor]:
    """The two terms of the blog post's k-means loss, before they are combined.

    ``within = mean_i ||e_i - c_{l_i}||^2`` and
    ``between = mean_i sum_{j != l_i} ||e_i - c_j||^2`` (the post's ``dis_to_c`` and
    ``dis_to_others``, each divided by the batch size). ``within`` alone is the k-means
    objective that DCN adds to an autoencoder's loss.

    Parameters
    ----------
    embeddings : tensor of shape (batch, dim)
    centroids : tensor of shape (n_clusters, dim), at least 2 clusters
    labels : int tensor of shape (batch,), optional
        Cluster of each embedding; the nearest centroid when omitted.
    stop_centroid_gradient : bool, default=True
        Treat the centroids as constants. Pass False when they are themselves
        computed from ``embeddings`` (batch means) and the gradient should flow
        through them, as in the blog post's code.

    Returns
    -------
    within, between : scalar tensors
    """
    embeddings = tf.convert_to_tensor(embeddings)
    if not embeddings.dtype.is_floating:
        embeddings = tf.cast(embeddings, tf.float32)
    centroids = tf.cast(centroids, embeddings.dtype)
    if stop_centroid_gradient:
        centroids = tf.stop_gradient(centroids)
    n_clusters = centroids.shape[0]
    if n_clusters is not None and n_clusters < 2:
        raise ValueError("kmeans_loss needs at least 2 centroids (its second term compares them).")
    distances = _squared_distances(embeddings, centroids)
    if labels is None:
        labels = tf.argmin(distances, axis=1, output_type=tf.int32)
    own = tf.one_hot(labels, tf.shape(centroids)[0], dtype=embeddings.dtype)
    within = tf.reduce_mean(tf.reduce_sum(distances * own, axis=1))
    between = tf.reduce_mean(tf.reduce_sum(distances * (1.0 - own), axis=1))
    return within, between


def kmeans_loss(
    embeddings: Any,
    centroids: Any,
    labels: Any = None,
    between_weight: float = 1.0,
    stop_centroid_gradient: bool = True,
) -> tf.Tensor:
    """The blog post's k-means loss: within-cluster spread plus 1 / between-cluster spread.

    ``within + between_weight / between`` with the terms of :func:`kmeans_loss_terms`:
    the mean squared distance of each embedding to its own centroid, and the mean
    over embeddings of the summed squared distances to all the other centroids. The
    second term is guarded against a zero denominator, so the loss is finite even
    when all centroids coincide.

    Parameters
    ----------
    embeddings : tensor of shape (batch, dim)
    centroids : tensor of shape (n_clusters, dim), at least 2 clusters
    labels : int tensor of shape (batch,), optional
        Cluster of each embedding; the nearest centroid when omitted.
    between_weight : float, default=1.0
        Weight of the ``1 / between`` term (the blog post uses 1).
    stop_centroid_gradient : bool, default=True
        See :func:`kmeans_loss_terms`.

    Returns
    -------
    scalar tensor
    """
    _check_between_weight(between_weight)
    within, between = kmeans_loss_terms(embeddings, centroids, labels, stop_centroid_gradient)
    return combine_kmeans_terms(within, between, between_weight)


def _check_between_weight(between_weight: Any) -> None:
    if tf.is_tensor(between_weight):
        return  # a tensor inside a compiled step: checked where the Python number came in
    if isinstance(between_weight, bool) or not between_weight >= 0:
        raise ValueError(f"between_weight must be a non-negative number, got "
                         f"{between_weight!r}.")


def combine_kmeans_terms(within: Any, between: Any, between_weight: Any = 1.0) -> tf.Tensor:
    """``within + between_weight / between``: :func:`kmeans_loss` from its two terms.

    The denominator is guarded against zero, so the result is finite even when all
    centroids coincide. ``between_weight`` may be a float or a scalar tensor.
    """
    _check_between_weight(between_weight)
    within = tf.convert_to_tensor(within)
    between = tf.cast(between, within.dtype)
    return within + tf.cast(between_weight, within.dtype) / tf.maximum(between, _EPSILON)


def student_t_assignments(embeddings: Any, centroids: Any, alpha: float = 1.0) -> tf.Tensor:
    """DEC's soft assignments: a Student's t kernel on the distances, normalised per row.

    ``q_ij = (1 + ||e_i - c_j||^2 / alpha)^(-(alpha + 1) / 2)``, divided by its row sum.

    Parameters
    ----------
    embeddings : tensor of shape (batch, dim)
    centroids : tensor of shape (n_clusters, dim)
    alpha : float, default=1.0
        Degrees of freedom.

    Returns
    -------
    tensor of shape (batch, n_clusters), rows summing to 1
    """
    if alpha <= 0:
        raise ValueError(f"alpha must be positive, got {alpha}.")
    embeddings = tf.convert_to_tensor(embeddings)
    centroids = tf.cast(centroids, embeddings.dtype)
    kernel = tf.pow(1.0 + _squared_distances(embeddings, centroids) / alpha, -(alpha + 1.0) / 2.0)
    return kernel / tf.reduce_sum(kernel, axis=1, keepdims=True)


def target_distribution(assignments: Any) -> tf.Tensor:
    """DEC's sharpened targets: ``p_ij ∝ q_ij^2 / f_j`` with cluster frequencies ``f_j``.

    Squaring sharpens confident assignments; dividing by the soft cluster size keeps
    large clusters from absorbing everything. Rows sum to 1; treated as constants.
    """
    q = tf.stop_gradient(tf.convert_to_tensor(assignments))
    weight = tf.square(q) / tf.maximum(tf.reduce_sum(q, axis=0), _EPSILON)
    return weight / tf.reduce_sum(weight, axis=1, keepdims=True)


def kl_divergence(targets: Any, assignments: Any) -> tf.Tensor:
    """DEC's objective: ``KL(p || q)`` per row, averaged over the rows.

    ``mean_i sum_j p_ij log(p_ij / q_ij)`` with the targets ``p`` (treated as
    constants, see :func:`target_distribution`) and the soft assignments ``q``
    (:func:`student_t_assignments`); zero entries are guarded, so it is always finite.

    Parameters
    ----------
    targets, assignments : tensors of shape (batch, n_clusters), rows summing to 1

    Returns
    -------
    scalar tensor
    """
    q = tf.convert_to_tensor(assignments)
    p = tf.stop_gradient(tf.cast(targets, q.dtype))
    if p.shape.is_fully_defined() and q.shape.is_fully_defined() and p.shape != q.shape:
        raise ValueError(f"targets and assignments differ in shape: {tuple(p.shape)} vs "
                         f"{tuple(q.shape)}.")
    ratio = tf.maximum(p, _EPSILON) / tf.maximum(q, _EPSILON)
    return tf.reduce_mean(tf.reduce_sum(p * tf.math.log(ratio), axis=1))


@keras.saving.register_keras_serializable(package="clustering_lib")
class SoftAssignment(keras.layers.Layer):
    """Keras layer: trainable centroids, outputs :func:`student_t_assignments`.

    Parameters
    ----------
    n_clusters : int
    alpha : float, default=1.0
    """

    def __init__(self, n_clusters: int, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if n_clusters < 1:
            raise ValueError(f"n_clusters must be at least 1, got {n_clusters}.")
        self.n_clusters = int(n_clusters)
        self.alpha = float(alpha)

    def build(self, input_shape):
        self.centroids = self.add_weight(
            shape=(self.n_clusters, input_shape[-1]), initializer="glorot_uniform",
            name="centroids",
        )

    def call(self, inputs):
        return student_t_assignments(inputs, self.centroids, self.alpha)

    def get_config(self) -> dict:
        return {**super().get_config(), "n_clusters": self.n_clusters, "alpha": self.alpha}
