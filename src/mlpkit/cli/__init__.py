"""The ``mlpkit`` command: one module per command group, found through ``COMMANDS``.

As pip's and huggingface_hub's command lines do, the table maps each command to the module
that parses it and to its one-line help; ``main`` builds the full parser of the one command
being run (and only names the others), so a command imports nothing it does not use. Every
``MlpkitError`` (and every argument error) becomes one line on stderr and exit code 2, never a
traceback; an interrupted training run exits 130 (SIGINT) or 143 (SIGTERM).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Sequence

from mlpkit._version import __version__
from mlpkit.cli.arguments import Parser
from mlpkit.errors import DataWarning, MlpkitError

# command -> (module under mlpkit.cli that adds its parser and runs it, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("train", "train a network and write a run folder"),
    "report": ("use", "(re)build a run's report.html"),
    "compare": ("use", "one HTML page comparing several runs"),
    "evaluate": ("use", "metrics of a trained model on a test set"),
    "predict": ("use", "predict the rows of a CSV file"),
    "convert": ("use", "a CSV file as Parquet (streamed)"),
    "export": ("use", "write a model as an ONNX file, preprocessing included"),
    "progression": ("teach", "the PyTorch refactoring path, stage by stage"),
    "sweep": ("sweep", "search the best network with Optuna (pruning, parallel, resumable)"),
    "doctor": ("inspect", "diagnose a training run in plain words"),
    "gradcheck": ("inspect", "check the NumPy engine's gradients against finite differences "
                             "and PyTorch autograd"),
    "explain": ("inspect", "one training step of a tiny network, every number written out"),
    "datasets": ("teach", "list the built-in data sets with their shapes"),
    "playground": ("playground", "build and train a network live in the browser"),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``only``, that command's full parser and the others by
    name and help alone (enough to list them and to refuse a typo)."""
    parser = Parser(prog="mlpkit",
                    description="Feedforward neural networks: train, evaluate and inspect MLPs.")
    parser.add_argument("--version", action="version", version=f"mlpkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, (module, summary) in COMMANDS.items():
        if only is None or name == only:
            importlib.import_module(f"mlpkit.cli.{module}").add_parser(commands, name, summary)
        else:
            commands.add_parser(name, help=summary)
    return parser


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


def _prints_errors(exc: Exception) -> bool:
    """Whether this process prints the error: under torchrun every rank meets the same bad
    input, so rank 0 alone says it, unless the error is this rank's own (a peer failure)."""
    from mlpkit.torch_engine.distributed import DistributedError, rank

    return rank() == 0 or isinstance(exc, DistributedError)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
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
        if _prints_errors(exc):
            print(f"mlpkit: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:          # disk full, read-only, permission denied: what, where, fix
        if _prints_errors(exc):
            print(f"mlpkit: error: {_os_error(exc)}", file=sys.stderr)
        return 2
    finally:
        warnings.showwarning = shown
