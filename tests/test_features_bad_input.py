"""Bad input for the image features, table-driven (tests/bad_input.py runs
the rows): a clear error or a correct result, and the caller's arrays
unchanged."""

import numpy as np
import pytest
from bad_input import Case, Error, Result, run
from bad_input import either as _either
from bad_input import read_only as _read_only
from bad_input import same_as as _same_as
from bad_input import strided as _strided
from bad_input import with_value as _with
from skimage.feature import hog as skimage_hog

from sklinear.features import (
    HOGFeatures,
    HueHistogram,
    hog,
    hog_visualization,
    hue_histogram,
)

IMAGES = np.random.default_rng(0).integers(0, 256, (4, 16, 16, 3), dtype=np.uint8)
HOG_PARAMS = {"pixels_per_cell": (4, 4), "cells_per_block": (2, 2)}


def _skimage_hog(images, **params):
    return np.stack([skimage_hog(image, channel_axis=-1, **params) for image in images])


def _image_cases():
    cases = []
    transformers = {
        "HOGFeatures": lambda: HOGFeatures(**HOG_PARAMS),
        "HueHistogram": lambda: HueHistogram(n_bins=6),
    }
    for name, make in transformers.items():

        def fit_transform(images, make=make):
            return make().fit_transform(images)

        def transform(images, make=make):
            return make().fit(IMAGES).transform(images)

        is_hog = name == "HOGFeatures"
        floats = IMAGES.astype(float)
        rows = [
            (
                "nan",
                fit_transform,
                (_with(IMAGES, (0, 1, 2, 0), np.nan),),
                Error(ValueError, "NaN"),
            ),
            (
                "inf",
                fit_transform,
                (_with(IMAGES, (0, 1, 2, 0), np.inf),),
                Error(ValueError, "infinity"),
            ),
            (
                "wrong-image-size",
                transform,
                (IMAGES[:, :8],),
                Error(
                    ValueError,
                    r"expects images of shape \(16, 16, 3\), got .*\(8, 16, 3\)",
                ),
            ),
            (
                "wrong-row-length",
                lambda rows_, make=make: (
                    make().fit(IMAGES.reshape(4, -1)).transform(rows_)
                ),
                (IMAGES[:, :8].reshape(4, -1),),
                Error(ValueError, r"flattened images of shape \(16, 16, 3\)"),
            ),
            ("5d", fit_transform, (IMAGES[..., None],), Error(ValueError, "dim 5")),
            ("1d", fit_transform, (IMAGES.ravel(),), Error(ValueError, "2D array")),
            (
                "strings",
                fit_transform,
                (IMAGES.astype(str),),
                Error(ValueError, "numeric"),
            ),
            (
                "empty-images",
                fit_transform,
                (IMAGES[:0],),
                Error(ValueError, "empty|0 sample|at least one"),
            ),
            (
                "empty-rows",
                fit_transform,
                (IMAGES[:0].reshape(0, 768),),
                Error(ValueError, "0 sample"),
            ),
            (
                "single-image",
                fit_transform,
                (IMAGES[:1],),
                _same_as(lambda fit_transform=fit_transform: fit_transform(IMAGES)[:1]),
            ),
            (
                "read-only",
                fit_transform,
                (_read_only(IMAGES),),
                _same_as(lambda fit_transform=fit_transform: fit_transform(IMAGES)),
            ),
            (
                "non-contiguous",
                fit_transform,
                (IMAGES[:, ::-1, ::2][:, :, :8],),
                _same_as(
                    lambda fit_transform=fit_transform: fit_transform(
                        np.ascontiguousarray(IMAGES[:, ::-1, ::2][:, :, :8])
                    )
                ),
            ),
        ]
        if is_hog:
            reference = _skimage_hog(floats - 128, **HOG_PARAMS)
            rows += [
                (
                    "negative-pixels",
                    fit_transform,
                    (floats - 128,),
                    _same_as(lambda r=reference: r),
                ),
                (
                    "pixels-above-255",
                    fit_transform,
                    (IMAGES.astype(np.uint16) * 200,),
                    _same_as(
                        lambda: _skimage_hog(IMAGES.astype(float) * 200, **HOG_PARAMS)
                    ),
                ),
                (
                    "huge-1e200",
                    fit_transform,
                    (floats * 1e200,),
                    _either(
                        Error(ValueError, "too large|magnitude|[Rr]escale"),
                        _same_as(
                            lambda floats=floats: _skimage_hog(floats, **HOG_PARAMS)
                        ),
                    ),
                ),
            ]
        else:
            rows += [
                (
                    "negative-pixels",
                    fit_transform,
                    (floats - 128,),
                    Error(ValueError, "Negative values"),
                ),
                (
                    "pixels-above-scale",
                    fit_transform,
                    (IMAGES.astype(np.uint16) * 200,),
                    Error(ValueError, "maximum of 51000"),
                ),
                (
                    "four-channels",
                    fit_transform,
                    (np.concatenate([IMAGES, IMAGES[..., :1]], axis=-1),),
                    Error(ValueError, "3 channels"),
                ),
            ]
        for row in rows:
            case_id, call, arrays, expect, *marks = row
            cases.append(Case(name, f"{name}-{case_id}", call, arrays, expect, *marks))
    return cases


