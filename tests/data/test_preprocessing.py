"""Scaler, split, one-hot and minibatches against independent references."""

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from mlpkit.data import Standardizer, minibatch_indices, one_hot, stratified_split
from mlpkit.errors import InvalidInputError


def test_standardizer_equals_scikit_learn_and_uses_training_statistics(rng):
    X_train = rng.normal(3.0, 2.0, size=(200, 4)).astype(np.float32)
    X_test = rng.normal(-1.0, 5.0, size=(50, 4)).astype(np.float32)
    ours = Standardizer.fit(X_train)
    reference = StandardScaler().fit(X_train)
    np.testing.assert_allclose(ours.transform(X_test), reference.transform(X_test), rtol=1e-5,
                               atol=1e-5)
    # the test set's own statistics played no part
    assert abs(ours.transform(X_test).mean()) > 0.5


def test_standardizer_round_trips_through_json_types_and_keeps_constant_columns():
    X = np.array([[1.0, 5.0], [3.0, 5.0]], dtype=np.float32)
    scaler = Standardizer.from_dict(Standardizer.fit(X).to_dict())
    np.testing.assert_array_equal(scaler.transform(X), [[-1.0, 0.0], [1.0, 0.0]])
    with pytest.raises(InvalidInputError) as info:
        scaler.transform(np.ones((1, 3), np.float32))
    assert str(info.value) == "X has 3 features, but the scaler was fitted with 2."


def test_stratified_split_keeps_proportions_and_is_seeded():
    y = np.array([0] * 90 + [1] * 10)
    X = np.arange(100)[:, None]
    a = stratified_split(X, y, 0.2, random_state=3)
    b = stratified_split(X, y, 0.2, random_state=3)
    assert np.bincount(a[3]).tolist() == [18, 2]
    np.testing.assert_array_equal(a[0], b[0])


def test_stratified_split_needs_two_rows_per_class():
    with pytest.raises(InvalidInputError) as info:
        stratified_split(np.zeros((5, 1)), np.array([0, 0, 0, 0, 1]), 0.4, 0)
    assert str(info.value) == ("Class '1' has only 1 row; a stratified split needs at "
                               "least 2 per class. Add rows or supply a separate test set.")


def test_one_hot():
    np.testing.assert_array_equal(one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(InvalidInputError):
        one_hot(np.array([3]), 3)


def test_minibatches_cover_every_sample_once_and_keep_the_last_partial_batch():
    batches = list(minibatch_indices(10, 4, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    again = list(minibatch_indices(10, 4, np.random.default_rng(0)))
    assert all(np.array_equal(x, y) for x, y in zip(batches, again))


def test_minibatches_reshuffle_each_epoch_full_batch_and_no_shuffle():
    rng = np.random.default_rng(0)
    first, second = (np.concatenate(list(minibatch_indices(50, 10, rng))) for _ in range(2))
    assert not np.array_equal(first, second)
    full = list(minibatch_indices(5, None, rng))
    assert len(full) == 1 and sorted(full[0].tolist()) == [0, 1, 2, 3, 4]
    assert [b.tolist() for b in minibatch_indices(5, 2, None)] == [[0, 1], [2, 3], [4]]


def test_standardizer_in_place_gives_the_same_values_without_a_copy(rng):
    X = rng.normal(2.0, 3.0, size=(50, 3)).astype(np.float32)
    scaler = Standardizer.fit(X)
    expected = scaler.transform(X)
    result = scaler.transform(X, copy=False)
    assert result is X
    np.testing.assert_array_equal(result, expected)
