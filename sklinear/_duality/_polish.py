r"""Better dual points for the hinge loss near its optimum ("polishing").

The hinge's gradient is a poor dual point even at the optimum: a pair
:math:`(i, c)` exactly on the margin (:math:`m_{ic} = s_c - s_{y_i} + \Delta =
0`) needs a fractional :math:`\beta_{ic}`, which stationarity alone
determines. The pairs within :math:`\tau` of the margin get their
:math:`\beta` from it here, the others keep the gradient's 0 or 1.

Moving :math:`\beta_k` of pair :math:`k = (i, c)` by :math:`\delta` moves
:math:`\theta_i` by :math:`\delta q_k` with :math:`q_k = e_{y_i} - e_c`, hence
:math:`Z` by :math:`a_i \delta\, q_k x_i^T` and :math:`\sum_i a_i\theta_i` by
:math:`a_i \delta\, q_k`. At an optimum :math:`Z = T + \operatorname{diag}(\nu)
W` with :math:`T = \alpha_2 W + \alpha_1 \operatorname{sign}(W)` on the
nonzero entries of :math:`W` (any value within :math:`\pm\alpha_1` on the
zeros) and :math:`\nu_c \ge 0` only on the rows at the ``max_norm`` bound, and
:math:`\sum_i a_i \theta_i = 0`. The multipliers :math:`\lambda_k = a_i
\delta_k` (and :math:`\nu`) solve the least-squares problem

.. math::

    \min_{\lambda, \nu} \Big\| \mathrm{mask} \circ \big(Z + \sum_k \lambda_k
    q_k x_k^T - T - \operatorname{diag}(\nu) W\big)\Big\|^2 + \Big\|\sum_i a_i
    \theta_i + \sum_k \lambda_k q_k \Big\|^2

by its normal equations, :math:`\sum_c (q_{\cdot c} q_{\cdot c}^T) \circ
(F_c F_c^T) + Q Q^T` with :math:`F_c` the rows :math:`x_k` restricted to the
unmasked features of class :math:`c` (a Gram matrix of the pairs' rows), with
a relative ridge of ``1e-12`` against rank deficiency. The new :math:`\beta`
are clipped to :math:`[0, 1]`; the caller then restores the intercept
constraint and keeps the candidate of largest dual value, so the result is
always a valid bound and never worse than the gradient's. At an optimum in
general position the on-margin pairs are at most :math:`C(d + 1)` and this
recovers the optimal dual point exactly (gap ~ rounding).

Cost: the :math:`k \le 1000` pairs closest to the margin, a :math:`k \times d`
copy of their rows, an :math:`O(k^2 d)` Gram matrix (times :math:`C` with an
L1 part) and one :math:`O(k^3)` solve per :math:`\tau \in \Delta \cdot
\{10^{-3}, 10^{-2}, 10^{-1}\}`.
"""

import numpy as np
import scipy.linalg
import scipy.sparse as sp

# Distances to the margin (times the margin) within which pairs are freed.
_TAUS = (1e-3, 1e-2, 1e-1)
_MAX_PAIRS = 1000
_RIDGE = 1e-12
# A row of W within this relative distance of max_norm counts as on the bound.
_ON_BOUND = 1e-5


def polished_candidates(X, y, a, W, theta, Z, scores, settings):
    """Dual points with the near-margin pairs' ``beta`` from stationarity.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    a : ndarray of shape (n_samples,)
        Normalized sample weights.
    W : ndarray of shape (n_classes, n_features)
    theta : ndarray of shape (n_samples, n_classes)
        The dual point to start from (the hinge's domain, before the
        intercept constraint is restored).
    Z : ndarray of shape (n_classes, n_features)
        ``sum_i a_i theta_i x_i^T``.
    scores : ndarray of shape (n_samples, n_classes)
        ``X @ W.T + b``, float64.
    settings : dict
        ``margin``, ``present`` (None without an intercept), ``alpha_l1``,
        ``alpha_l2`` and ``max_norm``.

    Yields
    ------
    candidate : tuple of (theta, delta_Z)
        One per distinct set of freed pairs, made when asked for (each a
        new n x C array): the new dual point and the change of ``Z`` it
        brings. ``theta`` must not change meanwhile.
    """
    margin = settings["margin"]
    pairs, distance = _near_margin_pairs(scores, y, a, settings["present"], margin)
    if not len(distance):
        return
    X_pairs = _gathered_rows(X, pairs[0])
    Q = _pair_directions(y, pairs, W.shape[0])
    system = _normal_equations(X_pairs, Q, a, W, theta, Z, settings)
    previous = 0
    for tau in _TAUS:
        k = int(np.searchsorted(distance, tau * margin, side="right"))
        if k > previous:
            lam = _solved(system, k)
            yield _moved(theta, X_pairs, Q, y, a, pairs, lam)
            previous = k


def _near_margin_pairs(scores, y, a, present, margin):
    """The pairs ``(i, c != y_i)`` of positive weight within the largest tau
    of the margin, the closest first, and their distances."""
    rows = np.arange(len(y))
    distance = np.abs(scores - scores[rows, y][:, None] + margin)
    allowed = (a > 0)[:, None] & (np.arange(scores.shape[1]) != y[:, None])
    if present is not None:
        allowed &= present[None, :]  # absent classes keep beta = 0
    allowed &= distance <= _TAUS[-1] * margin
    pair_rows, pair_classes = np.nonzero(allowed)
    pair_distance = distance[pair_rows, pair_classes]
    order = np.argsort(pair_distance, kind="stable")[:_MAX_PAIRS]
    return (pair_rows[order], pair_classes[order]), pair_distance[order]


