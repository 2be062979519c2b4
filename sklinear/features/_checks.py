"""Parameter and value checks of the image feature functions and transformers."""

import numbers

import numpy as np

from ._hog import BLOCK_NORMS
from ._images import as_4d


def check_positive_int(value, name):
    if type(value) is int and value >= 1:  # the usual case, without ABC checks
        return value
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def check_pair(value, name):
    """A pair of positive integers such as ``pixels_per_cell``."""
    try:
        pair = tuple(value)
    except TypeError:
        pair = ()
    if len(pair) != 2:
        raise ValueError(f"{name} must be a pair of positive integers, got {value!r}.")
    return tuple(check_positive_int(size, name) for size in pair)


def check_hog_params(orientations, pixels_per_cell, cells_per_block, block_norm):
    orientations = check_positive_int(orientations, "orientations")
    pixels_per_cell = check_pair(pixels_per_cell, "pixels_per_cell")
    cells_per_block = check_pair(cells_per_block, "cells_per_block")
    if block_norm not in BLOCK_NORMS:
        raise ValueError(
            f"block_norm must be one of {BLOCK_NORMS}, got {block_norm!r}."
        )
    return orientations, pixels_per_cell, cells_per_block


def check_hue_params(n_bins, scale):
    n_bins = check_positive_int(n_bins, "n_bins")
    if (
        not isinstance(scale, numbers.Real)
        or isinstance(scale, bool)
        or not np.isfinite(scale)
        or scale <= 0
    ):
        raise ValueError(f"scale must be a positive number, got {scale!r}.")
    return n_bins, float(scale)


def as_numeric_images(images, channels_first):
    """An image array as a 4-D ``(n, H, W, C)`` view of real numbers."""
    images = np.asarray(images)
    if images.dtype == np.bool_:
        images = images.astype(np.uint8)
    elif images.dtype == object:
        images = images.astype(np.float64)
    if not (
        np.issubdtype(images.dtype, np.integer)
        or np.issubdtype(images.dtype, np.floating)
    ):
        raise ValueError(f"Images must hold real numbers, got dtype {images.dtype}.")
    images = as_4d(images, channels_first)
    if images.shape[0] == 0:
        raise ValueError("Expected at least one image, got an empty array.")
    # min and max propagate NaN and show infinities, without a temporary array
    if np.issubdtype(images.dtype, np.floating) and not (
        np.isfinite(images.min()) and np.isfinite(images.max())
    ):
        raise ValueError("Images contain NaN or infinity.")
    return images


def check_not_one_color_image(images, function, min_width=None):
    """A 3-D array is a batch of gray images; say so when it looks like one
    color image ``(H, W, 3)``: ``function`` cannot use such "images" (gray
    ones have no hue; ones narrower than ``min_width`` hold no HOG cell)."""
    shape = np.shape(images)
    if len(shape) != 3 or shape[2] not in (3, 4):
        return
    if min_width is None:
        reason = "which have no hue"
    elif shape[2] < min_width:
        reason = f"narrower than one cell ({min_width} pixels)"
    else:
        return
    raise ValueError(
        f"{function} takes a batch of images; an array of shape {shape} reads "
        f"as {shape[0]} gray images of {shape[1]} x {shape[2]} pixels, {reason}. "
        "For one color image, pass image[np.newaxis]."
    )


def check_nonnegative_for_sqrt(images):
    if images.min() < 0:
        raise ValueError(
            "transform_sqrt=True needs non-negative pixel values, got a minimum "
            f"of {images.min()}."
        )


def check_pixel_range(images, scale, owner):
    """Pixel values must lie in [0, scale]: clear messages otherwise."""
    low, high = images.min(), images.max()
    if low < 0:
        raise ValueError(
            f"Negative values in data passed to {owner}: pixel values must lie "
            f"in [0, scale={scale:g}], got a minimum of {low}."
        )
    if high > scale:
        raise ValueError(
            f"{owner}: pixel values must lie in [0, scale={scale:g}], got a "
            f"maximum of {high}. Set scale to the largest possible pixel value "
            "(e.g. scale=1.0 for images in [0, 1])."
        )


def check_hue_channels(images, owner):
    if images.shape[3] not in (1, 3):
        raise ValueError(
            f"{owner} needs RGB images (3 channels) or gray images, got "
            f"{images.shape[3]} channels."
        )


def check_input_features(estimator, input_features):
    """Validate ``input_features`` of ``get_feature_names_out``."""
    if input_features is None:
        return
    input_features = np.asarray(input_features, dtype=object)
    if len(input_features) != estimator.n_features_in_:
        raise ValueError(
            f"input_features should have length equal to number of features "
            f"({estimator.n_features_in_}), got {len(input_features)}"
        )
    names_in = getattr(estimator, "feature_names_in_", None)
    if names_in is not None and not np.array_equal(names_in, input_features):
        raise ValueError("input_features is not equal to feature_names_in_")
