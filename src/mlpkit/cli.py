"""The ``mlpkit`` command: parse arguments, call the library, print. No logic of its own.

Every ``MlpkitError`` (and every argument error) becomes one line on stderr and exit code 2,
never a traceback. An interrupted training run exits 130 (SIGINT) or 143 (SIGTERM).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from mlpkit import __version__
from mlpkit.cli_arguments import (
    Parser,
    add_data_arguments,
    add_engine_arguments,
    add_option_arguments,
    dataset_choice,
    key_value,
    run_config,
)
from mlpkit.cli_inspect import add_inspect_commands
from mlpkit.cli_sweep import add_sweep_command
from mlpkit.errors import DataWarning, MlpkitError


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="mlpkit",
                     description="Feedforward neural networks: train, evaluate and inspect MLPs.")
    parser.add_argument("--version", action="version", version=f"mlpkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    train = commands.add_parser(
        "train", help="train a network and write a run folder",
        description="Train an MLP and write a run folder (config.toml, model files, history, "
                    "metrics, plots). Options not given come from --config, then defaults.")
    groups = {"data": add_data_arguments(train), "model": train.add_argument_group("model"),
              "train": train.add_argument_group("training"),
              "run": train.add_argument_group("run")}
    add_option_arguments(groups)
    r = groups["run"]
    r.add_argument("--out", help="run folder to create (default runs/<dataset>-NNN)")
    r.add_argument("--config", help="a config.toml to start from (e.g. runs/x/config.toml)")
    r.add_argument("--resume", metavar="RUN",
                   help="continue an interrupted run from its last checkpoint (with --epochs: "
                        "train a finished run further)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument("--nproc", type=int, metavar="N",
                   help="train on N local processes with PyTorch DDP (runs torchrun itself; "
                        "torch engine; gloo on the CPU, one GPU per process with CUDA)")
    train.set_defaults(handler=run_train)

    report = commands.add_parser("report", help="(re)build a run's report.html",
                                 description="Rebuild RUN/report.html from the run's files.")
    report.add_argument("run", help="run folder made by 'mlpkit train'")
    report.set_defaults(handler=run_report)

    compare = commands.add_parser(
        "compare", help="one HTML page comparing several runs",
        description="Overlay the runs' curves and put their metrics side by side.")
    compare.add_argument("runs", nargs="+", metavar="RUN", help="two or more run folders")
    compare.add_argument("-o", "--output", default="compare.html", help="HTML file to write")
    compare.add_argument("--overwrite", action="store_true", help="replace an existing output")
    compare.set_defaults(handler=run_compare)

    evaluate = commands.add_parser(
        "evaluate", help="metrics of a trained model on a test set",
        description="Metrics of a run's model: on the run's own test split, or on another "
                    "dataset or CSV file with the same features.")
    evaluate.add_argument("run", help="run folder made by 'mlpkit train'")
    add_data_arguments(evaluate)
    add_engine_arguments(evaluate)
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    evaluate.set_defaults(handler=run_evaluate)

    predict = commands.add_parser(
        "predict", help="predict the rows of a CSV file",
        description="Predict each row of INPUT.csv; write the prediction and class "
                    "probabilities (or the predicted value) to -o OUT.csv.")
    predict.add_argument("run", help="run folder made by 'mlpkit train'")
    predict.add_argument("input", help="CSV whose header names the model's features")
    predict.add_argument("-o", "--output", required=True, help="CSV file to write")
    add_engine_arguments(predict)
    predict.add_argument("--overwrite", action="store_true", help="replace an existing output")
    predict.add_argument("--stream", action="store_true",
                         help="read and write a chunk at a time (any size; CSV or Parquet in)")
    predict.set_defaults(handler=run_predict)

    convert = commands.add_parser(
        "convert", help="a CSV file as Parquet (streamed)",
        description="Write a CSV file as a Parquet file, a chunk at a time, with each column's "
                    "type fixed by the first rows and checked on every later row. Parquet is "
                    "the recommended format for --stream.")
    convert.add_argument("input", help="CSV file to read")
    convert.add_argument("output", help=".parquet file to write")
    convert.add_argument("--overwrite", action="store_true", help="replace an existing output")
    convert.set_defaults(handler=run_convert)

    export = commands.add_parser(
        "export", help="write a model as an ONNX file, preprocessing included",
        description="Export RUN's model to ONNX: imputation, missing indicators, one-hot "
                    "categories, scaling and (regression) the target's units are in the graph; "
                    "run it with ONNX Runtime, no mlpkit needed.")
    export.add_argument("run", help="run folder (mlpkit train) or model folder (save())")
    export.add_argument("--format", choices=["onnx"], default="onnx", help="onnx (the only one)")
    export.add_argument("-o", "--output", required=True, help="file to write, e.g. model.onnx")
    export.add_argument("--overwrite", action="store_true", help="replace an existing output")
    export.set_defaults(handler=run_export)

    progression = commands.add_parser(
        "progression", help="the PyTorch refactoring path, stage by stage",
        description="Train one network six ways (raw tensors -> F.cross_entropy -> nn.Parameter "
                    "-> nn.Linear -> torch.optim -> nn.Sequential) from the same initial "
                    "weights, full batch, and show that every stage computes the same thing.")
    progression.add_argument("--dataset", default="blobs", help="a built-in classification set")
    progression.add_argument("--data-option", action="append", type=key_value,
                             metavar="KEY=VALUE", help="a dataset option (repeatable)")
    progression.add_argument("--hidden", type=int, nargs="+", default=[2], metavar="N",
                             help="hidden layer sizes (2, as in the walk-through)")
    progression.add_argument("--activation", default="sigmoid", choices=["sigmoid", "relu", "tanh"])
    progression.add_argument("--lr", type=float, default=0.2)
    progression.add_argument("--epochs", type=int, default=1000)
    progression.add_argument("--seed", type=int, default=0)
    progression.add_argument("--device", default="auto")
    progression.add_argument("--out", help="folder to create (default runs/progression-<data>-NNN)")
    progression.set_defaults(handler=run_progression_command)

    add_sweep_command(commands)
    add_inspect_commands(commands)
    datasets = commands.add_parser("datasets", help="list the built-in data sets with their shapes",
                                   description="List the built-in data sets with their shapes.")
    datasets.set_defaults(handler=run_datasets)
    return parser


def _launch_processes(args: argparse.Namespace) -> int | None:
    """``--nproc N``: start N ranks that run this same command under torchrun (after the
    checks that need no data), and return their exit code; None: train in this process."""
    from mlpkit.training import distributed

    nproc = args.nproc
    if nproc < 1:
        raise MlpkitError(f"--nproc must be 1 or more, got {nproc}.")
    if distributed.launched():        # a rank: torchrun started this process
        world = int(os.environ["WORLD_SIZE"])
        if nproc != world:
            raise MlpkitError(f"--nproc {nproc} but torchrun started {world} processes; drop "
                              "--nproc under torchrun.")
        return None
    if nproc == 1:
        return None
    if args.resume:
        from mlpkit.config import RunConfig
        from mlpkit.io.runs import read_config

        run = RunConfig.from_toml_dict(read_config(args.resume))
    else:
        run = run_config(args)
    if run.engine == "numpy":
        raise MlpkitError("The numpy engine trains in one process; --nproc runs PyTorch's DDP: "
                          "use --engine torch.")
    if run.train.full_batch_solver:
        raise MlpkitError("lbfgs trains full-batch in one process; use --optimizer sgd or adam "
                          "with --nproc.")
    return distributed.launch(nproc, ["-m", "mlpkit", *args.argv])


def run_train(args: argparse.Namespace) -> int:
    from mlpkit.workflow import resume, train

    if args.nproc is not None:
        code = _launch_processes(args)
        if code is not None:
            return code
    progress = False if args.quiet else None
    if args.resume:
        others = [name for name, value in vars(args).items()
                  if value is not None and name not in ("resume", "epochs", "quiet", "command",
                                                        "handler", "nproc", "argv")]
        if others:
            raise MlpkitError("--resume continues a run with its own config.toml; only --epochs "
                              "and --quiet may go with it.")
        outcome = resume(args.resume, epochs=args.epochs, progress=progress)
    else:
        outcome = train(run_config(args), out=args.out, progress=progress)
    state = outcome.state
    if state.interrupted:
        signum = state.extra.get("signal", signal.SIGINT)
        saved = state.extra.get("checkpoint_epoch", len(state.history))
        again = f" --nproc {outcome.processes}" if outcome.processes > 1 else ""
        if outcome.main:
            print(f"mlpkit: interrupted during epoch {len(state.history) + 1}; '{outcome.folder}' "
                  f"keeps the checkpoint of epoch {saved}. Resume with: mlpkit train --resume "
                  f"{outcome.folder}{again}", file=sys.stderr)
        return 128 + int(signum)
    if not outcome.main:       # a distributed run's other ranks: rank 0 reports
        return 0
    test = outcome.metrics["test"]
    summary = (f"test accuracy {test['accuracy']:.4f}" if "accuracy" in test
               else f"test R2 {test['r2']:.4f}, MAE {test['mae']:.4g}, RMSE {test['rmse']:.4g}")
    info = outcome.metrics["run"]
    _print_columns(outcome.metrics["data"])
    print(f"run folder: {outcome.folder}")
    print(f"{info['epochs']} epochs in {info['seconds']:.2f} s on {info['engine']} "
          f"({info['device']}); {summary}")
    if state.stop_reason:
        print(f"stopped: {state.stop_reason}")
    _print_warnings(outcome.folder)
    return 0


def _print_warnings(folder) -> None:
    """The doctor's warnings, after a run (``mlpkit doctor RUN`` shows them all)."""
    from mlpkit.doctor import diagnose

    warnings_found = [f for f in diagnose(folder) if f.severity == "warning"]
    for finding in warnings_found:
        print(f"warning: [{finding.id}] {finding.message}\n  try: {finding.advice}")
    if warnings_found:
        print(f"(details: mlpkit doctor {folder})")


