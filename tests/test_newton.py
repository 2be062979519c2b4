"""Newton's polish of small smooth fits (sklinear._solvers._newton) and the
exact curvature of few-feature data."""

import numpy as np
import pytest
from _reference_optimum import softmax_l2
from exact_methods import VARIANTS, capped_solve, variant_objective
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from sklinear import SoftmaxClassifier
from sklinear._data_stats import _top_second_moment
from sklinear._solvers import _newton, newton_applies, solve
from sklinear._solvers._newton import NewtonProblem
from sklinear.objective import LinearObjective
from sklinear.penalties import make_penalty


def _objective(X, y, penalty="l2", alpha=1e-2, **kwargs):
    return LinearObjective(
        X, y, "softmax", penalty=make_penalty(penalty, alpha, 0.5), center=True,
        **kwargs,
    )  # fmt: skip


@pytest.mark.parametrize("name", ["iris", "wine"])
def test_small_softmax_fits_reach_rounding_with_few_newton_steps(name, request):
    X, y = request.getfixturevalue(name)
    model = SoftmaxClassifier(random_state=0, verbose=0).fit(X, y)
    optimum = softmax_l2(X, y, model.alpha).value
    assert model.duality_gap_ <= 1e-10
    assert abs(model.objective_ - optimum) <= 1e-9 * optimum
    # Newton's steps from the start, one certificate: where SAGA's own
    # epochs took 40 (iris) and 88 (wine) to reach 1e-10.
    assert model.n_iter_ <= 10
    assert model.loss_curve_epochs_ == [model.n_iter_]


def test_saga_takes_over_where_newton_stops_short(wine, monkeypatch):
    # Newton's steps come first; where they stop short of tol (here: the
    # first round takes no step), SAGA's epochs reach tol, and Newton's
    # steps polish their point.
    X, y = wine
    objective = _objective(X, y)
    runs = []
    real = NewtonProblem.minimize
    for stalls in (False, True):
        calls = []

        def minimize(self, z, *args, calls=calls, stalls=stalls, **kwargs):
            calls.append(z.copy())
            if stalls and len(calls) == 1:
                return z
            return real(self, z, *args, **kwargs)

        monkeypatch.setattr(NewtonProblem, "minimize", minimize)
        W, b = objective.initial_weights(objective.n_classes)
        runs.append(
            (solve(objective, W, b, tol=1e-3, polish_tol=1e-12, random_state=0), calls)
        )
    (alone, alone_calls), (taken_over, taken_over_calls) = runs
    assert len(alone_calls) == 1 and not np.any(alone_calls[0])  # from W = 0
    assert alone.gap <= 1e-12 and alone.n_epochs <= 10
    assert len(taken_over_calls) >= 2 and np.any(taken_over_calls[1])  # SAGA's point
    assert taken_over.gap <= 1e-12
    assert taken_over.n_epochs > alone.n_epochs  # SAGA's epochs ran
    assert taken_over.primal == pytest.approx(alone.primal, rel=1e-12)


def test_hooks_see_each_newton_step_as_an_epoch(iris):
    X, y = iris
    objective = _objective(X, y)
    seen = []

    def on_epoch_end(epoch, W, b):
        seen.append((epoch, objective.value(W, b)))

    W, b = objective.initial_weights(objective.n_classes)
    result = solve(
        objective, W, b, tol=1e-3, polish_tol=1e-12, random_state=0,
        on_epoch_end=on_epoch_end,
    )  # fmt: skip
    assert [epoch for epoch, _ in seen] == list(range(result.n_epochs))
    # The hook of a Newton step sees that step's weights: the last value
    # is the final objective (to the rounding of the intercept's last move).
    assert seen[-1][1] == pytest.approx(result.primal, rel=1e-12)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("one_product", [True, False])
@pytest.mark.parametrize("intercept", [True, False])
@pytest.mark.parametrize("loss, mu", [("softmax", 0.0), ("hinge", 2.0)])
def test_newton_hessian_is_the_derivative_of_its_gradient(
    intercept, loss, mu, one_product, n_classes, monkeypatch
):
    # The hinge's smoothing is piecewise quadratic: its generalized Hessian
    # is the derivative wherever no margin crosses a kink of its band.
    # Small problems build every block in one product, larger ones in a
    # loop; two classes take one block.
    if not one_product:
        monkeypatch.setattr(_newton, "_ONE_PRODUCT_ENTRIES", 0)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    y = rng.randint(0, n_classes, size=40)
    objective = LinearObjective(
        X, y, loss, penalty=make_penalty("l2", 0.1), center=True,
        fit_intercept=intercept,
    )  # fmt: skip
    problem = NewtonProblem(objective, y, np.full(40, 1 / 40), mu)
    z = rng.normal(size=(n_classes, problem.rows.shape[1]))
    _, scores, helper = problem.value(z)
    hessian = problem.hessian(helper) - np.outer(problem.pinned, problem.pinned)
    step = 1e-7
    for index in range(z.size):
        moved = z.ravel().copy()
        moved[index] += step
        moved = moved.reshape(z.shape)
        derivative = (
            problem.gradient(moved, problem.value(moved)[1])
            - problem.gradient(z, scores)
        ) / step
        assert_allclose(hessian[index], derivative, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("change", VARIANTS)
def test_newton_applies_to_small_smooth_l2_problems_only(iris, change):
    X, y = iris
    assert newton_applies(_objective(X, y))
    assert not newton_applies(variant_objective(X, y, change, "softmax"))


@pytest.mark.parametrize("n_features", [3, 32, 33])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_top_second_moment_matches_the_matrix(n_features, fit_intercept):
    # Up to 32 features the matrix is built; beyond, power iteration: both
    # give its top eigenvalue (the iterations from below).
    rng = np.random.RandomState(1)
    X = rng.normal(size=(200, n_features)) * rng.uniform(0.5, 3, n_features)
    weights = rng.uniform(0.5, 1.5, 200)
    weights /= weights.sum()
    preconditioner = rng.uniform(0.5, 2, n_features)
    offset = X.mean(axis=0)
    rows = (X - offset) * np.sqrt(preconditioner)
    if fit_intercept:
        rows = np.hstack([rows, np.ones((200, 1))])
    exact = np.linalg.eigvalsh(rows.T @ (weights[:, None] * rows))[-1]
    found = _top_second_moment(X, weights, preconditioner, offset, fit_intercept, 15)
    if n_features <= 32:
        assert found == pytest.approx(exact, rel=1e-12)
    else:
        assert 0.9 * exact <= found <= exact * (1 + 1e-12)


def test_newton_steps_stop_at_max_iter_each_counted(iris):
    # Newton's steps take iris to 1e-10 in 7: with max_iter=3 they stop at
    # 3, each counted (and hooked) like an epoch.
    X, y = iris
    model = SoftmaxClassifier(random_state=0, max_iter=3)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    assert model.n_iter_ == 3
    objective = _objective(X, y)
    result, seen, W, b = capped_solve(objective, 3, polish_tol=1e-12)
    assert result.n_epochs == 3 and seen == list(range(3))
    assert objective.value(W, b) == pytest.approx(result.primal, rel=1e-12)
