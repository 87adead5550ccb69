"""The command line's arguments: the parser's pieces, and what the arguments mean (a dataset
and its options, a ``RunConfig``). The command modules of ``cli/`` build from them."""

from __future__ import annotations

import argparse
from typing import Any

from mlpkit.errors import MlpkitError


class Parser(argparse.ArgumentParser):
    """argparse, but an error is one line (no usage block) and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}; see '{self.prog} --help'.\n")


def add_command(commands, name: str, summary: str, description: str,
                handler) -> argparse.ArgumentParser:
    """A command's parser: its one-line help (from ``COMMANDS``), its description, its
    handler."""
    parser = commands.add_parser(name, help=summary, description=description)
    parser.set_defaults(handler=handler)
    return parser


def add_run_argument(parser: argparse.ArgumentParser,
                     help: str = "run folder made by 'mlpkit train'") -> None:
    parser.add_argument("run", help=help)


def add_output_arguments(parser: argparse.ArgumentParser, required: bool = True,
                         default: str | None = None, help: str = "file to write") -> None:
    """-o FILE, and --overwrite to replace it (an existing output is never replaced unasked)."""
    parser.add_argument("-o", "--output", required=required, default=default, help=help)
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")


def key_value(text: str) -> tuple[str, Any]:
    """KEY=VALUE with VALUE read as a number, true/false, or else text."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    for cast in (int, float):
        try:
            return key, cast(value)
        except ValueError:
            pass
    if value.lower() in ("true", "false"):
        return key, value.lower() == "true"
    return key, value


def add_option_arguments(groups: dict[str, Any]) -> None:
    """One flag per option of the table, in its section's group; None means "not given"."""
    from mlpkit.options import OPTIONS

    for option in OPTIONS:
        if option.flag is None:
            continue
        group = groups[option.section]
        if option.parse is None:                  # a switch
            negative = option.flag.startswith("--no-")
            group.add_argument(option.flag, dest=option.name, default=None,
                               action="store_false" if negative else "store_true",
                               help=f"do not {option.help}" if negative else option.help)
            if negative:        # the default, to say over a --config that turned it off
                group.add_argument("--" + option.flag[5:], dest=option.name, default=None,
                                   action="store_true", help=f"{option.help} (the default)")
            else:               # off, to say over a --config or the table recipe
                group.add_argument("--no-" + option.flag[2:], dest=option.name, default=None,
                                   action="store_false", help=f"do not {option.help}")
            continue
        default = option.default
        shown = " ".join(map(str, default)) if isinstance(default, tuple) else default
        group.add_argument(option.flag, dest=option.name, type=option.parse,
                           choices=option.choices, nargs=option.nargs, default=None,
                           metavar=None if option.choices else option.name.upper(),
                           help=option.help + ("" if default is None else f" (default: {shown})"))


def add_data_arguments(p: argparse.ArgumentParser):
    g = p.add_argument_group("data")
    g.add_argument("--dataset", help="built-in data set (see 'mlpkit datasets'); default blobs")
    g.add_argument("--data-dir", help="folder with the MNIST / Fashion-MNIST files")
    g.add_argument("--csv", help="your own CSV or Parquet file, or folder of Parquet files "
                                 "(instead of --dataset)")
    g.add_argument("--target", help="the CSV's target column (default: the last)")
    g.add_argument("--test-csv", help="a separate test CSV with the same columns")
    g.add_argument("--impute", choices=["median", "mean", "drop", "none"],
                   help="missing CSV values: median (default) or mean, plus a missing "
                        "indicator; drop those rows; none: refuse them")
    g.add_argument("--point-masses", type=float, metavar="SHARE",
                   help="a number's value that this share of the training rows hold (a count "
                        "that is mostly 0, a bound many rows sit at) also becomes a 0/1 "
                        "feature; 0: none (default 0.2)")
    g.add_argument("--codes", type=int, metavar="MOST",
                   help="a column of whole numbers with 3 to MOST distinct values, each seen "
                        "10 times on average (a code: a state, a year, a rating) also gets a "
                        "0/1 feature per value; 0: none (default 50)")
    g.add_argument("--features", nargs="+", metavar="COL",
                   help="use exactly these CSV columns (none is left out)")
    g.add_argument("--drop", nargs="+", metavar="COL", help="leave these CSV columns out")
    g.add_argument("--task", choices=["classification", "regression"],
                   help="override the task inferred from the CSV target")
    g.add_argument("--stream", action="store_true", default=None,
                   help="read the CSV or Parquet file (or folder) a chunk at a time: any size, "
                        "bounded memory (two passes first: encoding, scaling)")
    g.add_argument("--data-option", action="append", type=key_value, metavar="KEY=VALUE",
                   help="a dataset option, e.g. noise=0.3 or n_samples=5000 (repeatable)")
    return g


def add_engine_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=["numpy", "torch"],
                   help="engine to predict with (default: the one that trained the model)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or mps (torch engine)")


def dataset_choice(args: argparse.Namespace) -> tuple[str | None, dict[str, Any]]:
    """(dataset name, options) from --dataset/--csv and their options; (None, {}) if neither."""
    options = dict(args.data_option or [])
    if args.csv:
        if args.dataset:
            raise MlpkitError("Give --dataset or --csv, not both.")
        options["path"] = args.csv
        if args.stream:
            options["stream"] = True
        for key in ("target", "test_csv", "impute", "task", "features", "drop",
                    "point_masses", "codes"):
            value = getattr(args, key)
            if value is not None:
                options["test_path" if key == "test_csv" else key] = value
        if getattr(args, "loss", None) == "poisson":       # counts: whole numbers, but a
            options.setdefault("task", "regression")       # rate to learn, not classes
        return "csv", options
    if args.stream:
        raise MlpkitError("--stream reads your own file: pass --csv FILE (a CSV or Parquet "
                          "file, or a folder of Parquet files).")
    if args.data_dir:
        options["data_dir"] = args.data_dir
    return args.dataset, options


def run_config(args: argparse.Namespace):
    """--config (or the defaults), then every option given on the command line."""
    from dataclasses import replace

    from mlpkit.config import RunConfig
    from mlpkit.options import OPTIONS
    from mlpkit.runs.folder import read_config

    dataset, options = dataset_choice(args)
    base = RunConfig.from_toml_dict(read_config(args.config)) if args.config else \
        RunConfig.for_data(dataset or "blobs", options)    # a table: the table recipe's
    given = {o.name: getattr(args, o.name) for o in OPTIONS
             if o.flag is not None and getattr(args, o.name) is not None}
    if given.get("batch_size") == "full":
        given["batch_size"] = None
    run = base.with_options(given)
    return run if dataset is None else replace(run, dataset=dataset, dataset_options=options)
