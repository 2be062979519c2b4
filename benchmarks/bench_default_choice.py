"""Measurements behind the defaults ``alpha``, ``tol``, ``max_iter`` and
``batch_size`` of both classifiers (issue 13).

Every fit is a ``make_pipeline(StandardScaler(), Classifier(...))`` on one
fold of a 5-fold ``StratifiedKFold(shuffle=True, random_state=0)``, with the
other settings at their defaults and ``random_state=0``. Data sets: iris,
wine, breast_cancer, digits; ``synth20k``, a 20,000 x 100
``make_classification`` (30 informative features, 5 classes); ``photo``,
1,000 RGB 8 x 8 patches of ``sklinear.datasets.load_photo_patches`` (10
classes, 192 raw pixel features; train and test patches stacked).

Four studies, each a table:

1. ``alpha`` over a grid plus ``1 / n_train`` (scikit-learn's
   ``LogisticRegression(C=1.0)`` on the same objective): mean CV accuracy
   (and log-loss for the softmax), mean CPU time and epochs (``n_iter_``) a
   fit; per data set the best alpha and the accuracy lost at the others.
2. ``tol`` at the default alpha on digits and synth20k: the share of test
   predictions equal to those of a ``tol=1e-8`` fit, accuracy, CPU time and
   epochs (``max_iter=10000`` so that ``tol`` alone stops the fits).
3. ``max_iter``: the distribution of ``n_iter_`` over the fits of study 1
   (all data sets, both classifiers, all folds) at each alpha, and how many
   fits raised a ``ConvergenceWarning``.
4. ``batch_size``: ``'auto'`` against 32, 128 and 512 on digits and
   synth20k at the default alpha and tol: CPU time to the certificate and
   epochs.

Times are ``time.process_time()`` of the fit in the process that ran it,
with BLAS limited to one thread (``--n-jobs`` workers run fits side by side).

Run: ``python benchmarks/bench_default_choice.py [--quick] [--n-jobs 2]``.
``--quick`` (a reduced grid on the four small sets, 3 folds) takes under
two minutes.
"""

import argparse
import functools
import os
import platform
import time
import warnings

import numpy as np
from joblib import Parallel, delayed
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklinear import LinearSVMClassifier, SoftmaxClassifier

CLASSIFIERS = {"softmax": SoftmaxClassifier, "svm": LinearSVMClassifier}
SMALL = ("iris", "wine", "breast_cancer", "digits")
ALPHAS = (1e-5, 1e-4, 1e-3, 5e-3, 1e-2, 5e-2, 1e-1)
TOLS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-6)
REFERENCE_TOL = 1e-8
BATCH_SIZES = ("auto", 32, 128, 512)


def load(name, quick=False):
    if name in SMALL:
        return getattr(datasets, f"load_{name}")(return_X_y=True)
    if name == "synth20k":
        return datasets.make_classification(
            n_samples=4_000 if quick else 20_000,
            n_features=100,
            n_informative=30,
            n_classes=5,
            random_state=0,
        )
    if name == "photo":
        from sklinear.datasets import load_photo_patches

        X_tr, X_te, y_tr, y_te = load_photo_patches(
            patch_size=8, n_train_per_class=80, n_test_per_class=20, return_X_y=True
        )
        return np.vstack([X_tr, X_te]).astype(np.float64), np.r_[y_tr, y_te]
    raise ValueError(name)


def folds(X, y, n_folds):
    cv = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=0)
    return list(cv.split(X, y))


