"""Restored fitted state is checked before use; rules that hold on every call.

A fitted model is plain data, so a file (pickle, or skops with only trusted
types) can hold any values in it. Every attribute that ``predict``,
``partial_fit`` and warm starts read is corrupted here in every way (wrong
shape, dtype or type, NaN and inf, out of range, missing): the result must
be a clear ValueError, or, for the few changes that leave a usable model, a
correct continued fit. Corrupted weights could reach compiled code, so
those cases run in a fresh interpreter (a child process: a signal fails the
test, not the test run). This file is also the child's entry point.
"""

import copy
import io
import json
import os
import pickle
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sklearn import config_context
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

import sklinear
from sklinear import LinearSVMClassifier, SoftmaxClassifier

OUR_ERROR = "its fitted attribute"
MISSING = "<missing>"

# --------------------------------------------------------------------------
# Two fitted models with every kind of state
# --------------------------------------------------------------------------


def _data(n_classes, dtype, seed):
    X, y = make_classification(
        n_samples=120,
        n_features=6,
        n_informative=4,
        n_redundant=0,
        n_classes=n_classes,
        random_state=seed,
    )
    return X.astype(dtype), y


def _models():
    """Multiclass float64 with centering, momentum and averages; binary
    float32 without intercept (its weights go to compiled code unshifted)
    and with string labels."""
    X, y = _data(3, np.float64, 0)
    softmax = SoftmaxClassifier(average=True, random_state=0)
    softmax.partial_fit(X[:60], y[:60], classes=[0, 1, 2]).partial_fit(X[60:], y[60:])
    X2, y2 = _data(2, np.float32, 1)
    labels = np.array(["no", "yes"])[y2]
    svm = LinearSVMClassifier(fit_intercept=False, random_state=0)
    svm.partial_fit(X2[:60], labels[:60], classes=["no", "yes"])
    svm.partial_fit(X2[60:], labels[60:])
    return {"softmax": (softmax, X, y), "svm": (svm, X2, labels)}


# --------------------------------------------------------------------------
# Corruptions: every restored attribute, every way
# --------------------------------------------------------------------------

PREDICTION_ATTRIBUTES = ("classes_", "n_features_in_", "coef_", "intercept_")
ARRAY_PATHS = [
    ("coef_",),
    ("intercept_",),
    ("_weights", 0),
    ("_weights", 1),
    *[
        ("_sgd_state", key)
        for key in (
            "velocity_W",
            "velocity_b",
            "preconditioner",
            "average_W",
            "average_b",
            "offset",
        )
    ],
]
INTEGER_PATHS = [
    ("n_features_in_",),
    ("n_iter_",),
    ("_sgd_state", "t"),
    ("_sgd_state", "n_averaged"),
    ("_samples_seen", 0),
]
REAL_PATHS = [
    ("_sgd_state", "eta0"),
    ("_sgd_state", "eta"),
    ("_sgd_state", "epochs"),
    ("_samples_seen", 1),
    ("_samples_seen", 2),
]


def _other_float(dtype):
    return np.float32 if dtype == np.float64 else np.float64


def _with_entry(value, index, entry):
    value = value.copy()
    value.flat[index] = entry
    return value


