"""One model, whichever door: the command line and Python give the same answer on raw rows.

For a built-in set, a numeric CSV, a regression CSV and a CSV with text categories and
missing values, ``mlpkit.load(run).predict`` equals ``mlpkit predict`` and ``score`` equals
``mlpkit evaluate``; a model saved from Python is predicted, evaluated and reported by the
command line; prediction leaves the global random state alone.
"""

import json

import numpy as np
import pandas as pd
import pytest

import mlpkit
from mlpkit.cli import main
from mlpkit.data import load_dataset

pytest.importorskip("torch")


def cli(*args) -> int:
    return main([str(a) for a in args])


def predicted(capsys, run, rows_csv, out_csv):
    assert cli("predict", run, rows_csv, "-o", out_csv) == 0
    capsys.readouterr()
    return pd.read_csv(out_csv)


def evaluated(capsys, *args):
    capsys.readouterr()
    assert cli("evaluate", *args, "--json") == 0
    return json.loads(capsys.readouterr().out)


def numeric_table(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 50.0, 0.01] + [0.0, 200.0, 5.0]   # unscaled units
    score = X[:, 0] + (X[:, 1] - 200) / 50 - (X[:, 2] - 5) / 0.01
    label = np.digitize(score, [-1.0, 1.0])
    return pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "label": label})


def messy_table(n=400, seed=1):
    rng = np.random.default_rng(seed)
    color = rng.choice(["red", "green", "blue"], n).astype(object)
    size = rng.normal(10, 3, n)
    city = rng.choice(["Oslo", "Lima", "Pune"], n).astype(object)
    label = np.where((color == "red") ^ (size > 10), "yes", "no")
    size[rng.choice(n, 25, replace=False)] = np.nan
    color[rng.choice(n, 20, replace=False)] = None
    city[rng.choice(n, 15, replace=False)] = None
    return pd.DataFrame({"color": color, "size": size, "city": city, "label": label})


def regression_table(n=300, seed=2):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 2))
    y = 3 * X[:, 0] - X[:, 1] ** 2 + 0.1 * rng.normal(size=n)
    return pd.DataFrame({"u": X[:, 0], "v": X[:, 1], "y": y})


