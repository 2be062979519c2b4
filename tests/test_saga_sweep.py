"""The compiled per-sample SAGA sweep (``sklinear._saga_sweep``).

An epoch through the sweep with uniform sampling must take the steps of
``MinibatchSaga`` with batches of one row (dense and CSR, lazy updates
included), the solver must reach the independent optima with it, its
boundary must refuse what does not fit with a ValueError (cases that could
crash run in a fresh interpreter), and without it the solver must fall back
to NumPy minibatches.
"""

import functools
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from _reference_optimum import softmax_l2, softmax_saga
from child_process import in_child
from sklearn.datasets import load_iris, load_wine
from sklearn.preprocessing import StandardScaler
from solve_paths import assert_hooks_change_nothing

from sklinear import _build_status
from sklinear._build_status import KernelNotBuiltWarning
from sklinear._solvers import Certificate, _sample_saga, solve
from sklinear._solvers._saga import (
    MinibatchSaga,
    make_batches,
    make_saga,
    saga_batches,
)
from sklinear._solvers._sample_saga import SampleSaga
from sklinear.objective import LinearObjective
from sklinear.penalties import make_penalty

built = pytest.mark.skipif(
    _sample_saga._saga_sweep is None,
    reason="the C extension sklinear._saga_sweep was not built",
)


