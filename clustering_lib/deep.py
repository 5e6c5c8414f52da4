"""Deep clustering: neural embeddings trained for k-means, and the methods that work.

- :func:`small_cnn` and :class:`KMeansEmbeddingModel`: the experiment of the blog post
  "How not to reduce dimensionality for clustering"
  (https://gravila.dev/how-not-to-reduce-dimensionality-for-clustering/), a small CNN
  whose 3-D output is trained with k-means itself as the loss (batch k-means from
  carried-over centroids, then :func:`~clustering_lib.losses.kmeans_loss`);
- :func:`cnn_autoencoder` and :func:`dense_autoencoder`: the same CNN with a decoder, and
  the 784-500-500-2000-10 autoencoder of DEC and IDEC;
- :class:`DCNModel`: DCN ("Towards K-means-friendly Spaces: Simultaneous Deep Learning
  and Clustering", Yang et al., 2017, https://arxiv.org/abs/1610.04794), an
  autoencoder's reconstruction loss plus the k-means loss of its codes, with the
  centroids updated in alternation with the network;
- :class:`DECModel` and :class:`DECTargetUpdate`: DEC ("Unsupervised Deep Embedding for
  Clustering Analysis", Xie et al., 2016, https://arxiv.org/abs/1511.06335) and, given
  the decoder, IDEC ("Improved Deep Embedded Clustering with Local Structure
  Preservation", Guo et al., 2017, https://www.ijcai.org/proceedings/2017/243): Student's
  t soft assignments sharpened into targets, trained jointly with the reconstruction loss.

The three models are ``keras.Model`` subclasses whose ``train_step`` computes the loss
(:mod:`~clustering_lib.losses`), trained by :meth:`keras.Model.fit` with Keras callbacks
(``EarlyStopping(restore_best_weights=True)`` restores their centroids with the network).
:func:`train_kmeans_embedding`, :func:`train_dcn` and :func:`train_dec` wrap them for
NumPy arrays: batches reshuffled every epoch by NumPy's ``random_state``, nothing printed
unless ``verbose`` (then one line per epoch), a small result object with the per-epoch
history.
"""

from __future__ import annotations

import math
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from ._kmeans import KMeans
from .core._kernels import cluster_counts_and_sums
from .core._minibatch import move_centers
from .losses import (
    batch_kmeans,
    cluster_means,
    combine_kmeans_terms,
    kl_divergence,
    kmeans_loss_terms,
    nearest_centroids,
    student_t_assignments,
    target_distribution,
)
from .metrics import cluster_accuracy

__all__ = [
    "DCNModel",
    "DCNResult",
    "DECModel",
    "DECResult",
    "DECTargetUpdate",
    "KMeansEmbeddingModel",
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
    """Checks of ``fit``'s arguments (``n_clusters`` is checked by the model)."""
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}.")
    if batch_size < n_clusters:
        raise ValueError(f"batch_size ({batch_size}) must be at least n_clusters ({n_clusters}).")
    if batch_size > n_samples:
        raise ValueError(f"batch_size ({batch_size}) exceeds the number of samples "
                         f"({n_samples}).")


_FORWARD_PASSES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _forward_pass(model: keras.Model) -> Callable[[tf.Tensor], tf.Tensor]:
    """The model's inference-mode call as one graph, traced once per model (and once more
    for a last, shorter batch), kept as long as the model lives."""
    if model not in _FORWARD_PASSES:
        _FORWARD_PASSES[model] = tf.function(
            lambda batch: model(batch, training=False), reduce_retracing=True)
    return _FORWARD_PASSES[model]


