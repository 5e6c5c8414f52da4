"""Checks for the notebooks' exercises: call one in the cell after your solution.

Each ``check_*`` function calls the function you wrote on a few hand-made cases and a few
random ones, and compares its answers with a reference. If every case passes it prints one
line. If a case fails it raises :class:`ExerciseFailed` with a message that says which case,
what was expected and what your function returned, and gives a hint. If your function still
raises ``NotImplementedError`` (the stub of the student notebooks), that error comes through
unchanged.

The checks of most notebooks live beside their lessons (``clustering_course.kmeans_lessons``,
``quantization_lessons``, ...) and are built on :class:`ExerciseCheck`; this module holds the
framework and :func:`check_streamed_centers` (notebook 11, centres from streamed sums).
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from clustering_lib import assign, update_centroids

_LIBRARY_DIR = str(Path(__file__).resolve().parent)

__all__ = [
    "ExerciseCheck",
    "ExerciseFailed",
    "check_streamed_centers",
    "show_value",
]


class ExerciseFailed(AssertionError):
    """A check found a case where the student's function gives a different answer.

    In Jupyter only the message is shown (no stack trace of the checking code).
    """

    def _render_traceback_(self) -> list[str]:  # IPython's hook for custom error display
        return [f"{type(self).__name__}: {line}" if i == 0 else line
                for i, line in enumerate(str(self).splitlines())]


def show_value(value: Any, max_items: int = 12) -> str:
    """A compact, rounded rendering of a value for a feedback message."""
    if isinstance(value, str):
        return value
    array = np.asarray(value)
    if array.dtype == object:
        return repr(value)
    text = np.array2string(array, precision=4, suppress_small=True, threshold=max_items,
                           edgeitems=3, max_line_width=88)
    return text.replace("\n", "\n      ")


def _describe(value: Any) -> str:
    """What an argument is, in a few words: an array's shape and dtype, or its value."""
    if isinstance(value, _Stream):
        return f"a stream of {len(value.batches)} batches (it can be read once)"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} ({value.dtype})"
    if isinstance(value, int | float | str):
        return repr(value)
    return f"a {type(value).__name__}"


class ExerciseCheck:
    """The bookkeeping shared by the checks: case numbering, calls and messages."""

    def __init__(self, function: Callable[..., Any], exercise: str, n_cases: int) -> None:
        if not callable(function):
            raise TypeError(f"{exercise}: pass your function itself (without calling it), "
                            f"got {type(function).__name__}.")
        self.function = function
        self.exercise = exercise
        self.n_cases = n_cases
        self.case = 0
        self.label = ""

    def start(self, label: str) -> None:
        self.case += 1
        self.label = label

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """Call the student's function; errors other than NotImplementedError become feedback."""
        try:
            return self.function(*args, **kwargs)
        except NotImplementedError:
            raise
        except ExerciseFailed:
            raise
        except Exception as error:  # the student's code failed: say where, kindly
            frames = traceback.extract_tb(error.__traceback__)[1:]
            # The deepest line of the student's own code, not of NumPy or of this library.
            own = [frame for frame in frames if "site-packages" not in frame.filename
                   and not frame.filename.startswith(_LIBRARY_DIR)] or frames
            where = f" (line {own[-1].lineno}: {own[-1].line})" if own else ""
            self.fail(f"your function raised {type(error).__name__}: {error}{where}",
                      hint=f"it was called with {self._describe_arguments(args, kwargs)}.")

    def _describe_arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        try:
            names = list(inspect.signature(self.function).parameters)
        except (TypeError, ValueError):
            names = []
        described = []
        for index, value in enumerate(args):
            name = names[index] if index < len(names) else f"argument {index + 1}"
            described.append(f"{name} = {_describe(value)}")
        described += [f"{name} = {_describe(value)}" for name, value in kwargs.items()]
        return ", ".join(described)

    def fail(self, problem: str, expected: Any = None, got: Any = None,
             hint: str = "") -> NoReturn:
        lines = [f"{self.exercise}: not quite yet. Case {self.case} of {self.n_cases} "
                 f"({self.label}): {problem}"]
        if expected is not None or got is not None:
            lines += [f"  expected: {show_value(expected)}", f"  got:      {show_value(got)}"]
        if hint:
            lines.append(f"  Hint: {hint}")
        lines.append("Fix your function and run this cell again.")
        raise ExerciseFailed("\n".join(lines))

    def array(self, value: Any, what: str, shape: tuple[int, ...],
              nan_hint: str = "a mean over nothing is 0/0 = NaN; is something empty?",
              shape_hint: str = "compare with the shapes in the exercise's description; a "
                                "transposed or flattened result is a common slip.",
              ) -> np.ndarray:
        """The student's ``value`` as a float64 array of ``shape``, or a failure saying why."""
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            self.fail(f"{what} should be an array of numbers, got {type(value).__name__}.",
                      hint="return NumPy arrays (or tensors, or lists of numbers).")
        if array.shape != shape:
            self.fail(f"{what} has the wrong shape.", expected=f"shape {shape}",
                      got=f"shape {array.shape}", hint=shape_hint)
        if not np.isfinite(array).all():
            rows = np.unique(np.argwhere(~np.isfinite(array))[:, 0])
            self.fail(f"{what} contains NaN or infinity (at index {show_value(rows)}).",
                      hint=nan_hint)
        return array

    def pair(self, result: Any, names: str) -> None:
        """Fail unless ``result`` is a pair, named ``names`` (e.g. "labels, new_centers")."""
        if not isinstance(result, tuple | list) or len(result) != 2:
            self.fail(f"{self.exercise} should return two things, ({names}).",
                      got=f"a {type(result).__name__}",
                      hint=f"end the function with: return {names}")

    def done(self) -> None:
        print(f"{self.exercise}: all {self.n_cases} cases pass. Well done!")


