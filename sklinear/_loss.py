"""The two losses as objects: what the objective and the solvers need of them.

:func:`make_loss` is the one place that turns a loss's name into behaviour;
everything else asks the object. A loss owns:

* its weighted value and score gradient on a batch (``batch_value_gradient``,
  the vectorized functions of :mod:`sklinear.losses`);
* per-sample values and unweighted score gradients, for the variance-reduced
  solvers, including the Moreau-smoothed Weston-Watkins hinge

.. math::

    L^\\mu_i(s) = \\sum_{j \\ne y_i} h_\\mu(s_j - s_{y_i} + \\Delta),\\quad
    h_\\mu(z) = \\begin{cases} 0 & z \\le 0 \\\\ z^2 / (2\\mu) & 0 < z < \\mu
    \\\\ z - \\mu / 2 & z \\ge \\mu \\end{cases}

  whose gradient ``clip(z / mu, 0, 1)`` is a point of the hinge's dual domain,
  so a duality gap of the true (non-smooth) objective can be formed from it
  (``mu = 0`` is the hinge itself, with the subgradient 0 at the kink);
* its curvature in the scores: a global bound (step sizes), a per-row bound
  at the current point (local step sizes) and the gradient and Hessian in
  the intercepts (Newton's method on the score shift);
* the name of its compiled kernel in ``sklinear._saga_sweep``.

The duality gap (:mod:`sklinear._duality`) keeps its own loss formulas on
purpose: a certificate that shared the solvers' code could not catch its
errors.

Everything here works on small ``(n_rows, n_classes)`` arrays; the caller
does the products with ``X``.
"""

import numpy as np

from .losses import _hinge, _row_max, _row_sums, _softmax

__all__ = ["MulticlassHingeLoss", "SoftmaxLoss", "make_loss"]


def _correct_positions(n_rows, n_classes, y):
    return np.arange(n_rows) * n_classes + y


def _softmax_probabilities(scores):
    """Row-wise softmax, in place, and each row's log-sum-exp."""
    top = _row_max(scores)[:, None]
    scores -= top
    np.exp(scores, out=scores)
    total = _row_sums(scores)[:, None]
    scores /= total
    return scores, (np.log(total) + top).ravel()


def _hinge_margins(scores, y, margin, correct_at):
    """``s_j - s_y + margin`` with the correct class's entry set to -inf."""
    margins = scores - scores.ravel()[correct_at][:, None]
    margins += scores.dtype.type(margin)
    margins.ravel()[correct_at] = -np.inf
    return margins


def _gradient_of_margins(margins, correct_at, mu):
    """The hinge's score gradient from its margins (overwritten)."""
    if mu > 0:
        margins *= margins.dtype.type(1.0 / mu)
        np.clip(margins, 0, 1, out=margins)
    else:
        margins = (margins > 0).astype(margins.dtype)
    margins.ravel()[correct_at] = 0
    margins.ravel()[correct_at] = -margins.sum(axis=1)
    return margins


def _into(values, out):
    if out is None:
        return values
    out[...] = values
    return out


