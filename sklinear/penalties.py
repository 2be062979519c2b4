"""Regularization penalties :math:`R(W)` on a weight matrix.

A penalty knows its value, its (sub)gradient and its proximal operator; the
optimizers combine them with a data loss. The objective minimized by the
estimators is ``mean loss + alpha * R(W)``, and the intercept is never
penalized. In the lecture's notation :math:`L = \\frac1N\\sum_i L_i +
\\lambda R(W)`, ``alpha`` *is* :math:`\\lambda` for ``'l1'``; for ``'l2'`` the
factor 1/2 of :class:`L2` makes :math:`\\lambda = \\alpha / 2` (the lecture's
:math:`R(W) = \\sum W^2`).

Smooth penalties (:class:`L2`) are applied through their gradient; the ones
with an L1 part are applied by their proximal step (soft thresholding), which
sets weights to exact zeros instead of making them hover around zero.
:class:`MaxNorm` adds to any of them a bound on the L2 norm of each class row
of ``W`` (the indicator of a ball, applied by its proximal step too).

Examples
--------
>>> import numpy as np
>>> from sklinear.penalties import make_penalty
>>> W = np.array([[0.5, -2.0], [0.05, 1.0]])
>>> penalty = make_penalty("l1", alpha=0.1)
>>> penalty.value(W)  # 0.1 * (0.5 + 2 + 0.05 + 1)
0.355
>>> penalty.prox(W, step=1.0)  # soft thresholding by step * alpha
array([[ 0.4, -1.9],
       [ 0. ,  0.9]])
"""

import numbers

import numpy as np

from ._ball import project_rows_in_metric, row_norms

__all__ = [
    "Penalty",
    "NoPenalty",
    "L2",
    "L1",
    "ElasticNet",
    "MaxNorm",
    "make_penalty",
    "project_max_norm",
]


class Penalty:
    """What every penalty provides; the base of the penalties below.

    Attributes
    ----------
    smooth : bool
        Whether the optimizers apply it through its gradient (True) or its
        proximal step (False).
    l2_strength : float
        The coefficient of :math:`\\frac12\\|W\\|_F^2` in ``alpha * R``: what
        the penalty adds to the curvature of the objective (the safe step
        size of :meth:`sklinear.objective.LinearObjective.curvature`).
    max_norm : float or None
        The bound on the L2 norm of each class row of ``W`` (see
        :class:`MaxNorm`); None on the unbounded penalties.
    """

    smooth = True
    l2_strength = 0.0
    max_norm = None

    def value(self, W):
        """The penalty ``alpha * R(W)``.

        Parameters
        ----------
        W : ndarray of shape (n_classes, n_features)
            Weights (intercepts excluded).

        Returns
        -------
        value : float
        """
        raise NotImplementedError(f"{type(self).__name__} must define value(W).")

    def gradient(self, W):
        """The (sub)gradient of ``alpha * R`` at ``W``.

        Parameters
        ----------
        W : ndarray of shape (n_classes, n_features)
            Weights (intercepts excluded).

        Returns
        -------
        gradient : ndarray of the shape and dtype of ``W``
        """
        raise NotImplementedError(f"{type(self).__name__} must define gradient(W).")

    def prox(self, W, step):
        """Proximal step of ``step * alpha * R``.

        Parameters
        ----------
        W : ndarray of shape (n_classes, n_features)
            Weights after a gradient step.
        step : float or ndarray of shape (n_features,)
            Step size, per feature with a diagonal preconditioner.

        Returns
        -------
        W : ndarray of the shape and dtype of ``W``
            ``argmin_V step * alpha * R(V) + 1/2 ||V - W||^2`` (a new array,
            or ``W`` itself when there is nothing to do).
        """
        raise NotImplementedError(f"{type(self).__name__} must define prox(W, step).")


class NoPenalty(Penalty):
    """No regularization: :math:`R(W) = 0`."""

    def value(self, W):
        return 0.0

    def gradient(self, W):
        return np.zeros_like(W)

    def prox(self, W, step):
        return W

    def __repr__(self):
        return "NoPenalty()"


