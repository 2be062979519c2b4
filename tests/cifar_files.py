"""Tiny CIFAR-10 data sets in the real "python version" format, for tests."""

import pickle
import tarfile

import numpy as np

LABEL_NAMES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]
BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def to_cifar_rows(images):
    """(n, 32, 32, 3) -> CIFAR's (n, 3072) rows: red plane, green, blue."""
    return images.transpose(0, 3, 1, 2).reshape(len(images), -1)


def write_cifar_folder(root, n_per_batch=20, n_test=None, protocol=2):
    """Write ``root/cifar-10-batches-py``; return it and {batch: (images, labels)}.

    Labels cycle through the 10 classes in a random order, so every batch
    holds every class when it has at least 10 images.
    """
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    written = {}
    for name in BATCHES:
        n = n_test if name == "test_batch" and n_test is not None else n_per_batch
        images = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
        labels = rng.permutation(np.arange(n) % 10).tolist()
        batch = {
            b"batch_label": name.encode(),
            b"labels": labels,
            b"data": to_cifar_rows(images),
            b"filenames": [b"img%d.png" % i for i in range(n)],
        }
        with open(folder / name, "wb") as file:
            pickle.dump(batch, file, protocol=protocol)
        written[name] = images, labels
    meta = {
        b"label_names": [name.encode() for name in LABEL_NAMES],
        b"num_cases_per_batch": n_per_batch,
        b"num_vis": 3072,
    }
    with open(folder / "batches.meta", "wb") as file:
        pickle.dump(meta, file, protocol=protocol)
    return folder, written


def write_cifar_archive(root, folder_root=None, **kwargs):
    """Write ``root/cifar-10-python.tar.gz`` (its folder under ``folder_root``,
    default ``root``); return the archive and {batch: (images, labels)}."""
    folder, written = write_cifar_folder(folder_root or root, **kwargs)
    archive = root / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
    return archive, written
