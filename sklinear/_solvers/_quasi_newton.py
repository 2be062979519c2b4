"""L-BFGS's memory and line search, lean enough for problems whose gradient
takes a fraction of a millisecond.

scipy's L-BFGS-B costs about 50 us an iteration beyond the gradient (its
wrappers, bounds logic and callback), a quarter of a gradient of digits
(1,797 x 64, 10 classes). Here the direction is the compact form of the
inverse Hessian (Byrd, Nocedal and Schnabel 1994, eq. 3.1) from a few
BLAS-2 products with the stored pairs and two triangular m x m solves, and
the line search is a backtracking one on the Armijo condition, with cubic
interpolation, that L-BFGS's unit step nearly always satisfies.

Nothing here knows the objective's structure: ``value_gradient`` maps a
float64 vector to ``(value, gradient)``.
"""

import numpy as np

__all__ = ["InverseHessian", "line_search"]

# Armijo's sufficient decrease (Nocedal and Wright's usual 1e-4).
_ARMIJO = 1e-4
# Trial steps per line search before it is declared failed.
_MAX_TRIALS = 30
# A backtracked step stays within [0.1, 0.5] of the last one.
_SHRINK_RANGE = (0.1, 0.5)


class InverseHessian:
    """L-BFGS's approximation of the inverse Hessian from its last ``memory``
    pairs ``s = x_new - x``, ``y = g_new - g``, applied in compact form.

    The pairs live in ring buffers (no copy of them when the oldest goes);
    the small matrices of the compact form are kept in chronological order
    and updated one pair at a time: ``R^-1`` (``R`` the upper triangle of
    ``S^T Y``, whose inverse gains a column and loses its first row and
    column as ``R`` does) and ``Y^T Y``.

    Parameters
    ----------
    n : int
        Length of the vectors.
    memory : int
        Pairs kept (the oldest is replaced when full).
    """

    def __init__(self, n, memory):
        self._S = np.zeros((memory, n))
        self._Y = np.zeros((memory, n))
        self.reset()

    @property
    def n_pairs(self):
        """Pairs held."""
        return self._order.size

    def reset(self):
        """Forget every pair."""
        self._order = np.zeros(0, dtype=np.intp)  # slots, oldest first
        self._R_inverse = np.zeros((0, 0))
        self._YY = np.zeros((0, 0))
        self._diagonal = np.zeros(0)  # s_i . y_i
        self._scale = 1.0  # gamma = s.y / y.y of the newest pair

    def update(self, s, y):
        """Store the pair ``(s, y)``; skipped (returns False) unless
        ``s . y`` is positive beyond rounding, which keeps the approximation
        positive definite."""
        sy = float(s @ y)
        yy = float(y @ y)
        if not (sy > 1e-10 * np.sqrt(float(s @ s) * yy)):
            return False
        keep = slice(1, None) if self.n_pairs == self._S.shape[0] else slice(None)
        slot = self._order[0] if keep.start else self.n_pairs
        order = self._order[keep]
        R_inverse, YY = self._R_inverse[keep, keep], self._YY[keep, keep]
        column = (self._S @ y)[order]  # s_i . y for the pairs kept
        yy_column = (self._Y @ y)[order]
        k = order.size
        self._R_inverse = np.zeros((k + 1, k + 1))
        self._R_inverse[:k, :k] = R_inverse
        self._R_inverse[:k, k] = -(R_inverse @ column) / sy
        self._R_inverse[k, k] = 1.0 / sy
        self._YY = np.empty((k + 1, k + 1))
        self._YY[:k, :k] = YY
        self._YY[:k, k] = self._YY[k, :k] = yy_column
        self._YY[k, k] = yy
        self._diagonal = np.append(self._diagonal[keep], sy)
        self._order = np.append(order, slot)
        self._S[slot] = s
        self._Y[slot] = y
        self._scale = sy / yy
        return True

    def direction(self, gradient):
        """``-H gradient``: the quasi-Newton step.

        With ``S``, ``Y`` the pairs as columns (oldest first), ``R`` the
        upper triangle of ``S^T Y``, ``D`` its diagonal and ``gamma`` the
        initial scale, ``H g = gamma (g - Y p) + S u`` where
        ``p = R^-1 S^T g`` and ``u = R^-T ((D + gamma Y^T Y) p - gamma Y^T g)``.
        """
        gamma = self._scale
        if not self.n_pairs:
            return -gamma * gradient
        order = self._order
        p = self._R_inverse @ (self._S @ gradient)[order]
        inner = self._diagonal * p
        inner += gamma * (self._YY @ p - (self._Y @ gradient)[order])
        u = inner @ self._R_inverse
        u_slots = np.zeros(self._S.shape[0])
        p_slots = np.zeros(self._S.shape[0])
        u_slots[order] = u
        p_slots[order] = p
        step = gradient - p_slots @ self._Y
        step *= gamma
        step += u_slots @ self._S
        return -step


def line_search(value_gradient, x, value, gradient, direction, step=1.0):
    """A step along ``direction`` with Armijo's sufficient decrease.

    Tries ``step`` first (L-BFGS's unit step nearly always passes), then
    backtracks to the minimum of the cubic through the last two trials'
    values and slopes, kept within ``_SHRINK_RANGE`` of the last step.

    Parameters
    ----------
    value_gradient : callable
        ``x -> (value, gradient)``; a non-finite value counts as too far.
    x : ndarray
        The current point (not modified).
    value : float
    gradient : ndarray
        The value and gradient at ``x``.
    direction : ndarray
        A descent direction (``gradient . direction < 0``).
    step : float, default=1.0
        The first trial step.

    Returns
    -------
    accepted : tuple or None
        ``(x_new, value_new, gradient_new, step)``, or None if no trial
        passed (the direction is no descent, or rounding hides it).
    """
    slope = float(gradient @ direction)
    if not slope < 0:
        return None
    low, high = _SHRINK_RANGE
    for _ in range(_MAX_TRIALS):
        trial = x + step * direction
        new_value, new_gradient = value_gradient(trial)
        if not np.isfinite(new_value):  # far beyond: shrink the most
            step *= low
            continue
        if new_value <= value + _ARMIJO * step * slope:
            return trial, new_value, new_gradient, step
        shorter = _cubic_minimizer(
            value, slope, step, new_value, float(new_gradient @ direction)
        )
        step = min(max(shorter, low * step), high * step)
    return None


def _cubic_minimizer(value, slope, step, new_value, new_slope):
    """The minimizer over ``[0, step]`` of the cubic with the given values
    and slopes at 0 and ``step`` (Nocedal and Wright, eq. 3.59); the
    midpoint where rounding leaves it undefined."""
    theta = 3 * (value - new_value) / step + slope + new_slope
    discriminant = theta * theta - slope * new_slope
    gamma = np.sqrt(max(discriminant, 0.0))
    denominator = new_slope - slope + 2 * gamma
    if not (np.isfinite(gamma) and denominator > 0):
        return 0.5 * step
    return step - step * (new_slope + gamma - theta) / denominator
