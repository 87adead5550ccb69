"""The doctor's rules: one per finding, each a function of the ``Run`` that returns a
``Finding`` or None. Thresholds were set by measurement (see ``doctor.py``)."""

from __future__ import annotations

import math
import shlex
from collections.abc import Callable

import numpy as np

from mlpkit.diagnostics.evidence import Finding, Run

DIVERGED_LOSS = 10.0       # a loss ten times the constant guess's: the run blew up
WORSE_THAN_GUESS = 1.5     # ended above 1.5x the constant guess's loss: steps overshoot
LOST_GROUND = 1.5          # ended above 1.5x its own best training loss ...
UNSTEADY = 0.3             # ... while rising in at least 30 % of the epochs
HUGE_UPDATE = 10.0         # weights moved ten times their own size in one epoch
TINY_UPDATE = 1e-3         # no layer ever moved 0.1 % of its size in an epoch
UNLEARNT = 0.5             # ... and the loss is still above half the constant guess's
DEAD_SHARE = 0.5           # half a layer's ReLUs never fire on the probe rows
SATURATED_SHARE = 0.5      # half a layer's sigmoid / tanh outputs within 0.01 of a bound
VANISHED = 1e-3            # first layer's gradient under 1/1000 of the last layer's
EXPLODED = 100.0           # a layer's gradient norm 100x its weight norm
OVERFIT_RISE = 1.2         # validation loss (last 3 epochs) 20 % above its best, 3+ epochs
OVERFIT_GAP = 1.5          # later, and 1.5x the training loss, which still falls
UNDERFIT = 0.7             # training loss still 70 % of the constant guess's
RARE_SHARE = 0.1           # a class with under a tenth of the largest class's rows ...
RARE_RECALL = 0.5          # ... and less than half of it recognised
BASELINE_MARGIN = {"accuracy": 0.01, "r2": 0.02}   # a baseline ahead by more than this


# ---- the rules: each returns a Finding or None
def divergence(run: Run) -> Finding | None:
    loss = run.train_loss
    reason = run.metrics.get("run", {}).get("stop_reason") or ""
    blown = run.baseline is not None and np.nanmax(loss, initial=0) > DIVERGED_LOSS * run.baseline
    if not (np.any(~np.isfinite(loss)) or "diverged" in reason or blown):
        return None
    lr = run.config.train.lr
    worst = int(np.nanargmax(np.where(np.isfinite(loss), loss, np.inf))) + 1
    return Finding("divergence", "warning",
                   f"The training loss blew up (epoch {worst}: "
                   f"{loss[worst - 1]:.3g}, a constant guess scores {run.baseline:.3g})."
                   if run.baseline else "The training loss became NaN or infinite.",
                   {"epoch": worst, "train_loss": _list(loss), "baseline_loss": run.baseline,
                    "lr": lr, "stop_reason": reason or None},
                   run.smaller_steps())


def lr_too_high(run: Run) -> Finding | None:
    lr, loss = run.config.train.lr, run.train_loss[np.isfinite(run.train_loss)]
    if run.config.train.full_batch_solver or len(loss) < 2:
        return None
    rises = float(np.mean(np.diff(loss) > 0))
    largest = max((layer["update_ratio"] or math.inf for epoch in run.layers for layer in epoch),
                  default=0.0)
    worse = run.baseline is not None and loss[-1] > WORSE_THAN_GUESS * run.baseline
    unsteady = loss[-1] > LOST_GROUND * loss.min() and rises >= UNSTEADY
    if not (worse or unsteady or largest > HUGE_UPDATE):
        return None
    return Finding("lr-too-high", "warning",
                   f"The learning rate {lr:g} is too high: steps overshoot (the loss ended at "
                   f"{loss[-1]:.3g}, its best was {loss.min():.3g}; it rose in {rises:.0%} of "
                   f"the epochs; weights moved up to {largest:.3g}x their size in an epoch).",
                   {"lr": lr, "final_train_loss": float(loss[-1]),
                    "best_train_loss": float(loss.min()), "rising_epochs": rises,
                    "largest_update_ratio": largest, "baseline_loss": run.baseline},
                   run.smaller_steps())


