"""The dual-ascent loop of :func:`~._driver.solve` (``'sdca'``, hinge with L2).

Checks are spaced by the rate at which the gap fell so far, and at least by
:func:`_balanced_epochs`, so that checks never cost more than the epochs.
"""

import functools
import math

import numpy as np

from .._duality import penalty_strengths
from .._duality._domains import _theta_from_beta
from . import _progress as progress
from ._dual_cd import HingeDualAscent
from ._hinge_ipm import hinge_interior_point, interior_point_applies
from ._hinge_polish import KKTSystems, active_set_point, partition_of
from ._newton import NewtonProblem, epoch_steps
from ._snapshot import _transposed_product, move_intercept

__all__ = ["solve_hinge_dual"]

# The exact point of the dual's partition is tried at checks whose gap is at
# most this: before, the partition is still far from the optimum's.
_POLISH_FROM = 1e-1


def solve_hinge_dual(
    objective, W, b, batches, tol, max_epochs, random_state, gap, verbose, hooks,
    settle=None, polish_tol=None,
):  # fmt: skip
    """The hinge loss with an L2 part: minibatch dual coordinate ascent.

    Starts from the dual point 0 (``W = 0``), keeping only the intercept.
    Returns the checked point of smallest gap (its primal point does not
    improve at every check).
    With ``polish_tol`` (the caller checks that the polish applies), an
    interior-point method solves small problems first
    (:mod:`._hinge_ipm`, where :func:`~._hinge_ipm.interior_point_applies`;
    each iteration an epoch), and the dual ascent runs only if its
    certificate is above both ``polish_tol`` and ``tol``; then checks whose
    gap is at most ``_POLISH_FROM`` also try the exact point of the dual
    variables' partition (:mod:`._hinge_polish`), and the solve ends there
    if it certifies a gap of at most ``polish_tol``.
    """
    started = progress.clock()
    result = progress.SolverResult(W=W, b=b, method="sdca")
    polisher = _Polisher(objective, gap)
    if polish_tol is not None and interior_point_applies(objective):
        snapshot = _interior_point(
            objective, W, b, gap, result, hooks, max_epochs, polisher, polish_tol
        )
        progress.record_check(result, snapshot, 0.0, started, verbose, ", exact")
        if (
            snapshot.relative <= polish_tol
            or progress.met(result, snapshot.relative, tol, settle)
            or result.n_epochs >= max_epochs
            or result.interrupted
        ):
            return progress.finish(result, snapshot, tol)
    rng = progress.random_state(random_state)
    # Without an intercept the dual has no equality constraint: no multiplier.
    ascent = HingeDualAscent(
        objective, batches, penalty_strengths(objective.penalty),
        b if objective.fit_intercept else np.zeros_like(b),
        rho_factor=1e-2 if objective.fit_intercept else 0.0,
    )  # fmt: skip
    W[...] = ascent.weights(W.dtype)
    epochs_to_next = 1
    balanced = _balanced_epochs(objective.X, W.shape[0])
    best = None
    while True:
        gradient = ascent.gradient()
        weighted_sum = _transposed_product(objective.X, gradient * gap.factors[:, None])
        ascent.refresh(weighted_sum, gradient)
        W[...] = ascent.weights(W.dtype)
        b[...] = ascent.intercept()
        # theta: minus beta
        snapshot = gap.certify(W, b, -gradient, polish=False, weighted_sum=weighted_sum)
        if polish_tol is not None and snapshot.relative <= _POLISH_FROM:
            polished = polisher.attempt(W, b, ascent.a)
            if polished is not None and polished[0].relative <= polish_tol:
                snapshot, W[...], b[...] = polished
                progress.record_check(
                    result, snapshot, 0.0, started, verbose, ", exact"
                )
                break
        progress.record_check(result, snapshot, 0.0, started, verbose)
        # The starting point (dual 0, W = 0) is never kept for its gap: a
        # few epochs in, the ascent's primal point can still be worse.
        if result.n_epochs and (best is None or snapshot.relative < best[2].relative):
            best = (W.copy(), b.copy(), snapshot)
        best_gap = snapshot.relative if best is None else best[2].relative
        if (
            progress.met(result, best_gap, tol, settle)
            or result.n_epochs >= max_epochs
            or result.interrupted
        ):
            break
        if ascent.compiled and hooks.idle:
            progress.run_chained(
                result, epochs_to_next, max_epochs, ascent.n_steps, rng,
                functools.partial(_compiled_epochs, ascent, W),
            )  # fmt: skip
        else:  # orders of samples (the compiled sweep) or batches (NumPy)
            progress.run_epochs(
                result, hooks, epochs_to_next, max_epochs, ascent.n_steps, rng,
                functools.partial(_dual_epoch, ascent, W), b_now=ascent.intercept,
            )  # fmt: skip
        epochs_to_next = max(
            progress.next_check(result.history, tol, epochs_to_next), balanced
        )
    if best is not None and best[2].relative < snapshot.relative:
        # The ascent's primal point is not monotone: out of epochs (or
        # stopped by a callback) after a worse check, the best one is kept.
        W[...], b[...], snapshot = best
    return progress.finish(result, snapshot, tol)


