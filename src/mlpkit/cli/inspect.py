"""The commands that look inside: ``doctor`` (a run's diagnosis), ``gradcheck`` and ``explain``
(the NumPy engine's backpropagation, checked and written out). Parsing and printing only."""

from __future__ import annotations

import argparse
import json

from mlpkit.cli.arguments import add_command, add_output_arguments, add_run_argument
from mlpkit.errors import InvalidInputError
from mlpkit.options import ACTIVATIONS


def add_parser(commands, name: str, summary: str) -> None:
    {"doctor": _doctor, "gradcheck": _gradcheck, "explain": _explain}[name](
        commands, name, summary)


def _doctor(commands, name: str, summary: str) -> None:
    p = add_command(commands, name, summary, "Read a run folder's history and per-layer "
                    "statistics and list what went wrong (divergence, learning rate, dead or "
                    "saturated units, vanishing or exploding gradients, unscaled inputs, over- "
                    "or underfitting, a neglected rare class), each with its evidence and the "
                    "command that fixes it.", run_doctor)
    add_run_argument(p)
    p.add_argument("--json", action="store_true",
                   help='print {"findings": [{"id", "severity", "message", "evidence", '
                        '"advice"}]}')


def _gradcheck(commands, name: str, summary: str) -> None:
    p = add_command(commands, name, summary, "Build a small network, backpropagate by hand (the "
                    "NumPy engine) and compare every parameter's gradient with central finite "
                    "differences and with PyTorch autograd on the same weights. Exit 1 if any "
                    "relative error exceeds the tolerance.", run_gradcheck)
    _network_arguments(p, hidden=[5, 4], activation="tanh", inputs=3)
    p.add_argument("--loss", default="cross_entropy",
                   choices=["cross_entropy", "mse", "softmax_mse", "bce_with_logits"])
    p.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    p.add_argument("--outputs", type=int, default=3, help="outputs / classes (3)")
    p.add_argument("--embedding", choices=["periodic", "piecewise"],
                   help="put that embedding in front (the table recipe's layer; piecewise has "
                   "no parameters: add --input-scaling to check its backward pass)")
    p.add_argument("--ensemble", type=int, default=1, metavar="K",
                   help="K members side by side, each on its own rows of outputs (1)")
    p.add_argument("--input-scaling", action="store_true",
                   help="put the learned scale per input in front (the scaling layer)")
    p.add_argument("--parametric-activation", action="store_true",
                   help="each hidden unit's learned share of its activation, x + a (f(x) - x)")
    p.add_argument("--parametrization", choices=["standard", "ntk"], default="standard",
                   help="ntk: each layer's product times 1/sqrt(fan_in) (standard)")
    p.add_argument("--category-embedding", type=int, default=0, metavar="D",
                   help="the inputs after the first as one category's one-hot block, embedded "
                   "in D values (0: none)")
    p.add_argument("--rows", type=int, default=8, help="random rows (8)")
    p.add_argument("--tolerance", type=float, help="largest relative error accepted (1e-5 for "
                                                   "float64, 1e-3 for float32)")


def _explain(commands, name: str, summary: str) -> None:
    p = add_command(commands, name, summary, "Run one SGD step of a small network (2-3-2 on "
                    "the four XOR points by default) and write out every forward value, the "
                    "loss, every backward quantity with its shape and chain-rule formula, and "
                    "the update.", run_explain)
    _network_arguments(p, hidden=[3], activation="sigmoid", inputs=2)
    p.add_argument("--loss", default="cross_entropy", choices=["cross_entropy", "mse"])
    p.add_argument("--lr", type=float, default=0.5, help="the step's learning rate (0.5)")
    p.add_argument("--classes", type=int, default=2, help="classes (2)")
    p.add_argument("--rows", type=int, default=4,
                   help="rows (4: the XOR points; other shapes: seeded random rows)")
    p.add_argument("--model", metavar="RUN", help="explain a step of this trained classifier "
                   "(a run or model folder; the playground's export too) instead")
    p.add_argument("--point", nargs="+", type=float, metavar="V",
                   help="with --model: the row, one value per input column, in its units")
    p.add_argument("--label", type=int, default=0, help="with --model: the row's class index")
    add_output_arguments(p, required=False, help="also write the step as an HTML page")


