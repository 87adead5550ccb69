"""The PyTorch engine's side of the shared training loop (fast path: data on the device).

The training arrays move to the device once; each epoch's permutation moves once as an index
tensor and batches are slices of it, so there is no per-batch collation or host round trip.
The loss is accumulated on the device and read back once per epoch. ``data_loader=True``
keeps the arrays in host memory instead and feeds the same batches through a
``torch.utils.data.DataLoader`` over a ``TensorDataset`` (the loop's batches are its batch
sampler), for data that does not fit on the device; it is slower (1.9x measured on MNIST).

With a distributed ``group`` (torchrun) the network trains inside PyTorch's
DistributedDataParallel: each rank takes its slice of every global batch and scales its loss so
that DDP's averaged gradient is the whole batch's (``distributed.py`` says why).

Weights come from the seed through the NumPy initialisers; dropout masks from the stepper's
own generator state (``generator.py``), lent to PyTorch's for each epoch only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext

import numpy as np
import torch
from torch import nn

from mlpkit.config import MLPSpec, TrainConfig
from mlpkit.data.batching import ALL_ROWS, batch_rows
from mlpkit.engines.contract import EpochResult, StepperBase
from mlpkit.torch_engine.distributed import Group
from mlpkit.torch_engine.generator import OwnGenerator
from mlpkit.torch_engine.inference import TorchNetwork, set_mode, torch_dtype
from mlpkit.torch_engine.models import HIDDEN_LAYERS, build_mlp

OPTIMIZERS = {"sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam,
              "adamw": torch.optim.AdamW}


def poisson_deviance(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Half the Poisson deviance of mu = exp(z), element-wise: y log(y / mu) - y + mu (the
    NumPy engine's PoissonLoss, for autograd)."""
    return torch.special.xlogy(y, y) - y * z - y + torch.exp(z)


