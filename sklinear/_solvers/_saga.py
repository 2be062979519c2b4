"""Minibatch proximal SAGA with a memory of per-sample score gradients.

The memory holds ``f_i G_i`` for every sample (``n x C`` numbers, as
scikit-learn's SAG keeps per-sample gradients of linear models): the
gradient of sample ``i`` is ``f_i G_i x_i^T``, so the memory is all SAGA
needs, and ``sum_i f_i G_i x_i^T`` is kept up to date along. One step on the
batch ``B`` (``B`` one of ``k`` fixed strided views ``X[j::k]``, drawn in a
new random order each epoch):

.. math::

    D &= f_B \\nabla L_B(X_B W^T + b) - M_B, \\quad M_B \\leftarrow M_B + D \\\\
    v &= k\\, D^T \\tilde X_B + \\textstyle\\sum_i M_i \\tilde x_i^T
    \\quad(\\text{before the update of } M) \\\\
    W &\\leftarrow \\operatorname{prox}_{\\eta P \\Omega}(W - \\eta P v)

with ``\\tilde x = x - \\mu`` (the objective's centering) and ``P`` a diagonal
preconditioner. Two products with the batch (scores, then ``D^T X_B``) while
it is in cache: an epoch reads X once. The smoothed hinge (``mu > 0``) runs
through the same code.
"""

import numpy as np
import scipy.sparse as sp

from . import _curvature
from ._sample_saga import SampleSaga, sweep_applies

# 'auto' keeps minibatches on dense data that gives more steps per epoch.
_MAX_MINIBATCHES = 256
# Those minibatches have this many rows, or fewer so that an epoch takes at
# least _MIN_SAGA_STEPS steps (see saga_batches).
_SAGA_ROWS = 64
_MIN_SAGA_STEPS = 64

__all__ = [
    "MinibatchSaga",
    "make_batches",
    "make_saga",
    "saga_batches",
    "single_sample_smoothness",
]


