"""Displays of what the classifiers learned, following scikit-learn's API.

Like :class:`~sklearn.metrics.ConfusionMatrixDisplay`, each display is built
from a fitted object with ``from_estimator`` (which also plots), holds the
data to plot, and draws it with ``plot(ax=None)``; the matplotlib objects are
kept as ``ax_`` / ``axes_``, ``figure_`` and ``lines_`` / ``images_``.

- :class:`LossCurveDisplay`: the training objective over minibatches (or
  passes over the data) of one or several classifiers, on one axes.
- :class:`WeightTemplateDisplay`: the rows of ``coef_`` of a classifier
  trained on raw pixels, reshaped to images: one "template" per class.
- :class:`HOGGlyphDisplay`: the oriented-gradient histogram of every HOG
  cell drawn as a star of lines over the image.

matplotlib is an optional dependency: install it with
``pip install "sklinear[plot]"``. It is only imported when a display is
drawn, so ``import sklinear.plotting`` works without it.
"""

from ._hog_glyphs import HOGGlyphDisplay
from ._loss_curve import LossCurveDisplay
from ._weight_template import WeightTemplateDisplay

__all__ = ["HOGGlyphDisplay", "LossCurveDisplay", "WeightTemplateDisplay"]
