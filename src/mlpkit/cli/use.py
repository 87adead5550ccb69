"""The commands that use a trained model or its run folder: ``evaluate``, ``predict``,
``convert`` (a table for ``--stream``), ``export``, ``report`` and ``compare``."""

from __future__ import annotations

import argparse
import json

from mlpkit.cli.arguments import add_data_arguments, add_engine_arguments, dataset_choice

RUN_HELP = "run folder made by 'mlpkit train'"
EVALUATE_KEYS = ("accuracy", "precision_macro", "recall_macro", "f1_macro", "loss", "r2", "mae",
                 "rmse", "mse", "rows_without_target", "n_samples")


def add_parser(commands, name: str, summary: str) -> None:
    {"evaluate": _evaluate, "predict": _predict, "convert": _convert, "export": _export,
     "report": _report, "compare": _compare}[name](commands, name, summary)


def _overwrite(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")


def _evaluate(commands, name: str, summary: str) -> None:
    evaluate = commands.add_parser(
        name, help=summary,
        description="Metrics of a run's model: on the run's own test split, or on another "
                    "dataset or CSV file with the same features.")
    evaluate.add_argument("run", help=RUN_HELP)
    add_data_arguments(evaluate)
    add_engine_arguments(evaluate)
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    evaluate.set_defaults(handler=run_evaluate)


def _predict(commands, name: str, summary: str) -> None:
    predict = commands.add_parser(
        name, help=summary,
        description="Predict each row of INPUT.csv; write the prediction and class "
                    "probabilities (or the predicted value) to -o OUT.csv.")
    predict.add_argument("run", help=RUN_HELP)
    predict.add_argument("input", help="CSV whose header names the model's features")
    predict.add_argument("-o", "--output", required=True, help="CSV file to write")
    add_engine_arguments(predict)
    _overwrite(predict)
    predict.add_argument("--stream", action="store_true",
                         help="read and write a chunk at a time (any size; CSV or Parquet in)")
    predict.set_defaults(handler=run_predict)


def _convert(commands, name: str, summary: str) -> None:
    convert = commands.add_parser(
        name, help=summary,
        description="Write a CSV file as a Parquet file, a chunk at a time, with each column's "
                    "type fixed by the first rows and checked on every later row. Parquet is "
                    "the recommended format for --stream.")
    convert.add_argument("input", help="CSV file to read")
    convert.add_argument("output", help=".parquet file to write")
    _overwrite(convert)
    convert.set_defaults(handler=run_convert)


def _export(commands, name: str, summary: str) -> None:
    export = commands.add_parser(
        name, help=summary,
        description="Export RUN's model to ONNX: imputation, missing indicators, one-hot "
                    "categories, scaling and (regression) the target's units are in the graph; "
                    "run it with ONNX Runtime, no mlpkit needed.")
    export.add_argument("run", help="run folder (mlpkit train) or model folder (save())")
    export.add_argument("--format", choices=["onnx"], default="onnx", help="onnx (the only one)")
    export.add_argument("-o", "--output", required=True, help="file to write, e.g. model.onnx")
    _overwrite(export)
    export.set_defaults(handler=run_export)


def _report(commands, name: str, summary: str) -> None:
    report = commands.add_parser(name, help=summary,
                                 description="Rebuild RUN/report.html from the run's files.")
    report.add_argument("run", help=RUN_HELP)
    report.set_defaults(handler=run_report)


def _compare(commands, name: str, summary: str) -> None:
    compare = commands.add_parser(
        name, help=summary,
        description="Overlay the runs' curves and put their metrics side by side.")
    compare.add_argument("runs", nargs="+", metavar="RUN", help="two or more run folders")
    compare.add_argument("-o", "--output", default="compare.html", help="HTML file to write")
    _overwrite(compare)
    compare.set_defaults(handler=run_compare)


def run_evaluate(args: argparse.Namespace) -> int:
    from mlpkit.runs.use import evaluate

    dataset, options = dataset_choice(args)
    metrics = evaluate(args.run, dataset, options, engine=args.engine, device=args.device)
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
                overwrite=args.overwrite, stream=args.stream)
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