def _interior_point(
    objective, W, b, gap, result, hooks, max_epochs, polisher, polish_tol
):  # fmt: skip
    """The interior-point method's point in ``W`` and ``b``, certified by
    its own dual variables; each iteration is an epoch between the hooks.

    Near the end the normal equations are ill-conditioned, and rounding in
    their solves can leave the certificate above ``polish_tol`` (wine, 75%
    of its rows: a relative gap of 2e-9 where the complementarity was
    1e-14). The exact point of the final dual variables' partition
    (:mod:`._hinge_polish`, a crossover) then certifies the optimum.
    """
    problem = NewtonProblem(objective, gap.y, gap.factors)
    on_step, may_step = epoch_steps(problem, W, b, result, hooks, max_epochs)
    z, beta, _ = hinge_interior_point(
        problem, objective.margin, problem.pack(W, b), on_step, may_step
    )
    problem.unpack(z, W, b)
    theta = _theta_from_beta(beta.copy(), objective.y)  # beta is tried below
    snapshot = gap.certify(W, b, theta, polish=False)
    if snapshot.relative > polish_tol:
        polished = polisher.attempt(W, b, beta)
        if polished is not None and polished[0].relative < snapshot.relative:
            snapshot, W[...], b[...] = polished
    return snapshot


class _Polisher:
    """Tries :func:`~._hinge_polish.active_set_point` once per partition of
    the dual variables (a partition that failed is not solved again)."""

    def __init__(self, objective, gap):
        self.objective, self.gap = objective, gap
        self.tried = self.systems = None

    def attempt(self, W, b, a):
        """``(snapshot, W, b)`` of the partition's point, certified, or
        None (``W`` and ``b`` give the dtypes)."""
        partition = partition_of(a).tobytes()
        if partition == self.tried:
            return None
        self.tried = partition
        if self.systems is None:  # built at the first attempt, kept
            self.systems = KKTSystems(self.objective, self.gap.factors)
        point = active_set_point(self.systems, a)
        if point is None:
            return None
        W_exact, shift, beta = point
        theta = _theta_from_beta(beta, self.objective.y)
        b_exact = np.array(b, dtype=np.float64)
        move_intercept(self.objective, W_exact, b_exact, shift)
        W_exact = W_exact.astype(W.dtype)
        snapshot = self.gap.certify(W_exact, b_exact, theta, polish=False)
        return snapshot, W_exact, b_exact


def _balanced_epochs(X, n_classes):
    """Epochs between checks for at least as much work in epochs as in checks.

    Where a check costs many epochs (small data, compiled epochs), checking
    after every few would take most of the time. Work is counted in
    multiply-adds, with fixed Python costs of a check and an epoch (about
    5 ms and 0.2 ms at ~1e9 per second) rather than timed, so that the path
    (and the model) does not depend on the machine's load.
    """
    stored = X.nnz if hasattr(X, "nnz") else X.size
    epoch_work = stored * n_classes + 2e5
    check_work = (3 * stored + 50 * X.shape[0]) * n_classes + 5e6
    return math.ceil(check_work / epoch_work)


def _compiled_epochs(ascent, W, orders):
    """The epochs of ``orders`` in one compiled call: the steps of as many
    calls of :func:`_dual_epoch`."""
    ascent.epochs(W, orders)
    ascent.update_multiplier()


def _dual_epoch(ascent, W, order):
    ascent.epoch(W, order)
    ascent.update_multiplier()
    return True
