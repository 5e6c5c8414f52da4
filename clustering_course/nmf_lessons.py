"""Notebook 03 (NMF reconstruction, the projection onto a cone): its exercise checks and figures.

Figures: ``plot_span_and_cone`` draws section 2's picture (the question's plane and a 2-D toy, with
the projections onto the span and onto the cone); ``plot_image_grid`` draws a grid of 8x8 images
on one colour scale, with its colour bar beside the grid and the title centred over the images.

``check_cone_codes(cone_codes)``: the non-negative codes of one row, found by trying every
passive set (small problems). ``check_projected_gradient(nnls_projected_gradient)``: the codes
of many rows at once by projected gradient (the harder, optional exercise).

Each check calls the student's function on a few cases, compares its answer with
``scipy.optimize.nnls`` (Lawson and Hanson's active-set algorithm) and, when they differ, says
which typical mistake the answer looks like: a negative code, least squares clipped at zero, the
parts matrix used the wrong way round (a transposed answer when ``H`` is square, an error about
shapes when it is not), a feasible but not the nearest candidate, the parts with negative
least-squares codes dropped and the rest fitted again, a step size that makes the iteration
diverge, a step that ignores the scale of the parts (too small for small parts: the check then
runs the case again, scaled, to tell). The cone-codes check compares the distances that the
codes reach, not the codes themselves: with dependent parts several codes reach the same nearest
point.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from scipy.optimize import nnls

from clustering_course.exercises import ExerciseCheck, ExerciseFailed
from clustering_course.plotting import plot_centroid_images

__all__ = ["ExerciseFailed", "check_cone_codes", "check_projected_gradient", "plot_image_grid",
           "plot_span_and_cone"]


def _draw_cone(ax: Any, parts_2d: np.ndarray, reach: float) -> None:
    """The cone of two 2-D parts as a wedge, and their directions as arrows of equal length."""
    wedge = np.array([[0, 0], *(p / np.linalg.norm(p) * 3 for p in parts_2d)])
    ax.add_patch(Polygon(wedge, color="C0", alpha=0.15, label="cone (codes >= 0)"))
    ax.plot([], [], color="C0", lw=2, label="directions of the parts (arrows of equal length)")
    for t, p in enumerate(parts_2d):
        tip = p / np.linalg.norm(p) * reach * 0.75
        ax.annotate("", xy=tip, xytext=(0, 0),
                    arrowprops={"arrowstyle": "->", "color": "C0", "lw": 2})
        # Labels inside the wedge, clear of the projections that land on the rays from outside.
        ax.annotate(f"part {t}", tip, xytext=[(-6, 8), (8, -4)][t], textcoords="offset points",
                    color="C0", ha=["right", "left"][t], va="center")
    ax.set_aspect("equal")
    ax.axhline(0, color="0.8", lw=0.8, zorder=0)
    ax.axvline(0, color="0.8", lw=0.8, zorder=0)


def plot_span_and_cone(part_points: np.ndarray, span_points: np.ndarray, cone_points: np.ndarray,
                       toy_parts: np.ndarray, toy_X: np.ndarray, toy_cone: np.ndarray,
                       regions: dict[str, np.ndarray]) -> Figure:
    """Notebook 03, section 2: span against cone, in the question's plane and on a 2-D toy.

    Left: ``part_points`` (2 x 2), the question's parts in coordinates of their plane, and the
    projections of its rows onto the span (``span_points``) and onto the cone (``cone_points``),
    joined by a dotted line. Right: the toy points ``toy_X``, coloured by ``regions`` (label ->
    boolean mask; the first region is the inside of the cone), each outside point with an arrow
    to its projection ``toy_cone`` onto the cone of ``toy_parts``.
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 5.2), layout="constrained")
    _draw_cone(axes[0], part_points, reach=1.3)
    _draw_cone(axes[1], toy_parts, reach=1.45)

    ax = axes[0]
    ax.set(xlim=(-0.45, 1.1), ylim=(-0.45, 1.1), xlabel="coordinate along part 0",
           ylabel="coordinate perpendicular to part 0, in the plane",
           title="The question: the plane of its two parts (= the span)")
    for i, (on_span, on_cone) in enumerate(zip(span_points, cone_points, strict=True)):
        ax.plot(*on_span, "o", mfc="none", mec="C3", ms=10, mew=2,
                label="x H$^+$H (span)" if i == 0 else None)
        ax.plot(*on_cone, "o", color="k", ms=5,
                label="inverse_transform(transform(x)) (cone)" if i == 0 else None)
        ax.plot(*np.stack([on_span, on_cone]).T, "k:", lw=1)
        ax.annotate(f"row {i}", on_span, xytext=(8, -14), textcoords="offset points")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8)

    ax = axes[1]
    ax.set(xlim=(-0.05, 1.3), ylim=(-0.05, 1.3), xlabel="feature 0", ylabel="feature 1",
           title="2-D toy: the span is the whole plane")
    for index, ((label, mask), color) in enumerate(zip(regions.items(), ["C2", "C1", "C4"],
                                                        strict=True)):
        ax.scatter(*toy_X[mask].T, s=14, color=color, label=label)
        if index == 0:
            continue  # inside the cone: these points are their own projections
        for start, end in zip(toy_X[mask], toy_cone[mask], strict=True):
            ax.annotate("", xy=end, xytext=start,
                        arrowprops={"arrowstyle": "->", "color": color, "lw": 0.8})
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8)
    return fig


