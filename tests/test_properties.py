"""Property-based tests (hypothesis) of the losses, the gradient check and HOG."""

import numpy as np
import pytest
from objective_parts import value_gradient_parts

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402
from skimage.feature import hog as skimage_hog  # noqa: E402

from sklinear.features import HOGFeatures  # noqa: E402
from sklinear.gradient_check import gradient_check  # noqa: E402
from sklinear.losses import multiclass_hinge_loss, softmax_loss  # noqa: E402
from sklinear.objective import LinearObjective  # noqa: E402
from sklinear.penalties import make_penalty  # noqa: E402

# Modest and deterministic: no example database written into the tree, a
# fixed derandomized search, so the suite stays fast and reproducible.
FAST = settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)

finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def scores_and_labels(draw, max_samples=6, max_classes=5):
    n_samples = draw(st.integers(1, max_samples))
    n_classes = draw(st.integers(2, max_classes))
    scores = draw(arrays(np.float64, (n_samples, n_classes), elements=finite))
    labels = draw(arrays(np.intp, n_samples, elements=st.integers(0, n_classes - 1)))
    return scores, labels


positive_weights = st.floats(0.1, 10, allow_nan=False, width=64)


@st.composite
def sample_weights(draw, n_samples):
    if draw(st.booleans()):
        return None
    return draw(arrays(np.float64, n_samples, elements=positive_weights))


# --------------------------------------------------------------------------
# Gradient checks on random scores and weights
# --------------------------------------------------------------------------


@FAST
@given(data=st.data())
def test_softmax_gradient_check_holds(data):
    scores, labels = data.draw(scores_and_labels())
    weights = data.draw(sample_weights(len(labels)))
    result = gradient_check(
        lambda s: softmax_loss(s, labels, sample_weight=weights), scores
    )
    assert result.passed, result.max_relative_error


def _hinge_margins(scores, labels, margin):
    rows = np.arange(len(labels))
    margins = scores - scores[rows, labels][:, None] + margin
    margins[rows, labels] = np.inf  # the correct class has no margin
    return margins


@FAST
@given(data=st.data(), margin=st.floats(0.1, 3))
def test_hinge_gradient_check_holds_away_from_kinks(data, margin):
    scores, labels = data.draw(scores_and_labels())
    weights = data.draw(sample_weights(len(labels)))
    h = 1e-5
    # The finite difference is exact only where no margin changes sign
    # within x +- h (moving one score moves a margin by h).
    assume(np.all(np.abs(_hinge_margins(scores, labels, margin)) > 10 * h))
    result = gradient_check(
        lambda s: multiclass_hinge_loss(s, labels, margin, sample_weight=weights),
        scores,
        h=h,
    )
    assert result.passed, result.max_relative_error


@FAST
@given(
    data=st.data(),
    loss=st.sampled_from(["softmax", "hinge"]),
    penalty=st.sampled_from([None, "l2"]),
    alpha=st.floats(0.0, 1.0),
)
def test_objective_gradient_check_holds_on_random_weights(data, loss, penalty, alpha):
    n_samples = data.draw(st.integers(2, 8))
    n_features = data.draw(st.integers(1, 4))
    n_classes = data.draw(st.integers(2, 4))
    X = data.draw(arrays(np.float64, (n_samples, n_features), elements=finite))
    y = data.draw(arrays(np.intp, n_samples, elements=st.integers(0, n_classes - 1)))
    W = data.draw(arrays(np.float64, (n_classes, n_features), elements=finite))
    b = data.draw(arrays(np.float64, n_classes, elements=finite))
    weights = data.draw(sample_weights(n_samples))
    objective = LinearObjective(
        X,
        y,
        loss=loss,
        penalty=make_penalty(penalty, alpha),
        sample_weight=weights,
        center=data.draw(st.booleans()),
    )
    if loss == "hinge":
        scores = objective.scores(W, b)
        margin_size = np.abs(X).sum(axis=1).max() + 1.0  # how far h moves a score
        assume(np.all(np.abs(_hinge_margins(scores, y, 1.0)) > 1e-4 * margin_size))

    for check, point in zip(value_gradient_parts(objective, W, b), (W, b)):
        result = gradient_check(check, point, tol=1e-5)
        assert result.passed, (check.__name__, result.max_relative_error)


# --------------------------------------------------------------------------
# Invariances of the losses
# --------------------------------------------------------------------------


