"""Tests of the HOG and hue-histogram transformers.

The references are scikit-image's own ``feature.hog`` and ``color.rgb2hsv``
followed by ``np.histogram``, evaluated image by image on real photographs
shipped with scikit-image.
"""

import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from skimage import data
from skimage.color import rgb2hsv
from skimage.feature import hog as skimage_hog
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklinear.features._hog
import sklinear.features._images
from sklinear.datasets import load_photo_patches
from sklinear.features import (
    HOGFeatures,
    HueHistogram,
    hog,
    hog_visualization,
    hue_histogram,
)
from sklinear.linear_model import LinearSVMClassifier

BLOCK_NORMS = ["L1", "L1-sqrt", "L2", "L2-Hys"]
RGB_PHOTOS = ["astronaut", "coffee", "chelsea", "rocket"]
GRAY_PHOTOS = ["camera", "moon"]


def photo(name, shape, start=(40, 30)):
    """A crop of a scikit-image photograph (uint8)."""
    image = getattr(data, name)()
    return image[start[0] : start[0] + shape[0], start[1] : start[1] + shape[1]]


def reference_hog(image, **params):
    """scikit-image's HOG of one image (channels last if color)."""
    channel_axis = -1 if image.ndim == 3 else None
    return skimage_hog(image, channel_axis=channel_axis, **params)


def reference_hue_counts(image, n_bins, scale=255):
    """np.histogram of rgb2hsv hues of one RGB image, as the issue defines."""
    hue = rgb2hsv(image / scale)[..., 0]
    return np.histogram(hue, bins=n_bins, range=(0, 1))[0]


def as_dtype(image, dtype):
    """uint8 as it is, or floats in [0, 1]."""
    if dtype == np.uint8:
        return image
    return image.astype(dtype) / dtype(255)


# --------------------------------------------------------------------------
# HOG against scikit-image
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Hue histograms against rgb2hsv + np.histogram
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Input layouts, image shapes and errors
# --------------------------------------------------------------------------


@pytest.mark.parametrize("transformer", [HOGFeatures(), HueHistogram()])
def test_rows_arrays_and_channels_first_agree(transformer):
    images = np.stack([photo(name, (32, 32)) for name in RGB_PHOTOS])
    from_images = clone(transformer).fit_transform(images)
    rows = images.reshape(len(images), -1)
    assert_array_equal(clone(transformer).fit_transform(rows), from_images)
    channels_first = clone(transformer).set_params(channels_first=True)
    chw = images.transpose(0, 3, 1, 2)
    assert_array_equal(channels_first.fit_transform(chw), from_images)
    assert channels_first.image_shape_ == (32, 32, 3)
    chw_rows = chw.reshape(len(images), -1)
    assert_array_equal(channels_first.fit_transform(chw_rows), from_images)
    assert channels_first.image_shape_ == (32, 32, 3)


@pytest.mark.parametrize("transformer", [HOGFeatures(), HueHistogram()])
def test_one_channel_lists_and_gray_arrays_agree(transformer):
    gray = np.stack([photo("camera", (32, 32), start) for start in [(0, 0), (50, 9)]])
    expected = clone(transformer).fit_transform(gray)
    one_channel = clone(transformer).fit(gray[..., np.newaxis])
    assert one_channel.image_shape_ == (32, 32)
    assert_array_equal(one_channel.transform(gray), expected)
    assert_array_equal(clone(transformer).fit_transform(gray.tolist()), expected)
    explicit = clone(transformer).set_params(image_shape=(32, 32, 1))
    assert_array_equal(explicit.fit_transform(gray.reshape(2, -1)), expected)


def test_hog_of_signed_integers_equals_skimage():
    image = photo("camera", (40, 40)).astype(np.int16) - 128
    features = hog(image[np.newaxis], cells_per_block=(2, 2))[0]
    assert_allclose(features, reference_hog(image, cells_per_block=(2, 2)), atol=1e-6)


