"""The SAGA loop of :func:`~._driver.solve`: snapshots, steps and the homotopy.

Snapshots are spaced by the rate at which the gap fell so far, so a fit
checks a few times near its end and seldom before. The step is ``1 / L(m)``
from the local curvature of the loss (:meth:`score_curvature` of the loss
object) at the snapshot, capped by the global bound.

The hinge loss is not smooth: it is replaced by its Moreau smoothing with a
parameter ``mu`` that decreases geometrically whenever the smoothed problem
is solved to a fraction of the smoothing's own error (a homotopy). The gap is
always that of the true objective; the smoothed gradient is a dual point of
the hinge, so the gap closes as ``mu`` shrinks.
"""

from dataclasses import replace

import numpy as np

from ._curvature import local_curvature, sample_rows
from ._newton import newton_polish
from ._progress import (
    SolverResult,
    clock,
    finish,
    met,
    next_check,
    record_check,
    run_chained,
    run_epochs,
)
from ._saga import single_sample_rows, single_sample_smoothness
from ._snapshot import move_intercept

__all__ = ["solve_saga"]

# The homotopy divides mu by this when the smoothed problem is solved to
# _STAGE_ACCURACY of the smoothing error.
_MU_DIVISOR = 4.0
_STAGE_ACCURACY = 0.5
# Local steps are at most _MAX_LOCAL_GAIN times the global one (1 / L_b): on
# 40,000 x 3,072 float32 data, steps up to 100 times larger made the
# objective bounce at epochs 32-42; on 8,000 x 1,000 float32 (10 classes,
# alpha 5e-3) a cap of 2 still let it rise within the accepted slack and
# stall at a relative gap ~1e-1 for 200 epochs, a cap of 1 fell at every
# snapshot to 1e-3 in 21 epochs (iris, wine, digits: 1.4-1.8x the epochs of
# a cap of 2). Steps also grow at most _MAX_STEP_GROWTH from one snapshot to
# the next.
_MAX_LOCAL_GAIN = 1.0
_MAX_STEP_GROWTH = 2.0
# Epochs between checks at least (see solve_saga).
_EPOCHS_PER_CHECK = 3


# A check whose objective rose by more than this fraction above the best
# snapshot's (or its gap, if smaller) sends SAGA back there with half the
# step (see _improved).
_MAX_RISE = 0.1


def _smoothness(objective, curvature, n_batches, preconditioner, rows=None):
    """The expected smoothness ``L(m)`` for per-row loss curvatures (``rows``
    from :func:`~._saga.single_sample_rows` for single-sample steps)."""
    if n_batches >= objective.n_samples:  # single samples (see _saga)
        return single_sample_smoothness(objective, curvature, preconditioner, rows)
    rows, X_sample, weights = sample_rows(objective)
    top, per_row = local_curvature(
        X_sample, weights * curvature[rows], objective.offset, preconditioner
    )
    n = objective.n_samples
    m = n / n_batches
    if n == 1:
        return per_row
    return (n * (m - 1) * top + (n - m) * per_row) / (m * (n - 1))


def _step_size(
    objective, gradient, mu, n_batches, preconditioner, step_factor, rows=None
):
    """``step_factor / L(m)`` from the curvature at the snapshot's gradients,
    at most ``_MAX_LOCAL_GAIN`` times the global step ``step_factor / L_b``:
    the curvature at the snapshot says little about the iterates an epoch
    later (and none left, e.g. every hinge margin outside the band, is no
    licence for an unbounded step)."""
    y, loss = objective.y, objective.loss_function
    local = _smoothness(
        objective, loss.score_curvature(gradient, y, mu), n_batches,
        preconditioner, rows,
    )  # fmt: skip
    worst = loss.curvature_bound(objective.n_classes, mu)
    global_ = _smoothness(
        objective, np.full(len(y), worst), n_batches, preconditioner, rows
    )
    l2 = getattr(objective.penalty, "l2_strength", 0.0)
    l2 *= 1.0 if preconditioner is None else float(np.max(preconditioner))
    return step_factor / max(local + l2, (global_ + l2) / _MAX_LOCAL_GAIN)


