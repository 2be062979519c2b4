"""The certified solvers' entry point: :func:`solve` picks a method and runs it.

``'saga'`` alternates proximal SAGA epochs with snapshots (``_saga_loop``);
``'sdca'`` runs dual coordinate ascent for the hinge with an L2 part
(``_dual_loop``). Both stop when the certified relative duality gap is at
most ``tol``. Here: the method's choice, the minibatch count, BLAS threads
for small products and the per-epoch hooks (callbacks).
"""

import contextlib
import functools

import scipy.sparse as sp
from threadpoolctl import ThreadpoolController

from .._duality import penalty_strengths
from ._curvature import row_norms
from ._dual_loop import solve_hinge_dual
from ._hinge_polish import hinge_polish_applies
from ._lbfgs import l2_penalty_alone, lbfgs_applies, lbfgs_pays, solve_lbfgs
from ._newton import newton_applies
from ._owlqn import l1_part_without_max_norm, owlqn_applies, solve_owlqn
from ._progress import SolverResult, finish, met
from ._progress import random_state as random_state_of
from ._quasi_newton import pairs_affordable
from ._saga import make_batches, make_saga, saga_batches
from ._saga_loop import solve_saga
from ._snapshot import Certificate

__all__ = ["SolverResult", "solve", "auto_batches", "prefer_lbfgs"]

# Python costs some tens of microseconds per step: a batch should hold at
# least this many multiply-adds (rows * features * classes) for the products
# to dominate, and at most _MAX_BATCH rows for an epoch to have many steps.
_MIN_BATCH_WORK = 1 << 17
_MIN_BATCH, _MAX_BATCH = 16, 256
_MIN_BATCHES = 8
# Dual coordinate ascent gains from small batches (closer to one sample at a
# time): rows per batch for the hinge.
_DUAL_BATCH = 16
# Below this many multiply-adds per batch product, BLAS runs on one thread:
# waking others costs more than they save (and oversubscribes a shared CPU).
_MIN_THREADED_WORK = 1 << 20
_controller = None


def _blas_threads(work):
    """A context that limits BLAS to one thread for small products."""
    global _controller
    if work >= _MIN_THREADED_WORK:
        return contextlib.nullcontext()
    if _controller is None:  # inspecting the loaded libraries costs ~1 ms
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