class _Loss:
    """A multiclass loss of the scores; see the module docstring.

    Parameters
    ----------
    margin : float, default=1.0
        The hinge's margin (kept, unused, by the softmax).
    """

    name = None
    #: Whether the loss is smooth (else the solvers smooth it, ``mu > 0``).
    smooth = True
    #: Name of the loss's constant in ``sklinear._saga_sweep``.
    kernel = None

    def __init__(self, margin=1.0):
        self.margin = float(margin)

    def __repr__(self):
        return f"{type(self).__name__}(margin={self.margin!r})"

    def batch_value_gradient(self, scores, y, factors):
        """``sum_i f_i L_i(s_i)`` and its gradient in the scores.

        Parameters
        ----------
        scores : ndarray of shape (n_rows, n_classes)
        y : ndarray of shape (n_rows,)
        factors : ndarray of shape (n_rows,)
            The samples' weights in the objective.

        Returns
        -------
        value : float
        dscores : ndarray of shape (n_rows, n_classes)
            In the dtype of ``scores``.
        """
        raise NotImplementedError

    def per_sample(self, scores, y, mu=0.0, overwrite=False):
        """Each row's loss (the smoothed hinge when ``mu > 0``), in float64.

        Parameters
        ----------
        scores : ndarray of shape (n_rows, n_classes)
        y : ndarray of shape (n_rows,)
        mu : float, default=0.0
            Smoothing of the hinge (ignored by the softmax).
        overwrite : bool, default=False
            Whether float64 ``scores`` may be overwritten (a temporary of
            the caller's: one n x C copy fewer, where a fresh array costs
            its page faults).

        Returns
        -------
        values : ndarray of shape (n_rows,)
        helper : ndarray of shape (n_rows, n_classes)
            What :meth:`intercept_hessian` needs: the softmax probabilities,
            or the hinge margins (-inf at the correct class).
        """
        raise NotImplementedError

    def score_gradient(self, scores, y, mu=0.0, out=None):
        """Gradient of each row's loss in its scores (unweighted).

        Parameters
        ----------
        scores : ndarray of shape (n_rows, n_classes)
            C-contiguous; overwritten when ``out is scores``.
        y : ndarray of shape (n_rows,)
        mu : float, default=0.0
            Smoothing of the hinge (0: a subgradient of the hinge itself).
        out : ndarray, default=None
            Where to write the result (may be ``scores``).

        Returns
        -------
        gradient : ndarray of shape (n_rows, n_classes)
            Rows sum to zero: ``p - onehot(y)`` for the softmax; ``a_j`` off
            the correct class and ``-sum_j a_j`` on it for the hinge, ``a``
            in [0, 1].
        """
        raise NotImplementedError

    def gradient_from_helper(self, helper, y, mu=0.0):
        """:meth:`score_gradient` at the scores :meth:`per_sample` gave
        ``helper`` for (the same values, without a second pass over them).

        Parameters
        ----------
        helper : ndarray of shape (n_rows, n_classes)
            From :meth:`per_sample` at the same ``mu``; overwritten (a
            certificate's peak memory holds one such array fewer).
        y : ndarray of shape (n_rows,)
        mu : float, default=0.0
            Hinge smoothing.

        Returns
        -------
        gradient : ndarray of shape (n_rows, n_classes)
            In float64: ``helper`` itself where it was float64.
        """
        raise NotImplementedError

    def intercept_gradient(self, helper, y, factors, mu=0.0):
        """Gradient of ``sum_i f_i L_i(s_i + t)`` in the score shift ``t``.

        ``factors @ score_gradient(scores)``, from what :meth:`per_sample`
        computed at the same scores (no second pass over them).

        Parameters
        ----------
        helper : ndarray of shape (n_rows, n_classes)
            From :meth:`per_sample`.
        y : ndarray of shape (n_rows,)
        factors : ndarray of shape (n_rows,)
        mu : float, default=0.0
            Hinge smoothing, as given to :meth:`per_sample`.

        Returns
        -------
        gradient : ndarray of shape (n_classes,)
        """
        raise NotImplementedError

    def intercept_hessian(self, helper, y, factors, mu=0.0):
        """Hessian of ``sum_i f_i L_i(s_i + t)`` in the score shift ``t``.

        Parameters
        ----------
        helper : ndarray of shape (n_rows, n_classes)
            From :meth:`per_sample`.
        y : ndarray of shape (n_rows,)
        factors : ndarray of shape (n_rows,)
        mu : float, default=0.0
            Hinge smoothing (must be positive for the hinge).

        Returns
        -------
        hessian : ndarray of shape (n_classes, n_classes)
        """
        raise NotImplementedError

    def score_hessians(self, helper, y, mu=0.0):
        """Each row's Hessian of its loss in its scores (unweighted).

        For Newton's method on small problems (``n_rows x n_classes^2``
        numbers); for the hinge, the generalized Hessian of its smoothing.

        Parameters
        ----------
        helper : ndarray of shape (n_rows, n_classes)
            From :meth:`per_sample`.
        y : ndarray of shape (n_rows,)
        mu : float, default=0.0
            Hinge smoothing (must be positive for the hinge).

        Returns
        -------
        hessians : ndarray of shape (n_rows, n_classes, n_classes)
        """
        raise NotImplementedError

    def score_curvature(self, gradient, y, mu=0.0):
        """Per-row bound on the curvature in the scores, at ``gradient``.

        Parameters
        ----------
        gradient : ndarray of shape (n_rows, n_classes)
            Unweighted score gradients (from :meth:`score_gradient`).
        y : ndarray of shape (n_rows,)
        mu : float, default=0.0
            Hinge smoothing.

        Returns
        -------
        curvature : ndarray of shape (n_rows,)
        """
        raise NotImplementedError


