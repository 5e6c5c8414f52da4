"""Running the per-block kernels on every replica of a ``tf.distribute`` strategy.

The designs this follows: faiss's ``DatasetAssign`` (each shard answers "labels and
per-centroid sums for my rows", the driver adds the answers up) and cuML's multi-GPU
k-means (local sums and counts, one all-reduce per iteration, centroids replicated).
Here the shards are the replicas of a strategy:

* the host reads one *group* of rows at a time and splits it into one chunk per
  replica (``chunk_rows`` rows each, the last ones padded with weight-zero rows, so an
  XLA kernel always sees the same shape);
* ``strategy.run`` calls the compiled block kernel of :mod:`._passes` on each replica,
  inside an outer ``tf.function`` that also adds the float64 sums into a per-replica
  accumulator;
* after the pass, ``strategy.reduce(SUM)`` adds the accumulators up, once: one
  all-reduce per pass. TensorFlow's collectives have no XLA kernels, so ``jit_compile``
  is only ever set on the per-replica kernel, never on the outer function.

The centres are passed to every call as ordinary tensors, so every replica holds the
same copy. Labels and per-row distances come back to the host per chunk; with several
workers they are exchanged once per pass (``strategy.gather``), so every worker sees
the same labels and takes the same decisions. Without a strategy the same code runs
on TensorFlow's default strategy: one replica, the current device.
"""

from __future__ import annotations

import collections
import concurrent.futures
import functools
import math
import weakref
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import tensorflow as tf

from . import _execution as execution
from . import _passes as passes
from ._execution import BlockPlan

__all__ = ["Chunk", "Group", "ReplicaRunner", "check_strategy_devices"]


class Chunk(NamedTuple):
    """One replica's share of a group: ``rows`` (chunk_rows, d), padded with zeros."""

    replica: int  # replica id in the sync group
    start: int  # global index of the chunk's first row
    n_valid: int  # rows before the padding
    rows: np.ndarray  # (chunk_rows, d), the data's dtype, not centred
    weights: np.ndarray  # (chunk_rows,), zero on the padding


class Group(NamedTuple):
    """One group of consecutive rows, split into one chunk per local replica."""

    start: int
    n_rows: int
    chunks: list[Chunk]  # local replicas only, in replica order


def check_strategy_devices(strategy: tf.distribute.Strategy) -> None:
    """Raise a ValueError if ``strategy`` names a local device this process does not have.

    TensorFlow places ops on a missing device silently elsewhere (soft placement), so a
    ``MirroredStrategy(["/cpu:0", "/cpu:1"])`` in a process with one CPU device would
    run both replicas on one device without a word.
    """
    try:
        devices = strategy.extended.worker_devices
    except RuntimeError:  # the default strategy: the current device
        return
    available = {
        (spec.device_type, spec.device_index)
        for spec in (tf.DeviceSpec.from_string(d.name) for d in tf.config.list_logical_devices())
    }
    missing = []
    for name in devices:
        spec = tf.DeviceSpec.from_string(name)
        if (spec.device_type, spec.device_index) not in available:
            missing.append(name)
    if missing:
        have = sorted(f"{kind}:{index}" for kind, index in available)
        raise ValueError(
            f"strategy names device(s) {missing} that this process does not have (it has "
            f"{have}). Create logical devices first (tf.config.set_logical_device_configuration, "
            "before TensorFlow initialises its devices) or pass devices that exist."
        )