def lr_too_low(run: Run) -> Finding | None:
    lr, loss = run.config.train.lr, run.train_loss
    if run.config.train.full_batch_solver or not run.layers or not np.isfinite(loss[-1]):
        return None
    largest = max(layer["update_ratio"] or 0.0 for epoch in run.layers for layer in epoch)
    learnt = run.baseline is None or loss[-1] < UNLEARNT * run.baseline
    if largest >= TINY_UPDATE or learnt:
        return None
    return Finding("lr-too-low", "warning",
                   f"The learning rate {lr:g} is too low: no layer's weights ever changed by "
                   f"{TINY_UPDATE:.1%} of their size in an epoch (largest {largest:.2g}), and "
                   f"the loss is still {loss[-1]:.3g} (a constant guess scores "
                   f"{run.baseline:.3g}).",
                   {"lr": lr, "largest_update_ratio": largest,
                    "final_train_loss": float(loss[-1]), "baseline_loss": run.baseline},
                   run.again("--lr", f"{lr * 100:g}"))


def _last_hidden(run: Run, key: str, threshold: float) -> list[tuple[int, float]]:
    """(layer, value) of the last epoch's hidden layers whose ``key`` is above threshold."""
    last = run.layers[-1] if run.layers else []
    return [(layer["layer"], layer[key]) for layer in last
            if layer.get(key) is not None and layer[key] > threshold]


def dead_relu(run: Run) -> Finding | None:
    dead = _last_hidden(run, "dead", DEAD_SHARE)
    if not dead:
        return None
    where = ", ".join(f"layer {n}: {share:.0%}" for n, share in dead)
    return Finding("dead-relu", "warning",
                   f"Many ReLU units never fire on any of {run.stats['probe_rows']} training "
                   f"rows ({where}); they no longer learn.",
                   {"dead_share_by_layer": dict(dead), "lr": run.config.train.lr},
                   run.again("--lr", f"{run.config.train.lr / 10:g}", "--init kaiming_uniform"))


def saturation(run: Run) -> Finding | None:
    saturated = _last_hidden(run, "saturated", SATURATED_SHARE)
    if not saturated:
        return None
    where = ", ".join(f"layer {n}: {share:.0%}" for n, share in saturated)
    activation = run.stats.get("activation")
    if isinstance(activation, list):       # one per layer
        activation = "/".join(sorted(set(activation) & {"sigmoid", "tanh"}))
    return Finding("saturation", "warning",
                   f"Most {activation} outputs sit within 0.01 of their bounds ({where}), where "
                   "their gradient is almost zero.",
                   {"saturated_share_by_layer": dict(saturated), "activation": activation,
                    "scaled": run.config.scale},
                   run.again("--activation relu") if run.config.scale else
                   run.again("--scale"))


def _gradient_ratios(run: Run) -> list[float]:
    """Per epoch: the first layer's gradient norm over the last layer's."""
    return [epoch[0]["grad_norm"] / epoch[-1]["grad_norm"] for epoch in run.layers
            if len(epoch) > 2 and epoch[0]["grad_norm"] is not None and epoch[-1]["grad_norm"]]


def vanishing_gradients(run: Run) -> Finding | None:
    ratios = _gradient_ratios(run)
    if not ratios or np.median(ratios) >= VANISHED:
        return None
    depth = len(run.layers[0]) - 1
    return Finding("vanishing-gradients", "warning",
                   f"Gradients vanish on their way back through {depth} hidden layers: the "
                   f"first layer's is {np.median(ratios):.2g} times the last layer's (median "
                   "over the epochs), so the early layers barely learn.",
                   {"first_to_last_gradient_ratio": _list(ratios),
                    "activation": run.stats.get("activation"), "hidden_layers": depth},
                   run.again("--activation relu") if run.stats.get("activation") != "relu"
                   else run.again("--hidden", *map(str, run.config.hidden[:3])))


def exploding_gradients(run: Run) -> Finding | None:
    worst, where = 0.0, None
    for epoch_number, epoch in enumerate(run.layers, start=1):
        for layer in epoch:
            g, w = layer["grad_norm"], layer["weight_norm"]
            ratio = math.inf if g is None or w is None else g / max(w, 1e-12)
            if ratio > worst:
                worst, where = ratio, (epoch_number, layer["layer"])
    if worst <= EXPLODED:
        return None
    return Finding("exploding-gradients", "warning",
                   f"Gradients are huge: layer {where[1]}'s gradient norm reached {worst:.3g} "
                   f"times its weight norm (epoch {where[0]}).",
                   {"gradient_to_weight_ratio": worst, "epoch": where[0], "layer": where[1],
                    "scaled": run.config.scale},
                   run.smaller_steps())


def unscaled_inputs(run: Run) -> Finding | None:
    if not run.unscaled:
        return None
    inputs = run.stats["inputs"]
    named = ", ".join(f"{name} (~{size:.3g})" for name, size in inputs["largest"])
    return Finding("unscaled-inputs", "warning",
                   f"The network sees unscaled features: typical sizes (median |x|) up to "
                   f"{inputs['max_typical']:.3g} ({named}); standardised features are about 1.",
                   {**inputs, "scaled": run.config.scale},
                   run.again("--scale"))