ARRAY_WAYS = {
    "shape-short": lambda a: a[..., :-1],
    "shape-long": lambda a: np.concatenate([a, a[..., :1]], axis=-1),
    "shape-ndim": lambda a: a[None],
    "shape-scalar": lambda a: a.reshape(-1)[0],
    "dtype-int": lambda a: a.astype(np.int64),
    "dtype-half": lambda a: a.astype(np.float16),
    "dtype-other-float": lambda a: a.astype(_other_float(a.dtype)),
    "dtype-big-endian": lambda a: a.astype(a.dtype.newbyteorder(">")),
    "dtype-object": lambda a: a.astype(object),
    "dtype-complex": lambda a: a.astype(np.complex128),
    "nan": lambda a: _with_entry(a, 0, np.nan),
    "inf": lambda a: _with_entry(a, -1, -np.inf),
    "type-list": lambda a: a.tolist(),
    "type-matrix": lambda a: np.asmatrix(a),
    "type-masked": lambda a: np.ma.masked_array(a),
    "type-str": lambda a: "x",
    "none": lambda a: None,
    "missing": lambda a: MISSING,
}
SCALAR_WAYS = {
    "nan": lambda v: float("nan"),
    "inf": lambda v: float("inf"),
    "negative": lambda v: -1,
    "zero": lambda v: 0,
    "str": lambda v: str(v),
    "bool": lambda v: True,
    "array": lambda v: np.array([v]),
    "none": lambda v: None,
    "missing": lambda v: MISSING,
}
INTEGER_ONLY_WAYS = {"fraction": lambda v: v + 0.5, "huge": lambda v: 10**30}
LABELS_WAYS = {
    "unsorted": lambda c: c[::-1],
    "duplicate": lambda c: np.concatenate([c, c[:1]]),
    "one-class": lambda c: c[:1],
    "extra-class": lambda c: np.concatenate([c, [c[-1] * 2]]),
    "2-D": lambda c: c[None],
    "mixed-types": lambda c: np.array([*c[:-1], 0.5, "z"], dtype=object),
    "list": lambda c: c.tolist(),
    "none": lambda c: None,
    "missing": lambda c: MISSING,
}
CONTAINER_WAYS = {
    ("_weights",): {
        "bare-array": lambda w: w[0],
        "one-part": lambda w: w[:1],
        "three-parts": lambda w: (*w, w[1]),
        "dict": lambda w: {"W": w[0], "b": w[1]},
        "none": lambda w: None,
        "missing": lambda w: MISSING,
    },
    ("_sgd_state",): {
        "extra-key": lambda s: {**s, "momentum": 0.5},
        "items": lambda s: list(s.items()),
        "none": lambda s: None,
        "missing": lambda s: MISSING,
    },
    ("_sgd_state", "eta0"): {"below-eta": lambda v: 1e-12},
    ("_sgd_state", "preconditioner"): {"negative": lambda a: -a},
    ("_samples_seen",): {
        "short": lambda s: s[:2],
        "array": lambda s: np.array(s),
        "none": lambda s: None,
        "missing": lambda s: MISSING,
    },
    ("loss_curve_",): {
        "ndarray": lambda c: np.array(c),  # `+ list` would broadcast silently
        "tuple": lambda c: tuple(c),
        "none": lambda c: None,
        "missing": lambda c: MISSING,
    },
    ("n_features_in_",): {
        "bigger": lambda n: n + 1,
        "smaller": lambda n: n - 1,
        "float": lambda n: float(n),
    },
}

# Changes that leave a usable model, which must then train on correctly: a
# state without a step derives one from the data (as a model of an older
# sklinear's random search does); without an offset the next chunk centers;
# an older model had no sample totals; counters may restart from zero.
USABLE = {
    (("_sgd_state", "preconditioner"), "none"),
    (("_sgd_state", "offset"), "none"),
    (("_samples_seen",), "missing"),
    (("_sgd_state", "t"), "zero"),
    (("_sgd_state", "epochs"), "zero"),
    (("_sgd_state", "n_averaged"), "zero"),
    (("n_iter_",), "zero"),
}


def _ways(path):
    if path in ARRAY_PATHS:
        ways = dict(ARRAY_WAYS)
    elif path in INTEGER_PATHS:
        ways = {**SCALAR_WAYS, **INTEGER_ONLY_WAYS}
    elif path in REAL_PATHS:
        ways = dict(SCALAR_WAYS)
    elif path == ("classes_",):
        ways = dict(LABELS_WAYS)
    else:
        ways = {}
    ways.update(CONTAINER_WAYS.get(path, {}))
    return ways


ALL_PATHS = [
    *ARRAY_PATHS,
    *INTEGER_PATHS,
    *REAL_PATHS,
    ("classes_",),
    ("_weights",),
    ("_sgd_state",),
    ("_samples_seen",),
    ("loss_curve_",),
]


def _get(model, path):
    value = vars(model)
    for key in path:
        value = value[key]
    return value


