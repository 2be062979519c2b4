"""Checks of the fitted state that prediction and further training read back.

A fitted classifier is plain data (NumPy arrays, numbers, tuples, dicts), so
a saved model can hold any values there: :func:`sklinear.persistence.load`
trusts only the types a file names, and a pickle anything at all. Weights of
the wrong width would reach the compiled minibatch pass, which reads as many
columns as ``X`` has. So ``predict`` checks what it reads, and ``partial_fit``
and warm starts check every attribute they continue from, against
``n_features_in_`` and ``len(classes_)``: type, exact shape, one float dtype,
finite values, scalars in range. A mismatch is a ValueError that names the
attribute.
"""

import contextlib
import dataclasses
import functools
import math
import numbers

import numpy as np
from sklearn import get_config

from .optimize import SGDState

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_SGD_FIELDS = frozenset(field.name for field in dataclasses.fields(SGDState))
# Momentum buffers and running averages: both parts exist, or neither yet.
_ARRAY_PAIRS = (("velocity_W", "velocity_b"), ("average_W", "average_b"))
# Counts are used in float arithmetic: a larger integer cannot be converted.
_LARGEST_COUNT = 2**63 - 1
_WEIGHTS = "(len(classes_), n_features_in_)"
_CLASSES = "(len(classes_),)"
_FEATURES = "(n_features_in_,)"


class _Invalid(ValueError):
    """A fitted attribute that cannot be used (the message says which)."""


def _fail(where, problem):
    raise _Invalid(f"{where} {problem}")


def _array(value, where, shape, meaning, dtype=None, positive=False):
    """``value``, checked to be a finite float array of exactly ``shape``."""
    # A matrix or masked array changes what indexing and products mean.
    if not isinstance(value, np.ndarray) or isinstance(
        value, np.matrix | np.ma.MaskedArray
    ):
        _fail(where, f"must be a NumPy array, got {type(value).__name__}")
    if value.dtype not in _FLOATS:
        _fail(where, f"must have dtype float32 or float64, got {value.dtype}")
    if dtype is not None and value.dtype != dtype:
        _fail(where, f"must have the dtype of the weights, {dtype}, got {value.dtype}")
    if value.shape != shape:
        _fail(where, f"must have shape {meaning} = {shape}, got {value.shape}")
    if not np.isfinite(value).all():
        _fail(where, "holds NaN or infinite values")
    if positive and not (value > 0).all():
        _fail(where, "must be positive")
    return value


def _finite(value):
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def _number(value, where, integral=False, minimum=0, strict=False):
    """``value``, checked to be a finite number ``>= minimum`` (or ``>``)."""
    kind = numbers.Integral if integral else numbers.Real
    if isinstance(value, bool | np.bool_) or not isinstance(value, kind):
        expected = "an integer" if integral else "a number"
        _fail(where, f"must be {expected}, got {type(value).__name__}")
    if not _finite(value) or (integral and value > _LARGEST_COUNT):
        _fail(where, f"must be a finite number of a float's range, got {value}")
    if value < minimum or (strict and value == minimum):
        bound = ">" if strict else ">="
        _fail(where, f"must be {bound} {minimum}, got {value}")
    return value


def _attribute(estimator, name):
    try:
        return vars(estimator)[name]
    except KeyError:
        _fail(name, "is missing")


def _classes_and_features(estimator):
    """``len(classes_)`` and ``n_features_in_``, checked."""
    classes = _attribute(estimator, "classes_")
    if not isinstance(classes, np.ndarray) or classes.ndim != 1:
        _fail("classes_", "must be a 1-D NumPy array of labels")
    try:
        # searchsorted encodes the labels: they must be sorted and unique.
        ordered = len(classes) >= 2 and np.array_equal(np.unique(classes), classes)
    except TypeError:  # labels that cannot be compared with each other
        ordered = False
    if not ordered:
        _fail("classes_", f"must hold 2 or more sorted, unique labels, got {classes!r}")
    n_features = _number(
        _attribute(estimator, "n_features_in_"), "n_features_in_", True, 1
    )
    names = vars(estimator).get("feature_names_in_")
    if names is not None and (
        not isinstance(names, np.ndarray) or names.shape != (n_features,)
    ):
        _fail("feature_names_in_", f"must be an array of {n_features} names")
    return len(classes), int(n_features)


