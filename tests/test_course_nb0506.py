"""The exercise checks of notebooks 06 (streaming) and 07 (inverting the transform), and the
neighbour-purity check of notebook 05."""

from __future__ import annotations

import numpy as np
import pytest

from clustering_course.inversion_lessons import (
    _candidates,
    _recover_centers,
    _trilaterate,
    _uncentered,
    check_mirror_candidates,
    check_recover_centers,
    recover_records,
)
from clustering_course.streaming_lessons import (
    ExerciseFailed,
    _complete_cases,
    _complete_centers,
    _macqueen,
    _prequential_totals,
    check_choose_half_life,
    check_complete_centers,
    check_macqueen,
    streaming_update,
)


def test_streaming_update_is_running_mean_without_decay():
    rng = np.random.default_rng(0)
    chunk = rng.normal(size=(50, 2))
    centers, counts = streaming_update(np.array([[0.0, 0.0]]), np.zeros(1), chunk)
    assert np.allclose(centers[0], chunk.mean(axis=0)) and counts[0] == 50
    more = rng.normal(size=(30, 2)) + 1
    centers, counts = streaming_update(centers, counts, more)
    assert np.allclose(centers[0], np.vstack([chunk, more]).mean(axis=0))


def test_streaming_update_decay_bounds_counts():
    centers, counts = np.zeros((1, 1)), np.zeros(1)
    for _ in range(200):
        centers, counts = streaming_update(centers, counts, np.ones((10, 1)), decay=0.5)
    assert np.isclose(counts[0], 20.0)


def test_macqueen_reference_passes(capsys):
    check_macqueen(lambda X, init: _macqueen(np.asarray(X, float), init))
    assert "all 5 cases pass" in capsys.readouterr().out


_whole_chunk_update = streaming_update  # the same update under a name the check does not watch


def test_macqueen_batch_update_is_diagnosed():
    def batch(X, init):
        return _whole_chunk_update(init, np.zeros(len(init)), X)

    with pytest.raises(ExerciseFailed, match="whole-chunk update"):
        check_macqueen(batch)


def test_macqueen_counting_the_start_is_diagnosed():
    with pytest.raises(ExerciseFailed, match="count as no points"):
        check_macqueen(lambda X, init: _macqueen(np.asarray(X, float), init, prior=1.0))


def test_choose_half_life_reference_passes(capsys):
    def reference(chunks, init, half_lives):
        return half_lives[int(np.argmin(_prequential_totals(chunks, init, half_lives)))]

    check_choose_half_life(reference)
    assert "all 3 cases pass" in capsys.readouterr().out


def test_choose_half_life_scoring_after_update_is_diagnosed():
    def after(chunks, init, half_lives):
        totals = _prequential_totals(chunks, init, half_lives, after=True)
        return half_lives[int(np.argmin(totals))]

    with pytest.raises(ExerciseFailed, match="before its update"):
        check_choose_half_life(after)


def _choose_by_totals(decay_of=lambda half_life: 0.5 ** (1 / half_life), pass_decay=True,
                      update=None, after=False):
    """A student's choose_half_life, scoring before the update, with a chosen slip."""

    def choose_half_life(chunks, init, half_lives):
        totals = []
        for half_life in half_lives:
            decay = decay_of(half_life)
            centers, counts = np.array(init, dtype=float), np.zeros(len(init))
            total = 0.0
            for step, chunk in enumerate(chunks):
                step_update = update or streaming_update  # the watched name, unless given
                if after:
                    centers, counts = step_update(centers, counts, chunk, decay)
                if step > 0:
                    total += ((chunk[:, None] - centers[None]) ** 2).sum(axis=2).min(axis=1).mean()
                if after:
                    continue
                if pass_decay:
                    centers, counts = step_update(centers, counts, chunk, decay)
                else:
                    centers, counts = step_update(centers, counts, chunk)
            totals.append(total)
        return half_lives[int(np.argmin(totals))]

    return choose_half_life