def solve_saga(
    objective, W, b, saga, n_batches, tol, max_epochs, preconditioner,
    step_factor, mu, rng, gap, verbose, hooks, settle=None, polish_tol=None,
):  # fmt: skip
    """Proximal SAGA epochs between snapshots until the gap is at most ``tol``.

    Each snapshot certifies the gap, moves the intercept to its best value
    for ``W`` and refills the SAGA memory; an objective that rose past the
    best snapshot's gap sends the iterate back there with half the step. For
    the hinge, ``mu`` (the smoothing) falls by ``_MU_DIVISOR`` whenever the
    smoothed problem is solved to ``_STAGE_ACCURACY`` of the smoothing's
    error. With ``polish_tol`` (None: none; the caller checks that
    Newton's method applies), Newton's steps come first, from the start,
    towards ``polish_tol``; SAGA runs only if they stop short of ``tol``,
    and Newton's steps polish its point once ``tol`` is met.
    Arguments as in :func:`~._driver.solve`; ``saga`` from
    :func:`~._saga.make_saga`, ``rng`` a RandomState.

    Returns
    -------
    result : SolverResult
    """
    hinge = not objective.loss_function.smooth
    mu = (objective.margin if mu is None else mu) if hinge else 0.0
    started = clock()
    result = SolverResult(W=W, b=b)
    # What the step size reads of the rows does not change during the solve.
    rows = None
    if n_batches >= objective.n_samples:
        rows = saga.rows  # the compiled sweep's, if it runs
        if rows is None:
            rows = single_sample_rows(objective, preconditioner)
    if polish_tol is not None:
        # Newton's method from the start: on a problem this small its steps
        # cost less than SAGA's certificates, and alone they usually reach
        # polish_tol (iris: 7 steps and one certificate, where SAGA took 5
        # epochs and 6 certificates to 1e-3 before Newton's polish). SAGA
        # takes over from their point where they stop short of tol.
        snapshot = newton_polish(
            objective, W, b, gap, polish_tol, result, max_epochs=max_epochs,
            hooks=hooks, started=started, verbose=verbose,
        )  # fmt: skip
        if (
            met(result, snapshot.relative, tol, settle)
            or result.n_epochs >= max_epochs
            or result.interrupted
        ):
            return finish(result, snapshot, tol)
    best = None
    # A check reads X for the scores and for the sum that serves both the
    # certificate and SAGA's memory (in float64 for float32 X, twice the
    # cost of a float32 pass), and does more per row than an epoch: at
    # least 3 epochs between checks. On 40,000 x 3,072 float32 rows (when
    # the memory's sum was a third pass), checks after 1, 1, 2 and 4 epochs
    # made 7 checks in 19 epochs; after 3, 3, 6 and 6, 5 in 18 (a sixth
    # less time); digits took the same time.
    epochs_to_next = _EPOCHS_PER_CHECK
    eta = np.inf
    while True:
        snapshot = gap(W, b, mu=mu if hinge else None, tol=tol)
        if best is not None and not _improved(snapshot, best):
            # The step was too large: back to the best point, half the step,
            # and a check there (the best snapshot keeps no gradients).
            W[...], b[...] = best[0]
            step_factor *= 0.5
            eta *= 0.5
            snapshot = gap(W, b, mu=mu if hinge else None, tol=tol)
            result.n_snapshots += 1
            move_intercept(objective, W, b, snapshot.intercept_scores)
            epochs_to_next = 1
        else:
            move_intercept(objective, W, b, snapshot.intercept_scores)
            if best is None or snapshot.relative <= best[1].relative:
                best = _kept(best, W, b, snapshot)
        detail = f", mu {mu:.3g}, step factor {step_factor:.3g}"
        record_check(result, snapshot, mu, started, verbose, detail)
        if met(result, snapshot.relative, tol, settle) or result.n_epochs >= max_epochs:
            break
        if hinge and snapshot.smoothed_gap <= _STAGE_ACCURACY * snapshot.smoothing:
            mu /= _MU_DIVISOR
            snapshot = gap(W, b, mu=mu, tol=tol)  # the memory of the new smoothing
            result.n_snapshots += 1
            best = _kept(best, W, b, snapshot)
            epochs_to_next = 1
        # The local curvature can drop faster than the iterates settle: let
        # the step at most double from one snapshot to the next.
        eta = min(
            _step_size(
                objective,
                snapshot.gradient,
                mu,
                n_batches,
                preconditioner,
                step_factor,
                rows,
            ),  # fmt: skip
            _MAX_STEP_GROWTH * eta,
        )
        epochs_to_next = _until_check(epochs_to_next, result.n_epochs, max_epochs)
        # SAGA's memory takes over the snapshot's n x C gradients and sum.
        saga.reset(snapshot.gradient, snapshot.weighted_sum)
        snapshot.gradient = snapshot.weighted_sum = None
        if saga.chains_epochs and hooks.idle:
            # Weights that stop being finite end run_epochs at that epoch;
            # a chain counts all of its epochs.
            run_chained(
                result, epochs_to_next, max_epochs, n_batches, rng,
                lambda orders, eta=eta, mu=mu: saga.epoch(
                    W, b, eta, np.concatenate(orders), mu
                ),
            )  # fmt: skip
        else:
            run_epochs(
                result, hooks, epochs_to_next, max_epochs, n_batches, rng,
                lambda order, eta=eta, mu=mu: saga.epoch(W, b, eta, order, mu),
            )  # fmt: skip
        if result.interrupted:
            snapshot = gap(W, b, mu=mu if hinge else None, tol=tol)
            move_intercept(objective, W, b, snapshot.intercept_scores)
            break
        epochs_to_next = max(
            next_check(result.history, tol, epochs_to_next), _EPOCHS_PER_CHECK
        )
    if best[1].relative < snapshot.relative:  # out of epochs on a noisy step
        W[...], b[...] = best[0]
        snapshot = best[1]
    if (
        polish_tol is not None
        and tol >= snapshot.relative > polish_tol
        and not result.interrupted
    ):
        snapshot = newton_polish(
            objective, W, b, gap, polish_tol, result, max_epochs=max_epochs,
            hooks=hooks, started=started, verbose=verbose,
        )  # fmt: skip
    return finish(result, snapshot, tol)


