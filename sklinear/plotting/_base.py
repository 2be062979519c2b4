"""What the displays share: the lazy matplotlib import, axes grids, names."""

import numbers

import numpy as np

from .._composite import leaf_estimators

PLOT_EXTRA_HINT = 'pip install "sklinear[plot]"'


def import_pyplot(caller):
    """matplotlib.pyplot, or an ImportError telling which extra to install."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            f"{caller} needs matplotlib, which is not installed. Install the "
            f"plotting extra with {PLOT_EXTRA_HINT} (or pip install matplotlib)."
        ) from error
    return plt


def hog_step(estimator):
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


def grid_axes(plt, ax, n_panels, n_cols, panel_size):
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


def as_names(name, n_items, items="curves"):
    if name is None or isinstance(name, str):
        return [name] * n_items
    names = list(name)
    if len(names) != n_items:
        raise ValueError(f"Got {len(names)} names for {n_items} {items}.")
    return names
