"""Linear classifiers trained by minibatch SGD: multiclass SVM and softmax.

Both estimators minimize

.. math::

    J(W, b) = \\frac{\\sum_i w_i L_i}{\\sum_i w_i} + \\alpha R(W)

where :math:`L_i` is the multiclass hinge loss (:class:`LinearSVMClassifier`)
or the cross-entropy loss (:class:`SoftmaxClassifier`) of the scores
:math:`s = W x_i + b`, and :math:`R` the penalty. They compose the pieces in
:mod:`sklinear.losses`, :mod:`sklinear.penalties`, :mod:`sklinear.objective`
and :mod:`sklinear.optimize`, and own only the scikit-learn side: validation,
labels, class weights and fitted attributes.
"""

import contextlib
import dataclasses
import functools
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.special import log_softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.utils import assert_all_finite, check_random_state, compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _array_api
from ._callbacks import FitTask
from ._certified import (
    CERTIFIED_SOLVERS,
    certified_fit,
    certify,
    resolve_solver,
    solver_for_data,
)
from ._data_stats import _weighted_mean_row
from ._sklearn_compat import (
    ALL_ZERO_WEIGHTS_OK,
    CallbackSupportMixin,
    Interval,
    StrOptions,
    _check_sample_weight,
    _fit_context,
)
from ._state import (
    check_prediction_state,
    check_training_state,
    continued_sgd_state,
    validates_params_every_call,
)
from ._versioned import VersionedStateMixin
from .objective import LinearObjective
from .optimize import SGDState, minibatch_sgd, random_search
from .penalties import make_penalty

__all__ = ["LinearSVMClassifier", "SoftmaxClassifier"]

