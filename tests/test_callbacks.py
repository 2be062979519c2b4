"""scikit-learn callbacks (``sklearn.callback``, scikit-learn >= 1.9).

A fit is one callback task with a subtask per epoch (per trial for random
search); ``ProgressBar`` and ``ScoringMonitor`` follow it, alone and inside
``Pipeline`` and ``GridSearchCV``, and a callback can stop a fit.
"""

import json
import re
import subprocess
import sys
import textwrap
import warnings
from collections import Counter
from unittest import mock

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import hinge_loss, log_loss, make_scorer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklinear import LinearSVMClassifier, SoftmaxClassifier

CLASSIFIERS = [LinearSVMClassifier, SoftmaxClassifier]
SOLVERS = {"sgd": "epoch", "gd": "epoch", "random_search": "trial"}

needs_callbacks = pytest.mark.skipif(
    not hasattr(SoftmaxClassifier, "set_callbacks"),
    reason="scikit-learn < 1.9 has no sklearn.callback",
)


class Recorder:
    """Records the hooks it sees; asks to stop after ``stop_after`` epochs."""

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.events = []
        self.models = []  # the fitted_estimator of every epoch

    def setup(self, estimator, context):
        self.events.append(("setup", context.task_name))

    def teardown(self, estimator, context):
        self.events.append(("teardown", context.task_name))

    def on_fit_task_begin(self, estimator, context):
        self.events.append(("begin", context.task_name, context.task_id))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.events.append(("end", context.task_name, context.task_id))
        if context.task_name not in SOLVERS.values():
            return False
        self.models.append(fitted_estimator)
        return context.task_id + 1 == self.stop_after


def _expected_events(task_name, epoch_name, n_epochs):
    epochs = [
        event
        for k in range(n_epochs)
        for event in (("begin", epoch_name, k), ("end", epoch_name, k))
    ]
    return [
        ("setup", task_name),
        ("begin", task_name, 0),
        *epochs,
        ("end", task_name, 0),
        ("teardown", task_name),
    ]


def _fit_state(model):
    return model.coef_, model.intercept_, model.n_iter_, model.loss_curve_


@needs_callbacks
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("Classifier", CLASSIFIERS)
def test_a_fit_is_a_task_with_a_subtask_per_epoch(iris, Classifier, solver):
    recorder = Recorder()
    model = Classifier(solver=solver, max_iter=4, tol=None, random_state=0)
    model.set_callbacks(recorder).fit(*iris)
    assert recorder.events == _expected_events("fit", SOLVERS[solver], 4)


@needs_callbacks
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("Classifier", CLASSIFIERS)
def test_callbacks_do_not_change_the_fit(iris, Classifier, solver):
    from sklearn.callback import ScoringMonitor

    # Up to convergence (the stopping rule), or max_iter trials.
    params = {"solver": solver, "random_state": 0}
    plain = Classifier(**params).fit(*iris)
    watched = Classifier(**params).set_callbacks(
        Recorder(), ScoringMonitor(scoring="accuracy")
    )
    watched.fit(*iris)
    for got, expected in zip(_fit_state(watched), _fit_state(plain)):
        assert_array_equal(got, expected)


@needs_callbacks
def test_no_per_epoch_work_without_callbacks(iris):
    # A fit without callbacks must not enter the per-epoch hooks at all.
    with mock.patch(
        "sklinear._callbacks.FitTask._begin_epoch", side_effect=AssertionError
    ):
        SoftmaxClassifier(max_iter=3, tol=None, random_state=0).fit(*iris)
        with pytest.raises(AssertionError):
            SoftmaxClassifier(max_iter=3, tol=None, random_state=0).set_callbacks(
                Recorder()
            ).fit(*iris)


@needs_callbacks
@pytest.mark.parametrize("average", [False, True])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("Classifier", CLASSIFIERS)
def test_fitted_estimator_is_the_model_of_its_epoch(
    iris, Classifier, n_classes, average
):
    X, y = iris
    X, y = X[y < n_classes], y[y < n_classes]
    # SGD's epochs are whole models; a certified solver's fit also moves the
    # intercept after its last epoch (test_certified_epochs_are_reported).
    params = {"solver": "sgd", "tol": None, "average": average, "random_state": 0}
    recorder = Recorder()
    Classifier(max_iter=6, **params).set_callbacks(recorder).fit(X, y)
    assert len(recorder.models) == 6
    for k in (1, 3, 6):
        # Independently: a fit of k epochs, with the same batch orders.
        reference = Classifier(max_iter=k, **params).fit(X, y)
        at_epoch_k = recorder.models[k - 1]
        assert_array_equal(at_epoch_k.coef_, reference.coef_)
        assert_array_equal(at_epoch_k.intercept_, reference.intercept_)
        assert_array_equal(at_epoch_k.predict(X), reference.predict(X))


