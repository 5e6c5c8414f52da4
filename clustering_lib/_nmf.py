"""Non-negative matrix factorisation X ~ W H in TensorFlow, with scikit-learn's interface.

Algorithm: coordinate descent, also known as HALS (hierarchical alternating least
squares), the algorithm of scikit-learn's default ``solver='cd'``. With H fixed, the
loss ``0.5 ||X - W H||^2`` is a convex quadratic in each column ``W[:, t]``, and all
its entries are independent of one another given the other columns, so the exact
minimiser under ``W >= 0`` is one vector expression::

    W[:, t] <- max(0, W[:, t] - (W (H H^T)[:, t] - (X H^T)[:, t]) / (H H^T)[t, t])

One sweep updates the columns of W in turn, then the rows of H the same way.

Why this and not the alternatives: multiplicative updates are simpler but converge
much more slowly (and cannot move an entry away from zero); projected gradient needs
a step size. Coordinate descent has no step size, lowers the loss at every step,
reaches exact zeros, and, because its sweeps are scikit-learn's, the same start and
number of iterations give a comparable result. The sweep over the ``n_components``
columns is sequential by nature (each column sees the others' new values), so it is
a ``tf.while_loop``; everything inside it is a tensor expression over all rows.

``transform`` solves the non-negative least-squares problem for W with
``components_`` fixed by the same updates, run to a tight tolerance, so each row is
as good as ``scipy.optimize.nnls`` (the tests check this).
"""

from __future__ import annotations

import functools
import numbers
import warnings
from typing import Any, ClassVar

import numpy as np
import tensorflow as tf
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, check_non_negative, validate_data

from ._base import Interval, Options, ValidatedParameters
from .core import _execution as execution
from .core._sources import as_source
from .core._validation import check_random_state

__all__ = ["NMF"]

_INITS = (None, "random", "nndsvd", "nndsvda")
_TRANSFORM_TOL = 1e-8
_TRANSFORM_MAX_ITER = 2000


def _cd_sweep(factor_t, gram, cross_t, l1, l2):
    """One coordinate-descent sweep over the rows of ``factor_t`` (components x samples).

    Minimises ``0.5 ||X - W H||^2 + l1 |W| + 0.5 l2 ||W||^2`` over ``W = factor_t^T``
    with ``gram = H H^T`` and ``cross_t = (X H^T)^T``. Returns the updated factor and
    scikit-learn's violation (summed absolute projected gradient before the update).
    """
    n_components = tf.shape(gram)[0]
    gram = gram + l2 * tf.eye(n_components, dtype=gram.dtype)
    cross_t = cross_t - l1

    def body(t, factor_t, violation):
        row = factor_t[t]
        gradient = tf.linalg.matvec(factor_t, gram[t], transpose_a=True) - cross_t[t]
        projected = tf.where(tf.equal(row, 0.0), tf.minimum(gradient, 0.0), gradient)
        violation += tf.reduce_sum(tf.abs(projected))
        curvature = gram[t, t]
        updated = tf.where(
            curvature != 0.0,
            tf.maximum(row - gradient / tf.where(curvature != 0.0, curvature, 1.0), 0.0),
            row,
        )
        factor_t = tf.tensor_scatter_nd_update(factor_t, [[t]], updated[None, :])
        return t + 1, factor_t, violation

    _, factor_t, violation = tf.while_loop(
        lambda t, *_: t < n_components,
        body,
        (tf.constant(0), factor_t, tf.zeros([], factor_t.dtype)),
    )
    return factor_t, violation


def _nmf_cd(X, W, H, l1_W, l2_W, l1_H, l2_H, max_iter, tol, update_H):
    """Alternate W and H sweeps until the violation falls below ``tol`` x the first one."""

    def body(i, W_t, H, violation_init, done):
        W_t, violation = _cd_sweep(W_t, tf.matmul(H, H, transpose_b=True),
                                   tf.matmul(H, X, transpose_b=True), l1_W, l2_W)
        if update_H:
            W = tf.transpose(W_t)
            H, violation_H = _cd_sweep(H, tf.matmul(W, W, transpose_a=True),
                                       tf.matmul(W, X, transpose_a=True), l1_H, l2_H)
            violation += violation_H
        violation_init = tf.where(tf.equal(i, 0), violation, violation_init)
        done = tf.logical_or(tf.equal(violation_init, 0.0), violation <= tol * violation_init)
        return i + 1, W_t, H, violation_init, done

    n_iter, W_t, H, _, converged = tf.while_loop(
        lambda i, W_t, H, v, done: tf.logical_and(i < max_iter, tf.logical_not(done)),
        body,
        (tf.constant(0), tf.transpose(W), H, tf.zeros([], X.dtype), tf.constant(False)),
    )
    W = tf.transpose(W_t)
    error = tf.sqrt(tf.reduce_sum(tf.square(X - tf.matmul(W, H))))
    return W, H, n_iter, error, converged


