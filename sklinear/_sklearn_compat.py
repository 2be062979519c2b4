"""The one place that imports scikit-learn's private helpers.

They are worth it (parameter validation with sklearn's own messages, and the
sample weight checks), and keeping them here makes a future change a one-file
fix.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight

__all__ = ["Interval", "StrOptions", "_check_sample_weight", "_fit_context"]
