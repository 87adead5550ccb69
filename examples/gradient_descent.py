"""Gradients and gradient descent on f(x) = x^2: the tangent at a point, and the steps
x <- x - lr * f'(x) for a small, a good and a too-large learning rate.

    python examples/gradient_descent.py [--out runs/examples]
"""

import argparse
from pathlib import Path

from mlpkit.viz.plots import plot_gradient_descent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/examples")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for lr in (0.1, 0.45, 1.05):
        path = plot_gradient_descent(lambda x: x ** 2, lambda x: 2 * x, x0=2.0, lr=lr, steps=8,
                                     path=out / f"gradient_descent_lr{lr}.png")
        trend = "converges" if abs(path[-1]) < abs(path[0]) else "diverges"
        print(f"lr {lr}: x = " + ", ".join(f"{v:.3f}" for v in path[:5]) + f", ... {trend}")


if __name__ == "__main__":
    main()
