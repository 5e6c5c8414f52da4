"""Colour quantisation: k-means in RGB space.

An image of height x width pixels is a cloud of points in the RGB cube. k-means on
that cloud finds ``n_colors`` representative colours (the palette); replacing every
pixel by its nearest palette colour compresses the image to a small palette plus one
index per pixel.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
import tensorflow as tf
from sklearn.exceptions import ConvergenceWarning

from . import core
from ._kmeans import KMeans
from .core._seeding import random_indices
from .core._validation import check_random_state

__all__ = [
    "DEFAULT_SAMPLE_SIZE",
    "compressed_bits_per_pixel",
    "image_mse",
    "image_psnr",
    "quantize_colors",
]

#: Pixels sampled to fit the palette by default, chosen by measurement at 64 colours
#: (benchmarks/quantize_vs_sklearn.py, 5 seeds): with 20,000 pixels the mean squared
#: error is 2.4% above scikit-learn's KMeans on every pixel for both china.jpg and
#: flower.jpg (at worst 4%), in 1/15 to 1/20 of its time; 10,000 pixels gave +3.6% and
#: +4.5% (at worst 5.2%), 30,000 gave +2.2% and +1.7% for ~25% more time.
DEFAULT_SAMPLE_SIZE = 20_000

_METHODS = ("sample", "unique", "all")

def _check_image(image: Any) -> np.ndarray:
    if isinstance(image, tf.Tensor | tf.Variable):
        image = image.numpy()
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(
            f"image must have shape (height, width, 3) (an RGB image), got shape {image.shape}."
        )
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"image is empty (shape {image.shape}).")
    if image.dtype == np.uint8:
        return image
    if image.dtype.kind != "f":
        raise TypeError(
            f"image must be uint8 (0-255) or floating point in [0, 1], got dtype {image.dtype}."
        )
    if not np.isfinite(image).all():
        raise ValueError("image contains NaN or infinity.")
    low, high = image.min(), image.max()
    if low < 0 or high > 1:
        raise ValueError(
            f"a floating-point image must lie in [0, 1], got values from {low:g} to {high:g} "
            "(divide a 0-255 image by 255, or pass it as uint8)."
        )
    return image


def _nearest_palette_color(pixels: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Index of the nearest palette colour for every pixel (both in [0, 1])."""
    return core.nearest_centers(pixels, palette)[0].numpy()


