"""A job made ready for a farm: absolute paths, nothing left to the worker's taste, checked.

Example::

    farm = prepare_farm_job(read_job("job.json"), frames="1001-1050")
    farm.job.input.path         # "/show/sh010/plates/sh010.####.exr" (absolute)
    farm.job.engine.name        # "classical" ("auto" resolved here, not on each worker)
    farm.frames                 # (1001, ..., 1050): the output frames the farm renders

Every chunk of a farm job must make the frames a single render on this machine makes, so what
a worker could decide differently is decided here and written into the job:

* ``engine.name: auto`` becomes the engine (and checkpoint) this machine would use;
* ``cuts.detect`` becomes the detected cut frames (each chunk would otherwise read every source
  frame to find them again);
* ``ocio: null`` becomes the config used here: ``$OCIO``, or the built-in default by its full
  name (``ocio://default`` names another config in another OpenColorIO release).

A job that cannot run on a farm is refused with :class:`~vtinker_core.errors.JobError` (one
line; ``setting`` names the field): a relative path that does not resolve from the current
folder, a video output (farm chunks write image sequences), an output folder inside the source
folder, or frames outside the job's output frames.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vtinker_core.errors import JobError, VTinkerError
from vtinker_core.io import (
    VIDEO_EXTENSIONS,
    FrameSource,
    format_frame_range,
    is_pattern,
    open_source,
    parse_frame_range,
)
from vtinker_core.job import RenderJob

__all__ = ["FarmJob", "openjd_range", "prepare_farm_job"]


@dataclass(frozen=True)
class FarmJob:
    """A job checked and settled for a farm (see the module docstring).

    Attributes:
        job: the job with absolute paths and its engine, cuts and OCIO config settled.
        output_frames: every output frame of the job's plan, ascending.
        frames: the output frames the farm renders (all of them unless asked otherwise).
        width: output width in pixels.
        height: output height in pixels.
        notes: what was settled, one line each, for the user.
    """

    job: RenderJob
    output_frames: tuple[int, ...]
    frames: tuple[int, ...]
    width: int
    height: int
    notes: tuple[str, ...]


def prepare_farm_job(
    job: RenderJob, *, frames: str | None = None, cwd: Path | None = None
) -> FarmJob:
    """Check ``job`` for a farm and settle what a worker could decide otherwise.

    Args:
        job: the render job, as ``vtinker render --job`` reads it (relative paths are relative
            to the current folder, ``cwd``).
        frames: output frames to render (``1001-1050``); default: all of the plan.
        cwd: the folder relative paths start from; default: the current folder.

    Raises:
        JobError: the job cannot run on a farm (see the module docstring).
        VTinkerError: the source cannot be read, the colour config or checkpoint is missing.
    """
    from vtinker_core.render import plan_render

    base = Path.cwd() if cwd is None else cwd
    data = job.to_dict()
    notes: list[str] = []
    data["input"]["path"] = str(_absolute(job.input.path, base))
    data["output"]["path"] = str(_absolute(job.output.path, base))
    _check_output(data["output"]["path"])
    source = _open(job, data["input"]["path"], base)
    with source:
        _check_folders(Path(data["input"]["path"]).parent, Path(data["output"]["path"]).parent)
        _settle_engine(data, base, notes)
        _settle_ocio(data, base, notes)
        first = source.read(source.first)
        settled = RenderJob.from_dict(data)
        cuts = list(settled.cuts.frames)
        if settled.cuts.detect:
            cuts = _detect_cuts(settled, source)
            data["cuts"] = {"detect": False, "threshold": None, "frames": cuts}
            notes.append(f"cuts detected here and listed in the job: {cuts or 'none'}")
            settled = RenderJob.from_dict(data)
        plan = plan_render(settled, source, cuts)
    chosen = _frames_in_plan(plan.output_frames, frames)
    return FarmJob(settled, plan.output_frames, chosen, first.width, first.height, tuple(notes))


def openjd_range(frames: tuple[int, ...]) -> str:
    """Frames as an OpenJD range expression: runs ``A-B`` (or ``N``) joined by commas.

    OpenJD writes a step as ``A-B:S``, vtinker as ``A-BxS``; runs of consecutive frames are
    the same in both (``1001-1010``).
    """
    runs: list[str] = []
    start = previous = frames[0]
    for frame in (*frames[1:], None):
        if frame is not None and frame == previous + 1:
            previous = frame
            continue
        runs.append(str(start) if start == previous else f"{start}-{previous}")
        if frame is not None:
            start = previous = frame
    return ",".join(runs)


# ------------------------------------------------------------------------------------ paths


def _absolute(path: str, base: Path) -> Path:
    given = Path(path).expanduser()
    return given if given.is_absolute() else base / given


def _open(job: RenderJob, path: str, base: Path) -> FrameSource:
    try:
        return open_source(path, job.input.frames)
    except VTinkerError as err:
        if Path(job.input.path).expanduser().is_absolute():
            raise
        raise JobError(
            f"input.path '{job.input.path}' is relative and does not resolve from '{base}': "
            f"{err}; give the job an absolute path",
            setting="input.path",
            path=path,
        ) from err


def _check_output(path: str) -> None:
    if Path(path).suffix.lower() in VIDEO_EXTENSIONS:
        raise JobError(
            f"output '{path}' is a video, and farm chunks write image sequences; render a "
            "sequence (e.g. retime.####.exr) and encode it afterwards",
            setting="output.path",
        )
    if not is_pattern(path):
        raise JobError(
            f"output '{path}' has no frame number (####); farm chunks write image sequences",
            setting="output.path",
        )


def _check_folders(source_folder: Path, output_folder: Path) -> None:
    source, output = source_folder.resolve(), output_folder.resolve()
    if output == source or output.is_relative_to(source):
        raise JobError(
            f"output folder '{output_folder}' is inside the source folder '{source_folder}'; "
            "write the retime into a folder of its own",
            setting="output.path",
            path=output_folder,
        )


def _frames_in_plan(outputs: tuple[int, ...], frames: str | None) -> tuple[int, ...]:
    if frames is None:
        return outputs
    wanted = parse_frame_range(frames)
    outside = sorted(set(wanted) - set(outputs))
    if outside:
        raise JobError(
            f"frames {frames} are outside the plan: the job's output frames are "
            f"{format_frame_range(outputs)} (outside: {format_frame_range(outside)})",
            setting="frames",
        )
    return wanted


# ---------------------------------------------------------------------------------- settling


def _settle_engine(data: dict[str, Any], base: Path, notes: list[str]) -> None:
    from vtinker_core.engines import choose_engine

    engine = data["engine"]
    given = engine.get("checkpoint")
    checkpoint = str(_absolute(given, base)) if given else None
    choice = choose_engine(engine["name"], checkpoint)
    if engine["name"] == "auto":
        notes.append(f"engine auto settled as {choice.name} ({choice.reason})")
    engine["name"] = choice.name
    engine["checkpoint"] = str(choice.checkpoint) if choice.checkpoint is not None else None


def _settle_ocio(data: dict[str, Any], base: Path, notes: list[str]) -> None:
    config = data.get("ocio")
    if config is None and os.environ.get("OCIO"):
        config = os.environ["OCIO"]
        notes.append(f"OCIO config from $OCIO written into the job: {config}")
    if config is None:
        import PyOpenColorIO as ocio

        config = f"ocio://{ocio.Config.CreateFromFile('ocio://default').getName()}"
        notes.append(f"built-in OCIO config written into the job by name: {config}")
    if not config.startswith("ocio://"):
        path = _absolute(config, base)
        if not path.is_file():
            raise JobError(
                f"OCIO config '{config}' does not exist (from '{base}')", setting="ocio", path=path
            )
        config = str(path)
    data["ocio"] = config


def _detect_cuts(job: RenderJob, source: FrameSource) -> list[int]:
    """The listed and detected cuts, by the render's own session: exactly a local render's."""
    from vtinker_core.session import open_session

    return open_session(job, source=source).cuts()
