"""Scaling out on Dask: sklinear.scale against in-memory results."""

import gc
import weakref

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

import joblib  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.linear_model import SGDClassifier  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline, make_union  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklinear import LinearSVMClassifier, SoftmaxClassifier  # noqa: E402
from sklinear.features import HOGFeatures, HueHistogram  # noqa: E402
from sklinear.scale import _block_orders, fit_incremental, transform_blocks  # noqa: E402

N_BLOCKS, BLOCK = 6, 200


def _cluster(**kwargs):
    settings = dict(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        host="127.0.0.1",
        # A random loopback port: the default 8787 clashes with any other
        # cluster running on the machine.
        dashboard_address="127.0.0.1:0",
    )
    settings.update(kwargs)
    if not settings["processes"]:
        # In-process workers talk over the 'inproc' protocol unless told
        # otherwise, and that protocol takes no host: bind TCP to loopback.
        settings["protocol"] = "tcp"
    return distributed.LocalCluster(**settings)


@pytest.fixture(scope="module")
def cluster():
    with _cluster() as cluster:
        yield cluster


@pytest.fixture
def client(cluster):
    with distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=N_BLOCKS * BLOCK,
        n_features=20,
        n_informative=8,
        n_classes=3,
        random_state=0,
    )
    return X, y


