"""An interior-point method for small hinge problems with an L2 penalty.

The Weston-Watkins hinge with an L2 penalty is a quadratic program: with a
slack ``xi_ij >= 0`` for each pair of a sample ``i`` and another class
``j != y_i``, minimize ``l2/2 |W|^2 + sum_ij f_i xi_ij`` subject to
``xi_ij >= margin + s_ij - s_iy`` (``s = [X | 1] z^T``, ``z = [W | shift]``).
Its multipliers ``lambda_ij = f_i beta_ij`` are the dual variables, in
``[0, f_i]``. Mehrotra's predictor-corrector method solves it to rounding in
a few tens of iterations, whatever the partition of the dual variables at
the optimum: where the dual ascent's partition keeps changing (iris), the
exact point of a partition (:mod:`._hinge_polish`) cannot be found, and the
ascent's linear rate needs hundreds of epochs.

Each iteration solves normal equations ``A^T D A`` of the size of the
parameters, ``k (p + 1)``, with ``A`` the pairs' rows ``[x_i | 1]`` at class
``j`` and minus them at ``y_i``, built dense (``n (k - 1) k^2 (p + 1)^2``
multiply-adds): only small problems qualify (those of
:func:`~._newton.small_l2_problem` with at most ``_MAX_PAIR_ENTRIES``
entries in ``A``). Each iteration reads X as an epoch does and counts as
one; the certificate of its dual variables decides the result (where
rounding in the last, ill-conditioned solves leaves it short, the caller
takes the exact point of the final dual variables' partition).

At the default ``alpha`` the dual ascent and the exact point of its
partition took 201 to 226 epochs on iris and ended at ``tol``; at ``alpha =
1e-4`` it ran out of its 1,000 epochs on iris (relative gap 1e-2) and on
breast cancer (1e-1). This method took 12 to 21 iterations on the three
small sets at ``alpha`` from 1e-4 to 1, each to a gap below ``1e-10``.
"""

import numpy as np
from scipy.linalg.lapack import dpotrf, dpotrs

from ._newton import small_l2_problem, two_class_pattern

__all__ = ["hinge_interior_point", "interior_point_applies"]

_MAX_ITERATIONS = 60
# Stop once the complementarity (the QP's duality gap) is below this
# fraction of the objective.
_GAP = 1e-11
_STEP_FRACTION = 0.995
# The multipliers start at this fraction of their upper bounds: nearer the
# optimum's (most are 0), with fewer iterations than halfway (iris, wine and
# breast cancer at alpha 1e-4, 1e-2 and 1: 130 iterations in all, against
# 154 from halfway; 0.05 took 130, 0.25 took 134).
_START_FRACTION = 0.1
# Entries of the pairs' matrix A (pairs x parameters) at most: 32 MB.
_MAX_PAIR_ENTRIES = 4e6


def interior_point_applies(objective):
    """Whether :func:`hinge_interior_point` takes ``objective``: the hinge
    on a :func:`~._newton.small_l2_problem` whose pairs' matrix is small.

    Parameters
    ----------
    objective : LinearObjective

    Returns
    -------
    applies : bool
    """
    if objective.loss_function.smooth or not small_l2_problem(objective):
        return False
    n_samples, n_features = objective.X.shape
    k = objective.n_classes
    parameters = k * (n_features + int(objective.fit_intercept))
    return n_samples * (k - 1) * parameters <= _MAX_PAIR_ENTRIES


def hinge_interior_point(problem, margin, z=None, on_step=None, may_step=None):
    """The hinge QP's solution by Mehrotra's predictor-corrector method.

    Parameters
    ----------
    problem : NewtonProblem
        Of the hinge with an L2 penalty alone, on dense float64 X of few
        parameters (:func:`interior_point_applies`): its rows, labels,
        sample weights and penalty.
    margin : float
        The hinge's margin.
    z : ndarray, default=None
        Packed parameters to start from (a warm start); None: zeros. The
        slacks start one above the hinge at ``z``, the multipliers at a tenth
        of their upper bounds.
    on_step : callable, default=None
        ``on_step()`` after each iteration; False stops.
    may_step : callable, default=None
        ``may_step()`` before each iteration; False stops.

    Returns
    -------
    z : ndarray of shape (n_classes, n_features + 1) or (n_classes, n_features)
        The packed parameters (see :class:`~._newton.NewtonProblem`).
    beta : ndarray of shape (n_samples, n_classes)
        The dual variables ``beta_ij`` in ``[0, 1]`` (0 at ``y_i``).
    converged : bool
        Whether the complementarity (the QP's duality gap) fell to ``_GAP``
        of the objective; else the last iterate (out of iterations, stopped
        by a hook, or rounding stopped the steps: the certificate decides).
    """
    return _Iterates(problem, margin, z).solve(on_step, may_step)


