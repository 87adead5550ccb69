"""The from-scratch NumPy engine: every formula written by hand, checked against autograd.

Nothing here imports torch or matplotlib. The single neurons (Perceptron, Adaline) live in
``mlpkit.classic`` with the rest of the teaching path; they are NumPy code too, so they can be
imported from here as well.
"""

from mlpkit.classic.linear_models import AdalineGD, AdalineSGD, Perceptron
from mlpkit.numpy_engine.activations import Identity, ReLU, Sigmoid, Softmax, Tanh
from mlpkit.numpy_engine.gradcheck import gradcheck, numerical_gradient
from mlpkit.numpy_engine.layers import Dropout, Linear
from mlpkit.numpy_engine.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from mlpkit.numpy_engine.module import Module, Parameter
from mlpkit.numpy_engine.network import Sequential
from mlpkit.numpy_engine.optim import SGD, Adam, AdamW, RMSprop

__all__ = [
    "Adam", "AdamW", "AdalineGD", "AdalineSGD", "BCELoss", "BCEWithLogitsLoss",
    "CrossEntropyLoss", "Dropout", "Identity", "Linear", "MSELoss", "Module", "Parameter",
    "Perceptron",
    "RMSprop", "ReLU", "SGD", "Sequential", "Sigmoid", "Softmax", "Tanh", "gradcheck",
    "numerical_gradient",
]
