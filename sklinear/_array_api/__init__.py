"""Array API support of the classifiers (PyTorch, CuPy, array-api-strict, ...).

Private: :mod:`sklinear.linear_model` calls :func:`dispatches` at the start
of its methods and hands array API inputs to the functions here.
"""

from ._estimator import (
    decision_function,
    dispatches,
    fit,
    partial_fit,
    predict,
    predict_log_proba,
    predict_proba,
)

__all__ = [
    "decision_function",
    "dispatches",
    "fit",
    "partial_fit",
    "predict",
    "predict_log_proba",
    "predict_proba",
]
