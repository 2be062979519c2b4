"""Solvers for :class:`~sklinear._array_api._objective.XpObjective`.

``fit`` runs an accelerated proximal gradient method (FISTA) to the optimum;
``partial_fit`` runs one epoch of proximal minibatch SGD over strided row
slices. Both use ``xp`` operations only, on the data's device.

Why full-batch acceleration for ``fit``: it reaches the optimum of the exact
objective (any penalty: the proximal step handles L1 and elastic net exactly,
the max-norm projection too), at a rate of ``sqrt(L / mu)`` passes per digit
of accuracy where plain SGD-type methods need ``L / mu``; each iteration is
two large matrix products (no per-minibatch kernel launches and host syncs,
which dominate on a GPU), and the stopping rule is well-founded: the norm of
the proximal gradient mapping ``L (y - prox(y - grad / L))`` is zero exactly
at the optimum of the composite objective. We stop when it falls below
``tol`` times its value at the start.

The hinge loss is not differentiable, so the method would stall on it. It is
solved by a smoothing homotopy: each ``max(0, z)`` is replaced by its Huber
smoothing of width ``mu`` (``1/mu``-smooth, within ``mu/2`` of the hinge),
solved warm-started for ``mu = margin, margin/10, ...`` until the exact minus
smoothed objective at the iterate (computed, not bounded) is below ``tol``
relative to the objective. Since the smoothed objective is below the exact
one everywhere, the exact objective's suboptimality is at most that gap plus
the smoothed problem's own suboptimality.
"""

import dataclasses
import math

import numpy as np

from .._sklearn_compat import device

# After an accepted step the next trial step is this much longer: the
# backtracking then follows the local curvature, not the global bound.
_LIPSCHITZ_DECREASE = 0.9
_HOMOTOPY_FACTOR = 10.0


@dataclasses.dataclass
class SolverResult:
    """Weights ``W``, centered intercepts ``c`` and the run's record."""

    W: object
    c: object
    n_iter: int
    converged: bool
    loss_curve: list
    lipschitz: float
    reference: float = None


def solve(objective, W, c, *, tol, max_iter):
    """Minimize the objective from ``(W, c)``; smoothing homotopy for the hinge."""
    lipschitz = objective.curvature() + objective.alpha_l2
    mu = objective.margin if objective.loss == "hinge" else 0.0
    lipschitz = lipschitz / mu if mu else lipschitz
    # tol is relative to the mapping at the zero model, whatever the start,
    # so that a warm start near the optimum stops at once.
    reference = _mapping_at_zero(objective, lipschitz, mu)
    if objective.loss == "softmax":
        return accelerated_proximal_gradient(
            objective,
            W,
            c,
            lipschitz=lipschitz,
            tol=tol,
            max_iter=max_iter,
            reference=reference,
        )
    eps = float(np.finfo(_numpy_dtype(objective.X)).eps)
    floor = objective.margin * math.sqrt(eps)
    n_iter, curve = 0, []
    while True:
        # Each smoothed problem is solved to tol (looser early stages were
        # measured to cost more passes in all: the next stage starts farther).
        result = accelerated_proximal_gradient(
            objective,
            W,
            c,
            lipschitz=lipschitz,
            tol=tol,
            max_iter=max_iter - n_iter,
            mu=mu,
            reference=reference,
        )
        W, c, reference = result.W, result.c, result.reference
        n_iter, curve = n_iter + result.n_iter, curve + result.loss_curve
        S = objective.scores(W, c)
        exact = float(objective.loss_value(S) + objective.penalty(W))
        smooth_enough = objective.smoothing_gap(S, mu) <= tol * abs(exact)
        if smooth_enough or mu <= floor or n_iter >= max_iter:
            break
        # The smoothed loss's curvature scales as 1 / mu.
        lipschitz = result.lipschitz * _HOMOTOPY_FACTOR
        mu /= _HOMOTOPY_FACTOR
    converged = result.converged and (smooth_enough or mu <= floor)
    return dataclasses.replace(
        result, n_iter=n_iter, converged=converged, loss_curve=curve
    )


