"""How fast the default solver (sklinear._solvers.solve) reaches the optimum.

For each data set (iris, wine, breast_cancer, digits standardized; with
``--big`` also the 40,000 x 3,072 float32 10-class make_classification of
bench_classifiers.py), loss and alpha, prints:

* softmax + L2: epochs and seconds until the certified relative gap first
  falls below 1e-2, 1e-3, 1e-4, and the ratio of the time to 1e-3 to the
  time LogisticRegression(lbfgs) takes to reach the same objective (its
  smallest ``max_iter`` that does, timed in the same run, interleaved);
* hinge + L2: the same gaps, then the time to 1e-2 against LinearSVC
  (``C = 1 / (alpha n)``) with both test accuracies (75/25 split);
* for iris and digits, the time of the default solve (tol 1e-3) against
  SGDClassifier's default fit.

Times are the best of ``--repeats`` runs alternated between the methods, so
that a busy moment of the shared machine hits both; every figure that
matters is a ratio measured in this run.

Run: ``python benchmarks/bench_optimum.py [--big] [--repeats 3]``.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from sklinear._solvers import solve
from sklinear.objective import LinearObjective
from sklinear.penalties import make_penalty

SMALL = {
    "iris": datasets.load_iris,
    "wine": datasets.load_wine,
    "breast_cancer": datasets.load_breast_cancer,
    "digits": datasets.load_digits,
}
GAPS = (1e-2, 1e-3, 1e-4)


def load(name):
    if name == "big":
        import bench_classifiers

        X, _, y, _ = bench_classifiers.make_data(40_000, 10_000, 3072)
        return X, y
    X, y = SMALL[name](return_X_y=True)
    return StandardScaler().fit_transform(X), y


def make_objective(X, y, loss, alpha):
    penalty = make_penalty("l2", alpha)
    return LinearObjective(X, y, loss=loss, penalty=penalty, center=True)


def run_solver(objective, tol):
    W, b = objective.initial_weights(objective.n_classes)
    started = time.perf_counter()
    result = solve(objective, W, b, tol=tol, random_state=0)
    return result, time.perf_counter() - started


def first_reached(history, threshold):
    """(epochs, seconds, objective) of the first snapshot at or below it."""
    for epochs, gap, primal, _, seconds in history:
        if gap <= threshold:
            return epochs, seconds, primal
    return None


def quiet_fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        started = time.perf_counter()
        model.fit(X, y)
        return time.perf_counter() - started


def lbfgs_iterations_to(objective, X, y, alpha, target, max_iter=500):
    """Smallest max_iter at which lbfgs's objective is at most ``target``."""
    n = X.shape[0]
    binary = len(np.unique(y)) == 2

    def value(k):
        model = LogisticRegression(C=(2 if binary else 1) / (alpha * n), max_iter=k)
        model.set_params(tol=1e-12)
        quiet_fit(model, X, y)
        W, b = model.coef_, model.intercept_
        if binary:
            W, b = np.vstack([-W / 2, W / 2]), np.array([-b[0], b[0]]) / 2
        W = W.astype(objective.dtype)
        return objective.value(W, objective.parameters_from_intercept(W, b))

    low, high = 1, 8
    while value(high) > target and high < max_iter:
        low, high = high, 2 * high
    while low < high:
        middle = (low + high) // 2
        low, high = (middle + 1, high) if value(middle) > target else (low, middle)
    return high


def bench_softmax(name, X, y, alpha, repeats):
    objective = make_objective(X, y, "softmax", alpha)
    result, _ = run_solver(objective, tol=1e-4)
    reached = [first_reached(result.history, g) for g in GAPS]
    line = f"{name:14s} softmax alpha={alpha:g}:"
    for g, r in zip(GAPS, reached, strict=True):
        line += f"  gap {g:g}: " + ("-" if r is None else f"{r[0]} ep {r[1]:.3f}s")
    print(line, flush=True)
    if reached[1] is None:
        return
    n_iter = lbfgs_iterations_to(objective, X, y, alpha, reached[1][2])
    n = X.shape[0]
    binary = len(np.unique(y)) == 2
    lbfgs = LogisticRegression(C=(2 if binary else 1) / (alpha * n), max_iter=n_iter)
    lbfgs.set_params(tol=1e-12)
    ours, theirs = [], []
    for _ in range(repeats):
        result, _ = run_solver(objective, tol=1e-3)
        ours.append(first_reached(result.history, 1e-3)[1])
        theirs.append(quiet_fit(lbfgs, X, y))
    print(
        f"{'':14s}   time to gap 1e-3 {min(ours):.4f}s; lbfgs to that "
        f"objective ({n_iter} iterations) {min(theirs):.4f}s; ratio "
        f"{min(ours) / min(theirs):.2f}",
        flush=True,
    )


def bench_hinge(name, X, y, alpha, repeats):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    objective = make_objective(X_train, y_train, "hinge", alpha)
    result, _ = run_solver(objective, tol=1e-2)
    line = f"{name:14s} hinge   alpha={alpha:g}:"
    for g in GAPS[:1]:
        r = first_reached(result.history, g)
        line += f"  gap {g:g}: " + ("-" if r is None else f"{r[0]} ep {r[1]:.3f}s")
    scores = X_test @ result.W.T + objective.intercept(result.W, result.b)
    ours_accuracy = np.mean(np.argmax(scores, axis=1) == y_test)
    svc = LinearSVC(C=1 / (alpha * len(y_train)))
    ours, theirs = [], []
    for _ in range(repeats):
        ours.append(run_solver(objective, tol=1e-2)[1])
        theirs.append(quiet_fit(svc, X_train, y_train))
    print(
        f"{line}\n{'':14s}   time {min(ours):.4f}s vs LinearSVC {min(theirs):.4f}s "
        f"(ratio {min(ours) / min(theirs):.2f}); test accuracy {ours_accuracy:.4f} "
        f"vs {svc.score(X_test, y_test):.4f}",
        flush=True,
    )


def bench_small_overhead(name, X, y, repeats):
    objective = make_objective(X, y, "softmax", 5e-3)
    sgd = SGDClassifier(loss="log_loss", alpha=5e-3, random_state=0)
    ours, theirs = [], []
    for _ in range(repeats):
        ours.append(run_solver(objective, tol=1e-3)[1])
        theirs.append(quiet_fit(sgd, X, y))
    print(
        f"{name:14s} default solve {min(ours):.4f}s vs SGDClassifier "
        f"{min(theirs):.4f}s (ratio {min(ours) / min(theirs):.2f})",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--big", action="store_true", help="add the 40,000 x 3,072")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default=None, help="comma-separated data sets")
    args = parser.parse_args()
    names = list(SMALL) + (["big"] if args.big else [])
    if args.only:
        names = args.only.split(",")
    for name in names:
        X, y = load(name)
        for alpha in (1e-3, 5e-3):
            bench_softmax(name, X, y, alpha, args.repeats)
            if name != "big":
                bench_hinge(name, X, y, alpha, args.repeats)
        if name in ("iris", "digits"):
            bench_small_overhead(name, X, y, args.repeats)


if __name__ == "__main__":
    main()
