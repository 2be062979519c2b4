"""Independent reference optima of sklinear's objective, for the tests.

Nothing here uses sklinear: the objective is re-implemented in a few lines of
NumPy (:func:`objective_value`) and the optima come from scikit-learn or
SciPy. Every solver returns a :class:`Reference` whose ``kkt`` field measures
how far it is from optimal (largest violation of the optimality conditions),
so a test can tell a bad reference from a bad certificate.

The objective, with normalized weights ``a_i = w_i / sum(w)``::

    P(W, b) = sum_i a_i L_i(W x_i + b) + alpha_l1 ||W||_1
              + alpha_l2 / 2 ||W||_F^2

Accuracy reached (``kkt``, measured on the standardized iris, wine, breast
cancer and digits data sets at alpha 1e-3 and 5e-3):

- :func:`softmax_l2` (lbfgs, ``tol=1e-12``): gradient entries below ~2e-8;
  the duality gap there is below ~1e-10 relative.
- :func:`softmax_saga` (L1 / elastic net, saga, ``tol=1e-10``): subgradient
  optimality violated by less than ~2e-10 (iris, wine, breast cancer; slow
  beyond iris at small alpha).
- :func:`hinge_l2` (exact active-set QP solve): the optimality conditions
  hold to ~1e-12 (multipliers in [0, 1], margin signs, zero margins,
  intercept stationarity; stationarity in W is exact by construction).
- :func:`hinge_l1` (the LP, HiGHS): the LP's own duality gap ~1e-15.
- :func:`softmax_max_norm` (SLSQP, iris and wine): ~1e-9.
- :func:`hinge_l2_max_norm` (SLSQP on the QP with slacks and the rows'
  balls, small data only): ``kkt`` is its largest constraint violation,
  ~1e-12; on 60-row subsets of iris and wine its value agrees with the
  certified fits to ~1e-9.
"""

import functools
from typing import NamedTuple

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

LOADERS = {
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
    "digits": load_digits,
}


class Reference(NamedTuple):
    """A reference solution: weights, intercepts, objective value, an
    optimal dual point (or None) and the largest optimality violation."""

    W: np.ndarray
    b: np.ndarray
    value: float
    theta: object
    kkt: float


def _weights(sample_weight, n):
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    return w, w / w.sum()


