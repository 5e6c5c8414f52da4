"""Shim: moves here from clustering_lib.exercises."""

from clustering_lib.exercises import *  # noqa: F403
from clustering_lib.exercises import __all__  # noqa: F401