@pytest.mark.parametrize(
    "n_features, expected",
    [(1024, (32, 32)), (3072, (32, 32, 3)), (1, (1, 1)), (3, (1, 1, 3)), (10, (1, 10))],
)
def test_image_shape_inference(n_features, expected):
    X = np.zeros((2, n_features))
    strip = expected == (1, n_features) and n_features > 1
    for transformer in (HOGFeatures(), HueHistogram()):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert transformer.fit(X).image_shape_ == expected
        # Only a row that is no square image is read as a strip, and says so.
        messages = [str(w.message) for w in caught if "gray strip" in str(w.message)]
        assert len(messages) == int(strip), messages


def test_explicit_image_shape_and_its_errors():
    images = np.stack([photo(name, (24, 40)) for name in RGB_PHOTOS])
    rows = images.reshape(len(images), -1)
    transformer = HOGFeatures(image_shape=(24, 40, 3)).fit(rows)
    assert_array_equal(transformer.transform(rows), hog(images))
    with pytest.raises(ValueError, match=r"image_shape=\(24, 41, 3\) needs rows of"):
        HOGFeatures(image_shape=(24, 41, 3)).fit(rows)
    with pytest.raises(
        ValueError, match="'image_shape' parameter of HOGFeatures must be a tuple"
    ):
        HOGFeatures(image_shape=(24, 0)).fit(rows)


@pytest.mark.parametrize("transformer", [HOGFeatures(), HueHistogram()])
def test_transform_names_expected_and_received_shapes(transformer):
    images = np.stack([photo(name, (32, 32)) for name in RGB_PHOTOS])
    fitted = clone(transformer).fit(images)
    with pytest.raises(
        ValueError, match=r"\(32, 32, 3\), got images of shape \(30, 32"
    ):
        fitted.transform(images[:, :30])
    with pytest.raises(
        ValueError, match=r"shape \(32, 32, 3\), got rows of 1024 values"
    ):
        fitted.transform(images[..., 0].reshape(4, -1))


@pytest.mark.parametrize("transformer", [HOGFeatures(), HueHistogram()])
def test_inputs_are_not_modified_and_may_be_read_only(transformer):
    images = np.stack([photo(name, (32, 32)) for name in RGB_PHOTOS]).astype(float)
    images.flags.writeable = False
    copy = images.copy()
    clone(transformer).fit_transform(images)
    assert_array_equal(images, copy)


def test_chunks_give_the_same_result(monkeypatch):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(23, 20, 28, 3), dtype=np.uint8)
    images[5:9] = photo("astronaut", (20, 28))
    float_images = images / 255.0
    expected = [hog(images), hog(float_images), hue_histogram(images)]
    monkeypatch.setattr(sklinear.features._images, "CHUNK_BYTES", 1)
    monkeypatch.setattr(sklinear.features._images, "CACHE_BYTES", 1)
    assert_array_equal(hog(images), expected[0])
    assert_array_equal(hog(float_images), expected[1])
    assert_array_equal(hue_histogram(images), expected[2])


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(block_norm="L3"), "'block_norm' parameter of {} must be a str among"),
        (dict(orientations=0), "'orientations' parameter of {} must be an int in"),
        (dict(pixels_per_cell=(8,)), "'pixels_per_cell' parameter of {} must be a"),
        (dict(cells_per_block=(2, -1)), "'cells_per_block' parameter of {} must be"),
    ],
)
def test_hog_parameter_errors(params, match):
    X = np.zeros((2, 32 * 32))
    with pytest.raises(ValueError, match=match.format("HOGFeatures")):
        HOGFeatures(**params).fit(X)
    with pytest.raises(ValueError, match=match.format("hog")):
        hog(X.reshape(2, 32, 32), **params)


def test_transform_sqrt_rejects_negative_values():
    X = -np.ones((2, 30 * 30))
    with pytest.raises(ValueError, match="non-negative"):
        HOGFeatures(transform_sqrt=True).fit(X)
    HOGFeatures().fit_transform(X)  # fine without the square root


