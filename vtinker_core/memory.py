"""How much memory a render needs and has: estimates, free memory per device, OOM errors.

:mod:`vtinker_core.tiling` sizes its tiles from these and retries on out-of-memory errors::

    need = estimate_memory(2160, 4096, bytes_per_pixel=3000.0)   # 26542080000
    format_bytes(need)                                            # "24.7 GiB"
    free = free_memory_bytes("cuda:0")      # bytes, or None when the platform does not say
    budget = (FALLBACK_FREE_BYTES if free is None else free) // 2
    try:
        render()
    except Exception as err:
        if not is_out_of_memory_error(err):  # CUDA, ROCm, MPS, CPU allocation failures
            raise
        ...  # free memory and retry smaller (tiling.run_with_oom_retry does this)

Nothing here imports torch at load time: ``free_memory_bytes`` imports it only for ``cuda``
and ``mps`` devices, and :func:`is_out_of_memory_error` looks at it only if already loaded.
"""

from __future__ import annotations

import gc
import math
import os
import sys
from pathlib import Path

from vtinker_core.errors import DeviceError

__all__ = [
    "FALLBACK_FREE_BYTES",
    "estimate_memory",
    "format_bytes",
    "free_memory_bytes",
    "is_out_of_memory_error",
    "release_memory",
]

#: Free memory assumed when the platform does not tell (2 GiB): small tiles, never a crash.
FALLBACK_FREE_BYTES = 2 * 1024**3

# Lower-case fragments of the RuntimeError messages PyTorch raises when an allocation fails
# (CUDA, ROCm, MPS and CPU allocators, plus cuDNN/cuBLAS workspace failures).
_OOM_MARKERS = (
    "out of memory",
    "can't allocate memory",
    "cudnn_status_alloc_failed",
    "cublas_status_alloc_failed",
)
# cgroup v1 reports "no limit" as a number near 2**63.
_CGROUP_UNLIMITED = 1 << 60


def estimate_memory(height: int, width: int, bytes_per_pixel: float) -> int:
    """Bytes needed to synthesize a height × width area at ``bytes_per_pixel``.

    Args:
        height: rows in pixels, 1 or more.
        width: columns in pixels, 1 or more.
        bytes_per_pixel: the engine's working memory per pixel (e.g. about 3,000 for the
            VTinker network in float32), more than 0.

    Raises:
        ValueError: a non-positive argument.
    """
    if height < 1 or width < 1:
        raise ValueError(f"height and width must be at least 1, got {height}×{width}")
    if not bytes_per_pixel > 0:
        raise ValueError(f"bytes_per_pixel must be more than 0, got {bytes_per_pixel}")
    return math.ceil(height * width * bytes_per_pixel)


