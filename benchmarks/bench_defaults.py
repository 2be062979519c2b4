"""What a user gets from the default fit: time, and distance to the optimum.

For each data set (iris, wine, breast_cancer, digits, standardized; a dense
20,000 x 500 10-class make_classification; with ``--sparse`` a CSR
tf-idf-like 20,000 x 20,000 set, ~100 values a row, 20 classes) and each
classifier, prints:

* the default fit (``solver='auto'``): the solver it ran, epochs, time,
  ``duality_gap_`` (certified relative gap) and test accuracy;
* the lecture's SGD (``solver='sgd'``, otherwise default): the same, its
  objective's excess over the certified fit's lower bound
  ``objective_ * (1 - duality_gap_)``;
* the scikit-learn reference with its defaults: ``LogisticRegression()``
  for the softmax (the same objective, ``C = 1 / (alpha n)``), ``LinearSVC()``
  for the SVM (another loss: squared hinge, one-vs-rest), time and accuracy;
  and the ratio of the default fit's time to the reference's.

Times are the best of ``--repeats`` fits alternated between the methods, in
one process: only the ratios are meant to be compared across machines.

Run: ``python benchmarks/bench_defaults.py [--repeats 3] [--sparse]``.
"""

import argparse
import functools
import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from sklinear import LinearSVMClassifier, SoftmaxClassifier

SMALL = {
    "iris": datasets.load_iris,
    "wine": datasets.load_wine,
    "breast_cancer": datasets.load_breast_cancer,
    "digits": datasets.load_digits,
}


def load(name):
    if name == "dense20k":
        X, y = datasets.make_classification(
            20_000, 500, n_informative=50, n_classes=10, random_state=0
        )
    elif name == "tfidf20k":
        return _tfidf(20_000, 20_000, 100, 20)
    else:
        X, y = SMALL[name](return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _tfidf(n, d, per_row, n_classes, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    # Each class prefers its own block of words.
    cols = rng.integers(0, d, (n, per_row))
    own = rng.random((n, per_row)) < 0.3
    block = d // n_classes
    cols[own] = (y[:, None] * block + rng.integers(0, block, (n, per_row)))[own]
    X = sp.csr_matrix(
        (rng.random(n * per_row), cols.ravel(), np.arange(0, n * per_row + 1, per_row)),
        shape=(n, d),
    )
    X.sum_duplicates()
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    return sp.diags(1 / norms) @ X, y


def best_time(make, X, y, repeats):
    times, model = [], None
    for _ in range(repeats):
        model = make()
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        times.append(time.perf_counter() - start)
    return min(times), model


def run(name, repeats):
    X, y = load(name)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
    n = X_tr.shape[0]
    for Classifier, reference in (
        (SoftmaxClassifier, lambda: LogisticRegression(C=1 / (5e-3 * n))),
        (LinearSVMClassifier, lambda: LinearSVC(C=1 / (5e-3 * n))),
    ):
        rows = {}
        for label, make in (
            ("default", functools.partial(Classifier, random_state=0)),
            ("sgd", functools.partial(Classifier, random_state=0, solver="sgd")),
            ("reference", reference),
        ):
            rows[label] = best_time(make, X_tr, y_tr, repeats)
        (t_def, default), (t_sgd, sgd), (t_ref, ref) = (
            rows["default"],
            rows["sgd"],
            rows["reference"],
        )
        bound = default.objective_ * (1 - default.duality_gap_)
        print(
            f"{name:14s} {Classifier.__name__:20s} default {default.solver_:4s} "
            f"{default.n_iter_:4d} ep {t_def:7.3f} s gap {default.duality_gap_:.1e} "
            f"acc {default.score(X_te, y_te):.3f} | sgd {sgd.n_iter_:4d} ep "
            f"{t_sgd:7.3f} s excess {(sgd.objective_ - bound) / bound:+.1%} "
            f"acc {sgd.score(X_te, y_te):.3f} | {type(ref).__name__} {t_ref:7.3f} s "
            f"acc {ref.score(X_te, y_te):.3f} | default/reference "
            f"{t_def / t_ref:.2f}x",
            flush=True,
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sparse", action="store_true", help="add tfidf20k")
    parser.add_argument("--only", default=None, help="comma-separated data sets")
    args = parser.parse_args()
    names = [*SMALL, "dense20k"] + (["tfidf20k"] if args.sparse else [])
    if args.only:
        names = args.only.split(",")
    for name in names:
        run(name, args.repeats)


if __name__ == "__main__":
    main()