def plot_image_grid(images: Any, *, n_columns: int, suptitle: str, colorbar_label: str,
                    vmin: float, vmax: float, cmap: Any = "binary",
                    titles: list[str] | None = None, row_labels: list[str] | None = None,
                    colorbar_height: float = 1.0) -> Figure:
    """8x8 images in a grid on one colour scale, the colour bar to the right of the grid.

    ``plot_centroid_images`` with three additions: ``row_labels`` (one label left of each row),
    a colour bar beside the last column (``colorbar_height``: its share of the grid's height,
    centred) and the title centred over the images rather than over the whole figure, colour
    bar included.
    """
    images = np.asarray(images)
    fig = plot_centroid_images(images, (8, 8), titles=titles or [""] * len(images),
                               n_columns=n_columns, cmap=cmap, vmin=vmin, vmax=vmax,
                               suptitle=suptitle)
    for row, label in enumerate(row_labels or []):
        fig.axes[n_columns * row].set_ylabel(label, fontsize=9)
    width = fig.get_figwidth()
    fig.tight_layout(rect=(0, 0, 1 - 1.0 / width, 1))  # room on the right for the colour bar
    shown = fig.axes[:len(images)]
    left = min(ax.get_position().x0 for ax in shown)
    right = max(ax.get_position().x1 for ax in shown)
    bottom = min(ax.get_position().y0 for ax in shown)
    top = max(ax.get_position().y1 for ax in shown)
    height = (top - bottom) * colorbar_height
    cax = fig.add_axes((right + 0.12 / width, bottom + (top - bottom - height) / 2,
                        0.15 / width, height))
    fig.colorbar(shown[0].images[0], cax=cax, label=colorbar_label)
    fig.suptitle(suptitle, x=(left + right) / 2)  # centred over the images
    return fig


def _reference(x: np.ndarray, H: np.ndarray) -> np.ndarray:
    return nnls(H.T, x)[0]


def _call(check: ExerciseCheck, H: np.ndarray, orientation_hint: str, *args: Any) -> Any:
    """``check.call(*args)``; an error about shapes with a non-square ``H`` gets a hint on its rows.

    With ``r`` parts in ``d`` dimensions (``r != d``), using ``H`` where ``H.T`` belongs (or the
    other way round) does not give a wrong answer, it raises: NumPy refuses to multiply or solve
    with mismatched shapes. The plain report of that error names the line but not the slip.
    """
    try:
        return check.call(*args)
    except ExerciseFailed as failure:
        error = failure.__context__
        if H.shape[0] == H.shape[1] or not isinstance(error, ValueError | np.linalg.LinAlgError):
            raise
        # Keep the report's problem (the error and the line that raised it), replace its hint.
        lines = str(failure).splitlines()
        ends = [i for i, line in enumerate(lines)
                if line.startswith(("  Hint:", "  expected:", "Fix your function"))]
        problem = "\n".join(lines[:ends[0] if ends else len(lines)])
        check.fail(problem.split(f"({check.label}): ", 1)[-1], hint=orientation_hint)