def accelerated_proximal_gradient(
    objective, W, c, *, lipschitz, tol, max_iter, mu=0.0, reference=None
):
    """FISTA with backtracking and gradient-based adaptive restart.

    Two matrix products per iteration: the scores at the new iterate (for
    the backtracking test) and the gradient at the extrapolated point, whose
    scores are the same extrapolation of the iterates' scores (linear in
    the weights) and cost no product. ``reference``: the gradient mapping's
    norm that ``tol`` is relative to (by default, the first one).
    """
    x = (W, c, objective.scores(W, c))
    y, t, curve, L = x, 1.0, [], float(lipschitz)
    converged, n_iter = False, 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (n_iter is returned)
        f_y, G = objective.loss_and_dscores(y[2], mu)
        grad = objective.gradient(G)
        x_new, L, step_norm, value, restart = _backtracking_step(
            objective, y, x, f_y, grad, L, mu
        )
        curve.append(value)
        mapping = L * step_norm
        reference = mapping if reference is None else reference
        if mapping <= tol * reference:
            x, converged = x_new, True
            break
        t_next = 1.0 if restart else (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
        beta = 0.0 if restart else (t - 1.0) / t_next
        y = tuple(new + beta * (new - old) for new, old in zip(x_new, x))
        x, t, L = x_new, t_next, L * _LIPSCHITZ_DECREASE
    return SolverResult(
        W=x[0],
        c=x[1],
        n_iter=n_iter,
        converged=converged,
        loss_curve=curve,
        lipschitz=L,
        reference=reference,
    )


def _mapping_at_zero(objective, lipschitz, mu):
    """The norm of the proximal gradient mapping at ``W = 0, c = 0``, whose
    scores are zero: one product (the gradient), no scores to compute."""
    xp, X, n_classes = objective.xp, objective.X, objective.n_classes
    S = xp.zeros((X.shape[0], n_classes), dtype=X.dtype, device=device(X))
    gW, gc = objective.gradient(objective.loss_and_dscores(S, mu)[1])
    W1 = objective.prox(-gW / lipschitz, 1.0 / lipschitz)
    # The intercept's step is -gc / L: its part of the mapping is gc itself.
    squared = lipschitz**2 * float(xp.sum(W1 * W1)) + float(xp.sum(gc * gc))
    return math.sqrt(squared)


def _backtracking_step(objective, y, x, f_y, grad, L, mu):
    """The proximal step from ``y`` with the smallest tried ``L`` that passes
    the sufficient-decrease test; also whether to restart the momentum."""
    xp = objective.xp
    (yW, yc, _), (gW, gc) = y, grad
    f_y_host = float(f_y)
    # Rounding in the test's terms: do not take it for missing decrease.
    slack = 10.0 * float(np.finfo(_numpy_dtype(objective.X)).eps) * abs(f_y_host)
    while True:
        W1 = objective.prox(yW - gW / L, 1.0 / L)
        c1 = yc - gc / L
        S1 = objective.scores(W1, c1)
        dW, dc = W1 - yW, c1 - yc
        step_sq = float(xp.sum(dW * dW) + xp.sum(dc * dc))
        f1 = float(objective.loss_value(S1, mu))
        linear = float(xp.sum(gW * dW) + xp.sum(gc * dc))
        if f1 <= f_y_host + linear + 0.5 * L * step_sq + slack or L > 1e30:
            break
        L *= 2.0
    # Restart when the step goes against the momentum (O'Donoghue and
    # Candes, 2015): it keeps the rate without knowing the strong convexity.
    inner = float(xp.sum((yW - W1) * (W1 - x[0])) + xp.sum((yc - c1) * (c1 - x[1])))
    value = f1 + float(objective.penalty(W1))
    return (W1, c1, S1), L, math.sqrt(step_sq), value, inner > 0


def sgd_epoch(objective, W, c, *, step, batch_size, rng):
    """One epoch of proximal minibatch SGD over strided row slices.

    The ``m`` batches are ``X[k::m]`` (views: no copy of ``X``), visited in
    the order of ``rng``; each batch's weights are scaled by ``m`` so its
    gradient is an unbiased estimate of the full one. The hinge takes its
    exact subgradient.
    """
    n_samples = objective.X.shape[0]
    m = max(1, math.ceil(n_samples / batch_size))
    curve = []
    for k in rng.permutation(m):
        part = objective.rows(slice(int(k), None, m), scale=float(m))
        value, G = part.loss_and_dscores(part.scores(W, c))
        gW, gc = part.gradient(G)
        curve.append(float(value + objective.penalty(W)))
        W = objective.prox(W - step * gW, step)
        c = c - step * gc
    return W, c, curve, m


def _numpy_dtype(X):
    """The NumPy dtype of the same name (for machine epsilon)."""
    return np.dtype(str(X.dtype).split(".")[-1])
