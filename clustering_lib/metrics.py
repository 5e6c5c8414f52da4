"""Label-matching metrics for judging a clustering against known classes.

Cluster ids are arbitrary: k-means may call the digit 7 "cluster 2". The functions here
build the class-by-cluster contingency table and use it to score a clustering (purity,
unsupervised clustering accuracy) or to translate cluster ids into class labels.

Labels may be integers, strings or any other sortable values that ``np.asarray`` accepts
(lists, NumPy arrays, eager TensorFlow tensors). Only NumPy and SciPy are used.

For normalised mutual information, adjusted Rand index, homogeneity, completeness,
V-measure and silhouette scores use :mod:`sklearn.metrics` (``normalized_mutual_info_score``,
``adjusted_rand_score``, ``homogeneity_score``, ``v_measure_score``, ``silhouette_score``);
they are not reimplemented here.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import linear_sum_assignment

__all__ = [
    "cluster_accuracy",
    "evaluate_clustering",
    "contingency_matrix",
    "match_labels",
    "purity",
    "relabel",
]

_MATCH_METHODS = ("hungarian", "majority")


def _as_label_array(labels: ArrayLike, name: str) -> np.ndarray:
    """Convert ``labels`` to an array; a failed conversion is re-raised naming ``name``."""
    try:
        return np.asarray(labels)
    except (TypeError, ValueError) as error:
        message = f"{name} could not be converted to a NumPy array: {error}"
        raise type(error)(message) from error


def _validate_label_pair(
    labels_true: ArrayLike, labels_pred: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Return both label arrays after checking they are 1-D, non-empty and of equal length."""
    true_array = _as_label_array(labels_true, "labels_true")
    pred_array = _as_label_array(labels_pred, "labels_pred")
    for name, array in (("labels_true", true_array), ("labels_pred", pred_array)):
        if array.ndim != 1:
            raise ValueError(
                f"{name} must be 1-D (one label per sample), got an array of shape {array.shape}"
            )
    if true_array.shape != pred_array.shape:
        raise ValueError(
            "labels_true and labels_pred must have the same length, got shapes "
            f"{true_array.shape} and {pred_array.shape}"
        )
    if true_array.size == 0:
        raise ValueError("labels_true and labels_pred must not be empty, got shape (0,)")
    return true_array, pred_array


