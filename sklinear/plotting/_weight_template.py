"""The weights of a linear classifier on pixels, one image per class."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._composite import final_estimator
from ..features._images import infer_image_shape
from ._base import as_names, grid_axes, import_pyplot


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
        import_pyplot(f"{cls.__name__}.from_estimator")
        model = final_estimator(estimator)
        check_is_fitted(model)
        coef = getattr(model, "coef_", None)
        if coef is None or np.ndim(coef) not in (1, 2):
            raise ValueError(f"{type(model).__name__} has no 2-D coef_ to show.")
        coef = np.atleast_2d(np.asarray(coef, dtype=float))
        shape = infer_image_shape(coef.shape[1]) if image_shape is None else image_shape
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
        plt = import_pyplot(f"{type(self).__name__}.plot")
        templates = np.asarray(self.templates, dtype=float)
        if templates.ndim == 4 and templates.shape[-1] == 1:
            templates = templates[..., 0]
        if templates.ndim not in (3, 4):
            raise ValueError(
                "templates must have shape (n, H, W) or (n, H, W, 3), got "
                f"{templates.shape}."
            )
        names = as_names(self.class_names, len(templates), "templates")
        axes = grid_axes(plt, ax, len(templates), n_cols, panel_size=(1.6, 1.8))
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
