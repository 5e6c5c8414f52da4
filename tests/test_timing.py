"""time_calls: warm-up, repeats, results and timings from an injected clock (no real timing)."""

import itertools

import pytest

from clustering_course.timing import Timing, time_calls


class FakeClock:
    """Advances by a fixed step per reading, plus what a call adds via ``spend``."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def spend(self, seconds):
        self.now += seconds


def test_times_each_call_and_returns_its_result():
    clock = FakeClock()
    calls = {"fast": lambda: clock.spend(1.0) or "a", "slow": lambda: clock.spend(5.0) or "b"}
    timings = time_calls(calls, warm_up=False, clock=clock)
    assert list(timings) == ["fast", "slow"]
    assert timings["fast"] == Timing(1.0, "a")
    assert timings["slow"] == Timing(5.0, "b")


def test_warm_up_calls_once_untimed_and_only_the_named_ones():
    clock = FakeClock()
    counts = {"compiled": 0, "plain": 0}
    first_call_cost = {"compiled": 10.0, "plain": 0.0}

    def make(name):
        def call():
            counts[name] += 1
            clock.spend(first_call_cost[name] if counts[name] == 1 else 1.0)
            return counts[name]
        return call

    timings = time_calls({n: make(n) for n in counts}, warm_up={"compiled"}, clock=clock)
    assert counts == {"compiled": 2, "plain": 1}
    assert timings["compiled"] == Timing(1.0, 2)  # the costly first call was not timed
    assert timings["plain"] == Timing(0.0, 1)  # its first call was the timed one


def test_repeat_reports_the_median_and_the_last_result():
    clock = FakeClock()
    durations = itertools.cycle([3.0, 1.0, 100.0])
    counter = itertools.count()
    timings = time_calls({"x": lambda: clock.spend(next(durations)) or next(counter)},
                         warm_up=False, repeat=3, clock=clock)
    assert timings["x"] == Timing(3.0, 2)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"repeat": 0}, ValueError, "repeat must be a positive integer"),
        ({"warm_up": ["missing"]}, ValueError, "warm_up names calls that are not given"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        time_calls({"x": lambda: None}, **kwargs)


def test_a_call_that_is_not_callable_is_named():
    with pytest.raises(TypeError, match=r"calls\['x'\] must be callable"):
        time_calls({"x": 3})
