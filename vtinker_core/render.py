"""Render a job: source frames in, retimed frames out, safely.

Example::

    job = read_job("job.json")
    result = render_job(job, frames="1001-1050", progress=BarProgress())

A render is:

* **chunkable** — ``frames`` selects output frames, so a farm can split a job into tasks;
* **resumable** — an output file already there and readable with the right size and channels
  is skipped (writes are atomic, so a file under its final name is complete);
* **atomic** — each frame goes to a temporary file in the output folder, then is renamed;
  a video is encoded as its frames are made and appears under its name only when complete
  (it cannot resume: a cancelled or failed video render leaves no file);
* **cancellable** — ``cancel`` (a ``threading.Event``; the CLI sets it on Ctrl-C/SIGTERM) stops
  the render after the current frame with :class:`RenderCancelledError`;
* **locked** — a render of a different job into the same output folder is refused while the
  first runs; chunks of one job share the folder (:func:`~vtinker_core.render_lock.job_identity`);
* **safe for sources** — an output path that is one of the input files is refused up front.

Motion is estimated once per source pair and reused for every output frame between them.

This module plans and drives the render; the session (source, colour, engine) comes from
:mod:`vtinker_core.session`, the per-frame work from :mod:`vtinker_core.frame_renderer` and
the folder lock from :mod:`vtinker_core.render_lock`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from vtinker_core.color_plan import ColorPlan
from vtinker_core.errors import (
    ImageReadError,
    JobError,
    RenderCancelledError,
)
from vtinker_core.frame import Frame
from vtinker_core.frame_renderer import source_file
from vtinker_core.io import (
    VIDEO_EXTENSIONS,
    FrameSource,
    VideoWriter,
    output_path,
    parse_frame_range,
    plan_video_output,
    prepare_output_folder,
    probe_frame,
    write_frame,
)
from vtinker_core.io.video_write import VideoOutput
from vtinker_core.job import RenderJob, plan_samples
from vtinker_core.progress import ProgressReporter
from vtinker_core.render_lock import (
    job_identity,
    output_lock,
    remove_stale_temp_files,
)
from vtinker_core.session import RenderSession, open_session
from vtinker_core.timecode import advance_timecode
from vtinker_core.timing import Sample


@dataclass(frozen=True)
class RenderResult:
    """What a render did: output frames in order, their files, which were new or skipped."""

    frames: tuple[int, ...]
    rendered: tuple[int, ...]
    skipped: tuple[int, ...]
    paths: tuple[Path, ...]
    engine: str
    seconds: float


@dataclass(frozen=True)
class RenderPlan:
    """A job resolved against the files on disk: which output frame comes from where."""

    samples: tuple[Sample, ...]
    source: FrameSource
    output_frames: tuple[int, ...]
    step: dict[int, float]

    def sample(self, output_frame: int) -> Sample:
        return self.samples[self.output_frames.index(output_frame)]


# ----------------------------------------------------------------------------------- planning


def plan_render(job: RenderJob, source: FrameSource, cuts: Sequence[int] = ()) -> RenderPlan:
    """Map the job's timing onto the source frames and number the outputs."""
    renumbered = tuple(plan_samples(job, source.frames, cuts))
    outputs = tuple(s.output_frame for s in renumbered)
    step: dict[int, float] = {}
    for i, s in enumerate(renumbered):
        if len(renumbered) == 1:
            step[s.output_frame] = 1.0
        elif i + 1 < len(renumbered):
            step[s.output_frame] = renumbered[i + 1].position - s.position
        else:
            step[s.output_frame] = s.position - renumbered[i - 1].position
    return RenderPlan(renumbered, source, outputs, step)


def _check_not_overwriting_inputs(
    job: RenderJob, source: FrameSource, outputs: Sequence[int]
) -> None:
    inputs = {source_file(source, f).resolve() for f in source.frames}
    is_video = f".{job.output.extension}" in VIDEO_EXTENSIONS
    candidates = (
        [Path(job.output.path)]
        if is_video
        else [Path(output_path(job.output.path, f)) for f in outputs]
    )
    for candidate in candidates:
        if candidate.resolve() in inputs:
            raise JobError(
                f"output '{candidate}' is one of the input files; choose another output path "
                "(vtinker never writes over its sources)",
                setting="output.path",
                path=candidate,
            )


# ---------------------------------------------------------------------------------- rendering


def _output_meta(
    frame: Frame, job: RenderJob, fps: Fraction | None, index: int, tc0: str | None
) -> Any:
    meta = frame.meta
    changes: dict[str, Any] = {}
    if fps is not None:
        changes["fps"] = fps
    if tc0 is not None and fps is not None:
        changes["timecode"] = advance_timecode(tc0, index, fps)
    return meta.replace(**changes) if changes else meta


def _is_valid_output(path: Path, expected: tuple[int, int, int]) -> bool:
    if not path.is_file():
        return False
    try:
        info = probe_frame(path)
    except ImageReadError:
        return False
    return (info.height, info.width, len(info.channels)) == expected


def _select_frames(plan: RenderPlan, frames: str | None) -> list[int]:
    if not frames:
        return list(plan.output_frames)
    wanted = set(parse_frame_range(frames))
    chosen = [f for f in plan.output_frames if f in wanted]
    if not chosen:
        raise JobError(
            f"--frames {frames} selects none of the output frames "
            f"{plan.output_frames[0]}-{plan.output_frames[-1]}",
            setting="frames",
        )
    return chosen