_SOLVERS = ("auto", "saga", "sdca", "sgd", "gd", "random_search")
# batch_size='auto': about this many steps per epoch, within this range of
# batch sizes (small data gets enough steps, large data efficient products).
_AUTO_BATCHES_PER_EPOCH = 30
_AUTO_BATCH_SIZE_RANGE = (32, 2048)


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
        alpha=5e-3,
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
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.max_norm = max_norm
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.momentum = momentum
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.average = average

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = True
        return tags

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
            Training data; float32 data is trained in float32.
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
            return self._fit(X, y, sample_weight)

    def _fit(self, X, y, sample_weight):
        solver = resolve_solver(self)
        warm = self.warm_start and _has_fitted_state(self)
        if warm:  # before validate_data replaces n_features_in_
            check_training_state(self)
        X, y, mean_row = self._validate_training_data(X, y, reset=True)
        classes, y_index = np.unique(y, return_inverse=True)
        _check_two_classes(classes)
        if warm:
            self._check_warm_start(classes, X.shape[1])
        weights = self._sample_weight(X, y_index, classes, sample_weight)
        # Only their ratios matter to fit: relative to the largest, they
        # cannot overflow or underflow when summed.
        weight_unit = float(weights.max())
        weights = weights / weight_unit
        X_checked = X
        X, y_index, weights = _drop_zero_weights(X, y_index, weights)
        X_val = y_val = w_val = None
        if self.early_stopping and solver != "random_search":
            X, y_index, weights, X_val, y_val, w_val = self._validation_split(
                X, y_index, weights
            )
        offset = _reusable_mean(mean_row, X is X_checked, weights)
        objective = self._objective(X, y_index, weights, offset=offset)
        solver = solver_for_data(self, solver, objective)
        # A warm start reuses the weights only: the step, momentum and
        # schedule start afresh from the current parameters, as in
        # scikit-learn's SGD and MLP estimators.
        if warm:
            W, b = self._previous_weights(objective)
        else:
            W, b = objective.initial_weights(len(classes))
        validation_score = None
        if X_val is not None:
            validation_score = _accuracy_scorer(X_val, y_val, w_val, objective)
        task = self._callback_task("fit", X_checked, y, sample_weight, solver=solver)
        result = self._optimize(
            objective,
            W,
            b,
            None,
            validation_score,
            continuing=warm,
            hooks=task.epoch_hooks(
                functools.partial(_model_attributes, objective, classes)
            ),
            solver=solver,
        )
        # For partial_fit: count, total weight in units, the unit.
        self._samples_seen = (len(weights), float(np.sum(weights)), weight_unit)
        self.classes_ = classes
        self.n_iter_ = result.n_iter
        self.loss_curve_ = result.loss_curve
        self.validation_scores_ = (
            result.validation_scores if X_val is not None else None
        )
        self.best_validation_score_ = (
            result.best_validation_score if X_val is not None else None
        )
        self._store_weights(objective, result)
        self._store_certificate(objective, result, solver)
        task.end()
        self._warn_if_not_converged(result)
        return self

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
            return self._partial_fit(X, y, classes, sample_weight)

    def _partial_fit(self, X, y, classes, sample_weight):
        # Any fitted attribute means a model to continue: one that lacks
        # others is damaged, and must not silently start afresh.
        first_call = not _has_fitted_state(self)
        if not first_call:  # before validate_data reads n_features_in_
            check_training_state(self)
        if first_call and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: the "
                "full list of class labels, e.g. classes=np.unique(y_all)."
            )
        if self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit, which "
                "sees only one chunk. Pass the dict from sklearn.utils."
                "compute_class_weight('balanced', classes=classes, y=y_sample)."
            )
        X, y, mean_row = self._validate_training_data(X, y, reset=first_call)
        if first_call:
            all_classes = _unique_labels(classes)
            _check_two_classes(all_classes)
        else:
            all_classes = self.classes_
            if classes is not None and not np.array_equal(
                np.unique(classes), all_classes
            ):
                raise ValueError(
                    f"classes={np.unique(classes).tolist()} differs from the "
                    f"classes of the first partial_fit call, "
                    f"{all_classes.tolist()}."
                )
        y_index = _encode_labels(y, all_classes)
        weights = self._sample_weight(
            X, y_index, all_classes, sample_weight, check_classes=False
        )
        X_checked = X
        X, y_index, weights = _drop_zero_weights(X, y_index, weights)
        if len(y_index) == 0:  # whether sample_weight or class_weight zeroed it
            if first_call:
                raise ValueError(
                    "Every sample of the first partial_fit chunk has weight 0 "
                    "(sample_weight times class_weight): there is nothing to "
                    "start from. Pass a chunk with a positive weight first."
                )
            return self  # skipped, as documented
        # Later chunks keep the first chunk's centering, so that the intercepts
        # and momentum carried in the optimizer state keep their meaning.
        if first_call:
            offset = _reusable_mean(mean_row, X is X_checked, weights)
        else:
            offset = self._sgd_state["offset"]
        # Weights are normalized by their mean over every sample seen so far,
        # not over this chunk, so they keep their meaning across calls.
        weights, samples_seen = _stream_weights(
            # (A model saved by an older sklinear has no totals yet.)
            weights,
            previous=None if first_call else getattr(self, "_samples_seen", None),
        )
        count, total, _ = samples_seen
        objective = self._objective(
            X, y_index, weights, offset=offset, weight_scale=count / total
        )
        if first_call:
            W, b = objective.initial_weights(len(all_classes))
            state = None
        else:
            W, b = self._previous_weights(objective)
            state = continued_sgd_state(self._sgd_state, objective.dtype)
        task = self._callback_task("partial_fit", X_checked, y, sample_weight, 1)
        result = self._optimize(
            objective,
            W,
            b,
            state,
            None,
            epochs=1,
            continuing=not first_call,
            hooks=task.epoch_hooks(
                functools.partial(_model_attributes, objective, all_classes)
            ),
        )
        self._samples_seen = samples_seen
        self.classes_ = all_classes
        self.n_iter_ = getattr(self, "n_iter_", 0) + 1
        self.loss_curve_ = getattr(self, "loss_curve_", []) + result.loss_curve
        self.validation_scores_ = None
        self.best_validation_score_ = None
        self._store_weights(objective, result)
        task.end()
        return self

    def _validate_training_data(self, X, y, reset):
        """Checked X and y, and X's mean row (from the one-pass finite check)."""
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            order="C",
            ensure_all_finite=False,  # checked by _finite_mean_row, in one pass
            reset=reset,
        )
        mean_row = _finite_mean_row(X, self)
        _check_targets(y)
        return X, y, mean_row

    def _previous_weights(self, objective):
        """The last fit's weights, as parameters of ``objective``."""
        W, intercept = (w.astype(objective.dtype, copy=True) for w in self._weights)
        return W, objective.parameters_from_intercept(W, intercept)

    def _check_warm_start(self, classes, n_features):
        if not np.array_equal(classes, self.classes_):
            raise ValueError(
                f"warm_start needs the same classes as the previous fit: got "
                f"{classes.tolist()}, expected {self.classes_.tolist()}."
            )
        previous = self._weights[0].shape[1]
        if n_features != previous:
            raise ValueError(
                f"warm_start needs the same number of features as the previous "
                f"fit: X has {n_features} features, the previous fit had "
                f"{previous}. Set warm_start=False to train a new model."
            )

    def _objective(self, X, y_index, weights, offset=None, weight_scale=None):
        return LinearObjective(
            X,
            y_index,
            loss=self._loss,
            penalty=make_penalty(self.penalty, self.alpha, self.l1_ratio),
            sample_weight=weights,
            fit_intercept=self.fit_intercept,
            margin=getattr(self, "margin", 1.0),
            center=True,
            offset=offset,
            weight_scale=weight_scale,
        )

    def _optimize(
        self,
        objective,
        W,
        b,
        state,
        validation_score,
        epochs=None,
        continuing=False,
        hooks=None,
        solver=None,
    ):
        """Train from ``W, b``; ``continuing`` when they are a trained model
        (warm start, later ``partial_fit`` calls), not zeros. ``hooks``: the
        optimizer's per-epoch callback hooks. ``solver``: the resolved solver
        of a fit; None for ``partial_fit``, which runs an SGD epoch (a trial
        for random search)."""
        hooks = {} if hooks is None else hooks
        if solver is None:
            solver = "random_search" if self.solver == "random_search" else "sgd"
        rng = check_random_state(self.random_state)
        if state is None:
            # Random search and the certified solvers too: a model they made
            # may continue with SGD (partial_fit).
            state = self._new_sgd_state(objective, epochs)
        state.offset = objective.offset
        if solver in CERTIFIED_SOLVERS:
            return certified_fit(self, objective, W, b, solver, state, hooks)
        if solver == "random_search":
            scale = 1.0 / np.sqrt(max(objective.second_moment(), 1e-12))
            result = random_search(
                objective,
                W.shape[0],
                n_trials=self.max_iter,
                scale=scale,
                random_state=rng,
                incumbent=(W, b) if continuing else None,
                **hooks,
            )
            result.state = state
            return result
        full_batch = solver == "gd"
        return minibatch_sgd(
            objective,
            W,
            b,
            learning_rate_init=state.eta0,
            batch_size=objective.n_samples
            if full_batch
            else self._batch_size(objective),
            max_iter=self.max_iter if epochs is None else epochs,
            learning_rate=self.learning_rate,
            power_t=self.power_t,
            momentum=self.momentum,
            tol=0.0 if self.tol is None else self.tol,
            n_iter_no_change=self.n_iter_no_change,
            shuffle=self.shuffle and not full_batch,
            max_norm=self.max_norm,
            random_state=rng,
            validation_score=validation_score,
            state=state,
            stop_early=epochs is None and self.tol is not None,
            average=self.average,
            verbose=self.verbose,
            **hooks,
        )

    def _callback_task(self, name, X, y, sample_weight, epochs=None, solver=None):
        """The callbacks' task of this call: one subtask per epoch (or trial)."""
        trials = (solver or self.solver) == "random_search"  # even per chunk
        return FitTask(
            self,
            X,
            y,
            sample_weight,
            task_name=name,
            n_epochs=self.max_iter if trials or epochs is None else epochs,
            epoch_name="trial" if trials else "epoch",
        )

    def _new_sgd_state(self, objective, epochs):
        """The step size and preconditioner derived from the data."""
        # A stream's first chunk may miss the spread of some features, so
        # partial_fit only lets the preconditioner shrink steps (floor=1).
        with np.errstate(over="ignore", invalid="ignore"):
            preconditioner = objective.feature_preconditioner(
                floor=1e-2 if epochs is None else 1.0
            )
            eta0 = self._initial_step(objective, preconditioner)
        _check_trainable_scale(preconditioner, eta0, objective.dtype)
        return SGDState(eta0=eta0, preconditioner=preconditioner)

    def _batch_size(self, objective):
        if self.batch_size != "auto":
            return self.batch_size
        target = objective.n_samples // _AUTO_BATCHES_PER_EPOCH
        return int(np.clip(target, *_AUTO_BATCH_SIZE_RANGE))

    def _initial_step(self, objective, preconditioner):
        if self.learning_rate_init != "auto":
            return float(self.learning_rate_init)
        # Momentum multiplies the step by up to 1 / (1 - momentum): scale it
        # down so the effective step is 1 / (2 L), with L the curvature. The
        # usual stochastic bound: 1 / L is stable for the full gradient, but
        # minibatch noise then sets a high floor (half of it lowers the floor
        # and is more accurate after a few epochs).
        curvature = objective.curvature(preconditioner)
        return (1.0 - self.momentum) / (2.0 * max(curvature, 1e-12))

    def _sample_weight(self, X, y_index, classes, sample_weight, check_classes=True):
        # fit needs two classes of positive weight (checked below, with
        # class_weight); a partial_fit chunk may have none (it is skipped).
        all_zero_ok = {} if check_classes else ALL_ZERO_WEIGHTS_OK
        weights = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True, **all_zero_ok
        )
        if self.class_weight == "balanced":
            weights = weights * _balanced_class_weights(y_index, weights, classes)
        elif self.class_weight is not None:
            per_class = compute_class_weight(
                self.class_weight,
                classes=classes,
                y=classes[y_index],
            )
            _check_class_weights(per_class, classes)
            weights = weights * per_class[y_index]
        if check_classes:
            weighted_classes = np.unique(y_index[weights > 0])
            if len(weighted_classes) < 2:
                how_many = (
                    "Only one class has" if len(weighted_classes) else "No class has"
                )
                raise ValueError(
                    f"{how_many} samples with a positive weight (after "
                    "class_weight); a classifier needs at least 2 classes."
                )
        return weights

    def _validation_split(self, X, y_index, weights):
        splitter = StratifiedShuffleSplit(
            test_size=self.validation_fraction,
            random_state=check_random_state(self.random_state),
        )
        try:
            train, val = next(splitter.split(np.zeros(len(y_index)), y_index))
        except ValueError as error:
            raise ValueError(
                f"early_stopping could not hold out a stratified validation "
                f"fraction of {self.validation_fraction}: {error} Use more "
                "samples, a larger validation_fraction, or early_stopping=False."
            ) from error
        return (
            X[train],
            y_index[train],
            weights[train],
            X[val],
            y_index[val],
            weights[val],
        )

    def _store_weights(self, objective, result):
        W = result.W
        self._weights = (W, objective.intercept(W, result.b))
        self._sgd_state = dataclasses.asdict(result.state)
        if self.average and result.state.average_W is not None:
            W = result.state.average_W
            b = objective.intercept(W, result.state.average_b)
        else:
            W, b = self._weights
        self.coef_, self.intercept_ = _coef_and_intercept(W, b)
        self.t_ = int(result.state.t)
        self.learning_rate_ = float(result.state.eta0)

    def _store_certificate(self, objective, result, solver):
        """``solver_``, ``objective_`` and ``duality_gap_`` of a fit."""
        self.solver_ = solver
        certificate = getattr(result, "certificate", None)
        if certificate is None:  # the lecture's solvers: measured after the fit
            certificate = certify(objective, result.W, result.b, self.max_norm)
        self.objective_ = certificate.objective
        self.duality_gap_ = certificate.relative_gap

    def _warn_if_not_converged(self, result):
        # A stop asked by a callback (interrupted) is not running out of epochs.
        if self.solver_ == "random_search" or self.tol is None:
            return
        if result.converged or result.interrupted:
            return
        if self.solver_ in CERTIFIED_SOLVERS:
            warnings.warn(
                f"solver={self.solver_!r} ran max_iter={self.max_iter} epochs "
                f"and stopped at a relative duality gap of "
                f"{self.duality_gap_:.3g} (tol={self.tol}): the training "
                f"objective {self.objective_:.6g} is at most "
                f"{100 * self.duality_gap_:.3g}% above its minimum. Increase "
                f"max_iter to get closer.",
                ConvergenceWarning,
                stacklevel=5,
            )
            return
        warnings.warn(
            f"Maximum number of iterations (max_iter={self.max_iter}) reached "
            f"before the stopping criterion (tol={self.tol}, n_iter_no_change="
            f"{self.n_iter_no_change}) was met. Consider increasing max_iter.",
            ConvergenceWarning,
            stacklevel=5,  # the caller of fit (past _fit and _fit_context)
        )

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


