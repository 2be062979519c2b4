"""The image features as functions of image arrays: ``hog``,
``hog_visualization`` and ``hue_histogram``, public in
:mod:`sklinear.features`."""

import numpy as np

from .._sklearn_compat import validate_params
from ._checks import (
    HOG_CONSTRAINTS,
    HUE_CONSTRAINTS,
    as_numeric_images,
    check_host_images,
    check_hue_channels,
    check_nonnegative_for_sqrt,
    check_not_one_color_image,
    check_pixel_range,
    int_pair,
)
from ._glyphs import glyph_image
from ._hog import hog_4d, image_cell_histograms
from ._hue import hue_histogram_4d
from ._images import working_dtype


@validate_params(
    {"images": ["array-like"], **HOG_CONSTRAINTS}, prefer_skip_nested_validation=True
)
def hog(
    images,
    *,
    orientations=9,
    pixels_per_cell=(8, 8),
    cells_per_block=(3, 3),
    block_norm="L2-Hys",
    transform_sqrt=False,
    channels_first=False,
):
    """HOG descriptors of a batch of images, as ``skimage.feature.hog``.

    Row ``i`` equals ``skimage.feature.hog(images[i], ...)`` with the same
    parameters (``channel_axis=-1`` for color images), to float rounding of
    the final block normalization. Images smaller than one block
    (``pixels_per_cell * cells_per_block``) are zero-padded at the bottom and
    right up to that size, where scikit-image would raise.

    Parameters
    ----------
    images : array-like of shape (n_images, H, W) or (n_images, H, W, C)
        Gray or color images; ``(n_images, C, H, W)`` with
        ``channels_first=True``. For color images each pixel uses the channel
        with the largest gradient magnitude.
    orientations : int, default=9
        Number of orientation bins over [0, 180) degrees.
    pixels_per_cell : (int, int), default=(8, 8)
        Cell size in pixels (rows, columns). Pixels beyond the last whole
        cell are ignored.
    cells_per_block : (int, int), default=(3, 3)
        Block size in cells; blocks slide one cell at a time.
    block_norm : {'L1', 'L1-sqrt', 'L2', 'L2-Hys'}, default='L2-Hys'
        Block normalization, as in scikit-image.
    transform_sqrt : bool, default=False
        Take the square root of every pixel first (power-law compression).
        Needs non-negative values.
    channels_first : bool, default=False
        Read 4-D input as ``(n_images, C, H, W)``.

    Returns
    -------
    features : ndarray of shape (n_images, n_features)
        float32 for float32 images, float64 otherwise. ``n_features`` is
        ``n_blocks_row * n_blocks_col * cells_per_block[0] *
        cells_per_block[1] * orientations``, ordered as scikit-image's
        ``feature_vector=True`` output.

    Examples
    --------
    >>> import numpy as np
    >>> from skimage import data
    >>> from skimage.feature import hog as skimage_hog
    >>> images = np.stack([data.astronaut()[:64, :64], data.coffee()[:64, :64]])
    >>> features = hog(images, cells_per_block=(2, 2))
    >>> features.shape
    (2, 1764)
    >>> reference = skimage_hog(images[1], cells_per_block=(2, 2), channel_axis=-1)
    >>> bool(np.allclose(features[1], reference, rtol=0, atol=1e-12))
    True
    """
    pixels_per_cell = int_pair(pixels_per_cell)
    cells_per_block = int_pair(cells_per_block)
    check_host_images(images, "hog")
    check_not_one_color_image(images, "hog", min_width=pixels_per_cell[1])
    images = as_numeric_images(images, channels_first)
    if transform_sqrt:
        check_nonnegative_for_sqrt(images)
    return hog_4d(
        images,
        int(orientations),
        pixels_per_cell,
        cells_per_block,
        block_norm,
        bool(transform_sqrt),
    )


