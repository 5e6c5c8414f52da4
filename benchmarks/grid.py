"""clustering_lib.KMeans against scikit-learn (and faiss-cpu) on a grid of shapes, cold and warm.

Every measurement runs in a fresh Python process (this script starts itself with
``--worker``), so "cold" really is a first call in a process, and each process's
memory is its own. In one run of this script:

* **cold**: in a fresh process, after importing the library: the first fit of 1,000
  blobs (k=4); a sweep ``KMeans(k).fit(digits)`` for k = 2..12, then the same sweep
  again in the same process ("warm k sweep"); ten blob sets of 200..2,000 points
  (k=3). Default parameters with ``random_state=0`` on both sides.
* **warm grid**: per shape, the same data and the same initial centres (k rows drawn
  with seed 0), ``n_init=1, max_iter=20, tol=0`` so that all stop at the same
  iteration: the first fit in the process ("first", compilation included) and the
  median of ``--repeats`` further fits ("warm"); the peak of anonymous memory
  (``RssAnon``, sampled every 5 ms) above its value once the data is built; and the
  share of labels equal to scikit-learn's. faiss-cpu's ``Kmeans`` runs the same 20
  iterations from the same centres.

Ratios are ours / scikit-learn's (below 1 is faster). Machines are noisy: compare
ratios within one run. ``python benchmarks/grid.py [--repeats N] [--shapes a,b]
[--skip-cold]`` (``make bench`` runs it); results also go to ``build/bench/grid.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parent.parent

#: name -> (description, n_clusters)
SHAPES = {
    "mnist": ("MNIST test 10000x784, k=10", 10),
    "china": ("china.jpg pixels 273280x3, k=64", 64),
    "blobs-1M": ("blobs 1000000x32, k=100", 100),
    "blobs-200k": ("blobs 200000x64, k=1000", 1000),
    "digits": ("digits 1797x64, k=10", 10),
    "blobs-50k": ("blobs 50000x2, k=8", 8),
}
LIBRARIES = ("ours", "sklearn", "faiss")


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

    n, d = {"blobs-1M": (1_000_000, 32), "blobs-200k": (200_000, 64), "blobs-50k": (50_000, 2)}[
        shape
    ]
    X, _ = make_blobs(n_samples=n, n_features=d, centers=SHAPES[shape][1], random_state=0)
    return X.astype(np.float32)


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


def worker_grid(shape: str, library: str, repeats: int, labels_path: str) -> dict:
    import numpy as np

    if library == "ours":
        import clustering_lib  # noqa: F401  (import before the data, as a user would)
    X = _data(shape)
    k = SHAPES[shape][1]
    init = X[np.random.default_rng(0).choice(len(X), k, replace=False)].copy()
    fit = _estimator(library, k, init, X.shape[1])
    baseline = _rss_anon_mb()
    with PeakMemory() as memory:
        start = time.perf_counter()
        labels = fit(X)
        first = time.perf_counter() - start
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fit(X)
            times.append(time.perf_counter() - start)
    np.save(labels_path, np.asarray(labels))
    return {"first": first, "warm": statistics.median(times), "memory": memory.peak - baseline}


def worker_cold(library: str) -> dict:
    import numpy as np

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


def _has_faiss() -> bool:
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


def run_cold(repeats: int) -> dict:
    results = {}
    for library in ("ours", "sklearn"):
        runs = [_run_worker("cold", library) for _ in range(repeats)]
        results[library] = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    return results


def run_grid(shapes: list[str], repeats: int) -> dict:
    import numpy as np

    libraries = [lib for lib in LIBRARIES if lib != "faiss" or _has_faiss()]
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for shape in shapes:
            results[shape] = {}
            labels = {}
            for library in libraries:
                path = os.path.join(folder, f"{shape}-{library}.npy")
                results[shape][library] = _run_worker("grid", shape, library, str(repeats), path)
                labels[library] = np.load(path)
            for library in libraries:
                results[shape][library]["same labels"] = float(
                    np.mean(labels[library] == labels["sklearn"])
                )
    return results


def _print_cold(cold: dict) -> None:
    print("\n### Cold: fresh process, after import (medians)\n")
    print("| scenario | ours, s | scikit-learn, s | ratio |")
    print("| --- | --- | --- | --- |")
    for key in cold["ours"]:
        ours, reference = cold["ours"][key], cold["sklearn"][key]
        print(f"| {key} | {ours:.3f} | {reference:.3f} | {ours / reference:.2f} |")


def _print_grid(grid: dict) -> None:
    print("\n### Warm grid: same init, n_init=1, max_iter=20, tol=0\n")
    print("| shape | ours warm / first, s | sklearn warm / first, s | faiss warm, s | "
          "ratio warm | ratio first | memory above data MB (ours / sklearn / faiss) | "
          "same labels |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    ratios = []
    for shape, result in grid.items():
        ours, reference = result["ours"], result["sklearn"]
        faiss = result.get("faiss")
        ratio = ours["warm"] / reference["warm"]
        ratios.append(ratio)
        memory = f"{ours['memory']:.0f} / {reference['memory']:.0f}"
        memory += f" / {faiss['memory']:.0f}" if faiss else ""
        faiss_warm = f"{faiss['warm']:.3f}" if faiss else "-"
        print(
            f"| {SHAPES[shape][0]} | {ours['warm']:.3f} / {ours['first']:.2f} | "
            f"{reference['warm']:.3f} / {reference['first']:.2f} | {faiss_warm} | "
            f"{ratio:.2f} | {ours['first'] / reference['first']:.2f} | {memory} | "
            f"{ours['same labels']:.4f} |"
        )
    print(f"\nmedian warm ratio over the grid: {statistics.median(ratios):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "cold":
            result = worker_cold(rest[0])
        else:
            result = worker_grid(rest[0], rest[1], int(rest[2]), rest[3])
        print(json.dumps(result))
        return

    report = {}
    if not args.skip_cold:
        report["cold"] = run_cold(args.repeats)
        _print_cold(report["cold"])
    report["grid"] = run_grid(args.shapes.split(","), args.repeats)
    _print_grid(report["grid"])
    out = REPO / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "grid.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
