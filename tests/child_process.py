"""Helpers of the C-boundary tests (tests/test_kernel_boundary.py,
tests/test_dual_sweep.py, tests/test_saga_sweep.py): run a function in a fresh
interpreter, and make a misaligned copy of an array."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np


def in_child(function, *args, timeout=300):
    """``function(*args)`` in a fresh interpreter: a crash fails the test
    (BrokenProcessPool raised here) instead of killing pytest."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(function, *args).result(timeout=timeout)


def misaligned(array):
    """A copy of ``array`` whose data starts one byte past an aligned address."""
    raw = np.zeros(array.nbytes + 1, dtype=np.uint8)
    view = np.frombuffer(raw.data, dtype=array.dtype, offset=1, count=array.size)
    view = view.reshape(array.shape)
    view[...] = array
    return view
