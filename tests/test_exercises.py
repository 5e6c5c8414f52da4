"""The exercise framework: stubs pass through, student errors become feedback, and the
streamed-centres check (notebook 06) diagnoses its typical mistakes.

The checks of the other notebooks are tested beside their lesson modules
(``tests/test_course_nb*.py``); the tests here use some of them to exercise the framework.
"""

import re

import numpy as np
import pytest

from clustering_course import (
    inversion_lessons,
    kmeans_lessons,
    nmf_lessons,
    quantization_lessons,
    streaming_lessons,
    text_lessons,
)
from clustering_course.exercises import ExerciseFailed, check_streamed_centers

LIVE_CHECKS = [
    kmeans_lessons.check_silhouette_values,
    quantization_lessons.check_dither,
    nmf_lessons.check_cone_codes,
    streaming_lessons.check_macqueen,
    inversion_lessons.check_recover_centers,
    text_lessons.check_spherical_step,
    check_streamed_centers,
]


def fails_with(check, function, *patterns):
    """Run ``check(function)``, expect ExerciseFailed, and match every pattern in its message."""
    with pytest.raises(ExerciseFailed) as info:
        check(function)
    message = str(info.value)
    for pattern in patterns:
        assert re.search(pattern, message, flags=re.S), f"{pattern!r} not in:\n{message}"
    assert "Hint:" in message
    return message


def passes(check, function, capsys):
    check(function)
    line = capsys.readouterr().out.strip()
    assert re.fullmatch(r"\w+: all \d+ cases pass\. Well done!", line), line


def stub(*args, **kwargs):
    raise NotImplementedError("Your turn: write this function.")


@pytest.mark.parametrize("check", LIVE_CHECKS)
def test_a_stub_raises_not_implemented_error_through_the_check(check):
    with pytest.raises(NotImplementedError, match="Your turn"):
        check(stub)


@pytest.mark.parametrize("check", LIVE_CHECKS)
def test_passing_the_result_instead_of_the_function_is_a_type_error(check):
    with pytest.raises(TypeError, match="pass your function itself"):
        check(np.zeros(3))


def test_an_error_inside_the_students_function_becomes_feedback():
    def broken(points, distances):
        return points.undefined_attribute

    message = fails_with(inversion_lessons.check_recover_centers, broken,
                         r"Case 1 of \d+ \(the plane: 3 leaked points, 2 centres\)",
                         "raised AttributeError", "undefined_attribute")
    assert message.splitlines()[-1] == "Fix your function and run this cell again."


def test_the_error_names_the_students_line_not_numpys():
    def singular(points, distances):
        return np.linalg.solve(np.zeros((len(points) - 1,) * 2), distances[1:])

    fails_with(inversion_lessons.check_recover_centers, singular,
               "raised LinAlgError: Singular matrix",
               r"line \d+: return np.linalg.solve\(np.zeros",
               r"points = an array of shape \(3, 2\) \(float64\), "
               r"distances = an array of shape \(3, 2\)")

    def reads_wrongly(batches, centers):
        return next(iter(batches)).undefined

    fails_with(check_streamed_centers, reads_wrongly, "raised AttributeError",
               r"batches = a stream of 1 batches \(it can be read once\)")


def test_in_ipython_only_the_message_is_shown():
    error = ExerciseFailed("lloyd_step: not quite yet.\n  Hint: h")
    assert error._render_traceback_() == ["ExerciseFailed: lloyd_step: not quite yet.",
                                          "  Hint: h"]


# --- 11 ---------------------------------------------------------------------------------------

def streamed_centers(batches, centers):
    sums = np.zeros(centers.shape, dtype=np.float64)
    counts = np.zeros(len(centers), dtype=np.int64)
    for batch in batches:
        squared = ((batch[:, None, :] - centers[None]) ** 2).sum(axis=2)
        labels = squared.argmin(axis=1)
        np.add.at(sums, labels, batch)
        counts += np.bincount(labels, minlength=len(centers))
    new_centers = centers.astype(np.float64)
    filled = counts > 0
    new_centers[filled] = sums[filled] / counts[filled, None]
    return new_centers, counts


def test_streamed_centers_passes_a_correct_solution(capsys):
    passes(check_streamed_centers, streamed_centers, capsys)


def test_streamed_centers_mean_of_batch_means():
    def mean_of_means(batches, centers):
        means, counts = [], np.zeros(len(centers), dtype=np.int64)
        for batch in batches:
            batch_centers, batch_counts = streamed_centers([batch], centers)
            means.append(np.where(batch_counts[:, None] > 0, batch_centers, np.nan))
            counts += batch_counts
        stacked = np.stack(means)
        return np.where(np.isnan(stacked).all(axis=0), centers, np.nanmean(stacked, axis=0)), \
            counts

    fails_with(check_streamed_centers, mean_of_means, r"Case 2 of 4",
               "average of the batches' means")


def test_streamed_centers_online_update():
    # The mini-batch habit: the centres move after every batch and the next batch is assigned
    # to the moved centres.
    def online(batches, centers):
        moved = centers.astype(np.float64)
        sums = np.zeros(centers.shape, dtype=np.float64)
        counts = np.zeros(len(centers), dtype=np.int64)
        for batch in batches:
            labels = ((batch[:, None, :] - moved[None]) ** 2).sum(axis=2).argmin(axis=1)
            np.add.at(sums, labels, batch)
            counts += np.bincount(labels, minlength=len(centers))
            filled = counts > 0
            moved[filled] = sums[filled] / counts[filled, None]
        return moved, counts

    message = fails_with(check_streamed_centers, online, r"Case 2 of 4", "online update",
                         "centres you were given", "once, after the last batch")
    assert "np.bincount" not in message


def test_streamed_centers_reading_twice_or_miscounting():
    def two_passes(batches, centers):
        everything = np.concatenate(list(batches))
        for _ in batches:
            pass
        return streamed_centers([everything], centers)

    fails_with(check_streamed_centers, two_passes, "read a second time")

    fails_with(check_streamed_centers,
               lambda b, c: (streamed_centers(b, c)[0], np.zeros(len(c))),
               r"Case 1 of 4", "number of points per centre differs", "np.bincount")

    def no_empty_handling(batches, centers):
        new_centers, counts = streamed_centers(batches, centers)
        new_centers[counts == 0] = 0.0
        return new_centers, counts

    fails_with(check_streamed_centers, no_empty_handling, r"Case 3 of 4",
               "keeps its previous position")
