"""HOG glyphs: the oriented-gradient histogram of every cell drawn as lines.

One geometry serves both pictures: :func:`glyph_segments` gives, for every
cell and orientation bin, a line through the cell centre perpendicular to
the bin's middle gradient angle, so along the edges the bin counts. It is
rasterized by :func:`glyph_image` (``hog_visualization``, scikit-image's
``hog_image``) and drawn as vector lines by
:class:`~sklinear.plotting.HOGGlyphDisplay`; they differ only in where they
put a cell's centre and how long they make its lines.
"""

import numpy as np


def glyph_segments(n_cells, pixels_per_cell, orientations, centre, half_lengths):
    """End points ``(row, col)`` of every glyph line.

    Parameters
    ----------
    n_cells : (int, int)
        Cells per column and per row of the image.
    pixels_per_cell : (int, int)
        Cell size in pixels.
    orientations : int
        Orientation bins over [0, 180) degrees.
    centre : (float, float)
        Position of the glyphs' centre within a cell, from its top-left pixel.
    half_lengths : float or ndarray of shape (n_cells[0], n_cells[1], orientations)
        Half the length of every line.

    Returns
    -------
    segments : ndarray of shape (n_cells[0], n_cells[1], orientations, 2, 2)
        Start and end, each ``(row, col)``, of the line of every cell and bin.
    """
    cell_rows, cell_cols = pixels_per_cell
    rows = (np.arange(n_cells[0]) * cell_rows + centre[0])[:, None, None]
    cols = (np.arange(n_cells[1]) * cell_cols + centre[1])[None, :, None]
    angles = np.pi * (np.arange(orientations) + 0.5) / orientations
    # A gradient at angle t (arctan2(d_row, d_col)) crosses an edge that runs
    # along (d_row, d_col) = (cos t, -sin t). The products are scikit-image's
    # (radius * cos, radius * sin), so its integer line ends are reproduced.
    d_row = half_lengths * np.cos(angles)
    d_col = half_lengths * np.sin(angles)
    start = np.stack(np.broadcast_arrays(rows - d_row, cols + d_col), axis=-1)
    end = np.stack(np.broadcast_arrays(rows + d_row, cols - d_col), axis=-1)
    return np.stack([start, end], axis=-2)


def glyph_image(histograms, image_hw, pixels_per_cell, dtype):
    """scikit-image's HOG visualization of one image's cell histograms.

    Lines of scikit-image's geometry (centred on pixel ``cell // 2``, of
    half-length ``min(pixels_per_cell) // 2 - 1``, ends truncated to ints)
    are drawn with ``skimage.draw.line``, and each adds its bin's value to
    the pixels it covers.

    Parameters
    ----------
    histograms : ndarray of shape (n_cell_rows, n_cell_cols, orientations)
        Orientation histogram of every cell.
    image_hw : (int, int)
        Height and width of the image.
    pixels_per_cell : (int, int)
        Cell size in pixels, at least 2 x 2.
    dtype : dtype
        Of the returned image.

    Returns
    -------
    glyphs : ndarray of shape image_hw
    """
    from skimage.draw import line

    n_rows, n_cols, orientations = histograms.shape
    centre = (pixels_per_cell[0] // 2, pixels_per_cell[1] // 2)
    radius = min(pixels_per_cell) // 2 - 1
    ends = glyph_segments(
        (n_rows, n_cols), pixels_per_cell, orientations, centre, radius
    ).astype(int)
    centres = np.stack(
        np.meshgrid(
            np.arange(n_rows) * pixels_per_cell[0] + centre[0],
            np.arange(n_cols) * pixels_per_cell[1] + centre[1],
            indexing="ij",
        ),
        axis=-1,
    ).reshape(-1, 1, 1, 2)
    # Ends relative to the cell's centre pixel, (row, col, row, col) per line,
    # so that equal shapes are found.
    relative = ends.reshape(-1, orientations, 2, 2) - centres
    relative = relative.reshape(-1, orientations, 4)
    origins = centres.reshape(-1, 2)
    glyphs = np.zeros(image_hw, dtype=dtype)
    for orientation in range(orientations):
        values = histograms[..., orientation].ravel()
        # Lines are translation invariant: draw each distinct shape once.
        shapes, shape_of_cell = np.unique(
            relative[:, orientation], axis=0, return_inverse=True
        )
        for shape_index, shape in enumerate(shapes):
            rows, cols = line(*(int(end) for end in shape))
            cells = np.flatnonzero(shape_of_cell.ravel() == shape_index)
            where = (origins[cells, 0, None] + rows, origins[cells, 1, None] + cols)
            np.add.at(glyphs, where, values[cells, None])
    return glyphs
