"""The products of the certificate and the solvers' set-up with CSR X,
compiled where they can be.

A check of a sparse fit computes the scores ``X @ W.T`` and a dual point's
sum ``A.T @ X``. scipy's loops wait on the cache lines of each stored
value's row of ``W.T`` (or of the output) in turn; the compiled products
(``sklinear._saga_sweep``, ``_csr_products.h``) prefetch them. On 80,000 x
100,000 rows of 120 values and 20 classes, one run: scores 0.12 s against
scipy's 0.21 s, the transposed product 0.11 s against 0.29 s. Once a solve,
:func:`class_sums` (one multiply-add a stored value, where scipy's product
with a sparse one-hot matrix sorts and allocates) and :func:`row_norms`
(no copy of the stored values) read X once each.

All accumulate in float64 whatever X's float type, and return float64.
Anything the kernel does not take (another sparse format, integer data, a
kernel that was not built) goes through scipy, in float64 as well.
"""

import numpy as np
import scipy.sparse as sp

from ._fused_pass import thread_limit

try:
    from . import _saga_sweep
except ImportError:  # built without a C compiler: scipy's products
    _saga_sweep = None

__all__ = [
    "class_sums",
    "row_norms",
    "scores",
    "takes",
    "transposed_product",
    "without_duplicates",
]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_INTEGERS = (np.dtype(np.int32), np.dtype(np.int64))
# Tests and benchmarks switch the kernel off to compare it with scipy.
enabled = True
# Stored values times output columns a helper thread must have to do, at
# least (a thread starts in about 50 us; 4M multiply-adds take a few ms).
_WORK_PER_THREAD = 1 << 22


def takes(X):
    """Whether the kernel takes ``X``: CSR with float data and int32 or
    int64 indices (their contiguity is the kernel's to check).

    Parameters
    ----------
    X : ndarray or sparse matrix

    Returns
    -------
    takes : bool
    """
    return (
        enabled
        and _saga_sweep is not None
        and sp.issparse(X)
        and X.format == "csr"
        and X.data.dtype in _FLOATS
        and X.indices.dtype in _INTEGERS
        and X.indptr.dtype in _INTEGERS
    )


def _arrays(X):
    return (
        np.ascontiguousarray(X.data),
        np.ascontiguousarray(X.indices),
        np.ascontiguousarray(X.indptr),
    )


def scores(X, W):
    """``X @ W.T`` in float64.

    Parameters
    ----------
    X : sparse matrix of shape (n_samples, n_features)
    W : ndarray of shape (n_classes, n_features)

    Returns
    -------
    scores : ndarray of shape (n_samples, n_classes)
    """
    if not takes(X):
        return np.asarray(X @ W.T, dtype=np.float64)
    return _compiled(_saga_sweep.csr_scores, X, W.T, X.shape[0])


def transposed_product(X, A):
    """``A.T @ X`` in float64.

    Parameters
    ----------
    X : sparse matrix of shape (n_samples, n_features)
    A : ndarray of shape (n_samples, n_columns)

    Returns
    -------
    product : ndarray of shape (n_columns, n_features)
        Fortran-ordered (the transpose of a C-ordered array). Zeros without a
        pass over X where ``A`` is zero (X is finite), as at a dual method's
        start.
    """
    if not A.any():
        return np.zeros((X.shape[1], A.shape[1])).T
    if not takes(X):
        A = np.ascontiguousarray(A, dtype=X.dtype)
        return np.asarray((X.T @ A).T, dtype=np.float64)
    return _compiled(_saga_sweep.csr_transposed_product, X, A, X.shape[1]).T


def class_sums(X, y, a, n_classes):
    """``sum_{y_i = k} a_i x_i`` for each class ``k``, in float64.

    Parameters
    ----------
    X : sparse matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Class indices in ``[0, n_classes)``.
    a : ndarray of shape (n_samples,)
    n_classes : int

    Returns
    -------
    sums : ndarray of shape (n_classes, n_features)
    """
    a = np.asarray(a, dtype=np.float64)
    if not takes(X):
        one_hot = sp.csr_matrix(
            (a, (y, np.arange(len(y)))), shape=(n_classes, X.shape[0])
        )
        return (one_hot @ X).toarray()
    out = np.empty((n_classes, X.shape[1]))
    labels = np.ascontiguousarray(y, dtype=np.intp)
    _saga_sweep.csr_class_sums(*_arrays(X), labels, a.reshape(-1, 1), out)
    return out


def row_norms(X, scale, offset):
    """``(|x_i * scale|^2, (x_i * scale) . offset)`` for every row, in float64.

    Parameters
    ----------
    X : sparse matrix of shape (n_samples, n_features)
        Each column at most once a row.
    scale : ndarray of shape (n_features,)
    offset : ndarray of shape (n_features,)

    Returns
    -------
    squares, cross : ndarrays of shape (n_samples,)
    """
    scale = np.asarray(scale, dtype=np.float64)
    offset = np.asarray(offset, dtype=np.float64)
    if not takes(X):
        rows = sp.csr_matrix(X, dtype=np.float64) @ sp.diags(scale)
        squares = np.asarray(rows.multiply(rows).sum(axis=1)).ravel()
        return squares, np.asarray(rows @ offset, dtype=np.float64).ravel()
    out = _compiled(
        _saga_sweep.csr_row_norms, X, np.column_stack([scale, offset]), X.shape[0]
    )
    return out[:, 0].copy(), out[:, 1].copy()


def without_duplicates(X):
    """``X`` itself if no row holds a column twice, else a copy with the
    duplicates summed (scipy's canonical form), as the sparse kernels need.

    A CSR matrix whose columns are not sorted within its rows is not in
    scipy's canonical form, but the kernels read it as it is: the compiled
    check (one pass over the indices) spares it the copy that
    ``sum_duplicates`` makes (80,000 x 100,000 rows of 120 values: 0.19 s
    and twice X's memory).

    Parameters
    ----------
    X : sparse matrix of CSR format

    Returns
    -------
    X : sparse matrix of CSR format
    """
    if X.has_canonical_format:
        return X
    if takes(X):
        indices, indptr = _arrays(X)[1:]
        if _saga_sweep.csr_duplicate_row(indices, indptr, X.shape[1]) < 0:
            return X
    X = X.copy()
    X.sum_duplicates()
    return X


def _compiled(product, X, dense, out_rows):
    """``product``'s result, of ``out_rows`` rows and ``dense``'s columns, on
    as many threads as the work fills (the result does not depend on it)."""
    out = np.empty((out_rows, dense.shape[1]))
    threads = min(thread_limit(), max(1, X.nnz * dense.shape[1] // _WORK_PER_THREAD))
    dense = np.ascontiguousarray(dense, dtype=np.float64)
    product(*_arrays(X), dense, out, int(min(threads, 64)))
    return out
