"""The checks of notebook 01's exercises pass right answers and name the usual slips."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import silhouette_samples

from clustering_course.exercises import ExerciseFailed
from clustering_course.kmeans_lessons import (
    check_kmeans_plusplus_init,
    check_silhouette_values,
    print_table,
    seeding_probabilities,
)


def _seeding(weigh, first=None, indices=False, replace=False):
    """A seeding that weighs points by ``weigh(squared distances to the chosen, chosen)``."""

    def kmeans_plusplus_init(X, n_clusters, rng):
        X = np.asarray(X, dtype=float)
        chosen = [int(rng.integers(len(X))) if first is None else first]
        while len(chosen) < n_clusters:
            squared = ((X[:, None, :] - X[chosen][None, :, :]) ** 2).sum(axis=2)
            weights = np.asarray(weigh(squared, chosen), dtype=float)
            if not replace:
                weights[chosen] = 0.0
            chosen.append(int(rng.choice(len(X), p=weights / weights.sum())))
        return np.array(chosen) if indices else X[chosen]

    return kmeans_plusplus_init


def _nearest(squared, chosen):
    return squared.min(axis=1)


RIGHT = _seeding(_nearest)


@pytest.mark.slow
def test_right_seeding_passes(capsys):
    check_kmeans_plusplus_init(RIGHT)
    assert "all 5 cases pass" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.parametrize(("wrong", "words"), [
    (_seeding(lambda s, c: np.sqrt(s.min(axis=1))), "distance D itself"),
    (_seeding(lambda s, c: s[:, -1]), "not to the centre chosen last"),
    (_seeding(lambda s, c: s[:, 0]), "not to the first centre"),
    (_seeding(lambda s, c: np.ones(len(s))), "drawn uniformly"),
    (_seeding(_nearest, indices=True), "returned indices"),
    (_seeding(lambda s, c: s.min(axis=1) + 1.0, replace=True), "chosen twice"),
    (_seeding(_nearest, first=0), "equal chance"),
    (_seeding(lambda s, c: s.min(axis=1) == s.min(axis=1).max()), "always the farthest"),
])
def test_seeding_slips_are_named(wrong, words):
    with pytest.raises(ExerciseFailed, match=words):
        check_kmeans_plusplus_init(wrong)


def test_global_random_state_is_caught():
    def uses_global(X, n_clusters, rng):
        return RIGHT(X, n_clusters, np.random.default_rng())

    with pytest.raises(ExerciseFailed, match="same seed"):
        check_kmeans_plusplus_init(uses_global)


def test_exact_probabilities_sum_to_one():
    line = np.array([[0.0], [1.0], [3.0], [7.0]])
    for rule in ["D²", "D", "uniform", "farthest point"]:
        assert sum(seeding_probabilities(line, 3, rule).values()) == pytest.approx(1.0)
    # two points: the second centre is the other one, whatever the rule
    assert seeding_probabilities(line[:2], 2) == {(0, 1): 0.5, (1, 0): 0.5}


def test_stub_error_comes_through():
    def stub(X, n_clusters, rng):
        raise NotImplementedError("Your turn: ...")

    with pytest.raises(NotImplementedError):
        check_kmeans_plusplus_init(stub)


def _silhouette(X, labels):
    values = silhouette_samples(X, labels)
    return values


def test_right_silhouette_passes(capsys):
    check_silhouette_values(_silhouette)
    assert "all 4 cases pass" in capsys.readouterr().out


def _own_silhouette(X, labels, divide_by_size=False, squared=False, singleton=0.0):
    distances = np.sqrt(((X[:, None] - X[None]) ** 2).sum(axis=2))
    if squared:
        distances = distances ** 2
    values = np.zeros(len(X))
    for i in range(len(X)):
        own = labels == labels[i]
        if own.sum() == 1:
            values[i] = singleton
            continue
        a = distances[i, own].sum() / (own.sum() if divide_by_size else own.sum() - 1)
        b = min(distances[i, labels == c].mean() for c in np.unique(labels) if c != labels[i])
        values[i] = (b - a) / max(a, b)
    return values


def _all_others(X, labels):
    distances = np.sqrt(((X[:, None] - X[None]) ** 2).sum(axis=2))
    values = np.zeros(len(X))
    for i in range(len(X)):
        own = labels == labels[i]
        if own.sum() > 1:
            a = distances[i, own].sum() / (own.sum() - 1)
            b = distances[i, ~own].mean()
            values[i] = (b - a) / max(a, b)
    return values


def test_own_reference_passes():
    check_silhouette_values(_own_silhouette)


@pytest.mark.parametrize(("wrong", "words"), [
    (lambda X, y: _own_silhouette(X, y, divide_by_size=True), "size minus 1"),
    (lambda X, y: _own_silhouette(X, y, squared=True), "not squared"),
    (lambda X, y: _own_silhouette(X, y, singleton=1.0), "silhouette to 0"),
    (lambda X, y: _own_silhouette(X, y, singleton=np.nan), "silhouette to 0"),
    (lambda X, y: float(silhouette_samples(X, y).mean()), "silhouette_score"),
    (_all_others, "nearest"),
])
def test_silhouette_slips_are_named(wrong, words):
    with pytest.raises(ExerciseFailed, match=words):
        check_silhouette_values(wrong)


def test_checks_compare_with_scikit_learn():
    # the reference of check_silhouette_values is sklearn.metrics.silhouette_samples itself
    from clustering_course import kmeans_lessons

    assert kmeans_lessons.silhouette_samples is silhouette_samples


def test_no_private_names_imported():
    import ast
    import inspect

    from clustering_course import kmeans_lessons

    tree = ast.parse(inspect.getsource(kmeans_lessons))
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for alias in node.names]
    assert imported and not [name for name in imported if name.startswith("_")]


def test_print_table_aligns_columns_and_stacks_headings(capsys):
    print_table({"first row": [0.5, "a", None], "second": [12, "long value", 3.14159]},
                ["x", "two\nlines", "y"], title="a table", digits=3)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "a table"
    assert lines[1].rstrip().endswith("two") and "x" not in lines[1]  # headings bottom-aligned
    assert lines[3] == "first row  0.500           a"  # float digits, empty cell at the end
    assert lines[4] == "second        12  long value  3.142"


def test_print_table_refuses_a_row_of_the_wrong_length():
    with pytest.raises(ValueError, match="2 values for 3 columns"):
        print_table({"row": [1, 2]}, ["a", "b", "c"])
