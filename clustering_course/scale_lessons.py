"""Notebook 11 (k-means at scale): fits run in a child process, and its exercise's check.

A fit "larger than memory" needs a process whose memory is limited. Notebook 11 starts
the fits below as child processes (``python -m clustering_course.scale_lessons TASK ...``)
and watches their anonymous memory from the parent; this module is the child's side.
The child imports what it needs, makes a small warm-up fit on the first rows (so that
compiling kernels and starting thread pools are not counted), prints ``ready``, waits for
``go`` on its standard input, runs the fit and prints one JSON line::

    python -m clustering_course.scale_lessons TASK PATH N_ROWS N_FEATURES N_CLUSTERS SEED

The in-memory task copies the rows into an array right after ``go``, before it imports
TensorFlow and fits: the copy is the first thing it needs memory for.

TASK is one of :data:`TASKS`. PATH is a float32 file of N_ROWS x N_FEATURES values
(``clustering_lib.datasets.make_blobs_memmap`` writes one).

:func:`check_kmeans_plusplus_passes` checks the notebook's optional exercise: k-means++
over data read block by block, one pass per centre.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import itertools
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["TASKS", "BlockReader", "check_kmeans_plusplus_passes", "main"]

#: What a child process can fit: this library out of core (k-means||, to convergence),
#: this library in memory (the rows copied into an array first), scikit-learn's KMeans
#: and MiniBatchKMeans on the memory map.
TASKS = ("out_of_core", "in_memory", "sklearn_kmeans", "sklearn_minibatch")

WARM_UP_ROWS = 100_000


def _estimator(task: str, n_clusters: int, seed: int):
    if task in ("out_of_core", "in_memory"):
        import clustering_lib as cl

        return cl.KMeans(n_clusters, init="k-means||", random_state=seed)  # to convergence
    if task == "sklearn_kmeans":
        from sklearn.cluster import KMeans

        return KMeans(n_clusters, n_init=1, max_iter=10, tol=0.0, random_state=seed)
    from sklearn.cluster import MiniBatchKMeans

    return MiniBatchKMeans(n_clusters, n_init=1, random_state=seed)


def _release_free_memory() -> None:
    """Ask glibc's allocator to return the memory it keeps free (as ``PeakMemory`` does),
    without importing clustering_lib (and TensorFlow) into scikit-learn's children."""
    name = ctypes.util.find_library("c")
    try:
        if name:
            ctypes.CDLL(name).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def run_child(task: str, path: str, n_rows: int, n_features: int, n_clusters: int,
              seed: int) -> dict[str, Any]:
    """The child's side: warm up, say ``ready``, wait for ``go``, fit, return a summary."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}.")
    X = np.memmap(path, dtype=np.float32, mode="r", shape=(n_rows, n_features))
    if task == "out_of_core":
        import clustering_course as course

        # Two threads on every machine: the blocks in flight, and with them the peak, grow
        # with the thread count.
        course.setup(seed, threads=2)
    if task != "in_memory":
        # The warm-up: the same kind of fit on the first rows compiles the same kernels
        # and starts the same thread pools, so the measured fit does neither.
        _estimator(task, n_clusters, seed).fit(X[:WARM_UP_ROWS])
    gc.collect()
    _release_free_memory()
    print("ready", flush=True)
    sys.stdin.readline()
    began = time.perf_counter()
    if task == "in_memory":
        # An in-memory fit needs the rows in an array first; TensorFlow is imported
        # after the copy, so that what the copy needs is all that is measured first.
        rows = np.array(X)
        import clustering_course as course

        course.setup(seed, threads=2)
        model = _estimator(task, n_clusters, seed).fit(rows)
    else:
        model = _estimator(task, n_clusters, seed).fit(X)
    return {"task": task, "seconds": time.perf_counter() - began,
            "inertia": float(model.inertia_), "n_iter": int(model.n_iter_)}


def main(argv: list[str] | None = None) -> None:
    task, path, n_rows, n_features, n_clusters, seed = argv or sys.argv[1:]
    summary = run_child(task, path, int(n_rows), int(n_features), int(n_clusters), int(seed))
    print(json.dumps(summary), flush=True)


# --------------------------------------------------------------------------- #
# The optional exercise: k-means++ one pass per centre
# --------------------------------------------------------------------------- #
class ExerciseFailed(AssertionError):
    """The student's function gave a wrong answer; the message says which and why."""

    def _render_traceback_(self) -> list[str]:  # IPython shows only the message
        return [f"{type(self).__name__}: {line}" if i == 0 else line
                for i, line in enumerate(str(self).splitlines())]