def _set(model, path, value):
    """Put ``value`` at ``path`` (tuples are rebuilt; MISSING deletes)."""
    if len(path) == 1:
        if value is MISSING:
            delattr(model, path[0])
        else:
            setattr(model, path[0], value)
        return
    parent = copy.copy(_get(model, path[:-1]))
    if isinstance(parent, tuple):
        parent = list(parent)
        parent[path[-1]] = value  # MISSING shortens the tuple: see below
        parent = tuple(part for part in parent if part is not MISSING)
    elif value is MISSING:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    _set(model, path[:-1], parent)


def _case_ids():
    cases = []
    models = _models()
    for model_name, (model, _, _) in models.items():
        for path in ALL_PATHS:
            original = _get(model, path)
            for way in _ways(path):
                if original is None and way not in ("type-str", "missing"):
                    continue  # an optional array this model does not have
                cases.append((model_name, path, way))
    return cases


def _case_id(case):
    model_name, path, way = case
    return f"{model_name}-{'.'.join(map(str, path))}-{way}"


# --------------------------------------------------------------------------
# The child: run every corruption through every entry point
# --------------------------------------------------------------------------


def _outcome(call):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("error", RuntimeWarning)  # as in the suite
            result = call()
    except ValueError as error:
        return {"outcome": "ValueError", "message": str(error)}
    except Exception as error:  # noqa: BLE001 - reported to the parent
        return {"outcome": type(error).__name__, "message": str(error)}
    return {"outcome": "ok", "result": result}


def _usable(model, X, y):
    """Whether ``model`` is a sound classifier that can train on."""
    arrays = [model.coef_, model.intercept_, *model._weights]
    if not all(np.isfinite(array).all() for array in arrays):
        return "non-finite weights"
    if not np.isin(model.predict(X), model.classes_).all():
        return "predictions outside classes_"
    model.partial_fit(X, y)
    return "usable" if np.isfinite(model.coef_).all() else "diverged later"


def _corrupted(case, models):
    model_name, path, way = case
    model, X, y = models[model_name]
    corrupted = copy.deepcopy(model)
    _set(corrupted, path, _ways(path)[way](copy.deepcopy(_get(model, path))))
    return corrupted, model, X, y


def _run_case(case, models):
    corrupted, model, X, y = _corrupted(case, models)
    expected = model.predict(X)
    report = {
        "predict": _outcome(
            lambda: bool(np.array_equal(copy.deepcopy(corrupted).predict(X), expected))
        ),
        "partial_fit": _outcome(
            lambda: _usable(copy.deepcopy(corrupted).partial_fit(X, y), X, y)
        ),
        "warm_fit": _outcome(
            lambda: _usable(
                copy.deepcopy(corrupted)
                .set_params(warm_start=True, max_iter=3)
                .fit(X, y),
                X,
                y,
            )
        ),
    }
    return report


def _child_corruptions():
    models = _models()
    for case in _case_ids():
        print(json.dumps({"start": _case_id(case)}), flush=True)
        print(
            json.dumps({"case": _case_id(case), **_run_case(case, models)}), flush=True
        )


def _run_child(task, timeout=600):
    """Run ``task`` of this file in a fresh interpreter; fail on a signal."""
    # The child imports the sklinear this process imported.
    source = str(Path(sklinear.__file__).resolve().parent.parent)
    path = os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))
    process = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), task],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": path},
    )
    lines = [json.loads(line) for line in process.stdout.splitlines() if line]
    started = [line["start"] for line in lines if "start" in line]
    assert process.returncode == 0, (
        f"child {task!r} ended with code {process.returncode} (a negative code "
        f"is a signal) in {started[-1] if started else 'setup'}:\n"
        f"{process.stderr[-3000:]}"
    )
    return lines


@pytest.fixture(scope="module")
def corruption_reports():
    lines = _run_child("corruptions")
    return {line["case"]: line for line in lines if "case" in line}


CASES = _case_ids()


