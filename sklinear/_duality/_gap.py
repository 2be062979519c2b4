"""The duality gap: the scores (unless given), one pass over the data for
``sum_i a_i theta_i x_i^T``, then the dual points' values.

The math is in the docstring of :mod:`sklinear._duality`.
"""

import math
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from .. import _csr_products as csr_products
from ..penalties import L1, L2, ElasticNet, MaxNorm, NoPenalty
from ._domains import (
    _MIXING_ROWS,
    _clean_theta,
    _loss_and_theta,
    _minus_loss_conjugate,
    _one_hot,
    _penalty_conjugate,
    _penalty_value,
    _restore_intercept,
    _restricted,
    _scale_into_l1_ball,
    _softmax_theta_at_best_intercept,
    _zero_unweighted,
)
from ._polish import polished_candidates

__all__ = [
    "DualityGap",
    "PreparedGap",
    "duality_gap",
    "penalty_arguments",
    "penalty_strengths",
]

# Rows of X per chunk: about 2 MB once converted to float64, so that a float32
# or sparse X is never converted (copied) as a whole.
_CHUNK_BYTES = 2**21
# Float64 dense rows (read in place) go to a product this many at least.
_MIN_BLOCK_ROWS = 4096


class DualityGap(NamedTuple):
    """The result of :func:`duality_gap`.

    Attributes
    ----------
    primal : float
        :math:`P(W, b)` (``inf`` if a row of ``W`` exceeds ``max_norm``).
    dual : float
        :math:`D(\\Theta)` of the feasible dual point: a lower bound on the
        optimal value :math:`P^*`.
    gap : float
        ``primal - dual``, an upper bound on ``primal - P*`` (it can be
        negative by rounding only, at an optimum).
    relative_gap : float
        ``gap / primal`` (0 when both are 0); see the module docstring.
    theta : ndarray of shape (n_samples, n_classes)
        The feasible dual point, float64: :math:`e_{y_i} - p_i` (softmax) or
        :math:`-\\beta_{ic}` off the label and :math:`\\sum_c \\beta_{ic}` on
        it (hinge).
    """

    primal: float
    dual: float
    gap: float
    relative_gap: float
    theta: np.ndarray


