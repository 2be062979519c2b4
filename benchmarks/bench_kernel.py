"""The fused kernel against the NumPy/BLAS path, and the rule that picks one.

For each batch shape (rows x features x classes) and thread count, times
``LinearObjective.loss_gradient`` with the compiled kernel forced on and
forced off, in alternating rounds (so that a busy machine affects both
alike; times are each path's best round; a two-thread round of the kernel
follows a pause for OpenBLAS's threads to stop spinning and 0.1 s of
untimed calls, as in a fit's back-to-back steps), and says which path
``sklinear._fused_pass.kernel_is_faster`` picks. The noise of a ratio is the
half-width of the interquartile range of the rounds' ratios; a pick is
flagged when the path it picks is slower than the other by more than that
(and more than 5%). Thread counts are set with ``threadpool_limits``, which
limits BLAS and the kernel alike. The column ``others`` is the CPU time
other processes used while a shape was timed, in CPUs (from /proc/stat, on
Linux): two-thread rows measured while it is well above zero compare the
paths on a machine that was not free; the end says how many flagged picks
were measured so (above ``BUSY``).

With ``--old PATH`` (a source tree of an earlier sklinear with its extension
built in place, e.g. ``git archive <commit> | tar -x -C PATH`` followed by a
build there), it also times one training epoch's gradients, in alternating
child processes running the earlier and this tree.

Usage::

    python benchmarks/bench_kernel.py [--quick] [--threads 1 2] [--dtype float64]
                                      [--classes 16 24] [--features 3072]
                                      [--rows 666 2048] [--cpu-time] [--old PATH]
    python benchmarks/bench_kernel.py --epoch-only --old PATH
"""

import argparse
import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager

import numpy as np
from threadpoolctl import threadpool_limits

CLASSES = (2, 3, 5, 10, 16, 24, 32, 48, 64, 100, 1000)
FEATURES = (100, 500, 3072)
ROWS = (32, 256, 666, 2048)
# Seconds to wait before timing the kernel on more than one thread, for
# OpenBLAS's threads to stop spinning (see time_paths).
BLAS_SPIN = 0.2
# Seconds of untimed kernel calls after that pause (see _warm): with 10 ms,
# two-thread rounds of 256 x 3,072 x 16 and 2048 x 500 x 10 took 0.70 and
# 0.74 ms in most rounds and 0.39 and 0.41 ms in a few; with 100 ms, 0.41 and
# 0.46 ms in all nine (the helper's CPU had not come back from idle).
KERNEL_WARM = 0.1
# Two-thread rows flagged while other processes used more CPU than this
# are counted apart (see the module docstring).
BUSY = 0.2
QUICK = dict(classes=(2, 10, 32, 64, 100), features=(500, 3072), rows=(256, 2048))
# An epoch: 20,000 samples in batches of 666 rows (batch_size='auto').
EPOCH_SAMPLES, EPOCH_BATCH = 20_000, 666


@contextmanager
def _path(kind):
    """Force the kernel ('kernel') or the NumPy/BLAS path ('numpy')."""
    import sklinear._fused_pass as fused_pass

    saved = fused_pass.enabled, fused_pass.kernel_is_faster
    fused_pass.enabled = kind == "kernel"
    fused_pass.kernel_is_faster = lambda *shape: True
    try:
        yield
    finally:
        fused_pass.enabled, fused_pass.kernel_is_faster = saved


def _problem(n_rows, n_features, n_classes, dtype, seed=0):
    """An objective whose rows ``::3`` are the batch (a strided view, as in
    training), with small random weights."""
    from sklinear.objective import LinearObjective

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((3 * n_rows, n_features)).astype(dtype)
    y = rng.integers(0, n_classes, 3 * n_rows)
    present = min(n_classes, y.size)
    y[:present] = np.arange(present)  # every class present that fits
    objective = LinearObjective(X, y, "softmax", center=True)
    W = (0.01 * rng.standard_normal((n_classes, n_features))).astype(dtype)
    return objective, W, np.zeros(n_classes, dtype=dtype), slice(0, None, 3)


def _best_of(function, repeats, clock=time.perf_counter):
    best = np.inf
    for _ in range(repeats):
        start = clock()
        function()
        best = min(best, clock() - start)
    return best


def _warm(call, seconds=0.01):
    """Calls ``call`` for ``seconds`` (at least twice): the outputs' first
    touch and the caches, and, after a pause, the helper threads and CPUs
    woken from deep sleep, as they are between a fit's back-to-back steps
    (right after a 0.2 s pause, the first two-thread calls of a 256 x 3,072 x
    16 batch took up to 1.9x their steady time)."""
    end = time.perf_counter() + seconds
    call()
    call()
    while time.perf_counter() < end:
        call()


