"""The L-BFGS solver (``sklinear._solvers._lbfgs``) and 'auto''s choice of it.

Its fits must reach the independent optimum (scikit-learn's lbfgs at
``tol=1e-12``) with a certified gap, on dense and CSR, float64 and float32
data; 'auto' must take it where SAGA's steps are short and keep SAGA
elsewhere; it must refuse objectives it cannot minimize, stop when a hook
asks, and hand over to SAGA where it stops short of ``tol``.
"""

import functools

import numpy as np
import pytest
import scipy.sparse as sp
from _reference_optimum import softmax_l2
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler
from solve_paths import assert_a_hook_stops_it, cut_short

from sklinear import SoftmaxClassifier
from sklinear._solvers import _lbfgs, solve
from sklinear.objective import LinearObjective
from sklinear.penalties import make_penalty


@functools.lru_cache
def _digits(n=600):
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X[:n]), y[:n]


@functools.lru_cache
def _reference(alpha):
    return softmax_l2(*_digits(), alpha)


def _objective(alpha, layout="dense", dtype=np.float64, penalty="l2"):
    X, y = _digits()
    X = X.astype(dtype)
    if layout == "csr":
        X = sp.csr_matrix(X)
    return LinearObjective(
        X, y, "softmax", penalty=make_penalty(penalty, alpha), center=layout == "dense"
    )