@needs_callbacks
@pytest.mark.parametrize(
    "Classifier, scoring, score",
    [
        (
            SoftmaxClassifier,
            "neg_log_loss",
            lambda model, X, y: -log_loss(y, model.predict_proba(X)),
        ),
        (
            LinearSVMClassifier,
            make_scorer(
                hinge_loss,
                greater_is_better=False,
                response_method="decision_function",
                labels=[0, 1, 2],
            ),
            lambda model, X, y: (
                -hinge_loss(y, model.decision_function(X), labels=[0, 1, 2])
            ),
        ),
    ],
)
def test_scoring_monitor_logs_the_score_of_every_epoch(
    iris, Classifier, scoring, score
):
    from sklearn.callback import ScoringMonitor

    X, y = iris
    monitor = ScoringMonitor(scoring=scoring)
    params = {"solver": "sgd", "tol": None, "random_state": 0}
    Classifier(max_iter=5, **params).set_callbacks(monitor).fit(X, y)
    rows = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
    assert [row["task_id"] for row in rows] == [0, 1, 2, 3, 4]
    name = "neg_log_loss" if isinstance(scoring, str) else "score"
    logged = [row[name] for row in rows]
    for k in (1, 2, 5):
        reference = Classifier(max_iter=k, **params).fit(X, y)
        assert logged[k - 1] == pytest.approx(score(reference, X, y), rel=1e-12)
    # Training improves the score: the epochs are not all the same model.
    assert logged[-1] > logged[0]


@needs_callbacks
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("Classifier", CLASSIFIERS)
def test_a_callback_can_stop_the_fit(iris, Classifier, solver):
    X, y = iris
    recorder = Recorder(stop_after=3)
    model = Classifier(solver=solver, random_state=0).set_callbacks(recorder)
    with warnings.catch_warnings():
        # Stopped by request, not out of iterations.
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y)
    assert model.n_iter_ == 3
    assert recorder.events == _expected_events("fit", SOLVERS[solver], 3)
    # A fitted, usable model: the one of epoch 3 (the stopping rule cannot
    # act within n_iter_no_change=5 epochs, so tol=None changes nothing).
    reference = Classifier(solver=solver, max_iter=3, tol=None, random_state=0)
    reference.fit(X, y)
    assert_array_equal(model.coef_, reference.coef_)
    assert_array_equal(model.predict(X), reference.predict(X))
    assert model.score(X, y) == reference.score(X, y)
    model.set_callbacks()  # and it trains on from there
    model.partial_fit(X, y)
    assert model.n_iter_ == 4


@needs_callbacks
def test_a_stopped_early_stopping_fit_reports_its_best_score(iris):
    # Stop at an epoch that beats the ones before: its score is the best.
    params = {"early_stopping": True, "random_state": 0}
    scores = SoftmaxClassifier(**params).fit(*iris).validation_scores_
    stop = next(
        k for k in range(2, len(scores) + 1) if scores[k - 1] > max(scores[: k - 1])
    )
    model = SoftmaxClassifier(**params).set_callbacks(Recorder(stop_after=stop))
    model.fit(*iris)
    assert model.validation_scores_ == scores[:stop]
    assert model.best_validation_score_ == scores[stop - 1]


@needs_callbacks
@pytest.mark.parametrize("Classifier", CLASSIFIERS)
def test_partial_fit_is_a_task_of_one_epoch(iris, Classifier):
    X, y = iris
    chunks = np.array_split(np.random.default_rng(0).permutation(len(y)), 3)
    plain = Classifier(random_state=0)
    # A stop request after the one epoch has nothing left to stop.
    recorder = Recorder(stop_after=1)
    watched = Classifier(random_state=0).set_callbacks(recorder)
    for chunk in chunks:
        plain.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2])
        watched.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2])
    assert recorder.events == 3 * _expected_events("partial_fit", "epoch", 1)
    assert watched.n_iter_ == 3
    assert_array_equal(watched.coef_, plain.coef_)
    # Each epoch's model is the model after that call.
    assert_array_equal(recorder.models[-1].coef_, watched.coef_)


@needs_callbacks
def test_verbose_output_is_unchanged_by_callbacks(iris, capsys):
    def epoch_lines(model):
        model.fit(*iris)
        out = capsys.readouterr().out
        return [re.sub(r", [0-9.]+ s$", "", line) for line in out.splitlines()]

    params = {"max_iter": 5, "tol": None, "verbose": 1, "random_state": 0}
    params["solver"] = "sgd"  # a line per epoch (the certified: per check)
    plain = epoch_lines(SoftmaxClassifier(**params))
    watched = epoch_lines(SoftmaxClassifier(**params).set_callbacks(Recorder()))
    assert len(plain) == 5 and plain[0].startswith("-- Epoch 1: objective")
    assert watched == plain


