"""Linear classifiers trained by minibatch SGD: multiclass SVM and softmax.

Both estimators minimize

.. math::

    J(W, b) = \\frac{\\sum_i w_i L_i}{\\sum_i w_i} + \\alpha R(W)

where :math:`L_i` is the multiclass hinge loss (:class:`LinearSVMClassifier`)
or the cross-entropy loss (:class:`SoftmaxClassifier`) of the scores
:math:`s = W x_i + b`, and :math:`R` the penalty. They compose the pieces in
:mod:`sklinear.losses`, :mod:`sklinear.penalties`, :mod:`sklinear.objective`
and :mod:`sklinear.optimize`. This module is their scikit-learn face: the
parameters, their checks and documentation, and prediction. The steps of a fit
(labels, class weights, the solver, the fitted attributes) are in the private
``sklinear._training``.
"""

from numbers import Integral, Real

import numpy as np
from scipy.special import log_softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _array_api, _training
from ._estimator_docs import with_shared_docs
from ._sklearn_compat import (
    CallbackSupportMixin,
    Interval,
    StrOptions,
    _fit_context,
)
from ._state import (
    _fitted_state_restored_on_error,
    check_prediction_state,
    validates_params_every_call,
)
from ._training_data import checked_csr_structure
from ._versioned import VersionedStateMixin
from .penalties import make_penalty

__all__ = ["LinearSVMClassifier", "SoftmaxClassifier"]

_SOLVERS = ("auto", "saga", "sdca", "lbfgs", "sgd", "gd", "random_search")


def _store_parameters(estimator, parameters):
    """Set each ``__init__`` parameter in ``parameters`` (its ``locals()``) as
    the attribute of that name, as scikit-learn's estimators do."""
    for name, value in parameters.items():
        if name != "self":
            setattr(estimator, name, value)