def _coef_and_intercept(W, intercept):
    """``coef_`` and ``intercept_`` of the class weights (new arrays)."""
    if len(W) == 2:
        # Two classes: one score s_1 - s_0, as scikit-learn's binary
        # classifiers; the hinge and softmax losses depend on it alone.
        return (W[1] - W[0])[None, :], np.array(
            [intercept[1] - intercept[0]], dtype=intercept.dtype
        )
    return W.copy(), intercept.copy()


def _model_attributes(objective, classes, W, b):
    """What a model with the optimizer's weights ``W, b`` predicts with."""
    coef, intercept = _coef_and_intercept(W, objective.intercept(W, b))
    return {"coef_": coef, "intercept_": intercept, "classes_": classes}


@contextlib.contextmanager
def _fitted_state_restored_on_error(estimator):
    """If fitting raises, put the fitted attributes back as they were.

    ``validate_data`` sets ``n_features_in_`` before anything can fail, so
    without this a failed fit would leave a mix of old and new attributes.
    With it, the previous model stays intact, and a model that was never
    fitted stays unfitted (``NotFittedError``). Fitting assigns new objects
    and never changes the saved ones in place.
    """
    saved = {k: v for k, v in vars(estimator).items() if _is_fitted_state(k)}
    try:
        yield
    except BaseException:
        for name in [k for k in vars(estimator) if _is_fitted_state(k)]:
            delattr(estimator, name)
        vars(estimator).update(saved)
        raise


