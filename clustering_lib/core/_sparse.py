"""k-means on sparse CSR data: the E-step passes over blocks of rows, for core's driver.

A scipy.sparse CSR matrix (``csr_matrix`` or ``csr_array``; other formats are converted)
becomes three tensors once, :class:`SparseRows`: the row boundaries (``row_splits``,
int64), the column of every stored value (``columns``, int64) and the values. Every pass
walks the rows in blocks of ``block_rows`` inside one compiled ``tf.function`` (a
``tf.while_loop`` over the blocks); a block becomes a ``tf.SparseTensor``, so memory is
O(block x k + nnz) and the data is never densified. All dimensions are ``None`` in the
input signatures, so each pass is traced once per dtype, whatever the numbers of points,
features and clusters; no XLA.

Lloyd's algorithm is core's driver (:func:`._lloyd.lloyd_on`) on a :class:`SparsePasses`,
so the M-step, scikit-learn's relocation of empty clusters, the placement of clusters
left empty and the stopping rule are the dense engine's. The passes follow
scikit-learn's sparse Lloyd loop, with no centring of the data:

* nearest centre: the smallest ``||c||^2 - 2 x.c`` (one ``sparse_dense_matmul``);
* squared distance to the chosen centre, from the differences on the stored values:
  ``||c||^2 + sum_j((x_j - c_j)^2 - c_j^2)`` over the stored ``j``, in float64;
* per-cluster sums of ``w x``: one segment sum of the stored values, in float64.

k-means++ is the engine's (:func:`._seeding.greedy_plusplus`) with :class:`PlusPlusRows`
measuring the distances in float64, so the same ``RandomState`` chooses the same rows as
scikit-learn does on the same data (barring exact ties).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
import tensorflow as tf

from . import _execution as execution
from ._execution import count_trace
from ._passes import AssignmentPass, farthest_positions, repeated_rows

__all__ = [
    "PlusPlusRows",
    "SparsePasses",
    "SparseRows",
    "as_sparse_rows",
    "center_distances",
    "cluster_sums",
    "nearest_centers",
    "row_block",
    "rows_as_dense",
]

class SparseRows(NamedTuple):
    """A CSR matrix as tensors: row ``i`` holds ``values[row_splits[i]:row_splits[i + 1]]``
    in the columns ``columns[row_splits[i]:row_splits[i + 1]]``."""

    row_splits: tf.Tensor  # (n + 1,) int64
    columns: tf.Tensor  # (nnz,) int64
    values: tf.Tensor  # (nnz,) float32 or float64
    n_features: tf.Tensor  # () int64

    @property
    def n_samples(self) -> int:
        return int(self.row_splits.shape[0]) - 1

    @property
    def dtype(self) -> tf.DType:
        return self.values.dtype


def as_sparse_rows(points: Any, dtype: Any = None) -> SparseRows:
    """Convert a scipy.sparse matrix (any format; CSR is not copied) to :class:`SparseRows`.

    Duplicate entries are summed first, so that every (row, column) is stored once.
    """
    if isinstance(points, SparseRows):
        return points
    matrix = sp.csr_matrix(points) if points.format != "csr" else points
    if not matrix.has_canonical_format:
        matrix = matrix.copy()
        matrix.sum_duplicates()
    dtype = np.dtype(dtype or matrix.dtype)
    return SparseRows(
        tf.constant(matrix.indptr.astype(np.int64, copy=False)),
        tf.constant(matrix.indices.astype(np.int64, copy=False)),
        tf.constant(matrix.data.astype(dtype, copy=False)),
        tf.constant(matrix.shape[1], tf.int64),
    )


# --------------------------------------------------------------------------- #
# Block helpers (TensorFlow ops, used inside the compiled passes)
# --------------------------------------------------------------------------- #
def row_block(rows: SparseRows, start, stop):
    """The rows ``[start, stop)``: ``(row_ids, columns, values)`` of their stored values,
    with ``row_ids`` counted from ``start``."""
    begin, end = rows.row_splits[start], rows.row_splits[stop]
    splits = rows.row_splits[start : stop + 1] - begin
    row_ids = tf.ragged.row_splits_to_segment_ids(splits, out_type=tf.int64)
    return row_ids, rows.columns[begin:end], rows.values[begin:end]


def _as_sparse_tensor(row_ids, columns, values, n_rows, n_features) -> tf.SparseTensor:
    indices = tf.stack([row_ids, columns], axis=1)
    return tf.SparseTensor(indices, values, tf.stack([n_rows, n_features]))


def block_products(row_ids, columns, values, n_rows, n_features, matrix):
    """``X_block @ matrix.T`` for a block of sparse rows and a dense (m, d) ``matrix``."""
    block = _as_sparse_tensor(row_ids, columns, values, n_rows, n_features)
    return tf.sparse.sparse_dense_matmul(block, matrix, adjoint_b=True)


def block_nearest(row_ids, columns, values, n_rows, n_features, centers, center_norms):
    """Nearest centre of each row of a block and the squared distance to it (float64).

    The label minimises ``||c||^2 - 2 x.c`` in the data's dtype (as scikit-learn does);
    the distance to that centre is then computed from the differences on the stored
    values, in float64: ``||c||^2 + sum_j ((x_j - c_j)^2 - c_j^2)``.
    """
    scores = center_norms[None, :] - 2.0 * block_products(
        row_ids, columns, values, n_rows, n_features, centers
    )
    labels = tf.argmin(scores, axis=1, output_type=tf.int32)
    distances = _distances_to(row_ids, columns, values, n_rows, n_features, centers, labels)
    return labels, distances


def _distances_to(row_ids, columns, values, n_rows, n_features, centers, labels):
    """Squared distance (float64) of each row of a block to the centre ``labels[row]``."""
    centers64 = tf.cast(centers, tf.float64)
    flat = tf.reshape(centers64, [-1])
    index = tf.cast(tf.gather(labels, row_ids), tf.int64) * n_features + columns
    center_values = tf.gather(flat, index)
    terms = tf.square(tf.cast(values, tf.float64) - center_values) - tf.square(center_values)
    stored = tf.math.unsorted_segment_sum(terms, row_ids, n_rows)
    norms = tf.gather(tf.reduce_sum(tf.square(centers64), axis=1), labels)
    return tf.maximum(norms + stored, 0.0)


def block_sums(row_ids, columns, values, weights, labels, n_clusters, n_features):
    """Per-cluster sums of ``w x`` (float64, flattened to (k * d,)) and of ``w`` for a block."""
    nz_weights = tf.cast(tf.gather(weights, row_ids), tf.float64)
    index = tf.cast(tf.gather(labels, row_ids), tf.int64) * n_features + columns
    sums = tf.math.unsorted_segment_sum(
        tf.cast(values, tf.float64) * nz_weights, index, tf.cast(n_clusters, tf.int64) * n_features
    )
    totals = tf.math.unsorted_segment_sum(tf.cast(weights, tf.float64), labels, n_clusters)
    return sums, totals


def rows_as_dense(rows: SparseRows, indices, dtype=None):
    """The rows ``indices`` of ``rows`` as a dense (len(indices), d) tensor."""
    ragged_values = tf.RaggedTensor.from_row_splits(rows.values, rows.row_splits, validate=False)
    ragged_columns = tf.RaggedTensor.from_row_splits(rows.columns, rows.row_splits, validate=False)
    values = tf.gather(ragged_values, indices)
    columns = tf.gather(ragged_columns, indices)
    positions = tf.stack(
        [tf.cast(values.value_rowids(), tf.int64), columns.flat_values], axis=1
    )
    shape = tf.stack([tf.shape(indices, out_type=tf.int64)[0], rows.n_features])
    dense = tf.scatter_nd(positions, values.flat_values, shape)
    return dense if dtype is None else tf.cast(dense, dtype)


# --------------------------------------------------------------------------- #
# Compiled passes
# --------------------------------------------------------------------------- #
def _n_blocks(n_samples, block_rows):
    return (n_samples + block_rows - 1) // block_rows


def _assign_pass(rows: SparseRows, weights, centers, block_rows, with_sums):
    """Labels, squared distances (float64), per-cluster sums, totals and inertia."""
    n_samples = tf.shape(rows.row_splits, out_type=tf.int64)[0] - 1
    n_clusters = tf.shape(centers)[0]
    center_norms = tf.reduce_sum(tf.square(centers), axis=1)
    n_blocks = _n_blocks(n_samples, block_rows)
    size = (tf.cast(n_clusters, tf.int64) * rows.n_features if with_sums
            else tf.constant(0, tf.int64))

    def body(block, labels_out, distances_out, sums, totals, inertia):
        start = block * block_rows
        stop = tf.minimum(start + block_rows, n_samples)
        row_ids, columns, values = row_block(rows, start, stop)
        labels, distances = block_nearest(
            row_ids, columns, values, stop - start, rows.n_features, centers, center_norms
        )
        block_weights = weights[start:stop]
        if with_sums:
            block_sum, block_total = block_sums(
                row_ids, columns, values, block_weights, labels, n_clusters, rows.n_features
            )
            sums, totals = sums + block_sum, totals + block_total
        inertia = inertia + tf.reduce_sum(tf.cast(block_weights, tf.float64) * distances)
        return (
            block + 1,
            labels_out.write(tf.cast(block, tf.int32), labels),
            distances_out.write(tf.cast(block, tf.int32), distances),
            sums,
            totals,
            inertia,
        )

    start = (
        tf.constant(0, tf.int64),
        tf.TensorArray(tf.int32, size=tf.cast(n_blocks, tf.int32), infer_shape=False,
                       element_shape=tf.TensorShape([None])),
        tf.TensorArray(tf.float64, size=tf.cast(n_blocks, tf.int32), infer_shape=False,
                       element_shape=tf.TensorShape([None])),
        tf.zeros([size], tf.float64),
        tf.zeros([n_clusters if with_sums else 0], tf.float64),
        tf.constant(0.0, tf.float64),
    )
    _, labels, distances, sums, totals, inertia = tf.while_loop(
        lambda block, *_: block < n_blocks, body, start
    )
    return labels.concat(), distances.concat(), sums, totals, inertia


def _assign_with_sums(rows, weights, centers, block_rows):
    """The E-step pass of Lloyd's algorithm: labels, distances, sums, totals, inertia."""
    count_trace("sparse_assign")
    return _assign_pass(rows, weights, centers, block_rows, with_sums=True)


