"""Deep clustering: the blog post's CNN, the dense autoencoder, k-means-loss training, DEC/IDEC.

The training tests use tiny Keras models on 2-D blobs (the training functions accept any
model mapping inputs to embeddings), so that the whole file runs in seconds on a CPU.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import clustering_lib as cl
from clustering_course.reproducibility import seed_everything
from clustering_lib import deep

BLOB_CENTERS = np.array([[0.0, 0.0], [8.0, 0.0], [0.0, 8.0]])


def _blobs(n_per_blob=20, scale=0.3, seed=0):
    rng = np.random.default_rng(seed)
    points = np.vstack([rng.normal(c, scale, size=(n_per_blob, 2)) for c in BLOB_CENTERS])
    return points.astype(np.float32), np.repeat(np.arange(3), n_per_blob)


def _identity_model(dim=2, use_bias=True):
    """A Dense layer initialised to the identity: embeddings equal the inputs at first."""
    return keras.Sequential([
        keras.Input((dim,)),
        keras.layers.Dense(dim, use_bias=use_bias, kernel_initializer="identity"),
    ])


def _weights_equal(first, second):
    return len(first) == len(second) and all(
        np.array_equal(a, b) for a, b in zip(first, second, strict=True)
    )


def _assert_same_history(first, second):
    """Equal keys; values equal up to the last bit of float32.

    The weights of two runs are bit-identical, but TensorFlow's inter-op scheduling can
    change the last bit of a reported epoch mean (seen: the DCN loss, 1 ulp, in 3 of 15
    runs, never with one inter-op thread).
    """
    assert first.keys() == second.keys()
    for key in first:
        np.testing.assert_allclose(first[key], second[key], rtol=2e-7, atol=0, err_msg=key)


# --------------------------------------------------------------------------- small_cnn


def test_small_cnn_output_shapes():
    images = np.random.default_rng(0).random((5, 28, 28, 1)).astype(np.float32)
    assert deep.small_cnn()(images).shape == (5, 3)
    assert deep.small_cnn(embedding_dim=10)(images).shape == (5, 10)


def test_small_cnn_layer_sequence_and_parameter_count():
    model = deep.small_cnn()
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense",
                     "Dense"]
    conv1, pool1, conv2, pool2, _, dense1, dense2 = model.layers
    assert (conv1.filters, tuple(conv1.kernel_size)) == (32, (3, 3))
    assert (conv2.filters, tuple(conv2.kernel_size)) == (16, (5, 5))
    assert tuple(pool1.pool_size) == (2, 2) and tuple(pool2.pool_size) == (2, 2)
    assert conv1.activation.__name__ == conv2.activation.__name__ == "relu"
    assert dense1.units == 12 and dense1.activation.__name__ == "relu"
    assert dense2.units == 3 and dense2.activation.__name__ == "linear"
    # 28 -> conv3 26 -> pool 13 -> conv5 9 -> pool 4: 4 * 4 * 16 = 256 features.
    # Parameters: 9*32+32 = 320; 25*32*16+16 = 12816; 256*12+12 = 3084; 12*3+3 = 39.
    assert model.count_params() == 320 + 12816 + 3084 + 39


def test_small_cnn_normalize_gives_unit_length_embeddings():
    images = np.random.default_rng(1).random((6, 28, 28, 1)).astype(np.float32)
    model = deep.small_cnn(embedding_dim=4, normalize=True)
    assert type(model.layers[-1]).__name__ == "UnitNormalization"
    np.testing.assert_allclose(np.linalg.norm(model(images).numpy(), axis=1), 1.0, rtol=1e-5)


def test_small_cnn_custom_input_shape():
    model = deep.small_cnn(embedding_dim=2, input_shape=(32, 32, 3))
    assert model(np.zeros((2, 32, 32, 3), np.float32)).shape == (2, 2)


@pytest.mark.parametrize("dim", [0, -1])
def test_small_cnn_rejects_a_non_positive_embedding_dim(dim):
    with pytest.raises(ValueError, match="embedding_dim"):
        deep.small_cnn(embedding_dim=dim)


# --------------------------------------------------------------------------- autoencoder


def test_dense_autoencoder_shapes_layers_and_composition():
    encoder, decoder, autoencoder = deep.dense_autoencoder(input_dim=20, code_dim=2, hidden=(16, 8))
    x = np.random.default_rng(0).normal(size=(7, 20)).astype(np.float32)
    codes = encoder(x)
    assert codes.shape == (7, 2)
    assert decoder(codes).shape == (7, 20)
    np.testing.assert_allclose(autoencoder(x).numpy(), decoder(codes).numpy(), rtol=1e-6,
                               atol=1e-6)
    dense = [layer for layer in encoder.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [16, 8, 2]
    assert [layer.activation.__name__ for layer in dense] == ["relu", "relu", "linear"]
    dense = [layer for layer in decoder.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [8, 16, 20]
    assert [layer.activation.__name__ for layer in dense] == ["relu", "relu", "linear"]
    # The default is DEC's 784-500-500-2000-10 architecture (no forward pass needed).
    default_encoder, _, _ = deep.dense_autoencoder()
    assert [layer.units for layer in default_encoder.layers
            if isinstance(layer, keras.layers.Dense)] == [500, 500, 2000, 10]


def test_dense_autoencoder_shares_weights():
    encoder, decoder, autoencoder = deep.dense_autoencoder(input_dim=20, code_dim=2, hidden=(16,))
    shared = {id(v) for v in autoencoder.trainable_variables}
    assert shared == {id(v) for v in encoder.trainable_variables + decoder.trainable_variables}
    assert len(autoencoder.trainable_variables) == 8  # 2 + 2 Dense layers, kernel and bias
    x = np.random.default_rng(1).normal(size=(4, 20)).astype(np.float32)
    before = autoencoder(x).numpy()
    encoder.layers[-1].bias.assign(encoder.layers[-1].bias + 1.0)
    after = autoencoder(x).numpy()
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, decoder(encoder(x)).numpy(), rtol=1e-6, atol=1e-6)


def test_dense_autoencoder_input_dropout_acts_only_in_training():
    encoder, decoder, autoencoder = deep.dense_autoencoder(
        input_dim=20, code_dim=2, hidden=(16,), input_dropout=0.5
    )
    x = np.random.default_rng(2).normal(size=(8, 20)).astype(np.float32)
    clean = decoder(encoder(x)).numpy()
    np.testing.assert_allclose(autoencoder(x, training=False).numpy(), clean, rtol=1e-6,
                               atol=1e-6)
    assert not np.allclose(autoencoder(x, training=True).numpy(), clean)


@pytest.mark.parametrize(
    "kwargs",
    [{"input_dim": 0}, {"code_dim": 0}, {"hidden": (16, 0)}, {"input_dropout": 1.0},
     {"input_dropout": -0.1}],
)
def test_dense_autoencoder_rejects_bad_sizes(kwargs):
    with pytest.raises(ValueError):
        deep.dense_autoencoder(**{"input_dim": 20, "code_dim": 2, "hidden": (16,), **kwargs})


def test_cnn_autoencoder_encoder_is_the_small_cnn_and_decoder_rebuilds_the_input_shape():
    encoder, decoder, autoencoder = deep.cnn_autoencoder(code_dim=3, decoder_hidden=(32,))
    reference = deep.small_cnn(3)
    assert [type(layer).__name__ for layer in encoder.layers] == \
        [type(layer).__name__ for layer in reference.layers]
    assert encoder.count_params() == reference.count_params()
    dense = [layer for layer in decoder.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [32, 784]
    images = np.random.default_rng(0).random((4, 28, 28, 1)).astype(np.float32)
    codes = encoder(images)
    assert codes.shape == (4, 3) and decoder(codes).shape == (4, 28, 28, 1)
    np.testing.assert_allclose(autoencoder(images).numpy(), decoder(codes).numpy(), rtol=1e-6,
                               atol=1e-6)
    shared = {id(v) for v in autoencoder.trainable_variables}
    assert shared == {id(v) for v in encoder.trainable_variables + decoder.trainable_variables}


def test_cnn_autoencoder_rejects_bad_sizes():
    with pytest.raises(ValueError, match="embedding_dim"):
        deep.cnn_autoencoder(code_dim=0)
    with pytest.raises(ValueError, match="decoder_hidden"):
        deep.cnn_autoencoder(decoder_hidden=(16, 0))


# --------------------------------------------------------------------------- embed


def test_embed_in_batches_equals_one_call():
    seed_everything(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dense(2)])
    x = np.random.default_rng(3).normal(size=(10, 3))  # float64: embed casts to float32
    expected = model(x.astype(np.float32)).numpy()
    for batch_size in (3, 10, 64):
        result = deep.embed(model, x, batch_size=batch_size)
        assert isinstance(result, np.ndarray) and result.shape == (10, 2)
        np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-6)


def test_embed_compiles_the_forward_pass_once_per_model_for_any_number_of_rows():
    seed_everything(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    rng = np.random.default_rng(4)
    for n_rows in (10, 7, 25, 3):
        x = rng.normal(size=(n_rows, 3)).astype(np.float32)
        np.testing.assert_array_equal(deep.embed(model, x, batch_size=8),
                                      deep.embed(model, x, batch_size=8))
    # one trace for full batches, one more once a shorter batch relaxes the shape
    assert deep._forward_pass(model).experimental_get_tracing_count() <= 2


def test_embed_rejects_bad_inputs():
    model = _identity_model()
    with pytest.raises(ValueError, match="inputs"):
        deep.embed(model, np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="inputs"):
        deep.embed(model, np.array([[0.0, np.nan]]))
    with pytest.raises(TypeError, match="inputs"):
        deep.embed(model, np.array([["a", "b"]]))
    for bad_batch in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="batch_size"):
            deep.embed(model, np.zeros((4, 2), np.float32), batch_size=bad_batch)


# --------------------------------------------------------------------------- k-means loss


def _square_blobs():
    """12 integer points, 4 around each blob centre at (+-1, +-1): every sum is exact."""
    offsets = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    centers = np.array([[0.0, 0.0], [20.0, 0.0], [0.0, 20.0]])
    return np.vstack([c + offsets for c in centers]).astype(np.float32), centers


@pytest.mark.slow
def test_train_kmeans_embedding_history_matches_numpy_when_weights_are_frozen():
    # Learning rate 0, an identity model and one batch of the whole data: every epoch
    # computes the same k-means terms of the raw points. The initial centroids are the
    # first 3 points of the shuffled batch (indices 9, 2, 7 for random_state=0), one
    # per blob, so Lloyd finds the blob centres.
    x, centers = _square_blobs()
    assert sorted(np.random.default_rng(0).permutation(12)[:3] // 4) == [0, 1, 2]
    model = _identity_model(use_bias=False)
    result = deep.train_kmeans_embedding(model, x, 3, epochs=6, batch_size=12, learning_rate=0.0,
                                       patience=2, verbose=False)
    # No epoch improves on the first, so training stops after 1 + patience epochs.
    assert result.best_epoch == 1
    assert all(len(values) == 3 for values in result.history.values())
    distances = ((x[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    labels = np.repeat(np.arange(3), 4)
    own = distances[np.arange(12), labels]
    within = own.mean()  # 2
    between = (distances.sum(axis=1) - own).mean()
    for epoch in range(3):
        assert result.history["within"][epoch] == pytest.approx(within, rel=1e-6)
        assert result.history["between"][epoch] == pytest.approx(between, rel=1e-6)
        assert result.history["loss"][epoch] == pytest.approx(within + 1.0 / between, rel=1e-6)
        assert result.history["scale"][epoch] == pytest.approx(
            np.sqrt((x**2).sum(axis=1).mean()), rel=1e-6)
    order = np.argsort(result.centroids[:, 0] + 2 * result.centroids[:, 1])
    np.testing.assert_allclose(result.centroids[order], centers, atol=1e-6)
    np.testing.assert_array_equal(model.get_weights()[0], np.eye(2))


@pytest.mark.slow
def test_train_kmeans_embedding_between_weight_enters_the_loss():
    x, _ = _square_blobs()
    result = deep.train_kmeans_embedding(_identity_model(use_bias=False), x, 3, epochs=1,
                                       batch_size=12, learning_rate=0.0, between_weight=4.0,
                                       verbose=False)
    history = result.history
    assert history["loss"][0] == pytest.approx(history["within"][0] + 4.0 / history["between"][0],
                                               rel=1e-6)


@pytest.mark.slow
def test_train_kmeans_embedding_history_and_centroids_are_finite():
    x, _ = _blobs(16, 0.5)
    seed_everything(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    initial = model.get_weights()
    result = deep.train_kmeans_embedding(model, x, 3, epochs=3, batch_size=16, learning_rate=0.01,
                                       patience=5, verbose=False)
    assert isinstance(result, deep.KMeansEmbeddingResult)
    # Every trainable variable (kernel and bias) was updated.
    assert all(not np.allclose(a, b) for a, b in zip(initial, model.get_weights(), strict=True))
    assert set(result.history) == {"loss", "within", "between", "scale"}
    for values in result.history.values():
        assert len(values) == 3 and np.all(np.isfinite(values))
    assert result.centroids.shape == (3, 3) and np.all(np.isfinite(result.centroids))
    assert 1 <= result.best_epoch <= 3 and result.seconds > 0


@pytest.mark.slow
def test_train_kmeans_embedding_stops_early_and_restores_the_best_weights():
    x, _ = _blobs(16, 0.5)
    seed_everything(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    snapshots = []

    def monitor(model, centroids):
        snapshots.append((model.get_weights(), centroids.copy()))
        return {"epoch": len(snapshots)}

    epochs, patience = 20, 2
    result = deep.train_kmeans_embedding(model, x, 3, epochs=epochs, batch_size=16,
                                       learning_rate=0.01, patience=patience, monitor=monitor,
                                       verbose=False)
    losses = result.history["loss"]
    run = len(losses)
    assert run < epochs, "expected the loss to stop improving within 20 epochs"
    assert result.history["epoch"] == list(range(1, run + 1))
    assert result.best_epoch == int(np.argmin(losses)) + 1
    assert run == result.best_epoch + patience
    assert all(loss >= losses[result.best_epoch - 1] for loss in losses[result.best_epoch:])
    best_weights, best_centroids = snapshots[result.best_epoch - 1]
    assert _weights_equal(model.get_weights(), best_weights)
    assert not _weights_equal(model.get_weights(), snapshots[-1][0])
    np.testing.assert_array_equal(result.centroids, best_centroids)


@pytest.mark.slow
def test_train_kmeans_embedding_appends_monitor_values():
    x, labels = _blobs(16, 0.3)
    model = _identity_model()
    seen = []

    def monitor(model, centroids):
        codes = deep.embed(model, x)
        nearest = ((codes[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
        seen.append(centroids.shape)
        return {"accuracy": cl.cluster_accuracy(labels, nearest), "constant": np.float32(2.5)}

    result = deep.train_kmeans_embedding(model, x, 3, epochs=2, batch_size=16, learning_rate=1e-4,
                                       patience=5, monitor=monitor, verbose=False)
    assert seen == [(3, 2), (3, 2)]
    assert result.history["constant"] == [2.5, 2.5]
    assert all(type(value) is float for value in result.history["constant"])
    # Identity embeddings of well-separated blobs barely move: nearest centroid = blob.
    assert result.history["accuracy"] == [1.0, 1.0]


@pytest.mark.slow
def test_train_kmeans_embedding_rejects_monitor_key_that_shadows_history():
    x, _ = _blobs(8, 0.3)
    with pytest.raises(ValueError, match="'loss'"):
        deep.train_kmeans_embedding(_identity_model(), x, 3, epochs=1, batch_size=8,
                                  monitor=lambda model, centroids: {"loss": 0.0},
                                  verbose=False)


@pytest.mark.slow
def test_train_kmeans_embedding_is_deterministic():
    x, _ = _blobs(16, 0.5)

    def run():
        seed_everything(0)
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4, activation="tanh"),
                                  keras.layers.Dense(2)])
        result = deep.train_kmeans_embedding(model, x, 3, epochs=3, batch_size=16,
                                           learning_rate=0.01, random_state=5, verbose=False)
        return result, model.get_weights()

    (first, first_weights), (second, second_weights) = run(), run()
    _assert_same_history(first.history, second.history)
    np.testing.assert_array_equal(first.centroids, second.centroids)
    assert first.best_epoch == second.best_epoch
    assert _weights_equal(first_weights, second_weights)


@pytest.mark.slow
def test_train_kmeans_embedding_is_quiet_by_default_and_verbose_prints_each_epoch(capsys):
    x, _ = _square_blobs()
    deep.train_kmeans_embedding(_identity_model(), x, 3, epochs=2, batch_size=12,
                              learning_rate=1e-3, patience=5)
    assert capsys.readouterr().out == ""
    deep.train_kmeans_embedding(_identity_model(), x, 3, epochs=2, batch_size=12,
                              learning_rate=1e-3, patience=5, verbose=True)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("epoch   1/2  loss ")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_clusters": 1}, ValueError, "n_clusters"),
        ({"batch_size": 2}, ValueError, "batch_size"),
        ({"batch_size": 13}, ValueError, "batch_size"),
        ({"epochs": 0}, ValueError, "epochs"),
        ({"patience": 0}, ValueError, "patience"),
        ({"kmeans_steps": 0}, ValueError, "kmeans_steps"),
        ({"between_weight": -1.0}, ValueError, "between_weight"),
        ({"images": np.full((12, 2), np.nan, np.float32)}, ValueError, "images"),
        ({"images": np.array([["a", "b"]] * 12)}, TypeError, "images"),
        ({"images": np.zeros(12, np.float32)}, ValueError, "images"),
    ],
)
def test_train_kmeans_embedding_rejects_bad_arguments(kwargs, error, match):
    x, _ = _square_blobs()
    arguments = {"images": x, "n_clusters": 3, "batch_size": 12, **kwargs}
    with pytest.raises(error, match=match):
        deep.train_kmeans_embedding(_identity_model(), verbose=False, **arguments)


def test_train_kmeans_embedding_rejects_a_nan_among_finite_images():
    x, _ = _square_blobs()
    x[5, 1] = np.nan
    with pytest.raises(ValueError, match="images contains NaN"):
        deep.train_kmeans_embedding(_identity_model(), x, 3, batch_size=12, verbose=False)


# --------------------------------------------------------------------------- DEC / IDEC


def _numpy_student_t(codes, centroids):
    kernel = 1.0 / (1.0 + ((codes[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2))
    return kernel / kernel.sum(axis=1, keepdims=True)


def _numpy_kl_to_targets(q):
    weight = q**2 / q.sum(axis=0)
    p = weight / weight.sum(axis=1, keepdims=True)
    return float((p * np.log(p / q)).sum(axis=1).mean())


@pytest.mark.slow
def test_train_dec_recovers_separated_blobs_and_converges():
    x, truth = _blobs(20, 0.3)
    encoder = _identity_model()
    result = deep.train_dec(encoder, x, 3, epochs=5, batch_size=20, update_interval=3, n_init=2,
                          verbose=False)
    assert isinstance(result, deep.DECResult)
    reference = cl.KMeans(3, n_init=2, random_state=0).fit(x)  # the encoder starts as identity
    np.testing.assert_array_equal(result.initial_labels, reference.labels_)
    assert cl.cluster_accuracy(truth, result.initial_labels) == 1.0
    assert cl.cluster_accuracy(truth, result.labels) == 1.0
    assert result.labels.shape == (60,) and result.centroids.shape == (3, 2)
    # 3 batches per epoch, targets updated at steps 0 and 3: no label changed at step 3,
    # so training stops at the start of epoch 2, with only epoch 1 in the history.
    assert result.converged
    assert result.history["changed"] == [0.0]
    assert len(result.history["kl"]) == len(result.history["reconstruction"]) == 1
    assert result.history["reconstruction"] == [0.0]
    assert np.isfinite(result.history["kl"][0]) and result.history["kl"][0] > 0


@pytest.mark.slow
def test_train_dec_first_epoch_kl_matches_numpy():
    # With a negligible learning rate the first epoch's mean KL is KL(p || q) of the
    # initial k-means centroids (the batches cover every sample once).
    x, _ = _blobs(20, 1.5, seed=4)
    result = deep.train_dec(_identity_model(), x, 3, epochs=1, batch_size=20, update_interval=100,
                          learning_rate=1e-9, n_init=2, verbose=False)
    centroids = cl.KMeans(3, n_init=2, random_state=0).fit(x).cluster_centers_
    expected = _numpy_kl_to_targets(_numpy_student_t(x.astype(np.float64), centroids))
    assert result.history["kl"][0] == pytest.approx(expected, rel=1e-4)
    assert not result.converged


@pytest.mark.slow
def test_train_dec_moves_labels_and_keeps_the_initial_kmeans_labels():
    # On uniform points (no clusters) a large learning rate moves the boundaries: some
    # labels change, while initial_labels stay those of k-means on the initial codes.
    x = np.random.default_rng(0).uniform(-1, 1, size=(60, 2)).astype(np.float32)
    result = deep.train_dec(_identity_model(), x, 3, epochs=4, batch_size=20, update_interval=3,
                          tol=0.0, learning_rate=0.3, n_init=2, verbose=False)
    reference = cl.KMeans(3, n_init=2, random_state=0).fit(x)
    np.testing.assert_array_equal(result.initial_labels, reference.labels_)
    assert np.any(result.labels != result.initial_labels)
    assert not np.allclose(result.centroids, reference.cluster_centers_, atol=1e-3)
    changed = np.array(result.history["changed"])
    assert len(changed) == 4 and changed.max() > 0
    np.testing.assert_allclose(changed * 60, np.round(changed * 60), atol=1e-9)  # fractions of 60
    assert not result.converged


@pytest.mark.slow
def test_train_dec_without_convergence_runs_every_epoch():
    x, _ = _blobs(20, 0.3)
    result = deep.train_dec(_identity_model(), x, 3, epochs=2, batch_size=20, update_interval=2,
                          tol=0.0, n_init=2, verbose=False)
    assert not result.converged
    assert all(len(values) == 2 for values in result.history.values())


@pytest.mark.slow
def test_idec_reconstruction_is_positive_and_matches_numpy():
    x, _ = _blobs(20, 0.5, seed=5)
    seed_everything(0)
    encoder, decoder, autoencoder = deep.dense_autoencoder(input_dim=2, code_dim=2, hidden=(8,))
    expected = float(np.mean((autoencoder(x).numpy() - x) ** 2))
    result = deep.train_dec(encoder, x, 3, decoder=decoder, epochs=1, batch_size=20,
                          update_interval=100, learning_rate=1e-9, n_init=2, verbose=False)
    reconstruction = result.history["reconstruction"]
    assert len(reconstruction) == 1 and np.isfinite(reconstruction[0])
    assert reconstruction[0] > 0
    assert reconstruction[0] == pytest.approx(expected, rel=1e-4)
    assert np.isfinite(result.history["kl"][0])


@pytest.mark.slow
def test_idec_trains_the_decoder_and_dec_does_not():
    x, _ = _blobs(20, 0.5, seed=6)
    seed_everything(0)
    encoder, decoder, _ = deep.dense_autoencoder(input_dim=2, code_dim=2, hidden=(8,))
    before = decoder.get_weights()
    deep.train_dec(encoder, x, 3, epochs=1, batch_size=20, n_init=2, verbose=False)
    assert _weights_equal(decoder.get_weights(), before)
    encoder_before = encoder.get_weights()
    deep.train_dec(encoder, x, 3, decoder=decoder, epochs=1, batch_size=20, n_init=2,
                 verbose=False)
    assert not _weights_equal(decoder.get_weights(), before)
    assert not _weights_equal(encoder.get_weights(), encoder_before)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"update_interval": 0}, "update_interval"),
        ({"tol": 1.5}, "tol"),
        ({"tol": -0.1}, "tol"),
        ({"cluster_weight": 0.0}, "cluster_weight"),
        ({"n_clusters": 1}, "n_clusters"),
        ({"batch_size": 61}, "batch_size"),
        ({"epochs": 0}, "epochs"),
    ],
)
def test_train_dec_rejects_bad_arguments(kwargs, match):
    x, _ = _blobs(20)
    arguments = {"inputs": x, "n_clusters": 3, "batch_size": 20, **kwargs}
    with pytest.raises(ValueError, match=match):
        deep.train_dec(_identity_model(), verbose=False, **arguments)


@pytest.mark.slow
def test_results_are_numpy_arrays():
    x, _ = _blobs(10)
    result = deep.train_dec(_identity_model(), x, 3, epochs=1, batch_size=10, n_init=1,
                          verbose=False)
    assert all(isinstance(a, np.ndarray) for a in
               (result.labels, result.initial_labels, result.centroids))
    assert not tf.is_tensor(result.centroids)


def test_train_dec_starts_from_given_labels():
    x, truth = _blobs(20, 0.3)
    result = deep.train_dec(_identity_model(), x, 3, initial_labels=truth, epochs=1,
                          batch_size=20, update_interval=100, learning_rate=1e-9,
                          verbose=False)
    np.testing.assert_array_equal(result.initial_labels, truth)
    np.testing.assert_array_equal(result.labels, truth)
    # With a negligible learning rate the centroids stay the blob means of the codes.
    expected = np.stack([x[truth == j].mean(axis=0) for j in range(3)])
    np.testing.assert_allclose(result.centroids, expected, rtol=1e-4, atol=1e-5)
    centroids = expected.astype(np.float64)
    kl = _numpy_kl_to_targets(_numpy_student_t(x.astype(np.float64), centroids))
    assert result.history["kl"][0] == pytest.approx(kl, rel=1e-3)


@pytest.mark.parametrize(
    ("labels", "error", "match"),
    [
        (np.zeros(59, int), ValueError, "shape"),
        (np.repeat([0, 1, 3], 20), ValueError, "lie in"),
        (np.repeat([0, 1, 1], 20), ValueError, "each of the 3"),
        (np.repeat([0.0, 1.0, 2.0], 20), TypeError, "integers"),
    ],
)
def test_train_dec_rejects_bad_initial_labels(labels, error, match):
    x, _ = _blobs(20)
    with pytest.raises(error, match=match):
        deep.train_dec(_identity_model(), x, 3, initial_labels=labels, batch_size=20,
                     verbose=False)


# --------------------------------------------------------------------------- DCN


def _tiny_autoencoder(seed=0):
    seed_everything(seed)
    return deep.dense_autoencoder(input_dim=2, code_dim=2, hidden=(8,))


@pytest.mark.slow
def test_train_dcn_history_matches_numpy_with_frozen_weights():
    # Learning rate 0 and one batch holding all the data: the codes never change, the
    # centroids stay the k-means centroids (their running mean adds the same points
    # again), and every epoch reports the same reconstruction and k-means terms.
    x, _ = _blobs(20, 0.5, seed=7)
    encoder, decoder, autoencoder = _tiny_autoencoder()
    codes = encoder(x).numpy().astype(np.float64)
    reconstruction = float(np.mean((autoencoder(x).numpy() - x) ** 2))
    kmeans = cl.KMeans(3, n_init=3, random_state=0).fit(codes.astype(np.float32))
    result = deep.train_dcn(encoder, decoder, x, 3, cluster_weight=0.5, epochs=2, batch_size=60,
                          learning_rate=0.0, n_init=3, verbose=False)
    assert isinstance(result, deep.DCNResult)
    np.testing.assert_array_equal(result.initial_labels, kmeans.labels_)
    np.testing.assert_array_equal(result.labels, kmeans.labels_)
    np.testing.assert_allclose(result.centroids, kmeans.cluster_centers_, rtol=1e-5, atol=1e-6)
    within = np.mean(((codes - kmeans.cluster_centers_[kmeans.labels_]) ** 2).sum(axis=1))
    for epoch in range(2):
        assert result.history["reconstruction"][epoch] == pytest.approx(reconstruction, rel=1e-5)
        assert result.history["kmeans"][epoch] == pytest.approx(within, rel=1e-4)
        assert result.history["loss"][epoch] == pytest.approx(
            reconstruction + 0.25 * within, rel=1e-4)


@pytest.mark.slow
def test_train_dcn_centroids_follow_the_running_mean_of_assigned_codes():
    # Frozen weights, two batches of 30: after one epoch each centroid is the mean of
    # its k-means cluster (counted once from k-means, once again from the batches).
    x, _ = _blobs(20, 0.3, seed=8)
    encoder, decoder, _ = _tiny_autoencoder(1)
    before = encoder.get_weights()
    result = deep.train_dcn(encoder, decoder, x, 3, epochs=1, batch_size=30, learning_rate=0.0,
                          n_init=3, verbose=False)
    codes = encoder(x).numpy()
    expected = np.stack([codes[result.initial_labels == j].mean(axis=0) for j in range(3)])
    np.testing.assert_allclose(result.centroids, expected, rtol=1e-5, atol=1e-6)
    assert _weights_equal(encoder.get_weights(), before)


@pytest.mark.slow
def test_train_dcn_kmeans_term_tightens_clusters_and_zero_weight_is_the_plain_autoencoder():
    x, truth = _blobs(30, 0.6, seed=9)
    results = {}
    for weight in (0.0, 5.0):
        encoder, decoder, _ = _tiny_autoencoder(2)
        results[weight] = deep.train_dcn(encoder, decoder, x, 3, cluster_weight=weight,
                                       epochs=30, batch_size=30, learning_rate=1e-2, n_init=3,
                                       verbose=False)
        assert not _weights_equal(decoder.get_weights(), _tiny_autoencoder(2)[1].get_weights())
    plain, dcn = results[0.0], results[5.0]
    assert cl.cluster_accuracy(truth, dcn.labels) == 1.0
    # The k-means term shrinks the clusters relative to the plain autoencoder's.
    assert dcn.history["kmeans"][-1] < 0.5 * plain.history["kmeans"][-1]
    assert dcn.history["kmeans"][-1] < dcn.history["kmeans"][0]
    for values in dcn.history.values():
        assert len(values) == 30 and np.all(np.isfinite(values))
    # Without the k-means term the loss is the reconstruction error alone.
    np.testing.assert_allclose(plain.history["loss"], plain.history["reconstruction"])


@pytest.mark.slow
def test_train_dcn_is_deterministic_and_quiet_unless_verbose(capsys):
    x, _ = _blobs(20, 0.5)

    def run(verbose):
        encoder, decoder, _ = _tiny_autoencoder(3)
        result = deep.train_dcn(encoder, decoder, x, 3, epochs=2, batch_size=20,
                              learning_rate=1e-2, n_init=2, random_state=4, verbose=verbose)
        return result, encoder.get_weights()

    (first, first_weights), (second, second_weights) = run(False), run(True)
    _assert_same_history(first.history, second.history)
    np.testing.assert_array_equal(first.centroids, second.centroids)
    assert _weights_equal(first_weights, second_weights)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("epoch   1/2  loss ")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cluster_weight": -1.0}, "cluster_weight"),
        ({"n_clusters": 1}, "n_clusters"),
        ({"batch_size": 61}, "batch_size"),
        ({"epochs": 0}, "epochs"),
    ],
)
def test_train_dcn_rejects_bad_arguments(kwargs, match):
    x, _ = _blobs(20)
    encoder, decoder, _ = _tiny_autoencoder()
    arguments = {"inputs": x, "n_clusters": 3, "batch_size": 20, **kwargs}
    with pytest.raises(ValueError, match=match):
        deep.train_dcn(encoder, decoder, verbose=False, **arguments)


# --------------------------------------------------------------------------- the Keras models


class _Snapshots(keras.callbacks.Callback):
    """Every epoch's weights (and by name) and loss, before EarlyStopping restores any."""

    def on_train_begin(self, logs=None):
        self.weights, self.named, self.losses = [], [], []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())
        self.named.append({weight.path: weight.numpy() for weight in self.model.weights})
        self.losses.append(logs["loss"])


