"""Minibatch dual coordinate ascent for the Weston-Watkins hinge loss.

The dual of ``sum_i f_i L_i(W x_i + c) + l1 |W|_1 + l2 / 2 |W|^2`` has, per
sample, ``a_ij`` in [0, 1] for the classes ``j != y_i``; with ``G_i = sum_j
a_ij (e_j - e_{y_i})`` the weights are ``W = soft_threshold(U, l1) / l2`` for
``U = -sum_i f_i G_i (x_i - mu)^T``. The gradient of the dual in ``a_ij`` is
``f_i`` times the primal margin ``s_j - s_y + Delta``, so a step needs the
batch's scores (one product) and its effect on ``U`` (a second one): the same
two products per batch as primal SGD.

On a batch every sample takes a projected Newton step for its block bounded
by ``f_i^2 (|x_i - mu|^2 / l2 + rho) (k_i + 1)`` (``k_i`` coordinates that may
move), and then the whole batch moves by the exact maximizer ``t`` in [0, 1]
of the dual along that direction (the dual is quadratic): the dual rises at
every step whatever the correlation of the rows, with no step size to tune.

The unpenalized intercept makes the dual constrained (``sum_i f_i G_i = 0``),
which the method of multipliers handles: the intercept ``c`` is the
multiplier, the inner problems add ``-rho / 2 |r|^2`` for the residual
``r = sum_i f_i G_i``, margins are taken at ``c_k - rho r``, and after each
epoch ``c_k <- c_k - rho r``. A smoothing ``mu`` of the hinge adds ``-mu / 2
sum_i f_i |a_i|^2``, which makes the dual strongly concave.

When the compiled extension ``sklinear._dual_sweep`` is there, an epoch
instead visits the samples one at a time in C (the liblinear / SDCA order):
each sample's block is solved exactly with the current ``U`` and ``r``, so no
step along a batch direction is needed (with only an L2 part the block is the
dual's exact restriction; an L1 part's quadratic bounds the dual from below).
It reads dense rows or CSR rows (work per sample proportional to its stored
values, X never densified), for CSR with an offset through ``V = U - r mu^T``
(see ``sklinear/_dual_sweep.c``). It takes every hinge objective except the
elastic net on centered sparse X, a smoothed hinge (``mu > 0``) and layouts
it cannot read without a copy (e.g. Fortran-ordered X): those, and every
build without the extension, run the minibatch epochs below.
"""

import numpy as np
import scipy.sparse as sp

from .._row_layout import readable_rows
from ..penalties import project_max_norm
from ._curvature import centered_row_norms

try:
    from .. import _dual_sweep
except ImportError:  # built without a C compiler (import sklinear warns)
    _dual_sweep = None

