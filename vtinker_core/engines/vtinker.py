"""The ``vtinker`` engine: the VTinker network (guided flow upsampling + texture mapping).

Motion is estimated once per source pair on the whole frame; synthesis runs on the whole
frame or on a region (a tile), reusing the motion and the encoded frames for every t::

    engine = VTinkerEngine("VTinker.pkl", device="cpu", precision="float32")
    motion = engine.estimate(FramePair(image0, image1))      # H×W×3 float32, [0, 1]
    mid = engine.synthesize(pair, motion, 0.5)               # H×W×3 float32
    tile = engine.synthesize(pair, motion, 0.5, Region(0, 0, 512, 512))

torch is imported when this module is imported; ``vtinker_core.engines`` imports this module
only when the engine is asked for.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from vtinker_core.engines.base import Engine, FramePair, Motion, Region, check_t
from vtinker_core.errors import EngineError
from vtinker_core.frame import Pixels
from vtinker_core.model.checkpoint import CheckpointInfo, load_network
from vtinker_core.model.inference import (
    TILE_ALIGN,
    Interpolator,
    PairState,
    resolve_device,
    resolve_precision,
    tune_cpu_allocator,
)

__all__ = ["VTinkerEngine"]

#: Working memory of synthesis per pixel in float32 (MODEL.md §8.3: ≈ 3 KB upstream; measured
#: here 4.7–5.5 KB of peak RSS per pixel on CPU at 480p–1080p, where the tuned allocator keeps
#: freed blocks for speed).
BYTES_PER_PIXEL_FLOAT32 = 4500.0


def _to_tensor(image: Pixels) -> torch.Tensor:
    """H×W×3 float32 array → 1×3×H×W tensor (a copy, so the caller's array is untouched)."""
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).unsqueeze(0).clone()


def _to_pixels(tensor: torch.Tensor) -> Pixels:
    """1×C×H×W tensor → H×W×C float32 array on the CPU."""
    array = tensor[0].permute(1, 2, 0).to(device="cpu", dtype=torch.float32).numpy()
    return np.ascontiguousarray(array)