class _BaseLinearClassifier(
    CallbackSupportMixin, VersionedStateMixin, ClassifierMixin, BaseEstimator
):
    """Shared machinery; subclasses set ``_loss`` and document parameters."""

    _loss = None

    _parameter_constraints = {
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "max_norm": [Interval(Real, 0, None, closed="neither"), None],
        "fit_intercept": ["boolean"],
        "solver": [StrOptions(set(_SOLVERS))],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [
            StrOptions({"auto"}),
            Interval(Real, 0, None, closed="neither"),
        ],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "shuffle": ["boolean"],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "average": ["boolean"],
    }

    def __init__(
        self,
        *,
        penalty="l2",
        alpha=1e-2,
        l1_ratio=0.15,
        max_norm=None,
        fit_intercept=True,
        solver="auto",
        batch_size="auto",
        max_iter=1000,
        learning_rate="adaptive",
        learning_rate_init="auto",
        power_t=0.5,
        momentum=0.9,
        tol=1e-3,
        n_iter_no_change=5,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        class_weight=None,
        warm_start=False,
        random_state=None,
        verbose=0,
        average=False,
    ):
        _store_parameters(self, locals())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = True
        return tags

    def _penalty(self):
        """The penalty object of ``penalty``, ``alpha``, ``l1_ratio`` and
        ``max_norm`` (:func:`~sklinear.penalties.make_penalty`): every
        solver's objective, and the choice of solver, take it from here."""
        return make_penalty(
            self.penalty, self.alpha, self.l1_ratio, max_norm=self.max_norm
        )

    # -- fitting -----------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the classifier by the chosen solver.

        Callbacks (``set_callbacks``, scikit-learn >= 1.9) see a ``'fit'``
        task with a subtask per epoch (per trial for random search), and can
        stop the fit after any epoch.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 data is trained in float32. It is read in
            place (CSR, any dense order); the compiled per-sample epochs
            ('sdca', and 'saga' where its steps are single samples) copy a
            dense X whose rows are not contiguous (Fortran order, as pandas
            often gives) once, in row order.
        y : array-like of shape (n_samples,)
            Class labels, of any type scikit-learn accepts.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; an integer weight ``k`` counts a sample as
            ``k`` copies of it would. Samples of weight 0 are left out; if
            that leaves fewer than two classes (e.g. every weight is 0, by
            ``sample_weight`` or ``class_weight``), a ValueError says so.

        Returns
        -------
        self : object
            The fitted classifier.

        Raises
        ------
        ValueError
            Also, with ``warm_start``, if the previous fit's attributes do
            not fit together (changed after fitting, or a damaged file).
        """
        with _fitted_state_restored_on_error(self):
            if _array_api.dispatches(self, X, fit=True):
                return _array_api.fit(self, X, y, sample_weight)
            return _training.fit(self, X, y, sample_weight)

    @validates_params_every_call
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch of minibatch SGD over the given samples.

        Use it to learn from data that arrives in chunks or does not fit in
        memory. The stopping rule is not applied; the step size follows the
        schedule across calls. Every call checks the parameters (which
        ``set_params`` may have changed) and the fitted attributes it
        continues from. A model fitted with ``solver='random_search'``
        continues with the step size ``'auto'`` derives from its data.
        Callbacks see each call as a ``'partial_fit'`` task with its one
        epoch; a request to stop comes after that epoch and changes nothing
        (it does stop the trials of random search).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,)
            Its labels; each must be one of ``classes``.
        classes : array-like of shape (n_classes,), default=None
            All the classes that will ever be seen. Required on the first
            call, ignored (but checked, if given) on later ones.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the chunk's samples. They are divided by
            the mean weight of every sample trained on so far (by ``fit`` and
            ``partial_fit``), not of this chunk alone, so a weight keeps its
            meaning from chunk to chunk, down to chunks of one sample.
            Samples of weight 0 (by ``sample_weight``, ``class_weight`` or
            both) are left out, and a chunk with no positive weight is
            skipped: the model, ``n_iter_`` and the weight totals stay as
            they were. On the first call there is nothing to start from, and
            such a chunk raises a ValueError.

        Returns
        -------
        self : object
            The updated classifier.

        Raises
        ------
        ValueError
            If the parameters are invalid, the data do not match the first
            call, or the fitted attributes do not fit together (changed
            after fitting, or loaded from a damaged file).
        """
        with _fitted_state_restored_on_error(self):
            if _array_api.dispatches(self, X):
                return _array_api.partial_fit(self, X, y, classes, sample_weight)
            return _training.partial_fit(self, X, y, classes, sample_weight)

    # -- prediction ----------------------------------------------------------

    def decision_function(self, X):
        """Class scores ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the score of ``classes_[1]`` minus that of
            ``classes_[0]`` (positive means ``classes_[1]``).
        """
        if _array_api.dispatches(self, X):
            return _array_api.decision_function(self, X)
        check_is_fitted(self)
        check_prediction_state(self)  # a wrong width would be a wrong answer
        X = validate_data(
            self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False
        )
        X = checked_csr_structure(X)
        scores = np.asarray(X @ self.coef_.T) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        """Predict the class of each sample: the one with the highest score.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, from ``classes_``.
        """
        if _array_api.dispatches(self, X):
            return _array_api.predict(self, X)
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]


