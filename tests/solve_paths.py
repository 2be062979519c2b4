"""Checks and set-ups shared by the solvers' tests."""

import numpy as np

from sklinear._solvers import solve


def assert_hooks_change_nothing(make_objective, n_classes, **solve_kwargs):
    """A solve without hooks (the epochs between two checks in one compiled
    call) takes the steps of one with a hook after every epoch (one call an
    epoch): the same weights, bit for bit, after the same epochs."""
    results = []
    for hook in (None, lambda epoch, W, b: False):
        objective = make_objective()
        W, b = objective.initial_weights(n_classes)
        found = solve(
            objective, W, b, random_state=0, on_epoch_end=hook, **solve_kwargs
        )
        results.append((found.W.copy(), found.b.copy(), found.n_epochs))
    (W0, b0, n0), (W1, b1, n1) = results
    assert n0 == n1 > 8
    np.testing.assert_array_equal(W0, W1)
    np.testing.assert_array_equal(b0, b1)


def assert_a_hook_stops_it(objective):
    """A full-batch solve ('lbfgs') whose end hook asks to stop after the
    third epoch: interrupted there, each hook called once an epoch, and the
    point it stopped at checked."""
    W, b = objective.initial_weights(objective.n_classes)
    begun, ended = [], []

    def on_end(epoch, W, b):
        ended.append(epoch)
        return epoch >= 2

    result = solve(
        objective, W, b, method="lbfgs", tol=1e-8, on_epoch_begin=begun.append,
        on_epoch_end=on_end,
    )  # fmt: skip
    assert result.interrupted and result.n_epochs == 3
    assert ended == [0, 1, 2] and begun == [0, 1, 2]
    assert np.isfinite(result.gap) and result.history[-1][0] == 3


def cut_short(monkeypatch, module, name, steps):
    """Make ``module.name`` (a line search) fail after ``steps`` accepted
    steps, as where rounding hides any descent; returns the accepted ones."""
    line_search = getattr(module, name)
    accepted = []

    def cut(*args, **kwargs):
        if len(accepted) >= steps:
            return None
        accepted.append(line_search(*args, **kwargs))
        return accepted[-1]

    monkeypatch.setattr(module, name, cut)
    return accepted
