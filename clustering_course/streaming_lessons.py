"""Checks for the exercises of notebook 06 (streaming and seeded k-means).

- :func:`check_macqueen`: MacQueen's sequential k-means, one point at a time.
- :func:`check_choose_half_life`: pick a decay half-life by test-then-train error.
- :func:`check_complete_centers`: fill the unknown (NaN) coordinates of starting centres.

:func:`streaming_update` is the reference for the chunk update written out in the notebook.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from clustering_course.exercises import ExerciseCheck, ExerciseFailed, show_value

__all__ = [
    "ExerciseFailed",
    "check_choose_half_life",
    "check_complete_centers",
    "check_macqueen",
    "streaming_update",
]


def _nearest(points: np.ndarray, centers: np.ndarray) -> np.ndarray:
    return np.argmin(((points[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2), axis=1)


def streaming_update(centers: np.ndarray, counts: np.ndarray, chunk: np.ndarray,
                     decay: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """One chunk of streaming k-means: counts fade by ``decay``, then the chunk is absorbed.

    Each point of ``chunk`` goes to its nearest centre; centre ``c`` with ``m_c`` new points
    and count ``n_c = decay * n_c + m_c`` moves ``m_c / n_c`` of the way to their mean
    (Spark's ``StreamingKMeans`` update; ``decay=1`` is ``MiniBatchKMeans.partial_fit``
    without reassignment).
    """
    chunk = np.asarray(chunk, dtype=np.float64)
    labels = _nearest(chunk, np.asarray(centers, dtype=np.float64))
    centers = np.array(centers, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.float64) * decay
    for c in range(len(centers)):
        members = chunk[labels == c]
        if len(members):
            counts[c] += len(members)
            centers[c] += len(members) / counts[c] * (members.mean(axis=0) - centers[c])
    return centers, counts


def _macqueen(X: np.ndarray, init: np.ndarray, prior: float = 0.0):
    centers = np.array(init, dtype=np.float64)
    counts = np.full(len(centers), prior)
    for x in X:
        c = int(np.argmin(((centers - x) ** 2).sum(axis=1)))
        counts[c] += 1
        centers[c] += (x - centers[c]) / counts[c]
    return centers, counts - prior


def _call_watching_streaming_update(check: ExerciseCheck, function: Callable[..., Any],
                                    *args: Any) -> tuple[Any, list[Any]]:
    """Call ``function`` through ``check``; also return the ``decay`` of every ``streaming_update``.

    The notebook defines its own ``streaming_update``; the student's function finds it in its
    module globals, so the name is swapped there (and here) for a recording wrapper while the
    function runs. An empty list: the function did not use ``streaming_update``.
    """
    namespace = getattr(function, "__globals__", {})
    original = namespace.get("streaming_update")
    decays: list[Any] = []

    def recording(*inner_args: Any, **inner_kwargs: Any) -> Any:
        decays.append(inner_args[3] if len(inner_args) > 3 else inner_kwargs.get("decay", 1.0))
        return (original or streaming_update)(*inner_args, **inner_kwargs)

    if original is not None:
        namespace["streaming_update"] = recording
    try:
        result = check.call(*args)
    finally:
        if original is not None:
            namespace["streaming_update"] = original
    return result, decays


def check_macqueen(macqueen: Callable[[np.ndarray, np.ndarray], Any]) -> None:
    """Check ``macqueen(X, init) -> (centers, counts)``: one pass, one point at a time.

    Point ``x`` goes to the centre nearest to it *now*; that centre's count grows by one and
    it moves ``1 / count`` of the way to ``x``. The starting centres count as no points. The
    function must not call ``streaming_update`` (a one-point chunk of it is the same rule).
    """
    rng = np.random.default_rng(11)
    cases = [
        ("1-D, two centres, four points", np.array([[0.0], [10.0], [2.0], [8.0]]),
         np.array([[1.0], [9.0]])),
        ("a point that changes sides once the first point has moved its centre",
         np.array([[4.0, 0.0], [2.9, 0.0], [0.0, 0.0], [6.0, 0.0]]),
         np.array([[0.0, 0.0], [6.0, 0.0]])),
        ("a centre that receives no point", np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]),
         np.array([[0.0, 0.0], [50.0, 50.0]])),
        ("300 random points in 3-D, 4 centres, integer coordinates",
         rng.integers(-5, 6, size=(300, 3)), rng.integers(-5, 6, size=(4, 3))),
        ("500 points from a drifting stream in the plane",
         np.cumsum(rng.normal(0, 0.3, (500, 2)), axis=0) + rng.normal(0, 1, (500, 2)),
         rng.normal(0, 2, (3, 2))),
    ]
    check = ExerciseCheck(macqueen, "macqueen", len(cases))
    for label, X, init in cases:
        check.start(label)
        expected_centers, expected_counts = _macqueen(X.astype(np.float64), init)
        given_X, given_init = X.copy(), init.copy()
        result, decays = _call_watching_streaming_update(check, macqueen, given_X, given_init)
        check.pair(result, "centres, counts")
        if not (np.array_equal(given_X, X) and np.array_equal(given_init, init)):
            check.fail("your function changed X or init in place.",
                       hint="work on a copy: np.array(init, dtype=float).")
        centers = check.array(result[0], "centres", expected_centers.shape)
        counts = check.array(result[1], "counts", expected_counts.shape)
        if np.allclose(centers, expected_centers, rtol=1e-9, atol=1e-9) and np.array_equal(
                counts, expected_counts):
            if decays:
                check.fail("right numbers, but your function calls streaming_update.",
                           hint="write the one-point rule yourself (nearest centre now, count "
                                "+ 1, move 1/count of the way): a one-point chunk of "
                                "streaming_update is that rule, but the exercise is to write it.")
            continue
        hint = ("take the points one at a time, in order; only the nearest centre moves, by "
                "1/count of the way, after its count has grown by one.")
        batch_centers, batch_counts = streaming_update(init, np.zeros(len(init)), X)
        prior_centers, _ = _macqueen(X.astype(np.float64), init, prior=1.0)
        if np.allclose(centers, batch_centers, atol=1e-9):
            hint = ("this is the whole-chunk update: every point was assigned with the starting "
                    "centres. MacQueen assigns each point with the centres as the points before "
                    "it have moved them.")
        elif np.allclose(centers, prior_centers, atol=1e-9):
            hint = ("your centres move 1/(count + 1) of the way: the starting centres count as "
                    "no points, so a centre's first point moves it all the way there.")
        elif np.allclose(centers, np.asarray(init, dtype=float)):
            hint = "no centre moved: update the centre after counting the point."
        if not np.allclose(centers, expected_centers, rtol=1e-9, atol=1e-9):
            row = int(np.argmax(np.abs(centers - expected_centers).max(axis=1)))
            check.fail(f"centre {row} differs.", expected=expected_centers[row],
                       got=centers[row], hint=hint)
        check.fail("the counts differ.", expected=expected_counts, got=counts,
                   hint="each point adds one to the count of the centre it joins.")
    check.done()


def _half_life_decay(half_life: float) -> float:
    """Spark's conversion: a count fades to half in ``half_life`` chunks."""
    return 0.5 ** (1 / half_life)