def _models(name):
    """A model of each kind, its training data (as fit takes it) and its metrics' names."""
    x, truth = _blobs(16, 0.5)
    seed_everything(0)
    if name == "kmeans":
        network = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
        return deep.KMeansEmbeddingModel(network, 3), (x,), {"loss", "within", "between", "scale"}
    encoder, decoder, _ = deep.dense_autoencoder(input_dim=2, code_dim=2, hidden=(8,))
    if name == "dcn":
        model = deep.DCNModel(encoder, decoder, 3, cluster_weight=1.0)
        model.start_from(x, n_init=2)
        return model, (x,), {"loss", "reconstruction", "kmeans"}
    model = deep.DECModel(encoder, 3, decoder=decoder)
    model.start_from(x, n_init=2)
    return model, (x, np.arange(len(x))), {"loss", "kl", "reconstruction"}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["kmeans", "dcn", "dec"])
def test_each_model_trains_by_fit_and_early_stopping_restores_the_best_weights(name):
    model, data, metric_names = _models(name)
    model.compile(keras.optimizers.Adam(0.3))  # large steps: the loss soon stops falling
    snapshots = _Snapshots()
    stopping = keras.callbacks.EarlyStopping("loss", patience=2, restore_best_weights=True)
    callbacks = [snapshots, stopping]
    if name == "dec":
        callbacks.insert(0, deep.DECTargetUpdate(data[0], update_interval=3, tol=0.0))
    epochs = 30
    history = model.fit(*data, batch_size=16, epochs=epochs, callbacks=callbacks, verbose=0)
    assert set(history.history) == metric_names | ({"changed"} if name == "dec" else set())
    losses = history.history["loss"]
    assert snapshots.losses == losses
    assert len(losses) < epochs, "expected the loss to stop falling within 30 epochs"
    best = int(np.argmin(losses))
    assert stopping.best_epoch == best and len(losses) == best + 1 + 2
    # The weights (the centroids among them) are those of the best epoch, not the last.
    assert _weights_equal(model.get_weights(), snapshots.weights[best])
    assert not _weights_equal(model.get_weights(), snapshots.weights[-1])
    assert any(path.endswith("/centroids") for path in snapshots.named[best])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["kmeans", "dcn", "dec"])
