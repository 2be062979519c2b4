"""sklinear: linear classifiers trained by minibatch SGD, and classic image
features, at home in scikit-learn.

The estimators (:class:`LinearSVMClassifier`, :class:`SoftmaxClassifier`,
:class:`HOGFeatures`, :class:`HueHistogram`) are importable from here; the
building blocks live in their modules: :mod:`sklinear.losses`,
:mod:`sklinear.penalties`, :mod:`sklinear.objective`,
:mod:`sklinear.optimize`, :mod:`sklinear.gradient_check`,
:mod:`sklinear.features`, :mod:`sklinear.datasets` and
:mod:`sklinear.persistence`; :mod:`sklinear.scale` (Dask) needs the ``dask``
extra and is imported on its own. :func:`show_versions` prints what a bug
report needs: versions, BLAS and threads, and whether the compiled kernel
(the optional C extension ``sklinear._fused``) is built. Importing sklinear
without that kernel warns, once, a :class:`KernelNotBuiltWarning` that says
why.
"""

from . import (
    _build_status,
    datasets,
    features,
    gradient_check,
    losses,
    objective,
    optimize,
    penalties,
    persistence,
)
from ._build_status import KernelNotBuiltWarning
from ._show_versions import show_versions
from ._versioned import __version__
from .datasets import load_cifar10, load_photo_patches
from .features import HOGFeatures, HueHistogram
from .gradient_check import numerical_gradient
from .linear_model import LinearSVMClassifier, SoftmaxClassifier

# After the imports above, which load the kernel if it is there.
_build_status.warn_if_kernel_missing()

__all__ = [
    "HOGFeatures",
    "HueHistogram",
    "KernelNotBuiltWarning",
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
    "show_versions",
    "__version__",
]