def _until_check(planned, done, max_epochs):
    """Epochs before the next check: ``planned``, or every epoch the budget
    has left where fewer than ``_EPOCHS_PER_CHECK`` would follow the check.
    Such a check could save only those few epochs (if it met tol), and costs
    about one: at 80,000 x 100,000 CSR rows and 20 classes, 0.68 s against
    1.0 s an epoch (a pass for the scores, one for the sum)."""
    left = max_epochs - done
    return left if left - planned < _EPOCHS_PER_CHECK else planned


def _kept(best, W, b, snapshot):
    """The best point so far, ``((W, b), snapshot)``: copies of ``W`` and
    ``b`` (into the last best's arrays), and the snapshot's numbers without
    its n x C gradients and sum, which SAGA's memory takes over (at 80,000 x
    100,000 CSR rows and 20 classes, 29 MB held through the fit, and the
    copies at each reset)."""
    kept = replace(snapshot, gradient=None, weighted_sum=None)
    if best is None:
        return (W.copy(), b.copy()), kept
    (best_W, best_b), _ = best
    best_W[...], best_b[...] = W, b
    return (best_W, best_b), kept


def _improved(snapshot, best):
    """Whether the (smoothed) objective stayed below the best snapshot's plus
    that snapshot's gap, at most _MAX_RISE of it: within the gap, SAGA's
    noise near the optimum is no sign of a step too large; far from it (the
    first check, at W = 0, had a relative gap of 166 on wine) a gap would
    let the objective double and more."""
    value, reference = snapshot.smoothed_primal, best[1].smoothed_primal
    if not np.isfinite(value):
        return False
    slack = min(max(best[1].smoothed_gap, 0.0), _MAX_RISE * abs(reference))
    slack += 1e-9 * abs(reference) + 1e-12
    return value <= reference + slack
