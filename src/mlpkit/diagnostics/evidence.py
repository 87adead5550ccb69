"""What the doctor's rules read of a run folder, loaded once: the config, the history, the
metrics and the per-layer statistics; and a ``Finding``, what a rule says."""

from __future__ import annotations

import json
import math
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlpkit.config import RunConfig
from mlpkit.diagnostics.statistics import DIAGNOSTICS
from mlpkit.errors import InvalidInputError
from mlpkit.runs.folder import read_config
from mlpkit.training.history import History

UNSCALED = 10.0            # an input feature of typical size (median |x|) above 10


@dataclass
class Finding:
    id: str
    severity: str             # "warning" or "info"
    message: str
    evidence: dict[str, Any]
    advice: str


@dataclass
class Run:
    """What a rule may read, loaded once."""

    folder: Path
    config: RunConfig
    history: History
    metrics: dict[str, Any]
    stats: dict[str, Any]

    @property
    def train_loss(self) -> np.ndarray:
        return np.array([_number(r["train_loss"]) for r in self.history])

    @property
    def val_loss(self) -> np.ndarray:
        return np.array([_number(r.get("val_loss")) for r in self.history])

    @property
    def baseline(self) -> float | None:
        return self.stats.get("baseline_loss")

    @property
    def layers(self) -> list[list[dict]]:
        """Per epoch, per layer: the statistics of diagnostics.json."""
        return [epoch["layers"] for epoch in self.stats.get("epochs", [])]

    @property
    def unscaled(self) -> bool:
        """Features far from unit size (the likely root of large losses and gradients)."""
        inputs = self.stats.get("inputs")
        return bool(inputs) and inputs["max_typical"] > UNSCALED

    def smaller_steps(self) -> str:
        """The fix for steps too large: scale the features first if they are not."""
        if self.unscaled or not self.config.scale:
            return self.again("--scale")
        return self.again("--lr", f"{self.config.train.lr / 10:g}")

    def again(self, *flags: str) -> str:
        """The command that trains this run again with ``flags`` changed."""
        return " ".join(["mlpkit train --config", shlex.quote(str(self.folder / "config.toml")),
                         *flags])


def _number(value: Any) -> float:
    return math.nan if value is None or value == "" else float(value)


def load_run(folder: str | Path) -> Run:
    folder = Path(folder)
    if not (folder / "history.csv").is_file() or not (folder / "config.toml").is_file():
        raise InvalidInputError(f"'{folder}' is not a run folder made by mlpkit train (no "
                                "history.csv or config.toml); pass one, e.g. runs/moons-001.")
    try:
        metrics = json.loads((folder / "metrics.json").read_text()) \
            if (folder / "metrics.json").is_file() else {}
        stats = json.loads((folder / DIAGNOSTICS).read_text()) \
            if (folder / DIAGNOSTICS).is_file() else {}
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"'{folder}' holds a damaged JSON file ({exc}).") from None
    return Run(folder, RunConfig.from_toml_dict(read_config(folder)),
               History.from_csv(folder / "history.csv"), metrics, stats)