class BlockReader:
    """Rows that may be read only block by block, as from a file, counting the passes.

    ``X[start:stop]`` (at most ``block_rows`` rows, no step) and ``X[i]`` (one row) are
    allowed; ``len(X)`` and ``X.shape`` too. A pass is counted each time the block that
    starts at row 0 is read. Anything else (``np.asarray(X)``, fancy indexing, a larger
    slice) raises an error that says so.
    """

    def __init__(self, points: np.ndarray, block_rows: int) -> None:
        self._points = np.asarray(points)
        self.block_rows = block_rows
        self.shape = self._points.shape
        self.dtype = self._points.dtype
        self.n_passes = 0
        self.single_rows = 0

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: Any) -> np.ndarray:
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            if step != 1 or stop - start > self.block_rows:
                raise ExerciseFailed(
                    f"X[{key.start}:{key.stop}] reads {max(stop - start, 0)} rows at once; "
                    f"read blocks of at most block_rows={self.block_rows} rows, "
                    "X[start:start + block_rows], as from a file too large for memory."
                )
            if start == 0 and stop > 0:
                self.n_passes += 1
            return self._points[start:stop].copy()
        if isinstance(key, int | np.integer):
            self.single_rows += 1
            return self._points[int(key)].copy()
        raise ExerciseFailed(
            f"X[{key!r}]: read rows one block at a time (X[start:start + block_rows]) or one "
            "row at a time (X[i]), as from a file too large for memory."
        )

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise ExerciseFailed(
            "your function turned all of X into one array (np.asarray, np.array, or an "
            "operation on X itself); the data are too large for memory: read them block by "
            "block, X[start:start + block_rows]."
        )

    def __iter__(self):
        raise ExerciseFailed("do not iterate over X row by row; read blocks "
                             "X[start:start + block_rows].")


def _order_probabilities(points: np.ndarray, n_clusters: int, rule: str) -> dict:
    """Exact probability of every ordered choice of ``n_clusters`` rows of 1-D ``points``
    under a seeding rule: 'k-means++' (D^2), 'distance' (D, not squared), 'latest'
    (D^2 to the latest centre only), 'uniform'."""
    n = len(points)
    probabilities = {}
    for order in itertools.permutations(range(n), n_clusters):
        p = 1.0 / n
        for step in range(1, n_clusters):
            chosen = points[list(order[:step])]
            if rule == "latest":
                chosen = chosen[-1:]
            d2 = np.min((points[:, None] - chosen[None, :]) ** 2, axis=1)
            weights = {"k-means++": d2, "distance": np.sqrt(d2), "latest": d2,
                       "uniform": (d2 > 0).astype(float)}[rule]
            p *= weights[order[step]] / weights.sum()
        probabilities[order] = p
    return probabilities


def _total_variation(frequencies: dict, probabilities: dict) -> float:
    keys = set(frequencies) | set(probabilities)
    return 0.5 * sum(abs(frequencies.get(k, 0.0) - probabilities.get(k, 0.0)) for k in keys)


_RULE_HINTS = {
    "distance": "your draws follow the distance D, not its square: weight each row by D^2.",
    "latest": "your draws use the distance to the latest centre only: keep, for every row, "
              "the distance to its NEAREST centre so far (np.minimum with the new distances).",
    "uniform": "your draws look uniform over the rows not chosen yet: draw with probability "
               "D^2 / sum(D^2), D the distance to the nearest centre so far.",
}