def _lstsq_codes(x: np.ndarray, H: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(H.T, x, rcond=None)[0]


# The question's parts (Stack Overflow 49340540, scikit-learn NMF, random_state=0), rounded.
_QUESTION_PARTS = np.array([[0.5328, 0.0, 0.7369, 1.3312, 0.7984],
                            [0.0, 0.9812, 0.6027, 0.0, 0.0]])


def _cone_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(7)
    return [
        ("the question's second new row, x = (1, 0, 0, 0, 0), two parts in 5-D",
         np.array([1.0, 0.0, 0.0, 0.0, 0.0]), _QUESTION_PARTS),
        ("a point inside the cone: x = 2 x part 0 + 0.5 x part 1",
         np.array([2.0, 0.5]) @ _QUESTION_PARTS, _QUESTION_PARTS),
        ("2-D, parts (1, 0.3) and (0.35, 1), x = (0.2, 1.0) outside the cone",
         np.array([0.2, 1.0]), np.array([[1.0, 0.3], [0.35, 1.0]])),
        ("2-D, parts (1, 2) and (0, 1): x = (1, 0) is outside; least squares wants a "
         "negative code", np.array([1.0, 0.0]), np.array([[1.0, 2.0], [0.0, 1.0]])),
        ("x = (-1, -0.5) points away from both parts (1, 0) and (0.2, 1)",
         np.array([-1.0, -0.5]), np.array([[1.0, 0.0], [0.2, 1.0]])),
        ("3 parts in 3-D: every one-part candidate is feasible, but a pair is nearer",
         np.array([1.0, 1.0, -0.2]),
         np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0]])),
        ("4 random parts in 6-D, a random non-negative x outside their cone",
         rng.uniform(size=6), rng.uniform(size=(4, 6))),
        ("3 parts in 4-D: least squares gives parts 1 and 2 negative codes, yet part 1 "
         "belongs to the nearest point of the cone", np.array([0.40, 0.01, 0.26, 0.42]),
         np.array([[0.66, 0.25, 0.77, 0.21], [0.83, 0.06, 0.83, 0.16],
                   [0.38, 0.32, 0.69, 0.18]])),
    ]


def _drop_and_refit(x: np.ndarray, H: np.ndarray) -> np.ndarray:
    """A classic wrong answer: drop the parts with negative least-squares codes, fit again.

    Repeated until no code is negative; the parts dropped once are never brought back.
    """
    kept = np.arange(len(H))
    while len(kept):
        w = np.zeros(len(H))
        w[kept] = _lstsq_codes(x, H[kept])
        if w[kept].min() >= 0:
            return w
        kept = kept[w[kept] >= 0]
    return np.zeros(len(H))


