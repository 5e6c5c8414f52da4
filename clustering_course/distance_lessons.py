"""Course helpers for notebook 10, clustering from a distance matrix.

Data
----
- :func:`make_weighted_digraph`: the input of the Stack Overflow question *Problems in
  performing K means clustering*, a list of directed, weighted edges between samples, drawn
  with two planted groups to recover.

Exercise check (calls the student's function on hand-made and random cases, prints one line
when all pass, and raises :class:`clustering_course.exercises.ExerciseFailed` with a diagnosis
otherwise; a stub's ``NotImplementedError`` comes through unchanged):

- :func:`check_constant_shift`: the constant shift of Roth et al. (2003), which makes the
  double-centred matrix of squared dissimilarities positive semi-definite.

The word families, the edit distances and the checks of notebook 10's other exercises live
in :mod:`clustering_course.text_lessons`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from clustering_course.exercises import ExerciseCheck
from clustering_course.text_lessons import edit_distance_matrix, make_word_families

__all__ = [
    "check_constant_shift",
    "double_centered_spectrum",
    "make_weighted_digraph",
]


# --------------------------------------------------------------------------------------------
# Data: a weighted, directed graph with two groups
# --------------------------------------------------------------------------------------------

def make_weighted_digraph(
    group_sizes: tuple[int, ...] = (8, 8),
    p_within: float = 0.7,
    p_between: float = 0.15,
    within_weights: tuple[int, int] = (40, 100),
    between_weights: tuple[int, int] = (1, 40),
    random_state: int | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Directed edges with integer weights (large = close) between nodes of a few groups.

    Every ordered pair of distinct nodes ``(i, j)`` gets an edge ``i -> j`` independently:
    with probability ``p_within`` and a weight drawn uniformly from ``within_weights``
    (inclusive) inside a group, with probability ``p_between`` and a weight from
    ``between_weights`` across groups. The weights of ``i -> j`` and ``j -> i`` are drawn
    independently, so the weight matrix is not symmetric.

    Returns
    -------
    edges : ndarray of int, shape (n_edges, 3)
        Rows ``(source, target, weight)``, sorted by source and then target, as a CSV file of
        the graph would list them.
    groups : ndarray of int, shape (sum(group_sizes),)
        The planted group of every node.
    """
    if len(group_sizes) < 1 or min(group_sizes) < 1:
        raise ValueError("group_sizes must list at least one group of at least one node.")
    if not (0 <= p_within <= 1 and 0 <= p_between <= 1):
        raise ValueError("p_within and p_between are probabilities.")
    if not (1 <= within_weights[0] <= within_weights[1]
            and 1 <= between_weights[0] <= between_weights[1]):
        raise ValueError("weights are positive integers, given as (low, high).")
    rng = np.random.default_rng(random_state)
    groups = np.repeat(np.arange(len(group_sizes)), group_sizes)
    n = len(groups)
    same = groups[:, None] == groups[None, :]
    has_edge = rng.random((n, n)) < np.where(same, p_within, p_between)
    np.fill_diagonal(has_edge, False)
    within = rng.integers(within_weights[0], within_weights[1] + 1, size=(n, n))
    between = rng.integers(between_weights[0], between_weights[1] + 1, size=(n, n))
    weights = np.where(same, within, between)
    sources, targets = np.nonzero(has_edge)  # row-major: sorted by source, then target
    edges = np.column_stack([sources, targets, weights[sources, targets]]).astype(np.int64)
    return edges, groups


# --------------------------------------------------------------------------------------------
# The spectrum of the double-centred matrix
# --------------------------------------------------------------------------------------------

def double_centered_spectrum(D2: np.ndarray) -> np.ndarray:
    """Eigenvalues of ``-1/2 J D2 J`` (``J`` the centring matrix), largest first."""
    D2 = np.asarray(D2, dtype=np.float64)
    n = len(D2)
    J = np.eye(n) - np.ones((n, n)) / n
    return np.sort(np.linalg.eigvalsh(-0.5 * J @ D2 @ J))[::-1]


# --------------------------------------------------------------------------------------------
# Exercise: the constant shift
# --------------------------------------------------------------------------------------------

def _reference_shift(D2: np.ndarray) -> tuple[np.ndarray, float]:
    c = max(0.0, -2.0 * float(double_centered_spectrum(D2).min()))
    return D2 + c * (1.0 - np.eye(len(D2))), c


def _shift_cases() -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(7)
    star = np.array([[0, 1, 1, 1], [1, 0, 2, 2], [1, 2, 0, 2], [1, 2, 2, 0]], dtype=float)
    hubs = np.ones((6, 6))
    hubs[3:, 3:] = 2.0
    np.fill_diagonal(hubs, 0.0)
    points = rng.normal(size=(20, 3))
    euclidean = ((points[:, None] - points[None]) ** 2).sum(-1)
    words, _ = make_word_families(n_families=3, per_family=10, random_state=5)
    random = np.triu(rng.uniform(1.0, 3.0, size=(25, 25)), 1)
    return [
        ("the star: a centre 1 from three leaves that are 2 apart", star**2),
        ("squared Euclidean distances of 20 points: nothing to shift", euclidean),
        ("three hubs 1 apart, three leaves 2 apart, every hub 1 from every leaf", hubs**2),
        ("squared edit distances of 30 related strings", edit_distance_matrix(words) ** 2),
        ("25 points with random dissimilarities between 1 and 3",
         (random + random.T) ** 2),
    ]