# --------------------------------------------------------------------------
# Single images: the paths that keep per-call overhead low
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
def test_cell_histogram_accumulations_agree_bit_for_bit(monkeypatch, dtype):
    # Few pixels are summed with np.add.at, many one offset at a time: both
    # must replay the float32 accumulation exactly. (Adding float32-rounded
    # magnitudes instead would change many cells in the last bit.)
    images = np.stack([photo(name, (40, 48)) for name in RGB_PHOTOS])
    images = as_dtype(images, dtype)
    params = dict(cells_per_block=(2, 2), block_norm="L1")
    monkeypatch.setattr(sklinear.features._hog, "_AT_PIXELS", 0)
    one_offset_at_a_time = hog(images, **params)
    monkeypatch.setattr(sklinear.features._hog, "_AT_PIXELS", 10**9)
    pixel_by_pixel = hog(images, **params)
    assert_array_equal(pixel_by_pixel, one_offset_at_a_time)
    for image, row in zip(images, pixel_by_pixel):
        assert_allclose(row, reference_hog(image, **params), rtol=0, atol=1e-12)


@pytest.mark.parametrize("transformer", [HOGFeatures(), HueHistogram()])
def test_plain_arrays_skip_validate_data_with_the_same_result(monkeypatch, transformer):
    images = np.stack([photo(name, (32, 32)) for name in RGB_PHOTOS])
    rows = images.reshape(len(images), -1)
    expected = clone(transformer).fit(rows).transform(rows)
    calls = []
    original = sklinear.features._images.validate_data

    def counting_validate_data(*args, **kwargs):
        calls.append(type(args[1]).__name__)
        return original(*args, **kwargs)

    monkeypatch.setattr(
        sklinear.features._images, "validate_data", counting_validate_data
    )
    for X in (rows[:1], images[:1], rows.astype(np.float32)[:1], rows > 99):
        fitted = clone(transformer).fit(X)
        assert fitted.n_features_in_ == 3072
        assert_array_equal(fitted.transform(X), clone(transformer).fit_transform(X))
    assert calls == []
    assert_array_equal(clone(transformer).fit_transform(rows), expected)
    # Lists and arrays with NaN go through validate_data, which checks them.
    clone(transformer).fit(rows.tolist())
    with pytest.raises(ValueError, match="Input X contains NaN"):
        clone(transformer).fit(rows[:1]).transform(np.full((1, 3072), np.nan))
    assert calls == ["list", "ndarray"]


@pytest.mark.parametrize("transformer", [HOGFeatures(), HueHistogram()])
def test_frames_keep_scikit_learns_feature_name_checks(transformer):
    pd = pytest.importorskip("pandas")
    rows = np.stack([photo(name, (32, 32)) for name in RGB_PHOTOS]).reshape(4, -1)
    frame = pd.DataFrame(rows).add_prefix("px")
    fitted = clone(transformer).fit(frame)
    assert list(fitted.feature_names_in_[:2]) == ["px0", "px1"]
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        from_rows = fitted.transform(rows)
    assert_array_equal(from_rows, fitted.transform(frame))
    # Refitted on an array, the names of the frame are forgotten, as
    # validate_data does: arrays are then fine and frames warn.
    fitted.fit(rows)
    assert not hasattr(fitted, "feature_names_in_")
    with pytest.warns(UserWarning, match="fitted without feature names"):
        fitted.transform(frame)


def test_rows_whose_sum_overflows_are_fine_and_silent():
    # The fast finiteness test sums the rows: float16 sums overflow, which
    # must neither warn (RuntimeWarnings are errors here) nor reject them.
    rows = np.full((2, 3 * 16 * 16), 60000, dtype=np.float16)
    transformer = HueHistogram(scale=65504).fit(rows)
    assert_array_equal(transformer.transform(rows)[:, 0], [1.0, 1.0])


