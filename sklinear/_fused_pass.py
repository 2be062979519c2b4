"""The fused minibatch pass of ``_fused.c``, called through ctypes.

:func:`fused_loss_gradient` computes what ``LinearObjective.loss_gradient``
computes with two BLAS products (scores, loss, ``dscores.T @ X``, column sums
of ``dscores``) in one pass over the batch's rows. It answers None whenever
it does not apply, and the caller falls back to NumPy and BLAS: when the
compiled extension is missing (a build without a C compiler), for sparse
data, for dtypes other than float32 and float64, for rows that are not
contiguous in memory, and for more than ``max_classes`` classes, where one
product of many columns runs well in BLAS anyway.
"""

import ctypes
import os

import numpy as np

__all__ = ["fused_available", "fused_loss_gradient"]

_LOSS_KINDS = {"hinge": 0, "softmax": 1}
# Below this many multiply-adds a second thread costs more than it saves.
_MIN_WORK_PER_THREAD = 1 << 18

# Tests switch the fused pass off to compare it with the NumPy path.
enabled = True


def _load():
    try:
        from . import _fused
    except ImportError:
        return None
    library = ctypes.CDLL(_fused.__file__)
    ssize, pointer, integer = ctypes.c_ssize_t, ctypes.c_void_p, ctypes.c_int
    for name in ("sklinear_loss_gradient_f32", "sklinear_loss_gradient_f64"):
        function = getattr(library, name)
        function.restype = ctypes.c_double
        function.argtypes = [
            pointer, ssize, ssize, ssize,  # X, row stride, rows, features
            pointer, ssize, pointer,  # W, classes, shift
            pointer, ssize, pointer,  # y, y stride, factors
            integer, ctypes.c_double,  # loss kind, margin
            pointer, pointer, pointer, integer,  # grad_W, grad_b, work, threads
        ]  # fmt: skip
    library.sklinear_max_classes.restype = integer
    library.sklinear_max_classes.argtypes = []
    return library


_library = _load()
_MAX_CLASSES = 0 if _library is None else _library.sklinear_max_classes()
_FUNCTIONS = (
    {}
    if _library is None
    else {
        np.dtype(np.float32): _library.sklinear_loss_gradient_f32,
        np.dtype(np.float64): _library.sklinear_loss_gradient_f64,
    }
)


def available_threads():
    """CPUs this process may use, at most ``OMP_NUM_THREADS`` when it is set.

    The limit that scikit-learn's own compiled code follows, and that joblib
    sets in its workers so that parallel jobs do not oversubscribe the CPUs.
    """
    try:
        n_cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n_cpus = os.cpu_count() or 1
    try:
        limit = int(os.environ.get("OMP_NUM_THREADS", ""))
    except ValueError:
        return n_cpus
    return max(1, min(n_cpus, limit))


def fused_available():
    """Whether the compiled fused pass was built and is switched on."""
    return _library is not None and enabled


def _applies(X, W):
    return (
        fused_available()
        and isinstance(X, np.ndarray)
        and X.ndim == 2
        and X.dtype in _FUNCTIONS
        and X.dtype.isnative
        and X.strides[1] == X.itemsize
        and X.strides[0] > 0
        and X.strides[0] % X.itemsize == 0
        and X.shape[0] > 0
        and W.shape[0] <= _MAX_CLASSES
    )


def fused_loss_gradient(X, y, W, shift, factors, loss, margin):
    """Loss, ``dscores.T @ X`` and column sums of ``dscores``, in one pass.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
        The batch (a strided view is fine).
    y : ndarray of shape (n_rows,)
        Integer class indices.
    W : ndarray of shape (n_classes, n_features)
    shift : ndarray of shape (n_classes,)
        Added to every row of ``X @ W.T``.
    factors : ndarray of shape (n_rows,)
        Each row's weight in the loss.
    loss : {'hinge', 'softmax'}
    margin : float
        The hinge loss's margin.

    Returns
    -------
    result : tuple (loss, grad_W, grad_b), or None
        None when the fused pass does not apply (see the module docstring).
    """
    if not _applies(X, W):
        return None
    y = np.asarray(y)
    if y.min() < 0 or y.max() >= W.shape[0]:
        return None  # C would index out of bounds; NumPy raises a clear error
    dtype = X.dtype
    n_rows, n_features = X.shape
    n_classes = W.shape[0]
    W = np.ascontiguousarray(W, dtype=dtype)
    shift = np.ascontiguousarray(np.broadcast_to(shift, (n_classes,)), dtype=dtype)
    if y.dtype != np.int64:
        y = y.astype(np.int64)
    factors = np.ascontiguousarray(factors, dtype=dtype)
    work_size = n_rows * n_features * n_classes
    n_threads = max(
        1,
        min(available_threads(), work_size // _MIN_WORK_PER_THREAD),
    )
    grad_W = np.empty((n_classes, n_features), dtype=dtype)
    grad_b = np.empty(n_classes, dtype=dtype)
    work = np.empty((n_threads - 1, n_classes * (n_features + 1)), dtype=dtype)
    value = _FUNCTIONS[dtype](
        X.ctypes.data, X.strides[0] // X.itemsize, n_rows, n_features,
        W.ctypes.data, n_classes, shift.ctypes.data,
        y.ctypes.data, y.strides[0] // y.itemsize, factors.ctypes.data,
        _LOSS_KINDS[loss], float(margin),
        grad_W.ctypes.data, grad_b.ctypes.data, work.ctypes.data, n_threads,
    )  # fmt: skip
    return value, grad_W, grad_b