def _first_difference(expected: np.ndarray, got: np.ndarray, rtol: float, atol: float) -> int:
    """Index of the first row (or entry) where ``got`` is not close to ``expected``."""
    close = np.isclose(got, expected, rtol=rtol, atol=atol)
    if close.ndim > 1:
        close = close.reshape(len(close), -1).all(axis=1)
    return int(np.argmin(close))


def _reference_lloyd_step(points: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, ...]:
    labels, _ = assign(points, centers)
    new_centers, counts = update_centroids(points, labels, len(centers),
                                           previous_centroids=centers)
    return labels.numpy(), new_centers.numpy(), counts.numpy()


_EMPTY_CLUSTER_HINT = ("a centre that no point is nearest to has no mean (0/0 = NaN); "
                       "it keeps its previous position.")


def _centers_differ(expected: np.ndarray, got: np.ndarray, rtol: float) -> bool:
    atol = 1e-6 * (1.0 + float(np.abs(expected).max()))
    return not np.allclose(got, expected, rtol=rtol, atol=atol)


def _compare_centers(check: ExerciseCheck, expected: np.ndarray, got: np.ndarray, what: str,
                     counts: np.ndarray, hint: str, rtol: float = 1e-5) -> None:
    if not _centers_differ(expected, got, rtol):
        return
    atol = 1e-6 * (1.0 + float(np.abs(expected).max()))
    row = _first_difference(expected, got, rtol, atol)
    if counts[row] == 0:
        hint = _EMPTY_CLUSTER_HINT
    check.fail(f"{what}: row {row} differs (it has {int(counts[row])} point(s)).",
               expected=expected[row], got=got[row], hint=hint)


# --- 11: centres from streamed sums -----------------------------------------------------------

def _mean_of_batch_means(batches: list[np.ndarray], centers: np.ndarray) -> np.ndarray:
    """The typical mistake: each batch's cluster means, averaged over the batches."""
    means = []
    for batch in batches:
        batch = batch.astype(np.float64)
        labels, _, counts = _reference_lloyd_step(batch, centers)
        sums = np.zeros_like(centers, dtype=np.float64)
        np.add.at(sums, labels, batch)
        with np.errstate(invalid="ignore", divide="ignore"):
            means.append(sums / counts[:, None])
    stacked = np.stack(means)
    present = ~np.isnan(stacked)
    return np.where(present.any(axis=0),
                    np.nansum(stacked, axis=0) / np.maximum(present.sum(axis=0), 1), centers)


