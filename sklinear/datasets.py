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

import codecs
import functools
import gzip
import numbers
import os
import pickle
import tarfile
import zlib
from pathlib import Path

import numpy as np
import skimage.data
from sklearn.datasets import load_sample_image
from sklearn.utils import Bunch, check_random_state, check_scalar

__all__ = ["PHOTO_NAMES", "load_cifar10", "load_photo_patches"]


def _split_bunch(
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


# ---------------------------------------------------------------------------
# Patches of bundled photographs
# ---------------------------------------------------------------------------

# (class name, loader, integer downscale factor). All of these ship inside the
# scikit-image / scikit-learn wheels, so no network access is needed. The two
# large photographs are shrunk so that a patch covers a similar share of the
# scene as in the others (otherwise retina patches are mostly flat orange).
_PHOTOS = (
    ("astronaut", skimage.data.astronaut, 1),
    ("chelsea", skimage.data.chelsea, 1),
    ("coffee", skimage.data.coffee, 1),
    ("rocket", skimage.data.rocket, 1),
    ("hubble_deep_field", skimage.data.hubble_deep_field, 2),
    ("immunohistochemistry", skimage.data.immunohistochemistry, 1),
    ("retina", skimage.data.retina, 3),
    ("motorcycle", lambda: skimage.data.stereo_motorcycle()[0], 1),
    ("china", lambda: load_sample_image("china.jpg"), 1),
    ("flower", lambda: load_sample_image("flower.jpg"), 1),
)
PHOTO_NAMES = tuple(name for name, _, _ in _PHOTOS)

# Patches whose grey-level standard deviation is below this (on the 0-255
# scale) are flat sky, black borders or blur: they carry no class information
# and are identical across photographs, so they are never sampled.
_MIN_PATCH_STD = 6.0

_PHOTO_PATCHES_DESCR = f"""\
Photo patches
-------------

Square RGB patches (uint8, 0-255, channels last) cut from 10 colour
photographs that ship with scikit-image (astronaut, chelsea, coffee, rocket,
hubble_deep_field, immunohistochemistry, retina, motorcycle =
stereo_motorcycle left view) and scikit-learn (china, flower). The class of a
patch is the photograph it comes from; ``target_names`` are the photo names.
retina is downscaled 3x and hubble_deep_field 2x by block averaging.

Each photograph is tiled into square regions of twice the patch size. A
``test_size`` share of the regions, drawn at random, is held out: train
patches lie entirely inside train regions and test patches entirely inside
test regions, so no pixel is shared between the splits. Patch positions are
drawn without replacement among those whose grey-level standard deviation
is at least {_MIN_PATCH_STD} (flat sky and black borders are skipped).
``origins_train`` and ``origins_test`` hold the (row, column) of each patch's
top-left corner in its (downscaled) photograph. Both splits are shuffled.
Training patches of one region can overlap, so cross-validation folds of
the training split share pixels and score optimistically; for folds that do
not, group the patches by region, e.g. ``origins_train // (2 * patch_size)``
with the class, in ``GroupKFold``.

Photographs: scikit-image sample data (see the skimage.data docstrings for
sources and licences) and scikit-learn's china.jpg / flower.jpg (CC-BY 2.0,
Flickr users danielbuechele and vultilion).
"""


@functools.lru_cache(maxsize=1)
def _load_photos():
    """The source photographs as read-only uint8 arrays, in class order."""
    photos = []
    for _, load, factor in _PHOTOS:
        photo = _downscale(np.asarray(load(), dtype=np.uint8), factor)
        photo.setflags(write=False)  # cached and shared between calls
        photos.append(photo)
    return tuple(photos)


def _downscale(image, factor):
    """Shrink an HxWx3 image by an integer factor, averaging factor^2 blocks."""
    if factor == 1:
        return image
    height = image.shape[0] // factor * factor
    width = image.shape[1] // factor * factor
    blocks = image[:height, :width].reshape(
        height // factor, factor, width // factor, factor, image.shape[2]
    )
    return blocks.mean(axis=(1, 3)).round().astype(np.uint8)


def _window_std(gray, size):
    """Standard deviation of every size x size window, indexed by top-left corner.

    Uses integral images, so it costs O(pixels) whatever the window size.
    """
    padded = np.pad(gray.astype(np.float64), ((1, 0), (1, 0)))
    sums = padded.cumsum(axis=0).cumsum(axis=1)
    sums_sq = (padded**2).cumsum(axis=0).cumsum(axis=1)

    def window_sum(s):
        return s[size:, size:] - s[:-size, size:] - s[size:, :-size] + s[:-size, :-size]

    mean = window_sum(sums) / size**2
    variance = window_sum(sums_sq) / size**2 - mean**2
    return np.sqrt(np.maximum(variance, 0.0))  # clip rounding noise below 0


@functools.lru_cache(maxsize=16)
def _informative_positions(photo_index, patch_size):
    """Mask of the top-left corners whose patch is not nearly flat (cached)."""
    gray = _load_photos()[photo_index].mean(axis=2)
    informative = _window_std(gray, patch_size) >= _MIN_PATCH_STD
    informative.setflags(write=False)
    return informative


def _split_regions(shape, region_size, test_size, rng, name):
    """Top-left corners of the train regions and of the test regions."""
    n_rows, n_cols = shape[0] // region_size, shape[1] // region_size
    n_regions = n_rows * n_cols
    n_test = round(test_size * n_regions)
    if not 0 < n_test < n_regions:
        raise ValueError(
            f"Photo {name!r} ({shape[0]} x {shape[1]} pixels) holds "
            f"{n_regions} regions of {region_size} x {region_size} pixels "
            f"(twice the patch size); test_size={test_size} of them gives "
            f"{n_test} test regions. Expected at least one train and one test "
            "region: use a smaller patch_size or a test_size closer to 0.5."
        )
    # Centre the grid so the unused margin is split evenly between the sides.
    top = (shape[0] - n_rows * region_size) // 2
    left = (shape[1] - n_cols * region_size) // 2
    rows, cols = np.divmod(rng.permutation(n_regions), n_cols)
    corners = np.column_stack([top + rows * region_size, left + cols * region_size])
    return corners[n_test:], corners[:n_test]


def _draw_origins(region_corners, region_size, patch_size, allowed, n, rng, what):
    """Draw n distinct patch corners lying inside the given regions.

    ``allowed[r, c]`` says whether the patch with top-left corner (r, c) may
    be used at all.
    """
    offsets = np.arange(region_size - patch_size + 1)
    offset_rows, offset_cols = np.meshgrid(offsets, offsets, indexing="ij")
    offsets_2d = np.column_stack([offset_rows.ravel(), offset_cols.ravel()])
    candidates = (region_corners[:, None, :] + offsets_2d[None]).reshape(-1, 2)
    candidates = candidates[allowed[candidates[:, 0], candidates[:, 1]]]
    if len(candidates) < n:
        raise ValueError(
            f"{what} has only {len(candidates)} distinct non-flat patch "
            f"positions, fewer than the {n} requested. Ask for fewer patches "
            "per class or a smaller patch_size."
        )
    return candidates[rng.choice(len(candidates), size=n, replace=False)]


def _cut_patches(photo, origins, patch_size):
    """Copy the patches with the given top-left corners: (n, size, size, 3)."""
    # windows[r, c] is the (3, size, size) patch at (r, c): a view, no copy.
    windows = np.lib.stride_tricks.sliding_window_view(
        photo, (patch_size, patch_size), axis=(0, 1)
    )
    patches = windows[origins[:, 0], origins[:, 1]]  # the copy happens here
    return np.ascontiguousarray(patches.transpose(0, 2, 3, 1))


def load_photo_patches(
    *,
    patch_size=32,
    n_train_per_class=500,
    n_test_per_class=100,
    test_size=0.25,
    random_state=0,
    return_X_y=False,
):
    """Load CIFAR-like RGB patches of 10 photographs bundled offline.

    Each class is one colour photograph shipped with scikit-image or
    scikit-learn (``target_names`` are the photo names). Every photograph is
    tiled into regions of ``2 * patch_size`` pixels; a ``test_size`` share of
    the regions is held out, and train and test patches are cut only from
    their own regions, so the two splits share no pixel. Nearly flat patches
    (sky, black borders) are skipped. Nothing is downloaded.

    Parameters
    ----------
    patch_size : int, default=32
        Side of the square patches in pixels. 32 matches CIFAR-10.
    n_train_per_class : int, default=500
        Number of training patches cut from each photograph.
    n_test_per_class : int, default=100
        Number of test patches cut from each photograph.
    test_size : float, default=0.25
        Share of each photograph's regions held out for the test patches,
        strictly between 0 and 1.
    random_state : int, RandomState instance or None, default=0
        Seeds the choice of test regions, the patch positions and the
        shuffling. An int gives the same dataset on every call; None gives a
        different one each time.
    return_X_y : bool, default=False
        If True, return ``(X_train, X_test, y_train, y_test)`` with the
        flattened ``data_*`` arrays instead of a Bunch.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        With fields

        images_train, images_test : ndarray of shape (n, patch_size, patch_size, 3)
            uint8 RGB patches, values 0-255, channels last.
        data_train, data_test : ndarray of shape (n, patch_size * patch_size * 3)
            The same patches flattened in C order (row, column, channel); a
            reshaped view sharing memory with ``images_*``.
        target_train, target_test : ndarray of shape (n,)
            int64 class index into ``target_names``.
        origins_train, origins_test : ndarray of shape (n, 2)
            (row, column) of each patch's top-left corner in its photograph
            (after downscaling).
        target_names : ndarray of str, shape (10,)
            Photo names, see ``PHOTO_NAMES``.
        DESCR : str
            Description of the dataset.

        Both splits are shuffled; ``n`` is ``10 * n_train_per_class`` or
        ``10 * n_test_per_class``.
    (X_train, X_test, y_train, y_test) : tuple of ndarrays
        If ``return_X_y`` is True.

    See Also
    --------
    load_cifar10 : The real CIFAR-10, returned with the same structure.

    Examples
    --------
    >>> from sklinear.datasets import load_photo_patches
    >>> patches = load_photo_patches()
    >>> patches.images_train.shape, patches.images_train.dtype
    ((5000, 32, 32, 3), dtype('uint8'))
    >>> patches.data_test.shape
    (1000, 3072)
    >>> patches.target_names[:4].tolist()
    ['astronaut', 'chelsea', 'coffee', 'rocket']
    >>> small = load_photo_patches(patch_size=16, n_train_per_class=50,
    ...                            n_test_per_class=20, return_X_y=True)
    >>> [a.shape for a in small]
    [(500, 768), (200, 768), (500,), (200,)]
    """
    check_scalar(patch_size, "patch_size", numbers.Integral, min_val=2)
    check_scalar(n_train_per_class, "n_train_per_class", numbers.Integral, min_val=1)
    check_scalar(n_test_per_class, "n_test_per_class", numbers.Integral, min_val=1)
    check_scalar(
        test_size,
        "test_size",
        numbers.Real,
        min_val=0,
        max_val=1,
        include_boundaries="neither",
    )
    if not 0 < test_size < 1:  # NaN passes check_scalar
        raise ValueError(
            f"test_size must be strictly between 0 and 1, got {test_size}."
        )
    rng = check_random_state(random_state)
    region_size = 2 * patch_size

    splits = {"train": ([], [], []), "test": ([], [], [])}  # images, target, origins
    for label, (name, photo) in enumerate(zip(PHOTO_NAMES, _load_photos())):
        train_regions, test_regions = _split_regions(
            photo.shape, region_size, test_size, rng, name
        )
        informative = _informative_positions(label, patch_size)
        for split, regions, n in (
            ("train", train_regions, n_train_per_class),
            ("test", test_regions, n_test_per_class),
        ):
            what = f"The {split} part of photo {name!r}"
            origins = _draw_origins(
                regions, region_size, patch_size, informative, n, rng, what
            )
            images, target, all_origins = splits[split]
            images.append(_cut_patches(photo, origins, patch_size))
            target.append(np.full(n, label, dtype=np.int64))
            all_origins.append(origins.astype(np.int64))

    arrays = {}
    for split, parts in splits.items():
        order = rng.permutation(sum(len(t) for t in parts[1]))
        for field, part in zip(("images", "target", "origins"), parts):
            arrays[f"{field}_{split}"] = np.concatenate(part)[order]
    return _split_bunch(
        **arrays,
        target_names=list(PHOTO_NAMES),
        descr=_PHOTO_PATCHES_DESCR,
        return_X_y=return_X_y,
    )


# ---------------------------------------------------------------------------
# CIFAR-10
# ---------------------------------------------------------------------------

_CIFAR_FOLDER = "cifar-10-batches-py"
_CIFAR_ARCHIVE = "cifar-10-python.tar.gz"
_CIFAR_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
_CIFAR_FILES = (*_CIFAR_TRAIN_BATCHES, "test_batch", "batches.meta")
_CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar.html"

# The only globals a CIFAR batch (a dict of lists, bytes and one uint8 array)
# needs. numpy pickles arrays through these; the module path changed in
# numpy 2 (numpy.core -> numpy._core), so both spellings map to the objects
# that this numpy actually uses. Python 3 writes bytes at pickle protocol <= 2
# as _codecs.encode(str, "latin1"), so re-pickled batches need that too.
_reconstruct = np.empty(0).__reduce__()[0]
_frombuffer = np.empty(1).__reduce_ex__(5)[0]  # pickle protocol 5 arrays
_ALLOWED_PICKLE_GLOBALS = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): codecs.encode,
    # An empty byte string at protocol <= 2 is bytes() (runs no code).
    ("__builtin__", "bytes"): bytes,
    ("builtins", "bytes"): bytes,
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
}


