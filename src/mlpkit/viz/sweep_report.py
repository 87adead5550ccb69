"""``DIR/sweep.html``: one self-contained page for a sweep (images embedded, no JavaScript).

It shows the trials table sorted by score, the best trial's curves and test metrics, the
parameters' importances (Optuna's estimate over the finished trials) and the score against
each parameter. The plots are also kept in ``DIR/plots/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mlpkit.io import atomic
from mlpkit.training.history import History
from mlpkit.viz.plots import plot_history, plot_importances, plot_scores
from mlpkit.viz.report import STYLE, embedded_image, esc, html_table

SWEEP_HTML = "sweep.html"


def importances(study) -> dict[str, float]:
    """Optuna's parameter importances; empty when fewer than two trials finished or no
    parameter varied."""
    import warnings

    import optuna

    try:
        with warnings.catch_warnings():      # "few trials in a regime": said on the page
            warnings.simplefilter("ignore")
            return optuna.importance.get_param_importances(study)
    except (ValueError, RuntimeError):
        return {}


def build_sweep_report(out: Path, study, rows: list[dict[str, Any]], best: Path | None,
                       best_metrics: dict[str, Any] | None, command: str) -> Path:
    plots = out / "plots"
    plots.mkdir(exist_ok=True)
    score = "val_accuracy" if any("val_accuracy" in r for r in rows) else "val_rmse"
    fixed = {"trial", "state", "val_accuracy", "val_r2", "val_rmse", "val_loss", "epochs",
             "seconds", "stopped"}
    params = list(dict.fromkeys(k for r in rows for k in r if k not in fixed))
    states = {s: sum(r["state"] == s for r in rows) for s in ("complete", "pruned", "fail")}
    parts = [f"<h1>Sweep: {esc(out.name)}</h1>",
             f"<p>{len(rows)} trials: {states['complete']} finished, {states['pruned']} "
             f"pruned, {states['fail']} failed. Trials are scored on the validation rows; the "
             "test set is scored once, for the best trial.</p>",
             f"<pre>{esc(command)}</pre>"]
    if best is not None and best_metrics is not None:
        test = best_metrics.get("test", {})
        shown = {k: test[k] for k in ("accuracy", "f1_macro", "loss", "r2", "rmse", "mae")
                 if k in test}
        parts += [f"<h2>Best trial: {rows[0]['trial']}</h2>",
                  f"<p>Run folder <code>{esc(best.name)}/</code> (report.html, config.toml, "
                  f"model). Test: {esc(', '.join(f'{k} {v:.4f}' for k, v in shown.items()))}"
                  "</p>"]
        if (best / "history.csv").is_file():
            plot_history(History.from_csv(best / "history.csv"), plots / "best_curves.png")
            parts.append(embedded_image(plots / "best_curves.png", "best trial: loss and "
                                        "accuracy per epoch (train solid, validation dashed)"))
    weights = importances(study)
    if weights:
        plot_importances(weights, plots / "importances.png")
        parts += ["<h2>Parameter importances</h2>",
                  embedded_image(plots / "importances.png",
                                 "Optuna's estimate over the finished trials (rough with "
                                 "few trials)")]
    if params and states["complete"]:
        plot_scores(rows, score, params, plots / "scores.png")
        parts += ["<h2>Score against each parameter</h2>",
                  embedded_image(plots / "scores.png", "each finished trial; the best circled")]
    header = ["trial", "state", *(c for c in (score, "val_r2", "val_loss") if
                                  any(c in r for r in rows)), "epochs", "seconds", *params,
              "stopped"]
    body = [[esc(_cell(r.get(c))) for c in header] for r in rows]
    parts += ["<h2>Trials, best first</h2>", html_table(header, body)]
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>sweep {esc(out.name)}"
            f"</title><style>{STYLE}</style></head><body>{''.join(parts)}</body></html>")
    path = out / SWEEP_HTML
    atomic.write_text(path, page)
    return path


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
