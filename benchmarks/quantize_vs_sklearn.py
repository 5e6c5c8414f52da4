"""Colour quantisation: clustering_lib.quantize.quantize_colors against scikit-learn's KMeans.

For china.jpg and flower.jpg at 64 colours (float32 pixels in [0, 1], palettes rounded
to 8-bit colours), in one run:

- scikit-learn's ``KMeans(64, random_state=seed)`` fitted on every pixel, then every
  pixel replaced by its centre: the reference time and mean squared error (MSE, on the
  0-255 scale);
- ``quantize_colors`` with each ``method`` ('sample' at several sample sizes, the
  default among them; 'unique'; 'all'): MSE relative to the reference and speed-up;
- the full-pixel k-means fit with the same initial centres and the same iterations
  (tol=0): scikit-learn on every pixel, clustering_lib on every pixel, and
  clustering_lib on the distinct colours weighted by their counts (the same problem,
  as the 'unique' method solves it), per Lloyd iteration.

Medians over seeds (or repeats); compare ratios within one run. ``make bench`` runs it.
"""

from __future__ import annotations

import argparse
import os

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
from clustering_course import palettes  # noqa: E402
from clustering_lib.quantize import DEFAULT_SAMPLE_SIZE  # noqa: E402

N_COLORS = 64
SAMPLE_SIZES = (5_000, 10_000, 20_000, 50_000)


def timed_over_seeds(run, seeds: int) -> tuple[float, float]:
    """Median time and mean MSE of ``run(seed)`` over seeds (after one warm-up call)."""
    run(10_000)
    times, errors = [], []
    for seed in range(seeds):
        seconds, (image, reference) = median_seconds(lambda s=seed: run(s), 1)
        times.append(seconds)
        errors.append(cl.quantize.image_mse(reference, image))
    return float(np.median(times)), float(np.mean(errors))


def bench_image(name: str, seeds: int, repeats: int, iterations: int) -> dict[str, object]:
    image = cl.load_sample_image(name)
    row: dict[str, object] = {}
    t_sk, mse_sk = timed_over_seeds(
        lambda s: (palettes.sklearn_quantize_colors(image, N_COLORS, random_state=s)[0], image),
        seeds,
    )
    row["sklearn KMeans, all pixels: s"] = t_sk
    row["sklearn KMeans, all pixels: MSE"] = mse_sk

    settings = [("sample", size) for size in SAMPLE_SIZES] + [("unique", 0), ("all", 0)]
    for method, size in settings:
        label = f"sample {size}" if method == "sample" else method
        if size == DEFAULT_SAMPLE_SIZE:
            label += " (default)"
        t, err = timed_over_seeds(
            lambda s, m=method, n=size: (cl.quantize.quantize_colors(
                image, N_COLORS, method=m, sample_size=max(n, N_COLORS), random_state=s
            )[0], image),
            seeds,
        )
        row[f"{label}: MSE / sklearn"] = err / mse_sk
        row[f"{label}: speed-up"] = t_sk / t

    # Same initial centres, same iterations, tol=0: the full-pixel k-means problem.
    pixels = image.reshape(-1, 3).astype(np.float32) / 255
    colors, counts = np.unique(pixels, axis=0, return_counts=True)
    centers, _ = kmeans_plusplus(pixels, N_COLORS, random_state=0)
    short = max(1, iterations // 4)

    def fixed(estimator_class):
        return lambda n: estimator_class(N_COLORS, init=centers, n_init=1, max_iter=n, tol=0.0)

    for n in (short, iterations):  # compile the XLA loops outside the timings
        cl.KMeans(N_COLORS, init=centers, n_init=1, max_iter=n).fit(colors, sample_weight=counts)
        cl.KMeans(N_COLORS, init=centers, n_init=1, max_iter=n).fit(pixels)
    per_sk, _, _ = per_iteration_seconds(fixed(SklearnKMeans), lambda e: e.fit(pixels),
                                         repeats, short, iterations)
    per_all, _, _ = per_iteration_seconds(fixed(cl.KMeans), lambda e: e.fit(pixels),
                                          repeats, short, iterations)
    per_unique, _, _ = per_iteration_seconds(
        fixed(cl.KMeans), lambda e: e.fit(colors, sample_weight=counts),
        repeats, short, iterations,
    )
    row["distinct colours"] = len(colors)
    row["Lloyd iteration, sklearn all pixels: ms"] = per_sk * 1e3
    row["Lloyd iteration, ours all pixels / sklearn"] = per_all / per_sk
    row["Lloyd iteration, ours distinct colours / sklearn"] = per_unique / per_sk
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds per quantiser")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per Lloyd measure")
    parser.add_argument("--iterations", type=int, default=20, help="Lloyd iterations")
    args = parser.parse_args()
    print(f"clustering_lib {cl.__version__}; threads seen by scikit-learn: {describe_threads()}")
    print(f"{N_COLORS} colours; MSE on the 0-255 scale; speed-up = sklearn time / our time")
    print_table({f"{name}.jpg": bench_image(name, args.seeds, args.repeats, args.iterations)
                 for name in ("china", "flower")})


if __name__ == "__main__":
    main()
