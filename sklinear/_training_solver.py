"""The objective a classifier minimizes, and the solver that minimizes it.

Private, for :mod:`sklinear._training`: the :class:`~sklinear.objective.
LinearObjective` of the estimator's loss and penalty, the weights it starts
from, the step size and preconditioner of SGD (derived from the data), and
the call of the chosen solver: a certified one (:mod:`sklinear._certified`),
random search, or minibatch or full-batch gradient descent
(:mod:`sklinear.optimize`).
"""

import numpy as np
from sklearn.utils import check_random_state

from ._certified import CERTIFIED_SOLVERS, certified_fit
from .objective import LinearObjective
from .optimize import SGDState, minibatch_sgd, random_search

# batch_size='auto': about this many steps per epoch, within this range of
# batch sizes (small data gets enough steps, large data efficient products).
_AUTO_BATCHES_PER_EPOCH = 30
_AUTO_BATCH_SIZE_RANGE = (32, 2048)


def _make_objective(
    estimator, X, y_index, weights, n_classes, offset=None, weight_scale=None
):
    return LinearObjective(
        X,
        y_index,
        loss=estimator._loss,
        penalty=estimator._penalty(),
        sample_weight=weights,
        fit_intercept=estimator.fit_intercept,
        margin=getattr(estimator, "margin", 1.0),
        center=True,
        offset=offset,
        weight_scale=weight_scale,
        n_classes=n_classes,
    )


def _previous_weights(estimator, objective):
    """The last fit's weights, as parameters of ``objective``."""
    W, intercept = (w.astype(objective.dtype, copy=True) for w in estimator._weights)
    return W, objective.parameters_from_intercept(W, intercept)


def _accuracy_scorer(X_val, y_val, w_val, objective):
    def validation_accuracy(W, b):
        scores = np.asarray(X_val @ W.T) + objective.intercept(W, b)
        correct = np.argmax(scores, axis=1) == y_val
        return float(np.average(correct, weights=w_val))

    return validation_accuracy


def _run_solver(
    estimator,
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
        solver = "random_search" if estimator.solver == "random_search" else "sgd"
    if state is None:
        # Random search and the certified solvers too: a model they made
        # may continue with SGD (partial_fit).
        state = _new_sgd_state(estimator, objective, epochs)
    state.offset = objective.offset
    if solver in CERTIFIED_SOLVERS:
        return certified_fit(estimator, objective, W, b, solver, state, hooks)
    rng = check_random_state(estimator.random_state)
    if solver == "random_search":
        scale = 1.0 / np.sqrt(max(objective.second_moment(), 1e-12))
        result = random_search(
            objective,
            W.shape[0],
            n_trials=estimator.max_iter,
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
        else _batch_size(estimator, objective),
        max_iter=estimator.max_iter if epochs is None else epochs,
        learning_rate=estimator.learning_rate,
        power_t=estimator.power_t,
        momentum=estimator.momentum,
        tol=0.0 if estimator.tol is None else estimator.tol,
        n_iter_no_change=estimator.n_iter_no_change,
        shuffle=estimator.shuffle and not full_batch,
        random_state=rng,
        validation_score=validation_score,
        state=state,
        stop_early=epochs is None and estimator.tol is not None,
        average=estimator.average,
        verbose=estimator.verbose,
        **hooks,
    )


def _new_sgd_state(estimator, objective, epochs):
    """The step size and preconditioner derived from the data."""
    # A stream's first chunk may miss the spread of some features, so
    # partial_fit only lets the preconditioner shrink steps (floor=1).
    with np.errstate(over="ignore", invalid="ignore"):
        preconditioner = objective.feature_preconditioner(
            floor=1e-2 if epochs is None else 1.0
        )
        eta0 = _initial_step(estimator, objective, preconditioner)
    _check_trainable_scale(preconditioner, eta0, objective.dtype)
    return SGDState(eta0=eta0, preconditioner=preconditioner)


def _batch_size(estimator, objective):
    if estimator.batch_size != "auto":
        return estimator.batch_size
    target = objective.n_samples // _AUTO_BATCHES_PER_EPOCH
    return int(np.clip(target, *_AUTO_BATCH_SIZE_RANGE))


def _initial_step(estimator, objective, preconditioner):
    if estimator.learning_rate_init != "auto":
        return float(estimator.learning_rate_init)
    # Momentum multiplies the step by up to 1 / (1 - momentum): scale it
    # down so the effective step is 1 / (2 L), with L the curvature. The
    # usual stochastic bound: 1 / L is stable for the full gradient, but
    # minibatch noise then sets a high floor (half of it lowers the floor
    # and is more accurate after a few epochs).
    curvature = objective.curvature(preconditioner)
    return (1.0 - estimator.momentum) / (2.0 * max(curvature, 1e-12))


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
