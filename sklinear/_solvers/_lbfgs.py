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
``_memory(n)`` pairs by the compiled two-loop recursion, and a backtracking
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
from . import _progress as progress
from ._curvature import single_sample_smoothness
from ._quasi_newton import InverseHessian, line_search
from ._snapshot import move_intercept

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
# Pairs L-BFGS keeps: _MEMORY while they take at most _MEMORY_BYTES, else
# _SMALL_MEMORY (scipy's default). With 20 pairs rather than 10, iterations
# to a 1e-3 gap on iris, wine, breast_cancer and digits at alpha 1e-4, 1e-3
# and 5e-3 changed by -22% to +12% (fewer in 9 cases of 12, one more: breast
# cancer at 5e-3, 17 -> 19; digits: 75, 37, 25 -> 70, 35, 21); on dense
# 20,000 x 500 and float32 8,000 x 1,000 problems (alpha 1e-5 to 5e-3, tol
# 1e-3 and 1e-5) by -9% to +17% (3 of 16 fewer, one more: 60 -> 70).
_MEMORY = 20
_SMALL_MEMORY = 10
_MEMORY_BYTES = 64 * 2**20
# L-BFGS hands over to SAGA after _MAX_STALLED iterations in a row whose
# decrease of the objective is within _ROUNDING_DECREASE units of rounding
# of X's dtype (relative): with float32 X the values' rounding passes for
# progress and L-BFGS would creep on (digits in float32, alpha 1e-4, tol
# 1e-6: 2,000 iterations at a gap of 5e-6 without this rule; with it 184
# epochs in all, against 282 at 4 units and 422 at 16).
_MAX_STALLED = 3
_ROUNDING_DECREASE = 1.0


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
    result = progress.SolverResult(W=W, b=b, method="lbfgs")
    dtype = objective.X.dtype
    check, last = checker(objective, W, b, gap, result, tol, settle, verbose)

    # A warm start may be at the optimum already; a cold one (W = 0) is not
    # checked: its first check costs several iterations and never ends a
    # solve (in a grid search on digits, 26 of 126 checks were at W = 0).
    if (W.any() or max_epochs <= 0) and (check() or max_epochs <= 0):
        return result, last["snapshot"]

    value_gradient = FullBatch(objective, W.shape[0])
    split = value_gradient.split

    x = np.concatenate([W.ravel(), b]).astype(np.float64)
    value, gradient = value_gradient(x)
    memory = InverseHessian(x.size, _memory(x.size))
    # The first step moves a unit length, as scipy's L-BFGS-B's does.
    step = min(1.0, 1.0 / max(float(np.sqrt(gradient @ gradient)), 1e-300))
    since_check = stalled = 0
    rounding = _ROUNDING_DECREASE * np.finfo(dtype).eps
    if hooks.begin is not None:
        hooks.begin(result.n_epochs)
    while result.n_epochs < max_epochs and np.isfinite(value):
        accepted = line_search(
            value_gradient, x, value, gradient, memory.direction(gradient), step
        )
        if accepted is None and memory.n_pairs:  # once more, downhill
            memory.reset()
            continue
        if accepted is None:  # rounding hides any descent: SAGA goes on
            break
        x_new, value_new, gradient_new, _ = accepted
        stalled = stalled + 1 if value - value_new <= rounding * abs(value) else 0
        if stalled >= _MAX_STALLED:  # rounding hides the progress: SAGA goes on
            break
        memory.update(x_new - x, gradient_new - gradient)
        value = value_new
        x, gradient, step = x_new, gradient_new, 1.0
        result.n_epochs += 1
        result.n_steps += 1
        if hooks.end is not None:
            W[...], b[...] = split(x)
            if hooks.end(result.n_epochs - 1, W, b):
                result.interrupted = True
                break
        since_check += 1
        if _check_due(since_check, _cue(gradient, value, objective.penalty.alpha), tol):
            since_check = 0
            W[...], b[...] = split(x)
            if check():
                break
        if result.n_epochs >= max_epochs:
            break
        if hooks.begin is not None:
            hooks.begin(result.n_epochs)
    if not result.history or result.history[-1][0] != result.n_epochs:
        W[...], b[...] = split(x)  # (W, b) follow x where a check or hook reads
        check()  # steps since the last check
    return result, last["snapshot"]


def checker(objective, W, b, gap, result, tol, settle, verbose, name="L-BFGS"):
    """The check of a quasi-Newton solve: ``check()`` certifies ``(W, b)``
    at its best intercept (moved there), records it in ``result`` and says
    whether it ends the solve; ``last["snapshot"]`` holds the last check."""
    started = progress.clock()
    last = {"snapshot": None}

    def check():
        last["snapshot"] = gap(W, b, tol=tol)
        move_intercept(objective, W, b, last["snapshot"].intercept_scores)
        progress.record_check(
            result, last["snapshot"], 0.0, started, verbose, f", {name}"
        )
        return progress.met(result, last["snapshot"].relative, tol, settle)

    return check, last


def _memory(n):
    """Pairs to keep for ``n`` unknowns (see ``_MEMORY``)."""
    return _MEMORY if 2 * _MEMORY * n * 8 <= _MEMORY_BYTES else _SMALL_MEMORY


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