def _inverted_decay(half_life: float) -> float:
    """The slip the check recognises: ``2 ** -h``, a longer half-life forgetting faster."""
    return 0.5**half_life


def _prequential_totals(chunks: Sequence[np.ndarray], init: np.ndarray,
                        half_lives: Sequence[float], after: bool = False,
                        decay_of: Callable[[float], float] = _half_life_decay) -> np.ndarray:
    totals = []
    for half_life in half_lives:
        decay = decay_of(half_life)
        centers, counts = np.array(init, dtype=np.float64), np.zeros(len(init))
        total = 0.0
        for step, chunk in enumerate(chunks):
            if after:
                centers, counts = streaming_update(centers, counts, chunk, decay)
            if step > 0:
                squared = ((chunk[:, None, :] - centers[None]) ** 2).sum(axis=2)
                total += squared.min(axis=1).mean()
            if not after:
                centers, counts = streaming_update(centers, counts, chunk, decay)
        totals.append(total)
    return np.array(totals)


def _drifting(rng: np.random.Generator, n_steps: int, speed: float) -> list[np.ndarray]:
    angles = speed * np.arange(n_steps)[:, None] + 2 * np.pi * np.arange(3) / 3
    centers = 4.0 * np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    return [centers[step][np.arange(60) % 3] + rng.normal(0, 0.5, (60, 2))
            for step in range(n_steps)]


