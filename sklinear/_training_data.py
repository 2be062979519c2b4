"""What a classifier's fit trains on: checked X and y, class indices, weights.

Private, for :mod:`sklinear._training`: the data checks of ``fit`` and
``partial_fit`` (one pass over X for finiteness and its mean row), labels
turned into class indices, sample weights times class weights (samples of
weight 0 left out, a stream's weights kept in one unit), the held-out
validation split, and the checks of a warm start.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.utils import assert_all_finite, check_random_state, compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from ._data_stats import _weighted_mean_row
from ._sklearn_compat import ALL_ZERO_WEIGHTS_OK, _check_sample_weight


def checked_csr_structure(X):
    """``X``, after checking a sparse X's index arrays (a pass over them).

    scikit-learn's validation does not read ``indices`` and ``indptr``, and
    SciPy's products trust them: a column index past ``n_features`` reads
    (or writes) outside the arrays, which can crash the process. A
    ValueError names what is wrong instead.
    """
    if sp.issparse(X):
        try:
            X.check_format(full_check=True)
        except (ValueError, IndexError) as error:
            raise ValueError(f"Malformed sparse matrix X: {error}") from error
    return X


def _validate_training_data(estimator, X, y, reset):
    """Checked X and y, and X's mean row (from the one-pass finite check)."""
    X, y = validate_data(
        estimator,
        X,
        y,
        accept_sparse="csr",
        dtype=[np.float64, np.float32],
        ensure_all_finite=False,  # checked by _finite_mean_row, in one pass
        reset=reset,
    )
    X = checked_csr_structure(X)
    mean_row = _finite_mean_row(X, estimator)
    _check_targets(y)
    return X, y, mean_row


def _finite_mean_row(X, estimator):
    """Raise for NaN or inf in X; return its mean row when that is finite.

    A NaN or inf entry makes its column's sum NaN or inf, so finite column
    means prove the data finite: the mean the centered objective needs doubles
    as the check, and a large X is read once instead of twice. Only when a
    mean is not finite (bad data, or finite values whose sum overflows) does
    scikit-learn's full check run, for its usual error message.
    """
    if sp.issparse(X):
        assert_all_finite(
            X.data, input_name="X", estimator_name=type(estimator).__name__
        )
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        mean_row = _weighted_mean_row(X)
    if np.isfinite(mean_row).all():
        return mean_row
    assert_all_finite(X, input_name="X", estimator_name=type(estimator).__name__)
    return None


def _reusable_mean(mean_row, same_rows, weights):
    """The checked mean row, if it is the objective's centering (else None)."""
    if mean_row is None or not same_rows or not np.all(weights == weights[0]):
        return None
    return mean_row


def _check_targets(y):
    """``check_classification_targets``, clear about labels of mixed types."""
    if isinstance(y, np.ndarray) and y.ndim == 1 and y.dtype.kind in "biu":
        # Always 'binary' or 'multiclass', which it accepts; its check took
        # 0.2 ms on iris's 150 labels, which partial_fit pays every call.
        return
    try:
        check_classification_targets(y)
    except TypeError as error:
        raise _mixed_types_error(y) from error


def _mixed_types_error(labels):
    types = sorted({type(label).__name__ for label in np.ravel(labels)})
    return TypeError(
        f"Labels must be all strings or all numbers, got a mix of {types}."
    )


def _unique_labels(labels):
    try:
        return np.unique(labels)
    except TypeError as error:
        raise _mixed_types_error(labels) from error


def _check_two_classes(classes):
    if len(classes) < 2:
        raise ValueError(
            "The number of classes has to be greater than one; got "
            f"{len(classes)} class: {classes.tolist()}."
        )


def _partial_fit_classes(estimator, classes, first_call):
    """The classes of a partial_fit call: those given on the first call, then
    the model's (``classes``, if given again, must be the same)."""
    if first_call:
        all_classes = _unique_labels(classes)
        _check_two_classes(all_classes)
        return all_classes
    all_classes = estimator.classes_
    if classes is not None and not np.array_equal(np.unique(classes), all_classes):
        raise ValueError(
            f"classes={np.unique(classes).tolist()} differs from the "
            f"classes of the first partial_fit call, "
            f"{all_classes.tolist()}."
        )
    return all_classes