class L2(Penalty):
    """Ridge penalty :math:`\\alpha \\cdot \\frac12 \\|W\\|_F^2`.

    Parameters
    ----------
    alpha : float
        Regularization strength (non-negative).
    """

    smooth = True

    def __init__(self, alpha):
        self.alpha = alpha

    @property
    def l2_strength(self):
        return self.alpha

    def value(self, W):
        return 0.5 * self.alpha * float(np.vdot(W, W))

    def gradient(self, W):
        return W.dtype.type(self.alpha) * W

    def prox(self, W, step):
        return W / np.asarray(1.0 + step * self.alpha, dtype=W.dtype)

    def __repr__(self):
        return f"L2(alpha={self.alpha})"


class L1(Penalty):
    """Lasso penalty :math:`\\alpha \\|W\\|_1`, applied by soft thresholding.

    Parameters
    ----------
    alpha : float
        Regularization strength (non-negative).
    """

    smooth = False

    def __init__(self, alpha):
        self.alpha = alpha

    def value(self, W):
        return self.alpha * float(np.abs(W).sum(dtype=np.float64))

    def gradient(self, W):
        """Subgradient ``alpha * sign(W)`` (zero at zero)."""
        return W.dtype.type(self.alpha) * np.sign(W)

    def prox(self, W, step):
        return _soft_threshold(W, step * self.alpha)

    def __repr__(self):
        return f"L1(alpha={self.alpha})"


class ElasticNet(Penalty):
    """Elastic net :math:`\\alpha(\\rho\\|W\\|_1 + \\frac{1-\\rho}{2}\\|W\\|_F^2)`.

    Parameters
    ----------
    alpha : float
        Regularization strength (non-negative).
    l1_ratio : float
        The mixing :math:`\\rho` in [0, 1]; 1 is :class:`L1`, 0 is :class:`L2`.
    """

    smooth = False

    def __init__(self, alpha, l1_ratio):
        self.alpha = alpha
        self.l1_ratio = l1_ratio

    @property
    def l2_strength(self):
        return self.alpha * (1.0 - self.l1_ratio)

    def value(self, W):
        l1 = float(np.abs(W).sum(dtype=np.float64))
        l2 = 0.5 * float(np.vdot(W, W))
        return self.alpha * (self.l1_ratio * l1 + (1.0 - self.l1_ratio) * l2)

    def gradient(self, W):
        """Subgradient (zero at zero for the L1 part)."""
        l1 = self.alpha * self.l1_ratio
        l2 = self.alpha * (1.0 - self.l1_ratio)
        return W.dtype.type(l1) * np.sign(W) + W.dtype.type(l2) * W

    def prox(self, W, step):
        l1 = step * self.alpha * self.l1_ratio
        l2 = step * self.alpha * (1.0 - self.l1_ratio)
        return _soft_threshold(W, l1) / np.asarray(1.0 + l2, dtype=W.dtype)

    def __repr__(self):
        return f"ElasticNet(alpha={self.alpha}, l1_ratio={self.l1_ratio})"


