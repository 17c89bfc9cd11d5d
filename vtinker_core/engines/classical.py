"""The ``classical`` engine: frame interpolation without weights, the embedded default.

It follows the VTinker network's two ideas with classical tools::

    from vtinker_core.engines import FramePair, create_engine
    engine = create_engine("classical")            # ClassicalEngine(quality="high")
    pair = FramePair(image0, image1)               # H×W×3 float32, model encoding, [0, 1]
    motion = engine.estimate(pair)                 # once per source pair
    middle = engine.synthesize(pair, motion, 0.5)  # H×W×3 float32

``estimate`` (t-independent, once per pair; ``classical_flow``): DIS optical flow both ways at a
processing resolution of at most ``max_side`` pixels, guided flow upsampling (GFU) to full
resolution, a few rounds pulling the two flows towards being each other's inverse, then
forward-backward consistency both ways → flows, occlusion maps and per-pixel splatting
importance.

``synthesize`` (per t and tile): both frames' motion is forward-splatted to t with softmax
(z-buffer-like) weights, holes are filled (``classical_splat``); both frames are warped along
that motion with bicubic sampling, blended by time and visibility, and texture-mapped against
the splatted proxy in overlapping, feathered 8×8 blocks with a small local search
(``classical_texture``). The time-t field covers the whole frame and is cached in the motion
state, so the tiles of one output frame share it.

Quality presets (the ``quality`` option). On all 79 triplets of the bear clip
(``benchmarks/bench_quality.py``) ``high`` scores 33.74 dB against 32.39 dB for a simple DIS
baseline and 21.5 dB for a cross-dissolve; on every fourth triplet (2 busy cores; the baseline
scores 32.6 dB there):

- ``draft``: flow at most 512 px on the long side (GFU up), no texture mapping (33.8 dB).
- ``high`` (default): flow at most 1024 px (full resolution up to 1024), texture mapping
  (33.9 dB, about 0.2–0.3 s per 832×480 in-between).
- ``best``: flow at full resolution with DIS's medium preset and variational refinement
  (33.95 dB, about twice as slow).
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vtinker_core.engines.base import Engine, FramePair, Motion, Region, check_t, crop
from vtinker_core.engines.classical_flow import (
    FlowSettings,
    PairMotion,
    estimate_pair_motion,
    motion_from_flows,
)
from vtinker_core.engines.classical_splat import TimeField, splat_to_time
from vtinker_core.engines.classical_texture import (
    TEXTURE_MARGIN,
    TextureSettings,
    render_window,
)
from vtinker_core.frame import Pixels

#: The quality presets: flow settings and whether texture mapping runs.
QUALITY_PRESETS: dict[str, tuple[FlowSettings, bool]] = {
    "draft": (FlowSettings(preset="ultrafast", max_side=512, symmetric_iterations=1), False),
    "high": (FlowSettings(preset="ultrafast", max_side=1024, symmetric_iterations=2), True),
    "best": (FlowSettings(preset="medium", max_side=None, symmetric_iterations=5), True),
}


@dataclass(eq=False)
class ClassicalState:
    """The classical engine's ``Motion.state``: the pair's motion and a cache of time fields.

    Attributes:
        pair_motion: flows, occlusions and splatting importance of the pair.
        fields: the last time-t field used (the tiles of one output frame share it).
        lock: serialises the computation of a field between threads rendering tiles.
    """

    pair_motion: PairMotion
    fields: dict[float, TimeField] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def time_field(self, image0: Pixels, image1: Pixels, t: float) -> TimeField:
        """The whole-frame field at ``t``, computed once and kept for the next tiles."""
        with self.lock:
            cached = self.fields.get(t)
            if cached is None:
                cached = splat_to_time(image0, image1, self.pair_motion, t)
                # Keep only the newest: the tiles of one output frame come together, and a
                # render moves on through t (a 4K field holds about 280 MB).
                self.fields.clear()
                self.fields[t] = cached
            return cached


class ClassicalEngine(Engine):
    """Weight-free interpolation: DIS flow, guided flow upsampling, splatting, texture mapping.

    Args:
        quality: ``draft``, ``high`` (default) or ``best`` (see the module docstring).
        texture: override the preset's texture mapping (True/False); None keeps the preset.
        max_side: override the preset's flow processing resolution (long side in pixels;
            0 means full resolution); None keeps the preset.
        smoothness: vector smoothness, 0 (sharp) to 1 (smooth) (see
            :class:`~vtinker_core.engines.classical_flow.FlowSettings`); None keeps the preset.

    Raises:
        ValueError: an unknown quality or an invalid override.
    """

    name = "classical"
    # Measured: synthesis peaks at 132 B of NumPy/OpenCV arrays per pixel (512² and 1024²);
    # motion is estimated on the whole frame and is not tiled.
    bytes_per_pixel_float32 = 160.0

    def __init__(
        self,
        *,
        quality: str = "high",
        texture: bool | None = None,
        max_side: int | None = None,
        smoothness: float | None = None,
    ) -> None:
        if quality not in QUALITY_PRESETS:
            raise ValueError(
                f"unknown quality '{quality}' for the classical engine; choose one of "
                f"{', '.join(QUALITY_PRESETS)}"
            )
        flow_settings, use_texture = QUALITY_PRESETS[quality]
        if max_side is not None:
            if max_side < 0:
                raise ValueError(f"max_side must be ≥ 0 (0: full resolution), got {max_side}")
            flow_settings = dataclasses.replace(flow_settings, max_side=max_side or None)
        if smoothness is not None:
            flow_settings = dataclasses.replace(flow_settings, smoothness=float(smoothness))
        self.quality = quality
        self.flow_settings = flow_settings
        self.texture_settings = TextureSettings(
            enabled=use_texture if texture is None else bool(texture)
        )
        # States made for motions that came from elsewhere (their own state left alone).
        self._foreign: weakref.WeakKeyDictionary[Motion, ClassicalState] = (
            weakref.WeakKeyDictionary()
        )

    def estimate(self, pair: FramePair) -> Motion:
        """Flows both ways, occlusions and splatting importance of ``pair`` (once per pair).

        Returns:
            A :class:`Motion` with full-resolution ``forward``/``backward`` flows (pixels),
            ``occlusion0``/``occlusion1`` in [0, 1], and a :class:`ClassicalState` as state.
        """
        return _motion(estimate_pair_motion(pair.image0, pair.image1, self.flow_settings))

    def estimate_at(self, pair: FramePair, detail: float) -> Motion:
        """:meth:`estimate` with the flow computed at ``detail`` × the frame's long side (at
        most the preset's own resolution), brought to full size by the guided upsampling."""
        long_side = max(pair.height, pair.width)
        side = max(16, round(long_side * min(detail, 1.0)))
        preset = self.flow_settings.max_side or long_side
        settings = dataclasses.replace(self.flow_settings, max_side=min(side, preset))
        return _motion(estimate_pair_motion(pair.image0, pair.image1, settings))

    def synthesize(
        self, pair: FramePair, motion: Motion, t: float, region: Region | None = None
    ) -> Pixels:
        """The frame at ``t`` for ``region`` (default: the whole frame).

        ``t`` = 0 and 1 return the source frames' pixels exactly. A ``motion`` that did not
        come from this engine (flows only, e.g. vectors from elsewhere) is used as given: its
        occlusions and importance are derived from its flows once and kept by the engine.

        Returns:
            region.height × region.width × 3 float32 in the model encoding, not clamped.

        Raises:
            ValueError: ``t`` outside [0, 1], a region outside the frame, or flows whose
                shape does not match the pair.
        """
        t = check_t(t)
        region = pair.full_region if region is None else region
        _check_region(pair, region)
        if t == 0.0:
            return crop(pair.image0, region).copy()
        if t == 1.0:
            return crop(pair.image1, region).copy()
        state = self._state_for(pair, motion)
        time_field = state.time_field(pair.image0, pair.image1, t)
        window = _expand(region, TEXTURE_MARGIN, pair.height, pair.width)
        rgb = render_window(pair.image0, pair.image1, time_field, window, self.texture_settings)
        inner = Region(region.x - window.x, region.y - window.y, region.width, region.height)
        return np.ascontiguousarray(crop(rgb, inner))

    def describe(self) -> str:
        flow = self.flow_settings
        resolution = f"≤{flow.max_side}px" if flow.max_side else "full resolution"
        texture = "texture mapping" if self.texture_settings.enabled else "no texture mapping"
        return (
            f"classical ({self.quality}): DIS {flow.preset} flow at {resolution} + guided "
            f"upsampling, softmax splatting, {texture} (no weights)"
        )

    def _state_for(self, pair: FramePair, motion: Motion) -> ClassicalState:
        if isinstance(motion.state, ClassicalState):
            return motion.state
        known = self._foreign.get(motion)
        if known is not None:
            return known
        expected = (pair.height, pair.width, 2)
        for name in ("forward", "backward"):
            flow: Any = getattr(motion, name)
            if getattr(flow, "shape", None) != expected:
                raise ValueError(
                    f"motion.{name} must be {expected} to match the pair, got "
                    f"{getattr(flow, 'shape', None)}"
                )
        pair_motion = motion_from_flows(
            pair.image0,
            pair.image1,
            np.asarray(motion.forward, np.float32),
            np.asarray(motion.backward, np.float32),
        )
        state = ClassicalState(pair_motion)
        self._foreign[motion] = state
        return state


def _motion(pair_motion: PairMotion) -> Motion:
    return Motion(
        forward=pair_motion.forward,
        backward=pair_motion.backward,
        occlusion0=pair_motion.occlusion0,
        occlusion1=pair_motion.occlusion1,
        state=ClassicalState(pair_motion),
    )


def _check_region(pair: FramePair, region: Region) -> None:
    inside = (
        region.width > 0
        and region.height > 0
        and region.x >= 0
        and region.y >= 0
        and region.x + region.width <= pair.width
        and region.y + region.height <= pair.height
    )
    if not inside:
        raise ValueError(f"region {region} is not inside the {pair.width}×{pair.height} frame")


def _expand(region: Region, margin: int, height: int, width: int) -> Region:
    x0, y0 = max(region.x - margin, 0), max(region.y - margin, 0)
    x1 = min(region.x + region.width + margin, width)
    y1 = min(region.y + region.height + margin, height)
    return Region(x0, y0, x1 - x0, y1 - y0)
