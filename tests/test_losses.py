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
    centroids, labels = cl.losses.batch_kmeans(batch, init, n_steps=50)
    reference = SklearnKMeans(3, init=init, n_init=1, tol=0.0, max_iter=50).fit(batch)
    np.testing.assert_array_equal(labels.numpy(), reference.labels_)
    np.testing.assert_allclose(centroids.numpy(), reference.cluster_centers_, rtol=1e-5)
    variable = tf.Variable(batch.astype(np.float32))
    with tf.GradientTape() as tape:
        centroids, _ = cl.losses.batch_kmeans(variable, init.astype(np.float32))
        total = tf.reduce_sum(centroids)
    assert tape.gradient(total, variable) is None


def test_batch_kmeans_with_an_empty_cluster_gives_no_nan():
    batch = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]], np.float32)
    far_away = np.array([[0.0, 0.0], [5.0, 5.0], [100.0, 100.0]], np.float32)
    centroids, labels = cl.losses.batch_kmeans(batch, far_away, n_steps=5)
    assert np.all(np.isfinite(centroids.numpy()))
    loss = cl.kmeans_loss(batch, centroids, labels)
    assert np.isfinite(float(loss))


def test_student_t_assignments_and_targets_hand_computed():
    q = cl.losses.student_t_assignments(np.array([[0.0], [3.0]]), np.array([[0.0], [1.0]]))
    # alpha=1: kernel 1 / (1 + d^2); row 0: d^2 = 0, 1 -> 1, 1/2; row 1: 9, 4 -> 1/10, 1/5.
    np.testing.assert_allclose(q.numpy(), [[2 / 3, 1 / 3], [1 / 3, 2 / 3]], rtol=1e-6)
    p = cl.losses.target_distribution(q)
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


# Three centroids; squared distances (rows: points, columns: centroids):
#   (0,0): 0, 25, 25  -> label 0, own 0, others 50
#   (1,0): 1, 16, 26  -> label 0, own 1, others 42
#   (5,0): 25, 0, 50  -> label 1, own 0, others 75
#   (0,4): 16, 41, 1  -> label 2, own 1, others 57
# within = 2 / 4 = 0.5; between = mean over points of the summed others = 224 / 4 = 56
# (the mean over all (point, other centroid) pairs, the previous definition, would be 28).
THREE_EMBEDDINGS = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0], [0.0, 4.0]], np.float32)
THREE_CENTROIDS = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]], np.float32)


def test_kmeans_loss_terms_hand_computed_with_three_centroids():
    within, between = cl.losses.kmeans_loss_terms(THREE_EMBEDDINGS, THREE_CENTROIDS)
    assert float(within) == pytest.approx(0.5, rel=1e-6)
    assert float(between) == pytest.approx(56.0, rel=1e-6)
    # Explicit labels are used as given, even when they are not the nearest centroids:
    # (0,0) -> 2: own 25, others 25; (1,0) -> 1: own 16, others 27; (5,0) -> 1: own 0,
    # others 75; (0,4) -> 0: own 16, others 42. within = 57 / 4, between = 169 / 4.
    within, between = cl.losses.kmeans_loss_terms(
        THREE_EMBEDDINGS, THREE_CENTROIDS, labels=tf.constant([2, 1, 1, 0])
    )
    assert float(within) == pytest.approx(57.0 / 4.0, rel=1e-6)
    assert float(between) == pytest.approx(169.0 / 4.0, rel=1e-6)


