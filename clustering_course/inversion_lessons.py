"""Checks for the exercises of notebook 07 (inverting the k-means transform).

- :func:`check_recover_centers`: the centres, from a few leaked records and their distances
  (or ``ValueError`` when the leaked records cannot determine them).
- :func:`check_mirror_candidates`: both points that fit d distances in d dimensions.
- :func:`recover_records`: the reference answer of the attack (centres from the leaked records,
  then every record from the centres), which the notebook measures after the exercise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from clustering_course.exercises import ExerciseCheck, ExerciseFailed

__all__ = ["ExerciseFailed", "check_mirror_candidates", "check_recover_centers", "recover_records"]


def _trilaterate(anchors: np.ndarray, distances: np.ndarray) -> np.ndarray:
    """Least-squares point at ``distances`` (shape (m,) or (m, n)) from ``anchors`` (m, d)."""
    origin = anchors.mean(axis=0)
    offsets = anchors - origin
    norms = np.sum(offsets**2, axis=1)
    squared = np.square(distances).reshape(len(anchors), -1)
    rhs = 0.5 * ((norms - norms.mean())[:, None] - (squared - squared.mean(axis=0)))
    solution = np.linalg.lstsq(offsets, rhs, rcond=None)[0]
    return (origin[:, None] + solution).T


def _uncentered(anchors: np.ndarray, distances: np.ndarray) -> np.ndarray:
    """Section 1's system as written: subtract equation 0, no change of origin."""
    squared = np.square(distances).reshape(len(anchors), -1)
    lhs = 2 * (anchors[0] - anchors[1:])
    rhs = (squared[1:] - squared[:1] + anchors[0] @ anchors[0]
           - np.sum(anchors[1:] ** 2, axis=1)[:, None])
    return np.linalg.lstsq(lhs, rhs, rcond=None)[0].T


_CENTER_HINT = ("far from the origin, the right-hand side of section 1's system is a small "
                "difference of huge numbers and cancels: move the origin to the mean of the "
                "known points first, solve, and add the mean back (section 4).")


def _determined(points: np.ndarray) -> bool:
    """Whether distances to ``points`` (m, d) pin down a point: they span R^d affinely."""
    # tolerance relative to the size of the points: centring points far from the origin leaves
    # rounding of that size in directions the points do not span
    scale = max(float(np.abs(points).max(initial=0.0)), 1.0)
    return bool(np.linalg.matrix_rank(points - points.mean(axis=0), tol=1e-9 * scale)
                == points.shape[1])


def _recover_centers(points: np.ndarray, distances: np.ndarray) -> np.ndarray:
    """The reference answer: refuse when the centres are not determined, else trilaterate."""
    if not _determined(points):
        raise ValueError("the leaked points do not span R^d affinely")
    return _trilaterate(points, distances)


def recover_records(leaked_points: np.ndarray, leaked_distances: np.ndarray,
                    published: np.ndarray) -> np.ndarray:
    """The reference attack: every record (n, d) behind the published distances (n, k).

    The centres come from the m leaked records and their rows of distances (``ValueError`` when
    the leaked records do not span R^d affinely), then every record from the centres.
    """
    centers = _recover_centers(np.asarray(leaked_points, dtype=float),
                               np.asarray(leaked_distances, dtype=float))
    return _trilaterate(centers, np.asarray(published, dtype=float).T)


_UNDETERMINED_HINT = (
    "with only d leaked records, or more that all lie in one hyperplane, the records span "
    "less than R^d: each centre then has a mirror image across their hyperplane at the same "
    "distances (the optional exercise's pair, with the roles swapped), and least squares "
    "silently returns the midpoint. Check the rank of the centred leaked points "
    "(np.linalg.matrix_rank) and raise ValueError when it is below d.")