def _check_prediction_state(estimator):
    n_classes, n_features = _classes_and_features(estimator)
    rows = 1 if n_classes == 2 else n_classes  # one score for two classes
    meaning = "(1 if 2 classes else len(classes_), n_features_in_)"
    coef = _array(_attribute(estimator, "coef_"), "coef_", (rows, n_features), meaning)
    intercept = _attribute(estimator, "intercept_")
    _array(intercept, "intercept_", (rows,), "(len(coef_),)", coef.dtype)
    return n_classes, n_features


def _check_sgd_state(state, n_classes, n_features, dtype):
    if not isinstance(state, dict) or set(state) != _SGD_FIELDS:
        _fail("_sgd_state", f"must be a dict with the keys {sorted(_SGD_FIELDS)}")
    where = "_sgd_state[{!r}]".format
    eta0 = _number(state["eta0"], where("eta0"), strict=True)
    eta = _number(state["eta"], where("eta"), strict=True)
    if eta > eta0:  # schedules only ever lower the step
        _fail(where("eta"), f"must be at most eta0 = {eta0}, got {eta}")
    _number(state["t"], where("t"), integral=True)
    _number(state["epochs"], where("epochs"))
    _number(state["n_averaged"], where("n_averaged"), integral=True)
    shapes = {"W": ((n_classes, n_features), _WEIGHTS), "b": ((n_classes,), _CLASSES)}
    for pair in _ARRAY_PAIRS:
        if (state[pair[0]] is None) != (state[pair[1]] is None):
            _fail(where(pair[0]), f"and {pair[1]} must both be arrays or both None")
        for key in pair:
            if state[key] is not None:
                _array(state[key], where(key), *shapes[key[-1]], dtype)
    for key in ("preconditioner", "offset"):
        if state[key] is not None:
            positive = key == "preconditioner"  # it multiplies the steps
            _array(state[key], where(key), (n_features,), _FEATURES, dtype, positive)


def _check_samples_seen(estimator):
    # A model saved by an older sklinear has no totals: partial_fit then
    # starts them from its next chunk.
    if "_samples_seen" not in vars(estimator):
        return
    seen = estimator._samples_seen
    if not isinstance(seen, tuple | list) or len(seen) != 3:
        _fail("_samples_seen", "must be a tuple (count, total weight, weight unit)")
    _number(seen[0], "_samples_seen[0] (the sample count)", integral=True, minimum=1)
    _number(seen[1], "_samples_seen[1] (the total weight)", strict=True)
    _number(seen[2], "_samples_seen[2] (the weight unit)", strict=True)


def _check_training_state(estimator):
    n_classes, n_features = _check_prediction_state(estimator)
    weights = _attribute(estimator, "_weights")
    if not isinstance(weights, tuple | list) or len(weights) != 2:
        _fail("_weights", "must be a tuple (W, intercept)")
    W = _array(weights[0], "_weights[0]", (n_classes, n_features), _WEIGHTS)
    _array(weights[1], "_weights[1]", (n_classes,), _CLASSES, W.dtype)
    state = _attribute(estimator, "_sgd_state")
    _check_sgd_state(state, n_classes, n_features, W.dtype)
    _check_samples_seen(estimator)
    _number(_attribute(estimator, "n_iter_"), "n_iter_", integral=True)
    if not isinstance(_attribute(estimator, "loss_curve_"), list):
        _fail("loss_curve_", "must be a list")