def _network_arguments(parser: argparse.ArgumentParser, hidden: list[int], activation: str,
                       inputs: int) -> None:
    parser.add_argument("--hidden", type=int, nargs="+", default=hidden, metavar="N",
                        help=f"hidden layer sizes (default: {' '.join(map(str, hidden))})")
    parser.add_argument("--activation", default=activation, choices=ACTIVATIONS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--inputs", type=int, default=inputs, help=f"input features ({inputs})")


def _check_sizes(**sizes: int) -> None:
    for name, value in sizes.items():
        values = value if isinstance(value, list) else [value]
        if any(v < 1 or v > 64 for v in values):
            raise InvalidInputError(f"--{name} must be between 1 and 64 (a network small "
                                    f"enough to check or read), got {value}.")


def run_doctor(args: argparse.Namespace) -> int:
    from mlpkit.diagnostics.doctor import as_json, diagnose

    findings = diagnose(args.run)
    if args.json:
        print(json.dumps(as_json(findings), indent=2))
        return 0
    if not findings:
        print(f"{args.run}: no findings; training looks healthy.")
    for finding in findings:
        print(f"{finding.severity}: [{finding.id}] {finding.message}\n  try: {finding.advice}")
    return 0


def run_gradcheck(args: argparse.Namespace) -> int:
    from mlpkit.diagnostics.gradient_table import TOLERANCE, format_table, gradient_table

    _check_sizes(hidden=args.hidden, inputs=args.inputs, outputs=args.outputs, rows=args.rows,
                 ensemble=args.ensemble)
    if not 0 <= args.category_embedding <= 64 or args.category_embedding and args.inputs < 3:
        raise InvalidInputError("--category-embedding must be between 0 and 64, with --inputs "
                                "3 or more (a number, then a category of 2 values or more), "
                                f"got {args.category_embedding} with {args.inputs} inputs.")
    tolerance = args.tolerance or TOLERANCE[args.dtype]
    rows = gradient_table(tuple(args.hidden), args.activation, args.loss, args.dtype,
                          args.inputs, args.outputs, args.rows, args.seed, args.embedding,
                          args.ensemble, args.input_scaling, args.parametric_activation,
                          args.parametrization, args.category_embedding)
    print(("input scaling, " if args.input_scaling else "")
          + ("parametric activations, " if args.parametric_activation else "")
          + ("ntk parametrisation, " if args.parametrization == "ntk" else "")
          + (f"a category embedded in {args.category_embedding}, "
             if args.category_embedding else "")
          + (f"{args.embedding} embedding, " if args.embedding else "")
          + (f"{args.ensemble} members of " if args.ensemble > 1 else "")
          + f"{args.inputs}-{'-'.join(map(str, args.hidden))}-{args.outputs} {args.activation}, "
          f"{args.loss}, {args.dtype}, {args.rows} rows; tolerance {tolerance:g}")
    print(format_table(rows, tolerance))
    worst = max(max(r.vs_differences, r.vs_autograd) for r in rows)
    print(f"largest relative error {worst:.2e}: "
          + ("every gradient agrees" if worst <= tolerance else "GRADIENTS DISAGREE"))
    return 0 if worst <= tolerance else 1


def run_explain(args: argparse.Namespace) -> int:
    from mlpkit.diagnostics.explain import as_text, explain_step, explain_trained, write_html

    if args.model is not None:
        from mlpkit.model import TrainedModel

        if not args.point:
            raise InvalidInputError("--model needs --point V [V ...]: the row to step on.")
        steps = explain_trained(TrainedModel.load(args.model), args.point, args.label, args.lr)
        title = f"One SGD step of {args.model} on {args.point} (class {args.label}, lr {args.lr:g})"
        print(title)
        print(as_text(steps))
        if args.output:
            print(f"wrote {write_html(steps, args.output, title, args.overwrite)}")
        return 0
    _check_sizes(hidden=args.hidden, inputs=args.inputs, classes=args.classes, rows=args.rows)
    if args.classes < 2:
        raise InvalidInputError("--classes must be at least 2 (a softmax over classes).")
    steps = explain_step(tuple(args.hidden), args.activation, args.loss, args.lr, args.inputs,
                         args.classes, args.rows, args.seed)
    title = (f"One SGD step of a {args.inputs}-{'-'.join(map(str, args.hidden))}-"
             f"{args.classes} {args.activation} network ({args.loss}, lr {args.lr:g})")
    print(title)
    print(as_text(steps))
    if args.output:
        print(f"wrote {write_html(steps, args.output, title, args.overwrite)}")
    return 0
