"""Mini-batch k-means: scikit-learn's ``MiniBatchKMeans`` on a compiled TensorFlow step.

The estimator follows :class:`sklearn.cluster.MiniBatchKMeans` (same parameters, update
rule, stopping rules and low-count reassignment). The arithmetic of one mini-batch is
the engine's compiled update (``core/_minibatch.py``); the state of a run (centres,
per-centre counts, the reassignment schedule) is one :class:`MiniBatchStep` object, which
all three input paths drive:

* :meth:`MiniBatchKMeans.fit` on an array, a tensor or a sparse CSR matrix: random
  mini-batches drawn from it, gathered inside the compiled step;
* :meth:`MiniBatchKMeans.fit` on a ``tf.data.Dataset``: its batches, as they come;
* :meth:`MiniBatchKMeans.partial_fit`: the array it is given, one step per call.

The loop over mini-batches is plain Python, since it is shaped by reading data.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any, ClassVar

import numpy as np
import tensorflow as tf
from sklearn.utils.validation import validate_data

from . import core
from ._base import (
    BaseKMeans,
    Interval,
    check_sample_weight,
    is_array_init,
    replaces_best_run,
)
from .core import _execution as execution
from .core._minibatch import MiniBatchStep, minibatch_step
from .core._progress import progress_callback
from .core._sources import DatasetSource, as_points, as_source
from .core._validation import check_random_state

__all__ = ["MiniBatchKMeans"]


class _EarlyStopping:
    """scikit-learn's ``_mini_batch_convergence``, as a small state machine.

    The batch inertia (per sample) is smoothed by an exponentially weighted average
    with ``alpha = 2 * batch_size / (n_samples + 1)``; the run stops when the squared
    shift of the centres is at most ``tol`` (when ``tol > 0``) or when that average has
    not improved for ``max_no_improvement`` consecutive steps. The first step is
    ignored: its inertia is that of the initial centres. With ``verbose`` it prints
    scikit-learn's lines.
    """

    def __init__(self, tol: float, max_no_improvement: int | None, verbose: int = 0) -> None:
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.verbose = verbose
        self.n_steps = 0
        self.ewa_inertia: float | None = None
        self.ewa_inertia_min: float | None = None
        self.no_improvement = 0

    def __call__(self, batch_inertia: float, batch_size: int, n_samples: int, shift: float,
                 n_steps: int | str = "?") -> bool:
        self.n_steps += 1
        step = self.n_steps
        batch_inertia /= batch_size
        if step == 1:
            if self.verbose:
                print(f"Minibatch step {step}/{n_steps}: mean batch inertia: {batch_inertia}")
            return False
        if self.ewa_inertia is None:
            self.ewa_inertia = batch_inertia
        else:
            alpha = min(batch_size * 2.0 / (n_samples + 1), 1.0)
            self.ewa_inertia = self.ewa_inertia * (1.0 - alpha) + batch_inertia * alpha
        if self.verbose:
            print(f"Minibatch step {step}/{n_steps}: mean batch inertia: {batch_inertia}, "
                  f"ewa inertia: {self.ewa_inertia}")
        if self.tol > 0.0 and shift <= self.tol:
            if self.verbose:
                print(f"Converged (small centers change) at step {step}/{n_steps}")
            return True
        if self.ewa_inertia_min is None or self.ewa_inertia < self.ewa_inertia_min:
            self.no_improvement = 0
            self.ewa_inertia_min = self.ewa_inertia
        else:
            self.no_improvement += 1
        if self.max_no_improvement is not None and self.no_improvement >= self.max_no_improvement:
            if self.verbose:
                print(f"Converged (lack of improvement in inertia) at step {step}/{n_steps}")
            return True
        return False


class MiniBatchKMeans(BaseKMeans):
    """Mini-batch k-means in TensorFlow, with scikit-learn's interface.

    Each mini-batch moves every centre towards the mean of the batch points nearest
    to it, with a per-centre learning rate ``batch weight / total weight absorbed``,
    so that a centre is the running mean of all the points it has received. Centres
    that receive too little are reassigned to random batch points. The parameters,
    attributes and stopping rules follow :class:`sklearn.cluster.MiniBatchKMeans`.

    ``fit`` accepts an array, a tensor or a sparse CSR matrix (random mini-batches are
    drawn from it) or a ``tf.data.Dataset`` of batches (its batches are the
    mini-batches); ``partial_fit`` makes one update with the data it is given.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters and of centroids.
    init : {'k-means++', 'k-means||', 'random'}, callable or array-like of shape \
            (n_clusters, n_features), default='k-means++'
        How to choose the initial centres, from a random subset of ``init_size``
        points: greedy k-means++; k-means|| (Bahmani et al. 2012, as in
        :class:`KMeans`; not in scikit-learn); ``n_clusters`` distinct points at random;
        ``init(X, n_clusters, random_state)`` returning an array; or the centres
        themselves.
    max_iter : int, default=100
        Maximum number of passes over the data: for an array,
        ``max_iter * n_samples // batch_size`` mini-batches are drawn at most; for a
        Dataset, it is iterated ``max_iter`` times at most.
    batch_size : int, default=1024
        Size of the mini-batches drawn from an array (capped at ``n_samples``).
        Ignored by the updates when ``X`` is a Dataset, whose batches are used as
        they come.
    verbose : int, default=0
        1: print scikit-learn's lines (each initialisation, each step's batch
        inertia, reassignments, why the fit stopped). 2 or more: a progress bar over
        the steps (``keras.utils.Progbar``) when the output is interactive, else the
        same lines as 1.
    compute_labels : bool, default=True
        Compute ``labels_`` and ``inertia_`` on the whole training data once the
        centres are fitted (one more pass). Without it ``labels_`` is not set and
        ``inertia_`` is estimated from the smoothed batch inertia.
    random_state : int, RandomState instance or None, default=None
        Seed for the initialisation, the mini-batch sampling and the reassignments.
        An int gives identical results on every run.
    tol : float, default=0.0
        Stop when the squared shift of the centres over one mini-batch, summed over
        clusters, is at most ``tol`` times the mean variance of the features. 0
        disables this rule.
    max_no_improvement : int or None, default=10
        Stop when the smoothed batch inertia has not improved for this many
        consecutive mini-batches. None disables this rule.
    init_size : int or None, default=None
        Number of points (drawn at random, with replacement) that each candidate
        initialisation is computed on, and that the candidates are compared on.
        Default: ``3 * batch_size``, or ``3 * n_clusters`` if that is smaller than
        ``n_clusters``; at most ``n_samples``.
    n_init : 'auto' or int, default='auto'
        Number of candidate initialisations; the one of lowest inertia on the
        ``init_size`` comparison points is kept (only one run of mini-batches is
        made). 'auto' means 1 for 'k-means++', 'k-means||' or an array and 3 for
        'random' or a callable.
    reassignment_ratio : float, default=0.01
        A centre whose count is below ``reassignment_ratio`` times the largest count
        is moved to a random point of the current batch. Checked after every
        ``10 * n_clusters`` points and whenever some centre has count zero. 0
        disables reassignment.
    strategy : tf.distribute.Strategy or None, default=None
        Run the assignment of every mini-batch on the replicas of this strategy:
        each replica takes its share of the batch (one global batch per step), the
        float64 per-cluster sums are reduced, and the same update is applied once to
        the replicated centres.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of the cluster centres, of X's dtype (float64 for integer X).
    labels_ : ndarray of shape (n_samples,) or None
        Label of each training point: after :meth:`fit` on an array, of every point;
        after :meth:`partial_fit`, of the points of the last call; None after
        :meth:`fit` on a Dataset. Not set when ``compute_labels=False``.
    inertia_ : float
        Sum of (weighted) squared distances of the points to their nearest centre,
        on the final centres: of the whole training data after :meth:`fit` (for a
        Dataset, computed in one extra pass over it), of the last batch after
        :meth:`partial_fit`.
    n_iter_ : int
        Number of passes over the data that were started by :meth:`fit` (for an
        array, ``ceil(n_steps_ * batch_size / n_samples)``). Not set by
        :meth:`partial_fit`.
    n_steps_ : int
        Number of mini-batches processed since the centres were initialised: by
        :meth:`fit`, plus one for every later :meth:`partial_fit` call (or one per
        call since the first :meth:`partial_fit` that initialised them).
    n_features_in_ : int
        Number of features seen during fit.

    See Also
    --------
    sklearn.cluster.MiniBatchKMeans : The reference implementation this mirrors.
    clustering_lib.KMeans : Full-batch k-means.

    Notes
    -----
    A ``tf.data.Dataset`` given to :meth:`fit` must yield plain float or integer
    tensors of shape ``(batch, n_features)`` (not tuples or dicts) and be finite;
    ``sample_weight`` is not supported with it. The initial centres come from its
    first batches, read until at least ``init_size`` points are gathered (default
    ``3 *`` the first batch's size); ``tol`` is relative to the feature variance of
    those points. The smoothing of the batch inertia needs the number of samples:
    it is estimated as ``cardinality * first batch size`` when the Dataset knows its
    cardinality, as the number of points read so far during the first pass otherwise,
    and is exact from the second pass on. An infinite Dataset is rejected.

    Differences from scikit-learn: the reassignment draws its batch points
    differently (the same ``random_state`` gives a different, statistically
    equivalent run once a reassignment is considered); a reassigned centre takes a
    batch point of positive weight when there is one; ``partial_fit`` counts the
    actual size of each batch towards the ``10 * n_clusters`` points between
    reassignments (scikit-learn counts ``min(batch_size, len(first batch))``); and
    counts are kept in float64. With a fixed init and ``reassignment_ratio=0`` the
    algorithm has no randomness left, and a sequence of ``partial_fit`` calls gives
    scikit-learn's centres.

    Examples
    --------
    >>> import numpy as np
    >>> from clustering_lib import MiniBatchKMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> km = MiniBatchKMeans(n_clusters=2, batch_size=6, random_state=0).fit(X)
    >>> sorted(km.cluster_centers_.round().tolist())
    [[1.0, 2.0], [10.0, 2.0]]
    """

    parameter_constraints: ClassVar[dict[str, list]] = {
        **BaseKMeans.parameter_constraints,
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "compute_labels": ["boolean"],
        "max_no_improvement": [Interval(numbers.Integral, 0, None, closed="left"), None],
        "init_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "reassignment_ratio": [Interval(numbers.Real, 0, None, closed="left")],
        "strategy": [tf.distribute.Strategy, None],
    }
    default_n_init: ClassVar[int] = 3

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Any = "k-means++",
        max_iter: int = 100,
        batch_size: int = 1024,
        verbose: int = 0,
        compute_labels: bool = True,
        random_state: Any = None,
        tol: float = 0.0,
        max_no_improvement: int | None = 10,
        init_size: int | None = None,
        n_init: str | int = "auto",
        reassignment_ratio: float = 0.01,
        strategy: Any = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.verbose = verbose
        self.compute_labels = compute_labels
        self.random_state = random_state
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.init_size = init_size
        self.n_init = n_init
        self.reassignment_ratio = reassignment_ratio
        self.strategy = strategy

    # ------------------------------------------------------------------ #
    # Checks and state
    # ------------------------------------------------------------------ #
    def _validate_X(self, X: Any, reset: bool, copy: bool = False) -> Any:
        if not as_source(X).random_access:
            raise TypeError(
                "X must be an array, a sparse matrix or a tensor here; only fit accepts a "
                "tf.data.Dataset (call this method on each of its batches instead)."
            )
        return super()._validate_X(X, reset=reset, copy=copy)

    def _check_params_vs_input(self, X: Any, batch_size: int | None = None) -> None:
        """scikit-learn's checks; sets ``_n_init``, ``_tol``, ``_batch_size``, ``_init_size``.

        ``batch_size``: the size of the batches when they are not drawn from X (the
        first batch of a Dataset); X is then the points read for the initialisation.
        """
        super()._check_params_vs_input(X)
        n_samples = X.shape[0] if batch_size is None else np.iinfo(np.int64).max
        self._batch_size = min(self.batch_size, n_samples) if batch_size is None else batch_size
        init_size = self.init_size
        if init_size is None:
            init_size = 3 * self._batch_size
            if init_size < self.n_clusters:
                init_size = 3 * self.n_clusters
        elif init_size < self.n_clusters:
            warnings.warn(
                f"init_size={init_size} should be larger than n_clusters={self.n_clusters}. "
                "Setting it to min(3*n_clusters, n_samples)",
                RuntimeWarning,
                stacklevel=3,
            )
            init_size = 3 * self.n_clusters
        self._init_size = min(init_size, n_samples)

    def _best_init(self, X, sample_weight, rng) -> np.ndarray:
        """Keep the candidate of lowest inertia on ``_init_size`` random rows of X."""
        init = self.init
        if is_array_init(init):
            init = self._check_init_array(init, X.shape[1], X.dtype)
        rows = rng.randint(0, X.shape[0], self._init_size)
        valid = X[rows]
        valid_weights = sample_weight[rows].astype(np.float64)
        best = None
        for run in range(self._n_init):
            if self.verbose:
                print(f"Init {run + 1}/{self._n_init} with method {init}")
            centers = self._init_centroids(X, None, init, rng, sample_weight,
                                           init_size=self._init_size)
            _, distances = core.nearest_centers(valid,
                                                  tf.constant(centers))
            inertia = float(np.dot(tf.cast(distances, tf.float64).numpy(), valid_weights))
            if self.verbose:
                print(f"Inertia for init {run + 1}/{self._n_init}: {inertia}")
            if replaces_best_run(inertia, None, best, self.n_clusters):
                best = (centers, None, inertia)
        return np.array(best[0], dtype=X.dtype, order="C")

    def _new_step(self, centers: np.ndarray, rng) -> MiniBatchStep:
        return minibatch_step(self.strategy)(centers, random_state=rng,
                             reassignment_ratio=self.reassignment_ratio,
                             verbose=self.verbose)

    def _keep(self, step: MiniBatchStep, rng) -> None:
        """Store the state of ``step`` (and the random state) for later partial_fit calls."""
        self.cluster_centers_ = step.centers.numpy()
        self._counts = step.counts.numpy()
        self._n_since_last_reassign = step.n_since_last_reassign
        self._random_state = rng
        self._n_features_out = self.n_clusters

    def _labels_and_inertia(self, X: Any, sample_weight: np.ndarray) -> None:
        labels, distances = core.nearest_centers(X, tf.constant(self.cluster_centers_))
        self.labels_ = labels.numpy()
        distances = tf.cast(distances, tf.float64).numpy()
        self.inertia_ = float(np.dot(distances, sample_weight.astype(np.float64)))

    # ------------------------------------------------------------------ #
    # Fitting
    # ------------------------------------------------------------------ #
    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> MiniBatchKMeans:
        """Compute the centroids on X by mini-batches.

        Parameters
        ----------
        X : {array-like, sparse matrix}, tf.Tensor of shape (n_samples, n_features), \
                or tf.data.Dataset
            Training data. float32 and float64 are kept, other types become float64.
            A Dataset must yield tensors of shape (batch, n_features); see Notes in
            the class docstring.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each observation: mini-batches are drawn with probability
            proportional to it. Not used by an explicit or callable init; not
            supported when X is a Dataset.

        Returns
        -------
        self : MiniBatchKMeans
            Fitted estimator.
        """
        self._validate_params()
        source = as_source(X, sample_weight, strategy=self.strategy)
        if not source.random_access:
            return self._fit_dataset(source)
        X = self._validate_X(X, reset=True)
        self._check_params_vs_input(X)
        n_samples = X.shape[0]
        sample_weight = check_sample_weight(sample_weight, X)
        rng = check_random_state(self.random_state)

        step = self._new_step(self._best_init(X, sample_weight, rng), rng)
        points = as_points(X)
        # Mini-batches are drawn with replacement, with probability proportional to the
        # weights, exactly as scikit-learn's choice(p=...) draws them; the batch points
        # then count with unit weight.
        cdf = np.cumsum(sample_weight, dtype=np.float64)
        cdf /= cdf[-1]
        batch_size = self._batch_size
        unit_weights = tf.ones([batch_size], X.dtype)
        n_steps = (self.max_iter * n_samples) // batch_size
        progress = progress_callback(self.verbose, n_steps, unit_name="step")
        lines = int(bool(self.verbose) and progress is None)
        stopping = _EarlyStopping(self._tol, self.max_no_improvement, lines)
        step.verbose = lines
        n_done = 0
        for _ in range(n_steps):
            rows = cdf.searchsorted(rng.random_sample(batch_size), side="right")
            result = step.update(points, unit_weights, rows=rows,
                                 jit_compile=execution.minibatch_xla(n_done))
            n_done += 1
            if progress is not None:
                progress.update(n_done, result.inertia / batch_size)
            if stopping(result.inertia, batch_size, n_samples, result.squared_shift, n_steps):
                break
        if progress is not None:
            progress.finish()

        self._keep(step, rng)
        self.n_steps_ = n_done
        self.n_iter_ = int(np.ceil(n_done * batch_size / n_samples))
        if self.compute_labels:
            self._labels_and_inertia(X, sample_weight)
        else:
            self.inertia_ = (stopping.ewa_inertia or 0.0) * float(np.sum(sample_weight))
        return self

    def _dataset_batch(self, batch: Any, reset: bool, dtype=None) -> np.ndarray:
        """Check one batch of a Dataset; returns it as an array of ``dtype``."""
        if not isinstance(batch, tf.Tensor):
            raise TypeError(
                "a tf.data.Dataset given to fit must yield plain tensors of shape "
                f"(batch, n_features), got an element of type {type(batch).__name__}."
            )
        if not (batch.dtype.is_floating or batch.dtype.is_integer or batch.dtype == tf.bool):
            raise TypeError(
                f"the batches of X must hold numbers, got a tensor of dtype {batch.dtype.name}."
            )
        if batch.shape.rank != 2:
            raise ValueError(
                f"the batches of X must be 2-D (batch, n_features), got shape "
                f"{tuple(batch.shape)}; batch the Dataset with .batch(batch_size)."
            )
        array = validate_data(self, batch.numpy(), reset=reset, dtype=[np.float64, np.float32],
                              order="C")
        return array if dtype is None else array.astype(dtype, copy=False)

    def _fit_dataset(self, source: DatasetSource) -> MiniBatchKMeans:
        """``fit`` on the batches of a Dataset, as they come (weights are refused by
        :func:`~clustering_lib.core._sources.as_source`)."""
        dataset = source.data
        if not isinstance(dataset.element_spec, tf.TensorSpec):
            raise TypeError(
                "a tf.data.Dataset given to fit must yield plain tensors of shape "
                f"(batch, n_features), not {dataset.element_spec!r}."
            )
        cardinality = int(dataset.cardinality())
        if cardinality == tf.data.INFINITE_CARDINALITY:
            raise ValueError(
                "X is an infinite tf.data.Dataset; limit it with .take(n) or feed it "
                "to partial_fit."
            )
        rng = check_random_state(self.random_state)

        # The first batches, up to init_size points, seed the centres.
        pool: list[np.ndarray] = []
        n_pool, wanted = 0, None
        for batch in dataset:
            pool.append(self._dataset_batch(batch, reset=not pool,
                                            dtype=pool[0].dtype if pool else None))
            n_pool += len(pool[-1])
            if wanted is None:
                first_size = len(pool[0])
                wanted = self.init_size or max(3 * first_size, 3 * self.n_clusters)
            if n_pool >= wanted:
                break
        if not pool:
            raise ValueError("X is an empty tf.data.Dataset.")
        pool_array = np.concatenate(pool)
        del pool
        dtype = pool_array.dtype
        self._check_params_vs_input(pool_array, batch_size=first_size)
        self._init_size = min(self._init_size, n_pool)
        step = self._new_step(
            self._best_init(pool_array, np.ones(n_pool, dtype), rng), rng
        )
        del pool_array

        stopping = _EarlyStopping(self._tol, self.max_no_improvement, self.verbose)
        n_known = cardinality * first_size if cardinality > 0 else None
        n_seen = n_steps = epoch = 0
        stopped = False
        while epoch < self.max_iter and not stopped:
            epoch += 1
            for batch in dataset:
                array = self._dataset_batch(batch, reset=False, dtype=dtype)
                if epoch == 1:
                    n_seen += len(array)
                result = step.update(tf.constant(array), tf.ones([len(array)], dtype),
                                     jit_compile=execution.minibatch_xla(n_steps))
                n_steps += 1
                n_samples = n_known if n_known is not None else n_seen
                if stopping(result.inertia, len(array), n_samples, result.squared_shift):
                    stopped = True
                    break
            if epoch == 1 and not stopped:
                n_known = n_seen

        self._keep(step, rng)
        self.n_steps_ = n_steps
        self.n_iter_ = epoch
        # labels_ would only be meaningful for a Dataset that yields its points in the
        # same order every time; the inertia is computed in one more pass.
        self.labels_ = None
        inertia = 0.0
        centers = tf.constant(self.cluster_centers_)
        for batch in dataset:
            array = self._dataset_batch(batch, reset=False, dtype=dtype)
            _, distances = core.nearest_centers(tf.constant(array), centers)
            inertia += float(tf.reduce_sum(tf.cast(distances, tf.float64)))
        self.inertia_ = inertia
        return self

    def partial_fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> MiniBatchKMeans:
        """Update the centres with one mini-batch: all of X.

        The first call (on an estimator that is not fitted) initialises the centres
        from X (one initialisation, on at most ``init_size`` random rows of X, as
        scikit-learn does) and needs ``len(X) >= n_clusters``. Later calls need the
        same number of features; X is converted to the dtype of the centres.

        Parameters
        ----------
        X : {array-like, sparse matrix} or tf.Tensor of shape (n_samples, n_features)
            The mini-batch.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each observation. Not used by an explicit or callable init.

        Returns
        -------
        self : MiniBatchKMeans
            Updated estimator.
        """
        self._validate_params()
        has_centers = hasattr(self, "cluster_centers_")
        X = self._validate_X(X, reset=not has_centers)
        if has_centers:
            X = X.astype(self.cluster_centers_.dtype, copy=False)
        sample_weight = check_sample_weight(sample_weight, X)
        rng = getattr(self, "_random_state", None)
        if rng is None:
            rng = check_random_state(self.random_state)
        if has_centers:
            step = minibatch_step(self.strategy)(
                self.cluster_centers_, random_state=rng,
                reassignment_ratio=self.reassignment_ratio, counts=self._counts,
                n_since_last_reassign=self._n_since_last_reassign, verbose=self.verbose,
            )
        else:
            self._check_params_vs_input(X)
            init = self.init
            if is_array_init(init):
                init = self._check_init_array(init, X.shape[1], X.dtype)
            centers = self._init_centroids(X, None, init, rng, sample_weight,
                                           init_size=self._init_size)
            step = self._new_step(np.array(centers, dtype=X.dtype, order="C"), rng)
            self.n_steps_ = 0

        points = as_points(X)
        unequal = not np.all(sample_weight == sample_weight[0])
        step.update(points, tf.constant(sample_weight),
                    sample_weight=sample_weight if unequal else None)
        if not np.isfinite(step.centers.numpy()).all():
            # The estimator keeps the centres of the last good step.
            raise ValueError(
                f"partial_fit: the centres overflowed in {X.dtype} (sample weights up to "
                f"{float(np.max(sample_weight)):.3g}, accumulated counts up to "
                f"{float(np.max(step.counts.numpy())):.3g}). Keep the weights bounded (for "
                "example a decay factor that scales old counts down instead of new weights up) "
                "or pass float64 data."
            )
        self._keep(step, rng)
        self.n_steps_ += 1
        if self.compute_labels:
            self._labels_and_inertia(X, sample_weight)
        return self

    # ------------------------------------------------------------------ #
    # Using the centres
    # ------------------------------------------------------------------ #
    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit on an array, then return the training labels (``labels_``)."""
        if not as_source(X).random_access:
            raise TypeError("fit_predict needs an array; fit a Dataset with fit instead.")
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit on an array, then return the distances of the training data to the centres."""
        if not as_source(X).random_access:
            raise TypeError("fit_transform needs an array; fit a Dataset with fit instead.")
        return super().fit_transform(X, sample_weight=sample_weight)