@pytest.mark.parametrize("transformer", [HOGFeatures(), HueHistogram()])
def test_fit_transform_supports_set_output(transformer):
    pd = pytest.importorskip("pandas")
    rows = np.stack([photo(name, (32, 32)) for name in RGB_PHOTOS]).reshape(4, -1)
    frame = clone(transformer).set_output(transform="pandas").fit_transform(rows)
    assert isinstance(frame, pd.DataFrame)
    assert_array_equal(frame.to_numpy(), clone(transformer).fit(rows).transform(rows))


# --------------------------------------------------------------------------
# scikit-learn integration
# --------------------------------------------------------------------------


# scikit-learn's checks use rows of a few values: no square image, as the
# warning says.
@pytest.mark.filterwarnings("ignore:.*gray strip:UserWarning")
@parametrize_with_checks([HOGFeatures(), HueHistogram()])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_feature_names_and_pandas_output():
    pd = pytest.importorskip("pandas")
    images = np.stack([photo(name, (40, 32)) for name in RGB_PHOTOS])
    hog_features = HOGFeatures(cells_per_block=(2, 2)).fit(images)
    names = hog_features.get_feature_names_out()
    n_blocks = (40 // 8 - 1) * (32 // 8 - 1)
    assert len(names) == len(set(names)) == n_blocks * 2 * 2 * 9
    assert names[0] == "hog_b0_0_c0_0_o0" and names[-1] == "hog_b3_2_c1_1_o8"
    hue_names = HueHistogram(n_bins=5).fit(images).get_feature_names_out()
    assert list(hue_names) == [
        "hue_bin0_0.00-0.20",
        "hue_bin1_0.20-0.40",
        "hue_bin2_0.40-0.60",
        "hue_bin3_0.60-0.80",
        "hue_bin4_0.80-1.00",
    ]
    shape = dict(image_shape=(40, 32, 3))  # rows of 3840 values are not square
    union = FeatureUnion(
        [
            ("hog", HOGFeatures(cells_per_block=(2, 2), **shape)),
            ("hue", HueHistogram(n_bins=5, **shape)),
        ]
    ).set_output(transform="pandas")
    frame = union.fit_transform(pd.DataFrame(images.reshape(4, -1)).add_prefix("px"))
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns[:2]) == ["hog__hog_b0_0_c0_0_o0", "hog__hog_b0_0_c0_0_o1"]
    assert frame.shape == (4, len(names) + 5)
    assert_allclose(frame.to_numpy()[:, -5:], hue_histogram(images, n_bins=5))


def test_features_beat_raw_pixels_in_a_tuned_pipeline():
    X_train, X_test, y_train, y_test = load_photo_patches(
        n_train_per_class=40, n_test_per_class=40, random_state=0, return_X_y=True
    )
    features = FeatureUnion(
        [
            ("hog", HOGFeatures(cells_per_block=(1, 1))),
            ("hue", HueHistogram(n_bins=32)),
        ]
    )
    pipeline = Pipeline(
        [
            ("features", features),
            ("scale", StandardScaler()),
            ("svm", LinearSVMClassifier(max_iter=30, tol=None, random_state=0)),
        ]
    )
    grid = GridSearchCV(
        pipeline,
        {
            "features__hog__pixels_per_cell": [(16, 16), (32, 32)],
            "svm__alpha": [1e-3, 1e-1],
        },
        cv=3,
        n_jobs=2,
    )
    grid.fit(X_train, y_train)
    raw = GridSearchCV(
        Pipeline(
            [
                ("scale", StandardScaler()),
                ("svm", LinearSVMClassifier(max_iter=30, tol=None, random_state=0)),
            ]
        ),
        {"svm__alpha": [1e-3, 1e-1]},
        cv=3,
        n_jobs=2,
    )
    raw.fit(X_train, y_train)
    feature_score, raw_score = grid.score(X_test, y_test), raw.score(X_test, y_test)
    print(f"test accuracy: features {feature_score:.3f}, raw pixels {raw_score:.3f}")
    assert feature_score > raw_score + 0.05, (feature_score, raw_score)
    assert math.isfinite(grid.best_score_)
