"""Displays of what the classifiers learned, following scikit-learn's API.

Like :class:`~sklearn.metrics.ConfusionMatrixDisplay`, each display is built
from a fitted object with ``from_estimator`` (which also plots), holds the
data to plot, and draws it with ``plot(ax=None)``; the matplotlib objects are
kept as ``ax_`` / ``axes_``, ``figure_`` and ``lines_`` / ``images_``.

- :class:`LossCurveDisplay`: the training objective over minibatches (or
  passes over the data) of one or several classifiers, on one axes.
- :class:`WeightTemplateDisplay`: the rows of ``coef_`` of a classifier
  trained on raw pixels, reshaped to images: one "template" per class.
- :class:`HOGGlyphDisplay`: the oriented-gradient histogram of every HOG
  cell drawn as a star of lines over the image.

matplotlib is an optional dependency: install it with
``pip install "sklinear[plot]"``. It is only imported when a display is
drawn, so ``import sklinear.plotting`` works without it.
"""

import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._composite import final_estimator, leaf_estimators

__all__ = ["HOGGlyphDisplay", "LossCurveDisplay", "WeightTemplateDisplay"]

PLOT_EXTRA_HINT = 'pip install "sklinear[plot]"'


def _import_pyplot(caller):
    """matplotlib.pyplot, or an ImportError telling which extra to install."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            f"{caller} needs matplotlib, which is not installed. Install the "
            f"plotting extra with {PLOT_EXTRA_HINT} (or pip install matplotlib)."
        ) from error
    return plt


def _hog_step(estimator):
    """The HOG transformer itself, or the first one inside a (nested) pipeline,
    feature union or search."""
    found = _find_hog(estimator)
    if found is None:
        raise ValueError(
            f"No HOG transformer (with pixels_per_cell and orientations) in "
            f"{type(estimator).__name__}: pass a fitted HOGFeatures, or a "
            "pipeline, feature union or search with one inside."
        )
    return found


def _find_hog(estimator):
    return next(
        (
            leaf
            for leaf in leaf_estimators(estimator)
            if hasattr(leaf, "pixels_per_cell") and hasattr(leaf, "orientations")
        ),
        None,
    )


def _grid_axes(plt, ax, n_panels, n_cols, panel_size):
    """A flat array of ``n_panels`` axes: new subplots, or the ones given."""
    if ax is None:
        n_cols = min(n_panels, 5) if n_cols is None else n_cols
        if not isinstance(n_cols, numbers.Integral) or n_cols < 1:
            raise ValueError(f"n_cols must be a positive integer, got {n_cols!r}.")
        n_rows = -(-n_panels // n_cols)
        width, height = panel_size
        _, axes = plt.subplots(
            n_rows, n_cols, figsize=(width * n_cols, height * n_rows), squeeze=False
        )
    else:
        axes = ax
    axes = np.asarray(axes, dtype=object).ravel()
    if len(axes) < n_panels:
        raise ValueError(
            f"Need one axes per panel: got {len(axes)} axes for {n_panels} panels."
        )
    for unused in axes[n_panels:]:
        unused.set_axis_off()
    return axes[:n_panels]


def _as_names(name, n_items, items="curves"):
    if name is None or isinstance(name, str):
        return [name] * n_items
    names = list(name)
    if len(names) != n_items:
        raise ValueError(f"Got {len(names)} names for {n_items} {items}.")
    return names


# --------------------------------------------------------------------------
# Loss curves
# --------------------------------------------------------------------------


class LossCurveDisplay:
    """Training objective over minibatches of one or several classifiers.

    The lecture's picture of optimization progress: the objective (mean
    loss plus penalty) of every minibatch, before its step. Build it with
    :meth:`from_estimator`, which accepts several fitted models and draws
    them on one axes; or call ``from_estimator`` again with ``ax=display.ax_``
    to add a model.

    Parameters
    ----------
    loss_curves : list of array-like
        One curve per model: the objective at every minibatch step, as in a
        fitted classifier's ``loss_curve_``.
    n_iters : list of int or None, default=None
        Passes over the training data (``n_iter_``) each curve spans; needed
        only for ``xaxis='epoch'``.
    names : list of str or None, default=None
        Legend label of each curve; None draws no legend entry.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        One line per curve.
    ax_ : matplotlib Axes
        Axes with the curves.
    figure_ : matplotlib Figure
        Figure containing the axes.

    See Also
    --------
    WeightTemplateDisplay : The learned weights as images.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sklinear import LinearSVMClassifier, SoftmaxClassifier
    >>> from sklinear.plotting import LossCurveDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> svm = LinearSVMClassifier(max_iter=5, tol=None, random_state=0).fit(X, y)
    >>> softmax = SoftmaxClassifier(max_iter=5, tol=None, random_state=0).fit(X, y)
    >>> display = LossCurveDisplay.from_estimator(
    ...     [svm, softmax], name=["SVM", "softmax"], xaxis="epoch"
    ... )
    >>> len(display.lines_), display.ax_.get_xlabel()
    (2, 'passes over the training data (epochs)')
    """

    def __init__(self, *, loss_curves, n_iters=None, names=None):
        self.loss_curves = loss_curves
        self.n_iters = n_iters
        self.names = names

    @classmethod
    def from_estimator(
        cls, estimator, *, name=None, xaxis="minibatch", ax=None, **kwargs
    ):
        """Plot the loss curve of one or several fitted classifiers.

        Parameters
        ----------
        estimator : estimator or list of estimators
            Fitted models with a ``loss_curve_`` (sklinear classifiers,
            :class:`~sklearn.neural_network.MLPClassifier`), or pipelines and
            searches ending in one.
        name : str or list of str, default=None
            Legend label of each model. None uses the class names.
        xaxis : {'minibatch', 'epoch'}, default='minibatch'
            Horizontal axis: the step number (minibatch, full-batch step or
            random-search trial), or ``n_iter_``: passes over the training
            data for ``fit``, which puts solvers with different batch sizes
            on a common scale. For a model trained by ``partial_fit``,
            ``n_iter_`` counts the calls (chunks), not passes.
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a new figure.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for every curve.

        Returns
        -------
        display : LossCurveDisplay
        """
        _import_pyplot(f"{cls.__name__}.from_estimator")
        if "label" in kwargs:
            raise TypeError("Pass the legend labels as name=, not label=.")
        estimators = (
            list(estimator) if isinstance(estimator, list | tuple) else [estimator]
        )
        models = [final_estimator(model) for model in estimators]
        for model in models:
            check_is_fitted(model)
            if not hasattr(model, "loss_curve_"):
                raise ValueError(
                    f"{type(model).__name__} has no loss_curve_ attribute; expected a "
                    "model trained by (minibatch) gradient descent, such as "
                    "sklinear.LinearSVMClassifier or SoftmaxClassifier."
                )
        names = _as_names(name, len(models))
        names = [
            n if n is not None else type(m).__name__ for n, m in zip(names, models)
        ]
        display = cls(
            loss_curves=[model.loss_curve_ for model in models],
            n_iters=[getattr(model, "n_iter_", None) for model in models],
            names=names,
        )
        return display.plot(ax=ax, xaxis=xaxis, **kwargs)

    def plot(self, ax=None, *, xaxis="minibatch", **kwargs):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a new figure.
        xaxis : {'minibatch', 'epoch'}, default='minibatch'
            Step number, or passes over the training data (needs
            ``n_iters``).
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for every curve.

        Returns
        -------
        display : LossCurveDisplay
            Self, with ``lines_``, ``ax_`` and ``figure_`` set.
        """
        plt = _import_pyplot(f"{type(self).__name__}.plot")
        if xaxis not in ("minibatch", "epoch"):
            raise ValueError(f"xaxis must be 'minibatch' or 'epoch', got {xaxis!r}.")
        n_curves = len(self.loss_curves)
        n_iters = [None] * n_curves if self.n_iters is None else list(self.n_iters)
        if xaxis == "epoch" and any(n is None for n in n_iters):
            raise ValueError("xaxis='epoch' needs n_iters, the epochs of every curve.")
        if ax is None:
            _, ax = plt.subplots()
        self.lines_ = []
        for curve, n_iter, label in zip(
            self.loss_curves, n_iters, _as_names(self.names, n_curves)
        ):
            curve = np.asarray(curve, dtype=float)
            steps = np.arange(1, len(curve) + 1, dtype=float)
            x = steps * (n_iter / len(curve)) if xaxis == "epoch" else steps
            (line,) = ax.plot(x, curve, label=label, **kwargs)
            self.lines_.append(line)
        ax.set_xlabel(
            "passes over the training data (epochs)"
            if xaxis == "epoch"
            else "minibatch step"
        )
        ax.set_ylabel("training objective")
        if any(
            line.get_label() and not line.get_label().startswith("_")
            for line in ax.lines
        ):
            ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self


