"""Patches of the photographs bundled with scikit-image and scikit-learn."""

import functools
from numbers import Integral, Real

import numpy as np
import skimage.data
from sklearn.datasets import load_sample_image
from sklearn.utils import check_random_state

from .._sklearn_compat import Interval, validate_params
from ._base import split_bunch

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


@validate_params(
    {
        "patch_size": [Interval(Integral, 2, None, closed="left")],
        "n_train_per_class": [Interval(Integral, 1, None, closed="left")],
        "n_test_per_class": [Interval(Integral, 1, None, closed="left")],
        "test_size": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
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
    return split_bunch(
        **arrays,
        target_names=list(PHOTO_NAMES),
        descr=_PHOTO_PATCHES_DESCR,
        return_X_y=return_X_y,
    )
