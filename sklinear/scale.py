"""Scaling out: train and extract features on Dask arrays, block by block.

When a data set outgrows one machine's memory, keep it in a
:class:`dask.array.Array` (read lazily from disk, or persisted across the
memory of a cluster) and use the two functions here:

* :func:`fit_incremental` trains any classifier that has ``partial_fit``
  (:class:`~sklinear.LinearSVMClassifier`, :class:`~sklinear.SoftmaxClassifier`,
  scikit-learn's ``SGDClassifier``, ...) by streaming the row blocks of ``X``
  through ``partial_fit`` for several epochs, in a new random block order each
  epoch. Each step is a task that runs where its block is: the model (a few
  small arrays) moves to the data, and blocks of ``X`` never travel to the
  client.
* :func:`transform_blocks` applies a fitted transformer, such as
  :class:`~sklinear.features.HOGFeatures` or
  :class:`~sklinear.features.HueHistogram`, to every block of an image array,
  lazily: ``(n, H, W[, C])`` images or ``(n, D)`` rows in, ``(n,
  n_features_out)`` features out, with the same row chunks and the
  transformer's output dtype.

Both use the current Dask scheduler: a :class:`distributed.Client`, if one is
active, otherwise the local threaded scheduler. A grid search over a whole
feature pipeline runs on the same cluster through joblib's Dask backend (see
the last example). Install the extra with ``pip install "sklinear[dask]"``.

Examples
--------
On one machine, without a cluster (the threaded scheduler):

>>> import dask
>>> import dask.array as da
>>> import numpy as np
>>> from sklinear import SoftmaxClassifier
>>> from sklinear.features import HOGFeatures
>>> from sklinear.scale import fit_incremental, transform_blocks
>>> rng = np.random.default_rng(0)
>>> images = rng.integers(0, 256, size=(600, 16, 16), dtype=np.uint8)
>>> images[300:, ::4] = 255  # class 1 has horizontal stripes
>>> y = np.repeat([0, 1], 300)
>>> images = da.from_array(images, chunks=(100, 16, 16))
>>> hog = HOGFeatures(pixels_per_cell=(4, 4), cells_per_block=(2, 2))
>>> features = transform_blocks(hog, images)
>>> features.shape, features.chunks[0], features.dtype
((600, 324), (100, 100, 100, 100, 100, 100), dtype('float64'))
>>> with dask.config.set(scheduler="threads"):
...     model = fit_incremental(
...         SoftmaxClassifier(random_state=0), features, y, epochs=3, random_state=0
...     )
...     accuracy = model.score(features.compute(), y)
>>> model.n_iter_  # 3 epochs of 6 blocks, one partial_fit call per block
18
>>> accuracy > 0.95
True

On a cluster the code is the same; only a :class:`distributed.Client` is
created first. Persist ``X`` if it fits in the cluster's total memory (else
every epoch reads its blocks from the source again)::

    from distributed import Client
    import dask.array as da
    import joblib
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    client = Client("tcp://scheduler-address:8786")
    images = da.from_zarr("s3://bucket/images.zarr")  # (n, 32, 32, 3) uint8
    y = da.from_zarr("s3://bucket/labels.zarr")
    features = transform_blocks(HOGFeatures(), images).persist()
    model = fit_incremental(
        SoftmaxClassifier(average=True), features, y, epochs=10, random_state=0
    )

    # A grid search over a whole feature pipeline (on a sample that fits
    # in memory), its fits spread over the cluster:
    images_sample, y_sample = images[:5000].compute(), y[:5000].compute()
    pipeline = make_pipeline(HOGFeatures(), StandardScaler(), SoftmaxClassifier())
    search = GridSearchCV(
        pipeline, {"softmaxclassifier__alpha": [1e-4, 1e-3, 1e-2]}, n_jobs=-1
    )
    with joblib.parallel_backend("dask"):
        search.fit(images_sample, y_sample)
"""

try:
    import dask
    import dask.array as da
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "sklinear.scale needs Dask: install it with pip install 'sklinear[dask]' "
        "(dask[array] and distributed)."
    ) from error

import numpy as np
from sklearn.base import clone

from ._composite import leaf_estimators
from ._scale_blocks import (
    _aligned_blocks,
    _as_row_blocks,
    _block_orders,
    _check_epochs,
    _check_partial_fit,
    _is_fitted,
    _known,
    _partial_fit_block,
    _run_step,
    _starting_model,
    _unique_labels,
)

__all__ = ["fit_incremental", "transform_blocks"]


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------