def format_bytes(count: int) -> str:
    """``count`` bytes for people: ``"512 B"``, ``"3.1 MiB"``, ``"6.2 GiB"``."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024.0:
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024.0
    return f"{value:.1f} TiB"


def free_memory_bytes(device: str = "cpu") -> int | None:
    """Memory free for a render on ``device``, in bytes, or ``None`` when unknown.

    - ``cpu``: Linux ``MemAvailable`` from ``/proc/meminfo``, lowered to a container's cgroup
      limit when one is set; Windows ``GlobalMemoryStatusEx``; elsewhere ``os.sysconf`` free
      pages, or on macOS (where most free RAM is reclaimable cache) the physical RAM.
    - ``cuda`` / ``cuda:N``: ``torch.cuda.mem_get_info`` plus what PyTorch's caching
      allocator holds unused. torch is imported only here.
    - ``mps``: Metal's recommended working set minus what the driver has allocated.
    - ``auto``: ``None`` (resolve it first: :func:`vtinker_core.devices.resolve_device`).

    Raises:
        DeviceError: a CUDA device is asked for and torch has no CUDA or no such device, or
            the name is not a device (:func:`vtinker_core.devices.parse_device`).
    """
    from vtinker_core.devices import parse_device

    kind, index = parse_device(device)
    if kind == "cpu":
        return _free_ram_bytes()
    if kind == "cuda":
        return _free_cuda_bytes(device, index)
    if kind == "mps":
        return _free_mps_bytes()
    return None


def is_out_of_memory_error(error: BaseException) -> bool:
    """Whether ``error`` (or an error it was raised from) is an allocation failure.

    Recognises ``MemoryError`` (also CuPy's), ``torch.cuda.OutOfMemoryError`` and a
    ``RuntimeError`` whose message says so (``CUDA out of memory``, ``DefaultCPUAllocator:
    can't allocate memory``, MPS/ROCm wording). torch is never imported here: its error type is
    looked up only if torch is already loaded.
    """
    torch = sys.modules.get("torch")
    torch_oom = getattr(getattr(torch, "cuda", None), "OutOfMemoryError", None)
    current: BaseException | None = error
    for _ in range(8):  # a short cause chain; guards against cycles
        if current is None:
            return False
        if isinstance(current, MemoryError):
            return True
        if isinstance(torch_oom, type) and isinstance(current, torch_oom):
            return True
        if isinstance(current, RuntimeError):
            text = str(current).lower()
            if any(marker in text for marker in _OOM_MARKERS):
                return True
        current = current.__cause__
    return False


# --- helpers ---------------------------------------------------------------------------------


def release_memory() -> None:
    gc.collect()
    torch = sys.modules.get("torch")
    cuda = getattr(torch, "cuda", None)
    if cuda is not None and cuda.is_initialized():
        cuda.empty_cache()


def _free_ram_bytes() -> int | None:
    if sys.platform.startswith("linux"):
        available = _linux_available_bytes()
        if available is not None:
            return available
    if sys.platform == "win32":
        return _windows_available_bytes()
    sysconf = getattr(os, "sysconf", None)
    if sysconf is None:
        return None
    try:
        page = int(sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError):
        return None
    for name in ("SC_AVPHYS_PAGES", "SC_PHYS_PAGES"):
        # macOS has no SC_AVPHYS_PAGES, and its "free" pages leave out the reclaimable cache
        # that holds most idle RAM; the physical size (times the budget fraction) is saner.
        try:
            pages = int(sysconf(name))
        except (ValueError, OSError):
            continue
        if pages > 0:
            return pages * page
    return None


def _linux_available_bytes(
    meminfo: Path = Path("/proc/meminfo"), cgroup: Path = Path("/sys/fs/cgroup")
) -> int | None:
    """MemAvailable, lowered to the cgroup's headroom inside a memory-limited container."""
    available = None
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
                break
    except (OSError, ValueError, IndexError):
        available = None
    headroom = _cgroup_headroom(cgroup)
    known = [value for value in (available, headroom) if value is not None]
    return min(known) if known else None


def _cgroup_headroom(root: Path) -> int | None:
    """Limit minus usage (less reclaimable file cache) of cgroup v2 or v1, if limited."""
    layouts = (
        (root / "memory.max", root / "memory.current", root / "memory.stat", "inactive_file"),
        (
            root / "memory" / "memory.limit_in_bytes",
            root / "memory" / "memory.usage_in_bytes",
            root / "memory" / "memory.stat",
            "total_inactive_file",
        ),
    )
    for limit_path, usage_path, stat_path, cache_key in layouts:
        try:
            limit_text = limit_path.read_text().strip()
            usage = int(usage_path.read_text().strip())
        except (OSError, ValueError):
            continue
        if limit_text == "max" or not limit_text.isdigit() or int(limit_text) >= _CGROUP_UNLIMITED:
            return None
        cache = 0
        try:
            for line in stat_path.read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == cache_key:
                    cache = int(value)
                    break
        except (OSError, ValueError):
            cache = 0
        return max(int(limit_text) - max(usage - cache, 0), 0)
    return None


def _windows_available_bytes() -> int | None:
    if sys.platform != "win32":
        return None
    import ctypes

    class MemoryStatus(ctypes.Structure):
        _fields_ = [
            ("dwLength", ctypes.c_ulong),
            ("dwMemoryLoad", ctypes.c_ulong),
            ("ullTotalPhys", ctypes.c_ulonglong),
            ("ullAvailPhys", ctypes.c_ulonglong),
            ("ullTotalPageFile", ctypes.c_ulonglong),
            ("ullAvailPageFile", ctypes.c_ulonglong),
            ("ullTotalVirtual", ctypes.c_ulonglong),
            ("ullAvailVirtual", ctypes.c_ulonglong),
            ("ullAvailExtendedVirtual", ctypes.c_ulonglong),
        ]

    status = MemoryStatus()
    status.dwLength = ctypes.sizeof(MemoryStatus)
    if not ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
        return None
    return int(status.ullAvailPhys)


def _free_cuda_bytes(device: str, index: int | None) -> int:
    try:
        import torch
    except ImportError as err:
        raise DeviceError(
            f"device {device!r} needs PyTorch with CUDA, and torch is not installed",
            setting="engine.device",
        ) from err
    if not torch.cuda.is_available():
        raise DeviceError(
            f"device {device!r} is not available: this PyTorch build has no usable CUDA device",
            setting="engine.device",
        )
    count = torch.cuda.device_count()
    number = torch.cuda.current_device() if index is None else index
    if number >= count:
        raise DeviceError(
            f"device {device!r} does not exist: this machine has {count} CUDA device(s)",
            setting="engine.device",
        )
    free, _total = torch.cuda.mem_get_info(number)
    # Memory PyTorch has reserved but not handed out is free for our tensors, though the
    # driver counts it as used.
    cached = torch.cuda.memory_reserved(number) - torch.cuda.memory_allocated(number)
    return int(free) + max(int(cached), 0)


def _free_mps_bytes() -> int | None:
    try:
        import torch
    except ImportError:
        return None
    mps = getattr(torch, "mps", None)
    recommended = getattr(mps, "recommended_max_memory", None)
    allocated = getattr(mps, "driver_allocated_memory", None)
    if recommended is None or allocated is None:
        return _free_ram_bytes()  # unified memory: RAM is the budget
    return max(int(recommended()) - int(allocated()), 0)
