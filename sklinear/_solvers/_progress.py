"""What the solver loops share: their result, the clock and check spacing."""

import functools
import math
import time
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "SolverResult",
    "clock",
    "finish",
    "next_check",
    "record_check",
    "run_chained",
    "run_epochs",
]

# Epochs between two checks at most, whatever rate the gap falls at.
_MAX_EPOCHS_BETWEEN_CHECKS = 8
clock = time.perf_counter


@dataclass
class SolverResult:
    """What :func:`solve` found.

    Attributes
    ----------
    W, b : ndarray
        Weights and intercept parameters of the objective (updated in place).
    method : {'saga', 'sdca', 'lbfgs'}
        The method that ran ('lbfgs' also where SAGA's epochs finished it).
    n_epochs : int
        Epochs run (each reads X once).
    n_steps : int
        Minibatch steps taken.
    n_snapshots : int
        Snapshots (each reads X twice: scores, then the gradient).
    gap : float
        Certified relative duality gap at ``(W, b)``.
    primal : float
        The objective at ``(W, b)``.
    converged : bool
        Whether ``gap <= tol``.
    interrupted : bool
        Whether ``on_epoch_end`` asked to stop.
    history : list of tuple
        ``(epochs, relative gap, primal, mu, seconds)`` at every snapshot
        (``seconds`` since the start, snapshots included).
    """

    W: np.ndarray
    b: np.ndarray
    method: str = "saga"
    n_epochs: int = 0
    n_steps: int = 0
    n_snapshots: int = 0
    gap: float = np.inf
    primal: float = np.inf
    converged: bool = False
    interrupted: bool = False
    history: list = field(default_factory=list)


def random_state(seed):
    """The package's convention (scikit-learn's): a RandomState instance,
    made only by the solvers that draw (from OS entropy for None, which
    costs about 0.1 ms: an exact method for small data needs none)."""
    if isinstance(seed, np.random.RandomState):
        return seed
    return np.random.RandomState(seed)


def next_check(history, tol, previous):
    """Epochs until the gap should reach ``tol`` at the rate seen so far."""
    if len(history) < 2:
        return 1
    (e0, g0, _, mu0, _), (e1, g1, _, mu1, _) = history[-2], history[-1]
    if mu0 != mu1 or e1 <= e0 or not (0 < g1 < g0):
        return 1
    rate = (math.log(g1) - math.log(g0)) / (e1 - e0)
    if not rate < 0:  # gaps an ulp apart: no rate to go by
        return 1
    # tol=0 (run every epoch): space the checks as for a rounding-level tol.
    target = max(tol, 1e-12)
    needed = math.ceil(math.log(target / g1) / rate) if g1 > target else 1
    return int(min(max(needed, 1), 2 * previous, _MAX_EPOCHS_BETWEEN_CHECKS))


def record_check(result, snapshot, mu, started, verbose, detail=""):
    """Append a check to ``result.history`` (and print it if ``verbose``)."""
    result.n_snapshots += 1
    result.history.append(
        (result.n_epochs, snapshot.relative, snapshot.primal, mu, clock() - started)
    )
    if verbose:
        print(
            f"epoch {result.n_epochs}: relative gap {snapshot.relative:.3e}, "
            f"objective {snapshot.primal:.8g}{detail}"
        )


def run_epochs(result, hooks, n_epochs, max_epochs, n_steps, rng, epoch, **hook):
    """Up to ``n_epochs`` epochs ``epoch(order)`` (``order`` a permutation of
    ``range(n_steps)``) between the hooks, never past ``max_epochs``."""
    for _ in range(n_epochs):
        if result.n_epochs >= max_epochs:
            return
        order = rng.permutation(n_steps)
        run = functools.partial(epoch, order)
        if not hooks.run_epoch(result, n_steps, run, **hook):
            return


def run_chained(result, n_epochs, max_epochs, n_steps, rng, run):
    """Up to ``n_epochs`` epochs in one call ``run(orders)``, where no hook
    runs between them: ``orders`` are the random permutations of
    ``range(n_steps)`` that as many :func:`run_epochs` epochs would draw,
    so a compiled solver takes the same steps in one Python round trip."""
    n_epochs = min(n_epochs, max_epochs - result.n_epochs)
    if n_epochs <= 0:
        return
    run([rng.permutation(n_steps) for _ in range(n_epochs)])
    result.n_epochs += n_epochs
    result.n_steps += n_epochs * n_steps


def finish(result, snapshot, tol):
    """Store the final snapshot's gap and objective in ``result``."""
    result.gap = snapshot.relative
    result.primal = snapshot.primal
    result.converged = snapshot.relative <= tol
    return result


def met(result, gap, tol, settle=None):
    """Whether a check's relative ``gap`` ends the solve: at most ``tol``,
    or, with ``settle = (looser_tol, epochs)``, at most ``looser_tol`` once
    ``epochs`` epochs have run or once the rate seen so far says ``tol``
    would not be reached by then (no chase that cannot finish)."""
    if gap <= tol:
        return True
    if settle is None or gap > settle[0]:
        return False
    return max(result.n_epochs, _projected_epoch(result.history, tol)) >= settle[1]


def _projected_epoch(history, tol):
    """The epoch at which the gap would reach ``tol``, falling at its mean
    geometric rate since the first check below 1 (inf if it did not fall)."""
    falling = [(e, g) for e, g, *_ in history if 0 < g < 1]
    if len(falling) < 2 or falling[-1][0] <= falling[0][0]:
        return 0  # too early to tell
    (e0, g0), (e1, g1) = falling[0], falling[-1]
    rate = (math.log(g1) - math.log(g0)) / (e1 - e0)
    if not rate < 0:
        return math.inf
    return e1 + math.log(tol / g1) / rate