def test_each_model_traces_its_training_step_once_per_fit(name):
    model, data, _ = _models(name)
    traces = []
    original = type(model).train_step

    def counting_train_step(data):
        traces.append(1)  # Python runs only while TensorFlow traces
        return original(model, data)

    model.train_step = counting_train_step
    model.compile(keras.optimizers.Adam(1e-3))
    callbacks = [deep.DECTargetUpdate(data[0], update_interval=2)] if name == "dec" else []
    model.fit(*data, batch_size=16, epochs=3, callbacks=callbacks, verbose=0)
    assert len(traces) == 1


@pytest.mark.slow
def test_the_training_functions_log_the_models_metrics():
    x, truth = _blobs(16, 0.5)
    result = deep.train_kmeans_embedding(_identity_model(), x, 3, epochs=1, batch_size=16)
    assert set(result.history) == {"loss", "within", "between", "scale"}
    encoder, decoder, _ = _tiny_autoencoder()
    result = deep.train_dcn(encoder, decoder, x, 3, epochs=1, batch_size=16, n_init=2)
    assert set(result.history) == {"loss", "reconstruction", "kmeans"}
    result = deep.train_dec(encoder, x, 3, epochs=1, batch_size=16, n_init=2)
    assert set(result.history) == {"loss", "kl", "reconstruction", "changed"}
    assert result.initial_accuracy is None
    result = deep.train_dec(encoder, x, 3, decoder=decoder, epochs=1, batch_size=16, n_init=2,
                          true_labels=truth)
    assert set(result.history) == {"loss", "kl", "reconstruction", "changed", "accuracy"}
    np.testing.assert_allclose(result.history["loss"], np.add(
        result.history["reconstruction"], 0.1 * np.array(result.history["kl"])), rtol=1e-5)


