"""L-BFGS's memory and line search, lean enough for problems whose gradient
takes a fraction of a millisecond.

scipy's L-BFGS-B costs about 50 us an iteration beyond the gradient (its
wrappers, bounds logic and callback), a quarter of a gradient of digits
(1,797 x 64, 10 classes). Here the direction is the two-loop recursion in
compiled code, or without it the compact form of the inverse Hessian
(Byrd, Nocedal and Schnabel 1994, eq. 3.1) in NumPy: two products with the
stored pairs and a few with m x m matrices kept up to date. The line search
is a backtracking one on the Armijo condition, with cubic interpolation,
that L-BFGS's unit step nearly always satisfies.

Nothing here knows the objective's structure: ``value_gradient`` maps a
float64 vector to ``(value, gradient)``.
"""

import math

import numpy as np

try:  # the compiled two-loop recursion, part of the fused pass's module
    from .._fused import lbfgs_direction as _two_loop
except ImportError:  # not built (import sklinear warns): the compact form
    _two_loop = None

__all__ = [
    "InverseHessian",
    "first_step",
    "line_search",
    "pair_count",
    "pairs_affordable",
]

# Pairs L-BFGS and OWL-QN keep: _MEMORY while they take at most
# _MEMORY_BYTES, else _SMALL_MEMORY (scipy's default). With 20 pairs rather
# than 10, iterations to a 1e-3 gap on iris, wine, breast_cancer and digits
# at alpha 1e-4, 1e-3 and 5e-3 changed by -22% to +12% (fewer in 9 cases of
# 12, one more: breast cancer at 5e-3, 17 -> 19; digits: 75, 37, 25 -> 70,
# 35, 21); on dense 20,000 x 500 and float32 8,000 x 1,000 problems (alpha
# 1e-5 to 5e-3, tol 1e-3 and 1e-5) by -9% to +17% (3 of 16 fewer, one more:
# 60 -> 70).
_MEMORY = 20
_SMALL_MEMORY = 10
_MEMORY_BYTES = 64 * 2**20

# Armijo's sufficient decrease (Nocedal and Wright's usual 1e-4).
_ARMIJO = 1e-4
# Trial steps per line search before it is declared failed.
_MAX_TRIALS = 30
# A backtracked step stays within [0.1, 0.5] of the last one.
_SHRINK_RANGE = (0.1, 0.5)


