"""
Grid search over the feature pipeline
=====================================

Every step of the feature pipeline is a scikit-learn estimator, so
:class:`~sklearn.model_selection.GridSearchCV` tunes the features and the
classifier together: here the number of hue bins and the softmax
classifier's penalty ``alpha``, by 3-fold cross-validation on the training
images, two fits at a time.
"""

# %%
# The search
# ----------
from matplotlib import pyplot as plt

from sklinear._demo import format_table, load_data, run_experiments
from sklinear._demo.figures import confusion_matrix

data = load_data()
results = run_experiments(data, ["grid_search"])
search = results["grid_search"].estimator
print(format_table(results.values()))

# %%
# Each candidate's mean cross-validation accuracy. The training patches of a
# photograph overlap, so the folds share pixels and these scores are
# optimistic; the test patches come from separate regions of the photographs.
for params, score in zip(
    search.cv_results_["params"], search.cv_results_["mean_test_score"]
):
    print(f"{score:.1%}  {params}")
print(f"best: {search.best_params_}")

# %%
# Which classes the best model confuses
# -------------------------------------
# Rows are the true photographs of the test patches, columns the predicted
# ones.
confusion_matrix(results, data, new_figure=plt.figure)
