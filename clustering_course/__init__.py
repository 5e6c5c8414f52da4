"""clustering_course: what exists only for this repository's notebooks and workshop.

It sits beside :mod:`clustering_lib` (the numerical library) and depends on it, never the
reverse. A notebook's first cell is::

    import clustering_course as course

    SEED = course.setup(0)  # environment, seeds, determinism, figure style: one call

    import clustering_lib as cl

Importing this package imports nothing else (TensorFlow reads its settings once, when it
starts, so :func:`setup` must run first). Modules:

- ``plotting``: the figures the notebooks share.
- ``exercises``: checks that diagnose a student's answer; ``workshop``: the student version of a
  notebook (exercise stubs); ``figures`` and ``pytest_figures``: figures compared with the stored
  ones when the notebooks run under pytest.
- ``streams``: data that arrives in chunks (drifting blobs, a replay harness).
- ``palettes``: the colour-palette experiments of the colour-compression notebook.
- ``timing`` and ``memory``: the time and memory measurements shown in the notebooks.
- ``reproducibility``: :func:`~clustering_course.reproducibility.seed_everything` and the figure
  style, which :func:`setup` applies.
"""

from ._setup import setup

__all__ = ["setup"]
