"""Shim: moves here from clustering_lib.timing."""

from clustering_lib.timing import *  # noqa: F403
from clustering_lib.timing import __all__  # noqa: F401