def _has_fitted_state(estimator):
    return any(_is_fitted_state(name) for name in vars(estimator))


def _is_fitted_state(name):
    return name.endswith("_") or name in ("_weights", "_sgd_state", "_samples_seen")


def _stream_weights(weights, previous=None):
    """A chunk's weights in units of the largest weight seen so far, and the
    updated ``(count, total, unit)`` of every sample trained on, total in
    units (so that huge or tiny weights neither overflow nor underflow)."""
    count, total, unit = (0, 0.0, 0.0) if previous is None else previous
    new_unit = max(unit, float(np.max(weights)))
    total = total * (unit / new_unit) + float(np.sum(weights / new_unit))
    return weights / new_unit, (count + len(weights), total, new_unit)


def _balanced_class_weights(y_index, weights, classes):
    """Each sample's 'balanced' class weight, from weighted class totals.

    scikit-learn's ``compute_class_weight`` counts samples (it takes sample
    weights only from version 1.7); counting weight keeps the equivalence of
    a weight ``k`` with ``k`` copies of the sample.
    """
    totals = np.bincount(y_index, weights=weights, minlength=len(classes))
    per_class = np.divide(
        totals.sum(),
        len(classes) * totals,
        out=np.zeros_like(totals),
        where=totals > 0,
    )
    return per_class[y_index]


