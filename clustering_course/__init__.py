"""clustering_course: what exists only for this repository's notebooks and workshop.

It sits beside :mod:`clustering_lib` (the numerical library) and depends on it, never the
reverse. A notebook's first cell is::

    import clustering_course as course

    SEED = course.setup(0)  # environment, seeds, determinism, figure style: one call

    import clustering_lib as cl

Modules: ``plotting`` (the figures the notebooks share), ``exercises`` (checks that diagnose a
student's answer), ``streams`` (data that arrives in chunks), ``palettes`` (the colour-palette
experiments of notebook 02), ``timing`` and ``memory`` (measurements shown in the notebooks).
"""

from ._setup import setup

__all__ = ["setup"]