def check_recover_centers(recover_centers: Callable[[np.ndarray, np.ndarray], Any]) -> None:
    """Check ``recover_centers(points, distances) -> centers``.

    ``points`` (m, d) are records whose original features leaked, ``distances`` (m, k) their
    published distances to the k unknown centres; the result is the (k, d) array of centres.
    When the leaked points do not span R^d affinely (fewer than d + 1 of them, or all in one
    hyperplane) the centres are not determined and the function must raise ``ValueError``.
    """
    rng = np.random.default_rng(7)
    in_a_plane = rng.normal(size=(6, 3)) * 2
    in_a_plane[:, 2] = 1.5  # six records, all in the plane x_3 = 1.5
    cases = [
        ("the plane: 3 leaked points, 2 centres", rng.normal(size=(3, 2)) * 3,
         rng.normal(size=(2, 2)) * 3),
        ("3-D: 4 leaked points, 5 centres (more centres than points)",
         rng.normal(size=(4, 3)) * 2, rng.normal(size=(5, 3)) * 2),
        ("5-D: 40 leaked points, 8 centres", rng.normal(size=(40, 5)),
         rng.normal(size=(8, 5))),
        ("4-D, everything near (500, ..., 500)", rng.normal(size=(12, 4)) + 500.0,
         rng.normal(size=(6, 4)) + 500.0),
        ("3-D, everything near (2e6, 2e6, 2e6), spread 1", rng.normal(size=(10, 3)) + 2e6,
         rng.normal(size=(4, 3)) + 2e6),
        ("3-D: only 3 leaked points (d of them), 4 centres: the centres are not determined",
         rng.normal(size=(3, 3)) * 2, rng.normal(size=(4, 3)) * 2),
        ("3-D: 6 leaked points, all in one plane, 4 centres: the centres are not determined",
         in_a_plane, rng.normal(size=(4, 3)) * 2),
    ]
    check = ExerciseCheck(recover_centers, "recover_centers", len(cases))
    for label, points, centers in cases:
        check.start(label)
        distances = np.linalg.norm(points[:, None, :] - centers[None, :, :], axis=2)
        if not _determined(points):
            try:
                recover_centers(points.copy(), distances.copy())
            except ValueError:  # the right answer: these points cannot pin the centres down
                continue
            except (NotImplementedError, ExerciseFailed):
                raise
            except Exception as error:
                check.fail(f"your function raised {type(error).__name__}: {error}",
                           hint="when the centres are not determined, raise ValueError.")
            check.fail(f"these {len(points)} leaked points span only "
                       f"{np.linalg.matrix_rank(points - points.mean(axis=0))} of the "
                       f"{points.shape[1]} dimensions, but your function returned centres.",
                       hint=_UNDETERMINED_HINT)
        result = check.call(points.copy(), distances.copy())
        got = check.array(result, "centres", centers.shape,
                          shape_hint=f"one row per centre: distances has shape "
                                     f"{distances.shape} (points x centres), so the result "
                                     f"has shape {centers.shape} (centres x features).")
        # the spread of the centres, not their distance from the origin, sets the scale
        scale = 1.0 + float(np.abs(centers - centers.mean(axis=0)).max())
        if np.allclose(got, centers, rtol=0.0, atol=1e-6 * scale):
            continue
        hint = ("each centre is a point whose distances to the leaked points you know: "
                "section 2's problem with the roles of points and centres swapped (the leaked "
                "points play the centres), one least-squares solve per centre or one for all.")
        unsquared = _trilaterate(points, np.sqrt(distances))
        if got.shape[0] == got.shape[1] and np.allclose(got.T, centers, atol=1e-6 * scale):
            hint = "your result is transposed: one row per centre, one column per feature."
        elif np.allclose(got, _uncentered(points, distances), atol=1e-6 * scale):
            hint = "your solution loses its accuracy: " + _CENTER_HINT
        elif np.allclose(got, unsquared, atol=1e-6 * scale):
            hint = "the sphere equations hold for squared distances; square them first."
        row = int(np.argmax(np.abs(got - centers).max(axis=1)))
        check.fail(f"centre {row} is not at the given distances from the leaked points.",
                   expected=centers[row], got=got[row], hint=hint)
    check.done()