def _check_two_classes(classes):
    if len(classes) < 2:
        raise ValueError(
            "The number of classes has to be greater than one; got "
            f"{len(classes)} class: {classes.tolist()}."
        )


def _mixed_types_error(labels):
    types = sorted({type(label).__name__ for label in np.ravel(labels)})
    return TypeError(
        f"Labels must be all strings or all numbers, got a mix of {types}."
    )


def _check_targets(y):
    """``check_classification_targets``, clear about labels of mixed types."""
    try:
        check_classification_targets(y)
    except TypeError as error:
        raise _mixed_types_error(y) from error


def _unique_labels(labels):
    try:
        return np.unique(labels)
    except TypeError as error:
        raise _mixed_types_error(labels) from error


def _check_trainable_scale(preconditioner, eta0, dtype):
    """Features whose squares overflow give no usable step: say so."""
    usable = (
        np.isfinite(eta0)
        and eta0 > 0
        and np.all(np.isfinite(preconditioner))
        and np.all(preconditioner > 0)
    )
    if not usable:
        raise ValueError(
            f"X has values too large to train on in {np.dtype(dtype).name}: their "
            "squares overflow. Scale the features first, e.g. with StandardScaler "
            "(or divide raw pixels by 255)."
        )


def _encode_labels(y, classes):
    index = np.searchsorted(classes, y)
    index = np.clip(index, 0, len(classes) - 1)
    unknown = classes[index] != y
    if np.any(unknown):
        raise ValueError(
            f"y contains labels not in classes: {np.unique(y[unknown]).tolist()}; "
            f"expected labels from {classes.tolist()}."
        )
    return index


