"""sklinear: linear classifiers trained by minibatch SGD, and classic image
features, at home in scikit-learn."""

from . import gradient_check, losses, objective, optimize, penalties
from .gradient_check import numerical_gradient
from .linear_model import LinearSVMClassifier, SoftmaxClassifier

__version__ = "0.1.0"

__all__ = [
    "LinearSVMClassifier",
    "SoftmaxClassifier",
    "gradient_check",
    "losses",
    "numerical_gradient",
    "objective",
    "optimize",
    "penalties",
    "__version__",
]