def objective_value(X, y, W, b, loss, a, alpha_l1=0.0, alpha_l2=0.0, margin=1.0):
    """``P(W, b)`` in plain NumPy (float64), ``a`` the normalized weights."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X, float)
    S = X @ W.T + b
    correct = S[np.arange(len(y)), y]
    if loss == "softmax":
        per_sample = logsumexp(S, axis=1) - correct
    else:
        hinge = np.maximum(S - correct[:, None] + margin, 0.0)
        per_sample = hinge.sum(axis=1) - margin  # minus the label's own term
    penalty = alpha_l1 * np.abs(W).sum() + 0.5 * alpha_l2 * np.sum(W * W)
    return float(a @ per_sample + penalty)


def _softmax_gradient(X, y, W, b, a):
    S = X @ W.T + b
    P = np.exp(S - logsumexp(S, axis=1)[:, None])
    P[np.arange(len(y)), y] -= 1.0
    return (a[:, None] * P).T @ X, a @ P


def _from_binary(coef, intercept):
    """sklearn's binary ``(w, c)`` as the equivalent 2-class softmax: ``W =
    [-w/2, w/2]``, the minimum-norm split with the same score difference."""
    return np.vstack([-coef / 2, coef / 2]), np.array([-intercept[0], intercept[0]]) / 2


def _logistic(X, y, w, C, l1_ratio, solver, tol):
    model = LogisticRegression(
        C=C, l1_ratio=l1_ratio, solver=solver, tol=tol, max_iter=100_000
    )
    model.fit(X, y, sample_weight=w)
    if model.coef_.shape[0] == 1:
        return _from_binary(model.coef_, model.intercept_)
    return model.coef_.copy(), model.intercept_.copy()


def softmax_l2(X, y, alpha, sample_weight=None):
    """Softmax + ``alpha/2 ||W||^2`` with an intercept, by sklearn's lbfgs.

    sklearn minimizes ``C sum_i w_i L_i + 1/2 ||W||^2``; dividing by ``C
    sum(w)`` gives ours with ``C = 1 / (alpha sum(w))``. With two classes
    sklearn fits one vector ``w`` of the score difference: ``W = [-w/2, w/2]``
    has ``||W||^2 = ||w||^2 / 2``, hence ``C = 2 / (alpha sum(w))``.
    """
    w, a = _weights(sample_weight, len(y))
    binary = len(np.unique(y)) == 2
    C = (2.0 if binary else 1.0) / (alpha * w.sum())
    W, b = _logistic(X, y, w, C, 0.0, "lbfgs", 1e-12)
    gW, gb = _softmax_gradient(X, y, W, b, a)
    kkt = max(np.abs(gW + alpha * W).max(), np.abs(gb).max())
    return Reference(
        W, b, objective_value(X, y, W, b, "softmax", a, 0, alpha), None, kkt
    )


def softmax_saga(X, y, alpha, l1_ratio, sample_weight=None):
    """Softmax + ``alpha (rho ||W||_1 + (1 - rho)/2 ||W||^2)`` by saga.

    Multiclass: ``C = 1 / (alpha sum(w))`` and ``l1_ratio = rho``. Binary:
    for a fixed difference ``w = W_1 - W_0`` the split ``W_0 = -w/2``
    minimizes both parts, leaving ``alpha (rho |w|_1 + (1 - rho)/4 |w|^2)``,
    which is sklearn's with ``1 / (C sum(w)) = alpha (1 + rho) / 2`` and
    ``l1_ratio = 2 rho / (1 + rho)``.
    """
    w, a = _weights(sample_weight, len(y))
    if len(np.unique(y)) == 2:
        C, ratio = (
            2.0 / (alpha * (1 + l1_ratio) * w.sum()),
            2 * l1_ratio / (1 + l1_ratio),
        )
    else:
        C, ratio = 1.0 / (alpha * w.sum()), l1_ratio
    W, b = _logistic(X, y, w, C, ratio, "saga", 1e-10)
    alpha_l1, alpha_l2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
    gW, gb = _softmax_gradient(X, y, W, b, a)
    gW += alpha_l2 * W
    # Subgradient optimality: grad = -alpha_l1 sign(W) off zero, |grad| <=
    # alpha_l1 at zero.
    violation = np.where(
        W != 0,
        np.abs(gW + alpha_l1 * np.sign(W)),
        np.maximum(np.abs(gW) - alpha_l1, 0),
    )
    kkt = max(violation.max(), np.abs(gb).max())
    value = objective_value(X, y, W, b, "softmax", a, alpha_l1, alpha_l2)
    return Reference(W, b, value, None, kkt)


def _pairs(y, a, n_classes):
    """The margins that count: ``(i, c)`` with ``c != y_i`` and ``a_i > 0``."""
    rows, classes = np.nonzero(np.ones((len(y), n_classes), bool))
    keep = (classes != y[rows]) & (a[rows] > 0)
    return rows[keep], classes[keep]


def _margins(X, y, W, b, rows, classes, margin):
    S = X @ W.T + b
    return S[rows, classes] - S[rows, y[rows]] + margin


# Widths of the smoothed hinges that start the active-set method, each solution
# starting the next one if the method fails from it.
_SMOOTHING = (1e-1, 1e-2, 1e-3, 1e-4)


def _hinge_smoothed(params, X, y, a, alpha, margin, mu, n_classes):
    """Hinge with each ``max(0, m)`` smoothed (Huber, width ``mu``) + L2."""
    W = params[:-n_classes].reshape(n_classes, -1)
    b = params[-n_classes:]
    rows = np.arange(len(y))
    S = X @ W.T + b
    m = S - S[rows, y][:, None] + margin
    m[rows, y] = -1.0  # the label's own term does not count
    value = np.where(m >= mu, m - mu / 2, np.where(m > 0, m * m / (2 * mu), 0))
    D = a[:, None] * np.clip(m / mu, 0, 1)
    D[rows, y] = -D.sum(axis=1)
    gW = D.T @ X + alpha * W
    f = a @ value.sum(axis=1) + 0.5 * alpha * np.sum(W * W)
    return f, np.concatenate([gW.ravel(), D.sum(axis=0)])


def _smoothed_solution(X, y, a, alpha, margin, mu, params, fixed_b):
    """``(W, b)`` minimizing the hinge smoothed with width ``mu``, from
    ``params``, by L-BFGS (to a modest accuracy: it only starts the
    active-set iterations)."""
    n_classes = int(y.max()) + 1
    n_weights = n_classes * X.shape[1]
    bounds = [(None, None)] * n_weights + [(0, 0) if fixed_b else (None, None)] * (
        n_classes
    )
    return scipy.optimize.minimize(
        _hinge_smoothed,
        params,
        args=(X, y, a, alpha, margin, mu, n_classes),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 500, "gtol": 1e-12, "ftol": 1e-15},
    ).x


def _solve_on_margin(X, y, a, alpha, margin, pairs, state, b_template, fit_intercept):
    """KKT system for fixed sets: ``beta = 1`` where ``state == 1``, 0 where
    ``state == -1``, and margin exactly 0 (``beta`` free) where ``state == 0``.

    Stationarity in W gives ``W = -(1/alpha) sum a_i beta_ic q_ic x_i^T`` with
    ``q_ic = e_c - e_{y_i}``; the unknowns are the multipliers ``lam = a
    beta`` on the margin and ``b``: the zero margins, the intercept's
    stationarity ``sum a_i beta_ic q_ic = 0`` and ``sum(b) = 0`` (the scores
    only depend on differences of ``b``), solved by least squares.
    """
    rows, classes = pairs
    n_classes = len(b_template)
    Q_all = np.zeros((len(rows), n_classes))
    Q_all[np.arange(len(rows)), classes] = 1.0
    Q_all[np.arange(len(rows)), y[rows]] -= 1.0
    active, on = state == 1, state == 0
    weights_A = a[rows[active]]
    G_A = (weights_A[:, None] * Q_all[active]).T @ X[rows[active]]
    g_A = weights_A @ Q_all[active]
    Q, X_E = Q_all[on], X[rows[on]]
    H = (Q @ Q.T) * (X_E @ X_E.T) / alpha
    rhs = margin - np.einsum("kc,ck->k", Q, G_A @ X_E.T) / alpha
    n_on = len(Q)
    if fit_intercept:
        top = np.hstack([H, -Q])
        middle = np.hstack([Q.T, np.zeros((n_classes, n_classes))])
        gauge = np.concatenate([np.zeros(n_on), np.ones(n_classes)])[None]
        system = np.vstack([top, middle, gauge])
        target = np.concatenate([rhs, -g_A, [0.0]])
    else:
        system, target = H, rhs
    solution = np.linalg.lstsq(system, target, rcond=None)[0]
    lam = solution[:n_on]
    b = solution[n_on:] if fit_intercept else np.zeros(n_classes)
    W = -(G_A + (lam[:, None] * Q).T @ X_E) / alpha
    beta = state.astype(float).clip(0, 1)
    beta[on] = lam / a[rows[on]]
    return W, b, beta


def hinge_l2(X, y, alpha, margin=1.0, sample_weight=None, fit_intercept=True):
    """Weston-Watkins hinge + ``alpha/2 ||W||^2``: an exact QP solve.

    A smoothed hinge solved by L-BFGS guesses which margins are positive
    (``beta = 1``), negative (``beta = 0``) or zero (``beta`` free); the
    KKT linear system for that guess is solved exactly
    (:func:`_solve_on_margin`), and margins that break their sign or
    multipliers outside [0, 1] move to the right set, until none does (an
    active-set method). ``theta`` is the optimal dual point (the QP's
    multipliers) in sklinear._duality's convention.
    """
    X = np.asarray(X, float)
    _, a = _weights(sample_weight, len(y))
    n_classes = int(y.max()) + 1
    pairs = _pairs(y, a, n_classes)
    params = np.zeros(n_classes * (X.shape[1] + 1))
    # Ever less smoothed starts, until one is close enough for the active set.
    for mu in _SMOOTHING:
        params = _smoothed_solution(
            X, y, a, alpha, margin, mu, params, not fit_intercept
        )
        W, b = params[:-n_classes].reshape(n_classes, -1), params[-n_classes:]
        reference = _active_set(X, y, a, alpha, margin, pairs, W, b, mu, fit_intercept)
        if reference.kkt < 1e-10:
            break
    return reference


def _active_set(X, y, a, alpha, margin, pairs, W, b, mu, fit_intercept):
    """Active-set iterations from ``(W, b)``, the solution of a hinge smoothed
    with width ``mu`` (whose ``beta = clip(m / mu, 0, 1)`` is fractional for
    margins in ``(0, mu)``)."""
    rows, classes = pairs
    m = _margins(X, y, W, b, rows, classes, margin)
    state = np.where(m >= mu, 1, np.where(m <= 0, -1, 0))
    for _ in range(20):
        W, b, beta = _solve_on_margin(
            X, y, a, alpha, margin, pairs, state, b, fit_intercept
        )
        m = _margins(X, y, W, b, rows, classes, margin)
        scale = 1e-10
        to_free = ((state == 1) & (m < -scale)) | ((state == -1) & (m > scale))
        to_upper = (state == 0) & (beta > 1 + scale)
        to_lower = (state == 0) & (beta < -scale)
        if not (to_free.any() or to_upper.any() or to_lower.any()):
            break
        # All violators move at once: from a close start a handful of steps.
        state = np.where(
            to_free, 0, np.where(to_upper, 1, np.where(to_lower, -1, state))
        )
    n_classes = len(b)
    theta = _theta_of_beta(beta.clip(0, 1), y, rows, classes, n_classes)
    kkt = _hinge_kkt(m, beta, state, theta, a, fit_intercept)
    value = objective_value(X, y, W, b, "hinge", a, 0.0, alpha, margin)
    return Reference(W, b, value, theta, kkt)


def _theta_of_beta(beta, y, rows, classes, n_classes):
    theta = np.zeros((len(y), n_classes))
    theta[rows, classes] = -beta
    np.add.at(theta, (rows, y[rows]), beta)
    return theta


def _hinge_kkt(m, beta, state, theta, a, fit_intercept):
    """Largest violation: multipliers outside [0, 1], margins of the wrong
    sign for their multiplier, and the intercept's stationarity."""
    violations = [
        np.maximum(-beta, 0),
        np.maximum(beta - 1, 0),
        np.where(state == 1, np.maximum(-m, 0), 0),
        np.where(state == -1, np.maximum(m, 0), 0),
        np.where(state == 0, np.abs(m), 0),
    ]
    worst = max(float(v.max(initial=0.0)) for v in violations)
    if fit_intercept:
        worst = max(worst, float(np.abs(a @ theta).max()))
    return worst


