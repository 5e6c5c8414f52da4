"""Wall-clock timing of a few calls, for the notebooks' speed comparisons.

Timings are noisy (other processes, CPU frequency, caches); the notebooks print them
only behind nbval's sanitizer and never assert on them tightly.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any, NamedTuple

__all__ = ["Timing", "time_calls"]


class Timing(NamedTuple):
    """The median wall time of the timed calls, in seconds, and the last call's result."""

    seconds: float
    result: Any


def time_calls(
    calls: Mapping[str, Callable[[], Any]],
    *,
    warm_up: bool | Collection[str] = True,
    repeat: int = 1,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, Timing]:
    """Time each zero-argument call, after an untimed warm-up call.

    The warm-up pays one-off costs that a later call would not (tracing and compiling
    TensorFlow functions for a new shape, filling caches), so the times compare the
    steady state.

    Parameters
    ----------
    calls : mapping of str to callable
        Name -> function of no arguments; timed in the mapping's order.
    warm_up : bool or collection of str, default=True
        Call each function once, untimed, before timing it: all (True), none (False),
        or only the named ones (e.g. those that compile on their first call).
    repeat : int, default=1
        Timed calls per function; the median is reported.
    clock : callable, default=time.perf_counter
        Returns the current time in seconds.

    Returns
    -------
    dict of str to Timing
        For each name, in the same order: ``Timing(seconds, result)``.
    """
    if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
        raise ValueError(f"repeat must be a positive integer, got {repeat!r}.")
    if not isinstance(warm_up, bool):
        unknown = set(warm_up) - set(calls)
        if unknown:
            raise ValueError(f"warm_up names calls that are not given: {sorted(unknown)}.")
    for name, function in calls.items():
        if not callable(function):
            raise TypeError(f"calls[{name!r}] must be callable, got {function!r}.")
    timings = {}
    for name, function in calls.items():
        if warm_up is True or (not isinstance(warm_up, bool) and name in warm_up):
            function()
        durations, result = [], None
        for _ in range(repeat):
            start = clock()
            result = function()
            durations.append(clock() - start)
        timings[name] = Timing(statistics.median(durations), result)
    return timings