class MaxNorm(Penalty):
    """A penalty, with each class row of ``W`` bounded in L2 norm.

    :math:`R(W) + \\iota(W)`: the inner penalty :math:`R` plus the indicator
    :math:`\\iota` of the max-norm ball, 0 where every row has
    :math:`\\|W_c\\|_2 \\le M` and ``inf`` elsewhere. Its gradient and
    curvature are the inner penalty's (those of its smooth part); the bound
    acts through :meth:`prox`, the inner proximal step followed by the
    projection of each row onto the ball.

    Parameters
    ----------
    penalty : Penalty
        The inner penalty: :class:`NoPenalty`, :class:`L2`, :class:`L1` or
        :class:`ElasticNet` (one without a ``max_norm`` of its own).
    max_norm : float
        The radius :math:`M` (positive, finite).

    Attributes
    ----------
    smooth : bool
        Always False: the optimizers apply the bound (and, with it, the inner
        penalty, an L2 one too) by the proximal step after every step.

    Notes
    -----
    The composition is the exact proximal step of ``R + iota`` for the four
    penalties above. The ball constrains each row separately in L2 norm, so
    take one row ``w`` and a scalar step ``s``; with :math:`R = a_1\\|v\\|_1
    + \\frac{a_2}2\\|v\\|^2` (elastic net, the others being special
    cases) the inner step is :math:`u = \\mathrm{soft}(w, s a_1) / (1 + s
    a_2)`, and the projection :math:`v = c u` with :math:`c = \\min(1,
    M/\\|u\\|) > 0`. ``v`` has the signs and zeros of ``u``, so the L1
    subgradient of ``u`` is one of ``v``, and the optimality of ``u`` gives
    :math:`v - w + s\\,\\partial R(v) \\ni -(1 - c)(1 + s a_2) u`, minus
    a non-negative multiple of ``v``: an element of minus the ball's normal
    cone at ``v`` (0 inside). That is the optimality condition of the proximal
    step of ``s (R + iota)`` (the classic sparse-group-lasso result).

    With per-feature steps :math:`p_j` (the metric :math:`\\sum_j (v_j -
    w_j)^2 / p_j`), the exact step is :math:`v_j = \\mathrm{soft}(w_j, p_j
    a_1) / (1 + p_j (a_2 + \\lambda))` with :math:`\\lambda \\ge 0` the
    multiplier of the bound: the projection of ``u`` in the metric of
    :math:`q_j = p_j / (1 + p_j a_2)`, which is what :meth:`prox` does.
    Projecting in the metric of the steps :math:`p_j` themselves would be
    exact only without an L2 part or with equal steps. Another inner penalty
    gets the same composition (with its ``l2_strength`` as :math:`a_2`), its
    exact proximal step only where the argument above applies to it.

    Examples
    --------
    >>> import numpy as np
    >>> from sklinear.penalties import L1, MaxNorm
    >>> penalty = MaxNorm(L1(alpha=0.5), max_norm=1.0)
    >>> W = np.array([[3.5, 4.5], [0.5, -0.75]])
    >>> penalty.prox(W, step=1.0)  # soft thresholding, then into the ball
    array([[ 0.6 ,  0.8 ],
           [ 0.  , -0.25]])
    >>> penalty.value(np.array([[0.5, 0.5]])), penalty.value(np.array([[3.0, 4.0]]))
    (0.5, inf)
    """

    smooth = False

    def __init__(self, penalty, max_norm):
        if not isinstance(penalty, Penalty) or penalty.max_norm is not None:
            raise ValueError(
                "MaxNorm wraps a penalty without a max_norm of its own (NoPenalty, "
                f"L2, L1, ElasticNet), got {penalty!r}."
            )
        if not (_is_real(max_norm) and np.isfinite(max_norm) and max_norm > 0):
            raise ValueError(
                f"max_norm must be a positive, finite number or None, got {max_norm!r}."
            )
        self.penalty = penalty
        self.max_norm = max_norm

    @property
    def l2_strength(self):
        return self.penalty.l2_strength

    def value(self, W):
        """The inner penalty, or ``inf`` where a row of ``W`` exceeds ``max_norm``."""
        if _outside_ball(W, self.max_norm):
            return np.inf
        return self.penalty.value(W)

    def gradient(self, W):
        """The inner penalty's (sub)gradient (the bound has none inside)."""
        return self.penalty.gradient(W)

    def prox(self, W, step):
        inner = self.penalty.prox(W, step)
        if inner is W:  # project_max_norm works in place: not on the caller's W
            inner = W.copy()
        step = np.asarray(step)
        metric = None if step.ndim == 0 else step / (1.0 + step * self.l2_strength)
        return project_max_norm(inner, self.max_norm, metric)

    def __repr__(self):
        return f"MaxNorm({self.penalty!r}, max_norm={self.max_norm})"


def _outside_ball(W, max_norm):
    """Whether a row of ``W`` is longer than ``max_norm``, beyond rounding.

    Rows projected in the weights' own precision may exceed the radius by its
    last digit: that much (4 eps of float32 at least) is rounding, not
    infeasibility. The duality gap (:mod:`sklinear._duality`) uses the same
    rule.
    """
    W = np.asarray(W)
    slack = 4 * np.finfo(np.result_type(W.dtype, np.float32)).eps
    norms = np.linalg.norm(np.asarray(W, dtype=np.float64), axis=1)
    return bool(norms.max(initial=0.0) > max_norm * (1 + slack))


def _soft_threshold(W, threshold):
    threshold = np.asarray(threshold, dtype=W.dtype)
    return np.sign(W) * np.maximum(np.abs(W) - threshold, 0)


