"""Shim: moves here from clustering_lib.plotting."""

from clustering_lib.plotting import *  # noqa: F403
from clustering_lib.plotting import __all__  # noqa: F401
