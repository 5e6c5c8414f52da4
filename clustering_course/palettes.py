"""The palette experiments of the colour-compression notebook.

:func:`clustering_lib.quantize.quantize_colors` is the library's quantiser; these functions
compare it with scikit-learn's ``KMeans`` on every pixel and with palettes chosen without
k-means (:func:`clustering_lib.quantize.random_palette`,
:func:`clustering_lib.quantize.uniform_palette`).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn.utils import check_random_state

from clustering_lib.quantize import (
    apply_palette,
    compressed_bits_per_pixel,
    image_mse,
    image_psnr,
    quantize_colors,
    random_palette,
    uniform_palette,
)

__all__ = ["palette_baselines", "quantization_sweep", "sklearn_quantize_colors"]


def _image(image: Any) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must have shape (height, width, 3), got {image.shape}.")
    if image.dtype not in (np.uint8, np.float32, np.float64):
        raise TypeError(f"image must be uint8, float32 or float64, got {image.dtype}.")
    return image


def sklearn_quantize_colors(
    image: Any, n_colors: int, *, random_state: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """The reference quantiser: scikit-learn's ``KMeans`` fitted on every pixel.

    Same conventions as :func:`clustering_lib.quantize.quantize_colors` (input and output scale and
    dtype, palette rounded for uint8 images).
    """
    from sklearn.cluster import KMeans as SklearnKMeans

    image = _image(image)
    scale = 255.0 if image.dtype == np.uint8 else 1.0
    pixels = image.reshape(-1, 3).astype(np.float32 if scale > 1 else image.dtype) / scale
    model = SklearnKMeans(n_colors, random_state=random_state).fit(pixels)
    centers = np.clip(model.cluster_centers_, 0.0, 1.0)
    if image.dtype == np.uint8:
        palette = np.rint(centers * 255.0).astype(np.uint8)
    else:
        palette = centers.astype(image.dtype)
    return palette[model.labels_].reshape(image.shape), palette


def quantization_sweep(
    image: Any, n_colors_values: list[int], **quantize_kwargs: Any
) -> dict[str, np.ndarray]:
    """Quantise ``image`` to each palette size; report error and storage for each.

    Parameters
    ----------
    image : array-like of shape (height, width, 3)
    n_colors_values : list of int
        Palette sizes to try.
    **quantize_kwargs
        Passed on to :func:`clustering_lib.quantize.quantize_colors` (``method``, ``random_state``).

    Returns
    -------
    dict of ndarray
        ``n_colors``, ``mse``, ``psnr`` (dB) and ``bits_per_pixel``, one entry per size.
    """
    image = _image(image)
    n_pixels = image.shape[0] * image.shape[1]
    rows = []
    for n_colors in n_colors_values:
        quantized, _ = quantize_colors(image, n_colors, **quantize_kwargs)
        rows.append((n_colors, image_mse(image, quantized), image_psnr(image, quantized),
                     compressed_bits_per_pixel(n_pixels, n_colors)))
    columns = zip(*rows, strict=True)
    return {name: np.array(values) for name, values in
            zip(("n_colors", "mse", "psnr", "bits_per_pixel"), columns, strict=True)}


def palette_baselines(
    image: Any,
    n_colors_values: list[int],
    n_levels_values: list[int],
    *,
    n_draws: int = 5,
    random_state: Any = None,
) -> dict[str, np.ndarray]:
    """Error of the two palettes without k-means, to compare with :func:`quantization_sweep`.

    For each palette size ``k`` in ``n_colors_values``: ``n_draws`` palettes of
    :func:`clustering_lib.quantize.random_palette` (drawn one after the other from ``random_state``)
    and the median of their PSNRs. For each ``m`` in ``n_levels_values``: the uniform grid of
    ``m ** 3`` colours, its PSNR and how many of its colours the repainted image uses.

    Returns
    -------
    dict of ndarray
        ``random_psnr`` (one per ``n_colors_values``); ``grid_n_colors``, ``grid_psnr``
        and ``grid_colors_used`` (one per ``n_levels_values``).
    """
    image = _image(image)
    if isinstance(n_draws, bool) or not isinstance(n_draws, numbers.Integral) or n_draws < 1:
        raise ValueError(f"n_draws must be a positive integer, got {n_draws!r}.")
    rng = check_random_state(random_state)
    random_psnr = [
        np.median([image_psnr(image, apply_palette(image, random_palette(image, k,
                                                                          random_state=rng)))
                   for _ in range(n_draws)])
        for k in n_colors_values
    ]
    grids = [apply_palette(image, uniform_palette(m, dtype=image.dtype)) for m in n_levels_values]
    return {
        "random_psnr": np.array(random_psnr, dtype=np.float64),
        "grid_n_colors": np.array([m**3 for m in n_levels_values]),
        "grid_psnr": np.array([image_psnr(image, grid) for grid in grids]),
        "grid_colors_used": np.array([len(np.unique(g.reshape(-1, 3), axis=0)) for g in grids]),
    }
