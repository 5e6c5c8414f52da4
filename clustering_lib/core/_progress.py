"""Progress, checkpoints and verbose lines of the k-means engine and estimators, in one place.

A fit calls its callbacks with an :class:`~clustering_lib.core.IterationInfo` after every
Lloyd iteration (``iteration``, ``inertia``, ``center_shift``, ``n_changed``, ``converged``,
``centers``):

* :func:`verbose_printer`: scikit-learn's per-iteration lines (``verbose=1``);
* :class:`Progress` and :func:`progress_callback`: a Keras progress bar (``verbose=2`` where
  someone watches: a terminal or a notebook, :func:`is_interactive`);
* :class:`PassProgress`: one progress line per pass over streamed data;
* :class:`CenterCheckpoint`: saves the centres, so that an interrupted fit can resume;
* :func:`chain`: several callbacks as one.

The public names are in :mod:`clustering_lib.callbacks`.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "CenterCheckpoint",
    "PassProgress",
    "Progress",
    "chain",
    "is_interactive",
    "progress_callback",
    "verbose_printer",
]


def is_interactive() -> bool:
    """Whether standard output is a terminal or a Jupyter kernel's (a notebook)."""
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if getattr(shell, "kernel", None) is not None:
        return True
    return hasattr(sys.stdout, "isatty") and sys.stdout.isatty()


def verbose_printer(tol: float) -> Callable[[Any], None]:
    """scikit-learn's per-iteration lines, on ``sys.stdout``."""

    def show(info: Any) -> None:
        print(f"Iteration {info.iteration}, inertia {info.inertia}.", file=sys.stdout)
        if info.converged == "strict":
            print(f"Converged at iteration {info.iteration}: strict convergence.")
        elif info.converged == "tol":
            print(
                f"Converged at iteration {info.iteration}: center shift "
                f"{info.center_shift} within tolerance {tol}."
            )

    return show


class Progress:
    """A ``keras.utils.Progbar``, advanced by the engine's callback after each iteration
    (anything with ``iteration`` and ``inertia`` attributes)."""

    def __init__(self, target: int, unit_name: str) -> None:
        import keras

        self.bar = keras.utils.Progbar(target, stateful_metrics=["inertia"],
                                       unit_name=unit_name)
        self.done = 0

    def __call__(self, info: Any) -> None:
        self.update(info.iteration + 1, info.inertia)

    def update(self, done: int, inertia: float) -> None:
        """Show ``done`` steps finished, the last with this ``inertia``."""
        self.done = done
        self.bar.update(done, [("inertia", inertia)])

    def finish(self) -> None:
        """Close the bar where the run stopped (often before its target)."""
        self.bar.update(self.done, finalize=True)


def progress_callback(verbose: int, target: int, unit_name: str = "iteration") -> Progress | None:
    """For ``verbose >= 2`` in a notebook or a terminal, a :class:`Progress` of ``target``
    steps; None otherwise.

    ``verbose=1`` (and ``verbose >= 2`` where the output is not interactive) prints
    scikit-learn's lines instead: the estimators ask the engine for lines only when this
    returns None.
    """
    if verbose < 2 or not is_interactive():
        return None
    return Progress(target, unit_name)


class PassProgress:
    """A progress bar per pass over the data, on ``sys.stdout``.

    While a pass runs, one line is redrawn in place (``\\r``) at most every
    ``interval`` seconds; when it ends, the line is completed with the pass's time and
    a newline, so each pass leaves one line. Enabled only where someone watches: a
    terminal or a Jupyter kernel (:func:`is_interactive`), and only when asked for.
    """

    WIDTH = 20

    def __init__(self, enabled: bool, interval: float = 0.25) -> None:
        self.enabled = enabled
        self.interval = interval
        self.n_passes = 0
        self._label = ""
        self._total: int | None = None
        self._done = 0
        self._began = self._drawn = 0.0

    def start(self, label: str, total: int | None) -> None:
        self.n_passes += 1
        self._label, self._total, self._done = label, total, 0
        self._began = self._drawn = time.perf_counter()

    def advance(self, rows: int) -> None:
        self._done += rows
        if self.enabled and time.perf_counter() - self._drawn >= self.interval:
            self._drawn = time.perf_counter()
            sys.stdout.write("\r" + self._line())
            sys.stdout.flush()

    def finish(self) -> None:
        if self.enabled:
            seconds = time.perf_counter() - self._began
            sys.stdout.write(f"\r{self._line(final=True)} {seconds:.2f} s\n")
            sys.stdout.flush()

    def _line(self, final: bool = False) -> str:
        total = self._done if final or self._total is None else self._total
        filled = self.WIDTH if total == 0 else int(self.WIDTH * self._done / total)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        return f"pass {self.n_passes} ({self._label}): [{bar}] {self._done:,}/{total:,} rows"


class CenterCheckpoint:
    """A Lloyd callback that saves the centres, so that an interrupted fit can resume.

    After every ``every``-th iteration (and the last) the centres, the iteration
    and its inertia are written to ``path`` (a ``.npz`` file), atomically: a new file
    replaces the old one only once it is complete. To resume, start a new fit from
    the saved centres: ``KMeans(k, init=CenterCheckpoint(path).load(), n_init=1)``.
    Lloyd's next iterations depend on the centres only, so the resumed fit goes on
    where the interrupted one stopped (it counts its iterations from zero).

    Parameters
    ----------
    path : str or os.PathLike
    every : int, default=1
    """

    def __init__(self, path: str | os.PathLike, every: int = 1) -> None:
        self.path = os.fspath(path)
        self.every = int(every)

    def __call__(self, info: Any) -> None:
        if (info.iteration + 1) % self.every and not info.converged:
            return
        temporary = self.path + ".partial"
        with open(temporary, "wb") as file:
            np.savez(file, centers=info.centers, iteration=info.iteration,
                     inertia=np.float64(info.inertia if info.inertia is not None else np.nan))
        os.replace(temporary, self.path)

    def load(self) -> np.ndarray:
        """The last saved centres."""
        with np.load(self.path) as saved:
            return saved["centers"]

    def iteration(self) -> int:
        """The (0-based) iteration after which the centres were saved."""
        with np.load(self.path) as saved:
            return int(saved["iteration"])


def chain(*callbacks: Callable | None) -> Callable | None:
    """One callback that calls each of ``callbacks`` (None where none is given)."""
    given = [callback for callback in callbacks if callback is not None]
    if not given:
        return None
    if len(given) == 1:
        return given[0]

    def call_all(info: Any) -> None:
        for callback in given:
            callback(info)

    return call_all
