"""The one place that imports scikit-learn's private helpers.

They are worth it (parameter validation with sklearn's own messages, and the
sample weight checks), and keeping them here makes a future change a one-file
fix.
"""

import inspect

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight

__all__ = [
    "ALL_ZERO_WEIGHTS_OK",
    "Interval",
    "StrOptions",
    "_check_sample_weight",
    "_fit_context",
]

# scikit-learn 1.7 rejects all-zero sample weights unless told not to; 1.6
# accepts them and has no such keyword.
ALL_ZERO_WEIGHTS_OK = (
    {"allow_all_zero_weights": True}
    if "allow_all_zero_weights" in inspect.signature(_check_sample_weight).parameters
    else {}
)