@pytest.mark.slow
def test_train_dcn_passes_callbacks_to_fit():
    x, _ = _blobs(20, 0.5)
    encoder, decoder, _ = _tiny_autoencoder(4)
    snapshots = _Snapshots()
    stopping = keras.callbacks.EarlyStopping("loss", patience=1, restore_best_weights=True)
    result = deep.train_dcn(encoder, decoder, x, 3, epochs=25, batch_size=20, learning_rate=0.3,
                          n_init=2, callbacks=[snapshots, stopping])
    assert len(result.history["loss"]) < 25
    best = snapshots.named[int(np.argmin(result.history["loss"]))]
    for weight in encoder.weights + decoder.weights:
        np.testing.assert_array_equal(weight.numpy(), best[weight.path])
    [centroids] = [value for path, value in best.items() if path.endswith("/centroids")]
    np.testing.assert_array_equal(result.centroids, centroids)


@pytest.mark.slow
def test_train_dec_reports_the_starting_accuracy_of_the_student_t_partition():
    # Start from corrupted labels: their cluster means place the starting centroids, and
    # DEC's first partition is the nearest of those centroids (Student's t argmax), which
    # is what initial_accuracy scores, not the corrupted labels themselves.
    x, truth = _blobs(20, 1.2, seed=11)
    start = truth.copy()
    start[::4] = (start[::4] + 1) % 3
    centroids = np.stack([x[start == j].mean(axis=0) for j in range(3)]).astype(np.float64)
    first = _numpy_student_t(x.astype(np.float64), centroids).argmax(axis=1)
    result = deep.train_dec(_identity_model(), x, 3, initial_labels=start, true_labels=truth,
                          epochs=2, batch_size=20, update_interval=3, tol=0.0,
                          learning_rate=1e-9)
    assert cl.cluster_accuracy(truth, start) == pytest.approx(0.75)
    assert result.initial_accuracy == pytest.approx(cl.cluster_accuracy(truth, first))
    assert result.initial_accuracy > 0.75
    assert len(result.history["accuracy"]) == 2