def test_kmeans_loss_terms_match_a_numpy_reference():
    rng = np.random.default_rng(1)
    embeddings = rng.normal(size=(30, 4))
    centroids = rng.normal(size=(5, 4))
    labels = rng.integers(0, 5, size=30)
    distances = ((embeddings[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
    own = distances[np.arange(30), labels]
    within, between = cl.losses.kmeans_loss_terms(embeddings, centroids, tf.constant(labels))
    assert float(within) == pytest.approx(own.mean(), rel=1e-10)  # float64 stays float64
    assert float(between) == pytest.approx((distances.sum(axis=1) - own).mean(), rel=1e-10)


@pytest.mark.parametrize("weight", [0.0, 0.5, 1.0, 2.0])
def test_kmeans_loss_between_weight_scales_the_reciprocal_term(weight):
    loss = cl.kmeans_loss(THREE_EMBEDDINGS, THREE_CENTROIDS, between_weight=weight)
    assert float(loss) == pytest.approx(0.5 + weight / 56.0, rel=1e-6)


@pytest.mark.parametrize("weight", [-1.0, -1e-9, float("nan")])
def test_kmeans_loss_rejects_a_negative_between_weight(weight):
    with pytest.raises(ValueError, match="between_weight"):
        cl.kmeans_loss(THREE_EMBEDDINGS, THREE_CENTROIDS, between_weight=weight)


def _own_centroids(points):
    """Each of the two points is its own cluster: the centroids are the points (as means)."""
    return tf.stack([tf.reduce_mean(points[0:1], axis=0), tf.reduce_mean(points[1:2], axis=0)])


def test_kmeans_loss_gradient_through_the_centroids_hand_derived():
    # e = (a, b) in 1-D, each its own cluster with c_0 = a, c_1 = b: within = 0 and
    # between = ((a - c_1)^2 + (b - c_0)^2) / 2 = (a - b)^2, loss = 1 / (a - b)^2.
    # Through the centroids: dloss/da = -2 / (a - b)^3 = -0.25 at a = 3, b = 1.
    # With the centroids held constant only (a - c_1)^2 / 2 depends on a:
    # d between / da = a - b, dloss/da = -(a - b) / (a - b)^4 = -0.125.
    points = tf.Variable([[3.0], [1.0]])
    with tf.GradientTape(persistent=True) as tape:
        centroids = _own_centroids(points)
        through = cl.kmeans_loss(points, centroids, tf.constant([0, 1]),
                                 stop_centroid_gradient=False)
        held = cl.kmeans_loss(points, centroids, tf.constant([0, 1]))
    assert float(through) == pytest.approx(0.25) and float(held) == pytest.approx(0.25)
    np.testing.assert_allclose(tape.gradient(through, points).numpy(), [[-0.25], [0.25]],
                               rtol=1e-6)
    np.testing.assert_allclose(tape.gradient(held, points).numpy(), [[-0.125], [0.125]],
                               rtol=1e-6)


def test_kmeans_loss_gradient_through_batch_means_matches_finite_differences():
    rng = np.random.default_rng(2)
    start = rng.normal(size=(9, 2)) + np.repeat([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]], 3, axis=0)
    labels = tf.constant(np.repeat([0, 1, 2], 3))

    def loss_fn(points, stop):
        centroids = tf.stack([tf.reduce_mean(points[3 * j:3 * j + 3], axis=0) for j in range(3)])
        return cl.kmeans_loss(points, centroids, labels, between_weight=5.0,
                              stop_centroid_gradient=stop)

    variable = tf.Variable(start)  # float64, for accurate central differences
    with tf.GradientTape(persistent=True) as tape:
        through = loss_fn(variable, stop=False)
        held = loss_fn(variable, stop=True)
    gradient = tape.gradient(through, variable).numpy()
    numeric = np.zeros_like(start)
    step = 1e-6
    for index in np.ndindex(start.shape):
        shift = np.zeros_like(start)
        shift[index] = step
        numeric[index] = (float(loss_fn(tf.constant(start + shift), False))
                          - float(loss_fn(tf.constant(start - shift), False))) / (2 * step)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-8)
    # Held constant, the centroids pass no gradient: the result differs from the total
    # derivative and equals the gradient with the centroids given as plain numbers.
    held_gradient = tape.gradient(held, variable).numpy()
    assert not np.allclose(held_gradient, gradient, rtol=1e-3)
    fixed = np.stack([start[3 * j:3 * j + 3].mean(axis=0) for j in range(3)])
    with tf.GradientTape() as tape2:
        reference = cl.kmeans_loss(variable, fixed, labels, between_weight=5.0)
    np.testing.assert_allclose(held_gradient, tape2.gradient(reference, variable).numpy(),
                               rtol=1e-10)


def test_kmeans_loss_default_passes_no_gradient_to_the_centroids():
    centroid_variable = tf.Variable(THREE_CENTROIDS)
    with tf.GradientTape(persistent=True) as tape:
        held = cl.kmeans_loss(THREE_EMBEDDINGS, centroid_variable)
        through = cl.kmeans_loss(THREE_EMBEDDINGS, centroid_variable,
                                 stop_centroid_gradient=False)
    assert tape.gradient(held, centroid_variable) is None
    # within: d/dc_j of mean_i ||e_i - c_j||^2 over own points = -2 sum (e_i - c_j) / 4;
    # c_0 owns (0,0), (1,0): -2 * (1, 0) / 4 = (-0.5, 0); c_1 owns (5,0): 0;
    # c_2 owns (0,4): -2 * (0, -1) / 4 = (0, 0.5).
    # between: -(1 / 56^2) * (-2) * sum over the non-owners (e_i - c_j) / 4:
    # c_0: (5,0) + (0,4) - 2 c_0 = (5, 4); c_1: (0,0)+(1,0)+(0,4) - 3 c_1 = (-14, 4);
    # c_2: (0,0)+(1,0)+(5,0) - 3 c_2 = (6, -15).
    factor = 2.0 / 4.0 / 56.0**2
    expected = np.array([[-0.5, 0.0], [0.0, 0.0], [0.0, 0.5]])
    expected += factor * np.array([[5.0, 4.0], [-14.0, 4.0], [6.0, -15.0]])
    np.testing.assert_allclose(tape.gradient(through, centroid_variable).numpy(), expected,
                               rtol=1e-5, atol=1e-7)


# --------------------------------------------------------------------------- batch k-means


def test_batch_kmeans_inside_a_compiled_function_equals_the_eager_call():
    rng = np.random.default_rng(3)
    batch = np.vstack([rng.normal(c, 0.5, size=(30, 2)) for c in (0.0, 2.0, 4.0, 6.0)])
    batch = batch.astype(np.float32)
    init = batch[[0, 1, 2, 3]]  # all in the first blob: Lloyd has work to do

    @tf.function
    def compiled(points, centroids):
        return cl.losses.batch_kmeans(points, centroids, n_steps=50)

    eager_centroids, eager_labels = cl.losses.batch_kmeans(batch, init, n_steps=50)
    graph_centroids, graph_labels = compiled(tf.constant(batch), tf.constant(init))
    np.testing.assert_array_equal(graph_labels.numpy(), eager_labels.numpy())
    np.testing.assert_allclose(graph_centroids.numpy(), eager_centroids.numpy(), rtol=1e-6)
    reference = SklearnKMeans(4, init=init, n_init=1, tol=0.0, max_iter=50).fit(batch)
    np.testing.assert_array_equal(eager_labels.numpy(), reference.labels_)
    np.testing.assert_allclose(eager_centroids.numpy(), reference.cluster_centers_, rtol=1e-5,
                               atol=1e-6)


def test_batch_kmeans_relocates_an_empty_cluster_like_scikit_learn():
    # The third centroid starts far from every point: its cluster is empty after the
    # first assignment and takes the point farthest from its centroid, (9, 0).
    batch = np.array([[0.0, 0.0], [0.2, 0.0], [5.0, 0.0], [5.2, 0.0], [9.0, 0.0]], np.float32)
    init = np.array([[0.0, 0.0], [5.0, 0.0], [100.0, 100.0]], np.float32)
    centroids, labels = cl.losses.batch_kmeans(batch, init, n_steps=10)
    reference = SklearnKMeans(3, init=init, n_init=1, tol=0.0, max_iter=10).fit(batch)
    np.testing.assert_array_equal(labels.numpy(), reference.labels_)
    np.testing.assert_allclose(centroids.numpy(), reference.cluster_centers_, atol=1e-6)
    np.testing.assert_allclose(centroids.numpy(), [[0.1, 0.0], [5.1, 0.0], [9.0, 0.0]],
                               rtol=1e-6)


def test_batch_kmeans_stops_after_n_steps():
    # One step moves the centroids to (0) and (13/3); the labels returned are the
    # nearest of those, so 2 (distance 2 vs 7/3) joins the first cluster.
    batch = np.array([[0.0], [1.0], [2.0], [10.0]], np.float32)
    init = np.array([[0.0], [1.0]], np.float32)
    centroids, labels = cl.losses.batch_kmeans(batch, init, n_steps=1)
    np.testing.assert_allclose(centroids.numpy(), [[0.0], [13.0 / 3.0]])
    np.testing.assert_array_equal(labels.numpy(), [0, 0, 0, 1])


@pytest.mark.parametrize(
    ("points", "centroids", "n_steps", "error", "match"),
    [
        (np.zeros((4, 2)), np.zeros((2, 3)), 5, ValueError, "features"),
        (np.zeros((2, 2)), np.zeros((3, 2)), 5, ValueError, "3 initial centroids"),
        (np.zeros((4, 2)), np.zeros((2, 2)), 0, ValueError, "n_steps"),
        (np.zeros((4, 2)), np.zeros((2, 2)), 2.5, ValueError, "n_steps"),
        (np.zeros(4), np.zeros((2, 2)), 5, ValueError, "2-D"),
        (np.array([[0.0, np.nan]] * 3), np.zeros((2, 2)), 5, ValueError, "NaN"),
        (np.array([["a", "b"]] * 3), np.zeros((2, 2)), 5, TypeError, "numbers"),
    ],
)
def test_batch_kmeans_rejects_bad_arguments(points, centroids, n_steps, error, match):
    with pytest.raises(error, match=match):
        cl.losses.batch_kmeans(points, centroids, n_steps=n_steps)


# --------------------------------------------------------------------------- cluster means


def test_cluster_means_match_numpy_and_keep_the_fallback_for_an_empty_cluster():
    points = np.array([[0.0, 0.0], [2.0, 2.0], [4.0, 0.0], [10.0, 10.0]])
    labels = np.array([0, 0, 0, 2])
    fallback = np.full((3, 2), -1.0)
    means = cl.losses.cluster_means(points, labels, 3, fallback).numpy()
    np.testing.assert_allclose(means, [[2.0, 2.0 / 3.0], [-1.0, -1.0], [10.0, 10.0]])
    np.testing.assert_allclose(cl.losses.cluster_means(points, labels, 3).numpy()[1], [0.0, 0.0])


def test_cluster_means_pass_the_gradient_one_over_the_count():
    points = tf.Variable([[1.0], [3.0], [7.0]])
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(cl.losses.cluster_means(points, tf.constant([0, 0, 1]), 2))
    np.testing.assert_allclose(tape.gradient(total, points).numpy(), [[0.5], [0.5], [1.0]])


# --------------------------------------------------------------------------- combining, KL


@pytest.mark.parametrize("weight", [0.0, 2.0])
def test_combine_kmeans_terms_equals_kmeans_loss(weight):
    within, between = cl.losses.kmeans_loss_terms(THREE_EMBEDDINGS, THREE_CENTROIDS)
    combined = cl.losses.combine_kmeans_terms(within, between, weight)
    assert float(combined) == pytest.approx(0.5 + weight / 56.0, rel=1e-6)
    assert float(combined) == pytest.approx(
        float(cl.kmeans_loss(THREE_EMBEDDINGS, THREE_CENTROIDS, between_weight=weight)))
    as_tensor = cl.losses.combine_kmeans_terms(within, between, tf.constant(weight))
    assert float(as_tensor) == pytest.approx(float(combined))


def test_combine_kmeans_terms_guards_a_zero_denominator_and_rejects_bad_weights():
    assert np.isfinite(float(cl.losses.combine_kmeans_terms(0.0, 0.0, 1.0)))
    for bad in (-1.0, float("nan"), True):
        with pytest.raises(ValueError, match="between_weight"):
            cl.losses.combine_kmeans_terms(1.0, 2.0, bad)


def test_kl_divergence_matches_numpy_and_is_zero_for_equal_rows():
    rng = np.random.default_rng(4)
    q = rng.random((6, 3)) + 0.1
    q /= q.sum(axis=1, keepdims=True)
    p = cl.losses.target_distribution(q).numpy()
    expected = (p * np.log(p / q)).sum(axis=1).mean()
    assert float(cl.losses.kl_divergence(p, q)) == pytest.approx(expected, rel=1e-10)
    assert float(cl.losses.kl_divergence(q, q)) == pytest.approx(0.0, abs=1e-12)
    # A zero target contributes nothing, a zero assignment stays finite.
    onehot = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert np.isfinite(float(cl.losses.kl_divergence(onehot, onehot[::-1])))
    with pytest.raises(ValueError, match="shape"):
        cl.losses.kl_divergence(np.ones((2, 3)) / 3, np.ones((2, 2)) / 2)


def test_kl_divergence_gradient_flows_to_the_assignments_only():
    p = tf.Variable([[0.7, 0.3]])
    q = tf.Variable([[0.5, 0.5]])
    with tf.GradientTape(persistent=True) as tape:
        kl = cl.losses.kl_divergence(p, q)
    assert tape.gradient(kl, p) is None
    np.testing.assert_allclose(tape.gradient(kl, q).numpy(), [[-1.4, -0.6]], rtol=1e-6)


# --------------------------------------------------------------------------- module rules


@pytest.mark.parametrize("module", ["losses", "deep"])
def test_module_uses_no_private_names_of_other_modules(module):
    import ast
    import pathlib

    path = pathlib.Path(cl.__file__).parent / f"{module}.py"
    tree = ast.parse(path.read_text())
    imported_modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            assert not [alias.name for alias in node.names if alias.name.startswith("_")]
        if isinstance(node, ast.ImportFrom) and node.level > 0 and node.module is None:
            imported_modules |= {alias.asname or alias.name for alias in node.names}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in imported_modules:
            assert not node.attr.startswith("_"), f"{module} uses {node.value.id}.{node.attr}"
