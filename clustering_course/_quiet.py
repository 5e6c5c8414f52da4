"""Import TensorFlow without its C++ start-up log lines.

TensorFlow 2.21 writes a few INFO lines (oneDNN, CUDA stub) from C++ static
initialisers at import time, before ``TF_CPP_MIN_LOG_LEVEL`` takes effect, straight
to file descriptor 2. Jupyter kernels forward that descriptor into notebook
outputs. When the environment asks for quiet (``TF_CPP_MIN_LOG_LEVEL`` >= 1, as
the Makefile and the test configuration set it), this module silences descriptor 2
for the duration of the import only. It does not start TensorFlow's runtime: thread
pools and logical devices can still be configured after importing clustering_lib.
Python exceptions raised by the import still propagate.
"""

from __future__ import annotations

import os
import sys


def import_tensorflow_quietly() -> None:
    """Import TensorFlow, hiding its start-up log lines if the environment asks for quiet."""
    if "tensorflow" in sys.modules:
        return
    try:
        quiet = int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0")) >= 1
    except ValueError:
        quiet = False
    if not quiet:
        import tensorflow  # noqa: F401

        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
