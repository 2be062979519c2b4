"""The train/test Bunch that every loader returns."""

import numpy as np
from sklearn.utils import Bunch


def split_bunch(
    *,
    images_train,
    target_train,
    images_test,
    target_test,
    target_names,
    descr,
    return_X_y,
    **extra,
):
    """Package a train/test split the same way for every loader."""
    data_train = images_train.reshape(len(images_train), -1)
    data_test = images_test.reshape(len(images_test), -1)
    if return_X_y:
        return data_train, data_test, target_train, target_test
    return Bunch(
        data_train=data_train,
        images_train=images_train,
        target_train=target_train,
        data_test=data_test,
        images_test=images_test,
        target_test=target_test,
        target_names=np.asarray(target_names),
        DESCR=descr,
        **extra,
    )
