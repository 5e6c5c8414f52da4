"""Shim: moves here from clustering_lib.memory."""

from clustering_lib.memory import *  # noqa: F403
from clustering_lib.memory import __all__  # noqa: F401