def check_cone_codes(cone_codes: Callable[[np.ndarray, np.ndarray], Any]) -> None:
    """Check ``cone_codes(x, H) -> w``: the codes ``w >= 0`` minimising ``||x - w H||``.

    ``x`` is one row (shape ``(d,)``), ``H`` holds ``r`` parts as rows (shape ``(r, d)``) and
    ``w`` has shape ``(r,)``; ``w @ H`` is the point of the cone of the parts nearest to ``x``.
    """
    cases = _cone_cases()
    check = ExerciseCheck(cone_codes, "cone_codes", len(cases))
    for label, x, H in cases:
        check.start(label)
        expected = _reference(x, H)
        orientation_hint = (
            f"here H has shape {H.shape}: {H.shape[0]} parts, one per row, in {H.shape[1]} "
            f"dimensions, and x has {len(x)} entries. An error about shapes or dimensions "
            "usually means the parts matrix is used the wrong way round: the reconstruction "
            "is w @ H, a combination of the rows of H, so a least-squares system for the codes "
            f"has the matrix H.T (or H[passive].T), {H.shape[1]} rows, and the right-hand "
            "side x.")
        result = _call(check, H, orientation_hint, x.copy(), H.copy())
        if result is None:
            check.fail("your function returned None for this case.", expected=expected,
                       hint="when no non-empty passive set is feasible (x points away from "
                            "every part), the empty passive set, w = 0 (one zero per part), is "
                            "the answer; is it among your candidates, and does every path "
                            "return w?")
        w = check.array(result, "w", expected.shape,
                        nan_hint="a least-squares fit on no parts at all gives w = 0; "
                                 "solving with an empty or singular matrix gives NaN.",
                        shape_hint="w has one code per part, shape (r,) for H of shape (r, d); "
                                   "did you fit x with the columns of H instead of its rows?")
        unconstrained = _lstsq_codes(x, H)
        if w.min() < -1e-9:
            hint = "a candidate counts only if every one of its codes is >= 0."
            if np.allclose(w, unconstrained, atol=1e-6):
                hint = ("these are the unconstrained least-squares codes (the pseudo-inverse): "
                        "the non-negativity constraint is missing.")
            check.fail(f"w[{int(np.argmin(w))}] = {w.min():.4f} is negative.",
                       expected=expected, got=w, hint=hint)
        distance = float(np.linalg.norm(x - w @ H))
        best = float(np.linalg.norm(x - expected @ H))
        if distance > best * (1 + 1e-6) + 1e-9:
            hint = ("a feasible candidate, but not the nearest point of the cone: compare the "
                    "distances of all feasible candidates (the empty passive set, w = 0, "
                    "is one of them).")
            if np.allclose(w, np.maximum(unconstrained, 0), atol=1e-6):
                hint = ("these are the least-squares codes with the negative ones set to 0. "
                        "Once a code is fixed at 0, the other codes must be fitted again "
                        "without that part: clipping keeps their old values.")
            elif np.allclose(w, _drop_and_refit(x, H), atol=1e-6):
                hint = ("these codes come from dropping the parts whose least-squares codes "
                        "are negative and fitting the rest again. A negative code in the fit "
                        "with all parts does not mean that the part is unused at the nearest "
                        "point of the cone: a code's sign changes when other parts leave the "
                        "fit. Dropping by sign is a guess; compare every feasible candidate.")
            elif H.shape[0] == H.shape[1] and np.allclose(w, _reference(x, H.T), atol=1e-6):
                hint = ("these are the codes for the transposed parts matrix: the reconstruction "
                        "is w @ H (a combination of the rows of H), so the system to solve has "
                        "the matrix H.T.")
            check.fail(f"x is reconstructed at distance {distance:.4f}; non-negative codes "
                       f"reach {best:.4f}.", expected=expected, got=w, hint=hint)
    check.done()


def _pg_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(11)
    return [
        ("the question's two new rows and its two parts",
         np.array([[0.0, 0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]]), _QUESTION_PARTS),
        ("parts of different scales, (10, 0) and (1, 1), in 2-D",
         np.array([[1.0, 1.0], [3.0, 0.5], [0.0, 2.0]]), np.array([[10.0, 0.0], [1.0, 1.0]])),
        ("300 random rows, 6 random parts in 20-D", rng.uniform(size=(300, 20)),
         rng.uniform(size=(6, 20))),
        ("small parts, 0.1 x (1, 0.3) and 0.1 x (0.35, 1), in 2-D: the entries of H H^T are "
         "of order 0.01", 0.1 * np.array([[0.2, 1.0], [1.0, 0.5], [0.6, 0.6]]),
         0.1 * np.array([[1.0, 0.3], [0.35, 1.0]])),
    ]


def _pg_converged(W: np.ndarray, X: np.ndarray, H: np.ndarray, expected: np.ndarray) -> bool:
    """Every row of W @ H within 1e-6 (relative) of the distance that the exact codes reach."""
    distance = np.linalg.norm(X - W @ H, axis=1)
    return bool(np.all(distance <= np.linalg.norm(X - expected @ H, axis=1) * (1 + 1e-6) + 1e-9))


def _converges_rescaled(function: Callable[..., Any], X: np.ndarray, H: np.ndarray,
                        expected: np.ndarray, n_steps: int) -> float | None:
    """The largest eigenvalue of H H^T at which ``function`` converges on this case, or None.

    Scaling X and H by one factor leaves the exact codes unchanged, and so leaves unchanged the
    iterates of a step that adapts to the parts. An answer that comes within 1e-6 of the exact
    distances (relative to each row's norm) on the case scaled to a largest eigenvalue of 0.1,
    1, 10 or 100, but not as given, has a step that ignores the scale.
    """
    largest = float(np.linalg.eigvalsh(H @ H.T).max())
    for target in (0.1, 1.0, 10.0, 100.0):
        factor = np.sqrt(target / largest)
        X_scaled, H_scaled = X * factor, H * factor
        try:
            W = np.asarray(function(X_scaled.copy(), H_scaled.copy(), n_steps), dtype=float)
        except Exception:  # any failure here just means no diagnosis
            return None
        if W.shape != expected.shape or not np.isfinite(W).all() or W.min() < -1e-9:
            continue
        excess = (np.linalg.norm(X_scaled - W @ H_scaled, axis=1)
                  - np.linalg.norm(X_scaled - expected @ H_scaled, axis=1))
        if np.all(excess <= 1e-6 * np.linalg.norm(X_scaled, axis=1)):
            return target
    return None


