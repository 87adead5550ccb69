"""The ``mlpkit sweep`` command: its arguments, and what it prints. The work is in
``mlpkit.sweep``."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from mlpkit.cli.arguments import (
    add_command,
    add_data_arguments,
    add_option_arguments,
    run_config,
)
from mlpkit.errors import InvalidInputError


def add_parser(commands, name: str, summary: str) -> None:
    sweep = add_command(
        commands, name, summary, "Train many networks with options drawn by Optuna's TPE "
        "sampler, prune hopeless ones, score each on the validation rows and the best once on "
        "the test set. The study is kept in OUT/study.db: the same command again continues "
        "it. Writes OUT/best/ (a run folder), OUT/trials.csv and OUT/sweep.html. Training "
        "options given here are fixed for every trial and left out of the search.",
        run_sweep_command)
    groups = {"data": add_data_arguments(sweep), "model": sweep.add_argument_group("model"),
              "train": sweep.add_argument_group("training (fixed for every trial)"),
              "run": sweep.add_argument_group("run")}
    add_option_arguments(groups)
    s = sweep.add_argument_group("sweep")
    s.add_argument("--trials", type=int, metavar="N",
                   help="trials in the study in all (default 50 without --timeout; the "
                        "running ones and pruned ones count)")
    s.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="stop starting trials after this many seconds (running ones stop at "
                        "their next epoch)")
    s.add_argument("--jobs", type=int, default=1, metavar="J",
                   help="trials trained at once, in J processes sharing the cores (default 1: "
                        "reproducible from --seed)")
    s.add_argument("--space", metavar="TOML", help="search space file (docs/sweep.md); "
                                                   "default: depth, widths, activation, "
                                                   "optimizer, lr, batch, dropout, decay, "
                                                   "schedule")
    s.add_argument("--out", metavar="DIR", help="sweep folder (default sweeps/<dataset>)")
    s.add_argument("--storage", metavar="URL",
                   help="a shared Optuna database (e.g. postgresql://user@host/db) that "
                        "workers on several machines fill together (default: OUT/study.db)")
    s.add_argument("--study-name", default="mlpkit-sweep", help="the study's name in --storage")
    s.add_argument("--stale-after", type=float, default=120, metavar="SECONDS",
                   help="a trial whose worker is silent this long (killed, its machine gone) "
                        "is marked failed and its options tried again (default 120)")
    s.add_argument("--config", help="a config.toml every trial starts from")
    s.add_argument("--quiet", action="store_true", help="no progress bar for the best run")


def build_sweep(args: argparse.Namespace):
    """The ``Sweep`` the arguments ask for: the base run (options given are fixed), the space
    less the fixed options, the budget."""
    from mlpkit.options import OPTIONS
    from mlpkit.sweep import SearchSpace, Sweep

    if args.stale_after <= 0:
        raise InvalidInputError(f"--stale-after must be a positive number of seconds, got "
                                f"{args.stale_after}.")
    base = run_config(args)
    fixed = {o.name for o in OPTIONS if o.flag is not None and getattr(args, o.name) is not None}
    if args.space:
        space = SearchSpace.load(args.space)
        both = sorted(fixed & (set(space.parameters) | ({"hidden"} if {"depth", "width"} &
                                                          set(space.parameters) else set())))
        if both:
            raise InvalidInputError(
                f"{', '.join(both)} is both searched ('{args.space}') and fixed on the command "
                "line; drop one.")
    else:
        space = SearchSpace.default()
    out = Path(args.out) if args.out else Path("sweeps") / _name(base.dataset, base)
    return Sweep(base, space.without(fixed), out, args.trials, args.timeout, args.jobs,
                 base.train.seed, args.storage, args.study_name, args.stale_after)


def _name(dataset: str, base) -> str:
    """The default folder's name: the dataset's, or the CSV file's stem."""
    return Path(str(base.dataset_options.get("path", "csv"))).stem if dataset == "csv" \
        else dataset


def run_sweep_command(args: argparse.Namespace) -> int:
    from mlpkit.runs.metrics import headline
    from mlpkit.sweep import run_sweep

    sweep = build_sweep(args)
    command = "mlpkit " + shlex.join(args.argv)
    try:
        outcome = run_sweep(sweep, command, progress=False if args.quiet else None)
    except KeyboardInterrupt:
        print(f"mlpkit: sweep stopped; the study is kept in {sweep.out}; run the same command "
              "to continue it.", file=sys.stderr)
        return 130
    chosen = headline(outcome.best_metrics["val"], "val")
    score = headline(outcome.best_metrics["test"])
    print(f"study: {outcome.trials} trials ({outcome.new} new) in {outcome.out}")
    print(f"best trial {outcome.best_number}: {chosen}; {score} (the test set, scored once)")
    if not outcome.reproduced:
        print("note: retraining the best trial gave another validation score than the trial "
              "(threads add in another order); best/ holds the retrained network.")
    print(f"best run: {outcome.best}   trials: {outcome.out / 'trials.csv'}   report: "
          f"{outcome.report}")
    if outcome.stopped:
        print("mlpkit: stopped after the running trials; run the same command to continue "
              "the study.", file=sys.stderr)
        return 130
    return 0
