"""The conjugates' domains and values, and how a dual point is made feasible.

The math is in the docstring of :mod:`sklinear._duality`. A dual point
``theta`` has one row per sample: ``e_y - p`` with ``p`` in the simplex for
the softmax loss; ``-beta_c`` off the label and ``sum(beta)`` on it, with
``beta`` in [0, 1], for the hinge.
"""

import numpy as np

from .._loss import _correct_positions
from ..losses import _row_max, _row_sums


def _add_at_labels(values, y, amount):
    """``values[i, y_i] += amount`` for every row ``i``: through flat
    positions where ``values`` is C-contiguous (1,797 x 10: 5 us against
    16 for the pair of index arrays)."""
    if values.flags.c_contiguous:
        values.reshape(-1)[_correct_positions(*values.shape, y)] += amount
    else:
        values[np.arange(len(y)), y] += amount


def _one_hot(y, n_classes, values=1.0):
    """``values`` (one per row, or one for all) at ``(i, y_i)``, zeros
    elsewhere."""
    one_hot = np.zeros((len(y), n_classes))
    one_hot[np.arange(len(y)), y] = values
    return one_hot


def _zero_unweighted(theta, a):
    # Zero-weight samples appear nowhere in P or D: theta = 0 is in both
    # domains and keeps the returned point tidy.
    theta[a == 0] = 0.0


def _loss_and_theta(scores, y, loss, margin, present):
    """Per-sample losses and minus their gradients (restricted to the
    ``present`` classes, if given)."""
    if loss == "softmax":
        return _softmax_and_theta(scores, y, present)
    if loss == "hinge":
        return _hinge_and_theta(scores, y, margin, present)
    raise ValueError(f"loss must be 'hinge' or 'softmax', got {loss!r}.")


def _softmax_and_theta(scores, y, present):
    rows = np.arange(len(y))
    shifted = scores - _row_max(scores)[:, None]
    exp = np.exp(shifted)
    per_sample = np.log(_row_sums(exp)) - shifted[rows, y]
    if present is not None and not present.all():
        # The softmax over the present classes: every row keeps its largest
        # present score at exp(0) = 1, so the sum cannot underflow to 0.
        restricted = np.where(present, scores, -np.inf)
        exp = np.exp(restricted - _row_max(restricted)[:, None])
    theta = -exp / _row_sums(exp)[:, None]
    theta[rows, y] += 1.0
    return per_sample, theta


def _hinge_and_theta(scores, y, margin, present):
    rows = np.arange(len(y))
    margins = scores - scores[rows, y][:, None] + margin
    margins[rows, y] = 0.0
    per_sample = np.maximum(margins, 0.0).sum(axis=1)
    beta = (margins > 0).astype(np.float64)
    if present is not None:
        beta[:, ~present] = 0.0
    return per_sample, _theta_from_beta(beta, y)


def _theta_from_beta(beta, y):
    """``theta = -beta`` off the label, ``sum(beta)`` on it (``beta[i, y_i]``
    is ignored); ``beta`` is overwritten (it becomes theta)."""
    rows = np.arange(len(y))
    beta[rows, y] = 0.0
    total = beta.sum(axis=1)
    theta = np.negative(beta, out=beta)
    theta[rows, y] = total
    return theta


def _clean_theta(theta, y, loss):
    """Project a caller's (or a rounded) ``theta`` into the loss conjugate's
    domain: clip probabilities at 0 and renormalize, clip ``beta`` to [0, 1].

    ``theta`` is overwritten (its callers pass arrays of their own): at the
    certificate's peak, each n x C array is several times X when there are
    many classes and few features."""
    if loss == "hinge":
        beta = np.negative(theta, out=theta)
        return _theta_from_beta(np.clip(beta, 0.0, 1.0, out=beta), y)
    p = np.negative(theta, out=theta)
    _add_at_labels(p, y, 1.0)
    np.maximum(p, 0.0, out=p)
    total = _row_sums(p)
    empty = total == 0
    p[empty, y[empty]] = total[empty] = 1.0
    p /= total[:, None]
    theta = np.negative(p, out=p)
    _add_at_labels(theta, y, 1.0)
    return theta


