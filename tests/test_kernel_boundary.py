"""The checked boundary of the compiled pass (``sklinear._fused.loss_gradient``).

Every case that could crash (read or write out of bounds) runs in a fresh
interpreter, so that a signal fails the test instead of killing pytest. The
fuzz test sends random shapes, strides, dtypes and labels through the
binding and through ``LinearObjective``, and asserts a ValueError or
agreement with NumPy.
"""

import time
import warnings

import numpy as np
import pytest
from child_process import in_child, misaligned

import sklinear._fused_pass as fused_pass

pytestmark = pytest.mark.skipif(
    not fused_pass.fused_available(),
    reason="the C extension sklinear._fused was not built",
)

FLOATS = (np.float32, np.float64)


def _value_errors_in_child(cases, n_cases):
    """Run ``cases()`` in a fresh interpreter; assert it reports ``n_cases``
    outcomes, each a ValueError, and return them."""
    outcomes = in_child(cases)
    assert len(outcomes) == n_cases
    for case, outcome in outcomes.items():
        assert outcome.startswith("ValueError"), (case, outcome)
    return outcomes


def _arrays(n_rows, n_features, n_classes, dtype, seed=0):
    """Valid arguments of the binding, as a dict."""
    rng = np.random.default_rng(seed)
    return dict(
        X=rng.standard_normal((n_rows, n_features)).astype(dtype),
        y=rng.integers(0, n_classes, n_rows),
        W=rng.standard_normal((n_classes, n_features)).astype(dtype),
        shift=rng.standard_normal(n_classes).astype(dtype),
        factors=np.full(n_rows, 1.0 / max(n_rows, 1), dtype=dtype),
        grad_W=np.empty((n_classes, n_features), dtype=dtype),
        grad_b=np.empty(n_classes, dtype=dtype),
    )


def _call(arrays, loss_kind=1, margin=1.0):
    from sklinear import _fused

    names = ("X", "y", "W", "shift", "factors", "grad_W", "grad_b")
    memory = (arrays["memory"],) if "memory" in arrays else ()
    return _fused.loss_gradient(*(arrays[k] for k in names), loss_kind, margin, *memory)


def _reference(arrays, loss_kind=1, margin=1.0):
    """Loss and gradients in float64 with NumPy."""
    from sklinear.losses import _hinge, _softmax

    X, W = (np.asarray(arrays[k], dtype=np.float64) for k in ("X", "W"))
    shift = np.asarray(arrays["shift"], dtype=np.float64)
    factors = np.asarray(arrays["factors"], dtype=np.float64)
    y = np.asarray(arrays["y"]).astype(np.intp)
    scores = X @ W.T + shift
    with np.errstate(all="ignore"):
        if loss_kind == 0:
            value, dscores = _hinge(scores, y, factors, margin)
        else:
            value, dscores = _softmax(scores, y, factors)
    if "memory" in arrays:  # SAGA's step: the gradients of dscores - memory
        delta = dscores - np.asarray(arrays["memory"], dtype=np.float64)
        return value, delta.T @ X, delta.sum(axis=0), dscores
    return value, dscores.T @ X, dscores.sum(axis=0)


def _agrees(result, expected, dtype):
    tolerance = 1e-4 if dtype == np.float32 else 1e-10
    return all(
        np.allclose(got, want, rtol=tolerance, atol=tolerance * max(1, _largest(want)))
        for got, want in zip(result, expected)
    )


def _largest(values):
    return float(np.abs(values).max(initial=0))


def _outcome(function):
    """'ok', or the ValueError's message; anything else propagates."""
    try:
        function()
    except ValueError as error:
        return f"ValueError: {error}"
    return "ok"


# --- cases that would read or write out of bounds without the checks ---


def _wrong_width_cases():
    from sklinear.objective import LinearObjective
    from sklinear.optimize import minibatch_sgd

    outcomes = {}
    for width in (1, 999, 1001):  # W too narrow (by far, or by one), too wide
        arrays = _arrays(4, 1000, 3, np.float32)
        arrays["W"] = np.ones((3, width), np.float32)
        arrays["grad_W"] = np.empty((3, width), np.float32)
        outcomes[f"binding {width}"] = _outcome(lambda a=arrays: _call(a))
    # Large inputs: 64 MB of X, W of one column (the old kernel read 64 MB
    # past W's end).
    X = np.ones((8, 2_000_000), dtype=np.float32)
    objective = LinearObjective(X, np.arange(8) % 3, "softmax")
    W, b = np.ones((3, 1), np.float32), np.zeros(3, np.float32)
    outcomes["objective narrow"] = _outcome(lambda: objective.loss_gradient(W, b))
    W = np.ones((3, 2_000_001), np.float32)
    outcomes["objective wide"] = _outcome(lambda: objective.loss_gradient(W, b))
    outcomes["sgd narrow"] = _outcome(
        lambda: minibatch_sgd(objective, np.ones((3, 1), np.float32), b,
                              learning_rate_init=0.1, max_iter=1)
    )  # fmt: skip
    return outcomes


