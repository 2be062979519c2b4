"""Peak memory of a long fit: does training copy X or leak memory?

Each measurement runs in a fresh subprocess, which makes a float32 ``X``
(200,000 x 500, 400 MB by default), then fits the classifier for a fixed
number of epochs (``max_iter=epochs, tol=None``) and reports

* the peak extra resident memory of the fit (``ru_maxrss`` after the fit
  minus the resident size just before it), which includes BLAS buffers;
* the peak of NumPy and Python allocations during the fit (``tracemalloc``;
  NumPy reports its array memory to it), and what is still allocated after;

both as MB and as a fraction of ``X.nbytes``. A copy of ``X`` would show as
a fraction of 1 or more.

Run::

    python benchmarks/bench_memory.py                      # defaults
    python benchmarks/bench_memory.py --n-samples 50000    # a lighter run
"""

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc

MB = 2**20


def _resident_bytes():
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize()


def _child(args):
    import numpy as np

    from sklinear import LinearSVMClassifier, SoftmaxClassifier

    Estimator = {"softmax": SoftmaxClassifier, "svm": LinearSVMClassifier}[
        args.estimator
    ]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.n_samples, args.n_features), dtype=np.float32)
    teacher = rng.standard_normal((args.n_features, args.n_classes)).astype(np.float32)
    y = np.argmax(X @ teacher, axis=1)
    model = Estimator(max_iter=args.epochs, tol=None, random_state=0)
    before = _resident_bytes()
    tracemalloc.start()
    started = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - started
    leftover, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        json.dumps(
            {
                "estimator": type(model).__name__,
                "x_bytes": X.nbytes,
                "rss_extra": rss_peak - before,
                "traced_peak": traced_peak,
                "traced_leftover": leftover,
                "epochs": model.n_iter_,
                "seconds": seconds,
                "accuracy": float(model.score(X[:20000], y[:20000])),
            }
        )
    )


def _measure(args, estimator):
    command = [
        sys.executable,
        __file__,
        "--child",
        "--estimator",
        estimator,
        "--n-samples",
        str(args.n_samples),
        "--n-features",
        str(args.n_features),
        "--n-classes",
        str(args.n_classes),
        "--epochs",
        str(args.epochs),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def _report(result):
    x_bytes = result["x_bytes"]
    rss, traced = result["rss_extra"], result["traced_peak"]
    return (
        f"{result['estimator']:<20} {result['epochs']:>6} "
        f"{rss / MB:>9.1f} ({rss / x_bytes:4.2f} X) "
        f"{traced / MB:>9.1f} ({traced / x_bytes:4.2f} X) "
        f"{result['traced_leftover'] / MB:>8.2f} {result['seconds']:>7.1f} "
        f"{result['accuracy']:>8.3f}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=200_000)
    parser.add_argument("--n-features", type=int, default=500)
    parser.add_argument("--n-classes", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument(
        "--estimators",
        nargs="+",
        default=["softmax", "svm"],
        choices=["softmax", "svm"],
    )
    parser.add_argument("--estimator", default="softmax", help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    x_mb = args.n_samples * args.n_features * 4 / MB
    print(
        f"X: {args.n_samples} x {args.n_features} float32 = {x_mb:.1f} MB; "
        f"{args.epochs} epochs (tol=None), {args.n_classes} classes"
    )
    print(
        f"{'estimator':<20} {'epochs':>6} {'RSS extra MB':>19} "
        f"{'traced peak MB':>19} {'left MB':>8} {'seconds':>7} {'accuracy':>8}"
    )
    for estimator in args.estimators:
        print(_report(_measure(args, estimator)), flush=True)


if __name__ == "__main__":
    main()
