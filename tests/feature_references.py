"""Reference images and scikit-image references for the feature tests."""

import numpy as np
from skimage import data
from skimage.color import rgb2hsv
from skimage.feature import hog as skimage_hog

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