def time_paths(n_rows, n_features, n_classes, dtype=np.float32, rounds=9,
               clock=time.perf_counter, pause=0.0):  # fmt: skip
    """Per-round best times (seconds) of the kernel and the NumPy path.

    ``pause`` seconds are waited before each round of the kernel: after a
    BLAS product, OpenBLAS's worker threads spin for about 0.1 s, taking a
    CPU from the kernel's threads (in training, the steps of one batch shape
    all take the same path, so the kernel does not follow BLAS's products).

    Returns
    -------
    times : dict {'kernel': ndarray or None, 'numpy': ndarray}
        None where the kernel does not take the shape.
    """
    import sklinear._fused_pass as fused_pass

    objective, W, b, rows = _problem(n_rows, n_features, n_classes, dtype)
    work = n_rows * n_features * n_classes
    # Rounds of at least a few milliseconds: after the pause the first calls
    # run on cold caches, and with 2 or 3 calls a round a small shape's best
    # time was up to 1.8x its steady one.
    repeats = int(np.clip(3e7 / work, 5, 200))
    kinds = ["numpy"]
    if n_classes <= fused_pass.MAX_CLASSES and objective._fused is not None:
        kinds.append("kernel")
    times = {kind: [] for kind in kinds}
    for _ in range(rounds):
        for kind in kinds:
            if kind == "kernel":
                time.sleep(pause)
            with _path(kind):
                call = lambda: objective.loss_gradient(W, b, rows)  # noqa: E731
                _warm(call, KERNEL_WARM if kind == "kernel" and pause else 0.01)
                times[kind].append(_best_of(call, repeats, clock))
    return {
        "numpy": np.array(times["numpy"]),
        "kernel": np.array(times["kernel"]) if "kernel" in times else None,
    }


def judge(times, picks_kernel):
    """Ratio kernel / NumPy, its noise, and whether the pick is slower than
    the other path by more than the noise.

    The ratio is that of each path's best round: on a busy machine a round
    is only ever slowed down, so the best one is the closest to the path's
    own cost. The noise is the half-width of the interquartile range of the
    rounds' ratios, relative to the ratio, and at least 5%."""
    if times["kernel"] is None:
        return None, 0.0, picks_kernel
    ratios = times["kernel"] / times["numpy"]
    ratio = float(times["kernel"].min() / times["numpy"].min())
    q25, q75 = np.percentile(ratios, [25, 75])
    noise = max(0.05, (q75 - q25) / 2 / ratio)
    loss = ratio - 1 if picks_kernel else 1 / ratio - 1
    return ratio, noise, loss > noise


def sweep(classes, features, rows, thread_counts, dtype=np.float32, cpu_time=False):
    """Print the comparison table; returns the number of flagged picks.

    With ``cpu_time``, one-thread rows are timed by the calling thread's CPU
    time, which a busy machine does not inflate by taking the CPU away."""
    from sklinear._fused_pass import kernel_is_faster

    print(
        f"{'thr':>3} {'rows':>5} {'feat':>5} {'cls':>5} {'kernel ms':>10} "
        f"{'numpy ms':>9} {'k/np':>6} {'noise':>6} {'others':>6} {'pick':>6}"
        "  verdict"
    )
    flagged = busy = 0
    for n_threads in thread_counts:
        print(f"load average before {n_threads} thread(s): {_load()}", flush=True)
        with threadpool_limits(n_threads):
            for n_rows in rows:
                for n_features in features:
                    for n_classes in classes:
                        slower, others = _sweep_row(
                            n_threads, n_rows, n_features, n_classes, dtype,
                            cpu_time and n_threads == 1,
                            kernel_is_faster(n_rows, n_features, n_classes,
                                             np.dtype(dtype)),
                        )  # fmt: skip
                        flagged += slower
                        busy += slower and n_threads > 1 and others > BUSY
    print(f"load average at the end: {_load()}", flush=True)
    if busy:
        print(f"{busy} flagged two-thread pick(s) measured while other "
              f"processes used more than {BUSY} CPU.")  # fmt: skip
    return flagged


def _load():
    """The 1, 5 and 15 minute load averages: on a shared machine, two-thread
    times only mean something while the load stays below the CPU count."""
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:  # not available on this platform
        return "unknown"


