"""Numerical gradients and the gradient check.

The lecture's advice: always use the analytic gradient, but check it against
a numerical one. :func:`numerical_gradient` uses centered differences
:math:`(f(x + h) - f(x - h)) / 2h`, whose error is :math:`O(h^2)` instead of
the one-sided formula's :math:`O(h)`; :func:`gradient_check` compares the two
and reports the largest relative error
:math:`|a - n| / \\max(|a| + |n|, \\epsilon)`.
"""

from dataclasses import dataclass
from numbers import Real

import numpy as np

from ._sklearn_compat import Interval, validate_params

__all__ = ["numerical_gradient", "gradient_check", "GradientCheckResult"]


@validate_params(
    {
        "f": [callable],
        "x": ["array-like"],
        "h": [Interval(Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def numerical_gradient(f, x, h=1e-5):
    """Gradient of a scalar function by centered differences.

    Each coordinate of ``x`` is moved by ``+h`` and ``-h`` in place (so ``f``
    sees the array it closes over change) and restored afterwards, even if
    ``f`` raises. The difference is divided by the step ``x`` actually took,
    which rounding to ``x``'s dtype can make differ from ``2h``.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``, the function to differentiate.
    x : ndarray of float
        Point at which to evaluate the gradient. It is modified during the
        call and restored to its original values before returning.
    h : float, default=1e-5
        Step of the finite difference.

    Returns
    -------
    grad : ndarray of float64, same shape as ``x``

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, -2.0, 3.0])
    >>> numerical_gradient(lambda v: float(np.sum(v ** 2)), x).round(6)
    array([ 2., -4.,  6.])
    >>> x  # restored
    array([ 1., -2.,  3.])
    """
    _check_perturbable(x)
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        old_value = x[index]
        try:
            x[index] = old_value + h
            above = float(x[index])
            f_plus = float(f(x))
            x[index] = old_value - h
            below = float(x[index])
            f_minus = float(f(x))
        finally:
            x[index] = old_value
        # Divide by the step x actually took: in x's precision x +- h is
        # rounded, and 2h would be wrong (by 24% at 100 in float32).
        if above == below:
            in_float64 = "" if x.dtype.itemsize >= 8 else ", or x.astype(np.float64)"
            raise ValueError(
                f"h={h} is below the precision of x at index {index} (value "
                f"{float(old_value):g}, {x.dtype}): x + h rounds to x. Use a "
                f"larger h{in_float64}."
            )
        grad[index] = (f_plus - f_minus) / (above - below)
    return grad


def _check_perturbable(x):
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(
            "x must be a floating point numpy array (it is perturbed in place), "
            f"got {type(x).__name__}"
            + (f" of dtype {x.dtype}" if isinstance(x, np.ndarray) else "")
            + "."
        )
    if not x.flags.writeable:
        raise ValueError("x must be writeable: it is perturbed in place.")


@dataclass(frozen=True)
class GradientCheckResult:
    """Outcome of :func:`gradient_check`.

    Attributes
    ----------
    max_relative_error : float
        Largest relative error over all coordinates.
    worst_index : tuple of int
        Coordinate where it occurs.
    analytic : ndarray
        The analytic gradient that was checked.
    numerical : ndarray
        The numerical gradient it was compared to.
    passed : bool
        Whether ``max_relative_error <= tol``.
    """

    max_relative_error: float
    worst_index: tuple
    analytic: np.ndarray
    numerical: np.ndarray
    passed: bool

    def __bool__(self):
        return self.passed


def gradient_check(f, x, grad=None, h=1e-5, tol=1e-6, atol=None):
    """Compare an analytic gradient with a numerical one.

    Parameters
    ----------
    f : callable
        Either ``f(x) -> (value, gradient)`` (as the losses in
        :mod:`sklinear.losses` return) or ``f(x) -> value`` together with
        ``grad``.
    x : ndarray of float
        Point of the check. It is perturbed during the call and restored.
    grad : callable or ndarray, default=None
        The analytic gradient at ``x``, or a function ``grad(x)`` giving it.
        When None, ``f`` must return ``(value, gradient)``.
    h : float, default=1e-5
        Finite-difference step.
    tol : float, default=1e-6
        Largest relative error that still passes. Around 1e-7 is typical for
        smooth functions in float64; kinks (hinge, L1 at zero) crossed by
        ``x +- h`` give larger errors at those coordinates.
    atol : float, default=None
        Absolute differences up to ``atol`` count as agreement (relative error
        0), so that coordinates whose true gradient is zero do not fail on
        rounding noise. None uses the rounding error of a centered difference,
        ``100 * eps * max(|f(x)|, 1) / h`` (about 2e-9 for ``f`` near 1).

    Returns
    -------
    result : GradientCheckResult
        Truthy when the check passed.

    Examples
    --------
    >>> import numpy as np
    >>> from sklinear.gradient_check import gradient_check
    >>> from sklinear.losses import softmax_loss
    >>> rng = np.random.default_rng(0)
    >>> scores, y = rng.normal(size=(4, 3)), np.array([0, 2, 1, 1])
    >>> result = gradient_check(lambda s: softmax_loss(s, y), scores)
    >>> result.passed, result.max_relative_error < 1e-8
    (True, True)
    """
    _check_perturbable(x)
    if x.dtype.itemsize < 8:
        raise ValueError(
            f"gradient_check needs a float64 x, got {x.dtype}: in lower precision "
            "the finite differences are dominated by rounding error and a correct "
            "gradient fails. Check at x.astype(np.float64)."
        )
    if grad is None:
        value_and_grad = f(x)
        if not (isinstance(value_and_grad, tuple) and len(value_and_grad) == 2):
            raise ValueError(
                "f must return (value, gradient) when grad is None; pass grad= "
                "for a function that returns only its value."
            )
        f_x = float(value_and_grad[0])
        analytic = np.array(value_and_grad[1], dtype=np.float64)

        def value(v):
            return f(v)[0]
    else:
        analytic = np.array(grad(x) if callable(grad) else grad, dtype=np.float64)
        value = f
        f_x = float(value(x))
    if atol is None:
        atol = 100 * np.finfo(np.float64).eps * max(abs(f_x), 1.0) / h
    if analytic.shape != x.shape:
        raise ValueError(
            f"The analytic gradient has shape {analytic.shape}, expected "
            f"x's shape {x.shape}."
        )
    numerical = numerical_gradient(value, x, h=h)
    denominator = np.maximum(np.abs(analytic) + np.abs(numerical), 1e-12)
    difference = np.abs(analytic - numerical)
    relative = np.where(difference <= atol, 0.0, difference / denominator)
    worst = np.unravel_index(int(np.argmax(relative)), x.shape) if x.size else ()
    max_error = float(relative.max()) if x.size else 0.0
    return GradientCheckResult(
        max_relative_error=max_error,
        worst_index=tuple(int(i) for i in worst),
        analytic=analytic,
        numerical=numerical,
        passed=max_error <= tol,
    )