def _finite_mean_row(X, estimator):
    """Raise for NaN or inf in X; return its mean row when that is finite.

    A NaN or inf entry makes its column's sum NaN or inf, so finite column
    means prove the data finite: the mean the centered objective needs doubles
    as the check, and a large X is read once instead of twice. Only when a
    mean is not finite (bad data, or finite values whose sum overflows) does
    scikit-learn's full check run, for its usual error message.
    """
    if sp.issparse(X):
        assert_all_finite(
            X.data, input_name="X", estimator_name=type(estimator).__name__
        )
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        mean_row = _weighted_mean_row(X)
    if np.isfinite(mean_row).all():
        return mean_row
    assert_all_finite(X, input_name="X", estimator_name=type(estimator).__name__)
    return None


def _reusable_mean(mean_row, same_rows, weights):
    """The checked mean row, if it is the objective's centering (else None)."""
    if mean_row is None or not same_rows or not np.all(weights == weights[0]):
        return None
    return mean_row


def _check_class_weights(per_class, classes):
    """A negative or NaN class weight would silently drop the class."""
    bad = ~(np.isfinite(per_class) & (per_class >= 0))
    if bad.any():
        labels = classes.tolist()  # Python scalars, as the user wrote them
        given = {labels[k]: float(per_class[k]) for k in np.flatnonzero(bad)}
        raise ValueError(
            f"class_weight must give every class a finite, non-negative "
            f"weight, got {given}."
        )


def _drop_zero_weights(X, y_index, weights):
    """Leave out samples of weight 0: they must not change the minibatches."""
    keep = weights > 0
    if keep.all():
        return X, y_index, weights
    return X[keep], y_index[keep], weights[keep]


def _accuracy_scorer(X_val, y_val, w_val, objective):
    def validation_accuracy(W, b):
        scores = np.asarray(X_val @ W.T) + objective.intercept(W, b)
        correct = np.argmax(scores, axis=1) == y_val
        return float(np.average(correct, weights=w_val))

    return validation_accuracy


