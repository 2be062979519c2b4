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

__all__ = [
    "Penalty",
    "NoPenalty",
    "L2",
    "L1",
    "ElasticNet",
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
    """

    smooth = True
    l2_strength = 0.0

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


def _soft_threshold(W, threshold):
    threshold = np.asarray(threshold, dtype=W.dtype)
    return np.sign(W) * np.maximum(np.abs(W) - threshold, 0)


def make_penalty(penalty, alpha, l1_ratio=0.15):
    """Build a penalty object from an estimator's ``penalty`` parameter.

    Parameters
    ----------
    penalty : {'l2', 'l1', 'elasticnet'} or None
        Which penalty; None (or ``alpha == 0``) means no penalty.
    alpha : float
        Regularization strength.
    l1_ratio : float, default=0.15
        Elastic net mixing, used only for ``'elasticnet'``.

    Returns
    -------
    penalty : NoPenalty, L2, L1 or ElasticNet
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
        return NoPenalty()
    if penalty == "elasticnet":
        return ElasticNet(alpha, l1_ratio)
    return _PENALTIES[penalty](alpha)


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
    norms = _row_norms(W)
    outside = norms > max_norm
    if step_scale is not None and outside.any() and np.ptp(step_scale) > 0:
        rows = W[outside]
        # The projection commutes with scaling a row and the radius alike:
        # rows scaled to a largest entry of 1 cannot overflow when squared.
        largest = np.max(np.abs(rows), axis=1, keepdims=True)
        with np.errstate(all="ignore"):
            unit_rows = _project_rows_in_metric(
                rows / largest, max_norm / largest, step_scale
            )
        # Multipliers spanning more than the dtype's range (a feature that
        # cannot move, in effect): the plain rescaling below is left for it.
        failed = ~np.all(np.isfinite(unit_rows), axis=1)
        unit_rows[failed] = rows[failed] / largest[failed]
        W[outside] = unit_rows * largest
        norms = _row_norms(W)
    # A plain rescaling, or the last rounding of the metric projection.
    scale = np.minimum(1.0, max_norm / np.maximum(norms, np.finfo(W.dtype).tiny))
    W *= scale[:, None].astype(W.dtype, copy=False)
    return W


def _row_norms(W):
    norms = np.sqrt(np.einsum("ij,ij->i", W, W))
    if np.all(np.isfinite(norms)):
        return norms
    # Squares overflowed: scale each row to a largest entry of 1 first.
    largest = np.max(np.abs(W), axis=1)
    safe = np.where(largest > 0, largest, 1.0)
    scaled = W / safe[:, None]
    return safe * np.sqrt(np.einsum("ij,ij->i", scaled, scaled))


def _project_rows_in_metric(rows, radius, step_scale, n_newton=50):
    """Rows ``v / (1 + lambda p)`` of norm ``radius``, one ``lambda`` per row.

    Newton's method on ``1 / ||w(lambda)|| - 1 / radius``, which is nearly
    linear in ``lambda`` (as in trust-region solvers). It starts from the
    exact ``lambda`` for the ``v^2``-weighted mean multiplier, which by
    Jensen's inequality is at most the root, so the iterates increase
    monotonically to it (two or three steps).
    """
    # In the weights' precision (float32 halves the memory traffic); the
    # caller's final rescaling makes up for the rounding of the norm. Scaling
    # all multipliers alike only rescales lambda: the largest becomes 1.
    step_scale = (step_scale / np.max(step_scale)).astype(rows.dtype)
    radius = np.broadcast_to(np.asarray(radius, dtype=np.float64), (len(rows), 1))
    v2 = np.square(rows)
    v2_scaled = v2 * step_scale
    norm_sq = np.sum(v2, axis=1, keepdims=True)
    mean_scale = np.sum(v2_scaled, axis=1, keepdims=True) / norm_sq
    lam = (np.sqrt(norm_sq) / radius - 1.0) / mean_scale
    # Two work arrays for the whole loop: fresh temporaries this size cost
    # more in allocation than in arithmetic.
    shrink, shrink_power = np.empty_like(v2), np.empty_like(v2)
    tolerance = 10 * np.finfo(rows.dtype).eps * radius
    for _ in range(n_newton):
        np.multiply(lam, step_scale, out=shrink)
        shrink += 1.0
        np.reciprocal(shrink, out=shrink)
        np.multiply(shrink, shrink, out=shrink_power)
        norm_sq = np.einsum("ij,ij->i", v2, shrink_power)[:, None]
        shrink_power *= shrink
        slope = np.einsum("ij,ij->i", v2_scaled, shrink_power)[:, None]
        # h = 1/norm - 1/radius has the slope dh/dlambda = slope / norm^3.
        norm = np.sqrt(norm_sq)
        lam -= (1.0 / norm - 1.0 / radius) * norm_sq * norm / slope
        if np.all(np.abs(norm - radius) <= tolerance):
            break
    np.multiply(lam, step_scale, out=shrink)
    shrink += 1.0
    return np.divide(rows, shrink, out=shrink)
