"""The epochs of minibatch SGD, and the rule that decides when to stop.

The parts of :func:`sklinear.optimize.minibatch_sgd`: its ``max_norm``
shorthand, the strided batches, one pass over them (step, momentum, proximal
step, averaging), the divergence check, the record of an epoch, and the
plateau rule that lowers the step or stops.
Private: the public optimizers live in :mod:`sklinear.optimize`.
"""

import copy
import time

import numpy as np

from .penalties import MaxNorm

# 'adaptive' divides the step by this factor on a plateau; it stops when a
# plateau follows a lowering with no improvement in between (the plateau was
# convergence, not noise), or once the step is below this fraction of eta0.
_ADAPTIVE_DIVISOR = 5.0
_ADAPTIVE_MIN_RATIO = 1e-4
# An objective this many times above where training started is divergence.
_DIVERGENCE_FACTOR = 1e4


def _raise_if_diverged(value, reference, W, state, epoch):
    """Stop with a clear error before weights turn into inf or NaN."""
    if (
        np.isfinite(value)
        and value <= _DIVERGENCE_FACTOR * max(reference, 1.0)
        and np.isfinite(W).all()
    ):
        return
    raise ValueError(
        f"Gradient descent diverged in epoch {epoch + 1}: the objective went from "
        f"{reference:.4g} to {value:.4g} with step size {state.eta:.4g} "
        f"(learning_rate_init={state.eta0:.4g}). Use a smaller "
        "learning_rate_init (the classifiers' learning_rate_init='auto' "
        "derives a safe one from the data)."
    )


def _step_size(schedule, state, power_t):
    if schedule == "invscaling":
        return state.eta0 / (1.0 + state.epochs) ** power_t
    return state.eta


