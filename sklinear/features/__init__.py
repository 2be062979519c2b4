"""Classic image features as scikit-learn transformers: HOG and hue histograms.

Both transformers take images as they are, ``(n, H, W)`` gray or
``(n, H, W, C)`` color arrays, or as 2-D rows (what a ``Pipeline`` passes):
each row a C-order flattened ``H x W`` or ``H x W x C`` image, or, with
``channels_first=True``, a flattened ``C x H x W`` image (the CIFAR-10 and
OpenML layout; 4-D arrays are then read as ``(n, C, H, W)``).

Image shape rule
----------------
``image_shape`` is always given as ``(H, W)`` or ``(H, W, C)``, whatever the
memory layout. With ``image_shape=None`` it is taken from a 3-D/4-D array,
and for rows of ``n_features`` values it is inferred:

* ``n_features == s * s``: a square gray image ``(s, s)``;
* ``n_features == 3 * s * s``: a square RGB image ``(s, s, 3)``;
* anything else is not a recognisable image, and each row is read as a gray
  image of one row of pixels, ``(1, n_features)``.

The shape is stored in ``image_shape_`` at fit time; ``transform`` raises a
``ValueError`` naming the expected and the received shape when later data do
not match it.

Both transformers are stateless (fit only records the input shape), work on
all images at once in chunks of bounded memory, and reproduce scikit-image:
:class:`HOGFeatures` equals ``skimage.feature.hog`` and :class:`HueHistogram`
equals ``np.histogram`` of ``skimage.color.rgb2hsv`` hues. 8-bit images
(uint8, or whole numbers 0-255 of any dtype) take exact lookup-table paths.
Like scikit-image, a float32 image is computed in float32: its hues can fall
in the neighbouring bin at a bin edge, so its histogram can differ from the
same image in uint8 or float64.

Both take NumPy input only (arrays, lists, anything ``np.asarray`` reads) and
return NumPy arrays. Under ``sklearn.set_config(array_api_dispatch=True)``,
arrays of other libraries (PyTorch, CuPy, array-api-strict) raise a
``TypeError`` naming the fix (``X.cpu().numpy()`` for PyTorch), as do, in any
case, arrays NumPy cannot read, such as CUDA tensors.
"""

from ._functions import hog, hog_visualization, hue_histogram
from ._transformers import HOGFeatures, HueHistogram

# Saved models name their class by this public path, not by the private
# module that defines it, so that files survive moves inside the package.
HOGFeatures.__module__ = HueHistogram.__module__ = __name__

__all__ = [
    "HOGFeatures",
    "HueHistogram",
    "hog",
    "hog_visualization",
    "hue_histogram",
]
