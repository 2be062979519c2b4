"""The certified solver with the compiled per-sample SAGA sweep, against
LogisticRegression and against the solver's NumPy minibatch path.

For softmax + L2 at each ``--alphas`` value, on iris, wine, breast_cancer and
digits (standardized), a dense 20,000 x 500 10-class make_classification and
sparse tf-idf-like data (CSR, 20,000 x 20,000, about 100 nonzeros a row, 20
classes), prints:

* the wall time of ``solve(tol=1e-3)`` with the sweep (``batch_size=1``:
  single-sample steps) and its epochs, and the same with the sweep switched
  off (NumPy minibatches, the previous default), with the ratio NumPy /
  sweep, and which of the two ``batch_size='auto'`` takes;
* one epoch alone (the steps, no snapshot) of each path, and their ratio;
* the time LogisticRegression(lbfgs) takes to reach the objective the sweep
  ended at (its smallest ``max_iter`` that does, found first), and the
  ratio sweep / lbfgs (below 1: the sweep is faster); on the sparse data
  also LogisticRegression(saga) with ``tol=1e-4``, as a reference for speed
  only (its objective is printed beside ours).

Each time is the best of ``--repeats`` runs, the methods alternated, so that
a busy moment of the shared machine hits all of them; the figures that
matter are the ratios measured in one run. A solve that does not reach the
gap within ``--max-epochs`` prints the gap it reached.

Run: ``python benchmarks/bench_saga_sweep.py [--repeats 2] [--quick]``.
"""

import argparse
import time

import numpy as np
import scipy.sparse as sp
from bench_optimum import SMALL, lbfgs_iterations_to, quiet_fit
from sklearn.datasets import make_classification
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sklinear._solvers import Certificate, _sample_saga, solve
from sklinear._solvers._driver import auto_batches
from sklinear._solvers._saga import make_saga, saga_batches
from sklinear.objective import LinearObjective
from sklinear.penalties import make_penalty


