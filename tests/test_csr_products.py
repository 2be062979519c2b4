"""The compiled CSR products of the certificate (``sklinear._csr_products``).

They must equal scipy's products in float64 for every float and index type
and shape (empty rows, no stored value, one class), leave their inputs
unchanged, fall back to scipy where the kernel does not apply, and refuse
anything malformed at the boundary or in a row with a ValueError, never a
crash (the boundary cases run in a fresh interpreter). A fit's certificate
through them equals the one through scipy.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from child_process import in_child, misaligned

from sklinear import SoftmaxClassifier, _csr_products

built = pytest.mark.skipif(
    _csr_products._saga_sweep is None, reason="sklinear._saga_sweep was not built"
)


def _csr(n=40, d=30, density=0.2, dtype=np.float64, index=np.int32, seed=0):
    X = sp.random(n, d, density=density, format="csr", random_state=seed)
    X = X.astype(dtype)
    X.indices = X.indices.astype(index)
    X.indptr = X.indptr.astype(index)
    return X


@built
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("index", [np.int32, np.int64])
@pytest.mark.parametrize(
    "shape", [(40, 30, 0.2, 5), (40, 30, 0.0, 3), (1, 7, 1.0, 1), (25, 300, 0.02, 12)]
)
def test_products_equal_scipys_in_float64(dtype, index, shape):
    n, d, density, C = shape
    X = _csr(n, d, density, dtype, index)
    assert _csr_products.takes(X)
    rng = np.random.default_rng(1)
    W, A = rng.standard_normal((C, d)), rng.standard_normal((n, C))
    X64 = X.astype(np.float64)
    before = X.data.copy(), X.indices.copy(), X.indptr.copy(), W.copy(), A.copy()
    scores = _csr_products.scores(X, W)
    product = _csr_products.transposed_product(X, A)
    assert scores.dtype == product.dtype == np.float64
    np.testing.assert_allclose(scores, X64 @ W.T, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(product, (X64.T @ A).T, rtol=1e-14, atol=1e-14)
    for kept, now in zip(before, (X.data, X.indices, X.indptr, W, A)):
        np.testing.assert_array_equal(kept, now)


@pytest.mark.parametrize("how", ["switched-off", "csc", "not-built"])
def test_what_the_kernel_does_not_take_goes_through_scipy(how, monkeypatch):
    X = _csr()
    if how == "switched-off":
        monkeypatch.setattr(_csr_products, "enabled", False)
    elif how == "not-built":
        monkeypatch.setattr(_csr_products, "_saga_sweep", None)
    else:
        X = X.tocsc()
    assert not _csr_products.takes(X)
    rng = np.random.default_rng(2)
    W, A = rng.standard_normal((4, 30)), rng.standard_normal((40, 4))
    np.testing.assert_allclose(_csr_products.scores(X, W), X @ W.T, rtol=1e-14)
    np.testing.assert_allclose(
        _csr_products.transposed_product(X, A), (X.T @ A).T, rtol=1e-14
    )


@built
def test_a_sparse_fit_certifies_the_same_through_scipy(monkeypatch):
    rng = np.random.default_rng(3)
    X = _csr(300, 200, 0.05, seed=3)
    y = rng.integers(0, 4, 300)
    fit = SoftmaxClassifier(alpha=1e-2, solver="saga", random_state=0).fit(X, y)
    monkeypatch.setattr(_csr_products, "enabled", False)
    through_scipy = SoftmaxClassifier(alpha=1e-2, solver="saga", random_state=0)
    through_scipy.fit(X, y)
    np.testing.assert_allclose(fit.coef_, through_scipy.coef_, rtol=1e-9, atol=1e-12)
    assert fit.duality_gap_ == pytest.approx(through_scipy.duality_gap_, rel=1e-6)


# -- the boundary, in a fresh interpreter -------------------------------------


def _arguments(scores=True, n=6, d=5, C=3, seed=0):
    X = _csr(n, d, 0.5, seed=seed)
    rng = np.random.default_rng(seed)
    dense = rng.standard_normal((d, C) if scores else (n, C))
    out = np.zeros((n, C) if scores else (d, C))
    return {
        "data": X.data, "indices": X.indices, "indptr": X.indptr,
        "dense": dense, "out": out,
    }  # fmt: skip


def _outcome(scores, arguments):
    from sklinear import _saga_sweep

    product = _saga_sweep.csr_scores if scores else _saga_sweep.csr_transposed_product
    try:
        product(*arguments.values())
    except ValueError as error:
        return str(error)
    return "ok"


def _bad_cases(scores):
    base = _arguments(scores)
    indptr, indices = base["indptr"], base["indices"]
    shared = np.zeros(base["out"].shape)
    read_only = np.zeros(base["out"].shape)
    read_only.flags.writeable = False
    past = indptr.copy()
    past[-1] += 1
    cases = {
        "valid": {},
        "data int": dict(data=base["data"].astype(np.int64)),
        "data big-endian": dict(data=base["data"].astype(">f8")),
        "data misaligned": dict(data=misaligned(base["data"])),
        "data strided": dict(data=np.repeat(base["data"], 2)[::2]),
        "indices float": dict(indices=indices.astype(float)),
        "indices shorter": dict(indices=indices[:-1]),
        "indptr empty": dict(indptr=indptr[:0]),
        "dense float32": dict(dense=base["dense"].astype(np.float32)),
        "dense Fortran": dict(dense=np.asfortranarray(base["dense"])),
        "dense wrong shape": dict(dense=np.zeros((9, 4))),
        "out wrong shape": dict(out=np.zeros((2, 3))),
        "out read-only": dict(out=read_only),
        "out is dense": dict(dense=shared, out=shared),
        "out 1-D": dict(out=np.zeros(18)),
        "column too large": dict(indices=indices + 5),
        "negative column": dict(indices=indices - 100),
        "pointer past data": dict(indptr=past),
        "pointers out of order": dict(indptr=indptr[::-1].copy()),
        "negative pointer": dict(indptr=indptr - 1),
    }
    return {
        name: _outcome(scores, {**base, **change}) for name, change in cases.items()
    }


def _fuzz(seed, n_cases=200):
    """Random shapes, dtypes and CSR arrays: every call raises ValueError or
    writes finite numbers of the right shape."""
    rng = np.random.default_rng(seed)
    counts = {"ok": 0, "error": 0}
    for _ in range(n_cases):
        scores = bool(rng.integers(2))
        n, d, C = (int(v) for v in rng.integers(1, 7, 3))
        arguments = _arguments(scores, n, d, C, seed=int(rng.integers(1000)))
        for key in ("indices", "indptr"):
            if rng.random() < 0.3:
                noise = rng.integers(-3, 4, arguments[key].shape)
                arguments[key] = arguments[key] + noise.astype(arguments[key].dtype)
        if rng.random() < 0.2:
            arguments["data"] = arguments["data"].astype(rng.choice(["f4", "f8", "i4"]))
        if rng.random() < 0.15:
            key = rng.choice(["dense", "out"])
            arguments[key] = np.zeros(rng.integers(0, 4, 2))
        outcome = _outcome(scores, arguments)
        counts["ok" if outcome == "ok" else "error"] += 1
        if outcome == "ok":
            assert np.isfinite(arguments["out"]).all()
    return counts


def _boundary_in_child():
    return _bad_cases(True), _bad_cases(False), _fuzz(0)


@built
def test_bad_and_fuzzed_arguments_raise_value_error():
    for_scores, for_product, counts = in_child(_boundary_in_child)
    for outcomes in (for_scores, for_product):
        assert outcomes.pop("valid") == "ok"
        for name, outcome in outcomes.items():
            assert outcome != "ok", name
        for name in ("column too large", "pointer past data", "negative pointer"):
            assert "is not valid" in outcomes[name], name
    assert counts["ok"] > 20 and counts["error"] > 20, counts
