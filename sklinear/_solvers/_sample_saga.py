"""Per-sample proximal SAGA epochs through the compiled sweep.

:class:`SampleSaga` keeps the same memory as :class:`MinibatchSaga` and
takes the same steps with batches of one row, but an epoch is one call of
``sklinear._saga_sweep.epoch`` (C): with single-sample steps an epoch
achieves about what as many minibatch epochs do, and only compiled code
takes a step in microseconds. On CSR data a step costs the row's nonzeros
times the classes (lazy updates), not all ``n_classes x n_features``
weights.

Three choices differ from the NumPy path:

- The state (weights, intercepts, memory, running sums) is float64 whatever
  X's dtype: an epoch adds ``n`` increments to the running sums and, on
  sparse data, divides by a scale factor that falls by orders of magnitude
  (the L2 shrinkage applied lazily); float32 would lose the digits a
  duality gap of 1e-3 or smaller needs. X is read in its own dtype.
- Sparse epochs keep the weights and ``sum_W`` column-major (a feature's
  weights for all classes side by side, as scikit-learn's SAG keeps them):
  a step then touches a cache line or two per nonzero, not one per class.
- Sparse epochs run uncentered: centering by the offset ``mu`` is only a
  reparametrization of the intercept (``b = c - W mu``), but its steps touch
  every column. The epoch converts ``c`` to ``b`` before and back after, and
  takes SAGA steps on the uncentered (same) objective. The step size the
  driver chooses covers both (see :func:`largest_row_curvature`).
"""

import numpy as np
import scipy.sparse as sp

from .. import _csr_products as csr_products
from .._duality import penalty_strengths
from .._row_layout import readable_rows
from ..penalties import L1, L2, ElasticNet, MaxNorm, NoPenalty
from ._curvature import row_norms, sampling_probabilities

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

try:
    from .. import _saga_sweep
except ImportError:  # built without a C compiler: minibatches in NumPy
    _saga_sweep = None

__all__ = ["SampleSaga", "sweep_available", "sweep_applies"]

# Tests and benchmarks switch the sweep off to compare it with NumPy.
enabled = True
_PENALTIES = (NoPenalty, L2, L1, ElasticNet)


def sweep_available():
    """Whether the compiled sweep was built and is switched on."""
    return _saga_sweep is not None and enabled


def sweep_applies(objective, preconditioner=None):
    """Whether :class:`SampleSaga` can run ``objective``.

    Parameters
    ----------
    objective : LinearObjective
    preconditioner : ndarray or None
        Per-feature steps are not supported (the lazy sparse steps share one
        step across columns).

    Returns
    -------
    applies : bool
    """
    X = objective.X
    return (
        sweep_available()
        and preconditioner is None
        and type(_unbounded(objective.penalty)) in _PENALTIES
        and hasattr(_saga_sweep, objective.loss_function.kernel)
        and X.dtype in _FLOATS
        and (sp.issparse(X) and X.format == "csr" or isinstance(X, np.ndarray))
    )


def _unbounded(penalty):
    """The penalty without its max-norm bound (the sweep takes that apart)."""
    return penalty.penalty if isinstance(penalty, MaxNorm) else penalty


