import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import StandardScaler

from sklinear import LinearSVMClassifier, SoftmaxClassifier
from sklinear.features import HOGFeatures
from sklinear.plotting import HOGGlyphDisplay, LossCurveDisplay, WeightTemplateDisplay

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:600], y[:600]


@pytest.fixture(scope="module")
def svm(digits):
    # A curve of minibatch objectives: SGD's loss_curve_.
    return LinearSVMClassifier(max_iter=4, tol=None, random_state=0, solver="sgd").fit(
        *digits
    )


@pytest.fixture(scope="module")
def softmax(digits):
    return SoftmaxClassifier(max_iter=4, tol=None, random_state=0, solver="sgd").fit(
        *digits
    )


def _assert_png(figure, path):
    figure.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------
# LossCurveDisplay
# --------------------------------------------------------------------------


def test_loss_curve_draws_the_loss_curve(svm, tmp_path):
    display = LossCurveDisplay.from_estimator(svm)
    (line,) = display.lines_
    np.testing.assert_allclose(line.get_ydata(), svm.loss_curve_)
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, svm.t_ + 1))
    assert line.get_label() == "LinearSVMClassifier"
    assert display.ax_.get_xlabel() == "minibatch step"
    assert display.ax_.get_ylabel() == "training objective"
    assert display.figure_ is display.ax_.figure
    _assert_png(display.figure_, tmp_path / "loss.png")


def test_loss_curve_several_models_on_one_axes(svm, softmax):
    display = LossCurveDisplay.from_estimator(
        [svm, softmax], name=["SVM", "softmax"], color="black"
    )
    assert [line.get_label() for line in display.lines_] == ["SVM", "softmax"]
    assert display.lines_[0].axes is display.lines_[1].axes
    assert display.lines_[1].get_color() == "black"  # kwargs reach the lines
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == ["SVM", "softmax"]


def test_loss_curve_adds_to_given_axes(svm, softmax):
    first = LossCurveDisplay.from_estimator(svm, name="SVM")
    second = LossCurveDisplay.from_estimator(softmax, name="softmax", ax=first.ax_)
    assert second.ax_ is first.ax_
    assert len(first.ax_.lines) == 2
    legend = [text.get_text() for text in first.ax_.get_legend().get_texts()]
    assert legend == ["SVM", "softmax"]


def test_loss_curve_epoch_axis_puts_solvers_on_one_scale(digits):
    X, y = digits
    sgd = LinearSVMClassifier(max_iter=3, tol=None, random_state=0, solver="sgd")
    sgd.fit(X, y)
    gd = LinearSVMClassifier(solver="gd", max_iter=3, tol=None).fit(X, y)
    display = LossCurveDisplay.from_estimator([sgd, gd], xaxis="epoch")
    sgd_x, gd_x = (line.get_xdata() for line in display.lines_)
    assert len(sgd_x) > len(gd_x) == 3
    np.testing.assert_allclose([sgd_x[-1], gd_x[-1]], [3, 3])
    np.testing.assert_allclose(gd_x, [1, 2, 3])
    assert display.ax_.get_xlabel() == "passes over the training data (epochs)"


def test_loss_curve_epoch_axis_puts_certified_checks_at_their_epochs(digits):
    # A certified fit's curve holds one objective per check, and checks are
    # spaced by the rate the gap falls at: uneven epochs, not n_iter_ / len.
    X, y = digits
    model = SoftmaxClassifier(random_state=0).fit(X, y)
    epochs = model.loss_curve_epochs_
    assert len(epochs) == len(model.loss_curve_) and epochs[-1] == model.n_iter_
    assert len(set(np.diff(epochs))) > 1
    x = LossCurveDisplay.from_estimator(model, xaxis="epoch").lines_[0].get_xdata()
    np.testing.assert_array_equal(x, epochs)
    # After partial_fit the curve gains SGD steps: spread evenly again.
    model.partial_fit(X, y)
    assert model.loss_curve_epochs_ is None
    x = LossCurveDisplay.from_estimator(model, xaxis="epoch").lines_[0].get_xdata()
    assert x[-1] == pytest.approx(model.n_iter_)
    with pytest.raises(ValueError, match="epochs has 2 entries"):
        LossCurveDisplay(loss_curves=[[1.0, 0.5, 0.4]], epochs=[[0, 1]]).plot(
            xaxis="epoch"
        )


