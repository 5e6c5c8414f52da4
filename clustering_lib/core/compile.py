"""The compile policy: how each k-means computation runs, decided in one place.

TensorFlow can run the same ops in three ways; the library uses two of them by
default and the third on request:

* **eager** (op by op from Python): no tracing and no compilation at all, some
  microseconds of overhead per op. Small problems run eagerly: an iteration is three
  ops on data kept centred, augmented with a column of ones and in float64 (a few
  copies, hence the size limit), so a first fit of 1,000 points or a sweep over k on
  the digits costs no compilation.
* **XLA** (``jit_compile=True``): everything larger. XLA compiles once per input
  *shape*, so its kernels only ever see fixed shapes: blocks of ``block_rows`` points
  (the data is fed block by block, the last block padded with zero-weight rows and
  only its valid chunks visited) and ``padded_clusters(k)`` centres (the extra centres
  get an infinite norm, so no point joins them). A sweep over n then compiles once
  per power of two below the block size at most, and a sweep over k once per bucket
  of k. Inside a block the kernel walks chunks of about the processor's level-2
  cache, so distances, labels and float64 sums are computed while the chunk is in the
  cache: one pass over memory per iteration, as scikit-learn's chunked loop does.
* **graph** (``tf.function`` with ``None`` dimensions, traced once per process and
  dtype): only when forced (tests compare the three), since eager execution of three
  large ops costs the same.

:func:`plan` decides; :func:`forced` overrides for tests and benchmarks;
:func:`compile_counts` reports how often the library has traced and compiled, so
tests can check the policy. The thresholds were chosen by measurement
(``benchmarks/``).
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import math
import os
from collections.abc import Iterator

import tensorflow as tf

__all__ = [
    "EAGER_MAX_WORK",
    "BlockPlan",
    "compile_counts",
    "count_trace",
    "forced",
    "padded_clusters",
    "plan",
    "seeding_mode",
]

#: Work per Lloyd iteration (n_samples * n_clusters * n_features) up to which the
#: computation runs eagerly: no tracing, no compilation.
EAGER_MAX_WORK = 2**24

#: Eager fits keep the data centred, augmented and in float64 (about four copies), so
#: they are also limited in size: n_samples * n_features at most this.
EAGER_MAX_ELEMENTS = 2**22

#: Bytes of points in one block fed to an XLA kernel. Each call of a compiled function
#: costs some hundreds of microseconds in Python, so blocks are large; they are cut into
#: cache-sized chunks inside the kernel.
BLOCK_BYTES = 2**25

#: Bytes of points and scores of one chunk inside an XLA kernel: about the size of the
#: processor's level-2 cache, so the sums read the chunk from the cache.
CHUNK_BYTES = 2**20

#: Bounds on the rows of one block, and of one chunk.
MIN_BLOCK_ROWS = 256
MAX_BLOCK_ROWS = 2**18
MIN_CHUNK_ROWS = 64
MAX_CHUNK_ROWS = 2048

#: At most this many features and clusters use the fused running-minimum kernel.
FEW_FEATURES = 4
FEW_FEATURES_MAX_CLUSTERS = 64

_counts: collections.Counter[str] = collections.Counter()


def count_trace(name: str) -> None:
    """Record that the function ``name`` is being traced (call it inside the Python body).

    A traced function's Python body only runs while TensorFlow traces it, so the count is
    the number of traces; run eagerly, the body is not traced and nothing is counted. For
    the XLA kernels, whose input signature is fixed, a trace is a compilation.
    """
    if tf.inside_function():
        _counts[name] += 1


def compile_counts() -> dict[str, int]:
    """How many times each of the library's compiled functions was traced, by name."""
    return dict(_counts)


def padded_clusters(n_clusters: int) -> int:
    """The bucket of ``n_clusters`` that XLA kernels are compiled for.

    Buckets grow by a factor of about sqrt(2) (8, 12, 16, 24, 32, 48, 64, 96, ...), so a
    sweep over k compiles a handful of times and at most a third of a block's distance
    arithmetic is spent on padding (k = 100 runs with 128 centres, k = 1000 with 1024).
    """
    if n_clusters <= 8:
        return 8
    exponent = math.floor(math.log2(n_clusters))
    low = 2**exponent
    if n_clusters == low:
        return low
    middle = 3 * low // 2
    return middle if n_clusters <= middle else 2 * low


