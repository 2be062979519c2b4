"""The classifiers' objective in any array API namespace.

The same objective as the NumPy estimators, with normalized sample weights
``a_i`` (summing to one)::

    F(W, b) = sum_i a_i L_i(W x_i + b) + alpha_l1 ||W||_1 + alpha_l2 / 2 ||W||_F^2

subject to ``||W_k|| <= max_norm`` for every class row ``k`` when max-norm is
set. ``L_i`` is the Weston-Watkins hinge or the cross-entropy. Everything is
written with ``xp`` operations on the device of ``X``: no NumPy, no host copy.

With an intercept, the scores are computed from data centered on the weighted
mean row ``m`` without centering (copying) ``X``: ``s_i = W (x_i - m) + c``
is ``X @ W.T + (c - W m)``. This is the same model (``b = c - W m``) and the
same objective, since the intercept is not penalized, but much better
conditioned for raw (non-centered) features such as 0-255 pixels.
"""

import math

from .._sklearn_compat import device


class XpObjective:
    """Smooth part, penalty and proximal operator of the objective.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        Training data, float32 or float64; never copied.
    Y : array of shape (n_samples, n_classes)
        One-hot labels, in the dtype of ``X``.
    a : array of shape (n_samples,)
        Sample weights, non-negative, summing to one.
    loss : {'hinge', 'softmax'}
    alpha_l1, alpha_l2 : float
        Strengths of the L1 and (halved) squared L2 penalties.
    max_norm : float or None
        Radius of the ball each class row is projected onto.
    fit_intercept : bool
    margin : float
        The hinge margin.
    xp : namespace
    """

    def __init__(
        self, X, Y, a, *, loss, alpha_l1, alpha_l2, max_norm, fit_intercept, margin, xp
    ):
        self.X, self.Y, self.a, self.xp = X, Y, a, xp
        self.loss, self.margin = loss, float(margin)
        self.alpha_l1, self.alpha_l2 = float(alpha_l1), float(alpha_l2)
        self.max_norm, self.fit_intercept = max_norm, fit_intercept
        # The weighted mean row (a @ X: one pass, no copy of X).
        self.offset = a @ X if fit_intercept else None

    @property
    def n_classes(self):
        return self.Y.shape[1]

    def rows(self, rows, scale):
        """The objective of the rows ``rows`` (a slice: a view, no copy), its
        weights multiplied by ``scale``; the centering is kept."""
        part = object.__new__(XpObjective)
        vars(part).update(vars(self))
        part.X, part.Y, part.a = self.X[rows, ...], self.Y[rows, ...], self.a[rows]
        part.a = part.a * scale
        return part

    def scores(self, W, c):
        """``X @ W.T`` plus the intercept of the centered model."""
        S = self.X @ W.T
        if self.fit_intercept:
            S = S + (c - W @ self.offset)
        return S

    def intercept(self, W, c):
        """The intercept of the uncentered model, ``c - W m``."""
        if not self.fit_intercept:
            return self.xp.zeros_like(c)
        return c - W @ self.offset

    def loss_value(self, S, mu=0.0):
        """The weighted mean loss at scores ``S`` (a 0-d array), hinge smoothed
        with ``mu`` (``mu=0``: the exact hinge)."""
        return self._loss(S, mu, gradient=False)[0]

    def loss_and_dscores(self, S, mu=0.0):
        """The weighted mean loss and its gradient with respect to ``S``."""
        return self._loss(S, mu, gradient=True)

    def gradient(self, G):
        """The gradient in ``(W, c)`` from the score gradient ``G``."""
        xp = self.xp
        gW = G.T @ self.X
        gc = xp.sum(G, axis=0)
        if self.fit_intercept:
            # The centering: (X - m)^T G without forming X - m.
            gW = gW - gc[:, None] * self.offset[None, :]
        else:
            gc = xp.zeros_like(gc)
        return gW, gc

    def penalty(self, W):
        """``alpha_l1 ||W||_1 + alpha_l2 / 2 ||W||^2`` (a 0-d array)."""
        xp = self.xp
        value = xp.sum(W * W) * (0.5 * self.alpha_l2)
        if self.alpha_l1:
            value = value + xp.sum(xp.abs(W)) * self.alpha_l1
        return value

    def prox(self, W, step):
        """The proximal operator of ``step`` times the penalty and max-norm.

        Soft thresholding, then the L2 shrinkage, then the projection on the
        ball: each step is radial or preserves signs, so the composition is
        the exact proximal operator of the sum (its optimality conditions
        hold with the ball's multiplier ``1/scale - 1``).
        """
        xp = self.xp
        if self.alpha_l1:
            threshold = step * self.alpha_l1
            W = xp.sign(W) * xp.clip(xp.abs(W) - threshold, min=0.0)
        if self.alpha_l2:
            W = W / (1.0 + step * self.alpha_l2)
        if self.max_norm is not None:
            norms = xp.sqrt(xp.sum(W * W, axis=1, keepdims=True))
            safe = xp.where(norms > self.max_norm, norms, xp.ones_like(norms))
            W = W * xp.where(norms > self.max_norm, self.max_norm / safe, 1.0)
        return W

    def smoothing_gap(self, S, mu):
        """Exact minus smoothed loss at ``S``: at most ``(C - 1) mu / 2``."""
        if self.loss != "hinge" or mu == 0:
            return 0.0
        return float(self.loss_value(S) - self.loss_value(S, mu))

    def _loss(self, S, mu, gradient):
        if self.loss == "softmax":
            return self._softmax(S, gradient)
        return self._hinge(S, mu, gradient)

    def _softmax(self, S, gradient):
        xp, Y = self.xp, self.Y
        top = xp.max(S, axis=1, keepdims=True)
        E = xp.exp(S - top)
        Z = xp.sum(E, axis=1, keepdims=True)
        per_sample = top + xp.log(Z) - xp.sum(S * Y, axis=1, keepdims=True)
        value = xp.sum(self.a * per_sample[:, 0])
        if not gradient:
            return value, None
        return value, self.a[:, None] * (E / Z - Y)

    def _hinge(self, S, mu, gradient):
        """Weston-Watkins hinge; with ``mu > 0`` each ``max(0, z)`` is replaced
        by its Huber smoothing (``z^2 / 2mu`` on ``[0, mu]``, ``z - mu/2``
        above), whose gradient is ``1/mu``-Lipschitz."""
        xp, Y = self.xp, self.Y
        M = S - xp.sum(S * Y, axis=1, keepdims=True) + self.margin
        other = 1.0 - Y
        if mu > 0:
            slope = xp.clip(M / mu, min=0.0, max=1.0) * other
            per_sample = xp.sum(slope * (M - (0.5 * mu) * slope), axis=1)
        else:
            slope = xp.astype(M > 0, M.dtype) * other
            per_sample = xp.sum(slope * M, axis=1)
        value = xp.sum(self.a * per_sample)
        if not gradient:
            return value, None
        dS = slope - Y * xp.sum(slope, axis=1, keepdims=True)
        return value, self.a[:, None] * dS

    def curvature(self, n_iter=8):
        """An estimate of the loss gradient's Lipschitz constant in ``W``:
        the loss curvature times the largest eigenvalue of the weighted
        (centered) second-moment matrix, by power iteration (without mu).

        Only a starting guess for the backtracking, which corrects it either
        way: a few iterations (two passes over ``X`` each) suffice.
        """
        xp, X = self.xp, self.X
        # A fixed, non-random start: the same estimate on every run.
        v = xp.ones(X.shape[1], dtype=X.dtype, device=device(X))
        v = v / math.sqrt(X.shape[1])
        eigenvalue = 0.0
        for _ in range(n_iter):
            u = X @ v
            if self.fit_intercept:
                u = u - xp.sum(self.offset * v)
            w = u * self.a
            v = w @ X
            if self.fit_intercept:
                v = v - xp.sum(w) * self.offset
            eigenvalue = float(xp.sqrt(xp.sum(v * v)))
            if eigenvalue == 0:
                break
            v = v / eigenvalue
        # The intercept's column is orthogonal to the centered data in the
        # weighted inner product, and its own eigenvalue is sum(a) = 1.
        eigenvalue = max(eigenvalue, 1.0 if self.fit_intercept else 0.0)
        factor = 0.5 if self.loss == "softmax" else 1.0
        return factor * eigenvalue
