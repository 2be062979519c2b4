"""The image transformers and functions: input layouts, image shapes, errors,
the single-image paths and scikit-learn integration (HOG and hue values
against scikit-image: tests/test_hog.py and tests/test_hue.py)."""

import math
import warnings

import numpy as np
import pytest
from feature_references import (
    RGB_PHOTOS,
    as_dtype,
    photo,
    reference_hog,
)
from numpy.testing import assert_allclose, assert_array_equal
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
    hue_histogram,
)
from sklinear.linear_model import LinearSVMClassifier

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


def test_settings_that_passed_validation_are_told_apart_by_type():
    # Validation remembers settings that passed; equal values of another
    # type must still be checked.
    X = np.zeros((2, 16 * 16))
    HOGFeatures(pixels_per_cell=(8, 8), orientations=4).fit(X)
    for params in (
        dict(pixels_per_cell=(8.0, 8), orientations=4),
        dict(pixels_per_cell=(8, 8), orientations=4.0),
        dict(pixels_per_cell=(True, 8), orientations=4),
    ):
        with pytest.raises(ValueError, match="parameter of HOGFeatures must be"):
            HOGFeatures(**params).fit(X)
    HueHistogram(n_bins=2).fit(X)
    with pytest.raises(ValueError, match="'n_bins' parameter of HueHistogram"):
        HueHistogram(n_bins=2.0).fit(X)
