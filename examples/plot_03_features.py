"""
HOG and hue-histogram features
==============================

The lecture's classic image features instead of raw pixels: histograms of
oriented gradients (HOG, the edges' directions in each 8 x 8 cell) and a
histogram of hues (the colours, wherever they are). Both classifiers see the
features, standardized, through one scikit-learn pipeline that starts from the
8-bit pixels.
"""

# %%
# Raw pixels or features
# ----------------------
from matplotlib import pyplot as plt

from sklinear._demo import format_table, load_data, run_experiments
from sklinear._demo.figures import hog_glyphs, minibatch_curves

data = load_data()
names = ["svm_sgd", "softmax_sgd", "svm_hog_hue", "softmax_hog_hue"]
results = run_experiments(data, names)
print(results["softmax_hog_hue"].estimator)
print(format_table(results.values()))

# %%
# The features win by more than ten points with either loss: a patch's
# edges and colours say more about which photograph it comes from than its
# pixels at fixed positions do, since a patch can come from anywhere in the
# photograph.
#
# What HOG sees
# -------------
# Each cell's glyph draws its histogram: one line per orientation, as long as
# the gradient energy in that direction.
hog_glyphs(results, data, new_figure=plt.figure)

# %%
# Training objective per minibatch
# --------------------------------
# The features also make the training problem easier: with each loss on its
# own axes (their scales differ), the objective on features ends lower than
# on raw pixels.
figure, (svm_ax, softmax_ax) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
minibatch_curves(results, svm_ax, "SVM")
minibatch_curves(results, softmax_ax, "softmax")
