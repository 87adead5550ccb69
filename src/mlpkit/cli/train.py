"""``mlpkit train``: a new run, ``--resume`` of an interrupted one, or ``--nproc N`` ranks
under torchrun; then the run's summary and the doctor's warnings."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any

from mlpkit.cli.arguments import (
    add_command,
    add_data_arguments,
    add_option_arguments,
    run_config,
)
from mlpkit.errors import MlpkitError

RESUME_COMPANIONS = ("resume", "epochs", "quiet", "command", "handler", "nproc", "nnodes",
                     "rdzv_endpoint", "argv")


def add_parser(commands, name: str, summary: str) -> None:
    train = add_command(commands, name, summary, "Train an MLP and write a run folder "
                        "(config.toml, model files, history, metrics, plots). Options not given "
                        "come from --config, then defaults.", run_train)
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
    r.add_argument("--nnodes", type=int, metavar="M",
                   help="with --nproc: train on M machines, N processes each; run this same "
                        "command on every machine, with --rdzv-endpoint")
    r.add_argument("--rdzv-endpoint", metavar="HOST:PORT",
                   help="with --nnodes: where the machines meet (torchrun's c10d rendezvous), "
                        "e.g. the first machine's address and a free port")


def _launch_processes(args: argparse.Namespace) -> int | None:
    """``--nproc N``: start N ranks that run this same command under torchrun (after the
    checks that need no data), and return their exit code; None: train in this process."""
    from mlpkit.torch_engine import distributed

    nproc, nnodes = args.nproc, args.nnodes or 1
    if nproc < 1:
        raise MlpkitError(f"--nproc must be 1 or more, got {nproc}.")
    if nnodes < 1 or (nnodes > 1) != bool(args.rdzv_endpoint):
        raise MlpkitError("--nnodes M (1 or more) and --rdzv-endpoint HOST:PORT go together: "
                          "several machines meet at one endpoint.")
    if distributed.launched():        # a rank: torchrun started this process
        world = int(os.environ["WORLD_SIZE"])
        if nproc * nnodes != world:
            raise MlpkitError(f"--nproc {nproc} on {nnodes} machine(s) but torchrun started "
                              f"{world} processes; drop --nproc under torchrun.")
        return None
    if nproc == 1 and nnodes == 1:
        return None
    if args.resume:
        from mlpkit.config import RunConfig
        from mlpkit.runs.folder import read_config

        run = RunConfig.from_toml_dict(read_config(args.resume))
    else:
        run = run_config(args)
    distributed.check_launchable(run.engine, run.train.full_batch_solver, run.ensemble)
    from mlpkit.torch_engine.launcher import launch

    return launch(nproc, ["-m", "mlpkit", *args.argv], nnodes, args.rdzv_endpoint)


def run_train(args: argparse.Namespace) -> int:
    from mlpkit.runs.metrics import headline
    from mlpkit.runs.train import resume, train

    if args.nproc is None and (args.nnodes or args.rdzv_endpoint):
        raise MlpkitError("--nnodes and --rdzv-endpoint need --nproc N: the processes each "
                          "machine starts.")
    if args.nproc is not None:
        code = _launch_processes(args)
        if code is not None:
            return code
    progress = False if args.quiet else None
    if args.resume:
        others = [name for name, value in vars(args).items()
                  if value is not None and name not in RESUME_COMPANIONS]
        if others:
            raise MlpkitError("--resume continues a run with its own config.toml; only --epochs "
                              "and --quiet may go with it.")
        outcome = resume(args.resume, epochs=args.epochs, progress=progress)
    else:
        outcome = train(run_config(args), out=args.out, progress=progress)
    state = outcome.state
    if state.interrupted:
        signum = state.signal or signal.SIGINT
        saved = state.checkpoint_epoch or len(state.history)
        again = f" --nproc {outcome.processes}" if outcome.processes > 1 else ""
        if outcome.main:
            print(f"mlpkit: interrupted during epoch {len(state.history) + 1}; '{outcome.folder}' "
                  f"keeps the checkpoint of epoch {saved}. Resume with: mlpkit train --resume "
                  f"{outcome.folder}{again}", file=sys.stderr)
        return 128 + int(signum)
    if not outcome.main:       # a distributed run's other ranks: rank 0 reports
        return 0
    info = outcome.metrics["run"]
    _print_columns(outcome.metrics["data"])
    print(f"run folder: {outcome.folder}")
    print(f"{info['epochs']} epochs in {info['seconds']:.2f} s on {info['engine']} "
          f"({info['device']}); {headline(outcome.metrics['test'])}")
    if state.stop_reason:
        print(f"stopped: {state.stop_reason}")
    baselines = outcome.metrics.get("baselines")
    if baselines:
        score = next(iter(next(iter(baselines.values()))))
        print(f"baselines (test {score}): " + ", ".join(
            f"{name.replace('_', ' ')} " + (f"{b[score]:.4f} ({b['seconds']:.2f} s)"
                                            if score in b else f"skipped: {b['skipped']}")
            for name, b in baselines.items()))
    _print_warnings(outcome.folder, outcome.findings)
    return 0


def _print_warnings(folder, findings) -> None:
    """The doctor's warnings, after a run (``mlpkit doctor RUN`` shows them all)."""
    warnings_found = [f for f in findings if f.severity == "warning"]
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
