"""One BLAS thread for the statistics a fit derives from the data once.

A product's rounding can depend on how OpenBLAS splits it between threads, so
the centering row, the preconditioner and the curvature estimate (read once
per fit, and steering every step) would make the model depend on the BLAS
thread count: a fit in a joblib worker (one thread) would differ in the last
bits from the same fit in the parent. Computed on one thread they are the
same everywhere. The steps' own products go through the compiled pass, whose
results do not depend on its threads (see ``sklinear._fused_pass``).
"""

import functools

from threadpoolctl import ThreadpoolController

_controller = None


def _blas_controller():
    # Built once: scanning the loaded libraries costs about 0.3 ms, a limit
    # on a built controller about 10 us.
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller


def one_blas_thread(function):
    """Run ``function`` with BLAS limited to one thread."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with _blas_controller().limit(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return wrapper
