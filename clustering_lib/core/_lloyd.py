"""Lloyd's algorithm: the iteration driver over the block passes of :mod:`._passes`.

Each iteration is one pass over the data (labels, float64 per-cluster sums and
inertia, block by block), then the M-step on the k x d sums: empty clusters are
relocated as scikit-learn does, centres become the means, and the stopping rule is
scikit-learn's (labels unchanged, or the squared centre shift summed over clusters at
most ``tol``). The loop over iterations is Python: an iteration costs one call of a
compiled kernel per block plus a handful of small ops on k x d tensors, and it can
print progress or call back between iterations. Small data may instead run the whole
loop in one compiled call (:mod:`._fused`, with the setting ``fused_loop``), which
hands an iteration that empties a cluster back to this loop.

The data is never copied as a whole: a NumPy array (or memory map) is read block by
block, and the centring that keeps the expanded distance formula accurate is applied
to each block as it is read (``offset``).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import tensorflow as tf

from . import _fused as fused
from . import _passes as passes
from . import _sources as sources
from ._progress import verbose_printer
from ._validation import (
    as_float_tensor,
    check_n_clusters,
    check_same_features,
    sample_weight_tensor,
    scale_to_unit_length,
)

__all__ = ["IterationInfo", "LloydResult", "lloyd", "lloyd_on", "run_lloyd"]


class LloydResult(NamedTuple):
    """``(centers, labels, inertia, n_iter)`` returned by :func:`lloyd`."""

    centers: tf.Tensor
    labels: tf.Tensor
    inertia: tf.Tensor
    n_iter: int


class IterationInfo(NamedTuple):
    """What a callback of :func:`run_lloyd` learns after each iteration.

    ``inertia`` is that of the iteration's labels against the centres they were
    assigned to (scikit-learn's verbose output prints the same); ``center_shift`` the
    squared shift of the centres summed over clusters; ``n_changed`` how many labels
    changed; ``converged`` is None, ``"strict"`` or ``"tol"``.
    """

    iteration: int
    inertia: float
    center_shift: float
    n_changed: int
    converged: str | None
    centers: np.ndarray


def _relocate_empty_clusters(data, centers, assignment, sums, totals):
    """scikit-learn's relocation, on the float64 k x d sums (in place).

    The j-th empty cluster (in index order) takes the j-th point farthest from its
    centre, measured from the differences, and that point leaves its old cluster.
    Nothing is relocated when every point sits on its centre.
    """
    empty = np.flatnonzero(totals == 0.0)
    farthest = data.farthest_points(centers, assignment, len(empty))
    if farthest is None:
        return
    donors, weights, origins = farthest
    weighted = donors * weights[:, None]
    # The donors' clusters had weight, so none of them is among the empty ones.
    np.subtract.at(sums, origins, weighted)
    np.subtract.at(totals, origins, weights)
    sums[empty] = weighted
    totals[empty] = weights


def _average_centers(sums: np.ndarray, totals: np.ndarray, dtype) -> np.ndarray:
    """The centres from the sums, in the data's dtype, as scikit-learn computes them.

    A cluster of positive weight gets its mean (the sum times the reciprocal of its
    weight, both rounded to the data's dtype first). A cluster still without weight
    is placed as scikit-learn 1.9 places it: it copies, in index order, the row of
    the heaviest cluster, which is that cluster's mean when it comes first and its
    (not yet divided) sum otherwise.
    """
    sums, totals = sums.astype(dtype), totals.astype(dtype)
    positive = totals > 0
    reciprocal = np.divide(dtype.type(1.0), totals, out=np.zeros_like(totals), where=positive)
    centers = np.where(positive[:, None], sums * reciprocal[:, None], sums)
    heaviest = int(np.argmax(totals))
    after = np.arange(len(totals)) > heaviest
    copied = np.where(after[:, None], centers[heaviest], sums[heaviest])
    return np.where(positive[:, None], centers, copied)


def _m_step(data, centers, assignment, spherical, fixed_mask):
    """New centres (NumPy, data's dtype) from one assignment pass."""
    sums, totals = assignment.sums.copy(), assignment.totals.copy()
    if np.any(totals == 0.0):
        _relocate_empty_clusters(data, centers, assignment, sums, totals)
    new_centers = _average_centers(sums, totals, centers.dtype)
    if spherical:
        new_centers = scale_to_unit_length(new_centers, centers)
    if fixed_mask is not None:
        new_centers[:, fixed_mask] = centers[:, fixed_mask]
    return new_centers


def run_lloyd(
    points: Any,
    weights: Any,
    centers: Any,
    *,
    max_iter: int,
    tol: float,
    offset: Any = None,
    spherical: bool = False,
    fixed_mask: Any = None,
    verbose: int = 0,
    callback: Callable[[IterationInfo], None] | None = None,
) -> LloydResult:
    """Lloyd's algorithm on checked input (see :func:`lloyd` for the checks).

    Parameters
    ----------
    points : float ndarray, tf.Tensor or CSR matrix of shape (n_samples, n_features)
        Read block by block, never copied as a whole (the Lloyd source of
        :func:`~._sources.lloyd_passes`).
    weights : float ndarray or tf.Tensor of shape (n_samples,)
        Non-negative, same dtype as ``points``.
    centers : array-like of shape (n_clusters, n_features)
        Initial centres, in the frame of ``points``.
    max_iter : int
    tol : float
        Absolute tolerance on the squared centre shift summed over clusters.
    offset : array-like of shape (n_features,), optional
        Subtracted from every block before the arithmetic (the data's mean, as
        scikit-learn centres its data); results are returned in the frame of
        ``points``. Distances do not change; rounding does, for the better. Not
        used for sparse data, which is never centred.
    spherical : bool, default=False
        Scale updated centres back to unit length (spherical k-means).
    fixed_mask : boolean array-like of shape (n_features,), optional
        Columns on which every centre keeps its initial coordinates.
    verbose : int, default=0
        Print scikit-learn's per-iteration lines.
    callback : callable, optional
        Called with an :class:`IterationInfo` after every iteration.

    Returns
    -------
    LloydResult
    """
    data = sources.lloyd_passes(points, weights, offset, len(centers))
    # In the source's working frame (sparse data is not centred: its offset is zero).
    centers = np.asarray(centers, data.offset_array.dtype) - data.offset_array
    if fixed_mask is not None:
        fixed_mask = np.asarray(fixed_mask, dtype=bool)
        if not fixed_mask.any():
            fixed_mask = None
    return lloyd_on(
        data, centers, max_iter=max_iter, tol=tol, spherical=spherical,
        fixed_mask=fixed_mask, verbose=verbose, callback=callback,
    )


def lloyd_on(
    data: passes.DataSource,
    centers: np.ndarray,
    *,
    max_iter: int,
    tol: float,
    spherical: bool = False,
    fixed_mask: np.ndarray | None = None,
    verbose: int = 0,
    callback: Callable[[IterationInfo], None] | None = None,
) -> LloydResult:
    """Lloyd's iterations over any :class:`~._passes.DataSource` (arrays, streams, devices).

    ``centers`` are in the source's working frame (``data.offset`` already
    subtracted); the result is in the data's frame.
    """
    offset = data.offset_array
    listeners = [callback] if callback is not None else []
    if verbose:
        listeners.insert(0, verbose_printer(tol))

    labels_old = None
    n_iter = 0
    fused_result = fused.fused_lloyd(
        data, centers, max_iter=max_iter, tol=tol, spherical=spherical,
        fixed_mask=fixed_mask, observed=bool(listeners),
    )
    if fused_result is not None:
        centers, n_iter = fused_result.centers, fused_result.n_iter
    if fused_result is not None and not fused_result.handed_over:
        labels, inertia = fused_result.labels, fused_result.inertia
    else:
        if fused_result is not None:  # an empty cluster to relocate: go on from there
            labels_old = fused_result.labels
        centers, labels_old, n_iter, strict = _iterate(
            data, centers, labels_old, n_iter, max_iter=max_iter, tol=tol,
            spherical=spherical, fixed_mask=fixed_mask, listeners=listeners,
        )
        labels, inertia = data.final(centers)
        if strict and not np.array_equal(labels, labels_old):
            # Stopped on unchanged labels right after an empty cluster was relocated: as
            # scikit-learn, report the iteration's labels, and the inertia of those labels.
            labels = labels_old
            inertia = data.inertia_of(centers, labels)
    return LloydResult(
        tf.constant(centers + offset), tf.constant(labels), tf.constant(inertia, tf.float64),
        n_iter,
    )


def _iterate(data, centers, labels_old, n_iter, *, max_iter, tol, spherical, fixed_mask,
             listeners):
    """Lloyd's iterations ``n_iter`` to ``max_iter - 1`` (or until scikit-learn's rule
    stops them). Returns the centres, the last labels, the iterations done and whether
    the last one left every label unchanged."""
    offset = data.offset_array
    strict = False
    for iteration in range(n_iter, max_iter):
        assignment = data.assign(centers, with_inertia=bool(listeners))
        new_centers = _m_step(data, centers, assignment, spherical, fixed_mask)
        n_changed = (
            data.n_samples if labels_old is None
            else int(np.count_nonzero(assignment.labels != labels_old))
        )
        strict = n_changed == 0
        # As scikit-learn computes it (each centre's shift, squared, in the data's
        # dtype), so that both stop at the same iteration.
        shift = float(np.sum(np.linalg.norm(new_centers - centers, axis=1) ** 2))
        converged = "strict" if strict else ("tol" if shift <= tol else None)
        centers = new_centers
        labels_old = assignment.labels
        n_iter = iteration + 1
        for listener in listeners:
            listener(IterationInfo(iteration, assignment.inertia, shift, n_changed,
                                   converged, centers + offset))
        if converged:
            break
    return centers, labels_old, n_iter, strict


def lloyd(
    points: Any,
    initial_centers: Any,
    max_iter: int = 300,
    tol: float = 0.0,
    sample_weight: Any = None,
    spherical: bool = False,
    verbose: int = 0,
) -> LloydResult:
    """Run Lloyd's algorithm from given centres.

    Parameters
    ----------
    points : array-like of shape (n_samples, n_features)
    initial_centers : array-like of shape (n_clusters, n_features)
    max_iter : int, default=300
    tol : float, default=0.0
        Absolute tolerance on the squared centre shift summed over clusters (the
        :class:`KMeans` estimator scales its relative ``tol`` into this).
    sample_weight : array-like of shape (n_samples,), optional
    spherical : bool, default=False
        Scale every updated centre back to unit length (spherical k-means). Meant
        for unit-length points, where the nearest centre is the most cosine-similar.
    verbose : int, default=0
        Print the inertia of every iteration, as scikit-learn's ``verbose=1`` does.

    Returns
    -------
    LloydResult
        ``(centers, labels, inertia, n_iter)``, also available as attributes.
    """
    points = as_float_tensor(points, "points")
    centers = as_float_tensor(initial_centers, "initial_centers", dtype=points.dtype)
    check_same_features(points, centers)
    check_n_clusters(centers.shape[0], points.shape[0])
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}.")
    if (
        isinstance(tol, bool)
        or not isinstance(tol, numbers.Real)
        or not np.isfinite(tol)
        or tol < 0
    ):
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}.")
    weights = sample_weight_tensor(sample_weight, points.shape[0], points.dtype)
    # Centred block by block, as scikit-learn centres its data: distances do not change
    # and the expanded formula loses less precision. Spherical k-means stays on the sphere.
    offset = None if spherical else tf.reduce_mean(points, axis=0).numpy()
    return run_lloyd(
        points, weights, centers, max_iter=int(max_iter), tol=float(tol), offset=offset,
        spherical=bool(spherical), verbose=verbose,
    )
