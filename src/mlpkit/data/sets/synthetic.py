"""Seeded toy problems: blobs, circles, moons (scikit-learn's generators), xor, spirals, and
one regression surface.

Defaults follow the classic walk-throughs: blobs 1000 points around 4 centres in 2-D with
random_state 0; circles 10000 points with noise 0.05.
"""

from __future__ import annotations

import numpy as np

from mlpkit.validation import check_non_negative, check_positive


def blobs(n_samples: int = 1000, centers: int = 4, n_features: int = 2, cluster_std: float = 1.0,
          random_state: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters, one class each."""
    from sklearn.datasets import make_blobs

    check_positive(n_samples, "n_samples", integer=True)
    check_positive(centers, "centers", integer=True)
    check_positive(n_features, "n_features", integer=True)
    check_positive(cluster_std, "cluster_std")
    return make_blobs(n_samples=n_samples, centers=centers, n_features=n_features,
                      cluster_std=cluster_std, random_state=random_state)


def circles(n_samples: int = 10000, noise: float = 0.05, factor: float = 0.8,
            random_state: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (class 1) inside a large one (class 0): not linearly separable."""
    from sklearn.datasets import make_circles

    check_positive(n_samples, "n_samples", integer=True)
    check_non_negative(noise, "noise")
    return make_circles(n_samples=n_samples, noise=noise, factor=factor,
                        random_state=random_state)


def moons(n_samples: int = 1000, noise: float = 0.2,
          random_state: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles."""
    from sklearn.datasets import make_moons

    check_positive(n_samples, "n_samples", integer=True)
    check_non_negative(noise, "noise")
    return make_moons(n_samples=n_samples, noise=noise, random_state=random_state)


def xor(n_samples: int = 1000, noise: float = 0.1,
        random_state: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points in [-1, 1]^2, class 1 where x0 * x1 > 0: the problem a single neuron cannot solve."""
    check_positive(n_samples, "n_samples", integer=True)
    check_non_negative(noise, "noise")
    rng = np.random.default_rng(random_state)
    X = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return X + rng.normal(0.0, noise, size=X.shape), y


def spirals(n_samples: int = 1000, n_classes: int = 3, noise: float = 0.2,
            random_state: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one class each; the angle carries Gaussian noise."""
    check_positive(n_samples, "n_samples", integer=True)
    check_positive(n_classes, "n_classes", integer=True)
    check_non_negative(noise, "noise")
    rng = np.random.default_rng(random_state)
    y = np.arange(n_samples) % n_classes
    radius = rng.uniform(0.05, 1.0, size=n_samples)
    angle = (2 * np.pi * y / n_classes + 4.0 * radius
             + rng.normal(0.0, noise, size=n_samples))
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return X, y.astype(np.int64)


def surface(n_samples: int = 1000, noise: float = 0.1,
              random_state: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """A smooth regression surface, sin(pi x0) cos(pi x1 / 2) over [-1, 1]^2, plus noise."""
    check_positive(n_samples, "n_samples", integer=True)
    check_non_negative(noise, "noise")
    rng = np.random.default_rng(random_state)
    X = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    y = np.sin(np.pi * X[:, 0]) * np.cos(np.pi * X[:, 1] / 2)
    return X, y + rng.normal(0.0, noise, size=n_samples)


GENERATORS = {"blobs": blobs, "circles": circles, "moons": moons, "xor": xor,
              "spirals": spirals, "surface": surface}
REGRESSION = ("surface",)      # the generators whose target is a number, not a class