def _standardized(name):
    X, y = {"iris": load_iris, "wine": load_wine}[name](return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _sparse_data(dtype, n=240, d=30, n_classes=4, seed=0):
    """Sparse rows (8% nonzeros): columns go untouched for many steps."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.08, random_state=seed, format="csr") * 3
    y = rng.integers(0, n_classes, n)
    y[:n_classes] = np.arange(n_classes)
    return X.astype(dtype), y


def _one_epoch(saga, objective, W, b, order, eta, mu):
    W, b = W.astype(objective.dtype), b.astype(objective.dtype)
    saga.epoch(W, b, eta, order, mu)
    return W, b


CASES = {
    "l2": dict(penalty="l2", alpha=0.05),
    "l1": dict(penalty="l1", alpha=0.02),
    "elasticnet": dict(penalty="elasticnet", alpha=0.05),
    "strong-l2": dict(penalty="l2", alpha=3.0),  # the sparse scale is reset
    "max_norm": dict(penalty="l1", alpha=0.01, max_norm=0.4),
    "hinge": dict(penalty="elasticnet", alpha=0.05, loss="hinge", mu=0.5),
    "weights": dict(penalty="elasticnet", alpha=0.05, weights=True),
    "no-intercept": dict(penalty="l2", alpha=0.05, fit_intercept=False),
}


@built
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("layout", ["dense", "csr", "centered-csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_epoch_matches_numpy_batches_of_one_row(case, layout, dtype):
    spec = dict(loss="softmax", mu=0.0, max_norm=None, fit_intercept=True)
    spec.update(CASES[case])
    if layout == "dense":
        X, y = _standardized("iris")
        X = X.astype(dtype)
    else:
        X, y = _sparse_data(dtype)
    rng = np.random.default_rng(1)
    weights = rng.uniform(0, 2, len(y)) if spec.get("weights") else None
    objective = LinearObjective(
        X, y, loss=spec["loss"], sample_weight=weights,
        penalty=make_penalty(
            spec["penalty"], spec["alpha"], 0.5, max_norm=spec["max_norm"]
        ),
        fit_intercept=spec["fit_intercept"],
        center=layout != "csr" and spec["fit_intercept"],
    )  # fmt: skip
    C, d = objective.n_classes, X.shape[1]
    W = rng.standard_normal((C, d)) * 0.3
    b = rng.standard_normal(C) * 0.3 if spec["fit_intercept"] else np.zeros(C)
    mu = spec["mu"] if spec["loss"] == "hinge" else None
    snapshot = Certificate(objective)(W.astype(X.dtype), b.astype(X.dtype), mu=mu)
    reference = MinibatchSaga(objective, make_batches(X, len(y)))
    compiled = SampleSaga(objective, sampling="uniform")
    order = rng.permutation(len(y))
    centered_csr = layout == "centered-csr" and objective.offset is not None
    results = []
    for saga in (reference, compiled):
        saga.reset(snapshot.gradient, snapshot.weighted_sum)
        if centered_csr and saga is reference:
            # The sweep runs sparse data uncentered: its reference is SAGA
            # on the same objective without the offset, from the same b.
            saga.offset = np.zeros(d, dtype=X.dtype)
            b_start = b - W @ objective.offset
        else:
            b_start = b
        W_end, b_end = _one_epoch(saga, objective, W, b_start, order, 0.1, spec["mu"])
        if centered_csr and saga is reference:
            b_end = b_end + W_end @ objective.offset
        results.append((W_end, b_end, saga.sum_W, saga.memory))
    tolerance = 1e-4 if dtype == np.float32 else 1e-10
    for got, want in zip(results[1], results[0]):
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance)
    assert np.count_nonzero(results[1][0]) == np.count_nonzero(results[0][0]) or (
        dtype == np.float32
    )


@built
def test_curvature_sampling_visits_each_sample_in_proportion():
    X, y = _standardized("wine")
    objective = LinearObjective(X, y, loss="softmax", penalty=make_penalty("l2", 1e-2))
    saga = SampleSaga(objective)
    order = np.random.default_rng(0).permutation(len(y))
    samples = saga._samples(order)
    counts = np.bincount(samples, minlength=len(y))
    expected = len(y) / saga.scales  # n p_i
    assert len(samples) == len(y)
    assert np.all(np.abs(counts - expected) <= 1 + 1e-9)
    assert not np.all(saga.scales == len(y))  # not uniform on wine


@functools.lru_cache
def _reference(name, penalty, alpha, l1_ratio):
    X, y = _standardized(name)
    if penalty == "l2":
        return softmax_l2(X, y, alpha)
    return softmax_saga(X, y, alpha, l1_ratio)


OPTIMA = [
    ("iris", "l2", 5e-3),
    ("wine", "l2", 1e-3),
    ("wine", "l1", 5e-3),
    ("iris", "elasticnet", 5e-3),
]


@built
@pytest.mark.parametrize("name, penalty, alpha", OPTIMA)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_reaches_the_independent_optimum(name, penalty, alpha, sparse):
    X, y = _standardized(name)
    l1_ratio = 1.0 if penalty == "l1" else 0.15
    reference = _reference(name, penalty, alpha, l1_ratio)
    data = sp.csr_matrix(X) if sparse else X
    objective = LinearObjective(
        data, y, loss="softmax", center=True,
        penalty=make_penalty(penalty, alpha, l1_ratio),
    )  # fmt: skip
    W, b = objective.initial_weights(objective.n_classes)
    # Pure L1 is not strongly convex: a looser gap, as in test_solvers.
    tol = 3e-3 if penalty == "l1" else 1e-3
    result = solve(
        objective, W, b, method="saga", tol=tol, random_state=0, max_epochs=400
    )
    assert isinstance(make_saga(objective, len(y)), SampleSaga)
    assert result.converged
    assert result.n_steps == result.n_epochs * len(y)  # single-sample steps
    assert result.primal <= reference.value * 1.001
    assert result.primal - reference.value <= result.gap * result.primal + 1e-12
    if penalty != "l2":
        assert np.mean((result.W == 0) == (reference.W == 0)) >= 0.95


@pytest.mark.parametrize(
    "max_epochs, checked_at",
    [(5, [0, 5]), (6, [0, 3, 6]), (2, [0, 2])],
)
def test_no_check_leaves_fewer_epochs_than_a_check_is_worth(max_epochs, checked_at):
    # Checks come at least 3 epochs apart; one that would leave fewer of the
    # budget after it is skipped: its cost (about an epoch on large sparse
    # data) buys at most those few epochs.
    X, y = _standardized("wine")
    objective = LinearObjective(
        sp.csr_matrix(X), y, loss="softmax", penalty=make_penalty("l2", 1e-3)
    )
    W, b = objective.initial_weights(objective.n_classes)
    result = solve(
        objective, W, b, method="saga", tol=0.0, random_state=0,
        max_epochs=max_epochs,
    )  # fmt: skip
    assert result.n_epochs == max_epochs
    assert [check[0] for check in result.history] == checked_at


@built
@pytest.mark.parametrize("case", ["softmax", "hinge", "max_norm"])
def test_a_solve_without_hooks_takes_the_steps_of_one_with_hooks(case):
    # Without hooks the epochs between two checks run in one call on dense
    # float64 rows; a hook after every epoch keeps one call per epoch.
    X, y = _standardized("wine")
    penalty = make_penalty("l1" if case == "max_norm" else "l2", 1e-2,
                           max_norm=0.5 if case == "max_norm" else None)  # fmt: skip
    loss = "hinge" if case == "hinge" else "softmax"

    def make_objective():
        return LinearObjective(X, y, loss=loss, penalty=penalty)

    assert SampleSaga(make_objective()).chains_epochs
    assert_hooks_change_nothing(
        make_objective, 3, method="saga", tol=1e-9, max_epochs=60
    )
    sparse = LinearObjective(sp.csr_matrix(X), y, loss=loss, penalty=penalty)
    assert not SampleSaga(sparse).chains_epochs  # its lazy steps would differ


@built
def test_auto_batches_are_single_samples_where_the_sweep_pays():
    X, y = _sparse_data(np.float64, n=600)
    for data in (X, X.toarray()):
        objective = LinearObjective(
            data, y, loss="softmax", penalty=make_penalty("l2", 1e-2)
        )
        assert saga_batches(objective, 8) == 600  # few steps an epoch
        assert saga_batches(objective, 8, batch_size=75) == 8  # as asked
        # Many minibatches an epoch already: dense data keeps minibatches,
        # larger ones (at least 64 steps an epoch here: 600 rows < 64 * 64).
        expected = 600 if sp.issparse(data) else 64
        assert saga_batches(objective, 300) == expected
        assert saga_batches(objective, 1) == 1  # tiny data: full batch
    # Large dense data: batches of 64 rows, not auto's 16 (2,500 a pass).
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40_000, 3)), rng.integers(0, 3, 40_000)
    objective = LinearObjective(X, y, loss="softmax", penalty=make_penalty("l2", 1))
    assert saga_batches(objective, 2_500) == 40_000 // 64


# -- the boundary ------------------------------------------------------------


def _arguments(sparse=False, n=20, d=6, C=3, seed=0):
    """Valid arguments of ``_saga_sweep.epoch``, as a dict."""
    rng = np.random.default_rng(seed)
    order = "F" if sparse else "C"  # CSR epochs take column-major weights
    X = rng.standard_normal((n, d))
    X[rng.random((n, d)) < 0.5] = 0
    arguments = dict(X=X, indices=None, indptr=None)
    if sparse:
        matrix = sp.csr_matrix(X)
        arguments.update(X=matrix.data, indices=matrix.indices, indptr=matrix.indptr)
    arguments.update(
        y=rng.integers(0, C, n), factors=np.full(n, 1.0 / max(n, 1)),
        scales=np.full(n, float(n)), order=rng.permutation(n),
        offset=None if sparse else X.mean(axis=0) if n else np.zeros(d),
        W=np.zeros((C, d), order=order), b=np.zeros(C), memory=np.zeros((n, C)),
        sum_W=np.zeros((C, d), order=order), sum_b=np.zeros(C),
        loss=1, eta=0.1, margin=1.0, mu=0.0, l1=0.01, l2=0.01, max_norm=0.0,
        fit_intercept=True,
    )  # fmt: skip
    return arguments


def _call(arguments):
    from sklinear import _saga_sweep

    return _saga_sweep.epoch(*arguments.values())


def _outcome(arguments):
    """'ok', or the ValueError's message; anything else propagates."""
    try:
        _call(arguments)
    except ValueError as error:
        return str(error)
    return "ok"


def _past_data(indptr):
    indptr = indptr.copy()
    indptr[-1] += 1
    return indptr


def _bad_cases():
    base = _arguments()
    sparse = _arguments(sparse=True)
    shared = np.zeros((3, 6))
    cases = {
        "valid dense": {},
        "valid csr": dict(sparse),
        "label too large": dict(y=np.full(20, 3)),
        "negative label": dict(y=np.full(20, -1)),
        "order out of range": dict(order=np.arange(1, 21)),
        "negative order": dict(order=-np.ones(20, dtype=np.int64)),
        "float labels": dict(y=np.zeros(20)),
        "W float32": dict(W=np.zeros((3, 6), np.float32)),
        "W not contiguous": dict(W=np.zeros((6, 3)).T),
        "W read-only": dict(W=np.zeros((3, 6)).view()),
        "W wrong width": dict(W=np.zeros((3, 5))),
        "memory wrong shape": dict(memory=np.zeros((19, 3))),
        "sum_W aliases W": dict(W=shared, sum_W=shared),
        "b inside memory": dict(b=base["memory"][0]),
        "X int": dict(X=np.zeros((20, 6), np.int64)),
        "X big-endian": dict(X=base["X"].astype(">f8")),
        "X columns strided": dict(X=np.zeros((20, 12))[:, ::2]),
        "X wrong rows": dict(X=np.zeros((21, 6))),
        "scale zero": dict(scales=np.zeros(20)),
        "eta nan": dict(eta=float("nan")),
        "negative l1": dict(l1=-1.0),
        "loss 2": dict(loss=2),
        "indices only": dict(indices=sparse["indices"]),
        "csr column too large": {**sparse, "indices": sparse["indices"] + 6},
        "csr negative column": {**sparse, "indices": sparse["indices"] - 100},
        "csr pointer past data": {**sparse, "indptr": _past_data(sparse["indptr"])},
        "csr pointers out of order": {
            **sparse,
            "indptr": sparse["indptr"][::-1].copy(),
        },
        "csr duplicate column": {**sparse, "indices": np.zeros_like(sparse["indices"])},
        "csr with offset": {**sparse, "offset": np.zeros(6)},
        "csr W row-major": {**sparse, "W": np.zeros((3, 6))},
        "csr float indices": {**sparse, "indices": sparse["indices"].astype(float)},
    }
    cases["W read-only"]["W"].flags.writeable = False
    outcomes = {}
    for name, change in cases.items():
        outcomes[name] = _outcome({**base, **change})
    return outcomes


def _boundary_in_child():
    return _bad_cases(), _fuzz(0)


@built
def test_bad_and_fuzzed_arguments_raise_value_error():
    # One fresh interpreter for both (starting one costs seconds).
    outcomes, counts = in_child(_boundary_in_child)
    assert outcomes.pop("valid dense") == "ok"
    assert outcomes.pop("valid csr") == "ok"
    for name, outcome in outcomes.items():
        assert outcome != "ok", name
    # The fuzz: every call raised ValueError or left finite weights.
    assert counts["ok"] > 10 and counts["error"] > 10, counts


def _fuzz(seed, n_cases=150):
    """Random shapes, dtypes, strides, labels and CSR arrays: every call
    either raises ValueError or leaves finite state of the right shape."""
    rng = np.random.default_rng(seed)
    counts = {"ok": 0, "error": 0}
    for _ in range(n_cases):
        n, d, C = (int(v) for v in rng.integers(0, 6, 3))
        arguments = _arguments(sparse=bool(rng.integers(2)), n=n, d=d, C=max(C, 1))
        for key in ("y", "order", "indices", "indptr"):
            if arguments[key] is not None and rng.random() < 0.2:
                noise = rng.integers(-3, 4, arguments[key].shape)
                arguments[key] = arguments[key] + noise.astype(arguments[key].dtype)
        if rng.random() < 0.2:
            arguments["X"] = arguments["X"].astype(rng.choice(["f4", "f8", "i4"]))
        if rng.random() < 0.1:
            key = rng.choice(["W", "b", "memory", "sum_W", "sum_b", "factors"])
            arguments[key] = np.zeros(rng.integers(0, 4, arguments[key].ndim))
        outcome = _outcome(arguments)
        counts["ok" if outcome == "ok" else "error"] += 1
        if outcome == "ok":
            assert np.isfinite(arguments["W"]).all()
    return counts


# -- without the sweep -------------------------------------------------------


@pytest.mark.parametrize(
    "attribute, value", [("enabled", False), ("_saga_sweep", None)],
    ids=["switched-off", "not-built"],
)  # fmt: skip
def test_without_the_sweep_the_solver_takes_numpy_minibatches(
    monkeypatch, attribute, value
):
    monkeypatch.setattr(_sample_saga, attribute, value)
    X, y = _standardized("iris")
    objective = LinearObjective(
        X, y, loss="softmax", penalty=make_penalty("l2", 5e-3), center=True
    )
    assert isinstance(make_saga(objective, len(y)), MinibatchSaga)
    W, b = objective.initial_weights(3)
    result = solve(objective, W, b, tol=1e-3, random_state=0)
    assert result.converged
    assert result.n_steps < result.n_epochs * len(y)  # minibatches


def test_blocked_extension_is_reported_and_warned(monkeypatch, tmp_path):
    # As tests block sklinear._fused: the import fails, no build record.
    monkeypatch.setitem(sys.modules, "sklinear._saga_sweep", None)
    monkeypatch.setattr(_build_status, "SWEEP_RECORD", tmp_path / "absent.json")
    built, reason = _build_status.sweep_status()
    assert not built
    assert "sklinear._saga_sweep" in reason
    with pytest.warns(KernelNotBuiltWarning, match="compiled SAGA sweep"):
        _build_status.warn_if_kernel_missing()


def test_setup_records_the_sweep_apart_from_the_kernel(setup_script):
    assert setup_script.record_name("sklinear._fused") == setup_script.BUILD_RECORD
    name = setup_script.record_name("sklinear._saga_sweep")
    assert name != setup_script.BUILD_RECORD
    from sklinear._build_status import SWEEP_RECORD

    assert SWEEP_RECORD.name == name  # writer and reader agree