def fit_incremental(
    estimator,
    X,
    y,
    *,
    classes=None,
    sample_weight=None,
    epochs=5,
    shuffle=True,
    random_state=None,
    warm_start=False,
):
    """Train a classifier on a Dask array by ``partial_fit`` on its blocks.

    Each epoch calls ``partial_fit`` once on every row block of ``X`` (with
    its labels), the blocks in a new random order each epoch. Every call is a
    Dask task that takes the model as it came out of the previous one and
    runs where the block is (on a cluster, the worker that holds it), so the
    model moves to the data and no block of ``X`` is sent to the client. The
    steps run one at a time, so at most about one block is in memory at once;
    ``X`` is computed block by block each epoch, so persist it (or the
    expensive steps before it) when that is costly and it fits in the
    cluster's memory.

    For :class:`~sklinear.LinearSVMClassifier` and
    :class:`~sklinear.SoftmaxClassifier` one ``partial_fit`` call is one
    epoch of minibatch SGD over the block, and the optimizer's step-size
    schedule and momentum continue from call to call; the ``'adaptive'``
    schedule cannot lower the step there, so ``average=True`` (averaged SGD)
    usually gives the better model.

    Parameters
    ----------
    estimator : estimator with ``partial_fit``
        The classifier to train. It is not modified: a clone is trained
        (or, with ``warm_start``, a copy of it).
    X : dask array of shape (n_samples, ...)
        Training data, chunked along the first axis (other axes are
        rechunked into one chunk). A NumPy array is taken as one block.
    y : dask array or array-like of shape (n_samples,)
        Labels. A Dask array is rechunked to the row chunks of ``X`` (or, if
        the chunk sizes are unknown, must have as many blocks).
    classes : array-like of shape (n_classes,), default=None
        Every class label. None computes ``unique(y)`` first (one pass over
        ``y`` only).
    sample_weight : dask array or array-like of shape (n_samples,), default=None
        Sample weights, aligned with ``y`` in the same way. A block whose
        rows all have weight 0, by ``sample_weight`` or by the estimator's
        ``class_weight`` dict, is skipped wherever it comes in the order, as
        sklinear's ``partial_fit`` skips such chunks (scikit-learn's would
        reject one; and any ``partial_fit`` must start from a chunk with a
        positive weight).
    epochs : int, default=5
        Number of passes over ``X``.
    shuffle : bool, default=True
        Visit the blocks in a new random order each epoch (the order within a
        block is the estimator's business).
    random_state : int, RandomState instance or None, default=None
        Seeds the block orders.
    warm_start : bool, default=False
        Continue training a copy of an already fitted ``estimator`` instead
        of starting from ``clone(estimator)``.

    Returns
    -------
    fitted : estimator
        The trained copy of ``estimator``.

    Raises
    ------
    ValueError
        If ``X`` and ``y`` do not have as many rows, the chunk sizes cannot
        be matched, ``X`` has no rows or none of positive weight, or
        ``partial_fit`` rejects a block; the message names the block.

    Examples
    --------
    >>> import dask
    >>> import dask.array as da
    >>> from sklearn.datasets import make_blobs
    >>> from sklinear import LinearSVMClassifier
    >>> X, y = make_blobs(n_samples=400, centers=3, random_state=0)
    >>> X_blocks = da.from_array(X, chunks=(100, 2))
    >>> with dask.config.set(scheduler="synchronous"):
    ...     model = fit_incremental(
    ...         LinearSVMClassifier(random_state=0), X_blocks, y,
    ...         epochs=5, random_state=0,
    ...     )
    >>> model.classes_
    array([0, 1, 2])
    >>> model.score(X, y) > 0.9
    True
    """
    _check_partial_fit(estimator)
    epochs = _check_epochs(epochs)
    X = _as_row_blocks(X)
    y_blocks = _aligned_blocks(y, X, "y")
    w_blocks = (
        [None] * len(y_blocks)
        if sample_weight is None
        else _aligned_blocks(sample_weight, X, "sample_weight")
    )
    if classes is None:
        classes = _unique_labels(y)
    model = _starting_model(estimator, warm_start)
    x_blocks = X.to_delayed().ravel()
    rows_seen = rows_trained = 0
    for order in _block_orders(len(x_blocks), epochs, shuffle, random_state):
        for index in order:
            step = dask.delayed(_partial_fit_block, pure=False)(
                model, x_blocks[index], y_blocks[index], w_blocks[index], classes
            )
            model, n_rows, n_trained = _run_step(step, index, X)
            rows_seen += n_rows
            rows_trained += n_trained
    if rows_trained == 0:
        raise ValueError(_NO_ROWS if rows_seen == 0 else _NO_WEIGHT)
    return model