def _distinct_decays(decays: list[Any]) -> list[float] | None:
    """The distinct decays passed to ``streaming_update``, in order of first use; None if they
    are not numbers."""
    try:
        values = [round(float(decay), 12) for decay in decays]
    except (TypeError, ValueError):
        return None
    return list(dict.fromkeys(values))


def _same_decays(used: list[float], decay_of: Callable[[float], float],
                 half_lives: Sequence[float]) -> bool:
    wanted = sorted({round(decay_of(half_life), 12) for half_life in half_lives})
    return len(used) == len(wanted) and np.allclose(sorted(used), wanted, rtol=1e-9, atol=0)


def _show_decays(used: list[float]) -> str:
    return ", ".join(f"{decay:.3g}" for decay in used)


def check_choose_half_life(choose_half_life: Callable[..., Any]) -> None:
    """Check ``choose_half_life(chunks, init, half_lives) -> half_life``.

    The reference runs :func:`streaming_update` with ``decay = 0.5 ** (1 / half_life)`` from
    ``init`` (counts zero), adds each chunk's mean squared distance to the nearest centre
    *before* the update on it (all chunks but the first) and returns the best half-life.

    A wrong answer is diagnosed from the decays the function passed to ``streaming_update``
    (when it calls the notebook's) and from a second call with the half-lives in reverse
    order: a function whose half-lives all score the same returns the first of either list.
    Scoring each chunk after the update on it and the inverted conversion ``2 ** -h`` both
    pick half-life 1 on the stationary stream, so the decays tell them apart.
    """
    rng = np.random.default_rng(5)
    half_lives = [1, 2, 4, 8, 16, 32]
    cases = [
        ("a stationary stream", _drifting(rng, 80, 0.0)),
        ("a slow drift, 0.001 radian per chunk", _drifting(rng, 80, 0.001)),
        ("a fast drift, 0.03 radian per chunk", _drifting(rng, 80, 0.03)),
    ]
    check = ExerciseCheck(choose_half_life, "choose_half_life", len(cases))
    same_totals_hint = ("the half-life never reaches the update: is `decay` (from the half-life, "
                        "as in section 2) passed to streaming_update?")
    for label, chunks in cases:
        check.start(label)
        init = chunks[0][:3].copy()
        totals = _prequential_totals(chunks, init, half_lives)
        expected = half_lives[int(np.argmin(totals))]
        got, decays = _call_watching_streaming_update(
            check, choose_half_life, [chunk.copy() for chunk in chunks], init.copy(),
            list(half_lives))
        if np.ndim(got) != 0 or got not in half_lives:
            check.fail("return one of the half-lives you were given.", expected=expected,
                       got=show_value(got), hint="return half_lives[index of the smallest total].")
        if got == expected:
            continue
        used = _distinct_decays(decays) if decays else None
        if used == [1.0]:
            check.fail("every half-life gives the same total: each call of streaming_update "
                       "had decay 1 (its default), so your function returns the first "
                       "half-life of the list.", expected=expected, got=got,
                       hint=same_totals_hint)
        if used is not None and not _same_decays(used, _half_life_decay, half_lives):
            if _same_decays(used, _inverted_decay, half_lives):
                check.fail("in your function a longer half-life forgets faster: the decays "
                           f"passed to streaming_update are {_show_decays(used)}.",
                           expected=expected, got=got,
                           hint="after h chunks (the half-life) a count should be down to "
                                "half, so the decay must come closer to 1 as h grows.")
            check.fail(f"the decays passed to streaming_update, {_show_decays(used)}, are not "
                       f"those of the half-lives {half_lives}.", expected=expected, got=got,
                       hint="after h chunks (the half-life), decay ** h should be 1/2.")
        reversed_got = check.call([chunk.copy() for chunk in chunks], init.copy(),
                                  half_lives[::-1])
        if reversed_got != got:
            check.fail(f"your answer follows the order of the list: {got} for {half_lives}, "
                       f"{show_value(reversed_got)} for the same list reversed, as if every "
                       "half-life gave the same total.", expected=expected, got=got,
                       hint=same_totals_hint)
        after = half_lives[int(np.argmin(_prequential_totals(chunks, init, half_lives,
                                                              after=True)))]
        inverted = half_lives[int(np.argmin(_prequential_totals(
            chunks, init, half_lives, decay_of=_inverted_decay)))]
        hint = (f"the totals of the reference, half-life by half-life: {show_value(totals)}; score "
                "each chunk except the first, then update on it.")
        after_hint = ("this is the half-life that wins when each chunk is scored after the model "
                      "has been updated on it: a short half-life has just moved onto that chunk. "
                      "Score the chunk with the centres from before its update.")
        if got == after and (used is not None or got != inverted):
            hint = after_hint
        elif got == after:  # the decays are not known: either slip gives this answer
            hint = ("two slips give this answer: scoring each chunk after the model has been "
                    "updated on it (a short half-life has just moved onto that chunk), or a "
                    "conversion in which a longer half-life forgets faster (decay 2 ** -h). "
                    "Score each chunk with the centres from before its update, and let the "
                    "decay come closer to 1 as the half-life grows.")
        elif got == inverted:
            hint = ("this is the half-life that wins when a longer half-life forgets faster "
                    "(decay 2 ** -h): after h chunks a count should be down to half.")
        check.fail("another half-life predicts the next chunk better.", expected=expected,
                   got=got, hint=hint)
    check.done()


