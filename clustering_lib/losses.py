"""Differentiable clustering pieces for training neural embeddings.

- :func:`batch_kmeans`: Lloyd's algorithm on one batch of embeddings (the compiled loop
  of :mod:`clustering_lib.core`), with no gradient flowing through it;
- :func:`kmeans_loss`: seed 001's loss, the mean squared distance of each embedding to
  its centroid plus the reciprocal of its summed squared distance to the other
  centroids (:func:`kmeans_loss_terms` gives the two terms apart);
- :func:`student_t_assignments` and :func:`target_distribution`: DEC's soft
  assignments and sharpened targets (Xie, Girshick & Farhadi, 2016);
- :class:`SoftAssignment`: a Keras layer holding trainable centroids that outputs the
  soft assignments.

Everything takes and returns tensors and works inside ``tf.GradientTape`` and Keras
training loops.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from . import core

__all__ = [
    "SoftAssignment",
    "batch_kmeans",
    "kmeans_loss",
    "kmeans_loss_terms",
    "student_t_assignments",
    "target_distribution",
]

_EPSILON = 1e-12


def batch_kmeans(
    embeddings: Any, initial_centroids: Any, n_steps: int = 50
) -> tuple[tf.Tensor, tf.Tensor]:
    """Run up to ``n_steps`` Lloyd iterations on a batch, from given centroids.

    The embeddings are treated as constants (``tf.stop_gradient``): the clustering is
    a target for the loss, not something to differentiate through. Stops early when
    no label changes; an empty cluster is given a far point as in :class:`KMeans`, so
    no centroid becomes NaN.

    Parameters
    ----------
    embeddings : tensor of shape (batch, dim)
    initial_centroids : tensor of shape (n_clusters, dim)
        For example the previous batch's centroids.
    n_steps : int, default=50

    Returns
    -------
    centroids : tensor of shape (n_clusters, dim)
    labels : int32 tensor of shape (batch,)
    """
    points = tf.stop_gradient(core.as_float_tensor(embeddings, "embeddings"))
    centroids = core.as_float_tensor(initial_centroids, "initial_centroids", dtype=points.dtype)
    core.check_same_features(points, centroids)
    core.check_n_clusters(centroids.shape[0], points.shape[0])
    if n_steps < 1:
        raise ValueError(f"n_steps must be at least 1, got {n_steps}.")
    weights = tf.ones([points.shape[0]], points.dtype)
    result = core.run_lloyd(points, weights, centroids, max_iter=int(n_steps), tol=0.0)
    return result.centers, result.labels


def _squared_distances(embeddings: tf.Tensor, centroids: tf.Tensor) -> tf.Tensor:
    """Differentiable (n, k) squared distances by broadcasting (exact gradients at 0)."""
    return tf.reduce_sum(tf.square(embeddings[:, None, :] - centroids[None, :, :]), axis=2)


def kmeans_loss_terms(
    embeddings: Any, centroids: Any, labels: Any = None, stop_centroid_gradient: bool = True
) -> tuple[tf.Tensor, tf.Tensor]:
    """The two terms of seed 001's k-means loss, before they are combined.

    ``within = mean_i ||e_i - c_{l_i}||^2`` and
    ``between = mean_i sum_{j != l_i} ||e_i - c_j||^2`` (the seed's ``dis_to_c`` and
    ``dis_to_others``, each divided by the batch size).

    Parameters
    ----------
    embeddings : tensor of shape (batch, dim)
    centroids : tensor of shape (n_clusters, dim), at least 2 clusters
    labels : int tensor of shape (batch,), optional
        Cluster of each embedding; the nearest centroid when omitted.
    stop_centroid_gradient : bool, default=True
        Treat the centroids as constants. Pass False when they are themselves
        computed from ``embeddings`` (batch means) and the gradient should flow
        through them, as in the seed's code.

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
    """Seed 001's k-means loss: within-cluster spread plus 1 / between-cluster spread.

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
        Weight of the ``1 / between`` term (the seed uses 1).
    stop_centroid_gradient : bool, default=True
        See :func:`kmeans_loss_terms`.

    Returns
    -------
    scalar tensor
    """
    _check_between_weight(between_weight)
    within, between = kmeans_loss_terms(embeddings, centroids, labels, stop_centroid_gradient)
    return _combine_kmeans_terms(within, between, between_weight)


def _check_between_weight(between_weight: float) -> None:
    if not between_weight >= 0:
        raise ValueError(f"between_weight must be non-negative, got {between_weight}.")


def _combine_kmeans_terms(within: tf.Tensor, between: tf.Tensor, between_weight) -> tf.Tensor:
    """``within + between_weight / between``, the denominator guarded against zero."""
    return within + between_weight / tf.maximum(between, _EPSILON)


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