def _unique_colors(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct colours of an (n, 3) pixel array, the index of each pixel's colour, counts."""
    if pixels.dtype == np.uint8:
        # One integer per colour sorts far faster than rows.
        keys = (pixels[:, 0].astype(np.int32) << 16) | (pixels[:, 1].astype(np.int32) << 8)
        keys |= pixels[:, 2]
        unique_keys, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        colors = np.stack([unique_keys >> 16, (unique_keys >> 8) & 255, unique_keys & 255], 1)
        return colors.astype(np.uint8), inverse.ravel(), counts
    colors, inverse, counts = np.unique(
        pixels, axis=0, return_inverse=True, return_counts=True
    )
    return colors, inverse.ravel(), counts


def _training_set(method, pixels, sample_size, n_colors, rng):
    """The points (and weights) the palette is fitted on, for each ``method``.

    Also checks that the image has at least ``n_colors`` distinct colours; counting
    them in the whole image (a sort) is skipped when a sample already has enough.
    """
    if method == "sample" and sample_size < len(pixels):
        chosen = pixels[random_indices(len(pixels), sample_size, rng)]
        if len(_unique_colors(chosen)[0]) >= n_colors:
            return chosen, None
        # Too few distinct colours drawn: fall back to all of them, weighted.
    colors, _, counts = _unique_colors(pixels)
    if n_colors > len(colors):
        raise ValueError(
            f"n_colors ({n_colors}) is more than the number of distinct colours in the "
            f"image ({len(colors)})."
        )
    if method == "unique" or method == "sample":
        return colors, counts
    return pixels, None


def quantize_colors(
    image: Any,
    n_colors: int,
    *,
    method: str = "sample",
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    random_state: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Reduce an RGB image to ``n_colors`` colours chosen by k-means.

    Parameters
    ----------
    image : array-like of shape (height, width, 3)
        uint8 values in 0-255, or floats in [0, 1].
    n_colors : int
        Size of the palette, from 1 to the number of distinct colours in the image.
    method : {'sample', 'unique', 'all'}, default='sample'
        How the palette is fitted:

        - 'sample': k-means on ``sample_size`` pixels drawn at random without
          replacement (the fastest; the default, see ``DEFAULT_SAMPLE_SIZE``);
        - 'unique': k-means on the distinct colours, each weighted by its pixel count:
          exactly the same problem as k-means on every pixel, on fewer points;
        - 'all': k-means on every pixel.

        Every pixel is then replaced by its nearest palette colour.
    sample_size : int, default=DEFAULT_SAMPLE_SIZE
        Pixels sampled by ``method='sample'``; the whole image when it has fewer.
        If the sample holds fewer distinct colours than ``n_colors``, the palette is
        fitted on the distinct colours of the whole image instead.
    random_state : int, RandomState instance or None, default=None
        Seed for the sample and for k-means++; an int gives the same result every run.

    Returns
    -------
    quantized_image : ndarray of the image's shape and dtype
        Every pixel is one of the palette's colours.
    palette : ndarray of shape (n_colors, 3), the image's dtype and scale
        The k-means centres (rounded to integers for uint8 images).

    Examples
    --------
    >>> import clustering_lib as cl
    >>> china = cl.load_sample_image("china")
    >>> small, palette = cl.quantize_colors(china, 16, random_state=0)
    >>> small.shape, small.dtype, palette.shape
    ((427, 640, 3), dtype('uint8'), (16, 3))
    """
    image = _check_image(image)
    if isinstance(n_colors, bool) or not isinstance(n_colors, numbers.Integral):
        raise TypeError(f"n_colors must be an integer, got {n_colors!r}.")
    if n_colors < 1:
        raise ValueError(f"n_colors must be at least 1, got {n_colors}.")
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}.")
    if isinstance(sample_size, bool) or not isinstance(sample_size, numbers.Integral):
        raise TypeError(f"sample_size must be an integer, got {sample_size!r}.")
    if method == "sample" and sample_size < n_colors:
        raise ValueError(
            f"sample_size ({sample_size}) must be at least n_colors ({n_colors})."
        )

    pixels = image.reshape(-1, 3)
    rng = check_random_state(random_state)
    points, weights = _training_set(method, pixels, sample_size, n_colors, rng)
    scale = 255.0 if image.dtype == np.uint8 else 1.0
    float_dtype = np.float64 if image.dtype == np.float64 else np.float32
    model = KMeans(n_clusters=n_colors, random_state=rng)
    with warnings.catch_warnings():
        # Repeated pixels are expected; n_colors <= distinct colours was checked.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(points.astype(float_dtype) / scale, sample_weight=weights)

    centers = np.clip(model.cluster_centers_, 0.0, 1.0)
    if image.dtype == np.uint8:
        palette = np.rint(centers * 255.0).astype(np.uint8)
    else:
        palette = centers.astype(image.dtype)
    labels = _nearest_palette_color(pixels.astype(float_dtype) / scale,
                                     palette.astype(float_dtype) / scale)
    return palette[labels].reshape(image.shape), palette


def image_mse(reference: Any, image: Any) -> float:
    """Mean squared error between two images of the same shape, in the reference's scale.

    uint8 images are compared on the 0-255 scale, float images on their own (0-1).
    """
    reference = _check_image(reference)
    image = _check_image(image)
    if reference.shape != image.shape:
        raise ValueError(
            f"image has shape {image.shape} but reference has shape {reference.shape}."
        )
    difference = reference.astype(np.float64) - image.astype(np.float64)
    return float(np.mean(difference**2))


def image_psnr(reference: Any, image: Any) -> float:
    """Peak signal-to-noise ratio in decibels: ``10 log10(peak^2 / MSE)``.

    The peak is 255 for uint8 images and 1 for float images; identical images give inf.
    """
    reference = _check_image(reference)
    peak = 255.0 if reference.dtype == np.uint8 else 1.0
    error = image_mse(reference, image)
    return float("inf") if error == 0 else float(10 * np.log10(peak**2 / error))


def compressed_bits_per_pixel(n_pixels: int, n_colors: int) -> float:
    """Storage of a palette image, in bits per pixel, without any further coding.

    The palette takes 24 bits per colour and each pixel an index of
    ``ceil(log2(n_colors))`` bits (at least 1); the original takes 24 bits per pixel.
    """
    if n_pixels < 1 or n_colors < 1:
        raise ValueError(
            f"n_pixels and n_colors must be positive, got {n_pixels} and {n_colors}."
        )
    index_bits = max(1, int(np.ceil(np.log2(n_colors))))
    return (24 * n_colors + index_bits * n_pixels) / n_pixels


# --------------------------------------------------------------------------- #
# Fixed palettes: baselines for the k-means palette, and repainting with any palette
# --------------------------------------------------------------------------- #
__all__ += ["apply_palette", "random_palette", "uniform_palette"]


def _check_palette(palette: Any, image_dtype: np.dtype) -> np.ndarray:
    """A palette in the scale and dtype of an image of ``image_dtype``."""
    palette = np.asarray(palette)
    if palette.ndim != 2 or palette.shape[1] != 3 or len(palette) == 0:
        raise ValueError(f"palette must have shape (n_colors, 3), got {palette.shape}.")
    if palette.dtype.kind not in "uif":
        raise TypeError(f"palette must hold numbers, got dtype {palette.dtype}.")
    if not np.isfinite(palette).all():
        raise ValueError("palette contains NaN or infinity.")
    if image_dtype == np.uint8:
        if palette.min() < 0 or palette.max() > 255 or np.any(palette != np.rint(palette)):
            raise ValueError(
                "for a uint8 image, palette must hold integers from 0 to 255, got values from "
                f"{palette.min():g} to {palette.max():g}."
            )
        return palette.astype(np.uint8)
    if palette.min() < 0 or palette.max() > 1:
        raise ValueError(
            "for a floating-point image, palette must lie in [0, 1], got values from "
            f"{palette.min():g} to {palette.max():g}."
        )
    return palette.astype(image_dtype)


def apply_palette(image: Any, palette: Any) -> np.ndarray:
    """Repaint every pixel with its nearest palette colour (Euclidean distance in RGB).

    This is the repainting step of :func:`quantize_colors`, for a palette chosen in
    any other way (a regular grid, random pixels, another image's palette).

    Parameters
    ----------
    image : array-like of shape (height, width, 3)
        uint8 values in 0-255, or floats in [0, 1].
    palette : array-like of shape (n_colors, 3)
        In the image's scale: integers 0-255 for a uint8 image, floats in [0, 1] otherwise.

    Returns
    -------
    ndarray of the image's shape and dtype; every pixel is one of the palette's colours.
    """
    image = _check_image(image)
    palette = _check_palette(palette, image.dtype)
    scale = 255.0 if image.dtype == np.uint8 else 1.0
    float_dtype = np.float64 if image.dtype == np.float64 else np.float32
    labels = _nearest_palette_color(image.reshape(-1, 3).astype(float_dtype) / scale,
                                     palette.astype(float_dtype) / scale)
    return palette[labels].reshape(image.shape)


def uniform_palette(n_levels: int, dtype: Any = np.uint8) -> np.ndarray:
    """The regular grid of ``n_levels ** 3`` colours, ignoring any image.

    Each channel takes ``n_levels`` equally spaced values from 0 to the maximum
    (255 for uint8, 1.0 for floats), as in a fixed "web-safe" style palette.

    Parameters
    ----------
    n_levels : int, at least 2
    dtype : uint8, float32 or float64, default=uint8

    Returns
    -------
    ndarray of shape (n_levels ** 3, 3)
        Ordered with red varying slowest and blue fastest.
    """
    if isinstance(n_levels, bool) or not isinstance(n_levels, numbers.Integral) or n_levels < 2:
        raise ValueError(f"n_levels must be an integer >= 2, got {n_levels!r}.")
    dtype = np.dtype(dtype)
    if dtype not in (np.uint8, np.float32, np.float64):
        raise TypeError(f"dtype must be uint8, float32 or float64, got {dtype}.")
    levels = np.linspace(0.0, 1.0, n_levels)
    if dtype == np.uint8:
        levels = np.rint(levels * 255.0)
    grid = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1)
    return grid.reshape(-1, 3).astype(dtype)


def random_palette(image: Any, n_colors: int, *, random_state: Any = None) -> np.ndarray:
    """``n_colors`` distinct colours of the image, drawn at random in proportion to their pixels.

    A palette that follows where the pixels are, without any fitting: the baseline that
    scikit-learn's colour-quantisation example compares k-means with (a random sample
    of pixels), except that the colours drawn are distinct.

    Parameters
    ----------
    image : array-like of shape (height, width, 3), uint8 or float in [0, 1]
    n_colors : int
        From 1 to the number of distinct colours in the image.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    ndarray of shape (n_colors, 3), the image's dtype and scale
    """
    image = _check_image(image)
    if isinstance(n_colors, bool) or not isinstance(n_colors, numbers.Integral):
        raise TypeError(f"n_colors must be an integer, got {n_colors!r}.")
    colors, _, counts = _unique_colors(image.reshape(-1, 3))
    if not 1 <= n_colors <= len(colors):
        raise ValueError(
            f"n_colors must be from 1 to the number of distinct colours in the image "
            f"({len(colors)}), got {n_colors}."
        )
    rng = check_random_state(random_state)
    chosen = random_indices(len(colors), n_colors, rng, counts)
    return colors[np.sort(chosen)]
