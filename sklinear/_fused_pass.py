"""The fused minibatch pass of ``_fused.c``, behind a checked boundary.

:func:`fused_loss_gradient` computes what ``LinearObjective.loss_gradient``
computes with two BLAS products (scores, loss, ``dscores.T @ X``, column sums
of ``dscores``) in one pass over the batch's rows. The compiled function
takes the arrays through the buffer protocol and checks their dtypes, shapes,
strides and every label itself, raising ValueError for anything that does not
fit, so no call can read or write out of bounds.

:func:`prepare` makes the decisions that hold for a whole fit once, when the
objective is built (dense float32 or float64 rows, labels as a contiguous
integer array); a :class:`FusedPass` then only makes O(1) decisions per
minibatch, among them whether the kernel is faster than the NumPy/BLAS path
for the batch's shape (:func:`kernel_is_faster`, from
``benchmarks/bench_kernel.py``). It answers None where the fused pass does
not apply, and the caller falls back to NumPy and BLAS: when the compiled
extension is missing (a build without a C compiler), for sparse data, for
other dtypes, for rows that are not contiguous in memory, and for more than
``MAX_CLASSES`` classes.

Results do not depend on the number of threads: the kernel cuts each batch
into blocks of rows fixed by the batch's shape and adds their sums in a fixed
order. The thread limit follows threadpoolctl (user_api ``"sklinear"``,
internal_api ``"sklinear_fused"``), e.g. ``threadpool_limits(1)``, and
defaults to the CPUs the process may use, at most ``OMP_NUM_THREADS``. The
calling thread works with helper threads from a pool that starts on first
use and sleeps between calls (no thread is created per call); a forked child
starts without helpers and makes its own.
"""

import ctypes
import functools

import numpy as np

from ._row_layout import rows_readable

try:
    from . import _fused
except ImportError:  # built without a C compiler
    _fused = None

__all__ = [
    "FusedPass",
    "fused_available",
    "fused_loss_gradient",
    "kernel_is_faster",
    "prepare",
    "thread_limit",
]

MAX_CLASSES = 0 if _fused is None else _fused.MAX_CLASSES
_LOSS_KINDS = (
    {} if _fused is None else {"hinge": _fused.HINGE, "softmax": _fused.SOFTMAX}
)
_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

# Tests and benchmarks switch the fused pass off to compare it with NumPy.
enabled = True


@functools.cache
def _limit_getter():
    return ctypes.CDLL(_fused.__file__).sklinear_fused_get_num_threads


def thread_limit():
    """The compiled code's thread limit (threadpoolctl's ``"sklinear"``
    user_api, at most OMP_NUM_THREADS or the usable CPUs by default); 1
    without the extension. The CSR products follow it too."""
    return 1 if _fused is None else max(1, int(_limit_getter()()))


def fused_available():
    """Whether the compiled fused pass was built and is switched on."""
    return _fused is not None and enabled


def _takes(X):
    """Whether the kernel can read ``X``'s rows (and so any slice of them)."""
    return _fused is not None and rows_readable(X, _DTYPES)


def kernel_is_faster(n_rows, n_features, n_classes, dtype):
    """Whether the kernel beats the NumPy/BLAS path on a batch of this shape.

    A function of the shape and dtype alone, not of the thread count: which
    path computes a step must not depend on the threads, or the results
    would (the two paths round differently). The limits come from
    ``benchmarks/bench_kernel.py`` (kernel against NumPy/BLAS, interleaved,
    at 1 and 2 threads on a 2-CPU AMD EPYC VM; where the faster path
    differed between the thread counts, the limit lies between). With few
    rows NumPy's fixed cost per call decides; with many, the kernel's cost
    per row and class outside the products (its horizontal sums, the loss)
    makes it lose at fewer classes when rows are short, and BLAS's blocked
    products win at many classes.

    Parameters
    ----------
    n_rows, n_features, n_classes : int
        The shape of the batch and of ``W``.
    dtype : numpy dtype
        float32 or float64.

    Returns
    -------
    faster : bool
    """
    if n_classes > MAX_CLASSES:
        return False
    # float32 32 x 3072 x 48: 0.65x BLAS's time on 1 thread, 0.97x on 2 (x 64:
    # 0.73x and 1.15x) in the eighth session's sweep; 1.2x-1.4x on 2 threads
    # in earlier sessions' sweeps.
    if dtype == np.float64:
        return n_classes <= _float64_limit(n_rows, n_features)
    if n_rows <= 64:
        return n_features < 1024 or n_classes <= 48
    # From a sweep whose two-thread rounds of the kernel follow 0.1 s of
    # untimed calls, as in a fit's back-to-back steps (with 10 ms, most such
    # rounds ran at about one thread's speed, and earlier rules sent shapes
    # to BLAS on that evidence): the kernel where it took at most about
    # BLAS's time on both one and two threads. Short rows lose at more
    # classes (256 x 100 x 16: 1.02x-1.03x, 666 x 100 x 10: 1.10x-1.26x,
    # 2048 x 100 x 3: 1.09x on two threads); 256 x 500 x 24 and x 32 took
    # 0.87x-1.02x, 256 x 3072 x 24 0.80x-0.93x, 2048 x 3072 x 48 0.92x-1.01x
    # in two such sweeps, but 666 x 500 x 16 and 2048 x 500 x 16 took 0.96x
    # and 1.02x on one thread in the first and 1.14x and 1.13x in the second.
    if n_features < 256:
        limit = 10 if n_rows <= 384 else 5 if n_rows <= 1024 else 2
    elif n_features < 1024:
        limit = 32 if n_rows <= 384 else 10
    else:
        limit = 24 if n_rows <= 1024 else 48
    return n_classes <= limit


