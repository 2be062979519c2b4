"""The command line of the demo: options, progress lines, the results."""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from ..plotting._base import PLOT_EXTRA_HINT
from .data import load_data
from .experiments import DEFAULT, EXPERIMENTS, QUICK, format_table, run_experiments
from .figures import PICTURES

__all__ = ["RESULTS_FILE", "build_parser", "main"]

RESULTS_FILE = "results.md"


# --------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------


def _count(text):
    """argparse type: a number of images, at least 10, or 'all'."""
    if text == "all":
        return text
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 10:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of images, at least 10, or 'all'; got {text!r}"
        )
    return value


def _seed(text):
    """argparse type: a seed numpy and scikit-learn both take."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(
            f"expected a whole number from 0 to 4294967295, got {text!r}"
        )
    return value


def _n_jobs(text):
    """argparse type: a number of parallel jobs, or -1 for all cores (joblib)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    # joblib would also take -2 (all cores but one) and below; one spelling
    # for "all" is enough here, and 0 means nothing.
    if value < 1 and value != -1:
        raise argparse.ArgumentTypeError(
            f"expected a positive number of jobs, or -1 for all cores; got {text!r}"
        )
    return value


def build_parser():
    """The command-line interface of the demo.

    Returns
    -------
    parser : argparse.ArgumentParser

    Examples
    --------
    >>> args = build_parser().parse_args(["--quick", "--n-jobs", "-1"])
    >>> args.quick, args.n_jobs, args.output
    (True, -1, PosixPath('sklinear_output'))
    """
    parser = argparse.ArgumentParser(
        prog="sklinear",
        description=(
            "Train the lecture's linear classifiers on CIFAR-sized images and "
            "compare them: random search vs full-batch gradient descent vs "
            "minibatch SGD, SVM vs softmax loss, raw pixels vs HOG + hue "
            "features, and a grid search over the feature pipeline. Prints a "
            "table of accuracy and fit time, and draws the loss curves, the "
            "learned templates, HOG glyphs and a confusion matrix. Works "
            "offline: the default data are patches of photographs that ship "
            "with scikit-image and scikit-learn."
        ),
        epilog="Example: sklinear --cifar10 ~/data/cifar-10-python.tar.gz",
    )
    _add_data_options(parser)
    _add_run_options(parser)
    return parser


def _add_data_options(parser):
    """Where the pictures go, and which images, how many."""
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("sklinear_output"),
        metavar="DIR",
        help="folder for the pictures and the results table, created if needed "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--cifar10",
        type=Path,
        metavar="PATH",
        help="use the real CIFAR-10 (python version): the cifar-10-python.tar.gz "
        "archive, the extracted cifar-10-batches-py folder, or the folder holding "
        "either. Never downloaded; get it from "
        "https://www.cs.toronto.edu/~kriz/cifar.html",
    )
    parser.add_argument(
        "--n-train",
        type=_count,
        metavar="N",
        help=f"training images to use, or 'all' (default: {DEFAULT.n_train}, "
        f"{QUICK.n_train} with --quick)",
    )
    parser.add_argument(
        "--n-test",
        type=_count,
        metavar="N",
        help=f"test images to use, or 'all' (default: {DEFAULT.n_test}, "
        f"{QUICK.n_test} with --quick)",
    )


def _add_run_options(parser):
    """Parallel fits, the seed, the size of the run, the pictures."""
    parser.add_argument(
        "--n-jobs",
        type=_n_jobs,
        metavar="N",
        help="parallel fits in the grid search, -1 for all cores "
        f"(default: {DEFAULT.n_jobs}, {QUICK.n_jobs} with --quick)",
    )
    parser.add_argument(
        "--seed", type=_seed, default=0, help="random seed (default: %(default)s)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a tiny run of a few seconds (few images and epochs), to check "
        "that everything works",
    )
    parser.add_argument(
        "--no-plots", action="store_true", help="skip the pictures (faster)"
    )


