"""sklinear: linear classifiers trained by minibatch SGD, and classic image
features, at home in scikit-learn."""

from . import gradient_check, losses, penalties
from .gradient_check import gradient_check as check_gradient
from .gradient_check import numerical_gradient

__version__ = "0.1.0"

__all__ = [
    "check_gradient",
    "gradient_check",
    "losses",
    "numerical_gradient",
    "penalties",
    "__version__",
]