def _complete_centers(X: np.ndarray, init: np.ndarray, rule: str = "own") -> np.ndarray:
    """Fill the NaN entries of ``init`` from the points nearest each centre.

    ``rule="own"`` is ``clustering_lib.KMeans``'s completion: a point goes to the centre with
    the smallest sum of squared differences over that centre's known coordinates. The other
    rules are the slips the check recognises: ``"common"`` (only the coordinates known in every
    row), ``"zero"`` (NaN read as 0), ``"average"`` (the mean instead of the sum of the squared
    differences), ``"all points"`` (fill with the mean of every point).
    """
    X, init = np.asarray(X, dtype=np.float64), np.asarray(init, dtype=np.float64)
    known = ~np.isnan(init)
    if rule == "common":
        mask = np.broadcast_to(known.all(axis=0), known.shape)
    elif rule == "zero":
        mask = np.ones_like(known)
    else:
        mask = known
    squared = (X[:, None, :] - np.where(known, init, 0.0)[None]) ** 2 * mask[None]
    distances = squared.sum(axis=2)
    if rule == "average":
        distances = distances / mask.sum(axis=1)
    labels = np.argmin(distances, axis=1)
    if rule == "all points":
        labels = np.zeros(len(X), dtype=int)
        means = np.broadcast_to(X.mean(axis=0), init.shape)
    else:
        means = np.array([X[labels == j].mean(axis=0) if np.any(labels == j)
                          else np.full(X.shape[1], np.nan) for j in range(len(init))])
    return np.where(known, init, means)


