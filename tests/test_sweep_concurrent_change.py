"""A CSR matrix changed by another thread while a compiled sweep runs.

The sweeps check X's arrays at their boundary, then release the GIL for the
epoch: another thread may then write into the same arrays. Each step
re-checks the row it reads (pointers within the data, columns within the
weights), so such a change gives a ValueError, never a read or a write out
of bounds. Runs in a fresh interpreter: a crash fails the test.
"""

import threading

import numpy as np
import pytest
import test_dual_sweep_boundary as dual
import test_saga_sweep as saga
from child_process import in_child

from sklinear._solvers import _dual_cd, _sample_saga

SWEEPS = {
    "saga": (_sample_saga._saga_sweep, saga._call),
    "dual": (_dual_cd._dual_sweep, dual._call),
}


def _arguments(name):
    """Valid CSR arguments with a long epoch (many steps without the GIL)."""
    if name == "saga":
        arguments = saga._arguments(sparse=True, n=3_000, d=200, C=4)
        arguments["order"] = np.tile(arguments["order"], 4)
        return arguments, arguments["indices"], arguments["indptr"]
    arguments = dual._arguments(n=3_000, n_features=200, n_classes=4, csr=True)
    arguments["offset"] = None
    arguments["epochs"] = 4
    arguments["order"] = np.tile(arguments["order"], 4)
    return arguments, arguments["indices"], arguments["indptr"]


def _vandalize(indices, indptr, stop):
    """Make rows' columns and pointers invalid and restore them, over and
    over, until ``stop`` is set."""
    good_indices, good_indptr = indices.copy(), indptr.copy()
    past = np.iinfo(indices.dtype).max // 2
    while not stop.is_set():
        indices[::7] = past
        indices[:] = good_indices
        indptr[1::5] = good_indptr[-1] + 1_000
        indptr[:] = good_indptr


def _changed_while_running(name, max_calls=400):
    """Call the sweep while another thread changes X until a step (not the
    boundary) has caught a change; each call's outcome."""
    arguments, indices, indptr = _arguments(name)
    call = SWEEPS[name][1]
    stop = threading.Event()
    vandal = threading.Thread(target=_vandalize, args=(indices, indptr, stop))
    vandal.start()
    outcomes = []
    try:
        for _ in range(max_calls):
            try:
                call(arguments)
                outcomes.append("ok")
            except ValueError as error:
                outcomes.append(str(error))
            if "changed during" in outcomes[-1]:
                break
    finally:
        stop.set()
        vandal.join()
    return outcomes


@pytest.mark.parametrize("name", list(SWEEPS))
def test_a_change_during_the_epoch_is_a_value_error(name):
    if SWEEPS[name][0] is None:
        pytest.skip(f"the {name} sweep was not built")
    # Any exception but ValueError, or a crash, propagates from the child.
    outcomes = in_child(_changed_while_running, name)
    assert "changed during" in outcomes[-1], outcomes[-5:]