def make_penalty(penalty, alpha, l1_ratio=0.15, max_norm=None):
    """Build a penalty object from an estimator's parameters.

    Parameters
    ----------
    penalty : {'l2', 'l1', 'elasticnet'} or None
        Which penalty; None (or ``alpha == 0``) means no penalty.
    alpha : float
        Regularization strength.
    l1_ratio : float, default=0.15
        Elastic net mixing, used only for ``'elasticnet'``.
    max_norm : float, default=None
        Bound on the L2 norm of each class row of ``W``: the penalty is then
        wrapped in :class:`MaxNorm`.

    Returns
    -------
    penalty : NoPenalty, L2, L1, ElasticNet or MaxNorm

    Raises
    ------
    ValueError
        If a parameter is out of its range (``max_norm`` must be a positive,
        finite number or None).

    Examples
    --------
    >>> make_penalty("l2", alpha=0.1, max_norm=2.0)
    MaxNorm(L2(alpha=0.1), max_norm=2.0)
    """
    if not (isinstance(penalty, (str, type(None))) and penalty in _PENALTIES):
        raise ValueError(
            f"penalty must be 'l2', 'l1', 'elasticnet' or None, got {penalty!r}."
        )
    if not (_is_real(alpha) and np.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"alpha must be a non-negative number, got {alpha!r}.")
    if not (_is_real(l1_ratio) and 0 <= l1_ratio <= 1):
        raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio!r}.")
    if penalty is None or alpha == 0:
        unbounded = NoPenalty()
    elif penalty == "elasticnet":
        unbounded = ElasticNet(alpha, l1_ratio)
    else:
        unbounded = _PENALTIES[penalty](alpha)
    return unbounded if max_norm is None else MaxNorm(unbounded, max_norm)


_PENALTIES = {None: NoPenalty, "l2": L2, "l1": L1, "elasticnet": ElasticNet}


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def project_max_norm(W, max_norm, step_scale=None):
    """Scale each row of ``W`` (one class) into the L2 ball of radius ``max_norm``.

    Works in place on ``W`` (the optimizer's own weights) and returns it.

    Parameters
    ----------
    W : ndarray of shape (n_classes, n_features)
        Weights, modified in place.
    max_norm : float
        Radius of the ball (positive).
    step_scale : ndarray of shape (n_features,), default=None
        Per-feature step multipliers ``p`` of a diagonal preconditioner. The
        projection is then the nearest point of the ball in the metric of
        those steps, :math:`\\sum_j (w_j - v_j)^2 / p_j`, so that
        preconditioned projected gradient descent converges to the
        constrained minimizer: ``w_j = v_j / (1 + lambda p_j)``, with
        ``lambda`` found by Newton's method. None (or equal multipliers) is
        the plain rescaling of the row.

    Returns
    -------
    W : ndarray
        The same array, every row of norm at most ``max_norm``.

    Examples
    --------
    >>> import numpy as np
    >>> project_max_norm(np.array([[3.0, 4.0], [0.3, 0.4]]), max_norm=1.0)
    array([[0.6, 0.8],
           [0.3, 0.4]])
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be positive, got {max_norm!r}.")
    if step_scale is not None:
        step_scale = np.asarray(step_scale)
        if not (np.all(np.isfinite(step_scale)) and np.all(step_scale > 0)):
            raise ValueError(
                "step_scale must hold positive, finite step multipliers (a "
                "feature with a zero step could not move back into the ball)."
            )
    norms = row_norms(W)
    outside = norms > max_norm
    if step_scale is not None and outside.any() and np.ptp(step_scale) > 0:
        rows = W[outside]
        # The projection commutes with scaling a row and the radius alike:
        # rows scaled to a largest entry of 1 cannot overflow when squared.
        largest = np.max(np.abs(rows), axis=1, keepdims=True)
        with np.errstate(all="ignore"):
            unit_rows = project_rows_in_metric(
                rows / largest, max_norm / largest, step_scale
            )
        # Multipliers spanning more than the dtype's range (a feature that
        # cannot move, in effect): the plain rescaling below is left for it.
        failed = ~np.all(np.isfinite(unit_rows), axis=1)
        unit_rows[failed] = rows[failed] / largest[failed]
        W[outside] = unit_rows * largest
        norms = row_norms(W)
    # A plain rescaling, or the last rounding of the metric projection.
    scale = np.minimum(1.0, max_norm / np.maximum(norms, np.finfo(W.dtype).tiny))
    W *= scale[:, None].astype(W.dtype, copy=False)
    return W