class SampleSaga:
    """The SAGA memory of one objective and its per-sample epochs.

    Parameters
    ----------
    objective : LinearObjective
        Dense or CSR X, float32 or float64. A penalty with a ``max_norm``
        bounds the L2 norm of each class row (a projection after each step).
    sampling : {'curvature', 'uniform'}, default='curvature'
        'uniform': an epoch visits the samples of ``order`` (a permutation),
        each once, exactly the steps of :class:`MinibatchSaga` with batches
        of one row. 'curvature': sample ``i`` is drawn with probability
        ``p_i`` (:func:`~._curvature.sampling_probabilities`) and its new
        gradient weighed by ``1 / (n p_i)``, so that rows of large norm do
        not set a small step for all. The draws are stratified: ``order``
        (a random permutation) is read as ``n`` evenly spaced points in
        ``[0, 1)`` in random order, each mapped through the inverse of the
        cumulative distribution, so sample ``i`` is visited ``n p_i`` times
        per epoch, rounded up or down.
    """

    def __init__(self, objective, sampling="curvature"):
        self.objective = objective
        self.max_norm = objective.penalty.max_norm
        n = objective.n_samples
        # What the step size reads of the rows (see single_sample_rows),
        # kept so that the solve does not read X for it again.
        self.rows = None
        if sampling == "uniform" or n == 0:
            self.scales = np.full(n, float(n))
            self.cumulative = None
        else:
            norms = row_norms(objective)
            probabilities = sampling_probabilities(objective, norms)
            self.rows = (norms, probabilities)
            self.scales = 1.0 / probabilities
            self.cumulative = np.cumsum(probabilities)
        self.X, self.indices, self.indptr = _sweep_arrays(objective.X)
        self.y = np.ascontiguousarray(objective.y, dtype=np.intp)
        self.factors = np.ascontiguousarray(
            objective._factors(slice(None), objective.n_samples), dtype=np.float64
        )
        self.sparse = self.indptr is not None
        # Sparse steps touch a few features' weights for all classes: they
        # keep W and sum_W column-major, so those weights are side by side.
        self._order = "F" if self.sparse else "C"
        offset = objective.offset
        self.offset = None if offset is None else np.asarray(offset, np.float64)
        self.l1, self.l2 = penalty_strengths(objective.penalty)
        self.memory = self.sum_W = self.sum_b = None

    def reset(self, gradient, weighted_sum):
        """Fill the memory from score gradients of all samples (a snapshot).

        Takes over both arrays where their dtype and layout are the memory's
        (float64, writable; ``gradient`` C-ordered, ``weighted_sum`` in the
        sweep's order): the caller must not use them after.

        Parameters
        ----------
        gradient : ndarray of shape (n_samples, n_classes)
            Unweighted score gradients ``G_i``.
        weighted_sum : ndarray of shape (n_classes, n_features)
            ``sum_i f_i G_i x_i^T`` (uncentered).
        """
        gradient = np.require(gradient, np.float64, ["C", "W"])
        self.memory = np.multiply(gradient, self.factors[:, None], out=gradient)
        self.sum_W = np.require(weighted_sum, np.float64, [self._order, "W"])
        self.sum_b = self.memory.sum(axis=0)

    @property
    def chains_epochs(self):
        """Whether one call of :meth:`epoch` with the orders of several epochs
        end to end takes the same steps as a call for each: on dense float64
        rows, which keep no lazy state and whose weights are not rounded
        between calls."""
        return not self.sparse and self.X.dtype == np.float64

    def epoch(self, W, b, eta, order, mu=0.0):
        """One pass of single-sample SAGA steps in ``order`` (in place).

        Parameters
        ----------
        W : ndarray of shape (n_classes, n_features)
        b : ndarray of shape (n_classes,)
            The objective's intercept parameters (``c`` when centered).
        eta : float
            Step size.
        order : ndarray of int
            Sample indices, each in ``[0, n_samples)``: a permutation with
            the 'curvature' sampling (see the class), or several end to end
            (see :attr:`chains_epochs`).
        mu : float, default=0.0
            Hinge smoothing.

        Returns
        -------
        finite : bool
            False when the weights stopped being finite (step far too large).
        """
        objective = self.objective
        W64 = np.array(W, dtype=np.float64, order=self._order)
        b64 = np.array(b, dtype=np.float64)
        uncentered = self.sparse and self.offset is not None
        if uncentered:  # c -> b = c - W mu
            b64 -= W64 @ self.offset
        _saga_sweep.epoch(
            self.X, self.indices, self.indptr, self.y, self.factors,
            self.scales, self._samples(order),
            None if self.sparse else self.offset,
            W64, b64, self.memory, self.sum_W, self.sum_b,
            getattr(_saga_sweep, objective.loss_function.kernel),
            float(eta), float(objective.margin),
            float(mu), float(self.l1), float(self.l2),
            0.0 if self.max_norm is None else float(self.max_norm),
            bool(objective.fit_intercept),
        )  # fmt: skip
        if uncentered:
            b64 += W64 @ self.offset
        W[...] = W64
        b[...] = b64
        return bool(np.isfinite(W64).all() and np.isfinite(b64).all())

    def _samples(self, order):
        """The samples an epoch visits, from a permutation ``order`` (or
        the samples of several, from their permutations end to end)."""
        order = np.asarray(order)
        if self.cumulative is None:
            return order
        n = len(self.cumulative)
        points = (order.astype(np.float64) + 0.5) / n
        samples = np.searchsorted(self.cumulative, points, side="right")
        return np.minimum(samples, n - 1)


def _sweep_arrays(X):
    """X as the sweep reads it: dense rows, or CSR arrays without duplicates.

    Dense rows it cannot read in place (Fortran order) are copied once per
    solve: a per-sample step reads a whole row, which Fortran order spreads
    over one cache line per feature. The minibatch paths read any layout.
    """
    if not sp.issparse(X):
        X = readable_rows(X, _FLOATS)
        if X.strides[0] < 0:  # rows the sweep reads forwards only
            X = np.array(X, order="C")
        return X, None, None
    # The sweep refuses a column twice in a row: LinearObjective keeps CSR X
    # without (a second check would read the indices again, 20 ms at
    # 80,000 x 100,000 rows of 120 values); another format is converted here.
    if X.format != "csr":
        X = csr_products.without_duplicates(sp.csr_matrix(X))
    return X.data, X.indices, X.indptr