def fit_one(X, y, train, test, clf, params, keep_predictions=False):
    """Fit one pipeline on ``train``; what it measured on ``test``."""
    model = make_pipeline(StandardScaler(), CLASSIFIERS[clf](random_state=0, **params))
    with threadpool_limits(1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.process_time()
        model.fit(X[train], y[train])
        seconds = time.process_time() - start
    estimator = model[-1]
    predictions = model.predict(X[test])
    record = {
        "clf": clf,
        **params,
        "seconds": seconds,
        "n_iter": int(estimator.n_iter_),
        "gap": float(estimator.duality_gap_),
        "solver": estimator.solver_,
        "accuracy": float(np.mean(predictions == y[test])),
        "warned": any(issubclass(w.category, ConvergenceWarning) for w in caught),
    }
    if clf == "softmax":
        record["log_loss"] = log_loss(
            y[test], model.predict_proba(X[test]), labels=estimator.classes_
        )
    if keep_predictions:
        record["predictions"] = predictions
    return record


@functools.cache
def data(name, quick, n_folds):
    X, y = load(name, quick)
    return X, y, folds(X, y, n_folds)


def job(name, quick, n_folds, fold, clf, params, keep):
    X, y, splits = data(name, quick, n_folds)
    train, test = splits[fold]
    record = fit_one(X, y, train, test, clf, params, keep)
    return {"data": name, "fold": fold, "n_train": len(train), **record}


def run(tasks, n_jobs):
    """Run ``(data, fold, clf, params, keep)`` tasks: one record each."""
    # By reference to the importable module (not __main__), so that each
    # worker keeps its cache of the data sets across tasks.
    from bench_default_choice import job

    return Parallel(n_jobs=n_jobs)(
        delayed(job)(name, QUICK, N_FOLDS, *rest) for name, *rest in tasks
    )


def select(records, **where):
    return [r for r in records if all(r.get(k) == v for k, v in where.items())]


def mean(records, key):
    return float(np.mean([r[key] for r in records]))


def alpha_label(alpha):
    return f"{alpha:.0e}".replace("e-0", "e-")


# --------------------------------------------------------------------- alpha
def alpha_study(names, alphas, n_jobs):
    tasks = []
    for name in names:
        n_train = len(data(name, QUICK, N_FOLDS)[1]) * (N_FOLDS - 1) // N_FOLDS
        for clf in CLASSIFIERS:
            for alpha in (*alphas, 1.0 / n_train):
                for fold in range(N_FOLDS):
                    tasks.append((name, fold, clf, {"alpha": alpha}, False))
    records = run(tasks, n_jobs)
    for r in records:  # tag the 1 / n_train fits
        r["grid"] = r["alpha"] in alphas
    return records


def _metric_rows(records, names, clf, alphas, metric, label_inverse=False):
    """One row per data set: ``metric`` at each alpha of the grid, then at
    ``1 / n_train`` (and that alpha, with ``label_inverse``)."""
    for name in names:
        rows = select(records, data=name, clf=clf)
        cells = "".join(
            f"{mean(select(rows, alpha=a, grid=True), metric):8.4f}" for a in alphas
        )
        inv = select(rows, grid=False)
        if not inv:  # 1 / n_train is one of the grid's alphas (e.g. --quick)
            print(f"{name:14s}{cells}  {'(in the grid)':>14s}")
            continue
        tail = f" ({alpha_label(inv[0]['alpha'])})" if label_inverse else ""
        print(f"{name:14s}{cells}  {mean(inv, metric):.4f}{tail}")


def print_alpha(records, names, alphas, default_alpha):
    print(f"\n## 1. alpha: mean {N_FOLDS}-fold CV accuracy (test folds)\n")
    for clf in CLASSIFIERS:
        header = "".join(f"{alpha_label(a):>8s}" for a in alphas)
        print(f"{clf}: accuracy at alpha | 1/n_train")
        print(f"{'data':14s}{header}  {'1/n':>14s}")
        _metric_rows(records, names, clf, alphas, "accuracy", label_inverse=True)
        if clf == "softmax":
            print("softmax: log-loss at alpha | 1/n_train")
            _metric_rows(records, names, clf, alphas, "log_loss")
        print()

    print("Best alpha per set and accuracy lost against it (percentage points)")
    print(
        f"{'data':14s}{'clf':8s}{'best':>7s}{'acc':>8s}"
        f"{'at ' + alpha_label(default_alpha):>10s}{'lost':>7s}{'at 1/n':>8s}"
        f"{'lost':>7s}"
    )
    losses = {clf: {a: [] for a in alphas} for clf in CLASSIFIERS}
    for name in names:
        for clf in CLASSIFIERS:
            rows = select(records, data=name, clf=clf)
            acc = {
                a: mean(select(rows, alpha=a, grid=True), "accuracy") for a in alphas
            }
            best = max(alphas, key=lambda a: (acc[a], a))  # ties: larger alpha
            for a in alphas:
                losses[clf][a].append(100 * (acc[best] - acc[a]))
            inv = mean(select(rows, grid=False), "accuracy")
            print(
                f"{name:14s}{clf:8s}{alpha_label(best):>7s}{acc[best]:8.4f}"
                f"{acc[default_alpha]:10.4f}"
                f"{100 * (acc[best] - acc[default_alpha]):7.2f}"
                f"{inv:8.4f}{100 * (acc[best] - inv):7.2f}"
            )
    print("\nAccuracy lost against each set's best alpha, mean / worst over sets")
    print(f"{'clf':8s}" + "".join(f"{alpha_label(a):>12s}" for a in alphas))
    for clf in CLASSIFIERS:
        cells = "".join(
            f"{np.mean(losses[clf][a]):5.2f} /{np.max(losses[clf][a]):5.2f}"
            for a in alphas
        )
        print(f"{clf:8s}{cells}")

    print("\nMean epochs (n_iter_) and CPU seconds a fit, per alpha")
    print(f"{'data':14s}{'clf':8s}" + "".join(f"{alpha_label(a):>13s}" for a in alphas))
    for name in names:
        for clf in CLASSIFIERS:
            rows = select(records, data=name, clf=clf, grid=True)
            cells = "".join(
                f"{mean(select(rows, alpha=a), 'n_iter'):6.0f}"
                f"/{mean(select(rows, alpha=a), 'seconds'):6.2f}"
                for a in alphas
            )
            print(f"{name:14s}{clf:8s}{cells}")


# ----------------------------------------------------------------------- tol
def tol_study(names, tols, alpha, n_jobs):
    tasks = [
        (name, fold, clf, {"alpha": alpha, "tol": tol, "max_iter": 10_000}, True)
        for name in names
        for clf in CLASSIFIERS
        for tol in (*tols, REFERENCE_TOL)
        for fold in range(N_FOLDS)
    ]
    return run(tasks, n_jobs)


def print_tol(records, names, tols, alpha):
    print(
        f"\n## 2. tol at alpha={alpha:g} (max_iter=10000): agreement with "
        f"tol={REFERENCE_TOL:g} predictions, accuracy, epochs, CPU s, gap\n"
    )
    print(
        f"{'data':10s}{'clf':8s}{'tol':>7s}{'same':>8s}{'acc':>8s}"
        f"{'epochs':>8s}{'seconds':>9s}{'max gap':>9s}"
    )
    for name in names:
        for clf in CLASSIFIERS:
            ref = {
                r["fold"]: r["predictions"]
                for r in select(records, data=name, clf=clf, tol=REFERENCE_TOL)
            }
            for tol in (*tols, REFERENCE_TOL):
                rows = select(records, data=name, clf=clf, tol=tol)
                same = np.mean(
                    np.concatenate([r["predictions"] == ref[r["fold"]] for r in rows])
                )
                print(
                    f"{name:10s}{clf:8s}{tol:7.0e}{same:8.4f}"
                    f"{mean(rows, 'accuracy'):8.4f}{mean(rows, 'n_iter'):8.1f}"
                    f"{mean(rows, 'seconds'):9.3f}"
                    f"{max(r['gap'] for r in rows):9.1e}"
                )


# ------------------------------------------------------------------ max_iter
def print_max_iter(records, alphas, max_iter):
    print(
        f"\n## 3. max_iter={max_iter}: n_iter_ over the fits of study 1 "
        "(all sets, both classifiers, all folds)\n"
    )
    print(
        f"{'alpha':>7s}{'fits':>6s}{'median':>8s}{'p95':>7s}{'max':>6s}"
        f"{'at max':>8s}{'warned':>8s}  sets that warned"
    )
    for alpha in alphas:
        rows = select(records, alpha=alpha, grid=True)
        n_iter = np.array([r["n_iter"] for r in rows])
        warned = sorted({f"{r['data']}/{r['clf']}" for r in rows if r["warned"]})
        print(
            f"{alpha_label(alpha):>7s}{len(rows):6d}{np.median(n_iter):8.0f}"
            f"{np.percentile(n_iter, 95):7.0f}{n_iter.max():6d}"
            f"{np.sum(n_iter >= max_iter):8d}"
            f"{sum(r['warned'] for r in rows):8d}  {', '.join(warned)}"
        )
    rows = select(records, grid=False)
    n_iter = np.array([r["n_iter"] for r in rows])
    print(
        f"{'1/n':>7s}{len(rows):6d}{np.median(n_iter):8.0f}"
        f"{np.percentile(n_iter, 95):7.0f}{n_iter.max():6d}"
        f"{np.sum(n_iter >= max_iter):8d}{sum(r['warned'] for r in rows):8d}"
    )


# ---------------------------------------------------------------- batch_size
def batch_study(names, alpha, n_jobs):
    tasks = [
        (name, fold, clf, {"alpha": alpha, "batch_size": batch_size}, False)
        for name in names
        for clf in CLASSIFIERS
        for batch_size in BATCH_SIZES
        for fold in range(N_FOLDS)
    ]
    return run(tasks, n_jobs)


def print_batch(records, names, alpha):
    print(
        f"\n## 4. batch_size at alpha={alpha:g}, default tol: mean CPU s "
        "to the certificate, epochs, accuracy, max gap\n"
    )
    print(
        f"{'data':10s}{'clf':8s}{'batch':>6s}{'seconds':>9s}{'ratio':>7s}"
        f"{'epochs':>8s}{'acc':>8s}{'max gap':>9s}"
    )
    for name in names:
        for clf in CLASSIFIERS:
            auto = mean(
                select(records, data=name, clf=clf, batch_size="auto"), "seconds"
            )
            for batch_size in BATCH_SIZES:
                rows = select(records, data=name, clf=clf, batch_size=batch_size)
                seconds = mean(rows, "seconds")
                print(
                    f"{name:10s}{clf:8s}{batch_size!s:>6s}{seconds:9.3f}"
                    f"{seconds / auto:7.2f}{mean(rows, 'n_iter'):8.1f}"
                    f"{mean(rows, 'accuracy'):8.4f}"
                    f"{max(r['gap'] for r in rows):9.1e}"
                )


QUICK = False
N_FOLDS = 5


def main():
    global QUICK, N_FOLDS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced grid, < 2 min")
    parser.add_argument("--n-jobs", type=int, default=1, help="fits side by side")
    parser.add_argument(
        "--studies", default="alpha,tol,max_iter,batch", help="comma-separated"
    )
    args = parser.parse_args()
    QUICK = args.quick
    studies = set(args.studies.split(","))
    default = SoftmaxClassifier()
    keys = ("alpha", "tol", "max_iter", "batch_size")
    svm = LinearSVMClassifier().get_params()
    if any(svm[key] != default.get_params()[key] for key in keys):
        print("note: the two classifiers' defaults differ")
    alpha, max_iter = default.alpha, default.max_iter
    if QUICK:
        N_FOLDS = 3
        names = SMALL
        alphas = (1e-4, 1e-3, alpha, 1e-1)
        tols, tol_names, batch_names = (1e-1, 1e-3, 1e-6), ("digits",), ("digits",)
    else:
        names = (*SMALL, "synth20k", "photo")
        alphas, tols = ALPHAS, TOLS
        tol_names = batch_names = ("digits", "synth20k")
    print(
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {platform.node()}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; defaults alpha="
        f"{alpha:g} tol={default.tol:g} max_iter={max_iter} "
        f"batch_size={default.batch_size!r}; {N_FOLDS} folds"
    )
    started = time.perf_counter()
    if studies & {"alpha", "max_iter"}:
        records = alpha_study(names, alphas, args.n_jobs)
        if "alpha" in studies:
            print_alpha(records, names, alphas, alpha)
    if "tol" in studies:
        print_tol(
            tol_study(tol_names, tols, alpha, args.n_jobs), tol_names, tols, alpha
        )
    if "max_iter" in studies:
        print_max_iter(records, alphas, max_iter)
    if "batch" in studies:
        print_batch(batch_study(batch_names, alpha, args.n_jobs), batch_names, alpha)
    print(
        f"\n{time.perf_counter() - started:.0f} s wall, "
        f"load {os.getloadavg()[0]:.2f} at the end"
    )


if __name__ == "__main__":
    main()
