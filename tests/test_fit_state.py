"""LinearSVMClassifier and SoftmaxClassifier across calls and on bad input:
warm starts, a failed fit that leaves the model as it was, inputs left
untouched, convergence warnings and clear errors."""

import copy

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.utils.multiclass import check_classification_targets

from sklinear import LinearSVMClassifier, SoftmaxClassifier
from sklinear.objective import LinearObjective
from sklinear.penalties import make_penalty

CLASSIFIERS = [LinearSVMClassifier, SoftmaxClassifier]


def test_random_search_keeps_the_current_model_unless_a_trial_beats_it(blobs):
    # With warm_start (and in partial_fit) random search continues: the
    # model so far is a candidate. It used to start from scratch each time.
    X, y = blobs
    objective = LinearObjective(X, y, "softmax", make_penalty("l2", 1e-4))

    def single_trial(seed, warm_model=None):
        model = warm_model or SoftmaxClassifier(
            solver="random_search", max_iter=1, warm_start=True
        )
        return model.set_params(random_state=seed).fit(X, y)

    def value(model):
        return objective.value(model.coef_, model.intercept_)

    seeds = [3, 0, 1, 2]
    trials = [value(single_trial(seed)) for seed in seeds]
    assert np.argmin(trials) != len(seeds) - 1  # the last trial is not the best
    model = None
    for seed in seeds:
        model = single_trial(seed, model)
    assert_allclose(value(model), min(trials), rtol=1e-12)
    # partial_fit: the second chunk cannot make the model worse on it.
    first, second = slice(0, 300), slice(300, 600)
    on_second = LinearObjective(
        X[second], y[second], "softmax", make_penalty("l2", 1e-4)
    )
    streamed = SoftmaxClassifier(solver="random_search", max_iter=5, random_state=0)
    streamed.partial_fit(X[first], y[first], classes=np.unique(y))
    before = on_second.value(streamed.coef_, streamed.intercept_)
    streamed.partial_fit(X[second], y[second])
    assert on_second.value(streamed.coef_, streamed.intercept_) <= before + 1e-12


@pytest.mark.parametrize("Classifier", CLASSIFIERS)
def test_warm_start_continues(blobs, Classifier):
    X, y = blobs
    model = Classifier(warm_start=True, max_iter=2, tol=None, random_state=0)
    model.fit(X, y)
    first = model.coef_.copy()
    model.fit(X, y)
    cold = Classifier(max_iter=2, tol=None, random_state=0).fit(X, y)
    assert_array_equal(cold.coef_, first)
    assert not np.array_equal(model.coef_, first)


@pytest.mark.parametrize("Classifier", CLASSIFIERS)
def test_warm_start_takes_new_parameters_and_checks_features(blobs, Classifier):
    X, y = blobs
    model = Classifier(warm_start=True, learning_rate_init=0.01, random_state=0)
    model.fit(X, y)
    # Only the weights carry over: the step starts again from the parameters.
    model.set_params(learning_rate_init=0.02).fit(X, y)
    assert model.learning_rate_ == 0.02
    coef = model.coef_.copy()
    with pytest.raises(ValueError, match="X has 3 features, the previous fit had 5"):
        model.fit(X[:, :3], y)
    assert model.n_features_in_ == 5
    assert_array_equal(model.coef_, coef)
    model.predict(X)


@pytest.mark.parametrize("Classifier", CLASSIFIERS)
def test_averaged_warm_start_on_shifted_data(blobs, Classifier):
    # The average of two full-batch steps is the mean of the two one-step
    # models, intercepts included, when the data's mean differs from the
    # previous fit's (the centering the intercepts refer to changes).
    X, y = blobs
    start = Classifier(
        warm_start=True, average=True, max_iter=5, tol=None, random_state=0
    ).fit(X, y)
    shifted = X + np.array([5.0, -3.0, 2.0, 4.0, 1.0])

    def warm_fit(**params):
        model = copy.deepcopy(start).set_params(
            solver="gd", learning_rate="constant", tol=None, **params
        )
        return model.fit(shifted, y)

    one = warm_fit(max_iter=1, average=False)
    two = warm_fit(max_iter=2, average=False)
    averaged = warm_fit(max_iter=2)
    assert_allclose(averaged.coef_, (one.coef_ + two.coef_) / 2, rtol=1e-10)
    assert_allclose(
        averaged.intercept_, (one.intercept_ + two.intercept_) / 2, rtol=1e-10
    )


