"""The training objective of a linear classifier.

:class:`LinearObjective` ties a data set to a loss from :mod:`sklinear.losses`
and a penalty from :mod:`sklinear.penalties`:

.. math::

    J(W, b) = \\frac{\\sum_i w_i L_i(x_i W^T + b)}{\\sum_i w_i} + \\alpha R(W)

with ``W`` of shape ``(n_classes, n_features)`` and intercepts ``b`` (never
penalized). It evaluates the loss and its gradient on any batch of rows; the
optimizers in :mod:`sklinear.optimize` only ever talk to it.
"""

import numpy as np
import scipy.sparse as sp

from . import _csr_products as csr_products
from . import _fused_pass
from ._data_stats import (
    _top_second_moment,
    _weighted_mean_row,
    _weighted_sparse_variance,
    _weighted_variance,
)
from ._loss import make_loss
from ._threads import one_blas_thread
from .losses import _checked_sample_weight
from .penalties import NoPenalty

__all__ = ["LinearObjective"]


def _class_count(y, n_classes):
    """``n_classes``, checked against the labels, or the largest label + 1."""
    needed = int(np.max(y)) + 1 if len(y) else 0
    if n_classes is None:
        return needed
    if n_classes < needed:
        raise ValueError(
            f"n_classes={n_classes}, but y holds class indices up to {needed - 1}."
        )
    return int(n_classes)


