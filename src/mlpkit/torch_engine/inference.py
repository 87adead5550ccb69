"""The PyTorch engine's forward-only network: what a loaded model predicts with (no optimizer,
no draw from PyTorch's generators). ``TorchStepper`` trains it."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from mlpkit.config import MLPSpec
from mlpkit.engines.contract import chunks
from mlpkit.torch_engine.models import empty_mlp


def set_mode(module: nn.Module, training: bool) -> None:
    """``module.train(training)``, skipped when it is in that mode already (walking every
    submodule costs tens of µs: a tiny network's whole step)."""
    if module.training != training:
        module.train(training)


def torch_dtype(dtype: np.dtype | type) -> torch.dtype:
    return torch.from_numpy(np.zeros(0, dtype)).dtype


class TorchNetwork:
    """Forward passes only: no optimizer, and no draw from PyTorch's generators. Parameters
    are ``dtype`` (float32, or float64 for float64 data)."""

    def __init__(self, spec: MLPSpec, task: str, device: torch.device,
                 model: nn.Module | None = None, dtype: np.dtype | type = np.float32) -> None:
        self.task, self.dtype, self.link = task, np.dtype(dtype), spec.link
        self.spec = spec
        self.device = device
        self.model = empty_mlp(spec, device, torch_dtype(dtype)) if model is None else model
        # the parameter tensors themselves (loading copies into them): a state dict without
        # walking the modules each time (the NaN guard takes one every epoch)
        self._tensors = self.model.state_dict(keep_vars=True)

    def dropouts(self) -> list[nn.Dropout]:
        return [module for module in self.model.modules() if isinstance(module, nn.Dropout)]

    def _tensor(self, array: np.ndarray, on_device: bool = True) -> torch.Tensor:
        tensor = torch.from_numpy(np.ascontiguousarray(array))
        return tensor.to(self.device) if on_device else tensor

    @torch.inference_mode()
    def _outputs(self, X: np.ndarray) -> torch.Tensor:
        set_mode(self.model, training=False)
        return torch.cat([self.model(self._tensor(chunk)) for chunk in chunks(X)])

    def predict_output(self, X: np.ndarray) -> np.ndarray:
        out = self._outputs(X)
        if self.task == "classification":
            out = torch.softmax(out, dim=1)
        elif self.task == "multilabel":
            out = torch.sigmoid(out)
        if self.link == "log":                          # the Poisson loss's mean: exp(out)
            out = torch.exp(out)
        if self.task == "regression" and out.shape[1] == 1:
            out = out[:, 0]
        return out.cpu().numpy()

    def state_dict(self) -> dict[str, np.ndarray]:
        return {k: v.detach().cpu().numpy().copy() for k, v in self._tensors.items()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.model.load_state_dict({k: torch.as_tensor(np.asarray(v, self.dtype))
                                    for k, v in state.items()})