def duality_gap(
    X,
    y,
    W,
    b=None,
    *,
    loss,
    margin=1.0,
    sample_weight=None,
    fit_intercept=True,
    alpha_l1=0.0,
    alpha_l2=0.0,
    max_norm=None,
    scores=None,
    theta=None,
    polish=True,
):
    """Primal value, a certified lower bound on the optimum, and their gap.

    See the module docstring for the objective, the dual and the proof.

    Parameters
    ----------
    X : ndarray or scipy.sparse CSR matrix of shape (n_samples, n_features)
        Training data, float32 or float64; never copied as a whole (it is
        read in chunks of rows, converted to float64 one chunk at a time).
    y : ndarray of shape (n_samples,)
        Integer class indices in ``[0, n_classes)``.
    W : ndarray of shape (n_classes, n_features)
        Weights.
    b : ndarray of shape (n_classes,), default=None
        The intercept of the model ``X @ W.T + b`` (with
        :class:`~sklinear.objective.LinearObjective`'s ``center``, pass
        ``objective.intercept(W, c)``). Ignored without ``fit_intercept``.
    loss : {'hinge', 'softmax'}
        Weston-Watkins hinge or multinomial cross-entropy.
    margin : float, default=1.0
        The hinge's margin :math:`\\Delta`.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative weights; None weighs the samples equally.
    fit_intercept : bool, default=True
        Whether ``b`` is a free variable (it adds the intercept constraint).
    alpha_l1, alpha_l2 : float, default=0.0
        Strengths of :math:`\\|W\\|_1` and :math:`\\frac12\\|W\\|_F^2`; see
        :func:`penalty_strengths`.
    max_norm : float, default=None
        Bound on the L2 norm of each class row of ``W``.
    scores : ndarray of shape (n_samples, n_classes), default=None
        ``X @ W.T + b`` if the caller has it: it saves one of the two passes
        over ``X`` (the other computes ``sum_i a_i theta_i x_i^T``). ``P``
        is computed from them, in float64 (float32 scores limit the gap's
        accuracy to float32 rounding).
    theta : ndarray of shape (n_samples, n_classes), default=None
        A dual point to use instead of minus the loss gradients at ``scores``
        (e.g. an average of past ones); it is first clipped into the loss
        conjugate's domain, then made feasible like the default one. The
        per-sample ``dscores`` of :mod:`sklinear.losses` are
        ``-a_i * theta_i``.
    polish : bool, default=True
        For the hinge loss, also try dual points whose near-margin pairs get
        their ``beta`` from stationarity (:mod:`sklinear._duality._polish`)
        and keep the best: without it the hinge's gap does not go to 0 at the
        optimum. Ignored for the softmax loss.

    Returns
    -------
    result : DualityGap
        ``(primal, dual, gap, relative_gap, theta)``.

    Notes
    -----
    Cost: the scores (one pass over ``X``, skipped if given), one pass for
    ``X^T Theta`` (two or three sets of ``n_classes`` columns at once), and
    ``O(n_samples n_classes)`` work on a few float64 arrays of that shape;
    ``X`` is read in chunks of rows and never copied whole. The hinge's
    polishing adds, for the ``k <= 1000`` pairs nearest the margin, a
    ``k x k`` Gram matrix and up to three ``O(k^3)`` solves.

    Examples
    --------
    >>> import numpy as np
    >>> from sklinear._duality import duality_gap
    >>> X = np.array([[1.0, 2.0], [2.0, 0.5], [0.0, -1.0], [1.0, 1.0]])
    >>> y = np.array([0, 1, 2, 0])
    >>> W, b = np.zeros((3, 2)), np.zeros(3)
    >>> result = duality_gap(X, y, W, b, loss="softmax", alpha_l2=1.0)
    >>> round(result.primal, 4)  # log(3) at zero weights
    1.0986
    >>> round(result.gap, 4)  # so the optimum lies in [0.7985, 1.0986]
    0.3001
    """
    prepared = PreparedGap(
        X, y, W.shape[0], loss=loss, margin=margin, sample_weight=sample_weight,
        fit_intercept=fit_intercept, alpha_l1=alpha_l1, alpha_l2=alpha_l2,
        max_norm=max_norm,
    )  # fmt: skip
    return prepared(W, b, scores=scores, theta=theta, polish=polish)


