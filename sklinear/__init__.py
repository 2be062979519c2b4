"""sklinear: linear classifiers trained by minibatch SGD, and classic image
features, at home in scikit-learn.

The estimators (:class:`LinearSVMClassifier`, :class:`SoftmaxClassifier`,
:class:`HOGFeatures`, :class:`HueHistogram`) are importable from here; the
building blocks live in their modules: :mod:`sklinear.losses`,
:mod:`sklinear.penalties`, :mod:`sklinear.objective`,
:mod:`sklinear.optimize`, :mod:`sklinear.gradient_check`,
:mod:`sklinear.features`, :mod:`sklinear.datasets` and
:mod:`sklinear.persistence`; :mod:`sklinear.scale` (Dask) needs the ``dask``
extra and is imported on its own.
"""

from . import (
    datasets,
    features,
    gradient_check,
    losses,
    objective,
    optimize,
    penalties,
    persistence,
)
from .datasets import load_cifar10, load_photo_patches
from .features import HOGFeatures, HueHistogram
from .gradient_check import numerical_gradient
from .linear_model import LinearSVMClassifier, SoftmaxClassifier

__version__ = "0.1.0"

__all__ = [
    "HOGFeatures",
    "HueHistogram",
    "LinearSVMClassifier",
    "SoftmaxClassifier",
    "datasets",
    "features",
    "gradient_check",
    "load_cifar10",
    "load_photo_patches",
    "losses",
    "numerical_gradient",
    "objective",
    "optimize",
    "penalties",
    "persistence",
    "__version__",
]