def test_loss_curve_unwraps_pipelines(digits):
    pipeline = make_pipeline(StandardScaler(), SoftmaxClassifier(max_iter=2, tol=None))
    pipeline.fit(*digits)
    display = LossCurveDisplay.from_estimator(pipeline)
    np.testing.assert_allclose(display.lines_[0].get_ydata(), pipeline[-1].loss_curve_)


def test_displays_unwrap_nested_pipelines_and_searches(digits):
    search = GridSearchCV(
        SoftmaxClassifier(max_iter=2, tol=None, random_state=0),
        {"alpha": [1e-4, 1e-2]},
        cv=2,
    )
    nested = make_pipeline(
        StandardScaler(), make_pipeline(StandardScaler(), search)
    ).fit(*digits)
    model = search.best_estimator_
    display = LossCurveDisplay.from_estimator(nested)
    np.testing.assert_allclose(display.lines_[0].get_ydata(), model.loss_curve_)
    display = WeightTemplateDisplay.from_estimator(nested)
    np.testing.assert_allclose(display.templates, model.coef_.reshape(10, 8, 8))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_loss_curve_errors(svm, digits):
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(SoftmaxClassifier())
    with pytest.raises(ValueError, match="LogisticRegression has no loss_curve_"):
        LossCurveDisplay.from_estimator(LogisticRegression(max_iter=5).fit(*digits))
    with pytest.raises(ValueError, match="xaxis must be"):
        LossCurveDisplay.from_estimator(svm, xaxis="time")
    with pytest.raises(ValueError, match="Got 1 names for 2 curves"):
        LossCurveDisplay.from_estimator([svm, svm], name=["only one"])
    with pytest.raises(ValueError, match="needs n_iters"):
        LossCurveDisplay(loss_curves=[[3.0, 2.0]]).plot(xaxis="epoch")
    with pytest.raises(TypeError, match="name="):
        LossCurveDisplay.from_estimator(svm, label="mine")


# --------------------------------------------------------------------------
# WeightTemplateDisplay
# --------------------------------------------------------------------------


