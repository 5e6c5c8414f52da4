"""Checks for the notebooks' exercises: call one in the cell after your solution.

Each ``check_*`` function calls the function you wrote on a few hand-made cases and a few
random ones, and compares its answers with a reference. If every case passes it prints one
line. If a case fails it raises :class:`ExerciseFailed` with a message that says which case,
what was expected and what your function returned, and gives a hint. If your function still
raises ``NotImplementedError`` (the stub of the student notebooks), that error comes through
unchanged.

==========================  ===========================================================
notebook                    check
==========================  ===========================================================
01 k-means in depth         :func:`check_lloyd_step`: one Lloyd iteration
02 colour compression       :func:`check_compress_image`: quantise an image to n colours
03 NMF reconstruction       :func:`check_nnls_encoder`: the non-negative codes of new rows
04 k-means loss on MNIST    :func:`check_target_distribution`: DEC's sharpened targets
05 streaming k-means        :func:`check_warm_start`: continue k-means from earlier centres
06 inverting the transform  :func:`check_trilateration`: a point from its d+1 distances
07 beyond Euclidean         :func:`check_cosine_kmeans`: "normalise, then k-means"
08 k-means at scale         :func:`check_streamed_centers`: centres from streamed sums
==========================  ===========================================================
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from clustering_lib import assign, update_centroids

_LIBRARY_DIR = str(Path(__file__).resolve().parent)

__all__ = [
    "ExerciseCheck",
    "ExerciseFailed",
    "check_compress_image",
    "check_cosine_kmeans",
    "check_lloyd_step",
    "check_nnls_encoder",
    "check_streamed_centers",
    "check_target_distribution",
    "check_trilateration",
    "check_warm_start",
    "show_value",
]


class ExerciseFailed(AssertionError):
    """A check found a case where the student's function gives a different answer.

    In Jupyter only the message is shown (no stack trace of the checking code).
    """

    def _render_traceback_(self) -> list[str]:  # IPython's hook for custom error display
        return [f"{type(self).__name__}: {line}" if i == 0 else line
                for i, line in enumerate(str(self).splitlines())]


def show_value(value: Any, max_items: int = 12) -> str:
    """A compact, rounded rendering of a value for a feedback message."""
    if isinstance(value, str):
        return value
    array = np.asarray(value)
    if array.dtype == object:
        return repr(value)
    text = np.array2string(array, precision=4, suppress_small=True, threshold=max_items,
                           edgeitems=3, max_line_width=88)
    return text.replace("\n", "\n      ")


def _describe(value: Any) -> str:
    """What an argument is, in a few words: an array's shape and dtype, or its value."""
    if isinstance(value, _Stream):
        return f"a stream of {len(value.batches)} batches (it can be read once)"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} ({value.dtype})"
    if isinstance(value, int | float | str):
        return repr(value)
    return f"a {type(value).__name__}"


