"""Shim: moves here from clustering_lib.streams."""

from clustering_lib.streams import *  # noqa: F403
from clustering_lib.streams import __all__  # noqa: F401
from clustering_lib.streams import centre_error as center_error  # noqa: E402

__all__ = [*__all__, "center_error"]
