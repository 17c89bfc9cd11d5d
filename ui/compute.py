"""The preview's computation, without Qt: open a source, render one output frame, show it.

The preview window runs this in a worker thread (see :mod:`vtinker_ui.workers`)::

    session = PreviewSession(job, SourceSpec(("plates/shot.####.exr",)))
    session.info.frames                           # (1001, ..., 1100)
    samples = plan_samples(job, session.info.frames, session.info.detected_cuts)
    result = session.compute(samples[3], DisplaySettings("sRGB - Display", "Un-tone-mapped"))
    result.image                                  # H×W×3 uint8, the in-between through the view
    result.pixels                                 # H×W×3 float32, its RGB in the input space

The render goes through :func:`vtinker_core.session.open_session` and its
:class:`~vtinker_core.frame_renderer.FrameRenderer`, the same code a render
runs, so the preview shows the pixels the render will write (colour, HDR carry, tiles). Motion
is estimated once per source pair and kept for the next frames of the same pair.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from vtinker_core.frame import Frame
    from vtinker_core.job import RenderJob
    from vtinker_core.timing import Sample

#: Placeholder output pattern for preview jobs (the preview writes nothing).
PREVIEW_OUTPUT = "vtinker-preview.####.exr"
#: Views the worker can produce besides the result.
VIEW_KINDS = ("reference", "flow", "occlusion")
_RESULT_CACHE_SIZE = 12


@dataclass(frozen=True)
class SourceSpec:
    """What the preview opened: one input (sequence, video, image) or two images (a pair).

    Attributes:
        paths: one path or pattern, or the two images of a pair.
        frames: the source frame range (``input.frames``), None for all.
        proxy: compute the preview at 1/``proxy`` of the size (1, 2 or 4), or 0 for
            :func:`auto_proxy` of the source size. Renders always run at full size.
    """

    paths: tuple[str, ...]
    frames: str | None = None
    proxy: int = 1

    @property
    def is_pair(self) -> bool:
        return len(self.paths) == 2


@dataclass(frozen=True)
class DisplaySettings:
    """How pixels are shown: an OCIO display and view, and an exposure in stops."""

    display: str | None = None
    view: str | None = None
    exposure: float = 0.0


@dataclass(frozen=True)
class SourceInfo:
    """What an opened source holds, for the timeline and the panel."""

    kind: str
    frames: tuple[int, ...]
    fps: Fraction | None
    height: int
    width: int
    input_colorspace: str
    engine: str
    detected_cuts: tuple[int, ...] = ()
    displays: tuple[tuple[str, tuple[str, ...], str], ...] = ()
    suggested_view: str | None = None
    proxy: int = 1


@dataclass(eq=False)
class FrameResult:
    """One computed output frame, ready to show.

    Attributes:
        sample: what was computed.
        image: H×W×3 uint8, the frame through the display/view (C-contiguous).
        pixels: H×W×3 float32 RGB in the input colourspace (for the pixel read-out).
        reference: the nearer source frame through the view (for the A/B wipe), if asked.
        reference_frame: its frame number.
        flow: colour-wheel picture of the pair's forward motion, if asked.
        occlusion: the occlusion view, if asked.
        seconds: time spent.
        ticket: the request's number (set by the worker).
    """

    sample: Sample
    image: NDArray[np.uint8]
    pixels: NDArray[np.float32]
    reference: NDArray[np.uint8] | None = None
    reference_frame: int | None = None
    flow: NDArray[np.uint8] | None = None
    occlusion: NDArray[np.uint8] | None = None
    seconds: float = 0.0
    ticket: int = 0
    extras: dict[str, Any] = field(default_factory=dict)


def preview_job(data: dict[str, Any]) -> RenderJob:
    """The job the preview computes with: the panel's job, with an output it never writes.

    Raises:
        JobError: the settings the preview needs (input, timing, engine...) are invalid.
    """
    from vtinker_core.job import RenderJob

    payload = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    output = dict(payload.get("output") or {})
    output.update(path=PREVIEW_OUTPUT, vectors=False, bit_depth=None, compression=None)
    output.pop("colorspace", None)
    payload["output"] = output
    return RenderJob.from_dict(payload)


def session_key(job: RenderJob, spec: SourceSpec) -> tuple[Any, ...]:
    """What a :class:`PreviewSession` depends on; a change means opening it again."""
    return (
        spec,
        job.input.colorspace,
        job.ocio,
        job.sanitize,
        job.engine,
        job.tiles,
        job.cuts.detect,
        job.cuts.threshold,
    )


def plan_samples(
    job: RenderJob, frames: Sequence[int], detected_cuts: Sequence[int] = ()
) -> list[Sample]:
    """The job's output frames over ``frames``, numbered as the render numbers them
    (:func:`vtinker_core.job.plan_samples`, with the listed and detected cuts).

    Raises:
        JobError: the timing does not fit the frames.
    """
    from vtinker_core.job import plan_samples as plan

    return plan(job, frames, [*job.cuts.frames, *detected_cuts])


#: Proxy scales the preview offers.
PROXY_SCALES = (1, 2, 4)


def auto_proxy(height: int, width: int) -> int:
    """The preview scale for a source size: full up to 2K, 1/2 up to 4K, 1/4 beyond."""
    longest = max(height, width)
    return 1 if longest <= 2048 else 2 if longest <= 4096 else 4


def proxy_frame(frame: Frame, scale: int) -> Frame:
    """``frame`` at 1/``scale`` of its size (area average), windows scaled to match."""
    import cv2

    from vtinker_core.frame import Frame, Window

    if scale == 1:
        return frame

    def scaled(window: Window) -> Window:
        return Window(
            window.x // scale,
            window.y // scale,
            max(1, -(-window.width // scale)),
            max(1, -(-window.height // scale)),
        )

    data = scaled(frame.meta.data_window)
    parts = []
    for start in range(0, len(frame.channels), 4):  # OpenCV resizes up to 4 channels at once
        chunk = np.ascontiguousarray(frame.pixels[:, :, start : start + 4])
        small = cv2.resize(chunk, (data.width, data.height), interpolation=cv2.INTER_AREA)
        parts.append(small.reshape(data.height, data.width, -1))
    meta = frame.meta.replace(data_window=data, display_window=scaled(frame.meta.display_window))
    return Frame(np.concatenate(parts, axis=2), frame.channels, meta)


class ProxySource:
    """A source whose frames are read at 1/``scale`` of their size (see :func:`proxy_frame`)."""

    def __init__(self, source: Any, scale: int) -> None:
        self._source = source
        self.scale = scale
        self.kind = source.kind
        self.frames = tuple(source.frames)
        self.fps = getattr(source, "fps", None)

    def read(self, frame: int) -> Frame:
        return proxy_frame(self._source.read(frame), self.scale)

    def path(self, frame: int) -> Any:
        return self._source.path(frame)

    def close(self) -> None:
        close = getattr(self._source, "close", None)
        if callable(close):
            close()


def pair_sample(t: float) -> Sample:
    """The sample at ``t`` between the two images of a pair (frames 0 and 1)."""
    from vtinker_core.timing import Sample

    if t <= 0.0:
        return Sample(0, 0.0, 0, 0, 0.0)
    if t >= 1.0:
        return Sample(0, 1.0, 1, 1, 0.0)
    return Sample(0, float(t), 0, 1, float(t))


class PreviewSession:
    """An opened source with its colour pipeline, engine and renderer.

    Not thread-safe: one worker thread uses it at a time.

    Args:
        job: the preview job (see :func:`preview_job`).
        spec: what to open.

    Raises:
        VTinkerError: the source, colour config or engine cannot be opened.
    """

    def __init__(self, job: RenderJob, spec: SourceSpec) -> None:
        from vtinker_core.io import open_source
        from vtinker_core.pair import PairSource
        from vtinker_core.session import open_session

        self.job = job
        self.spec = spec
        self.key = session_key(job, spec)
        self.warnings: list[str] = []
        if spec.is_pair:
            from pathlib import Path

            full: Any = PairSource(Path(spec.paths[0]), Path(spec.paths[1]))
            kind = "pair"
        else:
            full = open_source(spec.paths[0], spec.frames)
            kind = full.kind
        try:
            first = full.read(full.frames[0])
            proxy = spec.proxy or auto_proxy(first.height, first.width)
            if proxy not in PROXY_SCALES:
                raise ValueError(f"proxy must be one of {PROXY_SCALES} or 0 (auto), got {proxy}")
            source = ProxySource(full, proxy) if proxy > 1 else full
            # The preview shows what the source holds: pixels in the source's colourspace,
            # with colour from the full-size source (a proxy is only smaller).
            self._session = open_session(
                job, source=source, colour_source=full, display=True, warn=self.warnings.append
            )
        except BaseException:
            full.close()
            raise
        session = self._session
        self.source = source
        self.pipeline, self.input_cs = session.colors.pipeline, session.colors.input_cs
        self.renderer = session.renderer
        self.engine = session.engine
        choice = session.choice
        detected: tuple[int, ...] = ()
        if job.cuts.detect and not spec.is_pair:
            detected = tuple(session.detected_cuts())
        displays = tuple(
            (
                name,
                tuple(self.pipeline.views(name)),
                str(self.pipeline.config.getDefaultView(name)),
            )
            for name in self.pipeline.displays()
        )
        self.info = SourceInfo(
            kind=kind,
            frames=tuple(source.frames),
            fps=getattr(source, "fps", None),
            height=first.height,
            width=first.width,
            input_colorspace=self.input_cs,
            engine=choice.summary,
            detected_cuts=detected,
            displays=displays,
            suggested_view=self._suggest_view(displays),
            proxy=proxy,
        )
        self._results: OrderedDict[tuple[int, int, float], NDArray[np.float32]] = OrderedDict()

    def _suggest_view(self, displays: Sequence[tuple[str, Sequence[str], str]]) -> str | None:
        """A view that shows display-referred input as it is, or None for the default view.

        Video and 8-bit images (display-referred or sRGB/Rec.709-encoded spaces) look wrong
        through a tone-mapping view such as ACES 2.0 SDR: their values were already made for
        a display. The config's "Un-tone-mapped" view shows them as the editor saw them;
        scene-linear and log input keep the config's default view.
        """
        import PyOpenColorIO as ocio

        space = self.pipeline.config.getColorSpace(self.input_cs)
        if space is None:
            return None
        display_like = space.getReferenceSpaceType() == ocio.REFERENCE_SPACE_DISPLAY or (
            space.getEncoding() in ("sdr-video", "hdr-video")
        )
        if not display_like:
            return None
        for _display, views, _default in displays:
            for view in views:
                if view.lower().replace("-", "").replace(" ", "") == "untonemapped":
                    return view
        return None

    # ------------------------------------------------------------------------------ pixels

    def rgb_of(self, number: int) -> NDArray[np.float32]:
        """Source frame ``number``'s RGB, float32, in the input colourspace."""
        frame = self.renderer.read(number)
        return np.ascontiguousarray(frame.select(self.renderer.rgb_names(frame)), np.float32)

    def render_rgb(self, sample: Sample) -> NDArray[np.float32]:
        """The output frame of ``sample`` as RGB in the input colourspace (cached)."""
        key = (sample.frame_a, sample.frame_b, round(sample.t, 9))
        cached = self._results.get(key)
        if cached is not None:
            self._results.move_to_end(key)
            return cached
        if sample.is_copy:
            rgb = self.rgb_of(sample.frame_a)
        else:
            frame = self.renderer.render(sample, 1.0)
            names = self.renderer.rgb_names(frame)
            rgb = np.ascontiguousarray(frame.select(names), np.float32)
        self._results[key] = rgb
        while len(self._results) > _RESULT_CACHE_SIZE:
            self._results.popitem(last=False)
        return rgb

    def to_display(self, rgb: NDArray[np.float32], display: DisplaySettings) -> NDArray[np.uint8]:
        """Pixels in the input colourspace through the OCIO display/view, as 8-bit."""
        name = display.display or self.pipeline.displays()[0]
        view = display.view or str(self.pipeline.config.getDefaultView(name))
        shown = self.pipeline.to_display(rgb, self.input_cs, name, view, display.exposure)
        # Round to the nearest 8-bit code; dithering is not worth it in a viewer.
        return np.ascontiguousarray(np.clip(shown * 255.0 + 0.5, 0, 255).astype(np.uint8))

    def pair_motion(self, sample: Sample) -> Any:
        """The motion of the source pair around ``sample`` (for a copy, the pair it starts)."""
        a, b = sample.frame_a, sample.frame_b
        if a == b:
            frames = list(self.source.frames)
            i = frames.index(a)
            if len(frames) < 2:
                return None
            a, b = (frames[i], frames[i + 1]) if i + 1 < len(frames) else (frames[i - 1], a)
        return self.renderer.motion(a, b), a

    def compute(
        self,
        sample: Sample,
        display: DisplaySettings,
        views: Sequence[str] = (),
    ) -> FrameResult:
        """Render and show one output frame (plus the views asked for).

        Args:
            sample: the output frame (from :func:`plan_samples` or :func:`pair_sample`).
            display: display, view and exposure.
            views: any of :data:`VIEW_KINDS`.
        """
        from vtinker_ui.flowviz import flow_to_rgb, occlusion_mask, occlusion_overlay

        started = time.monotonic()
        rgb = self.render_rgb(sample)
        result = FrameResult(sample, self.to_display(rgb, display), rgb)
        if "reference" in views:
            near = sample.frame_a if sample.is_copy or sample.t < 0.5 else sample.frame_b
            result.reference = self.to_display(self.rgb_of(near), display)
            result.reference_frame = near
        if "flow" in views or "occlusion" in views:
            found = self.pair_motion(sample)
            if found is not None:
                motion, first = found
                if "flow" in views:
                    result.flow = flow_to_rgb(motion.forward)
                if "occlusion" in views:
                    mask = occlusion_mask(motion.forward, motion.backward, motion.occlusion0)
                    base = self.to_display(self.rgb_of(first), display)
                    result.occlusion = occlusion_overlay(base, mask)
        result.seconds = time.monotonic() - started
        return result

    def close(self) -> None:
        """Release the engine and the source."""
        self._session.close()
        self.source.close()