@FAST
@given(data=st.data(), shift=st.floats(-1e3, 1e3))
def test_softmax_unchanged_by_a_constant_added_to_a_row(data, shift):
    scores, labels = data.draw(scores_and_labels())
    row = data.draw(st.integers(0, len(labels) - 1))
    shifted = scores.copy()
    shifted[row] += shift
    loss, grad = softmax_loss(scores, labels)
    shifted_loss, shifted_grad = softmax_loss(shifted, labels)
    # Adding c to a row changes each score by rounding of about eps * |c|.
    tolerance = 1e-12 + 4 * np.finfo(float).eps * abs(shift)
    assert abs(shifted_loss - loss) <= 10 * tolerance
    np.testing.assert_allclose(shifted_grad, grad, rtol=0, atol=10 * tolerance)


@st.composite
def leading_scores(draw):
    """Scores where the correct class leads every other by ``margin + lead``.

    Dyadic values (multiples of 1/8) keep every sum exact, so the boundary
    case ``lead == 0`` is tested exactly.
    """
    n_samples = draw(st.integers(1, 6))
    n_classes = draw(st.integers(2, 5))
    eighths = st.integers(-80, 80).map(lambda k: k / 8)
    scores = draw(arrays(np.float64, (n_samples, n_classes), elements=eighths))
    labels = draw(arrays(np.intp, n_samples, elements=st.integers(0, n_classes - 1)))
    margin = draw(st.integers(1, 24)) / 8
    leads = draw(
        arrays(np.float64, n_samples, elements=st.integers(0, 16).map(lambda k: k / 8))
    )
    rows = np.arange(n_samples)
    others = scores.copy()
    others[rows, labels] = -np.inf
    scores[rows, labels] = others.max(axis=1) + margin + leads
    return scores, labels, margin


@FAST
@given(case=leading_scores(), weights_seed=st.integers(0, 2**16))
def test_hinge_is_zero_when_the_correct_class_leads_by_the_margin(case, weights_seed):
    scores, labels, margin = case
    weights = np.random.default_rng(weights_seed).uniform(0.1, 2.0, len(labels))
    for sample_weight in (None, weights):
        loss, grad = multiclass_hinge_loss(
            scores, labels, margin, sample_weight=sample_weight
        )
        assert loss == 0.0
        assert not grad.any()
    # ... and positive as soon as one other class gets closer than the margin.
    closer = scores.copy()
    wrong = (labels[0] + 1) % scores.shape[1]
    closer[0, wrong] = closer[0, labels[0]] - margin / 2
    assert multiclass_hinge_loss(closer, labels, margin)[0] > 0


# --------------------------------------------------------------------------
# HOG equals scikit-image
# --------------------------------------------------------------------------


@st.composite
def hog_problems(draw):
    cell = (draw(st.integers(2, 6)), draw(st.integers(2, 6)))
    block = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    # At least one block (scikit-image raises below), plus a ragged border.
    height = cell[0] * block[0] + draw(st.integers(0, 2 * cell[0] + 1))
    width = cell[1] * block[1] + draw(st.integers(0, 2 * cell[1] + 1))
    channels = draw(st.sampled_from([None, 1, 3]))
    dtype = draw(st.sampled_from([np.uint8, np.float64]))
    shape = (draw(st.integers(1, 3)), height, width) + (
        () if channels is None else (channels,)
    )
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if dtype == np.uint8:
        images = rng.integers(0, 256, size=shape, dtype=np.uint8)
    else:
        images = rng.uniform(0, draw(st.sampled_from([1.0, 255.0])), size=shape)
    params = {
        "orientations": draw(st.integers(1, 12)),
        "pixels_per_cell": cell,
        "cells_per_block": block,
        "block_norm": draw(st.sampled_from(["L1", "L1-sqrt", "L2", "L2-Hys"])),
        "transform_sqrt": draw(st.booleans()),
    }
    return images, params


@FAST
@given(problem=hog_problems())
def test_hog_features_equal_scikit_image(problem):
    images, params = problem
    color = images.ndim == 4 and images.shape[3] > 1
    features = HOGFeatures(**params).fit_transform(images)
    for index, image in enumerate(images):
        if image.ndim == 3 and not color:
            image = image[..., 0]
        expected = skimage_hog(image, channel_axis=-1 if color else None, **params)
        np.testing.assert_allclose(features[index], expected, rtol=1e-7, atol=1e-9)
