"""L-BFGS's memory and line search (``sklinear._solvers._quasi_newton``).

The direction, from the compiled two-loop recursion or from the compact
form in NumPy, must equal the textbook recursion's (Nocedal and Wright,
Algorithm 7.4) in Python over the same pairs, also once the ring of pairs
has wrapped around; pairs without positive curvature are refused; the line
search's step must satisfy Armijo's condition and shrink past non-finite
values. The compiled recursion's boundary must turn every argument that
does not fit into a ValueError (in a fresh interpreter, so that a crash
fails the test rather than pytest).
"""

import numpy as np
import pytest
from child_process import in_child, misaligned

from sklinear._solvers import _quasi_newton
from sklinear._solvers._quasi_newton import InverseHessian, line_search

COMPILED = [
    False,
    pytest.param(
        True,
        marks=pytest.mark.skipif(
            _quasi_newton._two_loop is None, reason="sklinear._fused not built"
        ),
    ),
]


def _two_loop(pairs, gradient):
    q = gradient.copy()
    alphas = []
    for s, y in reversed(pairs):
        rho = 1.0 / (y @ s)
        alpha = rho * (s @ q)
        q -= alpha * y
        alphas.append((alpha, rho, s, y))
    s, y = pairs[-1]
    q *= (s @ y) / (y @ y)
    for alpha, rho, s, y in reversed(alphas):
        q += s * (alpha - rho * (y @ q))
    return -q


@pytest.mark.parametrize("compiled", COMPILED)
@pytest.mark.parametrize("n", [12, 13, 650])
@pytest.mark.parametrize("memory", [1, 3, 5])
def test_direction_is_the_two_loop_recursions(memory, n, compiled):
    rng = np.random.default_rng(0)
    A = rng.normal(size=(n, n))
    A = A @ A.T + np.eye(n)
    inverse = InverseHessian(n, memory, compiled=compiled)
    gradient = rng.normal(size=n)
    assert np.allclose(inverse.direction(gradient), -gradient)  # no pairs yet
    pairs = []
    for _ in range(2 * memory + 3):  # past a full ring, twice
        s = rng.normal(size=n)
        assert inverse.update(s, A @ s)
        pairs = (pairs + [(s, A @ s)])[-memory:]
        assert inverse.n_pairs == len(pairs)
        gradient = rng.normal(size=n)
        expected = _two_loop(pairs, gradient)
        np.testing.assert_allclose(inverse.direction(gradient), expected, rtol=1e-10)
    inverse.reset()
    assert inverse.n_pairs == 0


@pytest.mark.parametrize("compiled", COMPILED)
def test_pairs_without_positive_curvature_are_refused(compiled):
    inverse = InverseHessian(3, 2, compiled=compiled)
    s = np.array([1.0, 0.0, 0.0])
    assert not inverse.update(s, -s)
    assert not inverse.update(s, np.array([0.0, 1.0, 0.0]))  # s . y = 0
    assert inverse.n_pairs == 0
    assert inverse.update(s, 2 * s) and inverse.n_pairs == 1
    # With one pair s = e1, y = 2 e1 the inverse Hessian is 1/2 on e1.
    np.testing.assert_allclose(inverse.direction(np.array([4.0, 0, 0])), [-2, 0, 0])


def _quadratic(curvature):
    def value_gradient(x):
        return 0.5 * curvature * float(x @ x), curvature * x

    return value_gradient


def test_the_unit_step_is_taken_where_it_decreases_enough():
    value_gradient = _quadratic(1.0)
    x = np.array([3.0, -1.0])
    value, gradient = value_gradient(x)
    x_new, value_new, gradient_new, step = line_search(
        value_gradient, x, value, gradient, -gradient
    )
    assert step == 1.0 and value_new == 0.0
    np.testing.assert_array_equal(x_new, [0.0, 0.0])
    np.testing.assert_array_equal(gradient_new, [0.0, 0.0])
    np.testing.assert_array_equal(x, [3.0, -1.0])  # not modified


