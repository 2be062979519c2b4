"""The image features as scikit-learn transformers: :class:`HOGFeatures` and
:class:`HueHistogram` (input layouts and the image-shape rule: see
:mod:`sklinear.features`)."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._sklearn_compat import _check_feature_names_in, _fit_context
from .._versioned import VersionedStateMixin
from ._checks import (
    HOG_CONSTRAINTS,
    HUE_CONSTRAINTS,
    IMAGE_SHAPE_CONSTRAINT,
    check_hue_channels,
    check_nonnegative_for_sqrt,
    check_pixel_range,
    int_pair,
)
from ._hog import hog_4d, hog_geometry
from ._hue import hue_histogram_4d
from ._images import ImageInputMixin


class HOGFeatures(
    VersionedStateMixin, ImageInputMixin, TransformerMixin, BaseEstimator
):
    """Histogram of Oriented Gradients features, as ``skimage.feature.hog``.

    Each image becomes the HOG descriptor that ``skimage.feature.hog`` gives
    with the same parameters (``channel_axis=-1`` for color images), equal to
    float rounding of the block normalization, for any image size and every
    block norm. All images are processed at once, in chunks of bounded
    memory; 8-bit images take an exact lookup-table path.

    See the module docstring for the accepted input layouts and the
    ``image_shape`` rule. Rows that are not a recognisable image are read as
    gray ``(1, n_features)`` images; images smaller than one block
    (``pixels_per_cell * cells_per_block``) are zero-padded at the bottom and
    right up to that size (scikit-image would raise), so that any input
    gives features.

    Parameters
    ----------
    orientations : int, default=9
        Number of orientation bins over [0, 180) degrees.
    pixels_per_cell : (int, int), default=(8, 8)
        Cell size in pixels (rows, columns).
    cells_per_block : (int, int), default=(3, 3)
        Block size in cells; blocks slide one cell at a time.
    block_norm : {'L1', 'L1-sqrt', 'L2', 'L2-Hys'}, default='L2-Hys'
        Block normalization, as in scikit-image.
    transform_sqrt : bool, default=False
        Take the square root of every pixel first (power-law compression);
        negative values then raise a ValueError.
    image_shape : (int, int) or (int, int, int), default=None
        ``(H, W)`` or ``(H, W, C)`` of the images in 2-D rows. None infers it
        (see the module docstring).
    channels_first : bool, default=False
        Rows are flattened ``C x H x W`` images (CIFAR-10, OpenML), and 4-D
        arrays are ``(n, C, H, W)``.

    Attributes
    ----------
    image_shape_ : tuple
        ``(H, W)`` or ``(H, W, C)`` of the images seen in fit.
    n_features_in_ : int
        Number of values per image, ``H * W * C``.
    feature_names_in_ : ndarray of str
        Column names of X, when fitted on a DataFrame with string columns.

    See Also
    --------
    hog : The same features as a function of an image array.
    hog_visualization : Oriented-gradient glyphs of one image.

    Examples
    --------
    >>> import numpy as np
    >>> from skimage import data
    >>> from skimage.feature import hog as skimage_hog
    >>> images = np.stack([data.astronaut()[:32, :32], data.chelsea()[:32, :32]])
    >>> rows = images.reshape(2, -1)  # as a Pipeline passes them
    >>> hog_features = HOGFeatures(cells_per_block=(2, 2)).fit(rows)
    >>> hog_features.image_shape_
    (32, 32, 3)
    >>> features = hog_features.transform(rows)
    >>> features.shape
    (2, 324)
    >>> reference = skimage_hog(images[0], cells_per_block=(2, 2), channel_axis=-1)
    >>> bool(np.allclose(features[0], reference, rtol=0, atol=1e-12))
    True
    >>> hog_features.get_feature_names_out()[:2]
    array(['hog_b0_0_c0_0_o0', 'hog_b0_0_c0_0_o1'], dtype=object)
    """

    _parameter_constraints = {
        **HOG_CONSTRAINTS,
        "image_shape": IMAGE_SHAPE_CONSTRAINT,
    }

    def __init__(
        self,
        orientations=9,
        pixels_per_cell=(8, 8),
        cells_per_block=(3, 3),
        block_norm="L2-Hys",
        transform_sqrt=False,
        image_shape=None,
        channels_first=False,
    ):
        self.orientations = orientations
        self.pixels_per_cell = pixels_per_cell
        self.cells_per_block = cells_per_block
        self.block_norm = block_norm
        self.transform_sqrt = transform_sqrt
        self.image_shape = image_shape
        self.channels_first = channels_first

    def _checked_images(self, X, reset):
        """The ``(n, H, W, C)`` images of ``X``, checked."""
        images = self._validate_images(X, reset=reset)
        if self.transform_sqrt:
            check_nonnegative_for_sqrt(images)
        return images

    def _hog(self, images):
        return hog_4d(
            images,
            int(self.orientations),
            int_pair(self.pixels_per_cell),
            int_pair(self.cells_per_block),
            self.block_norm,
            bool(self.transform_sqrt),
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the image shape; HOG has nothing to learn.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n, H, W) or (n, H, W, C)
            Images as rows or as an image array.
        y : None
            Ignored.

        Returns
        -------
        self : HOGFeatures
            The fitted transformer.
        """
        self._checked_images(X, reset=True)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit to ``X`` and return its HOG features, checking ``X`` once.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n, H, W) or (n, H, W, C)
            Images as rows or as an image array.
        y : None
            Ignored.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out)
            float32 for float32 input, float64 otherwise.
        """
        return self._hog(self._checked_images(X, reset=True))

    def transform(self, X):
        """HOG descriptor of every image.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n, H, W) or (n, H, W, C)
            Images of the shape seen in fit.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out)
            float32 for float32 input, float64 otherwise.
        """
        check_is_fitted(self)
        return self._hog(self._checked_images(X, reset=False))

    def get_feature_names_out(self, input_features=None):
        """Names ``hog_b{row}_{col}_c{i}_{j}_o{k}``, in output order.

        Block ``(row, col)``, cell ``(i, j)`` within the block, orientation
        bin ``k``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against the input seen in fit.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features)
        cells_per_block = int_pair(self.cells_per_block)
        _, n_blocks = hog_geometry(
            self.image_shape_[:2], int_pair(self.pixels_per_cell), cells_per_block
        )
        names = [
            f"hog_b{row}_{col}_c{i}_{j}_o{k}"
            for row in range(n_blocks[0])
            for col in range(n_blocks[1])
            for i in range(cells_per_block[0])
            for j in range(cells_per_block[1])
            for k in range(self.orientations)
        ]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class HueHistogram(
    VersionedStateMixin, ImageInputMixin, TransformerMixin, BaseEstimator
):
    """Fraction of pixels per hue bin, as ``rgb2hsv`` and ``np.histogram``.

    Row ``i`` is ``np.histogram(rgb2hsv(image_i / scale)[..., 0],
    bins=n_bins, range=(0, 1))[0] / n_pixels`` (counts with
    ``normalize=False``), bin for bin. All images are processed at once, in
    chunks of bounded memory; 8-bit RGB images take an exact lookup-table
    path.

    See the module docstring for the accepted input layouts and the
    ``image_shape`` rule. Gray images (and rows read as gray images, such as
    rows that are not a recognisable image) have no hue: ``rgb2hsv`` gives
    hue 0 to gray pixels (max == min), so all their pixels fall in bin 0 and
    the output carries no information; use color images.

    Parameters
    ----------
    n_bins : int, default=10
        Number of equal hue bins over [0, 1].
    scale : float, default=255
        The largest possible pixel value: hues are computed on
        ``X / scale``, and values outside ``[0, scale]`` raise a
        ValueError. 255 suits 8-bit data as it is; use 1.0 for images in
        [0, 1].
    normalize : bool, default=True
        Fractions of pixels per bin (rows sum to 1), or pixel counts.
    image_shape : (int, int) or (int, int, 3), default=None
        ``(H, W)`` or ``(H, W, 3)`` of the images in 2-D rows. None infers it
        (see the module docstring).
    channels_first : bool, default=False
        Rows are flattened ``3 x H x W`` images (CIFAR-10, OpenML), and 4-D
        arrays are ``(n, 3, H, W)``.

    Attributes
    ----------
    image_shape_ : tuple
        ``(H, W)`` or ``(H, W, 3)`` of the images seen in fit.
    n_features_in_ : int
        Number of values per image.
    feature_names_in_ : ndarray of str
        Column names of X, when fitted on a DataFrame with string columns.

    See Also
    --------
    hue_histogram : The same histograms as a function of an image array.

    Examples
    --------
    >>> import numpy as np
    >>> from skimage import data
    >>> from skimage.color import rgb2hsv
    >>> images = np.stack([data.astronaut()[::8, ::8], data.rocket()[:64, :64]])
    >>> hue = HueHistogram(n_bins=4).fit_transform(images)
    >>> hue.round(3)
    array([[0.79 , 0.   , 0.058, 0.152],
           [0.063, 0.009, 0.899, 0.029]])
    >>> counts, _ = np.histogram(rgb2hsv(images[0] / 255)[..., 0], 4, range=(0, 1))
    >>> bool(np.array_equal(hue[0], counts / (64 * 64)))
    True
    >>> HueHistogram(n_bins=4).fit(images).get_feature_names_out()
    array(['hue_bin0_0.00-0.25', 'hue_bin1_0.25-0.50', 'hue_bin2_0.50-0.75',
           'hue_bin3_0.75-1.00'], dtype=object)
    """

    _parameter_constraints = {
        **HUE_CONSTRAINTS,
        "image_shape": IMAGE_SHAPE_CONSTRAINT,
    }

    def __init__(
        self,
        n_bins=10,
        scale=255,
        normalize=True,
        image_shape=None,
        channels_first=False,
    ):
        self.n_bins = n_bins
        self.scale = scale
        self.normalize = normalize
        self.image_shape = image_shape
        self.channels_first = channels_first

    def _checked_images(self, X, reset):
        """The ``(n, H, W, C)`` images of ``X``, checked."""
        images = self._validate_images(X, reset=reset)
        name = type(self).__name__
        check_hue_channels(images, name)
        check_pixel_range(images, self.scale, name)
        return images

    def _hue(self, images):
        return hue_histogram_4d(
            images, int(self.n_bins), float(self.scale), bool(self.normalize)
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the image shape and check the values; nothing to learn.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n, H, W) or (n, H, W, 3)
            Images as rows or as an image array, values in ``[0, scale]``.
        y : None
            Ignored.

        Returns
        -------
        self : HueHistogram
            The fitted transformer.
        """
        self._checked_images(X, reset=True)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit to ``X`` and return its hue histograms, checking ``X`` once.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n, H, W) or (n, H, W, 3)
            Images as rows or as an image array, values in ``[0, scale]``.
        y : None
            Ignored.

        Returns
        -------
        histograms : ndarray of shape (n_samples, n_bins)
            float32 for float32 input, float64 otherwise.
        """
        return self._hue(self._checked_images(X, reset=True))

    def transform(self, X):
        """Hue histogram of every image.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n, H, W) or (n, H, W, 3)
            Images of the shape seen in fit, values in ``[0, scale]``.

        Returns
        -------
        histograms : ndarray of shape (n_samples, n_bins)
            float32 for float32 input, float64 otherwise.
        """
        check_is_fitted(self)
        return self._hue(self._checked_images(X, reset=False))

    def get_feature_names_out(self, input_features=None):
        """Names ``hue_bin{k}_{low:.2f}-{high:.2f}``, one per bin.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against the input seen in fit.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features)
        edges = np.linspace(0, 1, self.n_bins + 1)
        names = [
            f"hue_bin{k}_{edges[k]:.2f}-{edges[k + 1]:.2f}" for k in range(self.n_bins)
        ]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
