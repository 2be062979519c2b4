"""HOG cells of images drawn as stars of oriented lines."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..features import hog
from ..features._glyphs import glyph_segments
from ._base import as_names, grid_axes, hog_step, import_pyplot


def _glyph_lines(histograms, pixels_per_cell):
    """Line segments ``(x, y)`` of the HOG glyphs of one image.

    ``histograms`` has shape (n_cell_rows, n_cell_cols, orientations). Each
    bin's line is centred in its cell and as long as the bin's share of the
    largest bin in the image times the cell's smaller side.
    """
    n_rows, n_cols, orientations = histograms.shape
    half_lengths = min(pixels_per_cell) / 2 * histograms / max(histograms.max(), 1e-12)
    centre = ((pixels_per_cell[0] - 1) / 2, (pixels_per_cell[1] - 1) / 2)
    segments = glyph_segments(
        (n_rows, n_cols), pixels_per_cell, orientations, centre, half_lengths
    )
    return segments[..., ::-1].reshape(-1, 2, 2)  # (row, col) -> (x, y)


def _gray_for_display(image):
    """A (H, W) image in [0, 1] to show under the glyphs."""
    image = np.asarray(image, dtype=float)
    if image.ndim == 3:
        image = image.mean(axis=2)
    high = image.max()
    return image / 255 if high > 1 else image


class HOGGlyphDisplay:
    """HOG cells of images drawn as stars of oriented lines over the images.

    Each cell's histogram of gradient orientations (normalized to sum to one
    in the cell, as the descriptor sees it after normalization) becomes a
    star: one line per orientation bin through the cell centre, along the
    edge direction (perpendicular to the gradient), as long as the bin's
    share. Long single lines are clean edges; even stars are texture.

    Parameters
    ----------
    images : ndarray of shape (n_images, H, W) or (n_images, H, W, C)
        The images, shown in gray under the glyphs.
    cell_histograms : ndarray of shape (n_images, n_cell_rows, n_cell_cols, \
orientations)
        Orientation histogram of every cell.
    pixels_per_cell : (int, int)
        Cell size in pixels.
    titles : list of str or None, default=None
        Title of each image.

    Attributes
    ----------
    line_collections_ : list of matplotlib LineCollection
        The glyphs of each image.
    axes_ : ndarray of matplotlib Axes
        The axes of the images, in order.
    figure_ : matplotlib Figure
        Figure containing the axes.

    See Also
    --------
    sklinear.features.HOGFeatures : The HOG descriptor as a transformer.
    sklinear.features.hog_visualization : scikit-image's glyph image.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skimage import data
    >>> from sklinear.plotting import HOGGlyphDisplay
    >>> images = [data.astronaut()[:64, :64], data.coffee()[:64, :64]]
    >>> display = HOGGlyphDisplay.from_images(images, titles=["astronaut", "coffee"])
    >>> display.cell_histograms.shape
    (2, 8, 8, 9)
    >>> len(display.line_collections_[0].get_segments())  # 8 x 8 cells, 9 bins
    576
    """

    def __init__(self, *, images, cell_histograms, pixels_per_cell, titles=None):
        self.images = images
        self.cell_histograms = cell_histograms
        self.pixels_per_cell = pixels_per_cell
        self.titles = titles

    @classmethod
    def from_images(
        cls,
        images,
        *,
        orientations=9,
        pixels_per_cell=(8, 8),
        transform_sqrt=False,
        titles=None,
        ax=None,
        n_cols=None,
        **kwargs,
    ):
        """Compute the HOG cell histograms of images and plot them.

        Parameters
        ----------
        images : array-like of shape (n_images, H, W) or (n_images, H, W, C)
            Gray or color images, channels last.
        orientations : int, default=9
            Number of orientation bins over [0, 180) degrees.
        pixels_per_cell : (int, int), default=(8, 8)
            Cell size in pixels (rows, columns).
        transform_sqrt : bool, default=False
            Square-root the pixels first, as the HOG option of that name.
        titles : list of str, default=None
            Title of each image.
        ax : matplotlib Axes or array of Axes, default=None
            One axes per image; None creates a figure with a grid.
        n_cols : int, default=None
            Columns of the new grid; None puts up to 5 images per row.
        **kwargs : dict
            Passed to :class:`matplotlib.collections.LineCollection`.

        Returns
        -------
        display : HOGGlyphDisplay
        """
        import_pyplot(f"{cls.__name__}.from_images")
        images = np.asarray(images)
        if images.ndim not in (3, 4):
            raise ValueError(
                "images must have shape (n_images, H, W) or (n_images, H, W, C), "
                f"got {images.shape}."
            )
        # One-cell blocks with L1 normalization: each cell's histogram on its own.
        features = hog(
            images,
            orientations=orientations,
            pixels_per_cell=pixels_per_cell,
            cells_per_block=(1, 1),
            block_norm="L1",
            transform_sqrt=transform_sqrt,
        )
        cell_rows, cell_cols = pixels_per_cell
        grid = (images.shape[1] // cell_rows, images.shape[2] // cell_cols)
        if min(grid) == 0:
            raise ValueError(
                f"Images of {images.shape[1]} x {images.shape[2]} pixels hold no "
                f"whole cell of {cell_rows} x {cell_cols} pixels to draw; use "
                "smaller pixels_per_cell."
            )
        histograms = features.reshape(len(images), *grid, orientations)
        display = cls(
            images=images,
            cell_histograms=histograms,
            pixels_per_cell=tuple(pixels_per_cell),
            titles=titles,
        )
        return display.plot(ax=ax, n_cols=n_cols, **kwargs)

    @classmethod
    def from_estimator(
        cls, estimator, X, *, titles=None, ax=None, n_cols=None, **kwargs
    ):
        """Plot the glyphs with the settings of a fitted HOG transformer.

        Parameters
        ----------
        estimator : sklinear.features.HOGFeatures, Pipeline or FeatureUnion
            Fitted transformer, or a fitted pipeline, feature union or search
            with one inside (the first one found is used). Its
            ``orientations``, ``pixels_per_cell``, ``transform_sqrt``,
            ``channels_first`` and ``image_shape_`` are used.
        X : array-like of shape (n_images, n_features) or (n_images, H, W[, C])
            Images, or rows of flattened images as the transformer takes them.
        titles : list of str, default=None
            Title of each image.
        ax : matplotlib Axes or array of Axes, default=None
            One axes per image; None creates a figure with a grid.
        n_cols : int, default=None
            Columns of the new grid; None puts up to 5 images per row.
        **kwargs : dict
            Passed to :class:`matplotlib.collections.LineCollection`.

        Returns
        -------
        display : HOGGlyphDisplay
        """
        estimator = hog_step(estimator)
        check_is_fitted(estimator, "image_shape_")
        # The transformer's own checks: rows or images of another shape than
        # it was fitted on are an error here too, not a different image count.
        images = estimator._validate_images(X, reset=False)
        if images.shape[-1] == 1:
            images = images[..., 0]
        return cls.from_images(
            images,
            orientations=estimator.orientations,
            pixels_per_cell=estimator.pixels_per_cell,
            transform_sqrt=estimator.transform_sqrt,
            titles=titles,
            ax=ax,
            n_cols=n_cols,
            **kwargs,
        )

    def plot(self, ax=None, *, n_cols=None, **kwargs):
        """Draw every image in gray with its glyphs on top.

        Parameters
        ----------
        ax : matplotlib Axes or array of Axes, default=None
            One axes per image; None creates a figure with a grid.
        n_cols : int, default=None
            Columns of the new grid; None puts up to 5 images per row.
        **kwargs : dict
            Passed to :class:`matplotlib.collections.LineCollection`;
            the default colour is yellow.

        Returns
        -------
        display : HOGGlyphDisplay
            Self, with ``line_collections_``, ``axes_`` and ``figure_`` set.
        """
        plt = import_pyplot(f"{type(self).__name__}.plot")
        from matplotlib.collections import LineCollection

        kwargs.setdefault("colors", "yellow")
        kwargs.setdefault("linewidths", 1.0)
        histograms = np.asarray(self.cell_histograms, dtype=float)
        names = as_names(self.titles, len(histograms), "images")
        axes = grid_axes(plt, ax, len(histograms), n_cols, panel_size=(2.0, 2.2))
        self.line_collections_ = []
        for axis, image, cells, name in zip(axes, self.images, histograms, names):
            axis.imshow(_gray_for_display(image), cmap="gray", vmin=0.0, vmax=1.5)
            lines = LineCollection(_glyph_lines(cells, self.pixels_per_cell), **kwargs)
            axis.add_collection(lines)
            self.line_collections_.append(lines)
            if name is not None:
                axis.set_title(name, fontsize="small")
            axis.set_axis_off()
        self.axes_, self.figure_ = axes, axes[0].figure
        return self
