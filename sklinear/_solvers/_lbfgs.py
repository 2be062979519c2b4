"""L-BFGS for the softmax with an L2 penalty alone.

A full-batch gradient of dense X is one product (BLAS or the fused pass),
and on a smooth objective a quasi-Newton method needs few of them; its
iterations also depend far less than SAGA's epochs on ``L / (n alpha)``,
the largest single-sample curvature over the strong convexity that the
penalty gives, per sample (digits, 1,437 training rows, ``alpha=1e-4``:
596 SAGA epochs, 60 L-BFGS iterations). On CSR X, SAGA's compiled sweep
with lazy updates does more per pass, and L-BFGS pays only where that ratio
is large. (See :func:`~._driver.prefer_lbfgs` for the measurements.)

L-BFGS (:mod:`._quasi_newton`: the inverse Hessian of the last
``pair_count(n)`` pairs by the compiled two-loop recursion, and a
backtracking
line search) runs on ``(W, b)`` directly. On digits an iteration cost
about 125 us beyond the compiled gradient with scipy's L-BFGS-B and about
85 with this in NumPy (14.6 against 13.8 ms to a 1e-3 gap, the same 37
iterations); the compiled recursion took 4-5% more off a solve. The
certificate (:class:`~._snapshot.Certificate`) decides
when to stop, checked when the gradient's norm says the gap may be within
``tol``, and at least every ``_MAX_ITERATIONS_BETWEEN_CHECKS`` iterations.
Where L-BFGS stops short of ``tol`` (no descent left that rounding does not
hide, as with float32 products), SAGA takes over from its point.
"""

import numpy as np

from .._full_batch import FullBatch
from ..penalties import L2
from ._curvature import single_sample_smoothness
from ._qn_run import QuasiNewtonRun
from ._quasi_newton import InverseHessian, first_step, line_search, pair_count

__all__ = ["l2_penalty_alone", "lbfgs_applies", "lbfgs_pays", "solve_lbfgs"]

# 'auto' runs L-BFGS from this ratio L / (n alpha) up (see lbfgs_pays).
_MIN_CONDITIONING = 10.0
# A check costs several iterations (digits: 1.4 ms against 0.3 ms), and
# the gap is not monotone along L-BFGS's iterates: a check is made when the
# gradient's norm says the gap may be within half of tol (see _cue), at
# least _MIN_ITERATIONS_BETWEEN_CHECKS after the last, and, as the cue is no
# bound, _MAX_ITERATIONS_BETWEEN_CHECKS after it whatever it says. With a
# check after every iteration on digits and dense20k (alpha 1e-4 to 1e-1,
# tol 1e-6), the gap was 0.2 to 4.1 times the cue and first within 1e-3 at
# most 2 iterations before the cue within half of it; the checks that
# spacing of 20 forced failed (digits at alpha 1e-3 and 5e-3: gaps 2e-2 and
# 1.6e-3 at 20 iterations, within 1e-3 when the cue said so at 37 and 25).
_MIN_ITERATIONS_BETWEEN_CHECKS = 3
_MAX_ITERATIONS_BETWEEN_CHECKS = 50
_HOPEFUL_FRACTION = 0.5


def lbfgs_applies(objective):
    """Whether :func:`solve_lbfgs` can take ``objective``: a smooth loss and
    an L2 penalty alone (no L1 part, no ``max_norm``).

    Parameters
    ----------
    objective : LinearObjective

    Returns
    -------
    applies : bool
    """
    return objective.loss_function.smooth and l2_penalty_alone(objective.penalty)


def l2_penalty_alone(penalty):
    """Whether ``penalty`` is an L2 penalty alone (no L1 part, no
    ``max_norm``) of positive strength: what L-BFGS's objective needs.

    Parameters
    ----------
    penalty : Penalty

    Returns
    -------
    alone : bool
    """
    return isinstance(penalty, L2) and penalty.max_norm is None and penalty.alpha > 0


