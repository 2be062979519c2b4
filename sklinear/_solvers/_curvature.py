"""Step sizes for minibatch variance-reduced steps, from the local curvature.

A safe constant step for SAGA with minibatches of ``m`` of ``n`` rows is
``1 / L(m)`` with the expected smoothness (Gower et al., 2019)

.. math:: L(m) = \\frac{n (m - 1)}{m (n - 1)} L + \\frac{n - m}{m (n - 1)}
    \\bar L_i

where ``L`` bounds the full objective's curvature and ``L_i`` a single
sample's. Both are ``c_i`` times second moments of the rows, with ``c_i``
the curvature of the loss in the scores: 1/2 for softmax, ``C / mu`` for the
smoothed hinge. Near the optimum most samples are classified with confidence
and their curvature is far smaller (softmax: at most ``2 (1 - max_j p_j)``;
smoothed hinge: 0 outside the band ``0 < margin < mu``), so weighing each row
by its current ``c_i`` gives steps 5 to 25 times larger on the data sets of
the benchmark, with the safeguard of the caller (an objective that rises is
answered with a smaller step).
"""

import numpy as np
import scipy.sparse as sp

from .. import _csr_products as csr_products

# Elements per chunk of rows converted to float64 for the row norms.
_CHUNK_ELEMENTS = 1 << 15

__all__ = [
    "centered_row_norms",
    "local_curvature",
    "row_norms",
    "sample_rows",
    "sampling_probabilities",
    "single_sample_smoothness",
]


# The curvature is estimated on a float64 copy of a sample of rows: at most
# this many entries (2 MiB), so that its memory stays a small fraction of X's.
_MAX_SAMPLE_ENTRIES = 1 << 18


