"""Tests of the duality gap (sklinear._duality) against independent optima.

The references (tests/_reference_optimum.py) come from scikit-learn's
LogisticRegression, SciPy's HiGHS and SLSQP, and an exact active-set QP solve;
each reports its own optimality violation, checked before it is used.
"""

import itertools

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse as sp
from _reference_optimum import (
    LOADERS,
    hinge_l1,
    l2_optimum,
    objective_value,
    softmax_max_norm,
    softmax_saga,
    standardized,
)
from numpy.testing import assert_allclose
from threadpoolctl import threadpool_limits

from sklinear._duality import PreparedGap, duality_gap, penalty_strengths
from sklinear._duality._domains import _penalty_conjugate
from sklinear.penalties import make_penalty

# (alpha_l1, alpha_l2, max_norm) for every kind of penalty.
PENALTIES = {
    "none": (0.0, 0.0, None),
    "l2": (0.0, 0.05, None),
    "l1": (0.05, 0.0, None),
    "elasticnet": (0.02, 0.03, None),
    "max_norm": (0.0, 0.0, 0.7),
    "max_norm+l2": (0.0, 0.05, 0.7),
    "max_norm+l1": (0.05, 0.0, 0.7),
}


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    # The references make many small BLAS calls: on a busy machine threads
    # waiting for each other make them tens of times slower.
    with threadpool_limits(1):
        yield


def random_problem(seed, n_samples=60, n_features=5, n_classes=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features)) + rng.normal(size=n_features)
    X[rng.random(X.shape) < 0.3] = 0.0  # some structure for CSR
    y = rng.integers(0, n_classes, n_samples)
    weights = rng.uniform(0, 3, n_samples)
    weights[:5] = 0.0
    return X, y, weights, rng


def random_point(rng, n_classes, n_features, scale, max_norm):
    W = scale * rng.normal(size=(n_classes, n_features))
    if max_norm is not None:  # a feasible point: rows into the ball
        norms = np.linalg.norm(W, axis=1, keepdims=True)
        W *= np.minimum(1.0, max_norm / norms)
    return W, scale * rng.normal(size=n_classes)


def as_format(X, fmt):
    dtype = np.float32 if fmt.endswith("32") else np.float64
    return sp.csr_matrix(X, dtype=dtype) if fmt.startswith("csr") else X.astype(dtype)