@pytest.mark.slow
def test_idec_keeps_a_high_accuracy_on_separable_blobs_from_a_pretrained_autoencoder():
    # Four blobs in 10-D, an autoencoder pretrained for a few epochs to 2-D codes, then
    # six epochs of IDEC (tol=0: no early stop): the clusters are found from start to end.
    rng = np.random.default_rng(12)
    centers = rng.normal(0.0, 3.0, size=(4, 10))
    truth = np.repeat(np.arange(4), 100)
    x = (centers[truth] + rng.normal(0.0, 1.5, size=(400, 10))).astype(np.float32)
    seed_everything(0)
    encoder, decoder, autoencoder = deep.dense_autoencoder(input_dim=10, code_dim=2,
                                                         hidden=(32,))
    autoencoder.compile(keras.optimizers.Adam(1e-2), loss="mse")
    autoencoder.fit(x, x, batch_size=50, epochs=5, verbose=0)
    result = deep.train_dec(encoder, x, 4, decoder=decoder, true_labels=truth, epochs=6,
                          batch_size=50, update_interval=8, tol=0.0, n_init=5)
    assert result.initial_accuracy >= 0.95  # 0.9975 here
    assert len(result.history["accuracy"]) == 6 and min(result.history["accuracy"]) >= 0.95
    assert cl.cluster_accuracy(truth, result.labels) >= 0.95