def _print_columns(data: dict[str, Any]) -> None:
    """A CSV run's data table: each column's role and what was done to it."""
    if "columns" not in data:
        return
    print(data["description"])
    width = max(len(row[0]) for row in data["columns"])
    for name, role, note in data["columns"]:
        print(f"  {name:{width}s}  {role:9s} {note}")
    for note in data.get("notes", []):
        print(f"  note: {note}")


def run_evaluate(args: argparse.Namespace) -> int:
    from mlpkit.workflow import evaluate

    dataset, options = dataset_choice(args)
    metrics = evaluate(args.run, dataset, options, engine=args.engine, device=args.device)
    if args.json:
        print(json.dumps(metrics, indent=2))
        return 0
    for key in ("accuracy", "precision_macro", "recall_macro", "f1_macro", "loss", "r2", "mae",
                "rmse", "mse", "rows_without_target", "n_samples"):
        if key in metrics:
            value = metrics[key]
            print(f"{key:16s} {value:.4f}" if isinstance(value, float) else f"{key:16s} {value}")
    return 0


def run_predict(args: argparse.Namespace) -> int:
    from mlpkit.workflow import predict

    n = predict(args.run, args.input, args.output, engine=args.engine, device=args.device,
                overwrite=args.overwrite, stream=args.stream)
    print(f"wrote {n} predictions to {args.output}")
    return 0


