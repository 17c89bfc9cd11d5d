"""Compute devices by name: one parser, what ``auto`` means, what this machine has.

Example::

    parse_device("cuda:1")      # ("cuda", 1)
    parse_device("gpu")         # DeviceError: use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'
    resolve_device("auto")      # "cuda" with a CUDA GPU, "mps" on Apple GPUs, else "cpu"
    available_devices()         # ("auto", "cpu") here; ("auto", "cpu", "cuda") with a GPU

Names follow PyTorch's (``cpu``, ``cuda``, ``cuda:N``, ``mps``) plus ``auto``. torch is imported
only by :func:`resolve_device` and :func:`available_devices`, inside the call.
"""

from __future__ import annotations

import functools
import re

from vtinker_core.errors import DeviceError

__all__ = ["DEVICE_NAMES", "available_devices", "parse_device", "resolve_device"]

#: The device kinds a job may name (``cuda`` also as ``cuda:N``).
DEVICE_NAMES = ("auto", "cpu", "cuda", "mps")
_PATTERN = re.compile(r"^(auto|cpu|mps|cuda)(?::([0-9]+))?$")


def parse_device(name: str) -> tuple[str, int | None]:
    """``"cuda:1"`` → ``("cuda", 1)``; ``"cpu"`` → ``("cpu", None)``.

    Raises:
        DeviceError: not a device name (``setting="engine.device"``).
    """
    match = _PATTERN.match(str(name).strip().lower())
    if match is None or (match.group(2) is not None and match.group(1) != "cuda"):
        raise DeviceError(
            f"unknown device {name!r}: use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'",
            setting="engine.device",
        )
    index = match.group(2)
    return match.group(1), None if index is None else int(index)


def resolve_device(name: str) -> str:
    """The device a name runs on: ``auto`` becomes ``cuda``, ``mps`` or ``cpu`` (what this
    machine has, in that order); other names are returned checked but unchanged."""
    kind, _index = parse_device(name)
    if kind != "auto":
        return str(name).strip().lower()
    machine = available_devices()
    for candidate in ("cuda", "mps"):
        if candidate in machine:
            return candidate
    return "cpu"


@functools.cache
def available_devices() -> tuple[str, ...]:
    """``auto``, then the torch devices this machine has: ``cpu`` always; ``cuda`` (and
    ``cuda:N`` for each GPU when there are several) if CUDA works; ``mps`` on Apple GPUs.

    Without torch, ``auto`` and ``cpu``.
    """
    devices = ["auto", "cpu"]
    try:
        import torch
    except ImportError:
        return tuple(devices)
    if torch.cuda.is_available():
        devices.append("cuda")
        count = torch.cuda.device_count()
        if count > 1:
            devices.extend(f"cuda:{i}" for i in range(count))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return tuple(devices)