def hinge_l1(X, y, alpha, margin=1.0, sample_weight=None, fit_intercept=True):
    """Weston-Watkins hinge + ``alpha ||W||_1`` as a linear program (HiGHS).

    Variables ``W = W+ - W-`` (both >= 0), ``b`` and one slack ``xi_ic >=
    0`` per margin, with ``xi_ic >= (W_c - W_y) x_i + b_c - b_y + margin``.
    The constraints' multipliers are ``a_i beta_ic``, the optimal dual point;
    ``kkt`` is the LP's own duality gap ``|primal - dual|``.
    """
    X = np.asarray(X, float)
    _, a = _weights(sample_weight, len(y))
    n_classes, n_features = int(y.max()) + 1, X.shape[1]
    rows, classes = _pairs(y, a, n_classes)
    A_ub, n_w = _hinge_lp_constraints(X, y, rows, classes, n_classes)
    cost = np.concatenate([np.full(2 * n_w, alpha), np.zeros(n_classes), a[rows]])
    free = (None, None) if fit_intercept else (0, 0)
    bounds = [(0, None)] * (2 * n_w) + [free] * n_classes + [(0, None)] * len(rows)
    result = scipy.optimize.linprog(
        cost,
        A_ub=A_ub,
        b_ub=np.full(len(rows), -margin),
        bounds=bounds,
        method="highs",
        options={
            "primal_feasibility_tolerance": 1e-10,
            "dual_feasibility_tolerance": 1e-10,
        },
    )
    if result.status != 0:
        raise RuntimeError(result.message)
    x = result.x
    W = (x[:n_w] - x[n_w : 2 * n_w]).reshape(n_classes, n_features)
    b = x[2 * n_w : 2 * n_w + n_classes]
    lam = -result.ineqlin.marginals
    theta = _theta_of_beta((lam / a[rows]).clip(0, 1), y, rows, classes, n_classes)
    kkt = abs(result.fun - margin * lam.sum())
    value = objective_value(X, y, W, b, "hinge", a, alpha, 0.0, margin)
    return Reference(W, b, value, theta, kkt)


