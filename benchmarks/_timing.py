"""Timing and reporting helpers shared by the benchmark scripts."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from threadpoolctl import threadpool_info


def median_seconds(run: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median wall time of ``repeats`` calls, and the last call's result."""
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def per_iteration_seconds(
    make: Callable[[int], Any], fit: Callable[[Any], Any], repeats: int, short: int, long: int
) -> tuple[float, float, Any]:
    """Seconds per Lloyd iteration, by differencing a ``short`` and a ``long`` fit.

    ``make(n)`` builds an estimator limited to ``n`` iterations and ``fit(estimator)``
    fits it. Subtracting the two fit times removes each fit's fixed costs (validation,
    centring, final labelling). Returns the per-iteration time, the long fit's time and
    the long fit's estimator.
    """
    t_short, fit_short = median_seconds(lambda: fit(make(short)), repeats)
    t_long, fit_long = median_seconds(lambda: fit(make(long)), repeats)
    extra = fit_long.n_iter_ - fit_short.n_iter_
    if extra <= 0:
        raise RuntimeError(f"the fit converged within {short} iterations; lower --iterations")
    return (t_long - t_short) / extra, t_long, fit_long


def describe_threads() -> str:
    """The BLAS and OpenMP libraries scikit-learn sees, with their thread counts."""
    return str(sorted({(m["internal_api"], m.get("num_threads")) for m in threadpool_info()}))


def print_table(rows: dict[str, dict[str, Any]]) -> None:
    """Print ``{column: {measure: value}}`` as a Markdown table, measures as rows."""
    names = list(rows)
    width = max(len(m) for m in rows[names[0]])
    print()
    print(f"| {'measure':<{width}} | " + " | ".join(names) + " |")
    print(f"|{'-' * (width + 2)}|" + "|".join("-" * (len(n) + 2) for n in names) + "|")
    for measure in rows[names[0]]:
        cells = []
        for name in names:
            value = rows[name][measure]
            cells.append(f"{value:>{len(name)}.3g}" if isinstance(value, float) else
                         f"{value:>{len(name)}}")
        print(f"| {measure:<{width}} | " + " | ".join(cells) + " |")
