"""The training objective over minibatches of fitted classifiers."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._composite import final_estimator
from ._base import as_names, import_pyplot


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
    epochs : list of (array-like or None) or None, default=None
        For ``xaxis='epoch'``: the epoch of each entry of a curve (a
        certified fit's ``loss_curve_epochs_``, whose checks fall at uneven
        epochs); None spreads a curve's entries evenly over its ``n_iters``.
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

    def __init__(self, *, loss_curves, n_iters=None, names=None, epochs=None):
        self.loss_curves = loss_curves
        self.n_iters = n_iters
        self.names = names
        self.epochs = epochs

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
        import_pyplot(f"{cls.__name__}.from_estimator")
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
        names = as_names(name, len(models))
        names = [
            n if n is not None else type(m).__name__ for n, m in zip(names, models)
        ]
        display = cls(
            loss_curves=[model.loss_curve_ for model in models],
            n_iters=[getattr(model, "n_iter_", None) for model in models],
            names=names,
            epochs=[getattr(model, "loss_curve_epochs_", None) for model in models],
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
        plt = import_pyplot(f"{type(self).__name__}.plot")
        if xaxis not in ("minibatch", "epoch"):
            raise ValueError(f"xaxis must be 'minibatch' or 'epoch', got {xaxis!r}.")
        n_curves = len(self.loss_curves)
        n_iters = [None] * n_curves if self.n_iters is None else list(self.n_iters)
        epochs = [None] * n_curves if self.epochs is None else list(self.epochs)
        if xaxis == "epoch" and any(
            n is None and e is None for n, e in zip(n_iters, epochs)
        ):
            raise ValueError("xaxis='epoch' needs n_iters, the epochs of every curve.")
        if ax is None:
            _, ax = plt.subplots()
        self.lines_ = []
        for curve, n_iter, at, label in zip(
            self.loss_curves, n_iters, epochs, as_names(self.names, n_curves)
        ):
            curve = np.asarray(curve, dtype=float)
            x = _positions(curve, n_iter, at, xaxis)
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


def _positions(curve, n_iter, epochs, xaxis):
    """Where each entry of ``curve`` goes on the horizontal axis."""
    steps = np.arange(1, len(curve) + 1, dtype=float)
    if xaxis != "epoch":
        return steps
    if epochs is None:
        return steps * (n_iter / len(curve))
    epochs = np.asarray(epochs, dtype=float)
    if epochs.shape != curve.shape:
        raise ValueError(
            f"epochs has {epochs.size} entries, the loss curve {curve.size}."
        )
    return epochs
