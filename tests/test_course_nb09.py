"""The exercise checks of notebook 09 (choosing k): right answers pass, typical slips are named."""

import numpy as np
import pytest
from sklearn.metrics import silhouette_samples

from clustering_course import choosing_k_lessons as ck
from clustering_course.exercises import ExerciseFailed


def _fails_with(check, function, words):
    with pytest.raises(ExerciseFailed) as info:
        check(function)
    assert words in str(info.value), str(info.value)


def test_module_re_exports_the_checks():
    from clustering_course import text_lessons

    assert ck.check_silhouette_values is text_lessons.check_silhouette_values
    assert ck.check_prediction_strength is text_lessons.check_prediction_strength


def _silhouettes(D, labels, *, with_self=False, nearest_point=False):
    labels = np.asarray(labels)
    s = np.zeros(len(D))
    for i in range(len(D)):
        own = labels == labels[i]
        if own.sum() == 1:
            continue
        a = D[i, own].mean() if with_self else D[i, own].sum() / (own.sum() - 1)
        if nearest_point:
            b = D[i, ~own].min()
        else:
            b = min(D[i, labels == c].mean() for c in np.unique(labels) if c != labels[i])
        s[i] = (b - a) / max(a, b)
    return s


def test_silhouette_accepts_right_answers(capsys):
    ck.check_silhouette_values(_silhouettes)
    ck.check_silhouette_values(lambda D, y: silhouette_samples(D, y, metric="precomputed"))
    assert "all 4 cases pass" in capsys.readouterr().out


@pytest.mark.parametrize(("wrong", "words"), [
    (lambda D, y: _silhouettes(D, y, with_self=True), "size minus one"),
    (lambda D, y: _silhouettes(D, y, nearest_point=True), "single nearest outside point"),
])
def test_silhouette_slips_are_named(wrong, words):
    _fails_with(ck.check_silhouette_values, wrong, words)


def _strength(points, labels, centers, *, reduce=min, with_self=False):
    nearest = np.argmin(((points[:, None, :] - centers[None]) ** 2).sum(-1), axis=1)
    shares = []
    for cluster in np.unique(labels):
        members = nearest[labels == cluster]
        n = len(members)
        same = (members[:, None] == members[None, :]).sum()
        if with_self:
            shares.append(same / n**2)
        elif n > 1:
            shares.append((same - n) / (n * (n - 1)))
    return float(reduce(shares))


def test_prediction_strength_accepts_right_answer(capsys):
    ck.check_prediction_strength(_strength)
    assert "all 4 cases pass" in capsys.readouterr().out


@pytest.mark.parametrize(("wrong", "words"), [
    (lambda p, y, c: _strength(p, y, c, reduce=np.mean), "MINIMUM"),
    (lambda p, y, c: _strength(p, y, c, with_self=True), "DISTINCT"),
])
def test_prediction_strength_slips_are_named(wrong, words):
    _fails_with(ck.check_prediction_strength, wrong, words)