class LinearObjective:
    """Weighted mean loss of the scores ``X @ W.T + b``, plus a penalty.

    Parameters
    ----------
    X : ndarray or scipy.sparse CSR matrix of shape (n_samples, n_features)
        Training data; never modified, and copied only where a row of a
        CSR matrix holds a column twice (as after a product of sparse
        matrices): then once, with those entries summed, as the sparse
        kernels need. Columns need not be sorted within a row.
    y : ndarray of shape (n_samples,)
        Integer class indices in ``[0, n_classes)``.
    loss : {'hinge', 'softmax'}
        Multiclass SVM (Weston-Watkins) or multinomial cross-entropy loss.
    penalty : penalty object, default=None
        From :func:`sklinear.penalties.make_penalty`; None means no penalty.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative sample weights; None weighs all samples equally.
    fit_intercept : bool, default=True
        Whether ``b`` is trained (otherwise it stays zero).
    margin : float, default=1.0
        The hinge loss margin :math:`\\Delta`; ignored by the softmax loss.
    center : bool, default=False
        Parametrize the intercept on centered data: the scores become
        ``(X - mu) @ W.T + c`` with ``mu`` the weighted mean row, so ``b = c -
        W @ mu``. The objective and its minimizers are the same, but for data
        far from the origin (raw pixels) it is far better conditioned, so
        gradient methods converge many times faster. ``X`` is never centered
        in memory (sparse data stays sparse). Use :meth:`intercept` to get
        ``b``. Only with ``fit_intercept``.
    offset : ndarray of shape (n_features,), default=None
        With ``center``, the ``mu`` to use instead of the data's mean (so that
        successive chunks of a stream share one parametrization).
    weight_scale : float, default=None
        The loss weighs sample ``i`` by ``weight_scale * w_i / n_samples``.
        None uses ``n_samples / sum(w)``: the weighted mean of the loss. A
        stream of chunks passes ``n / sum(w)`` over everything seen so far,
        so that a weight keeps its meaning from one chunk to the next (with
        each chunk's own sum, a weight shared by a whole chunk would cancel).
    n_classes : int, default=None
        The number of classes (rows of ``W``); None: the largest index in
        ``y`` plus one. A classifier passes its own count, since a class may
        have no row here (a chunk of a stream without it, or every row of it
        of weight 0).

    Examples
    --------
    >>> import numpy as np
    >>> from sklinear.objective import LinearObjective
    >>> X = np.array([[1.0, 2.0], [2.0, 0.5], [0.0, -1.0]])
    >>> objective = LinearObjective(X, np.array([0, 1, 2]), loss="softmax")
    >>> W, b = objective.initial_weights(n_classes=3)
    >>> round(objective.value(W, b), 4)  # log(3) at zero weights
    1.0986
    """

    def __init__(
        self,
        X,
        y,
        loss,
        penalty=None,
        sample_weight=None,
        fit_intercept=True,
        margin=1.0,
        center=False,
        offset=None,
        weight_scale=None,
        n_classes=None,
    ):
        loss_function = make_loss(loss, margin)
        y = np.asarray(y)
        sample_weight = _checked_inputs(X, y, sample_weight)
        if sp.issparse(X) and X.format == "csr":
            X = csr_products.without_duplicates(X)
        self.X = X
        self.y = y
        self.loss_function = loss_function
        self.penalty = NoPenalty() if penalty is None else penalty
        self.sample_weight = sample_weight
        self.fit_intercept = fit_intercept
        self.dtype = X.dtype
        self.n_samples = X.shape[0]
        self.n_classes = _class_count(y, n_classes)
        self.offset = None
        if center and fit_intercept and offset is not None:
            self.offset = np.asarray(offset, dtype=self.dtype)
        elif center and fit_intercept:
            self.offset = _weighted_mean_row(X, sample_weight)
        # Batch factors are w_i * n / (sum(w) * batch_len): the full batch
        # gets w_i / sum(w), and a minibatch's gradient is unbiased for it.
        if weight_scale is None:
            weight_scale = (
                1.0
                if sample_weight is None
                else self.n_samples / float(np.sum(sample_weight, dtype=np.float64))
            )
        if not (np.isfinite(weight_scale) and weight_scale > 0):
            raise ValueError(
                f"The sample weights must have a positive, finite total; got a "
                f"weight scale (n_samples / total) of {weight_scale}."
            )
        self._weight_scale = float(weight_scale)
        # What holds for the whole fit is decided here, once: whether the
        # compiled pass can read X, and the labels as it reads them best.
        self._fused = _fused_pass.prepare(X, y, loss)
        self._all_factors = None  # the full batch's factors, made when needed

    @property
    def loss(self):
        """The loss's name, ``'hinge'`` or ``'softmax'`` (of ``loss_function``)."""
        return self.loss_function.name

    @property
    def margin(self):
        """The hinge's margin (of ``loss_function``)."""
        return self.loss_function.margin

    def initial_weights(self, n_classes):
        """Zero weights ``W`` (n_classes, n_features) and intercepts ``b``.

        Parameters
        ----------
        n_classes : int
            Number of classes (rows of ``W``).

        Returns
        -------
        W : ndarray of shape (n_classes, n_features)
        b : ndarray of shape (n_classes,)
            Both zero, in the dtype of ``X``.
        """
        W = np.zeros((n_classes, self.X.shape[1]), dtype=self.dtype)
        return W, np.zeros(n_classes, dtype=self.dtype)

    def _factors(self, rows, n_rows):
        if isinstance(rows, slice) and rows == slice(None):  # made once, read-only
            if self._all_factors is None:
                self._all_factors = self._batch_factors(rows, n_rows)
                self._all_factors.flags.writeable = False
            return self._all_factors
        return self._batch_factors(rows, n_rows)

    def _batch_factors(self, rows, n_rows):
        scale = self._weight_scale / max(n_rows, 1)  # an empty batch: loss 0
        if self.sample_weight is None:
            return np.full(n_rows, scale, dtype=self.dtype)
        return (self.sample_weight[rows] * scale).astype(self.dtype, copy=False)

    def _shift(self, W, b):
        """What to add to ``X @ W.T``: ``b``, or ``c - W @ mu`` when centered."""
        if not self.fit_intercept:
            return 0
        return b if self.offset is None else b - W @ self.offset

    def intercept(self, W, b):
        """The intercept of the model ``X @ W.T + intercept`` in either form.

        Parameters
        ----------
        W : ndarray of shape (n_classes, n_features)
        b : ndarray of shape (n_classes,)
            The intercept parameters (``c`` when centered).

        Returns
        -------
        intercept : ndarray of shape (n_classes,)
            ``b``, or ``c - W @ mu`` when centered; zeros without
            ``fit_intercept``.
        """
        return self._shift(W, b) if self.fit_intercept else np.zeros_like(b)

    def parameters_from_intercept(self, W, intercept):
        """Inverse of :meth:`intercept`: ``c = b + W @ mu`` when centered.

        Parameters
        ----------
        W : ndarray of shape (n_classes, n_features)
        intercept : ndarray of shape (n_classes,)
            The model's intercept ``b``.

        Returns
        -------
        b : ndarray of shape (n_classes,)
            The intercept parameters this objective uses (a new array).
        """
        if self.offset is None or not self.fit_intercept:
            return intercept.copy()
        return intercept + W @ self.offset

    def scores(self, W, b, rows=slice(None)):
        """Class scores of ``X[rows]``.

        Parameters
        ----------
        W : ndarray of shape (n_classes, n_features)
        b : ndarray of shape (n_classes,)
        rows : slice, default=slice(None)
            Which rows of ``X``.

        Returns
        -------
        scores : ndarray of shape (n_rows, n_classes)
        """
        return np.asarray(self.X[rows] @ W.T) + self._shift(W, b)

    def loss_gradient(self, W, b, rows=slice(None)):
        """Data loss on ``rows`` and its gradient (penalty excluded).

        Parameters
        ----------
        W : ndarray of shape (n_classes, n_features)
        b : ndarray of shape (n_classes,)
        rows : slice, default=slice(None)
            The batch; a (strided) slice keeps the rows of a dense ``X`` a
            view, so no data is copied.

        Returns
        -------
        loss : float
        grad_W : ndarray of shape (n_classes, n_features)
        grad_b : ndarray of shape (n_classes,)
        """
        X_batch = self.X[rows]
        factors = self._factors(rows, X_batch.shape[0])
        self._check_n_classes(W.shape[0])
        # One pass over the rows in compiled code where it applies (dense
        # rows, float32 or float64) and is the faster, else two BLAS products.
        shift = self._shift(W, b)
        fused = (
            None
            if self._fused is None
            else self._fused(X_batch, rows, W, shift, factors, self.margin)
        )
        if fused is None:
            loss, grad_W, grad_b = self._blas_loss_gradient(
                W, shift, X_batch, self.y[rows], factors
            )
        else:
            loss, grad_W, grad_b = fused
        if not self.fit_intercept:
            grad_b = np.zeros_like(b)
        if self.offset is not None:
            grad_W -= np.outer(grad_b, self.offset)
        return loss, grad_W, grad_b

    def _blas_loss_gradient(self, W, shift, X_batch, y_batch, factors):
        scores = np.asarray(X_batch @ W.T)
        scores += shift
        loss, dscores = self._loss(scores, y_batch, factors)
        if sp.issparse(X_batch):
            grad_W = np.asarray((X_batch.T @ dscores).T)
        else:
            grad_W = _weight_gradient(dscores, X_batch)
        # Column sums as a product with ones: faster than .sum(axis=0) on a
        # tall array of a few classes.
        grad_b = np.ones(X_batch.shape[0], dtype=dscores.dtype) @ dscores
        return loss, grad_W, grad_b

    def value(self, W, b):
        """The full objective: data loss on every sample plus the penalty.

        Computes no gradient with respect to ``W`` (the costly product).

        Parameters
        ----------
        W : ndarray of shape (n_classes, n_features)
        b : ndarray of shape (n_classes,)

        Returns
        -------
        value : float
        """
        factors = self._factors(slice(None), self.n_samples)
        loss, _ = self._loss(self.scores(W, b), self.y, factors)
        return loss + self.penalty.value(W)

    def _check_n_classes(self, n_rows_of_W):
        if n_rows_of_W < self.n_classes:
            raise ValueError(
                f"W has {n_rows_of_W} rows (classes), but y holds class "
                f"indices up to {self.n_classes - 1}."
            )

    def _loss(self, scores, y, factors):
        self._check_n_classes(scores.shape[1])
        with np.errstate(over="ignore", invalid="ignore"):
            return self.loss_function.batch_value_gradient(scores, y, factors)

    def value_gradient(self, W, b):
        """Full objective and its (sub)gradient, for checks and full-batch use.

        Parameters
        ----------
        W : ndarray of shape (n_classes, n_features)
        b : ndarray of shape (n_classes,)

        Returns
        -------
        value : float
        grad_W : ndarray of shape (n_classes, n_features)
            Includes the penalty's (sub)gradient.
        grad_b : ndarray of shape (n_classes,)
        """
        loss, grad_W, grad_b = self.loss_gradient(W, b)
        grad_W += self.penalty.gradient(W)  # a new array of loss_gradient's
        return loss + self.penalty.value(W), grad_W, grad_b

    def _sample_rows(self, max_rows):
        """Evenly spaced rows (a view for dense X) and their weights."""
        step = max(1, -(-self.n_samples // max_rows))
        X = self.X[::step]
        weights = (
            np.ones(X.shape[0])
            if self.sample_weight is None
            else np.asarray(self.sample_weight[::step], dtype=np.float64)
        )
        return X, weights / weights.sum()

    @one_blas_thread
    def feature_preconditioner(self, floor=1e-2, max_rows=2048):
        """Per-feature step multipliers ``1 / variance`` (a Jacobi preconditioner).

        Scaling each feature's step by its inverse variance makes gradient
        descent behave as if the features were standardized (raw pixels of very
        different spread train as fast as scaled ones) without changing the
        objective or its minimizer. Variances come from at most ``max_rows``
        evenly spaced rows and are floored at 1% of their mean, so constant
        or nearly constant features do not get huge steps.

        Parameters
        ----------
        floor : float, default=1e-2
            Variances are floored at ``floor`` times their mean. With 1, the
            preconditioner only ever shrinks steps (high-variance features),
            which is safe when later data may differ from these rows.
        max_rows : int, default=2048
            Rows sampled for the variances.

        Returns
        -------
        preconditioner : ndarray of shape (n_features,)
        """
        X, weights = self._sample_rows(max_rows)
        # E[(x - mean)^2], not E[x^2] - mean^2: for features far from zero
        # the latter cancels to noise (in float32 at an offset of 1e4 already).
        if sp.issparse(X):
            variance = _weighted_sparse_variance(X, weights)
        else:
            variance = _weighted_variance(X, weights)
        floor = floor * variance.mean() if variance.mean() > 0 else 1.0
        return (1.0 / np.maximum(variance, floor)).astype(self.dtype)

    @one_blas_thread
    def second_moment(self, preconditioner=None, max_rows=1024, n_power_iterations=15):
        """Largest eigenvalue of the weighted second-moment matrix of the rows.

        The rows are centered when the objective is, get a column of ones when
        the intercept is fitted, and are scaled by ``sqrt(preconditioner)``.
        The eigenvalue is found by power iteration on at most ``max_rows``
        evenly spaced rows, from a fixed start (deterministic). When the rows
        have many more features than ``max_rows``, the sample's top eigenvalue
        is inflated by sampling noise (the Marchenko-Pastur edge), so the
        estimate errs on the large, safe side.

        Parameters
        ----------
        preconditioner : ndarray of shape (n_features,), default=None
            Per-feature step multipliers; None scales nothing.
        max_rows : int, default=1024
            Rows sampled.
        n_power_iterations : int, default=15
            Iterations of the power method.

        Returns
        -------
        eigenvalue : float
        """
        X, weights = self._sample_rows(max_rows)
        return _top_second_moment(
            X,
            weights,
            preconditioner,
            self.offset,
            self.fit_intercept,
            n_power_iterations,
        )

    def curvature(self, preconditioner=None):
        """Upper estimate of the Lipschitz constant of the objective's gradient.

        ``c * second_moment(preconditioner) + l2 * max(preconditioner)``,
        where ``c`` bounds the curvature of the loss in the scores: 1/2 for
        softmax; ``n_classes - 1`` for the hinge loss, which has no curvature
        but whose gradient for the correct class's score reaches that. ``l2``
        is the penalty's ``l2_strength`` (``alpha`` for 'l2', ``alpha * (1 -
        l1_ratio)`` for 'elasticnet', 0 for 'l1', whose soft thresholding is
        stable at any step). Its inverse is a safe step size for raw 0-255
        pixels and standardized features alike.

        Parameters
        ----------
        preconditioner : ndarray of shape (n_features,), default=None
            Per-feature step multipliers, as from
            :meth:`feature_preconditioner`; None for plain gradient steps.

        Returns
        -------
        curvature : float
        """
        alpha_l2 = getattr(self.penalty, "l2_strength", 0.0)
        largest_scale = 1.0 if preconditioner is None else float(np.max(preconditioner))
        # The data term weighs the samples by weight_scale * w_i / n: on
        # average, this times the mean weight (1 unless weight_scale is given).
        mean_weight = (
            1.0
            if self.sample_weight is None
            else float(np.mean(self.sample_weight, dtype=np.float64))
        )
        return (
            self._weight_scale
            * mean_weight
            * self.loss_function.step_curvature(self.n_classes)
            * self.second_moment(preconditioner)
            + alpha_l2 * largest_scale
        )


def _checked_inputs(X, y, sample_weight):
    """Clear errors for what would otherwise fail deep inside, or silently
    (a label -1 would read another sample's score). Returns the weights as a
    float64 array."""
    if getattr(X, "ndim", None) != 2 or X.dtype not in (np.float32, np.float64):
        raise ValueError(
            "X must be a 2-D float32 or float64 array or CSR matrix, got "
            f"{type(X).__name__} of dtype {getattr(X, 'dtype', None)}; convert "
            "it with X.astype(np.float32)."
        )
    if y.shape != (X.shape[0],) or (
        y.size and (not np.issubdtype(y.dtype, np.integer) or y.min() < 0)
    ):
        raise ValueError(
            f"y must hold {X.shape[0]} integer class indices 0, 1, ..., "
            f"n_classes - 1 (one per row of X), got shape {y.shape}, dtype "
            f"{y.dtype}. Encode labels first, e.g. np.unique(labels, "
            "return_inverse=True)[1]."
        )
    if sample_weight is None:
        return None
    return _checked_sample_weight(sample_weight, X.shape[0])


def _weight_gradient(dscores, X):
    """``dscores.T @ X``, computing one class row fewer.

    Both losses are unchanged when a constant is added to all the scores of a
    sample, so each row of ``dscores`` sums to zero over the classes and so do
    the rows of the result: the last one is minus the sum of the others. The
    product, the costliest step of an epoch, then has ``n_classes - 1`` rows.
    """
    grad_W = np.empty((dscores.shape[1], X.shape[1]), dtype=dscores.dtype)
    np.matmul(dscores[:, :-1].T, X, out=grad_W[:-1])
    np.sum(grad_W[:-1], axis=0, out=grad_W[-1])
    np.negative(grad_W[-1], out=grad_W[-1])
    return grad_W
