"""The commands that use a trained model or its run folder: ``evaluate``, ``predict``,
``convert`` (a table for ``--stream``), ``export``, ``report`` and ``compare``."""

from __future__ import annotations

import argparse
import json

from mlpkit.cli.arguments import (
    add_command,
    add_data_arguments,
    add_engine_arguments,
    add_output_arguments,
    add_run_argument,
    dataset_choice,
)

EVALUATE_KEYS = ("accuracy", "precision_macro", "recall_macro", "f1_macro", "loss", "r2", "mae",
                 "rmse", "mse", "rows_without_target", "n_samples")


def add_parser(commands, name: str, summary: str) -> None:
    {"evaluate": _evaluate, "predict": _predict, "convert": _convert, "export": _export,
     "report": _report, "compare": _compare}[name](commands, name, summary)


def _evaluate(commands, name: str, summary: str) -> None:
    p = add_command(commands, name, summary, "Metrics of a run's model: on the run's own test "
                    "split, or on another dataset or CSV file with the same features.",
                    run_evaluate)
    add_run_argument(p)
    add_data_arguments(p)
    add_engine_arguments(p)
    _add_strict_argument(p)
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")


def _add_strict_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--strict", action="store_true",
                   help="refuse rows with a missing value in a column that had none in "
                        "training, or a category never seen (by default: filled, and said once)")


def _predict(commands, name: str, summary: str) -> None:
    p = add_command(commands, name, summary, "Predict each row of INPUT.csv; write the "
                    "prediction and class probabilities (or the predicted value) to -o OUT.csv.",
                    run_predict)
    add_run_argument(p)
    p.add_argument("input", help="CSV whose header names the model's features")
    add_output_arguments(p, help="CSV file to write")
    add_engine_arguments(p)
    p.add_argument("--stream", action="store_true",
                   help="read and write a chunk at a time (any size; CSV or Parquet in)")
    _add_strict_argument(p)


def _convert(commands, name: str, summary: str) -> None:
    p = add_command(commands, name, summary, "Write a CSV file as a Parquet file, a chunk at a "
                    "time, with each column's type fixed by the first rows and checked on "
                    "every later row. Parquet is the recommended format for --stream.",
                    run_convert)
    p.add_argument("input", help="CSV file to read")
    p.add_argument("output", help=".parquet file to write")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")


def _export(commands, name: str, summary: str) -> None:
    p = add_command(commands, name, summary, "Export RUN's model to ONNX: imputation, missing "
                    "indicators, one-hot categories, scaling and (regression) the target's "
                    "units are in the graph; run it with ONNX Runtime, no mlpkit needed.",
                    run_export)
    add_run_argument(p, "run folder (mlpkit train) or model folder (save())")
    p.add_argument("--format", choices=["onnx"], default="onnx", help="onnx (the only one)")
    add_output_arguments(p, help="file to write, e.g. model.onnx")


def _report(commands, name: str, summary: str) -> None:
    add_run_argument(add_command(commands, name, summary,
                                 "Rebuild RUN/report.html from the run's files.", run_report))


def _compare(commands, name: str, summary: str) -> None:
    p = add_command(commands, name, summary, "Overlay the runs' curves and put their metrics "
                    "side by side.", run_compare)
    p.add_argument("runs", nargs="+", metavar="RUN", help="two or more run folders")
    add_output_arguments(p, required=False, default="compare.html", help="HTML file to write")


def run_evaluate(args: argparse.Namespace) -> int:
    from mlpkit.runs.use import evaluate

    dataset, options = dataset_choice(args)
    metrics = evaluate(args.run, dataset, options, engine=args.engine, device=args.device,
                       strict=args.strict)
    if args.json:
        print(json.dumps(metrics, indent=2))
        return 0
    for key in EVALUATE_KEYS:
        if key in metrics:
            value = metrics[key]
            print(f"{key:16s} {value:.4f}" if isinstance(value, float) else f"{key:16s} {value}")
    return 0


def run_predict(args: argparse.Namespace) -> int:
    from mlpkit.runs.use import predict

    n = predict(args.run, args.input, args.output, engine=args.engine, device=args.device,
                overwrite=args.overwrite, stream=args.stream, strict=args.strict)
    print(f"wrote {n} predictions to {args.output}")
    return 0


def run_convert(args: argparse.Namespace) -> int:
    from mlpkit.runs.convert import convert

    rows, groups = convert(args.input, args.output, overwrite=args.overwrite)
    print(f"wrote {rows} rows in {groups} row groups to {args.output}")
    return 0


def run_report(args: argparse.Namespace) -> int:
    from mlpkit.viz.report import build_report

    print(f"wrote {build_report(args.run)}")
    return 0


def run_compare(args: argparse.Namespace) -> int:
    from mlpkit.io.atomic import refuse_existing
    from mlpkit.viz.report import build_comparison

    refuse_existing(args.output, args.overwrite)
    print(f"wrote {build_comparison(args.runs, args.output)}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from mlpkit.export import describe_inputs, export_onnx
    from mlpkit.model import TrainedModel

    model = TrainedModel.load(args.run)
    path = export_onnx(model, args.output, overwrite=args.overwrite)
    print(f"wrote {path}; inputs: {describe_inputs(model)}")
    return 0