class PreparedGap:
    """:func:`duality_gap` of one data set and objective, for many ``W``.

    The checks of ``y`` and ``sample_weight``, the normalized weights, the
    classes present and (after the first call) the class sums ``sum_{y_i =
    k} a_i x_i`` are made once: a solver's checks then pay only for what
    depends on ``W``. Parameters as in :func:`duality_gap`, with
    ``n_classes`` the rows of ``W``. After a call with a ``theta``,
    ``last_theta_sum`` holds its ``sum_i a_i theta_i x_i^T`` (float64) where
    the certificate used it changed by rounding only (every class present),
    else None: a solver whose memory needs that sum reads X once less. (It is
    the caller's ``theta_sum`` itself where one was passed: the gap writes
    into no ``Z``, and a copy of ``n_classes x n_features`` values took 0.14
    s at 100,000 features and 20 classes.)

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [2.0, 0.5], [0.0, -1.0], [1.0, 1.0]])
    >>> gap = PreparedGap(X, np.array([0, 1, 2, 0]), 3, loss="softmax", alpha_l2=1.0)
    >>> round(gap(np.zeros((3, 2)), np.zeros(3)).gap, 4)  # as duality_gap's
    0.3001
    """

    def __init__(
        self, X, y, n_classes, *, loss, margin=1.0, sample_weight=None,
        fit_intercept=True, alpha_l1=0.0, alpha_l2=0.0, max_norm=None,
    ):  # fmt: skip
        if loss not in ("hinge", "softmax"):
            raise ValueError(f"loss must be 'hinge' or 'softmax', got {loss!r}.")
        self.X, self.n_classes = X, n_classes
        self.a = _normalized_weights(sample_weight, X.shape[0])
        self.y = _checked_labels(y, X.shape[0], n_classes)
        present = _present_classes(self.y, self.a, n_classes) if fit_intercept else None
        self.settings = {
            "loss": loss,
            "margin": margin,
            "present": present,
            "alpha_l1": alpha_l1,
            "alpha_l2": alpha_l2,
            "max_norm": max_norm,
        }
        self.class_sums = None
        self.last_theta_sum = None

    def __call__(
        self, W, b=None, *, scores=None, theta=None, polish=True, theta_sum=None,
        losses=None, overwrite_theta=False,
    ):  # fmt: skip
        """The :class:`DualityGap` at ``(W, b)``; see :func:`duality_gap`.

        ``theta_sum``, the caller's ``sum_i a_i theta_i x_i^T`` for its
        ``theta`` (float64, the solvers' SAGA memory already holds it),
        spares the pass over ``X`` for it once the class sums are known: for
        a ``theta`` in the conjugate's domain, as minus a loss gradient is,
        cleaning it changes it by rounding only. It is ignored where the
        absent classes must be left out of ``theta`` (which changes it).
        ``losses``, the per-sample losses at ``scores`` with ``theta`` given,
        spares computing them again (the certificate's best intercept has
        them). ``overwrite_theta`` lets a float64 ``theta`` (a temporary of
        the caller's) be made feasible in place: one n x C copy fewer.
        """
        X, y, a, settings = self.X, self.y, self.a, self.settings
        loss, present = settings["loss"], settings["present"]
        if W.shape[0] != self.n_classes:
            raise ValueError(
                f"W must have {self.n_classes} rows (classes), got {W.shape[0]}."
            )
        if scores is None:
            scores = _scores(X, W, b if present is not None else None)
        scores = _checked_scores(scores, X.shape[0], self.n_classes)
        if losses is not None and theta is not None:
            per_sample, gradient_theta = _checked_losses(losses, X.shape[0]), None
        elif theta is not None:  # the losses alone, their temporaries by blocks
            per_sample, gradient_theta = np.empty(len(y)), None
            for start in range(0, len(y), _MIXING_ROWS):
                block = slice(start, start + _MIXING_ROWS)
                per_sample[block] = _loss_and_theta(
                    scores[block], y[block], loss, settings["margin"], present
                )[0]
        else:
            per_sample, gradient_theta = _loss_and_theta(
                scores, y, loss, settings["margin"], present
            )
        primal = float(a @ per_sample) + _penalty_value(
            W, settings["alpha_l1"], settings["alpha_l2"], settings["max_norm"]
        )
        if (
            self.class_sums is None
            and present is not None
            and present.all()
            and theta is not None
            and theta_sum is not None
        ):
            # The caller has theta's sum: the class sums alone, not both.
            self.sums_by_class()
        takes_sum = self._takes_sum(theta, theta_sum)
        # A softmax theta with its sum is in the domain up to rounding, and
        # restoring the intercept constraint projects it after mixing: no
        # projection before (with an intercept, every class present).
        projected_later = takes_sum and loss == "softmax" and present is not None
        thetas = _starting_points(
            theta, gradient_theta, scores, y, a, settings, overwrite_theta,
            clean=not projected_later,
        )  # fmt: skip
        if takes_sum:
            Zs = [np.asarray(theta_sum, dtype=np.float64)]
        else:
            Zs = self._weighted_sums(thetas)
        # The sum of the caller's theta, changed by rounding only unless some
        # classes are absent: a solver takes it rather than read X again.
        unchanged = theta is not None and (present is None or present.all())
        self.last_theta_sum = Zs[0] if unchanged else None  # never written to
        # The candidates are made feasible (in place) one at a time, the best
        # kept (the first of equals, in the order: starting points, then the
        # polished points of each): a few n x C arrays alive, not all.
        best = None

        def consider(order, candidate, Z):
            nonlocal best
            dual, feasible = _feasible_dual(
                candidate, Z, self.class_sums, y, a, settings
            )
            if best is None or (dual, -order) > (best[0], -best[1]):
                best = (dual, order, feasible)

        order = len(thetas)
        if polish and loss == "hinge":
            # Before the starting points are made feasible, in place.
            for start_theta, Z in zip(thetas, Zs):
                for polished, delta_Z in polished_candidates(
                    X, y, a, W, start_theta, Z, scores, settings
                ):
                    consider(order, polished, Z + delta_Z)
                    order += 1
        for index, (start_theta, Z) in enumerate(zip(thetas, Zs)):
            consider(index, start_theta, Z)
        return _result(primal, best[0], best[2])

    def sums_by_class(self):
        """``sum_{y_i = k} a_i x_i`` for each class ``k`` (float64, with the
        gap's normalized weights ``a``), made at the first call and kept.

        Returns
        -------
        class_sums : ndarray of shape (n_classes, n_features)
        """
        if self.class_sums is None:
            self.class_sums = _class_sums(self.X, self.y, self.a, self.n_classes)
        return self.class_sums

    def _takes_sum(self, theta, theta_sum):
        """Whether the caller's ``theta_sum`` stands for the pass over X."""
        present = self.settings["present"]
        return (
            theta_sum is not None
            and theta is not None
            and (present is None or (self.class_sums is not None and present.all()))
            and np.shape(theta_sum) == (self.n_classes, self.X.shape[1])
        )

    def _weighted_sums(self, thetas):
        """``Z`` of each dual point; the class sums join the first pass."""
        present = self.settings["present"]
        wanted = present if present is not None and self.class_sums is None else None
        Zs, class_sums = _weighted_sums(self.X, thetas, self.y, self.a, wanted)
        if wanted is not None:
            self.class_sums = class_sums
        return Zs


