"""OWL-QN: L-BFGS for the softmax with an L1 part in its penalty.

Orthant-wise limited-memory quasi-Newton (Andrew and Gao 2007) minimizes a
smooth function plus ``alpha_l1 |W|_1``: the smooth part (the loss, and the
elastic net's L2 part) gives L-BFGS its pairs; the L1 part enters through
the pseudo-gradient (the steepest descent's slope of the whole objective at
``W``, which picks the sign of ``alpha_l1`` at a zero weight as descent
asks), the direction keeps only the coordinates along which it descends, and
each trial point of the line search is projected onto the orthant of the
current point (a weight that would change sign becomes 0). So the iterates
hold exact zeros, and a weight leaves zero only where the pseudo-gradient
pushes it out.

Where SAGA's proximal steps are short (small ``alpha``), its epochs crawl
near the optimum and its dual points stay loose: on standardized breast
cancer at ``alpha=1e-3`` it stopped at 1,000 epochs with a gap of 1.1e-2
(0.19 s), where OWL-QN certified 1e-3 in 192 iterations (52 ms); on digits
at ``1e-3``, 88 ms against 0.86 s, the same 425 zeros of 640
(``benchmarks/bench_l1.py``).

The certificate (:class:`~._snapshot.Certificate`, the L1 dual point scaled
into its ball) decides when to stop, checked at the rate the gaps fell so
far (:func:`~._progress.next_check`). Where the line search fails or
rounding hides the progress (float32 X), SAGA takes over from its point.
"""

import numpy as np

from .._duality import penalty_strengths
from .._full_batch import FullBatch
from ..penalties import L2, MaxNorm, NoPenalty
from . import _progress as progress
from ._lbfgs import _MAX_STALLED, _ROUNDING_DECREASE, _memory, checker
from ._quasi_newton import InverseHessian

__all__ = ["owlqn_applies", "solve_owlqn"]

# Armijo's sufficient decrease along the projected step, and the shortest
# trial step before the line search is declared failed.
_ARMIJO = 1e-4
_MIN_STEP = 1e-10
# Iterations before the first check (from W = 0 none ends a solve: the
# first, at W = 0, would cost several iterations for nothing).
_FIRST_CHECK = 5
# Near the optimum the objective's changes fall below its rounding while
# the weights are still about sqrt(eps) from it (a flat minimum): with
# float64 X a step whose value changes by at most _ROUNDING_SLACK units of
# rounding is also accepted where it shrinks the pseudo-gradient, as an
# approximate Wolfe condition does (Hager and Zhang 2005). Without it, the
# fits of integer sample weights and of repeated rows ended 1.6e-7 apart
# (relative) in scikit-learn's check of their equivalence, both at a gap
# of about 1e-8 where 1e-10 was asked.
_ROUNDING_SLACK = 4.0


def owlqn_applies(objective):
    """Whether :func:`solve_owlqn` can take ``objective``: a smooth loss and
    a penalty with an L1 part of positive strength and no ``max_norm``.

    Parameters
    ----------
    objective : LinearObjective

    Returns
    -------
    applies : bool
    """
    penalty = objective.penalty
    if not objective.loss_function.smooth or isinstance(penalty, MaxNorm):
        return False
    return penalty.max_norm is None and penalty_strengths(penalty)[0] > 0


def solve_owlqn(objective, W, b, tol, max_epochs, gap, verbose, hooks, settle=None):
    """OWL-QN iterations on ``(W, b)`` until the certified gap is at most
    ``tol`` (each iteration counts as an epoch).

    Arguments and result as :func:`~._lbfgs.solve_lbfgs`'s.
    """
    result = progress.SolverResult(W=W, b=b, method="lbfgs")
    alpha_l1, alpha_l2 = penalty_strengths(objective.penalty)
    smooth = FullBatch(
        objective, W.shape[0], penalty=L2(alpha_l2) if alpha_l2 > 0 else NoPenalty()
    )
    check, last = checker(
        objective, W, b, gap, result, tol, settle, verbose, name="OWL-QN"
    )

    if (W.any() or max_epochs <= 0) and (check() or max_epochs <= 0):
        return result, last["snapshot"]
    x = np.concatenate([W.ravel(), b]).astype(np.float64)
    penalized = np.zeros(x.size, dtype=bool)
    penalized[: W.size] = True
    value, gradient = smooth(x)
    total = value + alpha_l1 * float(np.abs(x[: W.size]).sum())
    # At W = 0 no weight's slope descends when the L1 term outweighs every
    # gradient: W = 0 may be the optimum (a strong alpha), and its check is
    # the cheap one (tf-idf 20,000 x 20,000, elastic net at alpha=1e-2: 0
    # iterations instead of 5 and 0.26 s).
    slope = pseudo_gradient(x, gradient, alpha_l1, penalized)
    if not W.any() and not slope[penalized].any() and check():
        return result, last["snapshot"]
    memory = InverseHessian(x.size, _memory(x.size))
    since_check, spacing, stalled = 0, _FIRST_CHECK, 0
    rounding = _ROUNDING_DECREASE * np.finfo(objective.X.dtype).eps
    # (float32 values' rounding is too coarse for the pseudo-gradient test.)
    flat = _ROUNDING_SLACK * rounding if objective.X.dtype == np.float64 else 0.0
    if hooks.begin is not None:
        hooks.begin(result.n_epochs)
    while result.n_epochs < max_epochs and np.isfinite(total):
        slope = pseudo_gradient(x, gradient, alpha_l1, penalized)
        direction = _descent(memory, slope)  # (may forget the pairs)
        accepted = _orthant_line_search(
            smooth, x, total, slope, direction, alpha_l1, penalized,
            first_step=1.0 if memory.n_pairs else _unit_length(slope), flat=flat,
        )  # fmt: skip
        if accepted is None and memory.n_pairs:  # once more, downhill
            memory.reset()
            continue
        if accepted is None:  # rounding hides any descent: SAGA goes on
            break
        x_new, value_new, gradient_new, total_new = accepted
        crept = total - total_new <= rounding * abs(total)
        if crept and flat:  # still progress where the slope shrinks
            new_slope = pseudo_gradient(x_new, gradient_new, alpha_l1, penalized)
            crept = _norm(new_slope) >= _norm(slope)
        stalled = stalled + 1 if crept else 0
        if stalled >= _MAX_STALLED:  # rounding hides the progress: SAGA goes on
            break
        memory.update(x_new - x, gradient_new - gradient)
        x, value, gradient, total = x_new, value_new, gradient_new, total_new
        result.n_epochs += 1
        result.n_steps += 1
        if hooks.end is not None:
            W[...], b[...] = smooth.split(x)
            if hooks.end(result.n_epochs - 1, W, b):
                result.interrupted = True
                break
        since_check += 1
        if since_check >= spacing:
            W[...], b[...] = smooth.split(x)
            if check():
                break
            spacing = progress.next_check(result.history, tol, max(spacing, 1))
            since_check = 0
        if result.n_epochs >= max_epochs:
            break
        if hooks.begin is not None:
            hooks.begin(result.n_epochs)
    if not result.history or result.history[-1][0] != result.n_epochs:
        W[...], b[...] = smooth.split(x)
        check()
    return result, last["snapshot"]


