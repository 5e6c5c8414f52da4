"""Each exercise check passes a correct solution and fails typical wrong ones, saying why.

The correct solutions here are the ones the notebooks' solution cells contain.
"""

import re

import numpy as np
import pytest
from scipy.optimize import nnls
from sklearn.cluster import KMeans as SklearnKMeans

import clustering_lib as cl
from clustering_course.exercises import (
    ExerciseFailed,
    check_compress_image,
    check_cosine_kmeans,
    check_lloyd_step,
    check_nnls_encoder,
    check_streamed_centers,
    check_target_distribution,
    check_trilateration,
    check_warm_start,
)


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


@pytest.mark.parametrize("check", [check_lloyd_step, check_compress_image, check_nnls_encoder,
                                   check_target_distribution, check_warm_start,
                                   check_trilateration, check_cosine_kmeans,
                                   check_streamed_centers])
def test_a_stub_raises_not_implemented_error_through_the_check(check):
    with pytest.raises(NotImplementedError, match="Your turn"):
        check(stub)


@pytest.mark.parametrize("check", [check_lloyd_step, check_trilateration])
def test_passing_the_result_instead_of_the_function_is_a_type_error(check):
    with pytest.raises(TypeError, match="pass your function itself"):
        check(np.zeros(3))


def test_an_error_inside_the_students_function_becomes_feedback():
    def broken(X, centers):
        return X.undefined_attribute

    message = fails_with(check_lloyd_step, broken, r"Case 1 of 5 \(five points, two centres\)",
                         "raised AttributeError", "undefined_attribute")
    assert message.splitlines()[-1] == "Fix your function and run this cell again."


def test_the_error_names_the_students_line_not_numpys():
    def singular(centers, distances):
        return np.linalg.solve(np.zeros((len(centers) - 1,) * 2), distances[1:])

    fails_with(check_trilateration, singular, "raised LinAlgError: Singular matrix",
               r"line \d+: return np.linalg.solve\(np.zeros", "centers = an array of shape "
               r"\(3, 2\) \(float64\), distances = an array of shape \(3,\)")

    def reads_wrongly(batches, centers):
        return next(iter(batches)).undefined

    fails_with(check_streamed_centers, reads_wrongly, "raised AttributeError",
               r"batches = a stream of 1 batches \(it can be read once\)")


def test_in_ipython_only_the_message_is_shown():
    error = ExerciseFailed("lloyd_step: not quite yet.\n  Hint: h")
    assert error._render_traceback_() == ["ExerciseFailed: lloyd_step: not quite yet.",
                                          "  Hint: h"]


# --- 01 ---------------------------------------------------------------------------------------

def lloyd_step(X, centers):
    X = np.asarray(X, dtype=float)
    centers = np.asarray(centers, dtype=float)
    squared = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    labels = squared.argmin(axis=1)
    new_centers = centers.copy()
    for j in range(len(centers)):
        if np.any(labels == j):
            new_centers[j] = X[labels == j].mean(axis=0)
    return labels, new_centers


def test_lloyd_step_passes_a_correct_solution_and_the_library_one(capsys):
    passes(check_lloyd_step, lloyd_step, capsys)

    def with_the_library(X, centers):
        labels, _ = cl.assign(X, centers)
        new_centers, _ = cl.update_centroids(X, labels, len(centers), previous_centroids=centers)
        return labels, new_centers

    passes(check_lloyd_step, with_the_library, capsys)


def test_lloyd_step_nan_for_an_empty_cluster():
    def nan_for_empty(X, centers):
        labels, _ = lloyd_step(X, centers)
        return labels, np.array([X[labels == j].mean(axis=0) for j in range(len(centers))])

    with pytest.warns(RuntimeWarning):
        fails_with(check_lloyd_step, nan_for_empty, r"Case 2 of 5", "NaN or infinity",
                   "0/0 = NaN", "keeps its previous position")


