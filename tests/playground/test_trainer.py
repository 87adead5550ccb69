"""The playground's trainer without a browser: the one session and loop, stepped, reset,
exported and explained exactly as the other doors do it."""

import time

import numpy as np
import pytest
from safetensors.numpy import load_file

from mlpkit.cli import main
from mlpkit.diagnostics.explain import Quantity, as_text
from mlpkit.errors import InvalidParameterError
from mlpkit.playground.settings import Settings
from mlpkit.playground.worker import Worker


@pytest.fixture
def open_worker(tmp_path):
    workers = []

    def make(**settings) -> Worker:
        worker = Worker(Settings(**settings), None, str(tmp_path / "exports"))
        workers.append(worker)
        wait(worker, lambda w: w.view is not None)
        return worker

    yield make
    for worker in workers:
        worker.close()


def wait(worker: Worker, done, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not done(worker):
        assert time.monotonic() < deadline, "the trainer did not get there"
        time.sleep(0.01)


def ask(worker: Worker, op: str, **args):
    return worker.send(op, args).result(timeout=60)


def run_to_end(worker: Worker) -> list[dict]:
    ask(worker, "play")
    wait(worker, lambda w: w.snapshot.finished is not None)
    return list(worker.curve)


def step(worker: Worker, op: str):
    """Send a step and return the snapshot published when the trainer paused after it."""
    before = worker.snapshot.version
    ask(worker, op)
    wait(worker, lambda w: w.snapshot.version > before and not w.snapshot.running)
    return worker.snapshot


def test_step_batch_and_step_epoch_advance_exactly_one(open_worker):
    worker = open_worker(points=200, test_share=0.5, batch_size=10)   # 100 rows: 10 batches
    first = step(worker, "step_batch")
    assert (first.batches, first.epoch) == (1, 0)
    assert step(worker, "step_batch").batches == 2
    after = step(worker, "step_epoch")                # to the end of the epoch it is in
    assert (after.batches, after.epoch) == (10, 1)
    after = step(worker, "step_epoch")
    assert (after.batches, after.epoch) == (20, 2)


def test_the_same_seed_and_settings_give_the_same_losses_and_reset_starts_over(open_worker):
    a = run_to_end(open_worker(dataset="moons", epochs=15, seed=3))
    b_worker = open_worker(dataset="moons", epochs=15, seed=3)
    b = run_to_end(b_worker)
    assert [p["train_loss"] for p in a] == [p["train_loss"] for p in b]
    assert [p["test_loss"] for p in a] == [p["test_loss"] for p in b]
    ask(b_worker, "reset")
    wait(b_worker, lambda w: w.view is not None and w.view.build == 2)
    assert run_to_end(b_worker) == a            # a reset keeps the initial weights
    ask(b_worker, "new_seed")
    wait(b_worker, lambda w: w.view is not None and w.view.build == 3)
    assert run_to_end(b_worker)[0]["train_loss"] != a[0]["train_loss"]


def test_an_export_replayed_by_mlpkit_train_gives_identical_weights(open_worker, tmp_path):
    worker = open_worker(dataset="spirals", hidden=(8, 8), epochs=12, optimizer="adam",
                         lr=0.01, batch_size=16, activations=("relu", "tanh"), l1=0.001)
    run_to_end(worker)
    exported = ask(worker, "export")
    assert exported["notes"] == []
    config = f"{exported['folder']}/config.toml"
    assert main(["train", "--config", config, "--out", str(tmp_path / "replay"), "--quiet"]) == 0
    page, replay = (load_file(f"{folder}/model.safetensors")
                    for folder in (exported["folder"], tmp_path / "replay"))
    assert page.keys() == replay.keys()
    assert all(np.array_equal(page[k], replay[k]) for k in page)
    assert (tmp_path / "exports" / "playground-001" / "report.html").is_file()


def test_switching_engines_keeps_the_curve(open_worker):
    worker = open_worker(dataset="moons", hidden=(8,), epochs=20)
    on_numpy = run_to_end(worker)
    ask(worker, "set", values={"engine": "torch"})
    wait(worker, lambda w: w.view is not None and w.view.build == 2)
    on_torch = run_to_end(worker)
    for key in ("train_loss", "test_loss"):
        assert np.allclose([p[key] for p in on_numpy], [p[key] for p in on_torch],
                           rtol=0, atol=1e-5)


def test_live_settings_change_without_a_reset_and_others_reset(open_worker):
    worker = open_worker(dataset="moons")
    step(worker, "step_epoch")
    assert ask(worker, "set", values={"lr": 0.1, "momentum": 0.5})["ok"] == "live"
    step(worker, "step_epoch")
    assert worker.build == 1 and [p["lr"] for p in worker.curve] == [0.03, 0.1]
    assert ask(worker, "set", values={"hidden": [3]})["ok"] == "reset"
    wait(worker, lambda w: w.view is not None and w.view.build == 2)
    assert worker.session.spec.hidden == (3,)


def test_a_learning_rate_of_10_on_spirals_is_diagnosed_with_its_fix(open_worker):
    worker = open_worker(dataset="spirals", lr=10.0, epochs=60)
    run_to_end(worker)
    first = worker.snapshot.findings[0]       # the banner's
    assert first["id"] in ("divergence", "lr-too-high")
    assert first["title"].startswith("Training diverges") and first["fix"] == {"lr": 1}


def test_the_explain_panel_gives_the_numbers_of_mlpkit_explain(open_worker, capsys):
    worker = open_worker(dataset="moons", hidden=(3,), epochs=5)
    run_to_end(worker)
    panel = ask(worker, "explain", point=7)
    folder = ask(worker, "export")["folder"]
    capsys.readouterr()
    assert main(["explain", "--model", folder, "--point", *map(repr, panel["point"]),
                 "--label", str(panel["label"]), "--lr", repr(panel["lr"])]) == 0
    printed = capsys.readouterr().out.split("\n", 1)[1]
    steps = [Quantity(q["stage"], q["name"], q["formula"], np.array(q["value"]))
             for q in panel["quantities"]]
    assert as_text(steps) + "\n" == printed
    assert [q["name"] for q in panel["quantities"]][-1] == "L after"


def test_the_gradient_check_button_agrees_with_finite_differences(open_worker):
    worker = open_worker(dataset="xor", hidden=(5, 4))
    step(worker, "step_epoch")
    result = ask(worker, "gradcheck")
    assert result["agrees"] and set(result["errors"]) == {f"{i}.{p}" for i in (0, 2, 4)
                                                         for p in ("weight", "bias")}


@pytest.mark.parametrize("values, words", [
    ({"lr": -1.0}, "lr"), ({"hidden": [0]}, "hidden"), ({"points": 10 ** 9}, "points"),
    ({"added": [[0, 0, 0]] * 5000}, "added"), ({"bogus": 1}, "Unknown setting"),
    ({"noise": float("nan")}, "noise"), ({"hidden": [4] * 100}, "hidden"),
    ({"optimizer": "adam", "momentum": 0.9}, "momentum")])
def test_bad_settings_are_refused_in_one_line_and_change_nothing(values, words):
    settings = Settings()
    with pytest.raises(InvalidParameterError, match=words) as caught:
        settings.changed(values)
    assert "\n" not in str(caught.value)
    assert settings == Settings()


def test_edited_points_and_engineered_inputs_train_and_export_their_rows(open_worker, tmp_path):
    worker = open_worker(dataset="xor", points=100, squares=True, product=True,
                         added=((0.5, 0.5, 1), (-0.5, 0.5, 0)), erased=(0, 1, 2), epochs=3)
    assert worker.data.feature_names == ["x0", "x1", "x0^2", "x1^2", "x0*x1"]
    assert len(worker.data.X_train) + len(worker.data.X_test) == 100 - 3 + 2
    run_to_end(worker)
    exported = ask(worker, "export")
    assert "train.csv" in exported["notes"][0]
    config = f"{exported['folder']}/config.toml"
    assert main(["train", "--config", config, "--out", str(tmp_path / "replay"), "--quiet"]) == 0
    page, replay = (load_file(f"{folder}/model.safetensors")
                    for folder in (exported["folder"], tmp_path / "replay"))
    assert all(np.array_equal(page[k], replay[k]) for k in page)


def test_the_shown_command_and_pytorch_code_are_the_same_network(open_worker, tmp_path):
    import shlex

    import torch

    from mlpkit.model import TrainedModel

    worker = open_worker(dataset="moons", hidden=(6, 3), activation="relu", epochs=8,
                         optimizer="sgd", momentum=0.9, nesterov=True, dropout=0.1)
    run_to_end(worker)
    shown = ask(worker, "code")
    exported = ask(worker, "export")["folder"]
    words = shlex.split(shown["command"])
    assert words[:2] == ["mlpkit", "train"]
    assert main([*words[1:], "--out", str(tmp_path / "again"), "--quiet"]) == 0
    page, again = (load_file(f"{folder}/model.safetensors")
                   for folder in (exported, tmp_path / "again"))
    assert all(np.array_equal(page[k], again[k]) for k in page)
    scope: dict = {}
    exec(shown["torch"], scope)                    # the page's nn.Sequential, as shown
    network = scope["model"].eval()
    network.load_state_dict({k: torch.from_numpy(v) for k, v in page.items()})
    model = TrainedModel.load(exported)
    X = model.scaler.transform(worker.data.X_test)
    with torch.no_grad():
        logits = network(torch.from_numpy(np.asarray(X, np.float32))).numpy()
    assert np.allclose(torch.softmax(torch.from_numpy(logits), 1).numpy(),
                       model.predict_output(worker.data.X_test), atol=1e-6)


def test_the_regression_surface_trains_with_r2_curves_and_a_value_picture(open_worker):
    from mlpkit.playground.frames import Painter

    worker = open_worker(dataset="surface", hidden=(16, 16), optimizer="adam", lr=0.01,
                         epochs=40)
    curve = run_to_end(worker)
    assert worker.data.task == "regression" and curve[-1]["test_score"] > 0.8
    from sklearn.metrics import r2_score

    predicted = worker.session.model().predict_output(worker.data.X_test)
    assert curve[-1]["test_score"] == pytest.approx(r2_score(worker.data.y_test, predicted),
                                                    abs=1e-5)
    frame = Painter(worker.view).frame(worker.snapshot, 0)
    assert "confusion" not in frame and len(frame["surface"]) == 4 * 48 * 48 // 3


def test_a_table_draws_its_first_two_continuous_columns_by_default(tmp_path):
    import pandas as pd

    from mlpkit.playground.data import load

    rng = np.random.default_rng(0)
    table = pd.DataFrame({"colour": rng.choice(["red", "blue"], 200),
                          "height": rng.normal(size=200), "age": rng.normal(size=200),
                          "kind": rng.choice(["a", "b", "c"], 200)})
    table.loc[:9, "height"] = None                # a gap indicator column too
    table.to_csv(tmp_path / "t.csv", index=False)
    csv = {"path": str(tmp_path / "t.csv"), "target": "kind"}
    data, canvas = load(Settings(dataset="csv"), csv)
    assert "colour=blue" in data.feature_names and "height=missing" in data.feature_names
    assert canvas.names == ("height", "age")
    _, chosen = load(Settings(dataset="csv", x_column="colour=red", y_column="age"), csv)
    assert chosen.names == ("colour=red", "age")
