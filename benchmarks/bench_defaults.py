"""What a user gets from the default fit: time, and distance to the optimum.

For each data set (iris, wine, breast_cancer, digits, standardized; a dense
20,000 x 500 10-class make_classification; with ``--only cifar40k`` a
float32 53,334 x 3,072 10-class one (``bench_classifiers.make_data``), 40,000
rows to train; with ``--sparse`` a CSR
tf-idf-like 20,000 x 20,000 set, ~100 values a row, 20 classes; with
``--only tfidf80k`` issue 13's sparse size, 80,000 x 100,000 rows to train,
~120 values a row, 20 classes) and each classifier, prints:

* the default fit (``solver='auto'``): the solver it ran, epochs, time,
  ``duality_gap_`` (certified relative gap) and test accuracy;
* the lecture's SGD (``solver='sgd'``, otherwise default): the same, its
  objective's excess over the certified fit's lower bound
  ``objective_ * (1 - duality_gap_)``;
* the scikit-learn reference: ``LogisticRegression`` for the softmax (the
  same objective, ``C = 1 / (alpha n)`` at the same alpha), ``LinearSVC``
  for the SVM (another loss: squared hinge, one-vs-rest, same C), time and
  accuracy, and the ratio of the default fit's time to the reference's;
* ``SGDClassifier()`` with its defaults (log loss or hinge), and on sparse
  data ``LogisticRegression(solver='saga')``: time, accuracy and ratio;
  with ``--linearsvc-default``, ``LinearSVC()`` at its own default ``C=1``
  for the SVM (issue 13's reference: ``alpha = 1 / n`` in our terms, a
  weaker penalty, so far more iterations on large data).

``--epochs N`` adds N epochs of the default solver (``tol=0``) against N of
``SGDClassifier(tol=None)`` (``--epochs-only``: those alone, e.g. at
tfidf80k, where the references' default fits take minutes); ``--grid`` a
GridSearchCV over alpha on digits against the same search over
LogisticRegression's C.

Times are the best of ``--repeats`` fits alternated between the methods
round by round, in one process: only the ratios are meant to be compared
across machines.

Run: ``python benchmarks/bench_defaults.py [--repeats 3] [--sparse]
[--epochs 5] [--epochs-only] [--grid] [--alpha 1e-4] [--references-only]
[--linearsvc-default] [--only iris,digits]``; issue 13's sparse target:
``--only tfidf80k --alpha 1e-4 --epochs 5 --epochs-only --repeats 2``.
"""

import argparse
import functools
import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
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
    elif name == "tfidf80k":  # 80,000 rows to train after the 25% split
        return _tfidf(106_667, 100_000, 120, 20)
    elif name == "cifar40k":  # bench_classifiers.py's problem, 40,000 to train
        from bench_classifiers import make_data

        X_train, X_test, y_train, y_test = make_data(40_000, 13_334, 3072)
        return np.concatenate([X_train, X_test]), np.concatenate([y_train, y_test])
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


def _fit_timed(make, X, y):
    model = make()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return time.perf_counter() - start, model


def alternated(makers, X, y, repeats):
    """Best time and last model of each maker, the fits alternated between
    the makers round by round (so a busy moment hits all alike)."""
    times = {label: [] for label in makers}
    models = {}
    for _ in range(repeats):
        for label, make in makers.items():
            elapsed, models[label] = _fit_timed(make, X, y)
            times[label].append(elapsed)
    return {label: (min(times[label]), models[label]) for label in makers}


def _makers(Classifier, n, sparse, alpha=None, quick=False, svc_default=False):
    """The fits compared for one classifier (at ``alpha``, None: the
    default; the references solve the same objective; ``svc_default`` adds
    ``LinearSVC()`` at its own default ``C=1`` for the SVM, issue 13's
    reference)."""
    alpha = Classifier().alpha if alpha is None else alpha
    C = 1 / (alpha * n)
    softmax = Classifier is SoftmaxClassifier
    makers = {
        "default": functools.partial(Classifier, random_state=0, alpha=alpha),
        "sgd": functools.partial(Classifier, random_state=0, solver="sgd", alpha=alpha),
        "reference": (
            functools.partial(LogisticRegression, C=C)
            if softmax
            else functools.partial(LinearSVC, C=C)
        ),
        "SGDClassifier": functools.partial(
            SGDClassifier, loss="log_loss" if softmax else "hinge", random_state=0
        ),
    }
    if quick:  # the default fit and the reference only
        makers = {label: makers[label] for label in ("default", "reference")}
    elif sparse and softmax:
        makers["LR saga"] = functools.partial(LogisticRegression, C=C, solver="saga")
    if svc_default and not softmax:
        makers["LinearSVC()"] = LinearSVC
    return makers