def _float64_limit(n_rows, n_features):
    """The most classes for which the kernel takes a float64 batch: where it
    took at most about BLAS's time on one and two threads in a float64 sweep
    with warmed two-thread rounds (eighth session). The rule before sent 256 x
    3,072 x 16 to 32 to the kernel at 1.11x-1.50x BLAS's time, and 2048 x
    100 x 16 to 48 at 1.07x-1.20x on one thread."""
    if n_rows <= 64:  # 32 x 500 x 64: 1.05x, 32 x 3072 x 32: 1.04x on two
        return MAX_CLASSES if n_features < 256 else 48 if n_features < 1024 else 24
    if n_features < 256:  # 256 x 100 x 24: 1.04x on two, 666 x 100 x 10: 1.05x
        # (2048 x 100 x 10: 0.88x-0.91x on one thread, 0.65x-0.69x on two)
        return 16 if n_rows <= 384 else 5 if n_rows <= 1024 else 10
    if n_features < 1024:  # 256 x 500 x 48: 1.01x, 666 x 500 x 32: 1.02x,
        # 2048 x 500 x 64: 1.02x-1.06x on one thread (0.93x on two)
        return 32 if n_rows <= 384 else 24 if n_rows <= 1024 else 48
    # 256 x 3072 x 16: 1.11x-1.30x, 666 x 3072 x 32: 1.02x-1.08x, 2048 x 3072
    # x 48: 1.05x on one thread
    return 10 if n_rows <= 384 else 24 if n_rows <= 1024 else 32


class FusedPass:
    """The fused pass for one data set, prepared by :func:`prepare`.

    Parameters
    ----------
    dtype : numpy dtype
        The data's dtype (float32 or float64).
    labels : ndarray of shape (n_samples,)
        Class indices, contiguous, of the platform's integer type.
    loss : {'hinge', 'softmax'}
    """

    def __init__(self, dtype, labels, loss):
        self.dtype = dtype
        self.labels = labels
        self.loss_kind = _LOSS_KINDS[loss]

    def __call__(self, X, rows, W, shift, factors, margin, memory=None, out=None):
        """Loss and gradients of the batch ``X = X_all[rows]``, or None.

        Parameters
        ----------
        X : ndarray of shape (n_rows, n_features)
            The batch: rows of the prepared data.
        rows : slice or ndarray
            Which rows (to pick their labels).
        W : ndarray of shape (n_classes, n_features)
        shift : ndarray of shape (n_classes,) or scalar
            Added to every row of ``X @ W.T``.
        factors : ndarray of shape (n_rows,)
            Each row's weight in the loss, in ``X``'s dtype.
        margin : float
            The hinge loss's margin.
        memory : ndarray of shape (n_rows, n_classes), default=None
            SAGA's memory of the rows' weighted score gradients (C-contiguous,
            in ``X``'s dtype): the gradients are then those of the new score
            gradients minus the memory, which they replace (in place). Its
            rows must sum to 0, as score gradients do (the kernel computes
            the gradient's last row from the others).
        out : tuple of ndarray, default=None
            ``(grad_W, grad_b)`` to write the gradients into (C-contiguous,
            in ``X``'s dtype); None makes them.

        Returns
        -------
        result : tuple (loss, grad_W, grad_b), or None
            None when the NumPy/BLAS path is to be used instead (``memory``
            is then unchanged).
        """
        n_classes = W.shape[0]
        if not (enabled and W.dtype == self.dtype and 1 <= n_classes <= MAX_CLASSES):
            return None
        if not kernel_is_faster(X.shape[0], X.shape[1], n_classes, self.dtype):
            return None
        return _run(X, self.labels[rows], W, _as_shift(shift, n_classes, self.dtype),
                    factors, self.loss_kind, margin, memory, out)  # fmt: skip


