"""mlpkit: feedforward neural networks, from first principles to GPU.

Importing mlpkit imports neither torch nor matplotlib; the modules that need them import them.
"""

from mlpkit._version import __version__
from mlpkit.errors import (
    DataWarning,
    InvalidInputError,
    InvalidParameterError,
    MlpkitError,
    NewGapsWarning,
    NotFittedError,
    UnseenCategoryWarning,
)

__all__ = ["DataWarning", "InvalidInputError", "InvalidParameterError", "MLPClassifier",
           "MLPRegressor", "MlpkitError", "NewGapsWarning", "NotFittedError",
           "TabularClassifier", "TabularRegressor", "UnseenCategoryWarning", "__version__",
           "load"]

_LAZY = {"MLPClassifier", "MLPRegressor", "TabularClassifier", "TabularRegressor", "load"}


def __getattr__(name: str):
    """The estimators import scikit-learn (~1 s): only when first asked for (PEP 562)."""
    if name in _LAZY:
        from mlpkit import estimators

        return getattr(estimators, name)
    raise AttributeError(f"module 'mlpkit' has no attribute {name!r}")
