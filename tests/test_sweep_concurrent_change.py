"""A CSR matrix changed by another thread while a compiled sweep runs.

The sweeps check X's arrays at their boundary, then release the GIL for the
epoch: another thread may then write into the same arrays. Each step
re-checks the row it reads (pointers within the data, columns within the
weights), so such a change gives a ValueError, never a read or a write out
of bounds. The certificate's CSR products (``_csr_products.h``) check each
row as they read it, and must hold the same way. Runs in a fresh
interpreter: a crash fails the test.
"""

import threading
import time

import numpy as np
import pytest
import test_csr_products as products
import test_dual_sweep_boundary as dual
import test_saga_sweep as saga
from child_process import in_child

from sklinear._solvers import _dual_cd, _sample_saga


def _product(arguments, n_threads=1):
    """The transposed product, or ValueError (as the sweeps' calls)."""
    outcome = products._outcome("transposed", arguments, n_threads)
    if outcome != "ok":
        raise ValueError(outcome)


def _threaded_product(arguments):
    _product(arguments, n_threads=2)


# Each compiled call, and what its ValueError says of a row changed mid-call.
SWEEPS = {
    "saga": (_sample_saga._saga_sweep, saga._call, "changed during"),
    "dual": (_dual_cd._dual_sweep, dual._call, "changed during"),
    "products": (_sample_saga._saga_sweep, _product, "is not valid"),
    "products on two threads": (
        _sample_saga._saga_sweep,
        _threaded_product,
        "is not valid",
    ),
}


def _arguments(name):
    """Valid CSR arguments with a long epoch (tens of milliseconds without
    the GIL, so that the other thread's writes land during it)."""
    if name.startswith("products"):
        arguments = products._arguments("transposed", n=60_000, d=200, C=4)
        return arguments, arguments["indices"], arguments["indptr"]
    if name == "saga":
        arguments = saga._arguments(sparse=True, n=20_000, d=200, C=4)
        arguments["order"] = np.tile(arguments["order"], 3)
        return arguments, arguments["indices"], arguments["indptr"]
    arguments = dual._arguments(n=20_000, n_features=200, n_classes=4, csr=True)
    arguments["offset"] = None
    arguments["epochs"] = 3
    arguments["order"] = np.tile(arguments["order"], 3)
    return arguments, arguments["indices"], arguments["indptr"]


def _vandalize(indices, indptr, calling, idle, stop):
    """While a call runs (``calling`` set), after a pause that lets its
    boundary pass, make rows' columns and pointers invalid and restore them,
    over and over; ``idle`` is set whenever the arrays are valid again."""
    good_indices, good_indptr = indices.copy(), indptr.copy()
    past = np.iinfo(indices.dtype).max // 2
    while not stop.is_set():
        if not calling.wait(0.01):
            continue
        idle.clear()
        time.sleep(0.002)  # the boundary checks take microseconds
        while calling.is_set():
            indices[::7] = past
            indices[:] = good_indices
            indptr[1::5] = good_indptr[-1] + 1_000
            indptr[:] = good_indptr
        idle.set()


def _changed_while_running(name, max_calls=50):
    """Call the sweep while another thread changes X, until a step (not the
    boundary) has caught a change; each call's outcome."""
    arguments, indices, indptr = _arguments(name)
    _, call, message = SWEEPS[name]
    calling, idle, stop = threading.Event(), threading.Event(), threading.Event()
    idle.set()
    vandal = threading.Thread(
        target=_vandalize, args=(indices, indptr, calling, idle, stop)
    )
    vandal.start()
    outcomes = []
    try:
        for _ in range(max_calls):
            idle.wait()
            calling.set()
            try:
                call(arguments)
                outcomes.append("ok")
            except ValueError as error:
                outcomes.append(str(error))
            finally:
                calling.clear()
            if message in outcomes[-1]:
                break
    finally:
        stop.set()
        calling.clear()
        vandal.join()
    return outcomes


@pytest.mark.parametrize("name", list(SWEEPS))
def test_a_change_during_the_epoch_is_a_value_error(name):
    if SWEEPS[name][0] is None:
        pytest.skip(f"the {name} sweep was not built")
    # Any exception but ValueError, or a crash, propagates from the child.
    outcomes = in_child(_changed_while_running, name)
    assert SWEEPS[name][2] in outcomes[-1], outcomes[-5:]
