"""The decision boundary forming during training, as a GIF.

A callback predicts the class of every point of a coarse grid every k epochs (at most 60
frames); the frames are drawn directly as pixels with NumPy and Pillow (no figure per frame),
so an animation costs well under a second to write.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mlpkit.errors import InvalidInputError
from mlpkit.io import atomic
from mlpkit.training.callbacks import Callback
from mlpkit.training.state import TrainingState
from mlpkit.viz.plots import region_grid

MAX_FRAMES = 60
PALETTE = np.array([[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40],
                    [148, 103, 189], [140, 86, 75], [227, 119, 194], [127, 127, 127],
                    [188, 189, 34], [23, 190, 207]], dtype=np.uint8)


class DecisionBoundaryAnimation(Callback):
    """Snapshot the predicted regions every k epochs; ``save(path)`` writes the GIF.

    ``X`` is in the data's own units; ``to_inputs`` maps such points to what the network
    reads (the run's scaler), so the picture shows the units the user knows."""

    def __init__(self, X: np.ndarray, y: np.ndarray, epochs: int, resolution: int = 120,
                 size: int = 360,
                 to_inputs: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
        if X.ndim != 2 or X.shape[1] != 2:
            raise InvalidInputError(
                f"An animation of the decision boundary needs 2-D data; this data has "
                f"{X.shape[1]} features.")
        self.X, self.y, self.resolution, self.size = X, y, resolution, size
        self.to_inputs = to_inputs or (lambda points: points)
        self.every = max(1, math.ceil(epochs / MAX_FRAMES))
        self.xx, self.yy, self.grid = region_grid(X, resolution)
        self.reset()

    def reset(self) -> None:
        self.frames: list[tuple[int, np.ndarray]] = []

    def on_epoch_end(self, state: TrainingState, record: dict) -> None:
        if record["epoch"] % self.every == 0 or record["epoch"] == 1:
            regions = state.stepper.predict_output(self.to_inputs(self.grid)).argmax(axis=1)
            self.frames.append((record["epoch"], regions.reshape(self.xx.shape)))

    def _frame(self, epoch: int, regions: np.ndarray):
        from PIL import Image, ImageDraw

        light = (PALETTE[regions % len(PALETTE)] * 0.35 + 255 * 0.65).astype(np.uint8)
        image = Image.fromarray(light[::-1]).resize((self.size, self.size), Image.NEAREST)
        draw = ImageDraw.Draw(image)
        lo = np.array([self.xx.min(), self.yy.min()])
        hi = np.array([self.xx.max(), self.yy.max()])
        pixels = (self.X - lo) / (hi - lo) * (self.size - 1)
        for (px, py), label in zip(pixels, self.y):
            top = self.size - 1 - py
            draw.rectangle([px - 2, top - 2, px + 2, top + 2],
                           fill=tuple(int(c) for c in PALETTE[label % len(PALETTE)]),
                           outline=(0, 0, 0))
        draw.text((6, 6), f"epoch {epoch}", fill=(0, 0, 0))
        return image.convert("P", palette=Image.ADAPTIVE, colors=32)

    def save(self, path: str | Path) -> None:
        frames = [self._frame(epoch, regions) for epoch, regions in self.frames[-MAX_FRAMES:]]
        if not frames:
            return
        durations = [120] * (len(frames) - 1) + [1500]     # hold the last frame
        buffer = io.BytesIO()
        frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:],
                       duration=durations, loop=0, optimize=True)
        atomic.write_bytes(path, buffer.getvalue())         # whole or absent
