"""Weighted statistics of a training matrix: mean row, variances, top eigenvalue.

What :class:`~sklinear.objective.LinearObjective` centers and preconditions
with and estimates its curvature from, and what the classifiers' one-pass
finite check reads: dense or CSR, float32 sums corrected where their rounding
would matter, each read of a large X done once.
"""

import numpy as np
import scipy.sparse as sp

from . import _csr_products as csr_products
from ._threads import one_blas_thread


@one_blas_thread
def _weighted_mean_row(X, weights=None):
    """Weighted mean of the rows, in X's dtype.

    A product with the normalized weights: BLAS reads X once, on every core,
    about twice as fast as ``X.mean(axis=0)``. The weights are cast to X's
    dtype first: a float64 vector times a float32 matrix would make numpy
    convert (copy) the whole matrix.
    """
    if weights is None:
        weights = np.ones(X.shape[0])
    weights = np.asarray(weights, dtype=np.float64)
    normalized = weights / weights.sum()
    if sp.issparse(X):  # a float64 product costs a copy of the data only
        return np.asarray(X.T @ normalized).ravel().astype(X.dtype)
    normalized = normalized.astype(X.dtype)
    mean = np.asarray(normalized @ X).ravel()
    if X.dtype == np.float32 and _float32_rounding_matters(X, mean):
        mean = _corrected_mean(X, normalized, mean)
    return mean


def _float32_rounding_matters(X, mean, sample_rows=256):
    """Whether a float32 sum's rounding, about ``eps * |mean| * sqrt(n)``,
    may exceed 1% of a column's spread (measured in float64 on a few rows):
    data far from zero, where a centering that far off would slow training
    down."""
    if not np.all(np.isfinite(mean)):
        return False  # NaN or inf data: the caller's check reports it
    spread = sampled_spread(X, sample_rows)
    rounding = np.finfo(np.float32).eps * np.abs(mean) * np.sqrt(X.shape[0])
    return bool(np.any(rounding > 0.01 * spread))


