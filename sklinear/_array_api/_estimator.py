"""The classifiers' methods for array API inputs (PyTorch, CuPy, ...).

With ``sklearn.set_config(array_api_dispatch=True)``, the classifiers' hooks
send non-NumPy inputs here (and any input of a model fitted on them, so that
mixing namespaces raises scikit-learn's clear error). Everything runs in the
input's namespace and on its device; ``coef_`` and ``intercept_`` live there,
``classes_`` lives in the namespace of ``y`` as in scikit-learn's array API
classifiers (a NumPy array for string labels), and predictions come back in
the namespace of ``X`` (NumPy for string labels).
"""

import math

import numpy as np
from sklearn import get_config
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .._sklearn_compat import (
    HAS_ARRAY_API_HELPERS,
    _is_numpy_namespace,
    check_same_namespace,
    get_namespace,
    get_namespace_and_device,
    move_to,
)
from . import _training as tr
from ._solver import sgd_epoch, solve


def dispatches(estimator, X, fit=False):
    """Whether a call with ``X`` goes through the array API path.

    True when dispatch is on and ``X``, or the fitted ``coef_``, is not a
    NumPy array (for ``fit``, the fitted ``coef_`` counts only with
    ``warm_start``: a new fit starts afresh in the namespace of its ``X``).
    NumPy inputs of a NumPy model keep the NumPy path, exactly as without
    dispatch.
    """
    if not HAS_ARRAY_API_HELPERS or not get_config()["array_api_dispatch"]:
        return False
    fitted = getattr(estimator, "coef_", None)
    if fit and not estimator.warm_start:
        fitted = None
    return _foreign(X) or _foreign(fitted)


def _foreign(array):
    """Whether ``array`` is an array of a namespace other than NumPy's."""
    if array is None:
        return False
    try:
        xp, _ = get_namespace(array)
    except TypeError:  # e.g. a DataFrame: not an array API array
        return False
    return not _is_numpy_namespace(xp)


def fit(estimator, X, y, sample_weight):
    """``fit`` for array API inputs: accelerated proximal gradient."""
    tr.check_supported_options(estimator, X)
    previous = _continued_state(estimator, X, "fit") if estimator.warm_start else None
    X, data = tr.training_data(
        estimator, X, y, sample_weight, classes=None, known=None, reset=True
    )
    if previous is not None:
        _check_same_classes(data["classes"], estimator.classes_)
    xp = get_namespace(X)[0]
    tr.check_two_weighted_classes(data["Y"], data["weights"], xp)
    total = xp.sum(data["weights"])
    objective = tr.objective(estimator, X, data["Y"], data["weights"] / total, xp)
    W, c = tr.starting_point(objective, xp, previous)
    result = solve(
        objective, W, c, tol=tr.tolerance(estimator, X), max_iter=estimator.max_iter
    )
    W, b = tr.store(estimator, objective, result.W, result.c, data["classes"])
    estimator.n_iter_ = estimator.t_ = result.n_iter
    estimator.loss_curve_ = result.loss_curve
    estimator.learning_rate_ = 1.0 / result.lipschitz
    estimator._xp_state = {
        "W": W,
        "b": b,
        "offset": objective.offset,
        "step": None,  # partial_fit derives its step when it continues
        "calls": 0,
        "seen": (X.shape[0], float(total)),
    }
    if not result.converged and estimator.tol is not None:
        tr.warn_not_converged(estimator)
    return estimator


def partial_fit(estimator, X, y, classes, sample_weight):
    """``partial_fit`` for array API inputs: one epoch of proximal SGD."""
    tr.check_supported_options(estimator, X)
    state = _continued_state(estimator, X, "partial_fit")
    known = _check_partial_fit_call(estimator, state, classes)
    X, data = tr.training_data(
        estimator,
        X,
        y,
        sample_weight,
        classes=classes,
        known=known,
        reset=known is None,
    )
    xp = get_namespace(X)[0]
    weights, chunk_total = data["weights"], float(xp.sum(data["weights"]))
    if chunk_total == 0:
        if state is None:
            raise ValueError(
                "Every sample of the first partial_fit chunk has weight 0: there "
                "is nothing to start from. Pass a chunk with a positive weight."
            )
        return estimator  # skipped, as the NumPy path does
    # Weights relative to the mean weight of every sample seen so far.
    count, total = (0, 0.0) if state is None else state["seen"]
    count, total = count + X.shape[0], total + chunk_total
    a = weights * (count / total / X.shape[0])
    offset = None if state is None else state["offset"]
    objective = tr.objective(estimator, X, data["Y"], a, xp, offset=offset)
    W, c = tr.starting_point(objective, xp, state)
    if state is None:
        state = {"offset": objective.offset, "step": None, "calls": 0}
    if state["step"] is None:
        # 1 / (2 L): the usual stable step for stochastic gradients.
        step = 0.5 / (objective.curvature() + objective.alpha_l2)
        state = dict(state, step=step)
    calls = state["calls"] + 1
    W, c, curve, steps = sgd_epoch(
        objective,
        W,
        c,
        step=state["step"] / math.sqrt(calls),  # as 'invscaling' would decay it
        batch_size=tr.batch_size(estimator, X.shape[0]),
        rng=check_random_state(estimator.random_state),
    )
    W, b = tr.store(estimator, objective, W, c, data["classes"])
    estimator.n_iter_ = getattr(estimator, "n_iter_", 0) + 1
    estimator.t_ = getattr(estimator, "t_", 0) + steps
    estimator.loss_curve_ = list(getattr(estimator, "loss_curve_", [])) + curve
    estimator.learning_rate_ = state["step"]
    estimator._xp_state = dict(state, W=W, b=b, calls=calls, seen=(count, total))
    return estimator