class SoftmaxLoss(_Loss):
    """Multinomial cross-entropy, ``-log softmax(s)_y``."""

    name = "softmax"
    kernel = "SOFTMAX"

    def batch_value_gradient(self, scores, y, factors):
        return _softmax(scores, y, factors)

    def per_sample(self, scores, y, mu=0.0, overwrite=False):
        in_place = overwrite and scores.dtype == np.float64 and scores.flags.writeable
        scores = scores if in_place else np.array(scores, dtype=np.float64)
        correct_at = _correct_positions(*scores.shape, y)
        correct = scores.ravel()[correct_at].copy()
        probabilities, log_sum = _softmax_probabilities(scores)
        return log_sum - correct, probabilities

    def score_gradient(self, scores, y, mu=0.0, out=None):
        correct_at = _correct_positions(*scores.shape, y)
        if out is not scores:
            out = np.array(scores, copy=True) if out is None else _into(scores, out)
        _softmax_probabilities(out)
        out.ravel()[correct_at] -= 1
        return out

    def gradient_from_helper(self, helper, y, mu=0.0):
        gradient = np.asarray(helper, dtype=np.float64)
        gradient.ravel()[_correct_positions(*gradient.shape, y)] -= 1
        return gradient

    def intercept_gradient(self, helper, y, factors, mu=0.0):
        labels = np.bincount(y, weights=factors, minlength=helper.shape[1])
        return factors @ helper - labels

    def intercept_hessian(self, helper, y, factors, mu=0.0):
        # sum_i f_i (diag p_i - p_i p_i^T); with equal factors (no sample
        # weights) the Gram matrix is scaled after, not each row before.
        if factors[0] == factors[-1] and (factors == factors[0]).all():
            gram = factors[0] * (helper.T @ helper)
        else:
            gram = (helper * factors[:, None]).T @ helper
        return np.diag(factors @ helper) - gram

    def score_hessians(self, helper, y, mu=0.0):
        # diag(p) - p p^T for each row.
        hessians = -helper[:, :, None] * helper[:, None, :]
        classes = np.arange(helper.shape[1])
        hessians[:, classes, classes] += helper
        return hessians

    def score_curvature(self, gradient, y, mu=0.0):
        # lambda_max(diag p - p p^T) <= min(1/2, 2 (1 - max_j p_j)).
        probabilities = np.array(gradient, dtype=np.float64)
        probabilities[np.arange(len(y)), y] += 1
        return np.minimum(0.5, 2 * (1 - probabilities.max(axis=1)))

    def curvature_bound(self, n_classes, mu=0.0):
        """Largest curvature in the scores: the Hessian ``diag(p) - p p^T``
        has eigenvalues at most 1/2."""
        return 0.5

    def step_curvature(self, n_classes):
        """The curvature that scales plain SGD steps."""
        return 0.5