def test_choose_half_life_scoring_after_update_with_watched_decays_is_named_alone():
    """The decays it passed rule out the inverted conversion, which gives the same answer."""
    with pytest.raises(ExerciseFailed, match="before its update") as failure:
        check_choose_half_life(_choose_by_totals(after=True))
    assert "two slips" not in str(failure.value) and "same total" not in str(failure.value)


def test_choose_half_life_decay_not_passed_is_diagnosed():
    with pytest.raises(ExerciseFailed, match="same total") as failure:
        check_choose_half_life(_choose_by_totals(pass_decay=False))
    message = str(failure.value)
    assert "decay 1 (its default)" in message and "is `decay`" in message
    assert "after" not in message


def test_choose_half_life_decay_not_passed_to_own_update_is_diagnosed():
    """Without the watched streaming_update, the answer following the list's order tells."""
    with pytest.raises(ExerciseFailed, match="follows the order of the list") as failure:
        check_choose_half_life(_choose_by_totals(pass_decay=False, update=_whole_chunk_update))
    assert "is `decay`" in str(failure.value) and "after" not in str(failure.value)


def test_choose_half_life_inverted_conversion_is_diagnosed():
    with pytest.raises(ExerciseFailed, match="longer half-life forgets faster") as failure:
        check_choose_half_life(_choose_by_totals(decay_of=lambda half_life: 0.5**half_life))
    assert "scored after" not in str(failure.value)


def test_choose_half_life_other_conversion_is_named():
    with pytest.raises(ExerciseFailed, match="are not those of the half-lives"):
        check_choose_half_life(_choose_by_totals(decay_of=lambda half_life: 1 / half_life))


def test_recover_centers_reference_and_unsquared(capsys):
    check_recover_centers(_recover_centers)
    assert "all 7 cases pass" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed, match="squared distances"):
        check_recover_centers(lambda points, distances: _trilaterate(points, np.sqrt(distances)))


def test_recover_centers_through_invert_with_rank_check_passes(capsys):
    """The intended answer: section 2's invert with the roles swapped, after a rank check."""

    def invert(centers, D):
        middle = centers.mean(axis=0)
        a = centers - middle
        rhs = 0.5 * ((a**2).sum(axis=1) - (a**2).sum(axis=1).mean() - D**2
                     + (D**2).mean(axis=1, keepdims=True))
        return middle + np.linalg.lstsq(a, rhs.T, rcond=None)[0].T

    def recover_centers(points, distances):
        if np.linalg.matrix_rank(points - points.mean(axis=0)) < points.shape[1]:
            raise ValueError("the leaked records do not determine the centres")
        return invert(points, distances.T)

    check_recover_centers(recover_centers)
    assert "all 7 cases pass" in capsys.readouterr().out


def test_recover_centers_without_rank_check_is_diagnosed():
    with pytest.raises(ExerciseFailed, match="(?s)Case 6 of 7.*mirror image"):
        check_recover_centers(_trilaterate)


def test_recover_centers_uncentered_rank_check_is_diagnosed():
    def uncentered_rank(points, distances):
        if np.linalg.matrix_rank(points) < points.shape[1]:
            raise ValueError("not determined")
        return _trilaterate(points, distances)

    with pytest.raises(ExerciseFailed, match="(?s)Case 6 of 7.*rank of the centred"):
        check_recover_centers(uncentered_rank)


def test_recover_centers_other_error_on_degenerate_case_is_reported():
    def crashes(points, distances):
        if len(points) <= points.shape[1]:
            raise IndexError("boom")
        return _recover_centers(points, distances)

    with pytest.raises(ExerciseFailed, match="(?s)raised IndexError.*raise ValueError"):
        check_recover_centers(crashes)


def test_recover_centers_transposed_is_diagnosed():
    with pytest.raises(ExerciseFailed, match="transposed"):
        check_recover_centers(lambda points, distances: _trilaterate(points, distances).T)


