"""Fixed palettes (uniform grid, random colours of the image) and apply_palette."""

import numpy as np
import pytest

import clustering_lib as cl
from clustering_course import palettes
from clustering_lib import quantize


@pytest.fixture(scope="module")
def china_small():
    return cl.load_sample_image("china")[::8, ::8]  # 54 x 80 pixels


def test_uniform_palette_is_the_regular_grid():
    palette = quantize.uniform_palette(3)
    assert palette.shape == (27, 3) and palette.dtype == np.uint8
    assert sorted(set(palette.ravel().tolist())) == [0, 128, 255]
    assert len(np.unique(palette, axis=0)) == 27
    np.testing.assert_array_equal(palette[:3], [[0, 0, 0], [0, 0, 128], [0, 0, 255]])
    floats = quantize.uniform_palette(2, dtype=np.float64)
    assert floats.dtype == np.float64
    np.testing.assert_array_equal(np.unique(floats), [0.0, 1.0])


@pytest.mark.parametrize(("n_levels", "dtype", "error"), [
    (1, np.uint8, ValueError), (2.0, np.uint8, ValueError), (True, np.uint8, ValueError),
    (2, np.int32, TypeError),
])
def test_uniform_palette_bad_input(n_levels, dtype, error):
    with pytest.raises(error, match="n_levels|dtype"):
        quantize.uniform_palette(n_levels, dtype=dtype)


def test_apply_palette_picks_the_nearest_color_by_brute_force(china_small):
    palette = quantize.uniform_palette(4)
    repainted = quantize.apply_palette(china_small, palette)
    assert repainted.shape == china_small.shape and repainted.dtype == np.uint8
    pixels = china_small.reshape(-1, 3).astype(np.float64)
    distances = ((pixels[:, None, :] - palette[None].astype(np.float64)) ** 2).sum(axis=2)
    chosen = ((pixels - repainted.reshape(-1, 3)) ** 2).sum(axis=1)
    np.testing.assert_allclose(chosen, distances.min(axis=1))
    assert set(map(tuple, repainted.reshape(-1, 3))) <= set(map(tuple, palette))


def test_apply_palette_with_the_kmeans_palette_is_quantize_colors(china_small):
    quantized, palette = quantize.quantize_colors(china_small, 8, random_state=0)
    np.testing.assert_array_equal(quantize.apply_palette(china_small, palette), quantized)


def test_apply_palette_on_a_float_image_keeps_dtype():
    image = np.array([[[0.1, 0.1, 0.1], [0.9, 0.8, 0.95]]], dtype=np.float32)
    repainted = quantize.apply_palette(image, [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    assert repainted.dtype == np.float32
    np.testing.assert_array_equal(repainted, [[[0, 0, 0], [1, 1, 1]]])


@pytest.mark.parametrize(("palette", "message"), [
    (np.zeros((2, 4)), r"palette must have shape \(n_colors, 3\)"),
    (np.zeros((0, 3)), r"palette must have shape \(n_colors, 3\)"),
    ([[0.5, 0.5, 0.5]], "integers from 0 to 255"),
    ([[300, 0, 0]], "integers from 0 to 255"),
    ([[np.nan, 0, 0]], "NaN"),
])
def test_apply_palette_bad_palette(china_small, palette, message):
    with pytest.raises(ValueError, match=message):
        quantize.apply_palette(china_small, palette)


def test_apply_palette_float_palette_out_of_range():
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        quantize.apply_palette(np.zeros((2, 2, 3)), [[0.0, 0.0, 2.0]])


def test_random_palette_draws_distinct_colors_of_the_image(china_small):
    palette = quantize.random_palette(china_small, 20, random_state=0)
    assert palette.shape == (20, 3) and palette.dtype == np.uint8
    assert len(np.unique(palette, axis=0)) == 20
    image_colors = set(map(tuple, china_small.reshape(-1, 3)))
    assert set(map(tuple, palette)) <= image_colors
    np.testing.assert_array_equal(palette, quantize.random_palette(china_small, 20, random_state=0))


def test_random_palette_follows_the_pixel_counts():
    # 80 black pixels and 20 red ones: a one-colour palette is red about one time in five
    # (drawing distinct colours uniformly, ignoring their counts, would give one in two).
    image = np.zeros((10, 10, 3), dtype=np.uint8)
    image[:2] = [255, 0, 0]
    draws = [tuple(quantize.random_palette(image, 1, random_state=seed)[0]) for seed in range(400)]
    assert 0.12 < draws.count((255, 0, 0)) / 400 < 0.28
    both = quantize.random_palette(image, 2, random_state=0)
    np.testing.assert_array_equal(both, [[0, 0, 0], [255, 0, 0]])


def test_random_palette_bad_n_colors(china_small):
    n_distinct = len(np.unique(china_small.reshape(-1, 3), axis=0))
    with pytest.raises(ValueError, match="number of distinct colours"):
        quantize.random_palette(china_small, n_distinct + 1)
    with pytest.raises(TypeError, match="n_colors must be an integer"):
        quantize.random_palette(china_small, 2.5)


def test_palette_baselines_match_the_palettes_they_describe(china_small):
    baselines = palettes.palette_baselines(china_small, [4, 16], [2, 3], n_draws=3, random_state=7)
    rng = np.random.RandomState(7)
    expected_random = [
        np.median([quantize.image_psnr(china_small, quantize.apply_palette(
            china_small, quantize.random_palette(china_small, k, random_state=rng)))
            for _ in range(3)])
        for k in [4, 16]
    ]
    np.testing.assert_allclose(baselines["random_psnr"], expected_random)
    np.testing.assert_array_equal(baselines["grid_n_colors"], [8, 27])
    for index, levels in enumerate([2, 3]):
        grid = quantize.apply_palette(china_small, quantize.uniform_palette(levels))
        assert baselines["grid_psnr"][index] == quantize.image_psnr(china_small, grid)
        assert baselines["grid_colors_used"][index] == len(np.unique(grid.reshape(-1, 3), axis=0))
    assert np.all(baselines["grid_colors_used"] <= baselines["grid_n_colors"])


def test_kmeans_palette_beats_both_baselines(china_small):
    # The point of the baselines: k-means chooses better colours than either (same size).
    sweep = palettes.quantization_sweep(china_small, [8, 27], random_state=0)
    baselines = palettes.palette_baselines(china_small, [8, 27], [2, 3], random_state=0)
    assert np.all(sweep["psnr"] > baselines["random_psnr"])
    assert np.all(sweep["psnr"] > baselines["grid_psnr"])


def test_palette_baselines_bad_n_draws(china_small):
    with pytest.raises(ValueError, match="n_draws must be a positive integer"):
        palettes.palette_baselines(china_small, [4], [2], n_draws=0)