def _busy_seconds():
    """CPU seconds the whole machine has been busy (not idle or waiting for
    I/O) since boot, or None where /proc/stat is not available."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(field) for field in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def _others(function):
    """Run ``function``; return its result and the CPU time other processes
    used meanwhile, in CPUs (NaN where it cannot be measured)."""
    busy, own, start = _busy_seconds(), sum(os.times()[:2]), time.perf_counter()
    result = function()
    if busy is None:
        return result, float("nan")
    own = sum(os.times()[:2]) - own
    others = _busy_seconds() - busy - own
    return result, max(0.0, others) / max(time.perf_counter() - start, 1e-9)


def _sweep_row(n_threads, n_rows, n_features, n_classes, dtype, cpu_time,
               picks_kernel):  # fmt: skip
    if n_rows * n_features * n_classes > 2_000_000_000:
        return 0, 0.0  # minutes per shape: skipped
    clock = time.thread_time if cpu_time else time.perf_counter
    pause = BLAS_SPIN if n_threads > 1 else 0.0
    times, others = _others(
        lambda: time_paths(
            n_rows, n_features, n_classes, dtype, clock=clock, pause=pause
        )  # fmt: skip
    )
    ratio, noise, slower = judge(times, picks_kernel)
    kernel_ms = "-" if ratio is None else f"{1e3 * times['kernel'].min():.3f}"
    ratio_text = "-" if ratio is None else f"{ratio:.2f}"
    pick = "kernel" if picks_kernel and ratio is not None else "numpy"
    verdict = "SLOWER PICK" if slower else "ok"
    print(
        f"{n_threads:>3} {n_rows:>5} {n_features:>5} {n_classes:>5} "
        f"{kernel_ms:>10} {1e3 * times['numpy'].min():>9.3f} "
        f"{ratio_text:>6} {noise:>6.2f} {others:>6.2f} {pick:>6}  {verdict}",
        flush=True,
    )
    return int(slower), others


def epoch_seconds(n_features, repeats, clock=time.perf_counter):
    """Best and median time of one epoch's ``loss_gradient`` calls (the
    epoch of an SGD fit without its weight updates), in this process.

    With one thread, ``clock=time.thread_time`` (the CPU time of this
    thread) leaves out the time the thread waits for a busy CPU."""
    from sklinear.objective import LinearObjective
    from sklinear.optimize import _batches

    rng = np.random.default_rng(0)
    X = rng.standard_normal((EPOCH_SAMPLES, n_features)).astype(np.float32)
    y = rng.integers(0, 10, EPOCH_SAMPLES)
    objective = LinearObjective(X, y, "softmax", center=True)
    W = (0.01 * rng.standard_normal((10, n_features))).astype(np.float32)
    b = np.zeros(10, dtype=np.float32)
    batches = _batches(EPOCH_SAMPLES, EPOCH_BATCH)

    def epoch():
        for rows in batches:
            objective.loss_gradient(W, b, rows)

    epoch()
    times = [_best_of(epoch, 1, clock) for _ in range(repeats)]
    return min(times), float(np.median(times))


def compare_epochs(old_path, thread_counts, features=(500, 3072), rounds=5):
    """Alternate child processes on the earlier tree and on this one."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    print(f"\nOne epoch ({EPOCH_SAMPLES} x F float32, 10 classes, batches of "
          f"{EPOCH_BATCH}), best of {rounds} child runs x 5 epochs (with one "
          "thread its CPU time, else wall time):")  # fmt: skip
    for n_threads in thread_counts:
        for n_features in features:
            best = {"old": np.inf, "new": np.inf}
            for _ in range(rounds):
                for label, tree in (("old", old_path), ("new", here)):
                    seconds = _child_epoch(tree, n_features, n_threads)
                    best[label] = min(best[label], seconds)
            print(
                f"  threads={n_threads} F={n_features:5d}: before "
                f"{1e3 * best['old']:8.2f} ms, after {1e3 * best['new']:8.2f} ms"
                f", after/before {best['new'] / best['old']:.3f}",
                flush=True,
            )


def _child_epoch(tree, n_features, n_threads):
    """Best epoch time in a child process that imports sklinear from ``tree``."""
    env = dict(os.environ, PYTHONPATH=tree, OMP_NUM_THREADS=str(n_threads))
    clock = "thread_time" if n_threads == 1 else "perf_counter"
    code = (
        "import json, sys, time; sys.path.insert(1, sys.argv[1]); "
        "import bench_kernel as bench, sklinear; "
        f"seconds = bench.epoch_seconds(int(sys.argv[2]), 5, time.{clock})[0]; "
        "print(json.dumps([seconds, sklinear.__file__]))"
    )
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run(
        [sys.executable, "-c", code, here, str(n_features)],
        env=env, capture_output=True, text=True, check=True, cwd=tree,
    )  # fmt: skip
    seconds, imported = json.loads(out.stdout.strip().splitlines()[-1])
    if not os.path.realpath(imported).startswith(os.path.realpath(tree)):
        raise RuntimeError(f"the child imported {imported}, not sklinear in {tree}")
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller grid")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--old", help="an earlier sklinear tree, built in place")
    parser.add_argument("--epoch-only", action="store_true")
    parser.add_argument(
        "--cpu-time", action="store_true",
        help="time one-thread rows by CPU time (for a busy machine)",
    )  # fmt: skip
    for axis in ("classes", "features", "rows"):
        parser.add_argument(f"--{axis}", type=int, nargs="+", help="a sub-grid")
    args = parser.parse_args(argv)
    import sklinear._fused_pass as fused_pass

    if not fused_pass.fused_available():
        sys.exit("The C extension sklinear._fused is not built.")
    flagged = 0
    if not args.epoch_only:
        full = dict(classes=CLASSES, features=FEATURES, rows=ROWS)
        grid = QUICK if args.quick else full
        grid = {axis: getattr(args, axis) or grid[axis] for axis in grid}
        flagged = sweep(
            grid["classes"], grid["features"], grid["rows"], args.threads,
            np.dtype(args.dtype).type, args.cpu_time,
        )  # fmt: skip
        print(f"\n{flagged} pick(s) slower than the other path by more than noise.")
    if args.old:
        compare_epochs(args.old, args.threads)
    return flagged


if __name__ == "__main__":
    main()
