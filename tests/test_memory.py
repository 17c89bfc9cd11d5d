"""Tests for vtinker_core.memory: estimates, free memory per device, out-of-memory errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from vtinker_core import memory
from vtinker_core.errors import DeviceError, EngineError
from vtinker_core.memory import (
    estimate_memory,
    format_bytes,
    free_memory_bytes,
    is_out_of_memory_error,
)


def _oom(size: int | None) -> RuntimeError:
    return RuntimeError(f"CUDA out of memory. Tried to allocate 2.00 GiB (tile {size})")


# --- estimates -------------------------------------------------------------------------------


def test_estimate_memory_and_format():
    assert estimate_memory(1080, 1920, 3000.0) == 1080 * 1920 * 3000
    assert estimate_memory(1, 1, 0.5) == 1
    with pytest.raises(ValueError):
        estimate_memory(0, 10, 1.0)
    with pytest.raises(ValueError):
        estimate_memory(10, 10, 0.0)
    assert format_bytes(512) == "512 B"
    assert format_bytes(3 * 1024**3 + 1024**3 // 10) == "3.1 GiB"


# --- free memory -----------------------------------------------------------------------------


def test_free_memory_on_this_machine():
    free = free_memory_bytes("cpu")
    assert free is None or free > 0
    if sys.platform.startswith("linux"):
        assert free is not None
    assert free_memory_bytes("auto") is None  # resolve it first
    for bad in ("tpu", "cuda:first"):
        with pytest.raises(DeviceError):
            free_memory_bytes(bad)


def test_free_memory_without_cuda_is_a_device_error():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(DeviceError) as info:
        free_memory_bytes("cuda:0")
    assert info.value.setting == "engine.device"


@pytest.mark.needs_cuda
def test_free_memory_on_cuda_is_within_the_device_total():
    import torch

    free = free_memory_bytes("cuda")
    assert free is not None and 0 < free <= torch.cuda.get_device_properties(0).total_memory
    with pytest.raises(DeviceError):
        free_memory_bytes(f"cuda:{torch.cuda.device_count()}")


def test_linux_available_memory_respects_cgroup_limits(tmp_path: Path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       32000000 kB\nMemAvailable:   16000000 kB\n")
    cgroup = tmp_path / "cgroup"
    cgroup.mkdir()
    assert memory._linux_available_bytes(meminfo, cgroup) == 16000000 * 1024
    (cgroup / "memory.max").write_text("max\n")
    (cgroup / "memory.current").write_text("100\n")
    assert memory._linux_available_bytes(meminfo, cgroup) == 16000000 * 1024
    (cgroup / "memory.max").write_text(f"{4 * 1024**3}\n")
    (cgroup / "memory.current").write_text(f"{2 * 1024**3}\n")
    (cgroup / "memory.stat").write_text(f"anon 5\ninactive_file {1024**3}\n")
    assert memory._linux_available_bytes(meminfo, cgroup) == 3 * 1024**3
    assert memory._linux_available_bytes(tmp_path / "missing", tmp_path / "none") is None


# --- out-of-memory errors --------------------------------------------------------------------


def test_out_of_memory_errors_are_recognised():
    torch = pytest.importorskip("torch")
    assert is_out_of_memory_error(MemoryError())
    assert is_out_of_memory_error(torch.cuda.OutOfMemoryError("boom"))
    assert is_out_of_memory_error(_oom(1))
    assert is_out_of_memory_error(
        RuntimeError(
            "[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate "
            "memory: you tried to allocate 99999999999 bytes."
        )
    )
    assert is_out_of_memory_error(RuntimeError("MPS backend out of memory (MPS allocated: 1 GB)"))
    wrapped = EngineError("the engine failed on frame 1001")
    wrapped.__cause__ = _oom(2)
    assert is_out_of_memory_error(wrapped)
    assert not is_out_of_memory_error(RuntimeError("shapes do not match"))
    assert not is_out_of_memory_error(ValueError("out of memory"))


def test_release_memory_collects_unreachable_cycles_without_cuda():
    import gc
    import weakref

    class Node:
        pass

    gc.disable()
    try:
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle only the garbage collector frees
        alive = weakref.ref(a)
        del a, b
        assert alive() is not None
        memory.release_memory()  # gc pass; empties the CUDA cache only where CUDA is in use
        assert alive() is None
    finally:
        gc.enable()


def test_one_device_parser_names_bad_devices() -> None:
    from vtinker_core.devices import parse_device, resolve_device

    assert parse_device("cuda:1") == ("cuda", 1)
    assert parse_device(" CPU ") == ("cpu", None)
    assert resolve_device("auto") in ("cpu", "cuda", "mps")
    for bad in ("gpu", "cuda:x", "cpu:0", "mps:1", ""):
        with pytest.raises(DeviceError) as info:
            parse_device(bad)
        assert info.value.setting == "engine.device"
