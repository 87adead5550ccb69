"""report.html for a run folder and a comparison page for several runs.

Self-contained: images are embedded as data URIs, the style is inline, nothing is fetched and
no JavaScript is needed. Everything shown is read from the run folder's own files
(config.toml, metrics.json, history.csv, model.json, plots/), so ``mlpkit report RUN``
rebuilds the page at any time.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from mlpkit.diagnostics.statistics import DIAGNOSTICS
from mlpkit.errors import InvalidInputError
from mlpkit.io import atomic
from mlpkit.runs.metrics import headline
from mlpkit.training.history import History

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;
text-align:right}th{background:#f4f4f4}td.name,th.name{text-align:left}
pre{background:#f7f7f7;padding:.8rem;overflow-x:auto}img{max-width:100%;margin:.5rem 0}
.figures{display:flex;flex-wrap:wrap;gap:1rem}.figures figure{margin:0}
figcaption{font-size:.85rem;color:#555}table.columns td{text-align:left}
"""
SCORES = ("loss", "accuracy", "precision_macro", "recall_macro", "f1_macro", "r2", "mae", "rmse",
          "mse")


def esc(value: Any) -> str:
    return html.escape(str(value))


def _number(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else esc("-" if value is None else value)


def embedded_image(path: Path, caption: str) -> str:
    mime = "image/gif" if path.suffix == ".gif" else "image/png"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure><img src="data:{mime};base64,{data}" alt="{esc(caption)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def html_table(header: list[str], rows: list[list[str]], cls: str = "") -> str:
    head = "".join(f'<th class="{"name" if i == 0 else ""}">{esc(h)}</th>'
                   for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f'<td class="{"name" if i == 0 else ""}">{cell}</td>'
                                    for i, cell in enumerate(row)) + "</tr>" for row in rows)
    return f'<table class="{cls}"><tr>{head}</tr>{body}</table>'


def _read(folder: Path) -> dict[str, Any]:
    """A run folder's files. Only model.json is required: a model saved from Python has no
    config.toml or metrics.json (and history.csv only if it was trained here)."""
    if not (folder / "model.json").is_file():
        raise InvalidInputError(f"'{folder}' has no model.json; pass a run folder made by "
                                "mlpkit train or a model folder saved from Python.")
    try:
        metrics = json.loads((folder / "metrics.json").read_text()) \
            if (folder / "metrics.json").is_file() else {}
        model = json.loads((folder / "model.json").read_text())
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"'{folder}' holds a damaged JSON file ({exc}).") from None
    config = folder / "config.toml"
    history = folder / "history.csv"
    return {"metrics": metrics, "model": model,
            "config": config.read_text() if config.is_file() else None,
            "history": History.from_csv(history) if history.is_file() else History()}


def _ensure_plots(folder: Path, run: dict[str, Any]) -> None:
    """Redraw the curves and the confusion matrix if the folder lacks them."""
    from mlpkit.viz.plots import plot_confusion_matrix, plot_history

    plots = folder / "plots"
    plots.mkdir(exist_ok=True)
    if run["history"] and not (plots / "curves.png").exists():
        plot_history(run["history"], plots / "curves.png")
    _layer_plots(folder, plots)
    test = run["metrics"].get("test", {})
    if "confusion_matrix" in test and not (plots / "confusion_matrix.png").exists():
        plot_confusion_matrix(test["confusion_matrix"], run["model"]["class_names"],
                              plots / "confusion_matrix.png")


def _layer_plots(folder: Path, plots: Path) -> None:
    """Per-layer gradient norms and activation health from diagnostics.json (redrawn when
    the statistics are newer than the pictures: a resumed run added epochs)."""
    from mlpkit.viz.plots import plot_series

    source = folder / DIAGNOSTICS
    target = plots / "gradient_norms.png"
    if not source.is_file() or (target.exists() and
                                target.stat().st_mtime >= source.stat().st_mtime):
        return
    epochs = json.loads(source.read_text())["epochs"]
    if not epochs:
        return

    def series(key: str) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for epoch in epochs:
            for layer in epoch["layers"]:
                if key in layer:
                    value = layer[key]
                    found.setdefault(f"layer {layer['layer']}", []).append(
                        float("nan") if value is None else value)
        return found

    plot_series(series("grad_norm"), target, "gradient norm (probe rows)",
                title="gradient norm per layer", log=True)
    health = series("dead") or series("saturated")
    if health:
        plot_series(health, plots / "activation_health.png",
                    "share of dead ReLUs" if series("dead") else "share saturated (±0.01)",
                    title="hidden activations")