def test_lloyd_step_empty_cluster_moved_to_the_origin():
    def zero_for_empty(X, centers):
        labels, _ = lloyd_step(X, centers)
        sums = np.zeros(np.shape(centers))
        np.add.at(sums, labels, X)
        return labels, sums / np.maximum(np.bincount(labels, minlength=len(centers)), 1)[:, None]

    fails_with(check_lloyd_step, zero_for_empty, r"row 2 differs \(it has 0 point",
               r"expected: \[10\. 10\.\]", "keeps its previous position")


def test_lloyd_step_argmax_instead_of_argmin():
    def farthest(X, centers):
        squared = ((X[:, None, :] - centers[None]) ** 2).sum(axis=2)
        labels = squared.argmax(axis=1)
        return labels, lloyd_step(X, centers)[1]

    fails_with(check_lloyd_step, farthest, r"point 0, \[0\. 0\.\], got label 1",
               r"expected: 0", "smallest distance")


def test_lloyd_step_integer_means():
    def integer_means(X, centers):
        labels, _ = lloyd_step(X, centers)
        new_centers = np.zeros_like(centers)
        for j in range(len(centers)):
            new_centers[j] = X[labels == j].mean(axis=0) if np.any(labels == j) else centers[j]
        return labels, new_centers

    fails_with(check_lloyd_step, integer_means, r"Case 3 of 5 \(integer coordinates",
               "rounded down to integers", "zeros_like")


def test_lloyd_step_wrong_return_and_in_place_update():
    fails_with(check_lloyd_step, lambda X, c: lloyd_step(X, c)[1], "should return two things")

    def in_place(X, centers):
        labels, new_centers = lloyd_step(X, centers)
        centers[:] = new_centers
        return labels, centers

    fails_with(check_lloyd_step, in_place, "changed its inputs")


# --- 02 ---------------------------------------------------------------------------------------

def compress_image(image, n_colors):
    pixels = image.reshape(-1, 3).astype(float)
    model = SklearnKMeans(n_colors, n_init=1, random_state=0).fit(pixels)
    return model.cluster_centers_[model.labels_].reshape(image.shape)


def test_compress_image_passes_correct_solutions(capsys):
    passes(check_compress_image, compress_image, capsys)

    def vanderplas(image, n_colors):  # the tutorial's MiniBatchKMeans on [0, 1] colours
        from sklearn.cluster import MiniBatchKMeans

        data = image.reshape(-1, 3) / 255.0
        model = MiniBatchKMeans(n_colors, random_state=0).fit(data)
        return (model.cluster_centers_[model.predict(data)] * 255).reshape(image.shape)

    passes(check_compress_image, vanderplas, capsys)


def test_compress_image_wrong_scale_and_shape():
    fails_with(check_compress_image, lambda image, n: compress_image(image, n) / 255,
               "0-1 scale")
    fails_with(check_compress_image, lambda image, n: compress_image(image, n).reshape(-1, 3),
               "wrong shape", r"shape \(6, 8, 3\)")


def test_compress_image_palette_not_applied_or_shuffled():
    fails_with(check_compress_image, lambda image, n: image.astype(float),
               "distinct colours", "centers\\[labels\\]")

    def shuffled(image, n_colors):
        pixels = image.reshape(-1, 3).astype(float)
        model = SklearnKMeans(n_colors, n_init=1, random_state=0).fit(pixels)
        labels = np.random.default_rng(0).permutation(model.labels_)
        return model.cluster_centers_[labels].reshape(image.shape)

    fails_with(check_compress_image, shuffled, "nearer colour", "original order")


def test_compress_image_a_poor_palette():
    def first_pixels(image, n_colors):  # the palette: the first n distinct pixels, not k-means
        pixels = image.reshape(-1, 3).astype(float)
        palette = np.unique(pixels, axis=0)[:n_colors]
        labels = ((pixels[:, None] - palette[None]) ** 2).sum(axis=2).argmin(axis=1)
        return palette[labels].reshape(image.shape)

    fails_with(check_compress_image, first_pixels, "further from the original",
               "k-means centres")


