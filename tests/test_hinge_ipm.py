"""The interior-point method for small hinge fits (sklinear._solvers._hinge_ipm)
against an independent exact solve of the same QP (tests/_reference_optimum)."""

import numpy as np
import pytest
from _reference_optimum import hinge_l2
from exact_methods import VARIANTS, capped_solve, variant_objective
from sklearn.exceptions import ConvergenceWarning

from sklinear import LinearSVMClassifier
from sklinear._solvers import _hinge_ipm, solve
from sklinear._solvers._hinge_ipm import hinge_interior_point, interior_point_applies
from sklinear._solvers._newton import NewtonProblem
from sklinear.objective import LinearObjective
from sklinear.penalties import make_penalty


def _objective(X, y, alpha=1e-2, **kwargs):
    return LinearObjective(
        X, y, "hinge", penalty=make_penalty("l2", alpha), center=True, **kwargs
    )


@pytest.mark.parametrize("name", ["iris", "wine"])
@pytest.mark.parametrize("alpha", [1e-4, 1e-2, 1.0])
def test_small_svm_fits_reach_the_exact_optimum(name, alpha, request):
    # At alpha=1e-4 the dual ascent ran out of its 1,000 epochs on iris (gap
    # 1e-2); at the default it ended at tol after 226.
    _assert_exact_in_one_certificate(*request.getfixturevalue(name), alpha)


def _assert_exact_in_one_certificate(X, y, alpha):
    """The default fit is the optimum of an independent QP solve, in at
    most 30 iterations and one certificate."""
    model = LinearSVMClassifier(alpha=alpha, random_state=0).fit(X, y)
    optimum = hinge_l2(X, y, alpha).value
    assert model.duality_gap_ <= 1e-10
    assert abs(model.objective_ - optimum) <= 1e-9 * optimum
    assert model.n_iter_ <= 30
    assert model.loss_curve_epochs_ == [model.n_iter_]  # one certificate
    return model.n_iter_


def test_multipliers_starting_near_zero_take_fewer_iterations(iris, wine):
    # Most of the optimum's multipliers are 0: from a tenth of their bounds
    # the method took 28 iterations on these two sets at the default alpha,
    # from halfway 33.
    counts = [_assert_exact_in_one_certificate(X, y, 1e-2) for X, y in (iris, wine)]
    assert sum(counts) <= 30


@pytest.mark.parametrize("alpha", [1e-4, 1e-3, 1e-2])
def test_rounding_at_the_end_is_mended_by_the_partitions_exact_point(wine, alpha):
    # On these rows (separable at these alphas) the last iterations' normal
    # equations are so ill-conditioned that the certificate of the final
    # iterate stayed at a relative gap of 2e-9 with a complementarity of
    # 1e-14; the dual ascent then ran 91 to 294 epochs. The exact point of
    # the final dual variables' partition ends the fit instead.
    X, y = wine
    rows = np.random.RandomState(0).permutation(len(y))[: 3 * len(y) // 4]
    _assert_exact_in_one_certificate(X[rows], y[rows], alpha)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_weights_and_no_intercept_reach_the_optimum(iris, fit_intercept):
    # Zero weights (their pairs are left out: no room between the bounds)
    # and integer ones, as repeated rows.
    X, y = iris
    weights = np.random.RandomState(0).randint(0, 3, len(y)).astype(float)
    weights[[0, 50, 100]] = 1.0  # every class keeps a weighted row
    model = LinearSVMClassifier(fit_intercept=fit_intercept, random_state=0)
    model.fit(X, y, sample_weight=weights)
    optimum = hinge_l2(
        X, y, model.alpha, sample_weight=weights, fit_intercept=fit_intercept
    ).value
    assert model.duality_gap_ <= 1e-10
    assert abs(model.objective_ - optimum) <= 1e-9 * optimum
    repeated = np.repeat(np.arange(len(y)), weights.astype(int))
    again = LinearSVMClassifier(fit_intercept=fit_intercept, random_state=0)
    again.fit(X[repeated], y[repeated])
    np.testing.assert_allclose(again.coef_, model.coef_, rtol=0, atol=1e-7)


def test_the_dual_ascent_takes_over_where_it_stops_short(wine, monkeypatch):
    # Two iterations cannot reach tol: the dual ascent goes on, from the
    # interior point's intercept, and its exact last steps end the fit.
    monkeypatch.setattr(_hinge_ipm, "_MAX_ITERATIONS", 2)
    X, y = wine
    objective = _objective(X, y)
    W, b = objective.initial_weights(objective.n_classes)
    result = solve(objective, W, b, tol=1e-3, polish_tol=1e-10, random_state=0)
    assert result.method == "sdca"
    assert result.n_epochs > 2 and result.gap <= 1e-3
    assert result.history[0][0] == 2  # the interior point's check, first
    assert objective.value(W, b) == pytest.approx(result.primal, rel=1e-12)


def test_each_iteration_is_an_epoch_and_max_iter_holds(iris):
    X, y = iris
    objective = _objective(X, y)
    result, seen, W, b = capped_solve(objective, 4, polish_tol=1e-10)
    assert result.n_epochs == 4 and seen == list(range(4))
    assert objective.value(W, b) == pytest.approx(result.primal, rel=1e-12)
    with pytest.warns(ConvergenceWarning):
        model = LinearSVMClassifier(max_iter=4, random_state=0).fit(X, y)
    assert model.n_iter_ == 4


def test_a_warm_start_starts_from_the_given_point(iris):
    X, y = iris
    objective = _objective(X, y)
    factors = objective._factors(slice(None), len(y))
    problem = NewtonProblem(objective, y, factors)
    cold = hinge_interior_point(problem, objective.margin)
    assert cold[2]  # converged
    warm = hinge_interior_point(problem, objective.margin, z=cold[0])
    assert warm[2]
    np.testing.assert_allclose(warm[0], cold[0], rtol=0, atol=1e-8)
    # Its dual variables are the QP's multipliers: within their bounds.
    assert np.all((cold[1] >= 0) & (cold[1] <= 1))
    assert np.all(cold[1][np.arange(len(y)), y] == 0)


@pytest.mark.parametrize("change", VARIANTS)
def test_it_applies_to_small_l2_hinge_problems_only(iris, change):
    X, y = iris
    assert interior_point_applies(_objective(X, y))
    assert not interior_point_applies(variant_objective(X, y, change, "hinge"))


@pytest.mark.parametrize("n_classes", [2, 3])
def test_the_normal_matrix_is_a_transpose_a(n_classes):
    # Two classes take a shortcut (one q x q product): the same matrix.
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(30, 4)), np.arange(30) % n_classes
    weights = rng.uniform(0.0, 2.0, 30)
    weights[:n_classes] = 1.0
    objective = _objective(X, y, sample_weight=weights)
    factors = objective._factors(slice(None), len(y))
    iterates = _hinge_ipm._Iterates(
        NewtonProblem(objective, y, factors), objective.margin
    )
    d = rng.uniform(0.1, 3.0, len(iterates.sample))
    pinned = NewtonProblem(objective, y, factors).pinned
    expected = iterates.A.T @ (d[:, None] * iterates.A) + np.outer(pinned, pinned)
    expected[np.diag_indices_from(expected)] += iterates.penalty
    np.testing.assert_allclose(iterates.normal_matrix(d), expected, rtol=1e-12)
