"""The coming default solver of sklinear, not yet used by the estimators.

:func:`solve` minimizes a :class:`~sklinear.objective.LinearObjective` to a
certified relative duality gap ``tol``: minibatch proximal SAGA (strided views
of the rows, no copy of X) for the softmax with any penalty, minibatch dual
coordinate ascent with a method-of-multipliers intercept for the hinge with an
L2 part, and SAGA on a homotopy of Moreau smoothings for the hinge with L1.
Every check ("snapshot") moves the intercept to its best value for ``W`` and
certifies the gap with :func:`sklinear._duality.duality_gap` (for the hinge,
with the solver's own dual point as ``theta``). SAGA's step comes from the
local curvature, capped at the global ``1 / L_b`` step.

What it reaches (standardized data, ``random_state=0``, default settings)
    - softmax + L2, alpha 5e-3, relative gap 1e-3: iris 72 epochs, wine 80,
      digits 144; an 8,000 x 1,000 float32 ``make_classification`` (10
      classes) 21 epochs at alpha 5e-3 and 64 at 1e-3, the objective falling
      at every snapshot.
    - hinge + L2, alpha 5e-3: within 0.14% (iris, 142 epochs) and 0.32%
      (wine, 108 epochs) of the exact optimum
      (``tests/_reference_optimum.hinge_l2``) at ``tol=1e-2``; 0.06% and
      0.08% at ``tol=1e-3`` (239 and 169 epochs).
    - softmax + L1 / elastic net: the zero pattern of scikit-learn's saga
      (``tol=1e-10``) to at least 95% (``tests/test_solvers.py``).

What is missing
    - Speed: not yet compared with lbfgs (softmax) or LinearSVC (hinge)
      since the step cap (``benchmarks/bench_optimum.py`` measures it).
    - The hinge with L1 (the smoothing homotopy) does not converge: on iris
      at alpha 5e-3, a gap of 0.36-0.5 after 500 epochs, ``mu`` stuck at
      0.25.
    - Sparse X without lazy updates (every step touches all of ``W``),
      ``max_norm``, ``partial_fit`` and ``fit_intercept=False``.
"""

from ._driver import SolverResult, auto_batches, resolve_method, solve
from ._snapshot import Certificate, Snapshot

__all__ = [
    "Certificate",
    "Snapshot",
    "SolverResult",
    "auto_batches",
    "resolve_method",
    "solve",
]
