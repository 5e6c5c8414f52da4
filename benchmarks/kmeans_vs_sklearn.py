"""clustering_lib.KMeans against scikit-learn's KMeans, in one run, on the same data.

Two shapes: the MNIST test split (10,000 x 784, k=10) and the pixels of china.jpg
(273,280 x 3, k=64), both float32. For each:

- time per Lloyd iteration: both estimators start from the same centres (scikit-learn's
  k-means++ with seed 0) with tol=0, and fit once with a few iterations and once with
  more; the difference of the two fit times divided by the difference of ``n_iter_`` is
  the cost of one iteration, free of each fit's fixed costs (validation, centring, the
  final labelling). The fixed-iteration fit time itself is reported too;
- a full default fit: ``KMeans(n_clusters=k, random_state=seed)``, k-means++ and
  n_init='auto' on both sides, over several seeds.

Medians of repeated runs are reported, with the ratio clustering_lib / scikit-learn
(below 1.0 means clustering_lib is faster). The first call of clustering_lib builds
its TensorFlow graphs; that one-off cost is reported separately as "warm-up".

Usage: ``python benchmarks/kmeans_vs_sklearn.py [--repeats N] [--iterations N]``
(``make bench``). Machines are noisy: compare ratios from one run, not across runs.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from _timing import (  # noqa: E402
    describe_threads,
    median_seconds,
    per_iteration_seconds,
    print_table,
)
from sklearn.cluster import KMeans as SklearnKMeans  # noqa: E402
from sklearn.cluster import kmeans_plusplus  # noqa: E402

import clustering_lib as cl  # noqa: E402


def load_shapes() -> dict[str, tuple[np.ndarray, int]]:
    images, _ = cl.load_mnist("test")
    mnist = images.reshape(len(images), -1).astype(np.float32) / 255.0
    china = cl.load_sample_image("china").reshape(-1, 3).astype(np.float32) / 255.0
    return {"MNIST test (10000x784, k=10)": (mnist, 10), "china.jpg (273280x3, k=64)": (china, 64)}


def bench_shape(X: np.ndarray, k: int, repeats: int, iterations: int) -> dict[str, float]:
    centers, _ = kmeans_plusplus(X, k, random_state=0)
    short = max(1, iterations // 4)

    def ours_fixed(n: int) -> cl.KMeans:
        return cl.KMeans(n_clusters=k, init=centers, n_init=1, max_iter=n, tol=0.0)

    def sklearn_fixed(n: int) -> SklearnKMeans:
        return SklearnKMeans(n_clusters=k, init=centers, n_init=1, max_iter=n, tol=0.0)

    warmup_start = time.perf_counter()
    for n in (short, iterations):
        ours_fixed(n).fit(X)
    cl.KMeans(n_clusters=k, random_state=0).fit(X)
    warmup = time.perf_counter() - warmup_start

    def fit(estimator):
        return estimator.fit(X)

    iter_ours, t_ours, ours = per_iteration_seconds(ours_fixed, fit, repeats, short, iterations)
    iter_sk, t_sk, ref = per_iteration_seconds(sklearn_fixed, fit, repeats, short, iterations)

    seeds = iter(range(10_000))
    t_fit_ours, fit_ours = median_seconds(
        lambda: cl.KMeans(n_clusters=k, random_state=next(seeds)).fit(X), repeats
    )
    seeds = iter(range(10_000))
    t_fit_sk, fit_sk = median_seconds(
        lambda: SklearnKMeans(n_clusters=k, random_state=next(seeds)).fit(X), repeats
    )
    same_labels = float(np.mean(ours.labels_ == ref.labels_))
    return {
        f"fit with {iterations} iterations: same labels": same_labels,
        f"fit with {iterations} iterations, s (ours)": t_ours,
        f"fit with {iterations} iterations, s (sklearn)": t_sk,
        f"fit with {iterations} iterations, ratio": t_ours / t_sk,
        "per-iteration ms (ours)": iter_ours * 1e3,
        "per-iteration ms (sklearn)": iter_sk * 1e3,
        "per-iteration ratio": iter_ours / iter_sk,
        "default fit s (ours)": t_fit_ours,
        "default fit s (sklearn)": t_fit_sk,
        "default fit ratio": t_fit_ours / t_fit_sk,
        "inertia ratio (last default fit)": fit_ours.inertia_ / fit_sk.inertia_,
        "warm-up s (ours, first calls)": warmup,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per measure")
    parser.add_argument("--iterations", type=int, default=20,
                        help="Lloyd iterations of the long fixed-iteration fit")
    args = parser.parse_args()

    print(f"clustering_lib {cl.__version__}; threads seen by scikit-learn: {describe_threads()}")
    print_table({name: bench_shape(X, k, args.repeats, args.iterations)
                 for name, (X, k) in load_shapes().items()})


if __name__ == "__main__":
    main()
