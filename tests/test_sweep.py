"""mlpkit sweep: the space, honest selection, pruning, reproducibility, continuing a study,
parallel and shared-storage workers, Ctrl-C, and what it writes."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import optuna
import pytest

from mlpkit.cli import main
from mlpkit.config import RunConfig
from mlpkit.errors import InvalidInputError
from mlpkit.runs.folder import read_config
from mlpkit.sweep.results import finished
from mlpkit.sweep.space import DEFAULT_SPACE_TOML, SearchSpace
from mlpkit.sweep.trial import PruningReport, run_trial

SMALL = ["--dataset", "iris", "--quiet", "--epochs", "30"]     # quick trials


def rows(folder: Path) -> list[dict]:
    with open(folder / "trials.csv", newline="") as f:
        return list(csv.DictReader(f))


def without_seconds(table: list[dict]) -> list[dict]:
    return sorted(({k: v for k, v in r.items() if k != "seconds"} for r in table),
                  key=lambda r: int(r["trial"]))


# ---- the space
def test_default_space_draws_valid_runs_within_its_bounds():
    space = SearchSpace.default()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    drawn = []
    for _ in range(60):
        trial = study.ask()
        values = space.suggest(trial, n_train_rows=100)
        run = RunConfig().with_options(values)          # every draw is a valid config
        drawn.append(values)
        assert 1 <= len(run.hidden) <= 4 and all(16 <= w <= 1024 for w in run.hidden)
        assert 1e-4 <= run.train.lr <= 0.1 and 0 <= run.dropout <= 0.5
        assert run.train.batch_size in (32, 64)             # 128 and 256 exceed 100 rows
        assert ("momentum" in values) == (values["optimizer"] in ("sgd", "rmsprop"))
        assert run.train.schedule in (None, "plateau", "cosine")
        study.tell(trial, 0.0)
    assert {len(v["hidden"]) for v in drawn} == {1, 2, 3, 4}
    assert {v["activation"] for v in drawn} == {"relu", "tanh"}


def test_space_file_round_trips_and_fixed_options_leave_it():
    space = SearchSpace.from_toml(DEFAULT_SPACE_TOML, "the default")
    again = SearchSpace.from_tables(space.to_dict(), "the copy")
    assert again.to_dict() == space.to_dict()
    assert "lr" not in space.without({"lr"}).parameters
    assert not {"depth", "width"} & set(space.without({"hidden"}).parameters)


def test_the_starting_point_is_the_base_run_inside_the_space():
    base = RunConfig().with_options({"hidden": (64, 32), "optimizer": "sgd", "momentum": 0.9})
    start = SearchSpace.default().starting_point(base, n_train_rows=1000)
    assert start == {"depth": 2, "width_1": 64, "width_2": 32, "batch_size": 32,
                     "schedule": "constant", "activation": "relu", "optimizer": "sgd",
                     "momentum": 0.9, "lr": 1e-3, "dropout": 0.0, "weight_decay": 1e-4}
    narrow = SearchSpace.from_toml("[lr]\nlow = 0.01\nhigh = 0.1\n[depth]\nlow = 1\nhigh = 1",
                                   "narrow")
    assert narrow.starting_point(RunConfig(), 1000) == {"depth": 1}     # lr 1e-3 lies outside


@pytest.mark.parametrize("text, words", [
    ("[lr\nlow = 1", "is not valid TOML"),
    ("[learning_rate_init]\nlow = 0.1\nhigh = 1.0", "Unknown parameter 'learning_rate_init'"),
    ("[hidden]\nchoices = [[8]]", "search depth and width instead"),
    ("[lr]\nlow = 0.1\nhigh = 0.001", "is an empty range"),
    ("[activation]\nchoices = []", "choices is empty"),
    ("[activation]\nchoices = ['relu', 'swish']", "Unknown activation 'swish'"),
    ("[dropout]\nlow = 0.0\nhigh = 1.5", "dropout must lie in [0, 1)"),
    ("[weight_decay]\nlow = 0.0\nhigh = 0.1\nlog = true", "log scale needs low > 0"),
    ("[depth]\nlow = 1.5\nhigh = 3", "depth must be a positive integer"),
    ("[lr]\nlow = 0.001", "needs both low and high"),
    ("[lr]\nlow = 0.001\nhigh = 0.1\nstep = 2", "unknown key(s) ['step']"),
    ("lr = 0.1", "must be a table"),
    ("", "names no parameter"),
])
def test_bad_space_files_are_refused_in_one_line(text, words):
    with pytest.raises(InvalidInputError) as caught:
        SearchSpace.from_toml(text, "'space.toml'")
    message = str(caught.value)
    assert words in message and "\n" not in message and message.startswith("Space file")


# ---- pruning and the deadline
class FakeTrial:
    def __init__(self, prune_at: int | None) -> None:
        self.prune_at, self.reported = prune_at, []

    def report(self, value, step):
        self.reported.append((step, value))

    def should_prune(self):
        return self.prune_at is not None and self.reported[-1][0] >= self.prune_at


def _fit_with(callback, epochs=12):
    from mlpkit.runs.train import start

    run = RunConfig(dataset="iris").with_options({"epochs": epochs})
    _, session, split = start(run)
    return session.fit(split, [callback])


def test_pruning_report_feeds_validation_loss_and_stops_when_the_pruner_says():
    trial = FakeTrial(prune_at=3)
    state = _fit_with(PruningReport(trial, deadline=None))
    assert len(state.history) == 3
    assert [step for step, _ in trial.reported] == [1, 2, 3]
    assert [v for _, v in trial.reported] == pytest.approx(state.history.column("val_loss"))
    assert state.stop_reason.startswith("pruned at epoch 3")


def test_deadline_stops_a_running_trial_after_its_epoch():
    state = _fit_with(PruningReport(FakeTrial(None), deadline=time.time() - 1))
    assert len(state.history) == 1 and "time limit" in state.stop_reason


def test_a_pruned_trial_raises_trial_pruned_and_keeps_its_files(tmp_path, monkeypatch):
    from mlpkit.data import load_dataset

    study = optuna.create_study()
    trial = study.ask()
    monkeypatch.setattr(trial, "should_prune", lambda: True)
    base = RunConfig(dataset="iris")
    with pytest.raises(optuna.TrialPruned):
        run_trial(trial, base, SearchSpace.default(), load_dataset("iris"), tmp_path, None)
    folder = tmp_path / "trials" / "0000"
    assert len(list(csv.DictReader(open(folder / "history.csv")))) == 1
    assert "test" not in json.loads((folder / "metrics.json").read_text())


# ---- end to end
@pytest.fixture(scope="module")
def iris_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "iris"
    assert main(["sweep", *SMALL, "--trials", "5", "--out", str(out)]) == 0
    return out


def test_sweep_writes_best_run_trials_and_a_self_contained_page(iris_sweep):
    best = iris_sweep / "best"
    for name in ("config.toml", "model.safetensors", "model.json", "metrics.json",
                 "report.html", "history.csv"):
        assert (best / name).is_file(), name
    table = rows(iris_sweep)
    assert len(table) == 5 and table[0]["state"] == "complete"
    page = (iris_sweep / "sweep.html").read_text()
    assert "Trials, best first" in page and "data:image/png;base64," in page
    assert "Score against each parameter" in page and "Best trial" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    widths = [r[k] for r in table for k in r if k.startswith("width_") and r[k]]
    assert widths and all(w.isdigit() for w in widths)       # whole numbers, as drawn
    for number in (r["trial"] for r in table):          # every trial's own folder
        folder = iris_sweep / "trials" / f"{int(number):04d}"
        assert "test" not in json.loads((folder / "metrics.json").read_text())


def test_the_first_trial_is_what_mlpkit_train_does(iris_sweep, tmp_path):
    assert main(["train", *SMALL, "--out", str(tmp_path / "plain")]) == 0
    plain = json.loads((tmp_path / "plain" / "metrics.json").read_text())
    first = json.loads((iris_sweep / "trials" / "0000" / "metrics.json").read_text())
    assert first["val"]["loss"] == plain["val"]["loss"]
    assert first["run"]["epochs"] == plain["run"]["epochs"]


def test_best_is_the_lowest_validation_error_and_its_config_reruns_it(iris_sweep, tmp_path):
    table = [r for r in rows(iris_sweep) if r["state"] == "complete"]
    key = [(-float(r["val_accuracy"]), float(r["val_loss"]), int(r["trial"])) for r in table]
    assert key == sorted(key)                        # best first: accuracy, then loss
    best_config = RunConfig.from_toml_dict(read_config(iris_sweep / "best"))
    trial_config = RunConfig.from_toml_dict(
        read_config(iris_sweep / "trials" / f"{int(table[0]['trial']):04d}"))
    assert best_config == trial_config
    metrics = json.loads((iris_sweep / "best" / "metrics.json").read_text())
    assert metrics["val"]["accuracy"] == pytest.approx(float(table[0]["val_accuracy"]), abs=0)
    assert main(["train", "--config", str(iris_sweep / "best" / "config.toml"), "--quiet",
                 "--out", str(tmp_path / "again")]) == 0
    again = json.loads((tmp_path / "again" / "metrics.json").read_text())
    assert again["test"]["accuracy"] == metrics["test"]["accuracy"]
    assert again["val"]["loss"] == pytest.approx(metrics["val"]["loss"], rel=1e-12)


def test_selection_never_sees_the_test_rows(tmp_path, monkeypatch):
    """Scramble the test labels: the trials, their scores and the chosen best are the same."""
    from dataclasses import replace

    import mlpkit.data
    import mlpkit.runs.train

    real = mlpkit.data.load_dataset

    def scrambled(name, **options):
        data = real(name, **options)
        return replace(data, y_test=np.random.default_rng(1).permutation(data.y_test)[::-1])

    assert main(["sweep", *SMALL, "--trials", "4", "--out", str(tmp_path / "a")]) == 0
    monkeypatch.setattr(mlpkit.data, "load_dataset", scrambled)        # the trials' data
    monkeypatch.setattr(mlpkit.runs.train, "load_dataset", scrambled)  # best/'s
    assert main(["sweep", *SMALL, "--trials", "4", "--out", str(tmp_path / "b")]) == 0
    assert without_seconds(rows(tmp_path / "a")) == without_seconds(rows(tmp_path / "b"))
    tests = [json.loads((tmp_path / d / "best" / "metrics.json").read_text())["test"]
             for d in ("a", "b")]
    assert tests[0]["accuracy"] != tests[1]["accuracy"]       # the scramble did reach test


def test_same_seed_same_trials_and_a_continued_study_matches_a_straight_one(tmp_path, capsys):
    assert main(["sweep", *SMALL, "--trials", "6", "--out", str(tmp_path / "straight")]) == 0
    assert main(["sweep", *SMALL, "--trials", "3", "--out", str(tmp_path / "parts")]) == 0
    capsys.readouterr()
    assert main(["sweep", *SMALL, "--trials", "6", "--out", str(tmp_path / "parts")]) == 0
    assert "6 trials (3 new)" in capsys.readouterr().out
    assert without_seconds(rows(tmp_path / "straight")) == without_seconds(rows(tmp_path / "parts"))
    assert main(["sweep", *SMALL, "--trials", "6", "--seed", "1", "--out",
                 str(tmp_path / "other")]) == 0
    assert without_seconds(rows(tmp_path / "other")) != without_seconds(rows(tmp_path / "straight"))


def test_a_timed_sweep_finishes_and_the_same_command_continues_it(tmp_path, capsys):
    command = ["sweep", *SMALL, "--timeout", "6", "--out", str(tmp_path / "timed")]
    started = time.perf_counter()
    assert main(command) == 0
    assert time.perf_counter() - started < 6 + 30         # the deadline, then best/ and pages
    first = len(rows(tmp_path / "timed"))
    assert first >= 2 and (tmp_path / "timed" / "best" / "report.html").is_file()
    assert main(command) == 0
    assert len(rows(tmp_path / "timed")) > first
    assert f"({len(rows(tmp_path / 'timed')) - first} new)" in capsys.readouterr().out


def test_a_study_refuses_a_command_with_other_settings(tmp_path, capsys):
    out = str(tmp_path / "s")
    assert main(["sweep", *SMALL, "--trials", "2", "--out", out]) == 0
    before = sorted(p.name for p in (tmp_path / "s").iterdir())
    capsys.readouterr()
    assert main(["sweep", *SMALL, "--trials", "4", "--optimizer", "sgd", "--out", out]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "was made with other settings" in err
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == before


def test_a_folder_of_other_files_is_not_taken(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["sweep", *SMALL, "--trials", "2", "--out", str(tmp_path)]) == 2
    assert "holds other files and no sweep" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_regression_sweeps_score_rmse_and_fixed_options_hold(tmp_path):
    out = tmp_path / "diabetes"
    assert main(["sweep", "--dataset", "diabetes", "--quiet", "--trials", "3", "--optimizer",
                 "adam", "--out", str(out)]) == 0
    table = rows(out)
    assert "val_rmse" in table[0] and "val_r2" in table[0] and "optimizer" not in table[0]
    done = [float(r["val_rmse"]) for r in table if r["state"] == "complete"]
    assert done == sorted(done)
    metrics = json.loads((out / "best" / "metrics.json").read_text())
    assert metrics["val"]["rmse"] == pytest.approx(done[0], rel=1e-12)
    assert "r2" in metrics["test"]
    assert RunConfig.from_toml_dict(read_config(out / "best")).train.optimizer == "adam"


def test_a_table_streamed_from_disk_sweeps_too(tmp_path):
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    frame["target"] = frame["target"].map({0: "a", 1: "b", 2: "c"})
    frame.to_csv(tmp_path / "wine.csv", index=False)
    out = tmp_path / "s"
    assert main(["sweep", "--csv", str(tmp_path / "wine.csv"), "--target", "target", "--stream",
                 "--batch-size", "32", "--trials", "2", "--quiet", "--out", str(out)]) == 0
    assert len(rows(out)) == 2 and (out / "best" / "model.safetensors").is_file()
    assert json.loads((out / "best" / "metrics.json").read_text())["test"]["n_samples"] > 0


# ---- processes: --jobs, --storage, Ctrl-C
def _mlpkit(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "mlpkit", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def _study_trials(url: str) -> list:
    return optuna.load_study(study_name="mlpkit-sweep", storage=url).get_trials()


def test_two_workers_fill_one_study_on_a_shared_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    slower = ["--dataset", "iris", "--quiet", "--epochs", "200"]    # both get trials to do
    workers = [_mlpkit("sweep", *slower, "--trials", "8", "--storage", url, "--out",
                       str(tmp_path / name)) for name in ("a", "b")]
    outputs = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    trials = _study_trials(url)
    assert 8 <= len(trials) <= 9                      # each may start one as the other ends
    assert len({t.number for t in trials}) == len(trials)
    assert all(t.state.name in ("COMPLETE", "PRUNED") for t in trials)
    assert all("trial " in out for out, _ in outputs)      # both did trials
    # no twin draws (two commands starting a fresh study at once may both enqueue the
    # defaults as the first trial: that one may repeat)
    drawn = [t for t in trials if "fixed_params" not in t.system_attrs]
    assert len({tuple(sorted(t.params.items())) for t in drawn}) == len(drawn)
    # each worker's best/ is the study's best when it finished; the last one's is the best
    best = [RunConfig.from_toml_dict(read_config(tmp_path / n / "best")) for n in ("a", "b")]
    study = optuna.load_study(study_name="mlpkit-sweep", storage=url)
    overall = RunConfig.from_toml_dict(finished(study)[0].user_attrs["config"])
    assert overall in best


def test_jobs_run_trials_in_parallel_processes_with_their_share_of_cores(tmp_path):
    out = tmp_path / "jobs"
    assert main(["sweep", *SMALL, "--trials", "4", "--jobs", "2", "--out", str(out)]) == 0
    table = rows(out)
    assert 4 <= len(table) <= 5
    threads = {read_config(out / "trials" / f"{int(r['trial']):04d}")["run"]["threads"]
               for r in table}
    assert threads == {max(1, (os.cpu_count() or 1) // 2)}


def test_ctrl_c_stops_after_the_running_trial_and_the_study_continues(tmp_path):
    out = str(tmp_path / "digits")
    command = ["sweep", "--dataset", "digits", "--quiet", "--trials", "40", "--out", out]
    sweep = _mlpkit(*command)
    first = sweep.stdout.readline()                 # a trial has finished
    assert first.startswith("trial"), first + sweep.stderr.read()
    sweep.send_signal(signal.SIGINT)
    stdout, stderr = sweep.communicate(timeout=300)
    assert sweep.returncode == 130, stderr
    assert "stopping after the running trials" in stderr and "Traceback" not in stderr
    kept = _study_trials(f"sqlite:///{Path(out) / 'study.db'}")
    assert kept and all(t.state.name in ("COMPLETE", "PRUNED") for t in kept)
    assert (Path(out) / "best" / "model.safetensors").is_file()
    again = _mlpkit(*command[:-4], "--trials", str(len(kept) + 2), "--out", out)
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stderr
    assert f"{len(kept) + 2} trials (2 new)" in stdout
