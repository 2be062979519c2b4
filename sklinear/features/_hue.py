"""Batched hue histograms, bin for bin as ``rgb2hsv`` + ``np.histogram``.

The reference for one RGB image ``x`` is::

    hue = skimage.color.rgb2hsv(x / scale)[..., 0]
    counts = np.histogram(hue, bins=n_bins, range=(0, 1))[0]

General path: the hue is computed with the very float operations of
``rgb2hsv`` (in float32 for float32 input, float64 otherwise), binned against
``np.histogram``'s own bin edges, and counted with one ``bincount`` per chunk.

8-bit path (whole numbers in [0, 255]): the exact hue is a rational number
that only depends on the differences ``r - g`` and ``g - b``, so a 511 x 511
table gives the bin directly. Float rounding can only change the bin of a
pixel whose exact hue lies on (or within 1e-5 of) a bin edge; the table marks
those differences, and such pixels go through the float path. Every pixel
thus lands in the bin the reference gives it.
"""

import functools

import numpy as np

from ._images import chunk_slices, is_8bit, working_dtype

_NEEDS_FLOAT = np.iinfo(np.uint16).max  # table mark: settle with floats
_EDGE_MARGIN = 1e-5  # in hue units; float errors are far below it


@functools.lru_cache(maxsize=16)
def bin_edges(n_bins, dtype):
    """The edges ``np.histogram(hue, bins=n_bins, range=(0, 1))`` uses."""
    edges = np.histogram_bin_edges(np.empty(0, dtype=dtype), n_bins, range=(0, 1))
    edges.flags.writeable = False
    return edges


def rgb_hue(rgb):
    """Hue of ``(..., 3)`` RGB values in [0, 1], exactly as ``rgb2hsv``.

    Same float operations in the same dtype; gray pixels (max == min) get
    hue 0. Unlike ``rgb2hsv``, no 0/0 is evaluated, so no warning is raised.
    """
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    # max and ptp along the short last axis, but element-wise (much faster).
    value = np.maximum(np.maximum(red, green), blue)
    delta = value - np.minimum(np.minimum(red, green), blue)
    colored = delta != 0
    sector = np.zeros(value.shape, dtype=rgb.dtype)
    # Later assignments win, as in rgb2hsv: blue over green over red.
    for offset, maximum, first, second in (
        (0.0, red, green, blue),
        (2.0, green, blue, red),
        (4.0, blue, red, green),
    ):
        pick = colored & (maximum == value)
        shift = (first[pick] - second[pick]) / delta[pick]
        sector[pick] = shift + offset if offset else shift
    hue = (sector / 6.0) % 1.0
    hue[~colored] = 0.0
    return hue


def hue_bins_float(rgb, n_bins):
    """Bin index of every pixel of ``(..., 3)`` RGB values in [0, 1]."""
    hue = rgb_hue(rgb)
    inner_edges = bin_edges(n_bins, hue.dtype.type)[1:-1]
    return np.searchsorted(inner_edges, hue, side="right")


@functools.lru_cache(maxsize=8)
def difference_table(n_bins):
    """Bin of the exact hue for ``(r - g + 255) * 511 + (g - b + 255)``.

    Entries whose exact hue lies within ``_EDGE_MARGIN`` of an inner bin
    edge hold ``_NEEDS_FLOAT``.
    """
    steps = np.arange(-255, 256, dtype=np.int64)
    red_green, green_blue = (
        d.ravel() for d in np.meshgrid(steps, steps, indexing="ij")
    )
    # Hue ignores a common offset: take b = 0, g = g - b, r = (r - g) + (g - b).
    blue = np.zeros_like(red_green)
    green = green_blue
    red = red_green + green_blue
    value = np.maximum(np.maximum(red, green), blue)
    delta = value - np.minimum(np.minimum(red, green), blue)
    # Hue = numerator / (6 * delta), numerator in [0, 6 * delta).
    numerator = np.where(
        blue == value,
        4 * delta + red - green,
        np.where(green == value, 2 * delta + blue - red, green - blue),
    )
    period = 6 * np.maximum(delta, 1)
    numerator %= period
    bins, remainder = np.divmod(n_bins * numerator, period)
    distance = np.minimum(remainder, period - remainder)  # to the nearest edge
    near_edge = distance < _EDGE_MARGIN * n_bins * period
    # Hue exactly 0 (gray, or red max with g == b) is 0.0 in floats too.
    table = np.where(near_edge & (numerator != 0), _NEEDS_FLOAT, bins)
    table = table.astype(np.uint16)
    table.flags.writeable = False
    return table


def _bins_8bit(pixels, n_bins, scale, dtype):
    """Bins of ``(m, P, 3)`` whole numbers in [0, 255], via the table."""
    red, green, blue = (pixels[..., k].astype(np.int32) for k in range(3))
    codes = red * 511  # (r - g + 255) * 511 + (g - b + 255)
    codes -= green * 510
    codes -= blue
    codes += 255 * 511 + 255
    bins = difference_table(n_bins).take(codes)
    unsure = np.flatnonzero(bins == _NEEDS_FLOAT)  # a few percent of pixels
    if unsure.size:
        rgb = pixels.reshape(-1, 3)[unsure].astype(dtype) / dtype(scale)
        bins.ravel()[unsure] = hue_bins_float(rgb, n_bins)
    return bins


def hue_histogram_4d(images, n_bins, scale, normalize):
    """Hue histograms ``(n, n_bins)`` of an ``(n, H, W, C)`` batch.

    ``C`` is 3 (RGB) or 1 (gray: every pixel has hue 0). Values must already
    be checked to lie in ``[0, scale]``.
    """
    dtype = working_dtype(images.dtype)
    n_images, height, width, n_channels = images.shape
    n_pixels = height * width
    counts = np.zeros((n_images, n_bins), dtype=np.int64)
    if n_channels == 1:
        counts[:, 0] = n_pixels
    else:
        # Cache-sized chunks: a few 4-byte temporaries per pixel. Reshaping
        # per chunk copies at most a chunk (e.g. of channels-first views).
        for rows in chunk_slices(n_images, 16 * n_pixels, cache_sized=True):
            chunk = images[rows].reshape(-1, n_pixels, 3)
            if n_bins < _NEEDS_FLOAT and is_8bit(chunk):
                bins = _bins_8bit(chunk, n_bins, scale, dtype)
            else:
                rgb = chunk.astype(dtype, copy=False) / dtype(scale)
                bins = hue_bins_float(rgb, n_bins)
            # One bincount for the chunk: image i counts into bins i * n_bins...
            bins = bins + n_bins * np.arange(len(chunk))[:, np.newaxis]
            counts[rows] = np.bincount(
                bins.ravel(), minlength=len(chunk) * n_bins
            ).reshape(len(chunk), n_bins)
    if normalize:
        return (counts / n_pixels).astype(dtype, copy=False)
    return counts.astype(dtype)