_NO_ROWS = "fit_incremental found no rows to train on: every block of X is empty."
_NO_WEIGHT = (
    "fit_incremental found no rows to train on: every row has weight 0 "
    "(sample_weight times class_weight)."
)


# --------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------


def transform_blocks(transformer, images):
    """Apply a transformer to every row block of a Dask array, lazily.

    Parameters
    ----------
    transformer : transformer
        Typically :class:`~sklinear.features.HOGFeatures` or
        :class:`~sklinear.features.HueHistogram`, or a pipeline of
        transformers. If it is not fitted, a clone is fitted on one blank
        image of the same shape, which is right for those two (their ``fit``
        only records the image shape), alone or in pipelines and unions of
        them; any other
        transformer must be fitted first (a ValueError says so). The
        transformer passed is never modified.
    images : dask array of shape (n, H, W), (n, H, W, C) or (n, D)
        Images, or rows of flattened images (see
        :mod:`sklinear.features`). Chunks along the first axis are kept;
        other axes are rechunked into one chunk.

    Returns
    -------
    features : dask array of shape (n, n_features_out)
        Lazy features, with the row chunks of ``images`` and the dtype the
        transformer gives (float32 for float32 images with the sklinear
        transformers, float64 otherwise).

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from sklinear.features import HueHistogram
    >>> rng = np.random.default_rng(0)
    >>> images = da.from_array(
    ...     rng.random((10, 8, 8, 3), dtype=np.float32), chunks=(4, 8, 8, 3)
    ... )
    >>> hue = transform_blocks(HueHistogram(n_bins=5, scale=1.0), images)
    >>> hue.shape, hue.chunks, hue.dtype
    ((10, 5), ((4, 4, 2), (5,)), dtype('float32'))
    >>> bool(np.allclose(hue.sum(axis=1).compute(scheduler="sync"), 1.0))
    True
    """
    if not callable(getattr(transformer, "transform", None)):
        raise ValueError(
            f"transform_blocks needs a transformer, got {type(transformer).__name__}"
            " (it has no transform method)."
        )
    images = _as_image_blocks(images)
    transformer = _fitted_transformer(transformer, images)
    probe = np.zeros((1, *images.shape[1:]), dtype=images.dtype)
    example = np.asarray(transformer.transform(probe))
    if example.ndim != 2:
        raise ValueError(
            f"transform_blocks needs a transformer whose output is 2-D, got "
            f"shape {example.shape} from {type(transformer).__name__}."
        )
    n_out, dtype = example.shape[1], example.dtype
    return images.map_blocks(
        _transform_block,
        transformer,
        n_out,
        dtype,
        dtype=dtype,
        chunks=(images.chunks[0], (n_out,)),
        drop_axis=list(range(2, images.ndim)),
        meta=np.empty((0, 0), dtype=dtype),
    )


def _as_image_blocks(images):
    if not isinstance(images, da.Array):
        images = np.asarray(images)
        images = da.from_array(images, chunks=images.shape)
    if images.ndim not in (2, 3, 4):
        raise ValueError(
            "images must be a dask array of shape (n, H, W), (n, H, W, C) or "
            f"(n, D), got shape {images.shape}."
        )
    if not all(_known(chunks) for chunks in images.chunks[1:]):
        raise ValueError(
            f"images must have a known size along every axis but the first, "
            f"got shape {images.shape}."
        )
    if any(len(chunks) > 1 for chunks in images.chunks[1:]):
        images = images.rechunk({axis: -1 for axis in range(1, images.ndim)})
    return images


def _fitted_transformer(transformer, images):
    if _is_fitted(transformer):
        return transformer
    if not _fits_on_one_image(transformer):
        name = type(transformer).__name__
        raise ValueError(
            f"{name} is not fitted. transform_blocks fits only sklinear's image "
            "transformers for you (on a blank image: their fit only records "
            f"the image shape); fit {name} on your data first, e.g. with "
            "fit_incremental or on a sample."
        )
    # Their fit only reads the image shape, so a blank image does: nothing
    # is computed, and row chunks of unknown size are fine.
    blank = np.zeros((1, *images.shape[1:]), dtype=images.dtype)
    return clone(transformer).fit(blank)


def _fits_on_one_image(transformer):
    """Whether fitting on one image is all the fitting it needs: sklinear's
    stateless image transformers, alone or in pipelines and unions."""
    from .features import HOGFeatures, HueHistogram

    return all(
        isinstance(leaf, HOGFeatures | HueHistogram)
        for leaf in leaf_estimators(transformer)
    )


def _transform_block(block, transformer, n_out, dtype):
    if len(block) == 0:  # transformers may reject empty input
        return np.empty((0, n_out), dtype=dtype)
    return np.asarray(transformer.transform(block), dtype=dtype)
