"""What a task trains against: the loss it trains with, the loss the network's outputs are
compared with (each engine maps the name to its own), and how outputs become predictions."""

from __future__ import annotations

from mlpkit.errors import InvalidParameterError

REGRESSION_LOSSES = ("mse", "squared_error", "poisson")
LINKS = ("identity", "log")       # prediction = output, or exp(output) (the Poisson loss's)
AVERAGED = ("identity", "exp", "softmax", "sigmoid")  # an ensemble averages these of its members


def averaged_for(task: str, link: str) -> str:
    """What an ensemble averages over its members: each member's prediction (class or label
    probabilities, the Poisson mean, the value)."""
    return {"classification": "softmax", "multilabel": "sigmoid"}.get(
        task, "exp" if link == "log" else "identity")


def loss_for(task: str, loss: str | None) -> str:
    """The loss a task trains with: cross_entropy or mse (softmax vs one-hot) to classify;
    mse, squared_error (half the MSE, scikit-learn's) or poisson for regression."""
    chosen = loss or ("cross_entropy" if task == "classification" else "mse")
    if task == "regression" and chosen not in REGRESSION_LOSSES:
        raise InvalidParameterError(f"A regression target trains with loss 'mse', "
                                    f"'squared_error' or 'poisson', not {chosen!r}.")
    if task != "regression" and chosen in ("squared_error", "poisson"):
        raise InvalidParameterError(f"loss {chosen!r} is for a regression target; a "
                                    "classifier trains with 'cross_entropy' or 'mse'.")
    return chosen


def link_for(task: str, loss: str | None) -> str:
    """How a regression network's outputs become predictions: exp under the Poisson loss."""
    return "log" if task == "regression" and loss_for(task, loss) == "poisson" else "identity"


def criterion_for(task: str, loss: str | None) -> str:
    """What the network's outputs are trained against, one name that each engine maps to its
    own loss: cross_entropy (logits), softmax_mse (softmax vs one-hot), multilabel_log_loss
    (a sigmoid per label, summed over labels as scikit-learn's log loss), mse, squared_error
    (half the MSE) or poisson (on log-link outputs)."""
    chosen = loss_for(task, loss)
    if task == "multilabel":
        return "multilabel_log_loss"
    return "softmax_mse" if task == "classification" and chosen == "mse" else chosen