# --------------------------------------------------------------------------
# Weight templates
# --------------------------------------------------------------------------


def _infer_image_shape(n_features):
    """(s, s, 3) or (s, s) for square RGB or gray images, else None."""
    for n_channels in (3, 1):
        side = round((n_features / n_channels) ** 0.5)
        if n_channels * side * side == n_features:
            return (side, side, 3) if n_channels == 3 else (side, side)
    return None


def _rescale_each(images):
    """Stretch every image to [0, 1] on its own (a constant one becomes 0.5)."""
    axes = tuple(range(1, images.ndim))
    low = images.min(axis=axes, keepdims=True)
    span = images.max(axis=axes, keepdims=True) - low
    flat = span == 0
    return np.where(flat, 0.5, (images - low) / np.where(flat, 1.0, span))


class WeightTemplateDisplay:
    """The weights of a linear classifier on pixels, one image per class.

    Row ``k`` of ``coef_`` holds one weight per pixel value, so it can be
    shown as an image: the "template" that class ``k``'s score matches
    against (the lecture's picture of a linear classifier). Each template is
    stretched to the full intensity range on its own for display.

    Parameters
    ----------
    templates : ndarray of shape (n_templates, H, W) or (n_templates, H, W, 3)
        The weights reshaped to images.
    class_names : list of str or None, default=None
        Title of each template.

    Attributes
    ----------
    images_ : list of matplotlib AxesImage
        One image per template.
    axes_ : ndarray of matplotlib Axes
        The axes of the templates, in order.
    figure_ : matplotlib Figure
        Figure containing the axes.

    See Also
    --------
    LossCurveDisplay : The training objective over minibatches.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklinear import SoftmaxClassifier
    >>> from sklinear.datasets import load_photo_patches
    >>> from sklinear.plotting import WeightTemplateDisplay
    >>> patches = load_photo_patches(patch_size=16, n_train_per_class=20,
    ...                              n_test_per_class=5)
    >>> model = SoftmaxClassifier(max_iter=5, tol=None, random_state=0)
    >>> model = model.fit(patches.data_train / 255, patches.target_train)
    >>> display = WeightTemplateDisplay.from_estimator(
    ...     model, class_names=patches.target_names
    ... )
    >>> display.templates.shape, len(display.images_)
    ((10, 16, 16, 3), 10)
    >>> display.axes_[1].get_title()
    'chelsea'
    """

    def __init__(self, *, templates, class_names=None):
        self.templates = templates
        self.class_names = class_names

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        image_shape=None,
        class_names=None,
        ax=None,
        n_cols=None,
        **kwargs,
    ):
        """Show the rows of a fitted linear model's ``coef_`` as images.

        Parameters
        ----------
        estimator : estimator
            Fitted model with ``coef_`` of shape (n_classes, n_features), or
            a pipeline or search ending in one. Its features must be the
            pixels of images (the weights are shown as they are, so any
            scaling step before it only changes the contrast per pixel).
        image_shape : (int, int) or (int, int, 3), default=None
            ``(H, W)`` or ``(H, W, 3)`` of the images. None infers square
            RGB (``n_features = 3 * s * s``) or gray (``s * s``) images.
        class_names : list of str, default=None
            Title of each template. None uses the model's ``classes_``. A
            binary model has one template, ``w_1 - w_0``: two names ``[a, b]``
            title it "b vs a".
        ax : matplotlib Axes or array of Axes, default=None
            One axes per template; None creates a figure with a grid.
        n_cols : int, default=None
            Columns of the new grid; None puts up to 5 templates per row.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.imshow`.

        Returns
        -------
        display : WeightTemplateDisplay
        """
        _import_pyplot(f"{cls.__name__}.from_estimator")
        model = final_estimator(estimator)
        check_is_fitted(model)
        coef = getattr(model, "coef_", None)
        if coef is None or np.ndim(coef) not in (1, 2):
            raise ValueError(f"{type(model).__name__} has no 2-D coef_ to show.")
        coef = np.atleast_2d(np.asarray(coef, dtype=float))
        shape = (
            _infer_image_shape(coef.shape[1]) if image_shape is None else image_shape
        )
        if shape is None or np.prod(shape) != coef.shape[1]:
            raise ValueError(
                f"Cannot show {coef.shape[1]} weights per class as images of "
                f"shape {shape}: pass image_shape=(H, W) or (H, W, 3) with "
                "H * W * channels equal to the number of features."
            )
        if class_names is None:
            classes = getattr(model, "classes_", np.arange(len(coef)))
            class_names = [str(label) for label in classes]
        else:
            class_names = list(class_names)
        if len(coef) == 1 and len(class_names) == 2:  # binary: one row, w1 - w0
            class_names = [f"{class_names[1]} vs {class_names[0]}"]
        display = cls(
            templates=coef.reshape(len(coef), *shape), class_names=list(class_names)
        )
        return display.plot(ax=ax, n_cols=n_cols, **kwargs)

    def plot(self, ax=None, *, n_cols=None, **kwargs):
        """Draw the templates, each stretched to the full intensity range.

        Parameters
        ----------
        ax : matplotlib Axes or array of Axes, default=None
            One axes per template; None creates a figure with a grid.
        n_cols : int, default=None
            Columns of the new grid; None puts up to 5 templates per row.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.imshow`.

        Returns
        -------
        display : WeightTemplateDisplay
            Self, with ``images_``, ``axes_`` and ``figure_`` set.
        """
        plt = _import_pyplot(f"{type(self).__name__}.plot")
        templates = np.asarray(self.templates, dtype=float)
        if templates.ndim == 4 and templates.shape[-1] == 1:
            templates = templates[..., 0]
        if templates.ndim not in (3, 4):
            raise ValueError(
                "templates must have shape (n, H, W) or (n, H, W, 3), got "
                f"{templates.shape}."
            )
        names = _as_names(self.class_names, len(templates), "templates")
        axes = _grid_axes(plt, ax, len(templates), n_cols, panel_size=(1.6, 1.8))
        if templates.ndim == 3:
            kwargs.setdefault("cmap", "gray")
        self.images_ = []
        for axis, template, name in zip(axes, _rescale_each(templates), names):
            self.images_.append(axis.imshow(template, **kwargs))
            if name is not None:
                axis.set_title(name, fontsize="small")
            axis.set_axis_off()
        self.axes_, self.figure_ = axes, axes[0].figure
        return self