def _candidates(centers: np.ndarray, distances: np.ndarray) -> np.ndarray:
    normal = np.linalg.svd(centers[1:] - centers[0])[2][-1]
    p = _trilaterate(centers, distances)[0]
    # d centres span a hyperplane: the centred matrix has rank d - 1 only in exact arithmetic.
    # Far from the origin centring leaves a singular value of rounding size that lstsq's default
    # cutoff (relative to the largest one) keeps, and p flies off along the normal: project back.
    p = p - ((p - centers.mean(axis=0)) @ normal) * normal
    rho = np.sqrt(max(distances[0] ** 2 - np.sum((p - centers[0]) ** 2), 0.0))
    return np.array([p + rho * normal, p - rho * normal])


def check_mirror_candidates(mirror_candidates: Callable[[np.ndarray, np.ndarray], Any]) -> None:
    """Check ``mirror_candidates(centers, distances) -> (2, d)`` for d centres in d dimensions.

    The two rows are the two points at the given distances from the d centres (in any order).
    """
    rng = np.random.default_rng(8)
    cases = []
    near_100 = ("4-D, near (100, ..., 100), where the centred matrix is singular only up to "
                "rounding")
    for label, d, shift in [("the plane, 2 centres", 2, 0.0), ("3-D, 3 centres", 3, 0.0),
                            ("6-D, 6 centres", 6, 0.0), (near_100, 4, 100.0),
                            ("3-D, near (2e6, 2e6, 2e6), spread 2", 3, 2e6)]:
        centers = rng.normal(size=(d, d)) * 2 + shift
        cases.append((label, centers, rng.normal(size=d) * 2 + shift))
    check = ExerciseCheck(mirror_candidates, "mirror_candidates", len(cases))
    for label, centers, point in cases:
        check.start(label)
        distances = np.linalg.norm(centers - point, axis=1)
        expected = _candidates(centers, distances)
        result = check.call(centers.copy(), distances.copy())
        got = check.array(result, "the candidates", expected.shape,
                          shape_hint="return both points, stacked: shape (2, d).")
        scale = 1e-6 * (1.0 + float(np.abs(centers - centers.mean(axis=0)).max()))
        same = (np.allclose(got, expected, atol=scale)
                or np.allclose(got[::-1], expected, atol=scale))
        if same:
            continue
        middle = expected.mean(axis=0)
        rho = np.linalg.norm(expected[0] - middle)
        hint = ("both candidates lie on the line through p (the projection on the centres' "
                "hull) orthogonal to the hull, at the distance rho of section 1 on either side.")
        uncentered = _uncentered(centers, distances)[0]
        if not np.allclose(got.mean(axis=0), middle, atol=scale) and np.allclose(
                got.mean(axis=0), uncentered, atol=scale):
            hint = ("your p is the minimum-norm solution of section 1's system as written: with "
                    "d centres it has a whole line of solutions, and lstsq returns the one "
                    "nearest the origin, not the one in the centres' hull. Move the origin to the "
                    "centres' mean first (which also avoids the cancellation of section 4), "
                    "solve, and add the mean back.")
        elif abs((got.mean(axis=0) - middle) @ (expected[0] - middle)) > scale * rho:
            hint = ("the midpoint of your two points is off the centres' hull, along its normal. "
                    "With d centres the centred matrix has rank d - 1 only in exact arithmetic: "
                    "far from the origin, centring leaves a singular value of rounding size "
                    "that lstsq's default cutoff (relative to the largest singular value) "
                    "keeps, and dividing by it throws p off along the normal. p is the point "
                    "of the hull: remove the component of p - mean(centres) along n.")
        elif np.allclose(got.mean(axis=0), middle, atol=scale):
            gap = np.linalg.norm(got[0] - got.mean(axis=0))
            if np.isclose(gap, rho**2, atol=scale):
                hint = ("rho^2 = D_0^2 - |p - c_0|^2 gives the square of the distance; take its "
                        "root.")
            else:
                hint = ("the midpoint p is right; check the direction (a unit vector orthogonal "
                        "to every c_j - c_0, e.g. the last right-singular vector) and the length.")
        check.fail("these are not the two points at the given distances.", expected=expected,
                   got=got, hint=hint)
    check.done()
