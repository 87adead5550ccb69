"""The CPU fast paths compute the same numbers as the plain NumPy they replace."""

import numpy as np
import pytest

from mlpkit.config import MLPSpec, TrainConfig
from mlpkit.data.batching import ALL_ROWS, epoch_batches, minibatch_indices
from mlpkit.engines import make_stepper
from mlpkit.numpy_engine.layers import Parameter
from mlpkit.numpy_engine.losses import row_argmax, row_max
from mlpkit.numpy_engine.optim import SGD


@pytest.mark.parametrize("shape", [(800, 4), (128, 10), (7, 1), (3, 300)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_max_and_argmax_equal_numpys_including_ties(shape, dtype):
    z = np.random.default_rng(0).integers(-3, 3, size=shape).astype(dtype)   # many ties
    np.testing.assert_array_equal(row_max(z), z.max(axis=1))
    np.testing.assert_array_equal(row_argmax(z), z.argmax(axis=1))


def test_a_full_batch_is_every_row_in_place_and_draws_nothing():
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    assert epoch_batches(10, None, rng) == [ALL_ROWS]
    assert epoch_batches(10, 10, rng) == [ALL_ROWS]
    assert rng.bit_generator.state == before
    batches = epoch_batches(10, 4, np.random.default_rng(1))
    expected = list(minibatch_indices(10, 4, np.random.default_rng(1)))
    assert all(np.array_equal(a, b) for a, b in zip(batches, expected))


def test_the_weight_decay_buffer_gives_the_plain_formulas_numbers():
    rng = np.random.default_rng(0)
    p = Parameter(rng.normal(size=(5, 3)).astype(np.float32))
    plain = p.data.copy()
    optimizer = SGD([p], lr=0.1, weight_decay=0.01)
    for _ in range(5):
        grad = rng.normal(size=(5, 3)).astype(np.float32)
        p.grad = grad.copy()
        optimizer.step()
        plain -= (grad + 0.01 * plain) * np.float32(0.1)
        np.testing.assert_array_equal(p.data, plain)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_a_full_batch_in_place_trains_as_the_same_batch_permuted(engine):
    if engine == "torch":
        pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    config = TrainConfig(optimizer="sgd", lr=0.5, momentum=0.9, batch_size=None)
    steppers = [make_stepper(engine, MLPSpec(3, 2, (8,), "tanh"), "classification", config,
                             "cpu") for _ in range(2)]
    for stepper in steppers:
        stepper.bind(X, y, None)
    permutation = rng.permutation(300)
    for _ in range(20):
        in_place = steppers[0].train_epoch([ALL_ROWS], lambda: False)
        permuted = steppers[1].train_epoch([permutation], lambda: False)
        assert in_place.loss == pytest.approx(permuted.loss, rel=1e-5)
        assert in_place.accuracy == permuted.accuracy and in_place.completed
    for key, value in steppers[0].state_dict().items():
        np.testing.assert_allclose(value, steppers[1].state_dict()[key], rtol=1e-4, atol=1e-5)
