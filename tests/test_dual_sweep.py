"""The compiled per-sample dual sweep (``sklinear._dual_sweep``) of the hinge
solver: the same steps as the NumPy path, the exact optimum reached and
certified, a boundary that raises ValueError for anything it cannot read, and
the NumPy fallback when the extension is missing.
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.sparse as sp
from child_process import in_child, misaligned
from sklearn.datasets import load_iris, load_wine
from sklearn.preprocessing import StandardScaler

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
    results = []
    for hook in (None, lambda epoch, W, b: False):
        objective = _objective(X, y)
        W, b = objective.initial_weights(3)
        found = solve(
            objective, W, b, method="sdca", tol=1e-8, max_epochs=300,
            random_state=0, on_epoch_end=hook,
        )  # fmt: skip
        results.append((found.W.copy(), found.b.copy(), found.n_epochs))
    (W0, b0, n0), (W1, b1, n1) = results
    assert n0 == n1 > 8
    np.testing.assert_array_equal(W0, W1)
    np.testing.assert_array_equal(b0, b1)


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


# --- the boundary ---------------------------------------------------------------


def _arguments(n=12, n_features=5, n_classes=3, dtype=np.float64, csr=False, seed=0):
    """Valid arguments of sweep_dense or sweep_csr, as a dict."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_features)).astype(dtype)
    X[rng.random(X.shape) < 0.4] = 0
    arguments = {"X": X} if not csr else {}
    if csr:
        matrix = sp.csr_matrix(X)
        arguments.update(data=matrix.data, indices=matrix.indices, indptr=matrix.indptr)
    arguments.update(
        y=rng.integers(0, n_classes, n), order=rng.permutation(n),
        factors=np.full(n, 1.0 / max(n, 1)), curvature=np.full(n, 2.0 / max(n, 1)),
        a=np.zeros((n, n_classes)), U=np.zeros((n_classes, n_features)),
        residual=np.zeros(n_classes), multiplier=rng.standard_normal(n_classes),
        offset=rng.standard_normal(n_features), l1=0.0, l2=0.1, rho=0.1, margin=1.0,
        slack=np.zeros(n), max_norm=0.0, epochs=1, full_every=0, since_full=-1,
    )  # fmt: skip
    return arguments


def _call(arguments):
    from sklinear import _dual_sweep

    names = ["y", "order", "factors", "curvature", "a", "U", "residual"]
    names += ["multiplier", "offset", "l1", "l2", "rho", "margin", "slack"]
    names += ["max_norm", "epochs", "full_every", "since_full"]
    if "X" in arguments:
        return _dual_sweep.sweep_dense(*(arguments[k] for k in ["X", *names]))
    prefix = ["data", "indices", "indptr"]
    return _dual_sweep.sweep_csr(*(arguments[k] for k in prefix + names))


