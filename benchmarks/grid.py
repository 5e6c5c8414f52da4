"""clustering_lib.KMeans against scikit-learn and faiss-cpu on a grid of shapes, in one process.

The machine this runs on is shared and noisy, so the comparison is built to survive it:
the libraries are timed **interleaved in the same process**, and the machine's speed is
checked before, between and after the rounds. Interleaving shares slow spells out fairly but
cannot make a loaded machine's ratios meaningful: with a core taken by another process,
scikit-learn's and faiss's OpenMP threads spin while they wait and their small fits slow
10-100x, ours about 2x. Rows marked noisy do not compare the libraries. This script
starts itself with ``--worker`` for every measurement. In one run:

* **header**: the load average at the start; which BLAS libraries the processes load
  (threadpoolctl's ``internal_api``, version, kernel ``architecture`` and
  ``num_threads``) and ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE`` if set (``make bench``
  unsets both, so OpenBLAS picks its kernel for the processor).
* **cold** (fresh processes, after importing the library; default parameters with
  ``random_state=0`` on both sides): the first fit of 1,000 blobs (k=4); a sweep
  ``KMeans(k).fit(digits)`` for k = 2..12, then the same sweep again in the same process
  ("warm k sweep"); ten blob sets of 200..2,000 points (k=3). Medians of ``--repeats``
  processes; the matrix-product rate (below) before them and at the end of each marks
  the cold table noisy or not.
* **grid**, per shape, with the same data and the same initial centres (k rows drawn with
  seed 0) everywhere, ``n_init=1, max_iter=20, tol=0`` so that all stop at the same
  iteration (faiss-cpu's ``Kmeans`` runs the same 20 iterations from the same centres):

  - **first fit**, one fresh process per library: the data is built, then one fit is
    timed (compilation included) while the peak of anonymous memory (``RssAnon``,
    sampled every 5 ms) above its value once the data is built is recorded.
  - **interleaved**, one process for all three libraries: the data is built, one
    untimed warm-up fit of each library (its labels give the share of labels equal to
    scikit-learn's), then ``--repeats`` rounds; each round times ours, scikit-learn and
    faiss once each, the order rotated by one library per round, after a pause of
    ``PAUSE`` seconds before every timed fit. Reported: the minimum and the median per
    library, and the ratios ours / scikit-learn and ours / faiss of the minima and of the
    medians (below 1: ours is faster). The pause lets the threads of the library timed
    before go to sleep: OpenBLAS's and OpenMP's idle threads spin for a while after a
    call, and a fit started meanwhile shares the cores with them. Without it, on MNIST (2
    cores, 9 rounds, in one process), ours 0.166 s and faiss 0.229 s, each always timed
    right after faiss or the matrix-product check; with 0.3 s, 0.116 s and 0.132 s
    (scikit-learn 0.062 s and 0.072 s). A pause alone would also time each library
    with its own threads asleep (scikit-learn's smallest fits then took 0.1-0.5 ms
    longer), so after it each library fits the first ``max(1000, 4 k)`` rows, untimed.
  - **noise check**: the machine's rate for a float32 matrix product (2048 x 2048, best
    of 3, GFLOP/s through NumPy's BLAS) just before the timed rounds and after each of
    them. A shape is marked *noisy* when these rates differ by more than
    ``NOISE_THRESHOLD`` or the lowest is that much below the best rate measured in the
    whole run (the machine was busy throughout the rounds). The same product is measured
    at the start and the end of the run.

One table at the end (after the cold one), then the median of each ratio over the grid.
``python benchmarks/grid.py [--repeats N] [--shapes a,b] [--skip-cold]
[--ours-setting NAME=VALUE ...]`` (``make bench`` runs it with the defaults;
``--ours-setting fused_loop=true`` times ours with Lloyd's whole loop compiled for small
data); results also go to ``build/bench/grid.json``. MNIST is read by
``clustering_lib.load_mnist`` (``MNIST_DIR`` names its folder).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parent.parent

#: name -> (description, n_clusters); blob shapes also need an entry in BLOBS.
SHAPES = {
    "mnist": ("MNIST test 10000x784, k=10", 10),
    "china": ("china.jpg pixels 273280x3, k=64", 64),
    "blobs-1M": ("blobs 1000000x32, k=100", 100),
    "blobs-200k": ("blobs 200000x64, k=1000", 1000),
    "digits": ("digits 1797x64, k=10", 10),
    "blobs-50k": ("blobs 50000x2, k=8", 8),
    "tall": ("blobs 2000000x4, k=16", 16),
    "wide": ("blobs 2000x2000, k=20", 20),
    "large-k": ("blobs 5000x16, k=500", 500),
    "few-points": ("blobs 300x10, k=5", 5),
}
#: blob shape -> (n_samples, n_features); make_blobs draws k centres, random_state=0.
BLOBS = {
    "blobs-1M": (1_000_000, 32),
    "blobs-200k": (200_000, 64),
    "blobs-50k": (50_000, 2),
    "tall": (2_000_000, 4),
    "wide": (2_000, 2_000),
    "large-k": (5_000, 16),
    "few-points": (300, 10),
}
LIBRARIES = ("ours", "sklearn", "faiss")

#: A shape is "noisy" when the matrix-product rates measured before and between its timed
#: rounds differ by more than this share, or the lowest is this much below the run's best.
#: On the quiet 2-core machine, best-of-3 rates of the product repeat within a few per
#: cent; another process on one of the two cores costs up to half the rate. 10 % is
#: above the probe's own scatter and well below what a busy core does to a timing.
NOISE_THRESHOLD = 0.10

#: Seconds of pause before every timed fit of the interleaved rounds (see the docstring).
PAUSE = 0.3
#: The noise probe: a float32 product of two MATMUL_SIZE x MATMUL_SIZE matrices, best of
#: MATMUL_REPEATS (0.1-0.3 s each on 2 cores).
MATMUL_SIZE, MATMUL_REPEATS = 2048, 3


# --------------------------------------------------------------------------- #
# Machine
# --------------------------------------------------------------------------- #
@functools.cache
def _matmul_operands():
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((MATMUL_SIZE, MATMUL_SIZE), dtype=np.float32)
    b = rng.standard_normal((MATMUL_SIZE, MATMUL_SIZE), dtype=np.float32)
    return a, b


def matmul_gflops() -> float:
    """The machine's float32 matrix-product rate now, GFLOP/s (best of a few)."""
    a, b = _matmul_operands()
    a @ b  # BLAS threads awake, result pages touched
    best = float("inf")
    for _ in range(MATMUL_REPEATS):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * MATMUL_SIZE**3 / best / 1e9


