"""Deep clustering: neural embeddings trained for k-means, and the methods that work.

- :func:`seed_cnn` and :func:`train_kmeans_embedding`: seed 001's experiment, a small CNN
  whose 3-D output is trained with k-means itself as the loss (batch k-means from
  carried-over centroids, then :func:`~clustering_lib.losses.kmeans_loss`);
- :func:`dense_autoencoder`: the 784-500-500-2000-10 autoencoder of DEC and IDEC;
- :func:`train_dec`: DEC (Xie et al., 2016) and, given the decoder, IDEC (Guo et al.,
  2017): Student's t soft assignments sharpened into targets, trained jointly with the
  reconstruction loss.

The training functions take NumPy arrays and Keras models, run compiled TensorFlow steps,
print one concise line per epoch when ``verbose`` and return a small result object with
the per-epoch history.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from . import core
from .kmeans import KMeans
from .losses import (
    _EPSILON,
    _check_between_weight,
    _combine_kmeans_terms,
    kmeans_loss_terms,
    student_t_assignments,
    target_distribution,
)

__all__ = [
    "DECResult",
    "KMeansEmbeddingResult",
    "dense_autoencoder",
    "embed",
    "seed_cnn",
    "train_dec",
    "train_kmeans_embedding",
]


def seed_cnn(
    embedding_dim: int = 3, normalize: bool = False, input_shape: tuple[int, ...] = (28, 28, 1)
) -> keras.Model:
    """Seed 001's network: two convolution + max-pool blocks and two dense layers.

    Conv2D(32, 3x3, ReLU) -> MaxPool(2) -> Conv2D(16, 5x5, ReLU) -> MaxPool(2) -> Flatten
    -> Dense(12, ReLU) -> Dense(``embedding_dim``).

    Parameters
    ----------
    embedding_dim : int, default=3
    normalize : bool, default=False
        Scale each embedding to unit length (a ``UnitNormalization`` layer on top), so
        the loss cannot change the embedding's scale.
    input_shape : tuple, default=(28, 28, 1)
    """
    if embedding_dim < 1:
        raise ValueError(f"embedding_dim must be at least 1, got {embedding_dim}.")
    layers = [
        keras.Input(input_shape),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(16, 5, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(12, activation="relu"),
        keras.layers.Dense(embedding_dim),
    ]
    if normalize:
        layers.append(keras.layers.UnitNormalization())
    return keras.Sequential(layers, name="seed_cnn")


def dense_autoencoder(
    input_dim: int = 784,
    code_dim: int = 10,
    hidden: Sequence[int] = (500, 500, 2000),
    input_dropout: float = 0.0,
) -> tuple[keras.Model, keras.Model, keras.Model]:
    """A fully connected autoencoder: ``input_dim -> hidden -> code_dim -> reversed hidden``.

    The default is the architecture DEC and IDEC use on MNIST. ReLU everywhere except
    the code and the output, which are linear.

    Parameters
    ----------
    input_dim, code_dim : int
    hidden : sequence of int
        Widths of the encoder's hidden layers (the decoder mirrors them).
    input_dropout : float, default=0.0
        Fraction of input values the autoencoder zeroes while training, so that it
        learns to rebuild clean images from corrupted ones (a denoising autoencoder, as
        DEC pretrains). Inactive at inference.

    Returns
    -------
    encoder, decoder, autoencoder : keras.Model
        At inference ``autoencoder(x) == decoder(encoder(x))``; the three share weights.
    """
    if input_dim < 1 or code_dim < 1 or any(units < 1 for units in hidden):
        raise ValueError("input_dim, code_dim and every hidden size must be at least 1.")
    if not 0.0 <= input_dropout < 1.0:
        raise ValueError(f"input_dropout must lie in [0, 1), got {input_dropout}.")
    inputs = keras.Input((input_dim,))
    x = inputs
    for units in hidden:
        x = keras.layers.Dense(units, activation="relu")(x)
    encoder = keras.Model(inputs, keras.layers.Dense(code_dim)(x), name="encoder")
    codes = keras.Input((code_dim,))
    x = codes
    for units in reversed(hidden):
        x = keras.layers.Dense(units, activation="relu")(x)
    decoder = keras.Model(codes, keras.layers.Dense(input_dim)(x), name="decoder")
    corrupted = keras.layers.Dropout(input_dropout)(inputs) if input_dropout else inputs
    autoencoder = keras.Model(inputs, decoder(encoder(corrupted)), name="autoencoder")
    return encoder, decoder, autoencoder


def _as_inputs(inputs: Any, name: str = "inputs") -> np.ndarray:
    """A float32 array with at least 2 dimensions, every value finite."""
    array = np.asarray(inputs)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {array.dtype}.")
    if array.ndim < 2 or array.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one sample of shape (n, ...), got "
                         f"shape {array.shape}.")
    array = array.astype(np.float32, copy=False)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return array


def _check_training(n_samples: int, n_clusters: int, epochs: int, batch_size: int) -> None:
    if n_clusters < 2:
        raise ValueError(f"n_clusters must be at least 2, got {n_clusters}.")
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}.")
    if batch_size < n_clusters:
        raise ValueError(f"batch_size ({batch_size}) must be at least n_clusters ({n_clusters}).")
    if batch_size > n_samples:
        raise ValueError(f"batch_size ({batch_size}) exceeds the number of samples "
                         f"({n_samples}).")


def embed(model: keras.Model, inputs: Any, batch_size: int = 2000) -> np.ndarray:
    """The model's outputs for all ``inputs``, computed in batches (inference mode)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    inputs = _as_inputs(inputs)
    outputs = [model(inputs[start:start + batch_size], training=False)
               for start in range(0, len(inputs), batch_size)]
    return tf.concat(outputs, axis=0).numpy()