def _final_pass(rows, weights, centers, block_rows):
    count_trace("sparse_final")
    labels, distances, _, _, inertia = _assign_pass(
        rows, weights, centers, block_rows, with_sums=False
    )
    return labels, distances, inertia


def _rows_spec(dtype):
    return SparseRows(
        tf.TensorSpec([None], tf.int64),
        tf.TensorSpec([None], tf.int64),
        tf.TensorSpec([None], dtype),
        tf.TensorSpec([], tf.int64),
    )


@execution.kernel_cache
def _compiled(name: str, dtype: tf.DType):
    """The compiled pass ``name`` for data of ``dtype``: traced once, for every shape."""
    rows = _rows_spec(dtype)
    vector = tf.TensorSpec([None], dtype)
    matrix = tf.TensorSpec([None, None], dtype)
    scalar = tf.TensorSpec([], tf.int64)
    if name == "assign":
        signature = [rows, vector, matrix, scalar]
        function = _assign_with_sums
    elif name == "final":
        signature = [rows, vector, matrix, scalar]
        function = _final_pass
    elif name == "distances":
        signature = [rows, matrix, scalar]
        function = _distance_pass
    elif name == "sums":
        signature = [rows, vector, tf.TensorSpec([None], tf.int32), tf.TensorSpec([], tf.int32),
                     scalar]
        function = _sums_pass
    elif name == "kmeans_plusplus":
        signature = [rows, vector, tf.TensorSpec([None], tf.float64),
                     tf.TensorSpec([None], tf.int64), scalar]
        function = _plusplus_distances
    else:  # pragma: no cover - programming error
        raise KeyError(name)
    return tf.function(function, input_signature=signature)


