"""Synthetic and bundled data sets: shapes, dtypes, ranges, seeds, stratification."""

import numpy as np
import pytest
from sklearn.datasets import load_wine

from mlpkit.data import ENTRIES, describe_datasets, load_dataset
from mlpkit.errors import InvalidInputError, InvalidParameterError

EXPECTED = {  # name: (n_train, n_test, n_features, n_classes)
    "blobs": (800, 200, 2, 4), "circles": (8000, 2000, 2, 2), "moons": (800, 200, 2, 2),
    "xor": (800, 200, 2, 2), "spirals": (800, 200, 2, 3), "digits": (1437, 360, 64, 10),
    "iris": (120, 30, 4, 3), "wine": (142, 36, 13, 3), "breast_cancer": (455, 114, 30, 2),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_classification_sets(name):
    data = load_dataset(name)
    n_train, n_test, n_features, n_classes = EXPECTED[name]
    assert data.X_train.shape == (n_train, n_features)
    assert data.X_test.shape == (n_test, n_features)
    assert data.X_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert data.task == "classification" and data.n_classes == n_classes
    assert len(data.feature_names) == n_features
    assert set(np.unique(data.y_train)) == set(range(n_classes))
    assert np.isfinite(data.X_train).all()
    # stratified: each class's share of the test set is within one sample of its share overall
    y_all = np.concatenate([data.y_train, data.y_test])
    expected_test_counts = np.bincount(y_all) * n_test / len(y_all)
    assert np.all(np.abs(np.bincount(data.y_test, minlength=n_classes) - expected_test_counts) <= 1)


def test_regression_set():
    data = load_dataset("diabetes")
    assert data.task == "regression" and data.class_names == []
    assert data.X_train.shape == (353, 10) and data.y_train.dtype == np.float32
    assert 25 <= data.y_train.min() and data.y_train.max() <= 346


def test_bundled_values_are_scikit_learns():
    data = load_dataset("wine")
    reference = load_wine()
    assert data.class_names == list(reference.target_names)
    rows = {tuple(np.round(r, 4)) for r in reference.data}
    assert all(tuple(np.round(r.astype(np.float64), 4)) in rows for r in data.X_test[:10])


def test_walkthrough_defaults():
    blobs = load_dataset("blobs")
    assert len(blobs.X_train) + len(blobs.X_test) == 1000 and blobs.n_classes == 4
    circles = load_dataset("circles")
    assert len(circles.X_train) + len(circles.X_test) == 10000
    radii = np.linalg.norm(np.concatenate([circles.X_train, circles.X_test]), axis=1)
    assert 0.7 < radii.mean() < 1.0      # circles of radius 1 and 0.8, noise 0.05


@pytest.mark.parametrize("name", ["blobs", "moons", "xor", "spirals", "iris"])
def test_seed_reproduces_and_another_seed_differs(name):
    a, b = load_dataset(name), load_dataset(name)
    c = load_dataset(name, random_state=1)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.X_train, c.X_train)


def test_options_reach_the_generator():
    data = load_dataset("spirals", n_samples=300, n_classes=5, test_size=0.5)
    assert data.n_classes == 5 and len(data.X_test) == 150
    blobs = load_dataset("blobs", n_features=3, centers=2)
    assert blobs.n_features == 3 and blobs.n_classes == 2


def test_xor_is_xor():
    data = load_dataset("xor", noise=0.0)
    predicted = (data.X_train[:, 0] * data.X_train[:, 1] > 0).astype(int)
    assert (predicted == data.y_train).all()


def test_listing_matches_what_loads():
    rows = {row["name"]: row for row in describe_datasets()}
    assert set(rows) == {e.name for e in ENTRIES.values()}
    for name, (n_train, _, n_features, n_classes) in EXPECTED.items():
        assert rows[name]["train"] == f"{n_train} x {n_features}"
        assert rows[name]["classes"] == str(n_classes)


@pytest.mark.parametrize("call, message", [
    (lambda: load_dataset("blob"),
     "Unknown dataset 'blob'. Did you mean 'blobs'? Known: blobs, breast_cancer, circles, csv, "
     "diabetes, digits, fashion_mnist, iris, mnist, moons, spirals, surface, wine, xor."),
    (lambda: load_dataset("blobs", n_sample=10),
     "Unknown option 'n_sample' for dataset 'blobs'. Did you mean 'n_samples'? Options: "
     "test_size, n_samples, centers, n_features, cluster_std, random_state."),
    (lambda: load_dataset("moons", n_samples=-5), "n_samples must be a positive integer, got -5."),
    (lambda: load_dataset("moons", test_size=1.5),
     "test_size must lie strictly between 0 and 1, got 1.5."),
    (lambda: load_dataset("blobs", n_samples=8, centers=4),
     "8 rows split with test_size=0.2 leave fewer rows than the 4 classes in one part; add rows "
     "or change test_size."),
    (lambda: load_dataset("csv"), "The csv dataset needs path='file.csv' (--csv FILE)."),
])
def test_bad_options(call, message):
    with pytest.raises((InvalidParameterError, InvalidInputError)) as info:
        call()
    assert str(info.value) == message