CSV_CASES = {
    "numeric": (numeric_table, "label", ["--hidden", "16", "--epochs", "30", "--lr", "0.01"]),
    "messy": (messy_table, "label", ["--hidden", "16", "--epochs", "40", "--lr", "0.01",
                                     "--impute", "median", "--engine", "torch"]),
    "regression": (regression_table, "y", ["--hidden", "16", "--epochs", "30", "--lr", "0.01"]),
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_csv_run_predicts_and_scores_the_same_from_python(tmp_path, capsys, case):
    make, target, flags = CSV_CASES[case]
    table = make()
    table.to_csv(tmp_path / "data.csv", index=False)
    run = tmp_path / "run"
    assert cli("train", "--csv", tmp_path / "data.csv", "--target", target, *flags, "--out", run,
               "--quiet") == 0
    rows = table.drop(columns=target)
    rows.to_csv(tmp_path / "rows.csv", index=False)
    written = predicted(capsys, run, tmp_path / "rows.csv", tmp_path / "out.csv")

    model = mlpkit.load(run)
    shuffled = rows[list(reversed(rows.columns))]               # columns matched by name
    ours = model.predict(shuffled)
    if case == "regression":
        np.testing.assert_allclose(ours, written["prediction"], rtol=1e-6)
    else:
        assert list(ours) == list(written["prediction"])
        probabilities = written[[f"p_{c}" for c in model.classes_]].to_numpy()
        np.testing.assert_allclose(model.predict_proba(shuffled), probabilities, atol=1e-7)

    metrics = evaluated(capsys, run, "--csv", tmp_path / "data.csv")
    score = model.score(rows, table[target])
    assert "rows_without_target" not in metrics
    key = "r2" if case == "regression" else "accuracy"
    assert score == pytest.approx(metrics[key], abs=1e-9)
    assert metrics["n_samples"] == len(table)
    assert score > (0.5 if case == "regression" else 0.8)    # the scaling was applied


def test_builtin_run_predicts_and_scores_the_same_from_python(tmp_path, capsys):
    run = tmp_path / "wine"
    assert cli("train", "--dataset", "wine", "--out", run, "--quiet") == 0
    data = load_dataset("wine")
    model = mlpkit.load(run)
    saved = json.loads((run / "metrics.json").read_text())["test"]
    assert model.score(data.X_test, data.y_test) == saved["accuracy"] \
        == evaluated(capsys, run)["accuracy"]
    assert saved["accuracy"] >= 0.9                     # the run's scaler travels with it
    pd.DataFrame(data.X_test, columns=data.feature_names).to_csv(tmp_path / "rows.csv",
                                                                 index=False)
    written = predicted(capsys, run, tmp_path / "rows.csv", tmp_path / "out.csv")
    assert list(model.predict(data.X_test)) == list(written["prediction"])


def test_model_saved_from_python_is_predicted_evaluated_and_reported(tmp_path, capsys):
    table = numeric_table(seed=3)
    X, y = table.drop(columns="label"), table["label"].map({0: "low", 1: "mid", 2: "high"})
    estimator = mlpkit.MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01,
                                     max_iter=60, random_state=0, scale=True).fit(X, y)
    estimator.save(tmp_path / "model")
    rows = pd.concat([X, y.rename("label")], axis=1)
    rows.to_csv(tmp_path / "rows.csv", index=False)

    written = predicted(capsys, tmp_path / "model", tmp_path / "rows.csv", tmp_path / "out.csv")
    assert list(written["prediction"]) == list(estimator.predict(X))
    metrics = evaluated(capsys, tmp_path / "model", "--csv", tmp_path / "rows.csv", "--target",
                        "label")
    assert metrics["accuracy"] == pytest.approx(estimator.score(X, y), abs=1e-12)
    assert metrics["accuracy"] > 0.8
    assert cli("report", tmp_path / "model") == 0
    page = (tmp_path / "model" / "report.html").read_text()
    assert "Saved from Python" in page and "mlpkit.load(" in page
    assert (tmp_path / "model" / "plots" / "curves.png").exists()

    assert cli("evaluate", tmp_path / "model") == 2
    assert capsys.readouterr().err.strip() == (
        f"mlpkit: error: '{tmp_path / 'model'}' has no config.toml (a model saved from Python), "
        "so it has no test split of its own; pass --csv FILE or --dataset NAME to evaluate it.")


def test_loaded_estimator_keeps_the_runs_options_and_refits_alike(tmp_path):
    run = tmp_path / "iris"
    assert cli("train", "--dataset", "iris", "--hidden", "9", "--lr", "0.02", "--epochs", "12",
               "--optimizer", "sgd", "--momentum", "0.5", "--out", run, "--quiet") == 0
    model = mlpkit.load(run)
    params = model.get_params()
    assert params["hidden_layer_sizes"] == (9,) and params["learning_rate_init"] == 0.02
    assert params["solver"] == "sgd" and params["momentum"] == 0.5
    assert params["max_iter"] == 12 and params["random_state"] == 0
    assert params["early_stopping"] is False                # --epochs 12: no early stopping
    assert cli("train", "--dataset", "iris", "--out", tmp_path / "default", "--quiet") == 0
    default = mlpkit.load(tmp_path / "default").get_params()
    assert default["early_stopping"] is True and default["validation_fraction"] == 0.2
    assert default["max_iter"] is None                     # to convergence, as the run did


def test_prediction_touches_no_global_random_state(tmp_path):
    import torch

    run = tmp_path / "dropout"
    assert cli("train", "--dataset", "moons", "--engine", "torch", "--dropout", "0.3",
               "--epochs", "3", "--out", run, "--quiet") == 0
    X = load_dataset("moons").X_test
    np.random.seed(123)
    torch.manual_seed(5)
    numpy_state, torch_state = np.random.get_state(), torch.get_rng_state()
    model = mlpkit.load(run)
    first = model.predict_proba(X)
    np.testing.assert_array_equal(model.predict_proba(X), first)     # eval mode: no dropout
    assert torch.equal(torch.get_rng_state(), torch_state)
    after = np.random.get_state()
    assert after[0] == numpy_state[0] and np.array_equal(after[1], numpy_state[1])
    assert after[2:] == numpy_state[2:]


