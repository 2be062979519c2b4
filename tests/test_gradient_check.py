"""Numerical gradients and the gradient check, on losses x penalties."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from objective_parts import value_gradient_parts

from sklinear.gradient_check import gradient_check, numerical_gradient
from sklinear.objective import LinearObjective
from sklinear.penalties import make_penalty


def test_numerical_gradient_of_quadratic_and_restores_x():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    grad = numerical_gradient(lambda v: float(np.sum(v**3)), x)
    assert_allclose(grad, 3 * before**2, rtol=1e-8)
    assert_allclose(x, before)


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.array([1.0, 2.0])

    def failing(v):
        if v[0] != 1.0:
            raise RuntimeError("boom")
        return 0.0

    with pytest.raises(RuntimeError):
        numerical_gradient(failing, x)
    assert_allclose(x, [1.0, 2.0])


def test_lecture_one_sided_differences():
    # The lecture's first dimension: (1.25322 - 1.25347) / 0.0001 = -2.5, the
    # second (1.25353 - 1.25347) / 0.0001 = 0.6.
    assert_allclose((1.25322 - 1.25347) / 0.0001, -2.5)
    assert_allclose((1.25353 - 1.25347) / 0.0001, 0.6)


def test_gradient_check_catches_a_wrong_gradient():
    x = np.array([1.0, 2.0, 3.0])
    good = gradient_check(lambda v: float(v @ v), x, grad=lambda v: 2 * v)
    bad = gradient_check(lambda v: float(v @ v), x, grad=lambda v: 2.1 * v)
    assert good.passed and bool(good)
    assert not bad.passed and bad.max_relative_error > 1e-2


def test_gradient_check_refuses_float32():
    x = np.ones(3, dtype=np.float32)
    with pytest.raises(ValueError, match="needs a float64 x, got float32"):
        gradient_check(lambda v: float(v @ v), x, grad=lambda v: 2 * v)


def test_gradient_check_requires_value_and_gradient():
    with pytest.raises(ValueError, match="value, gradient"):
        gradient_check(lambda v: float(v.sum()), np.ones(3))


def test_numerical_gradient_rejects_integer_arrays():
    with pytest.raises(ValueError, match="floating point"):
        numerical_gradient(lambda v: 0.0, np.array([1, 2]))


@pytest.mark.parametrize("loss", ["hinge", "softmax"])
@pytest.mark.parametrize("penalty", [None, "l2", "l1", "elasticnet"])
@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_objective_gradient_check_every_loss_and_penalty(
    loss, penalty, center, n_classes
):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 5)) + 2.0
    y = np.arange(12) % n_classes
    weights = rng.uniform(0.5, 2.0, 12)
    objective = LinearObjective(
        X,
        y,
        loss=loss,
        penalty=make_penalty(penalty, alpha=0.3, l1_ratio=0.5),
        sample_weight=weights,
        center=center,
    )
    # Random weights keep away from the kinks of the hinge and of |w|.
    W = rng.normal(size=(n_classes, 5))
    b = rng.normal(size=n_classes)

    of_W, of_b = value_gradient_parts(objective, W, b)
    assert gradient_check(of_W, W).passed
    assert gradient_check(of_b, b).passed


def test_numerical_gradient_divides_by_the_step_x_actually_took():
    # In float32, 100 + 1e-5 is rounded to a multiple of 7.6e-6: dividing by
    # the nominal 2h would be 24% off for this linear function.
    def linear(v):
        return 3.0 * float(v.astype(np.float64).sum())

    x = np.array([1.0, 100.0], dtype=np.float32)
    assert_allclose(numerical_gradient(linear, x), [3.0, 3.0], rtol=1e-12)
    with pytest.raises(ValueError, match="below the precision of x at index"):
        numerical_gradient(linear, np.array([1000.0], dtype=np.float32))


def test_gradient_check_needs_an_array():
    with pytest.raises(ValueError, match="x must be a floating point numpy array"):
        gradient_check(lambda v: float(np.sum(v)), [1.0, 2.0], grad=np.ones(2))