def test_templates_are_the_rows_of_coef(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.random((60, 4 * 4 * 3))
    y = np.repeat(["cat", "car", "frog"], 20)
    model = SoftmaxClassifier(max_iter=3, tol=None, random_state=0).fit(X, y)
    display = WeightTemplateDisplay.from_estimator(model)
    np.testing.assert_allclose(display.templates, model.coef_.reshape(3, 4, 4, 3))
    assert [axis.get_title() for axis in display.axes_] == ["car", "cat", "frog"]
    # Each template is stretched to [0, 1] on its own for display.
    for image, weights in zip(display.images_, model.coef_):
        shown = image.get_array()
        expected = (weights - weights.min()) / (weights.max() - weights.min())
        np.testing.assert_allclose(shown.ravel(), expected)
    _assert_png(display.figure_, tmp_path / "templates.png")


def test_templates_of_gray_images_and_binary_models(digits):
    X, y = digits
    binary = y < 5
    model = LinearSVMClassifier(max_iter=2, tol=None, random_state=0).fit(X, binary)
    display = WeightTemplateDisplay.from_estimator(model)  # 64 features: 8 x 8 gray
    assert display.templates.shape == (1, 8, 8)
    assert display.axes_[0].get_title() == "True vs False"
    named = WeightTemplateDisplay.from_estimator(model, class_names=["high", "low"])
    assert named.axes_[0].get_title() == "low vs high"
    assert display.images_[0].get_cmap().name == "gray"


def test_templates_on_given_axes_and_grid_shape(svm):
    figure, axes = plt.subplots(2, 6)
    display = WeightTemplateDisplay.from_estimator(
        svm, ax=axes, class_names=list("abcdefghij")
    )
    assert list(display.axes_) == list(axes.ravel()[:10])
    assert not axes.ravel()[11].axison  # the unused axes are hidden
    assert display.axes_[9].get_title() == "j"
    display = WeightTemplateDisplay.from_estimator(svm, n_cols=3)
    assert display.figure_.axes[0].get_subplotspec().get_gridspec().get_geometry() == (
        4,
        3,
    )


def test_templates_errors(svm):
    with pytest.raises(ValueError, match="Cannot show 64 weights per class"):
        WeightTemplateDisplay.from_estimator(svm, image_shape=(4, 4, 3))
    _, axes = plt.subplots(1, 3)
    with pytest.raises(ValueError, match="got 3 axes for 10 panels"):
        WeightTemplateDisplay.from_estimator(svm, ax=axes)
    with pytest.raises(NotFittedError):
        WeightTemplateDisplay.from_estimator(LinearSVMClassifier())
    odd = LinearSVMClassifier(max_iter=1, tol=None).fit(np.eye(5), [0, 1, 0, 1, 0])
    with pytest.raises(ValueError, match="pass image_shape"):
        WeightTemplateDisplay.from_estimator(odd)
    no_coef = KNeighborsClassifier().fit(np.eye(4), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="KNeighborsClassifier has no 2-D coef_"):
        WeightTemplateDisplay.from_estimator(no_coef)
    with pytest.raises(ValueError, match="Got 2 names for 10 templates"):
        WeightTemplateDisplay.from_estimator(svm, class_names=["a", "b"])


# --------------------------------------------------------------------------
# HOGGlyphDisplay
# --------------------------------------------------------------------------


def _longest_segment_direction(display, cell=0):
    """Unit (dx, dy) of the longest glyph line of a cell of the first image."""
    orientations = display.cell_histograms.shape[-1]
    segments = display.line_collections_[0].get_segments()
    segments = np.asarray(segments)[cell * orientations : (cell + 1) * orientations]
    vectors = segments[:, 1] - segments[:, 0]
    longest = vectors[np.argmax(np.linalg.norm(vectors, axis=1))]
    return longest / np.linalg.norm(longest)


@pytest.mark.parametrize(
    "image, direction",
    [
        (np.tile((np.arange(16) >= 8) * 255.0, (16, 1)), (0, 1)),  # vertical edge
        (np.tile((np.arange(16) >= 8)[:, None] * 255.0, (1, 16)), (1, 0)),  # horizontal
        (np.triu(np.full((16, 16), 255.0)), (1, 1)),  # diagonal down to the right
    ],
    ids=["vertical", "horizontal", "diagonal"],
)
def test_glyphs_run_along_the_edges(image, direction):
    display = HOGGlyphDisplay.from_images(image[None], pixels_per_cell=(16, 16))
    expected = np.array(direction) / np.linalg.norm(direction)
    # 9 bins of 20 degrees: the glyph is within 10 degrees of the edge.
    cosine = abs(_longest_segment_direction(display) @ expected)
    assert cosine > np.cos(np.radians(10.5))


def test_glyphs_one_star_per_cell_centred_in_it(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(3, 24, 16, 3), dtype=np.uint8)
    display = HOGGlyphDisplay.from_images(
        images, orientations=6, pixels_per_cell=(8, 8), titles=["a", "b", "c"]
    )
    assert display.cell_histograms.shape == (3, 3, 2, 6)
    np.testing.assert_allclose(display.cell_histograms.sum(axis=-1), 1, atol=1e-6)
    segments = np.asarray(display.line_collections_[2].get_segments())
    centres = segments.mean(axis=1).reshape(3, 2, 6, 2)[..., 0, :]
    np.testing.assert_allclose(centres[..., 0], [[3.5, 11.5]] * 3)  # x: columns
    np.testing.assert_allclose(centres[..., 1], [[3.5] * 2, [11.5] * 2, [19.5] * 2])
    lengths = np.linalg.norm(segments[:, 1] - segments[:, 0], axis=1)
    assert lengths.max() == pytest.approx(8.0)  # the largest bin spans the cell
    assert [axis.get_title() for axis in display.axes_] == ["a", "b", "c"]
    _assert_png(display.figure_, tmp_path / "glyphs.png")


def test_glyphs_from_a_fitted_hog_transformer():
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(2, 16, 16, 3), dtype=np.uint8)
    rows = images.reshape(2, -1)
    hog = HOGFeatures(orientations=4, pixels_per_cell=(4, 4)).fit(rows)
    display = HOGGlyphDisplay.from_estimator(hog, rows)
    expected = HOGGlyphDisplay.from_images(
        images, orientations=4, pixels_per_cell=(4, 4)
    )
    np.testing.assert_allclose(display.cell_histograms, expected.cell_histograms)
    with pytest.raises(NotFittedError):
        HOGGlyphDisplay.from_estimator(HOGFeatures(), rows)
    # Rows of another image shape are an error, as in hog.transform, not a
    # different number of images.
    with pytest.raises(ValueError, match="expecting 768 features"):
        HOGGlyphDisplay.from_estimator(hog, rows[:, : 16 * 16])
    with pytest.raises(ValueError, match=r"expects images of shape \(16, 16, 3\)"):
        HOGGlyphDisplay.from_estimator(hog, images[:, :8])
    with pytest.raises(ValueError, match="images must have shape"):
        HOGGlyphDisplay.from_images(rows)
    with pytest.raises(ValueError, match="no whole cell of 8 x 8 pixels"):
        HOGGlyphDisplay.from_images(np.zeros((2, 6, 6)))


