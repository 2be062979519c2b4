"""Newton's method for the last digits of small, smooth problems.

Where an epoch costs microseconds, fits go on past the asked ``tol`` to the
optimum to rounding (so that integer sample weights and repeated samples
give the same model). SAGA's linear rate spends most of such a fit on those
last digits, one certificate after another (iris, softmax: 8 epochs to a
gap of 1e-3, 40 to 1e-10). The softmax with an L2 penalty is smooth and
strongly convex in ``W``: Newton's method on the ``k (p + 1)`` parameters,
with backtracking, gets there from the start in a few steps (iris: 7, with
one certificate), and from a point near the optimum in one or two. The
SAGA loop takes it first, then SAGA's epochs where it stops short.

A step builds the Hessian ``sum_i f_i (diag p_i - p_i p_i^T) (x) x_i x_i^T
+ l2 I`` (the intercept unpenalized, with the Hessian's null direction, one
shift added to every class, pinned down as in ``best_shift``), which costs
``n d^2`` multiply-adds for ``d`` parameters: only small ``d`` qualify
(:func:`newton_applies`). The loss object gives each row's Hessian in the
scores (``score_hessians``); where they barely curve, a step is damped as
in Levenberg-Marquardt. Each step reads X as an epoch does and counts as
one; the certificate, not the Newton decrement, decides when it ends.
"""

import numpy as np
import scipy.sparse as sp
from scipy.linalg.lapack import dpotrf, dpotrs

from .._duality import penalty_strengths
from ._progress import record_check
from ._snapshot import move_intercept

__all__ = [
    "NewtonProblem",
    "epoch_steps",
    "l2_alone_on_dense_float64",
    "newton_applies",
    "newton_polish",
    "small_l2_problem",
    "two_class_pattern",
]

# Parameters (classes x (features + 1)) and Hessian work (n d^2) at most.
_MAX_PARAMETERS = 512
_MAX_HESSIAN_WORK = 3e7
# Entries of the stacked rows of the one-product Hessian at most (8 MB).
_ONE_PRODUCT_ENTRIES = 1e6
# Newton rounds (steps until the decrement is negligible, then a
# certificate) before giving up on the polish tol.
_MAX_ROUNDS = 3
_MAX_STEPS = 8


def newton_applies(objective):
    """Whether :func:`newton_polish` can take ``objective``: the softmax on
    a :func:`small_l2_problem`.

    Parameters
    ----------
    objective : LinearObjective

    Returns
    -------
    applies : bool
    """
    return objective.loss_function.smooth and small_l2_problem(objective)


def l2_alone_on_dense_float64(objective):
    """Whether ``objective`` has an L2 penalty alone (no L1 part, no
    ``max_norm``) and dense float64 X: the exact last steps
    (:func:`newton_polish`, the hinge's
    :func:`~._hinge_polish.active_set_point`) need both.

    Parameters
    ----------
    objective : LinearObjective

    Returns
    -------
    applies : bool
    """
    X = objective.X
    if sp.issparse(X) or X.dtype != np.float64:
        return False
    if objective.penalty.max_norm is not None:
        return False
    l1, l2 = penalty_strengths(objective.penalty)
    return l1 == 0 and l2 > 0


def small_l2_problem(objective):
    """Whether :class:`NewtonProblem` can take ``objective``: an L2 penalty
    alone (no L1 part, no ``max_norm``), dense float64 X, every class of
    positive weight (else its best intercept is at minus infinity) and few
    parameters (the Hessian is built).

    Parameters
    ----------
    objective : LinearObjective

    Returns
    -------
    small : bool
    """
    if not l2_alone_on_dense_float64(objective):
        return False
    n_samples, n_features = objective.X.shape
    n_classes = objective.n_classes
    n_parameters = n_classes * (n_features + int(objective.fit_intercept))
    factors = objective._factors(slice(None), n_samples)
    weights = np.bincount(objective.y, weights=factors, minlength=n_classes)
    return (
        n_parameters <= _MAX_PARAMETERS
        and n_samples * n_parameters**2 <= _MAX_HESSIAN_WORK
        and bool(np.all(weights > 0))
    )


def two_class_pattern(block):
    """``[[block, -block], [-block, block]]``: with two classes, both losses
    see the score difference alone, so a row's second-order term in the
    packed parameters ``[z_0, z_1]`` has this pattern (a Hessian, the
    interior point's normal matrix) and needs one ``q x q`` block."""
    q = len(block)
    matrix = np.empty((2 * q, 2 * q))
    matrix[:q, :q] = matrix[q:, q:] = block
    matrix[:q, q:] = matrix[q:, :q] = -block
    return matrix