class ExerciseCheck:
    """The bookkeeping shared by the checks: case numbering, calls and messages."""

    def __init__(self, function: Callable[..., Any], exercise: str, n_cases: int) -> None:
        if not callable(function):
            raise TypeError(f"{exercise}: pass your function itself (without calling it), "
                            f"got {type(function).__name__}.")
        self.function = function
        self.exercise = exercise
        self.n_cases = n_cases
        self.case = 0
        self.label = ""

    def start(self, label: str) -> None:
        self.case += 1
        self.label = label

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """Call the student's function; errors other than NotImplementedError become feedback."""
        try:
            return self.function(*args, **kwargs)
        except NotImplementedError:
            raise
        except ExerciseFailed:
            raise
        except Exception as error:  # the student's code failed: say where, kindly
            frames = traceback.extract_tb(error.__traceback__)[1:]
            # The deepest line of the student's own code, not of NumPy or of this library.
            own = [frame for frame in frames if "site-packages" not in frame.filename
                   and not frame.filename.startswith(_LIBRARY_DIR)] or frames
            where = f" (line {own[-1].lineno}: {own[-1].line})" if own else ""
            self.fail(f"your function raised {type(error).__name__}: {error}{where}",
                      hint=f"it was called with {self._describe_arguments(args, kwargs)}.")

    def _describe_arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        try:
            names = list(inspect.signature(self.function).parameters)
        except (TypeError, ValueError):
            names = []
        described = []
        for index, value in enumerate(args):
            name = names[index] if index < len(names) else f"argument {index + 1}"
            described.append(f"{name} = {_describe(value)}")
        described += [f"{name} = {_describe(value)}" for name, value in kwargs.items()]
        return ", ".join(described)

    def fail(self, problem: str, expected: Any = None, got: Any = None,
             hint: str = "") -> NoReturn:
        lines = [f"{self.exercise}: not quite yet. Case {self.case} of {self.n_cases} "
                 f"({self.label}): {problem}"]
        if expected is not None or got is not None:
            lines += [f"  expected: {show_value(expected)}", f"  got:      {show_value(got)}"]
        if hint:
            lines.append(f"  Hint: {hint}")
        lines.append("Fix your function and run this cell again.")
        raise ExerciseFailed("\n".join(lines))

    def array(self, value: Any, what: str, shape: tuple[int, ...],
              nan_hint: str = "a mean over nothing is 0/0 = NaN; is something empty?",
              shape_hint: str = "compare with the shapes in the exercise's description; a "
                                "transposed or flattened result is a common slip.",
              ) -> np.ndarray:
        """The student's ``value`` as a float64 array of ``shape``, or a failure saying why."""
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            self.fail(f"{what} should be an array of numbers, got {type(value).__name__}.",
                      hint="return NumPy arrays (or tensors, or lists of numbers).")
        if array.shape != shape:
            self.fail(f"{what} has the wrong shape.", expected=f"shape {shape}",
                      got=f"shape {array.shape}", hint=shape_hint)
        if not np.isfinite(array).all():
            rows = np.unique(np.argwhere(~np.isfinite(array))[:, 0])
            self.fail(f"{what} contains NaN or infinity (at index {show_value(rows)}).",
                      hint=nan_hint)
        return array

    def pair(self, result: Any, names: str) -> None:
        """Fail unless ``result`` is a pair, named ``names`` (e.g. "labels, new_centers")."""
        if not isinstance(result, tuple | list) or len(result) != 2:
            self.fail(f"{self.exercise} should return two things, ({names}).",
                      got=f"a {type(result).__name__}",
                      hint=f"end the function with: return {names}")

    def done(self) -> None:
        print(f"{self.exercise}: all {self.n_cases} cases pass. Well done!")


def _first_difference(expected: np.ndarray, got: np.ndarray, rtol: float, atol: float) -> int:
    """Index of the first row (or entry) where ``got`` is not close to ``expected``."""
    close = np.isclose(got, expected, rtol=rtol, atol=atol)
    if close.ndim > 1:
        close = close.reshape(len(close), -1).all(axis=1)
    return int(np.argmin(close))


def _reference_lloyd_step(points: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, ...]:
    labels, _ = assign(points, centers)
    new_centers, counts = update_centroids(points, labels, len(centers),
                                           previous_centroids=centers)
    return labels.numpy(), new_centers.numpy(), counts.numpy()


_EMPTY_CLUSTER_HINT = ("a centre that no point is nearest to has no mean (0/0 = NaN); "
                       "it keeps its previous position.")


def _centres_differ(expected: np.ndarray, got: np.ndarray, rtol: float) -> bool:
    atol = 1e-6 * (1.0 + float(np.abs(expected).max()))
    return not np.allclose(got, expected, rtol=rtol, atol=atol)


def _compare_centres(check: ExerciseCheck, expected: np.ndarray, got: np.ndarray, what: str,
                     counts: np.ndarray, hint: str, rtol: float = 1e-5) -> None:
    if not _centres_differ(expected, got, rtol):
        return
    atol = 1e-6 * (1.0 + float(np.abs(expected).max()))
    row = _first_difference(expected, got, rtol, atol)
    if counts[row] == 0:
        hint = _EMPTY_CLUSTER_HINT
    check.fail(f"{what}: row {row} differs (it has {int(counts[row])} point(s)).",
               expected=expected[row], got=got[row], hint=hint)


# --- 01: one Lloyd iteration -----------------------------------------------------------------