def _starting_points(
    theta, gradient_theta, scores, y, a, settings, overwrite=False, clean=True
):
    """The dual points to make feasible: the caller's (projected into the
    domain unless ``clean`` is false), or minus the loss gradients; for the
    softmax with an intercept, also those at the best intercept for ``W``
    (they meet the intercept constraint by themselves, so no mixing degrades
    them)."""
    loss, present = settings["loss"], settings["present"]
    if theta is not None:
        theta = _checked_theta(theta, *scores.shape, overwrite)
        if clean:
            theta = _clean_theta(theta, y, loss)
        thetas = [_restricted(theta, y, a, present, loss)]
    else:
        thetas = [gradient_theta]
    if theta is None and loss == "softmax" and present is not None:
        thetas.append(_softmax_theta_at_best_intercept(scores, y, a, present))
    for start in thetas:
        _zero_unweighted(start, a)
    return thetas


def _feasible_dual(theta, Z, class_sums, y, a, settings):
    """The dual value of ``theta`` (``Z = sum_i a_i theta_i x_i^T``) once
    made feasible, and the feasible point."""
    loss = settings["loss"]
    if settings["present"] is not None:
        theta, Z = _restore_intercept(
            theta, Z, class_sums, y, a, settings["present"], loss
        )
    if settings["alpha_l2"] == 0 and settings["max_norm"] is None:
        theta, Z = _scale_into_l1_ball(theta, Z, settings["alpha_l1"])
    dual = float(a @ _minus_loss_conjugate(theta, y, loss, settings["margin"]))
    dual -= _penalty_conjugate(
        Z, settings["alpha_l1"], settings["alpha_l2"], settings["max_norm"]
    )
    return dual, theta


def penalty_arguments(penalty):
    """The penalty arguments of :func:`duality_gap` for a penalty object.

    Parameters
    ----------
    penalty : Penalty or None
        From :func:`~sklinear.penalties.make_penalty`.

    Returns
    -------
    arguments : dict
        ``alpha_l1`` and ``alpha_l2`` (:func:`penalty_strengths`) and
        ``max_norm`` (the penalty's, None when unbounded).

    Examples
    --------
    >>> from sklinear.penalties import make_penalty
    >>> penalty_arguments(make_penalty("l2", alpha=0.5, max_norm=2.0))
    {'alpha_l1': 0.0, 'alpha_l2': 0.5, 'max_norm': 2.0}
    """
    alpha_l1, alpha_l2 = penalty_strengths(penalty)
    max_norm = None if penalty is None else penalty.max_norm
    return {"alpha_l1": alpha_l1, "alpha_l2": alpha_l2, "max_norm": max_norm}


