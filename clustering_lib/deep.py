"""Deep clustering: neural embeddings trained for k-means, and the methods that work.

- :func:`small_cnn` and :func:`train_kmeans_embedding`: the experiment of the blog post
  "How not to reduce dimensionality for clustering"
  (https://gravila.dev/how-not-to-reduce-dimensionality-for-clustering/), a small CNN
  whose 3-D output is trained with k-means itself as the loss (batch k-means from
  carried-over centroids, then :func:`~clustering_lib.losses.kmeans_loss`);
- :func:`cnn_autoencoder` and :func:`dense_autoencoder`: the same CNN with a decoder, and
  the 784-500-500-2000-10 autoencoder of DEC and IDEC;
- :func:`train_dcn`: DCN ("Towards K-means-friendly Spaces: Simultaneous Deep Learning
  and Clustering", Yang et al., 2017, https://arxiv.org/abs/1610.04794), an
  autoencoder's reconstruction loss plus the k-means loss of its codes, with the
  centroids updated in alternation with the network;
- :func:`train_dec`: DEC ("Unsupervised Deep Embedding for Clustering Analysis", Xie et
  al., 2016, https://arxiv.org/abs/1511.06335) and, given the decoder, IDEC ("Improved
  Deep Embedded Clustering with Local Structure Preservation", Guo et al., 2017,
  https://www.ijcai.org/proceedings/2017/243): Student's t soft assignments sharpened
  into targets, trained jointly with the reconstruction loss.

The training functions take NumPy arrays and Keras models, run compiled TensorFlow steps,
print nothing unless ``verbose`` (then one line per epoch) and return a small result
object with the per-epoch history.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from .kmeans import KMeans
from .losses import (
    batch_kmeans,
    cluster_means,
    combine_kmeans_terms,
    kl_divergence,
    kmeans_loss_terms,
    student_t_assignments,
    target_distribution,
)

__all__ = [
    "DCNResult",
    "DECResult",
    "KMeansEmbeddingResult",
    "cnn_autoencoder",
    "dense_autoencoder",
    "embed",
    "small_cnn",
    "train_dcn",
    "train_dec",
    "train_kmeans_embedding",
]


def small_cnn(
    embedding_dim: int = 3, normalize: bool = False, input_shape: tuple[int, ...] = (28, 28, 1)
) -> keras.Model:
    """The blog post's network: two convolution + max-pool blocks and two dense layers.

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
    if isinstance(embedding_dim, bool) or not isinstance(embedding_dim, int) \
            or embedding_dim < 1:
        raise ValueError(f"embedding_dim must be a positive integer, got {embedding_dim!r}.")
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
    return keras.Sequential(layers, name="small_cnn")


def cnn_autoencoder(
    code_dim: int = 3,
    decoder_hidden: Sequence[int] = (256,),
    input_shape: tuple[int, ...] = (28, 28, 1),
) -> tuple[keras.Model, keras.Model, keras.Model]:
    """:func:`small_cnn` as an encoder, with a small fully connected decoder.

    The decoder maps a code through ``decoder_hidden`` ReLU layers to a linear output
    of ``input_shape``. With the default ``code_dim`` the encoder is exactly the blog
    post's network, so training it with and without a reconstruction loss is a
    controlled comparison.

    Returns
    -------
    encoder, decoder, autoencoder : keras.Model
        ``autoencoder(x) == decoder(encoder(x))``; the three share weights.
    """
    if any(isinstance(units, bool) or units < 1 for units in decoder_hidden):
        raise ValueError(f"every decoder_hidden size must be at least 1, got {decoder_hidden}.")
    encoder = small_cnn(code_dim, input_shape=input_shape)
    codes = keras.Input((code_dim,))
    x = codes
    for units in decoder_hidden:
        x = keras.layers.Dense(units, activation="relu")(x)
    x = keras.layers.Dense(math.prod(input_shape))(x)
    decoder = keras.Model(codes, keras.layers.Reshape(input_shape)(x), name="decoder")
    inputs = keras.Input(input_shape)
    autoencoder = keras.Model(inputs, decoder(encoder(inputs)), name="cnn_autoencoder")
    return encoder, decoder, autoencoder


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


