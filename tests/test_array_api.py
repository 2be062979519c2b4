"""The classifiers with array API inputs (array-api-strict always, PyTorch
when installed): scikit-learn's checks, the optimum reached, namespaces,
devices and dtypes of the results."""

import _reference_optimum as ref
import numpy as np
import pytest
import sklearn
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler
from sklearn.utils._array_api import (
    get_namespace,
    move_to,
    yield_namespace_device_dtype_combinations,
)
from sklearn.utils._testing import _array_api_for_tests
from sklearn.utils.estimator_checks import (
    check_array_api_input,
    check_array_api_same_namespace,
)

from sklinear import HOGFeatures, HueHistogram, LinearSVMClassifier, SoftmaxClassifier
from sklinear.features import hog, hue_histogram

xps = pytest.importorskip("array_api_strict")

ESTIMATORS = [LinearSVMClassifier(random_state=0), SoftmaxClassifier(random_state=0)]
# The checks are about namespaces, devices, dtypes and shapes: a loose tol
# keeps them fast (the optimum has its own tests below).
FAST = [type(e)(tol=1e-2, random_state=0) for e in ESTIMATORS]
# Every combination scikit-learn tests, but NumPy (the NumPy path has its own
# tests); those without their library or device skip themselves.
COMBINATIONS = list(yield_namespace_device_dtype_combinations(False))
NAMESPACES = ["array_api_strict", "torch"]


@pytest.fixture(autouse=True)
def dispatch():
    with sklearn.config_context(array_api_dispatch=True):
        yield


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    # The arrays here are tiny: a second intra-op thread only waits for a
    # busy core on a shared machine (50x slower products were measured).
    torch = pytest.importorskip("torch") if _has("torch") else None
    if torch is None:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _has(name):
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def _xp(namespace, device=None, dtype="float64"):
    return _array_api_for_tests(namespace, device, dtype)


def _data(n_classes=3, n_samples=120, n_features=6, seed=0):
    X, y = make_classification(
        n_samples,
        n_features,
        n_informative=4,
        n_redundant=0,
        n_classes=n_classes,
        n_clusters_per_class=1,
        random_state=seed,
    )
    return StandardScaler().fit_transform(X), y


def _to_numpy(array):
    return np.asarray(move_to(array, xp=np, device="cpu"))


def test_scipy_array_api_is_set():
    # conftest.py sets it before SciPy is first imported; SciPy reads it once.
    from scipy._lib._array_api import SCIPY_ARRAY_API

    assert SCIPY_ARRAY_API


def test_tag():
    for estimator in ESTIMATORS:
        assert estimator.__sklearn_tags__().array_api_support


# Without sample weights, parametrize_with_checks runs the same check
# (tests/test_estimator_checks.py, now that the tag is set): here with them.
@pytest.mark.parametrize("namespace, device, dtype", COMBINATIONS)
@pytest.mark.parametrize("estimator", FAST, ids=lambda e: type(e).__name__)
def test_check_array_api_input(estimator, namespace, device, dtype):
    check_array_api_input(
        type(estimator).__name__,
        estimator,
        array_namespace=namespace,
        device_name=device,
        dtype_name=dtype,
        check_sample_weight=True,
    )


@pytest.mark.parametrize("estimator", FAST, ids=lambda e: type(e).__name__)
def test_check_array_api_same_namespace(estimator):
    check_array_api_same_namespace(
        type(estimator).__name__, estimator, array_namespace="array_api_strict"
    )


def _fit(estimator, X, y, namespace, sample_weight=None):
    xp, device = _xp(namespace)
    arrays = [xp.asarray(a, device=device) for a in (X, y)]
    if sample_weight is not None:
        sample_weight = xp.asarray(sample_weight, device=device)
    estimator.fit(*arrays, sample_weight=sample_weight)
    W, b = (_to_numpy(estimator._xp_state[k]) for k in ("W", "b"))
    return estimator, W, b, arrays


@pytest.mark.parametrize("namespace", NAMESPACES)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_softmax_l2_reaches_lbfgs_optimum(namespace, n_classes):
    X, y = _data(n_classes)
    alpha = 1e-2
    optimum = ref.softmax_l2(X, y, alpha)
    model = SoftmaxClassifier(alpha=alpha, tol=1e-8, max_iter=5000)
    model, W, b, _ = _fit(model, X, y, namespace)
    a = np.full(len(y), 1.0 / len(y))
    value = ref.objective_value(X, y, W, b, "softmax", a, alpha_l2=alpha)
    # lbfgs at tol=1e-12 is optimal to ~1e-10 relative.
    assert value - optimum.value <= 1e-9 * optimum.value
    np.testing.assert_allclose(W, optimum.W, atol=1e-5)
    np.testing.assert_allclose(b, optimum.b, atol=1e-5)