def prepare(X, y, loss):
    """The fused pass for data ``X`` and labels ``y``, or None if it never applies.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Integer class indices.
    loss : {'hinge', 'softmax'}

    Returns
    -------
    fused_pass : FusedPass or None
    """
    if not (_takes(X) and loss in _LOSS_KINDS):
        return None
    return FusedPass(X.dtype, np.ascontiguousarray(y, dtype=np.intp), loss)


def _as_shift(shift, n_classes, dtype):
    """``shift`` (an array, or a scalar such as 0 without an intercept) as a
    vector of ``n_classes``: a broadcast view, which the kernel accepts."""
    # As it is where it fits (a broadcast costs 3 us a call).
    fits = isinstance(shift, np.ndarray) and shift.shape == (n_classes,)
    if fits and shift.dtype == dtype:
        return shift
    return np.broadcast_to(np.asarray(shift, dtype=dtype), (n_classes,))


def _run(X, y, W, shift, factors, loss_kind, margin, memory=None, out=None):
    if W.shape[1] > 1 and W.strides[1] != W.itemsize:
        W = np.ascontiguousarray(W)
    if out is None:
        out = np.empty(W.shape, dtype=X.dtype), np.empty(W.shape[0], dtype=X.dtype)
    grad_W, grad_b = out
    value = _fused.loss_gradient(
        X, y, W, shift, factors, grad_W, grad_b, loss_kind, float(margin), memory
    )
    return value, grad_W, grad_b


def fused_loss_gradient(X, y, W, shift, factors, loss, margin):
    """Loss, ``dscores.T @ X`` and column sums of ``dscores``, in one pass.

    Unlike a :class:`FusedPass`, runs the kernel whenever it applies, faster
    or not.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
        The batch (a strided view is fine).
    y : ndarray of shape (n_rows,)
        Integer class indices in ``[0, n_classes)``.
    W : ndarray of shape (n_classes, n_features)
    shift : ndarray of shape (n_classes,) or scalar
        Added to every row of ``X @ W.T``.
    factors : ndarray of shape (n_rows,)
        Each row's weight in the loss.
    loss : {'hinge', 'softmax'}
    margin : float
        The hinge loss's margin.

    Returns
    -------
    result : tuple (loss, grad_W, grad_b), or None
        None when the fused pass does not apply (see the module docstring).

    Raises
    ------
    ValueError
        When the arrays do not fit together (``W``'s width, lengths, dtypes)
        or a label is outside ``[0, n_classes)``.
    """
    if not (fused_available() and _takes(X) and 1 <= W.shape[0] <= MAX_CLASSES):
        return None
    W = np.asarray(W, dtype=X.dtype)
    shift = _as_shift(shift, W.shape[0], X.dtype)
    factors = np.asarray(factors, dtype=X.dtype)
    return _run(X, y, W, shift, factors, _LOSS_KINDS[loss], margin)


def _register_with_threadpoolctl():
    """Let ``threadpool_limits`` and ``threadpool_info`` see the kernel."""
    try:
        import threadpoolctl
    except ImportError:
        return
    if _fused is None or not hasattr(threadpoolctl, "register"):  # before 3.5
        return

    class FusedController(threadpoolctl.LibController):
        """The thread limit of sklinear's fused pass (``sklinear._fused``)."""

        user_api = "sklinear"
        internal_api = "sklinear_fused"
        # threadpoolctl matches loaded libraries by file name prefix only
        # (it reads check_symbols for Windows BLAS alone), so another file
        # named _fused.* may match: the methods look the symbols up and
        # answer None for a library that lacks them.
        filename_prefixes = ("_fused.",)
        check_symbols = (
            "sklinear_fused_get_num_threads",
            "sklinear_fused_set_num_threads",
        )

        def get_num_threads(self):
            get = getattr(self.dynlib, "sklinear_fused_get_num_threads", None)
            return None if get is None else get()

        def set_num_threads(self, num_threads):
            set_ = getattr(self.dynlib, "sklinear_fused_set_num_threads", None)
            return None if set_ is None else set_(int(num_threads))

        def get_version(self):
            from ._versioned import __version__

            return __version__

    threadpoolctl.register(FusedController)


_register_with_threadpoolctl()
