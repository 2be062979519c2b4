"""scikit-learn's common estimator checks, with no expected failures."""

import pytest
from sklearn.utils.estimator_checks import (
    check_class_weight_balanced_linear_classifier,
    check_sample_weight_equivalence_on_dense_data,
    check_sample_weight_equivalence_on_sparse_data,
    parametrize_with_checks,
)

from sklinear import LinearSVMClassifier, SoftmaxClassifier

ESTIMATORS = [
    LinearSVMClassifier(random_state=0),
    SoftmaxClassifier(random_state=0),
]
# The softmax with an L1 part runs another certified solver (OWL-QN), whose
# fits must pass the same checks (among them that integer sample weights
# and repeated rows give the same model, to rtol 1e-7).
L1_ESTIMATORS = [
    SoftmaxClassifier(penalty="l1", random_state=0),
    SoftmaxClassifier(penalty="elasticnet", random_state=0),
]


# Some checks fit toy data far from what the default alpha suits (unscaled
# blobs with class weights of 1000 and 1e-4, near-separable points), where a
# certified solver can end max_iter above tol and says so in a
# ConvergenceWarning: the checks test the API, not convergence (which
# tests/test_certified.py tests).
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS + L1_ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_param_validation():
    from sklearn.utils.estimator_checks import check_param_validation

    for estimator in ESTIMATORS:
        check_param_validation(type(estimator).__name__, estimator)


@pytest.mark.parametrize(
    "check",
    [
        check_sample_weight_equivalence_on_dense_data,
        check_sample_weight_equivalence_on_sparse_data,
        check_class_weight_balanced_linear_classifier,
    ],
)
@pytest.mark.parametrize("Estimator", [LinearSVMClassifier, SoftmaxClassifier])
def test_balanced_class_weight_checks(Estimator, check):
    # 'balanced' weighs classes by their total sample weight, so a weight of
    # k still equals k copies of a sample.
    check(Estimator.__name__, Estimator(class_weight="balanced", random_state=0))
