"""Shared image-shape handling for the image feature transformers.

Images travel in two forms: image arrays ``(n, H, W)`` (gray) or
``(n, H, W, C)`` (color), and 2-D rows, each a C-order flattened ``H x W`` or
``H x W x C`` image (``C x H x W`` with ``channels_first=True``). Internally
every batch is turned into a 4-D ``(n, H, W, C)`` view (``C == 1`` for gray),
and the work is done in chunks of images whose size comes from a memory
budget, so large inputs never need more than a bounded amount of scratch
memory.
"""

import math
import warnings

import numpy as np
from sklearn import get_config
from sklearn.utils.validation import validate_data

from .._sklearn_compat import validate_parameter_constraints

# Scratch memory allowed per chunk of images (bytes). A module attribute so
# tests can shrink it to exercise the chunk boundaries.
CHUNK_BYTES = 32 * 2**20
# Smaller chunks for per-pixel work, so that its temporaries stay in cache.
CACHE_BYTES = 4 * 2**20


def infer_image_shape(n_features):
    """Image shape ``(H, W)`` or ``(H, W, 3)`` of a row of ``n_features`` values.

    The package's one rule: a perfect square ``s * s`` is a square gray image
    ``(s, s)``, ``3 * s * s`` a square RGB image ``(s, s, 3)``. No number is
    both a square and three times a square, so the rule is unambiguous.
    Anything else is not a recognisable image: None.
    """
    side = math.isqrt(n_features)
    if side * side == n_features:
        return (side, side)
    if n_features % 3 == 0:
        side = math.isqrt(n_features // 3)
        if 3 * side * side == n_features:
            return (side, side, 3)
    return None


def as_image_shape(image_shape):
    """A valid ``image_shape`` parameter as a tuple of ints; one channel is gray."""
    if image_shape is None:
        return None
    shape = tuple(int(size) for size in image_shape)
    return shape[:2] if shape[2:] == (1,) else shape


def as_4d(images, channels_first=False):
    """View an image array ``(n, H, W[, C])`` as ``(n, H, W, C)``.

    With ``channels_first=True`` a 4-D array is read as ``(n, C, H, W)``.
    """
    images = np.asarray(images)
    if images.ndim == 3:
        return images[..., np.newaxis]
    if images.ndim == 4:
        return np.moveaxis(images, 1, -1) if channels_first else images
    raise ValueError(
        "Expected an image array of shape (n_images, H, W) or "
        f"(n_images, H, W, C), got an array of shape {images.shape}."
    )


def rows_to_4d(rows, image_shape, channels_first=False):
    """View 2-D rows of flattened images as ``(n, H, W, C)``."""
    height, width = image_shape[:2]
    n_channels = image_shape[2] if len(image_shape) == 3 else 1
    if channels_first:
        images = rows.reshape(-1, n_channels, height, width)
        return np.moveaxis(images, 1, -1)
    return rows.reshape(-1, height, width, n_channels)


def image_shape_of(images4d):
    """Public image shape ``(H, W)`` or ``(H, W, C)`` of a 4-D batch."""
    height, width, n_channels = images4d.shape[1:]
    return (height, width) if n_channels == 1 else (height, width, n_channels)


def chunk_slices(n_images, bytes_per_image, cache_sized=False):
    """Slices over ``range(n_images)`` whose scratch memory fits the budget.

    The budget is ``CACHE_BYTES`` if ``cache_sized`` else ``CHUNK_BYTES``.
    """
    budget = CACHE_BYTES if cache_sized else CHUNK_BYTES
    chunk_size = max(1, int(budget // max(bytes_per_image, 1)))
    return [
        slice(start, min(start + chunk_size, n_images))
        for start in range(0, n_images, chunk_size)
    ]


def is_8bit(images):
    """True if every value is a whole number in [0, 255] (uint8-exact)."""
    if images.dtype == np.uint8:
        return True
    if images.dtype == np.bool_:
        return True
    if images.size == 0 or images.min() < 0 or images.max() > 255:
        return False
    if np.issubdtype(images.dtype, np.integer):
        return True
    return bool(np.array_equal(images, images.astype(np.uint8)))


def _is_plain_finite(rows):
    """True if ``validate_data(..., dtype="numeric")`` would return ``rows``
    itself: a plain 2-D ndarray of real numbers (or booleans), not empty, with
    no NaN or infinity, outside array API dispatch."""
    if (
        type(rows) is not np.ndarray
        or rows.ndim != 2
        or rows.dtype.kind not in "biuf"
        or rows.size == 0
        or get_config()["array_api_dispatch"]
    ):
        return False
    if rows.dtype.kind != "f":
        return True
    # validate_data's own first test: a finite sum means finite values (an
    # overflowing sum sends the rows to validate_data, which looks closer).
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(rows.sum()))


def working_dtype(dtype):
    """float32 stays float32; every other dtype is computed in float64."""
    return np.float32 if dtype == np.float32 else np.float64


# (transformer class, _settings_key of its settings) that passed validation.
_VALID_SETTINGS = set()


_SCALARS = frozenset({bool, int, float, str, type(None)})


def _settings_key(values):
    """A hashable key, equal only for values of equal types and values.

    Handles None, bools, ints, floats, strings and tuples or lists of them;
    None for anything else (which is then validated every time).
    """
    key = []
    for value in values:
        kind = type(value)
        if kind in _SCALARS:
            key.append((kind, value))
        elif kind in (tuple, list) and all(type(item) in _SCALARS for item in value):
            key.append((kind, tuple((type(item), item) for item in value)))
        else:
            return None
    return tuple(key)


def check_host_images(images, owner):
    """Raise a clear TypeError for images NumPy cannot compute on here.

    The image features are NumPy code (lookup tables, strided views, the
    batched histograms). Arrays of other libraries are therefore refused
    under ``array_api_dispatch=True``, where the array API contract is a
    result in the input's namespace, which these features cannot give; and,
    without dispatch, when ``np.asarray`` cannot read them (device memory,
    e.g. a CUDA tensor). Without dispatch, arrays NumPy can read (a CPU
    PyTorch tensor) are converted as before, and the result is NumPy.
    """
    if isinstance(images, np.ndarray) or not (
        hasattr(images, "__array_namespace__") or hasattr(images, "__dlpack__")
    ):
        return
    library = type(images).__module__.split(".")[0]
    fix = (
        f"{owner} computes with NumPy and needs NumPy input; got an array from "
        f"{library}. Move it to host memory as a NumPy array first, e.g. "
        "X.cpu().numpy() for a PyTorch tensor, cupy.asnumpy(X) for CuPy, "
        "np.asarray(X) for array-api-strict, then pass the features on (e.g. "
        "torch.asarray(features, device=...))."
    )
    if get_config().get("array_api_dispatch", False):
        raise TypeError(fix + " (array_api_dispatch=True)")
    try:
        np.asarray(images)
    except (TypeError, RuntimeError, ValueError) as error:
        raise TypeError(fix) from error


class ImageInputMixin:
    """Input validation shared by the image transformers.

    Subclasses have the parameters ``image_shape`` and ``channels_first`` and
    get ``_validate_images(X, reset)``, which returns an ``(n, H, W, C)`` view
    and, when ``reset``, records ``image_shape_`` and ``n_features_in_``.
    With ``reset=False`` the caller has checked that the transformer is
    fitted (``check_is_fitted`` once per call: it is not free).
    """

    def _validate_params(self):
        """``BaseEstimator._validate_params``, remembering the settings it passed.

        Validation costs about as much as the features of a small image, and
        ``fit_transform`` of one image per call repeats it with the same
        settings. Settings equal in type and value to ones that passed before
        pass again; any other goes through scikit-learn's validation. The
        parameters are read directly: ``get_params`` inspects ``__init__``
        on every call, and ``_parameter_constraints`` names exactly its
        parameters (scikit-learn's ``check_param_validation`` checks that).
        """
        params = {name: getattr(self, name) for name in self._parameter_constraints}
        key = _settings_key(params.values())
        if key is not None and (type(self), key) in _VALID_SETTINGS:
            return
        validate_parameter_constraints(
            self._parameter_constraints, params, caller_name=type(self).__name__
        )
        if key is not None:
            if len(_VALID_SETTINGS) >= 256:  # bounded: settings of a grid search
                _VALID_SETTINGS.clear()
            _VALID_SETTINGS.add((type(self), key))

    def _validate_images(self, X, reset):
        check_host_images(X, type(self).__name__)
        channels_first = bool(self.channels_first)
        image_shape = as_image_shape(self.image_shape)
        if isinstance(X, list) and np.ndim(X) in (3, 4):  # nested lists of images
            X = np.asarray(X)
        if isinstance(X, np.ndarray) and X.ndim in (3, 4):
            if len(X) == 0:
                raise ValueError(
                    f"{type(self).__name__} needs at least one image, got an "
                    f"empty array of shape {X.shape}."
                )
            received = image_shape_of(as_4d(X, channels_first))
            expected = self.image_shape_ if not reset else image_shape
            if expected is not None and received != expected:
                raise ValueError(
                    f"{type(self).__name__} expects images of shape {expected}, "
                    f"got images of shape {received}."
                )
            # The standard checks run on rows: one flattened image per row
            # (a view, in the array's own memory layout).
            rows = self._validate_rows(X.reshape(len(X), -1), reset)
            if reset:
                self.image_shape_ = received
            return as_4d(rows.reshape(X.shape), channels_first)

        if not reset:
            self._check_row_length(X)
        rows = self._validate_rows(X, reset)
        if reset:
            self.image_shape_ = self._image_shape_of_rows(rows.shape[1], image_shape)
        return rows_to_4d(rows, self.image_shape_, channels_first)

    def _validate_rows(self, rows, reset):
        """``validate_data(self, rows, reset=reset, dtype="numeric")``.

        Plain finite ndarrays, what a single image per call usually is, skip
        it: its probes for pandas, narwhals, feature names and tags cost more
        than the HOG of a 32 x 32 image. For them we record and check exactly
        what it would (``n_features_in_``, no ``feature_names_in_``); any
        other input, and any mismatch, goes through validate_data, which
        raises or warns as scikit-learn does.
        """
        if _is_plain_finite(rows):
            if reset:
                self.n_features_in_ = rows.shape[1]
                if hasattr(self, "feature_names_in_"):  # fitted on a frame before
                    del self.feature_names_in_
                return rows
            if rows.shape[1] == self.n_features_in_ and not hasattr(
                self, "feature_names_in_"
            ):
                return rows
        return validate_data(self, rows, reset=reset, dtype="numeric")

    def _image_shape_of_rows(self, n_features, image_shape):
        """The ``image_shape_`` of rows of ``n_features`` values, at fit."""
        if image_shape is None:
            image_shape = infer_image_shape(n_features)
            if image_shape is None:
                # Not an image: each row is read as a gray strip of pixels.
                image_shape = (1, n_features)
                warnings.warn(
                    f"{type(self).__name__}: rows of {n_features} values are "
                    "not a square gray (s * s) or RGB (3 * s * s) image, so "
                    f"each is read as a 1 x {n_features} gray strip. Pass "
                    "image_shape=(H, W) or (H, W, 3) if they are flattened "
                    "images.",
                    UserWarning,
                    # The caller of fit, past _fit_context and the checks.
                    stacklevel=6,
                )
        elif math.prod(image_shape) != n_features:
            raise ValueError(
                f"image_shape={image_shape} needs rows of "
                f"{math.prod(image_shape)} values, got rows of {n_features}."
            )
        return image_shape

    def _check_row_length(self, X):
        """Raise a ValueError naming the image shape if rows are too long/short."""
        shape = X.shape if hasattr(X, "shape") else np.asarray(X).shape
        if len(shape) == 2 and shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {shape[1]} features, but {type(self).__name__} is "
                f"expecting {self.n_features_in_} features as input: rows must "
                f"be flattened images of shape {self.image_shape_}, got rows "
                f"of {shape[1]} values."
            )
