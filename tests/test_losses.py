"""The losses: the lecture's worked examples, edge cases, gradients."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import special

from sklinear.gradient_check import gradient_check
from sklinear.losses import multiclass_hinge_loss, softmax_loss

# The lecture's three training images; columns are the classes cat, car, frog
# and each row is one image's scores (the slide shows them as columns).
LECTURE_SCORES = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
LECTURE_LABELS = np.array([0, 1, 2])


def test_hinge_loss_lecture_example():
    per_image = [
        multiclass_hinge_loss(LECTURE_SCORES[[i]], LECTURE_LABELS[[i]])[0]
        for i in range(3)
    ]
    # The slide's frog loss, 10.9, is a slip: 2.2 + 3.1 + 1 = 6.3 and
    # 2.5 + 3.1 + 1 = 6.6, so 12.9; the mean is then 15.8 / 3, not 4.6.
    assert_allclose(per_image, [2.9, 0.0, 12.9])
    loss, _ = multiclass_hinge_loss(LECTURE_SCORES, LECTURE_LABELS)
    assert_allclose(loss, (2.9 + 0.0 + 12.9) / 3)


def test_hinge_loss_with_twice_the_weights_still_zero_for_car():
    # The lecture's "is W unique?": doubling the car image's scores keeps 0.
    assert multiclass_hinge_loss(2 * LECTURE_SCORES[[1]], [1])[0] == 0.0


def test_softmax_loss_lecture_cat_example():
    loss, dscores = softmax_loss(LECTURE_SCORES[[0]], [0])
    exp = np.exp([3.2, 5.1, -1.7])
    assert_allclose(exp, [24.5, 164.0, 0.18], rtol=2e-2)  # the slide's values
    probabilities = exp / exp.sum()
    assert_allclose(probabilities, [0.13, 0.87, 0.00], atol=5e-3)
    assert_allclose(loss, -np.log(probabilities[0]))
    assert_allclose(loss, 2.04, atol=5e-3)
    assert_allclose(dscores, [probabilities - [1, 0, 0]])


@pytest.mark.parametrize("n_classes", [2, 3, 10])
def test_losses_at_zero_scores(n_classes):
    scores = np.zeros((7, n_classes))
    y = np.arange(7) % n_classes
    assert_allclose(softmax_loss(scores, y)[0], np.log(n_classes))
    assert_allclose(multiclass_hinge_loss(scores, y)[0], n_classes - 1)
    assert_allclose(
        multiclass_hinge_loss(scores, y, margin=2.5)[0], 2.5 * (n_classes - 1)
    )


@pytest.mark.parametrize("loss", [multiclass_hinge_loss, softmax_loss])
def test_float32_in_float32_out_and_inputs_untouched(loss):
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(20, 4)).astype(np.float32)
    y = rng.integers(0, 4, 20)
    before = scores.copy()
    value, dscores = loss(scores, y)
    assert dscores.dtype == np.float32
    assert isinstance(value, float)
    assert_allclose(scores, before)


@pytest.mark.parametrize("loss", [multiclass_hinge_loss, softmax_loss])
def test_any_memory_layout_gives_the_same_result(loss):
    # Fortran-ordered and strided scores (a transposed or sliced array) must
    # give what C-ordered ones do: the hinge indexes flat positions.
    rng = np.random.default_rng(2)
    scores = rng.normal(size=(9, 4))
    y = rng.integers(0, 4, 9)
    expected_value, expected_gradient = loss(scores, y)
    wide = np.zeros((9, 8))
    wide[:, ::2] = scores
    for layout in (np.asfortranarray(scores), wide[:, ::2]):
        value, dscores = loss(layout, y)
        assert value == pytest.approx(expected_value, rel=1e-12)
        assert_allclose(dscores, expected_gradient, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("loss", [multiclass_hinge_loss, softmax_loss])
def test_gradients_pass_gradient_check(loss):
    rng = np.random.default_rng(1)
    scores = rng.normal(size=(6, 4))
    y = rng.integers(0, 4, 6)
    weights = rng.uniform(0.5, 2.0, 6)
    result = gradient_check(lambda s: loss(s, y, sample_weight=weights), scores)
    assert result.passed, result.max_relative_error


@pytest.mark.parametrize("n_classes", [2, 10, 33, 100])
def test_softmax_equals_its_definition_for_any_class_count(n_classes):
    # Few and many classes take different row-max code paths; score gaps of
    # hundreds overflow exp() unless each row is shifted by its maximum.
    rng = np.random.default_rng(n_classes)
    scores = rng.normal(scale=300.0, size=(40, n_classes))
    y = rng.integers(0, n_classes, 40)
    weights = rng.uniform(0.5, 2.0, 40)
    probabilities = special.softmax(scores, axis=1)
    log_likelihood = scores[np.arange(40), y] - special.logsumexp(scores, axis=1)
    expected_gradient = probabilities
    expected_gradient[np.arange(40), y] -= 1
    expected_gradient *= (weights / weights.sum())[:, None]

    loss, dscores = softmax_loss(scores, y, sample_weight=weights)

    assert_allclose(loss, -np.average(log_likelihood, weights=weights), rtol=1e-12)
    assert_allclose(dscores, expected_gradient, rtol=1e-10, atol=1e-15)


def test_softmax_is_stable_for_huge_scores():
    scores = np.array([[1000.0, 0.0, -1000.0], [1e30, 1e30, 0.0]])
    loss, dscores = softmax_loss(scores, [0, 2])
    assert np.isfinite(loss) and np.all(np.isfinite(dscores))
    assert_allclose(loss, (0.0 + 1e30) / 2)


@pytest.mark.parametrize("loss", [multiclass_hinge_loss, softmax_loss])
def test_integer_weight_equals_repeated_sample(loss):
    rng = np.random.default_rng(2)
    scores = rng.normal(size=(5, 3))
    y = np.array([0, 1, 2, 1, 0])
    weights = np.array([1, 3, 0, 2, 1])
    weighted = loss(scores, y, sample_weight=weights)
    repeated = loss(np.repeat(scores, weights, axis=0), np.repeat(y, weights))
    assert_allclose(weighted[0], repeated[0])


@pytest.mark.parametrize(
    "scores, y, message",
    [
        (np.zeros(3), [0, 1, 2], "2-D"),
        (np.zeros((3, 2)), [0, 1], "shape"),
        (np.zeros((2, 2)), [0, 2], "class indices"),
        (np.zeros((2, 2)), [0.5, 1], "class indices"),
    ],
)
def test_bad_input_messages(scores, y, message):
    for loss in (multiclass_hinge_loss, softmax_loss):
        with pytest.raises(ValueError, match=message):
            loss(scores, y)


def test_sample_weight_must_have_positive_sum():
    with pytest.raises(ValueError, match="positive sum"):
        softmax_loss(np.zeros((2, 2)), [0, 1], sample_weight=[0, 0])


@pytest.mark.parametrize("loss", [multiclass_hinge_loss, softmax_loss])
@pytest.mark.parametrize(
    "bad_scores, match",
    [
        (np.array([[-np.inf, -np.inf]]), "finite"),
        (np.array([[0.0, np.inf]]), "finite"),
        (np.array([[1 + 1j, 0]]), "real numbers"),
        (np.array([["1", "2"]]), "real numbers"),
    ],
)
def test_losses_reject_non_finite_or_non_real_scores(loss, bad_scores, match):
    with pytest.raises(ValueError, match=match):
        loss(bad_scores, np.array([0]))


@pytest.mark.parametrize("margin", [None, np.nan, "1", 0.0, -1.0])
def test_hinge_loss_rejects_bad_margins(margin):
    with pytest.raises(ValueError, match="margin must be a positive number"):
        multiclass_hinge_loss(np.zeros((2, 3)), np.array([0, 1]), margin=margin)


@pytest.mark.parametrize("loss", [multiclass_hinge_loss, softmax_loss])
def test_float32_scores_accept_weights_float32_cannot_hold(loss):
    scores = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    y = np.array([0, 1, 2])
    huge, _ = loss(scores, y, sample_weight=[1e39, 1e39, 0.0])
    tiny, _ = loss(scores, y, sample_weight=[1e-46, 1e-46, 0.0])
    plain, _ = loss(scores, y, sample_weight=[1.0, 1.0, 0.0])
    assert_allclose([huge, tiny], [plain, plain], rtol=1e-6)
