"""Parameter constraints and value checks of the image features.

The constraints are written once, here, and shared: the functions
(:func:`~sklinear.features.hog`, :func:`~sklinear.features.hue_histogram`)
validate them with ``validate_params``, the transformers with
``_parameter_constraints`` and ``_fit_context``, so both raise scikit-learn's
``InvalidParameterError`` with the same message.
"""

from numbers import Integral, Real

import numpy as np

from .._sklearn_compat import Interval, PositiveIntegers, StrOptions
from ._hog import BLOCK_NORMS
from ._images import as_4d, check_host_images

#: Parameters of the HOG descriptor, as ``hog`` and ``HOGFeatures`` take them.
HOG_CONSTRAINTS = {
    "orientations": [Interval(Integral, 1, None, closed="left")],
    "pixels_per_cell": [PositiveIntegers([2])],
    "cells_per_block": [PositiveIntegers([2])],
    "block_norm": [StrOptions(set(BLOCK_NORMS))],
    "transform_sqrt": ["boolean"],
    "channels_first": ["boolean"],
}

#: Parameters of the hue histogram, as ``hue_histogram`` and ``HueHistogram``
#: take them. ``scale`` is finite: the largest possible pixel value.
HUE_CONSTRAINTS = {
    "n_bins": [Interval(Integral, 1, None, closed="left")],
    "scale": [Interval(Real, 0, np.inf, closed="neither")],
    "normalize": ["boolean"],
    "channels_first": ["boolean"],
}

#: ``image_shape`` of the transformers: ``(H, W)`` or ``(H, W, C)``, or None.
IMAGE_SHAPE_CONSTRAINT = [PositiveIntegers([2, 3]), None]


def int_pair(pair):
    """A validated pair such as ``pixels_per_cell`` as a tuple of ints."""
    return (int(pair[0]), int(pair[1]))


def as_numeric_images(images, channels_first, owner="the image features"):
    """An image array as a 4-D ``(n, H, W, C)`` view of real numbers."""
    check_host_images(images, owner)
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
