"""The MNIST walk-through: 784-100-10 sigmoid, cross-entropy, SGD lr 0.1, batch 128, 5 epochs,
pixels in [0, 1]; test accuracy after each epoch (the walk-through reports 91.3 %).

    python examples/mnist.py --data-dir ../shared/data/mnist [--engine torch]
"""

import argparse

from mlpkit.config import RunConfig, TrainConfig
from mlpkit.runs.train import train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--engine", default="numpy", choices=["numpy", "torch"])
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    run = RunConfig(dataset="mnist", dataset_options={"data_dir": args.data_dir}, hidden=(100,),
                    activation="sigmoid", scale=False, engine=args.engine,
                    train=TrainConfig(epochs=args.epochs, batch_size=128, optimizer="sgd", lr=0.1,
                                      val_fraction=0.0))
    outcome = train(run, out=args.out, progress=False)
    for record in outcome.state.history:
        print(f"epoch {record['epoch']}  train loss {record['train_loss']:.4f}")
    print(f"test accuracy: {outcome.metrics['test']['accuracy']:.1%}  (run folder "
          f"{outcome.folder})")


if __name__ == "__main__":
    main()
