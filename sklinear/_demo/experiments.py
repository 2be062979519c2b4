"""The demo's experiments, by name, and the table of their results.

Each experiment is one row of the demo's table: a model, the features it
sees, and the lecture's question it answers (its ``group``). The command line
runs them all; each example of the documentation's gallery runs the ones it
shows, by name, with the same code.
"""

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from ..features import HOGFeatures, HueHistogram
from ..linear_model import LinearSVMClassifier, SoftmaxClassifier

__all__ = [
    "DEFAULT",
    "EXPERIMENTS",
    "QUICK",
    "Experiment",
    "Result",
    "Settings",
    "format_table",
    "run_experiments",
]

PIXELS = "raw pixels"
FEATURES = "HOG + hue"


@dataclass(frozen=True)
class Settings:
    """Sizes of a run: the default one, or the tiny ``--quick`` one."""

    n_train: int
    n_test: int
    epochs: int  # passes over the data for every solver
    cv: int  # folds of the grid search
    n_jobs: int  # parallel fits of the grid search
    grid: dict

    @property
    def n_candidates(self):
        """Parameter combinations the grid search tries."""
        return math.prod(len(values) for values in self.grid.values())


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


class Models:
    """The unfitted models of a run: its settings, images and seed applied."""

    def __init__(self, settings, image_shape, seed=0, n_jobs=None):
        self.settings = settings
        self.image_shape = image_shape
        self.seed = seed
        self.n_jobs = settings.n_jobs if n_jobs is None else n_jobs

    def svm(self, solver="sgd"):
        return LinearSVMClassifier(
            solver=solver, max_iter=self.settings.epochs, random_state=self.seed
        )

    def softmax(self):
        # The lecture's minibatch SGD, as the table says (the estimators'
        # default is the certified solver; see the user guide).
        return SoftmaxClassifier(
            solver="sgd", max_iter=self.settings.epochs, random_state=self.seed
        )

    def on_features(self, classifier):
        """Pixels -> HOG + hue histogram -> standardized -> classifier."""
        features = FeatureUnion(
            [
                ("hog", HOGFeatures(image_shape=self.image_shape)),
                ("hue", HueHistogram(image_shape=self.image_shape)),
            ]
        )
        return Pipeline(
            [
                ("features", features),
                ("scale", StandardScaler()),
                ("classifier", classifier),
            ]
        )

    def grid_search(self):
        return GridSearchCV(
            self.on_features(self.softmax()),
            self.settings.grid,
            cv=self.settings.cv,
            n_jobs=self.n_jobs,
        )


@dataclass(frozen=True)
class Experiment:
    """One row of the table: what is fitted, on what, and why.

    ``model`` is a label template: ``{epochs}``, ``{cv}`` and
    ``{n_candidates}`` are filled in from the run's :class:`Settings`.
    """

    name: str
    group: str  # the lecture's question; the table's first column
    model: str
    features: str  # PIXELS (scaled to [0, 1]) or FEATURES (from uint8 pixels)
    build: Callable  # Models -> unfitted estimator

    def describe(self, settings):
        """The model's label in the table, for these settings."""
        return self.model.format(
            epochs=settings.epochs, cv=settings.cv, n_candidates=settings.n_candidates
        )


_SGD = "minibatch SGD, {epochs} epochs"

# In the order of the lecture, which is the order of the table.
EXPERIMENTS = {
    experiment.name: experiment
    for experiment in (
        Experiment(
            "svm_random_search",
            "optimization",
            "SVM, random search, {epochs} trials",
            PIXELS,
            lambda models: models.svm("random_search"),
        ),
        Experiment(
            "svm_gd",
            "optimization",
            "SVM, full-batch GD, {epochs} steps",
            PIXELS,
            lambda models: models.svm("gd"),
        ),
        Experiment("svm_sgd", "optimization", f"SVM, {_SGD}", PIXELS, Models.svm),
        Experiment("softmax_sgd", "loss", f"softmax, {_SGD}", PIXELS, Models.softmax),
        Experiment(
            "svm_hog_hue",
            "features",
            f"SVM, {_SGD}",
            FEATURES,
            lambda models: models.on_features(models.svm()),
        ),
        Experiment(
            "softmax_hog_hue",
            "features",
            f"softmax, {_SGD}",
            FEATURES,
            lambda models: models.on_features(models.softmax()),
        ),
        Experiment(
            "grid_search",
            "grid search",
            "softmax, best of {n_candidates} ({cv}-fold CV)",
            FEATURES,
            Models.grid_search,
        ),
    )
}


