"""Test-session settings and fixtures shared by the test modules."""

import os

# scikit-learn's array API dispatch needs SciPy's own array API support, which
# SciPy reads once, when first imported: set it before anything imports it.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import importlib.util  # noqa: E402
import sys  # noqa: E402
from pathlib import Path

import pytest  # noqa: E402
from sklearn.datasets import load_digits, load_iris, load_wine, make_blobs  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True, scope="session")
def one_blas_thread():
    """Run BLAS on one thread for the whole session.

    The suite's products are small, and CI has two shared cores: there a
    second OpenBLAS thread mostly waits for a busy core. LogisticRegression
    on digits took 11.6 s with two threads and 0.16 s with one on this
    project's machine under load. No test's result depends on the BLAS thread
    count; the tests of the compiled kernel's own threads set their limits
    themselves.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(autouse=True)
def one_torch_thread():
    """PyTorch's own thread pool (not threadpoolctl's) on one thread too,
    once a test has imported it: its checks ran 5 to 50 times slower with
    two threads on the shared CI cores."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != 1:
        torch.set_num_threads(1)
    yield


@pytest.fixture(scope="module")
def setup_script():
    """setup.py as a module, with setuptools.setup() doing nothing."""
    if not (ROOT / "setup.py").is_file():
        pytest.skip("needs the source tree's setup.py")
    setuptools = pytest.importorskip("setuptools")
    spec = importlib.util.spec_from_file_location("setup_script", ROOT / "setup.py")
    module = importlib.util.module_from_spec(spec)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(setuptools, "setup", lambda **kwargs: None)
        spec.loader.exec_module(module)
    return module


# The classifiers' test data, for test_linear_model.py and test_fit_state.py.
@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return {
        "raw": (X_train, X_test, y_train, y_test),
        "standardized": (
            scaler.transform(X_train),
            scaler.transform(X_test),
            y_train,
            y_test,
        ),
    }


@pytest.fixture(scope="module")
def blobs():
    # Standardized: unscaled, the blobs (centers up to 10 apart, alpha 5e-3)
    # make an ill-conditioned objective that SAGA needs >1000 epochs to
    # certify (a ConvergenceWarning in every test that fits them).
    X, y = make_blobs(n_samples=600, centers=4, n_features=5, random_state=0)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def iris():
    """Iris, standardized (all 150 rows)."""
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def wine():
    """Wine, standardized (all 178 rows)."""
    X, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X), y