def _contingency_table(
    true_array: np.ndarray, pred_array: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Build the contingency table of already-validated label arrays."""
    classes, class_index = np.unique(true_array, return_inverse=True)
    clusters, cluster_index = np.unique(pred_array, return_inverse=True)
    n_classes, n_clusters = classes.size, clusters.size
    flat_cell_index = class_index.ravel() * n_clusters + cluster_index.ravel()
    counts = np.bincount(flat_cell_index, minlength=n_classes * n_clusters)
    return counts.reshape(n_classes, n_clusters), classes, clusters


def contingency_matrix(
    labels_true: ArrayLike, labels_pred: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count how many samples of each class fall into each cluster.

    Parameters
    ----------
    labels_true : array-like of shape (n_samples,)
        Ground-truth class labels (integers, strings, ...).
    labels_pred : array-like of shape (n_samples,)
        Cluster ids assigned by the clustering.

    Returns
    -------
    table : ndarray of int64, shape (n_classes, n_clusters)
        ``table[i, j]`` is the number of samples of class ``classes[i]`` in cluster
        ``clusters[j]``.
    classes : ndarray
        Sorted unique values of ``labels_true``.
    clusters : ndarray
        Sorted unique values of ``labels_pred``.
    """
    true_array, pred_array = _validate_label_pair(labels_true, labels_pred)
    return _contingency_table(true_array, pred_array)


def purity(labels_true: ArrayLike, labels_pred: ArrayLike) -> float:
    """Fraction of samples that belong to the majority class of their cluster.

    Several clusters may share one majority class, so purity never penalises splitting a
    class and reaches 1.0 when every sample is its own cluster.

    Parameters
    ----------
    labels_true, labels_pred : array-like of shape (n_samples,)
        Class labels and cluster ids.

    Returns
    -------
    float
        Purity in [0, 1].
    """
    table, _, _ = contingency_matrix(labels_true, labels_pred)
    return float(table.max(axis=0).sum() / table.sum())


def match_labels(
    labels_true: ArrayLike, labels_pred: ArrayLike, method: str = "hungarian"
) -> dict[Hashable, Hashable]:
    """Map each cluster id to the class label it best represents.

    Parameters
    ----------
    labels_true, labels_pred : array-like of shape (n_samples,)
        Class labels and cluster ids.
    method : {"hungarian", "majority"}, default "hungarian"
        ``"hungarian"`` pairs clusters with classes one-to-one so that the number of
        matched samples is maximal (``scipy.optimize.linear_sum_assignment``). With more
        clusters than classes, the clusters left unpaired map to their majority class, so
        every cluster gets a label; with fewer clusters than classes some classes are
        unused. ``"majority"`` maps each cluster to its most frequent class independently
        (ties go to the class that sorts first), so several clusters may share a class.

    Returns
    -------
    dict
        ``{cluster_id: class_label}`` for every cluster id in ``labels_pred``, with keys
        and values as Python scalars (NumPy scalars are converted with ``.item()``).

    See Also
    --------
    relabel : apply the mapping to an array of cluster ids.
    cluster_accuracy : strictly one-to-one accuracy, without the majority fallback.
    """
    if method not in _MATCH_METHODS:
        raise ValueError(f"method must be one of {_MATCH_METHODS}, got {method!r}")
    table, classes, clusters = contingency_matrix(labels_true, labels_pred)
    class_index_per_cluster = table.argmax(axis=0)
    if method == "hungarian":
        matched_classes, matched_clusters = linear_sum_assignment(table, maximize=True)
        class_index_per_cluster[matched_clusters] = matched_classes
    return dict(zip(clusters.tolist(), classes[class_index_per_cluster].tolist(), strict=True))


def relabel(labels_pred: ArrayLike, mapping: Mapping[Hashable, Hashable]) -> np.ndarray:
    """Replace every cluster id by the label that ``mapping`` assigns to it.

    Parameters
    ----------
    labels_pred : array-like
        Cluster ids, of any shape.
    mapping : Mapping
        ``{cluster_id: label}``, for example the output of :func:`match_labels`.

    Returns
    -------
    ndarray
        Array of the same shape as ``labels_pred`` holding the mapped labels.
    """
    if not isinstance(mapping, Mapping):
        raise TypeError(f"mapping must be a dict-like Mapping, got {type(mapping).__name__}")
    pred_array = _as_label_array(labels_pred, "labels_pred")
    cluster_ids, cluster_index = np.unique(pred_array, return_inverse=True)
    cluster_id_list = cluster_ids.tolist()
    missing_ids = [cluster_id for cluster_id in cluster_id_list if cluster_id not in mapping]
    if missing_ids:
        raise ValueError(
            f"labels_pred contains cluster id(s) {missing_ids} that are missing from mapping "
            f"(mapping keys: {sorted(mapping, key=repr)})"
        )
    if not cluster_id_list:
        return np.asarray(list(mapping.values()))[:0].reshape(pred_array.shape)
    mapped_values = np.asarray([mapping[cluster_id] for cluster_id in cluster_id_list])
    return mapped_values[cluster_index.ravel()].reshape(pred_array.shape)


def cluster_accuracy(labels_true: ArrayLike, labels_pred: ArrayLike) -> float:
    """Unsupervised clustering accuracy: accuracy under the best one-to-one matching.

    This is the "ACC" of the DEC and IDEC papers: clusters and classes are paired
    one-to-one (Hungarian algorithm) to maximise the number of correctly labelled
    samples. The matching is strict: with more clusters than classes, the clusters that
    get no class count as wrong. This differs from :func:`match_labels`, which maps such
    leftover clusters to their majority class.

    Parameters
    ----------
    labels_true, labels_pred : array-like of shape (n_samples,)
        Class labels and cluster ids.

    Returns
    -------
    float
        Accuracy in [0, 1].
    """
    table, _, _ = contingency_matrix(labels_true, labels_pred)
    matched_classes, matched_clusters = linear_sum_assignment(table, maximize=True)
    return float(table[matched_classes, matched_clusters].sum() / table.sum())


def evaluate_clustering(labels_true: ArrayLike, labels_pred: ArrayLike) -> dict[str, float]:
    """The four scores the notebooks report for a clustering against known classes.

    Returns a dict with ``purity``, ``accuracy`` (one-to-one Hungarian, see
    :func:`cluster_accuracy`), ``nmi`` (normalised mutual information) and ``ari``
    (adjusted Rand index); the last two come from :mod:`sklearn.metrics`.
    """
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    true_array, pred_array = _validate_label_pair(labels_true, labels_pred)
    return {
        "purity": purity(true_array, pred_array),
        "accuracy": cluster_accuracy(true_array, pred_array),
        "nmi": float(normalized_mutual_info_score(true_array, pred_array)),
        "ari": float(adjusted_rand_score(true_array, pred_array)),
    }
