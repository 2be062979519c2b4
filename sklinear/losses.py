"""Multiclass losses on a batch of class scores, with analytic gradients.

Each loss takes ``scores`` of shape ``(n_samples, n_classes)`` and integer class
indices ``y`` of shape ``(n_samples,)`` and returns ``(loss, dscores)``: the
(weighted) mean loss over the samples and its gradient with respect to
``scores``. They are pure functions: inputs are never modified, and float32
scores give a float32 gradient.

With sample weights :math:`w_i` the loss is
:math:`L = \\sum_i w_i L_i / \\sum_i w_i`, so an integer weight ``k`` counts a
sample exactly as ``k`` copies of it would.
"""

import numbers

import numpy as np

__all__ = ["multiclass_hinge_loss", "softmax_loss", "LOSSES"]


def _check_scores_labels(scores, y, sample_weight):
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise ValueError(
            f"scores must be 2-D (n_samples, n_classes), got shape {scores.shape}."
        )
    if scores.dtype.kind not in "fiub":
        raise ValueError(f"scores must be real numbers, got dtype {scores.dtype}.")
    if not np.issubdtype(scores.dtype, np.floating):
        scores = scores.astype(np.float64)
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite: they contain NaN or inf.")
    y = np.asarray(y)
    if y.shape != (scores.shape[0],):
        raise ValueError(
            f"y must have shape ({scores.shape[0]},) to match scores, got {y.shape}."
        )
    if y.size and (
        not np.issubdtype(y.dtype, np.integer)
        or y.min() < 0
        or y.max() >= scores.shape[1]
    ):
        raise ValueError(
            f"y must hold integer class indices in [0, {scores.shape[1] - 1}]."
        )
    weights = _normalized_weights(sample_weight, scores.shape[0], scores.dtype)
    return scores, y.astype(np.intp, copy=False), weights


def _normalized_weights(sample_weight, n_samples, dtype):
    """Per-sample factors ``w_i / sum(w)`` (``1 / n`` without weights)."""
    if sample_weight is None:
        return np.full(n_samples, 1.0 / max(n_samples, 1), dtype=dtype)
    # Checked and normalized in float64: weights that a float32 score array
    # could not hold (1e39, 1e-46) are still valid once divided by their sum.
    sample_weight = _checked_sample_weight(sample_weight, n_samples)
    return (sample_weight / sample_weight.sum()).astype(dtype, copy=False)


def _checked_sample_weight(sample_weight, n_samples):
    """``sample_weight`` as float64, checked: finite, non-negative, one per
    sample, with a positive sum."""
    sample_weight = np.asarray(sample_weight, dtype=np.float64)
    if sample_weight.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), got {sample_weight.shape}."
        )
    if not np.isfinite(sample_weight).all() or (sample_weight < 0).any():
        raise ValueError("sample_weight must be finite and non-negative.")
    if not sample_weight.sum() > 0:
        raise ValueError("sample_weight must have a positive sum.")
    return sample_weight


def multiclass_hinge_loss(scores, y, margin=1.0, sample_weight=None):
    """Multiclass SVM (Weston-Watkins) hinge loss and its gradient.

    For one sample with scores :math:`s` and correct class :math:`y_i`,

    .. math:: L_i = \\sum_{j \\ne y_i} \\max(0, s_j - s_{y_i} + \\Delta)

    where :math:`\\Delta` is the ``margin``. The returned loss is the weighted
    mean of :math:`L_i`. The gradient is a subgradient at the kinks: a margin
    that is exactly zero counts as inactive.

    Parameters
    ----------
    scores : array-like of shape (n_samples, n_classes)
        Class scores, e.g. ``X @ W.T + b``.
    y : array-like of shape (n_samples,)
        Integer index of the correct class of each sample.
    margin : float, default=1.0
        The margin :math:`\\Delta` by which the correct class should lead.
    sample_weight : array-like of shape (n_samples,), default=None
        Weight of each sample; ``None`` weighs all samples equally.

    Returns
    -------
    loss : float
        Weighted mean loss.
    dscores : ndarray of shape (n_samples, n_classes)
        Gradient of ``loss`` with respect to ``scores``, same dtype as scores.

    Examples
    --------
    The lecture's three images (columns cat, car, frog of the slide, one row
    per image here); the frog image's loss is ``max(0, 2.2 + 3.1 + 1) +
    max(0, 2.5 + 3.1 + 1) = 6.3 + 6.6 = 12.9`` (the user guide's chapter on
    losses works the example through).

    >>> import numpy as np
    >>> from sklinear.losses import multiclass_hinge_loss
    >>> scores = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
    >>> loss, dscores = multiclass_hinge_loss(scores, np.array([0, 1, 2]))
    >>> round(loss, 4)  # (2.9 + 0 + 12.9) / 3
    5.2667
    >>> dscores.round(4)
    array([[-0.3333,  0.3333,  0.    ],
           [ 0.    ,  0.    ,  0.    ],
           [ 0.3333,  0.3333, -0.6667]])
    """
    scores, y, weights = _check_scores_labels(scores, y, sample_weight)
    if not (isinstance(margin, numbers.Real) and np.isfinite(margin) and margin > 0):
        raise ValueError(f"margin must be a positive number, got {margin!r}.")
    return _hinge(scores, y, weights, margin)