def saga_batches(objective, n_batches, batch_size="auto", preconditioner=None):
    """Batches per epoch: one per sample where the compiled sweep pays.

    A minibatch step achieves about what a single-sample step does, so
    where a minibatch epoch takes few steps (small data, large batches)
    'auto' batches are single samples through the compiled sweep. Where
    dense data already gives more than ``_MAX_MINIBATCHES`` steps per epoch,
    minibatch SAGA converges in about as many epochs as single samples, and
    an epoch through the fused minibatch pass costs less than one of
    single-sample steps (each of which writes all the weights): the
    minibatches stay (see benchmarks/bench_saga_sweep.py), with
    ``_SAGA_ROWS`` rows (at least ``_MIN_SAGA_STEPS`` steps an epoch): a
    step also passes over all the weights several times. Since the
    compiled pass reads each batch once and swaps its memory, smaller
    batches pay: 64 rows took about half the epochs of 128 and 0.6x to
    0.95x their time (20,000 x 500, 30,000 x 300 with 20 classes, 50,000 x
    1,000 and 40,000 x 3,072 float32, 10 classes); 32 rows fewer epochs
    still, but more time on 3,072 features. Sparse data always
    goes through the sweep, whose steps touch only the row's features; data
    too small for more than one minibatch stays full batch.
    Without the sweep (or with a preconditioner, which it does not take),
    the minibatches of :func:`~._driver.auto_batches`.

    Parameters
    ----------
    objective : LinearObjective
    n_batches : int
        The number of minibatches for the NumPy path.
    batch_size : int or 'auto', default='auto'
    preconditioner : ndarray or None

    Returns
    -------
    n_batches : int
    """
    if batch_size != "auto" or not sweep_applies(objective, preconditioner):
        return n_batches
    if n_batches <= 1:
        # Tiny data runs full batch: deterministic, so that integer sample
        # weights fit exactly as repeated samples do (scikit-learn's checks).
        return n_batches
    if not sp.issparse(objective.X) and n_batches > _MAX_MINIBATCHES:
        larger = max(_MIN_SAGA_STEPS, objective.n_samples // _SAGA_ROWS)
        return min(n_batches, larger)
    return max(1, objective.n_samples)


def single_sample_rows(objective, preconditioner=None):
    """What :func:`single_sample_smoothness` reads of the rows, which does not
    change during a solve: ``(norms, probabilities)`` (one pass over X).

    ``probabilities`` are the compiled sweep's sampling probabilities, None
    where the steps go through NumPy (drawn uniformly).
    """
    norms = _curvature.row_norms(objective, preconditioner)
    probabilities = None
    if sweep_applies(objective, preconditioner):  # (no preconditioner here)
        probabilities = _curvature.sampling_probabilities(objective, norms)
    return norms, probabilities


def single_sample_smoothness(objective, curvature, preconditioner=None, rows=None):
    """``L(1)`` of the single-sample steps :func:`make_saga` takes.

    Through the compiled sweep, samples are drawn by
    :func:`~._curvature.sampling_probabilities`; through NumPy (no sweep, or
    a preconditioner), uniformly.

    Parameters
    ----------
    objective : LinearObjective
    curvature : ndarray of shape (n_samples,)
        The loss's curvature in the scores at each sample.
    preconditioner : ndarray of shape (n_features,) or None
    rows : tuple, default=None
        From :func:`single_sample_rows` (computed when None).

    Returns
    -------
    smoothness : float
    """
    norms, probabilities = (
        single_sample_rows(objective, preconditioner) if rows is None else rows
    )
    return _curvature.single_sample_smoothness(
        objective, curvature, preconditioner, probabilities, norms
    )


def make_saga(objective, n_batches, preconditioner=None):
    """The SAGA stepper for ``n_batches`` batches per epoch.

    Single-sample batches run through the compiled sweep
    (:class:`~._sample_saga.SampleSaga`) where it applies, anything else
    through :class:`MinibatchSaga` in NumPy.

    Parameters
    ----------
    objective : LinearObjective
    n_batches : int
    preconditioner : ndarray of shape (n_features,) or None

    Returns
    -------
    saga : SampleSaga or MinibatchSaga
        With ``reset(gradient, weighted_sum)`` and ``epoch(W, b, eta,
        order, mu)``; ``order`` is a permutation of ``range(n_batches)``.
    """
    if n_batches >= objective.n_samples and sweep_applies(objective, preconditioner):
        return SampleSaga(objective)
    batches = make_batches(objective.X, n_batches)
    return MinibatchSaga(objective, batches, preconditioner)


def make_batches(X, n_batches):
    """Batches of rows that cover X once, never copying it.

    Dense X: strided views ``X[j::n_batches]`` (each batch samples the whole
    data set, even when it is sorted by class). CSR: contiguous blocks of
    rows, as matrices that share X's arrays (slicing a CSR matrix copies).

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    n_batches : int

    Returns
    -------
    batches : list of (rows, X_batch)
        ``rows`` a slice of the samples, ``X_batch`` the rows themselves.
    """
    n_samples = X.shape[0]
    n_batches = int(max(1, min(n_batches, n_samples)))
    if not sp.issparse(X):
        return [(slice(j, None, n_batches), X[j::n_batches]) for j in range(n_batches)]
    X = sp.csr_matrix(X)
    edges = np.linspace(0, n_samples, n_batches + 1).astype(int)
    batches = []
    for start, stop in zip(edges[:-1], edges[1:]):
        indptr = X.indptr[start : stop + 1]
        first, last = indptr[0], indptr[-1]
        block = sp.csr_matrix(
            (X.data[first:last], X.indices[first:last], indptr - first),
            shape=(stop - start, X.shape[1]),
            copy=False,
        )
        batches.append((slice(start, stop), block))
    return batches


class MinibatchSaga:
    """The SAGA memory of one objective and the steps that use it.

    Parameters
    ----------
    objective : LinearObjective
        Its penalty's proximal step follows each step (with a ``max_norm``,
        it projects each class row onto the ball, in the metric of the
        per-feature steps).
    batches : list
        From :func:`make_batches`.
    preconditioner : ndarray of shape (n_features,) or None
        Per-feature step multipliers.
    """

    #: Its epochs run one call each (see SampleSaga.chains_epochs).
    chains_epochs = False
    #: No rows' statistics kept (see SampleSaga.rows).
    rows = None

    def __init__(self, objective, batches, preconditioner=None):
        self.objective = objective
        self.batches = batches
        dtype = objective.dtype
        n_features = objective.X.shape[1]
        self.preconditioner = (
            None if preconditioner is None else np.asarray(preconditioner, dtype=dtype)
        )
        self.offset = (
            np.zeros(n_features, dtype=dtype)
            if objective.offset is None
            else objective.offset.astype(dtype)
        )
        self.factors = objective._factors(slice(None), objective.n_samples)
        # The memory in batch order, each batch's rows side by side: a
        # batch's memory is then one contiguous block, which the compiled
        # pass updates in place (dense batches are strided rows of X).
        sizes = [X_batch.shape[0] for _, X_batch in batches]
        edges = np.concatenate([[0], np.cumsum(sizes)])
        self.blocks = [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]
        # (Views of one range: a range per batch, each kept alive by its
        # view, took n_batches x n_samples integers, 11.7 GB at 200,000 rows.)
        samples = np.arange(objective.n_samples)
        self.memory_order = np.concatenate([samples[rows] for rows, _ in batches])
        # The compiled pass computes the exact hinge, not its smoothing.
        self.fused = objective._fused if objective.loss_function.smooth else None
        self.kernel_factors = self.factors.astype(dtype)
        self.memory = None
        self.sum_W = None
        self.sum_b = None

    def reset(self, gradient, weighted_sum):
        """Fill the memory from score gradients of all samples (a snapshot).

        Parameters
        ----------
        gradient : ndarray of shape (n_samples, n_classes)
            Unweighted score gradients ``G_i``.
        weighted_sum : ndarray of shape (n_classes, n_features)
            ``sum_i f_i G_i x_i^T`` (uncentered).
        """
        dtype = self.objective.dtype
        order = self.memory_order
        self.memory = (gradient[order] * self.factors[order, None]).astype(dtype)
        self.sum_W = np.array(weighted_sum, dtype=dtype)  # a copy: updated in place
        self.sum_b = self.memory.sum(axis=0, dtype=np.float64).astype(dtype)

    def epoch(self, W, b, eta, order, mu=0.0):
        """One pass of SAGA steps over the batches in ``order`` (in place).

        Parameters
        ----------
        W : ndarray of shape (n_classes, n_features)
        b : ndarray of shape (n_classes,)
            The objective's intercept parameters (``c`` when centered).
        eta : float
            Step size.
        order : sequence of int
            Batch indices.
        mu : float, default=0.0
            Hinge smoothing.

        Returns
        -------
        finite : bool
            False when the weights stopped being finite (step far too large).
        """
        objective = self.objective
        dtype = W.dtype
        n_batches = dtype.type(len(self.batches))
        step = dtype.type(eta)
        scaled_step = (
            step if self.preconditioner is None else step * self.preconditioner
        )
        fit_intercept = objective.fit_intercept
        offset = self.offset
        penalty, smooth_l2 = objective.penalty, _plain_l2(objective.penalty)
        shrink = dtype.type(1.0 / (1.0 + eta * smooth_l2)) if smooth_l2 else None
        y, memory = objective.y, self.memory
        for index in order:
            rows, X_batch = self.batches[index]
            block = memory[self.blocks[index]]
            shift = (b - W @ offset) if fit_intercept else 0
            # One pass over the rows in compiled code where it is the faster
            # (it also swaps the memory), else two BLAS products.
            fused = None
            if self.fused is not None:
                fused = self.fused(
                    X_batch, rows, W, shift, self.kernel_factors[rows],
                    objective.margin, memory=block,
                )  # fmt: skip
            if fused is not None:
                _, delta_W, delta_b = fused
            else:
                delta_W, delta_b = _numpy_delta(
                    objective, X_batch, W, shift, y[rows], self.factors[rows],
                    block, mu,
                )  # fmt: skip
            direction_b = n_batches * delta_b + self.sum_b
            direction_W = n_batches * delta_W
            direction_W += self.sum_W
            direction_W -= np.outer(direction_b, offset)
            self.sum_W += delta_W
            self.sum_b += delta_b
            direction_W *= scaled_step
            W -= direction_W
            if shrink is not None and self.preconditioner is None:
                W *= shrink
            else:
                W[...] = penalty.prox(W, scaled_step)
            if fit_intercept:
                b -= step * direction_b
        return bool(np.isfinite(W).all() and np.isfinite(b).all())


def _numpy_delta(objective, X_batch, W, shift, y, factors, block, mu):
    """The change of the batch's gradient sums, ``(G - M)^T X`` and the
    column sums of ``G - M`` (``G`` its weighted score gradients, ``M`` its
    memory ``block``), with two BLAS products; ``block`` becomes ``G``."""
    scores = np.asarray(X_batch @ W.T)
    scores += shift
    gradient = objective.loss_function.score_gradient(scores, y, mu, out=scores)
    gradient *= factors[:, None]
    delta = gradient - block
    block[...] = gradient
    return _transposed(delta, X_batch), delta.sum(axis=0)


def _plain_l2(penalty):
    """The L2 strength when the penalty is plain L2 (its prox is a scaling)."""
    return penalty.alpha if type(penalty).__name__ == "L2" else 0.0


def _transposed(delta, X_batch):
    """``delta.T @ X_batch`` as a dense array in X's dtype."""
    if sp.issparse(X_batch):
        return np.asarray((X_batch.T @ delta).T)
    return delta.T @ X_batch
