"""The demo's pictures, drawn from its results by experiment name.

Every function takes the results of :func:`~sklinear._demo.experiments.
run_experiments` (a dict by name) and draws on a new figure made by
``new_figure``: a bare :class:`matplotlib.figure.Figure` by default (no
pyplot, so no global state and no window, on any backend), or
``matplotlib.pyplot.figure`` where pyplot should show it (the gallery).
"""

import math

import numpy as np

__all__ = [
    "PICTURES",
    "confusion_matrix",
    "hog_glyphs",
    "loss_curves",
    "minibatch_curves",
    "optimizer_curves",
    "templates",
]

# Each loss on its own axes: hinge and cross-entropy values have different
# scales, so one axis would compare numbers that mean different things.
_MINIBATCH = {
    "SVM": ("svm_sgd", "svm_hog_hue", "multiclass SVM (hinge) loss + penalty"),
    "softmax": (
        "softmax_sgd",
        "softmax_hog_hue",
        "softmax (cross-entropy) loss + penalty",
    ),
}
_OPTIMIZERS = ("svm_random_search", "svm_gd", "svm_sgd")


def _bare_figure(**kwargs):
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def optimizer_curves(results, ax):
    """The SVM's objective per pass over the data, for each optimizer."""
    from ..plotting import LossCurveDisplay

    shown = [results[name] for name in _OPTIMIZERS if name in results]
    LossCurveDisplay.from_estimator(
        [result.estimator for result in shown],
        name=[result.model.split(", ")[1] for result in shown],
        xaxis="epoch",
        ax=ax,
        linewidth=0.8,
    )
    ax.set_title("Optimizers: SVM on raw pixels, same number of passes")
    ax.set_ylabel(_MINIBATCH["SVM"][-1])


def minibatch_curves(results, ax, classifier):
    """One classifier's objective per minibatch, on raw pixels and features.

    Parameters
    ----------
    results : dict of str to Result
    ax : matplotlib Axes
    classifier : {'SVM', 'softmax'}
    """
    from ..plotting import LossCurveDisplay

    *names, objective = _MINIBATCH[classifier]
    shown = [results[name] for name in names if name in results]
    LossCurveDisplay.from_estimator(
        [result.estimator for result in shown],
        name=[result.experiment.features for result in shown],
        ax=ax,
        linewidth=0.6,
        alpha=0.8,
    )
    ax.set_title(f"{classifier}, minibatch SGD: every minibatch's objective")
    ax.set_ylabel(objective)


def loss_curves(results, data, new_figure=_bare_figure):
    """The optimizers, then the SVM's and the softmax's minibatch curves."""
    figure = new_figure(figsize=(16, 4.8), layout="constrained")
    optimizers, svm, softmax = figure.subplots(1, 3)
    optimizer_curves(results, optimizers)
    minibatch_curves(results, svm, "SVM")
    minibatch_curves(results, softmax, "softmax")
    figure.suptitle(
        f"Training objective (mean loss + penalty) on {data.description}\n"
        "The SVM's hinge loss and the softmax's cross-entropy have different "
        "scales: each has its own axes"
    )
    return figure


def templates(results, data, new_figure=_bare_figure):
    """The raw-pixel SVM's and softmax's weights, one image per class."""
    from ..plotting import WeightTemplateDisplay

    figure = new_figure(figsize=(1.5 * data.n_classes, 4.2), layout="constrained")
    shown = [results["svm_sgd"], results["softmax_sgd"]]
    for subfigure, result in zip(figure.subfigures(2, 1), shown):
        WeightTemplateDisplay.from_estimator(
            result.estimator,
            image_shape=data.image_shape,
            class_names=data.target_names,
            ax=subfigure.subplots(1, data.n_classes),
        )
        subfigure.suptitle(
            f"{result.model.split(',')[0]} on raw pixels: one template (row of "
            f"coef_) per class, test accuracy {result.accuracy:.1%}"
        )
    return figure


def hog_glyphs(results, data, new_figure=_bare_figure):
    """The HOG cells of the first test image of each class."""
    from ..plotting import HOGGlyphDisplay

    pipeline = results["svm_hog_hue"].estimator
    hog = pipeline.named_steps["features"].named_transformers["hog"]
    first_of_class = [
        np.flatnonzero(data.y_test == k)[:1] for k in range(data.n_classes)
    ]
    shown = np.concatenate(first_of_class)
    n_cols = min(5, len(shown))
    n_rows = math.ceil(len(shown) / n_cols)
    figure = new_figure(figsize=(2.2 * n_cols, 2.5 * n_rows), layout="constrained")
    HOGGlyphDisplay.from_estimator(
        hog,
        data.images_test[shown],
        titles=[data.target_names[label] for label in data.y_test[shown]],
        ax=figure.subplots(n_rows, n_cols),
    )
    figure.suptitle(
        f"HOG cells ({hog.pixels_per_cell[0]}x{hog.pixels_per_cell[1]} pixels, "
        f"{hog.orientations} orientations): one test image per class"
    )
    return figure


def confusion_matrix(results, data, new_figure=_bare_figure):
    """Which classes the grid search's best model confuses, on the test set."""
    from sklearn.metrics import ConfusionMatrixDisplay

    best = results["grid_search"]
    figure = new_figure(figsize=(7, 7), layout="constrained")
    ax = figure.subplots()
    ConfusionMatrixDisplay.from_estimator(
        best.estimator,
        data.rows_test,
        data.y_test,
        labels=np.arange(data.n_classes),
        display_labels=data.target_names,
        xticks_rotation="vertical",
        ax=ax,
        colorbar=False,
    )
    ax.set_title(
        f"Grid search's best model (HOG + hue, softmax) on the test set: "
        f"{best.accuracy:.1%}",
        fontsize="medium",
    )
    return figure


# The files the command line writes, and what draws each.
PICTURES = {
    "loss_curves.png": loss_curves,
    "templates.png": templates,
    "hog_glyphs.png": hog_glyphs,
    "confusion_matrix.png": confusion_matrix,
}