# --------------------------------------------------------------------------- #
# Distances of every point to every centre
# --------------------------------------------------------------------------- #
def _distance_pass(rows: SparseRows, centers, block_rows):
    """Squared distances (n, k) in float64; a point equal to a centre gets exactly 0.

    The expanded form ``||x||^2 - 2 x.c + ||c||^2`` is used where it is accurate; pairs
    where it cancels (the distance is tiny against the norms) are recomputed from the
    differences on the stored values, plus the centre's coordinates outside them, which
    are taken as exactly zero when the centre has no nonzero coordinate there.
    """
    count_trace("sparse_distances")
    n_samples = tf.shape(rows.row_splits, out_type=tf.int64)[0] - 1
    centers = tf.cast(centers, tf.float64)
    center_norms = tf.reduce_sum(tf.square(centers), axis=1)
    center_nonzeros = tf.reduce_sum(tf.cast(tf.not_equal(centers, 0.0), tf.float64), axis=1)
    flat = tf.reshape(centers, [-1])
    n_blocks = _n_blocks(n_samples, block_rows)

    def body(block, out):
        start = block * block_rows
        stop = tf.minimum(start + block_rows, n_samples)
        n_rows = stop - start
        row_ids, columns, values = row_block(rows, start, stop)
        values = tf.cast(values, tf.float64)
        point_norms = tf.math.unsorted_segment_sum(tf.square(values), row_ids, n_rows)
        cross = block_products(row_ids, columns, values, n_rows, rows.n_features, centers)
        squared = point_norms[:, None] - 2.0 * cross + center_norms[None, :]
        doubtful = tf.where(squared <= 1e-8 * (point_norms[:, None] + center_norms[None, :]))
        squared = tf.tensor_scatter_nd_update(
            squared, doubtful, _exact_pairs(row_ids, columns, values, n_rows, doubtful)
        )
        return block + 1, out.write(tf.cast(block, tf.int32), tf.maximum(squared, 0.0))

    def _exact_pairs(row_ids, columns, values, n_rows, pairs):
        # Stored values of each doubtful pair's row, against that pair's centre.
        splits = tf.concat(
            [[0], tf.cumsum(tf.math.bincount(row_ids, minlength=n_rows, dtype=tf.int64))], 0
        )
        ragged_values = tf.RaggedTensor.from_row_splits(values, splits, validate=False)
        ragged_columns = tf.RaggedTensor.from_row_splits(columns, splits, validate=False)
        pair_values = tf.gather(ragged_values, pairs[:, 0])
        pair_columns = tf.gather(ragged_columns, pairs[:, 0])
        owner = pair_values.value_rowids()
        center = tf.gather(pairs[:, 1], owner)
        center_values = tf.gather(flat, center * rows.n_features + pair_columns.flat_values)
        n_pairs = tf.shape(pairs, out_type=tf.int64)[0]
        stored = tf.math.unsorted_segment_sum(
            tf.square(pair_values.flat_values - center_values), owner, n_pairs
        )
        covered = tf.math.unsorted_segment_sum(tf.square(center_values), owner, n_pairs)
        covered_nonzeros = tf.math.unsorted_segment_sum(
            tf.cast(tf.not_equal(center_values, 0.0), tf.float64), owner, n_pairs
        )
        rest = tf.where(
            tf.gather(center_nonzeros, pairs[:, 1]) > covered_nonzeros,
            tf.maximum(tf.gather(center_norms, pairs[:, 1]) - covered, 0.0),
            0.0,
        )
        return stored + rest

    out = tf.TensorArray(tf.float64, size=tf.cast(n_blocks, tf.int32), infer_shape=False,
                         element_shape=tf.TensorShape([None, None]))
    _, out = tf.while_loop(lambda block, _: block < n_blocks, body,
                           (tf.constant(0, tf.int64), out))
    return tf.reshape(out.concat(), [n_samples, tf.shape(centers)[0]])