def blas_libraries() -> list[dict]:
    """threadpoolctl's view of the BLAS/OpenMP libraries loaded in this process."""
    from threadpoolctl import threadpool_info

    keys = ("internal_api", "prefix", "version", "architecture", "threading_layer",
            "num_threads")
    return [{key: module.get(key) for key in keys} for module in threadpool_info()]


# --------------------------------------------------------------------------- #
# Worker side (runs in a fresh process)
# --------------------------------------------------------------------------- #
def _rss_anon_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class PeakMemory:
    """Samples ``RssAnon`` every 5 ms in a thread; ``peak`` is the largest value seen."""

    def __init__(self) -> None:
        self.peak = _rss_anon_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss_anon_mb())

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_anon_mb())


def _data(shape: str):
    import numpy as np

    if shape == "mnist":
        import clustering_lib as cl

        images, _ = cl.load_mnist("test")
        return images.reshape(len(images), -1).astype(np.float32) / 255.0
    if shape == "china":
        from sklearn.datasets import load_sample_image

        return load_sample_image("china.jpg").reshape(-1, 3).astype(np.float32) / 255.0
    if shape == "digits":
        from sklearn.datasets import load_digits

        return load_digits().data.astype(np.float32)
    from sklearn.datasets import make_blobs

    n, d = BLOBS[shape]
    X, _ = make_blobs(n_samples=n, n_features=d, centers=SHAPES[shape][1], random_state=0)
    return X.astype(np.float32)


