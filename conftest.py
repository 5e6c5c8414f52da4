"""Repository-wide pytest configuration, imported before any test module.

* ``TF_CPP_MIN_LOG_LEVEL=3`` and ``PYDEVD_DISABLE_FILE_VALIDATION=1`` are put in the environment
  (``setdefault``: values given by the caller win), so that both this process and the notebook
  kernels that ``pytest --nbval`` starts (they inherit the environment) keep quiet.
* matplotlib: this process uses the non-interactive Agg backend (``matplotlib.use``), but
  ``MPLBACKEND`` is deliberately *removed* from the environment rather than set: ipykernel only
  selects its inline backend when ``MPLBACKEND`` is unset, and a kernel running with Agg shows no
  figures at all, which makes every plotting cell fail nbval's output comparison.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
os.environ.pop("MPLBACKEND", None)

import matplotlib

matplotlib.use("Agg")
