"""Render a job: source frames in, retimed frames out, safely.

Example::

    job = read_job("job.json")
    result = render_job(job, frames="1001-1050", progress=BarProgress())

A render is:

* **chunkable** — ``frames`` selects output frames, so a farm can split a job into tasks;
* **resumable** — an output file already there and readable with the right size and channels
  is skipped (writes are atomic, so a file under its final name is complete);
* **atomic** — each frame goes to a temporary file in the output folder, then is renamed;
* **cancellable** — ``cancel`` (a ``threading.Event``; the CLI sets it on Ctrl-C/SIGTERM) stops
  the render after the current frame with :class:`RenderCancelledError`;
* **locked** — a second render into the same output folder is refused while the first runs;
* **safe for sources** — an output path that is one of the input files is refused up front.

Motion is estimated once per source pair and reused for every output frame between them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from vtinker_core.channels import motion_vectors, warp_channels
from vtinker_core.color import ColorPipeline, check_finite
from vtinker_core.engines import (
    Engine,
    EngineChoice,
    FramePair,
    Motion,
    choose_engine,
    create_engine,
)
from vtinker_core.errors import (
    ImageReadError,
    JobError,
    RenderCancelledError,
    RenderLockedError,
    VTinkerError,
)
from vtinker_core.frame import Frame, Pixels
from vtinker_core.io import (
    VIDEO_EXTENSIONS,
    FrameSource,
    open_source,
    output_path,
    parse_frame_range,
    probe_frame,
    write_frame,
    write_video,
)
from vtinker_core.job import RenderJob
from vtinker_core.progress import ProgressReporter
from vtinker_core.tiling import auto_tile_size, plan_tiles, run_with_oom_retry, synthesize_tiled
from vtinker_core.timecode import advance_timecode
from vtinker_core.timing import Sample, build_timing

LOCK_NAME = ".vtinker-render.lock"
VECTOR_CHANNELS = ("forward.u", "forward.v", "backward.u", "backward.v")


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
    from vtinker_core.cuts import apply_cuts

    samples = build_timing(job.timing, list(source.frames))
    if cuts:
        samples = apply_cuts(samples, list(cuts))
    if not samples:
        raise JobError("the timing produces no output frames", setting="timing")
    start = job.output.start if job.output.start is not None else source.first
    offset = start - samples[0].output_frame
    renumbered = tuple(
        dataclasses.replace(s, output_frame=s.output_frame + offset) for s in samples
    )
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


def _output_fps(job: RenderJob, source: FrameSource) -> Fraction | None:
    if job.output.fps is not None:
        return job.output.fps
    if job.timing.mode == "fps" and job.timing.output_fps is not None:
        return Fraction(job.timing.output_fps)
    return source.fps


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


# ------------------------------------------------------------------------------------ locking


@contextlib.contextmanager
def output_lock(folder: Path) -> Iterator[Path]:
    """Hold the render lock of ``folder``; refuse when a live render holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / LOCK_NAME
    me = f"{socket.gethostname()} {os.getpid()}"
    for _attempt in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = (
                lock.read_text(encoding="utf-8", errors="replace").strip() if lock.exists() else ""
            )
            if _lock_is_stale(holder):
                lock.unlink(missing_ok=True)
                continue
            raise RenderLockedError(
                f"another render is writing into '{folder}' ({holder or 'unknown process'}); "
                f"wait for it, or delete '{lock}' if no render is running",
                path=lock,
            ) from None
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(me + "\n")
        break
    try:
        yield lock
    finally:
        with contextlib.suppress(OSError):
            if lock.read_text(encoding="utf-8").strip() == me:
                lock.unlink()


def _lock_is_stale(holder: str) -> bool:
    parts = holder.split()
    if len(parts) != 2 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _remove_stale_temp_files(folder: Path) -> None:
    for path in folder.glob(".*.tmp-*"):
        with contextlib.suppress(OSError):
            path.unlink()


# ----------------------------------------------------------------------------------- the work


