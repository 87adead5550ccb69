"""``mlpkit doctor``: what went wrong in a run, in plain words, with the command that fixes it.

Reads a run folder (config.toml, history.csv, metrics.json and the per-layer statistics of
diagnostics.json) and applies one rule per finding. Thresholds were set by measurement: healthy
runs (the README demo, every built-in set with the defaults, the walk-throughs, the MNIST
recipe) sit at least an order of magnitude inside them, and a run built to provoke each
finding sits outside (tests/test_doctor.py; docs/diagnostics.md gives the numbers).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from mlpkit.diagnostics.evidence import Finding, Run, load_run
from mlpkit.diagnostics.rules import EXPLAIN_UNDERFITTING, RULES


def diagnose(folder: str | Path) -> list[Finding]:
    """Every finding for the run in ``folder``, warnings first."""
    return diagnose_run(load_run(folder))


def diagnose_run(run: Run) -> list[Finding]:
    """Every finding for ``run`` (a folder's, or a run still training: the playground's)."""
    findings = [f for rule in RULES if (f := rule(run)) is not None]
    found = {f.id for f in findings}
    hidden = set()
    if found & set(EXPLAIN_UNDERFITTING):  # underfitting: when nothing more specific explains it
        hidden.add("underfitting")
    if found & {"divergence", "lr-too-high"}:   # a rising validation loss is not memorising
        hidden.add("overfitting")
    return sorted((f for f in findings if f.id not in hidden),
                  key=lambda f: f.severity != "warning")


def as_json(findings: list[Finding]) -> dict[str, Any]:
    return {"findings": [asdict(f) for f in findings]}