@dataclass
class KMeansEmbeddingResult:
    """What :func:`train_kmeans_embedding` returns.

    Attributes
    ----------
    centroids : ndarray of shape (n_clusters, embedding_dim)
        The carried-over centroids that belong to the restored (best) weights.
    history : dict of lists
        Per epoch: ``loss`` (mean batch loss), ``within`` and ``between`` (the two terms
        of :func:`~clustering_lib.losses.kmeans_loss_terms`, batch means) and ``scale``
        (root mean square length of the embeddings).
    best_epoch : int
        1-based epoch whose weights were restored.
    seconds : float
        Wall-clock training time.
    """

    centroids: np.ndarray
    history: dict[str, list[float]] = field(default_factory=dict)
    best_epoch: int = 0
    seconds: float = 0.0


def train_kmeans_embedding(
    model: keras.Model,
    images: Any,
    n_clusters: int = 10,
    *,
    epochs: int = 20,
    batch_size: int = 256,
    learning_rate: float = 1e-4,
    patience: int = 10,
    kmeans_steps: int = 50,
    between_weight: float = 1.0,
    centroid_gradient: bool = True,
    random_state: int = 0,
    monitor: Callable[[keras.Model, np.ndarray], dict[str, float]] | None = None,
    verbose: bool = True,
) -> KMeansEmbeddingResult:
    """Train ``model`` with k-means as its loss, as seed 001 does.

    For every batch: embed it, run up to ``kmeans_steps`` Lloyd steps from the centroids
    carried over from the previous batch (the first batch's first ``n_clusters``
    embeddings seed them), then take a gradient step on
    ``within + between_weight / between`` (:func:`~clustering_lib.losses.kmeans_loss`).
    Adam; early stopping on the epoch loss with ``patience``, restoring the best weights
    and their centroids. Batches are reshuffled every epoch; a last incomplete batch is
    dropped.

    Parameters
    ----------
    model : keras.Model
        Maps ``images`` to embeddings of shape (batch, dim).
    images : array-like of shape (n_samples, ...)
        Model inputs (for :func:`seed_cnn`, (n, 28, 28, 1) scaled to [0, 1]).
    n_clusters : int, default=10
    epochs : int, default=20
        Upper bound; early stopping may end sooner.
    batch_size : int, default=256
    learning_rate : float, default=1e-4
    patience : int, default=10
        Epochs without a lower epoch loss before training stops.
    kmeans_steps : int, default=50
        Lloyd steps per batch (fewer when the labels stop changing).
    between_weight : float, default=1.0
        Weight of the reciprocal between-cluster term.
    centroid_gradient : bool, default=True
        Differentiate through the centroids (the batch means of the embeddings), as the
        seed's code does; False treats them as constants.
    random_state : int, default=0
        Seeds the shuffling.
    monitor : callable, optional
        Called after every epoch as ``monitor(model, centroids)``; the floats of the
        dict it returns are appended to ``history`` under their keys (for example the
        clustering accuracy, to watch it while the loss falls). The keys must differ
        from the four built-in ones, or ``ValueError`` is raised.
    verbose : bool, default=True
        Print one line per epoch.
    """
    images = _as_inputs(images, "images")
    n_samples = len(images)
    _check_training(n_samples, n_clusters, epochs, batch_size)
    if patience < 1 or kmeans_steps < 1:
        raise ValueError("patience and kmeans_steps must be at least 1.")
    _check_between_weight(between_weight)
    optimizer = keras.optimizers.Adam(learning_rate)
    weight = tf.constant(between_weight, tf.float32)

    @tf.function(reduce_retracing=True)
    def train_step(batch, centroids):
        ones = tf.ones([tf.shape(batch)[0]], tf.float32)
        with tf.GradientTape() as tape:
            embeddings = tf.cast(model(batch, training=True), tf.float32)
            centers, labels = core.lloyd_steps(embeddings, ones, centroids, kmeans_steps)
            if centroid_gradient:
                sums = tf.math.unsorted_segment_sum(embeddings, labels, n_clusters)
                counts = tf.math.unsorted_segment_sum(ones, labels, n_clusters)
                centers_used = tf.where(
                    (counts > 0)[:, None],
                    sums / tf.maximum(counts, 1.0)[:, None],
                    tf.stop_gradient(centers),
                )
            else:
                centers_used = centers
            within, between = kmeans_loss_terms(
                embeddings, centers_used, labels, stop_centroid_gradient=not centroid_gradient
            )
            loss = _combine_kmeans_terms(within, between, weight)
        variables = model.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        scale = tf.reduce_mean(tf.reduce_sum(tf.square(embeddings), axis=1))
        return centers, tf.stack([loss, within, between, scale])

    rng = np.random.default_rng(random_state)
    n_batches = n_samples // batch_size
    history: dict[str, list[float]] = {"loss": [], "within": [], "between": [], "scale": []}
    centroids = None
    best = (np.inf, None, None, 0)
    waited = 0
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n_samples)
        totals = np.zeros(4)
        for index in range(n_batches):
            batch = tf.constant(images[order[index * batch_size:(index + 1) * batch_size]])
            if centroids is None:
                centroids = tf.cast(model(batch[:n_clusters], training=False), tf.float32)
            centroids, values = train_step(batch, centroids)
            totals += values.numpy()
        means = totals / n_batches
        means[3] = np.sqrt(means[3])
        if not np.isfinite(means[0]):
            raise FloatingPointError(f"the loss became {means[0]} in epoch {epoch}.")
        for key, value in zip(("loss", "within", "between", "scale"), means, strict=True):
            history[key].append(float(value))
        extra = ""
        if monitor is not None:
            for key, value in monitor(model, centroids.numpy()).items():
                if key in ("loss", "within", "between", "scale"):
                    raise ValueError(f"monitor returned the key {key!r}, which the "
                                     "history already uses; choose another name.")
                history.setdefault(key, []).append(float(value))
                extra += f"  {key} {value:.3f}"
        if means[0] < best[0]:
            best = (means[0], model.get_weights(), centroids.numpy(), epoch)
            waited = 0
        else:
            waited += 1
        if verbose:
            print(f"epoch {epoch:3d}/{epochs}  loss {means[0]:.4f}  within {means[1]:.4g}  "
                  f"between {means[2]:.4g}  scale {means[3]:.3g}{extra}  "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
        if waited >= patience:
            if verbose:
                print(f"no improvement for {patience} epochs: stopping", flush=True)
            break
    model.set_weights(best[1])
    return KMeansEmbeddingResult(best[2], history, best[3], time.perf_counter() - start)


@dataclass
class DECResult:
    """What :func:`train_dec` returns.

    Attributes
    ----------
    labels : ndarray of shape (n_samples,)
        Most probable cluster of each sample after training.
    initial_labels : ndarray of shape (n_samples,)
        k-means labels on the initial codes (where DEC starts).
    centroids : ndarray of shape (n_clusters, code_dim)
    history : dict of lists
        Per epoch that trained: ``kl`` and ``reconstruction`` (batch means; 0 without a
        decoder) and ``changed`` (fraction of labels that changed at the most recent
        target update up to the end of that epoch; an epoch without an update repeats
        the previous value).
    converged : bool
        Whether training stopped because fewer than ``tol`` of the labels changed.
    seconds : float
    """

    labels: np.ndarray
    initial_labels: np.ndarray
    centroids: np.ndarray
    history: dict[str, list[float]] = field(default_factory=dict)
    converged: bool = False
    seconds: float = 0.0


def train_dec(
    encoder: keras.Model,
    inputs: Any,
    n_clusters: int = 10,
    *,
    decoder: keras.Model | None = None,
    cluster_weight: float = 0.1,
    epochs: int = 20,
    batch_size: int = 256,
    update_interval: int = 140,
    tol: float = 0.001,
    learning_rate: float = 1e-3,
    alpha: float = 1.0,
    n_init: int = 20,
    random_state: int = 0,
    verbose: bool = True,
) -> DECResult:
    """Fine-tune a pretrained encoder with DEC's self-training objective (IDEC with a decoder).

    Centroids start from k-means on the encoder's codes. Every ``update_interval``
    batches the soft assignments ``q`` of all samples are recomputed
    (:func:`~clustering_lib.losses.student_t_assignments`) and sharpened into targets
    ``p`` (:func:`~clustering_lib.losses.target_distribution`); training stops when fewer
    than ``tol`` of the labels changed since the previous update. Between updates
    Adam minimises ``KL(p || q)`` over the encoder and the centroids; with ``decoder``
    the loss is ``reconstruction MSE + cluster_weight * KL`` (IDEC), which keeps the
    codes faithful to the inputs.

    Parameters
    ----------
    encoder : keras.Model
        Pretrained, maps ``inputs`` to codes.
    inputs : array-like of shape (n_samples, ...)
    n_clusters : int, default=10
    decoder : keras.Model, optional
        Maps codes back to ``inputs``; given, the objective is IDEC's.
    cluster_weight : float, default=0.1
        IDEC's gamma (ignored without a decoder).
    epochs : int, default=20
        Upper bound on passes over the data.
    batch_size : int, default=256
    update_interval : int, default=140
        Batches between target updates.
    tol : float, default=0.001
    learning_rate : float, default=1e-3
    alpha : float, default=1.0
        Degrees of freedom of the Student's t kernel.
    n_init : int, default=20
        k-means restarts for the initial centroids.
    random_state : int, default=0
    verbose : bool, default=True
    """
    inputs = _as_inputs(inputs)
    n_samples = len(inputs)
    _check_training(n_samples, n_clusters, epochs, batch_size)
    if update_interval < 1:
        raise ValueError(f"update_interval must be at least 1, got {update_interval}.")
    if not 0 <= tol < 1:
        raise ValueError(f"tol must lie in [0, 1), got {tol}.")
    if not cluster_weight > 0:
        raise ValueError(f"cluster_weight must be positive, got {cluster_weight}.")
    start = time.perf_counter()
    kmeans = KMeans(n_clusters, n_init=n_init, random_state=random_state).fit(
        embed(encoder, inputs)
    )
    centroids = tf.Variable(kmeans.cluster_centers_.astype(np.float32), name="centroids")
    variables = list(encoder.trainable_variables) + [centroids]
    if decoder is not None:
        variables += list(decoder.trainable_variables)
    optimizer = keras.optimizers.Adam(learning_rate)

    @tf.function(reduce_retracing=True)
    def train_step(batch, targets):
        with tf.GradientTape() as tape:
            codes = encoder(batch, training=True)
            q = student_t_assignments(codes, centroids, alpha)
            kl = tf.reduce_mean(tf.reduce_sum(
                targets * tf.math.log(tf.maximum(targets, _EPSILON) / tf.maximum(q, _EPSILON)),
                axis=1,
            ))
            if decoder is None:
                reconstruction = tf.constant(0.0)
                loss = kl
            else:
                reconstruction = tf.reduce_mean(tf.square(decoder(codes, training=True) - batch))
                loss = reconstruction + cluster_weight * kl
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return tf.stack([kl, reconstruction])

    def soft_assignments() -> np.ndarray:
        return student_t_assignments(embed(encoder, inputs), centroids, alpha).numpy()

    rng = np.random.default_rng(random_state)
    n_batches = n_samples // batch_size
    labels = kmeans.labels_.copy()
    history: dict[str, list[float]] = {"kl": [], "reconstruction": [], "changed": []}
    targets = None
    changed = 1.0
    converged = False
    step = 0
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n_samples)
        totals = np.zeros(2)
        for index in range(n_batches):
            if step % update_interval == 0:
                q = soft_assignments()
                targets = target_distribution(q).numpy()
                new_labels = q.argmax(axis=1)
                changed = float(np.mean(new_labels != labels))
                labels = new_labels
                if step > 0 and changed < tol:
                    converged = True
                    break
            rows = order[index * batch_size:(index + 1) * batch_size]
            totals += train_step(tf.constant(inputs[rows]), tf.constant(targets[rows])).numpy()
            step += 1
        done = index if converged else n_batches
        if done > 0:  # an epoch that stopped before its first batch trained nothing
            means = totals / done
            history["kl"].append(float(means[0]))
            history["reconstruction"].append(float(means[1]))
            history["changed"].append(changed)
            if verbose:
                print(f"epoch {epoch:3d}/{epochs}  KL {means[0]:.4f}  reconstruction "
                      f"{means[1]:.4f}  labels changed {changed:.2%}  "
                      f"({time.perf_counter() - start:.0f} s)", flush=True)
        if converged:
            if verbose:
                print(f"{changed:.2%} of the labels changed (below tol = {tol:.2%}): "
                      "stopping", flush=True)
            break
    labels = soft_assignments().argmax(axis=1)
    return DECResult(labels, kmeans.labels_.copy(), centroids.numpy(), history, converged,
                     time.perf_counter() - start)
