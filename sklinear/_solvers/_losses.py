"""Per-sample losses and score gradients for the solvers, smoothed hinge included.

The solvers need what :mod:`sklinear.losses` does not give: per-sample values
(for duality gaps), unweighted gradients (for the variance-reduction memory)
and the Moreau-smoothed Weston-Watkins hinge

.. math::

    L^\\mu_i(s) = \\sum_{j \\ne y_i} h_\\mu(s_j - s_{y_i} + \\Delta),\\quad
    h_\\mu(z) = \\begin{cases} 0 & z \\le 0 \\\\ z^2 / (2\\mu) & 0 < z < \\mu
    \\\\ z - \\mu / 2 & z \\ge \\mu \\end{cases}

whose gradient ``clip(z / mu, 0, 1)`` is a point of the hinge's dual domain,
so a duality gap of the true (non-smooth) objective can be formed from it.
``mu = 0`` is the hinge itself (with the subgradient 0 at the kink).

Everything here works on small ``(n_rows, n_classes)`` arrays; the caller
does the products with ``X``.
"""

import numpy as np

__all__ = ["score_gradient", "per_sample_loss", "intercept_hessian"]


def _correct_positions(n_rows, n_classes, y):
    return np.arange(n_rows) * n_classes + y


def _softmax_probabilities(scores):
    """Row-wise softmax, in place, and each row's log-sum-exp."""
    top = scores.max(axis=1, keepdims=True)
    scores -= top
    np.exp(scores, out=scores)
    total = scores.sum(axis=1, keepdims=True)
    scores /= total
    return scores, (np.log(total) + top).ravel()


def _hinge_margins(scores, y, margin, correct_at):
    """``s_j - s_y + margin`` with the correct class's entry set to -inf."""
    margins = scores - scores.ravel()[correct_at][:, None]
    margins += scores.dtype.type(margin)
    margins.ravel()[correct_at] = -np.inf
    return margins


def score_gradient(scores, y, loss, margin=1.0, mu=0.0, out=None):
    """Gradient of each row's loss with respect to its scores (unweighted).

    Parameters
    ----------
    scores : ndarray of shape (n_rows, n_classes)
        C-contiguous; overwritten when ``out is scores``.
    y : ndarray of shape (n_rows,)
        Class indices.
    loss : {'softmax', 'hinge'}
    margin : float, default=1.0
        The hinge margin.
    mu : float, default=0.0
        Smoothing of the hinge (0: a subgradient of the hinge itself).
    out : ndarray, default=None
        Where to write the result (may be ``scores``).

    Returns
    -------
    gradient : ndarray of shape (n_rows, n_classes)
        Rows sum to zero: ``p - onehot(y)`` for softmax; ``a_j`` off the
        correct class and ``-sum_j a_j`` on it for the hinge, ``a`` in [0, 1].
    """
    n_rows, n_classes = scores.shape
    correct_at = _correct_positions(n_rows, n_classes, y)
    if loss == "softmax":
        if out is not scores:
            out = np.array(scores, copy=True) if out is None else _copy(scores, out)
        _softmax_probabilities(out)
        out.ravel()[correct_at] -= 1
        return out
    margins = _hinge_margins(scores, y, margin, correct_at)
    if mu > 0:
        margins *= margins.dtype.type(1.0 / mu)
        np.clip(margins, 0, 1, out=margins)
    else:
        margins = (margins > 0).astype(scores.dtype)
    margins.ravel()[correct_at] = 0
    margins.ravel()[correct_at] = -margins.sum(axis=1)
    if out is None:
        return margins
    out[...] = margins
    return out


def _copy(source, target):
    target[...] = source
    return target


def per_sample_loss(scores, y, loss, margin=1.0, mu=0.0):
    """Each row's loss (the smoothed hinge when ``mu > 0``), in float64.

    Parameters
    ----------
    scores : ndarray of shape (n_rows, n_classes)
    y : ndarray of shape (n_rows,)
    loss : {'softmax', 'hinge'}
    margin, mu : float
        As in :func:`score_gradient`.

    Returns
    -------
    values : ndarray of shape (n_rows,)
    probabilities_or_margins : ndarray of shape (n_rows, n_classes)
        Softmax probabilities, or the hinge margins (-inf at the correct
        class), for callers that need them too.
    """
    scores = np.array(scores, dtype=np.float64)
    n_rows, n_classes = scores.shape
    correct_at = _correct_positions(n_rows, n_classes, y)
    if loss == "softmax":
        correct = scores.ravel()[correct_at].copy()
        probabilities, log_sum = _softmax_probabilities(scores)
        return log_sum - correct, probabilities
    margins = _hinge_margins(scores, y, margin, correct_at)
    positive = np.maximum(margins, 0)
    if mu > 0:
        values = np.where(positive < mu, positive**2 / (2 * mu), positive - mu / 2).sum(
            axis=1
        )
    else:
        values = positive.sum(axis=1)
    return values, margins


def intercept_hessian(helper, y, factors, loss, mu):
    """Hessian of ``sum_i f_i L_i(s_i + t)`` in the intercepts ``t``.

    Parameters
    ----------
    helper : ndarray of shape (n_rows, n_classes)
        From :func:`per_sample_loss`: probabilities or margins.
    y : ndarray of shape (n_rows,)
    factors : ndarray of shape (n_rows,)
        The weights ``f_i``.
    loss : {'softmax', 'hinge'}
    mu : float
        Hinge smoothing (must be positive for the hinge).

    Returns
    -------
    hessian : ndarray of shape (n_classes, n_classes)
    """
    if loss == "softmax":
        weighted = helper * factors[:, None]
        return np.diag(weighted.sum(axis=0)) - weighted.T @ helper
    band = ((helper > 0) & (helper < mu)) * (factors[:, None] / mu)
    onehot = np.zeros_like(band)
    onehot[np.arange(len(y)), y] = 1
    cross = band.T @ onehot
    return np.diag(band.sum(axis=0) + onehot.T @ band.sum(axis=1)) - cross - cross.T