def _hinge_lp_constraints(X, y, rows, classes, n_classes):
    """Rows ``(W_c - W_y) x_i + b_c - b_y - xi_ic <= -margin``, sparse."""
    n_pairs, n_features = len(rows), X.shape[1]
    n_w = n_classes * n_features
    pair = np.arange(n_pairs)
    features = np.arange(n_features)
    entries, rr, cc = [], [], []
    for sign, cls in ((1.0, classes), (-1.0, y[rows])):
        columns = cls[:, None] * n_features + features
        for part, part_sign in ((0, 1.0), (n_w, -1.0)):
            entries.append(sign * part_sign * X[rows].ravel())
            rr.append(np.repeat(pair, n_features))
            cc.append((part + columns).ravel())
        entries.append(np.full(n_pairs, sign))
        rr.append(pair)
        cc.append(2 * n_w + cls)
    entries.append(-np.ones(n_pairs))
    rr.append(pair)
    cc.append(2 * n_w + n_classes + pair)
    shape = (n_pairs, 2 * n_w + n_classes + n_pairs)
    A = sp.coo_matrix(
        (np.concatenate(entries), (np.concatenate(rr), np.concatenate(cc))), shape
    )
    return A.tocsr(), n_w


def softmax_max_norm(X, y, alpha_l2, max_norm):
    """Softmax + ``alpha_l2/2 ||W||^2`` with ``||W_c||_2 <= max_norm`` per
    class row, by SLSQP (a smooth problem with C smooth constraints; small
    data only). ``kkt``: the gradient's component that no multiplier
    ``nu_c >= 0`` of an active row can cancel."""
    X = np.asarray(X, float)
    _, a = _weights(None, len(y))
    n_classes, n_features = int(y.max()) + 1, X.shape[1]

    def unpack(params):
        return params[:-n_classes].reshape(n_classes, -1), params[-n_classes:]

    def value_gradient(params):
        W, b = unpack(params)
        gW, gb = _softmax_gradient(X, y, W, b, a)
        value = objective_value(X, y, W, b, "softmax", a, 0.0, alpha_l2)
        return value, np.concatenate([(gW + alpha_l2 * W).ravel(), gb])

    def slack(params):
        return max_norm**2 - np.sum(unpack(params)[0] ** 2, axis=1)

    def slack_jacobian(params):
        W = unpack(params)[0]
        jacobian = np.zeros((n_classes, len(params)))
        for c in range(n_classes):
            jacobian[c, c * n_features : (c + 1) * n_features] = -2 * W[c]
        return jacobian

    result = scipy.optimize.minimize(
        value_gradient,
        np.zeros(n_classes * (n_features + 1)),
        jac=True,
        method="SLSQP",
        constraints=[{"type": "ineq", "fun": slack, "jac": slack_jacobian}],
        options={"ftol": 1e-15, "maxiter": 1000},
    )
    W, b = unpack(result.x)
    gradient = value_gradient(result.x)[1]
    gW, gb = gradient[:-n_classes].reshape(n_classes, -1), gradient[-n_classes:]
    kkt = _ball_kkt(W, gW, max_norm)
    kkt = max(
        kkt, float(np.abs(gb).max()), float(np.maximum(-slack(result.x), 0).max())
    )
    value = objective_value(X, y, W, b, "softmax", a, 0.0, alpha_l2)
    return Reference(W, b, value, None, kkt)