def _common_bad_cases(base):
    n, C = base["a"].shape
    a_own = base["a"].copy()
    a_own[3, base["y"][3]] = 0.5
    U = base["U"]
    return {
        "y float": dict(y=base["y"].astype(float)),
        "y label -1": dict(y=np.where(np.arange(n) == 7, -1, base["y"])),
        "y label C": dict(y=np.where(np.arange(n) == 7, C, base["y"])),
        "y uint64 max": dict(y=np.full(n, 2**64 - 1, dtype=np.uint64)),
        "y too short": dict(y=base["y"][:-1]),
        "y 2-D": dict(y=base["y"][:, None]),
        "order n": dict(order=np.append(base["order"], n)),
        "order -1": dict(order=np.append(base["order"], -1)),
        "order float": dict(order=base["order"].astype(float)),
        "factors float32": dict(factors=base["factors"].astype(np.float32)),
        "factors too long": dict(factors=np.append(base["factors"], 1.0)),
        "factors negative": dict(factors=-base["factors"]),
        "factors NaN": dict(factors=np.full(n, np.nan)),
        "factors strided": dict(factors=np.repeat(base["factors"], 2)[::2]),
        "curvature inf": dict(curvature=np.full(n, np.inf)),
        "a transposed": dict(a=np.zeros((C, n)).T),
        "a read-only": dict(a=np.broadcast_to(np.zeros(C), (n, C))),
        "a above 1": dict(a=np.full((n, C), 2.0)),
        "a at the own class": dict(a=a_own),
        "a a list": dict(a=base["a"].tolist()),
        "U float32": dict(U=U.astype(np.float32)),
        "U 0 classes": dict(U=np.zeros((0, U.shape[1]))),
        "U wrong width": dict(U=np.zeros((C, U.shape[1] + 1))),
        "U transposed": dict(U=np.zeros(U.shape[::-1]).T),
        "U NaN": dict(U=np.full(U.shape, np.nan)),
        "U is a": dict(U=base["a"][:C, : U.shape[1]]),
        "residual in U": dict(residual=U.ravel()[:C]),
        "residual too long": dict(residual=np.zeros(C + 1)),
        "multiplier NaN": dict(multiplier=np.full(C, np.nan)),
        "offset float32": dict(offset=base["offset"].astype(np.float32)),
        "offset too short": dict(offset=base["offset"][:-1]),
        "l2 zero": dict(l2=0.0),
        "l1 negative": dict(l1=-1.0),
        "rho NaN": dict(rho=np.nan),
        "margin inf": dict(margin=np.inf),
        "max_norm negative": dict(max_norm=-1.0),
        "max_norm NaN": dict(max_norm=np.nan),
        "max_norm inf": dict(max_norm=np.inf),
        "epochs 0": dict(epochs=0),
        "epochs not dividing the order": dict(epochs=n + 1),
        "full_every negative": dict(full_every=-1),
        "since_full below -1": dict(since_full=-2),
        "multiplier read-only": dict(multiplier=np.broadcast_to(np.zeros(1), (C,))),
        "slack float32": dict(slack=np.zeros(n, np.float32)),
        "slack too short": dict(slack=np.zeros(n - 1)),
        "slack in a": dict(slack=base["a"].ravel()[:n]),
    }


def _dense_bad_cases(base):
    X = base["X"]
    return {
        "X int": dict(X=X.astype(np.int64)),
        "X float16": dict(X=X.astype(np.float16)),
        "X byteswapped": dict(X=X.astype(">f8")),
        "X 1-D": dict(X=X.ravel()),
        "X Fortran": dict(X=np.asfortranarray(X)),
        "X column-strided": dict(X=np.repeat(X, 2, axis=1)[:, ::2]),
        "X misaligned": dict(X=misaligned(X)),
        "X too few rows": dict(X=X[:-1]),
        "X too wide": dict(X=np.hstack([X, X])),
        "a overlaps X": dict(a=X[:, :3]),
    }


def _csr_bad_cases(base):
    indices, indptr, F = base["indices"], base["indptr"], base["U"].shape[1]

    def at(array, k, value):
        array = array.copy()
        array[k] = value
        return array

    return {
        "data int": dict(data=base["data"].astype(np.int64)),
        "data 2-D": dict(data=base["data"][:, None]),
        "indices -1": dict(indices=at(indices, 2, -1)),
        "indices F": dict(indices=at(indices, 2, F)),
        "indices int16": dict(indices=indices.astype(np.int16)),
        "indices float": dict(indices=indices.astype(float)),
        "indices too short": dict(indices=indices[:-1]),
        "indices uint32": dict(indices=indices.astype(np.uint32)),
        "indptr decreasing": dict(indptr=at(indptr, 3, indptr[4] + 1)),
        "indptr past the data": dict(indptr=at(indptr, -1, indptr[-1] + 1)),
        "indptr negative": dict(indptr=at(indptr, 0, -1)),
        "indptr too short": dict(indptr=indptr[:-1]),
        "indptr strided": dict(indptr=np.repeat(indptr, 2)[::2]),
        "elastic net centered": dict(l1=0.1),
        "max_norm centered": dict(max_norm=1.0),
    }


@needs_sweep
@pytest.mark.parametrize("csr", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_boundary_raises_value_error(csr, dtype):
    def cases(base):
        found = _common_bad_cases(base)
        found.update(_csr_bad_cases(base) if csr else _dense_bad_cases(base))
        return found

    assert np.isfinite(_call(_arguments(dtype=dtype, csr=csr)))
    for case in cases(_arguments(dtype=dtype, csr=csr)):
        base = _arguments(dtype=dtype, csr=csr)  # fresh: overlaps are with it
        with pytest.raises(ValueError):
            _call({**base, **cases(base)[case]})
        print(case)  # in the report of a failure


def _mutated(rng, arguments):
    """One random change: most break the contract, some keep it."""
    n, C = arguments["a"].shape
    floats = [
        k for k in ("factors", "curvature", "a", "U", "residual") if n or k == "U"
    ]
    floats += ["multiplier"] + (["offset"] if arguments["offset"] is not None else [])
    name = floats[rng.integers(len(floats))]
    choice = rng.integers(9)
    if choice == 0:  # any labels, any integer type
        dtype = rng.choice(["i1", "i8", "u2", "u8", "f8"])
        return dict(y=rng.integers(-2, C + 2, n).astype(dtype))
    if choice == 1:  # any order: repeats, gaps, out of range, empty
        return dict(order=rng.integers(-1, n + 2, rng.integers(0, 2 * n + 2)))
    if choice == 2:  # another dtype or a strided copy of a float array
        value = arguments[name]
        choice = rng.integers(2)
        return {name: [value.astype(np.float32), np.repeat(value, 2)[::2]][choice % 2]}
    if choice == 3:  # one entry more or fewer
        value = arguments[name]
        rows = max(value.shape[0] + rng.choice([-1, 1]), 0)
        return {name: np.resize(value, (rows,) + value.shape[1:])}
    if choice == 4:
        return dict(a=rng.uniform(-0.5, 1.5, (n, C)))
    if choice == 5:
        key = rng.choice(["l1", "l2", "rho", "margin"])
        return {key: rng.choice([np.nan, np.inf, -1.0, 0.0, 1e-3, 1.0])}
    if choice == 6 and "indices" in arguments and len(arguments["indices"]):
        indices = arguments["indices"].copy()
        indices[rng.integers(len(indices))] = rng.integers(
            -2, arguments["U"].shape[1] + 2
        )
        return dict(indices=indices)
    if choice == 7 and "indptr" in arguments:
        indptr = arguments["indptr"].copy()
        indptr[rng.integers(len(indptr))] += rng.integers(-3, 4)
        return dict(indptr=indptr)
    if choice == 8 and "X" in arguments and n:
        X = arguments["X"]
        return dict(X=[X[::-1], np.repeat(X, 2, axis=0)[::2]][rng.integers(2)])
    return {}


def _fuzz(seed, n_cases):
    """Outcomes of random calls: ValueError or a finite, consistent result."""
    rng = np.random.default_rng(seed)
    counts = {"ok": 0, "ValueError": 0}
    for _ in range(n_cases):
        csr = bool(rng.integers(2))
        arguments = _arguments(
            n=int(rng.choice([0, 1, 2, 7])), n_features=int(rng.choice([0, 1, 3, 9])),
            n_classes=int(rng.choice([1, 2, 5])), csr=csr,
            dtype=rng.choice([np.float32, np.float64]), seed=int(rng.integers(1 << 30)),
        )  # fmt: skip
        if not csr or rng.integers(2):
            arguments["offset"] = None if rng.integers(2) else arguments["offset"]
        arguments.update(_mutated(rng, arguments))
        try:
            increase = _call(arguments)
        except ValueError:
            counts["ValueError"] += 1
            continue
        a, y = arguments["a"], np.asarray(arguments["y"]).astype(np.intp)
        assert np.isfinite(increase) and increase >= -1e-12, increase
        assert (
            np.isfinite(arguments["U"]).all()
            and np.isfinite(arguments["residual"]).all()
        )
        assert ((a >= 0) & (a <= 1)).all() and not a[np.arange(len(y)), y].any()
        counts["ok"] += 1
    return counts


@needs_sweep
def test_fuzzed_calls_raise_value_error_or_give_consistent_results():
    counts = in_child(_fuzz, 0, 400)
    assert counts["ok"] > 100 and counts["ValueError"] > 100, counts
