"""The estimators' side of the certified solvers in :mod:`sklinear._solvers`.

Which solver a parameter set runs (``solver='auto'``), the call to
:func:`~sklinear._solvers.solve`, and the certificate of any fit (also the
lecture's solvers: their final duality gap is measured, not assumed).
"""

from dataclasses import dataclass

import numpy as np

from ._duality import penalty_strengths
from ._solvers import resolve_method, solve
from ._solvers._snapshot import Certificate
from .optimize import OptimizeResult
from .penalties import make_penalty

__all__ = ["CERTIFIED_SOLVERS", "FitCertificate", "certify", "resolve_solver"]

CERTIFIED_SOLVERS = ("saga", "sdca")
# Parameters that only the lecture's SGD knows: they make 'auto' choose it,
# and an explicit certified solver refuses them rather than ignore them.
_SGD_ONLY = {"early_stopping": False, "average": False}


@dataclass
class FitCertificate:
    """How close a fit is to the minimum of its objective.

    Attributes
    ----------
    objective : float
        The training objective at the fitted weights.
    relative_gap : float
        ``(P - D) / P`` for a feasible dual value ``D``: the objective is at
        most this fraction above its minimum (``inf`` where no finite bound
        exists, e.g. without any penalty).
    """

    objective: float
    relative_gap: float


def resolve_solver(estimator):
    """The solver a fit runs: ``estimator.solver``, with 'auto' resolved.

    'auto' is 'sdca' for the hinge loss with an L2 part and no ``max_norm``,
    else 'saga'; 'sgd' when an SGD-only option is set (``early_stopping``,
    ``average``) or the objective has no penalty at all (no optimum may
    exist, so no certificate applies).

    Raises
    ------
    ValueError
        If an explicit certified solver is combined with an SGD-only option,
        or 'sdca' with an objective it cannot solve.
    """
    solver = estimator.solver
    if solver not in ("auto", *CERTIFIED_SOLVERS):
        return solver
    penalty = make_penalty(estimator.penalty, estimator.alpha, estimator.l1_ratio)
    sgd_options = [
        name for name, off in _SGD_ONLY.items() if getattr(estimator, name) != off
    ]
    if solver == "auto":
        penalized = any(penalty_strengths(penalty)) or (
            estimator.max_norm is not None
        )
        if sgd_options or not penalized:
            return "sgd"
        return resolve_method(estimator._loss, penalty, "auto", estimator.max_norm)
    if sgd_options:
        raise ValueError(
            f"{', '.join(sgd_options)}=True is an option of solver='sgd' "
            f"(and 'gd'), not of solver={solver!r}, which stops at the "
            f"optimum of the training objective. Use solver='sgd', or drop "
            f"the option."
        )
    return resolve_method(estimator._loss, penalty, solver, estimator.max_norm)


def certified_fit(estimator, objective, W, b, solver, state, hooks):
    """Minimize ``objective`` with a certified solver, as an OptimizeResult.

    ``state`` is the SGD state stored with the model, so that
    ``partial_fit`` can continue with SGD steps afterwards.
    """
    tol = 0.0 if estimator.tol is None else estimator.tol
    found = solve(
        objective, W, b, method=solver, tol=tol, max_epochs=estimator.max_iter,
        batch_size=estimator.batch_size, max_norm=estimator.max_norm,
        random_state=_seed(estimator.random_state), verbose=estimator.verbose,
        **hooks,
    )  # fmt: skip
    state.t = found.n_steps
    state.epochs = float(found.n_epochs)
    result = OptimizeResult(
        W=found.W,
        b=found.b,
        n_iter=found.n_epochs,
        converged=found.converged,
        interrupted=found.interrupted,
        loss_curve=[float(entry[2]) for entry in found.history],
        state=state,
    )
    result.certificate = FitCertificate(float(found.primal), float(found.gap))
    return result


def certify(objective, W, b, max_norm=None):
    """The :class:`FitCertificate` of weights found by any solver."""
    snapshot = Certificate(objective, max_norm=max_norm).certify(W, b)
    return FitCertificate(float(snapshot.primal), float(snapshot.relative))


def _seed(random_state):
    """The solver's generator from the estimator's ``random_state``."""
    if isinstance(random_state, np.random.RandomState):
        return random_state
    return np.random.RandomState(random_state)