def _encode_labels(y, classes):
    index = np.searchsorted(classes, y)
    index = np.clip(index, 0, len(classes) - 1)
    unknown = classes[index] != y
    if np.any(unknown):
        raise ValueError(
            f"y contains labels not in classes: {np.unique(y[unknown]).tolist()}; "
            f"expected labels from {classes.tolist()}."
        )
    return index


def _check_warm_start(estimator, classes, n_features):
    if not np.array_equal(classes, estimator.classes_):
        raise ValueError(
            f"warm_start needs the same classes as the previous fit: got "
            f"{classes.tolist()}, expected {estimator.classes_.tolist()}."
        )
    previous = estimator._weights[0].shape[1]
    if n_features != previous:
        raise ValueError(
            f"warm_start needs the same number of features as the previous "
            f"fit: X has {n_features} features, the previous fit had "
            f"{previous}. Set warm_start=False to train a new model."
        )


def _sample_weights(estimator, X, y_index, classes, sample_weight, check_classes=True):
    # fit needs two classes of positive weight (checked below, with
    # class_weight); a partial_fit chunk may have none (it is skipped).
    all_zero_ok = {} if check_classes else ALL_ZERO_WEIGHTS_OK
    weights = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True, **all_zero_ok
    )
    if estimator.class_weight == "balanced":
        weights = weights * _balanced_class_weights(y_index, weights, classes)
    elif estimator.class_weight is not None:
        per_class = compute_class_weight(
            estimator.class_weight,
            classes=classes,
            y=classes[y_index],
        )
        _check_class_weights(per_class, classes)
        weights = weights * per_class[y_index]
    if check_classes:
        weighted_classes = np.unique(y_index[weights > 0])
        if len(weighted_classes) < 2:
            how_many = "Only one class has" if len(weighted_classes) else "No class has"
            raise ValueError(
                f"{how_many} samples with a positive weight (after "
                "class_weight); a classifier needs at least 2 classes."
            )
    return weights


def _balanced_class_weights(y_index, weights, classes):
    """Each sample's 'balanced' class weight, from weighted class totals.

    scikit-learn's ``compute_class_weight`` counts samples (it takes sample
    weights only from version 1.7); counting weight keeps the equivalence of
    a weight ``k`` with ``k`` copies of the sample.
    """
    totals = np.bincount(y_index, weights=weights, minlength=len(classes))
    per_class = np.divide(
        totals.sum(),
        len(classes) * totals,
        out=np.zeros_like(totals),
        where=totals > 0,
    )
    return per_class[y_index]


def _check_class_weights(per_class, classes):
    """A negative or NaN class weight would silently drop the class."""
    bad = ~(np.isfinite(per_class) & (per_class >= 0))
    if bad.any():
        labels = classes.tolist()  # Python scalars, as the user wrote them
        given = {labels[k]: float(per_class[k]) for k in np.flatnonzero(bad)}
        raise ValueError(
            f"class_weight must give every class a finite, non-negative "
            f"weight, got {given}."
        )


def _drop_zero_weights(X, y_index, weights):
    """Leave out samples of weight 0: they must not change the minibatches."""
    keep = weights > 0
    if keep.all():
        return X, y_index, weights
    return X[keep], y_index[keep], weights[keep]


def _stream_weights(weights, previous=None):
    """A chunk's weights in units of the largest weight seen so far, and the
    updated ``(count, total, unit)`` of every sample trained on, total in
    units (so that huge or tiny weights neither overflow nor underflow)."""
    count, total, unit = (0, 0.0, 0.0) if previous is None else previous
    new_unit = max(unit, float(np.max(weights)))
    total = total * (unit / new_unit) + float(np.sum(weights / new_unit))
    return weights / new_unit, (count + len(weights), total, new_unit)


def _validation_split(estimator, X, y_index, weights):
    splitter = StratifiedShuffleSplit(
        test_size=estimator.validation_fraction,
        random_state=check_random_state(estimator.random_state),
    )
    try:
        train, val = next(splitter.split(np.zeros(len(y_index)), y_index))
    except ValueError as error:
        raise ValueError(
            f"early_stopping could not hold out a stratified validation "
            f"fraction of {estimator.validation_fraction}: {error} Use more "
            "samples, a larger validation_fraction, or early_stopping=False."
        ) from error
    return (
        X[train],
        y_index[train],
        weights[train],
        X[val],
        y_index[val],
        weights[val],
    )