@dataclass
class _PairState:
    frames: tuple[Frame, Frame]
    model: tuple[Any, Any]
    pair: FramePair
    motion: Motion


class FrameRenderer:
    """Turns samples into output frames; keeps the last pairs' motion and decoded frames."""

    def __init__(
        self,
        job: RenderJob,
        source: FrameSource,
        engine: Engine,
        pipeline: ColorPipeline,
        input_colorspace: str,
        output_colorspace: str,
        warn: Callable[[str], None],
    ) -> None:
        self.job, self.source, self.engine, self.pipeline = job, source, engine, pipeline
        self.input_cs, self.output_cs = input_colorspace, output_colorspace
        self.linear_cs = pipeline.resolve_colorspace("scene_linear")
        self.warn = warn
        self._frames: OrderedDict[int, Frame] = OrderedDict()
        self._pairs: OrderedDict[tuple[int, int], _PairState] = OrderedDict()
        self.tile_size: int | str | None = job.tiles.size

    def read(self, number: int) -> Frame:
        if number in self._frames:
            self._frames.move_to_end(number)
            return self._frames[number]
        frame = self.source.read(number)
        frame, replaced = check_finite(
            frame, source=source_file(self.source, number), sanitize=self.job.sanitize
        )
        if replaced:
            self.warn(f"replaced {replaced} NaN/Inf values in source frame {number}")
        self._frames[number] = frame
        while len(self._frames) > 4:
            self._frames.popitem(last=False)
        return frame

    def rgb_names(self, frame: Frame) -> tuple[str, str, str]:
        names = frame.rgb_channels
        if names is None:
            raise JobError(
                f"source frame has no RGB channels (channels: {', '.join(frame.channels)})",
                setting="input.path",
            )
        return names

    def pair_state(self, a: int, b: int) -> _PairState:
        key = (a, b)
        if key in self._pairs:
            self._pairs.move_to_end(key)
            return self._pairs[key]
        f0, f1 = self.read(a), self.read(b)
        if f0.pixels.shape[:2] != f1.pixels.shape[:2]:
            raise JobError(f"source frames {a} and {b} differ in size", setting="input.path")
        m0 = self.pipeline.to_model(f0.select(self.rgb_names(f0)), self.input_cs)
        m1 = self.pipeline.to_model(f1.select(self.rgb_names(f1)), self.input_cs)
        pair = FramePair(m0.model, m1.model, key=key)
        state = _PairState((f0, f1), (m0, m1), pair, self.engine.estimate(pair))
        self._pairs[key] = state
        while len(self._pairs) > 2:
            self._pairs.popitem(last=False)
        return state

    def _synthesize(self, state: _PairState, t: float) -> Pixels:
        h, w = state.pair.height, state.pair.width
        overlap = self.job.tiles.overlap
        size = self.job.tiles.size
        if size is None:
            bpp = float(getattr(self.engine, "bytes_per_pixel", 512))
            device = str(getattr(self.engine, "device", "cpu"))
            size = auto_tile_size(h, w, bpp, device, overlap=overlap)
        align = int(getattr(self.engine, "tile_align", 1))

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
        """The output frame for ``sample``: all the source's channels (+ vectors if asked)."""
        if sample.is_copy:
            frame = self.read(sample.frame_a)
            pixels = frame.pixels
            if self.output_cs != self.input_cs:
                names = self.rgb_names(frame)
                idx = [frame.index(n) for n in names]
                pixels = pixels.copy()
                linear = self.pipeline.to_linear(pixels[:, :, idx], self.input_cs)
                pixels[:, :, idx] = self.pipeline.linear_to(linear, self.output_cs)
            channels = frame.channels
            if self.job.output.vectors:
                zeros = np.zeros((*pixels.shape[:2], 4), np.float32)
                state = None
                if sample.frame_b != sample.frame_a or len(self.source.frames) > 1:
                    state = self._neighbour_motion(sample.frame_a)
                vectors = motion_vectors(state.motion, 0.0, step) if state else zeros
                pixels = np.concatenate([pixels, vectors], axis=2)
                channels = (*channels, *VECTOR_CHANNELS)
            return Frame(np.ascontiguousarray(pixels), channels, frame.meta)

        state = self.pair_state(sample.frame_a, sample.frame_b)
        t = sample.t
        f0, f1 = state.frames
        names = self.rgb_names(f0)
        rgb_idx = [f0.index(n) for n in names]
        model_rgb = self._synthesize(state, t)
        engine_linear = self.pipeline.from_model(model_rgb, self.linear_cs)

        # Values the model encoding cannot carry (highlights, negatives) and every channel
        # besides RGB travel together by one motion-compensated blend in linear light.
        m0, m1 = state.model
        carry_hdr = bool(m0.outside.any() or m1.outside.any())
        others = [i for i in range(len(f0.channels)) if i not in rgb_idx]
        side0: list[Pixels] = []
        side1: list[Pixels] = []
        if carry_hdr:
            side0 += [m0.linear, m0.outside[:, :, None].astype(np.float32)]
            side1 += [m1.linear, m1.outside[:, :, None].astype(np.float32)]
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
        rgb_out = self.pipeline.linear_to(linear.astype(np.float32), self.output_cs)

        pixels = np.empty_like(f0.pixels)
        pixels[:, :, rgb_idx] = rgb_out
        if carried is not None and others:
            pixels[:, :, others] = carried[:, :, 4:] if carry_hdr else carried
        channels = f0.channels
        if self.job.output.vectors:
            pixels = np.concatenate([pixels, motion_vectors(state.motion, t, step)], axis=2)
            channels = (*channels, *VECTOR_CHANNELS)
        return Frame(np.ascontiguousarray(pixels, dtype=np.float32), channels, f0.meta)

    def _neighbour_motion(self, frame: int) -> _PairState | None:
        frames = list(self.source.frames)
        i = frames.index(frame)
        if i + 1 < len(frames):
            return self.pair_state(frame, frames[i + 1])
        if i > 0:
            state = self.pair_state(frames[i - 1], frame)
            return _PairState(
                state.frames,
                state.model,
                state.pair,
                Motion(forward=-state.motion.backward, backward=-state.motion.forward),
            )
        return None


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
        JobError, ImageReadError, SequenceError, ColorConfigError, EngineError: bad input,
            before any frame is written where possible.
        RenderLockedError: another render writes into the same folder.
        RenderCancelledError: ``cancel`` was set; the frame in progress was finished first.
    """
    reporter = progress or ProgressReporter()
    started = time.monotonic()
    source = open_source(job.input.path, job.input.frames)
    first = source.read(source.first)
    pipeline, input_cs, output_cs = resolve_colorspaces(
        job, first, source_file(source, source.first)
    )
    cuts = list(job.cuts.frames)
    if job.cuts.detect:
        from vtinker_core.cuts import DEFAULT_THRESHOLD, detect_cuts

        threshold = job.cuts.threshold or DEFAULT_THRESHOLD

        def read_model(n: int) -> Pixels:
            frame = source.read(n)
            rgb = frame.select(frame.rgb_channels or frame.channels[:3])
            return pipeline.to_model(rgb, input_cs).model

        cuts = sorted(set(cuts) | set(detect_cuts(list(source.frames), read_model, threshold)))
    plan = plan_render(job, source, cuts)
    selected = _select_frames(plan, frames)
    _check_not_overwriting_inputs(job, source, selected)
    is_video = f".{job.output.extension}" in VIDEO_EXTENSIONS
    if is_video and frames:
        raise JobError(
            "--frames cannot split a video output; render an image sequence for farm chunks",
            setting="frames",
        )

    engine, choice = make_engine(job)
    out_folder = Path(job.output.path).parent if str(Path(job.output.path).parent) else Path(".")
    fps = _output_fps(job, source)
    tc0 = first.meta.timecode
    renderer = FrameRenderer(
        job, source, engine, pipeline, input_cs, output_cs, lambda m: reporter.warning(m)
    )
    expected_channels = len(first.channels) + (4 if job.output.vectors else 0)
    expected = (first.height, first.width, expected_channels)
    rendered: list[int] = []
    skipped: list[int] = []
    paths: list[Path] = []
    video_frames: list[Pixels] = []

    with output_lock(out_folder):
        _remove_stale_temp_files(out_folder)
        reporter.start(
            total=len(selected),
            frames=(selected[0], selected[-1]),
            engine=choice.reason,
            output=job.output.path,
        )
        for done, number in enumerate(selected, start=1):
            if cancel is not None and cancel.is_set():
                raise RenderCancelledError(
                    f"render cancelled after {done - 1} of {len(selected)} frames"
                )
            sample = plan.sample(number)
            tick = time.monotonic()
            path = Path(job.output.path) if is_video else Path(output_path(job.output.path, number))
            if not is_video and not force and _is_valid_output(path, expected):
                skipped.append(number)
            else:
                frame = renderer.render(sample, plan.step[number])
                index = plan.output_frames.index(number)
                frame = Frame(
                    frame.pixels, frame.channels, _output_meta(frame, job, fps, index, tc0)
                )
                if is_video:
                    video_frames.append(_display_rgb(renderer, frame))
                else:
                    write_frame(
                        path,
                        frame,
                        bit_depth=job.output.bit_depth or _default_bit_depth(job, frame),
                        compression=job.output.compression,
                    )
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
        if is_video:
            write_video(Path(job.output.path), video_frames, fps or Fraction(24))
    engine.close()
    seconds = time.monotonic() - started
    reporter.done(
        total=len(selected), rendered=len(rendered), skipped=len(skipped), seconds=seconds
    )
    return RenderResult(
        tuple(selected), tuple(rendered), tuple(skipped), tuple(paths), choice.name, seconds
    )


def resolve_colorspaces(
    job: RenderJob, first: Frame, first_path: Path
) -> tuple[ColorPipeline, str, str]:
    """The colour pipeline and the input/output colourspaces the job asks for (or implies)."""
    pipeline = ColorPipeline(job.ocio)
    if job.input.colorspace:
        input_cs = pipeline.resolve_colorspace(job.input.colorspace, setting="input.colorspace")
    else:
        input_cs = pipeline.default_colorspace(first_path, first.meta.bit_depth)
    output_cs = (
        pipeline.resolve_colorspace(job.output.colorspace, setting="output.colorspace")
        if job.output.colorspace
        else input_cs
    )
    return pipeline, input_cs, output_cs


def make_engine(job: RenderJob) -> tuple[Engine, EngineChoice]:
    """The engine the job names (``auto`` resolved), on the job's device and precision."""
    choice = choose_engine(job.engine.name, job.engine.checkpoint)
    options: dict[str, Any] = {}
    if choice.name == "vtinker":
        options = {"device": _resolve_device(job.engine.device), "precision": job.engine.precision}
    return create_engine(choice.name, choice.checkpoint, **options), choice


def source_file(source: FrameSource | Any, frame: int) -> Path:
    """The file holding ``frame`` of a source (the video file itself for a video)."""
    return Path(source.path(frame))


def _default_bit_depth(job: RenderJob, frame: Frame) -> str | None:
    if job.output.extension == "exr" and job.output.vectors:
        return "float"
    return None


def _display_rgb(renderer: FrameRenderer, frame: Frame) -> Pixels:
    names = renderer.rgb_names(frame)
    rgb = frame.select(names)
    model = renderer.pipeline.to_model(rgb, renderer.output_cs).model
    return np.clip(model, 0.0, 1.0)


def _resolve_device(device: str) -> str:
    if device != "auto":
        return device
    try:
        import torch

        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps"
    except ImportError:  # pragma: no cover
        pass
    return "cpu"


__all__ = ["RenderPlan", "RenderResult", "VTinkerError", "output_lock", "plan_render", "render_job"]