def _gathered_rows(X, rows):
    if sp.issparse(X):
        return sp.csr_matrix(X[rows], dtype=np.float64)
    return np.asarray(X[rows], dtype=np.float64)


def _pair_directions(y, pairs, n_classes):
    """Rows ``q_k = e_{y_i} - e_c``: how ``theta_i`` moves with ``beta_k``."""
    rows, classes = pairs
    Q = np.zeros((len(rows), n_classes))
    Q[np.arange(len(rows)), y[rows]] = 1.0
    Q[np.arange(len(rows)), classes] = -1.0
    return Q


def _dense(matrix):
    return matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix)


def _normal_equations(X_pairs, Q, a, W, theta, Z, settings):
    """Matrix and right-hand side of the least squares in ``(lam, nu)``."""
    W = np.asarray(W, dtype=np.float64)
    alpha_l1, alpha_l2 = settings["alpha_l1"], settings["alpha_l2"]
    residual = alpha_l2 * W + alpha_l1 * np.sign(W) - Z  # what Z must gain
    mask = (W != 0).astype(np.float64) if alpha_l1 > 0 else None
    G, rhs = _pair_block(X_pairs, Q, residual, mask)
    if settings["present"] is not None:
        G += Q @ Q.T
        rhs += Q @ -(a @ theta)  # sum a theta must lose what it has
    bound_rows = _rows_on_bound(W, settings["max_norm"])
    if len(bound_rows):
        G, rhs = _with_bound_rows(G, rhs, X_pairs, Q, W, residual, mask, bound_rows)
    return G, rhs, len(bound_rows)


def _pair_block(X_pairs, Q, residual, mask):
    """``sum_c (q_c q_c^T) o (F_c F_c^T)`` and ``sum_c q_c o (F_c r_c)``."""
    if mask is None:  # every class sees every feature: one Gram matrix
        gram = _dense(X_pairs @ X_pairs.T)
        return (Q @ Q.T) * gram, np.sum(Q * _dense(X_pairs @ residual.T), axis=1)
    G = np.zeros((Q.shape[0], Q.shape[0]))
    rhs = np.zeros(Q.shape[0])
    for c in range(Q.shape[1]):
        if sp.issparse(X_pairs):
            restricted = sp.csr_matrix(X_pairs.multiply(mask[c][None, :]))
        else:
            restricted = X_pairs * mask[c]
        G += np.outer(Q[:, c], Q[:, c]) * _dense(restricted @ X_pairs.T)
        rhs += Q[:, c] * _dense(X_pairs @ (mask[c] * residual[c]))
    return G, rhs


def _rows_on_bound(W, max_norm):
    if max_norm is None:
        return np.array([], dtype=np.intp)
    norms = np.linalg.norm(W, axis=1)
    return np.flatnonzero(norms >= max_norm * (1 - _ON_BOUND))


def _with_bound_rows(G, rhs, X_pairs, Q, W, residual, mask, bound_rows):
    """Append the unknowns ``nu_c`` (``Z_c`` may gain ``nu_c W_c``)."""
    directions = W[bound_rows] if mask is None else (mask * W)[bound_rows]
    # Column of nu_c in the Z block is -W_c (masked) in row c.
    cross = -Q[:, bound_rows] * _dense(X_pairs @ directions.T)
    own = np.diag(np.sum(directions**2, axis=1))
    G = np.block([[G, cross], [cross.T, own]])
    rhs_nu = -np.sum(directions * residual[bound_rows], axis=1)
    return G, np.concatenate([rhs, rhs_nu])


def _solved(system, k):
    """``lam`` of the first ``k`` pairs (and every ``nu``), ridge-regularized."""
    G, rhs, n_nu = system
    n_pairs = len(rhs) - n_nu
    keep = np.concatenate([np.arange(k), np.arange(n_pairs, len(rhs))])
    block = G[np.ix_(keep, keep)]
    ridge = _RIDGE * max(float(np.max(np.diag(block), initial=0.0)), 1e-300)
    block = block + ridge * np.eye(len(keep))
    try:
        solution = scipy.linalg.solve(block, rhs[keep], assume_a="pos")
    except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):
        solution = np.linalg.lstsq(block, rhs[keep], rcond=None)[0]
    return solution[:k]


def _moved(theta, X_pairs, Q, y, a, pairs, lam):
    """``theta`` with the first ``len(lam)`` pairs' ``beta`` moved by ``lam /
    a`` (clipped to [0, 1]), and the change of ``Z``."""
    k = len(lam)
    rows, classes = pairs[0][:k], pairs[1][:k]
    old = -theta[rows, classes]
    new = np.clip(old + lam / a[rows], 0.0, 1.0)
    theta = theta.copy()
    theta[rows, classes] = -new
    np.add.at(theta, (rows, y[rows]), new - old)
    weighted = (a[rows] * (new - old))[:, None] * Q[:k]
    delta_Z = _dense(X_pairs[:k].T @ weighted).T
    return theta, delta_Z
