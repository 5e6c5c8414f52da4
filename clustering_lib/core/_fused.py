"""Lloyd's whole loop as one compiled program, for data of one block.

On small data an eager iteration is a few TensorFlow operations, and each costs tens of
microseconds however little it computes (an eager ``argmin`` over 1,797 x 10 scores
takes 0.14 ms): the digits take 0.55 ms an iteration eagerly, while scikit-learn's
whole iteration takes 0.1 ms. Here the E-step (the block kernels of :mod:`._passes`),
the M-step, scikit-learn's stopping rule and the final pass run inside one
``tf.while_loop`` compiled by XLA, so a fit is one call.

The program sees one block: the rows padded with zero-weight rows to a power of two and
the centres to the bucket of k (:func:`~._execution.fused_plan`), so it compiles once
per kind of problem. Whether a fit uses it is the settings' choice (``fused_loop``,
off by default, and at most ``FUSED_MAX_CLUSTERS`` padded centres): compiling costs about
half a second, which only repeated fits earn back. The centres' squared norms are added
up by XLA, in another order than NumPy's ``einsum`` (scikit-learn's and the eager
loop's), so a point exactly as far from two centres may join the other one.

An iteration that leaves a cluster empty hands over to Lloyd's driver before its
M-step: relocating empty clusters picks points as scikit-learn's ``argpartition`` does,
which the driver does in NumPy, and it then goes on from that iteration. Fits that
print progress, call back, scale centres to unit length or keep features fixed are
left to the driver.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import tensorflow as tf

from . import _execution as execution
from . import _kernels as kernels
from . import _passes as passes
from ._execution import BlockPlan, count_trace

__all__ = ["FusedResult", "fused_lloyd"]


class FusedResult(NamedTuple):
    """What the fused loop returns (working frame, NumPy).

    ``handed_over``: iteration ``n_iter`` left a cluster empty; ``centers`` are those
    that iteration started from and ``labels`` the previous iteration's (None before
    the first), for the driver to go on. Otherwise ``centers``, ``labels`` and
    ``inertia`` are the final ones.
    """

    centers: np.ndarray
    labels: np.ndarray | None
    inertia: float | None
    n_iter: int
    handed_over: bool


def fused_lloyd(data, centers: np.ndarray, *, max_iter: int, tol: float, spherical: bool,
                fixed_mask: np.ndarray | None, observed: bool) -> FusedResult | None:
    """Lloyd's iterations in one compiled call, or None when the driver runs them.

    ``data``: the driver's source. Only in-memory data of one eager block qualifies,
    only when the settings ask for it (:func:`~._execution.fused_due`), and never for
    spherical k-means, fixed features or an ``observed`` run (progress printed or a
    callback after every iteration). ``centers``: (k, d) in the working frame.
    """
    if (
        observed or spherical or fixed_mask is not None
        or not isinstance(data, passes.DataPasses) or data.plan.mode != "eager"
        or not execution.fused_due(data.n_samples, len(centers))
    ):
        return None
    n_clusters = len(centers)
    plan = execution.fused_plan(data.n_samples, data.n_features, n_clusters)
    program = _program(plan, data.dtype, data.n_features, data.options.weighted)
    dtype = data.dtype.as_numpy_dtype
    n = data.n_samples
    points = np.zeros((plan.block_rows, data.n_features), dtype)
    points[:n] = np.asarray(data.points, dtype)
    weights = np.zeros(plan.block_rows, dtype)
    weights[:n] = np.asarray(data.weights, dtype)
    padded = np.zeros((plan.padded_clusters, data.n_features), dtype)
    padded[:n_clusters] = centers
    # The loop's counter is int32; more iterations than that never run anyway.
    max_iter = min(max_iter, np.iinfo(np.int32).max)
    out_centers, labels, previous, inertia, n_iter, handed_over = program(
        points, weights, n, data.offset_array, padded, n_clusters, max_iter, tol
    )
    n_iter = int(n_iter)
    out_centers = out_centers.numpy()[:n_clusters]
    if bool(handed_over):
        return FusedResult(out_centers, previous.numpy()[:n] if n_iter else None, None,
                           n_iter, True)
    return FusedResult(out_centers, labels.numpy()[:n], float(inertia), n_iter, False)


@execution.kernel_cache
def _program(plan: BlockPlan, dtype: tf.DType, n_features: int, weighted: bool):
    """The compiled loop for one kind of problem (see the module's docstring)."""
    options = passes.KernelOptions(centered=True, weighted=weighted, inertia=False)
    assign = passes.block_function("assign", plan, options)
    final = passes.block_function("final", plan)
    rows, n_padded = plan.block_rows, plan.padded_clusters

    def norms_of(centers, valid):
        # +inf for padded centres and for a centre equal to an earlier one, bit for bit
        # as :func:`~._passes.repeated_rows` compares them (the first of equal centres
        # takes their points, as in every pass).
        bits = tf.bitcast(centers, tf.int64 if dtype == tf.float64 else tf.int32)
        equal = tf.reduce_all(tf.equal(bits[:, None, :], bits[None, :, :]), axis=2)
        earlier = tf.range(n_padded)[:, None] > tf.range(n_padded)[None, :]
        repeated = tf.reduce_any(equal & earlier, axis=1)
        norms = tf.reduce_sum(tf.square(centers), axis=1)
        # Made here, not captured: a function without captures is called directly.
        return tf.where(repeated | ~valid, tf.constant(np.inf, dtype), norms)

    def loop(points, weights, n_valid, offset, centers, n_clusters, max_iter, tol):
        count_trace("fused_lloyd")
        valid = tf.range(n_padded) < n_clusters
        valid_rows = tf.range(rows) < n_valid

        def body(iteration, centers, previous, converged, handed_over, strict):
            labels, sums, _ = assign(points, weights, n_valid, offset, centers,
                                     norms_of(centers, valid))
            totals = sums[:, -1]
            empty = tf.reduce_any((totals == 0.0) & valid)
            # The means as scikit-learn computes them: sum and weight rounded to the
            # data's dtype, times the reciprocal of the weight.
            reciprocal = tf.math.divide_no_nan(tf.ones([], dtype), tf.cast(totals, dtype))
            means = tf.cast(sums[:, :-1], dtype) * reciprocal[:, None]
            means = tf.where(valid[:, None], means, centers)
            strict = (iteration > 0) & ~tf.reduce_any((labels != previous) & valid_rows)
            shift = tf.reduce_sum(tf.square(tf.norm(means - centers, axis=1)))
            converged = strict | (tf.cast(shift, tf.float64) <= tol)
            return (
                tf.where(empty, iteration, iteration + 1),
                tf.where(empty, centers, means),
                tf.where(empty, previous, labels),
                converged & ~empty,
                empty,
                strict & ~empty,
            )

        start = (tf.constant(0), centers, tf.fill([rows], -1), tf.constant(False),
                 tf.constant(False), tf.constant(False))
        n_iter, centers, previous, _, handed_over, strict = tf.while_loop(
            lambda iteration, _c, _p, converged, handed_over, _s:
                (iteration < max_iter) & ~converged & ~handed_over,
            body, start,
        )
        labels, inertia = final(points, weights, n_valid, offset, centers,
                                norms_of(centers, valid))
        # Stopped on unchanged labels: as the driver and scikit-learn, report the labels
        # of that iteration (the final pass finds the same ones unless the two kernels
        # round a near-tie apart) and their inertia.
        kept = strict & tf.reduce_any((labels != previous) & valid_rows)
        labels = tf.where(kept, previous, labels)
        inertia = tf.cond(
            kept,
            lambda: kernels.residual_inertia(points - offset, weights, centers,
                                             tf.maximum(previous, 0)),
            lambda: inertia,
        )
        return centers, labels, previous, inertia, n_iter, handed_over

    signature = [
        tf.TensorSpec([rows, n_features], dtype),
        tf.TensorSpec([rows], dtype),
        tf.TensorSpec([], tf.int32),
        tf.TensorSpec([n_features], dtype),
        tf.TensorSpec([n_padded, n_features], dtype),
        tf.TensorSpec([], tf.int32),
        tf.TensorSpec([], tf.int32),
        tf.TensorSpec([], tf.float64),
    ]
    return execution.traced_once(loop, signature, jit_compile=True)
