"""The distances k-means can cluster by (``KMeans(metric=...)``): Euclidean and cosine.

The engine computes squared Euclidean distances only. A metric is one object that says
whether the rows live on the unit sphere (every source, in memory or streamed, can scale
its rows; the engine then rescales the centres after each update), whether dense data may
be centred, how the initial centres are prepared, how squared Euclidean distances become
the metric's distances, and which features of the estimator it does not support (with the
reason, for the error message). The estimators look the name up in :data:`METRICS` and
nothing else. A new metric that is Euclidean distance on the raw or the unit-length rows,
read another way, is one more class here (and its tests); one that needs another
transformation of the rows also needs the sources to apply it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from ._assignment import center_distances
from ._validation import scale_to_unit_length

__all__ = ["METRICS", "Metric"]


class Metric:
    """A distance for k-means, as transformations around the squared Euclidean engine.

    ``unit_rows``: the rows are scaled to unit length before the fit and every centre
    after each update (spherical k-means). ``centered``: dense data may be centred on its
    mean while fitting (distances do not change). ``unsupported``: feature name ->
    reason, for ``fixed_features``, ``partial_init`` (NaN in ``init``) and
    ``inverse_transform``.
    """

    name: str
    unit_rows: bool = False
    centered: bool = True
    unsupported: dict[str, str] = {}

    def check_supports(self, feature: str, what: str | None = None) -> None:
        """Raise a ``ValueError`` naming ``what`` (default ``feature``) and the reason when
        this metric does not support ``feature``."""
        if feature in self.unsupported:
            raise ValueError(f"{what or feature} is not supported with metric={self.name!r}: "
                             f"{self.unsupported[feature]}")

    def prepare_centers(self, centers: np.ndarray) -> np.ndarray:
        """Initial centres as the engine starts from them."""
        return centers

    def from_squared(self, squared: Any) -> Any:
        """The metric's distances (or inertia) from squared Euclidean ones."""
        return squared

    def transform(self, points: Any, centers: tf.Tensor) -> tf.Tensor:
        """Distances from every point to every centre (``KMeans.transform``)."""
        return center_distances(points, centers)


class _Euclidean(Metric):
    name = "euclidean"


class _Cosine(Metric):
    """Spherical k-means (Dhillon and Modha 2001): on unit vectors
    ``||x - c||^2 = 2 (1 - cos)``, so the cosine distance is half the squared distance."""

    name = "cosine"
    unit_rows = True
    centered = False  # the unit sphere is the data; centring would move it
    unsupported = {
        "fixed_features": "the centres are rescaled to unit length after every update, "
                          "which would move the fixed coordinates.",
        "partial_init": "give every coordinate of every centre.",
        "inverse_transform": "cosine distances to unit centres do not determine a point's "
                             "length.",
    }

    def prepare_centers(self, centers):
        return scale_to_unit_length(centers, centers)

    def from_squared(self, squared):
        return squared / 2.0

    def transform(self, points, centers):
        return self.from_squared(center_distances(points, centers, squared=True))


#: Every metric, by the name ``metric=`` takes.
METRICS: dict[str, Metric] = {metric.name: metric for metric in (_Euclidean(), _Cosine())}
