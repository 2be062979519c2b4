"""The compiled fused pass (sklinear/_fused.c) against the NumPy and BLAS path,
and its threads. The checks of its boundary are in test_kernel_boundary.py."""

import multiprocessing
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from threadpoolctl import threadpool_info, threadpool_limits

import sklinear._fused_pass as fused_pass
from sklinear import LinearSVMClassifier, SoftmaxClassifier
from sklinear._fused_pass import fused_loss_gradient
from sklinear.losses import _hinge, _softmax
from sklinear.objective import LinearObjective

_fused = fused_pass._fused

pytestmark = pytest.mark.skipif(
    not fused_pass.fused_available(),
    reason="the C extension sklinear._fused was not built",
)

TOLERANCE = {np.float32: 2e-5, np.float64: 1e-12}


def _reference(X, y, W, shift, factors, loss, margin):
    scores = X @ W.T + shift
    if loss == "hinge":
        value, dscores = _hinge(scores, y, factors, margin)
    else:
        value, dscores = _softmax(scores, y, factors)
    return value, dscores.T @ X, dscores.sum(axis=0)


def _problem(n_rows, n_features, n_classes, dtype, seed=0, row_step=3):
    rng = np.random.default_rng(seed)
    # Every third row of a larger array: a strided view, as in training.
    X = rng.standard_normal((row_step * n_rows, n_features)).astype(dtype)
    X = X[row_step - 1 :: row_step]
    y = rng.integers(0, n_classes, n_rows)
    W = rng.standard_normal((n_classes, n_features)).astype(dtype)
    shift = rng.standard_normal(n_classes).astype(dtype)
    factors = (rng.random(n_rows) / n_rows).astype(dtype)
    return X, y, W, shift, factors


