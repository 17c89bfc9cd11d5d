"""The compute devices this machine has, for the panel's Device list.

Example::

    available_devices()     # ("auto", "cpu") here; ("auto", "cpu", "cuda") with a GPU

torch is imported on the first call only (a few hundred ms), never when this module is
imported, so a host that shows the panel does not pay for it until the list is opened.
"""

from __future__ import annotations

import functools


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


__all__ = ["available_devices"]