@pytest.mark.parametrize("case", CASES, ids=[_case_id(case) for case in CASES])
def test_every_corruption_is_an_error_or_a_correct_fit(case, corruption_reports):
    _, path, way = case
    report = corruption_reports[_case_id(case)]
    if (path, way) in USABLE:
        assert report["partial_fit"] == {"outcome": "ok", "result": "usable"}
        assert report["warm_fit"] == {"outcome": "ok", "result": "usable"}
        assert report["predict"] == {"outcome": "ok", "result": True}
        return
    for entry in ("partial_fit", "warm_fit"):
        _assert_clear_error(report[entry], path, way, entry)
    if path[0] in PREDICTION_ATTRIBUTES:
        _assert_clear_error(report["predict"], path, way, "predict")
    else:  # prediction does not read it, and must not change
        assert report["predict"] == {"outcome": "ok", "result": True}, report


def _assert_clear_error(outcome, path, way, entry):
    assert outcome["outcome"] == "ValueError", (entry, outcome)
    message = outcome["message"]
    assert OUR_ERROR in message, (entry, message)
    for name in _expected_names(path, way):
        assert name in message, (entry, name, message)


def _expected_names(path, way):
    """What the message must name: the culprit, or where it shows."""
    if path[0] in ("classes_", "n_features_in_"):
        return []  # a wrong count shows in the arrays that no longer fit it
    if way == "dtype-other-float" and path in (("coef_",), ("_weights", 0)):
        return []  # its partner, checked against it, is named
    if len(path) == 1 or way == "missing":  # (a missing part: the container)
        return [path[0]]
    return [path[0], f"[{path[1]}]" if isinstance(path[1], int) else path[1]]


# --------------------------------------------------------------------------
# Tampered model files, through skops and through pickle
# --------------------------------------------------------------------------


def _tamper_skops(data, attribute, array):
    """The skops bytes with the array file of ``attribute`` replaced."""
    source = zipfile.ZipFile(io.BytesIO(data))
    schema = json.loads(source.read("schema.json"))

    def find(node):
        if isinstance(node, dict):
            if attribute in node and isinstance(node[attribute], dict):
                file = node[attribute].get("file")
                if file:
                    return file
            return next(filter(None, map(find, node.values())), None)
        if isinstance(node, list):
            return next(filter(None, map(find, node)), None)
        return None

    target = find(schema)
    assert target, f"no array file for {attribute}"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as tampered:
        for name in source.namelist():
            content = source.read(name)
            if name == target:
                buffer = io.BytesIO()
                np.save(buffer, array, allow_pickle=False)
                content = buffer.getvalue()
            tampered.writestr(name, content)
    return out.getvalue()


def _child_tampered_files():
    import skops.io

    from sklinear import persistence

    models = _models()
    for model_name, attribute, shrink in [
        ("softmax", "coef_", lambda a: a[:, :2]),
        ("softmax", "_sgd_state", None),
        ("svm", "coef_", lambda a: a[:, :1]),
    ]:
        model, X, y = models[model_name]
        data = persistence.dumps(model)
        if shrink is not None:  # edit the file itself
            data = _tamper_skops(data, attribute, shrink(getattr(model, attribute)))
        else:  # a model damaged before saving
            damaged = copy.deepcopy(model)
            damaged._sgd_state["velocity_W"] = damaged._sgd_state["velocity_W"][:1]
            data = persistence.dumps(damaged)
        print(json.dumps({"start": f"{model_name}-{attribute}"}), flush=True)
        with pytest.raises(ValueError, match=OUR_ERROR):
            persistence.loads(data)
        # Loaded by skops directly, it is still refused where it is used.
        loaded = skops.io.loads(data, trusted=list(persistence.TRUSTED_TYPES))
        uses = ["partial_fit", "warm_fit"] + (
            ["predict"] if attribute == "coef_" else []
        )
        for use in uses:
            with pytest.raises(ValueError, match=OUR_ERROR):
                _use(copy.deepcopy(loaded), use, X, y)
        # The same damage through plain pickle.
        restored = pickle.loads(pickle.dumps(loaded))
        with pytest.raises(ValueError, match=OUR_ERROR):
            restored.partial_fit(X, y)


def _use(model, use, X, y):
    if use == "partial_fit":
        return model.partial_fit(X, y)
    if use == "warm_fit":
        return model.set_params(warm_start=True).fit(X, y)
    return model.predict(X)


