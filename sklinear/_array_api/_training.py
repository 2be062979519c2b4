"""Validation, labels, weights and fitted attributes of the array API path."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from .._duality import penalty_arguments
from .._sklearn_compat import (
    ALL_ZERO_WEIGHTS_OK,
    _check_sample_weight,
    _is_numpy_namespace,
    _max_precision_float_dtype,
    get_namespace,
    get_namespace_and_device,
    move_to,
    size,
)
from ._objective import XpObjective

# batch_size='auto' (partial_fit): as in the NumPy estimators.
_AUTO_BATCHES_PER_EPOCH = 30
_AUTO_BATCH_SIZE_RANGE = (32, 2048)
# The NumPy estimators' state, meaningless for a model fitted here.
_NUMPY_STATE = ("_weights", "_sgd_state", "_samples_seen")


def float_dtypes(xp, device):
    """float64 then float32, or float32 alone where the device lacks float64
    (e.g. PyTorch's MPS), as scikit-learn does: float32 input stays float32."""
    if _max_precision_float_dtype(xp, device) == xp.float64:
        return [xp.float64, xp.float32]
    return [xp.float32]


def check_supported_options(estimator, X):
    """Options the array API path cannot honour raise, naming the way out."""
    unsupported = []
    if estimator.solver == "random_search":
        unsupported.append("solver='random_search'")
    if estimator.early_stopping:
        unsupported.append("early_stopping=True")
    if unsupported:
        xp, _ = get_namespace(X)
        raise ValueError(
            f"{' and '.join(unsupported)} is not supported for array API inputs "
            f"(here {xp.__name__} arrays). Pass NumPy arrays instead, e.g. "
            "X.cpu().numpy() for a PyTorch tensor, or use the defaults."
        )


def training_data(estimator, X, y, sample_weight, *, classes, known, reset):
    """Checked ``X``, and the one-hot labels, weights and classes of ``y``."""
    xp, _, device = get_namespace_and_device(X)
    X = validate_data(
        estimator, X, dtype=float_dtypes(xp, device), order="C", reset=reset
    )
    y = y if hasattr(y, "__array_namespace__") else np.asarray(y)
    check_classification_targets(y)
    if known is not None:
        classes = known
    elif classes is not None:
        if not hasattr(classes, "shape"):
            classes = np.asarray(classes)
        classes = unique_labels(classes)
    else:
        classes = unique_labels(y)
    if size(classes) < 2:
        raise ValueError(
            "The number of classes has to be greater than one; got "
            f"{size(classes)} class."
        )
    y_index = move_to(_encode(y, classes), xp=xp, device=device)
    if y_index.shape[0] != X.shape[0]:
        raise ValueError(
            f"X has {X.shape[0]} samples but y has {y_index.shape[0]}: they must "
            "have the same number of samples."
        )
    n_classes = size(classes)
    Y = xp.astype(
        y_index[:, None] == xp.arange(n_classes, device=device)[None, :], X.dtype
    )
    weights = _weights(estimator, X, Y, sample_weight, classes, xp, device)
    return X, {"Y": Y, "weights": weights, "classes": classes}


def unique_labels(labels):
    """Sorted unique labels, in their own namespace (NumPy for strings)."""
    xp_labels, _ = get_namespace(labels)
    if _is_numpy_namespace(xp_labels):
        return np.unique(np.asarray(labels))
    return xp_labels.unique_values(labels)


def _encode(y, classes):
    """Indices of ``y`` in the sorted ``classes`` (in their namespace)."""
    xp_c, _, device_c = get_namespace_and_device(classes)
    if _is_numpy_namespace(xp_c):
        y, classes = np.asarray(move_to(y, xp=np, device="cpu")), np.asarray(classes)
        index = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
        unknown = classes[index] != y
        if np.any(unknown):
            raise _unknown_labels(np.unique(y[unknown]).tolist(), classes)
        return index
    y = move_to(y, xp=xp_c, device=device_c)
    index = xp_c.searchsorted(classes, xp_c.astype(y, classes.dtype))
    index = xp_c.clip(index, max=size(classes) - 1)
    unknown = xp_c.take(classes, index, axis=0) != y
    if xp_c.any(unknown):
        raise _unknown_labels(move_to(y[unknown], xp=np, device="cpu"), classes)
    return index


def _unknown_labels(labels, classes):
    expected = np.asarray(move_to(classes, xp=np, device="cpu")).tolist()
    return ValueError(
        f"y contains labels not in classes: {np.unique(labels).tolist()}; "
        f"expected labels from {expected}."
    )


def _weights(estimator, X, Y, sample_weight, classes, xp, device):
    """Sample weights times class weights, in the dtype and on the device of X."""
    if sample_weight is not None and not hasattr(sample_weight, "__array_namespace__"):
        sample_weight = np.asarray(sample_weight)
    sample_weight = move_to(sample_weight, xp=xp, device=device)
    weights = _check_sample_weight(
        sample_weight, X, dtype=X.dtype, ensure_non_negative=True, **ALL_ZERO_WEIGHTS_OK
    )
    if estimator.class_weight == "balanced":
        totals = weights @ Y
        safe = xp.where(totals > 0, totals, xp.ones_like(totals))
        per_class = xp.where(totals > 0, xp.sum(totals) / (Y.shape[1] * safe), 0.0)
    elif estimator.class_weight is not None:
        labels = np.asarray(move_to(classes, xp=np, device="cpu"))
        per_class = compute_class_weight(
            estimator.class_weight, classes=labels, y=labels
        )
        if not np.all(np.isfinite(per_class) & (per_class >= 0)):
            raise ValueError(
                "class_weight must give every class a finite, non-negative "
                f"weight, got {per_class.tolist()}."
            )
        per_class = xp.asarray(per_class, dtype=X.dtype, device=device)
    else:
        return weights
    return weights * (Y @ per_class)


def check_two_weighted_classes(Y, weights, xp):
    """fit needs two classes of positive weight, as the NumPy path."""
    positive = int(xp.sum(xp.astype(weights @ Y > 0, xp.int32)))
    if positive < 2:
        how_many = "Only one class has" if positive else "No class has"
        raise ValueError(
            f"{how_many} samples with a positive weight (after class_weight); a "
            "classifier needs at least 2 classes."
        )


def objective(estimator, X, Y, a, xp, offset=None):
    """The objective of the estimator's parameters on ``X`` (weights ``a``)."""
    result = XpObjective(
        X,
        Y,
        a,
        loss=estimator._loss,
        **penalty_arguments(estimator._penalty()),
        fit_intercept=estimator.fit_intercept,
        margin=getattr(estimator, "margin", 1.0),
        xp=xp,
    )
    if offset is not None:  # later partial_fit chunks keep the first centering
        result.offset = offset
    return result


def starting_point(objective, xp, state):
    """Zeros, or a previous model's weights (centered on ``objective``)."""
    X, n_classes = objective.X, objective.n_classes
    if state is None:
        W = xp.zeros((n_classes, X.shape[1]), dtype=X.dtype, device=_device(X))
        return W, xp.zeros(n_classes, dtype=X.dtype, device=_device(X))
    W, b = xp.astype(state["W"], X.dtype), xp.astype(state["b"], X.dtype)
    c = b + W @ objective.offset if objective.fit_intercept else b
    return W, c


def store(estimator, objective, W, c, classes):
    """Set ``coef_``, ``intercept_`` and ``classes_``; return ``(W, b)``."""
    xp = objective.xp
    b = objective.intercept(W, c)
    if W.shape[0] == 2:  # scikit-learn's binary convention, as the NumPy path
        estimator.coef_ = xp.reshape(W[1, :] - W[0, :], (1, -1))
        estimator.intercept_ = xp.reshape(b[1] - b[0], (1,))
    else:
        estimator.coef_, estimator.intercept_ = W, b
    estimator.classes_ = classes
    estimator.validation_scores_ = estimator.best_validation_score_ = None
    for name in _NUMPY_STATE:
        vars(estimator).pop(name, None)
    return W, b


def tolerance(estimator, X):
    """``tol``, at least what the dtype can resolve (0 without ``tol``)."""
    if estimator.tol is None:
        return 0.0
    eps = float(np.finfo(str(X.dtype).split(".")[-1]).eps)
    return max(float(estimator.tol), 100.0 * eps)


def batch_size(estimator, n_samples):
    if estimator.batch_size != "auto":
        return estimator.batch_size
    target = n_samples // _AUTO_BATCHES_PER_EPOCH
    return int(np.clip(target, *_AUTO_BATCH_SIZE_RANGE))


def warn_not_converged(estimator):
    warnings.warn(
        f"Maximum number of iterations (max_iter={estimator.max_iter}) reached "
        f"before the stopping criterion (tol={estimator.tol}) was met. Consider "
        "increasing max_iter.",
        ConvergenceWarning,
        stacklevel=4,
    )


def _device(X):
    return get_namespace_and_device(X)[2]