class _ForbiddenGlobalError(pickle.UnpicklingError):
    """A pickle asked for a global outside the allowlist."""


class _CifarUnpickler(pickle.Unpickler):
    """Unpickler that refuses every global but numpy's array rebuilding.

    A pickle can run arbitrary code through the globals it references; a
    genuine CIFAR batch only references numpy's array reconstruction.
    """

    def __init__(self, file, source):
        super().__init__(file, encoding="bytes")  # keys were Python 2 str
        self.source = source

    def find_class(self, module, name):
        try:
            return _ALLOWED_PICKLE_GLOBALS[module, name]
        except KeyError:
            raise _ForbiddenGlobalError(
                f"{self.source} references the global '{module}.{name}', which a "
                "CIFAR-10 batch never does (it only holds lists, bytes and numpy "
                "arrays); refusing to load it."
            ) from None


def _unpickle_cifar_file(file, source):
    """Load one CIFAR pickle and return it as a dict with str keys."""
    try:
        content = _CifarUnpickler(file, source).load()
    except _ForbiddenGlobalError:
        raise
    except Exception as exc:  # truncated, corrupt or not a pickle at all
        raise ValueError(f"{source} is not a readable CIFAR-10 pickle: {exc}") from exc
    if not isinstance(content, dict):
        raise ValueError(
            f"{source} holds a {type(content).__name__}; expected a dict as in "
            "the CIFAR-10 python version."
        )
    return {
        key.decode("latin-1") if isinstance(key, bytes) else key: value
        for key, value in content.items()
    }


