"""OWL-QN (``sklinear._solvers._owlqn``): L-BFGS for the softmax with an L1
part in its penalty.

Its fits must reach the independent optimum (scikit-learn's saga at
``tol=1e-10``) with a certified gap and the optimum's exact zeros, where
SAGA's steps are short (small ``alpha``) as well as at the defaults; its
pseudo-gradient must be the steepest descent's slope; it must stop when a
hook asks and hand over to SAGA where its line search fails.
"""

import functools

import numpy as np
import pytest
import scipy.sparse as sp
from _reference_optimum import softmax_saga, standardized
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler
from solve_paths import assert_a_hook_stops_it, cut_short

from sklinear import SoftmaxClassifier
from sklinear._solvers import _owlqn, solve
from sklinear._solvers._owlqn import pseudo_gradient
from sklinear.objective import LinearObjective
from sklinear.penalties import make_penalty


@functools.lru_cache
def _data(name):
    if name == "digits":  # 600 rows
        X, y = load_digits(return_X_y=True)
        return StandardScaler().fit_transform(X[:600]), y[:600]
    return standardized(name)


@functools.lru_cache
def _reference(name, alpha, l1_ratio):
    return softmax_saga(*_data(name), alpha, l1_ratio)


def _objective(name, alpha, l1_ratio, dtype=np.float64, layout="dense"):
    X, y = _data(name)
    X = X.astype(dtype)
    penalty = (
        make_penalty("l1", alpha)
        if l1_ratio == 1
        else make_penalty("elasticnet", alpha, l1_ratio=l1_ratio)
    )
    if layout == "csr":
        X = sp.csr_matrix(X)
    return LinearObjective(X, y, "softmax", penalty=penalty, center=layout == "dense")


def test_the_pseudo_gradient_is_the_slope_of_steepest_descent():
    alpha = 0.5
    x = np.array([1.0, -2.0, 0.0, 0.0, 0.0, 0.0, 3.0])
    gradient = np.array([0.2, 0.2, -0.7, 0.7, 0.3, -0.3, 0.1])
    penalized = np.array([True] * 6 + [False])  # the last: an intercept
    slope = pseudo_gradient(x, gradient, alpha, penalized)
    # Off zero the L1 term's gradient; at zero the one-sided slope that
    # descends, or 0 where neither side does; the intercept unpenalized.
    np.testing.assert_allclose(slope, [0.7, -0.3, -0.2, 0.2, 0.0, 0.0, 0.1])

    # It is the minimum-norm subgradient: each entry's one-sided slopes.
    def whole(z):
        return gradient @ z + alpha * np.abs(z[penalized]).sum()

    for i in range(len(x)):
        step = np.zeros_like(x)
        step[i] = 1e-7
        right = (whole(x + step) - whole(x)) / 1e-7
        left = (whole(x) - whole(x - step)) / 1e-7
        expected = right if right < 0 else left if left > 0 else 0.0
        assert slope[i] == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "name, alpha, l1_ratio",
    [
        ("breast_cancer", 1e-3, 1.0),
        ("wine", 1e-3, 1.0),
        ("wine", 1e-2, 1.0),
        ("wine", 1e-3, 0.5),
        ("breast_cancer", 1e-3, 0.5),
    ],
)
def test_reaches_the_independent_optimum_and_its_zeros(name, alpha, l1_ratio):
    objective = _objective(name, alpha, l1_ratio)
    W, b = objective.initial_weights(objective.n_classes)
    result = solve(objective, W, b, tol=1e-4, random_state=0)
    reference = _reference(name, alpha, l1_ratio)
    # 'auto' takes it on dense X, and its own iterations get there (SAGA
    # stopped at 1,000 epochs with gaps near 1e-2 at the pure L1's 1e-3).
    assert result.method == "lbfgs" and result.converged and result.gap <= 1e-4
    assert result.n_epochs <= 600
    excess = result.primal - reference.value
    assert excess <= result.gap * result.primal + 1e-8
    assert excess <= 1e-4 * reference.value
    # Exact zeros where saga (tol 1e-10) has them, up to a few near-ties.
    agree = np.mean((W == 0) == (reference.W == 0))
    assert agree >= 0.95, agree


def test_float32_and_csr_reach_the_same_optimum():
    reference = _reference("wine", 1e-3, 1.0)
    for dtype, layout in [(np.float32, "dense"), (np.float64, "csr")]:
        objective = _objective("wine", 1e-3, 1.0, dtype, layout)
        W, b = objective.initial_weights(objective.n_classes)
        result = solve(objective, W, b, method="lbfgs", tol=1e-3, random_state=0)
        assert result.converged and W.dtype == dtype
        excess = result.primal - reference.value
        assert excess <= result.gap * result.primal + 1e-6


def test_a_hook_stops_it():
    assert_a_hook_stops_it(_objective("wine", 1e-3, 1.0))


def test_saga_finishes_where_its_line_search_fails(monkeypatch):
    cut_short(monkeypatch, _owlqn, "_orthant_line_search", 3)
    objective = _objective("wine", 1e-2, 1.0)
    W, b = objective.initial_weights(objective.n_classes)
    result = solve(objective, W, b, method="lbfgs", tol=1e-3, random_state=0)
    assert result.method == "lbfgs" and result.converged
    epochs = [entry[0] for entry in result.history]
    assert epochs[0] == 3 and epochs == sorted(epochs) and result.n_epochs > 3
    reference = _reference("wine", 1e-2, 1.0)
    assert result.primal - reference.value <= result.gap * result.primal + 1e-8


def test_the_estimator_certifies_small_alpha_l1():
    X, y = _data("breast_cancer")
    model = SoftmaxClassifier(penalty="l1", alpha=1e-3, random_state=0).fit(X, y)
    assert model.solver_ == "lbfgs" and model.duality_gap_ <= model.tol
    assert (model.coef_ == 0).any()


def test_a_zero_optimum_is_certified_at_the_start():
    # Where the L1 term outweighs every gradient at W = 0, W = 0 is the
    # optimum's weights: the cheap check at zero ends the solve there.
    objective = _objective("wine", 10.0, 1.0, layout="csr")
    W, b = objective.initial_weights(objective.n_classes)
    result = solve(objective, W, b, tol=1e-6, random_state=0)
    assert result.method == "lbfgs" and result.converged
    assert result.n_epochs == 0 and not W.any() and result.gap <= 1e-6


def test_auto_keeps_saga_where_the_pairs_would_outweigh_csr_x():
    # 200 rows of 5 values among 200,000 hashed features, 3 classes: 10
    # pairs of 600,000 weights would take 96 MB beside X's 12 kB.
    rng = np.random.default_rng(0)
    columns = rng.integers(0, 200_000, size=(200, 5))
    X = sp.csr_matrix(
        (rng.random(1000), columns.ravel(), np.arange(0, 1001, 5)),
        shape=(200, 200_000),
    )
    y = np.arange(200) % 3
    model = SoftmaxClassifier(penalty="l1", alpha=1e-2, random_state=0, max_iter=5)
    assert model.fit(X, y).solver_ == "saga"
    dense_enough = SoftmaxClassifier(penalty="l1", alpha=1e-2, random_state=0)
    assert dense_enough.fit(X[:, :2000], y).solver_ == "lbfgs"