class TorchStepper(StepperBase, TorchNetwork):
    def __init__(self, spec: MLPSpec, task: str, config: TrainConfig,
                 device: torch.device, data_loader: bool = False,
                 dtype: np.dtype | type = np.float32, group: Group | None = None) -> None:
        model = build_mlp(spec, config.seed, torch_dtype(dtype), device)   # (see build_mlp)
        super().__init__(spec, task, device, model, dtype)
        self.data_loader = data_loader
        self.group = group
        self.trained = self.model if group is None else nn.parallel.DistributedDataParallel(
            self.model, device_ids=[device.index] if device.type == "cuda" else None)
        self._set_up_training(config, self.model.named_parameters(),
                              lambda name, groups, **kwargs: OPTIMIZERS[name](
                                  groups, **kwargs))
        self.softmax_mse = self.criterion == "softmax_mse"
        self.mse_factor = 0.5 if self.criterion == "squared_error" else 1.0   # scikit-learn's
        self._parameters = list(self.model.parameters())
        self._generator = None      # dropout's own generator state; None: nothing random
        if spec.dropout > 0:                                      # each rank its own masks
            self._generator = OwnGenerator(config.seed + (group.rank if group else 0), device)

    # ---- losses
    def _target(self, y: np.ndarray, on_device: bool = True) -> torch.Tensor:
        return self._tensor(self._target_array(y), on_device)

    def _squared_error_inputs(self, out: torch.Tensor, target: torch.Tensor):
        """(prediction, target) for MSE: softmax vs one-hot when a classifier uses MSE."""
        if self.softmax_mse:
            onehot = nn.functional.one_hot(target, out.shape[1]).to(out.dtype)
            return torch.softmax(out, dim=1), onehot
        return out, target

    def _per_sample_loss(self, out: torch.Tensor, target: torch.Tensor,
                         smoothing: float = 0.0) -> torch.Tensor:
        """Each row's loss; ``smoothing``: the training's label smoothing (evaluation: none)."""
        if self.classification and not self.softmax_mse:
            return nn.functional.cross_entropy(out, target, reduction="none",
                                               label_smoothing=smoothing)
        if self.task == "multilabel":     # the sum over labels, as scikit-learn's log loss
            return nn.functional.binary_cross_entropy_with_logits(
                out, target, reduction="none").sum(dim=1)
        if self.criterion == "poisson":
            return poisson_deviance(out, target).mean(dim=1)
        prediction, wanted = self._squared_error_inputs(out, target)
        return (prediction - wanted).square().mean(dim=1) * self.mse_factor

    def _mean_loss(self, out: torch.Tensor, target: torch.Tensor,
                   smoothing: float = 0.0) -> torch.Tensor:
        """The unweighted mean, through PyTorch's fused reductions (fewer ops per step)."""
        if self.classification and not self.softmax_mse:
            return nn.functional.cross_entropy(out, target, label_smoothing=smoothing)
        if self.task == "multilabel":
            return nn.functional.binary_cross_entropy_with_logits(out, target) * out.shape[1]
        if self.criterion == "poisson":
            return poisson_deviance(out, target).mean()
        return nn.functional.mse_loss(*self._squared_error_inputs(out, target)) * self.mse_factor

    def _loss(self, out: torch.Tensor, target: torch.Tensor,
              weight: torch.Tensor | None) -> torch.Tensor:
        """The (weighted) mean loss, plus (alpha/2 ||W||^2 + l1 ||W||_1) / (the rows' total
        weight)."""
        if weight is None:
            loss, total = self._mean_loss(out, target, self.label_smoothing), len(target)
        else:
            total = weight.sum()
            loss = (self._per_sample_loss(out, target, self.label_smoothing) * weight).sum() \
                / total
        return loss + self._penalty(total) if self.alpha or self.l1 else loss

    def _shard_loss(self, out: torch.Tensor, target: torch.Tensor,
                    weight: torch.Tensor | None, total: float) -> torch.Tensor:
        """A rank's part of a global batch: its summed loss times world / ``total`` (the global
        batch's rows or weight), plus the whole penalty, so DDP's average over the ranks is
        the global batch's ``_loss``."""
        per_sample = self._per_sample_loss(out, target, self.label_smoothing)
        if weight is not None:
            per_sample = per_sample * weight
        loss = per_sample.sum() * (self.group.world / total)
        return loss + self._penalty(total) if self.alpha or self.l1 else loss

    def _penalty(self, total: torch.Tensor | float) -> torch.Tensor:
        penalty = 0.5 * self.alpha * sum(p.square().sum() for p in self.penalised)
        if self.l1:
            penalty = penalty + self.l1 * sum(p.abs().sum() for p in self.penalised)
        return penalty / total

    def _correct(self, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.classification:
            return (out.argmax(dim=1) == target).sum()
        return ((out > 0) == (target > 0.5)).all(dim=1).sum()       # multi-label: every label

    # ---- training
    def bind(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None) -> None:
        on_device = not self.data_loader      # the DataLoader path keeps host arrays
        self._X = self._tensor(X, on_device)
        self._y = self._target(y, on_device)
        self._w = None if sample_weight is None else \
            self._tensor(sample_weight.astype(self.dtype), on_device)
        self._w_host = sample_weight       # a global batch's total weight, on any rank

    def release(self) -> None:
        super().release()
        self._w_host = None

    def agree(self, flag: bool) -> bool:
        return flag if self.group is None else self.group.agree(flag)

    def sum_over_ranks(self, values: list[float]) -> list[float]:
        return values if self.group is None else self.group.sum(values)

    def _batches_on_device(self, batches: Sequence[np.ndarray | slice]):
        """The fast path: slices of one on-device permutation of on-device arrays (a full batch:
        the arrays themselves)."""
        if len(batches) == 1 and batches[0] is ALL_ROWS:
            yield self._X, self._y, self._w
            return
        order = self._tensor(np.concatenate(batches))
        start = 0
        for batch in batches:
            index = order[start:start + len(batch)]
            start += len(batch)
            yield (self._X.index_select(0, index), self._y.index_select(0, index),  # 3x faster
                   None if self._w is None else self._w.index_select(0, index))  # than X[index]

    def _batches_from_loader(self, batches: Sequence[np.ndarray]):
        """Host arrays through a DataLoader; each collated batch then moves to the device."""
        from torch.utils.data import DataLoader, TensorDataset

        tensors = (self._X, self._y) if self._w is None else (self._X, self._y, self._w)
        batches = [batch_rows(b, len(self._X)) for b in batches]
        loader = iter(DataLoader(TensorDataset(*tensors),
                                 batch_sampler=[b.tolist() for b in batches if len(b)],
                                 pin_memory=self.device.type == "cuda",
                                 generator=torch.Generator()))   # not dropout's stream
        for batch in batches:     # a rank's slice of a small last batch may be empty
            items = next(loader) if len(batch) else [t[:0] for t in tensors]
            items = [t.to(self.device, non_blocking=True) for t in items]
            yield items[0], items[1], items[2] if len(items) == 3 else None

    def train_epoch(self, batches: Sequence[np.ndarray],
                    should_stop: Callable[[], bool], local: bool = False) -> EpochResult:
        model, optimizer, group = self.trained, self.optimizer, self.group
        set_mode(model, training=True)
        totals = sizes = None
        if group is not None and not local:      # each rank: its slice of every global batch
            batches = [batch_rows(b, len(self._X)) for b in batches]
            totals = [float(len(b)) if self._w_host is None else float(self._w_host[b].sum())
                      for b in batches]
            sizes = [len(b) for b in batches]
            batches = [group.shard(b) for b in batches]
        total = correct = None      # on the device, float32 / int64, read back once
        seen = 0
        source = self._batches_from_loader if self.data_loader else self._batches_on_device
        with nullcontext() if self._generator is None else self._generator.lent():
            for k, (inputs, target, weight) in enumerate(source(batches)):
                out = model(inputs)
                if group is None:       # (an ensemble: each member's outputs are rows)
                    rows = len(target)
                    target, weight = self._each_member(target, weight)
                    loss = self._loss(out, target, weight)
                else:
                    if local:       # this rank's own rows: the step's totals over all ranks
                        mine = float(len(target)) if weight is None else weight.sum()
                        step_total, rows = group.sum([mine, len(target)])
                    else:
                        step_total, rows = totals[k], sizes[k]
                    loss = self._shard_loss(out, target, weight, step_total)
                for p in self._parameters:       # zero_grad(set_to_none=True), without its
                    p.grad = None                # profiler hooks: tens of µs a step
                (loss * self.members if self.members > 1 else loss).backward()  # members' sum
                optimizer.step()
                term = loss.detach() * (rows if group is None else rows / group.world)
                total = term.float() if total is None else total.add_(term)
                if self.task != "regression":
                    count = self._correct(out, target)
                    correct = count if correct is None else correct.add_(count)
                seen += len(target) if local else int(rows)
                if should_stop():
                    break
        correct = 0 if correct is None else correct
        total = 0.0 if total is None else total
        if group is None or local:      # local: the loop sums the epoch's parts over the ranks
            total, correct = float(total), int(correct)
        else:
            total, correct = group.sum([total, correct])
        accuracy = correct / max(seen * self.members, 1) if self.task != "regression" else None
        completed = k == len(batches) - 1 if batches else True
        return EpochResult(total / max(seen, 1), accuracy, completed, seen)

    def full_batch_gradients(self) -> tuple[float, dict[str, np.ndarray]]:
        self.model.train()
        X, y, w = (t if t is None else t.to(self.device) for t in (self._X, self._y, self._w))
        self.model.zero_grad(set_to_none=True)
        y, w = self._each_member(y, w)
        loss = self._loss(self.model(X), y, w) * self.members     # (an ensemble: the sum)
        loss.backward()
        return loss.item(), {name: p.grad.detach().cpu().numpy()
                             for name, p in self.model.named_parameters()}

    def probe(self, X: np.ndarray, y: np.ndarray) -> tuple[dict[str, np.ndarray], list]:
        """(loss gradient per parameter, each hidden activation's outputs) on rows X, in
        evaluation mode; ``autograd.grad`` leaves ``.grad`` (and DDP's hooks) alone."""
        set_mode(self.model, training=False)
        activations, out = [], self._tensor(X)
        for layer in self.model:
            out = layer(out)
            if not isinstance(layer, HIDDEN_LAYERS):
                activations.append(out.detach().cpu().numpy())
        grads = torch.autograd.grad(self._mean_loss(out, self._target(y)), self._parameters)
        names = [name for name, _ in self.model.named_parameters()]
        return {n: g.detach().cpu().numpy() for n, g in zip(names, grads)}, activations

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float | None]:
        if self.group is not None:
            return self._evaluate_shards(X, y)
        out = self._outputs(X)
        target = self._target(y)
        loss = self._mean_loss(out, target).item()
        accuracy = self._correct(out, target).item() / len(out) \
            if self.task != "regression" else None
        return loss, accuracy

    def _evaluate_shards(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float | None]:
        """Each rank scores its slice of the rows; the sums and counts are all-reduced."""
        rows = self.group.shard(np.arange(len(X)))
        loss_sum = correct = 0.0
        if len(rows):
            out, target = self._outputs(X[rows]), self._target(y[rows])
            loss_sum = self._per_sample_loss(out, target).sum()
            correct = self._correct(out, target) if self.task != "regression" else 0.0
        loss_sum, correct = self.group.sum([loss_sum, correct])
        return loss_sum / len(X), correct / len(X) if self.task != "regression" else None

    # ---- exact resume
    def training_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """Weights, optimizer state and the dropout generators: what an exact resume needs."""
        saved = {"state": {}, "param_groups": []} if self.optimizer is None else \
            self.optimizer.state_dict()
        optimizer_state = {index: {k: v.detach().cpu().numpy() if torch.is_tensor(v) else v
                                   for k, v in state.items()}
                           for index, state in saved["state"].items()}
        arrays, scalars = self.pack(self.state_dict(), optimizer_state)
        if self._generator is not None:
            arrays |= self._generator.arrays()
        return arrays, {"param_groups": saved["param_groups"], "scalars": scalars}

    def load_training_state(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        weights, optimizer_state = self.unpack(arrays, meta["scalars"])
        self.load_state_dict(weights)
        state = {index: {k: torch.as_tensor(v).to(self.device) if isinstance(v, np.ndarray)
                         else torch.tensor(float(v)) for k, v in values.items()}
                 for index, values in optimizer_state.items()}
        if self.optimizer is not None:
            self.optimizer.load_state_dict({"state": state,
                                            "param_groups": meta["param_groups"]})
        if self._generator is not None:
            self._generator.load_arrays(arrays)