def test_tampered_files_are_refused_in_a_child_process():
    pytest.importorskip("skops.io")
    _run_child("tampered_files")


def test_load_checks_classifiers_inside_pipelines():
    pytest.importorskip("skops.io")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklinear import persistence

    X, y = _data(3, np.float64, 0)
    pipeline = make_pipeline(StandardScaler(), SoftmaxClassifier(max_iter=5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipeline.fit(X, y)
    assert persistence.loads(persistence.dumps(pipeline)).score(X, y) > 0.5
    pipeline[-1].intercept_ = np.full(3, np.nan)
    with pytest.raises(ValueError, match="intercept_ holds NaN"):
        persistence.loads(persistence.dumps(pipeline))


def test_a_saved_state_that_is_not_a_dict_is_refused():
    model = SoftmaxClassifier()
    for state in ([("coef_", 1)], {1: "not a name"}, None):
        with pytest.raises(ValueError, match="expected a dict of attribute names"):
            model.__setstate__(state)


# --------------------------------------------------------------------------
# Bounded fuzz over the restored state (in a child process)
# --------------------------------------------------------------------------


def _fuzz_replacement(draw, original):
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    floats = st.floats(allow_nan=True, allow_infinity=True)
    scalar = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        floats,
        st.text(max_size=2),
    )
    any_array = hnp.arrays(
        st.sampled_from([np.float64, np.float32, np.float16, np.int64, np.bool_]),
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=7),
    )
    options = [scalar, any_array, st.just(MISSING)]
    if isinstance(original, np.ndarray) and original.dtype.kind == "f":
        # The right dtype and shape (or one off), with any values: the
        # cases most likely to get past a careless check.
        shapes = st.sampled_from(
            [original.shape, original.shape[:-1] + (original.shape[-1] + 1,)]
        )
        width = 32 if original.dtype == np.float32 else 64
        options.append(
            hnp.arrays(original.dtype, shapes, elements=st.floats(width=width))
        )
    return draw(st.one_of(*options))


def _child_fuzz():
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    models = _models()
    paths = [(name, path) for name in models for path in ALL_PATHS]
    outcomes = {}

    @settings(
        max_examples=200,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def fuzz(data):
        model_name, path = data.draw(st.sampled_from(paths))
        model, X, y = models[model_name]
        original = _get(model, path)
        value = _fuzz_replacement(data.draw, original)
        corrupted = copy.deepcopy(model)
        _set(corrupted, path, value)
        for entry, call in (
            ("partial_fit", lambda m: _usable(m.partial_fit(X, y), X, y)),
            ("predict", lambda m: bool(np.isin(m.predict(X), m.classes_).all())),
        ):
            with warnings.catch_warnings():
                # Finite but huge weights may overflow on the way to the
                # divergence error; what matters is how the call ends.
                warnings.simplefilter("ignore", RuntimeWarning)
                outcome = _outcome(lambda: call(copy.deepcopy(corrupted)))  # noqa: B023
            good = outcome["outcome"] == "ValueError" or outcome.get("result") in (
                "usable",
                True,
            )
            assert good, (model_name, path, repr(value)[:200], entry, outcome)
            outcomes[outcome["outcome"]] = outcomes.get(outcome["outcome"], 0) + 1

    fuzz()
    print(json.dumps({"outcomes": outcomes}), flush=True)


def test_fuzzed_state_gives_a_value_error_or_a_correct_fit():
    pytest.importorskip("hypothesis")
    (summary,) = [line for line in _run_child("fuzz") if "outcomes" in line]
    # Both ends were reached: refusals and continued fits.
    assert summary["outcomes"].get("ValueError", 0) > 0
    assert summary["outcomes"].get("ok", 0) > 0


def test_chunks_of_another_dtype_keep_the_state_consistent():
    """The state follows the chunk's dtype, so the next check passes."""
    X, y = _data(3, np.float64, 0)
    model = SoftmaxClassifier(average=True, random_state=0)
    model.partial_fit(X[:40], y[:40], classes=[0, 1, 2])
    model.partial_fit(X[40:80].astype(np.float32), y[40:80])
    state_arrays = [a for a in model._sgd_state.values() if isinstance(a, np.ndarray)]
    assert {a.dtype for a in [*model._weights, *state_arrays]} == {np.dtype("float32")}
    model.partial_fit(X[80:], y[80:])
    assert model.coef_.dtype == np.float64 and np.isfinite(model.coef_).all()


# --------------------------------------------------------------------------
# partial_fit checks its parameters on every call
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "estimator, parameters",
    [
        (LinearSVMClassifier, {"margin": -1.0}),
        (LinearSVMClassifier, {"margin": 0.0}),
        (SoftmaxClassifier, {"power_t": -0.5}),
        (SoftmaxClassifier, {"momentum": 1.0}),
        (SoftmaxClassifier, {"alpha": -1e-3}),
        (SoftmaxClassifier, {"batch_size": 0}),
        (SoftmaxClassifier, {"learning_rate": "optimal"}),
        (SoftmaxClassifier, {"penalty": "l3"}),
        (SoftmaxClassifier, {"class_weight": "uniform"}),
    ],
)
def test_partial_fit_checks_parameters_on_every_call(estimator, parameters):
    X, y = _data(3, np.float64, 0)
    model = estimator(random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    before = copy.deepcopy(vars(model))
    model.set_params(**parameters)
    (name,) = parameters
    with pytest.raises(ValueError, match=f"'{name}' parameter"):
        model.partial_fit(X, y)
    for key, value in before.items():  # the fitted model is left as it was
        if key.endswith("_") and isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(model, key), value)