def overfitting(run: Run) -> Finding | None:
    val, train = run.val_loss, run.train_loss
    if not np.isfinite(val).any() or len(val) < 4:
        return None
    best = int(np.nanargmin(val))
    recent_val, recent_train = np.mean(val[-3:]), np.mean(train[-3:])
    if len(val) - 1 - best < 3 or not recent_val > OVERFIT_RISE * val[best] or \
            not recent_train < train[best] or not recent_val > OVERFIT_GAP * recent_train:
        return None
    restored = run.metrics.get("run", {}).get("best_epoch") == best + 1 and \
        run.config.train.stopping_patience
    return Finding("overfitting", "info" if restored else "warning",
                   f"The network memorises its training rows: the validation loss was best at "
                   f"epoch {best + 1} ({val[best]:.3g}) and rose to {val[-1]:.3g} while the "
                   f"training loss fell to {train[-1]:.3g}"
                   + ("; early stopping kept the best epoch's weights." if restored else "."),
                   {"best_epoch": best + 1, "best_val_loss": float(val[best]),
                    "final_val_loss": float(val[-1]), "final_train_loss": float(train[-1])},
                   run.again("--dropout 0.2", "--patience 10", "--epochs", str(len(val))))


def underfitting(run: Run) -> Finding | None:
    loss = run.train_loss
    if run.baseline is None or not np.isfinite(loss[-1]) or loss[-1] < UNDERFIT * run.baseline:
        return None
    wider = [2 * h for h in run.config.hidden] or [64]
    return Finding("underfitting", "warning",
                   f"The network has learnt little: its training loss {loss[-1]:.3g} is "
                   f"{loss[-1] / run.baseline:.0%} of a constant guess's ({run.baseline:.3g}).",
                   {"final_train_loss": float(loss[-1]), "baseline_loss": run.baseline,
                    "hidden": list(run.config.hidden), "epochs": len(loss)},
                   run.again("--hidden", *map(str, wider), "--activation relu"))


def class_imbalance(run: Run) -> Finding | None:
    counts = run.metrics.get("data", {}).get("class_counts", {}).get("train")
    scored = run.metrics.get("val") or run.metrics.get("test") or {}
    if not counts or "per_class" not in scored or run.config.train.class_weight:
        return None
    rare = int(np.argmin(counts))
    name, recall = list(scored["per_class"].items())[rare][0], \
        list(scored["per_class"].values())[rare]["recall"]
    if counts[rare] >= RARE_SHARE * max(counts) or recall >= RARE_RECALL:
        return None
    return Finding("class-imbalance", "warning",
                   f"Class {name!r} has {counts[rare]} training rows against {max(counts)} of "
                   f"the largest, and the model recognises only {recall:.0%} of it.",
                   {"class": name, "train_counts": counts, "recall": recall},
                   run.again("--class-weight balanced"))


def baseline_beats_network(run: Run) -> Finding | None:
    """A table's run: the best baseline's test score above the network's (by a margin)."""
    baselines, test = run.metrics.get("baselines"), run.metrics.get("test", {})
    score = "accuracy" if "accuracy" in test else "r2"
    if not baselines or test.get(score) is None:
        return None
    baselines = {n: b for n, b in baselines.items() if score in b}     # (not the skipped)
    name, best = max(((n, b[score]) for n, b in baselines.items()), key=lambda nb: nb[1])
    margin = BASELINE_MARGIN[score]
    if best <= test[score] + margin:
        return None
    from mlpkit.runs.baselines import NAMES

    return Finding("baseline-beats-network", "info",
                   f"A {NAMES.get(name, name)} with its defaults scores {score} {best:.4f} on "
                   f"the same test rows, the network {test[score]:.4f}: on this table the "
                   "network has not earned its place yet.",
                   {"score": score, "network": test[score],
                    "baselines": {n: b[score] for n, b in baselines.items()}},
                   f"mlpkit sweep --config {shlex.quote(str(run.folder / 'config.toml'))} "
                   "--timeout 600")


def _list(values) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in values]


EXPLAIN_UNDERFITTING = ("divergence", "lr-too-high", "lr-too-low", "dead-relu", "saturation",
                        "vanishing-gradients", "exploding-gradients")
RULES: list[Callable[[Run], Finding | None]] = [
    divergence, lr_too_high, lr_too_low, dead_relu, saturation, vanishing_gradients,
    exploding_gradients, unscaled_inputs, overfitting, underfitting, class_imbalance,
    baseline_beats_network]
