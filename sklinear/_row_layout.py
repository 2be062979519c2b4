"""Which dense arrays the compiled extensions read in place.

The C boundaries (``_buffer_check.h``) accept a 2-D array whose rows are
contiguous runs of native, aligned floats and whose row stride is a whole
number of items: any slice of rows of a C-ordered array qualifies, so no
minibatch is copied. The Python callers ask :func:`rows_readable` first and
send anything else to their NumPy paths instead of to a ValueError.
"""

import numpy as np

__all__ = ["readable_rows", "rows_readable"]


def rows_readable(X, dtypes):
    """Whether a compiled kernel can read ``X``'s rows without a copy.

    Parameters
    ----------
    X : object
        The data.
    dtypes : collection of numpy dtypes
        The dtypes the kernel was built for.

    Returns
    -------
    readable : bool

    Examples
    --------
    >>> import numpy as np
    >>> X = np.zeros((6, 3))
    >>> rows_readable(X[::2], [np.dtype(np.float64)])
    True
    >>> rows_readable(np.asfortranarray(X), [np.dtype(np.float64)])
    False
    """
    return (
        isinstance(X, np.ndarray)
        and X.ndim == 2
        and X.dtype in dtypes
        and X.dtype.isnative
        and X.flags.aligned
        and X.strides[0] % X.itemsize == 0
        and (X.shape[1] <= 1 or X.strides[1] == X.itemsize)
    )


def readable_rows(X, dtypes):
    """``X``, or a fresh C-ordered copy where :func:`rows_readable` says no.

    For the compiled per-sample epochs, which read whole rows many times: a
    copy once per solve costs less than rows spread over one cache line per
    feature (Fortran order) or a NumPy fallback.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Of one of ``dtypes`` (native byte order).
    dtypes : collection of numpy dtypes

    Returns
    -------
    X : ndarray

    Examples
    --------
    >>> import numpy as np
    >>> X = np.asfortranarray(np.zeros((6, 3)))
    >>> readable_rows(X, [np.dtype(np.float64)]).flags.c_contiguous
    True
    """
    if rows_readable(X, dtypes):
        return X
    return np.array(X, order="C")  # a fresh, aligned copy
