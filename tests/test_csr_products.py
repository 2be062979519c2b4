"""The compiled CSR products of the certificate and the solvers' set-up
(``sklinear._csr_products``): scores, transposed product, class sums and
row norms.

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

from sklinear import LinearSVMClassifier, SoftmaxClassifier, _csr_products
from sklinear._solvers._snapshot import Certificate
from sklinear.objective import LinearObjective
from sklinear.penalties import make_penalty

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
    y, a = rng.integers(0, C, n), rng.random(n)
    scale, offset = rng.random(d), rng.standard_normal(d)
    scores = _csr_products.scores(X, W)
    product = _csr_products.transposed_product(X, A)
    sums = _csr_products.class_sums(X, y, a, C)
    squares, cross = _csr_products.row_norms(X, scale, offset)
    for result in (scores, product, sums, squares, cross):
        assert result.dtype == np.float64
    np.testing.assert_allclose(scores, X64 @ W.T, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(product, (X64.T @ A).T, rtol=1e-14, atol=1e-14)
    one_hot = np.zeros((n, C))
    one_hot[np.arange(n), y] = a
    np.testing.assert_allclose(sums, one_hot.T @ X64, rtol=1e-14, atol=1e-14)
    scaled = X64 @ sp.diags(scale)
    np.testing.assert_allclose(
        squares, np.asarray(scaled.multiply(scaled).sum(axis=1)).ravel(), rtol=1e-14
    )
    np.testing.assert_allclose(cross, scaled @ offset, rtol=1e-13, atol=1e-14)
    for kept, now in zip(before, (X.data, X.indices, X.indptr, W, A)):
        np.testing.assert_array_equal(kept, now)


@built
def test_class_sums_add_each_classs_rows_in_their_order():
    # The kernel visits the rows class by class; each sum must still add its
    # rows in the rows' order, as a loop over the rows would.
    X = _csr(200, 10, 0.5, seed=4)
    y = np.random.default_rng(4).integers(0, 3, 200)
    a = np.random.default_rng(5).random(200) * 10.0 ** np.arange(-100, 100)
    expected = np.zeros((3, 10))
    for i in range(200):
        row = X.getrow(i)
        for j, value in zip(row.indices, row.data):
            expected[y[i], j] += a[i] * value
    np.testing.assert_array_equal(_csr_products.class_sums(X, y, a, 3), expected)


def test_a_zero_operand_makes_no_pass_over_X(monkeypatch):
    X = _csr()

    def no_pass(*args):
        raise AssertionError("a pass over X")

    monkeypatch.setattr(_csr_products, "_compiled", no_pass)
    monkeypatch.setattr(_csr_products, "takes", no_pass)
    product = _csr_products.transposed_product(X, np.zeros((40, 4)))
    assert product.shape == (4, 30) and not product.any()


@built
def test_products_give_the_same_bits_on_any_number_of_threads():
    # Scores and row norms split the rows, the transposed product the
    # features: each entry is summed by one thread in the rows' order.
    from sklinear import _saga_sweep

    X = _csr(3_000, 500, 0.02, seed=8)
    X.indptr[100:200] = X.indptr[100]  # empty rows: an uneven split
    X = X.__class__((X.data[: X.indptr[-1]], X.indices, X.indptr), shape=X.shape)
    rng = np.random.default_rng(8)
    arrays = (X.data, X.indices, X.indptr)
    operands = {
        _saga_sweep.csr_scores: (rng.standard_normal((500, 7)), (3_000, 7)),
        _saga_sweep.csr_transposed_product: (
            rng.standard_normal((3_000, 7)),
            (500, 7),
        ),
        _saga_sweep.csr_row_norms: (rng.random((500, 2)), (3_000, 2)),
    }
    for product, (dense, shape) in operands.items():
        results = []
        for n_threads in (1, 2, 3, 8, 64):
            out = np.full(shape, np.nan)
            product(*arrays, dense, out, n_threads)
            results.append(out)
        for result in results[1:]:
            np.testing.assert_array_equal(result, results[0])
    for n_threads in (0, -1, 65):
        with pytest.raises(ValueError, match="n_threads must be in"):
            _saga_sweep.csr_scores(*arrays, *operands[_saga_sweep.csr_scores][:1],
                                   np.zeros((3_000, 7)), n_threads)  # fmt: skip


@built
def test_the_products_follow_the_thread_limit(monkeypatch):
    from threadpoolctl import threadpool_limits

    seen = []
    compiled = _csr_products._saga_sweep.csr_scores

    def recording(*arguments):
        seen.append(arguments[-1])
        return compiled(*arguments)

    monkeypatch.setattr(_csr_products._saga_sweep, "csr_scores", recording)
    monkeypatch.setattr(_csr_products, "_WORK_PER_THREAD", 1)
    X, W = _csr(), np.ones((3, 30))
    for limit in (1, 2, 3):
        with threadpool_limits(limits=limit, user_api="sklinear"):
            _csr_products.scores(X, W)
    assert seen == [1, 2, 3]


@built
@pytest.mark.parametrize("Classifier", [SoftmaxClassifier, LinearSVMClassifier])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_check_at_zero_weights_sums_by_class_as_the_product_does(Classifier, dtype):
    # At W = 0 every row's gradient depends on its class alone: its sum comes
    # from the class sums and equals the product's to rounding; the softmax's
    # check runs on one row per class and certifies the gap of every row's.
    X = _csr(120, 50, 0.1, dtype, seed=6)
    y = np.random.default_rng(6).integers(0, 4, 120)
    weights = np.random.default_rng(7).random(120)
    loss = "softmax" if Classifier is SoftmaxClassifier else "hinge"
    objective = LinearObjective(
        X, y, loss, make_penalty("l2", 1e-2), sample_weight=weights
    )
    W, b = objective.initial_weights(4)
    b[:] = [0.3, -0.1, 0.0, 0.2]
    certificate = Certificate(objective)
    snapshot = certificate(W, b, tol=1e-4)
    weighted = snapshot.gradient * certificate.factors[:, None]
    expected = (X.astype(np.float64).T @ weighted).T
    np.testing.assert_allclose(snapshot.weighted_sum, expected, rtol=1e-12, atol=1e-15)
    monkeypatch = pytest.MonkeyPatch()
    with monkeypatch.context() as patched:
        every_row = lambda self, W, b, tol: self._anywhere(W, b, 0.0, tol)  # noqa: E731
        patched.setattr(Certificate, "_at_zero", every_row)
        every_row = Certificate(objective)(W, b, tol=1e-4)
    np.testing.assert_allclose(snapshot.gradient, every_row.gradient, atol=1e-13)
    np.testing.assert_allclose(snapshot.intercept_scores, every_row.intercept_scores)
    # At W = 0 the rows of a class tie exactly, and the hinge's polished dual
    # points break those ties on rounding: its certified gaps agree to 1e-4.
    # (The weights, rounded to float32 rows' dtype, give the every-row check
    # of float32 rows a sum weighted a little differently from its dual's.)
    agree = (1e-9 if dtype == np.float64 else 1e-7) if loss == "softmax" else 1e-4
    assert snapshot.primal == pytest.approx(every_row.primal, rel=1e-13)
    assert snapshot.relative == pytest.approx(every_row.relative, rel=agree)


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
    y, a = rng.integers(0, 4, 40), rng.random(40)
    one_hot = np.zeros((40, 4))
    one_hot[np.arange(40), y] = a
    np.testing.assert_allclose(
        _csr_products.class_sums(X, y, a, 4), one_hot.T @ X.toarray(), rtol=1e-14
    )
    scale, offset = rng.random(30), rng.standard_normal(30)
    squares, cross = _csr_products.row_norms(X, scale, offset)
    dense = X.toarray() * scale
    np.testing.assert_allclose(squares, (dense**2).sum(axis=1), rtol=1e-14)
    np.testing.assert_allclose(cross, dense @ offset, rtol=1e-13)


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


KINDS = ("scores", "transposed", "class_sums", "row_norms")


def _arguments(kind="scores", n=6, d=5, C=3, seed=0):
    X = _csr(n, d, 0.5, seed=seed)
    rng = np.random.default_rng(seed)
    dense_shape, out_shape = {
        "scores": ((d, C), (n, C)),
        "transposed": ((n, C), (d, C)),
        "class_sums": ((n, 1), (C, d)),
        "row_norms": ((d, 2), (n, 2)),
    }[kind]
    arguments = {"data": X.data, "indices": X.indices, "indptr": X.indptr}
    if kind == "class_sums":
        arguments["labels"] = rng.integers(0, C, n)
    arguments["dense"] = rng.standard_normal(dense_shape)
    arguments["out"] = np.zeros(out_shape)
    return arguments


def _outcome(kind, arguments, n_threads=None):
    from sklinear import _saga_sweep

    product = {
        "scores": _saga_sweep.csr_scores,
        "transposed": _saga_sweep.csr_transposed_product,
        "class_sums": _saga_sweep.csr_class_sums,
        "row_norms": _saga_sweep.csr_row_norms,
    }[kind]
    extra = () if n_threads is None else (n_threads,)
    try:
        product(*arguments.values(), *extra)
    except ValueError as error:
        return str(error)
    return "ok"


def _bad_cases(kind):
    base = _arguments(kind)
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
        # (a single column, as the class sums' weights, is both orders)
        "dense Fortran": dict(dense=np.asfortranarray(base["dense"]))
        if base["dense"].shape[1] > 1
        else dict(dense=base["dense"].T),
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
    if kind == "class_sums":
        labels = base["labels"]
        cases.update({
            "labels float": dict(labels=labels.astype(float)),
            "labels shorter": dict(labels=labels[:-1]),
            "labels strided": dict(labels=np.repeat(labels, 2)[::2]),
            "label too large": dict(labels=labels + 3),
            "negative label": dict(labels=labels - 3),
            "out is labels": dict(out=labels.view(np.float64).reshape(1, -1)[:, :5]),
        })  # fmt: skip
    return {name: _outcome(kind, {**base, **change}) for name, change in cases.items()}


def _fuzz(seed, n_cases=200):
    """Random kinds, shapes, dtypes and CSR arrays: every call raises
    ValueError or writes finite numbers of the right shape."""
    rng = np.random.default_rng(seed)
    counts = {"ok": 0, "error": 0}
    for _ in range(n_cases):
        kind = KINDS[rng.integers(len(KINDS))]
        n, d, C = (int(v) for v in rng.integers(1, 7, 3))
        arguments = _arguments(kind, n, d, C, seed=int(rng.integers(1000)))
        for key in ("indices", "indptr", "labels"):
            if key in arguments and rng.random() < 0.3:
                noise = rng.integers(-3, 4, arguments[key].shape)
                arguments[key] = arguments[key] + noise.astype(arguments[key].dtype)
        if rng.random() < 0.2:
            arguments["data"] = arguments["data"].astype(rng.choice(["f4", "f8", "i4"]))
        if rng.random() < 0.15:
            key = rng.choice(["dense", "out"])
            arguments[key] = np.zeros(rng.integers(0, 4, 2))
        outcome = _outcome(kind, arguments)
        counts["ok" if outcome == "ok" else "error"] += 1
        if outcome == "ok":
            assert np.isfinite(arguments["out"]).all()
    return counts


def _boundary_in_child():
    return {kind: _bad_cases(kind) for kind in KINDS}, _fuzz(0)


@built
def test_bad_and_fuzzed_arguments_raise_value_error():
    outcomes_by_kind, counts = in_child(_boundary_in_child)
    for kind, outcomes in outcomes_by_kind.items():
        assert outcomes.pop("valid") == "ok", kind
        for name, outcome in outcomes.items():
            assert outcome != "ok", (kind, name)
        for name in ("column too large", "pointer past data", "negative pointer"):
            assert "is not valid" in outcomes[name], (kind, name)
    for name in ("label too large", "negative label"):
        assert "is not a class" in outcomes_by_kind["class_sums"][name], name
    assert counts["ok"] > 20 and counts["error"] > 20, counts


def _duplicate_row_cases():
    from sklinear import _saga_sweep

    def outcome(*arguments):
        try:
            return _saga_sweep.csr_duplicate_row(*arguments)
        except ValueError as error:
            return str(error)

    X = _csr(20, 8, 0.4, seed=9)
    indices, indptr = X.indices, X.indptr
    reversed_rows = indices.copy()
    for start, stop in zip(indptr[:-1], indptr[1:]):
        reversed_rows[start:stop] = indices[start:stop][::-1]
    row = int(np.argmax(np.diff(indptr) >= 2))
    doubled = indices.copy()
    doubled[indptr[row] + 1] = doubled[indptr[row]]
    cases = {
        "sorted": (indices, indptr, 8),
        "unsorted": (reversed_rows, indptr, 8),
        "doubled": (doubled, indptr, 8),
        "column too large": (indices, indptr, 3),
        "negative column": (indices - 100, indptr, 8),
        "pointer past data": (indices, indptr + 1, 8),
        "pointers out of order": (indices, indptr[::-1].copy(), 8),
        "indptr empty": (indices, indptr[:0], 8),
        "indices float": (indices.astype(float), indptr, 8),
        "indices strided": (np.repeat(indices, 2)[::2], indptr, 8),
        "negative n_features": (indices, indptr, -1),
    }
    rng = np.random.default_rng(10)
    fuzzed = {"row": 0, "error": 0}
    for _ in range(300):
        n, d = (int(v) for v in rng.integers(1, 8, 2))
        Y = _csr(n, d, 0.5, seed=int(rng.integers(1000)))
        fuzzed_indices = Y.indices + rng.integers(-2, 3, Y.indices.shape).astype(
            Y.indices.dtype
        ) * (rng.random() < 0.5)
        fuzzed_indptr = Y.indptr + rng.integers(-2, 3, Y.indptr.shape).astype(
            Y.indptr.dtype
        ) * (rng.random() < 0.3)
        result = outcome(fuzzed_indices, fuzzed_indptr, d)
        fuzzed["row" if isinstance(result, int) else "error"] += 1
    return {name: outcome(*arguments) for name, arguments in cases.items()}, (
        row,
        fuzzed,
    )


@built
def test_the_duplicate_check_finds_a_column_twice_and_refuses_bad_structure():
    outcomes, (row, fuzzed) = in_child(_duplicate_row_cases)
    assert outcomes.pop("sorted") == outcomes.pop("unsorted") == -1
    assert outcomes.pop("doubled") == row
    for name, outcome in outcomes.items():
        assert isinstance(outcome, str), name
    for name in ("column too large", "pointer past data", "pointers out of order"):
        assert "is not valid" in outcomes[name], name
    assert fuzzed["row"] > 20 and fuzzed["error"] > 20, fuzzed
