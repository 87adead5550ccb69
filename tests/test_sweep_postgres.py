"""The sweep on a real PostgreSQL server (a throwaway one, ``tests/postgres.py``): two worker
processes on one study, one killed mid-trial; its trial is failed by heartbeat and its options
tried again; a third command continues the study; best/ is the same whoever builds it."""

import subprocess
import sys
import time

import optuna
import pytest
from safetensors.numpy import load_file

from mlpkit.config import RunConfig
from mlpkit.runs.folder import read_config
from tests import postgres

pytestmark = pytest.mark.skipif(postgres.unavailable() is not None,
                                reason=postgres.unavailable() or "")

# trials of a few seconds, so that one is running when a worker is killed
SLOW = ["--dataset", "iris", "--quiet", "--epochs", "400", "--stale-after", "8"]


@pytest.fixture(scope="module")
def url():
    with postgres.server() as address:
        yield address


def sweep(url: str, out, trials: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "mlpkit", "sweep", *SLOW, "--trials",
                             str(trials), "--storage", url, "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def trials(url: str) -> list:
    try:
        return optuna.load_study(study_name="mlpkit-sweep", storage=url).get_trials()
    except KeyError:                     # not made yet
        return []


def _drawn(trial) -> bool:
    """Every parameter of the trial drawn: the widths come last, one per layer."""
    depth = trial.params.get("depth")
    return depth is not None and all(f"width_{i}" in trial.params for i in range(1, depth + 1))


def test_two_workers_on_postgresql_survive_a_killed_one_and_agree_on_best(url, tmp_path):
    first, second = sweep(url, tmp_path / "a", 8), sweep(url, tmp_path / "b", 8)
    deadline = time.time() + 180
    while sum(t.state.name == "RUNNING" and _drawn(t) for t in trials(url)) < 2:  # both
        # mid-trial, every parameter drawn (a kill while drawing leaves a partial trial)
        assert time.time() < deadline and first.poll() is None and second.poll() is None
        time.sleep(0.2)
    second.kill()
    second.communicate()
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err

    states = [t.state.name for t in trials(url)]        # (the stale one: failed, or not yet)
    assert states.count("FAIL") <= 1
    # a third command, later than the stale time, continues the study to 10
    time.sleep(8)
    third = sweep(url, tmp_path / "c", 10)
    out, err = third.communicate(timeout=600)
    assert third.returncode == 0, err
    study = trials(url)
    failed = [t for t in study if t.state.name == "FAIL"]
    assert len(failed) == 1                                # the killed worker's, by heartbeat
    retried = [t for t in study if t.system_attrs.get("failed_trial") == failed[0].number]
    assert len(retried) == 1 and retried[0].params == failed[0].params
    assert retried[0].state.name in ("COMPLETE", "PRUNED")
    assert sum(t.state.name in ("COMPLETE", "PRUNED") for t in study) >= 10
    # no two workers drew the same options (retries repeat theirs; the defaults may repeat)
    drawn = [t for t in study
             if "fixed_params" not in t.system_attrs and "failed_trial" not in t.system_attrs]
    assert len({tuple(sorted(t.params.items())) for t in drawn}) == len(drawn)
    assert len({t.number for t in study}) == len(study)

    # best/ is the same network whichever worker builds it
    for name in ("d", "e"):
        done = sweep(url, tmp_path / name, 10)
        assert done.communicate(timeout=600) and done.returncode == 0
    best = [tmp_path / name / "best" for name in ("c", "d", "e")]
    configs = [RunConfig.from_toml_dict(read_config(b)) for b in best]
    assert configs[0] == configs[1] == configs[2]
    weights = [load_file(b / "model.safetensors") for b in best]
    for key in weights[0]:
        assert (weights[0][key] == weights[1][key]).all()
        assert (weights[0][key] == weights[2][key]).all()
