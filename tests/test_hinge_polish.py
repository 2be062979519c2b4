"""The exact point of the dual ascent's partition (sklinear._solvers._hinge_polish)."""

import numpy as np
import pytest
import scipy.sparse as sp
from _reference_optimum import hinge_l2
from numpy.testing import assert_allclose

from sklinear import LinearSVMClassifier
from sklinear._solvers import _dual_loop
from sklinear._solvers._hinge_polish import (
    KKTSystems,
    active_set_point,
    hinge_polish_applies,
)
from sklinear.objective import LinearObjective
from sklinear.penalties import make_penalty

ALPHA = 1e-2


def _objective(X, y, penalty="l2", **kwargs):
    return LinearObjective(
        X, y, "hinge", penalty=make_penalty(penalty, ALPHA, 0.5), center=True,
        **kwargs,
    )  # fmt: skip


def _partition_of(reference, X, y):
    """Dual variables with the reference optimum's partition: 1 where its
    margin is positive, 0 where negative, 0.5 where zero."""
    scores = X @ reference.W.T + reference.b
    margins = scores - scores[np.arange(len(y)), y][:, None] + 1.0
    a = np.where(margins > 1e-8, 1.0, np.where(margins < -1e-8, 0.0, 0.5))
    a[np.arange(len(y)), y] = 0.0
    return a


@pytest.mark.parametrize("name", ["iris", "wine"])
def test_the_optimums_partition_gives_the_optimum(name, request):
    X, y = request.getfixturevalue(name)
    reference = hinge_l2(X, y, ALPHA)
    objective = _objective(X, y)
    factors = np.full(len(y), 1.0 / len(y))
    W, shift, beta = active_set_point(
        KKTSystems(objective, factors), _partition_of(reference, X, y)
    )
    assert_allclose(W, reference.W, rtol=0, atol=1e-10)
    assert_allclose(shift, reference.b, rtol=0, atol=1e-10)
    assert np.all((beta >= 0) & (beta <= 1))


def test_a_partition_far_from_the_optimums_gives_nothing(iris):
    X, y = iris
    objective = _objective(X, y)
    factors = np.full(len(y), 1.0 / len(y))
    # Every pair at 1: every margin would have to be positive.
    a = np.ones((len(y), 3))
    a[np.arange(len(y)), y] = 0.0
    assert active_set_point(KKTSystems(objective, factors), a) is None


def test_small_svm_fits_end_at_the_exact_optimum(wine, monkeypatch):
    # The dual ascent's tail took 176 epochs (wine) to a gap below 1e-3 at
    # the default alpha, and stopped there; its partition is right much
    # earlier. (On iris it keeps changing: 251 epochs either way.) The
    # interior-point method, which comes first where it applies, is off.
    monkeypatch.setattr(_dual_loop, "interior_point_applies", lambda objective: False)
    X, y = wine
    model = LinearSVMClassifier(random_state=0).fit(X, y)
    optimum = hinge_l2(X, y, model.alpha).value
    assert model.duality_gap_ <= 1e-12
    assert abs(model.objective_ - optimum) <= 1e-10 * optimum
    assert model.n_iter_ < 176 // 2


@pytest.mark.parametrize(
    "change", ["l1", "elasticnet", "max_norm", "float32", "sparse", "softmax"]
)
def test_the_polish_applies_to_the_l2_hinge_on_dense_float64_only(change, iris):
    X, y = iris
    assert hinge_polish_applies(_objective(X, y))
    penalty, loss = make_penalty("l2", ALPHA), "hinge"
    if change in ("l1", "elasticnet"):
        penalty = make_penalty(change, ALPHA, 0.5)
    elif change == "max_norm":
        penalty = make_penalty("l2", ALPHA, max_norm=1.0)
    elif change == "float32":
        X = X.astype(np.float32)
    elif change == "sparse":
        X = sp.csr_matrix(X)
    else:
        loss = "softmax"
    objective = LinearObjective(X, y, loss, penalty=penalty, center=True)
    assert not hinge_polish_applies(objective)