def penalty_strengths(penalty):
    """``(alpha_l1, alpha_l2)`` of a penalty from :mod:`sklinear.penalties`.

    Parameters
    ----------
    penalty : NoPenalty, L2, L1, ElasticNet, MaxNorm or None
        The penalty object (from :func:`~sklinear.penalties.make_penalty`);
        a :class:`~sklinear.penalties.MaxNorm` gives its inner penalty's
        strengths (its bound is the ``max_norm`` of :func:`penalty_arguments`).

    Returns
    -------
    alpha_l1 : float
        The coefficient of :math:`\\|W\\|_1`.
    alpha_l2 : float
        The coefficient of :math:`\\frac12 \\|W\\|_F^2`.

    Examples
    --------
    >>> from sklinear.penalties import make_penalty
    >>> alpha_l1, alpha_l2 = penalty_strengths(
    ...     make_penalty("elasticnet", alpha=0.1, l1_ratio=0.25)
    ... )
    >>> round(alpha_l1, 6), round(alpha_l2, 6)
    (0.025, 0.075)
    """
    if isinstance(penalty, MaxNorm):
        penalty = penalty.penalty
    if penalty is None or isinstance(penalty, NoPenalty):
        return 0.0, 0.0
    if isinstance(penalty, ElasticNet):
        return penalty.alpha * penalty.l1_ratio, penalty.alpha * (1 - penalty.l1_ratio)
    if isinstance(penalty, L1):
        return float(penalty.alpha), 0.0
    if isinstance(penalty, L2):
        return 0.0, float(penalty.alpha)
    raise TypeError(f"Unknown penalty {penalty!r}.")


def _result(primal, dual, theta):
    gap = primal - dual
    # P >= P* >= 0, so P = 0 is optimal and a positive gap there is rounding.
    relative = gap / primal if primal > 0 else (0.0 if gap <= 0 else np.inf)
    return DualityGap(float(primal), float(dual), float(gap), float(relative), theta)


def _normalized_weights(sample_weight, n_samples):
    if sample_weight is None:
        return np.full(n_samples, 1.0 / n_samples)
    weight = np.asarray(sample_weight, dtype=np.float64)
    if weight.shape != (n_samples,) or not (
        np.all(np.isfinite(weight)) and np.all(weight >= 0) and weight.sum() > 0
    ):
        raise ValueError(
            f"sample_weight must hold {n_samples} finite, non-negative weights "
            "with a positive sum."
        )
    return weight / weight.sum()


def _checked_labels(y, n_samples, n_classes):
    y = np.asarray(y)
    if (
        y.shape != (n_samples,)
        or not np.issubdtype(y.dtype, np.integer)
        or (y.size and (y.min() < 0 or y.max() >= n_classes))
    ):
        raise ValueError(
            f"y must hold {n_samples} integer class indices in [0, {n_classes})."
        )
    return y.astype(np.intp, copy=False)


def _checked_theta(theta, n_samples, n_classes, overwrite=False):
    # A copy, as it is modified, unless the caller's float64 theta may be.
    theta = np.array(theta, dtype=np.float64, copy=None if overwrite else True)
    if theta.shape != (n_samples, n_classes) or not np.all(np.isfinite(theta)):
        raise ValueError(
            f"theta must be a finite array of shape ({n_samples}, {n_classes})."
        )
    return theta


def _present_classes(y, a, n_classes):
    """Classes of positive total weight; the others get ``theta = 0``."""
    return np.bincount(y, weights=a, minlength=n_classes) > 0