# One outer function per strategy and kernel; dropped with the strategy.
_STEPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class ReplicaRunner:
    """Per-block kernels on every replica of ``strategy`` (default: the current device).

    Parameters
    ----------
    strategy : tf.distribute.Strategy or None
        MirroredStrategy, MultiWorkerMirroredStrategy, OneDeviceStrategy, ...; None
        uses TensorFlow's default strategy (one replica).
    """

    def __init__(self, strategy: tf.distribute.Strategy | None = None) -> None:
        self.strategy = strategy if strategy is not None else tf.distribute.get_strategy()
        check_strategy_devices(self.strategy)
        self.n_replicas = int(self.strategy.num_replicas_in_sync)
        ids = self.strategy.experimental_distribute_values_from_function(
            lambda context: tf.constant(context.replica_id_in_sync_group)
        )
        self.local_replicas = [int(i) for i in self.strategy.experimental_local_results(ids)]
        #: Whether other processes (workers) hold some of the replicas.
        self.multi_worker = len(self.local_replicas) < self.n_replicas
        #: The worker that prints progress (the one with replica 0).
        self.is_chief = 0 in self.local_replicas

    # ------------------------------------------------------------------ #
    # Splitting the rows
    # ------------------------------------------------------------------ #
    @staticmethod
    def chunk_rows(plan: BlockPlan, n_samples: int, n_replicas: int) -> int:
        """Rows per replica and kernel call: the plan's block (eager: all rows, split)."""
        if plan.mode == "eager":
            return max(1, math.ceil(n_samples / n_replicas))
        return plan.block_rows

    def split(self, start: int, rows: np.ndarray, weights: np.ndarray | None,
              chunk_rows: int) -> Group:
        """The chunks of this worker's replicas in a group of ``len(rows)`` rows."""
        chunks = []
        n_rows = len(rows)
        for replica in self.local_replicas:
            begin = min(replica * chunk_rows, n_rows)
            end = min(begin + chunk_rows, n_rows)
            part = rows[begin:end]
            part_weights = (
                np.ones(end - begin, rows.dtype) if weights is None
                else np.asarray(weights[begin:end], rows.dtype)
            )
            pad = chunk_rows - (end - begin)
            if pad:
                part = np.concatenate([part, np.zeros((pad, rows.shape[1]), rows.dtype)])
                part_weights = np.concatenate([part_weights, np.zeros(pad, rows.dtype)])
            chunks.append(Chunk(replica, start + begin, end - begin, part, part_weights))
        return Group(start, n_rows, chunks)

    def distribute(self, values: Sequence[np.ndarray] | Sequence[tf.Tensor]) -> Any:
        """A per-replica value from one array per local replica (in replica order)."""
        by_replica = dict(zip(self.local_replicas, values, strict=True))
        return self.strategy.experimental_distribute_values_from_function(
            lambda context: tf.convert_to_tensor(by_replica[context.replica_id_in_sync_group])
        )

    def distribute_group(self, group: Group) -> tuple[Any, Any]:
        """The group's rows and weights as per-replica tensors."""
        return (
            self.distribute([chunk.rows for chunk in group.chunks]),
            self.distribute([chunk.weights for chunk in group.chunks]),
        )

    def zeros(self, shape: Sequence[int], dtype: tf.DType = tf.float64) -> Any:
        """A per-replica accumulator of zeros."""
        return self.strategy.experimental_distribute_values_from_function(
            lambda context: tf.zeros(shape, dtype)
        )

    # ------------------------------------------------------------------ #
    # Results back to the host
    # ------------------------------------------------------------------ #
    def local(self, value: Any) -> list[np.ndarray]:
        """The local replicas' parts of a per-replica value, as NumPy arrays."""
        return [part.numpy() for part in self.strategy.experimental_local_results(value)]

    def reduce_sum(self, value: Any) -> np.ndarray:
        """The sum over all replicas (and workers) of a per-replica value: one all-reduce."""
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None).numpy()

    def sum_host(self, arrays: Sequence[np.ndarray]) -> np.ndarray:
        """The sum over all replicas of host arrays, one per local replica."""
        if not self.multi_worker:
            return functools.reduce(np.add, arrays)
        return self.reduce_sum(self.distribute([np.asarray(a) for a in arrays]))

    def gather(self, arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Equal-shaped host arrays, one per local replica -> one per replica, all workers."""
        if not self.multi_worker:
            return list(arrays)
        gathered = self.strategy.gather(self.distribute(list(arrays)), axis=0).numpy()
        return list(np.split(gathered, self.n_replicas))

    # ------------------------------------------------------------------ #
    # Passes
    # ------------------------------------------------------------------ #
    def run_pass(self, name: str, plan: BlockPlan, dtype: tf.DType, n_features: int,
                 options: passes.KernelOptions, groups, constants: Sequence[tf.Tensor],
                 visit) -> list[np.ndarray]:
        """Run kernel ``name`` on every chunk of ``groups``; return the reduced sums.

        ``constants`` are ``(offset, centers, center_norms)``. For every group, in
        order, ``visit(group, outputs)`` gets the per-row outputs of each local
        replica's chunk as NumPy arrays (``"assign"`` and ``"final"``: labels;
        ``"label"``: labels and squared distances), cut to the chunk's valid rows.
        Returns what is added up over all rows, reduced over replicas and workers:
        ``"assign"``: ``[sums (k, d + 1), inertia]``; ``"final"``: ``[inertia]``;
        ``"label"``: ``[]``.
        """
        kernel = passes.block_kernel(name, plan, dtype, n_features, options)
        if self.is_default:
            return _run_here(kernel, name, groups, constants, visit, plan.padded_clusters,
                             n_features)
        key = (name, plan, dtype, n_features, options)
        steps = _STEPS.setdefault(self.strategy, {})
        if key not in steps:
            steps[key] = _outer_step(self.strategy, name, kernel)
        step = steps[key]
        sums = self.zeros([plan.padded_clusters, n_features + 1])
        inertia = self.zeros([])
        for group in groups:
            points, weights = self.distribute_group(group)
            n_valid = self.distribute([np.int32(c.n_valid) for c in group.chunks])
            if name == "assign":
                labels, sums, inertia = step(points, weights, n_valid, *constants, sums, inertia)
                outputs = [self.local(labels)]
            elif name == "final":
                labels, inertia = step(points, weights, n_valid, *constants, inertia)
                outputs = [self.local(labels)]
            else:
                outputs = [self.local(value) for value in step(points, n_valid, *constants)]
            visit(group, *[_valid(values, group) for values in outputs])
        if name == "assign":
            return [self.reduce_sum(sums), self.reduce_sum(inertia)]
        return [self.reduce_sum(inertia)] if name == "final" else []

    @property
    def is_default(self) -> bool:
        """Whether this is TensorFlow's default strategy (one replica, no distribution)."""
        return self.strategy is tf.distribute.get_strategy() and not tf.distribute.has_strategy()


