"""The loss objects of sklinear._loss agree with themselves and with the
public losses: batch value and gradient, per-sample values, score gradients,
intercept Hessian and curvature bounds."""

import numpy as np
import pytest

from sklinear._loss import MulticlassHingeLoss, SoftmaxLoss, make_loss
from sklinear.losses import multiclass_hinge_loss, softmax_loss

N_ROWS, N_CLASSES = 40, 4


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    scores = rng.normal(scale=2.0, size=(N_ROWS, N_CLASSES))
    y = rng.integers(0, N_CLASSES, N_ROWS)
    factors = rng.uniform(0.5, 1.5, N_ROWS)
    return scores, y, factors / factors.sum()


def _losses():
    return [make_loss("softmax"), make_loss("hinge", margin=1.5)]


def test_make_loss_names_and_rejects_unknown():
    assert isinstance(make_loss("softmax"), SoftmaxLoss)
    hinge = make_loss("hinge", margin=2.0)
    assert isinstance(hinge, MulticlassHingeLoss) and hinge.margin == 2.0
    assert not hinge.smooth and make_loss("softmax").smooth
    with pytest.raises(ValueError, match="loss must be 'hinge' or 'softmax'"):
        make_loss("squared_hinge")


@pytest.mark.parametrize("loss", _losses(), ids=repr)
def test_batch_value_gradient_matches_public_functions(loss):
    scores, y, factors = _problem()
    value, dscores = loss.batch_value_gradient(scores, y, factors)
    if loss.name == "softmax":
        expected = softmax_loss(scores, y, sample_weight=factors)
    else:
        expected = multiclass_hinge_loss(scores, y, loss.margin, factors)
    np.testing.assert_allclose(value, expected[0], rtol=1e-12)
    np.testing.assert_allclose(dscores, expected[1], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("loss", _losses(), ids=repr)
def test_per_sample_and_score_gradient_agree_with_the_batch(loss):
    scores, y, factors = _problem(1)
    value, dscores = loss.batch_value_gradient(scores, y, factors)
    per_sample, _ = loss.per_sample(scores, y)
    np.testing.assert_allclose(factors @ per_sample, value, rtol=1e-12)
    gradient = loss.score_gradient(scores, y)
    np.testing.assert_allclose(gradient * factors[:, None], dscores, atol=1e-15)
    np.testing.assert_allclose(gradient.sum(axis=1), 0.0, atol=1e-12)
    # in place, as the minibatch solver calls it
    out = scores.copy()
    assert loss.score_gradient(out, y, out=out) is out
    np.testing.assert_allclose(out, gradient)


@pytest.mark.parametrize("mu", [0.0, 0.5])
def test_smoothed_hinge_gradient_is_the_derivative_of_its_value(mu):
    loss = make_loss("hinge", margin=1.0)
    scores, y, _ = _problem(2)
    # mu = 0: away from the kinks (random scores) the subgradient is the
    # derivative.
    gradient = loss.score_gradient(scores, y, mu)
    step = 1e-6
    for j in range(N_CLASSES):
        moved = scores.copy()
        moved[:, j] += step
        up, _ = loss.per_sample(moved, y, mu)
        moved[:, j] -= 2 * step
        down, _ = loss.per_sample(moved, y, mu)
        numeric = (up - down) / (2 * step)
        np.testing.assert_allclose(gradient[:, j], numeric, atol=1e-5)


@pytest.mark.parametrize(
    "loss, mu",
    [(make_loss("softmax"), 0.0), (make_loss("hinge"), 0.0), (make_loss("hinge"), 0.7)],
)
def test_intercept_gradient_is_the_weighted_sum_of_score_gradients(loss, mu):
    scores, y, factors = _problem(4)
    _, helper = loss.per_sample(scores, y, mu)
    expected = factors @ loss.score_gradient(scores, y, mu)
    gradient = loss.intercept_gradient(helper, y, factors, mu)
    np.testing.assert_allclose(gradient, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "loss, mu", [(make_loss("softmax"), 0.0), (make_loss("hinge"), 0.7)]
)
def test_intercept_hessian_is_the_derivative_of_the_shift_gradient(loss, mu):
    scores, y, factors = _problem(3)
    _, helper = loss.per_sample(scores, y, mu)
    hessian = loss.intercept_hessian(helper, y, factors, mu)
    np.testing.assert_allclose(hessian, hessian.T, atol=1e-12)
    step = 1e-6
    for k in range(N_CLASSES):
        shift = np.zeros(N_CLASSES)
        shift[k] = step
        up = factors @ loss.score_gradient(scores + shift, y, mu)
        down = factors @ loss.score_gradient(scores - shift, y, mu)
        np.testing.assert_allclose(hessian[:, k], (up - down) / (2 * step), atol=1e-4)


@pytest.mark.parametrize(
    "loss, mu", [(make_loss("softmax"), 0.0), (make_loss("hinge"), 0.7)]
)
def test_score_hessians_are_each_rows_derivative_of_its_gradient(loss, mu):
    scores, y, factors = _problem(3)
    _, helper = loss.per_sample(scores, y, mu)
    hessians = loss.score_hessians(helper, y, mu)
    assert hessians.shape == (N_ROWS, N_CLASSES, N_CLASSES)
    np.testing.assert_allclose(hessians, hessians.transpose(0, 2, 1), atol=1e-15)
    # Weighted, they add up to the Hessian in the intercepts.
    np.testing.assert_allclose(
        np.einsum("i,ijk->jk", factors, hessians),
        loss.intercept_hessian(helper, y, factors, mu),
        rtol=1e-12, atol=1e-15,
    )  # fmt: skip
    step = 1e-6
    for k in range(N_CLASSES):
        shift = np.zeros(N_CLASSES)
        shift[k] = step
        up = loss.score_gradient(scores + shift, y, mu)
        down = loss.score_gradient(scores - shift, y, mu)
        np.testing.assert_allclose(
            hessians[:, :, k], (up - down) / (2 * step), atol=1e-4
        )


@pytest.mark.parametrize(
    "loss, mu", [(make_loss("softmax"), 0.0), (make_loss("hinge"), 0.7)]
)
def test_per_row_curvature_is_within_the_global_bound(loss, mu):
    scores, y, _ = _problem(4)
    curvature = loss.score_curvature(loss.score_gradient(scores, y, mu), y, mu)
    assert curvature.shape == (N_ROWS,)
    assert np.all(curvature >= 0)
    assert np.all(curvature <= loss.curvature_bound(N_CLASSES, mu) + 1e-12)
    # the largest eigenvalue of each row's Hessian in the scores is below it
    for i in range(0, N_ROWS, 7):
        hessian = loss.intercept_hessian(
            loss.per_sample(scores[i : i + 1], y[i : i + 1], mu)[1],
            y[i : i + 1],
            np.ones(1),
            mu,
        )
        assert np.linalg.eigvalsh(hessian).max() <= curvature[i] + 1e-9