def pseudo_gradient(x, gradient, alpha_l1, penalized):
    """The slope of steepest descent of ``smooth + alpha_l1 |x[penalized]|_1``
    at ``x`` (``gradient`` the smooth part's): ``g + alpha_l1 sign(x)`` at a
    nonzero weight; at a zero one ``g + alpha_l1`` where that is negative,
    ``g - alpha_l1`` where that is positive, else 0 (no descent leaves zero).

    Parameters
    ----------
    x, gradient : ndarray of shape (n,)
    alpha_l1 : float
    penalized : ndarray of bool, shape (n,)
        The entries the L1 term applies to (the weights, not the intercept).

    Returns
    -------
    slope : ndarray of shape (n,)
    """
    slope = gradient.copy()
    sign = np.sign(x)
    at_zero = penalized & (sign == 0)
    moved = penalized & ~at_zero
    slope[moved] += alpha_l1 * sign[moved]
    g = gradient[at_zero]
    slope[at_zero] = np.where(
        g + alpha_l1 < 0, g + alpha_l1, np.where(g - alpha_l1 > 0, g - alpha_l1, 0.0)
    )
    return slope


def _descent(memory, slope):
    """L-BFGS's direction for the pseudo-gradient, with the coordinates that
    do not descend along it zeroed (so it stays in the orthant's descent
    cone); steepest descent where nothing is left."""
    direction = memory.direction(slope)
    direction[direction * slope >= 0] = 0.0
    if not float(slope @ direction) < 0:
        memory.reset()
        direction = -slope
    return direction


def _unit_length(slope):
    """The first step: a unit move, as L-BFGS's first is."""
    return min(1.0, 1.0 / max(float(np.sqrt(slope @ slope)), 1e-300))


def _orthant_line_search(
    smooth, x, total, slope, direction, alpha_l1, penalized, first_step, flat=0.0
):
    """Backtracking (halving) on ``x + t direction`` projected onto the
    orthant of ``x`` (a weight whose sign would flip becomes 0; at a zero
    weight, the orthant of ``-slope``), with Armijo's condition on the
    whole objective along the projected move; or, where the value changes
    by at most ``flat`` of itself (rounding), a smaller pseudo-gradient.

    Returns
    -------
    accepted : tuple or None
        ``(x_new, smooth value, smooth gradient, total value)``, or None if
        no step down to ``_MIN_STEP`` passed.
    """
    if not float(slope @ direction) < 0:
        return None
    orthant = np.sign(x)
    at_zero = orthant == 0
    orthant[at_zero] = -np.sign(slope[at_zero])
    flips = penalized.copy()
    step = first_step
    while step >= _MIN_STEP:
        trial = x + step * direction
        flips[penalized] = np.sign(trial[penalized]) != orthant[penalized]
        trial[flips] = 0.0
        value, gradient = smooth(trial)
        new_total = value + alpha_l1 * float(np.abs(trial[penalized]).sum())
        if not np.isfinite(new_total):
            step *= 0.5
            continue
        if new_total <= total + _ARMIJO * float(slope @ (trial - x)):
            return trial, value, gradient, new_total
        if abs(new_total - total) <= flat * abs(total) and _norm(
            pseudo_gradient(trial, gradient, alpha_l1, penalized)
        ) < _norm(slope):
            return trial, value, gradient, new_total
        step *= 0.5
    return None


def _norm(vector):
    return float(np.sqrt(vector @ vector))
