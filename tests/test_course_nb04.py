"""Tests of clustering_course.deep_lessons (notebooks 04 and 05's course-only helpers)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.optimize import linear_sum_assignment  # noqa: E402

from clustering_course.deep_lessons import (  # noqa: E402
    check_lloyd_from_partition,
    check_matched_agreement,
    deskew,
    plot_off_diagonal,
    uniform_distortion,
)
from clustering_course.exercises import ExerciseFailed  # noqa: E402


def _lloyd_from_partition(embedding, labels, n_steps, slip=None):
    points = np.asarray(embedding, dtype=np.float64)
    k = labels.max() + 1
    total = {"uncentred": (points ** 2).sum(axis=1).mean(), "flattened": points.var(),
             "mean variance": points.var(axis=0).mean()}.get(slip, points.var(axis=0).sum())
    first = np.stack([points[labels == j].mean(axis=0) for j in range(k)])
    shares, before, previous = [], labels, None
    for step in range(n_steps + 1):
        means = first if slip == "fixed means" else np.stack(
            [points[labels == j].mean(axis=0) for j in range(k)])
        squared = ((points - means[labels]) ** 2).sum(axis=1)
        if slip == "e-step" and step > 0:
            squared = ((points - previous[labels]) ** 2).sum(axis=1)
        within = {"summed": squared.sum(), "unsquared": np.sqrt(squared).mean()}.get(
            slip, squared.mean())
        shares.append(within / total)
        previous = means
        if step < n_steps:
            before = labels
            labels = ((points[:, None, :] - means[None]) ** 2).sum(axis=2).argmin(axis=1)
    if slip == "no start":
        shares = shares[1:]
    return np.array(shares), before if slip == "labels before" else labels


def _matched_agreement(a, b):
    table = np.zeros((max(a.max(), b.max()) + 1,) * 2, dtype=np.int64)
    np.add.at(table, (a, b), 1)
    rows, cols = linear_sum_assignment(-table)
    return table[rows, cols].sum() / len(a)


def test_lloyd_from_partition_check_accepts_the_solution(capsys):
    check_lloyd_from_partition(_lloyd_from_partition)
    assert "all 4 cases pass" in capsys.readouterr().out


def test_lloyd_from_partition_check_accepts_float32_tensors(capsys):
    import tensorflow as tf

    def in_float32(embedding, labels, n_steps):
        shares, moved = _lloyd_from_partition(embedding.astype(np.float32), labels, n_steps)
        return tf.constant(shares, tf.float32), moved

    check_lloyd_from_partition(in_float32)
    assert "all 4 cases pass" in capsys.readouterr().out


@pytest.mark.parametrize("slip, hint", [
    ("uncentred", "not centred on the origin"),
    ("flattened", "not the variance of all entries"),
    ("mean variance", "d times smaller"),
    ("fixed means", "compute the means again"),
    ("e-step", "the means move too"),
    ("summed", "not a sum"),
    ("unsquared", "squared distances"),
    ("no start", "n_steps \\+ 1 shares"),
    ("labels before", "the step before the last"),
])
def test_lloyd_from_partition_check_diagnoses_typical_mistakes(slip, hint):
    with pytest.raises(ExerciseFailed, match=hint):
        check_lloyd_from_partition(
            lambda embedding, labels, n_steps: _lloyd_from_partition(embedding, labels,
                                                                     n_steps, slip))


def test_lloyd_from_partition_check_asks_for_two_results():
    with pytest.raises(ExerciseFailed, match="return shares, labels"):
        check_lloyd_from_partition(lambda e, labels, n: _lloyd_from_partition(e, labels, n)[0])


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


@pytest.mark.parametrize("check", [check_matched_agreement, check_lloyd_from_partition])
def test_stub_error_passes_through(check):
    def stub(*args):
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


def test_deskew_straightens_a_slanted_bar_and_centers_it():
    image = _slanted_bar(0.4, shift=3.0)
    assert _slant(image)[0] > 0.3
    straight = deskew(image)
    alpha, ci, cj = _slant(straight)
    assert abs(alpha) < 0.05
    assert abs(ci - 13.5) < 0.5 and abs(cj - 13.5) < 0.5
    assert straight.sum() == pytest.approx(image.sum(), rel=0.05)


def test_deskew_keeps_an_upright_centered_image_and_a_blank_one():
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