class VTinkerEngine(Engine):
    """Interpolation with the VTinker network.

    Args:
        checkpoint: the weights (official ``VTinker.pkl`` layout, or ``.safetensors``).
        device: ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``.
        precision: ``"float32"``, ``"float16"`` or ``"bfloat16"`` (where the device runs it).
        depth: pyramid depth D; ``None`` follows the resolution rule (3 below 1536 px, 4
            below 3072 px, else 5).
        skip: skipped finest motion levels S; ``None`` follows the rule (1 for D ≥ 5).
        tile_context: extra pixels of context around a synthesised region (on top of the
            caller's overlap), before aligning the crop to 16 pixels.
        tile_cache_bytes: memory for image heads of tiles kept across t (per pair); heads
            of the other tiles are recomputed for each t.
        tune_allocator: on CPU, keep freed memory in the heap (see
            :func:`~vtinker_core.model.inference.tune_cpu_allocator`): ~30 % faster, at the
            price of a higher, fragmented peak RSS (+0.6–1.2 GB at 480p).

    Raises:
        DeviceError: unknown or unavailable device, or a precision it cannot run.
        CheckpointError: unreadable, unsafe or mismatched checkpoint.
    """

    name: ClassVar[str] = "vtinker"
    #: Synthesis crops are aligned to this; tile planners may align cores to it too.
    tile_align: ClassVar[int] = TILE_ALIGN
    bytes_per_pixel_float32: ClassVar[float] = BYTES_PER_PIXEL_FLOAT32 + 500.0

    @classmethod
    def memory_per_pixel(cls, precision: str = "float32") -> float:
        """The network's activations scale with the sample size; ~500 B/px do not."""
        itemsize = 4 if precision == "float32" else 2
        return BYTES_PER_PIXEL_FLOAT32 * itemsize / 4 + 500.0

    def __init__(
        self,
        checkpoint: str | Path,
        *,
        device: str = "cpu",
        precision: str = "float32",
        depth: int | None = None,
        skip: int | None = None,
        tile_context: int = 16,
        tile_cache_bytes: int = 256 << 20,
        tune_allocator: bool = True,
    ) -> None:
        resolved = resolve_device(device)
        dtype = resolve_precision(precision, resolved)
        network, info = load_network(checkpoint, device=resolved, dtype=dtype)
        if resolved.type == "cpu" and tune_allocator:
            tune_cpu_allocator()
        self.checkpoint_info: CheckpointInfo = info
        self.device = str(resolved)
        self.precision = str(dtype).removeprefix("torch.")
        self._interpolator: Interpolator | None = Interpolator(
            network,
            depth=depth,
            skip=skip,
            tile_context=tile_context,
            tile_cache_bytes=tile_cache_bytes,
        )

    @property
    def interpolator(self) -> Interpolator:
        """The model runner (raises :class:`EngineError` after :meth:`close`)."""
        if self._interpolator is None:
            raise EngineError("the vtinker engine was closed")
        return self._interpolator

    def estimate(self, pair: FramePair) -> Motion:
        """Bidirectional motion of ``pair`` on the whole frame (the network's flow part).

        Returns:
            :class:`Motion` with ``forward`` (frame 0 → 1) and ``backward`` (frame 1 → 0) as
            H×W×2 float32 pixels, and the padded frames and flows in ``state`` for
            :meth:`synthesize`.
        """
        interp = self.interpolator
        state = interp.estimate(_to_tensor(pair.image0), _to_tensor(pair.image1))
        forward, backward = state.flows_in_pixels()
        return Motion(forward=_to_pixels(forward), backward=_to_pixels(backward), state=state)

    def _state_for(self, pair: FramePair, motion: Motion) -> PairState:
        state = motion.state
        if isinstance(state, PairState) and (state.height, state.width) == (
            pair.height,
            pair.width,
        ):
            return state
        # A Motion from elsewhere (another engine, reversed vectors): synthesise from its
        # flows, and keep the state on the Motion for the next t.
        for name in ("forward", "backward"):
            flow = getattr(motion, name)
            if flow.shape != (pair.height, pair.width, 2):
                raise ValueError(
                    f"motion.{name} must be {pair.height}×{pair.width}×2, got {flow.shape}"
                )
        state = self.interpolator.state_from_flows(
            _to_tensor(pair.image0),
            _to_tensor(pair.image1),
            _to_tensor(np.asarray(motion.forward, np.float32)),
            _to_tensor(np.asarray(motion.backward, np.float32)),
        )
        motion.state = state
        return state

    def synthesize(
        self, pair: FramePair, motion: Motion, t: float, region: Region | None = None
    ) -> Pixels:
        """The frame at ``t`` for ``region`` (default: the whole frame).

        A region is computed from a crop around it (its own context, aligned to 16 pixels,
        image heads from the cropped frames, cached per crop in ``motion.state``): results
        near a region's edge depend on local context only, which the caller's overlap and
        feathering take care of.

        Returns:
            region.height × region.width × 3 float32 in the model encoding, unclamped.
        """
        t = check_t(t)
        state = self._state_for(pair, motion)
        box = None
        if region is not None:
            box = (region.x, region.y, region.width, region.height)
        out = self.interpolator.synthesize(state, t, box)
        return _to_pixels(out)

    def describe(self) -> str:
        info = self.checkpoint_info
        return (
            f"vtinker: VTinker network, checkpoint {info.path.name} "
            f"(sha256 {info.sha256[:12]}…), {self.device}, {self.precision}"
        )

    def close(self) -> None:
        """Drop the network; a closed engine raises :class:`EngineError` when used."""
        self._interpolator = None
        gc.collect()
        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()
