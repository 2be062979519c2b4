"""The compiled per-sample dual sweep (``sklinear._dual_sweep``) of the hinge
solver: the same steps as the NumPy path, the exact optimum reached and
certified, and the NumPy fallback when the extension is missing (its
boundary: tests/test_dual_sweep_boundary.py).
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.sparse as sp
from child_process import misaligned
from sklearn.datasets import load_iris, load_wine
from sklearn.preprocessing import StandardScaler
from solve_paths import assert_hooks_change_nothing

from sklinear._duality import penalty_strengths
from sklinear._solvers import _dual_cd, solve
from sklinear._solvers._dual_cd import HingeDualAscent
from sklinear._solvers._saga import make_batches
from sklinear.objective import LinearObjective
from sklinear.penalties import make_penalty

needs_sweep = pytest.mark.skipif(
    not _dual_cd.sweep_available(),
    reason="the C extension sklinear._dual_sweep was not built",
)
# tests/_reference_optimum.hinge_l2(X, y, 5e-3, sample_weight=w).value on the
# standardized data, w = integers in [1, 4) from default_rng(0) (KKT < 1e-13;
# the unweighted values are tests/test_solvers.py's).
OPTIMA = {
    ("iris", False): 0.10052062980549664,
    ("wine", False): 0.01272380388375022,
    ("iris", True): 0.09286705562456332,
    ("wine", True): 0.012723803883750185,
}


def _data(name):
    X, y = {"iris": load_iris, "wine": load_wine}[name](return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _weights(n):
    return np.random.default_rng(0).integers(1, 4, n).astype(float)


def _objective(
    X, y, sample_weight=None, center=True, penalty="l2", alpha=5e-3, max_norm=None
):
    return LinearObjective(
        X, y, loss="hinge", penalty=make_penalty(penalty, alpha, 0.15, max_norm),
        sample_weight=sample_weight, center=center,
    )  # fmt: skip


def _ascent(objective, compiled):
    """A dual ascent over one-row batches: the NumPy path then takes the
    compiled sweep's steps, in the same order."""
    X = objective.X
    batches = make_batches(X, X.shape[0])
    strengths = penalty_strengths(objective.penalty)
    ascent = HingeDualAscent(objective, batches, strengths, np.zeros(3), shrink=False)
    if not compiled:
        ascent._sweep = None
    return ascent


def _dual(ascent):
    """The augmented dual, computed here from ``a`` alone."""
    f, a, y = ascent.factors, ascent.a, ascent.objective.y
    G = a.copy()
    G[np.arange(len(y)), y] = -a.sum(axis=1)
    r = f @ G
    X = ascent.objective.X
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    U = -((G * f[:, None]).T @ (X - ascent.offset))
    U = np.sign(U) * np.maximum(np.abs(U) - ascent.l1, 0)
    value = ascent.objective.margin * float(f @ a.sum(axis=1))
    norms = np.linalg.norm(U, axis=1)
    bound = np.inf if ascent.max_norm is None else ascent.l2 * ascent.max_norm
    # The conjugate of the penalty on the ball: Huber-like beyond l2 * M.
    inside = norms <= bound
    value -= float(np.sum(norms[inside] ** 2)) / (2 * ascent.l2)
    if ascent.max_norm is not None:
        outside = norms[~inside]
        value -= float(np.sum(ascent.max_norm * (outside - bound / 2)))
    return value + float(ascent.multiplier @ r) - ascent.rho / 2 * float(r @ r)


def _two_epochs(ascent, seed=0):
    """The dual before and after each of two epochs (the multiplier step in
    between changes the augmented dual)."""
    rng = np.random.default_rng(seed)
    W = ascent.weights(np.float64)
    values = []
    for _ in range(2):
        values.append(_dual(ascent))
        ascent.epoch(W, rng.permutation(ascent.objective.n_samples))
        values.append(_dual(ascent))
        ascent.update_multiplier()
    return values, W


LAYOUTS = [
    ("dense", np.float64, True, "l2"),
    ("dense", np.float32, True, "l2"),
    ("dense", np.float64, False, "l2"),
    ("dense", np.float64, True, "elasticnet"),
    ("csr", np.float64, True, "l2"),
    ("csr", np.float32, True, "l2"),
    ("csr", np.float64, False, "elasticnet"),
]