def _with_correct_positions(scores, y):
    """C-ordered scores and the flat positions of each sample's correct class.

    ``scores.ravel()[positions]`` reads or writes the correct-class scores:
    cheaper than ``scores[rows, y]`` indexing on a batch of a few classes.
    """
    scores = np.ascontiguousarray(scores)  # flat positions need C order
    n_samples, n_classes = scores.shape
    return scores, np.arange(n_samples) * n_classes + y


def _hinge(scores, y, weights, margin=1.0):
    """Unchecked hinge loss; ``weights`` are normalized to sum to one."""
    scores, correct_at = _with_correct_positions(scores, y)
    n_classes = scores.shape[1]
    correct = scores.ravel()[correct_at]
    margins = scores - correct[:, None]
    margins += scores.dtype.type(margin)
    # Zero at the correct class, unless its score is NaN or infinite: NaN
    # must never give a finite loss, not even with one class (no other
    # margin to carry it).
    margins.ravel()[correct_at] = correct - correct
    np.maximum(margins, 0, out=margins)
    # Row sums as products with ones: several times faster than .sum(axis=1)
    # on rows of a few classes.
    ones = np.ones(n_classes, dtype=scores.dtype)
    per_sample = margins @ ones
    loss = float(weights @ per_sample.astype(np.float64, copy=False))
    # d/ds_j = 1 for every active margin j != y; d/ds_y = -(number active).
    dscores = (margins > 0).astype(scores.dtype)
    dscores.ravel()[correct_at] = 0 - dscores @ ones  # 0 - x: no -0.0 entries
    dscores *= weights[:, None]
    return loss, dscores


def softmax_loss(scores, y, sample_weight=None):
    """Multinomial cross-entropy (softmax) loss and its gradient.

    .. math:: L_i = -\\log \\frac{e^{s_{y_i}}}{\\sum_j e^{s_j}}

    computed stably by shifting each row by its maximum. The gradient with
    respect to the scores is ``softmax(s) - onehot(y)``, weighted.

    Parameters
    ----------
    scores : array-like of shape (n_samples, n_classes)
        Class scores (unnormalized log probabilities).
    y : array-like of shape (n_samples,)
        Integer index of the correct class of each sample.
    sample_weight : array-like of shape (n_samples,), default=None
        Weight of each sample; ``None`` weighs all samples equally.

    Returns
    -------
    loss : float
        Weighted mean negative log-likelihood.
    dscores : ndarray of shape (n_samples, n_classes)
        Gradient of ``loss`` with respect to ``scores``, same dtype as scores.

    Examples
    --------
    The lecture's cat image with scores cat 3.2, car 5.1, frog -1.7: the
    probabilities are 0.13, 0.87 and 0.00, and the loss is ``-ln(0.13)``.

    >>> import numpy as np
    >>> from sklinear.losses import softmax_loss
    >>> loss, dscores = softmax_loss(np.array([[3.2, 5.1, -1.7]]), np.array([0]))
    >>> round(loss, 4)
    2.0404
    >>> dscores.round(2)  # probabilities minus the one-hot label
    array([[-0.87,  0.87,  0.  ]])
    """
    scores, y, weights = _check_scores_labels(scores, y, sample_weight)
    return _softmax(scores, y, weights)


def _softmax(scores, y, weights):
    """Unchecked softmax loss; ``weights`` are normalized to sum to one."""
    scores, correct_at = _with_correct_positions(scores, y)
    n_classes = scores.shape[1]
    shifted = scores - _row_max(scores)[:, None]
    correct = shifted.ravel()[correct_at]
    # Probabilities below the smallest normal float would be subnormal, which
    # makes every later product (the gradient dscores.T @ X) many times slower;
    # raising them to it changes each by less than 1e-37 (float32).
    np.maximum(shifted, np.log(np.finfo(shifted.dtype).tiny), out=shifted)
    exp = np.exp(shifted, out=shifted)
    sum_exp = exp @ np.ones(n_classes, dtype=exp.dtype)
    log_likelihood = correct - np.log(sum_exp)
    loss = -float(weights @ log_likelihood.astype(np.float64, copy=False))
    # Weighted probabilities minus the weighted one-hot labels.
    dscores = exp
    dscores *= (weights / sum_exp)[:, None]
    dscores.ravel()[correct_at] -= weights
    return loss, dscores


# Up to this many classes, a row max one column at a time beats .max(axis=1).
_COLUMNWISE_MAX_CLASSES = 32


def _row_max(scores):
    """Maximum of each row.

    With few columns, one column at a time is 2 to 10 times faster than
    ``scores.max(axis=1)``, whose inner loop would run over a handful of
    elements per row; with many columns the loop over them costs more.
    """
    if scores.shape[1] > _COLUMNWISE_MAX_CLASSES:
        return scores.max(axis=1)
    maximum = scores[:, 0].copy()
    for column in scores.T[1:]:
        np.maximum(maximum, column, out=maximum)
    return maximum


def _row_sums(values):
    """Sum of each row, as a product with ones: 5 to 7 times faster than
    ``values.sum(axis=1)`` on rows of a few to 20 entries (1,797 rows:
    37 us against 6), whose inner loop runs over a handful of elements."""
    return values @ np.ones(values.shape[1], dtype=values.dtype)


LOSSES = {"hinge": multiclass_hinge_loss, "softmax": softmax_loss}
