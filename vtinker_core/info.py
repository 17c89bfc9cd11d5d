"""What ``vtinker info`` prints: versions, devices, the checkpoint and the colour config."""

from __future__ import annotations

import platform
from importlib import metadata

from vtinker_core import __version__
from vtinker_core.errors import VTinkerError


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe_devices() -> str:
    """The torch devices this machine offers, e.g. ``cpu (8 threads), cuda:0 NVIDIA ...``."""
    try:
        import torch
    except ImportError:
        return "torch not installed"
    devices = [f"cpu ({torch.get_num_threads()} threads)"]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            devices.append(f"cuda:{i} {torch.cuda.get_device_name(i)}")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return ", ".join(devices)


def collect_info() -> dict[str, str]:
    """Facts about this installation, as ``name: text`` pairs in display order."""
    from vtinker_core.color import ColorPipeline
    from vtinker_core.engines import choose_engine, find_checkpoint, user_cache_dir

    info = {
        "vtinker": __version__,
        "python": platform.python_version(),
        "torch": _version("torch"),
        "devices": describe_devices(),
        "OpenImageIO": _version("OpenImageIO"),
        "OpenColorIO": _version("opencolorio"),
        "PyAV": _version("av"),
        "OpenCV": _version("opencv-python-headless"),
    }
    try:
        pipeline = ColorPipeline()
        info["ocio config"] = pipeline.config_source
    except VTinkerError as err:
        info["ocio config"] = f"unusable: {err}"
    try:
        found = find_checkpoint()
        info["checkpoint"] = str(found) if found else f"none found (searched {user_cache_dir()})"
        info["auto engine"] = choose_engine("auto").summary
    except VTinkerError as err:
        info["checkpoint"] = f"error: {err}"
    return info