def test_partial_fit_parameter_check_follows_scikit_learn_setting():
    X, y = _data(3, np.float64, 0)
    model = SoftmaxClassifier(learning_rate="constant", random_state=0)
    model.partial_fit(X, y, classes=[0, 1, 2]).set_params(power_t=-0.5)
    with config_context(skip_parameter_validation=True):
        model.partial_fit(X, y)  # power_t is unused by 'constant'
    with pytest.raises(ValueError, match="'power_t' parameter"):
        model.partial_fit(X, y)


# --------------------------------------------------------------------------
# Chunks of weight 0 are skipped, whatever zeroed them
# --------------------------------------------------------------------------


def _zeroed(cause, y):
    """(estimator parameters, sample_weight) giving every sample weight 0."""
    if cause == "sample_weight":
        return {}, np.zeros(len(y))
    if cause == "class_weight":
        return {"class_weight": dict.fromkeys(np.unique(y).tolist(), 0.0)}, None
    return {"class_weight": {0: 0.0}}, np.where(y == 0, 1.0, 0.0)  # both


ZERO_CAUSES = ["sample_weight", "class_weight", "both"]


@pytest.mark.parametrize("cause", ZERO_CAUSES)
def test_a_later_chunk_of_weight_zero_is_skipped(cause):
    X, y = _data(3, np.float64, 0)
    model = SoftmaxClassifier(average=True, random_state=0)
    model.partial_fit(X[:60], y[:60], classes=[0, 1, 2])
    twin = copy.deepcopy(model)  # never sees the chunk of weight 0
    parameters, weights = _zeroed(cause, y[60:90])
    model.set_params(**parameters).partial_fit(
        X[60:90], y[60:90], sample_weight=weights
    )
    model.set_params(class_weight=None)
    _assert_same_state(model, twin)
    for m in (model, twin):  # ... and both continue identically
        m.partial_fit(X[90:], y[90:])
    _assert_same_state(model, twin)


def _assert_same_state(left, right):
    assert pickle.dumps(vars(left)) == pickle.dumps(vars(right))


@pytest.mark.parametrize("cause", ZERO_CAUSES)
def test_a_first_chunk_of_weight_zero_raises(cause):
    X, y = _data(3, np.float64, 0)
    parameters, weights = _zeroed(cause, y)
    model = SoftmaxClassifier(**parameters)
    with pytest.raises(ValueError, match="nothing to start from"):
        model.partial_fit(X, y, classes=[0, 1, 2], sample_weight=weights)
    assert not hasattr(model, "classes_")