def epoch_steps(problem, W, b, result, hooks, max_epochs):
    """``(on_step, may_step)`` for an exact method's iterations on
    ``problem``'s packed parameters: each writes its point to ``W`` and
    ``b`` as an epoch between the hooks, and none runs past ``max_epochs``
    or an interruption."""

    def may_step():
        return result.n_epochs < max_epochs and not result.interrupted

    def on_step(z):
        return hooks.run_epoch(result, 1, lambda: problem.unpack(z, W, b) or True)

    return on_step, may_step


def newton_polish(
    objective, W, b, gap, tol, result, *, max_epochs, hooks, started, verbose
):
    """Newton steps from ``(W, b)`` until the certified relative gap is at
    most ``tol`` (or no step helps, or ``max_epochs`` are used up).

    Parameters
    ----------
    objective : LinearObjective
        One that :func:`newton_applies` to.
    W, b : ndarray
        Updated in place (``b`` as the objective's intercept parameters).
    gap : Certificate
    tol : float
    result : SolverResult
        Of the solve so far (its history, epochs and steps are extended).
    max_epochs : int
    hooks : _Hooks
        Each step is an epoch between the hooks.
    started : float
        The solve's start on the solvers' clock.
    verbose : int

    Returns
    -------
    snapshot : Snapshot
        The last certificate (the model's intercept moved to its shift).
    """
    problem = NewtonProblem(objective, gap.y, gap.factors)
    on_step, may_step = epoch_steps(problem, W, b, result, hooks, max_epochs)
    snapshot = None
    for _ in range(_MAX_ROUNDS):
        before = result.n_epochs
        z = problem.minimize(problem.pack(W, b), 0.2 * tol, on_step, may_step)
        problem.unpack(z, W, b)
        snapshot = gap(W, b, tol=tol)
        move_intercept(objective, W, b, snapshot.intercept_scores)
        record_check(result, snapshot, 0.0, started, verbose, ", Newton")
        if snapshot.relative <= tol or result.n_epochs == before:
            break
        if result.n_epochs >= max_epochs or result.interrupted:
            break
    return snapshot


