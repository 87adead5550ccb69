"""The table recipe reaches every door alike: ``mlpkit train --csv`` uses it (the built-in sets
and streamed tables do not), ``config.toml`` replays it, and ``TabularClassifier`` /
``TabularRegressor`` fitted on the raw DataFrame predict what the command line's run predicts."""

import numpy as np
import pandas as pd
import pytest

import mlpkit
from mlpkit.cli import main
from mlpkit.config import RunConfig
from mlpkit.model import TrainedModel
from mlpkit.recipe import TABLE_DEFAULTS
from tests.test_export import messy


def table(tmp_path, target: str):
    frame = messy(300, seed=3).drop(columns="value" if target == "label" else "label")
    train, test = frame.iloc[:240], frame.iloc[240:]
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    return train, test


def options_of(run) -> dict:
    return TrainedModel.load(run).options


def test_a_table_trains_with_the_recipe_and_built_in_sets_and_streams_without(tmp_path):
    table(tmp_path, "label")
    common = ["--epochs", "2", "--quiet", "--no-baselines"]
    assert main(["train", "--csv", str(tmp_path / "train.csv"), "--target", "label",
                 "--out", str(tmp_path / "csv"), *common]) == 0
    assert main(["train", "--csv", str(tmp_path / "train.csv"), "--target", "label",
                 "--stream", "--out", str(tmp_path / "stream"), *common]) == 0
    assert main(["train", "--dataset", "moons", "--out", str(tmp_path / "moons"),
                 *common]) == 0
    recipe = {k: v for k, v in TABLE_DEFAULTS.items() if k != "epochs"}
    csv, stream, moons = (options_of(tmp_path / r) for r in ("csv", "stream", "moons"))
    assert {k: csv[k] for k in recipe} == recipe
    general = RunConfig().option_values()
    for other in (stream, moons):
        assert {k: other[k] for k in recipe} == {k: general[k] for k in recipe}


def test_a_flag_overrides_the_recipe_and_config_toml_replays_it(tmp_path):
    table(tmp_path, "label")
    run = tmp_path / "run"
    assert main(["train", "--csv", str(tmp_path / "train.csv"), "--target", "label",
                 "--schedule", "constant", "--scaler", "standard", "--epochs", "2",
                 "--out", str(run), "--quiet", "--no-baselines"]) == 0
    options = options_of(run)
    assert options["schedule"] is None and options["scaler"] == "standard"
    assert 'schedule = "constant"' in (run / "config.toml").read_text()
    assert main(["train", "--config", str(run / "config.toml"), "--out",
                 str(tmp_path / "again"), "--quiet"]) == 0
    assert options_of(tmp_path / "again") == options


@pytest.mark.parametrize("estimator, target", [(mlpkit.TabularClassifier, "label"),
                                               (mlpkit.TabularRegressor, "value")])
def test_the_estimators_on_a_raw_dataframe_predict_what_the_command_line_run_predicts(
        tmp_path, estimator, target):
    train, test = table(tmp_path, target)
    run = tmp_path / "run"
    assert main(["train", "--csv", str(tmp_path / "train.csv"), "--test-csv",
                 str(tmp_path / "test.csv"), "--target", target, "--epochs", "5",
                 "--out", str(run), "--quiet", "--no-baselines"]) == 0
    model = estimator(random_state=0, max_iter=5).fit(train.drop(columns=target),
                                                       train[target])
    cli = TrainedModel.load(run)
    features = test.drop(columns=target)
    np.testing.assert_allclose(model.predict_proba(features) if target == "label" else
                               model.predict(features),
                               cli.predict_output(cli.features(features)), rtol=1e-5)
    assert list(model.feature_names_in_) == list(features.columns)
    model.save(tmp_path / "saved")
    again = mlpkit.load(tmp_path / "saved")
    assert (again.predict(features) == model.predict(features)).all()


def test_the_estimators_take_arrays_too_and_refuse_a_frame_after_an_array():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] > 0).astype(int)
    model = mlpkit.TabularClassifier(random_state=0, max_iter=3).fit(X, y)
    assert model.predict(X).shape == (120,)
    with pytest.raises(mlpkit.InvalidInputError, match="fitted on an array"):
        model.predict(pd.DataFrame(X, columns=["a", "b", "c"]))
