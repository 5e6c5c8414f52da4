"""The notebooks' one set-up call: environment before TensorFlow starts, then seeds."""

from __future__ import annotations

import os
import sys

from ._quiet import import_tensorflow_quietly

# Set before TensorFlow is imported; TensorFlow reads them once, at start-up.
#  - TF_CPP_MIN_LOG_LEVEL=3: no C++ log lines in the notebooks' outputs.
#  - TF_ENABLE_ONEDNN_OPTS=0: TensorFlow's own kernels instead of oneDNN's. oneDNN picks its
#    code path by the processor's instruction set (AVX2, AVX-512, ...), so the same training
#    gives different last digits on different machines; TensorFlow's own kernels do not.
#  - ONEDNN_MAX_CPU_ISA=AVX2: even with those options off, TensorFlow's float32 matrix products
#    and convolution gradients still call oneDNN (its contraction kernel), so a network trained
#    on a processor with AVX-512 drifts away from the same training on one without. Capping oneDNN
#    at AVX2 gives every processor with AVX2 (all x86 processors since about 2013-2015) the same
#    code path; on processors without AVX-512 it changes nothing.
_ENVIRONMENT = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0",
                "ONEDNN_MAX_CPU_ISA": "AVX2"}


def _numba_cache_dir() -> str | None:
    """``build/numba-cache`` of the repository checkout this package sits in, else None.

    umap-learn (notebook 05) compiles its kernels with numba at first use, about half a minute
    on 2 cores; numba caches them only where it may write, by default beside the installed
    package. A cache in the checkout's git-ignored ``build/`` lets a second run skip most of it.
    """
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file():
        return None
    return str(root / "build" / "numba-cache")


def setup(seed: int = 0, *, threads: int | None = None, logical_cpus: int | None = None) -> int:
    """Make a notebook repeatable on any machine: call it first, before TensorFlow starts.

    Sets the environment TensorFlow reads at start-up (quiet logs, no oneDNN graph rewrites,
    oneDNN's remaining kernels capped at AVX2: their results depend on the processor's
    instruction set; numba, which umap-learn uses, on the generic x86-64 target for the same
    reason, with its cache in the checkout's ``build/``), imports TensorFlow, optionally splits
    the CPU into logical devices and fixes the thread pools, then seeds Python, NumPy,
    TensorFlow and Keras, makes TensorFlow's ops deterministic and fixes the figure style.

    Parameters
    ----------
    seed : int, default=0
        The seed for every generator.
    threads : int or None, default=None
        Fix TensorFlow's intra- and inter-op thread pools to this size (training splits its
        work by the pool size); None keeps TensorFlow's choice.
    logical_cpus : int or None, default=None
        Split the CPU into this many logical devices (for ``tf.distribute`` examples).

    Returns
    -------
    int
        The seed.
    """
    if "tensorflow" in sys.modules:
        for name, value in _ENVIRONMENT.items():
            if os.environ.get(name) != value:
                raise RuntimeError(
                    f"clustering_course.setup() must run before TensorFlow is imported "
                    f"({name} is read once, at TensorFlow's start-up): call it in the first "
                    "cell, before importing clustering_lib, keras or tensorflow."
                )
    os.environ.update(_ENVIRONMENT)
    if "NUMBA_CACHE_DIR" not in os.environ and (cache := _numba_cache_dir()) is not None:
        os.environ["NUMBA_CACHE_DIR"] = cache  # read when numba is first imported
    # numba (umap-learn's kernels) compiles for the host's instruction set by default, and the
    # same UMAP fit then gives another embedding on an AVX2 and an AVX-512 machine; the generic
    # x86-64 target (no extra features) gives one result everywhere. A value already set is kept.
    os.environ.setdefault("NUMBA_CPU_NAME", "generic")

    import_tensorflow_quietly()
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    if logical_cpus is not None:
        if isinstance(logical_cpus, bool) or not isinstance(logical_cpus, int) or logical_cpus < 1:
            raise ValueError(
                f"logical_cpus must be None or a positive integer, got {logical_cpus!r}."
            )
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * logical_cpus
        )
    from .reproducibility import seed_everything

    return seed_everything(seed, threads=threads)