def _restricted(theta, y, a, present, loss):
    """A caller's ``theta`` with the absent classes left out (see the module
    docstring); zero-weight samples get 0."""
    if present is not None and not present.all():
        theta[:, ~present] = 0.0  # then the label's entry is made consistent
        theta = _clean_theta(theta, y, loss)
    _zero_unweighted(theta, a)
    return theta


def _restore_intercept(theta, Z, class_sums, y, a, present, loss):
    """Shift and mix ``theta`` (overwritten) so that ``sum_i a_i theta_i = 0``
    holds inside the loss conjugate's domain; ``Z`` follows in closed form."""
    shift = -(a @ theta)
    interior = _interior_point(a, y, present, loss)
    theta += shift
    t = _mixing_weight(theta, interior, y, a, present, loss)
    # (1 - t) theta + t interior[y], interior[y] by blocks of rows (none
    # where theta is feasible already, as near an optimum it often is).
    if t > 0:
        theta *= 1.0 - t
        for start in range(0, len(y), _MIXING_ROWS):
            block = slice(start, start + _MIXING_ROWS)
            theta[block] += t * interior[y[block]]
    theta = _clean_theta(theta, y, loss)
    _zero_unweighted(theta, a)
    # (1 - t) (Z + shift mean_row^T) + t interior^T class_sums, in one new
    # array (Z is not written to): this is at a check's peak of memory, where
    # a fresh n_classes x n_features temporary cost up to 0.15 s at 100,000
    # features and 20 classes, in page faults.
    moved = np.multiply.outer(shift, class_sums.sum(axis=0))
    moved += Z
    if t > 0:
        moved *= 1.0 - t
        for row, weights in zip(moved, t * interior.T):
            row += weights @ class_sums
    return theta, moved


def _softmax_theta_at_best_intercept(scores, y, a, present, max_iter=50):
    """``e_y - p`` with ``p`` the probabilities at ``scores + delta``, where
    ``delta`` minimizes the weighted softmax loss (Newton's method, with
    backtracking). Its stationarity, ``sum_i a_i p_i = pi``, is the intercept
    constraint, met here inside the simplex."""
    frequency = np.bincount(y, weights=a, minlength=scores.shape[1])
    restricted = np.where(present, scores, -np.inf)
    delta = np.zeros(scores.shape[1])
    loss, p = _softmax_loss_probabilities(restricted, y, a)
    for _ in range(max_iter):
        gradient = a @ p - frequency
        if np.abs(gradient).max() <= 1e-13:  # a few ulps of the sums of 1
            break
        step = _newton_step(p, a, gradient, present)
        moved = _backtracked(restricted, y, a, delta, step, gradient, loss)
        if moved is None:  # no decrease left: rounding level
            break
        loss, p, delta = moved
    theta = -p
    theta[np.arange(len(y)), y] += 1.0
    return theta


def _softmax_loss_probabilities(scores, y, a):
    largest = _row_max(scores)[:, None]
    exp = np.exp(scores - largest)
    total = _row_sums(exp)
    # A zero-weight sample of an absent class has a score of -inf: left out.
    counted = a > 0
    per_sample = np.log(total[counted]) + largest[counted, 0]
    per_sample -= scores[np.flatnonzero(counted), y[counted]]
    return float(a[counted] @ per_sample), exp / total[:, None]


def _newton_step(p, a, gradient, present):
    """Solve ``H step = -gradient`` on the present classes; ``H = sum_i a_i
    (diag p_i - p_i p_i^T)`` is singular along the all-ones direction (a
    common shift changes nothing), hence least squares."""
    hessian = np.diag(a @ p) - (a[:, None] * p).T @ p
    kept = np.flatnonzero(present)
    step = np.zeros(len(present))
    step[kept] = np.linalg.lstsq(
        hessian[np.ix_(kept, kept)], -gradient[kept], rcond=None
    )[0]
    return step


