"""mlpkit progression: six refactorings of one network compute the same loss curve."""

import numpy as np
import pandas as pd
import pytest

from mlpkit.cli import main

pytest.importorskip("torch")


def test_all_stages_agree_to_1e_5_and_learn(tmp_path, capsys):
    out = tmp_path / "prog"
    assert main(["progression", "--dataset", "blobs", "--hidden", "10", "--epochs", "300",
                 "--device", "cpu", "--out", str(out)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[0] == "stage" and len(table) == 8
    curves = pd.read_csv(out / "progression.csv")
    assert list(curves.columns)[1:] == [
        "1 raw tensors + loss by hand", "2 F.cross_entropy", "3 nn.Parameter + fit",
        "4 nn.Linear", "5 torch.optim.SGD", "6 nn.Sequential + fit_v2"]
    losses = curves.iloc[:, 1:].to_numpy()
    assert np.abs(losses - losses[:, :1]).max() < 1e-5          # every stage, every epoch
    assert losses[-1, 0] < 0.5 * losses[0, 0]                     # and it learned
    accuracies = [float(line.split()[-3]) for line in table[1:7]]
    assert len(set(accuracies)) == 1 and accuracies[0] >= 0.9
    assert (out / "progression.png").stat().st_size > 1000


def test_the_stages_would_notice_a_different_computation():
    """The comparison can fail: a stage with a softmax before the loss (the walk-through's
    slip) drifts far from stage 1."""
    import torch
    import torch.nn.functional as F

    from mlpkit.classic.progression import cross_entropy_by_hand, train_raw

    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(60, 2)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, 3, 60))
    init = [(torch.from_numpy(rng.normal(size=(4, 2)).astype(np.float32)), torch.zeros(4)),
            (torch.from_numpy(rng.normal(size=(3, 4)).astype(np.float32)), torch.zeros(3))]
    good, _ = train_raw(x, y, init, 0.5, 50, "sigmoid", cross_entropy_by_hand)
    slip, _ = train_raw(x, y, init, 0.5, 50, "sigmoid",
                        lambda z, t: F.cross_entropy(torch.softmax(z, dim=1), t))
    assert np.max(np.abs(np.array(good) - np.array(slip))) > 0.1
    assert slip[-1] > good[-1]


def test_progression_refuses_a_regression_set(tmp_path, capsys):
    assert main(["progression", "--dataset", "diabetes", "--out", str(tmp_path / "p")]) == 2
    assert capsys.readouterr().err.strip() == (
        "mlpkit: error: progression trains a classifier; 'diabetes' is a regression set.")
