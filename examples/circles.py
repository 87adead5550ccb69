"""make_circles with a 2-10-1 network: kaiming-uniform init, ReLU hidden layer, a sigmoid
output with binary cross-entropy (fused: BCEWithLogitsLoss), SGD lr 0.1, batch 64, 100
epochs; 67/33 split (a plain PyTorch run of this recipe gives 98 %).

    python examples/circles.py [--epochs 100]
"""

import argparse

import numpy as np

from mlpkit.data import load_dataset, minibatch_indices
from mlpkit.numpy_engine import SGD, BCEWithLogitsLoss, Linear, ReLU, Sequential


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()
    data = load_dataset("circles", n_samples=10000, noise=0.05, test_size=0.33, random_state=26)
    rng = np.random.default_rng(0)
    model = Sequential(Linear(2, 10, init="kaiming_uniform", rng=rng), ReLU(),
                       Linear(10, 1, init="kaiming_uniform", rng=rng))
    loss_fn, optimizer = BCEWithLogitsLoss(), SGD(model.parameters(), lr=0.1)
    y = data.y_train.astype(np.float32)[:, None]
    for epoch in range(1, args.epochs + 1):
        losses = []
        for batch in minibatch_indices(len(y), 64, rng):
            optimizer.zero_grad()
            losses.append(loss_fn(model(data.X_train[batch]), y[batch]))
            model.backward(loss_fn.backward())
            optimizer.step()
        if epoch == 1 or epoch % 20 == 0:
            print(f"epoch {epoch:3d}  loss {np.mean(losses):.4f}")
    predicted = (model(data.X_test)[:, 0] > 0).astype(int)      # sigmoid(z) > 0.5  <=>  z > 0
    print(f"test accuracy: {np.mean(predicted == data.y_test):.1%}")


if __name__ == "__main__":
    main()
