"""Prediction rows with a gap in a column that had none in training: filled with the training's
value and said once (both doors, streamed or not), or refused with ``--strict``."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import mlpkit
from mlpkit.cli import main
from mlpkit.data import load_dataset
from mlpkit.errors import NewGapsWarning, UnseenCategoryWarning
from mlpkit.runs.use import predict


def table(n=240, seed=0):
    """'size' and 'color' have no gaps; 'weight' has some, so it has a missing indicator."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"size": rng.normal(10, 3, n), "weight": rng.normal(5, 1, n),
                          "color": rng.choice(["red", "blue"], n)})
    frame["label"] = np.where((frame["color"] == "red") ^ (frame["size"] > 10), "yes", "no")
    frame.loc[rng.choice(n, 12, replace=False), "weight"] = np.nan
    return frame


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gaps")
    table().to_csv(folder / "train.csv", index=False)
    assert main(["train", "--csv", str(folder / "train.csv"), "--target", "label", "--hidden",
                 "8", "--epochs", "5", "--out", str(folder / "run"), "--quiet"]) == 0
    return folder / "run"


def new_rows():
    rows = table(60, seed=1).drop(columns="label").reset_index(drop=True)
    rows.loc[[3, 40], "size"] = np.nan                 # no gaps in training: said
    rows.loc[[3, 7], "color"] = np.nan                 # no gaps in training: said
    rows.loc[[5, 9], "weight"] = np.nan                # had gaps: expected, not said
    return rows


EXPECTED = ("3 row(s) of '{path}' have missing values in column(s) 'size' (2), 'color' (2) "
            "that had none in training (lines 5, 9, 42); filled with the training's values "
            "(--strict refuses them).")


def training_fill(run, column):
    encoder = json.loads((run / "model.json").read_text())["preprocessing"]["encoder"]
    return next(c["fill"] for c in encoder["columns"] if c["name"] == column)


def test_the_command_line_fills_new_gaps_and_says_so_once(run, tmp_path, capsys):
    rows = new_rows()
    rows.to_csv(tmp_path / "new.csv", index=False)
    capsys.readouterr()
    assert main(["predict", str(run), str(tmp_path / "new.csv"), "-o",
                 str(tmp_path / "out.csv")]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if line]
    assert said == ["mlpkit: warning: " + EXPECTED.format(path=tmp_path / "new.csv")]

    # filled with the training's median: the same predictions as rows filled by hand
    filled = rows.assign(size=rows["size"].fillna(training_fill(run, "size")))
    filled.loc[filled["color"].isna(), "color"] = "never-seen"     # all zeros, as a gap
    with pytest.warns(UnseenCategoryWarning):
        by_hand = mlpkit.load(run).predict_proba(filled)
    written = pd.read_csv(tmp_path / "out.csv")
    np.testing.assert_allclose(written[["p_no", "p_yes"]].to_numpy(), by_hand, atol=1e-6)


def test_streamed_chunks_say_it_once_for_the_whole_file(run, tmp_path):
    new_rows().to_csv(tmp_path / "new.csv", index=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        predict(run, tmp_path / "new.csv", tmp_path / "streamed.csv", stream=True,
                chunk_bytes=500)
    said = [str(w.message) for w in caught if issubclass(w.category, NewGapsWarning)]
    assert said == [EXPECTED.format(path=tmp_path / "new.csv")]
    with pytest.warns(NewGapsWarning):
        predict(run, tmp_path / "new.csv", tmp_path / "whole.csv")
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "streamed.csv"),
                                  pd.read_csv(tmp_path / "whole.csv"))


def test_python_says_it_for_each_call(run):
    model = mlpkit.load(run)
    with pytest.warns(NewGapsWarning) as caught:
        model.predict(new_rows())
    assert [str(w.message) for w in caught if w.category is NewGapsWarning] == [
        EXPECTED.format(path="X")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict(new_rows().dropna(subset=["size", "color"]))    # 'weight' gaps: quiet


@pytest.mark.parametrize("stream", [False, True])
def test_strict_refuses_them_in_one_line_and_writes_nothing(run, tmp_path, capsys, stream):
    new_rows().to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "out.csv"
    capsys.readouterr()
    assert main(["predict", str(run), str(tmp_path / "new.csv"), "-o", str(out), "--strict"]
                + (["--stream"] if stream else [])) == 2
    err = capsys.readouterr().err
    assert err == (f"mlpkit: error: Column(s) 'size', 'color' in '{tmp_path / 'new.csv'}' "
                   f"have missing values (lines 5, 9, 42) but had none in training; fill them, "
                   "or leave out --strict to use the training's fill values.\n")
    assert not out.exists() and list(tmp_path.iterdir()) == [tmp_path / "new.csv"]


def test_strict_evaluate_refuses_too_and_plain_evaluate_counts_the_rows(run, tmp_path, capsys):
    rows = new_rows().assign(label=table(60, seed=1)["label"])
    rows.to_csv(tmp_path / "labelled.csv", index=False)
    assert main(["evaluate", str(run), "--csv", str(tmp_path / "labelled.csv"), "--strict"]) == 2
    assert "but had none in training" in capsys.readouterr().err
    assert main(["evaluate", str(run), "--csv", str(tmp_path / "labelled.csv")]) == 0
    err = capsys.readouterr().err
    assert err.count("mlpkit: warning:") == 1 and "3 row(s) of" in err


def test_a_training_runs_test_rows_with_new_gaps_get_a_note_not_a_warning(tmp_path):
    train, test = table(), table(40, seed=2)
    test.loc[[0, 1], "size"] = np.nan
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = load_dataset("csv", path=tmp_path / "train.csv", test_path=tmp_path / "test.csv")
    assert data.encoder.notes == ["2 test row(s) have missing values in column(s) 'size', which "
                                  "the training rows had none of: filled with the training's "
                                  "values"]