_SHARED_PARAMETERS = """
    penalty : {'l2', 'l1', 'elasticnet'} or None, default='l2'
        The regularizer :math:`R(W)` (the intercept is never penalized):
        ``'l2'`` is :math:`\\frac12\\|W\\|_F^2`, ``'l1'`` is :math:`\\|W\\|_1`,
        ``'elasticnet'`` is :math:`\\rho\\|W\\|_1 + \\frac{1-\\rho}{2}\\|W\\|_F^2`
        with :math:`\\rho` = ``l1_ratio``. The L1 parts are applied by a
        proximal (soft-thresholding) step, so they give exact zeros.
    alpha : float, default=5e-3
        Regularization strength, as in :class:`~sklearn.linear_model.
        SGDClassifier`: the objective is ``mean loss + alpha * R(W)``. The
        lecture writes :math:`\\lambda \\sum W^2`, so :math:`\\lambda = \\alpha/2`
        for ``'l2'``; ``alpha = 1 / (C * n_samples)`` is the same objective as
        :class:`~sklearn.linear_model.LogisticRegression` with ``C`` for three
        or more classes (``2 / (C * n_samples)`` for two, where both class
        rows are penalized).
    l1_ratio : float, default=0.15
        Elastic net mixing :math:`\\rho` in [0, 1]; only for ``'elasticnet'``.
    max_norm : float, default=None
        If set, after every step each class's weight row is projected onto the
        L2 ball of this radius (max-norm regularization). The projection is
        the nearest point in the metric of the per-feature step sizes, so
        training converges to the constrained minimizer (a few Newton steps
        per update: 0.5 to 1.5 ms for 10 x 3,072 weights, the more in
        float64). With two classes, ``coef_`` is the difference of the two
        rows, so its norm can reach twice this.
    fit_intercept : bool, default=True
        Whether to learn an (unpenalized) intercept per class.
    solver : {'auto', 'saga', 'sdca', 'sgd', 'gd', 'random_search'}, \
default='auto'
        The certified solvers minimize the objective until its relative
        duality gap is below ``tol`` (see ``duality_gap_``):
        ``'saga'``, minibatch proximal SAGA (either loss; the hinge through a
        smoothing homotopy, which is slow to close the gap); ``'sdca'``,
        minibatch stochastic dual coordinate ascent (the hinge loss with an
        L2 part in the penalty, no ``max_norm``). The lecture's solvers:
        ``'sgd'``, minibatch stochastic gradient descent with the schedule
        below; ``'gd'``, full-batch gradient descent (``max_iter`` steps);
        ``'random_search'``, ``max_iter`` random weight matrices, keeping the
        best (``partial_fit`` and ``warm_start`` keep the current model
        unless a trial beats it on the new data). ``'auto'``: ``'sdca'`` for
        the hinge with an L2 part, ``'saga'`` for the softmax, and ``'sgd'``
        for the hinge with L1 or ``max_norm``, with ``early_stopping``,
        ``average`` or a numeric ``learning_rate_init``, without any
        penalty (no certificate applies), and on float32 data far from zero
        (whose float32 products lose the digits the certified solvers need;
        float64 data is certified). The
        solver that ran is ``solver_``. ``partial_fit`` always takes SGD
        steps (trials for ``'random_search'``).
    batch_size : int or 'auto', default='auto'
        The largest number of samples per minibatch (``'sgd'``): an epoch has
        ``m = ceil(n_samples / batch_size)`` batches of equal size (up to one
        sample), so 100 samples with ``batch_size=64`` give two batches of 50.
        ``'auto'`` aims at 30 steps per epoch with batches of 32 to 2048
        samples. Batches are strided views of ``X`` (rows ``k, k + m, k + 2m,
        ...``), so no data is copied per batch.
    max_iter : int, default=1000
        Maximum number of epochs (``'saga'``, ``'sdca'``, ``'sgd'``), steps
        (``'gd'``), or trials (``'random_search'``).
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='adaptive'
        Step-size schedule of ``'sgd'`` and ``'gd'`` (the certified solvers
        choose their steps from the data's curvature, and so ignore
        ``learning_rate``, ``learning_rate_init``, ``power_t``, ``momentum``,
        ``n_iter_no_change`` and ``shuffle``). ``'constant'``: :math:`\\eta_0`;
        ``'invscaling'``: :math:`\\eta_0 / (1 + \\text{epochs})^{\\text{power\\_t}}`;
        ``'adaptive'``: :math:`\\eta_0`, divided by 5 whenever the training
        objective (or the validation score) has not improved by ``tol`` for
        ``n_iter_no_change`` epochs; training stops when such a plateau
        follows a lowering with no improvement in between (the plateau was
        convergence, not noise), or once the step is below
        :math:`10^{-4} \\eta_0`.
    learning_rate_init : float or 'auto', default='auto'
        The initial step size :math:`\\eta_0`. ``'auto'`` takes
        :math:`(1 - \\text{momentum}) / (2L)` (an effective step of
        :math:`1/(2L)` once momentum builds up, the usual stable step for
        stochastic gradients), with :math:`L` an estimate of the curvature of the
        objective (the loss curvature times the largest eigenvalue of the
        data's second-moment matrix, plus the L2 strength): a safe step for raw
        0-255 pixels and standardized features alike. The eigenvalue comes
        from at most 1,024 evenly spaced rows; with many more features than
        that, sampling noise inflates it (2.9x on 40,000 x 3,072 standardized
        features), which only makes the step more cautious. The value used
        is ``learning_rate_``.
    power_t : float, default=0.5
        Exponent of the ``'invscaling'`` schedule.
    momentum : float, default=0.9
        Heavy-ball momentum in [0, 1): each step adds ``momentum`` times the
        previous one. Not in the lecture; it speeds up training a lot.
    tol : float or None, default=1e-3
        Stopping tolerance. ``'saga'`` and ``'sdca'``: the fit stops once the
        relative duality gap is at most ``tol``, i.e. once the training
        objective is certified to be at most ``100 * tol`` percent above its
        minimum (tiny problems, of at most :math:`10^5` multiply-adds per
        epoch, go on to ``1e-10``: the optimum to rounding, at a cost of
        microseconds per epoch). ``'sgd'`` and ``'gd'``: an epoch counts as an
        improvement when the mean training objective drops (or, with ``early_stopping``,
        the validation accuracy rises) by more than ``tol``. None runs all
        ``max_iter`` epochs.
    n_iter_no_change : int, default=5
        Epochs without improvement before the step shrinks or training stops.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified),
        stop on its accuracy, and keep the weights with the best one.
        An option of ``'sgd'`` and ``'gd'`` (``'auto'`` then runs ``'sgd'``;
        ``'saga'`` and ``'sdca'`` raise a ValueError); ignored by
        ``solver='random_search'``, which has no epochs to stop.
    validation_fraction : float, default=0.1
        Share of the training data held out by ``early_stopping``.
    shuffle : bool, default=True
        Visit the minibatches in a new random order each epoch.
    class_weight : dict, 'balanced' or None, default=None
        Weights ``{label: weight}`` multiplied into the sample weights;
        ``'balanced'`` gives each class the weight ``total / (n_classes *
        class_total)``, with the sample weights summed over all samples and
        over the class's (``n_samples / (n_classes * bincount(y))`` without
        ``sample_weight``), so that a weight of ``k`` still counts as ``k``
        copies of a sample.
    warm_start : bool, default=False
        Start ``fit`` from the previous solution. Only the weights carry over:
        the step size, momentum, schedule and averaging start afresh from the
        current parameters (``partial_fit`` is the way to continue the
        optimizer's state). The classes and number of features must match.
    random_state : int, RandomState instance or None, default=None
        Seeds the batch order, the validation split and random search. The
        weights start at zero, so the same seed gives bit-identical results
        on the same machine for any number of threads of the compiled pass
        and of BLAS (steps that go through NumPy and BLAS, e.g. on sparse
        data, may differ in the last bits with the BLAS thread count).
    verbose : int, default=0
        Print one line per epoch when positive.
    average : bool, default=False
        Averaged SGD (``'sgd'`` and ``'gd'`` only, like ``early_stopping``):
        ``coef_`` and ``intercept_`` are the running mean of all
        the iterates instead of the last one. Much less noisy at a constant
        step, so it suits ``partial_fit`` on streams, where the 'adaptive'
        schedule cannot lower the step."""