class MulticlassHingeLoss(_Loss):
    """The Weston-Watkins hinge ``sum_{j != y} max(0, s_j - s_y + margin)``."""

    name = "hinge"
    smooth = False
    kernel = "HINGE"

    def batch_value_gradient(self, scores, y, factors):
        return _hinge(scores, y, factors, self.margin)

    def per_sample(self, scores, y, mu=0.0, overwrite=False):
        scores = np.asarray(scores, dtype=np.float64)  # read, not written
        correct_at = _correct_positions(*scores.shape, y)
        margins = _hinge_margins(scores, y, self.margin, correct_at)
        positive = np.maximum(margins, 0)
        if mu > 0:
            smoothed = np.where(
                positive < mu, positive**2 / (2 * mu), positive - mu / 2
            )
            return smoothed.sum(axis=1), margins
        return positive.sum(axis=1), margins

    def score_gradient(self, scores, y, mu=0.0, out=None):
        correct_at = _correct_positions(*scores.shape, y)
        margins = _hinge_margins(scores, y, self.margin, correct_at)
        return _into(_gradient_of_margins(margins, correct_at, mu), out)

    def gradient_from_helper(self, helper, y, mu=0.0):
        margins = np.asarray(helper, dtype=np.float64)
        return _gradient_of_margins(margins, _correct_positions(*margins.shape, y), mu)

    def intercept_gradient(self, helper, y, factors, mu=0.0):
        # The margins are -inf at the correct class: a = 0 there.
        if mu > 0:
            slopes = np.clip(helper / mu, 0.0, 1.0)
        else:
            slopes = (helper > 0).astype(np.float64)
        totals = np.bincount(
            y, weights=factors * slopes.sum(axis=1), minlength=helper.shape[1]
        )
        return factors @ slopes - totals

    def intercept_hessian(self, helper, y, factors, mu=0.0):
        band = ((helper > 0) & (helper < mu)) * (factors[:, None] / mu)
        onehot = np.zeros_like(band)
        onehot[np.arange(len(y)), y] = 1
        cross = band.T @ onehot
        diagonal = band.sum(axis=0) + onehot.T @ band.sum(axis=1)
        return np.diag(diagonal) - cross - cross.T

    def score_hessians(self, helper, y, mu=0.0):
        # Each margin in the band (0, mu) adds (e_j - e_y)(e_j - e_y)^T / mu.
        band = ((helper > 0) & (helper < mu)) / mu
        rows, classes = np.arange(len(y)), np.arange(helper.shape[1])
        hessians = np.zeros(helper.shape + (helper.shape[1],))
        hessians[:, classes, classes] = band
        hessians[rows, y, y] = band.sum(axis=1)
        hessians[rows, y, :] -= band
        hessians[rows, :, y] -= band
        return hessians

    def score_curvature(self, gradient, y, mu=0.0):
        # Margins in the band have a in (0, 1); with k of them the Hessian's
        # largest eigenvalue is (k + 1) / mu.
        a = np.array(gradient, dtype=np.float64)
        a[np.arange(len(y)), y] = 0
        in_band = ((a > 0) & (a < 1)).sum(axis=1)
        return np.where(in_band > 0, (in_band + 1) / mu, 0.0)

    def curvature_bound(self, n_classes, mu):
        """Largest curvature in the scores of the hinge smoothed by ``mu``."""
        return n_classes / mu

    def step_curvature(self, n_classes):
        """The hinge has no curvature, but its gradient in the correct class's
        score is up to ``C - 1`` (one per violated margin): steps of the
        same scale as the softmax's need ``C - 1``."""
        return max(1, n_classes - 1)


_LOSSES = {loss.name: loss for loss in (SoftmaxLoss, MulticlassHingeLoss)}


def make_loss(name, margin=1.0):
    """The loss object called ``name``.

    Parameters
    ----------
    name : {'softmax', 'hinge'}
    margin : float, default=1.0
        The hinge's margin.

    Returns
    -------
    loss : SoftmaxLoss or MulticlassHingeLoss

    Raises
    ------
    ValueError
        For any other name.

    Examples
    --------
    >>> from sklinear._loss import make_loss
    >>> make_loss("hinge", margin=2.0)
    MulticlassHingeLoss(margin=2.0)
    >>> make_loss("softmax").curvature_bound(n_classes=10)
    0.5
    """
    if name not in _LOSSES:
        raise ValueError(f"loss must be 'hinge' or 'softmax', got {name!r}.")
    return _LOSSES[name](margin)
