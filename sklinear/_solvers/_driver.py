"""The default solver: minibatch prox-SAGA checked by certified duality gaps.

``solve`` alternates SAGA epochs with *snapshots*: a pass that computes the
scores of every sample, moves the intercept to its best value for ``W``
(Newton's method on ``C`` numbers), refreshes the SAGA memory with the exact
score gradients there and certifies the duality gap. Snapshots are spaced by
the rate at which the gap fell so far, so a fit checks a few times near its
end and seldom before.

The hinge loss is not smooth: it is replaced by its Moreau smoothing with a
parameter ``mu`` that decreases geometrically whenever the smoothed problem
is solved to a fraction of the smoothing's own error (a homotopy). The gap is
always that of the true objective; the smoothed gradient is a dual point of
the hinge, so the gap closes as ``mu`` shrinks.
"""

import contextlib
import functools
import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController

from .._duality import penalty_strengths
from ._curvature import local_curvature, sample_rows
from ._dual_cd import HingeDualAscent
from ._saga import make_batches, make_saga, saga_batches, single_sample_smoothness
from ._snapshot import Certificate

__all__ = ["SolverResult", "solve", "auto_batches"]

# Python costs some tens of microseconds per step: a batch should hold at
# least this many multiply-adds (rows * features * classes) for the products
# to dominate, and at most _MAX_BATCH rows for an epoch to have many steps.
_MIN_BATCH_WORK = 1 << 17
_MIN_BATCH, _MAX_BATCH = 16, 256
_MIN_BATCHES = 8
# Dual coordinate ascent gains from small batches (closer to one sample at a
# time): rows per batch for the hinge.
_DUAL_BATCH = 16
# The homotopy divides mu by this when the smoothed problem is solved to
# _STAGE_ACCURACY of the smoothing error.
_MU_DIVISOR = 4.0
_STAGE_ACCURACY = 0.5
_MAX_EPOCHS_BETWEEN_CHECKS = 8
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


# Local steps are at most _MAX_LOCAL_GAIN times the global one (1 / L_b): on
# 40,000 x 3,072 float32 data, steps up to 100 times larger made the
# objective bounce at epochs 32-42; on 8,000 x 1,000 float32 (10 classes,
# alpha 5e-3) a cap of 2 still let it rise within the accepted slack and
# stall at a relative gap ~1e-1 for 200 epochs, a cap of 1 fell at every
# snapshot to 1e-3 in 21 epochs (iris, wine, digits: 1.4-1.8x the epochs of
# a cap of 2). Steps also grow at most _MAX_STEP_GROWTH from one snapshot to
# the next.
_MAX_LOCAL_GAIN = 1.0
_MAX_STEP_GROWTH = 2.0


@dataclass
class SolverResult:
    """What :func:`solve` found.

    Attributes
    ----------
    W, b : ndarray
        Weights and intercept parameters of the objective (updated in place).
    method : {'saga', 'sdca'}
        The method that ran.
    n_epochs : int
        Epochs run (each reads X once).
    n_steps : int
        Minibatch steps taken.
    n_snapshots : int
        Snapshots (each reads X twice: scores, then the gradient).
    gap : float
        Certified relative duality gap at ``(W, b)``.
    primal : float
        The objective at ``(W, b)``.
    converged : bool
        Whether ``gap <= tol``.
    interrupted : bool
        Whether ``on_epoch_end`` asked to stop.
    history : list of tuple
        ``(epochs, relative gap, primal, mu, seconds)`` at every snapshot
        (``seconds`` since the start, snapshots included).
    """

    W: np.ndarray
    b: np.ndarray
    method: str = "saga"
    n_epochs: int = 0
    n_steps: int = 0
    n_snapshots: int = 0
    gap: float = np.inf
    primal: float = np.inf
    converged: bool = False
    interrupted: bool = False
    history: list = field(default_factory=list)


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


def _smoothness(objective, curvature, n_batches, preconditioner):
    """The expected smoothness ``L(m)`` for per-row loss curvatures."""
    if n_batches >= objective.n_samples:  # single samples (see _saga)
        return single_sample_smoothness(objective, curvature, preconditioner)
    rows, X_sample, weights = sample_rows(objective)
    top, per_row = local_curvature(
        X_sample, weights * curvature[rows], objective.offset, preconditioner
    )
    n = objective.n_samples
    m = n / n_batches
    if n == 1:
        return per_row
    return (n * (m - 1) * top + (n - m) * per_row) / (m * (n - 1))


