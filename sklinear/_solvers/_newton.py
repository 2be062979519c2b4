"""Newton's method for the last digits of small, smooth problems.

Where an epoch costs microseconds, fits go on past the asked ``tol`` to the
optimum to rounding (so that integer sample weights and repeated samples
give the same model). SAGA's linear rate spends most of such a fit on those
last digits, one certificate after another (iris, softmax: 8 epochs to a
gap of 1e-3, 40 to 1e-10). The softmax with an L2 penalty is smooth and
strongly convex in ``W``: from SAGA's point, Newton's method on the
``k (p + 1)`` parameters converges quadratically, in one or two steps.

A step builds the Hessian ``sum_i f_i (diag p_i - p_i p_i^T) (x) x_i x_i^T
+ l2 I`` (the intercept unpenalized, with the Hessian's null direction, one
shift added to every class, pinned down as in ``best_shift``), which costs
``n d^2`` multiply-adds for ``d`` parameters: only small ``d`` qualify
(:func:`newton_applies`). Each step reads X as an epoch does and counts as
one; the certificate, not the Newton decrement, decides when it ends.
"""

import numpy as np
import scipy.sparse as sp

from .._duality import penalty_strengths
from ._progress import record_check

__all__ = ["newton_applies", "newton_polish"]

# Parameters (classes x (features + 1)) and Hessian work (n d^2) at most.
_MAX_PARAMETERS = 512
_MAX_HESSIAN_WORK = 3e7
# Newton rounds (steps until the decrement is negligible, then a
# certificate) before giving up on the polish tol.
_MAX_ROUNDS = 3
_MAX_STEPS = 8


def newton_applies(objective):
    """Whether :func:`newton_polish` can take ``objective``: the softmax, an
    L2 penalty alone (no L1 part, no ``max_norm``), dense float64 X, every
    class of positive weight (else its best intercept is at minus infinity)
    and few parameters.

    Parameters
    ----------
    objective : LinearObjective

    Returns
    -------
    applies : bool
    """
    X = objective.X
    if sp.issparse(X) or X.dtype != np.float64 or not objective.loss_function.smooth:
        return False
    if objective.penalty.max_norm is not None:
        return False
    l1, l2 = penalty_strengths(objective.penalty)
    if l1 != 0 or not l2 > 0:
        return False
    n_samples, n_features = X.shape
    n_classes = objective.n_classes
    n_parameters = n_classes * (n_features + int(objective.fit_intercept))
    factors = objective._factors(slice(None), n_samples)
    weights = np.bincount(objective.y, weights=factors, minlength=n_classes)
    return (
        n_parameters <= _MAX_PARAMETERS
        and n_samples * n_parameters**2 <= _MAX_HESSIAN_WORK
        and bool(np.all(weights > 0))
    )


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
    problem = _NewtonProblem(objective, gap, W, b)
    snapshot = None
    for _ in range(_MAX_ROUNDS):
        before = result.n_epochs
        problem.minimize(tol, result, max_epochs, hooks)
        snapshot = gap(W, b)
        _set_intercept(objective, W, b, snapshot.intercept_scores)
        record_check(result, snapshot, 0.0, started, verbose, ", Newton")
        if snapshot.relative <= tol or result.n_epochs == before:
            break
        if result.n_epochs >= max_epochs or result.interrupted:
            break
    return snapshot


def _set_intercept(objective, W, b, shift):
    """``b`` such that the scores' shift is ``shift``."""
    if objective.fit_intercept:
        b[...] = shift if objective.offset is None else shift + W @ objective.offset


class _NewtonProblem:
    """The objective in the packed parameters ``z = [W | shift]`` (rows of
    ``k x q``, ``q = p + 1`` with an intercept), on ``[X | 1]``."""

    def __init__(self, objective, gap, W, b):
        self.objective, self.W, self.b = objective, W, b
        X = objective.X
        self.intercept = objective.fit_intercept
        columns = [X, np.ones((X.shape[0], 1))] if self.intercept else [X]
        self.rows = np.hstack(columns)
        self.n_features = X.shape[1]
        self.n_classes = objective.n_classes
        self.y, self.factors = gap.y, gap.factors
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

    def pack(self):
        """``z`` from the model's ``W`` and ``b``."""
        z = np.zeros((self.n_classes, self.rows.shape[1]))
        z[:, : self.n_features] = self.W
        if self.intercept:
            z[:, -1] = self.objective._shift(self.W, self.b)
        return z

    def unpack(self, z):
        """Write ``z`` into the model's ``W`` and ``b``."""
        self.W[...] = z[:, : self.n_features]
        if self.intercept:
            _set_intercept(self.objective, self.W, self.b, z[:, -1])

    def value(self, z):
        """The objective and the softmax probabilities at ``z``."""
        values, probabilities = self.loss.per_sample(self.rows @ z.T, self.y)
        weights = z[:, : self.n_features]
        value = float(self.factors @ values) + 0.5 * self.l2 * float(
            np.vdot(weights, weights)
        )
        return value, probabilities

    def gradient(self, z, probabilities):
        scores_gradient = probabilities.copy()
        scores_gradient[np.arange(len(self.y)), self.y] -= 1.0
        gradient = (scores_gradient * self.factors[:, None]).T @ self.rows
        return gradient.ravel() + self.penalty_diagonal * z.ravel()

    def hessian(self, probabilities):
        """``sum_i f_i (diag p_i - p_i p_i^T) (x) x_i x_i^T`` plus the L2
        diagonal and the pinned direction (all shifts together)."""
        rows, f = self.rows, self.factors
        n_samples, q = rows.shape
        k = self.n_classes
        weighted = probabilities * f[:, None]
        hessian = np.zeros((k * q, k * q))
        for a in range(k):
            block = slice(a * q, (a + 1) * q)
            hessian[block, block] = rows.T @ (weighted[:, a, None] * rows)
        spread = (probabilities * np.sqrt(f)[:, None])[:, :, None] * rows[:, None, :]
        spread = spread.reshape(n_samples, k * q)
        hessian -= spread.T @ spread
        hessian[np.diag_indices_from(hessian)] += self.penalty_diagonal
        hessian += np.outer(self.pinned, self.pinned)
        return hessian

    def minimize(self, tol, result, max_epochs, hooks):
        """Newton steps with backtracking, each an epoch between the hooks,
        until the decrement is below a fifth of ``tol`` of the objective (or
        a step fails)."""
        z = self.pack()
        current, probabilities = self.value(z)
        for _ in range(_MAX_STEPS):
            if result.n_epochs >= max_epochs or result.interrupted:
                return
            gradient = self.gradient(z, probabilities)
            hessian = self.hessian(probabilities)
            ridge = 1e-12 * max(float(np.trace(hessian)), 1.0)
            hessian[np.diag_indices_from(hessian)] += ridge
            try:
                step = -np.linalg.solve(hessian, gradient)
            except np.linalg.LinAlgError:
                return
            decrement = -float(gradient @ step)
            if not decrement > 0.2 * tol * abs(current):
                return
            moved = self._line_search(z, step.reshape(z.shape), decrement, current)
            if moved is None:
                return
            z, current, probabilities = moved
            if not hooks.run_epoch(result, 1, lambda z=z: self.unpack(z) or True):
                return

    def _line_search(self, z, step, decrement, current):
        length = 1.0
        while length > 1e-8:
            candidate = z + length * step
            value, probabilities = self.value(candidate)
            if value <= current - 1e-4 * length * decrement:
                return candidate, value, probabilities
            length *= 0.5
        return None