def _striped_images(n, size=16, channels=3, seed=0):
    """Noise images; class 1 has horizontal stripes, class 0 vertical ones."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 200, size=(n, size, size, channels), dtype=np.uint8)
    y = np.arange(n) % 2
    images[y == 1, ::4] = 255
    images[y == 0, :, ::4] = 255
    return images, y


def _reference_partial_fit(estimator, X, y, orders, sample_weight=None):
    """The same partial_fit calls, in the same block order, in memory."""
    model = clone(estimator)
    classes = np.unique(y)
    for order in orders:
        for index in order:
            rows = slice(index * BLOCK, (index + 1) * BLOCK)
            weights = None if sample_weight is None else sample_weight[rows]
            model.partial_fit(X[rows], y[rows], classes=classes, sample_weight=weights)
    return model


def _assert_same_model(model, reference):
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        model.intercept_, reference.intercept_, rtol=1e-6, atol=1e-9
    )
    assert model.n_iter_ == reference.n_iter_
    assert model.t_ == reference.t_


# --------------------------------------------------------------------------
# fit_incremental
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "Estimator, y_kind",
    [(SoftmaxClassifier, "numpy"), (LinearSVMClassifier, "dask-other-chunks")],
)
def test_fit_incremental_on_cluster_equals_in_memory_partial_fit(
    client, data, Estimator, y_kind
):
    X, y = data
    X_dask = da.from_array(X, chunks=(BLOCK, 7)).persist()  # columns rechunked
    y_in = y if y_kind == "numpy" else da.from_array(y, chunks=350)
    estimator = Estimator(random_state=0, average=True)
    model = fit_incremental(estimator, X_dask, y_in, epochs=2, random_state=1)
    orders = _block_orders(N_BLOCKS, 2, True, 1)
    _assert_same_model(model, _reference_partial_fit(estimator, X, y, orders))
    assert not hasattr(estimator, "coef_")  # the caller's estimator is untouched


def test_fit_incremental_close_to_in_memory_fit(client, data):
    X, y = data
    X_dask = da.from_array(X, chunks=2 * BLOCK)
    estimator = SoftmaxClassifier(random_state=0, average=True)
    model = fit_incremental(estimator, X_dask, y, epochs=6, random_state=0)
    in_memory = clone(estimator).fit(X, y)
    assert abs(model.score(X, y) - in_memory.score(X, y)) < 0.03
    assert np.mean(model.predict(X) == in_memory.predict(X)) > 0.9


def test_model_moves_to_the_data(client, cluster, data):
    """Blocks stay on their workers: only the small model travels."""
    X, y = data
    X_dask = da.from_array(X, chunks=(BLOCK, X.shape[1])).persist()
    distributed.wait(X_dask)
    assert all(client.has_what().values())  # both workers hold blocks
    workers = list(cluster.workers.values())
    before = sum(worker.transfer_outgoing_bytes_total for worker in workers)
    fit_incremental(SoftmaxClassifier(random_state=0), X_dask, y, epochs=2)
    moved = sum(worker.transfer_outgoing_bytes_total for worker in workers) - before
    block_bytes = X.nbytes // N_BLOCKS
    assert moved < block_bytes / 4


def test_block_order_is_shuffled_each_epoch_and_seeded():
    orders = _block_orders(20, 3, True, 0)
    assert all(sorted(order) == list(range(20)) for order in orders)
    assert not np.array_equal(orders[0], orders[1])
    np.testing.assert_array_equal(orders, _block_orders(20, 3, True, 0))
    np.testing.assert_array_equal(
        _block_orders(5, 2, False, 0), [np.arange(5), np.arange(5)]
    )


def test_random_state_drives_the_block_order(data):
    X, y = data
    X_dask = da.from_array(X, chunks=BLOCK)
    estimator = SoftmaxClassifier(random_state=0)
    with dask.config.set(scheduler="sync"):
        first = fit_incremental(estimator, X_dask, y, epochs=2, random_state=3)
        again = fit_incremental(estimator, X_dask, y, epochs=2, random_state=3)
        other = fit_incremental(estimator, X_dask, y, epochs=2, random_state=4)
    np.testing.assert_array_equal(first.coef_, again.coef_)
    assert not np.allclose(first.coef_, other.coef_)


def test_sample_weight_and_threaded_scheduler(data):
    X, y = data
    weights = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
    estimator = SoftmaxClassifier(random_state=0)
    with dask.config.set(scheduler="threads"):
        model = fit_incremental(
            estimator,
            da.from_array(X, chunks=BLOCK),
            da.from_array(y, chunks=BLOCK),
            sample_weight=da.from_array(weights, chunks=500),
            epochs=2,
            shuffle=False,
        )
    orders = _block_orders(N_BLOCKS, 2, False, None)
    reference = _reference_partial_fit(estimator, X, y, orders, weights)
    _assert_same_model(model, reference)


def test_warm_start_continues_a_copy(data):
    X, y = data
    X_dask = da.from_array(X, chunks=BLOCK)
    with dask.config.set(scheduler="sync"):
        first = fit_incremental(SoftmaxClassifier(random_state=0), X_dask, y, epochs=1)
        coef = first.coef_.copy()
        more = fit_incremental(first, X_dask, y, epochs=1, warm_start=True)
        fresh = fit_incremental(first, X_dask, y, epochs=1)
    assert more.n_iter_ == 2 * N_BLOCKS and fresh.n_iter_ == N_BLOCKS
    np.testing.assert_array_equal(first.coef_, coef)  # not modified
    assert more is not first


def test_works_with_scikit_learn_sgd(data):
    X, y = data
    with dask.config.set(scheduler="sync"):
        model = fit_incremental(
            SGDClassifier(random_state=0),
            da.from_array(StandardScaler().fit_transform(X), chunks=BLOCK),
            y,
            epochs=3,
            random_state=0,
        )
    assert model.score(StandardScaler().fit_transform(X), y) > 0.6


def test_unknown_chunk_sizes_and_empty_blocks(data):
    X, y = data
    keep = X[:, 0] > -0.5
    X_dask, y_dask = da.from_array(X, chunks=BLOCK), da.from_array(y, chunks=BLOCK)
    keep_dask = X_dask[:, 0] > -0.5
    X_masked, y_masked = X_dask[keep_dask], y_dask[keep_dask]  # unknown chunks
    assert np.isnan(X_masked.chunks[0][0])
    with dask.config.set(scheduler="sync"):
        model = fit_incremental(
            SoftmaxClassifier(random_state=0), X_masked, y_masked, epochs=1
        )
        with pytest.raises(ValueError, match="compute_chunk_sizes"):
            fit_incremental(SoftmaxClassifier(), X_masked, y[keep])
        with_empty = da.concatenate([X_dask[:BLOCK], X_dask[:0], X_dask[BLOCK:]])
        gaps = fit_incremental(SoftmaxClassifier(), with_empty, y, epochs=1)
        # No rows at all is an error, whether known up front or only once
        # every block turned out empty; an unfitted model is never returned.
        for no_rows, labels in [
            (X_dask[:0], y[:0]),
            (X_dask[X_dask[:, 0] > np.inf], y_dask[X_dask[:, 0] > np.inf]),
        ]:
            with pytest.raises(ValueError, match="no rows to train on"):
                fit_incremental(SoftmaxClassifier(), no_rows, labels, classes=[0, 1])
            with pytest.raises(ValueError, match="no rows to train on"):
                fit_incremental(model, no_rows, labels, warm_start=True)
    assert model.n_iter_ == N_BLOCKS
    assert gaps.n_iter_ == N_BLOCKS  # the empty block was skipped


def _zero_weight_block(y, position, cause):
    """Labels, estimator parameters and sample weights that give every row
    of block ``position`` weight 0, by ``sample_weight`` or ``class_weight``."""
    rows = slice(position * BLOCK, (position + 1) * BLOCK)
    if cause == "sample_weight":
        weights = np.ones(len(y))
        weights[rows] = 0.0
        return y, {}, weights
    y = y.copy()
    y[rows] = 3  # a class of weight 0 (elsewhere too: the same for the reference)
    return y, {"class_weight": {3: 0.0}}, None


@pytest.mark.parametrize("cause", ["sample_weight", "class_weight"])
@pytest.mark.parametrize("position", [0, 3])
def test_blocks_of_weight_zero_are_skipped_wherever_they_come(data, cause, position):
    """Skipped the same way whatever zeroed them, even as the first block
    (where partial_fit has nothing to start from)."""
    X, y = data
    y, parameters, weights = _zero_weight_block(y, position, cause)
    estimator = SoftmaxClassifier(random_state=0, **parameters)
    with dask.config.set(scheduler="sync"):
        model = fit_incremental(
            estimator,
            da.from_array(X, chunks=BLOCK),
            y,
            sample_weight=weights,
            epochs=2,
            shuffle=False,
        )
    others = [index for index in range(N_BLOCKS) if index != position]
    reference = _reference_partial_fit(
        estimator, X, y, [others] * 2, sample_weight=weights
    )
    _assert_same_model(model, reference)
    assert model.n_iter_ == 2 * (N_BLOCKS - 1)


def test_no_row_of_positive_weight_is_an_error(data):
    X, y = data
    X_dask = da.from_array(X, chunks=BLOCK)
    with dask.config.set(scheduler="sync"):
        for estimator, weights in [
            (SoftmaxClassifier(), np.zeros(len(y))),
            (SoftmaxClassifier(class_weight=dict.fromkeys(range(3), 0.0)), None),
        ]:
            with pytest.raises(ValueError, match="every row has weight 0"):
                fit_incremental(estimator, X_dask, y, sample_weight=weights)


def test_scikit_learn_estimators_skip_blocks_of_weight_zero_too(data):
    X, y = data
    y, _, weights = _zero_weight_block(y, 0, "sample_weight")
    with dask.config.set(scheduler="sync"):
        # SGDClassifier.partial_fit itself rejects weights that are all 0.
        model = fit_incremental(
            SGDClassifier(random_state=0),
            da.from_array(X, chunks=BLOCK),
            y,
            sample_weight=weights,
            epochs=1,
            shuffle=False,
        )
    reference = _reference_partial_fit(
        SGDClassifier(random_state=0), X, y, [range(1, N_BLOCKS)], weights
    )
    np.testing.assert_array_equal(model.coef_, reference.coef_)


def test_transform_blocks_with_unknown_row_chunks_or_no_rows():
    images, _ = _striped_images(10)
    dask_images = da.from_array(images, chunks=(4, 16, 16, 3))
    masked = dask_images[dask_images[:, 0, 0, 0] >= 0]  # row chunks unknown
    assert np.isnan(masked.chunks[0][0])
    features = transform_blocks(HueHistogram(), masked).compute(scheduler="sync")
    np.testing.assert_array_equal(features, HueHistogram().fit_transform(images))
    no_images = transform_blocks(HOGFeatures(), dask_images[:0])
    assert no_images.compute(scheduler="sync").shape == (0, no_images.shape[1])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda X, y: fit_incremental(StandardScaler(), X, y), "partial_fit"),
        (lambda X, y: fit_incremental(SoftmaxClassifier(), X, y[:-1]), "rows"),
        (lambda X, y: fit_incremental(SoftmaxClassifier(), X, y, epochs=0), "epochs"),
        (
            lambda X, y: fit_incremental(SoftmaxClassifier(), X, y[:, None]),
            "1-D",
        ),
        (
            lambda X, y: fit_incremental(SoftmaxClassifier(), X, y, classes=[0, 1]),
            "block .* not in classes",
        ),
    ],
)
def test_fit_incremental_errors(data, call, match):
    X, y = data
    with dask.config.set(scheduler="sync"), pytest.raises(ValueError, match=match):
        call(da.from_array(X, chunks=BLOCK), y)


def test_bad_block_is_named(data):
    X, y = data
    X = X.copy()
    X[3 * BLOCK + 5, 2] = np.nan
    with (
        dask.config.set(scheduler="sync"),
        pytest.raises(ValueError, match=r"block 3 of X \(rows 600 to 800\).*NaN"),
    ):
        fit_incremental(
            SoftmaxClassifier(), da.from_array(X, chunks=BLOCK), y, shuffle=False
        )


def test_streaming_holds_one_block_at_a_time():
    """X is never materialized: its blocks are made, used and freed in turn."""
    n_blocks, rows, n_features = 12, 100, 5
    alive = {"now": 0, "most": 0}

    def released():
        alive["now"] -= 1

    def make_block(block_id=None):
        block = np.random.default_rng(block_id[0]).random((rows, n_features))
        alive["now"] += 1
        alive["most"] = max(alive["most"], alive["now"])
        weakref.finalize(block, released)
        return block

    X = da.map_blocks(
        make_block, chunks=((rows,) * n_blocks, (n_features,)), dtype=np.float64
    )
    y = np.arange(n_blocks * rows) % 3
    with dask.config.set(scheduler="threads"):
        model = fit_incremental(SoftmaxClassifier(), X, y, epochs=2)
    gc.collect()
    assert model.n_iter_ == 2 * n_blocks
    assert alive["most"] == 1 and alive["now"] == 0


# --------------------------------------------------------------------------
# transform_blocks
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "transformer",
    [
        HOGFeatures(pixels_per_cell=(4, 4), cells_per_block=(2, 2)),
        HueHistogram(n_bins=6),
    ],
    ids=["hog", "hue"],
)
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_transform_blocks_equals_in_memory(transformer, dtype):
    images, _ = _striped_images(50)
    images = images.astype(dtype)
    dask_images = da.from_array(images, chunks=(20, 8, 16, 3))  # H is rechunked
    features = transform_blocks(transformer, dask_images)
    expected = clone(transformer).fit_transform(images)
    assert features.chunks == ((20, 20, 10), (expected.shape[1],))
    assert features.dtype == expected.dtype
    computed = features.compute(scheduler="sync")
    assert computed.dtype == expected.dtype
    np.testing.assert_array_equal(computed, expected)
    assert not hasattr(transformer, "image_shape_")  # fitted a clone


def test_transform_blocks_gray_rows_and_fitted():
    images, _ = _striped_images(30, channels=1)
    gray = images[..., 0].astype(np.float32) / 255
    hog = HOGFeatures(pixels_per_cell=(4, 4), cells_per_block=(1, 1))
    expected = clone(hog).fit_transform(gray)
    from_gray = transform_blocks(hog, da.from_array(gray, chunks=7))
    rows = gray.reshape(30, -1)
    fitted = clone(hog).fit(rows)
    from_rows = transform_blocks(fitted, da.from_array(rows, chunks=(10, 64)))
    assert from_gray.dtype == from_rows.dtype == np.float32
    np.testing.assert_array_equal(from_gray.compute(scheduler="sync"), expected)
    np.testing.assert_array_equal(from_rows.compute(scheduler="sync"), expected)


def test_transform_blocks_errors():
    images, _ = _striped_images(10)
    fitted = HOGFeatures().fit(images)
    with pytest.raises(ValueError, match=r"expects images of shape \(16, 16, 3\)"):
        transform_blocks(fitted, da.from_array(images[:, :8]))
    with pytest.raises(ValueError, match="no transform method"):
        transform_blocks(SoftmaxClassifier(), da.from_array(images))
    with pytest.raises(ValueError, match="shape"):
        transform_blocks(HOGFeatures(), da.zeros((2, 3, 4, 5, 6)))
    # A bad block fails when computed, with the transformer's own message.
    bad = images.astype(np.float64)
    bad[7, 0, 0, 0] = np.nan
    features = transform_blocks(fitted, da.from_array(bad, chunks=5))
    with pytest.raises(ValueError, match="NaN"):
        features.compute(scheduler="sync")


def test_transform_blocks_keeps_empty_chunks():
    images, _ = _striped_images(10)
    dask_images = da.from_array(images, chunks=((4, 0, 6), 16, 16, 3))
    features = transform_blocks(HueHistogram(), dask_images)
    assert features.chunks[0] == (4, 0, 6)
    np.testing.assert_array_equal(
        features.compute(scheduler="sync"), HueHistogram().fit_transform(images)
    )


def test_features_and_training_on_cluster(client):
    images, y = _striped_images(240)
    dask_images = da.from_array(images, chunks=(60, 16, 16, 3)).persist()
    hog = HOGFeatures(pixels_per_cell=(4, 4), cells_per_block=(2, 2))
    features = transform_blocks(hog, dask_images).persist()
    estimator = SoftmaxClassifier(random_state=0, average=True)
    model = fit_incremental(estimator, features, y, epochs=3, random_state=0)
    X = clone(hog).fit_transform(images)
    np.testing.assert_array_equal(features.compute(), X)
    orders = _block_orders(4, 3, True, 0)
    reference = clone(estimator)
    for order in orders:
        for index in order:
            rows = slice(60 * index, 60 * (index + 1))
            reference.partial_fit(X[rows], y[rows], classes=[0, 1])
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-6, atol=1e-9)
    assert model.score(X, y) > 0.95


# --------------------------------------------------------------------------
# Grid search on the cluster, and real worker processes
# --------------------------------------------------------------------------


def test_grid_search_over_feature_pipeline_on_dask_backend(client):
    images, y = _striped_images(120, size=16)
    rows = images.reshape(len(images), -1)
    pipeline = make_pipeline(
        HOGFeatures(pixels_per_cell=(4, 4), cells_per_block=(2, 2)),
        StandardScaler(),
        SoftmaxClassifier(random_state=0, max_iter=30, tol=None),  # 30 epochs
    )
    grid = {
        "hogfeatures__orientations": [4, 8],
        "softmaxclassifier__alpha": [1e-3, 1e-1],
    }
    sequential = GridSearchCV(pipeline, grid, cv=2).fit(rows, y)
    with distributed.get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        on_cluster = GridSearchCV(pipeline, grid, cv=2, n_jobs=-1).fit(rows, y)
    tasks = [task["key"] for task in stream.data]  # the fits ran on the cluster
    assert sum("fit_and_score" in str(key) for key in tasks) >= 2
    assert on_cluster.best_params_ == sequential.best_params_
    np.testing.assert_allclose(
        on_cluster.cv_results_["mean_test_score"],
        sequential.cv_results_["mean_test_score"],
    )
    np.testing.assert_array_equal(on_cluster.predict(rows), sequential.predict(rows))


def test_smoke_with_worker_processes(data):
    X, y = data
    with (
        _cluster(n_workers=1, processes=True) as cluster,
        distributed.Client(cluster),
    ):
        images, labels = _striped_images(40)
        features = transform_blocks(
            HueHistogram(n_bins=4), da.from_array(images, chunks=10)
        ).compute()
        model = fit_incremental(
            SoftmaxClassifier(random_state=0),
            da.from_array(X, chunks=BLOCK),
            y,
            epochs=1,
            random_state=0,
        )
    np.testing.assert_array_equal(
        features, HueHistogram(n_bins=4).fit_transform(images)
    )
    orders = _block_orders(N_BLOCKS, 1, True, 0)
    reference = _reference_partial_fit(SoftmaxClassifier(random_state=0), X, y, orders)
    _assert_same_model(model, reference)


def test_transform_blocks_fits_only_stateless_image_transformers():
    images, _ = _striped_images(6)
    dask_images = da.from_array(images, chunks=3)
    union = make_union(HOGFeatures(pixels_per_cell=(4, 4)), HueHistogram())
    features = transform_blocks(union, dask_images).compute(scheduler="sync")
    np.testing.assert_allclose(features, clone(union).fit_transform(images))
    flat = da.from_array(images.reshape(6, -1), chunks=3)
    with pytest.raises(ValueError, match="StandardScaler is not fitted"):
        transform_blocks(StandardScaler(), flat)
    with pytest.raises(ValueError, match="Pipeline is not fitted"):
        transform_blocks(make_pipeline(HueHistogram(), StandardScaler()), dask_images)