def test_threads_bind_torch_for_the_fit_only_and_restore_the_callers_number():
    import torch

    before = torch.get_num_threads()
    X = load_dataset("moons").X_train
    y = load_dataset("moons").y_train
    seen = []

    from mlpkit.training.callbacks import Callback

    class Spy(Callback):
        def on_epoch_end(self, state, record):
            seen.append(torch.get_num_threads())

    mlpkit.MLPClassifier(engine="torch", threads=1, max_iter=2, callbacks=[Spy()]).fit(X, y)
    assert seen == [1, 1] and torch.get_num_threads() == before


def test_training_with_dropout_leaves_the_callers_torch_stream_alone():
    import torch

    data = load_dataset("moons")
    X, y = data.X_train, data.y_train
    torch.manual_seed(9)
    before = torch.get_rng_state()
    first = mlpkit.MLPClassifier(engine="torch", dropout=0.3, max_iter=3, tol=None,
                                 random_state=0).fit(X, y)
    assert torch.equal(torch.get_rng_state(), before)
    again = mlpkit.MLPClassifier(engine="torch", dropout=0.3, max_iter=3, tol=None,
                                 random_state=0).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), again.predict_proba(X))


def test_a_callback_reused_across_two_fits_behaves_the_same_both_times():
    from mlpkit.training.callbacks import EarlyStopping

    data = load_dataset("moons", n_samples=400)
    X, y = data.X_train, data.y_train
    stopper = EarlyStopping(patience=3, min_delta=1e-3)
    estimator = mlpkit.MLPClassifier(max_iter=300, tol=None, learning_rate_init=0.01,
                                     callbacks=[stopper], random_state=0)
    first = estimator.fit(X, y)
    epochs, proba = first.n_iter_, first.predict_proba(X)
    assert 3 < epochs < 300
    second = estimator.fit(X, y)
    assert second.n_iter_ == epochs
    np.testing.assert_array_equal(second.predict_proba(X), proba)


def test_evaluate_leaves_out_rows_without_a_target_and_says_so(tmp_path, capsys):
    table = numeric_table(seed=4)
    table.to_csv(tmp_path / "data.csv", index=False)
    run = tmp_path / "run"
    assert cli("train", "--csv", tmp_path / "data.csv", "--target", "label", "--epochs", "5",
               "--out", run, "--quiet") == 0
    gappy = table.astype({"label": float})
    gappy.loc[[3, 7], "label"] = np.nan
    gappy.to_csv(tmp_path / "gappy.csv", index=False)
    metrics = evaluated(capsys, run, "--csv", tmp_path / "gappy.csv")
    assert metrics["rows_without_target"] == 2 and metrics["n_samples"] == len(table) - 2
    kept = gappy.dropna(subset=["label"])
    assert metrics["accuracy"] == pytest.approx(
        mlpkit.load(run).score(kept.drop(columns="label"), kept["label"].astype(int)), abs=1e-12)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_one_loaded_model_predicts_the_same_from_many_threads_at_once(tmp_path, engine):
    """As a web server would use it: one model, 8 threads, raw rows with text and gaps; the
    answers are the one-thread answers, and the torch thread count is left as it was."""
    from concurrent.futures import ThreadPoolExecutor

    import torch

    table = messy_table(seed=4)
    table.to_csv(tmp_path / "data.csv", index=False)
    run = tmp_path / "run"
    assert cli("train", "--csv", tmp_path / "data.csv", "--target", "label", "--hidden", "16",
               "--epochs", "5", "--engine", engine, "--out", run, "--quiet") == 0
    rows = table.drop(columns="label")
    chunks = [rows.iloc[i::8] for i in range(8)]
    alone = [mlpkit.load(run).predict_proba(chunk) for chunk in chunks]
    threads = torch.get_num_threads()
    shared = mlpkit.load(run)                  # its first use is concurrent too
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(shared.predict_proba, chunks * 4))
    for index, answer in enumerate(together):
        np.testing.assert_array_equal(answer, alone[index % 8])
    assert torch.get_num_threads() == threads
