"""Starting the processes of a distributed run: torchrun's launcher, in-process, for
``mlpkit train --nproc N`` (one machine, a standalone rendezvous) and ``--nnodes M
--rdzv-endpoint HOST:PORT`` (several machines meeting at a c10d rendezvous).

Whatever ends the run, the user sees one line and an exit code: the ranks say what went wrong
(a ``DistributedError`` when a peer stopped); this adds a line only for a rank killed outright
or a rendezvous lost (the machine serving it stopped), never torchrun's tracebacks.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import timedelta

JOIN_TIMEOUT = timedelta(minutes=10)   # machines that do not all arrive by then: no run


def launch(nproc: int, command: Sequence[str], nnodes: int = 1,
           endpoint: str | None = None) -> int:
    """Run ``command`` (a Python module's arguments) on ``nproc`` local processes, as
    ``torchrun --standalone --nproc-per-node N -m ...``, or with ``nnodes`` machines meeting at
    ``endpoint`` as ``torchrun --nnodes M --rdzv-backend c10d --rdzv-endpoint HOST:PORT``;
    returns the exit code. The ranks say what went wrong; this adds one line only for a rank
    killed outright."""
    import logging
    import signal
    import uuid

    os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "ERROR")     # not c10d's C++ stack warnings
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.elastic.rendezvous.api import RendezvousError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    for name in list(logging.root.manager.loggerDict):     # the ranks say what went wrong
        if name.startswith("torch.distributed"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    config = LaunchConfig(min_nodes=nnodes, max_nodes=nnodes, nproc_per_node=nproc,
                          run_id=str(uuid.uuid4()) if endpoint is None else "mlpkit",
                          rdzv_backend="c10d", rdzv_endpoint=endpoint or "localhost:0",
                          rdzv_configs={"join_timeout": JOIN_TIMEOUT.total_seconds()},
                          max_restarts=0, monitor_interval=0.1)
    try:
        elastic_launch(config, sys.executable)(*command)
    except SignalException as exc:
        return 128 + int(exc.sigval)
    except RendezvousError as exc:
        reason = str(exc).split(". ")[0]
        print(f"mlpkit: error: the run's rendezvous at {endpoint or 'localhost'} failed "
              f"({reason}): a machine of the run stopped, or never came within "
              f"{JOIN_TIMEOUT.seconds // 60} min; every process here stopped. Resume with "
              "mlpkit train --resume RUN.", file=sys.stderr)
        return 2
    except ChildFailedError as exc:
        failures = sorted(exc.failures.items(), key=lambda item: item[1].timestamp)
        codes = [f.exitcode for _, f in failures if f.exitcode > 0]   # the rank said why
        killed = [(r, f) for r, f in failures if f.exitcode < 0 and
                  (not codes or f.exitcode != -signal.SIGTERM)]       # SIGTERM: stopped by us
        if killed:
            r, failure = killed[0]
            print(f"mlpkit: error: process of rank {r} was killed "
                  f"({signal.Signals(-failure.exitcode).name}); the other processes were "
                  "stopped.", file=sys.stderr)
            return 2
        return max(codes, default=2)
    return 0