def check_lloyd_step(lloyd_step: Callable[[np.ndarray, np.ndarray], Any]) -> None:
    """Check ``lloyd_step(X, centers) -> (labels, new_centers)``, one iteration of Lloyd.

    ``labels[i]`` is the index of the centre nearest to ``X[i]`` (E-step); ``new_centers[j]``
    is the mean of the points labelled ``j`` (M-step), or ``centers[j]`` if there are none.
    """
    rng = np.random.default_rng(1)
    five_points = np.array([[0.0, 0.0], [1.0, 0.0], [4.0, 0.0], [5.0, 1.0], [2.0, 0.0]])
    cases = [
        ("five points, two centres", five_points, np.array([[0.0, 0.0], [5.0, 0.0]])),
        ("three centres, one of them without points", five_points,
         np.array([[0.0, 0.0], [5.0, 0.0], [10.0, 10.0]])),
        ("integer coordinates, means that are not integers",
         np.array([[0], [1], [4], [5], [9]]), np.array([[0], [6]])),
        ("200 random points in 3-D, 5 centres", rng.normal(size=(200, 3)),
         rng.normal(size=(5, 3))),
        ("1,000 random points in 10-D, 8 centres", rng.normal(size=(1000, 10)) * 3.0,
         rng.normal(size=(8, 10))),
    ]
    check = ExerciseCheck(lloyd_step, "lloyd_step", len(cases))
    for label, points, centers in cases:
        check.start(label)
        expected_labels, expected_centers, counts = _reference_lloyd_step(
            points.astype(np.float64), centers.astype(np.float64))
        given_points, given_centers = points.copy(), centers.copy()
        result = check.call(given_points, given_centers)
        check.pair(result, "labels, new_centers")
        labels = check.array(result[0], "labels", expected_labels.shape)
        if not np.array_equal(labels, expected_labels):
            i = int(np.argmax(labels != expected_labels))
            distances = ((points[i] - centers) ** 2).sum(axis=1)
            check.fail(f"point {i}, {show_value(points[i])}, got label {labels[i]:g}; its squared "
                       f"distances to the centres are {show_value(distances)}.",
                       expected=expected_labels[i], got=labels[i],
                       hint="each point goes to the centre with the smallest distance "
                            "(np.argmin over the axis of the centres).")
        new_centers = check.array(result[1], "new_centers", expected_centers.shape,
                                  nan_hint=_EMPTY_CLUSTER_HINT)
        if not (np.array_equal(given_points, points) and np.array_equal(given_centers, centers)):
            check.fail("your function changed its inputs X or centers in place.",
                       hint="build new arrays for the results instead of writing into the "
                            "inputs.")
        truncated = np.floor(expected_centers)
        hint = "each new centre is the mean of the points labelled with its index."
        if not np.allclose(expected_centers, truncated) and np.allclose(new_centers, truncated):
            hint = ("the means were rounded down to integers: an array made with "
                    "np.zeros_like(centers) has the integer dtype of centers; use a float dtype.")
        _compare_centres(check, expected_centers, new_centers, "new_centers", counts, hint)
    check.done()


# --- 02: colour compression -------------------------------------------------------------------