def _sums_pass(rows: SparseRows, weights, labels, n_clusters, block_rows):
    count_trace("sparse_sums")
    n_samples = tf.shape(rows.row_splits, out_type=tf.int64)[0] - 1
    n_blocks = _n_blocks(n_samples, block_rows)

    def body(block, sums, totals):
        start = block * block_rows
        stop = tf.minimum(start + block_rows, n_samples)
        row_ids, columns, values = row_block(rows, start, stop)
        block_sum, block_total = block_sums(
            row_ids, columns, values, weights[start:stop], labels[start:stop], n_clusters,
            rows.n_features,
        )
        return block + 1, sums + block_sum, totals + block_total

    start = (
        tf.constant(0, tf.int64),
        tf.zeros([tf.cast(n_clusters, tf.int64) * rows.n_features], tf.float64),
        tf.zeros([n_clusters], tf.float64),
    )
    _, sums, totals = tf.while_loop(lambda block, *_: block < n_blocks, body, start)
    return tf.reshape(sums, [n_clusters, -1]), totals


# --------------------------------------------------------------------------- #
# k-means++
# --------------------------------------------------------------------------- #
def _plusplus_distances(rows: SparseRows, weights, closest, candidates, block_rows):
    """k-means++'s scores of the candidate rows: every point's squared distance to the
    nearest of the centres so far and each candidate, (t, n) float64, and its weighted
    sums (t,) (the potential each candidate would leave)."""
    count_trace("sparse_kmeans_plusplus")
    n_samples = tf.shape(rows.row_splits, out_type=tf.int64)[0] - 1
    values64 = tf.cast(rows.values, tf.float64)
    rows64 = SparseRows(rows.row_splits, rows.columns, values64, rows.n_features)
    point_norms = tf.math.unsorted_segment_sum(
        tf.square(values64),
        tf.ragged.row_splits_to_segment_ids(rows.row_splits, out_type=tf.int64),
        n_samples,
    )
    dense = rows_as_dense(rows64, candidates)
    norms = tf.reduce_sum(tf.square(dense), axis=1)
    n_blocks = _n_blocks(n_samples, block_rows)

    def body(block, out):
        start = block * block_rows
        stop = tf.minimum(start + block_rows, n_samples)
        row_ids, columns, values = row_block(rows64, start, stop)
        cross = block_products(row_ids, columns, values, stop - start, rows.n_features, dense)
        squared = point_norms[start:stop][:, None] - 2.0 * cross + norms[None, :]
        return block + 1, out.write(tf.cast(block, tf.int32), tf.maximum(squared, 0.0))

    out = tf.TensorArray(tf.float64, size=tf.cast(n_blocks, tf.int32), infer_shape=False,
                         element_shape=tf.TensorShape([None, None]))
    _, out = tf.while_loop(lambda block, _: block < n_blocks, body,
                           (tf.constant(0, tf.int64), out))
    distances = tf.minimum(tf.transpose(out.concat()), closest[None, :])
    return distances, tf.linalg.matvec(distances, tf.cast(weights, tf.float64))


