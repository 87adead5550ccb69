"""Training on several processes: PyTorch's DistributedDataParallel, launched by torchrun.

Every rank loads the same data and draws the same global permutation; of each global batch it
takes its own slice (``np.array_split``: when the rows do not split evenly the slices differ by
one row, nothing is duplicated or dropped). DDP averages the gradients over the ranks, so each
rank scales its summed loss by ``world / (the global batch's rows or weight)``: the average is
then exactly the gradient one process computes on the whole batch. Sums and counts (training
loss, accuracy, validation) are all-reduced, never means of means. Stop decisions (early
stopping, the NaN guard, Ctrl-C) are agreed with one all-reduced flag, so no rank waits for a
collective that another has left. Rank 0 alone writes the run folder.

``launcher.launch`` starts the processes for ``mlpkit train --nproc N [--nnodes M]``.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import numpy as np

from mlpkit.errors import InvalidParameterError, MlpkitError

T = TypeVar("T")

TIMEOUT = timedelta(minutes=5)     # a rank stuck this long in a collective ends the run


class DistributedError(MlpkitError):
    """Another process of the run stopped; this one cannot continue alone."""


def check_launchable(engine: str, full_batch_solver: bool, ensemble: int | str = 1) -> None:
    """The runs DDP cannot train, refused in words (for --nproc before any process starts, and
    under torchrun before training): DDP is PyTorch's, and it shards minibatches. (The
    recipe's ``ensemble="table"`` is one network there: ``recipe.members``.)"""
    if engine == "numpy":
        raise InvalidParameterError(
            "The numpy engine trains in one process; distributed training (--nproc, torchrun) "
            "is PyTorch's DDP: use --engine torch.")
    if full_batch_solver:
        raise InvalidParameterError(
            "lbfgs trains full-batch in one process; use --optimizer sgd or adam to train on "
            "several processes, or drop --nproc.")
    if ensemble != "table" and ensemble > 1:
        raise InvalidParameterError(
            "--ensemble trains its members in one process; drop --nproc (or torchrun) to "
            "train an ensemble, or --ensemble to train on several processes.")