def test_mirror_candidates_reference_and_squared_rho(capsys):
    check_mirror_candidates(_candidates)
    assert "all 5 cases pass" in capsys.readouterr().out

    def squared_rho(centers, distances):
        pair = _candidates(centers, distances)
        middle = pair.mean(axis=0)
        rho = np.linalg.norm(pair[0] - middle)
        direction = (pair[0] - middle) / rho
        return np.array([middle + rho**2 * direction, middle - rho**2 * direction])

    with pytest.raises(ExerciseFailed, match="take its root"):
        check_mirror_candidates(squared_rho)


def test_recover_centers_without_centering_is_diagnosed():
    with pytest.raises(ExerciseFailed, match="mean of the known points"):
        check_recover_centers(_uncentered)


def test_mirror_candidates_without_centering_is_diagnosed():
    def uncentered(centers, distances):
        p = _uncentered(centers, distances)[0]
        normal = np.linalg.svd(centers[1:] - centers[0])[2][-1]
        rho = np.sqrt(max(distances[0] ** 2 - np.sum((p - centers[0]) ** 2), 0.0))
        return np.array([p + rho * normal, p - rho * normal])

    with pytest.raises(ExerciseFailed, match="minimum-norm"):
        check_mirror_candidates(uncentered)


def test_macqueen_through_streaming_update_is_refused():
    def macqueen(X, init):
        centers, counts = np.array(init, dtype=float), np.zeros(len(init))
        for x in np.asarray(X, dtype=float):
            centers, counts = streaming_update(centers, counts, x[None])
        return centers, counts

    with pytest.raises(ExerciseFailed, match="calls streaming_update"):
        check_macqueen(macqueen)


def test_complete_centers_reference_passes(capsys):
    check_complete_centers(lambda X, init: _complete_centers(X, init))
    assert "all 5 cases pass" in capsys.readouterr().out


@pytest.mark.parametrize(("rule", "message"), [
    ("common", "known in every row"),
    ("zero", "read NaN as 0"),
    ("average", "averaged the squared differences"),
    ("all points", "mean of all the points"),
])
def test_complete_centers_slips_are_diagnosed(rule, message):
    with pytest.raises(ExerciseFailed, match=message):
        check_complete_centers(lambda X, init: _complete_centers(X, init, rule))


def test_complete_centers_reference_is_the_library_completion():
    import clustering_lib as cl

    for _, X, init in _complete_cases():
        library = cl.KMeans(len(init), init=init, max_iter=1).fit(X).init_centers_
        assert np.allclose(library, _complete_centers(X, init), atol=1e-9)


def test_recover_records_reference_attack():
    rng = np.random.default_rng(0)
    records, centers = rng.normal(size=(40, 3)) + 1e3, rng.normal(size=(7, 3)) + 1e3
    published = np.linalg.norm(records[:, None] - centers[None], axis=2)
    assert np.allclose(recover_records(records[:4], published[:4], published), records,
                       atol=1e-6)
    with pytest.raises(ValueError):
        recover_records(records[:3], published[:3], published)


def _gain(before, after, relative=False, *, reverse=False, ratio=False, scale=None,
          rho="spearman"):
    # Written as a student would: a slip at a time. scale: "absolute" or "relative" whatever
    # relative says (a scale mixed up with the other).
    from scipy import stats

    if scale is not None:
        relative = scale == "relative"
    if ratio:
        gain = after / before
    else:
        gain = before - after if reverse else after - before
        if relative:
            gain = gain / (1 - before)
    if rho == "pearson":
        return gain, stats.pearsonr(before, gain)[0]
    if rho == "with after":
        return gain, stats.spearmanr(before, after).statistic
    if rho == "after with gain":
        return gain, stats.spearmanr(after, gain).statistic
    if rho == "ordinal":
        ranks = [np.argsort(np.argsort(v)) for v in (before, gain)]
        return gain, np.corrcoef(*ranks)[0, 1]
    if rho == "whole":
        return gain, stats.spearmanr(before, gain)
    return gain, stats.spearmanr(before, gain).statistic


