"""
Multiclass SVM loss or softmax loss
===================================

The same linear model on raw pixels, trained by the same minibatch SGD, with
the lecture's two losses: the multiclass SVM's hinge loss, which is content
once the correct class wins by a margin, and the softmax's cross-entropy,
which always wants the correct class's probability higher.
"""

# %%
# Fitting both classifiers
# ------------------------
from matplotlib import pyplot as plt

from sklinear._demo import format_table, load_data, run_experiments
from sklinear._demo.figures import minibatch_curves, templates

data = load_data()
results = run_experiments(data, ["svm_sgd", "softmax_sgd"])
for name, result in results.items():
    print(f"{name}: {result.estimator!r}")
print(format_table(results.values()))

# %%
# On the same features the two losses reach about the same accuracy: they
# differ in how they score a prediction, much less in which predictions they
# make.
#
# Training objective per minibatch
# --------------------------------
# Each loss gets its own axes: a hinge loss of 4 and a cross-entropy of 1.6
# are not on one scale (the first counts margin violations in score units,
# the second is a negative log-probability), so drawing them on one axis
# would invite a comparison that means nothing. What compares is the shape:
# both fall fast in the first epoch, then level off into the noise of their
# minibatches.
figure, (svm_ax, softmax_ax) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
minibatch_curves(results, svm_ax, "SVM")
minibatch_curves(results, softmax_ax, "softmax")

# %%
# Templates
# ---------
# A linear classifier's weights for one class, shown as an image, are the
# template that the class's score matches: here the average colours and
# shapes of each photograph's patches.
templates(results, data, new_figure=plt.figure)