def _valid(values: list[np.ndarray], group: Group) -> list[np.ndarray]:
    return [value[: chunk.n_valid] for value, chunk in zip(values, group.chunks, strict=True)]


def _run_here(kernel, name, groups, constants, visit, padded_clusters, n_features):
    """:meth:`ReplicaRunner.run_pass` on the current device, several blocks at a time;
    results are taken (and sums added) in block order, so they do not depend on the
    number of threads.

    XLA kernels run on one thread each, so (as the in-memory passes do) one block per
    thread TensorFlow may use (its intra-op setting, or the cores) is in flight.
    """
    threads = execution.thread_count()

    def call(chunk):
        outputs = kernel(chunk.rows, chunk.weights, tf.constant(chunk.n_valid, tf.int32),
                         *constants) if name != "label" else kernel(
            chunk.rows, tf.constant(chunk.n_valid, tf.int32), *constants)
        return [np.asarray(value) if np.ndim(value) else float(value) for value in outputs]

    sums = np.zeros((padded_clusters, n_features + 1))
    inertia = 0.0

    def take(group, future):
        nonlocal sums, inertia
        outputs = future.result()
        n = group.chunks[0].n_valid
        if name == "assign":
            sums = sums + outputs[1]
            inertia += outputs[2]
            visit(group, [outputs[0][:n]])
        elif name == "final":
            inertia += outputs[1]
            visit(group, [outputs[0][:n]])
        else:
            visit(group, [outputs[0][:n]], [outputs[1][:n]])

    pending: collections.deque = collections.deque()
    pool = execution.thread_pool()
    try:
        for group in groups:
            pending.append((group, pool.submit(call, group.chunks[0])))
            if len(pending) > threads:
                take(*pending.popleft())
        while pending:
            take(*pending.popleft())
    finally:  # on an error, let the blocks in flight finish before the data goes
        concurrent.futures.wait([future for _, future in pending])
    if name == "assign":
        return [sums, inertia]
    return [inertia] if name == "final" else []


def _outer_step(strategy: tf.distribute.Strategy, name: str, kernel):
    """``strategy.run`` of ``kernel`` inside one (not XLA-compiled) ``tf.function``.

    The kernel is wrapped in a plain function: ``strategy.run`` would hand a
    ``tf.function`` the per-replica values themselves.
    """
    if name == "assign":
        def replica_step(points, weights, n_valid, offset, centers, norms, sums, inertia):
            labels, block_sums, block_inertia = kernel(
                points, weights, n_valid, offset, centers, norms
            )
            return labels, sums + block_sums, inertia + block_inertia

        def outer(points, weights, n_valid, offset, centers, norms, sums, inertia):
            return strategy.run(replica_step, args=(points, weights, n_valid, offset, centers,
                                                    norms, sums, inertia))
    elif name == "final":
        def replica_step(points, weights, n_valid, offset, centers, norms, inertia):
            labels, block_inertia = kernel(points, weights, n_valid, offset, centers, norms)
            return labels, inertia + block_inertia

        def outer(points, weights, n_valid, offset, centers, norms, inertia):
            return strategy.run(replica_step, args=(points, weights, n_valid, offset, centers,
                                                    norms, inertia))
    elif name == "label":
        def replica_step(points, n_valid, offset, centers, norms):
            return kernel(points, n_valid, offset, centers, norms)

        def outer(points, n_valid, offset, centers, norms):
            return strategy.run(replica_step, args=(points, n_valid, offset, centers, norms))
    else:
        raise ValueError(f"unknown kernel {name!r}")
    return tf.function(outer, reduce_retracing=True)