def auto_batches(n_samples, n_features, n_classes, batch_size="auto", nonzeros=None):
    """Number of minibatches per epoch.

    Parameters
    ----------
    n_samples, n_features, n_classes : int
    batch_size : int or 'auto', default='auto'
        'auto': batches of ``_MIN_BATCH`` to ``_MAX_BATCH`` rows holding at
        least ``_MIN_BATCH_WORK`` multiply-adds, so that tiny data (iris)
        runs full-batch and large data many steps per epoch.
    nonzeros : int, default=None
        Stored entries of a sparse X. A step updates all ``n_classes x
        n_features`` weights, so 'auto' batches then hold at least as many
        nonzeros as there are features: the dense update costs no more than
        the batch's products, and an epoch stays proportional to the
        nonzeros.

    Returns
    -------
    n_batches : int
    """
    if batch_size != "auto":
        return max(1, -(-n_samples // int(batch_size)))
    rows = _MIN_BATCH_WORK / max(n_features * n_classes, 1)
    rows = min(max(rows, _MIN_BATCH), _MAX_BATCH)
    if nonzeros is not None:
        per_row = max(nonzeros / max(n_samples, 1), 1.0)
        rows = max(rows, n_features / per_row)
    # Variance reduction needs several steps per epoch: with one batch it is
    # plain (proximal) gradient descent, hundreds of epochs on iris.
    at_least = min(_MIN_BATCHES, n_samples // _MIN_BATCH)
    return max(1, at_least, int(n_samples // rows))


def solve(
    objective,
    W,
    b,
    *,
    method="auto",
    tol=1e-3,
    max_epochs=1000,
    settle=None,
    polish_tol=None,
    batch_size="auto",
    preconditioner=None,
    step_factor=1.0,
    mu=None,
    random_state=None,
    gap=None,
    verbose=0,
    on_epoch_begin=None,
    on_epoch_end=None,
):
    """Minimize ``objective`` to a certified relative duality gap ``tol``.

    ``'saga'``: minibatch proximal SAGA, for either loss and any penalty
    (the hinge through a homotopy on its smoothing). ``'sdca'``: minibatch
    dual coordinate ascent, for the hinge with an L2 part (L2, elastic net,
    with or without a ``max_norm``); it starts from ``W = 0`` whatever ``W``
    holds (only ``b`` is used).

    Parameters
    ----------
    objective : LinearObjective
        With ``fit_intercept``; softmax or hinge; penalty L2, L1 or elastic
        net, or any of them (or none) with a ``max_norm``
        (:class:`~sklinear.penalties.MaxNorm`: a projection after every
        proximal step). No gap can be certified without either.
    W : ndarray of shape (n_classes, n_features)
        Starting weights, updated in place.
    b : ndarray of shape (n_classes,)
        Starting intercept parameters (``c`` when the objective is centered),
        updated in place.
    method : {'auto', 'saga', 'sdca', 'lbfgs'}, default='auto'
        'auto': 'sdca' where it applies, else :func:`prefer_lbfgs`'s
        choice between 'lbfgs' and 'saga'. 'lbfgs': L-BFGS for the softmax
        with an L2 penalty alone (:mod:`._lbfgs`), or with an L1 part its
        orthant-wise form (:mod:`._owlqn`), SAGA's epochs after it
        where it stops short of ``tol``.
    tol : float, default=1e-3
        Target relative gap ``(P - D) / P``.
    max_epochs : int, default=1000
        Epochs at most (snapshots not counted).
    settle : tuple of (float, int), default=None
        ``(looser_tol, epochs)``: after that many epochs, or once the gap's
        rate says ``tol`` would not be reached by then, a gap of at most
        ``looser_tol`` ends the solve too (a cap on the effort spent on a
        ``tol`` far below what was asked).
    polish_tol : float, default=None
        'saga': Newton's steps take the gap to ``polish_tol``
        (:func:`~._newton.newton_polish`; each counts as an epoch), from the
        start, with SAGA's epochs only where they stop short of ``tol``,
        where :func:`~._newton.newton_applies` (the softmax with an L2
        penalty alone on dense float64 X of few parameters). 'sdca':
        checks also try the exact point of the dual variables' partition
        and end the solve if it certifies ``polish_tol``, where
        :func:`~._hinge_polish.hinge_polish_applies` (an L2 penalty alone,
        dense float64 X). Elsewhere ignored.
    batch_size : int or 'auto', default='auto'
        See :func:`auto_batches`; 'auto' gives the dual method batches of
        ``_DUAL_BATCH`` rows.
    preconditioner : ndarray of shape (n_features,), default=None
        Per-feature step multipliers (e.g. ``feature_preconditioner()``).
    step_factor : float, default=1.0
        Multiplies the step ``1 / L(m)``.
    mu : float, default=None
        Initial hinge smoothing; None uses the margin.
    random_state : int, RandomState or None, default=None
        Order of the batches.
    gap : Certificate, default=None
        A :class:`~sklinear._solvers._snapshot.Certificate` of ``objective``
        to reuse; the gaps come from :func:`sklinear._duality.duality_gap`.
    verbose : int, default=0
        Print a line per snapshot.
    on_epoch_begin : callable, default=None
        Called as ``on_epoch_begin(epoch)`` (0-based) before each epoch.
    on_epoch_end : callable, default=None
        Called as ``on_epoch_end(epoch, W, b)`` after each epoch; a true
        return value stops the solver (``result.interrupted``).

    Returns
    -------
    result : SolverResult
    """
    method = prefer_lbfgs(
        objective, resolve_method(objective.loss, objective.penalty, method), method
    )
    n_batches = auto_batches(
        objective.n_samples, objective.X.shape[1], W.shape[0], batch_size,
        nonzeros=_nonzeros(objective.X),
    )  # fmt: skip
    # BLAS threads by the work of auto's batches, before SAGA adjusts them:
    # the certified fits of small data must not depend on the thread count.
    work = objective.n_samples / n_batches * objective.X.shape[1] * W.shape[0]
    if method in ("saga", "lbfgs"):  # (SAGA finishes where L-BFGS stops short)
        n_batches = saga_batches(objective, n_batches, batch_size, preconditioner)
    hooks = _Hooks(on_epoch_begin, on_epoch_end)
    with _blas_threads(work):
        return _solve(
            objective, W, b, method, n_batches, tol, max_epochs, preconditioner,
            step_factor, mu, random_state, gap, verbose,
            batch_size != "auto", hooks, settle, polish_tol,
        )  # fmt: skip


# On CSR data, 'auto' weighs L-BFGS against SAGA on at most this many stored
# values (a pass over them for the rows' norms).
_LBFGS_CHOICE_VALUES = 5_000_000


def prefer_lbfgs(objective, resolved, asked="auto"):
    """``'lbfgs'`` where 'auto' resolved to 'saga' and L-BFGS applies
    (:func:`~._lbfgs.lbfgs_applies`), except on problems so small that
    Newton's steps, which SAGA's solve starts with, beat both
    (:func:`~._newton.newton_applies`): on dense X always, on CSR X where
    SAGA's steps would be short (:func:`~._lbfgs.lbfgs_pays`, on at most
    ``_LBFGS_CHOICE_VALUES`` stored values); with an L1 part, its
    orthant-wise form (:func:`~._owlqn.owlqn_applies`) on dense X and on
    CSR X of at most ``_LBFGS_CHOICE_VALUES`` stored values; on CSR X only
    where its pairs fit beside X (:func:`_pairs_fit`); else ``resolved``.

    Dense X: a full-batch gradient is one product through BLAS or the fused
    pass, and L-BFGS needed few of them (5 to 11 iterations, 0.45x SAGA's
    time, on 15,000 x 500 rows at alpha 1e-2 to 1e-4; 10 and 0.40x on
    40,000 x 3,072 float32 rows; 18 and 0.6x on digits at 1e-2). CSR X:
    SAGA's compiled sweep took 3 epochs where L-BFGS took 16 iterations and
    5.6x the time (15,000 x 20,000 tf-idf rows, alpha 1e-4). With an L1
    part SAGA's steps are short where alpha is small: to a gap of 1e-3
    OWL-QN took 0.11x to 1.13x SAGA's time on wine, breast cancer and
    digits, 0.56x and 0.84x on iris with pure L1 and 1.2x and 1.4x (a few
    ms) with the elastic net (``benchmarks/bench_l1.py``; SAGA did not reach
    the gap in 1,000 epochs with pure L1 at alpha 1e-3), and 0.18x to 0.45x
    on 20,000 x 20,000 tf-idf rows (``--tfidf``: L1 at alpha 1e-5 to 1e-3,
    elastic net at 1e-4).

    Parameters
    ----------
    objective : LinearObjective
    resolved : str
        :func:`resolve_method`'s method.
    asked : str, default='auto'
        The method asked for: only 'auto' is changed.

    Returns
    -------
    method : str
    """
    if asked != "auto" or resolved != "saga":
        return resolved
    X = objective.X
    sparse_fits = sp.issparse(X) and X.nnz <= _LBFGS_CHOICE_VALUES
    sparse_fits = sparse_fits and _pairs_fit(objective)
    if owlqn_applies(objective) and (not sp.issparse(X) or sparse_fits):
        return "lbfgs"
    if not lbfgs_applies(objective) or newton_applies(objective):
        return resolved
    if not sp.issparse(X):
        return "lbfgs"
    if sparse_fits and lbfgs_pays(objective, row_norms(objective)):
        return "lbfgs"
    return resolved


# On CSR data, 'auto' runs L-BFGS only where its pairs (each two vectors of
# n_classes x n_features) are affordable (_quasi_newton.pairs_affordable)
# beside this many times X's stored values and indices:
# with many hashed features the pairs, not X, would fill the memory (2**20
# features and 20 classes: 3.4 GB).
_PAIRS_PER_X = 4


def _pairs_fit(objective):
    """Whether L-BFGS's pairs are affordable beside CSR ``objective.X``."""
    X = objective.X
    n = objective.n_classes * (X.shape[1] + 1)
    return pairs_affordable(n, _PAIRS_PER_X * X.nnz * 12)


def resolve_method(loss, penalty, method):
    """The method ``solve`` runs: 'sdca' where it applies, else 'saga'.

    Parameters
    ----------
    loss : {'softmax', 'hinge'}
    penalty : Penalty
        From :func:`sklinear.penalties.make_penalty` (with its ``max_norm``).
    method : {'auto', 'saga', 'sdca', 'lbfgs'}

    Returns
    -------
    method : {'saga', 'sdca', 'lbfgs'}

    Raises
    ------
    ValueError
        If 'sdca' is asked for where it does not apply.
    """
    dual_applies = loss == "hinge" and penalty_strengths(penalty)[1] > 0
    if method == "auto":
        return "sdca" if dual_applies else "saga"
    quasi_newton = l2_penalty_alone(penalty) or l1_part_without_max_norm(penalty)
    if method == "lbfgs" and not (loss == "softmax" and quasi_newton):
        raise ValueError(
            "solver='lbfgs' needs the softmax loss with penalty='l2', 'l1' or "
            "'elasticnet' (no max_norm) and alpha > 0: L-BFGS steps on a "
            "smooth objective; use solver='saga' for this one."
        )
    if method == "sdca" and not dual_applies:
        raise ValueError(
            "solver='sdca' needs the hinge loss with an L2 part in the penalty "
            "('l2' or 'elasticnet' with l1_ratio < 1, alpha > 0); use "
            "solver='saga' for this objective."
        )
    return method


def _nonzeros(X):
    return X.nnz if sp.issparse(X) else None


def _solve(
    objective, W, b, method, n_batches, tol, max_epochs, preconditioner,
    step_factor, mu, random_state, gap, verbose, batch_size_given,
    hooks, settle, polish_tol,
):  # fmt: skip
    gap = Certificate(objective) if gap is None else gap
    if method == "sdca":
        n_dual = max(1, objective.n_samples // _DUAL_BATCH)
        batches = functools.partial(
            make_batches, objective.X, n_batches if batch_size_given else n_dual
        )
        if polish_tol is not None and not hinge_polish_applies(objective):
            polish_tol = None
        return solve_hinge_dual(
            objective, W, b, batches, tol, max_epochs, random_state, gap, verbose,
            hooks, settle, polish_tol,
        )  # fmt: skip
    done = None
    if method == "lbfgs":
        quasi_newton = solve_lbfgs if lbfgs_applies(objective) else solve_owlqn
        done, snapshot = quasi_newton(
            objective, W, b, tol, max_epochs, gap, verbose, hooks, settle
        )
        if (
            met(done, snapshot.relative, tol, settle)
            or done.interrupted
            or done.n_epochs >= max_epochs
        ):
            return finish(done, snapshot, tol)
        snapshot = None  # its n x C gradient is not SAGA's: not kept alive
    saga = make_saga(objective, n_batches, preconditioner)
    if polish_tol is not None and not newton_applies(objective):
        polish_tol = None
    used = 0 if done is None else done.n_epochs
    result = solve_saga(
        objective, W, b, saga, n_batches, tol, max_epochs - used, preconditioner,
        step_factor, mu, random_state_of(random_state), gap, verbose, hooks,
        settle, polish_tol,
    )  # fmt: skip
    return result if done is None else _continued(done, result)


def _continued(first, then):
    """``then`` (SAGA, where L-BFGS stopped short of tol) counted after
    ``first``: one result, of the method asked for."""
    then.method = first.method
    then.history = first.history + [
        (first.n_epochs + entry[0], *entry[1:]) for entry in then.history
    ]
    then.n_epochs += first.n_epochs
    then.n_steps += first.n_steps
    then.n_snapshots += first.n_snapshots
    return then


class _Hooks:
    """The per-epoch hooks of one solve (callbacks)."""

    def __init__(self, on_epoch_begin, on_epoch_end):
        self.begin, self.end = on_epoch_begin, on_epoch_end

    @property
    def idle(self):
        """Whether no hook runs between epochs (so they may run in one call)."""
        return self.begin is None and self.end is None

    def run_epoch(self, result, n_batches, run, b_now=None):
        """Run one epoch ``run()`` between the hooks; whether to go on."""
        if self.begin is not None:
            self.begin(result.n_epochs)
        finite = run()
        result.n_epochs += 1
        result.n_steps += n_batches
        if self.end is not None:
            b = result.b if b_now is None else b_now()
            if self.end(result.n_epochs - 1, result.W, b):
                result.interrupted = True
        return finite and not result.interrupted
