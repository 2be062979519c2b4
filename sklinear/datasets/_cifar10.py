"""CIFAR-10 read from local files, never downloaded or unpickled."""

import os

import numpy as np

from .._sklearn_compat import validate_params
from ._base import split_bunch
from ._cifar_files import (
    TRAIN_BATCHES,
    cifar_batch_arrays,
    cifar_label_names,
    read_cifar,
)


@validate_params(
    {"path": [str, os.PathLike], "return_X_y": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def load_cifar10(path, *, return_X_y=False):
    """Load CIFAR-10 (python version) from a local folder or archive.

    Reads ``data_batch_1`` ... ``data_batch_5`` (50000 training images),
    ``test_batch`` (10000 test images) and ``batches.meta`` (label names).
    Nothing is downloaded: get ``cifar-10-python.tar.gz`` from
    https://www.cs.toronto.edu/~kriz/cifar.html first.

    The files are Python pickles, but they are never unpickled (which could
    run any code a file names). A small reader parses the pickle opcodes
    itself and accepts only the structure of the real files, as written by
    Python 2's cPickle or by Python 3 at protocols 2 to 5: a dict of
    byte-string keys to ints, byte strings, lists of ints or of byte strings,
    and one C-order uint8 array of N x 3072 whose bytes are in the file. It
    runs no code and builds nothing but those dicts, lists, ints and bytes
    and that one array. Lengths are checked against the bytes left in the
    file before anything is made, and the objects made are charged against
    a budget of 4 bytes per byte of the file plus 1 MiB. A file of more than
    128 MiB is refused before it is read, and so is an archive that unpacks
    to more than 16 times its size, holds more than 64 members or has a tar
    header of more than 1 MiB.

    Parameters
    ----------
    path : str or path-like
        Where the data is: the extracted ``cifar-10-batches-py`` folder, the
        folder that contains it (or contains the archive), or the
        ``cifar-10-python.tar.gz`` archive itself, which is read in memory
        without extracting it to disk.
    return_X_y : bool, default=False
        If True, return ``(X_train, X_test, y_train, y_test)`` with the
        flattened ``data_*`` arrays instead of a Bunch.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        The same fields as :func:`load_photo_patches` except ``origins_*``:

        images_train, images_test : ndarray of shape (n, 32, 32, 3)
            uint8 RGB images, channels last (converted from CIFAR's
            channels-first rows).
        data_train, data_test : ndarray of shape (n, 3072)
            The images flattened in C order (row, column, channel). This is
            *not* the column order of CIFAR's own rows, which hold the whole
            red plane, then green, then blue.
        target_train, target_test : ndarray of shape (n,)
            int64 class index into ``target_names``.
        target_names : ndarray of str, shape (10,)
            'airplane', 'automobile', ..., 'truck'.
        DESCR : str
            Description of the dataset.
    (X_train, X_test, y_train, y_test) : tuple of ndarrays
        If ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist or holds no (or only part of the) CIFAR-10
        files.
    ValueError
        If a file is not a tar archive, is a truncated, corrupt or oversized
        one, or is not a CIFAR-10 pickle of the structure above (such as a
        pickle that names any other global; the message names the file, the
        byte and the problem).

    See Also
    --------
    load_photo_patches : An offline stand-in with the same structure.

    Examples
    --------
    >>> from sklinear.datasets import load_cifar10
    >>> cifar = load_cifar10("~/data/cifar-10-python.tar.gz")  # doctest: +SKIP
    >>> cifar.images_train.shape, cifar.images_test.shape  # doctest: +SKIP
    ((50000, 32, 32, 3), (10000, 32, 32, 3))

    It is never downloaded; a wrong path says what was expected:

    >>> load_cifar10("no/such/folder")
    Traceback (most recent call last):
    ...
    FileNotFoundError: CIFAR-10 not found at 'no/such/folder': no such file ...
    """
    contents = read_cifar(path)
    target_names = cifar_label_names(contents["batches.meta"])
    n_classes = len(target_names)
    train = [
        cifar_batch_arrays(contents[name], name, n_classes) for name in TRAIN_BATCHES
    ]
    images_test, target_test = cifar_batch_arrays(
        contents["test_batch"], "test_batch", n_classes
    )
    return split_bunch(
        images_train=np.concatenate([images for images, _ in train]),
        target_train=np.concatenate([labels for _, labels in train]),
        images_test=images_test,
        target_test=target_test,
        target_names=target_names,
        descr=_CIFAR_DESCR,
        return_X_y=return_X_y,
    )


_CIFAR_DESCR = """\
CIFAR-10
--------

60000 colour images of 32 x 32 pixels in 10 classes (airplane, automobile,
bird, cat, deer, dog, frog, horse, ship, truck): 50000 training images
(data_batch_1 to data_batch_5) and 10000 test images (test_batch).

Images are uint8 RGB, converted to channels-last (n, 32, 32, 3); data_* are
these images flattened in (row, column, channel) order, which differs from
the channel-planar rows of the original files.

Reference: Alex Krizhevsky, "Learning Multiple Layers of Features from Tiny
Images", technical report, University of Toronto, 2009.
https://www.cs.toronto.edu/~kriz/cifar.html
"""
