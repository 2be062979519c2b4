"""The estimators' side of the certified solvers in :mod:`sklinear._solvers`.

Which solver a parameter set runs (``solver='auto'``), the call to
:func:`~sklinear._solvers.solve`, and the certificate of any fit (also the
lecture's solvers: their final duality gap is measured, not assumed).
"""

from dataclasses import dataclass

import numpy as np

from ._data_stats import sampled_spread
from ._duality import penalty_strengths
from ._solvers import newton_applies, prefer_lbfgs, resolve_method, solve
from ._solvers._snapshot import Certificate
from .optimize import OptimizeResult

__all__ = [
    "CERTIFIED_SOLVERS",
    "FitCertificate",
    "certify",
    "resolve_solver",
    "sgd_fallback",
]

CERTIFIED_SOLVERS = ("saga", "sdca", "lbfgs")
# Parameters that only the lecture's SGD knows: they make 'auto' choose it,
# and an explicit certified solver refuses them rather than ignore them.
# Below this many multiply-adds per epoch (n_samples * n_features *
# n_classes) an epoch costs microseconds: such fits go on to a gap of
# _CHEAP_TOL, the optimum to rounding (so that, e.g., integer sample weights
# and repeated samples give the same model, as scikit-learn checks): by
# Newton's steps after the asked tol where they apply (the softmax with an L2
# penalty), else by the solver's epochs (the hinge's checks also try the
# exact point of the dual's partition), but only for the first half of
# max_iter: after it, the asked tol ends them.
_CHEAP_EPOCH_WORK = 1e5
_CHEAP_TOL = 1e-10
_SGD_ONLY = {"early_stopping": False, "average": False, "learning_rate_init": "auto"}


@dataclass
class FitCertificate:
    """How close a fit is to the minimum of its objective.

    Attributes
    ----------
    objective : float
        The training objective at the fitted weights.
    relative_gap : float
        ``(P - D) / P`` for a feasible dual value ``D``: the objective
        exceeds its minimum by at most this fraction of its own value
        (``inf`` where no finite bound exists, e.g. without any penalty).
    """

    objective: float
    relative_gap: float


def resolve_solver(estimator):
    """The solver a fit runs: ``estimator.solver``, with 'auto' resolved.

    'auto' is 'sdca' for the hinge loss with an L2 part (``max_norm`` or
    not), 'saga' for the softmax with a penalty or ``max_norm``, and 'sgd'
    otherwise: for the hinge without an L2 part (L1, or ``max_norm``
    alone), when an SGD-only option is set (``early_stopping``, ``average``, a numeric
    ``learning_rate_init``), or without any penalty
    (no optimum may exist, so no certificate applies).

    Raises
    ------
    ValueError
        If an explicit certified solver is combined with an SGD-only option,
        or 'sdca' with an objective it cannot solve.
    """
    solver = estimator.solver
    if solver not in ("auto", *CERTIFIED_SOLVERS):
        return solver
    penalty = estimator._penalty()
    sgd_options = _sgd_options(estimator)
    if solver == "auto":
        if sgd_options or not _penalized(penalty):
            return "sgd"
        method = resolve_method(estimator._loss, penalty, "auto")
        # SAGA on the smoothed hinge (no L2 part) is certified but slow to
        # close the gap: until it is not, the hinge there keeps to SGD.
        return "sgd" if estimator._loss == "hinge" and method == "saga" else method
    if sgd_options:
        raise ValueError(
            f"{', '.join(sgd_options)} set: an option of solver='sgd' (and "
            f"'gd'), not of solver={solver!r}, which chooses its own steps "
            f"and stops at the optimum of the training objective. Use "
            f"solver='sgd', or leave the option at its default."
        )
    return resolve_method(estimator._loss, penalty, solver)


