"""Fit time with PyTorch tensors (array API dispatch) against NumPy input and
against a plain PyTorch training loop of the same model.

For each shape (default: 20,000 x 500 and 100,000 x 100 float32, 10
classes, standardized ``make_classification``) and each classifier, times:

* ``numpy``: the classifier's default fit on the NumPy array (the certified
  solver, ``solver='auto'``, with its compiled sweeps);
* ``torch-cpu``: the same classifier, same parameters, on CPU tensors with
  ``array_api_dispatch=True`` (accelerated proximal gradient to
  ``tol`` on the gradient mapping; the hinge smoothed by homotopy);
* ``loop-sgd``: a plain PyTorch loop, ``torch.optim.SGD`` with momentum 0.9,
  the NumPy fit's step size, batch size and number of epochs (the same work
  as the NumPy fit, without its schedule);
* ``loop-lbfgs`` (softmax only): ``torch.optim.LBFGS`` (strong Wolfe), full
  batch, until its objective is at most the ``torch-cpu`` fit's.

and, when ``torch.cuda.is_available()``, ``torch-cuda``, ``loop-sgd-cuda``
and ``loop-lbfgs-cuda`` the same on the GPU. Each row gives the best time
of ``--repeats`` runs (alternated between the methods) and the objective
``mean loss + alpha * R(W)`` of the result, computed in float64 by NumPy.

Run: ``python benchmarks/bench_array_api.py [--repeats 2] [--threads 1] [--shapes
20000x500 100000x100] [--estimators softmax svm]``.
"""

import argparse
import os
import time
import warnings

os.environ.setdefault("SCIPY_ARRAY_API", "1")  # before SciPy is imported

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
import torch  # noqa: E402
from scipy.special import logsumexp  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from sklinear import LinearSVMClassifier, SoftmaxClassifier  # noqa: E402

ESTIMATORS = {"softmax": SoftmaxClassifier, "svm": LinearSVMClassifier}
ALPHA = 5e-3  # the classifiers' default


