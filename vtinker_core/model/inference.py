"""Running VTinker on frame pairs: padding, motion once per pair, any number of in-betweens.

VTinker's motion depends on t only through a final scale, and the image heads and keys of the
two frames (V0, V1, K0, K1) do not depend on t at all. :class:`Interpolator` computes them
once per pair and reuses them for every t; the pixels are the same as running the network
per t::

    interp = Interpolator.from_checkpoint("VTinker.pkl", device="cpu", precision="float32")
    frames = interp.interpolate(img0, img1, [0.25, 0.5, 0.75])   # 3 × N×3×H×W float32

    state = interp.estimate(img0, img1)           # flow + padding, once per pair
    mid = interp.synthesize(state, 0.5)           # whole frame
    tile = interp.synthesize(state, 0.5, (0, 0, 256, 256))   # x, y, width, height

Images are N×3×H×W float tensors in the model encoding (sRGB-encoded RGB in [0, 1]); any
H×W works: frames are padded right/bottom with 0.5 to the network's divisor and cropped back
(MODEL.md §8.2, §9.2). Nothing is clamped.
"""

from __future__ import annotations

import ctypes
import functools
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from vtinker_core.errors import DeviceError
from vtinker_core.model.checkpoint import CheckpointInfo, load_network
from vtinker_core.model.flow import check_depth_skip, padding_divisor, scale_flow_to_time
from vtinker_core.model.network import VTinkerNet, select_depth_skip
from vtinker_core.model.synthesis import FrameFeatures

__all__ = [
    "PAD_VALUE",
    "TILE_ALIGN",
    "Box",
    "Interpolator",
    "PairState",
    "resolve_device",
    "resolve_precision",
    "tune_cpu_allocator",
]

#: Value of padded pixels (upstream scripts pad with mid grey).
PAD_VALUE = 0.5
#: Synthesis tiles are aligned to this (texture blocks need H/8 integral at half resolution).
TILE_ALIGN = 16

#: A rectangle (x, y, width, height) in pixels of the unpadded frame, y down.
Box = tuple[int, int, int, int]

_PRECISIONS = {
    "float32": torch.float32,
    "fp32": torch.float32,
    "float": torch.float32,
    "float16": torch.float16,
    "fp16": torch.float16,
    "half": torch.float16,
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
}


def resolve_device(device: str | torch.device) -> torch.device:
    """A usable torch device, or :class:`DeviceError` saying why not.

    Args:
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``, …

    Raises:
        DeviceError: unknown device name, or a device this machine does not have.
    """
    from vtinker_core.devices import parse_device
    from vtinker_core.devices import resolve_device as resolve_name

    if not isinstance(device, torch.device):
        parse_device(device)  # the one parser names a bad device
        device = resolve_name(device)
    resolved = torch.device(device)
    if resolved.type == "cpu":
        return resolved
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(
                f"device {device!r} requested but CUDA is not available on this machine "
                "(no NVIDIA GPU, or a CPU-only PyTorch build)",
                setting="engine.device",
            )
        index = resolved.index if resolved.index is not None else torch.cuda.current_device()
        if index >= torch.cuda.device_count():
            raise DeviceError(
                f"device {device!r} requested but only {torch.cuda.device_count()} CUDA "
                "device(s) exist",
                setting="engine.device",
            )
        return torch.device("cuda", index)
    if resolved.type == "mps":
        if not torch.backends.mps.is_available():
            raise DeviceError(
                f"device {device!r} requested but MPS is not available", setting="engine.device"
            )
        return resolved
    raise DeviceError(
        f"device type {resolved.type!r} is not supported: use 'cpu', 'cuda' or 'mps'",
        setting="engine.device",
    )


