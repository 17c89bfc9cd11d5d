"""The one front door to a render: a job in, everything that renders its frames out.

``vtinker render``, ``vtinker pair`` and the preview window all open their work here::

    with open_session(job, warn=print) as session:
        session.source, session.first            # the frames, and the first one as read
        session.colors                           # colourspaces and alpha (ColorPlan)
        session.choice                           # which engine, and why
        session.cuts()                           # listed and (if asked) detected scene cuts
        frame = session.renderer.render(sample, step=1.0)   # the engine loads on first use

    open_session(job, source=PairSource(a, b))          # any frame reader (a pair, a proxy)
    open_session(job, source=proxy, colour_source=full)  # colour from the full-size source
    open_session(job, display=True)                      # pixels in the source's colourspace

Closing the session releases the engine (and the source, when the session opened it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from types import TracebackType
from typing import Any

from vtinker_core.color_plan import ColorPlan, plan_colors
from vtinker_core.engines import Engine, EngineChoice, choose_engine
from vtinker_core.frame import Frame, Pixels
from vtinker_core.frame_renderer import (
    FrameReader,
    FrameRenderer,
    RenderSettings,
    create_chosen_engine,
    source_file,
)
from vtinker_core.job import RenderJob
from vtinker_core.motion_inputs import MotionSource, SuppliedVectors

__all__ = ["RenderSession", "open_session"]


class RenderSession:
    """An opened render: source, first frame, colour plan, engine choice; the engine and the
    renderer are made on first use, so checks that need no engine fail before it loads.

    Attributes:
        job: the job.
        source: what frames are read from (``.frames``, ``.read(n)``, ``.path(n)``).
        first: the source's first frame, as read (its size, channels and metadata).
        colors: the colourspaces and alpha convention.
        choice: which engine ``auto`` (or the job) chose, and why.
    """

    def __init__(
        self,
        job: RenderJob,
        source: Any,
        first: Frame,
        colors: ColorPlan,
        choice: EngineChoice,
        *,
        owns_source: bool,
        warn: Callable[[str], None],
    ) -> None:
        self.job, self.source, self.first = job, source, first
        self.colors, self.choice = colors, choice
        self._owns_source = owns_source
        self._warn = warn
        self._engine: Engine | None = None
        self._renderer: FrameRenderer | None = None
        self._cuts: list[int] | None = None
        self._extra_sources: list[Any] = []

    @property
    def engine(self) -> Engine:
        """The engine (created, and for the network its weights loaded, on first use)."""
        if self._engine is None:
            self._engine = create_chosen_engine(self.job, self.choice)
        return self._engine

    @property
    def renderer(self) -> FrameRenderer:
        """The renderer over :attr:`source` with :attr:`engine` (and the job's supplied
        vectors or motion source, opened here)."""
        if self._renderer is None:
            cuts = tuple(self.cuts()) if self.job.shutter.active else ()
            settings = RenderSettings.from_job(self.job, self.colors, cuts)
            vectors, motion_source = self._motion_inputs()
            self._renderer = FrameRenderer(
                self.source,
                self.engine,
                settings,
                warn=self._warn,
                vectors=vectors,
                motion_source=motion_source,
            )
        return self._renderer

    def _motion_inputs(self) -> tuple[SuppliedVectors | None, MotionSource | None]:
        motion = self.job.motion
        if motion.vectors_from == "input":
            return SuppliedVectors(self.source, self.job.input.path), None
        if motion.vectors_from:
            return SuppliedVectors(self._open(motion.vectors_from, "motion.vectors_from"),
                                   motion.vectors_from), None  # fmt: skip
        if motion.source:
            return None, MotionSource(self._open(motion.source, "motion.source"), motion.source)
        return None, None

    def _open(self, path: str, setting: str) -> Any:
        from vtinker_core.errors import JobError, VTinkerError
        from vtinker_core.io import open_source

        try:
            reader = open_source(path)
        except VTinkerError as err:
            raise JobError(f"{setting}: {err}", setting=setting, path=path) from err
        self._extra_sources.append(reader)
        return reader

    def detected_cuts(self) -> list[int]:
        """Scene cuts found in the source (:func:`vtinker_core.cuts.detect_cuts`), at the job's
        threshold; the frames are read in the source's colourspace, as the network sees them."""
        from vtinker_core.cuts import DEFAULT_THRESHOLD, detect_cuts

        pipeline, space = self.colors.pipeline, self.colors.input_cs

        def read_model(n: int) -> Pixels:
            frame = self.source.read(n)
            rgb = frame.select(frame.rgb_channels or frame.channels[:3])
            return pipeline.to_model(rgb, space).model

        threshold = self.job.cuts.threshold or DEFAULT_THRESHOLD
        return list(detect_cuts(list(self.source.frames), read_model, threshold))

    def cuts(self) -> list[int]:
        """The job's listed cuts, plus the detected ones when the job asks for detection
        (detected once per session)."""
        if self._cuts is None:
            listed = set(self.job.cuts.frames)
            if self.job.cuts.detect:
                listed |= set(self.detected_cuts())
            self._cuts = sorted(listed)
        return list(self._cuts)

    def close(self) -> None:
        """Release the engine (and the source, when this session opened it)."""
        if self._engine is not None:
            self._engine.close()
        for reader in self._extra_sources:
            reader.close()
        if self._owns_source:
            self.source.close()

    def __enter__(self) -> RenderSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def open_session(
    job: RenderJob,
    *,
    source: FrameReader | None = None,
    colour_source: FrameReader | None = None,
    display: bool = False,
    warn: Callable[[str], None] = lambda _message: None,
) -> RenderSession:
    """Open ``job``: its source, colour plan and engine choice (the engine itself on first use).

    Args:
        job: the render job.
        source: frames to render from; default: ``open_source(job.input.path,
            job.input.frames)`` (the session then closes it).
        colour_source: the source whose first frame and file decide the colourspaces, when
            ``source`` is a stand-in (the preview's proxy); default: ``source``.
        display: render in the source's own colourspace with its alpha (what a viewer
            shows), not the job's output colourspace.
        warn: receives one line per thing the user should know (an untagged video's assumed
            colourspace, NaN values replaced, a smaller tile after running out of memory).

    Raises:
        VTinkerError: the source or the colour config cannot be opened, or the engine asked
            for cannot be found.
    """
    owns = source is None
    if source is None:
        from vtinker_core.io import open_source

        source = open_source(job.input.path, job.input.frames)
    try:
        reference = colour_source if colour_source is not None else source
        first_number = reference.frames[0]
        first = reference.read(first_number)
        video = getattr(reference, "video", None)
        colors = plan_colors(
            job,
            first,
            source_file(reference, first_number),
            video_tags=video.tags if video is not None else None,
        )
        if display:
            colors = replace(colors, output_cs=colors.input_cs, output_straight=False)
        for note in colors.notes:
            warn(note)
        choice = choose_engine(job.engine.name, job.engine.checkpoint)
    except BaseException:
        if owns:
            source.close()  # type: ignore[union-attr]
        raise
    return RenderSession(job, source, first, colors, choice, owns_source=owns, warn=warn)