def run_convert(args: argparse.Namespace) -> int:
    from mlpkit.streamed import convert

    rows, groups = convert(args.input, args.output, overwrite=args.overwrite)
    print(f"wrote {rows} rows in {groups} row groups to {args.output}")
    return 0


def run_report(args: argparse.Namespace) -> int:
    from mlpkit.viz.report import build_report

    print(f"wrote {build_report(args.run)}")
    return 0


def run_compare(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mlpkit.viz.report import build_comparison

    if Path(args.output).exists() and not args.overwrite:
        raise MlpkitError(f"Output file '{args.output}' already exists; choose another -o or "
                          "pass --overwrite.")
    print(f"wrote {build_comparison(args.runs, args.output)}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from mlpkit.export import describe_inputs, export_onnx
    from mlpkit.model import TrainedModel

    model = TrainedModel.load(args.run)
    path = export_onnx(model, args.output, overwrite=args.overwrite)
    print(f"wrote {path}; inputs: {describe_inputs(model)}")
    return 0


def run_progression_command(args: argparse.Namespace) -> int:
    from mlpkit.classic.progression import table
    from mlpkit.workflow import progression

    folder, results = progression(args.dataset, dict(args.data_option or []), tuple(args.hidden),
                                  args.activation, args.lr, args.epochs, args.device, args.seed,
                                  args.out)
    print(table(results))
    print(f"wrote {folder}/progression.csv and progression.png")
    return 0


def run_datasets(args: argparse.Namespace) -> int:
    from mlpkit.data import describe_datasets

    rows = describe_datasets()
    columns = ("name", "train", "test", "classes")
    widths = {c: max(len(c), *(len(r.get(c, "-")) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns) + "  source")
    for row in rows:
        print("  ".join(row.get(c, "-").ljust(widths[c]) for c in columns) + "  " + row["source"])
    return 0


def _os_error(exc: OSError) -> str:
    import errno

    where = f" '{exc.filename}'" if exc.filename else ""
    fix = {errno.ENOSPC: "free some space or write somewhere else (--out, -o)",
           errno.EDQUOT: "free some space or write somewhere else (--out, -o)",
           errno.EROFS: "write somewhere else (--out, -o)",
           errno.EACCES: "check the permissions, or write somewhere else (--out, -o)",
           errno.EPERM: "check the permissions, or write somewhere else (--out, -o)"}.get(
               exc.errno, "check the path and try again")
    reason = exc.strerror or type(exc).__name__
    return f"{reason}{where}; {fix}. Nothing was left half-written."


def _reports(exc: Exception) -> bool:
    """Whether this process prints the error: under torchrun every rank meets the same bad
    input, so rank 0 alone says it, unless the error is this rank's own (a peer failure)."""
    from mlpkit.training.distributed import DistributedError, rank

    return rank() == 0 or isinstance(exc, DistributedError)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv           # --nproc starts processes that run the same command
    if args.command is None:
        parser.print_help()
        return 0
    shown = warnings.showwarning

    def show(message, category, *rest, **kwargs):   # a DataWarning is one line, like errors
        if issubclass(category, DataWarning):
            print(f"mlpkit: warning: {message}", file=sys.stderr)
        else:
            shown(message, category, *rest, **kwargs)

    warnings.showwarning = show
    try:
        return args.handler(args)
    except MlpkitError as exc:
        if _reports(exc):
            print(f"mlpkit: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:          # disk full, read-only, permission denied: what, where, fix
        if _reports(exc):
            print(f"mlpkit: error: {_os_error(exc)}", file=sys.stderr)
        return 2
    finally:
        warnings.showwarning = shown
