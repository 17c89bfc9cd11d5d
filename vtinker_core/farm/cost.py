"""What a retime costs per output frame, and the farm chunk size that follows from it.

Example::

    cost = estimate_cost("classical", "auto", width=3840, height=2160, frames=480)
    cost.seconds_per_frame     # about 6.6 (classical engine, 8.3 megapixels, one worker)
    cost.chunk_size            # 91: about ten minutes of work per farm task
    cost.describe()            # "about 6.6 s and 4.0 GiB per frame (classical, 3840×2160) ..."

The rates are rough and cautious: the classical engine's measured on a two-core machine (about
1.2 s per 2K frame with EXR reading and writing), the VTinker network's from the README (on one
CPU core about 24 s per 480p and 150 s per 1080p frame; the GPU figure is a guess); a
farm task should run long enough that starting it (a process, an engine, the first frames) is
a small part of its time, and short enough that a lost task costs little.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from vtinker_core.memory import estimate_memory, format_bytes

__all__ = [
    "MAX_CHUNK_SIZE",
    "TARGET_TASK_SECONDS",
    "CostEstimate",
    "default_chunk_size",
    "estimate_cost",
]

#: The work a farm task aims for, in seconds.
TARGET_TASK_SECONDS = 600.0
#: The largest chunk AWS Deadline Cloud accepts for ``chunks.defaultTaskCount``.
MAX_CHUNK_SIZE = 150

# Seconds per output frame and megapixel on a CPU, frame I/O and colour included.
_CPU_SECONDS_PER_MEGAPIXEL = {
    "nearest": 0.1,
    "blend": 0.15,
    "classical": 0.8,  # measured 0.52 s/MP at 2K ×4 (2 cores): motion, synthesis, EXR I/O
    "vtinker": 70.0,  # README: 24 s at 480p, 150 s at 1080p
}
# The network on a GPU: not measured here (no GPU on the test machines); a cautious guess,
# 35× the CPU rate. Replace it with a measurement (benchmarks/bench_model.py on a GPU).
_GPU_SECONDS_PER_MEGAPIXEL = {"vtinker": 2.0}
# Working memory per pixel (frame_renderer's default for engines that do not say).
_BYTES_PER_PIXEL = {"vtinker": 5000.0}
_DEFAULT_BYTES_PER_PIXEL = 512.0


@dataclass(frozen=True)
class CostEstimate:
    """The estimated cost of a retime on one farm worker.

    Attributes:
        engine: the engine that runs (``auto`` already resolved).
        device: the job's device (``auto``, ``cpu``, ``cuda`` ...).
        width: frame width in pixels.
        height: frame height in pixels.
        frames: output frames to render.
        seconds_per_frame: estimated seconds per output frame.
        memory_bytes: estimated working memory of one frame without tiling, in bytes.
        chunk_size: output frames per farm task (see :func:`default_chunk_size`).
    """

    engine: str
    device: str
    width: int
    height: int
    frames: int
    seconds_per_frame: float
    memory_bytes: int
    chunk_size: int

    @property
    def total_seconds(self) -> float:
        """Estimated seconds for every frame on one worker."""
        return self.seconds_per_frame * self.frames

    def describe(self) -> str:
        """One line for people, e.g. ``"about 6.6 s and 4.0 GiB per frame ..."``."""
        tasks = math.ceil(self.frames / self.chunk_size)
        return (
            f"about {self.seconds_per_frame:.2g} s and {format_bytes(self.memory_bytes)} per "
            f"frame ({self.engine}, {self.width}×{self.height}, device {self.device}); "
            f"{self.frames} frames in {tasks} tasks of up to {self.chunk_size}"
        )


def estimate_cost(
    engine: str,
    device: str,
    *,
    width: int,
    height: int,
    frames: int,
    chunk_size: int | None = None,
) -> CostEstimate:
    """The cost of rendering ``frames`` output frames of ``width`` × ``height`` pixels.

    Args:
        engine: ``vtinker``, ``classical``, ``blend`` or ``nearest`` (``auto`` resolved first).
        device: the job's device; ``cuda``/``cuda:N``/``mps`` use the GPU rate for the network
            (``auto`` is counted as a CPU, the worst case).
        width: frame width in pixels, 1 or more.
        height: frame height in pixels, 1 or more.
        frames: output frames, 1 or more.
        chunk_size: frames per task when the user chose it; else :func:`default_chunk_size`.

    Raises:
        ValueError: an unknown engine or a size or count below 1.
    """
    if engine not in _CPU_SECONDS_PER_MEGAPIXEL:
        raise ValueError(f"no cost figures for engine {engine!r}")
    if frames < 1:
        raise ValueError(f"frames must be at least 1, got {frames}")
    megapixels = width * height / 1e6
    on_gpu = device.split(":")[0] in ("cuda", "mps")
    rate = (_GPU_SECONDS_PER_MEGAPIXEL if on_gpu else _CPU_SECONDS_PER_MEGAPIXEL).get(
        engine, _CPU_SECONDS_PER_MEGAPIXEL[engine]
    )
    seconds = max(rate * megapixels, 0.01)
    memory = estimate_memory(height, width, _BYTES_PER_PIXEL.get(engine, _DEFAULT_BYTES_PER_PIXEL))
    chunk = chunk_size if chunk_size is not None else default_chunk_size(seconds, frames)
    return CostEstimate(engine, device, width, height, frames, seconds, memory, chunk)


def default_chunk_size(seconds_per_frame: float, frames: int) -> int:
    """Frames per task so a task runs about :data:`TARGET_TASK_SECONDS`.

    At least 1, at most :data:`MAX_CHUNK_SIZE` and never more than ``frames``.
    """
    wanted = math.ceil(TARGET_TASK_SECONDS / max(seconds_per_frame, 1e-6))
    return max(1, min(wanted, MAX_CHUNK_SIZE, frames))
