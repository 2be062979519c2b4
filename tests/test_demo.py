import doctest
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cifar_files import write_cifar_archive
from threadpoolctl import threadpool_limits

from sklinear.__main__ import main
from sklinear._demo import (
    DEFAULT,
    EXPERIMENTS,
    PICTURES,
    QUICK,
    RESULTS_FILE,
    build_parser,
    load_data,
    run_experiments,
)

TABLE_ROW = re.compile(
    r"^\| (.+?) +\| (.+?) +\| (.+?) +\| +([\d.]+)% \| +([\d.]+) s \|$"
)


def _table_rows(text):
    """(experiment, model, features, accuracy %, fit time s) of each table row."""
    return [
        (*match.groups()[:3], float(match[4]), float(match[5]))
        for match in map(TABLE_ROW.match, text.splitlines())
        if match
    ]


def _write_cifar_archive(root):
    """A CIFAR-10 archive of 5 x 20 training and 30 test images in ``root``."""
    return write_cifar_archive(root, n_per_batch=20, n_test=30)[0]


def test_quick_demo_prints_the_table_and_writes_pictures(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    output = tmp_path / "nested" / "pictures"
    assert main(["--quick", "--output", str(output)]) == 0
    out = capsys.readouterr().out

    # Progress before every step, then the table.
    steps = re.findall(r"^\[(\d)/9\] ", out, flags=re.MULTILINE)
    assert steps == [str(i) for i in range(1, 10)]
    rows = _table_rows(out)
    assert [row[:3] for row in rows] == [
        ("optimization", "SVM, random search, 3 trials", "raw pixels"),
        ("optimization", "SVM, full-batch GD, 3 steps", "raw pixels"),
        ("optimization", "SVM, minibatch SGD, 3 epochs", "raw pixels"),
        ("loss", "softmax, minibatch SGD, 3 epochs", "raw pixels"),
        ("features", "SVM, minibatch SGD, 3 epochs", "HOG + hue"),
        ("features", "softmax, minibatch SGD, 3 epochs", "HOG + hue"),
        ("grid search", "softmax, best of 2 (2-fold CV)", "HOG + hue"),
    ]
    for *_, accuracy, fit_time in rows:
        assert 0 <= accuracy <= 100 and fit_time >= 0
    # Even the tiny run learns something from HOG + hue features.
    assert rows[5][3] > 20
    assert "Grid search best parameters: classifier__alpha=" in out
    assert "photo patches: 200 training and 100 test images, 32x32 RGB" in out

    # The pictures and the table, where the output says.
    assert f"Written to {output.resolve()}" in out
    for name in PICTURES:
        assert (output / name).read_bytes()[:4] == b"\x89PNG"
    assert _table_rows((output / RESULTS_FILE).read_text()) == rows


def test_no_plots_writes_only_the_table(tmp_path, capsys):
    # -1 jobs: all cores, as in scikit-learn.
    argv = ["--quick", "--no-plots", "--n-jobs", "-1", "--output", str(tmp_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "[8/8]" in out and "[9/" not in out
    assert sorted(path.name for path in tmp_path.iterdir()) == [RESULTS_FILE]


@pytest.fixture(scope="module")
def quick_data():
    return load_data(QUICK)


def test_experiments_run_by_name_in_the_order_asked(quick_data):
    names = ["softmax_sgd", "grid_search"]
    results = run_experiments(quick_data, names, settings=QUICK, n_jobs=-1)
    assert list(results) == names
    assert results["softmax_sgd"].model == "softmax, minibatch SGD, 3 epochs"
    assert results["grid_search"].estimator.n_jobs == -1
    assert results["grid_search"].experiment.group == "grid search"


def test_loss_panel_gives_each_loss_its_own_axes(quick_data):
    pytest.importorskip("matplotlib")
    from sklinear._demo.figures import loss_curves

    names = ["svm_random_search", "svm_gd", "svm_sgd", "softmax_sgd"]
    results = run_experiments(quick_data, names, settings=QUICK)
    optimizers, svm, softmax = loss_curves(results, quick_data).axes
    assert [line.get_label() for line in optimizers.lines] == [
        "random search",
        "full-batch GD",
        "minibatch SGD",
    ]
    # Hinge and cross-entropy values are not comparable: never on one axis.
    assert "hinge" in svm.get_ylabel() and len(svm.lines) == 1
    assert "cross-entropy" in softmax.get_ylabel() and len(softmax.lines) == 1


def test_readme_table_lists_the_default_experiments():
    """The README's demo table (which the docs include) matches the demo."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    rows = [row[:3] for row in _table_rows(readme)]
    expected = [
        (experiment.group, experiment.describe(DEFAULT), experiment.features)
        for experiment in EXPERIMENTS.values()
    ]
    assert rows == expected


def test_runs_without_matplotlib_and_says_how_to_get_pictures(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["--quick", "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Pictures skipped: matplotlib is not installed" in out
    assert 'pip install "sklinear[plot]"' in out
    assert len(_table_rows(out)) == 7
    assert not list(tmp_path.glob("*.png"))


@pytest.mark.parametrize(
    "given, sizes, expected",
    [
        (
            "archive",
            ["--n-train", "all", "--n-test", "all"],
            "100 training and 30 test",
        ),
        ("folder", ["--n-train", "50", "--n-test", "10"], "50 training and 10 test"),
        # The quick defaults (200 and 100) shrink to what the data hold.
        ("parent", [], "100 training and 30 test"),
    ],
)
def test_cifar10_option_loads_the_python_version(
    tmp_path, capsys, given, sizes, expected
):
    archive = _write_cifar_archive(tmp_path)
    path = {
        "archive": archive,
        "folder": tmp_path / "cifar-10-batches-py",
        "parent": tmp_path,
    }[given]
    argv = ["--quick", "--no-plots", "--cifar10", str(path), "--output", str(tmp_path)]
    assert main([*argv, *sizes]) == 0
    out = capsys.readouterr().out
    assert f"CIFAR-10: {expected} images, 32x32 RGB, 10 classes" in out
    assert len(_table_rows(out)) == 7


def _error_of(argv, capsys):
    """Exit code and stderr of a run expected to fail."""
    code = main(argv)
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--n-train", "five"], "argument --n-train: expected a whole number"),
        (["--n-train", "3"], "at least 10"),
        (["--n-jobs", "0"], "argument --n-jobs: expected a positive number of jobs"),
        (["--n-jobs", "-2"], "or -1 for all cores; got '-2'"),
        (["--n-jobs", "two"], "argument --n-jobs: expected a positive number"),
        (["--n-test", "all"], "'all' needs --cifar10"),
        (["--cifar10", "no/such/path"], "CIFAR-10 not found at 'no/such/path'"),
        (["--n-train", "10"], "needs 2 training images per class"),
        (["--seed", "-1"], "argument --seed: expected a whole number from 0"),
        (["--seed", "99999999999"], "to 4294967295"),
    ],
)
def test_bad_options_exit_with_a_clear_message(argv, message, capsys, tmp_path):
    code, err = _error_of(["--quick", "--output", str(tmp_path), *argv], capsys)
    assert code == 2
    assert err.startswith("usage: sklinear")
    assert message in err


def test_bad_cifar10_data_and_output_folder(tmp_path, capsys):
    archive = _write_cifar_archive(tmp_path)
    base = ["--quick", "--no-plots", "--cifar10", str(archive)]

    code, err = _error_of(
        [*base, "--n-train", "500", "--output", str(tmp_path)], capsys
    )
    assert (
        code == 2 and "500 training images asked for, but the data hold only 100" in err
    )

    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("")
    code, err = _error_of([*base, "--output", str(not_a_folder)], capsys)
    assert code == 2 and "cannot write to the output folder" in err
    if Path("/proc").is_dir():  # a folder no one can write to, even root
        code, err = _error_of([*base, "--output", "/proc"], capsys)
        assert code == 2 and "cannot write to the output folder '/proc'" in err

    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"not an archive")
    code, err = _error_of(["--quick", "--cifar10", str(garbage)], capsys)
    assert code == 2 and "is not a tar archive" in err


def test_every_option_has_help(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--output", "--cifar10", "--n-train", "--n-test", "--n-jobs"):
        assert option in out
    for action in build_parser()._actions:
        assert action.help, f"{action.option_strings} has no help text"


def test_python_dash_m_runs_main_and_exits_with_its_code(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sklinear", "--cifar10", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "CIFAR-10 not found" in result.stderr
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------
# The documentation's examples (docs/ is not under --doctest-modules)
# --------------------------------------------------------------------------

DOCS = Path(__file__).resolve().parents[1] / "docs"
DOC_PAGES = sorted(
    page
    for page in DOCS.rglob("*.rst")
    # Not the build's output, nor pages that the build writes (the gallery's).
    if not {"_build", "_templates", "generated", "auto_examples"}
    & set(page.relative_to(DOCS).parts)
)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("page", DOC_PAGES, ids=lambda page: page.stem)
def test_documentation_examples(page):
    # Small products, as in the demo: one BLAS thread is much faster on a busy
    # machine.
    with threadpool_limits(limits=1, user_api="blas"):
        result = doctest.testfile(
            str(page),
            module_relative=False,
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        )
    assert result.failed == 0, f"{result.failed} example(s) failed in {page.name}"