def _step_size(objective, gradient, mu, n_batches, preconditioner, step_factor):
    """``step_factor / L(m)`` from the curvature at the snapshot's gradients,
    at most ``_MAX_LOCAL_GAIN`` times the global step ``step_factor / L_b``:
    the curvature at the snapshot says little about the iterates an epoch
    later (and none left, e.g. every hinge margin outside the band, is no
    licence for an unbounded step)."""
    y, loss = objective.y, objective.loss_function
    local = _smoothness(
        objective, loss.score_curvature(gradient, y, mu), n_batches, preconditioner
    )
    worst = loss.curvature_bound(objective.n_classes, mu)
    global_ = _smoothness(objective, np.full(len(y), worst), n_batches, preconditioner)
    l2 = getattr(objective.penalty, "l2_strength", 0.0)
    l2 *= 1.0 if preconditioner is None else float(np.max(preconditioner))
    return step_factor / max(local + l2, (global_ + l2) / _MAX_LOCAL_GAIN)


def solve(
    objective,
    W,
    b,
    *,
    method="auto",
    tol=1e-3,
    max_epochs=1000,
    batch_size="auto",
    preconditioner=None,
    step_factor=1.0,
    mu=None,
    max_norm=None,
    random_state=None,
    gap=None,
    verbose=0,
    on_epoch_begin=None,
    on_epoch_end=None,
):
    """Minimize ``objective`` to a certified relative duality gap ``tol``.

    ``'saga'``: minibatch proximal SAGA, for either loss and any penalty
    (the hinge through a homotopy on its smoothing). ``'sdca'``: minibatch
    dual coordinate ascent, for the hinge with an L2 part (L2, elastic net)
    and no ``max_norm``; it starts from ``W = 0`` whatever ``W`` holds (only
    ``b`` is used).

    Parameters
    ----------
    objective : LinearObjective
        With ``fit_intercept``; softmax or hinge; penalty L2, L1 or elastic
        net (no gap can be certified without a penalty).
    W : ndarray of shape (n_classes, n_features)
        Starting weights, updated in place.
    b : ndarray of shape (n_classes,)
        Starting intercept parameters (``c`` when the objective is centered),
        updated in place.
    method : {'auto', 'saga', 'sdca'}, default='auto'
        'auto': 'sdca' where it applies, else 'saga'.
    tol : float, default=1e-3
        Target relative gap ``(P - D) / P``.
    max_epochs : int, default=1000
        Epochs at most (snapshots not counted).
    batch_size : int or 'auto', default='auto'
        See :func:`auto_batches`; 'auto' gives the dual method batches of
        ``_DUAL_BATCH`` rows.
    preconditioner : ndarray of shape (n_features,), default=None
        Per-feature step multipliers (e.g. ``feature_preconditioner()``).
    step_factor : float, default=1.0
        Multiplies the step ``1 / L(m)``.
    mu : float, default=None
        Initial hinge smoothing; None uses the margin.
    max_norm : float, default=None
        Bound on the L2 norm of each class row of ``W`` (a projection after
        every proximal step; 'saga' only).
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
    method = resolve_method(objective.loss, objective.penalty, method, max_norm)
    n_batches = auto_batches(
        objective.n_samples, objective.X.shape[1], W.shape[0], batch_size,
        nonzeros=_nonzeros(objective.X),
    )  # fmt: skip
    work = objective.n_samples / n_batches * objective.X.shape[1] * W.shape[0]
    if method == "saga":
        n_batches = saga_batches(objective, n_batches, batch_size, preconditioner)
    hooks = _Hooks(on_epoch_begin, on_epoch_end)
    with _blas_threads(work):
        return _solve(
            objective, W, b, method, n_batches, tol, max_epochs, preconditioner,
            step_factor, mu, max_norm, random_state, gap, verbose,
            batch_size != "auto", hooks,
        )  # fmt: skip


def resolve_method(loss, penalty, method, max_norm=None):
    """The method ``solve`` runs: 'sdca' where it applies, else 'saga'.

    Parameters
    ----------
    loss : {'softmax', 'hinge'}
    penalty : Penalty
        From :func:`sklinear.penalties.make_penalty`.
    method : {'auto', 'saga', 'sdca'}
    max_norm : float or None

    Returns
    -------
    method : {'saga', 'sdca'}

    Raises
    ------
    ValueError
        If 'sdca' is asked for where it does not apply.
    """
    dual_applies = (
        loss == "hinge" and penalty_strengths(penalty)[1] > 0 and max_norm is None
    )
    if method == "auto":
        return "sdca" if dual_applies else "saga"
    if method == "sdca" and not dual_applies:
        raise ValueError(
            "solver='sdca' needs the hinge loss with an L2 part in the penalty "
            "('l2' or 'elasticnet' with l1_ratio < 1, alpha > 0) and no "
            "max_norm; use solver='saga' for this objective."
        )
    return method


def _random_state(seed):
    """The package's convention (scikit-learn's): a RandomState instance."""
    if isinstance(seed, np.random.RandomState):
        return seed
    return np.random.RandomState(seed)


def _nonzeros(X):
    return X.nnz if sp.issparse(X) else None


class _Hooks:
    """The per-epoch hooks of one solve (callbacks)."""

    def __init__(self, on_epoch_begin, on_epoch_end):
        self.begin, self.end = on_epoch_begin, on_epoch_end

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


def _solve(
    objective, W, b, method, n_batches, tol, max_epochs, preconditioner,
    step_factor, mu, max_norm, random_state, gap, verbose, batch_size_given,
    hooks,
):  # fmt: skip
    rng = _random_state(random_state)
    gap = Certificate(objective, max_norm=max_norm) if gap is None else gap
    if method == "sdca":
        n_dual = max(1, objective.n_samples // _DUAL_BATCH)
        batches = make_batches(objective.X, n_batches if batch_size_given else n_dual)
        return _solve_hinge_dual(
            objective, W, b, batches, tol, max_epochs, rng, gap, verbose, hooks
        )
    saga = make_saga(objective, n_batches, preconditioner, max_norm)
    hinge = not objective.loss_function.smooth
    mu = (objective.margin if mu is None else mu) if hinge else 0.0
    started = _clock()
    result = SolverResult(W=W, b=b)
    raw = None
    best = None
    epochs_to_next = 1
    eta = np.inf
    while True:
        snapshot = gap(W, b, mu=mu if hinge else None, raw=raw)
        raw = None
        result.n_snapshots += 1
        if best is not None and not _improved(snapshot, best):
            # The step was too large: back to the best point, half the step.
            W[...], b[...] = best[0]
            step_factor *= 0.5
            eta *= 0.5
            snapshot = best[1]
            epochs_to_next = 1
        else:
            _move_intercept(objective, W, b, snapshot.intercept_scores)
            if best is None or snapshot.relative <= best[1].relative:
                best = ((W.copy(), b.copy()), snapshot)
        result.history.append(
            (
                result.n_epochs,
                snapshot.relative,
                snapshot.primal,
                mu,
                _clock() - started,
            )
        )
        if verbose:
            print(
                f"epoch {result.n_epochs}: relative gap {snapshot.relative:.3e}, "
                f"objective {snapshot.primal:.8g}, mu {mu:.3g}, "
                f"step factor {step_factor:.3g}"
            )
        if snapshot.relative <= tol or result.n_epochs >= max_epochs:
            break
        if hinge and snapshot.smoothed_gap <= _STAGE_ACCURACY * snapshot.smoothing:
            mu /= _MU_DIVISOR
            snapshot = gap(W, b, mu=mu)  # the memory of the new smoothing
            result.n_snapshots += 1
            best = ((W.copy(), b.copy()), snapshot)
            epochs_to_next = 1
        saga.reset(snapshot.gradient, snapshot.weighted_sum)
        # The local curvature can drop faster than the iterates settle: let
        # the step at most double from one snapshot to the next.
        eta = min(
            _step_size(
                objective, snapshot.gradient, mu, n_batches, preconditioner, step_factor
            ),
            _MAX_STEP_GROWTH * eta,
        )
        for _ in range(epochs_to_next):
            if result.n_epochs >= max_epochs:
                break
            order = rng.permutation(n_batches)
            if not hooks.run_epoch(
                result, n_batches, functools.partial(saga.epoch, W, b, eta, order, mu)
            ):
                break
        if result.interrupted:
            snapshot = gap(W, b, mu=mu if hinge else None)
            _move_intercept(objective, W, b, snapshot.intercept_scores)
            break
        epochs_to_next = _epochs_to_next(result.history, tol, epochs_to_next)
    if best[1].relative < snapshot.relative:  # out of epochs on a noisy step
        W[...], b[...] = best[0]
        snapshot = best[1]
    result.gap = snapshot.relative
    result.primal = snapshot.primal
    result.converged = snapshot.relative <= tol
    return result


def _solve_hinge_dual(
    objective, W, b, batches, tol, max_epochs, rng, gap, verbose, hooks
):
    """The hinge loss with an L2 part: minibatch dual coordinate ascent.

    Starts from the dual point 0 (``W = 0``), keeping only the intercept.
    """
    # Without an intercept the dual has no equality constraint: no multiplier.
    ascent = HingeDualAscent(
        objective, batches, penalty_strengths(objective.penalty),
        b if objective.fit_intercept else np.zeros_like(b),
        rho_factor=1e-2 if objective.fit_intercept else 0.0,
    )  # fmt: skip
    started = _clock()
    result = SolverResult(W=W, b=b, method="sdca")
    W[...] = ascent.weights(W.dtype)
    epochs_to_next = 1
    balanced = _balanced_epochs(objective.X, W.shape[0])
    while True:
        gradient = ascent.gradient()
        weighted_sum = _weighted_sum(gap, gradient)
        ascent.refresh(weighted_sum)
        W[...] = ascent.weights(W.dtype)
        b[...] = ascent.intercept()
        snapshot = gap.certify(W, b, -gradient, polish=False)  # theta: minus beta
        result.n_snapshots += 1
        result.history.append(
            (
                result.n_epochs,
                snapshot.relative,
                snapshot.primal,
                0.0,
                _clock() - started,
            )
        )
        if verbose:
            print(
                f"epoch {result.n_epochs}: relative gap {snapshot.relative:.3e}, "
                f"objective {snapshot.primal:.8g}"
            )
        if (
            snapshot.relative <= tol
            or result.n_epochs >= max_epochs
            or result.interrupted
        ):
            break
        for _ in range(epochs_to_next):
            if result.n_epochs >= max_epochs:
                break
            # Samples (the compiled sweep) or batches (NumPy).
            order = rng.permutation(ascent.n_steps)
            if not hooks.run_epoch(
                result,
                ascent.n_steps,
                functools.partial(_dual_epoch, ascent, W, order),
                b_now=ascent.intercept,
            ):
                break
        epochs_to_next = max(
            _epochs_to_next(result.history, tol, epochs_to_next), balanced
        )
    result.gap = snapshot.relative
    result.primal = snapshot.primal
    result.converged = snapshot.relative <= tol
    return result


def _balanced_epochs(X, n_classes):
    """Epochs between checks for at least as much work in epochs as in checks.

    Where a check costs many epochs (small data, compiled epochs), checking
    after every few would take most of the time. Work is counted in
    multiply-adds, with fixed Python costs of a check and an epoch (about
    5 ms and 0.2 ms at ~1e9 per second) rather than timed, so that the path
    (and the model) does not depend on the machine's load.
    """
    stored = X.nnz if hasattr(X, "nnz") else X.size
    epoch_work = stored * n_classes + 2e5
    check_work = (3 * stored + 50 * X.shape[0]) * n_classes + 5e6
    return math.ceil(check_work / epoch_work)


def _dual_epoch(ascent, W, order):
    ascent.epoch(W, order)
    ascent.update_multiplier()
    return True


def _weighted_sum(gap, gradient):
    """``sum_i f_i G_i x_i^T`` (a pass over X)."""
    X = gap.objective.X
    weighted = np.ascontiguousarray(gradient * gap.factors[:, None], dtype=X.dtype)
    return np.asarray((X.T @ weighted).T, dtype=np.float64)


def _improved(snapshot, best):
    """Whether the (smoothed) objective stayed below the best snapshot's plus
    that snapshot's gap: within the gap, SAGA's noise near the optimum is no
    sign of a step too large."""
    value, reference = snapshot.smoothed_primal, best[1].smoothed_primal
    if not np.isfinite(value):
        return False
    slack = max(best[1].smoothed_gap, 0.0) + 1e-9 * abs(reference) + 1e-12
    return value <= reference + slack


def _move_intercept(objective, W, b, shift):
    """Set ``b`` so that the scores' shift is ``shift``."""
    if not objective.fit_intercept:
        return
    if objective.offset is None:
        b[...] = shift
    else:
        b[...] = shift + W @ objective.offset


_clock = time.perf_counter


def _epochs_to_next(history, tol, previous):
    """Epochs until the gap should reach ``tol`` at the rate seen so far."""
    if len(history) < 2:
        return 1
    (e0, g0, _, mu0, _), (e1, g1, _, mu1, _) = history[-2], history[-1]
    if mu0 != mu1 or e1 <= e0 or not (0 < g1 < g0):
        return 1
    rate = (math.log(g1) - math.log(g0)) / (e1 - e0)
    # tol=0 (run every epoch): space the checks as for a rounding-level tol.
    target = max(tol, 1e-12)
    needed = math.ceil(math.log(target / g1) / rate) if g1 > target else 1
    return int(min(max(needed, 1), 2 * previous, _MAX_EPOCHS_BETWEEN_CHECKS))
