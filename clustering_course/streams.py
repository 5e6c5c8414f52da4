"""Data that arrive in chunks: a drifting-blobs generator and a harness to replay a stream.

- :func:`make_drifting_blobs`: Gaussian blobs whose centres turn around a circle, one chunk
  of points per time step, with the true centres of every step.
- :func:`center_error`: how far estimated centres are from the true ones.
- :func:`replay_stream`: feed a list of chunks, one at a time, to several update rules
  (refit, warm start, ``partial_fit``, ...), score every rule's model after each chunk and
  time the updates. :class:`StreamView` is what an update rule sees at one step and
  :class:`StreamReplay` the result.
"""

from __future__ import annotations

import numbers
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "StreamReplay",
    "StreamView",
    "center_error",
    "make_drifting_blobs",
    "replay_stream",
]


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__}).")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}.")
    return int(value)


def _check_real(value: Any, name: str, non_negative: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__}).")
    value = float(value)
    if not np.isfinite(value) or (non_negative and value < 0):
        kind = "a finite non-negative" if non_negative else "a finite"
        raise ValueError(f"{name} must be {kind} number, got {value}.")
    return value


def make_drifting_blobs(
    n_steps: int = 40,
    n_samples: int = 200,
    n_blobs: int = 3,
    *,
    radius: float = 4.0,
    turn: float = np.pi / 3,
    cluster_std: float = 0.5,
    random_state: int | None = 0,
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Gaussian blobs in the plane whose centres travel around a circle, chunk by chunk.

    At step ``t`` the ``n_blobs`` centres sit on the circle of radius ``radius`` around
    the origin, evenly spaced, turned by the angle ``turn * t / (n_steps - 1)``: they
    start at angle ``2 pi j / n_blobs`` and have turned by ``turn`` at the last step,
    at constant speed. Each step draws ``n_samples`` points, shared between the blobs as
    evenly as possible (sizes differ by at most one) in random order, with isotropic
    Gaussian noise of standard deviation ``cluster_std``.

    Parameters
    ----------
    n_steps : int, default=40
        Number of chunks (time steps).
    n_samples : int, default=200
        Points per chunk.
    n_blobs : int, default=3
    radius : float, default=4.0
        Radius of the circle the centres travel on.
    turn : float, default=pi/3
        Angle (radians) the centres have turned by at the last step; negative turns
        clockwise. With ``n_steps=1`` there is no motion.
    cluster_std : float, default=0.5
    random_state : int or None, default=0
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    chunks : list of ndarray of shape (n_samples, 2), float64
        The points of each step.
    labels : list of ndarray of shape (n_samples,), int64
        The blob of each point.
    centers : ndarray of shape (n_steps, n_blobs, 2)
        The true centres at every step.
    """
    n_steps = _check_int(n_steps, "n_steps", 1)
    n_samples = _check_int(n_samples, "n_samples", 1)
    n_blobs = _check_int(n_blobs, "n_blobs", 1)
    radius = _check_real(radius, "radius", non_negative=True)
    turn = _check_real(turn, "turn")
    cluster_std = _check_real(cluster_std, "cluster_std", non_negative=True)
    rng = np.random.default_rng(random_state)

    angles = np.linspace(0.0, turn, n_steps)[:, None] + 2 * np.pi * np.arange(n_blobs) / n_blobs
    centers = radius * np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    balanced = np.arange(n_samples) % n_blobs
    chunks, labels = [], []
    for step_centers in centers:
        blob = rng.permutation(balanced)
        chunks.append(step_centers[blob] + rng.normal(0.0, cluster_std, size=(n_samples, 2)))
        labels.append(blob)
    return chunks, labels, centers


def center_error(true_centers: Any, centers: Any) -> float:
    """Mean distance from each true centre to the nearest of the estimated ``centers``.

    Zero when every true centre has an estimate on it; it does not penalise extra or
    duplicate estimates (two estimates on one true centre leave another one uncovered,
    which does count).

    Parameters
    ----------
    true_centers : array-like of shape (n_true, n_features)
    centers : array-like of shape (n_centers, n_features)

    Returns
    -------
    float
    """
    arrays = []
    for name, value in [("true_centers", true_centers), ("centres", centers)]:
        array = np.asarray(value, dtype=np.float64)
        if array.ndim != 2 or array.shape[0] == 0:
            raise ValueError(
                f"{name} must be a non-empty 2-D array (n, n_features), got shape {array.shape}."
            )
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} contains NaN or infinite values.")
        arrays.append(array)
    true_centers, centers = arrays
    if true_centers.shape[1] != centers.shape[1]:
        raise ValueError(
            f"true_centers has {true_centers.shape[1]} features but centres has "
            f"{centers.shape[1]}."
        )
    gaps = np.linalg.norm(true_centers[:, None, :] - centers[None, :, :], axis=2)
    return float(gaps.min(axis=1).mean())


@dataclass(frozen=True)
class StreamView:
    """What an update rule or a score function sees at one step of a replayed stream.

    Attributes
    ----------
    step : int
        Index of the newest chunk (0 for the first).
    data : ndarray of shape (n_total, n_features)
        Every chunk of the stream, concatenated (the future included: use the
        properties below, which only show what has arrived).
    ends : ndarray of shape (n_chunks,)
        Row index in ``data`` where each chunk ends.
    """

    step: int
    data: np.ndarray
    ends: np.ndarray

    def _start(self, step: int) -> int:
        return int(self.ends[step - 1]) if step > 0 else 0

    @property
    def chunk(self) -> np.ndarray:
        """The newest chunk (a view, not a copy)."""
        return self.data[self._start(self.step): self.ends[self.step]]

    @property
    def seen(self) -> np.ndarray:
        """Every row that has arrived so far, the newest chunk included (a view)."""
        return self.data[: self.ends[self.step]]

    def recent(self, n_chunks: int) -> np.ndarray:
        """The last ``n_chunks`` chunks (fewer at the start of the stream), as one view."""
        n_chunks = _check_int(n_chunks, "n_chunks", 1)
        first = max(0, self.step - n_chunks + 1)
        return self.data[self._start(first): self.ends[self.step]]


@dataclass
class StreamReplay:
    """The result of :func:`replay_stream`.

    Attributes
    ----------
    scores : dict of str to ndarray of shape (n_chunks,)
        For each strategy, its model's score after each chunk.
    seconds : dict of str to float
        For each strategy, the wall-clock time of all its updates (scoring excluded).
    models : dict of str to object
        For each strategy, its model after the last chunk.
    """

    scores: dict[str, np.ndarray]
    seconds: dict[str, float]
    models: dict[str, Any]


UpdateRule = Callable[[Any, StreamView], Any]


def _check_chunks(chunks: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(chunks, Sequence | np.ndarray) or isinstance(chunks, str | bytes):
        raise TypeError(
            f"chunks must be a list of 2-D arrays, one per step; got {type(chunks).__name__}."
        )
    if not len(chunks):
        raise ValueError("chunks is empty; a stream needs at least one chunk.")
    arrays = [np.asarray(chunk) for chunk in chunks]
    for index, array in enumerate(arrays):
        if array.ndim != 2 or array.shape[0] == 0:
            raise ValueError(
                f"chunk {index} must be a non-empty 2-D array (n_rows, n_features), got "
                f"shape {array.shape}."
            )
        if array.shape[1] != arrays[0].shape[1]:
            raise ValueError(
                f"chunk {index} has {array.shape[1]} features but chunk 0 has "
                f"{arrays[0].shape[1]}."
            )
    ends = np.cumsum([len(array) for array in arrays], dtype=np.int64)
    return np.concatenate(arrays), ends


def _play(data, ends, strategies, score, record: bool) -> StreamReplay:
    scores = {name: np.empty(len(ends)) for name in strategies}
    seconds = dict.fromkeys(strategies, 0.0)
    models: dict[str, Any] = dict.fromkeys(strategies)
    for step in range(len(ends)):
        view = StreamView(step, data, ends)
        for name, update in strategies.items():
            start = time.perf_counter()
            model = update(models[name], view)
            seconds[name] += time.perf_counter() - start
            if model is None:
                raise TypeError(
                    f"strategy {name!r} returned None at step {step}; an update rule must "
                    "return the updated model."
                )
            models[name] = model
            if record:
                value = float(score(model, view))
                if not np.isfinite(value):
                    raise ValueError(
                        f"score of strategy {name!r} at step {step} is {value}, not finite."
                    )
                scores[name][step] = value
    return StreamReplay(scores, seconds, models)


def replay_stream(
    chunks: Sequence[Any],
    strategies: Mapping[str, UpdateRule],
    score: Callable[[Any, StreamView], float],
    *,
    warm_up: bool = False,
) -> StreamReplay:
    """Feed a stream of chunks to several update rules; score and time each after every chunk.

    At each step, every strategy in turn gets its current model (None before the first
    chunk) and a :class:`StreamView` of the stream so far, and returns its updated model,
    for example ``KMeans(...).fit(view.seen)`` (refit on everything),
    ``KMeans(init=model.cluster_centers_, n_init=1).fit(view.chunk)`` (warm start on the
    new chunk) or ``model.partial_fit(view.chunk)``. Then ``score(model, view)`` is
    recorded. Only the updates are timed.

    Parameters
    ----------
    chunks : list of array-like of shape (n_rows_t, n_features)
        The data of each step, in order of arrival; they are copied once into one array
        that every view shares.
    strategies : mapping of str to callable ``(model or None, StreamView) -> model``
        The update rules, by name. A rule must keep no state outside the model it
        returns, so that replaying the stream repeats the same computation.
    score : callable ``(model, StreamView) -> float``
        Evaluated after every update, e.g. the mean squared distance of ``view.seen``
        to the nearest centre; must be finite.
    warm_up : bool, default=False
        Play the whole stream once, unscored, before the recorded play, so that one-off
        costs (compiling TensorFlow graphs for new shapes) do not land in the timings
        of whichever strategy meets a new shape first.

    Returns
    -------
    StreamReplay
        Scores after each chunk, total update seconds and final model, per strategy.

    Raises
    ------
    TypeError
        If ``chunks`` is not a sequence, ``strategies`` not a non-empty mapping of
        callables, ``score`` not callable, or a rule returns None.
    ValueError
        If there is no chunk, a chunk is empty or not 2-D, the chunks' numbers of
        features differ, or a score is not finite.
    """
    data, ends = _check_chunks(chunks)
    if not isinstance(strategies, Mapping) or not strategies:
        raise TypeError(
            "strategies must be a non-empty mapping {name: update rule}, got "
            f"{type(strategies).__name__}."
        )
    not_callable = [name for name, rule in strategies.items() if not callable(rule)]
    if not_callable:
        raise TypeError(f"strategies {not_callable} are not callable.")
    if not callable(score):
        raise TypeError(f"score must be callable, got {type(score).__name__}.")
    if warm_up:
        _play(data, ends, strategies, score, record=False)
    return _play(data, ends, strategies, score, record=True)