def _batches(n_samples, batch_size):
    """Strided slices ``k::n_batches`` that cover every row exactly once."""
    n_batches = max(1, -(-n_samples // batch_size))
    return [slice(k, None, n_batches) for k in range(n_batches)]


def _bounded(objective, max_norm):
    """``objective``, or a shallow copy with its penalty in ``MaxNorm``."""
    if max_norm is None:
        return objective
    penalty = objective.penalty
    if getattr(penalty, "max_norm", None) is not None:
        if penalty.max_norm != max_norm:
            raise ValueError(
                f"max_norm={max_norm!r} was passed, but the objective's penalty "
                f"{penalty!r} already has max_norm={penalty.max_norm!r}. Pass "
                "one of them only."
            )
        return objective
    bounded = copy.copy(objective)
    bounded.penalty = MaxNorm(penalty, max_norm)
    return bounded


def _into_domain(penalty, W):
    """Project ``W`` in place where a bounded penalty is finite (no-op else).

    A proximal step of size 0 is the projection onto the penalty's domain:
    each class row into the max-norm ball (weights from a warm start under
    a larger bound, or a random draw), where the objective is finite.
    """
    if getattr(penalty, "max_norm", None) is not None:
        W[...] = penalty.prox(W, 0.0)


def _epoch_settings(learning_rate, power_t, momentum):
    """What every step of :func:`_run_epoch` reads: the schedule and
    momentum."""
    return {"learning_rate": learning_rate, "power_t": power_t, "momentum": momentum}


def _run_epoch(objective, W, b, state, batches, settings, epoch, start_value):
    """One pass over ``batches``, updating W, b and state in place.

    ``start_value`` is the objective where training started (None in the
    first epoch): divergence is judged against it too.

    Returns the objective of every batch and their size-weighted mean.
    """
    penalty = objective.penalty
    momentum = W.dtype.type(settings["momentum"])
    n_samples = objective.n_samples
    values = np.empty(len(batches))
    sizes = np.array([len(range(*rows.indices(n_samples))) for rows in batches])
    reference = None
    for position, rows in enumerate(batches):
        eta = _step_size(settings["learning_rate"], state, settings["power_t"])
        loss, grad_W, grad_b = objective.loss_gradient(W, b, rows)
        values[position] = loss + penalty.value(W)
        if reference is None:
            # The lower of where this epoch and where training started: with
            # one batch per epoch ('gd') the epoch's own start would follow a
            # divergence up and never see it.
            reference = values[0] if start_value is None else start_value
            reference = min(values[0], reference)
        if not np.isfinite(values[position]) or values[position] > reference:
            _raise_if_diverged(values[position], reference, W, state, epoch)
        if penalty.smooth:
            grad_W += penalty.gradient(W)
        if state.preconditioner is not None:
            grad_W *= state.preconditioner
        # Heavy-ball momentum: v <- mu v - eta g, then w <- w + v.
        state.velocity_W *= momentum
        state.velocity_W -= W.dtype.type(eta) * grad_W
        W += state.velocity_W
        if objective.fit_intercept:
            state.velocity_b *= momentum
            state.velocity_b -= W.dtype.type(eta) * grad_b
            b += state.velocity_b
        if not penalty.smooth:
            # v is -eta / (1 - mu) times an average of recent gradients (their
            # exponential moving average), so w + v is a gradient step of
            # size eta / (1 - mu): the prox must use that step, or the fixed
            # point solves the problem with the L1 strength scaled by
            # (1 - mu). A weight then stays at zero while the averaged
            # gradient, less noisy than one batch's, is below alpha. With
            # a preconditioner the prox is in the metric of the per-feature
            # steps (a max-norm bound's projection too), or the fixed point
            # is not the minimizer.
            step = eta / (1.0 - settings["momentum"])
            if state.preconditioner is not None:
                step = step * state.preconditioner
            W[...] = penalty.prox(W, step)
        state.t += 1
        if state.average_W is not None:
            # Averaged SGD: the mean of the iterates is far less noisy than
            # the last one, which matters for the non-smooth hinge loss.
            state.n_averaged += 1
            fraction = W.dtype.type(1.0 / state.n_averaged)
            state.average_W += fraction * (W - state.average_W)
            state.average_b += fraction * (b - state.average_b)
        state.epochs += sizes[position] / n_samples
    epoch_value = float(values @ sizes / sizes.sum())
    _raise_if_diverged(epoch_value, reference, W, state, epoch)
    return values, epoch_value


class _PlateauRule:
    """The stopping rule: patience on a criterion to maximize.

    After ``patience`` epochs without beating the best criterion by ``tol`` it
    says ``'stop'``, or with the adaptive schedule ``'lower'`` (the step),
    unless the previous lowering was not followed by any improvement: then the
    plateau is convergence rather than noise, and it says ``'stop'``.
    """

    def __init__(self, tol, patience, adaptive):
        self.tol = tol
        self.patience = patience
        self.adaptive = adaptive
        self.best = -np.inf
        self._epochs_without_improvement = 0
        self._lowered_without_improvement = False

    def decide(self, criterion, state):
        improved = criterion > self.best + self.tol
        self.best = max(self.best, criterion)
        if improved:
            self._epochs_without_improvement = 0
            self._lowered_without_improvement = False
            return "continue"
        self._epochs_without_improvement += 1
        if self._epochs_without_improvement < self.patience:
            return "continue"
        self._epochs_without_improvement = 0
        can_lower = state.eta / _ADAPTIVE_DIVISOR >= _ADAPTIVE_MIN_RATIO * state.eta0
        if self.adaptive and can_lower and not self._lowered_without_improvement:
            self._lowered_without_improvement = True
            return "lower"
        return "stop"


def _record_epoch(result, values, epoch_value, model, validation_score):
    """Log an epoch in ``result``; return its criterion (higher is better):
    the validation score of ``model``, else minus the epoch's objective."""
    result.loss_curve.extend(values.tolist())
    result.epoch_objectives.append(epoch_value)
    result.n_iter += 1
    if validation_score is None:
        return -epoch_value
    criterion = float(validation_score(*model))
    result.validation_scores.append(criterion)
    return criterion


def _print_epoch(result, criterion, validation_score, state, started):
    extra = f", validation score {criterion:.4f}" if validation_score else ""
    print(
        f"-- Epoch {result.n_iter}: objective {result.epoch_objectives[-1]:.6f}"
        f"{extra}, "
        f"step size {state.eta:.4g}, "
        f"{time.perf_counter() - started:.2f} s"
    )


def _follow(decision, state, result, verbose):
    """Act on the stopping rule's decision; True to stop training."""
    if decision == "lower":
        state.eta /= _ADAPTIVE_DIVISOR
        if verbose:
            print(f"Step size lowered to {state.eta:.4g}")
    if decision == "stop":
        result.converged = True
        return True
    return False


def _restore(weights, W, b, averaged_state=None):
    """Put the best weights back in place (into the average, too, if given)."""
    W[...], b[...] = weights
    if averaged_state is not None:
        averaged_state.average_W[...], averaged_state.average_b[...] = weights
