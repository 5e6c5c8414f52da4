"""Subprocess side of tests/test_scale.py: fits that need their own TensorFlow devices.

Logical devices must be configured before TensorFlow initialises its devices, and a
MultiWorkerMirroredStrategy must be created before any other TensorFlow op runs, so
these fits run in fresh processes. Usage:

    python scale_worker.py replicas DATA.npy OUT.npz       # 1, 2 and 4 logical CPUs
    python scale_worker.py worker DATA.npy OUT.npz         # one worker of TF_CONFIG's cluster
    python scale_worker.py memory FOLDER N_ROWS            # memory of a memmap fit

The first two write the fitted centres (and k-means|| candidates) to OUT.npz; the
last prints a JSON line of memory figures.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def replicas(data_path: str, out_path: str) -> None:
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 4)

    import numpy as np

    import clustering_lib as cl
    from clustering_lib.core import _execution as execution
    from clustering_lib.core._distributed import ReplicaRunner
    from clustering_lib.core._kmeans_parallel import kmeans_parallel
    from clustering_lib.core._streaming import ArrayRows, StreamedPasses, summarize

    X = np.load(data_path)
    init = X[:8].copy()
    results = {}
    for n_replicas in (1, 2, 4):
        strategy = tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(n_replicas)])
        for dtype in (np.float64, np.float32):
            model = cl.KMeans(8, init=init.astype(dtype), n_init=1, tol=0.0,
                              strategy=strategy).fit(X.astype(dtype))
            name = np.dtype(dtype).name
            results[f"centers_{name}_{n_replicas}"] = model.cluster_centers_
            results[f"labels_{name}_{n_replicas}"] = model.labels_
            results[f"n_iter_{name}_{n_replicas}"] = model.n_iter_
        # Blocks of 512 rows under XLA: several per pass, the last one padded.
        with execution.config_context(mode="xla", block_rows=512):
            model = cl.KMeans(8, init=init, n_init=1, tol=0.0, strategy=strategy).fit(X)
        results[f"xla_centers_{n_replicas}"] = model.cluster_centers_
        source = ArrayRows(X)
        data = StreamedPasses(source, summarize(source), 8, X.mean(axis=0),
                              ReplicaRunner(strategy))
        with execution.config_context(mode="graph", block_rows=500):
            found = kmeans_parallel(data, 8, random_state=0)
        results[f"candidates_{n_replicas}"] = found.candidate_indices
        results[f"candidate_weights_{n_replicas}"] = found.candidate_weights
        minibatch = cl.MiniBatchKMeans(8, init=init, max_iter=2, random_state=0,
                                       strategy=strategy)
        results[f"minibatch_{n_replicas}"] = minibatch.fit(
            tf.data.Dataset.from_tensor_slices(X).batch(500)
        ).cluster_centers_
    np.savez(out_path, **results)


def worker(data_path: str, out_path: str) -> None:
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()

    import numpy as np

    import clustering_lib as cl

    X = np.load(data_path, mmap_mode="r")
    init = np.array(X[:8])
    model = cl.KMeans(8, init=init, n_init=1, tol=0.0, strategy=strategy).fit(X)
    parallel = cl.KMeans(8, init="k-means||", random_state=0, max_iter=5,
                         strategy=strategy).fit(X)
    np.savez(out_path, centers=model.cluster_centers_, labels=model.labels_,
             n_iter=model.n_iter_, parallel_centers=parallel.cluster_centers_,
             n_replicas=strategy.num_replicas_in_sync)


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def memory(folder: str, n_rows: str) -> None:
    """Fit a float32 memmap of ``n_rows`` x 16 (written here, block by block) with
    k-means|| and 3 Lloyd iterations, after a warm-up fit of its first 100,000 rows
    (the same kernels: the big fit compiles nothing). Prints, in MiB, the peak
    anonymous memory (RssAnon, sampled every 10 ms) above the process after import
    and above the process after the warm-up, and the peak RSS (VmHWM, which also
    counts the memmap's pages in the page cache) above the RSS after import."""
    import json
    import threading
    import time

    import numpy as np

    import clustering_lib as cl

    after_import = _status_kib("RssAnon")
    rss_after_import = _status_kib("VmRSS")
    peak = [after_import]
    running = threading.Event()
    running.set()

    def sample() -> None:
        while running.is_set():
            peak[0] = max(peak[0], _status_kib("RssAnon"))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    n_rows, n_features, block = int(n_rows), 16, 2**18
    path = os.path.join(folder, "points.f32")
    points = np.memmap(path, dtype=np.float32, mode="w+", shape=(n_rows, n_features))
    rng = np.random.default_rng(0)
    centers = rng.normal(scale=5.0, size=(16, n_features)).astype(np.float32)
    for start in range(0, n_rows, block):
        stop = min(start + block, n_rows)
        rows = centers[rng.integers(0, 16, stop - start)]
        points[start:stop] = rows + rng.normal(size=(stop - start, n_features))
    points.flush()
    del points
    X = np.memmap(path, dtype=np.float32, mode="r", shape=(n_rows, n_features))
    cl.KMeans(16, init="k-means||", random_state=0, max_iter=3).fit(X[:100_000])
    warm_peak = peak[0]
    after_warm_up = peak[0] = _status_kib("RssAnon")
    model = cl.KMeans(16, init="k-means||", random_state=0, max_iter=3).fit(X)
    running.clear()
    sampler.join()
    print(json.dumps({
        "anon_peak_mib": (max(peak[0], warm_peak) - after_import) / 1024,
        "anon_peak_over_warm_up_mib": (peak[0] - after_warm_up) / 1024,
        "warm_up_mib": (after_warm_up - after_import) / 1024,
        "rss_peak_mib": (_status_kib("VmHWM") - rss_after_import) / 1024,
        "data_mib": n_rows * n_features * 4 / 2**20,
        "n_passes": model.n_passes_,
        "labels": len(model.labels_),
    }))


if __name__ == "__main__":
    {"replicas": replicas, "worker": worker, "memory": memory}[sys.argv[1]](*sys.argv[2:])