def sampled_spread(X, sample_rows=256):
    """Each column's standard deviation in float64, over about
    ``sample_rows`` evenly spaced rows (a sparse X is never densified:
    ``E[x^2] - E[x]^2``)."""
    sample = X[:: max(1, X.shape[0] // sample_rows)]
    if not sp.issparse(sample):
        return sample.std(axis=0, dtype=np.float64)
    sample = sample.astype(np.float64)
    mean = np.asarray(sample.mean(axis=0)).ravel()
    squares = np.asarray(sample.multiply(sample).mean(axis=0)).ravel()
    return np.sqrt(np.maximum(squares - mean**2, 0.0))


def _corrected_mean(X, weights, mean, rows_per_chunk=1024):
    """``mean`` plus the weighted mean of the residuals ``X - mean``, summed
    in float64 over chunks of rows that stay in cache (no copy of X)."""
    correction = np.zeros(X.shape[1])
    for start in range(0, X.shape[0], rows_per_chunk):
        chunk = slice(start, start + rows_per_chunk)
        correction += weights[chunk] @ (X[chunk] - mean)
    return (mean + correction).astype(X.dtype)


def _weighted_variance(X, weights, rows_per_chunk=256):
    """Weighted variance of each column of a dense X, as E[(x - mean)^2].

    Centered in chunks of rows that stay in cache (as fast as the one-pass
    E[x^2] - mean^2, which cancels to noise for columns far from zero). The
    residuals' own mean corrects the rounding of a float32 mean, which at
    large offsets is a sizeable part of the spread.
    """
    mean = _weighted_mean_row(X, weights)
    weights = (np.asarray(weights, dtype=np.float64) / np.sum(weights)).astype(X.dtype)
    residual_mean = np.zeros(X.shape[1])
    mean_square = np.zeros(X.shape[1])
    for start in range(0, X.shape[0], rows_per_chunk):
        chunk = slice(start, start + rows_per_chunk)
        residuals = X[chunk] - mean
        residual_mean += weights[chunk] @ residuals
        np.square(residuals, out=residuals)
        mean_square += weights[chunk] @ residuals
    return np.maximum(mean_square - residual_mean**2, 0.0)


def _weighted_sparse_variance(X, weights):
    """``_weighted_variance`` of a CSR matrix without densifying it: the
    stored entries contribute ``w (x - mean)^2``, the implicit zeros
    ``w mean^2`` each."""
    # Duplicate entries add up to one value.
    X = csr_products.without_duplicates(sp.csr_matrix(X))
    weights = np.asarray(weights, dtype=np.float64) / np.sum(weights)
    mean = np.asarray(X.T @ weights, dtype=np.float64).ravel()
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    stored_weight = weights[rows]
    deviations = X.data.astype(np.float64) - mean[X.indices]
    n_columns = X.shape[1]
    stored = np.bincount(
        X.indices, weights=stored_weight * deviations**2, minlength=n_columns
    )
    weight_of_zeros = 1.0 - np.bincount(
        X.indices, weights=stored_weight, minlength=n_columns
    )
    # Exactly 0 for full columns: the rounding of 1 - sum would be multiplied
    # by mean^2, large for columns far from zero.
    full = np.bincount(X.indices, minlength=n_columns) == X.shape[0]
    weight_of_zeros = np.where(full, 0.0, np.maximum(weight_of_zeros, 0.0))
    return np.maximum(stored + weight_of_zeros * mean**2, 0.0)


# Up to this many features the second-moment matrix is built exactly.
_EXACT_MAX_FEATURES = 32


def _exact_top_second_moment(X, weights, preconditioner, offset_row, fit_intercept):
    """:func:`_top_second_moment` from the matrix ``A^T diag(w) A`` of the
    scaled (centered, extended) rows ``A``, in float64."""
    rows = X.toarray() if sp.issparse(X) else X
    rows = np.asarray(rows, dtype=np.float64)
    if offset_row is not None:
        rows = rows - np.asarray(offset_row, dtype=np.float64)
    if preconditioner is not None:
        rows = rows * np.sqrt(np.asarray(preconditioner, dtype=np.float64))
    if fit_intercept:
        rows = np.hstack([rows, np.ones((rows.shape[0], 1))])
    weights = np.asarray(weights, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        moment = rows.T @ (weights[:, None] * rows)
    if not np.all(np.isfinite(moment)):
        return np.inf  # squares that overflow: no usable step (callers say so)
    return float(np.linalg.eigvalsh(moment)[-1])


def _top_second_moment(
    X, weights, preconditioner, offset_row, fit_intercept, n_power_iterations
):
    """Largest eigenvalue of the weighted second-moment matrix of the rows of X.

    What :meth:`LinearObjective.second_moment
    <sklinear.objective.LinearObjective.second_moment>` computes on its sampled
    rows: they are centered on ``offset_row`` (unless None), get a column of
    ones with ``fit_intercept``, and are scaled by ``sqrt(preconditioner)``;
    power iteration from a fixed start (deterministic). With at most
    ``_EXACT_MAX_FEATURES`` features the matrix itself is built and its
    exact top eigenvalue taken: cheaper than the iterations' many small
    products, and never below the true value.
    """
    n_features = X.shape[1]
    if n_features <= _EXACT_MAX_FEATURES:
        return _exact_top_second_moment(
            X, weights, preconditioner, offset_row, fit_intercept
        )
    scale = (
        np.ones(n_features)
        if preconditioner is None
        else np.sqrt(np.asarray(preconditioner, dtype=np.float64))
    )
    intercept = 1.0 if fit_intercept else 0.0
    # The start: the mean row of the data as given (not centered), which
    # has a large component along the top direction.
    v = np.append(_weighted_mean_row(X, weights).astype(np.float64), intercept)
    v += 1e-3
    offset = np.zeros(n_features)
    if offset_row is not None and sp.issparse(X):
        # Subtracted after each product, in float64 against cancellation.
        X, offset = X.astype(np.float64), offset_row.astype(np.float64)
    elif offset_row is not None:
        X = X - offset_row  # centered before the products: no cancellation
    top = 0.0
    for _ in range(n_power_iterations):
        norm = np.linalg.norm(v)
        if norm == 0:
            break
        v /= norm
        features = scale * v[:-1]
        # Products in X's dtype: a float64 vector would make numpy cast a
        # float32 X on every product.
        projected = np.asarray(X @ features.astype(X.dtype)).ravel()
        projected = projected - offset @ features + intercept * v[-1]
        projected *= weights
        back = np.asarray(X.T @ projected.astype(X.dtype)).ravel()
        back = scale * (back - offset * projected.sum())
        new_v = np.append(back, intercept * projected.sum())
        top = float(v @ new_v)
        v = new_v
    return top
