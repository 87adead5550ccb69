"""Save a model trained by the torch engine, reload it, and predict with the NumPy engine:
the same weights file, the same probabilities; and through the Python door, the same again.

    python examples/save_reload.py
"""

import argparse
import tempfile

import numpy as np

import mlpkit
from mlpkit.config import RunConfig, TrainConfig
from mlpkit.data import load_dataset
from mlpkit.io.model_files import n_parameters
from mlpkit.model import TrainedModel
from mlpkit.runs.train import train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run = RunConfig(dataset="moons", hidden=(16, 16), engine="torch",
                        train=TrainConfig(epochs=args.epochs, lr=0.01))
        train(run, out=f"{folder}/run", progress=False)
        model = TrainedModel.load(f"{folder}/run")      # model.safetensors + model.json
        X = load_dataset("moons").X_test
        torch_probs = model.predict_output(X, engine="torch")
        numpy_probs = model.predict_output(X, engine="numpy")
        print(f"saved by the {model.engine} engine; {n_parameters(model.spec)} parameters")
        print(f"max |p_torch - p_numpy| = {np.abs(torch_probs - numpy_probs).max():.2e}")
        estimator = mlpkit.load(f"{folder}/run")         # the scikit-learn door, same model
        print(f"mlpkit.load(run).predict_proba == the run's: "
              f"{np.array_equal(estimator.predict_proba(X), torch_probs.astype(np.float64))}")


if __name__ == "__main__":
    main()
