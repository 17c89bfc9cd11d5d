"""Per-frame work of a render: turn timing samples into output frames.

Example (:func:`vtinker_core.session.open_session` builds all of it from a job)::

    settings = RenderSettings.from_job(job, plan_colors(job, first, source_file(source, 1001)))
    renderer = FrameRenderer(source, engine, settings, warn=print)
    frame = renderer.render(sample, step=1.0)
    motion = renderer.motion(1001, 1002)     # the pair's motion, estimated once

:class:`FrameRenderer` keeps the last few decoded source frames and the motion of the last
source pairs, so every output frame between two source frames reuses one motion estimate.

Alpha: in-betweens are made from colour premultiplied by alpha in linear light (straight
sources are premultiplied on the way in), so an edge fading out over nothing keeps its colour;
the result is written as the output format stores it (:class:`~vtinker_core.color_plan.ColorPlan`).
A whole-frame position with nothing to convert is the source frame itself.
The preview (``ui/compute.py``) and ``vtinker pair`` use the same renderer as a full render.
Torch is never imported here (devices resolve through :mod:`vtinker_core.devices`).
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vtinker_core.channels import (
    VECTOR_CHANNELS,
    motion_vectors,
    occlusion_matte,
    warp_channels,
)
from vtinker_core.color import check_finite
from vtinker_core.color_plan import ColorPlan
from vtinker_core.engines import Engine, EngineChoice, FramePair, Motion, create_engine
from vtinker_core.errors import JobError
from vtinker_core.frame import Frame, Pixels
from vtinker_core.io import FrameSource
from vtinker_core.job import OutputSpec, RenderJob, ShutterSpec
from vtinker_core.motion_inputs import MotionSource, SuppliedVectors, occlusions
from vtinker_core.tiling import auto_tile_size, plan_tiles, run_with_oom_retry, synthesize_tiled
from vtinker_core.timing import SNAP_TOLERANCE, Sample

#: The occlusion matte's channel (Kronos Output "Matte").
MATTE_CHANNEL = "matte.A"
# Alpha below this is semi-transparent: its colour is carried with the alpha (see _inbetween).
_OPAQUE = 1.0 - 1e-4


def added_channels(output: OutputSpec) -> tuple[str, ...]:
    """The layers a render adds to the source's channels: vectors and matte, prefixed."""
    names = (VECTOR_CHANNELS if output.vectors else ()) + ((MATTE_CHANNEL,) if output.matte else ())
    return tuple(f"{output.layer_prefix or ''}{name}" for name in names)


def output_channels(source: tuple[str, ...], output: OutputSpec) -> tuple[str, ...]:
    """The channels of an output frame: the source's, then the added layers (an added layer
    the source already has replaces it in place)."""
    return source + tuple(n for n in added_channels(output) if n not in source)


@dataclass(frozen=True)
class RenderSettings:
    """What the renderer needs of a job: colour, tiles, NaN handling, added layers, blur.

    Attributes:
        colors: the colourspaces and alpha convention (:class:`ColorPlan`).
        tile_size: tile size in pixels, or None for auto (follow free memory).
        tile_overlap: tile overlap in pixels.
        sanitize: replace NaN/Inf input values instead of failing.
        vectors: add ``forward.u/v``, ``backward.u/v`` to every output frame.
        matte: add the occlusion matte (``matte.A``).
        layer_prefix: prefix of the added layers.
        shutter: motion blur (:class:`~vtinker_core.job.ShutterSpec`).
        cuts: source frames that start a shot; shutter samples stay inside their shot.
        detail: motion estimated at this fraction of the resolution; None = the engine's rule.
    """

    colors: ColorPlan
    tile_size: int | None = None
    tile_overlap: int = 64
    sanitize: bool = False
    vectors: bool = False
    matte: bool = False
    layer_prefix: str = ""
    shutter: ShutterSpec = field(default_factory=ShutterSpec)
    cuts: tuple[int, ...] = ()
    detail: float | None = None

    @classmethod
    def from_job(
        cls, job: RenderJob, colors: ColorPlan, cuts: tuple[int, ...] = ()
    ) -> RenderSettings:
        out = job.output
        return cls(
            colors,
            job.tiles.size,
            job.tiles.overlap,
            job.sanitize,
            out.vectors,
            out.matte,
            out.layer_prefix or "",
            job.shutter,
            tuple(sorted(set(cuts))),
            job.motion.detail,
        )


