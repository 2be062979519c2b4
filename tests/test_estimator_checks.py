"""scikit-learn's common estimator checks, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklinear import LinearSVMClassifier, SoftmaxClassifier

ESTIMATORS = [
    LinearSVMClassifier(random_state=0),
    SoftmaxClassifier(random_state=0),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_param_validation():
    from sklearn.utils.estimator_checks import check_param_validation

    for estimator in ESTIMATORS:
        check_param_validation(type(estimator).__name__, estimator)
