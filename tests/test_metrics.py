"""Tests for clustering_lib.metrics, on tables small enough to check by hand."""

import itertools

import numpy as np
import pytest
from sklearn.metrics.cluster import contingency_matrix as sklearn_contingency_matrix

from clustering_lib.metrics import (
    cluster_accuracy,
    contingency_matrix,
    match_labels,
    purity,
    relabel,
)


def labels_from_table(table, classes, clusters):
    """Expand a contingency table into (labels_true, labels_pred) arrays."""
    counts = np.asarray(table).ravel()
    class_grid, cluster_grid = np.meshgrid(classes, clusters, indexing="ij")
    return np.repeat(class_grid.ravel(), counts), np.repeat(cluster_grid.ravel(), counts)


# Rows are classes A, B, C; columns are clusters 0, 1, 2. Clusters 0 and 1 both have A as
# their majority class. Purity = (4 + 3 + 5) / 15. The best one-to-one matching is
# A-0, B-1, C-2 with 4 + 2 + 5 = 11 correct (A-1, B-0, C-2 gives only 9).
SHARED_MAJORITY_TABLE = [[4, 3, 0], [1, 2, 0], [0, 0, 5]]


@pytest.fixture
def shared_majority_labels():
    return labels_from_table(SHARED_MAJORITY_TABLE, ["A", "B", "C"], [0, 1, 2])


def brute_force_accuracy(labels_true, labels_pred, n_clusters):
    """Best accuracy over every one-to-one assignment of clusters 0..n_clusters-1 to classes."""
    best_correct = 0
    for assignment in itertools.permutations(range(n_clusters)):
        predicted_classes = np.asarray(assignment)[labels_pred]
        best_correct = max(best_correct, int(np.sum(predicted_classes == labels_true)))
    return best_correct / labels_true.size


def test_contingency_matrix_hand_made(shared_majority_labels):
    table, classes, clusters = contingency_matrix(*shared_majority_labels)
    np.testing.assert_array_equal(table, SHARED_MAJORITY_TABLE)
    assert classes.tolist() == ["A", "B", "C"]
    assert clusters.tolist() == [0, 1, 2]


@pytest.mark.parametrize("seed", range(5))
def test_contingency_matrix_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    labels_true = rng.integers(0, 6, size=200)
    labels_pred = rng.integers(10, 18, size=200)
    table, classes, clusters = contingency_matrix(labels_true, labels_pred)
    np.testing.assert_array_equal(table, sklearn_contingency_matrix(labels_true, labels_pred))
    np.testing.assert_array_equal(classes, np.unique(labels_true))
    np.testing.assert_array_equal(clusters, np.unique(labels_pred))


def test_purity_and_accuracy_hand_made(shared_majority_labels):
    assert purity(*shared_majority_labels) == pytest.approx(12 / 15)
    assert cluster_accuracy(*shared_majority_labels) == pytest.approx(11 / 15)


def test_more_clusters_than_classes_purity_one_accuracy_lower():
    labels_true = [0, 0, 0, 0, 1, 1, 1, 1]
    labels_pred = [0, 0, 1, 1, 2, 2, 3, 3]
    assert purity(labels_true, labels_pred) == 1.0
    # Only two of the four clusters can be paired with a class: 2 + 2 of 8 samples.
    assert cluster_accuracy(labels_true, labels_pred) == pytest.approx(0.5)
    # match_labels still labels every cluster, falling back to the majority class.
    assert match_labels(labels_true, labels_pred) == {0: 0, 1: 0, 2: 1, 3: 1}


def test_fewer_clusters_than_classes_leaves_a_class_unused():
    labels_true = [0, 0, 1, 1, 2, 2]
    labels_pred = [5, 5, 5, 5, 7, 7]
    mapping = match_labels(labels_true, labels_pred)
    assert set(mapping) == {5, 7}
    assert mapping[7] == 2
    assert mapping[5] in {0, 1}
    assert cluster_accuracy(labels_true, labels_pred) == pytest.approx(4 / 6)


def test_string_labels():
    labels_true = np.array(["CAT", "CAT", "DOG", "DOG", "BIRD", "BIRD", "CHICKEN", "CHICKEN"])
    labels_pred = np.array([3, 3, 1, 1, 0, 2, 2, 2])
    table, classes, clusters = contingency_matrix(labels_true, labels_pred)
    assert classes.tolist() == ["BIRD", "CAT", "CHICKEN", "DOG"]
    assert clusters.tolist() == [0, 1, 2, 3]
    assert table.sum() == labels_true.size

    mapping = match_labels(labels_true, labels_pred)
    assert mapping == {0: "BIRD", 1: "DOG", 2: "CHICKEN", 3: "CAT"}
    assert all(type(key) is int for key in mapping)
    assert all(type(value) is str for value in mapping.values())
    assert purity(labels_true, labels_pred) == pytest.approx(7 / 8)
    assert cluster_accuracy(labels_true, labels_pred) == pytest.approx(7 / 8)
    assert relabel(labels_pred, mapping).tolist() == [
        "CAT", "CAT", "DOG", "DOG", "BIRD", "CHICKEN", "CHICKEN", "CHICKEN"
    ]  # fmt: skip


