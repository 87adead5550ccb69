"""mlpkit: feedforward neural networks, from first principles to GPU.

Importing mlpkit imports neither torch nor matplotlib; the modules that need them import them.
"""

__version__ = "0.1.0"

from mlpkit.errors import InvalidInputError, InvalidParameterError, MlpkitError, NotFittedError

__all__ = ["InvalidInputError", "InvalidParameterError", "MlpkitError", "NotFittedError",
           "__version__"]