def tfidf_like(n=20_000, d=20_000, n_classes=20, per_row=100, seed=0):
    """Word counts from a class topic mixed with a Zipf background, tf-idf."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    background = 1.0 / np.arange(1, d + 1)
    background /= background.sum()
    topics = [rng.choice(d, 200, replace=False) for _ in range(n_classes)]
    from_topic = rng.random((n, per_row)) < 0.3
    words = rng.choice(d, size=(n, per_row), p=background)
    topic_words = np.stack([topics[c][rng.integers(0, 200, per_row)] for c in y])
    words = np.where(from_topic, topic_words, words)
    rows = np.repeat(np.arange(n), per_row)
    counts = sp.csr_matrix((np.ones(n * per_row), (rows, words.ravel())), (n, d))
    counts.sum_duplicates()
    return TfidfTransformer().fit_transform(counts).tocsr(), y


def load(name):
    if name in SMALL:
        X, y = SMALL[name](return_X_y=True)
        return StandardScaler().fit_transform(X), y
    if name == "dense-20000x500":
        X, y = make_classification(
            20_000, 500, n_informative=50, n_classes=10, random_state=0
        )
        return StandardScaler().fit_transform(X), y
    return tfidf_like()


def timed_solve(objective, max_epochs, sweep):
    """``solve(tol=1e-3)``: single-sample steps (``batch_size=1``) through
    the sweep, or with it switched off the NumPy minibatches of 'auto'."""
    _sample_saga.enabled = sweep
    try:
        W, b = objective.initial_weights(objective.n_classes)
        started = time.perf_counter()
        result = solve(
            objective, W, b, tol=1e-3, random_state=0, max_epochs=max_epochs,
            batch_size=1 if sweep else "auto",
        )  # fmt: skip
        return result, time.perf_counter() - started
    finally:
        _sample_saga.enabled = True


def describe(result, seconds):
    status = "" if result.converged else f" (gap {result.gap:.1e} only)"
    return f"{seconds:.3f}s, {result.n_epochs} ep{status}"


def bench(name, X, y, alpha, repeats, max_epochs):
    objective = LinearObjective(
        X, y, loss="softmax", penalty=make_penalty("l2", alpha), center=True
    )
    sweep_epoch, numpy_epoch, n_batches = epoch_times(objective, max(repeats, 3))
    auto = saga_batches(objective, n_batches)
    print(
        f"{name:16s} alpha={alpha:g}: one epoch: sweep {sweep_epoch * 1e3:.2f} ms, "
        f"numpy ({n_batches} batches) {numpy_epoch * 1e3:.2f} ms, "
        f"numpy/sweep {numpy_epoch / sweep_epoch:.2f}; 'auto' takes the "
        f"{'sweep' if auto == objective.n_samples else 'minibatches'}",
        flush=True,
    )
    target = timed_solve(objective, max_epochs, True)[0].primal
    n_iter = lbfgs_iterations_to(objective, X, y, alpha, target, max_iter=2000)
    binary = len(np.unique(y)) == 2
    C = (2 if binary else 1) / (alpha * X.shape[0])
    lbfgs = LogisticRegression(C=C, max_iter=n_iter, tol=1e-12)
    saga_lr = LogisticRegression(C=C, solver="saga", tol=1e-4, max_iter=1000)
    best = {}
    for _ in range(repeats):
        runs = {
            "sweep": lambda: timed_solve(objective, max_epochs, True),
            "numpy": lambda: timed_solve(objective, max_epochs, False),
            "lbfgs": lambda: (None, quiet_fit(lbfgs, X, y)),
        }
        if sp.issparse(X):
            runs["lr-saga"] = lambda: (None, quiet_fit(saga_lr, X, y))
        for key, run in runs.items():
            result, seconds = run()
            if key not in best or seconds < best[key][1]:
                best[key] = (result, seconds)
    sweep, numpy_path, lbfgs_time = best["sweep"], best["numpy"], best["lbfgs"][1]
    print(
        f"{name:16s} alpha={alpha:g}: sweep {describe(*sweep)}; numpy "
        f"{describe(*numpy_path)}; numpy/sweep {numpy_path[1] / sweep[1]:.2f}; "
        f"lbfgs to the sweep's objective ({n_iter} it) {lbfgs_time:.3f}s; "
        f"sweep/lbfgs {sweep[1] / lbfgs_time:.2f}",
        flush=True,
    )
    if "lr-saga" in best:
        value = _lr_objective(objective, saga_lr, binary)
        print(
            f"{'':16s} LogisticRegression(saga, tol=1e-4) {best['lr-saga'][1]:.3f}s "
            f"(objective {value:.6g}, the sweep's {sweep[0].primal:.6g}); "
            f"sweep/lr-saga {sweep[1] / best['lr-saga'][1]:.2f}",
            flush=True,
        )


def epoch_times(objective, repeats):
    """Best-of-``repeats`` seconds of one sweep epoch and one NumPy epoch."""
    n = objective.n_samples
    nonzeros = objective.X.nnz if sp.issparse(objective.X) else None
    n_batches = auto_batches(
        n, objective.X.shape[1], objective.n_classes, nonzeros=nonzeros
    )
    W, b = objective.initial_weights(objective.n_classes)
    snapshot = Certificate(objective)(W, b)
    stepper = {"sweep": make_saga(objective, n)}
    _sample_saga.enabled = False
    stepper["numpy"] = make_saga(objective, n_batches)
    _sample_saga.enabled = True
    best = {}
    rng = np.random.default_rng(0)
    for _ in range(repeats):
        for key, saga in stepper.items():
            saga.reset(snapshot.gradient, snapshot.weighted_sum)
            order = rng.permutation(n if key == "sweep" else n_batches)
            W, b = objective.initial_weights(objective.n_classes)
            started = time.perf_counter()
            saga.epoch(W, b, 1e-3, order)
            seconds = time.perf_counter() - started
            best[key] = min(best.get(key, np.inf), seconds)
    return best["sweep"], best["numpy"], n_batches


def _lr_objective(objective, model, binary):
    W, b = model.coef_, model.intercept_
    if binary:
        W, b = np.vstack([-W / 2, W / 2]), np.array([-b[0], b[0]]) / 2
    W = W.astype(objective.dtype)
    return objective.value(W, objective.parameters_from_intercept(W, b))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--max-epochs", type=int, default=300)
    parser.add_argument("--alphas", type=float, nargs="+", default=[5e-3, 1e-4])
    parser.add_argument("--quick", action="store_true", help="small data sets only")
    parser.add_argument("--only", nargs="+", help="data sets by name")
    args = parser.parse_args()
    names = [*SMALL, "dense-20000x500", "tfidf-20000x20000"]
    names = names[:4] if args.quick else names
    names = [name for name in names if not args.only or name in args.only]
    for name in names:
        X, y = load(name)
        for alpha in args.alphas:
            bench(name, X, y, alpha, args.repeats, args.max_epochs)


if __name__ == "__main__":
    main()
