"""The commands for learning: ``progression`` (the PyTorch refactoring path, stage by stage)
and ``datasets`` (what is built in)."""

from __future__ import annotations

import argparse

from mlpkit.cli.arguments import add_command, key_value

ACTIVATIONS = ("sigmoid", "relu", "tanh")


def add_parser(commands, name: str, summary: str) -> None:
    if name == "datasets":
        add_command(commands, name, summary, "List the built-in data sets with their shapes.",
                    run_datasets)
        return
    progression = add_command(
        commands, name, summary, "Train one network six ways (raw tensors -> F.cross_entropy "
        "-> nn.Parameter -> nn.Linear -> torch.optim -> nn.Sequential) from the same initial "
        "weights, full batch, and show that every stage computes the same thing.",
        run_progression)
    progression.add_argument("--dataset", default="blobs", help="a built-in classification set")
    progression.add_argument("--data-option", action="append", type=key_value,
                             metavar="KEY=VALUE", help="a dataset option (repeatable)")
    progression.add_argument("--hidden", type=int, nargs="+", default=[2], metavar="N",
                             help="hidden layer sizes (2, as in the walk-through)")
    progression.add_argument("--activation", default="sigmoid", choices=ACTIVATIONS)
    progression.add_argument("--lr", type=float, default=0.2)
    progression.add_argument("--epochs", type=int, default=1000)
    progression.add_argument("--seed", type=int, default=0)
    progression.add_argument("--device", default="auto")
    progression.add_argument("--out", help="folder to create (default runs/progression-<data>-NNN)")


def run_progression(args: argparse.Namespace) -> int:
    from mlpkit.classic.progression import progression, table

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
