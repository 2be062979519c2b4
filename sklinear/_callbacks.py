"""scikit-learn callbacks (``sklearn.callback``, new in 1.9) for the classifiers.

A ``fit`` is one callback task with a subtask per epoch (per trial for
``solver='random_search'``), as a ``LogisticRegression`` fit has one per
L-BFGS iteration: ``ProgressBar`` advances the fit's bar once per epoch, and
``ScoringMonitor`` scores the model of every epoch. A ``partial_fit`` call is a
task with its one epoch. The optimizers of :mod:`sklinear.optimize` know
nothing of this: they call two plain hooks around each epoch, made here.

With scikit-learn older than 1.9 the classifiers have no ``set_callbacks``
and :class:`FitTask` does nothing.
"""


class FitTask:
    """The callback task of one ``fit`` or ``partial_fit`` call.

    Creating it starts the task (the callbacks' ``setup`` and
    ``on_fit_task_begin``); :meth:`end` ends it. scikit-learn's
    ``_fit_context`` calls ``teardown``, also when the fit raises.

    Parameters
    ----------
    estimator : LinearSVMClassifier or SoftmaxClassifier
        The classifier being fitted.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The validated training data, passed to the callbacks
        (``ScoringMonitor`` scores on it).
    y : ndarray of shape (n_samples,)
        The training labels.
    sample_weight : array-like of shape (n_samples,) or None
        As given to the fit: the callbacks' ``metadata``.
    task_name : str
        ``'fit'`` or ``'partial_fit'``.
    n_epochs : int
        The most epochs (or trials) the call can run: the length of the bar.
    epoch_name : str
        Name of the per-epoch subtasks.
    """

    def __init__(
        self, estimator, X, y, sample_weight, *, task_name, n_epochs, epoch_name
    ):
        self._estimator = estimator
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self._data = {"X": X, "y": y, "metadata": metadata}
        self._epoch_name = epoch_name
        self._epoch_context = None
        self._fitted_attributes = None
        self._context = None
        # Always with scikit-learn >= 1.9, callbacks or not: inside a
        # meta-estimator the task joins the meta-estimator's task tree.
        if hasattr(estimator, "_init_callback_context"):
            self._context = estimator._init_callback_context(
                task_name=task_name, max_subtasks=n_epochs
            )
            self._context.call_on_fit_task_begin(estimator=estimator, **self._data)

    def epoch_hooks(self, fitted_attributes):
        """The optimizer's ``on_epoch_begin`` and ``on_epoch_end`` arguments.

        Parameters
        ----------
        fitted_attributes : callable
            ``fitted_attributes(W, b)`` returns the attributes (``coef_``,
            ``intercept_``, ``classes_``) of a model with the optimizer's
            weights ``W, b``. Called only when a callback asks for
            ``fitted_estimator`` (``ScoringMonitor`` does).

        Returns
        -------
        hooks : dict
            Keyword arguments for the optimizer; empty without callbacks, so
            that such a fit runs no per-epoch code at all.
        """
        if self._context is None or not getattr(
            self._estimator, "_skl_callbacks", None
        ):
            return {}
        self._fitted_attributes = fitted_attributes
        return {"on_epoch_begin": self._begin_epoch, "on_epoch_end": self._end_epoch}

    def _begin_epoch(self, epoch):
        # Sequential subtasks: the context numbers them 0, 1, ... itself.
        self._epoch_context = self._context.subcontext(task_name=self._epoch_name)
        self._epoch_context.call_on_fit_task_begin(
            estimator=self._estimator, **self._data
        )

    def _end_epoch(self, epoch, W, b):
        """Whether a callback asks to stop."""
        return self._epoch_context.call_on_fit_task_end(
            estimator=self._estimator,
            **self._data,
            # Lazy: the copy of the model is made only for callbacks that
            # take a fitted_estimator, while W and b are this epoch's.
            reconstruction_attributes=lambda: self._fitted_attributes(W, b),
        )

    def end(self):
        """End the task; the estimator is fitted."""
        if self._context is not None:
            self._context.call_on_fit_task_end(
                estimator=self._estimator, **self._data, reconstruction_attributes={}
            )