def _shuffled_batches(rng: np.random.Generator, n_samples: int, batch_size: int):
    """Index arrays of the full batches of one shuffled pass (a last partial batch dropped)."""
    order = rng.permutation(n_samples)
    return [order[start:start + batch_size]
            for start in range(0, n_samples - batch_size + 1, batch_size)]


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
    verbose: bool = False,
) -> KMeansEmbeddingResult:
    """Train ``model`` with k-means as its loss, as the blog post does.

    For every batch: embed it, run up to ``kmeans_steps`` Lloyd steps from the centroids
    carried over from the previous batch (the first batch's first ``n_clusters``
    embeddings seed them; :func:`~clustering_lib.losses.batch_kmeans`), then take a
    gradient step on ``within + between_weight / between``
    (:func:`~clustering_lib.losses.kmeans_loss`). Adam; early stopping on the epoch loss
    with ``patience``, restoring the best weights and their centroids. Batches are
    reshuffled every epoch; a last incomplete batch is dropped.

    Parameters
    ----------
    model : keras.Model
        Maps ``images`` to embeddings of shape (batch, dim).
    images : array-like of shape (n_samples, ...)
        Model inputs (for :func:`small_cnn`, (n, 28, 28, 1) scaled to [0, 1]).
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
        Differentiate through the centroids (the batch means of the embeddings,
        :func:`~clustering_lib.losses.cluster_means`), as the blog post's code does;
        False treats them as constants.
    random_state : int, default=0
        Seeds the shuffling.
    monitor : callable, optional
        Called after every epoch as ``monitor(model, centroids)``; the floats of the
        dict it returns are appended to ``history`` under their keys (for example the
        clustering accuracy, to watch it while the loss falls). The keys must differ
        from the four built-in ones, or ``ValueError`` is raised.
    verbose : bool, default=False
        Print one line per epoch.
    """
    images = _as_inputs(images, "images")
    n_samples = len(images)
    _check_training(n_samples, n_clusters, epochs, batch_size)
    if patience < 1 or kmeans_steps < 1:
        raise ValueError("patience and kmeans_steps must be at least 1.")
    if isinstance(between_weight, bool) or not between_weight >= 0:
        raise ValueError(f"between_weight must be non-negative, got {between_weight!r}.")
    optimizer = keras.optimizers.Adam(learning_rate)
    weight = tf.constant(between_weight, tf.float32)

    @tf.function(reduce_retracing=True)
    def train_step(batch, centroids):
        with tf.GradientTape() as tape:
            embeddings = tf.cast(model(batch, training=True), tf.float32)
            centers, labels = batch_kmeans(embeddings, centroids, kmeans_steps)
            if centroid_gradient:
                centers_used = cluster_means(embeddings, labels, n_clusters,
                                             tf.stop_gradient(centers))
            else:
                centers_used = centers
            within, between = kmeans_loss_terms(
                embeddings, centers_used, labels, stop_centroid_gradient=not centroid_gradient
            )
            loss = combine_kmeans_terms(within, between, weight)
        variables = model.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        scale = tf.reduce_mean(tf.reduce_sum(tf.square(embeddings), axis=1))
        return centers, tf.stack([loss, within, between, scale])

    rng = np.random.default_rng(random_state)
    keys = ("loss", "within", "between", "scale")
    history: dict[str, list[float]] = {key: [] for key in keys}
    centroids = None
    best = (np.inf, None, None, 0)
    waited = 0
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        totals = []
        for rows in _shuffled_batches(rng, n_samples, batch_size):
            batch = tf.constant(images[rows])
            if centroids is None:
                centroids = tf.cast(model(batch[:n_clusters], training=False), tf.float32)
            centroids, values = train_step(batch, centroids)
            totals.append(values)
        means = tf.reduce_mean(tf.stack(totals), axis=0).numpy().astype(np.float64)
        means[3] = np.sqrt(means[3])
        if not np.isfinite(means[0]):
            raise FloatingPointError(f"the loss became {means[0]} in epoch {epoch}.")
        for key, value in zip(keys, means, strict=True):
            history[key].append(float(value))
        extra = ""
        if monitor is not None:
            for key, value in monitor(model, centroids.numpy()).items():
                if key in keys:
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
class DCNResult:
    """What :func:`train_dcn` returns.

    Attributes
    ----------
    labels : ndarray of shape (n_samples,)
        Nearest centroid of each sample's final code.
    initial_labels : ndarray of shape (n_samples,)
        k-means labels on the initial codes (where DCN starts).
    centroids : ndarray of shape (n_clusters, code_dim)
    history : dict of lists
        Per epoch (batch means): ``loss``, ``reconstruction`` (mean squared error) and
        ``kmeans`` (mean squared distance of each code to its centroid).
    seconds : float
    """

    labels: np.ndarray
    initial_labels: np.ndarray
    centroids: np.ndarray
    history: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0


