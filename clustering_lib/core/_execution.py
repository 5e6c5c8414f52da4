"""Execution settings: how and where every computation of the library runs, in one place.

Everything that decides *how* the engine runs lives here: block and chunk sizes, the
thread count and the one pool of worker threads, the choice between eager execution,
graphs and XLA for every estimator, and the bound on cached compiled kernels. The
values are fields of :class:`Settings`; :func:`config_context` changes some of them for
a block of code (as scikit-learn's ``config_context`` does) and :func:`get_config`
reads them. The settings are process-wide: worker threads see the same values.

TensorFlow can run the same ops in three ways; the k-means engine uses two of them by
default and the third on request:

* **eager** (op by op from Python): no tracing and no compilation at all, some
  microseconds of overhead per op. Small problems run eagerly: an iteration is three
  ops on data kept centred, augmented with a column of ones and in float64 (a few
  copies, hence the size limit), so a first fit of 1,000 points or a sweep over k on
  the digits costs no compilation. With ``fused_loop``, such fits run Lloyd's whole
  loop as one XLA program instead (:mod:`._fused`): faster once compiled.
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

The other estimators have fixed defaults, also set here (:func:`compiled`):
``KMedoids`` runs plain graphs, ``NMF`` XLA, ``MiniBatchKMeans`` graphs for its first
``minibatch_xla_after_steps`` steps and XLA after.

:func:`plan` decides a k-means pass; :func:`compile_counts` reports how often the
library has traced and compiled, so tests can check the policy. The thresholds were
chosen by measurement (``benchmarks/``).
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import dataclasses
import functools
import heapq
import math
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import tensorflow as tf

__all__ = [
    "BlockPlan",
    "Settings",
    "compile_counts",
    "compiled",
    "config_context",
    "count_trace",
    "flat_call",
    "fused_due",
    "fused_plan",
    "get_config",
    "kernel_cache",
    "minibatch_xla",
    "padded_clusters",
    "plan",
    "seeding_mode",
    "sparse_block_rows",
    "host_block_rows",
    "thread_count",
    "thread_pool",
    "traced_once",
]

MODES = (None, "eager", "graph", "xla")


@dataclasses.dataclass(frozen=True)
class Settings:
    """The library's execution settings (defaults measured on 2- to 16-core CPUs).

    Attributes
    ----------
    mode : {None, "eager", "graph", "xla"}
        None lets :func:`plan` choose per problem; otherwise every k-means pass, k-means++
        and the compiled functions of the other estimators run this way.
    block_rows : int or None
        Rows per block of a k-means pass; None chooses it from the sizes below.
    threads : int or None
        Worker threads for blocks in flight; None uses TensorFlow's intra-op setting,
        or the number of cores.
    eager_max_work : int
        Work per Lloyd iteration (n_samples * n_clusters * n_features) up to which a fit
        runs eagerly: no tracing, no compilation.
    eager_max_elements : int
        Eager fits keep the data centred, augmented and in float64 (about four copies),
        so they are also limited in size: n_samples * n_features at most this.
    eager_max_seeding_steps : int
        k-means++ runs eagerly up to this many centres on data of one block.
    block_bytes : int
        Bytes of points in one block fed to an XLA kernel. Each call of a compiled
        function has a fixed cost (about 0.25 ms for a 256-row block kernel, Python and
        XLA's runtime, see :func:`flat_call`), so blocks are large; they are cut into
        cache-sized chunks inside the kernel.
    chunk_bytes : int
        Bytes of points and scores of one chunk inside an XLA kernel: about the size of
        the processor's level-2 cache, so the sums read the chunk from the cache.
    min_block_rows, max_block_rows, min_chunk_rows, max_chunk_rows : int
        Bounds on the rows of one block, and of one chunk.
    few_features, few_features_max_clusters : int
        At most this many features and clusters use the fused running-minimum kernel.
    sparse_block_bytes : int
        Sparse data: bytes of float64 scores (block_rows x n_clusters) in one block.
    sparse_min_block_rows, sparse_max_block_rows : int
        Sparse data: bounds on the rows of one block.
    distance_block_rows : int
        Rows per block of ``transform`` (distances to every centre; its output is n x k
        anyway).
    seeding_block_rows : int
        Rows per block of k-means++ on dense data.
    stream_block_rows : int
        Most rows per replica and kernel call of a streamed or distributed pass. A
        streamed pass also holds each block as a NumPy array and a tensor, and the
        allocator keeps the freed temporaries of the largest block. Measured (5,000,000 x
        16 float32 memory map, k=16, XLA, 2 loaded cores): peak anonymous memory 75 MiB
        above the process after import with blocks of 16,384 rows, 106 MiB with 65,536,
        at about the same speed.
    host_block_bytes : int
        Bytes (float64) per block of a streamed pass that runs no kernel (statistics,
        sampling): small, so that the temporaries of a block stay small.
    cached_blocks_max_bytes : int
        Dense in-memory data up to this size is converted to TensorFlow once per fit;
        larger data, memory maps and data sources a block at a time on every pass.
    completion_block_rows : int
        Rows per block when a partially given ``init`` is completed (masked distances
        to the centres).
    incremental_divisor, incremental_max_clusters : int
        Unweighted in-memory data with at most ``incremental_max_clusters`` centres (as
        the kernels see them, see :func:`padded_clusters`; 0 turns this off): once a
        pass changed at most ``n_samples // incremental_divisor`` labels, the next pass
        computes the labels only and :class:`~._passes.DataPasses` moves the float64
        sums with the rows that changed cluster. With few clusters, converting each
        block to float64 for its sums is much of a pass; with many, the distances are,
        and tracking the changes costs more than it saves. Measured on 2 cores (20
        iterations from the same start, minimum of 11 interleaved fits, with and without):
        MNIST 10,000 x 784, k=10: 0.145-0.152 s against 0.171-0.179 s; 2,000,000 x 4,
        k=16: 0.82x; china.jpg's 273,280 pixels, k=64: 0.88x; 50,000 x 2, k=8 (eager):
        0.61x; 1,000,000 x 32, k=100: 1.12-1.21x (hence the limit on k).
    fused_loop : bool
        Run Lloyd's iterations on data of one block (the problems that otherwise run
        eagerly) with at most ``FUSED_MAX_CLUSTERS`` padded centres and ``FUSED_MAX_ROWS``
        padded rows as one compiled program, the whole loop in one XLA call
        (:mod:`._fused`; tested on the CPU only). On 2 cores, 20
        iterations from the same start: the digits (1,797 x 64, k=10) 1.9 ms against 11
        ms eagerly, 50,000 x 2 (k=8) 9.2 against 34 ms, 300 x 10 (k=5) 0.43 against 2.5
        ms. But tracing and compiling the program costs about 0.5 s per process and kind
        of problem (rows rounded up to a power of two, bucket of k, features, dtype,
        weighted or not; k-means||'s reclustering of its candidates is one more),
        which only repeated fits earn back (a fresh process's first fit of 1,000 points:
        0.05 s eagerly, 0.6 s), so it is off by default; turn it on for long sweeps over
        seeds or small k. Where points are exactly as far from two centres (integer-valued
        data) the two loops may break the tie differently: XLA adds up the centres'
        squared norms in another order than NumPy's ``einsum``, which scikit-learn and the
        eager loop use. Measured by a reviewer on random integer data with values 0..4 and
        65-128 rows, k=2..8: labels other than scikit-learn's in 88 of 264 fits with 2
        features (the eager loop: 30), 189 of 399 with 5 (66), 192 of 400 with 16 (76).
    minibatch_xla_after_steps : int
        ``MiniBatchKMeans`` runs its first steps in a plain graph and switches to XLA
        after this many (dense batches of a fixed size only): XLA makes a step faster,
        but compiling takes 0.3-0.4 s once per shape, which a short fit does not earn
        back. Measured on 2 CPU cores, float32, batches of 1024: MNIST (10,000 x 784,
        k=10) 3.2-3.5 ms per step in a graph, 1.5-2.0 ms with XLA.
    """

    mode: str | None = None
    block_rows: int | None = None
    threads: int | None = None
    eager_max_work: int = 2**24
    eager_max_elements: int = 2**22
    eager_max_seeding_steps: int = 256
    block_bytes: int = 2**25
    chunk_bytes: int = 2**20
    min_block_rows: int = 256
    max_block_rows: int = 2**18
    min_chunk_rows: int = 64
    max_chunk_rows: int = 2048
    few_features: int = 4
    few_features_max_clusters: int = 64
    sparse_block_bytes: int = 2**23
    sparse_min_block_rows: int = 256
    sparse_max_block_rows: int = 2**16
    distance_block_rows: int = 4096
    seeding_block_rows: int = 2**18
    stream_block_rows: int = 2**14
    host_block_bytes: int = 2**20
    cached_blocks_max_bytes: int = 2**31
    completion_block_rows: int = 4096
    incremental_divisor: int = 8
    incremental_max_clusters: int = 64
    fused_loop: bool = False
    minibatch_xla_after_steps: int = 100

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(
                f"mode must be None, 'eager', 'graph' or 'xla', got {self.mode!r}."
            )
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name == "mode" or (value is None and field.default is None):
                continue
            if isinstance(field.default, bool):
                if not isinstance(value, (bool, np.bool_)):
                    raise ValueError(f"{field.name} must be True or False, got {value!r}.")
                object.__setattr__(self, field.name, bool(value))
                continue
            lowest = (
                0 if field.name in ("minibatch_xla_after_steps", "incremental_max_clusters")
                else 1
            )
            if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
                raise ValueError(
                    f"{field.name} must be an int >= {lowest}"
                    + (" or None" if field.default is None else "")
                    + f", got {value!r}."
                )


_settings = Settings()
_settings_lock = threading.Lock()


def get_config() -> Settings:
    """The execution settings in force."""
    return _settings


@contextlib.contextmanager
def config_context(**changes: Any) -> Iterator[Settings]:
    """Change some execution settings for the ``with`` block (the rest stay as they are).

    >>> with config_context(mode="graph", block_rows=512):
    ...     KMeans(4).fit(X)  # doctest: +SKIP

    Unknown names raise ``TypeError``, bad values ``ValueError``; the previous settings
    come back when the block ends, also on an exception.
    """
    global _settings
    unknown = sorted(set(changes) - {field.name for field in dataclasses.fields(Settings)})
    if unknown:
        raise TypeError(
            f"config_context got unknown settings {unknown}; the settings are the fields "
            "of clustering_lib.get_config()."
        )
    with _settings_lock:
        saved = _settings
        _settings = dataclasses.replace(saved, **changes)
    try:
        yield _settings
    finally:
        with _settings_lock:
            _settings = saved


# --------------------------------------------------------------------------- #
# Threads
# --------------------------------------------------------------------------- #
def thread_count() -> int:
    """Worker threads for blocks in flight (the setting, TensorFlow's intra-op, the cores)."""
    return max(
        1,
        _settings.threads
        or tf.config.threading.get_intra_op_parallelism_threads()
        or os.cpu_count()
        or 1,
    )


_pool: concurrent.futures.ThreadPoolExecutor | None = None
_pool_threads = 0


def thread_pool() -> concurrent.futures.ThreadPoolExecutor:
    """The library's one pool of worker threads, with :func:`thread_count` threads.

    It lives for the whole process; a change of the thread count replaces it (work already
    submitted to the old pool finishes there).
    """
    global _pool, _pool_threads
    threads = thread_count()
    with _settings_lock:
        if _pool is None or _pool_threads != threads:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = concurrent.futures.ThreadPoolExecutor(
                threads, thread_name_prefix="clustering_lib"
            )
            _pool_threads = threads
        return _pool


# --------------------------------------------------------------------------- #
# Compiled functions
# --------------------------------------------------------------------------- #
#: Most compiled kernels (one per block shape, dtype and options) each cache keeps alive. A
#: constant, not a setting: the caches are sized once, when the modules are imported.
KERNEL_CACHE_SIZE = 256


def kernel_cache(function: Callable) -> Callable:
    """Cache the compiled kernels ``function`` builds, at most ``KERNEL_CACHE_SIZE``
    (least recently used first out)."""
    return functools.lru_cache(maxsize=KERNEL_CACHE_SIZE)(function)


def flat_call(function: Any) -> Callable:
    """A ``tf.function`` with an ``input_signature``, called with its tensors as they are.

    Calling a ``tf.function`` binds its arguments to the signature in Python, some
    50 microseconds per argument: 0.5 ms for a block kernel's seven, which on 10,000 x
    784 points (three blocks per pass) was a fifth of a Lloyd iteration and ran under
    the interpreter lock, so the two threads waited on each other (measured on 2
    cores: a 256-row block 0.72 ms through ``tf.function``, 0.25 ms called directly; a
    4,096-row block 1.84 ms against 1.28 ms). Eagerly, the traced function is called
    through its compiled inference function, the arguments converted to the
    signature's dtypes and their shapes checked: the same program, the same results.
    Inside another ``tf.function`` (a ``tf.distribute`` step), under
    ``tf.config.run_functions_eagerly(True)`` (debugging), for outputs that are not all
    tensors, or where TensorFlow offers no direct call, ``function`` itself is called.
    Positional arguments only; no gradient is recorded (for the engine's kernels, which
    need none). Traced once, at the first call.
    """
    signature = function.input_signature
    direct = None
    outputs = None

    def converted(args: tuple) -> list:
        return [tf.convert_to_tensor(value, spec.dtype)
                for value, spec in zip(args, signature, strict=True)]

    def call(*args: Any) -> Any:
        nonlocal direct, outputs
        if not tf.executing_eagerly() or tf.config.functions_run_eagerly():
            return function(*converted(args))
        if direct is None:
            concrete = function.get_concrete_function()
            inference = getattr(concrete, "inference_fn", None)
            outputs = concrete.structured_outputs
            direct = (
                inference.call_flat
                if inference is not None and hasattr(inference, "call_flat")
                and not concrete.captured_inputs
                and all(isinstance(output, tf.Tensor) for output in tf.nest.flatten(outputs))
                else function
            )
        tensors = converted(args)
        if direct is function:
            return function(*tensors)
        for tensor, spec in zip(tensors, signature, strict=True):
            # The direct call would run (and XLA compile anew) on any shape.
            if not spec.shape.is_compatible_with(tensor.shape):
                raise ValueError(
                    f"argument of shape {tensor.shape} does not fit the signature {spec}."
                )
        return tf.nest.pack_sequence_as(outputs, direct(*tensors))

    return call


def traced_once(function: Callable, signature: list, *, jit_compile: bool) -> Callable:
    """``function`` as a ``tf.function`` with this input signature (traced once, without
    AutoGraph: the engine writes its loops with ``tf.while_loop``), called through
    :func:`flat_call`. For the engine's compiled kernels, one instance per shape and
    options; TensorFlow's retracing warning, which counts traces per code object that
    the instances share, is switched off."""
    compiled = tf.function(function, input_signature=signature, jit_compile=jit_compile,
                           autograph=False)
    compiled._omit_frequent_tracing_warning = True
    return flat_call(compiled)


#: ``KMedoids`` runs plain graphs, not XLA. Measured on a 2-core CPU, float32:
#: - the fit loop alone, from k-medoids++ medoids on blobs (10 features, 10 clusters):
#:   n=2000: graph 25 ms, XLA 13 ms; n=500: 1.8 ms against 0.6 ms. But XLA compiles
#:   again for every new number of points, and that takes 1.9 to 2.4 s.
#: - KMedoids(10).fit on the 1797 digits: graph 0.07 s, XLA 0.04 s, except 2.4 s for
#:   the first fit of each size; with n_init=10: 0.85 s against 0.27 s.
#: - check_estimator (many small shapes): graph 2.5 s, XLA 13 s.
#: XLA pays off only after dozens of fits of the same size, so the graph is kept.
KMEDOIDS_MODE = "graph"

#: ``NMF`` runs its coordinate-descent loop under XLA (one compilation per shape).
NMF_MODE = "xla"


def compiled(function: Callable, *, default: str, **options: Any) -> Callable:
    """``function`` run as the settings say: eagerly, as a graph or under XLA.

    ``default`` ("graph" or "xla") is the estimator's own choice, used while the
    setting ``mode`` is None. ``options`` go to ``tf.function`` (``input_signature``,
    ``reduce_retracing``). Each variant is built once, when first used.
    """
    if default not in ("graph", "xla"):
        raise ValueError(f"default must be 'graph' or 'xla', got {default!r}.")
    variants: dict[str, Callable] = {"eager": function}

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        mode = _settings.mode or default
        variant = variants.get(mode)
        if variant is None:
            variant = tf.function(function, jit_compile=mode == "xla", **options)
            variants[mode] = variant
        return variant(*args, **kwargs)

    return run


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
        Use the fused running-minimum kernel (XLA, at most ``few_features`` features).
    chunk_rows : int
        XLA: rows per chunk inside a block (distances, labels and sums of a chunk are
        computed while it is in the processor's cache).
    """

    mode: str
    block_rows: int
    padded_clusters: int
    few_features: bool = False
    chunk_rows: int = 0


def plan(n_samples: int, n_features: int, n_clusters: int) -> BlockPlan:
    """Choose the execution mode and block shape of a k-means pass on data of this size."""
    settings = _settings
    mode = settings.mode
    if mode is None:
        small = (
            n_samples * n_clusters * n_features <= settings.eager_max_work
            and n_samples * n_features <= settings.eager_max_elements
        )
        mode = "eager" if small else "xla"
    forced_rows = settings.block_rows
    if mode == "xla":
        padded = padded_clusters(n_clusters)
        few = _few_features(n_features, padded)
        # A power of two of rows, at most block_bytes: the largest that gives every thread
        # a block (blocks run in parallel, one per thread), or twice that when no thread
        # then handles more rows: fewer kernel calls (2,000 x 2,000 points, k=20:
        # two blocks of 1,024 rows instead of four of 512, 37.3 ms a fit against 39.3;
        # 200,000 x 64, k=1000: 4.66 s against 4.71 s; 2 cores).
        largest = _pow2_below(settings.block_bytes // (4 * n_features))
        rows = min(largest, _pow2_below(-(-n_samples // thread_count())))
        if 2 * rows <= largest and (
            _busiest_thread(n_samples, 2 * rows) <= _busiest_thread(n_samples, rows)
        ):
            rows *= 2
        rows = forced_rows or rows
        rows = min(rows, _pow2_above(n_samples))
        rows = max(rows, settings.min_chunk_rows)
        return BlockPlan("xla", rows, padded, few, _chunk_rows(n_features, padded, rows))
    if mode == "graph":
        rows = forced_rows or _pow2_below(settings.block_bytes // (4 * n_features))
    else:
        rows = forced_rows or n_samples
    return BlockPlan(mode, max(1, min(rows, n_samples)), n_clusters)


def _few_features(n_features: int, padded: int) -> bool:
    settings = _settings
    return n_features <= settings.few_features and padded <= settings.few_features_max_clusters


def _chunk_rows(n_features: int, padded: int, block_rows: int) -> int:
    """Rows of one chunk inside an XLA block: about ``chunk_bytes`` of points and scores."""
    settings = _settings
    chunk = 2 ** int(math.log2(max(settings.chunk_bytes // (4 * (n_features + padded)), 1)))
    return min(max(settings.min_chunk_rows, min(settings.max_chunk_rows, chunk)), block_rows)


def fused_plan(n_samples: int, n_features: int, n_clusters: int) -> BlockPlan:
    """The one XLA block of Lloyd's fused loop: rows rounded up to a power of two, so that
    a sweep over n compiles once per power of two, and the bucket of k."""
    padded = padded_clusters(n_clusters)
    rows = max(_settings.min_chunk_rows, _pow2_above(n_samples))
    return BlockPlan("xla", rows, padded, _few_features(n_features, padded),
                     _chunk_rows(n_features, padded, rows))


#: Lloyd's fused loop serves at most this many centres (padded, see :func:`padded_clusters`).
#: With more, the distances are most of an iteration and the eager product is as fast:
#: digits with k=100, 37 ms fused against 34 ms eagerly; 3,000 x 2 with k=1,500, 129
#: against 77 ms (2 cores).
FUSED_MAX_CLUSTERS = 64

#: ... and at most this many rows (padded to a power of two). The program runs on one
#: thread; it was measured up to 50,000 rows, and larger data that still runs eagerly
#: (up to ``eager_max_elements``) keeps the eager loop, whose products use every core.
FUSED_MAX_ROWS = 2**16


def fused_due(n_samples: int, n_clusters: int) -> bool:
    """Whether Lloyd's loop with ``n_clusters`` centres on ``n_samples`` rows of one block
    runs as one compiled program: the setting ``fused_loop``, for at most
    ``FUSED_MAX_CLUSTERS`` (padded) centres and ``FUSED_MAX_ROWS`` (padded) rows, unless
    the settings force a mode or a block size."""
    settings = _settings
    return (settings.fused_loop and settings.mode is None and settings.block_rows is None
            and padded_clusters(n_clusters) <= FUSED_MAX_CLUSTERS
            and _pow2_above(n_samples) <= FUSED_MAX_ROWS)


def sparse_block_rows(n_clusters: int) -> int:
    """Rows per block of a sparse pass: about ``sparse_block_bytes`` of float64 scores,
    a power of two."""
    settings = _settings
    rows = settings.sparse_block_bytes // (8 * max(n_clusters, 1))
    rows = 2 ** int(math.log2(max(rows, 1)))
    return max(settings.sparse_min_block_rows, min(settings.sparse_max_block_rows, rows))


def host_block_rows(n_features: int | None) -> int:
    """Rows per block of a streamed pass that runs no kernel: about ``host_block_bytes``
    in float64."""
    return max(1024, _settings.host_block_bytes // (8 * (n_features or 16)))


def _pow2_below(value: int) -> int:
    """The largest power of two at most ``value`` (within the block bounds)."""
    value = max(_settings.min_block_rows, min(_settings.max_block_rows, value))
    return 2 ** int(math.log2(value))


def _pow2_above(value: int) -> int:
    return 2 ** math.ceil(math.log2(max(value, 1)))


def _busiest_thread(n_samples: int, block_rows: int) -> int:
    """Rows the busiest thread handles when blocks of ``block_rows`` go, in order, to
    whichever thread is free first (a short last block costs its valid rows only)."""
    loads = [0] * thread_count()
    for start in range(0, n_samples, block_rows):
        heapq.heapreplace(loads, loads[0] + min(block_rows, n_samples - start))
    return max(loads)


def minibatch_xla(n_steps_done: int) -> bool:
    """Whether the next ``MiniBatchKMeans`` step compiles with XLA (a mode setting of
    "eager" or "graph" runs the steps as graphs; there is no eager step)."""
    if _settings.mode is not None:
        return _settings.mode == "xla"
    return n_steps_done >= _settings.minibatch_xla_after_steps


def seeding_mode(n_samples: int, n_clusters: int) -> str:
    """``"eager"`` or ``"graph"`` for k-means++ (a loop of a few ops per centre).

    Eager execution costs some microseconds per op and nothing else; a graph costs one
    trace per process. A loop of a few hundred small steps on data that fits one block
    is cheaper eagerly.
    """
    settings = _settings
    if settings.mode is not None:
        return "eager" if settings.mode == "eager" else "graph"
    small = (
        n_samples <= settings.seeding_block_rows
        and n_clusters <= settings.eager_max_seeding_steps
    )
    return "eager" if small else "graph"