def _smooth_image(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A photo-like test image: smooth colour gradients plus a little noise, uint8."""
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    image = np.stack([200 * x + 30, 150 * y + 60 * x, 220 - 180 * x * y], axis=-1)
    image += rng.normal(scale=6.0, size=image.shape)
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def _kmeans_palette_mse(pixels: np.ndarray, n_colors: int) -> float:
    """MSE of a k-means quantisation (scikit-learn, 2 starts), the quality bar."""
    from sklearn.cluster import KMeans

    model = KMeans(n_colors, n_init=2, random_state=0).fit(pixels)
    return float(np.mean((pixels - model.cluster_centers_[model.labels_]) ** 2))


def check_compress_image(compress_image: Callable[[np.ndarray, int], Any]) -> None:
    """Check ``compress_image(image, n_colors)``: the image repainted with n k-means colours.

    The result has the image's shape and its 0-255 scale, uses at most ``n_colors`` distinct
    colours, gives every pixel the palette colour nearest to it, and its mean squared error is
    close to that of scikit-learn's k-means.
    """
    rng = np.random.default_rng(2)
    four = np.array([[250, 30, 30], [30, 200, 40], [20, 40, 230], [240, 240, 240]], np.uint8)
    cases = [
        ("one colour: every pixel becomes the mean colour",
         rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8), 1),
        ("an image that has exactly 4 colours, compressed to 4",
         four[rng.integers(0, 4, size=(20, 30))], 4),
        ("a 40 x 60 photo-like image, 8 colours", _smooth_image(rng, 40, 60), 8),
        ("a 50 x 40 photo-like image, 8 colours", _smooth_image(rng, 50, 40), 8),
    ]
    check = ExerciseCheck(compress_image, "compress_image", len(cases))
    for label, image, n_colors in cases:
        check.start(label)
        result = check.call(image.copy(), n_colors)
        compressed = check.array(result, "the compressed image", image.shape)
        pixels = image.reshape(-1, 3).astype(np.float64)
        if compressed.max() <= 1.0 < pixels.max():
            check.fail("the result is on the 0-1 scale but the image is on 0-255.",
                       hint="return colours on the scale of the input (multiply by 255 if "
                            "you divided by 255).")
        palette, indices = np.unique(compressed.reshape(-1, 3), axis=0, return_inverse=True)
        if len(palette) > n_colors:
            check.fail(f"the result has {len(palette)} distinct colours.",
                       expected=f"at most {n_colors}", got=len(palette),
                       hint="repaint every pixel with the centre of its cluster: "
                            "centers[labels], reshaped to the image's shape.")
        distances = np.sqrt(((pixels[:, None, :] - palette[None]) ** 2).sum(axis=2))
        given = distances[np.arange(len(pixels)), indices.ravel()]
        worst = int(np.argmax(given - distances.min(axis=1)))
        if given[worst] > distances[worst].min() + 2.0:  # rounding moves a colour < sqrt(3)/2
            check.fail(f"pixel {worst} (colour {show_value(pixels[worst])}) was painted "
                       f"{show_value(palette[indices.ravel()[worst]])}, but the palette has a "
                       "nearer "
                       "colour.", expected=palette[np.argmin(distances[worst])],
                       got=palette[indices.ravel()[worst]],
                       hint="each pixel takes the colour of its own cluster (the labels of "
                            "the fit, or predict on every pixel), in the original order.")
        mse = float(np.mean((compressed.reshape(-1, 3) - pixels) ** 2))
        best = _kmeans_palette_mse(pixels, n_colors)
        if mse > 1.5 * best + 2.0:
            check.fail("the colours are further from the original than k-means manages.",
                       expected=f"mean squared error near {best:.1f}", got=f"{mse:.1f}",
                       hint="the palette should be the k-means centres of the pixels, fitted "
                            "on the pixels as rows of (red, green, blue).")
    check.done()


# --- 03: the NNLS encoder ---------------------------------------------------------------------

def _nnls_codes(X: np.ndarray, components: np.ndarray) -> np.ndarray:
    from scipy.optimize import nnls

    return np.array([nnls(components.T, row)[0] for row in X])


def check_nnls_encoder(encode: Callable[[np.ndarray, np.ndarray], Any]) -> None:
    """Check ``encode(X, H) -> W``: non-negative codes that minimise ``||X - W H||``.

    ``H`` holds the fixed parts (components) as rows; row ``i`` of ``W`` says how much of each
    part row ``i`` of ``X`` contains. All codes must be ``>= 0`` and, under that constraint,
    reconstruct ``X`` as well as possible (what NMF's ``transform`` computes).
    """
    rng = np.random.default_rng(3)
    parts = np.array([[0.5328, 0.0, 0.7369, 1.3312, 0.7984], [0.0, 0.9812, 0.6027, 0.0, 0.0]])
    cases = [
        ("the two new rows of the notebook's first example",
         np.array([[0.0, 0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]]), parts),
        ("a row that is exactly 2 x part 0 + 0.5 x part 1", np.array([[2.0, 0.5]]) @ parts, parts),
        ("x = (0, 1) with parts (1, 0) and (1, 1): least squares wants a negative code",
         np.array([[0.0, 1.0]]), np.array([[1.0, 0.0], [1.0, 1.0]])),
        ("20 random rows, 5 random parts in 12-D", rng.uniform(size=(20, 12)),
         rng.uniform(size=(5, 12))),
    ]
    check = ExerciseCheck(encode, "nnls_encoder", len(cases))
    for label, X, H in cases:
        check.start(label)
        expected = _nnls_codes(X, H)
        codes = check.array(check.call(X.copy(), H.copy()), "W", expected.shape)
        if codes.min() < -1e-9:
            i, j = np.unravel_index(np.argmin(codes), codes.shape)
            check.fail(f"code W[{i}, {j}] is negative.", expected=expected[i], got=codes[i],
                       hint="NMF's codes are non-negative: solve a non-negative least-squares "
                            "problem for each row (scipy.optimize.nnls(H.T, x)); plain least "
                            "squares (np.linalg.lstsq, the pseudo-inverse) allows negative codes.")
        residual = np.linalg.norm(X - codes @ H, axis=1)
        best = np.linalg.norm(X - expected @ H, axis=1)
        i = int(np.argmax(residual - best))
        if residual[i] > best[i] * (1 + 1e-5) + 1e-8:
            hint = "minimise ||x - w H|| over w >= 0 for each row x."
            if np.allclose(codes, np.maximum(X @ np.linalg.pinv(H), 0), atol=1e-6):
                hint = ("these are least-squares codes with the negative ones set to 0. After "
                        "fixing a code at 0 the other codes must be re-fitted, which is what "
                        "scipy.optimize.nnls does.")
            check.fail(f"row {i} is reconstructed with error {residual[i]:.4f}; non-negative "
                       f"codes can reach {best[i]:.4f}.", expected=expected[i], got=codes[i],
                       hint=hint)
    check.done()


# --- 04: DEC's target distribution ------------------------------------------------------------

def check_target_distribution(target_distribution: Callable[[np.ndarray], Any]) -> None:
    """Check ``target_distribution(q) -> p`` with ``p_ij ∝ q_ij**2 / f_j``, ``f_j = sum_i q_ij``.

    ``q`` holds soft assignments (rows sum to 1); each row of ``p`` sums to 1.
    """
    rng = np.random.default_rng(4)
    cases = [
        ("three points, two clusters", np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]])),
        ("a point that is certain of its cluster", np.array([[1.0, 0.0], [0.5, 0.5],
                                                              [0.3, 0.7]])),
        ("one large cluster: f_j pulls the targets towards the small one",
         np.array([[0.6, 0.4]] * 8 + [[0.1, 0.9]])),
        ("100 random points, 10 clusters", rng.dirichlet(np.full(10, 0.5), size=100)),
    ]
    check = ExerciseCheck(target_distribution, "target_distribution", len(cases))
    for label, q in cases:
        check.start(label)
        weights = q**2 / q.sum(axis=0)
        expected = weights / weights.sum(axis=1, keepdims=True)
        p = check.array(check.call(q.copy()), "p", q.shape)
        if np.allclose(p, expected, rtol=1e-5, atol=1e-7):
            continue
        i = _first_difference(expected, p, 1e-5, 1e-7)
        hint = "square q, divide each column by its sum f_j, then divide each row by its sum."
        without_frequency = q**2 / (q**2).sum(axis=1, keepdims=True)
        if np.allclose(p, without_frequency, atol=1e-6):
            hint = ("this is q**2 normalised per row, without the cluster frequencies: divide "
                    "q**2 by f_j = q.sum(axis=0) before normalising the rows.")
        elif np.allclose(p.sum(axis=0), 1.0, atol=1e-6) and not np.allclose(p.sum(axis=1), 1.0):
            hint = ("the columns of your p sum to 1; it is the rows (one target distribution "
                    "per point) that must: sum over axis=1 with keepdims=True.")
        elif not np.allclose(p.sum(axis=1), 1.0, atol=1e-6):
            hint = "each row of p must sum to 1: normalise the rows last."
        check.fail(f"row {i} of p differs.", expected=expected[i], got=p[i], hint=hint)
    check.done()


# --- 05: warm start ---------------------------------------------------------------------------

def _reference_lloyd(points: np.ndarray, centers: np.ndarray, max_iter: int = 300) -> np.ndarray:
    """Lloyd's iterations from ``centers`` until the labels stop changing."""
    labels = None
    for _ in range(max_iter):
        new_labels, centers, _ = _reference_lloyd_step(points, centers)
        if labels is not None and np.array_equal(new_labels, labels):
            break
        labels = new_labels
    return centers


def check_warm_start(warm_start: Callable[[np.ndarray, np.ndarray], Any]) -> None:
    """Check ``warm_start(X, previous_centers) -> centers``: k-means continued on new data.

    Lloyd's algorithm runs on ``X`` starting from ``previous_centers`` (one start, no new
    initialisation) until it converges; centre ``j`` of the result continues centre ``j``.
    """
    rng = np.random.default_rng(5)
    blob_centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    drifted = np.repeat(blob_centres + [0.8, 0.5], 100, axis=0) + rng.normal(0, 0.5, (300, 2))
    four_blobs = np.repeat([[0.0, 0.0], [0.0, 4.0], [8.0, 0.0], [8.0, 4.0]], 60, axis=0)
    four_blobs = four_blobs + rng.normal(0, 0.4, four_blobs.shape)
    cases = [
        ("1-D, two centres, the new points next to them",
         np.array([[1.0], [1.5], [11.0], [12.0]]), np.array([[0.0], [10.0]])),
        ("the same, with the previous centres listed in the other order",
         np.array([[1.0], [1.5], [11.0], [12.0]]), np.array([[10.0], [0.0]])),
        ("three blobs that drifted by (0.8, 0.5)", drifted, blob_centres),
        ("four blobs, and previous centres that k-means cannot fully repair",
         four_blobs, np.array([[-0.5, 0.0], [0.5, 0.0], [8.0, 1.0], [8.0, 3.0]])),
    ]
    check = ExerciseCheck(warm_start, "warm_start", len(cases))
    for label, X, previous in cases:
        check.start(label)
        expected = _reference_lloyd(X, previous)
        given = previous.copy()
        centers = check.array(check.call(X.copy(), given), "the centres", expected.shape)
        if not np.array_equal(given, previous):
            check.fail("your function changed previous_centers in place.",
                       hint="pass them as the starting point (init=...) and return new centres.")
        atol = 1e-4 * (1.0 + float(np.abs(X).max()))
        if np.allclose(centers, expected, rtol=1e-4, atol=atol):
            continue
        hint = ("run k-means on X with init=previous_centers and n_init=1 (a single start "
                "from those centres), until it converges.")
        order = np.argsort(centers[:, 0] + 1e-3 * centers[:, -1])
        same_set = np.allclose(centers[order], expected[np.argsort(expected[:, 0]
                                                                   + 1e-3 * expected[:, -1])],
                               rtol=1e-4, atol=atol)
        if same_set:
            hint = ("the centres are right but in another order: a warm start keeps each "
                    "centre's identity, so centre j must continue previous_centers[j]. Did "
                    "you start from scratch instead of from the previous centres?")
        elif np.allclose(centers, previous, atol=atol):
            hint = "the centres did not move: fit on the new data X, starting from them."
        row = _first_difference(expected, centers, 1e-4, atol)
        check.fail(f"centre {row} differs.", expected=expected[row], got=centers[row],
                   hint=hint)
    check.done()


# --- 06: trilateration ------------------------------------------------------------------------

def _solve_from_distances(centers: np.ndarray, distances: np.ndarray) -> np.ndarray:
    """The point whose distances to ``centers`` are ``distances`` (least squares)."""
    lhs = 2.0 * (centers[1:] - centers[0])
    rhs = (distances[0] ** 2 - distances[1:] ** 2
           + (centers[1:] ** 2).sum(axis=1) - (centers[0] ** 2).sum())
    return np.linalg.lstsq(lhs, rhs, rcond=None)[0]


def check_trilateration(trilaterate: Callable[[np.ndarray, np.ndarray], Any]) -> None:
    """Check ``trilaterate(centers, distances) -> x`` for ``d + 1`` centres in ``d`` dimensions.

    ``distances[j]`` is the Euclidean distance from the unknown point ``x`` to ``centers[j]``
    (what ``KMeans.transform`` returns, not squared).
    """
    rng = np.random.default_rng(6)
    far = rng.normal(size=(4, 3)) + 1000.0
    cases = [
        ("in the plane: centres (0, 0), (4, 0), (0, 3)",
         np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 3.0]]), np.array([1.0, 1.0])),
        ("a point outside the triangle of the centres",
         np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 3.0]]), np.array([5.0, -2.0])),
        ("3-D, four random centres", rng.normal(size=(4, 3)), rng.normal(size=3)),
        ("5-D, six random centres", rng.normal(size=(6, 5)) * 4.0, rng.normal(size=5)),
        ("centres far from the origin (near 1000)", far, far.mean(axis=0) + rng.normal(size=3)),
    ]
    check = ExerciseCheck(trilaterate, "trilaterate", len(cases))
    for label, centers, point in cases:
        check.start(label)
        distances = np.linalg.norm(centers - point, axis=1)
        result = check.call(centers.copy(), distances.copy())
        if np.size(result) == len(point):  # accept (d,), (1, d) or (d, 1)
            result = np.reshape(result, -1)
        got = check.array(result, "x", point.shape)
        scale = 1.0 + float(np.abs(centers).max())
        if np.allclose(got, point, rtol=0.0, atol=1e-6 * scale):
            continue
        hint = ("subtract the sphere equation of centre 0 from that of centre j: "
                "2 (c_0 - c_j) . x = D_j^2 - D_0^2 + |c_0|^2 - |c_j|^2 for j = 1, ..., d, "
                "a d x d linear system (np.linalg.solve).")
        unsquared = _solve_from_distances(centers, np.sqrt(distances))
        if np.allclose(got, unsquared, atol=1e-6 * scale):
            hint = ("the equations hold for squared distances D_j^2; square the distances "
                    "first.")
        check.fail("the point is not the one at these distances.", expected=point, got=got,
                   hint=hint)
    check.done()


