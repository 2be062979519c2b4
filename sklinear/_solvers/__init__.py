"""The certified solvers behind ``solver='auto'``, ``'saga'`` and ``'sdca'``.

:func:`solve` minimizes a :class:`~sklinear.objective.LinearObjective` to a
certified relative duality gap ``tol``. It knows nothing of scikit-learn: the
estimators reach it through ``sklinear._certified``.

- ``'saga'`` (``_saga_loop``): proximal SAGA for either loss and any penalty,
  in minibatches of strided row views (``_saga``) or one sample at a time in
  the compiled sweep (``_sample_saga``, lazy updates on CSR). The hinge runs
  through a homotopy of Moreau smoothings. The step comes from the local
  curvature of the loss object (:mod:`sklinear._loss`), capped at the
  global ``1 / L_b`` step.
- ``'lbfgs'`` (``_lbfgs``): L-BFGS for the softmax with an L2 penalty
  alone, which 'auto' prefers where SAGA's steps would be short (a large
  ``L / (n alpha)``); with an L1 part (L1, elastic net) its orthant-wise
  form OWL-QN (``_owlqn``), which 'auto' takes on dense X and on CSR X of
  at most 5,000,000 stored values. SAGA finishes
  where either stops short of ``tol``.
- ``'sdca'`` (``_dual_loop``): dual coordinate ascent for the hinge with an
  L2 part, with a method-of-multipliers intercept (``_dual_cd``, compiled
  per-sample sweep where built).

On small problems (``polish_tol``) exact methods come first: Newton's
method for the softmax with an L2 penalty (``_newton``) and an
interior-point method for the hinge with an L2 penalty (``_hinge_ipm``);
SAGA and the dual ascent run only where they stop short of ``tol``. The
dual ascent's own last digits come from the exact point of its partition
(``_hinge_polish``). Each is kept only if the certificate says so.

Every check ("snapshot", ``_snapshot``) certifies the gap with
:func:`sklinear._duality.duality_gap`; SAGA's snapshots also move the
intercept to its best value for ``W`` and refill the memory. Figures (epochs,
times against scikit-learn) are in ``benchmarks/bench_optimum.py`` and the
user guide, not here.
"""

from ._driver import SolverResult, auto_batches, prefer_lbfgs, resolve_method, solve
from ._newton import newton_applies
from ._snapshot import Certificate, Snapshot

__all__ = [
    "Certificate",
    "Snapshot",
    "SolverResult",
    "auto_batches",
    "newton_applies",
    "prefer_lbfgs",
    "resolve_method",
    "solve",
]
