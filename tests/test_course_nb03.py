"""The checks of notebook 03's exercises accept right answers and diagnose the usual slips."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from clustering_course.nmf_lessons import (
    ExerciseFailed,
    check_cone_codes,
    check_projected_gradient,
)


def _cone_codes(x, H):
    best, best_distance = np.zeros(len(H)), np.linalg.norm(x)
    for size in range(1, len(H) + 1):
        for passive in map(list, itertools.combinations(range(len(H)), size)):
            fitted = np.linalg.lstsq(H[passive].T, x, rcond=None)[0]
            if fitted.min() <= 0:
                continue
            w = np.zeros(len(H))
            w[passive] = fitted
            if np.linalg.norm(x - w @ H) < best_distance:
                best, best_distance = w, np.linalg.norm(x - w @ H)
    return best


def _projected_gradient(X, H, n_steps=3000, step_scale=1.0, project=True):
    step = step_scale / np.linalg.eigvalsh(H @ H.T).max()
    W = np.zeros((len(X), len(H)))
    for _ in range(n_steps):
        W = W - step * (W @ H - X) @ H.T
        if project:
            W = np.maximum(W, 0.0)
    return W


def test_cone_codes_accepts_the_enumeration(capsys):
    check_cone_codes(_cone_codes)
    assert "all 8 cases pass" in capsys.readouterr().out


def test_cone_codes_accepts_scipy():
    from scipy.optimize import nnls

    check_cone_codes(lambda x, H: nnls(H.T, x)[0])


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (lambda x, H: np.linalg.lstsq(H.T, x, rcond=None)[0], "non-negativity constraint"),
        (lambda x, H: np.maximum(np.linalg.lstsq(H.T, x, rcond=None)[0], 0), "clipping"),
        (lambda x, H: _cone_codes(x, H.T) if H.shape[0] == H.shape[1] else _cone_codes(x, H),
         "transposed parts matrix"),
        (lambda x, H: _cone_codes(x, H.T), "wrong way round"),
        (lambda x, H: np.zeros(len(H)), "not the nearest point"),
        (lambda x, H: _cone_codes(x, H)[None, :], "wrong shape"),
    ],
)
def test_cone_codes_diagnoses(wrong, message):
    with pytest.raises(ExerciseFailed, match=message):
        check_cone_codes(wrong)


def _drop_and_refit(x, H):
    """Least squares, drop the parts with negative codes, fit again (the usual wrong answer)."""
    w = np.linalg.lstsq(H.T, x, rcond=None)[0]
    kept = w >= 0
    codes = np.zeros(len(H))
    if kept.any():
        codes[kept] = np.linalg.lstsq(H[kept].T, x, rcond=None)[0]
    return codes


def test_cone_codes_diagnoses_dropping_the_negative_codes():
    with pytest.raises(ExerciseFailed) as failure:
        check_cone_codes(_drop_and_refit)
    message = str(failure.value)
    assert "Case 8 of 8" in message and "dropping the parts" in message


def test_cone_codes_diagnoses_a_forgotten_empty_passive_set():
    def forgets_the_empty_set(x, H):
        w = _cone_codes(x, H)
        return None if not w.any() else w

    with pytest.raises(ExerciseFailed) as failure:
        check_cone_codes(forgets_the_empty_set)
    message = str(failure.value)
    assert "Case 5 of 8" in message and "returned None" in message
    assert "empty passive set" in message and "columns of H" not in message


def test_wrong_way_round_keeps_the_error_and_its_line():
    with pytest.raises(ExerciseFailed) as failure:
        check_cone_codes(lambda x, H: _cone_codes(x, H.T))
    message = str(failure.value)
    assert "Case 1 of 8" in message and "raised LinAlgError" in message
    assert "(line " in message and "H has shape (2, 5)" in message
    assert "it was called with" not in message


def test_cone_codes_stub_error_passes_through():
    def stub(x, H):
        raise NotImplementedError("Your turn: ...")

    with pytest.raises(NotImplementedError):
        check_cone_codes(stub)


def test_projected_gradient_accepts_a_right_answer(capsys):
    check_projected_gradient(_projected_gradient)
    assert "all 4 cases pass" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (lambda X, H, n: _projected_gradient(X, H, n, project=False), "made feasible again"),
        (lambda X, H, n: _projected_gradient(X, H, n, step_scale=3.0), "step size|worse than"),
        (lambda X, H, n: _projected_gradient(X, H, n, step_scale=10.0), "step size"),
        (lambda X, H, n: _projected_gradient(X, H, 5), "not converged"),
        (lambda X, H, n: _projected_gradient(X, H, n).T, "transposed"),
        (lambda X, H, n: _projected_gradient(X, H.T, n), "wrong way round"),
        (lambda X, H, n: _projected_gradient(X, H, n)[:, :1], "wrong shape"),
        (lambda X, H, n: np.full((len(X), len(H)), np.nan), "diverged"),
    ],
)
def test_projected_gradient_diagnoses(wrong, message):
    with pytest.raises(ExerciseFailed, match=message):
        check_projected_gradient(wrong)


def _fixed_step(X, H, n_steps, step):
    W = np.zeros((len(X), len(H)))
    for _ in range(n_steps):
        W = np.maximum(W - step * (W @ H - X) @ H.T, 0.0)
    return W


@pytest.mark.parametrize(("step", "case", "size"),
                         [(0.01, "Case 4 of 4", "too small"), (0.001, "Case 1 of 4", "too small"),
                          (0.05, "Case 2 of 4", "too large")])
def test_projected_gradient_diagnoses_a_fixed_step(step, case, size):
    with pytest.raises(ExerciseFailed) as failure:
        check_projected_gradient(lambda X, H, n: _fixed_step(X, H, n, step))
    message = str(failure.value)
    assert case in message and f"step size is fixed, or {size} for this scale" in message
    assert "1 / L" not in message and "eigvalsh" not in message


def test_projected_gradient_hint_points_without_solving():
    with pytest.raises(ExerciseFailed) as failure:
        check_projected_gradient(lambda X, H, n: _projected_gradient(X, H, 5))
    message = str(failure.value)
    assert "largest curvature" in message and "1 / L" not in message


def test_plot_image_grid_centers_the_title_over_the_images():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from clustering_course.nmf_lessons import plot_image_grid

    images = np.random.default_rng(0).uniform(size=(12, 64))
    fig = plot_image_grid(images, n_columns=6, vmin=0, vmax=1, suptitle="grid",
                          colorbar_label="pixel value", row_labels=["a", "b"])
    grid, colorbar = fig.axes[:12], fig.axes[12]
    left = min(ax.get_position().x0 for ax in grid)
    right = max(ax.get_position().x1 for ax in grid)
    assert colorbar.get_position().x0 > right  # the colour bar sits beside the grid
    assert abs(fig._suptitle.get_position()[0] - (left + right) / 2) < 1e-9
    assert [grid[0].get_ylabel(), grid[6].get_ylabel()] == ["a", "b"]
    plt.close(fig)


def test_plot_span_and_cone_draws_both_panels():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from clustering_course.nmf_lessons import plot_span_and_cone

    toy_parts = np.array([[1.0, 0.3], [0.35, 1.0]])
    toy_X = np.array([[0.5, 0.5], [1.0, 0.0], [0.0, 1.0]])
    regions = {"inside": np.array([True, False, False]), "ray 0": np.array([False, True, False]),
               "ray 1": np.array([False, False, True])}
    fig = plot_span_and_cone(np.eye(2), np.array([[0.4, 0.4], [0.3, -0.1]]),
                             np.array([[0.4, 0.4], [0.3, 0.0]]), toy_parts, toy_X, toy_X, regions)
    assert len(fig.axes) == 2 and all(ax.get_xlabel() and ax.get_title() for ax in fig.axes)
    plt.close(fig)


def test_projected_gradient_cases_span_the_scales_that_the_exercise_names():
    from clustering_course.nmf_lessons import _pg_cases

    largest = [np.linalg.eigvalsh(H @ H.T).max() for _, _, H in _pg_cases()]
    assert f"{min(largest):.2g}" == "0.018" and round(max(largest)) == 101