def render_job(
    job: RenderJob,
    *,
    frames: str | None = None,
    progress: ProgressReporter | None = None,
    cancel: threading.Event | None = None,
    force: bool = False,
) -> RenderResult:
    """Render ``job`` (or the output frames ``frames`` of it). See the module docstring.

    Raises:
        JobError, ImageReadError, SequenceError, ColorConfigError, EngineError, VideoError,
            OutputFolderError: bad input or output, before any frame is made.
        RenderLockedError: another render writes into the same folder.
        RenderCancelledError: ``cancel`` was set; the frame in progress was finished first
            (a video output is not written: videos cannot resume).
    """
    reporter = progress or ProgressReporter()
    started = time.monotonic()
    notes: list[str] = []
    with open_session(job, warn=notes.append) as session:
        return _render(session, reporter, started, notes, frames, cancel, force)


def _render(
    session: RenderSession,
    reporter: ProgressReporter,
    started: float,
    notes: list[str],
    frames: str | None,
    cancel: threading.Event | None,
    force: bool,
) -> RenderResult:
    job, source, first, colors = session.job, session.source, session.first, session.colors
    plan = plan_render(job, source, session.cuts())
    selected = _select_frames(plan, frames)
    _check_not_overwriting_inputs(job, source, selected)
    is_video = f".{job.output.extension}" in VIDEO_EXTENSIONS
    if is_video and frames:
        raise JobError(
            "--frames cannot split a video output; render an image sequence for farm chunks",
            setting="frames",
        )
    video_out = _plan_video(job, source, first, colors) if is_video else None
    out_folder = prepare_output_folder(job.output.path)

    renderer, choice = session.renderer, session.choice
    fps = job.output_rate(source.fps)
    tc0 = first.meta.timecode
    expected_channels = len(first.channels) + (4 if job.output.vectors else 0)
    expected = (first.height, first.width, expected_channels)
    rendered: list[int] = []
    skipped: list[int] = []
    paths: list[Path] = []

    with output_lock(out_folder, job_identity(job.to_dict())):
        remove_stale_temp_files(out_folder)
        reporter.start(
            total=len(selected),
            frames=(selected[0], selected[-1]),
            engine=choice.name,
            reason=choice.reason,
            output=job.output.path,
        )
        for note in (*notes, *(video_out.notes if video_out else ())):
            reporter.warning(note)
        notes.clear()
        # From here on, what the renderer says goes straight to the reporter.
        renderer.warn = reporter.warning
        writer = VideoWriter(job.output.path, fps or Fraction(24), video_out) if video_out else None
        try:
            for done, number in enumerate(selected, start=1):
                if cancel is not None and cancel.is_set():
                    lost = f"; '{job.output.path}' was not written" if writer else ""
                    raise RenderCancelledError(
                        f"render cancelled after {done - 1} of {len(selected)} frames{lost}"
                        + (" (a video render cannot resume: render an image sequence to "
                           "resume frame by frame)" if writer else "")
                    )
                sample = plan.sample(number)
                tick = time.monotonic()
                path = Path(job.output.path if writer else output_path(job.output.path, number))
                if writer is None and not force and _is_valid_output(path, expected):
                    skipped.append(number)
                else:
                    frame = renderer.render(sample, plan.step[number])
                    index = plan.output_frames.index(number)
                    frame = Frame(
                        frame.pixels, frame.channels, _output_meta(frame, job, fps, index, tc0)
                    )
                    if writer is not None:
                        writer.write(frame)
                    else:
                        _write_image(path, frame, job, colors)
                    rendered.append(number)
                paths.append(path)
                reporter.frame(
                    frame=number,
                    done=done,
                    total=len(selected),
                    path=str(path),
                    skipped=number in skipped,
                    source=round(sample.position, 6),
                    seconds=round(time.monotonic() - tick, 3),
                )
            if writer is not None:
                writer.close()
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
    seconds = time.monotonic() - started
    reporter.done(
        total=len(selected), rendered=len(rendered), skipped=len(skipped), seconds=seconds
    )
    return RenderResult(
        tuple(selected), tuple(rendered), tuple(skipped), tuple(paths), choice.name, seconds
    )


def _plan_video(
    job: RenderJob, source: FrameSource, first: Frame, colors: ColorPlan
) -> VideoOutput:
    """Codec, depth and tags of a video output, checked before any work."""
    return plan_video_output(
        job.output.path,
        width=first.width,
        height=first.height,
        codec=job.output.codec,
        bit_depth=job.output.bit_depth,
        source=source.video,
        source_bit_depth=first.meta.bit_depth,
        alpha=first.alpha_channel is not None,
        tags=colors.video_tags(source.video),
    )


def _write_image(path: Path, frame: Frame, job: RenderJob, colors: ColorPlan) -> None:
    write_frame(
        path,
        frame,
        bit_depth=job.output.bit_depth or _default_bit_depth(job, frame),
        compression=job.output.compression,
        colorspace=colors.header,
        chromaticities=colors.chromaticities,
    )


def _default_bit_depth(job: RenderJob, frame: Frame) -> str | None:
    if job.output.extension == "exr" and job.output.vectors:
        return "float"
    return None


__all__ = ["RenderPlan", "RenderResult", "plan_render", "render_job"]