def _wrongly_centered_shifts(D2: np.ndarray) -> list[float]:
    """The shifts read off a matrix centred on one side only, or not at all.

    ``eigvalsh`` (like ``eigh``) reads only one triangle of the matrix it is given, so on the
    non-symmetric ``J D2`` or ``D2 J`` it returns the eigenvalues of another matrix.
    """
    n = len(D2)
    J = np.eye(n) - np.ones((n, n)) / n
    return [max(0.0, -2.0 * float(np.linalg.eigvalsh(M).min()))
            for M in (-0.5 * J @ D2, -0.5 * D2 @ J, -0.5 * D2)]


def check_constant_shift(constant_shift: Callable[[np.ndarray], Any]) -> None:
    """Check ``constant_shift(D2) -> shifted``, the constant shift of Roth et al. (2003).

    ``shifted`` is ``D2`` with the same constant ``c`` added to every off-diagonal entry, ``c``
    the smallest value (0 if none is needed) that leaves ``-1/2 J shifted J`` without negative
    eigenvalues: ``c = -2 lambda_min`` of ``B = -1/2 J D2 J``.
    """
    cases = _shift_cases()
    check = ExerciseCheck(constant_shift, "constant_shift", len(cases))
    for label, D2 in cases:
        check.start(label)
        n = len(D2)
        expected, c = _reference_shift(D2)
        result = check.call(D2.copy())
        got = check.array(result, "the shifted matrix", D2.shape)
        scale = max(1.0, float(D2.max()))
        if np.allclose(got, expected, rtol=1e-7, atol=1e-9 * scale):
            continue
        off = ~np.eye(n, dtype=bool)
        added = (got - D2)[off]
        diagonal = np.diag(got)
        spectrum_b = double_centered_spectrum(D2)
        if not np.allclose(added, added.mean(), rtol=1e-7, atol=1e-9 * scale):
            hint = ("add ONE constant c to every off-diagonal entry of D2 (the squared "
                    "dissimilarities), not a different amount to each, nor to the unsquared "
                    "distances.")
            check.fail("the off-diagonal entries did not all move by the same amount.",
                       hint=hint)
        got_c = float(added.mean())
        if np.any(np.abs(diagonal) > 1e-9 * scale) and np.isclose(got_c, c, rtol=1e-6,
                                                                  atol=1e-9 * scale):
            check.fail("the diagonal is no longer 0.", expected=np.zeros(n), got=diagonal,
                       hint="a point stays at distance 0 from itself: add c * (1 - I), not "
                            "c times a matrix of ones.")
        hint = ("compute B = -1/2 J D2 J with J = I - 11^T/n, then ask what adding c to the "
                "off-diagonal entries does to B (J 1 = 0 and J J = J).")
        if c > 0 and np.isclose(got_c, c / 2, rtol=1e-6):
            hint = ("adding c to the off-diagonal squared distances raises B's eigenvalues by "
                    "c/2, not by c: a shift of -lambda_min leaves half of it negative.")
        elif c > 0 and np.isclose(got_c, -c, rtol=1e-6):
            hint = "lambda_min is negative, so the shift -2 lambda_min is positive: check a sign."
        elif np.isclose(got_c, -2.0 * np.linalg.eigvalsh(D2).min(), rtol=1e-6):
            hint = ("that is the smallest eigenvalue of D2 itself; the one that matters is B's, "
                    "after double centring.")
        elif np.isclose(got_c, 2.0 * spectrum_b[0], rtol=1e-6) or np.isclose(
                got_c, -2.0 * spectrum_b[0], rtol=1e-6):
            hint = "that uses B's largest eigenvalue; the smallest is the one to lift to 0."
        elif any(np.isclose(got_c, wrong, rtol=1e-6) and not np.isclose(wrong, c, rtol=1e-6)
                 for wrong in _wrongly_centered_shifts(D2)):
            hint = ("centre D2 on both sides, B = -1/2 J D2 J: D2, J D2 and D2 J have other "
                    "eigenvalues (and J D2, D2 J are not symmetric: eigvalsh reads only half "
                    "of each).")
        elif got_c > c:
            hint = ("that shift removes the negative eigenvalues, but it is larger than needed: "
                    "the smallest shift lifts B's smallest eigenvalue exactly to 0 (and a "
                    "Euclidean matrix needs none).")
        check.fail("wrong constant.", expected=c, got=got_c, hint=hint)
    check.done()
