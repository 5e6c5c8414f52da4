"""Tests of clustering_course.deep_lessons (notebooks 04 and 05's course-only helpers)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.optimize import linear_sum_assignment  # noqa: E402

from clustering_course.deep_lessons import (  # noqa: E402
    check_loss_from_share,
    check_matched_agreement,
    plot_off_diagonal,
    uniform_distortion,
)
from clustering_course.exercises import ExerciseFailed  # noqa: E402


def _loss_from_share(share, k):
    return 2 * np.sqrt(share / (2 * k - (k + 1) * share))


def _matched_agreement(a, b):
    table = np.zeros((max(a.max(), b.max()) + 1,) * 2, dtype=np.int64)
    np.add.at(table, (a, b), 1)
    rows, cols = linear_sum_assignment(-table)
    return table[rows, cols].sum() / len(a)


def test_loss_from_share_check_accepts_the_solution(capsys):
    check_loss_from_share(_loss_from_share)
    assert "all 5 cases pass" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda r, k: np.sqrt(r / (2 * k - (k + 1) * r)), "twice one of them"),
    (lambda r, k: 2 * r / (2 * k - (k + 1) * r), "this is 2 W/B"),
    (lambda r, k: 2 * np.sqrt((2 * k - (k + 1) * r) / r), "not the other way round"),
    (lambda r, k: 2 * np.sqrt(r / (2 * k)), "drops the W term"),
    (lambda r, k: 2 * np.sqrt(r / (2 * k - (k - 1) * r)), "k more"),
    (lambda r, k: 2 * np.sqrt(r / (k - r)), "spread of the centroids"),
    (lambda r, k: 2 * np.sqrt(r / (20 - 11 * r)), "not always 10"),
    (lambda r, k: 2 * np.sqrt(r / (2 * k - (k + 1) * r)) + 0.01, "T cancels"),
])
def test_loss_from_share_check_diagnoses_typical_mistakes(wrong, hint):
    with pytest.raises(ExerciseFailed, match=hint):
        check_loss_from_share(wrong)


def test_loss_from_share_check_names_a_scalar_only_function():
    def scalar_only(share, k):
        return 2 * float(share / (2 * k - (k + 1) * share)) ** 0.5

    with pytest.raises(ExerciseFailed, match="one array"):
        check_loss_from_share(scalar_only)


def test_matched_agreement_check_accepts_the_solution(capsys):
    check_matched_agreement(_matched_agreement)
    assert "all 3 cases pass" in capsys.readouterr().out


def test_matched_agreement_check_diagnoses_unmatched_comparison():
    with pytest.raises(ExerciseFailed, match="match the clusters first"):
        check_matched_agreement(lambda a, b: np.mean(a == b))


@pytest.mark.parametrize("check", [check_matched_agreement, check_loss_from_share])
def test_stub_error_passes_through(check):
    def stub(a, b):
        raise NotImplementedError("Your turn")

    with pytest.raises(NotImplementedError):
        check(stub)


def test_uniform_distortion_follows_the_quantisation_law():
    share = uniform_distortion(dims=(1, 2), ks=(4, 10), n_points=2000)
    assert share[0] == pytest.approx(1 / np.array([16, 100]), rel=0.15)
    assert share[1, 1] == pytest.approx(0.1, rel=0.2)


def test_plot_off_diagonal_greys_the_diagonal():
    ax = plot_off_diagonal(np.array([[50, 2], [3, 40]]), title="t")
    image = ax.images[0].get_array()
    assert np.ma.is_masked(image[0, 0]) or np.isnan(image[0, 0])
    assert image[0, 1] == 2
    plt.close(ax.figure)
    with pytest.raises(ValueError):
        plot_off_diagonal(np.zeros((2, 3)))