def _assert_close(result, expected, dtype):
    tolerance = TOLERANCE[dtype]
    value, grad_W, grad_b = result
    assert grad_W.dtype == dtype and grad_b.dtype == dtype
    assert value == pytest.approx(expected[0], rel=tolerance, abs=tolerance)
    for got, want in zip(result[1:], expected[1:]):
        scale = max(1.0, np.abs(want).max())
        np.testing.assert_allclose(got, want, rtol=0, atol=tolerance * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", ["hinge", "softmax"])
@pytest.mark.parametrize(
    "n_rows, n_features, n_classes",
    [
        (1, 1, 2),  # one padded quad
        (5, 7, 3),  # features not a multiple of the vector width
        (37, 300, 10),  # a partial group of rows; 3 + 3 + 2 + 2 classes
        (64, 17, 1),
        (50, 40, 4),  # 2 + 2 classes
        (200, 8, 5),  # 3 + 2 classes
        (30, 5000, 6),  # rows longer than one 16 KB tile
        (9, 2048, 3),  # float64: one tile exactly (scores in registers)
        (9, 2049, 3),  # float64: just past one tile (scores through memory)
        (100, 33, 64),  # the most classes the kernel takes
        (3000, 128, 10),  # enough work for several threads
    ],
)
def test_fused_pass_matches_numpy(n_rows, n_features, n_classes, loss, dtype):
    X, y, W, shift, factors = _problem(n_rows, n_features, n_classes, dtype)
    result = fused_loss_gradient(X, y, W, shift, factors, loss, 0.7)
    expected = _reference(X, y, W, shift, factors, loss, 0.7)
    _assert_close(result, expected, dtype)


@pytest.mark.parametrize("loss", ["hinge", "softmax"])
def test_zero_weights_and_extreme_scores(loss):
    X, y, W, shift, factors = _problem(41, 20, 5, np.float64)
    factors[::2] = 0  # dropped samples
    W *= 200  # softmax probabilities far below the smallest normal number
    result = fused_loss_gradient(X, y, W, shift, factors, loss, 1.0)
    expected = _reference(X, y, W, shift, factors, loss, 1.0)
    _assert_close(result, expected, np.float64)
    assert np.all(np.isfinite(result[1]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_probabilities_are_accurate_to_a_few_ulps(dtype):
    # The kernel's own vectorized exp over the whole range it is given,
    # shifted scores in [log(smallest normal), 0]: with one row of zero
    # features, the scores are the shift and grad_b = factor * (p - e_y).
    # (Its floor at the smallest normal number's log, as in the NumPy path,
    # is left out of the range: exp is below it there.)
    eps = float(np.finfo(dtype).eps)
    lowest = np.log(np.finfo(dtype).tiny) * (1 - 8 * eps)
    rng = np.random.default_rng(0)
    X, W = np.zeros((1, 1), dtype), np.zeros((64, 1), dtype)
    for n_classes in (1, 2, 7, 8, 10, 64):
        for _ in range(20):
            scores = rng.uniform(lowest, 0, n_classes)
            scores[rng.integers(n_classes)] = 0  # the largest: exp(0) = 1
            scores = scores.astype(dtype)
            y = rng.integers(0, n_classes, 1)
            value, _, grad_b = fused_loss_gradient(
                X, y, W[:n_classes], scores, np.ones(1, dtype), "softmax", 1.0
            )
            exact = np.exp(scores.astype(np.float64))
            exact /= exact.sum()
            # Off the label grad_b is p itself, to the last digits down to
            # the smallest normal number; on it p - 1.
            off = np.arange(n_classes) != y[0]
            normal = off & (exact > np.finfo(dtype).tiny / eps)
            np.testing.assert_allclose(grad_b[normal], exact[normal], rtol=8 * eps)
            assert grad_b[y[0]] == pytest.approx(exact[y[0]] - 1, abs=8 * eps)
            loss = -np.log(exact[y[0]])
            assert value == pytest.approx(loss, rel=8 * eps, abs=8 * eps)


def test_non_finite_scores_give_a_non_finite_loss():
    # The optimizer's divergence check relies on it.
    X, y, W, shift, factors = _problem(16, 10, 3, np.float64)
    W[0, 0] = np.inf
    value, _, _ = fused_loss_gradient(X, y, W, shift, factors, "softmax", 1.0)
    assert not np.isfinite(value)


def _results_by_thread_count(thread_counts, *problem):
    results = {}
    for n_threads in thread_counts:
        with threadpool_limits(n_threads):
            results[n_threads] = fused_loss_gradient(*problem)
            results[n_threads] += (_fused.last_num_threads(),)
    return results


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", ["hinge", "softmax"])
@pytest.mark.parametrize("n_rows", [12000, 12011])  # 12011: a partial group
def test_thread_counts_give_bit_identical_results(n_rows, loss, dtype):
    X, y, W, shift, factors = _problem(n_rows, 300, 10, dtype, row_step=1)
    results = _results_by_thread_count((1, 2, 3, 8), X, y, W, shift, factors, loss, 0.7)
    with threadpool_limits(8):
        assert _fused.plan(n_rows, 300, 10, X.itemsize)[2] == 8  # enough work
    for n_threads in (2, 3, 8):
        value, grad_W, grad_b, used = results[n_threads]
        assert used == n_threads
        assert value == results[1][0]
        np.testing.assert_array_equal(grad_W, results[1][1])
        np.testing.assert_array_equal(grad_b, results[1][2])
    expected = _reference(X, y, W, shift, factors, loss, 0.7)
    _assert_close(results[1][:3], expected, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", ["hinge", "softmax"])
@pytest.mark.parametrize(
    "n_rows, n_features, n_classes",
    [
        (32, 3072, 40),
        (120, 2000, 10),
        (37, 3001, 40),  # a partial group; features not a multiple of 8
    ],
)
def test_threads_sharing_each_block_give_the_same_bits(
    n_rows, n_features, n_classes, loss, dtype
):
    # One block (few rows) with work for more than one thread: the threads
    # share its rows, then its features (split mode), and must add in the
    # same order as one thread.
    X, y, W, shift, factors = _problem(n_rows, n_features, n_classes, dtype)
    with threadpool_limits(1):
        assert not _fused.plan(n_rows, n_features, n_classes, X.itemsize)[3]
    with threadpool_limits(8):
        plan = _fused.plan(n_rows, n_features, n_classes, X.itemsize)
        assert plan[3] and plan[2] > 1  # split mode, more than one thread
    results = _results_by_thread_count((1, 2, 3, 8), X, y, W, shift, factors, loss, 0.7)
    for n_threads in (2, 3, 8):
        value, grad_W, grad_b, used = results[n_threads]
        assert used == min(n_threads, plan[2])
        assert value == results[1][0]
        np.testing.assert_array_equal(grad_W, results[1][1])
        np.testing.assert_array_equal(grad_b, results[1][2])
    expected = _reference(X, y, W, shift, factors, loss, 0.7)
    _assert_close(results[2][:3], expected, dtype)


def _ten_classes(n_samples, n_features, n_informative, offset=0.0, scale=1.0):
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=n_samples, n_features=n_features, n_informative=n_informative,
        n_classes=10, random_state=0,
    )  # fmt: skip
    return (X * scale + offset).astype(np.float32), y


def _assert_same_models(models):
    for model in models[1:]:
        np.testing.assert_array_equal(model.coef_, models[0].coef_)
        np.testing.assert_array_equal(model.intercept_, models[0].intercept_)


@pytest.mark.parametrize(
    "n_samples, n_features, batch_size, split",
    [(8192, 1200, 2048, False), (2048, 3000, 128, True)],
)
@pytest.mark.parametrize("Estimator", [LinearSVMClassifier, SoftmaxClassifier])
def test_fitted_models_do_not_depend_on_the_kernel_thread_count(
    Estimator, n_samples, n_features, batch_size, split
):
    X, y = _ten_classes(n_samples, n_features, n_informative=40)
    # The kernel runs SGD's steps (the certified solvers' are NumPy's).
    params = dict(max_iter=3, tol=None, random_state=0, batch_size=batch_size)
    params["solver"] = "sgd"
    with threadpool_limits(3):  # 3 threads take whole blocks or share one
        plan = _fused.plan(batch_size, n_features, 10, 4)
        assert plan[2:] == (3, split)
    models = []
    for n_threads in (1, 2, 3):
        with threadpool_limits(n_threads, user_api="sklinear"):
            models.append(Estimator(**params).fit(X, y))
        assert _fused.last_num_threads() == n_threads  # the kernel ran
    _assert_same_models(models)


def test_saga_models_do_not_depend_on_the_kernel_thread_count():
    # Minibatch SAGA's steps go through the kernel too (with the memory).
    X, y = _ten_classes(4096, 1200, n_informative=40)
    params = dict(solver="saga", batch_size=256, max_iter=3, tol=None, random_state=0)
    with threadpool_limits(3):
        most = _fused.plan(256, 1200, 10, 4)[2]
    assert most >= 2
    models = []
    for n_threads in (1, 2, 3):
        with threadpool_limits(n_threads, user_api="sklinear"):
            models.append(SoftmaxClassifier(**params).fit(X, y))
        assert _fused.last_num_threads() == min(n_threads, most)  # the kernel ran
    _assert_same_models(models)


def test_lbfgs_models_do_not_depend_on_the_kernel_thread_count():
    # L-BFGS's full-batch gradients go through the kernel where it is the
    # faster: its fixed blocks make them, and so the iterates, the same.
    X, y = _ten_classes(4096, 1200, n_informative=40)
    params = dict(solver="lbfgs", max_iter=5, tol=None, random_state=0)
    models = []
    for n_threads in (1, 2, 3):
        with threadpool_limits(n_threads, user_api="sklinear"):
            models.append(SoftmaxClassifier(**params).fit(X, y))
        assert _fused.last_num_threads() == n_threads  # the kernel ran
    assert all(model.solver_ == "lbfgs" for model in models)
    _assert_same_models(models)


@pytest.mark.parametrize("Estimator", [LinearSVMClassifier, SoftmaxClassifier])
def test_fitted_models_do_not_depend_on_the_blas_thread_count(Estimator):
    # The data's mean row, preconditioner and curvature are computed on one
    # BLAS thread whatever the limit: with two, OpenBLAS splits these
    # products differently, and on this shape the coefficients differed.
    X, y = _ten_classes(6000, 400, n_informative=50, offset=100.0, scale=30.0)
    models = []
    for n_blas_threads in (1, 2):
        with threadpool_limits(n_blas_threads, user_api="blas"):
            models.append(Estimator(max_iter=3, tol=None, random_state=0).fit(X, y))
    _assert_same_models(models)


def test_threadpool_limits_limit_the_kernel():
    X, y, W, shift, factors = _problem(12000, 300, 10, np.float32, row_step=1)
    previous = _fused.set_num_threads(3)
    try:
        assert _fused.plan(12000, 300, 10, 4)[2] == 3
        with threadpool_limits(1):
            assert _fused.get_num_threads() == 1
            fused_loss_gradient(X, y, W, shift, factors, "softmax", 1.0)
            assert _fused.last_num_threads() == 1
        with threadpool_limits(limits=2, user_api="sklinear"):
            fused_loss_gradient(X, y, W, shift, factors, "softmax", 1.0)
            assert _fused.last_num_threads() == 2
        assert _fused.get_num_threads() == 3  # restored on exit
        fused_loss_gradient(X, y, W, shift, factors, "softmax", 1.0)
        assert _fused.last_num_threads() == 3
    finally:
        _fused.set_num_threads(previous)


@pytest.mark.parametrize(
    "n_rows, n_features, n_classes, most",
    # 64 rows: one block, shared by threads (split mode), with work for 4
    [(100, 20, 3, 1), (64, 1000, 40, 4), (12000, 300, 10, 8)],
)
def test_no_more_threads_than_the_work_justifies(n_rows, n_features, n_classes, most):
    X, y, W, shift, factors = _problem(
        n_rows, n_features, n_classes, np.float64, row_step=1
    )
    with threadpool_limits(8):
        fused_loss_gradient(X, y, W, shift, factors, "hinge", 1.0)
        assert _fused.last_num_threads() == most


def test_threadpool_info_lists_the_kernel():
    entries = [
        info for info in threadpool_info() if info["internal_api"] == "sklinear_fused"
    ]
    assert len(entries) == 1
    assert entries[0]["user_api"] == "sklinear"
    assert os.path.samefile(entries[0]["filepath"], _fused.__file__)
    assert entries[0]["num_threads"] == _fused.get_num_threads()


def _default_limit_in_child(omp_num_threads):
    env = dict(os.environ, OMP_NUM_THREADS=omp_num_threads)
    code = "from sklinear import _fused; print(_fused.get_num_threads())"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return int(out.stdout)


def test_omp_num_threads_sets_the_default_limit():
    n_cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    assert _default_limit_in_child("1") == 1
    if n_cpus:
        assert _default_limit_in_child("not a number") == n_cpus
        assert _default_limit_in_child(str(n_cpus + 5)) == n_cpus


@pytest.mark.parametrize(
    "make_input",
    [
        lambda X: sp.csr_matrix(X),
        lambda X: X.astype(np.float16),
        lambda X: X[:, ::2],  # columns not contiguous
        lambda X: X.astype(X.dtype.newbyteorder()),
    ],
    ids=["sparse", "float16", "column-strided", "byteswapped"],
)
def test_inputs_it_does_not_take_fall_back(make_input):
    X, y, W, shift, factors = _problem(10, 6, 3, np.float64)
    X = make_input(np.ascontiguousarray(X))
    assert (
        fused_loss_gradient(X, y, W[:, : X.shape[1]], shift, factors, "hinge", 1)
        is None
    )


@pytest.mark.parametrize(
    "rows", [slice(None, None, -1), slice(None, None, -3), slice(0)]
)
def test_reversed_rows_and_empty_batches(rows):
    X, y, W, shift, factors = _problem(30, 6, 3, np.float64)
    X, y, factors = X[rows], y[rows], factors[rows]
    result = fused_loss_gradient(X, y, W, shift, factors, "softmax", 1.0)
    _assert_close(
        result, _reference(X, y, W, shift, factors, "softmax", 1.0), np.float64
    )


@pytest.mark.parametrize("bad_label", [-1, 3, 2**40])
def test_labels_out_of_range_raise(bad_label):
    X, y, W, shift, factors = _problem(10, 6, 3, np.float64)
    y[4] = bad_label
    with pytest.raises(ValueError, match=r"y\[4\] = .* not a class index"):
        fused_loss_gradient(X, y, W, shift, factors, "hinge", 1.0)


def test_more_classes_than_the_kernel_takes_fall_back():
    X, y, W, shift, factors = _problem(10, 6, fused_pass.MAX_CLASSES + 1, np.float64)
    assert fused_loss_gradient(X, y, W, shift, factors, "hinge", 1.0) is None


@pytest.mark.parametrize("loss", ["hinge", "softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_classes", [1, 2, 5])
def test_nan_in_X_gives_a_nan_loss_on_both_paths(monkeypatch, n_classes, dtype, loss):
    X, y, W, _, _ = _problem(40, 7, n_classes, dtype)
    X[13, 2] = np.nan
    objective = LinearObjective(X, y % n_classes, loss)
    b = np.zeros(n_classes, dtype=dtype)
    fused_value = fused_loss_gradient(
        X, y % n_classes, W, b, np.full(40, 1 / 40, dtype), loss, 1.0
    )[0]
    monkeypatch.setattr(fused_pass, "enabled", False)
    numpy_value = objective.loss_gradient(W, b)[0]
    assert np.isnan(fused_value)
    assert np.isnan(numpy_value)


@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_objective_gradient_is_the_same_either_way(monkeypatch, center, fit_intercept):
    X, y, W, _, _ = _problem(300, 25, 4, np.float64)
    X = X + 5.0  # far from zero, so that centering matters
    weights = np.random.default_rng(1).random(300)
    objective = LinearObjective(
        X, y, "softmax", sample_weight=weights, fit_intercept=fit_intercept,
        center=center,
    )  # fmt: skip
    b = np.arange(4.0)
    rows = slice(2, None, 3)
    fused = objective.loss_gradient(W, b, rows)
    monkeypatch.setattr(fused_pass, "enabled", False)
    _assert_close(fused, objective.loss_gradient(W, b, rows), np.float64)


@pytest.mark.parametrize("faster", [False, True])
def test_the_objective_follows_the_dispatch_rule(monkeypatch, faster):
    X, y, W, _, _ = _problem(300, 25, 4, np.float64)
    objective = LinearObjective(X, y, "softmax")
    asked = []

    def kernel_is_faster(*shape):
        asked.append(shape)
        return faster

    monkeypatch.setattr(fused_pass, "kernel_is_faster", kernel_is_faster)
    factors = np.full(300, 1 / 300)
    result = objective._fused(X, slice(None), W, 0, factors, 1.0)
    assert asked == [(300, 25, 4, np.dtype(np.float64))]
    assert (result is not None) == faster


@pytest.mark.parametrize("Estimator", [LinearSVMClassifier, SoftmaxClassifier])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_estimators_train_the_same_either_way(monkeypatch, Estimator, dtype):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X.astype(dtype)
    params = dict(max_iter=3, tol=None, random_state=0)
    fused = Estimator(**params).fit(X, y)
    monkeypatch.setattr(fused_pass, "enabled", False)
    blas = Estimator(**params).fit(X, y)
    assert fused.coef_.dtype == dtype
    scale = np.abs(blas.coef_).max()
    np.testing.assert_allclose(fused.coef_, blas.coef_, atol=1e-3 * scale)
    assert np.mean(fused.predict(X) == blas.predict(X)) > 0.99


def _fused_loss_in_child(_):
    X, y, W, shift, factors = _problem(3000, 300, 10, np.float32)
    with threadpool_limits(2):  # the kernel's pool of helpers, in the child too
        value = fused_loss_gradient(X, y, W, shift, factors, "softmax", 1.0)[0]
        return value, _fused.last_num_threads()


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="no fork()"
)
def test_forked_children_can_use_it_after_the_parent():
    # The parent's helper threads do not exist in a forked child: a pool that
    # did not start afresh there (as an OpenMP runtime's may not) would hang.
    in_parent = _fused_loss_in_child(None)
    assert in_parent[1] == 2  # the parent's call woke a helper
    with multiprocessing.get_context("fork").Pool(2) as pool:
        result = pool.map_async(_fused_loss_in_child, range(2))
        assert result.get(timeout=60) == [in_parent, in_parent]


def test_concurrent_callers_get_the_results_of_one_caller():
    # One call at a time has the helpers; the others run on their own thread.
    from concurrent.futures import ThreadPoolExecutor

    problems = [_problem(3000, 300, 10, np.float32, seed=seed) for seed in range(4)]
    with threadpool_limits(2):
        alone = [fused_loss_gradient(*p, "softmax", 1.0) for p in problems]
        with ThreadPoolExecutor(4) as executor:
            together = list(
                executor.map(lambda p: fused_loss_gradient(*p, "softmax", 1.0),
                             problems * 3)
            )  # fmt: skip
    for got, want in zip(together, alone * 3):
        assert got[0] == want[0]
        np.testing.assert_array_equal(got[1], want[1])
        np.testing.assert_array_equal(got[2], want[2])


@pytest.mark.parametrize("n_rows", [100, 256, 300, 666, 2048, 12011])
def test_row_blocks_are_even_in_number_and_about_equal(n_rows):
    # Two threads then end together (a shape-only rule: any thread count
    # gives the same blocks, so the same sums).
    block_rows, n_blocks, _, _ = _fused.plan(n_rows, 3072, 24, 4)
    assert n_blocks == 1 or n_blocks % 2 == 0
    assert (n_blocks - 1) * block_rows < n_rows <= n_blocks * block_rows


def _with_memory(n_threads, X, y, W, shift, factors, loss, memory):
    """The pass with SAGA's memory under ``n_threads``: its result and the
    memory afterwards (a copy of ``memory`` is updated)."""
    memory = memory.copy()
    grad_W = np.empty(W.shape, X.dtype)
    grad_b = np.empty(W.shape[0], X.dtype)
    kind = _fused.HINGE if loss == "hinge" else _fused.SOFTMAX
    with threadpool_limits(n_threads, user_api="sklinear"):
        value = _fused.loss_gradient(
            X, y, W, shift, factors, grad_W, grad_b, kind, 0.7, memory
        )
    return value, grad_W, grad_b, memory


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", ["hinge", "softmax"])
@pytest.mark.parametrize(
    "n_rows, n_features, n_classes",
    [(12011, 300, 10), (120, 2000, 10), (37, 3001, 40), (5, 3, 2), (9, 4, 1)],
)
def test_saga_memory_swaps_in_the_new_dscores(
    n_rows, n_features, n_classes, loss, dtype
):
    # With SAGA's memory M, the gradients are those of dscores - M, and M
    # becomes the dscores; in blocks, in split mode and on one thread, the
    # same bits for any thread count.
    X, y, W, shift, factors = _problem(n_rows, n_features, n_classes, dtype)
    rng = np.random.default_rng(1)
    memory = (rng.standard_normal((n_rows, n_classes)) / n_rows).astype(dtype)
    memory -= memory.mean(axis=1, keepdims=True)  # rows sum to 0, as dscores do
    value, grad_W, grad_b, swapped = _with_memory(
        1, X, y, W, shift, factors, loss, memory
    )
    scores = X.astype(np.float64) @ W.T.astype(np.float64) + shift
    weights = factors.astype(np.float64)
    if loss == "hinge":
        expected_value, dscores = _hinge(scores, y, weights, 0.7)
    else:
        expected_value, dscores = _softmax(scores, y, weights)
    delta = dscores - memory
    expected = (expected_value, delta.T @ X.astype(np.float64), delta.sum(axis=0))
    _assert_close((value, grad_W, grad_b), expected, dtype)
    scale = TOLERANCE[dtype] * max(1.0, np.abs(dscores).max())
    np.testing.assert_allclose(swapped, dscores, rtol=0, atol=scale)
    for n_threads in (2, 3, 8):
        again = _with_memory(n_threads, X, y, W, shift, factors, loss, memory)
        assert again[0] == value
        for got, want in zip(again[1:], (grad_W, grad_b, swapped)):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_saga_epochs_are_the_same_either_way(monkeypatch, center, dtype):
    # Minibatch SAGA's steps through the compiled pass (which swaps each
    # batch's memory) and through NumPy: the same steps, to rounding.
    from sklinear._solvers._saga import make_saga
    from sklinear._solvers._snapshot import Certificate
    from sklinear.penalties import make_penalty

    X, y, _, _, _ = _problem(600, 40, 5, dtype, row_step=1)
    weights = np.random.default_rng(2).random(600)
    objective = LinearObjective(
        X + 2, y, "softmax", sample_weight=weights, center=center,
        penalty=make_penalty("l2", 1e-3),
    )  # fmt: skip
    calls = []
    original = fused_pass.FusedPass.__call__

    def counted(self, *args, memory=None, **kwargs):
        result = original(self, *args, memory=memory, **kwargs)
        calls.append(memory is not None and result is not None)
        return result

    monkeypatch.setattr(fused_pass.FusedPass, "__call__", counted)
    results = []
    for enabled in (True, False):
        monkeypatch.setattr(fused_pass, "enabled", enabled)
        W, b = objective.initial_weights(5)
        saga = make_saga(objective, 5)
        snapshot = Certificate(objective)(W, b)
        saga.reset(snapshot.gradient, snapshot.weighted_sum)
        order = np.random.default_rng(0).permutation(5)
        for _ in range(3):
            assert saga.epoch(W, b, 0.5, order)
        results.append((W, b, saga.memory, saga.sum_W))
    assert calls[:15] == [True] * 15 and not any(calls[15:])
    tolerance = 1e-4 if dtype == np.float32 else 1e-10
    for kernel, numpy in zip(*results):
        scale = max(1.0, np.abs(numpy).max())
        np.testing.assert_allclose(kernel, numpy, rtol=0, atol=tolerance * scale)


@pytest.mark.parametrize("weighted", [False, True])
def test_batches_of_any_rows_and_the_full_batch_agree(weighted):
    # A batch given as an index array or a slice weighs its rows the same;
    # the full batch's factors, made once and kept read-only, stay the same
    # after other batches (and no caller can write into them).
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 5)), np.arange(40) % 3
    weights = rng.uniform(0.5, 2.0, 40) if weighted else None
    objective = LinearObjective(X, y, "softmax", sample_weight=weights)
    W, b = 0.1 * rng.standard_normal((3, 5)), rng.standard_normal(3)
    full = objective.loss_gradient(W, b)
    picked = objective.loss_gradient(W, b, rows=np.arange(0, 40, 4))
    sliced = objective.loss_gradient(W, b, rows=slice(0, 40, 4))
    for a, c in zip(picked, sliced, strict=True):
        np.testing.assert_allclose(a, c, rtol=1e-13)
    again = objective.loss_gradient(W, b)
    for a, c in zip(full, again, strict=True):
        np.testing.assert_array_equal(a, c)
    factors = objective._factors(slice(None), 40)
    assert not factors.flags.writeable