def check_kmeans_plusplus_passes(kmeans_plusplus_blocks: Callable[..., Any]) -> None:
    """Check ``kmeans_plusplus_blocks(X, n_clusters, rng, block_rows) -> indices``.

    Plain k-means++ (Arthur and Vassilvitskii 2007) on rows read block by block: the
    first centre a uniformly drawn row, every further one a row drawn with probability
    D^2 / sum(D^2), D the distance of a row to its nearest centre so far; one pass over
    the data per centre. Checked: the data are read only in blocks (or single rows), the
    passes are ``n_clusters`` (or one fewer: none is needed after the last centre), the
    answer is ``n_clusters`` distinct row indices, and the
    order in which rows are chosen follows k-means++'s exact probabilities (4,000 draws
    on four points of a line, compared with the exact distribution).
    """
    name = "kmeans_plusplus_blocks"
    if not callable(kmeans_plusplus_blocks):
        raise TypeError(f"{name}: pass your function itself (without calling it).")

    def fail(case: str, problem: str, hint: str = "") -> None:
        lines = [f"{name}: not quite yet. {case}: {problem}"]
        if hint:
            lines.append(f"  Hint: {hint}")
        lines.append("Fix your function and run this cell again.")
        raise ExerciseFailed("\n".join(lines))

    def call(case: str, reader: BlockReader, n_clusters: int, seed: int) -> np.ndarray:
        try:
            result = kmeans_plusplus_blocks(reader, n_clusters, np.random.default_rng(seed),
                                            reader.block_rows)
        except (NotImplementedError, ExerciseFailed):
            raise
        except Exception as error:
            fail(case, f"your function raised {type(error).__name__}: {error}")
        indices = np.asarray(result).ravel()
        if indices.shape != (n_clusters,) or indices.dtype.kind not in "iu":
            fail(case, f"expected {n_clusters} integer row indices, got {result!r}.",
                 "return the indices of the chosen rows (X[indices] are the centres).")
        if len(set(indices.tolist())) != n_clusters or indices.min() < 0 \
                or indices.max() >= len(reader):
            fail(case, f"the indices {indices.tolist()} are not {n_clusters} distinct rows of X.",
                 "a row already chosen is at distance D = 0 from its NEAREST centre, so it "
                 "cannot be drawn again: keep each row's distance to the nearest centre so far "
                 "(np.minimum), not to the latest one.")
        return indices

    # Case 1: the exact distribution of the order of choice, on four points of a line.
    case = "case 1 of 2 (the order of choice on the points 0, 1, 3, 7, 4,000 draws)"
    line = np.array([0.0, 1.0, 3.0, 7.0])
    counts: dict[tuple[int, ...], int] = {}
    n_draws = 4000
    for seed in range(n_draws):
        order = tuple(int(i) for i in call(case, BlockReader(line[:, None], 2), 3, 1000 + seed))
        counts[order] = counts.get(order, 0) + 1
    frequencies = {order: count / n_draws for order, count in counts.items()}
    exact = _order_probabilities(line, 3, "k-means++")
    distance = _total_variation(frequencies, exact)
    if distance > 0.05:
        others = {rule: _total_variation(frequencies, _order_probabilities(line, 3, rule))
                  for rule in _RULE_HINTS}
        rule = min(others, key=others.get)
        hint = (_RULE_HINTS[rule] if others[rule] < distance else
                "the first centre is a uniformly drawn row; each further one a row drawn with "
                "probability D^2 / sum(D^2), with rng (the generator given).")
        fail(case, f"the orders your function chose differ from k-means++'s probabilities "
                   f"(total variation distance {distance:.2f}; sampling noise is below 0.05).",
             hint)
    # Case 2: blocks and passes, on separated blobs of different sizes.
    rng = np.random.default_rng(11)
    sizes = [300, 40, 1000, 7, 150]
    blobs = rng.normal(scale=30.0, size=(5, 3))
    points = np.concatenate([blob + rng.normal(scale=0.1, size=(size, 3))
                             for blob, size in zip(blobs, sizes, strict=True)])
    truth = np.repeat(np.arange(5), sizes)
    case = "case 2 of 2 (5 separated blobs, 1,497 rows, blocks of 256)"
    shared_blobs = []  # seeds on which two centres fell in one blob
    for seed in range(5):
        reader = BlockReader(points, 256)
        indices = call(case, reader, 5, seed)
        if reader.n_passes not in (4, 5):
            fail(case, f"your function made {reader.n_passes} passes over X for 5 centres; "
                       "k-means++ needs one per centre (4 will do: none after the last).",
                 "keep every row's distance to its nearest centre so far in an array of n "
                 "numbers; after choosing a centre, one pass updates it (np.minimum); drawing "
                 "the next centre uses that array only.")
        if reader.single_rows > 5:
            fail(case, f"your function read {reader.single_rows} single rows for 5 centres.",
                 "X[i] is for reading a chosen centre's row; the distances come from the "
                 "passes over blocks.")
        if len(set(truth[indices].tolist())) != 5:
            shared_blobs.append(f"seed {seed}: rows {indices.tolist()}")
    # k-means++ puts two centres in one blob here in about 0.24 % of draws, so a correct
    # answer may do it once in five seeds (1.2 %); twice is about a 1-in-17,000 event.
    if len(shared_blobs) > 1:
        fail(case, f"on {len(shared_blobs)} of 5 seeds two centres fell in one blob ("
                   f"{'; '.join(shared_blobs)}); k-means++ almost never does that on blobs "
                   "this far apart.",
             "draw each new centre with probability D^2 / sum(D^2), D the distance to the "
             "nearest centre so far, in float64.")

    print(f"{name}: both cases pass (one pass per centre; the order of choice follows "
          "k-means++'s probabilities). Well done!")


if __name__ == "__main__":
    main()