def test_gain_against_purity_reference_passes(capsys):
    from clustering_course.deep_lessons import check_gain_against_purity

    check_gain_against_purity(_gain)
    assert "all 8 cases pass" in capsys.readouterr().out


def test_gain_against_purity_accepts_both_scales_as_asked():
    # The relative scale is a right answer when it is asked for, not a slip.
    from clustering_course.deep_lessons import check_gain_against_purity

    def relative_form(before, after, relative=False):
        wrong_before, wrong_after = 1 - before, 1 - after
        gain = 1 - wrong_after / wrong_before if relative else after - before
        return gain, _gain(before, after, relative)[1]

    check_gain_against_purity(relative_form)


@pytest.mark.parametrize(("slip", "message"), [
    (lambda b, a, relative=False: _gain(b, a, relative, reverse=True), "a gain is what"),
    (lambda b, a, relative=False: _gain(b, a, relative, ratio=True),
     "divides by the share before"),
    (lambda b, a, relative=False: _gain(b, a, relative, scale="relative"),
     "relative=False the gain is on the scale of the shares"),
    (lambda b, a, relative=False: _gain(b, a, relative, scale="absolute"),
     "with relative=True it is\\s+measured against"),
    (lambda b, a, relative=False: _gain(b, a, relative, rho="pearson"), "Pearson"),
    (lambda b, a, relative=False: _gain(b, a, relative, rho="with after"),
     "with the\\s+shares after"),
    (lambda b, a, relative=False: _gain(b, a, relative, rho="after with gain"),
     "shares after with the gain"),
    (lambda b, a, relative=False: _gain(b, a, relative, rho="ordinal"), "average"),
    (lambda b, a, relative=False: _gain(b, a, relative, rho="whole"), "without its p-value"),
    (lambda b, a, relative=False: (_gain(b, a, relative)[0], -_gain(b, a, relative)[1]),
     "sign is reversed: correlate"),
    (lambda b, a, relative=False: a - b, "two things"),
])
def test_gain_against_purity_slips_are_diagnosed(slip, message):
    from clustering_course.deep_lessons import check_gain_against_purity

    with pytest.raises(ExerciseFailed, match=message):
        check_gain_against_purity(slip)


@pytest.mark.parametrize("use", ["cluster_accuracy", "evaluate_clustering", "match_labels",
                                 "imported name"])
def test_matched_agreement_refuses_the_library_matching(use):
    # The right number through the library's matching fails: the exercise is the matching.
    import clustering_lib as cl
    from clustering_course.deep_lessons import check_matched_agreement
    from clustering_course.exercises import ExerciseFailed

    def through_library(a, b):
        if use == "cluster_accuracy":
            return cl.cluster_accuracy(a, b)
        if use == "evaluate_clustering":
            return cl.evaluate_clustering(a, b)["accuracy"]
        return np.mean(cl.relabel(b, cl.match_labels(a, b, method="hungarian")) == a)

    if use == "imported name":  # as in a notebook cell: the name imported into its globals
        cell = {}
        exec("from clustering_lib import cluster_accuracy\n\n"
             "def through_library(a, b):\n    return cluster_accuracy(a, b)\n", cell)
        through_library = cell["through_library"]
    expected = "cluster_accuracy" if use == "imported name" else use
    with pytest.raises(ExerciseFailed, match=f"calls the library's {expected}"):
        check_matched_agreement(through_library)
    assert cl.cluster_accuracy is cl.metrics.cluster_accuracy  # the names are restored
    assert cl.match_labels is cl.metrics.match_labels


def test_matched_agreement_written_out_passes(capsys):
    from scipy.optimize import linear_sum_assignment

    from clustering_course.deep_lessons import check_matched_agreement

    def written_out(a, b):
        table = np.zeros((max(a.max(), b.max()) + 1,) * 2, dtype=np.int64)
        np.add.at(table, (a, b), 1)
        rows, cols = linear_sum_assignment(-table)
        return table[rows, cols].sum() / len(a)

    check_matched_agreement(written_out)
    assert "all 5 cases pass" in capsys.readouterr().out