@validate_params(
    {
        "image": ["array-like"],
        **{
            name: HOG_CONSTRAINTS[name]
            for name in (
                "orientations",
                "pixels_per_cell",
                "transform_sqrt",
                "channels_first",
            )
        },
    },
    prefer_skip_nested_validation=True,
)
def hog_visualization(
    image,
    *,
    orientations=9,
    pixels_per_cell=(8, 8),
    transform_sqrt=False,
    channels_first=False,
):
    """Image of the oriented-gradient glyphs of one image, for plots.

    Equals the ``hog_image`` of ``skimage.feature.hog(image, ...,
    visualize=True)``: for each cell and orientation bin, a line through the
    cell centre, perpendicular to the bin's middle angle, with intensity
    equal to the cell's (unnormalized) histogram value.

    Parameters
    ----------
    image : array-like of shape (H, W) or (H, W, C)
        One gray or color image; ``(C, H, W)`` with ``channels_first=True``.
    orientations : int, default=9
        Number of orientation bins.
    pixels_per_cell : (int, int), default=(8, 8)
        Cell size in pixels.
    transform_sqrt : bool, default=False
        Take the square root of every pixel first.
    channels_first : bool, default=False
        Read a 3-D image as ``(C, H, W)``.

    Returns
    -------
    glyphs : ndarray of shape (H, W)
        float32 for a float32 image, float64 otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from skimage import data
    >>> from skimage.feature import hog as skimage_hog
    >>> image = data.camera()[:128, :128]
    >>> glyphs = hog_visualization(image, pixels_per_cell=(16, 16))
    >>> glyphs.shape
    (128, 128)
    >>> _, reference = skimage_hog(image, pixels_per_cell=(16, 16), visualize=True)
    >>> bool(np.allclose(glyphs, reference, rtol=0, atol=1e-12))
    True
    """
    pixels_per_cell = int_pair(pixels_per_cell)
    if min(pixels_per_cell) < 2:
        raise ValueError(
            "hog_visualization draws one glyph per cell and needs cells of at "
            f"least 2 x 2 pixels, got pixels_per_cell={pixels_per_cell}."
        )
    check_host_images(image, "hog_visualization")
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(
            f"Expected one image of shape (H, W) or (H, W, C), got shape {image.shape}."
        )
    images = as_numeric_images(image[np.newaxis], channels_first)
    if transform_sqrt:
        check_nonnegative_for_sqrt(images)
    histograms = image_cell_histograms(
        images, int(orientations), pixels_per_cell, bool(transform_sqrt)
    )
    dtype = working_dtype(images.dtype)
    return glyph_image(histograms[0], images.shape[1:3], pixels_per_cell, dtype)


@validate_params(
    {"images": ["array-like"], **HUE_CONSTRAINTS}, prefer_skip_nested_validation=True
)
def hue_histogram(
    images, *, n_bins=10, scale=255, normalize=True, channels_first=False
):
    """Histograms of pixel hues, as ``rgb2hsv`` and ``np.histogram`` give them.

    Row ``i`` is ``np.histogram(rgb2hsv(images[i] / scale)[..., 0],
    bins=n_bins, range=(0, 1))[0]``, divided by the number of pixels when
    ``normalize`` (each row then sums to 1).

    Parameters
    ----------
    images : array-like of shape (n_images, H, W, 3) or (n_images, H, W)
        RGB images with values in ``[0, scale]``; ``(n_images, 3, H, W)``
        with ``channels_first=True``. Gray images (3-D arrays, or one
        channel) have no hue: ``rgb2hsv`` gives hue 0 to every gray pixel
        (max == min), so all their pixels fall in bin 0.
    n_bins : int, default=10
        Number of equal bins over [0, 1].
    scale : float, default=255
        The largest possible pixel value; hues are computed on
        ``images / scale``. 255 suits 8-bit data, 1.0 images in [0, 1].
    normalize : bool, default=True
        Return fractions of pixels per bin (True) or pixel counts (False).
    channels_first : bool, default=False
        Read 4-D input as ``(n_images, 3, H, W)``.

    Returns
    -------
    histograms : ndarray of shape (n_images, n_bins)
        float32 for float32 images, float64 otherwise (counts included).

    Raises
    ------
    ValueError
        If a value lies outside ``[0, scale]``, or images have a number of
        channels other than 1 or 3.

    Examples
    --------
    >>> import numpy as np
    >>> red, green, blue, gray = [255, 0, 0], [0, 255, 0], [0, 0, 255], [9, 9, 9]
    >>> images = np.array([[[red, green], [blue, gray]]], dtype=np.uint8)
    >>> hue_histogram(images, n_bins=3)
    array([[0.5 , 0.25, 0.25]])
    >>> hue_histogram(images, n_bins=3, normalize=False)
    array([[2., 1., 1.]])
    """
    check_host_images(images, "hue_histogram")
    check_not_one_color_image(images, "hue_histogram")
    images = as_numeric_images(images, channels_first)
    check_hue_channels(images, "hue_histogram")
    check_pixel_range(images, scale, "hue_histogram")
    return hue_histogram_4d(images, int(n_bins), float(scale), bool(normalize))