@contextlib.contextmanager
def _reported(estimator, use):
    try:
        yield
    except _Invalid as error:
        raise ValueError(
            f"{type(estimator).__name__} cannot {use}: its fitted attribute "
            f"{error}. The model was changed after fitting, or loaded from a "
            "damaged or tampered file: fit it again."
        ) from None


def check_prediction_state(estimator):
    """Check what prediction reads: ``classes_``, ``n_features_in_``,
    ``coef_`` and ``intercept_``.

    Parameters
    ----------
    estimator : LinearSVMClassifier or SoftmaxClassifier
        A fitted classifier.

    Raises
    ------
    ValueError
        Naming the first attribute that is missing or does not fit the others.
    """
    with _reported(estimator, "predict"):
        _check_prediction_state(estimator)


def check_training_state(estimator):
    """Check every fitted attribute that ``partial_fit`` and warm starts
    continue from (see the module docstring).

    Parameters
    ----------
    estimator : LinearSVMClassifier or SoftmaxClassifier
        A fitted classifier.

    Raises
    ------
    ValueError
        Naming the first attribute that is missing or does not fit the others.
    """
    with _reported(estimator, "continue training"):
        _check_training_state(estimator)


def continued_sgd_state(stored, dtype):
    """The checked ``_sgd_state`` as a new :class:`SGDState` in ``dtype``.

    Parameters
    ----------
    stored : dict
        The fitted ``_sgd_state``, checked by :func:`check_training_state`.
    dtype : dtype
        The dtype of the chunk to train on; the state's arrays follow it, so
        that the fitted state keeps one dtype.

    Returns
    -------
    state : SGDState or None
        None when no step size was ever derived: a model of
        ``solver='random_search'`` saved by an older sklinear, whose
        placeholder step of 1.0 would diverge. The caller then derives one
        from the data.
    """
    if stored["preconditioner"] is None:
        return None
    # New arrays: the optimizer updates them in place, and a call that fails
    # must leave the fitted state as it was.
    return SGDState(
        **{
            key: value.astype(dtype) if isinstance(value, np.ndarray) else value
            for key, value in stored.items()
        }
    )


def validates_params_every_call(partial_fit):
    """Make ``partial_fit`` check the parameters on every call.

    scikit-learn's ``_fit_context`` checks them on the first call only, so
    ``set_params(power_t=-1)`` between calls would train silently with it.
    Put this above ``_fit_context``; scikit-learn's ``skip_parameter_validation``
    setting still switches the check off.

    Parameters
    ----------
    partial_fit : callable
        The method, as decorated by ``_fit_context``.

    Returns
    -------
    wrapper : callable
        The method, checking the parameters on the calls ``_fit_context``
        does not check.
    """

    @functools.wraps(partial_fit)
    def wrapper(estimator, *args, **kwargs):
        # Exactly the calls _fit_context leaves unchecked: fitted by its rule.
        fitted = any(
            name.endswith("_") and not name.startswith("__") for name in vars(estimator)
        )
        if fitted and not get_config()["skip_parameter_validation"]:
            estimator._validate_params()
        return partial_fit(estimator, *args, **kwargs)

    return wrapper


@contextlib.contextmanager
def _fitted_state_restored_on_error(estimator):
    """If fitting raises, put the fitted attributes back as they were.

    ``validate_data`` sets ``n_features_in_`` before anything can fail, so
    without this a failed fit would leave a mix of old and new attributes.
    With it, the previous model stays intact, and a model that was never
    fitted stays unfitted (``NotFittedError``). Fitting assigns new objects
    and never changes the saved ones in place.
    """
    saved = {k: v for k, v in vars(estimator).items() if _is_fitted_state(k)}
    try:
        yield
    except BaseException:
        for name in [k for k in vars(estimator) if _is_fitted_state(k)]:
            delattr(estimator, name)
        vars(estimator).update(saved)
        raise


def _has_fitted_state(estimator):
    return any(_is_fitted_state(name) for name in vars(estimator))


def _is_fitted_state(name):
    return name.endswith("_") or name in ("_weights", "_sgd_state", "_samples_seen")