def main(argv=None):
    """Run the demo; ``python -m sklinear --help`` lists the options.

    Parameters
    ----------
    argv : list of str, default=None
        Command-line arguments; None reads ``sys.argv[1:]``.

    Returns
    -------
    exit_code : int
        0 on success, 2 for a bad option or unreadable data (after printing
        the reason).

    Examples
    --------
    >>> main(["--help"])  # doctest: +ELLIPSIS
    usage: sklinear [-h] [--output DIR] [--cifar10 PATH] ...
    ...
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        run(args, parser)
    except SystemExit as exit_:  # argparse's --help and errors
        return 0 if exit_.code is None else int(exit_.code)
    return 0


# --------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------


def run(args, parser):
    """Load the data, run the experiments, draw the pictures, print the table."""
    started = time.perf_counter()
    settings = QUICK if args.quick else DEFAULT
    plot_error = None if args.no_plots else _matplotlib_missing()
    draw = not args.no_plots and plot_error is None
    # Loading, one step per experiment, and the pictures.
    progress = Progress(1 + len(EXPERIMENTS) + draw)
    data = _load_data(args, settings, parser, progress)
    output = _prepare_output(args.output, parser)
    results = run_experiments(
        data, settings=settings, n_jobs=args.n_jobs, seed=args.seed, progress=progress
    )
    if draw:
        _draw_pictures(results, data, output, progress)

    table = format_table(results.values())
    (output / RESULTS_FILE).write_text(table + "\n")
    print(f"\nResults on {data.description} (chance: {1 / data.n_classes:.0%})\n")
    print(table)
    _print_search_summary(results["grid_search"].estimator, settings.cv, data)
    if plot_error is not None:
        print(f"\nPictures skipped: {plot_error}")
    written = (*PICTURES, RESULTS_FILE) if draw else (RESULTS_FILE,)
    print(f"\nWritten to {output.resolve()}: {', '.join(written)}")
    print(f"Done in {time.perf_counter() - started:.0f} s.")


class Progress:
    """Prints ``[k/n] what ...`` before a step and its outcome after it."""

    def __init__(self, n_steps):
        self.n_steps = n_steps
        self.step = 0

    def start(self, text):
        self.step += 1
        self.started = time.perf_counter()
        print(f"[{self.step}/{self.n_steps}] {text} ...", end=" ", flush=True)

    def done(self, text="done"):
        elapsed = time.perf_counter() - self.started
        print(f"{text} ({elapsed:.1f} s)", flush=True)


def _load_data(args, settings, parser, progress):
    """The run's images; bad sizes or unreadable data stop it with a message."""
    if args.cifar10 is None and "all" in (args.n_train, args.n_test):
        parser.error(
            "--n-train/--n-test 'all' needs --cifar10: the photo patches are cut "
            "to the number asked for."
        )
    progress.start("Loading the data")
    try:
        data = load_data(
            settings,
            n_train=args.n_train,
            n_test=args.n_test,
            seed=args.seed,
            cifar10=args.cifar10,
        )
    except (OSError, ValueError) as error:
        print("failed", flush=True)
        parser.error(str(error))
    progress.done(data.description)
    counts = np.bincount(data.y_train, minlength=data.n_classes)
    if counts.min() < settings.cv:
        parser.error(
            f"the grid search needs {settings.cv} training images per class, but "
            f"one class has only {counts.min()}; use a larger --n-train."
        )
    return data


def _prepare_output(output, parser):
    """The output folder, created and checked writable before any training."""
    try:
        output.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=output):
            pass
    except OSError as error:
        parser.error(f"cannot write to the output folder {str(output)!r}: {error}")
    return output


def _matplotlib_missing():
    """None if matplotlib imports, else why the pictures are skipped."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return f"matplotlib is not installed; install it with {PLOT_EXTRA_HINT}."
    return None


def _draw_pictures(results, data, output, progress):
    progress.start("Drawing the pictures")
    for name, draw in PICTURES.items():
        draw(results, data).savefig(output / name, dpi=100)
    progress.done()


def _print_search_summary(search, cv, data):
    params = ", ".join(f"{k}={v}" for k, v in sorted(search.best_params_.items()))
    print(f"\nGrid search best parameters: {params}")
    print(f"Its mean {cv}-fold cross-validation accuracy: {search.best_score_:.1%}")
    if data.overlapping:
        print(
            "  (it can be optimistic: the training patches of a photo overlap, so\n"
            "  the folds share pixels; test patches come from separate regions)"
        )
