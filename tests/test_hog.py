"""HOG (``hog``, ``HOGFeatures``, ``hog_visualization``) against scikit-image's
``feature.hog``, image by image on photographs shipped with scikit-image."""

import numpy as np
import pytest
from feature_references import (
    BLOCK_NORMS,
    GRAY_PHOTOS,
    RGB_PHOTOS,
    as_dtype,
    photo,
    reference_hog,
)
from numpy.testing import assert_allclose, assert_array_equal

from sklinear.features import (
    hog,
    hog_visualization,
)


@pytest.mark.parametrize("block_norm", BLOCK_NORMS)
@pytest.mark.parametrize("transform_sqrt", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("name", RGB_PHOTOS + GRAY_PHOTOS)
def test_hog_equals_skimage_on_photographs(name, dtype, transform_sqrt, block_norm):
    # Odd sizes whose cells do not tile the image; several photos per batch.
    params = dict(
        pixels_per_cell=(8, 8),
        cells_per_block=(3, 3),
        block_norm=block_norm,
        transform_sqrt=transform_sqrt,
    )
    images = np.stack(
        [as_dtype(photo(name, (45, 61), start), dtype) for start in [(0, 0), (90, 77)]]
    )
    features = hog(images, **params)
    assert features.dtype == (np.float32 if dtype == np.float32 else np.float64)
    for image, row in zip(images, features):
        reference = reference_hog(image, **params)
        assert reference.dtype == features.dtype
        assert_allclose(row, reference, rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    "shape, pixels_per_cell, cells_per_block, orientations",
    [
        ((37, 53), (7, 5), (2, 3), 9),  # odd cells, odd sizes
        ((64, 48), (16, 16), (1, 1), 12),
        ((33, 29), (3, 3), (4, 2), 7),
        ((24, 24), (8, 8), (3, 3), 9),  # exactly one block
        ((50, 70), (9, 12), (2, 2), 4),  # 45-degree bin edges
        ((30, 41), (5, 5), (2, 2), 1),
    ],
)
@pytest.mark.parametrize("name", ["astronaut", "camera"])
def test_hog_equals_skimage_any_geometry(
    name, shape, pixels_per_cell, cells_per_block, orientations
):
    params = dict(
        orientations=orientations,
        pixels_per_cell=pixels_per_cell,
        cells_per_block=cells_per_block,
    )
    image = photo(name, shape)
    for variant in (image, image.astype(np.float64) / 255):
        features = hog(variant[np.newaxis], **params)[0]
        assert_allclose(features, reference_hog(variant, **params), rtol=0, atol=1e-6)


@pytest.mark.parametrize("n_channels", [2, 3, 4])
def test_hog_equals_skimage_on_8bit_noise(n_channels):
    # Uniform noise spreads the gradients over the whole 8-bit range and
    # makes channels tie often, so the lookup tables and the channel choice
    # are exercised everywhere; the same values stored as floats take the
    # general path.
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(6, 26, 34, n_channels), dtype=np.uint8)
    params = dict(pixels_per_cell=(6, 8), cells_per_block=(2, 2), orientations=11)
    features = hog(images, **params)
    for image, row in zip(images, features):
        assert_allclose(row, reference_hog(image, **params), rtol=0, atol=1e-6)
    assert_array_equal(hog(images.astype(np.float64), **params), features)


def _equal_norm_gradient_pairs():
    """Pairs of integer gradients with equal squared norm whose float64
    ``np.hypot`` values differ: the argmax over channels must still pick
    the one scikit-image picks."""
    values = np.arange(0, 256)
    g_row, g_col = (g.ravel() for g in np.meshgrid(values, values, indexing="ij"))
    squared = g_row**2 + g_col**2
    magnitude = np.hypot(g_row.astype(float), g_col.astype(float))
    order = np.lexsort((magnitude, squared))
    same_norm = squared[order][1:] == squared[order][:-1]
    differs = magnitude[order][1:] != magnitude[order][:-1]
    first, second = order[:-1][same_norm & differs], order[1:][same_norm & differs]
    return [(g_row[i], g_col[i], g_row[j], g_col[j]) for i, j in zip(first, second)]


def test_hog_channel_choice_on_one_ulp_ties():
    pairs = _equal_norm_gradient_pairs()
    if not pairs:
        pytest.skip("np.hypot is correctly rounded on this platform")
    # One 3 x 3 patch per pair: the centre pixel's gradient is (a, b) in one
    # channel and (c, d) in the other, in both channel orders.
    image = np.zeros((3 * len(pairs), 6, 2), dtype=np.uint8)
    for k, (a, b, c, d) in enumerate(pairs):
        row = 3 * k + 1
        image[row + 1, 1, 0], image[row, 2, 0] = a, b
        image[row + 1, 1, 1], image[row, 2, 1] = c, d
        image[row + 1, 4, 1], image[row, 5, 1] = a, b
        image[row + 1, 4, 0], image[row, 5, 0] = c, d
    params = dict(pixels_per_cell=(3, 3), cells_per_block=(1, 1), block_norm="L1")
    features = hog(image[np.newaxis], **params)[0]
    assert_allclose(features, reference_hog(image, **params), rtol=0, atol=1e-12)


def test_hog_images_smaller_than_a_block_are_zero_padded():
    image = photo("astronaut", (13, 30))
    features = hog(image[np.newaxis])[0]  # 24 x 24 needed with the defaults
    padded = np.zeros((24, 30, 3), dtype=np.uint8)
    padded[:13] = image
    assert_allclose(features, reference_hog(padded), rtol=0, atol=1e-6)


def test_hog_float32_stays_float32_and_integers_give_float64():
    image = photo("coffee", (32, 32))
    assert hog(image[np.newaxis]).dtype == np.float64
    assert hog(image[np.newaxis].astype(np.int64)).dtype == np.float64
    assert hog(image[np.newaxis].astype(np.float32)).dtype == np.float32


def test_hog_8bit_floats_match_uint8_exactly():
    images = np.stack([photo(name, (40, 40)) for name in RGB_PHOTOS])
    expected = hog(images, cells_per_block=(2, 2))
    for dtype in (np.float64, np.float32, np.int16):
        got = hog(images.astype(dtype), cells_per_block=(2, 2))
        assert_allclose(got, expected, rtol=0, atol=1e-7 if dtype == np.float32 else 0)


@pytest.mark.parametrize("pixels_per_cell", [(8, 8), (7, 5), (16, 12), (3, 3)])
@pytest.mark.parametrize("name", ["camera", "chelsea"])
def test_hog_visualization_equals_skimage(name, pixels_per_cell):
    image = photo(name, (75, 90))
    glyphs = hog_visualization(image, pixels_per_cell=pixels_per_cell)
    _, reference = reference_hog(
        image, pixels_per_cell=pixels_per_cell, cells_per_block=(1, 1), visualize=True
    )
    assert glyphs.shape == image.shape[:2]
    assert_allclose(glyphs, reference, rtol=0, atol=1e-9)
    as_float32 = hog_visualization(image.astype(np.float32) / 255)
    assert as_float32.dtype == np.float32