@dataclasses.dataclass(frozen=True)
class BlockPlan:
    """How one pass over the data runs.

    Attributes
    ----------
    mode : {"eager", "graph", "xla"}
    block_rows : int
        Rows per block (the whole data in one block when it is smaller).
    padded_clusters : int
        Number of centres the kernels see (XLA: the bucket of k; otherwise k).
    few_features : bool
        Use the fused running-minimum kernel (XLA, at most ``FEW_FEATURES`` features).
    chunk_rows : int
        XLA: rows per chunk inside a block (distances, labels and sums of a chunk are
        computed while it is in the processor's cache).
    """

    mode: str
    block_rows: int
    padded_clusters: int
    few_features: bool = False
    chunk_rows: int = 0


_forced: dict[str, int | str | None] = {"mode": None, "block_rows": None}


@contextlib.contextmanager
def forced(mode: str | None = None, block_rows: int | None = None) -> Iterator[None]:
    """Run everything inside the ``with`` block in ``mode``, with blocks of ``block_rows``.

    For tests and benchmarks that compare the modes on the same data; normal use lets
    :func:`plan` decide.
    """
    if mode not in (None, "eager", "graph", "xla"):
        raise ValueError(f"mode must be None, 'eager', 'graph' or 'xla', got {mode!r}.")
    saved = dict(_forced)
    _forced.update(mode=mode, block_rows=block_rows)
    try:
        yield
    finally:
        _forced.update(saved)


def plan(n_samples: int, n_features: int, n_clusters: int) -> BlockPlan:
    """Choose the execution mode and block shape for data of this size."""
    mode = _forced["mode"]
    if mode is None:
        small = (
            n_samples * n_clusters * n_features <= EAGER_MAX_WORK
            and n_samples * n_features <= EAGER_MAX_ELEMENTS
        )
        mode = "eager" if small else "xla"
    forced_rows = _forced["block_rows"]
    if mode == "xla":
        padded = padded_clusters(n_clusters)
        few = n_features <= FEW_FEATURES and padded <= FEW_FEATURES_MAX_CLUSTERS
        # A power of two of rows: at most BLOCK_BYTES, and small enough that every thread
        # gets a block (blocks run in parallel, one per thread).
        threads = tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count() or 1
        rows = forced_rows or min(
            _pow2_below(BLOCK_BYTES // (4 * n_features)), _pow2_below(-(-n_samples // threads))
        )
        rows = min(rows, _pow2_above(n_samples))
        rows = max(rows, MIN_CHUNK_ROWS)
        chunk = 2 ** int(math.log2(max(CHUNK_BYTES // (4 * (n_features + padded)), 1)))
        chunk = min(max(MIN_CHUNK_ROWS, min(MAX_CHUNK_ROWS, chunk)), rows)
        return BlockPlan("xla", rows, padded, few, chunk)
    if mode == "graph":
        rows = forced_rows or _pow2_below(BLOCK_BYTES // (4 * n_features))
    else:
        rows = forced_rows or n_samples
    return BlockPlan(mode, max(1, min(rows, n_samples)), n_clusters)


def _pow2_below(value: int) -> int:
    """The largest power of two at most ``value`` (within the block bounds)."""
    value = max(MIN_BLOCK_ROWS, min(MAX_BLOCK_ROWS, value))
    return 2 ** int(math.log2(value))


def _pow2_above(value: int) -> int:
    return 2 ** math.ceil(math.log2(max(value, 1)))


#: k-means++ runs eagerly up to this many (centre, block) steps; beyond, as one graph.
EAGER_MAX_SEEDING_STEPS = 256


def seeding_mode(n_samples: int, n_clusters: int, block_rows: int) -> str:
    """``"eager"`` or ``"graph"`` for k-means++ (a loop of a few ops per centre).

    Eager execution costs some microseconds per op and nothing else; a graph costs one
    trace per process. A loop of a few hundred small steps on data that fits one block
    is cheaper eagerly.
    """
    if _forced["mode"] is not None:
        return "eager" if _forced["mode"] == "eager" else "graph"
    small = n_samples <= block_rows and n_clusters <= EAGER_MAX_SEEDING_STEPS
    return "eager" if small else "graph"