def check_dual_point(result, X, y, a, loss, fit_intercept, penalty):
    """The returned dual point lies in the loss conjugate's domain, meets the
    intercept constraint, and the reported dual value is its value, computed
    here from scratch (``a``: normalized weights)."""
    theta, rows = result.theta, np.arange(len(y))
    if loss == "softmax":
        p = -theta
        p[rows, y] += 1.0
        assert p.min() >= 0 and np.allclose(p.sum(axis=1), 1, atol=1e-12)
        minus_conjugate = -np.sum(p * np.log(np.where(p > 0, p, 1)), axis=1)
    else:
        beta = -theta.copy()
        beta[rows, y] = 0.0
        assert beta.min() >= 0 and beta.max() <= 1
        assert np.allclose(theta[rows, y], beta.sum(axis=1), atol=1e-12)
        minus_conjugate = beta.sum(axis=1)  # margin 1
    if fit_intercept:
        assert np.abs(a @ theta).max() <= 1e-12
    X = X.toarray() if sp.issparse(X) else X
    Z = (a[:, None] * theta).T @ X.astype(np.float64)
    alpha_l1, alpha_l2, max_norm = penalty
    if alpha_l2 == 0 and max_norm is None:  # g* is the indicator of this
        assert np.abs(Z).max() <= alpha_l1 * (1 + 1e-12) + 1e-15
        conjugate = 0.0
    else:
        conjugate = _penalty_conjugate(Z, alpha_l1, alpha_l2, max_norm)
    dual = a @ minus_conjugate - conjugate
    assert result.dual == pytest.approx(dual, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize(
    "loss, penalty", list(itertools.product(["softmax", "hinge"], PENALTIES))
)
def test_weak_duality_every_combination(loss, penalty):
    """Every dual value lies below every primal value, over several points,
    for each intercept x weights x storage combination."""
    alpha_l1, alpha_l2, max_norm = PENALTIES[penalty]
    X, y, weights, rng = random_problem(0)
    for fit_intercept, weighted, fmt in itertools.product(
        [True, False], [True, False], ["dense64", "dense32", "csr64", "csr32"]
    ):
        sample_weight = weights if weighted else None
        a = weights / weights.sum() if weighted else np.full(len(y), 1 / len(y))
        results, stored = [], as_format(X, fmt)
        for scale in (0.05, 0.3, 1.0, 3.0):
            W, b = random_point(rng, 4, X.shape[1], scale, max_norm)
            result = duality_gap(
                stored,
                y,
                W,
                b,
                loss=loss,
                sample_weight=sample_weight,
                fit_intercept=fit_intercept,
                alpha_l1=alpha_l1,
                alpha_l2=alpha_l2,
                max_norm=max_norm,
            )
            check_dual_point(
                result, stored, y, a, loss, fit_intercept, PENALTIES[penalty]
            )
            results.append(result)
        primal = min(r.primal for r in results)
        dual = max(r.dual for r in results)
        assert np.isfinite(dual)
        assert dual <= primal + 1e-12, (fit_intercept, weighted, fmt)
        assert all(r.gap >= -1e-12 * r.primal for r in results)


@pytest.mark.parametrize("loss", ["softmax", "hinge"])
def test_float32_and_sparse_match_float64(loss):
    """The same values stored as float32, or as CSR, give the same P and D
    (the float32 values are exact in float64; only summation order differs)."""
    X, y, weights, rng = random_problem(1)
    W, b = random_point(rng, 4, X.shape[1], 0.5, None)
    X32 = X.astype(np.float32).astype(np.float64)
    kwargs = {"loss": loss, "sample_weight": weights, "alpha_l2": 0.05}
    expected = duality_gap(X32, y, W, b, **kwargs)
    for fmt in ["dense32", "csr32", "csr64"]:
        result = duality_gap(as_format(X32, fmt), y, W, b, **kwargs)
        assert result.primal == pytest.approx(expected.primal, rel=1e-12)
        assert result.dual == pytest.approx(expected.dual, rel=1e-10)


@pytest.mark.parametrize("fmt", ["dense64", "dense32", "csr64", "csr32"])
@pytest.mark.parametrize("loss", ["softmax", "hinge"])
def test_prepared_gap_matches_duality_gap_at_every_point(loss, fmt):
    """What PreparedGap keeps between calls (weights, labels, the class sums
    of its first call) gives each later ``W`` the one-shot function's gap."""
    X, y, weights, rng = random_problem(2)
    X = as_format(X.astype(np.float32).astype(np.float64), fmt)
    kwargs = {"loss": loss, "sample_weight": weights, "alpha_l2": 0.05}
    prepared = PreparedGap(X, y, 4, **kwargs)
    for scale in [0.5, 2.0, 0.0]:
        W, b = random_point(rng, 4, X.shape[1], scale, None)
        expected = duality_gap(X, y, W, b, **kwargs)
        result = prepared(W, b)
        assert result.primal == pytest.approx(expected.primal, rel=1e-12)
        assert result.dual == pytest.approx(expected.dual, rel=1e-10, abs=1e-14)
    with pytest.raises(ValueError, match="4 rows"):
        prepared(W[:3], b[:3])


@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("loss", ["softmax", "hinge"])
def test_a_given_theta_sum_stands_for_the_pass_over_x(loss, fmt):
    """The solvers' sum ``sum_i a_i theta_i x_i^T`` of their own ``theta``
    gives the gap of the pass over X; it is left alone where it cannot
    stand for it (absent classes)."""
    X, y, weights, rng = random_problem(3)
    X = as_format(X, fmt)
    kwargs = {"loss": loss, "sample_weight": weights, "alpha_l2": 0.05}
    prepared = PreparedGap(X, y, 4, **kwargs)
    W, b = random_point(rng, 4, X.shape[1], 0.5, None)
    scores = np.asarray(X @ W.T) + b
    # A point of the conjugate's domain: minus a loss gradient.
    if loss == "softmax":
        theta = -np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    else:
        theta = -rng.uniform(0, 1, size=scores.shape)
        theta[np.arange(len(y)), y] = 0.0
        theta[np.arange(len(y)), y] = -theta.sum(axis=1)
    if loss == "softmax":
        theta[np.arange(len(y)), y] += 1.0
    a = weights / weights.sum()
    theta_sum = np.asarray((X.T @ (a[:, None] * theta)).T)
    expected = prepared(W, b, theta=theta, polish=False)
    given = prepared(W, b, theta=theta, polish=False, theta_sum=theta_sum)
    assert given.dual == pytest.approx(expected.dual, rel=1e-12)
    # A wrong sum is used (so it is not recomputed) and changes the dual.
    wrong = prepared(W, b, theta=theta, polish=False, theta_sum=2 * theta_sum)
    assert wrong.dual != pytest.approx(expected.dual, rel=1e-6)
    # From the first call on: the class sums are then made apart.
    fresh = PreparedGap(X, y, 4, **kwargs)
    first = fresh(W, b, theta=theta, polish=False, theta_sum=theta_sum)
    assert first.dual == pytest.approx(expected.dual, rel=1e-12)
    assert_allclose(fresh.class_sums, prepared.class_sums, rtol=1e-12, atol=1e-15)
    fresh = PreparedGap(X, y, 4, **kwargs)
    first = fresh(W, b, theta=theta, polish=False, theta_sum=2 * theta_sum)
    assert first.dual == pytest.approx(wrong.dual, rel=1e-12)


@pytest.mark.parametrize("alpha", [1e-3, 5e-3])
@pytest.mark.parametrize("loss", ["softmax", "hinge"])
@pytest.mark.parametrize("name", list(LOADERS))
def test_gap_bounds_true_suboptimality(name, loss, alpha):
    """On real data: the primal agrees with an independent implementation,
    the dual value stays below the reference optimum (so the gap bounds the
    true suboptimality), and the gap vanishes at the optimum."""
    X, y = standardized(name)
    optimum = l2_optimum(name, loss, alpha)
    rng = np.random.default_rng(0)
    # Rounding of sums of ~1e3 terms, and the reference's own accuracy.
    slack = 1e-12 + (1e-10 if loss == "softmax" else 0.0)
    for scale in (0.0, 1e-4, 1e-2, 1.0):
        W = optimum.W * (1 + scale * rng.normal(size=optimum.W.shape))
        b = optimum.b + scale * rng.normal(size=optimum.b.shape)
        result = duality_gap(X, y, W, b, loss=loss, alpha_l2=alpha)
        a = np.full(len(y), 1 / len(y))
        independent = objective_value(X, y, W, b, loss, a, 0.0, alpha)
        assert result.primal == pytest.approx(independent, rel=1e-12)
        assert result.dual <= optimum.value + slack
        assert result.gap >= result.primal - optimum.value - slack
        if scale == 0.0:
            assert abs(result.relative_gap) < 1e-6
        if scale == 1e-4 and loss == "hinge":  # polished: close to the truth
            assert result.gap <= 3 * (result.primal - optimum.value) + 1e-12
        if scale == 1e-4 and loss == "softmax":  # quadratic in the distance
            assert result.relative_gap < 1e-4


@pytest.mark.parametrize("name", ["iris", "wine"])
def test_hinge_needs_polishing_and_accepts_a_dual_point(name):
    """At the hinge's optimum the gradient's dual point is far from optimal
    (pairs on the margin need fractional beta); polishing or the QP's own
    multipliers close the gap."""
    X, y = standardized(name)
    optimum = l2_optimum(name, "hinge", 1e-3)
    kwargs = {"loss": "hinge", "alpha_l2": 1e-3}
    gradient_only = duality_gap(X, y, optimum.W, optimum.b, polish=False, **kwargs)
    polished = duality_gap(X, y, optimum.W, optimum.b, **kwargs)
    given = duality_gap(
        X, y, optimum.W, optimum.b, theta=optimum.theta, polish=False, **kwargs
    )
    assert gradient_only.relative_gap > 1.0
    assert polished.relative_gap < 1e-8
    assert abs(given.relative_gap) < 1e-10


def test_l1_and_elastic_net_at_their_optima():
    """Softmax with L1 / elastic net (saga) and the hinge with L1 (an LP): the
    dual stays below the optimum and the gap is tight there."""
    X, y = standardized("iris")
    cases = [
        ("softmax", 1e-2, 1.0, softmax_saga(X, y, 1e-2, 1.0)),
        ("softmax", 1e-3, 0.5, softmax_saga(X, y, 1e-3, 0.5)),
        ("hinge", 1e-3, 1.0, hinge_l1(X, y, 1e-3)),
    ]
    for loss, alpha, ratio, optimum in cases:
        assert optimum.kkt < 1e-9
        result = duality_gap(
            X,
            y,
            optimum.W,
            optimum.b,
            loss=loss,
            alpha_l1=alpha * ratio,
            alpha_l2=alpha * (1 - ratio),
        )
        assert result.dual <= optimum.value + 1e-10
        assert result.relative_gap < 1e-6
        if loss == "hinge":  # the LP's multipliers are an optimal dual point
            exact = duality_gap(
                X,
                y,
                optimum.W,
                optimum.b,
                loss=loss,
                alpha_l1=alpha,
                theta=optimum.theta,
                polish=False,
            )
            assert abs(exact.relative_gap) < 1e-10


@pytest.mark.parametrize("alpha_l2", [0.0, 1e-3])
def test_max_norm_at_its_optimum(alpha_l2):
    """Softmax under an active max_norm (SLSQP), alone or with L2."""
    X, y = standardized("wine")
    free = l2_optimum("wine", "softmax", 1e-3)
    max_norm = 0.5 * np.linalg.norm(free.W, axis=1).max()
    optimum = softmax_max_norm(X, y, alpha_l2, max_norm)
    assert optimum.kkt < 1e-7
    result = duality_gap(
        X,
        y,
        optimum.W,
        optimum.b,
        loss="softmax",
        alpha_l2=alpha_l2,
        max_norm=max_norm,
    )
    assert result.dual <= optimum.value + 1e-10
    assert result.relative_gap < 1e-6
    # Outside the ball the point is infeasible: an infinite primal.
    outside = duality_gap(
        X, y, 1.01 * optimum.W, optimum.b, loss="softmax", max_norm=max_norm
    )
    assert outside.primal == np.inf


def test_hinge_with_an_inactive_max_norm():
    """A bound the optimum does not reach changes neither it nor the gap."""
    X, y = standardized("wine")
    optimum = l2_optimum("wine", "hinge", 5e-3)
    max_norm = 2 * np.linalg.norm(optimum.W, axis=1).max()
    result = duality_gap(
        X, y, optimum.W, optimum.b, loss="hinge", alpha_l2=5e-3, max_norm=max_norm
    )
    assert result.relative_gap < 1e-8


@pytest.mark.parametrize("loss", ["softmax", "hinge"])
def test_integer_weights_equal_repeated_rows(loss):
    """Weight k on a row gives the gap of k copies of it; weight 0 the gap
    without the row, even when it is the only sample of its class."""
    X, y, _, rng = random_problem(2)
    counts = rng.integers(1, 4, len(y))
    X[-1], y[-1], counts[-1] = 5.0, 4, 0  # class 4's only sample, weight 0
    W, b = random_point(rng, 5, X.shape[1], 0.5, None)
    kwargs = {"loss": loss, "alpha_l2": 0.02, "alpha_l1": 0.01}
    weighted = duality_gap(X, y, W, b, sample_weight=counts, **kwargs)
    repeated = duality_gap(
        np.repeat(X, counts, axis=0), np.repeat(y, counts), W, b, **kwargs
    )
    assert weighted.primal == pytest.approx(repeated.primal, rel=1e-12)
    assert weighted.dual == pytest.approx(repeated.dual, rel=1e-8)
    assert weighted.gap > 0


def test_l1_dual_point_is_scaled_into_the_l1_ball():
    """Without an L2 part or max_norm, g* is the indicator of ||Z||_inf <=
    alpha_l1: the returned point must satisfy it; without any penalty the
    only certificate left is D = 0."""
    X, y, weights, rng = random_problem(3)
    W, b = random_point(rng, 4, X.shape[1], 1.0, None)
    a = weights / weights.sum()
    for loss in ["softmax", "hinge"]:
        result = duality_gap(
            X, y, W, b, loss=loss, sample_weight=weights, alpha_l1=0.01
        )
        Z = (a[:, None] * result.theta).T @ X
        assert np.abs(Z).max() <= 0.01 * (1 + 1e-12)
        unpenalized = duality_gap(X, y, W, b, loss=loss, sample_weight=weights)
        assert unpenalized.dual == 0.0
        assert unpenalized.relative_gap == 1.0


@pytest.mark.parametrize("penalty", ["l2", "elasticnet", "max_norm", "max_norm+l2"])
def test_penalty_conjugate_matches_a_numerical_supremum(penalty):
    """g*(Z) = sup_W <Z, W> - g(W), row by row, by a generic maximizer."""
    alpha_l1, alpha_l2, max_norm = PENALTIES[penalty]
    rng = np.random.default_rng(4)
    Z = rng.normal(scale=0.2, size=(3, 4))
    numerical = 0.0
    for z in Z:

        def minus_objective(w, z=z):  # smooth: w = u - v with u, v >= 0
            u, v = w[:4], w[4:]
            return -(
                z @ (u - v)
                - alpha_l1 * np.sum(u + v)
                - alpha_l2 / 2 * np.sum((u - v) ** 2)
            )

        def norm_constraint(w):
            return max_norm**2 - np.sum((w[:4] - w[4:]) ** 2)

        constraints = []
        if max_norm is not None:
            constraints = [{"type": "ineq", "fun": norm_constraint}]
        result = scipy.optimize.minimize(
            minus_objective,
            np.zeros(8),
            method="SLSQP",
            bounds=[(0, None)] * 8,
            constraints=constraints,
            options={"ftol": 1e-14, "maxiter": 500},
        )
        numerical -= result.fun
    exact = _penalty_conjugate(Z, alpha_l1, alpha_l2, max_norm)
    assert exact == pytest.approx(numerical, rel=1e-6, abs=1e-10)


def test_penalty_strengths():
    assert penalty_strengths(None) == (0.0, 0.0)
    assert penalty_strengths(make_penalty("l2", 0.5)) == (0.0, 0.5)
    assert penalty_strengths(make_penalty("l1", 0.5)) == (0.5, 0.0)
    l1, l2 = penalty_strengths(make_penalty("elasticnet", 0.5, l1_ratio=0.2))
    assert (l1, l2) == pytest.approx((0.1, 0.4))


def test_invalid_inputs_are_refused():
    X, y, _, rng = random_problem(5)
    W, b = random_point(rng, 4, X.shape[1], 1.0, None)
    with pytest.raises(ValueError, match="class indices"):
        duality_gap(X, y + 1, W, b, loss="softmax")
    with pytest.raises(ValueError, match="sample_weight"):
        duality_gap(X, y, W, b, loss="softmax", sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="theta"):
        duality_gap(X, y, W, b, loss="hinge", theta=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="loss"):
        duality_gap(X, y, W, b, loss="squared")


@pytest.mark.parametrize("loss", ["softmax", "hinge"])
def test_the_mixing_weight_of_blocks_of_rows_is_that_of_all_rows(loss):
    # Blocks keep the masks and ratios small (many classes); the weight is a
    # maximum over the rows, so blocks give the same number.
    from sklinear._duality import _domains

    rng = np.random.default_rng(0)
    n, n_classes = 3 * _domains._MIXING_ROWS + 17, 7
    y = rng.integers(0, n_classes, n)
    a = rng.random(n)
    a[::13] = 0
    a /= a.sum()
    present = np.ones(n_classes, bool)
    present[2] = False
    shifted = rng.normal(scale=0.3, size=(n, n_classes))
    interior = _domains._interior_point(a, y, present, loss)
    blocks = _domains._mixing_weight(shifted, interior, y, a, present, loss)
    whole = _domains._block_mixing_weight(shifted, interior[y], y, a, present, loss)
    assert blocks == whole and 0 < blocks <= 1


def _mixing_weight_by_masks(shifted, interior, y, a, present, loss):
    # The definition, entry by entry over whole masks: the smallest t with
    # (1 - t) shifted + t interior in the domain.
    one_hot = np.zeros_like(shifted)
    one_hot[np.arange(len(y)), y] = 1.0
    constrained = (a > 0)[:, None] & present[None, :]
    if loss == "hinge":
        constrained &= one_hot == 0
        upper, lower = 0.0, -1.0
    else:
        upper, lower = one_hot, -np.inf
    over = constrained & (shifted > upper)
    under = constrained & (shifted < lower)
    t_over = np.where(over, shifted - upper, 0.0) / np.where(
        over, shifted - interior, 1.0
    )
    t_under = np.where(under, lower - shifted, 0.0) / np.where(
        under, interior - shifted, 1.0
    )
    return float(max(t_over.max(initial=0.0), t_under.max(initial=0.0)))


@pytest.mark.parametrize("loss", ["softmax", "hinge"])
@pytest.mark.parametrize("scale", [0.0, 0.05, 0.3, 2.0])
@pytest.mark.parametrize("holes", [True, False])
def test_the_mixing_weight_is_its_definitions(loss, scale, holes):
    # Computed at the violated entries alone; it must equal the definition
    # over whole masks bit for bit, with violations on and off the labels,
    # with and without absent classes and zero weights, and with none at
    # all (scale 0).
    from sklinear._duality import _domains

    rng = np.random.default_rng(1)
    n, n_classes = 500, 6
    y = rng.integers(0, n_classes, n)
    a = rng.random(n)
    present = np.ones(n_classes, bool)
    if holes:
        a[::11] = 0
        present[4] = False
    a /= a.sum()
    interior = _domains._interior_point(a, y, present, loss)[y]
    base = interior.copy()
    shifted = base + rng.normal(scale=scale, size=(n, n_classes))
    got = _domains._block_mixing_weight(shifted, interior, y, a, present, loss)
    expected = _mixing_weight_by_masks(shifted, interior, y, a, present, loss)
    assert got == expected
    if scale == 0.0 or scale >= 0.3:  # none violated, or some surely
        assert (got > 0) == (scale > 0)


@pytest.mark.parametrize("loss", ["softmax", "hinge"])
def test_the_callers_arrays_are_left_unchanged(loss):
    # The dual points are made feasible in place, on copies of their own.
    X, y = standardized("wine")
    rng = np.random.default_rng(0)
    W, b = 0.1 * rng.standard_normal((3, X.shape[1])), np.array([0.2, 0.0, -0.1])
    theta = -np.abs(rng.random((len(y), 3))) / 3
    theta[np.arange(len(y)), y] = -theta.sum(axis=1) + theta[np.arange(len(y)), y]
    kept = [array.copy() for array in (X, W, b, theta)]
    kwargs = {"loss": loss, "alpha_l2": 1e-2}
    first = duality_gap(X, y, W, b, theta=theta, **kwargs)
    for before, now in zip(kept, (X, W, b, theta)):
        np.testing.assert_array_equal(before, now)
    assert duality_gap(X, y, W, b, theta=theta, **kwargs).gap == first.gap


@pytest.mark.parametrize("loss, bound", [("softmax", 5.0), ("hinge", 11.0)])
def test_a_check_with_many_classes_holds_few_arrays_of_n_by_c(loss, bound):
    # With many classes and few features each n x C float64 array is many
    # times X: a check's peak (scores, gradient and dual point kept, the
    # rest in blocks of rows or in place) was 10 and 15 of them before, and
    # the softmax's 5.5 while the gap copied the check's own dual point.
    import tracemalloc

    from sklinear._solvers import Certificate
    from sklinear.objective import LinearObjective

    rng = np.random.default_rng(0)
    n, n_classes = 20_000, 50
    X = rng.standard_normal((n, 10))
    y = rng.integers(0, n_classes, n)
    objective = LinearObjective(
        X, y, loss, penalty=make_penalty("l2", 1e-2), center=True
    )
    W, b = 0.1 * rng.standard_normal((n_classes, 10)), np.zeros(n_classes)
    check = Certificate(objective)
    check(W, b)  # the first check also sums the classes
    tracemalloc.start()
    try:
        check(W, b, mu=0.1 if loss == "hinge" else None, tol=1e-3)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= bound * n * n_classes * 8