def _read_cifar_folder(folder):
    """Unpickle the CIFAR files of an extracted ``cifar-10-batches-py``."""
    missing = [name for name in _CIFAR_FILES if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"CIFAR-10 folder '{folder}' lacks {', '.join(missing)}; expected "
            f"the files {', '.join(_CIFAR_FILES)}."
        )
    contents = {}
    for name in _CIFAR_FILES:
        with open(folder / name, "rb") as file:
            contents[name] = _unpickle_cifar_file(file, f"'{folder / name}'")
    return contents


def _read_cifar_archive(archive):
    """Unpickle the CIFAR files straight out of the .tar.gz, in one pass."""
    try:
        return _unpickle_cifar_members(archive)
    except (EOFError, tarfile.TarError, zlib.error, gzip.BadGzipFile) as exc:
        # A download cut short ends the compressed stream early.
        raise ValueError(
            f"'{archive}' is truncated or corrupt ({type(exc).__name__}: {exc}); "
            f"download {_CIFAR_ARCHIVE} again from {_CIFAR_URL}"
        ) from exc


def _unpickle_cifar_members(archive):
    if not tarfile.is_tarfile(archive):
        raise ValueError(
            f"'{archive}' is not a tar archive; expected '{_CIFAR_ARCHIVE}', a "
            f"'{_CIFAR_FOLDER}' folder or the folder containing either."
        )
    contents = {}
    # Iterate rather than look members up: a gzip stream cannot seek back
    # cheaply, and iterating reads the archive exactly once.
    with tarfile.open(archive, "r:*") as tar:
        for member in tar:
            name = os.path.basename(member.name)
            if member.isfile() and name in _CIFAR_FILES and name not in contents:
                source = f"'{member.name}' in '{archive}'"
                contents[name] = _unpickle_cifar_file(tar.extractfile(member), source)
    missing = [name for name in _CIFAR_FILES if name not in contents]
    if missing:
        raise FileNotFoundError(
            f"CIFAR-10 archive '{archive}' lacks {', '.join(missing)}; expected "
            f"the files {', '.join(_CIFAR_FILES)} (in '{_CIFAR_FOLDER}/')."
        )
    return contents