_fit_fn, _solve_W_fn = (
    execution.compiled(
        functools.partial(_nmf_cd, update_H=update_H),
        default=execution.NMF_MODE,
        reduce_retracing=True,
    )
    for update_H in (True, False)
)


def _nndsvd(X: np.ndarray, n_components: int, fill_zeros: bool) -> tuple[np.ndarray, ...]:
    """Non-negative double SVD initialisation (Boutsidis & Gallopoulos, 2008).

    Each singular pair is split into its positive and negative parts and the larger
    one kept; ``fill_zeros`` (the 'nndsvda' variant) replaces zeros by the data mean.
    """
    U, S, Vt = np.linalg.svd(X, full_matrices=False)
    U, S, Vt = U[:, :n_components], S[:n_components], Vt[:n_components]
    U_pos, U_neg = np.maximum(U, 0), np.maximum(-U, 0)
    V_pos, V_neg = np.maximum(Vt, 0), np.maximum(-Vt, 0)
    norms = [np.linalg.norm(part, axis=axis) for part, axis in
             ((U_pos, 0), (U_neg, 0), (V_pos, 1), (V_neg, 1))]
    mass_pos, mass_neg = norms[0] * norms[2], norms[1] * norms[3]
    use_pos = mass_pos >= mass_neg
    use_pos[0] = True  # the leading pair has one sign; abs() below covers either
    mass = np.where(use_pos, mass_pos, mass_neg)
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.where(use_pos, U_pos / norms[0], U_neg / norms[1])
        v = np.where(use_pos[:, None], V_pos / norms[2][:, None], V_neg / norms[3][:, None])
    scale = np.sqrt(S * mass)
    u[:, 0], v[0] = np.abs(U[:, 0]), np.abs(Vt[0])
    scale[0] = np.sqrt(S[0])
    W = np.nan_to_num(u * scale)
    H = np.nan_to_num(v * scale[:, None])
    eps = 1e-6
    W[W < eps], H[H < eps] = 0, 0
    if fill_zeros:
        W[W == 0], H[H == 0] = X.mean(), X.mean()
    return W.astype(X.dtype), H.astype(X.dtype)


