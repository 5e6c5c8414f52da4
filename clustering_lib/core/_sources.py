"""Every kind of input, turned into a source in one place: :func:`as_source`.

The estimators take data of five kinds, and this is the only module that tells them
apart by type:

==========================  =====================  =========  ========  ==============
``X``                       source                 in memory  by index  ``streamed``
==========================  =====================  =========  ========  ==============
ndarray, tensor, list, ...  :class:`ArraySource`   yes        yes       with strategy
scipy.sparse, SparseTensor  :class:`SparseSource`  yes        yes       never
``np.memmap``               :class:`MemmapSource`  no         yes       always
``tf.data.Dataset``         :class:`DatasetSource` no         no        always
==========================  =====================  =========  ========  ==============

The estimators ask a source what they need to know, never the type of ``X``:

* ``in_memory``: the whole data may be read at once (checked by scikit-learn's
  ``validate_data``, measured with NumPy, seeded with the in-memory k-means++);
* ``random_access``: rows can be read by index (mini-batches drawn at random,
  k-means++ on a memory map); a Dataset is read batch after batch;
* ``streamed``: a fit reads it in passes, block by block (:mod:`._streaming`), on
  the replicas of ``strategy`` when one is given (:mod:`._distributed`).

What the passes read is a source's :meth:`Source.rows` (row blocks, checked as they
are read) or, for checked in-memory data, :func:`lloyd_passes`: the
:class:`~._passes.DataSource` that Lloyd's driver (:func:`~._lloyd.lloyd_on`) runs on
(:class:`~._passes.DataPasses` for dense blocks, :class:`~._sparse.SparsePasses` for CSR
rows, :class:`~._streaming.StreamedPasses` for the passes of a streamed fit).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np
import scipy.sparse
import tensorflow as tf

from . import _execution as execution
from ._passes import DataPasses, DataSource, built_plan
from ._progress import PassProgress
from ._sparse import SparsePasses, SparseRows, as_sparse_rows
from ._streaming import ArrayRows, DatasetRows, DataSummary, summarize
from ._validation import feature_variances, unit_length_rows

__all__ = [
    "ArraySource",
    "DatasetSource",
    "MemmapSource",
    "Source",
    "SparseSource",
    "as_points",
    "as_source",
    "is_sparse_points",
    "lloyd_passes",
    "rows_as_array",
]

SPARSE_WITH_STRATEGY = (
    "strategy is not supported for sparse X; fit it without a strategy (the sparse "
    "engine reads it row block by row block)."
)


class Source:
    """One input, as given, with what the estimators need to know about it.

    Attributes
    ----------
    data : the input as given (not copied, not converted)
    sample_weight : array-like of shape (n_samples,) or None
        As given; checked by the reader (:meth:`rows`) or by the estimator.
    strategy : tf.distribute.Strategy or None
    name : str
        The argument's name in error messages.
    """

    kind: ClassVar[str]
    #: The whole data may be read at once.
    in_memory: ClassVar[bool] = True
    #: Rows can be read by index.
    random_access: ClassVar[bool] = True
    #: The engine measures it centred on its mean (sparse data is never centred).
    centered: ClassVar[bool] = True

    def __init__(self, data: Any, sample_weight: Any = None, strategy: Any = None,
                 name: str = "X") -> None:
        self.data = data
        self.sample_weight = sample_weight
        self.strategy = strategy
        self.name = name

    @property
    def streamed(self) -> bool:
        """Whether a fit reads this source in passes (out of memory, or on replicas)."""
        return self.strategy is not None or not self.in_memory

    def rows(self, unit_rows: bool = False) -> ArrayRows | DatasetRows:
        """A reader of the rows in blocks, checked as they are read (see
        :class:`~._streaming.ArrayRows`); ``unit_rows`` scales every row to unit length."""
        return ArrayRows(self.data, self.sample_weight, name=self.name, unit_rows=unit_rows)

    def host_data(self) -> Any:
        """The data as scikit-learn's validation takes it (NumPy or SciPy objects, read
        whole): an ndarray or array-like, a sparse matrix or a memory map as given."""
        return self.data

    def summarize(self, rows: ArrayRows | DatasetRows,
                  progress: PassProgress | None = None) -> DataSummary:
        """Size, float64 column means and variances, and the checks: one pass over
        ``rows`` (see :func:`~._streaming.summarize`)."""
        return summarize(rows, progress)

    def __repr__(self) -> str:
        strategy = "" if self.strategy is None else f", strategy={type(self.strategy).__name__}"
        return f"{type(self).__name__}({self.name}: {type(self.data).__name__}{strategy})"


class ArraySource(Source):
    """A dense array in memory: an ndarray, a tensor or any array-like."""

    kind = "dense"

    def host_data(self) -> Any:
        """A tensor as an ndarray; any other array-like as given."""
        data = self.data
        return data.numpy() if isinstance(data, tf.Tensor | tf.Variable) else data

    def summarize(self, rows: ArrayRows | DatasetRows,
                  progress: PassProgress | None = None) -> DataSummary:
        """The in-memory fit's own NumPy statistics (its mean and ``np.var``, so that a
        fit with a strategy stops at the same iteration as the fit without); no pass."""
        points = in_memory_points(rows)
        if not np.isfinite(points).all():
            raise ValueError(f"Input {self.name} contains NaN or infinity.")
        weights = in_memory_weights(rows)
        if (weights < 0).any():
            raise ValueError("Negative values in data passed to sample_weight")
        if not (weights > 0).any():
            raise ValueError("Sample weights must contain at least one non-zero number.")
        return DataSummary(len(points), points.shape[1], rows.dtype, points.mean(axis=0),
                           feature_variances(points), float(weights.sum()))


class SparseSource(Source):
    """A sparse matrix in memory: any ``scipy.sparse`` format or a ``tf.SparseTensor``."""

    kind = "sparse"
    centered = False

    def host_data(self) -> Any:
        """A ``tf.SparseTensor`` as a CSR matrix; a scipy.sparse matrix as given."""
        data = self.data
        if not isinstance(data, tf.SparseTensor):
            return data
        rows, columns = data.indices.numpy().T
        return scipy.sparse.csr_matrix((data.values.numpy(), (rows, columns)),
                                       shape=tuple(data.dense_shape.numpy()))


class MemmapSource(Source):
    """A NumPy memory map: read block by block, rows by index."""

    kind = "memmap"
    in_memory = False


class DatasetSource(Source):
    """A ``tf.data.Dataset`` of row batches (batch, n_features): read batch after batch."""

    kind = "dataset"
    in_memory = False
    random_access = False

    def host_data(self) -> Any:
        """Refused: a Dataset is read batch after batch, never whole (TypeError)."""
        raise TypeError(
            f"{self.name} must be held in memory here (an array, a tensor or a sparse "
            "matrix), not a tf.data.Dataset."
        )

    def rows(self, unit_rows: bool = False) -> DatasetRows:
        """A reader of the batches, re-cut into blocks (see :class:`~._streaming.DatasetRows`)."""
        return DatasetRows(self.data, name=self.name, unit_rows=unit_rows)

    def batches(self, n_features: int, dtype: Any, *, unit_rows: bool = False,
                expected_by: str = "the model") -> Iterator[np.ndarray]:
        """One pass: blocks of rows as arrays of ``dtype`` (unit rows with
        ``unit_rows``), each checked to have ``n_features`` columns (a ValueError in
        scikit-learn's words otherwise, naming ``expected_by``)."""
        reader = self.rows(unit_rows=unit_rows)
        for _, rows, _ in reader.blocks(execution.host_block_rows(n_features)):
            if rows.shape[1] != n_features:
                raise ValueError(
                    f"{self.name} has {rows.shape[1]} features, but {expected_by} is "
                    f"expecting {n_features} features as input."
                )
            yield rows.astype(dtype, copy=False)


def as_source(X: Any, sample_weight: Any = None, *, strategy: Any = None,
              name: str = "X") -> Source:
    """The source of ``X``: the one place where the kind of the input is decided.

    Parameters
    ----------
    X : array-like, tensor, scipy.sparse matrix, tf.SparseTensor, np.memmap or \
            tf.data.Dataset of shape (n_samples, n_features)
        Not copied or converted here: the source reads it when asked.
    sample_weight : array-like of shape (n_samples,), optional
        Not supported with a Dataset.
    strategy : tf.distribute.Strategy, optional
        Run the passes over ``X`` on its replicas (not for sparse data).
    name : str, default="X"
        The argument's name in error messages.

    Returns
    -------
    Source
        :class:`ArraySource`, :class:`SparseSource`, :class:`MemmapSource` or
        :class:`DatasetSource`.

    Raises
    ------
    TypeError
        If ``X`` is not data (None, a string, a mapping, a set, a scalar) or
        ``strategy`` is not a ``tf.distribute.Strategy``.
    ValueError
        If ``sample_weight`` comes with a Dataset, or ``strategy`` with sparse data.
    """
    if strategy is not None and not isinstance(strategy, tf.distribute.Strategy):
        raise TypeError(
            f"strategy must be a tf.distribute.Strategy or None, got {type(strategy).__name__}."
        )
    if isinstance(X, tf.data.Dataset):
        if sample_weight is not None:
            raise ValueError(
                f"sample_weight is not supported when {name} is a tf.data.Dataset."
            )
        return DatasetSource(X, None, strategy, name)
    if scipy.sparse.issparse(X) or isinstance(X, tf.SparseTensor | SparseRows):
        if strategy is not None:
            raise ValueError(SPARSE_WITH_STRATEGY.replace("sparse X", f"sparse {name}"))
        return SparseSource(X, sample_weight, strategy, name)
    if isinstance(X, np.memmap):
        return MemmapSource(X, sample_weight, strategy, name)
    if X is None or isinstance(X, str | bytes | Mapping | set | frozenset | int | float | complex):
        raise TypeError(
            f"{name} must be an array-like, a sparse matrix, a tensor, a NumPy memory map or "
            f"a tf.data.Dataset of shape (n_samples, n_features), got {type(X).__name__}."
        )
    return ArraySource(X, sample_weight, strategy, name)


# --------------------------------------------------------------------------- #
# Checked in-memory points (after the estimators' validation)
# --------------------------------------------------------------------------- #
def is_sparse_points(points: Any) -> bool:
    """Whether checked points are sparse rows (a scipy.sparse matrix or :class:`SparseRows`)."""
    return scipy.sparse.issparse(points) or isinstance(points, SparseRows)


def as_points(points: Any) -> Any:
    """Checked points as the compiled kernels take them: a tensor, or :class:`SparseRows`."""
    return as_sparse_rows(points) if is_sparse_points(points) else tf.constant(points)


def rows_as_array(points: Any, indices: Any) -> np.ndarray:
    """The rows ``indices`` of checked points (an array, memory map or sparse matrix) as
    a new dense ndarray."""
    rows = points[indices]
    return rows.toarray() if scipy.sparse.issparse(rows) else np.array(rows)


def lloyd_passes(points: Any, weights: Any, offset: Any, n_clusters: int,
                 reuse_kernels: bool = False) -> DataSource:
    """The :class:`~._passes.DataSource` of checked in-memory points for Lloyd's driver.

    ``points``: a float ndarray or tensor (read in dense blocks, ``offset`` subtracted
    from each) or CSR rows (never centred, never densified); ``weights`` (n,);
    ``n_clusters`` sets the block shape. ``reuse_kernels``: for a final pass only
    (``predict``, ``score``), in blocks of a size whose kernel a fit has compiled, if
    any, whatever the number of points.
    """
    if is_sparse_points(points):
        return SparsePasses(points, weights, n_clusters)
    n_samples, n_features = points.shape
    plan = execution.plan(n_samples, n_features, n_clusters)
    if reuse_kernels:
        plan = built_plan(plan, tf.as_dtype(points.dtype), n_features)
    return DataPasses(points, weights, offset, plan)


def in_memory_points(rows: ArrayRows) -> np.ndarray:
    """The points of an in-memory reader, as one array in its dtype (unit rows for
    cosine)."""
    points = np.asarray(rows.points, rows.dtype)
    if rows.unit_rows:
        points = unit_length_rows(points)
    return points


def in_memory_weights(rows: ArrayRows) -> np.ndarray:
    """The weights of an in-memory reader in its dtype (ones when none are given)."""
    weights = rows.weights
    return (np.ones(rows.n_samples, rows.dtype) if weights is None
            else np.asarray(weights, rows.dtype))
