"""The demo behind ``python -m sklinear``: the lecture's story on one dataset.

It trains the lecture's classifiers on CIFAR-sized images (the offline photo
patches, or CIFAR-10 with ``--cifar10``), prints one table row per model
(accuracy and fit time), and draws the lecture's pictures into a folder.
"""

import argparse
import math
import pickle
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from .datasets import load_cifar10, load_photo_patches
from .features import HOGFeatures, HueHistogram
from .linear_model import LinearSVMClassifier, SoftmaxClassifier
from .plotting import PLOT_EXTRA_HINT

__all__ = ["main", "build_parser"]

PICTURES = (
    "loss_curves.png",
    "templates.png",
    "hog_glyphs.png",
    "confusion_matrix.png",
)
RESULTS_FILE = "results.md"
N_EXPERIMENTS = 7  # rows of the table, see _experiments


@dataclass(frozen=True)
class Settings:
    """Sizes of a run: the default one, or the tiny ``--quick`` one."""

    n_train: int
    n_test: int
    epochs: int  # passes over the data for every solver
    cv: int  # folds of the grid search
    n_jobs: int
    grid: dict


DEFAULT = Settings(
    n_train=5000,
    n_test=1000,
    epochs=30,
    cv=3,
    n_jobs=2,
    grid={"features__hue__n_bins": [10, 30], "classifier__alpha": [1e-4, 1e-2]},
)
QUICK = Settings(
    n_train=200,
    n_test=100,
    epochs=3,
    cv=2,
    n_jobs=1,
    grid={"classifier__alpha": [1e-3, 1e-2]},
)


@dataclass
class Result:
    """One row of the results table."""

    experiment: str
    model: str
    features: str
    accuracy: float
    fit_time: float
    estimator: object


# --------------------------------------------------------------------------
# Command line
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


