"""The compile policy: how each k-means computation runs, decided in one place.

TensorFlow can run the same ops three ways, and each wins somewhere:

* **eager** (op by op from Python): no tracing and no compilation at all, about
  10-20 microseconds of overhead per op. Best for small problems, where a whole fit
  costs less than tracing a graph once (a first fit of 1,000 points, a sweep over k
  on the digits).
* **graph** (``tf.function`` with ``None`` dimensions): traced once per process, dtype
  and variant, then reused for every number of points and clusters.
* **XLA** (``jit_compile=True``): the fastest kernels (fused distances, arg-minimum and
  per-cluster sums), but XLA compiles once per input *shape*. So it only ever sees
  fixed shapes: blocks of ``block_rows`` points (the data is fed block by block; the
  last block overlaps the one before it, with the repeated rows weighted zero) and
  ``padded_clusters(k)`` centres (the extra centres get an infinite norm, so no point
  joins them). A sweep over k then compiles once per bucket of k, and a sweep over n
  not at all.

:func:`plan` picks the mode from the amount of work per Lloyd iteration; the
thresholds are measured (see ``benchmarks/``). Every decision about compilation is in
this module; :func:`compile_counts` reports how often the library has traced and
compiled, so tests can check the policy.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import math
from collections.abc import Iterator

import tensorflow as tf

__all__ = [
    "EAGER_MAX_WORK",
    "XLA_MIN_WORK",
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
EAGER_MAX_WORK = 2**22

#: Work per iteration from which the per-block kernels are compiled with XLA (once per
#: block shape and bucket of k); between the two thresholds a traced graph is used.
XLA_MIN_WORK = 2**27

#: Bytes of scores (block_rows x padded clusters) one block may hold.
BLOCK_BYTES = 2**23

#: Bounds on the rows of one block.
MIN_BLOCK_ROWS = 1024
MAX_BLOCK_ROWS = 2**16

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
    """

    mode: str
    block_rows: int
    padded_clusters: int
    few_features: bool = False


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
    work = n_samples * n_clusters * n_features
    mode = _forced["mode"]
    if mode is None:
        if work <= EAGER_MAX_WORK:
            mode = "eager"
        elif work < XLA_MIN_WORK or n_samples < MIN_BLOCK_ROWS:
            mode = "graph"
        else:
            mode = "xla"
    if mode == "xla":
        padded = padded_clusters(n_clusters)
        few = n_features <= FEW_FEATURES and padded <= FEW_FEATURES_MAX_CLUSTERS
        rows = _forced["block_rows"] or _block_rows(n_features, padded)
        # XLA sees one block shape: a power of two no larger than the data.
        return BlockPlan("xla", min(rows, 2 ** int(math.log2(n_samples))), padded, few)
    rows = _forced["block_rows"] or (
        n_samples if mode == "eager" else _block_rows(n_features, n_clusters)
    )
    return BlockPlan(mode, max(1, min(rows, n_samples)), n_clusters)


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


def _block_rows(n_features: int, n_clusters: int) -> int:
    """Rows per block: about ``BLOCK_BYTES`` of float32 points and scores, a power of two."""
    rows = BLOCK_BYTES // (4 * (n_clusters + n_features))
    rows = 2 ** int(math.log2(max(rows, 1)))
    return max(MIN_BLOCK_ROWS, min(MAX_BLOCK_ROWS, rows))
