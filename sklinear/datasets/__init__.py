"""Small image-classification datasets with a fixed train/test split.

Two loaders return the same structure, so an example can switch between them:

- :func:`load_photo_patches`: an offline, CIFAR-sized default built from the
  colour photographs bundled with scikit-image and scikit-learn. Each class is
  one photograph; train and test patches come from disjoint regions of it.
- :func:`load_cifar10`: the real CIFAR-10 ("python version"), read from a
  folder or the downloaded archive. It is never downloaded for you.

Both return a :class:`~sklearn.utils.Bunch` with ``images_train`` /
``images_test`` of shape ``(n, height, width, 3)`` (``uint8``, channels
last), ``data_train`` / ``data_test`` (the same pixels flattened row by row,
``(n, height * width * 3)``), ``target_train`` / ``target_test``,
``target_names`` and ``DESCR``; with ``return_X_y=True`` they return
``X_train, X_test, y_train, y_test`` like
:func:`~sklearn.model_selection.train_test_split`.

Examples
--------
>>> from sklinear.datasets import load_photo_patches
>>> X_train, X_test, y_train, y_test = load_photo_patches(return_X_y=True)
>>> X_train.shape, X_test.shape
((5000, 3072), (1000, 3072))
"""

from ._cifar10 import load_cifar10
from ._photo_patches import PHOTO_NAMES, load_photo_patches

__all__ = ["PHOTO_NAMES", "load_cifar10", "load_photo_patches"]
