"""clustering_course.streams: the drifting-blobs generator, center_error and replay_stream."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

import clustering_lib as cl
from clustering_course.reproducibility import seed_everything
from clustering_course.streams import (
    StreamView,
    center_error,
    make_drifting_blobs,
    replay_stream,
)


# --------------------------------------------------------------------------- #
# make_drifting_blobs
# --------------------------------------------------------------------------- #
def test_drifting_blobs_shapes_and_balanced_blobs():
    chunks, labels, centers = make_drifting_blobs(n_steps=5, n_samples=10, n_blobs=3)
    assert len(chunks) == len(labels) == 5
    assert centers.shape == (5, 3, 2)
    for chunk, blob in zip(chunks, labels, strict=True):
        assert chunk.shape == (10, 2) and chunk.dtype == np.float64
        assert sorted(np.bincount(blob, minlength=3)) == [3, 3, 4]


def test_drifting_blobs_centers_turn_at_constant_speed_on_the_circle():
    _, _, centers = make_drifting_blobs(n_steps=7, n_blobs=4, radius=2.5, turn=np.pi / 2)
    np.testing.assert_allclose(np.linalg.norm(centers, axis=2), 2.5)
    angles = np.unwrap(np.arctan2(centers[..., 1], centers[..., 0]), axis=0)
    # start evenly spaced at 2 pi j / n_blobs, end turned by `turn`
    np.testing.assert_allclose(angles[0] % (2 * np.pi), 2 * np.pi * np.arange(4) / 4, atol=1e-12)
    np.testing.assert_allclose(angles[-1] - angles[0], np.pi / 2)
    np.testing.assert_allclose(np.diff(angles, axis=0), np.pi / 2 / 6)


def test_drifting_blobs_points_scatter_around_their_own_center():
    chunks, labels, centers = make_drifting_blobs(n_steps=3, n_samples=3000, cluster_std=0.5,
                                                  random_state=1)
    for chunk, blob, step_centers in zip(chunks, labels, centers, strict=True):
        offsets = chunk - step_centers[blob]
        np.testing.assert_allclose(offsets.mean(axis=0), 0.0, atol=0.05)
        np.testing.assert_allclose(offsets.std(axis=0), 0.5, rtol=0.05)


def test_drifting_blobs_reproducible_and_seed_dependent():
    first = make_drifting_blobs(n_steps=3, random_state=3)
    again = make_drifting_blobs(n_steps=3, random_state=3)
    other = make_drifting_blobs(n_steps=3, random_state=4)
    for a, b in zip(first[0], again[0], strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0][0], other[0][0])
    np.testing.assert_array_equal(first[2], other[2])  # the centres do not depend on the seed


def test_drifting_blobs_single_step_and_zero_noise():
    chunks, labels, centers = make_drifting_blobs(n_steps=1, n_samples=6, cluster_std=0.0)
    np.testing.assert_array_equal(chunks[0], centers[0][labels[0]])
    np.testing.assert_allclose(centers[0, 0], [4.0, 0.0])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_steps": 0}, ValueError, "n_steps must be at least 1"),
        ({"n_samples": 2.5}, TypeError, "n_samples must be an integer"),
        ({"n_blobs": True}, TypeError, "n_blobs must be an integer"),
        ({"radius": -1.0}, ValueError, "radius must be a finite non-negative"),
        ({"cluster_std": float("nan")}, ValueError, "cluster_std"),
        ({"turn": float("inf")}, ValueError, "turn must be a finite"),
        ({"turn": "half"}, TypeError, "turn must be a real number"),
    ],
)
def test_drifting_blobs_rejects_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_drifting_blobs(**kwargs)


# --------------------------------------------------------------------------- #
# center_error
# --------------------------------------------------------------------------- #
def test_center_error_hand_made_cases():
    truth = np.array([[0.0, 0.0], [10.0, 0.0]])
    assert center_error(truth, truth[::-1]) == 0.0  # order does not matter
    assert center_error(truth, [[0.0, 3.0], [10.0, 0.0], [50.0, 50.0]]) == pytest.approx(1.5)
    # both estimates near the first centre: the second true centre is 9 away
    assert center_error(truth, [[0.0, 0.0], [1.0, 0.0]]) == pytest.approx(4.5)


def test_center_error_matches_scipy_reference():
    rng = np.random.default_rng(0)
    truth, estimates = rng.normal(size=(5, 3)), rng.normal(size=(7, 3))
    expected = cdist(truth, estimates).min(axis=1).mean()
    assert center_error(truth, estimates) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("truth", "estimates", "match"),
    [
        (np.zeros((2, 2)), np.zeros((2, 3)), "2 features but centres has 3"),
        (np.zeros(2), np.zeros((2, 2)), "true_centers must be a non-empty 2-D"),
        (np.zeros((2, 2)), np.zeros((0, 2)), "centres must be a non-empty 2-D"),
        (np.zeros((2, 2)), np.array([[np.nan, 0.0]]), "centres contains NaN"),
    ],
)
def test_center_error_rejects_bad_input(truth, estimates, match):
    with pytest.raises(ValueError, match=match):
        center_error(truth, estimates)


# --------------------------------------------------------------------------- #
# replay_stream
# --------------------------------------------------------------------------- #
def three_chunks():
    return [np.full((2, 1), 1.0), np.full((3, 1), 2.0), np.full((1, 1), 3.0)]


def test_views_show_the_newest_chunk_everything_seen_and_recent_chunks():
    seen = []

    def record(model, view):
        seen.append((view.step, view.chunk.ravel().tolist(), view.seen.ravel().tolist(),
                     view.recent(2).ravel().tolist(), np.shares_memory(view.seen, view.data)))
        return len(seen)

    replay_stream(three_chunks(), {"record": record}, score=lambda model, view: 0.0)
    assert seen == [
        (0, [1, 1], [1, 1], [1, 1], True),
        (1, [2, 2, 2], [1, 1, 2, 2, 2], [1, 1, 2, 2, 2], True),
        (2, [3], [1, 1, 2, 2, 2, 3], [2, 2, 2, 3], True),
    ]


def test_models_are_threaded_through_and_scored_after_each_update():
    strategies = {
        "running mean": lambda model, view: view.seen.mean(),
        "last chunk mean": lambda model, view: view.chunk.mean(),
        "count": lambda model, view: 1 if model is None else model + 1,
    }
    result = replay_stream(three_chunks(), strategies, score=lambda model, view: model)
    np.testing.assert_allclose(result.scores["running mean"], [1.0, 1.6, 11 / 6])
    np.testing.assert_allclose(result.scores["last chunk mean"], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(result.scores["count"], [1, 2, 3])
    assert result.models == {"running mean": pytest.approx(11 / 6), "last chunk mean": 3.0,
                             "count": 3}
    assert all(seconds >= 0.0 for seconds in result.seconds.values())


def test_replay_matches_a_hand_written_loop_with_kmeans():
    seed_everything(0)
    chunks, _, _ = make_drifting_blobs(n_steps=4, n_samples=60, random_state=0)

    def warm_start(model, view):
        init = "k-means++" if model is None else model.cluster_centers_
        return cl.KMeans(3, init=init, n_init=1, random_state=0).fit(view.chunk)

    def mean_sq_distance(model, view):
        return -model.score(view.seen) / len(view.seen)

    result = replay_stream(chunks, {"warm": warm_start}, mean_sq_distance, warm_up=True)
    model, expected = None, []
    for step in range(len(chunks)):
        init = "k-means++" if model is None else model.cluster_centers_
        model = cl.KMeans(3, init=init, n_init=1, random_state=0).fit(chunks[step])
        seen = np.concatenate(chunks[: step + 1])
        expected.append(-model.score(seen) / len(seen))
    np.testing.assert_allclose(result.scores["warm"], expected, rtol=1e-6)
    np.testing.assert_allclose(result.models["warm"].cluster_centers_, model.cluster_centers_)


def test_warm_up_plays_the_stream_twice_and_keeps_the_second_play():
    calls = []

    def count(model, view):
        calls.append(view.step)
        return view.step

    without = replay_stream(three_chunks(), {"c": count}, score=lambda model, view: model)
    assert calls == [0, 1, 2]
    calls.clear()
    with_warm_up = replay_stream(three_chunks(), {"c": count}, score=lambda model, view: model,
                                 warm_up=True)
    assert calls == [0, 1, 2, 0, 1, 2]
    np.testing.assert_array_equal(with_warm_up.scores["c"], without.scores["c"])


def test_recent_rejects_a_bad_count():
    view = StreamView(0, np.zeros((2, 1)), np.array([2]))
    with pytest.raises(ValueError, match="n_chunks must be at least 1"):
        view.recent(0)


@pytest.mark.parametrize(
    ("chunks", "strategies", "score", "error", "match"),
    [
        ("abc", {"a": lambda m, v: 1}, lambda m, v: 0.0, TypeError, "chunks must be a list"),
        ([], {"a": lambda m, v: 1}, lambda m, v: 0.0, ValueError, "chunks is empty"),
        ([np.zeros(3)], {"a": lambda m, v: 1}, lambda m, v: 0.0, ValueError,
         "chunk 0 must be a non-empty 2-D"),
        ([np.zeros((2, 2)), np.zeros((0, 2))], {"a": lambda m, v: 1}, lambda m, v: 0.0,
         ValueError, "chunk 1 must be a non-empty 2-D"),
        ([np.zeros((2, 2)), np.zeros((2, 3))], {"a": lambda m, v: 1}, lambda m, v: 0.0,
         ValueError, "chunk 1 has 3 features but chunk 0 has 2"),
        ([np.zeros((2, 2))], {}, lambda m, v: 0.0, TypeError, "non-empty mapping"),
        ([np.zeros((2, 2))], [lambda m, v: 1], lambda m, v: 0.0, TypeError, "non-empty mapping"),
        ([np.zeros((2, 2))], {"a": 1}, lambda m, v: 0.0, TypeError, r"\['a'\] are not callable"),
        ([np.zeros((2, 2))], {"a": lambda m, v: 1}, 0.0, TypeError, "score must be callable"),
        ([np.zeros((2, 2))], {"a": lambda m, v: None}, lambda m, v: 0.0, TypeError,
         "strategy 'a' returned None at step 0"),
        ([np.zeros((2, 2))], {"a": lambda m, v: 1}, lambda m, v: float("nan"), ValueError,
         "score of strategy 'a' at step 0 is nan"),
    ],
)
def test_replay_rejects_bad_input(chunks, strategies, score, error, match):
    with pytest.raises(error, match=match):
        replay_stream(chunks, strategies, score)
