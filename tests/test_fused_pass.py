"""The compiled fused pass (sklinear/_fused.c) against the NumPy and BLAS path."""

import multiprocessing

import numpy as np
import pytest
import scipy.sparse as sp

import sklinear._fused_pass as fused_pass
from sklinear import LinearSVMClassifier, SoftmaxClassifier
from sklinear._fused_pass import available_threads, fused_loss_gradient
from sklinear.losses import _hinge, _softmax
from sklinear.objective import LinearObjective

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
    X = X[1::row_step]
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


def test_non_finite_scores_give_a_non_finite_loss():
    # The optimizer's divergence check relies on it.
    X, y, W, shift, factors = _problem(16, 10, 3, np.float64)
    W[0, 0] = np.inf
    value, _, _ = fused_loss_gradient(X, y, W, shift, factors, "softmax", 1.0)
    assert not np.isfinite(value)


def test_thread_counts_agree_and_each_is_reproducible(monkeypatch):
    X, y, W, shift, factors = _problem(4000, 200, 10, np.float32)
    results = {}
    for n_threads in (1, 2, 3):
        monkeypatch.setattr(fused_pass, "available_threads", lambda n=n_threads: n)
        monkeypatch.setattr(fused_pass, "_MIN_WORK_PER_THREAD", 1)
        first = fused_loss_gradient(X, y, W, shift, factors, "softmax", 1.0)
        again = fused_loss_gradient(X, y, W, shift, factors, "softmax", 1.0)
        for a, b in zip(first, again):
            np.testing.assert_array_equal(a, b)
        results[n_threads] = first
    for n_threads in (2, 3):
        _assert_close(results[n_threads], results[1], np.float32)


def test_omp_num_threads_limits_the_threads(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert available_threads() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert available_threads() >= 1


@pytest.mark.parametrize(
    "make_input",
    [
        lambda X: sp.csr_matrix(X),
        lambda X: X.astype(np.float16),
        lambda X: X[:, ::2],  # columns not contiguous
        lambda X: X[::-1],  # rows backwards
        lambda X: X.astype(X.dtype.newbyteorder()),
        lambda X: X[:0],
    ],
    ids=["sparse", "float16", "column-strided", "reversed", "byteswapped", "empty"],
)
def test_inputs_it_does_not_take_fall_back(make_input):
    X, y, W, shift, factors = _problem(10, 6, 3, np.float64)
    X = make_input(np.ascontiguousarray(X))
    assert (
        fused_loss_gradient(X, y, W[:, : X.shape[1]], shift, factors, "hinge", 1)
        is None
    )


@pytest.mark.parametrize("bad_label", [-1, 3])
def test_labels_out_of_range_fall_back(bad_label):
    X, y, W, shift, factors = _problem(10, 6, 3, np.float64)
    y[4] = bad_label
    assert fused_loss_gradient(X, y, W, shift, factors, "hinge", 1.0) is None


def test_more_classes_than_the_kernel_takes_fall_back():
    X, y, W, shift, factors = _problem(10, 6, 65, np.float64)
    assert fused_loss_gradient(X, y, W, shift, factors, "hinge", 1.0) is None


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
    return fused_loss_gradient(X, y, W, shift, factors, "softmax", 1.0)[0]


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="no fork()"
)
def test_forked_children_can_use_it_after_the_parent():
    # A persistent OpenMP thread pool would make these children hang.
    in_parent = _fused_loss_in_child(None)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        result = pool.map_async(_fused_loss_in_child, range(2))
        assert result.get(timeout=60) == [in_parent, in_parent]
