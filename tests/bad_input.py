"""The bad-input tables' runner: what a row expects, and how it is checked.

Each row (a :class:`Case`) calls one public entry point on one bad input and
says what must happen: a clear error (exception type and a message naming
the problem) or a correct result (checked). Whatever happens, the caller's
arrays must come out unchanged. The rows live beside the tests of what they
exercise (tests/test_bad_input.py, tests/test_features_bad_input.py,
tests/test_datasets.py); ``test_every_public_callable_is_covered`` in
tests/test_bad_input.py checks that together they cover every public name.
"""

import re
import warnings
from dataclasses import dataclass, field

import numpy as np

# --------------------------------------------------------------------------
# Expectations
# --------------------------------------------------------------------------


@dataclass
class Error:
    """A clear error: this type, with a message matching ``match``."""

    types: object
    match: str


@dataclass
class Result:
    """A correct result: ``check(result)`` asserts it."""

    check: object = None


@dataclass
class Case:
    target: str  # the public name it exercises
    id: str
    call: object  # call(*arrays)
    arrays: tuple
    expect: object
    marks: list = field(default_factory=list)
    in_place: tuple = ()  # indices of arrays documented to be written to


def either(error, result):
    return (error, result)


def same_as(reference, rtol=1e-12, exact=True):
    """The result of ``reference()``: the same bits for a fitted model, unless
    not ``exact`` (X read in place in another layout: BLAS sums its products
    in another order, so they agree to rounding)."""

    def check(result):
        expected = reference()
        if hasattr(expected, "coef_") and exact:
            np.testing.assert_array_equal(result.coef_, expected.coef_)
        elif hasattr(expected, "coef_"):
            np.testing.assert_allclose(result.coef_, expected.coef_, rtol=1e-9)
        else:
            np.testing.assert_allclose(result, expected, rtol=rtol, atol=1e-12)

    return Result(check)


# --------------------------------------------------------------------------
# Bad arrays
# --------------------------------------------------------------------------


def with_value(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


def read_only(array):
    array = np.array(array)
    array.flags.writeable = False
    return array


def strided(array):
    """The same values as a non-contiguous view."""
    doubled = np.repeat(np.asarray(array)[..., None], 2, axis=-1)
    return doubled[..., 0]


# --------------------------------------------------------------------------
# The runner
# --------------------------------------------------------------------------


def _snapshot(array):
    return np.array(array, copy=True), array.flags.writeable


def _check_unchanged(array, snapshot, where):
    copy, writeable = snapshot
    assert array.flags.writeable == writeable, f"{where}: writeable flag changed"
    assert array.dtype == copy.dtype and array.shape == copy.shape, where
    if array.dtype.kind in "fc":
        np.testing.assert_array_equal(array, copy, err_msg=f"{where} was modified")
    else:
        assert (array == copy).all(), f"{where} was modified"


def run(case):
    snapshots = [_snapshot(array) for array in case.arrays]
    expectations = case.expect if isinstance(case.expect, tuple) else (case.expect,)
    errors = [e for e in expectations if isinstance(e, Error)]
    results = [e for e in expectations if isinstance(e, Result)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            outcome = case.call(*case.arrays)
    except Exception as exception:  # noqa: BLE001 - checked against the table
        if not errors:
            raise
        error = errors[0]
        assert isinstance(exception, error.types), repr(exception)
        assert error.match is None or re.search(error.match, str(exception)), (
            f"unclear message: {exception}"
        )
    else:
        assert results, f"expected an error, got {outcome!r:.200}"
        if results[0].check is not None:
            verdict = results[0].check(outcome)
            assert verdict is None or verdict, f"wrong result: {outcome!r:.200}"
    for index, (array, snapshot) in enumerate(zip(case.arrays, snapshots)):
        if index not in case.in_place and isinstance(array, np.ndarray):
            _check_unchanged(array, snapshot, f"{case.id}: argument {index}")