@needs_sweep
@pytest.mark.parametrize("layout, dtype, center, penalty", LAYOUTS)
@pytest.mark.parametrize("weighted", [False, True])
def test_compiled_epochs_take_the_numpy_steps(layout, dtype, center, penalty, weighted):
    X, y = _data("iris")
    X = X.astype(dtype)
    X = sp.csr_matrix(X) if layout == "csr" else X
    w = _weights(len(y)) if weighted else None
    compiled = _ascent(_objective(X, y, w, center, penalty), compiled=True)
    numpy = _ascent(_objective(X, y, w, center, penalty), compiled=False)
    assert compiled._sweep is not None and compiled.n_steps == len(y)
    got, W_got = _two_epochs(compiled)
    want, W_want = _two_epochs(numpy)
    # The NumPy path computes scores in X's dtype, the sweep in float64.
    tolerance = 1e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(got, want, rtol=tolerance)
    assert got[0] < got[1] and got[2] < got[3]  # every epoch raises the dual
    np.testing.assert_allclose(compiled.a, numpy.a, atol=1e3 * tolerance)
    np.testing.assert_allclose(W_got, W_want, atol=1e3 * tolerance)


@needs_sweep
@pytest.mark.parametrize("layout, center, penalty", [
    ("dense", True, "l2"), ("dense", True, "elasticnet"), ("csr", False, "l2"),
])  # fmt: skip
def test_compiled_epochs_with_max_norm_take_the_numpy_steps(layout, center, penalty):
    # The rows of W stay in the ball: the sweep's running norms of U give
    # the NumPy path's projected weights, and every epoch raises the dual.
    X, y = _data("iris")
    X = sp.csr_matrix(X) if layout == "csr" else X
    ascents = [
        _ascent(_objective(X, y, None, center, penalty, max_norm=0.3), compiled)
        for compiled in (True, False)
    ]
    assert ascents[0]._sweep is not None and ascents[1]._sweep is None
    (got, W_got), (want, W_want) = map(_two_epochs, ascents)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    assert got[0] < got[1] and got[2] < got[3]
    assert np.linalg.norm(W_got, axis=1).max() == pytest.approx(0.3, rel=1e-12)
    np.testing.assert_allclose(W_got, W_want, atol=1e-8)


@needs_sweep
@pytest.mark.parametrize("layout, penalty", [("dense", "l2"), ("csr", "elasticnet")])
def test_epochs_in_one_call_take_the_steps_of_one_call_each(layout, penalty):
    # Ten epochs in one compiled call (multiplier steps and shrinking in C)
    # against ten calls with the multiplier step and shrinking in Python.
    X, y = _data("wine")
    X = sp.csr_matrix(X) if layout == "csr" else X
    center = layout == "dense"
    ascents = []
    for _ in range(2):
        objective = _objective(X, y, _weights(len(y)), center, penalty, max_norm=2.0)
        batches = make_batches(objective.X, objective.n_samples)
        strengths = penalty_strengths(objective.penalty)
        ascents.append(HingeDualAscent(objective, batches, strengths, np.zeros(3)))
    rng = np.random.default_rng(0)
    orders = [rng.permutation(len(y)) for _ in range(10)]
    together, one_by_one = ascents
    W_together = together.weights(np.float64)
    together.epochs(W_together, orders)
    together.update_multiplier()
    W_each = one_by_one.weights(np.float64)
    for order in orders:
        one_by_one.epoch(W_each, order)
        one_by_one.update_multiplier()
    for name in ("a", "U", "residual", "multiplier", "slack"):
        np.testing.assert_array_equal(
            getattr(together, name), getattr(one_by_one, name), err_msg=name
        )
    np.testing.assert_array_equal(W_together, W_each)
    assert together._since_full == one_by_one._since_full == 1  # shrinking ran


@needs_sweep
def test_a_solve_without_hooks_takes_the_steps_of_one_with_hooks():
    # Hooks run after every epoch, so they keep the one-call-per-epoch path.
    X, y = _data("iris")
    assert_hooks_change_nothing(
        lambda: _objective(X, y), 3, method="sdca", tol=1e-8, max_epochs=300
    )


@needs_sweep
def test_max_norm_on_centered_sparse_x_takes_the_numpy_path():
    X, y = _data("iris")
    ascent = _ascent(_objective(sp.csr_matrix(X), y, max_norm=1.0), True)
    assert ascent._sweep is None


@needs_sweep
@pytest.mark.parametrize("layout", ["dense", "csr"])
def test_the_sweep_returns_the_dual_increase(layout):
    X, y = _data("wine")
    X = sp.csr_matrix(X) if layout == "csr" else X
    ascent = _ascent(_objective(X, y), compiled=True)
    before = _dual(ascent)
    order = np.random.default_rng(1).permutation(len(y))
    increase = ascent._sweep(order, ascent)
    assert increase > 0
    assert np.isclose(increase, _dual(ascent) - before, rtol=1e-9)