def _ball_kkt(W, gradient, max_norm):
    """Per row: on the sphere the gradient must be ``-nu W_c`` (``nu >= 0``),
    inside it must vanish."""
    worst = 0.0
    for w, g in zip(W, gradient):
        norm = np.linalg.norm(w)
        if norm >= max_norm * (1 - 1e-8):
            unit = w / norm
            along = g @ unit
            worst = max(worst, np.linalg.norm(g - along * unit), max(along, 0.0))
        else:
            worst = max(worst, np.abs(g).max())
    return worst


def hinge_l2_max_norm(X, y, alpha_l2, max_norm, margin=1.0):
    """Weston-Watkins hinge + ``alpha_l2/2 ||W||^2`` with ``||W_c||_2 <=
    max_norm`` per class row, by SLSQP: a quadratic objective in ``W`` and
    one slack ``xi_ic >= 0`` per margin, the margins as linear constraints
    (those of :func:`hinge_l1`) and the balls as ``C`` quadratic ones."""
    X = np.asarray(X, float)
    _, a = _weights(None, len(y))
    n_classes, n_features = int(y.max()) + 1, X.shape[1]
    rows, classes = _pairs(y, a, n_classes)
    A, n_w = _hinge_lp_constraints(X, y, rows, classes, n_classes)
    # Columns W+ (W- is its negative), b, xi: a plain W instead of the split.
    A = sp.hstack([A[:, :n_w], A[:, 2 * n_w :]]).toarray()
    cost = np.concatenate([np.zeros(n_w + n_classes), a[rows]])

    def value_gradient(params):
        w = params[:n_w]
        gradient = cost.copy()
        gradient[:n_w] += alpha_l2 * w
        return cost @ params + 0.5 * alpha_l2 * w @ w, gradient

    def balls(params):
        W = params[:n_w].reshape(n_classes, n_features)
        return max_norm**2 - np.sum(W**2, axis=1)

    def balls_jacobian(params):
        jacobian = np.zeros((n_classes, len(params)))
        for c in range(n_classes):
            block = slice(c * n_features, (c + 1) * n_features)
            jacobian[c, block] = -2 * params[block]
        return jacobian

    start = np.concatenate([np.zeros(n_w + n_classes), np.full(len(rows), margin)])
    result = scipy.optimize.minimize(
        value_gradient,
        start,
        jac=True,
        method="SLSQP",
        bounds=[(None, None)] * (n_w + n_classes) + [(0, None)] * len(rows),
        constraints=[
            {"type": "ineq", "fun": lambda p: -margin - A @ p, "jac": lambda p: -A},
            {"type": "ineq", "fun": balls, "jac": balls_jacobian},
        ],
        options={"ftol": 1e-15, "maxiter": 2000},
    )
    params = result.x
    W = params[:n_w].reshape(n_classes, n_features)
    b = params[n_w : n_w + n_classes]
    kkt = max(
        float(np.maximum(A @ params + margin, 0).max()),
        float(np.maximum(-balls(params), 0).max()),
    )
    value = objective_value(X, y, W, b, "hinge", a, 0.0, alpha_l2, margin)
    return Reference(W, b, value, None, kkt)


@functools.cache
def standardized(name):
    """``(X, y)`` of one of :data:`LOADERS`' sets, standardized."""
    X, y = LOADERS[name](return_X_y=True)
    return StandardScaler().fit_transform(X), y


@functools.cache
def l2_optimum(name, loss, alpha):
    """The L2-penalized optimum on :func:`standardized` ``name`` (computed
    once a test session: digits' hinge takes about 6 s), checked:
    lbfgs stops at gradients ~1e-8; the QP solve is exact to rounding."""
    X, y = standardized(name)
    solution = softmax_l2(X, y, alpha) if loss == "softmax" else hinge_l2(X, y, alpha)
    assert solution.kkt < (1e-6 if loss == "softmax" else 1e-9)
    return solution
