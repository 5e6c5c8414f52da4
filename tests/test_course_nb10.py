"""The course helpers of notebook 10: the graph, the spectrum, the edit distances and the checks.

Every check must accept a correct answer and reject the typical mistakes with the hint that
names them.
"""

import numpy as np
import pytest

from clustering_course import distance_lessons as dl
from clustering_course import text_lessons as tl
from clustering_course.exercises import ExerciseFailed


def _fails_with(check, function, words):
    with pytest.raises(ExerciseFailed) as info:
        check(function)
    assert words in str(info.value), str(info.value)


# --- data -----------------------------------------------------------------------------------

def test_weighted_digraph_edges_and_groups():
    edges, groups = dl.make_weighted_digraph(random_state=3)
    assert groups.tolist() == [0] * 8 + [1] * 8
    assert edges.shape[1] == 3 and edges.dtype == np.int64
    assert np.all(edges[:, 0] != edges[:, 1])  # no self-loops
    keys = edges[:, 0] * 100 + edges[:, 1]
    assert np.all(np.diff(keys) > 0)  # sorted, no duplicate
    same = groups[edges[:, 0]] == groups[edges[:, 1]]
    assert edges[same, 2].min() >= 40 and edges[same, 2].max() <= 100
    assert edges[~same, 2].min() >= 1 and edges[~same, 2].max() <= 40
    assert same.mean() > 0.7  # most edges inside a group
    W = np.zeros((16, 16))
    W[edges[:, 0], edges[:, 1]] = edges[:, 2]
    assert not np.array_equal(W, W.T)  # directed
    again, _ = dl.make_weighted_digraph(random_state=3)
    assert np.array_equal(edges, again)


def test_weighted_digraph_validates():
    with pytest.raises(ValueError):
        dl.make_weighted_digraph(group_sizes=(3, 0))
    with pytest.raises(ValueError):
        dl.make_weighted_digraph(p_within=1.5)
    with pytest.raises(ValueError):
        dl.make_weighted_digraph(within_weights=(5, 2))


def test_double_centered_spectrum():
    star = np.array([[0, 1, 1, 1], [1, 0, 2, 2], [1, 2, 0, 2], [1, 2, 2, 0]], float)
    assert np.allclose(dl.double_centered_spectrum(star**2), [2, 2, 0, -0.25], atol=1e-12)
    points = np.random.default_rng(0).normal(size=(30, 4))
    D2 = ((points[:, None] - points[None]) ** 2).sum(-1)
    spectrum = dl.double_centered_spectrum(D2)
    assert spectrum.min() > -1e-9 * spectrum[0] and np.sum(spectrum > 1e-9 * spectrum[0]) == 4


def test_word_families_ancestors_do_not_change_the_words():
    words, families = tl.make_word_families(n_families=3, per_family=6, random_state=4)
    again, families_again, ancestors = tl.make_word_families(
        n_families=3, per_family=6, random_state=4, return_ancestors=True)
    assert again == words and np.array_equal(families, families_again)
    assert len(ancestors) == 3 and all(len(a) == 12 for a in ancestors)
    D = tl.edit_distance_matrix(words + ancestors)
    for family in range(3):  # every word is at most n_edits from its ancestor
        assert D[18 + family, :18][families == family].max() <= 4


@pytest.mark.parametrize("words", [
    [], ["ACGT"], ["", ""], ["", "abc", "ab"], ["kitten", "sitting", "flaw", "lawn", ""],
    tl.make_word_families(n_families=3, per_family=7, n_edits=6, random_state=9)[0],
])
def test_edit_distance_matrix_matches_the_pairwise_recurrence(words):
    D = tl.edit_distance_matrix(words)
    n = len(words)
    expected = np.array([[tl.edit_distance(a, b) for b in words] for a in words],
                        dtype=float).reshape(n, n)
    assert D.shape == (n, n) and D.dtype == np.float64
    assert np.array_equal(D, expected)


# --- the constant shift ---------------------------------------------------------------------

def _centering(n):
    return np.eye(n) - np.ones((n, n)) / n


def _shift(D2, factor=2.0, diagonal=False, of_d2=False, largest=False, sign=1.0, extra=0.0,
           centering="both"):
    n = len(D2)
    J = _centering(n)
    B = {"both": -0.5 * J @ D2 @ J, "left": -0.5 * J @ D2, "right": -0.5 * D2 @ J,
         "none": -0.5 * D2}[centering]
    eigenvalues = np.linalg.eigvalsh(D2 if of_d2 else B)
    value = eigenvalues.max() if largest else eigenvalues.min()
    c = sign * max(0.0, -factor * value) + extra
    return D2 + c * (np.ones((n, n)) if diagonal else 1.0 - np.eye(n))


def test_constant_shift_accepts_the_solution(capsys):
    dl.check_constant_shift(_shift)
    assert "all 5 cases pass" in capsys.readouterr().out


def test_constant_shift_result_is_positive_semidefinite_with_costs_shifted():
    words, families = tl.make_word_families(random_state=1)
    D2 = tl.edit_distance_matrix(words) ** 2
    shifted = _shift(D2)
    spectrum = dl.double_centered_spectrum(shifted)
    assert spectrum.min() > -1e-9 * spectrum[0] and spectrum.min() < 1e-9 * spectrum[0]
    c = shifted[0, 1] - D2[0, 1]

    def cost(M, labels):
        return sum(M[np.ix_(labels == g, labels == g)].sum() / (2 * np.sum(labels == g))
                   for g in np.unique(labels))

    for labels in [families, np.arange(len(words)) % 3]:
        k = len(np.unique(labels))
        assert np.isclose(cost(shifted, labels) - cost(D2, labels), c * (len(words) - k) / 2)


@pytest.mark.parametrize("mistake, words", [
    (lambda D2: _shift(D2, factor=1.0), "raises B's eigenvalues by c/2"),
    (lambda D2: _shift(D2, diagonal=True), "distance 0 from itself"),
    (lambda D2: _shift(D2, sign=-1.0), "check a sign"),
    (lambda D2: _shift(D2, of_d2=True), "smallest eigenvalue of D2 itself"),
    (lambda D2: _shift(D2, factor=-2.0, largest=True), "B's largest eigenvalue"),
    (lambda D2: _shift(D2, extra=1.0), "larger than needed"),
    (lambda D2: _shift(D2, centering="left"), "centre D2 on both sides"),
    (lambda D2: _shift(D2, centering="right"), "centre D2 on both sides"),
    (lambda D2: _shift(D2, centering="none"), "centre D2 on both sides"),
    (lambda D2: (np.sqrt(D2) + 1.0 - np.eye(len(D2))) ** 2, "ONE constant"),
    (lambda D2: D2, "wrong constant"),
])
def test_constant_shift_diagnoses_mistakes(mistake, words):
    _fails_with(dl.check_constant_shift, mistake, words)


def test_constant_shift_stub_error_comes_through():
    def stub(D2):
        raise NotImplementedError("Your turn")

    with pytest.raises(NotImplementedError):
        dl.check_constant_shift(stub)