__all__ = ["HingeDualAscent", "sweep_available"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
# Shrinking: between full sweeps the compiled epochs skip the samples the
# last visit found settled; a full sweep follows every refresh and at least
# every this many epochs, so a sample that comes unsettled waits no longer.
_FULL_SWEEP_EVERY = 8
_INDICES = (np.dtype(np.int32), np.dtype(np.int64))
# Tests and benchmarks switch the compiled sweep off to compare it with NumPy.
enabled = True


def sweep_available():
    """Whether the compiled per-sample sweep was built and is switched on."""
    return _dual_sweep is not None and enabled


class HingeDualAscent:
    """State and epochs of minibatch dual coordinate ascent (hinge loss).

    Parameters
    ----------
    objective : LinearObjective
        Hinge loss, with an L2 or elastic-net penalty (``l2 > 0``), maybe
        with a ``max_norm`` (:class:`~sklinear.penalties.MaxNorm`): the
        weights are then ``soft_threshold(U, l1) / l2`` with every row
        projected onto the ball, the gradient of the conjugate of the
        bounded penalty.
    batches : list or callable
        From :func:`~sklinear._solvers._saga.make_batches`, or a function
        that returns them, called only if an epoch runs on NumPy (the
        compiled sweep reads X whole; a CSR matrix's batches are one
        matrix object each, 38 ms for 15,000 rows).
    strengths : tuple of float
        ``(l1, l2)`` of the penalty.
    intercept : ndarray of shape (n_classes,)
        Starting intercept parameter ``c`` (the first multiplier).
    rho_factor : float, default=1e-2
        The multiplier method's penalty is ``rho_factor`` times the mean of
        ``|x_i - mu|^2 / l2`` (the intercept as a feature ``sqrt(rho_factor)``
        times as large as the rows): larger values correct the intercept
        faster but make it oscillate.
    shrink : bool, default=True
        With the compiled sweep, skip settled samples between full sweeps
        (every sample whose a_ij all sit at a bound that their margins keep
        them at; see ``sklinear/_dual_sweep.c``). Certificates still read
        every sample, so this changes the path, not what is certified.
    """

    def __init__(
        self, objective, batches, strengths, intercept, rho_factor=1e-2, shrink=True
    ):
        self.objective = objective
        self._batches = batches
        self.l1, self.l2 = strengths
        self.max_norm = max_norm = objective.penalty.max_norm
        if not self.l2 > 0:
            raise ValueError("Dual coordinate ascent needs an L2 part in the penalty.")
        X = objective.X
        n_samples, n_features = X.shape
        n_classes = len(intercept)
        self.offset = (
            np.zeros(n_features) if objective.offset is None else objective.offset
        ).astype(np.float64)
        self.factors = objective._factors(slice(None), n_samples).astype(np.float64)
        self.norms = centered_row_norms(X, self.offset)
        self.rho = rho_factor * float(np.mean(self.norms) / self.l2)
        self.curvature = self.factors * (self.norms / self.l2 + self.rho)
        self.a = np.zeros((n_samples, n_classes))
        self.U = np.zeros((n_classes, n_features))
        self.residual = np.zeros(n_classes)
        self.multiplier = np.asarray(intercept, dtype=np.float64).copy()
        offset = None if objective.offset is None else self.offset
        self._sweep = _compiled_sweep(X, offset, self.l1, max_norm)
        self.shrink = shrink
        self.slack = np.full(n_samples, -np.inf)
        self._since_full = -1  # epochs since the last full sweep (-1: none)

    @property
    def batches(self):
        """The NumPy path's minibatches (made on first use)."""
        if callable(self._batches):
            self._batches = self._batches()
        return self._batches

    @property
    def n_steps(self):
        """What an epoch's ``order`` permutes: samples (compiled) or batches."""
        return self.objective.n_samples if self._sweep else len(self.batches)

    def intercept(self):
        """The primal intercept ``c_k - rho r`` of the current subproblem."""
        return self.multiplier - self.rho * self.residual

    def weights(self, dtype):
        """``W = soft_threshold(U, l1) / l2``, rows projected onto the
        ``max_norm`` ball."""
        U = self.U
        if self.l1 > 0:
            U = np.sign(U) * np.maximum(np.abs(U) - self.l1, 0)
        W = U / self.l2
        if self.max_norm is not None:
            project_max_norm(W, self.max_norm)  # in place, on the new W
        return W.astype(dtype)

    def gradient(self):
        """The unweighted score gradients ``G_i`` of the dual point."""
        G = self.a.copy()
        rows = np.arange(len(G))
        G[rows, self.objective.y] = -self.a.sum(axis=1)
        return G

    def refresh(self, weighted_sum, gradient=None):
        """Replace the running ``U`` and ``r`` by exact sums (no drift).

        Parameters
        ----------
        weighted_sum : ndarray of shape (n_classes, n_features)
            ``sum_i f_i G_i x_i^T`` (uncentered) of the current dual point.
        gradient : ndarray of shape (n_samples, n_classes), default=None
            :meth:`gradient`, if the caller has it.
        """
        gradient = self.gradient() if gradient is None else gradient
        self.residual = self.factors @ gradient
        self.U = -(weighted_sum - np.outer(self.residual, self.offset))
        self._since_full = -1

    @property
    def _full_every(self):
        """Passes between two full sweeps (0: every pass is full)."""
        return _FULL_SWEEP_EVERY if self.shrink else 0

    def _visits(self, order):
        """``order``, without the settled samples between full sweeps."""
        self._since_full = _passes_since_full(self._since_full, self._full_every, 1)
        return order if self._since_full == 0 else order[self.slack[order] <= 0]

    def update_multiplier(self):
        """The multiplier step ``c_k <- c_k - rho r``."""
        self.multiplier = self.intercept()

    @property
    def compiled(self):
        """Whether the epochs run in the compiled sweep."""
        return self._sweep is not None

    def epochs(self, W, orders):
        """``len(orders)`` compiled epochs in one call (``W`` updated).

        The same steps as :meth:`epoch` with :meth:`update_multiplier` after
        each, but for the last multiplier step, which is the caller's (the
        Python calls in between cost more than the epochs on small data).

        Parameters
        ----------
        W : ndarray of shape (n_classes, n_features)
        orders : list of ndarray
            Permutations of ``range(n_samples)``, one per epoch.
        """
        since, full_every = self._since_full, self._full_every
        self._sweep(np.concatenate(orders), self, len(orders), full_every, since)
        self._since_full = _passes_since_full(since, full_every, len(orders))
        W[...] = self.weights(W.dtype)

    def epoch(self, W, order, mu=0.0):
        """One pass over the batches in ``order``; ``W`` is updated in place.

        Parameters
        ----------
        W : ndarray of shape (n_classes, n_features)
            Must equal :meth:`weights` on entry.
        order : sequence of int
            A permutation of ``range(n_steps)``: of the samples when the
            compiled sweep runs, else of the batches.
        mu : float, default=0.0
            Smoothing of the hinge.
        """
        if self._sweep is not None and mu == 0:
            self._sweep(self._visits(np.asarray(order)), self)
            W[...] = self.weights(W.dtype)
            return
        objective = self.objective
        y, margin, offset = objective.y, objective.margin, self.offset
        dtype = W.dtype
        for index in order:
            rows, X_batch = self.batches[index]
            n_rows = X_batch.shape[0]
            y_batch = y[rows]
            correct = np.arange(n_rows) * W.shape[0] + y_batch
            shift = self.intercept() - W.astype(np.float64) @ offset
            scores = np.asarray(X_batch @ W.T, dtype=np.float64) + shift
            margins = scores - scores.ravel()[correct][:, None] + margin
            a = self.a[rows]
            ascent = margins - mu * a
            ascent.ravel()[correct] = 0
            factors = self.factors[rows]
            low, high = -a, 1 - a
            low.ravel()[correct] = 0
            high.ravel()[correct] = 0
            delta = block_maximizer(ascent, self.curvature[rows], mu, low, high)
            slope = float(factors @ (ascent * delta).sum(axis=1))
            if not slope > 0:
                continue
            change = delta * factors[:, None]
            change.ravel()[correct] = -change.sum(axis=1)
            change_r = change.sum(axis=0)
            change_U = -(_transposed(change, X_batch) - np.outer(change_r, offset))
            curvature = (
                _conjugate_curvature(self.U, change_U, self.l1, self.l2)
                + self.rho * float(change_r @ change_r)
                + mu * float(factors @ (delta * delta).sum(axis=1))
            )
            t = min(1.0, slope / curvature) if curvature > 0 else 1.0
            self.a[rows] = a + t * delta
            self.U += t * change_U
            self.residual += t * change_r
            W[...] = self.weights(dtype)


def _compiled_sweep(X, offset, l1, max_norm=None):
    """``sweep(order, ascent)`` running an epoch in C, or None where the
    extension is missing or switched off or cannot read ``X`` as it is.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    offset : ndarray of shape (n_features,) or None
        The centering row (float64), None when the objective is not centered.
    l1 : float
        The L1 strength of the penalty.
    max_norm : float or None
        The bound on each row of ``W``.
    """
    if not sweep_available():
        return None
    if sp.issparse(X):
        readable = (
            X.format == "csr"
            and X.dtype in _FLOATS
            and X.indices.dtype in _INDICES
            and X.indptr.dtype in _INDICES
            and (offset is None or (l1 == 0 and max_norm is None))
        )
        arrays = (X.data, X.indices, X.indptr)
        function = _dual_sweep.sweep_csr
    else:
        # A per-sample step reads a whole row: rows it cannot read in place
        # (Fortran order, which spreads a row over one cache line per
        # feature) are copied once per solve; the NumPy minibatches would
        # read them in place but take 10-30x as long.
        readable = isinstance(X, np.ndarray) and X.dtype in _FLOATS
        if readable:
            X = readable_rows(X, _FLOATS)
        arrays = (X,)
        function = _dual_sweep.sweep_dense
    if not readable:
        return None

    def sweep(order, ascent, epochs=1, full_every=0, since_full=-1):
        objective = ascent.objective
        return function(
            *arrays, objective.y, np.asarray(order), ascent.factors,
            ascent.curvature, ascent.a, ascent.U, ascent.residual,
            ascent.multiplier, offset, ascent.l1, ascent.l2, ascent.rho,
            float(objective.margin), ascent.slack, float(max_norm or 0.0),
            epochs, full_every, since_full,
        )  # fmt: skip

    return sweep


def _passes_since_full(since, full_every, n_passes):
    """The shrinking count after ``n_passes`` (-1: the next pass is full;
    0 after a full pass), as the compiled sweep keeps it."""
    for _ in range(n_passes):
        full = full_every <= 0 or since < 0 or since + 1 >= full_every
        since = 0 if full else since + 1
    return since


def block_maximizer(ascent, curvature, mu, low, high):
    """Each row's exact maximizer of ``g.d - h/2 (|d|^2 + (sum d)^2) - mu/2 |d|^2``.

    Over ``low <= d <= high``, with ``g = ascent`` (per unit ``f_i``) and
    ``h = curvature`` per row. At the optimum ``d_j = clip((g_j - h s) / (h +
    mu), low_j, high_j)`` with ``s = sum_j d_j``: ``s - sum_j d_j(s)`` is
    increasing and piecewise linear in ``s``, so its root is interpolated
    between the breakpoints that bracket it (all rows at once, no loop).

    Parameters
    ----------
    ascent : ndarray of shape (n_rows, n_classes)
    curvature : ndarray of shape (n_rows,)
    mu : float
    low, high : ndarray of shape (n_rows, n_classes)
        Bounds (0 and 0 for the coordinates that do not exist).

    Returns
    -------
    step : ndarray of shape (n_rows, n_classes)
    """
    h = curvature[:, None]
    diagonal = h + mu

    def steps(total):
        # total: (n_rows, n_points) -> d_j at each point: (n_rows, n_points, C)
        values = (ascent[:, None, :] - h[:, :, None] * total[:, :, None]) / diagonal[
            :, :, None
        ]
        return np.clip(values, low[:, None, :], high[:, None, :])

    points = np.concatenate(
        [
            (ascent - diagonal * low) / h,
            (ascent - diagonal * high) / h,
            low.sum(axis=1, keepdims=True),
            high.sum(axis=1, keepdims=True),
        ],
        axis=1,
    )
    points = np.clip(
        points, low.sum(axis=1, keepdims=True), high.sum(axis=1, keepdims=True)
    )
    points.sort(axis=1)
    residual = points - steps(points).sum(axis=2)
    above = np.argmax(residual >= 0, axis=1)
    below = np.maximum(above - 1, 0)
    rows = np.arange(len(points))
    s0, s1 = points[rows, below], points[rows, above]
    r0, r1 = residual[rows, below], residual[rows, above]
    width = r1 - r0
    safe = np.where(width > 0, width, 1.0)
    total = np.where(width > 0, s0 - r0 * (s1 - s0) / safe, s1)
    return steps(total[:, None])[:, 0, :]


def _conjugate_curvature(U, change, l1, l2):
    """``|change|^2 / l2``: a bound on the conjugate's second derivative along
    ``change`` (exact for L2, an upper bound with an L1 part)."""
    return float(np.vdot(change, change)) / l2


def _transposed(change, X_batch):
    """``change.T @ X_batch`` in float64, the product in X's dtype."""
    change = change.astype(X_batch.dtype)
    if sp.issparse(X_batch):
        return np.asarray((X_batch.T @ change).T, dtype=np.float64)
    return np.asarray(change.T @ X_batch, dtype=np.float64)
