"""``mlpkit playground``: a local page that builds and trains a network live, on mlpkit's own
engines (``mlpkit.playground``)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from mlpkit.cli.arguments import add_command
from mlpkit.errors import InvalidInputError


def add_parser(commands, name: str, summary: str) -> None:
    p = add_command(commands, name, summary, "Start a local web page (127.0.0.1 only, with a "
                    "per-start token) where you pick data, build a network, press play and "
                    "watch every neuron, the decision surface, the curves and the doctor live. "
                    "Ctrl-C stops it.", run_playground)
    p.add_argument("--csv", help="your own table (its columns: pick two to draw)")
    p.add_argument("--target", help="the table's target column (default: the last)")
    p.add_argument("--engine", choices=["numpy", "torch"], default="numpy")
    p.add_argument("--seed", type=int, default=0, help="the initial weights' seed (0)")
    p.add_argument("--port", type=int, default=8765,
                   help="port (8765; 0 or a busy one: any free port)")
    p.add_argument("--exports", default="runs",
                   help="folder the page's export writes run folders into (runs)")
    p.add_argument("--no-browser", action="store_true", help="print the URL only")


def run_playground(args: argparse.Namespace) -> int:
    from mlpkit.playground.server import Playground
    from mlpkit.playground.settings import Settings
    from mlpkit.playground.worker import Worker

    if not 0 <= args.port <= 65535:
        raise InvalidInputError(f"--port must be 0 to 65535; got {args.port}.")
    csv = None
    settings = Settings(engine=args.engine, seed=args.seed)
    if args.csv is not None:
        if not Path(args.csv).is_file():
            raise InvalidInputError(f"No file '{args.csv}'; pass an existing CSV to --csv.")
        csv = {"path": str(Path(args.csv).resolve()), "target": args.target}
        settings = Settings(dataset="csv", engine=args.engine, seed=args.seed)
    worker = Worker(settings, csv, args.exports)
    if worker.error is not None:
        worker.close()
        raise InvalidInputError(worker.error)
    server = Playground(worker, args.port)
    # Ctrl-C stops it, as it stops `train` and `sweep`, even where a shell started it with
    # SIGINT ignored (a background job of a script), which Python would keep
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:                       # Ctrl-C may come as soon as the URL is out
        print(f"mlpkit playground: {server.url}", flush=True)
        if not args.no_browser:
            import webbrowser

            threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        server.close()
    if worker.thread.is_alive():      # still building its first network (imports) or in a
        sys.stdout.flush()            # step: the interpreter's teardown would wait on it (or
        sys.stderr.flush()            # on BLAS threads it holds); nothing of it is unwritten
        os._exit(0)
    return 0