# array-api-strict's wrappers make each operation slow: a looser tol there.
@pytest.mark.parametrize(
    "namespace, tol, bound, coef_atol",
    [("array_api_strict", 1e-3, 2e-4, 5e-2), ("torch", 1e-5, 1e-6, 1e-3)],
)
def test_hinge_l2_reaches_exact_optimum(namespace, tol, bound, coef_atol):
    # The hinge is not smooth: the smoothing homotopy must still get there.
    X, y = _data(3)
    alpha = 1e-2
    optimum = ref.hinge_l2(X, y, alpha)
    model = LinearSVMClassifier(alpha=alpha, tol=tol, max_iter=20000)
    model, W, b, _ = _fit(model, X, y, namespace)
    a = np.full(len(y), 1.0 / len(y))
    value = ref.objective_value(X, y, W, b, "hinge", a, alpha_l2=alpha)
    # Measured (200 x 8 data): 2.8e-6 relative at tol=1e-4, 1.2e-7 at 1e-5,
    # 5e-5 at the default tol=1e-3.
    assert abs(value - optimum.value) <= bound * optimum.value
    np.testing.assert_allclose(W, optimum.W, atol=coef_atol)


def test_elastic_net_reaches_saga_optimum():
    X, y = _data(3, n_samples=80, n_features=4)
    alpha, rho = 1e-2, 0.5
    optimum = ref.softmax_saga(X, y, alpha, rho)
    model = SoftmaxClassifier(
        penalty="elasticnet", alpha=alpha, l1_ratio=rho, tol=1e-8, max_iter=5000
    )
    _, W, b, _ = _fit(model, X, y, "array_api_strict")
    a = np.full(len(y), 1.0 / len(y))
    value = ref.objective_value(
        X, y, W, b, "softmax", a, alpha_l1=alpha * rho, alpha_l2=alpha * (1 - rho)
    )
    assert abs(value - optimum.value) <= 1e-7 * optimum.value
    # The proximal step gives the same exact zeros.
    np.testing.assert_array_equal(W == 0, np.abs(optimum.W) < 1e-8)


def test_max_norm_reaches_constrained_optimum():
    X, y = _data(3, n_samples=80, n_features=4)
    optimum = ref.softmax_max_norm(X, y, 1e-3, max_norm=0.5)
    model = SoftmaxClassifier(alpha=1e-3, max_norm=0.5, tol=1e-8, max_iter=5000)
    _, W, b, _ = _fit(model, X, y, "array_api_strict")
    assert np.linalg.norm(W, axis=1).max() <= 0.5 * (1 + 1e-12)
    a = np.full(len(y), 1.0 / len(y))
    value = ref.objective_value(X, y, W, b, "softmax", a, alpha_l2=1e-3)
    assert abs(value - optimum.value) <= 1e-7 * optimum.value


def test_sample_weight_is_repetition():
    X, y = _data(3, n_samples=60)
    weights = np.arange(60) % 3
    repeated = np.repeat(np.arange(60), weights)
    model = SoftmaxClassifier(tol=1e-8, max_iter=5000)
    _, W, b, _ = _fit(model, X, y, "array_api_strict", sample_weight=weights)
    _, W2, b2, _ = _fit(model, X[repeated], y[repeated], "array_api_strict")
    np.testing.assert_allclose(W, W2, atol=1e-6)
    np.testing.assert_allclose(b, b2, atol=1e-6)


@pytest.mark.parametrize("namespace", NAMESPACES)
@pytest.mark.parametrize("Estimator", [LinearSVMClassifier, SoftmaxClassifier])
def test_float32_stays_float32_in_namespace(namespace, Estimator):
    X, y = _data(3)
    xp, device = _xp(namespace, dtype="float32")
    X32 = xp.asarray(X.astype(np.float32), device=device)
    y_xp = xp.asarray(y, device=device)
    model = Estimator().fit(X32, y_xp)
    outputs = [model.coef_, model.intercept_, model.decision_function(X32)]
    if hasattr(model, "predict_proba"):
        outputs += [model.predict_proba(X32), model.predict_log_proba(X32)]
    for output in outputs:
        assert output.dtype == xp.float32
        assert get_namespace(output)[0].__name__ == (xp.__name__)
    predicted = model.predict(X32)
    assert get_namespace(predicted)[0] is xp
    assert isinstance(model.score(X32, y_xp), float)
    assert model.score(X32, y_xp) > 0.8


def test_probabilities_are_softmax_of_scores():
    X, y = _data(3)
    xp, device = _xp("array_api_strict")
    X_xp = xp.asarray(X, device=device)
    model = SoftmaxClassifier().fit(X_xp, xp.asarray(y, device=device))
    scores = _to_numpy(model.decision_function(X_xp))
    proba = _to_numpy(model.predict_proba(X_xp))
    expected = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(proba, expected, rtol=1e-12)
    np.testing.assert_allclose(
        _to_numpy(model.predict_log_proba(X_xp)), np.log(expected), rtol=1e-12
    )
    np.testing.assert_array_equal(
        _to_numpy(model.predict(X_xp)), np.argmax(scores, axis=1)
    )