def _backtracked(scores, y, a, delta, step, gradient, loss):
    """The largest step of 1, 1/2, ... that decreases the loss enough: the
    new loss, probabilities and ``delta``, or None."""
    slope = float(gradient @ step)
    size = 1.0
    for _ in range(20):
        shifted = scores + (delta + size * step)
        new_loss, new_p = _softmax_loss_probabilities(shifted, y, a)
        if new_loss <= loss + 1e-4 * size * slope:
            return new_loss, new_p, delta + size * step
        size /= 2
    return None


def _interior_point(a, y, present, loss):
    """Rows ``v_k``: a dual point of every sample of class ``k`` that meets the
    intercept constraint strictly inside the domain (module docstring)."""
    n_classes = len(present)
    frequency = np.bincount(y, weights=a, minlength=n_classes)
    if loss == "softmax":
        return np.eye(n_classes) - frequency
    gamma = 0.5 * frequency[present].min()
    safe = np.where(present, frequency, 1.0)
    beta = np.where(present, gamma / safe, 0.0)[:, None] * present
    return _theta_from_beta(beta, np.arange(n_classes))


# Rows per block of the certificate's per-row work (the mixing weight, the
# conjugates, the losses, the smoothed hinge): its masks and ratios are a
# few n x C arrays at once, which with many classes outweighed X many times
# over (50,000 x 50 float32 rows, 100 classes: a check peaked at 575 MB).
_MIXING_ROWS = 4096


def _mixing_weight(shifted, interior, y, a, present, loss):
    """Smallest ``t`` with ``(1 - t) shifted + t interior[y]`` in the domain
    (``interior`` holds one row per class), a block of rows at a time.

    Each constrained entry must stay below ``upper`` (softmax: ``p >= 0``,
    i.e. ``theta_ic <= [c = y_i]``) and, for the hinge, above -1 (``beta <=
    1``); the interior point is strictly inside, so ``t < 1``.
    """
    t = 0.0
    for start in range(0, len(y), _MIXING_ROWS):
        rows = slice(start, start + _MIXING_ROWS)
        t = max(
            t,
            _block_mixing_weight(
                shifted[rows], interior[y[rows]], y[rows], a[rows], present, loss
            ),
        )
    return t


def _block_mixing_weight(shifted, interior, y, a, present, loss):
    """:func:`_mixing_weight` of a block of rows (``interior`` per row).

    Near an optimum few entries, often none, are violated: the ratios are
    computed at those entries alone (two comparisons over the block, not a
    dozen passes)."""
    rows = np.arange(len(y))
    # Every entry is constrained where every sample counts and every class
    # is present (the usual case): no mask to build then.
    everywhere = present.all() and bool((a > 0).all())
    constrained = None if everywhere else (a > 0)[:, None] & present[None, :]
    if loss == "hinge":  # beta in [0, 1] off the label: theta in [-1, 0]
        if constrained is None:
            constrained = np.ones(shifted.shape, dtype=bool)
        constrained[rows, y] = False
        t_over = _largest_ratio(shifted, interior, constrained, shifted > 0.0, 0.0)
        t_under = _largest_ratio(shifted, interior, constrained, shifted < -1.0, -1.0)
        return max(t_over, t_under)
    # p >= 0: theta at most 1 on the label, 0 elsewhere.
    over = shifted > 0.0
    if shifted.flags.c_contiguous:  # (over is: made here)
        at_labels = _correct_positions(*shifted.shape, y)
        over.reshape(-1)[at_labels] = shifted.reshape(-1)[at_labels] > 1.0
    else:
        over[rows, y] = shifted[rows, y] > 1.0
    return _largest_ratio(shifted, interior, constrained, over, y)


