"""
Random search, gradient descent and minibatch SGD
=================================================

The lecture's three ways to find the weights of a multiclass SVM on raw
pixels: try random weights and keep the best, follow the full-batch
gradient, or follow the gradient of small random minibatches. Each gets the
same budget of 30 passes over the training data: 30 random tries, 30
full-batch steps, 30 epochs of minibatches.
"""

# %%
# The data and the models
# -----------------------
# The demo's default data: patches of ten photographs, pixels scaled to
# [0, 1] for the models on raw pixels.
from matplotlib import pyplot as plt

from sklinear._demo import format_table, load_data, run_experiments
from sklinear._demo.figures import optimizer_curves

data = load_data()
print(data.description)

# %%
# Fitting the three experiments of the table's "optimization" rows:
results = run_experiments(data, ["svm_random_search", "svm_gd", "svm_sgd"])
for name, result in results.items():
    print(f"{name}: {result.estimator!r}")

# %%
# Test accuracy and fit time
# --------------------------
print(format_table(results.values()))

# %%
# Random search keeps the best of 30 random weight matrices, and a better
# one turns up only now and then: among the 3072 x 10 weights, chance finds
# little. Full-batch gradient descent
# goes downhill at every step, but takes only 30 of them; minibatch SGD
# takes a step per minibatch, many per pass, noisier but far more for the
# same reading of the data, and ends far lower:
sgd = results["svm_sgd"].estimator
print(f"minibatch SGD: {sgd.t_} steps in {sgd.n_iter_} passes")

# %%
# The training objective per pass
# -------------------------------
# The objective (mean hinge loss + L2 penalty) after each try, step or
# minibatch, on a common scale of passes over the training data:
figure, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
optimizer_curves(results, ax)