def test_string_labels_stay_numpy():
    X, y = _data(3)
    labels = np.array(["cat", "dog", "emu"])[y]
    xp, device = _xp("array_api_strict")
    X_xp = xp.asarray(X, device=device)
    model = SoftmaxClassifier().fit(X_xp, labels)
    assert isinstance(model.classes_, np.ndarray)
    predicted = model.predict(X_xp)
    assert isinstance(predicted, np.ndarray)
    assert set(predicted) <= set(labels)
    assert model.score(X_xp, labels) > 0.8


def test_partial_fit_in_namespace():
    X, y = _data(3, n_samples=300)
    xp, device = _xp("array_api_strict")
    X_xp, y_xp = (xp.asarray(a, device=device) for a in (X, y))
    model = SoftmaxClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        model.partial_fit(X_xp, y_xp)
    model.partial_fit(X_xp[:150, ...], y_xp[:150], classes=np.unique(y))
    first = model.loss_curve_[0]
    for _ in range(5):
        model.partial_fit(X_xp[150:, ...], y_xp[150:])
    assert model.n_iter_ == 6
    assert model.loss_curve_[-1] < 0.8 * first
    assert get_namespace(model.coef_)[0] is xp
    assert model.score(X_xp, y_xp) > 0.8
    with pytest.raises(ValueError, match="labels not in classes"):
        model.partial_fit(X_xp[:3, ...], xp.asarray([0, 1, 7], device=device))


def test_numpy_input_keeps_the_numpy_path():
    X, y = _data(3)
    model = LinearSVMClassifier(random_state=0, max_iter=5, tol=None)
    dispatched = model.fit(X, y).coef_.copy()
    with sklearn.config_context(array_api_dispatch=False):
        plain = model.fit(X, y).coef_
    np.testing.assert_array_equal(dispatched, plain)
    assert "_sgd_state" in vars(model)  # the NumPy solver's state


def test_numpy_input_to_a_namespace_model_raises():
    X, y = _data(3)
    xp, device = _xp("array_api_strict")
    model = SoftmaxClassifier().fit(xp.asarray(X, device=device), y)
    with pytest.raises(ValueError, match="same namespace"):
        model.predict_proba(X)


def test_refit_and_continue_across_namespaces():
    X, y = _data(3)
    xp, device = _xp("array_api_strict")
    X_xp, y_xp = (xp.asarray(a, device=device) for a in (X, y))
    model = SoftmaxClassifier(random_state=0).fit(X_xp, y_xp)
    # A new fit on NumPy starts afresh on the NumPy path...
    assert isinstance(model.fit(X, y).coef_, np.ndarray)
    # ...and a NumPy model cannot be continued on other arrays.
    with pytest.raises(ValueError, match="same namespace"):
        model.partial_fit(X_xp, y_xp)
    model.set_params(warm_start=True)
    with pytest.raises(ValueError, match="same namespace"):
        model.fit(X_xp, y_xp)
    # warm_start in the namespace continues from the previous optimum.
    model = SoftmaxClassifier(tol=1e-6, warm_start=True).fit(X_xp, y_xp)
    assert model.fit(X_xp, y_xp).n_iter_ <= 2


@pytest.mark.parametrize(
    "params", [{"early_stopping": True}, {"solver": "random_search"}]
)
def test_unsupported_options_say_so(params):
    X, y = _data(3)
    xp, device = _xp("array_api_strict")
    with pytest.raises(ValueError, match="not supported for array API inputs"):
        SoftmaxClassifier(**params).fit(xp.asarray(X, device=device), y)


IMAGES = np.random.default_rng(0).integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
ROWS = IMAGES.reshape(3, -1)  # what a pipeline passes the transformers
FEATURES = [
    (HOGFeatures(cells_per_block=(1, 1), image_shape=(16, 16, 3)).fit_transform, ROWS),
    (HueHistogram(image_shape=(16, 16, 3)).fit_transform, ROWS),
    (hog, IMAGES),
    (hue_histogram, IMAGES),
]
IDS = ["HOGFeatures", "HueHistogram", "hog", "hue_histogram"]


@pytest.mark.parametrize("namespace", NAMESPACES)
@pytest.mark.parametrize("feature, images", FEATURES, ids=IDS)
def test_features_refuse_arrays_under_dispatch(feature, images, namespace):
    xp, device = _xp(namespace)
    with pytest.raises(TypeError, match="needs NumPy input.*host memory"):
        feature(xp.asarray(images, device=device))


@pytest.mark.parametrize("feature, images", FEATURES, ids=IDS)
def test_features_refuse_arrays_numpy_cannot_read(feature, images):
    # array-api-strict's second device stands for device memory (a CUDA
    # tensor): np.asarray cannot read it, and the error says what to do.
    images = xps.asarray(images, device=xps.Device("device1"))
    message = r"needs NumPy input.*cpu\(\)\.numpy"
    with (
        sklearn.config_context(array_api_dispatch=False),
        pytest.raises(TypeError, match=message),
    ):
        feature(images)


def test_features_read_cpu_tensors_without_dispatch():
    torch = pytest.importorskip("torch")
    with sklearn.config_context(array_api_dispatch=False):
        for feature, images in FEATURES:
            np.testing.assert_array_equal(
                feature(torch.asarray(images)), feature(images)
            )