def test_glyphs_from_channels_first_rows_and_from_a_pipeline():
    # The CIFAR / OpenML row layout: the red plane, then green, then blue.
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, size=(2, 16, 16, 3), dtype=np.uint8)
    rows = images.transpose(0, 3, 1, 2).reshape(2, -1)
    settings = {"orientations": 4, "pixels_per_cell": (4, 4)}
    expected = HOGGlyphDisplay.from_images(images, **settings).cell_histograms
    hog = HOGFeatures(channels_first=True, **settings).fit(rows)
    display = HOGGlyphDisplay.from_estimator(hog, rows)
    np.testing.assert_allclose(display.cell_histograms, expected)
    pipeline = make_pipeline(
        HOGFeatures(channels_first=True, **settings),
        SoftmaxClassifier(max_iter=2, tol=None),
    ).fit(rows, [0, 1])
    display = HOGGlyphDisplay.from_estimator(pipeline, rows)
    np.testing.assert_allclose(display.cell_histograms, expected)
    union = make_pipeline(
        make_union(HOGFeatures(channels_first=True, **settings), StandardScaler()),
        SoftmaxClassifier(max_iter=2, tol=None),
    ).fit(rows, [0, 1])
    display = HOGGlyphDisplay.from_estimator(union, rows)
    np.testing.assert_allclose(display.cell_histograms, expected)
    with pytest.raises(ValueError, match="No HOG transformer .* in Pipeline"):
        HOGGlyphDisplay.from_estimator(make_pipeline(StandardScaler()), rows)


# --------------------------------------------------------------------------
# matplotlib is optional
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "draw",
    [
        lambda svm: LossCurveDisplay.from_estimator(svm),
        lambda svm: WeightTemplateDisplay.from_estimator(svm),
        lambda svm: LossCurveDisplay(loss_curves=[svm.loss_curve_]).plot(),
        lambda svm: HOGGlyphDisplay.from_images(np.zeros((1, 8, 8))),
    ],
    ids=["loss_curve", "templates", "plot", "glyphs"],
)
def test_missing_matplotlib_names_the_extra(monkeypatch, svm, draw):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(
        ImportError, match=r'needs matplotlib.*pip install "sklinear\[plot\]"'
    ):
        draw(svm)


def test_package_imports_without_matplotlib():
    code = (
        "import sys; sys.modules['matplotlib'] = None; "
        "import sklinear, sklinear.plotting, sklinear.__main__; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr
