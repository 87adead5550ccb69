"""An embedding of categories: a text column of many values as a few learned numbers each.

A table's category column arrives one-hot: a block of inputs x_b of shape (n, L), one 1 per
row (none for a value unseen in training). One-hot into the first layer gives each value a
weight column of the layer's full width, learned from that value's rows alone; a column of
fifty values then costs fifty such columns. Embedded, each value is D learned numbers instead
(RealMLP embeds a column of more than 9 values in 8). The layer passes every other input on
as it is and puts after them, block by block, E_b^T x_b: the row's value's D numbers (zeros
for an unseen value), E_b (L, D) the block's rows of one weight W (all blocks' L, D). With
g_b = dL/d(block b's outputs) and g_kept = dL/d(the inputs passed on):

    dL/dE_b = x_b^T g_b        dL/dx_b = g_b E_b^T        dL/dx_kept = g_kept
"""

from __future__ import annotations

import numpy as np

from mlpkit.numpy_engine.module import Module, Parameter
from mlpkit.plan import kept_columns


class CategoryEmbedding(Module):
    """``blocks``: each embedded column's [start, stop) inputs; ``dim``: D. W ~ N(0, 1), as
    ``nn.Embedding``'s, drawn from ``rng``; the parameter is named ``weight``."""

    def __init__(self, width: int, blocks: tuple[tuple[int, int], ...], dim: int,
                 rng: np.random.Generator, dtype: type | np.dtype = np.float32) -> None:
        self.width, self.blocks, self.dim = width, blocks, dim
        self.kept = np.array(kept_columns(width, blocks), dtype=np.intp)
        sizes = [stop - start for start, stop in blocks]
        self.rows = [(sum(sizes[:i]), sum(sizes[:i + 1])) for i in range(len(sizes))]
        self.weight = Parameter(rng.normal(0.0, 1.0, (sum(sizes), dim)).astype(dtype))
        self._input: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._input = x = x.astype(self.weight.data.dtype, copy=False)
        w = self.weight.data
        parts = [x[:, self.kept]] + [x[:, start:stop] @ w[first:last] for (start, stop),
                                     (first, last) in zip(self.blocks, self.rows)]
        return np.concatenate(parts, axis=1)

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        x = self._input
        if x is None:
            raise RuntimeError("CategoryEmbedding.backward called before forward")
        w, kept, dim = self.weight.data, len(self.kept), self.dim
        grad_w = np.empty_like(w)
        grad_x = np.zeros_like(x) if need_input_grad else None
        if grad_x is not None:
            grad_x[:, self.kept] = grad_output[:, :kept]
        for i, ((start, stop), (first, last)) in enumerate(zip(self.blocks, self.rows)):
            g = grad_output[:, kept + i * dim:kept + (i + 1) * dim]       # (n, D)
            grad_w[first:last] = x[:, start:stop].T @ g                    # (L, n) @ (n, D)
            if grad_x is not None:
                grad_x[:, start:stop] = g @ w[first:last].T                # (n, D) @ (D, L)
        self.weight.accumulate(grad_w)
        return grad_x

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [("weight", self.weight)]

    def __repr__(self) -> str:
        return (f"CategoryEmbedding(inputs={self.width}, columns={len(self.blocks)}, "
                f"values={self.dim})")
