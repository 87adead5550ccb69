"""Per-epoch records (a list of dicts), written and read as CSV."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

COLUMNS = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds")


class History(list):
    """``history[k]`` is epoch k+1's dict; ``column("val_loss")`` one series."""

    def column(self, key: str) -> list[float]:
        return [record.get(key, math.nan) for record in self]

    def to_csv_text(self) -> str:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for record in self:
            writer.writerow({k: ("" if record.get(k) is None else record.get(k)) for k in COLUMNS})
        return out.getvalue()

    @classmethod
    def from_csv(cls, path: str | Path) -> History:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        return cls({k: (int(v) if k == "epoch" else float(v) if v != "" else None)
                    for k, v in row.items()} for row in rows)