def sample_rows(objective, max_rows=1024):
    """Evenly spaced rows (a view for dense X), their indices and ``n f_i``.

    Parameters
    ----------
    objective : LinearObjective
    max_rows : int, default=1024
        At most this many rows, and at most ``_MAX_SAMPLE_ENTRIES`` entries
        (at least 64 rows).

    Returns
    -------
    rows : slice
    X : ndarray or sparse matrix of shape (n_rows, n_features)
    weights : ndarray of shape (n_rows,)
        ``n f_i``: the mean is the weight a batch row carries on average.
    """
    n_samples = objective.n_samples
    max_rows = min(max_rows, max(64, _MAX_SAMPLE_ENTRIES // objective.X.shape[1]))
    step = max(1, -(-n_samples // max_rows))
    rows = slice(0, None, step)
    X = objective.X[rows]
    factors = objective._factors(rows, X.shape[0]).astype(np.float64)
    return rows, X, factors * X.shape[0]


def local_curvature(X, weights, offset, preconditioner, n_iterations=12):
    """``lambda_max`` of ``sum_i w_i z_i z_i^T / n_rows`` and ``mean_i w_i |z_i|^2``.

    ``z_i`` is the row centered by ``offset``, with a 1 appended (the
    intercept) and scaled by ``sqrt(preconditioner)``.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_rows, n_features)
    weights : ndarray of shape (n_rows,)
        ``n f_i c_i``: the sample's weight times the loss's curvature.
    offset : ndarray of shape (n_features,) or None
    preconditioner : ndarray of shape (n_features,) or None
    n_iterations : int, default=12
        Power iterations (from the weighted mean row: a fixed start).

    Returns
    -------
    top : float
        Bound on the curvature of the data term (all rows).
    per_row : float
        Mean curvature of one row's term: what a minibatch adds.
    """
    n_rows, n_features = X.shape
    weights = np.asarray(weights, dtype=np.float64) / n_rows
    if not np.any(weights > 0):
        return 0.0, 0.0
    scale = np.ones(n_features) if preconditioner is None else np.sqrt(preconditioner)
    offset = np.zeros(n_features) if offset is None else np.asarray(offset, np.float64)
    if sp.issparse(X):
        X = X.astype(np.float64)
        norms = _sparse_scaled_norms(X, offset, scale)
    else:
        # Centered before the products: no cancellation for data far from 0.
        X = np.asarray(X, dtype=np.float64) - offset
        norms = np.einsum("ij,ij,j->i", X, X, scale**2)
        offset = np.zeros(n_features)
    per_row = float(weights @ (norms + 1.0))
    v = np.append(scale * (weights @ X - weights.sum() * offset), 1.0) + 1e-3
    top = 0.0
    for _ in range(n_iterations):
        v /= np.linalg.norm(v)
        features = scale * v[:-1]
        projected = np.asarray(X @ features).ravel() - offset @ features + v[-1]
        projected *= weights
        back = scale * (np.asarray(X.T @ projected).ravel() - offset * projected.sum())
        new_v = np.append(back, projected.sum())
        top = float(v @ new_v)
        v = new_v
    return top, per_row


def row_norms(objective, preconditioner=None):
    """``|z_i|^2 + 1`` for every row: the curvature of a single-sample step.

    ``z_i`` is the row centered by the objective's offset and scaled by
    ``sqrt(preconditioner)``; for sparse X the larger of the centered and
    the uncentered norm, as sparse per-sample epochs run uncentered.

    Parameters
    ----------
    objective : LinearObjective
    preconditioner : ndarray of shape (n_features,), default=None

    Returns
    -------
    norms : ndarray of shape (n_samples,)
    """
    X = objective.X
    n_features = X.shape[1]
    offset = objective.offset
    offset = np.zeros(n_features) if offset is None else offset.astype(np.float64)
    scale = None
    if preconditioner is not None:
        scale = np.sqrt(np.asarray(preconditioner, dtype=np.float64))
    if not sp.issparse(X):
        return _dense_row_norms(X, offset, scale) + 1.0
    return np.maximum(*_sparse_row_norms(X, offset, scale)) + 1.0


def centered_row_norms(X, offset, scale=None):
    """``|(x_i - offset) * scale|^2`` for every row, in float64.

    Dense X a few rows at a time, sparse X in one pass over its stored
    values (never densified).

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    offset : ndarray of shape (n_features,)
    scale : ndarray of shape (n_features,), default=None

    Returns
    -------
    norms : ndarray of shape (n_samples,)
    """
    if not sp.issparse(X):
        return _dense_row_norms(X, offset, scale)
    return _sparse_row_norms(X, offset, scale)[1]


def _sparse_row_norms(X, offset, scale):
    """``(|x_i * scale|^2, |(x_i - offset) * scale|^2)`` for CSR rows, each
    column at most once a row (as ``LinearObjective`` keeps its X), in one
    pass over the stored values without a copy of them."""
    scale = np.ones(X.shape[1]) if scale is None else scale
    offset = offset * scale
    # |x - mu|^2 = |x|^2 - 2 x.mu + |mu|^2 without densifying X (the
    # cancellation costs digits of a step bound, no more).
    uncentered, cross = csr_products.row_norms(X, scale, offset)
    if not offset.any():
        return uncentered, uncentered
    centered = np.maximum(uncentered - 2 * cross + offset @ offset, 0.0)
    return uncentered, centered


def _dense_row_norms(X, offset, scale):
    """``|(x_i - offset) * scale|^2`` in float64, a few rows at a time: the
    temporaries stay small next to X (fits are checked to make no copy)."""
    n_samples, n_features = X.shape
    norms = np.empty(n_samples)
    rows = max(1, _CHUNK_ELEMENTS // max(1, n_features))
    for start in range(0, n_samples, rows):
        chunk = np.asarray(X[start : start + rows], dtype=np.float64) - offset
        if scale is not None:
            chunk *= scale
        norms[start : start + rows] = np.einsum("ij,ij->i", chunk, chunk)
    return norms


def sampling_probabilities(objective, norms=None):
    """Probabilities of drawing each sample in a per-sample epoch.

    Half uniform, half in proportion to the row's curvature ``n f_i (|z_i|^2
    + 1)`` (as SAG with non-uniform sampling, Schmidt et al., 2015): a few
    rows of large norm (standardized features that are rarely nonzero) no
    longer set the step for all, which with uniform sampling is ``1 /
    max_i L_i``; here it is ``1 / max_i (L_i / (n p_i))``, at most twice the
    mean curvature's.

    Parameters
    ----------
    objective : LinearObjective
    norms : ndarray of shape (n_samples,), default=None
        From :func:`row_norms` (computed when None).

    Returns
    -------
    probabilities : ndarray of shape (n_samples,)
    """
    n = objective.n_samples
    norms = row_norms(objective) if norms is None else norms
    curvature = objective._factors(slice(None), n).astype(np.float64) * norms
    total = curvature.sum()
    if not (np.isfinite(total) and total > 0):
        return np.full(n, 1.0 / n)
    return 0.5 * curvature / total + 0.5 / n


def single_sample_smoothness(
    objective, curvature, preconditioner=None, probabilities=None, norms=None
):
    """``L(1)``: the smoothness constant of single-sample SAGA steps.

    With uniform sampling it is the largest row's curvature ``max_i n f_i
    c_i (|z_i|^2 + 1)`` (not the mean: a step of ``1 / mean`` overshoots on
    the rows of large norm), every row counted; with sample ``i`` drawn with
    probability ``p_i`` and its step weighed by ``1 / (n p_i)``, the largest
    of ``n f_i c_i (|z_i|^2 + 1) / (n p_i)``.

    Parameters
    ----------
    objective : LinearObjective
    curvature : ndarray of shape (n_samples,)
        ``c_i``, the loss's curvature in the scores at each sample.
    preconditioner : ndarray of shape (n_features,), default=None
    probabilities : ndarray of shape (n_samples,), default=None
        None: uniform sampling.
    norms : ndarray of shape (n_samples,), default=None
        :func:`row_norms` with this preconditioner (computed when None).

    Returns
    -------
    smoothness : float
    """
    n = objective.n_samples
    if n == 0:
        return 0.0
    weights = objective._factors(slice(None), n).astype(np.float64) * n
    weights *= np.asarray(curvature, dtype=np.float64)
    if norms is None:
        norms = row_norms(objective, preconditioner)
    rows = weights * norms
    if probabilities is not None:
        rows /= n * probabilities
    return float(np.max(rows))


def _sparse_scaled_norms(X, offset, scale):
    """``|(x_i - offset) * scale|^2`` for the rows of a CSR matrix."""
    scaled = X.multiply(scale[None, :]).tocsr()
    squares = np.asarray(scaled.multiply(scaled).sum(axis=1)).ravel()
    shifted = offset * scale
    return squares - 2 * (scaled @ shifted) + shifted @ shifted
