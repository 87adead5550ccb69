"""The rules that tie options together, one list for every door (``RunConfig`` checks them as
it is built, before any data is read): each says what is wrong with a RunConfig, or None.

The rules that depend on the engine actually chosen live with the engines
(``engines.make_stepper``), and those on the number of processes with DDP
(``torch_engine/distributed.check_launchable``).
"""

from __future__ import annotations

from typing import Any

from mlpkit.options import MOMENTUM_OPTIMIZERS

RunConfig = Any      # (config.RunConfig: imported here it would make a cycle)


def _momentum(run: RunConfig) -> str | None:
    train = run.train
    if train.momentum and train.optimizer not in MOMENTUM_OPTIMIZERS:
        return f"momentum applies to sgd and rmsprop, not {train.optimizer}."
    return None


def _nesterov(run: RunConfig) -> str | None:
    train = run.train
    if train.nesterov and (train.optimizer != "sgd" or not train.momentum):
        return "nesterov needs optimizer 'sgd' and momentum > 0."
    return None


def _lbfgs_schedule(run: RunConfig) -> str | None:
    if run.train.full_batch_solver and run.train.schedule:
        return (f"lbfgs chooses its own step sizes; drop the learning-rate schedule "
                f"{run.train.schedule!r}, or use sgd or adam.")
    if run.train.full_batch_solver and run.train.regularization_schedule:
        return ("lbfgs runs no epochs to schedule over; drop --regularization-schedule, or "
                "use sgd or adam.")
    if run.train.full_batch_solver and run.train.bias_lr_factor != 1.0:
        return ("lbfgs has no learning rate to scale; drop --bias-lr-factor, or use sgd or "
                "adam.")
    return None


def _lbfgs_dropout(run: RunConfig) -> str | None:
    if run.train.full_batch_solver and run.dropout:
        return "lbfgs needs a deterministic loss; drop dropout, or use sgd or adam."
    return None


def per_layer(hidden: tuple[int, ...], activations: tuple[str, ...] | None) -> str | None:
    if activations is not None and len(activations) != len(hidden):
        return (f"activations names {len(activations)} activation(s) for {len(hidden)} hidden "
                "layer(s); give one per layer (--activations), or one for all (--activation).")
    return None


def _activations(run: RunConfig) -> str | None:
    return per_layer(run.hidden, run.activations)


def _robust_stream(run: RunConfig) -> str | None:
    if run.scale and run.scaler == "robust" and run.dataset_options.get("stream"):
        return ("--scaler robust needs the training rows' quantiles, which a streamed table "
                "does not hold; use --scaler standard with --stream, or drop --stream.")
    if run.clip_output and run.dataset_options.get("stream"):
        return ("--clip-output needs the training targets' range, which a streamed table "
                "does not collect; drop --clip-output or --stream.")
    if run.embedding in ("piecewise", "table") and run.dataset_options.get("stream"):
        return (f"--embedding {run.embedding} needs the training rows' quantiles, which a "
                "streamed table does not hold; use --embedding periodic with --stream, or drop "
                "--stream.")
    return None


RULES = (_momentum, _nesterov, _lbfgs_schedule, _lbfgs_dropout, _activations, _robust_stream)