def _diagnosis(folder: Path, findings: list | None) -> str:
    """The doctor's findings (diagnosed now unless given) and the per-layer pictures."""
    from mlpkit.diagnostics.doctor import diagnose

    if not (folder / DIAGNOSTICS).is_file() or not (folder / "config.toml").is_file():
        return ""
    findings = diagnose(folder) if findings is None else findings
    rows = [[esc(f.severity), esc(f.id), esc(f.message), f"<code>{esc(f.advice)}</code>"]
            for f in findings]
    listed = html_table(["severity", "finding", "evidence", "try"], rows, cls="findings") \
        if rows else "<p>No findings: training looks healthy.</p>"
    figures = [(name, caption) for name, caption in (
        ("gradient_norms.png", "gradient norm per layer and epoch, on a fixed sample of "
                               "training rows"),
        ("activation_health.png", "dead ReLUs / saturated units per hidden layer"))
        if (folder / "plots" / name).exists()]
    return ("<h2>Diagnosis</h2><p>From <code>mlpkit doctor</code>: what the per-layer "
            "statistics and the curves say.</p>" + listed + "<div class='figures'>" +
            "".join(embedded_image(folder / "plots" / n, c) for n, c in figures) + "</div>")


def build_report(folder: str | Path, findings: list | None = None) -> Path:
    """Write ``folder/report.html`` from the run's files; returns its path. ``findings``: the
    doctor's, when the caller has diagnosed the run already."""
    folder = Path(folder)
    run = _read(folder)
    _ensure_plots(folder, run)
    metrics, model = run["metrics"], run["model"]
    info, data = metrics.get("run", {}), metrics.get("data", {})
    test = metrics.get("test", {})
    result = headline(test) if test else \
        f"no test metrics yet: mlpkit evaluate {folder} --csv FILE"
    weights = folder / "model.safetensors"
    summary = [
        ["dataset", esc(data.get("name", "?"))], ["task", esc(model["task"])],
        ["network", esc(" → ".join(str(s) for s in [model["spec"]["n_inputs"],
                                                      *model["spec"]["hidden"],
                                                      model["spec"]["n_outputs"]]))
         + f" ({esc(model['spec']['activation'])})"],
        ["parameters", _number(info.get("parameters"))],
        ["model size", f"{weights.stat().st_size / 1024:.1f} KiB" if weights.exists() else "-"],
        ["epochs", _number(info.get("epochs"))], ["best epoch", _number(info.get("best_epoch"))],
        ["stopped", esc(info.get("stop_reason") or "after the last epoch")],
        ["training time", f"{info.get('seconds', 0):.2f} s"],
        ["engine / device / threads", esc(f"{info.get('engine')} / {info.get('device')} / "
                                           f"{info.get('threads') or 'default'}")],
    ]
    splits = [s for s in ("train", "val", "test") if s in metrics]
    scores = [k for k in SCORES if any(k in metrics[s] for s in splits)]
    score_rows = [[esc(k)] + [_number(metrics[s].get(k)) for s in splits] for k in scores]
    sections = [
        f"<h1>mlpkit run {esc(folder.name)}</h1><p><strong>{esc(result)}</strong> — "
        f"{esc(data.get('description', ''))}</p>",
        "<h2>Summary</h2>" + html_table(["", "value"], summary),
        "<h2>Metrics</h2>" + html_table(["metric", *splits], score_rows, cls="metrics"),
    ]
    if metrics.get("baselines"):
        sections.append(_baselines(metrics, info))
    if "per_class" in test:
        per_class = [[esc(name), _number(v["precision"]), _number(v["recall"]),
                      _number(v["f1"]), _number(v["support"])]
                     for name, v in test["per_class"].items()]
        sections.append("<h3>Per class (test)</h3>" +
                        html_table(["class", "precision", "recall", "f1", "support"], per_class,
                               cls="per-class"))
    if data.get("class_counts"):
        counts = data["class_counts"]
        rows = [[esc(name)] + [_number(counts[s][i]) for s in counts]
                for i, name in enumerate(model["class_names"])]
        sections.append("<h2>Data</h2>" + f"<p>{_number(data.get('n_features'))} features; "
                        + ", ".join(f"{s}: {sum(c)} rows" for s, c in counts.items()) + "</p>"
                        + html_table(["class", *counts], rows, cls="balance"))
    columns = (model.get("preprocessing") or {}).get("encoder") or {}
    if columns.get("columns"):
        rows = [[esc(c["name"]), esc("left out" if c.get("role") == "dropped" else
                                       c.get("role") or "-"), esc(c.get("note") or "")]
                for c in columns["columns"]]
        sections.append("<h2>Columns</h2><p>How each column of the table was read (inferred "
                        "from the training rows; override with --features / --drop / "
                        "--impute).</p>" + html_table(["column", "role", "what was done"], rows,
                                                   cls="columns")
                        + "".join(f"<p>{esc(note)}</p>" for note in columns.get("notes", [])))
    figures = [(name, caption) for name, caption in (
        ("curves.png", "loss per epoch, on the standardised target (the metrics above are in "
                       "the target's units)" if (model.get("preprocessing") or {}).get(
                           "target_scaler") else "loss and accuracy per epoch"),
        ("confusion_matrix.png", "confusion matrix (test)"),
        ("dataset.png", "the data"), ("decision_regions.png", "decision regions (test points)"),
        ("animation.gif", "the decision boundary during training"))
        if (folder / "plots" / name).exists()]
    sections.append("<h2>Figures</h2><div class='figures'>" +
                    "".join(embedded_image(folder / "plots" / n, c) for n, c in figures) + "</div>")
    sections.append(_diagnosis(folder, findings))
    versions = model.get("versions", {})
    sections.append(_run_again(folder, run))
    sections.append("<h2>Environment</h2>" +
                    html_table(["package", "version"], [[esc(k), esc(v)]
                                                    for k, v in versions.items()]))
    page = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>mlpkit run {esc(folder.name)}</title><style>{STYLE}</style></head>"
            f"<body>{''.join(sections)}</body></html>")
    out = folder / "report.html"
    atomic.write_text(out, page)
    return out