def _chunks(n_samples, n_features, X=None, n_outputs=0):
    """Float64 ``X`` read in place: all its rows at once, or for dense X and
    a product with ``n_outputs`` columns, blocks of rows whose other operand
    holds about ``4 * _CHUNK_BYTES`` (at least ``_MIN_BLOCK_ROWS`` rows).
    Else row slices whose float64 copy holds about ``_CHUNK_BYTES``: sized by the stored
    entries for sparse ``X`` (a dense-width chunk of a wide sparse matrix
    would be a few rows, each product paying for every feature).

    A chunk's product ``X[rows].T @ A`` fills ``n_features x n_outputs``
    numbers whatever its rows: chunks of sparse rows are made long enough
    to hold as many stored entries, so that this fixed cost stays below the
    product's own; their copy (float64 values and their indices) is then of
    the order of the result's size. (For 20,000 x 20,000 CSR rows of 100
    entries and 40 outputs, 16 chunks took 88 ms, one 48 ms in float64; in
    float32, 3 chunks 80-86 ms against 16 chunks' 83-133 ms.)
    """
    if X is not None and X.dtype == np.float64:
        # Read in place: nothing to convert; dense rows in blocks only to
        # bound the product's other operand (n_outputs columns a row).
        rows = n_samples
        if n_outputs and not sp.issparse(X):
            rows = max(_MIN_BLOCK_ROWS, _CHUNK_BYTES * 4 // (8 * n_outputs))
        for start in range(0, n_samples, max(rows, 1)):
            yield slice(start, min(start + rows, n_samples))
        return
    width = n_features
    rows = 1
    if X is not None and sp.issparse(X):
        per_row = X.nnz / max(n_samples, 1)
        width = 2 * per_row  # values and column indices
        rows = math.ceil(n_features * n_outputs / max(per_row, 1.0))
    rows = max(rows, int(_CHUNK_BYTES // (8 * max(1.0, width))))
    for start in range(0, n_samples, rows):
        yield slice(start, min(start + rows, n_samples))


def _float64_rows(X, rows):
    """``X[rows]`` in float64: float64 ``X`` itself (all rows) or a view of
    its rows, else a copy of the chunk only."""
    if X.dtype == np.float64 and rows == slice(0, X.shape[0]):
        return X
    if sp.issparse(X):
        return sp.csr_matrix(X[rows], dtype=np.float64)
    return np.asarray(X[rows], dtype=np.float64)


def _scores(X, W, b):
    """``X @ W.T + b`` in float64, one chunk of rows at a time (CSR X: the
    compiled product, in float64 from any float type)."""
    W64 = np.asarray(W, dtype=np.float64)
    if csr_products.takes(X):
        scores = csr_products.scores(X, W64)
    else:
        scores = np.empty((X.shape[0], W.shape[0]))
        for rows in _chunks(*X.shape, X):
            scores[rows] = _float64_rows(X, rows) @ W64.T
    if b is not None:
        scores += np.asarray(b, dtype=np.float64)
    return scores


def _checked_scores(scores, n_samples, n_classes):
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != (n_samples, n_classes) or not np.all(np.isfinite(scores)):
        raise ValueError(
            f"scores must be a finite array of shape ({n_samples}, {n_classes})."
        )
    return scores


def _checked_losses(losses, n_samples):
    losses = np.asarray(losses, dtype=np.float64)
    if losses.shape != (n_samples,) or not np.all(np.isfinite(losses)):
        raise ValueError(f"losses must be a finite array of shape ({n_samples},).")
    return losses


def _weighted_sums(X, thetas, y, a, present):
    """One pass over ``X``: ``Z = sum_i a_i theta_i x_i^T`` for each dual
    point and, with an intercept, the class sums ``sum_{y_i = k} a_i x_i``.

    The weighted points are formed a chunk of rows at a time (CSR X: one
    point at a time), not as whole n x C arrays next to the points."""
    n_classes = thetas[0].shape[1]
    if csr_products.takes(X):
        Zs = [csr_products.transposed_product(X, a[:, None] * t) for t in thetas]
        return Zs, None if present is None else _class_sums(X, y, a, n_classes)
    # Dense X: the class sums join the same product (one read of X). CSR X:
    # apart, one multiply-add per stored value instead of n_classes.
    joined = present is not None and not sp.issparse(X)
    n_outputs = n_classes * (len(thetas) + joined)
    sums = np.zeros((n_outputs, X.shape[1]))
    for rows in _chunks(*X.shape, X, n_outputs=n_outputs):
        parts = [a[rows, None] * theta[rows] for theta in thetas]
        if joined:
            parts.append(_one_hot(y[rows], n_classes, a[rows]))
        stacked = parts[0] if len(parts) == 1 else np.hstack(parts)
        sums += np.asarray(_float64_rows(X, rows).T @ stacked).T
    blocks = [sums[k : k + n_classes] for k in range(0, len(sums), n_classes)]
    if present is None:
        return blocks, None
    if joined:
        return blocks[:-1], blocks[-1]
    return blocks, _class_sums(X, y, a, n_classes)


def _class_sums(X, y, a, n_classes):
    """``sum_{y_i = k} a_i x_i`` for each class ``k``, in float64: for sparse
    X one multiply-add per stored value (:func:`sklinear._csr_products.
    class_sums`; at 80,000 x 100,000 rows of 120 values and 20 classes,
    dense one-hot columns made the first certificate's product 1.1 s)."""
    if sp.issparse(X):
        return csr_products.class_sums(X, y, a, n_classes)
    sums = np.zeros((n_classes, X.shape[1]))
    for rows in _chunks(*X.shape, X, n_outputs=n_classes):
        sums += _one_hot(y[rows], n_classes, a[rows]).T @ _float64_rows(X, rows)
    return sums
