"""The ``mlpkit`` command: parse arguments, call the library, print. No logic of its own.

Every ``MlpkitError`` becomes one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mlpkit import __version__
from mlpkit.errors import MlpkitError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlpkit",
        description="Feedforward neural networks: train, evaluate and inspect MLPs.",
    )
    parser.add_argument("--version", action="version", version=f"mlpkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    datasets = commands.add_parser("datasets", help="list the built-in data sets with their shapes",
                                   description="List the built-in data sets with their shapes.")
    datasets.set_defaults(handler=run_datasets)
    return parser


def run_datasets(args: argparse.Namespace) -> int:
    from mlpkit.data import describe_datasets

    rows = describe_datasets()
    columns = ("name", "train", "test", "classes", "source")
    widths = {c: max(len(c), *(len(r.get(c, "-")) for r in rows)) for c in columns[:-1]}
    print("  ".join(c.ljust(widths[c]) for c in columns[:-1]) + "  source")
    for row in rows:
        print("  ".join(row.get(c, "-").ljust(widths[c]) for c in columns[:-1])
              + "  " + row["source"])
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.handler(args)
    except MlpkitError as exc:
        print(f"mlpkit: error: {exc}", file=sys.stderr)
        return 2