@dataclass
class _PairState:
    frames: tuple[Frame, Frame]
    model: tuple[Any, Any]
    pair: FramePair
    motion: Motion


class FrameReader(Protocol):
    """What the renderer reads frames from: a :class:`~vtinker_core.io.FrameSource`, an image
    pair, or a preview proxy of either."""

    @property
    def frames(self) -> tuple[int, ...]: ...

    def read(self, frame: int) -> Frame: ...

    def path(self, frame: int) -> Any: ...


class FrameRenderer:
    """Turns samples into output frames; keeps the last pairs' motion and decoded frames."""

    def __init__(
        self,
        source: FrameReader,
        engine: Engine,
        settings: RenderSettings,
        *,
        warn: Callable[[str], None] = lambda _message: None,
        vectors: SuppliedVectors | None = None,
        motion_source: MotionSource | None = None,
    ) -> None:
        self.source, self.engine, self.settings = source, engine, settings
        self.vectors, self.motion_source = vectors, motion_source
        colors = settings.colors
        self.colors = colors
        self.pipeline = colors.pipeline
        self.input_cs, self.output_cs = colors.input_cs, colors.output_cs
        self.linear_cs = self.pipeline.resolve_colorspace("scene_linear")
        self.warn = warn
        self._frames: OrderedDict[int, Frame] = OrderedDict()
        self._working: OrderedDict[int, Frame] = OrderedDict()
        self._pairs: OrderedDict[tuple[int, int], _PairState] = OrderedDict()

    def read(self, number: int) -> Frame:
        if number in self._frames:
            self._frames.move_to_end(number)
            return self._frames[number]
        frame = self.source.read(number)
        frame, replaced = check_finite(
            frame, source=source_file(self.source, number), sanitize=self.settings.sanitize
        )
        if replaced:
            self.warn(f"replaced {replaced} NaN/Inf values in source frame {number}")
        self._frames[number] = frame
        while len(self._frames) > 4:
            self._frames.popitem(last=False)
        return frame

    def working(self, number: int) -> Frame:
        """Source frame ``number`` with its colour premultiplied by alpha (in linear light)."""
        if number in self._working:
            self._working.move_to_end(number)
            return self._working[number]
        frame = self.read(number)
        alpha = frame.alpha_channel
        if alpha is not None and not frame.meta.premultiplied:
            names = self.rgb_names(frame)
            idx = [frame.index(n) for n in names]
            pixels = frame.pixels.copy()
            linear = self.pipeline.to_linear(pixels[:, :, idx], self.input_cs)
            linear *= pixels[:, :, frame.index(alpha)][:, :, None]
            pixels[:, :, idx] = self.pipeline.linear_to(linear, self.input_cs)
            frame = Frame(pixels, frame.channels, frame.meta.replace(premultiplied=True))
        self._working[number] = frame
        while len(self._working) > 4:
            self._working.popitem(last=False)
        return frame

    def rgb_names(self, frame: Frame) -> tuple[str, str, str]:
        names = frame.rgb_channels
        if names is None:
            raise JobError(
                f"source frame has no RGB channels (channels: {', '.join(frame.channels)})",
                setting="input.path",
            )
        return names

    def motion(self, a: int, b: int) -> Motion:
        """The motion between source frames ``a`` and ``b`` (estimated once, then reused)."""
        return self._pair(a, b).motion

    def _pair(self, a: int, b: int) -> _PairState:
        key = (a, b)
        if key in self._pairs:
            self._pairs.move_to_end(key)
            return self._pairs[key]
        f0, f1 = self.working(a), self.working(b)
        if f0.pixels.shape[:2] != f1.pixels.shape[:2]:
            raise JobError(f"source frames {a} and {b} differ in size", setting="input.path")
        m0 = self.pipeline.to_model(f0.select(self.rgb_names(f0)), self.input_cs)
        m1 = self.pipeline.to_model(f1.select(self.rgb_names(f1)), self.input_cs)
        pair = FramePair(m0.model, m1.model, key=key)
        state = _PairState((f0, f1), (m0, m1), pair, self._estimate(a, b, pair))
        self._pairs[key] = state
        while len(self._pairs) > 2:
            self._pairs.popitem(last=False)
        return state

    def _estimate(self, a: int, b: int, pair: FramePair) -> Motion:
        """The pair's motion: supplied vectors, an estimate on the motion source, or the
        engine's estimate on the pair itself (at the job's vector detail)."""
        if self.vectors is not None:
            return self.vectors.motion(a, b, pair.image0, pair.image1)
        detail = self.settings.detail
        if self.motion_source is None:
            return (
                self.engine.estimate(pair)
                if detail is None
                else self.engine.estimate_at(pair, detail)
            )
        size = (pair.height, pair.width)
        model = []
        for number in (a, b):
            frame = self.motion_source.read(number, size)
            rgb = frame.select(frame.rgb_channels or frame.channels[:3])
            model.append(self.pipeline.to_model(rgb, self.input_cs).model)
        guide = FramePair(model[0], model[1], key=("motion source", a, b))
        found = (
            self.engine.estimate(guide)
            if detail is None
            else self.engine.estimate_at(guide, detail)
        )
        # Only the flows and occlusions carry over: the engine's state belongs to the guide's
        # pixels, and synthesis must sample the source's.
        return Motion(found.forward, found.backward, found.occlusion0, found.occlusion1)

    def _synthesize(self, state: _PairState, t: float) -> Pixels:
        h, w = state.pair.height, state.pair.width
        overlap = self.settings.tile_overlap
        size = self.settings.tile_size
        if size is None:
            engine = self.engine
            size = auto_tile_size(h, w, engine.bytes_per_pixel, engine.device, overlap=overlap)
        align = self.engine.tile_align

        def run(tile: int | None) -> Pixels:
            if tile is None or tile >= max(h, w):
                return self.engine.synthesize(state.pair, state.motion, t)
            tiles = plan_tiles(h, w, tile, overlap, align=align)
            return synthesize_tiled(
                lambda region: self.engine.synthesize(state.pair, state.motion, t, region),
                h,
                w,
                3,
                tiles,
            )

        result: Pixels = run_with_oom_retry(run, size, height=h, width=w, on_retry=self.warn)
        return result

    def render(self, sample: Sample, step: float) -> Frame:
        """The output frame for ``sample``: all the source's channels, motion-blurred when the
        shutter is open, plus the added layers (vectors, matte) for the frame's own time.

        Args:
            sample: the output frame's sample.
            step: source frames between this output and the next one (the local speed;
                scales the vectors and the shutter).
        """
        times = self.settings.shutter.times(sample.position, step)
        if len(times) > 1:
            frame = self._blurred(sample.position, times)
        elif sample.is_copy:
            frame = self._copy(self.read(sample.frame_a))
        else:
            frame = self._inbetween(self._pair(sample.frame_a, sample.frame_b), sample.t)
        return self._add_layers(frame, sample, step)

    # ------------------------------------------------------------------ pictures

    def _copy(self, frame: Frame) -> Frame:
        """A source frame as the output stores it: untouched when nothing converts."""
        alpha = frame.alpha_channel
        straight_in = alpha is not None and not frame.meta.premultiplied
        straight_out = alpha is not None and self.colors.output_straight
        if self.output_cs == self.input_cs and straight_in == straight_out:
            return frame
        names = self.rgb_names(frame)
        idx = [frame.index(n) for n in names]
        pixels = frame.pixels.copy()
        linear = self.pipeline.to_linear(pixels[:, :, idx], self.input_cs)
        if alpha is not None and straight_in != straight_out:
            a = pixels[:, :, frame.index(alpha)][:, :, None]
            linear = _unpremultiply(linear, a) if straight_out else linear * a
        pixels[:, :, idx] = self.pipeline.linear_to(linear, self.output_cs)
        return Frame(pixels, frame.channels, frame.meta.replace(premultiplied=not straight_out))

    def _inbetween(self, state: _PairState, t: float) -> Frame:
        return self._output(self._linear_inbetween(state, t), state.frames[0])

    def _linear_inbetween(self, state: _PairState, t: float) -> Pixels:
        """The frame at ``t`` with the source's channels: RGB in linear light, premultiplied
        by alpha, the other channels as the source holds them."""
        f0, f1 = state.frames
        names = self.rgb_names(f0)
        rgb_idx = [f0.index(n) for n in names]
        model_rgb = self._synthesize(state, t)
        engine_linear = self.pipeline.from_model(model_rgb, self.linear_cs)

        # Values the model encoding cannot carry (highlights, negatives), the colour of
        # semi-transparent pixels (so it mixes exactly as its alpha does: no fringe) and every
        # channel besides RGB travel together by one motion-compensated blend in linear light.
        m0, m1 = state.model
        alpha = f0.alpha_channel
        carry0, carry1 = m0.outside, m1.outside
        if alpha is not None:
            carry0 = carry0 | (f0.pixels[:, :, f0.index(alpha)] < _OPAQUE)
            carry1 = carry1 | (f1.pixels[:, :, f1.index(alpha)] < _OPAQUE)
        carry_hdr = bool(carry0.any() or carry1.any())
        others = [i for i in range(len(f0.channels)) if i not in rgb_idx]
        side0: list[Pixels] = []
        side1: list[Pixels] = []
        if carry_hdr:
            side0 += [m0.linear, carry0[:, :, None].astype(np.float32)]
            side1 += [m1.linear, carry1[:, :, None].astype(np.float32)]
        if others:
            side0.append(f0.pixels[:, :, others])
            side1.append(f1.pixels[:, :, others])
        carried = (
            warp_channels(
                np.concatenate(side0, axis=2), np.concatenate(side1, axis=2), state.motion, t
            )
            if side0
            else None
        )
        linear = engine_linear
        if carried is not None and carry_hdr:
            weight = np.clip(carried[:, :, 3:4] * 2.0, 0.0, 1.0)
            linear = engine_linear * (1.0 - weight) + carried[:, :, :3] * weight
        pixels = np.empty_like(f0.pixels)
        if carried is not None and others:
            pixels[:, :, others] = carried[:, :, 4:] if carry_hdr else carried
        pixels[:, :, rgb_idx] = linear
        return pixels

    def _linear_copy(self, number: int) -> Pixels:
        """Source frame ``number`` as :meth:`_linear_inbetween` gives frames."""
        frame = self.working(number)
        idx = [frame.index(n) for n in self.rgb_names(frame)]
        pixels = frame.pixels.copy()
        pixels[:, :, idx] = self.pipeline.to_linear(pixels[:, :, idx], self.input_cs)
        return pixels

    def _output(self, pixels: Pixels, template: Frame) -> Frame:
        """Linear premultiplied pixels (the source's channels) as the output stores them."""
        rgb_idx = [template.index(n) for n in self.rgb_names(template)]
        linear = pixels[:, :, rgb_idx]
        alpha = template.alpha_channel
        straight = alpha is not None and self.colors.output_straight
        if alpha is not None and straight:
            linear = _unpremultiply(linear, pixels[:, :, template.index(alpha)][:, :, None])
        pixels[:, :, rgb_idx] = self.pipeline.linear_to(linear.astype(np.float32), self.output_cs)
        meta = template.meta.replace(premultiplied=not straight)
        return Frame(np.ascontiguousarray(pixels, dtype=np.float32), template.channels, meta)

    def _blurred(self, position: float, times: list[float]) -> Frame:
        """The average of the frames at ``times`` in linear light (premultiplied, every
        channel), each time kept inside the shot of ``position``; pairs' motion is estimated
        once and shared by all the samples (and outputs) that fall between them."""
        low, high = self._shot(position)
        frames = sorted(self.source.frames)
        total: Pixels | None = None
        template: Frame | None = None
        for time in times:
            q = min(max(time, float(low)), float(high))
            i = bisect.bisect_right(frames, q) - 1
            a = frames[i]
            if abs(q - a) <= SNAP_TOLERANCE or a == frames[-1]:
                pixels, template = self._linear_copy(a), template or self.working(a)
            elif abs(q - frames[i + 1]) <= SNAP_TOLERANCE:
                pixels, template = self._linear_copy(frames[i + 1]), template or self.working(a)
            else:
                b = frames[i + 1]
                state = self._pair(a, b)
                pixels, template = self._linear_inbetween(state, (q - a) / (b - a)), state.frames[0]
            total = pixels if total is None else total + pixels
        assert total is not None and template is not None
        return self._output(total / np.float32(len(times)), template)

    def _shot(self, position: float) -> tuple[int, int]:
        """The first and last source frame of the shot that holds ``position``."""
        frames = sorted(self.source.frames)
        low, high = frames[0], frames[-1]
        for cut in self.settings.cuts:
            if cut <= position + SNAP_TOLERANCE:
                low = max(low, cut)
            else:
                before = [f for f in frames if f < cut]
                high = min(high, before[-1]) if before else high
                break
        return low, high

    # ------------------------------------------------------------------ added layers

    def _add_layers(self, frame: Frame, sample: Sample, step: float) -> Frame:
        """``frame`` with the vectors and the matte for ``sample``'s own time (the centre of
        a blurred frame), prefixed; a layer the frame already has is replaced in place."""
        settings = self.settings
        if not (settings.vectors or settings.matte):
            return frame
        h, w = frame.pixels.shape[:2]
        layers: list[Pixels] = []
        state: _PairState | None
        if sample.is_copy:
            state = self._neighbour_motion(sample.frame_a) if len(self.source.frames) > 1 else None
            t = 0.0
        else:
            state, t = self._pair(sample.frame_a, sample.frame_b), sample.t
        if settings.vectors:
            zeros = np.zeros((h, w, 4), np.float32)
            layers.append(motion_vectors(state.motion, t, step) if state else zeros)
        if settings.matte:
            matte = np.zeros((h, w, 1), np.float32)
            if state is not None and not sample.is_copy:
                matte = self._matte(state, t)
            layers.append(matte)
        names = [
            f"{settings.layer_prefix}{n}" for n in (VECTOR_CHANNELS if settings.vectors else ())
        ]
        names += [f"{settings.layer_prefix}{MATTE_CHANNEL}"] if settings.matte else []
        added = np.concatenate(layers, axis=2)
        channels = list(frame.channels)
        pixels = frame.pixels
        extra = [n for n in names if n not in channels]
        if extra:
            pixels = np.concatenate([pixels, np.zeros((h, w, len(extra)), np.float32)], axis=2)
            channels += extra
        else:
            pixels = pixels.copy()
        for i, name in enumerate(names):
            pixels[:, :, channels.index(name)] = added[:, :, i]
        return Frame(np.ascontiguousarray(pixels, dtype=np.float32), tuple(channels), frame.meta)

    def _matte(self, state: _PairState, t: float) -> Pixels:
        """Occlusion confidence at ``t`` (H×W×1, :func:`~vtinker_core.channels.occlusion_matte`);
        motions without occlusion maps get them from their flows' consistency."""
        motion = state.motion
        occ0, occ1 = motion.occlusion0, motion.occlusion1
        if occ0 is None or occ1 is None:
            occ0, occ1 = occlusions(motion.forward, motion.backward, *_images(state.pair))
        return occlusion_matte(occ0, occ1, motion, t)

    def _neighbour_motion(self, frame: int) -> _PairState | None:
        frames = list(self.source.frames)
        i = frames.index(frame)
        if i + 1 < len(frames):
            return self._pair(frame, frames[i + 1])
        if i > 0:
            state = self._pair(frames[i - 1], frame)
            return _PairState(
                state.frames,
                state.model,
                state.pair,
                Motion(forward=-state.motion.backward, backward=-state.motion.forward),
            )
        return None