@functools.cache
def _dtype_works(device: torch.device, dtype: torch.dtype) -> bool:
    """Whether the operator kinds the network uses run in ``dtype`` on ``device``."""
    try:
        x = torch.rand(1, 32, 8, 8, device=device).to(dtype)
        weight = torch.rand(32, 32, 3, 3, device=device).to(dtype)
        y = F.conv2d(x, weight, padding=1)
        y = F.group_norm(y, 32, eps=1e-6)
        y = F.silu(F.interpolate(y, scale_factor=2.0, mode="nearest"))
        y = F.interpolate(y, scale_factor=0.5, mode="bilinear", align_corners=False)
        return bool(torch.isfinite(y.float()).all())
    except (RuntimeError, NotImplementedError, TypeError):
        return False


def resolve_precision(precision: str, device: str | torch.device = "cpu") -> torch.dtype:
    """The torch dtype for a precision name, checked to work on ``device``.

    Args:
        precision: ``"float32"`` (default everywhere), ``"float16"`` or ``"bfloat16"``
            (aliases ``fp32``, ``fp16``, ``half``, ``bf16``).
        device: the device the network will run on.

    Raises:
        DeviceError: unknown name, or a precision this device cannot run.
    """
    key = str(precision).lower()
    if key not in _PRECISIONS:
        raise DeviceError(
            f"unknown precision {precision!r}: use 'float32', 'float16' or 'bfloat16'",
            setting="engine.precision",
        )
    dtype = _PRECISIONS[key]
    resolved = resolve_device(device)
    if dtype != torch.float32 and not _dtype_works(resolved, dtype):
        raise DeviceError(
            f"precision {precision!r} is not supported on device '{resolved}' by this PyTorch "
            "build; use 'float32'",
            setting="engine.precision",
        )
    return dtype


_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4


@functools.cache
def tune_cpu_allocator() -> bool:
    """Keep freed memory in the process heap (glibc only); returns whether it was applied.

    glibc serves every large allocation with a fresh ``mmap`` and returns it on free, so each
    full-resolution activation of the network (≈200 MB at 480p) is page-faulted in again,
    zero-filled, on every layer: measured 30 % of the CPU time of a 480p frame on one thread.
    With ``mmap`` off for the heap and no trimming, freed blocks are reused instead.

    The cost is memory: the heap fragments (long-lived blocks split the free space), which
    measured +0.6–1.2 GB of peak RSS at 480p, and the process keeps its peak heap until it
    exits. So call this only in processes that do the rendering (the engine does, on CPU,
    unless told not to). Numerics are unaffected. A no-op on other C libraries.
    """
    if sys.platform != "linux":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        applied = libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1) and libc.mallopt(_M_MMAP_MAX, 0)
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, ...)
        return False
    if applied:
        _TRIM.append(trim)
    return bool(applied)


_TRIM: list[Callable[[int], int]] = []


def _release_free_memory() -> None:
    """Hand the heap's free pages back after a tile (only when the allocator is tuned).

    Between tiles nearly all of the heap is free; ``malloc_trim`` returns those pages to the
    system, so fragmentation left by one tile does not add up over a frame's many tiles. The
    next pass faults its pages in again, and page faults are costly (≈2 µs per 4 KiB page
    on a virtual machine: 1–2 s per 480p frame), so whole-frame passes and motion estimation
    keep their heap: a render's later frames then reuse the first frame's pages.
    """
    if _TRIM:
        _TRIM[0](0)