# --- 07: cosine k-means by normalisation ------------------------------------------------------

def _directions_data(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points along three directions, lengths from 0.1 to 100: only the angle tells them apart."""
    angles = np.repeat(np.deg2rad([10.0, 55.0, 100.0]), 40) + rng.normal(0, 0.03, 120)
    lengths = 10.0 ** rng.uniform(-1, 2, 120)
    points = np.c_[np.cos(angles), np.sin(angles)] * lengths[:, None]
    return points, np.repeat([0, 1, 2], 40)


def check_cosine_kmeans(cosine_kmeans: Callable[..., Any]) -> None:
    """Check ``cosine_kmeans(X, n_clusters, random_state=0) -> (labels, centers)``.

    "Normalise, then k-means": scale every row of ``X`` to unit length and run ordinary
    k-means on the unit rows. ``centers`` are that k-means's centres, the means of the unit
    rows of each cluster (shorter than 1, unlike spherical k-means's).
    """
    from sklearn.metrics import adjusted_rand_score

    from clustering_lib import make_topic_documents

    rng = np.random.default_rng(7)
    directions, truth = _directions_data(rng)
    documents, topics = make_topic_documents(n_documents=200, length_range=(20, 2000),
                                             random_state=7)
    scaled = directions * 10.0 ** rng.uniform(-2, 2, (len(directions), 1))
    cases = [
        ("three directions in the plane, lengths from 0.1 to 100", directions, truth, 3),
        ("the same points, each multiplied by a random factor", scaled, truth, 3),
        ("200 synthetic documents about 4 topics", documents, topics, 4),
    ]
    check = ExerciseCheck(cosine_kmeans, "cosine_kmeans", len(cases))
    for label, X, true_labels, n_clusters in cases:
        check.start(label)
        result = check.call(X.copy(), n_clusters, random_state=0)
        check.pair(result, "labels, centers")
        labels = check.array(result[0], "labels", (len(X),)).astype(np.int64)
        centers = check.array(result[1], "centers", (n_clusters, X.shape[1]))
        ari = adjusted_rand_score(true_labels, labels)
        if ari < 0.99:
            hint = ("points that point the same way should end up together, whatever their "
                    "length: divide each row by its norm (axis=1, keepdims=True) before k-means.")
            check.fail("the clusters do not follow the directions of the rows.",
                       expected="adjusted Rand index with the true groups of about 1",
                       got=f"{ari:.2f}", hint=hint)
        unit = X / np.linalg.norm(X, axis=1, keepdims=True)
        for j in np.unique(labels):
            mean = unit[labels == j].mean(axis=0)
            if np.allclose(centers[j], mean, atol=1e-4):
                continue
            hint = "centers[j] is the mean of the unit rows labelled j."
            if np.allclose(centers[j], mean / np.linalg.norm(mean), atol=1e-4):
                hint = ("your centre has length 1, as in spherical k-means. 'Normalise, then "
                        "k-means' keeps the plain means of the unit rows (shorter than 1).")
            check.fail(f"centre {j} is not the mean of its cluster's unit rows.",
                       expected=mean, got=centers[j], hint=hint)
    check.done()


# --- 08: centres from streamed sums -----------------------------------------------------------

def _mean_of_batch_means(batches: list[np.ndarray], centers: np.ndarray) -> np.ndarray:
    """The typical mistake: each batch's cluster means, averaged over the batches."""
    means = []
    for batch in batches:
        batch = batch.astype(np.float64)
        labels, _, counts = _reference_lloyd_step(batch, centers)
        sums = np.zeros_like(centers, dtype=np.float64)
        np.add.at(sums, labels, batch)
        with np.errstate(invalid="ignore", divide="ignore"):
            means.append(sums / counts[:, None])
    stacked = np.stack(means)
    present = ~np.isnan(stacked)
    return np.where(present.any(axis=0),
                    np.nansum(stacked, axis=0) / np.maximum(present.sum(axis=0), 1), centers)


class _Stream:
    """Batches that can be read once, like data arriving over a network."""

    def __init__(self, batches: list[np.ndarray]) -> None:
        self.batches = batches
        self.reads = 0

    def __iter__(self) -> Iterator[np.ndarray]:
        self.reads += 1
        if self.reads > 1:
            raise ExerciseFailed(
                "streamed_centers: the batches were read a second time, but a stream can be "
                "read only once.\n  Hint: accumulate the per-cluster sums and counts while "
                "you read each batch, then divide once at the end.")
        return (batch.copy() for batch in self.batches)


def check_streamed_centers(streamed_centers: Callable[[Iterable[np.ndarray], np.ndarray], Any],
                           ) -> None:
    """Check ``streamed_centers(batches, centers) -> (new_centers, counts)``.

    One Lloyd update over data that arrive in batches and can be read once: each point of
    each batch is assigned to its nearest centre, per-cluster sums and counts are accumulated
    over the batches, and ``new_centers = sums / counts``; a centre with no points keeps its
    position. The result equals one Lloyd step on all the data at once.
    """
    rng = np.random.default_rng(8)
    points = rng.normal(size=(600, 4)) * 2.0
    centers = rng.normal(size=(5, 4))
    sizes = np.array([1, 7, 50, 142, 400])
    cases = [
        ("all the data in one batch", [points], centers),
        ("batches of 1, 7, 50, 142 and 400 points", np.split(points, np.cumsum(sizes)[:-1]),
         centers),
        ("a centre far away that no point is nearest to",
         np.array_split(points, 6), np.vstack([centers[:4], np.full((1, 4), 100.0)])),
        ("100 batches of 6 points, float32", np.array_split(points.astype(np.float32), 100),
         centers),
    ]
    check = ExerciseCheck(streamed_centers, "streamed_centers", len(cases))
    for label, batches, start in cases:
        check.start(label)
        everything = np.concatenate(batches).astype(np.float64)
        _, expected, counts = _reference_lloyd_step(everything, start)
        result = check.call(_Stream(batches), start.copy())
        check.pair(result, "new_centers, counts")
        got_counts = check.array(result[1], "counts", counts.shape)
        if not np.array_equal(got_counts, counts):
            check.fail("the number of points per centre differs.", expected=counts,
                       got=got_counts, hint="count, for every centre, the points of every batch "
                                            "nearest to it (np.bincount(labels, minlength=k)).")
        got = check.array(result[0], "new_centers", expected.shape,
                          nan_hint=_EMPTY_CLUSTER_HINT)
        hint = ("new_centers = (sum of the points of each cluster) / (their number), over all "
                "batches.")
        if len(batches) > 1 and _centres_differ(expected, got, 1e-5):
            mean_of_means = _mean_of_batch_means(batches, start)
            if np.allclose(got, mean_of_means, atol=1e-6):
                hint = ("this is the average of the batches' means, which weighs a batch of 1 "
                        "point like a batch of 400: accumulate sums and counts over the "
                        "batches and divide once at the end.")
        _compare_centres(check, expected, got, "new_centers", counts, hint, rtol=1e-5)
    check.done()
