"""Input checks for the core functions: arrays and tensors in, clear errors out.

The public functions of :mod:`clustering_lib.core` call these once, eagerly, so a
mistake raises a readable ``ValueError``/``TypeError`` naming the argument instead of a
TensorFlow shape error deep inside a graph. The kernels assume checked input.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import scipy.sparse as sp
import tensorflow as tf

__all__ = [
    "FLOAT_DTYPES",
    "as_float_tensor",
    "check_n_clusters",
    "check_random_state",
    "check_same_features",
    "feature_variances",
    "sample_weight_tensor",
    "scale_to_unit_length",
    "unit_length_rows",
]

FLOAT_DTYPES = (tf.float32, tf.float64)


def as_float_tensor(
    values: Any, name: str, dtype: tf.DType | None = None, ndim: int | None = 2
) -> tf.Tensor:
    """Convert ``values`` to a float tensor, checking rank, emptiness and finiteness.

    Parameters
    ----------
    values : array-like or tf.Tensor
        The data. Integer and boolean data become float32; float64 stays float64
        unless ``dtype`` says otherwise.
    name : str
        The argument's name, used in error messages.
    dtype : tf.DType, optional
        Force this float dtype.
    ndim : int or None, default=2
        Required number of dimensions, or None to accept any.

    Returns
    -------
    tf.Tensor
    """
    if isinstance(values, tf.Tensor | tf.Variable):
        tensor = tf.convert_to_tensor(values)
        if not (tensor.dtype.is_floating or tensor.dtype.is_integer or tensor.dtype == tf.bool):
            raise TypeError(f"{name} must hold numbers, got a tensor of dtype {tensor.dtype.name}.")
    else:
        array = np.asarray(values)
        if array.dtype.kind not in "biuf":
            raise TypeError(
                f"{name} must hold real numbers, got an array of dtype {array.dtype} "
                "(strings, objects or complex numbers are not accepted)."
            )
        tensor = tf.convert_to_tensor(array)
    target = dtype or (tensor.dtype if tensor.dtype in FLOAT_DTYPES else tf.float32)
    if target not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got {target!r}.")
    tensor = tf.cast(tensor, target)
    if ndim is not None and tensor.shape.rank != ndim:
        raise ValueError(
            f"{name} must be a {ndim}-D array, got {tensor.shape.rank}-D with shape "
            f"{tuple(tensor.shape)}."
        )
    if tensor.shape.num_elements() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(tensor.shape)}).")
    if not bool(tf.reduce_all(tf.math.is_finite(tensor))):
        raise ValueError(f"{name} contains NaN or infinity.")
    return tensor


def check_same_features(points: tf.Tensor, centroids: tf.Tensor) -> None:
    """Raise a ValueError unless both have the same number of columns."""
    if points.shape[1] != centroids.shape[1]:
        raise ValueError(
            f"points have {points.shape[1]} features but centroids have "
            f"{centroids.shape[1]}; they must match."
        )


def check_n_clusters(n_clusters: Any, n_samples: int | None = None) -> int:
    """``n_clusters`` as an int >= 1 (and <= ``n_samples`` when given)."""
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, numbers.Integral):
        raise TypeError(f"n_clusters must be an integer, got {n_clusters!r}.")
    if n_clusters < 1:
        raise ValueError(f"n_clusters must be at least 1, got {n_clusters}.")
    if n_samples is not None and n_clusters > n_samples:
        raise ValueError(f"n_samples={n_samples} should be >= n_clusters={n_clusters}.")
    return int(n_clusters)


def sample_weight_tensor(sample_weight: Any, n_samples: int, dtype: tf.DType) -> tf.Tensor:
    """Checked non-negative weights (all ones for None), one per point."""
    if sample_weight is None:
        return tf.ones([n_samples], dtype=dtype)
    weights = as_float_tensor(sample_weight, "sample_weight", dtype=dtype, ndim=1)
    if weights.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has {weights.shape[0]} entries but there are {n_samples} points."
        )
    if bool(tf.reduce_any(weights < 0)):
        raise ValueError("sample_weight must be non-negative.")
    if not bool(tf.reduce_any(weights > 0)):
        raise ValueError("sample_weight must have at least one positive entry.")
    return weights


def check_random_state(random_state: Any) -> np.random.RandomState:
    """scikit-learn's ``check_random_state``: None, an int or a RandomState."""
    from sklearn.utils import check_random_state as sklearn_check_random_state

    return sklearn_check_random_state(random_state)


def unit_length_rows(X: Any, first_row: int | None = None) -> Any:
    """The rows of ``X`` (an array or a sparse matrix) scaled to unit length, as a new
    array (``metric='cosine'``); a row of zeros has no direction: a ``ValueError``.

    ``first_row``: the position of ``X``'s first row in the whole data, when ``X`` is one
    block of it (the message then names the first zero row).
    """
    if sp.issparse(X):
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    else:
        norms = np.linalg.norm(X, axis=1)
    zero = np.flatnonzero(norms == 0)
    if len(zero):
        where = "" if first_row is None else f" (the first is row {first_row + int(zero[0])})"
        raise ValueError(
            f"X has {len(zero)} row(s) of zero length{where}; metric='cosine' needs every "
            "row to have a direction."
        )
    if sp.issparse(X):
        from sklearn.preprocessing import normalize

        return normalize(X)
    return scale_to_unit_length(X, norms=norms[:, None])


def feature_variances(X: Any) -> np.ndarray:
    """The (unweighted) variance of every column of dense or sparse ``X``, as ``np.var``."""
    if sp.issparse(X):
        from sklearn.utils.sparsefuncs import mean_variance_axis

        return mean_variance_axis(X, axis=0)[1]
    return np.var(X, axis=0)


def scale_to_unit_length(rows: np.ndarray, fallback: np.ndarray | None = None,
                         norms: np.ndarray | None = None) -> np.ndarray:
    """The rows of a dense array scaled to unit length, as a new array; a zero row
    becomes its ``fallback`` row (without one, the rows must have no zero row): the
    library's one scaling (data of ``metric='cosine'``, k-medoids' too, and the host
    M-step of spherical k-means). ``norms``: the rows' lengths, shape (n, 1), if known."""
    if norms is None:
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
    if fallback is None:
        return rows / norms
    return np.where(norms > 0, rows / np.where(norms > 0, norms, 1), fallback)