#: How ``--ours-setting`` reaches the worker processes.
_SETTINGS_VARIABLE = "GRID_OURS_SETTINGS"
_SETTINGS_IN_FORCE = contextlib.ExitStack()
_settings_applied = False


def _import(library: str) -> None:
    if library == "ours":
        import clustering_lib

        global _settings_applied
        settings = json.loads(os.environ.get(_SETTINGS_VARIABLE, "{}"))
        if settings and not _settings_applied:  # --ours-setting: for the whole process
            # Entered on a stack that lives as long as the process: a context manager
            # that is garbage-collected restores the settings it changed.
            _SETTINGS_IN_FORCE.enter_context(clustering_lib.config_context(**settings))
            _settings_applied = True
    elif library == "sklearn":
        import sklearn.cluster  # noqa: F401
    else:
        import faiss  # noqa: F401


def _estimator(library: str, k: int, init, d: int):
    if library == "ours":
        import clustering_lib as cl

        return lambda X: cl.KMeans(k, init=init, n_init=1, max_iter=20, tol=0.0).fit(X).labels_
    if library == "sklearn":
        from sklearn.cluster import KMeans

        return lambda X: KMeans(k, init=init, n_init=1, max_iter=20, tol=0.0).fit(X).labels_
    import faiss

    def fit(X):
        model = faiss.Kmeans(d, k, niter=20, seed=0, max_points_per_centroid=len(X))
        model.train(X, init_centroids=init)
        return model.index.search(X, 1)[1][:, 0]

    return fit


def _shape_data(shape: str):
    import numpy as np

    X = _data(shape)
    k = SHAPES[shape][1]
    init = X[np.random.default_rng(0).choice(len(X), k, replace=False)].copy()
    return X, k, init


def worker_first(shape: str, library: str) -> dict:
    """The first fit of ``library`` in a fresh process: seconds, and memory above the data."""
    _import(library)  # before the data, as a user would
    X, k, init = _shape_data(shape)
    fit = _estimator(library, k, init, X.shape[1])
    baseline = _rss_anon_mb()
    with PeakMemory() as memory:
        start = time.perf_counter()
        fit(X)
        first = time.perf_counter() - start
    return {"first": first, "memory": memory.peak - baseline}


def worker_interleaved(shape: str, libraries: list[str], repeats: int) -> dict:
    """Warm-up fits, then ``repeats`` rounds timing every library once, order rotated."""
    import numpy as np

    for library in libraries:
        _import(library)
    X, k, init = _shape_data(shape)
    fits = {library: _estimator(library, k, init, X.shape[1]) for library in libraries}
    labels = {library: np.asarray(fits[library](X)) for library in libraries}  # warm-up
    wake = X[: min(len(X), max(1000, 4 * k))]  # a small untimed fit before each timed one
    rates = [matmul_gflops()]
    times = {library: [] for library in libraries}
    for round_ in range(repeats):
        shift = round_ % len(libraries)
        for library in libraries[shift:] + libraries[:shift]:
            time.sleep(PAUSE)  # the threads of the previous fit go idle (see above)
            fits[library](wake)  # and this library's own threads are awake again
            start = time.perf_counter()
            fits[library](X)
            times[library].append(time.perf_counter() - start)
        rates.append(matmul_gflops())
    return {
        "times": times,
        "same labels": {lib: float(np.mean(labels[lib] == labels["sklearn"]))
                        for lib in libraries},
        "matmul GFLOP/s": rates,
        "blas": blas_libraries(),
    }