@pytest.mark.parametrize("cause", ZERO_CAUSES)
def test_fit_with_no_positive_weight_raises(cause):
    X, y = _data(3, np.float64, 0)
    parameters, weights = _zeroed(cause, y)
    with pytest.raises(ValueError, match="non-zero|positive weight"):
        SoftmaxClassifier(**parameters).fit(X, y, sample_weight=weights)


# --------------------------------------------------------------------------
# A random-search model continues with a step derived from the data
# --------------------------------------------------------------------------


def _scaled_data():
    """Features of raw-pixel scale, where a step of 1.0 diverges."""
    X, y = _data(3, np.float64, 0)
    return X * 100.0 + 120.0, y


@pytest.mark.parametrize("estimator", [SoftmaxClassifier, LinearSVMClassifier])
def test_random_search_model_continues_with_the_auto_step(estimator):
    X, y = _scaled_data()
    searched = estimator(solver="random_search", max_iter=10, random_state=0)
    searched.fit(X, y)
    searched_score = searched.score(X, y)
    fresh = estimator(max_iter=5, tol=None, random_state=0).fit(X, y)
    assert searched.learning_rate_ == fresh.learning_rate_  # the same rule
    searched.set_params(solver="sgd")
    for _ in range(5):
        searched.partial_fit(X, y)
    assert searched.learning_rate_ == fresh.learning_rate_
    # Five epochs from the search's model do as well as five from zero.
    assert searched.score(X, y) > searched_score
    assert searched.score(X, y) >= fresh.score(X, y) - 0.05


@pytest.mark.parametrize("solver", ["sgd", "gd"])
def test_random_search_partial_fit_continues_like_a_fresh_stream(solver):
    X, y = _scaled_data()
    searched = SoftmaxClassifier(solver="random_search", max_iter=10, random_state=0)
    searched.partial_fit(X[:60], y[:60], classes=[0, 1, 2])
    fresh = SoftmaxClassifier(solver=solver, random_state=0)
    fresh.partial_fit(X[:60], y[:60], classes=[0, 1, 2])
    assert searched.learning_rate_ == fresh.learning_rate_
    searched.set_params(solver=solver).partial_fit(X[60:], y[60:])
    assert searched.learning_rate_ == fresh.learning_rate_
    assert np.isfinite(searched.coef_).all()


@pytest.mark.parametrize("solver", ["sgd", "gd"])
def test_random_search_model_warm_starts_with_the_auto_step(solver):
    X, y = _scaled_data()
    model = SoftmaxClassifier(solver="random_search", max_iter=10, random_state=0)
    searched_score = model.fit(X, y).score(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.set_params(solver=solver, warm_start=True, max_iter=20).fit(X, y)
        fresh = SoftmaxClassifier(solver=solver, max_iter=20, random_state=0).fit(X, y)
    assert model.learning_rate_ == fresh.learning_rate_
    assert model.score(X, y) > searched_score
    assert model.score(X, y) >= fresh.score(X, y) - 0.05


def test_older_random_search_model_gets_a_step_from_the_data():
    """A model saved before the fix holds a placeholder step of 1.0 and no
    preconditioner: the next chunk derives its step as a first chunk would."""
    X, y = _scaled_data()
    old = SoftmaxClassifier(solver="random_search", max_iter=10, random_state=0)
    old.partial_fit(X[:60], y[:60], classes=[0, 1, 2])
    for key in ("preconditioner", "offset"):
        old._sgd_state[key] = None
    old._sgd_state.update(eta0=1.0, eta=1.0)
    old.set_params(solver="sgd").partial_fit(X[60:], y[60:])
    fresh = SoftmaxClassifier(random_state=0).partial_fit(
        X[60:], y[60:], classes=[0, 1, 2]
    )
    assert old.learning_rate_ == fresh.learning_rate_
    assert np.isfinite(old.coef_).all()


# --------------------------------------------------------------------------
# Entry point of the child processes
# --------------------------------------------------------------------------

CHILD_TASKS = {
    "corruptions": _child_corruptions,
    "tampered_files": _child_tampered_files,
    "fuzz": _child_fuzz,
}

if __name__ == "__main__":
    CHILD_TASKS[sys.argv[1]]()