@pytest.mark.parametrize("curvature", [3.0, 50.0, 1e4])
def test_a_step_too_long_is_cut_to_one_that_meets_armijo(curvature):
    value_gradient = _quadratic(curvature)
    x = np.array([1.0, 2.0])
    value, gradient = value_gradient(x)
    direction = -gradient / curvature * 10  # ten times the exact step
    _, value_new, _, step = line_search(value_gradient, x, value, gradient, direction)
    slope = float(gradient @ direction)
    assert 0 < step < 1
    assert value_new <= value + 1e-4 * step * slope
    # The cubic through exact quadratic data lands on the exact minimizer.
    assert step == pytest.approx(0.1)


def test_non_finite_values_shrink_the_step():
    def value_gradient(x):
        if abs(x[0]) > 1:
            return np.inf, np.full(1, np.nan)
        return 0.5 * float(x @ x), x.copy()

    x = np.array([0.5])
    value, gradient = value_gradient(x)
    accepted = line_search(value_gradient, x, value, gradient, np.array([-1.0]), 100.0)
    assert accepted is not None
    x_new, value_new, _, step = accepted
    assert step <= 1.5 and abs(x_new[0]) <= 1 and value_new < value


def test_no_descent_direction_is_refused():
    value_gradient = _quadratic(1.0)
    x = np.array([1.0])
    value, gradient = value_gradient(x)
    assert line_search(value_gradient, x, value, gradient, gradient) is None
    assert line_search(value_gradient, x, value, gradient, np.zeros(1)) is None


def _boundary_cases():
    from sklinear._fused import lbfgs_direction

    def outcome(*args):
        try:
            lbfgs_direction(*args)
        except ValueError as error:
            return f"ValueError: {error}"
        return "ok"

    m, n = 3, 10
    pairs = np.ones((2 * m, n))
    rho, slots, g, out = np.ones(m), np.arange(m), np.ones(n), np.empty(n)
    cases = {
        "valid": (pairs, rho, slots, 1.0, g, out),
        "float32 pairs": (pairs.astype(np.float32), rho, slots, 1.0, g, out),
        "1-D pairs": (pairs.ravel(), rho, slots, 1.0, g, out),
        "odd rows": (np.ones((5, n)), rho, slots, 1.0, g, out),
        "no rows": (np.ones((0, n)), rho[:0], slots[:0], 1.0, g, out),
        "Fortran pairs": (np.asfortranarray(pairs), rho, slots, 1.0, g, out),
        "strided pairs": (np.ones((2 * m, 2 * n))[:, ::2], rho, slots, 1.0, g, out),
        "reversed rows": (pairs[::-1], rho, slots, 1.0, g, out),
        "misaligned pairs": (misaligned(pairs), rho, slots, 1.0, g, out),
        "short rho": (pairs, rho[:2], slots, 1.0, g, out),
        "slot m": (pairs, rho, np.array([0, m]), 1.0, g, out),
        "slot -1": (pairs, rho, np.array([-1]), 1.0, g, out),
        "huge slot": (pairs, rho, np.array([2**62]), 1.0, g, out),
        "float slots": (pairs, rho, slots.astype(float), 1.0, g, out),
        "too many slots": (pairs, rho, np.zeros(m + 1, int), 1.0, g, out),
        "2-D slots": (pairs, rho, slots[None], 1.0, g, out),
        "short gradient": (pairs, rho, slots, 1.0, g[:-1], out),
        "long out": (pairs, rho, slots, 1.0, g, np.empty(n + 1)),
        "reversed gradient": (pairs, rho, slots, 1.0, g[::-1], out),
        "read-only out": (pairs, rho, slots, 1.0, g, np.frombuffer(bytes(8 * n))),
        "out is gradient": (pairs, rho, slots, 1.0, g, g),
        "out in pairs": (pairs, rho, slots, 1.0, g, pairs[0]),
        "not an array": (pairs, rho, slots, 1.0, g, [0.0] * n),
    }
    return {name: outcome(*args) for name, args in cases.items()}


@pytest.mark.skipif(_quasi_newton._two_loop is None, reason="sklinear._fused not built")
def test_the_compiled_recursion_checks_its_arguments():
    outcomes = in_child(_boundary_cases)
    assert outcomes.pop("valid") == "ok"
    for case, outcome in outcomes.items():
        assert outcome.startswith("ValueError"), (case, outcome)
    assert "in [0, 3)" in outcomes["slot m"]
    assert "overlap" in outcomes["out in pairs"]