def train_dcn(
    encoder: keras.Model,
    decoder: keras.Model,
    inputs: Any,
    n_clusters: int = 10,
    *,
    cluster_weight: float = 1.0,
    epochs: int = 10,
    batch_size: int = 256,
    learning_rate: float = 1e-3,
    n_init: int = 10,
    random_state: int = 0,
    verbose: bool = False,
) -> DCNResult:
    """Fine-tune a pretrained autoencoder with DCN's objective (Yang et al., 2017).

    Centroids start from k-means on the encoder's codes. For every batch, in
    alternation: (1) a gradient step on ``reconstruction MSE + cluster_weight / 2 *
    mean ||code - its centroid||^2`` over encoder and decoder, with the assignments
    and centroids held fixed; (2) the batch's codes, recomputed, are assigned to their
    nearest centroids, and each centroid moves to the running mean of all the codes
    ever assigned to it (DCN's step size 1 / count). With ``cluster_weight=0`` the
    same loop only trains the autoencoder further: the control without the k-means
    term.

    Parameters
    ----------
    encoder, decoder : keras.Model
        A pretrained autoencoder's halves: ``decoder(encoder(x))`` approximates ``x``.
    inputs : array-like of shape (n_samples, ...)
    n_clusters : int, default=10
    cluster_weight : float, default=1.0
        DCN's lambda, the weight of the k-means term (0 turns it off).
    epochs : int, default=10
    batch_size : int, default=256
    learning_rate : float, default=1e-3
    n_init : int, default=10
        k-means restarts for the initial centroids.
    random_state : int, default=0
        Seeds the initial k-means and the shuffling.
    verbose : bool, default=False
        Print one line per epoch.
    """
    inputs = _as_inputs(inputs)
    n_samples = len(inputs)
    _check_training(n_samples, n_clusters, epochs, batch_size)
    if isinstance(cluster_weight, bool) or not cluster_weight >= 0:
        raise ValueError(f"cluster_weight must be non-negative, got {cluster_weight!r}.")
    start = time.perf_counter()
    kmeans = KMeans(n_clusters, n_init=n_init, random_state=random_state).fit(
        embed(encoder, inputs)
    )
    centroids = tf.Variable(kmeans.cluster_centers_.astype(np.float32), name="centroids")
    counts = tf.Variable(np.bincount(kmeans.labels_, minlength=n_clusters).astype(np.float32),
                         name="counts")
    variables = list(encoder.trainable_variables) + list(decoder.trainable_variables)
    optimizer = keras.optimizers.Adam(learning_rate)
    weight = tf.constant(cluster_weight / 2.0, tf.float32)

    def nearest(codes):
        distances = tf.reduce_sum(tf.square(codes[:, None, :] - centroids[None, :, :]), axis=2)
        return tf.argmin(distances, axis=1, output_type=tf.int32)

    @tf.function(reduce_retracing=True)
    def train_step(batch):
        with tf.GradientTape() as tape:
            codes = tf.cast(encoder(batch, training=True), tf.float32)
            own = tf.gather(centroids, nearest(tf.stop_gradient(codes)))
            distance = tf.reduce_mean(tf.reduce_sum(tf.square(codes - own), axis=1))
            reconstruction = tf.reduce_mean(tf.square(decoder(codes, training=True) - batch))
            loss = reconstruction + weight * distance
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        codes = tf.cast(encoder(batch, training=False), tf.float32)
        labels = nearest(codes)
        batch_counts = tf.math.unsorted_segment_sum(tf.ones_like(codes[:, 0]), labels,
                                                    n_clusters)
        sums = tf.math.unsorted_segment_sum(codes, labels, n_clusters)
        counts.assign_add(batch_counts)
        # The running mean: c <- c + (sum - n_batch * c) / count, per cluster.
        centroids.assign_add((sums - batch_counts[:, None] * centroids)
                             / tf.maximum(counts, 1.0)[:, None])
        return tf.stack([loss, reconstruction, distance])

    rng = np.random.default_rng(random_state)
    keys = ("loss", "reconstruction", "kmeans")
    history: dict[str, list[float]] = {key: [] for key in keys}
    for epoch in range(1, epochs + 1):
        totals = [train_step(tf.constant(inputs[rows]))
                  for rows in _shuffled_batches(rng, n_samples, batch_size)]
        means = tf.reduce_mean(tf.stack(totals), axis=0).numpy()
        if not np.isfinite(means[0]):
            raise FloatingPointError(f"the loss became {means[0]} in epoch {epoch}.")
        for key, value in zip(keys, means, strict=True):
            history[key].append(float(value))
        if verbose:
            print(f"epoch {epoch:3d}/{epochs}  loss {means[0]:.4f}  reconstruction "
                  f"{means[1]:.4f}  k-means {means[2]:.4g}  "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
    labels = nearest(tf.constant(embed(encoder, inputs))).numpy()
    return DCNResult(labels, kmeans.labels_.copy(), centroids.numpy(), history,
                     time.perf_counter() - start)


@dataclass
class DECResult:
    """What :func:`train_dec` returns.

    Attributes
    ----------
    labels : ndarray of shape (n_samples,)
        Most probable cluster of each sample after training.
    initial_labels : ndarray of shape (n_samples,)
        Where DEC started: k-means labels on the initial codes, or the
        ``initial_labels`` passed in.
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
    initial_labels: Any = None,
    cluster_weight: float = 0.1,
    epochs: int = 20,
    batch_size: int = 256,
    update_interval: int = 140,
    tol: float = 0.001,
    learning_rate: float = 1e-3,
    alpha: float = 1.0,
    n_init: int = 20,
    random_state: int = 0,
    verbose: bool = False,
) -> DECResult:
    """Fine-tune a pretrained encoder with DEC's self-training objective (IDEC with a decoder).

    Centroids start from k-means on the encoder's codes, or from the mean code of each
    cluster of ``initial_labels``. Every ``update_interval`` batches the soft
    assignments ``q`` of all samples are recomputed
    (:func:`~clustering_lib.losses.student_t_assignments`) and sharpened into targets
    ``p`` (:func:`~clustering_lib.losses.target_distribution`); training stops when fewer
    than ``tol`` of the labels changed since the previous update. Between updates
    Adam minimises ``KL(p || q)`` (:func:`~clustering_lib.losses.kl_divergence`) over
    the encoder and the centroids; with ``decoder`` the loss is ``reconstruction MSE +
    cluster_weight * KL`` (IDEC), which keeps the codes faithful to the inputs.

    Parameters
    ----------
    encoder : keras.Model
        Pretrained, maps ``inputs`` to codes.
    inputs : array-like of shape (n_samples, ...)
    n_clusters : int, default=10
    decoder : keras.Model, optional
        Maps codes back to ``inputs``; given, the objective is IDEC's.
    initial_labels : array-like of int, shape (n_samples,), optional
        A partition to start from (every cluster ``0 .. n_clusters - 1`` non-empty)
        instead of k-means on the codes.
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
        k-means restarts for the initial centroids (unused with ``initial_labels``).
    random_state : int, default=0
    verbose : bool, default=False
        Print one line per epoch.
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
    codes = embed(encoder, inputs)
    if initial_labels is None:
        kmeans = KMeans(n_clusters, n_init=n_init, random_state=random_state).fit(codes)
        start_labels, start_centroids = kmeans.labels_.copy(), kmeans.cluster_centers_
    else:
        start_labels = _check_initial_labels(initial_labels, n_samples, n_clusters)
        start_centroids = cluster_means(codes, start_labels, n_clusters).numpy()
    centroids = tf.Variable(np.asarray(start_centroids, np.float32), name="centroids")
    variables = list(encoder.trainable_variables) + [centroids]
    if decoder is not None:
        variables += list(decoder.trainable_variables)
    optimizer = keras.optimizers.Adam(learning_rate)

    @tf.function(reduce_retracing=True)
    def train_step(batch, targets):
        with tf.GradientTape() as tape:
            codes = encoder(batch, training=True)
            kl = kl_divergence(targets, student_t_assignments(codes, centroids, alpha))
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
    labels = start_labels.copy()
    history: dict[str, list[float]] = {"kl": [], "reconstruction": [], "changed": []}
    targets = None
    changed = 1.0
    converged = False
    step = 0
    for epoch in range(1, epochs + 1):
        totals = []
        for rows in _shuffled_batches(rng, n_samples, batch_size):
            if step % update_interval == 0:
                q = soft_assignments()
                targets = target_distribution(q).numpy()
                new_labels = q.argmax(axis=1)
                changed = float(np.mean(new_labels != labels))
                labels = new_labels
                if step > 0 and changed < tol:
                    converged = True
                    break
            totals.append(train_step(tf.constant(inputs[rows]), tf.constant(targets[rows])))
            step += 1
        if totals:  # an epoch that stopped before its first batch trained nothing
            means = tf.reduce_mean(tf.stack(totals), axis=0).numpy()
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
    return DECResult(labels, start_labels, centroids.numpy(), history, converged,
                     time.perf_counter() - start)


def _check_initial_labels(labels: Any, n_samples: int, n_clusters: int) -> np.ndarray:
    """``labels`` as an int array of shape (n_samples,), every cluster non-empty."""
    array = np.asarray(labels)
    if array.shape != (n_samples,):
        raise ValueError(f"initial_labels must have shape ({n_samples},), got {array.shape}.")
    if array.dtype.kind not in "iu":
        raise TypeError(f"initial_labels must be integers, got dtype {array.dtype}.")
    if array.min() < 0 or array.max() >= n_clusters:
        raise ValueError(f"initial_labels must lie in [0, {n_clusters}), got values from "
                         f"{array.min()} to {array.max()}.")
    if len(np.unique(array)) != n_clusters:
        raise ValueError(f"initial_labels must use each of the {n_clusters} clusters.")
    return array.astype(np.int64)
