"""The exact last steps of small fits (Newton's for the softmax, the dual's
partition for the hinge) on random small problems: they never break the
certificates' weak duality against the plain solve, never leave the weights
non-finite, and never end worse than the plain solve beyond their gap."""

import numpy as np
import pytest

from sklinear._solvers import solve
from sklinear.objective import LinearObjective
from sklinear.penalties import make_penalty


def _random_problem(seed):
    rng = np.random.RandomState(seed)
    n, p, k = rng.randint(4, 60), rng.randint(1, 10), rng.randint(2, 5)
    X = rng.normal(size=(n, p)) * rng.choice([1e-2, 1.0, 1e2])
    # Labels of a noisy linear model, every class present.
    scores = X @ rng.normal(size=(p, k)) / X.std() + rng.gumbel(size=(n, k))
    y = np.argmax(scores, axis=1)
    y[rng.permutation(n)[:k]] = np.arange(k)
    weights = rng.choice([None, "random", "integer"])
    if weights == "random":
        weights = rng.uniform(0.1, 2.0, n)
    elif weights == "integer":
        weights = rng.randint(0, 4, n).astype(float)
        for c in range(k):  # every class keeps a weighted row
            weights[np.flatnonzero(y == c)[0]] = 1.0
    alpha = 10 ** rng.uniform(-5, 0)
    return X, y, weights, alpha, bool(rng.rand() < 0.8)


SEEDS = range(12)
# Exact last steps taken (gap at most 1e-10) in these problems, at least.
EXACT_AT_LEAST = {"softmax": 4, "hinge": 1}


def _solves(loss, seed):
    X, y, weights, alpha, fit_intercept = _random_problem(seed)
    objective = LinearObjective(
        X, y, loss, penalty=make_penalty("l2", alpha), sample_weight=weights,
        fit_intercept=fit_intercept, center=fit_intercept,
    )  # fmt: skip
    # As the estimators call it on small data: the softmax to tol, then
    # Newton's steps; the hinge chasing 1e-10, settling for tol halfway.
    tol, settle = (1e-3, None) if loss == "softmax" else (1e-10, (1e-3, 150))
    results = {}
    for polish_tol in (None, 1e-10):
        W, b = objective.initial_weights(objective.n_classes)
        results[polish_tol] = solve(
            objective, W, b, tol=tol, settle=settle, max_epochs=300,
            polish_tol=polish_tol, random_state=0,
        )  # fmt: skip
    return objective, results


@pytest.mark.parametrize("loss", ["softmax", "hinge"])
@pytest.mark.parametrize("seed", SEEDS)
def test_exact_last_steps_agree_with_the_plain_solve(loss, seed):
    objective, results = _solves(loss, seed)
    for result in results.values():
        assert np.all(np.isfinite(result.W)) and np.all(np.isfinite(result.b))
        assert objective.value(result.W, result.b) == pytest.approx(
            result.primal, rel=1e-9, abs=1e-15
        )
    plain, polished = results[None], results[1e-10]
    slack = 1e-9 * plain.primal + 1e-14
    # Weak duality across the two points: each certificate's lower bound
    # lies below the other point's objective.
    assert polished.primal * (1 - polished.gap) <= plain.primal + slack
    assert plain.primal * (1 - plain.gap) <= polished.primal + slack
    # Not worse than the plain solve beyond the polished point's own gap.
    assert polished.primal <= plain.primal + polished.gap * polished.primal + slack


@pytest.mark.parametrize("loss", ["softmax", "hinge"])
def test_the_problems_exercise_the_exact_steps(loss):
    """The test above is not vacuous: in some of its problems the exact
    steps end at the optimum where the plain solve does not."""
    exact = 0
    for seed in SEEDS:
        results = _solves(loss, seed)[1]
        exact += results[1e-10].gap <= 1e-10 < results[None].gap
    assert exact >= EXACT_AT_LEAST[loss]
