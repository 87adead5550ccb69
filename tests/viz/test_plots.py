"""Plots, the animation and the report: files exist, are deterministic, show what they claim."""

import numpy as np
import pytest
from PIL import Image

from mlpkit.classic import AdalineGD, Perceptron
from mlpkit.cli import main
from mlpkit.data import Standardizer, load_dataset
from mlpkit.training.history import History
from mlpkit.viz import plots


@pytest.fixture(scope="module")
def blobs2():
    data = load_dataset("blobs", centers=2, random_state=3)
    scaler = Standardizer.fit(data.X_train)
    return scaler.transform(data.X_train), data.y_train, scaler.transform(data.X_test), data.y_test


def test_same_inputs_give_the_same_bytes(tmp_path):
    history = History([{"epoch": e, "train_loss": 1 / e, "val_loss": 1.1 / e,
                        "train_accuracy": 1 - 1 / (e + 1), "val_accuracy": None}
                       for e in range(1, 6)])
    plots.plot_history(history, tmp_path / "a.png")
    plots.plot_history(history, tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert Image.open(tmp_path / "a.png").size == (1000, 400)


@pytest.mark.parametrize("make", [lambda: Perceptron(n_iter=20), lambda: AdalineGD(
    learning_rate=0.01, n_iter=30)])
def test_decision_regions_show_the_models_predictions(tmp_path, blobs2, make):
    X, y, X_test, y_test = blobs2
    model = make().fit(X, y)
    drawn = plots.plot_decision_regions(model.predict, X_test, y_test, ["0", "1"],
                                        tmp_path / "r.png", resolution=50)
    grid = np.column_stack([drawn.xx.ravel(), drawn.yy.ravel()])
    np.testing.assert_array_equal(drawn.regions.ravel(), model.predict(grid))
    assert set(np.unique(drawn.regions)) == {0, 1}          # both classes are on the picture

    # the colour of the PNG at a grid point is its predicted class's, tab10 at 30 % on white
    image = np.asarray(Image.open(tmp_path / "r.png").convert("RGB")).astype(float)
    tab10 = np.array([[31, 119, 180], [255, 127, 14]], dtype=float)
    tint = 0.3 * tab10 + 0.7 * 255
    interior = (np.abs(np.diff(drawn.regions, axis=0, prepend=-1)) == 0) & \
        (np.abs(np.diff(drawn.regions, axis=1, prepend=-1)) == 0)   # away from the boundary
    interior[:2], interior[-2:], interior[:, :2], interior[:, -2:] = False, False, False, False
    points = grid[interior.ravel()]
    far = np.min(np.linalg.norm(points[:, None] - X_test[None], axis=2), axis=1) > 0.3
    points, classes = points[far], model.predict(points[far])
    columns, rows = np.rint(drawn.to_pixels(points)).astype(int).T
    colours = image[rows, columns]
    nearest = np.argmin(np.linalg.norm(colours[:, None] - tint[None], axis=2), axis=1)
    assert len(points) > 100
    assert np.mean(nearest == classes) > 0.97
    assert np.mean(np.abs(colours - tint[classes]).max(axis=1) < 12) > 0.95


def test_series_and_gradient_descent_pictures(tmp_path):
    plots.plot_series({"lr 0.01": [3, 2, 1], "lr 0.0001": [3, 2.9, 2.8]}, tmp_path / "s.png",
                      "loss", log=True)
    assert (tmp_path / "s.png").stat().st_size > 1000
    # f(x) = x^2, f'(x) = 2x: x_k = x0 (1 - 2 lr)^k
    path = plots.plot_gradient_descent(lambda x: x ** 2, lambda x: 2 * x, 2.0, 0.1, 5,
                                       tmp_path / "gd.png")
    np.testing.assert_allclose(path, [2.0 * 0.8 ** k for k in range(6)])


def test_confusion_matrix_picture(tmp_path):
    plots.plot_confusion_matrix([[5, 1], [0, 7]], ["cat", "dog"], tmp_path / "cm.png")
    assert Image.open(tmp_path / "cm.png").size[0] > 200


def test_animation_is_a_bounded_gif(tmp_path):
    out = tmp_path / "anim"
    assert main(["train", "--dataset", "xor", "--hidden", "8", "--epochs", "150", "--lr", "0.01",
                 "--animate", "--out", str(out), "--quiet"]) == 0
    gif = Image.open(out / "plots" / "animation.gif")
    assert gif.format == "GIF" and 2 <= gif.n_frames <= 60
    assert gif.size == (360, 360)


def test_animate_refuses_data_that_is_not_2d(tmp_path, capsys):
    assert main(["train", "--dataset", "iris", "--animate", "--out", str(tmp_path / "x"),
                 "--quiet"]) == 2
    assert capsys.readouterr().err.strip() == (
        "mlpkit: error: --animate draws the decision boundary of 2-D classification data; "
        "'iris' has 4 features (classification). Drop --animate or use a 2-D set such as moons, "
        "circles, blobs, xor or spirals.")
    assert not (tmp_path / "x").exists()


def test_report_is_rebuilt_byte_for_byte_and_lists_its_figures(tmp_path):
    out = tmp_path / "r"
    assert main(["train", "--dataset", "spirals", "--epochs", "5", "--out", str(out),
                 "--quiet"]) == 0
    first = (out / "report.html").read_bytes()
    (out / "report.html").unlink()
    assert main(["report", str(out)]) == 0
    assert (out / "report.html").read_bytes() == first
    text = first.decode()
    assert text.count("<img src=\"data:image/png;base64,") == 6     # + per-layer diagnosis
    assert "mlpkit train --config" in text and "<script" not in text
