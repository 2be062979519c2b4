"""The boundary of the compiled dual sweep (``sklinear._dual_sweep``): every
argument it cannot use raises ValueError (never a crash, tested in a child
process), and fuzzed calls raise or give consistent results.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from child_process import in_child, misaligned

from sklinear._solvers import _dual_cd

needs_sweep = pytest.mark.skipif(
    not _dual_cd.sweep_available(),
    reason="the C extension sklinear._dual_sweep was not built",
)


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