def _run_again(folder: Path, run: dict[str, Any]) -> str:
    """The command that trains the run again, or for a model saved from Python its options."""
    if run["config"] is not None:
        return ("<h2>Run it again</h2><pre>mlpkit train --config "
                f"{esc(folder)}/config.toml</pre><pre>{esc(run['config'])}</pre>")
    options = run["model"].get("options") or {}
    rows = [[esc(k), esc(v)] for k, v in options.items() if v is not None]
    return ("<h2>Use it again</h2><pre>import mlpkit\nmodel = mlpkit.load("
            f"{esc(repr(str(folder)))})   # predicts raw rows as mlpkit predict does</pre>"
            "<p>Saved from Python, trained with these options:</p>"
            + html_table(["option", "value"], rows, cls="options"))


def _baselines(metrics: dict[str, Any], info: dict[str, Any]) -> str:
    """The network beside what a user would try instead, on the same split."""
    from mlpkit.runs.baselines import NAMES

    score = "accuracy" if "accuracy" in metrics["test"] else "r2"
    rows = [["the network", _number(metrics["test"].get(score)),
             f"{info.get('seconds', 0):.2f} s"]]
    rows += [[esc(NAMES.get(name, name)), _number(b[score]) if score in b else
              esc(f"skipped: {b['skipped']}"), f"{b['seconds']:.2f} s"]
             for name, b in metrics["baselines"].items()]
    return ("<h2>Baselines</h2><p>Fitted with their defaults on the network's training rows "
            "and scored on the same test rows (<code>--no-baselines</code> skips them).</p>" +
            html_table(["model", f"test {score}", "fit time"], rows, cls="baselines"))


def build_comparison(folders: list[str | Path], out: str | Path) -> Path:
    """One page: the runs' curves overlaid and their metrics side by side."""
    import tempfile

    from mlpkit.viz.plots import plot_history_overlay

    if len(folders) < 2:
        raise InvalidInputError("compare needs at least two run folders.")
    runs = {Path(f).name if Path(f).name else str(f): _read(Path(f)) for f in folders}
    with tempfile.TemporaryDirectory() as tmp:
        figure = Path(tmp) / "curves.png"
        plot_history_overlay({name: run["history"] for name, run in runs.items()}, figure)
        curves = embedded_image(figure, "validation (dashed) and training loss and accuracy")
    header = ["run", "test accuracy", "test loss", "epochs", "seconds", "parameters", "engine",
              "hidden", "activation"]
    rows = []
    for name, run in runs.items():
        test, info, spec = run["metrics"].get("test", {}), run["metrics"].get("run", {}), \
            run["model"]["spec"]
        rows.append([esc(name), _number(test.get("accuracy")), _number(test.get("loss")),
                     _number(info.get("epochs")), _number(info.get("seconds")),
                     _number(info.get("parameters")), esc(info.get("engine")),
                     esc(spec["hidden"]), esc(spec.get("activations") or spec["activation"])])
    page = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>mlpkit "
            f"comparison</title><style>{STYLE}</style></head><body><h1>mlpkit: "
            f"{len(runs)} runs compared</h1>{html_table(header, rows, cls='metrics')}"
            f"<h2>Curves</h2>{curves}</body></html>")
    out = Path(out)
    atomic.write_text(out, page)
    return out