# --------------------------------------------------------------------------
# HOG glyphs
# --------------------------------------------------------------------------


def _glyph_segments(histograms, pixels_per_cell):
    """Line segments (x, y) of the HOG glyphs of one image.

    ``histograms`` has shape (n_cell_rows, n_cell_cols, orientations). Each
    bin becomes a line through the cell centre, perpendicular to the bin's
    middle gradient angle (so along the edges), as long as the bin's share
    of the largest bin in the image.
    """
    n_rows, n_cols, orientations = histograms.shape
    cell_rows, cell_cols = pixels_per_cell
    centre_rows = np.arange(n_rows) * cell_rows + (cell_rows - 1) / 2
    centre_cols = np.arange(n_cols) * cell_cols + (cell_cols - 1) / 2
    angles = np.pi * (np.arange(orientations) + 0.5) / orientations
    radius = min(cell_rows, cell_cols) / 2 * histograms / max(histograms.max(), 1e-12)
    # Gradient angle t is arctan2(d_row, d_col); the edge runs along
    # (d_row, d_col) = (cos t, -sin t).
    d_col = radius * np.sin(angles)
    d_row = radius * np.cos(angles)
    rows = centre_rows[:, None, None]
    cols = centre_cols[None, :, None]
    start = np.stack(np.broadcast_arrays(cols + d_col, rows - d_row), axis=-1)
    end = np.stack(np.broadcast_arrays(cols - d_col, rows + d_row), axis=-1)
    return np.stack([start, end], axis=-2).reshape(-1, 2, 2)


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
        from .features import hog

        _import_pyplot(f"{cls.__name__}.from_images")
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
        estimator = _hog_step(estimator)
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
        plt = _import_pyplot(f"{type(self).__name__}.plot")
        from matplotlib.collections import LineCollection

        kwargs.setdefault("colors", "yellow")
        kwargs.setdefault("linewidths", 1.0)
        histograms = np.asarray(self.cell_histograms, dtype=float)
        names = _as_names(self.titles, len(histograms), "images")
        axes = _grid_axes(plt, ax, len(histograms), n_cols, panel_size=(2.0, 2.2))
        self.line_collections_ = []
        for axis, image, cells, name in zip(axes, self.images, histograms, names):
            axis.imshow(_gray_for_display(image), cmap="gray", vmin=0.0, vmax=1.5)
            lines = LineCollection(
                _glyph_segments(cells, self.pixels_per_cell), **kwargs
            )
            axis.add_collection(lines)
            self.line_collections_.append(lines)
            if name is not None:
                axis.set_title(name, fontsize="small")
            axis.set_axis_off()
        self.axes_, self.figure_ = axes, axes[0].figure
        return self