def run(name, repeats, alpha=None, quick=False, svc_default=False):
    X, y = load(name)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
    for Classifier in (SoftmaxClassifier, LinearSVMClassifier):
        makers = _makers(
            Classifier, X_tr.shape[0], sp.issparse(X), alpha, quick, svc_default
        )
        rows = alternated(makers, X_tr, y_tr, repeats)
        (t_def, default), (t_ref, ref) = rows["default"], rows["reference"]
        extra = "".join(
            f" | {label} {t:.3f} s acc {model.score(X_te, y_te):.3f} "
            f"(default/it {t_def / t:.2f}x)"
            for label, (t, model) in rows.items()
            if label not in ("default", "sgd", "reference")
        )
        if quick:
            print(
                f"{name:14s} {Classifier.__name__:20s} default {default.solver_} "
                f"{default.n_iter_} ep {t_def:.3f} s gap {default.duality_gap_:.1e} "
                f"acc {default.score(X_te, y_te):.3f} | {type(ref).__name__} "
                f"{t_ref:.3f} s acc {ref.score(X_te, y_te):.3f} | default/reference "
                f"{t_def / t_ref:.2f}x{extra}",
                flush=True,
            )
            continue
        t_sgd, sgd = rows["sgd"]
        bound = default.objective_ * (1 - default.duality_gap_)
        print(
            f"{name:14s} {Classifier.__name__:20s} default {default.solver_:4s} "
            f"{default.n_iter_:4d} ep {t_def:7.3f} s gap {default.duality_gap_:.1e} "
            f"acc {default.score(X_te, y_te):.3f} | sgd {sgd.n_iter_:4d} ep "
            f"{t_sgd:7.3f} s excess {(sgd.objective_ - bound) / bound:+.1%} "
            f"acc {sgd.score(X_te, y_te):.3f} | {type(ref).__name__} {t_ref:7.3f} s "
            f"acc {ref.score(X_te, y_te):.3f} | default/reference "
            f"{t_def / t_ref:.2f}x{extra}",
            flush=True,
        )


def equal_epochs(name, repeats, epochs, alpha=None):
    """``epochs`` epochs of the default solver against as many of
    SGDClassifier (its epochs are one-vs-rest: one pass per class)."""
    X, y = load(name)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
    for Classifier, loss in (
        (SoftmaxClassifier, "log_loss"),
        (LinearSVMClassifier, "hinge"),
    ):
        makers = {
            "ours": functools.partial(
                Classifier,
                random_state=0,
                max_iter=epochs,
                tol=0.0,
                **({} if alpha is None else {"alpha": alpha}),
            ),  # fmt: skip
            "SGDClassifier": functools.partial(
                SGDClassifier, loss=loss, max_iter=epochs, tol=None, random_state=0
            ),
        }
        rows = alternated(makers, X_tr, y_tr, repeats)
        (t_ours, ours), (t_sgd, sgd) = rows["ours"], rows["SGDClassifier"]
        print(
            f"{name:14s} {Classifier.__name__:20s} {epochs} epochs: {ours.solver_} "
            f"{t_ours:.3f} s acc {ours.score(X_te, y_te):.3f} | SGDClassifier "
            f"{t_sgd:.3f} s acc {sgd.score(X_te, y_te):.3f} | ratio "
            f"{t_ours / t_sgd:.2f}x",
            flush=True,
        )


def grid_search(repeats):
    """GridSearchCV over alpha on standardized digits against the same
    search over LogisticRegression's C (C = 1 / (alpha n))."""
    X, y = datasets.load_digits(return_X_y=True)
    alphas = [1e-4, 1e-3, 5e-3, 1e-2, 1e-1]
    n = int(0.8 * len(y))  # the training folds of 5-fold CV

    def search(estimator, name, values):
        return lambda: GridSearchCV(
            make_pipeline(StandardScaler(), estimator), {name: values}, cv=5
        )

    makers = {
        "softmax": search(
            SoftmaxClassifier(random_state=0), "softmaxclassifier__alpha", alphas
        ),
        "LogisticRegression": search(
            LogisticRegression(),
            "logisticregression__C",
            [1 / (alpha * n) for alpha in alphas],
        ),
    }
    rows = alternated(makers, X, y, repeats)
    (t_ours, ours), (t_lr, lr) = rows["softmax"], rows["LogisticRegression"]
    print(
        f"grid search on digits (5 alphas, 5-fold): softmax {t_ours:.2f} s "
        f"(best CV accuracy {ours.best_score_:.3f}) | LogisticRegression "
        f"{t_lr:.2f} s ({lr.best_score_:.3f}) | ratio {t_ours / t_lr:.2f}x",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sparse", action="store_true", help="add tfidf20k")
    parser.add_argument("--only", default=None, help="comma-separated data sets")
    parser.add_argument(
        "--epochs", type=int, default=0, help="also equal epochs against SGDClassifier"
    )
    parser.add_argument("--grid", action="store_true", help="the digits grid search")
    parser.add_argument(
        "--alpha", type=float, default=None, help="instead of the default alpha"
    )
    parser.add_argument(
        "--references-only",
        action="store_true",
        help="only the default fit and the scikit-learn reference",
    )
    parser.add_argument(
        "--epochs-only", action="store_true", help="only the equal epochs"
    )
    parser.add_argument(
        "--linearsvc-default",
        action="store_true",
        help="also LinearSVC() at its default C=1 (minutes on cifar40k)",
    )
    args = parser.parse_args()
    names = [*SMALL, "dense20k"] + (["tfidf20k"] if args.sparse else [])
    if args.only:
        names = args.only.split(",")
    for name in names:
        if not args.epochs_only:
            run(
                name, args.repeats, args.alpha, args.references_only,
                args.linearsvc_default,
            )  # fmt: skip
        if args.epochs:
            equal_epochs(name, args.repeats, args.epochs, args.alpha)
    if args.grid:
        grid_search(args.repeats)


if __name__ == "__main__":
    main()
