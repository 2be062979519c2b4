"""What the classifiers' ``fit`` and ``partial_fit`` do, in order.

Private: :mod:`sklinear.linear_model` checks the parameters, keeps the
previous model if fitting fails, and sends array API inputs their own way;
the NumPy and SciPy data come here, to :func:`fit` or :func:`partial_fit`.
Each reads as the steps of a fit: the training data
(:mod:`sklinear._training_data`), the objective and its solver
(:mod:`sklinear._training_solver`), then the fitted attributes, stored on the
estimator.
"""

import dataclasses
import functools
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._callbacks import FitTask
from ._certified import (
    CERTIFIED_SOLVERS,
    certify,
    resolve_solver,
    sgd_fallback,
    solver_for_data,
)
from ._state import _has_fitted_state, check_training_state, continued_sgd_state
from ._training_data import (
    _check_two_classes,
    _check_warm_start,
    _drop_zero_weights,
    _encode_labels,
    _partial_fit_classes,
    _reusable_mean,
    _sample_weights,
    _stream_weights,
    _validate_training_data,
    _validation_split,
)
from ._training_solver import (
    _accuracy_scorer,
    _make_objective,
    _previous_weights,
    _run_solver,
)


def fit(estimator, X, y, sample_weight):
    """``estimator.fit`` on NumPy or SciPy data: train, store, return it."""
    solver = resolve_solver(estimator)
    warm = estimator.warm_start and _has_fitted_state(estimator)
    if warm:  # before validate_data replaces n_features_in_
        check_training_state(estimator)
    X, y, mean_row = _validate_training_data(estimator, X, y, reset=True)
    classes, y_index = np.unique(y, return_inverse=True)
    _check_two_classes(classes)
    if warm:
        _check_warm_start(estimator, classes, X.shape[1])
    weights = _sample_weights(estimator, X, y_index, classes, sample_weight)
    # Only their ratios matter to fit: relative to the largest, they
    # cannot overflow or underflow when summed.
    weight_unit = float(weights.max())
    weights = weights / weight_unit
    X_checked = X
    X, y_index, weights = _drop_zero_weights(X, y_index, weights)
    X_val = y_val = w_val = None
    if estimator.early_stopping and solver != "random_search":
        X, y_index, weights, X_val, y_val, w_val = _validation_split(
            estimator, X, y_index, weights
        )
    offset = _reusable_mean(mean_row, X is X_checked, weights)
    objective = _make_objective(
        estimator, X, y_index, weights, len(classes), offset=offset
    )
    solver = solver_for_data(estimator, solver, objective)
    # A warm start reuses the weights only: the step, momentum and
    # schedule start afresh from the current parameters, as in
    # scikit-learn's SGD and MLP estimators.
    if warm:
        W, b = _previous_weights(estimator, objective)
    else:
        W, b = objective.initial_weights(len(classes))
    validation_score = None
    if X_val is not None:
        validation_score = _accuracy_scorer(X_val, y_val, w_val, objective)
    task = _callback_task(estimator, "fit", X_checked, y, sample_weight, solver=solver)
    result = _run_solver(
        estimator,
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
    estimator._samples_seen = (len(weights), float(np.sum(weights)), weight_unit)
    estimator.classes_ = classes
    estimator.n_iter_ = result.n_iter
    estimator.loss_curve_ = result.loss_curve
    estimator.loss_curve_epochs_ = result.loss_curve_epochs
    estimator.validation_scores_ = (
        result.validation_scores if X_val is not None else None
    )
    estimator.best_validation_score_ = (
        result.best_validation_score if X_val is not None else None
    )
    _store_weights(estimator, objective, result)
    _store_certificate(estimator, objective, result, solver)
    task.end()
    _warn_if_not_converged(estimator, result)
    return estimator


def partial_fit(estimator, X, y, classes, sample_weight):
    """``estimator.partial_fit``: one epoch on this chunk, from the model so far."""
    # Any fitted attribute means a model to continue: one that lacks
    # others is damaged, and must not silently start afresh.
    first_call = not _has_fitted_state(estimator)
    _check_partial_fit_call(estimator, classes, first_call)
    X, y, mean_row = _validate_training_data(estimator, X, y, reset=first_call)
    all_classes = _partial_fit_classes(estimator, classes, first_call)
    y_index = _encode_labels(y, all_classes)
    weights = _sample_weights(
        estimator, X, y_index, all_classes, sample_weight, check_classes=False
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
        return estimator  # skipped, as documented
    # Later chunks keep the first chunk's centering, so that the intercepts
    # and momentum carried in the optimizer state keep their meaning.
    if first_call:
        offset = _reusable_mean(mean_row, X is X_checked, weights)
    else:
        offset = estimator._sgd_state["offset"]
    # Weights are normalized by their mean over every sample seen so far,
    # not over this chunk, so they keep their meaning across calls.
    weights, samples_seen = _stream_weights(
        # (A model saved by an older sklinear has no totals yet.)
        weights,
        previous=None if first_call else getattr(estimator, "_samples_seen", None),
    )
    count, total, _ = samples_seen
    objective = _make_objective(
        estimator, X, y_index, weights, len(all_classes), offset=offset,
        weight_scale=count / total,
    )  # fmt: skip
    if first_call:
        W, b = objective.initial_weights(len(all_classes))
        state = None
    else:
        W, b = _previous_weights(estimator, objective)
        state = continued_sgd_state(estimator._sgd_state, objective.dtype)
    task = _callback_task(estimator, "partial_fit", X_checked, y, sample_weight, 1)
    result = _run_solver(
        estimator,
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
    estimator._samples_seen = samples_seen
    _store_epoch(estimator, objective, result, all_classes)
    task.end()
    return estimator


def _check_partial_fit_call(estimator, classes, first_call):
    """What partial_fit needs before it reads the chunk (raises ValueError)."""
    if not first_call:  # before validate_data reads n_features_in_
        check_training_state(estimator)
    if first_call and classes is None:
        raise ValueError(
            "classes must be passed on the first call to partial_fit: the "
            "full list of class labels, e.g. classes=np.unique(y_all)."
        )
    if estimator.class_weight == "balanced":
        raise ValueError(
            "class_weight='balanced' is not supported by partial_fit, which "
            "sees only one chunk. Pass the dict from sklearn.utils."
            "compute_class_weight('balanced', classes=classes, y=y_sample)."
        )


def _store_epoch(estimator, objective, result, classes):
    """The fitted attributes after one more partial_fit epoch."""
    estimator.classes_ = classes
    estimator.n_iter_ = getattr(estimator, "n_iter_", 0) + 1
    estimator.loss_curve_ = getattr(estimator, "loss_curve_", []) + result.loss_curve
    estimator.loss_curve_epochs_ = None  # now SGD steps: one entry per step
    estimator.validation_scores_ = None
    estimator.best_validation_score_ = None
    _store_weights(estimator, objective, result)


def _callback_task(estimator, name, X, y, sample_weight, epochs=None, solver=None):
    """The callbacks' task of this call: one subtask per epoch (or trial)."""
    trials = (solver or estimator.solver) == "random_search"  # even per chunk
    return FitTask(
        estimator,
        X,
        y,
        sample_weight,
        task_name=name,
        n_epochs=estimator.max_iter if trials or epochs is None else epochs,
        epoch_name="trial" if trials else "epoch",
    )


def _store_weights(estimator, objective, result):
    W = result.W
    estimator._weights = (W, objective.intercept(W, result.b))
    estimator._sgd_state = dataclasses.asdict(result.state)
    if estimator.average and result.state.average_W is not None:
        W = result.state.average_W
        b = objective.intercept(W, result.state.average_b)
    else:
        W, b = estimator._weights
    estimator.coef_, estimator.intercept_ = _coef_and_intercept(W, b)
    estimator.t_ = int(result.state.t)
    estimator.learning_rate_ = float(result.state.eta0)


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


def _store_certificate(estimator, objective, result, solver):
    """``solver_``, ``objective_`` and ``duality_gap_`` of a fit."""
    estimator.solver_ = solver
    certificate = getattr(result, "certificate", None)
    if certificate is None:  # the lecture's solvers: measured after the fit
        certificate = certify(objective, result.W, result.b)
    estimator.objective_ = certificate.objective
    estimator.duality_gap_ = certificate.relative_gap


def _warn_if_not_converged(estimator, result):
    # A stop asked by a callback (interrupted) is not running out of epochs.
    if estimator.solver_ == "random_search" or estimator.tol is None:
        return
    if result.interrupted:
        return
    fallback = sgd_fallback(estimator)
    if fallback is not None and not estimator.duality_gap_ <= estimator.tol:
        # SGD's own rule stopped it (converged or not): the gap tells how far.
        why, instead = fallback
        warnings.warn(
            f"solver='auto' ran 'sgd': {why}. SGD stopped at a relative duality "
            f"gap of {estimator.duality_gap_:.3g} (tol={estimator.tol}): the "
            f"training objective {estimator.objective_:.6g} is above its minimum "
            f"by at most {100 * estimator.duality_gap_:.3g}% of its value. For a "
            f"fit within tol, {instead}.",
            ConvergenceWarning,
            stacklevel=5,
        )
        return
    if result.converged:
        return
    if estimator.solver_ in CERTIFIED_SOLVERS:
        warnings.warn(
            f"solver={estimator.solver_!r} ran max_iter={estimator.max_iter} epochs "
            f"and stopped at a relative duality gap of "
            f"{estimator.duality_gap_:.3g} (tol={estimator.tol}): the training "
            f"objective {estimator.objective_:.6g} is above its minimum by at most "
            f"{100 * estimator.duality_gap_:.3g}% of its value. Increase max_iter "
            f"to get closer.",
            ConvergenceWarning,
            stacklevel=5,
        )
        return
    warnings.warn(
        f"Maximum number of iterations (max_iter={estimator.max_iter}) reached "
        f"before the stopping criterion (tol={estimator.tol}, n_iter_no_change="
        f"{estimator.n_iter_no_change}) was met. Consider increasing max_iter.",
        ConvergenceWarning,
        stacklevel=5,  # the caller of fit (past this module and _fit_context)
    )
