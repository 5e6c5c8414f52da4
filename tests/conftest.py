"""Fixtures shared by the test modules, and the markers that shape the developer's run.

Markers (registered in ``pyproject.toml``):

* ``subprocess``: starts another Python process, a kernel or a cluster of workers;
* ``notebook``: executes a notebook (the workshop's student versions, nbval on fixtures);
* ``slow``: a single test that takes more than about two seconds on two cores.

A plain ``pytest`` leaves all three out (``addopts`` in ``pyproject.toml``), which keeps the
developer's inner loop under a minute; ``make test`` passes ``-m ""`` and runs everything.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _same_global_random_state():
    """Start every test from the same state of NumPy's and Python's global generators.

    Code given ``random_state=None`` (scikit-learn's, for one) draws from them, and under two
    test workers the tests that ran before in the same process change from run to run.
    """
    np.random.seed(0)  # noqa: NPY002 (the legacy global generator is what such code draws from)
    random.seed(0)


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every matplotlib figure a test opened (only if pyplot was imported at all)."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture(scope="session")
def digits() -> np.ndarray:
    """scikit-learn's 1,797 handwritten digits as float64 rows of 64 pixels (values 0..16)."""
    from sklearn.datasets import load_digits

    data = load_digits().data
    data.setflags(write=False)  # shared by every test: nobody changes it in place
    return data


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder ``MNIST_DIR`` names; tests that need MNIST are skipped without it."""
    folder = os.environ.get("MNIST_DIR")
    if not folder or not Path(folder).is_dir():
        pytest.skip("MNIST_DIR is not set to a folder with the MNIST files")
    return Path(folder)