@pytest.mark.parametrize(
    ("callback_kwargs", "match"),
    [({"update_interval": 0}, "update_interval"), ({"tol": 1.0}, "tol"),
     ({"true_labels": np.zeros(5, int)}, "true_labels")],
)
def test_dec_target_update_rejects_bad_arguments(callback_kwargs, match):
    x, _ = _blobs(10)
    with pytest.raises(ValueError, match=match):
        deep.DECTargetUpdate(x, **callback_kwargs)


def test_models_need_a_network_with_a_known_output_size():
    class Unbuilt(keras.Model):
        def call(self, inputs):
            return inputs

    with pytest.raises(ValueError, match="encoder"):
        deep.KMeansEmbeddingModel(Unbuilt(), 3)
    with pytest.raises(ValueError, match="encoder"):
        deep.DECModel(Unbuilt(), 3)


@pytest.mark.slow
def test_a_loss_that_is_not_finite_raises():
    x, _ = _blobs(8, 0.3)
    network = keras.Sequential([keras.Input((2,)), keras.layers.Dense(
        2, kernel_initializer=keras.initializers.Constant(1e38))])
    with pytest.raises(FloatingPointError, match="epoch 1"):
        deep.train_kmeans_embedding(network, x * 1e3, 3, epochs=2, batch_size=8)
