"""The default solver of sklinear._solvers reaches the optimum, certified.

References: scikit-learn's lbfgs for softmax + L2 and its saga (tol=1e-10)
for the zero pattern of L1 / elastic net (``tests/_reference_optimum.py``);
for the hinge, the optima of that module's exact active-set QP solve
(``hinge_l2``), stored below because the solve takes seconds.
"""

import numpy as np
import pytest
from _reference_optimum import softmax_l2, softmax_saga
from sklearn.datasets import load_iris, load_wine
from sklearn.preprocessing import StandardScaler

from sklinear._solvers import Certificate, solve
from sklinear.objective import LinearObjective
from sklinear.penalties import make_penalty

# hinge_l2(X, y, alpha).value on the standardized data (KKT violation < 1e-13).
HINGE_OPTIMA = {
    ("iris", 5e-3): 0.10052062980549664,
    ("wine", 5e-3): 0.01272380388375022,
}


def _data(name):
    X, y = {"iris": load_iris, "wine": load_wine}[name](return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _objective(X, y, loss, penalty, alpha, l1_ratio=0.15):
    return LinearObjective(
        X, y, loss=loss, penalty=make_penalty(penalty, alpha, l1_ratio), center=True
    )


def _fit(objective, tol):
    W, b = objective.initial_weights(objective.n_classes)
    return solve(objective, W, b, tol=tol, random_state=0)


@pytest.mark.parametrize("name", ["iris", "wine"])
@pytest.mark.parametrize("alpha", [1e-3, 5e-3])
def test_softmax_l2_within_one_percent(name, alpha):
    X, y = _data(name)
    objective = _objective(X, y, "softmax", "l2", alpha)
    result = _fit(objective, tol=1e-3)
    optimum = softmax_l2(X, y, alpha).value
    assert result.converged
    assert result.primal <= optimum * 1.01
    # The certificate bounds the true gap.
    assert result.primal - optimum <= result.gap * result.primal + 1e-12
    W = result.W
    assert np.isclose(objective.value(W, result.b), result.primal, rtol=1e-9)


@pytest.mark.parametrize("name", ["iris", "wine"])
def test_hinge_l2_within_one_percent(name):
    alpha = 5e-3
    X, y = _data(name)
    objective = _objective(X, y, "hinge", "l2", alpha)
    result = _fit(objective, tol=1e-2)
    optimum = HINGE_OPTIMA[name, alpha]
    assert result.converged
    assert optimum <= result.primal <= optimum * 1.01
    assert result.primal - optimum <= result.gap * result.primal


def test_gap_is_zero_at_the_optimum_and_bounds_elsewhere():
    X, y = _data("iris")
    objective = _objective(X, y, "softmax", "l2", 5e-3)
    reference = softmax_l2(X, y, 5e-3)
    W = reference.W.astype(X.dtype)
    b = objective.parameters_from_intercept(W, reference.b)
    gap = Certificate(objective)
    assert gap(W, b).relative < 1e-9
    result = gap(W + 0.1, b)
    # The objective at W + 0.1 and its best intercept, certified.
    assert 0 < result.primal - reference.value <= result.gap


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_softmax_zero_pattern_matches_saga(penalty):
    alpha, l1_ratio = 5e-3, 0.15
    X, y = _data("wine")
    ratio = 1.0 if penalty == "l1" else l1_ratio
    objective = _objective(X, y, "softmax", penalty, alpha, l1_ratio)
    result = _fit(objective, tol=1e-3 if penalty == "elasticnet" else 3e-3)
    reference = softmax_saga(X, y, alpha, ratio)
    agreement = np.mean((result.W == 0) == (reference.W == 0))
    assert agreement >= 0.95
    assert result.primal <= reference.value * 1.001


@pytest.mark.parametrize("loss", ["softmax", "hinge"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("absent", [False, True])
def test_a_checks_memory_sum_is_the_certificates_or_its_own(loss, dtype, absent):
    # SAGA's memory needs sum_i f_i G_i x_i^T at the check's point. On
    # float32 X the certificate's float64 sum of -G stands for it (one pass
    # over X fewer); where the certificate changes -G (a class without
    # weight is left out), the check makes its own product.
    X, y = _data("wine")
    weights = np.ones(len(y))
    if absent:
        weights[y == 2] = 0.0
    objective = LinearObjective(
        X.astype(dtype), y, loss, penalty=make_penalty("l2", 5e-3),
        sample_weight=weights,
    )  # fmt: skip
    rng = np.random.default_rng(0)
    W = (0.1 * rng.standard_normal((3, X.shape[1]))).astype(dtype)
    b = np.zeros(3, dtype)
    gap = Certificate(objective)
    for _ in range(2):  # the first check also sums the classes
        snapshot = gap(W, b, mu=0.1 if loss == "hinge" else None)
    factors = objective._factors(slice(None), len(y))
    direct = (snapshot.gradient * factors[:, None]).T @ X.astype(np.float64)
    assert snapshot.weighted_sum.dtype == np.float64
    np.testing.assert_allclose(snapshot.weighted_sum, direct, rtol=0, atol=1e-6)
    from_certificate = dtype == np.float32 and not absent
    # (On float64 X the check gives the gap minus its own product's sum,
    # negated in place and back: the gap's reference to it is cleared.)
    assert (gap._gap.last_theta_sum is not None) == from_certificate
    if from_certificate:
        np.testing.assert_array_equal(snapshot.weighted_sum, -gap._gap.last_theta_sum)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", ["plain", "absent class", "no intercept"])
def test_the_softmax_check_at_zero_weights_is_the_every_row_check(sparse, dtype, case):
    # The solvers start at W = 0, where every row's scores are the intercept:
    # the check runs on one row per class and gives the gap, intercept,
    # gradients and memory sum of the check over every row.
    import scipy.sparse as sp

    X, y = _data("wine")
    X = (sp.csr_matrix(X) if sparse else X).astype(dtype)
    weights = np.random.default_rng(0).random(len(y)) + 0.5
    if case == "absent class":
        weights[y == 1] = 0.0
    objective = LinearObjective(
        X, y, "softmax", penalty=make_penalty("l2", 5e-3), sample_weight=weights,
        fit_intercept=case != "no intercept", center=not sparse,
    )  # fmt: skip
    W, b = objective.initial_weights(3)
    b[:] = [0.5, -0.2, 0.1]
    per_class = Certificate(objective)(W, b.copy(), tol=1e-6)
    every_row = Certificate(objective)._anywhere(W, b.copy(), 0.0, 1e-6)
    assert per_class.primal == pytest.approx(every_row.primal, rel=1e-12)
    assert per_class.dual == pytest.approx(every_row.dual, rel=1e-7, abs=1e-12)
    np.testing.assert_allclose(
        per_class.intercept_scores, every_row.intercept_scores, atol=1e-9
    )
    np.testing.assert_allclose(per_class.gradient, every_row.gradient, atol=1e-9)
    # (On float32 rows both sums come from float32 products.)
    atol = 1e-6 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(
        per_class.weighted_sum, every_row.weighted_sum, rtol=1e-6, atol=atol
    )


def test_minibatch_saga_keeps_its_batch_order_in_memory_of_order_n():
    # Its memory order once took a range of all samples per batch (kept
    # alive by each batch's view): n_batches x n_samples integers.
    import tracemalloc

    from sklinear._solvers._saga import MinibatchSaga, make_batches

    rng = np.random.default_rng(0)
    X = rng.standard_normal((8_000, 3))
    objective = LinearObjective(X, rng.integers(0, 3, 8_000), loss="softmax")
    batches = make_batches(X, 2_000)
    tracemalloc.start()
    try:
        saga = MinibatchSaga(objective, batches)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert np.array_equal(np.sort(saga.memory_order), np.arange(8_000))
    assert peak < 20 * 8_000 * 8  # was 2,000 x 8,000 x 8 bytes (128 MB)


@pytest.mark.parametrize("loss", ["softmax", "hinge"])
def test_a_check_aiming_at_tol_certifies_as_a_check_to_rounding(loss):
    # With the caller's tol, the best intercept's Newton steps stop at a
    # decrement of (tol / 100)^2 of the loss: the certified point and gap
    # barely move (the dual point's repair is linear in what is left).
    X, y = _data("wine")
    objective = _objective(X, y, loss, "l2", 5e-3)
    rng = np.random.default_rng(0)
    W = 0.05 * rng.standard_normal((3, X.shape[1]))
    b = np.array([0.3, -0.1, 0.0])
    mu = 0.1 if loss == "hinge" else None
    exact = Certificate(objective)(W, b, mu=mu)
    aimed = Certificate(objective)(W, b, mu=mu, tol=1e-3)
    assert aimed.primal == pytest.approx(exact.primal, rel=1e-9)
    assert abs(aimed.relative - exact.relative) <= 1e-5 * max(exact.relative, 1e-3)
    # The primal is the objective at the certified intercept.
    moved = objective.parameters_from_intercept(W, aimed.intercept_scores)
    assert objective.value(W, moved) == pytest.approx(aimed.primal, rel=1e-12)


@pytest.mark.parametrize("loss", ["softmax", "hinge"])
@pytest.mark.parametrize("mu", [0.0, 0.1])
def test_the_gradient_from_per_samples_helper_is_the_score_gradient(loss, mu):
    # A check reuses the helper its intercept search computed: the same bits.
    from sklinear._loss import make_loss

    function = make_loss(loss)
    rng = np.random.default_rng(1)
    scores = rng.standard_normal((50, 4))
    y = rng.integers(0, 4, 50)
    _, helper = function.per_sample(scores, y, mu)
    np.testing.assert_array_equal(
        function.gradient_from_helper(helper, y, mu),
        function.score_gradient(scores, y, mu),
    )


def test_gaps_an_ulp_apart_give_no_rate_to_space_checks_by():
    from sklinear._solvers._progress import next_check

    gap = 1.2719574444974210e59
    history = [(10, np.nextafter(gap, np.inf), 0.3, 0.0, 0.0), (19, gap, 0.3, 0.0, 0.0)]
    assert next_check(history, 1e-2, 3) == 1


@pytest.mark.parametrize("step_factor", [20.0, 200.0])
def test_a_step_too_large_returns_to_the_best_point_and_still_certifies(
    monkeypatch, step_factor
):
    # Steps 20 or 200 times too long make the objective rise past the best
    # check's, by more than its gap or a tenth of it: SAGA goes back to the
    # best point (checking there again, as the best snapshot keeps no
    # gradients) with half the step, and still reaches tol with a gap that
    # bounds the true one. (The gap alone as the slack let the objective
    # rise from 1.1 to 3.2 after the first check, whose relative gap at
    # W = 0 is 166: neither converged in 1,000 epochs.)
    import scipy.sparse as sp

    from sklinear._solvers import _saga_loop

    returns = []
    improved = _saga_loop._improved

    def counted(snapshot, best):
        returns.append(not improved(snapshot, best))
        return not returns[-1]

    monkeypatch.setattr(_saga_loop, "_improved", counted)
    X, y = _data("wine")
    objective = _objective(sp.csr_matrix(X), y, "softmax", "l2", 5e-3)
    W, b = objective.initial_weights(objective.n_classes)
    result = solve(
        objective, W, b, method="saga", tol=1e-6, step_factor=step_factor,
        random_state=0,
    )  # fmt: skip
    assert sum(returns) >= 1 and result.converged
    optimum = softmax_l2(X, y, 5e-3).value
    assert result.primal - optimum <= result.gap * result.primal + 1e-12
    assert objective.value(W, b) == pytest.approx(result.primal, rel=1e-9)
