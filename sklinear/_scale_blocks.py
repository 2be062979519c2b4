"""Row blocks of Dask arrays, and the per-block steps of :mod:`sklinear.scale`.

Private helpers of :func:`~sklinear.scale.fit_incremental` (and of
:func:`~sklinear.scale.transform_blocks`, for chunk sizes): checking the
estimator and the epochs, lining labels and weights up with the row blocks of
``X``, the block order of every epoch, and the ``partial_fit`` step that runs
on the worker holding a block. Imported by :mod:`sklinear.scale` only, after
it has checked that Dask is installed.
"""

import copy
import math
import numbers

import dask
import dask.array as da
import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted


def _check_partial_fit(estimator):
    if not (is_classifier(estimator) and hasattr(estimator, "partial_fit")):
        raise ValueError(
            f"fit_incremental needs a classifier with partial_fit, got "
            f"{type(estimator).__name__}; use e.g. SoftmaxClassifier or "
            "LinearSVMClassifier."
        )


def _check_epochs(epochs):
    if not isinstance(epochs, numbers.Integral) or isinstance(epochs, bool):
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}.")
    if epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}.")
    return int(epochs)


def _as_row_blocks(X):
    """``X`` as a Dask array chunked along the first axis only."""
    if not isinstance(X, da.Array):
        X = np.asarray(X)
        X = da.from_array(X, chunks=X.shape or ())
    if X.ndim < 1:
        raise ValueError(f"X must have at least one axis, got a {X.ndim}-D array.")
    if X.ndim > 1 and any(len(chunks) > 1 for chunks in X.chunks[1:]):
        X = X.rechunk({axis: -1 for axis in range(1, X.ndim)})
    return X


def _known(chunks):
    return not any(math.isnan(size) for size in chunks)


def _aligned_blocks(values, X, name):
    """Per-block pieces of ``values`` (Delayed or NumPy) matching X's rows."""
    row_chunks = X.chunks[0]
    if isinstance(values, da.Array):
        if values.ndim != 1:
            raise ValueError(f"{name} must be 1-D, got shape {values.shape}.")
        if _known(row_chunks) and _known(values.chunks[0]):
            if values.shape[0] != X.shape[0]:
                raise ValueError(
                    f"{name} has {values.shape[0]} rows, but X has {X.shape[0]}."
                )
            values = values.rechunk((row_chunks,))
        elif values.numblocks[0] != X.numblocks[0]:
            raise ValueError(
                f"X has {X.numblocks[0]} row blocks of unknown size and {name} "
                f"{values.numblocks[0]}: give them the same blocks, or call "
                "compute_chunk_sizes() on both."
            )
        return list(values.to_delayed())
    values = np.asarray(values)
    if values.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {values.shape}.")
    if not _known(row_chunks):
        raise ValueError(
            f"X has row blocks of unknown size, so a NumPy {name} cannot be "
            "split to match them: call X.compute_chunk_sizes() first, or pass "
            f"{name} as a Dask array with the same blocks."
        )
    if len(values) != X.shape[0]:
        raise ValueError(f"{name} has {len(values)} rows, but X has {X.shape[0]}.")
    bounds = np.cumsum((0, *row_chunks))
    return [values[start:stop] for start, stop in zip(bounds[:-1], bounds[1:])]


def _unique_labels(y):
    if isinstance(y, da.Array):
        return np.unique(da.unique(y).compute())
    return np.unique(np.asarray(y))


def _is_fitted(estimator):
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True


def _starting_model(estimator, warm_start):
    if warm_start and _is_fitted(estimator):
        return copy.deepcopy(estimator)
    return clone(estimator)


def _block_orders(n_blocks, epochs, shuffle, random_state):
    """The block order of every epoch: the same seed gives the same orders."""
    rng = check_random_state(random_state)
    if not shuffle:
        return [np.arange(n_blocks)] * epochs
    return [rng.permutation(n_blocks) for _ in range(epochs)]


def _run_step(step, index, X):
    try:
        ((model, n_rows, n_trained),) = dask.compute(step)
    except ValueError as error:
        raise ValueError(
            f"partial_fit failed on block {index} of X ({_rows_of(X, index)}): {error}"
        ) from error
    return model, n_rows, n_trained


def _rows_of(X, index):
    sizes = X.chunks[0]
    if not _known(sizes[: index + 1]):
        return "rows of unknown position"
    start = int(sum(sizes[:index]))
    return f"rows {start} to {start + int(sizes[index])}"


def _partial_fit_block(model, X_block, y_block, w_block, classes):
    """One step of the chain: runs on the worker that holds ``X_block``.

    Returns the model, the number of rows in the block, and the number it
    was trained on (0 for a block skipped for having no positive weight).
    """
    y_block = np.asarray(y_block)
    if len(y_block) != len(X_block):
        raise ValueError(
            f"the block of X has {len(X_block)} rows but its labels "
            f"{len(y_block)}: X and y must have the same row blocks."
        )
    kwargs = {} if w_block is None else {"sample_weight": np.asarray(w_block)}
    if w_block is not None and len(kwargs["sample_weight"]) != len(y_block):
        raise ValueError(
            f"the block of X has {len(y_block)} rows but its sample weights "
            f"{len(kwargs['sample_weight'])}: give them the same row blocks."
        )
    n_weighted = _positive_weights(model, y_block, kwargs.get("sample_weight"))
    if len(X_block) == 0 or n_weighted == 0:
        return model, len(X_block), 0
    model = model.partial_fit(X_block, y_block, classes=classes, **kwargs)
    return model, len(X_block), n_weighted


def _positive_weights(model, y_block, w_block):
    """How many rows have a positive weight, by ``sample_weight`` and by a
    ``class_weight`` dict (labels it does not name weigh 1)."""
    # Only exact zeros count: a weight the estimator would reject (negative,
    # NaN, not a number) reaches partial_fit, which says what is wrong.
    zero = np.zeros(len(y_block), bool) if w_block is None else np.asarray(w_block) == 0
    class_weight = getattr(model, "class_weight", None)
    if isinstance(class_weight, dict) and len(y_block):
        try:
            labels, index = np.unique(y_block, return_inverse=True)
        except TypeError:  # mixed label types: partial_fit explains
            return len(y_block)
        zero_class = np.array([class_weight.get(label, 1.0) == 0 for label in labels])
        zero = zero | zero_class[index.reshape(-1)]
    return int(np.count_nonzero(~zero))