def worker_cold(library: str) -> dict:
    import numpy as np

    _import(library)
    if library == "ours":
        from clustering_lib import KMeans
    else:
        from sklearn.cluster import KMeans
    from sklearn.datasets import load_digits, make_blobs

    blobs, _ = make_blobs(n_samples=1000, centers=4, random_state=0)
    digits = load_digits().data
    sets = [make_blobs(n_samples=int(n), centers=3, random_state=int(n))[0]
            for n in np.linspace(200, 2000, 10)]
    result = {}
    start = time.perf_counter()
    KMeans(4, random_state=0).fit(blobs)
    result["first fit"] = time.perf_counter() - start
    for label in ("k sweep", "warm k sweep"):
        start = time.perf_counter()
        for k in range(2, 13):
            KMeans(k, random_state=0).fit(digits)
        result[label] = time.perf_counter() - start
    start = time.perf_counter()
    for X in sets:
        KMeans(3, random_state=0).fit(X)
    result["n sweep"] = time.perf_counter() - start
    result["matmul GFLOP/s"] = matmul_gflops()  # after the timings: they stay cold
    return result


# --------------------------------------------------------------------------- #
# Parent side
# --------------------------------------------------------------------------- #
def _run_worker(*arguments: str) -> dict:
    command = [sys.executable, __file__, "--worker", *arguments]
    completed = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


_START = time.perf_counter()


def _progress(message: str) -> None:
    print(f"[{time.perf_counter() - _START:4.0f} s] {message}", file=sys.stderr, flush=True)


def _has_faiss() -> bool:
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


def run_cold(repeats: int) -> dict:
    results = {"matmul GFLOP/s": [matmul_gflops()]}
    for library in ("ours", "sklearn"):
        _progress(f"cold: {library}")
        runs = [_run_worker("cold", library) for _ in range(repeats)]
        results["matmul GFLOP/s"] += [run.pop("matmul GFLOP/s") for run in runs]
        results[library] = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    return results


def run_shape(shape: str, libraries: list[str], repeats: int) -> dict:
    start = time.perf_counter()
    result = {"description": SHAPES[shape][0], "k": SHAPES[shape][1]}
    for library in libraries:
        _progress(f"{shape}: first fit, {library}")
        result[library] = _run_worker("first", shape, library)
    _progress(f"{shape}: interleaved, {repeats} rounds")
    interleaved = _run_worker("interleaved", shape, ",".join(libraries), str(repeats))
    for library in libraries:
        times = interleaved["times"][library]
        result[library].update(min=min(times), median=statistics.median(times), times=times,
                               same_labels=interleaved["same labels"][library])
    ours = result["ours"]
    ratios = {}
    for library in libraries[1:]:
        ratios[f"vs {library} min"] = ours["min"] / result[library]["min"]
        ratios[f"vs {library} median"] = ours["median"] / result[library]["median"]
    ratios["first vs sklearn"] = ours["first"] / result["sklearn"]["first"]
    result["ratios"] = ratios
    result["matmul GFLOP/s"] = interleaved["matmul GFLOP/s"]
    result["blas"] = interleaved["blas"]
    result["wall seconds"] = time.perf_counter() - start
    return result


def mark_noise(results: list[dict], best_rate: float) -> None:
    """Set each result's ``noisy`` flag and its reasons (see NOISE_THRESHOLD)."""
    for result in results:
        rates = result["matmul GFLOP/s"]
        reasons = []
        moved = 1 - min(rates) / max(rates)
        if moved > NOISE_THRESHOLD:
            reasons.append(f"rate moved {moved:.0%} during the measurements")
        below = 1 - min(rates) / best_rate
        if below > NOISE_THRESHOLD:
            reasons.append(f"rate {below:.0%} below the run's best")
        result["noisy"] = bool(reasons)
        result["noise reasons"] = reasons


def _print_noise_rule(best_rate: float) -> None:
    print(f"\nnoisy: the product's rate, measured before the rounds and after each, moved by "
          f"more than {NOISE_THRESHOLD:.0%}, or its lowest was more than {NOISE_THRESHOLD:.0%} "
          f"below the run's best ({best_rate:.0f} GFLOP/s)")