@pytest.mark.parametrize("Classifier", CLASSIFIERS)
def test_averaged_early_stopping_keeps_the_best_validated_model(Classifier):
    X, y = load_digits(return_X_y=True)
    model = Classifier(early_stopping=True, average=True, random_state=0)
    model.fit(X / 16, y)
    splitter = StratifiedShuffleSplit(test_size=0.1, random_state=0)
    _, validation = next(splitter.split(np.zeros(len(y)), y))
    held_out = model.score(X[validation] / 16, y[validation])
    assert held_out == model.best_validation_score_


@pytest.mark.parametrize("Classifier", CLASSIFIERS)
def test_a_failed_fit_leaves_the_model_as_it_was(blobs, Classifier):
    X, y = blobs
    diverging = {"learning_rate_init": 1e6}  # diverged for each of 40 seeds
    fresh = Classifier(random_state=0, **diverging)
    with pytest.raises(ValueError, match="diverged"):
        fresh.fit(X, y)
    with pytest.raises(NotFittedError):
        fresh.predict(X)
    model = Classifier(random_state=0).fit(X, y)
    coef, classes = model.coef_.copy(), model.classes_
    with pytest.raises(ValueError, match="diverged"):
        model.set_params(**diverging).fit(X[:, :3], y[::-1] + 1)
    assert model.n_features_in_ == 5
    assert_array_equal(model.coef_, coef)
    assert_array_equal(
        model.predict(X), classes[np.argmax(model.decision_function(X), 1)]
    )
    # A warm start whose weights leave one class out, then a good one.
    warm = Classifier(warm_start=True, random_state=0)
    with pytest.raises(ValueError, match="Only one class"):
        warm.fit(X, y, sample_weight=(y == 0).astype(float))
    warm.fit(X, y)
    # A first partial_fit with a label outside classes, then a good one.
    streamed = Classifier(random_state=0)
    with pytest.raises(ValueError, match="labels not in classes"):
        streamed.partial_fit(X, np.where(y == 3, 9, y), classes=[0, 1, 2, 3])
    with pytest.raises(NotFittedError):
        streamed.predict(X)
    streamed.partial_fit(X, y, classes=[0, 1, 2, 3])
    assert streamed.n_iter_ == 1


@pytest.mark.parametrize("Classifier", CLASSIFIERS)
def test_inputs_are_not_modified(blobs, Classifier):
    X, y = blobs
    X_before, y_before = X.copy(), y.copy()
    weights = np.ones(len(y))
    Classifier(random_state=0).fit(X, y, sample_weight=weights)
    assert_array_equal(X, X_before)
    assert_array_equal(y, y_before)
    assert_array_equal(weights, 1.0)


@pytest.mark.parametrize("Classifier", CLASSIFIERS)
def test_convergence_warning_when_max_iter_too_small(blobs, Classifier):
    X, y = blobs
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        Classifier(max_iter=1, random_state=0).fit(X, y)


@pytest.mark.parametrize("Classifier", CLASSIFIERS)
def test_diverging_learning_rate_raises_and_leaves_no_nan(digits, Classifier):
    X_train, _, y_train, _ = digits["raw"]
    model = Classifier(learning_rate_init=1e3, penalty="l2", alpha=1.0, momentum=0.9)
    with pytest.raises(ValueError, match="learning_rate_init=1000"):
        model.fit(X_train, y_train)
    assert not hasattr(model, "coef_")
    # Full-batch descent: one batch per epoch, so each epoch must be compared
    # with where training started, not with its own first batch.
    full_batch = Classifier(solver="gd", learning_rate_init=1e6)
    with pytest.raises(ValueError, match="learning_rate_init=1e\\+06"):
        full_batch.fit(X_train, y_train)
    assert not hasattr(full_batch, "coef_")
    streamed = Classifier(learning_rate_init=1e3, alpha=1.0)
    with pytest.raises(ValueError, match="diverged"):
        streamed.partial_fit(X_train, y_train, classes=np.arange(10))
    assert not hasattr(streamed, "coef_") and not hasattr(streamed, "classes_")
    # A later chunk far off the scale the step was set for: an error, and the
    # model keeps its previous, finite weights.
    # (tol 1e-2: on raw digits the SVM's certificate reaches 0.2% in max_iter.)
    good = Classifier(random_state=0, tol=1e-2).fit(X_train, y_train)
    coef = good.coef_.copy()
    with pytest.raises(ValueError, match="diverged"):
        good.partial_fit(X_train * 1e6, y_train)
    assert_array_equal(good.coef_, coef)