# --- 03 ---------------------------------------------------------------------------------------

def nnls_encoder(X, H):
    return np.array([nnls(H.T, row)[0] for row in X])


def test_nnls_encoder_passes_a_correct_solution(capsys):
    passes(check_nnls_encoder, nnls_encoder, capsys)


def test_nnls_encoder_least_squares_and_clipped_least_squares():
    fails_with(check_nnls_encoder, lambda X, H: X @ np.linalg.pinv(H),
               r"Case 1 of 4", r"code W\[1, 1\] is negative", "scipy.optimize.nnls")
    fails_with(check_nnls_encoder, lambda X, H: np.maximum(X @ np.linalg.pinv(H), 0),
               r"Case 1 of 4", "row 1 is reconstructed with error 0.955", "re-fitted")


def test_nnls_encoder_transposed_codes():
    fails_with(check_nnls_encoder, lambda X, H: nnls_encoder(X, H).T, r"Case 1 of 4",
               "reconstructed with error")
    fails_with(check_nnls_encoder, lambda X, H: nnls_encoder(X, H)[:, ::-1],
               "reconstructed with error")


# --- 04 ---------------------------------------------------------------------------------------

def target_distribution(q):
    weight = q**2 / q.sum(axis=0)
    return weight / weight.sum(axis=1, keepdims=True)


def test_target_distribution_passes_a_correct_solution_and_the_library(capsys):
    passes(check_target_distribution, target_distribution, capsys)
    passes(check_target_distribution, cl.target_distribution, capsys)


@pytest.mark.parametrize(
    ("wrong", "pattern"),
    [
        (lambda q: q**2 / (q**2).sum(axis=1, keepdims=True), "without the cluster frequencies"),
        (lambda q: (q**2 / q.sum(axis=0)) / (q**2 / q.sum(axis=0)).sum(axis=0),
         "columns of your p sum to 1"),
        (lambda q: q**2 / q.sum(axis=0), "normalise the rows last"),
        (lambda q: q, "square q"),
    ],
)
def test_target_distribution_typical_mistakes(wrong, pattern):
    fails_with(check_target_distribution, wrong, r"Case 1 of 4", "row 0 of p differs", pattern)


# --- 05 ---------------------------------------------------------------------------------------

def warm_start(X, previous_centers):
    model = SklearnKMeans(len(previous_centers), init=previous_centers, n_init=1, tol=0)
    return model.fit(X).cluster_centers_


def test_warm_start_passes_correct_solutions(capsys):
    passes(check_warm_start, warm_start, capsys)

    def with_defaults(X, previous_centers):  # scikit-learn's default tol stops a little early
        model = SklearnKMeans(len(previous_centers), init=previous_centers, n_init=1)
        return model.fit(X).cluster_centers_

    passes(check_warm_start, with_defaults, capsys)


def test_warm_start_from_scratch_loses_the_order():
    def from_scratch(X, previous_centers):
        return SklearnKMeans(len(previous_centers), n_init=10, random_state=0).fit(X)\
            .cluster_centers_

    message = fails_with(check_warm_start, from_scratch, r"Case (1|2) of 4")
    assert "another order" in message or "init=previous_centers" in message


def test_warm_start_reversed_order_and_not_moving():
    def sorted_centres(X, previous_centers):
        centres = warm_start(X, previous_centers)
        return centres[np.argsort(centres[:, 0])]

    fails_with(check_warm_start, sorted_centres, r"Case 2 of 4", "another order",
               r"centre j must continue previous_centers\[j\]")
    fails_with(check_warm_start, lambda X, c: c.copy(), r"Case 1 of 4", "did not move")


def test_warm_start_changing_its_input():
    def in_place(X, previous_centers):
        previous_centers[:] = warm_start(X, previous_centers)
        return previous_centers

    fails_with(check_warm_start, in_place, "changed previous_centers in place")


