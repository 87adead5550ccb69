"""The figures the classic walk-throughs report, reproduced through mlpkit's own workflow."""

from pathlib import Path

import pytest

from mlpkit.config import RunConfig, TrainConfig
from mlpkit.diagnostics.doctor import diagnose
from mlpkit.runs.train import train

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
needs_mnist = pytest.mark.skipif(not MNIST.is_dir(), reason=f"MNIST files not found at {MNIST}")


def test_blobs_walkthrough_2_10_4_sigmoid_full_batch_learns_with_logits(tmp_path):
    # shared/seeds/000: make_blobs(1000, 4 centres), 2-10-4 sigmoid, SGD lr 0.2, full batch.
    # With the logits going to the loss (no softmax before it) it learns to >= 90 %.
    run = RunConfig(dataset="blobs", hidden=(10,), activation="sigmoid", scale=False,
                    train=TrainConfig(epochs=2000, batch_size=None, optimizer="sgd", lr=0.2,
                                      val_fraction=0.0))
    outcome = train(run, out=tmp_path / "blobs", progress=False)
    history = outcome.state.history
    assert history[-1]["train_loss"] < 0.35 < history[0]["train_loss"]
    assert diagnose(outcome.folder) == []
    assert outcome.metrics["test"]["accuracy"] >= 0.90


@needs_mnist
@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_mnist_walkthrough_784_100_10_sigmoid_sgd_reaches_90_5_percent(tmp_path, engine):
    # shared/seeds/002: 784-100-10 sigmoid, cross-entropy, SGD lr 0.1, batch 128, 5 epochs,
    # pixels in [0, 1] (no standardisation); reported 91.3 % test accuracy.
    run = RunConfig(dataset="mnist", dataset_options={"data_dir": str(MNIST)}, hidden=(100,),
                    activation="sigmoid", scale=False, engine=engine,
                    train=TrainConfig(epochs=5, batch_size=128, optimizer="sgd", lr=0.1,
                                      val_fraction=0.0))
    outcome = train(run, out=tmp_path / engine, progress=False)
    assert outcome.metrics["test"]["accuracy"] >= 0.905
    assert [f.id for f in diagnose(outcome.folder) if f.severity == "warning"] == []


@needs_mnist
def test_good_mnist_recipe_reaches_98_percent(tmp_path):
    # The recipe the README documents (its time is measured in benchmarks/RESULTS.md).
    run = RunConfig(dataset="mnist", dataset_options={"data_dir": str(MNIST)}, hidden=(512, 256),
                    activation="relu", dropout=0.2,
                    train=TrainConfig(epochs=10, batch_size=128, optimizer="adam", lr=1e-3,
                                      schedule="cosine", val_fraction=0.0))
    outcome = train(run, out=tmp_path / "recipe", progress=False)
    assert outcome.metrics["test"]["accuracy"] >= 0.98
    assert [f.id for f in diagnose(outcome.folder) if f.severity == "warning"] == []
