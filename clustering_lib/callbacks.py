"""Callbacks for ``KMeans(callback=...)``, called after every Lloyd iteration.

A callback receives an :class:`IterationInfo` (``iteration``, ``inertia``,
``center_shift``, ``n_changed``, ``converged``, ``centers``). Resuming an interrupted fit::

    checkpoint = CenterCheckpoint("centers.npz", every=5)
    KMeans(k, callback=checkpoint).fit(X)               # interrupted
    KMeans(k, init=checkpoint.load(), n_init=1).fit(X)  # goes on from the saved centres

Progress bars (``verbose=2``) and scikit-learn's lines (``verbose=1``) are the estimators'
own. The deep-clustering models train with Keras's callbacks; the one they add,
``DECTargetUpdate``, is in :mod:`clustering_lib.deep`.
"""

from .core import IterationInfo
from .core._progress import CenterCheckpoint

__all__ = ["CenterCheckpoint", "IterationInfo"]