def test_w_too_narrow_or_too_wide_raises():
    outcomes = _value_errors_in_child(_wrong_width_cases, n_cases=6)
    assert "W has 1 columns, expected 1000" in outcomes["binding 1"]


def _bad_argument_cases():
    """(case, outcome) for arguments of the wrong dtype, shape or layout."""
    base = _arrays(20, 7, 3, np.float64)
    f32 = np.float32
    changes = {
        "X float16": dict(X=base["X"].astype(np.float16)),
        "X int": dict(X=base["X"].astype(np.int64)),
        "X float32, W float64": dict(X=base["X"].astype(f32)),
        "X byteswapped": dict(X=base["X"].astype(">f8")),
        "X 1-D": dict(X=base["X"].ravel()),
        "X 3-D": dict(X=base["X"][None]),
        "X column-strided": dict(X=np.repeat(base["X"], 2, axis=1)[:, ::2]),
        "X Fortran-ordered": dict(X=np.asfortranarray(base["X"])),
        "X misaligned": dict(X=misaligned(base["X"])),
        "X a list": dict(X=base["X"].tolist()),
        "y float": dict(y=base["y"].astype(np.float64)),
        "y bool": dict(y=base["y"].astype(bool)),
        "y too short": dict(y=base["y"][:-1]),
        "y 2-D": dict(y=base["y"][:, None]),
        "W float32": dict(W=base["W"].astype(f32)),
        "W 4 classes": dict(W=np.ones((4, 7))),
        "W 0 classes": dict(W=np.ones((0, 7)), grad_W=np.empty((0, 7))),
        "W 65 classes": dict(W=np.ones((65, 7)), grad_W=np.empty((65, 7))),
        "shift too long": dict(shift=np.zeros(4)),
        "shift float32": dict(shift=np.zeros(3, f32)),
        "factors too short": dict(factors=base["factors"][:-1]),
        "factors float32": dict(factors=base["factors"].astype(f32)),
        "grad_W strided": dict(grad_W=np.empty((3, 14))[:, ::2]),
        "grad_W transposed": dict(grad_W=np.empty((7, 3)).T),
        "grad_W read-only": dict(grad_W=np.broadcast_to(np.empty(7), (3, 7))),
        "grad_W wrong shape": dict(grad_W=np.empty((3, 8))),
        "grad_W float32": dict(grad_W=np.empty((3, 7), f32)),
        "grad_W is W": dict(grad_W=base["W"]),
        "grad_W overlaps X": dict(grad_W=base["X"][:3]),
        "grad_b inside grad_W": dict(grad_b=base["grad_W"][0, :3]),
        "grad_b too long": dict(grad_b=np.empty(4)),
        # SAGA's memory (n_rows x n_classes), updated in place.
        "memory one row short": dict(memory=np.zeros((19, 3))),
        "memory a class too many": dict(memory=np.zeros((20, 4))),
        "memory 1-D": dict(memory=np.zeros(60)),
        "memory float32": dict(memory=np.zeros((20, 3), f32)),
        "memory strided": dict(memory=np.zeros((40, 3))[::2]),
        "memory transposed": dict(memory=np.zeros((3, 20)).T),
        "memory read-only": dict(memory=np.broadcast_to(np.zeros(3), (20, 3))),
        "memory overlaps X": dict(memory=base["X"].reshape(-1)[:60].reshape(20, 3)),
        "memory overlaps grad_W": _sharing_one_buffer(),
        "memory a list": dict(memory=np.zeros((20, 3)).tolist()),
    }
    outcomes = {
        case: _outcome(lambda a={**base, **change}: _call(a))
        for case, change in changes.items()
    }
    outcomes["loss kind 2"] = _outcome(lambda: _call(base, loss_kind=2))
    return outcomes


def _sharing_one_buffer():
    buffer = np.empty(81)
    return dict(grad_W=buffer[:21].reshape(3, 7), memory=buffer[18:78].reshape(20, 3))


def test_arguments_that_do_not_fit_raise_value_error():
    _value_errors_in_child(_bad_argument_cases, n_cases=42)