def check_projected_gradient(nnls_projected_gradient: Callable[..., Any]) -> None:
    """Check ``nnls_projected_gradient(X, H, n_steps) -> W`` (``W >= 0``, shape ``(n, r)``).

    Each row of ``W @ H`` must be within 1e-6 (relative) of the distance that the exact
    non-negative codes reach, after the ``n_steps`` the check passes (3,000).
    """
    cases = _pg_cases()
    n_steps = 3000
    check = ExerciseCheck(nnls_projected_gradient, "nnls_projected_gradient", len(cases))
    for label, X, H in cases:
        check.start(label)
        expected = np.array([_reference(row, H) for row in X])
        orientation_hint = (
            f"here X has shape {X.shape} and H has shape {H.shape} ({H.shape[0]} parts, one "
            f"per row). An error about shapes or dimensions usually means the parts matrix is "
            "used the wrong way round: the reconstruction is W @ H, of the shape of X, and the "
            "gradient of the loss with respect to W is (W @ H - X) @ H.T, of the shape of W.")
        W = check.array(_call(check, H, orientation_hint, X.copy(), H.copy(), n_steps), "W",
                        expected.shape,
                        nan_hint="the iteration diverged: a step larger than "
                                 "2 / (largest eigenvalue of H H^T) makes the loss grow.",
                        shape_hint="W has one row per row of X and one column per part; "
                                   "check the transposes in your gradient.")
        if W.min() < -1e-9:
            i, j = np.unravel_index(np.argmin(W), W.shape)
            check.fail(f"W[{i}, {j}] = {W.min():.4f} is negative.", expected=expected[i],
                       got=W[i], hint="after each gradient step the codes must be made "
                                      "feasible again (the projection onto w >= 0).")
        distance = np.linalg.norm(X - W @ H, axis=1)
        best = np.linalg.norm(X - expected @ H, axis=1)
        i = int(np.argmax(distance - best * (1 + 1e-6)))
        if not _pg_converged(W, X, H, expected):
            largest = float(np.linalg.eigvalsh(H @ H.T).max())
            hint = ("not converged. The step size decides, and a fixed number can be too "
                    "large for large parts (the codes oscillate or blow up) or too small for "
                    "small ones: the loss is quadratic in W, so what is its largest curvature, "
                    "and what step does that allow for any parts? Are all n_steps taken? "
                    f"(Here the largest eigenvalue of H H^T is {largest:.3g}.)")
            initial = np.linalg.norm(X, axis=1)
            if W.shape[0] == W.shape[1] and np.allclose(W.T, expected, atol=1e-4):
                hint = ("W is transposed: one row per row of X, one column per part.")
            elif distance[i] > initial[i] * (1 + 1e-9):
                hint = ("the reconstruction is worse than W = 0: the step goes uphill (a sign "
                        "in the gradient) or is too large (more than 2 / largest eigenvalue "
                        "of H H^T).")
            elif (target := _converges_rescaled(check.function, X, H, expected,
                                                n_steps)) is not None:
                size = "too small" if target > largest else "too large"
                hint = (f"your step size is fixed, or {size} for this scale: the same case "
                        f"with X and H multiplied by one factor, so that the largest "
                        f"eigenvalue of H H^T is {target:g} instead of {largest:.3g}, converges "
                        "(the exact codes do not change), this one does not. Each step moves "
                        "the codes by about the step times the curvature, which scales with "
                        "the square of the parts; what step would adapt to the parts, whatever "
                        "their scale?")
            check.fail(f"row {i} is reconstructed at distance {distance[i]:.6f}; non-negative "
                       f"codes reach {best[i]:.6f}.", expected=expected[i], got=W[i], hint=hint)
    check.done()
