"""--stream: tables read a chunk at a time give what the same table in memory gives."""

import csv
import json

import numpy as np
import pandas as pd
import pytest

from mlpkit.cli import main
from mlpkit.data.preprocessing import Standardizer
from mlpkit.data.tables.chunks import ChunkedTable
from mlpkit.data.tables.first_pass import open_stream
from mlpkit.data.tables.stream import Moments, row_draws
from mlpkit.data.tables.stream_rows import StreamRows
from mlpkit.errors import InvalidInputError
from mlpkit.runs.convert import convert
from mlpkit.runs.metrics import MetricsAccumulator

CHUNK = ["--data-option", "chunk_bytes=20000"]


def table(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Numbers with gaps, a category whose last value appears only near the end, dates, and a
    target that depends on all three."""
    rng = np.random.default_rng(seed)
    color = rng.choice(["red", "green", "blue"], n).astype(object)
    color[-5:] = "violet"
    x = rng.normal(50, 10, n)
    day = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    y = np.where((x - 50) / 10 + (color == "red") + rng.normal(0, 0.3, n) > 0.4, "yes", "no")
    frame = pd.DataFrame({"x": x, "z": rng.normal(size=n), "color": color,
                          "day": day.strftime("%Y-%m-%d"), "y": y})
    frame.loc[rng.random(n) < 0.05, "x"] = np.nan
    return frame


@pytest.fixture
def data_csv(tmp_path):
    path = tmp_path / "data.csv"
    table().to_csv(path, index=False)
    return path


def history(folder) -> list[dict]:
    with open(folder / "history.csv") as f:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(f)]


def test_moments_merged_by_blocks_equal_the_whole_arrays_statistics():
    X = np.random.default_rng(1).normal(3.0, 2.0, (1001, 4)).astype(np.float32)
    moments = Moments(4)
    for start in (0, 1, 250, 251, 700):
        moments.add(X[start:{0: 1, 1: 250, 250: 251, 251: 700, 700: 1001}[start]])
    merged, whole = moments.standardizer(), Standardizer.fit(X)
    np.testing.assert_allclose(merged.mean, whole.mean, rtol=1e-6)
    np.testing.assert_allclose(merged.scale, np.std(X.astype(np.float64), axis=0), rtol=1e-6)


def test_row_draws_are_uniform_repeatable_and_differ_by_seed():
    rows = np.arange(100_000)
    draws = row_draws(rows, 0, 1)
    assert np.array_equal(draws, row_draws(rows, 0, 1))
    assert abs(draws.mean() - 0.5) < 0.01 and 0 <= draws.min() and draws.max() < 1
    assert np.histogram(draws, 10, (0, 1))[0].min() > 9_500
    assert np.corrcoef(draws, row_draws(rows, 1, 1))[0, 1] < 0.02


def classification_metrics(y_true, proba, class_names):
    """The reference: scikit-learn's own functions over all the rows at once."""
    from sklearn.metrics import accuracy_score, confusion_matrix, log_loss
    from sklearn.metrics import precision_recall_fscore_support as prfs

    labels = list(range(len(class_names)))
    predicted = proba.argmax(axis=1)
    precision, recall, f1, support = prfs(y_true, predicted, labels=labels, zero_division=0)
    macro = prfs(y_true, predicted, labels=labels, average="macro", zero_division=0)
    return {"loss": float(log_loss(y_true, np.clip(proba, 1e-7, 1.0), labels=labels)),
            "accuracy": float(accuracy_score(y_true, predicted)),
            "precision_macro": float(macro[0]), "recall_macro": float(macro[1]),
            "f1_macro": float(macro[2]),
            "per_class": {name: {"precision": float(p), "recall": float(r), "f1": float(f),
                                 "support": int(s)}
                          for name, p, r, f, s in zip(class_names, precision, recall, f1,
                                                      support)},
            "confusion_matrix": confusion_matrix(y_true, predicted, labels=labels).tolist(),
            "n_samples": int(len(y_true))}


def regression_metrics(y_true, y_pred):
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    mse = float(mean_squared_error(y_true, y_pred))
    return {"loss": mse, "mse": mse, "rmse": float(np.sqrt(mse)),
            "mae": float(mean_absolute_error(y_true, y_pred)),
            "r2": float(r2_score(y_true, y_pred)), "n_samples": int(len(y_true))}


def test_metrics_accumulated_by_chunks_equal_scikit_learns_over_all_rows():
    rng = np.random.default_rng(0)
    proba, y = rng.dirichlet(np.ones(3), 400), rng.integers(0, 3, 400)
    chunks = MetricsAccumulator(["a", "b", "c"])
    for start in range(0, 400, 57):
        chunks.add(y[start:start + 57], proba[start:start + 57])
    reference = classification_metrics(y, proba, ["a", "b", "c"])
    result = chunks.result()
    for key, value in reference.items():
        if key == "per_class":
            for name, scores in value.items():
                assert result[key][name] == pytest.approx(scores), name
        else:
            assert result[key] == (pytest.approx(value) if isinstance(value, float)
                                   else value), key
    truth, guess = rng.normal(size=300), rng.normal(size=300)
    values = MetricsAccumulator(None)
    for start in range(0, 300, 41):
        values.add(truth[start:start + 41], guess[start:start + 41])
    for key, value in regression_metrics(truth, guess).items():
        assert values.result()[key] == pytest.approx(value), key
    constant = MetricsAccumulator(None)                 # R² of a constant target, finite
    constant.add(np.ones(5), np.ones(5))
    assert constant.result()["r2"] == regression_metrics(np.ones(5), np.ones(5))["r2"] == 1.0


def test_csv_chunks_cover_the_file_and_number_rows_by_file_line(data_csv):
    chunked = ChunkedTable(data_csv, chunk_bytes=10_000)
    assert len(chunked.chunks) > 5
    frames = [frame for _, frame in chunked.frames()]
    whole = pd.read_csv(data_csv)
    pd.testing.assert_frame_equal(pd.concat(frames), whole)      # the index: row numbers too
    chunk = chunked.chunks[3]
    again = chunked.read(chunk)                    # any chunk, in any order, once counted
    assert again.index[0] == chunk.first_row and len(again) == chunk.n_rows


def test_a_parquet_folder_streams_its_row_groups_and_a_lost_file_is_named(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    frame = table()
    for k in range(3):
        frame.iloc[k * 1000:(k + 1) * 1000].to_parquet(folder / f"part-{k}.parquet",
                                                        row_group_size=400)
    chunked = ChunkedTable(folder)
    assert len(chunked.chunks) == 9
    pd.testing.assert_frame_equal(pd.concat([f for _, f in chunked.frames()],
                                            ignore_index=True), frame)
    (folder / "part-2.parquet").unlink()
    with pytest.raises(InvalidInputError, match="part-2.parquet' is gone"):
        chunked.read(chunked.chunks[-1])


def test_the_first_pass_learns_what_the_in_memory_encoder_learns(data_csv):
    streamed = open_stream(data_csv, "y", chunk_bytes=10_000, impute="mean")
    roles = {c.name: c.role for c in streamed.encoder.columns}
    assert roles == {"x": "numeric", "z": "numeric", "color": "category", "day": "date"}
    color = next(c for c in streamed.encoder.columns if c.name == "color")
    assert "violet" in color.categories          # first seen in the last chunk
    x = next(c for c in streamed.encoder.columns if c.name == "x")
    frame = table()
    train = frame[row_draws(np.arange(len(frame)), 0, 0x7E57) >= 0.2]   # the hashed test rows
    assert x.fill == pytest.approx(train["x"].mean()) and x.indicator
    assert streamed.class_values == ["no", "yes"]


def test_a_point_mass_seen_only_after_the_first_chunk_is_found_as_in_memory(tmp_path):
    from mlpkit.data import load_dataset
    from mlpkit.data.tables.columns import point_mass
    from mlpkit.data.tables.options import POINT_MASSES

    frame = table()
    rng, half = np.random.default_rng(1), len(frame) // 2
    visits = rng.uniform(1, 40, len(frame)).round(1)        # (not whole numbers: no code)
    visits[half:][rng.random(len(frame) - half) < 0.8] = 0.0      # 0 on 40 % of the rows
    frame["visits"] = visits
    path = tmp_path / "visits.csv"
    frame.to_csv(path, index=False)
    assert point_mass(visits[:half], POINT_MASSES) is None          # none in the first chunks
    streamed = open_stream(path, "y", chunk_bytes=10_000)
    in_memory = load_dataset("csv", path=path, target="y")
    assert streamed.feature_names == in_memory.feature_names
    for encoder in (streamed.encoder, in_memory.encoder):
        column = next(c for c in encoder.columns if c.name == "visits")
        assert column.mass == 0.0 and "% of the rows are 0: that too as a 0/1 feature" in \
            column.note


def test_a_codes_values_are_all_found_when_some_appear_only_after_the_first_chunk(tmp_path):
    from mlpkit.data import load_dataset

    frame = table()
    rng, half = np.random.default_rng(2), len(frame) // 2
    frame["grade"] = np.concatenate([rng.integers(1, 5, half),             # 1-4 at first,
                                     rng.integers(5, 9, len(frame) - half)])  # then 5-8
    path = tmp_path / "grades.csv"
    frame.to_csv(path, index=False)
    streamed = open_stream(path, "y", chunk_bytes=10_000)
    in_memory = load_dataset("csv", path=path, target="y")
    assert streamed.feature_names == in_memory.feature_names
    assert [n for n in streamed.feature_names if n.startswith("grade")] == \
        ["grade"] + [f"grade={k}" for k in range(1, 9)]
    for X in (streamed.encode(frame.head(50), "rows")[0], in_memory.encoder.transform(
            frame.head(50))):
        at = streamed.feature_names.index("grade")
        np.testing.assert_array_equal(X[:, at + 1:at + 9],
                                      X[:, at:at + 1] == np.arange(1, 9)[None, :])


def test_a_streamed_columns_note_tells_of_gaps_that_start_after_the_first_chunk(tmp_path):
    frame = table()
    late = np.arange(len(frame)) > len(frame) // 2
    frame.loc[late & (np.arange(len(frame)) % 7 == 0), "day"] = None
    frame.loc[late & (np.arange(len(frame)) % 11 == 0), "color"] = None
    frame.loc[:len(frame) // 2, "x"] = frame["x"][:len(frame) // 2 + 1].fillna(50.0)
    path = tmp_path / "late_gaps.csv"
    frame.to_csv(path, index=False)
    streamed = open_stream(path, "y", chunk_bytes=10_000)
    columns = {c.name: c for c in streamed.encoder.columns}
    for name in ("day", "color", "x"):
        assert columns[name].indicator or "(missing)" in columns[name].categories
    assert "missing filled with the median date" in columns["day"].note
    assert "plus an indicator" in columns["x"].note
    assert "missing as a category of their own" in columns["color"].note
    assert columns["color"].note.startswith(f"{len(columns['color'].categories)} values")


def test_an_epoch_visits_every_training_row_once_and_never_a_held_out_one(data_csv):
    streamed = open_stream(data_csv, "y", chunk_bytes=10_000)
    statistics = streamed.statistics(0.2, seed=3, scale=True)

    def numbers(frame, where):            # the rows' own numbers, to see where they went
        return frame.index.to_numpy()[:, None].astype(np.float32), np.zeros(len(frame)), None

    epochs = []
    for world in (1, 2):
        for rank in range(world):
            rows = StreamRows(streamed, statistics, numbers, 3, rank, world)
            rng = np.random.default_rng(7)
            for _ in range(2):
                seen, steps = [], 0
                for part in rows.epoch(rng, 64):
                    seen += [part.arrays[0][b, 0] for b in part.batches]
                    steps += len(part.batches)
                epochs.append((world, rank, steps, np.concatenate(seen).astype(int)))
    total = sum(statistics.train_rows)
    one = [e for e in epochs if e[0] == 1]
    assert sorted(one[0][3]) == sorted(one[1][3]) and len(one[0][3]) == total
    assert not np.array_equal(one[0][3], one[1][3])        # reshuffled each epoch
    everything = np.arange(len(table()))
    test = row_draws(everything, 0, 0x7E57) < 0.2
    assert not set(one[0][3]) & set(everything[test])
    assert len(statistics.y_val) + total + test.sum() == len(everything)
    first, _, second, _ = [e for e in epochs if e[0] == 2]   # ranks 0 and 1, first epoch
    assert first[2] == second[2]                           # both ranks: the same steps
    assert sorted(np.concatenate([first[3], second[3]])) == sorted(one[0][3])


def test_streamed_training_is_repeatable_and_resumes_exactly(tmp_path, data_csv):
    args = ["train", "--csv", str(data_csv), "--target", "y", "--stream", *CHUNK, "--quiet",
            "--hidden", "8", "--patience", "100"]
    general = ["--scaler", "standard", "--embedding", "none", "--label-smoothing", "0",
               "--beta-2", "0.999", "--lr", "0.001", "--no-clip-output",
               "--batch-size", "auto", "--ensemble", "1", "--min-epochs", "0"]   # not the recipe's
    for name in ("a", "b"):
        assert main([*args, "--epochs", "4", "--out", str(tmp_path / name)]) == 0
    assert history(tmp_path / "a") == history(tmp_path / "b")
    assert main([*args, "--epochs", "2", "--out", str(tmp_path / "c")]) == 0
    assert main(["train", "--resume", str(tmp_path / "c"), "--epochs", "4", "--quiet"]) == 0
    assert history(tmp_path / "c") == history(tmp_path / "a")
    metrics = json.loads((tmp_path / "a" / "metrics.json").read_text())
    memory = tmp_path / "memory"              # the same options on the table in memory
    assert main([a for a in args if a not in ("--stream", *CHUNK)] + general +
                ["--epochs", "4", "--out", str(memory)]) == 0
    in_memory = json.loads((memory / "metrics.json").read_text())
    assert {k: v for k, v in json.loads((memory / "model.json").read_text())["options"].items()
            if k != "engine"} == {k: v for k, v in json.loads(
                (tmp_path / "a" / "model.json").read_text())["options"].items() if k != "engine"}
    assert metrics["test"]["accuracy"] > in_memory["test"]["accuracy"] - 0.04
    assert metrics["data"]["stream"]["chunks"] > 5
    data_csv.write_text(data_csv.read_text() + "60.0,0.5,red,2021-03-01,yes\n")
    assert main(["train", "--resume", str(tmp_path / "c"), "--epochs", "6", "--quiet"]) == 2


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_an_epoch_of_many_small_buffers_completes_on_both_engines(tmp_path, data_csv, engine,
                                                                   monkeypatch):
    monkeypatch.setattr("mlpkit.data.tables.stream_rows.BUFFER_BYTES", 4096)   # ~4 batches a buffer
    run = tmp_path / "run"
    assert main(["train", "--csv", str(data_csv), "--target", "y", "--stream", *CHUNK,
                 "--engine", engine, "--epochs", "2", "--quiet", "--out", str(run)]) == 0
    assert len(history(run)) == 2 and (run / "metrics.json").is_file()


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_streamed_and_in_memory_doors_predict_the_same(tmp_path, data_csv, engine):
    run = tmp_path / "run"
    assert main(["train", "--csv", str(data_csv), "--target", "y", "--stream", *CHUNK,
                 "--engine", engine, "--epochs", "3", "--quiet", "--out", str(run)]) == 0
    parquet = tmp_path / "data.parquet"
    assert main(["convert", str(data_csv), str(parquet)]) == 0
    outputs = {}
    for name, source, stream in (("memory", data_csv, []), ("csv", data_csv, ["--stream"]),
                                 ("parquet", parquet, ["--stream"])):
        outputs[name] = tmp_path / f"{name}.csv"
        assert main(["predict", str(run), str(source), "-o", str(outputs[name]), *stream]) == 0
    memory = pd.read_csv(outputs["memory"])
    for name in ("csv", "parquet"):
        pd.testing.assert_frame_equal(pd.read_csv(outputs[name]), memory)
    from mlpkit.runs.use import evaluate

    in_memory = evaluate(run, "csv", {"path": str(data_csv), "target": "y"})
    streamed = evaluate(run, "csv", {"path": str(parquet), "target": "y", "stream": True,
                                     "chunk_bytes": 5000})
    assert streamed["confusion_matrix"] == in_memory["confusion_matrix"]
    for key in ("accuracy", "loss", "f1_macro", "n_samples"):
        assert streamed[key] == pytest.approx(in_memory[key]), key


def test_streamed_regression_learns_in_the_targets_own_units(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 3))
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["price"] = 20_000 + 5_000 * X[:, 0] - 3_000 * X[:, 1] + rng.normal(0, 500, 4000)
    frame.to_parquet(tmp_path / "prices.parquet", row_group_size=500)
    run = tmp_path / "run"
    assert main(["train", "--csv", str(tmp_path / "prices.parquet"), "--target", "price",
                 "--stream", "--epochs", "30", "--quiet", "--out", str(run)]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test"]["r2"] > 0.9


def test_convert_keeps_the_values_and_refuses_text_in_a_numeric_column_by_line(tmp_path):
    source, out = tmp_path / "data.csv", tmp_path / "data.parquet"
    frame = table(2000)
    frame.to_csv(source, index=False)
    convert(source, out, chunk_bytes=8000)
    back = pd.read_parquet(out)
    np.testing.assert_allclose(back["x"], frame["x"])
    assert back["color"].tolist() == frame["color"].tolist()
    lines = source.read_text().splitlines(keepends=True)
    lines[1500] = "oops" + lines[1500][lines[1500].index(","):]
    source.write_text("".join(lines))
    with pytest.raises(InvalidInputError, match=r"holds 'oops' \(line 1501\)"):
        convert(source, tmp_path / "other.parquet", chunk_bytes=8000)
    assert not (tmp_path / "other.parquet").exists()
