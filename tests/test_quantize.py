"""quantize_colors: shapes and dtypes, palette membership, determinism, quality, bad input."""

import numpy as np
import pytest
import tensorflow as tf
from sklearn.cluster import KMeans as SklearnKMeans

import clustering_lib as cl
from clustering_course import palettes
from clustering_lib import quantize


@pytest.fixture(scope="module")
def china_small():
    return cl.load_sample_image("china")[::4, ::4]  # 107 x 160 pixels


def _is_palette_color(image, palette):
    pixels = image.reshape(-1, 1, 3)
    return np.all(np.any(np.all(pixels == palette[None, :, :], axis=2), axis=1))


@pytest.mark.parametrize("method", ["sample", "unique", "all"])
def test_uint8_round_trip_and_palette_membership(china_small, method):
    quantized, palette = quantize.quantize_colors(china_small, 8, method=method, sample_size=2000,
                                            random_state=0)
    assert quantized.shape == china_small.shape and quantized.dtype == np.uint8
    assert palette.shape == (8, 3) and palette.dtype == np.uint8
    assert _is_palette_color(quantized, palette)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_round_trip_keeps_dtype_and_scale(china_small, dtype):
    image = china_small.astype(dtype) / 255
    quantized, palette = quantize.quantize_colors(image, 6, random_state=0)
    assert quantized.dtype == dtype and palette.dtype == dtype
    assert quantized.shape == image.shape
    assert 0.0 <= palette.min() and palette.max() <= 1.0
    assert _is_palette_color(quantized, palette)


def test_accepts_a_tensor(china_small):
    quantized, _ = quantize.quantize_colors(tf.constant(china_small), 4, random_state=0)
    assert quantized.shape == china_small.shape


def test_every_pixel_gets_its_nearest_palette_color(china_small):
    quantized, palette = quantize.quantize_colors(china_small, 12, random_state=1)
    pixels = china_small.reshape(-1, 3).astype(np.float64)
    distances = ((pixels[:, None, :] - palette[None].astype(np.float64)) ** 2).sum(axis=2)
    best = distances.min(axis=1)
    chosen = ((pixels - quantized.reshape(-1, 3)) ** 2).sum(axis=1)
    np.testing.assert_allclose(chosen, best)


def test_same_random_state_same_result(china_small):
    first = quantize.quantize_colors(china_small, 16, random_state=3)
    second = quantize.quantize_colors(china_small, 16, random_state=3)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


@pytest.mark.slow
def test_unique_method_solves_the_all_pixel_problem(china_small):
    # k-means on distinct colours weighted by counts is k-means on every pixel. (tol=0:
    # the relative tolerance is scaled by the unweighted variance, which differs.)
    pixels = china_small.reshape(-1, 3).astype(np.float64) / 255
    colors, counts = np.unique(pixels, axis=0, return_counts=True)
    init = colors[:: len(colors) // 8][:8]
    weighted = cl.KMeans(8, init=init, n_init=1, tol=0).fit(colors, sample_weight=counts)
    everything = SklearnKMeans(8, init=init, n_init=1, tol=0).fit(pixels)
    np.testing.assert_allclose(weighted.cluster_centers_, everything.cluster_centers_,
                               rtol=1e-9)
    np.testing.assert_allclose(weighted.inertia_, everything.inertia_, rtol=1e-9)


def test_quality_close_to_scikit_learn_on_all_pixels(china_small):
    ref_image, _ = palettes.sklearn_quantize_colors(china_small, 16, random_state=0)
    ref_mse = np.mean((ref_image.astype(float) - china_small) ** 2)
    quantized, _ = quantize.quantize_colors(china_small, 16, method="unique", random_state=0)
    mse = np.mean((quantized.astype(float) - china_small) ** 2)
    assert mse <= 1.05 * ref_mse


def test_image_with_few_colors_is_reproduced_exactly():
    rng = np.random.default_rng(0)
    colors = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255]], dtype=np.uint8)
    image = colors[rng.integers(0, 3, size=(30, 40))]
    quantized, palette = quantize.quantize_colors(image, 3, sample_size=50, random_state=0)
    np.testing.assert_array_equal(quantized, image)
    assert sorted(map(tuple, palette.tolist())) == sorted(map(tuple, colors.tolist()))


def test_sample_with_too_few_distinct_colors_falls_back_to_all_colors():
    # 1,000 pixels of one colour and one pixel each of two others: a small sample almost
    # surely misses them, yet three colours were asked for and exist.
    image = np.zeros((1, 1002, 3), dtype=np.uint8)
    image[0, 1000] = [255, 255, 255]
    image[0, 1001] = [255, 0, 0]
    quantized, palette = quantize.quantize_colors(image, 3, sample_size=10, random_state=0)
    np.testing.assert_array_equal(quantized, image)
    assert len(np.unique(palette, axis=0)) == 3