def test_string_cluster_ids():
    mapping = match_labels([1, 1, 2], ["b", "b", "a"])
    assert mapping == {"a": 2, "b": 1}


@pytest.mark.parametrize("seed", range(8))
def test_cluster_accuracy_equals_brute_force_k4(seed):
    rng = np.random.default_rng(seed)
    labels_true = rng.integers(0, 4, size=40)
    labels_pred = rng.integers(0, 4, size=40)
    expected = brute_force_accuracy(labels_true, labels_pred, n_clusters=4)
    assert cluster_accuracy(labels_true, labels_pred) == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(4))
def test_cluster_accuracy_equals_brute_force_more_clusters(seed):
    # Five clusters, four classes: a cluster sent to the non-existent class 4 is all wrong.
    rng = np.random.default_rng(100 + seed)
    labels_true = rng.integers(0, 4, size=40)
    labels_pred = rng.integers(0, 5, size=40)
    expected = brute_force_accuracy(labels_true, labels_pred, n_clusters=5)
    assert cluster_accuracy(labels_true, labels_pred) == pytest.approx(expected)


def test_majority_and_hungarian_differ_when_clusters_share_a_majority(shared_majority_labels):
    assert match_labels(*shared_majority_labels, method="majority") == {0: "A", 1: "A", 2: "C"}
    assert match_labels(*shared_majority_labels, method="hungarian") == {0: "A", 1: "B", 2: "C"}


def test_majority_ties_go_to_first_sorted_class():
    assert match_labels(["y", "x"], [0, 0], method="majority") == {0: "x"}


def test_relabel_round_trip():
    rng = np.random.default_rng(0)
    labels_true = rng.integers(0, 5, size=100)
    cluster_of_class = np.array([3, 0, 4, 1, 2])
    labels_pred = cluster_of_class[labels_true]

    mapping = match_labels(labels_true, labels_pred)
    np.testing.assert_array_equal(relabel(labels_pred, mapping), labels_true)
    inverse_mapping = {label: cluster for cluster, label in mapping.items()}
    np.testing.assert_array_equal(
        relabel(relabel(labels_pred, mapping), inverse_mapping), labels_pred
    )
    assert cluster_accuracy(labels_true, labels_pred) == 1.0


def test_relabel_keeps_shape():
    relabelled = relabel(np.array([[0, 1], [1, 0]]), {0: "a", 1: "b"})
    assert relabelled.tolist() == [["a", "b"], ["b", "a"]]


def test_relabel_missing_cluster_id_is_named():
    with pytest.raises(ValueError, match=r"cluster id\(s\) \[7\].*mapping"):
        relabel([0, 7, 0], {0: "a"})


def test_relabel_rejects_non_mapping():
    with pytest.raises(TypeError, match="mapping"):
        relabel([0, 1], [("a", 0)])


@pytest.mark.parametrize("seed", range(3))
def test_purity_and_accuracy_invariant_to_cluster_id_permutation(seed):
    rng = np.random.default_rng(seed)
    labels_true = rng.integers(0, 4, size=60)
    labels_pred = rng.integers(0, 6, size=60)
    renamed_pred = rng.permutation(6)[labels_pred]
    assert purity(labels_true, renamed_pred) == pytest.approx(purity(labels_true, labels_pred))
    assert cluster_accuracy(labels_true, renamed_pred) == pytest.approx(
        cluster_accuracy(labels_true, labels_pred)
    )
    string_pred = np.array(["p", "q", "r", "s", "t", "u"])[labels_pred]
    assert purity(labels_true, string_pred) == pytest.approx(purity(labels_true, labels_pred))


@pytest.mark.parametrize("function", [contingency_matrix, purity, match_labels, cluster_accuracy])
def test_bad_inputs_name_the_argument(function):
    with pytest.raises(ValueError, match=r"labels_true must be 1-D.*\(2, 2\)"):
        function([[0, 1], [1, 0]], [0, 1, 1, 0])
    with pytest.raises(ValueError, match=r"labels_pred must be 1-D.*\(2, 2\)"):
        function([0, 1, 1, 0], [[0, 1], [1, 0]])
    with pytest.raises(ValueError, match=r"labels_pred must be 1-D.*\(\)"):
        function([0], 0)
    with pytest.raises(ValueError, match=r"same length.*\(3,\) and \(2,\)"):
        function([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="must not be empty"):
        function([], [])


def test_unknown_method_is_named():
    with pytest.raises(ValueError, match="method must be one of.*'greedy'"):
        match_labels([0, 1], [1, 0], method="greedy")