@needs_callbacks
@pytest.mark.parametrize("Classifier", CLASSIFIERS)
def test_progress_bar_advances_once_per_epoch(iris, Classifier, capsys):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar
    from sklearn.callback._progressbar import RichProgressMonitor

    # As scikit-learn's own test: the bar's progress after every task end.
    progress = []
    on_task_end = RichProgressMonitor._on_task_end

    def recording_on_task_end(self, task_info):
        on_task_end(self, task_info)
        progress.append(self.root_rich_task.progress)

    model = Classifier(max_iter=7, tol=None, random_state=0)
    model.set_callbacks(ProgressBar())
    with mock.patch.object(RichProgressMonitor, "_on_task_end", recording_on_task_end):
        model.fit(*iris)
    assert progress == pytest.approx([k / 7 for k in range(1, 8)] + [1.0])
    out = capsys.readouterr().out
    assert re.search(rf"{Classifier.__name__} - fit .* 100%", out)


@needs_callbacks
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_progress_bar_and_scoring_monitor_in_grid_search(iris, n_jobs, capsys):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar, ScoringMonitor
    from sklearn.callback._progressbar import RichProgressMonitor

    monitor = ScoringMonitor(scoring="accuracy")
    classifier = SoftmaxClassifier(max_iter=3, tol=None, random_state=0)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), classifier.set_callbacks(monitor)),
        {"softmaxclassifier__alpha": [1e-3, 1e-1]},
        cv=2,
        n_jobs=n_jobs,
    )
    search.set_callbacks(ProgressBar(max_propagation_depth=None))
    # The bar's monitor runs in this process, also for fits in workers.
    ended = []
    on_task_end = RichProgressMonitor._on_task_end

    def recording_on_task_end(self, task_info):
        ended.append(tuple(task_info["path"]))
        on_task_end(self, task_info)

    with (
        warnings.catch_warnings(record=True) as caught,
        mock.patch.object(RichProgressMonitor, "_on_task_end", recording_on_task_end),
    ):
        warnings.simplefilter("always")
        search.fit(*iris)
    assert not [w for w in caught if "does not support callbacks" in str(w.message)]

    out = capsys.readouterr().out
    fits = re.findall(r"fit-final-estimator \| SoftmaxClassifier - fit", out)
    assert len(fits) == 5  # 2 candidates x 2 splits, and the refit
    for split in range(4):
        assert f"candidate-split-evaluation | Pipeline - fit #{split}" in out
    assert "100%" in out and not re.search(r"\b[0-9]{1,2}%", out)

    # Epochs are the bar's leaf tasks: 3 under each of the 5 fits.
    parents = {path[:-1] for path in ended}
    leaves_per_parent = Counter(path[:-1] for path in ended if path not in parents)
    assert list(leaves_per_parent.values()).count(3) == 5
    # ScoringMonitor reaches back from the workers: a score per epoch.
    rows = monitor.get_logs().data
    assert Counter(row["task_name"] for row in rows) == {"epoch": 15, "fit": 5}


@needs_callbacks
def test_other_estimators_warn_in_the_same_search(iris):
    # The check above can fail: an estimator without callbacks warns.
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar
    from sklearn.neighbors import KNeighborsClassifier

    search = GridSearchCV(KNeighborsClassifier(), {"n_neighbors": [3]}, cv=2)
    with pytest.warns(UserWarning, match="does not support callbacks"):
        search.set_callbacks(ProgressBar()).fit(*iris)


def test_classifiers_work_without_sklearn_callback(iris):
    # scikit-learn < 1.9 has no sklearn.callback: hide it while sklinear is
    # imported, in a fresh interpreter.
    code = textwrap.dedent(
        """
        import json, sys
        import sklearn.model_selection, sklearn.pipeline  # import sklearn.callback
        hidden, sys.modules["sklearn.callback"] = sys.modules["sklearn.callback"], None
        from sklinear import SoftmaxClassifier
        sys.modules["sklearn.callback"] = hidden  # scikit-learn's fit needs it
        from sklearn.datasets import load_iris
        from sklearn.preprocessing import StandardScaler
        X, y = load_iris(return_X_y=True)
        X = StandardScaler().fit_transform(X)
        model = SoftmaxClassifier(max_iter=5, tol=None, random_state=0).fit(X, y)
        model.partial_fit(X, y)
        print(json.dumps([hasattr(model, "set_callbacks"), model.coef_.tolist()]))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    has_set_callbacks, coef = json.loads(out)
    assert not has_set_callbacks
    model = SoftmaxClassifier(max_iter=5, tol=None, random_state=0).fit(*iris)
    model.partial_fit(*iris)
    assert_array_equal(coef, model.coef_)
