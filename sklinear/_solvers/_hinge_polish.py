"""The exact optimum of a small hinge problem from the dual ascent's active set.

At the optimum of the Weston-Watkins hinge with an L2 part ``l2`` (and an
unpenalized intercept ``t``), every pair ``(i, j)``, ``j != y_i``, has a dual
variable ``beta_ij`` in [0, 1]: 1 where the margin ``m_ij = s_ij - s_iy_i +
Delta`` is positive, 0 where it is negative, anything between where it is 0.
Once the dual ascent has found which pairs are at 0, at 1 and between
("free"), the rest is linear: with ``v_q = f_l (e_j' - e_y_l) (x) x_l`` for a
pair ``q = (l, j')`` and ``A_q = f_l (e_j' - e_y_l)``,

* ``l2 W = -(V_F beta_F + w_U)`` (``w_U``: the sum of the ``v_q`` at 1),
* a free pair's margin is 0: ``V_F^T V_F beta_F / l2 - A_F^T t = f_F Delta
  - V_F^T w_U / l2``,
* the intercept's condition ``sum_i f_i G_i = 0``: ``A_F beta_F = -A_U 1``,

and ``sum_k t_k = 0`` fixes the scores' free constant. One solve of these
``|F| + k`` unknowns gives the optimum whenever the partition is right; a
few active-set moves mend a partition that is nearly right, and the
certificate, not the solve, says whether the point is optimal (its gap is
then at rounding level). The dual ascent's linear tail on small data
(wine: 176 epochs to a gap of 5e-4) then ends as soon as its partition is
close (76 epochs, gap 8e-15). Where the partition keeps changing (iris,
whose intercept oscillates around the optimum's for hundreds of epochs) no
try succeeds and the ascent goes on. Small problems only: the system is
``|F| x |F|`` with ``|F|`` up to ``_MAX_FREE``.
"""

import numpy as np

from .._duality import penalty_strengths
from ._newton import l2_alone_on_dense_float64

__all__ = ["KKTSystems", "active_set_point", "hinge_polish_applies", "partition_of"]

# Pairs strictly between the bounds at most (the system is |F| x |F|; also
# at most k (p + 1)), and how far from a bound a dual variable counts as free.
_MAX_FREE = 400
_FREE_MARGIN = 1e-9
# Active-set solves per attempt, and the tolerance of a pair's sign.
_MAX_MOVES = 8
_SLACK = 1e-10


def hinge_polish_applies(objective):
    """Whether :func:`active_set_point` takes ``objective``: the hinge, an L2
    penalty alone (no L1 part, no ``max_norm``), dense float64 X.

    Parameters
    ----------
    objective : LinearObjective

    Returns
    -------
    applies : bool
    """
    return not objective.loss_function.smooth and l2_alone_on_dense_float64(objective)


def partition_of(a):
    """1 where a dual variable is at 1, 0 where it is free (strictly
    between the bounds), -1 where it is at 0; as int8."""
    upper = a >= 1 - _FREE_MARGIN
    return np.where(upper, 1, np.where(a > _FREE_MARGIN, 0, -1)).astype(np.int8)


def active_set_point(systems, a):
    """The KKT point of the dual variables' partition, corrected by a few
    active-set moves.

    The partition starts from ``a`` (free strictly between the bounds).
    After each solve, the pair that breaks it most moves (as in an
    active-set QP method): a pair at a bound whose margin has the other
    sign becomes free, a free pair whose solution leaves [0, 1] goes to that
    bound.

    Parameters
    ----------
    systems : KKTSystems
        Of the objective (one that :func:`hinge_polish_applies` to), built
        once for every attempt of a solve.
    a : ndarray of shape (n_samples, n_classes)
        The dual ascent's ``beta_ij`` (0 at each sample's own class).

    Returns
    -------
    point : tuple of (W, shift, beta) or None
        Weights, the scores' shift (``X @ W.T + shift``) and the dual
        variables of a partition that no pair breaks, or None: too many
        free pairs (more than the ``k (p + 1)`` that determine a generic
        solution), equations without a solution, more pairs breaking it
        than are free (the partition is far from the optimum's), or still
        broken after ``_MAX_MOVES`` solves.
    """
    state = partition_of(a)
    state[systems.own] = -1
    for _ in range(_MAX_MOVES):
        solved = systems.solve(state)
        if solved is None:
            return None
        W, shift, beta = solved
        breach = systems.breaches(state, W, shift, beta)
        n_breaking = int(np.count_nonzero(breach > _SLACK))
        if n_breaking == 0:
            return W, shift, np.clip(beta, 0.0, 1.0)
        if n_breaking > max(int(np.count_nonzero(state == 0)), 1):
            return None  # far from the optimum's partition
        # One pair at a time, the worst first: moving every breaking pair at
        # once can land farther away (the solution of a wrong partition
        # moves far), as it did from the dual ascent's iris partitions.
        i, j = np.unravel_index(np.argmax(breach), breach.shape)
        state[i, j] = 0 if state[i, j] != 0 else (1 if beta[i, j] > 1 else -1)
    return None