def _seconds(value: float) -> str:
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def _print_header(machine: dict) -> None:
    print("\n### Machine\n")
    load = machine["load average at start"]
    print(f"load average at start (1, 5, 15 min): {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}")
    rates = machine["matmul GFLOP/s"]
    print(f"float32 {MATMUL_SIZE}x{MATMUL_SIZE} matrix product, best of {MATMUL_REPEATS}: "
          f"{rates['start']:.0f} GFLOP/s at the start, {rates['end']:.0f} at the end")
    environment = ", ".join(f"{key}={value}" for key, value in machine["environment"].items())
    print(f"environment: {environment}")
    settings = machine["clustering_lib settings"]
    print("clustering_lib settings: "
          + (", ".join(f"{name}={value}" for name, value in settings.items()) or "defaults"))
    print("BLAS / OpenMP in the timed processes (threadpoolctl):")
    for module in machine["blas"]:
        print(f"- {module['internal_api']} {module['version'] or ''} ({module['prefix']}): "
              f"architecture {module.get('architecture') or '-'}, "
              f"{module['num_threads']} threads, {module.get('threading_layer') or '-'} layer")


def _print_cold(cold: dict) -> None:
    print("\n### Cold: fresh process, after import (medians)\n")
    print("| scenario | ours, s | scikit-learn, s | ratio |")
    print("| --- | --- | --- | --- |")
    for key in cold["ours"]:
        ours, reference = cold["ours"][key], cold["sklearn"][key]
        print(f"| {key} | {ours:.3f} | {reference:.3f} | {ours / reference:.2f} |")
    rates = cold["matmul GFLOP/s"]
    print(f"\nnoisy: {'yes' if cold['noisy'] else 'no'} (GFLOP/s before the cold processes and "
          f"after each: {min(rates):.0f} - {max(rates):.0f})")


def _print_grid(grid: dict, repeats: int) -> None:
    print(f"\n### Grid: same init, n_init=1, max_iter=20, tol=0; {repeats} interleaved rounds\n")
    print("| shape | ours min / med, s | sklearn min / med, s | faiss min / med, s | "
          "ours/sklearn min / med | ours/faiss min / med | first fit ours/sklearn | "
          "memory MB ours / sklearn / faiss | same labels ours / faiss | "
          "noisy (GFLOP/s lowest - highest) |")
    print("| --- " * 10 + "|")
    for result in grid.values():
        cells = [result["description"]]
        for library in LIBRARIES:
            entry = result.get(library)
            cells.append(f"{_seconds(entry['min'])} / {_seconds(entry['median'])}"
                         if entry else "-")
        ratios = result["ratios"]
        for library in LIBRARIES[1:]:
            cells.append(f"{ratios[f'vs {library} min']:.2f} / "
                         f"{ratios[f'vs {library} median']:.2f}"
                         if f"vs {library} min" in ratios else "-")
        cells.append(f"{ratios['first vs sklearn']:.2f}")
        cells.append(" / ".join(f"{result[lib]['memory']:.0f}" for lib in LIBRARIES
                                if lib in result))
        cells.append(" / ".join(f"{result[lib]['same_labels']:.4f}" for lib in ("ours", "faiss")
                                if lib in result))
        rates = result["matmul GFLOP/s"]
        cells.append(f"{'yes' if result['noisy'] else 'no'} "
                     f"({min(rates):.0f} - {max(rates):.0f})")
        print("| " + " | ".join(cells) + " |")


def summarize(grid: dict) -> dict:
    """The median of each ratio over the grid, and over its shapes not marked noisy."""
    summary = {}
    for subset, results in (("all", list(grid.values())),
                            ("quiet", [r for r in grid.values() if not r["noisy"]])):
        if not results:
            continue
        summary[subset] = {"shapes": len(results)}
        for key in results[0]["ratios"]:
            summary[subset][key] = statistics.median(r["ratios"][key] for r in results)
    return summary


