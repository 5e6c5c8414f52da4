"""The checks of notebook 02's exercises (clustering_course.quantization_lessons)."""

import numpy as np
import pytest

from clustering_course import quantization_lessons as ql
from clustering_course.exercises import ExerciseFailed


def test_srgb_to_lab_reference_values():
    lab = ql.srgb_to_lab(np.array([[255, 255, 255], [0, 0, 0], [255, 0, 0], [0, 0, 255]]))
    expected = [[100, 0, 0], [0, 0, 0], [53.24, 80.09, 67.20], [32.30, 79.19, -107.86]]
    np.testing.assert_allclose(lab, expected, atol=0.02)


def test_floyd_steinberg_keeps_the_mean_grey():
    image = np.full((16, 16, 3), 64, np.uint8)
    palette = np.array([[0, 0, 0], [255, 255, 255]], np.uint8)
    result = ql.floyd_steinberg(image, palette)
    assert abs(result.mean() - 64) < 8
    assert set(np.unique(result)) == {0, 255}


def reference(image, palette):
    return ql.floyd_steinberg(image, palette)


def test_check_dither_accepts_the_reference_and_unit_floats(capsys):
    ql.check_dither(reference)
    ql.check_dither(lambda image, palette: reference(image, palette) / 255.0)
    assert "all 5 cases pass" in capsys.readouterr().out


@pytest.mark.parametrize("mistake", list(ql._MISTAKES))
def test_check_dither_names_each_mistake(mistake):
    options, hint = ql._MISTAKES[mistake]
    with pytest.raises(ExerciseFailed) as failure:
        ql.check_dither(lambda image, palette: ql.floyd_steinberg(image, palette, **options))
    assert mistake in str(failure.value)
    assert hint in str(failure.value)


def test_check_dither_float_0_255_and_indices():
    with pytest.raises(ExerciseFailed, match="nearly white"):
        ql.check_dither(lambda image, palette: reference(image, palette).astype(float))
    with pytest.raises(ExerciseFailed, match="not the indices"):
        ql.check_dither(lambda image, palette: reference(image, palette)[..., 0])


def test_check_dither_stub_error_passes_through():
    def stub(image, palette):
        raise NotImplementedError("Your turn")

    with pytest.raises(NotImplementedError):
        ql.check_dither(stub)


def lab_solution(image, n_colors):
    pixels = image.reshape(-1, 3).astype(float)
    return ql._kmeans_palette_image(ql.srgb_to_lab(pixels), pixels, n_colors).reshape(
        image.shape)


@pytest.mark.slow
def test_check_quantize_lab(capsys):
    ql.check_quantize_lab(lab_solution)
    assert "all 4 cases pass" in capsys.readouterr().out


@pytest.mark.slow
def test_check_quantize_lab_diagnoses_rgb_and_lab_values():
    def rgb(image, n_colors):
        pixels = image.reshape(-1, 3).astype(float)
        return ql._kmeans_palette_image(pixels, pixels, n_colors).reshape(image.shape)

    with pytest.raises(ExerciseFailed, match="k-means in RGB"):
        ql.check_quantize_lab(rgb)
    with pytest.raises(ExerciseFailed, match="Lab coordinates"):
        ql.check_quantize_lab(lambda image, n: ql.srgb_to_lab(lab_solution(image, n)))


NOTEBOOK_ANSWER = """
def quantize_lab(image, n_colors):
    pixels = image.reshape(-1, 3).astype(float)
    lab = srgb_to_lab(pixels / SCALE)
    return ql._kmeans_palette_image(lab, pixels, n_colors).reshape(image.shape)
"""


@pytest.mark.slow
@pytest.mark.parametrize("scale", [1, 255])
def test_check_quantize_lab_records_the_scale_given_to_srgb_to_lab(capsys, scale):
    # An answer that hands srgb_to_lab 0-1 pixels gets a mean Delta E within the tolerance
    # (the conversion is then linear, and close enough to CIELAB on these cases): the check
    # must see the slip in what its srgb_to_lab receives. The function is defined as in a
    # notebook, with its own srgb_to_lab among its globals.
    namespace = {"ql": ql, "srgb_to_lab": ql.srgb_to_lab, "SCALE": scale}
    exec(NOTEBOOK_ANSWER, namespace)
    original = namespace["srgb_to_lab"]
    if scale == 1:
        ql.check_quantize_lab(namespace["quantize_lab"])
        assert "all 4 cases pass" in capsys.readouterr().out
    else:
        with pytest.raises(ExerciseFailed, match="0-1 scale") as failure:
            ql.check_quantize_lab(namespace["quantize_lab"])
        assert "0-255 scale" in str(failure.value)
    assert namespace["srgb_to_lab"] is original  # put back, pass or fail
    assert ql.srgb_to_lab.__name__ == "srgb_to_lab"


@pytest.mark.slow
def test_check_quantize_lab_sees_the_scale_slip_through_the_module():
    def unit_scale(image, n_colors):
        pixels = image.reshape(-1, 3).astype(float)
        return ql._kmeans_palette_image(ql.srgb_to_lab(pixels / 255), pixels,
                                        n_colors).reshape(image.shape)

    with pytest.raises(ExerciseFailed, match="0-1 scale"):
        ql.check_quantize_lab(unit_scale)


@pytest.mark.parametrize("case", [2, 3])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_each_synthetic_case_alone_rejects_kmeans_in_rgb(monkeypatch, case, seed):
    # The two crops of china.jpg cannot tell RGB from Lab; each synthetic image can, whatever
    # the seed of the answer's k-means.
    from sklearn.cluster import KMeans

    only = ql._lab_cases()[case]
    monkeypatch.setattr(ql, "_lab_cases", lambda: [only])

    def rgb(image, n_colors):
        pixels = image.reshape(-1, 3).astype(float)
        labels = KMeans(n_colors, n_init=1, random_state=seed).fit_predict(pixels)
        means = np.array([pixels[labels == j].mean(axis=0) for j in range(n_colors)])
        return np.rint(means[labels]).astype(np.uint8).reshape(image.shape)

    def lab(image, n_colors):
        pixels = image.reshape(-1, 3).astype(float)
        labels = KMeans(n_colors, n_init=1, random_state=seed).fit_predict(ql.srgb_to_lab(pixels))
        means = np.array([pixels[labels == j].mean(axis=0) for j in range(n_colors)])
        return np.rint(means[labels]).astype(np.uint8).reshape(image.shape)

    with pytest.raises(ExerciseFailed, match="k-means in RGB"):
        ql.check_quantize_lab(rgb)
    ql.check_quantize_lab(lab)


def test_show_pixels_draws_each_pixel_at_its_zoom():
    import matplotlib.pyplot as plt

    images = [np.zeros((10, 20, 3), np.uint8), np.ones((5, 8))]
    fig, axes = ql.show_pixels(images, ["a", "b"], zoom=[1, 3])
    dpi = fig.dpi
    widths = [ax.get_position().width * fig.get_figwidth() * dpi for ax in axes]
    heights = [ax.get_position().height * fig.get_figheight() * dpi for ax in axes]
    np.testing.assert_allclose(widths, [20, 24])
    np.testing.assert_allclose(heights, [10, 15])
    assert [ax.get_title() for ax in axes] == ["a", "b"]
    with pytest.raises(ValueError, match="whole number"):
        ql.show_pixels(images[:1], ["a"], zoom=1.5)
    plt.close("all")
