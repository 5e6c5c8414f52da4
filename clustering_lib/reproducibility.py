"""One call that makes a notebook or script repeatable."""

from __future__ import annotations

import os

import keras
import numpy as np
import tensorflow as tf

__all__ = ["seed_everything"]


def seed_everything(seed: int = 0, deterministic: bool = True) -> int:
    """Seed Python, NumPy, TensorFlow and Keras, and make TensorFlow ops deterministic.

    Parameters
    ----------
    seed : int, default=0
        The seed for every generator.
    deterministic : bool, default=True
        Also call ``tf.config.experimental.enable_op_determinism()``, so that ops
        with a non-deterministic implementation either use a deterministic one or
        raise instead of silently varying between runs.

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
    return seed