_SHARED_ATTRIBUTES = """
    coef_ : ndarray of shape (n_classes, n_features) or (1, n_features)
        Weights, in the dtype of the training data. With two classes, the
        single row :math:`w_1 - w_0` of scikit-learn's binary convention
        (positive scores mean ``classes_[1]``).
    intercept_ : ndarray of shape (n_classes,) or (1,)
        Intercepts, likewise :math:`b_1 - b_0` for two classes.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when ``X`` had string column names.
    n_iter_ : int
        Epochs run (steps for ``'gd'``, trials for ``'random_search'``);
        ``partial_fit`` adds one per call.
    solver_ : str
        The solver that ``fit`` ran (``solver`` with ``'auto'`` resolved).
    objective_ : float
        The training objective (mean weighted loss plus penalty) at
        ``coef_`` and ``intercept_``, after ``fit``.
    duality_gap_ : float
        The relative duality gap ``(P - D) / P`` after ``fit``: ``P`` is
        ``objective_`` and ``D`` the value of a feasible dual point, a lower
        bound on the minimum, so ``objective_`` is at most ``100 *
        duality_gap_`` percent above the minimum. Measured for every solver
        (``inf`` without a penalty, where no finite bound exists).
    t_ : int
        Number of weight updates (minibatch steps) so far.
    learning_rate_ : float
        The initial step size used (the resolved ``'auto'``); for
        ``'random_search'``, ``'saga'`` and ``'sdca'``, the one that
        ``partial_fit``'s SGD steps continue from.
    loss_curve_ : list of float
        The training objective of every minibatch, before its step (for
        ``'random_search'``: the best objective after every trial; for
        ``'saga'`` and ``'sdca'``: the objective at every certificate check).
    validation_scores_ : list of float or None
        Validation accuracy after every epoch, with ``early_stopping``.
    best_validation_score_ : float or None
        Best validation accuracy, with ``early_stopping``."""


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
        alpha=5e-3,
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
        super().__init__(
            penalty=penalty,
            alpha=alpha,
            l1_ratio=l1_ratio,
            max_norm=max_norm,
            fit_intercept=fit_intercept,
            solver=solver,
            batch_size=batch_size,
            max_iter=max_iter,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            momentum=momentum,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            shuffle=shuffle,
            class_weight=class_weight,
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
            average=average,
        )
        self.margin = margin

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


for _estimator in (LinearSVMClassifier, SoftmaxClassifier):
    _estimator.__doc__ = _estimator.__doc__.replace(
        "{parameters}", _SHARED_PARAMETERS.strip()
    ).replace("{attributes}", _SHARED_ATTRIBUTES.strip())
