"""Clustering losses: hand-computed values, finite gradients, empty clusters, DEC pieces."""

import numpy as np
import pytest
import tensorflow as tf
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

import clustering_lib as cl

EMBEDDINGS = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 0.0], [10.0, 2.0]], np.float32)
CENTROIDS = np.array([[1.0, 0.0], [10.0, 1.0]], np.float32)


def test_kmeans_loss_hand_computed():
    # Own squared distances: 1, 1, 1, 1 -> within = 1.
    # Others: (0,0)-(10,1): 101; (2,0)-(10,1): 65; (10,0)-(1,0): 81; (10,2)-(1,0): 85
    # -> between = 332 / 4 = 83.
    loss = cl.kmeans_loss(EMBEDDINGS, CENTROIDS)
    assert float(loss) == pytest.approx(1.0 + 1.0 / 83.0, rel=1e-6)
    explicit = cl.kmeans_loss(EMBEDDINGS, CENTROIDS, labels=tf.constant([0, 0, 1, 1]))
    assert float(explicit) == pytest.approx(float(loss))


def test_kmeans_loss_gradients_exist_and_are_finite():
    embeddings = tf.Variable(EMBEDDINGS)
    with tf.GradientTape() as tape:
        loss = cl.kmeans_loss(embeddings, CENTROIDS)
    gradient = tape.gradient(loss, embeddings)
    assert gradient is not None
    assert np.all(np.isfinite(gradient.numpy()))
    # The within term pulls each point towards its centroid: d/de (e - c)^2 / n = 2 (e - c) / n.
    assert gradient.numpy()[0, 0] < 0 < gradient.numpy()[1, 0]


def test_kmeans_loss_with_coincident_points_and_centroids_stays_finite():
    same = np.zeros((4, 3), np.float32)
    embeddings = tf.Variable(same)
    with tf.GradientTape() as tape:
        loss = cl.kmeans_loss(embeddings, np.zeros((2, 3), np.float32))
    assert np.isfinite(float(loss))
    assert np.all(np.isfinite(tape.gradient(loss, embeddings).numpy()))
    with pytest.raises(ValueError, match="at least 2 centroids"):
        cl.kmeans_loss(same, np.zeros((1, 3), np.float32))


def test_batch_kmeans_matches_scikit_learn_and_blocks_gradients():
    rng = np.random.default_rng(0)
    batch = np.vstack([rng.normal(c, 0.3, size=(40, 3)) for c in (0.0, 3.0, 6.0)])
    init = batch[[0, 40, 80]]
    centroids, labels = cl.batch_kmeans(batch, init, n_steps=50)
    reference = SklearnKMeans(3, init=init, n_init=1, tol=0.0, max_iter=50).fit(batch)
    np.testing.assert_array_equal(labels.numpy(), reference.labels_)
    np.testing.assert_allclose(centroids.numpy(), reference.cluster_centers_, rtol=1e-5)
    variable = tf.Variable(batch.astype(np.float32))
    with tf.GradientTape() as tape:
        centroids, _ = cl.batch_kmeans(variable, init.astype(np.float32))
        total = tf.reduce_sum(centroids)
    assert tape.gradient(total, variable) is None


def test_batch_kmeans_with_an_empty_cluster_gives_no_nan():
    batch = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]], np.float32)
    far_away = np.array([[0.0, 0.0], [5.0, 5.0], [100.0, 100.0]], np.float32)
    centroids, labels = cl.batch_kmeans(batch, far_away, n_steps=5)
    assert np.all(np.isfinite(centroids.numpy()))
    loss = cl.kmeans_loss(batch, centroids, labels)
    assert np.isfinite(float(loss))


def test_student_t_assignments_and_targets_hand_computed():
    q = cl.student_t_assignments(np.array([[0.0], [3.0]]), np.array([[0.0], [1.0]]))
    # alpha=1: kernel 1 / (1 + d^2); row 0: d^2 = 0, 1 -> 1, 1/2; row 1: 9, 4 -> 1/10, 1/5.
    np.testing.assert_allclose(q.numpy(), [[2 / 3, 1 / 3], [1 / 3, 2 / 3]], rtol=1e-6)
    p = cl.target_distribution(q)
    # f = (1, 1): p ∝ q^2 -> row 0: 4/9, 1/9 -> 0.8, 0.2.
    np.testing.assert_allclose(p.numpy(), [[0.8, 0.2], [0.2, 0.8]], rtol=1e-6)
    np.testing.assert_allclose(p.numpy().sum(axis=1), 1.0)


def test_soft_assignment_layer_trains_its_centroids():
    layer = cl.SoftAssignment(3)
    inputs = tf.constant(np.random.default_rng(0).normal(size=(16, 4)), tf.float32)
    with tf.GradientTape() as tape:
        q = layer(inputs)
        loss = tf.reduce_sum(q * tf.math.log(q))
    gradient = tape.gradient(loss, layer.centroids)
    assert q.shape == (16, 3) and np.allclose(q.numpy().sum(axis=1), 1.0, rtol=1e-5)
    assert np.all(np.isfinite(gradient.numpy()))
    assert cl.SoftAssignment.from_config(layer.get_config()).n_clusters == 3


def test_evaluate_clustering_reports_the_four_scores():
    truth = np.array([0, 0, 0, 0, 0, 1, 1, 2, 2, 2])
    found = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2])
    scores = cl.evaluate_clustering(truth, found)
    assert scores["purity"] == pytest.approx(0.8)
    assert scores["accuracy"] == pytest.approx(0.7)
    assert scores["nmi"] == pytest.approx(normalized_mutual_info_score(truth, found))
    assert scores["ari"] == pytest.approx(adjusted_rand_score(truth, found))