class InverseHessian:
    """L-BFGS's approximation of the inverse Hessian from its last ``memory``
    pairs ``s = x_new - x``, ``y = g_new - g``.

    The pairs live in a ring, the ``s`` in the first ``memory`` rows of one
    array and the ``y`` in the others (no copy of the pairs when the oldest
    goes). The direction comes from the compiled two-loop recursion
    (``sklinear._fused.lbfgs_direction``, a few microseconds), or without
    it from the compact form in NumPy: one product gives every ``s_i . v``
    and ``y_i . v``, and the small matrices of the compact form are kept in
    chronological order and updated one pair at a time: ``R^-1`` (``R`` the
    upper triangle of ``S^T Y``; its inverse gains a column and loses its
    first row and column as ``R`` does) and ``Y^T Y``.

    Parameters
    ----------
    n : int
        Length of the vectors.
    memory : int
        Pairs kept (the oldest is replaced when full).
    compiled : bool, default=None
        Whether to use the compiled recursion; None: where it is built.
    """

    def __init__(self, n, memory, compiled=None):
        self._pairs = np.zeros((2 * memory, n))  # s_0..s_m-1, y_0..y_m-1
        self._memory = memory
        self._compiled = _two_loop is not None if compiled is None else compiled
        self._rho = np.zeros(memory)  # 1 / (s_i . y_i) by slot
        self._R_inverse = np.zeros((memory, memory))
        self._YY = np.zeros((memory, memory))
        self._diagonal = np.zeros(memory)  # s_i . y_i, oldest first
        # Slots oldest first are a window of this (a view: no array made
        # an iteration).
        self._ring = np.arange(2 * memory) % memory
        self.reset()

    @property
    def n_pairs(self):
        """Pairs held."""
        return self._count

    def reset(self):
        """Forget every pair."""
        self._count = 0
        self._oldest = 0  # the oldest pair's slot
        self._scale = 1.0  # gamma = s.y / y.y of the newest pair
        self._order()

    def _order(self):
        """Keep the pairs' slots, oldest first."""
        self._slots = self._ring[self._oldest : self._oldest + self._count]

    @property
    def _rows(self):
        """The kept pairs' rows of ``s`` and of ``y``, oldest first."""
        return self._slots, self._slots + self._memory

    def update(self, s, y):
        """Store the pair ``(s, y)``; skipped (returns False) unless
        ``s . y`` is positive beyond rounding, which keeps the approximation
        positive definite."""
        sy = float(s @ y)
        yy = float(y @ y)
        if not (sy > 1e-10 * math.sqrt(float(s @ s) * yy)):
            return False
        m, k = self._memory, self._count
        if k == m:  # the oldest goes
            self._oldest = (self._oldest + 1) % m
            k -= 1
            if not self._compiled:
                self._drop_oldest()
        self._count = k
        if not self._compiled:
            self._order()  # the pairs kept
            self._add_to_compact(y, sy, yy)
        slot = (self._oldest + k) % m
        self._pairs[slot] = s
        self._pairs[slot + m] = y
        self._rho[slot] = 1.0 / sy
        self._count = k + 1
        self._order()
        self._scale = sy / yy
        return True

    def _drop_oldest(self):
        """The compact form's matrices without their first row and column."""
        R_inverse, YY, diagonal = self._R_inverse, self._YY, self._diagonal
        R_inverse[:-1, :-1] = R_inverse[1:, 1:]
        YY[:-1, :-1] = YY[1:, 1:]
        diagonal[:-1] = diagonal[1:]

    def _add_to_compact(self, y, sy, yy):
        """The compact form's matrices with the pair ``(s, y)`` after the
        ``k`` kept (``s . y = sy``, ``y . y = yy``; not stored yet)."""
        k = self._count
        R_inverse, YY = self._R_inverse, self._YY
        s_rows, y_rows = self._rows
        products = self._pairs @ y  # s_i . y and y_i . y for every slot
        R_inverse[:k, k] = -(R_inverse[:k, :k] @ products[s_rows]) / sy
        R_inverse[k, : k + 1] = 0.0
        R_inverse[k, k] = 1.0 / sy
        YY[:k, k] = YY[k, :k] = products[y_rows]
        YY[k, k] = yy
        self._diagonal[k] = sy

    def direction(self, gradient):
        """``-H gradient``: the quasi-Newton step (``gradient`` float64).

        With ``S``, ``Y`` the pairs as columns (oldest first), ``R`` the
        upper triangle of ``S^T Y``, ``D`` its diagonal and ``gamma`` the
        initial scale, ``H g = gamma (g - Y p) + S u`` where
        ``p = R^-1 S^T g`` and ``u = R^-T ((D + gamma Y^T Y) p - gamma Y^T g)``
        (the compact form), the same as the two-loop recursion's.
        """
        gamma, k = self._scale, self._count
        if not k:
            return -gamma * gradient
        if self._compiled:
            step = np.empty_like(gradient)
            _two_loop(self._pairs, self._rho, self._slots, gamma, gradient, step)
            return step
        s_rows, y_rows = self._rows
        products = self._pairs @ gradient
        R_inverse = self._R_inverse[:k, :k]
        p = R_inverse @ products[s_rows]
        inner = self._diagonal[:k] * p
        inner += gamma * (self._YY[:k, :k] @ p - products[y_rows])
        coefficients = np.zeros(2 * self._memory)
        coefficients[s_rows] = -(inner @ R_inverse)
        coefficients[y_rows] = gamma * p
        step = coefficients @ self._pairs
        step -= gamma * gradient
        return step


def pair_count(n):
    """Pairs to keep for ``n`` unknowns (see ``_MEMORY``)."""
    return _MEMORY if 2 * _MEMORY * n * 8 <= _MEMORY_BYTES else _SMALL_MEMORY


def pairs_affordable(n, beside_bytes):
    """Whether the pairs kept for ``n`` unknowns take at most
    ``_MEMORY_BYTES`` or ``beside_bytes``, whichever is larger."""
    return 2 * pair_count(n) * n * 8 <= max(_MEMORY_BYTES, beside_bytes)


def first_step(gradient):
    """The first trial step along ``-gradient``: a unit move, as scipy's
    L-BFGS-B's is (L-BFGS's later steps start at 1)."""
    return min(1.0, 1.0 / max(math.sqrt(float(gradient @ gradient)), 1e-300))


def line_search(value_gradient, x, value, gradient, direction, step=1.0):
    """A step along ``direction`` with Armijo's sufficient decrease.

    Tries ``step`` first (L-BFGS's unit step nearly always passes), then
    backtracks to the minimum of the cubic with the values and slopes at 0
    and at the last trial, kept within ``_SHRINK_RANGE`` of the last step
    (a tenth of it after a non-finite value), at most ``_MAX_TRIALS``
    times.

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
        trial = x + direction if step == 1.0 else x + step * direction
        new_value, new_gradient = value_gradient(trial)
        if not math.isfinite(new_value):  # far beyond: shrink the most
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
