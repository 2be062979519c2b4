"""A sparse X whose index arrays lie (a column past n_features, a row
pointer past the data) gets a ValueError from fit, partial_fit and predict;
SciPy's products would read outside the arrays. Each case runs in a fresh
interpreter, so a crash fails the test instead of killing pytest."""

import numpy as np
import pytest
import scipy.sparse as sp
from child_process import in_child

from sklinear import LinearSVMClassifier, SoftmaxClassifier


def _malformed(kind):
    data = np.ones(3)
    indices, indptr = np.array([0, 2, 1]), np.array([0, 1, 2, 3])
    if kind == "column past n_features":
        indices = np.array([0, 99_999_999, 1])
    # The constructor does not read the column indices it is given...
    X = sp.csr_matrix((data, indices, indptr), shape=(3, 4))
    if kind == "row pointer past the data":
        X.indptr[-1] = 50_000_000  # ...and nothing checks a later change.
    return X


def _outcome(Classifier, method, kind):
    rng = np.random.default_rng(0)
    good = sp.random(30, 4, density=0.5, format="csr", random_state=0)
    y = np.arange(30) % 3
    bad = _malformed(kind)
    model = Classifier(random_state=0, max_iter=5)
    try:
        if method == "fit":
            model.fit(bad, y[:3])
        elif method == "partial_fit":
            model.partial_fit(bad, y[:3], classes=[0, 1, 2])
        else:
            model.fit(good, rng.permutation(y)).predict(bad)
    except ValueError as error:
        return f"ValueError: {error}"
    except Exception as error:  # noqa: BLE001 - any other outcome fails
        return f"{type(error).__name__}: {error}"
    return "no error"


@pytest.mark.parametrize(
    "kind", ["column past n_features", "row pointer past the data"]
)
@pytest.mark.parametrize("method", ["fit", "partial_fit", "predict"])
@pytest.mark.parametrize("Classifier", [LinearSVMClassifier, SoftmaxClassifier])
def test_malformed_sparse_x_is_a_value_error(Classifier, method, kind):
    outcome = in_child(_outcome, Classifier, method, kind)
    assert outcome.startswith("ValueError: Malformed sparse matrix X"), outcome