def _label_cases():
    import pandas as pd

    outcomes = {}
    for label in (-1, 3, 2**40, -(2**62)):
        arrays = _arrays(50, 5, 3, np.float32)
        arrays["y"][37] = label
        outcomes[f"label {label}"] = _outcome(lambda a=arrays: _call(a))
    arrays = _arrays(50, 5, 3, np.float32)
    arrays["y"] = arrays["y"].astype(np.uint64)
    arrays["y"][5] = 2**64 - 1  # -1 once cast to a signed integer
    outcomes["uint64 max"] = _outcome(lambda: _call(arrays))
    # Labels read through a packed record array: a stride of 17 bytes.
    arrays = _arrays(50, 5, 3, np.float32)
    frame = pd.DataFrame({"flag": np.zeros(50, np.int8), "y": arrays["y"]})
    records = frame.to_records()
    arrays["y"] = records["y"]
    arrays["y"][-1] = 3
    outcomes["record label 3"] = _outcome(lambda: _call(arrays))
    return outcomes


def test_labels_out_of_range_raise_from_c():
    outcomes = in_child(_label_cases)
    assert len(outcomes) == 6
    for case, outcome in outcomes.items():
        assert "is not a class index in [0, 3)" in outcome, (case, outcome)
    assert "y[49] = 3 " in outcomes["record label 3"]


def _odd_layout_results():
    """Max relative disagreement with NumPy for layouts the kernel takes."""
    import pandas as pd

    from sklinear.objective import LinearObjective

    results = {}
    for dtype in FLOATS:
        base = _arrays(300, 9, 4, dtype)
        records = pd.DataFrame(
            {"flag": np.zeros(300, np.int8), "y": base["y"].astype(np.int16)}
        ).to_records()
        layouts = {
            "record labels": dict(y=records["y"]),  # stride 11, int16
            "int8 labels, stride 3": dict(y=np.repeat(base["y"].astype("i1"), 3)[::3]),
            "X rows reversed": dict(X=base["X"][::-1].copy()[::-1]),
            "X rows strided": dict(X=np.repeat(base["X"], 3, axis=0)[::3]),
            "W rows reversed": dict(W=base["W"][::-1].copy()[::-1]),
            "W row stride": dict(W=np.repeat(base["W"], 2, axis=0)[::2]),
            "shift and factors strided": dict(
                shift=np.repeat(base["shift"], 2)[::2],
                factors=np.repeat(base["factors"], 2)[::-2][::-1],
            ),
        }  # fmt: skip
        for case, change in layouts.items():
            arrays = {**base, **change}
            value = _call(arrays, loss_kind=0, margin=0.5)
            result = (value, arrays["grad_W"], arrays["grad_b"])
            results[f"{case} {dtype.__name__}"] = _agrees(
                result, _reference(arrays, 0, 0.5), dtype
            )
        # Through the objective, with labels from a record array.
        X = base["X"]
        objective = LinearObjective(X, records["y"], "softmax")
        W, b = base["W"], base["shift"]
        got = objective.loss_gradient(W, b, slice(1, None, 2))
        fused_pass.enabled = False
        want = objective.loss_gradient(W, b, slice(1, None, 2))
        fused_pass.enabled = True
        results[f"objective record labels {dtype.__name__}"] = _agrees(got, want, dtype)
    return results


def test_odd_strides_and_record_labels_give_numpys_results():
    results = in_child(_odd_layout_results)
    assert len(results) == 16
    assert all(results.values()), results


# --- fuzz ---


def _random_layout(rng, array):
    """``array`` as a view with random strides, or in another memory order."""
    choice = rng.integers(6)
    if array.ndim == 0 or array.size == 0 or choice == 0:
        return array
    if choice == 1:  # every k-th row, forwards or backwards
        step = int(rng.choice([2, 3, -1, -2]))
        return np.repeat(array, abs(step), axis=0)[::step][:: np.sign(step)]
    if choice == 2 and array.ndim == 2:
        return np.asfortranarray(array)
    if choice == 3 and array.ndim == 2:  # columns with a stride: not taken
        return np.repeat(array, 2, axis=1)[:, ::2]
    return array.copy()