# --- 06 ---------------------------------------------------------------------------------------

def trilaterate(centers, distances):
    lhs = 2 * (centers[1:] - centers[0])
    rhs = (distances[0] ** 2 - distances[1:] ** 2
           + (centers[1:] ** 2).sum(axis=1) - (centers[0] ** 2).sum())
    return np.linalg.solve(lhs, rhs)


def test_trilateration_passes_a_correct_solution(capsys):
    passes(check_trilateration, trilaterate, capsys)


def test_trilateration_unsquared_distances_and_a_wrong_sign():
    def unsquared(centers, distances):
        return trilaterate(centers, np.sqrt(distances))

    fails_with(check_trilateration, unsquared, r"Case 1 of 5", "square the distances first")

    def wrong_sign(centers, distances):
        lhs = 2 * (centers[1:] - centers[0])
        rhs = (distances[1:] ** 2 - distances[0] ** 2
               + (centers[1:] ** 2).sum(axis=1) - (centers[0] ** 2).sum())
        return np.linalg.solve(lhs, rhs)

    fails_with(check_trilateration, wrong_sign, r"expected: \[1\. 1\.\]",
               r"2 \(c_0 - c_j\) \. x = D_j\^2 - D_0\^2 \+ \|c_0\|\^2 - \|c_j\|\^2")


def test_trilateration_accepts_a_row_vector(capsys):
    passes(check_trilateration, lambda c, d: trilaterate(c, d)[None, :], capsys)


# --- 07 ---------------------------------------------------------------------------------------

def cosine_kmeans(X, n_clusters, random_state=0):
    unit_rows = X / np.linalg.norm(X, axis=1, keepdims=True)
    model = SklearnKMeans(n_clusters, n_init=10, random_state=random_state).fit(unit_rows)
    return model.labels_, model.cluster_centers_


def test_cosine_kmeans_passes_correct_solutions(capsys):
    passes(check_cosine_kmeans, cosine_kmeans, capsys)

    def with_one_start(X, n_clusters, random_state=0):  # scikit-learn's default n_init
        unit_rows = X / np.linalg.norm(X, axis=1, keepdims=True)
        model = SklearnKMeans(n_clusters, random_state=random_state).fit(unit_rows)
        return model.labels_, model.cluster_centers_

    passes(check_cosine_kmeans, with_one_start, capsys)


def test_cosine_kmeans_without_normalising_or_normalising_columns():
    def plain(X, n_clusters, random_state=0):
        model = SklearnKMeans(n_clusters, n_init=10, random_state=random_state).fit(X)
        return model.labels_, model.cluster_centers_

    fails_with(check_cosine_kmeans, plain, r"Case 1 of 3", "do not follow the directions",
               "axis=1")

    def columns(X, n_clusters, random_state=0):
        return plain(X / np.linalg.norm(X, axis=0), n_clusters, random_state)

    fails_with(check_cosine_kmeans, columns, "do not follow the directions")


def test_cosine_kmeans_spherical_centres_are_not_the_means():
    def spherical(X, n_clusters, random_state=0):  # centres scaled back to length 1
        labels, centers = cosine_kmeans(X, n_clusters, random_state)
        return labels, centers / np.linalg.norm(centers, axis=1, keepdims=True)

    fails_with(check_cosine_kmeans, spherical, "is not the mean of its cluster's unit rows",
               "spherical k-means")


# --- 08 ---------------------------------------------------------------------------------------

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
            batch_centres, batch_counts = streamed_centers([batch], centers)
            means.append(np.where(batch_counts[:, None] > 0, batch_centres, np.nan))
            counts += batch_counts
        stacked = np.stack(means)
        return np.where(np.isnan(stacked).all(axis=0), centers, np.nanmean(stacked, axis=0)), \
            counts

    fails_with(check_streamed_centers, mean_of_means, r"Case 2 of 4",
               "average of the batches' means")


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