@pytest.mark.parametrize(
    ("image", "kwargs", "error", "message"),
    [
        (np.zeros((4, 4), np.uint8), {}, ValueError, r"shape \(height, width, 3\)"),
        (np.zeros((4, 4, 4), np.uint8), {}, ValueError, r"shape \(height, width, 3\)"),
        (np.zeros((0, 4, 3), np.uint8), {}, ValueError, "empty"),
        (np.full((4, 4, 3), np.nan), {}, ValueError, "NaN"),
        (np.full((4, 4, 3), np.inf), {}, ValueError, "NaN or infinity"),
        (np.full((4, 4, 3), 2.0), {}, ValueError, r"must lie in \[0, 1\]"),
        (np.full((4, 4, 3), -0.5), {}, ValueError, r"must lie in \[0, 1\]"),
        (np.zeros((4, 4, 3), np.int64), {}, TypeError, "uint8"),
        (np.zeros((4, 4, 3), np.uint8), {"n_colors": 0}, ValueError, "n_colors must be at least"),
        (np.zeros((4, 4, 3), np.uint8), {"n_colors": 2.0}, TypeError, "n_colors must be an int"),
        (np.zeros((4, 4, 3), np.uint8), {"n_colors": 2}, ValueError, "distinct colours"),
        (np.zeros((4, 4, 3), np.uint8), {"method": "fast"}, ValueError, "method"),
        (np.zeros((4, 4, 3), np.uint8), {"n_colors": 2, "sample_size": 1}, ValueError,
         "sample_size"),
    ],
)
def test_bad_input(image, kwargs, error, message):
    kwargs = {"n_colors": 1, **kwargs}
    with pytest.raises(error, match=message):
        quantize.quantize_colors(image, **kwargs)


def test_mse_and_psnr_hand_made():
    reference = np.zeros((2, 2, 3), dtype=np.uint8)
    image = reference.copy()
    image[0, 0, 0] = 12  # one channel of one pixel off by 12: MSE = 144 / 12 = 12
    assert quantize.image_mse(reference, image) == pytest.approx(12.0)
    assert quantize.image_psnr(reference, image) == pytest.approx(10 * np.log10(255**2 / 12.0))
    assert quantize.image_psnr(reference, reference) == float("inf")
    floats = reference.astype(np.float32)
    assert quantize.image_psnr(floats, floats + 0.1) == pytest.approx(20.0, rel=1e-5)
    with pytest.raises(ValueError, match="shape"):
        quantize.image_mse(reference, np.zeros((2, 3, 3), dtype=np.uint8))


def test_compressed_bits_per_pixel():
    # 64 colours: 6-bit indices plus a 64 x 24-bit palette spread over the pixels.
    assert quantize.compressed_bits_per_pixel(1000, 64) == pytest.approx(6 + 64 * 24 / 1000)
    assert quantize.compressed_bits_per_pixel(10, 1) == pytest.approx(1 + 2.4)
    assert quantize.compressed_bits_per_pixel(100, 5) == pytest.approx(3 + 1.2)
    with pytest.raises(ValueError, match="positive"):
        quantize.compressed_bits_per_pixel(0, 4)


def test_quantization_sweep_matches_single_calls(china_small):
    sweep = palettes.quantization_sweep(china_small, [2, 8], random_state=0)
    np.testing.assert_array_equal(sweep["n_colors"], [2, 8])
    quantized, _ = quantize.quantize_colors(china_small, 8, random_state=0)
    assert sweep["mse"][1] == pytest.approx(quantize.image_mse(china_small, quantized))
    assert sweep["psnr"][1] > sweep["psnr"][0]
    assert sweep["bits_per_pixel"][0] < sweep["bits_per_pixel"][1]


@pytest.mark.slow
def test_many_palette_sizes_in_a_row_log_no_retracing_warning(china_small):
    # The few-feature kernels are compiled once per palette size, by design, so
    # TensorFlow's "excessive retracing" warning must not reach the user's stderr.
    import logging

    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = tf.get_logger()
    logger.addHandler(handler)
    try:
        for n_colors in range(2, 10):
            quantize.quantize_colors(china_small, n_colors, random_state=0)
    finally:
        logger.removeHandler(handler)
    assert not [r for r in records if "retracing" in r.getMessage()]


def test_sklearn_reference_quantiser_conventions(china_small):
    quantized, palette = palettes.sklearn_quantize_colors(china_small, 5, random_state=0)
    assert quantized.dtype == np.uint8 and palette.shape == (5, 3)
    assert _is_palette_color(quantized, palette)
    floats = china_small.astype(np.float64) / 255
    quantized, palette = palettes.sklearn_quantize_colors(floats, 5, random_state=0)
    assert quantized.dtype == np.float64 and palette.max() <= 1.0
