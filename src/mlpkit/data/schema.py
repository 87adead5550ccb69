"""Schema: what a model knows of its data's columns and target, whichever door it came from.

It travels inside ``model.json``, so a loaded model reads raw rows (by column name where the
data had names) and answers in the labels the data had.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlpkit.data.tables.encoding import TabularEncoder


@dataclass
class Schema:
    task: str                                   # "classification", "regression", "multilabel"
    feature_names: list[str]                    # the network's inputs, after any encoding
    class_names: list[str] = field(default_factory=list)   # classes, or multi-label's labels
    class_values: list | None = None            # the labels predict returns (int, str, bool)
    input_names: list[str] | None = None        # the raw columns, when the data was a table
    encoder: TabularEncoder | None = None       # raw table -> features (CSV data)
    target: str | None = None                   # the target column's name, when known
    n_targets: int = 1                          # regression: values predicted per row

    def __post_init__(self) -> None:
        if self.task != "regression" and self.class_values is None:
            self.class_values = list(range(len(self.class_names)))

    @property
    def n_outputs(self) -> int:
        return self.n_targets if self.task == "regression" else len(self.class_names)

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "feature_names": self.feature_names,
                "class_names": self.class_names, "class_values": self.class_values,
                "input_names": self.input_names, "target": self.target,
                "n_targets": self.n_targets}

    @classmethod
    def from_dict(cls, data: dict[str, Any], encoder: TabularEncoder | None) -> Schema:
        def strings(key: str) -> list[str] | None:
            value = data.get(key)
            return None if value is None else [str(v) for v in value]

        names = strings("class_names") or []
        values = data.get("class_values")     # absent from files of mlpkit 0.1's first round,
        values = names if values is None else list(values)   # which answered in class names
        return cls(str(data["task"]), strings("feature_names") or [], names, values,
                   strings("input_names"), encoder, data.get("target"),
                   int(data.get("n_targets", 1)))