def lbfgs_pays(objective, row_norms):
    """Whether L-BFGS should beat SAGA's compiled sparse sweep on
    ``objective`` (for 'auto' on CSR X): where ``L / (n alpha)``, with
    ``L`` SAGA's single-sample smoothness, is at least
    ``_MIN_CONDITIONING`` (SAGA's epochs grow with it: on digits, 22 at
    ``alpha=1e-2``, 100 at ``1e-3`` and 596 at ``1e-4``).

    Parameters
    ----------
    objective : LinearObjective
    row_norms : ndarray of shape (n_samples,)
        ``|x_i - offset|^2 + 1``, as :func:`~._curvature.row_norms` gives.

    Returns
    -------
    pays : bool
    """
    n = objective.n_samples
    if not lbfgs_applies(objective) or n == 0:
        return False
    curvature = objective.loss_function.curvature_bound(objective.n_classes, 0.0)
    smoothness = single_sample_smoothness(
        objective, np.full(n, curvature), norms=row_norms
    )
    return smoothness / (n * objective.penalty.alpha) >= _MIN_CONDITIONING


def solve_lbfgs(objective, W, b, tol, max_epochs, gap, verbose, hooks, settle=None):
    """L-BFGS iterations on ``(W, b)`` until the certified gap is at most
    ``tol`` (each iteration counts as an epoch; its line search may read X
    more than once).

    Arguments as in :func:`~._driver.solve`; ``gap`` a
    :class:`~._snapshot.Certificate`, ``hooks`` the driver's epoch hooks.

    Returns
    -------
    result : SolverResult
        With ``method='lbfgs'``; ``snapshot`` (the last check) as a second
        value, for the driver to go on from.
    """
    value_gradient = FullBatch(objective, W.shape[0])
    run = QuasiNewtonRun(
        objective, W, b, value_gradient.split, gap, tol, max_epochs, settle,
        verbose, hooks, "L-BFGS",
    )  # fmt: skip
    if run.done_at_start():
        return run.result, run.snapshot
    x = np.concatenate([W.ravel(), b]).astype(np.float64)
    value, gradient = value_gradient(x)
    memory = InverseHessian(x.size, pair_count(x.size))
    step = first_step(gradient)
    since_check = 0
    run.begin()
    while np.isfinite(value):
        accepted = line_search(
            value_gradient, x, value, gradient, memory.direction(gradient), step
        )
        if accepted is None and memory.n_pairs:  # once more, downhill
            memory.reset()
            continue
        if accepted is None:  # rounding hides any descent: SAGA goes on
            break
        x_new, value_new, gradient_new, _ = accepted
        if run.stalls(run.crept(value, value_new)):
            break
        memory.update(x_new - x, gradient_new - gradient)
        value = value_new
        x, gradient, step = x_new, gradient_new, 1.0
        if not run.stepped(x):
            break
        since_check += 1
        if _check_due(since_check, _cue(gradient, value, objective.penalty.alpha), tol):
            since_check = 0
            if run.check(x):
                break
        if not run.more():
            break
    return run.finish(x)


def _cue(gradient, value, alpha):
    """The gap's cue, relative to ``value``: strong convexity in W
    (``alpha``) bounds the objective's excess by ``|g|^2 / (2 alpha)``, the
    unpenalized intercept aside (so not a bound)."""
    return float(gradient @ gradient) / (2 * alpha) / max(abs(value), 1e-300)


def _check_due(since_check, cue, tol):
    """Whether to check after ``since_check`` iterations without: once the
    cue is within ``_HOPEFUL_FRACTION`` of tol (the gap's own noise along
    the iterates would waste checks at the edge), or long after the last
    check."""
    if since_check >= _MAX_ITERATIONS_BETWEEN_CHECKS:
        return True
    return (
        since_check >= _MIN_ITERATIONS_BETWEEN_CHECKS
        and cue <= _HOPEFUL_FRACTION * max(tol, 1e-12)
    )
