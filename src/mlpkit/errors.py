"""The exceptions a user of mlpkit sees.

Every error raised at a public boundary is an ``MlpkitError`` with a one-line message that names
the problem and, where there is one, the fix. The command line turns them into exit code 2
without a traceback.
"""

from __future__ import annotations


class MlpkitError(ValueError):
    """Base class of mlpkit's own errors (a ValueError, so generic handlers still catch it)."""


class InvalidInputError(MlpkitError):
    """Data that cannot be used as given: wrong shape, non-finite values, unknown labels."""


class InvalidParameterError(MlpkitError):
    """A hyper-parameter outside its valid range or an unknown name."""


class NotFittedError(MlpkitError, AttributeError):
    """A model used before ``fit``; also an AttributeError, as in scikit-learn."""


class DataWarning(UserWarning):
    """Data a model can still use, but not as it was trained: e.g. a category never seen in
    training (encoded as all zeros). The command line prints it as one line on stderr."""


class NewGapsWarning(DataWarning):
    """Prediction rows with a missing value in a column that had none in training: filled with
    the training's value. Make it an error with ``warnings.simplefilter("error",
    NewGapsWarning)`` (the command line's ``--strict``)."""


class UnseenCategoryWarning(DataWarning):
    """A category value that training never had: encoded as all zeros."""
