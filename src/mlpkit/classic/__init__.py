"""The teaching path: the single neurons the walk-throughs start from (Perceptron, Adaline)
and the PyTorch refactoring path (``mlpkit.classic.progression``, which imports torch).

Each single neuron's learning rule is its own loop, by design: they are the history the MLP
grew out of, written to be read beside the walk-throughs.
"""

from mlpkit.classic.linear_models import AdalineGD, AdalineSGD, Perceptron

__all__ = ["AdalineGD", "AdalineSGD", "Perceptron"]
