"""Speed and accuracy of the classifiers against scikit-learn's, in one run.

Data: ``make_classification`` with 10 classes and 3,072 features (a CIFAR-10
sized row), standardized, float32; 40,000 training and 10,000 test rows by
default. Every figure is printed as a ratio to a reference measured in the
same run, because absolute times on a shared machine move.

1. Same number of epochs: LinearSVMClassifier / SoftmaxClassifier against
   SGDClassifier(loss='hinge' / 'log_loss') (one-vs-rest, one sample per step).
2. Default settings: SoftmaxClassifier against LogisticRegression(lbfgs),
   both the full default fit and the time until its test accuracy first comes
   within 0.5 point of LogisticRegression's (epoch by epoch, same settings).
3. Cost of one epoch of the lecture's minibatch SGD (``solver='sgd'``)
   against the machine's bound for it (roofline: one read
   of X plus 4 * N * D * C flops at the machine's peak rate), with the
   compiled fused pass (sklinear/_fused.c, the default where it is built) and
   with the NumPy/BLAS path, whose two matrix products alone are timed too.

Run: ``python benchmarks/bench_classifiers.py`` (``--help`` for options).
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.preprocessing import StandardScaler

import sklinear._fused_pass as fused_pass
from sklinear import LinearSVMClassifier, SoftmaxClassifier
from sklinear.objective import _weight_gradient
from sklinear.optimize import _batches


def make_data(n_train, n_test, n_features, seed=0):
    X, y = make_classification(
        n_samples=n_train + n_test,
        n_features=n_features,
        n_informative=64,
        n_redundant=0,
        n_classes=10,
        n_clusters_per_class=1,
        class_sep=2.0,
        random_state=seed,
    )
    X = StandardScaler().fit_transform(X).astype(np.float32)
    return X[:n_train], X[n_train:], y[:n_train], y[n_train:]


def seconds(function, *args):
    """Wall time of one call."""
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def best_time(function, repeats):
    return min(seconds(function) for _ in range(repeats))


def timed_fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return seconds(model.fit, X, y)


def best_fit_times(models, X, y, repeats):
    """Best wall time of each model over ``repeats`` rounds of fits.

    The rounds alternate between the models, so that a moment when the shared
    machine is busy with something else hits them alike; the best time of
    each filters such moments out. Every fit starts from scratch (same seed).
    """
    times = [[] for _ in models]
    for _ in range(repeats):
        for model, model_times in zip(models, times):
            model_times.append(timed_fit(model, X, y))
    return [min(model_times) for model_times in times]


def same_epochs(data, epochs, repeats):
    X_train, X_test, y_train, y_test = data
    print(f"\n1. Same number of epochs ({epochs}), float32, best of {repeats} fits")
    print(f"{'model':<44}{'fit s':>8}{'accuracy':>10}{'speed-up':>10}")
    pairs = [
        ("hinge", LinearSVMClassifier, "LinearSVMClassifier"),
        ("log_loss", SoftmaxClassifier, "SoftmaxClassifier"),
    ]
    for loss, Ours, name in pairs:
        reference = SGDClassifier(loss=loss, max_iter=epochs, tol=None, random_state=0)
        ours = Ours(max_iter=epochs, tol=None, random_state=0)
        reference_time, our_time = best_fit_times(
            [reference, ours], X_train, y_train, repeats
        )
        print(
            f"{f'SGDClassifier(loss={loss!r})':<44}{reference_time:>8.2f}"
            f"{reference.score(X_test, y_test):>10.4f}{'1.0x':>10}"
        )
        print(
            f"{name:<44}{our_time:>8.2f}{ours.score(X_test, y_test):>10.4f}"
            f"{reference_time / our_time:>9.1f}x"
        )


def time_to_accuracy(model, data, target, max_epochs):
    """Seconds of training until the test accuracy first reaches ``target``.

    The model runs with its own settings one epoch at a time (warm start, one
    epoch per fit); the test scoring between epochs is not counted.
    """
    X_train, X_test, y_train, y_test = data
    model.set_params(warm_start=True, max_iter=1, tol=None)
    elapsed = 0.0
    for epoch in range(1, max_epochs + 1):
        elapsed += timed_fit(model, X_train, y_train)
        if model.score(X_test, y_test) >= target:
            return elapsed, epoch
    return float("nan"), max_epochs


def against_logistic_regression(data, repeats):
    X_train, X_test, y_train, y_test = data
    print(
        "\n2. Default settings against LogisticRegression(lbfgs), float32, "
        f"best of {repeats} fits"
    )
    reference = LogisticRegression()
    ours = SoftmaxClassifier(random_state=0)
    reference_time, our_time = best_fit_times(
        [reference, ours], X_train, y_train, repeats
    )
    reference_accuracy = reference.score(X_test, y_test)
    reach_time, reach_epochs = time_to_accuracy(
        SoftmaxClassifier(random_state=0), data, reference_accuracy - 0.005, 20
    )
    print(f"{'':<44}{'fit s':>8}{'accuracy':>10}{'time/LR':>10}")
    print(
        f"{'LogisticRegression()':<44}{reference_time:>8.2f}"
        f"{reference_accuracy:>10.4f}{'1.00':>10}"
    )
    print(
        f"{f'SoftmaxClassifier() full fit ({ours.n_iter_} epochs)':<44}"
        f"{our_time:>8.2f}{ours.score(X_test, y_test):>10.4f}"
        f"{our_time / reference_time:>10.2f}"
    )
    print(
        f"{f'SoftmaxClassifier() to LR-0.5pt ({reach_epochs} epochs)':<44}"
        f"{reach_time:>8.2f}{'':>10}{reach_time / reference_time:>10.2f}"
    )


def machine_bound(X, n_classes, repeats=3):
    """Seconds for one read of X, and for 4*N*D*C flops at the peak rate.

    ``read`` is the faster of two single passes over X (``X.sum(axis=0)`` and
    the BLAS product ``ones @ X``, which reads on every core); the peak rate
    comes from a 2048 x 2048 float32 product (compute-bound).
    """
    ones = np.ones(X.shape[0], dtype=X.dtype)
    read = min(
        best_time(lambda: X.sum(axis=0), repeats),
        best_time(lambda: ones @ X, repeats),
    )
    square = np.random.default_rng(0).standard_normal((2048, 2048), dtype=X.dtype)
    peak_rate = 2 * 2048**3 / best_time(lambda: square @ square, repeats)
    return read, 4 * X.shape[0] * X.shape[1] * n_classes / peak_rate


def epoch_products(X, n_classes):
    """A function running the two products of one epoch alone.

    The batches and the gradient product are sklinear's own (``_batches`` and
    ``_weight_gradient``, which computes C - 1 rows): ``batch_size='auto'``
    means ``len(X) // 30`` rows here. This BLAS runs such skinny products far
    below its peak rate.
    """
    rng = np.random.default_rng(0)
    W = rng.standard_normal((n_classes, X.shape[1]), dtype=X.dtype)
    batches = _batches(X.shape[0], X.shape[0] // 30)
    dscores = [
        rng.standard_normal((len(X[rows]), n_classes), dtype=X.dtype)
        for rows in batches
    ]

    def run():
        for rows, batch_dscores in zip(batches, dscores):
            X[rows] @ W.T
            _weight_gradient(batch_dscores, X[rows])

    return run


def epoch_seconds(Ours, X, y, one, five):
    """Fit 1 and 5 epochs once each, appending the times to ``one``/``five``.

    The lecture's minibatch SGD (``solver='sgd'``), whose epoch is the fused
    pass over every minibatch that the roofline bounds: the default solvers
    stop once certified (a 5-epoch L-BFGS fit may take fewer iterations),
    and the SVM's dual ascent visits one row at a time."""
    for epochs, times in ((1, one), (5, five)):
        model = Ours(solver="sgd", max_iter=epochs, tol=None, random_state=0)
        times.append(timed_fit(model, X, y))