def sgd_fallback(estimator):
    """Why 'auto' ran 'sgd' on an objective that has a certificate, or None.

    None where 'auto' was not asked for, where an SGD-only option chose SGD
    (the user's choice), or where nothing is penalized (no finite bound).

    Returns
    -------
    fallback : tuple of (str, str) or None
        Why, and what gives a certified fit instead.
    """
    if estimator.solver != "auto" or estimator.solver_ != "sgd":
        return None
    penalty = estimator._penalty()
    if _sgd_options(estimator) or not _penalized(penalty):
        return None
    if estimator._loss == "hinge" and penalty_strengths(penalty)[1] == 0:
        return (
            "no certified solver closes the gap of the hinge loss without an L2 "
            "part in its penalty (penalty='l1', or max_norm alone) in few epochs",
            "give the penalty an L2 part (penalty='elasticnet' with l1_ratio < 1, "
            "or 'l2' with max_norm), which solver='sdca' certifies (solver='saga' "
            "on the smoothed hinge stalled near a gap of 0.02 on iris and wine)",
        )
    return (
        "on float32 data far from zero the certified solvers' products lose the "
        "digits that tell the samples apart",
        "center the data (e.g. with StandardScaler) or pass it as float64",
    )


def _sgd_options(estimator):
    """The SGD-only options set away from their defaults (see _SGD_ONLY)."""
    return [name for name, off in _SGD_ONLY.items() if getattr(estimator, name) != off]


def _penalized(penalty):
    """Whether a certificate can bound the objective (a penalty or a bound)."""
    return any(penalty_strengths(penalty)) or penalty.max_norm is not None


def solver_for_data(estimator, solver, objective):
    """'auto' on float32 data far from zero runs 'sgd', not a certified
    solver; where SAGA's steps would be short, 'lbfgs' (see
    :func:`~sklinear._solvers.prefer_lbfgs`).

    There the certified solvers' float32 products lose the digits that tell
    the samples apart (a row of values near 1e6 varies in its 7th digit), so
    they stall short of ``tol``; SGD's steps are centered before they are
    rounded. An explicit ``solver`` is left as asked.
    """
    X = objective.X
    if (
        estimator.solver == "auto"
        and solver in CERTIFIED_SOLVERS
        and X.dtype == np.float32
        and objective.offset is not None
        and _far_from_zero(X, objective.offset)
    ):
        return "sgd"
    if estimator.solver == "auto":
        return prefer_lbfgs(objective, solver)
    return solver


def _far_from_zero(X, offset, sample_rows=256):
    """Whether float32 rounding of the data, ``eps * |offset|``, exceeds a
    thousandth of some varying feature's spread (measured on a few rows; a
    constant feature, e.g. a column of ones, carries no information to
    lose)."""
    spread = sampled_spread(X, sample_rows)
    rounding = np.finfo(np.float32).eps * np.abs(np.asarray(offset, np.float64))
    return bool(np.any((rounding > 1e-3 * spread) & (spread > 0)))


def certified_fit(estimator, objective, W, b, solver, state, hooks):
    """Minimize ``objective`` with a certified solver, as an OptimizeResult.

    ``state`` is the SGD state stored with the model, so that
    ``partial_fit`` can continue with SGD steps afterwards.
    """
    asked = 0.0 if estimator.tol is None else estimator.tol
    tol = asked
    n_samples, n_features = objective.X.shape
    settle = polish_tol = None
    if n_samples * n_features * W.shape[0] <= _CHEAP_EPOCH_WORK:
        polish_tol = _CHEAP_TOL
        if not newton_applies(objective):
            tol = min(tol, _CHEAP_TOL)
            settle = (asked, estimator.max_iter // 2)
    found = solve(
        objective, W, b, method=solver, tol=tol, max_epochs=estimator.max_iter,
        settle=settle, polish_tol=polish_tol, batch_size=estimator.batch_size,
        random_state=estimator.random_state, verbose=estimator.verbose,
        **hooks,
    )  # fmt: skip
    state.t = found.n_steps
    state.epochs = float(found.n_epochs)
    result = OptimizeResult(
        W=found.W,
        b=found.b,
        n_iter=found.n_epochs,
        converged=found.gap <= asked,  # the user's tol, not the cheap one
        interrupted=found.interrupted,
        loss_curve=[float(entry[2]) for entry in found.history],
        loss_curve_epochs=[int(entry[0]) for entry in found.history],
        state=state,
    )
    result.certificate = FitCertificate(float(found.primal), float(found.gap))
    return result


def certify(objective, W, b):
    """The :class:`FitCertificate` of weights found by any solver."""
    snapshot = Certificate(objective).certify(W, b)
    return FitCertificate(float(snapshot.primal), float(snapshot.relative))