# --------------------------------------------------------------------------- #
# Public functions (checked input: scipy CSR or SparseRows, float tensors)
# --------------------------------------------------------------------------- #
def _rows_and_weights(points, weights):
    rows = as_sparse_rows(points)
    weights = tf.cast(tf.convert_to_tensor(weights), rows.dtype)
    return rows, weights


def nearest_centers(points: Any, centers: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Nearest centre of every row (int32) and the squared distance to it (float64)."""
    rows = as_sparse_rows(points)
    centers = tf.cast(centers, rows.dtype)
    weights = tf.zeros([rows.n_samples], rows.dtype)
    block = tf.constant(execution.sparse_block_rows(int(centers.shape[0])), tf.int64)
    labels, distances, _ = _compiled("final", rows.dtype)(rows, weights, centers, block)
    return labels, distances


def center_distances(points: Any, centers: tf.Tensor, squared: bool = False) -> tf.Tensor:
    """(n, k) Euclidean distances in float64 (squared with ``squared=True``); exactly 0
    for a row equal to a centre."""
    rows = as_sparse_rows(points)
    block = tf.constant(execution.sparse_block_rows(int(centers.shape[0])), tf.int64)
    distances = _compiled("distances", rows.dtype)(rows, tf.cast(centers, rows.dtype), block)
    return distances if squared else tf.sqrt(distances)


def cluster_sums(
    points: Any, weights: Any, labels: Any, n_clusters: int
) -> tuple[tf.Tensor, tf.Tensor]:
    """Per-cluster sums of ``w x`` (float64, (k, d)) and of ``w`` (float64, (k,))."""
    rows, weights = _rows_and_weights(points, weights)
    block = tf.constant(execution.sparse_block_rows(n_clusters), tf.int64)
    labels = tf.cast(tf.convert_to_tensor(labels), tf.int32)
    return _compiled("sums", rows.dtype)(rows, weights, labels, tf.constant(n_clusters), block)


class PlusPlusRows:
    """CSR rows as k-means++'s scorer (:class:`~._seeding.PlusPlusScorer`): the
    candidates' distances to every point in blocks of rows, in float64, never densified
    beyond the candidates themselves."""

    def __init__(self, points: Any, weights: Any) -> None:
        self.rows, self.weights = _rows_and_weights(points, weights)
        self.weights64 = self.weights.numpy().astype(np.float64)

    def score(
        self, candidates: np.ndarray, closest: np.ndarray
    ) -> tuple[np.ndarray, Any]:
        block = tf.constant(execution.sparse_block_rows(len(candidates)), tf.int64)
        distances, potentials = _compiled("kmeans_plusplus", self.rows.dtype)(
            self.rows, self.weights, tf.constant(closest, tf.float64),
            tf.constant(candidates, tf.int64), block,
        )
        return potentials.numpy(), distances.numpy().__getitem__

    def start(self, first: int) -> tuple[np.ndarray, float]:
        potentials, closest_of = self.score(np.array([first]), np.full(self.rows.n_samples,
                                                                         np.inf))
        return closest_of(0), potentials[0]


def _first_of_equal_centers(centers: np.ndarray) -> np.ndarray:
    """Indices of the centres that do not repeat an earlier one: the passes run on
    those only, so every point goes to the first of equal centres (see
    :func:`~._passes.repeated_rows`)."""
    repeated = repeated_rows(centers)
    return np.arange(len(centers)) if repeated is None else np.flatnonzero(~repeated)


class SparsePasses:
    """CSR rows as a :class:`~._passes.DataSource`: Lloyd's driver (:func:`._lloyd.lloyd_on`)
    runs on it exactly as on dense data (same M-step, relocation, placement of empty
    clusters and stopping rule); only the passes differ. Sparse data is not centred.

    Parameters
    ----------
    points : scipy.sparse matrix or SparseRows
    weights : array-like of shape (n,)
    n_clusters : int
        Sets the rows per block (``block_rows_for``).
    """

    def __init__(self, points: Any, weights: Any, n_clusters: int) -> None:
        self.rows, self.weights = _rows_and_weights(points, weights)
        self.dtype = self.rows.dtype
        self.n_samples = self.rows.n_samples
        self.n_features = int(self.rows.n_features)
        self.offset_array = np.zeros(self.n_features, self.dtype.as_numpy_dtype)
        self.block = tf.constant(execution.sparse_block_rows(n_clusters), tf.int64)

    def assign(self, centers: np.ndarray, with_inertia: bool = False) -> AssignmentPass:
        kept = _first_of_equal_centers(centers)
        labels, distances, sums, totals, inertia = _compiled("assign", self.dtype)(
            self.rows, self.weights, tf.constant(centers[kept], self.dtype), self.block
        )
        labels = kept[labels.numpy()]
        all_sums = np.zeros((len(centers), self.n_features), np.float64)
        all_totals = np.zeros(len(centers), np.float64)
        all_sums[kept] = sums.numpy().reshape(len(kept), -1)
        all_totals[kept] = totals.numpy()
        return AssignmentPass(labels, all_sums, all_totals, float(inertia), distances.numpy())

    def final(self, centers: np.ndarray) -> tuple[np.ndarray, float]:
        kept = _first_of_equal_centers(centers)
        labels, _, inertia = _compiled("final", self.dtype)(
            self.rows, self.weights, tf.constant(centers[kept], self.dtype), self.block
        )
        return kept[labels.numpy()], float(inertia)

    def inertia_of(self, centers: np.ndarray, labels: np.ndarray) -> float:
        """``sum w ||x - c_label||^2`` for labels given: ``||c||^2 + sum (v^2 - 2 v c_col)``
        over each row's stored values, in float64."""
        centers = tf.constant(centers, tf.float64)
        labels = tf.constant(labels, tf.int64)
        row_of_value = tf.ragged.row_splits_to_segment_ids(self.rows.row_splits)
        values = tf.cast(self.rows.values, tf.float64)
        center_values = tf.gather_nd(
            centers, tf.stack([tf.gather(labels, row_of_value), self.rows.columns], axis=1)
        )
        per_row = tf.math.unsorted_segment_sum(
            values * (values - 2.0 * center_values), row_of_value, self.n_samples
        ) + tf.reduce_sum(tf.square(tf.gather(centers, labels)), axis=1)
        return float(tf.tensordot(tf.cast(self.weights, tf.float64), per_row, 1))

    def farthest_points(
        self, centers: np.ndarray, assignment: AssignmentPass, count: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        labels, distances = assignment.labels, assignment.distances
        if distances.max() == 0.0:
            return None
        farthest = farthest_positions(distances, count)
        rows = rows_as_dense(self.rows, tf.constant(farthest, tf.int64), tf.float64).numpy()
        weights = np.asarray(tf.gather(self.weights, farthest), np.float64)
        return rows, weights, labels[farthest]
