"""Batched HOG: scikit-image's ``feature.hog`` over many images at once.

Every step reproduces the float operations of ``skimage/feature/_hog.py`` and
its Cython helper ``_hoghistogram.pyx``, so that results agree to rounding of
the final block normalization:

* gradients are central differences ``x[i + 1] - x[i - 1]`` with zero borders,
  in the image's float dtype; for color images each pixel takes the channel
  with the largest ``np.hypot`` magnitude (the first one on ties);
* magnitude ``np.hypot(g_col, g_row)`` and orientation
  ``np.rad2deg(np.arctan2(g_row, g_col)) % 180`` in float64; a pixel falls in
  bin ``i`` when ``180 / n * i <= orientation < 180 / n * (i + 1)`` (float64
  bounds), so an orientation that rounds to just below 180 may fall in no bin;
* cell sums are accumulated in a C ``float`` in row-major pixel order,
  ``total = float32(float64(total) + magnitude)``, then divided by the cell
  area in float32. We replay exactly that rounding, one pixel offset of the
  cell at a time for all cells of all images at once (for a few images,
  where that loop's call overhead would dominate, pixel by pixel in one
  ``np.add.at``), so cell histograms are bit-identical to scikit-image's;
* blocks are normalized in float64 with ``eps = 1e-5``.

On 8-bit images (whole numbers in [0, 255]) without ``transform_sqrt``, the
gradients are integers in [-255, 255]: the orientation bin and the magnitude
come from 511 x 511 lookup tables built with the very same numpy expressions,
and the channel choice compares exact integer squared norms (with a table for
the rare ties that ``np.hypot`` breaks by an ulp). No ``arctan2``/``hypot``
per pixel, bit-identical cell histograms.
"""

import functools
import math
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._images import chunk_slices, is_8bit, working_dtype

BLOCK_NORMS = ("L1", "L1-sqrt", "L2", "L2-Hys")
_EPS = 1e-5
_MAX_GRADIENT = 255
_LUT_SIDE = 2 * _MAX_GRADIENT + 1
_CHANNEL_BITS = 8  # the 8-bit path handles up to 256 channels
# Pixels (cell pixels of a chunk) up to which one np.add.at call beats a
# gather and a scatter per cell-pixel offset (measured crossover: about three
# 32 x 32 images; see ``_accumulate_at``).
_AT_PIXELS = 3072


