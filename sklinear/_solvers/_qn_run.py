"""What an L-BFGS-type solve (:mod:`._lbfgs`, :mod:`._owlqn`) does around
its steps: the certificate's checks, the epoch hooks and counts, and the
rule that hands over to SAGA where rounding hides the progress.

The solvers iterate on a float64 vector ``x``; ``(W, b)`` follow it only
where a check or a hook reads them (``split``).
"""

import numpy as np

from . import _progress as progress
from ._snapshot import move_intercept

__all__ = ["QuasiNewtonRun"]

# A solve hands over to SAGA after _MAX_STALLED steps in a row whose
# decrease of the objective is within _ROUNDING_DECREASE units of rounding
# of X's dtype (relative): with float32 X the values' rounding passes for
# progress and L-BFGS would creep on (digits in float32, alpha 1e-4, tol
# 1e-6: 2,000 iterations at a gap of 5e-6 without this rule; with it 184
# epochs in all, against 282 at 4 units and 422 at 16).
_MAX_STALLED = 3
_ROUNDING_DECREASE = 1.0


class QuasiNewtonRun:
    """One solve's bookkeeping.

    Parameters
    ----------
    objective : LinearObjective
    W, b : ndarray
        The weights and intercept parameters, updated in place.
    split : callable
        ``x -> (W, b)`` in X's dtype.
    gap : Certificate
    tol, max_epochs, settle, verbose, hooks
        As :func:`~._driver.solve` has them (``hooks`` its epoch hooks).
    name : str
        The method's name in verbose lines.
    """

    def __init__(
        self, objective, W, b, split, gap, tol, max_epochs, settle, verbose, hooks,
        name,
    ):  # fmt: skip
        self.objective, self.W, self.b, self.split = objective, W, b, split
        self.gap, self.tol, self.max_epochs = gap, tol, max_epochs
        self.settle, self.verbose, self.hooks, self.name = settle, verbose, hooks, name
        self.result = progress.SolverResult(W=W, b=b, method="lbfgs")
        self.snapshot = None  # the last check's
        self.rounding = _ROUNDING_DECREASE * np.finfo(objective.X.dtype).eps
        self._stalled = 0
        self._started = progress.clock()

    def check(self, x=None):
        """Certify ``(W, b)`` (set from ``x`` if given) at its best intercept,
        moved there, and record it; whether it ends the solve."""
        if x is not None:
            self.W[...], self.b[...] = self.split(x)
        self.snapshot = self.gap(self.W, self.b, tol=self.tol)
        move_intercept(self.objective, self.W, self.b, self.snapshot.intercept_scores)
        progress.record_check(
            self.result, self.snapshot, 0.0, self._started, self.verbose,
            f", {self.name}",
        )  # fmt: skip
        return progress.met(self.result, self.snapshot.relative, self.tol, self.settle)

    def done_at_start(self):
        """Whether the solve ends before a step: a warm start certified at
        the optimum already, or no epoch to run. (A cold start, W = 0, is not
        checked here: its check costs several iterations and rarely ends a
        solve; in a grid search on digits, 26 of 126 checks were at W = 0.)"""
        if self.max_epochs <= 0 or self.W.any():
            return self.check() or self.max_epochs <= 0
        return False

    def crept(self, value, new_value):
        """Whether a step lowered ``value`` by at most its rounding."""
        return value - new_value <= self.rounding * abs(value)

    def stalls(self, crept):
        """Count a step that ``crept``; whether rounding hides the progress
        (``_MAX_STALLED`` in a row): SAGA goes on from there."""
        self._stalled = self._stalled + 1 if crept else 0
        return self._stalled >= _MAX_STALLED

    def begin(self):
        """The begin hook of the next epoch."""
        if self.hooks.begin is not None:
            self.hooks.begin(self.result.n_epochs)

    def stepped(self, x):
        """Count an accepted step and run the end hook; whether to go on."""
        result = self.result
        result.n_epochs += 1
        result.n_steps += 1
        if self.hooks.end is not None:
            self.W[...], self.b[...] = self.split(x)
            if self.hooks.end(result.n_epochs - 1, self.W, self.b):
                result.interrupted = True
                return False
        return True

    def more(self):
        """Whether an epoch is left (its begin hook then runs)."""
        if self.result.n_epochs >= self.max_epochs:
            return False
        self.begin()
        return True

    def finish(self, x):
        """Check ``x`` unless the last check was there; the result and the
        last snapshot."""
        history = self.result.history
        if not history or history[-1][0] != self.result.n_epochs:
            self.check(x)
        return self.result, self.snapshot