def _online_centers(batches: list[np.ndarray],
                    centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The online mistake: the centres move after every batch (the running mean of the points
    seen so far), and the next batch is assigned to the moved centres."""
    moved = centers.astype(np.float64)
    sums = np.zeros_like(moved)
    counts = np.zeros(len(moved), dtype=np.int64)
    for batch in batches:
        batch = batch.astype(np.float64)
        labels, _, batch_counts = _reference_lloyd_step(batch, moved)
        np.add.at(sums, labels, batch)
        counts += batch_counts.astype(np.int64)
        filled = counts > 0
        moved[filled] = sums[filled] / counts[filled, None]
    return moved, counts


_ONLINE_HINT = ("this is an online update: each batch was assigned to centres that the batches "
                "before it had already moved. Assign every batch to the centres you were "
                "given; compute the new centres once, after the last batch.")


class _Stream:
    """Batches that can be read once, like data arriving over a network."""

    def __init__(self, batches: list[np.ndarray]) -> None:
        self.batches = batches
        self.reads = 0

    def __iter__(self) -> Iterator[np.ndarray]:
        self.reads += 1
        if self.reads > 1:
            raise ExerciseFailed(
                "streamed_centers: the batches were read a second time, but a stream can be "
                "read only once.\n  Hint: accumulate the per-cluster sums and counts while "
                "you read each batch, then divide once at the end.")
        return (batch.copy() for batch in self.batches)


def check_streamed_centers(streamed_centers: Callable[[Iterable[np.ndarray], np.ndarray], Any],
                           ) -> None:
    """Check ``streamed_centers(batches, centers) -> (new_centers, counts)``.

    One Lloyd update over data that arrive in batches and can be read once: each point of
    each batch is assigned to its nearest centre, per-cluster sums and counts are accumulated
    over the batches, and ``new_centers = sums / counts``; a centre with no points keeps its
    position. The result equals one Lloyd step on all the data at once.
    """
    rng = np.random.default_rng(8)
    points = rng.normal(size=(600, 4)) * 2.0
    centers = rng.normal(size=(5, 4))
    sizes = np.array([1, 7, 50, 142, 400])
    cases = [
        ("all the data in one batch", [points], centers),
        ("batches of 1, 7, 50, 142 and 400 points", np.split(points, np.cumsum(sizes)[:-1]),
         centers),
        ("a centre far away that no point is nearest to",
         np.array_split(points, 6), np.vstack([centers[:4], np.full((1, 4), 100.0)])),
        ("100 batches of 6 points, float32", np.array_split(points.astype(np.float32), 100),
         centers),
    ]
    check = ExerciseCheck(streamed_centers, "streamed_centers", len(cases))
    for label, batches, start in cases:
        check.start(label)
        everything = np.concatenate(batches).astype(np.float64)
        _, expected, counts = _reference_lloyd_step(everything, start)
        result = check.call(_Stream(batches), start.copy())
        check.pair(result, "new_centers, counts")
        got_counts = check.array(result[1], "counts", counts.shape)
        online_centers, online_counts = _online_centers(batches, start)
        online = (len(batches) > 1 and not np.array_equal(online_counts, counts)
                  and np.array_equal(got_counts, online_counts))
        if not np.array_equal(got_counts, counts):
            check.fail("the number of points per centre differs.", expected=counts,
                       got=got_counts,
                       hint=_ONLINE_HINT if online else
                       "count, for every centre, the points of every batch nearest to it "
                       "(np.bincount(labels, minlength=k)).")
        got = check.array(result[0], "new_centers", expected.shape,
                          nan_hint=_EMPTY_CLUSTER_HINT)
        hint = ("new_centers = (sum of the points of each cluster) / (their number), over all "
                "batches.")
        if len(batches) > 1 and _centers_differ(expected, got, 1e-5):
            mean_of_means = _mean_of_batch_means(batches, start)
            if np.allclose(got, mean_of_means, atol=1e-6):
                hint = ("this is the average of the batches' means, which weighs a batch of 1 "
                        "point like a batch of 400: accumulate sums and counts over the "
                        "batches and divide once at the end.")
            elif np.allclose(got, online_centers, atol=1e-6):
                hint = _ONLINE_HINT
        _compare_centers(check, expected, got, "new_centers", counts, hint, rtol=1e-5)
    check.done()