def _positive_int(text):
    """argparse type: a positive integer."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def build_parser():
    """The command-line interface of the demo.

    Returns
    -------
    parser : argparse.ArgumentParser

    Examples
    --------
    >>> args = build_parser().parse_args(["--quick", "--output", "pictures"])
    >>> args.quick, args.output
    (True, PosixPath('pictures'))
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
    parser.add_argument(
        "--n-jobs",
        type=_positive_int,
        metavar="N",
        help=f"parallel fits in the grid search (default: {DEFAULT.n_jobs}, "
        f"{QUICK.n_jobs} with --quick)",
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
    return parser


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
    progress = Progress(1 + N_EXPERIMENTS + draw)
    data = _load_data(args, settings, parser, progress)
    output = _prepare_output(args.output, parser)

    # The minibatch products are small: BLAS threads only add synchronization
    # there, which costs several times the work on a busy machine.
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        # Every solver gets the same fixed budget of epochs on purpose.
        warnings.simplefilter("ignore", ConvergenceWarning)
        n_jobs = args.n_jobs or settings.n_jobs
        results = _run_experiments(data, settings, n_jobs, args.seed, progress)
    if draw:
        _draw_pictures(results, data, output, progress)

    table = format_table(results)
    (output / RESULTS_FILE).write_text(table + "\n")
    print(f"\nResults on {data.description} (chance: {1 / data.n_classes:.0%})\n")
    print(table)
    _print_search_summary(results[-1].estimator, settings.cv, data.overlapping)
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

    def done(self, text=""):
        elapsed = time.perf_counter() - self.started
        print(
            f"{text} ({elapsed:.1f} s)" if text else f"done ({elapsed:.1f} s)",
            flush=True,
        )


def _print_search_summary(search, cv, overlapping):
    print(f"\nGrid search best parameters: {_format_params(search.best_params_)}")
    print(f"Its mean {cv}-fold cross-validation accuracy: {search.best_score_:.1%}")
    if overlapping:
        print(
            "  (it can be optimistic: the training patches of a photo overlap, so\n"
            "  the folds share pixels; test patches come from separate regions)"
        )


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


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


@dataclass
class DemoData:
    """The images of a run, as uint8 rows and as scaled pixels."""

    images_train: np.ndarray
    images_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    target_names: list
    description: str
    overlapping: bool  # training images overlap (patches of the same photos)

    @property
    def n_classes(self):
        return len(self.target_names)

    @property
    def image_shape(self):
        return self.images_train.shape[1:]

    @property
    def rows_train(self):
        return self.images_train.reshape(len(self.images_train), -1)

    @property
    def rows_test(self):
        return self.images_test.reshape(len(self.images_test), -1)

    def pixels(self, rows):
        """Raw pixels scaled to [0, 1], float32."""
        return rows.astype(np.float32) / np.float32(255)


def _load_data(args, settings, parser, progress):
    n_train = _size(args.n_train, settings.n_train)
    n_test = _size(args.n_test, settings.n_test)
    if args.cifar10 is None and (n_train is None or n_test is None):
        parser.error(
            "--n-train/--n-test 'all' needs --cifar10: the photo patches are cut "
            "to the number asked for."
        )
    progress.start("Loading the data")
    try:
        if args.cifar10 is not None:
            dataset, name = load_cifar10(args.cifar10), "CIFAR-10"
        else:
            dataset, name = (
                load_photo_patches(
                    n_train_per_class=math.ceil(n_train / 10),
                    n_test_per_class=math.ceil(n_test / 10),
                    random_state=args.seed,
                ),
                "photo patches",
            )
    except (OSError, ValueError, pickle.UnpicklingError) as error:
        print("failed", flush=True)
        parser.error(str(error))
    rng = np.random.default_rng(args.seed)
    # The default sizes shrink to what a small data set holds; asked-for ones fail.
    if args.n_train is None:
        n_train = min(n_train, len(dataset.target_train))
    if args.n_test is None:
        n_test = min(n_test, len(dataset.target_test))
    train = _subset(len(dataset.target_train), n_train, rng, "--n-train", parser)
    test = _subset(len(dataset.target_test), n_test, rng, "--n-test", parser)
    images_train = dataset.images_train[train]
    height, width, _ = images_train.shape[1:]
    data = DemoData(
        images_train=images_train,
        images_test=dataset.images_test[test],
        y_train=dataset.target_train[train],
        y_test=dataset.target_test[test],
        target_names=[str(name) for name in dataset.target_names],
        description=(
            f"{name}: {len(train)} training and {len(test)} test images, "
            f"{height}x{width} RGB, {len(dataset.target_names)} classes"
        ),
        overlapping=args.cifar10 is None,
    )
    progress.done(data.description)
    _check_enough_per_class(data, settings.cv, parser)
    return data


def _size(option, default):
    """The number of images asked for: the default, a count, or None for all."""
    if option is None:
        return default
    return None if option == "all" else option


def _subset(n_available, n_wanted, rng, option, parser):
    """Indices of a random subset of ``n_wanted`` rows (all if None)."""
    if n_wanted is None or n_wanted == n_available:
        return np.arange(n_available)
    if n_wanted > n_available:
        parser.error(
            f"{option} {n_wanted} is more than the {n_available} images available."
        )
    return np.sort(rng.choice(n_available, size=n_wanted, replace=False))


def _check_enough_per_class(data, cv, parser):
    counts = np.bincount(data.y_train, minlength=data.n_classes)
    if counts.min() < cv:
        parser.error(
            f"the grid search needs {cv} training images per class, but one class "
            f"has only {counts.min()}; use a larger --n-train."
        )


# --------------------------------------------------------------------------
# Experiments
# --------------------------------------------------------------------------


@dataclass
class Experiment:
    """A model to fit and the table cells that describe it."""

    experiment: str
    model: str
    features: str
    estimator: object

    @property
    def on_pixels(self):
        return self.features == "raw pixels"


def _feature_pipeline(classifier, image_shape):
    """Pixels -> HOG + hue histogram -> standardized -> classifier."""
    features = FeatureUnion(
        [
            ("hog", HOGFeatures(image_shape=image_shape)),
            ("hue", HueHistogram(image_shape=image_shape)),
        ]
    )
    return Pipeline(
        [
            ("features", features),
            ("scale", StandardScaler()),
            ("classifier", classifier),
        ]
    )


def _experiments(image_shape, settings, n_jobs, seed):
    """The rows of the table, in the order of the lecture."""
    epochs = settings.epochs

    def svm(solver="sgd"):
        return LinearSVMClassifier(solver=solver, max_iter=epochs, random_state=seed)

    def softmax():
        return SoftmaxClassifier(max_iter=epochs, random_state=seed)

    search = GridSearchCV(
        _feature_pipeline(softmax(), image_shape),
        settings.grid,
        cv=settings.cv,
        n_jobs=n_jobs,
    )
    n_candidates = math.prod(len(values) for values in settings.grid.values())
    pixels, features = "raw pixels", "HOG + hue"
    sgd = f"minibatch SGD, {epochs} epochs"
    return [
        Experiment(
            "optimization",
            f"SVM, random search, {epochs} trials",
            pixels,
            svm("random_search"),
        ),
        Experiment(
            "optimization", f"SVM, full-batch GD, {epochs} steps", pixels, svm("gd")
        ),
        Experiment("optimization", f"SVM, {sgd}", pixels, svm()),
        Experiment("loss", f"softmax, {sgd}", pixels, softmax()),
        Experiment(
            "features", f"SVM, {sgd}", features, _feature_pipeline(svm(), image_shape)
        ),
        Experiment(
            "features",
            f"softmax, {sgd}",
            features,
            _feature_pipeline(softmax(), image_shape),
        ),
        Experiment(
            "grid search",
            f"softmax, best of {n_candidates} ({settings.cv}-fold CV)",
            features,
            search,
        ),
    ]


def _run_experiments(data, settings, n_jobs, seed, progress):
    experiments = _experiments(data.image_shape, settings, n_jobs, seed)
    # Pixels for the linear models on raw pixels; uint8 rows for the feature
    # pipelines (HOG and hue histograms take exact 8-bit paths).
    inputs = {
        True: (data.pixels(data.rows_train), data.pixels(data.rows_test)),
        False: (data.rows_train, data.rows_test),
    }
    results = []
    for experiment in experiments:
        progress.start(
            f"{experiment.experiment}: {experiment.model} on {experiment.features}"
        )
        X_train, X_test = inputs[experiment.on_pixels]
        started = time.perf_counter()
        estimator = experiment.estimator.fit(X_train, data.y_train)
        fit_time = time.perf_counter() - started
        accuracy = estimator.score(X_test, data.y_test)
        progress.done(f"test accuracy {accuracy:.1%}")
        results.append(
            Result(
                experiment.experiment,
                experiment.model,
                experiment.features,
                accuracy,
                fit_time,
                estimator,
            )
        )
    return results


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------


def format_table(results):
    """The results as a Markdown table (readable as plain text too).

    Parameters
    ----------
    results : list of Result
        The rows, with ``experiment``, ``model``, ``features``, ``accuracy``
        (a fraction) and ``fit_time`` (seconds).

    Returns
    -------
    table : str

    Examples
    --------
    >>> row = Result("loss", "softmax", "raw pixels", 0.4567, 1.23, None)
    >>> print(format_table([row]))
    | experiment | model   | features   | accuracy | fit time |
    |------------|---------|------------|---------:|---------:|
    | loss       | softmax | raw pixels |    45.7% |    1.2 s |
    """
    header = ("experiment", "model", "features", "accuracy", "fit time")
    rows = [
        (r.experiment, r.model, r.features, f"{r.accuracy:.1%}", f"{r.fit_time:.1f} s")
        for r in results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    right_aligned = (False, False, False, True, True)

    def line(cells):
        padded = [
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(cells, widths, right_aligned)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            "-" * (width + 1) + (":" if right else "-")
            for width, right in zip(widths, right_aligned)
        )
        + "|"
    )
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def _format_params(params):
    return ", ".join(f"{name}={value}" for name, value in sorted(params.items()))


# --------------------------------------------------------------------------
# Pictures
# --------------------------------------------------------------------------


def _draw_pictures(results, data, output, progress):
    """Write the four pictures of the lecture into ``output``.

    ``results`` are the rows of :func:`_experiments`, in its order.
    """
    progress.start("Drawing the pictures")
    drawings = (_loss_curves, _templates, _hog_glyphs, _confusion_matrix)
    for name, draw in zip(PICTURES, drawings):
        figure = draw(results, data)
        figure.savefig(output / name, dpi=100)
    progress.done()


def _new_figure(**kwargs):
    # A bare Figure, not pyplot: no global state, no window, any backend.
    from matplotlib.figure import Figure

    return Figure(layout="constrained", **kwargs)


def _loss_curves(results, data):
    from .plotting import LossCurveDisplay

    figure = _new_figure(figsize=(12, 4.5))
    left, right = figure.subplots(1, 2)
    optimizers = results[:3]
    LossCurveDisplay.from_estimator(
        [r.estimator for r in optimizers],
        name=[r.model.split(", ")[1] for r in optimizers],
        xaxis="epoch",
        ax=left,
        linewidth=0.8,
    )
    left.set_title("Optimizers: SVM on raw pixels, same number of passes")
    sgd = results[2:6]
    LossCurveDisplay.from_estimator(
        [r.estimator for r in sgd],
        name=[f"{r.model.split(',')[0]}, {r.features}" for r in sgd],
        ax=right,
        linewidth=0.6,
        alpha=0.8,
    )
    right.set_title("Minibatch SGD: the objective of every minibatch")
    right.set_yscale("log")
    figure.suptitle(f"Training objective (mean loss + penalty) on {data.description}")
    return figure


def _templates(results, data):
    from .plotting import WeightTemplateDisplay

    figure = _new_figure(figsize=(1.5 * data.n_classes, 4.2))
    for subfigure, result in zip(figure.subfigures(2, 1), results[2:4]):
        WeightTemplateDisplay.from_estimator(
            result.estimator,
            image_shape=data.image_shape,
            class_names=data.target_names,
            ax=subfigure.subplots(1, data.n_classes),
        )
        subfigure.suptitle(
            f"{result.model.split(',')[0]} on raw pixels: one template (row of "
            f"coef_) per class, test accuracy {result.accuracy:.1%}"
        )
    return figure


def _hog_glyphs(results, data):
    from .plotting import HOGGlyphDisplay

    pipeline = results[4].estimator
    hog = pipeline.named_steps["features"].named_transformers["hog"]
    first_of_class = [
        np.flatnonzero(data.y_test == k)[:1] for k in range(data.n_classes)
    ]
    shown = np.concatenate(first_of_class)
    n_cols = min(5, len(shown))
    figure = _new_figure(figsize=(2.2 * n_cols, 2.5 * math.ceil(len(shown) / n_cols)))
    HOGGlyphDisplay.from_estimator(
        hog,
        data.images_test[shown],
        titles=[data.target_names[label] for label in data.y_test[shown]],
        ax=figure.subplots(math.ceil(len(shown) / n_cols), n_cols),
    )
    figure.suptitle(
        f"HOG cells ({hog.pixels_per_cell[0]}x{hog.pixels_per_cell[1]} pixels, "
        f"{hog.orientations} orientations): one test image per class"
    )
    return figure


def _confusion_matrix(results, data):
    from sklearn.metrics import ConfusionMatrixDisplay

    best = results[-1]
    figure = _new_figure(figsize=(7, 7))
    ax = figure.subplots()
    ConfusionMatrixDisplay.from_estimator(
        best.estimator,
        data.rows_test,
        data.y_test,
        labels=np.arange(data.n_classes),
        display_labels=data.target_names,
        xticks_rotation="vertical",
        ax=ax,
        colorbar=False,
    )
    ax.set_title(
        f"Grid search's best model (HOG + hue, softmax) on the test set: "
        f"{best.accuracy:.1%}",
        fontsize="medium",
    )
    return figure