def _image_function_cases():
    floats = IMAGES.astype(float)
    return [
        Case(
            "hog",
            "hog-nan",
            lambda i: hog(i),
            (_with(IMAGES, (0, 0, 0, 0), np.nan),),
            Error(ValueError, "NaN"),
        ),
        Case(
            "hog",
            "hog-empty",
            lambda i: hog(i),
            (IMAGES[:0],),
            Error(ValueError, "at least one image"),
        ),
        Case(
            "hog",
            "hog-2d",
            lambda i: hog(i),
            (IMAGES[0, :, :, 0],),
            Error(ValueError, "shape"),
        ),
        Case(
            "hog",
            "hog-one-color-image",
            lambda i: hog(i),
            (IMAGES[0],),
            Error(ValueError, r"image\[np.newaxis\]"),
        ),
        Case(
            "hue_histogram",
            "hue_histogram-one-color-image",
            lambda i: hue_histogram(i),
            (IMAGES[0],),
            Error(ValueError, r"no hue. For one color image, pass image\[np.newaxis\]"),
        ),
        Case(
            "hog",
            "hog-sqrt-negative",
            lambda i: hog(i, transform_sqrt=True),
            (floats - 1,),
            Error(ValueError, "non-negative"),
        ),
        Case(
            "hog",
            "hog-read-only-single",
            lambda i: hog(i, **HOG_PARAMS),
            (_read_only(IMAGES[:1]),),
            _same_as(lambda: _skimage_hog(IMAGES[:1], **HOG_PARAMS)),
        ),
        Case(
            "hog_visualization",
            "hog_visualization-one-pixel-cells",
            lambda i: hog_visualization(i, pixels_per_cell=(1, 1)),
            (IMAGES[0],),
            Error(ValueError, "at least 2 x 2 pixels"),
        ),
        Case(
            "hog_visualization",
            "hog_visualization-batch",
            lambda i: hog_visualization(i),
            (IMAGES,),
            Error(ValueError, "one image"),
        ),
        Case(
            "hog_visualization",
            "hog_visualization-nan",
            lambda i: hog_visualization(i),
            (_with(IMAGES[0], (0, 0, 0), np.nan),),
            Error(ValueError, "NaN"),
        ),
        Case(
            "hog_visualization",
            "hog_visualization-read-only",
            lambda i: hog_visualization(i).shape,
            (_read_only(IMAGES[0]),),
            Result(lambda shape: shape == (16, 16)),
        ),
        Case(
            "hue_histogram",
            "hue_histogram-negative",
            lambda i: hue_histogram(i),
            (floats - 1,),
            Error(ValueError, "Negative values"),
        ),
        Case(
            "hue_histogram",
            "hue_histogram-too-large",
            lambda i: hue_histogram(i, scale=1.0),
            (floats,),
            Error(ValueError, "scale=1"),
        ),
        Case(
            "hue_histogram",
            "hue_histogram-empty",
            lambda i: hue_histogram(i),
            (IMAGES[:0],),
            Error(ValueError, "at least one image"),
        ),
        Case(
            "hue_histogram",
            "hue_histogram-strided",
            lambda i: hue_histogram(i),
            (_strided(IMAGES),),
            _same_as(lambda: hue_histogram(IMAGES)),
        ),
    ]


CASES = _image_cases() + _image_function_cases()


@pytest.mark.parametrize(
    "case", [pytest.param(case, id=case.id, marks=case.marks) for case in CASES]
)
def test_bad_input(case):
    run(case)