def epoch_cost(data, repeats=3):
    X_train, _, y_train, _ = data
    print(f"\n3. One epoch against the machine's bound (best of {repeats})")
    read, peak_flops = machine_bound(X_train, 10)
    roofline = read + peak_flops
    print(
        f"   roofline: read X {read:.3f} s + 4*N*D*C flops at peak rate "
        f"{peak_flops:.3f} s = {roofline:.3f} s"
    )
    if not fused_pass.fused_available():
        print("   (the C extension sklinear._fused is not built: NumPy/BLAS only)")
    run_products = epoch_products(X_train, 10)
    for Ours in (LinearSVMClassifier, SoftmaxClassifier):
        # Interleaved, so that load on the shared machine hits all alike.
        products, fused, blas = [], ([], []), ([], [])
        for _ in range(repeats):
            products.append(seconds(run_products))
            epoch_seconds(Ours, X_train, y_train, *fused)
            fused_pass.enabled = False
            try:
                epoch_seconds(Ours, X_train, y_train, *blas)
            finally:
                fused_pass.enabled = True
        # One epoch alone: the set-up (validation, centering, step estimate)
        # cancels out of the difference between a 5-epoch and a 1-epoch fit.
        epoch, blas_epoch = ((min(five) - min(one)) / 4 for one, five in (fused, blas))
        print(
            f"   {Ours.__name__:<22} epoch {epoch:.3f} s = {epoch / roofline:.2f}x "
            f"roofline (1-epoch fit with set-up {min(fused[0]):.3f} s)\n"
            f"   {'':<22} with NumPy/BLAS instead of the fused pass: "
            f"{blas_epoch:.3f} s = {blas_epoch / roofline:.2f}x roofline; "
            f"its two products alone {min(products):.3f} s "
            f"({min(products) / roofline:.2f}x)"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=40_000)
    parser.add_argument("--n-test", type=int, default=10_000)
    parser.add_argument("--n-features", type=int, default=3072)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument(
        "--repeats", type=int, default=3, help="fits per model; the best time counts"
    )
    args = parser.parse_args()
    data = make_data(args.n_train, args.n_test, args.n_features)
    print(
        f"Data: {args.n_train} x {args.n_features} float32 training rows, "
        f"{args.n_test} test rows, 10 classes"
    )
    same_epochs(data, args.epochs, args.repeats)
    against_logistic_regression(data, args.repeats)
    epoch_cost(data)


if __name__ == "__main__":
    main()