def _random_arrays(rng):
    dtype = FLOATS[rng.integers(2)]
    n_rows, n_features = int(rng.integers(0, 40)), int(rng.integers(0, 40))
    n_classes = int(rng.integers(1, 70))
    arrays = _arrays(n_rows, n_features, n_classes, dtype, seed=int(rng.integers(1e9)))
    for name in ("X", "y", "W", "shift", "factors"):
        arrays[name] = _random_layout(rng, arrays[name])
    if rng.random() < 0.2:  # a label out of range
        arrays["y"] = arrays["y"].copy()
        if n_rows:
            arrays["y"][rng.integers(n_rows)] = rng.choice([-1, n_classes, 2**33])
    if rng.random() < 0.3:
        kind = rng.choice(["int8", "uint16", "int32", "uint64", ">i8"])
        arrays["y"] = arrays["y"].astype(kind)
    if rng.random() < 0.2:  # another dtype, or another length
        name = rng.choice(["X", "W", "shift", "factors", "grad_W", "grad_b"])
        arrays[name] = arrays[name].astype(
            rng.choice(["float16", "float32", "float64", "int32"])
        )
    if rng.random() < 0.2:
        name = rng.choice(["W", "shift", "factors", "grad_b"])
        size = arrays[name].shape[-1] + int(rng.choice([-1, 1]))
        arrays[name] = np.resize(
            arrays[name], arrays[name].shape[:-1] + (max(size, 0),)
        )
    return arrays  # fmt: skip


def _fuzz_binding_case(rng):
    arrays = _random_arrays(rng)
    loss_kind, margin = int(rng.integers(2)), float(rng.uniform(0.1, 2))
    if rng.random() < 0.5:  # SAGA's memory, of any shape, dtype or layout
        rows, classes = len(arrays["y"]), len(arrays["grad_b"])
        memory = rng.standard_normal((rows, classes))
        # Rows that sum to 0, as dscores do (the pass computes the gradient's
        # last row from the others).
        memory = (memory - memory.mean(axis=1, keepdims=True)).astype(arrays["X"].dtype)
        if rng.random() < 0.2:
            wrong = max(rows + int(rng.choice([-1, 1])), 0)
            memory = np.resize(memory, (wrong, classes))
        arrays["memory"] = _random_layout(rng, memory)
    try:  # before the call changes the memory
        expected = _reference(arrays, loss_kind, margin)
    except (ValueError, IndexError):  # arrays that do not fit together
        expected = None
    try:
        value = _call(arrays, loss_kind, margin)
    except ValueError:
        return "ValueError"
    if expected is None:
        raise AssertionError(f"took arrays that do not fit: {_describe(arrays)}")
    result = (value, arrays["grad_W"], arrays["grad_b"])
    if "memory" in arrays:
        result += (arrays["memory"],)  # now the dscores
    dtype = arrays["X"].dtype.type
    if not _agrees(result, expected, dtype):
        raise AssertionError(f"disagrees with NumPy: {_describe(arrays)}")
    return "agrees"


def _fuzz_objective_case(rng):
    from sklinear.objective import LinearObjective

    arrays = _random_arrays(rng)
    X, y, W = arrays["X"], arrays["y"], arrays["W"]
    if y.dtype == np.uint64:  # the NumPy path's label arithmetic takes no uint64
        y = y.astype(np.int64)
    try:
        objective = LinearObjective(
            X, y, ["hinge", "softmax"][rng.integers(2)], center=bool(rng.integers(2)),
            fit_intercept=bool(rng.integers(2)), margin=float(rng.uniform(0.1, 2)),
        )  # fmt: skip
    except ValueError:
        return "ValueError"
    b = np.zeros(W.shape[0], dtype=W.dtype)
    rows = slice(int(rng.integers(3)), None, int(rng.integers(1, 4)))
    outcomes = []
    for enabled in (True, False):
        fused_pass.enabled = enabled
        try:
            outcomes.append(objective.loss_gradient(W, b, rows))
        except ValueError:
            outcomes.append("ValueError")
        finally:
            fused_pass.enabled = True
    if "ValueError" in outcomes:
        if outcomes[0] != outcomes[1]:
            raise AssertionError(f"only one path raised: {_describe(arrays)}")
        return "ValueError"
    if not _agrees(outcomes[0], outcomes[1], X.dtype.type):
        raise AssertionError(f"paths disagree: {_describe(arrays)}")
    return "agrees"


def _describe(arrays):
    return {k: (a.dtype.str, a.shape, a.strides) for k, a in arrays.items()}


def fuzz(seconds, seed=0):
    """Random cases for ``seconds``; returns the count of each outcome."""
    rng = np.random.default_rng(seed)
    counts = {}
    deadline = time.monotonic() + seconds
    warnings.simplefilter("ignore", RuntimeWarning)  # e.g. the mean of no rows
    while time.monotonic() < deadline:
        for case in (_fuzz_binding_case, _fuzz_objective_case):
            with np.errstate(all="ignore"):
                outcome = f"{case.__name__[6:]}: {case(rng)}"
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def test_fuzz_the_boundary():
    counts = in_child(fuzz, 4.0)
    # Both outcomes, on both routes, happened (the generator is not stuck).
    for route in ("binding_case", "objective_case"):
        for outcome in ("ValueError", "agrees"):
            assert counts.get(f"{route}: {outcome}", 0) >= 10, counts