def embed(model: keras.Model, inputs: Any, batch_size: int = 2000) -> np.ndarray:
    """The model's outputs for all ``inputs``, computed in batches (inference mode)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    inputs = _as_inputs(inputs)
    forward = _forward_pass(model)
    outputs = [forward(tf.constant(inputs[start:start + batch_size]))
               for start in range(0, len(inputs), batch_size)]
    return tf.concat(outputs, axis=0).numpy()


# --------------------------------------------------------------------------- training plumbing


def _shuffled_batches(rng: np.random.Generator, n_samples: int, batch_size: int):
    """Index arrays of the full batches of one shuffled pass (a last partial batch dropped)."""
    order = rng.permutation(n_samples)
    return [order[start:start + batch_size]
            for start in range(0, n_samples - batch_size + 1, batch_size)]


def _batches(inputs: np.ndarray, batch_size: int, random_state: int,
             with_rows: bool = False) -> tf.data.Dataset:
    """Endless full batches of ``inputs``, reshuffled every pass by NumPy's ``random_state``.

    Step ``i`` of an iterator reads batch ``i % steps`` of pass ``i // steps``; every
    iterator starts the same sequence again. With ``with_rows`` each element is
    ``(batch, row_indices)``.
    """
    steps = len(inputs) // batch_size
    state: dict[str, Any] = {}

    def batch(step):
        epoch, index = divmod(int(step), steps)
        if index == 0:  # the next pass: draw its order (from the seed again at pass 0)
            if epoch == 0:
                state["rng"] = np.random.default_rng(random_state)
            state["rows"] = _shuffled_batches(state["rng"], len(inputs), batch_size)
        rows = state["rows"][index]
        return inputs[rows], rows

    def read(step):
        images, rows = tf.numpy_function(batch, [step], (tf.float32, tf.int64))
        images.set_shape((batch_size, *inputs.shape[1:]))
        rows.set_shape((batch_size,))
        return (images, rows) if with_rows else images

    return tf.data.Dataset.counter().map(read).prefetch(2)


class _RootMean(keras.metrics.Mean):
    """The square root of the running mean (a root mean square, given squares)."""

    def result(self):
        return tf.sqrt(super().result())


class _EpochLine(keras.callbacks.Callback):
    """One line per epoch (the model's metrics first, then what other callbacks logged)."""

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        names = [metric.name for metric in self.model.metrics]
        names += sorted(set(logs) - set(names))
        values = "  ".join(f"{name} {logs[name]:.4g}" for name in names if name in logs)
        print(f"epoch {epoch + 1:3d}/{self.params['epochs']}  {values}  "
              f"({time.perf_counter() - self._start:.0f} s)", flush=True)


class _FiniteLoss(keras.callbacks.Callback):
    """Raise ``FloatingPointError`` at the end of an epoch whose mean loss is not finite."""

    def on_epoch_end(self, epoch, logs=None):
        if not np.isfinite(logs["loss"]):
            raise FloatingPointError(f"the loss became {logs['loss']} in epoch {epoch + 1}.")


class _ClusteringModel(keras.Model):
    """What the three models share: their metrics, one optimiser step, ``fit`` as used here."""

    def __init__(self, n_clusters: int, trackers: Sequence[keras.metrics.Metric],
                 **kwargs: Any) -> None:
        if isinstance(n_clusters, bool) or not isinstance(n_clusters, (int, np.integer)) \
                or n_clusters < 2:
            raise ValueError(f"n_clusters must be an integer of at least 2, got {n_clusters!r}.")
        super().__init__(**kwargs)
        self.n_clusters = int(n_clusters)
        self._trackers = list(trackers)

    @property
    def metrics(self):
        return self._trackers

    def compile(self, optimizer: Any = "adam", **kwargs: Any) -> None:
        """:meth:`keras.Model.compile`, without XLA unless asked for, the optimiser built.

        ``batch_kmeans`` has dynamic shapes, hence no XLA; an optimiser built here creates
        no variables while ``fit`` traces, so the training step is traced once, not twice.
        """
        kwargs.setdefault("jit_compile", False)
        super().compile(optimizer=optimizer, **kwargs)
        self.optimizer.build(self.trainable_variables)

    def start_from(self, inputs: Any, initial_labels: Any = None, n_init: int = 10,
                   random_state: int = 0) -> np.ndarray:
        """Set the centroids from k-means on the codes of ``inputs`` (``n_init`` restarts),
        or to the mean code of each cluster of ``initial_labels``; return the labels."""
        inputs = _as_inputs(inputs)
        codes = embed(self.encoder, inputs)
        if initial_labels is None:
            kmeans = KMeans(self.n_clusters, n_init=n_init, random_state=random_state).fit(codes)
            labels, centroids = kmeans.labels_.copy(), kmeans.cluster_centers_
        else:
            labels = _check_initial_labels(initial_labels, len(inputs), self.n_clusters)
            centroids = cluster_means(codes, labels, self.n_clusters).numpy()
        self.centroids.assign(np.asarray(centroids, np.float32))
        return labels

    def _minimize(self, tape: tf.GradientTape, loss: tf.Tensor) -> None:
        variables = self.trainable_variables
        self.optimizer.apply(tape.gradient(loss, variables), variables)

    def _report(self, **values: tf.Tensor) -> dict[str, tf.Tensor]:
        for metric in self._trackers:
            metric.update_state(values[metric.name])
        return {metric.name: metric.result() for metric in self._trackers}

    def _train(self, inputs: np.ndarray, *, epochs: int, batch_size: int, learning_rate: float,
               random_state: int, callbacks: Sequence[keras.callbacks.Callback],
               verbose: bool, with_rows: bool = False) -> dict[str, list[float]]:
        """Adam and :meth:`fit` over reshuffled full batches; the history as plain lists.

        A loss that is not finite at the end of an epoch raises ``FloatingPointError``.
        """
        self.compile(optimizer=keras.optimizers.Adam(learning_rate))
        history = self.fit(
            _batches(inputs, batch_size, random_state, with_rows), epochs=epochs,
            steps_per_epoch=len(inputs) // batch_size, shuffle=False, verbose=0,
            callbacks=[_FiniteLoss(), *callbacks, *([_EpochLine()] if verbose else [])])
        return {key: [float(value) for value in values]
                for key, values in history.history.items()}


def _check_weight(value: Any, name: str, positive: bool = False) -> float:
    """``value`` as a float, checked to be non-negative (or positive)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
            or not (value > 0 if positive else value >= 0):
        raise ValueError(f"{name} must be a {'positive' if positive else 'non-negative'} "
                         f"number, got {value!r}.")
    return float(value)


def _output_dim(encoder: keras.Model) -> int:
    outputs = getattr(encoder, "outputs", None)
    if not outputs or outputs[0].shape[-1] is None:
        raise ValueError("encoder must be a built Keras model with a known output size "
                         "(give it a keras.Input).")
    return int(outputs[0].shape[-1])


# --------------------------------------------------------------------------- the blog post


class KMeansEmbeddingModel(_ClusteringModel):
    """A network trained with k-means as its loss, as the blog post does.

    Each training step embeds the batch, runs up to ``kmeans_steps`` Lloyd steps from
    the carried-over centroids (:func:`~clustering_lib.losses.batch_kmeans`; the first
    batch's first ``n_clusters`` embeddings seed them while :attr:`centroids` is NaN, as
    they are until :meth:`start_from` sets them),
    takes a gradient step on ``within + between_weight / between``
    (:func:`~clustering_lib.losses.kmeans_loss_terms`) and carries the new centroids
    over. The centroids are a non-trainable weight, so
    ``keras.callbacks.EarlyStopping(restore_best_weights=True)`` restores them with the
    network. Metrics (means over the epoch's batches): ``loss``, ``within``,
    ``between`` and ``scale`` (root mean square length of the embeddings).

    Parameters
    ----------
    encoder : keras.Model
        Built; maps inputs to embeddings of shape (batch, dim).
    n_clusters : int, default=10
        Every batch must hold at least this many samples.
    kmeans_steps : int, default=50
        Lloyd steps per batch (fewer when the labels stop changing).
    between_weight : float, default=1.0
        Weight of the reciprocal between-cluster term.
    centroid_gradient : bool, default=True
        Differentiate through the centroids (the batch means of the embeddings,
        :func:`~clustering_lib.losses.cluster_means`), as the post's code does; False
        treats them as constants.
    """

    def __init__(self, encoder: keras.Model, n_clusters: int = 10, *, kmeans_steps: int = 50,
                 between_weight: float = 1.0, centroid_gradient: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(n_clusters, [keras.metrics.Mean(name="loss"),
                                      keras.metrics.Mean(name="within"),
                                      keras.metrics.Mean(name="between"),
                                      _RootMean(name="scale")], **kwargs)
        if isinstance(kmeans_steps, bool) or not isinstance(kmeans_steps, int) \
                or kmeans_steps < 1:
            raise ValueError(f"kmeans_steps must be a positive integer, got {kmeans_steps!r}.")
        self.encoder = encoder
        self.kmeans_steps = kmeans_steps
        self.between_weight = _check_weight(between_weight, "between_weight")
        self.centroid_gradient = centroid_gradient
        self.centroids = self.add_weight(
            shape=(n_clusters, _output_dim(encoder)), trainable=False,
            initializer=keras.initializers.Constant(float("nan")), name="centroids")
        self.built = True

    def call(self, inputs, training=False):
        return self.encoder(inputs, training=training)

    def train_step(self, data):
        batch, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        carried = tf.cond(
            tf.reduce_any(tf.math.is_nan(self.centroids)),
            lambda: tf.cast(self.encoder(batch[:self.n_clusters], training=False), tf.float32),
            lambda: tf.convert_to_tensor(self.centroids))
        carried = tf.ensure_shape(carried, self.centroids.shape)
        with tf.GradientTape() as tape:
            embeddings = tf.cast(self.encoder(batch, training=True), tf.float32)
            centers, labels = batch_kmeans(embeddings, carried, self.kmeans_steps)
            if self.centroid_gradient:
                centers_used = cluster_means(embeddings, labels, self.n_clusters,
                                             tf.stop_gradient(centers))
            else:
                centers_used = centers
            within, between = kmeans_loss_terms(
                embeddings, centers_used, labels,
                stop_centroid_gradient=not self.centroid_gradient)
            loss = combine_kmeans_terms(within, between, self.between_weight)
        self._minimize(tape, loss)
        self.centroids.assign(centers)
        scale = tf.reduce_mean(tf.reduce_sum(tf.square(embeddings), axis=1))
        return self._report(loss=loss, within=within, between=between, scale=scale)


class _Monitor(keras.callbacks.Callback):
    """Log ``monitor(encoder, centroids)`` at the end of every epoch."""

    def __init__(self, monitor: Callable[[keras.Model, np.ndarray], dict[str, float]]) -> None:
        super().__init__()
        self.monitor = monitor

    def on_epoch_end(self, epoch, logs=None):
        for key, value in self.monitor(self.model.encoder, self.model.centroids.numpy()).items():
            if key in logs:
                raise ValueError(f"monitor returned the key {key!r}, which the history "
                                 "already uses; choose another name.")
            logs[key] = float(value)


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
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: bool = False,
) -> KMeansEmbeddingResult:
    """Train ``model`` with k-means as its loss, as the blog post does.

    :class:`KMeansEmbeddingModel` around ``model``, trained by :meth:`keras.Model.fit`
    with Adam and ``keras.callbacks.EarlyStopping`` on the epoch loss (``patience``,
    restoring the best weights and their centroids). Batches are reshuffled every epoch
    (NumPy's generator seeded by ``random_state``); a last incomplete batch is dropped.

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
    kmeans_steps, between_weight, centroid_gradient
        See :class:`KMeansEmbeddingModel`.
    random_state : int, default=0
        Seeds the shuffling.
    monitor : callable, optional
        Called after every epoch as ``monitor(model, centroids)``; the floats of the
        dict it returns are appended to ``history`` under their keys (for example the
        clustering accuracy, to watch it while the loss falls). The keys must differ
        from the four built-in ones, or ``ValueError`` is raised.
    callbacks : sequence of keras.callbacks.Callback, optional
        More callbacks for ``fit``, after the monitor and early stopping.
    verbose : bool, default=False
        Print one line per epoch.
    """
    start = time.perf_counter()
    images = _as_inputs(images, "images")
    trainer = KMeansEmbeddingModel(model, n_clusters, kmeans_steps=kmeans_steps,
                                   between_weight=between_weight,
                                   centroid_gradient=centroid_gradient)
    _check_training(len(images), n_clusters, epochs, batch_size)
    if patience < 1:
        raise ValueError(f"patience must be at least 1, got {patience!r}.")
    stopping = keras.callbacks.EarlyStopping("loss", patience=patience, mode="min",
                                             restore_best_weights=True)
    callbacks = [*([_Monitor(monitor)] if monitor else []), stopping, *callbacks]
    history = trainer._train(images, epochs=epochs, batch_size=batch_size,
                             learning_rate=learning_rate, random_state=random_state,
                             callbacks=callbacks, verbose=verbose)
    return KMeansEmbeddingResult(trainer.centroids.numpy(), history, stopping.best_epoch + 1,
                                 time.perf_counter() - start)


# --------------------------------------------------------------------------- DCN


class DCNModel(_ClusteringModel):
    """DCN (Yang et al., 2017): an autoencoder's loss plus the k-means loss of its codes.

    Each training step, in alternation: (1) a gradient step on ``reconstruction MSE +
    cluster_weight / 2 * mean ||code - its centroid||^2`` over encoder and decoder, with
    the assignments and centroids held fixed; (2) the batch's codes, recomputed, are
    assigned to their nearest centroids, and each centroid moves to the running mean of
    all the codes ever assigned to it (DCN's step size 1 / count). Centroids and counts
    are non-trainable weights (restored by ``EarlyStopping(restore_best_weights=True)``);
    :meth:`start_from` sets them. Metrics: ``loss``, ``reconstruction`` and
    ``kmeans`` (mean squared distance of each code to its centroid).

    Parameters
    ----------
    encoder, decoder : keras.Model
        A pretrained autoencoder's halves (built): ``decoder(encoder(x))`` approximates x.
    n_clusters : int, default=10
    cluster_weight : float, default=1.0
        DCN's lambda (0 turns the k-means term off: the control).
    """

    def __init__(self, encoder: keras.Model, decoder: keras.Model, n_clusters: int = 10, *,
                 cluster_weight: float = 1.0, **kwargs: Any) -> None:
        super().__init__(n_clusters, [keras.metrics.Mean(name=name)
                                      for name in ("loss", "reconstruction", "kmeans")],
                         **kwargs)
        self.encoder, self.decoder = encoder, decoder
        self.cluster_weight = _check_weight(cluster_weight, "cluster_weight")
        code_dim = _output_dim(encoder)
        self.centroids = self.add_weight(shape=(n_clusters, code_dim), trainable=False,
                                         initializer="zeros", name="centroids")
        self.counts = self.add_weight(shape=(n_clusters,), trainable=False,
                                      initializer="zeros", name="counts", dtype="float64")
        self.built = True

    def call(self, inputs, training=False):
        return self.encoder(inputs, training=training)

    def start_from(self, inputs: Any, initial_labels: Any = None, n_init: int = 10,
                   random_state: int = 0) -> np.ndarray:
        """Set the centroids from k-means on the codes of ``inputs`` (``n_init`` restarts),
        or to the mean code of each cluster of ``initial_labels``, and the counts of the
        running means to the cluster sizes; return the labels."""
        labels = super().start_from(inputs, initial_labels, n_init, random_state)
        self.counts.assign(np.bincount(labels, minlength=self.n_clusters).astype(np.float64))
        return labels

    def train_step(self, data):
        batch, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            codes = tf.cast(self.encoder(batch, training=True), tf.float32)
            own = tf.gather(self.centroids,
                            nearest_centroids(tf.stop_gradient(codes), self.centroids))
            distance = tf.reduce_mean(tf.reduce_sum(tf.square(codes - own), axis=1))
            reconstruction = tf.reduce_mean(
                tf.square(self.decoder(codes, training=True) - batch))
            loss = reconstruction + self.cluster_weight / 2.0 * distance
        self._minimize(tape, loss)
        codes = tf.cast(self.encoder(batch, training=False), tf.float32)
        labels = nearest_centroids(codes, self.centroids)
        # The running mean of each cluster, as mini-batch k-means moves its centres.
        sums = cluster_counts_and_sums(codes, tf.ones_like(labels, tf.bool), labels,
                                       self.n_clusters)
        centroids, counts = move_centers(tf.cast(self.centroids, tf.float64), self.counts,
                                         sums[:, :-1], sums[:, -1])
        self.centroids.assign(tf.cast(centroids, self.centroids.dtype))
        self.counts.assign(counts)
        return self._report(loss=loss, reconstruction=reconstruction, kmeans=distance)


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
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: bool = False,
) -> DCNResult:
    """Fine-tune a pretrained autoencoder with DCN's objective (Yang et al., 2017).

    :class:`DCNModel` started from k-means on the encoder's codes
    (:meth:`DCNModel.start_from`), trained by :meth:`keras.Model.fit` with Adam
    over batches reshuffled every epoch. With ``cluster_weight=0`` the same loop only
    trains the autoencoder further: the control without the k-means term.

    Parameters
    ----------
    encoder, decoder : keras.Model
        A pretrained autoencoder's halves: ``decoder(encoder(x))`` approximates ``x``.
    inputs : array-like of shape (n_samples, ...)
    n_clusters : int, default=10
    cluster_weight : float, default=1.0
        See :class:`DCNModel`.
    epochs : int, default=10
    batch_size : int, default=256
    learning_rate : float, default=1e-3
    n_init : int, default=10
        k-means restarts for the initial centroids.
    random_state : int, default=0
        Seeds the initial k-means and the shuffling.
    callbacks : sequence of keras.callbacks.Callback, optional
        Passed to ``fit`` (for example ``EarlyStopping(restore_best_weights=True)``).
    verbose : bool, default=False
        Print one line per epoch.
    """
    start = time.perf_counter()
    inputs = _as_inputs(inputs)
    trainer = DCNModel(encoder, decoder, n_clusters, cluster_weight=cluster_weight)
    _check_training(len(inputs), n_clusters, epochs, batch_size)
    initial_labels = trainer.start_from(inputs, n_init=n_init, random_state=random_state)
    history = trainer._train(inputs, epochs=epochs, batch_size=batch_size,
                             learning_rate=learning_rate, random_state=random_state,
                             callbacks=callbacks, verbose=verbose)
    labels = nearest_centroids(embed(encoder, inputs), trainer.centroids).numpy()
    return DCNResult(labels, initial_labels, trainer.centroids.numpy(), history,
                     time.perf_counter() - start)


# --------------------------------------------------------------------------- DEC / IDEC


class DECModel(_ClusteringModel):
    """DEC (Xie et al., 2016), or IDEC (Guo et al., 2017) given a decoder.

    ``model(x)`` gives the soft assignments ``q`` of the codes to the centroids
    (:func:`~clustering_lib.losses.student_t_assignments`). Training reads batches
    ``(x, row)``, each sample with its row index, and minimises ``KL(p || q)``
    (:func:`~clustering_lib.losses.kl_divergence`) over the encoder and the centroids,
    with the targets ``p`` of those rows taken from :attr:`targets`, which
    :class:`DECTargetUpdate` refreshes; with ``decoder`` the loss is
    ``reconstruction MSE + cluster_weight * KL`` (IDEC), which keeps the codes faithful
    to the inputs. The centroids are a trainable weight (restored with the network by
    ``EarlyStopping(restore_best_weights=True)``); ``start_from(inputs, initial_labels=None,
    n_init=10, random_state=0)`` sets them from k-means on the codes, or to the mean code
    of each cluster of ``initial_labels``, and returns the labels.
    Metrics: ``loss``, ``kl`` and ``reconstruction`` (0 without a decoder).

    Parameters
    ----------
    encoder : keras.Model
        Pretrained and built, maps inputs to codes.
    n_clusters : int, default=10
    decoder : keras.Model, optional
    cluster_weight : float, default=0.1
        IDEC's gamma (ignored without a decoder).
    alpha : float, default=1.0
        Degrees of freedom of the Student's t kernel.
    """

    def __init__(self, encoder: keras.Model, n_clusters: int = 10, *,
                 decoder: keras.Model | None = None, cluster_weight: float = 0.1,
                 alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(n_clusters, [keras.metrics.Mean(name=name)
                                      for name in ("loss", "kl", "reconstruction")], **kwargs)
        self.encoder, self.decoder = encoder, decoder
        self.cluster_weight = _check_weight(cluster_weight, "cluster_weight", positive=True)
        self.alpha = _check_weight(alpha, "alpha", positive=True)
        self.centroids = self.add_weight(
            shape=(n_clusters, _output_dim(encoder)),
            initializer="glorot_uniform", name="centroids")
        # Training state, not a weight: one row of targets per training sample.
        self.targets = tf.Variable(tf.zeros((0, n_clusters)), trainable=False,
                                   shape=tf.TensorShape([None, n_clusters]), name="targets")
        self.built = True

    def call(self, inputs, training=False):
        return student_t_assignments(self.encoder(inputs, training=training), self.centroids,
                                     self.alpha)

    def train_step(self, data):
        batch, rows, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            codes = self.encoder(batch, training=True)
            kl = kl_divergence(tf.gather(self.targets, rows),
                               student_t_assignments(codes, self.centroids, self.alpha))
            if self.decoder is None:
                reconstruction = tf.constant(0.0)
                loss = kl
            else:
                reconstruction = tf.reduce_mean(
                    tf.square(self.decoder(codes, training=True) - batch))
                loss = reconstruction + self.cluster_weight * kl
        self._minimize(tape, loss)
        return self._report(loss=loss, kl=kl, reconstruction=reconstruction)


class DECTargetUpdate(keras.callbacks.Callback):
    """Refresh a :class:`DECModel`'s targets every ``update_interval`` steps; stop at ``tol``.

    At the start of training and then every ``update_interval`` training steps (but not
    after the last one), the soft assignments ``q`` of all ``inputs`` are recomputed
    (``model.predict``, compiled) and sharpened into the targets ``p``
    (:func:`~clustering_lib.losses.target_distribution`); training stops before the
    next step when fewer than ``tol`` of the labels (argmax of ``q``) changed since the
    previous update. Logged every epoch: ``changed`` (the fraction at the most recent
    update) and, given ``true_labels``, ``accuracy`` (:func:`cluster_accuracy` of the
    labels at the most recent update).

    Attributes
    ----------
    labels : ndarray
        The labels at the most recent update.
    initial_accuracy : float or None
        The accuracy of the labels DEC starts from (the first update), given
        ``true_labels``.
    converged : bool
    """

    def __init__(self, inputs: Any, update_interval: int = 140, tol: float = 0.001, *,
                 initial_labels: Any = None, true_labels: Any = None,
                 batch_size: int = 2000) -> None:
        super().__init__()
        if update_interval < 1:
            raise ValueError(f"update_interval must be at least 1, got {update_interval}.")
        if not 0 <= tol < 1:
            raise ValueError(f"tol must lie in [0, 1), got {tol}.")
        self.inputs = _as_inputs(inputs)
        self.update_interval, self.tol, self.batch_size = update_interval, tol, batch_size
        self.initial_labels = None if initial_labels is None else np.asarray(initial_labels)
        self.true_labels = None if true_labels is None else np.asarray(true_labels)
        if self.true_labels is not None and self.true_labels.shape != (len(self.inputs),):
            raise ValueError(f"true_labels must have shape ({len(self.inputs)},), got "
                             f"{self.true_labels.shape}.")

    def on_train_begin(self, logs=None):
        self.labels = self.initial_labels
        self.step, self.converged, self.initial_accuracy = 0, False, None
        self._update()
        self.initial_accuracy = self.accuracy

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        last = self.params.get("epochs", 0) * (self.params.get("steps") or 0)
        if self.step % self.update_interval == 0 and self.step != last:
            self._update()
            if self.changed < self.tol:
                self.converged = True
                self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        logs["changed"] = self.changed
        if self.true_labels is not None:
            logs["accuracy"] = self.accuracy

    def _update(self) -> None:
        q = self.model.predict(self.inputs, batch_size=self.batch_size, verbose=0)
        self.model.targets.assign(target_distribution(q))
        labels = q.argmax(axis=1)
        self.changed = 1.0 if self.labels is None else float(np.mean(labels != self.labels))
        self.labels = labels
        self.accuracy = (None if self.true_labels is None
                         else cluster_accuracy(self.true_labels, labels))


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
        Per epoch that trained: ``loss``, ``kl`` and ``reconstruction`` (batch means; 0
        without a decoder), ``changed`` (fraction of labels that changed at the most
        recent target update up to the end of that epoch) and, given ``true_labels``,
        ``accuracy`` (of the labels at that update).
    converged : bool
        Whether training stopped because fewer than ``tol`` of the labels changed.
    seconds : float
    initial_accuracy : float or None
        Given ``true_labels``: the accuracy of the partition DEC starts from (the most
        probable cluster of each sample under the starting centroids).
    """

    labels: np.ndarray
    initial_labels: np.ndarray
    centroids: np.ndarray
    history: dict[str, list[float]] = field(default_factory=dict)
    converged: bool = False
    seconds: float = 0.0
    initial_accuracy: float | None = None


def train_dec(
    encoder: keras.Model,
    inputs: Any,
    n_clusters: int = 10,
    *,
    decoder: keras.Model | None = None,
    initial_labels: Any = None,
    true_labels: Any = None,
    cluster_weight: float = 0.1,
    epochs: int = 20,
    batch_size: int = 256,
    update_interval: int = 140,
    tol: float = 0.001,
    learning_rate: float = 1e-3,
    alpha: float = 1.0,
    n_init: int = 20,
    random_state: int = 0,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: bool = False,
) -> DECResult:
    """Fine-tune a pretrained encoder with DEC's self-training objective (IDEC with a decoder).

    :class:`DECModel` started from k-means on the encoder's codes, or from the mean code
    of each cluster of ``initial_labels`` (:meth:`DECModel.start_from`), trained by
    :meth:`keras.Model.fit` with Adam over batches reshuffled every epoch, its targets
    refreshed by :class:`DECTargetUpdate` every ``update_interval`` batches; training
    stops when fewer than ``tol`` of the labels changed since the previous update.

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
    true_labels : array-like of shape (n_samples,), optional
        The classes, only to report the accuracy: at the start
        (``DECResult.initial_accuracy``) and per epoch (``history["accuracy"]``).
    cluster_weight, alpha
        See :class:`DECModel`.
    epochs : int, default=20
        Upper bound on passes over the data.
    batch_size : int, default=256
    update_interval : int, default=140
        Batches between target updates.
    tol : float, default=0.001
    learning_rate : float, default=1e-3
    n_init : int, default=20
        k-means restarts for the initial centroids (unused with ``initial_labels``).
    random_state : int, default=0
    callbacks : sequence of keras.callbacks.Callback, optional
        Passed to ``fit`` after the target update.
    verbose : bool, default=False
        Print one line per epoch.
    """
    start = time.perf_counter()
    inputs = _as_inputs(inputs)
    trainer = DECModel(encoder, n_clusters, decoder=decoder, cluster_weight=cluster_weight,
                       alpha=alpha)
    _check_training(len(inputs), n_clusters, epochs, batch_size)
    update = DECTargetUpdate(inputs, update_interval, tol, true_labels=true_labels)
    update.initial_labels = trainer.start_from(inputs, initial_labels, n_init, random_state)
    history = trainer._train(inputs, epochs=epochs, batch_size=batch_size,
                             learning_rate=learning_rate, random_state=random_state,
                             callbacks=[update, *callbacks], verbose=verbose, with_rows=True)
    if verbose and update.converged:
        print(f"{update.changed:.2%} of the labels changed (below tol = {tol:.2%}): stopped",
              flush=True)
    labels = trainer.predict(inputs, batch_size=2000, verbose=0).argmax(axis=1)
    return DECResult(labels, update.initial_labels, trainer.centroids.numpy(), history,
                     update.converged, time.perf_counter() - start, update.initial_accuracy)


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
