"""The softmax with an L1 part: OWL-QN (``solver='lbfgs'``, what 'auto'
takes on dense data) against proximal SAGA, to a certified gap of 1e-3.

For iris, wine, breast_cancer and digits (standardized), pure L1 and the
elastic net (``l1_ratio=0.5``) at ``alpha`` 1e-2 and 1e-3, prints each
method's iterations (epochs), time, final gap, objective and exact zeros,
and the ratio of the times. Times are the best of ``--repeats`` solves
alternated between the methods in one process, so that a busy moment of
the shared machine hits both.

With ``--tfidf``, the CSR tf-idf-like 20,000 x 20,000 set of
bench_optimum.py (about 85 values a row, 20 classes) instead, at smaller
alphas (rows of unit norm), SAGA capped at 300 epochs, one solve each.

Run: ``python benchmarks/bench_l1.py [--repeats 3] [--only wine,digits]``,
or ``python benchmarks/bench_l1.py --tfidf``.
"""

import argparse
import time

import numpy as np
from sklearn import datasets
from sklearn.preprocessing import StandardScaler

from sklinear._solvers import solve
from sklinear.objective import LinearObjective
from sklinear.penalties import make_penalty

SETS = {
    "iris": datasets.load_iris,
    "wine": datasets.load_wine,
    "breast_cancer": datasets.load_breast_cancer,
    "digits": datasets.load_digits,
}
CASES = (("l1", 1e-2), ("l1", 1e-3), ("elasticnet", 1e-2), ("elasticnet", 1e-3))
TFIDF_CASES = (("l1", 1e-3), ("l1", 1e-4), ("l1", 1e-5), ("elasticnet", 1e-4))


def timed_solve(X, y, penalty, alpha, method, max_epochs=1000):
    """A whole solve to tol 1e-3 (objective set-up included): result, s."""
    started = time.perf_counter()
    if penalty == "l1":
        made = make_penalty("l1", alpha)
    else:
        made = make_penalty("elasticnet", alpha, l1_ratio=0.5)
    dense = isinstance(X, np.ndarray)
    objective = LinearObjective(X, y, "softmax", penalty=made, center=dense)
    W, b = objective.initial_weights(objective.n_classes)
    result = solve(
        objective, W, b, method=method, tol=1e-3, random_state=0,
        max_epochs=max_epochs,
    )  # fmt: skip
    return result, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default=",".join(SETS))
    parser.add_argument("--tfidf", action="store_true")
    args = parser.parse_args()
    if args.tfidf:
        from bench_optimum import make_tfidf

        data = {"tfidf20k": make_tfidf()}
        cases, repeats, max_epochs = TFIDF_CASES, 1, 300
    else:
        data = {}
        for name in args.only.split(","):
            X, y = SETS[name](return_X_y=True)
            data[name] = StandardScaler().fit_transform(X), y
        cases, repeats, max_epochs = CASES, args.repeats, 1000
    for name, (X, y) in data.items():
        for penalty, alpha in cases:
            times = {"lbfgs": [], "saga": []}
            results = {}
            for _ in range(repeats):
                for method in times:
                    results[method], seconds = timed_solve(
                        X, y, penalty, alpha, method, max_epochs
                    )
                    times[method].append(seconds)
            line = f"{name:13s} {penalty:10s} alpha={alpha:g}:"
            for method, result in results.items():
                line += (
                    f"  {'OWL-QN' if method == 'lbfgs' else 'SAGA'} "
                    f"{result.n_epochs} ep {min(times[method]) * 1e3:.1f} ms "
                    f"gap {result.gap:.1e} objective {result.primal:.6f} zeros "
                    f"{int(np.sum(result.W == 0))}"
                )
            ratio = min(times["lbfgs"]) / min(times["saga"])
            print(f"{line}; ratio {ratio:.2f}", flush=True)


if __name__ == "__main__":
    main()