class NewtonProblem:
    """An objective with an L2 penalty in the packed parameters ``z = [W |
    shift]`` (rows of ``k x q``, ``q = p + 1`` with an intercept), on ``[X |
    1]``: its value, gradient and Hessian, and Newton's steps.

    Parameters
    ----------
    objective : LinearObjective
        With an L2 penalty alone and dense X (small: the Hessian is built).
    y : ndarray of shape (n_samples,)
    factors : ndarray of shape (n_samples,)
        Normalized sample weights.
    mu : float, default=0.0
        The hinge's smoothing (its generalized Hessian); 0 for the softmax.
    """

    def __init__(self, objective, y, factors, mu=0.0):
        self.objective = objective
        X = np.asarray(objective.X, dtype=np.float64)
        self.intercept = objective.fit_intercept
        columns = [X, np.ones((X.shape[0], 1))] if self.intercept else [X]
        self.rows = np.hstack(columns)
        self.n_features = X.shape[1]
        self.n_classes = objective.n_classes
        self.y, self.factors, self.mu = y, factors, mu
        self.loss = objective.loss_function
        self.l2 = penalty_strengths(objective.penalty)[1]
        # The L2 part's diagonal: every weight, no intercept.
        q = self.rows.shape[1]
        penalized = np.zeros((self.n_classes, q))
        penalized[:, : self.n_features] = self.l2
        self.penalty_diagonal = penalized.ravel()
        pinned = np.zeros((self.n_classes, q))
        if self.intercept:
            pinned[:, -1] = 1.0
        self.pinned = pinned.ravel()
        # The Hessian's constant part: the L2 diagonal and the pinned
        # direction.
        self.constant = np.diag(self.penalty_diagonal) + np.outer(
            self.pinned, self.pinned
        )

    def pack(self, W, b):
        """``z`` from weights and intercept parameters."""
        z = np.zeros((self.n_classes, self.rows.shape[1]))
        z[:, : self.n_features] = W
        if self.intercept:
            z[:, -1] = self.objective._shift(W, b)
        return z

    def unpack(self, z, W, b):
        """Write ``z`` into ``W`` and ``b`` (in place)."""
        W[...] = z[:, : self.n_features]
        if self.intercept:
            move_intercept(self.objective, W, b, z[:, -1])

    def value(self, z):
        """``(objective, scores, helper)`` at ``z`` (``helper`` from the
        loss's ``per_sample``)."""
        scores = self.rows @ z.T
        values, helper = self.loss.per_sample(scores, self.y, self.mu)
        weights = z[:, : self.n_features]
        value = float(self.factors @ values) + 0.5 * self.l2 * float(
            np.vdot(weights, weights)
        )
        return value, scores, helper

    def gradient(self, z, scores):
        scores_gradient = self.loss.score_gradient(scores, self.y, self.mu)
        gradient = (scores_gradient * self.factors[:, None]).T @ self.rows
        return gradient.ravel() + self.penalty_diagonal * z.ravel()

    def hessian(self, helper):
        """``sum_i f_i H_i (x) x_i x_i^T`` for the rows' score Hessians
        ``H_i``, plus the L2 diagonal and the pinned direction (all shifts
        together, along which the loss does not change)."""
        rows, f = self.rows, self.factors
        (n, q), k = rows.shape, self.n_classes
        weighted = self.loss.score_hessians(helper, self.y, self.mu) * f[:, None, None]
        if k == 2:
            # Both losses see the score difference alone: each row's score
            # Hessian is h [[1, -1], [-1, 1]], one q x q product.
            hessian = two_class_pattern(rows.T @ (weighted[:, 0, 0, None] * rows))
        elif n * k * k * q <= _ONE_PRODUCT_ENTRIES:
            # Every block in one product, (q x n) (n x k k q): on small
            # problems a step costs its NumPy calls, not its arithmetic.
            stacked = weighted.reshape(n, k * k, 1) * rows[:, None, :]
            blocks = rows.T @ stacked.reshape(n, k * k * q)
            hessian = blocks.reshape(q, k, k, q).transpose(1, 0, 2, 3)
            hessian = hessian.reshape(k * q, k * q)
        else:
            hessian = np.empty((k * q, k * q))
            for a in range(k):
                for c in range(a, k):
                    block = rows.T @ (weighted[:, a, c, None] * rows)
                    hessian[a * q : (a + 1) * q, c * q : (c + 1) * q] = block
                    hessian[c * q : (c + 1) * q, a * q : (a + 1) * q] = block.T
        hessian += self.constant
        return hessian

    def minimize(self, z, tol, on_step=None, may_step=None, max_steps=_MAX_STEPS):
        """Newton steps with backtracking from ``z`` until the decrement is
        below ``tol`` of the objective, a step fails, ``may_step()`` (asked
        before each step) is false or ``on_step(z)`` (called after each
        step) returns false. Returns the last ``z``."""
        current, scores, helper = self.value(z)
        for _ in range(max_steps):
            if may_step is not None and not may_step():
                break
            gradient = self.gradient(z, scores)
            moved = self._damped_step(z, gradient, self.hessian(helper), current, tol)
            if moved is None:
                break
            z, current, scores, helper = moved
            if on_step is not None and not on_step(z):
                break
        return z

    def _damped_step(self, z, gradient, hessian, current, tol):
        """A Newton step with backtracking; where the Hessian barely curves
        (the smoothed hinge's linear pieces) its step may overshoot every
        backtracking length: damped ten times more each time, as in
        Levenberg-Marquardt. None when the decrement is below ``tol`` of the
        objective or no damping helps."""
        scale = max(float(np.trace(hessian)) / len(hessian), 1e-12)
        for damping in (1e-12, 1e-6, 1e-4, 1e-2, 1.0):
            damped = hessian.copy()
            damped.flat[:: len(damped) + 1] += damping * scale
            # LAPACK's Cholesky directly (the damped Hessian is positive
            # definite): scipy's and NumPy's wrappers cost more than the
            # factorization of a few dozen unknowns.
            factor, info = dpotrf(damped)
            if info != 0:
                continue
            step = -dpotrs(factor, gradient)[0]
            decrement = -float(gradient @ step)
            if not decrement > tol * abs(current):
                return None
            moved = self._line_search(z, step.reshape(z.shape), decrement, current)
            if moved is not None:
                return moved
        return None

    def _line_search(self, z, step, decrement, current):
        length = 1.0
        while length > 1e-3:
            candidate = z + length * step
            value, scores, helper = self.value(candidate)
            if value <= current - 1e-4 * length * decrement:
                return candidate, value, scores, helper
            length *= 0.5
        return None
