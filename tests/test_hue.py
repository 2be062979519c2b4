"""Hue histograms (``hue_histogram``, ``HueHistogram``) against scikit-image's
``color.rgb2hsv`` followed by ``np.histogram``, on photographs shipped with
scikit-image."""

import numpy as np
import pytest
from feature_references import (
    RGB_PHOTOS,
    photo,
    reference_hue_counts,
)
from numpy.testing import assert_allclose, assert_array_equal
from skimage.color import rgb2hsv

from sklinear.features import (
    HueHistogram,
    hue_histogram,
)


@pytest.mark.parametrize("n_bins", [1, 3, 6, 10, 12, 36, 255])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_hue_histogram_equals_reference_on_photographs(dtype, n_bins):
    images = np.stack([photo(name, (50, 50)) for name in RGB_PHOTOS])
    counts = hue_histogram(images.astype(dtype), n_bins=n_bins, normalize=False)
    fractions = hue_histogram(images.astype(dtype), n_bins=n_bins)
    out_dtype = np.float32 if dtype == np.float32 else np.float64
    assert counts.dtype == fractions.dtype == out_dtype
    for image, row_counts, row_fractions in zip(images, counts, fractions):
        expected = reference_hue_counts(image.astype(dtype), n_bins)
        assert_array_equal(row_counts, expected)
        assert_allclose(row_fractions, expected / (50 * 50), rtol=1e-6)
    assert_allclose(fractions.sum(axis=1), 1, rtol=1e-6)


@pytest.mark.parametrize("n_bins", [3, 6, 10, 12, 24, 360])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hue_histogram_every_pixel_in_its_bin(dtype, n_bins):
    # A 52^3 grid of 8-bit colors, full of hues that lie exactly on bin
    # edges (pure and mixed primaries, grays), plus random colors; the
    # histogram of each single pixel must match rgb2hsv + np.histogram.
    levels = np.arange(0, 256, 5)
    grid = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1)
    rng = np.random.default_rng(n_bins)
    colors = np.concatenate(
        [grid.reshape(-1, 3), rng.integers(0, 256, size=(30_000, 3))]
    ).astype(np.uint8)
    images = colors.astype(dtype)[:, np.newaxis, np.newaxis, :]  # 1 x 1 images
    one_hot = hue_histogram(images, n_bins=n_bins, normalize=False)
    hue = rgb2hsv(colors.astype(dtype) / 255)[..., 0]
    assert_array_equal(one_hot.sum(axis=0), np.histogram(hue, n_bins, range=(0, 1))[0])
    # np.histogram's rule: edges[k] <= hue < edges[k + 1], the last bin closed.
    edges = np.histogram_bin_edges(hue, bins=n_bins, range=(0, 1))
    expected = np.clip(np.searchsorted(edges, hue, side="right") - 1, 0, n_bins - 1)
    assert_array_equal(one_hot.argmax(axis=1), expected)


def test_hue_histogram_scale_one_for_images_in_0_1():
    image = photo("rocket", (40, 40)).astype(np.float64) / 255
    got = hue_histogram(image[np.newaxis], n_bins=8, scale=1.0, normalize=False)[0]
    assert_array_equal(got, reference_hue_counts(image, 8, scale=1.0))


def test_hue_histogram_16bit_integers_with_their_scale():
    image = photo("astronaut", (30, 30)).astype(np.uint16) * 257  # 0..65535
    got = hue_histogram(image[np.newaxis], n_bins=7, scale=65535, normalize=False)
    assert_array_equal(got[0], reference_hue_counts(image, 7, scale=65535))


def test_hue_histogram_gray_images_fall_in_bin_zero():
    gray = photo("camera", (20, 30))
    expected = np.array([[1.0, 0.0, 0.0, 0.0]])
    assert_array_equal(hue_histogram(gray[np.newaxis], n_bins=4), expected)
    as_rgb = np.repeat(gray[..., np.newaxis], 3, axis=-1)
    assert_array_equal(hue_histogram(as_rgb[np.newaxis], n_bins=4), expected)


@pytest.mark.parametrize(
    "images, match",
    [
        (np.full((1, 4, 4, 3), -1.0), "Negative values in data passed to"),
        (np.full((1, 4, 4, 3), 256.0), r"\[0, scale=255\], got a maximum of 256"),
        (np.zeros((1, 4, 4, 4)), "3 channels"),
        (np.full((1, 4, 4, 3), np.nan), "NaN"),
    ],
)
def test_hue_histogram_rejects_bad_values(images, match):
    with pytest.raises(ValueError, match=match):
        hue_histogram(images)
    with pytest.raises(ValueError, match=match):
        HueHistogram().fit(images)