@needs_sweep
def test_shrinking_skips_settled_samples_and_still_raises_the_dual():
    X, y = _data("wine")
    ascent = _ascent(_objective(X, y, alpha=1e-2), compiled=True)
    ascent.shrink = True
    visits, sweep = [], ascent._sweep
    ascent._sweep = lambda order, state: (
        visits.append(len(order)) or sweep(order, state)
    )
    W = ascent.weights(np.float64)
    rng = np.random.default_rng(0)
    for _ in range(9):
        before = _dual(ascent)
        ascent.epoch(W, rng.permutation(len(y)))
        assert _dual(ascent) >= before
        ascent.update_multiplier()
    # Full sweeps first and every 8 epochs; most samples settle in between.
    assert visits[0] == visits[8] == len(y)
    assert min(visits) < len(y) / 2
    ascent.refresh((ascent.gradient() * ascent.factors[:, None]).T @ X)
    ascent.epoch(W, rng.permutation(len(y)))
    assert visits[-1] == len(y)  # full after a refresh


@needs_sweep
@pytest.mark.parametrize("name", ["iris", "wine"])
@pytest.mark.parametrize("layout", ["dense", "csr"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
def test_reaches_the_exact_optimum(name, layout, dtype, weighted):
    X, y = _data(name)
    X = X.astype(dtype)
    X = sp.csr_matrix(X) if layout == "csr" else X
    w = _weights(len(y)) if weighted else None
    objective = _objective(X, y, w)
    W, b = objective.initial_weights(objective.n_classes)
    result = solve(objective, W, b, tol=1e-2, random_state=0)
    optimum = OPTIMA[name, weighted]
    assert result.converged
    assert optimum * (1 - 1e-6) <= result.primal <= optimum * 1.01
    # The certificate bounds the true gap.
    assert result.primal - optimum <= result.gap * result.primal + 1e-7


def test_blocked_extension_falls_back_to_numpy(monkeypatch):
    monkeypatch.setattr(_dual_cd, "_dual_sweep", None)
    assert not _dual_cd.sweep_available()
    X, y = _data("wine")
    objective = _objective(X, y)
    ascent = HingeDualAscent(
        objective, make_batches(X, 11), penalty_strengths(objective.penalty),
        np.zeros(3),
    )  # fmt: skip
    assert ascent._sweep is None and ascent.n_steps == 11
    W, b = objective.initial_weights(objective.n_classes)
    result = solve(objective, W, b, tol=1e-2, random_state=0)
    assert result.converged
    assert result.primal <= OPTIMA["wine", False] * 1.01


def test_without_the_extension_import_warns_and_the_solver_works():
    code = textwrap.dedent(
        """\
        import sys, warnings
        sys.modules["sklinear._dual_sweep"] = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import sklinear
        from sklinear._solvers import _dual_cd, solve
        from sklinear.objective import LinearObjective
        from sklinear.penalties import make_penalty
        import numpy as np
        rng = np.random.default_rng(0)
        X, y = rng.standard_normal((60, 4)), np.arange(60) % 3
        objective = LinearObjective(
            X, y, "hinge", penalty=make_penalty("l2", 5e-3), center=True
        )
        W, b = objective.initial_weights(3)
        result = solve(objective, W, b, tol=1e-9, max_epochs=2, random_state=0)
        messages = [str(w.message) for w in caught
                    if w.category is sklinear.KernelNotBuiltWarning]
        print(len(messages), _dual_cd.sweep_available(), result.n_epochs)
        print(messages[0] if messages else "")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    first, *message = result.stdout.splitlines()
    assert first == "1 False 2"
    message = "\n".join(message)
    assert "sklinear._dual_sweep" in message
    assert "through NumPy\nminibatches" in message


@needs_sweep
def test_layouts_it_cannot_read_take_the_numpy_path():
    X, _ = _data("iris")
    assert _dual_cd._compiled_sweep(X[::2], None, 0.0) is not None  # row stride
    for unreadable in (sp.csc_matrix(X), X.astype(np.float16)):
        assert _dual_cd._compiled_sweep(unreadable, None, 0.0) is None
    # Rows it cannot read in place are copied once (Fortran order, misaligned).
    for copied in (np.asfortranarray(X), misaligned(X)):
        assert _dual_cd._compiled_sweep(copied, None, 0.0) is not None


@needs_sweep
def test_elastic_net_on_centered_sparse_x_takes_the_numpy_path():
    X, y = _data("iris")
    ascent = _ascent(_objective(sp.csr_matrix(X), y, penalty="elasticnet"), True)
    assert ascent._sweep is None
