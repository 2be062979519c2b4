"""Snapshots: the best intercept for ``W``, certified by :mod:`sklinear._duality`.

The certificate itself (the dual point made feasible, its value, the gap) is
:func:`sklinear._duality.duality_gap`. This module adds what the solvers need
around it and ``_duality`` does not give:

* the best score shift (intercept) for ``W``, for the softmax and for the
  *smoothed* hinge (Newton's method on ``C`` numbers, no pass over X), which
  the driver moves the intercept to; ``_duality`` only builds a softmax dual
  point at that shift, not the shift itself;
* the score gradients there and ``sum_i f_i G_i x_i^T``, which refill the
  SAGA memory;
* for the smoothed hinge, the gap of the smoothed problem, which decides when
  the homotopy lowers ``mu``.

For the hinge the solver's own dual point (minus the smoothed-hinge gradient,
or the dual ascent's ``beta``) goes to ``duality_gap`` as ``theta``; for the
softmax ``duality_gap`` uses minus the gradient and its own best-intercept
point.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .. import _csr_products as csr_products
from .._duality import PreparedGap, penalty_arguments

__all__ = ["Certificate", "Snapshot", "best_shift", "move_intercept"]

# Where the smoothed hinge has no curvature the Newton step is unbounded: at
# most this many units of score at a time.
_MAX_SHIFT_STEP = 4.0


@dataclass
class Snapshot:
    """A certified gap at ``(W, shift)``.

    Attributes
    ----------
    primal, dual, gap, relative : float
        From :func:`sklinear._duality.duality_gap` (``relative`` is its
        ``relative_gap``).
    intercept_scores : ndarray of shape (n_classes,)
        The intercept of the model (the score shift) that was certified.
    smoothed_gap : float
        Smoothed hinge: ``P_mu - D_mu`` at the certified dual point (how well
        the smoothed problem is solved); else ``gap``.
    smoothing : float
        Smoothed hinge: ``P - P_mu + mu/2 sum_i f_i |beta_i|^2``, what the
        smoothing costs the true gap; else 0.
    smoothed_primal : float
        The objective with the smoothed hinge (``primal`` for the softmax).
    gradient : ndarray of shape (n_samples, n_classes) or None
        Unweighted score gradients at ``intercept_scores`` (SAGA's memory).
    weighted_sum : ndarray of shape (n_classes, n_features) or None
        ``sum_i f_i G_i x_i^T`` (uncentered), float64.
    """

    primal: float
    dual: float
    gap: float
    relative: float
    intercept_scores: np.ndarray
    smoothed_gap: float
    smoothing: float = 0.0
    smoothed_primal: float = None
    gradient: np.ndarray = None
    weighted_sum: np.ndarray = None


class Certificate:
    """Snapshots of one objective (caches what does not depend on ``W``).

    Parameters
    ----------
    objective : LinearObjective
        Penalty from :mod:`sklinear.penalties` (with its ``max_norm``, the
        bound on the L2 norm of each class row, if any).
    """

    def __init__(self, objective):
        self.objective = objective
        n_samples = objective.n_samples
        self.factors = objective._factors(slice(None), n_samples).astype(np.float64)
        # No sample weights: every factor is the same (see _solver_sum).
        self._one_factor = n_samples > 0 and self.factors.min() == self.factors.max()
        self.y = np.asarray(objective.y, dtype=np.intp)
        self._gap = PreparedGap(
            objective.X, self.y, objective.n_classes, loss=objective.loss,
            margin=objective.margin, sample_weight=objective.sample_weight,
            fit_intercept=objective.fit_intercept,
            **penalty_arguments(objective.penalty),
        )  # fmt: skip

    def __call__(self, W, b, mu=None, tol=None):
        """The gap at ``(W, t)``, with ``t`` the best intercept for ``W``.

        Parameters
        ----------
        W : ndarray of shape (n_classes, n_features)
        b : ndarray of shape (n_classes,)
            Intercept parameters of the objective; the search for the best
            shift starts from them.
        mu : float, default=None
            Smoothing of the hinge for the shift and the dual point; None uses
            ``1e-3`` of the margin. Ignored for the softmax.
        tol : float, default=None
            The relative gap the caller aims at: the search for the best
            shift stops once a Newton step would lower the loss by less than
            ``(tol / 30)^2`` of it. (The decrement is quadratic in the
            intercept's gradient, the dual point's infeasibility, whose
            repair costs the dual value linearly in it.) None: to rounding.

        Returns
        -------
        snapshot : Snapshot
            Certified at the shift ``t``: move the intercept there (``c = t +
            W @ offset`` when centered) to have this gap.
        """
        objective = self.objective
        hinge = not objective.loss_function.smooth
        if hinge and mu is None:
            mu = 1e-3 * objective.margin
        mu = mu if hinge else 0.0
        if not hinge and not W.any():
            return self._at_zero(W, b, tol)
        return self._anywhere(W, b, mu, tol)

    def _anywhere(self, W, b, mu, tol):
        """:meth:`__call__` at any ``W`` (``mu`` resolved: 0 for the softmax)."""
        objective = self.objective
        hinge = not objective.loss_function.smooth
        raw = self._raw(W)
        loss = objective.loss_function
        if objective.fit_intercept:
            shift, losses, helper = self._best_intercept(
                raw, W, b, self.y, self.factors, mu, tol
            )
            scores = raw  # raw is not needed again: one n x C array fewer
            scores += shift
            gradient = loss.gradient_from_helper(helper, self.y, mu)
        else:
            shift = np.zeros(W.shape[0])
            scores = raw
            gradient = loss.score_gradient(scores, self.y, mu)
            losses = None
        # The smoothed hinge's values are not its losses.
        losses = losses if mu == 0 else None
        # The model's intercept after the driver's move is ``shift`` itself.
        # At the best shift minus the gradients meet the intercept constraint
        # (to Newton's accuracy): certify that point rather than have the gap
        # search for the best intercept again.
        theta = -gradient if hinge or objective.fit_intercept else None
        weighted_sum = theta_sum = None
        if sp.issparse(objective.X) and not W.any():  # the hinge's first check
            classes, first, rows = np.unique(
                self.y, return_index=True, return_inverse=True
            )
            weighted_sum = self._sum_at_zero(gradient[first], classes, rows)
            theta_sum = None if theta is None else -weighted_sum
        elif objective.X.dtype == np.float64 or theta is None:
            weighted_sum = self._solver_sum(gradient)
        # theta = -G: its sum is minus weighted_sum, negated in place for the
        # gap and back after it (a sign flip, exact) rather than copied at
        # the check's peak of memory (see _restore_intercept). Only float64
        # X's product is accurate enough to stand for it.
        negated = theta_sum is None and theta is not None
        negated = negated and objective.X.dtype == np.float64
        if negated:
            theta_sum = np.negative(weighted_sum, out=weighted_sum)
        # theta is this call's own: the gap may make it feasible in place.
        result = self._certify(
            W, shift, scores, theta, theta_sum, losses=losses, overwrite_theta=True
        )
        if negated:
            np.negative(weighted_sum, out=weighted_sum)
            self._gap.last_theta_sum = None  # it was this array
        if weighted_sum is None:
            weighted_sum = self._certified_sum(gradient)
        snapshot = _snapshot(result, shift, gradient, weighted_sum)
        if hinge:
            self._add_smoothed(snapshot, scores, result.theta, mu, self.y, self.factors)
        return snapshot

    def _at_zero(self, W, b, tol):
        """:meth:`__call__` for the softmax at ``W = 0`` (where the solvers
        start), on one row per class: there every row's scores are the
        intercept, so each sample's loss, gradient and dual point depend on
        its class alone. The classes' problem (row ``k``: class ``k``'s
        weighted mean row, weighted by its total weight) has the same primal,
        the same dual value for such points, and ``Z = sum_k theta_k s_k^T``
        with ``s_k`` class ``k``'s weighted sum of rows: one pass over X for
        the class sums (kept for later checks) instead of ``O(n C)`` work
        several times over (0.6 s at 80,000 x 100,000 CSR rows and 20
        classes). Its dual points are dual points of the whole problem, so
        its gap certifies it. (Not for the hinge: its polished dual points
        break the ties between a class's rows, and certify more.)"""
        objective = self.objective
        classes, rows, per_class = self._classes()
        raw = np.zeros((len(classes), W.shape[0]))
        factors = np.bincount(rows, weights=self.factors, minlength=len(classes))
        loss = objective.loss_function
        if objective.fit_intercept:
            shift, losses, helper = self._best_intercept(
                raw, W, b, classes, factors, 0.0, tol
            )
            gradient = loss.gradient_from_helper(helper, classes, 0.0)
            theta = -gradient
        else:
            shift, losses = np.zeros(W.shape[0]), None
            gradient, theta = loss.score_gradient(raw, classes, 0.0), None
        result = per_class(
            W, shift, scores=raw + shift, theta=theta, losses=losses,
            overwrite_theta=True,
        )  # fmt: skip
        weighted_sum = self._sum_at_zero(gradient, classes, rows)
        return _snapshot(result, shift, gradient[rows], weighted_sum)

    def _best_intercept(self, raw, W, b, y, factors, mu, tol):
        """:func:`best_shift` for rows of scores ``raw`` (labels ``y``,
        factors ``factors``) from the intercept of ``(W, b)``, to the
        precision ``tol`` needs (see :meth:`__call__`)."""
        objective = self.objective
        shift = np.asarray(objective._shift(W, b), dtype=np.float64)
        precision = _SHIFT_PRECISION
        if tol is not None:
            precision = max((tol / _SHIFT_TOL_FRACTION) ** 2, precision)
        return best_shift(raw, shift, y, factors, objective, mu, precision=precision)

    def _classes(self):
        """The classes' problem of :meth:`_at_zero`: the classes with samples,
        each sample's row among them, and its :class:`PreparedGap` (made for
        each call and not kept: a solver starts at ``W = 0`` once, and its
        rows and class sums are two ``n_classes x n_features`` arrays)."""
        objective, gap = self.objective, self._gap
        classes, rows = np.unique(self.y, return_inverse=True)
        totals = np.bincount(rows, weights=gap.a, minlength=len(classes))
        sums = gap.sums_by_class()[classes]
        means = sums / np.where(totals > 0, totals, 1.0)[:, None]
        per_class = PreparedGap(
            means, classes, objective.n_classes, loss=objective.loss,
            margin=objective.margin, sample_weight=totals,
            fit_intercept=objective.fit_intercept,
            **penalty_arguments(objective.penalty),
        )  # fmt: skip
        return classes, rows, per_class

    def certify(self, W, b, theta=None, polish=True, weighted_sum=None):
        """The gap at ``(W, b)`` with a dual point the solver maintains.

        Parameters
        ----------
        W : ndarray of shape (n_classes, n_features)
        b : ndarray of shape (n_classes,)
            Intercept parameters of the objective.
        theta : ndarray of shape (n_samples, n_classes), default=None
            The solver's dual point (minus unweighted score gradients); None
            builds one from the gradients at ``(W, b)``.
        polish : bool, default=True
            Also try the hinge's polished dual points (see
            :func:`sklinear._duality.duality_gap`). A dual method's own
            point converges to the dual optimum by itself and needs no
            polishing, whose Gram matrix and solves can cost more than the
            epochs between checks.
        weighted_sum : ndarray of shape (n_classes, n_features), default=None
            ``sum_i f_i G_i x_i^T`` for ``theta = -G``, if the caller has it
            (spares a pass over float64 X).

        Returns
        -------
        snapshot : Snapshot
        """
        intercept = np.asarray(self.objective.intercept(W, b), dtype=np.float64)
        scores = self._raw(W) + intercept
        theta_sum = None if theta is None else self._sum_of(weighted_sum)
        result = self._certify(W, intercept, scores, theta, theta_sum, polish)
        return _snapshot(result, intercept, None, None)

    def _raw(self, W):
        """``X @ W.T`` in float64 (a pass over X; none at ``W = 0``, where
        the solvers start: X is finite, so the product is 0)."""
        if not W.any():
            return np.zeros((self.objective.n_samples, W.shape[0]))
        if sp.issparse(self.objective.X):
            return csr_products.scores(self.objective.X, W)
        return np.asarray(self.objective.X @ W.T, dtype=np.float64)

    def _certify(
        self, W, intercept, scores, theta, theta_sum=None, polish=True, losses=None,
        overwrite_theta=False,
    ):  # fmt: skip
        return self._gap(
            W, intercept, scores=scores, theta=theta, polish=polish,
            theta_sum=theta_sum, losses=losses, overwrite_theta=overwrite_theta,
        )  # fmt: skip

    def _solver_sum(self, gradient):
        """``sum_i f_i G_i x_i^T`` in X's dtype (a pass over X); with equal
        factors (no sample weights) the sum is scaled after the product, so
        that no weighted copy of ``gradient`` is made at the check's peak of
        memory."""
        if self._one_factor:
            product = _transposed_product(self.objective.X, gradient)
            product *= self.factors[0]
            return product
        return _transposed_product(self.objective.X, gradient * self.factors[:, None])

    def _sum_at_zero(self, gradient, classes, rows):
        """``sum_i f_i G_i x_i^T`` at ``W = 0``, in float64, from the classes'
        gradients (row ``j`` of ``gradient`` for class ``classes[j]``, sample
        ``i``'s at ``rows[i]``) and class ``k``'s sum of ``f_i x_i``: the
        gap's kept class sums where the factors are its weights (float64 X),
        else for CSR X one pass of one multiply-add per stored value (at
        80,000 x 100,000 CSR rows of 120 values and 20 classes 0.05 s, against
        the product's 0.15 s on one thread)."""
        X = self.objective.X
        if np.array_equal(self.factors, self._gap.a):
            sums = self._gap.sums_by_class()
        elif sp.issparse(X):
            sums = csr_products.class_sums(
                X, self.y, self.factors, self.objective.n_classes
            )
        else:  # float32 rows: the product in their dtype, as at any W
            return self._solver_sum(gradient[rows])
        return gradient.T @ sums[classes]

    def _certified_sum(self, gradient):
        """``sum_i f_i G_i x_i^T`` for float32 X: minus the certificate's
        float64 sum of its dual point ``-G`` (one pass over X fewer a check,
        and more accurate than a float32 product), or a product of its own
        where the certificate changed that point (absent classes)."""
        theta_sum = self._gap.last_theta_sum
        if theta_sum is None:
            return self._solver_sum(gradient)
        return -theta_sum

    def _sum_of(self, weighted_sum):
        """``sum_i a_i theta_i x_i^T`` for ``theta = -G`` from ``sum_i f_i
        G_i x_i^T``: only for float64 X, whose product it came from in
        float64 (a float32 product's rounding would loosen the gap)."""
        if weighted_sum is None or self.objective.X.dtype != np.float64:
            return None
        return -weighted_sum

    def _add_smoothed(self, snapshot, scores, theta, mu, y, f):
        """The smoothed hinge's primal and gap at the certified dual point
        (of rows with labels ``y`` and factors ``f``): its conjugate adds
        ``mu/2 |beta|^2``, so ``D_mu = D - mu/2 sum f |beta|^2`` bounds the
        smoothed optimum for the same ``beta``."""
        loss = self.objective.loss_function
        bias = spread = 0.0
        # By blocks of rows: the losses' temporaries are several n x C
        # arrays each, many times X with many classes and few features.
        for start in range(0, len(y), _SMOOTHING_ROWS):
            block = slice(start, start + _SMOOTHING_ROWS)
            exact, _ = loss.per_sample(scores[block], y[block])
            smoothed, _ = loss.per_sample(scores[block], y[block], mu)
            beta = -theta[block]
            beta[np.arange(len(beta)), y[block]] = 0
            bias += float(f[block] @ (exact - smoothed))
            spread += float(f[block] @ (beta**2).sum(axis=1))
        spread *= 0.5 * mu
        snapshot.smoothed_primal = snapshot.primal - bias
        snapshot.smoothed_gap = snapshot.smoothed_primal - (snapshot.dual - spread)
        snapshot.smoothing = bias + spread


def _snapshot(result, intercept, gradient, weighted_sum):
    return Snapshot(
        result.primal, result.dual, result.gap, result.relative_gap, intercept,
        result.gap, 0.0, result.primal, gradient, weighted_sum,
    )  # fmt: skip


# Rows per block of the smoothed hinge's values in a check.
_SMOOTHING_ROWS = 4096
# best_shift's default: its Newton steps go on to rounding.
_SHIFT_PRECISION = 1e-15
# A check aiming at tol stops the shift's Newton steps at a decrement of
# (tol / _SHIFT_TOL_FRACTION)^2 of the loss: the infeasibility left costs the
# gap a few percent of tol (digits, where L-BFGS stops at alpha 5e-3: at
# (tol / 100)^2 2 steps, at (tol / 30)^2 1 step, the same gap to 4 digits),
# and each step is about 0.15 ms there.
_SHIFT_TOL_FRACTION = 30


def move_intercept(objective, W, b, shift):
    """Set the intercept parameters ``b`` (in place) so that the scores'
    shift is ``shift``: ``b = shift``, or ``c = shift + W @ offset`` when the
    objective is centered; nothing without an intercept. The inverse of
    ``objective.intercept(W, b)``."""
    if not objective.fit_intercept:
        return
    if objective.offset is None:
        b[...] = shift
    else:
        b[...] = shift + W @ objective.offset


def best_shift(
    raw, shift, y, factors, objective, mu, max_steps=20, precision=_SHIFT_PRECISION
):
    """Newton's method with backtracking on the (smoothed) loss in the shift.

    ``C`` unknowns and ``O(n C)`` work per step (no pass over X).

    Parameters
    ----------
    raw : ndarray of shape (n_samples, n_classes)
        ``X @ W.T`` in float64.
    shift : ndarray of shape (n_classes,)
        Starting shift (the current intercept).
    y : ndarray of shape (n_samples,)
    factors : ndarray of shape (n_samples,)
        Normalized sample weights.
    objective : LinearObjective
        For its loss.
    mu : float
        Hinge smoothing (must be positive for the hinge; 0 for the softmax).
    max_steps : int, default=20
    precision : float, default=1e-15
        Stop once a Newton step would lower the loss by less than this
        fraction of it (its decrement).

    Returns
    -------
    shift : ndarray of shape (n_classes,)
    values, helper : ndarray
        :meth:`per_sample`'s values and helper at ``raw + shift``.
    """
    loss = objective.loss_function
    n_classes = len(shift)
    # Adding a constant to every score changes nothing: the Hessian is
    # singular along the ones vector, which this term pins down.
    ones = np.ones((n_classes, n_classes))
    values, helper = loss.per_sample(raw + shift, y, mu, overwrite=True)
    current = float(factors @ values)
    for _ in range(max_steps):
        gradient = loss.intercept_gradient(helper, y, factors, mu)
        hessian = loss.intercept_hessian(helper, y, factors, mu)
        ridge = max(1e-10 * np.trace(hessian), 1e-12)
        step = -np.linalg.solve(hessian + ones + ridge * np.eye(n_classes), gradient)
        largest = float(np.max(np.abs(step)))
        if largest > _MAX_SHIFT_STEP:
            step *= _MAX_SHIFT_STEP / largest
        decrement = -float(gradient @ step)
        if not decrement > precision * max(abs(current), 1e-300):
            break
        moved = _line_search(
            raw, shift, step, decrement, current, y, factors, objective, mu
        )
        if moved is None:
            break
        shift, current, values, helper = moved
    return shift, values, helper


def _line_search(raw, shift, step, decrement, current, y, factors, objective, mu):
    """Armijo backtracking: ``(shift, value, values, helper)`` or None."""
    length = 1.0
    while length > 1e-6:
        candidate = shift + length * step
        values, helper = objective.loss_function.per_sample(
            raw + candidate, y, mu, overwrite=True
        )
        value = float(factors @ values)
        if value <= current - 1e-4 * length * decrement:
            return candidate, value, values, helper
        length *= 0.5
    return None


def _transposed_product(X, A):
    """``A.T @ X`` in float64: for dense X in X's dtype (a float64 ``A``
    would make numpy copy X); for CSR X the compiled product."""
    if sp.issparse(X):
        return csr_products.transposed_product(X, A)
    A = np.ascontiguousarray(A, dtype=X.dtype)
    return np.asarray(A.T @ X, dtype=np.float64)