def test_deskew_without_shear_only_recentres():
    # shear=False keeps the slant and moves the centre of mass to the middle, as shear=True does.
    from clustering_course.deep_lessons import deskew

    image = np.zeros((15, 15))
    for row in range(3, 12):
        image[row, 4 + (row - 3) // 2] = 1.0  # a bar leaning to the right, left of the middle
    rows, cols = np.mgrid[:15, :15]

    def centre_and_slant(picture):
        mass = picture.sum()
        ci, cj = (rows * picture).sum() / mass, (cols * picture).sum() / mass
        alpha = ((rows - ci) * (cols - cj) * picture).sum() / ((rows - ci) ** 2 * picture).sum()
        return ci, cj, alpha

    _, _, before = centre_and_slant(image)
    for shear in (True, False):
        ci, cj, alpha = centre_and_slant(deskew(image, shear=shear))
        assert abs(ci - 7) < 0.2 and abs(cj - 7) < 0.2
        if shear:
            assert abs(alpha) < 0.05
        else:
            assert abs(alpha - before) < 0.05 and before > 0.3
    np.testing.assert_array_equal(deskew(image), deskew(image, shear=True))
    with pytest.raises(ValueError, match="shear"):
        deskew(image, shear="no")


def _shared_reference(subset_a, labels_a, subset_b, labels_b):
    shared, rows_a, rows_b = np.intersect1d(subset_a, subset_b, return_indices=True)
    return shared, labels_a[rows_a], labels_b[rows_b]


def test_shared_partitions_reference_and_any_order_pass(capsys):
    from clustering_course.deep_lessons import check_shared_partitions

    check_shared_partitions(_shared_reference)

    def reversed_order(*args):
        shared, on_a, on_b = _shared_reference(*args)
        return shared[::-1], on_a[::-1], on_b[::-1]

    check_shared_partitions(reversed_order)

    def with_a_dictionary(subset_a, labels_a, subset_b, labels_b):
        row_b = {digit: row for row, digit in enumerate(subset_b)}
        rows = [(digit, labels_a[row], labels_b[row_b[digit]])
                for row, digit in enumerate(subset_a) if digit in row_b]
        shared, on_a, on_b = (np.array(column) for column in zip(*rows, strict=True))
        return shared, on_a, on_b

    check_shared_partitions(with_a_dictionary)
    assert capsys.readouterr().out.count("all 4 cases pass") == 3


def _positions(subset_a, labels_a, subset_b, labels_b):
    shared = np.intersect1d(subset_a, subset_b)
    return shared, labels_a[:len(shared)], labels_b[:len(shared)]


def _ids_as_rows(subset_a, labels_a, subset_b, labels_b):
    shared = np.intersect1d(subset_a, subset_b)
    return shared, labels_a[shared], labels_b[shared]


def _searchsorted(subset_a, labels_a, subset_b, labels_b):
    shared = np.intersect1d(subset_a, subset_b)
    return (shared, labels_a[np.searchsorted(subset_a, shared)],
            labels_b[np.searchsorted(subset_b, shared)])


def _union(subset_a, labels_a, subset_b, labels_b):
    shared = np.union1d(subset_a, subset_b)
    return shared, np.zeros(len(shared)), np.zeros(len(shared))


def _swapped(*args):
    shared, on_a, on_b = _shared_reference(*args)
    return shared, on_b, on_a


@pytest.mark.parametrize(("slip", "message"), [
    (_positions, "first rows of the subset"),
    (_ids_as_rows, "digit ids as rows"),
    (_searchsorted, "searchsorted assumes a sorted array"),
    (_union, "digits in either subset"),
    (_swapped, "swapped"),
    (lambda *args: _shared_reference(*args)[1:], "three things"),
])
def test_shared_partitions_slips_are_diagnosed(slip, message):
    from clustering_course.deep_lessons import check_shared_partitions
    from clustering_course.exercises import ExerciseFailed

    with pytest.raises(ExerciseFailed, match=message):
        check_shared_partitions(slip)
