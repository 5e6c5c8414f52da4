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
    deskew,
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
    assert "all 5 cases pass" in capsys.readouterr().out


def test_matched_agreement_check_diagnoses_unmatched_comparison():
    with pytest.raises(ExerciseFailed, match="match the clusters first"):
        check_matched_agreement(lambda a, b: np.mean(a == b))


def _table(a, b):
    table = np.zeros((max(a.max(), b.max()) + 1,) * 2, dtype=np.int64)
    np.add.at(table, (a, b), 1)
    return table


def _minimised(a, b):
    from scipy.optimize import linear_sum_assignment

    table = _table(a, b)
    rows, cols = linear_sum_assignment(table)
    return table[rows, cols].sum() / len(a)


def _greedy(a, b):
    table = _table(a, b)
    total = 0
    for _ in range(min(table.shape)):
        row, col = np.unravel_index(np.argmax(table), table.shape)
        total += table[row, col]
        table[row, :] = -1
        table[:, col] = -1
    return total / len(a)


@pytest.mark.parametrize("wrong, message", [
    (lambda a, b: _table(a, b).max(axis=0).sum() / len(a), "one-to-one"),
    (lambda a, b: _table(a, b).max(axis=1).sum() / len(a), "one-to-one"),
    (_greedy, "greedy"),
    (_minimised, "minimises"),
])
def test_matched_agreement_check_diagnoses_typical_mistakes(wrong, message):
    with pytest.raises(ExerciseFailed, match=message):
        check_matched_agreement(wrong)


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


def _slant(image):
    rows, cols = np.mgrid[: image.shape[0], : image.shape[1]]
    mass = image.sum()
    ci, cj = (rows * image).sum() / mass, (cols * image).sum() / mass
    return ((rows - ci) * (cols - cj) * image).sum() / ((rows - ci) ** 2 * image).sum(), ci, cj


def _slanted_bar(alpha, shift=0.0):
    image = np.zeros((28, 28))
    for row in range(6, 22):
        image[row, int(round(13.5 + shift + alpha * (row - 13.5)))] = 1.0
    return image


def test_deskew_straightens_a_slanted_bar_and_centres_it():
    image = _slanted_bar(0.4, shift=3.0)
    assert _slant(image)[0] > 0.3
    straight = deskew(image)
    alpha, ci, cj = _slant(straight)
    assert abs(alpha) < 0.05
    assert abs(ci - 13.5) < 0.5 and abs(cj - 13.5) < 0.5
    assert straight.sum() == pytest.approx(image.sum(), rel=0.05)


def test_deskew_keeps_an_upright_centred_image_and_a_blank_one():
    image = _slanted_bar(0.0)
    image[6:22, 13] = 1.0  # two columns: centred at 13.5
    np.testing.assert_allclose(deskew(image), image, atol=1e-12)
    blank = np.zeros((28, 28))
    np.testing.assert_array_equal(deskew(blank), blank)


def test_deskew_works_on_a_stack_and_checks_the_shape():
    stack = np.stack([_slanted_bar(0.3), _slanted_bar(-0.3), np.zeros((28, 28))])
    out = deskew(stack)
    assert out.shape == stack.shape and out.dtype == np.float64
    np.testing.assert_allclose(out[0], deskew(stack[0]))
    assert abs(_slant(out[1])[0]) < 0.05
    with pytest.raises(ValueError, match="shape"):
        deskew(np.zeros(784))


def test_deskew_loses_ink_at_the_frame_unless_padded():
    # A slanted bar that touches the frame: straightening moves ink out unless there is room.
    image = np.zeros((8, 8))
    for row in range(8):
        image[row, min(7, 1 + row)] = 1.0
    assert deskew(image).sum() < 0.95 * image.sum()
    padded = deskew(image, pad=2)
    assert padded.shape == (12, 12)
    assert padded.sum() == pytest.approx(image.sum(), rel=0.02)
    with pytest.raises(ValueError, match="pad"):
        deskew(image, pad=-1)