@dataclass(eq=False)
class PairState:
    """Everything about a frame pair that does not depend on t.

    Attributes:
        img0: N×3×Hp×Wp frame 0, padded with 0.5 to the divisor, on the network's device and
            in its dtype.
        img1: the same for frame 1.
        flow: 2N×2×Hp×Wp bidirectional flow before t scaling, stored units (4 × pixels):
            rows 0..N−1 frame 0 → 1, rows N..2N−1 frame 1 → 0.
        height: unpadded frame height H.
        width: unpadded frame width W.
        depth: pyramid depth D the flow was estimated with (0 when it came from outside).
        skip: skipped finest levels S.
        frames: image heads/keys of the whole padded frame, computed on first use.
        tiles: image heads/keys of synthesis crops, keyed by crop box (bounded).
    """

    img0: torch.Tensor
    img1: torch.Tensor
    flow: torch.Tensor
    height: int
    width: int
    depth: int
    skip: int
    frames: FrameFeatures | None = None
    tiles: dict[Box, FrameFeatures] = field(default_factory=dict)

    @property
    def batch(self) -> int:
        """Number of pairs N."""
        return int(self.img0.shape[0])

    @property
    def padded_size(self) -> tuple[int, int]:
        """(Hp, Wp)."""
        return int(self.img0.shape[2]), int(self.img0.shape[3])

    def flows_in_pixels(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(forward, backward) N×2×H×W flows in pixels, cropped to the unpadded frame."""
        n, h, w = self.batch, self.height, self.width
        return self.flow[:n, :, :h, :w] / 4, self.flow[n:, :, :h, :w] / 4


def _features_bytes(features: FrameFeatures) -> int:
    return sum(t.numel() * t.element_size() for t in features)


class Interpolator:
    """VTinker inference with motion and frame encoding shared across in-betweens.

    Args:
        network: a :class:`VTinkerNet` in eval mode (its device and dtype are used).
        depth: pyramid depth D; ``None`` picks it from the unpadded size (MODEL.md §6.5).
        skip: skipped finest levels S; ``None`` picks it with D (1 for D ≥ 5, else 0).
        tile_context: pixels of context added on every side of a synthesis crop (then
            aligned to 16 and clipped to the frame).
        tile_cache_bytes: memory allowed for cached per-crop image heads in a
            :class:`PairState` (crops are cached in first-use order until it is full).
        channels_last: convert ``network`` (in place) and the synthesis inputs to the
            channels-last memory format. Measured slower on CPU (x86, oneDNN), so off by
            default; may help on GPUs in reduced precision.
    """

    def __init__(
        self,
        network: VTinkerNet,
        *,
        depth: int | None = None,
        skip: int | None = None,
        tile_context: int = 32,
        tile_cache_bytes: int = 256 << 20,
        channels_last: bool = False,
    ) -> None:
        if depth is not None:
            check_depth_skip(depth, 0 if skip is None else skip)
        elif skip is not None and skip < 0:
            raise ValueError(f"skip must be non-negative, got {skip}")
        if tile_context < 0:
            raise ValueError(f"tile_context must be non-negative, got {tile_context}")
        self.network = network.eval()
        self.depth = depth
        self.skip = skip
        self.tile_context = tile_context
        self.tile_cache_bytes = tile_cache_bytes
        self.channels_last = channels_last
        if channels_last:
            # Module.to accepts memory_format at run time; its type stubs do not list it.
            self.network = self.network.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        parameter = next(self.network.parameters())
        self.device = parameter.device
        self.dtype = parameter.dtype
        self.checkpoint_info: CheckpointInfo | None = None

    @classmethod
    def from_checkpoint(
        cls,
        path: str | Path,
        *,
        device: str | torch.device = "cpu",
        precision: str = "float32",
        **options: object,
    ) -> Interpolator:
        """Load a checkpoint strictly (see :func:`~vtinker_core.model.checkpoint.load_network`).

        Raises:
            CheckpointError: unreadable, unsafe or mismatched checkpoint.
            DeviceError: unavailable device or precision.
        """
        resolved = resolve_device(device)
        dtype = resolve_precision(precision, resolved)
        network, info = load_network(path, device=resolved, dtype=dtype)
        interpolator = cls(network, **options)  # type: ignore[arg-type]
        interpolator.checkpoint_info = info
        return interpolator

    # --- t-independent ------------------------------------------------------------------------

    def depth_skip_for(self, height: int, width: int) -> tuple[int, int]:
        """(D, S) used for an unpadded ``height``×``width`` frame."""
        rule_depth, rule_skip = select_depth_skip(height, width)
        if self.depth is None:
            depth = rule_depth
            skip = rule_skip if self.skip is None else self.skip
        else:
            depth = self.depth
            skip = (1 if depth >= 5 else 0) if self.skip is None else self.skip
        check_depth_skip(depth, skip)
        return depth, skip

    def _prepare(self, image: torch.Tensor, divisor: int) -> torch.Tensor:
        h, w = image.shape[2:]
        # Right/bottom to the divisor (upstream), and to at least two coarsest cells: upstream
        # turns a one-cell grid into NaN (its warp divides by size − 1 = 0).
        pad_h = max(-h % divisor, 2 * divisor - h)
        pad_w = max(-w % divisor, 2 * divisor - w)
        image = image.to(device=self.device, dtype=self.dtype)
        if pad_h or pad_w:
            image = F.pad(image, (0, pad_w, 0, pad_h), value=PAD_VALUE)
        return image

    @staticmethod
    def _check_pair(img0: torch.Tensor, img1: torch.Tensor) -> None:
        if img0.dim() != 4 or img0.shape[1] != 3 or not img0.is_floating_point():
            raise ValueError(f"img0 must be a float N×3×H×W tensor, got {tuple(img0.shape)}")
        if img1.shape != img0.shape:
            raise ValueError(
                f"img0 and img1 differ in shape: {tuple(img0.shape)} vs {tuple(img1.shape)}"
            )

    def estimate(self, img0: torch.Tensor, img1: torch.Tensor) -> PairState:
        """Pad the pair and estimate its bidirectional motion (once per pair).

        Args:
            img0: N×3×H×W float frame 0 in the model encoding, [0, 1], any device.
            img1: N×3×H×W frame 1.

        Returns:
            The :class:`PairState` for :meth:`synthesize`.
        """
        self._check_pair(img0, img1)
        h, w = int(img0.shape[2]), int(img0.shape[3])
        depth, skip = self.depth_skip_for(h, w)
        divisor = padding_divisor(depth)
        with torch.inference_mode():
            x0 = self._prepare(img0, divisor)
            x1 = self._prepare(img1, divisor)
            flow = self.network.estimate_flow(x0, x1, depth, skip)
        return PairState(x0, x1, flow, h, w, depth, skip)

    def state_from_flows(
        self,
        img0: torch.Tensor,
        img1: torch.Tensor,
        forward: torch.Tensor,
        backward: torch.Tensor,
    ) -> PairState:
        """A :class:`PairState` from flows estimated elsewhere (e.g. another engine).

        Args:
            img0: N×3×H×W frame 0.
            img1: N×3×H×W frame 1.
            forward: N×2×H×W flow frame 0 → frame 1 in pixels.
            backward: N×2×H×W flow frame 1 → frame 0 in pixels.
        """
        self._check_pair(img0, img1)
        n, _, h, w = img0.shape
        for name, flow in (("forward", forward), ("backward", backward)):
            if tuple(flow.shape) != (n, 2, h, w):
                raise ValueError(f"{name} flow must be {n}×2×{h}×{w}, got {tuple(flow.shape)}")
        divisor = padding_divisor(self.depth_skip_for(int(h), int(w))[0])  # as estimate pads
        with torch.inference_mode():
            x0 = self._prepare(img0, divisor)
            x1 = self._prepare(img1, divisor)
            stacked = torch.cat([forward, backward], dim=0).to(self.device, self.dtype) * 4
            hp, wp = x0.shape[2:]
            flow = F.pad(stacked, (0, wp - w, 0, hp - h))  # no motion in the padding
        return PairState(x0, x1, flow, int(h), int(w), 0, 0)

    # --- t-dependent --------------------------------------------------------------------------

    def _crop_box(self, state: PairState, region: Box) -> Box:
        x, y, w, h = region
        if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > state.width or y + h > state.height:
            raise ValueError(
                f"region (x={x}, y={y}, width={w}, height={h}) is not inside the "
                f"{state.width}×{state.height} frame"
            )
        hp, wp = state.padded_size
        c = self.tile_context
        x0 = max(0, (x - c) // TILE_ALIGN * TILE_ALIGN)
        y0 = max(0, (y - c) // TILE_ALIGN * TILE_ALIGN)
        x1 = min(wp, math.ceil((x + w + c) / TILE_ALIGN) * TILE_ALIGN)
        y1 = min(hp, math.ceil((y + h + c) / TILE_ALIGN) * TILE_ALIGN)
        return x0, y0, x1 - x0, y1 - y0

    def _features_for(
        self, state: PairState, box: Box, img0: torch.Tensor, img1: torch.Tensor
    ) -> FrameFeatures:
        hp, wp = state.padded_size
        if box == (0, 0, wp, hp):
            if state.frames is None:
                state.frames = self._encode(img0, img1)
            return state.frames
        cached = state.tiles.get(box)
        if cached is not None:
            return cached
        features = self._encode(img0, img1)
        # Tiles are visited in the same order for every t, a cyclic scan in which LRU would
        # never hit: keep the first crops that fit the budget and never evict.
        used = sum(_features_bytes(f) for f in state.tiles.values())
        if used + _features_bytes(features) <= self.tile_cache_bytes:
            state.tiles[box] = features
        return features

    def _encode(self, img0: torch.Tensor, img1: torch.Tensor) -> FrameFeatures:
        return self.network.main_model.encode_frames(self._layout(img0), self._layout(img1))

    def _layout(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def synthesize(self, state: PairState, t: float, region: Box | None = None) -> torch.Tensor:
        """The frame at time ``t`` for the whole frame or a region of it.

        A region is synthesised from a crop around it (``tile_context`` pixels on each side,
        aligned to 16, inside the padded frame) with image heads computed from the cropped
        frames — so near crop edges the result depends on local context only (GroupNorm
        statistics, convolution borders and splats from outside the crop differ from the
        whole-frame pass). Callers tile with overlap and feather. Heads of a crop are cached
        in ``state`` and reused for other t.

        Args:
            state: from :meth:`estimate` (or :meth:`state_from_flows`).
            t: time in [0, 1] between frame 0 and frame 1.
            region: (x, y, width, height) inside the unpadded frame, or ``None`` for all.

        Returns:
            N×3×h×w float32 on the network's device (h×w = region or frame size), unclamped.
        """
        t = float(t)
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"t must lie in [0, 1], got {t}")
        hp, wp = state.padded_size
        if region is None:
            box: Box = (0, 0, wp, hp)
            cut = (0, 0, state.width, state.height)
        else:
            region = tuple(int(v) for v in region)  # type: ignore[assignment]
            box = self._crop_box(state, region)
            cut = (region[0] - box[0], region[1] - box[1], region[2], region[3])
        bx, by, bw, bh = box
        with torch.inference_mode():
            img0 = state.img0[:, :, by : by + bh, bx : bx + bw]
            img1 = state.img1[:, :, by : by + bh, bx : bx + bw]
            flow = state.flow[:, :, by : by + bh, bx : bx + bw]
            features = self._features_for(state, box, img0, img1)
            flow_t = scale_flow_to_time(flow, t)
            out = self.network.main_model.synthesize(
                self._layout(img0), self._layout(img1), flow_t, features
            )
            cx, cy, cw, ch = cut
            out = out[:, :, cy : cy + ch, cx : cx + cw].float().contiguous()
        if region is not None:
            # Tiles are chosen to bound memory: do not let fragmentation accumulate over them.
            _release_free_memory()
        return out

    def interpolate(
        self, frame0: torch.Tensor, frame1: torch.Tensor, times: Sequence[float]
    ) -> list[torch.Tensor]:
        """In-betweens of a pair at each of ``times`` (motion and encoding computed once).

        Args:
            frame0: N×3×H×W float frame 0 in the model encoding, [0, 1].
            frame1: N×3×H×W frame 1.
            times: times in [0, 1].

        Returns:
            One N×3×H×W float32 tensor per time, on the network's device, unclamped.
        """
        state = self.estimate(frame0, frame1)
        return [self.synthesize(state, t) for t in times]