def _print_summary(summary: dict) -> None:
    print()
    for subset, values in summary.items():
        parts = [f"{key} {value:.2f}" for key, value in values.items() if key != "shapes"]
        label = "median ratio over the grid" if subset == "all" else "over the quiet shapes"
        print(f"{label} ({values['shapes']} shapes): " + ", ".join(parts))


def _parse_settings(parser: argparse.ArgumentParser, items: list[str]) -> dict:
    """``NAME=VALUE`` items (JSON values) as settings, checked by ``config_context``."""
    settings = {}
    for item in items:
        name, equals, value = item.partition("=")
        try:
            settings[name] = json.loads(value)
        except json.JSONDecodeError:
            equals = ""
        if not equals:
            parser.error(f"--ours-setting {item!r}: expected NAME=VALUE with a JSON value "
                         "(true, false, a number or a quoted string)")
    import clustering_lib

    try:
        with clustering_lib.config_context(**settings):
            pass
    except (TypeError, ValueError) as error:
        parser.error(f"--ours-setting: {error}")
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument(
        "--ours-setting", action="append", default=[], metavar="NAME=VALUE",
        help="an execution setting of clustering_lib for every fit of ours (a JSON value), "
             "e.g. fused_loop=true; repeatable")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ours_setting:
        os.environ[_SETTINGS_VARIABLE] = json.dumps(_parse_settings(parser, args.ours_setting))
    if args.worker:
        kind, *rest = args.worker
        if kind == "cold":
            result = worker_cold(rest[0])
        elif kind == "first":
            result = worker_first(rest[0], rest[1])
        else:
            result = worker_interleaved(rest[0], rest[1].split(","), int(rest[2]))
        print(json.dumps(result))
        return

    shapes = args.shapes.split(",")
    unknown = [shape for shape in shapes if shape not in SHAPES]
    if unknown:
        parser.error(f"unknown shapes {unknown}; choose from {', '.join(SHAPES)}")
    libraries = [lib for lib in LIBRARIES if lib != "faiss" or _has_faiss()]
    start = time.perf_counter()
    machine = {
        "clustering_lib settings": json.loads(os.environ.get(_SETTINGS_VARIABLE, "{}")),
        "load average at start": list(os.getloadavg()),
        "environment": {key: os.environ.get(key, "unset")
                        for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
        "matmul GFLOP/s": {"start": matmul_gflops()},
    }
    report = {"machine": machine, "noise threshold": NOISE_THRESHOLD, "repeats": args.repeats}
    if not args.skip_cold:
        report["cold"] = run_cold(args.repeats)
    grid = {shape: run_shape(shape, libraries, args.repeats) for shape in shapes}
    machine["matmul GFLOP/s"]["end"] = matmul_gflops()
    machine["load average at end"] = list(os.getloadavg())
    measured = list(grid.values()) + ([report["cold"]] if "cold" in report else [])
    rates = [rate for result in measured for rate in result["matmul GFLOP/s"]]
    machine["best matmul GFLOP/s"] = max(rates + list(machine["matmul GFLOP/s"].values()))
    mark_noise(measured, machine["best matmul GFLOP/s"])
    machine["blas"] = [dict(t) for t in {tuple(module.items()) for result in grid.values()
                                         for module in result.pop("blas")}]
    machine["blas"].sort(key=lambda module: (module["internal_api"], module["prefix"] or ""))
    report["grid"] = grid
    report["median ratios"] = summarize(grid)
    report["wall seconds"] = time.perf_counter() - start

    _print_header(machine)
    if "cold" in report:
        _print_cold(report["cold"])
    _print_grid(grid, args.repeats)
    _print_noise_rule(machine["best matmul GFLOP/s"])
    _print_summary(report["median ratios"])
    print(f"\nwall time {report['wall seconds']:.0f} s")
    out = REPO / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "grid.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
