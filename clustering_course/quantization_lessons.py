"""Course-only helpers of notebook 02 (colour compression): a figure helper and the checks of
its two exercises.

- :func:`show_pixels`: images side by side at a whole-number zoom (no resampling);
- :func:`check_dither`: Floyd-Steinberg error diffusion onto a given palette;
- :func:`check_quantize_lab`: k-means in CIELAB instead of RGB (the optional exercise).

Both call the student's function on small hand-made images and compare it with a reference
written here; when the answer is wrong they run the usual mistakes too (wrong weights, wrong
neighbours, no clipping, a 0-255 float image that ``imshow`` shows nearly white, Lab values
returned instead of RGB, colours on a 0-1 scale handed to ``srgb_to_lab``, ...) and name the
one the answer matches. Failures raise
:class:`clustering_course.exercises.ExerciseFailed` with a hint, as the library's checks do.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from clustering_course.exercises import ExerciseCheck, ExerciseFailed

__all__ = [
    "FLOYD_STEINBERG",
    "check_dither",
    "check_quantize_lab",
    "floyd_steinberg",
    "mean_delta_e",
    "show_pixels",
    "srgb_to_lab",
]

def show_pixels(images: list[Any], titles: list[str],
                zoom: int | list[int] = 1) -> tuple[Any, list]:
    """Images side by side, each pixel drawn as ``zoom`` x ``zoom`` pixels of the figure.

    The figure is sized from the images and ``matplotlib``'s ``figure.dpi`` so that no row or
    column of an image is dropped or blended: each axes covers exactly its image's pixels
    times its zoom, and images are drawn with ``interpolation="nearest"``.

    Parameters
    ----------
    images : list of arrays
        RGB images (height, width, 3), ``uint8`` or floats in [0, 1], or 2-D arrays (drawn
        with ``viridis``).
    titles : list of str
        One title per image.
    zoom : int or list of int, default=1
        One whole-number zoom for all images, or one per image.

    Returns
    -------
    fig, axes : the figure and the list of its axes, one per image.
    """
    import matplotlib.pyplot as plt

    zooms = [zoom] * len(images) if np.isscalar(zoom) else list(zoom)
    if any(int(z) != z or z < 1 for z in zooms):
        raise ValueError(f"zoom must be a whole number of at least 1, got {zoom!r}")
    sizes = [(image.shape[1] * int(z), image.shape[0] * int(z))
             for image, z in zip(images, zooms, strict=True)]
    gap, title_room = 12, 26  # pixels
    fig_width = sum(w for w, _ in sizes) + gap * (len(images) - 1)
    fig_height = max(h for _, h in sizes) + title_room
    dpi = plt.rcParams["figure.dpi"]
    fig = plt.figure(figsize=(fig_width / dpi, fig_height / dpi))
    axes, x = [], 0
    for image, title, (w, h) in zip(images, titles, sizes, strict=True):
        ax = fig.add_axes((x / fig_width, (fig_height - title_room - h) / fig_height,
                           w / fig_width, h / fig_height))
        ax.imshow(image, interpolation="nearest", cmap="viridis")  # cmap: 2-D arrays only
        ax.set(title=title, xticks=[], yticks=[])
        axes.append(ax)
        x += w + gap
    return fig, axes


#: Floyd and Steinberg's (1976) weights, in sixteenths, for the neighbours not yet visited:
#: (row offset, column offset) -> weight.
FLOYD_STEINBERG = {(0, 1): 7, (1, -1): 3, (1, 0): 5, (1, 1): 1}

# --- colour science --------------------------------------------------------------------------

_SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                         [0.2126729, 0.7151522, 0.0721750],
                         [0.0193339, 0.1191920, 0.9503041]])
_WHITE_D65 = np.array([0.95047, 1.0, 1.08883])


def srgb_to_lab(rgb: Any) -> np.ndarray:
    """CIELAB coordinates (L* 0-100, a*, b*) of sRGB colours given on the 0-255 scale (D65)."""
    unit = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(unit <= 0.04045, unit / 12.92, ((unit + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _SRGB_TO_XYZ.T / _WHITE_D65
    delta = 6 / 29
    f = np.where(xyz > delta**3, np.cbrt(xyz), xyz / (3 * delta**2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1)


def mean_delta_e(reference: Any, image: Any) -> float:
    """Mean CIE76 colour difference (Euclidean distance in CIELAB) between two 0-255 images."""
    difference = srgb_to_lab(reference) - srgb_to_lab(image)
    return float(np.mean(np.linalg.norm(difference, axis=-1)))


# --- Floyd-Steinberg, and its usual mistakes ---------------------------------------------------

def floyd_steinberg(image: Any, palette: Any, *, weights: dict | None = None, clip: bool = True,
                    sign: float = 1.0, diffuse: bool = True, store: str = "float") -> np.ndarray:
    """Error diffusion onto ``palette`` (uint8, k x 3), pixel by pixel in reading order.

    Each pixel's value (its colour plus the errors it has received) is clipped to 0-255, takes
    the nearest palette colour (Euclidean in RGB), and the difference value - colour is shared
    among the unvisited neighbours with ``weights``. The keyword arguments other than
    ``weights`` exist to reproduce mistakes (no clipping, the error's sign flipped, no
    diffusion at all, whole-number working values: ``store="uint8"`` truncates each received
    value to a whole number in 0-255, as a uint8 working copy does, ``store="uint8 floor"``
    rounds each share of the error down, as integer division does; an int16 working copy
    with ``//`` agrees with both on 99-100% of the pixels of :func:`check_dither`'s cases).
    Returns a uint8 image of palette colours.
    """
    weights = FLOYD_STEINBERG if weights is None else weights
    work = np.asarray(image, dtype=np.float64).copy()
    colors = np.asarray(palette, dtype=np.float64)
    height, width, _ = work.shape
    chosen = np.empty((height, width), dtype=np.intp)
    for y in range(height):
        for x in range(width):
            value = np.clip(work[y, x], 0, 255) if clip else work[y, x]
            index = int(np.argmin(((colors - value) ** 2).sum(axis=1)))
            chosen[y, x] = index
            if not diffuse:
                continue
            error = sign * (value - colors[index])
            for (dy, dx), weight in weights.items():
                if 0 <= y + dy < height and 0 <= x + dx < width:
                    if store == "float":
                        work[y + dy, x + dx] += error * weight / 16
                    elif store == "uint8":
                        work[y + dy, x + dx] = np.clip(np.trunc(work[y + dy, x + dx]
                                                                + error * weight / 16), 0, 255)
                    else:
                        work[y + dy, x + dx] = np.clip(work[y + dy, x + dx]
                                                       + np.floor(error * weight / 16), 0, 255)
    return np.asarray(palette, dtype=np.uint8)[chosen]


_NEIGHBOR_HINT = ("the error goes only to pixels not visited yet: right (x+1) in the same "
                   "row, and below-left, below, below-right in the next row (y+1).")
_INTEGER_HINT = ("the shares of the error (7/16, 3/16, 5/16, 1/16 of it) are fractions: "
                 "rounding them to whole numbers, as an integer working copy or // does, "
                 "changes the colours of the pixels that follow. Work on a float copy of the "
                 "image (a uint8 copy also cannot go below 0 or above 255).")
_MISTAKES = {
    "weights in the wrong order (7/16 and 1/16 swapped)":
        (dict(weights={(0, 1): 1, (1, -1): 3, (1, 0): 5, (1, 1): 7}),
         "7/16 goes to the right neighbour, 1/16 to the one below-right."),
    "below-left and below weights swapped (5/16 and 3/16)":
        (dict(weights={(0, 1): 7, (1, -1): 5, (1, 0): 3, (1, 1): 1}),
         "3/16 goes below-left, 5/16 straight below."),
    "weights divided by 4 instead of 16":
        (dict(weights={key: 4 * value for key, value in FLOYD_STEINBERG.items()}),
         "the four weights 7, 3, 5, 1 are sixteenths: they add up to one."),
    "rows and columns swapped (the error went down the column instead of along the row)":
        (dict(weights={(1, 0): 7, (-1, 1): 3, (0, 1): 5, (1, 1): 1}), _NEIGHBOR_HINT),
    "the error also went to the row above or to the left (pixels already visited)":
        (dict(weights={(0, 1): 7, (-1, 1): 3, (1, 0): 5, (1, 1): 1}), _NEIGHBOR_HINT),
    "the error went below-left and below-right the wrong way round":
        (dict(weights={(0, 1): 7, (1, 1): 3, (1, 0): 5, (1, -1): 1}), _NEIGHBOR_HINT),
    "no clipping":
        (dict(clip=False),
         "clip each pixel's value (colour plus errors received) to 0-255 before choosing its "
         "palette colour, and take the error from the clipped value; otherwise errors grow "
         "without bound near saturated colours."),
    "the error's sign flipped (palette colour minus value)":
        (dict(sign=-1.0), "the error is what the pixel wanted minus what it got: value - colour."),
    "the errors rounded to whole numbers (each pixel's received errors cut to a whole "
    "number, as an integer working copy does)":
        (dict(store="uint8"), _INTEGER_HINT),
    "each share of the error rounded down to a whole number (integer division, //)":
        (dict(store="uint8 floor"), _INTEGER_HINT),
    "no diffusion (every pixel just takes its nearest colour)":
        (dict(diffuse=False),
         "read each pixel from the working copy that collects the errors, not from the "
         "original image."),
}


class _ImageCheck(ExerciseCheck):
    """The shared check, with an image-specific hint for a failing call and an image test."""

    def call(self, *args: Any) -> Any:
        try:
            return self.function(*args)
        except (NotImplementedError, ExerciseFailed):
            raise
        except Exception as error:
            frames = [frame for frame in traceback.extract_tb(error.__traceback__)[1:]
                      if "site-packages" not in frame.filename]
            where = f" (line {frames[-1].lineno}: {frames[-1].line})" if frames else ""
            hint = ("an integer array cannot hold the errors' fractions: work on a float "
                    "copy of the image."
                    if "cast" in str(error).lower() else
                    "it was called with " + ", ".join(
                        f"an array of shape {a.shape} ({a.dtype})" if isinstance(a, np.ndarray)
                        else repr(a) for a in args) + ".")
            self.fail(f"your function raised {type(error).__name__}: {error}{where}", hint=hint)

    def image(self, result: Any, shape: tuple[int, ...]) -> np.ndarray:
        """The result as a uint8 image of ``shape``, or a failure saying why it is not one."""
        if not isinstance(result, np.ndarray):
            try:
                result = np.asarray(result)
            except (TypeError, ValueError):
                self.fail(f"the result should be an image (a NumPy array), got "
                          f"{type(result).__name__}.")
        if result.shape != shape:
            hint = ("return the image of palette colours, palette[indices], not the indices."
                    if result.shape == shape[:2] else
                    "the result has the shape of the input image: (height, width, 3).")
            self.fail("the result has the wrong shape.", hint=hint, expected=shape,
                      got=result.shape)
        if result.dtype == np.uint8:
            return result
        if result.dtype.kind not in "iuf" or not np.isfinite(result).all():
            self.fail(f"the result should hold finite numbers, got dtype {result.dtype}.")
        if result.dtype.kind == "f" and result.min() >= 0 and result.max() <= 1:
            return np.rint(result * 255).astype(np.uint8)  # floats in 0-1 display correctly
        if result.dtype.kind in "iu" and result.min() >= 0 and result.max() <= 255:
            return result.astype(np.uint8)  # integers in 0-255 display correctly
        self.fail(f"the result is {result.dtype} with values up to {result.max():g}: imshow "
                  "shows floats on a 0-1 scale (clipping everything above 1, so the image "
                  "looks nearly white) and integers on a 0-255 scale.",
                  hint="return uint8 values (np.uint8 of the palette colours), or floats "
                       "divided by 255.")

    def done(self) -> None:
        print(f"{self.exercise}: all {self.n_cases} cases pass. Well done!")


def _ramp(height: int, width: int) -> np.ndarray:
    """A smooth colour ramp, uint8."""
    y, x = np.mgrid[0:height, 0:width]
    image = np.stack([255 * x / (width - 1), 200 * y / (height - 1) + 20,
                      180 - 120 * x * y / ((height - 1) * (width - 1))], axis=-1)
    return np.rint(image).astype(np.uint8)


def _hue_wheel(height: int, width: int) -> np.ndarray:
    """Every hue along the columns; down the rows the saturation rises from 0.3 to 1 while the
    value (brightness) falls from 1 to 0.3. uint8."""
    from matplotlib.colors import hsv_to_rgb

    y, x = np.mgrid[0:height, 0:width]
    down = y / (height - 1)
    hsv = np.stack([x / width, 0.3 + 0.7 * down, 1.0 - 0.7 * down], axis=-1)
    return np.rint(255 * hsv_to_rgb(hsv)).astype(np.uint8)


def _dither_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(22)
    black_white = np.array([[0, 0, 0], [255, 255, 255]], np.uint8)
    grays = np.array([[0, 0, 0], [128, 128, 128], [255, 255, 255]], np.uint8)
    saturated = np.zeros((10, 14, 3), np.uint8)
    saturated[:, :7] = [255, 0, 0]
    saturated[:, 7:] = [255, 255, 255]
    muted = np.array([[170, 60, 60], [200, 200, 200], [60, 60, 60], [90, 150, 90]], np.uint8)
    return [
        ("mid grey (100) on black and white, 6 x 8 pixels",
         np.full((6, 8, 3), 100, np.uint8), black_white),
        ("a grey ramp on black, grey and white, 8 x 16", np.repeat(np.repeat(
            np.linspace(0, 255, 16).round().astype(np.uint8)[None, :, None], 8, 0), 3, 2),
         grays),
        ("saturated red and white on a muted palette, 10 x 14", saturated, muted),
        ("a colour ramp, 12 x 18, on 5 random colours", _ramp(12, 18),
         rng.integers(0, 256, size=(5, 3), dtype=np.uint8)),
        ("random pixels, 9 x 11, on 6 random colours",
         rng.integers(0, 256, size=(9, 11, 3), dtype=np.uint8),
         rng.integers(0, 256, size=(6, 3), dtype=np.uint8)),
    ]


def _agreement(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.all(a == b, axis=-1)))


def check_dither(dither: Callable[[np.ndarray, np.ndarray], Any]) -> None:
    """Check ``dither(image, palette)``: Floyd-Steinberg error diffusion onto the palette.

    ``image`` is uint8 (height, width, 3), ``palette`` uint8 (k, 3); the answer is an image of
    palette colours that ``imshow`` displays (uint8, or floats in 0-1), the result of scanning
    the pixels row by row, left to right, as :func:`floyd_steinberg` does.
    """
    cases = _dither_cases()
    check = _ImageCheck(dither, "dither", len(cases))
    for label, image, palette in cases:
        check.start(label)
        given_image, given_palette = image.copy(), palette.copy()
        result = check.image(check.call(given_image, given_palette), image.shape)
        if not (np.array_equal(given_image, image) and np.array_equal(given_palette, palette)):
            check.fail("your function changed the image or the palette it was given.",
                       hint="work on a float copy: image.astype(float).")
        allowed = {tuple(color) for color in palette}
        foreign = [tuple(int(v) for v in color) for color in result.reshape(-1, 3)
                   if tuple(color) not in allowed]
        if foreign:
            check.fail(f"{len(foreign)} pixel(s) are not palette colours, e.g. {foreign[0]}.",
                       hint="each pixel takes one of the palette's colours; the errors change "
                            "the values still to come, not the colours already chosen.")
        expected = floyd_steinberg(image, palette)
        if _agreement(result, expected) >= 0.97:  # a near tie may go the other way
            continue
        matches = [(mistake, hint) for mistake, (options, hint) in _MISTAKES.items()
                   if _agreement(result, floyd_steinberg(image, palette, **options)) >= 0.97]
        if matches:
            check.fail("the result is what Floyd-Steinberg gives with "
                       + ", or with ".join(mistake for mistake, _ in matches) + ".",
                       hint=" Or: ".join(dict.fromkeys(hint for _, hint in matches)))
        y, x = np.argwhere(np.any(result != expected, axis=-1))[0]
        check.fail(f"{100 * (1 - _agreement(result, expected)):.0f}% of the pixels differ from "
                   f"Floyd-Steinberg; the first is row {y}, column {x}.",
                   expected=tuple(int(v) for v in expected[y, x]),
                   got=tuple(int(v) for v in result[y, x]),
                   hint="visit the pixels row by row, left to right; clip the value, take the "
                        "nearest palette colour, and share value - colour as 7, 3, 5, 1 "
                        "sixteenths.")
    check.done()


# --- the optional exercise: k-means in CIELAB --------------------------------------------------

def _kmeans_palette_image(points: np.ndarray, pixels: np.ndarray, n_colors: int) -> np.ndarray:
    """Cluster ``points`` (one row per pixel); repaint with the mean RGB of each cluster."""
    from sklearn.cluster import KMeans

    labels = KMeans(n_colors, n_init=4, random_state=0).fit_predict(points)
    means = np.array([pixels[labels == j].mean(axis=0) for j in range(n_colors)])
    return np.rint(means[labels]).astype(np.uint8)


def _lab_cases() -> list[tuple[str, np.ndarray, int]]:
    from clustering_lib import load_sample_image

    china = load_sample_image("china")
    return [
        ("china.jpg's temple roof and sky, 48 x 64 pixels, 6 colours", china[20:68, 140:204], 6),
        ("china.jpg's trees and shadows, 40 x 60 pixels, 8 colours", china[300:340, 20:80], 8),
        ("a colour ramp, 30 x 40 pixels, 5 colours", _ramp(30, 40), 5),
        ("a hue wheel, pale to deep, 24 x 48 pixels, 8 colours", _hue_wheel(24, 48), 8),
    ]


@contextmanager
def _recording_srgb_to_lab(function: Callable[..., Any]) -> Iterator[list[float]]:
    """While the block runs, record the largest value of each input of ``srgb_to_lab``.

    Wraps the ``srgb_to_lab`` that ``function`` sees as a global (the notebook's own, or one
    imported from here) and this module's, the one ``quantization_lessons.srgb_to_lab`` calls
    reach; the originals are put back afterwards. Yields the list of recorded maxima, one per
    call (empty if the function converts its colours some other way).
    """
    maxima: list[float] = []

    def recorder(original: Callable[..., Any]) -> Callable[..., Any]:
        def srgb_to_lab_recorded(rgb: Any, *args: Any, **kwargs: Any) -> Any:
            values = np.asarray(rgb)
            if values.size and values.dtype.kind in "iuf":
                maxima.append(float(np.max(values)))
            return original(rgb, *args, **kwargs)
        return srgb_to_lab_recorded

    module = globals()
    namespaces = [module]
    student = getattr(function, "__globals__", None)
    if student is not None and student is not module and callable(student.get("srgb_to_lab")):
        namespaces.append(student)
    originals = [namespace["srgb_to_lab"] for namespace in namespaces]
    for namespace, original in zip(namespaces, originals, strict=True):
        namespace["srgb_to_lab"] = recorder(original)
    try:
        yield maxima
    finally:
        for namespace, original in zip(namespaces, originals, strict=True):
            namespace["srgb_to_lab"] = original


def check_quantize_lab(quantize_lab: Callable[[np.ndarray, int], Any]) -> None:
    """Check ``quantize_lab(image, n_colors)``: a palette chosen by k-means in CIELAB.

    The answer is an image that ``imshow`` displays, with at most ``n_colors`` colours, whose
    mean CIE76 difference from the image is close to that of k-means in Lab (and below that of
    k-means in RGB, which the check also computes). The check also records what the function
    hands to ``srgb_to_lab``: colours on a 0-1 scale fail, even when the mean difference
    passes (on 0-1 values the conversion stays in the linear branches of its formulas, so the
    coordinates are a linear map of the RGB values, not CIELAB).
    """
    cases = _lab_cases()
    check = _ImageCheck(quantize_lab, "quantize_lab", len(cases))
    for label, image, n_colors in cases:
        check.start(label)
        with _recording_srgb_to_lab(quantize_lab) as maxima:
            raw = check.call(image.copy(), n_colors)
        if maxima and max(maxima) <= 1:
            check.fail(f"your function handed srgb_to_lab colours on a 0-1 scale (the largest "
                       f"value it received was {max(maxima):.3g}; the image goes up to "
                       f"{int(image.max())}).",
                       hint="srgb_to_lab expects colours on the 0-255 scale: give it the uint8 "
                            "pixels as they are, not divided by 255. On 0-1 values every "
                            "colour falls in the linear parts of its formulas, so the result "
                            "is a linear map of the RGB values, not CIELAB.")
        as_array = np.asarray(raw) if raw is not None else None
        if (as_array is not None and as_array.shape == image.shape
                and as_array.dtype.kind == "f" and as_array.min() < 0):
            check.fail("the result has negative values: these look like Lab coordinates "
                       "(a* and b* are negative for greens and blues).",
                       hint="the palette must be shown in RGB: give each cluster an RGB colour, "
                            "e.g. the mean RGB colour of its pixels.")
        result = check.image(raw, image.shape)
        n_used = len(np.unique(result.reshape(-1, 3), axis=0))
        if n_used > n_colors:
            check.fail(f"the result has {n_used} distinct colours.",
                       expected=f"at most {n_colors}", got=n_used,
                       hint="each pixel takes the colour of its cluster.")
        pixels = image.reshape(-1, 3).astype(np.float64)
        lab_reference = _kmeans_palette_image(srgb_to_lab(pixels), pixels, n_colors)
        rgb_reference = _kmeans_palette_image(pixels, pixels, n_colors)
        got = mean_delta_e(image, result)
        lab_error = mean_delta_e(image.reshape(-1, 3), lab_reference)
        rgb_error = mean_delta_e(image.reshape(-1, 3), rgb_reference)
        if got <= 1.1 * lab_error + 0.3:
            continue
        if got <= 1.1 * rgb_error + 0.3:
            check.fail("the colours are as far from the image as k-means in RGB gets, not as "
                       "close as k-means in Lab.", expected=f"mean Delta E near {lab_error:.2f}",
                       got=f"{got:.2f} (k-means in RGB: {rgb_error:.2f})",
                       hint="convert the pixels to Lab before fitting k-means, and assign them "
                            "in Lab too.")
        check.fail("the colours are further from the image than k-means in Lab manages.",
                   expected=f"mean Delta E near {lab_error:.2f}", got=f"{got:.2f}",
                   hint="each pixel takes the colour of its own Lab cluster; did the Lab "
                        "conversion get colours on the 0-255 scale?")
    check.done()