class _Iterates:
    """The QP's primal-dual iterates: ``z``, slacks ``xi`` and multipliers
    ``lam`` per pair, with ``u = xi - margin - A z`` and ``nu = f_i - lam``
    the two slacks' complements. ``A`` (pairs x parameters) maps ``z`` to
    the pairs' score differences ``s_ij - s_iy``, built dense (small).

    The complementary pairs are kept stacked, slacks ``[u, xi]`` against
    multipliers ``[lam, nu]``, so that a product, a step length or a
    complementarity is one NumPy call: on iris an iteration is a few
    hundred microseconds of such calls, not of arithmetic."""

    def __init__(self, problem, margin, z=None):
        self.problem, self.margin = problem, margin
        rows = problem.rows
        n, q = rows.shape
        k = problem.n_classes
        y = np.asarray(problem.y)
        others = np.asarray(problem.factors)[:, None] > 0  # no zero bounds
        others = np.repeat(others, k, axis=1)
        others[np.arange(n), y] = False
        sample, other = np.nonzero(others)  # the pairs
        self.sample, self.other = sample, other
        pairs = np.arange(len(sample))
        A = np.zeros((len(sample), k, q))
        A[pairs, other] = rows[sample]
        A[pairs, y[sample]] = -rows[sample]
        self.A = A.reshape(len(sample), k * q)
        self.penalty = problem.penalty_diagonal
        # The normal matrix's constant part: the L2 diagonal and the pinned
        # direction (all shifts together, which no pair sees).
        self.constant = np.diag(self.penalty) + np.outer(problem.pinned, problem.pinned)
        self.n, self.k = n, k
        # Two classes: each pair's row is +-[x, -x], so A^T D A is the
        # 2 x 2 pattern [[1, -1], [-1, 1]] of one q x q product (4 times
        # fewer multiply-adds).
        self.pair_rows = rows[sample] if k == 2 else None
        self.bound = np.asarray(problem.factors, dtype=np.float64)[sample]
        self.z = np.zeros(k * q) if z is None else np.array(z, dtype=float).ravel()
        self.xi = np.maximum(margin + self.A @ self.z, 0.0) + 1.0
        self.lam = _START_FRACTION * self.bound

    def normal_matrix(self, weights):
        """``A^T diag(weights) A`` plus the L2 diagonal and the pinned
        direction."""
        # S^T S with S = sqrt(weights) A, weights >= 0: NumPy hands a
        # product of a matrix's transpose with itself to BLAS's syrk, which
        # computes half of it.
        root = np.sqrt(weights)[:, None]
        if self.pair_rows is not None:
            scaled = root * self.pair_rows
            normal = two_class_pattern(scaled.T @ scaled)
        else:
            scaled = root * self.A
            normal = scaled.T @ scaled
        normal += self.constant
        return normal

    def solve(self, on_step, may_step):
        # A multiplier clipped onto its bound divides by 0 in the step
        # lengths: the step is then 0 (or NaN) and ends the loop.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for _ in range(_MAX_ITERATIONS):
                if may_step is not None and not may_step():
                    break
                moved = self._iterate()
                if moved is None:
                    return self._point(True)
                if not moved:
                    break
                if on_step is not None and not on_step(self.z.reshape(self.k, -1)):
                    break
        return self._point(False)

    def _iterate(self):
        """One predictor-corrector step: None once the complementarity is
        below ``_GAP`` of the objective, False where no step can be made."""
        A, m = self.A, len(self.sample)
        hinge = A @ self.z
        hinge += self.margin
        u = self.xi - hinge
        nu = self.bound - self.lam
        slacks = np.concatenate([u, self.xi])
        multipliers = np.concatenate([self.lam, nu])
        products = slacks * multipliers
        complementarity = float(products.sum())
        penalized = self.penalty * self.z
        value = 0.5 * float(self.z @ penalized)
        value += float(self.bound @ np.maximum(hinge, 0.0))
        if complementarity <= _GAP * max(value, 1e-300):
            return None
        ratio = self.lam / nu
        d = 1.0 / (u + ratio * self.xi)
        # LAPACK's Cholesky directly: for a few dozen unknowns the wrappers
        # of scipy.linalg cost more than the factorization.
        factor, info = dpotrf(self.normal_matrix(d * self.lam))
        if info != 0:  # not positive definite to rounding
            return False
        system = (factor, penalized + A.T @ self.lam, d, ratio, nu)
        inverses = (1.0 / slacks, 1.0 / multipliers)
        affine = self._direction(*system, -products)
        step = _largest_step(*inverses, affine)
        _, dslacks, dmultipliers = affine
        mu_affine = float(
            (slacks + step * dslacks) @ (multipliers + step * dmultipliers)
        )
        sigma = (mu_affine / complementarity) ** 3
        target = sigma * complementarity / (2 * m) - products
        target -= dslacks * dmultipliers
        moved = self._direction(*system, target)
        step = _STEP_FRACTION * _largest_step(*inverses, moved)
        if not step > 0:
            return False
        dz, dslacks, dmultipliers = moved
        self.z = self.z + step * dz
        self.xi = self.xi + step * dslacks[m:]
        self.lam = np.clip(self.lam + step * dmultipliers[:m], 0.0, self.bound)
        return True

    def _direction(self, factor, residual, d, ratio, nu, target):
        """The step ``(dz, [du, dxi], [dlam, -dlam])`` that moves the
        products ``[lam u, nu xi]`` by ``target``: ``dxi`` and ``dlam``
        eliminated, normal equations in ``dz`` (``factor`` their Cholesky
        factor)."""
        m = len(nu)
        r1, r2 = target[:m], target[m:]
        r3 = r1 - ratio * r2
        rhs = self.A.T @ (d * r3)
        rhs += residual
        dz, _ = dpotrs(factor, -rhs)
        moved = self.A @ dz
        dlam = d * (self.lam * moved + r3)
        dxi = (r2 + self.xi * dlam) / nu
        return dz, np.concatenate([dxi - moved, dxi]), np.concatenate([dlam, -dlam])

    def _point(self, converged):
        beta = np.zeros((self.n, self.k))
        beta[self.sample, self.other] = self.lam / self.bound
        return self.z.reshape(self.k, -1), beta, converged


def _largest_step(inverse_slacks, inverse_multipliers, moves):
    """The largest step in [0, 1] along ``moves`` that keeps the slacks and
    multipliers (given by their inverses) nonnegative."""
    _, dslacks, dmultipliers = moves
    shrink = min(
        float((dslacks * inverse_slacks).min()),
        float((dmultipliers * inverse_multipliers).min()),
    )
    return 1.0 if shrink >= -1.0 else -1.0 / shrink
