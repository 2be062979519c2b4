"""The images of a demo run: the offline photo patches, or CIFAR-10."""

import functools
import math
from dataclasses import dataclass

import numpy as np

from ..datasets import load_cifar10, load_photo_patches
from .experiments import DEFAULT

__all__ = ["DemoData", "load_data"]


@dataclass
class DemoData:
    """The images of a run, as uint8 rows and as scaled pixels."""

    images_train: np.ndarray
    images_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    target_names: list
    description: str
    overlapping: bool  # training images overlap (patches of the same photos)

    @property
    def n_classes(self):
        return len(self.target_names)

    @property
    def image_shape(self):
        return self.images_train.shape[1:]

    @property
    def rows_train(self):
        return self.images_train.reshape(len(self.images_train), -1)

    @property
    def rows_test(self):
        return self.images_test.reshape(len(self.images_test), -1)

    def pixels(self, rows):
        """Raw pixels scaled to [0, 1], float32."""
        return rows.astype(np.float32) / np.float32(255)


def load_data(settings=DEFAULT, *, n_train=None, n_test=None, seed=0, cifar10=None):
    """The training and test images of a run.

    Parameters
    ----------
    settings : Settings, default=DEFAULT
        Its ``n_train`` and ``n_test`` are the sizes asked for by default.
    n_train, n_test : int, 'all' or None, default=None
        A number of images, exactly (ValueError if the data hold fewer);
        'all' of them (CIFAR-10 only); or None: the settings' number, or all
        the images if the data hold fewer.
    seed : int, default=0
        Seeds the photo patches and the choice of the subsets.
    cifar10 : path-like, default=None
        CIFAR-10 (python version) to read instead of the photo patches.

    Returns
    -------
    data : DemoData

    Raises
    ------
    ValueError or OSError
        For sizes the data cannot provide, or unreadable CIFAR-10 files.
    """
    wanted_train = settings.n_train if n_train is None else n_train
    wanted_test = settings.n_test if n_test is None else n_test
    if cifar10 is not None:
        dataset, name = load_cifar10(cifar10), "CIFAR-10"
    elif "all" in (wanted_train, wanted_test):
        raise ValueError(
            "'all' images needs CIFAR-10: the photo patches are cut "
            "to the number asked for."
        )
    else:
        dataset, name = _photo_patches(wanted_train, wanted_test, seed), "photo patches"
    rng = np.random.default_rng(seed)
    train = _subset(len(dataset.target_train), wanted_train, n_train, "training", rng)
    test = _subset(len(dataset.target_test), wanted_test, n_test, "test", rng)
    images_train = dataset.images_train[train]
    height, width, _ = images_train.shape[1:]
    return DemoData(
        images_train=images_train,
        images_test=dataset.images_test[test],
        y_train=dataset.target_train[train],
        y_test=dataset.target_test[test],
        target_names=[str(name) for name in dataset.target_names],
        description=(
            f"{name}: {len(train)} training and {len(test)} test images, "
            f"{height}x{width} RGB, {len(dataset.target_names)} classes"
        ),
        overlapping=cifar10 is None,
    )


# The gallery's examples run in one process and load the same patches.
@functools.lru_cache(maxsize=2)
def _photo_patches(n_train, n_test, seed):
    return load_photo_patches(
        n_train_per_class=math.ceil(n_train / 10),
        n_test_per_class=math.ceil(n_test / 10),
        random_state=seed,
    )


def _subset(n_available, n_wanted, asked, what, rng):
    """Indices of a random subset of ``n_wanted`` rows ('all': every row).

    A default size (``asked`` is None) shrinks to what the data hold.
    """
    if n_wanted == "all" or (asked is None and n_wanted >= n_available):
        return np.arange(n_available)
    if n_wanted > n_available:
        raise ValueError(
            f"{n_wanted} {what} images asked for, but the data hold only {n_available}."
        )
    if n_wanted == n_available:
        return np.arange(n_available)
    return np.sort(rng.choice(n_available, size=n_wanted, replace=False))