@pytest.mark.parametrize("Classifier", CLASSIFIERS)
def test_clear_errors(blobs, Classifier):
    X, y = blobs
    with pytest.raises(ValueError, match="NaN"):
        X_nan = X.copy()
        X_nan[0, 0] = np.nan
        Classifier().fit(X_nan, y)
    with pytest.raises(ValueError, match="infinity"):
        X_inf = X.copy()
        X_inf[1, 2] = np.inf
        Classifier().fit(X_inf, y)
    with pytest.raises(ValueError, match="1 class"):
        Classifier().fit(X, np.zeros(len(y)))
    model = Classifier(random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but .* expecting 5"):
        model.predict(X[:, :3])
    with pytest.raises(ValueError, match="classes must be passed on the first"):
        Classifier().partial_fit(X, y)
    streamed = Classifier().partial_fit(X, y, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"labels not in classes: \[7\]"):
        streamed.partial_fit(X[:3], [0, 7, 1])
    with pytest.raises(ValueError, match="balanced"):
        Classifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2, 3])


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize(
    "fit_kwargs",
    [
        {},
        {"fit_intercept": False},
        {"early_stopping": True},  # the bad row may land in the validation set
    ],
)
@pytest.mark.parametrize("Classifier", CLASSIFIERS)
def test_non_finite_input_is_caught_even_where_the_mean_skips_it(
    blobs, Classifier, fit_kwargs, value
):
    # The finiteness check reuses the column means; a bad value in a row of
    # weight 0 or a held-out row must be caught all the same.
    X, y = blobs
    X = X.copy()
    X[7, 2] = value
    weights = np.ones(len(y))
    weights[7] = 0.0
    model = Classifier(random_state=0, **fit_kwargs)
    with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
        model.fit(X, y, sample_weight=weights)
    with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
        model.partial_fit(X, y, classes=np.unique(y))
    with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
        model.fit(sp.csr_matrix(X), y)


@pytest.mark.parametrize("Classifier", CLASSIFIERS)
def test_column_sum_overflow_is_not_mistaken_for_bad_input(Classifier):
    # Finite float32 values whose column sum overflows: the one-pass check
    # falls back to the full one, which passes; training then works or says
    # the scale is the problem, never "contains NaN or infinity".
    rng = np.random.default_rng(0)
    X = rng.uniform(1e37, 3e38, size=(40, 2)).astype(np.float32)
    y = np.arange(40) % 2
    try:
        Classifier(random_state=0, max_iter=5).fit(X, y)
    except ValueError as error:
        assert "contains" not in str(error), error


def test_svm_has_no_predict_proba_and_points_to_calibration(blobs):
    X, y = blobs
    model = LinearSVMClassifier(random_state=0).fit(X, y)
    assert not hasattr(model, "predict_proba")
    with pytest.raises(AttributeError, match="CalibratedClassifierCV"):
        model.predict_proba(X)
    with pytest.raises(AttributeError, match="CalibratedClassifierCV"):
        model.predict_log_proba(X)
    with pytest.raises(AttributeError, match="no attribute 'no_such_thing'"):
        model.no_such_thing


@pytest.mark.parametrize(
    "labels",
    [
        np.array([0, 1] * 10),
        np.array([True, False] * 10),
        np.arange(20, dtype=np.uint8) % 3,
        np.array([-5, 7, 2**40, 7] * 5),
    ],
    ids=["int", "bool", "uint8", "wide"],
)
def test_integer_labels_skip_only_a_check_they_would_pass(labels):
    # fit skips scikit-learn's target check for integer vectors: it accepts
    # them all ('binary' or 'multiclass'); float labels still go through it
    # (tests/test_bad_input.py: continuous y is refused).
    check_classification_targets(labels)
    X = np.random.default_rng(0).standard_normal((len(labels), 3))
    model = SoftmaxClassifier(random_state=0, max_iter=5, tol=None).fit(X, labels)
    assert_array_equal(model.classes_, np.unique(labels))
