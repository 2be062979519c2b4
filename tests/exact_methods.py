"""For the tests of the exact methods of small fits (Newton's steps,
tests/test_newton.py; the interior-point method, tests/test_hinge_ipm.py):
variants of a small L2 problem that they must not take, and a solve capped
at a few epochs."""

import numpy as np
import scipy.sparse as sp

from sklinear._solvers import solve
from sklinear.objective import LinearObjective
from sklinear.penalties import make_penalty

VARIANTS = [
    "l1", "elasticnet", "max_norm", "float32", "sparse", "many", "empty", "other loss"
]  # fmt: skip


def variant_objective(X, y, change, loss):
    """The objective of ``loss`` with an L2 penalty of 1e-2 on ``(X, y)``,
    changed by ``change`` (one of ``VARIANTS``) so that it is no longer a
    small L2 problem of that loss on dense float64 data with every class
    weighted."""
    kwargs, penalty = {}, make_penalty("l2", 1e-2)
    if change == "other loss":
        loss = "hinge" if loss == "softmax" else "softmax"
    elif change in ("l1", "elasticnet"):
        penalty = make_penalty(change, 1e-2, 0.5)
    elif change == "max_norm":
        penalty = make_penalty("l2", 1e-2, max_norm=1.0)
    elif change == "float32":
        X = X.astype(np.float32)
    elif change == "sparse":
        X = sp.csr_matrix(X)
    elif change == "many":  # 3 x 301 parameters on 150 rows: too many
        X = np.hstack([X] * 75)
    elif change == "empty":  # a class of zero weight (softmax: shift at -inf)
        kwargs["sample_weight"] = np.where(y == 2, 0.0, 1.0)
    return LinearObjective(X, y, loss, penalty=penalty, center=True, **kwargs)


def capped_solve(objective, max_epochs, polish_tol):
    """``solve`` from zero weights for at most ``max_epochs``, with a hook:
    ``(result, the epochs the hook saw, W, b)``."""
    seen = []
    W, b = objective.initial_weights(objective.n_classes)
    result = solve(
        objective, W, b, tol=1e-3, polish_tol=polish_tol, random_state=0,
        max_epochs=max_epochs, on_epoch_end=lambda epoch, W, b: seen.append(epoch),
    )  # fmt: skip
    return result, seen, W, b