def launched() -> bool:
    """True inside a process started by torchrun (or ``mlpkit train --nproc``)."""
    return "TORCHELASTIC_RUN_ID" in os.environ or \
        all(k in os.environ for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR"))


def rank() -> int:
    """This process's global rank (0 outside torchrun), without importing torch."""
    return int(os.environ.get("RANK", 0)) if launched() else 0


@dataclass(frozen=True)
class Group:
    """This process's place in the run, and the few collectives the loop needs."""

    rank: int
    world: int
    local_rank: int
    local_world: int
    device: Any                 # torch.device: cuda:<local rank> under NCCL, else the CPU
    control: Any = None         # a gloo group for flags and objects (None: the default group)

    @property
    def main(self) -> bool:
        return self.rank == 0

    def shard(self, rows: np.ndarray) -> np.ndarray:
        """This rank's slice of a global batch (the first ``len % world`` ranks get one more)."""
        return np.array_split(rows, self.world)[self.rank]

    def agree(self, flag: bool) -> bool:
        """True on every rank if it is true on any: one decision for all."""
        import torch
        import torch.distributed as dist

        value = torch.tensor([int(flag)], dtype=torch.int32)
        with collective():
            dist.all_reduce(value, op=dist.ReduceOp.MAX, group=self.control)
        return bool(value.item())

    def sum(self, values: Sequence[float | Any]) -> list[float]:
        """Element-wise sums over the ranks, in float64 (on the training device: NCCL)."""
        import torch
        import torch.distributed as dist

        tensor = torch.stack([torch.as_tensor(v, dtype=torch.float64).to(self.device)
                              for v in values])
        with collective():
            dist.all_reduce(tensor)
        return tensor.tolist()

    def from_main(self, make: Callable[[], T]) -> T:
        """Rank 0 runs ``make`` (e.g. creating the run folder); every rank gets its result, or
        raises the same one-line error."""
        import torch.distributed as dist

        box: list[Any] = [None]
        if self.main:
            try:
                box[0] = ("ok", make())
            except MlpkitError as exc:
                box[0] = ("error", str(exc))
        with collective():
            dist.broadcast_object_list(box, src=0, group=self.control)
        kind, value = box[0]
        if kind == "error":
            raise MlpkitError(value)
        return value


@contextmanager
def collective() -> Iterator[None]:
    """A collective's failure (a peer died, a timeout) becomes a one-line ``DistributedError``."""
    try:
        yield
    except Exception as exc:
        if not is_peer_failure(exc):
            raise
        reason = re.sub(r"^\[[^\]]*\]\s*", "", str(exc).splitlines()[0]).split(". ")[0][:120]
        raise DistributedError(
            f"another process of this distributed run stopped or stopped answering ({reason}); "
            "every process stops. The run folder keeps its last checkpoint: resume it with "
            "mlpkit train --resume RUN.") from None


def is_peer_failure(exc: BaseException) -> bool:
    import torch.distributed as dist

    if isinstance(exc, dist.DistError):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and any(
        s in text for s in ("Connection closed", "Connection reset", "gloo", "NCCL",
                            "timed out", "Timed out", "Broken pipe"))


def join(device: str) -> Group | None:
    """Join the process group torchrun set up (None when not launched by it): NCCL with this
    rank's local GPU when CUDA is asked for or ``auto`` finds one, gloo on the CPU otherwise."""
    if not launched():
        return None
    end_with_launcher()
    import torch
    import torch.distributed as dist

    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    name = device.lower()
    if name == "mps":
        raise InvalidParameterError(
            "Distributed training runs on CUDA GPUs (NCCL) or the CPU (gloo), not on 'mps'; use "
            "--device cpu or cuda.")
    cuda = name.startswith("cuda") or (name == "auto" and torch.cuda.is_available())
    if cuda:
        if not torch.cuda.is_available():
            raise InvalidParameterError(
                f"Device {device!r} was asked for, but PyTorch sees no CUDA GPU here; use "
                "--device cpu or --device auto.")
        if local_rank >= torch.cuda.device_count():
            gpus = torch.cuda.device_count()
            raise InvalidParameterError(
                f"This machine has {gpus} GPU(s) for {os.environ.get('LOCAL_WORLD_SIZE')} "
                f"processes; use --nproc {gpus} or fewer (one process per GPU), or --device cpu.")
        torch_device = torch.device("cuda", local_rank)
        torch.cuda.set_device(torch_device)
    else:
        torch_device = torch.device("cpu")
    if not dist.is_initialized():
        with collective():
            dist.init_process_group("nccl" if cuda else "gloo", timeout=TIMEOUT,
                                    device_id=torch_device if cuda else None)
    control = dist.new_group(backend="gloo", timeout=TIMEOUT) if cuda else None
    return Group(dist.get_rank(), dist.get_world_size(), local_rank,
                 int(os.environ.get("LOCAL_WORLD_SIZE", dist.get_world_size())), torch_device,
                 control)


def end_with_launcher() -> None:
    """Die with the torchrun agent that started this rank (Linux): torchrun puts its ranks in
    sessions of their own, so a killed agent would leave them training on as orphans; like
    a machine that goes down, the agent and its ranks go together, and the other machines'
    ranks see a peer failure."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)            # PR_SET_PDEATHSIG: at the parent's exit
    if os.getppid() != parent:               # it left before prctl took effect
        os._exit(2)


@contextmanager
def membership(group: Group | None) -> Iterator[None]:
    """A run's time in the process group (nothing when ``group`` is None): at the end every
    rank leaves together (``leave``); a rank that fails leaves at once, without a barrier its
    peers, still inside a training collective, would never match."""
    if group is None:
        yield
        return
    try:
        yield
    except BaseException:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()
        raise
    leave(group)


def leave(group: Group) -> None:
    """Leave the process group together (every rank at the end of a run): a rank that tears
    its gloo threads down while a peer still talks to it can abort at exit."""
    import torch.distributed as dist

    if not dist.is_initialized():
        return
    try:
        dist.barrier(group=group.control)
    except Exception as exc:   # a peer is gone already: nothing left to wait for
        if not is_peer_failure(exc):
            raise
    dist.destroy_process_group()