def _images(pair: FramePair) -> tuple[Pixels, Pixels]:
    return pair.image0, pair.image1


def _unpremultiply(linear: Pixels, alpha: Pixels) -> Pixels:
    """Colour divided by alpha; where alpha is (nearly) 0 there is no colour to recover."""
    safe = np.where(alpha > 1e-6, alpha, np.float32(1.0))
    result: Pixels = np.where(alpha > 1e-6, linear / safe, np.float32(0.0)).astype(np.float32)
    return result


def create_chosen_engine(job: RenderJob, choice: EngineChoice) -> Engine:
    """The engine ``choice`` names, on the job's device and precision."""
    options: dict[str, Any] = {}
    if choice.name == "classical" and job.motion.smoothness is not None:
        options = {"smoothness": job.motion.smoothness}
    if choice.name == "vtinker":
        from vtinker_core.devices import resolve_device

        options = {"device": resolve_device(job.engine.device), "precision": job.engine.precision}
    return create_engine(choice.name, choice.checkpoint, **options)


def source_file(source: FrameSource | Any, frame: int) -> Path:
    """The file holding ``frame`` of a source (the video file itself for a video)."""
    return Path(source.path(frame))


__all__ = [
    "MATTE_CHANNEL",
    "FrameRenderer",
    "RenderSettings",
    "added_channels",
    "create_chosen_engine",
    "output_channels",
    "source_file",
]
