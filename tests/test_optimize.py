"""The optimizers on their own, without the estimators around them."""

import numpy as np
import pytest

from sklinear.objective import LinearObjective
from sklinear.optimize import _batches, gradient_descent, minibatch_sgd, random_search
from sklinear.penalties import MaxNorm, make_penalty


@pytest.fixture
def objective():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return LinearObjective(X, y, loss="softmax", center=True)


@pytest.mark.parametrize("n_samples, batch_size", [(10, 3), (300, 32), (7, 100)])
def test_strided_batches_cover_every_row_once(n_samples, batch_size):
    rows = np.concatenate(
        [np.arange(n_samples)[b] for b in _batches(n_samples, batch_size)]
    )
    assert np.array_equal(np.sort(rows), np.arange(n_samples))
    sizes = [len(range(*b.indices(n_samples))) for b in _batches(n_samples, batch_size)]
    assert max(sizes) <= batch_size and max(sizes) - min(sizes) <= 1


def _sgd_from_zero(objective, **settings):
    """Minibatch SGD from zero weights, step 0.1 and batches of 32."""
    W, b = objective.initial_weights(2)
    settings = {"learning_rate_init": 0.1, "batch_size": 32, **settings}
    return minibatch_sgd(
        objective, W, b, random_state=np.random.default_rng(0), **settings
    )


def test_tol_none_runs_every_epoch(objective):
    result = _sgd_from_zero(objective, max_iter=40, tol=None)
    assert result.n_iter == 40 and not result.converged
    assert result.state.eta == result.state.eta0  # no adaptive lowering


def test_adaptive_schedule_lowers_the_step_then_stops(objective):
    result = _sgd_from_zero(objective, max_iter=500, tol=1e-4)
    assert result.converged and result.n_iter < 500
    assert result.state.eta < result.state.eta0
    assert result.epoch_objectives[-1] < 0.5 * result.epoch_objectives[0]


@pytest.mark.parametrize("momentum", [1.0, -0.5, 1.5])
def test_momentum_outside_zero_one_is_an_error(objective, momentum):
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        _sgd_from_zero(objective, momentum=momentum)


def test_an_int_random_state_seeds_the_batch_order(objective):
    runs = []
    for _ in range(2):
        W, b = objective.initial_weights(2)
        minibatch_sgd(
            objective, W, b, learning_rate_init=0.1, batch_size=8, random_state=3
        )
        runs.append(W)
    np.testing.assert_array_equal(*runs)


def test_objective_rejects_labels_it_cannot_index():
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match="integer class indices"):
        LinearObjective(X, np.array([1, -1, 1]), loss="softmax")
    with pytest.raises(ValueError, match="float32 or float64"):
        LinearObjective(X.astype(np.uint8), np.array([0, 1, 1]), loss="softmax")
    with pytest.raises(ValueError, match="positive sum"):
        LinearObjective(X, np.array([0, 1, 1]), loss="softmax", sample_weight=[0, 0, 0])
    objective = LinearObjective(X, np.array([0, 1, 2]), loss="softmax")
    W, b = np.zeros((2, 2)), np.zeros(2)
    with pytest.raises(ValueError, match="W has 2 rows"):
        objective.value(W, b)


@pytest.mark.parametrize("weight_scale", [None, 10.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_inverse_curvature_is_a_safe_step(weight_scale, weighted):
    # weight_scale multiplies the data term, so it multiplies its curvature:
    # at 10 the unscaled estimate gave a step that made the objective grow.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)) + 2
    y = rng.integers(0, 3, 40)
    weights = rng.random(40) * 3 if weighted else None
    objective = LinearObjective(
        X, y, "softmax", sample_weight=weights, weight_scale=weight_scale
    )
    W, b = objective.initial_weights(3)
    result = gradient_descent(
        objective,
        W,
        b,
        learning_rate_init=1 / objective.curvature(),
        max_iter=200,
        momentum=0.0,
        learning_rate="constant",
        tol=None,
    )
    assert np.all(np.diff(result.loss_curve) <= 1e-12)


def test_an_empty_batch_has_zero_loss_and_gradient(objective):
    W, b = objective.initial_weights(2)
    loss, grad_W, grad_b = objective.loss_gradient(W, b, slice(500, 600))
    assert loss == 0
    assert not grad_W.any() and not grad_b.any()


def test_random_search_checks_the_incumbent_shape(objective):
    incumbent = (np.zeros((3, 4)), np.zeros(3))
    with pytest.raises(ValueError, match=r"incumbent must be weights of shapes"):
        random_search(objective, 2, n_trials=2, incumbent=incumbent)


@pytest.mark.parametrize("penalty", ["l2", "l1", None])
def test_max_norm_is_shorthand_for_a_bounded_penalty(objective, penalty):
    inner = make_penalty(penalty, 0.05)
    plain = LinearObjective(objective.X, objective.y, "softmax", inner, center=True)
    bounded = LinearObjective(
        objective.X, objective.y, "softmax", MaxNorm(inner, 0.3), center=True
    )
    shorthand = _sgd_from_zero(plain, max_iter=5, max_norm=0.3)
    wrapped = _sgd_from_zero(bounded, max_iter=5)
    assert plain.penalty is inner  # the caller's objective is left alone
    np.testing.assert_array_equal(shorthand.W, wrapped.W)
    np.testing.assert_array_equal(shorthand.loss_curve, wrapped.loss_curve)
    assert np.linalg.norm(wrapped.W, axis=1).max() <= 0.3 * (1 + 1e-12)
    # The same bound twice is no conflict (a different one is: test_bad_input).
    again = _sgd_from_zero(bounded, max_iter=5, max_norm=0.3)
    np.testing.assert_array_equal(again.W, wrapped.W)


def test_bounded_penalty_projects_the_starting_and_random_weights(objective):
    bounded = LinearObjective(
        objective.X, objective.y, "softmax", make_penalty("l2", 0.05, max_norm=0.3)
    )
    # Weights from a fit under a larger bound start on the ball, where the
    # objective is finite (not a divergence).
    W, b = np.full((2, 4), 5.0), np.zeros(2)
    result = minibatch_sgd(
        bounded, W, b, learning_rate_init=0.1, max_iter=2, random_state=0
    )
    assert np.all(np.isfinite(result.loss_curve))
    assert np.linalg.norm(result.W, axis=1).max() <= 0.3 * (1 + 1e-12)
    # Random search draws in the ball too, so its trials have finite values.
    found = random_search(bounded, 2, n_trials=5, scale=10.0, random_state=0)
    assert np.all(np.isfinite(found.loss_curve))
    assert np.linalg.norm(found.W, axis=1).max() <= 0.3 * (1 + 1e-12)
