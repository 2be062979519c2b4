"""Write the saved models that tests/test_persistence.py loads.

They were made by sklinear 0.1.0 at commit 1f5540c, before the features,
datasets and plotting modules became subpackages, with
``python tests/data/make_legacy_models.py`` run in a checkout of that commit.
Rerunning it with a later version makes files of that version instead: the
point of the committed files is that they come from the old code.
"""

import pickle
import sys
from pathlib import Path

import numpy as np
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import StandardScaler

import sklinear
from sklinear import (
    HOGFeatures,
    HueHistogram,
    LinearSVMClassifier,
    SoftmaxClassifier,
    persistence,
)

HERE = Path(__file__).parent


def _data():
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, size=(48, 16, 16, 3)).astype(np.uint8)
    y = np.array(["cat", "dog", "owl"])[np.arange(48) % 3]
    images[y == "dog", ::4] = 255  # something to learn: stripes
    images[y == "owl", :, :, 2] //= 4  # and colour
    return images.reshape(48, -1), y


def _models(X, y):
    features = make_union(
        HOGFeatures(pixels_per_cell=(4, 4), cells_per_block=(2, 2)),
        HueHistogram(n_bins=6),
    )
    pipeline = make_pipeline(
        features,
        StandardScaler(),
        SoftmaxClassifier(random_state=0, max_iter=20, tol=None),
    )
    svm = LinearSVMClassifier(random_state=0, max_iter=20, tol=None, average=True)
    return {"pipeline": pipeline.fit(X, y), "svm": svm.fit(X / 255, y)}


def main():
    X, y = _data()
    models = _models(X, y)
    X_test = X[::4]
    outputs = {"X_test": X_test}
    for name, model in models.items():
        Xm = X_test / 255 if name == "svm" else X_test
        outputs[f"{name}_predict"] = model.predict(Xm)
        outputs[f"{name}_decision_function"] = model.decision_function(Xm)
        with open(HERE / f"legacy_{name}.pkl", "wb") as file:
            pickle.dump(model, file, protocol=4)
        persistence.dump(model, HERE / f"legacy_{name}.skops")
    np.savez_compressed(HERE / "legacy_outputs.npz", **outputs)
    print(f"sklinear {sklinear.__version__}, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