class KKTSystems:
    """The linear algebra of one objective's KKT systems: its rows, centered
    once, and the solve of a partition.

    Parameters
    ----------
    objective : LinearObjective
    factors : ndarray of shape (n_samples,)
        Normalized sample weights.
    """

    def __init__(self, objective, factors):
        X = np.asarray(objective.X, dtype=np.float64)
        self.X, self.factors = X, factors
        self.y = y = np.asarray(objective.y, dtype=np.intp)
        self.n_classes = objective.n_classes
        self.l2 = penalty_strengths(objective.penalty)[1]
        self.margin = float(objective.margin)
        self.own = np.zeros((X.shape[0], self.n_classes), dtype=bool)
        self.own[np.arange(X.shape[0]), y] = True
        # Centered rows: the same optimum (the intercept absorbs the centre)
        # and a better-conditioned system.
        self.mean = factors @ X
        self.centered = X - self.mean

    def margins(self, W, shift):
        """``s_ij - s_iy_i + Delta`` of every pair (0 at the own class)."""
        scores = self.X @ W.T + shift
        rows = np.arange(len(self.y))
        margins = scores - scores[rows, self.y][:, None] + self.margin
        margins[self.own] = 0.0
        return margins

    def breaches(self, state, W, shift, beta):
        """How far each pair breaks the partition: a bound pair's margin of
        the wrong sign, a free pair's ``beta`` outside [0, 1]."""
        margins = self.margins(W, shift)
        breach = np.zeros_like(margins)
        upper, lower, free = state == 1, state == -1, state == 0
        breach[upper] = np.maximum(-margins[upper], 0.0)
        breach[lower] = np.maximum(margins[lower], 0.0)
        breach[free] = np.maximum(beta[free] - 1.0, 0.0) + np.maximum(-beta[free], 0.0)
        breach[self.own] = 0.0
        return breach

    def solve(self, state):
        """``(W, shift, beta)`` for the partition ``state`` (1: at 1, 0:
        free, -1: at 0), beta unclipped; None with too many free pairs."""
        X, f, y, k = self.centered, self.factors, self.y, self.n_classes
        n_samples, n_features = X.shape
        rows_free, classes_free = np.nonzero(state == 0)
        n_free = len(rows_free)
        if n_free > min(_MAX_FREE, k * (n_features + 1)):
            return None
        columns = np.arange(n_free)
        # A_q = f_l (e_j' - e_y_l) for the free pairs (k x |F|).
        A_free = np.zeros((k, n_free))
        A_free[classes_free, columns] += f[rows_free]
        A_free[y[rows_free], columns] -= f[rows_free]
        # The pairs at 1: their sums of A_q and of v_q (k x p).
        G_upper = np.where(state == 1, 1.0, 0.0) * f[:, None]
        G_upper[np.arange(n_samples), y] = -G_upper.sum(axis=1)
        A_upper = G_upper.sum(axis=0)
        w_upper = G_upper.T @ X
        # v_q of the free pairs, as |F| x (k p).
        V = np.zeros((n_free, k, n_features))
        scaled = f[rows_free, None] * X[rows_free]
        V[columns, classes_free] += scaled
        V[columns, y[rows_free]] -= scaled
        V = V.reshape(n_free, k * n_features)
        system = np.zeros((n_free + k + 1, n_free + k))
        system[:n_free, :n_free] = V @ V.T / self.l2
        system[:n_free, n_free:] = -A_free.T
        system[n_free : n_free + k, :n_free] = A_free
        system[-1, n_free:] = 1.0
        rhs = np.zeros(n_free + k + 1)
        rhs[:n_free] = f[rows_free] * self.margin - V @ w_upper.ravel() / self.l2
        rhs[n_free : n_free + k] = -A_upper
        solution = np.linalg.lstsq(system, rhs, rcond=None)[0]
        # A partition whose equations have no solution is not the optimum's
        # (least squares would still return a point).
        residual = np.abs(system @ solution - rhs).max()
        if not residual <= 1e-9 * max(1.0, np.abs(rhs).max()):
            return None
        beta = np.where(state == 1, 1.0, 0.0)
        beta[rows_free, classes_free] = solution[:n_free]
        G = np.clip(beta, 0.0, 1.0) * f[:, None]
        G[np.arange(n_samples), y] = -G.sum(axis=1)
        W = -(G.T @ X) / self.l2
        shift = solution[n_free:] - W @ self.mean
        return W, shift, beta