@dataclass(frozen=True)
class Result:
    """An experiment after its run: the fitted estimator and the table cells."""

    experiment: Experiment
    model: str  # the label, for the run's settings
    accuracy: float  # on the test images
    fit_time: float  # seconds
    estimator: object  # fitted


def run_experiments(
    data, names=None, *, settings=DEFAULT, n_jobs=None, seed=0, progress=None
):
    """Fit and score experiments by name.

    Parameters
    ----------
    data : DemoData
        The images, from :func:`sklinear._demo.data.load_data`.
    names : list of str, default=None
        Keys of :data:`EXPERIMENTS`; None runs them all.
    settings : Settings, default=DEFAULT
        Epochs, folds and grid (the sizes are the data's).
    n_jobs : int, default=None
        Parallel fits of the grid search; None takes the settings' value.
    seed : int, default=0
    progress : object, default=None
        Told ``progress.start(what)`` before each fit and
        ``progress.done(outcome)`` after it (the command line's progress
        lines); None says nothing.

    Returns
    -------
    results : dict of str to Result
        By name, in the order asked for.
    """
    models = Models(settings, data.image_shape, seed, n_jobs)
    names = list(EXPERIMENTS) if names is None else names
    results = {}
    # The minibatch products are small: BLAS threads only add synchronization
    # there, which costs several times the work on a busy machine.
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        # Every solver gets the same fixed budget of epochs on purpose.
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name in names:
            results[name] = _run(EXPERIMENTS[name], models, data, progress)
    return results


def _run(experiment, models, data, progress):
    model = experiment.describe(models.settings)
    if progress is not None:
        progress.start(f"{experiment.group}: {model} on {experiment.features}")
    # Pixels scaled to [0, 1] for the linear models on raw pixels; uint8 rows
    # for the feature pipelines (HOG and hue histograms take exact 8-bit paths).
    on_pixels = experiment.features == PIXELS
    X_train = data.pixels(data.rows_train) if on_pixels else data.rows_train
    X_test = data.pixels(data.rows_test) if on_pixels else data.rows_test
    started = time.perf_counter()
    estimator = experiment.build(models).fit(X_train, data.y_train)
    fit_time = time.perf_counter() - started
    accuracy = estimator.score(X_test, data.y_test)
    if progress is not None:
        progress.done(f"test accuracy {accuracy:.1%}")
    return Result(experiment, model, accuracy, fit_time, estimator)


def format_table(results):
    """The results as a Markdown table (readable as plain text too).

    Parameters
    ----------
    results : iterable of Result

    Returns
    -------
    table : str

    Examples
    --------
    >>> row = Result(EXPERIMENTS["softmax_sgd"], "softmax", 0.4567, 1.23, None)
    >>> print(format_table([row]))
    | experiment | model   | features   | accuracy | fit time |
    |------------|---------|------------|---------:|---------:|
    | loss       | softmax | raw pixels |    45.7% |    1.2 s |
    """
    header = ("experiment", "model", "features", "accuracy", "fit time")
    rows = [
        (
            r.experiment.group,
            r.model,
            r.experiment.features,
            f"{r.accuracy:.1%}",
            f"{r.fit_time:.1f} s",
        )
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

    rule = "|".join(
        "-" * (width + 1) + (":" if right else "-")
        for width, right in zip(widths, right_aligned)
    )
    return "\n".join([line(header), f"|{rule}|", *(line(row) for row in rows)])