def _largest_ratio(shifted, interior, constrained, violated, bound):
    """The largest ``(shifted - bound) / (shifted - interior)`` over the
    violated constrained entries (0 if none; ``constrained`` None: every
    entry is); ``bound`` a number, or for the
    softmax the labels (1 at each row's label, 0 elsewhere)."""
    if constrained is not None:
        violated &= constrained
    # Flat positions: np.nonzero of a 2-D mask took 39 us at 1,797 x 10.
    at = np.flatnonzero(violated)
    if not at.size:
        return 0.0
    at_rows, at_columns = np.divmod(at, violated.shape[1])
    if isinstance(bound, np.ndarray):
        bound = (at_columns == bound[at_rows]).astype(np.float64)
    values = shifted[at_rows, at_columns]
    # Where an entry is violated its distance to the interior one is larger
    # than the violation, so these ratios lie in [0, 1).
    ratios = (values - bound) / (values - interior[at_rows, at_columns])
    return float(ratios.max())


def _scale_into_l1_ball(theta, Z, alpha_l1):
    """Scale ``theta`` (and ``Z``) so that ``||Z||_inf <= alpha_l1``."""
    largest = float(np.abs(Z).max(initial=0.0))
    if largest <= alpha_l1:
        return theta, Z
    scale = alpha_l1 / largest
    return scale * theta, scale * Z


def _minus_loss_conjugate(theta, y, loss, margin):
    """``-loss_i^*(-theta_i)`` per sample (``theta`` in the domain)."""
    rows = np.arange(len(y))
    if loss == "hinge":
        return margin * theta[rows, y]
    values = np.empty(len(y))
    # By blocks of rows: its temporaries stay small next to theta.
    for start in range(0, len(y), _MIXING_ROWS):
        block = slice(start, start + _MIXING_ROWS)
        p = -theta[block]
        _add_at_labels(p, y[block], 1.0)
        np.maximum(p, 0.0, out=p)  # rounding of e_y - theta
        values[block] = -_row_sums(p * np.log(np.where(p > 0, p, 1.0)))
    return values


def _penalty_value(W, alpha_l1, alpha_l2, max_norm):
    W = np.asarray(W, dtype=np.float64)
    value = 0.5 * alpha_l2 * float(np.vdot(W, W))
    if alpha_l1 != 0:  # |W|_1 is a pass and a copy of W (20 ms at 2M weights)
        value += alpha_l1 * float(np.abs(W).sum())
    if max_norm is not None:
        # Rows projected in the weights' own precision may exceed the radius
        # by its last digit: that much is rounding, not infeasibility.
        slack = 4 * np.finfo(np.result_type(W.dtype, np.float32)).eps
        if np.linalg.norm(W, axis=1).max(initial=0.0) > max_norm * (1 + slack):
            return np.inf
    return float(value)


def _penalty_conjugate(Z, alpha_l1, alpha_l2, max_norm):
    """``g^*(Z)``: a Huber function of each soft-thresholded row's norm."""
    if alpha_l2 == 0 and max_norm is None:
        return 0.0  # ||Z||_inf <= alpha_l1 was enforced by the scaling
    if alpha_l1 == 0 and max_norm is None:  # L2 alone: |Z|^2 / (2 alpha_l2)
        return float(np.vdot(Z, Z)) / (2.0 * alpha_l2)
    residual = np.sign(Z) * np.maximum(np.abs(Z) - alpha_l1, 0.0)
    norms = np.linalg.norm(residual, axis=1)
    if max_norm is None:
        return float(np.sum(norms**2)) / (2.0 * alpha_l2)
    inside = norms <= alpha_l2 * max_norm
    quadratic = norms**2 / (2.0 * alpha_l2) if alpha_l2 > 0 else 0.0
    linear = max_norm * norms - 0.5 * alpha_l2 * max_norm**2
    return float(np.sum(np.where(inside, quadratic, linear)))
