"""The full batch over a flat vector (sklinear/_full_batch.py), which L-BFGS
calls, against LinearObjective.value_gradient: the same value and gradient,
bit for bit, whichever path (compiled pass or BLAS) computes them."""

import numpy as np
import pytest
import scipy.sparse as sp

import sklinear._fused_pass as fused_pass
from sklinear._full_batch import FullBatch
from sklinear.objective import LinearObjective
from sklinear.penalties import make_penalty


def _objective(dtype, sparse, center, weighted, fit_intercept, loss="softmax"):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 12)) + 2.0  # off-center: the offset matters
    y = rng.integers(0, 4, size=300)
    X = X.astype(dtype)
    return LinearObjective(
        sp.csr_matrix(X) if sparse else X, y, loss=loss,
        penalty=make_penalty("l2", 1e-2),
        sample_weight=rng.random(300) + 0.1 if weighted else None,
        center=center, fit_intercept=fit_intercept,
    )  # fmt: skip


def _through_value_gradient(objective, x, n_classes):
    d = objective.X.shape[1]
    W = x[: n_classes * d].reshape(n_classes, d).astype(objective.dtype)
    b = x[n_classes * d :].astype(objective.dtype)
    value, grad_W, grad_b = objective.value_gradient(W, b)
    return float(value), np.concatenate([grad_W.ravel(), grad_b]).astype(np.float64)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_the_same_bits_as_value_gradient(
    dtype, sparse, center, weighted, fit_intercept
):
    objective = _objective(dtype, sparse, center, weighted, fit_intercept)
    full_batch = FullBatch(objective, 4)
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.normal(size=full_batch.size)
        value, gradient = full_batch(x)
        expected_value, expected = _through_value_gradient(objective, x, 4)
        assert gradient.dtype == np.float64 and gradient.shape == (52,)
        assert value == expected_value
        np.testing.assert_array_equal(gradient, expected)


def test_the_blas_path_where_the_kernel_is_off(monkeypatch):
    objective = _objective(np.float64, False, True, False, True)
    x = np.random.default_rng(2).normal(size=52)
    with_kernel = FullBatch(objective, 4)(x)
    monkeypatch.setattr(fused_pass, "enabled", False)
    without = FullBatch(objective, 4)(x)
    assert without[0] == pytest.approx(with_kernel[0], rel=1e-12)
    np.testing.assert_allclose(without[1], with_kernel[1], rtol=1e-10, atol=1e-13)
    np.testing.assert_array_equal(
        without[1], _through_value_gradient(objective, x, 4)[1]
    )


def test_each_call_returns_a_new_gradient_and_leaves_x_alone():
    objective = _objective(np.float64, False, True, False, True)
    full_batch = FullBatch(objective, 4)
    x = np.random.default_rng(3).normal(size=52)
    kept = x.copy()
    first = full_batch(x)[1]
    second = full_batch(2 * x)[1]
    assert not np.shares_memory(first, second)
    np.testing.assert_array_equal(x, kept)
    np.testing.assert_array_equal(first, full_batch(x)[1])