def _check_partial_fit_call(estimator, state, classes):
    """The classes of the model being continued (None on a first call)."""
    if state is None and classes is None:
        raise ValueError(
            "classes must be passed on the first call to partial_fit: the full "
            "list of class labels, e.g. classes=np.unique(y_all)."
        )
    if estimator.class_weight == "balanced":
        raise ValueError(
            "class_weight='balanced' is not supported by partial_fit, which sees "
            "only one chunk. Pass the dict from sklearn.utils.compute_class_weight."
        )
    known = None if state is None else estimator.classes_
    if known is not None and classes is not None:
        _check_same_classes(tr.unique_labels(np.asarray(classes)), known)
    return known


def _continued_state(estimator, X, method):
    """The state of the model a call continues, after checking that it was
    fitted in the namespace and on the device of ``X`` (else scikit-learn's
    clear error); None for a model not fitted yet."""
    if not hasattr(estimator, "coef_"):
        return None
    check_same_namespace(X, estimator, attribute="coef_", method=method)
    state = getattr(estimator, "_xp_state", None)
    if state is not None and state["W"].shape[1] != X.shape[1]:
        raise ValueError(
            f"X has {X.shape[1]} features, but the model being continued was "
            f"fitted with {state['W'].shape[1]}."
        )
    return state


def _check_same_classes(classes, expected):
    got = np.asarray(move_to(classes, xp=np, device="cpu"))
    want = np.asarray(move_to(expected, xp=np, device="cpu"))
    if not np.array_equal(got, want):
        raise ValueError(
            f"classes={got.tolist()} differs from the classes of the model being "
            f"continued, {want.tolist()}."
        )


def decision_function(estimator, X, method="decision_function"):
    """Scores ``X @ coef_.T + intercept_`` in the namespace of ``X``."""
    check_is_fitted(estimator)
    check_same_namespace(X, estimator, attribute="coef_", method=method)
    xp, _, device = get_namespace_and_device(X)
    coef = estimator.coef_
    X = validate_data(estimator, X, dtype=tr.float_dtypes(xp, device), reset=False)
    dtype = xp.result_type(X.dtype, coef.dtype)
    # copy=False: X is cast (copied) only when its dtype differs from coef_'s.
    scores = xp.astype(X, dtype, copy=False) @ xp.astype(coef, dtype, copy=False).T
    scores = scores + xp.astype(estimator.intercept_, dtype, copy=False)
    return xp.reshape(scores, (-1,)) if scores.shape[1] == 1 else scores


def predict(estimator, X):
    """The class of highest score, from ``classes_``."""
    check_is_fitted(estimator)
    check_same_namespace(X, estimator, attribute="coef_", method="predict")
    xp, _, device = get_namespace_and_device(X)
    scores = decision_function(estimator, X, method="predict")
    if scores.ndim == 1:
        indices = xp.astype(scores > 0, xp.int64)
    else:
        indices = xp.argmax(scores, axis=1)
    xp_classes, _, device_classes = get_namespace_and_device(estimator.classes_)
    indices = move_to(indices, xp=xp_classes, device=device_classes)
    labels = xp_classes.take(estimator.classes_, indices, axis=0)
    if _is_numpy_namespace(xp_classes) and labels.dtype.kind in "OUS":
        return labels  # strings stay in NumPy, as in scikit-learn
    return move_to(labels, xp=xp, device=device)


def predict_log_proba(estimator, X, method="predict_log_proba"):
    """Log-probabilities, a stable log-softmax of the scores."""
    check_is_fitted(estimator)
    check_same_namespace(X, estimator, attribute="coef_", method=method)
    xp, _ = get_namespace(X)
    scores = decision_function(estimator, X, method=method)
    if scores.ndim == 1:
        scores = xp.stack([xp.zeros_like(scores), scores], axis=1)
    top = xp.max(scores, axis=1, keepdims=True)
    shifted = scores - top
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))


def predict_proba(estimator, X):
    """Class probabilities, ``exp`` of :func:`predict_log_proba`."""
    xp, _ = get_namespace(X)
    return xp.exp(predict_log_proba(estimator, X, method="predict_proba"))
