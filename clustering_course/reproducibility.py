"""One call that makes a notebook or script repeatable: seeds, deterministic ops, figures."""

from __future__ import annotations

import os
import sys
from typing import Any

import keras
import numpy as np
import tensorflow as tf

__all__ = ["FIGURE_STYLE", "PNG_METADATA", "seed_everything", "set_figure_style"]

# Matplotlib's default style, pinned so that a user's matplotlibrc cannot change it, with the
# font named explicitly: DejaVu Sans ships inside Matplotlib, so every machine renders the same
# glyphs with the same (bundled) FreeType.
FIGURE_STYLE: dict[str, Any] = {
    "figure.dpi": 100,
    "savefig.dpi": "figure",
    "figure.figsize": (6.4, 4.8),
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 10.0,
    "mathtext.fontset": "dejavusans",
    "svg.hashsalt": "clustering_lib",
}

# PNG text chunks: Matplotlib writes only "Software" (its version) and no timestamp; None
# removes it, so the same figure gives the same bytes under any Matplotlib version.
PNG_METADATA: dict[str, Any] = {"Software": None}

_figure_style_applied = False  # set by set_figure_style; seed_everything applies it once


def set_figure_style() -> None:
    """Fix the look of every figure and make inline PNGs free of version metadata.

    Resets Matplotlib to its default style, then applies :data:`FIGURE_STYLE` (100 dpi,
    DejaVu Sans 10 pt). In an IPython kernel it also makes the inline backend write its PNGs
    with :data:`PNG_METADATA`, so the stored figures of a notebook depend only on what is
    drawn. Scripts that save figures pass ``metadata=PNG_METADATA`` to ``savefig``.
    """
    import matplotlib as mpl
    import matplotlib.style

    global _figure_style_applied
    _figure_style_applied = True
    matplotlib.style.use("default")
    mpl.rcParams.update(FIGURE_STYLE)
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    try:
        from matplotlib_inline.config import InlineBackend
    except ImportError:  # IPython without the inline backend: nothing to configure
        return
    config = InlineBackend.instance(parent=shell)
    # Assigning a new dict (not updating in place) fires the trait observer, which re-registers
    # the PNG formatter when the inline backend is already active; otherwise the backend reads
    # these arguments when it is activated.
    config.print_figure_kwargs = {**config.print_figure_kwargs, "metadata": dict(PNG_METADATA)}


def seed_everything(
    seed: int = 0,
    deterministic: bool = True,
    figure_style: bool | None = None,
    threads: int | None = None,
) -> int:
    """Seed Python, NumPy, TensorFlow and Keras, and make TensorFlow ops deterministic.

    Parameters
    ----------
    seed : int, default=0
        The seed for every generator.
    deterministic : bool, default=True
        Also call ``tf.config.experimental.enable_op_determinism()``, so that ops
        with a non-deterministic implementation either use a deterministic one or
        raise instead of silently varying between runs.
    figure_style : bool or None, default=None
        Call :func:`set_figure_style` (fixed fonts, sizes and dpi, inline PNGs without version
        metadata): None does it unless it was done before in this process, so a notebook that
        seeds again before a later experiment keeps the figure settings it chose after its
        first cell; True does it on every call, False never.
    threads : int or None, default=None
        Fix TensorFlow's intra- and inter-op thread pools to this size. TensorFlow splits
        some kernels (convolutions, large reductions) by the size of its pools, so fixed
        pools give bit-identical training on one core or many; None keeps TensorFlow's
        choice (all cores). Must come before TensorFlow's first operation.

    Returns
    -------
    int
        The seed, so a notebook can print what it used.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    # Seeds Python's random, NumPy's global generator and TensorFlow in one call.
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    if figure_style or (figure_style is None and not _figure_style_applied):
        set_figure_style()
    if threads is not None:
        _fix_thread_pools(threads)
    return seed


def _fix_thread_pools(threads: Any) -> None:
    if isinstance(threads, bool) or not isinstance(threads, int | np.integer) or threads < 1:
        raise ValueError(f"threads must be None or a positive integer, got {threads!r}.")
    pools = tf.config.threading
    settings = [
        (pools.get_intra_op_parallelism_threads, pools.set_intra_op_parallelism_threads),
        (pools.get_inter_op_parallelism_threads, pools.set_inter_op_parallelism_threads),
    ]
    for get, set_ in settings:
        if get() == threads:
            continue
        try:
            set_(int(threads))
        except RuntimeError:
            raise RuntimeError(
                f"seed_everything(threads={threads}) cannot resize TensorFlow's thread pools: "
                "TensorFlow has already run an operation in this process. Call it first "
                "(for a notebook: in its first cell, before anything else uses TensorFlow)."
            ) from None
