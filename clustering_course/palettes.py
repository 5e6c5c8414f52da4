"""Shim: the palette experiments of notebook 02 move here from clustering_lib.quantize."""

from clustering_lib.quantize import (  # noqa: F401
    DEFAULT_SAMPLE_SIZE,
    palette_baselines,
    quantization_sweep,
    random_palette,
    sklearn_quantize_colors,
    uniform_palette,
)

__all__ = [
    "DEFAULT_SAMPLE_SIZE",
    "palette_baselines",
    "quantization_sweep",
    "random_palette",
    "sklearn_quantize_colors",
    "uniform_palette",
]