class NMF(ValidatedParameters, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Non-negative matrix factorisation by coordinate descent, in TensorFlow.

    Finds non-negative W (n_samples, n_components) and H (n_components, n_features)
    minimising ``0.5 ||X - W H||_F^2`` plus optional L1/L2 penalties, with
    scikit-learn's parameter names and meanings (``solver='cd'``,
    ``beta_loss='frobenius'``).

    Parameters
    ----------
    n_components : int or None, default=None
        Number of components; None keeps all features.
    init : {None, 'random', 'nndsvd', 'nndsvda'}, default=None
        Initialisation. None means 'nndsvda' when ``n_components <= min(n_samples,
        n_features)`` and 'random' otherwise, as in scikit-learn. 'random' draws
        ``|N(0, 1)| * sqrt(X.mean() / n_components)`` in scikit-learn's order, so the
        same ``random_state`` gives the same start.
    beta_loss : {'frobenius'}, default='frobenius'
        Only the Frobenius (squared error) loss is implemented.
    tol : float, default=1e-4
        Stop when the violation (summed projected gradient) falls to ``tol`` times
        its value after the first sweep.
    max_iter : int, default=200
        Maximum number of sweeps.
    random_state : int, RandomState instance or None, default=None
    alpha_W : float, default=0.0
        Penalty on W, scaled by ``n_features`` as in scikit-learn.
    alpha_H : float or 'same', default='same'
        Penalty on H, scaled by ``n_samples``; 'same' uses ``alpha_W``.
    l1_ratio : float, default=0.0
        Share of L1 in the penalties (0: pure L2, 1: pure L1).

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        H, the parts.
    reconstruction_err_ : float
        Frobenius norm ``||X - W H||`` at the end of fit.
    n_iter_ : int
        Number of sweeps run.
    n_components_ : int
    n_features_in_ : int
    """

    parameter_constraints: ClassVar[dict[str, list]] = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "init": [Options(frozenset(i for i in _INITS if i is not None)), None],
        "beta_loss": [Options(frozenset({"frobenius"}))],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "alpha_W": [Interval(numbers.Real, 0, None, closed="left")],
        "alpha_H": [Interval(numbers.Real, 0, None, closed="left"), Options(frozenset({"same"}))],
        "l1_ratio": [Interval(numbers.Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        n_components: int | None = None,
        *,
        init: str | None = None,
        beta_loss: str = "frobenius",
        tol: float = 1e-4,
        max_iter: int = 200,
        random_state: Any = None,
        alpha_W: float = 0.0,
        alpha_H: float | str = "same",
        l1_ratio: float = 0.0,
    ) -> None:
        self.n_components = n_components
        self.init = init
        self.beta_loss = beta_loss
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.alpha_W = alpha_W
        self.alpha_H = alpha_H
        self.l1_ratio = l1_ratio

    # ------------------------------------------------------------------ #
    def _validate_X(self, X: Any, reset: bool) -> np.ndarray:
        X = as_source(X).host_data()  # a tensor as an ndarray; a Dataset is refused
        # scikit-learn's dtype rule, as KMeans: float32 and float64 are kept, the rest becomes
        # float64.
        X = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32], order="C")
        check_non_negative(X, f"{type(self).__name__} (input X)")
        return X

    def _n_components(self, n_features: int) -> int:
        """The number of components (parameters checked): None means all features."""
        n_components = self.n_components
        return int(n_features if n_components is None else n_components)

    def _penalties(self, n_samples: int, n_features: int) -> tuple[float, ...]:
        """scikit-learn's scaled penalties: (l1_W, l2_W, l1_H, l2_H)."""
        alpha_H = self.alpha_W if self.alpha_H == "same" else self.alpha_H
        return (n_features * self.alpha_W * self.l1_ratio,
                n_features * self.alpha_W * (1.0 - self.l1_ratio),
                n_samples * alpha_H * self.l1_ratio,
                n_samples * alpha_H * (1.0 - self.l1_ratio))

    def _initial_factors(self, X: np.ndarray, n_components: int):
        init = self.init
        if init is None:
            init = "nndsvda" if n_components <= min(X.shape) else "random"
        if init == "random":
            rng = check_random_state(self.random_state)
            scale = np.sqrt(X.mean() / n_components)
            H = np.abs(scale * rng.standard_normal(size=(n_components, X.shape[1])))
            W = np.abs(scale * rng.standard_normal(size=(X.shape[0], n_components)))
            return W.astype(X.dtype), H.astype(X.dtype)
        if n_components > min(X.shape):
            raise ValueError(
                f"init={init!r} needs n_components <= min(n_samples, n_features) = "
                f"{min(X.shape)}, got {n_components}; use init='random'."
            )
        return _nndsvd(X, n_components, fill_zeros=init == "nndsvda")

    def _run(self, function, X, W, H, penalties, max_iter, tol):
        dtype = X.dtype
        args = [tf.constant(X), tf.constant(W), tf.constant(H)]
        args += [tf.constant(p, dtype) for p in penalties]
        args += [tf.constant(max_iter, tf.int32), tf.constant(tol, dtype)]
        W, H, n_iter, error, converged = function(*args)
        if not bool(converged):
            warnings.warn(
                f"Maximum number of iterations {max_iter} reached before the tolerance "
                f"{tol:g}. Increase max_iter to improve convergence.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return W.numpy(), H.numpy(), int(n_iter), float(error)

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        """Learn the factorisation of X and return W.

        Parameters
        ----------
        X : array-like or tf.Tensor of shape (n_samples, n_features), non-negative
            float32 and float64 are kept; other types become float64.
        y : Ignored

        Returns
        -------
        W : ndarray of shape (n_samples, n_components), X's dtype
        """
        self._validate_params()
        X = self._validate_X(X, reset=True)
        n_components = self._n_components(X.shape[1])
        W, H = self._initial_factors(X, n_components)
        W, H, n_iter, error = self._run(_fit_fn, X, W, H, self._penalties(*X.shape),
                                        self.max_iter, self.tol)
        self.components_ = H
        self.n_components_ = n_components
        self._n_features_out = n_components
        self.n_iter_ = n_iter
        self.reconstruction_err_ = error
        return W

    def fit(self, X: Any, y: Any = None) -> NMF:
        """Learn the factorisation of X; see :meth:`fit_transform`."""
        self.fit_transform(X)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Encode X: the non-negative W minimising ``||X - W components_||`` (+ penalties).

        Solved by coordinate descent on W alone, from zero, to a relative violation
        of 1e-8 (at most 2,000 sweeps): an NNLS problem per row, so that
        ``inverse_transform(transform(X))`` projects onto the cone of the components (a
        projection, but not a linear one).

        Parameters
        ----------
        X : array-like or tf.Tensor of shape (n_samples, n_features), non-negative

        Returns
        -------
        W : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        H = self.components_.astype(X.dtype, copy=False)
        W = np.zeros((X.shape[0], self.n_components_), dtype=X.dtype)
        W, _, _, _ = self._run(_solve_W_fn, X, W, H, self._penalties(*X.shape),
                               _TRANSFORM_MAX_ITER, _TRANSFORM_TOL)
        return W

    def inverse_transform(self, X: Any) -> np.ndarray:
        """Decode codes W back to data space: ``W @ components_`` (linear).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        W = np.asarray(X.numpy() if isinstance(X, tf.Tensor) else X)
        if W.ndim != 2 or W.shape[1] != self.n_components_:
            raise ValueError(
                f"X must have shape (n_samples, {self.n_components_}) (codes), got {W.shape}."
            )
        return W @ self.components_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