def make_data(n_samples, n_features, n_classes=10, seed=0):
    X, y = make_classification(
        n_samples,
        n_features,
        n_informative=min(n_features // 2, 50),
        n_classes=n_classes,
        random_state=seed,
    )
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return np.ascontiguousarray(X, dtype=np.float32), y


def objective(X, y, coef, intercept, loss):
    """``mean loss + alpha/2 ||W||^2`` in float64 (10 classes: coef_ is W)."""
    S = X.astype(np.float64) @ coef.T.astype(np.float64) + intercept
    correct = S[np.arange(len(y)), y]
    if loss == "softmax":
        losses = logsumexp(S, axis=1) - correct
    else:
        losses = np.maximum(S - correct[:, None] + 1.0, 0).sum(axis=1) - 1.0
    return float(losses.mean() + 0.5 * ALPHA * np.sum(coef.astype(np.float64) ** 2))


def _sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def torch_loss(S, y, loss):
    if loss == "softmax":
        return torch.nn.functional.cross_entropy(S, y)
    # multi_margin_loss is the Weston-Watkins hinge divided by n_classes.
    return torch.nn.functional.multi_margin_loss(S, y) * S.shape[1]


def loop_sgd(X, y, loss, lr, epochs, batch_size, device):
    """A plain PyTorch loop: shuffled minibatches, SGD with momentum 0.9."""
    W = torch.zeros(10, X.shape[1], device=device, requires_grad=True)
    b = torch.zeros(10, device=device, requires_grad=True)
    optimizer = torch.optim.SGD([W, b], lr=lr, momentum=0.9)
    generator = torch.Generator(device="cpu").manual_seed(0)
    for _ in range(epochs):
        order = torch.randperm(X.shape[0], generator=generator).to(device)
        for start in range(0, X.shape[0], batch_size):
            rows = order[start : start + batch_size]
            optimizer.zero_grad()
            value = torch_loss(X[rows] @ W.T + b, y[rows], loss)
            (value + 0.5 * ALPHA * (W * W).sum()).backward()
            optimizer.step()
    return W.detach(), b.detach()


def loop_lbfgs(X, y, target, X_np, y_np, device, max_rounds=50):
    """Full-batch LBFGS, 10 iterations per round, until the objective (float64,
    as reported) is at most ``target``; returns weights and iterations."""
    W = torch.zeros(10, X.shape[1], device=device, requires_grad=True)
    b = torch.zeros(10, device=device, requires_grad=True)
    optimizer = torch.optim.LBFGS(
        [W, b], max_iter=10, line_search_fn="strong_wolfe", tolerance_change=0
    )

    def closure():
        optimizer.zero_grad()
        value = torch_loss(X @ W.T + b, y, "softmax") + 0.5 * ALPHA * (W * W).sum()
        value.backward()
        return value

    rounds = 0
    while rounds < max_rounds:
        optimizer.step(closure)
        rounds += 1
        coef, intercept = (t.detach().cpu().numpy() for t in (W, b))
        if objective(X_np, y_np, coef, intercept, "softmax") <= target * (1 + 1e-6):
            break
    return W.detach(), b.detach(), 10 * rounds


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def run_shape(n_samples, n_features, names, repeats):
    X, y = make_data(n_samples, n_features)
    rows = {}
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for name in names:
        Estimator, loss = ESTIMATORS[name], name
        for _ in range(repeats):  # alternated, best of `repeats`
            for key, (seconds, coef, intercept, info) in _one_round(
                X, y, Estimator, loss, devices
            ).items():
                best = rows.get((name, key))
                if best is None or seconds < best[0]:
                    value = objective(X, y, coef, intercept, loss)
                    rows[(name, key)] = (seconds, value, info)
    print(f"\n{n_samples:,} x {n_features} float32, 10 classes")
    print(f"{'model':<8} {'method':<16} {'time (s)':>9} {'objective':>12}  notes")
    for (name, key), (seconds, value, info) in rows.items():
        print(f"{name:<8} {key:<16} {seconds:9.3f} {value:12.6f}  {info}")


def _one_round(X, y, Estimator, loss, devices):
    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        seconds, model = timed(lambda: Estimator(random_state=0).fit(X, y))
    results["numpy"] = (
        seconds,
        model.coef_,
        model.intercept_,
        f"{model.n_iter_} epochs",
    )
    epochs, lr = model.n_iter_, model.learning_rate_
    batch = int(np.clip(X.shape[0] // 30, 32, 2048))
    for device in devices:
        X_t, y_t = torch.asarray(X, device=device), torch.asarray(y, device=device)
        suffix = "" if device == "cpu" else "-cuda"

        def xp_fit(X_t=X_t, y_t=y_t, device=device):
            with sklearn.config_context(array_api_dispatch=True):
                fitted = Estimator(random_state=0).fit(X_t, y_t)
            _sync(device)
            return fitted

        seconds, fitted = timed(xp_fit)
        coef, intercept = (t.cpu().numpy() for t in (fitted.coef_, fitted.intercept_))
        results[f"torch-{device}"] = (
            seconds,
            coef,
            intercept,
            f"{fitted.n_iter_} iterations",
        )
        target = objective(X, y, coef, intercept, loss)

        def sgd(X_t=X_t, y_t=y_t, device=device):
            out = loop_sgd(X_t, y_t, loss, lr, epochs, batch, device)
            _sync(device)
            return out

        seconds, (W, b) = timed(sgd)
        results[f"loop-sgd{suffix}"] = (
            seconds,
            W.cpu().numpy(),
            b.cpu().numpy(),
            f"{epochs} epochs, lr {lr:.2g}",
        )
        if loss == "softmax":
            seconds, (W, b, n_iter) = timed(
                lambda X_t=X_t, y_t=y_t, device=device, target=target: loop_lbfgs(
                    X_t, y_t, target, X, y, device
                )
            )
            results[f"loop-lbfgs{suffix}"] = (
                seconds,
                W.cpu().numpy(),
                b.cpu().numpy(),
                f"{n_iter} iterations",
            )
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    # One thread by default: on a shared, loaded machine a second OpenMP
    # thread of PyTorch spins for a busy core (5 to 50x slower fits were
    # measured with 2 threads at a load average of 7 on 2 cores).
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--shapes", nargs="+", default=["20000x500", "100000x100"])
    parser.add_argument(
        "--estimators", nargs="+", default=["softmax", "svm"], choices=ESTIMATORS
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    threadpool_limits(args.threads)  # BLAS and sklinear's compiled kernel
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, CUDA: "
        f"{torch.cuda.is_available()}; sklearn {sklearn.__version__}"
    )
    for shape in args.shapes:
        n_samples, n_features = (int(v) for v in shape.split("x"))
        run_shape(n_samples, n_features, args.estimators, args.repeats)


if __name__ == "__main__":
    main()
