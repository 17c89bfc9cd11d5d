"""One process or many: the device, the process group, seeding and the resumable sampler.

``torchrun --nproc_per_node N -m vtinker_core.train.cli ...`` starts N processes with
``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` set; :func:`init_distributed` reads them, picks
``cuda:LOCAL_RANK`` (NCCL) or the CPU (gloo) and joins the process group. A plain
``vtinker train`` is a world of one and needs no process group::

    context = init_distributed("cuda")       # DistContext(rank=0, world_size=1, device=cuda:0)
    seed_everything(1234)
    sampler = ResumableSampler(dataset, context)
    sampler.set_epoch(3); sampler.skip = 40  # resume inside epoch 3, 40 samples in
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import Dataset, DistributedSampler

from vtinker_core.errors import DeviceError

__all__ = [
    "DistContext",
    "ResumableSampler",
    "init_distributed",
    "seed_everything",
    "shutdown_distributed",
]


@dataclass(frozen=True)
class DistContext:
    """Where this process stands in the run.

    Attributes:
        rank: global rank (0 logs and writes checkpoints).
        local_rank: rank on this machine (selects the GPU).
        world_size: number of processes.
        device: the torch device this process trains on.
    """

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    try:
        return default if value is None or value == "" else int(value)
    except ValueError as err:
        raise DeviceError(f"${name} must be an integer, got {value!r}") from err


def init_distributed(device: str | None = None) -> DistContext:
    """Read torchrun's environment, choose the device and join the process group.

    Args:
        device: ``"cpu"``, ``"cuda"`` (``cuda:LOCAL_RANK`` under torchrun) or ``"cuda:N"``
            (single process only); ``None``: CUDA when available, else the CPU.

    Returns:
        The :class:`DistContext` of this process.

    Raises:
        DeviceError: CUDA requested but unavailable, or fewer GPUs than local processes.
    """
    world = _env_int("WORLD_SIZE", 1)
    rank = _env_int("RANK", 0)
    local_rank = _env_int("LOCAL_RANK", 0)
    name = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError(
                f"--device {name}: CUDA is not available on this machine", setting="device"
            )
        if world > 1 or name == "cuda":
            if local_rank >= torch.cuda.device_count():
                raise DeviceError(
                    f"local rank {local_rank} needs GPU {local_rank} but only "
                    f"{torch.cuda.device_count()} are visible",
                    setting="device",
                )
            resolved = torch.device("cuda", local_rank)
        else:
            resolved = torch.device(name)
        torch.cuda.set_device(resolved)
    elif name == "cpu":
        resolved = torch.device("cpu")
    else:
        raise DeviceError(f"--device must be cpu or cuda[:N], got {name!r}", setting="device")
    if world > 1 and not dist.is_initialized():
        # NCCL between GPUs as upstream; gloo makes the same run work on CPUs.
        dist.init_process_group(backend="nccl" if resolved.type == "cuda" else "gloo")
    return DistContext(rank=rank, local_rank=local_rank, world_size=world, device=resolved)


def shutdown_distributed() -> None:
    """Leave the process group, if one was joined."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy's and torch's generators (every rank, as upstream)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


class ResumableSampler(DistributedSampler[int]):
    """``DistributedSampler`` (shuffled per epoch with ``set_epoch``) that can start mid-epoch.

    ``skip`` drops that many of this rank's indices from the start of every epoch it is set
    for, so a resumed run sees the rest of the interrupted epoch in the same order.

    Args:
        dataset: the training set.
        context: the process's :class:`DistContext` (its rank and the world size).
    """

    def __init__(self, dataset: Dataset[object], context: DistContext) -> None:
        super().__init__(
            dataset,
            num_replicas=context.world_size,
            rank=context.rank,
            shuffle=True,
        )
        self.skip = 0

    def __iter__(self) -> Iterator[int]:
        indices = list(super().__iter__())
        return iter(indices[self.skip :])

    def __len__(self) -> int:
        return max(self.num_samples - self.skip, 0)