@pytest.mark.parametrize("alpha", [1e-4, 1e-3])
@pytest.mark.parametrize("layout", ["dense", "csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_reaches_the_independent_optimum(alpha, layout, dtype):
    objective = _objective(alpha, layout, dtype)
    W, b = objective.initial_weights(objective.n_classes)
    result = solve(objective, W, b, method="lbfgs", tol=1e-4, random_state=0)
    reference = _reference(alpha)
    assert result.method == "lbfgs" and result.converged and result.gap <= 1e-4
    # L-BFGS's own iterations got there (44 to 69; SAGA took 260 epochs at
    # alpha=1e-3 and did not reach 1e-4 in 1,000 at 1e-4).
    assert result.n_epochs <= 120
    # The certificate bounds the true excess, and the fit is at the optimum.
    excess = result.primal - reference.value
    assert excess <= result.gap * result.primal + 1e-7
    assert excess <= 1e-4 * reference.value
    assert W.dtype == dtype and np.isfinite(W).all()


def test_auto_takes_lbfgs_on_dense_data_and_where_sagas_steps_are_short():
    X, y = _digits()
    for alpha in (1e-4, 1.0):  # dense: at any alpha
        model = SoftmaxClassifier(alpha=alpha, random_state=0).fit(X, y)
        assert model.solver_ == "lbfgs" and model.duality_gap_ <= model.tol
    # CSR: where L / (n alpha) is large, not where the compiled sweep's
    # steps are long.
    small = SoftmaxClassifier(alpha=1e-4, random_state=0).fit(sp.csr_matrix(X), y)
    assert small.solver_ == "lbfgs" and small.duality_gap_ <= small.tol
    strong = SoftmaxClassifier(alpha=1.0, random_state=0).fit(sp.csr_matrix(X), y)
    assert strong.solver_ == "saga" and strong.duality_gap_ <= strong.tol
    # Problems small enough for Newton's steps keep SAGA's solve, which
    # starts with them.
    tiny = SoftmaxClassifier(alpha=1e-4, random_state=0).fit(X[:100, :8], y[:100])
    assert tiny.solver_ == "saga"
    # An L1 part: its orthant-wise form (test_owlqn.py), on CSR X too.
    l1 = SoftmaxClassifier(alpha=1e-2, penalty="elasticnet", random_state=0)
    assert l1.fit(X, y).solver_ == "lbfgs"
    assert l1.fit(sp.csr_matrix(X), y).solver_ == "lbfgs"
    # Asked for, it runs where 'auto' would not, to the same optimum.
    asked = SoftmaxClassifier(alpha=1.0, solver="lbfgs", random_state=0)
    asked.fit(sp.csr_matrix(X), y)
    assert asked.solver_ == "lbfgs" and asked.duality_gap_ <= asked.tol
    assert abs(asked.objective_ - strong.objective_) <= 2e-3 * strong.objective_


@pytest.mark.parametrize(
    "params",
    [{"max_norm": 1.0}, {"penalty": "l1", "max_norm": 1.0}, {"alpha": 0.0}],
    ids=["max_norm", "l1_max_norm", "no_penalty"],
)
def test_lbfgs_refuses_what_it_cannot_minimize(params):
    X, y = _digits(200)
    with pytest.raises(ValueError, match="solver='lbfgs' needs the softmax"):
        SoftmaxClassifier(solver="lbfgs", **params).fit(X, y)


def test_a_hook_stops_it():
    assert_a_hook_stops_it(_objective(1e-4))


def test_saga_finishes_where_lbfgs_stops_short(monkeypatch):
    # L-BFGS whose line search fails after two iterations (as where rounding
    # hides any descent): SAGA must take over from its point and reach tol.
    reference = _reference(1e-3)  # LogisticRegression's L-BFGS, not cut short
    cut_short(monkeypatch, _lbfgs, "line_search", 2)
    objective = _objective(1e-3)
    W, b = objective.initial_weights(objective.n_classes)
    result = solve(objective, W, b, method="lbfgs", tol=1e-3, random_state=0)
    assert result.method == "lbfgs" and result.converged
    epochs = [entry[0] for entry in result.history]
    # L-BFGS's check of its last point (a cold start is not checked), then
    # SAGA's checks from there.
    assert epochs[:2] == [2, 2] and epochs == sorted(epochs)
    assert result.n_epochs == epochs[-1] > 2
    excess = result.primal - reference.value
    assert excess <= result.gap * result.primal + 1e-7


def test_without_an_intercept_it_stays_at_zero():
    X, y = _digits()
    model = SoftmaxClassifier(fit_intercept=False, random_state=0).fit(X, y)
    assert model.solver_ == "lbfgs" and model.duality_gap_ <= model.tol
    assert not model.intercept_.any()
    saga = SoftmaxClassifier(fit_intercept=False, solver="saga", random_state=0)
    saga.fit(X, y)
    bound = max(model.duality_gap_, saga.duality_gap_) * saga.objective_
    assert abs(model.objective_ - saga.objective_) <= bound


@pytest.mark.parametrize("alpha", [1e-4, 1e-3, 1e-2])
def test_checks_wait_for_a_gradient_that_says_the_gap_may_be_within_tol(alpha):
    # A check costs several iterations, and the gap is not monotone along
    # the iterates: checks come when |g|^2 / (2 alpha) is within half of
    # tol, 3 to 50 iterations apart, never at the cold start.
    objective = _objective(alpha)
    W, b = objective.initial_weights(objective.n_classes)
    result = solve(objective, W, b, method="lbfgs", tol=1e-3, random_state=0)
    assert result.converged and result.method == "lbfgs"
    epochs = [entry[0] for entry in result.history]
    spacing = np.diff([0] + epochs)
    assert spacing.min() >= 3 and spacing.max() <= 50
    # Spaced by the rate the gap fell at, the same fits checked 4 to 7 times.
    assert len(epochs) <= max(2, result.n_epochs // 20 + 1)


def test_float32_rounding_hands_over_to_saga():
    # With float32 X the objective's rounding passes for progress: L-BFGS
    # must hand over to SAGA once its steps gain less than that (without the
    # rule: 2,000 iterations at a gap of 5e-6 here).
    objective = _objective(1e-4, dtype=np.float32)
    W, b = objective.initial_weights(objective.n_classes)
    result = solve(
        objective, W, b, method="lbfgs", tol=1e-6, random_state=0, max_epochs=1000
    )
    assert result.converged and result.gap <= 1e-6
    assert W.dtype == np.float32 and result.n_epochs < 500
