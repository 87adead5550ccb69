"""Importing mlpkit or its NumPy engine must not pay for torch or matplotlib."""

import subprocess
import sys

import mlpkit


def test_numpy_engine_import_pulls_neither_torch_nor_matplotlib():
    code = (
        "import sys\n"
        "import mlpkit\n"
        "from mlpkit.numpy_engine import (Perceptron, AdalineGD, AdalineSGD, Sequential, Linear, "
        "Sigmoid, ReLU, Tanh, Softmax, Identity, MSELoss, CrossEntropyLoss, BCEWithLogitsLoss, "
        "SGD, RMSprop, Adam, AdamW, gradcheck)\n"
        "heavy = sorted(m for m in ('torch', 'matplotlib') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_version_on_the_command_line():
    out = subprocess.run([sys.executable, "-m", "mlpkit", "--version"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == f"mlpkit {mlpkit.__version__}"
