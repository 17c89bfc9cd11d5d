"""The training state a run resumes from: weights, optimiser, step and random generators.

Written next to the official-layout ``model.pkl`` as ``training-state.pth``, atomically (temp
file + rename), and read back with ``weights_only=True``::

    write_training_state(out / "training-state.pth", stage=2, step=4000, total_steps=200000,
                         model=net, optimizer=opt)
    state = read_training_state(out)          # a folder or the file itself
    net.load_state_dict(state.model); opt.load_state_dict(state.optimizer)
    restore_rng(state.rng)

Restoring the generators makes a resumed run draw the same augmentations as an
uninterrupted one when data loading runs in the main process (``--workers 0``); with
worker processes it stays deterministic but takes other draws.
"""

from __future__ import annotations

import os
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from vtinker_core.errors import CheckpointError

__all__ = [
    "STATE_FILE_NAME",
    "TrainingState",
    "capture_rng",
    "read_training_state",
    "restore_rng",
    "write_training_state",
]

STATE_FILE_NAME = "training-state.pth"
_FORMAT = 1


@dataclass(frozen=True)
class TrainingState:
    """What ``training-state.pth`` holds.

    Attributes:
        path: the file.
        stage: 1 or 2.
        step: the last completed step (training resumes at ``step + 1``).
        total_steps: the schedule length the run was started with.
        model: the model's state dict (keys without ``module.``).
        optimizer: the optimiser's state dict.
        rng: generator states (see :func:`capture_rng`).
    """

    path: Path
    stage: int
    step: int
    total_steps: int
    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    rng: dict[str, Any]


def capture_rng() -> dict[str, Any]:
    """States of Python's ``random``, NumPy's global and torch's (CPU, CUDA) generators."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": {
            "kind": kind,
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    """Put back generator states from :func:`capture_rng`."""
    python = state["python"]
    random.setstate((python[0], tuple(python[1]), python[2]))
    np_state = state["numpy"]
    np.random.set_state(
        (
            np_state["kind"],
            np_state["keys"].numpy().astype(np.uint32),
            np_state["pos"],
            np_state["has_gauss"],
            np_state["cached_gaussian"],
        )
    )
    torch.set_rng_state(state["torch"])
    cuda = state.get("cuda")
    if cuda is not None and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)


def write_training_state(
    path: str | Path,
    *,
    stage: int,
    step: int,
    total_steps: int,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
) -> Path:
    """Save everything needed to resume at ``step + 1`` (atomically)."""
    path = Path(path)
    payload = {
        "format": _FORMAT,
        "stage": stage,
        "step": step,
        "total_steps": total_steps,
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "optimizer": optimizer.state_dict(),
        "rng": capture_rng(),
    }
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        torch.save(payload, tmp_name)
        os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return path


def read_training_state(path: str | Path) -> TrainingState:
    """Read ``training-state.pth`` (or the one inside a run folder).

    Raises:
        CheckpointError: no such file, unreadable, or not a training state.
    """
    path = Path(path)
    if path.is_dir():
        path = path / STATE_FILE_NAME
    if not path.is_file():
        raise CheckpointError(
            f"cannot resume: '{path}' does not exist (resume needs the {STATE_FILE_NAME} a "
            "training run writes next to model.pkl; model.pkl alone has no optimiser state)",
            path=path,
        )
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for bad files
        raise CheckpointError(f"cannot read training state '{path}': {err}", path=path) from err
    keys = {"format", "stage", "step", "total_steps", "model", "optimizer", "rng"}
    if not isinstance(data, dict) or not keys <= set(data) or data["format"] != _FORMAT:
        raise CheckpointError(f"'{path}' is not a vtinker training state", path=path)
    return TrainingState(
        path=path,
        stage=int(data["stage"]),
        step=int(data["step"]),
        total_steps=int(data["total_steps"]),
        model=data["model"],
        optimizer=data["optimizer"],
        rng=data["rng"],
    )
