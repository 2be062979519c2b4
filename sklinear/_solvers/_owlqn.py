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
(0.21 s), where OWL-QN certified 1e-3 in 192 iterations (52 ms); on digits
at ``1e-3``, 94 ms against 0.87 s, the same 425 zeros of 640
(``benchmarks/bench_l1.py``).

The certificate (:class:`~._snapshot.Certificate`, the L1 dual point scaled
into its ball) decides when to stop, checked at the rate the gaps fell so
far (:func:`~._progress.next_check`). Where the line search fails or
rounding hides the progress (float32 X), SAGA takes over from its point.
"""

import numpy as np

from .._duality import penalty_strengths
from .._full_batch import FullBatch
from ..penalties import L2, NoPenalty
from . import _progress as progress
from ._qn_run import QuasiNewtonRun
from ._quasi_newton import InverseHessian, first_step, pair_count

__all__ = ["l1_part_without_max_norm", "owlqn_applies", "solve_owlqn"]

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
    an L1 part in the penalty (:func:`l1_part_without_max_norm`).

    Parameters
    ----------
    objective : LinearObjective

    Returns
    -------
    applies : bool
    """
    return objective.loss_function.smooth and l1_part_without_max_norm(
        objective.penalty
    )


def l1_part_without_max_norm(penalty):
    """Whether ``penalty`` has an L1 part of positive strength (L1, elastic
    net) and no ``max_norm``: what OWL-QN's objective needs.

    Parameters
    ----------
    penalty : Penalty

    Returns
    -------
    l1_part : bool
    """
    return penalty.max_norm is None and penalty_strengths(penalty)[0] > 0


def solve_owlqn(objective, W, b, tol, max_epochs, gap, verbose, hooks, settle=None):
    """OWL-QN iterations on ``(W, b)`` until the certified gap is at most
    ``tol`` (each iteration counts as an epoch).

    Arguments and result as :func:`~._lbfgs.solve_lbfgs`'s.
    """
    alpha_l1, alpha_l2 = penalty_strengths(objective.penalty)
    smooth = FullBatch(
        objective, W.shape[0], penalty=L2(alpha_l2) if alpha_l2 > 0 else NoPenalty()
    )
    run = QuasiNewtonRun(
        objective, W, b, smooth.split, gap, tol, max_epochs, settle, verbose,
        hooks, "OWL-QN",
    )  # fmt: skip
    if run.done_at_start():
        return run.result, run.snapshot
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
    if not W.any() and not slope[penalized].any() and run.check():
        return run.result, run.snapshot
    memory = InverseHessian(x.size, pair_count(x.size))
    since_check, spacing = 0, _FIRST_CHECK
    # (float32 values' rounding is too coarse for the pseudo-gradient test.)
    float64 = objective.X.dtype == np.float64
    flat = _ROUNDING_SLACK * run.rounding if float64 else 0.0
    run.begin()
    while np.isfinite(total):
        direction = _descent(memory, slope)  # (may forget the pairs)
        accepted = _orthant_line_search(
            smooth, x, total, slope, direction, alpha_l1, penalized,
            first_step=1.0 if memory.n_pairs else first_step(slope), flat=flat,
        )  # fmt: skip
        if accepted is None and memory.n_pairs:  # once more, downhill
            memory.reset()
            continue
        if accepted is None:  # rounding hides any descent: SAGA goes on
            break
        x_new, gradient_new, total_new = accepted
        new_slope = pseudo_gradient(x_new, gradient_new, alpha_l1, penalized)
        crept = run.crept(total, total_new)
        if crept and flat:  # still progress where the slope shrinks
            crept = _norm(new_slope) >= _norm(slope)
        if run.stalls(crept):
            break
        memory.update(x_new - x, gradient_new - gradient)
        x, gradient, total, slope = x_new, gradient_new, total_new, new_slope
        if not run.stepped(x):
            break
        since_check += 1
        if since_check >= spacing:
            if run.check(x):
                break
            spacing = progress.next_check(run.result.history, tol, max(spacing, 1))
            since_check = 0
        if not run.more():
            break
    return run.finish(x)


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
        ``(x_new, smooth gradient, total value)``, or None if no step down
        to ``_MIN_STEP`` passed.
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
            return trial, gradient, new_total
        if abs(new_total - total) <= flat * abs(total) and _norm(
            pseudo_gradient(trial, gradient, alpha_l1, penalized)
        ) < _norm(slope):
            return trial, gradient, new_total
        step *= 0.5
    return None


def _norm(vector):
    return float(np.sqrt(vector @ vector))