def hog_geometry(image_hw, pixels_per_cell, cells_per_block):
    """Cell and block counts for images of ``image_hw`` (after padding)."""
    height, width = padded_size(image_hw, pixels_per_cell, cells_per_block)
    n_cells = (height // pixels_per_cell[0], width // pixels_per_cell[1])
    n_blocks = (
        n_cells[0] - cells_per_block[0] + 1,
        n_cells[1] - cells_per_block[1] + 1,
    )
    return n_cells, n_blocks


def padded_size(image_hw, pixels_per_cell, cells_per_block):
    """Image size after zero-padding up to one block, where needed."""
    return (
        max(image_hw[0], pixels_per_cell[0] * cells_per_block[0]),
        max(image_hw[1], pixels_per_cell[1] * cells_per_block[1]),
    )


@functools.lru_cache(maxsize=16)
def orientation_upper_bounds(orientations):
    """Upper bin bounds, computed as the Cython code does (float64)."""
    per_bin = 180.0 / orientations
    upper = np.array([per_bin * (i + 1) for i in range(orientations)])
    upper.flags.writeable = False
    return upper


def orientation_bins(g_row, g_col, orientations):
    """Bin index of each gradient; ``orientations`` means "no bin" (180.0)."""
    orientation = np.rad2deg(np.arctan2(g_row, g_col)) % 180
    upper = orientation_upper_bounds(orientations)
    return np.searchsorted(upper, orientation, side="right")


class GradientTables(NamedTuple):
    """Lookup tables for integer gradients ``g_row, g_col`` in [-255, 255].

    Indexed by ``code = (g_row + 255) * 511 + (g_col + 255)``: ``bins``, the
    orientation bin; ``magnitude``, ``np.hypot(g_col, g_row)``; ``select``,
    the channel-selection magnitude ``np.hypot(g_row, g_col)`` in the image's
    float dtype. Indexed by ``squared = g_row**2 + g_col**2``: ``ambiguous``,
    True where gradients of equal ``squared`` get ``select`` values that
    differ (by an ulp: ``hypot`` is not correctly rounded everywhere), so
    that ``squared`` alone cannot settle a tie; ``min_ambiguous``, the
    smallest such ``squared``.
    """

    bins: np.ndarray
    magnitude: np.ndarray
    select: np.ndarray
    ambiguous: np.ndarray
    min_ambiguous: int


@functools.lru_cache(maxsize=8)
def gradient_tables(orientations, select_dtype):
    """The ``GradientTables``, built with scikit-image's own expressions."""
    values = np.arange(-_MAX_GRADIENT, _MAX_GRADIENT + 1, dtype=np.float64)
    g_row, g_col = (grid.ravel() for grid in np.meshgrid(values, values, indexing="ij"))
    bin_dtype = np.uint8 if orientations < 255 else np.intp
    bins = orientation_bins(g_row, g_col, orientations).astype(bin_dtype)
    magnitude = np.hypot(g_col, g_row)
    select = np.hypot(g_row.astype(select_dtype), g_col.astype(select_dtype))
    squared = (g_row**2 + g_col**2).astype(np.intp)
    lowest = np.full(squared.max() + 1, np.inf)
    highest = np.full(squared.max() + 1, -np.inf)
    np.minimum.at(lowest, squared, select)
    np.maximum.at(highest, squared, select)
    ambiguous = np.isfinite(lowest) & (lowest != highest)
    min_ambiguous = int(np.argmax(ambiguous)) if ambiguous.any() else len(ambiguous)
    for table in (bins, magnitude, select, ambiguous):
        table.flags.writeable = False
    return GradientTables(bins, magnitude, select, ambiguous, min_ambiguous)


def _central_gradients(images):
    """Row and column central differences with zero borders, ``(n, H, W, C)``."""
    g_row = np.zeros_like(images)
    g_col = np.zeros_like(images)
    np.subtract(images[:, 2:], images[:, :-2], out=g_row[:, 1:-1])
    np.subtract(images[:, :, 2:], images[:, :, :-2], out=g_col[:, :, 1:-1])
    return g_row, g_col


def _flat_central_gradients(images):
    """``_central_gradients`` for contiguous ``(..., H, W)`` arrays.

    Differences run over the flattened array (one long contiguous loop, much
    faster than per-row slices); values that straddle a row or image border
    are then overwritten by the zero borders.
    """
    width = images.shape[-1]
    flat = images.reshape(-1)
    g_row = np.empty_like(images)
    np.subtract(
        flat[2 * width :], flat[: -2 * width], out=g_row.reshape(-1)[width:-width]
    )
    g_row[..., 0, :] = 0
    g_row[..., -1, :] = 0
    g_col = np.empty_like(images)
    np.subtract(flat[2:], flat[:-2], out=g_col.reshape(-1)[1:-1])
    g_col[..., 0] = 0
    g_col[..., -1] = 0
    return g_row, g_col


def _select_channel(select_magnitude, *arrays):
    """Per pixel, the arrays' values at the channel of largest magnitude.

    Strict ``>`` keeps the first channel on ties, like ``argmax``.
    """
    best = select_magnitude[..., 0]
    chosen = [array[..., 0] for array in arrays]
    for channel in range(1, select_magnitude.shape[-1]):
        better = select_magnitude[..., channel] > best
        best = np.where(better, select_magnitude[..., channel], best)
        chosen = [
            np.where(better, array[..., channel], current)
            for array, current in zip(arrays, chosen)
        ]
    return chosen


def by_offset(per_pixel, pixels_per_cell, n_cells, dtype):
    """Copy ``(n, H, W)`` per-pixel values in cell-pixel-major order.

    Returns a ``(cell_rows * cell_cols, n * n_cells_row * n_cells_col)``
    array of ``dtype``: row ``k`` holds pixel ``k`` (row-major within the
    cell) of every cell of every image. Pixels beyond the last whole cell
    are left out.
    """
    (cell_rows, cell_cols), (n_cells_row, n_cells_col) = pixels_per_cell, n_cells
    cropped = per_pixel[:, : n_cells_row * cell_rows, : n_cells_col * cell_cols]
    cells = cropped.reshape(-1, n_cells_row, cell_rows, n_cells_col, cell_cols)
    # astype(order="C") copies transposed views much faster than ascontiguousarray
    by_pixel = cells.transpose(2, 4, 0, 1, 3).astype(dtype, order="C")
    return by_pixel.reshape(cell_rows * cell_cols, -1)


def _pixels_float(images, orientations, transform_sqrt, geometry):
    """Bins (intp) and magnitudes in ``by_offset`` order, general float path."""
    if transform_sqrt:
        images = np.sqrt(images)
    g_row, g_col = _central_gradients(images)
    if images.shape[-1] > 1:
        g_row, g_col = _select_channel(np.hypot(g_row, g_col), g_row, g_col)
    else:
        g_row, g_col = g_row[..., 0], g_col[..., 0]
    g_row = by_offset(g_row, *geometry, np.float64)
    g_col = by_offset(g_col, *geometry, np.float64)
    return orientation_bins(g_row, g_col, orientations), np.hypot(g_col, g_row)


def _pixels_8bit(images, orientations, select_dtype, geometry):
    """Same as the float path for whole numbers in [0, 255], via the tables.

    Integer gradients need no ``hypot``/``arctan2`` per pixel: the channel
    choice compares integer squared norms, and the bin and the magnitude come
    from the tables.
    """
    tables = gradient_tables(orientations, select_dtype)
    # (C, n, H, W) int32, each channel contiguous: differences are exact.
    channels = images.transpose(3, 0, 1, 2).astype(np.int32, order="C")
    g_row, g_col = _flat_central_gradients(channels)
    codes = g_row * _LUT_SIDE  # code = (g_row + 255) * 511 + (g_col + 255)
    codes += g_col
    codes += _MAX_GRADIENT * _LUT_SIDE + _MAX_GRADIENT
    if len(codes) == 1:
        codes = codes[0]
    else:
        g_row *= g_row  # in place: the gradients are not needed any more
        np.multiply(g_col, g_col, out=g_col)
        squared = g_row
        squared += g_col
        codes = _select_channel_8bit(codes, squared, tables)
    codes = by_offset(codes, *geometry, np.intp)
    return tables.bins.take(codes), tables.magnitude.take(codes)


def _select_channel_8bit(codes, squared, tables):
    """Per pixel, the code of the channel scikit-image's argmax picks.

    ``hypot`` of integers is strictly increasing in the squared norm, so the
    largest ``squared``, the first channel on ties, is argmax's choice, except
    where equal squared norms can get ``hypot`` values one ulp apart: those
    rare pixels are settled with the ``select`` table.
    """
    best_squared, best_code = squared[0].copy(), codes[0].copy()
    for channel in range(1, len(codes)):
        # Strictly larger wins, so the first channel wins ties. The blend
        # best += better * (code - best) is much faster than np.where.
        change = codes[channel] - best_code
        change *= squared[channel] > best_squared
        best_code += change
        np.maximum(best_squared, squared[channel], out=best_squared)

    candidates = np.flatnonzero(best_squared >= tables.min_ambiguous)
    tied = candidates[tables.ambiguous.take(best_squared.ravel()[candidates])]
    if tied.size:
        pixel_codes = codes.reshape(len(codes), -1)[:, tied]
        winner = tables.select.take(pixel_codes).argmax(axis=0)
        best_code.ravel()[tied] = pixel_codes[winner, np.arange(tied.size)]
    return best_code


def cell_histograms(bins, magnitudes, orientations, area):
    """Cell histograms ``(n_cells_total, orientations)`` from by-offset data.

    ``bins`` (small non-negative integers) and ``magnitudes`` are
    ``by_offset`` arrays. Replays the Cython float32 accumulation exactly:
    every cell adds its pixels in row-major order, all cells one offset at a
    time, then divides by the cell area in float32.
    """
    n_slots = orientations + 1  # last slot collects the "no bin" pixels
    total_cells = bins.shape[1]
    first = np.arange(0, total_cells * n_slots, n_slots, dtype=np.intp)
    slots = np.add(bins, first, dtype=np.intp)  # the cell's first slot + bin
    accumulate = _accumulate_at if bins.size <= _AT_PIXELS else _accumulate_sparse
    histogram = accumulate(slots, magnitudes, total_cells * n_slots)
    histogram /= np.float32(area)  # float32 division, as in C
    histogram = histogram.reshape(total_cells, n_slots)
    return histogram[:, :orientations].astype(np.float64)


def _accumulate_sparse(slots, magnitudes, n_total_slots):
    """float32 sums of ``magnitudes`` per slot, one offset at a time.

    Four numpy calls per offset whatever the number of cells: the way for
    many cells.
    """
    histogram = np.zeros(n_total_slots, dtype=np.float32)
    totals = np.empty(slots.shape[1], dtype=np.float32)
    sums = np.empty(slots.shape[1], dtype=np.float64)
    for offset_slots, offset_magnitudes in zip(slots, magnitudes):
        # C: total = (float)((double)total + magnitude). Slots are distinct
        # within one offset, so gather, add and scatter are safe; reused
        # buffers and explicit casts save time in this hot loop.
        np.take(histogram, offset_slots, out=totals, mode="clip")
        np.add(totals, offset_magnitudes, out=sums)
        np.copyto(totals, sums, casting="same_kind")
        histogram[offset_slots] = totals
    return histogram


def _accumulate_at(slots, magnitudes, n_total_slots):
    """Same sums as ``_accumulate_sparse``, in a single ``np.add.at`` call.

    ``np.add.at`` goes through the pixels in order (offset-major, hence
    row-major within each cell) and, for a float32 total and a float64
    magnitude, adds in float64 and rounds to float32 at every pixel: the C
    accumulation exactly. It costs about 70 ns per pixel, against a few
    microseconds per offset for ``_accumulate_sparse``: the way for few
    pixels (single images).
    """
    histogram = np.zeros(n_total_slots, dtype=np.float32)
    np.add.at(histogram, slots.ravel(), magnitudes.ravel())
    return histogram


@functools.lru_cache(maxsize=32)
def block_index(n_cells, cells_per_block, orientations):
    """Where each block value sits in an image's flattened cell histograms.

    ``histograms.reshape(n, -1).take(index, axis=1)`` lists the blocks in
    skimage's ``feature_vector=True`` order, orientations last within a
    cell. Cached per geometry: one gather replaces the windowed view and
    its transposed copy, whose set-up dominates on single images.
    """
    index = np.arange(math.prod(n_cells) * orientations).reshape(*n_cells, -1)
    windows = sliding_window_view(index, cells_per_block, axis=(0, 1))
    # (blocks_row, blocks_col, orient, b_row, b_col) -> orientation last
    index = windows.transpose(0, 1, 3, 4, 2).reshape(-1)
    index.flags.writeable = False
    return index


def normalize_blocks(histograms, cells_per_block, block_norm):
    """Normalized blocks, flattened like skimage's ``feature_vector=True``.

    ``histograms`` is ``(n, n_cells_row, n_cells_col, orientations)``.
    """
    n_images, *n_cells, orientations = histograms.shape
    index = block_index(tuple(n_cells), tuple(cells_per_block), orientations)
    block_size = math.prod(cells_per_block) * orientations
    # One contiguous row per block, so that every reduction runs along rows.
    blocks = histograms.reshape(n_images, -1).take(index, axis=1)
    blocks = blocks.reshape(-1, block_size)
    if block_norm in ("L1", "L1-sqrt"):
        blocks /= np.abs(blocks).sum(axis=1, keepdims=True) + _EPS
        if block_norm == "L1-sqrt":
            np.sqrt(blocks, out=blocks)
    else:
        blocks /= np.sqrt(np.einsum("ij,ij->i", blocks, blocks) + _EPS**2)[:, None]
        if block_norm == "L2-Hys":
            np.minimum(blocks, 0.2, out=blocks)
            norms = np.sqrt(np.einsum("ij,ij->i", blocks, blocks) + _EPS**2)
            blocks /= norms[:, None]
    return blocks.reshape(n_images, -1)


def _pad_to_one_block(images, pixels_per_cell, cells_per_block):
    height, width = padded_size(images.shape[1:3], pixels_per_cell, cells_per_block)
    if (height, width) == images.shape[1:3]:
        return images
    pad = ((0, 0), (0, height - images.shape[1]), (0, width - images.shape[2]))
    return np.pad(images, pad + ((0, 0),))


def _check_magnitude(images, pixels_per_cell):
    """Cell sums of gradient magnitudes (at most ``2 * sqrt(2) * max|x|`` per
    pixel) are accumulated in float32: refuse values that could overflow it."""
    if not np.issubdtype(images.dtype, np.floating) or images.size == 0:
        return
    area = pixels_per_cell[0] * pixels_per_cell[1]
    limit = float(np.finfo(np.float32).max) / (4.0 * area)
    largest = max(float(images.max()), -float(images.min()))
    if largest > limit:
        raise ValueError(
            f"HOG needs pixel values of magnitude at most {limit:.3g} with "
            f"pixels_per_cell={tuple(pixels_per_cell)}, got {largest:.3g}: "
            "rescale the images (HOG hardly depends on their scale)."
        )


def hog_4d(
    images,
    orientations,
    pixels_per_cell,
    cells_per_block,
    block_norm,
    transform_sqrt,
):
    """HOG features of an ``(n, H, W, C)`` batch, processed in chunks.

    Two chunk levels: per-pixel work runs on cache-sized chunks; the float32
    accumulation, whose cost per cell-pixel offset is mostly a fixed numpy
    call overhead, runs once for many of them.
    """
    dtype = working_dtype(images.dtype)
    _check_magnitude(images, pixels_per_cell)
    n_cells, n_blocks = hog_geometry(
        images.shape[1:3], pixels_per_cell, cells_per_block
    )
    n_features = math.prod((*n_blocks, *cells_per_block, orientations))
    out = np.empty((images.shape[0], n_features), dtype=dtype)
    height, width = padded_size(images.shape[1:3], pixels_per_cell, cells_per_block)
    pixels = height * width
    # Rough scratch bytes per image: per-pixel work holds a few 8-byte values
    # per pixel and channel; accumulation holds bins, magnitudes and slots
    # per pixel (and their parts before stacking), then the blocks.
    pixel_bytes = 8 * pixels * (3 * images.shape[3] + 4)
    accumulate_bytes = 8 * (4 * pixels + 3 * n_features)
    area = pixels_per_cell[0] * pixels_per_cell[1]
    settings = (orientations, (pixels_per_cell, n_cells), dtype, transform_sqrt)
    for rows in chunk_slices(images.shape[0], accumulate_bytes):
        parts = []
        for sub_rows in chunk_slices(rows.stop - rows.start, pixel_bytes, True):
            chunk = images[rows][sub_rows]
            chunk = _pad_to_one_block(chunk, pixels_per_cell, cells_per_block)
            parts.append(_pixels(chunk, *settings))
        if len(parts) == 1:  # no copy for a single part (one image)
            bins, magnitudes = parts[0]
        else:
            bins, magnitudes = (np.hstack(arrays) for arrays in zip(*parts))
        histograms = cell_histograms(bins, magnitudes, orientations, area)
        histograms = histograms.reshape(-1, *n_cells, orientations)
        out[rows] = normalize_blocks(histograms, cells_per_block, block_norm)
    return out


def _pixels(images, orientations, geometry, dtype, transform_sqrt):
    """Bins and magnitudes of ``(n, H, W, C)`` images, in ``by_offset`` order:
    the 8-bit table path where it applies, else the float path."""
    use_tables = not transform_sqrt and images.shape[3] <= 2**_CHANNEL_BITS
    if use_tables and is_8bit(images):
        return _pixels_8bit(images, orientations, dtype, geometry)
    images = images.astype(dtype, copy=False)
    return _pixels_float(images, orientations, transform_sqrt, geometry)


def image_cell_histograms(images, orientations, pixels_per_cell, transform_sqrt):
    """Cell histograms ``(n, n_cells_row, n_cells_col, orientations)``.

    No padding and no blocks: what scikit-image draws its glyphs from.
    """
    n_cells = (
        images.shape[1] // pixels_per_cell[0],
        images.shape[2] // pixels_per_cell[1],
    )
    if n_cells[0] == 0 or n_cells[1] == 0:
        return np.zeros((len(images), *n_cells, orientations))
    dtype = working_dtype(images.dtype)
    geometry = (pixels_per_cell, n_cells)
    bins, magnitudes = _pixels(images, orientations, geometry, dtype, transform_sqrt)
    area = pixels_per_cell[0] * pixels_per_cell[1]
    histograms = cell_histograms(bins, magnitudes, orientations, area)
    return histograms.reshape(len(images), *n_cells, orientations)