@with_shared_docs
class LinearSVMClassifier(_BaseLinearClassifier):
    """Multiclass linear SVM (Weston-Watkins hinge loss) trained by SGD.

    For each sample with scores :math:`s = W x_i + b` and class :math:`y_i`,

    .. math:: L_i = \\sum_{j \\ne y_i} \\max(0, s_j - s_{y_i} + \\Delta)

    and the model minimizes the (weighted) mean of :math:`L_i` plus
    ``alpha * R(W)`` by minibatch SGD (see :mod:`sklinear.optimize`).

    Parameters
    ----------
    margin : float, default=1.0
        The margin :math:`\\Delta` by which the correct class's score should
        beat every other.
    {parameters}

    Attributes
    ----------
    {attributes}

    See Also
    --------
    SoftmaxClassifier : The same model with the cross-entropy loss.
    sklearn.linear_model.SGDClassifier : One-vs-rest linear models, one sample
        per step.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklinear import LinearSVMClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), LinearSVMClassifier(random_state=0))
    >>> model.fit(X, y).score(X, y) > 0.9
    True
    """

    _loss = "hinge"

    _parameter_constraints = {
        **_BaseLinearClassifier._parameter_constraints,
        "margin": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        margin=1.0,
        penalty="l2",
        alpha=1e-2,
        l1_ratio=0.15,
        max_norm=None,
        fit_intercept=True,
        solver="auto",
        batch_size="auto",
        max_iter=1000,
        learning_rate="adaptive",
        learning_rate_init="auto",
        power_t=0.5,
        momentum=0.9,
        tol=1e-3,
        n_iter_no_change=5,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        class_weight=None,
        warm_start=False,
        random_state=None,
        verbose=0,
        average=False,
    ):
        _store_parameters(self, locals())

    def __getattr__(self, name):
        # The hinge loss gives scores, not probabilities: no predict_proba,
        # so hasattr() stays False (scikit-learn's meta-estimators rely on
        # it), but the error says where probabilities come from.
        if name in ("predict_proba", "predict_log_proba"):
            raise AttributeError(
                f"LinearSVMClassifier has no {name}: the hinge loss gives class "
                "scores (decision_function), not probabilities. Wrap it in "
                "sklearn.calibration.CalibratedClassifierCV for calibrated "
                "probabilities, or use SoftmaxClassifier."
            )
        raise AttributeError(
            f"'{type(self).__name__}' object has no attribute '{name}'"
        )


@with_shared_docs
class SoftmaxClassifier(_BaseLinearClassifier):
    """Multinomial logistic regression (softmax) trained by minibatch SGD.

    The scores :math:`s = W x_i + b` are unnormalized log-probabilities,
    :math:`P(y = k \\mid x_i) = e^{s_k} / \\sum_j e^{s_j}`, and the model
    minimizes the (weighted) mean of
    :math:`L_i = -\\log P(y = y_i \\mid x_i)` plus ``alpha * R(W)``. With
    ``penalty='l2'`` this is the objective of
    :class:`~sklearn.linear_model.LogisticRegression` with
    ``C = 1 / (alpha * n_samples)`` for three or more classes, and
    ``C = 2 / (alpha * n_samples)`` for two: both class rows are penalized,
    and at the optimum :math:`w_0 = -w_1`, so the penalty is
    :math:`\\frac{\\alpha}{4}\\|w_1 - w_0\\|^2` of ``coef_``.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    {attributes}

    See Also
    --------
    LinearSVMClassifier : The same model with the multiclass hinge loss.
    sklearn.linear_model.LogisticRegression : Full-batch solvers for the
        same objective.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklinear import SoftmaxClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> model = SoftmaxClassifier(random_state=0).fit(X, y)
    >>> model.predict_proba(X[:1]).round(1)
    array([[1., 0., 0.]])
    >>> model.score(X, y) > 0.9
    True
    """

    _loss = "softmax"

    def predict_log_proba(self, X):
        """Log of the class probabilities, computed stably from the scores.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        if _array_api.dispatches(self, X):
            return _array_api.predict_log_proba(self, X)
        scores = self.decision_function(X)
        if scores.ndim == 1:
            scores = np.column_stack([np.zeros_like(scores), scores])
        return log_softmax(scores, axis=1)

    def predict_proba(self, X):
        """Class probabilities :math:`e^{s_k} / \\sum_j e^{s_j}`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``; rows sum to one.
        """
        if _array_api.dispatches(self, X):
            return _array_api.predict_proba(self, X)
        return np.exp(self.predict_log_proba(X))
