"""The one place that imports scikit-learn's private helpers and new APIs.

They are worth it (parameter validation with sklearn's own messages, the
sample weight checks, callbacks), and keeping them here makes a future change
a one-file fix.
"""

import inspect
import numbers

from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    generate_invalid_param_val,
    validate_parameter_constraints,
    validate_params,
)
from sklearn.utils.validation import _check_feature_names_in, _check_sample_weight

try:  # scikit-learn >= 1.9: array API helpers with move_to and check_same_namespace
    from sklearn.utils._array_api import (
        _is_numpy_namespace,
        _max_precision_float_dtype,
        check_same_namespace,
        device,
        get_namespace,
        get_namespace_and_device,
        move_to,
        size,
    )

    HAS_ARRAY_API_HELPERS = True
except ImportError:  # older scikit-learn: array API inputs are not supported
    HAS_ARRAY_API_HELPERS = False
    _is_numpy_namespace = _max_precision_float_dtype = check_same_namespace = None
    device = get_namespace = get_namespace_and_device = move_to = size = None

try:  # scikit-learn >= 1.9
    from sklearn.callback import CallbackSupportMixin
except ImportError:

    class CallbackSupportMixin:
        """Stand-in for scikit-learn < 1.9, which has no ``sklearn.callback``:
        the classifiers then have no ``set_callbacks``, and their fits skip the
        callback hooks (``sklinear._callbacks`` checks for
        ``_init_callback_context``)."""


__all__ = [
    "ALL_ZERO_WEIGHTS_OK",
    "HAS_ARRAY_API_HELPERS",
    "CallbackSupportMixin",
    "Interval",
    "InvalidParameterError",
    "PositiveIntegers",
    "StrOptions",
    "_check_feature_names_in",
    "_check_sample_weight",
    "_fit_context",
    "_is_numpy_namespace",
    "_max_precision_float_dtype",
    "check_same_namespace",
    "device",
    "get_namespace",
    "get_namespace_and_device",
    "move_to",
    "size",
    "generate_invalid_param_val",
    "validate_parameter_constraints",
    "validate_params",
]

# scikit-learn 1.7 rejects all-zero sample weights unless told not to; 1.6
# accepts them and has no such keyword.
ALL_ZERO_WEIGHTS_OK = (
    {"allow_all_zero_weights": True}
    if "allow_all_zero_weights" in inspect.signature(_check_sample_weight).parameters
    else {}
)


class PositiveIntegers(Options):
    """Constraint: a tuple or list of ``lengths`` integers of at least ``low``.

    For sizes such as ``pixels_per_cell=(8, 8)`` or ``image_shape=(32, 32, 3)``,
    which scikit-learn's constraints cannot express. It subclasses ``Options``
    only because ``make_constraint`` accepts no constraint classes but its own.
    """

    def __init__(self, lengths, low=1):
        super().__init__(tuple, set())
        self.lengths = tuple(lengths)
        self.low = low

    def is_satisfied_by(self, val):
        return (
            isinstance(val, tuple | list)
            and len(val) in self.lengths
            and all(
                isinstance(size, numbers.Integral)
                and not isinstance(size, bool)
                and size >= self.low
                for size in val
            )
        )

    def __str__(self):
        counts = " or ".join(str(length) for length in self.lengths)
        return f"a tuple of {counts} integers >= {self.low}"
