"""The penalties' proximal steps, above all MaxNorm's, against scipy."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.optimize import minimize
from sklearn.datasets import make_classification

from sklinear import LinearSVMClassifier, SoftmaxClassifier
from sklinear._sklearn_compat import InvalidParameterError
from sklinear._training_solver import _make_objective
from sklinear.objective import LinearObjective
from sklinear.penalties import (
    L1,
    L2,
    ElasticNet,
    MaxNorm,
    NoPenalty,
    make_penalty,
    project_max_norm,
)

# Each inner penalty with its (alpha_l1, alpha_l2), written out here so that
# the reference below does not go through the code under test.
INNER = {
    "none": (NoPenalty(), 0.0, 0.0),
    "l2": (L2(0.3), 0.0, 0.3),
    "l1": (L1(0.4), 0.4, 0.0),
    "elasticnet": (ElasticNet(0.5, 0.4), 0.2, 0.3),
}
# Scalar and per-feature steps (spread out, or a wrong metric goes unseen).
STEPS = {"scalar": 0.7, "per-feature": np.array([0.2, 1.0, 3.0, 0.5])}
RADIUS = 1.0


def _rows():
    """Rows outside the ball (some entries below every threshold) and one
    inside it."""
    return np.array(
        [
            [3.0, -2.5, 0.05, 1.8],
            [0.2, 0.05, -0.1, 0.3],
            [2.5, -1.8, 0.1, 0.0],
            [-1.2, 4.0, 2.0, -0.6],
        ]
    )


def _reference_prox(w, step, alpha_l1, alpha_l2):
    """``argmin_v a1|v|_1 + a2/2 |v|^2 + sum_j (v_j - w_j)^2 / (2 step_j)``
    subject to ``|v| <= RADIUS``, by SLSQP on ``v = p - n`` with ``p, n >=
    0`` (smooth, so the L1 part is solved as accurately as the rest)."""
    d = len(w)
    step = np.broadcast_to(step, (d,))

    def objective(z):
        p, n = z[:d], z[d:]
        v = p - n
        value = alpha_l1 * z.sum() + 0.5 * alpha_l2 * v @ v
        return value + 0.5 * np.sum((v - w) ** 2 / step)

    def gradient(z):
        v = z[:d] - z[d:]
        g = alpha_l2 * v + (v - w) / step
        return np.r_[alpha_l1 + g, alpha_l1 - g]

    def inside(z):
        v = z[:d] - z[d:]
        return RADIUS**2 - v @ v

    start = np.r_[np.maximum(w, 0), np.maximum(-w, 0)] * 0.1
    found = minimize(
        objective,
        start,
        jac=gradient,
        method="SLSQP",
        bounds=[(0, None)] * (2 * d),
        constraints=[{"type": "ineq", "fun": inside}],
        options={"ftol": 1e-13, "maxiter": 1000},
    )
    # (At this ftol SLSQP may end on a failed line search: at the optimum.)
    assert found.success or found.status == 8, found.message
    return found.x[:d] - found.x[d:]


@pytest.mark.parametrize("step", list(STEPS))
@pytest.mark.parametrize("inner", list(INNER))
def test_max_norm_prox_is_the_constrained_minimizer(inner, step):
    penalty, alpha_l1, alpha_l2 = INNER[inner]
    step = STEPS[step]
    W = _rows()
    got = MaxNorm(penalty, RADIUS).prox(W, step)
    for w, v in zip(W, got):
        want = _reference_prox(w, step, alpha_l1, alpha_l2)
        assert_allclose(v, want, atol=1e-6)
        assert np.linalg.norm(v) <= RADIUS * (1 + 1e-12)
    # The rows the inner step leaves outside the ball end on it (there are
    # some), and the L1 part's exact zeros stay.
    outside = np.linalg.norm(penalty.prox(W, step), axis=1) > RADIUS
    assert outside.sum() >= 2
    assert_allclose(np.linalg.norm(got[outside], axis=1), RADIUS, rtol=1e-12)
    if alpha_l1 > 0:
        assert got[0, 2] == got[2, 3] == 0.0


def test_max_norm_prox_leaves_its_input_alone():
    W = _rows()
    before = W.copy()
    for inner, _, _ in INNER.values():
        MaxNorm(inner, RADIUS).prox(W, STEPS["per-feature"])
        assert_array_equal(W, before)


def test_max_norm_value_gradient_and_strength():
    inner = ElasticNet(0.5, 0.4)
    penalty = MaxNorm(inner, 2.0)
    W = np.array([[1.2, -1.6], [0.3, 0.0]])  # row norms 2 and 0.3
    assert penalty.value(W) == inner.value(W)
    assert_array_equal(penalty.gradient(W), inner.gradient(W))
    assert penalty.l2_strength == inner.l2_strength
    assert not penalty.smooth
    assert penalty.max_norm == 2.0 and penalty.penalty is inner
    # Rounding of a projection (float32 included) is inside; more is not.
    assert np.isfinite(penalty.value(W * (1 + 4e-16)))
    assert np.isfinite(penalty.value((W * (1 + 1e-7)).astype(np.float32)))
    assert penalty.value(W * (1 + 1e-7)) == np.inf
    assert penalty.value((W * (1 + 1e-5)).astype(np.float32)) == np.inf


def test_plain_penalties_have_no_max_norm():
    for penalty in ("l2", "l1", "elasticnet", None):
        assert make_penalty(penalty, 0.1).max_norm is None
    bounded = make_penalty("l1", 0.1, max_norm=0.5)
    assert isinstance(bounded, MaxNorm) and isinstance(bounded.penalty, L1)
    assert bounded.max_norm == 0.5
    assert isinstance(make_penalty("l2", 0.0, max_norm=0.5).penalty, NoPenalty)


def test_max_norm_prox_with_equal_steps_is_the_plain_projection():
    W = _rows()
    for step in (0.7, np.full(4, 0.7)):
        assert_allclose(
            MaxNorm(L1(0.4), RADIUS).prox(W, step),
            project_max_norm(L1(0.4).prox(W, 0.7), RADIUS),
            rtol=1e-12,
        )


@pytest.mark.parametrize("Classifier", [SoftmaxClassifier, LinearSVMClassifier])
def test_estimator_objective_carries_max_norm(Classifier):
    X, y = make_classification(60, 5, n_informative=3, n_classes=3, random_state=0)
    weights = np.ones(len(y))
    model = Classifier(penalty="elasticnet", alpha=0.1, l1_ratio=0.3, max_norm=0.7)
    penalty = _make_objective(model, X, y, weights, 3).penalty
    assert isinstance(penalty, MaxNorm) and penalty.max_norm == 0.7
    assert isinstance(penalty.penalty, ElasticNet)
    assert (penalty.penalty.alpha, penalty.penalty.l1_ratio) == (0.1, 0.3)
    plain = _make_objective(model.set_params(max_norm=None), X, y, weights, 3).penalty
    assert isinstance(plain, ElasticNet) and plain.max_norm is None


@pytest.mark.parametrize("max_norm", [np.inf, 0.0, -1.0, np.nan])
def test_estimator_refuses_a_max_norm_that_bounds_nothing(max_norm):
    # Checked with the other parameters, before any data is read.
    X, y = make_classification(20, 4, n_informative=2, random_state=0)
    with pytest.raises(InvalidParameterError, match="'max_norm' parameter"):
        SoftmaxClassifier(max_norm=max_norm).fit(X, y)


@pytest.mark.parametrize("penalty", ["l2", "elasticnet"])
def test_preconditioned_gd_reaches_the_bounded_minimizer(penalty):
    # Features of very different spread get very different preconditioned
    # steps: a proximal step that projected in the metric of the steps
    # themselves after an L2 part (not of step / (1 + step * alpha_l2)) has
    # a fixed point 1e-5 above the minimum here.
    X, y = make_classification(
        400, 4, n_informative=3, n_redundant=0, n_classes=3, random_state=0
    )
    X = X * np.array([1, 10, 0.3, 3])
    alpha_l1, alpha_l2 = (0.0, 0.05) if penalty == "l2" else (0.01, 0.04)
    objective = LinearObjective(X, y, "softmax")

    def value(z):  # W = P - N with P, N >= 0: the L1 part is smooth
        W = (z[:12] - z[12:24]).reshape(3, 4)
        return (
            objective.value(W, z[24:])
            + alpha_l1 * z[:24].sum()
            + 0.5 * alpha_l2 * np.sum(W**2)
        )

    def inside_ball(k):
        return lambda z: (
            0.25 - np.sum((z[4 * k : 4 * k + 4] - z[12 + 4 * k : 16 + 4 * k]) ** 2)
        )

    constrained = minimize(
        value,
        np.zeros(27),
        method="SLSQP",
        bounds=[(0, None)] * 24 + [(None, None)] * 3,
        constraints=[{"type": "ineq", "fun": inside_ball(k)} for k in range(3)],
        options={"ftol": 1e-14, "maxiter": 2000},
    )
    alpha = alpha_l1 + alpha_l2
    model = SoftmaxClassifier(
        penalty=penalty,
        alpha=alpha,
        l1_ratio=alpha_l1 / alpha,
        max_norm=0.5,
        solver="gd",
        learning_rate="constant",
        max_iter=3000,
        tol=None,
    ).fit(X, y)
    assert_allclose(model.objective_, constrained.fun, rtol=1e-8)
