"""k-means out of core: rows per second per pass and peak memory, from a memmap.

For n = 1M, 5M and 20M rows (d = 16, k = 64, float32; 64 Gaussian blobs written to a
temporary memory map by ``clustering_lib.datasets.make_blobs_memmap``, deleted at the end),
each measurement in a fresh process
(this script starts itself with ``--worker``):

* **ours (memmap)**: ``KMeans(64, init='k-means||', max_iter=I, tol=0).fit(memmap)``
  after a warm-up fit of the first 100,000 rows (the same kernels, so the big fit
  compiles nothing). Rows/s per Lloyd pass: n over the median time between two
  iterations (one pass and the M-step, from the ``callback``); also the whole fit's
  time and its passes over the data (statistics, 4 for k-means||, one per iteration,
  one for the labels).
* **scikit-learn KMeans (in memory)**: the memmap read into an array, then Lloyd from
  the same 64 rows; the time per iteration is the difference of a 1-iteration and a
  (1 + I)-iteration fit, divided by I. Skipped where the data would take more than a
  quarter of the memory available.
* **scikit-learn MiniBatchKMeans (in memory)**: mini-batches of 1,024 from the same
  64 rows (``max_iter=1``, no early stop) over the first 262,144 rows; the time of a
  pass over all n rows is scaled from it. On a loaded machine its
  OpenMP threads spin while they wait: 10x slower measured with 2 threads than with
  ``OMP_NUM_THREADS=1`` on a loaded 2-core machine (20.6 s against 2.0 s, 200,000 rows).

Memory: the peak of anonymous memory (``RssAnon``, sampled every 10 ms) above the
process after import -- the fit's own memory, not the memmap's pages, which are page
cache the system may drop -- and, for ours, above the process after the warm-up fit
(what grows with n); and the peak RSS (``VmHWM``, which counts mapped file pages too)
above the RSS after import. Ours should stay flat in n; in-memory fits grow with it.

``python benchmarks/scale.py [--sizes 1000000,5000000,20000000] [--iterations 3]``
(``make bench``); results also go to ``build/bench/scale.json``. The machine's load
changes timings: compare within one run.
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
N_FEATURES, N_CLUSTERS = 16, 64
MINIBATCH_ROWS = 2**18


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


class _Peak:
    """The peak of ``RssAnon`` (KiB), sampled every 10 ms in a thread."""

    def __init__(self) -> None:
        self.value = _status_kib("RssAnon")
        self._running = True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while self._running:
            self.value = max(self.value, _status_kib("RssAnon"))
            time.sleep(0.01)

    def stop(self) -> int:
        self._running = False
        self._thread.join()
        return max(self.value, _status_kib("RssAnon"))


# --------------------------------------------------------------------------- #
# Worker side (a fresh process per measurement)
# --------------------------------------------------------------------------- #
def worker(library: str, path: str, n_rows: int, iterations: int) -> dict:
    import numpy as np

    if library == "ours":
        import clustering_lib as cl
    else:
        from sklearn.cluster import KMeans, MiniBatchKMeans
    anon_import, rss_import = _status_kib("RssAnon"), _status_kib("VmRSS")
    peak = _Peak()
    X = np.memmap(path, dtype=np.float32, mode="r", shape=(n_rows, N_FEATURES))
    result: dict = {}
    if library == "ours":
        cl.KMeans(N_CLUSTERS, init="k-means||", random_state=0, max_iter=2).fit(X[:100_000])
        warm_up_peak = peak.value
        anon_warm = peak.value = _status_kib("RssAnon")
        stamps: list[float] = []
        start = time.perf_counter()
        model = cl.KMeans(N_CLUSTERS, init="k-means||", random_state=0, max_iter=iterations,
                          tol=0.0, callback=lambda info: stamps.append(time.perf_counter()))
        model.fit(X)
        result["fit_s"] = time.perf_counter() - start
        result["n_passes"] = model.n_passes_
        result["pass_s"] = statistics.median(np.diff(stamps)) if len(stamps) > 1 else None
        result["anon_over_warm_up_mib"] = (peak.stop() - anon_warm) / 1024
        peak.value = max(peak.value, warm_up_peak)
    else:
        data = np.array(X)  # in memory: what scikit-learn needs
        init = data[:N_CLUSTERS]
        if library == "sklearn-kmeans":
            # An untimed fit first: the first call pays one-off costs (thread pools, checks)
            # that made the one-iteration fit slower than the longer one, and the difference
            # of the two (the time per pass) negative.
            KMeans(N_CLUSTERS, init=init, n_init=1, max_iter=1, tol=0.0).fit(data)
            times, n_iters = {}, {}
            for max_iter in (1, 1 + iterations):
                start = time.perf_counter()
                model = KMeans(N_CLUSTERS, init=init, n_init=1, max_iter=max_iter, tol=0.0)
                n_iters[max_iter] = model.fit(data).n_iter_
                times[max_iter] = time.perf_counter() - start
            extra = n_iters[1 + iterations] - n_iters[1]
            result["pass_s"] = (times[1 + iterations] - times[1]) / extra if extra else None
            result["fit_s"] = times[1 + iterations]
        else:
            rows = data[:MINIBATCH_ROWS]
            start = time.perf_counter()
            MiniBatchKMeans(N_CLUSTERS, init=init, n_init=1, max_iter=1, batch_size=1024,
                            max_no_improvement=None, tol=0.0, compute_labels=False,
                            random_state=0).fit(rows)
            result["fit_s"] = time.perf_counter() - start
            result["pass_s"] = result["fit_s"] * n_rows / len(rows)
        peak.stop()
    result["rows_per_s"] = n_rows / result["pass_s"] if result.get("pass_s") else None
    result["anon_peak_mib"] = (peak.value - anon_import) / 1024
    result["rss_peak_mib"] = (_status_kib("VmHWM") - rss_import) / 1024
    return result


# --------------------------------------------------------------------------- #
# Driver
# --------------------------------------------------------------------------- #
def _available_mib() -> float:
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    return float("inf")


def run_worker(library: str, path: Path, n_rows: int, iterations: int) -> dict:
    command = [sys.executable, __file__, "--worker", library, "--path", str(path),
               "--n", str(n_rows), "--iterations", str(iterations)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cell(value, digits: str) -> str:
    return "-" if value is None else format(value, digits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,5000000,20000000")
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--worker")
    parser.add_argument("--path")
    parser.add_argument("--n", type=int)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.path, args.n, args.iterations)))
        return

    import clustering_lib as cl

    results = []
    with tempfile.TemporaryDirectory(prefix="kmeans-scale-") as folder:
        for n_rows in (int(size) for size in args.sizes.split(",")):
            path = Path(folder) / f"points-{n_rows}.f32"
            # 64 overlapping blobs: Lloyd runs every iteration asked for.
            cl.datasets.make_blobs_memmap(path, n_rows, N_FEATURES, N_CLUSTERS, center_scale=1.5)
            data_mib = n_rows * N_FEATURES * 4 / 2**20
            for library in ("ours", "sklearn-kmeans", "sklearn-minibatch"):
                if library != "ours" and 4 * data_mib > _available_mib():
                    row = {"skipped": f"needs {data_mib:.0f} MiB in memory"}
                else:
                    row = run_worker(library, path, n_rows, args.iterations)
                row.update(library=library, n_rows=n_rows, data_mib=data_mib)
                results.append(row)
                print(json.dumps(row), flush=True)
            path.unlink()

    print(f"\nd={N_FEATURES}, k={N_CLUSTERS}, float32; {args.iterations} Lloyd iterations; "
          f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at the end")
    print("| n | method | rows/s per pass | s per pass | fit s | passes | anon peak MiB "
          "| anon over warm-up MiB | RSS peak MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in results:
        if "skipped" in row or "error" in row:
            print(f"| {row['n_rows']:,} | {row['library']} | {row.get('skipped') or row['error']}"
                  " | | | | | | |")
            continue
        print(f"| {row['n_rows']:,} | {row['library']} | {_cell(row['rows_per_s'], ',.0f')} "
              f"| {_cell(row['pass_s'], '.3f')} | {_cell(row['fit_s'], '.1f')} "
              f"| {row.get('n_passes', '-')} | {row['anon_peak_mib']:.0f} "
              f"| {_cell(row.get('anon_over_warm_up_mib'), '.0f')} | {row['rss_peak_mib']:.0f} |")
    out = REPO / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "scale.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