def _complete_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Cases for :func:`check_complete_centers`: (label, X, init), every centre with points."""
    rng = np.random.default_rng(7)
    nan = np.nan
    cases = [("3 centres in 2-D, the second coordinate unknown (the question's setting)",
              np.array([[0.0, 1.0], [0.2, 3.0], [5.0, -1.0], [5.3, -3.0], [10.0, 0.0],
                        [9.6, 2.0]]),
              np.array([[0.0, nan], [5.0, nan], [10.0, nan]]))]
    # The centres know different coordinates; the coordinates known in every row (none here)
    # and NaN read as zero both send points elsewhere.
    blobs = np.array([[0.0, 0.0, 8.0], [8.0, 0.0, 0.0], [0.0, 8.0, 0.0]])
    X = np.repeat(blobs, 20, axis=0) + rng.normal(0, 0.5, (60, 3))
    cases.append(("3 centres in 3-D, each knowing a different coordinate", X,
                  np.array([[nan, nan, 8.0], [8.0, nan, nan], [nan, 8.0, nan]])))
    # One centre knows a single coordinate, the other both: the right rule and each slip send
    # (3, 3), (1, 6) and (1.8, 6) to different centres.
    X = np.array([[0.0, 0.0], [0.5, 1.0], [3.0, 3.0], [1.0, 6.0], [1.8, 6.0], [4.0, 6.0],
                  [5.0, 7.0]])
    cases.append(("a centre that knows one coordinate and a centre that knows both", X,
                  np.array([[0.0, nan], [4.0, 6.0]])))
    centers = rng.uniform(-6, 6, (4, 5))
    X = np.repeat(centers, 40, axis=0) + rng.normal(0, 1.0, (160, 5))
    init = centers + rng.normal(0, 0.3, centers.shape)
    init[0, [1, 3]] = init[1, 0] = init[2, [0, 2, 4]] = nan  # the last row is known in full
    cases.append(("4 centres in 5-D with 0, 1, 2 or 3 unknown coordinates", X, init))
    centers = rng.uniform(-5, 5, (6, 7))
    X = np.repeat(centers, 30, axis=0) + rng.normal(0, 1.0, (180, 7))
    init = centers.copy()
    rows = np.arange(6)
    init[rows, rows] = init[rows, (rows + 2) % 7] = nan
    cases.append(("6 centres in 7-D, two unknown coordinates a row", X, init))
    for label, X, init in cases:
        assert np.isfinite(_complete_centers(X, init)).all(), label
    return cases


def check_complete_centers(complete_centers: Callable[[np.ndarray, np.ndarray], Any]) -> None:
    """Check ``complete_centers(X, init) -> centers``: NaN entries of ``init`` filled.

    A point goes to the centre with the smallest sum of squared differences over that centre's
    known coordinates; an unknown coordinate becomes the mean of that coordinate over the
    centre's points; known entries stay (``clustering_lib.KMeans``'s completion).
    """
    cases = _complete_cases()
    check = ExerciseCheck(complete_centers, "complete_centers", len(cases))
    slips = {
        "common": "you compared the centres only on the coordinates known in every row; each "
                  "centre is compared on its own known coordinates.",
        "zero": "you read NaN as 0: an unknown coordinate is no guess, leave it out of that "
                "centre's distance (multiply the squared differences by the mask of known "
                "entries).",
        "average": "you averaged the squared differences over the known coordinates; the "
                   "library adds them up: the sum is the squared distance to the nearest "
                   "completion of the centre (its unknown coordinates set to the point's own), "
                   "so the rule stays 'the nearest centre'.",
        "all points": "you filled with the mean of all the points; only the points nearest to "
                      "the centre count.",
    }
    for label, X, init in cases:
        check.start(label)
        expected = _complete_centers(X, init)
        given_X, given_init = X.copy(), init.copy()
        got = check.call(given_X, given_init)
        if not (np.array_equal(given_X, X) and np.array_equal(given_init, init, equal_nan=True)):
            check.fail("your function changed X or init in place.",
                       hint="work on a copy, or build a new array with np.where.")
        try:
            as_array = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            as_array = None
        if as_array is not None and as_array.shape == init.shape:
            for rule, slip in slips.items():
                if not np.allclose(as_array, expected, rtol=1e-9, atol=1e-9) and np.allclose(
                        as_array, _complete_centers(X, init, rule), rtol=1e-9, atol=1e-9,
                        equal_nan=True):
                    check.fail("the centres are completed differently.", hint=slip)
        got = check.array(got, "the completed centres", init.shape,
                          nan_hint="every NaN of init must be filled, from the points nearest "
                                   "to its centre.")
        if np.allclose(got, expected, rtol=1e-9, atol=1e-9):
            continue
        known = ~np.isnan(init)
        if not np.allclose(got[known], init[known], rtol=1e-12, atol=1e-12):
            row = int(np.argwhere(~np.isclose(got, init) & known)[0, 0])
            check.fail(f"a known entry of row {row} changed.", expected=init[row], got=got[row],
                       hint="fill only the NaN entries; the given coordinates stay as they are "
                            "(np.where(known, init, means)).")
        hint = ("assign each point to the centre nearest in that centre's known coordinates, "
                "then fill each unknown coordinate with the mean over that centre's points.")
        row = int(np.argmax(np.nan_to_num(np.abs(got - expected)).max(axis=1)))
        check.fail(f"centre {row} is completed differently.", expected=expected[row],
                   got=got[row], hint=hint)
    check.done()