def _read_cifar(path):
    """Find the CIFAR files at ``path`` (folder, parent folder or archive)."""
    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            f"CIFAR-10 not found at '{path}': no such file or folder. Expected "
            f"the '{_CIFAR_FOLDER}' folder, the folder containing it, or "
            f"'{_CIFAR_ARCHIVE}'. It is never downloaded for you; get the "
            f"python version from {_CIFAR_URL}"
        )
    if path.is_file():
        return _read_cifar_archive(path)
    if (path / _CIFAR_FILES[0]).exists():
        return _read_cifar_folder(path)
    if (path / _CIFAR_FOLDER).is_dir():
        return _read_cifar_folder(path / _CIFAR_FOLDER)
    if (path / _CIFAR_ARCHIVE).is_file():
        return _read_cifar_archive(path / _CIFAR_ARCHIVE)
    raise FileNotFoundError(
        f"Folder '{path}' holds no CIFAR-10 data: expected the files "
        f"{', '.join(_CIFAR_FILES)} in it, or a '{_CIFAR_FOLDER}' subfolder, or "
        f"'{_CIFAR_ARCHIVE}'."
    )


def _cifar_batch_arrays(batch, name, n_classes):
    """Images (n, 32, 32, 3) and labels (n,) of one unpickled batch."""
    if "data" not in batch or "labels" not in batch:
        raise ValueError(
            f"CIFAR-10 batch {name} has keys {sorted(batch)}; expected 'data' "
            "and 'labels'."
        )
    data = np.asarray(batch["data"])
    labels = np.asarray(batch["labels"])
    if labels.dtype.kind not in "iu":
        # bool, float or object labels (e.g. ints too large for int64)
        raise ValueError(
            f"CIFAR-10 batch {name} has labels of dtype {labels.dtype}; expected "
            f"integers, one label in [0, {n_classes}) per image."
        )
    labels = labels.astype(np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise ValueError(
            f"CIFAR-10 batch {name} has data of shape {data.shape} and dtype "
            f"{data.dtype}; expected uint8 rows of 3072 values."
        )
    if labels.shape != (len(data),) or not np.all((labels >= 0) & (labels < n_classes)):
        raise ValueError(
            f"CIFAR-10 batch {name} has {labels.size} labels for {len(data)} "
            f"images; expected one label in [0, {n_classes}) per image."
        )
    # Rows store the red plane, then green, then blue, each 32 x 32 row-major.
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def load_cifar10(path, *, return_X_y=False):
    """Load CIFAR-10 (python version) from a local folder or archive.

    Reads ``data_batch_1`` ... ``data_batch_5`` (50000 training images),
    ``test_batch`` (10000 test images) and ``batches.meta`` (label names).
    Nothing is downloaded: get ``cifar-10-python.tar.gz`` from
    https://www.cs.toronto.edu/~kriz/cifar.html first.

    The files are Python pickles, and unpickling an untrusted file can run
    arbitrary code. Only pass files from a trusted source. As a safeguard
    they are read with an unpickler that refuses every global except the
    few that numpy needs to rebuild an array (and ``_codecs.encode``, which
    Python uses to pickle bytes), so a tampered file fails to load instead
    of running code.

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
        If a file is not a tar archive, a truncated or corrupt one, or not a
        CIFAR-10 pickle.
    pickle.UnpicklingError
        If a pickle references anything but numpy arrays.

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
    contents = _read_cifar(path)
    meta = contents["batches.meta"]
    if "label_names" not in meta:
        raise ValueError(
            f"CIFAR-10 batches.meta has keys {sorted(meta)}; expected 'label_names'."
        )
    target_names = [
        name.decode("utf-8") if isinstance(name, bytes) else str(name)
        for name in meta["label_names"]
    ]
    n_classes = len(target_names)
    train = [
        _cifar_batch_arrays(contents[name], name, n_classes)
        for name in _CIFAR_TRAIN_BATCHES
    ]
    images_test, target_test = _cifar_batch_arrays(
        contents["test_batch"], "test_batch", n_classes
    )
    return _split_bunch(
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
